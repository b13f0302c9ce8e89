// A reader-writer spinlock whose write side is also a sequence lock.
#pragma once

#include <atomic>
#include <cstdint>

#include "tophash/concurrency/backoff.hpp"
#include "tophash/concurrency/platform.hpp"

namespace tophash::concurrency {

// One word `seq_` is both the writer lock (odd = held) and the version that
// optimistic readers validate: every write section moves it by 2, so a reader
// that saw the same even value before and after its reads saw no writer.
// Readers that cannot read optimistically (types that are not trivially
// copyable) take the shared side, a count that writers wait to drain.
//
// Memory-model notes: the write side is CAS(seq, even -> odd), then a release
// fence, then the data stores; an optimistic reader does its loads, an acquire
// fence, then re-reads seq. If a reader saw any store made inside the section,
// the fences synchronise and the reader sees seq changed (Boehm, "Can seqlocks
// get along with programming language memory models?", 2012).
class stripe_lock {
  public:
    // --- exclusive side ---
    void lock() noexcept {
        backoff b;
        for (;;) {
            std::uint64_t s = seq_.load(std::memory_order_relaxed);
            if ((s & 1) == 0 && seq_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst,
                                                           std::memory_order_relaxed)) {
                break;
            }
            b.pause();
        }
        publish_write_start();
        // Dekker-style handshake with lock_shared: both sides use seq_cst, so
        // either the reader sees our odd seq or we see its count.
        while (readers_.load(std::memory_order_seq_cst) != 0)
            b.pause();
    }
    bool try_lock() noexcept {
        std::uint64_t s = seq_.load(std::memory_order_relaxed);
        if ((s & 1) != 0 || !seq_.compare_exchange_strong(s, s + 1, std::memory_order_seq_cst,
                                                          std::memory_order_relaxed)) {
            return false;
        }
        publish_write_start();
        backoff b;
        while (readers_.load(std::memory_order_seq_cst) != 0)
            b.pause();
        return true;
    }
    // Only the holder writes seq_ while it is odd, so a plain store (no RMW)
    // releases the lock and publishes the new version.
    void unlock() noexcept {
        seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    bool is_locked() const noexcept { return (seq_.load(std::memory_order_relaxed) & 1) != 0; }

    // --- shared side ---
    void lock_shared() noexcept {
        backoff b;
        for (;;) {
            readers_.fetch_add(1, std::memory_order_seq_cst);
            if ((seq_.load(std::memory_order_seq_cst) & 1) == 0) return;
            readers_.fetch_sub(1, std::memory_order_relaxed);
            while ((seq_.load(std::memory_order_relaxed) & 1) != 0)
                b.pause();
        }
    }
    void unlock_shared() noexcept { readers_.fetch_sub(1, std::memory_order_release); }

    // --- optimistic side ---
    // An even version to validate against later (waits out a running writer).
    std::uint64_t read_begin() const noexcept {
        std::uint64_t s = seq_.load(std::memory_order_acquire);
        if ((s & 1) != 0) {
            backoff b;
            do {
                b.pause();
                s = seq_.load(std::memory_order_acquire);
            } while ((s & 1) != 0);
        }
        return s;
    }
    // True if no writer entered since read_begin returned `version`.
    bool read_validate(std::uint64_t version) const noexcept {
#if defined(TOPHASH_TSAN)
        // TSan does not model stand-alone fences; an RMW gives it (and the
        // hardware) the same ordering. Only sanitizer builds pay for it.
        return const_cast<std::atomic<std::uint64_t>&>(seq_).fetch_add(
                   0, std::memory_order_acq_rel) == version;
#else
        std::atomic_thread_fence(std::memory_order_acquire);
        return seq_.load(std::memory_order_relaxed) == version;
#endif
    }

  private:
    void publish_write_start() noexcept {
#if !defined(TOPHASH_TSAN)
        std::atomic_thread_fence(std::memory_order_release);
#endif
    }

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
