//! Is the Rust core's speed stable from launch to launch and over time?
//!
//! From the repository root:
//!   rustc -O -o /tmp/rust_core_stability validation/host-speed/rust_core_stability.rs
//!   for i in 1 2 3 4 5 6; do /tmp/rust_core_stability; done
//!
//! Each launch prints 10 figures, 100 ms apart: the best of 5 timings of the lesson's
//! find_nth_prime(300) (the crate's Rust core, same loop), in ns per `num % div` test.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn is_prime(num: u64) -> bool {
    if num == 2 {
        return true;
    }
    let mut div = 2;
    while 2 * div <= num {
        if num % div == 0 {
            return false;
        }
        div += 1;
    }
    true
}

fn find_nth_prime(n: u64) -> u64 {
    let (mut i, mut nth, mut last) = (2, 0, 0);
    while nth != n {
        if is_prime(black_box(i)) {
            nth += 1;
            last = i;
        }
        i += 1;
    }
    last
}

/// Tests of find_nth_prime(300) (`execsim cost 300`).
const TESTS_300: f64 = 140_419.0;

fn main() {
    let mut out = Vec::new();
    for _ in 0..10 {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            black_box(find_nth_prime(black_box(300)));
            best = best.min(t.elapsed().as_nanos() as f64);
        }
        out.push(format!("{:.2}", best / TESTS_300));
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("{}", out.join(" "));
}
