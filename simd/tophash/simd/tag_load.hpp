// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Loading a bucket's tag bytes for matching.
#pragma once

#include <cstddef>
#include <cstring>

#include "tophash/platform/config.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::simd {

// Writers store tags with 1-byte atomic stores while optimistic readers match
// them with one wide load; the reader's version check discards any torn read.
// ThreadSanitizer cannot see that protocol and reports the wide load, so under
// TSan the bytes are loaded one atomic at a time (as Boost's foa does).
template <std::size_t N>
inline void load_tags(tag_t* out, const tag_t* src) noexcept {
#if defined(TOPHASH_TSAN)
    for (std::size_t i = 0; i < N; ++i)
        out[i] = __atomic_load_n(src + i, __ATOMIC_RELAXED);
#else
    std::memcpy(out, src, N);
#endif
}

#if defined(TOPHASH_TSAN)
inline constexpr bool tag_loads_are_bytewise = true;
#else
inline constexpr bool tag_loads_are_bytewise = false;
#endif

}  // namespace tophash::simd
