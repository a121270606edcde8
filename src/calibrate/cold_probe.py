"""Cold start after idleness on this VM (the evidence for MachineCosts' `cold_work` and for
`Machine::compute_compact`).

Times, pinned to CPU 0, right after the thread slept `idle` µs: ~20 to 60 µs of general
Python (a loop with `json.dumps`, touching much of the interpreter), and the prime core
`find_nth_prime(100)` (a tight loop: a few cache lines of code and data). Keeping CPU 1 busy
from another process meanwhile made no difference. Run:
    python3 src/calibrate/cold_probe.py
Measured 2026-12-02 05:00 UTC on the AMD EPYC host (2-vCPU VM, Linux 6.18, CPython 3.11.7),
general Python only:
    after sleeping     50 us: work takes median  70.0 us
    after sleeping    200 us: work takes median  82.6 us
    after sleeping   1000 us: work takes median 100.9 us
    after sleeping   5000 us: work takes median 175.8 us
    after sleeping  20000 us: work takes median 195.5 us
Measured 2026-12-02 20:05 UTC on the Intel Xeon host (same VM kind), idle machine:
    after sleeping      0 us: python  20.6 us, prime(100) 617.3 us
    after sleeping     50 us: python  24.5 us, prime(100) 624.6 us
    after sleeping   1000 us: python  24.6 us, prime(100) 625.1 us
    after sleeping   5000 us: python  25.0 us, prime(100) 631.9 us
    after sleeping  20000 us: python  27.1 us, prime(100) 635.5 us
The prime core pays at most a few per cent whatever the idleness: it is a tight loop.
"""

import json
import os
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(HERE, "..", "workload", "lesson_core.py")).read())

os.sched_setaffinity(0, {0})
d = {"a": 1, "b": [1, 2, 3]}


def work():
    s = 0
    for i in range(300):
        s += len(json.dumps(d)) if i % 50 == 0 else i % 7
    return s


def timed(f, idle, reps):
    ts = []
    for _ in range(reps):
        if idle:
            time.sleep(idle / 1e6)
        t = time.perf_counter_ns()
        f()
        ts.append(time.perf_counter_ns() - t)
    return ts


for idle in [0, 50, 100, 200, 500, 1000, 5000, 20000]:
    ts = timed(work, idle, 200)
    ps = timed(lambda: find_nth_prime(100), idle, 100)  # noqa: F821 (lesson_core.py)
    print(
        "after sleeping %6d us: python median %6.1f us p90 %6.1f | prime(100) median %6.1f us"
        % (
            idle,
            statistics.median(ts) / 1e3,
            statistics.quantiles(ts, n=10)[-1] / 1e3,
            statistics.median(ps) / 1e3,
        )
    )
