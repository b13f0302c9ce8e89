// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// One bucket array with its stripe locks and resize state.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "tophash/concurrency/platform.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/detail/bucket.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/page_memory.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

// Growth starts when the element count passes 13/16 of the head slots: Go's
// 6.5 per 8-slot bucket, where chains stay short (about 1.1 buckets probed
// per lookup with a good hash) without the memory of a lower limit.
inline constexpr std::size_t max_load_num = 13;
inline constexpr std::size_t max_load_den = 16;

// The next array of a growth is allocated once the count passes
// 1 - 1/prepare_fraction of grow_at, and faulted in populate_step bytes at a
// time by the writes that follow (growth.hpp). 1/16 of a growth period is
// at least 64 x the stripe count flushes of the size estimate, far more
// than the populate steps an array needs, so it is ready before growth starts.
inline constexpr std::size_t prepare_fraction = 16;
// 2 MiB: 512 faults of 4 KiB pages, 0.6-0.9 ms at 1.1-1.3 us per fault on
// the x86 VMs we measure on, 1/170 of absl's slowest insert (its rehash);
// about 290 steps in a growth to 2^23 elements, under 1 insert in 10^4.
// 1 MiB steps (0.3 ms) were twice as many and, with the machine's own
// interruptions, pushed the p99.99 of that growth from 18 to 80 us.
inline constexpr std::size_t populate_step = std::size_t{2} << 20;
// After a populate step that took d, none starts for populate_rest x d, so
// populating (one thread at a time) takes at most half of the wall time.
// Unpaced, the steps ran back to back wherever faults cost more than the
// window's inserts (a 1.4 GB next array on a fresh VM: 5.5 ms per step, 3 s
// in all): in kv_server under redis-benchmark, throughput fell to 5% for
// 1.5 s and MSET's p99.9 was 88-134 ms. Paced, what is not populated when
// growth starts is faulted in by the evacuations (p99.9 24 ms);
// single-thread growth percentiles were unchanged (docs/design.md, Growth).
inline constexpr std::int64_t populate_rest = 1;

// One stripe per 4 buckets, at most 4096: the lock array stays under 7% of
// the bucket memory for small tables (64 B per 4 x 280 B buckets) and 4096
// stripes make two writers collide with probability 1/4096 on large ones.
inline constexpr std::size_t buckets_per_stripe = 4;
inline constexpr std::size_t max_stripes = 4096;

template <class Node>
struct alignas(concurrency::cache_line) stripe {
    concurrency::stripe_lock lock;
    std::atomic<std::int64_t> count{0};  // elements in this stripe's buckets; written under lock
    std::int64_t pending = 0;            // count change not yet added to the map's estimate
    Node* free_overflow = nullptr;       // emptied overflow nodes, linked by ctrl.overflow
    // Of an array being evacuated: how many of this stripe's buckets have
    // moved; written under lock, read by stats() and evacuate_bucket.
    std::atomic<std::size_t> evacuated{0};
};

template <class Slot>
struct table {
    using bucket_type = bucket_ref<Slot>;
    using node_type = overflow_node<Slot>;
    using stripe_type = stripe<node_type>;

    // Read by every operation, written only while the array is set up and
    // when a growth starts or ends: apart from the counters below, which
    // writers bump during growth. Sharing a line with them, every lookup of
    // the other threads missed on `old` while an evacuation ran (2-thread
    // parallel_load scaled 1.12x).
    std::size_t bucket_mask = 0;
    std::size_t stripe_mask = 0;
    bucket_ctrl* ctrls = nullptr;  // zeroed: all buckets empty
    Slot* slots = nullptr;         // uninitialised until a tag says full
    stripe_type* stripes = nullptr;
    std::size_t grow_at = 0;       // element count that starts the next growth
    std::size_t prepare_at = 0;    // count that starts preparing the next array (growth.hpp)
    std::int64_t flush_batch = 1;  // see concurrent_map::note_count
    // Resize state while this array is the target of an evacuation.
    std::atomic<table*> old{nullptr};
    // The array that took over this one's elements, set before it is
    // published: a traversal that finds a bucket evacuated follows it.
    std::atomic<table*> next{nullptr};
    bool same_size = false;

    // Written by writers (atomic RMWs while an evacuation runs). evac_cursor:
    // the next old bucket handed to a helping write.
    alignas(concurrency::cache_line) std::atomic<std::size_t> evac_cursor{0};
    std::atomic<std::size_t> evac_sweep{0};  // below it, every old bucket is evacuated
    // Old stripes whose every bucket has moved. Counted per stripe, not per
    // bucket: a count per bucket was an RMW on this shared line by every
    // evacuation, 65% of evacuate_bucket's own time in a 2-thread
    // parallel_load (perf annotate).
    std::atomic<std::size_t> evac_stripes_done{0};

    // Elements are counted per stripe of the array the write happened in,
    // and evacuation moves none of those counts. The elements an array holds
    // are therefore `inherited` (what its old array's counts summed to once
    // that array was fully evacuated) plus its own stripes' counts; until the
    // old array is finished, `inherited` is `not_inherited` and its counts are
    // read from the old array itself (concurrent_map::size).
    static constexpr std::int64_t not_inherited = INT64_MIN;
    std::atomic<std::int64_t> inherited{0};

    std::atomic<std::size_t> overflow_count{0};  // overflow buckets allocated for this array
    std::size_t released_buckets = 0;            // of a retired array: buckets already freed

    std::size_t bucket_count() const noexcept { return bucket_mask + 1; }
    std::size_t stripe_count() const noexcept { return stripe_mask + 1; }
    stripe_type& stripe_of(std::size_t bucket_index) const noexcept {
        return stripes[bucket_index & stripe_mask];
    }
    bucket_type head(std::size_t bucket_index) const noexcept {
        return bucket_type(&ctrls[bucket_index], slots + bucket_index * bucket_width);
    }
    std::size_t bytes() const noexcept {
        return sizeof(table) +
               bucket_count() * (sizeof(bucket_ctrl) + bucket_width * sizeof(Slot)) +
               stripe_count() * sizeof(stripe_type) +
               overflow_count.load(std::memory_order_relaxed) * sizeof(node_type);
    }

    static std::size_t stripes_for(std::size_t nbuckets) noexcept {
        std::size_t s = nbuckets / buckets_per_stripe;
        if (s == 0) s = 1;
        return s < max_stripes ? s : max_stripes;
    }
};

// Elements a table of `buckets` head buckets holds before it grows (13 per
// bucket: the division is exact, so capacity_of never rounds).
static_assert(bucket_width * max_load_num % max_load_den == 0);
inline constexpr std::size_t per_bucket_capacity = bucket_width * max_load_num / max_load_den;
constexpr std::size_t capacity_of(std::size_t buckets) noexcept {
    return buckets * per_bucket_capacity;
}

// The most head buckets a table of Slot may have: a power of two whose arrays
// fit in PTRDIFF_MAX bytes, the limit of any one object. Far beyond any real
// memory, but it keeps every size computation below from wrapping.
template <class Slot>
constexpr std::size_t max_bucket_count() noexcept {
    constexpr std::size_t per_bucket = sizeof(bucket_ctrl) + bucket_width * sizeof(Slot);
    std::size_t b = std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 2);
    while (b > static_cast<std::size_t>(PTRDIFF_MAX) / per_bucket)
        b >>= 1;
    return b;
}
template <class Slot>
constexpr std::size_t max_capacity() noexcept {
    return capacity_of(max_bucket_count<Slot>());
}

// Smallest power-of-two bucket count whose capacity is >= n. Throws
// std::length_error past max_capacity (as std::vector::reserve does).
template <class Slot>
std::size_t buckets_for_capacity(std::size_t n) {
    if (n > max_capacity<Slot>()) {
        throw_length_error("tophash: requested capacity exceeds max_size()");
    }
    std::size_t b = 1;
    while (capacity_of(b) < n)
        b *= 2;
    return b;
}

// Allocation of zeroed memory (control blocks, overflow nodes) and of raw
// memory (slots). With std::allocator, arrays of page_memory_min_bytes or more
// are fresh pages from the kernel, zero and untouched: allocating the new
// array of a resize costs no pass over it, and pages are faulted in by the
// evacuations that fill them. Smaller ones come from calloc/malloc. Other
// allocators get allocate() + memset (documented in docs/design.md).
// Allocators must return raw pointers.
template <class Alloc>
struct table_memory {
    template <class U>
    static constexpr bool uses_calloc =
        std::is_same_v<Alloc, std::allocator<typename Alloc::value_type>> &&
        alignof(U) <= alignof(std::max_align_t);

    // Whether an array of n U's is whole pages of its own (see page_memory.hpp).
    // Only such arrays are ever released in parts (release_pages).
    template <class U>
    static constexpr bool page_backed(std::size_t n) noexcept {
        return TOPHASH_HAVE_PAGE_MEMORY && uses_calloc<U> && n * sizeof(U) >= page_memory_min_bytes;
    }

    template <class U>
    static U* allocate(const Alloc& a, std::size_t n, bool zeroed) {
        if (n > SIZE_MAX / sizeof(U)) throw_bad_alloc();
        if constexpr (uses_calloc<U>) {
            if (page_backed<U>(n)) return static_cast<U*>(allocate_pages(n * sizeof(U)));
            void* p = zeroed ? std::calloc(n, sizeof(U)) : std::malloc(n * sizeof(U));
            if (p == nullptr) throw_bad_alloc();
            return static_cast<U*>(p);
        } else {
            U* p = static_cast<U*>(user_block::allocate(a, n * sizeof(U), alignof(U)));
            if (zeroed) std::memset(static_cast<void*>(p), 0, n * sizeof(U));
            return p;
        }
    }
    template <class U>
    static void deallocate(const Alloc& a, U* p, std::size_t n) noexcept {
        if constexpr (uses_calloc<U>) {
            (void)a;
            if (page_backed<U>(n)) {
                deallocate_pages(p, n * sizeof(U));
            } else {
                std::free(p);
            }
        } else {
            user_block::deallocate(a, p, n * sizeof(U), alignof(U));
        }
    }

    // Internal arrays from the user's allocator, as bytes: its rebound
    // allocator of U may return less than alignof(U) (one built on
    // ::operator new(n * sizeof(T)) gives 16 bytes; stripes want 64), and
    // its pointer may be a class (fancy pointers). So each block is
    // over-allocated, aligned here, and keeps the allocator's own pointer
    // just before the aligned start, constructed in place (an offset
    // pointer must not be copied bytewise).
    struct user_block {
        using byte_alloc =
            typename std::allocator_traits<Alloc>::template rebind_alloc<unsigned char>;
        using byte_traits = std::allocator_traits<byte_alloc>;
        using byte_pointer = typename byte_traits::pointer;
        static constexpr std::size_t header = sizeof(byte_pointer) + alignof(byte_pointer);
        static std::size_t total(std::size_t bytes, std::size_t align) noexcept {
            return bytes + header + align;
        }
        static void* allocate(const Alloc& a, std::size_t bytes, std::size_t align) {
            if (bytes > SIZE_MAX - header - align) throw_bad_alloc();
            byte_alloc ba(a);
            const std::size_t n = total(bytes, align);
            byte_pointer raw = byte_traits::allocate(ba, n);
            unsigned char* base = &*raw;
            // Pointer arithmetic inside the block (std::align), not through
            // integers: compilers keep tracking the block's size.
            void* at = base + header;
            std::size_t space = n - header;
            std::align(align, bytes, at, space);
            ::new (static_cast<void*>(slot_of(at))) byte_pointer(raw);
            return at;
        }
        static void deallocate(const Alloc& a, void* p, std::size_t bytes,
                               std::size_t align) noexcept {
            byte_pointer* h = slot_of(p);
            byte_pointer raw = std::move(*h);
            h->~byte_pointer();
            byte_alloc ba(a);
            byte_traits::deallocate(ba, raw, total(bytes, align));
        }
        // Where the allocator's pointer of the block starting at `at` lives:
        // the aligned place just before it.
        static byte_pointer* slot_of(void* at) noexcept {
            unsigned char* p = static_cast<unsigned char*>(at) - sizeof(byte_pointer);
            const std::size_t mis =
                reinterpret_cast<std::uintptr_t>(p) & (alignof(byte_pointer) - 1);
            return reinterpret_cast<byte_pointer*>(p - mis);
        }
    };
    // Bytes an allocation of U's takes beyond n * sizeof(U) (stats()).
    template <class U>
    static constexpr std::size_t overhead() noexcept {
        if constexpr (uses_calloc<U>) {
            return 0;
        } else {
            return user_block::header + alignof(U);
        }
    }

    // Faults in elements [from, to) of a page-backed array.
    template <class U>
    static void populate(U* p, std::size_t from, std::size_t to) noexcept {
        populate_pages(p + from, (to - from) * sizeof(U));
    }
    // Returns elements [from, to) of a page-backed array to the kernel, ahead
    // of the rest; `from` (and `to`, unless it is the end) must fall on page
    // boundaries. The array is then never deallocated as a whole.
    template <class U>
    static void release_pages(U* p, std::size_t from, std::size_t to) noexcept {
        deallocate_pages(p + from, (to - from) * sizeof(U));
    }
};

}  // namespace tophash::detail
