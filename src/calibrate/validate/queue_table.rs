//! The run-queue table: per scenario, phase and thread, the share of the phase the thread
//! spent runnable but waiting for a CPU, simulated against the live median (and each one's
//! CPU share beside it). Rates say *that* the model is off; this says *where* the simulated
//! scheduler keeps a thread waiting longer or shorter than Linux did.
//!
//! A thread is listed when it waited at least [`SHOWN`] of the phase on either side; it
//! **agrees** when the two waits differ by at most [`AGREE_ABS`] of the phase or
//! [`AGREE_REL`] of the live wait.

use super::results::ValidationResults;
use super::thread_time::{PhaseThreads, ThreadTime};
use crate::live::stats::{median, min_max};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Waits under this share of the phase on both sides are left out of the table.
pub const SHOWN: f64 = 0.02;

/// Two waits within this share of the phase agree.
pub const AGREE_ABS: f64 = 0.02;

/// Two waits within this fraction of the live one agree.
pub const AGREE_REL: f64 = 0.25;

/// One thread in one phase of one scenario, simulated against live.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueRow {
    /// The scenario's id.
    pub scenario: String,
    /// The phase's label.
    pub phase: String,
    /// The thread (pool workers by rank: `worker#1` ran most).
    pub thread: String,
    /// Simulated share of the phase waiting in a run queue.
    pub sim_queued: f64,
    /// Live median share, and the smallest and largest of the repetitions.
    pub live_queued: (f64, f64, f64),
    /// Simulated share of the phase on a CPU.
    pub sim_cpu: f64,
    /// Live median share on a CPU.
    pub live_cpu: f64,
}

impl QueueRow {
    /// Whether the simulated wait agrees with the live median (see the module doc).
    pub fn agrees(&self) -> bool {
        let (live, sim) = (self.live_queued.0, self.sim_queued);
        (sim - live).abs() <= AGREE_ABS.max(AGREE_REL * live)
    }

    /// Whether the row is shown: a wait of at least [`SHOWN`] on either side.
    pub fn shown(&self) -> bool {
        self.sim_queued.max(self.live_queued.0) >= SHOWN
    }
}

/// Every thread of every phase whose live repetitions measured the threads' times.
pub fn queue_rows(results: &ValidationResults) -> Vec<QueueRow> {
    let mut rows = Vec::new();
    for s in &results.scenarios {
        for sim in &s.sim.threads {
            let live_named: Vec<PhaseThreads> = s
                .live
                .iter()
                .filter_map(|l| l.values.threads_in(&sim.phase))
                .map(|p| with_sim_connection_names(p, sim))
                .collect();
            let live: Vec<&PhaseThreads> = live_named.iter().collect();
            if live.is_empty() {
                continue;
            }
            let names: BTreeSet<&str> = sim
                .threads
                .iter()
                .chain(live.iter().flat_map(|p| &p.threads))
                .map(|t| t.thread.as_str())
                .collect();
            for name in names {
                let of =
                    |p: &PhaseThreads, f: fn(&ThreadTime) -> f64| p.thread(name).map_or(0.0, f);
                let queued: Vec<f64> = live.iter().map(|p| of(p, |t| t.queued)).collect();
                let cpu: Vec<f64> = live.iter().map(|p| of(p, |t| t.cpu)).collect();
                let (lo, hi) = min_max(&queued);
                rows.push(QueueRow {
                    scenario: s.id.clone(),
                    phase: sim.phase.clone(),
                    thread: name.to_string(),
                    sim_queued: of(sim, |t| t.queued),
                    live_queued: (median(&queued), lo, hi),
                    sim_cpu: of(sim, |t| t.cpu),
                    live_cpu: median(&cpu),
                });
            }
        }
    }
    rows
}

/// `live` with its connection threads (the thread-per-connection server's, `conn-K` in the
/// order the live server accepted them) under the simulation's names for them (`conn:` and
/// the client's name), matched by CPU time within the phase: the busiest live one takes the
/// busiest simulated one's name, and so on (the CPU-bound connections are alike; the light
/// one is the least busy on both sides). Live ones left over keep their names.
fn with_sim_connection_names(live: &PhaseThreads, sim: &PhaseThreads) -> PhaseThreads {
    // A phase's connection threads (names starting with `prefix`), busiest first.
    let conns = |p: &'_ PhaseThreads, prefix: &str| {
        let mut v: Vec<ThreadTime> = p
            .threads
            .iter()
            .filter(|t| t.thread.starts_with(prefix))
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            b.cpu
                .total_cmp(&a.cpu)
                .then_with(|| a.thread.cmp(&b.thread))
        });
        v
    };
    let (sim_conns, live_conns) = (conns(sim, "conn:"), conns(live, "conn-"));
    let renamed: Vec<(String, String)> = live_conns
        .iter()
        .zip(&sim_conns)
        .map(|(l, s)| (l.thread.clone(), s.thread.clone()))
        .collect();
    let mut out = live.clone();
    for t in &mut out.threads {
        if let Some((_, to)) = renamed.iter().find(|(from, _)| *from == t.thread) {
            t.thread = to.clone();
        }
    }
    out
}

/// The table of the rows shown, then how many agree.
pub fn queue_table(rows: &[QueueRow]) -> String {
    let mut out = String::new();
    let shown: Vec<&QueueRow> = rows.iter().filter(|r| r.shown()).collect();
    if shown.is_empty() {
        let _ = writeln!(
            out,
            "run-queue waits: no live figures on file (measured by live runs of this version on)"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "\nrun-queue waits (share of the phase runnable, waiting for a CPU; CPU share beside)"
    );
    let _ = writeln!(
        out,
        "{:<26} {:<14} {:<16} {:>7} {:>7} {:>13} {:>7} {:>7}",
        "scenario", "phase", "thread", "sim", "live", "live min..max", "sim cpu", "live cpu"
    );
    for r in &shown {
        let (live, lo, hi) = r.live_queued;
        let _ = writeln!(
            out,
            "{:<26} {:<14} {:<16} {:>7.3} {:>7.3} {:>13} {:>7.3} {:>7.3} {}",
            r.scenario,
            r.phase,
            r.thread,
            r.sim_queued,
            live,
            format!("{lo:.3}..{hi:.3}"),
            r.sim_cpu,
            r.live_cpu,
            if r.agrees() { "" } else { "!" }
        );
    }
    let agree = shown.iter().filter(|r| r.agrees()).count();
    let _ = writeln!(
        out,
        "run-queue waits within {:.0} points of the phase or {:.0}% of live: {agree} of {} (! = not)",
        AGREE_ABS * 100.0,
        AGREE_REL * 100.0,
        shown.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sim: f64, live: f64) -> QueueRow {
        QueueRow {
            scenario: "s".into(),
            phase: "during long".into(),
            thread: "worker#1".into(),
            sim_queued: sim,
            live_queued: (live, live, live),
            sim_cpu: 0.5,
            live_cpu: 0.5,
        }
    }

    #[test]
    fn agreement_is_two_points_or_a_quarter_of_live() {
        assert!(row(0.03, 0.01).agrees()); // 2 points
        assert!(!row(0.04, 0.01).agrees());
        assert!(row(0.44, 0.36).agrees()); // 8 points, within a quarter of 0.36
        assert!(!row(0.20, 0.36).agrees());
        assert!(!row(0.01, 0.015).shown());
        assert!(row(0.0, 0.02).shown());
    }

    #[test]
    fn live_connections_take_the_simulated_names_by_cpu_rank() {
        let t = |name: &str, cpu: f64| ThreadTime {
            thread: name.into(),
            cpu,
            queued: 0.01,
        };
        let phase = |threads| PhaseThreads {
            phase: "during cpu".into(),
            threads,
        };
        let sim = phase(vec![
            t("conn:simple", 0.01),
            t("conn:cpu-0", 0.48),
            t("conn:cpu-1", 0.50),
            t("event-loop", 0.2),
        ]);
        let live = phase(vec![
            t("conn-0", 0.007),
            t("conn-1", 0.45),
            t("conn-2", 0.47),
            t("client:simple", 0.01),
        ]);
        let named = with_sim_connection_names(&live, &sim);
        let names: Vec<&str> = named.threads.iter().map(|t| t.thread.as_str()).collect();
        assert_eq!(
            names,
            ["conn:simple", "conn:cpu-0", "conn:cpu-1", "client:simple"]
        );
    }

    #[test]
    fn table_lists_the_waiting_threads_and_counts_agreement() {
        let t = queue_table(&[row(0.0, 0.3), row(0.30, 0.31), row(0.001, 0.002)]);
        assert_eq!(t.lines().filter(|l| l.starts_with("s ")).count(), 2);
        assert!(t.contains("within 2 points of the phase or 25% of live: 1 of 2"));
        assert!(queue_table(&[]).contains("no live figures on file"));
    }
}
