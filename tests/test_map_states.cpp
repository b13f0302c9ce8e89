// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Slot-state transitions, observed through the debug inspector.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <set>
#include <sstream>
#include <type_traits>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using namespace tophash;
using simd::tag_t;
using map_t = concurrent_map<std::uint64_t, std::uint64_t>;

tag_t tag_of(std::uint64_t key) {
    return simd::tag_from_hash(detail::mix_hash(std::hash<std::uint64_t>()(key)));
}

// Keys with pairwise distinct tags, so that a slot can be told by its tag.
std::vector<std::uint64_t> distinct_tag_keys(std::size_t n) {
    std::vector<std::uint64_t> keys;
    std::set<tag_t> tags;
    for (std::uint64_t k = 1; keys.size() < n; ++k) {
        if (tags.insert(tag_of(k)).second) keys.push_back(k);
    }
    return keys;
}

std::vector<tag_t> head_tags(const map_t& m) {
    const auto v = debug::inspect(m, 0);
    return v.current()->buckets.at(0);
}

// A fresh map has one bucket until 13 elements: every key shares it.
TEST(States, EraseLeavesEmptyOneThenCollapsesToEmptyRest) {
    map_t m;
    const auto keys = distinct_tag_keys(10);
    for (auto k : keys)
        m.emplace(k, k);
    auto tags = head_tags(m);
    for (unsigned i = 0; i < 10; ++i)
        EXPECT_EQ(tags[i], tag_of(keys[i])) << i;
    for (unsigned i = 10; i < 16; ++i)
        EXPECT_EQ(tags[i], simd::empty_rest);

    // A hole in the middle: emptyOne (full slots follow).
    m.erase(keys[3]);
    tags = head_tags(m);
    EXPECT_EQ(tags[3], simd::empty_one);
    // Erasing 4..8 leaves holes too: slot 9 is still full.
    for (unsigned i = 4; i < 9; ++i)
        m.erase(keys[i]);
    tags = head_tags(m);
    for (unsigned i = 3; i < 9; ++i)
        EXPECT_EQ(tags[i], simd::empty_one) << i;
    // Erasing the last full slot collapses it and the emptyOne run before it.
    m.erase(keys[9]);
    tags = head_tags(m);
    for (unsigned i = 3; i < 16; ++i)
        EXPECT_EQ(tags[i], simd::empty_rest) << i;
    EXPECT_EQ(tags[2], tag_of(keys[2]));
    std::ostringstream os;
    os << debug::inspect(m, 0);
    EXPECT_NE(os.str().find("emptyRest"), std::string::npos);
}

TEST(States, NextInsertReusesTheFreedSlot) {
    map_t m;
    const auto keys = distinct_tag_keys(8);
    for (unsigned i = 0; i < 6; ++i)
        m.emplace(keys[i], i);
    m.erase(keys[1]);
    EXPECT_EQ(head_tags(m)[1], simd::empty_one);
    m.emplace(keys[6], 6);
    auto tags = head_tags(m);
    EXPECT_EQ(tags[1], tag_of(keys[6])) << "the first free slot of the chain is reused";
    EXPECT_EQ(tags[6], simd::empty_rest);
    const auto st = m.stats();
    EXPECT_EQ(st.slots_full, 6u);
    EXPECT_EQ(st.slots_empty_one, 0u);
}

struct constant_hash {
    std::size_t operator()(std::uint64_t) const { return 7; }
};

TEST(States, EmptiedOverflowBucketIsRecycled) {
    concurrent_map<std::uint64_t, std::uint64_t, constant_hash> m;
    for (std::uint64_t i = 0; i < 40; ++i)
        m.emplace(i, i);  // one chain: 16 + 16 + 8
    auto st = m.stats();
    ASSERT_FALSE(st.resizing);
    EXPECT_EQ(st.overflow_buckets, 2u) << st;
    // The last 8 live in the third bucket; erase them.
    const std::size_t b = m.bucket_of(0);
    auto v = debug::inspect(m, b);
    ASSERT_EQ(v.current()->buckets.size(), 3u);
    for (std::uint64_t i = 32; i < 40; ++i)
        m.erase(i);
    st = m.stats();
    EXPECT_EQ(st.overflow_buckets, 1u) << st;
    EXPECT_EQ(st.free_overflow_buckets, 1u) << "the emptied bucket is kept for reuse";
    v = debug::inspect(m, b);
    EXPECT_EQ(v.current()->buckets.size(), 2u);
    for (std::uint64_t i = 40; i < 48; ++i)
        m.emplace(i, i);
    st = m.stats();
    EXPECT_EQ(st.overflow_buckets, 2u);
    EXPECT_EQ(st.free_overflow_buckets, 0u) << "the next overflow came from the free list";
    for (std::uint64_t i = 0; i < 32; ++i)
        EXPECT_TRUE(m.contains(i));
    for (std::uint64_t i = 40; i < 48; ++i)
        EXPECT_TRUE(m.contains(i));
}

// Places key k in bucket k / 64 with tag 16 + k % 64 (used as is: the hash
// declares itself avalanching), so a test can shape chains exactly.
struct placed_hash {
    using is_avalanching = std::true_type;
    std::size_t operator()(std::uint64_t k) const {
        return (static_cast<std::size_t>(16 + k % 64) << 56) | (k / 64);
    }
};

// Chains that erasures left long but sparse (overflow buckets holding few
// elements) are compacted by a same-size evacuation: the bucket count stays,
// the overflow buckets go, every element stays.
TEST(States, SparseChainsAreCompactedAtTheSameSize) {
    concurrent_map<std::uint64_t, std::uint64_t, placed_hash> m(104);  // 8 buckets
    ASSERT_EQ(m.stats().head_buckets, 8u);
    // Chain b: 33 keys (head, a full overflow bucket, one key in a second
    // one), then the first 32 erased: two overflow buckets for one element.
    for (std::uint64_t b = 0; b < 7; ++b) {
        for (std::uint64_t i = 0; i < 33; ++i)
            ASSERT_TRUE(m.emplace(b * 64 + i, i));
        for (std::uint64_t i = 0; i < 32; ++i)
            ASSERT_TRUE(m.erase(b * 64 + i));
    }
    auto st = m.stats();
    ASSERT_FALSE(st.resizing) << st;
    EXPECT_EQ(st.overflow_buckets, 14u) << st;
    EXPECT_EQ(st.size, 7u);
    // The 16th overflow bucket (as many as head buckets) starts the compaction.
    for (std::uint64_t i = 0; i < 33; ++i)
        ASSERT_TRUE(m.emplace(7 * 64 + i, i));
    st = m.stats();
    EXPECT_TRUE(st.resizing && st.same_size_resize) << st;
    for (std::uint64_t i = 0; i < 32; ++i)
        ASSERT_TRUE(m.erase(7 * 64 + i));
    // Writes finish it.
    for (std::uint64_t i = 0; m.stats().resizing; ++i) {
        ASSERT_LT(i, 64u) << "the compaction does not finish";
        m.emplace(1000 + i, i);
        m.erase(1000 + i);
    }
    // Chains 0-6 were sparse when moved: one bucket each now. An erase
    // works where its key is (chain 7 of the old array) and then helps one
    // bucket at the cursor, so the 8th erase moved chain 7 with 25 keys
    // left: a head and one overflow bucket.
    st = m.stats();
    EXPECT_EQ(st.head_buckets, 8u) << st;
    EXPECT_EQ(st.overflow_buckets, 1u) << st;
    ASSERT_GE(st.chain_length_histogram.size(), 3u) << st;
    EXPECT_EQ(st.chain_length_histogram[1], 7u) << st;
    EXPECT_EQ(st.chain_length_histogram[2], 1u) << st;
    EXPECT_EQ(st.size, 8u);
    for (std::uint64_t b = 0; b < 8; ++b) {
        EXPECT_EQ(m.find(b * 64 + 32), 32u) << b;
        EXPECT_FALSE(m.contains(b * 64)) << b;
    }
}

TEST(States, EvacuationMarksOldSlots) {
    map_t m(52);  // 4 buckets
    ASSERT_EQ(m.stats().head_buckets, 4u);
    std::uint64_t k = 0;
    while (!m.stats().resizing) {
        m.emplace(k, k);
        ++k;
        ASSERT_LT(k, 200u) << "growth never started";
    }
    auto st = m.stats();
    EXPECT_EQ(st.old_head_buckets, 4u);
    EXPECT_EQ(st.head_buckets, 8u);
    const std::uint64_t inserted = k;
    // One more write evacuates its own old bucket plus one at the cursor.
    std::uint64_t writer = 1000;
    while ((m.bucket_of(writer) & 3) == 0)
        ++writer;  // not old bucket 0
    m.emplace(writer, writer);
    st = m.stats();
    EXPECT_EQ(st.evacuated_head_buckets, 2u) << st;
    const std::size_t ob = m.bucket_of(writer) & 3;
    const auto v = debug::inspect(m, ob);
    ASSERT_NE(v.old(), nullptr);
    EXPECT_TRUE(v.old()->evacuated);
    std::size_t x = 0, y = 0;
    for (const auto& b : v.old()->buckets) {
        for (tag_t t : b) {
            EXPECT_TRUE(simd::is_evacuated(t)) << unsigned(t);
            x += t == simd::evacuated_x;
            y += t == simd::evacuated_y;
        }
    }
    // X went to bucket ob, Y to ob + 4 of the new array.
    const auto vx = debug::inspect(m, ob), vy = debug::inspect(m, ob + 4);
    EXPECT_EQ(vx.current()->count(simd::min_full), x + (m.bucket_of(writer) == ob));
    EXPECT_EQ(vy.current()->count(simd::min_full), y + (m.bucket_of(writer) == ob + 4));
    // Writes finish the resize; every key is still there.
    for (std::uint64_t i = 0; i < 8; ++i)
        m.emplace(5000 + i, i);
    EXPECT_FALSE(m.stats().resizing);
    for (std::uint64_t i = 0; i < inserted; ++i)
        EXPECT_EQ(m.find(i), i);
}

// Steady churn reuses slots: the array never grows and no garbage builds up.
TEST(States, ChurnNeverGrowsOrAccumulates) {
    map_t m;
    const std::uint64_t n = 1 << 14;
    for (std::uint64_t i = 0; i < n; ++i)
        m.emplace(i, i);
    while (m.stats().resizing)
        m.emplace(0, 0);  // let a pending resize finish
    const auto before = m.stats();
    for (std::uint64_t i = 0; i < 20 * n; ++i) {
        ASSERT_TRUE(m.erase(i));
        ASSERT_TRUE(m.emplace(i + n, i));
    }
    const auto after = m.stats();
    EXPECT_EQ(after.size, n);
    EXPECT_EQ(after.head_buckets, before.head_buckets) << after;
    EXPECT_FALSE(after.resizing && !after.same_size_resize);
    // Overflow buckets are recycled within their stripe: the total is bounded
    // by what the stripes need at once, not by the number of operations.
    EXPECT_LE(after.overflow_buckets + after.free_overflow_buckets,
              before.overflow_buckets + before.free_overflow_buckets + after.stripe_count)
        << before << after;
    for (std::uint64_t i = 20 * n; i < 40 * n; ++i) {
        ASSERT_TRUE(m.erase(i));
        ASSERT_TRUE(m.emplace(i + n, i));
    }
    const auto later = m.stats();
    EXPECT_LE(later.overflow_buckets + later.free_overflow_buckets,
              after.overflow_buckets + after.free_overflow_buckets + after.stripe_count / 8)
        << "overflow buckets keep accumulating: " << after << later;
}

}  // namespace

// chain::check_invariants, on chains built by hand: each broken slot rule is
// caught with its name, and chains the rules allow pass. (The tests build
// with TOPHASH_CHECK_INVARIANTS, so every write of every suite runs it too.)
namespace {
using storage_t = detail::flat_storage<detail::map_kind<std::uint64_t, std::uint64_t>>;
using array_t = detail::bucket_array<storage_t, std::allocator<std::uint64_t>>;
using chain_t = detail::chain<storage_t, std::allocator<std::uint64_t>>;

struct hand_built {
    std::allocator<std::uint64_t> alloc;
    array_t* a = array_t::create(alloc, 4);
    chain_t c{*a, 1};
    ~hand_built() {
        for (auto b = c.head()->next(); b != nullptr; b = b->next())
            for (unsigned i = 0; i < array_t::width; ++i)
                b->set_tag(i, simd::empty_rest);  // no elements to destroy
        for (unsigned i = 0; i < array_t::width; ++i)
            c.head()->set_tag(i, simd::empty_rest);
        array_t::destroy(alloc, a);
    }
    // An overflow bucket linked after the head, its slots all set to t.
    typename array_t::bucket_type add_overflow(tag_t t) {
        auto b = a->take_overflow(alloc, c.stripe());
        for (unsigned i = 0; i < array_t::width; ++i)
            b->set_tag(i, t);
        c.head()->set_next(b);
        return b;
    }
};
}  // namespace

TEST(ChainInvariants, ChainsTheRulesAllowPass) {
    hand_built h;
    h.c.check_invariants();  // empty
    h.c.head()->set_tag(0, 200);
    h.c.head()->set_tag(1, simd::empty_one);
    h.c.head()->set_tag(2, 201);
    h.c.check_invariants();  // a hole before a full slot
    for (unsigned i = 0; i < array_t::width; ++i)
        h.c.head()->set_tag(i, simd::empty_one);
    auto b = h.add_overflow(simd::empty_rest);
    b->set_tag(0, 202);
    h.c.check_invariants();  // an empty head before a full overflow bucket
}

#if TOPHASH_CHECK_INVARIANTS && GTEST_HAS_DEATH_TEST
TEST(ChainInvariantsDeathTest, EachBrokenRuleIsNamed) {
    EXPECT_DEATH(
        {
            hand_built h;
            h.c.head()->set_tag(0, 200);
            h.c.head()->set_tag(1, simd::empty_one);  // nothing full after it
            h.c.check_invariants();
        },
        "emptyOne with nothing full after it");
    EXPECT_DEATH(
        {
            hand_built h;
            h.c.head()->set_tag(3, 200);  // full after emptyRest slots 0-2
            h.c.check_invariants();
        },
        "not emptyRest after one");
    EXPECT_DEATH(
        {
            hand_built h;
            h.c.head()->set_tag(0, 200);
            for (unsigned i = 1; i < array_t::width; ++i)
                h.c.head()->set_tag(i, 201);
            h.add_overflow(simd::empty_one);
            h.c.check_invariants();
        },
        "ends in an empty overflow bucket");
    EXPECT_DEATH(
        {
            hand_built h;
            h.c.head()->set_tag(0, simd::evacuated_x);
            h.c.head()->set_tag(1, 200);
            h.c.check_invariants();  // head slot 0 says evacuated: skipped
            h.c.head()->set_tag(0, 200);
            h.c.head()->set_tag(1, simd::evacuated_y);
            h.c.check_invariants();
        },
        "evacuation mark in a live chain");
}
#endif
