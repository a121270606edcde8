"""How long one GIL turn lasts live when two CPU-bound Python threads share the GIL: the
switch interval plus what one forced switch costs (the waiter's timed wait running out, its
drop request, the holder's drop at its next eval-breaker check, the waiter's wake-up). The
simulated counterpart is `cargo run --release --example forced_switch [-- CALIBRATION]`.

Two threads spin in a pure-Python loop, each pinned to a vCPU of its own ("split", the
default) or both to CPU 0 ("one"); each notes the time whenever it finds it was not the last
to run (a GIL switch). Prints, per interval, the turns' quantiles over 3 s. Run:
    python3 src/calibrate/forced_switch_probe.py [split|one] [INTERVAL_MS ...]
Measured 2026-12-03 (AMD EPYC host, family 0x1a, Linux 6.18.44, CPython 3.11.7, nothing else
running), median turn, three runs between 09:15 and 10:12 UTC:
    split: 0.5 ms 583..638 us, 1 ms 1109..1136, 2 ms 2110..2166, 5 ms 5118..5206
           (p5..p95 of one run within about +-60 us of its median at 0.5 ms, +-90 at 5 ms)
    one:   0.5 ms 4000 us, 5 ms 8000 us (the waiter runs at the holder's next tick)
"""
import os, sys, threading, time, statistics

mode = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in ("split", "one") else "split"
intervals = [float(x) / 1e3 for x in sys.argv[1:] if x not in ("split", "one")] or [
    0.0005, 0.001, 0.002, 0.005]


def turns(interval, seconds=3.0):
    sys.setswitchinterval(interval)
    stop = time.monotonic_ns() + int(seconds * 1e9)
    owner, switches = [None], []

    def spin(k):
        os.sched_setaffinity(0, {k} if mode == "split" else {0})
        while True:
            if owner[0] != k:
                owner[0] = k
                t = time.perf_counter_ns()
                switches.append(t)
                if t > stop:
                    return

    ts = [threading.Thread(target=spin, args=(k,)) for k in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [b - a for a, b in zip(switches[10:], switches[11:])]


for iv in intervals:
    d = turns(iv)
    q = statistics.quantiles(d, n=20)
    print("interval %5.1f ms %-5s: %5d turns, us p5 %.0f p25 %.0f median %.0f p75 %.0f p95 %.0f"
          % (iv * 1e3, mode, len(d), q[0] / 1e3, q[4] / 1e3, statistics.median(d) / 1e3,
             q[14] / 1e3, q[-1] / 1e3))
