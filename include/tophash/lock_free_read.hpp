// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Which key and value types a container reads without taking a lock.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>
#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

namespace tophash {

// A lock-free read copies the slot's bytes while a writer may be replacing
// them, then checks the chain's version, and only a copy that passed the
// check reaches user code (equality, visitor). That is sound only for types
// whose bytes are the whole value: trivially copyable, and not referring to
// storage that may die once the element is erased. Users' equality on a
// reference-like key (std::string_view, const char* compared with strcmp, a
// span) dereferences that storage after the check, when the element may
// already be gone. Such types are read under the stripe's shared lock, which
// an erase waits for.
//
// The size limit: a lock-free read copies the value out (a visitor sees the
// copy); beyond 64 bytes that copy costs more than the shared lock it
// avoids (a 1 KiB value: ~600 ns per find against ~60 ns under a lock).
inline constexpr std::size_t lock_free_read_max_bytes = 64;

// Reference-like types: pointers and views. Specialise for your own views
// (a struct holding a pointer that equality follows) to keep them locked.
template <class T>
struct is_reference_like : std::bool_constant<std::is_pointer_v<T> || std::is_member_pointer_v<T>> {
};
template <class C, class Tr>
struct is_reference_like<std::basic_string_view<C, Tr>> : std::true_type {};
#if __cplusplus >= 202002L && __has_include(<span>)
template <class T, std::size_t N>
struct is_reference_like<std::span<T, N>> : std::true_type {};
#endif

// Whether keys or values of type T may be read lock-free. A container reads
// lock-free when both its key and its mapped type are. Specialise it to
// decide either way, e.g. for a 128-byte value that is read far more often
// than written, or for a trivially copyable key whose equality follows a
// pointer:
//     template <> struct tophash::is_lock_free_readable<my_key> : std::false_type {};
// Setting it to true for a type that is not trivially copyable is a compile
// error.
template <class T>
struct is_lock_free_readable
    : std::bool_constant<std::is_trivially_copyable_v<T> && !is_reference_like<T>::value &&
                         sizeof(T) <= lock_free_read_max_bytes> {};

}  // namespace tophash
