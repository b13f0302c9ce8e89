// Reader registry and reclamation side of concurrency/epoch.hpp.
#include "tophash/concurrency/epoch.hpp"

#include <algorithm>
#include <limits>

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
// Constant-initialised to the safe choice; cleared during static
// initialisation once membarrier is registered.
bool reader_fence_needed = true;

namespace {
std::atomic<record*> all_records{nullptr};

bool register_membarrier() noexcept {
#if defined(__linux__) && defined(SYS_membarrier) && !defined(TOPHASH_TSAN)
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
        reader_fence_needed = false;
        return true;
    }
#endif
    return false;
}

const bool membarrier_available = register_membarrier();

// Makes every running thread's earlier stores visible to this thread, as if
// each had executed a full fence (the reader side's fence, moved here).
void heavy_barrier() noexcept {
#if defined(__linux__) && defined(SYS_membarrier) && !defined(TOPHASH_TSAN)
    if (membarrier_available) {
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        return;
    }
#endif
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

// Releases the thread's record when the thread exits.
struct record_releaser {
    ~record_releaser() {
        if (record* r = this_thread_record) {
            r->epoch.store(0, std::memory_order_release);
            this_thread_record = nullptr;
            r->in_use.store(false, std::memory_order_release);
        }
    }
};
thread_local record_releaser releaser;

// The oldest epoch any reader may still be working in (max if none).
std::uint64_t oldest_active_epoch() noexcept {
    std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        const std::uint64_t e = r->epoch.load(std::memory_order_seq_cst);
        if (e != 0) oldest = std::min(oldest, e);
    }
    return oldest;
}
}  // namespace

record* register_this_thread() {
    (void)&releaser;  // odr-use: constructs the releaser for this thread
    for (record* r = all_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        bool expected = false;
        if (!r->in_use.load(std::memory_order_relaxed) &&
            r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
            this_thread_record = r;
            return r;
        }
    }
    record* r = new record;
    r->in_use.store(true, std::memory_order_relaxed);
    record* head = all_records.load(std::memory_order_relaxed);
    do {
        r->next = head;
    } while (!all_records.compare_exchange_weak(head, r, std::memory_order_release,
                                                std::memory_order_relaxed));
    this_thread_record = r;
    return r;
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
    epoch_detail::heavy_barrier();
    const std::uint64_t oldest = epoch_detail::oldest_active_epoch();
    // Entries left are those still reachable and those whose deleter has
    // more steps to take.
    auto keep = std::remove_if(entries_.begin(), entries_.end(), [&](const entry& x) {
        return x.epoch <= oldest && x.del(x.object, x.context);
    });
    entries_.erase(keep, entries_.end());
    pending_.store(!entries_.empty(), std::memory_order_relaxed);
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
