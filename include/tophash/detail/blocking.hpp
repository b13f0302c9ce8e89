// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Blocking operations on tables (swap, copy and move assignment, rehash(0)
// of an empty table), as Boost's: they wait for every operation in progress
// on the tables involved, and operations that start meanwhile wait for them
// (concurrency/freeze_gate.hpp). concurrent_table's members of the same names
// call these; they see its state as a friend.
//
// Lock order, the rule that keeps two-table operations from deadlocking: the
// blocking mutexes of both tables, lower address first, for the whole
// operation (pair_locked); nothing else of another table is ever waited for
// while one table's stripe is held, except by the one two-table operation
// that holds both blocking mutexes. So merge(a, b) and merge(b, a), a == b
// and merge, swap and either, never wait on each other's stripes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "tophash/concurrency/epoch.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/visitors.hpp"
#include "tophash/platform/config.hpp"

namespace tophash::detail {

class blocking {
  public:
    // Runs f() holding both tables' blocking mutexes, in address order:
    // two-table operations (merge, ==) never run at once on one table, so
    // none can wait for a lock the other holds.
    template <class A, class B, class F>
    static decltype(auto) pair_locked(const A& a, const B& b, F&& f) {
        std::mutex& mine = a.blocking_mutex_;
        std::mutex& theirs = b.blocking_mutex_;
        if (&mine == &theirs) {
            std::lock_guard<std::mutex> g(mine);
            return f();
        }
        const bool mine_first = std::less<const void*>()(&mine, &theirs);
        std::lock_guard<std::mutex> g1(mine_first ? mine : theirs);
        std::lock_guard<std::mutex> g2(mine_first ? theirs : mine);
        return f();
    }

    // Elements swapped, the allocators if propagate_on_container_swap.
    template <class Table>
    static void swap(Table& a, Table& b) {
        using alloc_type = std::remove_cv_t<std::remove_reference_t<decltype(a.get_allocator())>>;
        pair_locked(a, b, [&] {
            const frozen_pair<Table> fp(&a, &b);
            a.resizer_.swap_state(b.resizer_);
            swap_by_moves(a.hash_, b.hash_);
            swap_by_moves(a.eq_, b.eq_);
            if constexpr (std::allocator_traits<alloc_type>::propagate_on_container_swap::value) {
                swap_by_moves(a.resizer_.allocator(), b.resizer_.allocator());
            } else {
                // Boost's precondition: the allocators compare equal.
#if TOPHASH_ASSERTS
                if (!(a.get_allocator() == b.get_allocator())) {
                    std::fprintf(stderr,
                                 "tophash: swap() of containers whose allocators compare unequal "
                                 "and do not propagate on swap\n");
                    std::abort();
                }
#endif
            }
        });
    }

    // a takes b's elements: its arrays if the allocators allow, else
    // element by element; b is left empty. The allocator propagates if
    // may_propagate and the traits say so (not for the allocator-extended
    // move constructor).
    template <class Table>
    static void move_assign(Table& a, Table& b, bool may_propagate) {
        using alloc_type = std::remove_cv_t<std::remove_reference_t<decltype(a.get_allocator())>>;
        constexpr bool traits_pocma =
            std::allocator_traits<alloc_type>::propagate_on_container_move_assignment::value;
        const bool pocma = may_propagate && traits_pocma;
        pair_locked(a, b, [&] {
            // What a held, destroyed once no other thread can reach it.
            Table dead(0, a.hash_, a.eq_, a.get_allocator());
            const frozen_pair<Table> fp(&a, &b);
            a.resizer_.swap_state(dead.resizer_);
            replace_with(a.hash_, std::move(b.hash_));
            replace_with(a.eq_, std::move(b.eq_));
            if (pocma || a.get_allocator() == b.get_allocator()) {
                if constexpr (traits_pocma) {
                    if (pocma) replace_with(a.resizer_.allocator(), alloc_type(b.get_allocator()));
                }
                a.resizer_.swap_state(b.resizer_);
                return;
            }
            // The elements move one by one into arrays of a's allocator; b
            // keeps none (a throwing move leaves the rest there).
            Table src(0, a.hash_, a.eq_, b.get_allocator());
            src.resizer_.swap_state(b.resizer_);
            Table dst(0, a.hash_, a.eq_, a.get_allocator());
            dst.reserve(src.size());
            no_visit nv;
            auto move_in = [&](typename Table::value_type& v) {
                dst.emplace_or_visit(Table::storage::kind::key_of(v), nv, nv, std::move(v));
                return true;
            };
            TOPHASH_TRY {
                src.erase_if(move_in);
            }
            TOPHASH_CATCH_ALL {
                src.resizer_.swap_state(b.resizer_);
                a.resizer_.swap_state(dst.resizer_);
                TOPHASH_RETHROW;
            }
            a.resizer_.swap_state(dst.resizer_);
        });
    }

    // a becomes a copy of b (strong guarantee: a throwing copy leaves a as
    // it was).
    template <class Table>
    static void copy_assign(Table& a, const Table& b) {
        using alloc_type = std::remove_cv_t<std::remove_reference_t<decltype(a.get_allocator())>>;
        constexpr bool pocca =
            std::allocator_traits<alloc_type>::propagate_on_container_copy_assignment::value;
        pair_locked(a, b, [&] {
            // Built aside first (b's writers wait meanwhile): a throwing copy
            // leaves a untouched.
            Table tmp(0, b.hash_, b.eq_, pocca ? b.get_allocator() : a.get_allocator());
            no_visit nv;
            auto add = [&](const typename Table::value_type& v) {
                tmp.emplace_or_visit(Table::storage::kind::key_of(v), nv, nv, v);
            };
            b.cvisit_all_consistent(add);
            {
                const frozen_pair<Table> fp(&a, nullptr);
                a.resizer_.swap_state(tmp.resizer_);
                replace_with(a.hash_, decltype(a.hash_)(b.hash_));
                replace_with(a.eq_, decltype(a.eq_)(b.eq_));
                // tmp now holds a's old arrays: it frees them with a's old
                // allocator, a keeps the copy of b's.
                if constexpr (pocca)
                    swap_by_moves(a.resizer_.allocator(), tmp.resizer_.allocator());
            }
            // tmp, holding what a held, is destroyed after the thaw.
        });
    }

    // Frees the arrays of an empty table (rehash(0)); false if not empty.
    template <class Table>
    static bool release_if_empty(Table& a) {
        return pair_locked(a, a, [&] {
            const frozen_pair<Table> fp(&a, nullptr);
            if (a.resizer_.size() != 0) return false;
            a.resizer_.release_all();
            return true;
        });
    }

  private:
    // Both tables (or one) frozen and quiet for the scope's life, their grow
    // mutexes held (lower address first).
    template <class Table>
    struct frozen_pair {
        Table* a;
        Table* b;  // may be null
        frozen_pair(Table* x, Table* y) noexcept : a(x), b(y == x ? nullptr : y) {
            if (b != nullptr && std::less<const void*>()(b, a)) std::swap(a, b);
            a->gate_.close();
            if (b != nullptr) b->gate_.close();
            concurrency::epoch_detail::quiesce(a, b);
            a->resizer_.grow_mutex().lock();
            if (b != nullptr) b->resizer_.grow_mutex().lock();
        }
        ~frozen_pair() {
            if (b != nullptr) b->resizer_.grow_mutex().unlock();
            a->resizer_.grow_mutex().unlock();
            if (b != nullptr) b->gate_.open();
            a->gate_.open();
        }
        frozen_pair(const frozen_pair&) = delete;
        frozen_pair& operator=(const frozen_pair&) = delete;
    };

    template <class T>
    static void replace_with(T& dst, T&& src) {
        if constexpr (std::is_move_assignable_v<T>) {
            dst = std::move(src);
        } else {
            // A hasher or equality with only a move constructor (Boost
            // move-constructs them), or std::pmr::polymorphic_allocator.
            dst.~T();
            ::new (static_cast<void*>(std::addressof(dst))) T(std::move(src));
        }
    }
    // std::swap needs move assignment, which replace_with does without.
    template <class T>
    static void swap_by_moves(T& a, T& b) {
        T t(std::move(a));
        replace_with(a, std::move(b));
        replace_with(b, std::move(t));
    }
};

}  // namespace tophash::detail
