// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Whole-table walks (for_each, visit_all, erase_if, clear) that never stop
// growth: resizes may start, run and finish while one is under way. Part of
// concurrent_table (declared in concurrent_table.hpp).
//
// The unit of work is a bucket of the array that was oldest when the walk
// began (n0 buckets): its elements are the ones whose hash is i modulo n0.
// In a larger array they are in buckets i, i + n0, i + 2 n0, ...; in a
// smaller one (after a shrink) in bucket i modulo its size, beside other
// units' elements, which the walk tells apart by hash (walk_filter). A
// bucket is visited where its elements are at that moment: under its stripe
// lock, if not evacuated, there (nothing has reached its descendants yet:
// writers evacuate a key's bucket before they write to the new array); else
// in its descendants in the next array (X and Y growing, the same index
// same-size, index mod size shrinking), recursively. Elements only move down
// that tree, under the locks of both ends, and each node of the tree takes
// the hashes that match the largest array on its path, so every element
// present for the whole walk is visited exactly once.
//
// Units are grouped by the stripes of the starting array, which are
// independent of each other: a parallel walk hands them to threads.
#pragma once

#include <algorithm>

#include "tophash/detail/concurrent_table.hpp"

namespace tophash::detail {

template <class S, class H, class E, class A>
inline auto concurrent_table<S, H, E, A>::plan_traversal() const -> traversal_plan {
    concurrency::epoch_guard eg(this);
    enter(eg);
    const table_type* t = root_.load(std::memory_order_acquire);
    if (t == nullptr) return {};
    const table_type* o = t->old.load(std::memory_order_acquire);
    return {(o != nullptr ? o : t)->bucket_count(), (o != nullptr ? o : t)->stripe_count()};
}

// Calls fn(table, stripe, head) for every live chain of the units of
// stripes [first, last), with its stripe locked (exclusive if Exclusive,
// else shared), until fn returns false; returns false if it did.
//
// Stripes are taken one at a time, 16 to an epoch guard (a long walk holds
// back reclamation only briefly); while the starting array is still the
// oldest, one lock acquisition covers all of the stripe's buckets (measured:
// per-bucket shared locking made iterating a 90%-erased 10k map 3x slower
// than absl).
template <class S, class H, class E, class A>
template <bool Exclusive, class Fn>
inline bool concurrent_table<S, H, E, A>::traverse(const traversal_plan& p, std::size_t first,
                                                   std::size_t last, Fn&& fn) {
    const std::size_t n0 = p.buckets, ns0 = p.stripes;
    for (std::size_t lo = first; lo < last; lo += stripes_per_epoch) {
        concurrency::epoch_guard eg(this);
        enter(eg);
        const std::size_t hi = std::min(last, lo + stripes_per_epoch);
        for (std::size_t si = lo; si < hi; ++si) {
            table_type* t = root_.load(std::memory_order_acquire);
            if (t == nullptr) return true;  // only a move empties a table; moves are not concurrent
            table_type* o = t->old.load(std::memory_order_acquire);
            table_type& base = o != nullptr ? *o : *t;
            const std::size_t nb = base.bucket_count();
            if (nb == n0) {
                stripe_type& s = base.stripes[si];
                stripe_guard<Exclusive> lock(s.lock);
                // No successor array yet: no bucket of the stripe can have
                // been evacuated (next is set before the first evacuation,
                // and each evacuator released this lock, which we now hold),
                // so the per-bucket check is skipped.
                if (base.next.load(std::memory_order_acquire) == nullptr) {
                    for (std::size_t bi = si; bi < nb; bi += ns0)
                        if (!visit_live_chain<Exclusive>(base, s, base.head(bi), fn, nullptr))
                            return false;
                } else {
                    for (std::size_t bi = si; bi < nb; bi += ns0)
                        if (!visit_chain_locked<Exclusive>(base, s, bi, fn, {nb, bi})) return false;
                }
            } else if (nb > n0) {
                for (std::size_t unit = si; unit < n0; unit += ns0) {
                    for (std::size_t bi = unit; bi < nb; bi += n0)
                        if (!visit_chain<Exclusive>(base, bi, fn, {nb, bi})) return false;
                }
            } else {
                for (std::size_t unit = si; unit < n0; unit += ns0) {
                    if (!visit_chain<Exclusive>(base, unit & (nb - 1), fn, {n0, unit}))
                        return false;
                }
            }
        }
    }
    return true;
}

template <class S, class H, class E, class A>
template <bool Exclusive, class Fn>
inline bool concurrent_table<S, H, E, A>::visit_chain(table_type& tab, std::size_t bi, Fn& fn,
                                                      walk_filter keep) {
    stripe_type& s = tab.stripe_of(bi);
    stripe_guard<Exclusive> lock(s.lock);
    return visit_chain_locked<Exclusive>(tab, s, bi, fn, keep);
}

// With tab's stripe s locked: nothing evacuates bucket bi meanwhile. Locks
// are taken old array first, as evacuation takes them, so holding s while
// visiting the next array's buckets cannot deadlock.
template <class S, class H, class E, class A>
template <bool Exclusive, class Fn>
TOPHASH_ALWAYS_INLINE bool concurrent_table<S, H, E, A>::visit_chain_locked(table_type& tab,
                                                                            stripe_type& s,
                                                                            std::size_t bi, Fn& fn,
                                                                            walk_filter keep) {
    const bucket_type head = tab.head(bi);
    if (__builtin_expect(head.evacuated(), 0))
        return visit_descendants<Exclusive>(tab, bi, fn, keep);
    const walk_filter* k = tab.bucket_count() < keep.buckets ? &keep : nullptr;
    return visit_live_chain<Exclusive>(tab, s, head, fn, k);
}

// fn(tab, s, head, keep): keep is null when every element of the chain is
// the walk's; a literal nullptr (the common case: no resize ever overlapped
// the walk) instantiates walks without the check (measured: the check cost
// 11% of iterating a 90%-erased 10k map).
template <class S, class H, class E, class A>
template <bool Exclusive, class Fn, class Keep>
TOPHASH_ALWAYS_INLINE bool concurrent_table<S, H, E, A>::visit_live_chain(table_type& tab,
                                                                          stripe_type& s,
                                                                          bucket_type head, Fn& fn,
                                                                          Keep keep) {
    if constexpr (Exclusive) {
        chain_write cw(head);
        return fn(tab, s, head, keep);
    } else {
        return fn(tab, s, head, keep);
    }
}

// Out of line: it recurses, and keeping it apart lets the common case above
// inline into the stripe loop (iterating a 10k map was 15-20% slower with
// the recursion in it).
template <class S, class H, class E, class A>
template <bool Exclusive, class Fn>
[[gnu::noinline]] bool concurrent_table<S, H, E, A>::visit_descendants(table_type& tab,
                                                                       std::size_t bi, Fn& fn,
                                                                       walk_filter keep) {
    table_type& next = *tab.next.load(std::memory_order_acquire);
    const std::size_t n = tab.bucket_count(), m = next.bucket_count();
    if (m < n) return visit_chain<Exclusive>(next, bi & (m - 1), fn, keep);
    if (m == n) return visit_chain<Exclusive>(next, bi, fn, keep);
    // Growing: a child holds elements of the walk only if its index agrees
    // with the filter on the bits both have. Below the filter's size that is
    // one child (the other would be reached again through a later shrink
    // that merges the two, and visited twice); above it both, each then the
    // filter of its own subtree.
    const std::size_t common = std::min(m, keep.buckets) - 1;
    for (const std::size_t c : {bi, bi + n}) {
        if ((c & common) != (keep.bucket & common)) continue;
        if (!visit_chain<Exclusive>(next, c, fn, m > keep.buckets ? walk_filter{m, c} : keep))
            return false;
    }
    return true;
}

// ---------------------------------------------------------------- the walks

template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::for_each_units(const traversal_plan& p, std::size_t first,
                                                         std::size_t last, F& f) const {
    return const_cast<concurrent_table*>(this)->template traverse<false>(
        p, first, last, [&](table_type&, stripe_type&, bucket_type head, auto keep) {
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i : b->match_group().match_full()) {
                    const element_type& e = *b->slot_at(i);
                    if (!admits(keep, e)) continue;
                    callback_scope g(this);
                    if (!invoke_continue(f, static_cast<const value_type&>(S::value(e))))
                        return false;
                }
            }
            return true;
        });
}

template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::visit_each_units(const traversal_plan& p,
                                                           std::size_t first, std::size_t last,
                                                           F& f) {
    // A const visitor (sets' visit_all) sees elements in place, as const,
    // under the exclusive lock all the same (Boost: exclusive access).
    auto body = [&](auto& v) {
        if constexpr (is_const_visitor<F>::value) {
            return invoke_continue(f.f, std::as_const(v));
        } else {
            return invoke_continue(f, v);
        }
    };
    auto go_on = [&] {
        if constexpr (is_const_visitor<F>::value) {
            return const_visitor<decltype(body)>{body};
        } else {
            return std::ref(body);
        }
    }();
    return traverse<true>(p, first, last,
                          [&](table_type&, stripe_type&, bucket_type head, auto keep) {
                              for (bucket_type b = head; b != nullptr; b = b->next()) {
                                  for (unsigned i : b->match_group().match_full()) {
                                      if (!admits(keep, *b->slot_at(i))) continue;
                                      if (!call_visitor(*b->slot_at(i), go_on)) return false;
                                  }
                              }
                              return true;
                          });
}

// Erases every element for which pred(value_type&) is true (with lock-free
// reads pred works on a copy, stored back if the element stays, so a
// predicate may update it).
template <class S, class H, class E, class A>
template <bool Destroy, class P>
inline auto concurrent_table<S, H, E, A>::erase_if_units(const traversal_plan& p, std::size_t first,
                                                         std::size_t last, P& pred) -> size_type {
    size_type erased = 0;
    traverse<true>(p, first, last, [&](table_type& t, stripe_type& s, bucket_type head, auto keep) {
        for (bucket_type b = head; b != nullptr;) {
            const bucket_type next = b->next();
            for (unsigned i = 0; i < width; ++i) {
                if (!simd::is_full(b->tag(i)) || !admits(keep, *b->slot_at(i))) continue;
                bool erase;
                if constexpr (Destroy) {
                    erase = call_visitor(*b->slot_at(i), pred);
                } else {
                    callback_scope g(this);
                    erase = pred(*b->slot_at(i));  // takes the node, or not
                }
                if (erase) {
                    // erase_at may unlink and recycle b when it empties, so
                    // continue from the saved successor in that case.
                    const bool unlinked = erase_at<Destroy>(t, s, head, b, i);
                    ++erased;
                    if (unlinked) break;
                }
            }
            b = next;
        }
        return true;
    });
    return erased;
}

template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::for_each(F& f) const {
    const traversal_plan p = plan_traversal();
    return for_each_units(p, 0, p.stripes, f);
}
template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::visit_each(F& f) {
    const traversal_plan p = plan_traversal();
    return visit_each_units(p, 0, p.stripes, f);
}
template <class S, class H, class E, class A>
template <class P>
inline auto concurrent_table<S, H, E, A>::erase_if(P& pred) -> size_type {
    const traversal_plan p = plan_traversal();
    return erase_if_units(p, 0, p.stripes, pred);
}
template <class S, class H, class E, class A>
template <class P>
inline auto concurrent_table<S, H, E, A>::transfer_if(P& take) -> size_type {
    static_assert(S::stable_references, "transfer_if: node containers only");
    const traversal_plan p = plan_traversal();
    return erase_if_units<false>(p, 0, p.stripes, take);
}
template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::for_each_in(const traversal_plan& p, std::size_t stripe,
                                                      F& f) const {
    return for_each_units(p, stripe, stripe + 1, f);
}
template <class S, class H, class E, class A>
template <class F>
inline bool concurrent_table<S, H, E, A>::visit_each_in(const traversal_plan& p, std::size_t stripe,
                                                        F& f) {
    return visit_each_units(p, stripe, stripe + 1, f);
}
template <class S, class H, class E, class A>
template <class P>
inline auto concurrent_table<S, H, E, A>::erase_if_in(const traversal_plan& p, std::size_t stripe,
                                                      P& pred) -> size_type {
    return erase_if_units(p, stripe, stripe + 1, pred);
}

// Removes every element. Inserts that run meanwhile may survive.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::clear() {
    check_reentry("clear");
    const traversal_plan p = plan_traversal();
    // Other units' elements in a merged chain go too: erasing them early
    // changes nothing for a clear.
    traverse<true>(p, 0, p.stripes, [&](table_type& t, stripe_type& s, bucket_type head, auto) {
        const std::int64_t n = clear_chain(s, head, true);
        note_count(t, s, -n);
        return true;
    });
}

// A consistent walk: f(const value_type&) on every element of one moment.
// Blocks writers for its duration (as Boost's blocking operations do): no new
// array is published (grow mutex), then every stripe of the old array (while
// a resize runs) and of the newest is taken shared, in the order evacuations
// take them (old before new, each in index order), so no write is in
// progress and none starts. Lock-free readers keep running.
template <class S, class H, class E, class A>
template <class F>
inline void concurrent_table<S, H, E, A>::for_each_consistent(F& f) const {
    std::unique_lock<std::mutex> grow_lock(grow_mutex_);
    concurrency::epoch_guard eg(this);
    enter_holding(eg, grow_lock);
    table_type* t = root_.load(std::memory_order_acquire);
    if (t == nullptr) return;
    table_type* o = t->old.load(std::memory_order_acquire);
    // Every stripe of an array (or none, for null) held shared while alive.
    struct all_stripes_shared {
        table_type* tab;
        explicit all_stripes_shared(table_type* x) noexcept : tab(x) {
            if (tab != nullptr)
                for (std::size_t i = 0; i < tab->stripe_count(); ++i)
                    tab->stripes[i].lock.lock_shared();
        }
        ~all_stripes_shared() {
            if (tab != nullptr)
                for (std::size_t i = 0; i < tab->stripe_count(); ++i)
                    tab->stripes[i].lock.unlock_shared();
        }
    };
    const all_stripes_shared old_locks(o);
    const all_stripes_shared new_locks(t);
    // The old array may have finished meanwhile: still alive (epoch), its
    // chains all evacuated, which the walk below skips.
    auto walk = [&](table_type* tab) {
        for (std::size_t bi = 0; bi < tab->bucket_count(); ++bi) {
            const bucket_type head = tab->head(bi);
            if (head.evacuated()) continue;
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i : b->match_group().match_full()) {
                    callback_scope g(this);
                    f(static_cast<const value_type&>(S::value(*b->slot_at(i))));
                }
            }
        }
    };
    if (o != nullptr) walk(o);
    walk(t);
}

}  // namespace tophash::detail
