// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Boost's concurrent_flat_set header, renamed to tophash (see concurrent_flat_set_fwd.hpp).
#pragma once

#include <boost/unordered/concurrent_flat_set_fwd.hpp>
