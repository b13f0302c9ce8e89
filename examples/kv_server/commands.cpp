// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "resp.hpp"

namespace kv {

std::int64_t now_ms() noexcept {
    timespec ts;
    // Coarse: a few milliseconds of resolution, no system call.
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

namespace {

using args_t = std::vector<std::string_view>;

bool is(std::string_view a, const char* name) {
    return a.size() == std::strlen(name) && strncasecmp(a.data(), name, a.size()) == 0;
}

void wrong_arity(std::string& out, std::string_view cmd) {
    out += "-ERR wrong number of arguments for '";
    for (char c : cmd)  // only known commands get here: letters
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    out += "' command\r\n";
}

// User bytes quoted in an error line: at most 128, no line breaks.
void append_quoted(std::string& out, std::string_view s) {
    out += '\'';
    for (char c : s.substr(0, 128))
        out += c == '\r' || c == '\n' ? ' ' : c;
    out += '\'';
}

void not_integer(std::string& out) {
    append_error(out, "ERR value is not an integer or out of range");
}

// SET key value [NX|XX] [EX seconds|PX milliseconds|KEEPTTL]
void cmd_set(const args_t& a, store& db, std::string& out, std::int64_t now) {
    set_args s;
    s.value = a[2];
    bool has_expiry = false;
    for (std::size_t i = 3; i < a.size(); ++i) {
        if (is(a[i], "NX") && s.condition == set_condition::always) {
            s.condition = set_condition::if_absent;
        } else if (is(a[i], "XX") && s.condition == set_condition::always) {
            s.condition = set_condition::if_present;
        } else if (is(a[i], "KEEPTTL") && !has_expiry) {
            s.keep_ttl = true;
            has_expiry = true;
        } else if ((is(a[i], "EX") || is(a[i], "PX")) && !has_expiry && i + 1 < a.size()) {
            std::int64_t n = 0;
            if (!parse_int(a[i + 1], n)) return not_integer(out);
            const std::int64_t unit = is(a[i], "EX") ? 1000 : 1;
            std::int64_t ms = 0;
            if (n <= 0 || __builtin_mul_overflow(n, unit, &ms) ||
                __builtin_add_overflow(ms, now, &s.expires)) {
                return append_error(out, "ERR invalid expire time in 'set' command");
            }
            has_expiry = true;
            ++i;
        } else {
            return append_error(out, "ERR syntax error");
        }
    }
    if (db.set(a[1], s, now)) {
        append_simple(out, "OK");
    } else {
        append_null(out);
    }
}

void cmd_incr(const args_t& a, store& db, std::string& out, std::int64_t now, std::int64_t by) {
    std::int64_t result = 0;
    switch (db.incr_by(a[1], by, now, result)) {
        case incr_status::ok:
            return append_int(out, result);
        case incr_status::not_integer:
            return not_integer(out);
        case incr_status::overflow:
            return append_error(out, "ERR increment or decrement would overflow");
    }
}

// Resident memory, as Redis reports it (Linux: /proc/self/statm; 0 elsewhere).
std::uint64_t resident_bytes() {
    std::uint64_t pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        unsigned long long a = 0, b = 0;
        if (std::fscanf(f, "%llu %llu", &a, &b) == 2) pages = a, resident = b;
        std::fclose(f);
    }
    (void)pages;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void cmd_info(store& db, server_info& info, std::string& out, std::int64_t now) {
    std::string s;
    s += "# Server\r\nserver:tophash kv_server\r\nredis_version:7.0.0\r\n";
    s += "store:" + info.store_name + "\r\n";
    s += "threads:" + std::to_string(info.threads) + "\r\n";
    s += "tcp_port:" + std::to_string(info.port) + "\r\n";
    s += "uptime_in_seconds:" + std::to_string((now - info.started_ms) / 1000) + "\r\n";
    s += "\r\n# Clients\r\nconnected_clients:" +
         std::to_string(info.connected_clients.load(std::memory_order_relaxed)) + "\r\n";
    s += "\r\n# Stats\r\ntotal_connections_received:" +
         std::to_string(info.total_connections.load(std::memory_order_relaxed)) + "\r\n";
    std::int64_t commands = 0;
    for (unsigned i = 0; i < info.threads; ++i)
        commands += info.commands[i].n.load(std::memory_order_relaxed);
    s += "total_commands_processed:" + std::to_string(commands) + "\r\n";
    s += "protocol_errors:" + std::to_string(info.protocol_errors.load(std::memory_order_relaxed)) +
         "\r\n";
    s += "\r\n# Memory\r\nused_memory_rss:" + std::to_string(resident_bytes()) + "\r\n";
    s += "\r\n# Keyspace\r\ndb0:keys=" + std::to_string(db.size()) + "\r\n";
    s += "\r\n# Store\r\n";
    db.info(s);
    append_bulk(out, s);
}

}  // namespace

bool execute(const args_t& a, store& db, server_info& info, unsigned worker, std::string& out) {
    const std::string_view cmd = a[0];
    const std::size_t n = a.size();
    const std::int64_t now = now_ms();
    info.commands[worker].add();
    if (is(cmd, "GET")) {
        if (n != 2) return wrong_arity(out, cmd), true;
        db.get(a[1], now, out);
    } else if (is(cmd, "SET")) {
        if (n < 3) return wrong_arity(out, cmd), true;
        cmd_set(a, db, out, now);
    } else if (is(cmd, "INCR") || is(cmd, "DECR")) {
        if (n != 2) return wrong_arity(out, cmd), true;
        cmd_incr(a, db, out, now, is(cmd, "INCR") ? 1 : -1);
    } else if (is(cmd, "INCRBY") || is(cmd, "DECRBY")) {
        if (n != 3) return wrong_arity(out, cmd), true;
        std::int64_t by = 0;
        if (!parse_int(a[2], by)) return not_integer(out), true;
        if (is(cmd, "DECRBY")) {
            if (by == INT64_MIN) {
                return append_error(out, "ERR decrement would overflow"), true;
            }
            by = -by;
        }
        cmd_incr(a, db, out, now, by);
    } else if (is(cmd, "MGET")) {
        if (n < 2) return wrong_arity(out, cmd), true;
        // The reply is bounded as it grows, not only between requests: a
        // short MGET naming one large value many times would otherwise
        // build hundreds of MB for a client that never reads.
        const std::size_t start = out.size();
        append_array(out, n - 1);
        for (std::size_t i = 1; i < n; ++i) {
            db.get(a[i], now, out);
            if (out.size() - start > max_reply_bytes && i + 1 < n) {
                out.resize(start);
                out.shrink_to_fit();
                append_error(out, "ERR reply exceeds the server's reply size limit");
                break;
            }
        }
    } else if (is(cmd, "MSET")) {
        if (n < 3 || n % 2 != 1) return wrong_arity(out, cmd), true;
        // Each key is set atomically; the command as a whole is not (a
        // concurrent MGET may see some of the new values and not others).
        set_args s;
        for (std::size_t i = 1; i < n; i += 2) {
            s.value = a[i + 1];
            db.set(a[i], s, now);
        }
        append_simple(out, "OK");
    } else if (is(cmd, "DEL") || is(cmd, "EXISTS")) {
        if (n < 2) return wrong_arity(out, cmd), true;
        const bool del = is(cmd, "DEL");
        std::int64_t count = 0;
        for (std::size_t i = 1; i < n; ++i)
            count += del ? db.del(a[i], now) : db.exists(a[i], now);
        append_int(out, count);
    } else if (is(cmd, "PING")) {
        if (n > 2) return wrong_arity(out, cmd), true;
        if (n == 2) {
            append_bulk(out, a[1]);
        } else {
            append_simple(out, "PONG");
        }
    } else if (is(cmd, "ECHO")) {
        // redis-cli --pipe ends its stream with ECHO and a random token.
        if (n != 2) return wrong_arity(out, cmd), true;
        append_bulk(out, a[1]);
    } else if (is(cmd, "DBSIZE")) {
        if (n != 1) return wrong_arity(out, cmd), true;
        append_int(out, static_cast<std::int64_t>(db.size()));
    } else if (is(cmd, "FLUSHALL") || is(cmd, "FLUSHDB")) {
        if (n > 2 || (n == 2 && !is(a[1], "SYNC") && !is(a[1], "ASYNC"))) {
            return append_error(out, "ERR syntax error"), true;
        }
        db.clear();
        append_simple(out, "OK");
    } else if (is(cmd, "INFO")) {
        cmd_info(db, info, out, now);
    } else if (is(cmd, "QUIT")) {
        append_simple(out, "OK");
        return false;
    } else if (is(cmd, "CONFIG")) {
        // redis-benchmark asks for "save" and "appendonly": this server keeps
        // nothing on disk.
        if (n != 3 || !is(a[1], "GET")) {
            return append_error(out, "ERR only CONFIG GET parameter is supported"), true;
        }
        append_array(out, 2);
        append_bulk(out, a[2]);
        append_bulk(out, is(a[2], "appendonly") ? "no" : "");
    } else if (is(cmd, "SELECT")) {
        if (n != 2) return wrong_arity(out, cmd), true;
        if (a[1] != "0") return append_error(out, "ERR DB index is out of range"), true;
        append_simple(out, "OK");
    } else {
        out += "-ERR unknown command ";
        append_quoted(out, cmd);
        out += ", with args beginning with: ";
        for (std::size_t i = 1; i < n && i < 4; ++i) {
            append_quoted(out, a[i]);
            out += ' ';
        }
        out += "\r\n";
    }
    return true;
}

}  // namespace kv
