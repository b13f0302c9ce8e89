// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The set facade (concurrent_set, concurrent_node_set): basic_container,
// whose visitors see const keys, plus find.
#pragma once

#include <optional>

#include "tophash/detail/basic_container.hpp"

namespace tophash::detail {

template <class Storage, class Hash, class KeyEqual, class Allocator>
class basic_set : public basic_container<Storage, Hash, KeyEqual, Allocator> {
    using base = basic_container<Storage, Hash, KeyEqual, Allocator>;
    template <class K>
    using enable_transparent_t = typename base::template enable_transparent_t<K>;

    template <class K>
    using enable_key_insert_t =
        std::enable_if_t<base::transparent_set_inserts &&
                             !std::is_same_v<remove_cvref_t<K>, typename base::value_type> &&
                             !is_node_handle<remove_cvref_t<K>>::value &&
                             !is_execution_policy_v<remove_cvref_t<K>>,
                         int>;

  public:
    using base::base;
    using base::operator=;
    using base::insert;
    using base::insert_and_cvisit;
    using base::insert_and_visit;
    using base::insert_or_cvisit;
    using base::insert_or_visit;
    using typename base::key_type;
    using typename base::value_type;

    // Transparent inserts: the element is built from k only if no equal one
    // is present (Boost's overloads for transparent sets).
    template <class K, enable_key_insert_t<K> = 0>
    bool insert(K&& k) {
        return insert_key("insert", std::forward<K>(k), base::nv_, base::nv_);
    }
    template <class K, class F, enable_key_insert_t<K> = 0>
    bool insert_or_visit(K&& k, F f) {
        return insert_key("insert_or_visit", std::forward<K>(k), base::cvisitor(f), base::nv_);
    }
    template <class K, class F, enable_key_insert_t<K> = 0>
    bool insert_or_cvisit(K&& k, F f) {
        return insert_key("insert_or_cvisit", std::forward<K>(k), base::cvisitor(f), base::nv_);
    }
    template <class K, class F1, class F2, enable_key_insert_t<K> = 0>
    bool insert_and_visit(K&& k, F1 f1, F2 f2) {
        return insert_key("insert_and_visit", std::forward<K>(k), base::cvisitor(f2),
                          base::cvisitor(f1));
    }
    template <class K, class F1, class F2, enable_key_insert_t<K> = 0>
    bool insert_and_cvisit(K&& k, F1 f1, F2 f2) {
        return insert_key("insert_and_cvisit", std::forward<K>(k), base::cvisitor(f2),
                          base::cvisitor(f1));
    }

    // tophash: a copy of the element, if present.
    std::optional<key_type> find(const key_type& k) const { return find_impl(k); }
    template <class K, enable_transparent_t<K> = 0>
    std::optional<key_type> find(const K& k) const {
        return find_impl(k);
    }

    friend bool operator==(const basic_set& x, const basic_set& y) {
        return equal_elements(x.table_, y.table_);
    }
    friend bool operator!=(const basic_set& x, const basic_set& y) { return !(x == y); }

  private:
    template <class K, class OnFound, class OnNew>
    bool insert_key(const char* what, K&& k, OnFound&& on_found, OnNew&& on_new) {
        this->table_.check_reentry(what);
        return this->table_.emplace_or_visit(k, on_found, on_new, std::forward<K>(k));
    }
    template <class K>
    std::optional<key_type> find_impl(const K& k) const {
        std::optional<key_type> out;
        auto get = [&](const key_type& v) { out.emplace(v); };
        this->table_.check_reentry("find");
        this->table_.cvisit(k, get);
        return out;
    }
};

}  // namespace tophash::detail
