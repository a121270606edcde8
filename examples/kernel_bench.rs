//! Kernel throughput benchmark: how fast does the event kernel run a model, and what does
//! its generality cost against a hand-written event loop?
//!
//! An M/M/1 queue (λ = 0.9, μ = 1.0 per millisecond, FCFS) is run to 1,000,000 departures
//! twice with the same seed:
//! - **kernel**: a general [`Model`] implementation driven by [`Simulation::run_until`]
//!   (nothing in the kernel is special-cased; it also folds every event into the trace hash);
//! - **plain**: the same logic on a bare `std::collections::BinaryHeap` loop with the same
//!   `(time, seq)` ordering and the same random draws (same named ChaCha8 streams, same
//!   `exp_nanos` calls in the same order), and no trace hash.
//!
//! Both must process the same number of events and report bit-identical mean sojourn times
//! (asserted). Each variant is measured several times, interleaved, and the median, min and
//! max of model events per second are printed, with the kernel/plain ratio of the medians.
//! For scale, the cost of the random draws alone is printed too. Wall-clock time is read
//! here, in the benchmark, only; the simulator itself never reads a clock.
//!
//! Run it with:
//!
//! ```text
//! cargo run --release --example kernel_bench
//! ```
//!
//! Targets on the reference 2-core machine: kernel ≥ 20 M events/s and ≥ 0.8× plain.

use execsim::kernel::{EventQueue, Model, RngStreams, SimRng, SimTime, Simulation, StopReason};
use execsim::kernel::{SimDuration, TraceHash, TraceKey};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

/// One time unit (a millisecond) in nanoseconds.
const UNIT_NS: f64 = 1e6;
const LAMBDA: f64 = 0.9;
const MU: f64 = 1.0;
/// Customers to serve (the run ends at the last departure).
const CUSTOMERS: u64 = 1_000_000;
/// Measurements per variant.
const REPEATS: usize = 5;
const SEED: u64 = 2025;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrival,
    Departure,
}

impl TraceKey for Ev {
    #[inline]
    fn trace_key(&self) -> u64 {
        *self as u64
    }
}

/// What a run reports: both implementations must agree exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Outcome {
    events: u64,
    departures: u64,
    mean_sojourn: f64,
}

/// The M/M/1 state shared by both implementations.
struct Mm1 {
    arrivals: SimRng,
    services: SimRng,
    interarrival_mean: f64,
    service_mean: f64,
    /// Arrival times of the customers present; the front one is in service.
    present: VecDeque<u64>,
    arrived: u64,
    departed: u64,
    sum_sojourn: u128,
}

impl Mm1 {
    fn new(seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        Mm1 {
            arrivals: streams.stream("arrivals"),
            services: streams.stream("service"),
            interarrival_mean: UNIT_NS / LAMBDA,
            service_mean: UNIT_NS / MU,
            present: VecDeque::with_capacity(1024),
            arrived: 0,
            departed: 0,
            sum_sojourn: 0,
        }
    }

    fn outcome(&self, events: u64) -> Outcome {
        Outcome {
            events,
            departures: self.departed,
            mean_sojourn: self.sum_sojourn as f64 / self.departed as f64 / UNIT_NS,
        }
    }
}

impl Model for Mm1 {
    type Event = Ev;

    #[inline]
    fn handle(&mut self, ev: Ev, q: &mut EventQueue<Ev>) {
        let now = q.now().0;
        match ev {
            Ev::Arrival => {
                self.arrived += 1;
                if self.arrived < CUSTOMERS {
                    let gap = self.arrivals.exp_nanos(self.interarrival_mean);
                    q.schedule_in(SimDuration(gap), Ev::Arrival);
                }
                self.present.push_back(now);
                if self.present.len() == 1 {
                    let s = self.services.exp_nanos(self.service_mean);
                    q.schedule_in(SimDuration(s), Ev::Departure);
                }
            }
            Ev::Departure => {
                let arrived = self
                    .present
                    .pop_front()
                    .expect("departure from empty queue");
                self.departed += 1;
                self.sum_sojourn += (now - arrived) as u128;
                if !self.present.is_empty() {
                    let s = self.services.exp_nanos(self.service_mean);
                    q.schedule_in(SimDuration(s), Ev::Departure);
                }
            }
        }
    }
}

/// The M/M/1 model on the kernel.
fn run_kernel(seed: u64) -> (Outcome, u64) {
    let mut sim = Simulation::new(Mm1::new(seed));
    sim.queue.schedule_at(SimTime::ZERO, Ev::Arrival);
    let reason = sim.run_until(SimTime::MAX);
    assert_eq!(reason, StopReason::Exhausted);
    (
        sim.model.outcome(sim.queue.processed()),
        sim.queue.trace_hash(),
    )
}

/// The same M/M/1 logic on a hand-written binary-heap loop: min-heap on `(time, seq)`.
/// With `HASH`, it also folds every event into a [`TraceHash`] as the kernel does.
fn run_plain<const HASH: bool>(seed: u64) -> (Outcome, u64) {
    let mut trace = TraceHash::new();
    let mut m = Mm1::new(seed);
    let mut heap: BinaryHeap<Reverse<(u64, u64, Ev)>> = BinaryHeap::with_capacity(64);
    let mut seq = 0u64;
    let mut events = 0u64;
    heap.push(Reverse((0, seq, Ev::Arrival)));
    seq += 1;
    while let Some(Reverse((now, s, ev))) = heap.pop() {
        events += 1;
        if HASH {
            trace.record(now, s, ev.trace_key());
        }
        match ev {
            Ev::Arrival => {
                m.arrived += 1;
                if m.arrived < CUSTOMERS {
                    let gap = m.arrivals.exp_nanos(m.interarrival_mean);
                    heap.push(Reverse((now + gap, seq, Ev::Arrival)));
                    seq += 1;
                }
                m.present.push_back(now);
                if m.present.len() == 1 {
                    let s = m.services.exp_nanos(m.service_mean);
                    heap.push(Reverse((now + s, seq, Ev::Departure)));
                    seq += 1;
                }
            }
            Ev::Departure => {
                let arrived = m.present.pop_front().expect("departure from empty queue");
                m.departed += 1;
                m.sum_sojourn += (now - arrived) as u128;
                if !m.present.is_empty() {
                    let s = m.services.exp_nanos(m.service_mean);
                    heap.push(Reverse((now + s, seq, Ev::Departure)));
                    seq += 1;
                }
            }
        }
    }
    (m.outcome(events), trace.value())
}

/// The random draws of a run alone (one exponential per event), for scale.
fn run_draws_only(seed: u64) -> u64 {
    let mut m = Mm1::new(seed);
    let mut acc = 0u64;
    for _ in 0..CUSTOMERS {
        acc = acc.wrapping_add(m.arrivals.exp_nanos(m.interarrival_mean));
        acc = acc.wrapping_add(m.services.exp_nanos(m.service_mean));
    }
    acc
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut xs: Vec<f64>) -> Stats {
    xs.sort_by(f64::total_cmp);
    Stats {
        median: xs[xs.len() / 2],
        min: xs[0],
        max: xs[xs.len() - 1],
    }
}

fn main() {
    // Correctness first: identical results, and a sanity check against theory.
    let (reference, hash) = run_kernel(SEED);
    let (plain, _) = run_plain::<false>(SEED);
    assert_eq!(reference, plain, "kernel and plain loop disagree");
    let (hashed, plain_hash) = run_plain::<true>(SEED);
    assert_eq!(hashed, reference);
    assert_eq!(
        plain_hash, hash,
        "the plain loop's trace hash differs from the kernel's"
    );
    assert_eq!(reference.events, 2 * CUSTOMERS);
    assert_eq!(reference.departures, CUSTOMERS);
    assert_eq!(run_kernel(SEED).1, hash, "kernel run is not reproducible");
    let theory = 1.0 / (MU - LAMBDA);
    println!("M/M/1 λ={LAMBDA} μ={MU}, {CUSTOMERS} customers, seed {SEED}");
    println!(
        "  events: kernel {} = plain {};  mean sojourn: kernel {:.6} = plain {:.6} \
         (theory {theory:.1});  trace hash {hash:#018x}",
        reference.events, plain.events, reference.mean_sojourn, plain.mean_sojourn
    );

    let mut kernel_rates = Vec::new();
    let mut plain_rates = Vec::new();
    let mut hashed_rates = Vec::new();
    let mut draw_rates = Vec::new();
    for _ in 0..REPEATS {
        let t = Instant::now();
        let (out, _) = black_box(run_kernel(black_box(SEED)));
        kernel_rates.push(out.events as f64 / t.elapsed().as_secs_f64());
        assert_eq!(out, reference);

        let t = Instant::now();
        let (out, _) = black_box(run_plain::<false>(black_box(SEED)));
        plain_rates.push(out.events as f64 / t.elapsed().as_secs_f64());
        assert_eq!(out, reference);

        let t = Instant::now();
        let (out, _) = black_box(run_plain::<true>(black_box(SEED)));
        hashed_rates.push(out.events as f64 / t.elapsed().as_secs_f64());
        assert_eq!(out, reference);

        let t = Instant::now();
        black_box(run_draws_only(black_box(SEED)));
        draw_rates.push((2 * CUSTOMERS) as f64 / t.elapsed().as_secs_f64());
    }
    let k = stats(kernel_rates);
    let p = stats(plain_rates);
    let h = stats(hashed_rates);
    let d = stats(draw_rates);
    let line = |name: &str, s: &Stats| {
        println!(
            "  {name:<22} median {:>6.2} M events/s  (min {:.2}, max {:.2}; {:.1} ns/event)",
            s.median / 1e6,
            s.min / 1e6,
            s.max / 1e6,
            1e9 / s.median
        );
    };
    println!("model events per second over {REPEATS} runs each:");
    line("kernel (Simulation)", &k);
    line("plain BinaryHeap loop", &p);
    line("plain + trace hash", &h);
    line("random draws alone", &d);
    let ratio = k.median / p.median;
    println!(
        "  kernel / plain = {ratio:.3};  kernel / (plain + trace hash) = {:.3}",
        k.median / h.median
    );
    let ok = |b: bool| if b { "met" } else { "MISSED" };
    println!(
        "targets: kernel >= 20 M events/s: {}; kernel >= 0.8x plain: {}",
        ok(k.median >= 20e6),
        ok(ratio >= 0.8)
    );
}
