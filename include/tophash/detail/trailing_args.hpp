// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's `emplace_or_visit(args..., f)` family takes its visitors last,
// after a parameter pack; C++ cannot declare that directly, so the facades
// take one pack and split its last N arguments off here.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tophash::detail {

template <std::size_t N, class Fn, class Tuple, std::size_t... I, std::size_t... J>
decltype(auto) call_split(Fn& fn, Tuple&& t, std::index_sequence<I...>, std::index_sequence<J...>) {
    return fn(std::forward_as_tuple(std::get<N + J>(std::move(t))...),
              std::get<I>(std::move(t))...);
}

// fn(tuple of the last Tail arguments, the other arguments...), every
// argument forwarded as it was passed.
template <std::size_t Tail, class Fn, class... Args>
decltype(auto) call_with_trailing(Fn&& fn, Args&&... args) {
    static_assert(sizeof...(Args) >= Tail, "the visitor argument(s) are missing");
    constexpr std::size_t n = sizeof...(Args) - Tail;
    return call_split<n>(fn, std::forward_as_tuple(std::forward<Args>(args)...),
                         std::make_index_sequence<n>{}, std::make_index_sequence<Tail>{});
}

}  // namespace tophash::detail
