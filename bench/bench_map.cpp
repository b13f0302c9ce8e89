// tophash::concurrent_map against absl::flat_hash_map, single thread,
// uint64 -> uint64, default hashers, fixed seeds. Compare rows of the same
// workload and size: scripts/bench prints them as ratios.
#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using key_t = std::uint64_t;

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
    template <class F>
    void for_each(F f) const {
        for (const auto& kv : m)
            f(kv.first, kv.second);
    }
};
template <class K = key_t>
using absl_map = std_like_map<absl::flat_hash_map<K, key_t>>;
template <class K = key_t>
using boost_map = std_like_map<boost::unordered_flat_map<K, key_t>>;
template <class K = key_t>
struct tophash_map {
    tophash::concurrent_map<K, key_t> m;
    bool insert(const K& k, key_t v) { return m.insert(k, v); }
    bool find(const K& k) const {
        auto v = m.find(k);
        return v && *v != ~key_t{0};
    }
    bool erase(const K& k) { return m.erase(k); }
    template <class F>
    void for_each(F f) const {
        m.for_each(f);
    }
};

std::vector<key_t> random_keys(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<key_t> keys(n);
    for (auto& k : keys)
        k = rng() | 1;  // odd: misses use even keys
    return keys;
}

// Lookups in random order over the present keys (hit) or absent keys (miss).
template <class Map, bool Hit>
void BM_find(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto keys = random_keys(n, 1);
    Map m;
    for (key_t k : keys)
        m.insert(k, k);
    std::vector<key_t> probes(std::min<std::size_t>(n, 1 << 20) * 4);
    std::mt19937_64 rng(2);
    for (auto& p : probes)
        p = Hit ? keys[rng() % n] : (rng() & ~key_t{1});
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        found += m.find(probes[i]);
        if (++i == probes.size()) i = 0;
    }
    benchmark::DoNotOptimize(found);
    if (Hit ? found != state.iterations() : found != 0) state.SkipWithError("wrong result");
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
    state.counters["max_ns"] = static_cast<double>(lat.back());
    state.counters["ns_per_insert"] = total_ns / static_cast<double>(n);
}

// String keys of a fixed length (16 or 48 bytes: inline in neither libstdc++'s
// SSO nor a cache line), lookups as BM_find.
template <class Map, std::size_t Len>
void BM_find_string(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::mt19937_64 rng(11);
    std::vector<std::string> keys(n);
    for (auto& k : keys) {
        k.assign(Len, 'k');
        const std::uint64_t x = rng();
        std::memcpy(k.data(), &x, sizeof x);
    }
    Map m;
    for (std::size_t i = 0; i < n; ++i)
        m.insert(keys[i], i);
    std::vector<std::uint32_t> probes(1 << 20);
    for (auto& p : probes)
        p = static_cast<std::uint32_t>(rng() % n);
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        found += m.find(keys[probes[i]]);
        if (++i == probes.size()) i = 0;
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
        m.for_each([&](const key_t& k, const key_t& v) { sum += k ^ v; });
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
struct absl_counted {
    absl::flat_hash_map<key_t, key_t, absl::Hash<key_t>, std::equal_to<key_t>,
                        counting_allocator<std::pair<const key_t, key_t>>>
        m;
    void insert(key_t k, key_t v) { m.emplace(k, v); }
    void settle() {}
};
struct tophash_counted {
    tophash::concurrent_map<key_t, key_t, std::hash<key_t>, std::equal_to<key_t>,
                            counting_allocator<std::pair<const key_t, key_t>>>
        m;
    void insert(key_t k, key_t v) { m.insert(k, v); }
    // A resize in progress holds the old array until writes finish it, and
    // retired arrays wait for reclamation: measure the steady state.
    void settle() { m.reserve(m.size()); }
};

#define TOPHASH_FIND_SIZES ->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20)->Arg(1 << 23)
BENCHMARK_TEMPLATE(BM_find, absl_map<>, true)->Name("find_hit/absl") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, boost_map<>, true)->Name("find_hit/boost_flat") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, tophash_map<>, true)->Name("find_hit/tophash") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, absl_map<>, false)->Name("find_miss/absl") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, boost_map<>, false)->Name("find_miss/boost_flat") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, tophash_map<>, false)->Name("find_miss/tophash") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find_string, absl_map<std::string>, 16)
    ->Name("find_str16/absl")
    ->Arg(1 << 16)
    ->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_find_string, tophash_map<std::string>, 16)
    ->Name("find_str16/tophash")
    ->Arg(1 << 16)
    ->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_find_string, absl_map<std::string>, 48)
    ->Name("find_str48/absl")
    ->Arg(1 << 16)
    ->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_find_string, tophash_map<std::string>, 48)
    ->Name("find_str48/tophash")
    ->Arg(1 << 16)
    ->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_churn, absl_map<>)->Name("churn/absl")->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_churn, boost_map<>)->Name("churn/boost_flat")->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_churn, tophash_map<>)->Name("churn/tophash")->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_iterate, absl_map<>, false)->Name("iterate10k/absl")->Arg(10000);
BENCHMARK_TEMPLATE(BM_iterate, tophash_map<>, false)->Name("iterate10k/tophash")->Arg(10000);
BENCHMARK_TEMPLATE(BM_iterate, absl_map<>, true)->Name("iterate10k_90pct_erased/absl")->Arg(10000);
BENCHMARK_TEMPLATE(BM_iterate, tophash_map<>, true)
    ->Name("iterate10k_90pct_erased/tophash")
    ->Arg(10000);
BENCHMARK_TEMPLATE(BM_churn_windows, absl_map<>)
    ->Name("churn_windows/absl")
    ->Arg(1 << 20)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK_TEMPLATE(BM_churn_windows, tophash_map<>)
    ->Name("churn_windows/tophash")
    ->Arg(1 << 20)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK_TEMPLATE(BM_memory, absl_counted)
    ->Name("memory/absl")
    ->Arg(1 << 20)
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK_TEMPLATE(BM_memory, tophash_counted)
    ->Name("memory/tophash")
    ->Arg(1 << 20)
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK_TEMPLATE(BM_grow, absl_map<>)
    ->Name("grow/absl")
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_grow, tophash_map<>)
    ->Name("grow/tophash")
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
