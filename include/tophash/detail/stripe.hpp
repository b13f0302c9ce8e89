// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A stripe: the lock over a set of head buckets of one array (bucket i is
// under stripe i mod stripe count), with what its writers keep beside it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "tophash/concurrency/platform.hpp"
#include "tophash/concurrency/stripe_lock.hpp"

namespace tophash::detail {

// One stripe per 4 buckets, at most 4096: the lock array stays under 7% of
// the bucket memory for small tables (64 B per 4 x 280 B buckets) and 4096
// stripes make two writers collide with probability 1/4096 on large ones.
inline constexpr std::size_t buckets_per_stripe = 4;
inline constexpr std::size_t max_stripes = 4096;

template <class Node>
struct alignas(concurrency::cache_line) stripe {
    concurrency::stripe_lock lock;
    std::atomic<std::int64_t> count{0};  // elements in this stripe's buckets; written under lock
    std::int64_t pending = 0;            // count change not yet added to the size estimate
    Node* free_overflow = nullptr;       // emptied overflow nodes, linked by ctrl.overflow
    // Of an array being evacuated: how many of this stripe's buckets have
    // moved; written under lock, read by stats() and evacuation.
    std::atomic<std::size_t> evacuated{0};

    static std::size_t count_for(std::size_t nbuckets) noexcept {
        std::size_t s = nbuckets / buckets_per_stripe;
        if (s == 0) s = 1;
        return s < max_stripes ? s : max_stripes;
    }
};

}  // namespace tophash::detail
