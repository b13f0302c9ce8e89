// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Blocking operations (swap, copy and move assignment) while other threads
// use both containers, and every pair of two-container operations run
// concurrently under a watchdog: none may deadlock, lose or duplicate an
// element, or read freed memory (run under TSan and ASan in CI).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

namespace {

// Aborts the test binary with a message if `seconds` pass before disarm():
// a deadlock must fail the run, not hang CI.
class watchdog {
  public:
    watchdog(const char* what, int seconds) : what_(what) {
        thread_ = std::thread([this, seconds] {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
            while (!done_.load()) {
                if (std::chrono::steady_clock::now() > deadline) {
                    std::fprintf(stderr, "watchdog: %s did not finish in %d s (deadlock?)\n", what_,
                                 seconds);
                    std::abort();
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    }
    ~watchdog() {
        done_ = true;
        thread_.join();
    }

  private:
    const char* what_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

using str_map = tophash::concurrent_map<std::string, std::string>;

std::string key(int i) {
    return "key-" + std::to_string(i) + std::string(i % 3 ? 0 : 24, 'k');
}

// The two-container operations of Boost's API, each on (x, y).
struct pair_op {
    const char* name;
    std::function<void(str_map&, str_map&)> run;
};
std::vector<pair_op> pair_ops() {
    return {
        {"x.merge(y)", [](str_map& x, str_map& y) { x.merge(y); }},
        {"x == y", [](str_map& x, str_map& y) { (void)(x == y); }},
        {"copy of y",
         [](str_map&, str_map& y) {
             str_map c(y);
             (void)c.size();
         }},
        {"x = y", [](str_map& x, str_map& y) { x = y; }},
        {"x = move(y)", [](str_map& x, str_map& y) { x = std::move(y); }},
        {"x.swap(y)", [](str_map& x, str_map& y) { x.swap(y); }},
    };
}

void refill(str_map& m, int from, int n) {
    for (int i = from; i < from + n; ++i)
        m.emplace(key(i), std::string(40, 'v'));
}

// Every ordered pair of operations, one in each direction (op1 on (a, b),
// op2 on (b, a)), with a writer and a reader on both containers meanwhile.
TEST(Blocking, EveryPairOfTwoContainerOperationsRunsConcurrentlyWithoutDeadlock) {
    const auto ops = pair_ops();
    const int rounds = iterations(5);
    for (const auto& op1 : ops) {
        for (const auto& op2 : ops) {
            std::string what = std::string(op1.name) + " (a, b) against " + op2.name + " (b, a)";
            watchdog dog(what.c_str(), 60);
            str_map a, b;
            std::atomic<bool> stop{false};
            std::thread writer([&] {
                for (int i = 0; !stop.load(); ++i) {
                    a.insert_or_assign(key(i % 500), "w");
                    b.erase(key((i + 250) % 500));
                }
            });
            std::thread reader([&] {
                std::size_t n = 0;
                while (!stop.load()) {
                    n += a.contains(key(7)) + b.count(key(8));
                    a.cvisit_all([&](const auto&) { ++n; });
                }
                (void)n;
            });
            for (int r = 0; r < rounds; ++r) {
                refill(a, 0, 200);
                refill(b, 100, 200);
                std::thread t1([&] { op1.run(a, b); });
                std::thread t2([&] { op2.run(b, a); });
                t1.join();
                t2.join();
            }
            stop = true;
            writer.join();
            reader.join();
        }
    }
}

// Swaps and assignments while other threads insert, erase, read and walk
// both containers: every key inserted by a writer is in exactly one of the
// two containers at the end (swap moves elements, never loses or doubles
// them), and element constructions balance destructions.
struct counted {
    static std::atomic<long> live;
    long v = 0;
    counted(long x = 0) : v(x) { ++live; }
    counted(const counted& o) : v(o.v) { ++live; }
    counted(counted&& o) noexcept : v(o.v) { ++live; }
    counted& operator=(const counted&) = default;
    counted& operator=(counted&&) = default;
    ~counted() { --live; }
    bool operator==(const counted& o) const { return v == o.v; }
};
std::atomic<long> counted::live{0};

template <class Map>
void swap_under_load() {
    {
        Map a, b;
        constexpr int writers = 2;
        const int per_writer = iterations(3000);
        std::atomic<int> done{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> threads;
        for (int w = 0; w < writers; ++w) {
            threads.emplace_back([&, w] {
                for (int i = 0; i < per_writer; ++i) {
                    const long k = w * 1000000L + i;
                    (i % 2 ? a : b).emplace(k, counted(k));
                    if (i % 7 == 0) (i % 2 ? b : a).visit(k - 1, [](auto& v) { v.second.v += 0; });
                }
                ++done;
            });
        }
        threads.emplace_back([&] {
            long seen = 0;
            while (!stop.load()) {
                a.cvisit_all([&](const auto& v) { seen += v.second.v >= 0; });
                seen += b.contains(3) + a.count(5) + static_cast<long>(b.size());
            }
        });
        threads.emplace_back([&] {
            while (done.load() < writers) {
                a.swap(b);
                std::this_thread::yield();
            }
        });
        for (int i = 0; i < writers; ++i)
            threads[i].join();
        stop = true;
        for (std::size_t i = writers; i < threads.size(); ++i)
            threads[i].join();
        EXPECT_EQ(a.size() + b.size(), static_cast<std::size_t>(writers * per_writer));
        for (int w = 0; w < writers; ++w) {
            for (int i = 0; i < per_writer; ++i) {
                const long k = w * 1000000L + i;
                ASSERT_EQ(a.count(k) + b.count(k), 1u) << "key " << k;
            }
        }
        // Assignments under load: the result is a copy of one moment.
        std::thread w([&] {
            for (long i = 0; i < iterations(2000); ++i)
                b.emplace(-i - 1, counted(i));
        });
        for (int r = 0; r < 20; ++r) {
            Map c;
            c = b;
            a = std::move(c);
            EXPECT_LE(a.size(), b.size() + 0u);
        }
        w.join();
    }
    EXPECT_EQ(counted::live.load(), 0) << "constructions and destructions do not balance";
}

TEST(Blocking, SwapAndAssignmentUnderLoadFlat) {
    swap_under_load<tophash::concurrent_map<long, counted>>();
}
TEST(Blocking, SwapAndAssignmentUnderLoadNode) {
    swap_under_load<tophash::concurrent_node_map<long, counted>>();
}

// A visitor of one container may look up another one while a third thread
// swaps that other container with a fourth: the lookup waits outside, the
// swap does not wait for the visitor.
TEST(Blocking, LookupOfAFrozenContainerFromAnotherContainersVisitor) {
    watchdog dog("a nested lookup during a swap", 60);
    tophash::concurrent_map<int, int> outer{{1, 1}}, x{{2, 2}}, y{{3, 3}};
    std::atomic<bool> stop{false};
    std::thread swapper([&] {
        while (!stop.load()) {
            x.swap(y);
            std::this_thread::yield();
        }
    });
    std::size_t sizes = 0;
    for (int i = 0; i < iterations(2000); ++i) {
        outer.visit(1, [&](auto&) { sizes += x.size(); });
    }
    stop = true;
    swapper.join();
    EXPECT_EQ(sizes, static_cast<std::size_t>(iterations(2000)))
        << "x held one element at every moment";
}

// rehash(0) frees an empty container's arrays (Boost: bucket_count() 0), and
// neither it nor shrink_to_fit keeps a prepared next array.
TEST(MapBlocking, RehashZeroOfAnEmptyContainerFreesItsArrays) {
    tophash::concurrent_map<int, int> m;
    for (int i = 0; i < 100000; ++i)
        m.emplace(i, i);
    m.erase_if([](auto&) { return true; });
    EXPECT_NE(m.bucket_count(), 0u);
    m.rehash(0);
    EXPECT_EQ(m.bucket_count(), 0u);
    EXPECT_EQ(m.stats().bytes, 0u);
    m.emplace(1, 1);
    EXPECT_EQ(m.find(1), 1);
}

TEST(MapBlocking, ShrinkToFitDropsThePreparedArray) {
    if (!TOPHASH_HAVE_PAGE_MEMORY) GTEST_SKIP() << "no page-backed arrays here";
    tophash::concurrent_map<long, long> m;
    // Up to the point where the next array is prepared ahead of growth.
    // stats() scans every bucket: asked every 4096 inserts, not every one.
    long i = 0;
    while (i < (1L << 22) && (i % 4096 != 0 || m.stats().prepared_bytes == 0))
        m.emplace(i, i), ++i;
    ASSERT_NE(m.stats().prepared_bytes, 0u) << "no array prepared by " << i << " elements";
    m.shrink_to_fit();
    EXPECT_EQ(m.stats().prepared_bytes, 0u);
    m.emplace(i, i);
    m.rehash(0);
    EXPECT_EQ(m.stats().prepared_bytes, 0u);
    EXPECT_EQ(m.size(), static_cast<std::size_t>(i + 1));
}

// Boost documents exclusive access for a set's non-const visit, visit_all,
// visit_while and insert_or_visit: programs update mutable members there.
struct tally {
    int key;
    mutable long hits = 0;  // not atomic: the exclusive lock protects it
    bool operator==(const tally& o) const { return key == o.key; }
};
struct tally_hash {
    std::size_t operator()(const tally& t) const noexcept { return std::hash<int>()(t.key); }
};

template <class Set>
void set_visits_are_exclusive() {
    Set s;
    s.insert(tally{1});
    const int n = iterations(200000);
    auto work = [&](int which) {
        for (int i = 0; i < n; ++i) {
            switch ((i + which) % 4) {
                case 0:
                    s.visit(tally{1}, [](const tally& t) { ++t.hits; });
                    break;
                case 1:
                    s.visit_all([](const tally& t) { ++t.hits; });
                    break;
                case 2:
                    s.visit_while([](const tally& t) { return ++t.hits, true; });
                    break;
                default:
                    s.insert_or_visit(tally{1}, [](const tally& t) { ++t.hits; });
                    break;
            }
        }
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    long hits = 0;
    s.cvisit(tally{1}, [&](const tally& t) { hits = t.hits; });
    EXPECT_EQ(hits, 2L * n) << "two visitors of one element overlapped";
}
TEST(Blocking, SetVisitsAreExclusiveFlat) {
    set_visits_are_exclusive<tophash::concurrent_set<tally, tally_hash>>();
}
TEST(Blocking, SetVisitsAreExclusiveNode) {
    set_visits_are_exclusive<tophash::concurrent_node_set<tally, tally_hash>>();
}

}  // namespace
