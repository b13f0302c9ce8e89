#!/usr/bin/env python3
"""Turns Google Benchmark JSON from bench_group and bench_map into a markdown
report with every tophash figure as a ratio to absl::flat_hash_map."""
import json
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        return json.load(f)


def rows(data):
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        yield b


def ns(b):
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["real_time"] * unit


def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def main(group_json, map_json, header, plot_data=None):
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
    out += ["## Single thread, uint64 -> uint64 (ratio < 1: tophash faster)", "",
            "| workload | elements | absl ns/op | tophash ns/op | tophash / absl |",
            "|---|---|---|---|---|"]
    for (workload, arg), impls in by.items():
        if workload == "grow" or "absl" not in impls or "tophash" not in impls:
            continue
        a, t = ns(impls["absl"]), ns(impls["tophash"])
        label = f"{workload} 2^{int(arg).bit_length() - 1}"
        ratios.append((label, t / a))
        out.append(f"| {workload} | 2^{int(arg).bit_length() - 1} | {fmt(a)} | {fmt(t)} | {t / a:.2f} |")
    grow = [(k, v) for k, v in by.items() if k[0] == "grow"]
    if grow:
        out += ["", "## Growth: inserting into an empty map without reserve", "",
                "| elements | metric | absl | tophash | tophash / absl |", "|---|---|---|---|---|"]
        for (workload, arg), impls in grow:
            if "absl" not in impls or "tophash" not in impls:
                continue
            a, t = impls["absl"], impls["tophash"]
            for key in ["ns_per_insert", "p50_ns", "p99_ns", "p99.9_ns", "p99.99_ns", "max_ns"]:
                if key in a and key in t:
                    out.append(f"| 2^{int(arg).bit_length() - 1} | {key} | {fmt(a[key])} | "
                               f"{fmt(t[key])} | {t[key] / a[key]:.3f} |")
                    if key in ("ns_per_insert", "max_ns"):
                        ratios.append((f"grow {key.replace('_ns', '').replace('ns_per_', '')}",
                                       t[key] / a[key]))
    print("\n".join(out))
    if plot_data:
        with open(plot_data, "w") as f:
            for label, r in ratios:
                f.write(f'"{label}" {r:.4f}\n')


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "# tophash benchmarks",
         sys.argv[4] if len(sys.argv) > 4 else None)
