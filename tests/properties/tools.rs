//! Tools for reports, run by hand (`#[ignore]`d): explore generated scenarios and tally
//! violations, replay a scenario file with its activity trace, shrink a failure.

use super::*;

/// Explores generated scenarios with every invariant enforced and tallies the violations by
/// invariant, printing the first of each with the time the search took (not a test: run it
/// with `cargo test --release --test properties -- --ignored explore --nocapture`;
/// `EXPLORE_SCHEDULER=eevdf` keeps one policy's cases).
#[test]
#[ignore = "exploration tool, not a test"]
fn explore_violations() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let n: usize = std::env::var("EXPLORE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut runner = TestRunner::deterministic();
    let strat = scenario();
    let mut tally = std::collections::BTreeMap::<Invariant, usize>::new();
    let started = std::time::Instant::now();
    let mut events = 0u64;
    let mut worst_idle = (0u64, 0u64);
    let mut panics = 0usize;
    // EXPLORE_SCHEDULER=cfs|eevdf: only the cases of that policy (the others are drawn and
    // skipped, so the cases explored are the same as in a run of both).
    let only: Option<SchedulerKind> = std::env::var("EXPLORE_SCHEDULER")
        .ok()
        .map(|v| toml::Value::String(v).try_into().expect("cfs or eevdf"));
    for _ in 0..n {
        let case = strat.new_tree(&mut runner).unwrap().current();
        if only.is_some_and(|k| k != case.0.machine.scheduler) {
            continue;
        }
        let skip: Vec<Invariant> = std::env::var("EXPLORE_SKIP")
            .unwrap_or_default()
            .split(',')
            .filter_map(Invariant::from_name)
            .collect();
        let run = std::panic::catch_unwind(|| run_checked(&case.0, CheckConfig::all_but(&skip)));
        let out = match run {
            Ok(out) => out,
            Err(e) => {
                panics += 1;
                if panics == 1 {
                    let msg = panic_message(&*e);
                    println!("=== first panic ===\n{msg}\n{:?}\n", case);
                }
                continue;
            }
        };
        events += out.result.events;
        let st = out.check_stats.clone().unwrap();
        if st.longest_idle_core_wait_ns > worst_idle.0 {
            worst_idle = (st.longest_idle_core_wait_ns, case.0.seed);
        }
        if let Some(v) = out.violation {
            let k = tally
                .entry(Invariant::of(&v).expect("a violation names a known invariant"))
                .or_default();
            *k += 1;
            if *k == 1 {
                println!("=== first {} ===\n{}\n", v.invariant, report(&case.0, &v));
            }
        }
    }
    println!(
        "{n} cases, {events} events, {:.1} s: {tally:?}, {panics} panics; longest idle-core wait {} (seed {})",
        started.elapsed().as_secs_f64(),
        SimDuration(worst_idle.0),
        worst_idle.1
    );
}

/// Replays a scenario file with every invariant checked and prints the violation and the
/// activity trace of the last `REPLAY_WINDOW_US` (default 12,000) µs before it: a tool for
/// reports (`REPLAY=case.toml cargo test --release --test properties -- --ignored replay
/// --nocapture`).
#[test]
#[ignore = "replay tool, not a test"]
fn replay() {
    let Ok(path) = std::env::var("REPLAY") else {
        return;
    };
    let s = Scenario::from_file(std::path::Path::new(&path)).expect("a valid scenario");
    let window: u64 = std::env::var("REPLAY_WINDOW_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_000);
    let skip: Vec<Invariant> = std::env::var("EXPLORE_SKIP")
        .unwrap_or_default()
        .split(',')
        .filter_map(Invariant::from_name)
        .collect();
    let out = simulate(
        &s,
        cal(),
        &SimOptions {
            trace: true,
            ..checked(CheckConfig::all_but(&skip))
        },
    );
    let end = out
        .violation
        .as_ref()
        .map(|v| v.time.0)
        .unwrap_or((execsim::kernel::SimTime::ZERO + s.duration).0);
    let from = end.saturating_sub(window * 1_000);
    for r in out
        .trace
        .iter()
        .filter(|r| r.time.0 >= from && r.time.0 <= end)
    {
        println!(
            "{:>14.3} us  {:<18} {:?}",
            r.time.0 as f64 / 1e3,
            out.thread_names[r.thread.0 as usize],
            r.activity
        );
    }
    println!("violation: {:?}", out.violation.map(|v| v.to_string()));
    println!("stats: {:?}", out.check_stats);
}

/// Searches generated scenarios for a failure of the invariants not listed in `SHRINK_SKIP`
/// (or a panic), shrinks it and prints the minimal case: a tool for reports
/// (`SHRINK_SKIP=work-conservation cargo test --release --test properties -- --ignored
/// shrink --nocapture`).
#[test]
#[ignore = "shrinking tool, not a test"]
fn shrink() {
    use proptest::test_runner::{TestError, TestRunner};
    let skip: Vec<Invariant> = std::env::var("SHRINK_SKIP")
        .unwrap_or_default()
        .split(',')
        .filter_map(Invariant::from_name)
        .collect();
    let cases: u32 = std::env::var("EXPLORE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 5_000,
        ..ProptestConfig::default()
    });
    let result = runner.run(&scenario(), |case| {
        let out = run_checked(&case.0, CheckConfig::all_but(&skip));
        match &out.violation {
            Some(v) => Err(TestCaseError::fail(report(&case.0, v))),
            None => Ok(()),
        }
    });
    match result {
        Err(TestError::Fail(why, case)) => println!("MINIMAL FAILURE: {why}\n{case:?}"),
        other => println!("{other:?}"),
    }
}
