"""yellowtail: the NAT-traversal testbed from Python.

``Scenario`` describes a scenario of your own (sites behind NATs given by profile
or RFC 4787 parameters, relays, networks, a timeline of joins, traffic and
faults). Every ``run_*`` function runs one scenario inside ns-3 with the same client,
server and relay cores as the real daemons, and returns plain dicts and lists.
``sweep`` runs a scenario over a parameter grid, serially or on a Dask cluster,
and ``to_frame`` turns its records into a pandas DataFrame.

>>> import yellowtail
>>> yellowtail.run_attempt("cgnat", "port-restricted-cone", seed=3)["outcome"]
'direct'
"""
from ._core import (
    fault_names,
    profile_names,
    run_attempt,
    run_demo,
    run_matrix,
    run_outage,
    run_population,
    run_public_peer,
    run_relay_choice,
    run_scenario,
    strategy_names,
    technique_names,
)
from .scenario import Nat, Scenario, ScenarioResult
from .sweep import SweepError, scenario_names, sweep, to_frame

__all__ = [
    "Nat",
    "Scenario",
    "ScenarioResult",
    "SweepError",
    "fault_names",
    "profile_names",
    "run_attempt",
    "run_demo",
    "run_matrix",
    "run_outage",
    "run_population",
    "run_public_peer",
    "run_relay_choice",
    "run_scenario",
    "scenario_names",
    "strategy_names",
    "sweep",
    "technique_names",
    "to_frame",
]
