// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Platform hooks shared by the concurrency primitives.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

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

namespace tophash::concurrency {

// Destructive-interference size: padding unit that keeps two hot objects off
// one cache line. 64 bytes on every target we build for (Apple M-series would
// want 128; std::hardware_destructive_interference_size is not stable across
// compiler flags, which matters for an installed header).
inline constexpr unsigned cache_line = 64;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

}  // namespace tophash::concurrency
