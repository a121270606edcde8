"""Profile a real Python function into an execsim request type.

``profile(fn, *args, **kwargs)`` calls ``fn(*args, **kwargs)`` ``repeat`` times in
the calling thread (after ``warmup`` unmeasured calls) and measures, per call:

* ``wall_ns``: wall time, with ``time.perf_counter_ns``;
* ``cpu_ns``: the calling thread's CPU time, with ``time.thread_time_ns``;
* ``held_ns``: the part of ``cpu_ns`` that held the GIL (Python code, and C code that
  keeps the GIL such as ``json`` or ``re``), from a sampling probe thread;
* ``released_ns = cpu_ns - held_ns``: CPU time with the GIL released (``hashlib``
  over large buffers, ``zlib``, numpy);
* ``preempted_ns``: time the thread was kept off-CPU while it could have run: by other
  processes using every core, or by the probe taking the GIL from it;
* ``wait_ns = max(0, wall_ns - cpu_ns - preempted_ns)``: off-CPU time of its own
  (sleeping, I/O, waiting on a lock).

So ``time.sleep`` is *wait*, ``hashlib.sha256`` over 8 MB is on-CPU with the GIL
*released*, and a pure-Python loop is on-CPU with the GIL *held*. ``Profile.request()``
turns held, released and wait into the ``python``, ``native`` (``gil = "released"``)
and ``io`` steps of an execsim request type. Preemption is left out of it and out of
the shares: it measures how busy this machine was, not the function, and the
simulator models competition for cores itself.

How it is measured
------------------
A daemon probe thread loops: it sleeps for about 0.5 ms (uniform in 0.25-0.75 ms,
drawn from ``random.Random`` with a fixed seed, so it does not phase-lock with the
measured code), which releases the GIL, and must take the GIL back before it runs
Python again:

* if the measured thread holds the GIL in Python code, CPython hands it over when the
  measured thread releases it of its own accord (calling C code that releases it,
  sleeping, returning to a GIL-free caller) or, at the latest, after the waiter has
  waited a whole switch interval (``sys.getswitchinterval()``, 5 ms by default; left
  unchanged) and forced a switch;
* if the GIL is free (the measured thread sleeps, or runs C code that released it),
  the probe takes it at once.

*Held or free.* On Linux the probe counts its own voluntary context switches across
each sample (``resource.getrusage`` with ``RUSAGE_THREAD``): the sleep is one; more
mean it blocked waiting for the GIL, which was therefore *held* from its wake until it
got it. Unlike timing, this does not mistake the operating system's delays for the
GIL: on a busy machine a probe that wakes while every core is taken may wait
milliseconds for one without blocking (on the VM below, free samples delayed by 4 ms
still counted one switch). Elsewhere it falls back on timing: before the first call the
probe takes 200 samples while the calling thread sleeps, and a sample whose delay
(reading minus intended wake, less the probe's run-queue time) exceeds their 95th
percentile + 0.2 ms is held.

*The operating system's delays.* The probe reads its own run-queue time (Linux
``/proc/thread-self/schedstat``) around each sample. A sample that did not block but
ran more than 0.2 ms late says nothing of the GIL meanwhile (it may have been taken and
released): its interval is *unknown*. In a sample that blocked, the run-queue time ends
the wait: the GIL had been released, and the probe waited for a core while the measured
thread went on as it did in the next sample.

*Weights.* A sample stands for the interval from the start of its sleep to the next
one's, and the probe reads the measured thread's CPU clock
(``time.pthread_getcpuclockid``) at each start: the CPU time the measured thread used in
the interval is its weight. The interval is cut into up to three pieces: where the
state differs from the previous sample's, it changed during the sleep, and the sleep's
first half takes the previous state (unless the previous sample blocked for less than
a switch interval: then the measured thread released the GIL of its own accord at that
sample's reading); a blocked sample's run-queue time and the time until the next
sleep, last, take the next sample's state; the rest takes the sample's own. The weight
is shared out assuming the measured thread used CPU in the first and last pieces at
the rate it did in the neighbouring interval; the middle piece gets the rest.

*Shares.* A call's held share is the held weight of the pieces overlapping it over
their known weight (each piece clipped to the call's ``[start, end)``, its weight in
proportion), unknown weight counting at the share of all calls together, and
``held_ns = cpu_ns * share``. Weighting by the measured thread's CPU time, rather than
counting samples, matters: samples arrive every ~0.5 ms while the GIL is free but only
every ~5.5 ms while it is held, so a count would under-weight held time about tenfold
in a call that mixes both; and time the measured thread spends sleeping or waiting for
a core weighs nothing, so a call of 5 ms of Python then 10 ms of sleep has 5 ms held,
not a third of its CPU time. Over the whole profile, ``held_share`` = total held time /
total own time (``cpu_ns + wait_ns``: the wall time less preemption), and
``cpu_held_share`` = total held time / total CPU time.

*Preemption.* The measured thread's off-CPU time in an interval is preemption if it
was runnable throughout: it held the GIL (so it was not asleep) or the probe found it
runnable (state ``R`` in ``/proc/self/task/<tid>/stat``) at that sample, the previous
one and the next one. Otherwise, in a sample that blocked, the measured thread held the
GIL while the probe waited without being runnable: the part of that wait its CPU time
in the interval cannot fill was preemption. (The kernel's own run-queue time for the
measured thread is not used: on Linux 6.18 it also counted parts of sleeps that
followed bursts of CPU.) The probe reads its ``/proc`` files with libc's ``pread``
through ``ctypes.PyDLL``, which keeps the GIL: ``os.pread`` releases it, and the probe
would then wait a switch interval to get it back.

Cost and accuracy
-----------------
* In pure-Python code the probe gets the GIL only by forcing a switch, about every
  5.5 ms. Each forced switch stalls the measured thread while the probe is woken,
  records its sample and sleeps again: tens of microseconds on the VM below, more when
  the probe has to wait for a core; the stall counts as ``preempted_ns``. While the GIL
  is free the probe runs on another core and does not slow the measured thread.
* The resolution is one probe period: a change between held and free code is placed
  to within ~0.25 ms (a release of the GIL by the measured thread, exactly), and a call
  much shorter than the period gets the state of the piece it falls in, right on
  average over many calls.
* Preemption is undercounted next to the measured thread's sleeps and I/O: on a busy
  machine a function that alternates short stretches of CPU (a few ms) with sleeps or
  I/O gets part of its preemption in ``wait_ns``.
* Any thread holding the GIL counts as the measured thread holding it, and C code that
  blocks without releasing the GIL counts as preempted: profile with no other busy
  Python threads. The measurement assumes a GIL; on a free-threaded build running
  without one, the probe never blocks and the held share is 0.
* Where ``/proc`` cannot be read (not Linux), no sample is unknown and preemption is
  counted only where the GIL was held; without ``RUSAGE_THREAD`` the timing fallback
  reads a probe delayed by the operating system as held; without
  ``time.pthread_getcpuclockid`` (Windows) intervals weigh their wall time, so time
  the measured thread spends sleeping dilutes the held share of its CPU time, and
  preemption is not measured.
* Measured with CPython 3.11 on a 2-vCPU VM, 25 calls each, in six runs (three idle,
  three with two CPU-bound processes keeping both cores busy and the measured thread
  preempted for 20-50% of its wall time): a pure-Python loop of ~20 ms, held share
  0.98-1.00 (truth ~1); ``hashlib.sha256`` over 8 MB, 0.000-0.014 (truth ~0);
  ``time.sleep(0.01)``, 0.000 (truth 0), ``wait_ns`` within 1% of 10 ms; ~10 ms of
  Python then ~15 ms of SHA-256, held share of CPU within 0.01 of the truth (timed
  inside the call); ~5 ms of Python then a 10 ms sleep, 0.95-1.00 of its CPU time held
  (truth ~1), ``wait_ns`` within 5% of 10 ms. Much the same on CPython 3.9, 3.10, 3.12
  and 3.13.

This module uses the standard library only and imports nothing from ``execsim``, so it
can be loaded on its own.
"""

from __future__ import annotations

import bisect
import math
import os
import random
import statistics
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

__all__ = ["Profile", "profile"]

try:
    import ctypes

    # libc's pread, called without releasing the GIL (see _ProcFile).
    _pread = ctypes.PyDLL(None).pread
    _pread.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_long)
    _pread.restype = ctypes.c_ssize_t
except (ImportError, OSError, AttributeError, TypeError):
    _pread = None

#: The probe's mean sleep period, and the +- fraction of uniform jitter around it.
PROBE_PERIOD_NS = 500_000
PROBE_JITTER = 0.5
#: Seed of the jitter, so runs are reproducible.
PROBE_SEED = 20240917
#: Idle samples taken before the first call, and the quantile of their delays used as
#: the probe's baseline wake-up latency.
CALIBRATION_SAMPLES = 200
BASELINE_QUANTILE = 0.95
#: Without a count of context switches, a sample whose delay exceeds the baseline by
#: more than this waited for the GIL.
HELD_MARGIN_NS = 200_000
#: A sample that the operating system kept waiting for a core longer than this tells
#: nothing of its interval.
LATE_NS = 200_000
#: Steps of ``request()`` whose median is below this are left out.
MIN_STEP_NS = 1_000
#: A part whose values all lie within this fraction of each other (or that has fewer
#: than ``STEADY_MIN_CALLS`` calls) is a fixed duration rather than a distribution.
STEADY_SPREAD = 0.02
STEADY_MIN_CALLS = 5

# One probe sample: its sleep start, intended wake instant and reading, in
# perf_counter ns; whether it blocked on the GIL (None if context switches cannot be
# counted); the probe's run-queue time in ns; the measured thread's CPU clock in ns at
# the sleep start and at the reading (None without that clock); and, if it did not
# block, whether the measured thread was runnable at the reading (None if unknown).
_Sample = Tuple[int, int, int, Optional[bool], int, Optional[int], Optional[int], Optional[bool]]
# A duration as the scenario file writes it: "1234ns" or a lognormal table.
Duration = Union[str, Dict[str, str]]

_PARTS = (
    ("python", "held_ns", {}),
    ("native", "released_ns", {"gil": "released"}),
    ("io", "wait_ns", {}),
)


def _nearest_rank(values: Sequence[int], q: float) -> int:
    """The nearest-rank ``q`` quantile of ``values`` (non-empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ratio(part: float, whole: float) -> float:
    """``part / whole``, or 0 if ``whole`` is not positive."""
    return part / whole if whole > 0 else 0.0


def _never() -> None:
    """The reader of a clock or count this platform does not have."""
    return None


def _cpu_clock(ident: int) -> Callable[[], Optional[int]]:
    """A reader of thread ``ident``'s CPU time in ns, usable from any thread; it
    returns None where there is no such clock."""
    try:
        clock_id = time.pthread_getcpuclockid(ident)
        time.clock_gettime_ns(clock_id)
    except (AttributeError, OSError):
        return _never
    return lambda: time.clock_gettime_ns(clock_id)


def _switch_counter() -> Callable[[], Optional[int]]:
    """A reader of the calling thread's voluntary context switches; it returns None
    where they cannot be counted. Reading does not release the GIL."""
    try:
        import resource

        who = resource.RUSAGE_THREAD
        getrusage = resource.getrusage
        getrusage(who)
    except (ImportError, AttributeError, OSError):
        return _never
    return lambda: getrusage(who).ru_nvcsw


class _ProcFile:
    """A Linux ``/proc`` file read again and again, without releasing the GIL: with
    libc's ``pread`` through ``ctypes.PyDLL`` (``os.pread`` releases the GIL, and the
    probe would then wait a whole switch interval to get it back). ``read()`` returns
    None where the file cannot be read."""

    _SIZE = 1024

    def __init__(self, path: str) -> None:
        self._fd = -1
        self._buffer = None
        if _pread is None:
            return
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        self._buffer = ctypes.create_string_buffer(self._SIZE)

    def read(self) -> Optional[bytes]:
        """The file's current contents."""
        if self._buffer is None:
            return None
        size = _pread(self._fd, self._buffer, self._SIZE, 0)
        return ctypes.string_at(self._buffer, size) if size > 0 else None

    def close(self) -> None:
        """Closes the file; it reads None from then on."""
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._buffer = -1, None


def _run_queue_clock(schedstat: _ProcFile) -> Callable[[], int]:
    """A reader of the nanoseconds a thread has spent runnable but waiting for a core
    (the second field of its ``schedstat``); it returns 0 where that cannot be read."""
    def read() -> int:
        text = schedstat.read()
        return int(text.split()[1]) if text else 0
    return read


def _running_state(stat: _ProcFile) -> Callable[[], Optional[bool]]:
    """A reader of whether a thread is running or runnable (state ``R`` in its
    ``stat``) rather than blocked; it returns None where that cannot be read."""
    def read() -> Optional[bool]:
        text = stat.read()
        return None if text is None else text[text.rindex(b")") + 2:].startswith(b"R")
    return read


class _Probe:
    """The sampling thread: sleeps, then records how it got the GIL back, and what the
    measured thread did meanwhile."""

    def __init__(self, measured_native_id: int, measured_cpu: Callable[[], Optional[int]]) -> None:
        self.samples: List[_Sample] = []
        self._measured_native_id = measured_native_id
        self._measured_cpu = measured_cpu
        self._calibrated = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="execsim-gil-probe", daemon=True)

    def _run(self) -> None:
        rng = random.Random(PROBE_SEED)
        low = int(PROBE_PERIOD_NS * (1 - PROBE_JITTER))
        high = int(PROBE_PERIOD_NS * (1 + PROBE_JITTER))
        samples, append = self.samples, self.samples.append
        clock, sleep, stopped = time.perf_counter_ns, time.sleep, self._stop.is_set
        measured_cpu, switches = self._measured_cpu, _switch_counter()
        own_schedstat = _ProcFile("/proc/thread-self/schedstat")
        measured_stat = _ProcFile(f"/proc/self/task/{self._measured_native_id}/stat")
        queued, measured_running = _run_queue_clock(own_schedstat), _running_state(measured_stat)
        try:
            while not stopped():
                period = rng.randint(low, high)
                switches_before, queued_before, cpu_before = switches(), queued(), measured_cpu()
                start = clock()
                sleep(period / 1e9)
                now = clock()
                cpu_after, queued_after, switches_after = measured_cpu(), queued(), switches()
                blocked = None if switches_before is None else switches_after - switches_before > 1
                append((
                    start,
                    start + period,
                    now,
                    blocked,
                    queued_after - queued_before,
                    cpu_before,
                    cpu_after,
                    None if blocked else measured_running(),
                ))
                if len(samples) == CALIBRATION_SAMPLES:
                    self._calibrated.set()
        finally:
            own_schedstat.close()
            measured_stat.close()

    def start(self) -> None:
        """Starts the thread."""
        self._thread.start()

    def wait_calibrated(self) -> None:
        """Sleeps until the thread has taken its idle samples."""
        while not self._calibrated.wait(0.05):
            if not self._thread.is_alive():
                raise RuntimeError("profile: the GIL probe thread stopped while calibrating")

    def stop(self) -> None:
        """Stops the thread and waits for it to end."""
        self._stop.set()
        self._thread.join()

    def analyse(self) -> _Analysis:
        """Classifies and weighs the samples taken after calibration: GIL pieces and
        preemption, as the module docstring describes."""
        samples = self.samples
        delays = [now - wake - queued for _, wake, now, _, queued, _, _, _ in samples]
        switch_interval_ns = sys.getswitchinterval() * 1e9
        baseline = max(0, _nearest_rank(delays[:CALIBRATION_SAMPLES], BASELINE_QUANTILE))
        threshold = baseline + HELD_MARGIN_NS
        held = [
            delay > threshold if blocked is None else blocked
            for (_, _, _, blocked, _, _, _, _), delay in zip(samples, delays)
        ]
        runnable = [is_held or bool(running) for is_held, (*_, running) in zip(held, samples)]
        # A sample's interval runs from its sleep start to the next one's, so that the
        # intervals cover all the time; the last one ends at its reading.
        ends = [sample[0] for sample in samples[1:]] + [samples[-1][2]]
        cpu_ends = [sample[5] for sample in samples[1:]] + [samples[-1][6]]
        weights = [
            float(end - start if cpu_start is None else cpu_end - cpu_start)
            for (start, _, _, _, _, cpu_start, _, _), end, cpu_end in zip(samples, ends, cpu_ends)
        ]
        rates = [min(1.0, weight / (end - sample[0])) for sample, end, weight in zip(samples, ends, weights)]
        analysis = _Analysis(baseline, threshold)
        for i in range(CALIBRATION_SAMPLES, len(samples)):
            start, wake, now, _, queued, cpu_start, _, _ = samples[i]
            end, weight, after = ends[i], weights[i], min(i + 1, len(samples) - 1)
            analysis.wakes.append(wake)
            tail = max(wake, now - queued) if held[i] else end
            if cpu_start is not None and runnable[i - 1] and runnable[i] and runnable[after]:
                analysis.preempted.add(start, end, None, max(0.0, end - start - weight))
            elif cpu_start is not None and held[i]:
                analysis.preempted.add(wake, tail, None, max(0.0, tail - wake - weight))
            if not held[i] and queued > LATE_NS:
                analysis.gil.add(start, end, None, weight)
                continue
            released = held[i - 1] and delays[i - 1] < switch_interval_ns
            middle = (start + wake) // 2 if held[i] != held[i - 1] and not released else start
            first = min(weight, rates[i - 1] * (middle - start))
            last = min(weight - first, rates[after] * (end - tail))
            analysis.gil.add(start, middle, held[i - 1], first)
            analysis.gil.add(middle, tail, held[i], weight - first - last)
            analysis.gil.add(tail, end, held[after], last)
        return analysis


class _Timeline:
    """Disjoint stretches of time, in order, each with a state and a weight."""

    def __init__(self) -> None:
        self._stretches: List[Tuple[int, int, Optional[bool], float]] = []
        self._ends: List[int] = []

    def add(self, start: int, end: int, state: Optional[bool], weight: float) -> None:
        """Appends the stretch ``[start, end)``, unless it is empty."""
        if end > start:
            self._stretches.append((start, end, state, weight))
            self._ends.append(end)

    def overlap(self, start: int, end: int) -> Iterator[Tuple[Optional[bool], float]]:
        """The state and weight of each stretch within ``[start, end)``, clipped to it
        with its weight in proportion."""
        for i in range(bisect.bisect_right(self._ends, start), len(self._stretches)):
            t0, t1, state, weight = self._stretches[i]
            if t0 >= end:
                break
            yield state, weight * (min(end, t1) - max(start, t0)) / (t1 - t0)


class _Analysis:
    """The probe's samples after calibration, analysed."""

    def __init__(self, baseline_ns: int, threshold_ns: int) -> None:
        self.baseline_ns = baseline_ns
        self.threshold_ns = threshold_ns
        #: The samples' intended wake instants, in order.
        self.wakes: List[int] = []
        #: GIL pieces, held (True), free (False) or unknown (None), weighed by the
        #: measured thread's CPU time.
        self.gil = _Timeline()
        #: The measured thread's preemption, weighed by its length.
        self.preempted = _Timeline()

    def samples_in(self, start: int, end: int) -> int:
        """The number of samples whose intended wake instant is in ``[start, end)``."""
        return bisect.bisect_left(self.wakes, end) - bisect.bisect_left(self.wakes, start)

    def gil_weights(self, start: int, end: int) -> Tuple[float, float, float]:
        """The held, known and unknown weight of the GIL pieces within ``[start, end)``."""
        held = known = unknown = 0.0
        for state, weight in self.gil.overlap(start, end):
            if state is None:
                unknown += weight
            else:
                known += weight
                if state:
                    held += weight
        return held, known, unknown

    def preempted_in(self, start: int, end: int) -> float:
        """The measured thread's preemption within ``[start, end)``, in ns."""
        return sum(weight for _, weight in self.preempted.overlap(start, end))


class Profile:
    """What ``profile()`` measured: one dict per call and the shares over them all.

    Attributes:
        name: the request type's name.
        calls: per call, ``wall_ns``, ``cpu_ns``, ``held_ns``, ``released_ns``,
            ``wait_ns``, ``preempted_ns`` and ``samples`` (probe samples whose
            intended wake instant fell in it).
        samples: probe samples that fell in the calls, in total.
        held_share: time with the GIL held / own time (``cpu_ns + wait_ns``: the wall
            time less preemption), over all calls (0..1).
        cpu_held_share: time with the GIL held / CPU time, over all calls (0..1).
        baseline_ns: the probe's idle wake-up latency (95th percentile).
        threshold_ns: the delay above which a sample reads as held, where context
            switches cannot be counted.
    """

    def __init__(self, name: str, calls: List[Dict[str, int]], baseline_ns: int, threshold_ns: int) -> None:
        self.name = name
        self.calls = calls
        self.baseline_ns = baseline_ns
        self.threshold_ns = threshold_ns
        self.samples = sum(c["samples"] for c in calls)
        held = sum(c["held_ns"] for c in calls)
        self.held_share = _ratio(held, sum(c["cpu_ns"] + c["wait_ns"] for c in calls))
        self.cpu_held_share = _ratio(held, sum(c["cpu_ns"] for c in calls))

    def _values(self, field: str) -> List[int]:
        return [c[field] for c in self.calls]

    def summary(self) -> str:
        """A short table: median and p99 (ms) of each part, and the held shares."""
        lines = [
            f"{self.name}: {len(self.calls)} calls, {self.samples} probe samples, "
            f"GIL held {self.held_share:.0%} of own time ({self.cpu_held_share:.0%} of CPU time)",
            f"{'':>9} {'median ms':>10} {'p99 ms':>10}",
        ]
        for field in ("wall_ns", "cpu_ns", "held_ns", "released_ns", "wait_ns", "preempted_ns"):
            values = self._values(field)
            median, p99 = statistics.median(values) / 1e6, _nearest_rank(values, 0.99) / 1e6
            lines.append(f"{field[:-3]:>9} {median:>10.3f} {p99:>10.3f}")
        return "\n".join(lines)

    def _duration(self, values: List[int], median: int) -> Duration:
        low, high = min(values), max(values)
        if len(values) < STEADY_MIN_CALLS or high - low <= STEADY_SPREAD * high:
            return f"{median}ns"
        p99 = max(_nearest_rank(values, 0.99), median + 1)
        return {"dist": "lognormal", "median": f"{median}ns", "p99": f"{p99}ns"}

    def request(self) -> Dict[str, Any]:
        """The request type for a scenario's ``requests=[...]`` (a ``[[requests]]`` entry).

        Its steps are, in order, ``python`` (held CPU), ``native`` with ``gil =
        "released"`` (released CPU) and ``io`` (wait), each kept only if its median is
        at least 1 us. Each duration is fixed (``"<median>ns"``) if the calls' values
        lie within 2% of each other or there are fewer than 5 calls, and otherwise a
        lognormal with the values' median and nearest-rank p99 (p99 > median). Raises
        ValueError if no step is left.
        """
        steps: List[Dict[str, Duration]] = []
        for key, field, extra in _PARTS:
            values = self._values(field)
            median = round(statistics.median(values))
            if median >= MIN_STEP_NS:
                steps.append({key: self._duration(values, median), **extra})
        if not steps:
            raise ValueError("profile: the function took no measurable time")
        return {"name": self.name, "steps": steps}

    def to_dict(self) -> Dict[str, Any]:
        """Everything measured, JSON-serialisable."""
        return {
            "name": self.name,
            "calls": [dict(c) for c in self.calls],
            "samples": self.samples,
            "held_share": self.held_share,
            "cpu_held_share": self.cpu_held_share,
            "baseline_ns": self.baseline_ns,
            "threshold_ns": self.threshold_ns,
        }

    def __repr__(self) -> str:
        wall = statistics.median(self._values("wall_ns")) / 1e6
        return (
            f"Profile(name={self.name!r}, calls={len(self.calls)}, median_wall_ms={wall:.3f}, "
            f"held_share={self.held_share:.3f}, cpu_held_share={self.cpu_held_share:.3f}, samples={self.samples})"
        )


def _check_count(key: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{key}: must be an integer of at least {least}")


def profile(fn: Callable[..., Any], *args: Any, repeat: int = 50, name: Optional[str] = None,
            warmup: int = 1, **kwargs: Any) -> Profile:
    """Calls ``fn(*args, **kwargs)`` ``warmup`` times unmeasured, then ``repeat`` times
    measured, in this thread, and returns what it measured (see the module docstring).

    Return values are discarded; an exception raised by ``fn`` propagates once the
    probe thread has stopped.
    """
    if not callable(fn):
        raise TypeError(f"fn: must be callable, not {type(fn).__name__}")
    _check_count("repeat", repeat, 1)
    _check_count("warmup", warmup, 0)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name: must be a string, not {type(name).__name__}")
    name = name or getattr(fn, "__name__", None) or type(fn).__name__

    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    spans: List[Tuple[int, int, int, int]] = []
    probe = _Probe(threading.get_native_id(), _cpu_clock(threading.get_ident()))
    probe.start()
    try:
        probe.wait_calibrated()
        for _ in range(warmup):
            fn(*args, **kwargs)
        for _ in range(repeat):
            w0, c0 = wall(), cpu()
            fn(*args, **kwargs)
            c1, w1 = cpu(), wall()
            spans.append((w0, w1, c0, c1))
    finally:
        probe.stop()

    analysis = probe.analyse()
    weighed = [analysis.gil_weights(w0, w1) for w0, w1, _, _ in spans]
    overall = _ratio(sum(h for h, _, _ in weighed), sum(k for _, k, _ in weighed))
    calls = []
    for (w0, w1, c0, c1), (held, known, unknown) in zip(spans, weighed):
        wall_ns, cpu_ns = w1 - w0, c1 - c0
        share = (held + unknown * overall) / (known + unknown) if known + unknown > 0 else overall
        held_ns = round(cpu_ns * share)
        preempted_ns = min(max(0, wall_ns - cpu_ns), round(analysis.preempted_in(w0, w1)))
        calls.append({
            "wall_ns": wall_ns,
            "cpu_ns": cpu_ns,
            "held_ns": held_ns,
            "released_ns": cpu_ns - held_ns,
            "wait_ns": max(0, wall_ns - cpu_ns - preempted_ns),
            "preempted_ns": preempted_ns,
            "samples": analysis.samples_in(w0, w1),
        })
    return Profile(name, calls, analysis.baseline_ns, analysis.threshold_ns)
