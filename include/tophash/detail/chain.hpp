// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// One chain (a head bucket and its overflow buckets) under its stripe's
// exclusive lock: find, insert, erase, following Go's slot rules. Part of
// concurrent_table (declared in concurrent_table.hpp).
//
// A slot is full (a tag >= min_full), emptyOne (erased, something may follow
// it in the chain) or emptyRest (nothing full follows it in this bucket or
// the chain's later buckets). Lookups stop at emptyRest; inserts take the
// first slot that is not full, so erased slots are reused at once and churn
// leaves no tombstones behind.
#pragma once

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

// Marks a chain as being written for optimistic readers (its head's version
// is odd meanwhile). Held with the stripe's exclusive lock.
template <class S, class H, class E, class A>
class concurrent_table<S, H, E, A>::chain_write {
  public:
    explicit chain_write(bucket_type head) noexcept : head_(head) { head_.begin_write(); }
    ~chain_write() { head_.end_write(); }
    chain_write(const chain_write&) = delete;
    chain_write& operator=(const chain_write&) = delete;

  private:
    bucket_type head_;
};

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::acquire_overflow(table_type& t, stripe_type& s)
    -> bucket_type {
    if (node_type* n = s.free_overflow) {
        s.free_overflow = static_cast<node_type*>(n->ctrl.overflow);
        const bucket_type b(n);
        b.reset();
        return b;
    }
    node_type* n = memory::template allocate<node_type>(alloc_, 1, true);
    t.overflow_count.fetch_add(1, std::memory_order_relaxed);
    return bucket_type(n);
}

// Emptied overflow buckets stay with their stripe: an optimistic reader that
// still follows a stale link lands in memory of the same stripe and table,
// whose version it validates.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::release_overflow(stripe_type& s, bucket_type b) noexcept {
    b.reset();
    b.set_next(bucket_type(s.free_overflow));
    s.free_overflow = b.as_node();
}

template <class S, class H, class E, class A>
template <class K>
inline auto concurrent_table<S, H, E, A>::find_in_chain(table_type& t, std::size_t bi,
                                                        std::uint64_t h, const K& key) const
    -> std::pair<bucket_type, unsigned> {
    const simd::tag_t tag = simd::tag_from_hash(h);
    for (bucket_type b = t.head(bi); b != nullptr; b = b->next()) {
        const auto g = b->match_group();
        for (unsigned i : g.match(tag)) {
            if (eq_(key_at(b, i), key)) return {b, i};
        }
        if (g.match_empty_rest()) break;
    }
    return {nullptr, 0};
}

// Inserts a new element (its key is known to be absent) into the first free
// slot of the chain, or a new overflow bucket when the chain is full.
// construct(element_type*) builds it in raw slot memory.
template <class S, class H, class E, class A>
template <class Construct>
inline auto concurrent_table<S, H, E, A>::emplace_new(table_type& t, stripe_type& s, std::size_t bi,
                                                      std::uint64_t h, bool& grow,
                                                      Construct&& construct) -> element_type& {
    bucket_type last = nullptr;
    bucket_type target = nullptr;
    unsigned idx = 0;
    for (bucket_type b = t.head(bi); b != nullptr; b = b->next()) {
        last = b;
        const auto free = b->match_group().match_free();
        if (free) {
            target = b;
            idx = free.lowest();
            break;
        }
    }
    bucket_type fresh = nullptr;
    if (target == nullptr) {
        fresh = acquire_overflow(t, s);
        target = fresh;
        idx = 0;
    }
    TOPHASH_TRY {
        construct(target->slot_at(idx));
    }
    TOPHASH_CATCH_ALL {
        if (fresh != nullptr) release_overflow(s, fresh);
        TOPHASH_RETHROW;
    }
    if (fresh != nullptr) {
        last->set_next(fresh);
        grow = overflow_pressure(t) || grow;
    }
    target->set_tag(idx, simd::tag_from_hash(h));
    grow = note_count(t, s, 1) || grow;
    return *target->slot_at(idx);
}

// f(value_type&) on an element under its stripe's exclusive lock; returns
// what f returns. With lock-free reads f works on a copy, stored back when f
// returns (readers may be copying the element right now, and must never see
// it half-written); if f throws, the element is left unchanged. A
// const_visitor sees the element in place; no_visit is not called at all.
template <class S, class H, class E, class A>
template <class F>
inline auto concurrent_table<S, H, E, A>::call_visitor(element_type& e, F& f) {
    if constexpr (std::is_same_v<remove_cvref_t<F>, no_visit>) {
        (void)e;
        return;
    } else if constexpr (std::is_same_v<remove_cvref_t<F>, always_true>) {
        (void)e;
        return true;
    } else if constexpr (is_const_visitor<remove_cvref_t<F>>::value) {
        callback_scope g(this);
        return f.f(static_cast<const value_type&>(S::value(e)));
    } else if constexpr (lock_free_reads) {
        callback_scope g(this);
        value_type tmp = S::load(&e);
        if constexpr (std::is_void_v<decltype(f(tmp))>) {
            f(tmp);
            S::store(&e, tmp);
        } else {
            auto r = f(tmp);
            S::store(&e, tmp);
            return r;
        }
    } else {
        callback_scope g(this);
        return f(S::value(e));
    }
}

// Removes slot i of bucket b (in the chain starting at head) following Go's
// rules: the slot becomes emptyOne, unless nothing follows it in the chain,
// in which case it and every emptyOne before it become emptyRest; a trailing
// overflow bucket that empties goes back to the stripe's free list. Returns
// true if b itself was unlinked.
template <class S, class H, class E, class A>
template <bool Destroy>
inline bool concurrent_table<S, H, E, A>::erase_at(table_type& t, stripe_type& s, bucket_type head,
                                                   bucket_type b, unsigned i) {
    if constexpr (Destroy) {
        S::destroy(alloc_, b->slot_at(i));
    } else {
        S::destroy_relocated(alloc_, b->slot_at(i));  // the slot, not the node
    }
    note_count(t, s, -1);
    bool rest_empty;
    if (i + 1 < width) {
        rest_empty = b->tag(i + 1) == simd::empty_rest;
    } else {
        const bucket_type n = b->next();
        rest_empty = n == nullptr || n->tag(0) == simd::empty_rest;
    }
    if (!rest_empty) {
        b->set_tag(i, simd::empty_one);
        return false;
    }
    b->set_tag(i, simd::empty_rest);
    const bucket_type erased_from = b;
    bool unlinked = false;
    for (;;) {
        if (i == 0) {
            if (b == head) break;
            // b is now entirely empty and (by the invariant that a chain
            // never ends in an empty overflow bucket) last: unlink it.
            bucket_type prev = head;
            while (prev->next() != b)
                prev = prev->next();
            prev->set_next(nullptr);
            for (bucket_type x = b; x != nullptr;) {
                const bucket_type n = x->next();
                release_overflow(s, x);
                x = n;
            }
            if (b == erased_from) unlinked = true;
            b = prev;
            i = width;
        }
        --i;
        if (b->tag(i) != simd::empty_one) break;
        b->set_tag(i, simd::empty_rest);
    }
    return unlinked;
}

// Counts (and, if destroy, destroys) every element of a chain and returns
// its overflow buckets to the stripe. Returns the number of elements.
template <class S, class H, class E, class A>
inline std::int64_t concurrent_table<S, H, E, A>::clear_chain(stripe_type& s, bucket_type head,
                                                              bool destroy) {
    std::int64_t n = 0;
    for (bucket_type b = head; b != nullptr; b = b->next()) {
        for (unsigned i = 0; i < width; ++i) {
            if (simd::is_full(b->tag(i))) {
                ++n;
                if (destroy) S::destroy(alloc_, b->slot_at(i));
            }
        }
    }
    bucket_type extra = head->next();
    head->reset();
    while (extra != nullptr) {
        const bucket_type nx = extra->next();
        release_overflow(s, extra);
        extra = nx;
    }
    return n;
}

}  // namespace tophash::detail
