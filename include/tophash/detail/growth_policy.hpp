// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// When a table grows, compacts or prepares its next array, and what one
// array may hold: every constant of the growth trigger, in one place. The
// figures behind them are in docs/design.md (Growth).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "tophash/detail/bucket.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

// Growth starts when the element count passes 13/16 of the head slots: Go's
// 6.5 per 8-slot bucket, where chains stay short (about 1.1 buckets probed
// per lookup with a good hash) without the memory of a lower limit.
inline constexpr std::size_t max_load_num = 13;
inline constexpr std::size_t max_load_den = 16;

// Elements a table of `buckets` head buckets holds before it grows (13 per
// bucket: the division is exact, so capacity_of never rounds).
static_assert(bucket_width * max_load_num % max_load_den == 0);
inline constexpr std::size_t per_bucket_capacity = bucket_width * max_load_num / max_load_den;
constexpr std::size_t capacity_of(std::size_t buckets) noexcept {
    return buckets * per_bucket_capacity;
}

// The trigger reads a batched estimate of the count (resizer::note_count):
// each stripe adds its change once it reaches grow_at / (stripes x
// estimate_slack), so the estimate lags the count by at most
// grow_at / estimate_slack.
inline constexpr std::size_t estimate_slack = 16;
constexpr std::int64_t flush_batch_for(std::size_t grow_at, std::size_t stripes) noexcept {
    const std::size_t batch = grow_at / (stripes * estimate_slack);
    return batch > 0 ? static_cast<std::int64_t>(batch) : 1;
}

// The next array of a growth is allocated once the count passes
// 1 - 1/prepare_fraction of grow_at, and faulted in populate_step bytes at a
// time by the writes that follow (resizer::prepare_next). 1/16 of a growth
// period is at least 64 x the stripe count flushes of the estimate, far more
// than the populate steps an array needs, so it is ready before growth starts.
inline constexpr std::size_t prepare_fraction = 16;
constexpr std::size_t prepare_at_for(std::size_t grow_at) noexcept {
    return grow_at - grow_at / prepare_fraction;
}
// 2 MiB: 512 faults of 4 KiB pages, well under a millisecond on the VMs we
// measure on; 1 MiB steps were twice as many and pushed the growth's p99.99
// up (docs/design.md, Growth).
inline constexpr std::size_t populate_step = std::size_t{2} << 20;
// After a populate step that took d, none starts for populate_rest x d, so
// populating (one thread at a time) takes at most half of the wall time;
// unpaced, steps ran back to back where faults are dear (docs/design.md).
inline constexpr std::int64_t populate_rest = 1;

// Same-size evacuation compacts chains that churn left long but sparse: at
// least as many overflow buckets as head buckets (and compact_min_overflow),
// yet under half of all their slots in use. A hash that sends many keys to
// one bucket gives long but dense chains, which compaction cannot shorten:
// they never trigger it, so such input degrades to chain scans, not to
// endless resizing.
inline constexpr std::size_t compact_min_overflow = 16;
constexpr bool wants_compaction(std::size_t buckets, std::size_t overflow,
                                std::int64_t elements) noexcept {
    if (overflow < buckets || overflow < compact_min_overflow) return false;
    return elements < static_cast<std::int64_t>((buckets + overflow) * bucket_width / 2);
}

// The most head buckets a table of Slot may have: a power of two whose arrays
// fit in PTRDIFF_MAX bytes, the limit of any one object. Far beyond any real
// memory, but it keeps every size computation below from wrapping.
template <class Slot>
constexpr std::size_t max_bucket_count() noexcept {
    constexpr std::size_t per_bucket = sizeof(bucket_ctrl) + bucket_width * sizeof(Slot);
    std::size_t b = std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 2);
    while (b > static_cast<std::size_t>(PTRDIFF_MAX) / per_bucket)
        b >>= 1;
    return b;
}
template <class Slot>
constexpr std::size_t max_capacity() noexcept {
    return capacity_of(max_bucket_count<Slot>());
}

// Smallest power-of-two bucket count whose capacity is >= n. Throws
// std::length_error past max_capacity (as std::vector::reserve does).
template <class Slot>
std::size_t buckets_for_capacity(std::size_t n) {
    if (n > max_capacity<Slot>()) {
        throw_length_error("tophash: requested capacity exceeds max_size()");
    }
    std::size_t b = 1;
    while (capacity_of(b) < n)
        b *= 2;
    return b;
}

}  // namespace tophash::detail
