// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Selects the tag-group backend the tables use.
//
// Override with exactly one of TOPHASH_SIMD_PORTABLE, TOPHASH_SIMD_SSE2,
// TOPHASH_SIMD_AVX2, TOPHASH_SIMD_NEON (CMake: -DTOPHASH_SIMD=...); otherwise
// the best backend the compiler targets is chosen.
#pragma once

#include "tophash/simd/group_portable.hpp"

#if !defined(TOPHASH_SIMD_PORTABLE) && !defined(TOPHASH_SIMD_SSE2) && \
    !defined(TOPHASH_SIMD_AVX2) && !defined(TOPHASH_SIMD_NEON)
#if defined(__AVX2__)
#define TOPHASH_SIMD_AVX2 1
#elif defined(__SSE2__)
#define TOPHASH_SIMD_SSE2 1
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define TOPHASH_SIMD_NEON 1
#else
#define TOPHASH_SIMD_PORTABLE 1
#endif
#endif

#if defined(TOPHASH_SIMD_AVX2) || defined(TOPHASH_SIMD_SSE2)
#include "tophash/simd/group_sse2.hpp"
#endif
#if defined(TOPHASH_SIMD_AVX2)
#include "tophash/simd/group_avx2.hpp"
#endif
#if defined(TOPHASH_SIMD_NEON)
#include "tophash/simd/group_neon.hpp"
#endif

namespace tophash::simd {

// `group` is the 16-slot matcher the map's buckets use. AVX2 builds keep the
// SSE2 matcher for 16 slots (compiled with VEX encoding); group_avx2 covers 32
// slots at once and is measured against two SSE2 matches in bench/ (see
// docs/simd.md for why the map does not use it yet).
#if defined(TOPHASH_SIMD_AVX2)
using group = group_sse2;
inline constexpr const char* backend_name = "avx2";
#elif defined(TOPHASH_SIMD_SSE2)
using group = group_sse2;
inline constexpr const char* backend_name = "sse2";
#elif defined(TOPHASH_SIMD_NEON)
using group = group_neon;
inline constexpr const char* backend_name = "neon";
#else
using group = group_portable;
inline constexpr const char* backend_name = "portable";
#endif

static_assert(group::width == 16, "buckets are 16 slots wide");

}  // namespace tophash::simd
