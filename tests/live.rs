//! Live runs, for real, a few seconds each (the whole file takes about 20 s): every executor of
//! the rust backend answers with correct primes; inline completes nothing once the long
//! request runs; the CPython reference service shows the GIL convoy (>= 95% drop); and no
//! run leaves a process or a listening socket behind, on success or on error.
//!
//! The runs are serialised (one lock) so that they neither disturb each other's figures nor
//! see each other's children. Margins are wide: CI machines are shared and small.

#[path = "common/live.rs"]
mod live_support;
use execsim::live::{run_live, LiveError, LiveOptions, LiveOutcome};
use execsim::sim::scenario::Scenario;
use execsim::workload::cost::Backend;
use live_support::{children_of_self, python3_available};
use std::path::PathBuf;
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

fn scenario(executor: &str, duration_s: u32, long_start_s: u32, affinity: &str) -> Scenario {
    Scenario::from_toml(&format!(
        r#"
        name = "live-test-{executor}"
        duration = "{duration_s}s"
        [python]
        switch_interval = "5ms"
        [server]
        executor = "{executor}"
        [[clients]]
        name = "simple"
        n = 1
        [[clients]]
        name = "long"
        n = 100000
        start = "{long_start_s}s"
        {affinity}
        "#
    ))
    .unwrap()
}

fn options(backend: Backend) -> LiveOptions {
    let mut o = LiveOptions::new(backend);
    o.exe = Some(PathBuf::from(env!("CARGO_BIN_EXE_execsim")));
    o.idle_check = false;
    o
}

fn assert_clean(out: &LiveOutcome) {
    assert!(out.cleanup.group_empty, "process group not empty");
    assert!(out.port_released, "port {} still open", out.port);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], out.port));
    assert!(
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)).is_err(),
        "something still listens on port {}",
        out.port
    );
    let left = children_of_self();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

fn run(s: &Scenario, o: &LiveOptions) -> LiveOutcome {
    let out = run_live(s, o).unwrap_or_else(|e| panic!("{}: {e}", s.label()));
    assert_clean(&out);
    out
}

#[test]
fn rust_backend_every_executor_answers_correct_primes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for ex in ["inline", "thread", "process"] {
        // The long request starts in the last second: the pool paths are exercised with it.
        let s = scenario(ex, 2, 1, "");
        let out = run(&s, &options(Backend::Rust));
        let simple = out.result.client("simple").unwrap();
        // run_live fails on any wrong reply, so completions are correct primes.
        assert!(
            simple.completed > 100,
            "{ex}: only {} requests completed",
            simple.completed
        );
        assert!(simple.latency_us.p50 > 0);
        assert_eq!(out.result.source, "live-rust");
        assert_eq!(out.result.client("long").unwrap().in_flight, 1);
    }
}

#[test]
fn rust_backend_emulated_gil_convoy() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario(
        "thread",
        3,
        1,
        "[affinity]\nloop = [0]\nclients = [0]\nworkers = [1]",
    );
    let mut o = options(Backend::Rust);
    o.emulate_gil = true;
    let out = run(&s, &o);
    let simple = out.result.client("simple").unwrap();
    let before = simple.per_second[0] as f64;
    let during = simple.per_second[2] as f64;
    assert!(before > 500.0, "before: {before}");
    assert!(during < 0.2 * before, "no convoy: {before} -> {during}");
    assert!(
        out.result.gil[0].drop_requests > 10,
        "{:?} per second {:?}",
        out.result.gil,
        simple.per_second
    );
}

#[test]
fn inline_completes_nothing_while_the_long_request_runs() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario("inline", 3, 1, "");
    let out = run(&s, &options(Backend::Rust));
    let simple = out.result.client("simple").unwrap();
    assert!(simple.per_second[0] > 100, "{:?}", simple.per_second);
    assert_eq!(simple.per_second[2], 0, "{:?}", simple.per_second);
}

#[test]
fn cpython_thread_pool_convoy_drops_95_percent() {
    if !python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario(
        "thread",
        4,
        2,
        "[affinity]\nloop = [0]\nclients = [0]\nworkers = [1]",
    );
    let out = run(&s, &options(Backend::Cpython));
    let simple = out.result.client("simple").unwrap();
    let before = simple.rate(1, 2);
    let during = simple.rate(3, 4);
    assert!(before > 300.0, "before: {:?}", simple.per_second);
    assert!(
        during <= 0.05 * before,
        "drop {:.1}% < 95%: {:?}",
        (1.0 - during / before) * 100.0,
        simple.per_second
    );
    assert_eq!(out.result.source, "live-cpython");
}

/// A request type's steps run for real with their GIL behaviour (`src/workload/steps.py`):
/// 10 ms of C code in two pool workers, for two clients, runs on both vCPUs when it releases
/// the GIL (`hashlib`) and on one when it keeps it (`re`); an inline handler awaits its I/O,
/// so four clients' 50 ms waits overlap.
#[test]
fn cpython_runs_request_types_with_their_gil_behaviour() {
    if !python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let text = |executor: &str, clients: usize, step: &str| {
        format!(
            "name = \"live-request-types\"\nduration = \"3s\"\n[server]\nexecutor = \"{executor}\"\n\
             workers = 2\n[[requests]]\nname = \"w\"\nsteps = [{step}]\n[[clients]]\nname = \"c\"\n\
             request = \"w\"\ncount = {clients}\nin_process = false\n"
        )
    };
    let rate = |t: String| {
        let s = Scenario::from_toml(&t).unwrap();
        let out = run(&s, &options(Backend::Cpython));
        out.result.clients.iter().map(|c| c.rate(1, 3)).sum::<f64>()
    };
    let released = rate(text(
        "thread",
        2,
        "{ native = \"10ms\", gil = \"released\" }",
    ));
    let held = rate(text("thread", 2, "{ native = \"10ms\", gil = \"held\" }"));
    assert!(
        held > 60.0 && held < 110.0,
        "held: {held} req/s, want about 95"
    );
    assert!(
        released > 1.3 * held,
        "released {released} req/s against held {held}"
    );
    let inline = rate(text("inline", 4, "{ io = \"50ms\" }"));
    assert!(
        inline > 60.0 && inline <= 82.0,
        "inline io: {inline} req/s, want about 78"
    );
}

#[test]
fn errors_are_clear_and_leave_nothing_behind() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut o = options(Backend::Cpython);
    o.python = PathBuf::from("/nonexistent/python3");
    let s = scenario("thread", 2, 1, "");
    match run_live(&s, &o) {
        Err(e @ LiveError::PythonNotFound(_)) => {
            assert!(e.to_string().contains("python3"), "{e}")
        }
        other => panic!("expected PythonNotFound, got {other:?}"),
    }
    if python3_available() && !python_has_interpreter_pool() {
        // The reference service fails after starting: the error names the cause and the
        // process group is gone.
        let s = scenario("interpreter", 2, 1, "");
        let e = run_live(&s, &options(Backend::Cpython)).unwrap_err();
        assert!(e.to_string().contains("3.14"), "{e}");
    }
    // The rust backend has no interpreter pool.
    let s = scenario("interpreter", 2, 1, "");
    assert!(matches!(
        run_live(&s, &options(Backend::Rust)),
        Err(LiveError::Scenario(_))
    ));
    // An affinity to a core this machine lacks.
    let s = scenario(
        "thread",
        2,
        1,
        "[machine]\ncores = 64\n[affinity]\nworkers = [63]",
    );
    assert!(matches!(
        run_live(&s, &options(Backend::Rust)),
        Err(LiveError::Scenario(_))
    ));
    let left = children_of_self();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

fn python_has_interpreter_pool() -> bool {
    std::process::Command::new("python3")
        .args([
            "-c",
            "import concurrent.futures as f; f.InterpreterPoolExecutor",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}
