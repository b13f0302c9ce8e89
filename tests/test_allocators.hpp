// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// An allocator for tests: counts the bytes it holds and fails on demand.
#pragma once

#include <atomic>
#include <cstddef>
#include <new>

struct alloc_control {
    static inline std::atomic<long> countdown{-1};  // the allocation that brings it to 0 fails
    static inline std::atomic<long> live_bytes{0};
};

template <class T>
struct failing_allocator {
    using value_type = T;
    failing_allocator() = default;
    template <class U>
    failing_allocator(const failing_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (alloc_control::countdown.load() > 0 && --alloc_control::countdown == 0) {
            throw std::bad_alloc();
        }
        alloc_control::live_bytes += static_cast<long>(n * sizeof(T));
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        alloc_control::live_bytes -= static_cast<long>(n * sizeof(T));
        ::operator delete(p, std::align_val_t(alignof(T)));
    }
    template <class U>
    bool operator==(const failing_allocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const failing_allocator<U>&) const noexcept {
        return false;
    }
};
