// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The engine under every container: a hash table of tophash buckets with
// striped locks, optimistic readers and incremental resizing. Containers
// (basic_map.hpp, basic_set.hpp) are thin facades over it; what an element
// is and where it lives comes from the Storage policy (flat_storage.hpp,
// node_storage.hpp over element_kinds.hpp), which is all the engine knows of
// elements.
//
// This file declares the engine; each concept is defined in a file of its
// own, included at the bottom, to be read top-down:
//   table_lifecycle.hpp  arrays: allocation, destruction, freeing in steps
//   chain.hpp            one chain under its stripe lock: find, insert,
//                        erase (Go's emptyOne/emptyRest rules)
//   growth.hpp           per-stripe counts, size(), the growth trigger,
//                        publishing a new array, reserve
//   evacuation.hpp       moving old buckets into the new array (X/Y halves
//                        or same-size compaction), helping the cursor
//   read_path.hpp        lookups: optimistic (lock-free) and under the
//                        stripe's shared lock; bulk lookups
//   write_path.hpp       the write protocol: find the chain, lock it,
//                        re-check, help the resize; the write operations
//   traversal.hpp        whole-table walks that never stop growth
//   introspection.hpp    stats() and the bucket inspector
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/reentrancy_guard.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/debug.hpp"
#include "tophash/detail/bucket.hpp"
#include "tophash/detail/hash_mix.hpp"
#include "tophash/detail/table.hpp"
#include "tophash/map_stats.hpp"
#include "tophash/simd/group.hpp"
#include "tophash/simd/tag.hpp"

#if !defined(TOPHASH_ASSERTS) && !defined(NDEBUG)
#define TOPHASH_ASSERTS 1
#endif

namespace tophash::detail {

template <class H, class E, class = void>
struct is_transparent_pair : std::false_type {};
template <class H, class E>
struct is_transparent_pair<H, E,
                           std::void_t<typename H::is_transparent, typename E::is_transparent>>
    : std::true_type {};

// Visitors the engine passes around: none (an insert that visits nothing),
// and a visitor of const elements (f sees the element in place, also where
// reads are lock-free, since it cannot change it).
struct no_visit {};
// The predicate of erase(key): no copy of the element to decide.
struct always_true {
    template <class V>
    bool operator()(const V&) const noexcept {
        return true;
    }
};
template <class F>
struct const_visitor {
    F& f;
};
template <class F>
struct is_const_visitor : std::false_type {};
template <class F>
struct is_const_visitor<const_visitor<F>> : std::true_type {};
template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

template <class Storage, class Hash, class KeyEqual, class Allocator>
class concurrent_table {
  public:
    using storage = Storage;
    using key_type = typename Storage::key_type;
    using value_type = typename Storage::value_type;
    using element_type = typename Storage::element_type;
    using staged_type = typename Storage::template staged_type_for<Allocator>;
    using size_type = std::size_t;
    static constexpr bool lock_free_reads = Storage::lock_free_reads;
    static constexpr bool transparent = is_transparent_pair<Hash, KeyEqual>::value;

    // -------------------------------------------- table_lifecycle.hpp
    // User-provided, not defaulted: a hasher, equality or allocator without
    // a default constructor fails only if it is called (Boost's tests build
    // containers of such allocators and never default-construct them).
    concurrent_table() : hash_(), eq_(), alloc_() {}
    concurrent_table(size_type capacity, const Hash& hash, const KeyEqual& eq,
                     const Allocator& alloc);
    concurrent_table(const concurrent_table&) = delete;
    concurrent_table& operator=(const concurrent_table&) = delete;
    // A private move: no other thread may use `other` (the blocking forms
    // below are for tables other threads use).
    concurrent_table(concurrent_table&& other) noexcept;
    concurrent_table& operator=(concurrent_table&&) = delete;
    ~concurrent_table() { release_all(); }

    // -------------------------------------------- blocking.hpp
    // Blocking operations, as Boost's: they wait for every operation in
    // progress on the tables involved, and operations that start meanwhile
    // wait for them; no two of them deadlock, in any order or direction.
    // Elements swapped, the allocators if propagate_on_container_swap.
    void swap(concurrent_table& other);
    // *this takes other's elements: its arrays if the allocators allow,
    // else element by element; other is left empty.
    // The allocator propagates if may_propagate and the traits say so (not
    // for the allocator-extended move constructor).
    void move_assign(concurrent_table& other, bool may_propagate = true);
    // *this becomes a copy of other (strong guarantee: a throwing copy
    // leaves *this as it was).
    void copy_assign(const concurrent_table& other);
    // Frees the arrays of an empty table (rehash(0)); false if not empty.
    bool release_if_empty();
    // Runs f() holding both tables' blocking mutexes, in address order:
    // two-table operations (merge, ==) never run at once on one table, so
    // none can wait for a lock the other holds (docs/design.md).
    template <class Other, class F>
    decltype(auto) with_pair_locked(const Other& other, F&& f) const;
    template <class, class, class, class>
    friend class concurrent_table;
    // Frees the prepared next array of a growth that is not under way.
    void drop_prepared_now() noexcept;

    const Hash& hash_function() const noexcept { return hash_; }
    const KeyEqual& key_eq() const noexcept { return eq_; }
    const Allocator& get_allocator() const noexcept { return alloc_; }

    // -------------------------------------------- read_path.hpp
    // found(const value_type&) on the element of `key`: a validated copy
    // when reads are lock-free, else the element under its stripe's shared lock.
    template <class K, class F>
    bool read(const K& key, F& found) const;
    // Never copies the element.
    template <class K>
    bool contains(const K& key) const;
    // read() for every key of [first, last), a batch at a time: hashes and
    // prefetches a batch before probing it, under one reader announcement.
    template <class It, class F>
    size_type read_bulk(It first, It last, F& found) const;
    // 64 keys: the first pass then takes long enough (hash, locate,
    // prefetch) that the first key's control line has arrived when the
    // second pass reaches it. Per key at 2^20 / 2^23 elements, bench_map
    // find_bulk: 16 keys 21.4 / 32.1 ns, 32 keys 15.7 / 21.2, 64 keys 9.8 /
    // 14.6 (absl's loop over the same keys: 21 / 38). 2 KiB of stack.
    static constexpr std::size_t bulk_batch = 64;

    // -------------------------------------------- write_path.hpp
    // Inserts Storage::construct(args...) if `key` is absent and calls
    // on_new(value_type&); else calls on_found(value_type&). Both run under
    // the stripe's exclusive lock (on a copy stored back, with lock-free
    // reads). True if inserted.
    template <class K, class OnFound, class OnNew, class... Args>
    bool emplace_unique(const K& key, OnFound&& on_found, OnNew&& on_new, Args&&... args);
    // The same for an element built beforehand (emplace(args...)).
    template <class OnFound, class OnNew>
    bool emplace_staged(staged_type&& staged, OnFound&& on_found, OnNew&& on_new);
    template <class... Args>
    staged_type stage(Args&&... args) const {
        return Storage::stage(alloc_, std::forward<Args>(args)...);
    }
    // f(value_type&) under the exclusive lock; 1 if found.
    template <class K, class F>
    size_type visit(const K& key, F& f);
    // Erases `key` if present and pred(value_type&) is true; 1 if erased.
    template <class K, class P>
    size_type erase_if(const K& key, P& pred);
    // Node storage: unlinks and returns the element of `key` (null if
    // absent, or if pred(value_type&) is false), without destroying it.
    template <class K, class P>
    element_type extract_if(const K& key, P& pred);

    // -------------------------------------------- traversal.hpp
    // Calls f(const value_type&) for every element while f returns true
    // (f returning void never stops). Weakly consistent (see traverse).
    // False if f stopped it.
    template <class F>
    bool for_each(F& f) const;
    // f(value_type&) under exclusive locks (a copy stored back, with
    // lock-free reads); stops when f returns false.
    template <class F>
    bool visit_each(F& f);
    template <class P>
    size_type erase_if(P& pred);
    // Node storage: every element for which take(element_type) is true
    // leaves the table alive (take owns it now). Weakly consistent.
    template <class P>
    size_type transfer_if(P& take);
    void clear();
    // f(const value_type&) on every element of one moment, writers blocked.
    template <class F>
    void for_each_consistent(F& f) const;
    // For parallel traversals: the walk split into independent units.
    struct traversal_plan {
        std::size_t buckets = 0;  // of the oldest array when the walk began
        std::size_t stripes = 0;  // its stripes: the units
    };
    traversal_plan plan_traversal() const;
    template <class F>
    bool for_each_in(const traversal_plan& p, std::size_t stripe, F& f) const;
    template <class F>
    bool visit_each_in(const traversal_plan& p, std::size_t stripe, F& f);
    template <class P>
    size_type erase_if_in(const traversal_plan& p, std::size_t stripe, P& pred);

    // -------------------------------------------- growth.hpp
    size_type size() const noexcept;
    size_type max_size() const noexcept { return max_capacity<element_type>(); }
    void reserve(size_type n);
    void shrink(size_type n);
    size_type bucket_count() const noexcept;
    size_type slot_count() const noexcept { return bucket_count() * bucket_type::width; }
    size_type max_load() const noexcept;

    // -------------------------------------------- introspection.hpp
    map_stats stats() const;
    debug::bucket_view inspect_bucket(std::size_t bucket_index) const;
    template <class K>
    std::size_t bucket_of(const K& key) const;

    void check_reentry([[maybe_unused]] const char* what) const noexcept {
#if TOPHASH_ASSERTS
        if (concurrency::reentrancy_guard::inside(this)) concurrency::reentrancy_guard::fail(what);
#endif
    }

  private:
    using table_type = table<element_type>;
    using bucket_type = typename table_type::bucket_type;
    using node_type = typename table_type::node_type;
    using stripe_type = typename table_type::stripe_type;
    using memory = table_memory<Allocator>;
    static constexpr unsigned width = bucket_type::width;

    template <class K>
    std::uint64_t hash_of(const K& key) const {
        const auto h = static_cast<std::uint64_t>(hash_(key));
        if constexpr (hash_is_avalanching<Hash>::value) {
            return h;
        } else {
            return mix_hash(h);
        }
    }
    static const key_type& key_at(const bucket_type& b, unsigned i) noexcept {
        return Storage::key(*b->slot_at(i));
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

    // blocking.hpp: the gate every operation passes (enter), and what
    // blocking operations close it with.
    TOPHASH_ALWAYS_INLINE void enter(concurrency::epoch_guard& eg) const noexcept {
        if (__builtin_expect(frozen_.load(std::memory_order_acquire), 0)) wait_thawed(eg);
    }
    [[gnu::noinline, gnu::cold]] void wait_thawed(concurrency::epoch_guard& eg) const noexcept;
    // enter() for a caller holding grow_mutex_, which it gives up while it waits.
    void enter_holding(concurrency::epoch_guard& eg, std::unique_lock<std::mutex>& grow) const;
    struct frozen_pair;
    void swap_state(concurrent_table& other) noexcept;
    template <class T>
    static void replace_with(T& dst, T&& src);
    template <class T>
    static void swap_by_moves(T& a, T& b);
    void spin_while_frozen() const noexcept;

    // What a table's allocations take beyond their contents: the alignment
    // and pointer each block from a user's allocator carries (table.hpp).
    static std::size_t block_overheads(const table_type& t) noexcept {
        return memory::template overhead<table_type>() + memory::template overhead<stripe_type>() +
               memory::template overhead<bucket_ctrl>() +
               memory::template overhead<element_type>() +
               t.overflow_count.load(std::memory_order_relaxed) *
                   memory::template overhead<node_type>();
    }

    // table_lifecycle.hpp
    table_type* make_table(std::size_t nbuckets);
    void destroy_table(table_type* t) noexcept;
    void destroy_buckets(table_type& t, std::size_t from, std::size_t to) noexcept;
    void free_table(table_type* t) noexcept;
    static bool destroy_retired(void* object, void* context) noexcept;
    void destroy_chain_elements(bucket_type head) noexcept;
    void release_all() noexcept;
    void steal(concurrent_table& other) noexcept;
    void create_first_table(std::size_t nbuckets);

    // chain.hpp
    class chain_write;
    bucket_type acquire_overflow(table_type& t, stripe_type& s);
    static void release_overflow(stripe_type& s, bucket_type b) noexcept;
    template <class K>
    std::pair<bucket_type, unsigned> find_in_chain(table_type& t, std::size_t bi, std::uint64_t h,
                                                   const K& key) const;
    template <class Construct>
    element_type& emplace_new(table_type& t, stripe_type& s, std::size_t bi, std::uint64_t h,
                              bool& grow, Construct&& construct);
    template <class F>
    auto call_visitor(element_type& e, F& f);
    // Destroy false: the element leaves the chain alive (a node extracted).
    template <bool Destroy = true>
    bool erase_at(table_type& t, stripe_type& s, bucket_type head, bucket_type b, unsigned i);
    std::int64_t clear_chain(stripe_type& s, bucket_type head, bool destroy);

    // growth.hpp
    bool note_count(table_type& t, stripe_type& s, std::int64_t delta) noexcept;
    void flush_pending(stripe_type& s) noexcept;
    static std::int64_t stripe_sum(const table_type& t) noexcept;
    static size_type count_elements(const table_type* root) noexcept;
    bool overflow_pressure(const table_type& t) const noexcept;
    void grow_after_write(table_type* t) noexcept;
    void grow_for_reserve(table_type* t);
    void publish_new_table(table_type* t, std::size_t nbuckets);
    void prepare_next(table_type* t) noexcept;
    void drop_prepared() noexcept;

    // evacuation.hpp
    void evacuate_bucket(table_type& t, table_type& o, std::size_t i);
    class chain_hashes;
    void move_chain(table_type& t, table_type& o, bucket_type head, std::size_t xi, std::size_t yi,
                    stripe_type& xs, stripe_type& ys);
    void merge_chain(table_type& t, bucket_type head, std::size_t di, stripe_type& ds);
    void mark_evacuated(bucket_type head, const chain_hashes& hashes, std::uint64_t ybit) noexcept;
    void help_cursor(table_type& t, table_type& o);
    void evacuate_all(table_type& t, table_type& o);
    void help_quietly(table_type& t) noexcept;

    // read_path.hpp
    struct located {
        table_type* table;
        std::size_t index;
    };
    located locate(std::uint64_t h) const noexcept;
    static located locate_in(table_type* t, std::uint64_t h) noexcept;
    template <class K>
    bool read_lock_free(std::uint64_t h, const K& key, std::optional<value_type>* out,
                        bucket_type head = bucket_type()) const;
    template <class K>
    int scan_lock_free(bucket_type head, simd::tag_t tag, const K& key, std::uint64_t v,
                       std::optional<value_type>* out) const;
    int probe_tags(bucket_type head, simd::tag_t tag, std::uint64_t v) const noexcept;
    template <class K, class Found>
    bool read_locked(std::uint64_t h, const K& key, Found& found) const;

    // write_path.hpp
    template <bool Inserts = true, class K, class Op>
    auto write_op(const K& key, std::uint64_t& h, Op&& op);
    template <bool Destroy, class K, class P>
    auto remove_one(const K& key, P& pred);
    template <class K, class OnFound, class OnNew, class Construct>
    bool insert_unique(const K& key, OnFound& on_found, OnNew& on_new, Construct&& construct);

    // traversal.hpp
    template <bool Exclusive, class Fn>
    bool traverse(const traversal_plan& p, std::size_t first, std::size_t last, Fn&& fn);
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
    template <bool Exclusive, class Fn>
    bool visit_chain(table_type& tab, std::size_t bi, Fn& fn, walk_filter keep);
    template <bool Exclusive, class Fn>
    bool visit_chain_locked(table_type& tab, stripe_type& s, std::size_t bi, Fn& fn,
                            walk_filter keep);
    template <bool Exclusive, class Fn, class Keep>
    bool visit_live_chain(table_type& tab, stripe_type& s, bucket_type head, Fn& fn, Keep keep);
    template <bool Exclusive, class Fn>
    bool visit_descendants(table_type& tab, std::size_t bi, Fn& fn, walk_filter keep);
    template <class F>
    bool for_each_units(const traversal_plan& p, std::size_t first, std::size_t last, F& f) const;
    template <class F>
    bool visit_each_units(const traversal_plan& p, std::size_t first, std::size_t last, F& f);
    template <bool Destroy = true, class P>
    size_type erase_if_units(const traversal_plan& p, std::size_t first, std::size_t last, P& pred);

    // -------------------------------------------- data
    // Read by every operation; root_ is written only when a growth starts or
    // ends. On a line of their own (the container is cache-line aligned):
    // next to approx_size_, which every flush of a stripe's count writes,
    // each lookup of the other threads missed on root_.
    alignas(concurrency::cache_line) std::atomic<table_type*> root_{nullptr};
    // Set while a blocking operation (swap, assignment) replaces the state:
    // operations wait at enter(). On root_'s line, which all of them read.
    std::atomic<bool> frozen_{false};
    Hash hash_;
    KeyEqual eq_;
    Allocator alloc_;
    // Written by writers.
    alignas(concurrency::cache_line) std::atomic<std::int64_t> approx_size_{0};
    mutable std::mutex grow_mutex_;
    // The next array of a growth, allocated and faulted in ahead of it
    // (growth.hpp); prepared_done_ counts its bytes populated so far. Both
    // under grow_mutex_.
    table_type* prepared_ = nullptr;
    std::size_t prepared_done_ = 0;
    std::int64_t populate_resume_ns_ = 0;  // no populate step before this time (growth.hpp)
    concurrency::retire_list retired_;
    // Serialises blocking and two-table operations on this table.
    mutable std::mutex blocking_mutex_;
};

// Calls f(args...) and returns whether to go on: f's bool result, or true
// for a visitor that returns nothing.
template <class F, class... Args>
TOPHASH_ALWAYS_INLINE bool invoke_continue(F& f, Args&&... args) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, Args&&...>>) {
        f(std::forward<Args>(args)...);
        return true;
    } else {
        return static_cast<bool>(f(std::forward<Args>(args)...));
    }
}

}  // namespace tophash::detail

#include "tophash/detail/blocking.hpp"
#include "tophash/detail/chain.hpp"
#include "tophash/detail/evacuation.hpp"
#include "tophash/detail/growth.hpp"
#include "tophash/detail/introspection.hpp"
#include "tophash/detail/read_path.hpp"
#include "tophash/detail/table_lifecycle.hpp"
#include "tophash/detail/traversal.hpp"
#include "tophash/detail/write_path.hpp"
