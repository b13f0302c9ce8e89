// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Counting elements and deciding to grow: exact per-stripe counts for size(),
// a batched estimate for the growth trigger, publishing the next array, and
// reserve(). Part of concurrent_table (declared in concurrent_table.hpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

// Paces the populate steps; the vDSO clock read costs ~20 ns, once per flush.
inline std::int64_t monotonic_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

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
        return delta > 0 && now > static_cast<std::int64_t>(t.prepare_at);
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
    concurrency::epoch_guard g(this);
    enter(g);
    return count_elements(root_.load(std::memory_order_acquire));
}

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::count_elements(const table_type* t) noexcept
    -> size_type {
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
    concurrency::epoch_guard g(this);
    enter(g);
    const table_type* t = root_.load(std::memory_order_acquire);
    return t == nullptr ? 0 : t->bucket_count();
}

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::max_load() const noexcept -> size_type {
    concurrency::epoch_guard g(this);
    enter(g);
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
    const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
    const bool by_count = n > static_cast<std::int64_t>(t->grow_at);
    if (!by_count && !overflow_pressure(*t)) {
        if (n > static_cast<std::int64_t>(t->prepare_at)) prepare_next(t);
        return;
    }
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
    table_type* nt = nullptr;
    if (prepared_ != nullptr && prepared_->bucket_count() == nbuckets) {
        nt = std::exchange(prepared_, nullptr);
        prepared_done_ = 0;
    } else {
        // Kept for the growth after a same-size compaction; other sizes go.
        if (prepared_ != nullptr && prepared_->bucket_count() != 2 * nbuckets) drop_prepared();
        nt = make_table(nbuckets);
    }
    nt->same_size = nbuckets == t->bucket_count();
    nt->inherited.store(table_type::not_inherited, std::memory_order_relaxed);
    nt->old.store(t, std::memory_order_relaxed);
    t->next.store(nt, std::memory_order_relaxed);  // published by root_ below
    root_.store(nt, std::memory_order_release);
}

// A growth's evacuations write the new array in the order of the buckets
// that writers touch, at random: left to fault in lazily, one insert in a
// hundred or so took a page fault (1-11 us on our VMs) while the array
// filled, the p99 and p99.9 of growth. So the array is allocated shortly
// before growth starts and faulted in populate_step bytes per call here, run
// by writes that flush their stripe's count past prepare_at: a few hundred
// inserts in a growth to 2^23 pay ~0.3 ms each, the rest none. The price is
// memory: from prepare_at on, the next array is resident although the
// table may stop growing. Steps are paced (populate_rest): where faults are
// dear, part of the array is still unpopulated when growth starts and the
// evacuations fault it in. Called with grow_mutex_ held; an allocation that
// fails only leaves growth to fault lazily.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::prepare_next(table_type* t) noexcept {
    const std::size_t nb = 2 * t->bucket_count();
    if (prepared_ != nullptr && prepared_->bucket_count() != nb) drop_prepared();
    if (prepared_ == nullptr) {
        if (nb > max_bucket_count<element_type>()) return;
        TOPHASH_TRY {
            prepared_ = make_table(nb);
        }
        TOPHASH_CATCH_ALL {
            return;
        }
        prepared_done_ = 0;
    }
    // The page-backed arrays, control blocks first, as one byte range.
    const std::size_t cbytes =
        memory::template page_backed<bucket_ctrl>(nb) ? nb * sizeof(bucket_ctrl) : 0;
    const std::size_t sbytes = memory::template page_backed<element_type>(nb * width)
                                   ? nb * width * sizeof(element_type)
                                   : 0;
    const std::size_t from = prepared_done_;
    if (from >= cbytes + sbytes) return;
    const std::int64_t start = monotonic_ns();
    if (start < populate_resume_ns_) return;
    const std::size_t to = std::min(from + populate_step, cbytes + sbytes);
    if (from < cbytes) {
        populate_pages(reinterpret_cast<char*>(prepared_->ctrls) + from,
                       std::min(to, cbytes) - from);
    }
    if (to > cbytes) {
        const std::size_t s = std::max(from, cbytes) - cbytes;
        populate_pages(reinterpret_cast<char*>(prepared_->slots) + s, to - cbytes - s);
    }
    prepared_done_ = to;
    const std::int64_t end = monotonic_ns();
    populate_resume_ns_ = end + (end - start) * populate_rest;
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::drop_prepared() noexcept {
    if (prepared_ != nullptr) free_table(std::exchange(prepared_, nullptr));
    prepared_done_ = 0;
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
            concurrency::epoch_guard g(this);
            enter(g);
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
            concurrency::epoch_guard g(this);
            enter(g);
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
