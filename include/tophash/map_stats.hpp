// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Introspection of a concurrent_map: what its buckets hold right now.
//
// Vocabulary: a bucket is tophash's unit of 16 slots with one control block
// (tags, link, version); an array has head buckets, chains add overflow
// buckets. The containers' bucket_count() keeps Boost's meaning, the slots
// of the head buckets: m.bucket_count() == m.stats().slot_count().
#pragma once

#include <cstddef>
#include <ostream>
#include <vector>

namespace tophash {

// A snapshot taken stripe by stripe: exact when the map is quiescent,
// approximate while other threads write.
struct map_stats {
    std::size_t size = 0;          // elements
    std::size_t head_buckets = 0;  // of the current array
    std::size_t slots_per_bucket = 0;
    std::size_t overflow_buckets = 0;       // linked into chains (current array)
    std::size_t free_overflow_buckets = 0;  // held by stripes for reuse
    std::size_t stripe_count = 0;
    double load_factor = 0;  // size / slot_count(), as the containers' load_factor()
    // Slot states over the current array's chains.
    std::size_t slots_full = 0;
    std::size_t slots_empty_one = 0;
    std::size_t slots_empty_rest = 0;
    std::size_t slots_evacuated = 0;  // in the old array, while resizing
    // chain_length_histogram[k]: chains of k buckets (head + k-1 overflow).
    std::vector<std::size_t> chain_length_histogram;
    // Resize progress: old buckets evacuated out of old_head_buckets.
    bool resizing = false;
    bool same_size_resize = false;
    std::size_t old_head_buckets = 0;
    std::size_t evacuated_head_buckets = 0;
    std::size_t bytes = 0;  // memory held by the arrays, buckets and locks
    // Of `bytes`: the next array's, faulted in ahead of growth (see
    // docs/design.md, Growth); resident although no element is in it yet.
    std::size_t prepared_bytes = 0;

    // Slots of the head buckets: the containers' bucket_count().
    std::size_t slot_count() const noexcept { return head_buckets * slots_per_bucket; }
};

inline std::ostream& operator<<(std::ostream& os, const map_stats& s) {
    os << "size " << s.size << ", head buckets " << s.head_buckets << " x " << s.slots_per_bucket
       << " (+" << s.overflow_buckets << " overflow, " << s.free_overflow_buckets
       << " free), stripes " << s.stripe_count << ", load " << s.load_factor << "\nslots: full "
       << s.slots_full << ", emptyOne " << s.slots_empty_one << ", emptyRest " << s.slots_empty_rest
       << ", evacuated " << s.slots_evacuated << "\nchains:";
    for (std::size_t k = 1; k < s.chain_length_histogram.size(); ++k) {
        if (s.chain_length_histogram[k] != 0) os << ' ' << k << ':' << s.chain_length_histogram[k];
    }
    os << "\nresize: ";
    if (s.resizing) {
        os << s.evacuated_head_buckets << '/' << s.old_head_buckets << " old head buckets evacuated"
           << (s.same_size_resize ? " (same size)" : "");
    } else {
        os << "none";
    }
    os << "\nbytes " << s.bytes;
    if (s.prepared_bytes != 0) os << " (" << s.prepared_bytes << " prepared for growth)";
    return os << '\n';
}

}  // namespace tophash
