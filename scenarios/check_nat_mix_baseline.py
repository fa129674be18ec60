#!/usr/bin/python3
"""CI guard on the population P2P rate of the shipped NAT mixes: compares
`yellowtail-sim nat-mix` results with scenarios/baselines/nat-mix.json and fails
when a mix's p2p_rate or connectivity fell by more than the baseline's
`tolerance` (absolute), or a mix ran with other parameters than the baseline's.

Each mix runs with a fixed pair count and seed, so its pairs and their attempts
are the same on every run: the tolerance absorbs only deliberate, reviewed
changes, not noise. Raising a baseline is `--write-baseline`, with a reason that
goes into the baseline's history; lowering one is the same edit and must say why.

The results of the mix named N are RESULTS_DIR/N/results.json.

usage: check_nat_mix_baseline.py BASELINE_JSON RESULTS_DIR
       check_nat_mix_baseline.py --write-baseline BASELINE_JSON RESULTS_DIR --reason TEXT
"""
import argparse
import datetime
import json
import os
import sys

METRICS = ("p2p_rate", "connectivity")


def load(path):
    with open(path) as f:
        return json.load(f)


def results_of(results_dir, entry):
    return load(os.path.join(results_dir, entry["name"], "results.json"))


def compare(baseline, results_dir):
    """Returns human-readable regressions (empty when the guard passes)."""
    tolerance = baseline.get("tolerance", 0.0)
    problems = []
    for entry in baseline["mixes"]:
        name = entry["name"]
        try:
            results = results_of(results_dir, entry)
        except (OSError, ValueError) as e:
            problems.append(f"{name}: no results ({e})")
            continue
        params = results["parameters"]
        for key in ("pairs", "seed", "strategy"):
            if params.get(key) != entry[key]:
                problems.append(f"{name}: ran with {key}={params.get(key)!r}, the baseline with {entry[key]!r}")
        for metric in METRICS:
            now, old = results["overall"][metric], entry[metric]
            if now < old - tolerance - 1e-9:
                problems.append(f"{name}: population {metric} {old:.3f} -> {now:.3f} (tolerance {tolerance:.3f})")
    return problems


def write_baseline(path, results_dir, reason):
    baseline = load(path)
    for entry in baseline["mixes"]:
        overall = results_of(results_dir, entry)["overall"]
        for key in ("pairs", "direct", "relayed", "failed", "p2p_rate", "connectivity", "p2p_rate_ci95",
                    "connectivity_ci95"):
            entry[key] = overall[key]
    baseline.setdefault("history", []).append({"date": datetime.date.today().isoformat(), "reason": reason})
    with open(path, "w") as f:
        json.dump(baseline, f, indent=1)
        f.write("\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("results_dir")
    parser.add_argument("--write-baseline", action="store_true")
    parser.add_argument("--reason")
    args = parser.parse_args(argv)
    if args.write_baseline:
        if not args.reason:
            parser.error("--write-baseline needs --reason")
        write_baseline(args.baseline, args.results_dir, args.reason)
        return 0
    problems = compare(load(args.baseline), args.results_dir)
    for p in problems:
        print(f"nat-mix guard: {p}", file=sys.stderr)
    if not problems:
        print("nat-mix guard: every shipped mix at or above its baseline")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
