#!/usr/bin/python3
"""Delivered datagrams over time from a `yellowtail-sim outage` outage.json: per
simulated second, what every tunnel offered and what of it was delivered, with the
fault's span shaded. The title gives the fault and the outage survival.

usage: plot_outage.py OUTAGE_JSON OUTPUT_PNG
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    try:
        with open(argv[1]) as f:
            result = json.load(f)
        timeline = result["timeline"]
        fault = result["options"]["fault"]
        fault_at, fault_end = result["fault_at_s"], result["fault_end_s"]
        survived, established = result["survived"], result["established"]
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_outage: cannot read {argv[1]}: {e}", file=sys.stderr)
        return 1

    t = [s["t"] for s in timeline]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    ax.step(t, [s["offered"] for s in timeline], where="post", label="offered", color="0.6", linestyle="--")
    ax.step(t, [s["delivered"] for s in timeline], where="post", label="delivered", color="tab:blue")
    if fault_end > fault_at:
        ax.axvspan(fault_at, fault_end, color="tab:red", alpha=0.15, label=fault)
    else:
        ax.axvline(fault_at, color="tab:red", label=fault)
    rate = 100.0 * survived / established if established else 0.0
    ax.set_title(f"{fault}: {survived}/{established} established tunnels survived ({rate:.0f}%)", fontsize=10)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("datagrams per second, all tunnels")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", fontsize=8)
    fig.savefig(argv[2], dpi=110, bbox_inches="tight")
    print(f"wrote {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
