"""Does a forked process-pool worker run at its parent's speed?

Run from the repository root: python3 validation/host-speed/speed_fork.py [launches]

Per launch: the parent times find_nth_prime(100) (best of 5, thread CPU time, per test),
forks a child that does the same, and times it again after the child ended. Prints the three
figures per launch, then the median |child - mean of the parent's two| against the median
|parent's first - parent's second|: if the first is not larger, the child follows its parent.
"""

import os
import statistics as st
import subprocess
import sys
import time

exec(open("src/workload/lesson_core.py").read())
TESTS_100 = 12968  # tests of find_nth_prime(100) (execsim cost 100)


def best(k=5):
    b = None
    for _ in range(k):
        c0 = time.thread_time_ns()
        find_nth_prime(100)
        d = time.thread_time_ns() - c0
        b = d if b is None or d < b else b
    return b / TESTS_100


def one_launch():
    a = best()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, ("%.1f" % best()).encode())
        os._exit(0)
    os.close(w)
    child = float(os.read(r, 100).decode())
    os.waitpid(pid, 0)
    return a, child, best()


if len(sys.argv) > 1 and sys.argv[1] == "--one":
    print("%.1f %.1f %.1f" % one_launch())
    sys.exit(0)
launches = int(sys.argv[1]) if len(sys.argv) > 1 else 14
rows = []
for _ in range(launches):
    out = subprocess.run([sys.executable, __file__, "--one"], capture_output=True, text=True)
    rows.append(tuple(float(x) for x in out.stdout.split()))
    print("parent %.0f  child %.0f  parent again %.0f  (ns per test)" % rows[-1])
child_gap = st.median([abs(c - (a + b) / 2) for a, c, b in rows])
parent_gap = st.median([abs(a - b) for a, c, b in rows])
print("median |child - parent| %.0f ns, median |parent - parent again| %.0f ns" % (child_gap, parent_gap))
