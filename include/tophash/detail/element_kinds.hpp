// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// What a container holds: the key/value kinds (a map's pair, a set's key).
// The engine reaches elements only through these and a storage policy
// (flat_storage.hpp, node_storage.hpp).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "tophash/concurrency/atomic_copy.hpp"
#include "tophash/lock_free_read.hpp"

namespace tophash::detail {

// A map element: std::pair<const K, T>, as Boost's and the standard's maps.
template <class K, class T>
struct map_kind {
    using key_type = K;
    using mapped_type = T;
    using value_type = std::pair<const K, T>;
    // What insert(init_type&&) and emplace(args...) build before the key is
    // known to be absent: both members movable into the element.
    using init_type = std::pair<std::remove_const_t<K>, std::remove_const_t<T>>;

    static const K& key_of(const value_type& v) noexcept { return v.first; }
    static const K& key_of(const init_type& v) noexcept { return v.first; }

    // These traits are evaluated where first used, never where the container
    // type is named: a struct may hold a container of itself (Boost's
    // incomplete_tests), so nothing here may need K or T complete before then.
    static constexpr bool lock_free_readable =
        is_lock_free_readable<K>::value && is_lock_free_readable<T>::value;

    static constexpr bool nothrow_move =
        std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<T>;
    static constexpr bool copyable =
        std::is_copy_constructible_v<K> && std::is_copy_constructible_v<T>;
    // Relocation during a resize: both members are moved when both moves are
    // noexcept (or there is no copy), else both copied, so that a copy that
    // throws leaves the source whole. The key is moved through a const_cast:
    // the source element is destroyed right after, never read again (what
    // std::map's node extraction and Abseil's slot transfer also rely on).
    template <class Alloc>
    static void relocate(Alloc& a, value_type* dst, value_type& src) {
        using traits = std::allocator_traits<Alloc>;
        if constexpr (nothrow_move || !copyable) {
            traits::construct(a, dst, std::move(const_cast<K&>(src.first)), std::move(src.second));
        } else {
            traits::construct(a, dst, std::as_const(src));
        }
    }

    // Lock-free readers' word-wise atomic copies (lock_free_readable only).
    static K load_key(const value_type* p) noexcept {
        return concurrency::atomic_copy_load(&p->first);
    }
    static value_type load(const value_type* p) noexcept {
        return value_type(concurrency::atomic_copy_load(&p->first),
                          concurrency::atomic_copy_load(&p->second));
    }
    // Publishes v into *p (raw memory or an element being replaced).
    static void store(value_type* p, const value_type& v) noexcept {
        static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<T>,
                      "is_lock_free_readable may only be true for trivially copyable types");
        concurrency::atomic_copy_store(const_cast<K*>(&p->first), v.first);
        concurrency::atomic_copy_store(&p->second, v.second);
    }
};

// A set element: the key itself, only ever visited as const.
template <class K>
struct set_kind {
    using key_type = K;
    using value_type = K;
    using init_type = K;

    static const K& key_of(const K& v) noexcept { return v; }

    static constexpr bool lock_free_readable = is_lock_free_readable<K>::value;  // see map_kind

    static constexpr bool nothrow_move = std::is_nothrow_move_constructible_v<K>;
    static constexpr bool copyable = std::is_copy_constructible_v<K>;
    template <class Alloc>
    static void relocate(Alloc& a, K* dst, K& src) {
        using traits = std::allocator_traits<Alloc>;
        if constexpr (nothrow_move || !copyable) {
            traits::construct(a, dst, std::move(src));
        } else {
            traits::construct(a, dst, std::as_const(src));
        }
    }

    static K load_key(const K* p) noexcept { return concurrency::atomic_copy_load(p); }
    static K load(const K* p) noexcept { return concurrency::atomic_copy_load(p); }
    static void store(K* p, const K& v) noexcept {
        static_assert(std::is_trivially_copyable_v<K>,
                      "is_lock_free_readable may only be true for trivially copyable types");
        concurrency::atomic_copy_store(p, v);
    }
};

}  // namespace tophash::detail
