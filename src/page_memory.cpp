// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "tophash/detail/page_memory.hpp"

#include "tophash/detail/exceptions.hpp"

#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define TOPHASH_HAVE_MMAP 1
#else
#define TOPHASH_HAVE_MMAP 0
#endif
#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

namespace tophash::detail {

namespace {
// A write per 4 KiB, the smallest page size (larger pages are written more
// than once). Zero keeps the bytes as they are.
[[maybe_unused]] void touch_pages(void* p, std::size_t bytes) noexcept {
    auto* c = static_cast<volatile unsigned char*>(p);
    for (std::size_t i = 0; i < bytes; i += 4096)
        c[i] = 0;
}
}  // namespace

// Built with mmap (VirtualAlloc) wherever the platform has it, whatever a
// translation unit that includes page_memory.hpp decided:
// TOPHASH_NO_PAGE_MEMORY there only means these functions are never called.
#if TOPHASH_HAVE_MMAP
void* allocate_pages(std::size_t bytes) {
#if defined(MADV_HUGEPAGE) && defined(TOPHASH_HUGE_PAGES) && TOPHASH_HUGE_PAGES
    // Opt-in (CMake option TOPHASH_HUGE_PAGES): transparent huge pages for
    // arrays of 2 MiB and more, where the system allows them for regions
    // that ask (THP "madvise" or "always"). A random access into an array of
    // hundreds of MB then misses the TLB far less often, and an evacuation's
    // writes land in memory faulted in whole. On the AMD EPYC VMs: finds,
    // growth time, its p99 and p99.9 and the two-thread mixes gained, but
    // each huge page's first touch costs 3.4 ms there (the host charges each
    // 4 KiB), which doubled the slowest insert of a growth to 2^23
    // (docs/design.md, Growth). The mapping starts on a huge-page boundary so
    // that populate and release steps cover whole huge pages.
    constexpr std::size_t huge = huge_page_bytes;
    if (bytes >= huge) {
        void* m = ::mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        if (m == MAP_FAILED) throw_bad_alloc();
        const auto start = reinterpret_cast<std::uintptr_t>(m);
        const std::uintptr_t aligned = (start + huge - 1) & ~std::uintptr_t{huge - 1};
        const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        const std::uintptr_t end = (aligned + bytes + page - 1) & ~std::uintptr_t{page - 1};
        // start is page-aligned, so aligned <= start + huge - page and end
        // always leaves a tail of the over-allocation to give back.
        if (aligned != start) ::munmap(m, aligned - start);
        ::munmap(reinterpret_cast<void*>(end), start + bytes + huge - end);
        void* p = reinterpret_cast<void*>(aligned);
        (void)::madvise(p, bytes, MADV_HUGEPAGE);  // without THP: small pages
        return p;
    }
#endif
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
    touch_pages(p, bytes);  // older kernels
}
#elif defined(_WIN32)
// VirtualAlloc reserves address space and commits demand-zero pages, which
// stay untouched until written, as mmap's do. A part given back is
// decommitted (its memory returns at once); the reservation itself is
// released with its last committed part, since VirtualFree releases only
// whole reservations.
void* allocate_pages(std::size_t bytes) {
    void* p = ::VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (p == nullptr) throw_bad_alloc();
    return p;
}

void deallocate_pages(void* p, std::size_t bytes) noexcept {
    MEMORY_BASIC_INFORMATION part;
    if (::VirtualQuery(p, &part, sizeof part) == 0) std::abort();
    void* const base = part.AllocationBase;
    if (!::VirtualFree(p, bytes, MEM_DECOMMIT)) std::abort();
    // Released once nothing of it is committed: the region from its base is
    // then one reserved run up to the next allocation (or free space).
    MEMORY_BASIC_INFORMATION head, after;
    if (::VirtualQuery(base, &head, sizeof head) == 0 || head.State != MEM_RESERVE) return;
    const auto* end = static_cast<const char*>(base) + head.RegionSize;
    if (::VirtualQuery(end, &after, sizeof after) != 0 && after.AllocationBase == base) return;
    if (!::VirtualFree(base, 0, MEM_RELEASE)) std::abort();
}

void populate_pages(void* p, std::size_t bytes) noexcept {
    touch_pages(p, bytes);
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
