"""execsim: which executor should a Python service offload CPU-bound work to, and what will
throughput and latency be?

A deterministic simulator of an asyncio service, its executors, CPython's GIL, the cores and
the OS scheduler, calibrated and checked against live runs (the Rust crate ``execsim``; this
package is its Python front end)::

    import execsim
    print(execsim.lesson())
    s = execsim.Scenario(executor="thread", workers=4, switch_interval="2ms",
                         clients=[{"name": "simple", "n": 1},
                                  {"name": "long", "n": 100000, "start": "2s"}])
    r = execsim.run(s)
    r.per_second["simple"]; r.plot.throughput()
    prof = execsim.profile(my_handler, payload, repeat=50)
    advice = execsim.advise(execsim.Scenario(requests=[prof],
                            clients=[{"name": "users", "request": prof.name, "count": 8}]))
"""

from ._native import ScenarioError, __version__
from ._api import (
    Advice,
    AdvicePlots,
    Comparison,
    Lesson,
    SweepResult,
    advise,
    compare,
    lesson,
    run,
    sweep,
    sweep_point,
)
from ._figure import Figure
from ._profile import Profile, profile
from ._result import Result, RunPlots
from ._scenario import Scenario

__all__ = [
    "Advice",
    "AdvicePlots",
    "Comparison",
    "Figure",
    "Lesson",
    "Profile",
    "Result",
    "RunPlots",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "__version__",
    "advise",
    "compare",
    "lesson",
    "profile",
    "run",
    "sweep",
    "sweep_point",
]
