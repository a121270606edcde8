"""The functions: ``run``, ``sweep``, ``advise``, ``compare`` and ``lesson``."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _native
from ._figure import Figure
from ._result import Result, _pandas
from ._scenario import Scenario, as_scenario, key_error

ScenarioLike = Union[Scenario, str, "os.PathLike[str]"]


def _calibration(calibration: Optional[Union[str, "os.PathLike[str]"]]) -> Optional[str]:
    return None if calibration is None else os.fspath(calibration)


def run(scenario: ScenarioLike, seed: Optional[int] = None, calibration=None) -> Result:
    """Simulates ``scenario`` (a :class:`Scenario`, a TOML file's path, or TOML text) with
    ``seed`` in place of its own if given. The GIL is released while it runs, so runs in
    several Python threads go in parallel. Same scenario and seed, same result (and trace
    hash) as ``execsim run FILE --json``."""
    s = as_scenario(scenario)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise key_error("seed", f"must be a non-negative integer, not {seed!r}")
    return Result(_native.run(s.toml, s.base, seed, _calibration(calibration)))


class SweepResult:
    """The results of a sweep: one row per point, as the CSV ``execsim sweep`` writes."""

    __slots__ = ("csv",)

    def __init__(self, text: str) -> None:
        #: The CSV text: ``point``, the grid's keys, ``seed``, ``reps``, the metrics (and
        #: their ``.ci95`` with several reps) and the replications' ``trace_hash``.
        self.csv = text

    def to_records(self) -> List[Dict[str, Any]]:
        """One dict per point, numbers as numbers."""
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(self.csv))]

    def to_pandas(self):
        """The rows as a pandas DataFrame (needs pandas installed)."""
        return _pandas().read_csv(io.StringIO(self.csv))

    def __len__(self) -> int:
        return max(0, len(self.csv.splitlines()) - 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SweepResult) and self.csv == other.csv

    def __repr__(self) -> str:
        return f"SweepResult({len(self)} points)"


def _number(v: str) -> Any:
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def sweep(
    scenario: ScenarioLike,
    grid: Mapping[str, Sequence[Any]],
    reps: int = 1,
    threads: Optional[int] = None,
    client: Any = None,
    sample: Optional[int] = None,
    sample_seed: int = 1,
    calibration=None,
) -> SweepResult:
    """Simulates every point of ``grid`` (dotted TOML key to the values to try, e.g.
    ``{"server.workers": [1, 2, 4], "python.switch_interval": ["5ms", "1ms"]}``) over
    ``scenario``, ``reps`` replications each.

    Locally the points run in parallel on ``threads`` threads (default: one per core). With
    ``client`` (a ``dask.distributed.Client``) each point is one task on the cluster; the
    result is byte-identical to the local one, rows in point order.
    """
    s = as_scenario(scenario)
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        raise key_error("reps", f"must be an integer of at least 1, not {reps!r}")
    if not isinstance(grid, Mapping) or not grid:
        raise key_error("grid", "must be a non-empty dict of dotted key to a list of values")
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise key_error(f"grid.{key}", "must be a list of values")
    grid_json = json.dumps([[k, list(v)] for k, v in grid.items()])
    text = _native.sweep_text(s.toml, grid_json, reps, s.base, sample, sample_seed)
    cal = _calibration(calibration)
    if client is None:
        return SweepResult(_native.sweep_csv(text, s.base, None, threads, cal))
    indices = _native.sweep_points(text, s.base)
    futures = client.map(sweep_point, [text] * len(indices), [s.base] * len(indices), indices, [cal] * len(indices), pure=False)
    parts = client.gather(futures)
    return SweepResult(_native.sweep_merge(list(parts)))


def sweep_point(text: str, base: str, index: int, calibration: Optional[str] = None) -> str:
    """One point of a sweep (the sweep's TOML text and its folder), as a CSV of one row: the
    task a distributed sweep maps over its points."""
    return _native.sweep_csv(text, base, [index], 1, calibration)


class AdvicePlots:
    """The advice's figures: ``advice.plot()`` (throughput above latency, one picture),
    ``advice.plot.throughput()`` and ``advice.plot.latency()``."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    def __call__(self) -> Figure:
        """Each option's throughput above its latency percentiles, the recommended one dark."""
        return Figure(self._native.evidence_png(), "throughput and latency per option")

    def throughput(self) -> Figure:
        """Each option's throughput."""
        return Figure(self._native.throughput_png(), "throughput per option")

    def latency(self) -> Figure:
        """Each option's latency percentiles."""
        return Figure(self._native.latency_png(), "latency per option")


class Advice:
    """Which executor, pool size and switch interval, with the evidence (``execsim
    advise``): :attr:`data` is the JSON of ``execsim advise --json``."""

    __slots__ = ("_native", "data")

    def __init__(self, native: Any) -> None:
        self._native = native
        self.data: Dict[str, Any] = json.loads(native.json())

    @property
    def best(self) -> Dict[str, Any]:
        """The recommended option: ``executor``, ``workers``, ``switch_interval``, ``rate``
        (requests per second) and ``p99_ms``."""
        return self.data["best"]

    @property
    def plot(self) -> AdvicePlots:
        """The advice's figures."""
        return AdvicePlots(self._native)

    def report(self) -> str:
        """The human report ``execsim advise`` prints."""
        return self._native.report()

    def _repr_png_(self) -> bytes:
        return self._native.evidence_png()

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        b = self.best
        return f"Advice(best: {b['executor']} x{b['workers']}, switch interval {b['switch_interval']}, {b['rate']:.0f} req/s, p99 {b['p99_ms']:.2f} ms)"


def advise(scenario: ScenarioLike, p99: Optional[float] = None, cores: Optional[int] = None, calibration=None) -> Advice:
    """Which executor (inline, thread pool, process pool...), pool size and switch interval
    to use for ``scenario``'s service on ``cores`` cores (default: the scenario's), meeting a
    p99 latency bound of ``p99`` ms if given."""
    s = as_scenario(scenario)
    return Advice(_native.advise(s.toml, s.base, p99, cores, _calibration(calibration)))


class Comparison:
    """A scenario run live and simulated, phase by phase (``execsim compare``)."""

    __slots__ = ("data", "text")

    def __init__(self, data: Dict[str, Any], text: str) -> None:
        self.data = data
        self.text = text

    @property
    def rows(self) -> List[Dict[str, Any]]:
        """One row per client and phase: simulated rate, live median, min, max, relative
        error."""
        return self.data["rows"]

    def to_pandas(self):
        """The rows as a pandas DataFrame (needs pandas installed)."""
        return _pandas().DataFrame.from_records(self.rows)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Comparison({self.data['scenario']!r}, {self.data['backend']}, {len(self.rows)} rows)"


def compare(
    scenario: ScenarioLike,
    backend: str = "cpython",
    reps: int = 3,
    python: Optional[str] = None,
    exe: Optional[str] = None,
    calibration=None,
) -> Comparison:
    """Runs ``scenario`` live ``reps`` times (loopback, every process reaped) and simulates
    it. ``backend="cpython"`` runs the reference asyncio service under ``python`` (default:
    this interpreter); ``"rust"`` the tokio server of the ``execsim`` command-line tool
    (``exe``, default: ``execsim`` on PATH)."""
    s = as_scenario(scenario)
    if backend == "rust" and exe is None:
        exe = shutil.which("execsim")
    data, text = _native.compare(s.toml, s.base, backend, reps, python or sys.executable, exe, _calibration(calibration))
    return Comparison(json.loads(data), text)


class Lesson:
    """The lesson's six scenarios simulated: ``str(lesson)`` is the table ``execsim lesson``
    prints; :attr:`runs` the results."""

    __slots__ = ("table", "runs")

    def __init__(self, table: str, runs: List[Dict[str, Any]]) -> None:
        self.table = table
        self.runs = runs

    def __str__(self) -> str:
        return self.table

    def __repr__(self) -> str:
        return self.table


def lesson() -> Lesson:
    """The lesson (an asyncio server answering ``n`` with the n-th prime; a client sends 1
    over and over; from 2 s another sends 100000): inline, thread pool and process pool,
    simulated with the embedded calibration."""
    table, runs = _native.lesson()
    return Lesson(table, json.loads(runs))
