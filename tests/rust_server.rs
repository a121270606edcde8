//! The Rust server as `[server] language = "rust"` models it (`src/service/io_thread_pool.rs`,
//! `src/service/rust_server_costs.rs`): its process pool is one I/O thread per worker
//! process, each request crossing exactly one I/O thread twice and one process once; its
//! costs are the kernel's system calls and its own code; a file that asks for what the Rust
//! server cannot be is rejected, naming the key.

use execsim::kernel::SimDuration;
use execsim::service::{RustServerCosts, ServiceCosts};
use execsim::sim::calibration::Calibration;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;

const PROCESS_POOL: &str = r#"
name = "rust-process-pool"
seed = 11
duration = "1s"

[machine]
cores = 2

[python]
gil = "free-threaded"
runtime = "rust"

[server]
language = "rust"
executor = "process"
workers = 2

[[clients]]
name = "simple"
n = 1

[[clients]]
name = "other"
n = 7

[affinity]
loop = [0]
clients = [0]
workers = [1]
"#;

fn parse(text: &str) -> Scenario {
    Scenario::from_toml(text).expect("a valid scenario")
}

fn cal() -> Calibration {
    Calibration::load(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("calibration/amd-epyc-2026-12-03.toml"),
    )
    .unwrap()
}

/// `m` with no cold work, refills or stalls: a step takes what it costs.
fn steady(mut m: execsim::machine::MachineCosts) -> execsim::machine::MachineCosts {
    m.cold_work = SimDuration::ZERO;
    m.halt_refill_work = SimDuration::ZERO;
    m.migration_refill = SimDuration::ZERO;
    m.stall_every = SimDuration::ZERO;
    m
}

#[test]
fn the_process_pool_is_one_io_thread_per_worker_process_and_every_reply_is_right() {
    let s = parse(PROCESS_POOL);
    let opts = SimOptions {
        check: true,
        ..SimOptions::default()
    };
    let out = simulate(&s, &cal(), &opts);
    let names: Vec<&str> = out.result.threads.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "event-loop",
            "pool-io-0",
            "worker-process-0",
            "pool-io-1",
            "worker-process-1",
            "client:simple",
            "client:other"
        ],
        "no manager, no feeder"
    );
    // Every invariant (replies, conservation, scheduler, GIL, locks) held all along.
    assert_eq!(out.violation, None);
    for c in ["simple", "other"] {
        assert!(out.result.client(c).unwrap().completed > 1000, "{c}");
    }
}

#[test]
fn each_request_crosses_one_io_thread_twice_and_one_process_once() {
    // Only the I/O threads' and the processes' own code costs anything among their steps:
    // their CPU time is then exactly that code times the requests they carried.
    let mut s = parse(PROCESS_POOL);
    let mut c = ServiceCosts::default().for_rust_server(&RustServerCosts::default());
    c.pipe_write = SimDuration::ZERO;
    c.pipe_read = SimDuration::ZERO;
    c.bytes.pipe_write_ns_per_byte = 0.0;
    c.bytes.pipe_read_ns_per_byte = 0.0;
    c.feeder_py = SimDuration::from_micros(3);
    c.manager_result_py = SimDuration::from_micros(5);
    c.process_worker_py = SimDuration::from_micros(11);
    s.costs.service = Some(c);
    let mut cal = cal();
    // No coldness, refills, stalls, switch or waker costs: a step costs what it says.
    let mut m = steady(cal.machine.unwrap());
    m.ctx_switch = SimDuration::ZERO;
    m.wake_idle_waker = SimDuration::ZERO;
    m.wake_halted_waker = SimDuration::ZERO;
    cal.machine = Some(m);
    // The prime core for n = 1 and n = 7 at the calibration's Rust speed, ns.
    let mut core =
        execsim::workload::cost::CostModel::new(cal.core(execsim::workload::cost::Backend::Rust));
    let r = simulate(&s, &cal, &SimOptions::default()).result;
    let carried: u64 = r.clients.iter().map(|c| c.issued).sum();
    let done: u64 = r.clients.iter().map(|c| c.completed).sum();
    let cpu = |prefix: &str| -> f64 {
        r.threads
            .iter()
            .filter(|t| t.name.starts_with(prefix))
            .map(|t| t.cpu_s)
            .sum::<f64>()
    };
    // Between the requests completed and those issued (a few in flight at the end).
    let io = cpu("pool-io-");
    assert!(
        io >= done as f64 * 8e-6 - 1e-9 && io <= carried as f64 * 8e-6 + 1e-9,
        "I/O threads: {io} s for {done}..{carried} requests"
    );
    let mut work = |n: u64| core.duration(n).unwrap().as_nanos() as f64 * 1e-9;
    let per_simple = 11e-6 + work(1);
    let per_other = 11e-6 + work(7);
    let simple = r.client("simple").unwrap();
    let other = r.client("other").unwrap();
    let low = simple.completed as f64 * per_simple + other.completed as f64 * per_other;
    let high = simple.issued as f64 * per_simple + other.issued as f64 * per_other;
    let p = cpu("worker-process-");
    assert!(
        p >= low - 1e-9 && p <= high + 1e-9,
        "processes: {p} s, expected {low}..{high}"
    );
}

#[test]
fn the_rust_servers_costs_keep_the_kernels_and_replace_pythons() {
    let cpython = ServiceCosts::default();
    let r = RustServerCosts::default();
    let rust = cpython.for_rust_server(&r);
    for (k, v) in [
        ("send", rust.send),
        ("recv", rust.recv),
        ("poll", rust.poll),
        ("pipe_write", rust.pipe_write),
        ("pipe_read", rust.pipe_read),
    ] {
        assert_eq!(Some(v), cpython.get(k), "{k}");
    }
    let ns = |d: SimDuration| d.as_nanos();
    // Each thread's code per request is the measured figure (up to the split's rounding).
    let client = ns(rust.client_py) + ns(rust.client_after_send_py);
    assert!(ns(r.client) - client < 2);
    let inline = ns(rust.loop_iteration_py)
        + ns(rust.loop_read_py)
        + ns(rust.loop_write_py)
        + ns(rust.loop_after_send_py);
    assert!(ns(r.loop_request) - inline < 4);
    let shared = ns(rust.loop_after_submit_py)
        + ns(rust.loop_complete_py)
        + ns(rust.loop_self_pipe_py)
        + ns(rust.loop_drained_py);
    assert!(ns(r.loop_process_handoff) - (shared + ns(rust.loop_submit_process_py)) < 5);
    assert_eq!(
        ns(r.loop_thread_handoff),
        shared + ns(rust.loop_submit_thread_py)
    );
    assert!(ns(r.io_thread) - (ns(rust.feeder_py) + ns(rust.manager_result_py)) < 2);
    assert_eq!(rust.pickle_py, SimDuration::ZERO);
    assert_eq!(rust.bytes.pickle_ns_per_byte, 0.0);
}

#[test]
fn what_the_rust_server_cannot_be_is_rejected_naming_the_key() {
    let interp = PROCESS_POOL.replace("executor = \"process\"", "executor = \"interpreter\"");
    let e = Scenario::from_toml(&interp).unwrap_err().to_string();
    assert!(e.contains("server.language"), "{e}");
    let cpython_core = PROCESS_POOL.replace("runtime = \"rust\"\n", "");
    let e = Scenario::from_toml(&cpython_core).unwrap_err().to_string();
    assert!(e.contains("python.runtime"), "{e}");
    let bad = PROCESS_POOL.replace("language = \"rust\"", "language = \"go\"");
    let e = Scenario::from_toml(&bad).unwrap_err().to_string();
    assert!(e.contains("language"), "{e}");
    // Without a GIL on any version (the Rust server is no CPython build); with one, the
    // emulated GIL of `--emulate-gil`.
    let gil = PROCESS_POOL.replace("gil = \"free-threaded\"", "gil = \"cpython\"");
    assert!(Scenario::from_toml(&gil).is_ok());
}

#[test]
fn a_lean_threads_switch_costs_ctx_switch_lean_twice_a_request_on_one_cpu() {
    // The Rust server inline on one vCPU: the client and the loop hand over the core twice a
    // request, and nothing else differs between the two runs: the period grows by exactly
    // twice the difference of the two switch costs.
    let one_cpu = PROCESS_POOL
        .replace(
            "executor = \"process\"\nworkers = 2",
            "executor = \"inline\"",
        )
        .replace("[[clients]]\nname = \"other\"\nn = 7\n", "")
        .replace("workers = [1]", "workers = [0]")
        .replace("duration = \"1s\"", "duration = \"2s\"");
    let s = parse(&one_cpu);
    assert_eq!((s.clients.len(), s.workers()), (1, 0));
    let cal = cal();
    // Nothing random, nothing cold: every request alike.
    let mut m = steady(cal.machine.unwrap());
    m.wake_jitter = SimDuration::ZERO;
    m.wake_halted_jitter = SimDuration::ZERO;
    let period = |lean: SimDuration| {
        let mut cal = cal.clone();
        let mut m = m;
        m.ctx_switch_lean = lean;
        cal.machine = Some(m);
        let r = simulate(&s, &cal, &SimOptions::default()).result;
        1e9 / r.client("simple").unwrap().rate(1, 2)
    };
    let full = period(m.ctx_switch);
    let lean = period(m.ctx_switch_lean);
    let expected = 2.0 * (m.ctx_switch.as_nanos() - m.ctx_switch_lean.as_nanos()) as f64;
    assert!(
        ((full - lean) - expected).abs() < 0.01 * expected,
        "period {full:.0} ns with CPython's switch, {lean:.0} ns lean: {:.0} ns apart, expected {expected:.0}",
        full - lean
    );
}
