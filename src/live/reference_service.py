"""execsim's live reference service: the lesson's asyncio prime service, run for real.

Run by `execsim live FILE --backend cpython` (embedded in the binary, run as
`python3 -I -c <this file> '<json config>'`). Two roles:

- "service": the lesson's server (asyncio loop on its own thread, `run_in_executor` with a
  ThreadPoolExecutor / ProcessPoolExecutor / InterpreterPoolExecutor, or inline; or a thread
  per connection) and the clients that run in the server's process (threads, as in the lesson).
- "clients": the clients that have a process of their own (in_process = false).

Each role prints JSON lines on stdout: {"event": "ready", ...} once listening (service),
{"event": "second", "t": k, "counts": {...}} after each whole second of the run, then
{"event": "summary", ...} at the end of the run, and then waits to be killed (execsim kills the
whole process group: a find_nth_prime(100000) in progress cannot be stopped any other way).

Nothing outlives the run, whatever kills execsim (SIGKILL included). execsim starts this process
with PR_SET_PDEATHSIG = SIGKILL (it dies with execsim). Each process-pool worker sets the same
in its initializer, through libc's prctl (ctypes): the signal fires when the thread that forked
the worker exits, and CPython 3.11's ProcessPoolExecutor (fork start method) forks all its
workers at the first submit, from the thread that calls submit: the event-loop thread
(run_in_executor), which runs until the process dies. (A worker replaced after max_tasks_per_child
would be forked by the manager thread; this service does not use it.) Every process also runs a
lifeline thread that exits when its parent pid changes (its parent died: it was re-parented) or
at the run's deadline (config "watchdog_s" from the service's start).

Protocol deviation from the lesson, on purpose: requests and replies end with a newline, so that
an open-loop client can count replies that arrive together (the lesson's bare digits would run
together). Everything else is the lesson's code path: one `reader.read(4096)`, `int()`,
`run_in_executor`, `writer.write`, `await writer.drain()`.

Affinity: `os.sched_setaffinity(0, cores)` called inside a thread applies to that thread only
(Linux). The loop thread, each client thread, each pool worker (ThreadPoolExecutor and
ProcessPoolExecutor initializer) pin themselves; the process pool's manager and feeder threads
are created by the loop thread and inherit its mask, or are pinned by thread id when "helpers"
is given.
"""

import asyncio
import json
import os
import random
import signal
import socket
import statistics
import sys
import threading
import time
from collections import deque
from concurrent.futures import BrokenExecutor


# find_nth_prime and is_prime (src/workload/lesson_core.py), die_with_parent and start_lifeline
# (src/live/lifeline.py): prepended to this script by execsim.


_emit_lock = threading.Lock()


def emit(obj):
    line = json.dumps(obj, separators=(",", ":")) + "\n"
    with _emit_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def fail(message):
    emit({"event": "error", "message": message})
    sys.stdout.flush()
    os._exit(2)


def pin(cores):
    if cores:
        os.sched_setaffinity(0, cores)


DEADLINE_NS = [None]  # the run's deadline, CLOCK_MONOTONIC ns (set by main)


COLD_PROBE_IDLE_S = 0.005  # how long the thread sleeps before each timed cold round trip
COLD_PROBE_ROUNDS = 31  # round trips timed each way (the medians are kept)


def probe_cold(idle_s=COLD_PROBE_IDLE_S, rounds=COLD_PROBE_ROUNDS):
    """The request path's cold start in this process: thread CPU time of single asyncio round
    trips (as in `probe_service`) right after the thread slept `idle_s` (its vCPU halted that
    long), against the same round trips back to back; medians of `rounds` each, ns per round
    trip, as (warm, cold). The cache lines a halted vCPU's host CPU lost to other work are
    what the cold ones pay again: how much depends on what else the host runs, so it is
    measured in each run and reported (src/live/cold_start.rs)."""
    a, b = loopback_pair()
    loop = asyncio.new_event_loop()

    async def main():
        r1, w1 = await asyncio.open_connection(sock=a)
        r2, w2 = await asyncio.open_connection(sock=b)

        async def round_trip(i):
            t0 = time.thread_time_ns()
            w1.write(b"%d\n" % i)
            n = int(await r2.readline())
            w2.write(b"%d\n" % n)
            await r1.readline()
            return time.thread_time_ns() - t0

        warm, cold = [], []
        for i in range(rounds):
            await round_trip(i)
            warm.append(await round_trip(i))
            time.sleep(idle_s)  # blocks the thread: its vCPU halts
            cold.append(await round_trip(i))
        w1.close()
        w2.close()
        return statistics.median(warm), statistics.median(cold)

    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def describe_exitcode(code):
    """A multiprocessing exit code in words."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return "was killed by signal %d (%s)" % (-code, name)
    return "exited with status %d" % code


THREADS = []  # {"name", "pid", "tid"} of every thread of interest


def register(name):
    THREADS.append({"name": name, "pid": os.getpid(), "tid": threading.get_native_id()})


_worker_counter = [0]
_worker_lock = threading.Lock()


SUBINTERPRETER_SETUP = """
import marshal, types, _interpqueues
find_nth_prime = types.FunctionType(marshal.loads(_find_nth_prime), globals(), "find_nth_prime")
is_prime = types.FunctionType(marshal.loads(_is_prime), globals(), "is_prime")
"""


def subinterpreter_pool_class():
    """3.13's stand-in for 3.14's InterpreterPoolExecutor, over the private modules it is
    built on (`_interpreters`, `_interpqueues`); None where they are missing. Like 3.14's, a
    ThreadPoolExecutor whose every worker thread owns one sub-interpreter, created with the
    default (isolated) config: its own GIL and allocator. A call sets the argument in the
    sub-interpreter's `__main__`, runs the prime core there (`_interpreters.exec`: the thread
    swaps to the sub-interpreter's thread state, leaving the main interpreter's GIL), and
    reads the result from a cross-interpreter queue the sub-interpreter put it in. The
    prime core's functions cross as marshalled code objects (their source is not at hand
    in a `-c` script), rebuilt over the sub-interpreter's own globals."""
    try:
        import marshal
        import _interpqueues
        import _interpreters
        from concurrent.futures import ThreadPoolExecutor
    except ImportError:
        return None

    class SubinterpreterPool(ThreadPoolExecutor):
        def __init__(self, max_workers, cores):
            self._local = threading.local()
            super().__init__(
                max_workers=max_workers, initializer=self._start, initargs=(cores,)
            )

        def _start(self, cores):
            thread_worker_init(cores)
            iid = _interpreters.create()
            qid = _interpqueues.create(1, 0, 3)  # shared-only items, unbound items replaced
            _interpreters.set___main___attrs(iid, {
                "_find_nth_prime": marshal.dumps(find_nth_prime.__code__),
                "_is_prime": marshal.dumps(is_prime.__code__),
                "_qid": qid,
            })
            failed = _interpreters.exec(iid, SUBINTERPRETER_SETUP)
            if failed is not None:
                raise RuntimeError("sub-interpreter setup failed: %s" % (failed,))
            self._local.iid, self._local.qid = iid, qid

        def submit(self, fn, /, *args):
            if fn is not find_nth_prime:
                raise TypeError("the 3.13 interpreter pool runs find_nth_prime only")
            return super().submit(self._call, args[0])

        def _call(self, n):
            iid, qid = self._local.iid, self._local.qid
            _interpreters.set___main___attrs(iid, {"_n": n})
            failed = _interpreters.exec(
                iid, "_interpqueues.put(_qid, find_nth_prime(_n), 0, 3)"
            )
            if failed is not None:
                raise RuntimeError("find_nth_prime(%d) failed in a sub-interpreter: %s" % (n, failed))
            return _interpqueues.get(qid)[0]

    return SubinterpreterPool


def thread_worker_init(cores):
    """ThreadPoolExecutor initializer: name and pin the worker thread."""
    with _worker_lock:
        k = _worker_counter[0]
        _worker_counter[0] += 1
    register("worker-%d" % k)
    pin(cores)


def process_worker_init(cores, service, forks, deadline_ns):
    """ProcessPoolExecutor initializer (runs in the worker process): die with the process that
    started it (PDEATHSIG, then a check that it did not die before that was set), pin, and
    start the lifeline thread (after pinning, so that it inherits the worker's cores).

    With the fork start method (3.11 to 3.13 on Linux: `forks`) that process is the service;
    with forkserver (3.14's default) it is the fork server, a child of the service, and the
    lifeline also watches that the fork server's parent is still the service."""
    die_with_parent()
    parent = service if forks else os.getppid()
    if os.getppid() != parent:
        os._exit(EXIT_ORPHANED)
    pin(cores)
    start_lifeline(parent, deadline_ns, 0.2, root=service)


class Stats:
    """One client's counters, filled by its threads, read by the main thread at the end."""

    def __init__(self, name, n, start_s, seconds):
        self.name = name
        self.n = n
        self.start_s = start_s
        self.issued = 0
        self.completed = 0
        self.wrong = 0
        self.per_second = [0] * seconds
        self.latencies_us = []


class Run:
    def __init__(self, cfg):
        self.cfg = cfg
        self.duration_ns = int(cfg["duration_s"] * 1e9)
        self.seconds = -(-self.duration_ns // 1_000_000_000)
        self.expect = {int(k): int(v) for k, v in cfg.get("expect", {}).items()}
        self.t0 = None
        self.port = None

    def record(self, st, sent_ns, now_ns, value, n, expect):
        rel = now_ns - self.t0
        if rel >= self.duration_ns:
            return
        st.completed += 1
        if expect.get(n, value) != value:
            st.wrong += 1
        st.per_second[rel // 1_000_000_000] += 1
        st.latencies_us.append(max(1, (now_ns - sent_ns) // 1000))


def draw_work(spec, rng):
    """The next request's line (b"7", or b"r0" for request type 0) and the n it records
    (-1 for a request type: its reply is not checked)."""
    if spec.get("request") is not None:
        return b"r%d" % spec["request"], -1
    if spec.get("work_mix") is not None:
        mix = spec["work_mix"]
        total = sum(w for _, w in mix)
        x = rng.random() * total
        token = mix[-1][0]
        for t, w in mix:
            if x < w:
                token = t
                break
            x -= w
        return token.encode(), (-1 if token.startswith("r") else int(token))
    n = draw_n(spec, rng)
    return b"%d" % n, n


def draw_n(spec, rng):
    if spec.get("n") is not None:
        return int(spec["n"])
    mix = spec["mix"]
    total = sum(w for _, w in mix)
    x = rng.random() * total
    for n, w in mix:
        if x < w:
            return int(n)
        x -= w
    return int(mix[-1][0])


def read_line(sock, buf):
    """Reads up to a newline; returns (line, rest)."""
    while b"\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line, rest


def build_note():
    """", free-threaded" (", free-threaded, GIL enabled" with -X gil=1) on a free-threaded
    build, else nothing."""
    import sysconfig

    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        return ""
    gil = getattr(sys, "_is_gil_enabled", lambda: False)()
    return ", free-threaded" + (", GIL enabled" if gil else "")


def thread_own_copy(expect):
    """The expected replies as a dict the calling thread creates, keys and values included.

    On a free-threaded build (3.13t) a thread reading a dict, or taking a new reference to
    an object, that another thread created takes the object's lock when the reference count
    is not yet shared (`_Py_dict_lookup_threadsafe`'s `read_failed` path), and a contended
    `PyMutex` spins with up to 40 `sched_yield` calls before parking (`Python/lock.c`,
    `MAX_SPIN_COUNT`). With one shared dict the client's check of each reply did that for
    every request (26,000 sched_yield calls a second, `perf record -e
    syscalls:sys_enter_sched_yield -g`), which is the harness's cost, not the service's.
    """
    return json.loads(json.dumps(expect))


def sleep_until(t_ns):
    while True:
        d = t_ns - time.monotonic_ns()
        if d <= 0:
            return
        time.sleep(min(d / 1e9, 0.5))


def closed_client(run, spec, st, cores):
    spec = thread_own_copy(spec)
    register("client:" + spec["name"])
    pin(cores)
    rng = random.Random(spec["seed"])
    sleep_until(run.t0 + int(spec["start_s"] * 1e9))
    sock = socket.create_connection(("127.0.0.1", run.port))
    think = spec.get("think_s", 0.0)
    expect = {int(k): v for k, v in thread_own_copy(run.expect).items()}
    buf = b""
    while True:
        line, n = draw_work(spec, rng)
        t = time.monotonic_ns()
        sock.sendall(line + b"\n")
        st.issued += 1
        line, buf = read_line(sock, buf)
        run.record(st, t, time.monotonic_ns(), int(line), n, expect)
        if think > 0:
            time.sleep(think)


def open_client(run, spec, st, cores):
    spec = thread_own_copy(spec)
    register("client:" + spec["name"])
    pin(cores)
    rng = random.Random(spec["seed"])
    start = run.t0 + int(spec["start_s"] * 1e9)
    sleep_until(start)
    sock = socket.create_connection(("127.0.0.1", run.port))
    pending = deque()  # (arrival ns, n)

    def receiver():
        register("client:" + spec["name"] + "/recv")
        pin(cores)
        expect = {int(k): v for k, v in thread_own_copy(run.expect).items()}
        buf = b""
        while True:
            line, buf = read_line(sock, buf)
            sent, n = pending.popleft()
            run.record(st, sent, time.monotonic_ns(), int(line), n, expect)

    threading.Thread(target=receiver, daemon=True).start()
    mean_ns = 1e9 / spec["rate"]
    due = start
    while True:
        gap = rng.expovariate(1.0) * mean_ns if spec["arrivals"] == "poisson" else mean_ns
        due += max(1, int(gap))
        sleep_until(due)
        line, n = draw_work(spec, rng)
        pending.append((due, n))
        sock.sendall(line + b"\n")
        st.issued += 1


def guarded(target, *args):
    """Runs a client; a client that fails ends the run with an error (it would skew the counts)."""
    try:
        target(*args)
    except Exception as e:
        fail("client %s failed: %s: %s" % (args[1]["name"], type(e).__name__, e))


def start_clients(run, specs, cores):
    stats = []
    for spec in specs:
        first = spec.get("n") or (spec.get("mix") or [[0]])[0][0]
        st = Stats(spec["name"], first, spec["start_s"], run.seconds)
        stats.append(st)
        target = open_client if spec["mode"] == "open" else closed_client
        threading.Thread(
            target=guarded, args=(target, run, spec, st, cores), daemon=True
        ).start()
    return stats


class PrimeService:
    """The lesson's PrimeService with a configurable executor."""

    def __init__(self, cfg):
        kind = cfg["executor"]
        workers = cfg["workers"]
        aff = cfg["affinity"]
        self.inline = kind == "inline"
        self.kind = kind
        self.helpers_pinned = False
        self.helpers = aff.get("helpers")
        if kind == "thread":
            from concurrent.futures import ThreadPoolExecutor

            self.executor = ThreadPoolExecutor(
                max_workers=workers, initializer=thread_worker_init, initargs=(aff["workers"],)
            )
        elif kind == "process":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # The pool's default start method (this call fixes it, as the pool would).
            forks = multiprocessing.get_start_method(allow_none=False) == "fork"
            self.executor = ProcessPoolExecutor(
                max_workers=workers,
                initializer=process_worker_init,
                initargs=(aff["workers"], os.getpid(), forks, DEADLINE_NS[0]),
            )
        elif kind == "interpreter":
            try:
                from concurrent.futures import InterpreterPoolExecutor
            except ImportError:
                InterpreterPoolExecutor = None
            if InterpreterPoolExecutor is not None:
                self.executor = InterpreterPoolExecutor(max_workers=workers)
            elif subinterpreter_pool_class() is not None:
                if cfg.get("requests"):
                    fail(
                        "request types on executor = \"interpreter\" need Python 3.14's "
                        "InterpreterPoolExecutor; the 3.13 pool here runs the prime core only"
                    )
                self.executor = subinterpreter_pool_class()(workers, aff["workers"])
            else:
                fail(
                    "executor = \"interpreter\" needs Python 3.13 (its _interpreters module) "
                    "or 3.14 (concurrent.futures.InterpreterPoolExecutor); this is "
                    + sys.version.split()[0]
                )
        else:
            self.executor = None
        self.pool_processes = {}  # pid -> multiprocessing.Process, once started
        self.requests = cfg.get("requests", [])
        self.request_rngs = [random.Random(r["seed"]) for r in self.requests]
        # One payload object per request type, made once: what a request hands the executor
        # (a process pool pickles it each time; a thread pool passes the reference).
        self.payloads = [bytes(r["payload"]) for r in self.requests]

    def broken_pool(self, e):
        """What broke the process pool: each worker's pid and how it ended. The pool notices
        a worker's end (its sentinel pipe closes) before the kernel makes it waitable, then
        terminates the other workers: wait up to two seconds until every worker has an exit
        code."""
        deadline = time.monotonic() + 2.0
        procs = self.pool_processes.values()
        while time.monotonic() < deadline and any(p.exitcode is None for p in procs):
            time.sleep(0.01)
        ended = [
            "worker-process-%d (pid %d) %s" % (i, pid, describe_exitcode(p.exitcode))
            for i, (pid, p) in enumerate(sorted(self.pool_processes.items()))
        ]
        return "the process pool broke (%s: %s): %s" % (
            type(e).__name__,
            e,
            "; ".join(ended) or "no worker was started",
        )

    def note_helpers(self):
        """Names the process pool's manager and feeder threads once they exist."""
        self.helpers_pinned = True
        ex = self.executor
        found = []
        t = getattr(ex, "_executor_manager_thread", None)
        if t is not None and t.native_id:
            found.append(("manager", t.native_id))
        q = getattr(ex, "_call_queue", None)
        t = getattr(q, "_thread", None)
        if t is not None and t.native_id:
            found.append(("feeder", t.native_id))
        for name, tid in found:
            THREADS.append({"name": name, "pid": os.getpid(), "tid": tid})
            if self.helpers:
                try:
                    os.sched_setaffinity(tid, self.helpers)
                except OSError:
                    pass

    async def handle_client(self, reader, writer):
        buf = b""
        while True:
            data = await reader.read(4096)
            if not data:
                writer.close()
                return
            buf += data
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                if line.startswith(b"r"):
                    await self.handle_request_type(int(line[1:]))
                    writer.write(b"0\n")
                    await writer.drain()
                    continue
                nth_prime = int(line)
                if self.inline:
                    prime = find_nth_prime(nth_prime)
                else:
                    current_loop = asyncio.get_running_loop()
                    try:
                        future = current_loop.run_in_executor(
                            self.executor, find_nth_prime, nth_prime
                        )
                        if self.kind == "process" and not self.pool_processes:
                            # The fork start method has started every worker in submit.
                            self.pool_processes = dict(getattr(self.executor, "_processes", {}))
                        prime = await future
                    except BrokenExecutor as e:
                        # A worker died: end the run naming it, instead of leaving a client hung.
                        fail(self.broken_pool(e))
                    if self.kind == "process" and not self.helpers_pinned:
                        self.note_helpers()
                writer.write(b"%d\n" % prime)
                await writer.drain()

    async def handle_request_type(self, k):
        """One request of request type k (src/workload/steps.py): inline, its steps on the
        loop, awaiting its io; otherwise its steps in the executor, with its payload."""
        rt = self.requests[k]
        steps = draw_steps(rt, self.request_rngs[k])
        if self.inline:
            for kind, seconds in steps:
                if kind == "io":
                    await asyncio.sleep(seconds)
                else:
                    run_step(kind, seconds)
            return
        payload = self.payloads[k]
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self.executor, run_request, steps, payload, rt["reply"])
            if self.kind == "process" and not self.pool_processes:
                self.pool_processes = dict(getattr(self.executor, "_processes", {}))
            await future
        except BrokenExecutor as e:
            fail(self.broken_pool(e))
        if self.kind == "process" and not self.helpers_pinned:
            self.note_helpers()

    def worker_pids(self):
        procs = getattr(self.executor, "_processes", None) or {}
        return list(procs.keys())


def asyncio_server(cfg, ready, holder):
    register("event-loop")
    pin(cfg["affinity"]["loop"])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    service = PrimeService(cfg)
    holder.append(service)
    server = loop.run_until_complete(
        asyncio.start_server(service.handle_client, "127.0.0.1", 0)
    )
    ready.append(server.sockets[0].getsockname()[1])
    loop.run_forever()


_TPC_REQUESTS = []  # (request type, its random.Random, a lock) per request type


def connection_thread(conn, k, cores):
    register("conn-%d" % k)
    pin(cores)
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            conn.close()
            return
        buf += data
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            if line.startswith(b"r"):
                rt, rng, lock = _TPC_REQUESTS[int(line[1:])]
                with lock:
                    steps = draw_steps(rt, rng)
                run_request(steps, None, 0)
                conn.sendall(b"0\n")
                continue
            conn.sendall(b"%d\n" % find_nth_prime(int(line)))


def thread_per_connection_server(cfg, ready, holder):
    for rt in cfg.get("requests", []):
        _TPC_REQUESTS.append((rt, random.Random(rt["seed"]), threading.Lock()))
    register("acceptor")
    pin(cfg["affinity"]["loop"])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    ready.append(srv.getsockname()[1])
    k = 0
    while True:
        conn, _ = srv.accept()
        threading.Thread(
            target=connection_thread, args=(conn, k, cfg["affinity"]["workers"]), daemon=True
        ).start()
        k += 1


def main():
    cfg = json.loads(sys.argv[1])
    # execsim's PDEATHSIG is already set: the parent seen now is execsim, or we are being killed.
    DEADLINE_NS[0] = time.monotonic_ns() + int(cfg["watchdog_s"] * 1e9)
    start_lifeline(os.getppid(), DEADLINE_NS[0], 0.5)
    run = Run(cfg)
    role = cfg["role"]
    register("main")
    if role == "service":
        cold = None
        if cfg.get("cold_probe"):
            # Before anything else runs in this process (execsim probes the host's speed in
            # processes of their own: src/live/speed_probe.py).
            warm_ns, cold_ns = probe_cold()
            cold = {"warm_ns": warm_ns, "cold_ns": cold_ns}
        if cfg.get("requests"):
            # The unit costs the request types' steps are sized from, in this process, before
            # anything else runs (the pool's processes fork from it and inherit them).
            measure_units()
        sys.setswitchinterval(cfg["switch_interval_s"])
        ready, holder = [], []
        server = asyncio_server if cfg["server_kind"] == "asyncio" else thread_per_connection_server
        threading.Thread(target=server, args=(cfg, ready, holder), daemon=True).start()
        deadline = time.monotonic() + 10
        while not ready:
            if time.monotonic() > deadline:
                fail("the server did not start listening within 10 s")
            time.sleep(0.005)
        run.port = ready[0]
        run.t0 = time.monotonic_ns() + int(cfg["t0_delay_s"] * 1e9)
        impl = sys.implementation.name
        emit(
            {
                "event": "ready",
                "port": run.port,
                "t0_ns": run.t0,
                "pid": os.getpid(),
                "python": "%s %s%s (%s)" % (impl, sys.version.split()[0], build_note(), sys.executable),
                "switch_interval_s": sys.getswitchinterval(),
            }
        )
        stats = start_clients(run, cfg["clients"], cfg["affinity"]["clients"])
        service = holder[0] if holder else None
        extra = {}

        def worker_pids():
            # Read at the end: the pool starts its processes lazily.
            pids = service.worker_pids() if service is not None else []
            extra["processes"] = [
                {"name": "worker-process-%d" % i, "pid": p} for i, p in enumerate(pids)
            ]
            if cold:
                extra["cold_probe"] = cold
            if UNITS:
                extra["step_units_ns"] = dict(UNITS)

        finish_runner(run, stats, extra, worker_pids)
    else:
        sys.setswitchinterval(cfg["switch_interval_s"])
        run.port = cfg["port"]
        run.t0 = cfg["t0_ns"]
        emit({"event": "ready", "pid": os.getpid()})
        stats = start_clients(run, cfg["clients"], cfg["affinity"]["clients"])
        finish_runner(run, stats, {}, lambda: None)


def finish_runner(run, stats, extra, before_summary):
    for k in range(1, run.seconds + 1):
        sleep_until(run.t0 + min(k * 1_000_000_000, run.duration_ns))
        emit({"event": "second", "t": k - 1, "counts": {s.name: s.per_second[k - 1] for s in stats}})
    before_summary()
    clients = []
    for s in stats:
        clients.append(
            {
                "name": s.name,
                "n": s.n,
                "start_s": s.start_s,
                "issued": s.issued,
                "completed": s.completed,
                "wrong": s.wrong,
                "per_second": list(s.per_second),
                "latencies_us": list(s.latencies_us),
            }
        )
    summary = {"event": "summary", "role": run.cfg["role"], "clients": clients, "threads": THREADS}
    summary.update(extra)
    emit(summary)
    time.sleep(600)
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, do not hang
        fail("%s: %s" % (type(e).__name__, e))
