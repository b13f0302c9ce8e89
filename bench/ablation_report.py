#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""Table of scripts/ablation's runs: tophash / absl per workload and build.

    bench/ablation_report.py RUNS_DIR HEADER VARIANT...

RUNS_DIR holds VARIANT.ROUND.json (Google Benchmark JSON of bench_map).
Every figure is a ratio of two maps measured in the same process, so the
machine's drift cancels; the table shows the median over rounds and half
the range (the spread).
"""
import glob
import json
import os
import re
import statistics
import sys

NAMES = {
    "none": "as shipped",
    "epoch": "no epoch announcement",
    "versions": "no chain versions",
    "locks": "no stripe locks",
    "all": "none of the three",
}
# (workload, metric) rows, in report order. Growth rows read the counters.
ROWS = [("find_hit/1024", "ns"), ("find_hit/1048576", "ns"), ("find_hit/8388608", "ns"),
        ("find_miss/1024", "ns"), ("find_miss/1048576", "ns"), ("find_miss/8388608", "ns"),
        ("find_str16/1048576", "ns"), ("churn/1048576", "ns"),
        ("grow/8388608", "ns_per_insert"), ("grow/8388608", "p99_ns"),
        ("grow/8388608", "p99.9_ns")]


def figures(path):
    """{(workload/size, metric): {map: value}} of one run."""
    out = {}
    with open(path) as f:
        for b in json.load(f)["benchmarks"]:
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            parts = b["name"].split("/")
            workload, m, size = parts[0], parts[1], parts[2]
            key = workload + "/" + size
            if workload == "grow":
                for metric in ("ns_per_insert", "p99_ns", "p99.9_ns"):
                    out.setdefault((key, metric), {})[m] = b[metric]
            else:
                out.setdefault((key, "ns"), {})[m] = b["real_time"]
    return out


def fmt(vals):
    if not vals:
        return ""
    med = statistics.median(vals)
    half = (max(vals) - min(vals)) / 2 / med * 100 if len(vals) > 1 else 0
    return f"{med:.2f}" + (f" ±{half:.0f}%" if half >= 1 else "")


def main():
    runs, header, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
    ratios = {}  # (row, variant) -> [ratio per round]
    rounds = set()
    for v in variants:
        for path in sorted(glob.glob(os.path.join(runs, f"{v}.*.json"))):
            rounds.add(re.search(r"\.(\d+)\.json$", path).group(1))
            for row, maps in figures(path).items():
                if "absl" in maps and "tophash" in maps and maps["absl"] > 0:
                    ratios.setdefault((row, v), []).append(maps["tophash"] / maps["absl"])
    print(header)
    print()
    print("tophash / absl::flat_hash_map in the same process (lower is better; "
          "1.00: as fast as absl), uint64 -> uint64 unless the workload says "
          "str16 (16-byte std::string keys). Each column is a build of bench_map "
          "with the named mechanisms removed (concurrency/ablation.hpp); without "
          "them the map is not thread-safe. Median of "
          f"{len(rounds)} rounds, the builds in turns; ±: half the range.")
    print()
    print("| workload | metric | " + " | ".join(NAMES.get(v, v) for v in variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for workload, metric in ROWS:
        cells = [fmt(ratios.get(((workload, metric), v), [])) for v in variants]
        if not any(cells):
            continue
        name, size = workload.split("/")
        n = int(size)
        size_s = f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else size
        print(f"| {name} {size_s} | {metric} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
