// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Flat storage: each element lives in its slot, and a resize moves it.
// Small trivially copyable elements are read lock-free (lock_free_read.hpp).
#pragma once

#include <memory>
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

    // Elements are built and destroyed through the allocator (as the
    // standard's allocator-aware containers do): a std::pmr map's pmr::string
    // members then allocate from the map's resource.
    template <class Alloc>
    using value_alloc = typename std::allocator_traits<Alloc>::template rebind_alloc<value_type>;

    template <class Alloc, class... Args>
    static void construct(const Alloc& a, element_type* p, Args&&... args) {
        if constexpr (lock_free_reads) {
            // Built aside, then published with atomic stores: a reader may be
            // copying this slot's previous occupant right now. (Trivially
            // copyable: no allocator reaches inside such an element.)
            const value_type tmp(std::forward<Args>(args)...);
            Kind::store(p, tmp);
        } else {
            value_alloc<Alloc> va(a);
            std::allocator_traits<value_alloc<Alloc>>::construct(va, p,
                                                                 std::forward<Args>(args)...);
        }
    }
    template <class Alloc>
    static void destroy(const Alloc& a, element_type* p) noexcept {
        if constexpr (!trivially_destructible) {
            value_alloc<Alloc> va(a);
            std::allocator_traits<value_alloc<Alloc>>::destroy(va, p);
        }
    }
    // Moves or copies *src into the raw slot dst; the caller then ends *src
    // with destroy_relocated (or, if this throws, keeps it).
    template <class Alloc>
    static void relocate(const Alloc& a, element_type* dst, element_type* src) {
        if constexpr (lock_free_reads) {
            Kind::store(dst, *src);
        } else {
            value_alloc<Alloc> va(a);
            Kind::relocate(va, dst, *src);
        }
    }
    template <class Alloc>
    static void destroy_relocated(const Alloc& a, element_type* src) noexcept {
        destroy(a, src);
    }

    // An element built before its key is known to be absent (emplace(args...)):
    // a temporary moved into the slot if the key is new. Built through the
    // allocator too, as Boost builds it: a pmr map's temporary strings come
    // from the map's resource, not the default one.
    template <class Alloc>
    class staged {
        using init_alloc = typename std::allocator_traits<Alloc>::template rebind_alloc<init_type>;
        using traits = std::allocator_traits<init_alloc>;

      public:
        template <class... Args>
        explicit staged(const Alloc& a, Args&&... args) : alloc_(a) {
            traits::construct(alloc_, ptr(), std::forward<Args>(args)...);
        }
        staged(staged&& o) : alloc_(o.alloc_) {
            traits::construct(alloc_, ptr(), std::move(*o.ptr()));
        }
        staged& operator=(staged&&) = delete;
        ~staged() { traits::destroy(alloc_, ptr()); }
        init_type& get() noexcept { return *ptr(); }
        const init_type& get() const noexcept { return *ptr(); }

      private:
        init_type* ptr() noexcept { return std::launder(reinterpret_cast<init_type*>(&buf_)); }
        const init_type* ptr() const noexcept {
            return std::launder(reinterpret_cast<const init_type*>(&buf_));
        }
        init_alloc alloc_;
        alignas(init_type) unsigned char buf_[sizeof(init_type)];
    };
    template <class Alloc>
    using staged_type_for = staged<Alloc>;
    template <class Alloc, class... Args>
    static staged<Alloc> stage(const Alloc& a, Args&&... args) {
        return staged<Alloc>(a, std::forward<Args>(args)...);
    }
    template <class Alloc>
    static const key_type& staged_key(const staged<Alloc>& s) noexcept {
        return Kind::key_of(s.get());
    }
    template <class Alloc>
    static void construct_staged(const Alloc& a, element_type* p, staged<Alloc>&& s) {
        construct(a, p, std::move(s.get()));
    }

    // Lock-free readers (lock_free_reads only): validated copies.
    static key_type load_key(const element_type* p) noexcept { return Kind::load_key(p); }
    static value_type load(const element_type* p) noexcept { return Kind::load(p); }
    // Writes a visitor's copy back, atomically for readers copying meanwhile.
    static void store(element_type* p, const value_type& v) noexcept { Kind::store(p, v); }
};

}  // namespace tophash::detail
