"""yellowtail.Scenario: a researcher's own topology, NATs and timeline, run in ns-3."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def lan(yellowtail, second_nat, **options):
    s = yellowtail.Scenario(duration_s=15, **options)
    s.site("home", yellowtail.Nat("port-restricted-cone"), hosts=["alice", "alice-tv"], delay_ms=15)
    s.site("away", second_nat, hosts=["bob"], delay_ms=25)
    s.public_host("vm", delay_ms=5)
    s.network("lan", ["alice", "bob", "vm"])
    s.at(5).send("alice", "vm", interval_ms=100, duration_s=5)
    return s


def test_outcomes_are_measured_and_overrides_take_effect(yellowtail):
    # Without birthday probing, no punch gets a random-port symmetric NAT through
    # a port-restricted cone; with it (the default), it goes direct.
    random_symmetric = lan(yellowtail, yellowtail.Nat("symmetric-random"), disable=["birthday"]).run(seed=1)
    assert random_symmetric.outcome("alice", "bob") == "relayed"
    assert lan(yellowtail, yellowtail.Nat("symmetric-random")).run(seed=1).outcome("alice", "bob") == "direct"
    assert random_symmetric.outcome("vm", "alice") == "direct"
    assert random_symmetric.p2p_rate() == pytest.approx(2 / 3)
    assert random_symmetric.connectivity() == 1.0
    flow = random_symmetric.flows[0]
    assert (flow["sent"], flow["delivered"]) == (50, 50)
    # The same device with endpoint-independent mapping punches.
    eim = lan(yellowtail, yellowtail.Nat("symmetric-random", mapping="endpoint-independent")).run(seed=1)
    assert eim.outcome("alice", "bob") == "direct"
    # RFC 4787 parameters alone describe a NAT too. Address-dependent mapping: the
    # mapping toward alice needs a port of its own (the server's mapping holds the
    # preserved one) and the fallback is random, so no prediction finds it.
    plain = lan(yellowtail, yellowtail.Nat(mapping="address-dependent", filtering="address-dependent")).run(seed=1)
    assert plain.outcome("alice", "bob") == "relayed"
    assert plain.outcome("bob", "vm") == "direct"
    frame = random_symmetric.pairs_frame()
    assert {"a", "b", "outcome", "time_to_direct_ms"} <= set(frame.columns)
    assert len(frame) == 3


def test_a_timeline_of_joins_and_faults(yellowtail):
    s = yellowtail.Scenario(duration_s=20)
    s.site("home", "linux-masquerade", hosts=["alice"])
    s.site("phone", [yellowtail.Nat("port-restricted-cone"), yellowtail.Nat("cgnat")], hosts=["carol"], delay_ms=40)
    s.relay("relay-1", delay_ms=5)
    s.network("lan", ["alice"])
    s.at(4).join("carol", "lan")
    s.at(6).send("carol", "alice", interval_ms=100, duration_s=10)
    s.at(9).link_down("phone", duration_s=2).nat_reboot("home")
    s.at(12).relay_down("relay-1")
    r = s.run()
    pair = r.pairs[0]
    assert pair["outcome"] == "direct" and pair["direct_at_s"] > 4
    assert r.flows[0]["longest_gap_s"] >= 2
    assert any("relay relay-1 fails" in line for line in r.log)
    assert json.loads(s.to_json())["events"][2]["action"] == "link-down"


def test_same_seed_same_result_and_sweeps_take_a_scenario(yellowtail, tmp_path):
    s = lan(yellowtail, yellowtail.Nat("cgnat"))
    a, b = s.run(seed=3).raw, s.run(seed=3).raw
    a.pop("wall_s"), b.pop("wall_s")
    assert a == b
    store = tmp_path / "store.jsonl"
    records = yellowtail.sweep(s, {}, seeds=[1, 2], serial=True, store=store, progress=False)
    assert [r["point"] for r in records] == [{"seed": 1}, {"seed": 2}]
    # The same description resumes from the store; another one is refused.
    again = yellowtail.sweep(lan(yellowtail, yellowtail.Nat("cgnat")), {}, seeds=[1, 2], serial=True, store=store,
                             progress=False)
    assert again == records
    with pytest.raises(yellowtail.SweepError, match="holds a sweep of"):
        yellowtail.sweep(lan(yellowtail, yellowtail.Nat("full-cone")), {}, seeds=[1], store=store)


def test_the_built_in_scenarios_are_scenarios_too(yellowtail):
    # The nat-matrix attempt and the public-peer run are descriptions of the same
    # kind: running them as a Scenario gives what the built-in functions measure.
    attempt = yellowtail.Scenario.nat_matrix_attempt("symmetric-sequential", "port-restricted-cone", seed=2)
    assert attempt.time_limit_s == 15
    assert [site["nats"][0]["profile"] for site in attempt._sites] == ["symmetric-sequential", "port-restricted-cone"]
    ran = attempt.run()
    built_in = yellowtail.run_attempt("symmetric-sequential", "port-restricted-cone", seed=2)
    assert ran.outcome("a", "b") == built_in["outcome"] == "direct"
    assert ran.pairs[0]["time_to_direct_ms"] == pytest.approx(built_in["time_to_direct_ms"])
    assert ran.ended_at_s < 15  # decided early, not run to the limit

    # Changed before running: a firewall on a's host leaves only the relay.
    attempt.at(0).block_peer_udp("a")
    assert attempt.run().outcome("a", "b") == "relayed"

    clash = yellowtail.Scenario.public_peer(follower_delay_ms=0)
    ran = clash.run()
    built_in = yellowtail.run_public_peer(follower_delay_ms=0)
    assert ran.outcome("alice", "bob") == ("direct" if built_in["direct"]["alice-bob"] else "relayed")
    assert ran.sites[0]["tuple_clashes"] == built_in["alice_nat_clashes"] > 0
    assert yellowtail.Scenario.from_json(clash.to_json()).to_json() == clash.to_json()
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        yellowtail.Scenario.from_json('{"colour": "red"}')


def test_population_is_a_crowd_scenario_that_gives_run_populations_figures(yellowtail):
    options = dict(clients=16, nats=[("full-cone", 1), ("udp-blocked", 1)], network_size=4, relays=1,
                   join_window_s=5.0, duration_s=25.0, traffic_interval_s=2.0, churn_per_minute=1.0,
                   churn_away_s=5.0, seed=3)
    s = yellowtail.Scenario.population(**options)
    assert s.topology == "regions" and s.path_probes is False and s.drain_s == 0
    assert s._crowd["clients"] == 16 and s._events[0]["action"] == "churn"
    assert yellowtail.Scenario.from_json(s.to_json()).to_json() == s.to_json()
    ran = s.run()
    built_in = yellowtail.run_population(**options)
    assert len(ran.pairs) == built_in["pairs"] == 4 * 6
    assert ran.raw["churned"] == built_in["churned"] > 0
    assert ran.raw["crowd_traffic"] == built_in["traffic"]
    assert sum(p["reported_tunnel"] for p in ran.pairs) == built_in["connected"]
    blocked = {c["name"] for c in ran.clients if c["site_nat"] == "udp-blocked"}
    assert 0 < len(blocked) < 16
    for p in ran.pairs:
        if p["a"] not in blocked and p["b"] not in blocked:
            assert p["reported_up_at_s"] is not None

    # A crowd of one's own, beside a listed site, with churn at a time of one's choosing.
    own = yellowtail.Scenario(duration_s=30, topology="regions", path_probes=False, clients_per_control_node=5)
    own.crowd(10, [("port-restricted-cone", 1)], network_size=5, join_window_s=3, traffic_interval_s=1)
    own.public_host("vm")
    own.network("office", ["vm", "c1"])
    own.at(6).churn(1.0, away_s=4)
    result = own.run()
    assert result.raw["server_control_nodes"] == 3
    assert result.raw["churned"] > 0
    assert any(p["a"] == "vm" or p["b"] == "vm" for p in result.pairs)


def test_relay_choice_is_a_scenario_with_a_triggered_failure(yellowtail):
    # The busiest relay fails once every pair is relayed (a trigger, not a time),
    # and the run ends when every pair is relayed again.
    options = dict(relay_delays_ms=[20, 4, 12], client_delays_ms=[10, 25, 40], seed=2)
    s = yellowtail.Scenario.relay_choice(**options)
    assert s.end_when == "all-relayed"
    failure = s._events[-1]
    assert (failure["action"], failure["relay"], failure["after"]) == ("relay-down", "@busiest", "all-relayed")
    ran = s.run()
    built_in = yellowtail.run_relay_choice(**options)
    by_pair = {(p["a"], p["b"]): p for p in ran.pairs}
    for p in built_in["pairs"]:
        pair = by_pair[(p["a"], p["b"])]
        assert pair["relay"] == p["after"]["relay"] == "relay-3"
        assert pair["relay_changes"][0]["relay"] == p["before"]["relay"] == "relay-2"
    assert [r["forwarded"] for r in ran.relays] == [r["forwarded"] for r in built_in["relays"]]
    assert ran.relays[2]["down_at_s"] == pytest.approx(built_in["failed_at_s"])
    assert ran.settled_at_s - ran.event_times_s[-1] == pytest.approx(built_in["moved_after_s"])
    assert ran.server["relay_repicks"] == built_in["repicks"] == 3

    # A researcher's own: fail the relay a second after every pair is relayed.
    own = yellowtail.Scenario(duration_s=30, end_when="all-relayed")
    own.relay("near", delay_ms=2).relay("far", delay_ms=10)
    for name in ("a", "b"):
        own.site(name, "symmetric-random", hosts=[name])
    own.network("lan", ["a", "b"])
    own.when("all-relayed", plus_s=1).relay_down("near")
    r = own.run()
    assert r.pairs[0]["relay"] == "far" and r.relays[1]["down_at_s"] is not None
    with pytest.raises(ValueError, match="unknown condition"):
        own.when("sunset")


def test_outage_is_a_scenario_with_traffic_and_a_fault_when_it_carries(yellowtail):
    options = dict(fault="nat-reboot", clients=3, settle_s=2, observe_s=8, new_ip=True, side=2)
    s = yellowtail.Scenario.outage(**options)
    assert not s.path_probes and s.end_after_s == 8
    traffic, fault = s._events[-2], s._events[-1]
    assert (traffic["action"], traffic["after"]) == ("traffic", "all-online")
    assert (fault["action"], fault["site"], fault["after"], fault["by_s"]) == ("nat-reboot", "client-2", "all-carrying", 60)
    ran = s.run()
    built_in = yellowtail.run_outage(**options)
    assert ran.event_times_s[-1] == pytest.approx(built_in["fault_at_s"])
    # The per-second timeline is the built-in's, up to where the built-in stops counting.
    assert ran.timeline[: len(built_in["timeline"])] == built_in["timeline"]
    assert sum(t["offered"] for t in ran.traffic) >= sum(p["offered"] for p in built_in["pairs"])
    assert all(p["outcome"] == "direct" for p in ran.pairs if "client-3" not in (p["a"], p["b"]))

    # A researcher's own: a phone that roams from Wi-Fi to LTE while it talks.
    own = yellowtail.Scenario(duration_s=40, path_probes=False, end_after_s=5)
    own.site("wifi", "port-restricted-cone", hosts=["phone"]).site("lte", "cgnat", hosts=[])
    own.public_host("pc")
    own.network("lan", ["phone", "pc"])
    own.when("all-online").traffic("lan", interval_ms=50)
    own.when("all-carrying", 2, by_s=30).roam("phone", "lte")
    r = own.run()
    assert r.event_times_s[-1] is not None and len(r.clients[0]["syncs_at_s"]) >= 2
    assert r.traffic[0]["offered"] > 0 and r.timeline


def test_bad_descriptions_get_clear_errors(yellowtail):
    with pytest.raises(ValueError, match="unknown NAT profile 'no-such'"):
        yellowtail.Nat("no-such")
    with pytest.raises(ValueError, match="unknown mapping 'sideways'"):
        yellowtail.Nat(mapping="sideways")
    with pytest.raises(ValueError, match="needs a profile or RFC 4787 parameters"):
        yellowtail.Nat()
    s = yellowtail.Scenario()
    s.site("home", "full-cone", hosts=["alice"])
    s.network("lan", ["alice", "ghost"])
    with pytest.raises(ValueError, match="network lan: no client 'ghost'"):
        s.run()
    s = yellowtail.Scenario(duration_s=10)
    s.site("home", "full-cone", hosts=["alice"])
    s.at(20).start("alice")
    with pytest.raises(ValueError, match=r"event 1 \(start\): at_s must be within the run"):
        s.run()
    with pytest.raises(ValueError, match="not valid JSON"):
        yellowtail.run_scenario("{")


def run_script(build_dir, *args):
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"))
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_example_scripts_run_on_small_inputs(build_dir):
    out = run_script(build_dir, str(REPO / "scenarios/examples/second_host_sequential.py"), "--seeds", "2")
    assert "alice alone" in out and "alice and the TV" in out
    out = run_script(build_dir, str(REPO / "scenarios/examples/crowded_sequential_nat.py"), "--seeds", "1", "--serial")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "32 of 32" in rows["serialized"]
    out = run_script(build_dir, str(REPO / "scenarios/examples/relays_needed.py"), "--clients", "24", "--seeds", "1",
                     "--relays", "0,1", "--serial")
    assert "connectivity" in out and len(out.strip().splitlines()) == 4


def test_the_json_example_runs_in_yellowtail_sim(build_dir, tmp_path):
    done = subprocess.run([str(build_dir / "emulation/yellowtail-sim"), "scenario",
                           str(REPO / "scenarios/examples/home_and_cafe.json"), "--quiet", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "scenario.json").read_text())
    assert len(result["pairs"]) == 10
    assert {p["outcome"] for p in result["pairs"]} <= {"direct", "relayed", "failed"}
    assert "carol" in done.stdout

    # A crowd beside listed sites: 20 networks of 6 drawn clients, plus "ops".
    done = subprocess.run([str(build_dir / "emulation/yellowtail-sim"), "scenario",
                           str(REPO / "scenarios/examples/crowd.json"), "--quiet", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "scenario.json").read_text())
    assert len(result["pairs"]) == 20 * 15 + 5
    assert result["server_control_nodes"] == 3 and result["churned"] > 0
    assert result["crowd_traffic"]["delivered"] > 0.9 * result["crowd_traffic"]["sent"] > 0
    assert result["flows"][0]["delivered"] > 0
