//! How long does a thread's waking system call take on this host, when the thread it wakes
//! sits on another vCPU, busy or idle? (The evidence behind the free-threaded pool's race in
//! `src/service/pool_locks.rs`: the putter must leave its critical section before the worker
//! it woke runs; a waking call that outlasts the wake-up loses the race.)
//!
//!   cargo run --release --example wake_call_tails [SECONDS] [BURST_US]
//!
//! Thread A, pinned to CPU 0, busy-waits 100 µs, then wakes thread B (`Thread::unpark`, a
//! `FUTEX_WAKE` when B is parked), pinned to CPU 1, and times the call; B runs BURST_US of
//! work (default 0) and parks again.
//! Twice for SECONDS each (default 3): with CPU 1 otherwise idle, and with a CPU-bound thread
//! on CPU 1 beside B (as the long request's thread beside the light requests' workers).
//! Prints the call's percentiles and, from B's own clock reading once it runs, how long after
//! the call's return B ran: the share of wake-ups where B ran first is the share where a waker
//! still holding a lock for a moment after its call would find B contending; and the share of
//! wake-ups B waited over 1 ms for its CPU (beside the CPU-bound thread: EEVDF leaving it
//! queued until a tick). Run it on an idle machine with two vCPUs or more.

use nix::sched::{sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// One waking call: how long it took, and when the woken thread ran relative to its return
/// (ns; negative: before the call returned).
struct WakeCall {
    call: u64,
    wakee_after_return: i64,
}

/// The waking calls over `secs`, with a CPU-bound thread on CPU 1 if `hog`.
fn wake_calls(secs: f64, burst: Duration, hog: bool) -> Vec<WakeCall> {
    let stop = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let base = Instant::now();
    // When B last came back from `park` (ns since `base`).
    let woke = Arc::new(AtomicU64::new(0));
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
        let (stop, parked, woke) = (stop.clone(), parked.clone(), woke.clone());
        std::thread::spawn(move || {
            pin(1);
            while !stop.load(Ordering::Acquire) {
                parked.store(true, Ordering::Release);
                std::thread::park();
                woke.store(base.elapsed().as_nanos() as u64, Ordering::Release);
                busy(burst);
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
        let back = Instant::now();
        // B's wake-up time, once it has run (it parks again only after storing it).
        let sent = (back - base).as_nanos() as u64;
        let before = woke.load(Ordering::Acquire);
        let mut w = before;
        let give_up = Instant::now() + Duration::from_millis(100);
        while w == before && Instant::now() < give_up {
            std::hint::spin_loop();
            w = woke.load(Ordering::Acquire);
        }
        if w == before {
            continue;
        }
        out.push(WakeCall {
            call: (back - t).as_nanos() as u64,
            wakee_after_return: w as i64 - sent as i64,
        });
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
    let burst: f64 = std::env::args()
        .nth(2)
        .map(|s| s.parse().expect("BURST_US is a number"))
        .unwrap_or(0.0);
    let burst = Duration::from_secs_f64(burst * 1e-6);
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("needs two vCPUs");
        std::process::exit(2);
    }
    println!("waking call (Thread::unpark -> FUTEX_WAKE) from CPU 0 to a thread parked on CPU 1");
    println!("  call: its duration; wakee: when the woken thread ran, after the call returned");
    println!("CPU 1      calls   call p50   p99  p99.9 us  wakee p1  p10  p50 us  wakee first");
    for (label, hog) in [("idle", false), ("busy", true)] {
        let v = wake_calls(secs, burst, hog);
        let mut call = hdrhistogram::Histogram::<u64>::new(3).expect("3 significant figures");
        let mut after = hdrhistogram::Histogram::<u64>::new(3).expect("3 significant figures");
        // Shift by 1 ms so that a wakee running before the return (negative) fits.
        let shift = 1_000_000i64;
        for w in &v {
            call.record(w.call).expect("an auto-resizing histogram");
            let a = (w.wakee_after_return + shift).max(0) as u64;
            after.record(a).expect("an auto-resizing histogram");
        }
        let share = |f: &dyn Fn(&WakeCall) -> bool| {
            100.0 * v.iter().filter(|w| f(w)).count() as f64 / v.len().max(1) as f64
        };
        let first = share(&|w| w.wakee_after_return < 0);
        let late = share(&|w| w.wakee_after_return > 1_000_000);
        let us = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1e3;
        let aus = |q: f64| (after.value_at_quantile(q) as i64 - shift) as f64 / 1e3;
        println!(
            "{label:8} {:7} {:9.2} {:6.2} {:8.2} {:9.2} {:5.2} {:6.2} {:8.1} {:6.3}% {:5.3}%",
            v.len(),
            us(&call, 0.5),
            us(&call, 0.99),
            us(&call, 0.999),
            aus(0.01),
            aus(0.1),
            aus(0.5),
            aus(0.999),
            first,
            late
        );
    }
}
