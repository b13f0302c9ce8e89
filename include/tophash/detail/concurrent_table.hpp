// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The engine under every container: the read, write and walk protocols over
// the arrays a resizer publishes. Containers (basic_container.hpp and the
// facades over it) are thin layers on this class; what an element is and
// where it lives comes from the Storage policy (flat_storage.hpp,
// node_storage.hpp), which is all the engine knows of elements.
//
// The parts, from the bottom:
//   bucket.hpp          one bucket: 16 tags, a link, 16 slots; its version
//   bucket_array.hpp    one array of head buckets with its stripes, from
//                       allocation to the last released page
//   chain.hpp           one chain under its stripe lock: find, insert,
//                       erase, clear, walks, the slot rules' check
//   resizer.hpp         the arrays of a table: counts, the growth trigger,
//                       preparing, publishing and evacuating arrays
//   concurrent_table    this file: every operation as a protocol over them
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
#include "tophash/detail/bucket_array.hpp"
#include "tophash/detail/chain.hpp"
#include "tophash/detail/exceptions.hpp"
#include "tophash/detail/growth_policy.hpp"
#include "tophash/detail/hash_mix.hpp"
#include "tophash/detail/resizer.hpp"
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
        std::uint64_t h = 0;
        return write_op<false>(key, h, [&](chain_type& c, bool&) {
            const position p = c.find(simd::tag_from_hash(h), key, eq_);
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
    // Whole-table walks that never stop growth: resizes may start, run and
    // finish while one is under way. The unit of work is a bucket of the
    // array that was oldest when the walk began (n0 buckets): its elements
    // are the ones whose hash is i modulo n0. In a larger array they are in
    // buckets i, i + n0, i + 2 n0, ...; in a smaller one (after a shrink) in
    // bucket i modulo its size, beside other units' elements, which the walk
    // tells apart by hash (walk_filter). A bucket is visited where its
    // elements are at that moment: under its stripe lock, if not evacuated,
    // there (nothing has reached its descendants yet: writers evacuate a
    // key's bucket before they write to the new array); else in its
    // descendants in the next array, recursively. Elements only move down
    // that tree, under the locks of both ends, and each node of the tree
    // takes the hashes that match the largest array on its path, so every
    // element present for the whole walk is visited exactly once. Units are
    // grouped by the stripes of the starting array, which are independent of
    // each other: a parallel walk hands them to threads.

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

    // For parallel walks: the walk split into independent units.
    struct walk_plan {
        std::size_t buckets = 0;  // of the oldest array when the walk began
        std::size_t stripes = 0;  // its stripes: the units
    };
    walk_plan plan_walk() const {
        concurrency::epoch_guard eg(this);
        enter(eg);
        const array_type* t = resizer_.root();
        if (t == nullptr) return {};
        const array_type* o = resizer_type::old_of(*t);
        const array_type& base = o != nullptr ? *o : *t;
        return {base.bucket_count(), base.stripe_count()};
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
        gate_.pass_holding(eg, this, grow_lock);
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
    // As Boost's: they wait for every operation in progress on the tables
    // involved, and operations that start meanwhile wait for them
    // (concurrency/freeze_gate.hpp). Lock order, the rule that keeps
    // two-table operations from deadlocking: blocking_mutex_ of both tables,
    // lower address first, for the whole operation; nothing else of another
    // table is ever waited for while one table's stripe is held, except by
    // the one two-table operation that holds both blocking mutexes. So
    // merge(a, b) and merge(b, a), a == b and merge, swap and either, never
    // wait on each other's stripes.

    // Elements swapped, the allocators if propagate_on_container_swap.
    void swap(concurrent_table& other) {
        if (this == &other) return;
        check_reentry("swap");
        with_pair_locked(other, [&] {
            const frozen_pair fp(this, &other);
            resizer_.swap_state(other.resizer_);
            swap_by_moves(hash_, other.hash_);
            swap_by_moves(eq_, other.eq_);
            if constexpr (std::allocator_traits<Allocator>::propagate_on_container_swap::value) {
                swap_by_moves(resizer_.allocator(), other.resizer_.allocator());
            } else {
                // Boost's precondition: the allocators compare equal.
#if TOPHASH_ASSERTS
                if (!(get_allocator() == other.get_allocator())) {
                    std::fprintf(stderr,
                                 "tophash: swap() of containers whose allocators compare unequal "
                                 "and do not propagate on swap\n");
                    std::abort();
                }
#endif
            }
        });
    }

    // *this takes other's elements: its arrays if the allocators allow, else
    // element by element; other is left empty. The allocator propagates if
    // may_propagate and the traits say so (not for the allocator-extended
    // move constructor).
    void move_assign(concurrent_table& other, bool may_propagate = true) {
        if (this == &other) return;
        check_reentry("operator=");
        constexpr bool traits_pocma =
            std::allocator_traits<Allocator>::propagate_on_container_move_assignment::value;
        const bool pocma = may_propagate && traits_pocma;
        with_pair_locked(other, [&] {
            // What *this held, destroyed once no other thread can reach it.
            concurrent_table dead(0, hash_, eq_, get_allocator());
            const frozen_pair fp(this, &other);
            resizer_.swap_state(dead.resizer_);
            replace_with(hash_, std::move(other.hash_));
            replace_with(eq_, std::move(other.eq_));
            if (pocma || get_allocator() == other.get_allocator()) {
                if constexpr (traits_pocma) {
                    if (pocma) replace_with(resizer_.allocator(), Allocator(other.get_allocator()));
                }
                resizer_.swap_state(other.resizer_);
                return;
            }
            // The elements move one by one into arrays of our allocator;
            // other keeps none (a throwing move leaves the rest there).
            concurrent_table src(0, hash_, eq_, other.get_allocator());
            src.resizer_.swap_state(other.resizer_);
            concurrent_table dst(0, hash_, eq_, get_allocator());
            dst.reserve(src.size());
            no_visit nv;
            auto move_in = [&](value_type& v) {
                dst.emplace_or_visit(Storage::kind::key_of(v), nv, nv, std::move(v));
                return true;
            };
            TOPHASH_TRY {
                src.erase_if(move_in);
            }
            TOPHASH_CATCH_ALL {
                src.resizer_.swap_state(other.resizer_);
                resizer_.swap_state(dst.resizer_);
                TOPHASH_RETHROW;
            }
            resizer_.swap_state(dst.resizer_);
        });
    }

    // *this becomes a copy of other (strong guarantee: a throwing copy
    // leaves *this as it was).
    void copy_assign(const concurrent_table& other) {
        if (this == &other) return;
        check_reentry("operator=");
        constexpr bool pocca =
            std::allocator_traits<Allocator>::propagate_on_container_copy_assignment::value;
        with_pair_locked(other, [&] {
            // Built aside first (other's writers wait meanwhile): a throwing
            // copy leaves *this untouched.
            concurrent_table tmp(0, other.hash_, other.eq_,
                                 pocca ? other.get_allocator() : get_allocator());
            no_visit nv;
            auto add = [&](const value_type& v) {
                tmp.emplace_or_visit(Storage::kind::key_of(v), nv, nv, v);
            };
            other.cvisit_all_consistent(add);
            {
                const frozen_pair fp(this, nullptr);
                resizer_.swap_state(tmp.resizer_);
                replace_with(hash_, Hash(other.hash_));
                replace_with(eq_, KeyEqual(other.eq_));
                // tmp now holds our old arrays: it frees them with our old
                // allocator, we keep the copy of other's.
                if constexpr (pocca) swap_by_moves(resizer_.allocator(), tmp.resizer_.allocator());
            }
            // tmp, holding what *this held, is destroyed after the thaw.
        });
    }

    // Frees the arrays of an empty table (rehash(0)); false if not empty.
    bool release_if_empty() {
        check_reentry("rehash");
        return with_pair_locked(*this, [&] {
            const frozen_pair fp(this, nullptr);
            if (resizer_.size() != 0) return false;
            resizer_.release_all();
            return true;
        });
    }

    // Runs f() holding both tables' blocking mutexes, in address order:
    // two-table operations (merge, ==) never run at once on one table, so
    // none can wait for a lock the other holds.
    template <class Other, class F>
    decltype(auto) with_pair_locked(const Other& other, F&& f) const {
        std::mutex& mine = blocking_mutex_;
        std::mutex& theirs = other.blocking_mutex_;
        if (&mine == &theirs) {
            std::lock_guard<std::mutex> g(mine);
            return f();
        }
        const bool mine_first = std::less<const void*>()(&mine, &theirs);
        std::lock_guard<std::mutex> g1(mine_first ? mine : theirs);
        std::lock_guard<std::mutex> g2(mine_first ? theirs : mine);
        return f();
    }
    template <class, class, class, class>
    friend class concurrent_table;

    // ================================================================ introspection
    map_stats stats() const {
        check_reentry("stats");
        std::unique_lock<std::mutex> grow_lock(resizer_.grow_mutex());  // arrays stay put
        concurrency::epoch_guard eg(this);
        gate_.pass_holding(eg, this, grow_lock);
        map_stats st;
        st.slots_per_bucket = width;
        const array_type* t = resizer_.root();
        if (t == nullptr) return st;
        st.bucket_count = t->bucket_count();
        st.stripe_count = t->stripe_count();
        st.bytes = t->bytes() + t->block_overheads();
        st.chain_length_histogram.assign(2, 0);
        if (const array_type* o = resizer_type::old_of(*t)) {
            st.resizing = true;
            st.same_size_resize = t->kind == resize_kind::compact;
            st.old_bucket_count = o->bucket_count();
            for (std::size_t i = 0; i < o->stripe_count(); ++i)
                st.evacuated_buckets += o->stripes[i].evacuated.load(std::memory_order_relaxed);
            st.bytes += o->bytes() + o->block_overheads();
            add_array_stats(*o, true, st);
        }
        add_array_stats(*t, false, st);
        st.prepared_bytes = resizer_.prepared_bytes();
        st.bytes += st.prepared_bytes;
        st.size = resizer_.size();
        st.load_factor =
            static_cast<double>(st.size) / static_cast<double>(st.bucket_count * width);
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
    TOPHASH_ALWAYS_INLINE void enter(concurrency::epoch_guard& eg) const noexcept {
        if (gate_.closed()) wait_thawed(eg);
    }
    [[gnu::noinline, gnu::cold]] void wait_thawed(concurrency::epoch_guard& eg) const noexcept {
        gate_.wait_open(eg, this);
    }

    // Marks a user callback running on this table, for check_reentry.
    // Nothing without TOPHASH_ASSERTS: its thread-local stores kept GCC from
    // holding a for_each callback's accumulator in a register (iterating a
    // 10k map 10% slower).
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
            // the lock. Not for node maps: their hits ran 2.6-4x slower with
            // it (docs/design.md), while string keys' hits were unchanged.
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
    // Sets h to the key's hash and runs op(chain, grow flag) under the
    // exclusive lock of the stripe that owns the key's chain, inside the
    // chain's write section.
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
    template <bool Inserts = true, class K, class Op>
    auto write_op(const K& key, std::uint64_t& h, Op&& op) {
        bool grow = false;
        array_type* written = nullptr;
        using result_t = decltype(op(std::declval<chain_type&>(), grow));
        std::optional<result_t> result;
        {
            concurrency::epoch_guard eg(this);
            enter(eg);
            h = hash_of(key);  // after enter(): see cvisit
            array_type* helped = nullptr;
            for (;;) {
                array_type* t = resizer_.root();
                if (t == nullptr) {
                    if constexpr (!Inserts) return result_t{};
                    resizer_.create_first(1);
                    continue;
                }
                located at{t, t->index_of(h)};
                if (array_type* o = resizer_type::old_of(*t)) {
                    if constexpr (Inserts) {
                        resizer_.evacuate_bucket(*t, *o, o->index_of(h), hasher());
                        resizer_.help_cursor(*t, *o, hasher());
                    } else {
                        helped = t;
                        at = resizer_type::locate_in(t, h);
                    }
                }
                chain_type c(*at.array, at.index);
                concurrency::exclusive_guard lock(c.stripe().lock);
                // Evacuated since we looked: a newer array holds the chain.
                if (c.head().evacuated()) continue;
                typename chain_type::write_section ws(c.head());
                result.emplace(op(c, grow));
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

    // Look `key` up, visit it if present, else construct(element_type*) a
    // new element in the chain and visit that.
    template <class K, class OnFound, class OnNew, class Construct>
    bool insert_or_visit(const K& key, OnFound& on_found, OnNew& on_new, Construct&& construct) {
        std::uint64_t h = 0;
        return write_op(key, h, [&](chain_type& c, bool& grow) {
            const simd::tag_t tag = simd::tag_from_hash(h);
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
        std::uint64_t h = 0;
        return write_op<false>(key, h, [&](chain_type& c, bool&) -> result {
            const position p = c.find(simd::tag_from_hash(h), key, eq_);
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
    static constexpr std::size_t stripes_per_epoch = 16;
    template <bool Exclusive>
    using stripe_guard =
        std::conditional_t<Exclusive, concurrency::exclusive_guard, concurrency::shared_guard>;
    // The elements of a chain a walk takes: those whose hash is `bucket`
    // modulo `buckets` (the largest array on the walk's way to the chain).
    // Only chains of a smaller array hold others: a shrink merged them.
    struct walk_filter {
        std::size_t buckets;
        std::size_t bucket;
    };
    bool admits(const walk_filter* keep, const element_type& e) const {
        return keep == nullptr || (hash_of(Storage::key(e)) & (keep->buckets - 1)) == keep->bucket;
    }
    static constexpr bool admits(std::nullptr_t, const element_type&) noexcept {
        return true;
    }

    // Calls fn(chain, keep) for every live chain of the units of stripes
    // [first, last), with its stripe locked (exclusive, inside the chain's
    // write section, if Exclusive, else shared), until fn returns false;
    // returns false if it did. Stripes are taken one at a time, 16 to an
    // epoch guard (a long walk holds back reclamation only briefly); while
    // the starting array is still the oldest, one lock acquisition covers
    // all of the stripe's buckets (measured: per-bucket shared locking made
    // iterating a 90%-erased 10k map 3x slower than absl).
    template <bool Exclusive, class Fn>
    bool walk(const walk_plan& p, std::size_t first, std::size_t last, Fn&& fn) {
        const std::size_t n0 = p.buckets, ns0 = p.stripes;
        for (std::size_t lo = first; lo < last; lo += stripes_per_epoch) {
            concurrency::epoch_guard eg(this);
            enter(eg);
            const std::size_t hi = std::min(last, lo + stripes_per_epoch);
            for (std::size_t si = lo; si < hi; ++si) {
                array_type* t = resizer_.root();
                if (t == nullptr) return true;  // only a move empties a table; not concurrent
                array_type* o = resizer_type::old_of(*t);
                array_type& base = o != nullptr ? *o : *t;
                const std::size_t nb = base.bucket_count();
                if (nb == n0) {
                    stripe_guard<Exclusive> lock(base.stripes[si].lock);
                    // No successor array yet: no bucket of the stripe can
                    // have been evacuated (next is set before the first
                    // evacuation, and each evacuator released this lock,
                    // which we now hold), so the per-bucket check is skipped.
                    if (base.next.load(std::memory_order_acquire) == nullptr) {
                        for (std::size_t bi = si; bi < nb; bi += ns0) {
                            chain_type c(base, bi);
                            if (!visit_live_chain<Exclusive>(c, fn, nullptr)) return false;
                        }
                    } else {
                        for (std::size_t bi = si; bi < nb; bi += ns0)
                            if (!visit_chain_locked<Exclusive>(base, bi, fn, {nb, bi}))
                                return false;
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

    template <bool Exclusive, class Fn>
    bool visit_chain(array_type& a, std::size_t bi, Fn& fn, walk_filter keep) {
        stripe_guard<Exclusive> lock(a.stripe_of(bi).lock);
        return visit_chain_locked<Exclusive>(a, bi, fn, keep);
    }

    // With a's stripe of bi locked: nothing evacuates bucket bi meanwhile.
    // Locks are taken old array first, as evacuation takes them, so holding
    // it while visiting the next array's buckets cannot deadlock.
    template <bool Exclusive, class Fn>
    TOPHASH_ALWAYS_INLINE bool visit_chain_locked(array_type& a, std::size_t bi, Fn& fn,
                                                  walk_filter keep) {
        chain_type c(a, bi);
        if (__builtin_expect(c.head().evacuated(), 0))
            return visit_descendants<Exclusive>(a, bi, fn, keep);
        const walk_filter* k = a.bucket_count() < keep.buckets ? &keep : nullptr;
        return visit_live_chain<Exclusive>(c, fn, k);
    }

    // fn(chain, keep): keep is null when every element of the chain is the
    // walk's; a literal nullptr (the common case: no resize ever overlapped
    // the walk) instantiates walks without the check (measured: the check
    // cost 11% of iterating a 90%-erased 10k map).
    template <bool Exclusive, class Fn, class Keep>
    TOPHASH_ALWAYS_INLINE bool visit_live_chain(chain_type& c, Fn& fn, Keep keep) {
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
    // above inline into the stripe loop (iterating a 10k map was 15-20%
    // slower with the recursion in it).
    template <bool Exclusive, class Fn>
    [[gnu::noinline]] bool visit_descendants(array_type& a, std::size_t bi, Fn& fn,
                                             walk_filter keep) {
        array_type& next = *a.next.load(std::memory_order_acquire);
        const std::size_t n = a.bucket_count(), m = next.bucket_count();
        switch (next.kind) {
            case resize_kind::shrink:
                return visit_chain<Exclusive>(next, bi & (m - 1), fn, keep);
            case resize_kind::compact:
                return visit_chain<Exclusive>(next, bi, fn, keep);
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
            if (!visit_chain<Exclusive>(next, c, fn, m > keep.buckets ? walk_filter{m, c} : keep))
                return false;
        }
        return true;
    }

    template <class F>
    bool cvisit_units(const walk_plan& p, std::size_t first, std::size_t last, F& f) const {
        return const_cast<concurrent_table*>(this)->template walk<false>(
            p, first, last, [&](chain_type& c, auto keep) {
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
            c.for_each_full([&](const position& q) {
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

    // ================================================================ blocking, the means
    template <class T>
    static void replace_with(T& dst, T&& src) {
        if constexpr (std::is_move_assignable_v<T>) {
            dst = std::move(src);
        } else {
            // A hasher or equality with only a move constructor (Boost
            // move-constructs them), or std::pmr::polymorphic_allocator.
            dst.~T();
            ::new (static_cast<void*>(std::addressof(dst))) T(std::move(src));
        }
    }
    // std::swap needs move assignment, which replace_with does without.
    template <class T>
    static void swap_by_moves(T& a, T& b) {
        T t(std::move(a));
        replace_with(a, std::move(b));
        replace_with(b, std::move(t));
    }

    // Both tables (or one) frozen and quiet for the scope's life, their grow
    // mutexes held (lower address first).
    struct frozen_pair {
        concurrent_table* a;
        concurrent_table* b;  // may be null
        frozen_pair(concurrent_table* x, concurrent_table* y) noexcept
            : a(x), b(y == x ? nullptr : y) {
            if (b != nullptr && std::less<const void*>()(b, a)) std::swap(a, b);
            a->gate_.close();
            if (b != nullptr) b->gate_.close();
            concurrency::epoch_detail::quiesce(a, b);
            a->resizer_.grow_mutex().lock();
            if (b != nullptr) b->resizer_.grow_mutex().lock();
        }
        ~frozen_pair() {
            if (b != nullptr) b->resizer_.grow_mutex().unlock();
            a->resizer_.grow_mutex().unlock();
            if (b != nullptr) b->gate_.open();
            a->gate_.open();
        }
        frozen_pair(const frozen_pair&) = delete;
        frozen_pair& operator=(const frozen_pair&) = delete;
    };

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
