// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Multi-threaded workloads: tophash against boost::concurrent_flat_map (with
// Boost >= 1.83 headers), tbb::concurrent_hash_map,
// tbb::concurrent_unordered_map, libcuckoo and absl::flat_hash_map behind a
// std::mutex; each with its default hasher, and at the core count also all
// with one hasher (same-hash mode).
//
// Each run pre-generates every thread's operations (keys and kinds, fixed
// seeds), starts the threads together and reports million operations per
// second of wall time. Every cell runs --reps times (default 3), the maps of
// a workload taking turns, so that report.py can give medians and spreads.
// Output: one JSON object per run and line, read by report.py and compare.py.
//
//   bench_concurrent [--quick | --scaling] [--threads 1,2,4] [--reps 3]
//                    [--ops N] [--filter TEXT]
// --quick: shorter mixes, one parallel_load. --scaling (scripts/bench-scaling):
// the mixes and parallel_load N=5M skew 0.5 only, no same-hash mode.
// --ops: operations per mix run (all threads together). --filter: only the
// runs whose "workload/map" contains TEXT.
#include <absl/container/flat_hash_map.h>
#include <tbb/concurrent_hash_map.h>
#include <tbb/concurrent_unordered_map.h>
#include <libcuckoo/cuckoohash_map.hh>

#ifndef TOPHASH_BENCH_BOOST_CONCURRENT
#define TOPHASH_BENCH_BOOST_CONCURRENT 0
#endif
#if TOPHASH_BENCH_BOOST_CONCURRENT
#include <boost/unordered/concurrent_flat_map.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using u64 = std::uint64_t;

// ---------------------------------------------------------------- keys and values
// A workload's element type: uint64 -> uint64, or a 24-byte std::string (past
// libstdc++'s 15-byte SSO) -> 64-byte struct, which tophash reads under its
// stripe's shared lock (neither is lock-free readable). Operation streams
// carry a uint64: the key itself, or an index into the string pool.
struct u64_kv {
    using key_type = u64;
    using mapped_type = u64;
    static u64 key(u64 x) { return x; }
    static u64 value(u64 x) { return x; }
    static void bump(u64& v) { ++v; }
};
struct value64 {
    u64 w[8];
};
static_assert(sizeof(value64) == 64);
struct string_kv {
    using key_type = std::string;
    using mapped_type = value64;
    static inline std::vector<std::string> pool;
    static const std::string& key(u64 i) { return pool[i]; }
    static value64 value(u64 x) { return value64{{x}}; }
    static void bump(value64& v) { ++v.w[0]; }
};

// ---------------------------------------------------------------- maps under test
// Each map takes its default hasher (H = void) or the one given; the same-hash
// mode gives every map same_hash so that a difference is the table.
struct same_hash {
    using is_avalanching = std::true_type;  // Boost's convention: tophash does not re-mix
    std::size_t operator()(u64 k) const { return absl::Hash<u64>{}(k); }
};
template <class H, class Default>
using hash_or = std::conditional_t<std::is_void_v<H>, Default, H>;

// tophash's API is Boost's to the signature: one adapter serves both.
template <class Map, class KV>
struct boost_api_map {
    static constexpr bool concurrent_erase = true;
    Map m;
    bool find(u64 k) const { return m.contains(KV::key(k)); }
    bool insert(u64 k) { return m.emplace(KV::key(k), KV::value(k)); }
    bool erase(u64 k) { return m.erase(KV::key(k)) == 1; }
    void increment(u64 k) {
        m.try_emplace_or_visit(KV::key(k), KV::value(1), [](auto& kv) { KV::bump(kv.second); });
    }
};
template <class H = void, class KV = u64_kv, class K = typename KV::key_type>
struct tophash_map
    : boost_api_map<
          tophash::concurrent_map<K, typename KV::mapped_type, hash_or<H, tophash::hash<K>>>, KV> {
    static constexpr const char* name = "tophash";
};
#if TOPHASH_BENCH_BOOST_CONCURRENT
template <class H = void, class KV = u64_kv, class K = typename KV::key_type>
struct boost_map
    : boost_api_map<
          boost::concurrent_flat_map<K, typename KV::mapped_type, hash_or<H, boost::hash<K>>>, KV> {
    static constexpr const char* name = "boost::concurrent_flat_map";
};
#endif

template <class H, class K>
struct tbb_hash_compare {
    std::size_t hash(const K& k) const { return H{}(k); }
    bool equal(const K& a, const K& b) const { return a == b; }
};
template <class H = void, class KV = u64_kv>
struct tbb_map {
    static constexpr const char* name = "tbb::concurrent_hash_map";
    static constexpr bool concurrent_erase = true;
    using K = typename KV::key_type;
    using map_type = tbb::concurrent_hash_map<
        K, typename KV::mapped_type,
        std::conditional_t<std::is_void_v<H>, tbb::tbb_hash_compare<K>, tbb_hash_compare<H, K>>>;
    map_type m;
    bool find(u64 k) const {
        typename map_type::const_accessor a;
        return m.find(a, KV::key(k));
    }
    bool insert(u64 k) { return m.insert({KV::key(k), KV::value(k)}); }
    bool erase(u64 k) { return m.erase(KV::key(k)); }
    void increment(u64 k) {
        typename map_type::accessor a;
        if (!m.insert(a, {KV::key(k), KV::value(1)})) KV::bump(a->second);
    }
};
// tbb::concurrent_unordered_map has no concurrent erase (unsafe_erase only):
// it runs parallel_load, which needs none, and sits out the mixes.
template <class H = void, class KV = u64_kv>
struct tbb_unordered_map {
    static_assert(std::is_same_v<KV, u64_kv>, "runs parallel_load only, whose values are counters");
    static constexpr const char* name = "tbb::concurrent_unordered_map";
    static constexpr bool concurrent_erase = false;
    tbb::concurrent_unordered_map<u64, std::atomic<u64>, hash_or<H, std::hash<u64>>> m;
    bool find(u64 k) const { return m.find(k) != m.end(); }
    bool insert(u64 k) { return m.emplace(k, k).second; }
    bool erase(u64) { return false; }
    void increment(u64 k) {
        auto it = m.find(k);
        if (it == m.end()) {
            auto r = m.emplace(k, 1);
            if (r.second) return;
            it = r.first;
        }
        it->second.fetch_add(1, std::memory_order_relaxed);
    }
};

template <class H = void, class KV = u64_kv>
struct cuckoo_map {
    static constexpr const char* name = "libcuckoo";
    static constexpr bool concurrent_erase = true;
    using K = typename KV::key_type;
    libcuckoo::cuckoohash_map<K, typename KV::mapped_type, hash_or<H, std::hash<K>>> m;
    bool find(u64 k) const { return m.contains(KV::key(k)); }
    bool insert(u64 k) { return m.insert(KV::key(k), KV::value(k)); }
    bool erase(u64 k) { return m.erase(KV::key(k)); }
    void increment(u64 k) {
        m.upsert(
            KV::key(k), [](typename KV::mapped_type& v) { KV::bump(v); }, KV::value(1));
    }
};

// absl::flat_hash_map behind one std::mutex: what a user without a concurrent
// map writes first. (std::shared_mutex was the lock here before: on a 2-core
// VM, glibc's rwlock made its throughput at 2 threads swing from 1 to 19
// Mops/s within one run, so ratios to it measured the lock's luck.)
template <class H = void, class KV = u64_kv>
struct absl_locked_map {
    static constexpr const char* name = "absl+mutex";
    static constexpr bool concurrent_erase = true;
    using K = typename KV::key_type;
    absl::flat_hash_map<K, typename KV::mapped_type, hash_or<H, absl::Hash<K>>> m;
    mutable std::mutex mu;
    bool find(u64 k) const {
        std::lock_guard<std::mutex> l(mu);
        return m.contains(KV::key(k));
    }
    bool insert(u64 k) {
        std::lock_guard<std::mutex> l(mu);
        return m.emplace(KV::key(k), KV::value(k)).second;
    }
    bool erase(u64 k) {
        std::lock_guard<std::mutex> l(mu);
        return m.erase(KV::key(k)) == 1;
    }
    void increment(u64 k) {
        std::lock_guard<std::mutex> l(mu);
        KV::bump(m.try_emplace(KV::key(k), KV::value(0)).first->second);
    }
};

// ---------------------------------------------------------------- key distributions
// Zipf over [1, n] by rejection-inversion (Hörmann and Derflinger 1996), as
// in Apache Commons RNG: O(1) per sample, no table.
class zipf {
  public:
    zipf(std::uint64_t n, double s) : n_(static_cast<double>(n)), s_(s) {
        hx1_ = h_integral(1.5) - 1.0;
        hn_ = h_integral(n_ + 0.5);
        t_ = 2.0 - h_integral_inv(h_integral(2.5) - h(2.0));
    }
    template <class Rng>
    std::uint64_t operator()(Rng& rng) {
        std::uniform_real_distribution<double> u01(0.0, 1.0);
        for (;;) {
            const double u = hn_ + u01(rng) * (hx1_ - hn_);
            const double x = h_integral_inv(u);
            double k = std::floor(x + 0.5);
            if (k < 1) k = 1;
            if (k > n_) k = n_;
            if (k - x <= t_ || u >= h_integral(k + 0.5) - h(k))
                return static_cast<std::uint64_t>(k);
        }
    }

  private:
    static double helper1(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x / 2; }
    static double helper2(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x / 2; }
    double h(double x) const { return std::exp(-s_ * std::log(x)); }
    double h_integral(double x) const {
        const double lx = std::log(x);
        return helper2((1 - s_) * lx) * lx;
    }
    double h_integral_inv(double x) const {
        double t = x * (1 - s_);
        if (t < -1) t = -1;
        return std::exp(helper1(t) * x);
    }
    double n_, s_, hx1_, hn_, t_;
};

template <class T>
struct type_tag {
    using type = T;
};

enum class op : std::uint8_t { find, insert, erase, increment };
struct step {
    u64 key;
    op kind;
};

template <class Map>
double run_threads(Map& m, const std::vector<std::vector<step>>& streams) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    std::atomic<std::uint64_t> sink{0};
    for (const auto& s : streams) {
        ts.emplace_back([&, &s = s] {
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            std::uint64_t local = 0;
            for (const step& x : s) {
                switch (x.kind) {
                    case op::find:
                        local += m.find(x.key);
                        break;
                    case op::insert:
                        local += m.insert(x.key);
                        break;
                    case op::erase:
                        local += m.erase(x.key);
                        break;
                    case op::increment:
                        m.increment(x.key);
                        break;
                }
            }
            sink.fetch_add(local);
        });
    }
    while (ready.load() != static_cast<int>(streams.size()))
        std::this_thread::yield();
    const auto t0 = std::chrono::steady_clock::now();
    go.store(true, std::memory_order_release);
    for (auto& t : ts)
        t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::size_t ops = 0;
    for (const auto& s : streams)
        ops += s.size();
    return static_cast<double>(ops) / secs / 1e6;
}

void emit(const std::string& workload, const char* map, const char* hash, int threads, int rep,
          double mops) {
    std::printf(
        "{\"workload\": \"%s\", \"map\": \"%s\", \"hash\": \"%s\", \"threads\": %d, "
        "\"rep\": %d, \"mops\": %.3f, \"cores\": %u}\n",
        workload.c_str(), map, hash, threads, rep, mops, std::thread::hardware_concurrency());
    std::fflush(stdout);
}

// ---------------------------------------------------------------- operation streams
using streams_t = std::vector<std::vector<step>>;

// The streams of the last workload asked for. Generating them (Zipf sampling
// costs tens of ns per step; parallel_load at N=5M has 50M steps) took more
// time than running them; the plan runs the maps of one workload back to
// back, so they share one generation.
const streams_t& cached_streams(const std::string& key, const std::function<streams_t()>& make) {
    static std::string last_key;
    static streams_t last;
    if (key != last_key) {
        last = streams_t();  // free the old streams before building the new
        last = make();
        last_key = key;
    }
    return last;
}

// ---------------------------------------------------------------- mixes over a prefilled map
// 2^20 keys, half present at the start; find/insert/erase percentages.
streams_t mix_streams(int find_pct, int insert_pct, bool skewed, int threads, std::size_t total_ops,
                      const std::vector<u64>& keys) {
    streams_t streams(threads);
    for (int t = 0; t < threads; ++t) {
        std::mt19937_64 rng(1000 + t);
        zipf z(keys.size(), 0.99);
        auto& s = streams[t];
        s.resize(total_ops / threads);
        for (auto& x : s) {
            const std::uint64_t idx = skewed ? z(rng) - 1 : rng() % keys.size();
            x.key = keys[idx];
            const int r = static_cast<int>(rng() % 100);
            x.kind = r < find_pct ? op::find : r < find_pct + insert_pct ? op::insert : op::erase;
        }
    }
    return streams;
}

template <class Map>
double mix(const streams_t& streams, const std::vector<u64>& keys) {
    Map m;
    for (std::size_t i = 0; i < keys.size(); i += 2)
        m.insert(keys[i]);
    return run_threads(m, streams);
}

// Boost's parallel_load: int -> int (here uint64), empty map, 10*N operations
// over T threads: 10% update (insert or increment), 45% lookups of Zipf keys
// in [1, N] (mostly hits later), 45% of Zipf keys in [N+1, 2N] (misses).
streams_t parallel_load_streams(std::uint64_t n, double skew, int threads) {
    streams_t streams(threads);
    const std::size_t per = 10 * n / threads;
    for (int t = 0; t < threads; ++t) {
        std::mt19937_64 rng(2000 + t);
        zipf z(n, skew);
        auto& s = streams[t];
        s.resize(per);
        for (auto& x : s) {
            const int r = static_cast<int>(rng() % 100);
            if (r < 10) {
                x = {z(rng), op::increment};
            } else if (r < 55) {
                x = {z(rng), op::find};
            } else {
                x = {n + z(rng), op::find};
            }
        }
    }
    return streams;
}

// ---------------------------------------------------------------- the plan
// Every run is listed first so that progress can say how far along it is.
struct run {
    std::string workload;
    const char* map;
    const char* hash;
    int threads;
    int rep;
    std::function<double()> measure;
};

struct mix_spec {
    const char* label;
    int find_pct, insert_pct;
    bool skewed;
};

// What to run: the full set, --quick or --scaling.
struct plan_options {
    std::size_t mix_ops = 1u << 23;
    std::vector<std::uint64_t> load_ns = {500000, 5000000};
    std::vector<double> load_skews = {0.01, 0.5, 0.99};
    bool same_hash = true;
};

// The mixes over KV's elements; keys are uint64 keys or string pool indices.
template <class Map>
void plan_mixes(std::vector<run>& plan, const plan_options& o, const char* hash, int t,
                const std::vector<u64>& keys, const std::string& suffix,
                std::initializer_list<mix_spec> specs) {
    if (!Map::concurrent_erase) return;
    const std::size_t ops = o.mix_ops;
    for (const mix_spec& x : specs) {
        const std::string label = x.label + suffix;
        plan.push_back({label, Map::name, hash, t, 0, [=, &keys] {
                            const auto& st = cached_streams(label + "/" + std::to_string(t), [&] {
                                return mix_streams(x.find_pct, x.insert_pct, x.skewed, t, ops,
                                                   keys);
                            });
                            return mix<Map>(st, keys);
                        }});
    }
}

template <class Map>
void plan_parallel_load(std::vector<run>& plan, const plan_options& o, const char* hash, int t) {
    for (auto n : o.load_ns) {
        for (double skew : o.load_skews) {
            char label[96];
            std::snprintf(label, sizeof label, "parallel_load N=%llu skew=%.2f",
                          static_cast<unsigned long long>(n), skew);
            const std::string key = std::string(label) + "/" + std::to_string(t);
            plan.push_back({label, Map::name, hash, t, 0, [=] {
                                Map m;
                                return run_threads(m, cached_streams(key, [&] {
                                                       return parallel_load_streams(n, skew, t);
                                                   }));
                            }});
        }
    }
}

const std::initializer_list<mix_spec> all_mixes = {{"90/5/5 uniform", 90, 5, false},
                                                   {"90/5/5 zipf0.99", 90, 5, true},
                                                   {"50/25/25 uniform", 50, 25, false},
                                                   {"50/25/25 zipf0.99", 50, 25, true}};
// String keys: the uniform mixes (the skewed ones repeat what the uint64 rows
// show about hot keys).
const std::initializer_list<mix_spec> string_mixes = {{"90/5/5 uniform", 90, 5, false},
                                                      {"50/25/25 uniform", 50, 25, false}};
const char* const string_suffix = " str24->64B";

template <class H>
void plan_all(std::vector<run>& plan, const plan_options& o, const char* hash, int t,
              const std::vector<u64>& keys, const std::vector<u64>& string_indices) {
    auto u64_maps = [&](auto map_tag) {
        using Map = typename decltype(map_tag)::type;
        plan_mixes<Map>(plan, o, hash, t, keys, "", all_mixes);
        plan_parallel_load<Map>(plan, o, hash, t);
    };
    auto string_maps = [&](auto map_tag) {
        using Map = typename decltype(map_tag)::type;
        plan_mixes<Map>(plan, o, hash, t, string_indices, string_suffix, string_mixes);
    };
    u64_maps(type_tag<tophash_map<H>>{});
#if TOPHASH_BENCH_BOOST_CONCURRENT
    u64_maps(type_tag<boost_map<H>>{});
#endif
    u64_maps(type_tag<tbb_map<H>>{});
    u64_maps(type_tag<tbb_unordered_map<H>>{});
    u64_maps(type_tag<cuckoo_map<H>>{});
    u64_maps(type_tag<absl_locked_map<H>>{});
    // String keys with each map's default hasher (same_hash is for uint64).
    if constexpr (std::is_void_v<H>) {
        string_maps(type_tag<tophash_map<void, string_kv>>{});
#if TOPHASH_BENCH_BOOST_CONCURRENT
        string_maps(type_tag<boost_map<void, string_kv>>{});
#endif
        string_maps(type_tag<tbb_map<void, string_kv>>{});
        string_maps(type_tag<cuckoo_map<void, string_kv>>{});
        string_maps(type_tag<absl_locked_map<void, string_kv>>{});
    }
}

}  // namespace

int main(int argc, char** argv) {
    plan_options o;
    std::size_t ops = 0;
    int reps = 3;
    std::string filter;
    std::vector<int> threads = {1, 2, 4};
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            o.mix_ops = 1u << 20;
            o.load_ns = {500000};
            o.load_skews = {0.5};
        }
        if (std::strcmp(argv[i], "--scaling") == 0) {
            o.load_ns = {5000000};
            o.load_skews = {0.5};
            o.same_hash = false;
        }
        if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops = std::strtoull(argv[++i], nullptr, 10);
        if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = std::max(1, std::atoi(argv[++i]));
        if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) filter = argv[++i];
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads.clear();
            for (const char* p = argv[++i]; *p != '\0';) {
                threads.push_back(std::atoi(p));
                while (*p != '\0' && *p != ',')
                    ++p;
                if (*p == ',') ++p;
            }
        }
    }
    if (ops != 0) o.mix_ops = ops;
    std::vector<u64> keys(1u << 20);
    std::mt19937_64 rng(7);
    for (auto& k : keys)
        k = rng();
    // The string keys: 24 random letters, and the streams' indices to them.
    std::vector<u64> string_indices(keys.size());
    string_kv::pool.resize(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        string_indices[i] = i;
        std::string& s = string_kv::pool[i];
        s.resize(24);
        for (char& c : s)
            c = static_cast<char>('a' + rng() % 26);
    }
    // Default hashers at every thread count; the same-hash mode at the core
    // count, where the tables' concurrency matters most.
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    std::vector<run> once;
    for (int t : threads)
        plan_all<void>(once, o, "default", t, keys, string_indices);
    if (o.same_hash) plan_all<same_hash>(once, o, "same", cores, keys, string_indices);
    // Run the maps of one workload back to back, so that the runs a ratio
    // compares see the same machine weather, and repeat them in turns
    // (A B C, A B C, ...): a noisy second then hits one repetition of several
    // maps, not every repetition of one.
    std::map<std::tuple<std::string, int, std::string>, std::size_t> rank;
    for (const run& r : once)
        rank.emplace(std::make_tuple(r.hash, r.threads, r.workload), rank.size());
    std::vector<run> plan;
    for (int rep = 0; rep < reps; ++rep) {
        for (run r : once) {
            if ((r.workload + "/" + r.map).find(filter) == std::string::npos) continue;
            r.rep = rep;
            plan.push_back(std::move(r));
        }
    }
    std::stable_sort(plan.begin(), plan.end(), [&](const run& a, const run& b) {
        const auto ra = rank[{a.hash, a.threads, a.workload}];
        const auto rb = rank[{b.hash, b.threads, b.workload}];
        return ra != rb ? ra < rb : a.rep < b.rep;
    });
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const run& r = plan[i];
        std::fprintf(stderr, "[%zu/%zu] %s, %s, %d threads, %s hash, run %d\n", i + 1, plan.size(),
                     r.workload.c_str(), r.map, r.threads, r.hash, r.rep + 1);
        emit(r.workload, r.map, r.hash, r.threads, r.rep, r.measure());
    }
}
