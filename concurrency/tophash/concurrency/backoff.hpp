// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Spin-then-yield waiting for short critical sections.
#pragma once

#include <thread>

#include "tophash/concurrency/platform.hpp"

namespace tophash::concurrency {

// Critical sections here last tens of nanoseconds, so a waiter first spins.
// Once the holder has likely been descheduled (more threads than cores), more
// spinning only burns the holder's CPU, so the waiter yields instead.
class backoff {
  public:
    void pause() noexcept {
        if (spins_ < spin_limit) {
            for (unsigned i = 0; i < (1u << (spins_ / 16)); ++i)
                cpu_relax();
            ++spins_;
        } else {
            std::this_thread::yield();
        }
    }

  private:
    // ~64 pauses of growing length cover a few microseconds on current CPUs:
    // longer than any stripe's critical section when its holder is running.
    static constexpr unsigned spin_limit = 64;
    unsigned spins_ = 0;
};

}  // namespace tophash::concurrency
