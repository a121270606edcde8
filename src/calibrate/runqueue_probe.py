"""How long each thread of a live run waits on a CPU's run queue (the evidence for the convoy
rows the model misses with the pool on core 1; not yet a cost of the model).

Start it, then the live run within a second; it finds the newest Python process with at least
three threads (the service), and reads `/proc/PID/task/TID/schedstat` (time on a CPU, time
runnable but waiting for one, number of times it ran) of every thread of it and of the
processes it forked, at T0 and T1 seconds; prints each thread's deltas and the CPU it last
ran on. Run:
    python3 src/calibrate/runqueue_probe.py 3.0 5.5 &
    execsim live validation/scenarios/07-thread-convoy-500us.toml --backend cpython
Measured 2026-12-02 16:10-16:25 UTC (Intel Xeon host, 2 vCPUs, Linux 6.18, CPython 3.11.7), idle
machine, 2.5 s of the convoy (the pool on CPU 1, the loop and the client on CPU 0):
    07 (0.5 ms), three runs: the CPU-bound worker ran 2,208-2,217 ms and waited 81-99 ms;
      the light pool workers ran 50-78 ms and waited 468-561 ms each (185-240 us per run)
    05 (5 ms): the light pool workers ran 10 ms and waited 200 ms each (400-430 us per run)
The simulation's light worker, same window (`execsim run FILE --trace T.json`, its
"runnable" spells): 35 ms (07) and 4 ms (05) under CFS, 35 ms and 8 ms under EEVDF.
"""

import glob
import os
import sys
import time

T0, T1 = float(sys.argv[1]), float(sys.argv[2])


def find_service():
    while True:
        best = None
        for p in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                argv0 = open(p, "rb").read().split(b"\0")[0]
                pid = int(p.split("/")[2])
                if pid == os.getpid() or b"python" not in os.path.basename(argv0):
                    continue
                if len(os.listdir(f"/proc/{pid}/task")) >= 3 and (best is None or pid > best):
                    best = pid
            except (OSError, ValueError):
                continue
        if best is not None:
            return best
        time.sleep(0.01)


def snapshot(root):
    out = {}
    pids = [root]
    for t in os.listdir(f"/proc/{root}/task"):
        try:
            pids += [int(x) for x in open(f"/proc/{root}/task/{t}/children").read().split()]
        except OSError:
            pass
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                run, wait, slices = open(f"/proc/{pid}/task/{t}/schedstat").read().split()[:3]
                cpu = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()[36]
            except OSError:
                continue
            out[(pid, int(t))] = (int(run), int(wait), int(slices), cpu)
    return out


service = find_service()
start = time.time()
while time.time() - start < T0:
    time.sleep(0.005)
a, ta = snapshot(service), time.time()
while time.time() - start < T1:
    time.sleep(0.005)
b, tb = snapshot(service), time.time()
print(f"service {service}, window {tb - ta:.2f} s")
for k in sorted(b):
    if k not in a:
        continue
    run = (b[k][0] - a[k][0]) / 1e6
    wait = (b[k][1] - a[k][1]) / 1e6
    n = b[k][2] - a[k][2]
    if run > 0.5 or wait > 0.5:
        print(
            f"pid {k[0]} tid {k[1]} cpu {b[k][3]}: ran {run:8.1f} ms, waited {wait:8.1f} ms"
            f" on the run queue, {n:6d} runs ({wait / max(n, 1) * 1000:6.1f} us waited per run)"
        )
