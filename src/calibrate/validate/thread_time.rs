//! Where each thread's time went in a phase of a run, as Linux accounts it: on a CPU, or
//! runnable in a run queue waiting for one (`run_delay`). Measured the same way for a live run
//! (from `/proc/PID/task/TID/schedstat`, sampled) and for a simulation (the machine's own
//! accounting), so the scheduler's decisions are compared directly, not only through the
//! rates they produce: a thread the simulated scheduler keeps waiting much longer or shorter
//! than Linux does names the mechanism that is off.

use super::regime::{round4, Interval};
use crate::live::compare::Phase;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name a pool worker is compared under. Pool workers are numbered in the order they
/// started, which need not be the same live and simulated (the long request can go to the
/// first worker or to the second), and how many light workers a thread pool starts is a race:
/// CPython starts one more whenever a submit finds no worker has released the idle semaphore
/// yet, which live happens after any hiccup (a slow self-pipe write, a preemption), and from
/// then on the workers take turns (the queue wakes the longest waiter). So within a phase the
/// busiest worker is `worker#1` (`process#1` for a process pool: live `worker-process-N`,
/// simulated `process-N`) and the others count together as `worker#2+` (`process#2+`), their
/// times summed by [`phase_threads`]. Other names are kept.
fn ranked_names(threads: &mut [ThreadTime]) {
    for kind in ["worker", "process"] {
        let is_kind = |name: &str| {
            let name = name
                .strip_prefix("worker-")
                .filter(|_| kind == "process")
                .unwrap_or(name);
            name.strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let mut pool: Vec<&mut ThreadTime> =
            threads.iter_mut().filter(|t| is_kind(&t.thread)).collect();
        // Most CPU first; ties by the original name, for a stable order.
        pool.sort_by(|a, b| {
            b.cpu
                .total_cmp(&a.cpu)
                .then_with(|| a.thread.cmp(&b.thread))
        });
        for (rank, t) in pool.into_iter().enumerate() {
            t.thread = if rank == 0 {
                format!("{kind}#1")
            } else {
                format!("{kind}#2+")
            };
        }
    }
}

/// One thread's time in a phase, as shares of the phase's length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadTime {
    /// The thread's name (`event-loop`, `worker-1`, `client:simple`...).
    pub thread: String,
    /// Time on a CPU over the phase's length.
    pub cpu: f64,
    /// Time runnable in a run queue, waiting for a CPU, over the phase's length.
    pub queued: f64,
}

/// The threads' times in one phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseThreads {
    /// The phase's label (`before long`, `during long`, `whole run`).
    pub phase: String,
    /// Each thread that ran or waited in the phase, by name.
    pub threads: Vec<ThreadTime>,
}

impl PhaseThreads {
    /// The times of thread `name`, if it ran or waited in the phase.
    pub fn thread(&self, name: &str) -> Option<&ThreadTime> {
        self.threads.iter().find(|t| t.thread == name)
    }
}

/// The threads' times in each phase of `phases`, from the `intervals` that lie within it;
/// `name` names a task. Pool workers are named by rank (`ranked_names`), those of one name
/// summed; threads are listed by name; shares have four decimals (what is stored is what is
/// compared).
pub fn phase_threads(
    phases: &[Phase],
    intervals: &[Interval],
    name: impl Fn(u64) -> String,
) -> Vec<PhaseThreads> {
    phases
        .iter()
        .map(|p| {
            let (from, to) = (
                p.from_s as i64 * 1_000_000_000,
                p.to_s as i64 * 1_000_000_000,
            );
            let inside: Vec<&Interval> = intervals
                .iter()
                .filter(|i| i.from_ns >= from && i.to_ns <= to)
                .collect();
            let span: i64 = inside.iter().map(|i| i.to_ns - i.from_ns).sum();
            let mut times: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for i in &inside {
                for b in &i.busy {
                    times.entry(name(b.task)).or_default().0 += b.ns;
                }
                for q in &i.queued {
                    times.entry(name(q.task)).or_default().1 += q.ns;
                }
            }
            let share = |ns: u64| ns as f64 / span.max(1) as f64;
            let mut threads: Vec<ThreadTime> = times
                .into_iter()
                .map(|(thread, (cpu, queued))| ThreadTime {
                    thread,
                    cpu: share(cpu),
                    queued: share(queued),
                })
                .collect();
            ranked_names(&mut threads);
            let mut merged: BTreeMap<String, (f64, f64)> = BTreeMap::new();
            for t in threads {
                let m = merged.entry(t.thread).or_default();
                m.0 += t.cpu;
                m.1 += t.queued;
            }
            PhaseThreads {
                phase: p.label.clone(),
                threads: merged
                    .into_iter()
                    .map(|(thread, (cpu, queued))| ThreadTime {
                        thread,
                        cpu: round4(cpu),
                        queued: round4(queued),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::validate::regime::{Busy, Queued};

    #[test]
    fn shares_of_the_phase_per_thread_name() {
        let ms = 1_000_000i64;
        let iv = |k: i64, busy: u64, queued: u64| Interval {
            from_ns: k * 500 * ms,
            to_ns: (k + 1) * 500 * ms,
            busy: vec![Busy {
                task: 1,
                cpu: 0,
                ns: busy,
            }],
            queued: vec![Queued {
                task: 2,
                ns: queued,
            }],
        };
        // Seconds 0..2 in four intervals; the phase is [1, 2): the last two.
        let intervals = [
            iv(0, 1, 1),
            iv(1, 1, 1),
            iv(2, 250 * ms as u64, 100 * ms as u64),
            iv(3, 500 * ms as u64, 0),
        ];
        let phase = Phase {
            label: "during long".into(),
            from_s: 1,
            to_s: 2,
        };
        let got = phase_threads(&[phase], &intervals, |k| format!("t{k}"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].phase, "during long");
        assert_eq!(
            got[0].thread("t1"),
            Some(&ThreadTime {
                thread: "t1".into(),
                cpu: 0.75,
                queued: 0.0
            })
        );
        assert_eq!(got[0].thread("t2").map(|t| t.queued), Some(0.1));
    }

    #[test]
    fn light_pool_workers_count_together() {
        let ms = 1_000_000u64;
        let busy = |task, ns| Busy { task, cpu: 1, ns };
        let intervals = [Interval {
            from_ns: 0,
            to_ns: 1_000 * ms as i64,
            busy: vec![busy(1, 900 * ms), busy(2, 20 * ms), busy(3, 30 * ms)],
            queued: vec![
                Queued {
                    task: 2,
                    ns: 100 * ms,
                },
                Queued {
                    task: 3,
                    ns: 50 * ms,
                },
            ],
        }];
        let phase = Phase {
            label: "whole run".into(),
            from_s: 0,
            to_s: 1,
        };
        let got = phase_threads(&[phase], &intervals, |k| format!("worker-{k}"));
        let light = got[0].thread("worker#2+").unwrap();
        assert_eq!((light.cpu, light.queued), (0.05, 0.15));
        assert_eq!(got[0].thread("worker#1").map(|t| t.cpu), Some(0.9));
        assert_eq!(got[0].threads.len(), 2);
    }

    #[test]
    fn pool_workers_are_ranked_by_cpu_time() {
        let t = |name: &str, cpu| ThreadTime {
            thread: name.into(),
            cpu,
            queued: 0.0,
        };
        let mut live = vec![
            t("worker-0", 0.9),
            t("worker-1", 0.05),
            t("worker-2", 0.07),
            t("worker-process-1", 0.8),
            t("worker-process-0", 0.1),
            t("event-loop", 0.3),
            t("worker-x", 0.2),
        ];
        ranked_names(&mut live);
        let names: Vec<&str> = live.iter().map(|t| t.thread.as_str()).collect();
        assert_eq!(
            names,
            [
                "worker#1",
                "worker#2+",
                "worker#2+",
                "process#1",
                "process#2+",
                "event-loop",
                "worker-x"
            ]
        );
        let mut sim = vec![t("process-0", 0.1), t("process-1", 0.8)];
        ranked_names(&mut sim);
        assert_eq!(
            (sim[0].thread.as_str(), sim[1].thread.as_str()),
            ("process#2+", "process#1")
        );
    }
}
