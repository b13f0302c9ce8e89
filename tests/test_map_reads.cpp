// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Which types are read lock-free, and what user code may see when they are.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"

namespace {

using tophash::concurrent_map;

// ---- the default policy
static_assert(concurrent_map<std::uint64_t, std::uint64_t>::optimistic_reads);
static_assert(concurrent_map<std::uint64_t, std::array<char, 64>>::optimistic_reads);
// Reference-like keys: equality follows a pointer that may dangle once the
// element is erased, so they are read under the stripe's lock.
static_assert(!concurrent_map<std::string_view, int>::optimistic_reads);
static_assert(!concurrent_map<const char*, int>::optimistic_reads);
static_assert(!concurrent_map<int, int*>::optimistic_reads);
// Large values: a lock-free read would copy them on every lookup.
static_assert(!concurrent_map<int, std::array<char, 1024>>::optimistic_reads);
static_assert(!concurrent_map<std::string, int>::optimistic_reads);

// ---- the user's choice, either way
struct big_record {
    std::uint64_t words[16];  // 128 bytes
};
struct handle {  // trivially copyable, but equality follows `p`
    const char* p;
};
}  // namespace
template <>
struct tophash::is_lock_free_readable<big_record> : std::true_type {};
template <>
struct tophash::is_lock_free_readable<handle> : std::false_type {};
namespace {
static_assert(concurrent_map<int, big_record>::optimistic_reads);
struct handle_hash {
    std::size_t operator()(handle h) const { return std::hash<std::string_view>()(h.p); }
};
struct handle_eq {
    bool operator()(handle a, handle b) const { return std::strcmp(a.p, b.p) == 0; }
};
static_assert(!concurrent_map<handle, int, handle_hash, handle_eq>::optimistic_reads);

TEST(Reads, UserChosenPolicyWorksBothWays) {
    concurrent_map<int, big_record> big;
    big_record r{};
    r.words[15] = 7;
    big.emplace(1, r);
    EXPECT_EQ(big.find(1)->words[15], 7u);
    concurrent_map<handle, int, handle_hash, handle_eq> h;
    std::string a = "alpha", a2 = "alpha";
    h.emplace(handle{a.c_str()}, 1);
    EXPECT_EQ(h.find(handle{a2.c_str()}), 1);
}

// ---- trivially copyable types without a default constructor
struct user_id {
    explicit user_id(std::uint64_t v) : value(v) {}
    std::uint64_t value;
    bool operator==(const user_id& o) const { return value == o.value; }
};
struct user_id_hash {
    std::size_t operator()(const user_id& u) const { return std::hash<std::uint64_t>()(u.value); }
};
struct point {
    point(int x_, int y_) : x(x_), y(y_) {}
    int x, y;
};
static_assert(!std::is_default_constructible_v<user_id> && !std::is_default_constructible_v<point>);

TEST(Reads, TypesWithoutDefaultConstructorAreReadLockFree) {
    concurrent_map<user_id, point, user_id_hash> m;
    static_assert(decltype(m)::optimistic_reads);
    for (std::uint64_t i = 0; i < 100; ++i)
        m.try_emplace(user_id(i), static_cast<int>(i), -static_cast<int>(i));
    EXPECT_TRUE(m.contains(user_id(5)));
    EXPECT_FALSE(m.contains(user_id(500)));
    ASSERT_TRUE(m.find(user_id(7)).has_value());
    EXPECT_EQ(m.find(user_id(7))->y, -7);
    int seen = 0;
    EXPECT_TRUE(m.cvisit(user_id(9), [&](const auto& e) {
        const point& p = e.second;
        seen = p.x;
    }));
    EXPECT_EQ(seen, 9);
    EXPECT_TRUE(m.visit(user_id(9), [](auto& e) {
        point& p = e.second;
        p.x = 90;
    }));
    EXPECT_EQ(m.find(user_id(9))->x, 90);
    EXPECT_TRUE(m.erase_if(user_id(9), [](auto& e) {
        point& p = e.second;
        return p.x == 90;
    }));
    EXPECT_EQ(m.size(), 99u);
}

TEST(Reads, LargeValuesAreFoundUnderTheLock) {
    using value = std::array<char, 1024>;
    concurrent_map<int, value> m;
    value v{};
    v[1023] = 'z';
    m.emplace(1, v);
    EXPECT_TRUE(m.contains(1));
    EXPECT_EQ((*m.find(1))[1023], 'z');
    EXPECT_TRUE(m.cvisit(1, [](const auto& e) {
        const value& x = e.second;
        EXPECT_EQ(x[1023], 'z');
    }));
}

// ---- every way into a lookup
// A lookup may be its thread's first (it registers a reader record), nested
// in another map's section, or plain; the stress test below adds blocking
// operations that freeze the map and writers in the chain. Each way must
// give the same answers (a lookup that took a chain's odd version for a
// miss failed the stress test with thousands of wrong answers).
TEST(Reads, EveryWayIntoALookupGivesTheSameAnswers) {
    concurrent_map<std::uint64_t, std::uint64_t> m, other{{7, 70}};
    for (std::uint64_t k = 0; k < 2000; k += 2)
        m.emplace(k, k + 1);
    std::size_t wrong = 0;
    auto check = [&](const char* how) {
        for (std::uint64_t k = 0; k < 2000; ++k) {
            const bool present = k % 2 == 0;
            const auto v = m.find(k);
            const bool right = m.contains(k) == present && v.has_value() == present &&
                               (!present || *v == k + 1) &&
                               m.cvisit(k, [&](const auto& e) { EXPECT_EQ(e.second, k + 1); }) ==
                                   (present ? 1u : 0u);
            if (!right) {
                ADD_FAILURE() << how << ": key " << k << " answered wrongly";
                ++wrong;
            }
        }
    };
    std::thread([&] { check("the thread's first lookups"); }).join();
    EXPECT_EQ(other.cvisit(7, [&](const auto&) { check("inside another map's visit"); }), 1u);
    check("plain lookups");
    EXPECT_EQ(wrong, 0u);
}

// x and y hold the same keys and values; one thread swaps them, another
// rewrites x's values in place and inserts and erases keys the reader never
// asks for (about a thousand elements in all, so these writes land in the
// chains the reader scans; each makes its chain's version odd for a moment).
// The reader must find every key with its value, and no absent one.
TEST(Stress, LookupsStayRightThroughSwapsAndWriters) {
    concurrent_map<std::uint64_t, std::uint64_t> x, y;
    constexpr std::uint64_t n = 512;
    for (std::uint64_t k = 0; k < n; ++k) {
        x.emplace(k, 3 * k);
        y.emplace(k, 3 * k);
    }
    std::atomic<bool> stop{false};
    std::thread swapper([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            x.swap(y);
            std::this_thread::yield();
        }
    });
    std::thread writer([&] {
        for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
            x.insert_or_assign(i % n, 3 * (i % n));
            x.emplace(2 * n + i % n, 0);
            x.erase(2 * n + (i + n / 2) % n);
        }
    });
    std::size_t wrong = 0;
    const int rounds = iterations(1000);
    for (int r = 0; r < rounds; ++r) {
        for (std::uint64_t k = 0; k < n; ++k) {
            const auto v = x.find(k);
            wrong += !v || *v != 3 * k;
            wrong += !x.contains(k);
            wrong += x.contains(k + n);
            wrong += x.find(k + n).has_value();
        }
    }
    stop = true;
    swapper.join();
    writer.join();
    EXPECT_EQ(wrong, 0u) << "lookups that missed a present key, found an absent one or a "
                            "wrong value";
}

// ---- only validated copies reach the user's equality
// A key whose two words always agree (b == ~a) when stored. The equality
// counts every call that sees a key violating that: a torn copy, made while
// a writer replaced the slot's key, handed to user code.
struct paired_key {
    std::uint64_t a, b;
    static paired_key of(std::uint64_t v) { return {v, ~v}; }
    bool whole() const { return b == ~a; }
};
std::atomic<long> torn_keys_seen{0};
struct paired_eq {
    bool operator()(const paired_key& x, const paired_key& y) const {
        if (!x.whole() || !y.whole()) torn_keys_seen.fetch_add(1, std::memory_order_relaxed);
        return x.a == y.a;
    }
};
struct one_chain_hash {  // every key in one chain, one tag: every slot is compared
    using is_avalanching = void;
    std::size_t operator()(const paired_key&) const { return std::size_t{0x9e} << 56; }
};

TEST(Stress, TornKeysNeverReachTheUsersEquality) {
    concurrent_map<paired_key, std::uint64_t, one_chain_hash, paired_eq> m;
    static_assert(decltype(m)::optimistic_reads);
    torn_keys_seen = 0;
    std::atomic<bool> stop{false};
    // The writer keeps replacing the key in the chain's first slots.
    std::thread writer([&] {
        for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
            m.emplace(paired_key::of(i), i);
            m.erase(paired_key::of(i));
        }
    });
    // Bounded by count and by time: the writer rewrites the one chain
    // non-stop, so under TSan or on a loaded machine each lookup retries often.
    const int n = iterations(1000000);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::uint64_t found = 0;
    for (int i = 0; i < n && (i % 1024 != 0 || std::chrono::steady_clock::now() < deadline); ++i)
        found += m.contains(paired_key::of(~0ull));
    stop = true;
    writer.join();
    EXPECT_EQ(found, 0u);
    EXPECT_EQ(torn_keys_seen.load(), 0) << "equality ran on a key that was never stored";
}

// A std::string_view key pointing at storage the user keeps alive; one key
// long, one short, replacing each other in one slot. A torn {pointer, length}
// would read past the short key's storage (AddressSanitizer reports it).
TEST(Stress, StringViewKeysAreNeverTorn) {
    const std::string longer(4096, 'x'), shorter(8, 'y');
    concurrent_map<std::string_view, int> m;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            m.emplace(longer, 1);
            m.erase(longer);
            m.emplace(shorter, 2);
            m.erase(shorter);
        }
    });
    const std::string probe(4096, 'x');
    for (int i = 0, n = iterations(100000); i < n; ++i) {
        const auto v = m.find(std::string_view(probe));
        if (v) {
            ASSERT_EQ(*v, 1);
        }
    }
    stop = true;
    writer.join();
}

}  // namespace
