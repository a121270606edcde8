//! The kernel proves itself against queueing theory.
//!
//! Small models are built on the kernel ([`Model`], [`Simulation`], [`EventQueue`], named
//! [`RngStreams`]) and their estimates are compared with closed forms: M/M/1, M/D/1, M/M/2
//! (Erlang C), two closed (finite-population) systems solved exactly by MVA, and egalitarian
//! processor sharing with four service distributions (exponential, deterministic,
//! hyperexponential, uniform), whose mean sojourn is insensitive to the distribution. Then
//! determinism: same seed, same trace hash and outputs; different seeds, different traces; a
//! pinned trace hash; and the exact event log of a small scripted model.
//!
//! # How the tolerances are set
//! Every scenario runs `R` independent replications (seeds from
//! [`RngStreams::replication_seed`]). Each replication discards a warm-up and then measures
//! over a **regenerative window**: it opens at the first instant after the warm-up at which
//! an arrival finds the system empty (closed systems: a departure leaves the station empty)
//! and closes at the first such instant after the horizon. The replication estimates give a
//! mean, a standard error and a 99% Student-t half-width; each check asserts that
//! `|estimate - theory| < 4 standard errors` **and** that the 99% half-width is below 2% of
//! the theoretical value, so no check can pass by being vague.
//!
//! # Sample-path identities, checked on every replication
//! Because the window starts and ends with the system (station) empty, every customer that
//! enters it also leaves it, and the following hold exactly in integer nanoseconds:
//! - Little's law: `∫ N(t) dt == Σ sojourn`, hence `L == X·W` up to float rounding;
//! - utilisation law: `∫ busy servers dt == Σ service`, hence `U == X·S` (processor sharing:
//!   equal up to the one-nanosecond rounding of each departure time);
//! - closed systems: `∫ N_station dt + ∫ N_thinking dt == N·T`, hence `R == N/X - Z` with
//!   `Z` the operational think time `∫ N_thinking dt / C`.
//!
//! Time unit: one second = 1e9 ns. Run with `--nocapture` to see the estimate table.

use execsim::kernel::{
    EventQueue, Model, RngStreams, SimDuration, SimRng, SimTime, Simulation, StopReason, TraceKey,
};
use std::collections::VecDeque;

/// Nanoseconds per time unit (the closed forms are in seconds).
const NS: f64 = 1e9;
/// Master seed of every scenario (each scenario also mixes in its own constant).
const MASTER: u64 = 0x5EED_0F0E_2025;
/// Replications per scenario.
const REPS: u64 = 30;
/// Largest acceptable 99% half-width, relative to the theoretical value.
const MAX_REL_HW: f64 = 0.02;

fn ns(secs: f64) -> u64 {
    (secs * NS).round() as u64
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// Student t quantile t_{0.995, df} for df = 1..=40 (two-sided 99%).
const T995: [f64; 40] = [
    63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012,
    2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779,
    2.771, 2.763, 2.756, 2.750, 2.744, 2.738, 2.733, 2.728, 2.724, 2.719, 2.715, 2.712, 2.708,
    2.704,
];

/// Mean, standard error and 99% half-width of replication estimates.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    se: f64,
    hw99: f64,
}

fn estimate(xs: &[f64]) -> Estimate {
    assert!(
        xs.len() >= 2 && xs.len() <= T995.len() + 1,
        "{} replications",
        xs.len()
    );
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se = (var / n).sqrt();
    Estimate {
        mean,
        se,
        hw99: T995[xs.len() - 2] * se,
    }
}

/// Asserts that the replication mean of `xs` matches `theory` within 4 standard errors and
/// that the 99% half-width is below `max_rel_hw` of the theoretical value.
fn check(label: &str, xs: &[f64], theory: f64, max_rel_hw: f64) {
    let e = estimate(xs);
    let z = (e.mean - theory) / e.se;
    eprintln!(
        "{label:<34} {:>10.6} ± {:.6} (99%, R={:>2}, hw {:.2}%)  theory {theory:>10.6}  \
         err {z:+.2} SE",
        e.mean,
        e.hw99,
        xs.len(),
        100.0 * e.hw99 / theory.abs()
    );
    assert!(
        e.hw99 < max_rel_hw * theory.abs(),
        "{label}: 99% half-width {} is not below {}% of {theory}: too few samples to test anything",
        e.hw99,
        100.0 * max_rel_hw
    );
    assert!(
        // (plus float rounding, for a quantity with no variance such as a constant service)
        (e.mean - theory).abs() < 4.0 * e.se + 1e-12 * theory.abs(),
        "{label}: estimate {} ± {} (99%) vs theory {theory}: off by {z:.2} standard errors",
        e.mean,
        e.hw99
    );
}

/// Runs `reps` replications of `run(seed)` and returns, per metric, the replication values.
fn replicate<const K: usize>(
    scenario: u64,
    reps: u64,
    run: impl Fn(u64) -> [f64; K],
) -> [Vec<f64>; K] {
    let mut out: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(reps as usize));
    for rep in 0..reps {
        let seed = RngStreams::replication_seed(MASTER ^ scenario, rep);
        for (k, v) in run(seed).into_iter().enumerate() {
            out[k].push(v);
        }
    }
    out
}

/// `a == b` up to float rounding.
fn assert_close(what: &str, a: f64, b: f64) {
    assert!(
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
        "{what}: {a} != {b} (sample-path identity broken)"
    );
}

// ---------------------------------------------------------------------------------------------
// Measurement window and customer tallies, shared by the models
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    Warmup,
    Measuring,
    Done,
}

/// A regenerative measurement window with time-integral (area) accounting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Window {
    warmup_end: u64,
    horizon: u64,
    phase: Phase,
    start: u64,
    end: u64,
    last: u64,
    /// ∫ customers in system (closed: at the service station) dt.
    area_n: u128,
    /// ∫ busy servers dt.
    area_busy: u128,
    /// ∫ thinking customers dt (closed systems only).
    area_think: u128,
}

impl Window {
    fn new(warmup: f64, horizon: f64) -> Self {
        assert!(warmup < horizon);
        Window {
            warmup_end: ns(warmup),
            horizon: ns(horizon),
            ..Window::default()
        }
    }

    /// Accumulates the areas from the previous event to `now`, with the state that held
    /// since then. Call at the start of every event, before changing any state.
    #[inline]
    fn integrate(&mut self, now: u64, n: u64, busy: u64, thinking: u64) {
        if self.phase == Phase::Measuring {
            let dt = (now - self.last) as u128;
            self.area_n += n as u128 * dt;
            self.area_busy += busy as u128 * dt;
            self.area_think += thinking as u128 * dt;
        }
        self.last = now;
    }

    /// Opens the window at a regeneration point (system empty) once the warm-up is over.
    fn at_regeneration_open(&mut self, now: u64) {
        if self.phase == Phase::Warmup && now >= self.warmup_end {
            self.phase = Phase::Measuring;
            self.start = now;
            self.last = now;
        }
    }

    /// Closes the window at a regeneration point once the horizon is passed.
    fn at_regeneration_close(&mut self, now: u64) {
        if self.phase == Phase::Measuring && now >= self.horizon {
            self.phase = Phase::Done;
            self.end = now;
        }
    }

    fn measuring(&self) -> bool {
        self.phase == Phase::Measuring
    }

    fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Window length in ns.
    fn len(&self) -> u64 {
        assert!(self.done(), "window never closed");
        self.end - self.start
    }
}

/// Per-customer sums over the customers that entered the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    n: u64,
    n_waited: u64,
    sum_sojourn: u128,
    sum_wait: u128,
    sum_service: u128,
    /// Every sojourn, when quantiles are wanted.
    sojourns: Option<Vec<u64>>,
}

impl Tally {
    fn record(&mut self, arrived: u64, started: u64, departed: u64, service: u64, waited: bool) {
        self.n += 1;
        self.n_waited += waited as u64;
        self.sum_sojourn += (departed - arrived) as u128;
        self.sum_wait += (started - arrived) as u128;
        self.sum_service += service as u128;
        if let Some(v) = &mut self.sojourns {
            v.push(departed - arrived);
        }
    }

    fn mean_sojourn(&self) -> f64 {
        self.sum_sojourn as f64 / self.n as f64 / NS
    }
    fn mean_wait(&self) -> f64 {
        self.sum_wait as f64 / self.n as f64 / NS
    }
    fn mean_service(&self) -> f64 {
        self.sum_service as f64 / self.n as f64 / NS
    }

    /// The empirical `p`-quantile of the sojourn times, in time units.
    fn sojourn_quantile(&mut self, p: f64) -> f64 {
        let v = self.sojourns.as_mut().expect("sojourns not kept");
        let k = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        *v.select_nth_unstable(k).1 as f64 / NS
    }
}

/// Service-time distributions, all with integer-nanosecond draws.
#[derive(Clone, Copy, Debug)]
enum Dist {
    Exp {
        mean: f64,
    },
    Det {
        ns: u64,
    },
    /// Two-phase hyperexponential: mean `mean1` with probability `p`, else `mean2`.
    H2 {
        p: f64,
        mean1: f64,
        mean2: f64,
    },
    /// Uniform on the integers `lo..=hi`.
    Uniform {
        lo: u64,
        hi: u64,
    },
}

impl Dist {
    fn exp(mean_secs: f64) -> Self {
        Dist::Exp {
            mean: mean_secs * NS,
        }
    }

    /// Hyperexponential with mean `mean_secs`, squared coefficient of variation `scv` and
    /// balanced means (p1·m1 = p2·m2).
    fn h2_balanced(mean_secs: f64, scv: f64) -> Self {
        let p = 0.5 * (1.0 + ((scv - 1.0) / (scv + 1.0)).sqrt());
        let m = mean_secs * NS;
        Dist::H2 {
            p,
            mean1: m / (2.0 * p),
            mean2: m / (2.0 * (1.0 - p)),
        }
    }

    #[inline]
    fn sample(&self, rng: &mut SimRng) -> u64 {
        match *self {
            Dist::Exp { mean } => rng.exp_nanos(mean),
            Dist::Det { ns } => ns,
            Dist::H2 { p, mean1, mean2 } => {
                let mean = if rng.chance(p) { mean1 } else { mean2 };
                rng.exp_nanos(mean)
            }
            Dist::Uniform { lo, hi } => lo + rng.below(hi - lo + 1),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model 1: open FCFS queue with c servers (M/G/c): M/M/1, M/D/1, M/M/2
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    arrived: u64,
    started: u64,
    service: u64,
    counted: bool,
    waited: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpenEv {
    Arrival,
    Departure(Job),
}

impl TraceKey for OpenEv {
    fn trace_key(&self) -> u64 {
        match self {
            OpenEv::Arrival => 1,
            OpenEv::Departure(j) => 2 ^ j.arrived.rotate_left(8),
        }
    }
}

struct Fcfs {
    servers: u32,
    busy: u32,
    interarrival_mean: f64,
    service: Dist,
    arrivals: SimRng,
    services: SimRng,
    waiting: VecDeque<Job>,
    win: Window,
    tally: Tally,
}

impl Fcfs {
    fn new(seed: u64, lambda: f64, servers: u32, service: Dist, win: Window) -> Self {
        let streams = RngStreams::new(seed);
        Fcfs {
            servers,
            busy: 0,
            interarrival_mean: NS / lambda,
            service,
            arrivals: streams.stream("arrivals"),
            services: streams.stream("service"),
            waiting: VecDeque::new(),
            win,
            tally: Tally::default(),
        }
    }

    fn in_system(&self) -> u64 {
        self.waiting.len() as u64 + self.busy as u64
    }
}

impl Model for Fcfs {
    type Event = OpenEv;

    fn handle(&mut self, ev: OpenEv, q: &mut EventQueue<OpenEv>) {
        let now = q.now().0;
        let n = self.in_system();
        self.win.integrate(now, n, self.busy as u64, 0);
        match ev {
            OpenEv::Arrival => {
                if self.win.done() {
                    return; // stop the arrival stream: the run drains and ends
                }
                let gap = self.arrivals.exp_nanos(self.interarrival_mean);
                q.schedule_in(SimDuration(gap), OpenEv::Arrival);
                if n == 0 {
                    self.win.at_regeneration_open(now);
                }
                let job = Job {
                    arrived: now,
                    started: now,
                    service: self.service.sample(&mut self.services),
                    counted: self.win.measuring(),
                    waited: self.busy == self.servers,
                };
                if self.busy < self.servers {
                    self.busy += 1;
                    q.schedule_in(SimDuration(job.service), OpenEv::Departure(job));
                } else {
                    self.waiting.push_back(job);
                }
            }
            OpenEv::Departure(job) => {
                if job.counted {
                    self.tally
                        .record(job.arrived, job.started, now, job.service, job.waited);
                }
                if let Some(mut next) = self.waiting.pop_front() {
                    next.started = now;
                    q.schedule_in(SimDuration(next.service), OpenEv::Departure(next));
                } else {
                    self.busy -= 1;
                    if self.busy == 0 {
                        self.win.at_regeneration_close(now);
                    }
                }
            }
        }
    }
}

/// Runs an open model until its window closes and the system drains.
fn run_open<M: Model>(model: M, first: M::Event, hard_stop: f64) -> Simulation<M> {
    let mut sim = Simulation::new(model);
    sim.queue.schedule_at(SimTime::ZERO, first);
    let reason = sim.run_until(SimTime(ns(hard_stop)));
    assert_eq!(
        reason,
        StopReason::Exhausted,
        "run did not drain by {hard_stop}"
    );
    sim
}

/// Runs one M/G/c replication and checks its sample-path identities.
fn fcfs_replication(
    seed: u64,
    lambda: f64,
    servers: u32,
    service: Dist,
    win: Window,
    keep: bool,
) -> Fcfs {
    let hard_stop = win.horizon as f64 / NS * 2.0;
    let mut model = Fcfs::new(seed, lambda, servers, service, win);
    if keep {
        model.tally.sojourns = Some(Vec::new());
    }
    let sim = run_open(model, OpenEv::Arrival, hard_stop);
    let m = sim.model;
    assert!(m.waiting.is_empty() && m.busy == 0);
    let w = &m.win;
    let t = &m.tally;
    assert!(t.n > 1000, "only {} customers measured", t.n);
    // Little's law and the utilisation law, exact in integer ns.
    assert_eq!(w.area_n, t.sum_sojourn, "Little: ∫N dt != Σ sojourn");
    assert_eq!(w.area_busy, t.sum_service, "∫busy dt != Σ service");
    let len = w.len() as f64 / NS;
    let l = w.area_n as f64 / NS / len;
    let x = t.n as f64 / len;
    assert_close("L = X·W", l, x * t.mean_sojourn());
    let u = w.area_busy as f64 / NS / len / servers as f64;
    assert_close("U = X·S/c", u, x * t.mean_service() / servers as f64);
    assert_close(
        "W = Wq + S",
        t.mean_sojourn(),
        t.mean_wait() + t.mean_service(),
    );
    m
}

#[test]
fn mm1_matches_closed_forms() {
    // λ = 3, μ = 5: ρ = 0.6, Wq = 0.3, W = 0.5, L = 1.5, sojourn ~ Exp(2).
    let [wq, w, l, u, p99] = replicate(1, REPS, |seed| {
        let mut m = fcfs_replication(
            seed,
            3.0,
            1,
            Dist::exp(0.2),
            Window::new(100.0, 40_000.0),
            true,
        );
        let len = m.win.len() as f64 / NS;
        [
            m.tally.mean_wait(),
            m.tally.mean_sojourn(),
            m.win.area_n as f64 / NS / len,
            m.win.area_busy as f64 / NS / len,
            m.tally.sojourn_quantile(0.99),
        ]
    });
    check("M/M/1 Wq", &wq, 0.3, MAX_REL_HW);
    check("M/M/1 W", &w, 0.5, MAX_REL_HW);
    check("M/M/1 L", &l, 1.5, MAX_REL_HW);
    check("M/M/1 U", &u, 0.6, MAX_REL_HW);
    check("M/M/1 p99 sojourn", &p99, 100f64.ln() / 2.0, MAX_REL_HW);
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    // λ = 3, D = 0.2: Wq = λ D² / (2 (1 - ρ)) = 0.15, W = 0.35.
    let [wq, w] = replicate(2, REPS, |seed| {
        let m = fcfs_replication(
            seed,
            3.0,
            1,
            Dist::Det { ns: ns(0.2) },
            Window::new(100.0, 40_000.0),
            false,
        );
        [m.tally.mean_wait(), m.tally.mean_sojourn()]
    });
    check("M/D/1 Wq", &wq, 0.15, MAX_REL_HW);
    check("M/D/1 W", &w, 0.35, MAX_REL_HW);
}

#[test]
fn mmc_matches_erlang_c() {
    // c = 2, λ = 3, μ = 2: a = 1.5, ρ = 0.75, C(2, 1.5) = 9/14, Wq = C/(cμ - λ), W = Wq + 1/μ.
    let [pw, wq, w] = replicate(3, REPS, |seed| {
        let m = fcfs_replication(
            seed,
            3.0,
            2,
            Dist::exp(0.5),
            Window::new(100.0, 80_000.0),
            false,
        );
        [
            m.tally.n_waited as f64 / m.tally.n as f64,
            m.tally.mean_wait(),
            m.tally.mean_sojourn(),
        ]
    });
    let c = 9.0 / 14.0;
    check("M/M/2 P(wait) (Erlang C)", &pw, c, MAX_REL_HW);
    check("M/M/2 Wq", &wq, c, MAX_REL_HW);
    check("M/M/2 W", &w, c + 0.5, MAX_REL_HW);
}

// ---------------------------------------------------------------------------------------------
// Model 2: closed system, N customers thinking then queueing at c FCFS servers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClosedEv {
    /// Customer finishes thinking and submits a job.
    ThinkEnd(u32),
    /// Customer's job completes service.
    Departure(u32),
}

impl TraceKey for ClosedEv {
    fn trace_key(&self) -> u64 {
        match *self {
            ClosedEv::ThinkEnd(c) => (c as u64) << 1,
            ClosedEv::Departure(c) => ((c as u64) << 1) | 1,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Request {
    submitted: u64,
    started: u64,
    service: u64,
    counted: bool,
}

struct Closed {
    customers: u32,
    servers: u32,
    busy: u32,
    at_station: u32,
    think_mean: f64,
    service_mean: f64,
    thinks: SimRng,
    services: SimRng,
    requests: Vec<Request>,
    waiting: VecDeque<u32>,
    win: Window,
    tally: Tally,
}

impl Closed {
    fn start_service(&mut self, c: u32, now: u64, q: &mut EventQueue<ClosedEv>) {
        self.requests[c as usize].started = now;
        q.schedule_in(
            SimDuration(self.requests[c as usize].service),
            ClosedEv::Departure(c),
        );
    }
}

impl Model for Closed {
    type Event = ClosedEv;

    fn handle(&mut self, ev: ClosedEv, q: &mut EventQueue<ClosedEv>) {
        let now = q.now().0;
        let n = self.at_station as u64;
        let thinking = (self.customers - self.at_station) as u64;
        self.win.integrate(now, n, self.busy as u64, thinking);
        match ev {
            ClosedEv::ThinkEnd(c) => {
                if self.win.done() {
                    return; // customers stop submitting; the run ends
                }
                self.at_station += 1;
                let service = self.services.exp_nanos(self.service_mean);
                self.requests[c as usize] = Request {
                    submitted: now,
                    started: now,
                    service,
                    counted: self.win.measuring(),
                };
                if self.busy < self.servers {
                    self.busy += 1;
                    self.start_service(c, now, q);
                } else {
                    self.waiting.push_back(c);
                }
            }
            ClosedEv::Departure(c) => {
                let r = self.requests[c as usize];
                if r.counted {
                    self.tally.record(
                        r.submitted,
                        r.started,
                        now,
                        r.service,
                        r.started > r.submitted,
                    );
                }
                self.at_station -= 1;
                if let Some(next) = self.waiting.pop_front() {
                    self.start_service(next, now, q);
                } else {
                    self.busy -= 1;
                }
                if self.at_station == 0 {
                    // All N are thinking: with exponential think times this is a
                    // regeneration point.
                    self.win.at_regeneration_close(now);
                    self.win.at_regeneration_open(now);
                }
                if !self.win.done() {
                    let z = self.thinks.exp_nanos(self.think_mean);
                    q.schedule_in(SimDuration(z), ClosedEv::ThinkEnd(c));
                }
            }
        }
    }
}

struct ClosedResult {
    x: f64,
    r: f64,
    u: f64,
}

/// One closed-system replication with its sample-path identities checked.
fn closed_replication(
    seed: u64,
    customers: u32,
    servers: u32,
    service_mean: f64,
    think_mean: f64,
    win: Window,
) -> ClosedResult {
    let streams = RngStreams::new(seed);
    let hard_stop = win.horizon as f64 / NS * 2.0;
    let model = Closed {
        customers,
        servers,
        busy: 0,
        at_station: 0,
        think_mean: think_mean * NS,
        service_mean: service_mean * NS,
        thinks: streams.stream("think"),
        services: streams.stream("service"),
        requests: vec![Request::default(); customers as usize],
        waiting: VecDeque::new(),
        win,
        tally: Tally::default(),
    };
    let mut sim = Simulation::new(model);
    // Everyone starts out thinking.
    for c in 0..customers {
        let z = sim.model.thinks.exp_nanos(sim.model.think_mean);
        sim.queue.schedule_at(SimTime(z), ClosedEv::ThinkEnd(c));
    }
    let reason = sim.run_until(SimTime(ns(hard_stop)));
    assert_eq!(reason, StopReason::Exhausted);
    let m = &sim.model;
    let (w, t) = (&m.win, &m.tally);
    assert!(t.n > 1000, "only {} jobs measured", t.n);
    let len_ns = w.len();
    // Conservation: every customer is either at the station or thinking.
    assert_eq!(
        w.area_n + w.area_think,
        customers as u128 * len_ns as u128,
        "∫N_station + ∫N_thinking != N·T"
    );
    // Little's law at the station and the utilisation law, exact in integer ns.
    assert_eq!(w.area_n, t.sum_sojourn, "Little: ∫N dt != Σ response");
    assert_eq!(w.area_busy, t.sum_service, "∫busy dt != Σ service");
    let len = len_ns as f64 / NS;
    let x = t.n as f64 / len;
    let r = t.mean_sojourn();
    let z_op = w.area_think as f64 / NS / t.n as f64;
    assert_close("R = N/X - Z", r, customers as f64 / x - z_op);
    let u = w.area_busy as f64 / NS / len / servers as f64;
    assert_close("U = X·S/c", u, x * t.mean_service() / servers as f64);
    ClosedResult { x, r, u }
}

#[test]
fn closed_single_server_matches_mva() {
    // N = 10, S = 0.1, Z = 0.9, one server: exact MVA.
    let [x, r, u] = replicate(4, REPS, |seed| {
        let res = closed_replication(seed, 10, 1, 0.1, 0.9, Window::new(100.0, 6_000.0));
        [res.x, res.r, res.u]
    });
    check("closed N=10 c=1 X", &x, 8.320368, MAX_REL_HW);
    check("closed N=10 c=1 R", &r, 0.301870, MAX_REL_HW);
    check("closed N=10 c=1 U", &u, 0.832037, MAX_REL_HW);
}

#[test]
fn closed_multi_server_matches_mva() {
    // N = 20, c = 4, μ = 10, Z = 1: exact (load-dependent) MVA.
    let [x, r, u] = replicate(5, REPS, |seed| {
        let res = closed_replication(seed, 20, 4, 0.1, 1.0, Window::new(100.0, 3_000.0));
        [res.x, res.r, res.u]
    });
    check("closed N=20 c=4 X", &x, 18.119694, MAX_REL_HW);
    check("closed N=20 c=4 R", &r, 0.103771, MAX_REL_HW);
    check(
        "closed N=20 c=4 U (per server)",
        &u,
        18.119694 * 0.1 / 4.0,
        MAX_REL_HW,
    );
}

// ---------------------------------------------------------------------------------------------
// Model 3: egalitarian processor sharing (M/G/1-PS)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PsEv {
    Arrival,
    /// The job with the least remaining work finishes, unless the state changed since this
    /// event was scheduled (then `generation` is stale and the event is ignored).
    Departure {
        generation: u64,
    },
}

impl TraceKey for PsEv {
    fn trace_key(&self) -> u64 {
        match *self {
            PsEv::Arrival => 1,
            PsEv::Departure { generation } => (generation << 1) | 1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct PsJob {
    arrived: u64,
    service: u64,
    /// Remaining work, in ns of dedicated service.
    remaining: f64,
    counted: bool,
}

/// One server shared equally by all present jobs: each of n jobs is served at rate 1/n.
///
/// Remaining work is brought up to date at every event (each job loses `Δt / n`); after every
/// arrival or departure the next departure is rescheduled at
/// `now + ceil(min remaining · n)` with a fresh generation, which makes every previously
/// scheduled departure stale.
struct Ps {
    interarrival_mean: f64,
    service: Dist,
    arrivals: SimRng,
    services: SimRng,
    jobs: Vec<PsJob>,
    last_update: u64,
    generation: u64,
    stale: u64,
    win: Window,
    tally: Tally,
}

impl Model for Ps {
    type Event = PsEv;

    fn handle(&mut self, ev: PsEv, q: &mut EventQueue<PsEv>) {
        let now = q.now().0;
        let n = self.jobs.len();
        self.win.integrate(now, n as u64, (n > 0) as u64, 0);
        if n > 0 {
            let share = (now - self.last_update) as f64 / n as f64;
            for j in &mut self.jobs {
                j.remaining -= share;
            }
        }
        self.last_update = now;
        match ev {
            PsEv::Arrival => {
                if self.win.done() {
                    return;
                }
                let gap = self.arrivals.exp_nanos(self.interarrival_mean);
                q.schedule_in(SimDuration(gap), PsEv::Arrival);
                if n == 0 {
                    self.win.at_regeneration_open(now);
                }
                let service = self.service.sample(&mut self.services);
                self.jobs.push(PsJob {
                    arrived: now,
                    service,
                    remaining: service as f64,
                    counted: self.win.measuring(),
                });
            }
            PsEv::Departure { generation } => {
                if generation != self.generation {
                    self.stale += 1;
                    return; // the state changed since this departure was planned
                }
                let (i, _) = self.least_remaining().expect("departure with no job");
                let job = self.jobs.swap_remove(i);
                // The departure time was rounded up to the next ns, so the job overshoots
                // by less than 1/n ns of work (plus float rounding).
                assert!(
                    job.remaining <= 1e-3 && job.remaining > -1.0 - 1e-3,
                    "PS job left with {} ns of work",
                    job.remaining
                );
                if job.counted {
                    self.tally
                        .record(job.arrived, job.arrived, now, job.service, false);
                }
                if self.jobs.is_empty() {
                    self.win.at_regeneration_close(now);
                }
            }
        }
        // Something changed: replan the next departure.
        self.generation += 1;
        if let Some((_, rem)) = self.least_remaining() {
            let delay = (rem.max(0.0) * self.jobs.len() as f64).ceil() as u64;
            q.schedule_in(
                SimDuration(delay),
                PsEv::Departure {
                    generation: self.generation,
                },
            );
        }
    }
}

impl Ps {
    fn least_remaining(&self) -> Option<(usize, f64)> {
        self.jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (i, j.remaining))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// One M/G/1-PS replication with its sample-path identities checked; also returns the
/// trace hash.
fn ps_replication(seed: u64, lambda: f64, service: Dist, win: Window) -> (Ps, u64) {
    let streams = RngStreams::new(seed);
    let hard_stop = win.horizon as f64 / NS * 2.0;
    let model = Ps {
        interarrival_mean: NS / lambda,
        service,
        arrivals: streams.stream("arrivals"),
        services: streams.stream("service"),
        jobs: Vec::new(),
        last_update: 0,
        generation: 0,
        stale: 0,
        win,
        tally: Tally::default(),
    };
    let sim = run_open(model, PsEv::Arrival, hard_stop);
    let hash = sim.queue.trace_hash();
    let m = sim.model;
    assert!(m.jobs.is_empty());
    let (w, t) = (&m.win, &m.tally);
    assert!(t.n > 1000, "only {} jobs measured", t.n);
    assert!(m.stale > 0, "no stale departure was ever ignored");
    // Little's law: exact, as both sides come from event times.
    assert_eq!(w.area_n, t.sum_sojourn, "Little: ∫N dt != Σ sojourn");
    // Utilisation law: each departure is rounded up to the next ns, so the busy time
    // exceeds the total work by at most 1 ns per job.
    let slack = w.area_busy as i128 - t.sum_service as i128;
    assert!(
        (-1..=t.n as i128).contains(&slack),
        "∫busy dt - Σ service = {slack} ns over {} jobs",
        t.n
    );
    let len = w.len() as f64 / NS;
    let x = t.n as f64 / len;
    assert_close("L = X·W", w.area_n as f64 / NS / len, x * t.mean_sojourn());
    let u = w.area_busy as f64 / NS / len;
    assert!((u - x * t.mean_service()).abs() <= t.n as f64 / NS / len);
    (m, hash)
}

fn ps_check(label: &str, scenario: u64, service: Dist, horizon: f64) {
    // λ = 3, E[S] = 0.2: E[T] = E[S] / (1 - ρ) = 0.5 whatever the service distribution.
    let [t, s] = replicate(scenario, REPS, |seed| {
        let (m, _) = ps_replication(seed, 3.0, service, Window::new(100.0, horizon));
        [m.tally.mean_sojourn(), m.tally.mean_service()]
    });
    check(&format!("M/G/1-PS E[T], {label}"), &t, 0.5, MAX_REL_HW);
    if let Dist::Det { .. } = service {
        assert!(s.iter().all(|&s| (s - 0.2).abs() < 1e-12), "{s:?}");
    } else {
        check(&format!("M/G/1-PS E[S], {label}"), &s, 0.2, MAX_REL_HW);
    }
}

#[test]
fn ps_exponential_service() {
    ps_check("exponential", 6, Dist::exp(0.2), 40_000.0);
}

#[test]
fn ps_deterministic_service() {
    ps_check("deterministic", 7, Dist::Det { ns: ns(0.2) }, 40_000.0);
}

#[test]
fn ps_hyperexponential_service() {
    // Squared coefficient of variation 4: FCFS would give W = 0.2 + 0.75, PS still 0.5.
    ps_check("H2 scv=4", 8, Dist::h2_balanced(0.2, 4.0), 80_000.0);
}

#[test]
fn ps_uniform_service() {
    ps_check(
        "uniform[0,0.4]",
        9,
        Dist::Uniform { lo: 0, hi: ns(0.4) },
        40_000.0,
    );
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

/// Everything an M/M/1 run reports, for exact comparison between runs.
#[derive(Debug, PartialEq, Eq)]
struct RunOutput {
    trace_hash: u64,
    processed: u64,
    win: Window,
    tally: Tally,
}

fn mm1_output(seed: u64) -> RunOutput {
    let model = Fcfs::new(seed, 3.0, 1, Dist::exp(0.2), Window::new(10.0, 200.0));
    let sim = run_open(model, OpenEv::Arrival, 1e4);
    RunOutput {
        trace_hash: sim.queue.trace_hash(),
        processed: sim.queue.processed(),
        win: sim.model.win,
        tally: sim.model.tally,
    }
}

fn ps_output(seed: u64) -> RunOutput {
    let (m, hash) = ps_replication(
        seed,
        3.0,
        Dist::h2_balanced(0.2, 4.0),
        Window::new(10.0, 500.0),
    );
    RunOutput {
        trace_hash: hash,
        processed: m.stale,
        win: m.win,
        tally: m.tally,
    }
}

#[test]
fn same_seed_same_trace_and_outputs() {
    let a = mm1_output(42);
    let b = mm1_output(42);
    assert!(a.processed > 1000);
    assert_eq!(a, b);
    // Processor sharing (stale events, float bookkeeping) is just as reproducible.
    assert_eq!(ps_output(42), ps_output(42));
    // Closed system: the full trace hash too.
    let closed = |seed| {
        let streams = RngStreams::new(seed);
        let model = Closed {
            customers: 5,
            servers: 2,
            busy: 0,
            at_station: 0,
            think_mean: 0.5 * NS,
            service_mean: 0.1 * NS,
            thinks: streams.stream("think"),
            services: streams.stream("service"),
            requests: vec![Request::default(); 5],
            waiting: VecDeque::new(),
            win: Window::new(1.0, 50.0),
            tally: Tally::default(),
        };
        let mut sim = Simulation::new(model);
        for c in 0..5 {
            let z = sim.model.thinks.exp_nanos(sim.model.think_mean);
            sim.queue.schedule_at(SimTime(z), ClosedEv::ThinkEnd(c));
        }
        assert_eq!(sim.run_until(SimTime(ns(1e3))), StopReason::Exhausted);
        (
            sim.queue.trace_hash(),
            sim.queue.processed(),
            sim.model.tally,
        )
    };
    assert_eq!(closed(9), closed(9));
    assert_ne!(closed(9).0, closed(10).0);
}

#[test]
fn different_seeds_give_different_traces() {
    let hashes: Vec<u64> = (0..8)
        .map(|rep| mm1_output(RngStreams::replication_seed(1, rep)).trace_hash)
        .collect();
    for i in 0..hashes.len() {
        for j in 0..i {
            assert_ne!(
                hashes[i], hashes[j],
                "replications {i} and {j} share a trace"
            );
        }
    }
}

/// The trace hash of a fixed M/M/1 run, pinned: it changes only if the queue's ordering,
/// the ChaCha8 streams, `exp_nanos` or the trace hash function change — that is, only if
/// recorded seeds would stop replaying.
#[test]
fn mm1_trace_hash_snapshot() {
    let out = mm1_output(7);
    assert_eq!(
        (out.trace_hash, out.processed),
        MM1_SEED7,
        "trace changed: {:#x}, {} events",
        out.trace_hash,
        out.processed
    );
}
const MM1_SEED7: (u64, u64) = (0xb10a_5791_36d5_8e5c, 1213);

/// A tiny deterministic single-server FCFS model with scripted arrivals and services.
struct Scripted {
    arrivals: &'static [u64],
    services: &'static [u64],
    queue: VecDeque<usize>,
    busy: bool,
    log: Vec<(u64, Ev)>,
    sojourns: Vec<(u64, u64)>,
    started: Vec<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    A(usize),
    D(usize),
}

impl TraceKey for Ev {
    fn trace_key(&self) -> u64 {
        match *self {
            Ev::A(i) => i as u64,
            Ev::D(i) => 1000 + i as u64,
        }
    }
}

impl Model for Scripted {
    type Event = Ev;
    fn handle(&mut self, ev: Ev, q: &mut EventQueue<Ev>) {
        let now = q.now().0;
        self.log.push((now / 1_000_000, ev));
        let ms = SimDuration::from_millis;
        match ev {
            Ev::A(i) => {
                // First the next arrival, then this customer's departure (if it starts).
                if let Some(&t) = self.arrivals.get(i + 1) {
                    q.schedule_at(SimTime(t * 1_000_000), Ev::A(i + 1));
                }
                if self.busy {
                    self.queue.push_back(i);
                } else {
                    self.busy = true;
                    self.started[i] = now;
                    q.schedule_in(ms(self.services[i]), Ev::D(i));
                }
            }
            Ev::D(i) => {
                let arrived = self.arrivals[i] * 1_000_000;
                self.sojourns.push((
                    (now - arrived) / 1_000_000,
                    (self.started[i] - arrived) / 1_000_000,
                ));
                match self.queue.pop_front() {
                    Some(next) => {
                        self.started[next] = now;
                        q.schedule_in(ms(self.services[next]), Ev::D(next));
                    }
                    None => self.busy = false,
                }
            }
        }
    }
}

fn scripted() -> Simulation<Scripted> {
    let mut sim = Simulation::new(Scripted {
        arrivals: &[0, 2, 5, 5],
        services: &[2, 3, 1, 2],
        queue: VecDeque::new(),
        busy: false,
        log: Vec::new(),
        sojourns: Vec::new(),
        started: vec![0; 4],
    });
    sim.queue.schedule_at(SimTime::ZERO, Ev::A(0));
    sim
}

#[test]
fn exact_event_log_of_a_deterministic_model() {
    use Ev::{A, D};
    let mut sim = scripted();
    // The horizon is inclusive: everything due at 5 ms runs, then the clock stands at 5 ms.
    assert_eq!(sim.run_until(SimTime(5_000_000)), StopReason::Horizon);
    assert_eq!(sim.queue.now(), SimTime(5_000_000));
    assert_eq!(sim.run_until(SimTime(100_000_000)), StopReason::Exhausted);
    // Same-instant events run in scheduling order: at 2 ms, A1 was scheduled (by A0) before
    // D0; at 5 ms, A2 (scheduled at 2 ms) precedes D1 (at 2 ms, later), which precedes A3
    // (scheduled at 5 ms by A2, with zero delay).
    let expected = vec![
        (0, A(0)),
        (2, A(1)),
        (2, D(0)),
        (5, A(2)),
        (5, D(1)),
        (5, A(3)),
        (6, D(2)),
        (8, D(3)),
    ];
    assert_eq!(sim.model.log, expected);
    // (sojourn, wait) in ms: customer 1 found the server busy yet waited 0 ms.
    assert_eq!(sim.model.sojourns, vec![(2, 0), (3, 0), (1, 0), (3, 1)]);
    assert_eq!(sim.queue.processed(), 8);
    assert_eq!(sim.queue.now(), SimTime(100_000_000));

    // Running in one go or in pieces gives the same trace hash.
    let mut whole = scripted();
    whole.run_until(SimTime::MAX);
    assert_eq!(whole.model.log, expected);
    assert_eq!(whole.queue.trace_hash(), sim.queue.trace_hash());
    // Stepping by hand, too.
    let mut stepped = scripted();
    while stepped.step() {}
    assert_eq!(stepped.queue.trace_hash(), sim.queue.trace_hash());
}
