// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Where a bucket array's memory comes from: pages from the kernel, the C
// heap, or the user's allocator, and how it goes back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>

#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/page_memory.hpp"

namespace tophash::detail {

// Allocation of zeroed memory (control blocks, overflow nodes) and of raw
// memory (slots). With std::allocator, arrays of page_memory_min_bytes or more
// are fresh pages from the kernel, zero and untouched: allocating the new
// array of a resize costs no pass over it, and pages are faulted in by the
// evacuations that fill them. Smaller ones come from calloc/malloc. Other
// allocators get allocate() + memset (documented in docs/design.md).
// Allocators must return raw pointers.
template <class Alloc>
struct array_memory {
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
