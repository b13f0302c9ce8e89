// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Must not compile, with one message that names what to do: a standard
// execution policy in a program that includes <execution> only after tophash.
#include "tophash/concurrent_map.hpp"
// clang-format off
#include <execution>
// clang-format on

int main() {
    tophash::concurrent_map<int, int> m;
    m.visit_all(std::execution::par, [](auto&) {});
}
