// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// What every container shares: Boost.Unordered's concurrent container API
// (visitation, insertion, erasure, capacity, hash policy), mapped onto the
// engine. basic_map.hpp and basic_set.hpp add what differs.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tophash/detail/concurrent_table.hpp"
#include "tophash/detail/gdb_printers.hpp"
#include "tophash/detail/node_handle.hpp"
#include "tophash/detail/parallel.hpp"
#include "tophash/detail/ranges.hpp"
#include "tophash/detail/trailing_args.hpp"

namespace tophash::detail {

template <class It, class = void>
struct is_input_iterator : std::false_type {};
template <class It>
struct is_input_iterator<It, std::void_t<typename std::iterator_traits<It>::iterator_category>>
    : std::is_base_of<std::input_iterator_tag,
                      typename std::iterator_traits<It>::iterator_category> {};
template <class It>
using enable_if_iterator_t = std::enable_if_t<is_input_iterator<It>::value, int>;

// node_type and insert_return_type: node containers only.
template <class Storage, class Allocator, bool = Storage::stable_references>
struct node_types {};
template <class Storage, class Allocator>
struct node_types<Storage, Allocator, true> {
    using node_type = node_handle<typename Storage::kind, Allocator>;
    using insert_return_type = detail::insert_return_type<node_type>;
};

struct container_tag {};

// A non-concurrent hash container with the same element, hasher, equality
// and allocator types (boost::unordered_flat_map, std::unordered_map, ...).
template <class C, class Self, class = void>
struct is_foreign_container : std::false_type {};
template <class C, class Self>
struct is_foreign_container<
    C, Self,
    std::void_t<typename C::key_type, typename C::value_type, typename C::hasher,
                typename C::key_equal, typename C::allocator_type,
                decltype(std::declval<C&>().begin()), decltype(std::declval<C&>().clear())>>
    : std::bool_constant<
          !std::is_base_of_v<container_tag, C> &&
          std::is_same_v<typename C::key_type, typename Self::key_type> &&
          std::is_same_v<typename C::value_type, typename Self::value_type> &&
          std::is_same_v<typename C::hasher, typename Self::hasher> &&
          std::is_same_v<typename C::key_equal, typename Self::key_equal> &&
          std::is_same_v<typename C::allocator_type, typename Self::allocator_type>> {};

template <class Storage, class Hash, class KeyEqual, class Allocator>
class basic_container : public node_types<Storage, Allocator>, public container_tag {
  protected:
    using node_types_t = node_types<Storage, Allocator>;
    using table_type = concurrent_table<Storage, Hash, KeyEqual, Allocator>;
    using kind = typename Storage::kind;
    // Sets visit elements as const, whatever the call (as Boost's do).
    static constexpr bool const_elements =
        std::is_same_v<typename Storage::key_type, typename Storage::value_type>;
    template <class K>
    using enable_transparent_t =
        std::enable_if_t<table_type::transparent && !is_execution_policy_v<K>, int>;
    template <class P>
    using enable_policy_t = std::enable_if_t<is_execution_policy_v<P>, int>;
    // A whole-container call whose first argument is no policy tophash knows:
    // most likely std::execution::par in a program that included <execution>
    // after tophash. One clear error instead of a page of overloads.
    template <class P>
    using enable_unknown_policy_t = std::enable_if_t<!is_execution_policy_v<P>, int>;
    template <class P>
    static void reject_policy() {
        static_assert(dependent_false_v<P>,
                      "tophash: a standard execution policy needs <execution> included before "
                      "tophash's headers, or TOPHASH_ENABLE_PARALLEL_ALGORITHMS defined (with "
                      "libstdc++, also -ltbb); tophash::threads{n} needs neither");
    }
    // A set with a transparent hasher and equality takes any other key type
    // through basic_set's insert(K&&) (built only if absent, as Boost's).
    static constexpr bool transparent_set_inserts = const_elements && table_type::transparent;
    template <class Ty>
    using enable_if_value_t =
        std::enable_if_t<std::is_constructible_v<typename Storage::value_type, Ty&&> &&
                             !std::is_same_v<remove_cvref_t<Ty>, typename Storage::init_type> &&
                             (!transparent_set_inserts ||
                              std::is_same_v<remove_cvref_t<Ty>, typename Storage::value_type>),
                         int>;

  public:
    using key_type = typename Storage::key_type;
    using value_type = typename Storage::value_type;
    using init_type = typename Storage::init_type;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using allocator_type = Allocator;
    using pointer = typename std::allocator_traits<Allocator>::pointer;
    using const_pointer = typename std::allocator_traits<Allocator>::const_pointer;
    using reference = value_type&;
    using const_reference = const value_type&;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    // Keys a bulk visit looks up together.
    static constexpr size_type bulk_visit_size = table_type::bulk_batch;
    // Whether find/contains/cvisit read without locking (lock_free_read.hpp).
    static constexpr bool optimistic_reads = table_type::lock_free_reads;

    // ------------------------------------------------------------ construction
    basic_container() = default;
    explicit basic_container(size_type n, const hasher& hf = hasher(),
                             const key_equal& eql = key_equal(),
                             const allocator_type& a = allocator_type())
        : table_(n, hf, eql, a) {}
    basic_container(size_type n, const allocator_type& a) : table_(n, hasher(), key_equal(), a) {}
    basic_container(size_type n, const hasher& hf, const allocator_type& a)
        : table_(n, hf, key_equal(), a) {}
    explicit basic_container(const allocator_type& a) : table_(0, hasher(), key_equal(), a) {}
    template <class It, enable_if_iterator_t<It> = 0>
    basic_container(It first, It last, size_type n = 0, const hasher& hf = hasher(),
                    const key_equal& eql = key_equal(), const allocator_type& a = allocator_type())
        : table_(n, hf, eql, a) {
        insert(first, last);
    }
    template <class It, enable_if_iterator_t<It> = 0>
    basic_container(It first, It last, const allocator_type& a)
        : basic_container(first, last, 0, hasher(), key_equal(), a) {}
    template <class It, enable_if_iterator_t<It> = 0>
    basic_container(It first, It last, size_type n, const allocator_type& a)
        : basic_container(first, last, n, hasher(), key_equal(), a) {}
    template <class It, enable_if_iterator_t<It> = 0>
    basic_container(It first, It last, size_type n, const hasher& hf, const allocator_type& a)
        : basic_container(first, last, n, hf, key_equal(), a) {}
    basic_container(std::initializer_list<value_type> il, size_type n = 0,
                    const hasher& hf = hasher(), const key_equal& eql = key_equal(),
                    const allocator_type& a = allocator_type())
        : basic_container(il.begin(), il.end(), n, hf, eql, a) {}
    basic_container(std::initializer_list<value_type> il, const allocator_type& a)
        : basic_container(il.begin(), il.end(), 0, hasher(), key_equal(), a) {}
    basic_container(std::initializer_list<value_type> il, size_type n, const allocator_type& a)
        : basic_container(il.begin(), il.end(), n, hasher(), key_equal(), a) {}
    basic_container(std::initializer_list<value_type> il, size_type n, const hasher& hf,
                    const allocator_type& a)
        : basic_container(il.begin(), il.end(), n, hf, key_equal(), a) {}
    // Copies are consistent: `other`'s writers wait meanwhile (Boost: "blocking").
    basic_container(const basic_container& other)
        : basic_container(other,
                          std::allocator_traits<Allocator>::select_on_container_copy_construction(
                              other.get_allocator())) {}
    basic_container(const basic_container& other, const allocator_type& a)
        : table_(0, other.hash_function(), other.key_eq(), a) {
        copy_from(other);
    }
    // From an rvalue non-concurrent container of the same types (Boost:
    // from its unordered_flat_map&& and siblings): its hasher, equality and
    // allocator are taken, its elements moved in one by one (Boost takes
    // its array instead: docs/api.md), and it is left empty.
    template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C> &&
                                            is_foreign_container<C, basic_container>::value,
                                        int> = 0>
    basic_container(C&& other)
        : table_(other.size(), other.hash_function(), other.key_eq(), other.get_allocator()) {
        for (auto& v : other)
            emplace_value("insert", std::move(v), nv_, nv_);
        other.clear();
    }
    template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C> &&
                                            is_foreign_container<C, basic_container>::value,
                                        int> = 0>
    basic_container& operator=(C&& other) {
        basic_container tmp(std::move(other));
        table_.move_assign(tmp.table_);
        return *this;
    }
    // No other thread may use `other` meanwhile (docs/api.md).
    basic_container(basic_container&& other) noexcept = default;
    // Takes other's arrays if `a` equals its allocator, else moves its
    // elements one by one (blocking on other, as move assignment).
    basic_container(basic_container&& other, const allocator_type& a)
        : table_(0, other.hash_function(), other.key_eq(), a) {
        table_.move_assign(other.table_, false);
    }
    // Blocking on *this and other (Boost): operations on either that run
    // meanwhile wait; the allocator propagates as its traits say.
    basic_container& operator=(const basic_container& other) {
        table_.copy_assign(other.table_);
        return *this;
    }
    // noexcept as Boost's: by the allocator's traits alone.
    basic_container& operator=(basic_container&& other) noexcept(
        std::allocator_traits<Allocator>::is_always_equal::value ||
        std::allocator_traits<Allocator>::propagate_on_container_move_assignment::value) {
        table_.move_assign(other.table_);
        return *this;
    }
    basic_container& operator=(std::initializer_list<value_type> il) {
        assign(il);
        return *this;
    }
    ~basic_container() = default;

    hasher hash_function() const { return table_.hash_function(); }
    key_equal key_eq() const { return table_.key_eq(); }
    allocator_type get_allocator() const noexcept { return table_.get_allocator(); }

    // ------------------------------------------------------------ visitation
    // f(value_type&) for maps (under the stripe's exclusive lock; on a copy
    // stored back where reads are lock-free), f(const value_type&) for sets.
    template <class F>
    size_type visit(const key_type& k, F f) {
        return visit_key("visit", k, f);
    }
    template <class F>
    size_type visit(const key_type& k, F f) const {
        table_.check_reentry("visit");
        return table_.cvisit(k, f);
    }
    template <class F>
    size_type cvisit(const key_type& k, F f) const {
        table_.check_reentry("cvisit");
        return table_.cvisit(k, f);
    }
    template <class K, class F, enable_transparent_t<K> = 0>
    size_type visit(const K& k, F f) {
        return visit_key("visit", k, f);
    }
    template <class K, class F, enable_transparent_t<K> = 0>
    size_type visit(const K& k, F f) const {
        table_.check_reentry("visit");
        return table_.cvisit(k, f);
    }
    template <class K, class F, enable_transparent_t<K> = 0>
    size_type cvisit(const K& k, F f) const {
        table_.check_reentry("cvisit");
        return table_.cvisit(k, f);
    }
    // Bulk: every key of [first, last); the const forms batch the lookups
    // (bulk_visit_size at a time), overlapping their cache misses.
    template <class It, class F, enable_if_iterator_t<It> = 0>
    size_type visit(It first, It last, F f) {
        size_type n = 0;
        for (; first != last; ++first)
            n += visit_key("visit", *first, f);
        return n;
    }
    template <class It, class F, enable_if_iterator_t<It> = 0>
    size_type visit(It first, It last, F f) const {
        table_.check_reentry("visit");
        return table_.cvisit_bulk(first, last, f);
    }
    template <class It, class F, enable_if_iterator_t<It> = 0>
    size_type cvisit(It first, It last, F f) const {
        table_.check_reentry("cvisit");
        return table_.cvisit_bulk(first, last, f);
    }

    // Whole container, weakly consistent: an element present for the whole
    // call is visited exactly once, also while resizes run; elements
    // inserted or erased meanwhile may or may not be. f runs under a
    // stripe's lock: writers to that stripe wait, nothing else does.
    template <class F>
    size_type visit_all(F f) {
        return visit_all_impl("visit_all", f);
    }
    template <class F>
    size_type visit_all(F f) const {
        return cvisit_all_impl("visit_all", f);
    }
    template <class F>
    size_type cvisit_all(F f) const {
        return cvisit_all_impl("cvisit_all", f);
    }
    template <class P, class F, enable_policy_t<P> = 0>
    void visit_all(P&& policy, F f) {
        visit_while(std::forward<P>(policy), [&](auto& v) { return f(v), true; });
    }
    template <class P, class F, enable_policy_t<P> = 0>
    void visit_all(P&& policy, F f) const {
        cvisit_while(std::forward<P>(policy), [&](const value_type& v) { return f(v), true; });
    }
    template <class P, class F, enable_policy_t<P> = 0>
    void cvisit_all(P&& policy, F f) const {
        cvisit_while(std::forward<P>(policy), [&](const value_type& v) { return f(v), true; });
    }
    template <class P, class F, enable_unknown_policy_t<P> = 0>
    void visit_all(P&&, F) const {
        reject_policy<P>();
    }
    template <class P, class F, enable_unknown_policy_t<P> = 0>
    void cvisit_all(P&&, F) const {
        reject_policy<P>();
    }
    template <class P, class F, enable_unknown_policy_t<P> = 0>
    bool visit_while(P&&, F) const {
        reject_policy<P>();
        return false;
    }
    template <class P, class F, enable_unknown_policy_t<P> = 0>
    bool cvisit_while(P&&, F) const {
        reject_policy<P>();
        return false;
    }
    // Stops when f returns false; returns false if it did.
    template <class F>
    bool visit_while(F f) {
        auto&& v = visitor(f);
        table_.check_reentry("visit_while");
        return table_.visit_all(v);
    }
    template <class F>
    bool visit_while(F f) const {
        table_.check_reentry("visit_while");
        return table_.cvisit_all(f);
    }
    template <class F>
    bool cvisit_while(F f) const {
        table_.check_reentry("cvisit_while");
        return table_.cvisit_all(f);
    }
    template <class P, class F, enable_policy_t<P> = 0>
    bool visit_while(P&& policy, F f) {
        const auto plan = table_.plan_walk();
        return run_units(std::forward<P>(policy), plan.stripes, [&](std::size_t i) {
            auto&& v = visitor(f);
            table_.check_reentry("visit_while");
            return table_.visit_all_in(plan, i, v);
        });
    }
    template <class P, class F, enable_policy_t<P> = 0>
    bool visit_while(P&& policy, F f) const {
        return cvisit_while(std::forward<P>(policy), f);
    }
    template <class P, class F, enable_policy_t<P> = 0>
    bool cvisit_while(P&& policy, F f) const {
        const auto plan = table_.plan_walk();
        return run_units(std::forward<P>(policy), plan.stripes, [&](std::size_t i) {
            table_.check_reentry("cvisit_while");
            return table_.cvisit_all_in(plan, i, f);
        });
    }
    // tophash: f(const value_type&) for every element (cvisit_all).
    template <class F>
    void for_each(F f) const {
        table_.check_reentry("for_each");
        table_.cvisit_all(f);
    }
    template <class P, class F, enable_policy_t<P> = 0>
    void for_each(P&& policy, F f) const {
        cvisit_all(std::forward<P>(policy), f);
    }

    // ------------------------------------------------------------ capacity
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    // Exact when no insert or erase completes during the call; otherwise off
    // by at most the number of those that overlapped it.
    size_type size() const noexcept { return table_.size(); }
    size_type max_size() const noexcept { return table_.max_size(); }

#if TOPHASH_HAS_RANGES
    template <from_range_tag FR, compatible_range<value_type> R>
    basic_container(FR&&, R&& rg, size_type n = 0, const hasher& hf = hasher(),
                    const key_equal& eql = key_equal(), const allocator_type& a = allocator_type())
        : table_(n, hf, eql, a) {
        insert_range(std::forward<R>(rg));
    }
    template <from_range_tag FR, compatible_range<value_type> R>
    basic_container(FR&& tag, R&& rg, const allocator_type& a)
        : basic_container(std::forward<FR>(tag), std::forward<R>(rg), 0, hasher(), key_equal(), a) {
    }
    template <from_range_tag FR, compatible_range<value_type> R>
    basic_container(FR&& tag, R&& rg, size_type n, const allocator_type& a)
        : basic_container(std::forward<FR>(tag), std::forward<R>(rg), n, hasher(), key_equal(), a) {
    }
    template <from_range_tag FR, compatible_range<value_type> R>
    basic_container(FR&& tag, R&& rg, size_type n, const hasher& hf, const allocator_type& a)
        : basic_container(std::forward<FR>(tag), std::forward<R>(rg), n, hf, key_equal(), a) {}
#endif

    // ------------------------------------------------------------ insertion
    // Ty: anything value_type is constructible from (Boost's overload set:
    // a braced {k, v} selects init_type).
    template <class Ty, enable_if_value_t<Ty> = 0>
    bool insert(Ty&& v) {
        return emplace_value("insert", std::forward<Ty>(v), nv_, nv_);
    }
    bool insert(init_type&& v) {
        return emplace_value("insert", std::move(v), nv_, nv_);
    }
    // Lvalues (a set's value_type is its init_type; a map's value_type
    // lvalue takes the Ty form).
    bool insert(const init_type& v) {
        return emplace_value("insert", v, nv_, nv_);
    }
    template <class It, enable_if_iterator_t<It> = 0>
    size_type insert(It first, It last) {
        return insert_each<false>("insert", first, last, nv_, nv_);
    }
    size_type insert(std::initializer_list<value_type> il) {
        return insert(il.begin(), il.end());
    }
#if TOPHASH_HAS_RANGES
    // C++20 ranges, as Boost's insert_range*: counts as the iterator forms
    // (a range's end may be a sentinel of another type).
    template <compatible_range<value_type> R>
    size_type insert_range(R&& rg) {
        return insert_each<false>("insert_range", std::ranges::begin(rg), std::ranges::end(rg), nv_,
                                  nv_);
    }
    template <compatible_range<value_type> R, class F>
    size_type insert_range_or_visit(R&& rg, F f) {
        return insert_each<true>("insert_range_or_visit", std::ranges::begin(rg),
                                 std::ranges::end(rg), visitor(f), nv_);
    }
    template <compatible_range<value_type> R, class F>
    size_type insert_range_or_cvisit(R&& rg, F f) {
        return insert_each<true>("insert_range_or_cvisit", std::ranges::begin(rg),
                                 std::ranges::end(rg), cvisitor(f), nv_);
    }
    template <compatible_range<value_type> R, class F1, class F2>
    size_type insert_range_and_visit(R&& rg, F1 f1, F2 f2) {
        return insert_each<true>("insert_range_and_visit", std::ranges::begin(rg),
                                 std::ranges::end(rg), visitor(f2), visitor(f1));
    }
    template <compatible_range<value_type> R, class F1, class F2>
    size_type insert_range_and_cvisit(R&& rg, F1 f1, F2 f2) {
        return insert_each<true>("insert_range_and_cvisit", std::ranges::begin(rg),
                                 std::ranges::end(rg), cvisitor(f2), visitor(f1));
    }
#endif

    template <class Ty, class F, enable_if_value_t<Ty> = 0>
    bool insert_or_visit(Ty&& v, F f) {
        return emplace_value("insert_or_visit", std::forward<Ty>(v), visitor(f), nv_);
    }
    template <class F>
    bool insert_or_visit(init_type&& v, F f) {
        return emplace_value("insert_or_visit", std::move(v), visitor(f), nv_);
    }
    template <class F>
    bool insert_or_visit(const init_type& v, F f) {
        return emplace_value("insert_or_visit", v, visitor(f), nv_);
    }
    template <class Ty, class F, enable_if_value_t<Ty> = 0>
    bool insert_or_cvisit(Ty&& v, F f) {
        return emplace_value("insert_or_cvisit", std::forward<Ty>(v), cvisitor(f), nv_);
    }
    template <class F>
    bool insert_or_cvisit(init_type&& v, F f) {
        return emplace_value("insert_or_cvisit", std::move(v), cvisitor(f), nv_);
    }
    template <class F>
    bool insert_or_cvisit(const init_type& v, F f) {
        return emplace_value("insert_or_cvisit", v, cvisitor(f), nv_);
    }
    template <class It, class F, enable_if_iterator_t<It> = 0>
    size_type insert_or_visit(It first, It last, F f) {
        return insert_each<true>("insert_or_visit", first, last, visitor(f), nv_);
    }
    template <class It, class F, enable_if_iterator_t<It> = 0>
    size_type insert_or_cvisit(It first, It last, F f) {
        return insert_each<true>("insert_or_cvisit", first, last, cvisitor(f), nv_);
    }
    // The visitors are passed on by reference: move-only ones work (Boost).
    template <class F>
    size_type insert_or_visit(std::initializer_list<value_type> il, F f) {
        return insert_each<true>("insert_or_visit", il.begin(), il.end(), visitor(f), nv_);
    }
    template <class F>
    size_type insert_or_cvisit(std::initializer_list<value_type> il, F f) {
        return insert_each<true>("insert_or_cvisit", il.begin(), il.end(), cvisitor(f), nv_);
    }

    template <class Ty, class F1, class F2, enable_if_value_t<Ty> = 0>
    bool insert_and_visit(Ty&& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_visit", std::forward<Ty>(v), visitor(f2), visitor(f1));
    }
    template <class F1, class F2>
    bool insert_and_visit(init_type&& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_visit", std::move(v), visitor(f2), visitor(f1));
    }
    template <class F1, class F2>
    bool insert_and_visit(const init_type& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_visit", v, visitor(f2), visitor(f1));
    }
    template <class Ty, class F1, class F2, enable_if_value_t<Ty> = 0>
    bool insert_and_cvisit(Ty&& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_cvisit", std::forward<Ty>(v), cvisitor(f2), visitor(f1));
    }
    template <class F1, class F2>
    bool insert_and_cvisit(init_type&& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_cvisit", std::move(v), cvisitor(f2), visitor(f1));
    }
    template <class F1, class F2>
    bool insert_and_cvisit(const init_type& v, F1 f1, F2 f2) {
        return emplace_value("insert_and_cvisit", v, cvisitor(f2), visitor(f1));
    }
    template <class It, class F1, class F2, enable_if_iterator_t<It> = 0>
    size_type insert_and_visit(It first, It last, F1 f1, F2 f2) {
        return insert_each<true>("insert_and_visit", first, last, visitor(f2), visitor(f1));
    }
    template <class It, class F1, class F2, enable_if_iterator_t<It> = 0>
    size_type insert_and_cvisit(It first, It last, F1 f1, F2 f2) {
        return insert_each<true>("insert_and_cvisit", first, last, cvisitor(f2), visitor(f1));
    }
    template <class F1, class F2>
    size_type insert_and_visit(std::initializer_list<value_type> il, F1 f1, F2 f2) {
        return insert_each<true>("insert_and_visit", il.begin(), il.end(), visitor(f2),
                                 visitor(f1));
    }
    template <class F1, class F2>
    size_type insert_and_cvisit(std::initializer_list<value_type> il, F1 f1, F2 f2) {
        return insert_each<true>("insert_and_cvisit", il.begin(), il.end(), cvisitor(f2),
                                 visitor(f1));
    }

    // emplace(args...) builds the element first (flat: a temporary moved in
    // if its key is new; node: the node itself), as Boost's does.
    template <class... Args>
    bool emplace(Args&&... args) {
        return emplace_args("emplace", nv_, nv_, std::forward<Args>(args)...);
    }
    // emplace_or_[c]visit(args..., f), emplace_and_[c]visit(args..., f1, f2)
    template <class... Args>
    bool emplace_or_visit(Args&&... args) {
        return call_with_trailing<1>(
            [&](auto fs, auto&&... a) {
                return emplace_args("emplace_or_visit", visitor(std::get<0>(fs)), nv_,
                                    std::forward<decltype(a)>(a)...);
            },
            std::forward<Args>(args)...);
    }
    template <class... Args>
    bool emplace_or_cvisit(Args&&... args) {
        return call_with_trailing<1>(
            [&](auto fs, auto&&... a) {
                return emplace_args("emplace_or_cvisit", cvisitor(std::get<0>(fs)), nv_,
                                    std::forward<decltype(a)>(a)...);
            },
            std::forward<Args>(args)...);
    }
    template <class... Args>
    bool emplace_and_visit(Args&&... args) {
        return call_with_trailing<2>(
            [&](auto fs, auto&&... a) {
                return emplace_args("emplace_and_visit", visitor(std::get<1>(fs)),
                                    visitor(std::get<0>(fs)), std::forward<decltype(a)>(a)...);
            },
            std::forward<Args>(args)...);
    }
    template <class... Args>
    bool emplace_and_cvisit(Args&&... args) {
        return call_with_trailing<2>(
            [&](auto fs, auto&&... a) {
                return emplace_args("emplace_and_cvisit", cvisitor(std::get<1>(fs)),
                                    visitor(std::get<0>(fs)), std::forward<decltype(a)>(a)...);
            },
            std::forward<Args>(args)...);
    }

    // ------------------------------------------------------------ node handles
    // Node containers (Boost): extract takes the element out, node and all;
    // insert(node_type&&) puts it in (allocators must compare equal), and
    // returns it in insert_return_type::node if its key was present.
    template <class NT = node_types_t>
    typename NT::node_type extract(const key_type& k) {
        return extract_node<NT>("extract", k, always_);
    }
    template <class K, class NT = node_types_t, enable_transparent_t<K> = 0>
    typename NT::node_type extract(const K& k) {
        return extract_node<NT>("extract", k, always_);
    }
    template <class F, class NT = node_types_t>
    typename NT::node_type extract_if(const key_type& k, F f) {
        auto&& p = visitor(f);
        return extract_node<NT>("extract_if", k, p);
    }
    template <class K, class F, class NT = node_types_t, enable_transparent_t<K> = 0>
    typename NT::node_type extract_if(const K& k, F f) {
        auto&& p = visitor(f);
        return extract_node<NT>("extract_if", k, p);
    }
    template <class NT = node_types_t>
    typename NT::insert_return_type insert(typename NT::node_type&& nh) {
        return insert_node<NT>("insert", nh, nv_, nv_);
    }
    template <class F, class NT = node_types_t>
    typename NT::insert_return_type insert_or_visit(typename NT::node_type&& nh, F f) {
        return insert_node<NT>("insert_or_visit", nh, visitor(f), nv_);
    }
    template <class F, class NT = node_types_t>
    typename NT::insert_return_type insert_or_cvisit(typename NT::node_type&& nh, F f) {
        return insert_node<NT>("insert_or_cvisit", nh, cvisitor(f), nv_);
    }
    template <class F1, class F2, class NT = node_types_t>
    typename NT::insert_return_type insert_and_visit(typename NT::node_type&& nh, F1 f1, F2 f2) {
        return insert_node<NT>("insert_and_visit", nh, visitor(f2), visitor(f1));
    }
    template <class F1, class F2, class NT = node_types_t>
    typename NT::insert_return_type insert_and_cvisit(typename NT::node_type&& nh, F1 f1, F2 f2) {
        return insert_node<NT>("insert_and_cvisit", nh, cvisitor(f2), visitor(f1));
    }

    // ------------------------------------------------------------ erasure
    size_type erase(const key_type& k) {
        table_.check_reentry("erase");
        return table_.erase_if(k, always_);
    }
    template <class K, enable_transparent_t<K> = 0>
    size_type erase(const K& k) {
        table_.check_reentry("erase");
        return table_.erase_if(k, always_);
    }
    // pred(value_type&) (const for sets); with lock-free reads it works on a
    // copy, stored back if the element stays, so it may update the element.
    template <class F>
    size_type erase_if(const key_type& k, F f) {
        auto&& p = visitor(f);
        table_.check_reentry("erase_if");
        return table_.erase_if(k, p);
    }
    template <class K, class F, enable_transparent_t<K> = 0>
    size_type erase_if(const K& k, F f) {
        auto&& p = visitor(f);
        table_.check_reentry("erase_if");
        return table_.erase_if(k, p);
    }
    // Weakly consistent, as visit_all; returns the number erased.
    template <class F>
    size_type erase_if(F f) {
        auto&& p = visitor(f);
        table_.check_reentry("erase_if");
        return table_.erase_if(p);
    }
    template <class P, class F, enable_policy_t<P> = 0>
    void erase_if(P&& policy, F f) {
        auto&& p = visitor(f);
        const auto plan = table_.plan_walk();
        run_units(std::forward<P>(policy), plan.stripes, [&](std::size_t i) {
            table_.check_reentry("erase_if");
            table_.erase_if_in(plan, i, p);
            return true;
        });
    }
    template <
        class P, class F, enable_unknown_policy_t<P> = 0,
        std::enable_if_t<
            !table_type::transparent && !std::is_convertible_v<const P&, const key_type&>, int> = 0>
    void erase_if(P&&, F) {
        reject_policy<P>();
    }
    // Removes every element; inserts that run meanwhile may survive.
    void clear() noexcept {
        table_.clear();
    }
    // Blocking on both (Boost); the allocators are swapped if
    // propagate_on_container_swap, else they must compare equal.
    void swap(basic_container& other) noexcept(
        std::allocator_traits<Allocator>::is_always_equal::value ||
        std::allocator_traits<Allocator>::propagate_on_container_swap::value) {
        table_.swap(other.table_);
    }
    // Move-inserts the elements of `source` whose keys are absent here and
    // erases them from `source`; returns how many moved. Weakly consistent
    // on `source` (as erase_if).
    template <class H2, class E2>
    size_type merge(basic_container<Storage, H2, E2, Allocator>& source) {
        if (static_cast<const void*>(&source) == static_cast<const void*>(this)) return 0;
        table_.check_reentry("merge");
        source.table_.check_reentry("merge");
        size_type moved = 0;
        // It holds a stripe of source while it inserts here: no other
        // two-container operation on either may run meanwhile (concurrent_table.hpp, blocking
        // operations).
        if constexpr (Storage::stable_references) {
            // Nodes change hands: no element is moved or copied (Boost).
            auto take = [&](typename table_type::element_type& node) {
                // Not taken (present here, or a throw): it stays in source.
                const bool in = adopt_node("merge", node, nv_, nv_, [] {});
                moved += in;
                return in;
            };
            table_.with_pair_locked(source.table_, [&] { source.table_.transfer_if(take); });
        } else {
            // The element is moved, key included (as Boost's merge), only
            // if it goes in: it is then erased from source at once.
            auto move_in = [&](value_type& v) {
                const bool in = emplace_moving_out("merge", v, nv_, nv_);
                moved += in;
                return in;
            };
            table_.with_pair_locked(source.table_, [&] { source.table_.erase_if(move_in); });
        }
        return moved;
    }
    template <class H2, class E2>
    size_type merge(basic_container<Storage, H2, E2, Allocator>&& source) {
        return merge(source);
    }

    // ------------------------------------------------------------ lookup
    size_type count(const key_type& k) const {
        return contains(k) ? 1 : 0;
    }
    template <class K, enable_transparent_t<K> = 0>
    size_type count(const K& k) const {
        return contains(k) ? 1 : 0;
    }
    // Never copies the element.
    bool contains(const key_type& k) const {
        table_.check_reentry("contains");
        return table_.contains(k);
    }
    template <class K, enable_transparent_t<K> = 0>
    bool contains(const K& k) const {
        table_.check_reentry("contains");
        return table_.contains(k);
    }

    // ------------------------------------------------------------ hash policy
    size_type bucket_count() const noexcept {
        return table_.slot_count();
    }
    float load_factor() const noexcept {
        const size_type n = bucket_count();
        return n == 0 ? 0.0f : static_cast<float>(size()) / static_cast<float>(n);
    }
    // Fixed, as in Boost: 13 of every 16 head slots (detail/table.hpp).
    float max_load_factor() const noexcept {
        return static_cast<float>(max_load_num) / static_cast<float>(max_load_den);
    }
    void max_load_factor(float) {}
    size_type max_load() const noexcept {
        return table_.max_load();
    }
    // As Boost's: at least n slots and room for size() elements, growing or
    // shrinking to get there. reserve(n) makes room for n elements (never
    // shrinks); shrink_to_fit() moves the elements into the smallest array
    // that holds them. All finish a resize in progress on the calling thread;
    // other threads keep reading and writing meanwhile.
    // (size() may pass max_load() by the lag of the growth trigger's
    // estimate: both grow back under it first.)
    // rehash(0) of an empty container frees its arrays (bucket_count() 0),
    // blocking as Boost's. Neither rehash nor shrink_to_fit keeps the next
    // array a growth had prepared (docs/design.md, Growth).
    void rehash(size_type n) {
        if (n == 0 && table_.release_if_empty()) return;
        const size_type elements = std::max(capacity_of((n + width - 1) / width), size());
        if (elements != 0) table_.reserve(elements);
        table_.shrink_to_fit(elements);
        table_.drop_prepared();
    }
    void reserve(size_type n) {
        table_.reserve(n);
    }
    void shrink_to_fit() {
        if (const size_type n = size()) table_.reserve(n);
        table_.shrink_to_fit(0);
        table_.drop_prepared();
    }

    // ------------------------------------------------------------ tophash
    // The elements of one moment, copied into a sequential container (any
    // with insert(end(), value)); writers wait meanwhile, readers do not.
    template <class Container = std::vector<value_type>>
    Container snapshot() const {
        Container c;
        auto add = [&](const value_type& v) { append(c, v); };
        table_.check_reentry("snapshot");
        table_.cvisit_all_consistent(add);
        return c;
    }
    map_stats stats() const {
        return table_.stats();
    }
    debug::bucket_view inspect_bucket(std::size_t bucket_index) const {
        return table_.inspect_bucket(bucket_index);
    }
    template <class K>
    std::size_t bucket_of(const K& key) const {
        return table_.bucket_of(key);
    }

  protected:
    template <class, class, class, class>
    friend class basic_container;

    void assign(std::initializer_list<value_type> il) {
        clear();
        insert(il);
    }

    template <class C, class V>
    static auto append(C& c, const V& v) -> decltype(c.push_back(v)) {
        return c.push_back(v);
    }
    template <class C, class V, class... Ignored>
    static void append(C& c, const V& v, Ignored...) {
        c.insert(c.end(), v);
    }
    static constexpr size_type width = bucket_width;

    static constexpr always_true always_{};
    static constexpr no_visit nv_{};

    // A user's visitor as the engine takes it: mutable for maps, const for
    // sets (and for every _cvisit call).
    template <class F>
    static auto visitor(F& f) {
        if constexpr (const_elements) {
            return const_visitor<F>{f};
        } else {
            return std::ref(f);
        }
    }
    template <class F>
    static const_visitor<F> cvisitor(F& f) {
        return {f};
    }

    // Non-const visits hold the element's stripe exclusively, for sets too
    // (Boost: a visitor may change mutable members of a set's element);
    // sets' visitors still see it as const.
    template <class K, class F>
    size_type visit_key(const char* what, const K& k, F& f) {
        auto&& v = visitor(f);
        table_.check_reentry(what);
        return table_.visit(k, v);
    }
    template <class F>
    size_type visit_all_impl(const char* what, F& f) {
        size_type n = 0;
        auto count = [&](auto& v) {
            ++n;
            f(v);
        };
        auto&& v = visitor(count);
        table_.check_reentry(what);
        table_.visit_all(v);
        return n;
    }
    template <class F>
    size_type cvisit_all_impl(const char* what, F& f) const {
        size_type n = 0;
        auto count = [&](const value_type& v) {
            ++n;
            f(v);
        };
        table_.check_reentry(what);
        table_.cvisit_all(count);
        return n;
    }

    // Inserts each element of [first, last) (last may be a sentinel). Returns
    // the number inserted, or with Processed the number of elements: Boost's
    // count for the _or_ and _and_ forms.
    template <bool Processed, class It, class End, class OnFound, class OnNew>
    size_type insert_each(const char* what, It first, End last, OnFound on_found, OnNew on_new) {
        size_type n = 0;
        for (; first != last; ++first) {
            const bool inserted = emplace_value(what, *first, on_found, on_new);
            n += Processed || inserted;
        }
        return n;
    }

    // Inserts v (a value_type or init_type, whose key is readable without
    // building anything), else builds the element first.
    template <class V, class OnFound, class OnNew>
    bool emplace_value(const char* what, V&& v, OnFound&& on_found, OnNew&& on_new) {
        using D = std::remove_cv_t<std::remove_reference_t<V>>;
        if constexpr (std::is_same_v<D, value_type> || std::is_same_v<D, init_type>) {
            table_.check_reentry(what);
            return table_.emplace_or_visit(kind::key_of(v), on_found, on_new, std::forward<V>(v));
        } else {
            return emplace_args(what, on_found, on_new, std::forward<V>(v));
        }
    }
    template <class OnFound, class OnNew, class... Args>
    bool emplace_args(const char* what, OnFound&& on_found, OnNew&& on_new, Args&&... args) {
        if constexpr (is_single_value<Args...>()) {
            return emplace_value(what, std::forward<Args>(args)..., on_found, on_new);
        } else if constexpr (!std::is_constructible_v<init_type, Args&&...>) {
            // Convertible to value_type only (Boost builds value_type then):
            // a value_type temporary, moved in if its key is absent.
            value_type tmp(std::forward<Args>(args)...);
            return emplace_moving_out(what, tmp, on_found, on_new);
        } else {
            table_.check_reentry(what);
            return table_.emplace_staged_or_visit(table_.stage(std::forward<Args>(args)...),
                                                  on_found, on_new);
        }
    }
    // Inserts v's contents, key included, moving them out of v only if its
    // key is absent: for an element the caller discards right after (a
    // temporary, or merge's source element, erased once it went in).
    template <class OnFound, class OnNew>
    bool emplace_moving_out(const char* what, value_type& v, OnFound&& on_found, OnNew&& on_new) {
        if constexpr (const_elements) {
            table_.check_reentry(what);
            return table_.emplace_or_visit(v, on_found, on_new, std::move(v));
        } else {
            using K = typename Storage::key_type;
            table_.check_reentry(what);
            return table_.emplace_or_visit(v.first, on_found, on_new,
                                           std::move(const_cast<K&>(v.first)), std::move(v.second));
        }
    }
    template <class... Args>
    static constexpr bool key_then_mapped() {
        if constexpr (!const_elements && sizeof...(Args) == 2) {
            using A0 = std::tuple_element_t<0, std::tuple<Args&&...>>;
            using A1 = std::tuple_element_t<1, std::tuple<Args&&...>>;
            using K = typename Storage::key_type;
            using T = typename kind::mapped_type;
            return !std::is_same_v<remove_cvref_t<A0>, std::piecewise_construct_t> &&
                   std::is_constructible_v<K, A0> && std::is_constructible_v<T, A1>;
        } else {
            return false;
        }
    }
    // A map's plain emplace(k, v): the key is built first and looked up,
    // the mapped value only if the key is absent (Boost's emplace; its
    // _or_/_and_ visit forms build the whole element first, as emplace_args).
    template <class OnFound, class OnNew, class A0, class A1>
    bool emplace_key_then_mapped(const char* what, OnFound&& on_found, OnNew&& on_new, A0&& a0,
                                 A1&& a1) {
        typename Storage::key_type k(std::forward<A0>(a0));
        table_.check_reentry(what);
        return table_.emplace_or_visit(k, on_found, on_new, std::piecewise_construct,
                                       std::forward_as_tuple(std::move(k)),
                                       std::forward_as_tuple(std::forward<A1>(a1)));
    }
    template <class... Args>
    static constexpr bool is_single_value() {
        if constexpr (sizeof...(Args) == 1) {
            using D = remove_cvref_t<std::tuple_element_t<0, std::tuple<Args...>>>;
            return std::is_same_v<D, value_type> || std::is_same_v<D, init_type>;
        } else {
            return false;
        }
    }

    template <class NT, class K, class P>
    typename NT::node_type extract_node(const char* what, const K& k, P& pred) {
        table_.check_reentry(what);
        auto* p = table_.extract_if(k, pred);
        if (p == nullptr) return {};
        return typename NT::node_type(p, get_allocator());
    }
    template <class NT, class OnFound, class OnNew>
    typename NT::insert_return_type insert_node(const char* what, typename NT::node_type& nh,
                                                OnFound&& on_found, OnNew&& on_new) {
        if (nh.empty()) return {false, {}};
#if TOPHASH_ASSERTS
        if (!(nh.get_allocator() == get_allocator())) {
            std::fprintf(stderr,
                         "tophash: %s(node_type&&) of a node whose allocator compares "
                         "unequal to the container's\n",
                         what);
            std::abort();
        }
#endif
        if (adopt_node(what, nh.get(), on_found, on_new, [&] { nh.release(); })) return {true, {}};
        return {false, std::move(nh)};
    }
    // Puts node p into the table unless its key is present; true if it went
    // in. taken() runs once the table owns p, also when a visitor throws
    // after it went in; otherwise p stays the caller's.
    template <class OnFound, class OnNew, class Taken>
    bool adopt_node(const char* what, value_type* p, OnFound&& on_found, OnNew&& on_new,
                    Taken&& taken) {
        typename table_type::staged_type st(get_allocator(), p);
        bool in = false;
        TOPHASH_TRY {
            table_.check_reentry(what);
            in = table_.emplace_staged_or_visit(std::move(st), on_found, on_new);
        }
        TOPHASH_CATCH_ALL {
            if (st.release() == nullptr) taken();
            TOPHASH_RETHROW;
        }
        if (in) {
            taken();
        } else {
            st.release();
        }
        return in;
    }

    void copy_from(const basic_container& other) {
        auto add = [&](const value_type& v) { emplace_value("copy", v, nv_, nv_); };
        other.table_.check_reentry("copy");
        other.table_.cvisit_all_consistent(add);
    }

    table_type table_;
};

template <class S, class H, class E, class A>
bool equal_elements_locked(const concurrent_table<S, H, E, A>& x,
                           const concurrent_table<S, H, E, A>& y);

// Equal sizes and every element of x present in y with an equal value
// (operator== of value_type). Consistent on x (its writers wait).
template <class S, class H, class E, class A>
bool equal_elements(const concurrent_table<S, H, E, A>& x, const concurrent_table<S, H, E, A>& y) {
    if (&x == &y) return true;
    x.check_reentry("operator==");
    y.check_reentry("operator==");
    return x.with_pair_locked(y, [&] { return equal_elements_locked(x, y); });
}
template <class S, class H, class E, class A>
bool equal_elements_locked(const concurrent_table<S, H, E, A>& x,
                           const concurrent_table<S, H, E, A>& y) {
    if (x.size() != y.size()) return false;
    bool equal = true;
    auto check = [&](const typename S::value_type& v) {
        if (!equal) return;
        bool same = false;
        auto cmp = [&](const typename S::value_type& w) { same = v == w; };
        y.cvisit(S::kind::key_of(v), cmp);
        equal = same;
    };
    x.cvisit_all_consistent(check);
    return equal;
}

}  // namespace tophash::detail
