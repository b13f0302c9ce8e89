// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The node handle of the node containers (Boost's and the standard's
// node_type): owns one element taken out of a container by extract(), until
// insert(node_type&&) puts it into a container with an equal allocator. The
// element itself is never moved or copied on the way.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "tophash/detail/element_kinds.hpp"
#include "tophash/detail/node_storage.hpp"

namespace tophash::detail {

template <class Kind, class Allocator>
class node_handle {
    using value_type = typename Kind::value_type;
    using node_alloc = typename node_storage<Kind, Allocator>::node_alloc;

  public:
    using allocator_type = Allocator;

    constexpr node_handle() noexcept = default;
    node_handle(node_handle&& o) noexcept
        : p_(std::exchange(o.p_, nullptr)), alloc_(std::move(o.alloc_)) {
        o.alloc_.reset();
    }
    // The allocator is rebuilt, not assigned: allocators need not be
    // assignable (std::pmr::polymorphic_allocator is not).
    node_handle& operator=(node_handle&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
            if (o.alloc_) alloc_.emplace(std::move(*o.alloc_));
            o.alloc_.reset();
        }
        return *this;
    }
    ~node_handle() { reset(); }

    [[nodiscard]] bool empty() const noexcept { return p_ == nullptr; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Requires !empty().
    allocator_type get_allocator() const { return *alloc_; }

    // Maps: the key (mutable, as std::map's node handles allow) and value.
    template <class K = Kind, class = typename K::mapped_type>
    typename K::key_type& key() const noexcept {
        return const_cast<typename K::key_type&>(p_->first);
    }
    template <class K = Kind, class M = typename K::mapped_type>
    M& mapped() const noexcept {
        return p_->second;
    }
    // Sets: the element.
    template <class K = Kind, class = std::enable_if_t<
                                  std::is_same_v<typename K::key_type, typename K::value_type>>>
    value_type& value() const noexcept {
        return *p_;
    }

    void swap(node_handle& o) noexcept {
        node_handle tmp(std::move(o));
        o = std::move(*this);
        *this = std::move(tmp);
    }
    friend void swap(node_handle& a, node_handle& b) noexcept { a.swap(b); }

    // The container's side.
    node_handle(value_type* p, const Allocator& a) : p_(p), alloc_(a) {}
    value_type* release() noexcept {
        alloc_.reset();
        return std::exchange(p_, nullptr);
    }
    value_type* get() const noexcept { return p_; }

  private:
    void reset() noexcept {
        if (p_ != nullptr) {
            node_storage<Kind, Allocator>::free_node(node_alloc(*alloc_), p_);
            p_ = nullptr;
        }
        alloc_.reset();
    }

    value_type* p_ = nullptr;
    std::optional<Allocator> alloc_;
};

template <class T>
struct is_node_handle : std::false_type {};
template <class K, class A>
struct is_node_handle<node_handle<K, A>> : std::true_type {};

// What insert(node_type&&) returns (Boost's concurrent containers: no
// iterator): whether the node went in, and the node if it did not.
template <class NodeType>
struct insert_return_type {
    bool inserted = false;
    NodeType node;
};

}  // namespace tophash::detail
