"""Does the request path's Python code run at the prime core's speed of the moment?

Run from the repository root: python3 validation/host-speed/speed_correlation.py

Every 50 ms, 80 times, in this one process, times (thread CPU time, best of 3): the prime core
(find_nth_prime(60), per test), a request-path-like piece of Python (a coroutine that parses
and formats the request line, per call) and a send/recv pair on a socketpair (per pair). Prints
each one's median and range, their correlation with the core, and their medians in the
samples where the core was in its fast mode (below 0.8 x its median) and in the others.
"""

import socket
import statistics as st
import time

exec(open("src/workload/lesson_core.py").read())

TESTS_60 = 4203  # tests of find_nth_prime(60) (execsim cost 60)


def best(f, k=3):
    b = None
    for _ in range(k):
        c0 = time.thread_time_ns()
        f()
        d = time.thread_time_ns() - c0
        b = d if b is None or d < b else b
    return b


async def handler(x):
    line = b"%d\n" % x
    n = int(line.partition(b"\n")[0])
    return b"%d\n" % n


def python_path():
    for i in range(300):
        c = handler(i)
        try:
            c.send(None)
        except StopIteration:
            pass


a, b = socket.socketpair()


def syscalls():
    for _ in range(200):
        a.send(b"1\n")
        b.recv(4096)


core, py, sys_ = [], [], []
for _ in range(80):
    core.append(best(lambda: find_nth_prime(60)) / TESTS_60)
    py.append(best(python_path) / 300)
    sys_.append(best(syscalls) / 200)
    time.sleep(0.05)
for name, xs in (("core ns/test", core), ("python ns/call", py), ("send+recv ns", sys_)):
    print("%-15s median %6.0f  range %6.0f..%6.0f" % (name, st.median(xs), min(xs), max(xs)))
print("correlation with the core: python %.2f, send+recv %.2f"
      % (st.correlation(core, py), st.correlation(core, sys_)))
fast = [i for i in range(len(core)) if core[i] < 0.8 * st.median(core)]
slow = [i for i in range(len(core)) if i not in fast]
if fast:
    m = lambda xs, idx: st.median([xs[i] for i in idx])
    print("fast-core samples %d: core %.0f, python %.0f, send+recv %.0f | others %d: core %.0f, python %.0f, send+recv %.0f"
          % (len(fast), m(core, fast), m(py, fast), m(sys_, fast),
             len(slow), m(core, slow), m(py, slow), m(sys_, slow)))
