// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Reader registry and reclamation side of concurrency/epoch.hpp.
#include "tophash/concurrency/epoch.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <thread>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define TOPHASH_HAVE_PTHREAD 1
#endif
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <mutex>
#endif
#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tophash::concurrency {
namespace epoch_detail {

// Starts at 1 so that 0 can mean "not in a critical section".
std::atomic<std::uint64_t> global_epoch{1};
__thread record* this_thread_record = nullptr;
// Constant-initialised to the safe choice; cleared by membarrier_registered()
// once, before any thread can read it without fencing (see epoch.hpp).
bool reader_fence_needed = true;

namespace {
std::atomic<record*> all_records{nullptr};
std::atomic<bool> barriers_fail{false};

bool register_membarrier() noexcept {
#if defined(__linux__) && defined(SYS_membarrier) && !defined(TOPHASH_TSAN)
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
        reader_fence_needed = false;
        return true;
    }
#elif defined(_WIN32) && !defined(TOPHASH_TSAN)
    // FlushProcessWriteBuffers (Vista and later) is Windows' membarrier: it
    // interrupts every processor running a thread of the process.
    reader_fence_needed = false;
    return true;
#endif
    return false;
}

// Decided on first use, by a registering reader or a reclaimer, never during
// another translation unit's static initialisation half-way: a magic static
// orders the decision before every use of it.
bool membarrier_registered() noexcept {
    static const bool registered = register_membarrier();
    return registered;
}

// Gives r back to the pool (it keeps its place in all_records). Leaves the
// thread's own pointer alone: see release().
void give_back(record* r) noexcept {
#if defined(_WIN32)
    if (r->holder != nullptr) CloseHandle(static_cast<HANDLE>(std::exchange(r->holder, nullptr)));
#endif
    r->parked.store(false, std::memory_order_relaxed);  // the next thread starts unparked
    r->owner.store(nullptr, std::memory_order_relaxed);
    r->epoch.store(0, std::memory_order_release);
    r->in_use.store(false, std::memory_order_release);
}
#if !defined(_WIN32)
// give_back, and the calling thread forgets r, so that it registers again if
// it reads once more (a later pthread key destructor).
void release(record* r) noexcept {
    if (this_thread_record == r) this_thread_record = nullptr;
    give_back(r);
}
#endif

#if defined(TOPHASH_HAVE_PTHREAD)
// A thread's record goes back to the pool when the thread exits, through a
// pthread key destructor: those run after every C++ thread_local destructor
// of the thread (glibc, musl, macOS), so a thread_local whose destructor uses
// a map cannot re-register after the release and leak its record. If a
// later key destructor does, the new value makes the thread run the key
// destructors again (up to PTHREAD_DESTRUCTOR_ITERATIONS rounds).
void release_key_destructor(void* r) {
    release(static_cast<record*>(r));
}

// In a child of fork() only the forking thread exists: the records of the
// others (some maybe inside a read, with an epoch that would hold back all
// reclamation for good) are released. The forking thread's own record stays.
void release_others_after_fork() {
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        if (r != this_thread_record && r->in_use.load(std::memory_order_relaxed)) release(r);
    }
}

pthread_key_t release_key() {
    static const pthread_key_t key = [] {
        pthread_key_t k;
        if (pthread_key_create(&k, &release_key_destructor) != 0) std::abort();
        pthread_atfork(nullptr, nullptr, &release_others_after_fork);
        return k;
    }();
    return key;
}
void release_at_thread_exit(record* r) {
    pthread_setspecific(release_key(), r);
}
#elif defined(_WIN32)
// Windows: a fiber-local slot's callback, which the system calls at thread
// exit with the slot's value, gives the record back. It reads no thread-local
// variable: with GCC's emulated TLS (MinGW-w64) those are freed before the
// thread's C++ thread_local destructors run, and a thread_local releaser
// read freed memory there. The callback runs after those destructors; a
// thread_local destructor that registers again (a map used in it) stores
// its new record in the slot. A record whose release never comes is taken
// back once its thread has exited (take_back_exited).
void WINAPI release_fiber_slot(void* r) {
    if (r != nullptr) give_back(static_cast<record*>(r));
}
DWORD release_slot() {
    static const DWORD slot = [] {
        const DWORD s = FlsAlloc(&release_fiber_slot);
        if (s == FLS_OUT_OF_INDEXES) std::abort();
        return s;
    }();
    return slot;
}
void release_at_thread_exit(record* r) {
    if (!FlsSetValue(release_slot(), r)) std::abort();
}
#else
// Elsewhere, a thread_local releases the record.
struct record_releaser {
    ~record_releaser() {
        if (record* r = this_thread_record) release(r);
    }
};
void release_at_thread_exit(record*) {
    static thread_local record_releaser releaser;
    (void)&releaser;  // odr-use: constructs the releaser for this thread
}
#endif

#if defined(_WIN32)
// The records of threads that exited without giving them back go back to the
// pool. Run before a new record is allocated, so a program's record count is
// bounded by the threads alive at once, plus one.
// Registering threads take records back one at a time (each is released once).
void take_back_exited() noexcept {
    static std::mutex one_at_a_time;
    std::lock_guard<std::mutex> lock(one_at_a_time);
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        if (!r->in_use.load(std::memory_order_acquire) || r == this_thread_record) continue;
        auto* h = static_cast<HANDLE>(r->holder);
        if (h != nullptr && WaitForSingleObject(h, 0) == WAIT_OBJECT_0) give_back(r);
    }
}
// Remembers the calling thread in its record, for take_back_exited.
void note_holder(record* r) noexcept {
    r->holder = OpenThread(SYNCHRONIZE, FALSE, GetCurrentThreadId());
}
#endif

// The oldest epoch any reader may still be working in (max if none).
std::uint64_t oldest_active_epoch() noexcept {
    std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        const std::uint64_t e = r->epoch.load(std::memory_order_seq_cst);
        if (e != 0) oldest = std::min(oldest, e);
    }
    return oldest;
}

// Makes every running thread's earlier stores visible to the caller, as if
// each had run a full fence (membarrier(2), or a fence where readers fence
// themselves). False if that could not be done (membarrier failed): the
// caller must then free nothing.
bool heavy_barrier() noexcept {
    if (barriers_fail.load(std::memory_order_relaxed)) return false;
#if defined(__linux__) && defined(SYS_membarrier) && !defined(TOPHASH_TSAN)
    if (membarrier_registered()) {
        // It can fail (ENOMEM, or a registration lost): then readers did not
        // fence and nothing read may be freed on this round.
        return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
    }
#elif defined(_WIN32) && !defined(TOPHASH_TSAN)
    FlushProcessWriteBuffers();
    return true;
#endif
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return true;
}
}  // namespace

void fail_barriers_for_testing(bool fail) noexcept {
    barriers_fail.store(fail, std::memory_order_relaxed);
}

record* register_this_thread() {
    (void)membarrier_registered();  // before this thread reads reader_fence_needed
    record* mine = nullptr;
    auto take_free = [&] {
        for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
            bool expected = false;
            if (!r->in_use.load(std::memory_order_relaxed) &&
                r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
                mine = r;
                return;
            }
        }
    };
    take_free();
#if defined(_WIN32)
    if (mine == nullptr) {
        take_back_exited();
        take_free();
    }
#endif
    if (mine == nullptr) {
        mine = new record;
        mine->in_use.store(true, std::memory_order_relaxed);
        record* head = all_records.load(std::memory_order_relaxed);
        do {
            mine->next = head;
        } while (!all_records.compare_exchange_weak(head, mine, std::memory_order_release,
                                                    std::memory_order_relaxed));
    }
    this_thread_record = mine;
#if defined(_WIN32)
    note_holder(mine);
#endif
    release_at_thread_exit(mine);
    return mine;
}

void quiesce(const void* a, const void* b) noexcept {
    // Sections announced from here on began after the caller froze a and b
    // (it did so before this RMW), so they see the freeze and wait outside.
    const std::uint64_t fresh = global_epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
    for (;;) {
        // A failed barrier proves nothing: try again (ENOMEM passes).
        bool quiet = heavy_barrier();
        for (record* r = all_records.load(std::memory_order_acquire); quiet && r != nullptr;
             r = r->next) {
            if (r == this_thread_record) continue;
            const std::uint64_t e = r->epoch.load(std::memory_order_seq_cst);
            if (e == 0 || e >= fresh) continue;
            if (r->parked.load(std::memory_order_seq_cst)) {
                // Waiting for a frozen structure, inside a section on another.
                const void* o = r->owner.load(std::memory_order_relaxed);
                if (o != nullptr && o != a && o != b && o != many()) continue;
            }
            quiet = false;
        }
        if (quiet) return;
        std::this_thread::yield();
    }
}

std::size_t record_count() noexcept {
    std::size_t n = 0;
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next)
        ++n;
    return n;
}

}  // namespace epoch_detail

void retire_list::reserve(std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.reserve(entries_.size() + n);
}

void retire_list::retire(void* object, deleter del, void* context) noexcept {
    using namespace epoch_detail;
    // Readers that announce the new epoch started after `object` was unlinked
    // (the caller unlinked it before calling us), so they cannot reach it.
    const std::uint64_t e = global_epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back(entry{e, object, del, context});
    pending_.store(true, std::memory_order_relaxed);
}

void retire_list::reclaim() noexcept {
    if (!pending()) return;
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is reclaiming
    // Never free on a failed barrier: a reader's announcement may be unseen.
    if (!epoch_detail::heavy_barrier()) return;
    const std::uint64_t oldest = epoch_detail::oldest_active_epoch();
    // Entries left are those still reachable and those whose deleter has
    // more steps to take.
    auto keep = std::remove_if(entries_.begin(), entries_.end(), [&](const entry& x) {
        return x.epoch <= oldest && x.del(x.object, x.context);
    });
    entries_.erase(keep, entries_.end());
    pending_.store(!entries_.empty(), std::memory_order_relaxed);
}

std::size_t retire_list::pending_count() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

void retire_list::drain() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const entry& x : entries_) {
        while (!x.del(x.object, x.context)) {
        }
    }
    entries_.clear();
    pending_.store(false, std::memory_order_relaxed);
}

}  // namespace tophash::concurrency
