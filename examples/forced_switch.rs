//! How long one GIL turn lasts when two CPU-bound Python threads share the GIL, each on a
//! vCPU of its own: the switch interval plus what one forced switch costs (the waiter's
//! timed wait running out, its drop request, the holder's drop, the waiter's wake-up). The
//! live counterpart is `python3 src/calibrate/forced_switch_probe.py`, which times the same
//! turns in CPython; the two columns are meant to be read side by side.
//!
//! Measured 2026-12-03 on the AMD EPYC host (family 0x1a) of this VM kind, three runs of the
//! probe between 09:15 and 10:12 UTC: the median turn live 613 (583..638) / 1,129
//! (1,109..1,136) / 2,130 (2,110..2,166) / 5,144 (5,118..5,206) µs at 0.5 / 1 / 2 / 5 ms;
//! this example's mean turn with that host's calibration 616 / 1,116 / 2,113 / 5,085 µs:
//! within 1.2% of the turn, the forced switch's own cost (113–144 µs live) within 60 µs.
//!
//! Run: `cargo run --release --example forced_switch [-- CALIBRATION.toml]`
use execsim::sim::calibration::Calibration;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;

/// Two closed-loop clients of n = 100000 on a thread-per-connection server: two CPU-bound
/// connection threads, unpinned (each stays on its vCPU).
fn scenario(interval: &str) -> Scenario {
    Scenario::from_toml(&format!(
        r#"
name = "two-cpu-bound-threads-{interval}"
seed = 7
duration = "3s"
[machine]
cores = 2
[python]
switch_interval = "{interval}"
[server]
kind = "thread-per-connection"
[[clients]]
name = "cpu"
n = 100000
count = 2
"#
    ))
    .expect("a valid scenario")
}

fn main() {
    let cal = match std::env::args().nth(1) {
        Some(path) => Calibration::load(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        None => Calibration::default_embedded(),
    };
    println!(
        "{:>10} {:>12} {:>16}",
        "interval", "hand-offs/s", "turn (mean) us"
    );
    for interval in ["500us", "1ms", "2ms", "5ms"] {
        let s = scenario(interval);
        let r = simulate(&s, &cal, &SimOptions::default()).result;
        let handoffs = r.gil.first().map_or(0, |g| g.handoffs);
        let secs = s.duration.as_secs_f64();
        println!(
            "{:>10} {:>12.1} {:>16.0}",
            interval,
            handoffs as f64 / secs,
            secs * 1e6 / handoffs.max(1) as f64
        );
    }
}
