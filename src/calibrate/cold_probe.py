"""Cold start after idleness on this VM (the evidence for MachineCosts' `cold_refill`).

Times the same ~60 µs of Python, pinned to CPU 0, right after its thread slept `idle` µs;
keeping CPU 1 busy from another process meanwhile made no difference. Run:
    python3 src/calibrate/cold_probe.py
Measured 2026-12-02 (2-vCPU VM, Linux 6.18, CPython 3.11.7), builds paused:
    after sleeping     50 us: work takes median  70.0 us
    after sleeping    200 us: work takes median  82.6 us
    after sleeping   1000 us: work takes median 100.9 us
    after sleeping   5000 us: work takes median 175.8 us
    after sleeping  20000 us: work takes median 195.5 us
"""

import json
import os
import statistics
import time

os.sched_setaffinity(0, {0})
d = {"a": 1, "b": [1, 2, 3]}


def work():
    s = 0
    for i in range(300):
        s += len(json.dumps(d)) if i % 50 == 0 else i % 7
    return s


for idle in [0, 50, 100, 200, 500, 1000, 5000, 20000]:
    ts = []
    for k in range(200):
        if idle:
            time.sleep(idle / 1e6)
        t = time.perf_counter_ns()
        work()
        ts.append(time.perf_counter_ns() - t)
    print(
        "after sleeping %6d us: work takes median %6.1f us p90 %6.1f"
        % (idle, statistics.median(ts) / 1e3, statistics.quantiles(ts, n=10)[-1] / 1e3)
    )
