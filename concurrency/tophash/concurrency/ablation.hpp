// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Switches that remove one concurrency mechanism, for measuring what each
// costs a single thread (scripts/ablation, docs/design.md "What concurrency
// costs"). Each one makes the containers unsafe to share between threads:
// never define them outside a single-threaded benchmark.
//   TOPHASH_ABLATE_EPOCH     epoch_guard announces nothing (epoch.hpp)
//   TOPHASH_ABLATE_VERSIONS  chain versions are neither written nor
//                            validated (seqcount.hpp)
//   TOPHASH_ABLATE_LOCKS     stripe locks are never taken (stripe_lock.hpp)
#pragma once
