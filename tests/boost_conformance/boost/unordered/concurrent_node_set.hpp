// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent_node_set header, renamed to tophash (see concurrent_node_set_fwd.hpp).
#pragma once

#include <boost/unordered/concurrent_node_set_fwd.hpp>
