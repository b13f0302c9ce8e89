// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Exhaustive tests of the tag-group masks, for every backend compiled in.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tophash/simd/group.hpp"

namespace {

using namespace tophash::simd;

template <class G>
class GroupTest : public ::testing::Test {};

using Groups = ::testing::Types<group_portable
#if defined(TOPHASH_SIMD_SSE2) || defined(TOPHASH_SIMD_AVX2)
                                ,
                                group_sse2
#endif
#if defined(TOPHASH_SIMD_AVX2)
                                ,
                                group_avx2
#endif
#if defined(TOPHASH_SIMD_NEON)
                                ,
                                group_neon
#endif
                                >;
TYPED_TEST_SUITE(GroupTest, Groups);

template <class Mask>
std::vector<unsigned> positions(Mask m) {
    std::vector<unsigned> out;
    for (unsigned i : m)
        out.push_back(i);
    return out;
}

template <class Pred>
std::vector<unsigned> expected(const std::vector<tag_t>& tags, Pred p) {
    std::vector<unsigned> out;
    for (unsigned i = 0; i < tags.size(); ++i) {
        if (p(tags[i])) out.push_back(i);
    }
    return out;
}

// Checks every mask of one bucket against a scalar reference.
template <class G>
void check_bucket(const std::vector<tag_t>& tags, const std::vector<tag_t>& probes) {
    const G g(tags.data());
    for (tag_t h : probes) {
        ASSERT_EQ(positions(g.match(h)), expected(tags, [&](tag_t t) { return t == h; }))
            << "match " << unsigned(h);
    }
    ASSERT_EQ(positions(g.match_free()), expected(tags, [](tag_t t) { return t <= 1; }));
    ASSERT_EQ(positions(g.match_empty_rest()), expected(tags, [](tag_t t) { return t == 0; }));
    ASSERT_EQ(positions(g.match_full()), expected(tags, [](tag_t t) { return t >= 5; }));
    const auto full = g.match_full();
    const auto ref = expected(tags, [](tag_t t) { return t >= 5; });
    ASSERT_EQ(full.count(), ref.size());
    ASSERT_EQ(full.any(), !ref.empty());
    if (!ref.empty()) {
        ASSERT_EQ(full.lowest(), ref.front());
        ASSERT_EQ(full.highest(), ref.back());
    }
}

// Every tag value at every position, over backgrounds that include each
// state, both signs and the value's neighbours (where off-by-one compares
// and signed/unsigned confusions would show).
TYPED_TEST(GroupTest, EveryTagAtEveryPosition) {
    using G = TypeParam;
    for (unsigned v = 0; v < 256; ++v) {
        const std::vector<tag_t> backgrounds = {
            0, 1, 2, 4, 5, 6, 0x7f, 0x80, 0xff, tag_t(v ^ 1), tag_t(v + 1), tag_t(v - 1)};
        for (tag_t bg : backgrounds) {
            for (unsigned p = 0; p < G::width; ++p) {
                std::vector<tag_t> tags(G::width, bg);
                tags[p] = tag_t(v);
                check_bucket<G>(tags, {tag_t(v), bg, tag_t(v + 1), tag_t(v - 1), 0, 1, 5, 0xff});
            }
        }
    }
}

// Random buckets, every probe value.
TYPED_TEST(GroupTest, RandomBucketsAllProbes) {
    using G = TypeParam;
    std::mt19937 rng(12345);
    std::vector<tag_t> all(256);
    for (unsigned i = 0; i < 256; ++i)
        all[i] = tag_t(i);
    for (int round = 0; round < 300; ++round) {
        std::vector<tag_t> tags(G::width);
        // Mostly state tags in some rounds, so that states are dense.
        const bool states = round % 3 == 0;
        for (auto& t : tags)
            t = tag_t(states ? rng() % 7 : rng() % 256);
        check_bucket<G>(tags, all);
    }
}

TYPED_TEST(GroupTest, UnalignedLoads) {
    using G = TypeParam;
    std::vector<tag_t> buf(G::width + 16);
    for (unsigned off = 0; off < 16; ++off) {
        for (unsigned i = 0; i < buf.size(); ++i)
            buf[i] = tag_t(i * 37 + off);
        std::vector<tag_t> tags(buf.begin() + off, buf.begin() + off + G::width);
        const G g(buf.data() + off);
        EXPECT_EQ(positions(g.match(tags[3])),
                  expected(tags, [&](tag_t t) { return t == tags[3]; }));
    }
}

TEST(Bitmask, IteratesInOrderAndClearsOneSlot) {
    const bitmask<std::uint32_t, 0> m(0b1010'0000'0000'0101u);
    EXPECT_EQ(positions(m), (std::vector<unsigned>{0, 2, 13, 15}));
    EXPECT_EQ(m.count(), 4u);
    EXPECT_EQ(m.highest(), 15u);
    const bitmask<std::uint64_t, 2> n(0x8000000000000008ull);  // nibble masks (NEON)
    EXPECT_EQ(positions(n), (std::vector<unsigned>{0, 15}));
    EXPECT_EQ(n.lowest(), 0u);
    EXPECT_EQ(n.highest(), 15u);
    EXPECT_FALSE((bitmask<std::uint32_t, 0>(0).any()));
}

TEST(Bitmask, TagEncoding) {
    for (unsigned top = 0; top < 256; ++top) {
        const tag_t t = tag_from_hash(std::uint64_t(top) << 56 | 0x1234);
        EXPECT_TRUE(is_full(t));
        EXPECT_EQ(t, top < 5 ? top + 5 : top);
    }
    EXPECT_TRUE(is_free(empty_rest) && is_free(empty_one) && !is_free(evacuated_x));
    EXPECT_TRUE(is_evacuated(evacuated_x) && is_evacuated(evacuated_y) &&
                is_evacuated(evacuated_empty) && !is_evacuated(min_full));
}

}  // namespace

// Under ThreadSanitizer the tag bytes must be loaded one atomic at a time,
// whichever header the translation unit included first: group.hpp is the
// first tophash header of this file, and GCC <= 13 announces TSan only with
// __SANITIZE_THREAD__.
TEST(TagLoad, BytewiseExactlyUnderTsan) {
#if defined(__SANITIZE_THREAD__)
    EXPECT_TRUE(tophash::simd::tag_loads_are_bytewise);
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    EXPECT_TRUE(tophash::simd::tag_loads_are_bytewise);
#else
    EXPECT_FALSE(tophash::simd::tag_loads_are_bytewise);
#endif
#else
    EXPECT_FALSE(tophash::simd::tag_loads_are_bytewise);
#endif
}
