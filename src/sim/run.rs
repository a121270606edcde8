//! Running a scenario in simulation: build the layers, run to the horizon, collect results.
//!
//! # The determinism contract
//!
//! Two runs give the same [`RunResult`] and the same trace hash, bit for bit, when these are
//! equal:
//! - the **scenario**, including its `seed` (every random draw comes from a ChaCha8 stream
//!   named by a stable string and derived from the seed) and any cost overrides;
//! - the **calibration** (the embedded `calibration/default.toml`, or the file given; for
//!   another CPython build than 3.11, its `[interpreters]` table, or the embedded one's);
//! - the **crate version** (the model's code: any change to the scheduler, the GIL protocol
//!   or the service may change results; the trace hash says whether it did).
//!
//! Nothing else matters: not the machine, the operating system, the number of threads a
//! sweep uses or the order in which it runs scenarios, the wall clock, [`SimOptions::trace`]
//! or [`SimOptions::check`] (checking only reads the state). Time is integer nanoseconds,
//! simultaneous events run in the order they were scheduled, and nothing iterates a hash map.
//! [`SimOptions::max_events`] is part of the contract when it stops a run (the result says
//! `truncated`). `tests/properties.rs` checks the contract on generated scenarios.

use crate::interp::{HandOffs, Runtime, TraceRecord};
use crate::kernel::{EventQueue, SimDuration, SimTime, Simulation, StopReason};
use crate::machine::{CoreId, Machine, ThreadId};
use crate::service::{ServerLanguage, World};
use crate::sim::calibration::Calibration;
use crate::sim::check::{CheckConfig, CheckStats, Checker, Violation};
use crate::sim::gil_snapshot::GilSnapshot;
use crate::sim::results::{ClientResult, GilPhase, LatencyUs, RunResult, ThreadResult};
use crate::sim::scenario::Scenario;
use crate::workload::cost::CostModel;
use std::ops::ControlFlow;

/// Options of a simulated run beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// Record every thread's activity changes (for timelines and trace export).
    pub trace: bool,
    /// Stop after this many events (a guard for huge scenarios); None: no limit.
    pub max_events: Option<u64>,
    /// Check the model's invariants after every event ([`crate::sim::check`]); the run stops at
    /// the first violation, reported in [`SimOutput::violation`]. Slower; results unchanged.
    pub check: bool,
    /// Which invariants to enforce when checking (None: all, with default bounds).
    pub check_config: Option<CheckConfig>,
}

/// A finished simulation: the results and, when asked, the activity trace.
pub struct SimOutput {
    /// The results.
    pub result: RunResult,
    /// Thread activity changes (empty unless [`SimOptions::trace`]).
    pub trace: Vec<TraceRecord>,
    /// Thread names, indexed by thread id.
    pub thread_names: Vec<String>,
    /// True if the event limit stopped the run early.
    pub truncated: bool,
    /// The first broken invariant, if checking was on and one broke (the run stopped there).
    pub violation: Option<Violation>,
    /// What the invariant checker measured (None unless [`SimOptions::check`]).
    pub check_stats: Option<CheckStats>,
}

impl SimOutput {
    /// The server GIL's hand-offs (interpreter 0's threads) between `from` and `to`, by roles,
    /// from the activity trace (empty unless the run was traced).
    pub fn server_handoffs(&self, from: SimTime, to: SimTime) -> HandOffs {
        let server: Vec<bool> = self
            .thread_names
            .iter()
            .map(|n| {
                self.result
                    .threads
                    .iter()
                    .any(|t| &t.name == n && t.interp == 0)
            })
            .collect();
        let in_gil = |t: usize| server.get(t).copied().unwrap_or(false);
        HandOffs::of(&self.trace, &self.thread_names, in_gil, from, to)
    }
}

/// Simulates a (validated) scenario with a calibration.
///
/// ```
/// use execsim::{sim::calibration::Calibration, sim::run::{simulate, SimOptions}, sim::scenario::Scenario};
/// let s = Scenario::from_toml(r#"
///     duration = "1s"
///     [server]
///     executor = "thread"
///     [[clients]]
///     name = "simple"
///     n = 1
/// "#).unwrap();
/// let out = simulate(&s, &Calibration::default_embedded(), &SimOptions::default());
/// assert!(out.result.client("simple").unwrap().completed > 1000);
/// ```
pub fn simulate(scenario: &Scenario, cal: &Calibration, opts: &SimOptions) -> SimOutput {
    let mut sim = build(scenario, cal, opts);
    let horizon = sim.model.horizon();
    let max_events = opts.max_events.unwrap_or(u64::MAX);
    // The run stops once at the start of its last phase for a snapshot of the GIL figures
    // (reading only: stopping there changes nothing, the same events run in the same order).
    let phase_start = SimTime::ZERO + SimDuration::from_secs(last_phase_second(scenario));
    if !opts.check {
        let mut stop = sim.run_until_limited(phase_start.min(horizon), max_events);
        let snapshot = GilSnapshot::take(&sim.model, sim.queue.now());
        if stop != StopReason::EventLimit {
            let left = max_events.saturating_sub(sim.queue.processed());
            stop = sim.run_until_limited(horizon, left);
        }
        return collect(scenario, sim, stop == StopReason::EventLimit, &snapshot);
    }
    let mut checker = Checker::new(opts.check_config.clone().unwrap_or_default());
    // The invariants are checked once before the first event, after every event, and at the
    // horizon (judging the last stretch, from the last event to the end, too).
    let mut observe =
        |world: &World, q: &EventQueue<_>| match checker.observe(world, q.now(), q.peek_time()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(v) => ControlFlow::Break(v),
        };
    let mut flow = sim.run_until_observed(phase_start.min(horizon), max_events, &mut observe);
    let snapshot = GilSnapshot::take(&sim.model, sim.queue.now());
    if matches!(
        flow,
        ControlFlow::Continue(StopReason::Horizon | StopReason::Exhausted)
    ) {
        let left = max_events.saturating_sub(sim.queue.processed());
        flow = sim.run_until_observed(horizon, left, &mut observe);
    }
    let (truncated, violation) = match flow {
        ControlFlow::Continue(stop) => (stop == StopReason::EventLimit, None),
        ControlFlow::Break(v) => (false, Some(v)),
    };
    let mut out = collect(scenario, sim, truncated, &snapshot);
    out.violation = violation;
    out.check_stats = Some(checker.stats());
    out
}

/// The whole second at which a scenario's last phase starts (see [`GilPhase`]).
pub fn last_phase_second(s: &Scenario) -> u64 {
    GilPhase::start_second(
        s.clients.iter().map(|c| c.start.as_secs_f64()),
        s.duration.as_secs_f64(),
    )
}

/// Simulates like [`simulate`] with default options (the same results, bit for bit) and
/// calls `sample(t, world)` at t = 0, `every`, 2 × `every`, ... up to the horizon, after
/// every event due at or before t: for observers that read the state at fixed instants,
/// such as which thread runs on each core.
pub fn simulate_sampled(
    scenario: &Scenario,
    cal: &Calibration,
    every: crate::kernel::SimDuration,
    mut sample: impl FnMut(SimTime, &World),
) -> SimOutput {
    let mut sim = build(scenario, cal, &SimOptions::default());
    let horizon = sim.model.horizon();
    let phase_start = SimTime::ZERO + SimDuration::from_secs(last_phase_second(scenario));
    let mut snapshot = None;
    let mut t = SimTime::ZERO;
    loop {
        if snapshot.is_none() && phase_start <= t {
            sim.run_until(phase_start.min(horizon));
            snapshot = Some(GilSnapshot::take(&sim.model, sim.queue.now()));
        }
        sim.run_until(t);
        sample(t, &sim.model);
        if t >= horizon {
            break;
        }
        t = (t + every.max(crate::kernel::SimDuration(1))).min(horizon);
    }
    let snapshot = snapshot.unwrap_or_else(|| GilSnapshot::take(&sim.model, sim.queue.now()));
    collect(scenario, sim, false, &snapshot)
}

/// The layers of a scenario's run, ready at time zero: machine, runtime, service.
fn build(scenario: &Scenario, cal: &Calibration, opts: &SimOptions) -> Simulation<World> {
    // Another CPython build than the calibration's own runs at its own speed.
    let cal = cal.for_version(scenario.modelled_version());
    let cal = cal.as_ref();
    // A scenario's overrides win over the calibration's fitted costs, which win over defaults.
    let machine_costs = scenario.costs.machine.or(cal.machine).unwrap_or_default();
    let interp_costs = scenario.costs.interp.unwrap_or_default();
    // A scenario's `[costs.service]` is taken as it is, for the Rust server too (every key).
    let service_costs = scenario.costs.service.unwrap_or_else(|| {
        let kernel_and_python = cal.service.unwrap_or_default();
        match scenario.server.language {
            ServerLanguage::Python => kernel_and_python,
            // The same system calls, the Rust server's code between them.
            ServerLanguage::Rust => {
                kernel_and_python.for_rust_server(&cal.rust_server.unwrap_or_default())
            }
        }
    });
    let streams = crate::kernel::RngStreams::new(scenario.seed);
    let machine = Machine::with_scheduler(
        scenario.machine.cores,
        machine_costs,
        scenario.machine.scheduler,
        streams.stream("machine/wake-jitter"),
    );
    let mut rt = Runtime::new(machine, interp_costs, streams.stream("interp/timer-jitter"));
    if opts.trace {
        rt.enable_trace();
    }
    let cost_model = CostModel::new(cal.core(scenario.python.runtime));
    let mut queue = EventQueue::with_capacity(256);
    queue.discard_after(SimTime::ZERO + scenario.duration);
    let spec = scenario.service_spec();
    let mut world = World::new(spec, rt, service_costs, cost_model, &mut queue);
    if opts.check {
        world.enable_checks();
    }
    Simulation {
        model: world,
        queue,
    }
}

/// The results of a finished run of `s`; `phase_start` is the snapshot taken at the start of
/// its last phase.
fn collect(
    s: &Scenario,
    sim: Simulation<World>,
    truncated: bool,
    phase_start: &GilSnapshot,
) -> SimOutput {
    let w = &sim.model;
    let now = sim.queue.now();
    let rt = &w.rt;
    let dur = now.as_nanos().max(1) as f64;
    let core_utilisation = (0..rt.machine.cores() as u16)
        .map(|c| rt.machine.core_busy(CoreId(c)).as_nanos() as f64 / dur)
        .collect();
    let has_gil = s.python.gil == crate::interp::GilKind::Cpython;
    let end = GilSnapshot::take(w, now);
    let clients = client_results(s, w);
    let last_phase = GilPhase::new(
        last_phase_second(s),
        s.duration.as_secs_f64(),
        end.results(w, has_gil, Some(phase_start)),
        &clients,
    );
    let result = RunResult {
        scenario: s.label().to_string(),
        source: "sim".into(),
        seed: s.seed,
        duration_s: s.duration.as_secs_f64(),
        trace_hash: format!("{:016x}", sim.queue.trace_hash()),
        events: sim.queue.processed(),
        clients,
        threads: thread_results(w, now),
        gil: end.results(w, has_gil, None),
        core_utilisation,
        gil_last_phase: Some(last_phase),
    };
    SimOutput {
        result,
        trace: rt.trace().to_vec(),
        thread_names: (0..w.thread_count() as u32)
            .map(|i| w.thread_name(ThreadId(i)).to_string())
            .collect(),
        truncated,
        violation: None,
        check_stats: None,
    }
}

/// Per client: counts, per-second completions and latencies.
fn client_results(s: &Scenario, w: &World) -> Vec<ClientResult> {
    w.client_reports()
        .map(|(name, group, issued, completed, per_second, h)| {
            let cs = &s.clients[group];
            ClientResult {
                name: name.to_string(),
                n: cs
                    .n
                    .or_else(|| cs.mix.as_ref().and_then(|m| m[0].n))
                    .unwrap_or(0),
                request: cs
                    .request
                    .clone()
                    .or_else(|| cs.mix.as_ref().and_then(|m| m[0].request.clone())),
                start_s: cs.start.as_secs_f64(),
                issued,
                completed,
                in_flight: issued - completed,
                per_second: per_second.to_vec(),
                latency_us: LatencyUs::from_histogram(h),
                latency_distribution: crate::sim::results::latency_distribution(h),
            }
        })
        .collect()
}

/// Per thread: interpreter, CPU time, GIL hold time, last core.
fn thread_results(w: &World, now: SimTime) -> Vec<ThreadResult> {
    let rt = &w.rt;
    (0..w.thread_count() as u32)
        .map(|i| {
            let t = ThreadId(i);
            ThreadResult {
                name: w.thread_name(t).to_string(),
                interp: rt.interp_of(t).0,
                cpu_s: rt.machine.cpu_time(t).as_secs_f64(),
                queued_s: rt.machine.run_delay(t, now).as_secs_f64(),
                gil_hold_s: rt.gil_hold_time(t, now).as_secs_f64(),
                last_core: rt.machine.prev_core(t).map(|c| c.0),
            }
        })
        .collect()
}
