// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A sequence counter over a plain 64-bit word, for versions embedded in
// other structures (e.g. next to the data they protect, on its cache line).
#pragma once

#include <atomic>
#include <cstdint>

#include "tophash/concurrency/ablation.hpp"
#include "tophash/concurrency/backoff.hpp"
#include "tophash/concurrency/platform.hpp"

namespace tophash::concurrency::seqcount {

// Writers must already exclude each other (a lock); the count only tells
// optimistic readers that a write happened. Odd: a write is in progress.
// Same fence protocol as stripe_lock (Boehm 2012): write_begin publishes the
// odd value before the data stores; readers load the data, fence, re-read.

// Always inlined, as are write_end and the stripe lock's fast paths: GCC
// counts the atomic builtins as calls, and in a large write path it called
// these three-instruction bodies out of line (docs/design.md, Writes).
TOPHASH_ALWAYS_INLINE void write_begin(std::uint64_t* c) noexcept {
#if defined(TOPHASH_ABLATE_VERSIONS)
    (void)c;
    return;
#endif
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
#if defined(TOPHASH_TSAN)
    // TSan does not model stand-alone fences. The RMW must be acquire as
    // well as release: only then can the data stores that follow not be
    // seen by a reader whose validating RMW comes first (as the fence does).
    __atomic_fetch_add(c, 0, __ATOMIC_ACQ_REL);
#else
    std::atomic_thread_fence(std::memory_order_release);
#endif
}

TOPHASH_ALWAYS_INLINE void write_end(std::uint64_t* c) noexcept {
#if defined(TOPHASH_ABLATE_VERSIONS)
    (void)c;
    return;
#endif
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

// An even count to validate against (waits out a write in progress).
inline std::uint64_t read_begin(const std::uint64_t* c) noexcept {
#if defined(TOPHASH_ABLATE_VERSIONS)
    (void)c;
    return 0;
#endif
    std::uint64_t v = __atomic_load_n(c, __ATOMIC_ACQUIRE);
    if ((v & 1) != 0) {
        backoff b;
        do {
            b.pause();
            v = __atomic_load_n(c, __ATOMIC_ACQUIRE);
        } while ((v & 1) != 0);
    }
    return v;
}

// The count now, odd or not, without waiting: for a reader with another way
// in (a lock), which tests (v & 1) itself rather than wait out the writer.
inline std::uint64_t read_peek(const std::uint64_t* c) noexcept {
#if defined(TOPHASH_ABLATE_VERSIONS)
    (void)c;
    return 0;
#endif
    return __atomic_load_n(c, __ATOMIC_ACQUIRE);
}
inline bool read_validate(const std::uint64_t* c, std::uint64_t v) noexcept {
#if defined(TOPHASH_ABLATE_VERSIONS)
    (void)c;
    (void)v;
    return true;
#endif
#if defined(TOPHASH_TSAN)
    return __atomic_fetch_add(const_cast<std::uint64_t*>(c), 0, __ATOMIC_ACQ_REL) == v;
#else
    std::atomic_thread_fence(std::memory_order_acquire);
    return __atomic_load_n(c, __ATOMIC_RELAXED) == v;
#endif
}

}  // namespace tophash::concurrency::seqcount
