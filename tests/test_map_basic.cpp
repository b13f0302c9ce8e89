// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Unit tests of each concurrent_map operation.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tophash/concurrent_map.hpp"

namespace {

using u64map = tophash::concurrent_map<std::uint64_t, std::uint64_t>;
using strmap = tophash::concurrent_map<std::string, int>;

static_assert(u64map::optimistic_reads);
static_assert(!strmap::optimistic_reads);

TEST(Map, EmptyMapIsSmallAndEmpty) {
    u64map m;
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.size(), 0u);
    EXPECT_FALSE(m.find(1).has_value());
    EXPECT_FALSE(m.contains(1));
    EXPECT_FALSE(m.erase(1));
    EXPECT_EQ(m.bucket_count(), 0u);
    EXPECT_LT(sizeof(u64map), 1024u) << "an empty map, locks included, stays under 1 KB";
    EXPECT_LT(sizeof(strmap), 1024u);
}

TEST(Map, InsertFindErase) {
    u64map m;
    EXPECT_TRUE(m.emplace(1, 10));
    EXPECT_FALSE(m.emplace(1, 11)) << "a present key is not overwritten";
    EXPECT_EQ(m.find(1), 10u);
    EXPECT_TRUE(m.contains(1));
    EXPECT_EQ(m.size(), 1u);
    EXPECT_TRUE(m.erase(1));
    EXPECT_FALSE(m.erase(1));
    EXPECT_FALSE(m.contains(1));
    EXPECT_TRUE(m.empty());
}

TEST(Map, InsertOrAssignAndTryEmplace) {
    strmap m;
    EXPECT_TRUE(m.try_emplace("a", 1));
    EXPECT_FALSE(m.try_emplace("a", 2));
    EXPECT_EQ(m.find("a"), 1);
    EXPECT_FALSE(m.insert_or_assign("a", 3));
    EXPECT_EQ(m.find("a"), 3);
    EXPECT_TRUE(m.insert_or_assign("b", 4));
    EXPECT_EQ(m.size(), 2u);
    EXPECT_TRUE(m.try_emplace("c"));  // value-initialised
    EXPECT_EQ(m.find("c"), 0);
}

TEST(Map, VisitAndCvisit) {
    u64map m;
    m.emplace(5, 50);
    EXPECT_TRUE(m.visit(5, [](auto& e) {
        std::uint64_t& v = e.second;
        v += 1;
    }));
    EXPECT_FALSE(m.visit(6, [](auto&) { FAIL() << "absent key visited"; }));
    std::uint64_t seen = 0;
    EXPECT_TRUE(m.cvisit(5, [&](const auto& e) {
        const std::uint64_t& v = e.second;
        seen = v;
    }));
    EXPECT_EQ(seen, 51u);
    const u64map& cm = m;
    EXPECT_TRUE(cm.visit(5, [&](const auto& e) {
        const std::uint64_t& v = e.second;
        seen = v + 1;
    }));
    EXPECT_EQ(seen, 52u);
}

TEST(Map, TryEmplaceOrVisitCounts) {
    strmap m;
    for (int i = 0; i < 10; ++i) {
        const bool inserted = m.try_emplace_or_visit("k", 1, [](auto& e) {
            int& v = e.second;
            ++v;
        });
        EXPECT_EQ(inserted, i == 0);
    }
    EXPECT_EQ(m.find("k"), 10);
    EXPECT_FALSE(m.insert_or_visit({"k", 0}, [](auto& e) {
        int& v = e.second;
        v *= 2;
    }));
    EXPECT_EQ(m.find("k"), 20);
}

TEST(Map, EraseIfKeyAndWholeMap) {
    u64map m;
    for (std::uint64_t i = 0; i < 1000; ++i)
        m.emplace(i, i);
    EXPECT_FALSE(m.erase_if(3, [](auto& e) {
        std::uint64_t& v = e.second;
        return v != 3;
    }));
    EXPECT_TRUE(m.erase_if(3, [](auto& e) {
        std::uint64_t& v = e.second;
        return v == 3;
    }));
    EXPECT_FALSE(m.contains(3));
    const auto n = m.erase_if([](auto& e) {
        const std::uint64_t& k = e.first;
        return k % 2 == 0;
    });
    EXPECT_EQ(n, 500u);         // the even keys 0, 2, ..., 998
    EXPECT_EQ(m.size(), 499u);  // the odd keys less 3
    for (std::uint64_t i = 0; i < 1000; ++i)
        EXPECT_EQ(m.contains(i), i % 2 == 1 && i != 3) << i;
}

TEST(Map, ForEachVisitsAll) {
    u64map m;
    for (std::uint64_t i = 0; i < 5000; ++i)
        m.emplace(i, i * 3);
    std::map<std::uint64_t, std::uint64_t> seen;
    m.for_each([&](const auto& e) {
        const std::uint64_t& k = e.first;
        const std::uint64_t& v = e.second;
        EXPECT_TRUE(seen.emplace(k, v).second) << "visited twice: " << k;
    });
    ASSERT_EQ(seen.size(), 5000u);
    for (auto& [k, v] : seen)
        EXPECT_EQ(v, k * 3);
}

TEST(Map, ClearAndReuse) {
    strmap m;
    for (int i = 0; i < 3000; ++i)
        m.try_emplace(std::to_string(i), i);
    const auto buckets = m.bucket_count();
    m.clear();
    EXPECT_TRUE(m.empty());
    EXPECT_FALSE(m.contains("7"));
    const auto st = m.stats();
    EXPECT_EQ(st.slots_full, 0u);
    EXPECT_EQ(st.overflow_buckets, 0u) << "clear returns overflow buckets";
    for (int i = 0; i < 3000; ++i)
        m.try_emplace(std::to_string(i), i);
    EXPECT_EQ(m.size(), 3000u);
    EXPECT_EQ(m.bucket_count(), buckets) << "refilling to the same size does not grow";
}

TEST(Map, ReserveAvoidsGrowth) {
    u64map m;
    m.reserve(100000);
    const auto buckets = m.bucket_count();
    for (std::uint64_t i = 0; i < 100000; ++i)
        m.emplace(i, i);
    EXPECT_EQ(m.bucket_count(), buckets);
    EXPECT_FALSE(m.stats().resizing);
    m.reserve(400000);  // grows a non-empty map: every element survives
    EXPECT_GE(m.bucket_count(), 4 * buckets);
    for (std::uint64_t i = 0; i < 100000; ++i)
        ASSERT_EQ(m.find(i), i);
}

TEST(Map, MoveConstructAndAssign) {
    strmap a;
    for (int i = 0; i < 100; ++i)
        a.try_emplace(std::to_string(i), i);
    strmap b(std::move(a));
    EXPECT_EQ(b.size(), 100u);
    EXPECT_TRUE(a.empty());
    strmap c;
    c.try_emplace("x", 1);
    c = std::move(b);
    EXPECT_EQ(c.size(), 100u);
    EXPECT_EQ(c.find("42"), 42);
    a.try_emplace("again", 1);  // a moved-from map is usable
    EXPECT_EQ(a.size(), 1u);
}

TEST(Map, CapacityConstructor) {
    u64map m(10000);
    const auto b = m.bucket_count();
    EXPECT_GE(b * 16 * 13 / 16, 10000u);
    for (std::uint64_t i = 0; i < 10000; ++i)
        m.emplace(i, i);
    EXPECT_EQ(m.bucket_count(), b);
}

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
struct string_eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

TEST(Map, HeterogeneousLookup) {
    tophash::concurrent_map<std::string, int, string_hash, string_eq> m;
    m.try_emplace("hello", 1);
    const std::string_view key = "hello";
    EXPECT_TRUE(m.contains(key));
    EXPECT_EQ(m.find(key), 1);
    EXPECT_TRUE(m.visit(key, [](auto& e) {
        int& v = e.second;
        v = 2;
    }));
    EXPECT_EQ(m.find("hello"), 2);
    EXPECT_TRUE(m.erase(key));
    EXPECT_FALSE(m.contains(key));
}

// The identity hash of libstdc++'s std::hash<uint64_t> is post-mixed, so
// sequential keys spread over buckets and tags.
TEST(Map, IdentityHashIsMixed) {
    u64map m;
    for (std::uint64_t i = 0; i < (1u << 16); ++i)
        m.emplace(i << 20, i);  // low bits all zero
    const auto st = m.stats();
    EXPECT_LT(st.overflow_buckets, st.head_buckets / 4) << st;
    std::size_t longest = 0;
    for (std::size_t k = 0; k < st.chain_length_histogram.size(); ++k) {
        if (st.chain_length_histogram[k] != 0) longest = k;
    }
    EXPECT_LE(longest, 4u) << st;
}

// A hasher that declares is_avalanching (Boost's convention) is trusted: its
// low bits pick the bucket as they are. One that declares it false, or not at
// all, is post-mixed.
template <class Avalanching>
struct identity_hash {
    using is_avalanching = Avalanching;
    std::size_t operator()(std::uint64_t k) const { return k; }
};
TEST(Map, AvalanchingHashIsUsedAsIs) {
    tophash::concurrent_map<std::uint64_t, int, identity_hash<std::true_type>> trusted(1000);
    tophash::concurrent_map<std::uint64_t, int, identity_hash<void>> trusted_void(1000);
    tophash::concurrent_map<std::uint64_t, int, identity_hash<std::false_type>> mixed(1000);
    const std::size_t mask = trusted.stats().head_buckets - 1;
    ASSERT_EQ(mixed.stats().head_buckets - 1, mask);
    std::size_t differs = 0;
    for (std::uint64_t k = 0; k < 64; ++k) {
        EXPECT_EQ(trusted.bucket_of(k), k & mask);
        EXPECT_EQ(trusted_void.bucket_of(k), k & mask);
        differs += mixed.bucket_of(k) != (k & mask);
    }
    EXPECT_GT(differs, 32u) << "a hasher declared non-avalanching is mixed";
}

// A hash that sends every key to the same place degrades to one long chain:
// the map stays correct and its memory bounded, and it does not resize
// without end.
TEST(Map, ConstantHashDegradesGracefully) {
    struct constant_hash {
        std::size_t operator()(std::uint64_t) const { return 42; }
    };
    tophash::concurrent_map<std::uint64_t, std::uint64_t, constant_hash> m;
    const std::uint64_t n = 3000;
    for (std::uint64_t i = 0; i < n; ++i)
        ASSERT_TRUE(m.emplace(i, i));
    for (std::uint64_t i = 0; i < n; ++i)
        ASSERT_EQ(m.find(i), i);
    for (std::uint64_t i = 0; i < n; i += 2)
        ASSERT_TRUE(m.erase(i));
    for (std::uint64_t i = n; i < n + n / 2; ++i)
        ASSERT_TRUE(m.emplace(i, i));
    const auto st = m.stats();
    EXPECT_EQ(st.size, n);
    EXPECT_LE(st.head_buckets, 1024u) << st;  // grows with the count, not per insert
    EXPECT_LE(st.bytes, 2u * 1024 * 1024) << st;
}

}  // namespace
