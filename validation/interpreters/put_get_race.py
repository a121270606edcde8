"""The free-threaded work queue's race on its own, live: how often does a woken `get` find
the `put` that woke it still inside the queue's critical section, and spin?

    python3.13t validation/interpreters/put_get_race.py [PERIOD_US] [SECONDS] [HOG]

Thread A (CPU 0) puts a timestamp on a `queue.SimpleQueue` every PERIOD_US (default 200) of
busy-waiting; thread B (CPU 1) gets them; with HOG (default 1) a CPU-bound Python thread
shares CPU 1 with B, as the long request's thread shares it with the light requests' workers
in `scenarios/05-thread-3.13t.toml`. A get stuck in 3.13's 40-yield spin waits ~55 ms and
the items put meanwhile wait behind it: an episode is a get over 10 ms after one under.
Prints the episodes (and their share of the puts) and the get latency's percentiles.
Without a GIL (3.13t) only; the numbers in the README come from three runs of the defaults.
"""

import os
import queue
import sys
import threading
import time

PERIOD_US = float(sys.argv[1]) if len(sys.argv) > 1 else 200.0
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
HOG = (sys.argv[3] != "0") if len(sys.argv) > 3 else True

q = queue.SimpleQueue()
stop = threading.Event()
latencies = []


def hog():
    os.sched_setaffinity(0, {1})
    x = 0
    while not stop.is_set():
        for _ in range(10_000):
            x += 1


def getter():
    os.sched_setaffinity(0, {1})
    while True:
        t = q.get()
        if t is None:
            return
        latencies.append(time.perf_counter_ns() - t)


def main():
    threads = [threading.Thread(target=getter)]
    if HOG:
        threads.append(threading.Thread(target=hog))
    for t in threads:
        t.start()
    os.sched_setaffinity(0, {0})
    end = time.perf_counter() + SECONDS
    puts = 0
    while time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        while time.perf_counter_ns() - t0 < PERIOD_US * 1000:
            pass
        q.put(time.perf_counter_ns())
        puts += 1
    q.put(None)
    stop.set()
    for t in threads:
        t.join()
    episodes = sum(
        1 for a, b in zip([0] + latencies, latencies) if b > 10e6 and a <= 10e6
    )
    lat = sorted(latencies)
    k = len(lat)
    print(
        f"puts {puts}  episodes {episodes} ({100 * episodes / puts:.3f}% of puts)  "
        f"get p50 {lat[k // 2] / 1e3:.1f} us  p99 {lat[int(k * 0.99)] / 1e3:.1f} us"
    )


if __name__ == "__main__":
    main()
