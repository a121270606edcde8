# Request types of the user's own service, run for real by the CPython reference service
# (the model's side: src/workload/request_type.rs and src/service/work.rs). Each step kind is
# real code with the GIL behaviour it stands for, and a step of d takes d of the thread's CPU
# time (CLOCK_THREAD_CPUTIME_ID), whatever speed the host runs at that moment:
#   python           a pure-Python loop (`x += i`) in chunks of about 20 us, until the
#                    thread has run d: holds the GIL, checks the eval breaker
#   native-released  one hashlib.sha256 over a zero buffer: one C call that releases the GIL
#                    (hashlib does above 2 KiB) for its whole length and takes it back once
#   native-held      one re.search over a zero buffer for a pattern that never matches: one C
#                    call that keeps the GIL from start to end
# A C call cannot watch the clock: the two native kinds are sized from the ns per byte of the
# calls before them (a moving average, first from measure_units). (Hashing in 256 KiB updates
# until the clock said so was tried: each update retook the GIL, 29 takes per 4 ms step, and
# under contention the workers waited for the GIL 1.2 s a second; the model's step is one
# release.)
#   io               time.sleep in a worker or a connection thread; the inline handler
#                    awaits asyncio.sleep instead (reference_service.py)
# Why the clock and not a size measured once: on the VMs this was built on, the same loop ran
# at 21 to 43 ns per iteration from one second to the next (and a size fixed at the start
# made 10 ms steps last 6 to 10 ms). Durations are drawn per request from the step's
# distribution with random.Random.
import hashlib
import math
import time
import re

_HELD_RE = re.compile(b"(?:\x00\x01)+")
_CHUNK = 8 << 20
_BUFFER = [b""]
UNITS = {}
_Z99 = 2.326347874040841


def _zeros(n):
    if len(_BUFFER[0]) < n:
        _BUFFER[0] = bytes(max(n, 1 << 20))
    return _BUFFER[0]


def py_loop(n):
    x = 0
    for i in range(n):
        x += i
    return x


def hash_bytes(n):
    buf = memoryview(_zeros(min(n, _CHUNK)))
    h = hashlib.sha256()
    while n > 0:
        k = min(n, _CHUNK)
        h.update(buf[:k])
        n -= k
    return h.digest()


def held_scan(n):
    return _HELD_RE.search(_zeros(n), 0, n)


def _best_ns(f, arg, reps=5):
    best = None
    for _ in range(reps):
        t0 = time.thread_time_ns()
        f(arg)
        d = time.thread_time_ns() - t0
        best = d if best is None else min(best, d)
    return best


def measure_units():
    """ns per loop iteration, per hashed byte and per scanned byte, in this process (the
    best of five timings of about 10 ms each, thread CPU time)."""
    _zeros(32 << 20)
    UNITS["python"] = _best_ns(py_loop, 500_000) / 500_000
    UNITS["native-released"] = _best_ns(hash_bytes, 16 << 20) / (16 << 20)
    UNITS["native-held"] = _best_ns(held_scan, 1 << 20) / (1 << 20)
    return dict(UNITS)


_PY_CHUNK = 1000


def python_for(ns):
    end = time.thread_time_ns() + ns
    while time.thread_time_ns() < end:
        py_loop(_PY_CHUNK)


def _sized_call(kind, f, ns):
    n = max(1, int(ns / UNITS[kind]))
    t0 = time.thread_time_ns()
    f(n)
    took = time.thread_time_ns() - t0
    if took > 0:
        UNITS[kind] = 0.8 * UNITS[kind] + 0.2 * took / n


def released_for(ns):
    _sized_call("native-released", lambda n: hashlib.sha256(memoryview(_zeros(n))[:n]).digest(), ns)


def held_for(ns):
    _sized_call("native-held", held_scan, ns)


def run_step(kind, seconds):
    ns = seconds * 1e9
    if kind == "python":
        python_for(ns)
    elif kind == "native-released":
        released_for(ns)
    elif kind == "native-held":
        held_for(ns)
    elif kind == "io":
        time.sleep(seconds)
    else:
        raise ValueError("unknown step kind %r" % (kind,))


def run_request(steps, payload, reply):
    """The function an executor runs: every step, then `reply` bytes back."""
    for kind, seconds in steps:
        run_step(kind, seconds)
    return bytes(reply)


def draw_steps(request_type, rng):
    """(kind, seconds) of each step of one request."""
    out = []
    for st in request_type["steps"]:
        dist, a, b = st["dist"], st["a"], st["b"]
        if dist == "fixed":
            s = a
        elif dist == "lognormal":
            s = rng.lognormvariate(math.log(a), math.log(b / a) / _Z99)
        elif dist == "exp":
            s = rng.expovariate(1.0 / a)
        elif dist == "uniform":
            s = rng.uniform(a, b)
        else:
            s = rng.choice(st["samples"])
        out.append((st["kind"], max(s, 1e-9)))
    return out
