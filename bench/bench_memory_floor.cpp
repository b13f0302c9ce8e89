// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The memory system's floor under a lookup: per key, one load from a control
// array, then one load from a slot array at an index that load decides, with
// no hashing, matching or comparing. Arrays of the size a map of n elements
// has, in tophash's geometry (a 32-byte control block and 16 slots of 16
// bytes per bucket, at most 13 of 16 slots full) and in absl's (one control
// byte and one 16-byte slot per slot, at most 7/8 full). Each layout runs as
// a scalar loop (the core overlaps independent keys' misses as far as its
// out-of-order window reaches) and in batches of 64 keys that prefetch every
// control line, then every slot, before loading any (what tophash's bulk
// cvisit does). No map can look keys up faster than its layout's floor; the
// figure tells what a bulk lookup can win over a scalar loop on a machine.
//
//   build/bench/bench/bench_memory_floor [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tophash/detail/growth_policy.hpp"
#include "tophash/detail/page_memory.hpp"

namespace {

using u64 = std::uint64_t;

struct layout {
    std::size_t groups;       // power of two
    std::size_t ctrl_stride;  // bytes of control per group
    std::size_t slot_stride;  // bytes of slots per group
    std::size_t slot_size;
};

std::size_t bit_ceil(std::size_t x) {
    std::size_t p = 1;
    while (p < x)
        p *= 2;
    return p;
}

// tophash: buckets of 16 slots, grown past 13 of 16 (growth_policy.hpp).
layout tophash_layout(std::size_t n) {
    const std::size_t per = tophash::detail::per_bucket_capacity;
    return {bit_ceil((n + per - 1) / per), sizeof(tophash::detail::bucket_ctrl), 16 * 16, 16};
}
// absl: capacity 2^k - 1 slots, grown past 7/8; one control byte per slot.
// Modelled as groups of 16 slots, each group's 16 control bytes apart from
// its slots, which is what one probe touches.
layout absl_layout(std::size_t n) {
    return {bit_ceil(n * 8 / 7 + 1) / 16, 16, 16 * 16, 16};
}

struct arrays {
    layout l;
    unsigned char* ctrl;
    unsigned char* slots;
    std::vector<u64> hashes;  // 2^22 random keys' hashes, read in order

    explicit arrays(layout lay) : l(lay) {
        ctrl =
            static_cast<unsigned char*>(tophash::detail::allocate_pages(l.groups * l.ctrl_stride));
        slots =
            static_cast<unsigned char*>(tophash::detail::allocate_pages(l.groups * l.slot_stride));
        std::mt19937_64 rng(1);
        for (std::size_t g = 0; g < l.groups; ++g) {
            ctrl[g * l.ctrl_stride] = static_cast<unsigned char>(rng() % 16);  // the "match"
            std::memset(slots + g * l.slot_stride, 1, l.slot_stride);          // faulted in
        }
        hashes.resize(std::size_t{1} << 22);
        for (u64& h : hashes)
            h = rng();
    }
    ~arrays() {
        tophash::detail::deallocate_pages(ctrl, l.groups * l.ctrl_stride);
        tophash::detail::deallocate_pages(slots, l.groups * l.slot_stride);
    }
    arrays(const arrays&) = delete;
    arrays& operator=(const arrays&) = delete;

    const unsigned char* ctrl_of(u64 h) const {
        return ctrl + (h & (l.groups - 1)) * l.ctrl_stride;
    }
    const u64* slot_of(u64 h, unsigned char c) const {
        return reinterpret_cast<const u64*>(slots + (h & (l.groups - 1)) * l.slot_stride +
                                            c * l.slot_size);
    }
};

template <bool Batch>
void BM_floor(benchmark::State& state, layout (*make)(std::size_t)) {
    const arrays a(make(static_cast<std::size_t>(state.range(0))));
    const std::size_t m = a.hashes.size();
    constexpr std::size_t batch = 64;
    std::size_t i = 0;
    u64 sum = 0;
    while (state.KeepRunningBatch(batch)) {
        const u64* h = &a.hashes[i];
        if constexpr (Batch) {
            unsigned char c[batch];
            for (std::size_t k = 0; k < batch; ++k)
                __builtin_prefetch(a.ctrl_of(h[k]));
            for (std::size_t k = 0; k < batch; ++k) {
                c[k] = *a.ctrl_of(h[k]);
                __builtin_prefetch(a.slot_of(h[k], c[k]));
            }
            for (std::size_t k = 0; k < batch; ++k)
                sum += *a.slot_of(h[k], c[k]);
        } else {
            for (std::size_t k = 0; k < batch; ++k)
                sum += *a.slot_of(h[k], *a.ctrl_of(h[k]));
        }
        i = (i + batch) & (m - 1);
    }
    benchmark::DoNotOptimize(sum);
    state.counters["MiB"] =
        static_cast<double>(a.l.groups * (a.l.ctrl_stride + a.l.slot_stride)) / (1 << 20);
}

void sizes(benchmark::internal::Benchmark* b) {
    b->Arg(1 << 16)->Arg(1 << 20)->Arg(1 << 23);
}
void BM_scalar(benchmark::State& state, layout (*make)(std::size_t)) {
    BM_floor<false>(state, make);
}
void BM_batch64(benchmark::State& state, layout (*make)(std::size_t)) {
    BM_floor<true>(state, make);
}
BENCHMARK_CAPTURE(BM_scalar, tophash, tophash_layout)->Apply(sizes);
BENCHMARK_CAPTURE(BM_batch64, tophash, tophash_layout)->Apply(sizes);
BENCHMARK_CAPTURE(BM_scalar, absl, absl_layout)->Apply(sizes);
BENCHMARK_CAPTURE(BM_batch64, absl, absl_layout)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
