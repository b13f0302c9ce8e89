// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::from_range: selects the range constructors (C++20), as
// boost::unordered::from_range (or std::from_range, where the library has
// it) does.
#pragma once

namespace tophash {

struct from_range_t {
    explicit from_range_t() = default;
};
inline constexpr from_range_t from_range{};

}  // namespace tophash
