//! Export of a run's thread activity as Chrome Trace Event JSON (open it in Perfetto or
//! `chrome://tracing`): one track per thread, one slice per stretch of activity (Python
//! holding the GIL, native code or a system call, waiting for the GIL, runnable, blocked).

use crate::interp::{ThreadActivity, TraceRecord};
use crate::kernel::SimTime;
use serde_json::{json, Value};

/// The name of a slice of activity `a` (the same in simulated and live traces).
pub fn slice_name(a: ThreadActivity) -> &'static str {
    match a {
        ThreadActivity::Python => "python (GIL held)",
        ThreadActivity::Native => "native / syscall",
        ThreadActivity::GilWait => "waiting for GIL",
        ThreadActivity::Runnable => "runnable",
        ThreadActivity::Blocked => "blocked",
    }
}

/// Builds the trace JSON from activity records, thread names and the end of the run.
/// Blocked stretches are left out (they are the background).
pub fn chrome_trace(records: &[TraceRecord], names: &[String], end: SimTime) -> Value {
    let mut events = Vec::new();
    for (i, name) in names.iter().enumerate() {
        events.push(
            json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": i, "args": {"name": name}}),
        );
    }
    let mut open: Vec<Option<(SimTime, ThreadActivity)>> = vec![None; names.len()];
    let close =
        |events: &mut Vec<Value>, tid: usize, from: SimTime, act: ThreadActivity, to: SimTime| {
            if act == ThreadActivity::Blocked || to <= from {
                return;
            }
            let label = slice_name(act);
            events.push(json!({
                "ph": "X", "name": label, "cat": "thread", "pid": 1, "tid": tid,
                "ts": from.as_nanos() as f64 / 1000.0,
                "dur": (to.as_nanos() - from.as_nanos()) as f64 / 1000.0,
            }));
        };
    for r in records {
        let tid = r.thread.0 as usize;
        if tid >= open.len() {
            continue;
        }
        if let Some((from, act)) = open[tid].take() {
            close(&mut events, tid, from, act, r.time);
        }
        open[tid] = Some((r.time, r.activity));
    }
    for (tid, o) in open.iter().enumerate() {
        if let Some((from, act)) = *o {
            close(&mut events, tid, from, act, end);
        }
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" })
}
