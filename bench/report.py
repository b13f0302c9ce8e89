#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""Turns Google Benchmark JSON from bench_group and bench_map, and
bench_concurrent's JSON lines, into a markdown report with every tophash
figure as a ratio to absl::flat_hash_map and to boost::concurrent_flat_map
(when the run had it). Figures are medians of the repetitions; "±x%" is half
their range relative to the median."""
import json
import statistics
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        return json.load(f)


def spread(values):
    """Half the range of the repetitions, relative to their median (0 for one run)."""
    if len(values) < 2:
        return 0.0
    m = statistics.median(values)
    return (max(values) - min(values)) / 2 / m if m else 0.0


def rows(data):
    """Plain runs, or with --benchmark_repetitions the median of each, with
    "spread" set from the repetitions' real times."""
    benches = [b for b in data["benchmarks"] if not b.get("error_occurred")]
    medians = [b for b in benches if b.get("aggregate_name") == "median"]
    if not medians:
        yield from (b for b in benches if b.get("run_type") != "aggregate")
        return
    reps = defaultdict(list)
    for b in benches:
        if b.get("run_type") == "iteration":
            reps[b.get("run_name", b["name"])].append(b["real_time"])
    for b in medians:
        b = dict(b)
        b["name"] = b["run_name"]
        b["spread"] = spread(reps.get(b["name"], []))
        yield b


def pm(x):
    """A spread as a cell suffix."""
    return f" ±{x:.0%}" if x >= 0.005 else ""


def ns(b):
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["real_time"] * unit


def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


BOOST_CFM = "boost::concurrent_flat_map"


def short(m):
    return "boost_cfm" if m == BOOST_CFM else m


def concurrent_table(table, maps, hash_mode, select=lambda workload: True):
    """Rows of one hash mode: median Mops/s per map (± half the range of its
    runs), then tophash as a multiple of each peer's median."""
    peers = [m for m in maps if m != "tophash"]
    out = ["| workload | threads | " + " | ".join(maps) + " | " +
           " | ".join(f"tophash / {short(p)}" for p in peers) + " |",
           "|---|---|" + "---|" * (len(maps) + len(peers))]
    for (mode, workload, threads), row in table.items():
        if mode != hash_mode or not select(workload):
            continue
        med = {m: statistics.median(v) for m, v in row.items()}
        cells = [f"{med[m]:.1f}{pm(spread(row[m]))}" if m in row else "n/a" for m in maps]
        ratios = [f"{med['tophash'] / med[p]:.2f}x" if "tophash" in med and p in med else ""
                  for p in peers]
        out.append(f"| {workload} | {threads} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return out


def concurrent_runs(path):
    """(hash mode, workload, threads) -> map -> [Mops/s of each run]."""
    table = defaultdict(lambda: defaultdict(list))
    runs = [json.loads(line) for line in open(path) if line.startswith("{")]
    for r in runs:
        table[(r.get("hash", "default"), r["workload"], r["threads"])][r["map"]].append(r["mops"])
    return runs, table


def concurrent_section(path, scaling_data=None):
    """Markdown for bench_concurrent's JSON lines: Mops/s per map and thread
    count, with tophash's throughput as a multiple of each peer's."""
    runs, table = concurrent_runs(path)
    if not runs:
        return []
    maps = []
    for r in runs:
        if r["map"] not in maps:
            maps.append(r["map"])
    cores = runs[0]["cores"]
    reps = max(len(v) for row in table.values() for v in row.values())
    boost_note = ("" if BOOST_CFM in maps else
                  " boost::concurrent_flat_map is absent from this run: no Boost >= 1.83 headers "
                  "were found (README, \"Benchmarks\", says how to give them).")
    out = ["", f"## Concurrent workloads (Mops/s, higher is better; this machine has {cores} cores)", "",
           "Keys uint64 -> uint64 unless the workload says str24->64B (24-byte std::string keys, "
           "64-byte struct values: tophash reads those under its stripe's shared lock). "
           "Mixes: find/insert/erase percentages over 2^20 keys, half present at the "
           "start. parallel_load: Boost's benchmark (empty map, 10*N ops: 10% insert-or-increment, "
           "45% lookups of Zipf keys in [1,N], 45% in [N+1,2N]). Thread counts above the core "
           "count are oversubscribed. n/a: tbb::concurrent_unordered_map has no concurrent erase, "
           "so it runs parallel_load only. absl+mutex is absl::flat_hash_map behind one std::mutex "
           "(a std::shared_mutex swung from 1 to 19 Mops/s at 2 threads within one run on these "
           f"VMs, so it was replaced). Each cell is the median of {reps} runs, the maps of one "
           "workload taking turns; ±: half the range of the runs." + boost_note, "",
           "### Each map with its default hasher", ""]
    out += concurrent_table(table, maps, "default")
    if any(mode == "same" for (mode, _, _) in table):
        out += ["", "### Same hash for every map (absl::Hash, declared avalanching so no map "
                "re-mixes it)", ""]
        out += concurrent_table(table, maps, "same")
    out += ["", "Boost's published parallel_load ratio for boost::concurrent_flat_map over "
            "tbb::concurrent_hash_map (N=5M, skew 0.5, GCC 12 x64): 3.4x at 1 thread, 2.9x at 8 threads."]
    if scaling_data:
        # Columns in plot_scaling.gp's order: each map's median (0 where a
        # map is absent), then each one's half range of the runs (error bars).
        order = ["tophash", BOOST_CFM, "tbb::concurrent_hash_map", "libcuckoo", "absl+mutex"]
        with open(scaling_data, "w") as f:
            for workload in ("90/5/5 uniform", "50/25/25 uniform"):
                f.write(f'# {workload}\n')
                threads = sorted({t for (mode, w, t) in table if w == workload and mode == "default"})
                for t in threads:
                    row = table[("default", workload, t)]
                    medians = [statistics.median(row[m]) if m in row else 0 for m in order]
                    halves = [(max(row[m]) - min(row[m])) / 2 if m in row else 0 for m in order]
                    f.write(f"{t} " + " ".join(str(x) for x in medians + halves) + "\n")
                f.write("\n\n")
    return out


PEERS = ("absl", "boost_flat", "boost_concurrent", "tophash")
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


def time_table(by, ratios, same_hash, peers):
    """Single-thread time rows: each map's ns/op (median ± spread of the
    repetitions), tophash's ratio to absl and to boost::concurrent_flat_map."""
    others = [p for p in peers if p != "tophash"]
    has_cfm = "boost_concurrent" in peers
    out = ["| workload | elements | " + " | ".join(f"{p} ns/op" for p in others) +
           " | tophash ns/op | tophash / absl |" + (" tophash / boost_concurrent |" if has_cfm else ""),
           "|---|---|" + "---|" * (len(others) + 2 + has_cfm)]
    special = ("grow", "churn_windows", "memory")
    for (workload, arg), impls in sorted(by.items(), key=row_key):
        if workload in special or workload.endswith("_samehash") != same_hash:
            continue
        if "absl" not in impls or "tophash" not in impls:
            continue
        a, t = ns(impls["absl"]), ns(impls["tophash"])
        c = ns(impls["boost_concurrent"]) if "boost_concurrent" in impls else None
        name = workload.replace("_samehash", "")
        if not same_hash:
            # Error bars: a ratio's relative spread is the sum of its two
            # figures' (as compare.py's noise model).
            st, sa = impls["tophash"].get("spread", 0), impls["absl"].get("spread", 0)
            sc = impls["boost_concurrent"].get("spread", 0) if c else 0
            ratios.append((f"{name} {size_label(arg)}", t / a, t / c if c else 0,
                           t / a * (st + sa), t / c * (st + sc) if c else 0))
        cells = [f"{fmt(ns(impls[p]))}{pm(impls[p].get('spread', 0))}" if p in impls else ""
                 for p in others]
        row = (f"| {name} | {size_label(arg)} | " + " | ".join(cells) +
               f" | {fmt(t)}{pm(impls['tophash'].get('spread', 0))} | {t / a:.2f} |")
        if has_cfm:
            row += f" {t / c:.2f} |" if c else " |"
        out.append(row)
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
    ctx = m.get("context", {})
    by = defaultdict(dict)  # (workload, arg) -> impl -> bench
    for b in rows(m):
        parts = b["name"].split("/")
        workload, impl, arg = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        by[(workload, arg)][impl] = b
    peers = [p for p in PEERS if any(p in impls for impls in by.values())]
    boost = ctx.get("boost_version", "?").replace("_", ".")
    if "boost_concurrent" in peers:
        boost_note = (f"boost_flat is boost::unordered_flat_map and boost_concurrent "
                      f"boost::concurrent_flat_map, both Boost {boost}.")
    else:
        boost_note = (f"boost_flat is boost::unordered_flat_map (Boost {boost}). "
                      "**boost::concurrent_flat_map is absent from this run**: no Boost >= 1.83 "
                      "headers were found (README, \"Benchmarks\", says how to give them).")
    out += ["## Single thread (ratio < 1: faster than absl)", "",
            "uint64 -> uint64 unless the workload says str16/str48 (std::string keys of 16/48 "
            f"bytes). {boost_note} Each map with its default hasher: absl::Hash, boost::hash, "
            "tophash's std::hash post-mixed. Medians of the repetitions; ±: half their range.", ""]
    out += time_table(by, ratios, same_hash=False, peers=peers)
    if any(w.endswith("_samehash") for (w, _) in by):
        out += ["", "### Same hash for every map", "",
                "Every map hashes with absl::Hash, declared avalanching so that neither Boost "
                "nor tophash mixes it again: what differs is the table.", ""]
        out += time_table(by, [], same_hash=True, peers=peers)
    mem = sorted(((k, v) for k, v in by.items() if k[0] == "memory"), key=row_key)
    if mem:
        out += ["", "## Memory (allocator accounting, after n inserts without reserve)", "",
                "| elements | " + " | ".join(f"{p} B/element" for p in peers) +
                " | tophash / absl | " + " | ".join(f"empty {p}" for p in peers) + " |",
                "|---|" + "---|" * (2 * len(peers) + 1)]
        for (workload, arg), impls in mem:
            if "absl" in impls and "tophash" in impls:
                a, t = impls["absl"], impls["tophash"]
                bpe = [f"{impls[p]['bytes_per_element']:.1f}" if p in impls else "" for p in peers]
                empty = [f"{impls[p]['empty_map_bytes']:.0f} B" if p in impls else "" for p in peers]
                out.append(f"| {size_label(arg)} | " + " | ".join(bpe) +
                           f" | {t['bytes_per_element'] / a['bytes_per_element']:.2f} | " +
                           " | ".join(empty) + " |")
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
                "| elements | metric | " + " | ".join(peers) + " | tophash / absl |" +
                (" tophash / boost_concurrent |" if "boost_concurrent" in peers else ""),
                "|---|---|" + "---|" * (len(peers) + 1 + ("boost_concurrent" in peers))]
        for (workload, arg), impls in grow:
            if "absl" not in impls or "tophash" not in impls:
                continue
            a, t, c = impls["absl"], impls["tophash"], impls.get("boost_concurrent")
            for key in ["ns_per_insert"] + PERCENTILES:
                if key in a and key in t:
                    cells = [fmt(impls[p][key]) if p in impls and key in impls[p] else "" for p in peers]
                    row = f"| {size_label(arg)} | {key} | " + " | ".join(cells) + f" | {t[key] / a[key]:.3f} |"
                    if "boost_concurrent" in peers:
                        row += f" {t[key] / c[key]:.3f} |" if c and key in c else " |"
                    out.append(row)
                    if key in ("ns_per_insert", "p99_ns", "p99.9_ns"):
                        ratios.append((f"grow {key.replace('_ns', '').replace('ns_per_', '')}",
                                       t[key] / a[key], t[key] / c[key] if c and key in c else 0,
                                       0, 0))
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
            for label, r, rc, er, erc in ratios:
                f.write(f'"{label}" {r:.4f} {rc:.4f} {er:.4f} {erc:.4f}\n')


if __name__ == "__main__":
    a = sys.argv + [None] * 5
    main(a[1], a[2], a[3] or "# tophash benchmarks", a[4], a[5])
