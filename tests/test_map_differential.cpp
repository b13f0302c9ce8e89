// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Long random operation sequences checked against std::unordered_map.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"

namespace {

template <class K>
K make_key(std::uint64_t i);
template <>
std::uint64_t make_key<std::uint64_t>(std::uint64_t i) {
    return i * 0x9e3779b97f4a7c15ull;
}
template <>
std::string make_key<std::string>(std::uint64_t i) {
    return "key-" + std::to_string(i) + std::string(i % 40, 'x');
}

template <class K>
void run_differential(std::uint64_t seed, std::uint64_t key_range, int ops) {
    tophash::concurrent_map<K, std::int64_t> m;
    std::unordered_map<K, std::int64_t> ref;
    std::mt19937_64 rng(seed);
    for (int step = 0; step < ops; ++step) {
        const K k = make_key<K>(rng() % key_range);
        const std::int64_t v = static_cast<std::int64_t>(rng() % 1000);
        switch (rng() % 12) {
            case 0:
            case 1:
                ASSERT_EQ(m.emplace(k, v), ref.emplace(k, v).second);
                break;
            case 2:
                ASSERT_EQ(m.try_emplace(k, v), ref.try_emplace(k, v).second);
                break;
            case 3:
                ASSERT_EQ(m.insert_or_assign(k, v), ref.insert_or_assign(k, v).second);
                break;
            case 4:
            case 5:
                ASSERT_EQ(m.erase(k), ref.erase(k) == 1);
                break;
            case 6: {
                auto it = ref.find(k);
                const auto got = m.find(k);
                ASSERT_EQ(got.has_value(), it != ref.end());
                if (got) {
                    ASSERT_EQ(*got, it->second);
                }
                break;
            }
            case 7:
                ASSERT_EQ(m.contains(k), ref.count(k) == 1);
                break;
            case 8: {
                const bool inserted = m.try_emplace_or_visit(k, v, [](auto& e) {
                    std::int64_t& x = e.second;
                    x += 3;
                });
                auto [it, ins] = ref.try_emplace(k, v);
                if (!ins) it->second += 3;
                ASSERT_EQ(inserted, ins);
                break;
            }
            case 9: {
                const bool hit = m.visit(k, [&](auto& e) {
                    std::int64_t& x = e.second;
                    x -= v;
                });
                auto it = ref.find(k);
                if (it != ref.end()) it->second -= v;
                ASSERT_EQ(hit, it != ref.end());
                break;
            }
            case 10: {
                const bool erased = m.erase_if(k, [](auto& e) {
                    std::int64_t& x = e.second;
                    return x % 2 == 0;
                });
                auto it = ref.find(k);
                const bool expect = it != ref.end() && it->second % 2 == 0;
                if (expect) ref.erase(it);
                ASSERT_EQ(erased, expect);
                break;
            }
            case 11:
                if (rng() % 500 == 0) {
                    const std::int64_t mod = 3 + rng() % 5;
                    const auto n = m.erase_if([&](auto& e) {
                        std::int64_t& x = e.second;
                        return x % mod == 0;
                    });
                    const std::size_t expect =
                        erase_from_model(ref, [&](const auto& v) { return v % mod == 0; });
                    ASSERT_EQ(n, expect);
                } else if (rng() % 2000 == 0) {
                    m.clear();
                    ref.clear();
                }
                break;
        }
        if (step % 997 == 0) {
            ASSERT_EQ(m.size(), ref.size()) << "step " << step;
            std::size_t visited = 0;
            m.for_each([&](const auto& e) {
                const K& key = e.first;
                const std::int64_t& val = e.second;
                ++visited;
                auto it = ref.find(key);
                ASSERT_TRUE(it != ref.end());
                ASSERT_EQ(it->second, val);
            });
            ASSERT_EQ(visited, ref.size());
            const auto st = m.stats();
            if (!st.resizing) {
                ASSERT_EQ(st.slots_full, ref.size()) << st;
            }
        }
    }
    for (auto& [k, v] : ref)
        ASSERT_EQ(m.find(k), v);
}

TEST(Differential, IntegerKeysSmallRange) {
    run_differential<std::uint64_t>(1, 300, iterations(60000));
}
TEST(Differential, IntegerKeysGrowing) {
    run_differential<std::uint64_t>(2, 40000, iterations(150000));
}
TEST(Differential, StringKeys) {
    run_differential<std::string>(3, 5000, iterations(60000));
}

}  // namespace
