// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Test entry point: skips (exit 77, CTest's SKIP_RETURN_CODE) when the
// backend under test needs a CPU feature this machine lacks.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--require-avx2") == 0) {
#if defined(__x86_64__) || defined(__i386__)
            if (!__builtin_cpu_supports("avx2")) {
                std::printf("skipped: this CPU has no AVX2\n");
                return 77;
            }
#else
            std::printf("skipped: not an x86 CPU\n");
            return 77;
#endif
        }
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
