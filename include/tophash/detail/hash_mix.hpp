// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Post-mixing of user hashes.
#pragma once

#include <cstdint>
#include <type_traits>

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

// A hasher that declares `is_avalanching` (Boost.Unordered's convention: a
// nested type, either void or with a true `value`) already spreads its input
// over all 64 bits, so the table uses its result as is.
template <class T, class = void>
struct avalanching_value : std::true_type {};  // `using is_avalanching = void;`
template <class T>
struct avalanching_value<T, std::void_t<decltype(T::value)>> : std::bool_constant<T::value> {};

template <class Hash, class = void>
struct hash_is_avalanching : std::false_type {};
template <class Hash>
struct hash_is_avalanching<Hash, std::void_t<typename Hash::is_avalanching>>
    : avalanching_value<typename Hash::is_avalanching> {};

}  // namespace tophash::detail
