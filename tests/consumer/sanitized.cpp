// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A user's multithreaded program, built with -fsanitize=thread (or
// address,undefined) against the installed Release library, which is not
// instrumented. It must run clean: growth from empty (each retired array is
// freed while other threads read), churn, traversal, both read paths.
#include <tophash/concurrent_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> lock_free;  // lock-free reads
    tophash::concurrent_map<std::string, std::string> locked;         // shared-lock reads
    constexpr int threads = 4;
    constexpr std::uint64_t per_thread = 100000;  // smaller ones missed the race now and then
    std::atomic<long> wrong{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            const std::uint64_t base = static_cast<std::uint64_t>(t) * per_thread;
            for (std::uint64_t i = 0; i < per_thread; ++i) {
                const std::uint64_t k = base + i;
                lock_free.emplace(k, k);
                if (i % 4 == 0) locked.emplace(std::to_string(k), std::to_string(k));
                // Read what another thread wrote a moment ago.
                const std::uint64_t other = ((t + 1) % threads) * per_thread + i / 2;
                if (const auto v = lock_free.find(other); v && *v != other) ++wrong;
                (void)locked.contains(std::to_string(other));
                if (i % 3 == 0) lock_free.erase(base + i / 3);
                if (i % 5000 == 0) {
                    std::uint64_t n = 0;
                    lock_free.for_each([&](const auto&) { ++n; });
                    (void)n;
                }
            }
        });
    }
    // Readers that never write: nothing but the epoch protocol orders their
    // reads before the reclaimer frees an array they read.
    std::atomic<int> writers_left{threads};
    for (int r = 0; r < 2; ++r) {
        ts.emplace_back([&, r] {
            std::uint64_t i = static_cast<std::uint64_t>(r);
            while (writers_left.load(std::memory_order_relaxed) > 0) {
                i = (i * 6364136223846793005ull + 1442695040888963407ull);
                const std::uint64_t k = (i >> 20) % (threads * per_thread);
                if (const auto v = lock_free.find(k); v && *v != k) ++wrong;
                if ((i & 15) == 0) (void)locked.find(std::to_string(k));
            }
        });
    }
    for (int t = 0; t < threads; ++t) {
        ts[t].join();
        writers_left.fetch_sub(1);
    }
    for (auto& th : ts)
        if (th.joinable()) th.join();
    std::printf("sizes %zu %zu, wrong %ld\n", lock_free.size(), locked.size(), wrong.load());
    return wrong.load() == 0 ? 0 : 1;
}
