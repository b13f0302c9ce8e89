// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The TCP side: one acceptor, N workers each with its own epoll set.
#pragma once

#include <string>

#include "store.hpp"

namespace kv {

struct server_options {
    unsigned port = 6379;  // 0: any free port (printed at startup)
    unsigned threads = 0;  // 0: one per core
};

// Listens on 127.0.0.1 only and serves until SIGTERM or SIGINT, then closes
// every connection and returns 0 (non-zero if it could not listen).
int run_server(const server_options& opt, store& db);

}  // namespace kv
