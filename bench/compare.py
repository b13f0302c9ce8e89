#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""Compares two benchmark runs of scripts/bench (two commits or two machines).

    bench/compare.py bench/results/A bench/results/B [--noise 0.10] [--noise-concurrent 0.30]

A and B are result prefixes (the path without .map.json / .concurrent.jsonl;
a path to one of those files or to the .md report is accepted too).
Prints, per workload, tophash's figure in A and B and the change; a change
beyond the noise threshold is flagged as REGRESSION or improvement. Time-like
figures (ns, latency percentiles) regress when they grow; throughput (Mops/s)
when it shrinks. The ratios to absl (single thread) and to
tbb::concurrent_hash_map (concurrent) are compared too: absolute figures on a
shared machine drift together, and the ratios less.
"""
import argparse
import json
import os
import re
import sys


def map_figures(prefix):
    path = prefix + ".map.json"
    out = {}
    if not os.path.exists(path):
        return out
    data = json.load(open(path))
    by = {}
    benches = [b for b in data["benchmarks"] if not b.get("error_occurred")]
    medians = [b for b in benches if b.get("aggregate_name") == "median"]
    for b in medians or [b for b in benches if b.get("run_type") != "aggregate"]:
        by[b.get("run_name", b["name"]) if medians else b["name"]] = b
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    for name, b in by.items():
        parts = name.split("/")
        if len(parts) < 3 or parts[1] != "tophash":
            continue
        workload, arg = parts[0], parts[2]
        t = b["real_time"] * unit[b["time_unit"]]
        absl = by.get(name.replace("/tophash/", "/absl/"))
        if workload == "grow":
            for key in ("ns_per_insert", "p99_ns", "p99.9_ns", "p99.99_ns", "p99.999_ns",
                        "max_ns"):
                if key in b:
                    out[f"grow/{arg} {key}"] = (b[key], "time")
                    if absl and key in absl:
                        out[f"grow/{arg} {key} vs absl"] = (b[key] / absl[key], "time")
        elif workload == "memory":  # lower is better, like a time
            out[f"memory/{arg} bytes/element"] = (b["bytes_per_element"], "time")
        elif workload == "churn_windows":
            out[f"churn_windows/{arg} slowest/fastest"] = (b["slowest_over_fastest"], "time")
        else:
            out[f"{workload}/{arg} ns"] = (t, "time")
            if absl:
                out[f"{workload}/{arg} vs absl"] = (t / (absl["real_time"] * unit[absl["time_unit"]]), "time")
    # Repetitions run in random order, so the file's order is arbitrary:
    # sort by workload, then size numerically.
    def natural(key):
        return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", key)]
    return dict(sorted(out.items(), key=lambda kv: natural(kv[0])))


def concurrent_figures(prefix):
    path = prefix + ".concurrent.jsonl"
    out = {}
    if not os.path.exists(path):
        return out
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    tbb = {(r["workload"], r["threads"], r.get("hash")): r["mops"] for r in rows
           if r["map"] == "tbb::concurrent_hash_map"}
    for r in rows:
        if r["map"] == "tophash":
            mode = " same-hash" if r.get("hash") == "same" else ""
            name = f"{r['workload']} x{r['threads']}{mode}"
            out[f"{name} Mops/s"] = (r["mops"], "throughput")
            # Runs of one workload are back to back: the ratio to a peer
            # cancels much of the machine's drift between two reports.
            peer = tbb.get((r["workload"], r["threads"], r.get("hash")))
            if peer:
                out[f"{name} vs tbb"] = (r["mops"] / peer, "throughput")
    return out


def prefix_of(path):
    for suffix in (".map.json", ".concurrent.jsonl", ".group.json", ".md"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


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
    parser.add_argument("--noise", type=float, default=0.10,
                        help="relative change treated as noise (single thread: medians of 3)")
    # Concurrent cells are single runs: two reports of the same code on the
    # 2-core VM differed by up to 2x in tophash/tbb ratios (most within 25%).
    parser.add_argument("--noise-concurrent", type=float, default=0.30,
                        help="relative change treated as noise (concurrent: single runs)")
    args = parser.parse_args()
    a, b = figures(args.a), figures(args.b)
    regressions = 0
    print(f"{'figure':48} {'A':>14} {'B':>14} {'change':>8}")
    for key in a:
        if key not in b:
            continue
        (va, kind), (vb, _) = a[key], b[key]
        change = (vb - va) / va if va else 0.0
        noise = args.noise if kind == "time" else args.noise_concurrent
        worse = change > noise if kind == "time" else change < -noise
        better = change < -noise if kind == "time" else change > noise
        flag = "REGRESSION" if worse else ("improvement" if better else "")
        regressions += worse
        print(f"{key:48} {va:14.4g} {vb:14.4g} {change:+8.1%} {flag}")
    print(f"\n{regressions} regression(s) beyond {args.noise:.0%} (single thread) / "
          f"{args.noise_concurrent:.0%} (concurrent)")


if __name__ == "__main__":
    main()
