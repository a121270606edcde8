//! Busy time per thread and CPU in fixed intervals, for [`super::regime`], and each thread's
//! run-queue waits in them, for [`super::thread_time`]: from a live run's thread samples, and
//! from a simulation sampled at fine steps of virtual time.

use super::regime::{Busy, Interval, Queued};
use crate::kernel::{SimDuration, SimTime};
use crate::live::thread_sampler::ThreadSamples;
use crate::machine::{CoreId, ThreadId};
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
/// the CPU it was last seen on at the interval's end (`/proc`'s `processor`), and its
/// run-queue wait growth (`run_delay`).
pub fn live_intervals(s: &ThreadSamples) -> Vec<Interval> {
    s.samples
        .windows(2)
        .map(|w| {
            let before: BTreeMap<u64, (u64, u64)> = w[0]
                .tasks
                .iter()
                .map(|t| (task_key(t.pid, t.tid), (t.run_ns, t.wait_ns)))
                .collect();
            let (mut busy, mut queued) = (Vec::new(), Vec::new());
            for t in &w[1].tasks {
                let task = task_key(t.pid, t.tid);
                let Some(&(run, wait)) = before.get(&task) else {
                    continue;
                };
                let ns = t.run_ns.saturating_sub(run);
                if ns > 0 {
                    busy.push(Busy {
                        task,
                        cpu: t.cpu,
                        ns,
                    });
                }
                let ns = t.wait_ns.saturating_sub(wait);
                if ns > 0 {
                    queued.push(Queued { task, ns });
                }
            }
            Interval {
                from_ns: w[0].t_ns,
                to_ns: w[1].t_ns,
                busy,
                queued,
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
/// core counts as busy there for that step; steps are summed per [`INTERVAL_NS`]. Run-queue
/// waits are exact: each thread's `run_delay` growth over the interval. Also the
/// simulation's thread names, indexed by the task key (the thread id).
pub fn sim_with_intervals(s: &Scenario, cal: &Calibration) -> (SimOutput, Vec<Interval>) {
    let per_interval = INTERVAL_NS / SIM_STEP_NS;
    let mut intervals: Vec<Interval> = Vec::new();
    let mut current: BTreeMap<(u64, u16), u64> = BTreeMap::new();
    let mut waited: Vec<u64> = Vec::new();
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
            let threads = w.thread_count();
            waited.resize(threads, 0);
            let queued = (0..threads)
                .filter_map(|i| {
                    let total = m.run_delay(ThreadId(i as u32), t).as_nanos();
                    let ns = total - std::mem::replace(&mut waited[i], total);
                    (ns > 0).then_some(Queued { task: i as u64, ns })
                })
                .collect();
            intervals.push(Interval {
                from_ns: k * INTERVAL_NS as i64,
                to_ns: (k + 1) * INTERVAL_NS as i64,
                busy: std::mem::take(&mut current)
                    .into_iter()
                    .map(|((task, cpu), ns)| Busy { task, cpu, ns })
                    .collect(),
                queued,
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
            wait_ns: run_ns / 10,
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
        assert_eq!(
            iv[0].queued,
            [Queued {
                task: task_key(7, 1),
                ns: 3
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
        // The intervals' run-queue waits add up to each thread's whole-run figure (the run
        // is a whole number of intervals long), and the convoy's threads do wait.
        for (i, th) in out.result.threads.iter().enumerate() {
            let summed: u64 = iv
                .iter()
                .flat_map(|x| &x.queued)
                .filter(|q| q.task == i as u64)
                .map(|q| q.ns)
                .sum();
            assert!(
                (summed as f64 * 1e-9 - th.queued_s).abs() < 1e-9,
                "{}",
                th.name
            );
        }
        assert!(out.result.threads.iter().any(|t| t.queued_s > 0.01));
    }
}
