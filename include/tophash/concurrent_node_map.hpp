// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::concurrent_node_map: a concurrent hash map with each element in a node of its own:
// references stay valid while it grows, and elements need not be movable. API: Boost.Unordered's
// boost::concurrent_node_map, plus find() returning std::optional, for_each, snapshot, stats and
// the inspector (docs/api.md).
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>

#include "tophash/detail/basic_map.hpp"
#include "tophash/detail/deduction_guides.hpp"
#include "tophash/detail/element_kinds.hpp"
#include "tophash/detail/node_storage.hpp"
#include "tophash/hash.hpp"

namespace tophash {

template <class Key, class T, class Hash = ::tophash::hash<Key>, class Pred = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class concurrent_node_map
    : public detail::basic_map<detail::node_storage<detail::map_kind<Key, T>, Allocator>, Hash,
                               Pred, Allocator> {
    using base = detail::basic_map<detail::node_storage<detail::map_kind<Key, T>, Allocator>, Hash,
                                   Pred, Allocator>;

  public:
    using base::base;
    using base::operator=;
    // Keeps the hasher, equality and allocator: without it, x = {...} would
    // build a temporary container with default ones and copy-assign it.
    concurrent_node_map& operator=(std::initializer_list<typename base::value_type> il) {
        base::assign(il);
        return *this;
    }
    // Declared here, not only inherited: class template argument deduction
    // from a braced list ({...}) looks for the class's own constructor.
    concurrent_node_map(std::initializer_list<typename base::value_type> il, std::size_t n = 0,
                        const Hash& hf = Hash(), const Pred& eql = Pred(),
                        const Allocator& a = Allocator())
        : base(il, n, hf, eql, a) {}
};

TOPHASH_MAP_DEDUCTION_GUIDES(concurrent_node_map)

template <class Key, class T, class Hash, class Pred, class Allocator>
void swap(concurrent_node_map<Key, T, Hash, Pred, Allocator>& x,
          concurrent_node_map<Key, T, Hash, Pred, Allocator>& y) noexcept(noexcept(x.swap(y))) {
    x.swap(y);
}

template <class Key, class T, class Hash, class Pred, class Allocator, class Predicate>
std::size_t erase_if(concurrent_node_map<Key, T, Hash, Pred, Allocator>& c, Predicate pred) {
    return c.erase_if(pred);
}

}  // namespace tophash
