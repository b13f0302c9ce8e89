// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for kv_server's RESP parser: the input is a client's byte
// stream, delivered in reads whose sizes the input also chooses. The
// incremental parser (one request_parser kept across reads, as a connection
// keeps it) must give exactly the requests, and the error, that parsing the
// whole stream at once gives; and it must never look at a byte twice more
// than a bounded number of times (a trickling client must not cost the
// server quadratic time).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../../examples/kv_server/resp.hpp"

namespace {

struct outcome {
    std::vector<std::vector<std::string>> requests;
    bool error = false;
};

void record(outcome& o, const std::vector<std::string_view>& args) {
    std::vector<std::string> r;
    for (auto a : args)
        r.emplace_back(a);
    o.requests.push_back(std::move(r));
}

outcome whole(std::string_view stream) {
    outcome o;
    std::vector<std::string_view> args;
    std::size_t pos = 0;
    for (;;) {
        std::size_t used = 0;
        const char* error = nullptr;
        const auto r = kv::parse_request(stream.substr(pos), args, used, error);
        if (r == kv::parse_result::error) {
            o.error = true;
            return o;
        }
        if (r == kv::parse_result::incomplete) return o;
        record(o, args);
        pos += used;
    }
}

outcome in_reads(std::string_view stream, const std::vector<std::size_t>& reads) {
    outcome o;
    std::vector<std::string_view> args;
    kv::request_parser parser;
    std::string buf;  // unparsed bytes, moved to the front as the server does
    std::size_t fed = 0, k = 0;
    while (fed < stream.size()) {
        const std::size_t n = std::min(reads[k++ % reads.size()], stream.size() - fed);
        buf.append(stream.substr(fed, n));
        fed += n;
        std::size_t pos = 0;
        for (;;) {
            std::size_t used = 0;
            const char* error = nullptr;
            const auto r = parser.parse(std::string_view(buf).substr(pos), args, used, error);
            if (r == kv::parse_result::error) {
                o.error = true;
                return o;
            }
            if (r == kv::parse_result::incomplete) break;
            record(o, args);
            pos += used;
        }
        buf.erase(0, pos);
    }
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // The first bytes choose the read sizes (1-64 bytes, cycling).
    const std::size_t nreads = 1 + data[0] % 8;
    if (size < 1 + nreads) return 0;
    std::vector<std::size_t> reads;
    for (std::size_t i = 0; i < nreads; ++i)
        reads.push_back(1 + data[1 + i] % 64);
    const std::string_view stream(reinterpret_cast<const char*>(data) + 1 + nreads,
                                  size - 1 - nreads);
    const outcome a = whole(stream);
    const outcome b = in_reads(stream, reads);
    if (a.error != b.error || a.requests != b.requests) std::abort();
    return 0;
}
