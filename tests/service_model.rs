//! The service model reproduces the lesson's claims and the convoy figures measured on a
//! 2-vCPU VM (`docs/model.md` section 6). Fixed seeds; the seed is in every
//! assertion message.

use execsim::interp::GilKind;
use execsim::kernel::SimDuration;
use execsim::sim::calibration::Calibration;
use execsim::sim::lesson::{scenario, Placement};
use execsim::sim::results::RunResult;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::{ExecutorKind, Scenario};

fn run(s: &Scenario) -> RunResult {
    simulate(s, &Calibration::default_embedded(), &SimOptions::default()).result
}

/// (before, during) rates of the simple client: seconds [1, 2) and [3, 12).
fn rates(r: &RunResult) -> (f64, f64) {
    let c = r.client("simple").expect("simple client");
    (c.rate(1, 2), c.rate(3, 12))
}

fn ms(x: u64) -> SimDuration {
    SimDuration::from_millis(x)
}

#[test]
fn inline_completes_nothing_while_the_long_request_runs() {
    let s = scenario(ExecutorKind::Inline, ms(5), Placement::Unpinned);
    let r = run(&s);
    let c = r.client("simple").unwrap();
    assert!(
        c.per_second[1] > 1000,
        "seed {}: {:?}",
        s.seed,
        c.per_second
    );
    for (sec, &n) in c.per_second.iter().enumerate().skip(3) {
        assert_eq!(n, 0, "seed {}: second {sec}: {:?}", s.seed, c.per_second);
    }
    assert_eq!(r.client("long").unwrap().completed, 0);
}

#[test]
fn thread_pool_convoy_drops_by_more_than_98_percent_and_interval_matters() {
    let r5 = run(&scenario(ExecutorKind::Thread, ms(5), Placement::Convoy));
    let r2 = run(&scenario(ExecutorKind::Thread, ms(2), Placement::Convoy));
    let (b5, d5) = rates(&r5);
    let (_, d2) = rates(&r2);
    assert!(
        d5 > 0.0,
        "the thread pool does not starve the client entirely"
    );
    assert!(d5 <= 0.02 * b5, "5 ms: before {b5}, during {d5}");
    let ratio = d2 / d5;
    assert!(
        (2.0..=3.0).contains(&ratio),
        "2 ms / 5 ms = {ratio} ({d2} / {d5})"
    );
}

#[test]
fn convoy_rates_match_the_amd_hosts_measured_figures() {
    // The lesson's convoy (worker alone on core 1), live on the AMD EPYC host of this VM kind
    // on 2026-12-02 (CPython 3.11.7, other builds paused): median light-client rate over the
    // seconds after the long request starts of `execsim live` runs of
    // scenarios/lesson-thread-5ms.toml shortened to 5-6 s, with `switch_interval` set to each
    // value; simulated with that host's calibration. (docs/model.md section 6 measured 11.6,
    // 45, 248 and 729 req/s on an earlier, faster day of the same VM kind; the Intel Xeon host
    // the embedded calibration comes from gives 8.7, 48.7, 215 and 320 at 20, 5, 1 and 0.5 ms:
    // validation/known-misses.toml lists the points the model misses and why.)
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/calibration/amd-epyc-2026-12-02.toml"
    );
    let amd = Calibration::load(std::path::Path::new(path)).unwrap();
    // A known miss, which must keep missing until the model gets it (then it moves back to the
    // checked points): at 0.2 ms the simulation gives 125 req/s under EEVDF (the default, the
    // live kernel's scheduler) and gave 270 under CFS, against 213.5 live. This host's
    // calibration has no run-queue or cache-refill figures; the Intel host's matrix, which
    // has them, is where the convoy is checked at 0.5 ms (validation `07`, within 3%).
    let (_, at_200us) = rates(
        &simulate(
            &scenario(
                ExecutorKind::Thread,
                SimDuration::from_micros(200),
                Placement::Convoy,
            ),
            &amd,
            &SimOptions::default(),
        )
        .result,
    );
    let err_200us = (at_200us - 213.5).abs() / 213.5;
    assert!(
        err_200us > 0.25,
        "the 0.2 ms point now matches ({at_200us:.1} req/s against 213.5): check it with the others"
    );
    for (interval_us, measured, tolerance) in [
        (20_000u64, 6.5, 0.25),
        (5_000, 26.0, 0.25),
        (1_000, 105.5, 0.25),
    ] {
        let s = scenario(
            ExecutorKind::Thread,
            SimDuration::from_micros(interval_us),
            Placement::Convoy,
        );
        let (_, during) = rates(&simulate(&s, &amd, &SimOptions::default()).result);
        let err = (during - measured).abs() / measured;
        assert!(
            err <= tolerance,
            "seed {} interval {interval_us} us: simulated {during:.1} req/s vs measured {measured} ({:.0}% off)",
            s.seed,
            err * 100.0
        );
    }
}

#[test]
fn a_worker_sharing_the_io_core_gives_a_partial_drop() {
    let s = scenario(ExecutorKind::Thread, ms(5), Placement::Shared);
    let (before, during) = rates(&run(&s));
    let drop = 1.0 - during / before;
    assert!(
        (0.40..=0.95).contains(&drop),
        "seed {}: drop {drop:.3} ({before} -> {during})",
        s.seed
    );
}

#[test]
fn a_single_worker_thread_starves_behind_the_long_request() {
    let mut s = scenario(ExecutorKind::Thread, ms(5), Placement::Convoy);
    s.server.workers = Some(1);
    let (before, during) = rates(&run(&s));
    assert!(before > 1000.0);
    assert_eq!(during, 0.0, "seed {}", s.seed);
}

#[test]
fn the_process_pool_shows_no_convoy() {
    let s = scenario(ExecutorKind::Process, ms(5), Placement::Unpinned);
    let (before, during) = rates(&run(&s));
    assert!(before > 500.0, "{before}");
    assert!(
        during >= 0.5 * before,
        "seed {}: {before} -> {during}",
        s.seed
    );
}

#[test]
fn the_process_pool_rate_rises_when_one_core_is_busy() {
    // Live on a 2-vCPU VM it rises (2.2k -> 3.6k..4k): cross-CPU wake-ups to an idle vCPU
    // cost more than wake-ups on the same, busy CPU.
    let s = scenario(ExecutorKind::Process, ms(5), Placement::Unpinned);
    let (before, during) = rates(&run(&s));
    assert!(during > before, "seed {}: {before} -> {during}", s.seed);
}

#[test]
fn free_threaded_threads_show_no_convoy() {
    let mut s = scenario(ExecutorKind::Thread, ms(5), Placement::Convoy);
    s.python.set_gil(GilKind::FreeThreaded);
    let r = run(&s);
    let (before, during) = rates(&r);
    assert!(
        during >= 0.5 * before,
        "seed {}: {before} -> {during}",
        s.seed
    );
    assert!(r.gil.iter().all(|g| g.handoffs == 0));
}

#[test]
fn the_interpreter_pool_shows_no_convoy() {
    let s = scenario(ExecutorKind::Interpreter, ms(5), Placement::Unpinned);
    let (before, during) = rates(&run(&s));
    assert!(
        during >= 0.5 * before,
        "seed {}: {before} -> {during}",
        s.seed
    );
}

#[test]
fn thread_per_connection_server_also_convoys() {
    let mut s = scenario(ExecutorKind::Thread, ms(5), Placement::Convoy);
    s.server.kind = execsim::sim::scenario::ServerKind::ThreadPerConnection;
    let (before, during) = rates(&run(&s));
    assert!(before > 1000.0, "{before}");
    assert!(
        during < 0.1 * before,
        "seed {}: {before} -> {during}",
        s.seed
    );
}

#[test]
fn same_seed_same_trace_and_the_seed_matters() {
    let s = scenario(ExecutorKind::Thread, ms(5), Placement::Unpinned);
    let a = run(&s);
    let b = run(&s);
    assert_eq!(a, b, "two runs of seed {} differ", s.seed);
    let mut s2 = s.clone();
    s2.seed = 8;
    assert_ne!(
        a.trace_hash,
        run(&s2).trace_hash,
        "the wake-up jitter draws from the seed"
    );
}

#[test]
fn open_loop_clients_and_think_time_work() {
    let s = Scenario::from_toml(
        r#"
        duration = "3s"
        [server]
        executor = "process"
        [[clients]]
        name = "open"
        n = 50
        mode = "open"
        rate = 200.0
        [[clients]]
        name = "thinker"
        n = 10
        think = "10ms"
        in_process = false
        "#,
    )
    .unwrap();
    let r = run(&s);
    let open = r.client("open").unwrap();
    // Poisson arrivals at 200/s for 3 s: about 600 (sd about 24).
    assert!((500..=700).contains(&open.issued), "{}", open.issued);
    assert!(open.completed + open.in_flight == open.issued);
    let thinker = r.client("thinker").unwrap();
    // At most one request per 10 ms think time.
    assert!(
        thinker.completed <= 300 && thinker.completed > 200,
        "{}",
        thinker.completed
    );
}

#[test]
fn bad_scenarios_name_the_key() {
    let cases = [
        (
            "duration = \"1s\"\nbogus = 1\n[[clients]]\nname=\"a\"\nn=1\n",
            "bogus",
        ),
        (
            "duration = \"-1s\"\n[[clients]]\nname=\"a\"\nn=1\n",
            "negative",
        ),
        (
            "duration = \"1s\"\n[machine]\ncores = 0\n[[clients]]\nname=\"a\"\nn=1\n",
            "machine.cores",
        ),
        (
            "duration = \"1s\"\n[affinity]\nloop = [2]\n[[clients]]\nname=\"a\"\nn=1\n",
            "affinity.loop",
        ),
        (
            "duration = \"1s\"\n[[clients]]\nname=\"a\"\nn=0\n",
            "clients[0].n",
        ),
        (
            "duration = \"1s\"\n[server]\nexecutor = \"fork\"\n[[clients]]\nname=\"a\"\nn=1\n",
            "fork",
        ),
        (
            "duration = \"1s\"\n[[clients]]\nname=\"a\"\nn=1\nmode=\"open\"\n",
            "clients[0].rate",
        ),
    ];
    for (text, needle) in cases {
        let e = Scenario::from_toml(text).expect_err(text);
        let msg = e.to_string();
        assert!(
            msg.contains(needle),
            "{text:?}: error {msg:?} should mention {needle:?}"
        );
    }
}

/// 3.11's `ThreadPoolExecutor` worker releases the idle semaphore after every item, even when
/// it goes straight on to a queued one, so permits pile up and later submits count on idle
/// workers that are busy; 3.13's releases it only when `get_nowait()` finds the queue empty
/// (`concurrent/futures/thread.py`), so a burst of submits starts the threads it needs.
#[test]
fn on_3_13_a_busy_pool_starts_the_threads_that_3_11_s_leaked_permits_hold_back() {
    let text = |version: &str| {
        format!(
            "seed = 3\nduration = \"2s\"\n[python]\nversion = \"{version}\"\n\
             [server]\nexecutor = \"thread\"\nworkers = 8\n\
             [[clients]]\nname = \"light\"\nn = 1\ncount = 3\n\
             [[clients]]\nname = \"mid\"\nn = 3000\ncount = 2\n"
        )
    };
    let workers = |version: &str| {
        let s = Scenario::from_toml(&text(version)).expect("a valid scenario");
        run(&s)
            .threads
            .iter()
            .filter(|t| t.name.starts_with("worker"))
            .count()
    };
    let (old, new) = (workers("3.11"), workers("3.13"));
    assert!(new > old, "3.11 started {old} workers, 3.13 {new}");
    assert_eq!(new, 8, "3.13 starts every worker the burst needs");
}
