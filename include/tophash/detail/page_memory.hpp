// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Whole pages straight from the kernel, for large bucket arrays.
#pragma once

#include <cstddef>

// Whether this platform maps pages directly (mmap; VirtualAlloc on Windows).
// Without it, large arrays come from calloc/malloc like small ones and are
// freed whole, never in page-sized steps. TOPHASH_NO_PAGE_MEMORY forces that
// fallback (the Windows tests build it too, so that the path is exercised).
#if !defined(TOPHASH_NO_PAGE_MEMORY) && (defined(__unix__) || defined(__APPLE__) || defined(_WIN32))
#define TOPHASH_HAVE_PAGE_MEMORY 1
#else
#define TOPHASH_HAVE_PAGE_MEMORY 0
#endif

namespace tophash::detail {

// Arrays of at least this many bytes bypass malloc. glibc serves large
// allocations from mmap only until its dynamic threshold rises (up to 32 MiB
// on 64-bit, after a large block is freed); from then on a calloc of a few MiB
// comes from reused heap memory and is memset, one page fault per page on
// the inserting thread, the slowest insert of a growth; below 1 MiB such a
// memset stays within the growth's p99.99 (docs/design.md, Measured choices
// in the code).
inline constexpr std::size_t page_memory_min_bytes = std::size_t{1} << 20;
// x86-64's and (4 KiB pages) AArch64's transparent huge page.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

// Zero-filled pages, untouched until used (lazily faulted in by whoever
// writes them); with TOPHASH_HUGE_PAGES (a CMake option, off by default) in
// transparent huge pages from 2 MiB on, where Linux allows them. Throws
// std::bad_alloc. Only called where TOPHASH_HAVE_PAGE_MEMORY;
// deallocate_pages may release any page-aligned part of what was allocated.
void* allocate_pages(std::size_t bytes);
void deallocate_pages(void* p, std::size_t bytes) noexcept;
// Faults in [p, p + bytes) of such an allocation now, so that later writes
// take no page faults. The bytes stay zero.
void populate_pages(void* p, std::size_t bytes) noexcept;

}  // namespace tophash::detail
