#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""bench/compare.py's noise model on a committed report: a run compares clean
with itself, a doubled tophash time is a regression, a machine that slowed
every map alike is drift, and mixing a --quick run with a full one says so.

    tests/bench/compare_test.py [REPORT_PREFIX]

Without a prefix: the newest full report in bench/results that has its map,
concurrent and markdown files.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
compare = os.path.join(root, "bench", "compare.py")


def newest_report():
    results = os.path.join(root, "bench", "results")
    prefixes = sorted(f[: -len(".map.json")] for f in os.listdir(results)
                      if f.endswith(".map.json") and "-quick" not in f)
    for p in reversed(prefixes):
        full = os.path.join(results, p)
        if os.path.exists(full + ".concurrent.jsonl") and os.path.exists(full + ".md"):
            return full
    sys.exit("compare_test: no complete report in bench/results")


src = sys.argv[1] if len(sys.argv) > 1 else newest_report()
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(a, b):
    p = subprocess.run([sys.executable, compare, a, b], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def copy(to, scale=None, quick=False):
    """The report at `to`, with scale(name) multiplying each map time."""
    for suffix in (".map.json", ".concurrent.jsonl", ".md"):
        shutil.copy(src + suffix, to + suffix)
    if scale:
        data = json.load(open(to + ".map.json"))
        for b in data["benchmarks"]:
            if "real_time" in b:
                b["real_time"] *= scale(b.get("run_name", b["name"]))
        json.dump(data, open(to + ".map.json", "w"))
    if quick:
        md = open(to + ".md").read().replace("- command: scripts/bench\n",
                                             "- command: scripts/bench --quick\n")
        open(to + ".md", "w").write(md)


with tempfile.TemporaryDirectory() as d:
    a, same, slower, drift, quick = (os.path.join(d, n) for n in
                                     ("a", "same", "slower", "drift", "quick"))
    copy(a)
    copy(same)
    rc, out = run(a, same)
    check(rc == 0 and "0 regression(s)" in out, f"a report against itself: rc {rc}\n{out[-400:]}")
    check("note: one run is --quick" not in out, "same-mode runs were told they differ")

    copy(slower, lambda n: 2.0 if n.startswith("find_hit/tophash/") else 1.0)
    rc, out = run(a, slower)
    flagged = [l for l in out.splitlines() if l.startswith("find_hit/") and "REGRESSION" in l]
    check(rc > 0 and flagged, f"tophash's find_hit twice as slow was not flagged: rc {rc}")
    check(all(l.split()[0].startswith("find_hit/") for l in out.splitlines()
              if "REGRESSION" in l), "rows that did not change were flagged")

    copy(drift, lambda n: 1.5 if n.startswith("find_hit/") else 1.0)
    rc, out = run(a, drift)
    rows = [l for l in out.splitlines() if l.startswith("find_hit/") and " ns " in l]
    # Every row whose change exceeds its band must say drift; a row whose
    # spreads are wider than the change keeps it inside the band, unlabelled.
    def drift_ok(l):
        change, band = (abs(float(f.rstrip("%"))) for f in l.split()[4:6])
        return "drift" in l if change > band else "REGRESSION" not in l
    check(rc == 0 and rows and all(drift_ok(l) for l in rows),
          f"every map 1.5x slower was not drift: rc {rc}\n" + "\n".join(rows))

    copy(quick, quick=True)
    rc, out = run(a, quick)
    check("note: one run is --quick" in out, "a full run against a --quick one gave no note")

for f in failures:
    print("FAIL:", f)
print("compare_test:", "FAILED" if failures else "ok")
sys.exit(1 if failures else 0)
