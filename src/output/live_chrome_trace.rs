//! Export of a live run's GIL trace (`execsim live --gil-trace`) as Chrome Trace Event JSON,
//! with the simulated trace's slice names and category ([`super::chrome_trace`]), so that
//! Perfetto shows a simulated and a live run alike: one process per traced process
//! (interpreter), one track per thread, one slice per stretch of activity (blocked stretches
//! left out, as in the simulated trace), and each call the thread made (`send`, `recv`,
//! `epoll_wait`...) as a slice of category `call` nested in the stretch it happened in (its
//! argument and return value in `args`). Times are µs since the run's start. It reads the
//! trace as plain tracks and slices (the command line fills them from the live trace).

use super::chrome_trace::slice_name;
use crate::interp::{ThreadActivity, TraceRecord};
use crate::kernel::SimTime;
use serde_json::{json, Value};

/// A traced process.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessTrack {
    /// Its pid.
    pub pid: u32,
    /// Its name, shown in Perfetto.
    pub name: String,
}

/// A traced thread (its index is the thread id of its activity records).
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadTrack {
    /// Its process.
    pub pid: u32,
    /// Its thread id.
    pub tid: u32,
    /// Its name.
    pub name: String,
}

/// A call of a thread, drawn inside its activity.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSlice {
    /// The thread (index in the threads).
    pub thread: usize,
    /// The call's name.
    pub name: String,
    /// Start.
    pub from: SimTime,
    /// End.
    pub to: SimTime,
    /// Its arguments and result.
    pub args: Value,
}

/// A live trace to export: its tracks, activity (in time order) and calls.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveTraceTracks {
    /// The processes.
    pub processes: Vec<ProcessTrack>,
    /// The threads.
    pub threads: Vec<ThreadTrack>,
    /// Activity changes, in time order.
    pub activity: Vec<TraceRecord>,
    /// The calls.
    pub calls: Vec<CallSlice>,
    /// The end of the run.
    pub end: SimTime,
}

fn us(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1000.0
}

/// Builds the trace JSON of a live GIL trace.
pub fn live_chrome_trace(trace: &LiveTraceTracks) -> Value {
    let mut events = Vec::new();
    for p in &trace.processes {
        events.push(json!({"ph": "M", "name": "process_name", "pid": p.pid,
            "args": {"name": p.name}}));
    }
    for t in &trace.threads {
        events.push(
            json!({"ph": "M", "name": "thread_name", "pid": t.pid, "tid": t.tid, "args": {"name": t.name}}),
        );
    }
    let mut open: Vec<Option<(SimTime, ThreadActivity)>> = vec![None; trace.threads.len()];
    let close = |events: &mut Vec<Value>, i: usize, from: SimTime, act, to: SimTime| {
        if act == ThreadActivity::Blocked || to <= from {
            return;
        }
        let t = &trace.threads[i];
        events.push(json!({
            "ph": "X", "name": slice_name(act), "cat": "thread", "pid": t.pid, "tid": t.tid,
            "ts": us(from), "dur": us(to) - us(from),
        }));
    };
    for r in &trace.activity {
        let i = r.thread.0 as usize;
        if let Some((from, act)) = open[i].take() {
            close(&mut events, i, from, act, r.time);
        }
        open[i] = Some((r.time, r.activity));
    }
    for (i, o) in open.iter().enumerate() {
        if let Some((from, act)) = *o {
            close(&mut events, i, from, act, trace.end);
        }
    }
    for c in &trace.calls {
        let t = &trace.threads[c.thread];
        events.push(json!({
            "ph": "X", "name": c.name, "cat": "call", "pid": t.pid, "tid": t.tid,
            "ts": us(c.from), "dur": us(c.to) - us(c.from), "args": c.args,
        }));
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" })
}
