// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The map facade (concurrent_map, concurrent_node_map): basic_container plus
// what involves a mapped value: emplace(key, mapped), try_emplace,
// insert_or_assign, find.
#pragma once

#include <optional>
#include <tuple>
#include <utility>

#include "tophash/detail/basic_container.hpp"

namespace tophash::detail {

template <class Storage, class Hash, class KeyEqual, class Allocator>
class basic_map : public basic_container<Storage, Hash, KeyEqual, Allocator> {
    using base = basic_container<Storage, Hash, KeyEqual, Allocator>;
    template <class K>
    using enable_transparent_t = typename base::template enable_transparent_t<K>;
    using base::nv_;

  public:
    using typename base::init_type;
    using typename base::key_type;
    using typename base::size_type;
    using typename base::value_type;
    using mapped_type = typename Storage::kind::mapped_type;

    using base::base;
    using base::operator=;

    // ------------------------------------------------------------ lookup
    // tophash: a copy of the mapped value, if present.
    std::optional<mapped_type> find(const key_type& k) const { return find_impl(k); }
    template <class K, enable_transparent_t<K> = 0>
    std::optional<mapped_type> find(const K& k) const {
        return find_impl(k);
    }

    // ------------------------------------------------------------ insertion
    // emplace(key, mapped) needs no temporary: the key is looked up as given.
    template <class... Args>
    bool emplace(Args&&... args) {
        if constexpr (is_key_and_value<Args...>()) {
            return try_emplace_impl("emplace", nv_, nv_, std::forward<Args>(args)...);
        } else if constexpr (base::template key_then_mapped<Args...>()) {
            return this->emplace_key_then_mapped("emplace", nv_, nv_, std::forward<Args>(args)...);
        } else {
            return this->emplace_args("emplace", nv_, nv_, std::forward<Args>(args)...);
        }
    }

    template <class... Args>
    bool try_emplace(const key_type& k, Args&&... args) {
        return try_emplace_impl("try_emplace", nv_, nv_, k, std::forward<Args>(args)...);
    }
    template <class... Args>
    bool try_emplace(key_type&& k, Args&&... args) {
        return try_emplace_impl("try_emplace", nv_, nv_, std::move(k), std::forward<Args>(args)...);
    }
    template <class K, class... Args, enable_transparent_t<K> = 0>
    bool try_emplace(K&& k, Args&&... args) {
        return try_emplace_impl("try_emplace", nv_, nv_, std::forward<K>(k),
                                std::forward<Args>(args)...);
    }

    // try_emplace_or_[c]visit(k, args..., f), try_emplace_and_[c]visit(k, args..., f1, f2)
#define TOPHASH_TRY_EMPLACE_VISIT(name, tail, is_const)                                            \
    template <class... Args>                                                                       \
    bool name(const key_type& k, Args&&... args) {                                                 \
        return try_emplace_tail<tail, is_const>(#name, k, std::forward<Args>(args)...);            \
    }                                                                                              \
    template <class... Args>                                                                       \
    bool name(key_type&& k, Args&&... args) {                                                      \
        return try_emplace_tail<tail, is_const>(#name, std::move(k), std::forward<Args>(args)...); \
    }                                                                                              \
    template <class K, class... Args, enable_transparent_t<K> = 0>                                 \
    bool name(K&& k, Args&&... args) {                                                             \
        return try_emplace_tail<tail, is_const>(#name, std::forward<K>(k),                         \
                                                std::forward<Args>(args)...);                      \
    }
    TOPHASH_TRY_EMPLACE_VISIT(try_emplace_or_visit, 1, false)
    TOPHASH_TRY_EMPLACE_VISIT(try_emplace_or_cvisit, 1, true)
    TOPHASH_TRY_EMPLACE_VISIT(try_emplace_and_visit, 2, false)
    TOPHASH_TRY_EMPLACE_VISIT(try_emplace_and_cvisit, 2, true)
#undef TOPHASH_TRY_EMPLACE_VISIT

    // True if inserted, false if the present value was assigned.
    template <class M>
    bool insert_or_assign(const key_type& k, M&& obj) {
        return insert_or_assign_impl(k, std::forward<M>(obj));
    }
    template <class M>
    bool insert_or_assign(key_type&& k, M&& obj) {
        return insert_or_assign_impl(std::move(k), std::forward<M>(obj));
    }
    template <class K, class M, enable_transparent_t<K> = 0>
    bool insert_or_assign(K&& k, M&& obj) {
        return insert_or_assign_impl(std::forward<K>(k), std::forward<M>(obj));
    }

    friend bool operator==(const basic_map& x, const basic_map& y) {
        return equal_elements(x.table_, y.table_);
    }
    friend bool operator!=(const basic_map& x, const basic_map& y) {
        return !(x == y);
    }

  private:
    template <class... Args>
    static constexpr bool is_key_and_value() {
        if constexpr (sizeof...(Args) == 2) {
            return std::is_same_v<remove_cvref_t<std::tuple_element_t<0, std::tuple<Args...>>>,
                                  key_type>;
        } else {
            return false;
        }
    }
    template <class K>
    std::optional<mapped_type> find_impl(const K& k) const {
        std::optional<mapped_type> out;
        auto get = [&](const value_type& v) { out.emplace(v.second); };
        this->table_.check_reentry("find");
        this->table_.cvisit(k, get);
        return out;
    }
    template <class OnFound, class OnNew, class K, class... Args>
    bool try_emplace_impl(const char* what, OnFound&& on_found, OnNew&& on_new, K&& k,
                          Args&&... args) {
        this->table_.check_reentry(what);
        return this->table_.emplace_or_visit(k, on_found, on_new, std::piecewise_construct,
                                             std::forward_as_tuple(std::forward<K>(k)),
                                             std::forward_as_tuple(std::forward<Args>(args)...));
    }
    template <bool Const, class F>
    static auto wrap(F& f) {
        if constexpr (Const) {
            return const_visitor<F>{f};
        } else {
            return std::ref(f);
        }
    }
    template <std::size_t Tail, bool Const, class K, class... Args>
    bool try_emplace_tail(const char* what, K&& k, Args&&... args) {
        return call_with_trailing<Tail>(
            [&](auto fs, auto&&... a) {
                if constexpr (Tail == 1) {
                    return try_emplace_impl(what, wrap<Const>(std::get<0>(fs)), nv_,
                                            std::forward<K>(k), std::forward<decltype(a)>(a)...);
                } else {
                    // f1 sees the new element mutably, f2 a present one as
                    // Const says (Boost's try_emplace_and_cvisit).
                    return try_emplace_impl(what, wrap<Const>(std::get<1>(fs)),
                                            wrap<false>(std::get<0>(fs)), std::forward<K>(k),
                                            std::forward<decltype(a)>(a)...);
                }
            },
            std::forward<Args>(args)...);
    }
    template <class K, class M>
    bool insert_or_assign_impl(K&& k, M&& obj) {
        auto assign = [&](value_type& v) { v.second = std::forward<M>(obj); };
        return try_emplace_impl("insert_or_assign", std::ref(assign), nv_, std::forward<K>(k),
                                std::forward<M>(obj));
    }
};

}  // namespace tophash::detail
