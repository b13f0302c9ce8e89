// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Capacity: reserve, max_size, the growth trigger and what size() reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"
#include "tophash/detail/page_memory.hpp"

namespace {

using map = tophash::concurrent_map<std::uint64_t, std::uint64_t>;

TEST(Map, ImpossibleCapacitiesThrowLengthError) {
    map m;
    EXPECT_THROW(m.reserve(SIZE_MAX), std::length_error);
    EXPECT_THROW(m.reserve(std::size_t{1} << 60), std::length_error);
    EXPECT_THROW(m.reserve(m.max_size() + 1), std::length_error);
    EXPECT_THROW(map{SIZE_MAX}, std::length_error);
    EXPECT_EQ(m.bucket_count(), 0u);
    m.emplace(1, 1);  // still usable
    EXPECT_THROW(m.reserve(SIZE_MAX), std::length_error);
    EXPECT_EQ(m.find(1), 1u);
    EXPECT_GT(m.max_size(), std::size_t{1} << 40);
}

#if TOPHASH_HAVE_PAGE_MEMORY
// Retired arrays are given back in parts, in any order (release_some; a
// whole array at once when it is freed): what is left stays usable and, on
// Windows, the reservation goes with its last committed part.
TEST(PageMemory, PartsAreGivenBackInAnyOrder) {
    constexpr std::size_t part = std::size_t{1} << 20;
    for (const auto& order : {std::vector<int>{1, 0, 3, 2}, std::vector<int>{0, 1, 2, 3},
                              std::vector<int>{3, 2, 1, 0}}) {
        auto* p = static_cast<unsigned char*>(tophash::detail::allocate_pages(4 * part));
        for (std::size_t i = 0; i < 4 * part; i += 4096)
            ASSERT_EQ(p[i], 0) << "pages are zero-filled";
        tophash::detail::populate_pages(p, 4 * part);
        std::vector<bool> live(4, true);
        for (int k : order) {
            tophash::detail::deallocate_pages(p + k * part, part);
            live[static_cast<std::size_t>(k)] = false;
            for (std::size_t j = 0; j < 4; ++j) {
                if (!live[j]) continue;
                p[j * part + part - 1] = 7;  // still mapped and writable
                EXPECT_EQ(p[j * part + part - 1], 7);
            }
        }
#if defined(_WIN32)
        MEMORY_BASIC_INFORMATION m;
        ASSERT_NE(::VirtualQuery(p, &m, sizeof m), 0u);
        EXPECT_EQ(m.State, static_cast<DWORD>(MEM_FREE)) << "the reservation was not released";
#endif
    }
    // Whole at once, as an array that was never released in parts.
    tophash::detail::deallocate_pages(tophash::detail::allocate_pages(3 * part), 3 * part);
}
#endif

#if TOPHASH_HAVE_PAGE_MEMORY && defined(__linux__) && defined(TOPHASH_HUGE_PAGES)
// The VmFlags of the mapping that holds p, from /proc/self/smaps.
static std::string vm_flags_of(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(' ') < 40) {
            inside = lo <= at && at < hi;
        } else if (inside && line.rfind("VmFlags:", 0) == 0) {
            return line;
        }
    }
    return "";
}

// With TOPHASH_HUGE_PAGES, arrays of 2 MiB and more start on a huge-page
// boundary, whatever their length, and ask for transparent huge pages; what
// is around them is given back, and they are released in parts as before.
TEST(PageMemory, LargeArraysAskForHugePagesOnTheirBoundaries) {
    if (!std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"))
        GTEST_SKIP() << "this kernel has no transparent huge pages";
    constexpr std::size_t huge = tophash::detail::huge_page_bytes;
    for (const std::size_t bytes : {huge, 4 * huge + 100, 5 * huge + 4096}) {
        auto* p = static_cast<unsigned char*>(tophash::detail::allocate_pages(bytes));
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % huge, 0u) << bytes;
        const std::string flags = vm_flags_of(p);
        EXPECT_NE(flags.find(" hg"), std::string::npos) << bytes << ": " << flags;
        tophash::detail::populate_pages(p, bytes);
        p[bytes - 1] = 7;
        EXPECT_EQ(p[bytes - 1], 7);
        EXPECT_EQ(p[0], 0);
        // The parts, first to last, the last one short.
        for (std::size_t from = 0; from < bytes; from += huge)
            tophash::detail::deallocate_pages(p + from, std::min(huge, bytes - from));
        EXPECT_EQ(vm_flags_of(p), "") << "still mapped";
    }
    // Smaller ones are plain mappings.
    void* small = tophash::detail::allocate_pages(huge - 4096);
    EXPECT_EQ(vm_flags_of(small).find(" hg"), std::string::npos);
    tophash::detail::deallocate_pages(small, huge - 4096);
}
#endif

// reserve(n) promises room for n elements: inserting exactly n must not grow.
TEST(Map, ReserveNThenNInsertsDoesNotGrow) {
    for (std::size_t n = 1; n <= 3000; n += (n < 64 ? 1 : 37)) {
        map m;
        m.reserve(n);
        const std::size_t buckets = m.bucket_count();
        for (std::uint64_t i = 0; i < n; ++i)
            m.emplace(i, i);
        ASSERT_EQ(m.bucket_count(), buckets) << "reserve(" << n << ") then " << n << " inserts";
        ASSERT_FALSE(m.stats().resizing) << n;
        map c(n);
        for (std::uint64_t i = 0; i < n; ++i)
            c.emplace(i, i);
        ASSERT_EQ(c.bucket_count(), buckets) << "map(" << n << ") then " << n << " inserts";
    }
}

// Shortly before growth the next array is allocated and faulted in, so that
// growth's evacuations take no page faults; growth then uses that array.
// Only page-backed arrays (std::allocator, 1 MiB or more) are prepared.
TEST(Map, NextArrayIsPreparedBeforeGrowthAndUsedByIt) {
    map m;
    m.reserve(std::size_t{1} << 16);
    const std::size_t buckets = m.stats().head_buckets;  // head buckets
    const std::size_t grow_at = m.max_load();
    std::uint64_t k = 0;
    for (; k < grow_at * 7 / 8; ++k)
        m.emplace(k, k);
    EXPECT_EQ(m.stats().prepared_bytes, 0u) << "7/8 of the way to growth";
    // Populate steps are paced (at most half of the time): pauses between
    // inserts leave room for every step before growth starts.
    for (; k + 1 < grow_at; ++k) {
        m.emplace(k, k);
        if (k % 256 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(m.stats().head_buckets, buckets) << "grew before its limit";
    const tophash::map_stats before = m.stats();
#if TOPHASH_HAVE_PAGE_MEMORY
    // 2x the buckets' slots (16 B each), all faulted in by now.
    EXPECT_GE(before.prepared_bytes, 2 * buckets * before.slots_per_bucket * 16) << before;
    EXPECT_GE(before.bytes, before.prepared_bytes + buckets * before.slots_per_bucket * 16);
#else
    EXPECT_EQ(before.prepared_bytes, 0u) << before;
#endif
    while (m.stats().head_buckets == buckets) {
        for (int j = 0; j < 64; ++j, ++k)
            m.emplace(k, k);
    }
    EXPECT_EQ(m.stats().head_buckets, 2 * buckets);
    EXPECT_EQ(m.stats().prepared_bytes, 0u) << "growth took the prepared array";
    m.reserve(m.max_load());  // finishes the evacuation
    ASSERT_EQ(m.size(), k);
    for (std::uint64_t i = 0; i < k; ++i)
        ASSERT_EQ(m.find(i), i) << i;
}

// While elements move between arrays, size() of a map whose contents do not
// change must stay exact, whichever thread moves them.
TEST(Stress, SizeIsExactWhileResizesMoveElements) {
    const std::uint64_t n = 20000;
    for (int round = 0, rounds = iterations(2); round < rounds; ++round) {
        map m;
        for (std::uint64_t i = 0; i < n; ++i)
            m.emplace(i, i);
        std::atomic<bool> done{false};
        std::thread resizer([&] {
            for (int k = 1; k <= 6; ++k)
                m.reserve(n << k);
            done = true;
        });
        // A visitor helps evacuate too, from a third thread.
        std::thread visitor([&] {
            for (std::uint64_t i = 0; !done.load(); i = (i + 7919) % n)
                m.visit(i, [](auto& e) {
                    std::uint64_t& v = e.second;
                    ++v;
                });
        });
        long checks = 0;
        do {  // at least once, however the threads are scheduled
            ASSERT_EQ(m.size(), n);
            ++checks;
        } while (!done.load());
        resizer.join();
        visitor.join();
        EXPECT_EQ(m.size(), n);
        EXPECT_GT(checks, 0);
    }
}

}  // namespace
