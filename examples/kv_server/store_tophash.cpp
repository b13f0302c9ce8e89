// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The stores on tophash: concurrent_map, the flat map (elements live in the
// buckets, so a key costs no node allocation beside its strings, and a
// lookup touches the bucket's tags and the slot), and concurrent_node_map
// ("tophash-node": the buckets hold pointers, so a growth moves 8 bytes an
// element and faults in an array a ninth of the flat one's; a lookup
// follows one more pointer).
#include <functional>
#include <string>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"
#include "visit_store.hpp"

namespace kv {
namespace {

using tophash_map =
    tophash::concurrent_map<std::string, entry, tophash::hash<std::string>, std::equal_to<>>;
using tophash_node_map =
    tophash::concurrent_node_map<std::string, entry, tophash::hash<std::string>, std::equal_to<>>;

template <class Map>
class tophash_store final : public visit_store<Map> {
  public:
    explicit tophash_store(const char* name) : name_(name) {}
    const char* name() const noexcept override { return name_; }

    void info(std::string& out) override {
        const tophash::map_stats s = this->map_.stats();
        auto line = [&](const char* k, auto v) {
            out += k;
            out += ':';
            out += std::to_string(v);
            out += "\r\n";
        };
        line("keys", s.size);
        line("head_buckets", s.head_buckets);
        line("slots_per_bucket", s.slots_per_bucket);
        line("overflow_buckets", s.overflow_buckets);
        line("free_overflow_buckets", s.free_overflow_buckets);
        line("stripes", s.stripe_count);
        line("load_factor", s.load_factor);
        line("slots_full", s.slots_full);
        line("slots_empty_one", s.slots_empty_one);
        line("slots_empty_rest", s.slots_empty_rest);
        line("slots_evacuated", s.slots_evacuated);
        line("resizing", s.resizing ? 1 : 0);
        line("resize_same_size", s.same_size_resize ? 1 : 0);
        line("resize_old_head_buckets", s.old_head_buckets);
        line("resize_evacuated_head_buckets", s.evacuated_head_buckets);
        line("bytes", s.bytes);
        line("prepared_bytes", s.prepared_bytes);
        out += "chain_lengths:";
        bool first = true;
        for (std::size_t k = 1; k < s.chain_length_histogram.size(); ++k) {
            if (s.chain_length_histogram[k] == 0) continue;
            if (!first) out += ',';
            first = false;
            out += std::to_string(k) + '=' + std::to_string(s.chain_length_histogram[k]);
        }
        out += "\r\n";
    }

  private:
    const char* name_;
};

}  // namespace

std::unique_ptr<store> make_tophash_store() {
    return std::make_unique<tophash_store<tophash_map>>("tophash");
}
std::unique_ptr<store> make_tophash_node_store() {
    return std::make_unique<tophash_store<tophash_node_map>>("tophash-node");
}

}  // namespace kv
