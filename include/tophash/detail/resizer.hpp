// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The arrays of one table and how they change: it owns the root array (the
// newest) and, while a resize runs, the old one it is evacuating; it counts
// elements, decides when to grow or compact (growth_policy.hpp), prepares the
// next array ahead of a growth, publishes new arrays with their resize_kind,
// moves old chains into them a bucket at a time, and retires old arrays once
// no reader can see them. concurrent_table.hpp runs the read, write and walk
// protocols over what it publishes.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/detail/bucket_array.hpp"
#include "tophash/detail/chain.hpp"
#include "tophash/detail/chain_hashes.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/growth_policy.hpp"
#include "tophash/detail/page_memory.hpp"

namespace tophash::detail {

template <class Storage, class Allocator>
class resizer {
  public:
    using array_type = bucket_array<Storage, Allocator>;
    using chain_type = chain<Storage, Allocator>;
    using element_type = typename array_type::element_type;
    using bucket_type = typename array_type::bucket_type;
    using stripe_type = typename array_type::stripe_type;
    using size_type = std::size_t;
    static constexpr unsigned width = array_type::width;

    // User-provided: an allocator without a default constructor fails only
    // if this one is called.
    resizer() : alloc_() {}
    explicit resizer(const Allocator& a) : alloc_(a) {}
    // A private move: no other thread may use `other`.
    resizer(resizer&& other) noexcept : alloc_(other.alloc_) { steal(other); }
    resizer(const resizer&) = delete;
    resizer& operator=(const resizer&) = delete;
    resizer& operator=(resizer&&) = delete;
    ~resizer() { release_all(); }

    const Allocator& allocator() const noexcept { return alloc_; }
    Allocator& allocator() noexcept { return alloc_; }

    // ------------------------------------------------------------ the arrays
    // The newest array (null before the first insert); the caller holds an
    // epoch guard for as long as it uses it.
    array_type* root() const noexcept { return root_.load(std::memory_order_acquire); }
    // The array a resize is evacuating into `t`, or null.
    static array_type* old_of(const array_type& t) noexcept {
        return t.old.load(std::memory_order_acquire);
    }
    // The chain that holds the elements of hash h right now: in the old
    // array while its bucket there is not evacuated, else in the newest.
    struct located {
        array_type* array;
        std::size_t index;
    };
    static located locate_in(array_type* t, std::uint64_t h) noexcept {
        if (t == nullptr) return {nullptr, 0};
        if (array_type* o = old_of(*t)) {
            if (!o->head(o->index_of(h)).evacuated()) return {o, o->index_of(h)};
        }
        return {t, t->index_of(h)};
    }
    located locate(std::uint64_t h) const noexcept { return locate_in(root(), h); }

    // Creates the first array, unless another thread just did.
    void create_first(std::size_t nbuckets) {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        if (root_.load(std::memory_order_acquire) == nullptr) {
            root_.store(array_type::create(alloc_, nbuckets), std::memory_order_release);
        }
    }

    // Serialises publication and preparation; blocking operations, stats()
    // and consistent walks hold it to keep the arrays where they are.
    std::mutex& grow_mutex() const noexcept { return grow_mutex_; }

    // ------------------------------------------------------------ counts
    // Exact per-stripe counts serve size(); the trigger needs the total on
    // every insert, which one shared counter would turn into a hot cache
    // line. Each stripe instead adds its change to approx_size_ once it
    // reaches flush_batch (growth_policy.hpp). Returns whether the count
    // passed prepare_at, i.e. whether to call after_write.
    bool note_count(array_type& t, stripe_type& s, std::int64_t delta) noexcept {
        s.count.store(s.count.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
        s.pending += delta;
        if (s.pending >= t.flush_batch || s.pending <= -t.flush_batch) {
            const std::int64_t now =
                approx_size_.fetch_add(s.pending, std::memory_order_relaxed) + s.pending;
            s.pending = 0;
            return delta > 0 && now > static_cast<std::int64_t>(t.prepare_at);
        }
        return false;
    }
    // The same after an insert that may have lengthened its chain.
    bool note_insert(array_type& t, stripe_type& s, bool extended) noexcept {
        const bool prepare = note_count(t, s, 1);
        return (extended && wants_compaction(t)) || prepare;
    }

    // Exact whenever no insert or erase completes during the call (resizes,
    // visits and reserve may run); otherwise it sums per-stripe counts read
    // at slightly different times and is off by at most the number of
    // inserts and erases that overlapped the call. The caller holds an
    // epoch guard.
    size_type size() const noexcept { return count_elements(root()); }
    static size_type count_elements(const array_type* t) noexcept {
        if (t == nullptr) return 0;
        std::int64_t n = t->stripe_sum();
        std::int64_t inherited = t->inherited.load(std::memory_order_acquire);
        if (inherited == array_type::not_inherited) {
            // Resizing: the old array's counts still hold what it had before
            // evacuation began. If it finished since, `inherited` was set
            // before `old` was cleared.
            if (const array_type* o = t->old.load(std::memory_order_acquire)) {
                inherited = o->inherited.load(std::memory_order_relaxed) + o->stripe_sum();
            } else {
                inherited = t->inherited.load(std::memory_order_acquire);
            }
        }
        n += inherited;
        return n > 0 ? static_cast<size_type>(n) : 0;
    }

    // ------------------------------------------------------------ the trigger
    // After a write that note_insert flagged: publishes a new array (twice
    // the size, or the same size to compact) that writers will fill
    // incrementally, or prepares the next one. A failure to allocate it
    // (whatever the allocator throws) only postpones growth: the write has
    // completed, chains absorb the elements until a later write retries.
    void after_write(array_type* t) noexcept {
        std::unique_lock<std::mutex> lock(grow_mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return;  // another thread is growing, or stats() runs
        if (root_.load(std::memory_order_acquire) != t) return;
        if (old_of(*t) != nullptr) return;  // still evacuating
        const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
        const bool by_count = n > static_cast<std::int64_t>(t->grow_at);
        if (!by_count && !wants_compaction(*t)) {
            if (n > static_cast<std::int64_t>(t->prepare_at)) prepare_next(t);
            return;
        }
        TOPHASH_TRY {
            publish(t, by_count ? resize_kind::grow : resize_kind::compact);
        }
        TOPHASH_CATCH_ALL {}
    }
    // reserve(): doubles t unless a resize already replaced it; throws.
    void grow(array_type* t) {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        if (root_.load(std::memory_order_acquire) != t) return;
        if (old_of(*t) != nullptr) return;
        publish(t, resize_kind::grow);
    }
    // shrink_to_fit(): replaces t by an array of `buckets` (fewer) head
    // buckets; false if a resize replaced t meanwhile.
    bool shrink(array_type* t, std::size_t buckets) {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        if (root_.load(std::memory_order_acquire) != t) return false;
        if (old_of(*t) != nullptr) return false;
        publish(t, resize_kind::shrink, buckets);
        return true;
    }

    // Frees the prepared next array (a growth that is not under way).
    void drop_prepared() noexcept {
        if (prepared_ != nullptr) array_type::free(alloc_, std::exchange(prepared_, nullptr));
        prepared_done_ = 0;
    }
    void drop_prepared_now() noexcept {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        drop_prepared();
    }
    // Of the prepared array: the table object, stripes and pages faulted in
    // so far (stats(); with grow_mutex() held).
    std::size_t prepared_bytes() const noexcept {
        if (prepared_ == nullptr) return 0;
        return prepared_->bytes() -
               prepared_->bucket_count() * (sizeof(bucket_ctrl) + width * sizeof(element_type)) +
               prepared_done_ + prepared_->block_overheads();
    }

    // ------------------------------------------------------------ evacuation
    // Moves the chain of old bucket i into t (see resize_kind). Runs under
    // the old stripe's lock and the destination stripes' locks. Either
    // completes, or (a throwing hasher, copy constructor or allocator) leaves
    // every chain involved as it was. hash_of(const key_type&) -> uint64_t.
    template <class HashOf>
    void evacuate_bucket(array_type& t, array_type& o, std::size_t i, const HashOf& hash_of) {
        if (o.head(i).evacuated()) return;
        bool finished = false;
        {
            const chain_type from(o, i);
            concurrency::exclusive_guard og(from.stripe().lock);
            if (from.head().evacuated()) return;
            const std::size_t n = o.bucket_count();
            if (t.kind == resize_kind::shrink) {
                chain_type to(t, i & t.bucket_mask);
                concurrency::exclusive_guard dg(to.stripe().lock);
                typename chain_type::write_section wo(from.head()), wd(to.head());
                merge_chain(from, to, hash_of);
                to.check_invariants();
            } else {
                chain_type x(t, i);
                chain_type y(t, t.kind == resize_kind::grow ? i + n : i);
                // Lock destination stripes in address order: two evacuators
                // may need the same pair in opposite roles.
                stripe_type* first = &x.stripe() < &y.stripe() ? &x.stripe() : &y.stripe();
                stripe_type* second = &x.stripe() < &y.stripe() ? &y.stripe() : &x.stripe();
                concurrency::exclusive_guard g1(first->lock);
                std::optional<concurrency::exclusive_guard> g2;
                if (second != first) g2.emplace(second->lock);
                typename chain_type::write_section wo(from.head()), wx(x.head());
                std::optional<typename chain_type::write_section> wy;
                if (y.head() != x.head()) wy.emplace(y.head());
                move_chain(from, x, y, t.kind == resize_kind::grow ? n : 0, hash_of);
                x.check_invariants();
                y.check_invariants();
            }
            // The stripe's last bucket: no write reaches the stripe any more,
            // so its pending count is final. The stripe lock orders the
            // stripe's evacuations; the fetch_add orders the stripes' last ones.
            stripe_type& os = from.stripe();
            const std::size_t moved = os.evacuated.load(std::memory_order_relaxed) + 1;
            os.evacuated.store(moved, std::memory_order_relaxed);
            if (moved == n / o.stripe_count()) {
                flush_pending(os);
                finished = t.evac_stripes_done.fetch_add(1, std::memory_order_acq_rel) + 1 ==
                           o.stripe_count();
            }
        }
        if (finished) {
            // No write reaches o any more (every chain is evacuated), so its
            // counts are final; the fetch_add above ordered us after every
            // evacuation, each of which followed the last write to its chain.
            t.inherited.store(o.inherited.load(std::memory_order_relaxed) + o.stripe_sum(),
                              std::memory_order_release);
            t.old.store(nullptr, std::memory_order_release);
            retired_.retire(&o, &release_retired, this);  // capacity reserved when published
        }
    }

    // One more old bucket for a write to evacuate, so that every write during
    // a resize advances it. The cursor hands each bucket to one helper; once
    // it has passed the end, helpers sweep for buckets still not evacuated
    // (one whose evacuation threw, which nothing else would retry), lowest
    // first. A resize therefore finishes after at most as many writes as the
    // old array has buckets, plus one per evacuation that failed.
    template <class HashOf>
    void help_cursor(array_type& t, array_type& o, const HashOf& hash_of) {
        const std::size_t n = o.bucket_count();
        if (t.evac_cursor.load(std::memory_order_relaxed) < n) {
            const std::size_t i = t.evac_cursor.fetch_add(1, std::memory_order_relaxed);
            if (i < n) {
                evacuate_bucket(t, o, i, hash_of);
                return;
            }
        }
        std::size_t j = t.evac_sweep.load(std::memory_order_relaxed);
        while (j < n && o.head(j).evacuated())
            ++j;
        std::size_t seen = t.evac_sweep.load(std::memory_order_relaxed);
        while (seen < j &&
               !t.evac_sweep.compare_exchange_weak(seen, j, std::memory_order_relaxed)) {
        }
        if (j < n) evacuate_bucket(t, o, j, hash_of);
    }
    // help_cursor for a write that must not fail: the evacuation rolled back
    // whatever it did, and a later write retries the bucket.
    template <class HashOf>
    void help_quietly(array_type& t, const HashOf& hash_of) noexcept {
        if (array_type* o = old_of(t)) {
            TOPHASH_TRY {
                help_cursor(t, *o, hash_of);
            }
            TOPHASH_CATCH_ALL {}
        }
    }
    // Finishes a resize on the calling thread (reserve, shrink): every old
    // bucket still there, in order; other threads may evacuate some meanwhile.
    template <class HashOf>
    void evacuate_all(array_type& t, array_type& o, const HashOf& hash_of) {
        for (std::size_t i = 0; i < o.bucket_count(); ++i)
            evacuate_bucket(t, o, i, hash_of);
    }

    // ------------------------------------------------------------ reclamation
    void note_write() noexcept { retired_.note_write(); }
    void reclaim() noexcept { retired_.reclaim(); }

    // ------------------------------------------------------------ state transfer
    // For blocking operations and destruction, with no other thread using
    // either resizer: frees everything / trades arrays, estimate and
    // allocation state (not the allocator, which is the caller's to move).
    void release_all() noexcept {
        retired_.drain();
        drop_prepared();
        if (array_type* t = root_.load(std::memory_order_relaxed)) {
            if (array_type* o = t->old.load(std::memory_order_relaxed))
                array_type::destroy(alloc_, o);
            array_type::destroy(alloc_, t);
        }
        root_.store(nullptr, std::memory_order_relaxed);
        approx_size_.store(0, std::memory_order_relaxed);
    }
    void swap_state(resizer& other) noexcept {
        // Deleters of retired arrays refer to their resizer, and a prepared
        // array belongs to the old size: both go (no reader is left).
        retired_.drain();
        other.retired_.drain();
        drop_prepared();
        other.drop_prepared();
        array_type* r = root_.load(std::memory_order_relaxed);
        root_.store(other.root_.load(std::memory_order_relaxed), std::memory_order_relaxed);
        other.root_.store(r, std::memory_order_relaxed);
        const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
        approx_size_.store(other.approx_size_.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
        other.approx_size_.store(n, std::memory_order_relaxed);
    }

  private:
    bool wants_compaction(const array_type& t) const noexcept {
        return detail::wants_compaction(t.bucket_count(),
                                        t.overflow_count.load(std::memory_order_relaxed),
                                        approx_size_.load(std::memory_order_relaxed));
    }

    void flush_pending(stripe_type& s) noexcept {
        if (s.pending != 0) {
            approx_size_.fetch_add(s.pending, std::memory_order_relaxed);
            s.pending = 0;
        }
    }

    // Publishes t's successor: kind grow doubles it, compact keeps its size,
    // shrink takes `buckets`. Called with grow_mutex_ held.
    void publish(array_type* t, resize_kind kind, std::size_t buckets = 0) {
        const std::size_t nbuckets = kind == resize_kind::grow      ? 2 * t->bucket_count()
                                     : kind == resize_kind::compact ? t->bucket_count()
                                                                    : buckets;
        retired_.reserve(1);  // so that finishing the evacuation cannot fail
        array_type* nt = nullptr;
        if (prepared_ != nullptr && prepared_->bucket_count() == nbuckets) {
            nt = std::exchange(prepared_, nullptr);
            prepared_done_ = 0;
        } else {
            // Kept for the growth after a compaction; other sizes go.
            if (prepared_ != nullptr && prepared_->bucket_count() != 2 * nbuckets) drop_prepared();
            nt = array_type::create(alloc_, nbuckets);
        }
        nt->kind = kind;
        nt->inherited.store(array_type::not_inherited, std::memory_order_relaxed);
        nt->old.store(t, std::memory_order_relaxed);
        t->next.store(nt, std::memory_order_relaxed);  // published by root_ below
        root_.store(nt, std::memory_order_release);
    }

    // A growth's evacuations write the new array in the order of the buckets
    // that writers touch, at random: left to fault in lazily, one insert in
    // a hundred or so took a page fault while the array filled, the p99 and
    // p99.9 of growth. So the array is allocated shortly before growth
    // starts and faulted in populate_step bytes per call here, run by writes
    // that flush their stripe's count past prepare_at. The price is memory:
    // from prepare_at on, the next array is resident although the table may
    // stop growing. Steps are paced (populate_rest). Called with grow_mutex_
    // held; an allocation that fails only leaves growth to fault lazily.
    void prepare_next(array_type* t) noexcept {
        using memory = typename array_type::memory;
        const std::size_t nb = 2 * t->bucket_count();
        if (prepared_ != nullptr && prepared_->bucket_count() != nb) drop_prepared();
        if (prepared_ == nullptr) {
            if (nb > max_bucket_count<element_type>()) return;
            TOPHASH_TRY {
                prepared_ = array_type::create(alloc_, nb);
            }
            TOPHASH_CATCH_ALL {
                return;
            }
            prepared_done_ = 0;
        }
        // The page-backed arrays, control blocks first, as one byte range.
        const std::size_t cbytes =
            memory::template page_backed<bucket_ctrl>(nb) ? nb * sizeof(bucket_ctrl) : 0;
        const std::size_t sbytes = memory::template page_backed<element_type>(nb * width)
                                       ? nb * width * sizeof(element_type)
                                       : 0;
        const std::size_t from = prepared_done_;
        if (from >= cbytes + sbytes) return;
        const std::int64_t start = monotonic_ns();
        if (start < populate_resume_ns_) return;
        const std::size_t to = std::min(from + populate_step, cbytes + sbytes);
        if (from < cbytes) {
            populate_pages(reinterpret_cast<char*>(prepared_->ctrls) + from,
                           std::min(to, cbytes) - from);
        }
        if (to > cbytes) {
            const std::size_t s = std::max(from, cbytes) - cbytes;
            populate_pages(reinterpret_cast<char*>(prepared_->slots) + s, to - cbytes - s);
        }
        prepared_done_ = to;
        const std::int64_t end = monotonic_ns();
        populate_resume_ns_ = end + (end - start) * populate_rest;
    }
    // Paces the populate steps: one vDSO clock read per step.
    static std::int64_t monotonic_ns() noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    // The last step of an evacuation: end the old elements and mark every
    // old slot (evacuatedY where the hash has ybit, else evacuatedX; ybit 0:
    // all X). The head's slot 0 goes last (release): readers test it. Counts
    // stay with the array the elements were counted in (bucket_array::inherited).
    void mark_evacuated(const chain_type& from, const chain_hashes<chain_type>& hashes,
                        std::uint64_t ybit) noexcept {
        const bucket_type head = from.head();
        simd::tag_t head_mark = simd::evacuated_empty;
        std::size_t k = 0;
        from.for_each_bucket([&](bucket_type b) {
            marks_type marks = empty_marks();
            for (unsigned i : b->match_group().match_full()) {
                marks[i] =
                    static_cast<simd::tag_t>(simd::evacuated_x + ((hashes[k++] & ybit) != 0));
                Storage::destroy_relocated(alloc_, b->slot_at(i));
            }
            const simd::tag_t first = store_marks(b, marks, b == head);
            if (b == head) head_mark = first;
        });
        head.mark_evacuated_head(head_mark);
    }

    // One bucket's evacuation marks, one tag per slot.
    using marks_type = std::array<simd::tag_t, width>;
    static marks_type empty_marks() noexcept {
        marks_type m;
        m.fill(simd::evacuated_empty);
        return m;
    }
    // Stores a bucket's marks a word at a time and returns slot 0's mark.
    // A head keeps slot 0's tag: readers test it, and it changes last, in
    // mark_evacuated_head's release store.
    static simd::tag_t store_marks(bucket_type b, marks_type& marks, bool is_head) noexcept {
        const simd::tag_t first = marks[0];
        if (is_head) marks[0] = b->tag(0);
        b->set_tags(marks.data());
        return first;
    }

    // Undoes a failed move into the empty chains x and y: only a copying
    // relocation throws, and its copies are destroyed (the destinations held
    // nothing before this evacuation; storage whose relocation moves
    // ownership never gets here).
    void drop_moved(chain_type& x, chain_type& y) noexcept {
        static_assert(Storage::nothrow_relocate || !Storage::stable_references,
                      "a relocation that moves ownership must not throw");
        x.clear(alloc_, true);
        if (y.head() != x.head()) y.clear(alloc_, true);
    }

    // Growing or compacting: moves the elements of `from` into the empty
    // chains x and y (the same chain unless growing), by the hash bit ybit.
    template <class HashOf>
    void move_chain(const chain_type& from, chain_type& x, chain_type& y, std::uint64_t ybit,
                    const HashOf& hash_of) {
        if (from.head()->next() == nullptr) return move_bucket(from, x, y, ybit, hash_of);
        const chain_hashes<chain_type> hashes(from, hash_of);
        const std::size_t count = hashes.size();
        std::size_t to_y = 0;
        for (std::size_t k = 0; k < count; ++k)
            to_y += (hashes[k] & ybit) != 0;
        const std::size_t to_x = count - to_y;
        // Every overflow bucket needed is taken up front, so that the moves
        // below can only fail in an element's copy constructor.
        auto need = [](std::size_t k) { return k > width ? (k - 1) / width : 0; };
        std::vector<bucket_type> xo, yo;
        TOPHASH_TRY {
            xo.reserve(need(to_x));
            yo.reserve(need(to_y));
            while (xo.size() < need(to_x))
                xo.push_back(x.array().take_overflow(alloc_, x.stripe()));
            while (yo.size() < need(to_y))
                yo.push_back(y.array().take_overflow(alloc_, y.stripe()));
        }
        TOPHASH_CATCH_ALL {
            for (bucket_type b : xo)
                array_type::give_back_overflow(x.stripe(), b);
            for (bucket_type b : yo)
                array_type::give_back_overflow(y.stripe(), b);
            TOPHASH_RETHROW;
        }
        // Destination chains are empty: nothing else writes to them until
        // the old bucket is marked evacuated.
        struct cursor {
            bucket_type b;
            unsigned i;
            std::size_t next_overflow;
        };
        cursor cx{x.head(), 0, 0}, cy{y.head(), 0, 0};
        TOPHASH_TRY {
            std::size_t k = 0;
            from.for_each_full([&](const typename chain_type::position& p) {
                const bool to_y_half = (hashes[k] & ybit) != 0;
                cursor& c = to_y_half ? cy : cx;
                if (c.i == width) {
                    const bucket_type nb = (to_y_half ? yo : xo)[c.next_overflow++];
                    c.b->set_next(nb);
                    c.b = nb;
                    c.i = 0;
                }
                Storage::relocate(alloc_, c.b->slot_at(c.i), p.bucket->slot_at(p.slot));
                c.b->set_tag(c.i, simd::tag_from_hash(hashes[k]));
                ++c.i;
                ++k;
                return true;
            });
        }
        TOPHASH_CATCH_ALL {
            drop_moved(x, y);
            for (std::size_t k = cx.next_overflow; k < xo.size(); ++k)
                array_type::give_back_overflow(x.stripe(), xo[k]);
            for (std::size_t k = cy.next_overflow; k < yo.size(); ++k)
                array_type::give_back_overflow(y.stripe(), yo[k]);
            TOPHASH_RETHROW;
        }
        mark_evacuated(from, hashes, ybit);
    }

    // move_chain for a chain of one bucket (three in four moved elements
    // growing to 2^20): its elements fit in the head buckets of x and y, so
    // no overflow bucket is taken; one pass over its full slots moves them
    // and builds their marks, which store_marks writes a word at a time as
    // for mark_evacuated. move_chain went from 95 to 59 instructions per moved
    // element, a growth to 2^20 from 425 to 379 per insert
    // (bench_instructions grow); the time of a growth to 2^23 did not move
    // beyond this VM's noise. The same order and the same rollback as the
    // general path.
    template <class HashOf>
    void move_bucket(const chain_type& from, chain_type& x, chain_type& y, std::uint64_t ybit,
                     const HashOf& hash_of) {
        const bucket_type b = from.head();
        const auto full = b->match_group().match_full();
        std::uint64_t hashes[width];  // first: a throwing hasher changes nothing
        unsigned n = 0;
        for (unsigned i : full)
            hashes[n++] = hash_of(Storage::key(*b->slot_at(i)));
        marks_type marks = empty_marks();
        TOPHASH_TRY {
            unsigned k = 0, nx = 0, ny = 0;  // next free slots of x and y
            for (unsigned i : full) {
                const std::uint64_t h = hashes[k++];
                const bool to_y = (h & ybit) != 0;
                const bucket_type d = to_y ? y.head() : x.head();
                const unsigned j = to_y ? ny++ : nx++;
                Storage::relocate(alloc_, d->slot_at(j), b->slot_at(i));
                d->set_tag(j, simd::tag_from_hash(h));
                marks[i] = static_cast<simd::tag_t>(simd::evacuated_x + to_y);
            }
        }
        TOPHASH_CATCH_ALL {
            drop_moved(x, y);
            TOPHASH_RETHROW;
        }
        for (unsigned i : full)
            Storage::destroy_relocated(alloc_, b->slot_at(i));
        b->mark_evacuated_head(store_marks(b, marks, true));
    }

    // Shrinking: appends the elements of `from` to `to`, which may already
    // hold elements (evacuated from other old buckets, or written since).
    // They take the chain's free slots in order, as inserts do, then new
    // overflow buckets; a copy that throws puts every slot back.
    template <class HashOf>
    void merge_chain(const chain_type& from, chain_type& to, const HashOf& hash_of) {
        const chain_hashes<chain_type> hashes(from, hash_of);
        const std::size_t count = hashes.size();
        struct place {
            bucket_type b;
            unsigned i;
            simd::tag_t was;
        };
        std::vector<place> places;
        places.reserve(count);
        bucket_type last = nullptr;
        to.for_each_bucket([&](bucket_type b) {
            last = b;
            for (unsigned i : b->match_group().match_free()) {
                if (places.size() < count) places.push_back({b, i, b->tag(i)});
            }
        });
        std::vector<bucket_type> fresh;
        fresh.reserve((count - places.size() + width - 1) / width);
        TOPHASH_TRY {
            while (places.size() < count) {
                const bucket_type nb = to.array().take_overflow(alloc_, to.stripe());
                fresh.push_back(nb);
                for (unsigned i = 0; i < width && places.size() < count; ++i)
                    places.push_back({nb, i, simd::empty_rest});
            }
        }
        TOPHASH_CATCH_ALL {
            for (bucket_type b : fresh)
                array_type::give_back_overflow(to.stripe(), b);
            TOPHASH_RETHROW;
        }
        std::size_t k = 0;
        TOPHASH_TRY {
            from.for_each_full([&](const typename chain_type::position& p) {
                const place& d = places[k];
                Storage::relocate(alloc_, d.b->slot_at(d.i), p.bucket->slot_at(p.slot));
                d.b->set_tag(d.i, simd::tag_from_hash(hashes[k]));
                ++k;
                return true;
            });
        }
        TOPHASH_CATCH_ALL {
            static_assert(Storage::nothrow_relocate || !Storage::stable_references,
                          "a relocation that moves ownership must not throw");
            for (std::size_t j = 0; j < k; ++j) {
                Storage::destroy(alloc_, places[j].b->slot_at(places[j].i));
                places[j].b->set_tag(places[j].i, places[j].was);
            }
            for (bucket_type b : fresh)
                array_type::give_back_overflow(to.stripe(), b);
            TOPHASH_RETHROW;
        }
        for (bucket_type b : fresh) {
            last->set_next(b);
            last = b;
        }
        mark_evacuated(from, hashes, 0);
    }

    // The deleter of a retired array: one release_some step per reclaim().
    static bool release_retired(void* object, void* context) noexcept {
        concurrency::epoch_detail::tsan_before_free();
        return array_type::release_some(static_cast<resizer*>(context)->alloc_,
                                        static_cast<array_type*>(object));
    }

    void steal(resizer& other) noexcept {
        other.retired_.drain();  // its deleters refer to `other`
        prepared_ = std::exchange(other.prepared_, nullptr);
        prepared_done_ = std::exchange(other.prepared_done_, 0);
        root_.store(other.root_.exchange(nullptr, std::memory_order_relaxed),
                    std::memory_order_relaxed);
        approx_size_.store(other.approx_size_.exchange(0, std::memory_order_relaxed),
                           std::memory_order_relaxed);
    }

    // Read by every operation; written only when a resize starts or ends.
    // On a line of its own (with the allocator, usually empty): next to
    // approx_size_, which every flush of a stripe's count writes, each
    // lookup of the other threads missed on it.
    alignas(concurrency::cache_line) std::atomic<array_type*> root_{nullptr};
    Allocator alloc_;
    // Written by writers.
    alignas(concurrency::cache_line) std::atomic<std::int64_t> approx_size_{0};
    mutable std::mutex grow_mutex_;
    // The next array of a growth, allocated and faulted in ahead of it;
    // prepared_done_ counts its bytes populated so far. Both under
    // grow_mutex_.
    array_type* prepared_ = nullptr;
    std::size_t prepared_done_ = 0;
    std::int64_t populate_resume_ns_ = 0;  // no populate step before this time
    concurrency::retire_list retired_;
};

}  // namespace tophash::detail
