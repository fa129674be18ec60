#!/usr/bin/python3
"""CI guard on the punch rate and connectivity: compares a nat-matrix
results.json with the checked-in baseline and fails when

  - any (profile_a, profile_b, strategy) pair's p2p_rate or connectivity
    (direct or relayed) falls by more than the baseline's `pair_tolerance`
    (absolute), or
  - any strategy's overall p2p_rate or connectivity falls by more than
    `overall_tolerance`,
  - or a pair or strategy in the baseline is missing from the results.

A baseline entry without `connectivity` (written before relays) checks the
p2p_rate only.

Runs are deterministic for a given seed list, so the tolerances only absorb
deliberate, reviewed changes in timing, not noise. Raising the baseline is a
reviewed edit (`--write-baseline`); lowering it needs a written reason in the
baseline's "history".

usage: check_punch_baseline.py RESULTS_JSON BASELINE_JSON
       check_punch_baseline.py --write-baseline RESULTS_JSON BASELINE_JSON --reason TEXT
"""
import argparse
import datetime
import json
import sys

DEFAULT_PAIR_TOLERANCE = 0.10  # one attempt in ten: a single changed seed may move
DEFAULT_OVERALL_TOLERANCE = 0.0  # the population rate must never fall silently


def load(path):
    with open(path) as f:
        return json.load(f)


METRICS = ("p2p_rate", "connectivity")


def rates(results, metric="p2p_rate"):
    return {(p["profile_a"], p["profile_b"], p["strategy"]): p[metric] for p in results["pairs"] if metric in p}


def compare(results, baseline):
    """Returns a list of human-readable regressions (empty when the guard passes)."""
    pair_tolerance = baseline.get("pair_tolerance", DEFAULT_PAIR_TOLERANCE)
    overall_tolerance = baseline.get("overall_tolerance", DEFAULT_OVERALL_TOLERANCE)
    problems = []
    for metric in METRICS:
        now = rates(results, metric)
        for key, old in sorted(rates(baseline, metric).items()):
            a, b, strategy = key
            if key not in now:
                problems.append(f"{strategy}: {a} x {b} missing {metric} in the results")
                continue
            tolerance = overall_tolerance if a == "overall" else pair_tolerance
            if now[key] < old - tolerance - 1e-9:
                what = f"{strategy} overall" if a == "overall" else f"{strategy}: {a} x {b}"
                problems.append(f"{what}: {metric} {old:.2f} -> {now[key]:.2f} (tolerance {tolerance:.2f})")
    return problems


def write_baseline(results, path, reason):
    try:
        old = load(path)
    except (OSError, ValueError):
        old = {}
    history = old.get("history", [])
    history.append({"date": datetime.date.today().isoformat(), "reason": reason})
    baseline = {
        "comment": "Punch-rate baseline for the nat-matrix CI guard. See scenarios/check_punch_baseline.py.",
        "parameters": results["parameters"],
        "pair_tolerance": old.get("pair_tolerance", DEFAULT_PAIR_TOLERANCE),
        "overall_tolerance": old.get("overall_tolerance", DEFAULT_OVERALL_TOLERANCE),
        "history": history,
        "pairs": [
            {k: p[k] for k in ("profile_a", "profile_b", "strategy", "attempts", "direct", "relayed", "p2p_rate",
                               "connectivity")}
            for p in results["pairs"]
        ],
    }
    with open(path, "w") as f:
        json.dump(baseline, f, indent=1)
        f.write("\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("baseline")
    parser.add_argument("--write-baseline", action="store_true", help="replace the baseline with these results")
    parser.add_argument("--reason", help="why the baseline changes (required with --write-baseline)")
    args = parser.parse_args(argv[1:])
    try:
        results = load(args.results)
    except (OSError, ValueError) as e:
        print(f"check_punch_baseline: cannot read results {args.results}: {e}", file=sys.stderr)
        return 2
    if args.write_baseline:
        if not args.reason:
            print("check_punch_baseline: --write-baseline needs --reason", file=sys.stderr)
            return 2
        write_baseline(results, args.baseline, args.reason)
        print(f"wrote baseline {args.baseline}")
        return 0
    try:
        baseline = load(args.baseline)
    except (OSError, ValueError) as e:
        print(f"check_punch_baseline: cannot read baseline {args.baseline}: {e}", file=sys.stderr)
        return 2
    if baseline.get("parameters", {}).get("seeds") != results["parameters"]["seeds"]:
        print("check_punch_baseline: results and baseline use different seeds; rerun with the baseline's",
              file=sys.stderr)
        return 2
    problems = compare(results, baseline)
    if problems:
        print(f"punch-rate guard: FAILED, {len(problems)} regression(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"punch-rate guard: ok ({len(rates(baseline))} baseline entries hold"
          f", {len(rates(baseline, 'connectivity'))} with connectivity)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
