// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// RESP2, the Redis protocol: requests (arrays of bulk strings, or inline
// commands split on spaces) and the replies the server sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

// Limits on what one request may claim, so that a client cannot make the
// server allocate without bound: Redis allows 512 MB per argument; an
// example server has no use for more than 64 MiB.
inline constexpr std::size_t max_args = 1 << 20;
inline constexpr std::size_t max_bulk = std::size_t{64} << 20;
inline constexpr std::size_t max_inline = std::size_t{64} << 10;

enum class parse_result { complete, incomplete, error };

// Parses the request at the start of `buf`. On `complete`, `args` views the
// arguments inside `buf` and `used` is the request's length; on `error`,
// `error` names the violation (the connection must then be closed, as
// Redis does: the stream cannot be resynchronised).
parse_result parse_request(std::string_view buf, std::vector<std::string_view>& args,
                           std::size_t& used, const char*& error);

// Replies, appended to a connection's output buffer.
void append_simple(std::string& out, std::string_view s);  // +s
void append_error(std::string& out, std::string_view s);   // -s
void append_int(std::string& out, std::int64_t n);         // :n
void append_bulk(std::string& out, std::string_view s);    // $len s
void append_null(std::string& out);                        // $-1
void append_array(std::string& out, std::size_t n);        // *n

// Decimal integers as Redis reads them: optional '-', digits, no spaces,
// within int64.
bool parse_int(std::string_view s, std::int64_t& v);

}  // namespace kv
