// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The hashes of a chain's elements, in chain order, computed before an
// evacuation changes anything: a throwing hasher then leaves the table
// untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

namespace tophash::detail {

template <class Chain>
class chain_hashes {
  public:
    // hash_of(const key_type&) -> std::uint64_t.
    template <class HashOf>
    chain_hashes(const Chain& c, const HashOf& hash_of) {
        c.for_each_bucket([&](auto b) { count_ += b->match_group().match_full().count(); });
        if (count_ > std::size(local_)) {
            spill_.resize(count_);
            data_ = spill_.data();
        }
        std::size_t k = 0;
        c.for_each_full([&](const typename Chain::position& p) {
            data_[k++] = hash_of(Chain::storage::key(p.element()));
            return true;
        });
    }
    chain_hashes(const chain_hashes&) = delete;
    chain_hashes& operator=(const chain_hashes&) = delete;
    std::size_t size() const noexcept { return count_; }
    std::uint64_t operator[](std::size_t k) const noexcept { return data_[k]; }

  private:
    // 64 cover a typical chain (4 buckets) without allocating.
    std::uint64_t local_[64];
    std::vector<std::uint64_t> spill_;
    std::uint64_t* data_ = local_;
    std::size_t count_ = 0;
};

}  // namespace tophash::detail
