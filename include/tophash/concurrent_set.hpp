// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::concurrent_set: a concurrent hash set whose keys live in its slots.
// API: Boost.Unordered's boost::concurrent_flat_set, plus find() returning std::optional,
// for_each, snapshot, stats and the inspector (docs/api.md).
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>

#include "tophash/detail/basic_set.hpp"
#include "tophash/detail/deduction_guides.hpp"
#include "tophash/detail/element_kinds.hpp"
#include "tophash/detail/flat_storage.hpp"
#include "tophash/hash.hpp"

namespace tophash {

template <class Key, class Hash = ::tophash::hash<Key>, class Pred = std::equal_to<Key>,
          class Allocator = std::allocator<Key>>
class concurrent_set
    : public detail::basic_set<detail::flat_storage<detail::set_kind<Key>>, Hash, Pred, Allocator> {
    using base =
        detail::basic_set<detail::flat_storage<detail::set_kind<Key>>, Hash, Pred, Allocator>;

  public:
    using base::base;
    using base::operator=;
    // Keeps the hasher, equality and allocator: without it, x = {...} would
    // build a temporary container with default ones and copy-assign it.
    concurrent_set& operator=(std::initializer_list<typename base::value_type> il) {
        base::assign(il);
        return *this;
    }
    // Declared here, not only inherited: class template argument deduction
    // from a braced list ({...}) looks for the class's own constructor.
    concurrent_set(std::initializer_list<typename base::value_type> il, std::size_t n = 0,
                   const Hash& hf = Hash(), const Pred& eql = Pred(),
                   const Allocator& a = Allocator())
        : base(il, n, hf, eql, a) {}
};

TOPHASH_SET_DEDUCTION_GUIDES(concurrent_set)

template <class Key, class Hash, class Pred, class Allocator>
void swap(concurrent_set<Key, Hash, Pred, Allocator>& x,
          concurrent_set<Key, Hash, Pred, Allocator>& y) noexcept(noexcept(x.swap(y))) {
    x.swap(y);
}

template <class Key, class Hash, class Pred, class Allocator, class Predicate>
std::size_t erase_if(concurrent_set<Key, Hash, Pred, Allocator>& c, Predicate pred) {
    return c.erase_if(pred);
}

}  // namespace tophash
