//! A traced thread's life cut into **segments**: the stretch between the return of one call
//! made without the GIL (a `recv`, an `epoll_wait`, a semaphore wait...) and the start of the
//! next, with the time the thread held the GIL in it. A segment is what one service cost key
//! of the model stands for (`loop_read_py`: the loop's hold between the socket `recv` and the
//! next `epoll_wait(0)`), so the medians of a live trace's segments are the costs, measured
//! rather than fitted (`execsim calibrate --from-trace`).
//!
//! A call the thread makes **while holding the GIL** (a lock's `sem_post`: CPython releases a
//! lock without dropping the GIL) does not end a segment; it is a [`Mark`] inside it, with the
//! GIL time before and after it (the asyncio loop's `queue.put` wakes a pool worker in the
//! middle of `run_in_executor`: the two halves are two cost keys).
//!
//! The held time counts only the thread's own GIL holds (`take_gil`'s acquisition to
//! `drop_gil`'s release), so a segment interrupted by a forced switch adds its pieces and the
//! wait for the GIL is not in it.
//!
//! ```
//! use execsim::live::gil_trace::segments::held_between;
//! // GIL held 10..20 and 30..45: between 15 and 40, 5 + 10 ns.
//! assert_eq!(held_between(&[(10, 20), (30, 45)], 15, 40), 15);
//! ```

use super::activity::CallSpan;
use super::live_trace::LiveGilTrace;
use crate::interp::ThreadActivity;
use crate::kernel::SimTime;
use crate::machine::ThreadId;

/// A call made with the GIL held, inside a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The call.
    pub call: CallSpan,
    /// GIL time from the segment's start to the call's start, ns.
    pub held_before_ns: u64,
    /// GIL time from the call's end to the segment's end, ns.
    pub held_after_ns: u64,
}

/// One segment of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The call whose return starts the segment.
    pub after: CallSpan,
    /// The call whose start ends it.
    pub before: CallSpan,
    /// The segment's start on the run's clock.
    pub from: SimTime,
    /// GIL time in the segment, ns.
    pub held_ns: u64,
    /// Calls made with the GIL held, in order.
    pub marks: Vec<Mark>,
}

/// GIL time within `[from, to]` of a thread that held the GIL over `holds` (sorted,
/// disjoint `(start, end)` pairs, ns).
pub fn held_between(holds: &[(u64, u64)], from: u64, to: u64) -> u64 {
    let first = holds.partition_point(|h| h.1 <= from);
    holds[first..]
        .iter()
        .take_while(|h| h.0 < to)
        .map(|&(a, b)| b.min(to).saturating_sub(a.max(from)))
        .sum()
}

/// The thread's GIL holds on the run's clock, sorted.
fn holds_of(trace: &LiveGilTrace, thread: ThreadId) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut start = None;
    for r in trace.activity.iter().filter(|r| r.thread == thread) {
        let t = r.time.as_nanos();
        match (r.activity == ThreadActivity::Python, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push((s, t));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, trace.end.as_nanos()));
    }
    out
}

/// The segments of `thread` that start at or after `from` (to skip a run's warm-up), in order.
pub fn thread_segments(trace: &LiveGilTrace, thread: ThreadId, from: SimTime) -> Vec<Segment> {
    let holds = holds_of(trace, thread);
    let holding = |t: u64| {
        let k = holds.partition_point(|h| h.0 <= t);
        k > 0 && holds[k - 1].1 > t
    };
    let mut out: Vec<Segment> = Vec::new();
    // The open segment: the call that started it, its start, and the calls made holding
    // the GIL so far (each with its start and end).
    type Open = (CallSpan, u64, Vec<(CallSpan, u64, u64)>);
    let mut open: Option<Open> = None;
    for c in trace.calls.iter().filter(|c| c.thread == thread) {
        let (from_ns, to_ns) = (c.from.as_nanos(), c.to.as_nanos());
        if holding(from_ns) {
            if let Some((_, _, marks)) = open.as_mut() {
                marks.push((c.span, from_ns, to_ns));
            }
            continue;
        }
        if let Some((after, start, marks)) = open.take() {
            if start >= from.as_nanos() && c.span.ret.is_some() {
                out.push(Segment {
                    after,
                    before: c.span,
                    from: SimTime(start),
                    held_ns: held_between(&holds, start, from_ns),
                    marks: marks
                        .iter()
                        .map(|&(call, a, b)| Mark {
                            call,
                            held_before_ns: held_between(&holds, start, a),
                            held_after_ns: held_between(&holds, b, from_ns),
                        })
                        .collect(),
                });
            }
        }
        if c.span.ret.is_some() {
            open = Some((c.span, to_ns, Vec::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::TraceRecord;
    use crate::live::gil_trace::live_trace::TracedCall;
    use crate::live::gil_trace::record::Call;

    fn call(c: Call, arg: i64, ret: i64, from: u64, to: u64) -> TracedCall {
        TracedCall {
            thread: ThreadId(0),
            span: CallSpan {
                call: c,
                arg,
                ret: Some(ret),
                from_ns: from,
                to_ns: to,
            },
            from: SimTime(from),
            to: SimTime(to),
        }
    }

    fn act(t: u64, a: ThreadActivity) -> TraceRecord {
        TraceRecord {
            time: SimTime(t),
            thread: ThreadId(0),
            activity: a,
        }
    }

    #[test]
    fn a_segment_between_two_calls_with_a_mark_inside() {
        use ThreadActivity::{Blocked, GilWait, Native, Python};
        // recv 0..100; waits 100..110; holds 110..150, sem_post at 130..132 (GIL held);
        // forced out 150..170; holds 170..180; epoll 185..300.
        let trace = LiveGilTrace {
            processes: Vec::new(),
            threads: Vec::new(),
            activity: vec![
                act(0, Blocked),
                act(100, GilWait),
                act(110, Python),
                act(150, GilWait),
                act(170, Python),
                act(180, Native),
                act(185, Blocked),
            ],
            calls: vec![
                call(Call::Recv, 8, 2, 0, 100),
                call(Call::SemPost, 0, 0, 130, 132),
                call(Call::EpollWait, -1, 1, 185, 300),
            ],
            end: SimTime(400),
            gil: Vec::new(),
            gil_last_phase: Vec::new(),
            phase_from_s: 0,
        };
        let segs = thread_segments(&trace, ThreadId(0), SimTime::ZERO);
        assert_eq!(segs.len(), 1);
        let s = &segs[0];
        assert_eq!((s.after.call, s.before.call), (Call::Recv, Call::EpollWait));
        assert_eq!(s.held_ns, 40 + 10);
        assert_eq!(s.marks.len(), 1);
        assert_eq!(s.marks[0].held_before_ns, 20);
        assert_eq!(s.marks[0].held_after_ns, 18 + 10);
        assert!(thread_segments(&trace, ThreadId(0), SimTime(101)).is_empty());
    }
}
