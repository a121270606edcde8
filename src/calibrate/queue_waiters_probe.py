"""Two pool workers on one CPU wait for it far more than one does (the evidence behind the
validation matrix's run-queue rows for the thread pool, `worker#1` and `worker#2+`).

N threads pinned to CPU 1 take items from one `queue.SimpleQueue` (as ThreadPoolExecutor's
workers do) and put each back on a reply queue; the main thread, on CPU 0, puts one item at a
time, waits for the reply, then spins 100 us (a client's round trip). Prints, per worker, its
`run_delay` (`/proc/self/task/TID/schedstat`: time runnable, waiting for a CPU) and how often
it was switched in. Run:
    python3 src/calibrate/queue_waiters_probe.py 1
    python3 src/calibrate/queue_waiters_probe.py 2
Measured 2026-12-02 21:57 UTC (Intel Xeon host, 2 vCPUs, Linux 6.18, CPython 3.11.7), idle
machine, 5,000 items, three times each:
    N=1: 5,008 switches-in, 0.8 to 1.2 us of run_delay each, 0.4 to 0.6% of the time
    N=2: 11,250 switches-in per worker (4.5 per item in all), 2.6 to 3.4 us each, 2.9 to 3.9%
         of the time per worker
Why, from a GIL trace of the same run (2026-12-03 00:51 UTC; the preload library of `execsim live --gil-trace`,
EXECSIM_GIL_TRACE_DIR set): the worker that gets an item calls `sem_post` 0.4 us after it takes
the GIL, because CPython 3.11's `SimpleQueue.get` releases the queue's lock after popping
whenever it holds it (`Modules/_queuemodule.c`); that wakes the other worker, whose `sem_wait`
returns, which waits about 19 us for the GIL, holds it 0.32 us (median; 0.21 to 0.40 p10..p90),
finds the list empty and sleeps again: 1,250 such wakes per worker for 2,500 items each. The
simulation models it as `service::SimpleQueue` (`worker_requeue_py` is that 0.32 us).
"""

import os
import queue
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2
ITEMS = 5000
work = queue.SimpleQueue()
replies = queue.SimpleQueue()
tids = []


def worker():
    os.sched_setaffinity(0, {1})
    tids.append(threading.get_native_id())
    while True:
        item = work.get()
        if item is None:
            return
        s = 0
        for i in range(200):
            s += i
        replies.put(item)


def schedstat(tid):
    with open(f"/proc/self/task/{tid}/schedstat") as f:
        fields = f.read().split()
    return int(fields[1]), int(fields[2])


os.sched_setaffinity(0, {0})
threads = [threading.Thread(target=worker) for _ in range(N)]
for t in threads:
    t.start()
time.sleep(0.1)
before = {t: schedstat(t) for t in tids}
start = time.perf_counter()
for i in range(ITEMS):
    work.put(i)
    replies.get()
    end = time.perf_counter() + 100e-6
    while time.perf_counter() < end:
        pass
elapsed = time.perf_counter() - start
after = {t: schedstat(t) for t in tids}
for t in tids:
    delay = after[t][0] - before[t][0]
    ins = after[t][1] - before[t][1]
    print(
        f"N={N} worker {t}: run_delay {delay / 1e6:.1f} ms over {ins} switches-in "
        f"({delay / max(ins, 1) / 1e3:.1f} us each), {delay / 1e9 / elapsed * 100:.1f}% of the time"
    )
for _ in threads:
    work.put(None)
for t in threads:
    t.join()
