"""Times the lesson's prime core under this Python; run by `execsim calibrate --backend cpython`.

Usage: python3 -I -c "<this file>" '{"ns": [1, 10, 100], "samples": 5, "min_batch_ns": 20000000}'

First, for each n, finds a batch size k (calls per timed batch) such that one batch lasts at
least min_batch_ns; these sizing runs also warm up CPython's specialising interpreter. A single
call that already lasts at least 0.2 s is kept as a sample (its warm-up is a negligible part of
it). Then times `samples` rounds; each round times one batch of every n in turn, so that a slow
period of the machine costs one sample of several n rather than every sample of one n. Prints
one JSON object on stdout (per n: the batch size and the time per call of each batch, from
time.perf_counter_ns) and, if the config has "progress": true, lines "execsim-progress TEXT"
on stderr.

A lifeline thread (src/live/lifeline.py) ends the script if execsim dies or after "watchdog_s"
seconds; it wakes every half second, a negligible disturbance of the timings.
"""

import gc
import json
import os
import platform
import sys
import sysconfig
import time


# find_nth_prime and is_prime (src/workload/lesson_core.py) and start_lifeline
# (src/live/lifeline.py): prepended to this script by execsim.


MAX_BATCH = 1 << 24
KEEP_WARMUP_NS = 200_000_000


def size_batch(n, min_batch_ns):
    """Returns (k, per-call time of the last sizing batch, the result)."""
    perf = time.perf_counter_ns
    f = find_nth_prime
    k = 1
    while True:
        t0 = perf()
        for _ in range(k):
            result = f(n)
        dt = perf() - t0
        if dt >= min_batch_ns or k >= MAX_BATCH:
            return k, dt, result
        k = min(MAX_BATCH, max(2 * k, int(k * 1.2 * min_batch_ns / max(dt, 1)) + 1))


def time_batch(n, k):
    perf = time.perf_counter_ns
    f = find_nth_prime
    t0 = perf()
    for _ in range(k):
        f(n)
    return (perf() - t0) / k


def progress(enabled, *words):
    if enabled:
        print("execsim-progress", *words, file=sys.stderr, flush=True)


def main():
    cfg = json.loads(sys.argv[1])
    # execsim set PR_SET_PDEATHSIG before exec: the parent seen now is execsim.
    deadline_ns = time.monotonic_ns() + int(float(cfg.get("watchdog_s", 3600)) * 1e9)
    start_lifeline(os.getppid(), deadline_ns, 0.5)
    ns = [int(n) for n in cfg["ns"]]
    samples = int(cfg["samples"])
    min_batch_ns = int(cfg["min_batch_ns"])
    show = bool(cfg.get("progress"))
    gc.disable()
    points = []
    for n in ns:
        k, dt, result = size_batch(n, min_batch_ns)
        kept = [dt / k] if (k == 1 and dt >= KEEP_WARMUP_NS) else []
        points.append({"n": n, "batch": k, "per_call_ns": kept, "result": result})
        progress(show, "sized n =", n, ":", k, "per batch,", round(dt / k), "ns per call")
    for r in range(samples):
        for point in points:
            if len(point["per_call_ns"]) < samples:
                point["per_call_ns"].append(time_batch(point["n"], point["batch"]))
        progress(show, "round", r + 1, "of", samples, "done")
    gil_disabled = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    json.dump(
        {
            "implementation": sys.implementation.name,
            "version": platform.python_version(),
            "executable": sys.executable,
            "gil_disabled": gil_disabled,
            "points": points,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
