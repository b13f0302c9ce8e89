// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Allocators as the standard's allocator-aware containers (and Boost's)
// honour them: propagation on copy assignment, move assignment and swap,
// true and false, with equal and unequal allocators; std::pmr; fancy
// pointers; an allocator built on ::operator new (16-byte alignment) for
// the library's internal 64-byte-aligned objects. For all four containers;
// CI runs it under ASan+UBSan.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "test_util.hpp"
#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

namespace {

// Bytes outstanding per allocator id (ids 0-7).
std::atomic<long> outstanding[8];

// Stateful, compares equal by id, memory from ::operator new(n * sizeof(T))
// (no over-alignment), propagation as the flags say.
template <class T, bool CopyProp, bool MoveProp, bool SwapProp>
struct prop_alloc {
    using value_type = T;
    using propagate_on_container_copy_assignment = std::bool_constant<CopyProp>;
    using propagate_on_container_move_assignment = std::bool_constant<MoveProp>;
    using propagate_on_container_swap = std::bool_constant<SwapProp>;
    using is_always_equal = std::false_type;
    template <class U>
    struct rebind {
        using other = prop_alloc<U, CopyProp, MoveProp, SwapProp>;
    };
    int id;
    explicit prop_alloc(int i) noexcept : id(i) {}
    template <class U>
    prop_alloc(const prop_alloc<U, CopyProp, MoveProp, SwapProp>& o) noexcept : id(o.id) {}
    T* allocate(std::size_t n) {
        outstanding[id] += static_cast<long>(n * sizeof(T));
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        outstanding[id] -= static_cast<long>(n * sizeof(T));
        ::operator delete(p);
    }
    template <class U>
    bool operator==(const prop_alloc<U, CopyProp, MoveProp, SwapProp>& o) const noexcept {
        return id == o.id;
    }
    template <class U>
    bool operator!=(const prop_alloc<U, CopyProp, MoveProp, SwapProp>& o) const noexcept {
        return id != o.id;
    }
};

template <template <class> class Container, bool C, bool M, bool S>
struct config {
    template <class V>
    using alloc = prop_alloc<V, C, M, S>;
    static constexpr bool copy_prop = C, move_prop = M, swap_prop = S;
};

template <class K, class A>
using flat_map = tophash::concurrent_map<
    K, K, tophash::hash<K>, std::equal_to<K>,
    typename std::allocator_traits<A>::template rebind_alloc<std::pair<const K, K>>>;
template <class K, class A>
using node_map = tophash::concurrent_node_map<
    K, K, tophash::hash<K>, std::equal_to<K>,
    typename std::allocator_traits<A>::template rebind_alloc<std::pair<const K, K>>>;
template <class K, class A>
using flat_set = tophash::concurrent_set<K, tophash::hash<K>, std::equal_to<K>, A>;
template <class K, class A>
using node_set = tophash::concurrent_node_set<K, tophash::hash<K>, std::equal_to<K>, A>;

template <class C>
void fill(C& c, int from, int n) {
    for (int i = from; i < from + n; ++i) {
        if constexpr (std::is_same_v<typename C::key_type, typename C::value_type>) {
            c.insert(std::to_string(i) + std::string(30, 'x'));
        } else {
            c.emplace(std::to_string(i) + std::string(30, 'x'), std::string(30, 'v'));
        }
    }
}

template <class C>
bool holds(const C& c, int from, int n) {
    if (c.size() != static_cast<std::size_t>(n)) return false;
    for (int i = from; i < from + n; ++i)
        if (!c.contains(std::to_string(i) + std::string(30, 'x'))) return false;
    return true;
}

template <class P>
class AllocatorPropagation : public ::testing::Test {};

template <template <class, class> class Cont, bool C, bool M, bool S>
struct case_of {
    template <int Id>
    using alloc = prop_alloc<std::string, C, M, S>;
    using container = Cont<std::string, prop_alloc<std::string, C, M, S>>;
    static constexpr bool copy_prop = C, move_prop = M, swap_prop = S;
};
using propagation_cases =
    ::testing::Types<case_of<flat_map, false, false, false>, case_of<flat_map, true, true, true>,
                     case_of<node_map, false, false, false>, case_of<node_map, true, true, true>,
                     case_of<flat_set, false, false, false>, case_of<flat_set, true, true, true>,
                     case_of<node_set, false, false, false>, case_of<node_set, true, true, true>,
                     case_of<flat_map, true, false, true>, case_of<node_set, false, true, false>>;
TYPED_TEST_SUITE(AllocatorPropagation, propagation_cases);

template <class C>
typename C::allocator_type make_alloc(int id) {
    return typename C::allocator_type(id);
}

void expect_no_memory_held() {
    for (auto& o : outstanding)
        EXPECT_EQ(o.load(), 0);
}

// Two containers of allocators ida and idb, holding 100 and 300 elements.
template <class C>
struct two_filled {
    C a, b;
    two_filled(int ida, int idb) : a(0, make_alloc<C>(ida)), b(0, make_alloc<C>(idb)) {
        fill(a, 0, 100);
        fill(b, 1000, 300);
    }
};

TYPED_TEST(AllocatorPropagation, CopyAssignment) {
    using C = typename TypeParam::container;
    {
        two_filled<C> t(1, 2);
        C& a = t.a;
        C& b = t.b;
        a = b;
        EXPECT_TRUE(holds(a, 1000, 300));
        EXPECT_TRUE(holds(b, 1000, 300));
        EXPECT_EQ(a.get_allocator().id, TypeParam::copy_prop ? 2 : 1);
    }
    expect_no_memory_held();
}

TYPED_TEST(AllocatorPropagation, MoveAssignmentUnequal) {
    using C = typename TypeParam::container;
    {
        two_filled<C> t(1, 2);
        C& a = t.a;
        C& b = t.b;
        a = std::move(b);
        EXPECT_TRUE(holds(a, 1000, 300));
        EXPECT_EQ(b.size(), 0u);
        EXPECT_EQ(a.get_allocator().id, TypeParam::move_prop ? 2 : 1);
        if (!TypeParam::move_prop) {
            // The elements were moved into memory of a's allocator.
            EXPECT_EQ(outstanding[2].load(), 0) << "b's allocator still holds memory";
        }
        fill(b, 5000, 10);  // b stays usable
        EXPECT_TRUE(holds(b, 5000, 10));
    }
    expect_no_memory_held();
}

TYPED_TEST(AllocatorPropagation, MoveAssignmentEqualTakesTheArrays) {
    using C = typename TypeParam::container;
    {
        two_filled<C> t(1, 1);
        C& a = t.a;
        C& b = t.b;
        a = std::move(b);
        EXPECT_TRUE(holds(a, 1000, 300));
        EXPECT_EQ(b.size(), 0u);
    }
    expect_no_memory_held();
}

TYPED_TEST(AllocatorPropagation, Swap) {
    using C = typename TypeParam::container;
    {
        const int ida = 1, idb = TypeParam::swap_prop ? 2 : 1;  // equal unless propagating
        two_filled<C> t(ida, idb);
        C& a = t.a;
        C& b = t.b;
        a.swap(b);
        EXPECT_TRUE(holds(a, 1000, 300));
        EXPECT_TRUE(holds(b, 0, 100));
        EXPECT_EQ(a.get_allocator().id, idb);
        EXPECT_EQ(b.get_allocator().id, ida);
        swap(a, b);
        EXPECT_TRUE(holds(a, 0, 100));
    }
    expect_no_memory_held();
}

TYPED_TEST(AllocatorPropagation, MoveConstructionWithAnotherAllocator) {
    using C = typename TypeParam::container;
    {
        C b(0, make_alloc<C>(2));
        fill(b, 0, 200);
        C a(std::move(b), make_alloc<C>(3));
        EXPECT_TRUE(holds(a, 0, 200));
        EXPECT_EQ(a.get_allocator().id, 3);
        EXPECT_EQ(outstanding[2].load(), 0);
        C c(a, make_alloc<C>(4));
        EXPECT_TRUE(holds(c, 0, 200));
    }
    expect_no_memory_held();
}

#if TOPHASH_TEST_HAVE_PMR
// std::pmr: the elements' own allocations come from the container's
// resource, never from the default one.
class counting_resource : public std::pmr::memory_resource {
  public:
    long allocations = 0;

  private:
    void* do_allocate(std::size_t bytes, std::size_t align) override {
        ++allocations;
        return std::pmr::new_delete_resource()->allocate(bytes, align);
    }
    void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
        std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    }
    bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
};

struct pmr_string_hash {
    std::size_t operator()(const std::pmr::string& s) const noexcept {
        return std::hash<std::string_view>()(s);
    }
};

template <class C>
void pmr_round(counting_resource& mine, counting_resource& fallback) {
    std::pmr::memory_resource* old = std::pmr::set_default_resource(&fallback);
    {
        C a(0, typename C::allocator_type(&mine)), b(0, typename C::allocator_type(&mine));
        for (int i = 0; i < 200; ++i) {
            std::pmr::string k(std::to_string(i) + std::string(40, 'k'), &mine);
            if constexpr (std::is_same_v<typename C::key_type, typename C::value_type>) {
                a.insert(k);
                b.emplace(std::string_view(k));
            } else {
                a.emplace(k, std::string_view(k));
                b.try_emplace(k, std::string_view(k));
            }
        }
        EXPECT_EQ(a.size(), 200u);
        a.swap(b);
        a = b;
        b = std::move(a);
        C c(b, typename C::allocator_type(&mine));
        EXPECT_EQ(c.size(), 200u);
        EXPECT_TRUE(c == b);
        a.rehash(0);
    }
    std::pmr::set_default_resource(old);
    EXPECT_GT(mine.allocations, 0);
    EXPECT_EQ(fallback.allocations, 0) << "an element allocated from the default resource";
}

TEST(AllocatorPmr, ElementsAllocateFromTheContainersResource) {
    using pair = std::pair<const std::pmr::string, std::pmr::string>;
    using A = std::pmr::polymorphic_allocator<pair>;
    counting_resource r1, f1, r2, f2, r3, f3, r4, f4;
    pmr_round<tophash::concurrent_map<std::pmr::string, std::pmr::string, pmr_string_hash,
                                      std::equal_to<std::pmr::string>, A>>(r1, f1);
    pmr_round<tophash::concurrent_node_map<std::pmr::string, std::pmr::string, pmr_string_hash,
                                           std::equal_to<std::pmr::string>, A>>(r2, f2);
    using S = std::pmr::polymorphic_allocator<std::pmr::string>;
    pmr_round<tophash::concurrent_set<std::pmr::string, pmr_string_hash,
                                      std::equal_to<std::pmr::string>, S>>(r3, f3);
    pmr_round<tophash::concurrent_node_set<std::pmr::string, pmr_string_hash,
                                           std::equal_to<std::pmr::string>, S>>(r4, f4);
}
#endif  // TOPHASH_TEST_HAVE_PMR

// A pointer class that is not T* and cannot be built from one.
template <class T>
class fancy_ptr {
  public:
    using element_type = T;
    using difference_type = std::ptrdiff_t;
    fancy_ptr() noexcept = default;
    fancy_ptr(std::nullptr_t) noexcept {}
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    fancy_ptr(const fancy_ptr<U>& o) noexcept : p_(o.get()) {}
    T* get() const noexcept { return p_; }
    template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
    U& operator*() const noexcept {
        return *p_;
    }
    T* operator->() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    friend bool operator==(fancy_ptr a, fancy_ptr b) noexcept { return a.p_ == b.p_; }
    friend bool operator!=(fancy_ptr a, fancy_ptr b) noexcept { return a.p_ != b.p_; }
    template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
    static fancy_ptr pointer_to(U& r) noexcept {
        return fancy_ptr(std::addressof(r), 0);
    }
    static fancy_ptr from_raw(T* p) noexcept { return fancy_ptr(p, 0); }

  private:
    fancy_ptr(T* p, int) noexcept : p_(p) {}
    T* p_ = nullptr;
};

std::atomic<long> fancy_outstanding{0};
template <class T>
struct fancy_alloc {
    using value_type = T;
    using pointer = fancy_ptr<T>;
    using const_pointer = fancy_ptr<const T>;
    using void_pointer = fancy_ptr<void>;
    using const_void_pointer = fancy_ptr<const void>;
    fancy_alloc() = default;
    template <class U>
    fancy_alloc(const fancy_alloc<U>&) noexcept {}
    pointer allocate(std::size_t n) {
        fancy_outstanding += static_cast<long>(n);
        return pointer::from_raw(static_cast<T*>(::operator new(n * sizeof(T))));
    }
    void deallocate(pointer p, std::size_t n) noexcept {
        fancy_outstanding -= static_cast<long>(n);
        ::operator delete(p.get());
    }
    template <class U>
    bool operator==(const fancy_alloc<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const fancy_alloc<U>&) const noexcept {
        return false;
    }
};

template <class C>
void fancy_round() {
    {
        C a, b;
        fill(a, 0, 500);
        b = a;
        a.swap(b);
        a.erase_if([](const auto&) { return true; });
        a.rehash(0);
        EXPECT_TRUE(holds(b, 0, 500));
    }
    EXPECT_EQ(fancy_outstanding.load(), 0);
}

TEST(AllocatorFancyPointers, AllFourContainers) {
    fancy_round<flat_map<std::string, fancy_alloc<std::string>>>();
    fancy_round<node_map<std::string, fancy_alloc<std::string>>>();
    fancy_round<flat_set<std::string, fancy_alloc<std::string>>>();
    fancy_round<node_set<std::string, fancy_alloc<std::string>>>();
}

}  // namespace
