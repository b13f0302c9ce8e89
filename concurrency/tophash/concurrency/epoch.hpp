// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Epoch-based reclamation: free memory only when no reader can still hold it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "tophash/concurrency/ablation.hpp"
#include "tophash/concurrency/platform.hpp"

namespace tophash::concurrency {

namespace epoch_detail {
// One per thread that has ever entered a critical section; reused after the
// thread exits, never freed. Padded so that a reader's announcement never
// shares a cache line with another thread's.
struct alignas(cache_line) record {
    std::atomic<std::uint64_t> epoch{0};  // 0: outside any critical section
    // The structure the section reads (quiesce() waits only for the sections
    // on the structures it freezes): null if unknown, many() if nested
    // sections read several.
    std::atomic<const void*> owner{nullptr};
    // A nested section waiting, outside its structure, for a frozen one:
    // only the outer section's owner is being read meanwhile.
    std::atomic<bool> parked{false};
    std::atomic<bool> in_use{false};
    record* next = nullptr;
    // Windows: a handle of the thread that holds the record, so that a
    // record its thread never gave back (see src/epoch.cpp) is taken back
    // once that thread has exited. Unused elsewhere.
    void* holder = nullptr;
};
inline const void* many() noexcept {
    static const char marker = 0;
    return &marker;
}

extern std::atomic<std::uint64_t> global_epoch;
// False where the reclaimer can make every thread's announcement visible with
// membarrier(2) (Linux >= 4.14); readers then need only a compiler fence.
// Decided once, by the first registration or reclamation (whichever comes
// first, in a function-local static): every reader registers before it
// reads this, so no reader can see it flip.
extern bool reader_fence_needed;
extern __thread record* this_thread_record;  // __thread: no TLS wrapper call
// Waits until no thread but the caller is inside a critical section that
// began before this call on `a` or `b` (or on an unknown or several
// structures), parked sections aside. For blocking operations: the caller
// has first made both unreachable to new sections (docs/design.md, Blocking
// operations). A section of the caller's own thread is not waited for.
void quiesce(const void* a, const void* b) noexcept;

[[gnu::cold, gnu::noinline]] record* register_this_thread();
// Tests only: makes the reclaimer's barrier fail, as a failing membarrier
// would.
void fail_barriers_for_testing(bool fail) noexcept;
// Records ever created (each reused once its thread has exited): bounded by
// the most threads that were alive at once, whatever the threads did.
std::size_t record_count() noexcept;

// The synchronisation between readers and the reclaimer lives partly in
// src/epoch.cpp (membarrier, its loads of the records), which a user's
// ThreadSanitizer build does not instrument when it links the installed
// library. These annotations, compiled in the user's translation units,
// state the happens-before edge TSan cannot see: every reader's exit from a
// critical section happens before the reclaimer frees what it retired.
#if defined(TOPHASH_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
inline void tsan_reader_exit() noexcept {
    __tsan_release(&global_epoch);
}
inline void tsan_before_free() noexcept {
    __tsan_acquire(&global_epoch);
}
#else
inline void tsan_reader_exit() noexcept {}
inline void tsan_before_free() noexcept {}
#endif
}  // namespace epoch_detail

// The state of one thread's critical section, trivially copyable so that the
// cold paths that pause a section (freeze_gate, the spin waits) take it by
// value: an epoch_guard whose address escaped to them lived in memory, and
// every lookup stored and reloaded its fields (bench_instructions).
class epoch_section {
  public:
    // Inside a section on `owner` begun by an outer guard: that section
    // already keeps blocking operations on `owner` waiting.
    bool nested_in(const void* owner) const noexcept {
        return state_ != outermost && r_ != nullptr && outer_owner_ == owner;
    }

    // Steps out of the section while the structure is frozen (a blocking
    // operation runs on it), so that quiesce() need not wait for this thread;
    // resume() steps back in. Nothing read before pause() may be used after.
    [[gnu::cold]] void pause() const noexcept {
        if (r_ == nullptr) return;
        if (state_ == outermost) {
            leave();
        } else {
            if (state_ == nested_restore) r_->owner.store(outer_owner_, std::memory_order_relaxed);
            r_->parked.store(true, std::memory_order_seq_cst);
        }
    }
    [[gnu::cold]] void resume() const noexcept {
        if (r_ == nullptr) return;
        if (state_ == outermost) {
            announce();
        } else {
            if (state_ == nested_restore)
                r_->owner.store(epoch_detail::many(), std::memory_order_relaxed);
            r_->parked.store(false, std::memory_order_seq_cst);
            std::atomic_thread_fence(std::memory_order_seq_cst);
        }
    }

  protected:
    // The outermost guard, a nested one on the outer section's structure, or
    // one that named another (and puts the outer one's back). Kept apart from
    // the hot path: every lookup runs the guard's constructor and destructor.
    enum : unsigned char { outermost, nested, nested_restore };

    TOPHASH_ALWAYS_INLINE void leave() const noexcept {
        epoch_detail::tsan_reader_exit();
        r_->epoch.store(0, std::memory_order_release);
    }

    TOPHASH_ALWAYS_INLINE void announce() const noexcept {
        using namespace epoch_detail;
        const std::uint64_t e = global_epoch.load(std::memory_order_acquire);
#if defined(TOPHASH_TSAN)
        // As strong as the production path (a store, then a full fence),
        // in a form TSan models: an RMW, then the fence it ignores.
        r_->epoch.exchange(e, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
#else
        r_->epoch.store(e, std::memory_order_relaxed);
        // The announcement must be visible before this thread loads any
        // pointer it will dereference (a store-load ordering). Either this
        // fence, or the reclaimer's membarrier, provides it.
        if (__builtin_expect(reader_fence_needed, 0)) {
            std::atomic_thread_fence(std::memory_order_seq_cst);
        } else {
            std::atomic_signal_fence(std::memory_order_seq_cst);
        }
#endif
    }

    // A nested section's outer owner and state, returned in registers.
    struct nesting {
        const void* outer_owner;
        unsigned char state;
    };
    [[gnu::noinline]] static nesting enter_nested(epoch_detail::record* r,
                                                  const void* owner) noexcept {
        const void* outer = r->owner.load(std::memory_order_relaxed);
        if (outer != owner && outer != epoch_detail::many()) {
            r->owner.store(epoch_detail::many(), std::memory_order_relaxed);
            return {outer, nested_restore};
        }
        return {outer, nested};
    }

    epoch_detail::record* r_;
    const void* outer_owner_;  // nested guards only
    unsigned char state_;
};

// Marks the calling thread as reading shared structures. Nestable. The reader
// writes only its own padded record, never a line other threads write.
class epoch_guard : private epoch_section {
  public:
    // owner: the structure the section reads (null: unknown).
    TOPHASH_ALWAYS_INLINE explicit epoch_guard(const void* owner = nullptr) {
        using namespace epoch_detail;
#if defined(TOPHASH_ABLATE_EPOCH)
        r_ = nullptr;
        state_ = nested;
        return;
#endif
        // The registration call stays out of line and cold: inlined, GCC
        // spilled the lookup's state around it (docs/design.md, Measured
        // choices in the code).
        r_ = this_thread_record;
        if (__builtin_expect(r_ == nullptr, 0)) r_ = register_this_thread();
        // Nested guards: only the outermost announces (its epoch is older).
        if (r_->epoch.load(std::memory_order_relaxed) == 0) {
            state_ = outermost;
            r_->owner.store(owner, std::memory_order_relaxed);
            announce();
        } else {
            const nesting n = enter_nested(r_, owner);
            outer_owner_ = n.outer_owner;
            state_ = n.state;
        }
    }
    TOPHASH_ALWAYS_INLINE ~epoch_guard() {
        if (state_ == outermost) {
            leave();
        } else if (__builtin_expect(state_ == nested_restore, 0)) {
            r_->owner.store(outer_owner_, std::memory_order_relaxed);
        }
    }
    epoch_guard(const epoch_guard&) = delete;
    epoch_guard& operator=(const epoch_guard&) = delete;

    // A copy of the section's state, for the cold paths that pause it.
    epoch_section section() const noexcept {
        return *this;
    }
    using epoch_section::nested_in;
};

// Objects unlinked from a shared structure, waiting until every reader that
// could have seen them has left its critical section. Owned by one container,
// so destroying the container frees whatever is still pending.
class retire_list {
  public:
    // Frees `object`, or one bounded step of it: returns true when done,
    // false to be called again by a later reclaim() (so that releasing a
    // large object never stalls the one thread that happens to reclaim).
    using deleter = bool (*)(void* object, void* context) noexcept;

    retire_list() = default;
    retire_list(const retire_list&) = delete;
    retire_list& operator=(const retire_list&) = delete;
    ~retire_list() { drain(); }

    // Makes room for n more retire() calls that cannot fail.
    void reserve(std::size_t n);
    // Call after `object` is unreachable for new readers. Needs a reserve()d
    // place (terminates otherwise: an object must never be leaked or freed early).
    void retire(void* object, deleter del, void* context) noexcept;
    // Frees what no reader can reach any more (one step of each stepwise
    // deleter). Cheap when nothing is pending.
    void reclaim() noexcept;
    // Called after every write to the owner: while something is pending,
    // every reclaim_period-th write (from whichever thread) reclaims. The
    // count is the list's, not the thread's, so short-lived writer threads
    // still make progress; it is touched only while something is pending.
    void note_write() noexcept {
        if (pending() && (ticks_.fetch_add(1, std::memory_order_relaxed) & (reclaim_period - 1)) ==
                             reclaim_period - 1) {
            reclaim();
        }
    }
    // Frees everything, every step: only when no other thread can be reading.
    void drain() noexcept;
    // Entries waiting (for tests and stats).
    std::size_t pending_count() noexcept;
    bool pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

  private:
    struct entry {
        std::uint64_t epoch;
        void* object;
        deleter del;
        void* context;
    };
    // A reclaim costs a membarrier (an interrupt of every CPU running this
    // process) and a walk of the reader records: a few microseconds, spread
    // over 64 writes. A large retired object is freed in steps, one per
    // reclaim (its deleter says when it is done; figures in docs/design.md).
    static constexpr unsigned reclaim_period = 64;
    static_assert((reclaim_period & (reclaim_period - 1)) == 0);

    std::mutex mutex_;
    std::vector<entry> entries_;
    std::atomic<bool> pending_{false};
    // Apart from pending_, which every write reads.
    alignas(cache_line) std::atomic<unsigned> ticks_{0};
};

}  // namespace tophash::concurrency
