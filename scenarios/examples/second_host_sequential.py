#!/usr/bin/python3
"""Does a second host behind a sequential NAT hurt my P2P rate?

Alice sits behind a symmetric NAT that allocates ports sequentially; the server
predicts her next port from the last one its discovery saw. Her roommate's
smart TV sits behind the same NAT and, logging in at the same moment, opens
mappings of its own to three cloud peers, which moves the NAT's port counter
under the prediction. The server plans such tunnels one at a time per public IP,
each after a fresh probe (docs/architecture.md); the third case turns that off to
show what the TV would cost without it. Each case runs over several seeds on Dask
(or serially) and prints how often alice gets a direct tunnel to bob.

    /usr/bin/python3 scenarios/examples/second_host_sequential.py --seeds 10
"""
import argparse

import yellowtail
from yellowtail import Nat, Scenario


def build(with_tv: bool, serialize: bool = True) -> Scenario:
    s = Scenario(duration_s=20, serialize_sequential_plans=serialize)
    home_hosts = ["alice", "tv"] if with_tv else ["alice"]
    s.site("home", Nat("symmetric-sequential"), hosts=home_hosts, delay_ms=15)
    s.site("bobs-home", Nat("port-restricted-cone"), hosts=["bob"], delay_ms=25)
    s.network("friends", ["alice", "bob"])
    if with_tv:
        for i in range(3):
            s.public_host(f"cloud-{i}", delay_ms=5)
        s.network("iot", ["tv", "cloud-0", "cloud-1", "cloud-2"])
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="runs per case (default 10)")
    parser.add_argument("--serial", action="store_true", help="run in this process instead of on Dask")
    args = parser.parse_args()
    print(f"{'case':<34} {'alice-bob direct':>18}")
    cases = [("alice alone", False, True), ("alice and the TV", True, True),
             ("alice and the TV, plans at once", True, False)]
    for case, with_tv, serialize in cases:
        records = yellowtail.sweep(build(with_tv, serialize), {}, seeds=range(1, args.seeds + 1),
                                   serial=args.serial, progress=False)
        direct = sum(
            next(p for p in r["result"]["pairs"] if {p["a"], p["b"]} == {"alice", "bob"})["outcome"] == "direct"
            for r in records
        )
        print(f"{case:<34} {direct:>10} of {len(records):<5}")


if __name__ == "__main__":
    main()
