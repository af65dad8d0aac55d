#!/usr/bin/env python3
"""Isolation forest: vigil against scikit-learn on the same files, in the same run.

For every labelled CSV (`label` column, 1 = outlier) in the data folder and every seed, fits
scikit-learn's IsolationForest(n_estimators=100, max_samples=256, random_state=seed) on all
rows and times score_samples on all rows; then runs `vigil outliers` with the same settings
and reads its AUC and scoring throughput. Throughput is scoring only (no CSV parsing, no fit):
rows scored per second of wall time, where each (dataset, seed) is scored several times and
the fastest run counts (as timeit does), for both sides, so that other work on a shared
machine disturbs the ratio less; the times are then summed over the seeds. Our figure is
given on one core (`taskset -c 0`) and on all cores; scikit-learn 1.2 scores on one core.

Acceptance (printed at the end, exit status 1 if missed): on every dataset our mean AUC is
within 0.02 of scikit-learn's, and our all-core scoring throughput is at least 20x
scikit-learn's.

Needs Debian's python3-numpy and python3-sklearn. Example:
  python3 bench/models/compare_sklearn.py --vigil build/apps/vigil --seeds 5
"""
import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

AUC_TOLERANCE = 0.02
MIN_SPEEDUP = 20.0


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",", ndmin=2)
    label = header.index("label")
    y = data[:, label]
    x = np.delete(data, label, axis=1).astype(np.float32)
    return x, y


def run_sklearn(x, y, seed, repeat):
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(x)
    seconds = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        scores = -forest.score_samples(x)
        seconds = min(seconds, time.perf_counter() - start)
    return roc_auc_score(y, scores), seconds


def run_vigil(vigil, path, seed, one_core, out, repeat):
    cmd = [vigil, "outliers", "--csv", path, "--label", "label", "--seed", str(seed),
           "--out", out, "--repeat", str(repeat)]
    if one_core:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"vigil outliers failed on {path}: {proc.stderr.strip()}")
    lines = proc.stdout.strip().splitlines()
    auc = float(lines[-1].split("=", 1)[1])
    summary = dict(re.findall(r"(\w+)=(\S+)", lines[0]))
    return auc, float(summary["score_ms"]) / 1e3, int(summary["rows"])


def main():
    # Small sets trigger "max_samples is greater than the number of samples": expected, as ours
    # caps the sample size the same way.
    warnings.filterwarnings("ignore", category=UserWarning)
    here = os.path.dirname(os.path.abspath(__file__))
    default_data = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "odds"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vigil", required=True, help="path to the vigil program")
    parser.add_argument("--data", default=default_data, help="folder of labelled CSV files")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--sklearn-repeat", type=int, default=3,
                        help="scoring runs per seed for scikit-learn, fastest counts (default 3)")
    parser.add_argument("--vigil-repeat", type=int, default=20,
                        help="scoring runs per seed for vigil, fastest counts (default 20)")
    args = parser.parse_args()

    files = sorted(f for f in os.listdir(args.data) if f.endswith((".csv", ".csv.gz")))
    if not files:
        sys.exit(f"no CSV files in {args.data}")
    one_core = shutil.which("taskset") is not None
    cores = os.cpu_count()
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, {cores} cores, "
          f"seeds 0-{args.seeds - 1}, 100 trees, 256 samples, fastest of "
          f"{args.sklearn_repeat} (scikit-learn) / {args.vigil_repeat} (vigil) scoring runs")
    print()
    print("| dataset | rows | dims | sklearn AUC | vigil AUC | diff | sklearn rows/s "
          "| vigil rows/s 1 core | vigil rows/s all cores | speedup 1 core | speedup all |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    failures = []
    totals = {"rows": 0, "sk": 0.0, "v1": 0.0, "vn": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "scores.csv")
        for name in files:
            path = os.path.join(args.data, name)
            x, y = load(path)
            sk_auc, sk_s, v_auc, v1_s, vn_s = [], 0.0, [], 0.0, 0.0
            for seed in range(args.seeds):
                auc, seconds = run_sklearn(x, y, seed, args.sklearn_repeat)
                sk_auc.append(auc)
                sk_s += seconds
                auc, seconds, rows = run_vigil(args.vigil, path, seed, False, out, args.vigil_repeat)
                assert rows == len(x), (name, rows, len(x))
                v_auc.append(auc)
                vn_s += seconds
                if one_core:
                    v1_s += run_vigil(args.vigil, path, seed, True, out, args.vigil_repeat)[1]
            scored = len(x) * args.seeds
            totals["rows"] += scored
            totals["sk"] += sk_s
            totals["v1"] += v1_s
            totals["vn"] += vn_s
            sk_rate, v1_rate, vn_rate = scored / sk_s, scored / v1_s if one_core else 0, scored / vn_s
            diff = round(np.mean(v_auc) - np.mean(sk_auc), 4) + 0.0  # no "-0.0000"
            print(f"| {name} | {len(x)} | {x.shape[1]} | {np.mean(sk_auc):.4f} | "
                  f"{np.mean(v_auc):.4f} | {diff:+.4f} | {sk_rate:,.0f} | {v1_rate:,.0f} | "
                  f"{vn_rate:,.0f} | {v1_rate / sk_rate:.0f}x | {vn_rate / sk_rate:.0f}x |",
                  flush=True)
            if abs(diff) > AUC_TOLERANCE:
                failures.append(f"{name}: AUC differs by {diff:+.4f}")
            if vn_rate < MIN_SPEEDUP * sk_rate:
                failures.append(f"{name}: speedup {vn_rate / sk_rate:.1f}x < {MIN_SPEEDUP:.0f}x")
    sk_rate = totals["rows"] / totals["sk"]
    v1_rate = totals["rows"] / totals["v1"] if one_core else 0
    vn_rate = totals["rows"] / totals["vn"]
    print(f"| **all** | {totals['rows'] // args.seeds} | | | | | {sk_rate:,.0f} | {v1_rate:,.0f} | "
          f"{vn_rate:,.0f} | {v1_rate / sk_rate:.0f}x | {vn_rate / sk_rate:.0f}x |")
    print()
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print(f"PASS: every mean AUC within {AUC_TOLERANCE} of scikit-learn, every speedup >= "
          f"{MIN_SPEEDUP:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
