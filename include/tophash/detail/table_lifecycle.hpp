// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Bucket arrays from birth to death: allocation, destruction of what they
// hold, and the retirement of an evacuated array in steps. Part of
// concurrent_table (declared in concurrent_table.hpp).
#pragma once

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

template <class S, class H, class E, class A>
inline concurrent_table<S, H, E, A>::concurrent_table(size_type capacity, const H& hash,
                                                      const E& eq, const A& alloc)
    : hash_(hash), eq_(eq), alloc_(alloc) {
    if (capacity != 0) root_.store(make_table(buckets_for_capacity<element_type>(capacity)));
}

template <class S, class H, class E, class A>
inline concurrent_table<S, H, E, A>::concurrent_table(concurrent_table&& other) noexcept
    : hash_(std::move(other.hash_)), eq_(std::move(other.eq_)), alloc_(other.alloc_) {
    steal(other);
}

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::make_table(std::size_t nbuckets) -> table_type* {
    if (nbuckets > max_bucket_count<element_type>()) {
        throw_length_error("tophash: the table cannot grow beyond max_size()");
    }
    table_type* t = memory::template allocate<table_type>(alloc_, 1, false);
    ::new (static_cast<void*>(t)) table_type();
    TOPHASH_TRY {
        const std::size_t nstripes = table_type::stripes_for(nbuckets);
        t->bucket_mask = nbuckets - 1;
        t->stripe_mask = nstripes - 1;
        t->grow_at = capacity_of(nbuckets);
        t->prepare_at = memory::template page_backed<element_type>(2 * nbuckets * width)
                            ? t->grow_at - t->grow_at / prepare_fraction
                            : t->grow_at;
        // The estimate's error is at most stripes * batch = grow_at / 16.
        const std::size_t batch = t->grow_at / (nstripes * 16);
        t->flush_batch = batch > 0 ? static_cast<std::int64_t>(batch) : 1;
        t->stripes = memory::template allocate<stripe_type>(alloc_, nstripes, false);
        for (std::size_t i = 0; i < nstripes; ++i)
            ::new (&t->stripes[i]) stripe_type();
        TOPHASH_TRY {
            t->ctrls = memory::template allocate<bucket_ctrl>(alloc_, nbuckets, true);
            TOPHASH_TRY {
                t->slots = memory::template allocate<element_type>(alloc_, nbuckets * width, false);
            }
            TOPHASH_CATCH_ALL {
                memory::deallocate(alloc_, t->ctrls, nbuckets);
                TOPHASH_RETHROW;
            }
        }
        TOPHASH_CATCH_ALL {
            memory::deallocate(alloc_, t->stripes, nstripes);
            TOPHASH_RETHROW;
        }
    }
    TOPHASH_CATCH_ALL {
        t->~table_type();
        memory::deallocate(alloc_, t, 1);
        TOPHASH_RETHROW;
    }
    return t;
}

// Frees a table no thread can reach, destroying the elements it still owns.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::destroy_table(table_type* t) noexcept {
    destroy_buckets(*t, 0, t->bucket_count());
    free_table(t);
}

// The elements and overflow nodes of buckets [from, to).
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::destroy_buckets(table_type& t, std::size_t from,
                                                          std::size_t to) noexcept {
    for (std::size_t i = from; i < to; ++i) {
        const bucket_type head = t.head(i);
        destroy_chain_elements(head);
        for (bucket_type b = head->next(); b != nullptr;) {
            const bucket_type n = b->next();
            memory::deallocate(alloc_, b.as_node(), 1);
            b = n;
        }
    }
}

// What destroy_buckets leaves: stripes and their spare nodes, the arrays
// (unless destroy_retired already gave their pages back), the table.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::free_table(table_type* t) noexcept {
    const std::size_t nb = t->bucket_count();
    for (std::size_t i = 0; i < t->stripe_count(); ++i) {
        for (node_type* b = t->stripes[i].free_overflow; b != nullptr;) {
            node_type* n = static_cast<node_type*>(b->ctrl.overflow);
            memory::deallocate(alloc_, b, 1);
            b = n;
        }
        t->stripes[i].~stripe_type();
    }
    memory::deallocate(alloc_, t->stripes, t->stripe_count());
    const bool released = t->released_buckets == nb;
    if (!released || !memory::template page_backed<bucket_ctrl>(nb))
        memory::deallocate(alloc_, t->ctrls, nb);
    if (!released || !memory::template page_backed<element_type>(nb * width))
        memory::deallocate(alloc_, t->slots, nb * width);
    t->~table_type();
    memory::deallocate(alloc_, t, 1);
}

// A retired table holds no elements (all were evacuated), only memory:
// overflow nodes and, for a large one, hundreds of MB of pages. Freeing it at
// once took 35-43 ms for the last array of a growth to 2^23 elements (walking
// its chains and unmapping its pages) and was the slowest insert of the
// growth (bench_map grow/tophash max_ns). So it is freed in steps of
// release_step buckets, one per reclaim(), which a writer runs every 64
// writes while anything is pending: tens of microseconds a step, fewer
// such inserts than the next array's populate steps (growth.hpp).
inline constexpr std::size_t release_step = 8192;
// 8192 buckets: 256 KiB of control blocks and 128 Ki slots. Every multiple of
// 8192 buckets starts both arrays on a page boundary for pages up to 64 KiB
// (32 B x 8192 = 256 KiB; slots: 16 x 8192 x sizeof(slot), a multiple of
// 64 KiB).
static_assert(release_step * sizeof(bucket_ctrl) % (std::size_t{64} << 10) == 0);
static_assert(release_step * bucket_width % (std::size_t{64} << 10) == 0);

template <class S, class H, class E, class A>
inline bool concurrent_table<S, H, E, A>::destroy_retired(void* object, void* context) noexcept {
    concurrency::epoch_detail::tsan_before_free();
    auto* self = static_cast<concurrent_table*>(context);
    auto* t = static_cast<table_type*>(object);
    const std::size_t nb = t->bucket_count();
    if (nb < 2 * release_step) {
        self->destroy_table(t);
        return true;
    }
    const std::size_t from = t->released_buckets;
    const std::size_t to = std::min(nb, from + release_step);
    self->destroy_buckets(*t, from, to);
    if (memory::template page_backed<bucket_ctrl>(nb)) memory::release_pages(t->ctrls, from, to);
    if (memory::template page_backed<element_type>(nb * width))
        memory::release_pages(t->slots, from * width, to * width);
    t->released_buckets = to;
    if (to < nb) return false;
    self->free_table(t);
    return true;
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::destroy_chain_elements(bucket_type head) noexcept {
    if constexpr (!S::trivially_destructible) {
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            for (unsigned i = 0; i < width; ++i) {
                if (simd::is_full(b->tag(i))) S::destroy(alloc_, b->slot_at(i));
            }
        }
    } else {
        (void)head;
    }
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::release_all() noexcept {
    retired_.drain();
    drop_prepared();
    if (table_type* t = root_.load(std::memory_order_relaxed)) {
        if (table_type* o = t->old.load(std::memory_order_relaxed)) destroy_table(o);
        destroy_table(t);
    }
    root_.store(nullptr, std::memory_order_relaxed);
    approx_size_.store(0, std::memory_order_relaxed);
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::steal(concurrent_table& other) noexcept {
    other.retired_.drain();  // its deleters refer to `other`
    drop_prepared();
    prepared_ = std::exchange(other.prepared_, nullptr);
    prepared_done_ = std::exchange(other.prepared_done_, 0);
    root_.store(other.root_.exchange(nullptr, std::memory_order_relaxed),
                std::memory_order_relaxed);
    approx_size_.store(other.approx_size_.exchange(0, std::memory_order_relaxed),
                       std::memory_order_relaxed);
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::create_first_table(std::size_t nbuckets) {
    std::lock_guard<std::mutex> lock(grow_mutex_);
    if (root_.load(std::memory_order_acquire) == nullptr) {
        root_.store(make_table(nbuckets), std::memory_order_release);
    }
}

}  // namespace tophash::detail
