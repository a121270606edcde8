//! Choosing an executor for a workload of your own: 50 closed-loop clients, each sending a
//! seeded mix of small and large requests (90% n = 10, 9% n = 100, 1% n = 500), on a
//! 4-core machine. Every executor is simulated; the one with the best throughput and the one
//! with the best p99 latency are named.
//!
//! Run: `cargo run --release --example choose_executor`
use execsim::sim::calibration::Calibration;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;

fn main() {
    let cal = Calibration::default_embedded();
    let mut rows = Vec::new();
    for exec in ["inline", "thread", "process", "interpreter"] {
        for gil in ["cpython", "free-threaded"] {
            if gil == "free-threaded" && exec != "thread" {
                continue;
            }
            let text = format!(
                r#"
                name = "{exec}/{gil}"
                seed = 11
                duration = "5s"
                [machine]
                cores = 4
                [python]
                gil = "{gil}"
                [server]
                executor = "{exec}"
                [[clients]]
                name = "mixed"
                count = 50
                mix = [{{ n = 10, weight = 90.0 }}, {{ n = 100, weight = 9.0 }}, {{ n = 500, weight = 1.0 }}]
                "#
            );
            let s = Scenario::from_toml(&text).expect("valid scenario");
            let r = simulate(&s, &cal, &SimOptions::default()).result;
            let done: u64 = r.clients.iter().map(|c| c.completed).sum();
            let mut p99 = 0;
            for c in &r.clients {
                p99 = p99.max(c.latency_us.p99);
            }
            rows.push((s.label().to_string(), done as f64 / r.duration_s, p99));
        }
    }
    println!("{:<26} {:>12} {:>14}", "executor", "req/s", "worst p99 ms");
    for (name, rate, p99) in &rows {
        println!("{name:<26} {rate:>12.0} {:>14.2}", *p99 as f64 / 1000.0);
    }
    let best_rate = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let best_p99 = rows.iter().min_by_key(|r| r.2).unwrap();
    println!(
        "best throughput: {} ({:.0} req/s)",
        best_rate.0, best_rate.1
    );
    println!(
        "best p99 latency: {} ({:.2} ms)",
        best_p99.0,
        best_p99.2 as f64 / 1000.0
    );
}
