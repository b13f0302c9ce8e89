// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Debug-build detection of callbacks that call back into the same container.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tophash::concurrency {

// A callback runs while its caller holds a lock of the container; calling the
// same container from it can deadlock or corrupt the traversal. Each thread
// keeps a stack (linked through the guards on its own call stack) of the
// containers whose callbacks it is running; every public operation checks it.
// Costs nothing unless TOPHASH_ASSERTS is on (default: when NDEBUG is not set).
class reentrancy_guard {
  public:
    explicit reentrancy_guard(const void* owner) noexcept : owner_(owner), prev_(top()) {
        top() = this;
    }
    ~reentrancy_guard() { top() = prev_; }
    reentrancy_guard(const reentrancy_guard&) = delete;
    reentrancy_guard& operator=(const reentrancy_guard&) = delete;

    static bool inside(const void* owner) noexcept {
        for (const reentrancy_guard* g = top(); g != nullptr; g = g->prev_) {
            if (g->owner_ == owner) return true;
        }
        return false;
    }

    [[noreturn]] static void fail(const char* what) noexcept {
        std::fprintf(stderr,
                     "tophash: %s called from inside a callback (visit, for_each, erase_if, ...) "
                     "running on the same map; callbacks must not call back into their map\n",
                     what);
        std::abort();
    }

  private:
    static const reentrancy_guard*& top() noexcept {
        static thread_local const reentrancy_guard* t = nullptr;
        return t;
    }
    const void* owner_;
    const reentrancy_guard* prev_;
};

}  // namespace tophash::concurrency
