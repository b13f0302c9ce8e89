// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Instructions per operation, counted by callgrind around the measured loop
// only (these VMs have no PMU for perf). Usage:
//   valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
//       build/bench/bench/bench_instructions <absl|tophash> <op> <n> <ops>
// with op one of hit, miss (contains), find_hit, find_miss (find, which
// copies the value out), erase_miss (erases of absent keys),
// insert_hit (inserts of present keys), churn, grow;
// then instructions/op = the "totals:" line of cg.out / the "ops" it prints
// (callgrind_annotate cg.out splits them by source file).
#include <absl/container/flat_hash_map.h>
#include <valgrind/callgrind.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tophash/concurrent_map.hpp"

namespace {

using u64 = std::uint64_t;

struct absl_map {
    absl::flat_hash_map<u64, u64> m;
    bool insert(u64 k) { return m.emplace(k, k).second; }
    bool find(u64 k) const { return m.find(k) != m.end(); }
    bool get(u64 k) const {
        auto it = m.find(k);
        return it != m.end() && it->second != 0;
    }
    bool erase(u64 k) { return m.erase(k) == 1; }
};
struct tophash_map {
    tophash::concurrent_map<u64, u64> m;
    bool insert(u64 k) { return m.emplace(k, k); }
    bool find(u64 k) const { return m.contains(k); }
    bool get(u64 k) const {
        auto v = m.find(k);
        return v && *v != 0;
    }
    bool erase(u64 k) { return m.erase(k) == 1; }
};

// Counts instructions only inside f (callgrind --instr-atstart=no).
template <class F>
void measured(F f) {
    CALLGRIND_START_INSTRUMENTATION;
    f();
    CALLGRIND_STOP_INSTRUMENTATION;
}

template <class Map>
int run(const char* op, std::size_t n, std::size_t ops) {
    std::mt19937_64 rng(1);
    std::vector<u64> keys(n);
    for (auto& k : keys)
        k = rng() | 1;  // odd: present; even keys are misses
    Map m;
    std::size_t done = 0;
    if (std::strcmp(op, "grow") == 0) {  // n inserts into an empty map
        measured([&] {
            for (u64 k : keys)
                done += m.insert(k);
        });
        std::printf("ops %zu done %zu\n", n, done);
        return 0;
    }
    for (u64 k : keys)
        m.insert(k);
    const bool miss = std::strcmp(op, "miss") == 0 || std::strcmp(op, "find_miss") == 0;
    std::vector<u64> probes(ops);
    for (auto& p : probes)
        p = miss ? (rng() & ~u64{1}) : keys[rng() % n];
    if (std::strcmp(op, "churn") == 0) {  // erase a live key, insert a fresh one
        std::vector<u64> fresh(ops);
        for (auto& f : fresh)
            f = rng() | 1;
        measured([&] {
            for (std::size_t i = 0; i < ops; ++i) {
                u64& slot = keys[probes[i] % n];
                done += m.erase(slot);
                slot = fresh[i];
                done += m.insert(slot);
            }
        });
    } else if (std::strcmp(op, "erase_miss") == 0) {
        measured([&] {
            for (u64 p : probes)
                done += m.erase(p & ~u64{1});
        });
    } else if (std::strcmp(op, "insert_hit") == 0) {
        measured([&] {
            for (u64 p : probes)
                done += m.insert(p);
        });
    } else if (std::strncmp(op, "find_", 5) == 0) {
        measured([&] {
            for (u64 p : probes)
                done += m.get(p);
        });
    } else {
        measured([&] {
            for (u64 p : probes)
                done += m.find(p);
        });
    }
    std::printf("ops %zu done %zu\n", ops, done);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(
            stderr,
            "usage: %s <absl|tophash> <hit|miss|find_hit|find_miss|erase_miss|insert_hit|churn|grow> <n> <ops>\n",
            argv[0]);
        return 2;
    }
    const std::size_t n = std::stoull(argv[3]), ops = std::stoull(argv[4]);
    if (std::strcmp(argv[1], "absl") == 0) return run<absl_map>(argv[2], n, ops);
    return run<tophash_map>(argv[2], n, ops);
}
