// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Node storage: each element lives in a node of its own and a slot holds its
// address. A resize moves addresses, never elements, so references stay
// valid across growth and elements need not be movable.
//
// Reads take the stripe's shared lock (docs/design.md, "Node containers"):
// a lock-free read would dereference a node that a concurrent erase may be
// destroying, so erased nodes would have to outlive every reader (epoch
// retirement), which delays the user's destructor to another thread and
// time. Erase destroys the element before it returns, as Boost's does.
#pragma once

#include <memory>
#include <new>
#include <utility>
#include "tophash/detail/exceptions.hpp"

namespace tophash::detail {

template <class Kind, class Allocator>
struct node_storage {
    using kind = Kind;
    using key_type = typename Kind::key_type;
    using value_type = typename Kind::value_type;
    using init_type = typename Kind::init_type;
    using element_type = value_type*;  // what a slot holds

    static constexpr bool lock_free_reads = false;
    static constexpr bool trivially_destructible = false;
    static constexpr bool nothrow_relocate = true;
    static constexpr bool stable_references = true;

    using node_alloc = typename std::allocator_traits<Allocator>::template rebind_alloc<value_type>;
    using node_traits = std::allocator_traits<node_alloc>;

    static value_type& value(element_type e) noexcept { return *e; }
    static const key_type& key(element_type e) noexcept { return Kind::key_of(*e); }

    // Owns a node until a slot takes it (emplace(args...) before the key is
    // known to be absent).
    class staged_type {
      public:
        staged_type(const Allocator& a, value_type* p) noexcept : alloc_(a), p_(p) {}
        staged_type(staged_type&& o) noexcept
            : alloc_(o.alloc_), p_(std::exchange(o.p_, nullptr)) {}
        staged_type& operator=(staged_type&&) = delete;
        ~staged_type() {
            if (p_ != nullptr) free_node(alloc_, p_);
        }
        value_type* release() noexcept { return std::exchange(p_, nullptr); }
        const value_type& get() const noexcept { return *p_; }

      private:
        node_alloc alloc_;
        value_type* p_;
    };

    template <class... Args>
    static value_type* make_node(const Allocator& a, Args&&... args) {
        node_alloc na(a);
        value_type* p = &*node_traits::allocate(na, 1);
        TOPHASH_TRY {
            node_traits::construct(na, p, std::forward<Args>(args)...);
        }
        TOPHASH_CATCH_ALL {
            node_traits::deallocate(na, fancy(p), 1);
            TOPHASH_RETHROW;
        }
        return p;
    }
    static void free_node(const node_alloc& a, value_type* p) noexcept {
        node_alloc na(a);
        node_traits::destroy(na, p);
        node_traits::deallocate(na, fancy(p), 1);
    }
    // The allocator's pointer to a node (fancy pointers: a class).
    static typename node_traits::pointer fancy(value_type* p) noexcept {
        return std::pointer_traits<typename node_traits::pointer>::pointer_to(*p);
    }

    template <class... Args>
    static void construct(const Allocator& a, element_type* slot, Args&&... args) {
        ::new (static_cast<void*>(slot)) element_type(make_node(a, std::forward<Args>(args)...));
    }
    static void destroy(const Allocator& a, element_type* slot) noexcept {
        free_node(node_alloc(a), *slot);
    }
    static void relocate(const Allocator&, element_type* dst, element_type* src) noexcept {
        ::new (static_cast<void*>(dst)) element_type(*src);
    }
    static void destroy_relocated(const Allocator&, element_type*) noexcept {}

    template <class>
    using staged_type_for = staged_type;
    template <class... Args>
    static staged_type stage(const Allocator& a, Args&&... args) {
        return staged_type(a, make_node(a, std::forward<Args>(args)...));
    }
    static const key_type& staged_key(const staged_type& s) noexcept {
        return Kind::key_of(s.get());
    }
    static void construct_staged(const Allocator&, element_type* slot, staged_type&& s) noexcept {
        ::new (static_cast<void*>(slot)) element_type(s.release());
    }

    // Never called: reads of node containers take the shared lock.
    static key_type load_key(const element_type*) noexcept;
    static value_type load(const element_type*) noexcept;
    static void store(element_type*, const value_type&) noexcept;
};

}  // namespace tophash::detail
