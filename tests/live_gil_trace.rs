//! The live GIL trace, for real (about 5 s): a 2 s GIL convoy in CPython (the lesson's
//! thread pool, the CPU-bound worker alone on core 1, the long request from 0.5 s) traced with
//! the preload library: the loop and the light client take the GIL from others, time out and
//! request drops; the CPU-bound worker takes it back (signalled, rarely timing out) and holds
//! it most; the counters add up; the Chrome trace is valid JSON with the simulator's slice
//! names; nothing of the run is left behind. And two spinning threads against the protocol's
//! count. Skipped without python3 (or on a build without a C compiler, which `--gil-trace`
//! then reports). The runs are serialised (one lock).

#[path = "common/live.rs"]
mod live_support;
use execsim::cli::live::gil_trace_tracks;
use execsim::live::gil_trace::preload::shim_library;
use execsim::live::{run_live, LiveOptions};
use execsim::output::live_chrome_trace::live_chrome_trace;
use execsim::sim::scenario::Scenario;
use execsim::workload::cost::Backend;
use live_support::{children_of_self, python3_available};
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

fn convoy() -> Scenario {
    Scenario::from_toml(
        r#"
        name = "gil-trace-convoy"
        duration = "2s"
        [python]
        switch_interval = "5ms"
        [server]
        executor = "thread"
        [[clients]]
        name = "simple"
        n = 1
        [[clients]]
        name = "long"
        n = 100000
        start = "500ms"
        [affinity]
        loop = [0]
        clients = [0]
        workers = [1]
        "#,
    )
    .unwrap()
}

#[test]
fn a_traced_convoy_records_every_thread_s_share_of_the_gil_protocol() {
    if !python3_available() || shim_library().is_err() {
        eprintln!("skipped: python3 or the preload library is missing");
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = convoy();
    let mut o = LiveOptions::new(Backend::Cpython);
    o.idle_check = false;
    o.gil_trace = true;
    let out = run_live(&s, &o).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.cleanup.group_empty && out.port_released);
    assert!(children_of_self().is_empty(), "{:?}", children_of_self());

    let trace = out.gil_trace.as_ref().expect("traced");
    let g = &out.result.gil[0];
    assert_eq!(g.interp, 0);
    assert!(
        g.handoffs > 0 && g.drop_requests > 0 && g.timeouts > 0,
        "{g:?}"
    );
    assert!(g.drop_requests <= g.timeouts && g.handoffs <= g.acquisitions);
    // Per thread: the figures add up to the interpreter's.
    let threads: Vec<_> = trace.threads.iter().filter(|t| t.interp == 0).collect();
    let sum = |f: fn(&execsim::live::gil_trace::counts::ThreadGilTimes) -> u64| {
        threads.iter().map(|t| f(&t.gil)).sum::<u64>()
    };
    assert_eq!(sum(|t| t.acquisitions), g.acquisitions);
    assert_eq!(sum(|t| t.handoffs), g.handoffs);
    assert_eq!(sum(|t| t.timeouts), g.timeouts);
    assert_eq!(sum(|t| t.drop_requests), g.drop_requests);
    // The loop and the light client each took the GIL from another thread, timed out and
    // asked for a drop; the CPU-bound worker (the worker holding the GIL longest) took it
    // back (signalled: it rarely times out) and held it most of the convoy.
    for name in ["event-loop", "client:simple"] {
        let t = threads.iter().find(|t| t.name == name).expect(name);
        assert!(
            t.gil.handoffs > 0 && t.gil.timeouts > 0 && t.gil.drop_requests > 0,
            "{name}: {:?}",
            t.gil
        );
    }
    let worker = threads
        .iter()
        .filter(|t| t.name.starts_with("worker-"))
        .max_by_key(|t| t.gil.hold_ns)
        .expect("a pool worker");
    assert!(worker.gil.handoffs > 0, "{:?}", worker.gil);
    assert!(worker.gil.hold_ns > 500_000_000, "{:?}", worker.gil);

    // The last phase (from 1 s) and the light client's drop requests per request.
    let phase = out.result.gil_last_phase.as_ref().expect("last phase");
    assert_eq!((phase.from_s, phase.to_s), (1.0, 2.0));
    let simple = phase.client("simple").unwrap();
    assert!(simple.completed > 0, "{simple:?}");
    assert!(
        simple.drop_requests_per_request.unwrap() > 0.5,
        "{simple:?}"
    );

    // A valid Chrome trace with the simulator's names.
    let json = serde_json::to_string(&live_chrome_trace(&gil_trace_tracks(trace))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let names: std::collections::BTreeSet<&str> =
        events.iter().filter_map(|e| e["name"].as_str()).collect();
    for n in [
        "python (GIL held)",
        "waiting for GIL",
        "thread_name",
        "process_name",
    ] {
        assert!(names.contains(n), "no {n:?} in {names:?}");
    }
    for e in events.iter().filter(|e| e["ph"] == "X") {
        assert!(e["ts"].as_f64().unwrap() >= 0.0 && e["dur"].as_f64().unwrap() >= 0.0);
        assert!(e["ts"].as_f64().unwrap() + e["dur"].as_f64().unwrap() <= 2e6 + 1e-6);
    }
}

/// Two CPU-bound threads for `T` seconds at switch interval `I`: the waiting one times out
/// every interval with no switch in between and sets the drop request; the holder drops; the
/// waiter takes the GIL. So drop requests ≈ hand-offs ≈ T / I, and never more: a request
/// needs a whole interval without a switch. (Fewer when the machine is busy: every cycle also
/// waits for a core, and a waiter woken late finds the GIL just released: a timeout without a
/// request.)
#[test]
fn two_spinning_threads_follow_the_protocol_s_count() {
    if !python3_available() || shim_library().is_err() {
        eprintln!("skipped: python3 or the preload library is missing");
        return;
    }
    use execsim::live::gil_trace::counts::gil_counts;
    use execsim::live::gil_trace::GilTraceSession;
    const SPIN: &str = r#"
import sys, threading, time
sys.setswitchinterval(0.005)
def spin():
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        pass
ts = [threading.Thread(target=spin) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
"#;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let session = GilTraceSession::start(0.005, 1.0).unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.args(["-I", "-c", SPIN]);
    session.configure(&mut cmd);
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    assert!(child.wait_with_output().unwrap().status.success());
    let files = session.read(pid).unwrap();
    let end = files[0].records.last().unwrap().t_ns + 1;
    let c = gil_counts(&files[0].records, 0, end);
    let predicted = 1.0 / 0.005;
    eprintln!(
        "2 threads x 1 s at 5 ms: {} drop requests, {} timeouts, {} hand-offs (T/I = {predicted})",
        c.drop_requests, c.timeouts, c.handoffs
    );
    let d = c.drop_requests as f64;
    assert!(d <= predicted + 2.0 && d >= 0.1 * predicted, "{c:?}");
    // Every hand-off but those of the threads' start and end follows a drop request; every
    // drop request follows a timeout.
    assert!(c.handoffs <= c.drop_requests + 6, "{c:?}");
    assert!(c.drop_requests <= c.timeouts, "{c:?}");
}
