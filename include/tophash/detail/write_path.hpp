// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The write protocol and the writes built on it. Part of concurrent_table
// (declared in concurrent_table.hpp).
#pragma once

#include "tophash/detail/concurrent_table.hpp"

namespace tophash::detail {

// Sets h to the key's hash and runs op(table, stripe, bucket index, grow flag)
// under the exclusive lock of the stripe that owns the key's chain.
//
// Inserting operations (Inserts) work in the newest array: first they
// evacuate the key's old bucket, and one more (help_cursor), which may
// allocate and may throw (the write then fails with the table unchanged).
// The others (visit, erase) never allocate: a key whose old bucket is not
// evacuated yet is handled right there in the old array; they help with one
// bucket at the cursor after their own work is done, and ignore a failure of
// that help (the bucket is retried by a later write). Operations that cannot
// insert do nothing on a table that has no array.
template <class S, class H, class E, class A>
template <bool Inserts, class K, class Op>
inline auto concurrent_table<S, H, E, A>::write_op(const K& key, std::uint64_t& h, Op&& op) {
    bool grow = false;
    table_type* grown = nullptr;
    using result_t = decltype(op(std::declval<table_type&>(), std::declval<stripe_type&>(),
                                 std::size_t{}, grow));
    std::optional<result_t> result;
    {
        concurrency::epoch_guard eg(this);
        enter(eg);
        h = hash_of(key);  // after enter(): see read()
        table_type* helped = nullptr;
        for (;;) {
            table_type* t = root_.load(std::memory_order_acquire);
            if (t == nullptr) {
                if constexpr (!Inserts) return result_t{};
                create_first_table(1);
                continue;
            }
            located at{t, h & t->bucket_mask};
            if (table_type* o = t->old.load(std::memory_order_acquire)) {
                if constexpr (Inserts) {
                    evacuate_bucket(*t, *o, h & o->bucket_mask);
                    help_cursor(*t, *o);
                } else {
                    helped = t;
                    at = locate_in(t, h);
                }
            }
            stripe_type& s = at.table->stripe_of(at.index);
            concurrency::exclusive_guard lock(s.lock);
            // Evacuated since we looked: a newer array holds the chain.
            if (at.table->head(at.index).evacuated()) continue;
            chain_write cw(at.table->head(at.index));
            result.emplace(op(*at.table, s, at.index, grow));
            grown = at.table;
            break;
        }
        if constexpr (!Inserts) {
            if (helped != nullptr) help_quietly(*helped);
        }
        if (grow) grow_after_write(grown);
    }
    retired_.note_write();
    return *result;
}

// The insert protocol shared by emplace_unique and emplace_staged: look
// `key` up, visit it if present, else construct(element_type*) a new element
// in the chain and visit that.
template <class S, class H, class E, class A>
template <class K, class OnFound, class OnNew, class Construct>
inline bool concurrent_table<S, H, E, A>::insert_unique(const K& key, OnFound& on_found,
                                                        OnNew& on_new, Construct&& construct) {
    std::uint64_t h = 0;
    return write_op(key, h, [&](table_type& t, stripe_type& s, std::size_t bi, bool& grow) {
        auto [b, i] = find_in_chain(t, bi, h, key);
        if (b != nullptr) {
            call_visitor(*b->slot_at(i), on_found);
            return false;
        }
        element_type& e = emplace_new(t, s, bi, h, grow, construct);
        // Inserted: a throwing on_new does not undo that (as in Boost).
        call_visitor(e, on_new);
        return true;
    });
}

template <class S, class H, class E, class A>
template <class K, class OnFound, class OnNew, class... Args>
inline bool concurrent_table<S, H, E, A>::emplace_unique(const K& key, OnFound&& on_found,
                                                         OnNew&& on_new, Args&&... args) {
    return insert_unique(key, on_found, on_new, [&](element_type* p) {
        S::construct(alloc_, p, std::forward<Args>(args)...);
    });
}

// The staged element's key is read until construct_staged takes the element.
template <class S, class H, class E, class A>
template <class OnFound, class OnNew>
inline bool concurrent_table<S, H, E, A>::emplace_staged(staged_type&& staged, OnFound&& on_found,
                                                         OnNew&& on_new) {
    return insert_unique(S::staged_key(staged), on_found, on_new, [&](element_type* p) {
        S::construct_staged(alloc_, p, std::move(staged));
    });
}

template <class S, class H, class E, class A>
template <class K, class F>
inline auto concurrent_table<S, H, E, A>::visit(const K& key, F& f) -> size_type {
    std::uint64_t h = 0;
    return write_op<false>(key, h, [&](table_type& t, stripe_type&, std::size_t bi, bool&) {
        auto [b, i] = find_in_chain(t, bi, h, key);
        if (b == nullptr) return size_type{0};
        call_visitor(*b->slot_at(i), f);
        return size_type{1};
    });
}

template <class S, class H, class E, class A>
template <class K, class P>
inline auto concurrent_table<S, H, E, A>::erase_if(const K& key, P& pred) -> size_type {
    return remove_one<true>(key, pred);
}

template <class S, class H, class E, class A>
template <class K, class P>
inline auto concurrent_table<S, H, E, A>::extract_if(const K& key, P& pred) -> element_type {
    static_assert(S::stable_references, "extract: node containers only");
    return remove_one<false>(key, pred);
}

// Unlinks the element of `key` if present and pred(value_type&) is true:
// destroys it and returns 1 (Destroy), or returns it alive (a node).
template <class S, class H, class E, class A>
template <bool Destroy, class K, class P>
inline auto concurrent_table<S, H, E, A>::remove_one(const K& key, P& pred) {
    using result = std::conditional_t<Destroy, size_type, element_type>;
    std::uint64_t h = 0;
    return write_op<false>(key, h,
                           [&](table_type& t, stripe_type& s, std::size_t bi, bool&) -> result {
                               auto [b, i] = find_in_chain(t, bi, h, key);
                               if (b == nullptr || !call_visitor(*b->slot_at(i), pred))
                                   return result{};
                               if constexpr (Destroy) {
                                   erase_at(t, s, t.head(bi), b, i);
                                   return result{1};
                               } else {
                                   const element_type e = *b->slot_at(i);
                                   erase_at<false>(t, s, t.head(bi), b, i);
                                   return e;
                               }
                           });
}

}  // namespace tophash::detail
