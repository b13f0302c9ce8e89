// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Portable SWAR backend: 16 tags matched as two 64-bit words.
#pragma once

#include <cstdint>
#include <cstring>

#include "tophash/simd/bitmask.hpp"
#include "tophash/simd/tag.hpp"
#include "tophash/simd/tag_load.hpp"

namespace tophash::simd {

namespace swar {
inline constexpr std::uint64_t lsb = 0x0101010101010101ull;
inline constexpr std::uint64_t msb = 0x8080808080808080ull;
inline constexpr std::uint64_t low7 = 0x7f7f7f7f7f7f7f7full;

// High bit of each byte set iff that byte is zero. Exact (no false positives
// from borrows, unlike the classic (x - lsb) & ~x trick): (b & 0x7f) + 0x7f
// never carries out of its byte.
constexpr std::uint64_t zero_bytes(std::uint64_t x) noexcept {
    return ~(((x & low7) + low7) | x) & msb;
}

// Gathers the high bit of each byte into the low 8 bits. The multiplier has
// bits 7, 14, ..., 56, so byte k's bit (at 8k after the shift) lands at 56 + k;
// all partial products hit distinct positions, so nothing carries.
constexpr std::uint32_t gather_msbs(std::uint64_t m) noexcept {
    return static_cast<std::uint32_t>(((m >> 7) * 0x0102040810204080ull) >> 56);
}
static_assert(gather_msbs(msb) == 0xff);
static_assert(gather_msbs(0x0000000000000080ull) == 0x01);
static_assert(gather_msbs(0x8000000000000000ull) == 0x80);
static_assert(zero_bytes(0x0100ff0000000001ull) == 0x0080008080808000ull);
}  // namespace swar

class group_portable {
  public:
    static constexpr unsigned width = 16;
    using mask = bitmask<std::uint32_t, 0>;

    explicit group_portable(const tag_t* tags) noexcept {
        tag_t buf[width];
        load_tags<width>(buf, tags);
        std::memcpy(&lo_, buf, 8);
        std::memcpy(&hi_, buf + 8, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo_ = __builtin_bswap64(lo_);
        hi_ = __builtin_bswap64(hi_);
#endif
    }

    mask match(tag_t t) const noexcept {
        const std::uint64_t pattern = swar::lsb * t;
        return combine(swar::zero_bytes(lo_ ^ pattern), swar::zero_bytes(hi_ ^ pattern));
    }
    // emptyOne or emptyRest: the tag with its low bit cleared is zero.
    mask match_free() const noexcept {
        constexpr std::uint64_t not_bit0 = ~swar::lsb;
        return combine(swar::zero_bytes(lo_ & not_bit0), swar::zero_bytes(hi_ & not_bit0));
    }
    mask match_empty_rest() const noexcept {
        return combine(swar::zero_bytes(lo_), swar::zero_bytes(hi_));
    }
    // tag >= 5: either the byte's high bit is set, or its low 7 bits plus
    // (0x80 - 5) reach 0x80. The addition never carries out of the byte.
    mask match_full() const noexcept {
        constexpr std::uint64_t bias = swar::lsb * (0x80 - min_full);
        return combine((((lo_ & swar::low7) + bias) | lo_) & swar::msb,
                       (((hi_ & swar::low7) + bias) | hi_) & swar::msb);
    }

  private:
    static mask combine(std::uint64_t lo, std::uint64_t hi) noexcept {
        return mask(swar::gather_msbs(lo) | (swar::gather_msbs(hi) << 8));
    }

    std::uint64_t lo_;
    std::uint64_t hi_;
};

}  // namespace tophash::simd
