//! Is the Rust core's speed stable from launch to launch and over time? (The evidence that the
//! rust backend needs no host-speed probe, unlike CPython: `src/live/host_speed.rs`.)
//!
//!   for i in 1 2 3 4 5 6; do cargo run --release --example rust_core_stability; done
//!
//! Each launch prints 10 figures, 100 ms apart: the best of 5 timings of the crate's Rust core,
//! `find_nth_prime(300)`, in ns per `num % div` test (the exact count from `op_count`).

use execsim::workload::prime::{find_nth_prime, op_count};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let tests = op_count(300).expect("300 is within the op counts").tests as f64;
    let mut out = Vec::new();
    for _ in 0..10 {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            black_box(find_nth_prime(black_box(300)));
            best = best.min(t.elapsed().as_nanos() as f64);
        }
        out.push(format!("{:.2}", best / tests));
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("{}", out.join(" "));
}
