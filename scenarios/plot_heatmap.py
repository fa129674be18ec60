#!/usr/bin/python3
"""Heatmap of P2P rates from a nat-matrix results.json: one panel per strategy,
rows = client A's NAT profile, columns = client B's; each cell shows the pair's P2P
rate and below it its 95% Wilson interval; each panel's title gives the overall P2P
rate with its interval and the connectivity (direct or relayed).

usage: plot_heatmap.py RESULTS_JSON OUTPUT_PNG
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    try:
        with open(argv[1]) as f:
            results = json.load(f)
        profiles = results["parameters"]["profiles"]
        strategies = results["parameters"]["strategies"]
        pairs = results["pairs"]
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_heatmap: cannot read {argv[1]}: {e}", file=sys.stderr)
        return 1

    index = {p: i for i, p in enumerate(profiles)}
    fig, axes = plt.subplots(1, len(strategies), figsize=(5.8 * len(strategies) + 2, 6.2), squeeze=False,
                             sharey=True)
    for column, (ax, strategy) in enumerate(zip(axes[0], strategies)):
        grid = np.full((len(profiles), len(profiles)), np.nan)
        intervals = {}
        overall = None
        overall_ci = None
        connectivity = None
        for p in pairs:
            if p["strategy"] != strategy:
                continue
            if p["profile_a"] == "overall":
                overall = p["p2p_rate"]
                overall_ci = p.get("p2p_rate_ci95")
                connectivity = p.get("connectivity")
                continue
            cell = (index[p["profile_a"]], index[p["profile_b"]])
            grid[cell] = p["p2p_rate"] * 100
            if "p2p_rate_ci95" in p:  # results written before the intervals have none
                intervals[cell] = p["p2p_rate_ci95"]
        image = ax.imshow(grid, vmin=0, vmax=100, cmap="RdYlGn")
        ax.set_xticks(range(len(profiles)), profiles, rotation=60, ha="right", fontsize=8)
        if column == 0:
            ax.set_yticks(range(len(profiles)), profiles, fontsize=8)
        else:
            ax.tick_params(labelleft=False)
        for i in range(len(profiles)):
            for j in range(len(profiles)):
                if not np.isnan(grid[i, j]):
                    ax.text(j, i - 0.12, f"{grid[i, j]:.0f}", ha="center", va="center", fontsize=6)
                    if (i, j) in intervals:
                        low, high = intervals[(i, j)]
                        ax.text(j, i + 0.22, f"{low * 100:.0f}-{high * 100:.0f}", ha="center", va="center",
                                fontsize=3.5)
        title = f"strategy '{strategy}'"
        if overall is not None:
            title += f"\noverall P2P {overall * 100:.1f}%"
            if overall_ci:
                title += f" (95% CI {overall_ci[0] * 100:.1f}-{overall_ci[1] * 100:.1f})"
        if connectivity is not None:
            title += f", connected {connectivity * 100:.1f}%"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("client B's NAT")
        if column == 0:
            ax.set_ylabel("client A's NAT")
    fig.colorbar(image, ax=axes[0].tolist(), label="P2P rate (%)", shrink=0.8)
    fig.savefig(argv[2], dpi=110, bbox_inches="tight")
    print(f"wrote {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
