// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A program written against Boost.Unordered's concurrent containers, from
// their reference documentation, that differs between the two builds only in
// the namespace, type and header names below. It checks each result and
// prints a transcript; tests/CMakeLists.txt builds it against tophash and,
// when Boost >= 1.83 headers are given, against Boost, and compares the two
// transcripts.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#if defined(PORT_AGAINST_BOOST)
#include <boost/unordered/concurrent_flat_map.hpp>
#include <boost/unordered/concurrent_flat_set.hpp>
#include <boost/unordered/concurrent_node_map.hpp>
#include <boost/unordered/concurrent_node_set.hpp>
namespace lib = boost::unordered;
#define FLAT_MAP concurrent_flat_map
#define FLAT_SET concurrent_flat_set
#if defined(BOOST_UNORDERED_NO_RANGES)
#define PORT_HAS_RANGES 0
#else
#define PORT_HAS_RANGES 1
#endif
#else
#include <tophash/concurrent_map.hpp>
#include <tophash/concurrent_node_map.hpp>
#include <tophash/concurrent_node_set.hpp>
#include <tophash/concurrent_set.hpp>
namespace lib = tophash;
#define FLAT_MAP concurrent_map
#define FLAT_SET concurrent_set
#define PORT_HAS_RANGES TOPHASH_HAS_RANGES
#endif

static int failures = 0;
#define CHECK(cond)                                               \
    do {                                                          \
        if (!(cond)) {                                            \
            std::printf("FAILED line %d: %s\n", __LINE__, #cond); \
            ++failures;                                           \
        }                                                         \
    } while (0)

static void say(const char* what, long long v) {
    std::printf("%s %lld\n", what, v);
}

int main() {
    // --------------------------------------------------------------- flat map
    lib::FLAT_MAP<int, std::string> m;
    CHECK(m.emplace(1, "one"));
    CHECK(m.insert({2, "two"}));
    CHECK(m.insert(std::pair<const int, std::string>(3, "three")));
    CHECK(!m.insert({1, "uno"}));
    CHECK(m.try_emplace(4, 3, 'x'));  // "xxx"
    CHECK(!m.try_emplace_or_visit(4, "ignored", [](auto& x) { x.second += "!"; }));
    CHECK(m.try_emplace_or_cvisit(5, "five", [](const auto&) {}));
    CHECK(!m.insert_or_assign(1, "ONE"));
    CHECK(m.insert_or_assign(6, "six"));
    CHECK(!m.insert_or_visit({2, "deux"}, [](auto& x) { x.second += "2"; }));
    CHECK(m.insert_and_visit(
        {7, "seven"}, [](auto& x) { x.second += "+"; }, [](auto&) { std::abort(); }));
    CHECK(!m.emplace_or_visit(7, "siete", [](auto& x) { x.second += "7"; }));
    CHECK(m.try_emplace_and_cvisit(
        8, "eight", [](const auto&) {}, [](const auto&) {}));
    CHECK(m.size() == 8);
    std::string seen;
    CHECK(m.visit(4, [&](std::pair<const int, std::string>& x) { seen = x.second; }) == 1);
    CHECK(seen == "xxx!");
    CHECK(m.cvisit(2, [&](const auto& x) { seen = x.second; }) == 1);
    CHECK(seen == "two2");
    CHECK(m.cvisit(99, [&](const auto&) { seen = "absent"; }) == 0);
    int keys[] = {1, 2, 3, 42, 7};
    std::size_t bulk = 0;
    CHECK(m.cvisit(keys, keys + 5, [&](const auto& x) { bulk += x.second.size(); }) == 4);
    say("bulk", static_cast<long long>(bulk));
    CHECK(m.count(3) == 1 && m.contains(8) && !m.contains(9));
    std::size_t total = 0;
    CHECK(m.visit_all([&](auto& x) { total += x.second.size(); }) == 8);
    say("total", static_cast<long long>(total));
    std::size_t visited = 0;
    CHECK(!m.cvisit_while([&](const auto&) { return ++visited < 3; }));
    CHECK(visited == 3);
    CHECK(m.erase(3) == 1 && m.erase(3) == 0);
    CHECK(m.erase_if(5, [](auto& x) { return x.second == "five"; }) == 1);
    CHECK(m.erase_if([](auto& x) { return x.first % 2 == 0; }) == 4);
    say("size", static_cast<long long>(m.size()));
    std::vector<std::pair<int, std::string>> more{{10, "ten"}, {11, "eleven"}, {1, "dup"}};
    CHECK(m.insert(more.begin(), more.end()) == 2);
    CHECK(m.insert({{12, "twelve"}, {13, "thirteen"}}) == 2);
    lib::FLAT_MAP<int, std::string> copy(m);
    CHECK(copy == m);
    copy.erase(12);
    CHECK(copy != m);
    lib::FLAT_MAP<int, std::string> other{{12, "x"}, {100, "hundred"}};
    CHECK(copy.merge(other) == 2);
    CHECK(other.empty());
    swap(copy, other);
    CHECK(copy.empty() && other.size() == m.size() + 1);
    CHECK(lib::erase_if(other, [](const auto& x) { return x.first >= 100; }) == 1);
    m.reserve(1000);
    CHECK(m.max_load() >= 1000);
    m.rehash(4096);
    CHECK(m.bucket_count() >= 4096);
    CHECK(m.load_factor() <= m.max_load_factor());
    m.max_load_factor(0.5f);  // accepted and ignored, as documented by Boost
    CHECK(m.max_size() > 1000000);
    CHECK(m.hash_function()(1) == std::hash<int>()(1) || true);
    (void)m.key_eq();
    (void)m.get_allocator();
    m.clear();
    CHECK(m.empty());

    // Threads: the usual counting pattern.
    lib::FLAT_MAP<int, int> counts;
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 10000; ++i)
                counts.emplace_or_visit(i % 100, 1, [](auto& x) { ++x.second; });
        });
    for (auto& t : ts)
        t.join();
    long long sum = 0;
    counts.cvisit_all([&](const auto& x) { sum += x.second; });
    say("counted", sum);
    CHECK(sum == 40000);

    // --------------------------------------------------------------- flat set
    lib::FLAT_SET<std::string> s;
    CHECK(s.insert("a") && s.emplace(2, 'b') && !s.insert("a"));
    CHECK(s.insert_or_visit(std::string("c"), [](const std::string&) {}));
    CHECK(!s.insert_or_cvisit("bb", [&](const std::string& k) { seen = k; }));
    CHECK(seen == "bb");
    CHECK(s.visit("c", [](const std::string&) {}) == 1);
    CHECK(s.size() == 3 && s.count("a") == 1);
    CHECK(s.erase_if([](const std::string& k) { return k.size() == 2; }) == 1);
    say("set", static_cast<long long>(s.size()));

    // --------------------------------------------------------------- node containers
    struct counter {
        std::mutex mu;  // not movable: only node containers can hold it
        long n = 0;
    };
    lib::concurrent_node_map<int, counter> nm;
    CHECK(nm.try_emplace(1));
    nm.visit(1, [](auto& x) {
        std::lock_guard<std::mutex> g(x.second.mu);
        x.second.n = 5;
    });
    const counter* addr = nullptr;
    nm.cvisit(1, [&](const auto& x) { addr = &x.second; });
    for (int i = 2; i < 5000; ++i)
        nm.try_emplace(i);
    nm.cvisit(1, [&](const auto& x) { CHECK(&x.second == addr && x.second.n == 5); });
    lib::concurrent_node_set<int> ns{1, 2, 3};
    CHECK(ns.size() == 3 && ns.contains(2));
    say("nodes", static_cast<long long>(nm.size() + ns.size()));

    // --------------------------------------------------------------- deduction, ranges
    const std::vector<std::pair<int, int>> pairs{{1, 10}, {2, 20}, {1, 30}};
    lib::FLAT_MAP deduced(pairs.begin(), pairs.end());
    CHECK(deduced.size() == 2);
    lib::FLAT_SET deduced_set{3, 1, 3};
    CHECK(deduced_set.size() == 2);
    // Range forms of _or_visit and _and_visit count the elements processed.
    lib::FLAT_MAP<int, int> counted;
    say("insert_or_visit(first, last)",
        static_cast<long long>(counted.insert_or_visit(pairs.begin(), pairs.end(), [](auto&) {})));
    say("insert_and_cvisit(first, last)",
        static_cast<long long>(counted.insert_and_cvisit(
            pairs.begin(), pairs.end(), [](const auto&) {}, [](const auto&) {})));
    say("insert(first, last)", static_cast<long long>(counted.insert(pairs.begin(), pairs.end())));
    // A transparent set builds its element from another key type only if absent.
    struct sv_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view v) const {
            return std::hash<std::string_view>()(v);
        }
    };
    lib::FLAT_SET<std::string, sv_hash, std::equal_to<>> names;
    CHECK(names.insert(std::string_view("ada")));
    CHECK(!names.insert(std::string_view("ada")));
    CHECK(names.insert_or_visit(std::string_view("bob"), [](const std::string&) {}));
    CHECK(names.contains(std::string_view("bob")) && names.size() == 2);
// Each library's own test: both leave C++20 ranges out for clang < 17 with
// libstdc++.
#if PORT_HAS_RANGES
    lib::FLAT_MAP<int, int> from_range(lib::from_range, pairs);
    CHECK(from_range.size() == 2);
    say("insert_range", static_cast<long long>(from_range.insert_range(
                            std::vector<std::pair<int, int>>{{5, 5}, {1, 1}})));
    lib::FLAT_MAP ranged(lib::from_range, pairs);
    CHECK(ranged.size() == 2);
#endif

    // --------------------------------------------------------------- lvalues, _and_cvisit
    lib::FLAT_SET<std::string> urls;
    const std::string url = "https://example.org";
    std::string page = "https://example.org/a";
    CHECK(urls.insert(url));  // lvalues, const and not
    CHECK(urls.insert(page));
    CHECK(!urls.insert_or_visit(url, [](const std::string&) {}));
    CHECK(!urls.insert_and_cvisit(
        page, [](const std::string&) {}, [](const std::string&) {}));
    lib::FLAT_MAP<int, int> marks;
    const std::pair<int, int> mark{1, 0};
    CHECK(marks.insert(mark));
    // f1 sees the new element mutably in every _and_cvisit form.
    using mark_t = lib::FLAT_MAP<int, int>::value_type;
    CHECK(marks.insert_and_cvisit(
        std::pair<int, int>{2, 0}, [](mark_t& v) { v.second = 2; }, [](const mark_t&) {}));
    CHECK(marks.emplace_and_cvisit(
        3, 0, [](mark_t& v) { v.second = 3; }, [](const mark_t&) {}));
    CHECK(marks.try_emplace_and_cvisit(
        4, 0, [](mark_t& v) { v.second = 4; }, [](const mark_t&) {}));
    long long mark_sum = 0;
    marks.cvisit_all([&](const mark_t& v) { mark_sum += v.second; });
    say("marks", mark_sum);

    // --------------------------------------------------------------- node handles, merge
    lib::concurrent_node_map<int, std::string> na{{1, "a"}, {2, "b"}}, nb{{2, "x"}};
    auto nh = na.extract(1);
    CHECK(!nh.empty() && nh.key() == 1 && nh.mapped() == "a");
    auto ir = nb.insert(std::move(nh));
    CHECK(ir.inserted && ir.node.empty());
    auto back = nb.insert(na.extract(2));
    CHECK(!back.inserted && !back.node.empty() && back.node.mapped() == "b");
    CHECK(na.insert(std::move(back.node)).inserted);
    lib::concurrent_node_map<int, counter> merged;
    merged.try_emplace(7);
    say("merged", static_cast<long long>(merged.merge(nm)));
    say("node sizes", static_cast<long long>(na.size() * 100 + nb.size() * 10 + nm.size()));

    // --------------------------------------------------------------- blocking swap and assignment
    lib::FLAT_MAP<int, int> s1{{1, 1}}, s2{{2, 2}, {3, 3}};
    std::thread reader([&] {
        for (int i = 0; i < 2000; ++i)
            (void)s1.size(), (void)s2.contains(2);
    });
    for (int i = 0; i < 100; ++i)
        s1.swap(s2);
    s1 = s2;
    s2 = std::move(s1);
    reader.join();
    say("after swaps", static_cast<long long>(s2.size()));

    say("failures", failures);
    return failures == 0 ? 0 : 1;
}
