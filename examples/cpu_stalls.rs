//! How often, and for how long, is a busy vCPU of this host taken from the thread on it? (The
//! measurement behind the machine's stall keys, `MachineCosts::stall_every` and the stall
//! percentiles: the timer tick, other interrupts and exits to the host.)
//!
//!   cargo run --release --example cpu_stalls [SECONDS]
//!
//! A thread pinned to each vCPU in turn reads the monotonic clock in a tight loop for SECONDS
//! (default 4); every gap between two reads longer than 5 µs is a stall. Prints, per vCPU, the
//! stalls per second, the mean busy time between two, their percentiles, and the `[machine]`
//! keys from all vCPUs together. Run it on an idle machine: another task on the vCPU counts
//! as a stall too.

use nix::sched::{sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// A gap longer than this between two clock reads is a stall (a read takes about 20 ns).
const THRESHOLD: Duration = Duration::from_micros(5);

/// The stalls (ns) of a thread spinning on `cpu` for `secs`.
fn stalls_on(cpu: usize, secs: f64) -> Vec<u64> {
    std::thread::spawn(move || {
        let mut set = CpuSet::new();
        set.set(cpu).expect("cpu within the set");
        sched_setaffinity(Pid::from_raw(0), &set).expect("pin to the cpu");
        let start = Instant::now();
        let end = Duration::from_secs_f64(secs);
        let mut last = start;
        let mut out = Vec::new();
        loop {
            let now = Instant::now();
            let gap = now - last;
            if gap > THRESHOLD {
                out.push(gap.as_nanos() as u64);
            }
            last = now;
            if now - start > end {
                return out;
            }
        }
    })
    .join()
    .expect("probe thread")
}

/// The `p` quantile of sorted `v`.
fn quantile(v: &[u64], p: f64) -> u64 {
    v[((p * v.len() as f64) as usize).min(v.len() - 1)]
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECONDS is a number"))
        .unwrap_or(4.0);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut all = Vec::new();
    for cpu in 0..cpus {
        let mut v = stalls_on(cpu, secs);
        v.sort_unstable();
        let total: u64 = v.iter().sum();
        println!(
            "cpu {cpu}: {} stalls in {secs} s ({:.0}/s, one every {:.0} us busy, {:.2}% of the time); \
             p10 {:.1} p50 {:.1} p90 {:.1} p99 {:.1} max {:.1} us",
            v.len(),
            v.len() as f64 / secs,
            secs * 1e6 / v.len().max(1) as f64,
            total as f64 / secs / 1e7,
            quantile(&v, 0.1) as f64 / 1e3,
            quantile(&v, 0.5) as f64 / 1e3,
            quantile(&v, 0.9) as f64 / 1e3,
            quantile(&v, 0.99) as f64 / 1e3,
            v.last().copied().unwrap_or(0) as f64 / 1e3,
        );
        all.extend(v);
    }
    all.sort_unstable();
    if all.is_empty() {
        println!("no stalls over 5 us");
        return;
    }
    let busy_ns = secs * 1e9 * cpus as f64;
    let us = |ns: u64| format!("\"{:.1}us\"", ns as f64 / 1e3);
    println!("\n[machine] keys:");
    println!(
        "stall_every = \"{:.0}us\"",
        busy_ns / all.len() as f64 / 1e3
    );
    println!("stall_p10 = {}", us(quantile(&all, 0.1)));
    println!("stall_p50 = {}", us(quantile(&all, 0.5)));
    println!("stall_p90 = {}", us(quantile(&all, 0.9)));
    println!("stall_p99 = {}", us(quantile(&all, 0.99)));
    println!("stall_max = {}", us(*all.last().expect("not empty")));
}
