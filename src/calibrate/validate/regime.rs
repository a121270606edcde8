//! Placement regimes: where the service's threads ran during a phase of a run, classified
//! the same way for a live run (from [`crate::live::thread_sampler`]'s samples) and for a
//! simulation (from which thread ran on each core, [`super::intervals`]).
//!
//! Unpinned, the OS decides where each thread runs, and a run can settle into one of a few
//! placements that give very different rates (on this 2-vCPU VM the process pool is bimodal:
//! the light requests' threads on one vCPU while the long request has the other, or spread
//! over both). A phase's regime is decided from its **busy time per thread and CPU**, in
//! intervals of the sampling period:
//! - **heavy** threads: in a phase opened by the start of k CPU-bound connections (the long
//!   client, k connections of a group), the k busiest threads of the phase, each if busy at
//!   least 5% of it (the long request's worker, an inline loop computing it, the connection
//!   threads); none in the first phase. Counting them instead of thresholding their share
//!   keeps the rule valid when other load takes part of their CPU (four CPU-bound threads
//!   under one GIL have a quarter of a CPU each, less on a busy machine);
//! - the others that ran are the **light path** (client, event loop, pool helpers, idle
//!   workers). `light` is its busy time over the phase's length; in each interval the CPU
//!   where it spent most of its time is its *majority* CPU; `together` is the share of its
//!   busy time spent on the majority CPU of the interval, `with_heavy` the share spent on a
//!   CPU where a heavy thread ran at least a tenth of the interval.
//!
//! The three shares are measured (and stored); the regime is a function of them
//! ([`Regime::of`]), so its thresholds can change without new live runs:
//!
//! | regime | rule |
//! |---|---|
//! | `idle` | `light` < 0.001: the light path hardly ran (nothing completes; lifelines only) |
//! | `spread` | `together` < 0.9: the light path's threads on different CPUs, waking each other across them (unpinned, or pinned apart: a pool worker on another CPU than the loop) |
//! | `shared` | `together` ≥ 0.9 and `with_heavy` ≥ 0.5: the light path on one CPU, where the heavy thread runs |
//! | `together` | otherwise: the light path on one CPU, the heavy thread (if any) on another |
//!
//! The 0.9 falls in the gap between what this VM's runs show: unpinned runs whose light path
//! stayed on one vCPU give 0.95–1.00, those where it moved between vCPUs 0.50–0.72, and pinned
//! runs with a pool worker apart from the loop 0.70–0.89.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Busy time of one thread on one CPU within an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    /// The thread (any key unique within the run).
    pub task: u64,
    /// The CPU.
    pub cpu: u16,
    /// Time on that CPU, ns.
    pub ns: u64,
}

/// Time one thread spent runnable in a run queue, waiting for a CPU, within an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The thread (the key of [`Busy::task`]).
    pub task: u64,
    /// Time waiting, ns.
    pub ns: u64,
}

/// One sampling interval of a run: who ran where, and who waited for a CPU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interval {
    /// Start, ns from the run's time 0.
    pub from_ns: i64,
    /// End, ns.
    pub to_ns: i64,
    /// Busy time per thread and CPU.
    pub busy: Vec<Busy>,
    /// Run-queue waits per thread (threads that did not wait are left out).
    pub queued: Vec<Queued>,
}

/// A placement regime (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    /// The light path hardly ran.
    Idle,
    /// The light path on one CPU, not the heavy thread's.
    Together,
    /// The light path on the heavy thread's CPU.
    Shared,
    /// The light path over several CPUs.
    Spread,
}

impl Regime {
    /// The regime of a phase from its shares (the module doc's table).
    pub fn of(light: f64, together: f64, with_heavy: f64) -> Regime {
        if light < 0.001 {
            Regime::Idle
        } else if together < 0.9 {
            Regime::Spread
        } else if with_heavy >= 0.5 {
            Regime::Shared
        } else {
            Regime::Together
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Regime::Idle => "idle",
            Regime::Together => "together",
            Regime::Shared => "shared",
            Regime::Spread => "spread",
        })
    }
}

/// The regime of one phase and the shares it was decided from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseRegime {
    /// The phase's label (`before long`, `during long`, `whole run`).
    pub phase: String,
    /// The regime ([`Regime::of`] the shares).
    pub regime: Regime,
    /// The light path's busy time over the phase's length.
    pub light: f64,
    /// Share of the light path's busy time on its majority CPU.
    pub together: f64,
    /// Share of the light path's busy time on a heavy thread's CPU.
    pub with_heavy: f64,
    /// The heavy threads' names.
    pub heavy: Vec<String>,
}

/// Classifies the intervals that lie within `[from_ns, to_ns)`, with `heavy` the number of
/// CPU-bound connections that opened the phase; `name` names a task.
pub fn classify(
    intervals: &[Interval],
    (from_ns, to_ns): (i64, i64),
    heavy: usize,
    phase: &str,
    name: impl Fn(u64) -> String,
) -> PhaseRegime {
    let inside: Vec<&Interval> = intervals
        .iter()
        .filter(|i| i.from_ns >= from_ns && i.to_ns <= to_ns && i.to_ns > i.from_ns)
        .collect();
    let length: i64 = inside.iter().map(|i| i.to_ns - i.from_ns).sum();
    let mut per_task: BTreeMap<u64, u64> = BTreeMap::new();
    for b in inside.iter().flat_map(|i| &i.busy) {
        *per_task.entry(b.task).or_default() += b.ns;
    }
    let mut busiest: Vec<(u64, u64)> = per_task.iter().map(|(&t, &ns)| (t, ns)).collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let heavy: Vec<u64> = busiest
        .iter()
        .take(heavy)
        .filter(|&&(_, ns)| length > 0 && ns as f64 >= 0.05 * length as f64)
        .map(|&(t, _)| t)
        .collect();
    let (mut total, mut majority, mut with_heavy) = (0u64, 0u64, 0u64);
    for i in &inside {
        let tenth = ((i.to_ns - i.from_ns) / 10) as u64;
        let mut heavy_cpu: BTreeMap<u16, u64> = BTreeMap::new();
        let mut light_cpu: BTreeMap<u16, u64> = BTreeMap::new();
        for b in &i.busy {
            let to = if heavy.contains(&b.task) {
                &mut heavy_cpu
            } else {
                &mut light_cpu
            };
            *to.entry(b.cpu).or_default() += b.ns;
        }
        total += light_cpu.values().sum::<u64>();
        majority += light_cpu.values().copied().max().unwrap_or(0);
        with_heavy += light_cpu
            .iter()
            .filter(|(c, _)| heavy_cpu.get(c).is_some_and(|&h| h >= tenth))
            .map(|(_, &ns)| ns)
            .sum::<u64>();
    }
    let share = |x: u64| {
        if total == 0 {
            0.0
        } else {
            x as f64 / total as f64
        }
    };
    let light = if length > 0 {
        round4(total as f64 / length as f64)
    } else {
        0.0
    };
    let (together, with_heavy) = (round4(share(majority)), round4(share(with_heavy)));
    PhaseRegime {
        phase: phase.to_string(),
        regime: Regime::of(light, together, with_heavy),
        light,
        together,
        with_heavy,
        heavy: heavy.into_iter().map(name).collect(),
    }
}

/// Four decimals: what is stored (and re-read) decides the regime the same way (and gives
/// the threads' shares of [`super::thread_time`]).
pub(super) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn iv(k: i64, busy: &[(u64, u16, u64)]) -> Interval {
        Interval {
            queued: Vec::new(),
            from_ns: k * 50 * MS,
            to_ns: (k + 1) * 50 * MS,
            busy: busy
                .iter()
                .map(|&(task, cpu, ms)| Busy {
                    task,
                    cpu,
                    ns: ms * 1_000_000,
                })
                .collect(),
        }
    }

    fn regime_of(busy: &[(u64, u16, u64)]) -> PhaseRegime {
        let ivs: Vec<Interval> = (0..10).map(|k| iv(k, busy)).collect();
        classify(&ivs, (0, 500 * MS), 1, "during long", |t| format!("t{t}"))
    }

    #[test]
    fn the_four_regimes() {
        // Task 9 is the long request (50 of 50 ms); 1 and 2 the light path.
        let together = regime_of(&[(9, 1, 50), (1, 0, 10), (2, 0, 10)]);
        assert_eq!(together.regime, Regime::Together);
        assert_eq!((together.together, together.with_heavy), (1.0, 0.0));
        assert_eq!((together.light, together.heavy.len()), (0.4, 1));
        assert_eq!(together.heavy, ["t9"]);
        let shared = regime_of(&[(9, 0, 30), (1, 0, 10), (2, 0, 10)]);
        assert_eq!(shared.regime, Regime::Shared);
        let spread = regime_of(&[(9, 1, 50), (1, 0, 10), (2, 1, 10)]);
        assert_eq!(spread.regime, Regime::Spread);
        assert_eq!(spread.together, 0.5);
        assert_eq!(spread.with_heavy, 0.5);
        assert_eq!(regime_of(&[(9, 1, 50)]).regime, Regime::Idle);
        // Outside the phase: not counted.
        let ivs = [iv(0, &[(1, 0, 10), (2, 1, 10)])];
        assert_eq!(
            classify(&ivs, (50 * MS, 100 * MS), 0, "x", |_| String::new()).regime,
            Regime::Idle
        );
        // No heavy thread in a first phase: a busy loop is the light path.
        let ivs: Vec<Interval> = (0..10).map(|k| iv(k, &[(1, 0, 40), (2, 0, 10)])).collect();
        let first = classify(&ivs, (0, 500 * MS), 0, "before long", |_| String::new());
        assert_eq!((first.regime, first.heavy.len()), (Regime::Together, 0));
        // Two CPU-bound connections sharing one GIL: both heavy, although each has half a
        // CPU; the light path is on one of their CPUs.
        let b = [(8, 0, 25), (9, 1, 25), (1, 0, 5)];
        let ivs: Vec<Interval> = (0..10).map(|k| iv(k, &b)).collect();
        let two = classify(&ivs, (0, 500 * MS), 2, "during cpu", |t| format!("t{t}"));
        assert_eq!((two.regime, two.heavy.len()), (Regime::Shared, 2));
    }

    #[test]
    fn thresholds() {
        assert_eq!(Regime::of(0.0009, 1.0, 0.0), Regime::Idle);
        assert_eq!(Regime::of(0.3, 0.89, 0.0), Regime::Spread);
        assert_eq!(Regime::of(0.3, 0.9, 0.49), Regime::Together);
        assert_eq!(Regime::of(0.3, 0.9, 0.5), Regime::Shared);
    }
}
