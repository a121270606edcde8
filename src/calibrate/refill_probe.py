"""Cache refills after a halt and after a migration on this VM (the evidence for MachineCosts'
`halt_refill_*` and `migration_refill`; the values the simulation uses are measured from the
service's own traces, src/calibrate/trace_refill.rs).

Two threads of one process, or two processes, pass a token through pipes; each, between its
blocking read and its write, runs the same Python (`ast.parse`, `json`: about 25 µs, or the
prime core's loop with `--prime`), K times per turn. Pinned both to CPU 0, nothing halts and
nothing changes core; pinned to CPUs 0 and 1, each core halts every turn (both kinds), and
with threads the interpreter's objects change core every turn too. Prints each side's median
time per turn. Run:
    python3 src/calibrate/refill_probe.py [--prime] [K]
Measured 2026-12-02 (Intel Xeon host, 2 vCPUs, Linux 6.18, CPython 3.11.7), idle machine,
K = 1 then 4, medians of each side's turns (three runs):
    threads   cpus 0,0: 27 to 30 us;    cpus 0,1: 45 to 48 us     (K = 4: 106 to 109; 130 to 149)
    processes cpus 0,0: 30 to 31 us;    cpus 0,1: 36 to 38 us     (K = 4: 108 to 114; 119 to 124)
    --prime: no difference beyond the noise (38 to 44 us every way)
So a halt costs this code about 6.5 µs a turn (9 with K = 4) and the interpreter changing core
10 to 16 more; the prime core's few cache lines pay neither.
"""

import ast
import json
import os
import sys
import threading
import time

PRIME = "--prime" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--prime"]
K = int(ARGS[0]) if ARGS else 1
REPS = 2000
SRC = "def f(a, b=2):\n    return [x*b for x in range(a) if x % 3]\n"
D = {"a": [1, 2, 3], "b": {"c": "d", "e": 1.5}, "f": None}


def prime(n=25):
    c, k = 0, 1
    while c < n:
        k += 1
        for d in range(2, k):
            if k % d == 0:
                break
        else:
            c += 1
    return k


def work():
    for _ in range(K):
        if PRIME:
            prime()
        else:
            ast.parse(SRC)
            json.dumps(D)
            json.loads('{"x": [1, 2, 3]}')
            "{}-{}".format(1, "a")


def side(cpu, rfd, wfd, first, out):
    os.sched_setaffinity(0, {cpu})
    ts = []
    if first:
        os.write(wfd, b"x")
    for _ in range(REPS):
        os.read(rfd, 1)
        a = time.perf_counter_ns()
        work()
        ts.append(time.perf_counter_ns() - a)
        os.write(wfd, b"x")
    ts.sort()
    out.append(ts[len(ts) // 2] / 1e3)


def run(mode, ca, cb):
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    if mode == "threads":
        oa, ob = [], []
        ta = threading.Thread(target=side, args=(ca, r1, w2, True, oa))
        tb = threading.Thread(target=side, args=(cb, r2, w1, False, ob))
        ta.start()
        tb.start()
        ta.join()
        tb.join()
        return oa[0], ob[0]
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        o = []
        side(cb, r2, w1, False, o)
        os.write(wr, f"{o[0]}".encode())
        os._exit(0)
    o = []
    side(ca, r1, w2, True, o)
    child = float(os.read(rd, 64).decode())
    os.waitpid(pid, 0)
    return o[0], child


for mode in ["threads", "processes"]:
    for ca, cb in [(0, 0), (0, 1)]:
        a, b = run(mode, ca, cb)
        print(f"{mode:9} cpus {ca},{cb}: {a:6.1f} / {b:6.1f} us per turn (K = {K})")
