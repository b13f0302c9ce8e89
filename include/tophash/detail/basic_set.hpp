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

  public:
    using base::base;
    using typename base::key_type;
    using typename base::value_type;

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
    template <class K>
    std::optional<key_type> find_impl(const K& k) const {
        std::optional<key_type> out;
        auto get = [&](const key_type& v) { out.emplace(v); };
        this->table_.read("find", k, get);
        return out;
    }
};

}  // namespace tophash::detail
