// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// AVX2 backend: 32 tags (a 32-slot bucket, or two 16-slot buckets side by
// side) in one 256-bit compare.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "tophash/simd/bitmask.hpp"
#include "tophash/simd/tag.hpp"
#include "tophash/simd/tag_load.hpp"

namespace tophash::simd {

class group_avx2 {
  public:
    static constexpr unsigned width = 32;
    using mask = bitmask<std::uint32_t, 0>;

    explicit group_avx2(const tag_t* tags) noexcept {
        if constexpr (tag_loads_are_bytewise) {
            alignas(32) tag_t buf[width];
            load_tags<width>(buf, tags);
            v_ = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
        } else {
            v_ = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tags));
        }
    }
    // Two separate 16-tag arrays matched as one (e.g. a bucket and its overflow).
    group_avx2(const tag_t* lo, const tag_t* hi) noexcept {
        alignas(32) tag_t buf[width];
        load_tags<16>(buf, lo);
        load_tags<16>(buf + 16, hi);
        v_ = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
    }

    mask match(tag_t t) const noexcept {
        return bits(_mm256_cmpeq_epi8(v_, _mm256_set1_epi8(static_cast<char>(t))));
    }
    mask match_free() const noexcept {
        return bits(_mm256_cmpeq_epi8(_mm256_min_epu8(v_, _mm256_set1_epi8(empty_one)), v_));
    }
    mask match_empty_rest() const noexcept {
        return bits(_mm256_cmpeq_epi8(v_, _mm256_setzero_si256()));
    }
    mask match_full() const noexcept {
        return bits(_mm256_cmpeq_epi8(_mm256_max_epu8(v_, _mm256_set1_epi8(min_full)), v_));
    }

  private:
    static mask bits(__m256i m) noexcept {
        return mask(static_cast<std::uint32_t>(_mm256_movemask_epi8(m)));
    }
    __m256i v_;
};

}  // namespace tophash::simd
