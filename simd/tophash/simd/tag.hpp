// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Tag encoding: one byte per slot, the Go runtime map's "tophash" states.
#pragma once

#include <cstdint>

namespace tophash::simd {

using tag_t = std::uint8_t;

// Slot states. Zero is emptyRest so that zeroed memory is a valid empty
// bucket: a freshly allocated array needs no initialisation pass, which is
// what keeps growth incremental.
inline constexpr tag_t empty_rest = 0;       // free, and every later slot of the chain is free
inline constexpr tag_t empty_one = 1;        // free; later slots may be full
inline constexpr tag_t evacuated_x = 2;      // moved to the same index of the new array
inline constexpr tag_t evacuated_y = 3;      // moved to index + old bucket count
inline constexpr tag_t evacuated_empty = 4;  // was free when its bucket was evacuated
inline constexpr tag_t min_full = 5;         // tags of full slots are min_full..255

static_assert(empty_rest == 0, "zeroed memory must read as empty buckets");
static_assert(empty_one == 1 && evacuated_x == 2 && evacuated_y == 3 && evacuated_empty == 4,
              "the group masks test free as tag <= 1 and full as tag >= 5");
static_assert(min_full == evacuated_empty + 1, "no gap between states and full tags");

// The tag of a full slot: the hash's top byte, lifted out of the state range.
// Top bits are used because the bucket index comes from the low bits, so tag
// and index are independent; tags 5..9 are twice as likely as the others,
// which costs a false-positive rate of about 2/251 instead of 1/256.
constexpr tag_t tag_from_hash(std::uint64_t hash) noexcept {
    const auto top = static_cast<tag_t>(hash >> 56);
    return top < min_full ? static_cast<tag_t>(top + min_full) : top;
}

constexpr bool is_free(tag_t t) noexcept {
    return t <= empty_one;
}
constexpr bool is_full(tag_t t) noexcept {
    return t >= min_full;
}
constexpr bool is_evacuated(tag_t t) noexcept {
    return t > empty_one && t < min_full;
}

static_assert(is_full(tag_from_hash(0)) && is_full(tag_from_hash(~std::uint64_t{0})));
static_assert(tag_from_hash(std::uint64_t{4} << 56) == 9);

}  // namespace tophash::simd
