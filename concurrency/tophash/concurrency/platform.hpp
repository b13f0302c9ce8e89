// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Platform hooks shared by the concurrency primitives.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "tophash/platform/config.hpp"

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
