//! The effect of `sys.setswitchinterval` on the thread-pool service while the long request
//! runs, with the CPU-bound worker alone on its core (the GIL convoy) and sharing the I/O
//! threads' core. Each light request needs about four GIL hand-offs from the CPU-bound
//! worker, and each waits a full interval for its drop request: the rate scales as
//! 1 / (T0 + 4 (interval + overhead)).
//!
//! Run: `cargo run --release --example switch_interval`
use execsim::kernel::SimDuration;
use execsim::sim::calibration::Calibration;
use execsim::sim::lesson::{scenario, Placement};
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::ExecutorKind;

fn main() {
    let cal = Calibration::default_embedded();
    println!(
        "{:>10} {:>16} {:>16}",
        "interval", "own core req/s", "shared req/s"
    );
    for us in [
        20_000u64, 10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50, 10,
    ] {
        let d = SimDuration::from_micros(us);
        let rate = |p: Placement| {
            let r = simulate(
                &scenario(ExecutorKind::Thread, d, p),
                &cal,
                &SimOptions::default(),
            )
            .result;
            r.client("simple").unwrap().rate(3, 12)
        };
        println!(
            "{:>10} {:>16.1} {:>16.1}",
            d.to_string(),
            rate(Placement::Convoy),
            rate(Placement::Shared)
        );
    }
}
