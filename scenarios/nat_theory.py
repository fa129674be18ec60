#!/usr/bin/python3
"""What NAT traversal theory (RFC 4787 behaviours, RFC 5128 section 3.3) says each
nat-matrix pair should do, and a check of a results.json against it.

The rule, for two clients on different public IPs that each probe the other's
candidates and answer any probe at its source (peer-reflexive endpoints):

  A's packet reaches B when it leaves A's NAT from an endpoint B has probed, or B's
  filter does not care about the port (EIF, ADF: B has sent to A's IP). It leaves
  from the endpoint B probed when A's mapping is endpoint-independent, or, with the
  'current' strategy, when A's NAT allocates sequentially and B probed the
  predicted ports (tunnel_planner.h). A direct tunnel needs it both ways; a NAT
  that blocks UDP never gets one (that is a relay's job).

usage: nat_theory.py RESULTS_JSON   # exit 1 when a pair differs from the theory
"""
import json
import sys

# Effective behaviour per profile (see nat-models/nat_profiles.cpp): mapping
# endpoint-independent?, port allocation, filtering, UDP at all?
PROFILES = {
    "full-cone": ("EIM", "preserve", "EIF", True),
    "restricted-cone": ("EIM", "preserve", "ADF", True),
    "port-restricted-cone": ("EIM", "preserve", "APDF", True),
    "symmetric-sequential": ("APDM", "sequential", "APDF", True),
    "symmetric-random": ("APDM", "random", "APDF", True),
    "linux-masquerade": ("EIM", "preserve", "APDF", True),
    "cgnat": ("EIM", "random", "EIF", True),
    "udp-blocked": ("EIM", "preserve", "APDF", False),
    "tcp-443-only": ("EIM", "preserve", "APDF", False),
    "one-to-one": ("EIM", "preserve", "EIF", True),
    # Linux masquerade behind an EIM/EIF CGN: both map endpoint-independently, and
    # the stricter filter (the home router's) decides.
    "home-behind-cgnat": ("EIM", "random", "APDF", True),
}


def leaves_from_probed_endpoint(profile, strategy):
    mapping, allocation, _, _ = PROFILES[profile]
    if mapping == "EIM":
        return True
    return strategy == "current" and allocation == "sequential"


def reaches(sender, receiver, strategy):
    """Does a punch packet from `sender` pass `receiver`'s NAT?"""
    if leaves_from_probed_endpoint(sender, strategy):
        return True
    return PROFILES[receiver][2] in ("EIF", "ADF")


def expected_direct(a, b, strategy):
    if not (PROFILES[a][3] and PROFILES[b][3]):
        return False
    return reaches(a, b, strategy) and reaches(b, a, strategy)


def differences(results):
    """Human-readable lines for every pair whose measured rate is not the
    theory's 0 or 1. Pairs with unknown profiles are reported too."""
    out = []
    for p in results["pairs"]:
        a, b, strategy = p["profile_a"], p["profile_b"], p["strategy"]
        if a == "overall":
            continue
        if a not in PROFILES or b not in PROFILES:
            out.append(f"{a} x {b}: no theory for this profile")
            continue
        want = 1.0 if expected_direct(a, b, strategy) else 0.0
        if abs(p["p2p_rate"] - want) > 1e-9:
            out.append(f"{a} x {b} [{strategy}]: measured {p['p2p_rate']:.0%}, theory says {want:.0%}")
    return out


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    with open(argv[1]) as f:
        results = json.load(f)
    if results["parameters"].get("loss_rate", 0) > 0 or results["parameters"].get("fault"):
        print("theory check skipped: it holds for loss-free, fault-free runs only")
        return 0
    diffs = differences(results)
    pairs = sum(1 for p in results["pairs"] if p["profile_a"] != "overall")
    if diffs:
        print(f"theory check: {len(diffs)} of {pairs} pair results differ:")
        for line in diffs:
            print("  " + line)
        return 1
    print(f"theory check: all {pairs} pair results match RFC 4787 traversal theory")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
