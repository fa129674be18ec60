#!/usr/bin/python3
"""How many relays does a population need?

A residential population (the population scenario's default NAT mix) in networks
of 8, with 0, 1 and 2 separate relays besides the server's built-in one. Every
pair that cannot punch needs a relay; this prints, per relay count and averaged
over the seeds, the share of pairs that can talk at all (connectivity), the share
that went direct, the relay tickets the server handed out, and the traffic
delivered. Runs on a Dask LocalCluster unless --serial.

    /usr/bin/python3 scenarios/examples/relays_needed.py --clients 200 --seeds 3
"""
import argparse

import yellowtail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--relays", default="0,1,2", help="relay counts to compare (default 0,1,2)")
    parser.add_argument("--serial", action="store_true", help="run in this process instead of on Dask")
    args = parser.parse_args()
    grid = {
        "clients": [args.clients],
        "relays": [int(x) for x in args.relays.split(",")],
        "duration_s": [40.0],
        "join_window_s": [10.0],
    }
    records = yellowtail.sweep("population", grid, seeds=range(1, args.seeds + 1), serial=args.serial)
    frame = yellowtail.to_frame(records)
    summary = frame.groupby("relays")[["connectivity", "p2p_rate", "server.relay_offers", "traffic.delivered"]].mean()
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
