// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Counting elements and deciding to grow: exact per-stripe counts for size(),
// a batched estimate for the growth trigger, publishing the next array, and
// reserve(). Part of concurrent_table (declared in concurrent_table.hpp).
#pragma once

#include <algorithm>
#include <mutex>

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

// Exact per-stripe counts serve size(); growth needs the total on every
// insert, which one shared counter would turn into a hot cache line. Each
// stripe instead adds its change to approx_size_ once it reaches
// flush_batch, so the estimate lags by at most grow_at / 16 and the shared
// line is written once per batch. Returns whether the table should grow.
template <class S, class H, class E, class A>
inline bool concurrent_table<S, H, E, A>::note_count(table_type& t, stripe_type& s,
                                                     std::int64_t delta) noexcept {
    s.count.store(s.count.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    s.pending += delta;
    if (s.pending >= t.flush_batch || s.pending <= -t.flush_batch) {
        const std::int64_t now =
            approx_size_.fetch_add(s.pending, std::memory_order_relaxed) + s.pending;
        s.pending = 0;
        return delta > 0 && now > static_cast<std::int64_t>(t.grow_at);
    }
    return false;
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::flush_pending(stripe_type& s) noexcept {
    if (s.pending != 0) {
        approx_size_.fetch_add(s.pending, std::memory_order_relaxed);
        s.pending = 0;
    }
}

// The net count of the writes done in t (see table::inherited).
template <class S, class H, class E, class A>
inline std::int64_t concurrent_table<S, H, E, A>::stripe_sum(const table_type& t) noexcept {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < t.stripe_count(); ++i) {
        n += t.stripes[i].count.load(std::memory_order_relaxed);
    }
    return n;
}

// Exact whenever no insert or erase completes during the call (resizes,
// visits and reserve may run); otherwise it sums per-stripe counts read at
// slightly different times and is off by at most the number of inserts and
// erases that overlapped the call.
template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::size() const noexcept -> size_type {
    concurrency::epoch_guard g;
    const table_type* t = root_.load(std::memory_order_acquire);
    if (t == nullptr) return 0;
    std::int64_t n = stripe_sum(*t);
    std::int64_t inherited = t->inherited.load(std::memory_order_acquire);
    if (inherited == table_type::not_inherited) {
        // Resizing: the old array's counts still hold what it had before
        // evacuation began. If it finished since, `inherited` was set before
        // `old` was cleared.
        if (const table_type* o = t->old.load(std::memory_order_acquire)) {
            inherited = o->inherited.load(std::memory_order_relaxed) + stripe_sum(*o);
        } else {
            inherited = t->inherited.load(std::memory_order_acquire);
        }
    }
    n += inherited;
    return n > 0 ? static_cast<size_type>(n) : 0;
}

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::bucket_count() const noexcept -> size_type {
    concurrency::epoch_guard g;
    const table_type* t = root_.load(std::memory_order_acquire);
    return t == nullptr ? 0 : t->bucket_count();
}

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::max_load() const noexcept -> size_type {
    concurrency::epoch_guard g;
    const table_type* t = root_.load(std::memory_order_acquire);
    return t == nullptr ? 0 : t->grow_at;
}

// Same-size evacuation compacts chains that churn left long but sparse: at
// least as many overflow buckets as head buckets, yet under half of all their
// slots in use. A hash that sends many keys to one bucket gives long but
// dense chains, which compaction cannot shorten: they never trigger it, so
// such input degrades to chain scans, not to endless resizing.
template <class S, class H, class E, class A>
inline bool concurrent_table<S, H, E, A>::overflow_pressure(const table_type& t) const noexcept {
    const std::size_t ov = t.overflow_count.load(std::memory_order_relaxed);
    if (ov < t.bucket_count() || ov < 16) return false;
    const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
    return n < static_cast<std::int64_t>((t.bucket_count() + ov) * width / 2);
}

// Publishes a new array (twice the size, or the same size to compact) that
// writers will fill incrementally. After a write, a failure to allocate it
// (whatever the allocator throws) only postpones growth: the write has
// completed, chains absorb the elements until a later write retries;
// reserve() propagates it.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::grow_after_write(table_type* t) noexcept {
    std::unique_lock<std::mutex> lock(grow_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is growing, or stats() runs
    if (root_.load(std::memory_order_acquire) != t) return;
    if (t->old.load(std::memory_order_acquire) != nullptr) return;  // still evacuating
    const bool by_count =
        approx_size_.load(std::memory_order_relaxed) > static_cast<std::int64_t>(t->grow_at);
    if (!by_count && !overflow_pressure(*t)) return;
    TOPHASH_TRY {
        publish_new_table(t, by_count ? t->bucket_count() * 2 : t->bucket_count());
    }
    TOPHASH_CATCH_ALL {}
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::grow_for_reserve(table_type* t) {
    std::lock_guard<std::mutex> lock(grow_mutex_);
    if (root_.load(std::memory_order_acquire) != t) return;
    if (t->old.load(std::memory_order_acquire) != nullptr) return;
    publish_new_table(t, t->bucket_count() * 2);
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::publish_new_table(table_type* t, std::size_t nbuckets) {
    retired_.reserve(1);  // so that finishing the evacuation cannot fail
    table_type* nt = make_table(nbuckets);
    nt->same_size = nbuckets == t->bucket_count();
    nt->inherited.store(table_type::not_inherited, std::memory_order_relaxed);
    nt->old.store(t, std::memory_order_relaxed);
    t->next.store(nt, std::memory_order_relaxed);  // published by root_ below
    root_.store(nt, std::memory_order_release);
}

// Makes room for n elements without further growth. Finishes a resize in
// progress and doubles as often as needed; the calling thread does the
// evacuation work, other threads keep running. Throws std::length_error if
// n > max_size().
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::reserve(size_type n) {
    check_reentry("reserve");
    const std::size_t wanted = buckets_for_capacity<element_type>(n);
    for (;;) {
        {
            concurrency::epoch_guard g;
            table_type* t = root_.load(std::memory_order_acquire);
            if (t == nullptr) {
                create_first_table(wanted);
                continue;
            }
            if (table_type* o = t->old.load(std::memory_order_acquire)) {
                evacuate_all(*t, *o);
                continue;
            }
            if (t->grow_at >= n) break;
            grow_for_reserve(t);
        }
        retired_.reclaim();
    }
    retired_.reclaim();
}

// Moves the elements into the smallest array that holds n of them (and at
// least size()), if that is smaller than the current one: a new array is
// published and evacuated like a growth (old buckets merge, two or more into
// one), writers help as they pass, and the calling thread finishes it.
// Readers and writers keep running; the old array is freed when the last
// reader that saw it has left.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::shrink(size_type n) {
    check_reentry("shrink_to_fit");
    for (bool published = false;;) {
        {
            concurrency::epoch_guard g;
            table_type* t = root_.load(std::memory_order_acquire);
            if (t == nullptr) return;
            if (table_type* o = t->old.load(std::memory_order_acquire)) {
                evacuate_all(*t, *o);
                continue;
            }
            if (published) break;
            const std::size_t wanted = buckets_for_capacity<element_type>(std::max(n, size()));
            if (wanted >= t->bucket_count()) break;
            std::lock_guard<std::mutex> lock(grow_mutex_);
            if (root_.load(std::memory_order_acquire) != t) continue;
            if (t->old.load(std::memory_order_acquire) != nullptr) continue;
            publish_new_table(t, wanted);
            published = true;
        }
        retired_.reclaim();
    }
    retired_.reclaim();
}

}  // namespace tophash::detail
