// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A reader-writer spinlock for the writers of one stripe.
#pragma once

#include <atomic>
#include <cstdint>

#include "tophash/concurrency/ablation.hpp"
#include "tophash/concurrency/backoff.hpp"
#include "tophash/concurrency/platform.hpp"

namespace tophash::concurrency {

// `seq_` is odd while a writer holds the lock. Readers that cannot read
// optimistically (types that are not trivially copyable) take the shared
// side, a count that writers wait to drain. Optimistic readers do not use
// this lock at all: they validate the version in the chain's control block
// (seqcount.hpp), so they never touch the stripe's cache line.
class stripe_lock {
  public:
    // --- exclusive side ---
    // The uncontended path inline (one CAS, one load), the waiting out of
    // line: GCC called the whole lock out of line from the write paths.
    TOPHASH_ALWAYS_INLINE void lock() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        if (__builtin_expect(!try_take(), 0)) {
            lock_slow();
            return;
        }
        // Dekker-style handshake with lock_shared: both sides use seq_cst, so
        // either the reader sees our odd seq or we see its count.
        if (__builtin_expect(readers_.load(std::memory_order_seq_cst) != 0, 0)) drain_readers();
    }
    // Only the holder writes seq_ while it is odd, so a plain store (no RMW)
    // releases the lock.
    TOPHASH_ALWAYS_INLINE void unlock() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // --- shared side ---
    TOPHASH_ALWAYS_INLINE void lock_shared() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        if (__builtin_expect(!try_share(), 0)) lock_shared_slow();
    }
    TOPHASH_ALWAYS_INLINE void unlock_shared() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        readers_.fetch_sub(1, std::memory_order_release);
    }

  private:
    // One attempt at the exclusive side: seq_ even, and ours made odd.
    TOPHASH_ALWAYS_INLINE bool try_take() noexcept {
        std::uint64_t s = seq_.load(std::memory_order_relaxed);
        return (s & 1) == 0 && seq_.compare_exchange_strong(s, s + 1, std::memory_order_seq_cst,
                                                            std::memory_order_relaxed);
    }
    // Counts this reader in; true unless a writer holds the lock (the count
    // must then be taken back).
    TOPHASH_ALWAYS_INLINE bool try_share() noexcept {
        readers_.fetch_add(1, std::memory_order_seq_cst);
        return (seq_.load(std::memory_order_seq_cst) & 1) == 0;
    }

    [[gnu::noinline]] void lock_slow() noexcept {
        backoff b;
        do {
            b.pause();
        } while (!try_take());
        drain_readers();
    }
    [[gnu::noinline]] void drain_readers() noexcept {
        backoff b;
        while (readers_.load(std::memory_order_seq_cst) != 0)
            b.pause();
    }
    // Entered holding a reader count that a writer's odd seq_ made invalid.
    [[gnu::noinline]] void lock_shared_slow() noexcept {
        backoff b;
        for (;;) {
            readers_.fetch_sub(1, std::memory_order_relaxed);
            while ((seq_.load(std::memory_order_relaxed) & 1) != 0)
                b.pause();
            if (try_share()) return;
        }
    }

    std::atomic<std::uint64_t> seq_{0};
    std::atomic<std::uint32_t> readers_{0};
};

// RAII holders (std::lock_guard / std::shared_lock would do, but these keep
// the header free of <mutex> and <shared_mutex>).
class exclusive_guard {
  public:
    TOPHASH_ALWAYS_INLINE explicit exclusive_guard(stripe_lock& l) noexcept : l_(&l) { l_->lock(); }
    TOPHASH_ALWAYS_INLINE ~exclusive_guard() { l_->unlock(); }
    exclusive_guard(const exclusive_guard&) = delete;
    exclusive_guard& operator=(const exclusive_guard&) = delete;

  private:
    stripe_lock* l_;
};

class shared_guard {
  public:
    TOPHASH_ALWAYS_INLINE explicit shared_guard(stripe_lock& l) noexcept : l_(&l) {
        l_->lock_shared();
    }
    TOPHASH_ALWAYS_INLINE ~shared_guard() { l_->unlock_shared(); }
    shared_guard(const shared_guard&) = delete;
    shared_guard& operator=(const shared_guard&) = delete;

  private:
    stripe_lock* l_;
};

}  // namespace tophash::concurrency
