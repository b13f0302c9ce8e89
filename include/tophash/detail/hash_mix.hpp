// Post-mixing of user hashes.
#pragma once

#include <cstdint>

namespace tophash::detail {

// The table takes the bucket index from the low bits and the tag from the top
// byte, so both ends of the hash must be well mixed. std::hash for integers is
// the identity on libstdc++; a 64x64->128 multiply folded by xor spreads every
// input bit over both halves (the same construction as Abseil's MixingHashState
// and wyhash's mum). The constant is 2^64 / golden ratio, odd, so the multiply
// is a bijection on its low half.
inline std::uint64_t mix_hash(std::uint64_t h) noexcept {
    constexpr std::uint64_t k = 0x9e3779b97f4a7c15ull;
    const __uint128_t p = static_cast<__uint128_t>(h) * k;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

}  // namespace tophash::detail
