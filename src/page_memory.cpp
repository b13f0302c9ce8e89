// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "tophash/detail/page_memory.hpp"

#include "tophash/detail/exceptions.hpp"

#include <cstdlib>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TOPHASH_HAVE_MMAP 1
#else
#define TOPHASH_HAVE_MMAP 0
#endif

namespace tophash::detail {

// Built with mmap wherever the platform has it, whatever a translation unit
// that includes page_memory.hpp decided: TOPHASH_NO_PAGE_MEMORY there only
// means these functions are never called.
#if TOPHASH_HAVE_MMAP
void* allocate_pages(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw_bad_alloc();
    return p;
}

void deallocate_pages(void* p, std::size_t bytes) noexcept {
    ::munmap(p, bytes);
}

void populate_pages(void* p, std::size_t bytes) noexcept {
#if defined(MADV_POPULATE_WRITE)
    // One call instead of a trap per page (Linux 5.14 and later).
    if (::madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return;
#endif
    // Older kernels: a write per 4 KiB, the smallest page size (larger pages
    // are written more than once). Zero keeps the bytes as they are.
    auto* c = static_cast<volatile unsigned char*>(p);
    for (std::size_t i = 0; i < bytes; i += 4096)
        c[i] = 0;
}
#else
// Unreachable: TOPHASH_HAVE_PAGE_MEMORY is 0 on such a platform, so no array is
// page-backed and none is released in parts.
void* allocate_pages(std::size_t) {
    throw_bad_alloc();
}
void deallocate_pages(void*, std::size_t) noexcept {
    std::abort();
}
void populate_pages(void*, std::size_t) noexcept {}
#endif

}  // namespace tophash::detail
