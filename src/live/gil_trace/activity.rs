//! Each traced thread's activity over time, in the simulator's terms
//! ([`ThreadActivity`], as `execsim run --trace` and the GIL timeline show them), and the calls
//! it made:
//!
//! - **Python (GIL held)**: from `take_gil`'s acquisition to `drop_gil`'s release;
//! - **waiting for the GIL**: from the start of `take_gil` (its lock of `gil->mutex`) to the
//!   acquisition, and `drop_gil`'s forced-switch wait;
//! - **blocked**: inside a call that waits (`recv`, `epoll_wait` with a timeout, a semaphore
//!   wait...) and lasted at least [`BLOCKED_AFTER_NS`] without the GIL (a shorter one found
//!   its data ready);
//! - **native / syscall**: the rest of the time without the GIL.
//!
//! A live trace cannot tell a runnable thread from a running one (that is the scheduler's
//! business): "runnable" never appears.

use super::record::{Call, Event, Record};
use crate::interp::ThreadActivity;
use std::collections::BTreeMap;

/// A waiting call that lasts this long (ns) counts as blocked rather than a quick system call.
pub const BLOCKED_AFTER_NS: u64 = 30_000;

/// One wrapped call of a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSpan {
    /// Which call.
    pub call: Call,
    /// Its argument (fd, or `epoll_wait`'s timeout).
    pub arg: i64,
    /// Its return value (None: it had not returned when the trace ended).
    pub ret: Option<i64>,
    /// Start, CLOCK_MONOTONIC ns.
    pub from_ns: u64,
    /// End (the trace's last record when it never returned).
    pub to_ns: u64,
}

/// One thread's activity changes and calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadActivityTrace {
    /// `(t_ns, activity from then on)`, in time order, each different from the one before.
    pub changes: Vec<(u64, ThreadActivity)>,
    /// Its calls, in order of their start.
    pub calls: Vec<CallSpan>,
}

impl ThreadActivityTrace {
    fn set(&mut self, t: u64, a: ThreadActivity) {
        if self.changes.last().map(|c| c.1) != Some(a) {
            self.changes.push((t, a));
        }
    }

    /// The activity at `t` (None before the thread's first record).
    pub fn at(&self, t: u64) -> Option<ThreadActivity> {
        let k = self.changes.partition_point(|c| c.0 <= t);
        k.checked_sub(1).map(|k| self.changes[k].1)
    }
}

/// Pairs each thread's call entries and exits (in order; an entry never exited ends at
/// `end_ns`).
fn call_spans(records: &[Record], end_ns: u64) -> BTreeMap<u32, Vec<CallSpan>> {
    let mut spans: BTreeMap<u32, Vec<CallSpan>> = BTreeMap::new();
    let mut open: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for r in records {
        match r.event {
            Event::CallEnter { call, arg } => {
                let list = spans.entry(r.tid).or_default();
                open.entry(r.tid).or_default().push(list.len());
                list.push(CallSpan {
                    call,
                    arg,
                    ret: None,
                    from_ns: r.t_ns,
                    to_ns: end_ns,
                });
            }
            Event::CallExit { ret, .. } => {
                if let Some(k) = open.get_mut(&r.tid).and_then(|o| o.pop()) {
                    let s = &mut spans.get_mut(&r.tid).expect("opened")[k];
                    s.ret = Some(ret);
                    s.to_ns = r.t_ns;
                }
            }
            _ => {}
        }
    }
    spans
}

/// Every thread's activity in one process's trace (`records` sorted by time).
pub fn thread_activity(records: &[Record]) -> BTreeMap<u32, ThreadActivityTrace> {
    let end_ns = records.last().map_or(0, |r| r.t_ns);
    let mut spans = call_spans(records, end_ns);
    let mut out: BTreeMap<u32, ThreadActivityTrace> = BTreeMap::new();
    // Per thread: holds the GIL, index of its next call, the blocking call it is in.
    let mut state: BTreeMap<u32, (bool, usize, Option<usize>)> = BTreeMap::new();
    for r in records {
        let tr = out.entry(r.tid).or_default();
        let (holds, next_call, blocked_in) = state.entry(r.tid).or_default();
        let t = r.t_ns;
        match r.event {
            Event::Acquire { .. } => {
                *holds = true;
                tr.set(t, ThreadActivity::Python);
            }
            Event::Release { .. } => {
                *holds = false;
                tr.set(t, ThreadActivity::Native);
            }
            Event::GilMutexLock if !*holds => tr.set(t, ThreadActivity::GilWait),
            Event::TimedWaitEnter { .. } | Event::SwitchWaitEnter { .. } => {
                tr.set(t, ThreadActivity::GilWait)
            }
            Event::SwitchWaitExit { .. } => tr.set(t, ThreadActivity::Native),
            Event::CallEnter { .. } => {
                let k = *next_call;
                *next_call += 1;
                let Some(s) = spans.get(&r.tid).and_then(|l| l.get(k)) else {
                    continue;
                };
                let waits = s.call.may_block(s.arg) && s.to_ns - s.from_ns >= BLOCKED_AFTER_NS;
                if waits && !*holds && blocked_in.is_none() {
                    *blocked_in = Some(k);
                    tr.set(t, ThreadActivity::Blocked);
                }
            }
            Event::CallExit { .. } => {
                // The exit closes the innermost open call: the blocking one if nothing
                // opened inside it.
                let k = blocked_in.filter(|&k| {
                    spans.get(&r.tid).and_then(|l| l.get(k)).map(|s| s.to_ns) == Some(t)
                });
                if k.is_some() {
                    *blocked_in = None;
                    tr.set(t, ThreadActivity::Native);
                }
            }
            Event::GilMutexLock | Event::TimedWaitExit { .. } => {}
        }
    }
    for (tid, tr) in out.iter_mut() {
        tr.calls = spans.remove(tid).unwrap_or_default();
    }
    out
}
