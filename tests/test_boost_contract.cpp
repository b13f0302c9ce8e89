// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's documented signatures and semantics that a renamed Boost program
// relies on: lvalue inserts, the _and_cvisit visitors' constness, move-only
// visitors, initializer-list assignment keeping the container's policies.
// <execution> first, as a Boost program includes it: the standard policies
// then work without TOPHASH_ENABLE_PARALLEL_ALGORITHMS. (libc++ 14 has none.)
#if __has_include(<execution>)
#include <execution>
#endif

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

namespace {

template <class C>
constexpr bool is_map_v = !std::is_same_v<typename C::key_type, typename C::value_type>;

template <class C>
class Contract : public ::testing::Test {};
using contract_kinds =
    ::testing::Types<tophash::concurrent_map<int, int>, tophash::concurrent_node_map<int, int>,
                     tophash::concurrent_set<int>, tophash::concurrent_node_set<int>,
                     tophash::concurrent_map<std::string, std::string>,
                     tophash::concurrent_set<std::string>>;
TYPED_TEST_SUITE(Contract, contract_kinds);

template <class C>
typename C::init_type make_init(int i) {
    if constexpr (is_map_v<C>) {
        using K = typename C::key_type;
        using T = typename C::mapped_type;
        if constexpr (std::is_same_v<K, std::string>) {
            return {std::to_string(i), T(std::to_string(i))};
        } else {
            return {static_cast<K>(i), static_cast<T>(i)};
        }
    } else {
        using K = typename C::key_type;
        if constexpr (std::is_same_v<K, std::string>) {
            return std::to_string(i);
        } else {
            return static_cast<K>(i);
        }
    }
}

template <class C>
const typename C::key_type& key_of(const typename C::init_type& v) {
    if constexpr (is_map_v<C>) {
        return v.first;
    } else {
        return v;
    }
}

// Every lvalue insert of Boost's reference: const and non-const
// value_type / init_type, in the plain, _or_[c]visit and _and_[c]visit forms.
TYPED_TEST(Contract, LvalueInserts) {
    using C = TypeParam;
    C c;
    typename C::init_type a = make_init<C>(1);
    const typename C::init_type b = make_init<C>(2);
    const typename C::value_type v(make_init<C>(3));
    typename C::value_type w(make_init<C>(4));
    EXPECT_TRUE(c.insert(a));
    EXPECT_TRUE(c.insert(b));
    EXPECT_TRUE(c.insert(v));
    EXPECT_TRUE(c.insert(w));
    EXPECT_FALSE(c.insert(a));
    int visits = 0;
    auto f = [&](const auto&) { ++visits; };
    EXPECT_FALSE(c.insert_or_visit(a, f));
    EXPECT_FALSE(c.insert_or_cvisit(b, f));
    EXPECT_FALSE(c.insert_or_visit(v, f));
    EXPECT_FALSE(c.insert_or_cvisit(w, f));
    EXPECT_FALSE(c.insert_and_visit(a, f, f));
    EXPECT_FALSE(c.insert_and_cvisit(b, f, f));
    EXPECT_EQ(visits, 6);
    typename C::init_type n = make_init<C>(5);
    EXPECT_TRUE(c.insert_and_cvisit(n, f, f));
    EXPECT_EQ(visits, 7);
    EXPECT_EQ(c.size(), 5u);
    EXPECT_TRUE(c.contains(key_of<C>(a)));
}

// Boost: f1 of every _and_cvisit form sees the new element as non-const
// (maps may initialise its mapped value there); only f2 is const.
TEST(ContractMap, AndCvisitGivesTheNewElementMutably) {
    tophash::concurrent_map<int, int> m;
    using V = tophash::concurrent_map<int, int>::value_type;
    auto f1 = [](V& v) { v.second = 7; };
    auto f2 = [](const V&) {};
    EXPECT_TRUE(m.insert_and_cvisit(V(1, 0), f1, f2));
    EXPECT_TRUE(m.emplace_and_cvisit(2, 0, f1, f2));
    EXPECT_TRUE(m.try_emplace_and_cvisit(3, 0, f1, f2));
    EXPECT_EQ(m.insert_and_cvisit({V(4, 0), V(5, 0)}, f1, f2), 2u);
    for (int k = 1; k <= 5; ++k)
        EXPECT_EQ(m.find(k), 7) << k;
    tophash::concurrent_node_map<int, int> n;
    EXPECT_TRUE(n.try_emplace_and_cvisit(3, 0, f1, f2));
    EXPECT_EQ(n.find(3), 7);
}

// Boost passes the visitors of the initializer-list forms on by reference:
// move-only visitors compile and are not copied.
TEST(ContractMap, InitializerListFormsTakeMoveOnlyVisitors) {
    tophash::concurrent_map<int, int> m{{1, 1}};
    using V = tophash::concurrent_map<int, int>::value_type;
    auto counter = std::make_unique<int>(0);
    auto f = [p = std::move(counter)](const auto&) { ++*p; };
    static_assert(!std::is_copy_constructible_v<decltype(f)>);
    EXPECT_EQ(m.insert_or_visit({V(1, 1), V(2, 2)}, std::move(f)), 2u);
    auto g1 = [p = std::make_unique<int>(0)](auto&) { ++*p; };
    auto g2 = [p = std::make_unique<int>(0)](const auto&) { ++*p; };
    EXPECT_EQ(m.insert_and_visit({V(2, 2), V(3, 3)}, std::move(g1), std::move(g2)), 2u);
    EXPECT_EQ(m.size(), 3u);
}

// A hasher and an allocator with state, and no default constructor.
struct seeded_hash {
    explicit seeded_hash(std::size_t s) : seed(s) {}
    std::size_t seed;
    std::size_t operator()(int k) const noexcept { return std::hash<int>()(k) ^ seed; }
};
template <class T>
struct tagged_allocator {
    using value_type = T;
    explicit tagged_allocator(int t) noexcept : tag(t) {}
    template <class U>
    tagged_allocator(const tagged_allocator<U>& o) noexcept : tag(o.tag) {}
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const tagged_allocator<U>& o) const noexcept {
        return tag == o.tag;
    }
    template <class U>
    bool operator!=(const tagged_allocator<U>& o) const noexcept {
        return tag != o.tag;
    }
    int tag;
};

// x = {...} assigns the elements and keeps x's hasher, equality and
// allocator (it compiles although neither can be default-constructed).
TEST(ContractMap, InitializerListAssignmentKeepsPolicies) {
    using A = tagged_allocator<std::pair<const int, int>>;
    tophash::concurrent_map<int, int, seeded_hash, std::equal_to<int>, A> m(
        0, seeded_hash(99), std::equal_to<int>(), A(5));
    m.insert({1, 1});
    m = {{2, 2}, {3, 3}};
    EXPECT_EQ(m.size(), 2u);
    EXPECT_FALSE(m.contains(1));
    EXPECT_EQ(m.hash_function().seed, 99u);
    EXPECT_EQ(m.get_allocator().tag, 5);
    tophash::concurrent_node_set<int, seeded_hash, std::equal_to<int>, tagged_allocator<int>> s(
        0, seeded_hash(7), std::equal_to<int>(), tagged_allocator<int>(3));
    s = {4, 5, 6};
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(s.hash_function().seed, 7u);
    EXPECT_EQ(s.get_allocator().tag, 3);
}

#if TOPHASH_HAVE_EXECUTION
TEST(ContractMap, StandardPoliciesWorkWhenExecutionWasIncluded) {
    tophash::concurrent_map<int, int> m;
    for (int i = 0; i < 1000; ++i)
        m.emplace(i, i);
    std::atomic<long> sum{0};
    m.visit_all(std::execution::seq, [&](auto& v) { sum += v.second; });
    m.cvisit_all(std::execution::seq, [&](const auto& v) { sum += v.second; });
    EXPECT_EQ(sum.load(), 2 * 999 * 1000 / 2);
    m.erase_if(std::execution::seq, [](auto& v) { return v.first % 2 == 0; });
    EXPECT_EQ(m.size(), 500u);
}
#endif

// Node handles: extract, insert(node_type&&) in every form, merge moving
// nodes (no element moved or copied: non-movable mapped types work).
TEST(ContractNodes, ExtractAndInsertNodeHandles) {
    using M = tophash::concurrent_node_map<int, std::string>;
    M a{{1, "one"}, {2, "two"}, {3, "three"}}, b{{2, "deux"}};
    const std::string* addr = nullptr;
    a.cvisit(1, [&](const auto& v) { addr = &v.second; });
    M::node_type n = a.extract(1);
    ASSERT_FALSE(n.empty());
    EXPECT_EQ(n.key(), 1);
    EXPECT_EQ(n.mapped(), "one");
    EXPECT_EQ(&n.mapped(), addr) << "the element itself, not a copy";
    EXPECT_FALSE(a.contains(1));
    M::insert_return_type r = b.insert(std::move(n));
    EXPECT_TRUE(r.inserted);
    EXPECT_TRUE(r.node.empty());
    EXPECT_TRUE(n.empty());
    b.cvisit(1, [&](const auto& v) { EXPECT_EQ(&v.second, addr); });
    // A present key: the node comes back.
    M::node_type m = a.extract(2);
    int visited = 0;
    r = b.insert_or_visit(std::move(m), [&](auto& v) { visited += v.second == "deux"; });
    EXPECT_FALSE(r.inserted);
    ASSERT_FALSE(r.node.empty());
    EXPECT_EQ(r.node.mapped(), "two");
    EXPECT_EQ(visited, 1);
    r.node.key() = 4;  // a node's key may change while it is out
    r = b.insert_and_cvisit(
        std::move(r.node), [&](auto& v) { v.second += "!"; }, [&](const auto&) { ++visited; });
    EXPECT_TRUE(r.inserted);
    EXPECT_EQ(b.find(4), std::optional<std::string>("two!"));
    EXPECT_TRUE(a.extract_if(3, [](const auto& v) { return v.second == "no"; }).empty());
    EXPECT_EQ(a.extract_if(3, [](const auto& v) { return v.second == "three"; }).mapped(), "three");
    EXPECT_TRUE(a.extract(99).empty());
    M::insert_return_type e = a.insert(M::node_type());
    EXPECT_FALSE(e.inserted);
    EXPECT_EQ(a.size(), 0u);
    // Dropped handles free their element (ASan checks).
    (void)b.extract(4);

    tophash::concurrent_node_set<std::string> s{"x", "y"};
    auto sn = s.extract(std::string("x"));
    EXPECT_EQ(sn.value(), "x");
    tophash::concurrent_node_set<std::string> t;
    EXPECT_TRUE(t.insert_or_cvisit(std::move(sn), [](const auto&) {}).inserted);
    EXPECT_TRUE(t.contains("x"));
}

struct pinned {
    explicit pinned(int v) : value(v) {}
    pinned(const pinned&) = delete;
    pinned& operator=(const pinned&) = delete;
    int value;
    std::mutex m;
};

TEST(ContractNodes, MergeMovesNodesNotElements) {
    tophash::concurrent_node_map<int, pinned> a, b;
    for (int i = 0; i < 100; ++i)
        a.try_emplace(i, i);
    for (int i = 50; i < 150; ++i)
        b.try_emplace(i, -i);
    std::vector<const pinned*> addrs(100);
    a.cvisit_all([&](const auto& v) { addrs[v.first] = &v.second; });
    EXPECT_EQ(b.merge(a), 50u);
    EXPECT_EQ(a.size(), 50u);
    EXPECT_EQ(b.size(), 150u);
    b.cvisit_all([&](const auto& v) {
        if (v.first < 50) {
            EXPECT_EQ(&v.second, addrs[v.first]) << v.first;
        } else {
            EXPECT_EQ(v.second.value, -v.first);
        }
    });
    a.cvisit_all([&](const auto& v) { EXPECT_EQ(&v.second, addrs[v.first]); });
}

}  // namespace

// A type may hold containers of itself (a tree, a graph's adjacency): naming
// concurrent_map<int, tree> inside tree's definition must not need tree
// complete (Boost's incomplete_tests). Each container is used once tree is.
namespace {
struct tree;
struct tree_hash {
    std::size_t operator()(const tree& t) const noexcept;
};
struct tree {
    int id = 0;
    tophash::concurrent_map<int, tree> children;
    tophash::concurrent_node_map<int, tree> node_children;
    tophash::concurrent_set<tree, tree_hash> flat_peers;
    tophash::concurrent_node_set<tree, tree_hash> node_peers;
    bool operator==(const tree& o) const { return id == o.id; }
};
std::size_t tree_hash::operator()(const tree& t) const noexcept {
    return std::hash<int>()(t.id);
}
}  // namespace

TEST(ContractIncomplete, ContainersOfTheirOwnTypeWorkOnceItIsComplete) {
    tree root;
    for (int i = 0; i < 100; ++i) {
        tree child;
        child.id = i;
        child.children.emplace(i, tree{});
        root.children.emplace(i, std::move(child));
        root.node_children.emplace(i, tree{});
        tree peer;
        peer.id = i;
        root.flat_peers.insert(peer);
        root.node_peers.insert(std::move(peer));
    }
    EXPECT_EQ(root.children.size(), 100u);
    EXPECT_EQ(root.node_children.size(), 100u);
    EXPECT_EQ(root.flat_peers.size(), 100u);
    EXPECT_EQ(root.node_peers.size(), 100u);
    // A grandchild, through the child that the map moved when it grew.
    std::size_t grandchildren = 0;
    root.children.cvisit_all([&](const auto& kv) {
        EXPECT_EQ(kv.second.id, kv.first);
        grandchildren += kv.second.children.count(kv.first);
    });
    EXPECT_EQ(grandchildren, 100u);
    tree probe;
    probe.id = 42;
    EXPECT_TRUE(root.flat_peers.contains(probe));
    EXPECT_TRUE(root.node_peers.contains(probe));
}
