// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::hash<Key>: the containers' default hasher. std::hash<Key> for
// every type (so user specialisations of std::hash keep working), except
// byte strings, which get a faster hash than libstdc++'s (detail/hash_bytes.hpp),
// and types std::hash does not know but Boost's hash_value does.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "tophash/detail/hash_bytes.hpp"

namespace tophash {

namespace detail {
// Boost's customisation point: a hash_value(const Key&) found by
// argument-dependent lookup, for types std::hash does not know. A program
// written for boost::hash then compiles unchanged with tophash's default.
template <class Key, class = void>
struct has_hash_value : std::false_type {};
template <class Key>
struct has_hash_value<Key, std::void_t<decltype(hash_value(std::declval<const Key&>()))>>
    : std::true_type {};
template <class Key>
struct adl_hash {
    std::size_t operator()(const Key& k) const noexcept(noexcept(hash_value(k))) {
        return static_cast<std::size_t>(hash_value(k));
    }
};
template <class Key>
using default_hash_base = std::conditional_t<!std::is_default_constructible_v<std::hash<Key>> &&
                                                 has_hash_value<Key>::value,
                                             adl_hash<Key>, std::hash<Key>>;
}  // namespace detail

template <class Key>
struct hash : detail::default_hash_base<Key> {};

namespace detail {
// Strings and string views of char hash their characters alike, so a
// transparent lookup with a string_view finds a std::string key.
struct string_hash {
    // Spreads its input over all 64 bits: the table uses it as is (Boost's
    // convention), with no post-mixing multiply.
    using is_avalanching = std::true_type;
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return static_cast<std::size_t>(hash_bytes(s.data(), s.size()));
    }
};
}  // namespace detail

template <class Alloc>
struct hash<std::basic_string<char, std::char_traits<char>, Alloc>> : detail::string_hash {};
template <>
struct hash<std::string_view> : detail::string_hash {};

}  // namespace tophash
