// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Capacity: reserve, max_size, the growth trigger and what size() reports.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"

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
