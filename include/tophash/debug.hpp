// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Debug inspector: the tag states of one bucket chain, printable.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "tophash/simd/tag.hpp"

namespace tophash::debug {

inline const char* state_name(simd::tag_t t) noexcept {
    switch (t) {
        case simd::empty_rest:
            return "emptyRest";
        case simd::empty_one:
            return "emptyOne";
        case simd::evacuated_x:
            return "evacuatedX";
        case simd::evacuated_y:
            return "evacuatedY";
        case simd::evacuated_empty:
            return "evacuatedEmpty";
        default:
            return "full";
    }
}

// One chain (head bucket and its overflow buckets) as its tags read under
// the stripe's shared lock.
struct chain_view {
    std::string array;  // "current" or "old" (while a resize is under way)
    std::size_t index = 0;
    bool evacuated = false;
    std::vector<std::vector<simd::tag_t>> buckets;  // tags of each bucket, head first

    std::size_t count(simd::tag_t state) const {
        std::size_t n = 0;
        for (const auto& b : buckets) {
            for (simd::tag_t t : b)
                n += state == simd::min_full ? simd::is_full(t) : t == state;
        }
        return n;
    }
};

// What inspect() returns: the key's bucket in the current array and, during a
// resize, the old bucket that feeds it.
struct bucket_view {
    std::vector<chain_view> chains;

    const chain_view* current() const {
        for (const auto& c : chains) {
            if (c.array == "current") return &c;
        }
        return nullptr;
    }
    const chain_view* old() const {
        for (const auto& c : chains) {
            if (c.array == "old") return &c;
        }
        return nullptr;
    }
};

inline std::ostream& operator<<(std::ostream& os, const chain_view& c) {
    os << c.array << " bucket " << c.index << (c.evacuated ? " (evacuated)" : "") << '\n';
    for (std::size_t k = 0; k < c.buckets.size(); ++k) {
        os << (k == 0 ? "  head    " : "  overflow");
        for (simd::tag_t t : c.buckets[k]) {
            if (simd::is_full(t)) {
                os << ' ' << static_cast<unsigned>(t);
            } else {
                os << ' ' << state_name(t);
            }
        }
        os << '\n';
    }
    return os;
}

inline std::ostream& operator<<(std::ostream& os, const bucket_view& v) {
    for (const auto& c : v.chains)
        os << c;
    return os;
}

// inspect(map, i): bucket i (modulo the bucket count) of the map's current
// array, and the old bucket it is fed from while a resize is under way.
template <class Map>
bucket_view inspect(const Map& map, std::size_t bucket_index) {
    return map.inspect_bucket(bucket_index);
}

}  // namespace tophash::debug
