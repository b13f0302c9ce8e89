// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// One chain (a head bucket and its overflow buckets) of a bucket array, under
// its stripe's lock: find, insert, erase and clear following Go's slot
// rules, and the walks over its buckets and full slots that every other part
// uses. It knows nothing of counts or resizes: its callers do (resizer.hpp).
//
// A slot is full (a tag >= min_full), emptyOne (erased, something may follow
// it in the chain) or emptyRest (nothing full follows it in this bucket or
// the chain's later buckets). Lookups stop at emptyRest; inserts take the
// first slot that is not full, so erased slots are reused at once and churn
// leaves no tombstones behind. A chain never ends in an empty overflow bucket.
// With TOPHASH_CHECK_INVARIANTS (on in the tests), every write checks these
// rules before it ends (check_invariants), as Go's checkInvariants does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tophash/detail/bucket.hpp"
#include "tophash/detail/bucket_array.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/platform/config.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

template <class Storage, class Allocator>
class chain {
  public:
    using storage = Storage;
    using array_type = bucket_array<Storage, Allocator>;
    using element_type = typename array_type::element_type;
    using bucket_type = typename array_type::bucket_type;
    using stripe_type = typename array_type::stripe_type;
    static constexpr unsigned width = array_type::width;

    // Marks a chain as being written for optimistic readers (its head's
    // version is odd meanwhile). Held with the stripe's exclusive lock.
    class write_section {
      public:
        TOPHASH_ALWAYS_INLINE explicit write_section(bucket_type head) noexcept : head_(head) {
            head_.begin_write();
        }
        TOPHASH_ALWAYS_INLINE ~write_section() { head_.end_write(); }
        write_section(const write_section&) = delete;
        write_section& operator=(const write_section&) = delete;

      private:
        bucket_type head_;
    };

    // A slot of the chain, or none.
    struct position {
        bucket_type bucket;
        unsigned slot = 0;
        explicit operator bool() const noexcept { return bucket != nullptr; }
        element_type& element() const noexcept { return *bucket->slot_at(slot); }
    };

    chain(array_type& a, std::size_t index) noexcept
        : array_(&a), stripe_(&a.stripe_of(index)), head_(a.head(index)) {}

    array_type& array() const noexcept { return *array_; }
    stripe_type& stripe() const noexcept { return *stripe_; }
    bucket_type head() const noexcept { return head_; }

    // ------------------------------------------------------------ walks
    // f(bucket) for each bucket, head first.
    template <class F>
    void for_each_bucket(F&& f) const {
        for (bucket_type b = head_; b != nullptr; b = b->next())
            f(b);
    }
    // f(position) for each full slot, in chain order, while f returns true;
    // false if f stopped the walk. With MayErase, f may erase the slot it is
    // given: the next bucket is read before f runs (erase() may unlink the
    // bucket it empties, which is then the last), a load the plain walk
    // puts after the slots, where it costs less (docs/design.md, Measured
    // choices in the code).
    template <bool MayErase = false, class F>
    bool for_each_full(F&& f) const {
        if constexpr (MayErase) {
            for (bucket_type b = head_; b != nullptr;) {
                const bucket_type next = b->next();
                for (unsigned i : b->match_group().match_full())
                    if (!f(position{b, i})) return false;
                b = next;
            }
        } else {
            for (bucket_type b = head_; b != nullptr; b = b->next()) {
                for (unsigned i : b->match_group().match_full())
                    if (!f(position{b, i})) return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------ operations
    template <class K, class Eq>
    position find(simd::tag_t tag, const K& key, const Eq& eq) const {
        for (bucket_type b = head_; b != nullptr; b = b->next()) {
            const auto g = b->match_group();
            for (unsigned i : g.match(tag)) {
                if (eq(Storage::key(*b->slot_at(i)), key)) return {b, i};
            }
            if (g.match_empty_rest()) break;
        }
        return {};
    }

    // Builds a new element (its key is known to be absent) with
    // construct(element_type*) in the first free slot of the chain, or in a
    // new overflow bucket when the chain is full; `extended` tells which.
    // A throwing construct leaves the chain as it was.
    template <class Construct>
    element_type& emplace(const Allocator& a, simd::tag_t tag, bool& extended,
                          Construct&& construct) {
        bucket_type last = nullptr;
        bucket_type target = nullptr;
        unsigned idx = 0;
        for (bucket_type b = head_; b != nullptr; b = b->next()) {
            last = b;
            if (const auto free = b->match_group().match_free()) {
                target = b;
                idx = free.lowest();
                break;
            }
        }
        bucket_type fresh = nullptr;
        if (target == nullptr) {
            fresh = array_->take_overflow(a, *stripe_);
            target = fresh;
            idx = 0;
        }
        TOPHASH_TRY {
            construct(target->slot_at(idx));
        }
        TOPHASH_CATCH_ALL {
            if (fresh != nullptr) array_type::give_back_overflow(*stripe_, fresh);
            TOPHASH_RETHROW;
        }
        if (fresh != nullptr) last->set_next(fresh);
        extended = fresh != nullptr;
        target->set_tag(idx, tag);
        return *target->slot_at(idx);
    }

    // Removes the element at p: the slot becomes emptyOne, unless nothing
    // follows it in the chain, in which case it and every emptyOne before it
    // become emptyRest; a trailing overflow bucket that empties goes back to
    // the stripe's spares. Destroy false: the element leaves alive (a node
    // extracted). Returns true if p's bucket itself was unlinked.
    template <bool Destroy = true>
    bool erase(const Allocator& a, position p) noexcept {
        bucket_type b = p.bucket;
        unsigned i = p.slot;
        if constexpr (Destroy) {
            Storage::destroy(a, b->slot_at(i));
        } else {
            Storage::destroy_relocated(a, b->slot_at(i));  // the slot, not the node
        }
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
        bool unlinked = false;
        for (;;) {
            if (i == 0) {
                if (b == head_) break;
                // b is now entirely empty and (a chain never ends in an
                // empty overflow bucket) last: unlink it.
                bucket_type prev = head_;
                while (prev->next() != b)
                    prev = prev->next();
                prev->set_next(nullptr);
                array_type::give_back_overflow(*stripe_, b);
                if (b == p.bucket) unlinked = true;
                b = prev;
                i = width;
            }
            --i;
            if (b->tag(i) != simd::empty_one) break;
            b->set_tag(i, simd::empty_rest);
        }
        return unlinked;
    }

    // Counts (and, if destroy, destroys) every element and returns the
    // overflow buckets to the stripe. Returns the number of elements.
    std::int64_t clear(const Allocator& a, bool destroy) noexcept {
        std::int64_t n = 0;
        for_each_full([&](position p) {
            ++n;
            if (destroy) Storage::destroy(a, p.bucket->slot_at(p.slot));
            return true;
        });
        bucket_type extra = head_->next();
        head_->reset();
        while (extra != nullptr) {
            const bucket_type nx = extra->next();
            array_type::give_back_overflow(*stripe_, extra);
            extra = nx;
        }
        return n;
    }

    // ------------------------------------------------------------ invariants
    // The slot rules, checked after every write where
    // TOPHASH_CHECK_INVARIANTS is on; aborts naming the broken rule.
    void check_invariants() const noexcept {
#if TOPHASH_CHECK_INVARIANTS
        if (head_.evacuated()) return;  // a moved chain holds only marks
        bool rest = false;              // an emptyRest was seen
        bool pending = false;           // an emptyOne not yet followed by a full slot
        bool last_full = true;          // the last bucket seen holds an element (or is the head)
        std::size_t buckets = 0;
        const std::size_t limit = array_->overflow_count.load(std::memory_order_relaxed) + 1;
        for (bucket_type b = head_; b != nullptr; b = b->next()) {
            if (++buckets > limit) fail("a chain longer than its array's overflow buckets");
            last_full = b == head_;
            for (unsigned i = 0; i < width; ++i) {
                const simd::tag_t t = b->tag(i);
                if (simd::is_evacuated(t)) fail("an evacuation mark in a live chain");
                if (rest && t != simd::empty_rest) fail("a slot that is not emptyRest after one");
                if (t == simd::empty_rest) rest = true;
                if (t == simd::empty_one) pending = true;
                if (simd::is_full(t)) {
                    pending = false;
                    last_full = true;
                }
            }
        }
        if (!last_full) fail("a chain that ends in an empty overflow bucket");
        if (pending) fail("an emptyOne with nothing full after it (should be emptyRest)");
#endif
    }

  private:
    [[noreturn, gnu::cold]] static void fail(const char* rule) noexcept {
        std::fprintf(stderr, "tophash: chain invariant broken: %s\n", rule);
        std::abort();
    }

    array_type* array_;
    stripe_type* stripe_;
    bucket_type head_;
};

}  // namespace tophash::detail
