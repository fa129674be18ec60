"""Parameter sweeps: one scenario over a grid of parameters, serially or on Dask.

Each point of the grid is one independent scenario run with its own seed, so the
points can run anywhere: in this process, in a ``LocalCluster`` of worker
processes on this machine (the default), or on an existing Dask cluster given by
its scheduler's address. A point's result does not depend on where it ran, so a
sweep on Dask returns exactly what the serial sweep returns.

A sweep given a ``store`` file is resumable: every finished point is appended to
it at once, and a later sweep with the same scenario skips the points it finds
there. A sweep cut off (Ctrl-C, a lost worker, a failing point) loses nothing
that had finished.
"""
from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import sys
import threading
import time
import warnings
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

Point = Dict[str, Any]
Record = Dict[str, Any]
Progress = Union[bool, Callable[[int, int], None]]

STORE_FORMAT = 1

# The built-in scenarios by the names yellowtail-sim uses, and the function of
# yellowtail._core each one calls.
_SCENARIOS = {
    "attempt": "run_attempt",
    "matrix": "run_matrix",
    "demo": "run_demo",
    "public-peer": "run_public_peer",
    "relay-choice": "run_relay_choice",
    "outage": "run_outage",
    "population": "run_population",
}

# ns-3 has one global simulator per process: two scenarios must never run at the
# same time in one process, whatever the worker's thread count.
_simulator_lock = threading.Lock()


class SweepError(Exception):
    """A sweep that cannot start or could not finish (the message says why)."""


def scenario_names() -> List[str]:
    """The built-in scenarios a sweep can run by name."""
    return list(_SCENARIOS)


def sweep(
    scenario: Union[str, Callable[..., Mapping[str, Any]]],
    grid: Mapping[str, Sequence[Any]],
    *,
    seeds: Optional[Sequence[int]] = None,
    scheduler: Optional[str] = None,
    workers: int = 2,
    serial: bool = False,
    store: Optional[Union[str, os.PathLike]] = None,
    progress: Progress = True,
) -> List[Record]:
    """Run ``scenario`` at every point of ``grid`` and return one record per point.

    scenario: a built-in scenario's name (see ``scenario_names()``: "attempt",
        "matrix", "outage", "population", ...) or a function taking the grid's
        parameters as keyword arguments and returning a JSON-serialisable dict.
        On Dask the function is shipped to the workers, so it must not rely on
        state of this process.
    grid: parameter name -> the values to try. Every combination is one point,
        in the grid's order with the last parameter varying fastest.
    seeds: shorthand for a last grid axis ``"seed": seeds``.
    scheduler: address of an existing Dask scheduler ("tcp://host:8786"); its
        workers need the yellowtail package installed. None starts a LocalCluster
        of ``workers`` processes on this machine for the sweep.
    serial: run every point in this process, without Dask.
    store: a JSON-lines file that keeps finished points; points already in it
        are not run again.
    progress: True prints a progress bar on stderr; a function is called with
        (finished, total) after each point; False is quiet.

    Returns ``[{"point": {...}, "result": {...}}, ...]`` in grid order. Results
    pass through JSON, so a fresh result and a resumed one compare equal.
    """
    target, label = _resolve(scenario)
    points = _points(grid, seeds, target)
    if workers < 1:
        raise SweepError("workers must be at least 1")
    done: Dict[str, Any] = {}
    writer = None
    if store is not None:
        done = _read_store(store, label)
        writer = _StoreWriter(store, label)
    pending = [(i, p) for i, p in enumerate(points) if _key(p) not in done]
    bar = _ProgressBar(progress, label, len(points), len(points) - len(pending))

    def finished(point: Point, result: Any) -> None:
        result = _as_json(result, point)
        done[_key(point)] = result
        if writer is not None:
            writer.append(point, result)
        bar.step()

    try:
        if serial or not pending:
            for _, point in pending:
                try:
                    result = _run_point(target, point)
                except Exception as e:
                    raise _point_failed(point, e) from e
                finished(point, result)
        else:
            _run_on_dask(target, pending, scheduler, workers, finished)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    return [{"point": p, "result": done[_key(p)]} for p in points]


def to_frame(records: Sequence[Record]):
    """A sweep's records as a pandas DataFrame (Debian: python3-pandas): one row per
    point, the point's parameters as columns, then the result's scalar fields,
    nested ones flattened with dots ("time_to_direct_s.p50"). Lists stay in cells."""
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - the test machine has it
        raise SweepError("to_frame needs pandas (Debian: python3-pandas)") from e
    rows = [dict(record["point"], **_flatten(record["result"])) for record in records]
    return pandas.DataFrame(rows)


def _flatten(result: Any, prefix: str = "") -> Dict[str, Any]:
    if not isinstance(result, Mapping):
        return {prefix.rstrip(".") or "result": result}
    flat: Dict[str, Any] = {}
    for k, v in result.items():
        if isinstance(v, Mapping):
            flat.update(_flatten(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def _run_point(target: Union[str, Callable[..., Any]], point: Point) -> Any:
    """Runs one point; on a Dask worker this is the task."""
    arguments = dict(point)
    if isinstance(target, str):
        from . import _core

        function = getattr(_core, target)
        # The sweep runs its points side by side already: a population point
        # takes one process unless the grid says otherwise (the same results).
        if target == "run_population":
            arguments.setdefault("processes", 1)
    else:
        function = target
    with _simulator_lock:
        return function(**arguments)


def _run_on_dask(target, pending, scheduler, workers, finished) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:  # pragma: no cover - the test machine has it
        raise SweepError(
            "a sweep on Dask needs the distributed package (Debian: python3-distributed); "
            "or pass serial=True"
        ) from e
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            with warnings.catch_warnings():  # Debian's tornado warns about distributed's own use of it
                warnings.simplefilter("ignore", DeprecationWarning)
                cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            client = Client(cluster)
    except OSError as e:
        if cluster is not None:
            cluster.close()
        raise SweepError(f"cannot reach the Dask scheduler {scheduler!r}: {e}") from e
    try:
        futures = {}
        for index, point in pending:
            future = client.submit(_run_point, target, point, pure=False, key=f"yellowtail-point-{index}")
            futures[future] = point
        for future in as_completed(futures):
            point = futures[future]
            try:
                result = future.result()
            except Exception as e:
                for other in futures:
                    other.cancel()
                raise _point_failed(point, e) from e
            finished(point, result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _point_failed(point: Point, error: Exception) -> SweepError:
    return SweepError(f"point {point} failed: {type(error).__name__}: {error}")


def _resolve(scenario) -> tuple:
    """(what a worker runs, the name the store records)."""
    if isinstance(scenario, str):
        if scenario not in _SCENARIOS:
            raise SweepError(f"unknown scenario {scenario!r}; known: {', '.join(_SCENARIOS)}")
        return _SCENARIOS[scenario], scenario
    if callable(scenario) and hasattr(scenario, "sweep_label"):
        return scenario, scenario.sweep_label()  # a yellowtail.Scenario
    if callable(scenario):
        name = getattr(scenario, "__qualname__", None) or repr(scenario)
        return scenario, f"{getattr(scenario, '__module__', '?')}.{name}"
    raise SweepError("scenario must be a built-in scenario's name or a function")


def _parameter_names(target) -> Optional[List[str]]:
    """The keyword parameters a scenario accepts, or None when it takes any."""
    if isinstance(target, str):
        from . import _core

        # pybind11 functions carry their signature on the docstring's first line.
        doc = getattr(_core, target).__doc__ or ""
        match = re.match(r"\w+\((.*?)\) ->", doc)
        if not match:
            return None
        return re.findall(r"(\w+):", match.group(1))
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters]


def _points(grid: Mapping[str, Sequence[Any]], seeds, target) -> List[Point]:
    if not isinstance(grid, Mapping):
        raise SweepError("grid must map parameter names to lists of values")
    axes = {}
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise SweepError(f"grid[{name!r}] must be a list of values, not {values!r}")
        values = list(values)
        if not values:
            raise SweepError(f"grid[{name!r}] has no values")
        axes[name] = values
    if seeds is not None:
        if "seed" in axes:
            raise SweepError("give the seeds either in the grid or as seeds=, not both")
        axes["seed"] = list(seeds)
        if not axes["seed"]:
            raise SweepError("seeds is empty")
    known = _parameter_names(target)
    if known is not None:
        unknown = [name for name in axes if name not in known]
        if unknown:
            raise SweepError(f"the scenario has no parameter {', '.join(unknown)}; it takes: {', '.join(known)}")
    names = list(axes)
    return [dict(zip(names, combination)) for combination in itertools.product(*axes.values())]


def _key(point: Point) -> str:
    return json.dumps(point, sort_keys=True)


def _as_json(result: Any, point: Point) -> Any:
    try:
        return json.loads(json.dumps(result))
    except (TypeError, ValueError) as e:
        raise SweepError(f"point {point}: the result is not JSON-serialisable ({e})") from e


def _read_store(path, label: str) -> Dict[str, Any]:
    """The finished points of an earlier sweep of the same scenario."""
    done: Dict[str, Any] = {}
    if not os.path.exists(path):
        return done
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        header = json.loads(lines[0])
        if header.get("yellowtail_sweep") != STORE_FORMAT:
            raise ValueError("not a sweep store")
    except (ValueError, AttributeError) as e:
        raise SweepError(f"{path} is not a yellowtail sweep store ({e}); give another store file") from None
    if header.get("scenario") != label:
        raise SweepError(
            f"{path} holds a sweep of {header.get('scenario')!r}, not {label!r}; give another store file"
        )
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            done[_key(record["point"])] = record["result"]
        except (ValueError, KeyError, TypeError):
            # A sweep killed mid-write leaves a cut last line: that point runs again.
            print(f"sweep: {path}:{number}: unreadable record skipped; that point runs again", file=sys.stderr)
    return done


class _StoreWriter:
    def __init__(self, path, label: str):
        fresh = not os.path.exists(path) or os.path.getsize(path) == 0
        self._file = open(path, "a", encoding="utf-8")
        if fresh:
            self._write({"yellowtail_sweep": STORE_FORMAT, "scenario": label})
        elif not _ends_with_newline(path):
            self._file.write("\n")  # after a cut line, start a clean one

    def append(self, point: Point, result: Any) -> None:
        self._write({"point": point, "result": result})

    def _write(self, record) -> None:
        # Keys keep their order, so a resumed result reads like a fresh one.
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _ends_with_newline(path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


class _ProgressBar:
    """A one-line progress bar on stderr (a line per point when not a terminal)."""

    def __init__(self, progress: Progress, label: str, total: int, resumed: int):
        self._callback = progress if callable(progress) else None
        self._print = progress is True
        self._label = label
        self._total = total
        self._resumed = resumed
        self._done = resumed
        self._start = time.monotonic()
        self._tty = sys.stderr.isatty()
        if self._callback:
            self._callback(self._done, total)
        if self._print and resumed:
            print(f"sweep {label}: {resumed} of {total} points already in the store", file=sys.stderr)

    def step(self) -> None:
        self._done += 1
        if self._callback:
            self._callback(self._done, self._total)
        if not self._print:
            return
        ran = self._done - self._resumed
        elapsed = time.monotonic() - self._start
        left = elapsed / ran * (self._total - self._done) if ran else 0.0
        width = 30
        filled = int(width * self._done / self._total)
        line = (
            f"sweep {self._label}: [{'#' * filled}{'.' * (width - filled)}] "
            f"{self._done}/{self._total} points, {elapsed:.1f} s, ~{left:.0f} s left"
        )
        print(("\r" + line) if self._tty else line, end="" if self._tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._print and self._tty and self._done > self._resumed:
            print(file=sys.stderr)
