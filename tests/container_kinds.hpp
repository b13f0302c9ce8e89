// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The container kinds the shared suites are parametrised over, and a uniform
// view of their elements: a map element is {key, value}, a set element is
// its key (its "value" is the key too).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

template <class C, class = void>
struct is_map_kind : std::false_type {};
template <class C>
struct is_map_kind<C, std::void_t<typename C::mapped_type>> : std::true_type {};

template <class K>
K make_key(std::uint64_t k) {
    if constexpr (std::is_same_v<K, std::string>) {
        return "key-" + std::to_string(k) + std::string(k % 3 == 0 ? 20 : 0, 'x');
    } else {
        return static_cast<K>(k);
    }
}

// The number a key was made from.
template <class K>
std::uint64_t number_of(const K& key) {
    if constexpr (std::is_same_v<K, std::string>) {
        return std::stoull(key.substr(4));
    } else {
        return static_cast<std::uint64_t>(key);
    }
}

// Elements of a container C built from integers, and read back.
template <class C>
struct element_of {
    static constexpr bool map = is_map_kind<C>::value;
    using key_type = typename C::key_type;
    using value_type = typename C::value_type;

    static value_type make(std::uint64_t k, std::uint64_t v = 0) {
        if constexpr (map) {
            return value_type(make_key<key_type>(k), static_cast<typename C::mapped_type>(v));
        } else {
            (void)v;
            return make_key<key_type>(k);
        }
    }
    static const key_type& key(const value_type& e) {
        if constexpr (map) {
            return e.first;
        } else {
            return e;
        }
    }
    // A map's value; a set's key number stands for both.
    static std::uint64_t value(const value_type& e) {
        if constexpr (map) {
            return static_cast<std::uint64_t>(e.second);
        } else {
            return number_of(e);
        }
    }
};

// Every container, with a lock-free-readable key and with std::string keys
// (read under the shared lock), and a hasher H.
template <class H64, class HStr>
using kinds_with = ::testing::Types<
    tophash::concurrent_map<std::uint64_t, std::uint64_t, H64>,
    tophash::concurrent_node_map<std::uint64_t, std::uint64_t, H64>,
    tophash::concurrent_set<std::uint64_t, H64>, tophash::concurrent_node_set<std::uint64_t, H64>,
    tophash::concurrent_map<std::string, std::uint64_t, HStr>,
    tophash::concurrent_node_set<std::string, HStr>>;
using all_kinds = kinds_with<std::hash<std::uint64_t>, std::hash<std::string>>;

