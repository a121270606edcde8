"""The Python front end against the command-line tool and itself: the same scenario gives
the same run (trace hash and all), errors name their key, records and DataFrames hold the
run's numbers, figures are PNG, simulations release the GIL, and a sweep on a Dask cluster
equals the local one byte for byte."""

import json
import struct
import subprocess
import threading

import pytest

import execsim

LESSON_THREAD = "scenarios/lesson-thread-5ms.toml"

SHORT = dict(
    executor="thread",
    workers=2,
    switch_interval="2ms",
    duration="3s",
    clients=[{"name": "simple", "n": 1}, {"name": "long", "n": 100000, "start": "1s"}],
)


def cli_json(execsim_bin, *args):
    out = subprocess.run([execsim_bin, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_a_file_runs_as_the_cli_runs_it(root, execsim_bin):
    path = root / LESSON_THREAD
    cli = cli_json(execsim_bin, "run", path, "--json", "--seed", 11)
    r = execsim.run(execsim.Scenario.from_toml(path), seed=11)
    assert r.trace_hash == cli["trace_hash"]
    assert r.data == cli
    assert r.seed == 11 and r.per_second["simple"] == cli["clients"][0]["per_second"]


def test_the_keyword_builder_is_the_toml_file(root, execsim_bin, tmp_path):
    s = execsim.Scenario(**SHORT)
    f = tmp_path / "short.toml"
    f.write_text(s.toml)
    cli = cli_json(execsim_bin, "run", f, "--json")
    assert execsim.run(s).trace_hash == cli["trace_hash"]
    # Text, a path as str, and a re-parse of the normalised TOML are the same scenario.
    assert execsim.Scenario.from_toml(s.toml) == s
    assert execsim.run(str(f)).trace_hash == cli["trace_hash"]
    d = s.to_dict()
    assert d["server"]["executor"] == "thread" and d["server"]["workers"] == 2
    assert d["python"]["switch_interval"] == "2ms"


def test_replace_changes_only_the_keys_given():
    s = execsim.Scenario(**SHORT, python={"version": "3.13"})
    assert s.replace() == s
    p = s.replace(executor="process", workers=None)
    # The same scenario written out with those keys changed (workers back to its default).
    want = execsim.Scenario(**{**SHORT, "executor": "process", "workers": None}, python={"version": "3.13"})
    assert p == want and p.to_dict()["server"]["workers"] is None
    assert execsim.run(p).trace_hash == execsim.run(want).trace_hash
    assert s.replace(python={"switch_interval": "1ms"}).to_dict()["python"]["version"] == "3.13"
    assert s.to_dict()["server"]["executor"] == "thread"  # the original is unchanged
    with pytest.raises(execsim.ScenarioError) as e:
        s.replace(workers=0)
    assert e.value.key == "server.workers"
    with pytest.raises(execsim.ScenarioError) as e:
        s.replace(wrokers=2)
    assert e.value.key == "wrokers"


def test_errors_are_value_errors_naming_the_key():
    cases = [
        (dict(clients=[{"name": "a", "n": 0}]), "clients[0].n"),
        (dict(executor="fork"), "server.executor"),
        (dict(cores=0), "machine.cores"),
        (dict(frobnicate=1), "frobnicate"),
        (dict(switch_interval="-1ms"), "python.switch_interval"),
    ]
    for keys, key in cases:
        with pytest.raises(ValueError) as e:
            execsim.Scenario(**keys)
        assert isinstance(e.value, execsim.ScenarioError)
        assert e.value.key == key, (keys, e.value.key, str(e.value))
        assert key in str(e.value)
    with pytest.raises(execsim.ScenarioError) as e:
        execsim.Scenario.from_toml('duration = "1s"\n[[clients]]\nname = "a"\nn = 1\nbogus = 2\n')
    assert e.value.key == "clients[0].bogus"
    with pytest.raises(execsim.ScenarioError) as e:
        execsim.run(execsim.Scenario(**SHORT), seed=-1)
    assert e.value.key == "seed"
    with pytest.raises(execsim.ScenarioError) as e:
        execsim.sweep(execsim.Scenario(**SHORT), grid={"server.nope": [1]})
    assert "server.nope" in str(e.value)
    with pytest.raises(execsim.ScenarioError) as e:
        execsim.advise(execsim.Scenario(**SHORT), p99=-3)
    assert e.value.key == "p99"


def test_records_and_dataframes_hold_the_runs_numbers():
    r = execsim.run(execsim.Scenario(**SHORT))
    recs = r.to_records()
    assert len(recs) == 2 * 3
    simple = [x["completed"] for x in recs if x["client"] == "simple"]
    assert simple == r.per_second["simple"]
    assert all(x["trace_hash"] == r.trace_hash and x["seed"] == r.seed for x in recs)
    assert recs[0]["latency_p99_us"] == r.latency_us["simple"]["p99"]
    pd = pytest.importorskip("pandas")
    df = r.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert df[df.client == "simple"].completed.tolist() == simple


def test_figures_are_png_for_notebooks(tmp_path):
    r = execsim.run(execsim.Scenario(**SHORT))
    for fig in (r.plot.throughput(), r.plot.latency(), r.plot.gil_timeline(start=1.5, window=0.02)):
        png = fig._repr_png_()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        w, h = fig.size
        assert w > 400 and h > 300
    out = r.plot.throughput().save(tmp_path / "figs" / "t.png")
    assert open(out, "rb").read().startswith(b"\x89PNG")
    with pytest.raises(execsim.ScenarioError):
        r.plot.gil_timeline(window=0)


def test_simulations_release_the_gil():
    # While a simulation runs in another thread, this thread keeps running Python: with the
    # GIL held through the call it could not run at all until the call returned.
    s = execsim.Scenario(executor="process", duration="12s", clients=SHORT["clients"])
    inside = threading.Event()
    done = threading.Event()
    results = []

    def simulate():
        inside.set()
        results.append(execsim.run(s))
        done.set()

    t = threading.Thread(target=simulate)
    t.start()
    inside.wait()
    ticks_while_running = 0
    while not done.is_set():
        ticks_while_running += 1
    t.join()
    assert ticks_while_running > 1000
    # Two at once in threads give what one gives alone.
    both = []
    threads = [threading.Thread(target=lambda: both.append(execsim.run(s).trace_hash)) for _ in range(2)]
    for x in threads:
        x.start()
    for x in threads:
        x.join()
    assert both == [results[0].trace_hash] * 2


def test_a_sweep_is_the_clis(root, execsim_bin, tmp_path):
    s = execsim.Scenario(**SHORT)
    grid = {"server.workers": [1, 2], "python.switch_interval": ["5ms", "1ms"]}
    res = execsim.sweep(s, grid=grid, reps=2, threads=2)
    assert len(res) == 4
    f = tmp_path / "sweep.toml"
    f.write_text(
        s.toml
        + '\n[sweep]\nreps = 2\n[sweep.grid]\n"server.workers" = [1, 2]\n"python.switch_interval" = ["5ms", "1ms"]\n'
    )
    out = tmp_path / "sweep.csv"
    subprocess.run([execsim_bin, "sweep", str(f), "--out", str(out)], check=True, capture_output=True)
    assert res.csv == out.read_text()
    recs = res.to_records()
    assert [r["server.workers"] for r in recs] == [1, 1, 2, 2]
    assert execsim.sweep(s, grid=grid, reps=2, threads=1) == res


def test_a_sweep_on_dask_equals_the_local_one():
    distributed = pytest.importorskip("distributed")
    s = execsim.Scenario(**SHORT)
    grid = {"server.workers": [1, 2, 3], "python.switch_interval": ["5ms", "1ms"]}
    local = execsim.sweep(s, grid=grid)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = execsim.sweep(s, grid=grid, client=client)
    assert remote.csv == local.csv
    assert [r["point"] for r in remote.to_records()] == list(range(6))


def test_advise_recommends_with_figures():
    s = execsim.Scenario(duration="4s", clients=[{"name": "simple", "n": 1}, {"name": "long", "n": 100000, "start": "1s"}])
    a = execsim.advise(s, p99=5)
    assert a.best["executor"] in ("process", "thread", "inline", "interpreter")
    assert a.data["p99_bound_ms"] == 5
    both, top, bottom = a.plot(), a.plot.throughput(), a.plot.latency()
    assert a._repr_png_() == both.png
    # One picture: the throughput figure above the latency figure, as wide as they are.
    size = lambda png: struct.unpack(">II", png[16:24])
    (w, h), (wt, ht), (wl, hl) = size(both.png), size(top.png), size(bottom.png)
    assert (w, h) == (max(wt, wl), ht + hl)
    assert "recommend" in a.report().lower()


def test_the_lesson_is_the_clis(execsim_bin):
    lesson = execsim.lesson()
    cli = subprocess.run([execsim_bin, "lesson", "--no-plots"], check=True, capture_output=True, text=True).stdout
    assert str(lesson) in cli
    assert len(lesson.runs) == 7
    cli_runs = cli_json(execsim_bin, "lesson", "--json")
    assert [r["trace_hash"] for r in lesson.runs] == [r["trace_hash"] for r in cli_runs]


def test_compare_runs_live_and_simulates(root):
    s = execsim.Scenario(executor="thread", duration="2s", clients=[{"name": "simple", "n": 1}])
    c = execsim.compare(s, backend="cpython", reps=1)
    assert c.data["backend"] == "cpython" and len(c.data["live"]) == 1
    row = c.rows[0]
    assert row["client"] == "simple" and row["live_median"] > 0 and row["sim"] > 0
    assert "simple" in str(c)
    with pytest.raises(execsim.ScenarioError) as e:
        execsim.compare(s, backend="java")
    assert e.value.key == "backend"
