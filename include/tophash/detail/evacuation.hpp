// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Evacuation: moving the chains of the old array into the new one, a bucket
// at a time, by the writes that happen during a resize. Part of
// concurrent_table (declared in concurrent_table.hpp).
#pragma once

#include <optional>
#include <vector>

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

// Moves the chain of old bucket i into the new array. Growing, X keeps index
// i and Y is i + old size (the next hash bit decides); a same-size
// evacuation uses X only; shrinking, the chain joins bucket i mod new size,
// which other old buckets share. Runs under the old stripe's lock and the
// destination stripes' locks. Either completes, or (a throwing hasher, copy
// constructor or allocator) leaves every chain involved as it was.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::evacuate_bucket(table_type& t, table_type& o,
                                                          std::size_t i) {
    const bucket_type head = o.head(i);
    if (head->evacuated()) return;
    bool finished = false;
    {
        stripe_type& os = o.stripe_of(i);
        concurrency::exclusive_guard og(os.lock);
        if (head->evacuated()) return;
        const std::size_t n = o.bucket_count();
        if (t.bucket_count() < n) {
            const std::size_t di = i & t.bucket_mask;
            stripe_type& ds = t.stripe_of(di);
            concurrency::exclusive_guard dg(ds.lock);
            chain_write wo(head), wd(t.head(di));
            merge_chain(t, head, di, ds);
        } else {
            const std::size_t xi = i;
            const std::size_t yi = t.same_size ? i : i + n;
            stripe_type* xs = &t.stripe_of(xi);
            stripe_type* ys = &t.stripe_of(yi);
            // Lock destination stripes in address order: two evacuators may
            // need the same pair in opposite roles.
            stripe_type* first = xs < ys ? xs : ys;
            stripe_type* second = xs < ys ? ys : xs;
            concurrency::exclusive_guard g1(first->lock);
            std::optional<concurrency::exclusive_guard> g2;
            if (second != first) g2.emplace(second->lock);
            chain_write wo(head), wx(t.head(xi));
            std::optional<chain_write> wy;
            if (yi != xi) wy.emplace(t.head(yi));
            move_chain(t, o, head, xi, yi, *xs, *ys);
        }
        // The stripe's last bucket: no write reaches the stripe any more, so
        // its pending count is final. The stripe lock orders the stripe's
        // evacuations; the fetch_add orders the stripes' last ones.
        const std::size_t moved = os.evacuated.load(std::memory_order_relaxed) + 1;
        os.evacuated.store(moved, std::memory_order_relaxed);
        if (moved == n / o.stripe_count()) {
            flush_pending(os);
            finished =
                t.evac_stripes_done.fetch_add(1, std::memory_order_acq_rel) + 1 == o.stripe_count();
        }
    }
    if (finished) {
        // No write reaches o any more (every chain is evacuated), so its
        // counts are final; the fetch_add above ordered us after every
        // evacuation, each of which followed the last write to its chain.
        t.inherited.store(o.inherited.load(std::memory_order_relaxed) + stripe_sum(o),
                          std::memory_order_release);
        t.old.store(nullptr, std::memory_order_release);
        retired_.retire(&o, &destroy_retired, this);  // capacity reserved when published
    }
}

// The hashes of a chain's full slots, in chain order, computed before
// anything changes: a throwing hasher leaves the table untouched. 64 cover a
// typical chain without allocating (4 buckets).
template <class S, class H, class E, class A>
class concurrent_table<S, H, E, A>::chain_hashes {
  public:
    chain_hashes(const concurrent_table& c, bucket_type head) {
        for (bucket_type b = head; b != nullptr; b = b->next())
            count_ += b->match_group().match_full().count();
        if (count_ > std::size(local_)) {
            spill_.resize(count_);
            data_ = spill_.data();
        }
        std::size_t k = 0;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            for (unsigned i : b->match_group().match_full())
                data_[k++] = c.hash_of(key_at(b, i));
        }
    }
    chain_hashes(const chain_hashes&) = delete;
    chain_hashes& operator=(const chain_hashes&) = delete;
    std::size_t size() const noexcept { return count_; }
    std::uint64_t operator[](std::size_t k) const noexcept { return data_[k]; }

  private:
    std::uint64_t local_[64];
    std::vector<std::uint64_t> spill_;
    std::uint64_t* data_ = local_;
    std::size_t count_ = 0;
};

// The last step of an evacuation: end the old elements and mark every old
// slot (evacuatedY where the hash has ybit, else evacuatedX; ybit 0: all X).
// The head's slot 0 goes last (release): readers test it. Counts stay with
// the array the elements were counted in (see table::inherited).
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::mark_evacuated(bucket_type head,
                                                         const chain_hashes& hashes,
                                                         std::uint64_t ybit) noexcept {
    simd::tag_t head_mark = simd::evacuated_empty;
    std::size_t k = 0;
    for (bucket_type b = head; b != nullptr; b = b->next()) {
        for (unsigned i = 0; i < width; ++i) {
            simd::tag_t mark = simd::evacuated_empty;
            if (simd::is_full(b->tag(i))) {
                mark = (hashes[k] & ybit) != 0 ? simd::evacuated_y : simd::evacuated_x;
                ++k;
                S::destroy_relocated(alloc_, b->slot_at(i));
            }
            if (b != head || i != 0) {
                b->set_tag(i, mark);
            } else {
                head_mark = mark;
            }
        }
    }
    head.mark_evacuated_head(head_mark);
}

// Shrinking: appends the elements of the old chain at head to chain di of t,
// which may already hold elements (evacuated from other old buckets, or
// written since). They take the chain's free slots in order, as inserts do,
// then new overflow buckets; a copy that throws puts every slot back.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::merge_chain(table_type& t, bucket_type head,
                                                      std::size_t di, stripe_type& ds) {
    const chain_hashes hashes(*this, head);
    const std::size_t count = hashes.size();
    struct place {
        bucket_type b;
        unsigned i;
        simd::tag_t was;
    };
    std::vector<place> places;
    places.reserve(count);
    bucket_type last = nullptr;
    for (bucket_type b = t.head(di); b != nullptr; b = b->next()) {
        last = b;
        for (unsigned i : b->match_group().match_free()) {
            if (places.size() < count) places.push_back({b, i, b->tag(i)});
        }
    }
    std::vector<bucket_type> fresh;
    fresh.reserve((count - places.size() + width - 1) / width);
    TOPHASH_TRY {
        while (places.size() < count) {
            const bucket_type nb = acquire_overflow(t, ds);
            fresh.push_back(nb);
            for (unsigned i = 0; i < width && places.size() < count; ++i)
                places.push_back({nb, i, simd::empty_rest});
        }
    }
    TOPHASH_CATCH_ALL {
        for (bucket_type b : fresh)
            release_overflow(ds, b);
        TOPHASH_RETHROW;
    }
    std::size_t k = 0;
    TOPHASH_TRY {
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            for (unsigned i : b->match_group().match_full()) {
                const place& p = places[k];
                S::relocate(alloc_, p.b->slot_at(p.i), b->slot_at(i));
                p.b->set_tag(p.i, simd::tag_from_hash(hashes[k]));
                ++k;
            }
        }
    }
    TOPHASH_CATCH_ALL {
        static_assert(S::nothrow_relocate || !S::stable_references,
                      "a relocation that moves ownership must not throw");
        for (std::size_t j = 0; j < k; ++j) {
            S::destroy(alloc_, places[j].b->slot_at(places[j].i));
            places[j].b->set_tag(places[j].i, places[j].was);
        }
        for (bucket_type b : fresh)
            release_overflow(ds, b);
        TOPHASH_RETHROW;
    }
    for (bucket_type b : fresh) {
        last->set_next(b);
        last = b;
    }
    mark_evacuated(head, hashes, 0);
}

template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::move_chain(table_type& t, table_type& o, bucket_type head,
                                                     std::size_t xi, std::size_t yi,
                                                     stripe_type& xs, stripe_type& ys) {
    const std::uint64_t ybit = t.same_size ? 0 : o.bucket_count();
    const chain_hashes hashes(*this, head);
    const std::size_t count = hashes.size();
    std::size_t to_y = 0;
    for (std::size_t k = 0; k < count; ++k)
        to_y += (hashes[k] & ybit) != 0;
    const std::size_t to_x = count - to_y;
    // 2. Take every overflow bucket needed up front, so that the moves below
    //    can only fail in an element's copy constructor.
    auto need = [](std::size_t k) { return k > width ? (k - 1) / width : 0; };
    std::vector<bucket_type> xo, yo;
    std::size_t taken_x = 0, taken_y = 0;
    TOPHASH_TRY {
        xo.reserve(need(to_x));
        yo.reserve(need(to_y));
        for (; taken_x < need(to_x); ++taken_x)
            xo.push_back(acquire_overflow(t, xs));
        for (; taken_y < need(to_y); ++taken_y)
            yo.push_back(acquire_overflow(t, ys));
    }
    TOPHASH_CATCH_ALL {
        for (bucket_type b : xo)
            release_overflow(xs, b);
        for (bucket_type b : yo)
            release_overflow(ys, b);
        TOPHASH_RETHROW;
    }
    // 3. Place the elements. Destination chains are empty: nothing else
    //    writes to them until the old bucket is marked evacuated.
    const bucket_type xhead = t.head(xi);
    const bucket_type yhead = t.head(yi);
    struct cursor {
        bucket_type b;
        unsigned i;
        std::size_t next_overflow;
    };
    cursor cx{xhead, 0, 0}, cy{yhead, 0, 0};
    TOPHASH_TRY {
        std::size_t k = 0;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            for (unsigned i : b->match_group().match_full()) {
                const bool y = (hashes[k] & ybit) != 0;
                cursor& c = y ? cy : cx;
                if (c.i == width) {
                    const bucket_type nb = (y ? yo : xo)[c.next_overflow++];
                    c.b->set_next(nb);
                    c.b = nb;
                    c.i = 0;
                }
                S::relocate(alloc_, c.b->slot_at(c.i), b->slot_at(i));
                c.b->set_tag(c.i, simd::tag_from_hash(hashes[k]));
                ++c.i;
                ++k;
            }
        }
    }
    TOPHASH_CATCH_ALL {
        // Only a copying relocation throws, and its copies are destroyed:
        // the destinations held nothing before this evacuation. (Storage
        // whose relocation moves ownership never gets here.)
        static_assert(S::nothrow_relocate || !S::stable_references,
                      "a relocation that moves ownership must not throw");
        clear_chain(xs, xhead, true);
        if (yhead != xhead) clear_chain(ys, yhead, true);
        for (std::size_t k = cx.next_overflow; k < xo.size(); ++k)
            release_overflow(xs, xo[k]);
        for (std::size_t k = cy.next_overflow; k < yo.size(); ++k)
            release_overflow(ys, yo[k]);
        TOPHASH_RETHROW;
    }
    mark_evacuated(head, hashes, ybit);
}

// One more old bucket for a write to evacuate, so that every write during a
// resize advances it. The cursor hands each bucket to one helper; once it has
// passed the end, helpers sweep for buckets still not evacuated (one whose
// evacuation threw, which nothing else would retry), lowest first. A resize
// therefore finishes after at most as many writes as the old array has
// buckets, plus one per evacuation that failed.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::help_cursor(table_type& t, table_type& o) {
    const std::size_t n = o.bucket_count();
    if (t.evac_cursor.load(std::memory_order_relaxed) < n) {
        const std::size_t i = t.evac_cursor.fetch_add(1, std::memory_order_relaxed);
        if (i < n) {
            evacuate_bucket(t, o, i);
            return;
        }
    }
    std::size_t j = t.evac_sweep.load(std::memory_order_relaxed);
    while (j < n && o.head(j).evacuated())
        ++j;
    std::size_t seen = t.evac_sweep.load(std::memory_order_relaxed);
    while (seen < j && !t.evac_sweep.compare_exchange_weak(seen, j, std::memory_order_relaxed)) {
    }
    if (j < n) evacuate_bucket(t, o, j);
}

// Finishes a resize on the calling thread (reserve, shrink): every old
// bucket still there, in order; other threads may evacuate some meanwhile.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::evacuate_all(table_type& t, table_type& o) {
    for (std::size_t i = 0; i < o.bucket_count(); ++i)
        evacuate_bucket(t, o, i);
}

// help_cursor for a write that must not fail: the evacuation rolled back
// whatever it did, and a later write retries the bucket.
template <class S, class H, class E, class A>
inline void concurrent_table<S, H, E, A>::help_quietly(table_type& t) noexcept {
    if (table_type* o = t.old.load(std::memory_order_acquire)) {
        TOPHASH_TRY {
            help_cursor(t, *o);
        }
        TOPHASH_CATCH_ALL {}
    }
}

}  // namespace tophash::detail
