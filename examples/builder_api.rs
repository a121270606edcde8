//! Building a scenario with the library instead of a file: start from the lesson's
//! thread-pool scenario, change it in code, simulate, and read the results.
//!
//! Run: `cargo run --release --example builder_api`
use execsim::calibration::Calibration;
use execsim::kernel::SimDuration;
use execsim::lesson::{closed_client, scenario, Placement};
use execsim::run::{simulate, SimOptions};
use execsim::scenario::ExecutorKind;

fn main() {
    let mut s = scenario(
        ExecutorKind::Thread,
        SimDuration::from_millis(5),
        Placement::Convoy,
    );
    s.name = Some("two-long-requests".into());
    // A second CPU-bound request from t = 4 s: two threads now compete with the I/O threads.
    s.clients
        .push(closed_client("long-2", 100_000, SimDuration::from_secs(4)));
    // Let the scheduler place the workers (the loop and clients stay on core 0).
    s.affinity.workers = vec![];
    s.validate().expect("a valid scenario");
    let out = simulate(&s, &Calibration::default_embedded(), &SimOptions::default());
    let simple = out.result.client("simple").unwrap();
    println!(
        "scenario {} seed {} trace {}",
        out.result.scenario, out.result.seed, out.result.trace_hash
    );
    println!(
        "simple client, requests per second: {:?}",
        simple.per_second
    );
    println!(
        "rate with one long request (3-4 s): {:.1}/s; with two (5-12 s): {:.1}/s",
        simple.rate(3, 4),
        simple.rate(5, 12)
    );
}
