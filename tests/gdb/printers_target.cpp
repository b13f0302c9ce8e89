// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The program tests/gdb/check_printers.cmake stops in GDB: one container of
// each kind, a map in the middle of a resize, and an empty one.
#include <cstdint>
#include <string>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "tophash/concurrent_node_set.hpp"
#include "tophash/concurrent_set.hpp"

// Every key in one chain: 20 elements take the head bucket and an overflow.
struct same_hash {
    std::size_t operator()(int) const noexcept { return 42; }
};

// What the program itself says, for GDB to compare with the printers.
volatile std::size_t growing_size = 0;
volatile std::size_t chained_size = 0;

// Where GDB stops; noinline keeps the frame (and the containers) in place.
__attribute__((noinline)) void stop_here() {
    asm volatile("");
}

int main() {
    tophash::concurrent_map<std::uint64_t, std::uint64_t> map;
    map.emplace(1, 10);
    map.emplace(2, 20);
    map.emplace(3, 30);
    tophash::concurrent_set<std::string> set{"alpha", "beta"};
    tophash::concurrent_node_map<std::string, std::string> node_map;
    node_map.emplace("key", "value");
    tophash::concurrent_node_set<int> node_set{7};
    tophash::concurrent_map<int, int> empty;

    // Insert until a growth starts, then stop while it is in progress: each
    // write evacuates at most two old buckets, and this map has 64.
    tophash::concurrent_map<int, int> growing;
    growing.reserve(800);
    int k = 0;
    while (!growing.stats().resizing)
        growing.emplace(k, k), ++k;
    for (int i = 0; i < 5; ++i)  // 5 writes evacuate 6 to 10 old buckets
        growing.emplace(k, k), ++k;

    tophash::concurrent_map<int, int, same_hash> chained;
    for (int i = 0; i < 20; ++i)
        chained.emplace(i, -i);

    growing_size = growing.size();
    chained_size = chained.size();
    stop_here();
    return static_cast<int>(map.size() + set.size() + node_map.size() + node_set.size() +
                            empty.size() + growing.size() + chained.size()) == 0;
}
