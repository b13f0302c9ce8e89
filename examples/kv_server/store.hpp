// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// What the server needs from a key-value store, implemented on tophash and
// on the maps it is compared with (store_*.cpp). Keys and values are byte
// strings; every operation is atomic per key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kv {

// A value and its expiry time (milliseconds on the server's monotonic clock,
// 0: none). Expired keys are removed lazily, by the next command that
// touches them; until then DBSIZE counts them.
struct entry {
    std::string value;
    std::int64_t expires = 0;

    entry() = default;
    entry(std::string_view v, std::int64_t e) : value(v), expires(e) {}
};

inline bool live(const entry& e, std::int64_t now) noexcept {
    return e.expires == 0 || e.expires > now;
}

enum class set_condition { always, if_absent, if_present };  // SET ... NX / XX

struct set_args {
    std::string_view value;
    std::int64_t expires = 0;  // absolute; 0: none
    set_condition condition = set_condition::always;
    bool keep_ttl = false;
};

enum class incr_status { ok, not_integer, overflow };

class store {
  public:
    virtual ~store() = default;
    virtual const char* name() const noexcept = 0;
    // Appends GET's reply (bulk string or null) to out.
    virtual void get(std::string_view key, std::int64_t now, std::string& out) = 0;
    // Returns whether the value was stored (NX / XX may refuse).
    virtual bool set(std::string_view key, const set_args& a, std::int64_t now) = 0;
    // Whether a live key was removed.
    virtual bool del(std::string_view key, std::int64_t now) = 0;
    virtual bool exists(std::string_view key, std::int64_t now) = 0;
    virtual incr_status incr_by(std::string_view key, std::int64_t by, std::int64_t now,
                                std::int64_t& result) = 0;
    virtual std::size_t size() = 0;
    virtual void clear() = 0;
    // INFO's store section: "name:value\r\n" lines.
    virtual void info(std::string& out) = 0;
};

// Each returns nullptr when the program was built without that map.
std::unique_ptr<store> make_tophash_store();
std::unique_ptr<store> make_tophash_node_store();
std::unique_ptr<store> make_absl_store();
std::unique_ptr<store> make_tbb_store();
std::unique_ptr<store> make_boost_store();

// The parts of the commands' semantics every store shares, applied to an
// element the store holds exclusively.

// SET on an existing element; returns whether it stored the value.
bool set_existing(entry& e, const set_args& a, std::int64_t now);
// INCRBY on an existing element.
incr_status incr_existing(entry& e, std::int64_t by, std::int64_t now, std::int64_t& result);
// The value INCRBY stores in a new element.
std::string_view decimal(std::int64_t v, char (&buf)[24]);

}  // namespace kv
