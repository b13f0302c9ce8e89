// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A store over a map with boost::concurrent_flat_map's API: tophash's
// concurrent_map and Boost's own map run the same code. Lookups take the key
// as a string_view (transparent hash and equality), so no request builds a
// std::string except to insert a new key.
#pragma once

#include <string>
#include <string_view>

#include "resp.hpp"
#include "store.hpp"

namespace kv {

template <class Map>
class visit_store : public store {
  public:
    void get(std::string_view key, std::int64_t now, std::string& out) override {
        bool found = false, expired = false;
        map_.cvisit(key, [&](const auto& kv) {
            if (live(kv.second, now)) {
                append_bulk(out, kv.second.value);  // copied out under the element's lock
                found = true;
            } else {
                expired = true;
            }
        });
        if (!found) append_null(out);
        if (expired) drop_expired(key, now);
    }

    bool set(std::string_view key, const set_args& a, std::int64_t now) override {
        if (a.condition == set_condition::if_present) {
            bool stored = false;
            map_.visit(key, [&](auto& kv) { stored = set_existing(kv.second, a, now); });
            return stored;
        }
        bool stored = true;
        map_.try_emplace_and_visit(
            key, a.value, a.keep_ttl ? 0 : a.expires, [](const auto&) {},
            [&](auto& kv) { stored = set_existing(kv.second, a, now); });
        return stored;
    }

    bool del(std::string_view key, std::int64_t now) override {
        bool was_live = false;
        map_.erase_if(key, [&](const auto& kv) {
            was_live = live(kv.second, now);
            return true;
        });
        return was_live;
    }

    bool exists(std::string_view key, std::int64_t now) override {
        bool found = false;
        map_.cvisit(key, [&](const auto& kv) { found = live(kv.second, now); });
        return found;
    }

    incr_status incr_by(std::string_view key, std::int64_t by, std::int64_t now,
                        std::int64_t& result) override {
        incr_status st = incr_status::ok;
        char buf[24];
        // Present keys are updated in place; only a new key is built.
        const bool inserted = map_.try_emplace_and_visit(
            key, decimal(by, buf), std::int64_t{0}, [](const auto&) {},
            [&](auto& kv) { st = incr_existing(kv.second, by, now, result); });
        if (inserted) result = by;
        return st;
    }

    std::size_t size() override { return map_.size(); }
    void clear() override { map_.clear(); }

  protected:
    void drop_expired(std::string_view key, std::int64_t now) {
        map_.erase_if(key, [&](const auto& kv) { return !live(kv.second, now); });
    }

    Map map_;
};

}  // namespace kv
