//! Speed of the simulator, in the three figures of the sweeps issue:
//! 1. the whole lesson (every scenario, 12 s of virtual time each), wall time;
//! 2. 1,000 sweep points of the lesson's thread-pool scenario on all cores;
//! 3. a 1-hour virtual run with 100 closed-loop clients on a process pool: simulated seconds
//!    per wall second and peak memory (VmHWM), against a 6-minute run to show memory does not
//!    grow with run length.
//!
//! Run: `cargo run --release --example sweep_bench` (check the machine is idle first).
use execsim::sim::calibration::Calibration;
use execsim::sim::lesson;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;
use execsim::sim::sweep::{run, Sweep};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn peak_rss_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn big_run(minutes: u64, cal: &Calibration) -> (f64, f64, u64) {
    let text = format!(
        r#"
        name = "process-100-clients"
        duration = "{minutes}m"
        [server]
        executor = "process"
        [[clients]]
        name = "c"
        count = 100
        n = 10
        "#
    );
    let s = Scenario::from_toml(&text).unwrap();
    let t = Instant::now();
    let out = simulate(&s, cal, &SimOptions::default());
    let wall = t.elapsed().as_secs_f64();
    (s.duration.as_secs_f64() / wall, wall, out.result.events)
}

fn main() {
    let cal = Calibration::default_embedded();
    println!(
        "loadavg: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    // 1. The lesson.
    let scenarios = lesson::scenarios();
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..7 {
        let t = Instant::now();
        events = scenarios
            .iter()
            .map(|s| simulate(s, &cal, &SimOptions::default()).result.events)
            .sum::<u64>();
        times.push(t.elapsed().as_secs_f64());
    }
    let cold = times[0];
    let (m, lo, hi) = median(times[1..].to_vec());
    println!(
        "lesson, one thread: {} scenarios, {events} events: first run {cold:.3} s; then median {m:.3} s (min {lo:.3}, max {hi:.3}), {:.1} M events/s",
        scenarios.len(),
        events as f64 / m / 1e6
    );
    let mut par = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let runs = lesson::run_all(&cal);
        assert_eq!(runs.len(), scenarios.len());
        par.push(t.elapsed().as_secs_f64());
    }
    let (m, lo, hi) = median(par);
    println!(
        "lesson, all cores ({} threads, as `execsim lesson` runs it): median {m:.3} s (min {lo:.3}, max {hi:.3})",
        rayon::current_num_threads()
    );

    // 2. 1,000 sweep points: 20 switch intervals x 5 pool sizes x 10 seeds.
    let text = r#"
        [sweep]
        base = "scenarios/lesson-thread-5ms.toml"
        [sweep.grid]
        "python.switch_interval" = ["20ms", "15ms", "10ms", "8ms", "6ms", "5ms", "4ms", "3ms", "2ms", "1500us",
                                    "1ms", "800us", "600us", "400us", "300us", "200us", "150us", "100us", "50us", "10us"]
        "server.workers" = [2, 3, 4, 5, 6]
        "seed" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    "#;
    let sw = Sweep::from_toml(text, Some(std::path::Path::new(".")), None).unwrap();
    let t = Instant::now();
    let res = run(&sw, &cal, None, &|| {}).unwrap();
    let wall = t.elapsed().as_secs_f64();
    println!(
        "sweep: {} points on {} threads in {wall:.2} s ({:.1} ms per point)",
        res.len(),
        rayon::current_num_threads(),
        wall * 1e3 / res.len() as f64
    );

    // 3. Long runs.
    let (speed6, wall6, ev6) = big_run(6, &cal);
    let rss6 = peak_rss_mib();
    let (speed60, wall60, ev60) = big_run(60, &cal);
    let rss60 = peak_rss_mib();
    println!("100 clients, process pool, 6 min virtual: {wall6:.1} s wall, {speed6:.1} simulated s per wall s, {ev6} events, peak RSS {rss6:.1} MiB");
    println!("100 clients, process pool, 1 h virtual:   {wall60:.1} s wall, {speed60:.1} simulated s per wall s, {ev60} events, peak RSS {rss60:.1} MiB");
}
