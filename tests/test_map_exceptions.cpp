// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Exception safety: throwing hashers, comparators, constructors and
// allocators leave the map consistent (see docs/design.md for the guarantee
// of each operation).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "test_allocators.hpp"
#include "tophash/concurrent_map.hpp"

namespace {

// ---- hasher and comparator that throw for one chosen key when armed
struct trap {
    static inline std::uint64_t key = ~0ull;
    static inline bool hash_armed = false;
    static inline bool eq_armed = false;
};
struct trap_hash {
    std::size_t operator()(std::uint64_t k) const {
        if (trap::hash_armed && k == trap::key) throw std::runtime_error("hash");
        return std::hash<std::uint64_t>()(k);
    }
};
struct trap_eq {
    bool operator()(std::uint64_t a, std::uint64_t b) const {
        if (trap::eq_armed && (a == trap::key || b == trap::key)) throw std::runtime_error("eq");
        return a == b;
    }
};

TEST(Exceptions, ThrowingHasherLeavesMapUnchanged) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t, trap_hash, trap_eq> m;
    for (std::uint64_t i = 0; i < 100; ++i)
        m.emplace(i, i);
    trap::key = 1000;
    trap::hash_armed = true;
    EXPECT_THROW(m.emplace(1000, 1), std::runtime_error);
    EXPECT_THROW(m.find(1000), std::runtime_error);
    trap::hash_armed = false;
    EXPECT_EQ(m.size(), 100u);
    EXPECT_FALSE(m.contains(1000));
}

TEST(Exceptions, ThrowingHasherDuringEvacuation) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t, trap_hash, trap_eq> m(52);
    trap::key = 7;
    std::uint64_t k = 0;
    while (!m.stats().resizing) {
        m.emplace(k, k);
        ++k;
    }
    // Evacuating the old bucket that holds 7 rehashes it, and throws.
    trap::hash_armed = true;
    int failures = 0;
    for (std::uint64_t w = 10000; w < 10200; ++w) {
        try {
            m.emplace(w, w);
        } catch (const std::runtime_error&) {
            ++failures;
        }
    }
    trap::hash_armed = false;
    EXPECT_GT(failures, 0) << "the trap was never sprung";
    for (std::uint64_t w = 10000; w < 10200; ++w)
        m.emplace(w, w);  // resize completes
    EXPECT_FALSE(m.stats().resizing);
    for (std::uint64_t i = 0; i < k; ++i)
        ASSERT_EQ(m.find(i), i);
    EXPECT_EQ(m.size(), k + 200);
}

TEST(Exceptions, ThrowingComparator) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t, trap_hash, trap_eq> m;
    for (std::uint64_t i = 0; i < 100; ++i)
        m.emplace(i, i);
    trap::key = 50;
    trap::eq_armed = true;
    EXPECT_THROW(m.find(50), std::runtime_error);
    EXPECT_THROW(m.emplace(50, 0), std::runtime_error);
    EXPECT_THROW(m.erase(50), std::runtime_error);
    trap::eq_armed = false;
    EXPECT_EQ(m.find(50), 50u);
    EXPECT_EQ(m.size(), 100u);
}

// ---- a value whose constructors throw when armed; its move is not noexcept,
// so evacuation copies (and can roll back)
struct fragile {
    static inline int countdown = -1;  // throws when it reaches 0
    static inline int live = 0;
    int v = 0;
    static void tick() {
        if (countdown > 0 && --countdown == 0) throw std::runtime_error("ctor");
    }
    explicit fragile(int x) : v(x) {
        tick();
        ++live;
    }
    fragile(const fragile& o) : v(o.v) {
        tick();
        ++live;
    }
    fragile(fragile&& o) : v(o.v) {  // NOLINT: deliberately not noexcept
        tick();
        ++live;
    }
    fragile& operator=(const fragile&) = default;
    ~fragile() { --live; }
};

TEST(Exceptions, ThrowingConstructorOnInsert) {
    {
        tophash::concurrent_map<int, fragile> m;
        for (int i = 0; i < 10; ++i)
            m.try_emplace(i, i);
        fragile::countdown = 1;
        EXPECT_THROW(m.try_emplace(100, 1), std::runtime_error);
        fragile::countdown = -1;
        EXPECT_EQ(m.size(), 10u);
        EXPECT_FALSE(m.contains(100));
        EXPECT_EQ(fragile::live, 10);
    }
    EXPECT_EQ(fragile::live, 0) << "every constructed value destroyed";
}

TEST(Exceptions, ThrowingCopyDuringEvacuationRollsBack) {
    {
        tophash::concurrent_map<int, fragile> m;
        int inserted = 0;
        int failures = 0;
        for (int round = 0; round < 3000; ++round) {
            fragile::countdown = round % 7 == 0 ? 1 + round % 13 : -1;
            try {
                if (m.try_emplace(inserted, inserted)) ++inserted;
            } catch (const std::runtime_error&) {
                ++failures;
            }
            fragile::countdown = -1;
        }
        EXPECT_GT(failures, 0);
        for (int i = 0; i < inserted; ++i)
            ASSERT_TRUE(m.contains(i)) << i;
        EXPECT_EQ(m.size(), static_cast<std::size_t>(inserted));
        EXPECT_EQ(fragile::live, inserted) << "no value leaked or destroyed twice";
    }
    EXPECT_EQ(fragile::live, 0);
}

// Shrinking merges old chains into shared ones: a copy that throws there
// must put back the destination's slots (which held elements already) and
// leave the old chain whole.
TEST(Exceptions, ThrowingCopyDuringShrinkRollsBack) {
    {
        tophash::concurrent_map<int, fragile> m;
        for (int i = 0; i < 3000; ++i)
            m.try_emplace(i, i);
        const std::size_t grown = m.stats().head_buckets;
        m.erase_if([](const auto& kv) { return kv.first % 10 != 0; });  // 300 left
        int failures = 0;
        for (int attempt = 0; attempt < 400 && m.stats().resizing + failures < 300; ++attempt) {
            fragile::countdown = 1 + attempt % 40;
            try {
                m.shrink_to_fit();
            } catch (const std::runtime_error&) {
                ++failures;
            }
            fragile::countdown = -1;
            for (int i = 0; i < 3000; i += 10)
                ASSERT_TRUE(m.contains(i)) << i << " lost after a failed shrink step";
            ASSERT_EQ(fragile::live, 300) << "no value leaked or destroyed twice";
        }
        EXPECT_GT(failures, 0);
        m.shrink_to_fit();  // nothing throws now: it finishes
        EXPECT_FALSE(m.stats().resizing);
        EXPECT_LT(m.stats().head_buckets, grown);
        EXPECT_EQ(m.size(), 300u);
        for (int i = 0; i < 3000; ++i)
            ASSERT_EQ(m.contains(i), i % 10 == 0) << i;
        EXPECT_EQ(fragile::live, 300);
    }
    EXPECT_EQ(fragile::live, 0);
}

// ---- an allocator that fails on demand (test_allocators.hpp)
TEST(Exceptions, AllocationFailuresAnywhere) {
    using alloc = failing_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
    {
        tophash::concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                std::equal_to<std::uint64_t>, alloc>
            m;
        std::unordered_map<std::uint64_t, std::uint64_t> ref;
        int failures = 0;
        for (std::uint64_t i = 0; i < 20000; ++i) {
            alloc_control::countdown = i % 5 == 0 ? 1 + static_cast<long>(i % 3) : -1;
            try {
                if (m.emplace(i, i)) ref.emplace(i, i);
            } catch (const std::bad_alloc&) {
                ++failures;
            }
            alloc_control::countdown = -1;
            if (i % 7 == 0 && !ref.empty()) {
                const std::uint64_t victim = i / 2;
                ASSERT_EQ(m.erase(victim), ref.erase(victim) == 1);
            }
        }
        EXPECT_GT(failures, 0);
        EXPECT_EQ(m.size(), ref.size());
        for (auto& [k, v] : ref)
            ASSERT_EQ(m.find(k), v);
        m.reserve(200000);  // grows even after all those failures
        for (auto& [k, v] : ref)
            ASSERT_EQ(m.find(k), v);
    }
    EXPECT_EQ(alloc_control::live_bytes, 0) << "everything allocated was freed";
}

// Retired arrays of 8192 buckets or more are freed in steps by later writes
// (concurrent_map.hpp destroy_retired). Writes alone, with no reserve() or
// destruction, must free them completely: then the allocator holds exactly
// what the map reports for its one live array.
TEST(Exceptions, RetiredArraysAreFreedByLaterWrites) {
    using alloc = failing_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
    const long before = alloc_control::live_bytes;
    {
        tophash::concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                std::equal_to<std::uint64_t>, alloc>
            m;
        const std::uint64_t n = 300000;  // ends with 2^15 buckets, after 2^13 and 2^14
        for (std::uint64_t i = 0; i < n; ++i)
            m.emplace(i, i);
        ASSERT_GE(m.stats().head_buckets, std::size_t{1} << 15);
        for (int round = 0; round < 3; ++round) {
            for (std::uint64_t i = 0; i < n; ++i)
                m.insert_or_assign(i, i + 1);
        }
        const auto st = m.stats();
        EXPECT_EQ(st.old_head_buckets, 0u) << st;
        EXPECT_EQ(alloc_control::live_bytes - before, static_cast<long>(st.bytes))
            << "retired arrays still held after 900k writes\n"
            << st;
    }
    EXPECT_EQ(alloc_control::live_bytes, before);
}

// ---- evacuation moves key and value as a unit
// A copy that throws on countdown; its move is not noexcept, so evacuation
// must copy, and (the element moving as a unit) copy its key too.
struct throwing_copy {
    static inline int countdown = -1;
    int v = 0;
    explicit throwing_copy(int x) : v(x) {}
    throwing_copy(const throwing_copy& o) : v(o.v) {
        if (countdown > 0 && --countdown == 0) throw std::runtime_error("copy");
    }
    throwing_copy(throwing_copy&& o) : v(o.v) {  // NOLINT: deliberately not noexcept
        if (countdown > 0 && --countdown == 0) throw std::runtime_error("move");
    }
    bool operator==(const throwing_copy& o) const { return v == o.v; }
};
struct throwing_copy_hash {
    std::size_t operator()(const throwing_copy& k) const { return std::hash<int>()(k.v); }
};

// Grows a map through many resizes with copies failing now and then; every
// element must survive with its own key and value.
template <class Map, class MakeKey, class MakeValue, class Check>
void grow_with_failing_copies(Map& m, MakeKey key, MakeValue value, Check check) {
    int inserted = 0, failures = 0;
    for (int round = 0; round < 4000; ++round) {
        throwing_copy::countdown = round % 5 == 0 ? 1 + round % 11 : -1;
        try {
            if (m.try_emplace(key(inserted), value(inserted))) ++inserted;
        } catch (const std::runtime_error&) {
            ++failures;
        }
        throwing_copy::countdown = -1;
    }
    EXPECT_GT(failures, 0);
    EXPECT_EQ(m.size(), static_cast<std::size_t>(inserted));
    for (int i = 0; i < inserted; ++i)
        check(i);
}

TEST(Exceptions, ThrowingValueCopyDuringEvacuationKeepsItsKey) {
    tophash::concurrent_map<std::string, throwing_copy> m;
    grow_with_failing_copies(
        m, [](int i) { return std::to_string(i); }, [](int i) { return throwing_copy(i); },
        [&](int i) {
            const auto v = m.find(std::to_string(i));
            ASSERT_TRUE(v.has_value()) << "key " << i << " lost";
            ASSERT_EQ(v->v, i);
        });
}

TEST(Exceptions, ThrowingKeyCopyDuringEvacuationKeepsItsValue) {
    tophash::concurrent_map<throwing_copy, std::string, throwing_copy_hash> m;
    grow_with_failing_copies(
        m, [](int i) { return throwing_copy(i); }, [](int i) { return std::to_string(i); },
        [&](int i) {
            const auto v = m.find(throwing_copy(i));
            ASSERT_TRUE(v.has_value()) << "key " << i << " lost";
            ASSERT_EQ(*v, std::to_string(i)) << "value of " << i << " lost";
        });
}

// ---- a failed evacuation at the shared cursor is retried
// The hasher throws once for one key, when the cursor's evacuation of its
// old bucket rehashes it. Later writes never touch that bucket themselves:
// only the cursor's retry can finish the resize.
struct once_trap {
    static inline std::uint64_t key = ~0ull;
    static inline bool armed = false;
};
struct once_trap_hash {
    std::size_t operator()(std::uint64_t k) const {
        if (once_trap::armed && k == once_trap::key) {
            once_trap::armed = false;
            throw std::runtime_error("transient hash failure");
        }
        return std::hash<std::uint64_t>()(k);
    }
};

TEST(Exceptions, FailedEvacuationAtTheCursorIsRetried) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t, once_trap_hash> m(3000);
    std::uint64_t k = 0;
    while (!m.stats().resizing)
        m.emplace(k++, 0);
    const auto st = m.stats();
    ASSERT_GE(st.old_head_buckets, 64u);
    const std::size_t old_mask = st.old_head_buckets - 1;
    // The trapped key sits in an old bucket the cursor has not reached.
    const std::size_t trapped_bucket = old_mask;
    std::uint64_t trapped = ~0ull;
    for (std::uint64_t i = 0; i < k; ++i) {
        if ((m.bucket_of(i) & old_mask) == trapped_bucket) trapped = i;
    }
    ASSERT_NE(trapped, ~0ull);
    once_trap::key = trapped;
    once_trap::armed = true;
    int failures = 0;
    std::uint64_t writes = 0;
    for (std::uint64_t i = 0; i < k && m.stats().resizing; ++i) {
        if ((m.bucket_of(i) & old_mask) == trapped_bucket) continue;
        try {
            m.insert_or_assign(i, 1);
        } catch (const std::runtime_error&) {
            ++failures;
        }
        ++writes;
    }
    EXPECT_EQ(failures, 1) << "the trap was sprung once";
    EXPECT_FALSE(m.stats().resizing) << "resize stuck after " << writes << " writes:\n"
                                     << m.stats();
    EXPECT_LE(writes, st.old_head_buckets + 1);
    EXPECT_EQ(m.size(), k);
    for (std::uint64_t i = 0; i < k; ++i)
        ASSERT_TRUE(m.contains(i)) << i;
}

// ---- erase and visit never fail for lack of memory
// 32 consecutive keys share a hash: every chain needs an overflow bucket, so
// evacuating any of them allocates.
struct clumped_hash {
    using is_avalanching = void;
    std::size_t operator()(std::uint64_t k) const { return (k / 32 + 1) * 0x9E3779B97F4A7C15ull; }
};

TEST(Exceptions, EraseAndVisitNeverFailToAllocateDuringAResize) {
    using alloc = failing_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
    tophash::concurrent_map<std::uint64_t, std::uint64_t, clumped_hash,
                            std::equal_to<std::uint64_t>, alloc>
        m;
    std::uint64_t k = 0;
    for (; k < 5000 || !m.stats().resizing; ++k)
        m.emplace(k, k + 1);
    std::unordered_map<std::uint64_t, std::uint64_t> ref;
    for (std::uint64_t i = 0; i < k; ++i)
        ref.emplace(i, i + 1);
    // Every allocation fails from here on.
    for (std::uint64_t i = 0; i < k; i += 3) {
        alloc_control::countdown = 1;
        ASSERT_NO_THROW(EXPECT_TRUE(m.erase(i))) << i;
        ref.erase(i);
        alloc_control::countdown = 1;
        ASSERT_NO_THROW(EXPECT_TRUE(m.visit(i + 1, [](auto& e) {
            std::uint64_t& v = e.second;
            v += 10;
        })));
        ref[i + 1] += 10;
    }
    alloc_control::countdown = -1;
    for (std::uint64_t i = 0; m.stats().resizing; ++i)
        m.insert_or_assign(i % 3 == 0 ? k + i : 1, ref[1]);
    for (auto& [key, v] : ref)
        ASSERT_EQ(m.find(key), v) << key;
}

// ---- an allocator that throws something other than std::bad_alloc
struct odd_throw {
    static inline bool armed = false;
};
template <class T>
struct odd_allocator {
    using value_type = T;
    odd_allocator() = default;
    template <class U>
    odd_allocator(const odd_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (odd_throw::armed && n * sizeof(T) >= 4096) throw 42;  // not derived from anything
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const odd_allocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const odd_allocator<U>&) const noexcept {
        return false;
    }
};

TEST(Exceptions, AllocatorThrowingAnOddTypeOnlyPostponesGrowth) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                            std::equal_to<std::uint64_t>,
                            odd_allocator<std::pair<const std::uint64_t, std::uint64_t>>>
        m;
    odd_throw::armed = true;  // arrays of 16+ buckets cannot be allocated
    for (std::uint64_t i = 0; i < 2000; ++i)
        ASSERT_TRUE(m.emplace(i, i));  // growth after the write fails quietly
    EXPECT_LT(m.stats().head_buckets, 16u);
    odd_throw::armed = false;
    for (std::uint64_t i = 2000; i < 4000; ++i)
        ASSERT_TRUE(m.emplace(i, i));
    EXPECT_GE(m.stats().head_buckets, 16u);
    for (std::uint64_t i = 0; i < 4000; ++i)
        ASSERT_EQ(m.find(i), i);
}

#if TOPHASH_ASSERTS
TEST(Exceptions, ReentrantCallbackIsDetected) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    tophash::concurrent_map<int, int> m;
    m.emplace(1, 1);
    EXPECT_DEATH(m.visit(1, [&](auto&) { m.emplace(2, 2); }), "must not call back into their map");
    EXPECT_DEATH(m.for_each([&](const auto&) { (void)m.contains(1); }), "must not call back");
    // Introspection locks too.
    EXPECT_DEATH(m.visit(1, [&](auto&) { (void)m.stats(); }), "stats called from inside");
    EXPECT_DEATH(m.for_each([&](const auto&) { (void)tophash::debug::inspect(m, 0); }),
                 "debug::inspect called from inside");
    // The message names the call the user made, not an internal one.
    EXPECT_DEATH(m.visit(1, [&](auto&) { m.emplace(2, 2); }), "tophash: emplace called");
    EXPECT_DEATH(m.visit(1,
                         [&](auto&) {
                             m.insert_or_visit({2, 2}, [](auto&) {});
                         }),
                 "tophash: insert_or_visit called");
    EXPECT_DEATH(m.for_each([&](const auto&) { m.erase_if(1, [](auto&) { return true; }); }),
                 "tophash: erase_if called");
    EXPECT_DEATH(m.for_each([&](const auto&) { m.cvisit(1, [](const auto&) {}); }),
                 "tophash: cvisit called");
    EXPECT_DEATH(m.visit_all([&](const auto&) { (void)m.find(1); }), "tophash: find called");
    // Another map from inside a callback is fine.
    tophash::concurrent_map<int, int> other;
    m.visit(1, [&](auto& e) {
        int& v = e.second;
        other.emplace(v, v);
    });
    EXPECT_TRUE(other.contains(1));
}
#endif

}  // namespace
