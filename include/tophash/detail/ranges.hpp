// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// C++20 ranges in Boost's API: what the from_range constructors and
// insert_range accept. Present when the standard library has
// <ranges> and concepts (TOPHASH_HAS_RANGES); C++17 builds go without.
#pragma once

#include <type_traits>

#include "tophash/from_range.hpp"

#if defined(__cpp_concepts) && __has_include(<ranges>)
#include <ranges>
#endif
#if defined(__cpp_lib_ranges) && defined(__cpp_concepts) && \
    !(defined(__clang__) && __clang_major__ < 17 && defined(__GLIBCXX__))
// (Boost leaves ranges out for the same pair: clang before 17 cannot compile
// libstdc++'s <ranges> concepts in every case.)
#define TOPHASH_HAS_RANGES 1
#else
#define TOPHASH_HAS_RANGES 0
#endif

namespace tophash {

#if TOPHASH_HAS_RANGES
namespace detail {
template <class T>
concept from_range_tag = std::is_convertible_v<T, from_range_t>
#if defined(__cpp_lib_containers_ranges)
    || std::is_convertible_v<T, std::from_range_t>
#endif
    ;
template <class R, class T>
concept compatible_range =
    std::ranges::input_range<R> && std::convertible_to<std::ranges::range_reference_t<R>, T>;
}  // namespace detail
#endif

}  // namespace tophash
