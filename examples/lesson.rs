//! The lesson itself: an asyncio prime server, a client sending `1` in a closed loop from
//! t = 0 and a client sending `100000` from t = 2 s, with each executor; the simple
//! client's rate before and during the long request, side by side.
//!
//! ```text
//! client "simple" --1--> [event loop] --submit--> [executor: inline | thread | process]
//! client "long" --100000--^                          (the long call outlives the run)
//! ```
//!
//! Run: `cargo run --release --example lesson`
use execsim::{output::report, sim::calibration::Calibration, sim::lesson, sim::run};

fn main() {
    let cal = Calibration::default_embedded();
    let runs: Vec<_> = lesson::scenarios()
        .iter()
        .map(|s| run::simulate(s, &cal, &run::SimOptions::default()).result)
        .collect();
    print!("{}", report::lesson_table(&runs, 2));
}
