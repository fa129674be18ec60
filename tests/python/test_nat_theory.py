"""The traversal theory the nat-matrix is checked against."""
import nat_theory as theory


def test_textbook_pairs():
    assert theory.expected_direct("full-cone", "symmetric-random", "naive")
    assert theory.expected_direct("restricted-cone", "symmetric-random", "naive")
    assert theory.expected_direct("port-restricted-cone", "linux-masquerade", "naive")
    assert not theory.expected_direct("port-restricted-cone", "symmetric-random", "naive")
    assert not theory.expected_direct("symmetric-sequential", "symmetric-sequential", "naive")
    assert not theory.expected_direct("udp-blocked", "full-cone", "naive")


def test_prediction_helps_sequential_only():
    assert theory.expected_direct("symmetric-sequential", "port-restricted-cone", "current")
    assert theory.expected_direct("symmetric-sequential", "symmetric-sequential", "current")
    assert not theory.expected_direct("symmetric-random", "port-restricted-cone", "current")
    assert not theory.expected_direct("symmetric-sequential", "symmetric-random", "current")
    assert not theory.expected_direct("symmetric-sequential", "port-restricted-cone", "current", ("prediction",))


def test_birthday_probing_gives_random_symmetric_a_probability_against_filtering_eim():
    assert 0.98 < theory.BIRTHDAY_P < 0.99
    assert theory.expected_rate("symmetric-random", "port-restricted-cone", "current") == theory.BIRTHDAY_P
    assert theory.expected_rate("linux-masquerade", "symmetric-random", "current") == theory.BIRTHDAY_P
    assert theory.expected_rate("symmetric-random", "port-restricted-cone", "naive") == 0.0
    assert theory.expected_rate("symmetric-random", "port-restricted-cone", "current", ("birthday",)) == 0.0
    # Conntrack holds the opening side's tuples unless they die on the way (prepunch).
    assert theory.expected_rate("symmetric-random", "linux-masquerade", "current", ("prepunch",)) == 0.0
    assert theory.expected_rate("symmetric-random", "port-restricted-cone", "current", ("prepunch",)) > 0.98
    # Not where an ordinary punch works already, nor between two random NATs.
    assert theory.expected_rate("symmetric-random", "full-cone", "current") == 1.0
    assert theory.expected_rate("symmetric-random", "symmetric-random", "current") == 0.0
    assert theory.expected_rate("symmetric-random", "symmetric-sequential", "current") == 0.0


def test_a_port_mapping_nat_is_direct_against_every_udp_capable_peer():
    for peer in theory.PROFILES:
        for nat in ("home-router-pcp", "symmetric-random-natpmp"):
            # No UDP: the peer connects over TCP to the gateway's mapping of the
            # client's listening port, unless its firewall lets TCP out to 443 only.
            want = theory.PROFILES[peer][3] or peer == "udp-blocked"
            assert theory.expected_rate(nat, peer, "current") == (1.0 if want else 0.0), (nat, peer)
    # The listening port's mapping needs both techniques.
    assert theory.expected_rate("symmetric-random-natpmp", "udp-blocked", "current", ("portmap",)) == 0.0
    assert theory.expected_rate("symmetric-random-natpmp", "udp-blocked", "current", ("tcp",)) == 0.0
    assert theory.expected_rate("udp-blocked", "symmetric-random-natpmp", "naive") == 0.0
    # The planner's part: without it the per-destination NAT is symmetric-random again.
    assert theory.expected_rate("symmetric-random-natpmp", "symmetric-random", "current", ("portmap",)) == 0.0
    assert theory.expected_rate("symmetric-random-natpmp", "port-restricted-cone", "current", ("portmap",)) == \
        theory.BIRTHDAY_P
    assert not theory.expected_direct("symmetric-random-natpmp", "port-restricted-cone", "naive")
    # An endpoint-independent NAT opened by the mapping is open whoever plans.
    assert theory.expected_direct("home-router-pcp", "symmetric-random", "naive")


def test_a_birthday_pair_matches_when_its_interval_holds_the_probability():
    ok = dict(pair("symmetric-random", "port-restricted-cone", "current", 0.95), p2p_rate_ci95=[0.83, 0.99])
    low = dict(pair("symmetric-random", "port-restricted-cone", "current", 0.5), p2p_rate_ci95=[0.3, 0.7])
    assert theory.differences({"pairs": [ok]}) == []
    assert "theory says 98.3% (birthday probing)" in theory.differences({"pairs": [low]})[0]


def test_tcp_punching_takes_udp_blocked_direct_against_endpoint_independent_tcp_mappings():
    for peer in ("full-cone", "restricted-cone", "port-restricted-cone", "linux-masquerade", "cgnat",
                 "one-to-one", "home-behind-cgnat", "udp-blocked"):
        assert theory.expected_direct("udp-blocked", peer, "current"), peer
        assert not theory.expected_direct("udp-blocked", peer, "current", ("tcp",)), peer
        assert not theory.expected_direct("udp-blocked", peer, "naive"), peer
    # A new mapping per destination: the punch leaves from a port the peer never heard of.
    assert not theory.expected_direct("udp-blocked", "symmetric-sequential", "current")
    assert not theory.expected_direct("udp-blocked", "symmetric-random", "current")
    # No SYN leaves for a port other than 443.
    assert not theory.expected_direct("tcp-443-only", "full-cone", "current")
    assert not theory.expected_direct("tcp-443-only", "udp-blocked", "current")


def test_rule_is_symmetric_in_the_pair():
    for a in theory.PROFILES:
        for b in theory.PROFILES:
            for s in ("naive", "current"):
                assert theory.expected_direct(a, b, s) == theory.expected_direct(b, a, s), (a, b, s)


def pair(a, b, strategy, rate):
    return {"profile_a": a, "profile_b": b, "strategy": strategy, "p2p_rate": rate}


def test_differences_name_the_pair():
    results = {"pairs": [pair("full-cone", "full-cone", "naive", 1.0),
                         pair("port-restricted-cone", "symmetric-random", "naive", 0.5),
                         pair("martian", "full-cone", "naive", 1.0),
                         pair("overall", "overall", "naive", 0.5)]}
    diffs = theory.differences(results)
    assert len(diffs) == 2
    assert "port-restricted-cone x symmetric-random [naive]: measured 50%" in diffs[0]
    assert "no theory" in diffs[1]


def test_cli_skips_lossy_runs(tmp_path, capsys):
    path = tmp_path / "r.json"
    path.write_text('{"parameters": {"loss_rate": 0.1}, "pairs": []}')
    assert theory.main(["nat_theory.py", str(path)]) == 0
    assert "skipped" in capsys.readouterr().out
