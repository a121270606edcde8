//! A live run's GIL trace, ready to report: per process (interpreter) the GIL statistics of
//! the whole run and of its last phase ([`super::counts`]), and every thread's activity and
//! calls on the run's clock (time 0 is the service's `t0_ns`), in the simulator's shapes
//! ([`GilResult`], [`TraceRecord`]) so that reports, Chrome traces and timelines read both
//! alike.

use super::activity::{thread_activity, CallSpan};
use super::counts::{gil_counts, GilCounts, ThreadGilTimes};
use super::names::ThreadNames;
use super::reader::{TraceFile, HEADER_SIZE};
use super::record::RECORD_SIZE;
use crate::interp::{ThreadActivity, TraceRecord};
use crate::kernel::SimTime;
use crate::machine::ThreadId;
use crate::sim::results::{GilPhase, GilResult, RunResult, ThreadHold};

/// One traced process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedProcess {
    /// Its pid.
    pub pid: u32,
    /// Its interpreter number in the run's results.
    pub interp: u16,
    /// `service`, `worker-process-K`...
    pub name: String,
    /// Records read.
    pub records: u64,
    /// Records lost because its file was full.
    pub dropped: u64,
    /// Bytes of its file that hold data (header and records written; the rest is sparse).
    pub bytes: u64,
}

/// One traced thread (its index in [`LiveGilTrace::threads`] is the [`ThreadId`] of its
/// activity records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedThread {
    /// Its name (as the service registered it, or `thread TID`).
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// Linux thread id.
    pub tid: u32,
    /// Interpreter number.
    pub interp: u16,
    /// Its GIL figures over the whole run.
    pub gil: ThreadGilTimes,
}

/// One call of a traced thread, on the run's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TracedCall {
    /// The thread (index in [`LiveGilTrace::threads`]).
    pub thread: ThreadId,
    /// The call.
    pub span: CallSpan,
    /// Its start, since the run's start (0 if it began before).
    pub from: SimTime,
    /// Its end, since the run's start (at most the run's end).
    pub to: SimTime,
}

/// A live run's GIL trace.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveGilTrace {
    /// The traced processes, by pid.
    pub processes: Vec<TracedProcess>,
    /// The traced threads, process by process.
    pub threads: Vec<TracedThread>,
    /// Activity changes on the run's clock, in time order (each thread's state at time 0
    /// first).
    pub activity: Vec<TraceRecord>,
    /// The calls inside the run.
    pub calls: Vec<TracedCall>,
    /// The run's end on its clock.
    pub end: SimTime,
    /// Per interpreter, the whole run.
    pub gil: Vec<GilResult>,
    /// Per interpreter, the last phase (from whole second `phase_from_s`).
    pub gil_last_phase: Vec<GilResult>,
    /// Start of the last phase, whole seconds.
    pub phase_from_s: u64,
}

/// A [`GilResult`] from one process's counts; thread names by tid.
fn gil_result(interp: u16, c: &GilCounts, threads: &[(u32, String)]) -> GilResult {
    let list = |f: fn(&ThreadGilTimes) -> u64| -> Vec<ThreadHold> {
        threads
            .iter()
            .map(|(tid, name)| ThreadHold {
                thread: name.clone(),
                seconds: c.threads.get(tid).map_or(0, f) as f64 * 1e-9,
            })
            .collect()
    };
    GilResult {
        interp,
        has_gil: true,
        handoffs: c.handoffs,
        drop_requests: c.drop_requests,
        acquisitions: c.acquisitions,
        timeouts: c.timeouts,
        hold_s: list(|t| t.hold_ns),
        wait_s: list(|t| t.wait_ns),
    }
}

/// The relative time of CLOCK_MONOTONIC `t_ns` on a run starting at `t0_ns`, clipped to
/// `[0, end]`.
fn on_run_clock(t_ns: u64, t0_ns: u64, end: SimTime) -> SimTime {
    SimTime(t_ns.saturating_sub(t0_ns).min(end.as_nanos()))
}

impl LiveGilTrace {
    /// Builds the trace of a run that started at CLOCK_MONOTONIC `t0_ns` and lasted
    /// `duration_ns`, whose last phase starts at whole second `phase_from_s`.
    pub fn build(
        files: &[TraceFile],
        names: &mut ThreadNames,
        t0_ns: u64,
        duration_ns: u64,
        phase_from_s: u64,
    ) -> LiveGilTrace {
        let end = SimTime(duration_ns);
        let (run_to, phase_from) = (t0_ns + duration_ns, t0_ns + phase_from_s * 1_000_000_000);
        let mut out = LiveGilTrace {
            processes: Vec::new(),
            threads: Vec::new(),
            activity: Vec::new(),
            calls: Vec::new(),
            end,
            gil: Vec::new(),
            gil_last_phase: Vec::new(),
            phase_from_s,
        };
        for f in files {
            let interp = names.interp_of(f.pid);
            let whole = gil_counts(&f.records, t0_ns, run_to);
            let last = gil_counts(&f.records, phase_from, run_to);
            let mut tids: Vec<u32> = whole.threads.keys().copied().collect();
            tids.sort_by_key(|&tid| names.sort_key(f.pid, tid));
            let named: Vec<(u32, String)> = tids
                .iter()
                .map(|&tid| (tid, names.thread_name(f.pid, tid)))
                .collect();
            out.gil.push(gil_result(interp, &whole, &named));
            out.gil_last_phase.push(gil_result(interp, &last, &named));
            out.processes.push(TracedProcess {
                pid: f.pid,
                interp,
                name: names.process_name(f.pid),
                records: f.records.len() as u64,
                dropped: f.dropped(),
                bytes: (HEADER_SIZE + f.claimed.min(f.capacity) as usize * RECORD_SIZE) as u64,
            });
            out.add_activity(f, interp, &named, t0_ns, &whole);
        }
        out.activity.sort_by_key(|r| r.time);
        out.gil.sort_by_key(|g| g.interp);
        out.gil_last_phase.sort_by_key(|g| g.interp);
        out
    }

    /// Adds one process's threads, their activity and calls, on the run's clock.
    fn add_activity(
        &mut self,
        f: &TraceFile,
        interp: u16,
        named: &[(u32, String)],
        t0_ns: u64,
        whole: &GilCounts,
    ) {
        let mut acts = thread_activity(&f.records);
        let end_ns = t0_ns + self.end.as_nanos();
        for (tid, name) in named {
            let Some(tr) = acts.remove(tid) else {
                continue;
            };
            let id = ThreadId(self.threads.len() as u32);
            self.threads.push(TracedThread {
                name: name.clone(),
                pid: f.pid,
                tid: *tid,
                interp,
                gil: whole.threads.get(tid).copied().unwrap_or_default(),
            });
            let at_start = tr.at(t0_ns).unwrap_or(ThreadActivity::Blocked);
            self.activity.push(TraceRecord {
                time: SimTime::ZERO,
                thread: id,
                activity: at_start,
            });
            for &(t, a) in tr.changes.iter().filter(|c| c.0 > t0_ns && c.0 < end_ns) {
                self.activity.push(TraceRecord {
                    time: on_run_clock(t, t0_ns, self.end),
                    thread: id,
                    activity: a,
                });
            }
            for span in tr
                .calls
                .iter()
                .filter(|s| s.to_ns > t0_ns && s.from_ns < end_ns)
            {
                self.calls.push(TracedCall {
                    thread: id,
                    span: *span,
                    from: on_run_clock(span.from_ns, t0_ns, self.end),
                    to: on_run_clock(span.to_ns, t0_ns, self.end),
                });
            }
        }
    }

    /// The thread names, indexed by the activity records' thread ids.
    pub fn thread_names(&self) -> Vec<String> {
        self.threads.iter().map(|t| t.name.clone()).collect()
    }

    /// Puts the GIL figures into a live run's result: `gil`, `gil_last_phase` (with the
    /// clients' completions in it) and each registered thread's GIL hold time.
    pub fn apply(&self, result: &mut RunResult) {
        result.gil = self.gil.clone();
        result.gil_last_phase = Some(GilPhase::new(
            self.phase_from_s,
            result.duration_s,
            self.gil_last_phase.clone(),
            &result.clients,
        ));
        for t in &mut result.threads {
            if let Some(g) = self.gil.iter().find(|g| g.interp == t.interp) {
                t.gil_hold_s = g.hold_of(&t.name);
            }
        }
    }
}
