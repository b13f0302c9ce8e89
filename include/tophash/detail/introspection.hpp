// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Introspection: stats() (slot states, chains, resize progress) and the
// bucket inspector of tophash/debug.hpp. Part of concurrent_table (declared
// in concurrent_table.hpp).
#pragma once

#include <vector>

#include "tophash/detail/concurrent_table.hpp"

namespace tophash::detail {

template <class S, class H, class E, class A>
inline map_stats concurrent_table<S, H, E, A>::stats() const {
    check_reentry("stats");
    std::unique_lock<std::mutex> grow_lock(grow_mutex_);  // arrays stay put meanwhile
    concurrency::epoch_guard eg(this);
    enter_holding(eg, grow_lock);
    map_stats st;
    st.slots_per_bucket = width;
    const table_type* t = root_.load(std::memory_order_acquire);
    if (t == nullptr) return st;
    st.bucket_count = t->bucket_count();
    st.stripe_count = t->stripe_count();
    st.bytes = t->bytes() + block_overheads(*t);
    st.chain_length_histogram.assign(2, 0);
    auto scan = [&](const table_type& tab, bool is_old) {
        for (std::size_t bi = 0; bi < tab.bucket_count(); ++bi) {
            concurrency::shared_guard lock(tab.stripe_of(bi).lock);
            std::size_t len = 0;
            for (bucket_type b = tab.head(bi); b != nullptr; b = b->next()) {
                ++len;
                for (unsigned i = 0; i < width; ++i) {
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
        for (std::size_t i = 0; i < tab.stripe_count(); ++i) {
            concurrency::shared_guard lock(tab.stripes[i].lock);
            for (const node_type* b = tab.stripes[i].free_overflow; b != nullptr;
                 b = static_cast<const node_type*>(b->ctrl.overflow)) {
                st.free_overflow_buckets += !is_old;
            }
        }
    };
    if (const table_type* o = t->old.load(std::memory_order_acquire)) {
        st.resizing = true;
        st.same_size_resize = t->same_size;
        st.old_bucket_count = o->bucket_count();
        for (std::size_t i = 0; i < o->stripe_count(); ++i)
            st.evacuated_buckets += o->stripes[i].evacuated.load(std::memory_order_relaxed);
        st.bytes += o->bytes() + block_overheads(*o);
        scan(*o, true);
    }
    scan(*t, false);
    if (prepared_ != nullptr) {
        // Stripes and the table object, plus the pages faulted in so far.
        st.prepared_bytes =
            prepared_->bytes() -
            prepared_->bucket_count() * (sizeof(bucket_ctrl) + width * sizeof(element_type)) +
            prepared_done_ + block_overheads(*prepared_);
        st.bytes += st.prepared_bytes;
    }
    st.size = size();
    st.load_factor = static_cast<double>(st.size) / static_cast<double>(st.bucket_count * width);
    return st;
}

template <class S, class H, class E, class A>
inline debug::bucket_view concurrent_table<S, H, E, A>::inspect_bucket(
    std::size_t bucket_index) const {
    check_reentry("debug::inspect");
    concurrency::epoch_guard eg(this);
    enter(eg);
    debug::bucket_view v;
    const table_type* t = root_.load(std::memory_order_acquire);
    if (t == nullptr) return v;
    auto add = [&](const table_type& tab, std::size_t bi, const char* name) {
        concurrency::shared_guard lock(tab.stripe_of(bi).lock);
        debug::chain_view c;
        c.array = name;
        c.index = bi;
        c.evacuated = tab.head(bi).evacuated();
        for (bucket_type b = tab.head(bi); b != nullptr; b = b->next()) {
            std::vector<simd::tag_t> tags(width);
            for (unsigned i = 0; i < width; ++i)
                tags[i] = b->tag(i);
            c.buckets.push_back(std::move(tags));
        }
        v.chains.push_back(std::move(c));
    };
    if (const table_type* o = t->old.load(std::memory_order_acquire)) {
        add(*o, bucket_index & o->bucket_mask, "old");
    }
    add(*t, bucket_index & t->bucket_mask, "current");
    return v;
}

// The bucket index of `key` in the current array (for inspect()).
template <class S, class H, class E, class A>
template <class K>
inline std::size_t concurrent_table<S, H, E, A>::bucket_of(const K& key) const {
    concurrency::epoch_guard eg(this);
    enter(eg);
    const table_type* t = root_.load(std::memory_order_acquire);
    return t == nullptr ? 0 : static_cast<std::size_t>(hash_of(key) & t->bucket_mask);
}

}  // namespace tophash::detail
