// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tbb::concurrent_hash_map: per-element reader/writer locks through
// accessors. Its lookups take a key_type, so each builds a std::string
// (reused per thread: no allocation once it is long enough). Its clear() is
// not safe against concurrent operations, so FLUSHALL takes a gate that
// every other operation holds shared.
#include "store.hpp"

#if KV_HAVE_TBB
#include <tbb/concurrent_hash_map.h>

#include <mutex>
#include <shared_mutex>
#include <string>

#include "resp.hpp"
#endif

namespace kv {

#if KV_HAVE_TBB
namespace {

class tbb_store final : public store {
    using map_type = tbb::concurrent_hash_map<std::string, entry>;

  public:
    const char* name() const noexcept override { return "tbb"; }

    void get(std::string_view key, std::int64_t now, std::string& out) override {
        std::shared_lock gate(gate_);
        bool expired = false;
        {
            map_type::const_accessor a;
            if (map_.find(a, key_of(key))) {
                if (live(a->second, now)) return append_bulk(out, a->second.value);
                expired = true;
            }
        }
        append_null(out);
        if (expired) {
            map_type::accessor a;
            if (map_.find(a, key_of(key)) && !live(a->second, now)) map_.erase(a);
        }
    }

    bool set(std::string_view key, const set_args& a, std::int64_t now) override {
        std::shared_lock gate(gate_);
        map_type::accessor acc;
        if (a.condition == set_condition::if_present) {
            return map_.find(acc, key_of(key)) && set_existing(acc->second, a, now);
        }
        if (map_.insert(acc, key_of(key))) {
            acc->second.value.assign(a.value.data(), a.value.size());
            acc->second.expires = a.keep_ttl ? 0 : a.expires;
            return true;
        }
        return set_existing(acc->second, a, now);
    }

    bool del(std::string_view key, std::int64_t now) override {
        std::shared_lock gate(gate_);
        map_type::accessor a;
        if (!map_.find(a, key_of(key))) return false;
        const bool was_live = live(a->second, now);
        map_.erase(a);
        return was_live;
    }

    bool exists(std::string_view key, std::int64_t now) override {
        std::shared_lock gate(gate_);
        map_type::const_accessor a;
        return map_.find(a, key_of(key)) && live(a->second, now);
    }

    incr_status incr_by(std::string_view key, std::int64_t by, std::int64_t now,
                        std::int64_t& result) override {
        std::shared_lock gate(gate_);
        map_type::accessor a;
        if (map_.insert(a, key_of(key))) {
            char buf[24];
            a->second.value.assign(decimal(by, buf));
            result = by;
            return incr_status::ok;
        }
        return incr_existing(a->second, by, now, result);
    }

    std::size_t size() override {
        std::shared_lock gate(gate_);
        return map_.size();
    }
    void clear() override {
        std::unique_lock gate(gate_);
        map_.clear();
    }
    void info(std::string& out) override {
        std::shared_lock gate(gate_);
        out += "keys:" + std::to_string(map_.size()) + "\r\n";
        out += "buckets:" + std::to_string(map_.bucket_count()) + "\r\n";
    }

  private:
    static const std::string& key_of(std::string_view key) {
        thread_local std::string k;
        k.assign(key.data(), key.size());
        return k;
    }

    std::shared_mutex gate_;
    map_type map_;
};

}  // namespace

std::unique_ptr<store> make_tbb_store() {
    return std::make_unique<tbb_store>();
}
#else
std::unique_ptr<store> make_tbb_store() {
    return nullptr;
}
#endif

}  // namespace kv
