// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// SSE2 backend: 16 tags in one 128-bit compare (the x86-64 baseline).
#pragma once

#include <emmintrin.h>

#include <cstdint>

#include "tophash/simd/bitmask.hpp"
#include "tophash/simd/tag.hpp"
#include "tophash/simd/tag_load.hpp"

namespace tophash::simd {

class group_sse2 {
  public:
    static constexpr unsigned width = 16;
    using mask = bitmask<std::uint32_t, 0>;

    explicit group_sse2(const tag_t* tags) noexcept {
        if constexpr (tag_loads_are_bytewise) {
            alignas(16) tag_t buf[width];
            load_tags<width>(buf, tags);
            v_ = _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
        } else {
            v_ = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tags));
        }
    }

    // The tag is spread over 32 bits by a multiply and then over the vector,
    // not by _mm_set1_epi8: where the tag lives on the stack (the write
    // paths keep it across the lock), GCC reads that byte back with a
    // 4-byte movd, which store forwarding cannot serve (docs/design.md,
    // Writes).
    mask match(tag_t t) const noexcept {
        const __m128i spread = _mm_cvtsi32_si128(static_cast<int>(0x01010101u * t));
        return bits(_mm_cmpeq_epi8(v_, _mm_shuffle_epi32(spread, 0)));
    }
    // Unsigned tag <= 1  <=>  min(tag, 1) == tag (SSE2 has unsigned byte min/max).
    mask match_free() const noexcept {
        return bits(_mm_cmpeq_epi8(_mm_min_epu8(v_, _mm_set1_epi8(empty_one)), v_));
    }
    mask match_empty_rest() const noexcept { return bits(_mm_cmpeq_epi8(v_, _mm_setzero_si128())); }
    // Unsigned tag >= 5  <=>  max(tag, 5) == tag.
    mask match_full() const noexcept {
        return bits(_mm_cmpeq_epi8(_mm_max_epu8(v_, _mm_set1_epi8(min_full)), v_));
    }

  private:
    static mask bits(__m128i m) noexcept {
        return mask(static_cast<std::uint32_t>(_mm_movemask_epi8(m)));
    }
    __m128i v_;
};

}  // namespace tophash::simd
