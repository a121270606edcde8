"""The result of one simulation: per-client per-second counts, latency percentiles, the
GIL's statistics, the seed and the trace hash, as records, a pandas DataFrame, or figures."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ._figure import Figure


class RunPlots:
    """The figures of one run: ``result.plot.throughput()``, ``.latency()``,
    ``.gil_timeline(window=...)``."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    def throughput(self) -> Figure:
        """Every client's completed requests per second."""
        return Figure(self._native.throughput_png(), "throughput")

    def latency(self) -> Figure:
        """Every client's latency percentiles."""
        return Figure(self._native.latency_png(), "latency percentiles")

    def gil_timeline(self, start: Optional[float] = None, window: Optional[float] = None) -> Figure:
        """Which thread runs, holds or waits for the GIL over ``[start, start + window)``
        seconds (default: 50 ms from one second after the last client starts). The run is
        simulated again with tracing on (same seed, same run)."""
        return Figure(self._native.gil_timeline_png(start, window), "GIL timeline")


class Result:
    """One simulated run (what ``execsim run --json`` prints, as :attr:`data`)."""

    __slots__ = ("_native", "data")

    def __init__(self, native: Any) -> None:
        self._native = native
        #: The whole result as nested dicts (the JSON of ``execsim run --json``).
        self.data: Dict[str, Any] = json.loads(native.json())

    @property
    def seed(self) -> int:
        """The seed the run used (every random stream derives from it)."""
        return self.data["seed"]

    @property
    def trace_hash(self) -> str:
        """The hash of the run's event trace: equal runs have equal hashes."""
        return self.data["trace_hash"]

    @property
    def clients(self) -> Dict[str, Dict[str, Any]]:
        """Each client's results by name: ``per_second`` counts, ``latency_us`` percentiles,
        ``issued``, ``completed``..."""
        return {c["name"]: c for c in self.data["clients"]}

    @property
    def per_second(self) -> Dict[str, List[int]]:
        """Each client's completed requests in each second of the run."""
        return {c["name"]: list(c["per_second"]) for c in self.data["clients"]}

    @property
    def latency_us(self) -> Dict[str, Dict[str, float]]:
        """Each client's latency percentiles (p50, p90, p99, p999, max, mean) in µs."""
        return {c["name"]: dict(c["latency_us"]) for c in self.data["clients"]}

    @property
    def gil(self) -> List[Dict[str, Any]]:
        """The GIL's statistics, one entry per interpreter: hand-offs, drop requests,
        acquisitions, time-outs, and each thread's seconds holding and waiting."""
        return self.data["gil"]

    @property
    def threads(self) -> List[Dict[str, Any]]:
        """Each thread's CPU seconds, run-queue seconds and GIL-held seconds."""
        return self.data["threads"]

    @property
    def plot(self) -> RunPlots:
        """The run's figures (PNG, shown inline in a notebook)."""
        return RunPlots(self._native)

    def report(self) -> str:
        """The human report ``execsim run`` prints."""
        return self._native.report()

    def to_records(self) -> List[Dict[str, Any]]:
        """One record per client and second: ``client``, ``second``, ``completed``, plus the
        client's latency percentiles and the run's ``seed`` and ``trace_hash``."""
        out = []
        for c in self.data["clients"]:
            lat = {f"latency_{k}_us": v for k, v in c["latency_us"].items()}
            for second, n in enumerate(c["per_second"]):
                out.append(
                    {
                        "scenario": self.data["scenario"],
                        "client": c["name"],
                        "second": second,
                        "completed": n,
                        **lat,
                        "seed": self.seed,
                        "trace_hash": self.trace_hash,
                    }
                )
        return out

    def to_pandas(self):
        """:meth:`to_records` as a pandas DataFrame (needs pandas installed)."""
        return _pandas().DataFrame.from_records(self.to_records())

    def __repr__(self) -> str:
        rates = ", ".join(f"{k}: {sum(v)}" for k, v in self.per_second.items())
        return f"Result({self.data['scenario']!r}, seed={self.seed}, trace_hash={self.trace_hash}, completed {{{rates}}})"

    def __str__(self) -> str:
        return self.report()


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None
    return pandas
