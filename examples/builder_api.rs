//! Building a scenario with the library instead of a file: the lesson's thread-pool service
//! with a second CPU-bound request from t = 4 s, built with `ScenarioBuilder`, simulated, and
//! read back. Two CPU-bound threads compete with the I/O threads for the GIL, so the light
//! client's rate falls again, to about half.
//!
//! Run: `cargo run --release --example builder_api`
use execsim::sim::builder::ScenarioBuilder;
use execsim::sim::calibration::Calibration;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::ExecutorKind;

fn main() {
    let s = ScenarioBuilder::new("two-long-requests")
        .seed(7)
        .duration("12s")
        .cores(2)
        .switch_interval("5ms")
        .executor(ExecutorKind::Thread)
        .closed_client("simple", 1, "0s")
        .closed_client("long", 100_000, "2s")
        .closed_client("long-2", 100_000, "4s")
        // The loop and the clients on core 0; the workers wherever the scheduler puts them.
        .pin_loop(&[0])
        .pin_clients(&[0])
        .build()
        .expect("a valid scenario");
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
