// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Flat storage: each element lives in its slot, and a resize moves it.
// Small trivially copyable elements are read lock-free (lock_free_read.hpp).
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace tophash::detail {

template <class Kind>
struct flat_storage {
    using kind = Kind;
    using key_type = typename Kind::key_type;
    using value_type = typename Kind::value_type;
    using init_type = typename Kind::init_type;
    using element_type = value_type;  // what a slot holds

    static constexpr bool lock_free_reads = Kind::lock_free_readable;
    static constexpr bool trivially_destructible = std::is_trivially_destructible_v<value_type>;
    // Moving an element to another slot cannot throw: no rollback needed.
    static constexpr bool nothrow_relocate = lock_free_reads || Kind::nothrow_move;
    // Visitors may keep references only while they run: a resize moves elements.
    static constexpr bool stable_references = false;

    static value_type& value(element_type& e) noexcept { return e; }
    static const value_type& value(const element_type& e) noexcept { return e; }
    static const key_type& key(const element_type& e) noexcept { return Kind::key_of(e); }

    template <class Alloc, class... Args>
    static void construct(const Alloc&, element_type* p, Args&&... args) {
        if constexpr (lock_free_reads) {
            // Built aside, then published with atomic stores: a reader may be
            // copying this slot's previous occupant right now.
            const value_type tmp(std::forward<Args>(args)...);
            Kind::store(p, tmp);
        } else {
            ::new (static_cast<void*>(p)) value_type(std::forward<Args>(args)...);
        }
    }
    template <class Alloc>
    static void destroy(const Alloc&, element_type* p) noexcept {
        if constexpr (!trivially_destructible) p->~value_type();
    }
    // Moves or copies *src into the raw slot dst; the caller then ends *src
    // with destroy_relocated (or, if this throws, keeps it).
    template <class Alloc>
    static void relocate(const Alloc&, element_type* dst, element_type* src) {
        if constexpr (lock_free_reads) {
            Kind::store(dst, *src);
        } else {
            Kind::relocate(dst, *src);
        }
    }
    template <class Alloc>
    static void destroy_relocated(const Alloc& a, element_type* src) noexcept {
        destroy(a, src);
    }

    // An element built before its key is known to be absent (emplace(args...)):
    // a temporary moved into the slot if the key is new.
    using staged_type = init_type;
    template <class Alloc, class... Args>
    static staged_type stage(const Alloc&, Args&&... args) {
        return staged_type(std::forward<Args>(args)...);
    }
    static const key_type& staged_key(const staged_type& s) noexcept { return Kind::key_of(s); }
    template <class Alloc>
    static void construct_staged(const Alloc& a, element_type* p, staged_type&& s) {
        construct(a, p, std::move(s));
    }

    // Lock-free readers (lock_free_reads only): validated copies.
    static key_type load_key(const element_type* p) noexcept { return Kind::load_key(p); }
    static value_type load(const element_type* p) noexcept { return Kind::load(p); }
    // Writes a visitor's copy back, atomically for readers copying meanwhile.
    static void store(element_type* p, const value_type& v) noexcept { Kind::store(p, v); }
};

}  // namespace tophash::detail
