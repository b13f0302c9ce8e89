// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A reader-writer spinlock for the writers of one stripe.
#pragma once

#include <atomic>
#include <cstdint>

#include "tophash/concurrency/ablation.hpp"
#include "tophash/concurrency/backoff.hpp"

namespace tophash::concurrency {

// `seq_` is odd while a writer holds the lock. Readers that cannot read
// optimistically (types that are not trivially copyable) take the shared
// side, a count that writers wait to drain. Optimistic readers do not use
// this lock at all: they validate the version in the chain's control block
// (seqcount.hpp), so they never touch the stripe's cache line.
class stripe_lock {
  public:
    // --- exclusive side ---
    void lock() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        backoff b;
        for (;;) {
            std::uint64_t s = seq_.load(std::memory_order_relaxed);
            if ((s & 1) == 0 && seq_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst,
                                                           std::memory_order_relaxed)) {
                break;
            }
            b.pause();
        }
        // Dekker-style handshake with lock_shared: both sides use seq_cst, so
        // either the reader sees our odd seq or we see its count.
        while (readers_.load(std::memory_order_seq_cst) != 0)
            b.pause();
    }
    // Only the holder writes seq_ while it is odd, so a plain store (no RMW)
    // releases the lock.
    void unlock() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // --- shared side ---
    void lock_shared() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        backoff b;
        for (;;) {
            readers_.fetch_add(1, std::memory_order_seq_cst);
            if ((seq_.load(std::memory_order_seq_cst) & 1) == 0) return;
            readers_.fetch_sub(1, std::memory_order_relaxed);
            while ((seq_.load(std::memory_order_relaxed) & 1) != 0)
                b.pause();
        }
    }
    void unlock_shared() noexcept {
#if defined(TOPHASH_ABLATE_LOCKS)
        return;
#endif
        readers_.fetch_sub(1, std::memory_order_release);
    }

  private:
    std::atomic<std::uint64_t> seq_{0};
    std::atomic<std::uint32_t> readers_{0};
};

// RAII holders (std::lock_guard / std::shared_lock would do, but these keep
// the header free of <mutex> and <shared_mutex>).
class exclusive_guard {
  public:
    explicit exclusive_guard(stripe_lock& l) noexcept : l_(&l) { l_->lock(); }
    ~exclusive_guard() { l_->unlock(); }
    exclusive_guard(const exclusive_guard&) = delete;
    exclusive_guard& operator=(const exclusive_guard&) = delete;

  private:
    stripe_lock* l_;
};

class shared_guard {
  public:
    explicit shared_guard(stripe_lock& l) noexcept : l_(&l) { l_->lock_shared(); }
    ~shared_guard() { l_->unlock_shared(); }
    shared_guard(const shared_guard&) = delete;
    shared_guard& operator=(const shared_guard&) = delete;

  private:
    stripe_lock* l_;
};

}  // namespace tophash::concurrency
