// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "resp.hpp"

#include <charconv>
#include <cstring>

namespace kv {
namespace {

// Where the line starting at buf[pos] ends ("\r\n"), or npos.
std::size_t line_end(std::string_view buf, std::size_t pos) {
    return buf.find("\r\n", pos);
}

// A count or length header: -1 (null) or more.
bool parse_length(std::string_view s, std::int64_t& v) {
    return parse_int(s, v) && v >= -1;
}

}  // namespace

bool parse_int(std::string_view s, std::int64_t& v) {
    if (s.empty() || s.size() > 20) return false;
    if (s[0] == '+') return false;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    auto [p, ec] = std::from_chars(first, last, v);
    return ec == std::errc() && p == last;
}

parse_result request_parser::parse_inline(std::string_view buf, std::vector<std::string_view>& args,
                                          std::size_t& used, const char*& error) {
    const std::size_t end = buf.find('\n', scanned_);
    if (end == std::string_view::npos) {
        if (buf.size() > max_inline) {
            error = "Protocol error: too big inline request";
            return parse_result::error;
        }
        scanned_ = buf.size();
        return parse_result::incomplete;
    }
    used = end + 1;
    std::string_view line = buf.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    args.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t')
            ++j;
        if (j > i) args.push_back(line.substr(i, j - i));
        i = j;
    }
    reset();
    return parse_result::complete;  // an empty line gives no arguments: ignored
}

void request_parser::reset() noexcept {
    pos_ = 0;
    expected_ = -1;
    spans_.clear();
    scanned_ = 0;
}

parse_result request_parser::parse(std::string_view buf, std::vector<std::string_view>& args,
                                   std::size_t& used, const char*& error) {
    if (buf.empty()) return parse_result::incomplete;
    if (buf[0] != '*') return parse_inline(buf, args, used, error);
    if (expected_ < 0) {
        const std::size_t eol = line_end(buf, 1);
        if (eol == std::string_view::npos) {
            if (buf.size() > 32) {
                error = "Protocol error: invalid multibulk length";
                return parse_result::error;
            }
            return parse_result::incomplete;
        }
        std::int64_t n = 0;
        if (!parse_length(buf.substr(1, eol - 1), n) || n > static_cast<std::int64_t>(max_args)) {
            error = "Protocol error: invalid multibulk length";
            return parse_result::error;
        }
        expected_ = n < 0 ? 0 : n;
        pos_ = eol + 2;
        // Reserved as arguments arrive, not from the claim: a header
        // claiming 2^20 arguments costs nothing until they come.
    }
    while (static_cast<std::int64_t>(spans_.size()) < expected_) {
        if (pos_ >= buf.size()) return parse_result::incomplete;
        if (buf[pos_] != '$') {
            error = "Protocol error: expected '$'";
            return parse_result::error;
        }
        const std::size_t eol = line_end(buf, pos_ + 1);
        if (eol == std::string_view::npos) {
            if (buf.size() - pos_ > 32) {
                error = "Protocol error: invalid bulk length";
                return parse_result::error;
            }
            return parse_result::incomplete;
        }
        std::int64_t len = 0;
        if (!parse_length(buf.substr(pos_ + 1, eol - pos_ - 1), len) || len < 0 ||
            static_cast<std::uint64_t>(len) > max_bulk) {
            error = "Protocol error: invalid bulk length";
            return parse_result::error;
        }
        const std::size_t start = eol + 2;
        const std::size_t ulen = static_cast<std::size_t>(len);
        if (buf.size() < start || buf.size() - start < ulen + 2) return parse_result::incomplete;
        if (buf[start + ulen] != '\r' || buf[start + ulen + 1] != '\n') {
            error = "Protocol error: bulk string not terminated by CRLF";
            return parse_result::error;
        }
        spans_.emplace_back(start, ulen);
        pos_ = start + ulen + 2;
    }
    args.clear();
    for (const auto& [start, len] : spans_)
        args.push_back(buf.substr(start, len));
    used = pos_;
    reset();
    return parse_result::complete;
}

parse_result parse_request(std::string_view buf, std::vector<std::string_view>& args,
                           std::size_t& used, const char*& error) {
    request_parser p;
    return p.parse(buf, args, used, error);
}

void append_simple(std::string& out, std::string_view s) {
    out += '+';
    out += s;
    out += "\r\n";
}

void append_error(std::string& out, std::string_view s) {
    out += '-';
    out += s;
    out += "\r\n";
}

namespace {
void append_number_line(std::string& out, char type, std::int64_t n) {
    char buf[24];
    buf[0] = type;
    auto [p, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
    (void)ec;  // 20 digits and a sign always fit
    *p++ = '\r';
    *p++ = '\n';
    out.append(buf, static_cast<std::size_t>(p - buf));
}
}  // namespace

void append_int(std::string& out, std::int64_t n) {
    append_number_line(out, ':', n);
}

void append_bulk(std::string& out, std::string_view s) {
    append_number_line(out, '$', static_cast<std::int64_t>(s.size()));
    out += s;
    out += "\r\n";
}

void append_null(std::string& out) {
    out += "$-1\r\n";
}

void append_array(std::string& out, std::size_t n) {
    append_number_line(out, '*', static_cast<std::int64_t>(n));
}

}  // namespace kv
