// Multi-threaded workloads: tophash against tbb::concurrent_hash_map,
// libcuckoo and absl::flat_hash_map behind a std::shared_mutex.
//
// Each run pre-generates every thread's operations (keys and kinds, fixed
// seeds), starts the threads together and reports million operations per
// second of wall time. Output: one JSON object per line, read by report.py.
//
//   bench_concurrent [--quick] [--threads 1,2,4]
#include <absl/container/flat_hash_map.h>
#include <tbb/concurrent_hash_map.h>
#include <libcuckoo/cuckoohash_map.hh>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using u64 = std::uint64_t;

// ---------------------------------------------------------------- maps under test
struct tophash_map {
    static constexpr const char* name = "tophash";
    tophash::concurrent_map<u64, u64> m;
    bool find(u64 k) const { return m.contains(k); }
    bool insert(u64 k) { return m.insert(k, k); }
    bool erase(u64 k) { return m.erase(k); }
    void increment(u64 k) {
        m.try_emplace_or_visit(
            k, [](u64& v) { ++v; }, u64{1});
    }
};

struct tbb_map {
    static constexpr const char* name = "tbb::concurrent_hash_map";
    tbb::concurrent_hash_map<u64, u64> m;
    bool find(u64 k) const {
        tbb::concurrent_hash_map<u64, u64>::const_accessor a;
        return m.find(a, k);
    }
    bool insert(u64 k) { return m.insert({k, k}); }
    bool erase(u64 k) { return m.erase(k); }
    void increment(u64 k) {
        tbb::concurrent_hash_map<u64, u64>::accessor a;
        if (!m.insert(a, {k, 1})) ++a->second;
    }
};

struct cuckoo_map {
    static constexpr const char* name = "libcuckoo";
    libcuckoo::cuckoohash_map<u64, u64> m;
    bool find(u64 k) const { return m.contains(k); }
    bool insert(u64 k) { return m.insert(k, k); }
    bool erase(u64 k) { return m.erase(k); }
    void increment(u64 k) {
        m.upsert(
            k, [](u64& v) { ++v; }, u64{1});
    }
};

struct absl_locked_map {
    static constexpr const char* name = "absl+shared_mutex";
    absl::flat_hash_map<u64, u64> m;
    mutable std::shared_mutex mu;
    bool find(u64 k) const {
        std::shared_lock<std::shared_mutex> l(mu);
        return m.contains(k);
    }
    bool insert(u64 k) {
        std::unique_lock<std::shared_mutex> l(mu);
        return m.emplace(k, k).second;
    }
    bool erase(u64 k) {
        std::unique_lock<std::shared_mutex> l(mu);
        return m.erase(k) == 1;
    }
    void increment(u64 k) {
        std::unique_lock<std::shared_mutex> l(mu);
        ++m.try_emplace(k, 0).first->second;
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

void emit(const std::string& workload, const char* map, int threads, double mops) {
    std::printf(
        "{\"workload\": \"%s\", \"map\": \"%s\", \"threads\": %d, \"mops\": %.3f, \"cores\": %u}\n",
        workload.c_str(), map, threads, mops, std::thread::hardware_concurrency());
    std::fflush(stdout);
}

// ---------------------------------------------------------------- mixes over a prefilled map
// 2^20 keys, half present at the start; find/insert/erase percentages.
template <class Map>
void mix(const std::string& label, int find_pct, int insert_pct, bool skewed, int threads,
         std::size_t total_ops, const std::vector<u64>& keys) {
    Map m;
    for (std::size_t i = 0; i < keys.size(); i += 2)
        m.insert(keys[i]);
    std::vector<std::vector<step>> streams(threads);
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
    emit(label, Map::name, threads, run_threads(m, streams));
}

// Boost's parallel_load: int -> int (here uint64), empty map, 10*N operations
// over T threads: 10% update (insert or increment), 45% lookups of Zipf keys
// in [1, N] (mostly hits later), 45% of Zipf keys in [N+1, 2N] (misses).
template <class Map>
void parallel_load(std::uint64_t n, double skew, int threads) {
    Map m;
    std::vector<std::vector<step>> streams(threads);
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
    char label[96];
    std::snprintf(label, sizeof label, "parallel_load N=%llu skew=%.2f",
                  static_cast<unsigned long long>(n), skew);
    emit(label, Map::name, threads, run_threads(m, streams));
}

template <class Map>
void all_for(bool quick, const std::vector<int>& thread_counts, const std::vector<u64>& keys) {
    const std::size_t ops = quick ? 1u << 20 : 1u << 23;
    for (int t : thread_counts) {
        mix<Map>("90/5/5 uniform", 90, 5, false, t, ops, keys);
        mix<Map>("90/5/5 zipf0.99", 90, 5, true, t, ops, keys);
        mix<Map>("50/25/25 uniform", 50, 25, false, t, ops, keys);
        mix<Map>("50/25/25 zipf0.99", 50, 25, true, t, ops, keys);
        const std::vector<std::uint64_t> ns = quick ? std::vector<std::uint64_t>{500000}
                                                    : std::vector<std::uint64_t>{500000, 5000000};
        const std::vector<double> skews =
            quick ? std::vector<double>{0.5} : std::vector<double>{0.01, 0.5, 0.99};
        for (auto n : ns) {
            for (double s : skews)
                parallel_load<Map>(n, s, t);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::vector<int> threads = {1, 2, 4};
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
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
    std::vector<u64> keys(1u << 20);
    std::mt19937_64 rng(7);
    for (auto& k : keys)
        k = rng();
    std::fprintf(stderr, "concurrent mixes: tophash\n");
    all_for<tophash_map>(quick, threads, keys);
    std::fprintf(stderr, "concurrent mixes: tbb::concurrent_hash_map\n");
    all_for<tbb_map>(quick, threads, keys);
    std::fprintf(stderr, "concurrent mixes: libcuckoo\n");
    all_for<cuckoo_map>(quick, threads, keys);
    std::fprintf(stderr, "concurrent mixes: absl+shared_mutex\n");
    all_for<absl_locked_map>(quick, threads, keys);
}
