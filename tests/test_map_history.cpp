// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Concurrent histories, checked for linearizability per key
// (history_checker.hpp): a few threads run random operations on a few
// shared keys while filler inserts and erases keep the map resizing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "history_checker.hpp"
#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"

namespace {

using history::kind;
using history::op;

// One recorded call, for hand-written histories.
op call(kind what, std::uint64_t arg, bool ok, std::optional<std::uint64_t> seen,
        std::uint64_t invoked, std::uint64_t returned) {
    op o;
    o.what = what;
    o.arg = arg;
    o.ok = ok;
    o.seen = seen;
    o.invoked = invoked;
    o.returned = returned;
    return o;
}
const std::optional<std::uint64_t> none;

// The checker itself must be able to fail.
TEST(History, CheckerRejectsWhatNoOrderExplains) {
    history::checker c;
    // insert returned before find began, yet find saw nothing.
    EXPECT_FALSE(c.linearizable(
        {call(kind::insert, 1, true, none, 0, 1), call(kind::find, 0, false, none, 2, 3)}));
    // Overlapping: find may be ordered first.
    EXPECT_TRUE(c.linearizable(
        {call(kind::insert, 1, true, none, 0, 3), call(kind::find, 0, false, none, 1, 2)}));
    // Two inserts of an absent key may not both succeed.
    EXPECT_FALSE(c.linearizable(
        {call(kind::insert, 1, true, none, 0, 3), call(kind::insert, 2, true, none, 1, 2)}));
    // A lost update: two adds of 1 to 5, yet a later find sees 6.
    EXPECT_FALSE(c.linearizable(
        {call(kind::insert, 5, true, none, 0, 1), call(kind::visit_add, 1, true, 5, 2, 5),
         call(kind::visit_add, 1, true, 5, 3, 6), call(kind::find, 0, false, 6, 7, 8)}));
    EXPECT_TRUE(c.linearizable(
        {call(kind::insert, 5, true, none, 0, 1), call(kind::visit_add, 1, true, 5, 2, 5),
         call(kind::visit_add, 1, true, 6, 3, 6), call(kind::find, 0, false, 7, 7, 8)}));
}

template <class Key>
Key key_of(std::uint64_t k);
template <>
std::uint64_t key_of(std::uint64_t k) {
    return k;
}
template <>
std::string key_of(std::uint64_t k) {
    return "key-" + std::to_string(k);
}

// Runs `rounds` rounds of `threads` threads, each doing `per_thread` random
// operations on `keys` shared keys of a fresh map, then checks every key.
template <class Key>
void run_histories(int rounds, int threads, int per_thread, std::uint64_t keys) {
    for (int round = 0; round < rounds; ++round) {
        tophash::concurrent_map<Key, std::uint64_t> m;
        std::atomic<std::uint64_t> clock{0};
        std::vector<std::vector<std::vector<op>>> logs(
            threads, std::vector<std::vector<op>>(keys));  // [thread][key]
        std::vector<std::thread> ts;
        std::atomic<int> ready{0};
        for (int t = 0; t < threads; ++t) {
            ts.emplace_back([&, t] {
                std::mt19937_64 rng(static_cast<std::uint64_t>(round * 131 + t));
                ready.fetch_add(1);
                while (ready.load() < threads)  // start together: overlapping calls
                    std::this_thread::yield();
                std::uint64_t filler = 0;
                for (int i = 0; i < per_thread; ++i) {
                    // Filler: growth from empty, evacuation under the history.
                    const Key f = key_of<Key>((1ull << 40) +
                                              static_cast<std::uint64_t>(t) * 1000000 + filler++);
                    m.emplace(f, 0);
                    if (filler % 3 == 0) m.erase(f);
                    const std::uint64_t k = rng() % keys;
                    const Key key = key_of<Key>(k);
                    op o;
                    o.arg = (static_cast<std::uint64_t>(t) << 32) | static_cast<std::uint64_t>(i)
                                                                        << 1;
                    o.invoked = clock.fetch_add(1);
                    switch (rng() % 7) {
                        case 0:
                            o.what = kind::insert;
                            o.ok = m.emplace(key, o.arg);
                            break;
                        case 1:
                            o.what = kind::insert_or_assign;
                            o.ok = m.insert_or_assign(key, o.arg);
                            break;
                        case 2:
                            o.what = kind::erase;
                            o.ok = m.erase(key);
                            break;
                        case 3:
                            o.what = kind::find;
                            o.seen = m.find(key);
                            break;
                        case 4:
                            o.what = kind::visit_add;
                            o.arg = 1 + rng() % 3;
                            o.ok = m.visit(key, [&](auto& e) {
                                std::uint64_t& v = e.second;
                                o.seen = v;
                                v += o.arg;
                            });
                            break;
                        case 5:
                            o.what = kind::emplace_or_add;
                            o.arg |= 1;
                            o.ok = m.try_emplace_or_visit(key, o.arg, [&](auto& e) {
                                std::uint64_t& v = e.second;
                                o.seen = v;
                                v += o.arg;
                            });
                            break;
                        default:
                            o.what = kind::erase_if_even;
                            o.ok = m.erase_if(key, [&](auto& e) {
                                std::uint64_t& v = e.second;
                                o.seen = v;
                                return v % 2 == 0;
                            });
                            break;
                    }
                    o.returned = clock.fetch_add(1);
                    logs[t][k].push_back(o);
                }
            });
        }
        for (auto& th : ts)
            th.join();
        history::checker c;
        for (std::uint64_t k = 0; k < keys; ++k) {
            std::vector<op> ops;
            for (int t = 0; t < threads; ++t)
                ops.insert(ops.end(), logs[t][k].begin(), logs[t][k].end());
            ASSERT_TRUE(c.linearizable(ops))
                << "round " << round << ", key " << k << ": " << ops.size() << " operations";
        }
    }
}

TEST(Stress, HistoriesAreLinearizableLockFreeReads) {
    run_histories<std::uint64_t>(iterations(8), 4, 2000, 6);
}

TEST(Stress, HistoriesAreLinearizableLockedReads) {
    run_histories<std::string>(iterations(4), 4, 2000, 6);
}

}  // namespace
