// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A fast hash of a byte string, for tophash::hash<std::string> and friends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tophash::detail {

// a * b as 128 bits, halves folded by xor: every input bit reaches both the
// low bits (the bucket index) and the top byte (the tag). Zero when either
// input is zero, which is why callers mix the inputs back in.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
    const __uint128_t p = static_cast<__uint128_t>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

// Unaligned native-endian loads (memcpy compiles to one mov). Hash values
// therefore differ between little- and big-endian machines; they are never
// stored, only compared within one process.
inline std::uint64_t load_u64(const unsigned char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline std::uint64_t load_u32(const unsigned char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Constants: the first 64 fractional bits of the square roots of 2, 3, 5
// and 7 (SHA-512's initial words): odd-looking, about half their bits set,
// no structure a key could line up with.
inline constexpr std::uint64_t hash_k0 = 0x6a09e667f3bcc908ull;
inline constexpr std::uint64_t hash_k1 = 0xbb67ae8584caa73bull;
inline constexpr std::uint64_t hash_k2 = 0x3c6ef372fe94f82bull;
inline constexpr std::uint64_t hash_k3 = 0xa54ff53a5f1d36f1ull;

// Keys up to 16 bytes (the common case) take two overlapping loads and two
// multiplies, with no loop; longer keys fold 16 bytes per multiply, in three
// independent lanes past 48 bytes so that the multiplies overlap. Not a
// keyed hash: like std::hash, it can be attacked by chosen keys, which then
// share chains (tophash degrades to chain scans, never to a failure).
inline std::uint64_t hash_bytes(const void* data, std::size_t n) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t s = hash_k0 ^ n;
    std::uint64_t a, b;
    if (n <= 16) {
        if (n >= 8) {
            a = load_u64(p);
            b = load_u64(p + n - 8);
        } else if (n >= 4) {
            a = load_u32(p);
            b = load_u32(p + n - 4);
        } else if (n > 0) {
            a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n >> 1]} << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        std::size_t left = n;
        if (left > 48) {
            std::uint64_t s1 = s, s2 = s;
            do {
                // `^ s` keeps the state when a multiply meets a zero input.
                s = fold_multiply(load_u64(p) ^ hash_k1, load_u64(p + 8) ^ s) ^ s;
                s1 = fold_multiply(load_u64(p + 16) ^ hash_k2, load_u64(p + 24) ^ s1) ^ s1;
                s2 = fold_multiply(load_u64(p + 32) ^ hash_k3, load_u64(p + 40) ^ s2) ^ s2;
                p += 48;
                left -= 48;
            } while (left > 48);
            s ^= s1 ^ s2;
        }
        while (left > 16) {
            s = fold_multiply(load_u64(p) ^ hash_k1, load_u64(p + 8) ^ s) ^ s;
            p += 16;
            left -= 16;
        }
        // The last 16 bytes, overlapping what the loop took.
        a = load_u64(p + left - 16);
        b = load_u64(p + left - 8);
    }
    // `^ a ^ b`: a zero product still leaves the result depending on both.
    const std::uint64_t m = fold_multiply(a ^ hash_k1, b ^ s) ^ a ^ b;
    return fold_multiply(m ^ hash_k2, hash_k3 ^ n);
}

}  // namespace tophash::detail
