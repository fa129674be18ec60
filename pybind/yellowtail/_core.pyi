"""Type stubs of the compiled scenarios (pybind11 module yellowtail._core)."""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

def profile_names() -> List[str]:
    """NAT profiles known to the matrix (named and stacked)."""

def strategy_names() -> List[str]:
    """Traversal strategies: naive, current."""

def fault_names() -> List[str]:
    """Faults an attempt or the matrix can inject."""

def technique_names() -> List[str]:
    """Punch techniques of the 'current' strategy that `disable` switches off:
    lan, prediction, serialize, prepunch, follower-delay, birthday."""

def run_attempt(
    profile_a: str,
    profile_b: str,
    strategy: str = "current",
    seed: int = 1,
    delay_ms: float = 20.0,
    loss: float = 0.0,
    time_limit_s: float = 15.0,
    fault: str = "",
    relay: str = "first",
    disable: Sequence[str] = (),
    background_flows_per_s: float = 0.0,
    jitter_ms: float = 0.0,
    mapping_timeout_s: float = 0.0,
) -> Dict[str, Any]:
    """One tunnel attempt between clients behind the two NAT profiles: outcome
    (direct/relayed/failed), time_to_direct_ms, time_to_first_packet_ms,
    relay_packets, failure, simulator_events."""

def attempt_scenario(
    profile_a: str,
    profile_b: str,
    strategy: str = "current",
    seed: int = 1,
    delay_ms: float = 20.0,
    loss: float = 0.0,
    time_limit_s: float = 15.0,
    fault: str = "",
    relay: str = "first",
    disable: Sequence[str] = (),
    background_flows_per_s: float = 0.0,
    jitter_ms: float = 0.0,
    mapping_timeout_s: float = 0.0,
) -> str:
    """The scenario (JSON, as run_scenario takes) that run_attempt runs with the
    same arguments."""

def public_peer_scenario(
    seed: int = 1,
    alice_nat: str = "linux-masquerade",
    bob_nat: str = "linux-masquerade",
    delay_ms: float = 20.0,
    public_delay_ms: float = 2.0,
    lan_delay_ms: float = 30.0,
    follower_delay_ms: Optional[float] = None,
    time_limit_s: float = 15.0,
) -> str:
    """The scenario (JSON, as run_scenario takes) that run_public_peer runs with
    the same arguments."""

def run_matrix(
    profiles: Sequence[str],
    strategies: Sequence[str] = ...,
    seeds: Sequence[int] = ...,
    delay_ms: float = 20.0,
    loss: float = 0.0,
    time_limit_s: float = 15.0,
    fault: str = "",
    relay: str = "first",
    disable: Sequence[str] = (),
    progress: Optional[Callable[[int, int], None]] = None,
) -> Dict[str, Any]:
    """Every ordered pair of profiles x seeds x strategies: pairs (summaries, with
    'overall' rows), attempts, simulator_events and the json/csv/table texts."""

def run_demo(seed: int = 1, delay_ms: float = 15.0, loss: float = 0.0, messages: int = 10) -> Dict[str, Any]:
    """The two-client demo: tunnel_up, time_to_direct_ms, sent/delivered/echoed, log."""

def run_public_peer(
    seed: int = 1,
    alice_nat: str = "linux-masquerade",
    bob_nat: str = "linux-masquerade",
    delay_ms: float = 20.0,
    public_delay_ms: float = 2.0,
    lan_delay_ms: float = 30.0,
    follower_delay_ms: Optional[float] = None,
    time_limit_s: float = 15.0,
) -> Dict[str, Any]:
    """Alice behind a NAT, frank public, bob behind another NAT: direct per pair,
    alice_nat_clashes, all_online, log."""

def run_relay_choice(
    seed: int = 1,
    relay_delays_ms: Sequence[float] = ...,
    client_delays_ms: Sequence[float] = ...,
    server_delay_ms: float = 50.0,
    client_nat: str = "symmetric-random",
    fail_relay: bool = True,
    time_limit_s: float = 40.0,
) -> Dict[str, Any]:
    """Relay choice by latency, before and after the busiest relay fails: pairs,
    relays, all_online, failed_at_s, moved_after_s, repicks, log."""

def relay_choice_scenario(
    seed: int = 1,
    relay_delays_ms: Sequence[float] = ...,
    client_delays_ms: Sequence[float] = ...,
    server_delay_ms: float = 50.0,
    client_nat: str = "symmetric-random",
    fail_relay: bool = True,
    time_limit_s: float = 40.0,
) -> str:
    """The scenario (JSON) run_relay_choice runs with the same arguments."""

def run_outage(
    fault: str = "server-down",
    duration_s: float = 60.0,
    seed: int = 1,
    clients: int = 6,
    nats: Sequence[str] = ...,
    relays: int = 1,
    delay_ms: float = 20.0,
    interval_ms: float = 100.0,
    side: int = 1,
    new_ip: bool = False,
    burst_loss: float = 0.3,
    nat_timeout_s: float = 30.0,
    settle_s: float = 10.0,
    observe_s: float = 30.0,
    roam_nat: str = "cgnat",
    roam_notice: bool = True,
) -> Dict[str, Any]:
    """Established tunnels with steady traffic through one fault: survival, lost,
    longest_gap_s, worst_recovery_s, per-tunnel and per-client records, timeline."""

def outage_scenario(
    fault: str = "server-down",
    duration_s: float = 60.0,
    seed: int = 1,
    clients: int = 6,
    nats: Sequence[str] = ...,
    relays: int = 1,
    delay_ms: float = 20.0,
    interval_ms: float = 100.0,
    side: int = 1,
    new_ip: bool = False,
    burst_loss: float = 0.3,
    nat_timeout_s: float = 30.0,
    settle_s: float = 10.0,
    observe_s: float = 30.0,
    roam_nat: str = "cgnat",
    roam_notice: bool = True,
) -> str:
    """The scenario (JSON) run_outage runs with the same arguments."""

def run_nat_mix(
    mix: Any,
    pairs: int = 400,
    seed: int = 1,
    strategy: str = "current",
    disable: Sequence[str] = (),
    delay_ms: float = 20.0,
    loss: float = 0.0,
    time_limit_s: float = 15.0,
    relay: str = "first",
    progress: Optional[Callable[[int, int], None]] = None,
) -> Dict[str, Any]:
    """A population given by a NAT mix (a path to a mix file, or a dict
    {'profiles': {name: share}, 'name', 'description', 'sources'}): samples
    pairs of profiles from the shares, runs each as one attempt, and returns
    mix, parameters, overall and classes (P2P rate and connectivity with
    95% intervals), attempts, simulator_events, wall_s and the printed table."""

def population_scenario(
    clients: int = 1000,
    nats: Sequence[Tuple[str, float]] = ...,
    network_size: int = 8,
    relays: int = 2,
    join_window_s: float = 30.0,
    duration_s: float = 60.0,
    traffic_interval_s: float = 5.0,
    churn_per_minute: float = 0.05,
    churn_away_s: float = 10.0,
    direct_within_s: float = 10.0,
    seed: int = 1,
    clients_per_control_node: int = 25,
) -> str:
    """The scenario (JSON, as run_scenario takes) that run_population runs with
    the same arguments: a crowd in the "regions" topology, a churn event."""

def run_population(
    clients: int = 1000,
    nats: Sequence[Tuple[str, float]] = ...,
    network_size: int = 8,
    relays: int = 2,
    join_window_s: float = 30.0,
    duration_s: float = 60.0,
    traffic_interval_s: float = 5.0,
    churn_per_minute: float = 0.05,
    churn_away_s: float = 10.0,
    direct_within_s: float = 10.0,
    seed: int = 1,
    clients_per_control_node: int = 25,
) -> Dict[str, Any]:
    """A population from a NAT mix: p2p_rate, connectivity, by_nat, time_to_direct_s
    percentiles, traffic, server load and the run's cost (wall time, peak RSS)."""

def run_scenario(spec_json: str) -> Dict[str, Any]:
    """Runs a scenario described in JSON (yellowtail.Scenario.to_json, or a file for
    `yellowtail-sim scenario`): scenario, pairs, flows, clients, sites, server,
    log, ended_at_s, simulator_events."""
