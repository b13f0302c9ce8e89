// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent_node_map header, renamed to tophash (see concurrent_node_map_fwd.hpp).
#pragma once

#include <boost/unordered/concurrent_node_map_fwd.hpp>
