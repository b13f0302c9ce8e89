// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The gate every operation of a container passes, which a blocking operation
// (swap, assignment) closes to have the container's state to itself.
//
// Readers take no lock a blocking operation could wait on, so the gate is a
// flag and a grace period: the blocking operation closes it, then waits until
// no epoch section that began before on the owner is still running
// (epoch_detail::quiesce); sections that begin after find it closed and
// step out of their section until it opens again.
#pragma once

#include <atomic>
#include <mutex>

#include "tophash/concurrency/backoff.hpp"
#include "tophash/concurrency/epoch.hpp"
#include "tophash/platform/config.hpp"

namespace tophash::concurrency {

class freeze_gate {
  public:
    // Whether the gate is closed: an operation checks it right after opening
    // its epoch section, and calls wait_open if it is. Two calls, not one:
    // the owner keeps the wait out of line, so that its lookups do not
    // compute the gate's address for it (bench_instructions).
    TOPHASH_ALWAYS_INLINE bool closed() const noexcept {
        return __builtin_expect(closed_.load(std::memory_order_acquire), 0);
    }
    // Waits outside the section eg (on `owner`) until the gate opens.
    void wait_open(epoch_section eg, const void* owner) const noexcept {
        // A section already open on the owner (a nested call) is one the
        // blocking operation waits for: it cannot be frozen out of it.
        if (eg.nested_in(owner)) return;
        while (closed_.load(std::memory_order_acquire)) {
            eg.pause();
            spin_while_closed();
            eg.resume();
        }
    }
    // closed() and wait_open() for a caller holding `held` (the owner's resize mutex), which it
    // gives up while it waits: the blocking operation takes it after quiesce.
    void pass_holding(epoch_section eg, const void* owner,
                      std::unique_lock<std::mutex>& held) const {
        while (__builtin_expect(closed_.load(std::memory_order_acquire), 0)) {
            if (eg.nested_in(owner)) return;
            eg.pause();
            held.unlock();
            spin_while_closed();
            held.lock();
            eg.resume();
        }
    }
    // The blocking operation's side; it quiesces the owner after close().
    void close() noexcept { closed_.store(true, std::memory_order_seq_cst); }
    // Release: an operation that finds the gate open sees the new state.
    void open() noexcept { closed_.store(false, std::memory_order_release); }

  private:
    void spin_while_closed() const noexcept {
        backoff b;
        while (closed_.load(std::memory_order_acquire))
            b.pause();
    }

    std::atomic<bool> closed_{false};
};

}  // namespace tophash::concurrency
