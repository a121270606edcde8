//! Busy time per thread and CPU in fixed intervals, for [`super::regime`]: from a live run's
//! thread samples, and from a simulation sampled at fine steps of virtual time.

use super::regime::{Busy, Interval};
use crate::kernel::{SimDuration, SimTime};
use crate::live::thread_sampler::ThreadSamples;
use crate::machine::CoreId;
use crate::sim::calibration::Calibration;
use crate::sim::run::{simulate_sampled, SimOutput};
use crate::sim::scenario::Scenario;
use std::collections::BTreeMap;

/// The interval length of the regimes: the live sampling period.
pub const INTERVAL_NS: u64 = 50_000_000;

/// The simulation's snapshot step: 1,000 snapshots per interval.
pub const SIM_STEP_NS: u64 = 50_000;

/// A live task's key: pid and tid.
pub fn task_key(pid: u32, tid: u32) -> u64 {
    (pid as u64) << 32 | tid as u64
}

/// The intervals between consecutive live samples: each thread's run-time growth, counted on
/// the CPU it was last seen on at the interval's end (`/proc`'s `processor`).
pub fn live_intervals(s: &ThreadSamples) -> Vec<Interval> {
    s.samples
        .windows(2)
        .map(|w| {
            let before: BTreeMap<u64, u64> = w[0]
                .tasks
                .iter()
                .map(|t| (task_key(t.pid, t.tid), t.run_ns))
                .collect();
            let busy = w[1]
                .tasks
                .iter()
                .filter_map(|t| {
                    let was = *before.get(&task_key(t.pid, t.tid))?;
                    let ns = t.run_ns.saturating_sub(was);
                    (ns > 0).then_some(Busy {
                        task: task_key(t.pid, t.tid),
                        cpu: t.cpu,
                        ns,
                    })
                })
                .collect();
            Interval {
                from_ns: w[0].t_ns,
                to_ns: w[1].t_ns,
                busy,
            }
        })
        .collect()
}

/// The name of a live task: the run's name for it, or `pid/tid`.
pub fn live_name(s: &ThreadSamples, key: u64) -> String {
    let (pid, tid) = ((key >> 32) as u32, key as u32);
    s.name_of(pid, tid)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{pid}/{tid}"))
}

/// A simulation of `s` and its intervals: every [`SIM_STEP_NS`] the thread running on each
/// core counts as busy there for that step; steps are summed per [`INTERVAL_NS`]. Also the
/// simulation's thread names, indexed by the task key (the thread id).
pub fn sim_with_intervals(s: &Scenario, cal: &Calibration) -> (SimOutput, Vec<Interval>) {
    let per_interval = INTERVAL_NS / SIM_STEP_NS;
    let mut intervals: Vec<Interval> = Vec::new();
    let mut current: BTreeMap<(u64, u16), u64> = BTreeMap::new();
    let mut steps = 0u64;
    let out = simulate_sampled(s, cal, SimDuration(SIM_STEP_NS), |t: SimTime, w| {
        if t == SimTime::ZERO {
            return;
        }
        let m = &w.rt.machine;
        for c in 0..m.cores() as u16 {
            if let Some(th) = m.running_on(CoreId(c)) {
                *current.entry((th.0 as u64, c)).or_default() += SIM_STEP_NS;
            }
        }
        steps += 1;
        if steps == per_interval {
            let k = intervals.len() as i64;
            intervals.push(Interval {
                from_ns: k * INTERVAL_NS as i64,
                to_ns: (k + 1) * INTERVAL_NS as i64,
                busy: std::mem::take(&mut current)
                    .into_iter()
                    .map(|((task, cpu), ns)| Busy { task, cpu, ns })
                    .collect(),
            });
            steps = 0;
        }
    });
    (out, intervals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::procfs::TaskSample;
    use crate::live::thread_sampler::Sample;

    #[test]
    fn live_deltas_on_the_last_cpu() {
        let t = |tid, cpu, run_ns| TaskSample {
            pid: 7,
            tid,
            cpu,
            run_ns,
        };
        let s = ThreadSamples {
            every_ns: 50,
            samples: vec![
                Sample {
                    t_ns: 0,
                    tasks: vec![t(1, 0, 100), t(2, 1, 5)],
                },
                Sample {
                    t_ns: 50,
                    tasks: vec![t(1, 1, 130), t(2, 1, 5), t(3, 0, 9)],
                },
            ],
            names: Vec::new(),
        };
        let iv = live_intervals(&s);
        assert_eq!(iv.len(), 1);
        assert_eq!(
            iv[0].busy,
            [Busy {
                task: task_key(7, 1),
                cpu: 1,
                ns: 30
            }]
        );
        assert_eq!(live_name(&s, task_key(7, 2)), "7/2");
    }

    #[test]
    fn sampled_simulation_is_the_simulation() {
        let s = crate::sim::lesson::scenario(
            crate::sim::scenario::ExecutorKind::Thread,
            SimDuration::from_millis(5),
            crate::sim::lesson::Placement::Convoy,
        );
        let cal = Calibration::default_embedded();
        let plain = crate::sim::run::simulate(&s, &cal, &Default::default()).result;
        let (out, iv) = sim_with_intervals(&s, &cal);
        assert_eq!(out.result, plain);
        assert_eq!(iv.len() as u64, s.duration.as_nanos() / INTERVAL_NS);
        // Each interval holds at most the cores' capacity.
        for i in &iv {
            let total: u64 = i.busy.iter().map(|b| b.ns).sum();
            assert!(total <= 2 * INTERVAL_NS);
        }
    }
}
