// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The callbacks the engine passes around, and how it calls them.
#pragma once

#include <type_traits>
#include <utility>

#include "tophash/platform/config.hpp"

namespace tophash::detail {

template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

// None: an insert that visits nothing.
struct no_visit {};
// The predicate of erase(key): no copy of the element to decide.
struct always_true {
    template <class V>
    bool operator()(const V&) const noexcept {
        return true;
    }
};
// A visitor of const elements: f sees the element in place, also where reads
// are lock-free, since it cannot change it.
template <class F>
struct const_visitor {
    F& f;
};
template <class F>
struct is_const_visitor : std::false_type {};
template <class F>
struct is_const_visitor<const_visitor<F>> : std::true_type {};

// Calls f(args...) and returns whether to go on: f's bool result, or true
// for a visitor that returns nothing.
template <class F, class... Args>
TOPHASH_ALWAYS_INLINE bool invoke_continue(F& f, Args&&... args) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, Args&&...>>) {
        f(std::forward<Args>(args)...);
        return true;
    } else {
        return static_cast<bool>(f(std::forward<Args>(args)...));
    }
}

}  // namespace tophash::detail
