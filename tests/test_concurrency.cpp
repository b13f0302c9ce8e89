// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Tests of concurrency/: the stripe lock, epoch reclamation, atomic copies.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "tophash/concurrency/atomic_copy.hpp"
#include "tophash/concurrency/epoch.hpp"
#include "tophash/concurrency/seqcount.hpp"
#include "tophash/concurrency/stripe_lock.hpp"

namespace {

using namespace tophash::concurrency;

TEST(StripeLock, ExclusiveSectionsDoNotOverlap) {
    stripe_lock lock;
    long counter = 0;  // plain: a race here is what TSan and the sum would catch
    const int per_thread = 20000 * test_scale();
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                exclusive_guard g(lock);
                ++counter;
            }
        });
    }
    for (auto& t : ts)
        t.join();
    EXPECT_EQ(counter, 4L * per_thread);
}

TEST(StripeLock, SharedExcludesExclusive) {
    stripe_lock lock;
    long a = 0, b = 0;  // writers keep a == b; readers must never see them differ
    std::atomic<bool> stop{false};
    std::atomic<long> torn{0};
    std::thread reader([&] {
        while (!stop.load()) {
            shared_guard g(lock);
            if (a != b) torn.fetch_add(1);
        }
    });
    for (int i = 0; i < 20000 * test_scale(); ++i) {
        exclusive_guard g(lock);
        ++a;
        ++b;
    }
    stop = true;
    reader.join();
    EXPECT_EQ(torn.load(), 0);
}

TEST(Seqcount, OptimisticReadersDetectWriters) {
    stripe_lock lock;            // excludes writers from each other
    std::uint64_t version = 0;   // what readers validate
    std::uint64_t x = 0, y = 0;  // accessed with atomic copies; writers keep x == y
    std::atomic<bool> stop{false};
    std::atomic<long> validated{0}, inconsistent{0};
    std::thread reader([&] {
        while (!stop.load()) {
            const auto v = seqcount::read_begin(&version);
            const auto a = atomic_copy_load(&x);
            const auto b = atomic_copy_load(&y);
            if (seqcount::read_validate(&version, v)) {
                validated.fetch_add(1);
                if (a != b) inconsistent.fetch_add(1);
            }
        }
    });
    for (std::uint64_t i = 1; i <= 50000u * test_scale() || validated.load() < 100; ++i) {
        exclusive_guard g(lock);
        seqcount::write_begin(&version);
        atomic_copy_store(&x, i);
        atomic_copy_store(&y, i);
        seqcount::write_end(&version);
    }
    stop = true;
    reader.join();
    EXPECT_EQ(inconsistent.load(), 0);
    EXPECT_GT(validated.load(), 0);
    EXPECT_EQ(seqcount::read_begin(&version) % 2, 0u);
}

TEST(AtomicCopy, RoundTripsOddSizes) {
    struct odd {
        char c[7];
    };
    struct mixed {
        std::uint32_t a;
        std::uint16_t b;
    };
    odd o{{1, 2, 3, 4, 5, 6, 7}}, o2{};
    atomic_copy_store(&o2, o);
    EXPECT_EQ(std::memcmp(&o2, &o, sizeof o), 0);
    mixed m{0xdeadbeef, 0x1234}, m2{};
    atomic_copy_store(&m2, m);
    const mixed m3 = atomic_copy_load(&m2);
    EXPECT_EQ(m3.a, m.a);
    EXPECT_EQ(m3.b, m.b);
}

struct tracked {
    static std::atomic<int> freed;
    std::atomic<int> value{42};
};
std::atomic<int> tracked::freed{0};

bool free_tracked(void* p, void*) noexcept {
    delete static_cast<tracked*>(p);
    tracked::freed.fetch_add(1);
    return true;
}

TEST(Epoch, RetiredObjectOutlivesReaders) {
    retire_list list;
    std::atomic<tracked*> shared{new tracked};
    std::atomic<bool> entered{false}, release{false};
    std::atomic<int> seen{0};
    std::thread reader([&] {
        epoch_guard g;
        tracked* p = shared.load(std::memory_order_acquire);
        entered = true;
        while (!release.load())
            std::this_thread::yield();
        seen = p->value.load();  // must still be alive
    });
    while (!entered.load())
        std::this_thread::yield();
    tracked* old = shared.exchange(new tracked);
    list.reserve(1);
    list.retire(old, &free_tracked, nullptr);
    list.reclaim();
    EXPECT_EQ(tracked::freed.load(), 0) << "freed while a reader was inside";
    release = true;
    reader.join();
    EXPECT_EQ(seen.load(), 42);
    list.reclaim();
    EXPECT_EQ(tracked::freed.load(), 1) << "not freed once the reader left";
    delete shared.load();
}

// A reclaimer whose barrier failed (membarrier(2) returning an error) cannot
// know that readers' announcements are visible: it must free nothing, and
// free once a barrier succeeds again.
TEST(Epoch, FailedBarrierFreesNothing) {
    retire_list list;
    const int before = tracked::freed.load();
    list.reserve(1);
    list.retire(new tracked, &free_tracked, nullptr);
    tophash::concurrency::epoch_detail::fail_barriers_for_testing(true);
    list.reclaim();
    list.reclaim();
    tophash::concurrency::epoch_detail::fail_barriers_for_testing(false);
    EXPECT_EQ(tracked::freed.load(), before) << "freed after a failed barrier";
    EXPECT_EQ(list.pending_count(), 1u);
    list.reclaim();
    EXPECT_EQ(tracked::freed.load(), before + 1) << "not freed once a barrier succeeded";
    EXPECT_EQ(list.pending_count(), 0u);
}

TEST(Epoch, NestedGuardsAndDrain) {
    retire_list list;
    const int before = tracked::freed.load();
    {
        epoch_guard a;
        { epoch_guard b; }
        list.reserve(1);
        list.retire(new tracked, &free_tracked, nullptr);
        list.reclaim();  // this thread is still inside `a`
        EXPECT_EQ(tracked::freed.load(), before);
    }
    list.reclaim();
    EXPECT_EQ(tracked::freed.load(), before + 1);
    list.reserve(1);
    list.retire(new tracked, &free_tracked, nullptr);
    list.drain();
    EXPECT_EQ(tracked::freed.load(), before + 2);
}

// A deleter that frees in three steps: one step per reclaim() once no reader
// can reach the object, all of them at drain().
struct stepwise {
    int steps_left = 3;
    static bool step(void* p, void* calls) noexcept {
        ++*static_cast<int*>(calls);
        auto* s = static_cast<stepwise*>(p);
        if (--s->steps_left > 0) return false;
        delete s;
        return true;
    }
};

TEST(Epoch, StepwiseDeleterTakesOneStepPerReclaim) {
    retire_list list;
    int calls = 0;
    list.reserve(2);
    list.retire(new stepwise, &stepwise::step, &calls);
    list.reclaim();
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(list.pending()) << "two steps to go";
    list.reclaim();
    EXPECT_EQ(calls, 2);
    list.reclaim();
    EXPECT_EQ(calls, 3);
    EXPECT_FALSE(list.pending()) << "done after its last step";
    list.reclaim();
    EXPECT_EQ(calls, 3);
    list.retire(new stepwise, &stepwise::step, &calls);
    list.drain();
    EXPECT_EQ(calls, 6) << "drain takes every step";
    EXPECT_FALSE(list.pending());
}

}  // namespace
