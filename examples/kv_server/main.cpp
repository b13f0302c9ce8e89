// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// kv_server: a Redis-protocol key-value server on a tophash map.
//   kv_server --port PORT [--threads N] [--store tophash|tophash-node|absl|tbb|boost]
//   kv_server --stores   (prints the stores this build has)
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "server.hpp"
#include "store.hpp"

namespace {

int usage() {
    std::fprintf(
        stderr,
        "usage: kv_server --port PORT [--threads N] [--store tophash|tophash-node|absl|tbb|boost]\n"
        "  listens on 127.0.0.1:PORT (0: any free port); N workers (default: cores)\n");
    return 2;
}

bool parse_unsigned(const char* s, unsigned max, unsigned& v) {
    char* end = nullptr;
    errno = 0;
    const unsigned long x = std::strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || x > max || s[0] == '-') return false;
    v = static_cast<unsigned>(x);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    kv::server_options opt;
    std::string store_name = "tophash";
    bool have_port = false;
    if (argc == 2 && std::string(argv[1]) == "--stores") {
        // The stores this build has, for scripts.
        std::printf("tophash tophash-node%s%s%s\n", kv::make_absl_store() ? " absl" : "",
                    kv::make_tbb_store() ? " tbb" : "", kv::make_boost_store() ? " boost" : "");
        return 0;
    }
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--port") {
            if (!parse_unsigned(v, 65535, opt.port)) return usage();
            have_port = true;
        } else if (a == "--threads") {
            if (!parse_unsigned(v, 1024, opt.threads) || opt.threads == 0) return usage();
        } else if (a == "--store") {
            store_name = v;
        } else {
            return usage();
        }
    }
    if (!have_port) return usage();
    std::unique_ptr<kv::store> db;
    if (store_name == "tophash") {
        db = kv::make_tophash_store();
    } else if (store_name == "tophash-node") {
        db = kv::make_tophash_node_store();
    } else if (store_name == "absl") {
        db = kv::make_absl_store();
    } else if (store_name == "tbb") {
        db = kv::make_tbb_store();
    } else if (store_name == "boost") {
        db = kv::make_boost_store();
    } else {
        return usage();
    }
    if (db == nullptr) {
        std::fprintf(stderr, "kv_server: this build has no '%s' store\n", store_name.c_str());
        return 2;
    }
    return kv::run_server(opt, *db);
}
