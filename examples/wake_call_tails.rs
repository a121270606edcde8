//! How long does a thread's waking system call take on this host, when the thread it wakes
//! sits on another vCPU, busy or idle? (The evidence behind the free-threaded pool's race in
//! `src/service/pool_locks.rs`: the putter must leave its critical section before the worker
//! it woke runs; a waking call that outlasts the wake-up loses the race.)
//!
//!   cargo run --release --example wake_call_tails [SECONDS]
//!
//! Thread A, pinned to CPU 0, busy-waits 100 µs, then wakes thread B (`Thread::unpark`, a
//! `FUTEX_WAKE` when B is parked), pinned to CPU 1, and times the call; B parks again at once.
//! Twice for SECONDS each (default 3): with CPU 1 otherwise idle, and with a CPU-bound thread
//! on CPU 1 beside B (as the long request's thread beside the light requests' workers).
//! Prints the call's percentiles, the share over 10 µs, and what the machine's stalls alone
//! would give (`stall_every` from `examples/cpu_stalls.rs`, per µs of call). Run it on an idle
//! machine with two vCPUs or more.

use nix::sched::{sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pins the calling thread to `cpu`.
fn pin(cpu: usize) {
    let mut set = CpuSet::new();
    set.set(cpu).expect("cpu within the set");
    sched_setaffinity(Pid::from_raw(0), &set).expect("pin to the cpu");
}

/// Spins for `d`.
fn busy(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The waking calls' durations (ns) over `secs`, with a CPU-bound thread on CPU 1 if `hog`.
fn wake_calls(secs: f64, hog: bool) -> Vec<u64> {
    let stop = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let hog_thread = hog.then(|| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            pin(1);
            while !stop.load(Ordering::Relaxed) {
                busy(Duration::from_micros(50));
            }
        })
    });
    let b = {
        let (stop, parked) = (stop.clone(), parked.clone());
        std::thread::spawn(move || {
            pin(1);
            while !stop.load(Ordering::Acquire) {
                parked.store(true, Ordering::Release);
                std::thread::park();
            }
        })
    };
    pin(0);
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut out = Vec::new();
    while Instant::now() < end {
        busy(Duration::from_micros(100));
        // Wake only a parked B (its flag set, and a few µs for it to reach the futex).
        if !parked.swap(false, Ordering::AcqRel) {
            continue;
        }
        busy(Duration::from_micros(20));
        let t = Instant::now();
        b.thread().unpark();
        out.push(t.elapsed().as_nanos() as u64);
    }
    stop.store(true, Ordering::Release);
    b.thread().unpark();
    b.join().expect("thread B");
    if let Some(h) = hog_thread {
        h.join().expect("CPU-bound thread");
    }
    out
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECONDS is a number"))
        .unwrap_or(3.0);
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("needs two vCPUs");
        std::process::exit(2);
    }
    println!("waking call (Thread::unpark -> FUTEX_WAKE) from CPU 0 to a thread parked on CPU 1");
    println!("CPU 1      calls    p50 us   p90 us   p99 us  p99.9 us   max us   >10 us");
    for (label, hog) in [("idle", false), ("busy", true)] {
        let v = wake_calls(secs, hog);
        let mut h = hdrhistogram::Histogram::<u64>::new(3).expect("3 significant figures");
        for &x in &v {
            h.record(x).expect("an auto-resizing histogram");
        }
        let over = v.iter().filter(|&&x| x > 10_000).count();
        let us = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
        println!(
            "{label:8} {:7} {:9.2} {:8.2} {:8.2} {:9.2} {:8.1} {:7.3}%",
            v.len(),
            us(0.5),
            us(0.9),
            us(0.99),
            us(0.999),
            h.max() as f64 / 1e3,
            100.0 * over as f64 / v.len().max(1) as f64
        );
    }
}
