// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// absl::flat_hash_map behind one std::shared_mutex: what services use when
// they need Abseil's speed and a map that several threads share. Reads take
// the lock shared, writes exclusive.
#include "store.hpp"

#if KV_HAVE_ABSL
#include <absl/container/flat_hash_map.h>
#include <absl/strings/string_view.h>

#include <mutex>
#include <shared_mutex>
#include <string>

#include "resp.hpp"
#endif

namespace kv {

#if KV_HAVE_ABSL
namespace {

// Debian's Abseil has its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW
// 0), which its transparent string hash takes; std::string_view does not
// convert to it implicitly.
absl::string_view av(std::string_view s) {
    return {s.data(), s.size()};
}

class absl_store final : public store {
  public:
    const char* name() const noexcept override { return "absl"; }

    void get(std::string_view key, std::int64_t now, std::string& out) override {
        {
            std::shared_lock lock(mutex_);
            auto it = map_.find(av(key));
            if (it == map_.end()) return append_null(out);
            if (live(it->second, now)) return append_bulk(out, it->second.value);
        }
        append_null(out);
        std::unique_lock lock(mutex_);
        auto it = map_.find(av(key));
        if (it != map_.end() && !live(it->second, now)) map_.erase(it);
    }

    bool set(std::string_view key, const set_args& a, std::int64_t now) override {
        std::unique_lock lock(mutex_);
        if (a.condition == set_condition::if_present) {
            auto it = map_.find(av(key));
            return it != map_.end() && set_existing(it->second, a, now);
        }
        auto [it, inserted] = map_.try_emplace(av(key), a.value, a.keep_ttl ? 0 : a.expires);
        return inserted || set_existing(it->second, a, now);
    }

    bool del(std::string_view key, std::int64_t now) override {
        std::unique_lock lock(mutex_);
        auto it = map_.find(av(key));
        if (it == map_.end()) return false;
        const bool was_live = live(it->second, now);
        map_.erase(it);
        return was_live;
    }

    bool exists(std::string_view key, std::int64_t now) override {
        std::shared_lock lock(mutex_);
        auto it = map_.find(av(key));
        return it != map_.end() && live(it->second, now);
    }

    incr_status incr_by(std::string_view key, std::int64_t by, std::int64_t now,
                        std::int64_t& result) override {
        char buf[24];
        std::unique_lock lock(mutex_);
        auto [it, inserted] = map_.try_emplace(av(key), decimal(by, buf), std::int64_t{0});
        if (inserted) {
            result = by;
            return incr_status::ok;
        }
        return incr_existing(it->second, by, now, result);
    }

    std::size_t size() override {
        std::shared_lock lock(mutex_);
        return map_.size();
    }
    void clear() override {
        std::unique_lock lock(mutex_);
        map_.clear();
    }
    void info(std::string& out) override {
        std::shared_lock lock(mutex_);
        out += "keys:" + std::to_string(map_.size()) + "\r\n";
        out += "capacity:" + std::to_string(map_.capacity()) + "\r\n";
    }

  private:
    std::shared_mutex mutex_;
    absl::flat_hash_map<std::string, entry> map_;
};

}  // namespace

std::unique_ptr<store> make_absl_store() {
    return std::make_unique<absl_store>();
}
#else
std::unique_ptr<store> make_absl_store() {
    return nullptr;
}
#endif

}  // namespace kv
