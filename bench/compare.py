#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""Compares two benchmark runs of scripts/bench (two commits or two machines).

    bench/compare.py bench/results/A bench/results/B [--floor 0.05] [--floor-concurrent 0.10] [-k 2]

A and B are result prefixes (the path without .map.json / .concurrent.jsonl;
a path to one of those files or to the .md report is accepted too).

For every tophash figure it prints A, B and the change. The noise model:
- Every figure is a median of repetitions; its spread s is half their range
  relative to the median. A change is noise unless it exceeds
  max(floor, k * (s_A + s_B)): wider rows earn wider bands. A run without
  repetitions (s unknown) gets the old fixed bands: 10% single thread, 30%
  concurrent.
- A ratio (tophash / absl single thread, tophash / each concurrent peer)
  cancels the drift the machine applies to every map alike; its spread is the
  sum of both maps'. An absolute figure (ns, Mops/s) is flagged only when its
  ratio to the same row's peer moved beyond noise too: if absl got 20% slower
  alongside tophash, the machine changed, not the code (shown as "drift").
Time-like figures (ns, latency percentiles, bytes) regress when they grow;
throughput (Mops/s) when it shrinks. Growth percentiles and churn windows
take their spreads from the repetitions' counters. Two runs of the same
commit and mode should compare clean (tests/bench/compare_test.py checks the
model on the newest committed report); a --quick run against a full one gets
a note, as its shorter runs see other cache states. The exit status is the
number of regressions (max 100).
"""
import argparse
import json
import os
import re
import statistics
import sys
from collections import defaultdict

import report  # bench/report.py: the same spreads and the same parsing


class figure:
    def __init__(self, value, kind, spread=None, ratio_key=None, concurrent=False):
        self.value = value          # the median
        self.kind = kind            # "time" (lower is better) or "throughput"
        self.spread = spread        # relative half-range of the repetitions, None: unknown
        self.ratio_key = ratio_key  # the figure that tells machine drift from code
        self.concurrent = concurrent


def spread_of(values):
    """report.py's spread, or None (unknown) for a single run."""
    return report.spread(values) if len(values) >= 2 else None


def add_spreads(*s):
    return None if any(x is None for x in s) else sum(s)


UNIT = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def map_figures(prefix):
    path = prefix + ".map.json"
    out = {}
    if not os.path.exists(path):
        return out
    data = json.load(open(path))
    benches = [b for b in data["benchmarks"] if not b.get("error_occurred")]
    reps = defaultdict(list)
    counter_reps = defaultdict(lambda: defaultdict(list))  # growth percentiles, churn windows
    for b in benches:
        if b.get("run_type") == "iteration":
            name = b.get("run_name", b["name"])
            reps[name].append(b["real_time"] * UNIT[b["time_unit"]])
            for key, value in b.items():
                if isinstance(value, (int, float)) and (key.endswith("_ns") or key in (
                        "ns_per_insert", "slowest_over_fastest")):
                    counter_reps[name][key].append(value)
    by = {}
    medians = [b for b in benches if b.get("aggregate_name") == "median"]
    for b in medians or [b for b in benches if b.get("run_type") != "aggregate"]:
        by[b.get("run_name", b["name"]) if medians else b["name"]] = b
    for name, b in by.items():
        parts = name.split("/")
        if len(parts) < 3 or parts[1] != "tophash":
            continue
        workload, arg = parts[0], parts[2]
        t = b["real_time"] * UNIT[b["time_unit"]]
        absl_name = name.replace("/tophash/", "/absl/")
        absl = by.get(absl_name)
        if workload == "grow":  # spreads from the repetitions' counters
            for key in ("ns_per_insert", "p99_ns", "p99.9_ns", "p99.99_ns", "p99.999_ns", "max_ns"):
                if key in b:
                    rk = f"grow/{arg} {key} vs absl" if absl and key in absl else None
                    st = spread_of(counter_reps[name][key])
                    out[f"grow/{arg} {key}"] = figure(b[key], "time", st, rk)
                    if rk:
                        sa = spread_of(counter_reps[absl_name][key])
                        out[rk] = figure(b[key] / absl[key], "time", add_spreads(st, sa))
        elif workload == "memory":  # deterministic
            out[f"memory/{arg} bytes/element"] = figure(b["bytes_per_element"], "time", 0.0)
        elif workload == "churn_windows":
            out[f"churn_windows/{arg} slowest/fastest"] = figure(
                b["slowest_over_fastest"], "time",
                spread_of(counter_reps[name]["slowest_over_fastest"]))
        else:
            s = spread_of(reps.get(name, []))
            rk = f"{workload}/{arg} vs absl" if absl else None
            out[f"{workload}/{arg} ns"] = figure(t, "time", s, rk)
            if absl:
                sa = spread_of(reps.get(absl_name, []))
                out[rk] = figure(t / (absl["real_time"] * UNIT[absl["time_unit"]]), "time",
                                 add_spreads(s, sa))
    # Repetitions run in random order, so the file's order is arbitrary:
    # sort by workload, then size numerically.
    def natural(key):
        return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", key)]
    return dict(sorted(out.items(), key=lambda kv: natural(kv[0])))


# The peers whose ratio is compared: the strongest first. A concurrent
# absolute figure counts as drift unless its ratio to the first peer present
# moved too.
CONCURRENT_PEERS = [("boost::concurrent_flat_map", "boost"), ("tbb::concurrent_hash_map", "tbb")]


def concurrent_figures(prefix):
    path = prefix + ".concurrent.jsonl"
    out = {}
    if not os.path.exists(path):
        return out
    _, cells = report.concurrent_runs(path)
    for (hash_mode, workload, threads), row in cells.items():
        if "tophash" not in row:
            continue
        mode = " same-hash" if hash_mode == "same" else ""
        name = f"{workload} x{threads}{mode}"
        t = row["tophash"]
        st = spread_of(t)
        ratio_key = None
        for peer, short in CONCURRENT_PEERS:
            if peer in row:
                key = f"{name} vs {short}"
                ratio_key = ratio_key or key
                out[key] = figure(statistics.median(t) / statistics.median(row[peer]),
                                  "throughput", add_spreads(st, spread_of(row[peer])), concurrent=True)
        out[f"{name} Mops/s"] = figure(statistics.median(t), "throughput", st, ratio_key,
                                       concurrent=True)
    return out


def prefix_of(path):
    for suffix in (".map.json", ".concurrent.jsonl", ".group.json", ".md"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def is_quick(path):
    """Whether the report says it came from scripts/bench --quick."""
    try:
        with open(prefix_of(path) + ".md") as f:
            return any(line.startswith("- command:") and "--quick" in line for line in f)
    except OSError:
        return prefix_of(path).endswith("-quick")


def figures(path):
    prefix = prefix_of(path)
    out = {**map_figures(prefix), **concurrent_figures(prefix)}
    if not out:
        sys.exit(f"compare.py: no results at {prefix}.map.json or {prefix}.concurrent.jsonl")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="result prefix of the first run")
    parser.add_argument("b", help="result prefix of the second run")
    # Calibration, two --quick runs of the same code on the 2-core AMD VM:
    # absolute medians moved by up to 26% (single thread) and 135%
    # (concurrent) with the peers alongside; ratios moved by at most 1.32x
    # the sum of their two spreads (50/25/25 zipf, 2 threads: 49% against
    # 37.5%), single-thread ratios by at most 0.66x. k = 2 leaves a margin;
    # the floors cover rows whose repetitions happened to agree.
    parser.add_argument("--floor", type=float, default=0.05,
                        help="smallest band, single thread (default 5%%)")
    parser.add_argument("--floor-concurrent", type=float, default=0.10,
                        help="smallest band, concurrent (default 10%%)")
    parser.add_argument("-k", type=float, default=2.0,
                        help="band = k * (spread A + spread B) when wider than the floor")
    args = parser.parse_args()
    a, b = figures(args.a), figures(args.b)
    if is_quick(args.a) != is_quick(args.b):
        # Quick runs time each benchmark for a quarter of the time over the
        # same probe arrays, so rows near the cache's size see another mix of
        # warm and cold lines: a full report against a --quick run of the same
        # commit flagged find_miss_samehash at 2^20 (absl 14.5 -> 7.7 ns).
        print("note: one run is --quick and the other is not: rows at 2^20 may differ "
              "by mode, not code; compare runs of the same mode\n")

    def band(fa, fb):
        s = add_spreads(fa.spread, fb.spread)
        if s is None:  # no repetitions: the fixed bands of single runs
            return 0.30 if fa.concurrent else 0.10
        return max(args.floor_concurrent if fa.concurrent else args.floor, args.k * s)

    def change(fa, fb):
        return (fb.value - fa.value) / fa.value if fa.value else 0.0

    def beyond(key):
        """-1 worse, +1 better, 0 within noise."""
        fa, fb = a[key], b[key]
        c, n = change(fa, fb), band(fa, fb)
        if fa.kind == "throughput":
            c = -c
        return -1 if c > n else (1 if c < -n else 0)

    regressions = 0
    print(f"{'figure':52} {'A':>11} {'B':>11} {'change':>8} {'noise':>7}")
    for key, fa in a.items():
        if key not in b:
            continue
        fb = b[key]
        verdict = beyond(key)
        flag = ""
        if verdict and fa.ratio_key and fa.ratio_key in a and fa.ratio_key in b \
                and beyond(fa.ratio_key) != verdict:
            flag = "drift (the peer moved too)"
        elif verdict < 0:
            flag = "REGRESSION"
            regressions += 1
        elif verdict > 0:
            flag = "improvement"
        print(f"{key:52} {fa.value:11.4g} {fb.value:11.4g} {change(fa, fb):+8.1%} "
              f"{band(fa, fb):7.1%} {flag}")
    print(f"\n{regressions} regression(s) beyond noise (band: max(floor {args.floor:.0%} single "
          f"thread / {args.floor_concurrent:.0%} concurrent, {args.k:g} x the two runs' spreads))")
    sys.exit(min(regressions, 100))


if __name__ == "__main__":
    main()
