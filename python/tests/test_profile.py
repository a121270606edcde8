"""Tests of execsim._profile: known functions' GIL shares, request shapes, arguments."""

import hashlib
import json
import re
import statistics
import sys
import threading
import time

import pytest

try:
    from execsim._profile import Profile, profile
except ImportError:  # the module alone, before the package is built
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "execsim_profile", pathlib.Path(__file__).resolve().parents[1] / "execsim" / "_profile.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    profile, Profile = mod.profile, mod.Profile

REPEAT = 25
SHA_BUFFER = bytes(8 << 20)


def python_loop(n):
    return sum(i * i for i in range(n))


def loop_size(target_s=0.02):
    """A python_loop size that takes about target_s on this machine."""
    n = 50_000
    start = time.perf_counter()
    python_loop(n)
    return max(1, int(n * target_s / (time.perf_counter() - start)))


def sha256():
    return hashlib.sha256(SHA_BUFFER).digest()


def median(p, field):
    return statistics.median(c[field] for c in p.calls)


def total(p, field):
    return sum(c[field] for c in p.calls)


@pytest.fixture(scope="module")
def loop_profile():
    return profile(python_loop, loop_size(), repeat=REPEAT)


@pytest.fixture(scope="module")
def sha_profile():
    return profile(sha256, repeat=REPEAT)


@pytest.fixture(scope="module")
def sleep_profile():
    return profile(time.sleep, 0.01, repeat=REPEAT)


def check_duration(d):
    """A duration as the scenario file takes it: "<int>ns" or a lognormal table."""
    if isinstance(d, str):
        assert re.fullmatch(r"[0-9]+ns", d), d
        return
    assert set(d) == {"dist", "median", "p99"} and d["dist"] == "lognormal", d
    assert re.fullmatch(r"[0-9]+ns", d["median"]) and re.fullmatch(r"[0-9]+ns", d["p99"]), d
    assert int(d["p99"][:-2]) > int(d["median"][:-2]), d


def check_request(request, name):
    assert request["name"] == name
    assert request["steps"], request
    for step in request["steps"]:
        kind = next(iter(step))
        assert kind in ("python", "native", "io"), step
        assert set(step) == ({"native", "gil"} if kind == "native" else {kind}), step
        if kind == "native":
            assert step["gil"] == "released"
        check_duration(step[kind])
    kinds = [next(iter(step)) for step in request["steps"]]
    assert kinds == sorted(kinds, key=["python", "native", "io"].index), kinds


def test_a_python_loop_holds_the_gil(loop_profile):
    p = loop_profile
    assert p.held_share >= 0.9, p.summary()
    assert p.cpu_held_share >= 0.9, p.summary()
    assert p.samples >= REPEAT, p.summary()  # one every ~5.5 ms in Python code
    request = p.request()
    check_request(request, "python_loop")
    assert "python" in request["steps"][0]


def test_sha256_over_8mb_releases_the_gil(sha_profile):
    p = sha_profile
    assert p.held_share <= 0.1, p.summary()
    assert p.cpu_held_share <= 0.1, p.summary()
    own_time = total(p, "wall_ns") - total(p, "preempted_ns")
    assert total(p, "released_ns") >= 0.8 * own_time, p.summary()
    request = p.request()
    check_request(request, "sha256")
    assert any(step.get("gil") == "released" for step in request["steps"]), request


def test_sleep_is_off_cpu_wait(sleep_profile):
    p = sleep_profile
    assert p.held_share <= 0.1, p.summary()
    assert 7e6 <= median(p, "wait_ns") <= 13e6, p.summary()
    request = p.request()
    check_request(request, "sleep")
    assert any("io" in step for step in request["steps"]), request


def test_a_mixed_call_is_weighted_by_cpu_time():
    """Python then SHA-256: the held share is the Python part's share of the CPU time,
    although the probe samples GIL-free code about ten times as often."""
    n = loop_size(0.01)
    parts = []  # per call, the CPU time of its Python part and of its SHA-256 part

    def mixed():
        t0 = time.thread_time_ns()
        python_loop(n)
        t1 = time.thread_time_ns()
        sha256()
        parts.append((t1 - t0, time.thread_time_ns() - t1))

    p = profile(mixed, repeat=REPEAT)
    measured = parts[-REPEAT:]
    truth = sum(py for py, _ in measured) / sum(py + sha for py, sha in measured)
    assert abs(p.cpu_held_share - truth) <= 0.1, (truth, p.summary())


def test_sleeping_does_not_dilute_the_held_time():
    """Python then a sleep: the held time is the Python part's CPU time, not the
    Python part's share of the wall time applied to the CPU time."""
    n = loop_size(0.005)
    python_cpu = []

    def python_then_sleep():
        t0 = time.thread_time_ns()
        python_loop(n)
        python_cpu.append(time.thread_time_ns() - t0)
        time.sleep(0.01)

    p = profile(python_then_sleep, repeat=REPEAT)
    truth = sum(python_cpu[-REPEAT:])
    assert abs(total(p, "held_ns") - truth) <= 0.1 * truth, (truth, p.summary())
    assert 7e6 <= median(p, "wait_ns") <= 13e6, p.summary()


def test_the_calls_are_recorded_in_full(sleep_profile):
    p = sleep_profile
    assert len(p.calls) == REPEAT
    for call in p.calls:
        assert set(call) == {"wall_ns", "cpu_ns", "held_ns", "released_ns", "wait_ns", "preempted_ns", "samples"}
        assert call["held_ns"] + call["released_ns"] == call["cpu_ns"]
        assert call["wait_ns"] == max(0, call["wall_ns"] - call["cpu_ns"] - call["preempted_ns"])
    assert p.samples == sum(call["samples"] for call in p.calls)
    data = json.loads(json.dumps(p.to_dict()))
    assert data["name"] == "sleep" and len(data["calls"]) == REPEAT
    assert data["held_share"] == p.held_share
    assert "sleep" in p.summary() and "p99" in p.summary()
    assert repr(p).startswith("Profile(name='sleep'")


def test_fn_gets_its_arguments_warmup_and_repeat_calls():
    switch_interval = sys.getswitchinterval()
    seen = []
    p = profile(lambda a, b=0: seen.append((a, b)), 1, b=2, repeat=3, warmup=2, name="spy")
    assert seen == [(1, 2)] * 5
    assert p.name == "spy" and len(p.calls) == 3
    assert sys.getswitchinterval() == switch_interval
    seen.clear()
    profile(lambda: seen.append(0), repeat=1, warmup=0)
    assert seen == [0]


def synthetic(held, released=None, wait=None):
    """A Profile from given per-call parts (cpu = held + released)."""
    released = released or [0] * len(held)
    wait = wait or [0] * len(held)
    calls = [
        {"wall_ns": h + r + w, "cpu_ns": h + r, "held_ns": h, "released_ns": r, "wait_ns": w,
         "preempted_ns": 0, "samples": 1}
        for h, r, w in zip(held, released, wait)
    ]
    return Profile("f", calls, baseline_ns=0, threshold_ns=0)


def test_request_durations_are_fixed_when_steady_and_lognormal_otherwise():
    steady = synthetic([1_000_000, 1_010_000, 1_015_000, 1_005_000, 1_000_000])
    assert steady.request() == {"name": "f", "steps": [{"python": "1005000ns"}]}
    few = synthetic([1_000_000, 3_000_000], released=[5_000, 5_000], wait=[500, 500])
    assert few.request()["steps"] == [{"python": "2000000ns"}, {"native": "5000ns", "gil": "released"}]
    spread = synthetic(list(range(1_000_000, 2_000_000, 10_000)))  # 100 calls
    assert spread.request()["steps"] == [
        {"python": {"dist": "lognormal", "median": "1495000ns", "p99": "1980000ns"}}
    ]
    # p99 equal to the median is pushed one nanosecond above it.
    flat_top = synthetic([900_000] + [1_000_000] * 9)
    assert flat_top.request()["steps"] == [
        {"python": {"dist": "lognormal", "median": "1000000ns", "p99": "1000001ns"}}
    ]


def test_an_empty_function_has_no_request():
    with pytest.raises(ValueError, match="no measurable time"):
        synthetic([100] * 5, released=[200] * 5, wait=[999] * 5).request()


@pytest.mark.parametrize(
    "kwargs, error, key",
    [
        ({"repeat": 0}, ValueError, "repeat"),
        ({"repeat": 2.0}, ValueError, "repeat"),
        ({"repeat": True}, ValueError, "repeat"),
        ({"warmup": -1}, ValueError, "warmup"),
        ({"warmup": "1"}, ValueError, "warmup"),
        ({"name": 3}, TypeError, "name"),
    ],
)
def test_bad_arguments_name_the_key(kwargs, error, key):
    with pytest.raises(error, match=f"^{key}: "):
        profile(lambda: None, **kwargs)


def test_fn_must_be_callable():
    with pytest.raises(TypeError, match="^fn: must be callable"):
        profile(42)


def test_an_exception_in_fn_propagates_and_stops_the_probe():
    before = threading.active_count()
    calls = []

    def boom():
        calls.append(1)
        if len(calls) == 3:
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        profile(boom, repeat=10)
    assert threading.active_count() == before
    assert not any(t.name == "execsim-gil-probe" for t in threading.enumerate())
