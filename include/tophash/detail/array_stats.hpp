// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// What stats() and the bucket inspector (tophash/debug.hpp) read from one
// bucket array: slot states, chain lengths, spare overflow buckets, tags.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/debug.hpp"
#include "tophash/map_stats.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

// Adds the slots of every chain of `a` to st, each chain under its stripe's
// shared lock. An old array (being evacuated) adds only its full and
// evacuated slots; the chain histogram and overflow counts describe the newest.
template <class Array>
void add_array_stats(const Array& a, bool is_old, map_stats& st) {
    using bucket_type = typename Array::bucket_type;
    using node_type = typename Array::node_type;
    for (std::size_t bi = 0; bi < a.bucket_count(); ++bi) {
        concurrency::shared_guard lock(a.stripe_of(bi).lock);
        std::size_t len = 0;
        for (bucket_type b = a.head(bi); b != nullptr; b = b->next()) {
            ++len;
            for (unsigned i = 0; i < Array::width; ++i) {
                const simd::tag_t tag = b->tag(i);
                if (simd::is_evacuated(tag)) {
                    ++st.slots_evacuated;
                } else if (is_old) {
                    st.slots_full += simd::is_full(tag);
                } else if (simd::is_full(tag)) {
                    ++st.slots_full;
                } else if (tag == simd::empty_one) {
                    ++st.slots_empty_one;
                } else {
                    ++st.slots_empty_rest;
                }
            }
        }
        if (!is_old) {
            st.overflow_buckets += len - 1;
            if (st.chain_length_histogram.size() <= len) {
                st.chain_length_histogram.resize(len + 1, 0);
            }
            ++st.chain_length_histogram[len];
        }
    }
    for (std::size_t i = 0; i < a.stripe_count(); ++i) {
        concurrency::shared_guard lock(a.stripes[i].lock);
        for (const node_type* b = a.stripes[i].free_overflow; b != nullptr;
             b = static_cast<const node_type*>(b->ctrl.overflow)) {
            st.free_overflow_buckets += !is_old;
        }
    }
}

// The tags of chain bi of `a`, read under its stripe's shared lock.
template <class Array>
debug::chain_view inspect_chain(const Array& a, std::size_t bi, const char* name) {
    using bucket_type = typename Array::bucket_type;
    concurrency::shared_guard lock(a.stripe_of(bi).lock);
    debug::chain_view c;
    c.array = name;
    c.index = bi;
    c.evacuated = a.head(bi).evacuated();
    for (bucket_type b = a.head(bi); b != nullptr; b = b->next()) {
        std::vector<simd::tag_t> tags(Array::width);
        for (unsigned i = 0; i < Array::width; ++i)
            tags[i] = b->tag(i);
        c.buckets.push_back(std::move(tags));
    }
    return c;
}

}  // namespace tophash::detail
