"""execsim's speed probe: how fast this host runs the lesson's prime core and its request path
right now, timed in a process of its own.

Run by execsim (src/live/speed_probe.rs) as `python3 -I -c <the prime core, this file,
print_probes()> N REPS`, several times around each live run, each process started with an
environment of a different size: on some hosts the request-path probe's speed depends on
where the process's stack lies (src/live/host_speed.rs says what was measured), and execsim
keeps the fast mode of the processes' readings. Also prepended to the reference service
(which uses `loopback_pair` for its cold-start probe). Prints one JSON line:
{"core_ns": ..., "service_ns": ...}.
"""

import asyncio
import json
import socket
import sys
import time


def probe_core(n, reps):
    """The prime core's speed in this process: the shortest thread CPU time
    (time.thread_time_ns, so that time spent waiting for the GIL or a CPU is not counted) of
    `reps` calls of find_nth_prime(n), in nanoseconds. execsim divides it by the calibration's
    prediction for the exact op counts of n (src/live/host_speed.rs)."""
    best = None
    for _ in range(reps):
        t0 = time.thread_time_ns()
        find_nth_prime(n)
        dt = time.thread_time_ns() - t0
        if best is None or dt < best:
            best = dt
    return best


SERVICE_PROBE_ROUNDS = 100  # round trips per timing
SERVICE_PROBE_REPS = 3  # timings per probe (the shortest is kept)


def loopback_pair():
    """Two connected TCP sockets on 127.0.0.1 (ephemeral port, Nagle off), for the probes."""
    lsock = socket.socket()
    try:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        a = socket.create_connection(lsock.getsockname())
        b, _ = lsock.accept()
    finally:
        lsock.close()
    for sk in (a, b):
        sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


def probe_service(rounds=SERVICE_PROBE_ROUNDS, reps=SERVICE_PROBE_REPS):
    """The request path's speed in this process: thread CPU time per round trip of one line
    between two asyncio streams of a fresh event loop in this thread, over a TCP connection on
    127.0.0.1 (the same asyncio code as the service: `StreamWriter.write`, `readline`, the
    selector's `epoll_wait`, the transports' `send`/`recv`, futures and task steps; no thread
    waits, so no wake-up is timed), shortest of `reps` timings of `rounds` round trips, in
    nanoseconds per round trip. execsim scales the service's costs by it
    (src/live/host_speed.rs: the prime core alone does not follow the request path's speed)."""
    a, b = loopback_pair()
    loop = asyncio.new_event_loop()

    async def main():
        r1, w1 = await asyncio.open_connection(sock=a)
        r2, w2 = await asyncio.open_connection(sock=b)
        best = None
        for _ in range(reps):
            t0 = time.thread_time_ns()
            for i in range(rounds):
                w1.write(b"%d\n" % i)
                n = int(await r2.readline())
                w2.write(b"%d\n" % n)
                await r1.readline()
            dt = time.thread_time_ns() - t0
            best = dt if best is None or dt < best else best
        w1.close()
        w2.close()
        return best / rounds

    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def print_probes():
    """Times both probes (argv: n and reps of the prime core's) and prints them as JSON."""
    n, reps = int(sys.argv[1]), int(sys.argv[2])
    out = {"core_ns": probe_core(n, reps), "service_ns": probe_service()}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
