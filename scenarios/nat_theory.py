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

Birthday probing (the 'current' strategy) adds one case the rule above calls
impossible: a NAT with random ports per destination (APDM, random) against an
endpoint-independent one that filters (APDF or ADF). The random side opens 256
mappings toward the other, which probes 1024 random ports of its address; a
probe that lands on a mapping is a punch. That succeeds with probability
1 - (1 - 256/64512)^1024 = 98.3%, not 0 or 1, so such a pair matches theory when
that probability lies inside the measured rate's 95% Wilson interval. The random
side's datagrams carry the prepunch TTL: without it a Linux conntrack NAT on the
other side (linux-masquerade, home-behind-cgnat) holds their tuples and moves the
matching probe to another port, so with `prepunch` disabled those pairs fail.

TCP hole punching (the 'current' strategy, server/core/tunnel_planner.h 5.) takes
a pair with a side whose UDP is blocked direct over TCP when both sides' TCP
mappings are endpoint-independent: each learned its mapping with a connection
from its punch port to the server, and the punch from that port leaves through the
same mapping (an endpoint-dependent one would get a new port the peer never
hears of). The side whose peer filters connects first; its SYN opens its own NAT
and dies at the peer's, and the peer's SYN then gets through. Filtering does not
matter. A NAT that lets TCP out to port 443 only (tcp-443-only) cannot send the
SYN, so it never gets one.

Port mapping: a NAT that answers PCP or NAT-PMP grants the client's socket a
mapping open to every remote. Where the NAT maps endpoint-independently anyway
(home-router-pcp) that makes its filter endpoint-independent for the client, in
every strategy (the client asks whatever the server plans). Where it maps per
destination (symmetric-random-natpmp), only the planner's use of the mapping helps
(`portmap`, 'current' strategy): the side with the mapping counts as receptive, the
peer probes the mapped port first, and the answer leaves through it, so the pair is
direct whenever the peer's UDP gets out at all.

The same gateway also maps the client's TCP listening port (`portmap` with `tcp`,
tunnel_planner.h 5.): a peer whose UDP is blocked connects to that mapped port
instead of punching, so a NAT that answers PCP or NAT-PMP is direct against a
udp-blocked peer whatever its own mapping behaviour (symmetric-random-natpmp
too). Not against tcp-443-only, whose firewall lets TCP out to port 443 only:
a home gateway grants mappings above 1023 (miniupnpd's default rules), and the
client does not ask for a well-known port.

Techniques switched off in the run (results.json parameters.disable) are taken
into account: `prediction` (sequential NATs are not predicted), `birthday`,
`tcp`, `prepunch` (above) and `portmap`. The others (lan, serialize, follower-delay) do not change a
pair of the matrix in theory: one client per NAT, on different public IPs.

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
    # linux-masquerade whose PCP mapping of the client's port lets everyone in.
    "home-router-pcp": ("EIM", "preserve", "EIF", True),
    # symmetric-random, plus the NAT-PMP mapping the planner uses (PORT_MAPPED).
    "symmetric-random-natpmp": ("APDM", "random", "APDF", True),
}
# Profiles whose port mapping the planner needs to go direct (see above).
PORT_MAPPED = {"symmetric-random-natpmp"}
# Profiles whose NAT answers PCP or NAT-PMP: they map the TCP listening port too.
ANSWERS_PORT_MAPPING = {"home-router-pcp", "symmetric-random-natpmp"}


BIRTHDAY_SOCKETS, BIRTHDAY_PROBES, PORTS = 256, 1024, 65536 - 1024
BIRTHDAY_P = 1 - (1 - BIRTHDAY_SOCKETS / PORTS) ** BIRTHDAY_PROBES
# Profiles whose NAT is Linux conntrack, which holds an unsolicited inbound tuple.
CONNTRACK = {"linux-masquerade", "home-behind-cgnat"}


def leaves_from_probed_endpoint(profile, strategy, disabled=()):
    mapping, allocation, _, _ = PROFILES[profile]
    if mapping == "EIM":
        return True
    return strategy == "current" and allocation == "sequential" and "prediction" not in disabled


def reaches(sender, receiver, strategy, disabled=()):
    """Does a punch packet from `sender` pass `receiver`'s NAT?"""
    if leaves_from_probed_endpoint(sender, strategy, disabled):
        return True
    return PROFILES[receiver][2] in ("EIF", "ADF")


# Profiles that let TCP out to port 443 only: no SYN reaches a peer's mapping.
TCP_443_ONLY = {"tcp-443-only"}


def tcp_direct(a, b, strategy, disabled=()):
    """Does TCP hole punching take (a, b) direct? Only planned where UDP is blocked."""
    if strategy != "current" or "tcp" in disabled:
        return False
    if PROFILES[a][3] and PROFILES[b][3]:
        return False  # UDP first: no TCP plan
    if "portmap" not in disabled:
        for listening, connecting in ((a, b), (b, a)):
            if listening in ANSWERS_PORT_MAPPING and connecting not in TCP_443_ONLY:
                return True  # the connecting side's SYN goes to the mapped port
    return all(PROFILES[p][0] == "EIM" and p not in TCP_443_ONLY for p in (a, b))


def expected_direct(a, b, strategy, disabled=()):
    if not (PROFILES[a][3] and PROFILES[b][3]):
        return tcp_direct(a, b, strategy, disabled)
    if strategy == "current" and "portmap" not in disabled and (a in PORT_MAPPED or b in PORT_MAPPED):
        return True
    return reaches(a, b, strategy, disabled) and reaches(b, a, strategy, disabled)


def birthday_pair(a, b, strategy, disabled=()):
    """Is (a, b) a pair that only birthday probing takes direct?"""
    if strategy != "current" or "birthday" in disabled or expected_direct(a, b, strategy, disabled):
        return False
    for hard, easy in ((a, b), (b, a)):
        h, e = PROFILES[hard], PROFILES[easy]
        if h[0] == "APDM" and h[1] == "random" and e[0] == "EIM" and e[2] in ("APDF", "ADF") and h[3] and e[3]:
            return not ("prepunch" in disabled and easy in CONNTRACK)
    return False


def expected_rate(a, b, strategy, disabled=()):
    """The P2P rate theory expects: 0, 1, or birthday probing's probability."""
    if birthday_pair(a, b, strategy, disabled):
        return BIRTHDAY_P
    return 1.0 if expected_direct(a, b, strategy, disabled) else 0.0


def differences(results):
    """Human-readable lines for every pair whose measured rate does not match the
    theory: not its 0 or 1, or, for a birthday pair, a 95% interval that misses
    its probability. Pairs with unknown profiles are reported too."""
    out = []
    disabled = tuple(results.get("parameters", {}).get("disable", []))
    for p in results["pairs"]:
        a, b, strategy = p["profile_a"], p["profile_b"], p["strategy"]
        if a == "overall":
            continue
        if a not in PROFILES or b not in PROFILES:
            out.append(f"{a} x {b}: no theory for this profile")
            continue
        want = expected_rate(a, b, strategy, disabled)
        if want in (0.0, 1.0):
            if abs(p["p2p_rate"] - want) > 1e-9:
                out.append(f"{a} x {b} [{strategy}]: measured {p['p2p_rate']:.0%}, theory says {want:.0%}")
            continue
        low, high = p.get("p2p_rate_ci95", (p["p2p_rate"], p["p2p_rate"]))
        if not low - 1e-9 <= want <= high + 1e-9:
            out.append(f"{a} x {b} [{strategy}]: measured {p['p2p_rate']:.0%} (95% CI {low:.0%}-{high:.0%}), "
                       f"theory says {want:.1%} (birthday probing)")
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
