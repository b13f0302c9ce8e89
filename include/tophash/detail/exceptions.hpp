// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Errors with and without exceptions. Built with -fno-exceptions, what would
// throw prints its message and aborts (as Abseil and Boost do), and the
// handlers that roll a failed operation back compile to dead code: nothing in
// such a program can throw into them.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define TOPHASH_HAS_EXCEPTIONS 1
#define TOPHASH_TRY try
#define TOPHASH_CATCH_ALL catch (...)
#define TOPHASH_RETHROW throw
#else
#define TOPHASH_HAS_EXCEPTIONS 0
#define TOPHASH_TRY if (true)
#define TOPHASH_CATCH_ALL else
#define TOPHASH_RETHROW static_cast<void>(0)
#endif

namespace tophash::detail {

[[noreturn]] inline void fail_without_exceptions(const char* type, const char* what) noexcept {
    std::fprintf(stderr, "%s (%s; exceptions are disabled)\n", what, type);
    std::abort();
}

[[noreturn]] inline void throw_length_error(const char* what) {
#if TOPHASH_HAS_EXCEPTIONS
    throw std::length_error(what);
#else
    fail_without_exceptions("std::length_error", what);
#endif
}

[[noreturn]] inline void throw_bad_alloc() {
#if TOPHASH_HAS_EXCEPTIONS
    throw std::bad_alloc();
#else
    fail_without_exceptions("std::bad_alloc", "tophash: out of memory");
#endif
}

}  // namespace tophash::detail
