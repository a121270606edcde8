//! The thread pool's and thread-per-connection server's paths in a live GIL trace
//! (`thread-split` and `tpc-split` of [`crate::calibrate::trace_fit`]): which segments of the
//! event loop, a pool worker, a client and a connection thread each cost key is (the table
//! [`crate::calibrate::trace_fit::KEYS`] names them).

pub use super::trace_process::Samples;
use crate::live::gil_trace::activity::CallSpan;
use crate::live::gil_trace::record::Call;
use crate::live::gil_trace::segments::Segment;

fn span_ns(c: &CallSpan) -> u64 {
    c.to_ns - c.from_ns
}

fn is_sem_wait(c: Call) -> bool {
    matches!(c, Call::SemWait | Call::SemTimedwait | Call::SemClockwait)
}

/// The event loop's calls as its segments tell them apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoopCall {
    /// `epoll_wait` with a timeout (events or the next timer).
    Events,
    /// `epoll_wait(0)`: callbacks were ready.
    Ready,
    /// A `recv` on the client's socket.
    SockRecv,
    /// A `recv` on the self-pipe that returned data.
    PipeData,
    /// A `recv` on the self-pipe that found it empty.
    PipeEmpty,
    /// A `send` (the reply).
    Send,
    /// A `write` (the process pool manager's wake-up pipe).
    Write,
    /// Anything else.
    Other,
}

fn loop_call(c: &CallSpan, pipe_fd: Option<i64>) -> LoopCall {
    match c.call {
        Call::EpollWait if c.arg == 0 => LoopCall::Ready,
        Call::EpollWait => LoopCall::Events,
        Call::Recv if Some(c.arg) == pipe_fd => match c.ret {
            Some(r) if r > 0 => LoopCall::PipeData,
            _ => LoopCall::PipeEmpty,
        },
        Call::Recv => LoopCall::SockRecv,
        Call::Send => LoopCall::Send,
        Call::Write => LoopCall::Write,
        _ => LoopCall::Other,
    }
}

/// The event loop's segments and system calls (see `KEYS`).
pub fn loop_samples(segs: &[Segment], out: &mut Samples) {
    use LoopCall::*;
    // The self-pipe is the socket the loop reads until it is empty (asyncio's
    // `_read_from_self`): a client's socket never returns EAGAIN to a loop that read it only
    // when epoll said it was readable.
    let pipe_fd = segs
        .iter()
        .map(|s| &s.after)
        .find(|c| c.call == Call::Recv && c.ret.is_some_and(|r| r < 0))
        .map(|c| c.arg);
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        let (a, b) = (loop_call(&s.after, pipe_fd), loop_call(&s.before, pipe_fd));
        let waits = |x: LoopCall| x == Events || x == Ready;
        let post = s.marks.iter().find(|m| m.call.call == Call::SemPost);
        match (a, b, post) {
            (Events, SockRecv, _) => push("loop_iteration_py", s.held_ns),
            (SockRecv, Ready, _) => push("loop_read_py", s.held_ns),
            (Ready, x, Some(m)) if waits(x) => {
                push("loop_submit_thread_py", m.held_before_ns);
                push("loop_after_submit_py", m.held_after_ns);
            }
            (Events, PipeData, _) => push("loop_complete_py", s.held_ns),
            (PipeData, PipeData | PipeEmpty, _) => push("loop_self_pipe_py", s.held_ns),
            (PipeEmpty, x, _) if waits(x) => push("loop_drained_py", s.held_ns),
            (Ready, Send, _) => push("loop_write_py", s.held_ns),
            (Ready, Write, _) => push("loop_submit_process_py", s.held_ns),
            (Send, x, _) if waits(x) => push("loop_after_send_py", s.held_ns),
            _ => {}
        }
        match b {
            Ready => push("poll", span_ns(&s.before)),
            SockRecv if s.before.ret.is_some_and(|r| r > 0) => push("recv", span_ns(&s.before)),
            PipeData | PipeEmpty => push("pipe_read", span_ns(&s.before)),
            // The loop's reply: on a shared CPU the woken client may run inside it.
            Send => push("loop_send", span_ns(&s.before)),
            _ => {}
        }
    }
}

/// A thread-pool worker's segments and its self-pipe `send`.
pub fn worker_samples(segs: &[Segment], out: &mut Samples) {
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        match (s.after.call, s.before.call) {
            (w, Call::Send) if is_sem_wait(w) => {
                push("worker_done_py", s.held_ns);
                push("pipe_write", span_ns(&s.before));
            }
            (Call::Send, w) if is_sem_wait(w) => push("worker_after_wake_py", s.held_ns),
            // Woken on the work queue's lock with nothing to get: straight back to waiting
            // (`service::SimpleQueue`).
            (a, b) if is_sem_wait(a) && is_sem_wait(b) => push("worker_requeue_py", s.held_ns),
            _ => {}
        }
    }
}

/// A thread that alternates `recv` and `send` (a client, a connection thread).
pub fn ping_pong_samples(
    segs: &[Segment],
    after_recv: &'static str,
    after_send: &'static str,
    send: Option<&'static str>,
    out: &mut Samples,
) {
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        match (s.after.call, s.before.call) {
            (Call::Recv, Call::Send) => {
                push(after_recv, s.held_ns);
                if let Some(k) = send {
                    push(k, span_ns(&s.before));
                }
            }
            (Call::Send, Call::Recv) => push(after_send, s.held_ns),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SimTime;

    fn span(call: Call, from_ns: u64, to_ns: u64) -> CallSpan {
        CallSpan {
            call,
            arg: 0,
            ret: Some(0),
            from_ns,
            to_ns,
        }
    }

    fn seg(after: Call, before: Call, held_ns: u64) -> Segment {
        Segment {
            after: span(after, 0, 10),
            before: span(before, 100, 110),
            from: SimTime(10),
            held_ns,
            marks: Vec::new(),
        }
    }

    #[test]
    fn a_worker_woken_for_nothing_gives_a_requeue_sample() {
        let segs = [
            seg(Call::SemWait, Call::Send, 6_000),
            seg(Call::Send, Call::SemWait, 2_800),
            seg(Call::SemWait, Call::SemWait, 320),
        ];
        let mut out = Samples::new();
        worker_samples(&segs, &mut out);
        assert_eq!(out["worker_done_py"], [6_000]);
        assert_eq!(out["worker_after_wake_py"], [2_800]);
        assert_eq!(out["worker_requeue_py"], [320]);
        assert_eq!(out["pipe_write"], [10]);
    }
}
