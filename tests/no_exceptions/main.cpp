// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Built with -fno-exceptions, with the library's sources: every container and
// the operations that have error paths (growth, rollbacks, parallel walks)
// compile and work; `overflow` then asks for more than max_size(), which must
// abort with the message the exception would have carried
// (tests/no_exceptions/check.cmake).
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this test must be built with -fno-exceptions"
#endif

#define CHECK(c)                                                                       \
    do {                                                                               \
        if (!(c)) {                                                                    \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

template <class K, class T>
const K& key_of(const std::pair<K, T>& v) {
    return v.first;
}
template <class K>
const K& key_of(const K& v) {
    return v;
}

template <class C, class Make>
int exercise(Make make) {
    C c;
    for (int i = 0; i < 5000; ++i)  // grows through many arrays
        CHECK(c.emplace(make(i)));
    CHECK(c.size() == 5000);
    CHECK(c.count(key_of(make(42))) == 1);
    std::size_t seen = 0;
    c.visit_all(tophash::threads{2}, [&](const auto&) { __atomic_add_fetch(&seen, 1, 0); });
    CHECK(seen == 5000);
    CHECK(c.erase_if([](const auto&) { return true; }) == 5000);
    CHECK(c.empty());
    c.reserve(10000);
    c.rehash(0);
    return 0;
}

int main(int argc, char** argv) {
    int rc = exercise<tophash::concurrent_map<int, int>>([](int i) { return std::pair(i, i); });
    rc |= exercise<tophash::concurrent_node_map<std::string, std::string>>(
        [](int i) { return std::pair(std::to_string(i), std::string(100, 'v')); });
    rc |= exercise<tophash::concurrent_set<std::string>>([](int i) { return std::to_string(i); });
    rc |= exercise<tophash::concurrent_node_set<int>>([](int i) { return i; });
    if (rc != 0) return rc;
    std::puts("containers work without exceptions");
    if (argc > 1 && std::strcmp(argv[1], "overflow") == 0) {
        tophash::concurrent_map<int, int> m;
        m.reserve(m.max_size() + 1);  // aborts
        std::puts("reserve past max_size() returned");
    }
    return 0;
}
