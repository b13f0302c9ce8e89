// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the tests.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string>

// std::pmr, where the standard library has it.
#if __has_include(<memory_resource>)
#include <memory_resource>
#define TOPHASH_TEST_HAVE_PMR 1
#else
#define TOPHASH_TEST_HAVE_PMR 0  // libc++ 14 has only <experimental/memory_resource>
#endif

// Multiplier for loop counts: TOPHASH_TEST_SCALE (default 1). scripts/test
// raises it for the native release and TSan runs (more interleavings where
// they are cheap); ASan and qemu runs keep 1.
inline int test_scale() {
    static const int scale = [] {
        const char* s = std::getenv("TOPHASH_TEST_SCALE");
        const int v = s != nullptr ? std::atoi(s) : 1;
        return v > 0 ? v : 1;
    }();
    return scale;
}

// Slow environments (qemu, sanitizers) set TOPHASH_TEST_LIGHT to cut the
// heaviest loops by this divisor.
inline int test_light_divisor() {
    const char* s = std::getenv("TOPHASH_TEST_LIGHT");
    return s != nullptr && std::atoi(s) > 0 ? std::atoi(s) : 1;
}

inline int iterations(int base) {
    const int n = base * test_scale() / test_light_divisor();
    return n > 0 ? n : 1;
}

// The model's side of erase_if(pred): erases the reference map's entries
// whose value pred accepts and returns how many.
template <class Map, class Pred>
std::size_t erase_from_model(Map& ref, Pred pred) {
    std::size_t erased = 0;
    for (auto it = ref.begin(); it != ref.end();) {
        if (pred(it->second)) {
            it = ref.erase(it);
            ++erased;
        } else {
            ++it;
        }
    }
    return erased;
}
