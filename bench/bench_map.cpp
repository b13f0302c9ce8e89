// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::concurrent_map against absl::flat_hash_map, boost::unordered_flat_map
// and (with Boost >= 1.83 headers) boost::concurrent_flat_map, single thread,
// uint64 -> uint64, default hashers, fixed seeds. Compare rows of the same
// workload and size: scripts/bench prints them as ratios.
#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/version.hpp>
#ifndef TOPHASH_BENCH_BOOST_CONCURRENT
#define TOPHASH_BENCH_BOOST_CONCURRENT 0
#endif
#if TOPHASH_BENCH_BOOST_CONCURRENT
#include <boost/unordered/concurrent_flat_map.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"

namespace {

using key_t = std::uint64_t;

// The hasher of the same-hash mode, given to every map so that a difference
// is the table and not the hash: absl::Hash, declared avalanching so that
// neither Boost nor tophash mixes it again (absl uses hashes as they are).
template <class K>
struct same_hash {
    using is_avalanching = std::true_type;
    std::size_t operator()(const K& k) const { return absl::Hash<K>{}(k); }
};

// absl::flat_hash_map and boost::unordered_flat_map share one adapter.
template <class Container>
struct std_like_map {
    using K = typename Container::key_type;
    Container m;
    bool insert(const K& k, key_t v) { return m.emplace(k, v).second; }
    bool find(const K& k) const {
        auto it = m.find(k);
        return it != m.end() && it->second != ~key_t{0};
    }
    bool erase(const K& k) { return m.erase(k) == 1; }
    // No bulk interface: the scalar loop a user would write.
    std::size_t find_bulk(const K* keys, std::size_t n) const {
        std::size_t found = 0;
        for (std::size_t i = 0; i < n; ++i)
            found += find(keys[i]);
        return found;
    }
    template <class F>
    void for_each(F f) const {
        for (const auto& kv : m)
            f(kv);
    }
};
// Each map's default hasher unless H is given.
template <class K = key_t, class H = absl::Hash<K>>
struct absl_map : std_like_map<absl::flat_hash_map<K, key_t, H>> {
    static constexpr const char* name = "absl";
};
template <class K = key_t, class H = boost::hash<K>>
struct boost_map : std_like_map<boost::unordered_flat_map<K, key_t, H>> {
    static constexpr const char* name = "boost_flat";
};
// boost::concurrent_flat_map, used as its documentation shows: lookups visit
// (there are no iterators), bulk lookups pass a key range to cvisit.
#if TOPHASH_BENCH_BOOST_CONCURRENT
template <class K = key_t, class H = boost::hash<K>>
struct boost_concurrent_map {
    static constexpr const char* name = "boost_concurrent";
    boost::concurrent_flat_map<K, key_t, H> m;
    bool insert(const K& k, key_t v) { return m.emplace(k, v); }
    bool find(const K& k) const {
        key_t v = ~key_t{0};
        m.cvisit(k, [&](const auto& kv) { v = kv.second; });
        return v != ~key_t{0};
    }
    bool erase(const K& k) { return m.erase(k) == 1; }
    std::size_t find_bulk(const K* keys, std::size_t n) const {
        return m.cvisit(keys, keys + n, [](const auto&) {});
    }
    template <class F>
    void for_each(F f) const {
        m.cvisit_all(f);
    }
};
#endif
// Stands in for a map this build does not have: registers nothing.
struct absent {};
#if TOPHASH_BENCH_BOOST_CONCURRENT
template <class K = key_t, class H = boost::hash<K>>
using boost_concurrent_or_absent = boost_concurrent_map<K, H>;
#else
template <class K = key_t, class H = void>
using boost_concurrent_or_absent = absent;
#endif

template <class K = key_t, class H = tophash::hash<K>>
struct tophash_map {
    static constexpr const char* name = "tophash";
    tophash::concurrent_map<K, key_t, H> m;
    bool insert(const K& k, key_t v) { return m.emplace(k, v); }
    bool find(const K& k) const {
        auto v = m.find(k);
        return v && *v != ~key_t{0};
    }
    bool erase(const K& k) { return m.erase(k); }
    std::size_t find_bulk(const K* keys, std::size_t n) const {
        return m.cvisit(keys, keys + n, [](const auto&) {});
    }
    template <class F>
    void for_each(F f) const {
        m.for_each(f);
    }
};

// The node map under the same adapter, for the flat-versus-node figure
// (workload find_hit_node; named "tophash" so that the report's columns fit).
template <class K = key_t, class H = tophash::hash<K>>
struct tophash_node_map {
    static constexpr const char* name = "tophash";
    tophash::concurrent_node_map<K, key_t, H> m;
    bool insert(const K& k, key_t v) { return m.emplace(k, v); }
    bool find(const K& k) const {
        auto v = m.find(k);
        return v && *v != ~key_t{0};
    }
};

std::vector<key_t> random_keys(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<key_t> keys(n);
    for (auto& k : keys)
        k = rng() | 1;  // odd: misses use even keys
    return keys;
}

// Google Benchmark calls a benchmark function several times in one run, with
// growing iteration counts; rebuilding a 2^23-element map on every call took
// most of bench_map's time (about 19 s per find run at 2^23). Read-only
// benchmarks keep the fixture they built for the next call of the same
// benchmark; only the last one is kept, so maps do not pile up.
struct last_fixture {
    const void* type = nullptr;
    std::int64_t arg = -1;
    std::shared_ptr<void> object;
};
last_fixture g_last_fixture;

template <class Fixture>
const Fixture& reused_fixture(std::int64_t arg) {
    static const char type_id = 0;  // one address per Fixture type
    last_fixture& l = g_last_fixture;
    if (l.type != &type_id || l.arg != arg) {
        l.object.reset();  // free the previous fixture before building this one
        l.type = nullptr;
        l.object = std::make_shared<Fixture>(static_cast<std::size_t>(arg));
        l.type = &type_id;
        l.arg = arg;
    }
    return *static_cast<const Fixture*>(l.object.get());
}

// Lookups in random order over the present keys (hit) or absent keys (miss).
template <class Map, bool Hit>
struct find_fixture {
    Map m;
    std::vector<key_t> probes;
    explicit find_fixture(std::size_t n) {
        const auto keys = random_keys(n, 1);
        for (key_t k : keys)
            m.insert(k, k);
        probes.resize(std::min<std::size_t>(n, 1 << 20) * 4);
        std::mt19937_64 rng(2);
        for (auto& p : probes)
            p = Hit ? keys[rng() % n] : (rng() & ~key_t{1});
    }
};
template <class Map, bool Hit>
void BM_find(benchmark::State& state) {
    const auto& f = reused_fixture<find_fixture<Map, Hit>>(state.range(0));
    const Map& m = f.m;
    const auto& probes = f.probes;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        found += m.find(probes[i]);
        if (++i == probes.size()) i = 0;
    }
    benchmark::DoNotOptimize(found);
    if (Hit ? found != state.iterations() : found != 0) state.SkipWithError("wrong result");
}

// Lookups of present keys in batches of bulk_keys, each batch one call:
// tophash's bulk cvisit(first, last, f), whose batches overlap the cache
// misses of several keys; the others' scalar loop. Times are per key, so
// the row compares with find_hit (tophash's own loop of single finds).
constexpr std::size_t bulk_keys = 64;
static_assert((std::size_t{1} << 20) * 4 % bulk_keys == 0, "batches tile the probe array");
template <class Map>
void BM_find_bulk(benchmark::State& state) {
    const auto& f = reused_fixture<find_fixture<Map, true>>(state.range(0));
    const auto& probes = f.probes;
    std::size_t i = 0, found = 0;
    while (state.KeepRunningBatch(bulk_keys)) {
        found += f.m.find_bulk(&probes[i], bulk_keys);
        i += bulk_keys;
        if (i == probes.size()) i = 0;
    }
    if (found != static_cast<std::size_t>(state.iterations())) state.SkipWithError("wrong result");
}

// Steady size n: erase a random live key, insert a fresh one.
template <class Map>
void BM_churn(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto live = random_keys(n, 3);
    Map m;
    for (key_t k : live)
        m.insert(k, k);
    std::mt19937_64 rng(4);
    for (auto _ : state) {
        key_t& slot = live[rng() % n];
        m.erase(slot);
        slot = rng() | 1;
        m.insert(slot, slot);
    }
}

// Inserting n keys into an empty map: total, and the latency of single
// inserts (the slowest is the stop-the-world rehash, if the map has one).
template <class Map>
void BM_grow(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto keys = random_keys(n, 5);
    std::vector<std::uint32_t> lat(n);
    double total_ns = 0;
    for (auto _ : state) {
        Map m;
        const auto start = std::chrono::steady_clock::now();
        auto prev = start;
        for (std::size_t i = 0; i < n; ++i) {
            m.insert(keys[i], keys[i]);
            const auto now = std::chrono::steady_clock::now();
            lat[i] = static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - prev).count());
            prev = now;
        }
        // Manual time: the map's destruction at the end of the scope is not growth.
        state.SetIterationTime(std::chrono::duration<double>(prev - start).count());
        total_ns = std::chrono::duration<double, std::nano>(prev - start).count();
    }
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
        return static_cast<double>(lat[static_cast<std::size_t>(p * (n - 1))]);
    };
    state.counters["p50_ns"] = pct(0.5);
    state.counters["p99_ns"] = pct(0.99);
    state.counters["p99.9_ns"] = pct(0.999);
    state.counters["p99.99_ns"] = pct(0.9999);
    state.counters["p99.999_ns"] = pct(0.99999);
    state.counters["max_ns"] = static_cast<double>(lat.back());
    state.counters["ns_per_insert"] = total_ns / static_cast<double>(n);
}

// String keys of a fixed length (16 or 48 bytes: inline in neither libstdc++'s
// SSO nor a cache line), lookups as BM_find.
template <class Map, std::size_t Len>
struct find_string_fixture {
    std::vector<std::string> keys;
    Map m;
    std::vector<std::uint32_t> probes;
    explicit find_string_fixture(std::size_t n) : keys(n), probes(1 << 20) {
        std::mt19937_64 rng(11);
        for (auto& k : keys) {
            k.assign(Len, 'k');
            const std::uint64_t x = rng();
            std::memcpy(k.data(), &x, sizeof x);
        }
        for (std::size_t i = 0; i < n; ++i)
            m.insert(keys[i], i);
        for (auto& p : probes)
            p = static_cast<std::uint32_t>(rng() % n);
    }
};
template <class Map, std::size_t Len>
void BM_find_string(benchmark::State& state) {
    const auto& f = reused_fixture<find_string_fixture<Map, Len>>(state.range(0));
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        found += f.m.find(f.keys[f.probes[i]]);
        if (++i == f.probes.size()) i = 0;
    }
    if (found != static_cast<std::size_t>(state.iterations())) state.SkipWithError("wrong result");
}

// Churn in successive windows: ns per erase+insert pair in each window of
// 2M pairs (counters w0, w1, ...), to show degradation or pauses over time.
template <class Map>
void BM_churn_windows(benchmark::State& state) {
    const std::size_t n = 1 << 20, window = 2000000, windows = 10;
    auto live = random_keys(n, 3);
    std::mt19937_64 rng(4);
    for (auto _ : state) {
        Map m;
        for (key_t k : live)
            m.insert(k, k);
        double worst = 0, best = 1e300;
        for (std::size_t w = 0; w < windows; ++w) {
            const auto t0 = std::chrono::steady_clock::now();
            for (std::size_t i = 0; i < window; ++i) {
                key_t& slot = live[rng() % n];
                m.erase(slot);
                slot = rng() | 1;
                m.insert(slot, slot);
            }
            const double ns =
                std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0)
                    .count() /
                window;
            state.counters["w" + std::to_string(w)] = ns;
            worst = std::max(worst, ns);
            best = std::min(best, ns);
        }
        state.counters["slowest_over_fastest"] = worst / best;
        state.SetIterationTime(0);
    }
}

// Full iteration of a 10k map, and of the same map after 90% was erased.
template <class Map, bool Erased>
void BM_iterate(benchmark::State& state) {
    const auto keys = random_keys(10000, 12);
    Map m;
    for (key_t k : keys)
        m.insert(k, k);
    if (Erased) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (i % 10 != 0) m.erase(keys[i]);
        }
    }
    for (auto _ : state) {
        key_t sum = 0;
        m.for_each([&](const auto& kv) { sum += kv.first ^ kv.second; });
        benchmark::DoNotOptimize(sum);
    }
}

// Memory by allocator accounting: bytes held per element after n inserts.
struct alloc_stats {
    static inline long bytes = 0;
};
template <class T>
struct counting_allocator {
    using value_type = T;
    counting_allocator() = default;
    template <class U>
    counting_allocator(const counting_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        alloc_stats::bytes += static_cast<long>(n * sizeof(T));
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        alloc_stats::bytes -= static_cast<long>(n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const counting_allocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const counting_allocator<U>&) const noexcept {
        return false;
    }
};
template <class Map>
void BM_memory(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto keys = random_keys(n, 13);
    for (auto _ : state) {
        const long before = alloc_stats::bytes;
        Map m;
        for (key_t k : keys)
            m.insert(k, k);
        m.settle();
        state.counters["bytes_per_element"] =
            static_cast<double>(alloc_stats::bytes - before + static_cast<long>(sizeof(Map))) / n;
        state.counters["empty_map_bytes"] = static_cast<double>(sizeof(Map));
        state.SetIterationTime(0);
    }
}
template <class K, class V>
using counted_pair_allocator = counting_allocator<std::pair<const K, V>>;
struct absl_counted
    : std_like_map<absl::flat_hash_map<key_t, key_t, absl::Hash<key_t>, std::equal_to<key_t>,
                                       counted_pair_allocator<key_t, key_t>>> {
    static constexpr const char* name = "absl";
    void settle() {}
};
struct boost_counted
    : std_like_map<boost::unordered_flat_map<key_t, key_t, boost::hash<key_t>, std::equal_to<key_t>,
                                             counted_pair_allocator<key_t, key_t>>> {
    static constexpr const char* name = "boost_flat";
    void settle() {}
};
#if TOPHASH_BENCH_BOOST_CONCURRENT
struct boost_concurrent_counted {
    static constexpr const char* name = "boost_concurrent";
    boost::concurrent_flat_map<key_t, key_t, boost::hash<key_t>, std::equal_to<key_t>,
                               counted_pair_allocator<key_t, key_t>>
        m;
    void insert(key_t k, key_t v) { m.emplace(k, v); }
    void settle() {}
};
using boost_concurrent_counted_or_absent = boost_concurrent_counted;
#else
using boost_concurrent_counted_or_absent = absent;
#endif
struct tophash_counted {
    static constexpr const char* name = "tophash";
    tophash::concurrent_map<key_t, key_t, tophash::hash<key_t>, std::equal_to<key_t>,
                            counted_pair_allocator<key_t, key_t>>
        m;
    void insert(key_t k, key_t v) { m.emplace(k, v); }
    // A resize in progress holds the old array until writes finish it, and
    // retired arrays wait for reclamation: measure the steady state.
    void settle() { m.reserve(m.size()); }
};

// Registration: for each workload, one row per map in the order given, so
// that the rows a ratio compares run close together in time.
template <class T>
struct type_tag {
    using type = T;
};
template <class... Maps, class F>
void for_maps(F f) {
    (
        [&] {
            if constexpr (!std::is_same_v<Maps, absent>) f(type_tag<Maps>{});
        }(),
        ...);
}
template <class... Maps, class Bench>
void add(const std::string& workload, Bench bench, std::initializer_list<std::int64_t> args,
         bool once = false) {
    for_maps<Maps...>([&](auto tag) {
        using M = typename decltype(tag)::type;
        auto* b = benchmark::RegisterBenchmark((workload + "/" + M::name).c_str(), bench(tag));
        for (auto a : args)
            b->Arg(a);
        if (once) b->UseManualTime()->Iterations(1);
    });
}
#define TOPHASH_BENCH(fn, ...) \
    [](auto tag) { return fn<typename decltype(tag)::type, ##__VA_ARGS__>; }

// Finds and churn, with each map's default hasher (suffix "") or all with
// same_hash (suffix "_samehash").
// The maps of every workload, for key type K and hasher H (void: each map's
// default), in the order they run.
template <class K, class H>
struct maps_of {
    template <class Default>
    using h = std::conditional_t<std::is_void_v<H>, Default, H>;
    using absl_t = absl_map<K, h<absl::Hash<K>>>;
    using boost_t = boost_map<K, h<boost::hash<K>>>;
    using boost_concurrent_t = boost_concurrent_or_absent<K, h<boost::hash<K>>>;
    using tophash_t = tophash_map<K, h<tophash::hash<K>>>;
    template <class Bench>
    static void add(const std::string& workload, Bench bench,
                    std::initializer_list<std::int64_t> args, bool once = false) {
        ::add<absl_t, boost_t, boost_concurrent_t, tophash_t>(workload, bench, args, once);
    }
};

// Finds and churn, with each map's default hasher (suffix "") or all with
// same_hash (suffix "_samehash").
template <class U, class S>
void register_lookups_and_churn(const std::string& suffix) {
    const std::initializer_list<std::int64_t> sizes = {1 << 10, 1 << 16, 1 << 20, 1 << 23};
    U::add("find_hit" + suffix, TOPHASH_BENCH(BM_find, true), sizes);
    U::add("find_miss" + suffix, TOPHASH_BENCH(BM_find, false), sizes);
    U::add("find_bulk" + suffix, TOPHASH_BENCH(BM_find_bulk), {1 << 16, 1 << 20, 1 << 23});
    S::add("find_str16" + suffix, TOPHASH_BENCH(BM_find_string, 16), {1 << 16, 1 << 20});
    S::add("find_str48" + suffix, TOPHASH_BENCH(BM_find_string, 48), {1 << 16, 1 << 20});
    U::add("churn" + suffix, TOPHASH_BENCH(BM_churn), {1 << 20});
}

void register_all() {
    using std::string;
    using u = maps_of<key_t, void>;
    register_lookups_and_churn<u, maps_of<string, void>>("");
    register_lookups_and_churn<maps_of<key_t, same_hash<key_t>>,
                               maps_of<string, same_hash<string>>>("_samehash");
    add<absl_map<>, tophash_node_map<>>("find_hit_node", TOPHASH_BENCH(BM_find, true),
                                        {1 << 16, 1 << 20});
    u::add("iterate10k", TOPHASH_BENCH(BM_iterate, false), {10000});
    u::add("iterate10k_90pct_erased", TOPHASH_BENCH(BM_iterate, true), {10000});
    u::add("churn_windows", TOPHASH_BENCH(BM_churn_windows), {1 << 20}, true);
    add<absl_counted, boost_counted, boost_concurrent_counted_or_absent, tophash_counted>(
        "memory", TOPHASH_BENCH(BM_memory), {1 << 20, 1 << 23}, true);
    u::add("grow", TOPHASH_BENCH(BM_grow), {1 << 23}, true);
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    // Read by report.py: which Boost the Boost columns are.
    benchmark::AddCustomContext("boost_version", BOOST_LIB_VERSION);
    benchmark::AddCustomContext("boost_concurrent", TOPHASH_BENCH_BOOST_CONCURRENT ? "yes" : "no");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
