// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Microbenchmarks of tag-group matching, per backend.
//
// Each iteration matches one 16-tag bucket (or, for AVX2, two buckets in one
// 32-byte compare) from an array of random buckets that fits in L1, and
// consumes the mask the way a lookup does (iterate the candidates). The
// xsimd variant does the compare through xsimd 8.1 and the movemask with an
// intrinsic, since that version has no batch_bool-to-bitmask.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "tophash/simd/group_avx2.hpp"
#include "tophash/simd/group_portable.hpp"
#include "tophash/simd/group_sse2.hpp"

namespace {

using namespace tophash::simd;

constexpr std::size_t buckets = 1024;  // 16 KiB of tags: L1

std::vector<tag_t> random_tags() {
    std::vector<tag_t> tags(buckets * 16);
    std::mt19937 rng(7);
    // Realistic mix: ~80% full slots, the rest free.
    for (auto& t : tags)
        t = rng() % 5 == 0 ? tag_t(rng() % 2) : tag_from_hash(rng() * 0x9e3779b97f4a7c15ull);
    return tags;
}

template <class Mask>
unsigned consume(Mask m) {
    unsigned s = 0;
    for (unsigned i : m)
        s += i;
    return s;
}

template <class G>
void BM_match16(benchmark::State& state) {
    const auto tags = random_tags();
    std::size_t b = 0;
    unsigned sink = 0;
    for (auto _ : state) {
        const G g(&tags[b * 16]);
        sink += consume(g.match(tags[b * 16 + 3]));
        sink += g.match_empty_rest().any();
        b = (b + 1) & (buckets - 1);
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

struct group_xsimd_sse2 {
    using batch = xsimd::batch<std::uint8_t, xsimd::sse2>;
    using mask = bitmask<std::uint32_t, 0>;
    explicit group_xsimd_sse2(const tag_t* p) : v(batch::load_unaligned(p)) {}
    mask match(tag_t t) const { return bits(v == batch(t)); }
    mask match_empty_rest() const { return bits(v == batch(std::uint8_t(0))); }
    static mask bits(const xsimd::batch_bool<std::uint8_t, xsimd::sse2>& b) {
        return mask(static_cast<std::uint32_t>(_mm_movemask_epi8(b.data)));
    }
    batch v;
};

// Two 16-slot buckets per iteration: two SSE2 matches vs one AVX2 match.
void BM_match32_two_sse2(benchmark::State& state) {
    const auto tags = random_tags();
    std::size_t b = 0;
    unsigned sink = 0;
    for (auto _ : state) {
        const group_sse2 g0(&tags[b * 16]), g1(&tags[b * 16 + 16]);
        const tag_t h = tags[b * 16 + 3];
        sink += consume(g0.match(h)) + consume(g1.match(h));
        b = (b + 2) & (buckets - 1);
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
}
void BM_match32_avx2(benchmark::State& state) {
    if (!__builtin_cpu_supports("avx2")) {
        state.SkipWithError("no AVX2");
        return;
    }
    const auto tags = random_tags();
    std::size_t b = 0;
    unsigned sink = 0;
    for (auto _ : state) {
        const group_avx2 g(&tags[b * 16]);
        sink += consume(g.match(tags[b * 16 + 3]));
        b = (b + 2) & (buckets - 1);
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
}

BENCHMARK_TEMPLATE(BM_match16, group_portable)->Name("match16/portable");
BENCHMARK_TEMPLATE(BM_match16, group_sse2)->Name("match16/sse2");
BENCHMARK_TEMPLATE(BM_match16, group_xsimd_sse2)->Name("match16/xsimd_sse2");
BENCHMARK(BM_match32_two_sse2)->Name("match32/two_sse2");
BENCHMARK(BM_match32_avx2)->Name("match32/avx2");

}  // namespace

BENCHMARK_MAIN();
