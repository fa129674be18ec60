"""yellowtail.sweep: grids of scenario runs, serially and on a two-worker Dask cluster."""
import json
import os
import subprocess
import sys

import pytest

GRID = {"profile_a": ["cgnat", "symmetric-random"], "profile_b": ["symmetric-random"]}
SEEDS = [1, 2, 3]


def test_a_dask_sweep_returns_exactly_the_serial_sweep(yellowtail):
    serial = yellowtail.sweep("attempt", GRID, seeds=SEEDS, serial=True, progress=False)
    seen = []
    on_dask = yellowtail.sweep("attempt", GRID, seeds=SEEDS, workers=2, progress=lambda d, t: seen.append((d, t)))
    assert on_dask == serial
    assert [r["point"] for r in serial] == [
        {"profile_a": a, "profile_b": "symmetric-random", "seed": s}
        for a in GRID["profile_a"]
        for s in SEEDS
    ]
    # The grid holds both outcomes, so equality compares real, different results.
    outcomes = {r["point"]["profile_a"]: r["result"]["outcome"] for r in serial}
    assert outcomes == {"cgnat": "direct", "symmetric-random": "relayed"}
    assert seen[0] == (0, 6) and seen[-1] == (6, 6) and len(seen) == 7


def test_an_outage_sweep_on_dask_matches_serial_too(yellowtail):
    grid = {"fault": ["nat-reboot", "loss-burst"], "duration_s": [3.0], "settle_s": [4.0], "observe_s": [4.0]}
    serial = yellowtail.sweep("outage", grid, seeds=[7], serial=True, progress=False)
    assert yellowtail.sweep("outage", grid, seeds=[7], progress=False) == serial
    assert all(r["result"]["established"] == 15 for r in serial)


def counting_scenario(x, seed, calls_file):
    """A researcher's own scenario: any function returning a JSON-able dict."""
    with open(calls_file, "a") as f:
        f.write(f"{x},{seed}\n")
    return {"value": x * 10 + seed}


def test_a_resumed_sweep_runs_only_the_missing_points(yellowtail, tmp_path):
    store = tmp_path / "store.jsonl"
    calls = tmp_path / "calls"
    first = yellowtail.sweep(
        counting_scenario, {"x": [1], "calls_file": [str(calls)]}, seeds=[1, 2], serial=True, store=store,
        progress=False,
    )
    assert [r["result"]["value"] for r in first] == [11, 12]
    # A sweep killed while writing leaves a cut line; that point must simply run again.
    with open(store, "a") as f:
        f.write('{"point": {"x": 2, "seed": 1, "calls_f')
    calls.write_text("")
    full = yellowtail.sweep(
        counting_scenario, {"x": [1, 2], "calls_file": [str(calls)]}, seeds=[1, 2], serial=True, store=store,
        progress=False,
    )
    assert [r["result"]["value"] for r in full] == [11, 12, 21, 22]
    assert sorted(calls.read_text().split()) == ["2,1", "2,2"]
    # And once everything is stored, nothing runs, on Dask or not.
    calls.write_text("")
    again = yellowtail.sweep(
        counting_scenario, {"x": [1, 2], "calls_file": [str(calls)]}, seeds=[1, 2], store=store, progress=False
    )
    assert again == full and calls.read_text() == ""


def failing_scenario(x):
    if x == 3:
        raise ValueError("x=3 is not allowed")
    return {"x": x}


def test_a_failing_point_stops_the_sweep_and_keeps_what_finished(yellowtail, tmp_path):
    store = tmp_path / "store.jsonl"
    with pytest.raises(yellowtail.SweepError, match="x=3 is not allowed"):
        yellowtail.sweep(failing_scenario, {"x": [1, 2, 3]}, serial=True, store=store, progress=False)
    lines = store.read_text().splitlines()
    assert json.loads(lines[0])["scenario"].endswith("failing_scenario")
    assert [json.loads(line)["point"] for line in lines[1:]] == [{"x": 1}, {"x": 2}]
    with pytest.raises(yellowtail.SweepError, match="x=3 is not allowed"):
        yellowtail.sweep(failing_scenario, {"x": [3, 4]}, progress=False)


def test_bad_sweeps_get_clear_errors(yellowtail, tmp_path):
    with pytest.raises(yellowtail.SweepError, match="unknown scenario 'nat-mix'"):
        yellowtail.sweep("nat-mix", {"seed": [1]})
    with pytest.raises(yellowtail.SweepError, match="no parameter profile_c; it takes: profile_a, profile_b"):
        yellowtail.sweep("attempt", {"profile_c": ["cgnat"]})
    with pytest.raises(yellowtail.SweepError, match=r"grid\['profile_a'\] has no values"):
        yellowtail.sweep("attempt", {"profile_a": []})
    with pytest.raises(yellowtail.SweepError, match="must be a list of values"):
        yellowtail.sweep("attempt", {"profile_a": "cgnat"})
    with pytest.raises(yellowtail.SweepError, match="either in the grid or as seeds"):
        yellowtail.sweep("attempt", {"seed": [1]}, seeds=[2])
    store = tmp_path / "store.jsonl"
    yellowtail.sweep(counting_scenario, {"x": [1], "seed": [1], "calls_file": [os.devnull]}, serial=True,
                     store=store, progress=False)
    with pytest.raises(yellowtail.SweepError, match="holds a sweep of .*counting_scenario.*, not 'attempt'"):
        yellowtail.sweep("attempt", {"profile_a": ["cgnat"], "profile_b": ["cgnat"]}, store=store)
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("my notes\n")
    with pytest.raises(yellowtail.SweepError, match="not a yellowtail sweep store"):
        yellowtail.sweep("attempt", {"profile_a": ["cgnat"], "profile_b": ["cgnat"]}, store=not_a_store)
    assert not_a_store.read_text() == "my notes\n"
    # A scenario's own validation reaches the caller with the point that failed.
    with pytest.raises(yellowtail.SweepError, match="unknown profile 'no-such-nat'"):
        yellowtail.sweep("attempt", {"profile_a": ["no-such-nat"], "profile_b": ["cgnat"]}, serial=True,
                         progress=False)


def run_cli(build_dir, *args):
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"))
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def test_the_command_line_sweeps_resumes_and_prints_a_table(build_dir, tmp_path):
    out = tmp_path / "out"
    args = ["attempt", "--grid", "profile_a=cgnat,symmetric-random", "--grid", "profile_b=full-cone",
            "--seeds", "1-2", "--out", str(out)]
    # yellowtail-sim sweep hands over to `python3 -m yellowtail sweep`.
    first = run_cli(build_dir, str(build_dir / "emulation" / "yellowtail-sim"), "sweep", *args)
    assert first.returncode == 0, first.stderr
    rows = first.stdout.splitlines()
    assert rows[0].split()[:4] == ["profile_a", "profile_b", "seed", "strategy"]
    assert len(rows) == 5 and all(" direct " in row for row in rows[1:])
    assert "4/4 points" in first.stderr
    saved = json.loads((out / "sweep.json").read_text())
    assert [r["point"]["seed"] for r in saved["records"]] == [1, 2, 1, 2]
    again = run_cli(build_dir, sys.executable, "-m", "yellowtail", "sweep", *args, "--serial")
    assert again.returncode == 0, again.stderr
    assert "4 of 4 points already in the store" in again.stderr
    assert again.stdout == first.stdout
    bad = run_cli(build_dir, sys.executable, "-m", "yellowtail", "sweep", "attempt", "--grid", "profile_z=1",
                  "--out", str(out), "--serial")
    assert bad.returncode == 2 and "no parameter profile_z" in bad.stderr
    unreachable = run_cli(build_dir, sys.executable, "-m", "yellowtail", "sweep", "attempt", "--grid",
                          "profile_a=cgnat", "--grid", "profile_b=cgnat", "--scheduler", "tcp://127.0.0.1:9",
                          "--out", str(tmp_path / "other"), "--fresh")
    assert unreachable.returncode == 2 and "cannot reach the Dask scheduler" in unreachable.stderr


def test_records_become_a_dataframe_with_flattened_results(yellowtail):
    records = yellowtail.sweep("population", {"clients": [12], "duration_s": [20.0], "join_window_s": [5.0]},
                               seeds=[1, 2], serial=True, progress=False)
    frame = yellowtail.to_frame(records)
    assert list(frame["seed"]) == [1, 2]
    assert {"clients", "p2p_rate", "connectivity", "time_to_direct_s.p50", "server.logins"} <= set(frame.columns)
    assert list(frame["p2p_rate"]) == [r["result"]["p2p_rate"] for r in records]
    assert (frame["server.logins"] >= 12).all()
