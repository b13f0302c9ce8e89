// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Class template argument deduction for the four containers, with the guides
// Boost's concurrent containers have: from iterators, from a range
// (from_range), from an initializer list, each with a bucket count, hasher,
// equality and allocator, or an allocator alone. The public headers
// instantiate the macros for their container.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "tophash/detail/ranges.hpp"
#include "tophash/hash.hpp"

namespace tophash::detail {

template <class It>
using iter_value_t = typename std::iterator_traits<It>::value_type;
template <class It>
using iter_key_t = std::remove_const_t<typename iter_value_t<It>::first_type>;
template <class It>
using iter_mapped_t = typename iter_value_t<It>::second_type;
template <class It>
using iter_to_alloc_t = std::pair<const iter_key_t<It>, iter_mapped_t<It>>;

// Boost's tests for which trailing argument is which.
template <class A, class = void>
struct is_allocator : std::false_type {};
template <class A>
struct is_allocator<
    A, std::void_t<typename A::value_type, decltype(std::declval<A&>().allocate(std::size_t{}))>>
    : std::true_type {};
template <class H>
inline constexpr bool is_hash_v = !std::is_integral_v<H> && !is_allocator<H>::value;
template <class P>
inline constexpr bool is_pred_v = !is_allocator<P>::value;
template <class It, class = void>
inline constexpr bool is_iterator_v = false;
template <class It>
inline constexpr bool
    is_iterator_v<It, std::void_t<typename std::iterator_traits<It>::iterator_category>> =
        std::is_base_of_v<std::input_iterator_tag,
                          typename std::iterator_traits<It>::iterator_category>;

#if TOPHASH_HAS_RANGES
template <std::ranges::input_range R>
using range_key_t = std::remove_cvref_t<std::tuple_element_t<0, std::ranges::range_value_t<R>>>;
template <std::ranges::input_range R>
using range_mapped_t = std::remove_cvref_t<std::tuple_element_t<1, std::ranges::range_value_t<R>>>;
template <std::ranges::input_range R>
using range_to_alloc_t = std::pair<const range_key_t<R>, range_mapped_t<R>>;
#endif

}  // namespace tophash::detail

#define TOPHASH_GUIDE_CHECKS_(H, P, A)                         \
    class = std::enable_if_t<::tophash::detail::is_hash_v<H>>, \
    class = std::enable_if_t<::tophash::detail::is_pred_v<P>>, \
    class = std::enable_if_t<::tophash::detail::is_allocator<A>::value>
#define TOPHASH_ITER_CHECK_(It) class = std::enable_if_t<::tophash::detail::is_iterator_v<It>>
#define TOPHASH_ALLOC_CHECK_(A) class = std::enable_if_t<::tophash::detail::is_allocator<A>::value>

#if TOPHASH_HAS_RANGES
#define TOPHASH_MAP_RANGE_GUIDES_(C)                                                              \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R,                   \
              class H = ::tophash::hash<::tophash::detail::range_key_t<R>>,                       \
              class P = std::equal_to<::tophash::detail::range_key_t<R>>,                         \
              class A = std::allocator<::tophash::detail::range_to_alloc_t<R>>,                   \
              TOPHASH_GUIDE_CHECKS_(H, P, A)>                                                     \
    C(FR&&, R&&, std::size_t = 0, H = H(), P = P(), A = A())                                      \
        -> C<::tophash::detail::range_key_t<R>, ::tophash::detail::range_mapped_t<R>, H, P, A>;   \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class A,          \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, std::size_t, A)                                                                  \
        -> C<::tophash::detail::range_key_t<R>, ::tophash::detail::range_mapped_t<R>,             \
             ::tophash::hash<::tophash::detail::range_key_t<R>>,                                  \
             std::equal_to<::tophash::detail::range_key_t<R>>, A>;                                \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class A,          \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, A) -> C<::tophash::detail::range_key_t<R>, ::tophash::detail::range_mapped_t<R>, \
                         ::tophash::hash<::tophash::detail::range_key_t<R>>,                      \
                         std::equal_to<::tophash::detail::range_key_t<R>>, A>;                    \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class H, class A, \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, std::size_t, H, A)                                                               \
        -> C<::tophash::detail::range_key_t<R>, ::tophash::detail::range_mapped_t<R>, H,          \
             std::equal_to<::tophash::detail::range_key_t<R>>, A>;
#define TOPHASH_SET_RANGE_GUIDES_(C)                                                              \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R,                   \
              class H = ::tophash::hash<std::ranges::range_value_t<R>>,                           \
              class P = std::equal_to<std::ranges::range_value_t<R>>,                             \
              class A = std::allocator<std::ranges::range_value_t<R>>,                            \
              TOPHASH_GUIDE_CHECKS_(H, P, A)>                                                     \
    C(FR&&, R&&, std::size_t = 0, H = H(), P = P(), A = A())                                      \
        -> C<std::ranges::range_value_t<R>, H, P, A>;                                             \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class A,          \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, std::size_t, A)                                                                  \
        -> C<std::ranges::range_value_t<R>, ::tophash::hash<std::ranges::range_value_t<R>>,       \
             std::equal_to<std::ranges::range_value_t<R>>, A>;                                    \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class A,          \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, A)                                                                               \
        -> C<std::ranges::range_value_t<R>, ::tophash::hash<std::ranges::range_value_t<R>>,       \
             std::equal_to<std::ranges::range_value_t<R>>, A>;                                    \
    template <::tophash::detail::from_range_tag FR, std::ranges::input_range R, class H, class A, \
              TOPHASH_ALLOC_CHECK_(A)>                                                            \
    C(FR&&, R&&, std::size_t, H, A)                                                               \
        -> C<std::ranges::range_value_t<R>, H, std::equal_to<std::ranges::range_value_t<R>>, A>;
#else
#define TOPHASH_MAP_RANGE_GUIDES_(C)
#define TOPHASH_SET_RANGE_GUIDES_(C)
#endif

// Guides for a map container template C<Key, T, Hash, Pred, Allocator>.
#define TOPHASH_MAP_DEDUCTION_GUIDES(C)                                                          \
    template <class It, class H = ::tophash::hash<::tophash::detail::iter_key_t<It>>,            \
              class P = std::equal_to<::tophash::detail::iter_key_t<It>>,                        \
              class A = std::allocator<::tophash::detail::iter_to_alloc_t<It>>,                  \
              TOPHASH_ITER_CHECK_(It), TOPHASH_GUIDE_CHECKS_(H, P, A)>                           \
    C(It, It, std::size_t = 0, H = H(), P = P(), A = A())                                        \
        -> C<::tophash::detail::iter_key_t<It>, ::tophash::detail::iter_mapped_t<It>, H, P, A>;  \
    template <class Key, class T, class H = ::tophash::hash<std::remove_const_t<Key>>,           \
              class P = std::equal_to<std::remove_const_t<Key>>,                                 \
              class A = std::allocator<std::pair<const Key, T>>, TOPHASH_GUIDE_CHECKS_(H, P, A)> \
    C(std::initializer_list<std::pair<Key, T>>, std::size_t = 0, H = H(), P = P(), A = A())      \
        -> C<std::remove_const_t<Key>, T, H, P, A>;                                              \
    template <class It, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>               \
    C(It, It, std::size_t, A)                                                                    \
        -> C<::tophash::detail::iter_key_t<It>, ::tophash::detail::iter_mapped_t<It>,            \
             ::tophash::hash<::tophash::detail::iter_key_t<It>>,                                 \
             std::equal_to<::tophash::detail::iter_key_t<It>>, A>;                               \
    template <class It, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>               \
    C(It, It, A) -> C<::tophash::detail::iter_key_t<It>, ::tophash::detail::iter_mapped_t<It>,   \
                      ::tophash::hash<::tophash::detail::iter_key_t<It>>,                        \
                      std::equal_to<::tophash::detail::iter_key_t<It>>, A>;                      \
    template <class It, class H, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>      \
    C(It, It, std::size_t, H, A)                                                                 \
        -> C<::tophash::detail::iter_key_t<It>, ::tophash::detail::iter_mapped_t<It>, H,         \
             std::equal_to<::tophash::detail::iter_key_t<It>>, A>;                               \
    template <class Key, class T, class A, TOPHASH_ALLOC_CHECK_(A)>                              \
    C(std::initializer_list<std::pair<Key, T>>, std::size_t, A)                                  \
        -> C<std::remove_const_t<Key>, T, ::tophash::hash<std::remove_const_t<Key>>,             \
             std::equal_to<std::remove_const_t<Key>>, A>;                                        \
    template <class Key, class T, class A, TOPHASH_ALLOC_CHECK_(A)>                              \
    C(std::initializer_list<std::pair<Key, T>>, A)                                               \
        -> C<std::remove_const_t<Key>, T, ::tophash::hash<std::remove_const_t<Key>>,             \
             std::equal_to<std::remove_const_t<Key>>, A>;                                        \
    template <class Key, class T, class H, class A, TOPHASH_ALLOC_CHECK_(A)>                     \
    C(std::initializer_list<std::pair<Key, T>>, std::size_t, H, A)                               \
        -> C<std::remove_const_t<Key>, T, H, std::equal_to<std::remove_const_t<Key>>, A>;        \
    TOPHASH_MAP_RANGE_GUIDES_(C)

// Guides for a set container template C<Key, Hash, Pred, Allocator>.
#define TOPHASH_SET_DEDUCTION_GUIDES(C)                                                           \
    template <class It, class H = ::tophash::hash<::tophash::detail::iter_value_t<It>>,           \
              class P = std::equal_to<::tophash::detail::iter_value_t<It>>,                       \
              class A = std::allocator<::tophash::detail::iter_value_t<It>>,                      \
              TOPHASH_ITER_CHECK_(It), TOPHASH_GUIDE_CHECKS_(H, P, A)>                            \
    C(It, It, std::size_t = 0, H = H(), P = P(), A = A())                                         \
        -> C<::tophash::detail::iter_value_t<It>, H, P, A>;                                       \
    template <class T, class H = ::tophash::hash<T>, class P = std::equal_to<T>,                  \
              class A = std::allocator<T>, TOPHASH_GUIDE_CHECKS_(H, P, A)>                        \
    C(std::initializer_list<T>, std::size_t = 0, H = H(), P = P(), A = A()) -> C<T, H, P, A>;     \
    template <class It, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>                \
    C(It, It, std::size_t, A) -> C<::tophash::detail::iter_value_t<It>,                           \
                                   ::tophash::hash<::tophash::detail::iter_value_t<It>>,          \
                                   std::equal_to<::tophash::detail::iter_value_t<It>>, A>;        \
    template <class It, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>                \
    C(It, It, A) -> C<::tophash::detail::iter_value_t<It>,                                        \
                      ::tophash::hash<::tophash::detail::iter_value_t<It>>,                       \
                      std::equal_to<::tophash::detail::iter_value_t<It>>, A>;                     \
    template <class It, class H, class A, TOPHASH_ITER_CHECK_(It), TOPHASH_ALLOC_CHECK_(A)>       \
    C(It, It, std::size_t, H, A) -> C<::tophash::detail::iter_value_t<It>, H,                     \
                                      std::equal_to<::tophash::detail::iter_value_t<It>>, A>;     \
    template <class T, class A, TOPHASH_ALLOC_CHECK_(A)>                                          \
    C(std::initializer_list<T>, std::size_t, A) -> C<T, ::tophash::hash<T>, std::equal_to<T>, A>; \
    template <class T, class A, TOPHASH_ALLOC_CHECK_(A)>                                          \
    C(std::initializer_list<T>, A) -> C<T, ::tophash::hash<T>, std::equal_to<T>, A>;              \
    template <class T, class H, class A, TOPHASH_ALLOC_CHECK_(A)>                                 \
    C(std::initializer_list<T>, std::size_t, H, A) -> C<T, H, std::equal_to<T>, A>;               \
    TOPHASH_SET_RANGE_GUIDES_(C)
