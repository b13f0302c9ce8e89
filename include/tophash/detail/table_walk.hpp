// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A whole-table walk that never stops growth: resizes may start, run and
// finish while one is under way.
//
// The unit of work is a bucket of the array that was oldest when the walk
// began (n0 buckets): its elements are the ones whose hash is i modulo n0.
// In a larger array they are in buckets i, i + n0, i + 2 n0, ...; in a
// smaller one (after a shrink) in bucket i modulo its size, beside other
// units' elements, which the walk tells apart by hash (filter). A bucket is
// visited where its elements are at that moment: under its stripe lock, if
// not evacuated, there (nothing has reached its descendants yet: writers
// evacuate a key's bucket before they write to the new array); else in its
// descendants in the next array (by the next array's resize_kind),
// recursively. Elements only move down that tree, under the locks of both
// ends, and each node of the tree takes the hashes that match the largest
// array on its path, so every element present for the whole walk is visited
// exactly once. Units are grouped by the stripes of the starting array,
// which are independent of each other: a parallel walk hands them to threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <type_traits>

#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/freeze_gate.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/detail/bucket_array.hpp"
#include "tophash/detail/chain.hpp"
#include "tophash/detail/resizer.hpp"
#include "tophash/platform/config.hpp"

namespace tophash::detail {

template <class Storage, class Allocator>
class table_walk {
  public:
    using resizer_type = resizer<Storage, Allocator>;
    using array_type = typename resizer_type::array_type;
    using chain_type = typename resizer_type::chain_type;

    // The walk split into independent units.
    struct plan {
        std::size_t buckets = 0;  // of the oldest array when the walk began
        std::size_t stripes = 0;  // its stripes: the units
    };
    // The elements of a chain a walk takes: those whose hash is `bucket`
    // modulo `buckets` (the largest array on the walk's way to the chain).
    // Only chains of a smaller array hold others: a shrink merged them.
    struct filter {
        std::size_t buckets;
        std::size_t bucket;
    };

    // The caller holds an epoch guard.
    static plan plan_for(const resizer_type& r) noexcept {
        const array_type* t = r.root();
        if (t == nullptr) return {};
        const array_type* o = resizer_type::old_of(*t);
        const array_type& base = o != nullptr ? *o : *t;
        return {base.bucket_count(), base.stripe_count()};
    }

    // Calls fn(chain, keep) for every live chain of the units of stripes
    // [first, last), with its stripe locked (exclusive, inside the chain's
    // write section, if Exclusive, else shared), until fn returns false;
    // returns false if it did. keep is null when every element of the chain
    // is the walk's, else the filter (a const filter*); a literal nullptr
    // (the common case: no resize ever overlapped the walk) instantiates fn
    // without the check.
    //
    // Stripes are taken one at a time, 16 to an epoch section on `owner`
    // (a long walk holds back reclamation only briefly), each section passing
    // the owner's freeze gate; while the starting array is still the oldest,
    // one lock acquisition covers all of the stripe's buckets. (Both choices
    // measured: docs/design.md, Measured choices in the code.)
    template <bool Exclusive, class Fn>
    static bool run(const void* owner, const concurrency::freeze_gate& gate, resizer_type& r,
                    const plan& p, std::size_t first, std::size_t last, Fn&& fn) {
        const std::size_t n0 = p.buckets, ns0 = p.stripes;
        for (std::size_t lo = first; lo < last; lo += stripes_per_section) {
            concurrency::epoch_guard eg(owner);
            if (gate.closed()) gate.wait_open(eg.section(), owner);
            const std::size_t hi = std::min(last, lo + stripes_per_section);
            for (std::size_t si = lo; si < hi; ++si) {
                array_type* t = r.root();
                if (t == nullptr) return true;  // only a move empties a table; not concurrent
                array_type* o = resizer_type::old_of(*t);
                array_type& base = o != nullptr ? *o : *t;
                const std::size_t nb = base.bucket_count();
                if (nb == n0) {
                    guard<Exclusive> lock(base.stripes[si].lock);
                    // No successor array yet: no bucket of the stripe can
                    // have been evacuated (next is set before the first
                    // evacuation, and each evacuator released this lock,
                    // which we now hold), so the per-bucket check is skipped.
                    if (base.next.load(std::memory_order_acquire) == nullptr) {
                        for (std::size_t bi = si; bi < nb; bi += ns0) {
                            chain_type c(base, bi);
                            if (!visit_live<Exclusive>(c, fn, nullptr)) return false;
                        }
                    } else {
                        for (std::size_t bi = si; bi < nb; bi += ns0)
                            if (!visit_locked<Exclusive>(base, bi, fn, {nb, bi})) return false;
                    }
                } else if (nb > n0) {
                    for (std::size_t unit = si; unit < n0; unit += ns0) {
                        for (std::size_t bi = unit; bi < nb; bi += n0)
                            if (!visit<Exclusive>(base, bi, fn, {nb, bi})) return false;
                    }
                } else {
                    for (std::size_t unit = si; unit < n0; unit += ns0) {
                        if (!visit<Exclusive>(base, unit & (nb - 1), fn, {n0, unit})) return false;
                    }
                }
            }
        }
        return true;
    }

  private:
    static constexpr std::size_t stripes_per_section = 16;
    template <bool Exclusive>
    using guard =
        std::conditional_t<Exclusive, concurrency::exclusive_guard, concurrency::shared_guard>;

    template <bool Exclusive, class Fn>
    static bool visit(array_type& a, std::size_t bi, Fn& fn, filter keep) {
        guard<Exclusive> lock(a.stripe_of(bi).lock);
        return visit_locked<Exclusive>(a, bi, fn, keep);
    }

    // With a's stripe of bi locked: nothing evacuates bucket bi meanwhile.
    // Locks are taken old array first, as evacuation takes them, so holding
    // it while visiting the next array's buckets cannot deadlock.
    template <bool Exclusive, class Fn>
    TOPHASH_ALWAYS_INLINE static bool visit_locked(array_type& a, std::size_t bi, Fn& fn,
                                                   filter keep) {
        chain_type c(a, bi);
        if (__builtin_expect(c.head().evacuated(), 0))
            return visit_descendants<Exclusive>(a, bi, fn, keep);
        const filter* k = a.bucket_count() < keep.buckets ? &keep : nullptr;
        return visit_live<Exclusive>(c, fn, k);
    }

    template <bool Exclusive, class Fn, class Keep>
    TOPHASH_ALWAYS_INLINE static bool visit_live(chain_type& c, Fn& fn, Keep keep) {
        if constexpr (Exclusive) {
            typename chain_type::write_section ws(c.head());
            const bool go_on = fn(c, keep);
            c.check_invariants();
            return go_on;
        } else {
            return fn(c, keep);
        }
    }

    // Out of line: it recurses, and keeping it apart lets the common case
    // above inline into the stripe loop (docs/design.md, Measured choices in
    // the code).
    template <bool Exclusive, class Fn>
    [[gnu::noinline]] static bool visit_descendants(array_type& a, std::size_t bi, Fn& fn,
                                                    filter keep) {
        array_type& next = *a.next.load(std::memory_order_acquire);
        const std::size_t n = a.bucket_count(), m = next.bucket_count();
        switch (next.kind) {
            case resize_kind::shrink:
                return visit<Exclusive>(next, bi & (m - 1), fn, keep);
            case resize_kind::compact:
                return visit<Exclusive>(next, bi, fn, keep);
            case resize_kind::grow:
                break;
        }
        // Growing: a child holds elements of the walk only if its index
        // agrees with the filter on the bits both have. Below the filter's
        // size that is one child (the other would be reached again through a
        // later shrink that merges the two, and visited twice); above it
        // both, each then the filter of its own subtree.
        const std::size_t common = std::min(m, keep.buckets) - 1;
        for (const std::size_t c : {bi, bi + n}) {
            if ((c & common) != (keep.bucket & common)) continue;
            if (!visit<Exclusive>(next, c, fn, m > keep.buckets ? filter{m, c} : keep))
                return false;
        }
        return true;
    }
};

}  // namespace tophash::detail
