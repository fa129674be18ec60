"""End to end: the guard passes on a real matrix run and fails when the punch path
is broken on purpose (clients drop all peer-to-peer UDP), with the same seeds."""
import json
import subprocess
import sys

import check_punch_baseline as guard

PROFILES = "full-cone,port-restricted-cone,symmetric-random"


def run_matrix(build_dir, out, fault=None):
    cmd = [str(build_dir / "emulation" / "yellowtail-sim"), "nat-matrix", "--profiles", PROFILES,
           "--seeds", "2", "--quiet", "--out", str(out)]
    if fault:
        cmd += ["--fault", fault]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out / "results.json") as f:
        return json.load(f)


def test_guard_catches_a_broken_punch_path(build_dir, tmp_path):
    healthy = run_matrix(build_dir, tmp_path / "healthy")
    baseline = tmp_path / "baseline.json"
    guard.write_baseline(healthy, baseline, "test baseline")
    with open(baseline) as f:
        base = json.load(f)

    # The same run against its own baseline holds.
    assert guard.compare(healthy, base) == []
    # Cone pairs punch in the healthy run, so there is something to lose.
    rates = {(p["profile_a"], p["profile_b"], p["strategy"]): p["p2p_rate"] for p in healthy["pairs"]}
    assert rates[("full-cone", "full-cone", "current")] == 1.0

    broken = run_matrix(build_dir, tmp_path / "broken", fault="block-peer-udp")
    problems = guard.compare(broken, base)
    assert any("full-cone x full-cone" in p for p in problems), problems
    assert any("overall" in p for p in problems), problems

    # And the command-line guard exits non-zero on it.
    cli = subprocess.run([sys.executable, str(guard.__file__), str(tmp_path / "broken" / "results.json"),
                          str(baseline)], capture_output=True, text=True)
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "FAILED" in cli.stdout
