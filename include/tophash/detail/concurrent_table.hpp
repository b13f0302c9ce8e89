// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The engine under every container: the read, write and walk protocols over
// the arrays a resizer publishes. Containers (basic_container.hpp and the
// facades over it) are thin layers on this class; what an element is and
// where it lives comes from the Storage policy (flat_storage.hpp,
// node_storage.hpp), which is all the engine knows of elements.
//
// Below it: resizer.hpp (the arrays and how they change), chain.hpp (one
// locked chain), bucket_array.hpp (one array); docs/design.md has the file
// map and traces a lookup and a growing insert through them.
//
// The protocols: a lookup takes no lock (optimistic, validated against the
// chain's version) or the stripe's shared lock; a write locks the stripe of
// the key's chain, where that chain lives right now, and helps the resize in
// progress; a walk visits every chain where its elements are at that moment,
// so resizes never wait for it. Every operation first passes the freeze gate,
// which blocking operations (swap, assignment) close.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/freeze_gate.hpp"
#include "tophash/concurrency/reentrancy_guard.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/debug.hpp"
#include "tophash/detail/array_stats.hpp"
#include "tophash/detail/blocking.hpp"
#include "tophash/detail/bucket_array.hpp"
#include "tophash/detail/chain.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/growth_policy.hpp"
#include "tophash/detail/hash_mix.hpp"
#include "tophash/detail/resizer.hpp"
#include "tophash/detail/table_walk.hpp"
#include "tophash/detail/visitors.hpp"
#include "tophash/map_stats.hpp"
#include "tophash/platform/config.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

template <class H, class E, class = void>
struct is_transparent_pair : std::false_type {};
template <class H, class E>
struct is_transparent_pair<H, E,
                           std::void_t<typename H::is_transparent, typename E::is_transparent>>
    : std::true_type {};

template <class Storage, class Hash, class KeyEqual, class Allocator>
class concurrent_table {
    using resizer_type = resizer<Storage, Allocator>;
    using array_type = typename resizer_type::array_type;
    using chain_type = typename resizer_type::chain_type;
    using position = typename chain_type::position;
    using bucket_type = typename array_type::bucket_type;
    using stripe_type = typename array_type::stripe_type;
    using located = typename resizer_type::located;
    using walk_type = table_walk<Storage, Allocator>;
    static constexpr unsigned width = array_type::width;

  public:
    using storage = Storage;
    using key_type = typename Storage::key_type;
    using value_type = typename Storage::value_type;
    using element_type = typename Storage::element_type;
    using staged_type = typename Storage::template staged_type_for<Allocator>;
    using size_type = std::size_t;
    static constexpr bool lock_free_reads = Storage::lock_free_reads;
    static constexpr bool transparent = is_transparent_pair<Hash, KeyEqual>::value;

    // ================================================================ construction
    // User-provided, not defaulted: a hasher, equality or allocator without
    // a default constructor fails only if it is called (Boost's tests build
    // containers of such allocators and never default-construct them).
    concurrent_table() : hash_(), eq_() {}
    concurrent_table(size_type capacity, const Hash& hash, const KeyEqual& eq,
                     const Allocator& alloc)
        : resizer_(alloc), hash_(hash), eq_(eq) {
        if (capacity != 0) resizer_.create_first(buckets_for_capacity<element_type>(capacity));
    }
    concurrent_table(const concurrent_table&) = delete;
    concurrent_table& operator=(const concurrent_table&) = delete;
    // A private move: no other thread may use `other` (the blocking forms
    // below are for tables other threads use).
    concurrent_table(concurrent_table&& other) noexcept
        : resizer_(std::move(other.resizer_)),
          hash_(std::move(other.hash_)),
          eq_(std::move(other.eq_)) {}
    concurrent_table& operator=(concurrent_table&&) = delete;
    ~concurrent_table() = default;

    const Hash& hash_function() const noexcept { return hash_; }
    const KeyEqual& key_eq() const noexcept { return eq_; }
    const Allocator& get_allocator() const noexcept { return resizer_.allocator(); }

    // Aborts naming the user's call `what` if it runs inside a callback on
    // this table (TOPHASH_ASSERTS); the facades call it first thing.
    void check_reentry([[maybe_unused]] const char* what) const noexcept {
#if TOPHASH_ASSERTS
        if (concurrency::reentrancy_guard::inside(this)) concurrency::reentrancy_guard::fail(what);
#endif
    }

    // ================================================================ lookups
    // Elements that are lock-free readable (lock_free_read.hpp) are read
    // optimistically: copied with atomic loads, then validated against the
    // chain's version, writing no shared memory. Others are read under the
    // stripe's shared lock; in flat maps only once their tags, read
    // optimistically, show a candidate.

    // found(const value_type&) on the element of `key`: a validated copy
    // when reads are lock-free, else the element under its stripe's shared lock.
    template <class K, class F>
    bool cvisit(const K& key, F& found) const {
        // A hasher with state is read only after enter(): a blocking swap may
        // be replacing it. Stateless ones hash first.
        std::uint64_t h = 0;
        if constexpr (std::is_empty_v<Hash>) h = hash_of(key);
        concurrency::epoch_guard eg(this);
        enter(eg);
        if constexpr (!std::is_empty_v<Hash>) h = hash_of(key);
        if constexpr (lock_free_reads) {
            std::optional<value_type> v;
            if (!read_lock_free(h, key, &v)) return false;
            callback_scope rg(this);
            found(static_cast<const value_type&>(*v));
            return true;
        } else {
            return read_locked(h, key, found);
        }
    }

    // Never copies the element.
    template <class K>
    bool contains(const K& key) const {
        std::uint64_t h = 0;
        if constexpr (std::is_empty_v<Hash>) h = hash_of(key);  // see cvisit
        concurrency::epoch_guard eg(this);
        enter(eg);
        if constexpr (!std::is_empty_v<Hash>) h = hash_of(key);
        if constexpr (lock_free_reads) {
            return read_lock_free(h, key, nullptr);
        } else {
            auto nothing = [](const value_type&) {};
            return read_locked(h, key, nothing);
        }
    }

    // cvisit() for every key of [first, last), a batch at a time. A scalar
    // lookup of a table larger than the cache waits for two misses in a row
    // (the head's control line, then the slot); a batch issues every key's
    // misses before waiting for any: hash and prefetch the control lines,
    // then match tags and prefetch the candidate slots, then probe. One
    // reader announcement covers the batch.
    template <class It, class F>
    size_type cvisit_bulk(It first, It last, F& found) const {
        size_type n = 0;
        std::uint64_t hashes[bulk_batch];
        It keys[bulk_batch];
        bucket_type heads[bulk_batch];
        while (first != last) {
            concurrency::epoch_guard eg(this);
            enter(eg);  // before hashing: see cvisit
            std::size_t m = 0;
            for (; m < bulk_batch && first != last; ++m, ++first) {
                keys[m] = first;
                hashes[m] = hash_of(*first);
            }
            // Each key's chain is located once. A resize that moves it before
            // the probe is caught there (the chain reads evacuated, or its
            // version moved), and that key is looked up again from the root.
            for (std::size_t i = 0; i < m; ++i) {
                const located at = resizer_.locate(hashes[i]);
                heads[i] = at.array != nullptr ? at.array->head(at.index) : bucket_type();
                if (at.array != nullptr) __builtin_prefetch(heads[i].ctrl());
            }
            for (std::size_t i = 0; i < m; ++i) {
                if (heads[i] == nullptr) continue;
                const auto match = heads[i]->match_group().match(simd::tag_from_hash(hashes[i]));
                if (match) __builtin_prefetch(heads[i]->slot_at(match.lowest()));
            }
            for (std::size_t i = 0; i < m; ++i) {
                if (heads[i] == nullptr) continue;
                if constexpr (lock_free_reads) {
                    std::optional<value_type> v;
                    if (read_lock_free(hashes[i], *keys[i], &v, heads[i])) {
                        ++n;
                        callback_scope rg(this);
                        found(static_cast<const value_type&>(*v));
                    }
                } else {
                    n += read_locked(hashes[i], *keys[i], found);
                }
            }
        }
        return n;
    }
    // 64 keys: the first pass then takes long enough (hash, locate, prefetch)
    // that the first key's control line has arrived when the second pass
    // reaches it (docs/design.md, Bulk lookups). 2 KiB of stack.
    static constexpr std::size_t bulk_batch = 64;

    // ================================================================ writes
    // Inserts Storage::construct(args...) if `key` is absent and calls
    // on_new(value_type&); else calls on_found(value_type&). Both run under
    // the stripe's exclusive lock (on a copy stored back, with lock-free
    // reads). True if inserted.
    template <class K, class OnFound, class OnNew, class... Args>
    bool emplace_or_visit(const K& key, OnFound&& on_found, OnNew&& on_new, Args&&... args) {
        return insert_or_visit(key, on_found, on_new, [&](element_type* p) {
            Storage::construct(resizer_.allocator(), p, std::forward<Args>(args)...);
        });
    }
    // The same for an element built beforehand (emplace(args...)). The
    // staged element's key is read until construct_staged takes the element.
    template <class OnFound, class OnNew>
    bool emplace_staged_or_visit(staged_type&& staged, OnFound&& on_found, OnNew&& on_new) {
        return insert_or_visit(Storage::staged_key(staged), on_found, on_new, [&](element_type* p) {
            Storage::construct_staged(resizer_.allocator(), p, std::move(staged));
        });
    }
    template <class... Args>
    staged_type stage(Args&&... args) const {
        return Storage::stage(resizer_.allocator(), std::forward<Args>(args)...);
    }

    // f(value_type&) under the exclusive lock; 1 if found.
    template <class K, class F>
    size_type visit(const K& key, F& f) {
        return write_op<false, shortcut::absent_is_noop>(
            key, [&](chain_type& c, bool&, simd::tag_t tag) {
                const position p = c.find(tag, key, eq_);
                if (!p) return size_type{0};
                call_visitor(p.element(), f);
                return size_type{1};
            });
    }
    // Erases `key` if present and pred(value_type&) is true; 1 if erased.
    template <class K, class P>
    size_type erase_if(const K& key, P& pred) {
        return remove_one<true>(key, pred);
    }
    // Node storage: unlinks and returns the element of `key` (null if
    // absent, or if pred(value_type&) is false), without destroying it.
    template <class K, class P>
    element_type extract_if(const K& key, P& pred) {
        static_assert(Storage::stable_references, "extract: node containers only");
        return remove_one<false>(key, pred);
    }

    // ================================================================ walks
    // Whole-table walks that never stop growth (table_walk.hpp). A parallel
    // walk hands the plan's units (stripes of the starting array) to threads.

    // Calls f(const value_type&) for every element while f returns true (f
    // returning void never stops). Weakly consistent. False if f stopped it.
    template <class F>
    bool cvisit_all(F& f) const {
        const walk_plan p = plan_walk();
        return cvisit_units(p, 0, p.stripes, f);
    }
    // f(value_type&) under exclusive locks (a copy stored back, with
    // lock-free reads); stops when f returns false.
    template <class F>
    bool visit_all(F& f) {
        const walk_plan p = plan_walk();
        return visit_units(p, 0, p.stripes, f);
    }
    template <class P>
    size_type erase_if(P& pred) {
        const walk_plan p = plan_walk();
        return erase_if_units(p, 0, p.stripes, pred);
    }
    // Node storage: every element for which take(element_type) is true
    // leaves the table alive (take owns it now). Weakly consistent.
    template <class P>
    size_type transfer_if(P& take) {
        static_assert(Storage::stable_references, "transfer_if: node containers only");
        const walk_plan p = plan_walk();
        return erase_if_units<false>(p, 0, p.stripes, take);
    }
    // Removes every element. Inserts that run meanwhile may survive; other
    // units' elements in a merged chain go too, which changes nothing for a
    // clear.
    void clear() {
        check_reentry("clear");
        const walk_plan p = plan_walk();
        walk<true>(p, 0, p.stripes, [&](chain_type& c, auto) {
            const std::int64_t n = c.clear(resizer_.allocator(), true);
            resizer_.note_count(c.array(), c.stripe(), -n);
            return true;
        });
    }

    using walk_plan = typename table_walk<Storage, Allocator>::plan;
    walk_plan plan_walk() const {
        concurrency::epoch_guard eg(this);
        enter(eg);
        return walk_type::plan_for(resizer_);
    }
    template <class F>
    bool cvisit_all_in(const walk_plan& p, std::size_t stripe, F& f) const {
        return cvisit_units(p, stripe, stripe + 1, f);
    }
    template <class F>
    bool visit_all_in(const walk_plan& p, std::size_t stripe, F& f) {
        return visit_units(p, stripe, stripe + 1, f);
    }
    template <class P>
    size_type erase_if_in(const walk_plan& p, std::size_t stripe, P& pred) {
        return erase_if_units(p, stripe, stripe + 1, pred);
    }

    // f(const value_type&) on every element of one moment. Blocks writers
    // for its duration (as Boost's blocking operations do): no new array is
    // published (grow mutex), then every stripe of the old array (while a
    // resize runs) and of the newest is taken shared, in the order
    // evacuations take them (old before new, each in index order), so no
    // write is in progress and none starts. Lock-free readers keep running.
    template <class F>
    void cvisit_all_consistent(F& f) const {
        std::unique_lock<std::mutex> grow_lock(resizer_.grow_mutex());
        concurrency::epoch_guard eg(this);
        gate_.pass_holding(eg.section(), this, grow_lock);
        array_type* t = resizer_.root();
        if (t == nullptr) return;
        array_type* o = resizer_type::old_of(*t);
        // Every stripe of an array (or none, for null) held shared while alive.
        struct all_stripes_shared {
            array_type* a;
            explicit all_stripes_shared(array_type* x) noexcept : a(x) {
                if (a != nullptr)
                    for (std::size_t i = 0; i < a->stripe_count(); ++i)
                        a->stripes[i].lock.lock_shared();
            }
            ~all_stripes_shared() {
                if (a != nullptr)
                    for (std::size_t i = 0; i < a->stripe_count(); ++i)
                        a->stripes[i].lock.unlock_shared();
            }
        };
        const all_stripes_shared old_locks(o);
        const all_stripes_shared new_locks(t);
        // The old array may have finished meanwhile: still alive (epoch), its
        // chains all evacuated, which the walk skips.
        auto each = [&](array_type* a) {
            for (std::size_t bi = 0; bi < a->bucket_count(); ++bi) {
                const chain_type c(*a, bi);
                if (c.head().evacuated()) continue;
                c.for_each_full([&](const position& p) {
                    callback_scope g(this);
                    f(static_cast<const value_type&>(Storage::value(p.element())));
                    return true;
                });
            }
        };
        if (o != nullptr) each(o);
        each(t);
    }

    // ================================================================ capacity
    size_type size() const noexcept {
        concurrency::epoch_guard g(this);
        enter(g);
        return resizer_.size();
    }
    size_type max_size() const noexcept {
        return max_capacity<element_type>();
    }
    // Slots of the newest array's head buckets (Boost's bucket_count()).
    size_type slot_count() const noexcept {
        return head_bucket_count() * width;
    }
    size_type max_load() const noexcept {
        concurrency::epoch_guard g(this);
        enter(g);
        const array_type* t = resizer_.root();
        return t == nullptr ? 0 : t->grow_at;
    }

    // Makes room for n elements without further growth. Finishes a resize in
    // progress and doubles as often as needed; the calling thread does the
    // evacuation work, other threads keep running. Throws std::length_error
    // if n > max_size().
    void reserve(size_type n) {
        check_reentry("reserve");
        const std::size_t wanted = buckets_for_capacity<element_type>(n);
        for (;;) {
            {
                concurrency::epoch_guard g(this);
                enter(g);
                array_type* t = resizer_.root();
                if (t == nullptr) {
                    resizer_.create_first(wanted);
                    continue;
                }
                if (array_type* o = resizer_type::old_of(*t)) {
                    resizer_.evacuate_all(*t, *o, hasher());
                    continue;
                }
                if (t->grow_at >= n) break;
                resizer_.grow(t);
            }
            resizer_.reclaim();
        }
        resizer_.reclaim();
    }

    // Moves the elements into the smallest array that holds n of them (and
    // at least size()), if that is smaller than the current one: a new array
    // is published and evacuated like a growth (old buckets merge, two or
    // more into one), writers help as they pass, and the calling thread
    // finishes it. Readers and writers keep running; the old array is freed
    // when the last reader that saw it has left.
    void shrink_to_fit(size_type n) {
        check_reentry("shrink_to_fit");
        for (bool published = false;;) {
            {
                concurrency::epoch_guard g(this);
                enter(g);
                array_type* t = resizer_.root();
                if (t == nullptr) return;
                if (array_type* o = resizer_type::old_of(*t)) {
                    resizer_.evacuate_all(*t, *o, hasher());
                    continue;
                }
                if (published) break;
                const std::size_t wanted =
                    buckets_for_capacity<element_type>(std::max(n, resizer_.size()));
                if (wanted >= t->bucket_count()) break;
                if (!resizer_.shrink(t, wanted)) continue;
                published = true;
            }
            resizer_.reclaim();
        }
        resizer_.reclaim();
    }
    // Frees the prepared next array of a growth that is not under way.
    void drop_prepared() noexcept {
        resizer_.drop_prepared_now();
    }

    // ================================================================ blocking operations
    // They wait for every operation in progress on the tables involved, and
    // operations that start meanwhile wait for them (blocking.hpp).
    void swap(concurrent_table& other) {
        if (this == &other) return;
        check_reentry("swap");
        blocking::swap(*this, other);
    }
    // *this takes other's elements; the allocator propagates if
    // may_propagate and the traits say so.
    void move_assign(concurrent_table& other, bool may_propagate = true) {
        if (this == &other) return;
        check_reentry("operator=");
        blocking::move_assign(*this, other, may_propagate);
    }
    // Strong guarantee.
    void copy_assign(const concurrent_table& other) {
        if (this == &other) return;
        check_reentry("operator=");
        blocking::copy_assign(*this, other);
    }
    // Frees the arrays of an empty table (rehash(0)); false if not empty.
    bool release_if_empty() {
        check_reentry("rehash");
        return blocking::release_if_empty(*this);
    }
    // f() with both tables' blocking mutexes held (merge, ==).
    template <class Other, class F>
    decltype(auto) with_pair_locked(const Other& other, F&& f) const {
        return blocking::pair_locked(*this, other, std::forward<F>(f));
    }
    friend class blocking;

    // ================================================================ introspection
    map_stats stats() const {
        check_reentry("stats");
        std::unique_lock<std::mutex> grow_lock(resizer_.grow_mutex());  // arrays stay put
        concurrency::epoch_guard eg(this);
        gate_.pass_holding(eg.section(), this, grow_lock);
        map_stats st;
        st.slots_per_bucket = width;
        const array_type* t = resizer_.root();
        if (t == nullptr) return st;
        st.head_buckets = t->bucket_count();
        st.stripe_count = t->stripe_count();
        st.bytes = t->bytes() + t->block_overheads();
        st.chain_length_histogram.assign(2, 0);
        if (const array_type* o = resizer_type::old_of(*t)) {
            st.resizing = true;
            st.same_size_resize = t->kind == resize_kind::compact;
            st.old_head_buckets = o->bucket_count();
            for (std::size_t i = 0; i < o->stripe_count(); ++i)
                st.evacuated_head_buckets +=
                    o->stripes[i].evacuated.load(std::memory_order_relaxed);
            st.bytes += o->bytes() + o->block_overheads();
            add_array_stats(*o, true, st);
        }
        add_array_stats(*t, false, st);
        st.prepared_bytes = resizer_.prepared_bytes();
        st.bytes += st.prepared_bytes;
        st.size = resizer_.size();
        st.load_factor =
            static_cast<double>(st.size) / static_cast<double>(st.head_buckets * width);
        return st;
    }

    debug::bucket_view inspect_bucket(std::size_t bucket_index) const {
        check_reentry("debug::inspect");
        concurrency::epoch_guard eg(this);
        enter(eg);
        debug::bucket_view v;
        const array_type* t = resizer_.root();
        if (t == nullptr) return v;
        if (const array_type* o = resizer_type::old_of(*t)) {
            v.chains.push_back(inspect_chain(*o, o->index_of(bucket_index), "old"));
        }
        v.chains.push_back(inspect_chain(*t, t->index_of(bucket_index), "current"));
        return v;
    }

    // The head bucket index of `key` in the newest array (for inspect()).
    template <class K>
    std::size_t bucket_of(const K& key) const {
        concurrency::epoch_guard eg(this);
        enter(eg);
        const array_type* t = resizer_.root();
        return t == nullptr ? 0 : t->index_of(hash_of(key));
    }

  private:
    // ================================================================ helpers
    template <class K>
    std::uint64_t hash_of(const K& key) const {
        const auto h = static_cast<std::uint64_t>(hash_(key));
        if constexpr (hash_is_avalanching<Hash>::value) {
            return h;
        } else {
            return mix_hash(h);
        }
    }
    // hash_of for the resizer, which hashes keys it moves.
    struct key_hasher {
        const concurrent_table* t;
        std::uint64_t operator()(const key_type& k) const { return t->hash_of(k); }
    };
    key_hasher hasher() const noexcept {
        return key_hasher{this};
    }

    size_type head_bucket_count() const noexcept {
        concurrency::epoch_guard g(this);
        enter(g);
        const array_type* t = resizer_.root();
        return t == nullptr ? 0 : t->bucket_count();
    }

    // The freeze gate, passed right after opening an epoch section.
    TOPHASH_ALWAYS_INLINE void enter(const concurrency::epoch_guard& eg) const noexcept {
        if (gate_.closed()) wait_thawed(eg.section());
    }
    [[gnu::noinline, gnu::cold]] void wait_thawed(concurrency::epoch_section eg) const noexcept {
        gate_.wait_open(eg, this);
    }

    // Marks a user callback running on this table, for check_reentry.
    // Nothing without TOPHASH_ASSERTS: its thread-local stores kept GCC from
    // holding a for_each callback's accumulator in a register
    // (docs/design.md, Measured choices in the code).
#if TOPHASH_ASSERTS
    using callback_scope = concurrency::reentrancy_guard;
#else
    struct callback_scope {
        explicit callback_scope(const void*) noexcept {}
    };
#endif

    // f(value_type&) on an element under its stripe's exclusive lock;
    // returns what f returns. With lock-free reads f works on a copy, stored
    // back when f returns (readers may be copying the element right now, and
    // must never see it half-written); if f throws, the element is left
    // unchanged. A const_visitor sees the element in place; no_visit is not
    // called at all.
    template <class F>
    auto call_visitor(element_type& e, F& f) {
        if constexpr (std::is_same_v<remove_cvref_t<F>, no_visit>) {
            (void)e;
            return;
        } else if constexpr (std::is_same_v<remove_cvref_t<F>, always_true>) {
            (void)e;
            return true;
        } else if constexpr (is_const_visitor<remove_cvref_t<F>>::value) {
            callback_scope g(this);
            return f.f(static_cast<const value_type&>(Storage::value(e)));
        } else if constexpr (lock_free_reads) {
            callback_scope g(this);
            value_type tmp = Storage::load(&e);
            if constexpr (std::is_void_v<decltype(f(tmp))>) {
                f(tmp);
                Storage::store(&e, tmp);
            } else {
                auto r = f(tmp);
                Storage::store(&e, tmp);
                return r;
            }
        } else {
            callback_scope g(this);
            return f(Storage::value(e));
        }
    }

    // ================================================================ the read protocol
    // Lock-free lookup (the caller holds an epoch guard): scans with atomic
    // loads and validates the chain's version (in its head's control block,
    // the line the tags are on), retrying if a writer intervened. Only a
    // validated copy of a key reaches the user's equality: a torn or stale
    // {pointer, length} must never be compared. Copies the element into
    // *out when out is not null. `head`, if given, is the chain the caller
    // located earlier under the same guard (bulk lookups); a retry locates
    // the chain afresh from the root.
    template <class K>
    bool read_lock_free(std::uint64_t h, const K& key, std::optional<value_type>* out,
                        bucket_type head = bucket_type()) const {
        static_assert(lock_free_reads);
        const simd::tag_t tag = simd::tag_from_hash(h);
        for (;; head = bucket_type()) {
            if (head == nullptr) {
                const located at = resizer_.locate(h);
                if (at.array == nullptr) return false;
                head = at.array->head(at.index);
            }
            const std::uint64_t v = head->read_begin();
            const int r = scan_lock_free(head, tag, key, v, out);
            if (r < 0) continue;
            if (r == 0) {
                // An evacuated chain holds no full slot, so a hit proves the
                // chain live; only a miss needs this check. Moved on: the
                // root tells where.
                if (head->evacuated()) continue;
                return false;
            }
            return true;
        }
    }

    // 1: found (*out set if out), 0: absent, -1: a writer intervened, retry.
    // Written out rather than through chain::find: the version checks sit
    // inside its loop.
    template <class K>
    int scan_lock_free(bucket_type head, simd::tag_t tag, const K& key, std::uint64_t v,
                       std::optional<value_type>* out) const {
        unsigned hops = 0;
        bucket_type b = head;  // a head is never null: no test before the first bucket
        do {
            const auto g = b->match_group();
            for (unsigned i : g.match(tag)) {
                const element_type* sl = b->slot_at(i);
                if (out != nullptr) {
                    // Key and value are copied before the check: one
                    // validation covers both (a tag false positive, 1 in
                    // 256, wastes it).
                    out->emplace(Storage::load(sl));
                    if (!head->read_validate(v)) return -1;
                    if (eq_(Storage::key(**out), key)) return 1;
                } else {
                    const key_type k = Storage::load_key(sl);
                    if (!head->read_validate(v)) return -1;
                    if (eq_(k, key)) return 1;
                }
            }
            if (__builtin_expect(static_cast<bool>(g.match_empty_rest()), 1)) break;
            // A chain rewritten under us could send us round in circles; a
            // periodic check bounds the walk.
            if ((++hops & 7) == 0 && !head->read_validate(v)) return -1;
            b = b->next();
        } while (b != nullptr);
        return head->read_validate(v) ? 0 : -1;
    }

    // Whether a chain may hold a key of this tag (the caller holds an epoch
    // guard; v is the head's even version): 0: no slot has the tag,
    // validated; 1: a candidate; -1: a writer intervened. The walk repeats
    // scan_lock_free's on purpose: one walk shared through a callback made
    // lock-free finds slower (docs/design.md, What a lookup costs).
    int probe_tags(bucket_type head, simd::tag_t tag, std::uint64_t v) const noexcept {
        unsigned hops = 0;
        bucket_type b = head;
        do {
            const auto g = b->match_group();
            if (g.match(tag)) return 1;
            if (__builtin_expect(static_cast<bool>(g.match_empty_rest()), 1)) break;
            if ((++hops & 7) == 0 && !head->read_validate(v)) return -1;  // see scan_lock_free
            b = b->next();
        } while (b != nullptr);
        return head->read_validate(v) ? 0 : -1;
    }

    // Locked lookup (the caller holds an epoch guard): calls
    // found(const value_type&) on the element in place, under the stripe's
    // shared lock, if present.
    template <class K, class Found>
    bool read_locked(std::uint64_t h, const K& key, Found& found) const {
        const simd::tag_t tag = simd::tag_from_hash(h);
        for (;;) {
            const located at = resizer_.locate(h);
            if (at.array == nullptr) return false;
            const chain_type c(*at.array, at.index);
            // The tags first, without the lock: a chain with no candidate for
            // the key's tag (a miss, unless a full slot's tag collides: 1 in
            // 251 each) is a validated miss, as for lock-free reads, and costs
            // the stripe's line nothing. A writer in the chain sends us to
            // the lock. Not for node maps, whose hits it made slower
            // (docs/design.md, Measured choices in the code).
            if constexpr (!Storage::stable_references) {
                if (const std::uint64_t v = c.head()->read_peek(); (v & 1) == 0) {
                    if (probe_tags(c.head(), tag, v) == 0) {
                        if (c.head()->evacuated()) continue;  // moved on: the root tells where
                        return false;
                    }
                }
            }
            concurrency::shared_guard lock(c.stripe().lock);
            if (c.head()->evacuated()) continue;
            const position p = c.find(tag, key, eq_);
            if (!p) return false;
            callback_scope rg(this);
            found(static_cast<const value_type&>(Storage::value(p.element())));
            return true;
        }
    }

    // ================================================================ the write protocol
    enum class shortcut { none, absent_is_noop, present_is_noop };

    // Runs op(chain, grow flag, the key's tag) under the exclusive lock of
    // the stripe that owns the key's chain, inside the chain's write
    // section. The tag is computed once here, for the lock-free shortcut
    // and op alike (the compiler cannot reuse it across the lock's atomic
    // RMW when op recomputes it from a hash in memory).
    //
    // Inserting operations (Inserts) work in the newest array: first they
    // evacuate the key's old bucket, and one more (help_cursor), which may
    // allocate and may throw (the write then fails with the table
    // unchanged). The others (visit, erase) never allocate: a key whose old
    // bucket is not evacuated yet is handled right there in the old array;
    // they help with one bucket at the cursor after their own work is done,
    // and ignore a failure of that help (the bucket is retried by a later
    // write). Operations that cannot insert do nothing on a table that has
    // no array.
    //
    // A write that a lock-free read can prove to be a no-op (Shortcut) ends
    // there, returning a value-initialised result: it takes no lock, bumps
    // no version and so dirties no line that other threads read. Only while
    // no resize runs (writes then help it).
    template <bool Inserts = true, shortcut Shortcut = shortcut::none, class K, class Op>
    auto write_op(const K& key, Op&& op) {
        bool grow = false;
        array_type* written = nullptr;
        using result_t = decltype(op(std::declval<chain_type&>(), grow, simd::tag_t{}));
        std::optional<result_t> result;
        {
            concurrency::epoch_guard eg(this);
            enter(eg);
            const std::uint64_t h = hash_of(key);  // after enter(): see cvisit
            const simd::tag_t tag = simd::tag_from_hash(h);
            array_type* helped = nullptr;
            for (;;) {
                array_type* t = resizer_.root();
                if (t == nullptr) {
                    if constexpr (!Inserts) return result_t{};
                    resizer_.create_first(1);
                    continue;
                }
                located at{t, t->index_of(h)};
                array_type* const o = resizer_type::old_of(*t);
                if (o != nullptr) {
                    if constexpr (Inserts) {
                        resizer_.evacuate_bucket(*t, *o, o->index_of(h), hasher());
                        resizer_.help_cursor(*t, *o, hasher());
                    } else {
                        helped = t;
                        at = resizer_type::locate_in(t, h);
                    }
                }
                chain_type c(*at.array, at.index);
                if constexpr (Shortcut != shortcut::none) {
                    if (o == nullptr && settled_lock_free<Shortcut>(c.head(), key, tag))
                        return result_t{};
                }
                concurrency::exclusive_guard lock(c.stripe().lock);
                // Evacuated since we looked: a newer array holds the chain.
                if (c.head().evacuated()) continue;
                typename chain_type::write_section ws(c.head());
                result.emplace(op(c, grow, tag));
                c.check_invariants();
                written = at.array;
                break;
            }
            if constexpr (!Inserts) {
                if (helped != nullptr) resizer_.help_quietly(*helped, hasher());
            }
            if (grow) resizer_.after_write(written);
        }
        resizer_.note_write();
        return *result;
    }

    // Whether a validated lock-free read proves the write a no-op: the key
    // absent (an erase, a visit), or present (an insert that visits
    // nothing; this needs lock-free readable keys). The proof is the
    // lookup's (read_lock_free): a validated scan of a chain that was not
    // evacuated when it was validated. The head bucket's tags, read first
    // without validation, only choose whether to try: a write that will
    // change the chain (a matching tag for an erase, none for an insert)
    // goes to its lock at the cost of one group match.
    template <shortcut S, class K>
    TOPHASH_ALWAYS_INLINE bool settled_lock_free(bucket_type head, const K& key,
                                                 simd::tag_t tag) const {
        const bool candidate = static_cast<bool>(head->match_group().match(tag));
        if (candidate != (S == shortcut::present_is_noop)) return false;
        const std::uint64_t v = head->read_peek();
        if ((v & 1) != 0) return false;
        if constexpr (S == shortcut::absent_is_noop) {
            return probe_tags(head, tag, v) == 0 && !head->evacuated();
        } else {
            static_assert(lock_free_reads);
            return scan_lock_free(head, tag, key, v, nullptr) == 1;
        }
    }

    // Look `key` up, visit it if present, else construct(element_type*) a
    // new element in the chain and visit that.
    template <class K, class OnFound, class OnNew, class Construct>
    bool insert_or_visit(const K& key, OnFound& on_found, OnNew& on_new, Construct&& construct) {
        constexpr shortcut s = lock_free_reads && std::is_same_v<remove_cvref_t<OnFound>, no_visit>
                                   ? shortcut::present_is_noop
                                   : shortcut::none;
        return write_op<true, s>(key, [&](chain_type& c, bool& grow, simd::tag_t tag) {
            if (const position p = c.find(tag, key, eq_)) {
                call_visitor(p.element(), on_found);
                return false;
            }
            bool extended = false;
            element_type& e = c.emplace(resizer_.allocator(), tag, extended, construct);
            grow = resizer_.note_insert(c.array(), c.stripe(), extended);
            // Inserted: a throwing on_new does not undo that (as in Boost).
            call_visitor(e, on_new);
            return true;
        });
    }

    // Unlinks the element of `key` if present and pred(value_type&) is true:
    // destroys it and returns 1 (Destroy), or returns it alive (a node).
    template <bool Destroy, class K, class P>
    auto remove_one(const K& key, P& pred) {
        using result = std::conditional_t<Destroy, size_type, element_type>;
        return write_op<false, shortcut::absent_is_noop>(
            key, [&](chain_type& c, bool&, simd::tag_t tag) -> result {
                const position p = c.find(tag, key, eq_);
                if (!p || !call_visitor(p.element(), pred)) return result{};
                resizer_.note_count(c.array(), c.stripe(), -1);
                if constexpr (Destroy) {
                    c.erase(resizer_.allocator(), p);
                    return result{1};
                } else {
                    const element_type e = p.element();
                    c.template erase<false>(resizer_.allocator(), p);
                    return e;
                }
            });
    }

    // ================================================================ the walk protocol
    // table_walk.hpp finds the chains; these say what to do in each.
    template <bool Exclusive, class Fn>
    bool walk(const walk_plan& p, std::size_t first, std::size_t last, Fn&& fn) const {
        return walk_type::template run<Exclusive>(this, gate_, const_cast<resizer_type&>(resizer_),
                                                  p, first, last, fn);
    }
    // Whether an element of a chain a walk reaches is the walk's (see
    // table_walk::filter); a literal nullptr means all are.
    bool admits(const typename walk_type::filter* keep, const element_type& e) const {
        return keep == nullptr || (hash_of(Storage::key(e)) & (keep->buckets - 1)) == keep->bucket;
    }
    static constexpr bool admits(std::nullptr_t, const element_type&) noexcept {
        return true;
    }

    template <class F>
    bool cvisit_units(const walk_plan& p, std::size_t first, std::size_t last, F& f) const {
        return walk<false>(p, first, last, [&](chain_type& c, auto keep) {
            return c.for_each_full([&](const position& q) {
                const element_type& e = q.element();
                if (!admits(keep, e)) return true;
                callback_scope g(this);
                return invoke_continue(f, static_cast<const value_type&>(Storage::value(e)));
            });
        });
    }

    template <class F>
    bool visit_units(const walk_plan& p, std::size_t first, std::size_t last, F& f) {
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
        return walk<true>(p, first, last, [&](chain_type& c, auto keep) {
            return c.for_each_full([&](const position& q) {
                if (!admits(keep, q.element())) return true;
                return static_cast<bool>(call_visitor(q.element(), go_on));
            });
        });
    }

    // Erases every element for which pred(value_type&) is true (with
    // lock-free reads pred works on a copy, stored back if the element
    // stays, so a predicate may update it). Destroy false: pred takes the
    // node, or not.
    template <bool Destroy = true, class P>
    size_type erase_if_units(const walk_plan& p, std::size_t first, std::size_t last, P& pred) {
        size_type erased = 0;
        walk<true>(p, first, last, [&](chain_type& c, auto keep) {
            c.template for_each_full<true>([&](const position& q) {
                if (!admits(keep, q.element())) return true;
                bool erase;
                if constexpr (Destroy) {
                    erase = call_visitor(q.element(), pred);
                } else {
                    callback_scope g(this);
                    erase = pred(q.element());
                }
                if (erase) {
                    resizer_.note_count(c.array(), c.stripe(), -1);
                    c.template erase<Destroy>(resizer_.allocator(), q);
                    ++erased;
                }
                return true;
            });
            return true;
        });
        return erased;
    }

    // ================================================================ data
    // First, so that the root array, which every operation loads, is at the
    // table's own address (a member further in cost lookups an instruction
    // to address it: bench_instructions).
    resizer_type resizer_;
    // Read by every operation (the gate, the hasher and equality) and
    // written only by blocking operations: on a line of their own.
    alignas(concurrency::cache_line) concurrency::freeze_gate gate_;
    Hash hash_;
    KeyEqual eq_;
    // Serialises blocking and two-table operations on this table.
    mutable std::mutex blocking_mutex_;
};

}  // namespace tophash::detail
