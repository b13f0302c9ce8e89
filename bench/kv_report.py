#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""The kv_server report from redis-benchmark's outputs (scripts/kv-bench).
Usage: kv_report.py RAW_DIR OUT_PREFIX HEADER > report.md; writes
OUT_PREFIX.latency (percentiles of the pipelined SET test, for plot_kv.gp)."""
import glob
import os
import re
import statistics
import sys

STORES = ["redis", "tophash", "tophash-node", "absl", "tbb", "boost"]
NAMES = {"redis": "redis-server", "tophash": "tophash", "tophash-node": "tophash node map",
         "absl": "absl+shared_mutex",
         "tbb": "tbb::concurrent_hash_map", "boost": "boost::concurrent_flat_map"}
TESTS = ["SET", "GET", "INCR", "MSET"]
PLOT_PCTS = [50, 90, 99, 99.9, 99.99, 100]


def shown(store):
    """A store's name in the tables, tophash's stores in bold."""
    return "**%s**" % NAMES[store] if store.startswith("tophash") else NAMES[store]


def parse(path):
    """{test: {"rps": float, "p50": ms, "p99": ms, "max": ms, "dist": [(pct, ms)]}}"""
    text = open(path, errors="replace").read().replace("\r", "\n")
    out = {}
    for block in re.split(r"\n====== ", "\n" + text)[1:]:
        name = block.split(" ")[0].split("\n")[0]
        m = re.search(r"throughput summary: ([0-9.]+) requests per second", block)
        s = re.search(r"avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([0-9. ]+)", block)
        if not m or not s:
            continue
        avg, mn, p50, p95, p99, mx = (float(x) for x in s.group(1).split()[:6])
        dist = [(float(p), float(ms)) for p, ms in
                re.findall(r"\n([0-9.]+)% <= ([0-9.]+) milliseconds \(cumulative count",
                           block.split("Cumulative distribution")[0])]
        n = re.search(r"\n\s*([0-9]+) requests completed in", block)
        out[name] = {"rps": float(m.group(1)), "p50": p50, "p99": p99, "max": mx, "dist": dist,
                     "requests": float(n.group(1)) if n else float("nan")}
    return out


def at(dist, pct):
    """Latency below which at least pct% of the requests completed."""
    for p, ms in dist:
        if p >= pct:
            return ms
    return dist[-1][1] if dist else float("nan")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def collect(raw):
    """{(store, mode, test): {metric: median}}, and the repetitions' count."""
    runs = {}
    for path in glob.glob(os.path.join(raw, "*.txt")):
        store, mode, rep, _ = os.path.basename(path).split(".")
        for test, r in parse(path).items():
            r = dict(r, **{"p99.9": at(r["dist"], 99.9)})
            for pct in PLOT_PCTS:
                r["pct%s" % pct] = at(r["dist"], pct)
            runs.setdefault((store, mode, test), []).append(r)
    return {k: {m: med([r[m] for r in v]) for m in v[0] if m != "dist"} | {"n": len(v)}
            for k, v in runs.items()}


def fmt(x, digits=3):
    if x != x:
        return "-"
    if x >= 1000:
        return "{:,.0f}".format(x)
    return "{:.{}g}".format(x, digits)


def ratio(a, b):
    return "-" if not b or a != a or b != b else "{:.2f}".format(a / b)


def table(data, mode, stores):
    lines = ["| command | store | requests/s | p50 ms | p99 ms | p99.9 ms | max ms "
             "| req/s vs redis | vs absl | p99.9 vs redis | vs absl | max vs redis | vs absl |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for test in TESTS:
        key = next((k for k in data if k[1] == mode and k[2].split(" ")[0] == test), None)
        if key is None:
            continue
        full = key[2]
        redis = data.get(("redis", mode, full), {})
        absl = data.get(("absl", mode, full), {})
        for s in stores:
            d = data.get((s, mode, full))
            if d is None:
                continue
            name = shown(s)
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                full, name, fmt(d["rps"]), fmt(d["p50"]), fmt(d["p99"]), fmt(d["p99.9"]),
                fmt(d["max"]), ratio(d["rps"], redis.get("rps")), ratio(d["rps"], absl.get("rps")),
                ratio(d["p99.9"], redis.get("p99.9")), ratio(d["p99.9"], absl.get("p99.9")),
                ratio(d["max"], redis.get("max")), ratio(d["max"], absl.get("max"))))
    return "\n".join(lines)


def stalls(data, stores):
    """The slowest request against the throughput: what a closed loop hides."""
    lines = ["## The slowest stall, as an open-loop client would see it\n",
             "redis-benchmark is a closed loop: each connection waits for its replies "
             "before it sends more, so a stall of the server delays only the requests "
             "already in flight (50 x 16 pipelined), and the percentiles above count "
             "those alone. Clients of a real service keep arriving: at the throughput "
             "measured, a stall as long as the slowest request holds back about "
             "max x requests/s requests. Pipelined tests, medians of the runs:\n",
             "| command | store | max ms | requests/s | requests a stall that long holds "
             "back | share of the test's requests |",
             "|---|---|---:|---:|---:|---:|"]
    for test in ("SET", "MSET"):
        key = next((k for k in data if k[1] == "pipelined" and k[2].split(" ")[0] == test), None)
        if key is None:
            continue
        full = key[2]
        for s in stores:
            d = data.get((s, "pipelined", full))
            if d is None:
                continue
            held = d["max"] / 1000 * d["rps"]
            total = d.get("requests", float("nan"))
            name = shown(s)
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                full, name, fmt(d["max"]), fmt(d["rps"]), fmt(held),
                "{:.2%}".format(held / total) if total == total and total else "-"))
    return "\n".join(lines) + "\n"


def keys_after(raw, store, mode):
    sizes = []
    for path in glob.glob(os.path.join(raw, "%s.%s.*.info" % (store, mode))):
        m = re.search(r"db0:keys=(\d+)", open(path, errors="replace").read())
        if m:
            sizes.append(int(m.group(1)))
    return med(sizes)


def main(raw, prefix, header):
    data = collect(raw)
    stores = [s for s in STORES if any(k[0] == s for k in data)]
    reps = max((d["n"] for d in data.values()), default=0)
    print(header)
    print()
    if "boost" not in stores:
        print("**boost::concurrent_flat_map is absent**: no Boost >= 1.83 headers were found "
              "(scripts/kv-bench --boost DIR).\n")
    print("Ratios: requests/s above 1 and latencies below 1 favour the store of the row. "
          "Latencies are per request as the client sees them (a pipelined request waits for "
          "the 15 before it). p99.9 is the first percentile redis-benchmark prints at or "
          "above 99.9%% (its histogram's steps). Medians of %d repetitions.\n" % reps)
    for mode, title in (("pipelined", "Pipelined (-P 16)"), ("single", "One request per round trip (-P 1)")):
        print("## %s\n" % title)
        print(table(data, mode, stores))
        print()
        sizes = ", ".join("%s %s" % (NAMES[s], fmt(keys_after(raw, s, mode)))
                          for s in stores)
        print("Keys at the end of a run: %s.\n" % sizes)
    print(stalls(data, stores))
    # Percentiles of the pipelined tests that grow the map: SET from empty,
    # MSET (10 new keys a request) to the end of the key space.
    for test, suffix in (("SET", ".latency"), ("MSET", ".mset.latency")):
        key = next((k[2] for k in data if k[1] == "pipelined" and k[2].split(" ")[0] == test), test)
        with open(prefix + suffix, "w") as f:
            f.write("percentile %s\n" % " ".join(NAMES[s] for s in stores))
            for pct in PLOT_PCTS:
                label = "max" if pct == 100 else "p%s" % pct
                f.write("%s %s\n" % (label, " ".join(
                    str(data.get((s, "pipelined", key), {}).get("pct%s" % pct, "NaN"))
                    for s in stores)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
