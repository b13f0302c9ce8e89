// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// tophash::threads: the execution policy of tophash's parallel walks,
// needing nothing beyond the standard library (detail/parallel.hpp).
#pragma once

namespace tophash {

// Runs a whole-container operation on n threads (the caller's among them),
// e.g. m.visit_all(tophash::threads{4}, f). 0 means one per hardware thread.
struct threads {
    unsigned count = 0;
};

}  // namespace tophash
