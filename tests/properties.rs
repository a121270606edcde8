//! Property tests: the model's rules hold for every generated scenario, and runs are
//! deterministic.
//!
//! Scenarios are generated over every knob a scenario file has: 1 to 8 cores, both scheduling
//! policies (CFS and EEVDF, half the cases each, so the run time is that of one), every server
//! and executor shape, pool sizes, switch intervals from 1 µs to 100 ms (log-uniform), GIL or
//! free-threaded, 1 to 20 clients with small, medium and huge n (huge n only as requests that
//! cannot finish within the run), open and closed loop, think times, in-process or not,
//! affinities per role, seeds, and durations of 50 to 400 ms of virtual time. Each run is
//! checked after **every event** by [`execsim::sim::check`].
//!
//! A failing case prints its invariant, the seed and the (shrunk) scenario as TOML: save it
//! to a file and replay it with `execsim run FILE --check` (add `--trace out.json` for a
//! timeline). Failures are persisted in `tests/properties.proptest-regressions` and replayed
//! first on every run; that file is committed.
//!
//! Case counts (each `#[test]` states its own; see `CASES_*`) add up to more than 5,000 here,
//! more than 15,000 per `cargo test` with the fuzz tests of the parser, the sweep and the
//! calibration files. Set `PROPTEST_CASES` to override them all (for a longer local search).

use execsim::interp::{GilKind, PythonVersion};
use execsim::kernel::SimDuration;
use execsim::machine::SchedulerKind;
use execsim::service::ServerLanguage;
use execsim::sim::calibration::Calibration;
use execsim::sim::check::{CheckConfig, Invariant, Violation};
use execsim::sim::lesson::{closed_client, Placement};
use execsim::sim::results::RunResult;
use execsim::sim::run::{simulate, SimOptions, SimOutput};
use execsim::sim::scenario::{
    AffinitySpec, Arrivals, ClientMode, ClientSpec, CostOverrides, ExecutorKind, MachineSpec,
    MixEntry, PythonSpec, Scenario, ServerKind, ServerSpec,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::fmt;
use std::sync::OnceLock;

#[path = "common/fuzz.rs"]
mod fuzz;
#[path = "properties/queue_model.rs"]
mod queue_model;
#[path = "properties/tools.rs"]
mod tools;

/// Cases of the invariant property (the bulk of the generated runs; 2,500 keep the test suite
/// under 10 minutes on a 2-core machine).
const CASES_INVARIANTS: u32 = 2_500;
/// Cases of the determinism property (each runs its scenario three times).
const CASES_DETERMINISM: u32 = 600;
/// Cases of each monotone-effect property (each runs two longer scenarios).
const CASES_MONOTONE: u32 = 64;
/// Cases of the sweep property (each runs a batch of scenarios on 1 and on 4 threads).
const CASES_SWEEP: u32 = 12;

/// Event guard per generated run (a generated run is short; this only bounds a runaway).
const MAX_EVENTS: u64 = 3_000_000;

/// Invariants the model is known to break, reported to the model's owner; each has a
/// scenario in `tests/known_violations/` and an `#[ignore]`d test `known_*` at the end of this
/// file that fails until the model is fixed. The invariant property enforces every other
/// invariant (and still measures these). When the model is fixed, empty this list and remove
/// the `#[ignore]`s.
/// - `WorkConservation`: the machine balances load only when a core goes idle (newidle pull);
///   a thread that lands in a busy core's queue while another core it may use is idle waits
///   there until its core frees up (up to 19.5 ms seen in 1,500 generated runs; Linux's
///   nohz idle balancing pulls it within about a tick).
/// - `BoundedGilWait`: two CPU-bound threads sharing a core pass the GIL between themselves
///   and starve a waiter on another core for seconds (`known_gil_starvation`). Under EEVDF
///   that case is fixed, but the bound (two turns of every other holder) is still exceeded by
///   a little in about a fifth of generated cases under either policy (156 of about 800
///   EEVDF cases, 182 of about 800 CFS ones: `EXPLORE_SCHEDULER=eevdf EXPLORE_CASES=1600`
///   with the `explore` tool), so it stays listed for both. It is not CPython's promise
///   either: with glibc's condition variable (modelled since 2026-12-03) a waiter waits
///   again at the back of the line after each time-out, and live on Linux 6.18 the
///   starvation scenario's event loop went 46 ms without the GIL at 5 ms (the bound: 20.4).
const KNOWN_MODEL_VIOLATIONS: &[Invariant] = &[Invariant::BoundedGilWait];

/// Panics the model is known to raise (an overflow check of the test profile), reported to
/// the model's owner: `idle_pull`'s vruntime renormalisation compounds until it overflows
/// (`known_vruntime_overflow`). The invariant property counts these instead of failing;
/// empty the list when the model is fixed.
const KNOWN_PANICS: &[&str] = &[];

fn cal() -> &'static Calibration {
    static CAL: OnceLock<Calibration> = OnceLock::new();
    CAL.get_or_init(Calibration::default_embedded)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        max_shrink_iters: 2_000,
        ..fuzz::config(cases)
    }
}

/// A generated scenario; its `Debug` is the scenario's TOML, so proptest's "minimal failing
/// input" can be pasted into a file and replayed with `execsim run FILE --check`.
#[derive(Clone, PartialEq)]
struct Case(Scenario);

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} (replay: save the TOML below and run `execsim run FILE --check`)\n{}",
            self.0.seed,
            self.0.to_toml()
        )
    }
}

/// Values of n: small (answered in microseconds), medium (milliseconds to seconds: may or may
/// not complete), huge (minutes: never completes within a generated run).
fn n_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 1u64..=60,
        2 => 61u64..=3_000,
        1 => prop::sample::select(vec![20_000u64, 50_000, 100_000]),
    ]
}

fn cores_from_mask(mask: u8, cores: usize) -> Vec<u16> {
    (0..cores as u16)
        .filter(|&c| mask & (1 << c) != 0)
        .collect()
}

#[derive(Clone, Debug)]
struct RawClient {
    n: u64,
    mix: Option<(u64, f64)>,
    open: Option<(f64, bool)>,
    think_us: u64,
    in_process: bool,
    count: usize,
    start_pct: u64,
}

fn raw_client() -> impl Strategy<Value = RawClient> {
    (
        n_value(),
        prop::option::weighted(0.25, (n_value(), 0.01f64..0.5)),
        prop::option::weighted(0.3, (1.0f64..4.5, any::<bool>())),
        prop_oneof![3 => Just(0u64), 1 => 0u64..2_000],
        prop::bool::weighted(0.7),
        1usize..=4,
        prop_oneof![2 => Just(0u64), 1 => 0u64..60],
    )
        .prop_map(
            |(n, mix, open, think_us, in_process, count, start_pct)| RawClient {
                n,
                mix,
                // Open-loop rates 10 to about 30,000 requests per second, log-uniform.
                open: open.map(|(e, constant)| (10f64.powf(e), constant)),
                think_us,
                in_process,
                count,
                start_pct,
            },
        )
}

fn client_spec(i: usize, r: &RawClient, duration: SimDuration) -> ClientSpec {
    let (n, mix) = match r.mix {
        Some((other, w)) => (
            None,
            Some(vec![MixEntry::prime(r.n, 1.0), MixEntry::prime(other, w)]),
        ),
        None => (Some(r.n), None),
    };
    let (mode, rate, arrivals) = match r.open {
        Some((rate, constant)) => (
            ClientMode::Open,
            Some((rate * 1000.0).round() / 1000.0),
            if constant {
                Arrivals::Constant
            } else {
                Arrivals::Poisson
            },
        ),
        None => (ClientMode::Closed, None, Arrivals::Poisson),
    };
    ClientSpec {
        name: format!("c{i}"),
        n,
        request: None,
        mix,
        start: SimDuration(duration.as_nanos() / 1_000_000 * r.start_pct * 10_000),
        mode,
        think: SimDuration::from_micros(r.think_us),
        rate,
        arrivals,
        in_process: r.in_process,
        count: r.count,
    }
}

/// Every scenario shape, bounded in cost.
fn scenario() -> impl Strategy<Value = Case> {
    let machine = (
        (
            1usize..=8,
            // Half the cases under each scheduling policy.
            prop::sample::select(vec![SchedulerKind::Cfs, SchedulerKind::Eevdf]),
        ),
        prop_oneof![4 => Just(GilKind::Cpython), 1 => Just(GilKind::FreeThreaded)],
        // Switch interval: 1 µs to 100 ms, log-uniform.
        0.0f64..5.0,
        prop::bool::weighted(0.7),
    );
    let server = (
        prop::bool::weighted(0.85),
        prop::sample::select(vec![
            ExecutorKind::Inline,
            ExecutorKind::Thread,
            ExecutorKind::Thread,
            ExecutorKind::Process,
            ExecutorKind::Interpreter,
        ]),
        prop::option::weighted(0.5, 1usize..=8),
        prop::bool::weighted(0.2),
    );
    let affinity = (
        prop::option::weighted(0.5, any::<u8>()),
        prop::option::weighted(0.5, any::<u8>()),
        prop::option::weighted(0.5, any::<u8>()),
        prop::option::weighted(0.2, any::<u8>()),
    );
    (
        any::<u64>(),
        50u64..=400,
        machine,
        server,
        prop::collection::vec(raw_client(), 1..=5),
        affinity,
    )
        .prop_map(
            |(
                seed,
                ms,
                ((cores, scheduler), gil, log_interval, cpython_costs),
                server,
                raw,
                aff,
            )| {
                let duration = SimDuration::from_millis(ms);
                let interval = SimDuration((1_000.0 * 10f64.powf(log_interval)).round() as u64);
                let mut clients = Vec::new();
                let mut total = 0;
                for (i, r) in raw.iter().enumerate() {
                    let mut r = r.clone();
                    r.count = r.count.min(20 - total);
                    if r.count == 0 {
                        break;
                    }
                    total += r.count;
                    clients.push(client_spec(i, &r, duration));
                }
                let mask = |m: Option<u8>| m.map(|m| cores_from_mask(m, cores)).unwrap_or_default();
                // The Rust server has no interpreter pool.
                let rust = server.3 && server.1 != ExecutorKind::Interpreter;
                let s = Scenario {
                    requests: Vec::new(),
                    name: Some("generated".into()),
                    seed,
                    duration,
                    machine: MachineSpec { cores, scheduler },
                    python: PythonSpec {
                        gil,
                        version: if gil == GilKind::FreeThreaded {
                            PythonVersion::V3_13t
                        } else {
                            PythonVersion::V3_11
                        },
                        switch_interval: interval,
                        // The Rust server computes with the Rust core.
                        runtime: if cpython_costs && !rust {
                            execsim::workload::cost::Backend::Cpython
                        } else {
                            execsim::workload::cost::Backend::Rust
                        },
                    },
                    server: ServerSpec {
                        kind: if server.0 {
                            ServerKind::Asyncio
                        } else {
                            ServerKind::ThreadPerConnection
                        },
                        executor: server.1,
                        workers: server.2,
                        language: if rust {
                            ServerLanguage::Rust
                        } else {
                            ServerLanguage::Python
                        },
                    },
                    clients,
                    affinity: AffinitySpec {
                        event_loop: mask(aff.0),
                        clients: mask(aff.1),
                        workers: mask(aff.2),
                        helpers: aff.3.map(|m| cores_from_mask(m, cores)),
                    },
                    costs: CostOverrides::default(),
                };
                s.validate().expect("generated scenarios are valid");
                Case(s)
            },
        )
}

fn checked(cfg: CheckConfig) -> SimOptions {
    SimOptions {
        check: true,
        check_config: Some(cfg),
        max_events: Some(MAX_EVENTS),
        ..SimOptions::default()
    }
}

fn unchecked() -> SimOptions {
    SimOptions {
        max_events: Some(MAX_EVENTS),
        ..SimOptions::default()
    }
}

/// The failure text: the violation, the seed, the scenario as TOML, how to replay.
fn report(s: &Scenario, v: &Violation) -> String {
    format!(
        "{v}\nseed = {}\nreplay: save the scenario below as case.toml and run `cargo run --release -- run case.toml --check --trace case.json`\n--- scenario ---\n{}",
        s.seed,
        s.to_toml()
    )
}

fn run_checked(s: &Scenario, cfg: CheckConfig) -> SimOutput {
    simulate(s, cal(), &checked(cfg))
}

proptest! {
    #![proptest_config(config(CASES_INVARIANTS))]

    /// GIL exclusion, core capacity, work conservation, bounded GIL wait, conservation,
    /// correct replies and time, after every event of every generated run.
    #[test]
    fn invariants_hold_after_every_event(case in scenario()) {
        let run = std::panic::catch_unwind(|| {
            run_checked(&case.0, CheckConfig::all_but(KNOWN_MODEL_VIOLATIONS))
        });
        let out = match run {
            Ok(out) => out,
            Err(e) => {
                let msg = panic_message(&*e);
                if KNOWN_PANICS.contains(&msg.as_str()) {
                    return Ok(());
                }
                return Err(TestCaseError::fail(format!(
                    "panic: {msg}\nseed = {}\n--- scenario ---\n{}",
                    case.0.seed,
                    case.0.to_toml()
                )));
            }
        };
        if let Some(v) = &out.violation {
            return Err(TestCaseError::fail(report(&case.0, v)));
        }
    }
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Simulates; None if the run hit one of the [`KNOWN_PANICS`] (any other panic goes on).
fn simulate_known(s: &Scenario, opts: &SimOptions) -> Option<SimOutput> {
    match std::panic::catch_unwind(|| simulate(s, cal(), opts)) {
        Ok(out) => Some(out),
        Err(e) if KNOWN_PANICS.contains(&panic_message(&*e).as_str()) => None,
        Err(e) => std::panic::resume_unwind(e),
    }
}

fn same_results(a: &RunResult, b: &RunResult) -> bool {
    // Compare through JSON so that floats compare bit for bit as printed, NaN included.
    serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
}

proptest! {
    #![proptest_config(config(CASES_DETERMINISM))]

    /// The same scenario and seed give the same results and trace hash; checking and
    /// tracing change nothing.
    #[test]
    fn same_scenario_same_seed_same_run(case in scenario()) {
        let s = &case.0;
        let Some(a) = simulate_known(s, &unchecked()) else { return Ok(()) };
        let Some(b) = simulate_known(s, &unchecked()) else { return Ok(()) };
        let Some(c) = simulate_known(
            s,
            &SimOptions { trace: true, ..checked(CheckConfig::all_but(&Invariant::ALL)) },
        ) else { return Ok(()) };
        prop_assert!(
            same_results(&a.result, &b.result),
            "two runs differ (hashes {} and {})\n{:?}",
            a.result.trace_hash, b.result.trace_hash, case
        );
        prop_assert!(
            same_results(&a.result, &c.result),
            "a checked, traced run differs (hashes {} and {})\n{:?}",
            a.result.trace_hash, c.result.trace_hash, case
        );
    }
}

/// The lesson's thread-pool scenario, shortened: a light client from 0 s, a CPU-bound
/// request from `long_at`, `long` CPU-bound clients in all.
fn convoy(interval: SimDuration, long: usize, seed: u64, duration_ms: u64) -> Scenario {
    let long_at = SimDuration::from_millis(100);
    let mut clients = vec![closed_client("simple", 1, SimDuration::ZERO)];
    for k in 0..long {
        clients.push(closed_client(&format!("long{k}"), 100_000, long_at));
    }
    Scenario {
        requests: Vec::new(),
        name: Some(format!("convoy-{interval}-{long}")),
        seed,
        duration: SimDuration::from_millis(duration_ms),
        machine: MachineSpec::default(),
        python: PythonSpec {
            gil: GilKind::Cpython,
            version: PythonVersion::V3_11,
            switch_interval: interval,
            runtime: execsim::workload::cost::Backend::Cpython,
        },
        server: ServerSpec {
            kind: ServerKind::Asyncio,
            executor: ExecutorKind::Thread,
            workers: None,
            language: ServerLanguage::Python,
        },
        clients,
        affinity: Placement::Convoy.affinity(),
        costs: CostOverrides::default(),
    }
}

/// Light-client completions after the CPU-bound requests started (from 150 ms on).
fn light_completions(s: &Scenario) -> (u64, RunResult) {
    let out = simulate(s, cal(), &unchecked());
    let r = out.result;
    // per_second is too coarse for short runs: use completed minus those before 150 ms, by
    // running the same scenario up to 150 ms (the prefix of a run is the shorter run).
    let mut head = s.clone();
    head.duration = SimDuration::from_millis(150);
    let before = simulate(&head, cal(), &unchecked())
        .result
        .client("simple")
        .unwrap()
        .completed;
    (r.client("simple").unwrap().completed - before, r)
}

proptest! {
    #![proptest_config(config(CASES_MONOTONE))]

    /// With the CPU-bound worker alone on its core (the convoy), a switch interval of 0.5 ms
    /// or more, at least twice as short as another, never lowers the light client's rate
    /// beyond noise (10% and 3 requests). Below about 0.2 ms the rate saturates (the
    /// `switch_interval` example: 489, 517 and 516 req/s at 200, 100 and 50 µs), and under
    /// EEVDF, where a woken light worker may wait for the running thread's slice to end at a
    /// 4 ms tick, how the interval falls against slice and tick moves a 1.1 s run's rate by
    /// 12 to 14% there (97 µs gave 396 light replies and 195 µs 452 for one seed; 162 µs 439
    /// and 209 µs 508 for another). Live runs of the 0.5 ms convoy file at 162 and 209 µs gave
    /// 621 and 676, and 329 and 642 req/s: nothing resolvable either.
    #[test]
    fn shorter_switch_interval_never_lowers_the_convoy_rate(
        lo in 2.7f64..4.69, gap in 0.302f64..2.0, seed in any::<u64>()
    ) {
        let hi = (lo + gap).min(5.0);
        let iv = |e: f64| SimDuration((1_000.0 * 10f64.powf(e)).round() as u64);
        let (short, long) = (iv(lo), iv(hi));
        let s_short = convoy(short, 1, seed, 1_100);
        let s_long = convoy(long, 1, seed, 1_100);
        let (c_short, _) = light_completions(&s_short);
        let (c_long, _) = light_completions(&s_long);
        prop_assert!(
            c_short as f64 >= 0.9 * c_long as f64 - 3.0,
            "interval {short}: {c_short} light replies < interval {long}: {c_long}\n{:?}",
            Case(s_short)
        );
    }

    /// Adding a CPU-bound thread to a GIL-bound process (workers pinned to their own core)
    /// never raises the light client's rate beyond noise. Checked from one CPU-bound thread
    /// to two: from two on, the model starves the loop (`known_gil_starvation`) and the few
    /// replies left are chance escapes (2 -> 3 threads gave 5 -> 9 replies in a second).
    #[test]
    fn another_cpu_bound_thread_never_raises_the_rate(
        e in 0.0f64..5.0, long in 1usize..=1, seed in any::<u64>()
    ) {
        let interval = SimDuration((1_000.0 * 10f64.powf(e)).round() as u64);
        let fewer = convoy(interval, long, seed, 1_100);
        let more = convoy(interval, long + 1, seed, 1_100);
        let (c_fewer, _) = light_completions(&fewer);
        let (c_more, _) = light_completions(&more);
        prop_assert!(
            c_more as f64 <= 1.1 * c_fewer as f64 + 3.0,
            "{} CPU-bound threads: {c_more} light replies > {long}: {c_fewer}\n{:?}",
            long + 1,
            Case(more)
        );
    }
}

/// Runs a batch of scenarios on a rayon pool of `threads` threads, results in input order
/// (None for a run that hit a known panic).
fn run_batch(batch: &[Scenario], threads: usize) -> Vec<Option<RunResult>> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        batch
            .par_iter()
            .map(|s| simulate_known(s, &unchecked()).map(|o| o.result))
            .collect()
    })
}

proptest! {
    #![proptest_config(config(CASES_SWEEP))]

    /// A batch run on 1 thread and on 4 gives identical results, in the same order.
    #[test]
    fn a_batch_on_one_thread_or_four_gives_identical_results(
        cases in prop::collection::vec(scenario(), 2..=8)
    ) {
        let batch: Vec<Scenario> = cases.into_iter().map(|c| c.0).collect();
        let one = run_batch(&batch, 1);
        let four = run_batch(&batch, 4);
        for (i, (a, b)) in one.iter().zip(&four).enumerate() {
            let same = match (a, b) {
                (Some(a), Some(b)) => same_results(a, b),
                (None, None) => true,
                _ => false,
            };
            prop_assert!(same, "scenario {i} differs\n{:?}", Case(batch[i].clone()));
        }
    }
}

/// Replays a scenario of `tests/known_violations/` with every invariant checked.
fn replay_known(file: &str) -> Option<Violation> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/known_violations")
        .join(file);
    let s = Scenario::from_file(&path).expect("a valid scenario");
    run_checked(&s, CheckConfig::default()).violation
}

/// Two CPU-bound pool workers pinned to core 1, the event loop and the client on core 0,
/// thread pool, 5 ms: at each forced drop the signalled loop needs about 20 µs to wake on
/// core 0, while the other worker, runnable on the dropper's core since its own forced
/// switch, takes the free GIL within 2.5 µs. The loop waits from 1.08 s to the end of the
/// run (10.9 s of a 12 s run). CPython 3.11 allows the barge (`take_gil` takes a free GIL
/// at once), but live on this kind of VM (Linux 6.18, EEVDF) the same setup never starves the
/// main thread: longest gap 46 ms.
#[test]
#[ignore = "model violation reported to the owner: GIL starvation (BoundedGilWait)"]
fn known_gil_starvation() {
    let v = replay_known("gil_starvation.toml");
    assert!(v.is_none(), "{}", v.unwrap());
}

/// The same scenario under EEVDF (`scheduler = "eevdf"`) does not starve the loop: its
/// longest GIL wait is 43.86 ms with the embedded calibration (CFS: 1.92 s, from 1.08 s to
/// the end of the run), within the longest gap live on Linux 6.18: 46 ms. It breaks no
/// other invariant. (It exceeds the bound of two turns per other holder, 20.4 ms, because a
/// waiter waits again at the back of glibc's line after each time-out; the live run's
/// 46 ms exceed it too: `GilWaits` in `src/interp/invariants.rs`.) In the trace, the worker that
/// dropped the GIL to its sibling is woken from its forced-switch wait onto their shared
/// core. Under CFS it waits there, runnable, until the loop's drop request makes the sibling
/// drop, and takes the GIL 2.5 µs later. Under EEVDF it gets the core at the next tick (the
/// sibling's protected slice is over), and goes back to sleep in its GIL wait: at the loop's
/// drop it must be woken like the loop, and the loop often gets there first.
#[test]
fn known_gil_starvation_is_gone_under_eevdf() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/known_violations/gil_starvation.toml");
    let mut s = Scenario::from_file(&path).expect("a valid scenario");
    s.machine.scheduler = SchedulerKind::Eevdf;
    let traced = SimOptions {
        trace: true,
        ..checked(CheckConfig::all_but(&[Invariant::BoundedGilWait]))
    };
    let out = simulate(&s, cal(), &traced);
    assert!(out.violation.is_none(), "{}", out.violation.unwrap());
    let longest = longest_gil_wait(&out, "event-loop", s.duration);
    assert!(longest < SimDuration::from_millis(46), "{longest}");
}

/// The longest time thread `name` waited for the GIL in a traced run of `duration`: from a
/// `GilWait` to the next `Python` (spells runnable in between count; a wait still going at
/// the end counts to the end).
fn longest_gil_wait(out: &SimOutput, name: &str, duration: SimDuration) -> SimDuration {
    use execsim::interp::ThreadActivity;
    let me = out.thread_names.iter().position(|n| n == name);
    let me = me.expect("a thread of that name");
    let (mut since, mut longest) = (None, 0);
    for r in out.trace.iter().filter(|r| r.thread.0 as usize == me) {
        match (r.activity, since) {
            (ThreadActivity::GilWait, None) => since = Some(r.time.0),
            (ThreadActivity::Python, Some(t)) => {
                longest = longest.max(r.time.0 - t);
                since = None;
            }
            _ => {}
        }
    }
    if let Some(t) = since {
        longest = longest.max(duration.as_nanos() - t);
    }
    SimDuration(longest)
}

/// A process-pool worker waited in core 1's run queue while core 0, which it may use, was
/// idle: the machine had no idle balancing besides newidle pull. Fixed by tick-driven idle
/// balancing (`Machine::tick_balance`); the bound is one tick plus an idle wake-up.
#[test]
fn known_idle_core() {
    let v = replay_known("idle_core.toml");
    assert!(v.is_none(), "{}", v.unwrap());
}

/// `Machine::idle_pull` renormalises a pulled thread's vruntime as `vr - src_min + dst_min`;
/// a thread that moved cores by a wake-up keeps the old core's vruntime (`arrive` only
/// raises it), so its lag against its new core is huge and the next pull adds it onto the
/// destination's `min_vruntime`: vruntimes grow geometrically (51 s of vruntime 10 ms into
/// the run, 1.2e19 ns at 184 ms) and overflow (a panic in the test profile, silent wrapping
/// in release). Fixed: `arrive` renormalises on wake migration too, with saturating
/// arithmetic.
#[test]
fn known_vruntime_overflow() {
    let v = replay_known("vruntime_overflow.toml");
    assert!(v.is_none(), "{}", v.unwrap());
}
