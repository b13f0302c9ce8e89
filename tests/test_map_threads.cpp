// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Thread lifecycles: short-lived threads, thread_local destructors, fork.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <new>
#include <thread>
#include <vector>

#include "test_allocators.hpp"
#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using map = tophash::concurrent_map<std::uint64_t, std::uint64_t>;

// A thread_local constructed before the thread's first map operation is
// destroyed after whatever the library registered for that thread; its
// destructor uses the map again. Reader records must still be reused. The
// map comes from a global: the destructor reads no thread-local storage of
// its own.
//
// Not with GCC's emulated TLS (MinGW-w64): it frees every thread-local
// variable before the thread's thread_local destructors run, so such a
// destructor may use no map there (the library's own thread-local pointer
// is gone; docs/api.md, its last paragraph). The threads still come and go.
#if defined(_WIN32) && defined(__GNUC__) && !defined(__clang__)
constexpr bool maps_in_thread_local_destructors = false;
#else
constexpr bool maps_in_thread_local_destructors = true;
#endif
std::atomic<map*> at_exit_map{nullptr};
struct uses_map_at_exit {
    ~uses_map_at_exit() {
        if (map* m = at_exit_map.load()) (void)m->contains(1);
    }
};
thread_local uses_map_at_exit at_exit;

TEST(Threads, ThreadLocalDestructorsDoNotLeakReaderRecords) {
    map m;
    m.emplace(1, 1);
    const std::size_t before = tophash::concurrency::epoch_detail::record_count();
    if (maps_in_thread_local_destructors) at_exit_map = &m;
    for (int i = 0; i < 2000; ++i) {
        std::thread([&] {
            (void)&at_exit;   // constructed first
            m.emplace(2, 2);  // registers the thread
        }).join();
    }
    at_exit_map = nullptr;
    EXPECT_LE(tophash::concurrency::epoch_detail::record_count(), before + 2)
        << "one reader record leaked per thread";
}

using counted_map =
    tophash::concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                            std::equal_to<std::uint64_t>,
                            failing_allocator<std::pair<const std::uint64_t, std::uint64_t>>>;

// Retired arrays are freed by later writes, whichever threads make them:
// here no thread writes more than 40 times.
TEST(Threads, ShortLivedWritersStillFreeRetiredArrays) {
    const long before = alloc_control::live_bytes;
    {
        counted_map m;
        const int threads = 2000, writes = 40;
        for (int t = 0; t < threads; t += 2) {
            auto work = [&](int id) {
                for (int i = 0; i < writes; ++i)
                    m.emplace(static_cast<std::uint64_t>(id) * writes + i, i);
            };
            std::thread a(work, t), b(work, t + 1);
            a.join();
            b.join();
        }
        ASSERT_EQ(m.size(), static_cast<std::size_t>(threads * writes));
        // 64 more writers of one write each: whatever is still pending goes.
        for (int t = 0; t < 64; ++t)
            std::thread([&] { m.insert_or_assign(0, 1); }).join();
        const auto st = m.stats();
        ASSERT_FALSE(st.resizing) << st;
        EXPECT_EQ(alloc_control::live_bytes - before, static_cast<long>(st.bytes))
            << "retired arrays still held\n"
            << st;
    }
    EXPECT_EQ(alloc_control::live_bytes, before);
}

#if defined(__unix__) && !defined(TOPHASH_TSAN)
// fork() while another thread is inside a read: in the child that thread
// does not exist, and its record must not hold back reclamation for good.
TEST(Threads, ForkWhileAnotherThreadReads) {
    map reading;
    for (std::uint64_t i = 0; i < 100; ++i)
        reading.emplace(i, i);
    std::atomic<bool> inside{false}, release{false};
    std::thread reader([&] {
        // for_each runs its callback inside a read section.
        bool first = true;
        reading.for_each([&](const auto&) {
            if (!first) return;
            first = false;
            inside = true;
            while (!release.load())
                std::this_thread::yield();
        });
    });
    while (!inside.load())
        std::this_thread::yield();
    const pid_t pid = fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
        // Child: one thread. Grow a map, then check that its retired arrays
        // were freed. Exit code 0: freed; 1: still held.
        const long before = alloc_control::live_bytes;
        int code = 0;
        {
            counted_map m;
            for (std::uint64_t i = 0; i < 200000; ++i)
                m.emplace(i, i);
            for (std::uint64_t i = 0; i < 200000; ++i)
                m.insert_or_assign(i, i + 1);
            if (alloc_control::live_bytes - before != static_cast<long>(m.stats().bytes)) code = 1;
        }
        _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    release = true;
    reader.join();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the child never freed its retired arrays";
}
#endif

}  // namespace
