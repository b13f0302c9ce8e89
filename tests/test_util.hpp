// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the tests.
#pragma once

#include <cstdlib>
#include <string>

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
