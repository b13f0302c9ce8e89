// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A user's program built against the installed package.
#include <tophash/concurrent_map.hpp>
#include <tophash/version.hpp>

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

static_assert(TOPHASH_VERSION >= 200, "the installed headers are older than 0.2");

int main() {
#ifdef CONSUMER_PACKAGE_VERSION
    if (std::strcmp(TOPHASH_VERSION_STRING, CONSUMER_PACKAGE_VERSION) != 0) {
        std::printf("headers say %s, the CMake package %s\n", TOPHASH_VERSION_STRING,
                    CONSUMER_PACKAGE_VERSION);
        return 1;
    }
#endif
    tophash::concurrent_map<int, long> counts;
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i)
                counts.try_emplace_or_visit(i % 100, 1, [](auto& e) {
                    long& v = e.second;
                    ++v;
                });
        });
    }
    for (auto& th : threads)
        th.join();
    long total = 0;
    counts.for_each([&](const auto& e) { total += e.second; });
    std::printf("keys %zu, total %ld\n", counts.size(), total);
    return counts.size() == 100 && total == 20000 ? 0 : 1;
}
