// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// One bucket array: the head buckets' control blocks and slots, the stripes
// that lock them, and the state of the resize it takes part in, from
// allocation to the last released page. Owned by the resizer (resizer.hpp),
// which creates it, publishes it and retires it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "tophash/concurrency/platform.hpp"
#include "tophash/detail/array_memory.hpp"
#include "tophash/detail/bucket.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/growth_policy.hpp"
#include "tophash/detail/stripe.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

// What the resize that published an array does with the old one's chains:
// grow (each old chain splits into X at its index and Y at index + old
// size), compact (same size: each chain is rewritten densely at its index),
// shrink (each chain joins chain index mod new size, with others).
enum class resize_kind : unsigned char { grow, compact, shrink };

// A retired array is freed in steps of release_step buckets, one per
// reclaim(), which a writer runs every 64 writes while anything is pending:
// freeing the last array of a growth to 2^23 at once was its slowest insert
// (docs/design.md, Growth). 8192 buckets: every multiple starts both arrays
// on a page boundary for pages up to 64 KiB.
inline constexpr std::size_t release_step = 8192;
static_assert(release_step * sizeof(bucket_ctrl) % (std::size_t{64} << 10) == 0);
static_assert(release_step * bucket_width % (std::size_t{64} << 10) == 0);

template <class Storage, class Allocator>
class bucket_array {
  public:
    using element_type = typename Storage::element_type;
    using bucket_type = bucket_ref<element_type>;
    using node_type = overflow_node<element_type>;
    using stripe_type = stripe<node_type>;
    using memory = array_memory<Allocator>;
    static constexpr unsigned width = bucket_width;

    // ------------------------------------------------------------ lifecycle
    // An empty array of nbuckets head buckets (a power of two). Throws
    // std::length_error past max_size(), or what the allocator throws.
    static bucket_array* create(const Allocator& a, std::size_t nbuckets) {
        if (nbuckets > max_bucket_count<element_type>()) {
            throw_length_error("tophash: the table cannot grow beyond max_size()");
        }
        bucket_array* t = memory::template allocate<bucket_array>(a, 1, false);
        ::new (static_cast<void*>(t)) bucket_array();
        TOPHASH_TRY {
            const std::size_t nstripes = stripe_type::count_for(nbuckets);
            t->bucket_mask = nbuckets - 1;
            t->stripe_mask = nstripes - 1;
            t->grow_at = capacity_of(nbuckets);
            // Only arrays the kernel populates lazily are worth preparing.
            t->prepare_at = memory::template page_backed<element_type>(2 * nbuckets * width)
                                ? prepare_at_for(t->grow_at)
                                : t->grow_at;
            t->flush_batch = flush_batch_for(t->grow_at, nstripes);
            t->stripes = memory::template allocate<stripe_type>(a, nstripes, false);
            for (std::size_t i = 0; i < nstripes; ++i)
                ::new (&t->stripes[i]) stripe_type();
            TOPHASH_TRY {
                t->ctrls = memory::template allocate<bucket_ctrl>(a, nbuckets, true);
                TOPHASH_TRY {
                    t->slots = memory::template allocate<element_type>(a, nbuckets * width, false);
                }
                TOPHASH_CATCH_ALL {
                    memory::deallocate(a, t->ctrls, nbuckets);
                    TOPHASH_RETHROW;
                }
            }
            TOPHASH_CATCH_ALL {
                memory::deallocate(a, t->stripes, nstripes);
                TOPHASH_RETHROW;
            }
        }
        TOPHASH_CATCH_ALL {
            t->~bucket_array();
            memory::deallocate(a, t, 1);
            TOPHASH_RETHROW;
        }
        return t;
    }

    // Frees an array no thread can reach, destroying the elements it holds.
    static void destroy(const Allocator& a, bucket_array* t) noexcept {
        t->destroy_buckets(a, 0, t->bucket_count());
        free(a, t);
    }

    // Frees what destroy_buckets leaves: stripes and their spare nodes, the
    // arrays (unless release_some already gave their pages back), the object.
    static void free(const Allocator& a, bucket_array* t) noexcept {
        const std::size_t nb = t->bucket_count();
        for (std::size_t i = 0; i < t->stripe_count(); ++i) {
            for (node_type* b = t->stripes[i].free_overflow; b != nullptr;) {
                node_type* n = static_cast<node_type*>(b->ctrl.overflow);
                memory::deallocate(a, b, 1);
                b = n;
            }
            t->stripes[i].~stripe_type();
        }
        memory::deallocate(a, t->stripes, t->stripe_count());
        const bool released = t->released_buckets == nb;
        if (!released || !memory::template page_backed<bucket_ctrl>(nb))
            memory::deallocate(a, t->ctrls, nb);
        if (!released || !memory::template page_backed<element_type>(nb * width))
            memory::deallocate(a, t->slots, nb * width);
        t->~bucket_array();
        memory::deallocate(a, t, 1);
    }

    // One step of freeing a retired array (it holds no elements, all were
    // evacuated, only memory: overflow nodes and, for a large one, hundreds
    // of MB of pages). True once t is gone.
    static bool release_some(const Allocator& a, bucket_array* t) noexcept {
        const std::size_t nb = t->bucket_count();
        if (nb < 2 * release_step) {
            destroy(a, t);
            return true;
        }
        const std::size_t from = t->released_buckets;
        const std::size_t to = std::min(nb, from + release_step);
        t->destroy_buckets(a, from, to);
        if (memory::template page_backed<bucket_ctrl>(nb))
            memory::release_pages(t->ctrls, from, to);
        if (memory::template page_backed<element_type>(nb * width))
            memory::release_pages(t->slots, from * width, to * width);
        t->released_buckets = to;
        if (to < nb) return false;
        free(a, t);
        return true;
    }

    // ------------------------------------------------------------ geometry
    std::size_t bucket_count() const noexcept { return bucket_mask + 1; }
    std::size_t stripe_count() const noexcept { return stripe_mask + 1; }
    std::size_t index_of(std::uint64_t h) const noexcept { return h & bucket_mask; }
    stripe_type& stripe_of(std::size_t bucket_index) const noexcept {
        return stripes[bucket_index & stripe_mask];
    }
    bucket_type head(std::size_t bucket_index) const noexcept {
        return bucket_type(&ctrls[bucket_index], slots + bucket_index * width);
    }
    // Bytes held, and what a user allocator's blocks add (array_memory).
    std::size_t bytes() const noexcept {
        return sizeof(bucket_array) +
               bucket_count() * (sizeof(bucket_ctrl) + width * sizeof(element_type)) +
               stripe_count() * sizeof(stripe_type) +
               overflow_count.load(std::memory_order_relaxed) * sizeof(node_type);
    }
    std::size_t block_overheads() const noexcept {
        return memory::template overhead<bucket_array>() +
               memory::template overhead<stripe_type>() + memory::template overhead<bucket_ctrl>() +
               memory::template overhead<element_type>() +
               overflow_count.load(std::memory_order_relaxed) *
                   memory::template overhead<node_type>();
    }
    // The net count of the writes done in this array (see inherited).
    std::int64_t stripe_sum() const noexcept {
        std::int64_t n = 0;
        for (std::size_t i = 0; i < stripe_count(); ++i)
            n += stripes[i].count.load(std::memory_order_relaxed);
        return n;
    }

    // ------------------------------------------------------------ overflow buckets
    // A bucket for chain growth: the stripe's spare one, or a new node.
    bucket_type take_overflow(const Allocator& a, stripe_type& s) {
        if (node_type* n = s.free_overflow) {
            s.free_overflow = static_cast<node_type*>(n->ctrl.overflow);
            const bucket_type b(n);
            b.reset();
            return b;
        }
        node_type* n = memory::template allocate<node_type>(a, 1, true);
        overflow_count.fetch_add(1, std::memory_order_relaxed);
        return bucket_type(n);
    }
    // Emptied overflow buckets stay with their stripe: an optimistic reader
    // that still follows a stale link lands in memory of the same stripe and
    // array, whose version it validates.
    static void give_back_overflow(stripe_type& s, bucket_type b) noexcept {
        b.reset();
        b.set_next(bucket_type(s.free_overflow));
        s.free_overflow = b.as_node();
    }

    // ------------------------------------------------------------ data
    // Read by every operation, written only while the array is set up and
    // when a resize starts or ends: apart from the counters below, which
    // writers bump during a resize. Sharing a line with them, every lookup
    // of the other threads missed on `old` while an evacuation ran.
    std::size_t bucket_mask = 0;
    std::size_t stripe_mask = 0;
    bucket_ctrl* ctrls = nullptr;   // zeroed: all buckets empty
    element_type* slots = nullptr;  // uninitialised until a tag says full
    stripe_type* stripes = nullptr;
    std::size_t grow_at = 0;       // element count that starts the next growth
    std::size_t prepare_at = 0;    // count that starts preparing the next array
    std::int64_t flush_batch = 1;  // see resizer::note_count
    // Resize state while this array is the target of an evacuation.
    std::atomic<bucket_array*> old{nullptr};
    // The array that took over this one's elements, set before it is
    // published: a traversal that finds a bucket evacuated follows it.
    std::atomic<bucket_array*> next{nullptr};
    resize_kind kind = resize_kind::grow;  // of the resize that published this array

    // Written by writers (atomic RMWs while an evacuation runs). evac_cursor:
    // the next old bucket handed to a helping write.
    alignas(concurrency::cache_line) std::atomic<std::size_t> evac_cursor{0};
    std::atomic<std::size_t> evac_sweep{0};  // below it, every old bucket is evacuated
    // Old stripes whose every bucket has moved. Counted per stripe, not per
    // bucket: a count per bucket was an RMW on this shared line by every
    // evacuation (docs/design.md, Concurrency).
    std::atomic<std::size_t> evac_stripes_done{0};

    // Elements are counted per stripe of the array the write happened in,
    // and evacuation moves none of those counts. The elements an array holds
    // are therefore `inherited` (what its old array's counts summed to once
    // that array was fully evacuated) plus its own stripes' counts; until the
    // old array is finished, `inherited` is `not_inherited` and its counts are
    // read from the old array itself (resizer::count_elements).
    static constexpr std::int64_t not_inherited = INT64_MIN;
    std::atomic<std::int64_t> inherited{0};

    std::atomic<std::size_t> overflow_count{0};  // overflow buckets allocated for this array
    std::size_t released_buckets = 0;            // of a retired array: buckets already freed

  private:
    bucket_array() = default;
    ~bucket_array() = default;

    // The elements and overflow nodes of buckets [from, to).
    void destroy_buckets(const Allocator& a, std::size_t from, std::size_t to) noexcept {
        for (std::size_t i = from; i < to; ++i) {
            const bucket_type h = head(i);
            for (bucket_type b = h; b != nullptr;) {
                const bucket_type n = b->next();
                if constexpr (!Storage::trivially_destructible) {
                    for (unsigned s : b->match_group().match_full())
                        Storage::destroy(a, b->slot_at(s));
                }
                if (b != h) memory::deallocate(a, b.as_node(), 1);
                b = n;
            }
        }
    }
};

}  // namespace tophash::detail
