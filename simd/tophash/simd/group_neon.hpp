// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// NEON backend (AArch64): 16 tags in one 128-bit compare.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "tophash/simd/bitmask.hpp"
#include "tophash/simd/tag.hpp"
#include "tophash/simd/tag_load.hpp"

namespace tophash::simd {

// AArch64 has no byte movemask; emulating one (and + pairwise adds) costs
// more than the compare. Instead "shift right and narrow" by 4 turns the
// 16 x 8-bit compare result into 16 x 4-bit nibbles in one 64-bit lane, and
// the mask iterates with ctz / 4. Keeping one bit per nibble lets
// `bits &= bits - 1` clear exactly one slot.
class group_neon {
  public:
    static constexpr unsigned width = 16;
    using mask = bitmask<std::uint64_t, 2>;

    explicit group_neon(const tag_t* tags) noexcept {
        if constexpr (tag_loads_are_bytewise) {
            tag_t buf[width];
            load_tags<width>(buf, tags);
            v_ = vld1q_u8(buf);
        } else {
            v_ = vld1q_u8(tags);
        }
    }

    mask match(tag_t t) const noexcept { return bits(vceqq_u8(v_, vdupq_n_u8(t))); }
    mask match_free() const noexcept { return bits(vcleq_u8(v_, vdupq_n_u8(empty_one))); }
    mask match_empty_rest() const noexcept { return bits(vceqzq_u8(v_)); }
    mask match_full() const noexcept { return bits(vcgeq_u8(v_, vdupq_n_u8(min_full))); }

  private:
    static mask bits(uint8x16_t m) noexcept {
        const uint8x8_t nibbles = vshrn_n_u16(vreinterpretq_u16_u8(m), 4);
        const std::uint64_t raw = vget_lane_u64(vreinterpret_u64_u8(nibbles), 0);
        return mask(raw & 0x8888888888888888ull);
    }
    uint8x16_t v_;
};

}  // namespace tophash::simd
