// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Word-wise atomic copies of trivially copyable objects, for seqlock readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tophash::concurrency {

// A seqlock reader copies data that a writer may be changing. In C++ that is
// only defined if both sides use atomic accesses, so the copy is made in
// relaxed atomic chunks as wide as the type's alignment allows (up to 8 bytes):
// on x86-64 and AArch64 each chunk is an ordinary load or store. The result of
// a racing copy may be torn; the caller's version check throws it away.
namespace detail {
template <std::size_t Align>
struct chunk_of {
    using type = std::uint64_t;
};
template <>
struct chunk_of<1> {
    using type = std::uint8_t;
};
template <>
struct chunk_of<2> {
    using type = std::uint16_t;
};
template <>
struct chunk_of<4> {
    using type = std::uint32_t;
};
template <class T>
using chunk_t = typename chunk_of<(alignof(T) < 8 ? alignof(T) : 8)>::type;
}  // namespace detail

// T need not be default-constructible (a strong-typedef key, a value with
// only a converting constructor): the result is made from the chunks by a bit
// cast, never by assigning into a default-constructed T.
template <class T>
inline T atomic_copy_load(const T* src) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    using C = detail::chunk_t<T>;
    static_assert(sizeof(T) % sizeof(C) == 0, "size is a multiple of alignment");
    struct chunks {
        C c[sizeof(T) / sizeof(C)];
    } buf;
    static_assert(sizeof(buf) == sizeof(T));
    const C* s = reinterpret_cast<const C*>(src);
    for (std::size_t i = 0; i < sizeof(T) / sizeof(C); ++i) {
        buf.c[i] = __atomic_load_n(s + i, __ATOMIC_RELAXED);
    }
    return __builtin_bit_cast(T, buf);
}

template <class T>
inline void atomic_copy_store(T* dst, const T& value) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    using C = detail::chunk_t<T>;
    C buf[sizeof(T) / sizeof(C)];
    std::memcpy(buf, &value, sizeof(T));
    C* d = reinterpret_cast<C*>(dst);
    for (std::size_t i = 0; i < sizeof(T) / sizeof(C); ++i) {
        __atomic_store_n(d + i, buf[i], __ATOMIC_RELAXED);
    }
}

}  // namespace tophash::concurrency
