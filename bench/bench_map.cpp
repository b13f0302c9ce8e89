// tophash::concurrent_map against absl::flat_hash_map, single thread,
// uint64 -> uint64, default hashers, fixed seeds. Compare rows of the same
// workload and size: scripts/bench prints them as ratios.
#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using key_t = std::uint64_t;

struct absl_map {
    absl::flat_hash_map<key_t, key_t> m;
    bool insert(key_t k, key_t v) { return m.emplace(k, v).second; }
    bool find(key_t k) const {
        auto it = m.find(k);
        return it != m.end() && it->second != ~key_t{0};
    }
    bool erase(key_t k) { return m.erase(k) == 1; }
};
struct tophash_map {
    tophash::concurrent_map<key_t, key_t> m;
    bool insert(key_t k, key_t v) { return m.insert(k, v); }
    bool find(key_t k) const {
        auto v = m.find(k);
        return v && *v != ~key_t{0};
    }
    bool erase(key_t k) { return m.erase(k); }
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

#define TOPHASH_FIND_SIZES ->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20)->Arg(1 << 23)
BENCHMARK_TEMPLATE(BM_find, absl_map, true)->Name("find_hit/absl") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, tophash_map, true)->Name("find_hit/tophash") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, absl_map, false)->Name("find_miss/absl") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_find, tophash_map, false)->Name("find_miss/tophash") TOPHASH_FIND_SIZES;
BENCHMARK_TEMPLATE(BM_churn, absl_map)->Name("churn/absl")->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_churn, tophash_map)->Name("churn/tophash")->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_grow, absl_map)
    ->Name("grow/absl")
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_grow, tophash_map)
    ->Name("grow/tophash")
    ->Arg(1 << 23)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
