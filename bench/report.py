#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""Turns Google Benchmark JSON from bench_group and bench_map into a markdown
report with every tophash figure as a ratio to absl::flat_hash_map."""
import json
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        return json.load(f)


def rows(data):
    """Plain runs, or with --benchmark_repetitions the median of each."""
    benches = [b for b in data["benchmarks"] if not b.get("error_occurred")]
    medians = [b for b in benches if b.get("aggregate_name") == "median"]
    if not medians:
        yield from (b for b in benches if b.get("run_type") != "aggregate")
        return
    for b in medians:
        b = dict(b)
        b["name"] = b["run_name"]
        yield b


def ns(b):
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["real_time"] * unit


def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def concurrent_table(table, maps, hash_mode):
    """Rows of one hash mode: Mops/s per map, then tophash as a multiple of each peer."""
    peers = [m for m in maps if m != "tophash"]
    out = ["| workload | threads | " + " | ".join(maps) + " | " +
           " | ".join(f"tophash / {p}" for p in peers) + " |",
           "|---|---|" + "---|" * (len(maps) + len(peers))]
    for (mode, workload, threads), row in table.items():
        if mode != hash_mode:
            continue
        cells = [f"{row[m]:.1f}" if m in row else "n/a" for m in maps]
        ratios = [f"{row['tophash'] / row[p]:.2f}x" if "tophash" in row and p in row else ""
                  for p in peers]
        out.append(f"| {workload} | {threads} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return out


def concurrent_section(path, scaling_data=None):
    """Markdown for bench_concurrent's JSON lines: Mops/s per map and thread
    count, with tophash's throughput as a multiple of each peer's."""
    runs = [json.loads(line) for line in open(path) if line.startswith("{")]
    if not runs:
        return []
    maps = []
    for r in runs:
        if r["map"] not in maps:
            maps.append(r["map"])
    cores = runs[0]["cores"]
    table = defaultdict(dict)
    for r in runs:
        table[(r.get("hash", "default"), r["workload"], r["threads"])][r["map"]] = r["mops"]
    out = ["", f"## Concurrent workloads (Mops/s, higher is better; this machine has {cores} cores)", "",
           "Keys uint64. Mixes: find/insert/erase percentages over 2^20 keys, half present at the "
           "start. parallel_load: Boost's benchmark (empty map, 10*N ops: 10% insert-or-increment, "
           "45% lookups of Zipf keys in [1,N], 45% in [N+1,2N]). Thread counts above the core "
           "count are oversubscribed. n/a: tbb::concurrent_unordered_map has no concurrent erase, "
           "so it runs parallel_load only. Each cell is a single run, the maps of one workload "
           "back to back: on a shared 2-core VM two reports of the same code differed by up to 2x "
           "in a tophash/peer ratio (most cells within 25%), so read single cells with care.", "",
           "### Each map with its default hasher", ""]
    out += concurrent_table(table, maps, "default")
    if any(mode == "same" for (mode, _, _) in table):
        out += ["", "### Same hash for every map (absl::Hash, declared avalanching so no map "
                "re-mixes it)", ""]
        out += concurrent_table(table, maps, "same")
    out += ["", "Boost's published parallel_load ratio for boost::concurrent_flat_map over "
            "tbb::concurrent_hash_map (N=5M, skew 0.5, GCC 12 x64): 3.4x at 1 thread, 2.9x at 8 threads."]
    if scaling_data:
        # Columns in plot_scaling.gp's order: the maps that run the mixes.
        mix_maps = [m for m in maps if any(m in row for (mode, w, _), row in table.items()
                                           if w == "90/5/5 uniform" and mode == "default")]
        with open(scaling_data, "w") as f:
            for workload in ("90/5/5 uniform", "50/25/25 uniform"):
                f.write(f'# {workload}\n')
                threads = sorted({t for (mode, w, t) in table if w == workload and mode == "default"})
                for t in threads:
                    f.write(f"{t} " + " ".join(str(table[("default", workload, t)].get(m, 0))
                                               for m in mix_maps) + "\n")
                f.write("\n\n")
    return out


PEERS = ("absl", "boost_flat", "tophash")
PERCENTILES = ["p50_ns", "p99_ns", "p99.9_ns", "p99.99_ns", "p99.999_ns", "max_ns"]


def size_label(arg):
    n = int(arg)
    return f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else arg


# Row order of the single-thread tables; benchmarks run interleaved at random,
# so the JSON order means nothing.
WORKLOAD_ORDER = ["find_hit", "find_miss", "find_bulk", "find_hit_node", "find_str16", "find_str48", "churn",
                  "iterate10k", "iterate10k_90pct_erased"]


def row_key(item):
    (workload, arg), _ = item
    base = workload.replace("_samehash", "")
    rank = WORKLOAD_ORDER.index(base) if base in WORKLOAD_ORDER else len(WORKLOAD_ORDER)
    return (rank, base, int(arg) if arg.isdigit() else 0)


def time_table(by, ratios, same_hash):
    """Single-thread time rows: each map's ns/op and its ratio to absl."""
    out = ["| workload | elements | absl ns/op | boost_flat ns/op | boost_flat / absl | "
           "tophash ns/op | tophash / absl |", "|---|---|---|---|---|---|---|"]
    special = ("grow", "churn_windows", "memory")
    for (workload, arg), impls in sorted(by.items(), key=row_key):
        if workload in special or workload.endswith("_samehash") != same_hash:
            continue
        if "absl" not in impls or "tophash" not in impls:
            continue
        a, t = ns(impls["absl"]), ns(impls["tophash"])
        b = ns(impls["boost_flat"]) if "boost_flat" in impls else None
        name = workload.replace("_samehash", "")
        if not same_hash:
            ratios.append((f"{name} {size_label(arg)}", t / a))
        bcells = f"{fmt(b)} | {b / a:.2f}" if b else " | "
        out.append(f"| {name} | {size_label(arg)} | {fmt(a)} | {bcells} | {fmt(t)} | {t / a:.2f} |")
    return out


def main(group_json, map_json, header, prefix=None, concurrent_json=None):
    """prefix: where to write the plot data files (.ratios, .scaling,
    .growth, .churn)."""
    out = [header, ""]
    ratios = []
    g = load(group_json)
    out += ["## Tag-group matching (ns per 16-tag match, L1-resident)", "",
            "| backend | ns/match | vs sse2 |", "|---|---|---|"]
    per = {}
    for b in rows(g):
        name = b["name"]
        items = b.get("items_per_second")
        per[name] = 1e9 / items if items else ns(b)
    base = per.get("match16/sse2")
    for name, v in per.items():
        out.append(f"| {name} | {v:.2f} | {v / base:.2f}x |" if base else f"| {name} | {v:.2f} | |")
    out.append("")

    m = load(map_json)
    by = defaultdict(dict)  # (workload, arg) -> impl -> bench
    for b in rows(m):
        parts = b["name"].split("/")
        workload, impl, arg = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        by[(workload, arg)][impl] = b
    out += ["## Single thread (ratio < 1: faster than absl)", "",
            "uint64 -> uint64 unless the workload says str16/str48 (std::string keys of 16/48 "
            "bytes); boost_flat is boost::unordered_flat_map (Boost 1.81). Each map with its "
            "default hasher: absl::Hash, boost::hash, tophash's std::hash post-mixed.", ""]
    out += time_table(by, ratios, same_hash=False)
    if any(w.endswith("_samehash") for (w, _) in by):
        out += ["", "### Same hash for every map", "",
                "All three maps hash with absl::Hash, declared avalanching so that neither Boost "
                "nor tophash mixes it again: what differs is the table.", ""]
        out += time_table(by, [], same_hash=True)
    mem = sorted(((k, v) for k, v in by.items() if k[0] == "memory"), key=row_key)
    if mem:
        out += ["", "## Memory (allocator accounting, after n inserts without reserve)", "",
                "| elements | absl B/element | boost_flat B/element | tophash B/element | "
                "tophash / absl | empty map: absl | boost_flat | tophash |",
                "|---|---|---|---|---|---|---|---|"]
        for (workload, arg), impls in mem:
            if "absl" in impls and "tophash" in impls:
                a, t = impls["absl"], impls["tophash"]
                b = impls.get("boost_flat", {})
                bpe = f"{b['bytes_per_element']:.1f}" if b else ""
                bempty = f"{b['empty_map_bytes']:.0f} B" if b else ""
                out.append(f"| {size_label(arg)} | {a['bytes_per_element']:.1f} | {bpe} | "
                           f"{t['bytes_per_element']:.1f} | "
                           f"{t['bytes_per_element'] / a['bytes_per_element']:.2f} | "
                           f"{a['empty_map_bytes']:.0f} B | {bempty} | {t['empty_map_bytes']:.0f} B |")
    win = [(k, v) for k, v in by.items() if k[0] == "churn_windows"]
    if win:
        out += ["", "## Churn over time (ns per erase+insert pair, successive windows of 2M pairs, "
                "steady size 2^20)", ""]
        for (workload, arg), impls in win:
            keys = sorted((k for k in impls.get("tophash", {}) if k.startswith("w") and k[1:].isdigit()),
                          key=lambda k: int(k[1:]))
            out += ["| map | " + " | ".join(keys) + " | slowest / fastest |",
                    "|---|" + "---|" * (len(keys) + 1)]
            present = [impl for impl in PEERS if impl in impls]
            for impl in present:
                b = impls[impl]
                out.append(f"| {impl} | " + " | ".join(f"{b[k]:.0f}" for k in keys) +
                           f" | {b['slowest_over_fastest']:.2f} |")
            if prefix:
                with open(prefix + ".churn", "w") as f:
                    f.write("# window " + " ".join(present) + "\n")
                    for i, k in enumerate(keys):
                        f.write(f"{i} " + " ".join(f"{impls[impl][k]:.1f}" for impl in present) + "\n")
    grow = [(k, v) for k, v in by.items() if k[0] == "grow"]
    if grow:
        out += ["", "## Growth: inserting into an empty map without reserve", "",
                "Latency of single inserts, measured one by one (clock reads included).", "",
                "| elements | metric | absl | boost_flat | tophash | tophash / absl |",
                "|---|---|---|---|---|---|"]
        for (workload, arg), impls in grow:
            if "absl" not in impls or "tophash" not in impls:
                continue
            a, t, b = impls["absl"], impls["tophash"], impls.get("boost_flat", {})
            for key in ["ns_per_insert"] + PERCENTILES:
                if key in a and key in t:
                    bcell = fmt(b[key]) if key in b else ""
                    out.append(f"| {size_label(arg)} | {key} | {fmt(a[key])} | {bcell} | "
                               f"{fmt(t[key])} | {t[key] / a[key]:.3f} |")
                    if key in ("ns_per_insert", "max_ns"):
                        ratios.append((f"grow {key.replace('_ns', '').replace('ns_per_', '')}",
                                       t[key] / a[key]))
            if prefix:
                present = [impl for impl in PEERS if impl in impls]
                with open(prefix + ".growth", "w") as f:
                    f.write("# percentile " + " ".join(present) + "\n")
                    for key in PERCENTILES:
                        label = key.replace("_ns", "")
                        f.write(f'"{label}" ' + " ".join(f"{impls[i].get(key, 0):.0f}" for i in present) + "\n")
    if concurrent_json:
        out += concurrent_section(concurrent_json, prefix + ".scaling" if prefix else None)
    print("\n".join(out))
    if prefix:
        with open(prefix + ".ratios", "w") as f:
            for label, r in ratios:
                f.write(f'"{label}" {r:.4f}\n')


if __name__ == "__main__":
    a = sys.argv + [None] * 5
    main(a[1], a[2], a[3] or "# tophash benchmarks", a[4], a[5])
