// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::concurrent_map: a concurrent hash map of tophash buckets with
// striped locks, optimistic readers and incremental resizing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "tophash/concurrency/atomic_copy.hpp"
#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/reentrancy_guard.hpp"
#include "tophash/concurrency/stripe_lock.hpp"
#include "tophash/debug.hpp"
#include "tophash/detail/bucket.hpp"
#include "tophash/detail/hash_mix.hpp"
#include "tophash/detail/table.hpp"
#include "tophash/lock_free_read.hpp"
#include "tophash/map_stats.hpp"
#include "tophash/simd/group.hpp"
#include "tophash/simd/tag.hpp"

#if !defined(TOPHASH_ASSERTS) && !defined(NDEBUG)
#define TOPHASH_ASSERTS 1
#endif

namespace tophash {

template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class concurrent_map {
  public:
    using key_type = Key;
    using mapped_type = T;
    using value_type = std::pair<const Key, T>;
    using size_type = std::size_t;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using allocator_type = Allocator;

    // find/contains/cvisit read without locking or writing shared memory when
    // both key and value are lock-free readable (lock_free_read.hpp: trivially
    // copyable, not reference-like, at most 64 bytes, or as the user
    // specialised it); other types read under the stripe's shared lock.
    static constexpr bool optimistic_reads =
        is_lock_free_readable<Key>::value && is_lock_free_readable<T>::value;
    static_assert(!optimistic_reads ||
                      (std::is_trivially_copyable_v<Key> && std::is_trivially_copyable_v<T>),
                  "is_lock_free_readable may only be true for trivially copyable types");

  private:
    using slot_type = detail::slot<Key, T>;
    using table_type = detail::table<slot_type>;
    using bucket_type = typename table_type::bucket_type;
    using node_type = typename table_type::node_type;
    using stripe_type = typename table_type::stripe_type;
    using memory = detail::table_memory<Allocator>;
    using table_alloc =
        typename std::allocator_traits<Allocator>::template rebind_alloc<table_type>;
    using stripe_alloc =
        typename std::allocator_traits<Allocator>::template rebind_alloc<stripe_type>;
    static constexpr unsigned width = bucket_type::width;

    template <class H, class E, class = void>
    struct is_transparent_pair : std::false_type {};
    template <class H, class E>
    struct is_transparent_pair<H, E,
                               std::void_t<typename H::is_transparent, typename E::is_transparent>>
        : std::true_type {};
    static constexpr bool transparent = is_transparent_pair<Hash, KeyEqual>::value;
    template <class K>
    using enable_if_transparent_t =
        std::enable_if_t<transparent && !std::is_convertible_v<const K&, const Key&>, int>;

  public:
    // ---------------------------------------------------------------- setup
    concurrent_map() = default;
    explicit concurrent_map(size_type capacity, const Hash& hash = Hash(),
                            const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
        : hash_(hash), eq_(eq), alloc_(alloc) {
        if (capacity != 0)
            root_.store(make_table(detail::buckets_for_capacity<slot_type>(capacity)));
    }
    concurrent_map(const concurrent_map&) = delete;
    concurrent_map& operator=(const concurrent_map&) = delete;
    // Moves are not thread-safe: no other thread may use either map.
    concurrent_map(concurrent_map&& other) noexcept
        : hash_(std::move(other.hash_)), eq_(std::move(other.eq_)), alloc_(other.alloc_) {
        steal(other);
    }
    concurrent_map& operator=(concurrent_map&& other) noexcept {
        if (this != &other) {
            release_all();
            hash_ = std::move(other.hash_);
            eq_ = std::move(other.eq_);
            alloc_ = other.alloc_;
            steal(other);
        }
        return *this;
    }
    ~concurrent_map() { release_all(); }

    hasher hash_function() const { return hash_; }
    key_equal key_eq() const { return eq_; }
    allocator_type get_allocator() const { return alloc_; }

    // ---------------------------------------------------------------- lookup
    std::optional<T> find(const Key& key) const { return find_impl(key); }
    template <class K, enable_if_transparent_t<K> = 0>
    std::optional<T> find(const K& key) const {
        return find_impl(key);
    }

    // Never copies the value.
    bool contains(const Key& key) const { return contains_impl(key); }
    template <class K, enable_if_transparent_t<K> = 0>
    bool contains(const K& key) const {
        return contains_impl(key);
    }

    // Calls f(const T&) with the value of `key`, if present. With optimistic
    // reads f sees a validated copy and runs after the read; otherwise it runs
    // under the stripe's shared lock.
    template <class F>
    bool cvisit(const Key& key, F&& f) const {
        return cvisit_impl("cvisit", key, f);
    }
    template <class K, class F, enable_if_transparent_t<K> = 0>
    bool cvisit(const K& key, F&& f) const {
        return cvisit_impl("cvisit", key, f);
    }
    template <class F>
    bool visit(const Key& key, F&& f) const {
        return cvisit_impl("visit", key, f);
    }

    // Calls f(T&) on the value of `key` under its stripe's exclusive lock.
    // With optimistic reads f works on a copy that is stored back when f
    // returns (so concurrent readers never see a half-written value); if f
    // throws, the value is left unchanged.
    template <class F>
    bool visit(const Key& key, F&& f) {
        return visit_impl(key, f);
    }
    template <class K, class F, enable_if_transparent_t<K> = 0>
    bool visit(const K& key, F&& f) {
        return visit_impl(key, f);
    }

    // ---------------------------------------------------------------- insertion
    bool insert(const Key& key, const T& value) { return try_emplace_impl("insert", key, value); }
    bool insert(const value_type& kv) { return try_emplace_impl("insert", kv.first, kv.second); }

    template <class... Args>
    bool try_emplace(const Key& key, Args&&... args) {
        return try_emplace_impl("try_emplace", key, std::forward<Args>(args)...);
    }

    // True if inserted, false if an existing value was assigned.
    template <class M>
    bool insert_or_assign(const Key& key, M&& value) {
        const std::uint64_t h = hash_of(key);
        return write_op(h, "insert_or_assign",
                        [&](table_type& t, stripe_type& s, std::size_t bi, bool& grow) {
                            auto [b, i] = find_in_chain(t, bi, h, key);
                            if (b != nullptr) {
                                assign_value(b->slot_at(i)->second, std::forward<M>(value));
                                return false;
                            }
                            emplace_new(t, s, bi, h, grow, key, std::forward<M>(value));
                            return true;
                        });
    }

    // Inserts T(args...) and returns true, or calls f(T&) on the present
    // value (as visit does) and returns false.
    template <class F, class... Args>
    bool try_emplace_or_visit(const Key& key, F&& f, Args&&... args) {
        return try_emplace_or_visit_impl("try_emplace_or_visit", key, f,
                                         std::forward<Args>(args)...);
    }
    template <class F>
    bool insert_or_visit(const Key& key, const T& value, F&& f) {
        return try_emplace_or_visit_impl("insert_or_visit", key, f, value);
    }

    // ---------------------------------------------------------------- erasure
    bool erase(const Key& key) {
        auto always = [](T&) { return true; };
        return erase_if_impl("erase", key, always);
    }
    template <class K, enable_if_transparent_t<K> = 0>
    bool erase(const K& key) {
        auto always = [](T&) { return true; };
        return erase_if_impl("erase", key, always);
    }
    // Erases `key` if present and pred(T&) returns true. With lock-free reads
    // pred works on a copy, stored back if pred returns false (so a predicate
    // may update the value, e.g. decrement and erase at zero); if pred
    // throws, the value is left unchanged.
    template <class P>
    bool erase_if(const Key& key, P&& pred) {
        return erase_if_impl("erase_if", key, pred);
    }
    // Erases every element for which pred(const Key&, T&) returns true;
    // returns how many. Weakly consistent like for_each; the value is passed
    // as in erase_if(key, pred).
    template <class P>
    size_type erase_if(P&& pred) {
        check_reentry("erase_if");
        size_type erased = 0;
        traverse<true>([&](table_type& t, stripe_type& s, bucket_type head) {
            for (bucket_type b = head; b != nullptr;) {
                const bucket_type next = b->next();
                for (unsigned i = 0; i < width; ++i) {
                    if (!simd::is_full(b->tag(i))) continue;
                    slot_type* sl = b->slot_at(i);
                    auto p = [&](T& v) { return pred(static_cast<const Key&>(sl->first), v); };
                    if (call_predicate(sl->second, p)) {
                        // erase_at may unlink and recycle b when it empties,
                        // so continue from the saved successor in that case.
                        const bool unlinked = erase_at(t, s, head, b, i);
                        ++erased;
                        if (unlinked) break;
                    }
                }
                b = next;
            }
        });
        return erased;
    }

  private:
    template <class... Args>
    bool try_emplace_impl(const char* what, const Key& key, Args&&... args) {
        const std::uint64_t h = hash_of(key);
        return write_op(h, what, [&](table_type& t, stripe_type& s, std::size_t bi, bool& grow) {
            auto [b, i] = find_in_chain(t, bi, h, key);
            if (b != nullptr) return false;
            emplace_new(t, s, bi, h, grow, key, std::forward<Args>(args)...);
            return true;
        });
    }
    template <class F, class... Args>
    bool try_emplace_or_visit_impl(const char* what, const Key& key, F& f, Args&&... args) {
        const std::uint64_t h = hash_of(key);
        return write_op(h, what, [&](table_type& t, stripe_type& s, std::size_t bi, bool& grow) {
            auto [b, i] = find_in_chain(t, bi, h, key);
            if (b != nullptr) {
                call_visitor(b->slot_at(i)->second, f);
                return false;
            }
            emplace_new(t, s, bi, h, grow, key, std::forward<Args>(args)...);
            return true;
        });
    }

  public:
    // Removes every element. Concurrent inserts may survive.
    void clear() {
        check_reentry("clear");
        traverse<true>([&](table_type& t, stripe_type& s, bucket_type head) {
            const std::int64_t n = clear_chain(t, s, head, true);
            note_count(t, s, -n);
        });
    }

    // ---------------------------------------------------------------- traversal
    // Calls f(const Key&, const T&) for every element. Weakly consistent: an
    // element present for the whole call is visited exactly once, also while
    // resizes start, run and finish during the call; elements inserted or
    // erased meanwhile may or may not be visited. f runs under a stripe's
    // shared lock: writers to that stripe wait for it, nothing else does.
    template <class F>
    void for_each(F&& f) const {
        for_each_impl("for_each", f);
    }
    template <class F>
    void visit_all(F&& f) const {
        for_each_impl("visit_all", f);
    }

  private:
    template <class F>
    void for_each_impl(const char* what, F& f) const {
        check_reentry(what);
        const_cast<concurrent_map*>(this)->template traverse<false>(
            [&](table_type&, stripe_type&, bucket_type head) {
                for (bucket_type b = head; b != nullptr; b = b->next()) {
                    for (unsigned i : b->match_group().match_full()) {
                        const slot_type* sl = b->slot_at(i);
                        callback_scope g(this);
                        f(static_cast<const Key&>(sl->first), static_cast<const T&>(sl->second));
                    }
                }
            });
    }

  public:
    // ---------------------------------------------------------------- capacity
    // The number of elements. Exact whenever no insert or erase completes
    // during the call (resizes, visits and reserve may run); otherwise it
    // sums per-stripe counts read at slightly different times and is off by
    // at most the number of inserts and erases that overlapped the call.
    size_type size() const noexcept {
        concurrency::epoch_guard g;
        const table_type* t = root_.load(std::memory_order_acquire);
        if (t == nullptr) return 0;
        std::int64_t n = stripe_sum(*t);
        std::int64_t inherited = t->inherited.load(std::memory_order_acquire);
        if (inherited == table_type::not_inherited) {
            // Resizing: the old array's counts still hold what it had before
            // evacuation began. If it finished since, `inherited` was set
            // before `old` was cleared.
            if (const table_type* o = t->old.load(std::memory_order_acquire)) {
                inherited = o->inherited.load(std::memory_order_relaxed) + stripe_sum(*o);
            } else {
                inherited = t->inherited.load(std::memory_order_acquire);
            }
        }
        n += inherited;
        return n > 0 ? static_cast<size_type>(n) : 0;
    }
    bool empty() const noexcept { return size() == 0; }
    size_type max_size() const noexcept { return detail::max_capacity<slot_type>(); }

    // Makes room for n elements without further growth. Finishes a resize in
    // progress and doubles as often as needed; the calling thread does the
    // evacuation work, other threads keep running. Throws std::length_error
    // if n > max_size().
    void reserve(size_type n) {
        check_reentry("reserve");
        const std::size_t wanted = detail::buckets_for_capacity<slot_type>(n);
        for (;;) {
            {
                concurrency::epoch_guard g;
                table_type* t = root_.load(std::memory_order_acquire);
                if (t == nullptr) {
                    create_first_table(wanted);
                    continue;
                }
                if (table_type* o = t->old.load(std::memory_order_acquire)) {
                    for (std::size_t i = 0; i < o->bucket_count(); ++i)
                        evacuate_bucket(*t, *o, i);
                    continue;
                }
                if (t->grow_at >= n) break;
                grow_for_reserve(t);
            }
            retired_.reclaim();
        }
        retired_.reclaim();
    }

    size_type bucket_count() const noexcept {
        concurrency::epoch_guard g;
        const table_type* t = root_.load(std::memory_order_acquire);
        return t == nullptr ? 0 : t->bucket_count();
    }

    // ---------------------------------------------------------------- introspection
    map_stats stats() const {
        check_reentry("stats");
        std::lock_guard<std::mutex> grow_lock(grow_mutex_);  // arrays stay put meanwhile
        concurrency::epoch_guard eg;
        map_stats st;
        st.slots_per_bucket = width;
        const table_type* t = root_.load(std::memory_order_acquire);
        if (t == nullptr) return st;
        st.bucket_count = t->bucket_count();
        st.stripe_count = t->stripe_count();
        st.bytes = t->bytes();
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
            st.evacuated_buckets = t->evac_done.load(std::memory_order_relaxed);
            st.bytes += o->bytes();
            scan(*o, true);
        }
        scan(*t, false);
        st.size = size();
        st.load_factor =
            static_cast<double>(st.size) / static_cast<double>(st.bucket_count * width);
        return st;
    }

    debug::bucket_view inspect_bucket(std::size_t bucket_index) const {
        check_reentry("debug::inspect");
        concurrency::epoch_guard eg;
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
    std::size_t bucket_of(const Key& key) const {
        concurrency::epoch_guard eg;
        const table_type* t = root_.load(std::memory_order_acquire);
        return t == nullptr ? 0 : static_cast<std::size_t>(hash_of(key) & t->bucket_mask);
    }

  private:
    // ---------------------------------------------------------------- hashing
    template <class K>
    std::uint64_t hash_of(const K& key) const {
        const auto h = static_cast<std::uint64_t>(hash_(key));
        if constexpr (detail::hash_is_avalanching<Hash>::value) {
            return h;
        } else {
            return detail::mix_hash(h);
        }
    }

    // Marks a user callback running on this map, for check_reentry. Nothing
    // without TOPHASH_ASSERTS: its thread-local stores kept GCC from holding
    // a for_each callback's accumulator in a register (iterating a 10k map
    // 10% slower).
#if TOPHASH_ASSERTS
    using callback_scope = concurrency::reentrancy_guard;
#else
    struct callback_scope {
        explicit callback_scope(const void*) noexcept {}
    };
#endif

    void check_reentry([[maybe_unused]] const char* what) const noexcept {
#if TOPHASH_ASSERTS
        if (concurrency::reentrancy_guard::inside(this)) concurrency::reentrancy_guard::fail(what);
#endif
    }

    // ---------------------------------------------------------------- tables
    table_type* make_table(std::size_t nbuckets) {
        if (nbuckets > detail::max_bucket_count<slot_type>()) {
            throw std::length_error("tophash: the table cannot grow beyond max_size()");
        }
        table_alloc ta(alloc_);
        table_type* t = &*std::allocator_traits<table_alloc>::allocate(ta, 1);
        ::new (static_cast<void*>(t)) table_type();
        try {
            const std::size_t nstripes = table_type::stripes_for(nbuckets);
            t->bucket_mask = nbuckets - 1;
            t->stripe_mask = nstripes - 1;
            t->grow_at = detail::capacity_of(nbuckets);
            // The estimate's error is at most stripes * batch = grow_at / 16.
            const std::size_t batch = t->grow_at / (nstripes * 16);
            t->flush_batch = batch > 0 ? static_cast<std::int64_t>(batch) : 1;
            stripe_alloc sa(alloc_);
            t->stripes = &*std::allocator_traits<stripe_alloc>::allocate(sa, nstripes);
            for (std::size_t i = 0; i < nstripes; ++i)
                ::new (&t->stripes[i]) stripe_type();
            try {
                t->ctrls = memory::template allocate<detail::bucket_ctrl>(alloc_, nbuckets, true);
                try {
                    t->slots =
                        memory::template allocate<slot_type>(alloc_, nbuckets * width, false);
                } catch (...) {
                    memory::deallocate(alloc_, t->ctrls, nbuckets);
                    throw;
                }
            } catch (...) {
                std::allocator_traits<stripe_alloc>::deallocate(sa, t->stripes, nstripes);
                throw;
            }
        } catch (...) {
            t->~table_type();
            std::allocator_traits<table_alloc>::deallocate(ta, t, 1);
            throw;
        }
        return t;
    }

    // Frees a table no thread can reach, destroying the elements it still owns.
    void destroy_table(table_type* t) noexcept {
        destroy_buckets(*t, 0, t->bucket_count());
        free_table(t);
    }
    // The elements and overflow nodes of buckets [from, to).
    void destroy_buckets(table_type& t, std::size_t from, std::size_t to) noexcept {
        for (std::size_t i = from; i < to; ++i) {
            const bucket_type head = t.head(i);
            destroy_chain_elements(head);
            for (bucket_type b = head->next(); b != nullptr;) {
                const bucket_type n = b->next();
                memory::deallocate(alloc_, b.as_node(), 1);
                b = n;
            }
        }
    }
    // What destroy_buckets leaves: stripes and their spare nodes, the arrays
    // (unless release_retired_step already gave their pages back), the table.
    void free_table(table_type* t) noexcept {
        const std::size_t nb = t->bucket_count();
        for (std::size_t i = 0; i < t->stripe_count(); ++i) {
            for (node_type* b = t->stripes[i].free_overflow; b != nullptr;) {
                node_type* n = static_cast<node_type*>(b->ctrl.overflow);
                memory::deallocate(alloc_, b, 1);
                b = n;
            }
            t->stripes[i].~stripe_type();
        }
        stripe_alloc sa(alloc_);
        std::allocator_traits<stripe_alloc>::deallocate(sa, t->stripes, t->stripe_count());
        const bool released = t->released_buckets == nb;
        if (!released || !memory::template page_backed<detail::bucket_ctrl>(nb))
            memory::deallocate(alloc_, t->ctrls, nb);
        if (!released || !memory::template page_backed<slot_type>(nb * width))
            memory::deallocate(alloc_, t->slots, nb * width);
        table_alloc ta(alloc_);
        t->~table_type();
        std::allocator_traits<table_alloc>::deallocate(ta, t, 1);
    }

    // A retired table holds no elements (all were evacuated), only memory:
    // overflow nodes and, for a large one, hundreds of MB of pages. Freeing it
    // at once took 35-43 ms for the last array of a growth to 2^23 elements
    // (walking its chains and unmapping its pages) and was the slowest insert
    // of the growth (bench_map grow/tophash max_ns). So it is freed in steps
    // of release_step buckets, one per reclaim(), which a writer runs every
    // 64 writes while anything is pending: each step costs about what one
    // evacuation does.
    static constexpr std::size_t release_step = 4096;
    // 4096 buckets: 128 KiB of control blocks and 64 Ki slots (1 MiB of
    // uint64 pairs). Every multiple of 4096 buckets starts both arrays on a
    // page boundary for pages up to 64 KiB (32 B x 4096 = 128 KiB; slots: 16
    // x 4096 x sizeof(slot), a multiple of 64 KiB).
    static_assert(release_step * sizeof(detail::bucket_ctrl) % (std::size_t{64} << 10) == 0);
    static_assert(release_step * width % (std::size_t{64} << 10) == 0);

    static bool destroy_retired(void* object, void* context) noexcept {
        concurrency::epoch_detail::tsan_before_free();
        auto* self = static_cast<concurrent_map*>(context);
        auto* t = static_cast<table_type*>(object);
        const std::size_t nb = t->bucket_count();
        if (nb < 2 * release_step) {
            self->destroy_table(t);
            return true;
        }
        const std::size_t from = t->released_buckets;
        const std::size_t to = std::min(nb, from + release_step);
        self->destroy_buckets(*t, from, to);
        if (memory::template page_backed<detail::bucket_ctrl>(nb))
            memory::release_pages(t->ctrls, from, to);
        if (memory::template page_backed<slot_type>(nb * width))
            memory::release_pages(t->slots, from * width, to * width);
        t->released_buckets = to;
        if (to < nb) return false;
        self->free_table(t);
        return true;
    }

    static void destroy_chain_elements(bucket_type head) noexcept {
        if constexpr (!std::is_trivially_destructible_v<slot_type>) {
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i = 0; i < width; ++i) {
                    if (simd::is_full(b->tag(i))) b->slot_at(i)->~slot_type();
                }
            }
        } else {
            (void)head;
        }
    }

    void release_all() noexcept {
        retired_.drain();
        if (table_type* t = root_.load(std::memory_order_relaxed)) {
            if (table_type* o = t->old.load(std::memory_order_relaxed)) destroy_table(o);
            destroy_table(t);
        }
        root_.store(nullptr, std::memory_order_relaxed);
        approx_size_.store(0, std::memory_order_relaxed);
    }

    void steal(concurrent_map& other) noexcept {
        other.retired_.drain();  // its deleters refer to `other`
        root_.store(other.root_.exchange(nullptr, std::memory_order_relaxed),
                    std::memory_order_relaxed);
        approx_size_.store(other.approx_size_.exchange(0, std::memory_order_relaxed),
                           std::memory_order_relaxed);
    }

    // The net count of the writes done in t (see table::inherited).
    static std::int64_t stripe_sum(const table_type& t) noexcept {
        std::int64_t n = 0;
        for (std::size_t i = 0; i < t.stripe_count(); ++i) {
            n += t.stripes[i].count.load(std::memory_order_relaxed);
        }
        return n;
    }

    void create_first_table(std::size_t nbuckets) {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        if (root_.load(std::memory_order_acquire) == nullptr) {
            root_.store(make_table(nbuckets), std::memory_order_release);
        }
    }

    // Marks a chain as being written for optimistic readers (its head's
    // version is odd meanwhile). Held with the stripe's exclusive lock.
    class chain_write {
      public:
        explicit chain_write(bucket_type head) noexcept : head_(head) { head_.begin_write(); }
        ~chain_write() { head_.end_write(); }
        chain_write(const chain_write&) = delete;
        chain_write& operator=(const chain_write&) = delete;

      private:
        bucket_type head_;
    };

    // ---------------------------------------------------------------- overflow buckets
    bucket_type acquire_overflow(table_type& t, stripe_type& s) {
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
    // Emptied overflow buckets stay with their stripe: an optimistic reader
    // that still follows a stale link lands in memory of the same stripe and
    // table, whose version it validates.
    static void release_overflow(stripe_type& s, bucket_type b) noexcept {
        b.reset();
        b.set_next(bucket_type(s.free_overflow));
        s.free_overflow = b.as_node();
    }

    // ---------------------------------------------------------------- chain operations (stripe
    // locked)
    template <class K>
    std::pair<bucket_type, unsigned> find_in_chain(table_type& t, std::size_t bi, std::uint64_t h,
                                                   const K& key) const {
        const simd::tag_t tag = simd::tag_from_hash(h);
        for (bucket_type b = t.head(bi); b != nullptr; b = b->next()) {
            const auto g = b->match_group();
            for (unsigned i : g.match(tag)) {
                if (eq_(b->slot_at(i)->first, key)) return {b, i};
            }
            if (g.match_empty_rest()) break;
        }
        return {nullptr, 0};
    }

    // Inserts a new element (the key is known to be absent) into the first
    // free slot of the chain, or a new overflow bucket when the chain is full.
    template <class K, class... Args>
    void emplace_new(table_type& t, stripe_type& s, std::size_t bi, std::uint64_t h, bool& grow,
                     K&& key, Args&&... args) {
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
        try {
            construct_slot(target->slot_at(idx), std::forward<K>(key), std::forward<Args>(args)...);
        } catch (...) {
            if (fresh != nullptr) release_overflow(s, fresh);
            throw;
        }
        if (fresh != nullptr) {
            last->set_next(fresh);
            grow = overflow_pressure(t) || grow;
        }
        target->set_tag(idx, simd::tag_from_hash(h));
        grow = note_count(t, s, 1) || grow;
    }

    template <class... Args>
    static void construct_slot(slot_type* dst, Args&&... args) {
        if constexpr (optimistic_reads) {
            // Build it aside, then publish with atomic stores: a reader may be
            // copying this slot's previous occupant right now.
            const slot_type tmp(std::forward<Args>(args)...);
            concurrency::atomic_copy_store(dst, tmp);
        } else {
            ::new (static_cast<void*>(dst)) slot_type(std::forward<Args>(args)...);
        }
    }

    template <class M>
    static void assign_value(T& dst, M&& value) {
        if constexpr (optimistic_reads) {
            const T tmp(std::forward<M>(value));
            concurrency::atomic_copy_store(&dst, tmp);
        } else {
            dst = std::forward<M>(value);
        }
    }

    template <class F>
    void call_visitor(T& value, F& f) {
        callback_scope g(this);
        if constexpr (optimistic_reads) {
            T tmp = value;
            f(tmp);
            concurrency::atomic_copy_store(&value, tmp);
        } else {
            f(value);
        }
    }
    // pred(T&) for erase_if. With lock-free reads the predicate works on a
    // copy (lock-free readers may be copying the value right now), stored
    // back atomically when the element stays.
    template <class P>
    bool call_predicate(T& value, P& pred) {
        callback_scope g(this);
        if constexpr (optimistic_reads) {
            T tmp = value;
            const bool erase = pred(tmp);
            if (!erase) concurrency::atomic_copy_store(&value, tmp);
            return erase;
        } else {
            return pred(value);
        }
    }

    // Removes slot i of bucket b (in the chain starting at head) following
    // Go's rules: the slot becomes emptyOne, unless nothing follows it in the
    // chain, in which case it and every emptyOne before it become emptyRest;
    // a trailing overflow bucket that empties goes back to the stripe's free
    // list. Returns true if b itself was unlinked.
    bool erase_at(table_type& t, stripe_type& s, bucket_type head, bucket_type b, unsigned i) {
        if constexpr (!std::is_trivially_destructible_v<slot_type>) b->slot_at(i)->~slot_type();
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

    // Destroys every element of a chain and returns its overflow buckets to
    // the stripe. Returns the number of elements destroyed.
    std::int64_t clear_chain(table_type&, stripe_type& s, bucket_type head, bool destroy) {
        std::int64_t n = 0;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            for (unsigned i = 0; i < width; ++i) {
                if (simd::is_full(b->tag(i))) {
                    ++n;
                    if constexpr (!std::is_trivially_destructible_v<slot_type>) {
                        if (destroy) b->slot_at(i)->~slot_type();
                    }
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

    // ---------------------------------------------------------------- size estimate and growth
    // triggers Exact per-stripe counts serve size(); growth needs the total on every insert, which
    // one shared counter would turn into a hot cache line. Each stripe instead adds its change to
    // approx_size_ once it reaches flush_batch, so the estimate lags by at most grow_at / 16 and
    // the shared line is written once per batch.
    bool note_count(table_type& t, stripe_type& s, std::int64_t delta) noexcept {
        s.count.store(s.count.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
        s.pending += delta;
        if (s.pending >= t.flush_batch || s.pending <= -t.flush_batch) {
            const std::int64_t now =
                approx_size_.fetch_add(s.pending, std::memory_order_relaxed) + s.pending;
            s.pending = 0;
            return delta > 0 && now > static_cast<std::int64_t>(t.grow_at);
        }
        return false;
    }
    void flush_pending(stripe_type& s) noexcept {
        if (s.pending != 0) {
            approx_size_.fetch_add(s.pending, std::memory_order_relaxed);
            s.pending = 0;
        }
    }

    // Same-size evacuation compacts chains that churn left long but sparse:
    // at least as many overflow buckets as head buckets, yet under half of all
    // their slots in use. A hash that sends many keys to one bucket gives
    // long but dense chains, which compaction cannot shorten: they never
    // trigger it, so such input degrades to chain scans, not to endless resizing.
    bool overflow_pressure(const table_type& t) const noexcept {
        const std::size_t ov = t.overflow_count.load(std::memory_order_relaxed);
        if (ov < t.bucket_count() || ov < 16) return false;
        const std::int64_t n = approx_size_.load(std::memory_order_relaxed);
        return n < static_cast<std::int64_t>((t.bucket_count() + ov) * width / 2);
    }

    // Publishes a new array (twice the size, or the same size to compact)
    // that writers will fill incrementally. After a write, a failure to
    // allocate it (whatever the allocator throws) only postpones growth: the
    // write has completed, chains absorb the elements until a later write
    // retries; reserve() propagates it.
    void grow_after_write(table_type* t) noexcept {
        std::unique_lock<std::mutex> lock(grow_mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return;  // another thread is growing, or stats() runs
        if (root_.load(std::memory_order_acquire) != t) return;
        if (t->old.load(std::memory_order_acquire) != nullptr) return;  // still evacuating
        const bool by_count =
            approx_size_.load(std::memory_order_relaxed) > static_cast<std::int64_t>(t->grow_at);
        if (!by_count && !overflow_pressure(*t)) return;
        try {
            publish_new_table(t, !by_count);
        } catch (...) {
        }
    }
    void grow_for_reserve(table_type* t) {
        std::lock_guard<std::mutex> lock(grow_mutex_);
        if (root_.load(std::memory_order_acquire) != t) return;
        if (t->old.load(std::memory_order_acquire) != nullptr) return;
        publish_new_table(t, false);
    }
    void publish_new_table(table_type* t, bool same_size) {
        retired_.reserve(1);  // so that finishing the evacuation cannot fail
        table_type* nt = make_table(same_size ? t->bucket_count() : t->bucket_count() * 2);
        nt->same_size = same_size;
        nt->inherited.store(table_type::not_inherited, std::memory_order_relaxed);
        nt->old.store(t, std::memory_order_relaxed);
        t->next.store(nt, std::memory_order_relaxed);  // published by root_ below
        root_.store(nt, std::memory_order_release);
    }

    // ---------------------------------------------------------------- evacuation
    // Moves the chain of old bucket i into the new array: X keeps index i, Y
    // is i + old size (the next hash bit decides); a same-size evacuation uses
    // X only. Runs under the old stripe's lock and the destination stripes'
    // locks. Either completes, or (a throwing hasher, copy constructor or
    // allocator) leaves the old chain as it was and the destinations empty.
    void evacuate_bucket(table_type& t, table_type& o, std::size_t i) {
        const bucket_type head = o.head(i);
        if (head->evacuated()) return;
        bool finished;
        {
            stripe_type& os = o.stripe_of(i);
            concurrency::exclusive_guard og(os.lock);
            if (head->evacuated()) return;
            const std::size_t n = o.bucket_count();
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
            flush_pending(os);
            finished = t.evac_done.fetch_add(1, std::memory_order_acq_rel) + 1 == n;
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

    void move_chain(table_type& t, table_type& o, bucket_type head, std::size_t xi, std::size_t yi,
                    stripe_type& xs, stripe_type& ys) {
        const std::size_t ybit = o.bucket_count();
        // 1. Hash every element before changing anything: a throwing hasher
        //    leaves the map untouched. 64 cover a typical chain without
        //    allocating (4 buckets).
        std::uint64_t local[64];
        std::vector<std::uint64_t> spill;
        std::uint64_t* hashes = local;
        std::size_t count = 0, to_y = 0;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            count += b->match_group().match_full().count();
        }
        if (count > 64) {
            spill.resize(count);
            hashes = spill.data();
        }
        {
            std::size_t k = 0;
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i : b->match_group().match_full()) {
                    hashes[k] = hash_of(b->slot_at(i)->first);
                    if (!t.same_size && (hashes[k] & ybit) != 0) ++to_y;
                    ++k;
                }
            }
        }
        const std::size_t to_x = count - to_y;
        // 2. Take every overflow bucket needed up front, so that the moves
        //    below can only fail in a copy constructor.
        auto need = [](std::size_t k) { return k > width ? (k - 1) / width : 0; };
        std::vector<bucket_type> xo, yo;
        std::size_t taken_x = 0, taken_y = 0;
        try {
            xo.reserve(need(to_x));
            yo.reserve(need(to_y));
            for (; taken_x < need(to_x); ++taken_x)
                xo.push_back(acquire_overflow(t, xs));
            for (; taken_y < need(to_y); ++taken_y)
                yo.push_back(acquire_overflow(t, ys));
        } catch (...) {
            for (bucket_type b : xo)
                release_overflow(xs, b);
            for (bucket_type b : yo)
                release_overflow(ys, b);
            throw;
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
        try {
            std::size_t k = 0;
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i : b->match_group().match_full()) {
                    const bool y = !t.same_size && (hashes[k] & ybit) != 0;
                    cursor& c = y ? cy : cx;
                    if (c.i == width) {
                        const bucket_type nb = (y ? yo : xo)[c.next_overflow++];
                        c.b->set_next(nb);
                        c.b = nb;
                        c.i = 0;
                    }
                    relocate_slot(c.b->slot_at(c.i), b->slot_at(i));
                    c.b->set_tag(c.i, simd::tag_from_hash(hashes[k]));
                    ++c.i;
                    ++k;
                }
            }
        } catch (...) {
            // Undo: the destinations held nothing before this evacuation.
            clear_chain(t, xs, xhead, true);
            if (yhead != xhead) clear_chain(t, ys, yhead, true);
            for (std::size_t k = cx.next_overflow; k < xo.size(); ++k)
                release_overflow(xs, xo[k]);
            for (std::size_t k = cy.next_overflow; k < yo.size(); ++k)
                release_overflow(ys, yo[k]);
            throw;
        }
        // 4. Commit: destroy the old elements and mark every old slot. The
        //    head's slot 0 goes last (release): readers test it.
        {
            simd::tag_t head_mark = simd::evacuated_empty;
            std::size_t k = 0;
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                for (unsigned i = 0; i < width; ++i) {
                    simd::tag_t mark = simd::evacuated_empty;
                    if (simd::is_full(b->tag(i))) {
                        mark = (!t.same_size && (hashes[k] & ybit) != 0) ? simd::evacuated_y
                                                                         : simd::evacuated_x;
                        ++k;
                        if constexpr (!std::is_trivially_destructible_v<slot_type>) {
                            b->slot_at(i)->~slot_type();
                        }
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
        // Counts stay with the array the elements were counted in (see
        // table::inherited): nothing to move.
    }

    // Moves or copies one element into the new array's slot `dst`. Key and
    // value travel as a unit: both are moved when both moves are noexcept,
    // otherwise both are copied, so that a copy that throws leaves the
    // source element whole (the evacuation then rolls back). Moving one and
    // copying the other lost the moved half when the copy threw.
    static void relocate_slot(slot_type* dst, slot_type* src) {
        constexpr bool move_both =
            std::is_nothrow_move_constructible_v<Key> && std::is_nothrow_move_constructible_v<T>;
        constexpr bool can_copy =
            std::is_copy_constructible_v<Key> && std::is_copy_constructible_v<T>;
        if constexpr (move_both || !can_copy) {
            construct_slot(dst, std::move(src->first), std::move(src->second));
        } else {
            construct_slot(dst, static_cast<const Key&>(src->first),
                           static_cast<const T&>(src->second));
        }
    }

    // One more old bucket for a write to evacuate, so that every write
    // during a resize advances it. The cursor hands each bucket to one
    // helper; once it has passed the end, helpers sweep for buckets still
    // not evacuated (one whose evacuation threw, which nothing else would
    // retry), lowest first. A resize therefore finishes after at most as
    // many writes as the old array has buckets, plus one per evacuation
    // that failed.
    void help_cursor(table_type& t, table_type& o) {
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
        while (seen < j &&
               !t.evac_sweep.compare_exchange_weak(seen, j, std::memory_order_relaxed)) {
        }
        if (j < n) evacuate_bucket(t, o, j);
    }

    // ---------------------------------------------------------------- write path
    // Runs op(table, stripe, bucket index, grow flag) under the exclusive lock
    // of the stripe that owns the key's chain.
    //
    // Inserting operations (Inserts) work in the newest array: first they
    // evacuate the key's old bucket, and one more (help_cursor), which may
    // allocate and may throw (the write then fails with the map unchanged).
    // The others (visit, erase) never allocate: a key whose old bucket is not
    // evacuated yet is handled right there in the old array; they help with
    // one bucket at the cursor after their own work is done, and ignore a
    // failure of that help (the bucket is retried by a later write).
    // Operations that cannot insert do nothing on a map that has no array.
    template <bool Inserts = true, class Op>
    auto write_op(std::uint64_t h, const char* what, Op&& op) {
        check_reentry(what);
        bool grow = false;
        table_type* grown = nullptr;
        using result_t = decltype(op(std::declval<table_type&>(), std::declval<stripe_type&>(),
                                     std::size_t{}, grow));
        std::optional<result_t> result;
        {
            concurrency::epoch_guard eg;
            table_type* helped = nullptr;
            for (;;) {
                table_type* t = root_.load(std::memory_order_acquire);
                if (t == nullptr) {
                    if constexpr (!Inserts) return result_t{};
                    create_first_table(1);
                    continue;
                }
                located at{t, h & t->bucket_mask};
                if (table_type* o = t->old.load(std::memory_order_acquire)) {
                    if constexpr (Inserts) {
                        evacuate_bucket(*t, *o, h & o->bucket_mask);
                        help_cursor(*t, *o);
                    } else {
                        helped = t;
                        at = locate_in(t, h);
                    }
                }
                stripe_type& s = at.table->stripe_of(at.index);
                concurrency::exclusive_guard lock(s.lock);
                // Evacuated since we looked: a newer array holds the chain.
                if (at.table->head(at.index).evacuated()) continue;
                chain_write cw(at.table->head(at.index));
                result.emplace(op(*at.table, s, at.index, grow));
                grown = at.table;
                break;
            }
            if constexpr (!Inserts) {
                if (helped != nullptr) help_quietly(*helped);
            }
            if (grow) grow_after_write(grown);
        }
        retired_.note_write();
        return *result;
    }
    // help_cursor for a write that must not fail: the evacuation rolled back
    // whatever it did, and a later write retries the bucket.
    void help_quietly(table_type& t) noexcept {
        if (table_type* o = t.old.load(std::memory_order_acquire)) {
            try {
                help_cursor(t, *o);
            } catch (...) {
            }
        }
    }

    template <class K, class F>
    bool visit_impl(const K& key, F& f) {
        const std::uint64_t h = hash_of(key);
        return write_op<false>(h, "visit", [&](table_type& t, stripe_type&, std::size_t bi, bool&) {
            auto [b, i] = find_in_chain(t, bi, h, key);
            if (b == nullptr) return false;
            call_visitor(b->slot_at(i)->second, f);
            return true;
        });
    }

    template <class K, class P>
    bool erase_if_impl(const char* what, const K& key, P& pred) {
        const std::uint64_t h = hash_of(key);
        return write_op<false>(h, what, [&](table_type& t, stripe_type& s, std::size_t bi, bool&) {
            auto [b, i] = find_in_chain(t, bi, h, key);
            if (b == nullptr) return false;
            if (!call_predicate(b->slot_at(i)->second, pred)) return false;
            erase_at(t, s, t.head(bi), b, i);
            return true;
        });
    }

    // ---------------------------------------------------------------- read path
    // The chain that holds h's elements right now: in the old array while its
    // bucket there is not evacuated, else in the newest.
    struct located {
        table_type* table;
        std::size_t index;
    };
    located locate(std::uint64_t h) const noexcept {
        return locate_in(root_.load(std::memory_order_acquire), h);
    }
    // The same, given the root array (or null) the caller already loaded.
    static located locate_in(table_type* t, std::uint64_t h) noexcept {
        if (t == nullptr) return {nullptr, 0};
        if (table_type* o = t->old.load(std::memory_order_acquire)) {
            if (!o->head(h & o->bucket_mask).evacuated()) return {o, h & o->bucket_mask};
        }
        return {t, h & t->bucket_mask};
    }

    // Lock-free lookup: scans with atomic loads and validates the chain's
    // version (in its head's control block, the line the tags are on),
    // retrying if a writer intervened. Only a validated copy of a key reaches
    // the user's equality: a torn or stale {pointer, length} must never be
    // compared. Copies the value into *out when out is not null.
    template <class K>
    bool read_lock_free(const char* what, const K& key, std::optional<T>* out) const {
        static_assert(optimistic_reads);
        check_reentry(what);
        const std::uint64_t h = hash_of(key);
        const simd::tag_t tag = simd::tag_from_hash(h);
        concurrency::epoch_guard eg;
        for (;;) {
            const located at = locate(h);
            if (at.table == nullptr) return false;
            const bucket_type head = at.table->head(at.index);
            const std::uint64_t v = head->read_begin();
            const int r = scan_lock_free(head, tag, key, v, out);
            if (r < 0) continue;
            if (r == 0) {
                // An evacuated chain holds no full slot, so a hit proves the
                // chain live; only a miss needs this check. Moved on: root_
                // tells where.
                if (head->evacuated()) continue;
                return false;
            }
            return true;
        }
    }

    // 1: found (*out set if out), 0: absent, -1: a writer intervened, retry.
    template <class K>
    int scan_lock_free(bucket_type head, simd::tag_t tag, const K& key, std::uint64_t v,
                       std::optional<T>* out) const {
        unsigned hops = 0;
        for (bucket_type b = head; b != nullptr; b = b->next()) {
            const auto g = b->match_group();
            for (unsigned i : g.match(tag)) {
                const slot_type* sl = b->slot_at(i);
                const Key k = concurrency::atomic_copy_load(&sl->first);
                // The value is copied before the check too: one validation
                // covers both (a tag false positive, 1 in 256, wastes it).
                if (out != nullptr) out->emplace(concurrency::atomic_copy_load(&sl->second));
                if (!head->read_validate(v)) return -1;
                if (eq_(k, key)) return 1;
            }
            if (g.match_empty_rest()) break;
            // A chain rewritten under us could send us round in circles; a
            // periodic check bounds the walk.
            if ((++hops & 7) == 0 && !head->read_validate(v)) return -1;
        }
        return head->read_validate(v) ? 0 : -1;
    }

    // Locked lookup: calls found(const T&) on the element in place, under
    // the stripe's shared lock, if present.
    template <class K, class Found>
    bool read_locked(const char* what, const K& key, Found&& found) const {
        check_reentry(what);
        const std::uint64_t h = hash_of(key);
        const simd::tag_t tag = simd::tag_from_hash(h);
        concurrency::epoch_guard eg;
        for (;;) {
            const located at = locate(h);
            if (at.table == nullptr) return false;
            const bucket_type head = at.table->head(at.index);
            concurrency::shared_guard lock(at.table->stripe_of(at.index).lock);
            if (head->evacuated()) continue;
            for (bucket_type b = head; b != nullptr; b = b->next()) {
                const auto g = b->match_group();
                for (unsigned i : g.match(tag)) {
                    const slot_type* sl = b->slot_at(i);
                    if (eq_(sl->first, key)) {
                        callback_scope rg(this);
                        found(static_cast<const T&>(sl->second));
                        return true;
                    }
                }
                if (g.match_empty_rest()) break;
            }
            return false;
        }
    }

    template <class K>
    std::optional<T> find_impl(const K& key) const {
        std::optional<T> out;
        if constexpr (optimistic_reads) {
            if (!read_lock_free("find", key, &out)) out.reset();
        } else {
            read_locked("find", key, [&](const T& v) { out.emplace(v); });
        }
        return out;
    }
    template <class K>
    bool contains_impl(const K& key) const {
        if constexpr (optimistic_reads) {
            return read_lock_free("contains", key, nullptr);
        } else {
            return read_locked("contains", key, [](const T&) {});
        }
    }
    template <class K, class F>
    bool cvisit_impl(const char* what, const K& key, F& f) const {
        if constexpr (optimistic_reads) {
            std::optional<T> v;
            if (!read_lock_free(what, key, &v)) return false;
            callback_scope rg(this);
            f(static_cast<const T&>(*v));
            return true;
        } else {
            return read_locked(what, key, f);
        }
    }

    // ---------------------------------------------------------------- whole-map traversal
    // Calls fn(table, stripe, head) for every live chain, with its stripe
    // locked (exclusive if Exclusive, else shared), without stopping growth:
    // resizes may start, run and finish meanwhile.
    //
    // The unit of work is a bucket of the array that was oldest when the
    // traversal began (n0 buckets): its elements are the ones whose hash is i
    // modulo n0, and arrays only grow, so they stay in that bucket or in its
    // descendants (i, i + n0, i + 2 n0, ... of a larger array). (An array
    // that shrinks would break this: its buckets would mix units, which a
    // traversal would then have to tell apart by hash.) A bucket is
    // visited where its elements are at that moment: under its stripe lock,
    // if not evacuated, there (nothing has reached its descendants yet:
    // writers evacuate a key's bucket before they write to the new array);
    // else in its X and Y buckets of the next array, recursively. Elements
    // only move down that tree, under the locks of both ends, so every
    // element present for the whole call is visited exactly once.
    //
    // The stripes of the starting array are taken one at a time, 16 to an
    // epoch guard (a long traversal holds back reclamation only briefly); while
    // that array is still the oldest, one lock acquisition covers all of the
    // stripe's buckets (measured: per-bucket shared locking made iterating a
    // 90%-erased 10k map 3x slower than absl).
    template <bool Exclusive, class Fn>
    void traverse(Fn&& fn) {
        std::size_t n0 = 0, ns0 = 0;
        {
            concurrency::epoch_guard eg;
            const table_type* t = root_.load(std::memory_order_acquire);
            if (t == nullptr) return;
            const table_type* o = t->old.load(std::memory_order_acquire);
            n0 = (o != nullptr ? o : t)->bucket_count();
            ns0 = (o != nullptr ? o : t)->stripe_count();
        }
        for (std::size_t first = 0; first < ns0; first += stripes_per_epoch) {
            concurrency::epoch_guard eg;
            const std::size_t last = std::min(ns0, first + stripes_per_epoch);
            for (std::size_t si = first; si < last; ++si) {
                table_type* t = root_.load(std::memory_order_acquire);
                if (t == nullptr) return;  // only a move empties a map; moves are not concurrent
                table_type* o = t->old.load(std::memory_order_acquire);
                table_type& base = o != nullptr ? *o : *t;
                const std::size_t nb = base.bucket_count();
                if (nb == n0) {
                    stripe_type& s = base.stripes[si];
                    stripe_guard<Exclusive> lock(s.lock);
                    // No successor array yet: no bucket of the stripe can
                    // have been evacuated (next is set before the first
                    // evacuation, and each evacuator released this lock,
                    // which we now hold), so the per-bucket check is skipped.
                    if (base.next.load(std::memory_order_acquire) == nullptr) {
                        for (std::size_t bi = si; bi < nb; bi += ns0)
                            visit_live_chain<Exclusive>(base, s, base.head(bi), fn);
                    } else {
                        for (std::size_t bi = si; bi < nb; bi += ns0)
                            visit_chain_locked<Exclusive>(base, s, bi, fn);
                    }
                } else {
                    for (std::size_t unit = si; unit < n0; unit += ns0) {
                        for (std::size_t bi = unit; bi < nb; bi += n0)
                            visit_chain<Exclusive>(base, bi, fn);
                    }
                }
            }
        }
    }
    // How many stripes a traversal visits in one read section: it holds back
    // reclamation (of every map) only for as long as 16 stripes' callbacks.
    static constexpr std::size_t stripes_per_epoch = 16;
    template <bool Exclusive>
    using stripe_guard =
        std::conditional_t<Exclusive, concurrency::exclusive_guard, concurrency::shared_guard>;

    template <bool Exclusive, class Fn>
    void visit_chain(table_type& tab, std::size_t bi, Fn& fn) {
        stripe_type& s = tab.stripe_of(bi);
        stripe_guard<Exclusive> lock(s.lock);
        visit_chain_locked<Exclusive>(tab, s, bi, fn);
    }
    // With tab's stripe s locked: nothing evacuates bucket bi meanwhile. Locks
    // are taken old array first, as evacuation takes them, so holding s while
    // visiting the next array's buckets cannot deadlock.
    template <bool Exclusive, class Fn>
    TOPHASH_ALWAYS_INLINE void visit_chain_locked(table_type& tab, stripe_type& s, std::size_t bi,
                                                  Fn& fn) {
        const bucket_type head = tab.head(bi);
        if (__builtin_expect(head.evacuated(), 0)) {
            visit_descendants<Exclusive>(tab, bi, fn);
        } else {
            visit_live_chain<Exclusive>(tab, s, head, fn);
        }
    }
    template <bool Exclusive, class Fn>
    TOPHASH_ALWAYS_INLINE void visit_live_chain(table_type& tab, stripe_type& s, bucket_type head,
                                                Fn& fn) {
        if constexpr (Exclusive) {
            chain_write cw(head);
            fn(tab, s, head);
        } else {
            fn(tab, s, head);
        }
    }
    // Out of line: it recurses, and keeping it apart lets the common case
    // above inline into the stripe loop (iterating a 10k map was 15-20%
    // slower with the recursion in it).
    template <bool Exclusive, class Fn>
    [[gnu::noinline]] void visit_descendants(table_type& tab, std::size_t bi, Fn& fn) {
        table_type& next = *tab.next.load(std::memory_order_acquire);
        visit_chain<Exclusive>(next, bi, fn);
        if (!next.same_size) visit_chain<Exclusive>(next, bi + tab.bucket_count(), fn);
    }

    // ---------------------------------------------------------------- data
    std::atomic<table_type*> root_{nullptr};
    std::atomic<std::int64_t> approx_size_{0};
    mutable std::mutex grow_mutex_;
    concurrency::retire_list retired_;
    Hash hash_{};
    KeyEqual eq_{};
    Allocator alloc_{};
};

}  // namespace tophash
