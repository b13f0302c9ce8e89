// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent_flat_map, renamed to tophash (see tophash_shim.hpp).
#pragma once

#include "tophash_shim.hpp"
