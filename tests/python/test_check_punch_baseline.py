"""The punch-rate guard's comparison rules, on hand-made results."""
import check_punch_baseline as guard


def results(rates, seeds=(1, 2)):
    pairs = [
        {"profile_a": a, "profile_b": b, "strategy": s, "attempts": 10, "direct": int(r * 10), "p2p_rate": r}
        for (a, b, s), r in rates.items()
    ]
    return {"parameters": {"seeds": list(seeds)}, "pairs": pairs}


BASE = {
    ("full-cone", "full-cone", "current"): 1.0,
    ("full-cone", "symmetric-random", "current"): 0.8,
    ("overall", "overall", "current"): 0.9,
}


def test_identical_results_pass():
    assert guard.compare(results(BASE), results(BASE)) == []


def test_pair_drop_within_tolerance_passes():
    now = dict(BASE)
    now[("full-cone", "symmetric-random", "current")] = 0.7
    assert guard.compare(results(now), results(BASE)) == []


def test_pair_drop_beyond_tolerance_fails():
    now = dict(BASE)
    now[("full-cone", "symmetric-random", "current")] = 0.6
    problems = guard.compare(results(now), results(BASE))
    assert len(problems) == 1 and "full-cone x symmetric-random" in problems[0]


def test_any_overall_drop_fails():
    now = dict(BASE)
    now[("overall", "overall", "current")] = 0.89
    problems = guard.compare(results(now), results(BASE))
    assert len(problems) == 1 and "overall" in problems[0]


def test_missing_pair_fails():
    now = dict(BASE)
    del now[("full-cone", "full-cone", "current")]
    assert any("missing" in p for p in guard.compare(results(now), results(BASE)))


def test_improvement_passes():
    now = {k: 1.0 for k in BASE}
    assert guard.compare(results(now), results(BASE)) == []


def with_connectivity(res, connectivity):
    for p in res["pairs"]:
        p["connectivity"] = connectivity[(p["profile_a"], p["profile_b"], p["strategy"])]
    return res


def test_connectivity_drop_fails_even_when_p2p_holds():
    base = with_connectivity(results(BASE), {k: 1.0 for k in BASE})
    lower = {k: 1.0 for k in BASE}
    lower[("full-cone", "symmetric-random", "current")] = 0.5  # relays lost
    problems = guard.compare(with_connectivity(results(BASE), lower), base)
    assert len(problems) == 1 and "connectivity" in problems[0] and "symmetric-random" in problems[0]


def test_a_baseline_without_connectivity_checks_p2p_only():
    lower = {k: 0.0 for k in BASE}
    assert guard.compare(with_connectivity(results(BASE), lower), results(BASE)) == []
