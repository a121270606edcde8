//! The process pool's path in a live GIL trace (`process-split` of
//! [`crate::calibrate::trace_fit`]): which segments of the manager thread, the feeder thread and
//! the worker processes each process-pool cost key is.
//!
//! CPython 3.11's `ProcessPoolExecutor` (`concurrent/futures/process.py`), as the traces show it
//! (one light client, `n = 1`):
//!
//! - the **manager thread** sleeps in `connection.wait` (a `poll` with a timeout) and wakes
//!   twice per request. Woken by `submit`'s wake-up pipe, it polls that pipe (`poll(0)`), reads
//!   the wake-up, polls again and runs `add_call_item_to_queue` before waiting again. Woken by
//!   a result, it reads it (two `read`s: length, body), polls the wake-up pipe once, sets the
//!   future's result, whose callback writes the event loop's self-pipe (`send`), and goes on
//!   to the end of its pass;
//! - the **feeder thread** waits for an item (a semaphore), pickles it and `write`s it;
//! - a **worker process** reads the item (two `read`s), unpickles it, computes, pickles the
//!   result and `write`s it.
//!
//! A manager **wake** is the run of its segments from one blocking `poll` to the next; its first
//! segment's end tells the two kinds apart (a `read`: a result; a `poll(0)`: a submit). The
//! feeder's and the workers' costs are their total GIL time per request. Pickling is inside
//! those totals and cannot be told apart in them, so `pickle_py` keeps its value and is
//! subtracted ([`DERIVED`]).

use crate::live::gil_trace::record::Call;
use crate::live::gil_trace::segments::Segment;
use crate::service::ServiceCosts;
use std::collections::BTreeMap;

/// Samples (ns) per key or total.
pub type Samples = BTreeMap<&'static str, Vec<u64>>;

/// Keys measured directly from `process-split`: `(key, segment)`.
pub const DIRECT: [(&str, &str); 3] = [
    (
        "loop_submit_process_py",
        "loop: from epoll_wait(0) to the manager's wake-up pipe write()",
    ),
    (
        "manager_py",
        "manager: from a blocking poll() to the result's first read()",
    ),
    (
        "manager_after_result_py",
        "manager: from the loop's self-pipe send() to its next blocking poll()",
    ),
];

/// Keys derived from a measured total: `(key, total, segment, what is subtracted)`.
pub const DERIVED: [(&str, &str, &str, Subtract); 4] = [
    (
        "manager_result_py",
        "manager_result_total",
        "manager, result wake: from the first read() to the self-pipe send(), less pickle_py",
        Subtract::Pickle(1),
    ),
    (
        "manager_submit_py",
        "manager_submit_total",
        "manager, submit wake: from a blocking poll() to the next, less manager_py",
        Subtract::ManagerPy,
    ),
    (
        "feeder_py",
        "feeder_total",
        "feeder: GIL time per request, less pickle_py",
        Subtract::Pickle(1),
    ),
    (
        "process_worker_py",
        "process_worker_total",
        "worker process: GIL time per request (n = 1 computed in it), less 2 pickle_py",
        Subtract::Pickle(2),
    ),
];

/// What a derived key's total holds besides the key itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subtract {
    /// This many `pickle_py`.
    Pickle(u64),
    /// `manager_py` (the wake's start, charged separately by the model).
    ManagerPy,
}

impl Subtract {
    /// The nanoseconds to subtract under `costs`.
    pub fn nanos(self, costs: &ServiceCosts) -> u64 {
        match self {
            Subtract::Pickle(k) => k * costs.pickle_py.as_nanos(),
            Subtract::ManagerPy => costs.manager_py.as_nanos(),
        }
    }
}

fn blocking_poll(c: Call, arg: i64) -> bool {
    c == Call::Poll && arg != 0
}

/// The manager thread's wakes.
pub fn manager_samples(segs: &[Segment], out: &mut Samples) {
    let mut wakes: Vec<&[Segment]> = Vec::new();
    let mut start = None;
    for (k, s) in segs.iter().enumerate() {
        if blocking_poll(s.after.call, s.after.arg) {
            start = Some(k);
        }
        if let Some(a) = start {
            if blocking_poll(s.before.call, s.before.arg) {
                wakes.push(&segs[a..=k]);
                start = None;
            }
        }
    }
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for w in wakes {
        let total: u64 = w.iter().map(|s| s.held_ns).sum();
        match w[0].before.call {
            Call::Read => {
                let Some(sent) = w.iter().position(|s| s.before.call == Call::Send) else {
                    continue;
                };
                push("manager_py", w[0].held_ns);
                push(
                    "manager_result_total",
                    w[1..=sent].iter().map(|s| s.held_ns).sum(),
                );
                push(
                    "manager_after_result_py",
                    w[sent + 1..].iter().map(|s| s.held_ns).sum(),
                );
            }
            Call::Poll => push("manager_submit_total", total),
            _ => {}
        }
    }
}

/// GIL time per request of a thread that ends each request with `per_request` (one sample).
pub fn per_request_total(
    segs: &[Segment],
    per_request: Call,
    key: &'static str,
    out: &mut Samples,
) {
    let n = segs.iter().filter(|s| s.before.call == per_request).count() as u64;
    let total: u64 = segs.iter().map(|s| s.held_ns).sum();
    if let Some(per) = total.checked_div(n) {
        out.entry(key).or_default().push(per);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SimTime;
    use crate::live::gil_trace::activity::CallSpan;

    fn seg(after: (Call, i64), before: (Call, i64), held_ns: u64) -> Segment {
        let span = |(call, arg): (Call, i64)| CallSpan {
            call,
            arg,
            ret: Some(0),
            from_ns: 0,
            to_ns: 0,
        };
        Segment {
            after: span(after),
            before: span(before),
            from: SimTime::ZERO,
            held_ns,
            marks: Vec::new(),
        }
    }

    #[test]
    fn a_submit_wake_and_a_result_wake() {
        let (poll, poll0) = ((Call::Poll, -1), (Call::Poll, 0));
        let (read, send) = ((Call::Read, 7), (Call::Send, 9));
        let segs = [
            // Submit: wait, drain the wake-up pipe, add the call item, wait again.
            seg(poll, poll0, 19),
            seg(poll0, read, 5),
            seg(read, poll0, 21),
            seg(poll0, poll, 46),
            // Result: read it, clear, set the result, send to the loop, finish the pass.
            seg(poll, read, 11),
            seg(read, read, 3),
            seg(read, poll0, 21),
            seg(poll0, send, 16),
            seg(send, poll, 36),
            // An unfinished wake at the end of the trace is left out.
            seg(poll, read, 1000),
        ];
        let mut out = Samples::new();
        manager_samples(&segs, &mut out);
        assert_eq!(out["manager_submit_total"], vec![19 + 5 + 21 + 46]);
        assert_eq!(out["manager_py"], vec![11]);
        assert_eq!(out["manager_result_total"], vec![3 + 21 + 16]);
        assert_eq!(out["manager_after_result_py"], vec![36]);
        let mut feeder = Samples::new();
        let w = [
            seg((Call::SemWait, 0), (Call::Write, 5), 37),
            seg((Call::Write, 5), (Call::SemWait, 0), 7),
        ];
        per_request_total(&w, Call::Write, "feeder_total", &mut feeder);
        assert_eq!(feeder["feeder_total"], vec![44]);
    }
}
