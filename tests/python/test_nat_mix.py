"""The nat-mix population scenario from Python and the command line, the shipped
mixes and the guard on their population rate."""
import json
import pathlib
import subprocess

import pytest

import check_nat_mix_baseline as guard
MIXES = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "mixes"


def test_a_mix_of_full_cones_goes_direct(yellowtail):
    seen = []
    r = yellowtail.run_nat_mix({"name": "cones", "profiles": {"full-cone": 1}}, pairs=3, seed=2,
                               progress=lambda done, total: seen.append((done, total)))
    assert r["overall"]["pairs"] == 3
    assert r["overall"]["p2p_rate"] == 1.0
    low, high = r["overall"]["p2p_rate_ci95"]
    assert 0.3 < low < 1.0 and high == 1.0
    assert [c["profile_x"] for c in r["classes"]] == ["full-cone"]
    assert seen[-1] == (3, 3)
    assert "population" in r["table"]


def test_same_seed_same_pairs(yellowtail):
    mix = {"profiles": {"port-restricted-cone": 1, "udp-blocked": 1}}
    a = yellowtail.run_nat_mix(mix, pairs=4, seed=5, strategy="naive")
    b = yellowtail.run_nat_mix(mix, pairs=4, seed=5, strategy="naive")
    assert a["attempts"] == b["attempts"]
    assert a["overall"] == b["overall"]


def test_shipped_mixes_load_from_a_path(yellowtail):
    for path in sorted(MIXES.glob("*.json")):
        r = yellowtail.run_nat_mix(path, pairs=2, seed=1)
        assert r["mix"]["name"] == path.stem
        assert abs(sum(r["mix"]["profiles"].values()) - 1) < 1e-9
        # Every shipped mix says where its shares come from.
        assert r["mix"]["sources"] and all(s["what was taken"] for s in r["mix"]["sources"])
        assert set(r["mix"]["profiles"]) <= set(yellowtail.profile_names())


def test_bad_mixes_raise_clear_errors(yellowtail, tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'fulcone'"):
        yellowtail.run_nat_mix({"profiles": {"fulcone": 1}}, pairs=1)
    with pytest.raises(ValueError, match="0 or more"):
        yellowtail.run_nat_mix({"profiles": {"full-cone": -1}}, pairs=1)
    with pytest.raises(ValueError, match="profiles is empty"):
        yellowtail.run_nat_mix({"profiles": {}}, pairs=1)
    with pytest.raises(ValueError, match="not implemented"):
        yellowtail.run_nat_mix({"profiles": {"full-cone": 1}, "port_mapping": 0.2}, pairs=1)
    with pytest.raises(ValueError, match="cannot read"):
        yellowtail.run_nat_mix(str(tmp_path / "missing.json"), pairs=1)
    with pytest.raises(ValueError, match="pairs"):
        yellowtail.run_nat_mix({"profiles": {"full-cone": 1}}, pairs=0)
    with pytest.raises(TypeError, match="mix must be"):
        yellowtail.run_nat_mix(42)


def test_cli_refuses_a_bad_mix_file(build_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"profiles": {"full-cone": "lots"}}')
    done = subprocess.run([str(build_dir / "emulation" / "yellowtail-sim"), "nat-mix", "--mix", str(bad),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "profiles.full-cone must be a number" in done.stderr


def test_guard_catches_a_fallen_rate(build_dir, tmp_path):
    mix = tmp_path / "mix.json"
    mix.write_text(json.dumps({"name": "m", "profiles": {"full-cone": 1, "symmetric-random": 1}}))
    out = tmp_path / "results"
    done = subprocess.run([str(build_dir / "emulation" / "yellowtail-sim"), "nat-mix", "--mix", str(mix),
                           "--pairs", "4", "--seed", "1", "--quiet", "--out", str(out / "m")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "P2P rate" in done.stdout
    rate = json.loads((out / "m" / "results.json").read_text())["overall"]["p2p_rate"]
    entry = {"name": "m", "file": str(mix), "pairs": 4, "seed": 1, "strategy": "current",
             "p2p_rate": rate, "connectivity": 1.0}
    assert guard.compare({"tolerance": 0.0, "mixes": [entry]}, out) == []
    assert guard.compare({"tolerance": 0.0, "mixes": [dict(entry, p2p_rate=rate + 0.1)]}, out)
    assert guard.compare({"tolerance": 0.0, "mixes": [dict(entry, seed=2)]}, out)
