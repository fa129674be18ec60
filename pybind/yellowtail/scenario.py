"""Scenarios of your own: sites, NATs, relays, networks and a timeline of events.

A ``Scenario`` is a description, built step by step and run inside ns-3 with the
same client, server and relay cores as the real daemons::

    from yellowtail import Nat, Scenario

    s = Scenario(duration_s=30)
    s.site("home", Nat("port-restricted-cone"), hosts=["alice", "alice-tv"], delay_ms=15)
    s.site("office", Nat(mapping="address-and-port-dependent", allocation="random"), hosts=["bob"])
    s.public_host("vm", delay_ms=5)
    s.network("lan", ["alice", "bob", "vm"])
    s.at(10).send("alice", "bob", interval_ms=100, duration_s=10)
    s.at(15).nat_reboot("home")
    result = s.run(seed=1)
    print(result.pairs_frame())

The same description is a JSON document (``Scenario.to_json``), which
``yellowtail-sim scenario FILE`` runs too (scenarios/examples/ has some).
The built-in scenarios are descriptions of the same kind:
``Scenario.nat_matrix_attempt("cgnat", "symmetric-random")`` and
``Scenario.public_peer()``, ``Scenario.relay_choice()``, ``Scenario.outage()``,
``Scenario.population()`` give the ones ``run_attempt``, ``run_public_peer``,
``run_relay_choice``, ``run_outage`` and ``run_population`` run, to read or to
change before running. At scale, ``s.crowd(10000, [("cgnat", 1), ...])`` draws
clients from a NAT mix instead of listing them, and ``s.at(40).churn(0.05, 10)``
takes some away and brings them back.
Outcomes are measured: a pair is direct only when its clients saw a probe cross
both NATs both ways, and a flow's deliveries are datagrams that arrived.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _core

MAPPINGS = ("endpoint-independent", "address-dependent", "address-and-port-dependent")
FILTERINGS = MAPPINGS
ALLOCATIONS = ("preserve", "sequential", "random")


class Nat:
    """One NAT device: a named profile (``yellowtail.profile_names()``), RFC 4787
    parameters, or a profile with some parameters overridden.

    mapping / filtering: "endpoint-independent", "address-dependent" or
        "address-and-port-dependent" (RFC 4787 sections 4.1 and 5).
    allocation: "preserve", "sequential" or "random" external ports.
    mapping_timeout_s: how long an idle UDP mapping lives.
    hairpinning: whether hosts behind it reach each other via its public address.
    Without a profile the rest default to an endpoint-independent, port-preserving,
    address-and-port-dependent-filtering NAT (a typical home router).
    """

    def __init__(
        self,
        profile: Optional[str] = None,
        *,
        mapping: Optional[str] = None,
        filtering: Optional[str] = None,
        allocation: Optional[str] = None,
        mapping_timeout_s: Optional[float] = None,
        hairpinning: Optional[bool] = None,
    ):
        for value, allowed, what in (
            (mapping, MAPPINGS, "mapping"),
            (filtering, FILTERINGS, "filtering"),
            (allocation, ALLOCATIONS, "allocation"),
        ):
            if value is not None and value not in allowed:
                raise ValueError(f"unknown {what} {value!r}; one of {', '.join(allowed)}")
        if profile is not None and profile not in _core.profile_names():
            raise ValueError(f"unknown NAT profile {profile!r}; see yellowtail.profile_names()")
        if profile is None and all(
            v is None for v in (mapping, filtering, allocation, mapping_timeout_s, hairpinning)
        ):
            raise ValueError("a Nat needs a profile or RFC 4787 parameters")
        self.profile = profile
        self.mapping = mapping
        self.filtering = filtering
        self.allocation = allocation
        self.mapping_timeout_s = mapping_timeout_s
        self.hairpinning = hairpinning

    def to_json(self) -> Union[str, Dict[str, Any]]:
        fields = {
            "mapping": self.mapping,
            "filtering": self.filtering,
            "allocation": self.allocation,
            "mapping_timeout_s": self.mapping_timeout_s,
            "hairpinning": self.hairpinning,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        if not fields:
            return self.profile  # type: ignore[return-value]
        if self.profile:
            fields["profile"] = self.profile
        return fields

    def __repr__(self) -> str:
        return f"Nat({self.to_json()!r})"


CONDITIONS = ("all-online", "all-relayed", "all-carrying")


class _At:
    """What happens at one moment: returned by ``Scenario.at(seconds)``, or by
    ``Scenario.when(condition, plus_s)`` for a moment the run's state decides."""

    def __init__(self, scenario: "Scenario", at_s: float, after: Optional[str] = None,
                 by_s: Optional[float] = None):
        if after is not None and after not in CONDITIONS:
            raise ValueError(f"unknown condition {after!r}; one of {', '.join(CONDITIONS)}")
        self._scenario = scenario
        self._at = float(at_s)
        self._after = after
        self._by = by_s

    def _add(self, action: str, **fields: Any) -> "_At":
        event = {"at_s": self._at, "action": action}
        event.update({k: v for k, v in fields.items() if v is not None})
        if self._after is not None:
            event["after"] = self._after
        if self._by is not None:
            event["by_s"] = self._by
        self._scenario._events.append(event)
        return self

    def start(self, client: str) -> "_At":
        """The client logs in now (by default every client starts at start_s)."""
        return self._add("start", client=client)

    def join(self, client: str, network: str) -> "_At":
        return self._add("join", client=client, network=network)

    def leave(self, client: str, network: str) -> "_At":
        return self._add("leave", client=client, network=network)

    def offline(self, client: str, network: str) -> "_At":
        """The client appears offline in the network (Hamachi's per-network switch)."""
        return self._add("offline", client=client, network=network)

    def online(self, client: str, network: str) -> "_At":
        return self._add("online", client=client, network=network)

    def send(self, client: str, to: str, *, interval_ms: float = 100, duration_s: float = 10) -> "_At":
        """A flow: one datagram every interval_ms for duration_s, over whatever
        path the tunnel has (a send with no path counts as lost)."""
        return self._add("send", client=client, to=to, interval_ms=interval_ms, duration_s=duration_s)

    def server_down(self, duration_s: float) -> "_At":
        """The server process dies; a fresh one starts on the same database later."""
        return self._add("server-down", duration_s=duration_s)

    def link_down(self, site: str, duration_s: float, loss: float = 1.0) -> "_At":
        """The site's access link loses `loss` of its packets (1: cut) for a while."""
        return self._add("link-down", site=site, duration_s=duration_s, loss=loss)

    def nat_reboot(self, site: str, new_ip: bool = False) -> "_At":
        """The site's outermost NAT forgets every mapping (and takes a new IP)."""
        return self._add("nat-reboot", site=site, new_ip=new_ip)

    def relay_down(self, relay: str) -> "_At":
        """The relay stops for good (its pairs are planned again on another).
        "@busiest": the separate relay carrying the most pairs at that moment;
        "@most-forwarded": the one that forwarded the most datagrams so far."""
        return self._add("relay-down", relay=relay)

    def traffic(self, network: str, *, interval_ms: float = 100, duration_s: float = 0) -> "_At":
        """Every member of the network (from the start) sends every other one a
        numbered datagram each interval_ms, until the end of the run (duration_s
        0) or for duration_s. The result's ``traffic`` sums each direction and
        ``timeline`` counts offered and delivered datagrams per second."""
        return self._add("traffic", network=network, interval_ms=interval_ms, duration_s=duration_s)

    def pause_traffic(self, network: str, duration_s: float) -> "_At":
        """The network's traffic skips its rounds for duration_s: idle tunnels,
        only keepalives hold the NATs' mappings (clients' ``sent_while_paused``)."""
        return self._add("pause-traffic", network=network, duration_s=duration_s)

    def roam(self, client: str, site: str, *, silent: bool = False) -> "_At":
        """The client's host moves into the site's LAN (a site with no hosts, e.g.
        s.site("lte", "cgnat", hosts=[])): new address, new NAT, same process.
        Its OS tells the client unless silent."""
        return self._add("roam", client=client, site=site, silent=silent)

    def churn(self, rate_per_minute: float, away_s: float) -> "_At":
        """From now on, once a second, rate_per_minute of the present clients
        (synced, not churned away) leave, each back away_s later (no departure
        whose return would fall within 5 s of the end)."""
        return self._add("churn", rate_per_minute=rate_per_minute, duration_s=away_s)

    def block_peer_udp(self, client: str) -> "_At":
        """From now on the client's host drops every UDP datagram not sent to the
        server (a firewall that blocks peer-to-peer UDP): only a relay is left."""
        return self._add("block-peer-udp", client=client)


class ScenarioResult:
    """What a run measured: ``pairs``, ``flows``, ``clients``, ``sites`` and
    ``relays`` (the built-in one first, with datagrams forwarded and when it went
    down) as plain records (lists of dicts), the event ``log``, the server's
    counters (``server``), when each event happened (``event_times_s``, None: never),
    when ``end_when`` ended the run (``settled_at_s``) and ``scenario`` (the
    description as run)."""

    def __init__(self, raw: Dict[str, Any]):
        self.raw = raw
        self.scenario: Dict[str, Any] = raw["scenario"]
        self.pairs: List[Dict[str, Any]] = raw["pairs"]
        self.flows: List[Dict[str, Any]] = raw["flows"]
        self.clients: List[Dict[str, Any]] = raw["clients"]
        self.log: List[str] = raw["log"]
        self.sites: List[Dict[str, Any]] = raw["sites"]
        self.server: Dict[str, int] = raw["server"]
        self.relays: List[Dict[str, Any]] = raw["relays"]
        self.event_times_s: List[Optional[float]] = raw["event_times_s"]
        self.event_ends_s: List[Optional[float]] = raw["event_ends_s"]
        self.traffic: List[Dict[str, Any]] = raw["traffic"]
        self.timeline: List[Dict[str, Any]] = raw["timeline"]
        self.server_logins: List[Dict[str, Any]] = raw["server_logins"]
        self.settled_at_s: Optional[float] = raw["settled_at_s"]
        self.ended_at_s: float = raw["ended_at_s"]
        self.simulator_events: int = raw["simulator_events"]

    def outcome(self, a: str, b: str) -> str:
        """"direct", "relayed" or "failed" for the pair (either order)."""
        for p in self.pairs:
            if {p["a"], p["b"]} == {a, b}:
                return p["outcome"]
        raise KeyError(f"{a} and {b} never shared a network")

    def p2p_rate(self) -> float:
        """Pairs that went direct, over all pairs."""
        return sum(p["outcome"] == "direct" for p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def connectivity(self) -> float:
        """Pairs that went direct or relayed, over all pairs."""
        return sum(p["outcome"] != "failed" for p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def pairs_frame(self):
        """The pairs as a pandas DataFrame (Debian: python3-pandas)."""
        import pandas

        return pandas.DataFrame(self.pairs)

    def flows_frame(self):
        import pandas

        return pandas.DataFrame(self.flows)

    def __repr__(self) -> str:
        return (
            f"ScenarioResult({len(self.pairs)} pairs, p2p {self.p2p_rate():.0%}, "
            f"connectivity {self.connectivity():.0%}, {len(self.flows)} flows)"
        )


class Scenario:
    """A description of sites, relays, networks and events (see the module doc).

    duration_s: simulated seconds; start_s: when clients log in unless a start
    event says otherwise; server_delay_ms: the server's access link delay;
    serialize_sequential_plans: the server plans tunnels that predict a sequential
    NAT's ports one at a time per public IP, each after a fresh probe (False: all
    at once from the ports discovery saw, for comparison); strategy: the server's
    punch strategy ("current", or "naive": both sides probe the observed
    endpoints at once); disable: techniques of "current" to leave out (lan,
    prediction, serialize, prepunch, follower-delay, birthday, tcp), to measure what
    each adds; relay_first: clients bind the relay at the instruction
    (False: only after the punch window failed); server_loss: the server's access
    link loss; punch_follower_delay_ms: the server's delay before a receptive
    side starts punching (None: its default); time_limit_s: end early, this long
    after every client is online or once every pair is decided (None: run the
    whole duration); end_when: end early once every event has happened and this
    condition holds ("all-online", "all-relayed", "all-carrying"; with triggered
    events the time limit then counts from the latest of them too); end_after_s:
    end this long after the last event happened and ended (traffic stops, 2 s
    more for datagrams in flight); check_interval_s: how often conditions are
    checked; path_probes: False sends no probe datagrams (pairs' paths are then
    proven by their traffic, flows and crowd datagrams only; each pair also carries the cores'
    reports, reported_up_at_s and reported_tunnel). For runs at scale (see
    crowd()): topology "regions" puts every site behind region routers with no
    queue discs, one-host LANs point-to-point and the server side on 10 Gbps
    links; clients_per_control_node spreads the server's control connections
    over ns-3 nodes of that many clients each (0: the server's node takes all);
    drain_s: simulated seconds after the end for datagrams in flight (0: stop at
    duration_s).
    """

    _SETTINGS = (
        "seed", "duration_s", "start_s", "server_delay_ms", "serialize_sequential_plans", "strategy",
        "disable", "relay_first", "server_loss", "punch_follower_delay_ms", "time_limit_s", "end_when",
        "end_after_s", "check_interval_s", "path_probes", "topology", "clients_per_control_node", "drain_s",
    )

    def __init__(
        self,
        *,
        duration_s: float = 30,
        start_s: float = 1,
        server_delay_ms: float = 10,
        seed: int = 1,
        serialize_sequential_plans: bool = True,
        strategy: str = "current",
        disable: Sequence[str] = (),
        relay_first: bool = True,
        server_loss: float = 0.0,
        punch_follower_delay_ms: Optional[float] = None,
        time_limit_s: Optional[float] = None,
        end_when: Optional[str] = None,
        end_after_s: Optional[float] = None,
        check_interval_s: float = 0.05,
        path_probes: bool = True,
        topology: str = "flat",
        clients_per_control_node: int = 0,
        drain_s: float = 2.0,
    ):
        self.topology = topology
        self.clients_per_control_node = clients_per_control_node
        self.drain_s = drain_s
        self._crowd: Optional[Dict[str, Any]] = None
        self.end_after_s = end_after_s
        self.check_interval_s = check_interval_s
        self.path_probes = path_probes
        if end_when is not None and end_when not in CONDITIONS:
            raise ValueError(f"unknown end_when {end_when!r}; one of {', '.join(CONDITIONS)}")
        self.end_when = end_when
        self.serialize_sequential_plans = serialize_sequential_plans
        self.strategy = strategy
        self.disable = list(disable)
        self.relay_first = relay_first
        self.server_loss = server_loss
        self.punch_follower_delay_ms = punch_follower_delay_ms
        self.time_limit_s = time_limit_s
        self.duration_s = duration_s
        self.start_s = start_s
        self.server_delay_ms = server_delay_ms
        self.seed = seed
        self._relays: List[Dict[str, Any]] = []
        self._sites: List[Dict[str, Any]] = []
        self._networks: Dict[str, List[str]] = {}
        self._events: List[Dict[str, Any]] = []

    def site(
        self,
        name: str,
        nats: Union[Nat, str, Sequence[Union[Nat, str]]],
        hosts: Sequence[str],
        *,
        delay_ms: float = 10,
        loss: float = 0.0,
        lan_delay_ms: float = 0.2,
        background_flows_per_s: float = 0.0,
        jitter_ms: float = 0.0,
    ) -> "Scenario":
        """A LAN with `hosts` (client names) behind `nats`: one NAT, a profile name,
        or a chain innermost first (e.g. [Nat("port-restricted-cone"), Nat("cgnat")]
        for a home router behind a carrier-grade NAT). delay_ms and loss are the
        access link's; lan_delay_ms the LAN's (above 5 ms, a slow hop such as a
        busy Wi-Fi, for one host only); background_flows_per_s: another host on the
        LAN opens that many new flows a second, which moves a sequential NAT's port
        counter between discovery and punch; jitter_ms: each packet through the
        site's NAT waits a uniform 0..jitter_ms more."""
        if isinstance(nats, (Nat, str)):
            nats = [nats]
        # hosts=[]: a network nobody starts in, for _At.roam.
        chain = [n if isinstance(n, Nat) else Nat(n) for n in nats]
        if not chain:
            raise ValueError("a NAT site needs at least one NAT; use public_host for none")
        self._sites.append(
            {"name": name, "nats": [n.to_json() for n in chain], "hosts": list(hosts), "delay_ms": delay_ms,
             "loss": loss, "lan_delay_ms": lan_delay_ms, "background_flows_per_s": background_flows_per_s,
             "jitter_ms": jitter_ms}
        )
        return self

    def public_host(self, name: str, *, delay_ms: float = 10, loss: float = 0.0) -> "Scenario":
        """A client with a public address (its site has the same name)."""
        self._sites.append({"name": name, "nats": [], "hosts": [name], "delay_ms": delay_ms, "loss": loss})
        return self

    def relay(self, name: str, *, delay_ms: float = 10) -> "Scenario":
        """A separate relay (besides the server's built-in one)."""
        self._relays.append({"name": name, "delay_ms": delay_ms})
        return self

    def network(self, name: str, members: Sequence[str]) -> "Scenario":
        """An open network with these members from the start (others may join later)."""
        self._networks[name] = list(members)
        return self

    def crowd(
        self,
        clients: int,
        nat_mix: Sequence[Tuple[str, float]],
        *,
        network_size: int = 8,
        delay_min_ms: float = 5,
        delay_max_ms: float = 40,
        join_window_s: float = 30,
        traffic_interval_s: float = 5,
    ) -> "Scenario":
        """Clients drawn rather than listed, for runs at scale: "c1".."cN", each
        alone behind its own NAT drawn from nat_mix ([(profile, weight), ...]),
        its access delay uniform over [delay_min_ms, delay_max_ms], in networks
        "pop-0", "pop-1", ... of network_size, logging in at 0.5 s plus a uniform
        draw over join_window_s; every traffic_interval_s (0: never) each sends a
        datagram to every peer it has a tunnel with. Use with topology="regions"
        and path_probes=False for thousands of clients."""
        self._crowd = {
            "clients": clients, "nat_mix": [{"nat": nat, "weight": weight} for nat, weight in nat_mix],
            "network_size": network_size, "delay_min_ms": delay_min_ms, "delay_max_ms": delay_max_ms,
            "join_window_s": join_window_s, "traffic_interval_s": traffic_interval_s,
        }
        return self

    def at(self, seconds: float) -> _At:
        """Events at `seconds`: s.at(10).join("carol", "lan").send("carol", "bob")."""
        return _At(self, seconds)

    def when(self, condition: str, plus_s: float = 0, *, by_s: Optional[float] = None) -> _At:
        """Events `plus_s` seconds after the first moment (checked every 50 ms) that
        `condition` holds, e.g. s.when("all-relayed").relay_down("@busiest"):
        "all-online" (every client synced), "all-relayed" (every pair carried
        probes through a relay both ways since the last relay failure, both sides
        on the same relay, which is up) or "all-carrying" (every pair of every
        traffic network had a datagram arrive each way within the last second).
        by_s: the event happens then at the latest, whether or not the condition
        held; without it, such an event never happens if the condition never
        holds."""
        return _At(self, plus_s, after=condition, by_s=by_s)

    def to_json(self, seed: Optional[int] = None) -> str:
        description: Dict[str, Any] = {
            "seed": self.seed if seed is None else seed,
            "duration_s": self.duration_s,
            "start_s": self.start_s,
            "server_delay_ms": self.server_delay_ms,
            "serialize_sequential_plans": self.serialize_sequential_plans,
            "strategy": self.strategy,
            "disable": self.disable,
            "relay_first": self.relay_first,
            "server_loss": self.server_loss,
            "relays": self._relays,
            "sites": self._sites,
            "networks": self._networks,
            "events": self._events,
        }
        if self.punch_follower_delay_ms is not None:
            description["punch_follower_delay_ms"] = self.punch_follower_delay_ms
        if self.time_limit_s is not None:
            description["time_limit_s"] = self.time_limit_s
        if self.end_when is not None:
            description["end_when"] = self.end_when
        if self.end_after_s is not None:
            description["end_after_s"] = self.end_after_s
        if self.check_interval_s != 0.05:
            description["check_interval_s"] = self.check_interval_s
        if not self.path_probes:
            description["path_probes"] = False
        if self.topology != "flat":
            description["topology"] = self.topology
        if self.clients_per_control_node:
            description["clients_per_control_node"] = self.clients_per_control_node
        if self.drain_s != 2.0:
            description["drain_s"] = self.drain_s
        if self._crowd is not None:
            description["crowd"] = self._crowd
        return json.dumps(description, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        """The description in a JSON document (Scenario.to_json's, or a file for
        ``yellowtail-sim scenario``). Fields it does not know are refused when it runs."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("a scenario is a JSON object")
        scenario = cls()
        lists = {"relays": "_relays", "sites": "_sites", "events": "_events"}
        for key, value in raw.items():
            if key in lists:
                setattr(scenario, lists[key], list(value))
            elif key == "crowd":
                scenario._crowd = dict(value)
            elif key == "networks":
                scenario._networks = {name: list(members) for name, members in value.items()}
            elif key in cls._SETTINGS:
                setattr(scenario, key, value)
            else:
                raise ValueError(f"scenario: unknown field '{key}'")
        return scenario

    @classmethod
    def nat_matrix_attempt(cls, profile_a: str, profile_b: str, **options: Any) -> "Scenario":
        """The scenario one nat-matrix attempt runs (options as yellowtail.run_attempt:
        strategy, seed, delay_ms, loss, time_limit_s, fault, relay): sites "a" and
        "b" of one host each, one network, ended by the time limit."""
        return cls.from_json(_core.attempt_scenario(profile_a, profile_b, **options))

    @classmethod
    def public_peer(cls, **options: Any) -> "Scenario":
        """The scenario yellowtail.run_public_peer runs with the same options: alice
        behind a NAT on a slow LAN, frank public near the core, bob behind a NAT."""
        return cls.from_json(_core.public_peer_scenario(**options))

    @classmethod
    def relay_choice(cls, **options: Any) -> "Scenario":
        """The scenario yellowtail.run_relay_choice runs with the same options
        (seed, relay_delays_ms, client_delays_ms, server_delay_ms, client_nat,
        fail_relay, time_limit_s): clients "client-1".. behind client_nat, relays
        "relay-1".., one network, and once every pair is relayed
        (``when("all-relayed")``) the busiest relay fails; the run ends when every
        pair is relayed again (end_when "all-relayed"). Each pair's relay, before
        and after, is in the result's ``relay_changes`` and ``relay``."""
        return cls.from_json(_core.relay_choice_scenario(**options))

    @classmethod
    def outage(cls, **options: Any) -> "Scenario":
        """The scenario yellowtail.run_outage runs with the same options (fault,
        duration_s, seed, clients, nats, relays, delay_ms, interval_ms, side,
        new_ip, burst_loss, nat_timeout_s, settle_s, observe_s, roam_nat,
        roam_notice): clients "client-1".. in network "outage", traffic on every
        tunnel once all are online (``when("all-online").traffic``), the fault
        ``settle_s`` after every tunnel carries (``when("all-carrying",
        settle_s, by_s=60)``), no path probes, watched for ``observe_s`` after the
        fault ends (end_after_s). The result's ``traffic`` and ``timeline`` hold
        the deliveries run_outage's figures come from."""
        return cls.from_json(_core.outage_scenario(**options))

    @classmethod
    def population(cls, **options: Any) -> "Scenario":
        """The scenario yellowtail.run_population runs with the same options
        (clients, nats, network_size, relays, join_window_s, duration_s,
        traffic_interval_s, churn_per_minute, churn_away_s, direct_within_s, seed,
        clients_per_control_node): a crowd in the "regions" topology, churn after
        the join window, no path probes; its pairs' ``reported_up_at_s`` and
        ``reported_tunnel`` are what run_population's figures come from."""
        return cls.from_json(_core.population_scenario(**options))

    def run(self, seed: Optional[int] = None) -> ScenarioResult:
        """Runs it in ns-3 (a ValueError says what is wrong with the description)."""
        return ScenarioResult(_core.run_scenario(self.to_json(seed)))

    def __call__(self, seed: int = 1) -> Dict[str, Any]:
        """For yellowtail.sweep: the raw result of a run with `seed`."""
        return self.run(seed).raw

    def sweep_label(self) -> str:
        """What a sweep store records: the same description gives the same label."""
        digest = hashlib.sha256(self.to_json(seed=0).encode()).hexdigest()[:16]
        return f"scenario {digest}"
