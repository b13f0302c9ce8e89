// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The differential, stress and exception suites, run on every container kind
// (flat and node maps and sets, lock-free and locked reads).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "container_kinds.hpp"
#include "test_allocators.hpp"
#include "test_util.hpp"

namespace {

template <class C>
class Containers : public ::testing::Test {};
TYPED_TEST_SUITE(Containers, all_kinds);

// The container's contents as {key number -> value}, from a snapshot;
// fails on a duplicated key.
template <class C>
std::unordered_map<std::uint64_t, std::uint64_t> contents(const C& c,
                                                          const std::vector<std::uint64_t>& ids) {
    using E = element_of<C>;
    std::unordered_map<typename C::key_type, std::uint64_t> by_key;
    for (std::uint64_t k : ids)
        by_key.emplace(make_key<typename C::key_type>(k), k);
    std::unordered_map<std::uint64_t, std::uint64_t> out;
    for (const auto& e : c.snapshot()) {
        const auto it = by_key.find(E::key(e));
        EXPECT_NE(it, by_key.end()) << "a key nobody inserted";
        if (it == by_key.end()) continue;
        EXPECT_TRUE(out.emplace(it->second, E::value(e)).second) << "duplicated key";
    }
    return out;
}

TYPED_TEST(Containers, DifferentialAgainstStdUnorderedMap) {
    using C = TypeParam;
    using E = element_of<C>;
    constexpr std::uint64_t key_space = 3000;
    std::vector<std::uint64_t> ids(key_space);
    for (std::uint64_t i = 0; i < key_space; ++i)
        ids[i] = i;
    C c;
    std::unordered_map<std::uint64_t, std::uint64_t> ref;
    std::mt19937_64 rng(42);
    const int ops = iterations(40000);
    for (int op = 0; op < ops; ++op) {
        const std::uint64_t k = rng() % key_space;
        const std::uint64_t v = E::map ? rng() % 1000 : k;
        const auto key = make_key<typename C::key_type>(k);
        switch (rng() % 11) {
            case 0:
            case 1:
                ASSERT_EQ(c.insert(E::make(k, v)), ref.emplace(k, v).second);
                break;
            case 2: {
                std::uint64_t seen = ~0ull;
                const bool inserted =
                    c.insert_or_cvisit(E::make(k, v), [&](const auto& e) { seen = E::value(e); });
                ASSERT_EQ(inserted, ref.emplace(k, v).second);
                if (!inserted) {
                    ASSERT_EQ(seen, ref[k]);
                }
                break;
            }
            case 3:
                ASSERT_EQ(c.erase(key), ref.erase(k));
                break;
            case 4: {
                const auto it = ref.find(k);
                const bool expect = it != ref.end() && it->second % 2 == 0;
                ASSERT_EQ(c.erase_if(key, [&](const auto& e) { return E::value(e) % 2 == 0; }),
                          expect ? 1u : 0u);
                if (expect) ref.erase(it);
                break;
            }
            case 5: {
                std::uint64_t seen = ~0ull;
                ASSERT_EQ(c.cvisit(key, [&](const auto& e) { seen = E::value(e); }), ref.count(k));
                if (ref.count(k)) {
                    ASSERT_EQ(seen, ref[k]);
                }
                ASSERT_EQ(c.contains(key), ref.count(k) == 1);
                ASSERT_EQ(c.count(key), ref.count(k));
                break;
            }
            case 6:
                if constexpr (E::map) {
                    ASSERT_EQ(c.visit(key, [](auto& e) { e.second += 3; }), ref.count(k));
                    if (ref.count(k)) ref[k] += 3;
                } else {
                    ASSERT_EQ(c.emplace(key), ref.emplace(k, k).second);
                }
                break;
            case 7:
                if constexpr (E::map) {
                    ASSERT_EQ(c.insert_or_assign(key, v), !ref.count(k));
                    ref[k] = v;
                } else {
                    ASSERT_EQ(c.find(key).has_value(), ref.count(k) == 1);
                }
                break;
            case 8: {
                std::vector<typename C::key_type> batch;
                std::size_t expect = 0;
                for (int i = 0; i < 40; ++i) {
                    const std::uint64_t b = rng() % key_space;
                    batch.push_back(make_key<typename C::key_type>(b));
                    expect += ref.count(b);
                }
                std::size_t calls = 0;
                ASSERT_EQ(c.cvisit(batch.begin(), batch.end(), [&](const auto&) { ++calls; }),
                          expect);
                ASSERT_EQ(calls, expect);
                break;
            }
            case 9:
                // Resizes either way, as often as the map changes size a lot.
                if (rng() % 300 == 0) {
                    c.shrink_to_fit();
                    ASSERT_LE(c.size(), c.max_load());
                    ASSERT_LT(c.max_load(), std::max<std::size_t>(2 * c.size(), 32))
                        << "shrink_to_fit left more than twice the room needed";
                } else if (rng() % 300 == 0) {
                    c.rehash(rng() % 20000);
                }
                break;
            default:
                if (rng() % 500 == 0) {
                    const std::uint64_t mod = 3 + rng() % 5;
                    const std::size_t expect =
                        erase_from_model(ref, [&](const auto& v) { return v % mod == 0; });
                    ASSERT_EQ(c.erase_if([&](const auto& e) { return E::value(e) % mod == 0; }),
                              expect);
                }
                break;
        }
        if (op % 5000 == 0 || op + 1 == ops) {
            ASSERT_EQ(c.size(), ref.size());
            ASSERT_EQ(contents(c, ids), ref);
            std::size_t n = 0;
            ASSERT_EQ(c.cvisit_all([&](const auto&) { ++n; }), ref.size());
            ASSERT_EQ(n, ref.size());
        }
    }
}

// ------------------------------------------------------------------ stress
template <class C>
class ContainerStress : public ::testing::Test {};
TYPED_TEST_SUITE(ContainerStress, all_kinds);

// Writers insert their own key ranges and erase every third key while
// readers look up keys that are never erased (single and bulk lookups, whole
// traversals): no lookup of a stable key may miss, and at the end every
// surviving key is present exactly once.
TYPED_TEST(ContainerStress, WritersAndReadersKeepEveryKeyOnce) {
    using C = TypeParam;
    using E = element_of<C>;
    const std::uint64_t per_thread = static_cast<std::uint64_t>(iterations(6000));
    constexpr int writers = 3;
    C c;
    std::atomic<int> done{0};
    std::atomic<std::uint64_t> misses{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < writers; ++t) {
        ts.emplace_back([&, t] {
            const std::uint64_t base = static_cast<std::uint64_t>(t) * per_thread;
            for (std::uint64_t i = 0; i < per_thread; ++i) {
                EXPECT_TRUE(c.insert(E::make(base + i, base + i)));
                if (i % 3 == 2) {
                    EXPECT_EQ(c.erase(make_key<typename C::key_type>(base + i)), 1u);
                }
            }
            done.fetch_add(1);
        });
    }
    ts.emplace_back([&] {
        std::vector<typename C::key_type> stable;
        for (std::uint64_t i = 0; i < 16; ++i)
            stable.push_back(make_key<typename C::key_type>(i * 3));  // i % 3 == 0: never erased
        while (done.load() < writers) {
            // Thread 0's first keys are inserted early; wait for them.
            if (!c.contains(stable.back())) continue;
            for (const auto& k : stable)
                if (!c.contains(k)) misses.fetch_add(1);
            const auto hits = c.cvisit(stable.begin(), stable.end(), [](const auto&) {});
            if (hits != stable.size()) misses.fetch_add(1);
            std::size_t seen = 0;
            c.cvisit_all([&](const auto& e) {
                const std::uint64_t n = number_of(E::key(e));
                seen += n < 48 && n % 3 == 0;
            });
            if (seen != stable.size()) misses.fetch_add(1);
        }
    });
    for (auto& th : ts)
        th.join();
    EXPECT_EQ(misses.load(), 0u) << "a stable key was missed while the container grew";
    std::vector<std::uint64_t> ids(writers * per_thread);
    for (std::uint64_t i = 0; i < ids.size(); ++i)
        ids[i] = i;
    const auto got = contents(c, ids);
    std::size_t expect = 0;
    for (std::uint64_t i = 0; i < ids.size(); ++i) {
        const bool kept = (i % per_thread) % 3 != 2;
        expect += kept;
        EXPECT_EQ(got.count(i), kept ? 1u : 0u) << i;
    }
    EXPECT_EQ(c.size(), expect);
}

// Parallel whole-container calls split the walk over threads; each element
// is still visited exactly once.
TYPED_TEST(ContainerStress, ParallelVisitAllAndEraseIf) {
    using C = TypeParam;
    using E = element_of<C>;
    C c;
    const std::uint64_t n = 20000;
    for (std::uint64_t i = 0; i < n; ++i)
        c.insert(E::make(i, i));
    std::atomic<std::uint64_t> sum{0}, count{0};
    c.cvisit_all(tophash::threads{3}, [&](const auto& e) {
        sum.fetch_add(number_of(E::key(e)));
        count.fetch_add(1);
    });
    EXPECT_EQ(count.load(), n);
    EXPECT_EQ(sum.load(), n * (n - 1) / 2);
    c.erase_if(tophash::threads{4}, [](const auto& e) { return number_of(E::key(e)) % 2 == 0; });
    EXPECT_EQ(c.size(), n / 2);
    std::atomic<int> calls{0};
    EXPECT_FALSE(
        c.cvisit_while(tophash::threads{2}, [&](const auto&) { return calls.fetch_add(1) < 10; }));
    EXPECT_LT(calls.load(), 1000) << "visit_while stops soon after f returns false";
}

// Shrinks and growths back to back (waves of churn keys inserted and erased,
// then shrink_to_fit or rehash(0)) while another writer churns its own keys,
// a reader looks up stable keys and a walker counts each stable key per
// walk: a shrink merges old chains, which walks tell apart by hash, so every
// walk must see each stable key exactly once, and no lookup may miss one.
TYPED_TEST(ContainerStress, ShrinkAndGrowKeepEveryKeyOnce) {
    using C = TypeParam;
    using E = element_of<C>;
    using K = typename C::key_type;
    constexpr std::uint64_t stable_n = 64;
    C c;
    std::vector<K> stable;
    for (std::uint64_t i = 0; i < stable_n; ++i) {
        c.insert(E::make(i, i));
        stable.push_back(make_key<K>(i));
    }
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> misses{0}, bad_walks{0}, walks{0}, shrinks{0};
    std::vector<std::thread> ts;
    ts.emplace_back([&] {  // the resizer
        std::mt19937_64 rng(5);
        for (int round = 0; round < iterations(12); ++round) {
            const std::uint64_t wave = 1000 + rng() % 6000;
            for (std::uint64_t i = 0; i < wave; ++i)
                c.insert(E::make(1000 + i, i));
            for (std::uint64_t i = 0; i < wave; ++i)
                c.erase(make_key<K>(1000 + i));
            const std::size_t before = c.stats().head_buckets;
            if (round % 2 == 0) {
                c.shrink_to_fit();
            } else {
                c.rehash(0);
            }
            shrinks += c.stats().head_buckets < before;
        }
        done = true;
    });
    ts.emplace_back([&] {  // a writer of its own keys, helping evacuations
        std::uint64_t i = 0;
        while (!done) {
            c.insert(E::make(100000 + i % 512, i));
            c.erase(make_key<K>(100000 + (i + 256) % 512));
            ++i;
        }
        for (std::uint64_t k = 0; k < 512; ++k)
            c.erase(make_key<K>(100000 + k));
    });
    ts.emplace_back([&] {  // the reader
        while (!done) {
            for (const auto& k : stable)
                if (!c.contains(k)) ++misses;
            if (c.cvisit(stable.begin(), stable.end(), [](const auto&) {}) != stable_n) ++misses;
        }
    });
    ts.emplace_back([&] {  // the walker: shared and exclusive walks, each key once
        for (int w = 0; !done || w < 3; ++w) {  // at least one walk of each kind
            std::vector<int> seen(stable_n, 0);
            auto count = [&](const auto& e) {
                const std::uint64_t n = number_of(E::key(e));
                if (n < stable_n) ++seen[n];
            };
            if (w % 3 == 0) {
                c.cvisit_all(count);
            } else if (w % 3 == 1) {
                c.visit_all([&](auto& e) { count(e); });
            } else {
                c.erase_if([&](const auto& e) {
                    count(e);
                    return false;
                });
            }
            ++walks;
            for (int x : seen)
                if (x != 1) {
                    ++bad_walks;
                    break;
                }
        }
    });
    for (auto& th : ts)
        th.join();
    EXPECT_EQ(misses.load(), 0u) << "a stable key was missed while the container shrank";
    EXPECT_EQ(bad_walks.load(), 0u) << "a walk saw a stable key twice or not at all";
    EXPECT_GT(walks.load(), 0u);
    EXPECT_GT(shrinks.load(), 0u) << "the container never shrank";
    EXPECT_EQ(c.size(), stable_n);
    std::vector<std::uint64_t> ids(stable_n);
    for (std::uint64_t i = 0; i < stable_n; ++i)
        ids[i] = i;
    EXPECT_EQ(contents(c, ids).size(), stable_n);
    std::size_t all = 0;
    c.cvisit_all([&](const auto&) { ++all; });
    EXPECT_EQ(all, stable_n);
}

// ------------------------------------------------------------------ exceptions
// A hasher that throws while armed, on about one call in `period`.
struct fault_plan {
    static inline std::atomic<bool> armed{false};
    static inline std::atomic<std::uint64_t> calls{0};
    static void maybe_throw() {
        if (armed.load(std::memory_order_relaxed) &&
            calls.fetch_add(1, std::memory_order_relaxed) % 7 == 3)
            throw std::runtime_error("hash failed");
    }
};
struct faulty_u64_hash {
    std::size_t operator()(std::uint64_t k) const {
        fault_plan::maybe_throw();
        return std::hash<std::uint64_t>()(k);
    }
};
struct faulty_string_hash {
    std::size_t operator()(const std::string& k) const {
        fault_plan::maybe_throw();
        return std::hash<std::string>()(k);
    }
};

template <class C>
class ContainerExceptions : public ::testing::Test {};
using faulty_kinds = kinds_with<faulty_u64_hash, faulty_string_hash>;
TYPED_TEST_SUITE(ContainerExceptions, faulty_kinds);

// A throwing hasher (also while evacuating during growth) fails only the
// call it threw in: the container holds exactly what the calls that returned
// put in it.
TYPED_TEST(ContainerExceptions, ThrowingHashLosesNothing) {
    using C = TypeParam;
    using E = element_of<C>;
    C c;
    std::unordered_map<std::uint64_t, std::uint64_t> ref;
    std::vector<std::uint64_t> ids;
    std::mt19937_64 rng(7);
    std::size_t thrown = 0;
    fault_plan::armed = true;
    for (int op = 0; op < iterations(20000); ++op) {
        const std::uint64_t k = rng() % 5000;
        try {
            if (rng() % 4 != 0) {
                if (c.insert(E::make(k, k))) ref.emplace(k, k);
            } else {
                if (c.erase(make_key<typename C::key_type>(k)) == 1) ref.erase(k);
            }
        } catch (const std::runtime_error&) {
            ++thrown;
        }
    }
    fault_plan::armed = false;
    EXPECT_GT(thrown, 100u);
    for (std::uint64_t i = 0; i < 5000; ++i)
        ids.push_back(i);
    EXPECT_EQ(contents(c, ids), ref);
    EXPECT_EQ(c.size(), ref.size());
}

// An allocator that fails on demand, under every container kind: node
// allocations, overflow buckets, new arrays, shrinks. A failed call changes
// nothing, later calls work, and everything allocated is freed.
template <class C>
class ContainerAllocationFailures : public ::testing::Test {};
using u64_pair = std::pair<const std::uint64_t, std::uint64_t>;
using failing_kinds = ::testing::Types<
    tophash::concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                            std::equal_to<std::uint64_t>, failing_allocator<u64_pair>>,
    tophash::concurrent_node_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                 std::equal_to<std::uint64_t>, failing_allocator<u64_pair>>,
    tophash::concurrent_set<std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                            failing_allocator<std::uint64_t>>,
    tophash::concurrent_node_set<std::uint64_t, std::hash<std::uint64_t>,
                                 std::equal_to<std::uint64_t>, failing_allocator<std::uint64_t>>>;
TYPED_TEST_SUITE(ContainerAllocationFailures, failing_kinds);

TYPED_TEST(ContainerAllocationFailures, FailedCallsChangeNothing) {
    using C = TypeParam;
    using E = element_of<C>;
    {
        C c;
        std::unordered_map<std::uint64_t, std::uint64_t> ref;
        std::mt19937_64 rng(3);
        int failures = 0;
        for (int op = 0; op < iterations(20000); ++op) {
            const std::uint64_t k = rng() % 6000;
            alloc_control::countdown = rng() % 4 == 0 ? 1 + static_cast<long>(rng() % 3) : -1;
            try {
                if (op % 5000 == 4999) {
                    // Mass erasure, then a shrink that may fail part way.
                    for (auto it = ref.begin(); it != ref.end();)
                        it = it->first % 4 != 0 ? ref.erase(it) : std::next(it);
                    alloc_control::countdown = -1;
                    c.erase_if([](const auto& e) { return number_of(E::key(e)) % 4 != 0; });
                    alloc_control::countdown = 1 + static_cast<long>(rng() % 5);
                    c.shrink_to_fit();
                } else if (rng() % 4 != 0) {
                    if (c.insert(E::make(k, k))) ref.emplace(k, k);
                } else {
                    if (c.erase(make_key<typename C::key_type>(k)) == 1) ref.erase(k);
                }
            } catch (const std::bad_alloc&) {
                ++failures;
            }
            alloc_control::countdown = -1;
        }
        EXPECT_GT(failures, 0);  // node kinds fail often, flat ones only in resizes
        std::vector<std::uint64_t> ids(6000);
        for (std::uint64_t i = 0; i < ids.size(); ++i)
            ids[i] = i;
        EXPECT_EQ(contents(c, ids), ref);
        EXPECT_EQ(c.size(), ref.size());
        c.shrink_to_fit();  // nothing fails now: any shrink left half done finishes
        EXPECT_FALSE(c.stats().resizing);
        EXPECT_EQ(contents(c, ids), ref);
    }
    EXPECT_EQ(alloc_control::live_bytes.load(), 0) << "everything allocated was freed";
}

// ------------------------------------------------------------------ API
template <class C>
class ContainerApi : public ::testing::Test {};
TYPED_TEST_SUITE(ContainerApi, all_kinds);

TYPED_TEST(ContainerApi, WholeContainerOperations) {
    using C = TypeParam;
    using E = element_of<C>;
    C a{E::make(1, 10), E::make(2, 20), E::make(3, 30)};
    EXPECT_EQ(a.size(), 3u);
    C b(a);
    EXPECT_TRUE(a == b);
    b.erase(make_key<typename C::key_type>(2));
    EXPECT_TRUE(a != b);
    EXPECT_EQ(b.size(), 2u);
    swap(a, b);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(b.size(), 3u);
    C d{E::make(3, 0), E::make(4, 40)};
    EXPECT_EQ(a.merge(d), 1u) << "key 3 is present in a, key 4 moves";
    EXPECT_EQ(d.size(), 1u);
    EXPECT_TRUE(a.contains(make_key<typename C::key_type>(4)));
    std::size_t n = 0;
    EXPECT_FALSE(a.visit_while([&](const auto&) { return ++n < 2; }));
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(a.visit_all([](auto&) {}), 3u);
    EXPECT_EQ(tophash::erase_if(a, [](const auto& e) { return number_of(E::key(e)) == 1; }), 1u);
    C e(std::move(a));
    EXPECT_EQ(e.size(), 2u);
    e = {E::make(9, 90)};
    EXPECT_EQ(e.size(), 1u);
    e.clear();
    EXPECT_TRUE(e.empty());
    EXPECT_GT(e.max_size(), 1000000u);
    EXPECT_FLOAT_EQ(e.max_load_factor(), 13.0f / 16.0f);
    e.rehash(1000);
    EXPECT_GE(e.bucket_count(), 1000u);
    EXPECT_GE(e.max_load(), 800u);
    e.reserve(5000);
    EXPECT_GE(e.max_load(), 5000u);
    EXPECT_EQ(e.load_factor(), 0.0f);
    e.rehash(0);  // as Boost's: shrinks an empty container
    EXPECT_LT(e.max_load(), 5000u);
}

// After mass erasure, shrink_to_fit gives the memory back; rehash(n) grows
// to n slots or shrinks to what size() needs.
TYPED_TEST(ContainerApi, ShrinkToFitGivesMemoryBack) {
    using C = TypeParam;
    using E = element_of<C>;
    C c;
    c.shrink_to_fit();  // no array yet: nothing to do
    EXPECT_EQ(c.bucket_count(), 0u);
    for (std::uint64_t i = 0; i < 50000; ++i)
        c.insert(E::make(i, i));
    const auto full = c.stats();
    EXPECT_EQ(c.erase_if([](const auto& e) { return number_of(E::key(e)) % 500 != 0; }), 49900u);
    EXPECT_EQ(c.stats().head_buckets, full.head_buckets) << "erasure alone keeps the array";
    c.shrink_to_fit();
    const auto small = c.stats();
    EXPECT_FALSE(small.resizing) << "shrink_to_fit finishes the move it starts";
    EXPECT_LE(small.head_buckets * 16, full.head_buckets);
    EXPECT_LT(small.bytes * 16, full.bytes);
    EXPECT_GE(c.max_load(), 100u);
    EXPECT_EQ(c.size(), 100u);
    std::size_t n = 0;
    c.cvisit_all([&](const auto& e) {
        EXPECT_EQ(number_of(E::key(e)) % 500, 0u);
        ++n;
    });
    EXPECT_EQ(n, 100u);
    for (std::uint64_t i = 0; i < 50000; i += 250)
        EXPECT_EQ(c.contains(make_key<typename C::key_type>(i)), i % 500 == 0) << i;
    c.rehash(100000);
    EXPECT_GE(c.bucket_count(), 100000u);
    c.rehash(0);
    EXPECT_EQ(c.stats().head_buckets, small.head_buckets);
    c.clear();
    c.shrink_to_fit();
    EXPECT_EQ(c.stats().head_buckets, 1u);
    EXPECT_TRUE(c.insert(E::make(7, 7)));
    EXPECT_TRUE(c.contains(make_key<typename C::key_type>(7)));
}

TYPED_TEST(ContainerApi, InsertAndVisitFamilies) {
    using C = TypeParam;
    using E = element_of<C>;
    C c;
    int fresh = 0, present = 0;
    EXPECT_TRUE(c.insert_and_cvisit(
        E::make(1, 1), [&](const auto&) { ++fresh; }, [&](const auto&) { ++present; }));
    EXPECT_FALSE(c.insert_and_visit(
        E::make(1, 2), [&](const auto&) { ++fresh; }, [&](const auto&) { ++present; }));
    EXPECT_EQ(fresh, 1);
    EXPECT_EQ(present, 1);
    EXPECT_FALSE(c.emplace_or_cvisit(E::make(1, 3), [&](const auto&) { ++present; }));
    EXPECT_TRUE(c.emplace_and_visit(
        E::make(2, 3), [&](const auto&) { ++fresh; }, [&](const auto&) { ++present; }));
    EXPECT_EQ(fresh, 2);
    EXPECT_EQ(present, 2);
    std::vector<typename C::value_type> more{E::make(2, 0), E::make(5, 5), E::make(6, 6)};
    EXPECT_EQ(c.insert(more.begin(), more.end()), 2u);
    // Boost's range _or_ forms count the elements processed, not inserted.
    EXPECT_EQ(c.insert_or_cvisit(more.begin(), more.end(), [&](const auto&) { ++present; }), 3u);
    EXPECT_EQ(present, 5);
    const auto snap = c.snapshot();
    EXPECT_EQ(snap.size(), 4u);
}

// ------------------------------------------------------------------ node containers
struct pinned {  // neither movable nor copyable, and large
    explicit pinned(int v) : value(v) {}
    pinned(const pinned&) = delete;
    pinned& operator=(const pinned&) = delete;
    std::mutex mu;
    int value;
    char payload[1024] = {};
};

// A set with a transparent hasher and equality builds its element from
// another key type only when no equal element is present (Boost's insert(K&&)).
struct counted_name {
    static inline int built = 0;
    std::string text;
    explicit counted_name(std::string_view v) : text(v) { ++built; }
    friend bool operator==(const counted_name& a, const counted_name& b) {
        return a.text == b.text;
    }
};
struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
    std::size_t operator()(const counted_name& n) const { return (*this)(n.text); }
};
struct name_eq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        return view(a) == view(b);
    }
    static std::string_view view(std::string_view v) { return v; }
    static std::string_view view(const counted_name& n) { return n.text; }
};
TEST(ContainerApi, TransparentSetInsertBuildsOnlyWhenAbsent) {
    tophash::concurrent_node_set<counted_name, name_hash, name_eq> s;
    counted_name::built = 0;
    EXPECT_TRUE(s.insert(std::string_view("ada")));
    EXPECT_FALSE(s.insert(std::string_view("ada")));
    int visited = 0;
    EXPECT_FALSE(s.insert_or_visit(std::string_view("ada"), [&](const auto&) { ++visited; }));
    EXPECT_TRUE(s.insert_and_cvisit(
        std::string_view("bob"), [&](const auto& n) { EXPECT_EQ(n.text, "bob"); },
        [&](const auto&) { ++visited; }));
    EXPECT_EQ(visited, 1);
    EXPECT_EQ(counted_name::built, 2) << "an element is built only when its key was absent";
    EXPECT_TRUE(s.contains(std::string_view("bob")));
    EXPECT_EQ(s.size(), 2u);
}

// Deduction guides (Boost's set): iterators, initializer lists, allocators.
TEST(ContainerApi, DeductionGuides) {
    const std::vector<std::pair<int, std::string>> v{{1, "a"}, {2, "b"}, {1, "c"}};
    tophash::concurrent_map m(v.begin(), v.end());
    static_assert(std::is_same_v<decltype(m), tophash::concurrent_map<int, std::string>>);
    EXPECT_EQ(m.size(), 2u);
    tophash::concurrent_node_map n({std::pair<int, long>{1, 2L}}, 8,
                                   std::allocator<std::pair<const int, long>>());
    static_assert(std::is_same_v<decltype(n), tophash::concurrent_node_map<int, long>>);
    tophash::concurrent_set s{3, 1, 3};
    static_assert(std::is_same_v<decltype(s), tophash::concurrent_set<int>>);
    EXPECT_EQ(s.size(), 2u);
    const std::vector<std::string> words{"x", "y"};
    tophash::concurrent_node_set w(words.begin(), words.end(), std::allocator<std::string>());
    static_assert(std::is_same_v<decltype(w), tophash::concurrent_node_set<std::string>>);
    EXPECT_EQ(w.size(), 2u);
#if TOPHASH_HAS_RANGES
    tophash::concurrent_map r(tophash::from_range, v);
    static_assert(std::is_same_v<decltype(r), tophash::concurrent_map<int, std::string>>);
    EXPECT_EQ(r.insert_range(std::vector<std::pair<int, std::string>>{{3, "z"}, {1, "q"}}), 1u);
    EXPECT_EQ(r.insert_range_or_visit(v, [](auto&) {}), 3u) << "Boost counts elements processed";
    EXPECT_EQ(r.size(), 3u);
#endif
}

TEST(NodeContainers, ReferencesSurviveGrowthAndElementsNeedNotMove) {
    tophash::concurrent_node_map<int, pinned> m;
    m.try_emplace(0, 7);
    const pinned* first = nullptr;
    m.visit(0, [&](auto& e) { first = &e.second; });
    for (int i = 1; i < 20000; ++i)
        m.try_emplace(i, i);
    EXPECT_GT(m.stats().head_buckets, 512u) << "grew several times";
    m.visit(0, [&](auto& e) {
        EXPECT_EQ(&e.second, first) << "the element did not move";
        std::lock_guard<std::mutex> g(e.second.mu);
        EXPECT_EQ(e.second.value, 7);
    });
    EXPECT_EQ(m.erase(0), 1u);
    EXPECT_EQ(m.size(), 19999u);
}

TEST(NodeContainers, SetOfNonMovableKeys) {
    struct key {
        explicit key(int v) : v(v) {}
        key(const key&) = delete;
        int v;
        bool operator==(const key& o) const { return v == o.v; }
    };
    struct key_hash {
        std::size_t operator()(const key& k) const { return std::hash<int>()(k.v); }
    };
    tophash::concurrent_node_set<key, key_hash> s;
    for (int i = 0; i < 5000; ++i)
        EXPECT_TRUE(s.emplace(i));
    EXPECT_FALSE(s.emplace(42));
    const key* p = nullptr;
    s.cvisit(key(42), [&](const key& k) { p = &k; });
    for (int i = 5000; i < 40000; ++i)
        s.emplace(i);
    s.cvisit(key(42), [&](const key& k) { EXPECT_EQ(&k, p); });
    EXPECT_EQ(s.size(), 40000u);
}

}  // namespace
