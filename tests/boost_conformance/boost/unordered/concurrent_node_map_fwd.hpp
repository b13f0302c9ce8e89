// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent_node_map, renamed: scripts/boost-conformance puts this directory
// before Boost's headers, so that Boost's own tests of concurrent_node_map compile
// unchanged against tophash::concurrent_node_map. A class template deriving from it, not
// an alias: Boost's non-concurrent maps befriend `class concurrent_node_map`.
// The default hasher is tophash::hash, as tophash's (docs/api.md).
#pragma once

#include <boost/container_hash/hash.hpp>  // Boost's fwd headers bring it

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>
#if __has_include(<memory_resource>)
#include <memory_resource>
#endif

#include "tophash/concurrent_node_map.hpp"

namespace boost {
namespace unordered {

template <class Key, class T, class Hash = tophash::hash<Key>, class Pred = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class concurrent_node_map : public tophash::concurrent_node_map<Key, T, Hash, Pred, Allocator> {
    using base = tophash::concurrent_node_map<Key, T, Hash, Pred, Allocator>;

  public:
    using base::base;
    using base::operator=;
    concurrent_node_map() = default;
    concurrent_node_map(std::initializer_list<typename base::value_type> il, std::size_t n = 0,
                        const Hash& hf = Hash(), const Pred& eql = Pred(),
                        const Allocator& a = Allocator())
        : base(il, n, hf, eql, a) {}
    concurrent_node_map& operator=(std::initializer_list<typename base::value_type> il) {
        base::operator=(il);
        return *this;
    }
    friend void swap(concurrent_node_map& x, concurrent_node_map& y) noexcept(noexcept(x.swap(y))) {
        x.swap(y);
    }
};

TOPHASH_MAP_DEDUCTION_GUIDES(concurrent_node_map)

#if __has_include(<memory_resource>)
namespace pmr {
template <class Key, class T, class Hash = tophash::hash<Key>, class Pred = std::equal_to<Key>>
using concurrent_node_map =
    boost::unordered::concurrent_node_map<Key, T, Hash, Pred,
                                          std::pmr::polymorphic_allocator<std::pair<const Key, T>>>;
}  // namespace pmr
#endif

using tophash::erase_if;
using tophash::swap;

}  // namespace unordered

using unordered::concurrent_node_map;

}  // namespace boost
