// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The commands the server understands, executed against a store.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace kv {

// A counter written by one worker only, on a cache line of its own.
struct alignas(64) worker_counter {
    std::atomic<std::int64_t> n{0};
    void add() noexcept {
        n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
};

// Counters INFO reports, shared by the workers.
struct server_info {
    std::string store_name;
    unsigned threads = 0;
    unsigned port = 0;
    std::int64_t started_ms = 0;
    std::atomic<std::int64_t> connected_clients{0};
    std::atomic<std::int64_t> total_connections{0};
    std::unique_ptr<worker_counter[]> commands;  // per worker
    std::atomic<std::int64_t> protocol_errors{0};
};

// Milliseconds on a monotonic clock (expiry times and uptime).
std::int64_t now_ms() noexcept;

// Executes one request (args[0] is the command, any case) and appends its
// reply to out. Returns false when the connection is to be closed after the
// reply (QUIT).
// The most one reply may take (MGET), beyond its last value: a client's
// memory on the server is its unsent replies (at most 1 MiB pending before
// the next request is read) plus one reply.
inline constexpr std::size_t max_reply_bytes = std::size_t{16} << 20;

bool execute(const std::vector<std::string_view>& args, store& db, server_info& info,
             unsigned worker, std::string& out);

}  // namespace kv
