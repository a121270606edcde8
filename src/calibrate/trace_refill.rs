//! The cache refills of `[machine]` ([`MachineCosts::halt_refill_work`],
//! [`MachineCosts::migration_refill`]) from traces of the same service on one vCPU and split
//! over two: measured, not fitted to any rate.
//!
//! The service's segment keys are traced with every thread on one vCPU, which never halts
//! and where an interpreter's objects never leave the core (`thread-one`, `process-one`,
//! `tpc-one` of [`crate::calibrate::trace_fit`]). The same segments traced split over two
//! vCPUs take longer, and the traces say by how much:
//!
//! - **After a halt.** In `process-split` the worker process runs on core 1 and everything of
//!   the main process (loop, client, manager, feeder) on core 0, which halts once per request
//!   while the worker computes; no interpreter's objects change core. The main process's
//!   segments together, over the same on one vCPU, are the slowdown after a halt
//!   (`halt_refill_slowdown`), and their sum on one vCPU is the work it was seen over
//!   (`halt_refill_work`): one request's work on that core.
//! - **After a migration.** In `thread-split` (loop on core 0; client and worker on core 1)
//!   and `tpc-split` (client on core 0, connection thread on core 1) each thread runs after a
//!   halt of its core and after another thread of the interpreter ran on the other core:
//!   4 such runs per request in `thread-split` (the client's, the worker's, the loop's for
//!   the request and for the result), 2 in `tpc-split` (the client's and the connection
//!   thread's). What their segments take beyond the one-vCPU sum times the halt slowdown,
//!   pooled over the 6 runs, is `migration_refill`.
//!
//! [`MachineCosts::halt_refill_work`]: crate::machine::MachineCosts::halt_refill_work
//! [`MachineCosts::migration_refill`]: crate::machine::MachineCosts::migration_refill

use crate::kernel::SimDuration;
use crate::machine::MachineCosts;
use crate::sim::calibration::TraceFitKey;

/// The main process's segments on core 0 in `process-split` (keys and totals of
/// [`crate::calibrate::trace_fit::trace_samples`]).
pub const PROCESS_MAIN: [&str; 15] = [
    "client_py",
    "client_after_send_py",
    "loop_iteration_py",
    "loop_read_py",
    "loop_submit_process_py",
    "loop_complete_py",
    "loop_self_pipe_py",
    "loop_drained_py",
    "loop_write_py",
    "loop_after_send_py",
    "manager_py",
    "manager_after_result_py",
    "manager_result_total",
    "manager_submit_total",
    "feeder_total",
];

/// The Python segments of one request in `thread-split`, and its runs after a migration.
pub const THREAD_RUNS: ([&str; 13], u32) = (
    [
        "client_py",
        "client_after_send_py",
        "loop_iteration_py",
        "loop_read_py",
        "loop_submit_thread_py",
        "loop_after_submit_py",
        "loop_complete_py",
        "loop_self_pipe_py",
        "loop_drained_py",
        "loop_write_py",
        "loop_after_send_py",
        "worker_after_wake_py",
        "worker_done_py",
    ],
    4,
);

/// The Python segments of one request in `tpc-split`, and its runs after a migration.
pub const TPC_RUNS: ([&str; 4], u32) = (
    [
        "client_py",
        "client_after_send_py",
        "conn_thread_py",
        "conn_after_send_py",
    ],
    2,
);

/// What the one-vCPU and split traces measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefillFit {
    /// `halt_refill_slowdown`.
    pub halt_slowdown: f64,
    /// `halt_refill_work`, ns.
    pub halt_work_ns: f64,
    /// `migration_refill`, ns.
    pub migration_ns: f64,
}

impl RefillFit {
    /// The fit from each key's median (ns) in a traced scenario (`median(scenario, key)`);
    /// None when a scenario or key is missing, or the split traces are not slower.
    pub fn of(median: impl Fn(&str, &str) -> Option<f64>) -> Option<RefillFit> {
        let sum = |run: &str, keys: &[&str]| -> Option<f64> {
            keys.iter().map(|k| median(run, k)).sum::<Option<f64>>()
        };
        let one = sum("process-one", &PROCESS_MAIN)?;
        let split = sum("process-split", &PROCESS_MAIN)?;
        let halt_slowdown = (split / one).max(1.0);
        let mut extra = 0.0;
        let mut runs = 0;
        for (keys, n, one_run, split_run) in [
            (
                &THREAD_RUNS.0[..],
                THREAD_RUNS.1,
                "thread-one",
                "thread-split",
            ),
            (&TPC_RUNS.0[..], TPC_RUNS.1, "tpc-one", "tpc-split"),
        ] {
            extra += sum(split_run, keys)? - halt_slowdown * sum(one_run, keys)?;
            runs += n;
        }
        Some(RefillFit {
            halt_slowdown,
            halt_work_ns: one,
            migration_ns: (extra / f64::from(runs)).max(0.0),
        })
    }

    /// The `[trace_fit]` records of the three keys as written in `m`; `samples(run)` is the
    /// number of segments a traced scenario showed.
    pub fn records(&self, m: &MachineCosts, samples: impl Fn(&str) -> u64) -> Vec<TraceFitKey> {
        let record = |key: &str, run: &str, segment: &str, value: f64, n: u64| TraceFitKey {
            key: key.to_string(),
            run: run.to_string(),
            segment: segment.to_string(),
            median_ns: value,
            launch_medians_ns: Vec::new(),
            samples: n,
            traced_per_test_ns: None,
            traced_service_probe_ns: None,
        };
        vec![
            record(
                "machine.halt_refill_slowdown",
                "process-split",
                "the main process's segments on core 0, split over one vCPU (process-one)",
                m.halt_refill_slowdown,
                samples("process-one") + samples("process-split"),
            ),
            record(
                "machine.halt_refill_work",
                "process-one",
                "the sum of the same segments on one vCPU",
                m.halt_refill_work.as_nanos() as f64,
                samples("process-one"),
            ),
            record(
                "machine.migration_refill",
                "thread-split, tpc-split",
                "their Python segments beyond the one-vCPU sum times the halt slowdown, per run \
                 of a thread after its interpreter ran on the other vCPU (4 per request, 2)",
                m.migration_refill.as_nanos() as f64,
                samples("thread-split") + samples("tpc-split"),
            ),
        ]
    }

    /// Writes the three keys into `m`.
    pub fn apply(&self, m: &mut MachineCosts) {
        m.halt_refill_slowdown = (self.halt_slowdown * 1000.0).round() / 1000.0;
        m.halt_refill_work = SimDuration::from_nanos(self.halt_work_ns.round() as u64);
        m.migration_refill = SimDuration::from_nanos(self.migration_ns.round() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_halt_slowdown_and_the_migration_extra_come_from_the_sums() {
        // Every main-process key 10 µs on one vCPU, 12.5 split: 1.25 over 150 µs. Thread
        // keys 5 µs on one vCPU (65 in all), split 65 * 1.25 + 4 * 7; tpc keys 1 µs, split
        // 4 * 1.25 + 2 * 7: the migration is 7 µs.
        let fit = RefillFit::of(|run, key| {
            Some(match run {
                "process-one" => 10_000.0,
                "process-split" => 12_500.0,
                "thread-one" => 5_000.0,
                "thread-split" => 5_000.0 * 1.25 + if key == "client_py" { 28_000.0 } else { 0.0 },
                "tpc-one" => 1_000.0,
                "tpc-split" => {
                    1_250.0
                        + if key == "conn_thread_py" {
                            14_000.0
                        } else {
                            0.0
                        }
                }
                _ => return None,
            })
        })
        .expect("all traced");
        assert!((fit.halt_slowdown - 1.25).abs() < 1e-12);
        assert_eq!(fit.halt_work_ns, 150_000.0);
        assert!((fit.migration_ns - 7_000.0).abs() < 1e-6);
        let mut m = MachineCosts::default();
        fit.apply(&mut m);
        assert_eq!(m.migration_refill, SimDuration::from_micros(7));
        assert_eq!(m.halt_refill_work, SimDuration::from_micros(150));
    }

    #[test]
    fn a_missing_trace_gives_no_fit() {
        assert_eq!(
            RefillFit::of(|run, _| (run != "tpc-split").then_some(1.0)),
            None
        );
    }
}
