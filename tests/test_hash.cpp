// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::hash: the containers' default hasher, and the byte-string hash
// behind it.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/hash.hpp"

namespace {

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s)
        c = static_cast<char>(rng());
    return s;
}

TEST(Hash, ContainersDefaultToIt) {
    static_assert(std::is_same_v<tophash::concurrent_map<std::string, int>::hasher,
                                 tophash::hash<std::string>>);
    static_assert(std::is_same_v<tophash::concurrent_node_set<std::string_view>::hasher,
                                 tophash::hash<std::string_view>>);
    // Other types keep std::hash, including the user's specialisations.
    EXPECT_EQ(tophash::hash<int>{}(42), std::hash<int>{}(42));
    EXPECT_EQ(tophash::hash<double>{}(0.5), std::hash<double>{}(0.5));
}

TEST(Hash, StringsAndViewsOfTheSameBytesAgree) {
    std::mt19937_64 rng(1);
#if TOPHASH_TEST_HAVE_PMR
    std::pmr::monotonic_buffer_resource arena;
#endif
    for (std::size_t n = 0; n <= 130; ++n) {
        const std::string s = random_bytes(rng, n);
        const auto h = tophash::hash<std::string>{}(s);
        EXPECT_EQ(h, tophash::hash<std::string_view>{}(s)) << "length " << n;
#if TOPHASH_TEST_HAVE_PMR
        const std::pmr::string p(s, &arena);
        EXPECT_EQ(h, tophash::hash<std::pmr::string>{}(p)) << "length " << n;
#endif
    }
}

// Every bit of every byte reaches the result, at every length around the
// code's boundaries (4, 8, 16, 48 bytes and the loops' remainders).
TEST(Hash, EveryInputBitChangesTheHash) {
    std::mt19937_64 rng(2);
    const tophash::hash<std::string> h;
    for (std::size_t n = 1; n <= 100; ++n) {
        std::string s = random_bytes(rng, n);
        const auto base = h(s);
        for (std::size_t i = 0; i < n; ++i) {
            for (int bit = 0; bit < 8; ++bit) {
                s[i] = static_cast<char>(s[i] ^ (1 << bit));
                ASSERT_NE(h(s), base) << "length " << n << ", byte " << i << ", bit " << bit;
                s[i] = static_cast<char>(s[i] ^ (1 << bit));
            }
        }
    }
    // The length is hashed too: a string and its extension by a zero byte.
    for (std::size_t n = 0; n < 40; ++n)
        EXPECT_NE(h(std::string(n, '\0')), h(std::string(n + 1, '\0'))) << n;
}

// The table takes its bucket index from the low bits and its tag from the
// top byte: a one-bit change of the key must flip each of those output bits
// about half the time.
TEST(Hash, OneInputBitFlipsTheIndexAndTagBitsHalfTheTime) {
    std::mt19937_64 rng(3);
    const tophash::hash<std::string> h;
    for (std::size_t n : {3u, 7u, 8u, 15u, 16u, 17u, 31u, 48u, 49u, 100u}) {
        std::array<std::uint64_t, 64> flips{};
        std::uint64_t trials = 0;
        for (int k = 0; k < 60; ++k) {
            std::string s = random_bytes(rng, n);
            const std::uint64_t base = h(s);
            for (std::size_t i = 0; i < n; ++i) {
                for (int bit = 0; bit < 8; ++bit) {
                    s[i] = static_cast<char>(s[i] ^ (1 << bit));
                    const std::uint64_t d = base ^ h(s);
                    s[i] = static_cast<char>(s[i] ^ (1 << bit));
                    for (int o = 0; o < 64; ++o)
                        flips[o] += (d >> o) & 1;
                    ++trials;
                }
            }
        }
        for (int o = 0; o < 64; ++o) {
            if (o >= 16 && o < 56) continue;  // neither index nor tag bits
            const double p = static_cast<double>(flips[o]) / static_cast<double>(trials);
            EXPECT_GT(p, 0.4) << "length " << n << ", output bit " << o;
            EXPECT_LT(p, 0.6) << "length " << n << ", output bit " << o;
        }
    }
}

// Keys that differ little (counters in text) spread evenly over buckets
// and tags, with no 64-bit collisions.
TEST(Hash, SimilarKeysSpreadOverBucketsAndTags) {
    const tophash::hash<std::string> h;
    constexpr std::size_t n = 1 << 18, buckets = 1 << 12;
    std::vector<std::uint32_t> per_bucket(buckets), per_tag(256);
    std::set<std::uint64_t> seen;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t x = h("user:" + std::to_string(i));
        ++per_bucket[x % buckets];
        ++per_tag[x >> 56];
        seen.insert(x);
    }
    EXPECT_EQ(seen.size(), n) << "64-bit collisions among " << n << " keys";
    // Pearson's chi-square over the buckets: a uniform hash gives about
    // buckets - 1 = 4095 (standard deviation 90); 5 deviations above fails.
    double chi2 = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
        const double d = per_bucket[b] - double{n} / buckets;
        chi2 += d * d / (double{n} / buckets);
    }
    EXPECT_LT(chi2, 4095 + 5 * 90.5) << "bucket counts far from uniform";
    double chi2_tags = 0;  // 255 degrees of freedom, standard deviation 22.6
    for (std::size_t t = 0; t < 256; ++t) {
        const double d = per_tag[t] - double{n} / 256;
        chi2_tags += d * d / (double{n} / 256);
    }
    EXPECT_LT(chi2_tags, 255 + 5 * 22.6) << "tags far from uniform";
    std::printf("chi-square: buckets %.0f (expected 4095), tags %.0f (expected 255)\n", chi2,
                chi2_tags);
}

// A map keyed by std::string finds string_view keys through the
// transparent hasher when the equality is transparent too.
TEST(Hash, TransparentLookupsFindStringKeys) {
    tophash::concurrent_map<std::string, int, tophash::hash<std::string>, std::equal_to<>> m;
    for (int i = 0; i < 1000; ++i)
        m.emplace("key-" + std::to_string(i), i);
    for (int i = 0; i < 1000; ++i) {
        const std::string k = "key-" + std::to_string(i);
        int got = -1;
        EXPECT_EQ(m.cvisit(std::string_view(k), [&](const auto& kv) { got = kv.second; }), 1u);
        EXPECT_EQ(got, i);
    }
    EXPECT_FALSE(m.contains(std::string_view("key-1000")));
}

}  // namespace
