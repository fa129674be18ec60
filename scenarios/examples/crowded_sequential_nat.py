#!/usr/bin/python3
"""Eight clients behind one sequential NAT, all joining one network at once.

A dorm (or office) NAT that maps ports sequentially and symmetrically: to reach a
peer behind a port-restricted cone, the server must predict the dorm NAT's next
port. With eight hosts logging in together, each one's mappings land between the
others', so discovery sees uneven steps and predictions from its ports miss.
The server therefore plans such tunnels one at a time per public IP, each after
asking the client for a fresh probe (RefreshMapping). This compares the P2P rate
of the 32 pairs across the dorm NAT with and without that serialization.

    /usr/bin/python3 scenarios/examples/crowded_sequential_nat.py --seeds 5
"""
import argparse

import yellowtail
from yellowtail import Nat, Scenario


def build(serialize: bool, inside: int = 8, outside: int = 4) -> Scenario:
    s = Scenario(duration_s=40, serialize_sequential_plans=serialize)
    dorm = [f"dorm-{i}" for i in range(inside)]
    s.site("dorm", Nat("symmetric-sequential"), hosts=dorm, delay_ms=15)
    homes = []
    for i in range(outside):
        s.site(f"home-{i}", Nat("port-restricted-cone"), hosts=[f"home-{i}"], delay_ms=20 + 5 * i)
        homes.append(f"home-{i}")
    s.network("lan", dorm + homes)
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--serial", action="store_true", help="run in this process instead of on Dask")
    args = parser.parse_args()
    print(f"{'plans':<12} {'across the dorm NAT: direct':>28} {'last direct at':>15}")
    for serialize in (False, True):
        records = yellowtail.sweep(build(serialize), {}, seeds=range(1, args.seeds + 1), serial=args.serial,
                                   progress=False)
        direct = total = 0
        last = 0.0
        for r in records:
            for p in r["result"]["pairs"]:
                if p["a"].startswith("dorm") != p["b"].startswith("dorm"):
                    total += 1
                    direct += p["outcome"] == "direct"
                    last = max(last, p["direct_at_s"] or 0.0)
        name = "serialized" if serialize else "all at once"
        print(f"{name:<12} {direct:>14} of {total:<4} ({direct / total:5.1%}) {last:>13.1f} s")


if __name__ == "__main__":
    main()
