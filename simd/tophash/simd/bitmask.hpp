// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// An iterable set of slot positions, as produced by a group match.
#pragma once

#include <cstdint>
#include <type_traits>

namespace tophash::simd {

// Each slot owns (1 << Shift) bits of Word, of which at most one is set
// (backends clear the others). SSE2/AVX2/portable use one bit per slot
// (Shift 0); NEON narrows a byte compare to a nibble per slot (Shift 2)
// because AArch64 has no byte movemask.
template <class Word, int Shift>
class bitmask {
    static_assert(std::is_unsigned_v<Word>);

  public:
    constexpr explicit bitmask(Word bits) noexcept : bits_(bits) {}

    constexpr bool any() const noexcept { return bits_ != 0; }
    constexpr explicit operator bool() const noexcept { return any(); }
    constexpr Word raw() const noexcept { return bits_; }

    // Index of the lowest slot in the set; requires any().
    unsigned lowest() const noexcept { return ctz(bits_) >> Shift; }
    // Index of the highest slot in the set; requires any().
    unsigned highest() const noexcept { return (sizeof(Word) * 8 - 1 - clz(bits_)) >> Shift; }
    unsigned count() const noexcept {
        if constexpr (sizeof(Word) <= 4) {
            return static_cast<unsigned>(__builtin_popcount(bits_));
        } else {
            return static_cast<unsigned>(__builtin_popcountll(bits_));
        }
    }

    // Range-for support: `for (unsigned i : mask)` visits slots low to high.
    class iterator {
      public:
        constexpr explicit iterator(Word bits) noexcept : bits_(bits) {}
        unsigned operator*() const noexcept { return ctz(bits_) >> Shift; }
        iterator& operator++() noexcept {
            bits_ &= bits_ - 1;
            return *this;
        }
        constexpr bool operator!=(const iterator& o) const noexcept { return bits_ != o.bits_; }

      private:
        Word bits_;
    };
    iterator begin() const noexcept { return iterator(bits_); }
    iterator end() const noexcept { return iterator(0); }

  private:
    static unsigned ctz(Word w) noexcept {
        if constexpr (sizeof(Word) <= 4) {
            return static_cast<unsigned>(__builtin_ctz(w));
        } else {
            return static_cast<unsigned>(__builtin_ctzll(w));
        }
    }
    static unsigned clz(Word w) noexcept {
        if constexpr (sizeof(Word) <= 4) {
            return static_cast<unsigned>(__builtin_clz(w)) - (32 - sizeof(Word) * 8);
        } else {
            return static_cast<unsigned>(__builtin_clzll(w));
        }
    }

    Word bits_;
};

}  // namespace tophash::simd
