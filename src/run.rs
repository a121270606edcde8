//! Running a scenario in simulation: build the layers, run to the horizon, collect results.

use crate::calibration::Calibration;
use crate::cost::CostModel;
use crate::interp::{Runtime, TraceRecord};
use crate::kernel::{EventQueue, Simulation, StopReason};
use crate::machine::{CoreId, Machine, ThreadId};
use crate::results::{ClientResult, GilResult, LatencyUs, RunResult, ThreadResult};
use crate::scenario::Scenario;
use crate::service::World;

/// Options of a simulated run beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// Record every thread's activity changes (for timelines and trace export).
    pub trace: bool,
    /// Stop after this many events (a guard for huge scenarios); None: no limit.
    pub max_events: Option<u64>,
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
}

/// Simulates a (validated) scenario with a calibration.
///
/// ```
/// use execsim::{calibration::Calibration, run::{simulate, SimOptions}, scenario::Scenario};
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
    let machine_costs = scenario.costs.machine.unwrap_or_default();
    let interp_costs = scenario.costs.interp.unwrap_or_default();
    let service_costs = scenario.costs.service.unwrap_or_default();
    let streams = crate::kernel::RngStreams::new(scenario.seed);
    let machine = Machine::new(
        scenario.machine.cores,
        machine_costs,
        streams.stream("machine/wake-jitter"),
    );
    let mut rt = Runtime::new(machine, interp_costs);
    if opts.trace {
        rt.enable_trace();
    }
    let cost_model = CostModel::new(cal.core(scenario.python.runtime));
    let mut queue = EventQueue::with_capacity(256);
    let world = World::new(scenario, rt, service_costs, cost_model, &mut queue);
    let horizon = world.horizon();
    let mut sim = Simulation {
        model: world,
        queue,
    };
    let stop = sim.run_until_limited(horizon, opts.max_events.unwrap_or(u64::MAX));
    collect(sim, stop == StopReason::EventLimit)
}

fn collect(sim: Simulation<World>, truncated: bool) -> SimOutput {
    let w = &sim.model;
    let s = w.scenario();
    let now = sim.queue.now();
    let clients = w
        .client_reports()
        .map(|(name, spec, issued, completed, per_second, h)| {
            let latency_us = if h.is_empty() {
                LatencyUs::default()
            } else {
                LatencyUs {
                    p50: h.value_at_quantile(0.5),
                    p90: h.value_at_quantile(0.9),
                    p99: h.value_at_quantile(0.99),
                    p999: h.value_at_quantile(0.999),
                    max: h.max(),
                    mean: h.mean(),
                }
            };
            let cs = &s.clients[spec];
            ClientResult {
                name: name.to_string(),
                n: cs
                    .n
                    .unwrap_or_else(|| cs.mix.as_ref().map(|m| m[0].n).unwrap_or(0)),
                start_s: cs.start.as_secs_f64(),
                issued,
                completed,
                in_flight: issued - completed,
                per_second: per_second.to_vec(),
                latency_us,
            }
        })
        .collect();
    let n_threads = w.thread_count();
    let rt = &w.rt;
    let threads = (0..n_threads as u32)
        .map(|i| {
            let t = ThreadId(i);
            ThreadResult {
                name: w.thread_name(t).to_string(),
                interp: rt.interp_of(t).0,
                cpu_s: rt.machine.cpu_time(t).as_secs_f64(),
                gil_hold_s: rt.gil_hold_time(t, now).as_secs_f64(),
                last_core: rt.machine.prev_core(t).map(|c| c.0),
            }
        })
        .collect();
    let gil = (0..rt.interpreters() as u16)
        .map(|i| {
            let st = rt.gil_stats(crate::interp::InterpId(i));
            GilResult {
                interp: i,
                has_gil: s.python.gil == crate::interp::GilKind::Cpython,
                handoffs: st.handoffs,
                drop_requests: st.drop_requests,
                acquisitions: st.acquisitions,
            }
        })
        .collect();
    let dur = now.as_nanos().max(1) as f64;
    let core_utilisation = (0..rt.machine.cores() as u16)
        .map(|c| rt.machine.core_busy(CoreId(c)).as_nanos() as f64 / dur)
        .collect();
    let result = RunResult {
        scenario: s.label().to_string(),
        source: "sim".into(),
        seed: s.seed,
        duration_s: s.duration.as_secs_f64(),
        trace_hash: format!("{:016x}", sim.queue.trace_hash()),
        events: sim.queue.processed(),
        clients,
        threads,
        gil,
        core_utilisation,
    };
    SimOutput {
        result,
        trace: rt.trace().to_vec(),
        thread_names: (0..n_threads as u32)
            .map(|i| w.thread_name(ThreadId(i)).to_string())
            .collect(),
        truncated,
    }
}
