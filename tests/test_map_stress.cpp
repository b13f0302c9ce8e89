// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Multi-threaded stress tests with invariants that catch lost, duplicated or
// resurrected keys. Bounded so that sanitizer and emulator runs stay short.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"

namespace {

constexpr int threads = 4;  // more than CI's 2 cores: also exercises preemption

template <class F>
void run_threads(int n, F f) {
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t)
        ts.emplace_back(f, t);
    for (auto& t : ts)
        t.join();
}

TEST(Stress, DisjointRangesFromATinyTable) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    const std::uint64_t per = static_cast<std::uint64_t>(iterations(40000));
    run_threads(threads, [&](int t) {
        const std::uint64_t base = static_cast<std::uint64_t>(t) * per;
        for (std::uint64_t i = 0; i < per; ++i)
            ASSERT_TRUE(m.emplace(base + i, base + i));
        for (std::uint64_t i = 0; i < per; ++i)
            ASSERT_EQ(m.find(base + i), base + i);
        for (std::uint64_t i = 0; i < per; i += 2)
            ASSERT_TRUE(m.erase(base + i));
        for (std::uint64_t i = 0; i < per; ++i)
            ASSERT_EQ(m.contains(base + i), i % 2 == 1);
    });
    EXPECT_EQ(m.size(), threads * per / 2);
    std::vector<int> seen(threads * per, 0);
    m.for_each([&](const auto& e) {
        std::uint64_t k = e.first;
        std::uint64_t v = e.second;
        ASSERT_EQ(k, v);
        ++seen[k];
    });
    for (std::uint64_t k = 0; k < seen.size(); ++k)
        ASSERT_EQ(seen[k], k % 2 == 1 ? 1 : 0) << k;
}

TEST(Stress, SharedCountersSumExactly) {
    tophash::concurrent_map<int, long> m;
    const int per = iterations(50000);
    const int keys = 1000;
    run_threads(threads, [&](int t) {
        std::uint32_t x = 12345u + static_cast<std::uint32_t>(t);
        for (int i = 0; i < per; ++i) {
            x = x * 1664525u + 1013904223u;
            m.try_emplace_or_visit(static_cast<int>(x % keys), 1L, [](auto& e) {
                long& v = e.second;
                ++v;
            });
        }
    });
    long total = 0;
    m.for_each([&](const auto& e) { total += e.second; });
    EXPECT_EQ(total, static_cast<long>(threads) * per);
    EXPECT_LE(m.size(), static_cast<std::size_t>(keys));
}

TEST(Stress, StringCountersUnderSharedLocks) {
    tophash::concurrent_map<std::string, long> m;
    const int per = iterations(20000);
    std::atomic<bool> done{false};
    std::thread reader([&] {
        while (!done.load()) {
            for (int k = 0; k < 50; ++k) {
                m.cvisit(std::to_string(k), [](const auto& e) {
                    const long& v = e.second;
                    ASSERT_GE(v, 1);
                });
            }
        }
    });
    run_threads(threads, [&](int) {
        for (int i = 0; i < per; ++i) {
            m.try_emplace_or_visit(std::to_string(i % 50), 1L, [](auto& e) {
                long& v = e.second;
                ++v;
            });
        }
    });
    done = true;
    reader.join();
    long total = 0;
    m.for_each([&](const auto& e) { total += e.second; });
    EXPECT_EQ(total, static_cast<long>(threads) * per);
}

// Readers must always find keys inserted before they started, with their
// value, while writers force repeated growth from a one-bucket table. Run for
// each read path: lock-free (integers), locked after an optimistic look at
// the tags (strings, flat), locked (node map). Every miss a reader reports
// is a stable key lost; misses must never be decided on tags read while an
// evacuation rewrites them.
template <class Map, class MakeKey>
void readers_find_stable_keys_during_growth(MakeKey key) {
    Map m;
    const std::uint64_t stable = 2000;
    for (std::uint64_t i = 0; i < stable; ++i)
        m.emplace(key(i), i * 7);
    const std::uint64_t per = static_cast<std::uint64_t>(iterations(60000));
    std::atomic<int> writers_left{2};
    std::atomic<long> misses{0}, lookups{0};
    run_threads(threads, [&](int t) {
        if (t < 2) {
            const std::uint64_t base = 1000000 * (t + 1);
            for (std::uint64_t i = 0; i < per; ++i)
                m.emplace(key(base + i), i);
            writers_left.fetch_sub(1);
        } else {
            std::uint64_t i = static_cast<std::uint64_t>(t);
            // At least 100 lookups: under qemu the writers may finish before
            // a reader is first scheduled.
            for (int n = 0; writers_left.load() > 0 || n < 100; ++n) {
                const std::uint64_t k = (i += 7919) % stable;
                const auto v = m.find(key(k));
                if (!v || *v != k * 7) misses.fetch_add(1);
                lookups.fetch_add(1, std::memory_order_relaxed);
            }
        }
    });
    EXPECT_EQ(misses.load(), 0) << "of " << lookups.load() << " lookups";
    EXPECT_GT(lookups.load(), 0);
    EXPECT_EQ(m.size(), stable + 2 * per);
}

TEST(Stress, ReadersFindStableKeysDuringGrowth) {
    readers_find_stable_keys_during_growth<tophash::concurrent_map<std::uint64_t, std::uint64_t>>(
        [](std::uint64_t k) { return k; });
}
TEST(Stress, LockedReadersFindStableStringKeysDuringGrowth) {
    static_assert(!tophash::concurrent_map<std::string, std::uint64_t>::optimistic_reads);
    readers_find_stable_keys_during_growth<tophash::concurrent_map<std::string, std::uint64_t>>(
        [](std::uint64_t k) { return std::to_string(k); });
}
TEST(Stress, NodeMapReadersFindStableKeysDuringGrowth) {
    readers_find_stable_keys_during_growth<
        tophash::concurrent_node_map<std::uint64_t, std::uint64_t>>(
        [](std::uint64_t k) { return k; });
}

// for_each during growth: every stable key exactly once.
TEST(Stress, ForEachDuringGrowthVisitsStableKeysOnce) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    const std::uint64_t stable = 3000;
    for (std::uint64_t i = 0; i < stable; ++i)
        m.emplace(i, i);
    std::atomic<bool> done{false};
    std::atomic<int> passes{0};
    std::thread writer([&] {
        for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(iterations(150000)); ++i) {
            m.emplace(1u << 30 | i, i);
            if (i % 3 == 0) m.erase(1u << 30 | (i / 2));
        }
        done = true;
    });
    while (!done.load() || passes.load() < 3) {
        std::vector<int> seen(stable, 0);
        m.for_each([&](const auto& e) {
            std::uint64_t k = e.first;
            if (k < stable) ++seen[k];
        });
        for (std::uint64_t k = 0; k < stable; ++k)
            ASSERT_EQ(seen[k], 1) << "key " << k;
        passes.fetch_add(1);
    }
    writer.join();
}

// A long for_each does not stop growth: while its callback waits, a writer
// can still start a resize (before: the traversal held the grow mutex and
// chains grew without bound for as long as it ran).
TEST(Stress, LongForEachDoesNotStopGrowth) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t i = 0; i < 2000; ++i)
        m.emplace(i, i);
    const std::size_t buckets = m.bucket_count();
    const std::size_t stripe_mask = m.stats().stripe_count - 1;
    std::atomic<bool> stop{false};
    // The callback below runs with stripe 0 locked (shared): writes to its
    // chains wait, by design. The writer's keys avoid it.
    std::thread writer([&] {
        for (std::uint64_t i = 0; !stop.load(); ++i) {
            const std::uint64_t k = 1u << 30 | i;
            if ((m.bucket_of(k) & stripe_mask) != 0) m.emplace(k, i);
        }
    });
    bool grew = false, first = true;
    m.for_each([&](const auto&) {
        if (!first) return;
        first = false;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!(grew = m.bucket_count() > buckets) && std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
    });
    stop = true;
    writer.join();
    EXPECT_TRUE(grew) << "no resize started while for_each ran";
}

// A slow for_each while resizes start, run and finish under it: every key
// present for the whole call is visited exactly once. Timing decides whether
// a resize lands inside a traversal (on a loaded 2-core machine or under
// qemu it may not): each round retries until one did, checking every try.
TEST(Stress, SlowForEachVisitsStableKeysOnceAcrossResizes) {
    for (int round = 0, rounds = iterations(3); round < rounds; ++round) {
        bool resized_during = false;
        for (int attempt = 0; attempt < 10 && !resized_during; ++attempt) {
            tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
            const std::uint64_t stable = 3000;
            for (std::uint64_t i = 0; i < stable; ++i)
                m.emplace(i, i);
            const std::size_t buckets = m.bucket_count();
            std::atomic<bool> stop{false};
            std::thread writer([&] {
                for (std::uint64_t i = 0; !stop.load() && i < 400000; ++i)
                    m.emplace(1u << 30 | i, i);
            });
            std::vector<int> seen(stable, 0);
            m.for_each([&](const auto& e) {
                std::uint64_t k = e.first;
                if (k >= stable) return;
                ++seen[k];
                // Slow: the writer grows the map meanwhile. A spin, not
                // sleep_for: Windows (and wine) return at once from sleeps
                // below their timer's granularity.
                const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
                while (std::chrono::steady_clock::now() < until) {
                }
            });
            resized_during = m.bucket_count() > buckets;
            stop = true;
            writer.join();
            for (std::uint64_t k = 0; k < stable; ++k)
                ASSERT_EQ(seen[k], 1) << "key " << k;
        }
        EXPECT_TRUE(resized_during) << "no resize happened during 10 traversals";
    }
}

// erase_if(pred) while the map grows: each stable key erased exactly once,
// the writer's keys untouched.
TEST(Stress, EraseIfDuringGrowthErasesEachStableKeyOnce) {
    for (int round = 0, rounds = iterations(3); round < rounds; ++round) {
        tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
        const std::uint64_t stable = 5000, added = 60000;
        for (std::uint64_t i = 0; i < stable; ++i)
            m.emplace(i, i);
        std::thread writer([&] {
            for (std::uint64_t i = 0; i < added; ++i)
                m.emplace(1u << 30 | i, i);
        });
        const std::size_t erased = m.erase_if([](auto& e) {
            std::uint64_t k = e.first;
            std::this_thread::yield();
            return k < (1u << 30);
        });
        writer.join();
        EXPECT_EQ(erased, stable);
        EXPECT_EQ(m.size(), added);
        for (std::uint64_t i = 0; i < stable; i += 7)
            ASSERT_FALSE(m.contains(i));
        for (std::uint64_t i = 0; i < added; i += 7)
            ASSERT_TRUE(m.contains(1u << 30 | i));
    }
}

// "Decrement and erase at zero" from several threads while others read
// lock-free: the predicate writes the value, which lock-free readers copy
// (TSan reported the race when the predicate got the slot itself). Exactly
// one erase_if per key returns true.
TEST(Stress, EraseIfPredicateMayUpdateTheValue) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    static_assert(decltype(m)::optimistic_reads);
    const std::uint64_t keys = 500, start = 2 * static_cast<std::uint64_t>(iterations(32));
    for (std::uint64_t k = 0; k < keys; ++k)
        m.emplace(k, start);
    std::atomic<long> erased{0}, bad_reads{0};
    std::atomic<int> writers_left{2};
    run_threads(threads, [&](int t) {
        if (t < 2) {
            for (std::uint64_t round = 0; round < start / 2; ++round) {
                for (std::uint64_t k = 0; k < keys; ++k) {
                    erased += m.erase_if(k, [](auto& e) {
                        std::uint64_t& v = e.second;
                        return --v == 0;
                    });
                }
            }
            // The whole-map form updates values the same way.
            writers_left.fetch_sub(1);
        } else {
            while (writers_left.load() > 0) {
                for (std::uint64_t k = 0; k < keys; k += 3) {
                    const auto v = m.find(k);
                    if (v && (*v == 0 || *v > start)) bad_reads.fetch_add(1);
                }
            }
        }
    });
    EXPECT_EQ(erased.load(), static_cast<long>(keys));
    EXPECT_EQ(bad_reads.load(), 0);
    EXPECT_EQ(m.size(), 0u);
    for (std::uint64_t k = 0; k < keys; ++k)
        m.emplace(k, 2);
    std::thread reader([&] {
        for (int i = 0; i < 200; ++i)
            for (std::uint64_t k = 0; k < keys; k += 5)
                (void)m.find(k);
    });
    EXPECT_EQ(m.erase_if([](auto& e) {
        std::uint64_t& v = e.second;
        return --v == 0;
    }),
              0u);
    EXPECT_EQ(m.erase_if([](auto& e) {
        std::uint64_t& v = e.second;
        return --v == 0;
    }),
              keys);
    reader.join();
}

// Erase + insert churn from several threads on a shared key space: no key is
// lost, duplicated or resurrected, and the table stays bounded.
TEST(Stress, ChurnKeepsInvariants) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    const std::uint64_t live_per_thread = 2000;
    const int rounds = iterations(60000);
    // Thread t owns keys with k % threads == t; it tracks which it holds.
    run_threads(threads, [&](int t) {
        std::vector<std::uint64_t> mine;
        std::uint64_t next = static_cast<std::uint64_t>(t);
        for (std::uint64_t i = 0; i < live_per_thread; ++i, next += threads) {
            ASSERT_TRUE(m.emplace(next, next));
            mine.push_back(next);
        }
        std::uint32_t x = 99u + static_cast<std::uint32_t>(t);
        for (int r = 0; r < rounds; ++r) {
            x = x * 1664525u + 1013904223u;
            std::uint64_t& slot = mine[x % mine.size()];
            ASSERT_TRUE(m.erase(slot)) << "lost key " << slot;
            ASSERT_FALSE(m.contains(slot)) << "resurrected key " << slot;
            ASSERT_TRUE(m.emplace(next, next)) << "duplicate key " << next;
            slot = next;
            next += threads;
        }
        for (std::uint64_t k : mine)
            ASSERT_EQ(m.find(k), k);
    });
    EXPECT_EQ(m.size(), threads * live_per_thread);
    const auto st = m.stats();
    EXPECT_LE(st.head_buckets, 2048u) << st;
}

}  // namespace

namespace {

// Retired arrays of 8192 buckets or more are freed in steps, pages given
// back a range at a time by later writers (concurrent_map.hpp
// destroy_retired); this grows through several such arrays while a reader
// keeps finding, so ASan/TSan see those frees race with nothing.
TEST(Stress, LargeRetiredArraysFreedWhileReading) {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> m;
    const std::uint64_t n = 1200000;  // grows past 2^16 buckets (18 MiB, page-backed)
    for (std::uint64_t i = 0; i < 1000; ++i)
        m.emplace(i, i);
    std::atomic<bool> done{false};
    std::atomic<long> wrong{0};
    std::thread reader([&] {
        std::uint64_t i = 0;
        while (!done.load()) {
            const std::uint64_t k = (i++ * 7919) % 1000;
            if (m.find(k) != std::optional<std::uint64_t>(k)) wrong.fetch_add(1);
        }
    });
    for (std::uint64_t i = 1000; i < n; ++i)
        m.emplace(i, i);
    done = true;
    reader.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(m.size(), n);
    EXPECT_GE(m.bucket_count(), std::size_t{1} << 17);
    for (std::uint64_t i = 0; i < n; i += 997)
        ASSERT_EQ(m.find(i), i);
}

}  // namespace
