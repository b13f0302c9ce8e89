// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Lookups. Elements that are lock-free readable (lock_free_read.hpp) are read
// optimistically: copied with atomic loads, then validated against the
// chain's version, writing no shared memory. Others are read under the
// stripe's shared lock; in flat maps only once their tags, read
// optimistically, show a candidate. Part of concurrent_table (declared in
// concurrent_table.hpp).
#pragma once

#include <iterator>

#include "tophash/detail/concurrent_table.hpp"

namespace tophash::detail {

// The chain that holds h's elements right now: in the old array while its
// bucket there is not evacuated, else in the newest.
template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::locate(std::uint64_t h) const noexcept -> located {
    return locate_in(root_.load(std::memory_order_acquire), h);
}
// The same, given the root array (or null) the caller already loaded.
template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::locate_in(table_type* t, std::uint64_t h) noexcept
    -> located {
    if (t == nullptr) return {nullptr, 0};
    if (table_type* o = t->old.load(std::memory_order_acquire)) {
        if (!o->head(h & o->bucket_mask).evacuated()) return {o, h & o->bucket_mask};
    }
    return {t, h & t->bucket_mask};
}

template <class S, class H, class E, class A>
template <class K, class F>
inline bool concurrent_table<S, H, E, A>::read(const K& key, F& found) const {
    // A hasher with state is read only after enter(): a blocking swap may be
    // replacing it. Stateless ones hash first, as before.
    std::uint64_t h = 0;
    if constexpr (std::is_empty_v<H>) h = hash_of(key);
    concurrency::epoch_guard eg(this);
    enter(eg);
    if constexpr (!std::is_empty_v<H>) h = hash_of(key);
    if constexpr (lock_free_reads) {
        std::optional<value_type> v;
        if (!read_lock_free(h, key, &v)) return false;
        callback_scope rg(this);
        found(static_cast<const value_type&>(*v));
        return true;
    } else {
        return read_locked(h, key, found);
    }
}

template <class S, class H, class E, class A>
template <class K>
inline bool concurrent_table<S, H, E, A>::contains(const K& key) const {
    // A hasher with state is read only after enter(): a blocking swap may be
    // replacing it. Stateless ones hash first, as before.
    std::uint64_t h = 0;
    if constexpr (std::is_empty_v<H>) h = hash_of(key);
    concurrency::epoch_guard eg(this);
    enter(eg);
    if constexpr (!std::is_empty_v<H>) h = hash_of(key);
    if constexpr (lock_free_reads) {
        return read_lock_free(h, key, nullptr);
    } else {
        auto nothing = [](const value_type&) {};
        return read_locked(h, key, nothing);
    }
}

// Bulk lookup. A scalar lookup of a table larger than the cache waits for
// two misses in a row (the head's control line, then the slot); a batch
// issues every key's misses before waiting for any: hash and prefetch the
// control lines, then match tags and prefetch the candidate slots, then
// probe. One reader announcement covers the batch.
template <class S, class H, class E, class A>
template <class It, class F>
inline auto concurrent_table<S, H, E, A>::read_bulk(It first, It last, F& found) const
    -> size_type {
    size_type n = 0;
    std::uint64_t hashes[bulk_batch];
    It keys[bulk_batch];
    bucket_type heads[bulk_batch];
    while (first != last) {
        concurrency::epoch_guard eg(this);
        enter(eg);  // before hashing: see read()
        std::size_t m = 0;
        for (; m < bulk_batch && first != last; ++m, ++first) {
            keys[m] = first;
            hashes[m] = hash_of(*first);
        }
        // Each key's chain is located once. A resize that moves it before the
        // probe is caught there (the chain reads evacuated, or its version
        // moved), and that key is looked up again from the root.
        for (std::size_t i = 0; i < m; ++i) {
            const located at = locate(hashes[i]);
            heads[i] = at.table != nullptr ? at.table->head(at.index) : bucket_type();
            if (at.table != nullptr) __builtin_prefetch(heads[i].ctrl());
        }
        for (std::size_t i = 0; i < m; ++i) {
            if (heads[i] == nullptr) continue;
            const auto match = heads[i]->match_group().match(simd::tag_from_hash(hashes[i]));
            if (match) __builtin_prefetch(heads[i]->slot_at(match.lowest()));
        }
        for (std::size_t i = 0; i < m; ++i) {
            if (heads[i] == nullptr) continue;
            if constexpr (lock_free_reads) {
                std::optional<value_type> v;
                if (read_lock_free(hashes[i], *keys[i], &v, heads[i])) {
                    ++n;
                    callback_scope rg(this);
                    found(static_cast<const value_type&>(*v));
                }
            } else {
                n += read_locked(hashes[i], *keys[i], found);
            }
        }
    }
    return n;
}

// Lock-free lookup (the caller holds an epoch guard): scans with atomic loads
// and validates the chain's version (in its head's control block, the line
// the tags are on), retrying if a writer intervened. Only a validated copy of
// a key reaches the user's equality: a torn or stale {pointer, length} must
// never be compared. Copies the element into *out when out is not null.
// `head`, if given, is the chain the caller located earlier under the same
// guard (bulk lookups); a retry locates the chain afresh from the root.
template <class S, class H, class E, class A>
template <class K>
inline bool concurrent_table<S, H, E, A>::read_lock_free(std::uint64_t h, const K& key,
                                                         std::optional<value_type>* out,
                                                         bucket_type head) const {
    static_assert(lock_free_reads);
    const simd::tag_t tag = simd::tag_from_hash(h);
    for (;; head = bucket_type()) {
        if (head == nullptr) {
            const located at = locate(h);
            if (at.table == nullptr) return false;
            head = at.table->head(at.index);
        }
        const std::uint64_t v = head->read_begin();
        const int r = scan_lock_free(head, tag, key, v, out);
        if (r < 0) continue;
        if (r == 0) {
            // An evacuated chain holds no full slot, so a hit proves the
            // chain live; only a miss needs this check. Moved on: root_
            // tells where.
            if (head->evacuated()) continue;
            return false;
        }
        return true;
    }
}

// 1: found (*out set if out), 0: absent, -1: a writer intervened, retry.
template <class S, class H, class E, class A>
template <class K>
inline int concurrent_table<S, H, E, A>::scan_lock_free(bucket_type head, simd::tag_t tag,
                                                        const K& key, std::uint64_t v,
                                                        std::optional<value_type>* out) const {
    unsigned hops = 0;
    bucket_type b = head;  // a head is never null: no test before the first bucket
    do {
        const auto g = b->match_group();
        for (unsigned i : g.match(tag)) {
            const element_type* sl = b->slot_at(i);
            if (out != nullptr) {
                // Key and value are copied before the check: one validation
                // covers both (a tag false positive, 1 in 256, wastes it).
                out->emplace(S::load(sl));
                if (!head->read_validate(v)) return -1;
                if (eq_(S::key(**out), key)) return 1;
            } else {
                const key_type k = S::load_key(sl);
                if (!head->read_validate(v)) return -1;
                if (eq_(k, key)) return 1;
            }
        }
        if (__builtin_expect(static_cast<bool>(g.match_empty_rest()), 1)) break;
        // A chain rewritten under us could send us round in circles; a
        // periodic check bounds the walk.
        if ((++hops & 7) == 0 && !head->read_validate(v)) return -1;
        b = b->next();
    } while (b != nullptr);
    return head->read_validate(v) ? 0 : -1;
}

// Whether a chain may hold a key of this tag (the caller holds an epoch
// guard; v is the head's even version): 0: no slot has the tag, validated;
// 1: a candidate; -1: a writer intervened. The walk repeats scan_lock_free's
// on purpose: one walk shared through a callback made lock-free finds
// slower (find_hit 2^10 1.50x -> 1.69x absl, find_miss 1.77x -> 2.1x; 3
// alternating runs, bench_map).
template <class S, class H, class E, class A>
inline int concurrent_table<S, H, E, A>::probe_tags(bucket_type head, simd::tag_t tag,
                                                    std::uint64_t v) const noexcept {
    unsigned hops = 0;
    bucket_type b = head;
    do {
        const auto g = b->match_group();
        if (g.match(tag)) return 1;
        if (__builtin_expect(static_cast<bool>(g.match_empty_rest()), 1)) break;
        if ((++hops & 7) == 0 && !head->read_validate(v)) return -1;  // see scan_lock_free
        b = b->next();
    } while (b != nullptr);
    return head->read_validate(v) ? 0 : -1;
}

// Locked lookup (the caller holds an epoch guard): calls
// found(const value_type&) on the element in place, under the stripe's
// shared lock, if present.
template <class S, class H, class E, class A>
template <class K, class Found>
inline bool concurrent_table<S, H, E, A>::read_locked(std::uint64_t h, const K& key,
                                                      Found& found) const {
    const simd::tag_t tag = simd::tag_from_hash(h);
    for (;;) {
        const located at = locate(h);
        if (at.table == nullptr) return false;
        const bucket_type head = at.table->head(at.index);
        // The tags first, without the lock: a chain with no candidate for the
        // key's tag (a miss, unless a full slot's tag collides: 1 in 251
        // each) is a validated miss, as for lock-free reads, and costs the
        // stripe's line nothing. A writer in the chain sends us to the lock.
        // Not for node maps: their hits ran 2.6-4x slower with it (bench_map
        // find_hit_node, 19 -> 50 ns at 2^16; the cause is not established),
        // while string keys' hits were unchanged.
        if constexpr (!S::stable_references) {
            if (const std::uint64_t v = head->read_peek(); (v & 1) == 0) {
                if (probe_tags(head, tag, v) == 0) {
                    if (head->evacuated()) continue;  // moved on: root_ tells where
                    return false;
                }
            }
        }
        concurrency::shared_guard lock(at.table->stripe_of(at.index).lock);
        if (head->evacuated()) continue;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            const auto g = b->match_group();
            for (unsigned i : g.match(tag)) {
                const element_type& e = *b->slot_at(i);
                if (eq_(S::key(e), key)) {
                    callback_scope rg(this);
                    found(static_cast<const value_type&>(S::value(e)));
                    return true;
                }
            }
            if (g.match_empty_rest()) break;
        }
        return false;
    }
}

}  // namespace tophash::detail
