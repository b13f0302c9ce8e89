// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// The library's version (semantic versioning; CHANGELOG.md, and
// docs/compatibility.md for what may change between versions). CMake's
// project version, the package's find_package version check and the
// pkg-config file are all read from these lines.
#pragma once

#define TOPHASH_VERSION_MAJOR 0
#define TOPHASH_VERSION_MINOR 2
#define TOPHASH_VERSION_PATCH 0
// One number for #if: major * 10000 + minor * 100 + patch.
#define TOPHASH_VERSION \
    (TOPHASH_VERSION_MAJOR * 10000 + TOPHASH_VERSION_MINOR * 100 + TOPHASH_VERSION_PATCH)
#define TOPHASH_VERSION_STRING "0.2.0"
