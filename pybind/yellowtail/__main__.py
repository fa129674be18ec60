"""`python3 -m yellowtail sweep ...`: a parameter sweep from the command line.

`yellowtail-sim sweep ...` runs this too. It prints one table row per point with
the scenario's headline figures and writes every full result to
OUT/sweep.json. Finished points are kept in OUT/store.jsonl, so running the same
command again after an interruption only runs what is missing (--fresh forgets
them).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List

from .sweep import SweepError, scenario_names, sweep


def parse_values(text: str) -> List[Any]:
    """'a,b' -> ['a', 'b']; '1,2.5,true' -> [1, 2.5, True]; a JSON list as it is."""
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"not a JSON list: {e}") from None
        if not isinstance(values, list):
            raise argparse.ArgumentTypeError("not a JSON list")
        return values
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise argparse.ArgumentTypeError(f"empty value in {text!r}")
        try:
            values.append(json.loads(item))
        except ValueError:
            values.append(item)
    return values


def parse_axis(text: str):
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,..., got {text!r}")
    return name.strip(), parse_values(values)


def parse_seeds(text: str) -> List[int]:
    """'1-5' or '1,4,9'."""
    try:
        if "-" in text and "," not in text:
            first, last = (int(x) for x in text.split("-", 1))
            if last < first or last - first >= 100000:
                raise ValueError
            return list(range(first, last + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are FIRST-LAST or a comma list of integers, got {text!r}") from None


def headline(scenario: str, result: Dict[str, Any]) -> Dict[str, Any]:
    """The few figures of a result worth a table column."""
    if scenario == "matrix":
        return {
            f"{row['strategy']} p2p": row["p2p_rate"]
            for row in result.get("pairs", [])
            if row.get("profile_a") == "overall"
        }
    skip = {"log", "json", "csv", "table"}
    return {
        k: v
        for k, v in result.items()
        if k not in skip and (v is None or isinstance(v, (bool, int, float, str)))
    }


def format_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def print_table(scenario: str, records: List[Dict[str, Any]], out=sys.stdout) -> None:
    rows = []
    for record in records:
        row = {k: format_value(v) for k, v in record["point"].items()}
        row.update({k: format_value(v) for k, v in headline(scenario, record["result"]).items()})
        rows.append(row)
    columns: List[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns), file=out)
    for row in rows:
        print("  ".join(row.get(c, "").ljust(widths[c]) for c in columns), file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m yellowtail",
        description="Sweeps of yellowtail's ns-3 scenarios over a parameter grid, serially or on a Dask cluster.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser(
        "sweep",
        help="run a scenario at every point of a parameter grid",
        description="Runs SCENARIO at every combination of the --grid values (and --seeds), on a Dask "
        "LocalCluster by default. Parameter names are the Python function's (yellowtail.run_<scenario>), "
        "e.g. outage: fault, duration_s, clients; population: clients, network_size, relays.",
    )
    s.add_argument("scenario", choices=scenario_names(), help="the scenario")
    s.add_argument(
        "--grid", action="append", type=parse_axis, default=[], metavar="NAME=V1,V2",
        help="one axis of the grid (repeatable); values are JSON or plain strings, or a JSON list",
    )
    s.add_argument("--seeds", type=parse_seeds, help="seeds, FIRST-LAST or a comma list (a last axis)")
    s.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    s.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    s.add_argument("--serial", action="store_true", help="run every point in this process, without Dask")
    s.add_argument("--out", default="out/sweep", help="output directory for sweep.json and store.jsonl")
    s.add_argument("--fresh", action="store_true", help="forget the points an earlier run stored in --out")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    grid = dict(args.grid)
    if len(grid) != len(args.grid):
        parser.error("a --grid parameter is given twice")
    if not grid and args.seeds is None:
        parser.error("give at least one --grid axis or --seeds")
    try:
        os.makedirs(args.out, exist_ok=True)
        store = os.path.join(args.out, "store.jsonl")
        if args.fresh and os.path.exists(store):
            os.remove(store)
        records = sweep(
            args.scenario, grid, seeds=args.seeds, scheduler=args.scheduler, workers=args.workers,
            serial=args.serial, store=store, progress=not args.quiet,
        )
    except SweepError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    path = os.path.join(args.out, "sweep.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"scenario": args.scenario, "records": records}, f, indent=1)
    print_table(args.scenario, records)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
