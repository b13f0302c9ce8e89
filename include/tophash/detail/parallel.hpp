// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Parallel whole-table walks: the traversal's units (concurrent_table.hpp, the walk protocol)
// handed to threads. Two engines:
//   tophash::threads{n}   n std::threads pulling units from a shared counter;
//                         needs nothing beyond the standard library.
//   std::execution::par   and the other standard policies, when
//                         TOPHASH_ENABLE_PARALLEL_ALGORITHMS is defined (it
//                         includes <execution>, which with libstdc++ runs
//                         on TBB and then needs -ltbb; so it is opt-in).
// Serial walks need neither.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <type_traits>
#include <vector>

#include "tophash/detail/exceptions.hpp"
#include "tophash/threads.hpp"

// A program that included <execution> before tophash uses the standard
// policies already (and links what they need): they work unchanged, as
// Boost's do. The guards of libstdc++, libc++ and Microsoft's library.
#if !defined(TOPHASH_ENABLE_PARALLEL_ALGORITHMS) && \
    (defined(_GLIBCXX_EXECUTION) || defined(_LIBCPP_EXECUTION) || defined(_EXECUTION_))
#define TOPHASH_ENABLE_PARALLEL_ALGORITHMS 1
#endif
#if defined(TOPHASH_ENABLE_PARALLEL_ALGORITHMS) && __has_include(<execution>)
#include <execution>
#endif
// Only where the library implements the policies: libc++ 14 ships an
// <execution> without them (no std::is_execution_policy_v).
#if defined(TOPHASH_ENABLE_PARALLEL_ALGORITHMS) && defined(__cpp_lib_execution)
#define TOPHASH_HAVE_EXECUTION 1
#else
#define TOPHASH_HAVE_EXECUTION 0
#endif

namespace tophash {

namespace detail {

template <class P>
using policy_t = std::remove_cv_t<std::remove_reference_t<P>>;

template <class>
inline constexpr bool dependent_false_v = false;

template <class P>
inline constexpr bool is_execution_policy_v =
#if TOPHASH_HAVE_EXECUTION
    std::is_execution_policy_v<policy_t<P>> ||
#endif
    std::is_same_v<policy_t<P>, threads>;

// Runs unit(i) for i in [0, n) until one returns false; false if one did
// (units not yet started are then skipped). With tophash::threads, the first
// exception a unit throws stops the others and is rethrown here.
template <class Policy, class Unit>
bool run_units(Policy&& policy, std::size_t n, Unit&& unit) {
    std::atomic<bool> go_on{true};
    if constexpr (std::is_same_v<policy_t<Policy>, threads>) {
        unsigned t = policy.count != 0 ? policy.count : std::thread::hardware_concurrency();
        t = static_cast<unsigned>(std::min<std::size_t>(std::max(t, 1u), n == 0 ? 1 : n));
        std::atomic<std::size_t> next{0};
        std::exception_ptr error;
        std::mutex error_mutex;
        auto work = [&] {
            TOPHASH_TRY {
                for (std::size_t i; go_on.load(std::memory_order_relaxed) &&
                                    (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
                    if (!unit(i)) go_on.store(false, std::memory_order_relaxed);
                }
            }
            TOPHASH_CATCH_ALL {
                std::lock_guard<std::mutex> g(error_mutex);
                if (!error) error = std::current_exception();
                go_on.store(false, std::memory_order_relaxed);
            }
        };
        std::vector<std::thread> helpers;
        helpers.reserve(t - 1);
        for (unsigned k = 1; k < t; ++k)
            helpers.emplace_back(work);
        work();
        for (auto& h : helpers)
            h.join();
        if (error) std::rethrow_exception(error);
    } else {
#if TOPHASH_HAVE_EXECUTION
        std::vector<std::size_t> ids(n);
        std::iota(ids.begin(), ids.end(), std::size_t{0});
        std::for_each(std::forward<Policy>(policy), ids.begin(), ids.end(), [&](std::size_t i) {
            if (go_on.load(std::memory_order_relaxed) && !unit(i))
                go_on.store(false, std::memory_order_relaxed);
        });
#endif
    }
    return go_on.load();
}

}  // namespace detail
}  // namespace tophash
