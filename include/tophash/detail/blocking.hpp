// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Blocking operations (swap, copy and move assignment, rehash(0) of an empty
// table) and the gate that keeps every other operation out while they run.
// Part of concurrent_table (declared in concurrent_table.hpp).
//
// Readers take no lock a blocking operation could wait on, so the gate is a
// flag and a grace period: the operation sets frozen_, then waits until no
// section that began before on this table is still running
// (concurrency::quiesce); sections that begin after see the flag at enter()
// and step out of their epoch section until it clears. The state (arrays,
// hasher, equality, allocator) then belongs to the operation alone.
//
// Lock order, the rule that keeps two-table operations from deadlocking:
// blocking_mutex_ of both tables, lower address first, for the whole
// operation; nothing else of another table is ever waited for while one
// table's stripe is held, except by the one two-table operation that holds
// both blocking mutexes. So merge(a, b) and merge(b, a), a == b and
// merge, swap and either, never wait on each other's stripes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "tophash/concurrency/backoff.hpp"
#include "tophash/detail/concurrent_table.hpp"

namespace tophash::detail {

template <class S, class H, class E, class A>
void concurrent_table<S, H, E, A>::wait_thawed(concurrency::epoch_guard& eg) const noexcept {
    // A section already open on this table (a nested call) is one the
    // blocking operation waits for: it cannot be frozen out of it.
    if (eg.nested_in(this)) return;
    while (frozen_.load(std::memory_order_acquire)) {
        eg.pause();
        spin_while_frozen();
        eg.resume();
    }
}

template <class S, class H, class E, class A>
void concurrent_table<S, H, E, A>::spin_while_frozen() const noexcept {
    concurrency::backoff b;
    while (frozen_.load(std::memory_order_acquire))
        b.pause();
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::enter_holding(concurrency::epoch_guard& eg,
                                                        std::unique_lock<std::mutex>& grow) const {
    while (__builtin_expect(frozen_.load(std::memory_order_acquire), 0)) {
        if (eg.nested_in(this)) return;
        eg.pause();
        grow.unlock();  // the blocking operation takes it after quiesce()
        spin_while_frozen();
        grow.lock();
        eg.resume();
    }
}

template <class S, class H, class E, class A>
template <class T>
inline void concurrent_table<S, H, E, A>::replace_with(T& dst, T&& src) {
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
template <class S, class H, class E, class A>
template <class T>
inline void concurrent_table<S, H, E, A>::swap_by_moves(T& a, T& b) {
    T t(std::move(a));
    replace_with(a, std::move(b));
    replace_with(b, std::move(t));
}

template <class S, class H, class E, class A>
template <class Other, class F>
inline decltype(auto) concurrent_table<S, H, E, A>::with_pair_locked(const Other& other,
                                                                     F&& f) const {
    std::mutex& mine = blocking_mutex_;
    std::mutex& theirs = other.blocking_mutex_;
    if (&mine == &theirs) {
        std::lock_guard<std::mutex> g(mine);
        return f();
    }
    const bool mine_first = std::less<const void*>()(&mine, &theirs);
    std::lock_guard<std::mutex> g1(mine_first ? mine : theirs);
    std::lock_guard<std::mutex> g2(mine_first ? theirs : mine);
    return f();
}

// Both tables (or one) frozen and quiet for the scope's life, their grow
// mutexes held (lower address first).
template <class S, class H, class E, class A>
struct concurrent_table<S, H, E, A>::frozen_pair {
    concurrent_table* a;
    concurrent_table* b;  // may be null
    frozen_pair(concurrent_table* x, concurrent_table* y) noexcept : a(x), b(y == x ? nullptr : y) {
        if (b != nullptr && std::less<const void*>()(b, a)) std::swap(a, b);
        a->frozen_.store(true, std::memory_order_seq_cst);
        if (b != nullptr) b->frozen_.store(true, std::memory_order_seq_cst);
        concurrency::epoch_detail::quiesce(a, b);
        a->grow_mutex_.lock();
        if (b != nullptr) b->grow_mutex_.lock();
    }
    ~frozen_pair() {
        if (b != nullptr) b->grow_mutex_.unlock();
        a->grow_mutex_.unlock();
        // Release: an operation that passes enter() sees the new state.
        if (b != nullptr) b->frozen_.store(false, std::memory_order_release);
        a->frozen_.store(false, std::memory_order_release);
    }
    frozen_pair(const frozen_pair&) = delete;
    frozen_pair& operator=(const frozen_pair&) = delete;
};

// Arrays, size estimate and resize state change hands; hasher, equality
// (and allocator, by the caller's rule) are the caller's to swap.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::swap_state(concurrent_table& other) noexcept {
    // Deleters of retired arrays refer to their table, and a prepared array
    // belongs to the old size: both go (no reader of either table is left).
    retired_.drain();
    other.retired_.drain();
    drop_prepared();
    other.drop_prepared();
    table_type* r = root_.load(std::memory_order_relaxed);
    root_.store(other.root_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    other.root_.store(r, std::memory_order_relaxed);
    const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
    approx_size_.store(other.approx_size_.load(std::memory_order_relaxed),
                       std::memory_order_relaxed);
    other.approx_size_.store(n, std::memory_order_relaxed);
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::swap(concurrent_table& other) {
    if (this == &other) return;
    check_reentry("swap");
    with_pair_locked(other, [&] {
        const frozen_pair fp(this, &other);
        swap_state(other);
        swap_by_moves(hash_, other.hash_);
        swap_by_moves(eq_, other.eq_);
        if constexpr (std::allocator_traits<A>::propagate_on_container_swap::value) {
            swap_by_moves(alloc_, other.alloc_);
        } else {
            // Boost's precondition: the allocators compare equal.
#if TOPHASH_ASSERTS
            if (!(alloc_ == other.alloc_)) {
                std::fprintf(stderr,
                             "tophash: swap() of containers whose allocators compare unequal "
                             "and do not propagate on swap\n");
                std::abort();
            }
#endif
        }
    });
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::move_assign(concurrent_table& other, bool may_propagate) {
    if (this == &other) return;
    check_reentry("operator=");
    constexpr bool traits_pocma =
        std::allocator_traits<A>::propagate_on_container_move_assignment::value;
    const bool pocma = may_propagate && traits_pocma;
    with_pair_locked(other, [&] {
        // What *this held, destroyed once no other thread can reach it.
        concurrent_table dead(0, hash_, eq_, alloc_);
        {
            const frozen_pair fp(this, &other);
            swap_state(dead);
            replace_with(hash_, std::move(other.hash_));
            replace_with(eq_, std::move(other.eq_));
            if (pocma || alloc_ == other.alloc_) {
                if constexpr (traits_pocma) {
                    if (pocma) replace_with(alloc_, A(other.alloc_));
                }
                swap_state(other);
            } else {
                // The elements move one by one into arrays of our allocator;
                // other keeps none (a throwing move leaves the rest there).
                concurrent_table src(0, hash_, eq_, other.alloc_);
                src.swap_state(other);
                concurrent_table dst(0, hash_, eq_, alloc_);
                dst.reserve(src.size());
                no_visit nv;
                auto move_in = [&](value_type& v) {
                    dst.emplace_unique(S::kind::key_of(v), nv, nv, std::move(v));
                    return true;
                };
                TOPHASH_TRY {
                    src.erase_if(move_in);
                }
                TOPHASH_CATCH_ALL {
                    src.swap_state(other);
                    swap_state(dst);
                    TOPHASH_RETHROW;
                }
                swap_state(dst);
            }
        }
    });
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::copy_assign(const concurrent_table& other) {
    if (this == &other) return;
    check_reentry("operator=");
    constexpr bool pocca = std::allocator_traits<A>::propagate_on_container_copy_assignment::value;
    with_pair_locked(other, [&] {
        // Built aside first (other's writers wait meanwhile): a throwing
        // copy leaves *this untouched.
        concurrent_table tmp(0, other.hash_, other.eq_, pocca ? other.alloc_ : alloc_);
        no_visit nv;
        auto add = [&](const value_type& v) { tmp.emplace_unique(S::kind::key_of(v), nv, nv, v); };
        other.for_each_consistent(add);
        {
            const frozen_pair fp(this, nullptr);
            swap_state(tmp);
            replace_with(hash_, H(other.hash_));
            replace_with(eq_, E(other.eq_));
            // tmp now holds our old arrays: it frees them with our old
            // allocator, we keep the copy of other's.
            if constexpr (pocca) swap_by_moves(alloc_, tmp.alloc_);
        }
        // tmp, holding what *this held, is destroyed after the thaw.
    });
}

template <class S, class H, class E, class A>
inline bool concurrent_table<S, H, E, A>::release_if_empty() {
    check_reentry("rehash");
    return with_pair_locked(*this, [&] {
        const frozen_pair fp(this, nullptr);
        if (count_elements(root_.load(std::memory_order_relaxed)) != 0) return false;
        release_all();
        return true;
    });
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::drop_prepared_now() noexcept {
    std::lock_guard<std::mutex> lock(grow_mutex_);
    drop_prepared();
}

}  // namespace tophash::detail
