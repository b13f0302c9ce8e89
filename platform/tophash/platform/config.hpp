// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// What the compiler and its flags give every part of tophash: the language
// level, ThreadSanitizer, forced inlining. A leaf: simd/ and concurrency/
// include it, it includes nothing of tophash, so a macro here means the same
// in every header whatever the order they are included in.
#pragma once

#if defined(_MSVC_LANG) ? _MSVC_LANG < 201703L : __cplusplus < 201703L
#error "tophash needs C++17 or later: compile with -std=c++17 (or /std:c++17)"
#endif

// TOPHASH_TSAN: the program is built with ThreadSanitizer. GCC says so with
// __SANITIZE_THREAD__; clang (and GCC >= 14) with __has_feature.
#ifndef TOPHASH_TSAN
#if defined(__SANITIZE_THREAD__)
#define TOPHASH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TOPHASH_TSAN 1
#endif
#endif
#endif

// For the few tiny functions every lookup runs (the epoch announcement, the
// chain walk's loads): GCC stopped inlining epoch_guard's constructor and
// bucket_ref::next() into the find loop of a large translation unit
// (bench_map), and finds at 2^23 elements became 20% slower.
#if defined(__GNUC__) || defined(__clang__)
#define TOPHASH_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TOPHASH_ALWAYS_INLINE inline
#endif

// TOPHASH_ASSERTS: checks of the user's calls that abort with a message
// naming the call (a visitor that re-enters its container, swap of unequal
// allocators). On unless NDEBUG is defined.
#if !defined(TOPHASH_ASSERTS) && !defined(NDEBUG)
#define TOPHASH_ASSERTS 1
#endif

// TOPHASH_CHECK_INVARIANTS: every write checks the slot rules of the chain it
// wrote before it ends (detail/chain.hpp). Off by default (a walk of the chain
// per write); the tests turn it on.
#ifndef TOPHASH_CHECK_INVARIANTS
#define TOPHASH_CHECK_INVARIANTS 0
#endif
