// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The store on boost::concurrent_flat_map (Boost >= 1.83), built when its
// headers are found: the same code as tophash's store (visit_store.hpp).
#include "store.hpp"

#if KV_HAVE_BOOST
#include <boost/container_hash/hash.hpp>
#include <boost/unordered/concurrent_flat_map.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "visit_store.hpp"
#endif

namespace kv {

#if KV_HAVE_BOOST
namespace {

// boost::hash over the bytes, transparent so that lookups take string_views.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return boost::hash<std::string_view>()(s);
    }
};

using boost_map = boost::concurrent_flat_map<std::string, entry, string_hash, std::equal_to<>>;

class boost_store final : public visit_store<boost_map> {
  public:
    const char* name() const noexcept override { return "boost"; }
    void info(std::string& out) override {
        out += "keys:" + std::to_string(map_.size()) + "\r\n";
        out += "buckets:" + std::to_string(map_.bucket_count()) + "\r\n";
        out += "load_factor:" + std::to_string(map_.load_factor()) + "\r\n";
    }
};

}  // namespace

std::unique_ptr<store> make_boost_store() {
    return std::make_unique<boost_store>();
}
#else
std::unique_ptr<store> make_boost_store() {
    return nullptr;
}
#endif

}  // namespace kv
