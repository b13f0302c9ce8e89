// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// RESP2, the Redis protocol: requests (arrays of bulk strings, or inline
// commands split on spaces) and the replies the server sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kv {

// Limits on what one request may claim, so that a client cannot make the
// server allocate without bound: Redis allows 512 MB per argument; an
// example server has no use for more than 64 MiB.
inline constexpr std::size_t max_args = 1 << 20;
inline constexpr std::size_t max_bulk = std::size_t{64} << 20;
inline constexpr std::size_t max_inline = std::size_t{64} << 10;

enum class parse_result { complete, incomplete, error };

// Parses the request at the start of `buf`, a request at a time. The parser
// keeps its place across calls: while a request is incomplete, each call
// with more of it (the same bytes first, possibly moved, then new ones)
// parses only what is new, so a client trickling a large request costs the
// server time in proportion to its bytes, not their square. On `complete`,
// `args` views the arguments inside `buf` and `used` is the request's
// length, and the parser is ready for the next request; on `error`,
// `error` names the violation (the connection must then be closed, as
// Redis does: the stream cannot be resynchronised).
class request_parser {
  public:
    parse_result parse(std::string_view buf, std::vector<std::string_view>& args, std::size_t& used,
                       const char*& error);
    void reset() noexcept;

  private:
    parse_result parse_inline(std::string_view buf, std::vector<std::string_view>& args,
                              std::size_t& used, const char*& error);

    std::size_t pos_ = 0;         // bytes of the current request parsed
    std::int64_t expected_ = -1;  // its argument count, once its header is read
    std::vector<std::pair<std::size_t, std::size_t>> spans_;  // arguments so far
    std::size_t scanned_ = 0;  // inline requests: bytes searched for '\n'
};

// The same, for a buffer that holds the whole request (tests, fuzzing).
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
