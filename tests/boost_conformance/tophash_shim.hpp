// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent containers, renamed: scripts/boost-conformance puts
// this directory before Boost's headers, so that Boost's own tests compile
// unchanged against tophash. Each boost::unordered::concurrent_* is a class
// template deriving from its tophash container, not an alias: Boost's
// non-concurrent maps befriend `class concurrent_flat_map` and its siblings.
// The default hasher is tophash::hash, as tophash's (docs/api.md).
#pragma once

#include <boost/container_hash/hash.hpp>  // Boost's own headers bring it

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <memory_resource>
#include <utility>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

// The class body shared by the four: constructors, assignment, swap.
#define TOPHASH_SHIM_BODY(Name, Params, Args)                                                     \
    template <TOPHASH_SHIM_UNPAREN Params>                                                        \
    class Name : public tophash::TOPHASH_SHIM_TARGET_##Name<TOPHASH_SHIM_UNPAREN Args> {          \
        using base = tophash::TOPHASH_SHIM_TARGET_##Name<TOPHASH_SHIM_UNPAREN Args>;              \
                                                                                                  \
      public:                                                                                     \
        using base::base;                                                                         \
        using base::operator=;                                                                    \
        Name() = default;                                                                         \
        Name(std::initializer_list<typename base::value_type> il, std::size_t n = 0,              \
             const Hash& hf = Hash(), const Pred& eql = Pred(), const Allocator& a = Allocator()) \
            : base(il, n, hf, eql, a) {}                                                          \
        Name& operator=(std::initializer_list<typename base::value_type> il) {                    \
            base::operator=(il);                                                                  \
            return *this;                                                                         \
        }                                                                                         \
        friend void swap(Name& x, Name& y) noexcept(noexcept(x.swap(y))) { x.swap(y); }           \
    };
#define TOPHASH_SHIM_UNPAREN(...) __VA_ARGS__
#define TOPHASH_SHIM_TARGET_concurrent_flat_map concurrent_map
#define TOPHASH_SHIM_TARGET_concurrent_flat_set concurrent_set
#define TOPHASH_SHIM_TARGET_concurrent_node_map concurrent_node_map
#define TOPHASH_SHIM_TARGET_concurrent_node_set concurrent_node_set

namespace boost {
namespace unordered {

#define TOPHASH_SHIM_MAP(Name)                                                                     \
    TOPHASH_SHIM_BODY(                                                                             \
        Name,                                                                                      \
        (class Key, class T, class Hash = tophash::hash<Key>, class Pred = std::equal_to<Key>,     \
         class Allocator = std::allocator<std::pair<const Key, T>>),                               \
        (Key, T, Hash, Pred, Allocator))                                                           \
    TOPHASH_MAP_DEDUCTION_GUIDES(Name)                                                             \
    namespace pmr {                                                                                \
    template <class Key, class T, class Hash = tophash::hash<Key>,                                 \
              class Pred = std::equal_to<Key>>                                                     \
    using Name = boost::unordered::Name<Key, T, Hash, Pred,                                        \
                                        std::pmr::polymorphic_allocator<std::pair<const Key, T>>>; \
    }
#define TOPHASH_SHIM_SET(Name)                                                                  \
    TOPHASH_SHIM_BODY(Name,                                                                     \
                      (class Key, class Hash = tophash::hash<Key>,                              \
                       class Pred = std::equal_to<Key>, class Allocator = std::allocator<Key>), \
                      (Key, Hash, Pred, Allocator))                                             \
    TOPHASH_SHIM_SET_DEDUCTION_GUIDES_(Name)                                                    \
    namespace pmr {                                                                             \
    template <class Key, class Hash = tophash::hash<Key>, class Pred = std::equal_to<Key>>      \
    using Name = boost::unordered::Name<Key, Hash, Pred, std::pmr::polymorphic_allocator<Key>>; \
    }
#define TOPHASH_SHIM_SET_DEDUCTION_GUIDES_(Name) TOPHASH_SET_DEDUCTION_GUIDES(Name)

TOPHASH_SHIM_MAP(concurrent_flat_map)
TOPHASH_SHIM_MAP(concurrent_node_map)
TOPHASH_SHIM_SET(concurrent_flat_set)
TOPHASH_SHIM_SET(concurrent_node_set)

using tophash::erase_if;
using tophash::swap;

}  // namespace unordered

using unordered::concurrent_flat_map;
using unordered::concurrent_flat_set;
using unordered::concurrent_node_map;
using unordered::concurrent_node_set;

}  // namespace boost
