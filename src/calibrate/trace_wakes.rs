//! What the service's wake-ups across CPUs cost, from live GIL traces: how much longer the
//! waker's system call takes than the same call waking a thread on its own CPU (the kick of
//! the other, idle vCPU), and how long after that call the woken thread's blocking call
//! returns. These give `wake_idle_waker` and `wake_idle` of [`MachineCosts`]
//! ([`WakeFit::apply`]).
//!
//! **Evidence** (2026-12-02, afternoon host, `thread-split`: the loop alone on CPU 0, the
//! client and the pool worker on CPU 1, 4 s, about 15,000 wake-ups of each kind):
//!
//! | wake-up | waker's call | wakee returns after it |
//! |---|---|---|
//! | client `send` → loop's `epoll_wait` | 14.1 µs | 11.0 µs |
//! | worker self-pipe `send` → loop's `epoll_wait` | 12.2 µs | 11.8 µs |
//! | loop `send` (reply) → client's `recv` | 16.9 µs | 17.5 µs |
//! | loop `sem_post` (work queue) → worker's `sem_wait` | 12.3 µs | 17.9 µs |
//!
//! while the client's `send` waking the loop on the client's own CPU (`process-split`) takes
//! 1.7 µs, and a `sem_post` nobody waits on 0.03 µs. The waker's extra does not grow with
//! how long the woken thread's CPU had idled: the loop's `sem_post` waking the worker took
//! 12.3 µs after 100–200 µs of idleness and 12.2 µs after 200–500 µs (15.5 and 15.6 µs in
//! the worker-alone placement), so on this host there is no halt-poll window to tell apart,
//! and the halted keys are set to the same values. (The client's `send` does grow, to 46 µs
//! after 200–500 µs, but those are the rare sends of a client whose own vCPU had stalled,
//! which is what left the loop idle that long: a selection, not a wake-up cost.) Another host
//! of the same kind, the same morning, did show a window (`wake_probe.py`: a lock release
//! waking a thread idle up to 150 µs took 5 µs, from 200 µs on 48 µs): there
//! `calibrate --machine` or the file's keys are what say so.

use crate::kernel::SimDuration;
use crate::live::gil_trace::live_trace::LiveGilTrace;
use crate::live::gil_trace::record::Call;
use crate::machine::{MachineCosts, ThreadId};

/// A `sem_post` shorter than this woke nobody (no `futex` system call), ns.
pub const WAKING_POST_NS: u64 = 500;

/// One wake-up of a thread blocked on another CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrossWake {
    /// How long the woken thread had been blocked when the waker's call started, ns.
    pub idle_ns: u64,
    /// The waker's call, less the same call waking nobody on another CPU, ns.
    pub kick_ns: u64,
    /// From the end of the waker's call to the woken thread's blocking call returning, ns.
    pub after_ns: u64,
}

/// The calls of `waker` that start at or after `from_ns` (run clock) and satisfy `is_wake`,
/// each while `wakee` is in a call satisfying `is_wait` that returns after it; the waker's
/// call less `base_ns` is the kick.
pub fn cross_wakes(
    trace: &LiveGilTrace,
    (waker, is_wake): (ThreadId, &dyn Fn(Call, u64) -> bool),
    (wakee, is_wait): (ThreadId, &dyn Fn(Call, i64) -> bool),
    from_ns: u64,
    base_ns: u64,
) -> Vec<CrossWake> {
    let waits: Vec<(u64, u64)> = trace
        .calls
        .iter()
        .filter(|c| c.thread == wakee && is_wait(c.span.call, c.span.arg))
        .map(|c| (c.from.as_nanos(), c.to.as_nanos()))
        .collect();
    let mut out: Vec<CrossWake> = Vec::new();
    let mut last_wait = None;
    for c in trace.calls.iter().filter(|c| c.thread == waker) {
        let (s0, s1) = (c.from.as_nanos(), c.to.as_nanos());
        if s0 < from_ns || !is_wake(c.span.call, s1 - s0) {
            continue;
        }
        let k = waits.partition_point(|w| w.0 <= s0);
        let Some(&(w0, w1)) = k.checked_sub(1).map(|k| &waits[k]) else {
            continue;
        };
        if w1 < s1 {
            continue;
        }
        let wake = CrossWake {
            idle_ns: s0 - w0,
            kick_ns: (s1 - s0).saturating_sub(base_ns),
            after_ns: w1 - s1,
        };
        // One wake-up per wait: the last waking call within it.
        if last_wait == Some(w0) {
            *out.last_mut().expect("a wake-up of this wait") = wake;
        } else {
            out.push(wake);
        }
        last_wait = Some(w0);
    }
    out
}

/// The base and width of a uniform draw `base + U(0, width)` with the same median and
/// interquartile range: width 2 × (p75 - p25), base the median less half of it (at least 0).
pub(crate) fn base_width(mut v: Vec<u64>) -> (u64, u64) {
    v.sort_unstable();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let width = 2 * (q(0.75) - q(0.25));
    (q(0.5).saturating_sub(width / 2), width)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

/// The wake-up costs the traces show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakeFit {
    /// The waker's extra (median kick), ns.
    pub waker_ns: u64,
    /// Time from the waker's call's end to the wakee returning: the base of its uniform
    /// draw (the median less half the width), ns.
    pub after_ns: u64,
    /// Width of the uniform draw: twice the interquartile range, ns.
    pub jitter_ns: u64,
    /// Wake-ups measured.
    pub samples: usize,
}

impl WakeFit {
    /// The fit of `wakes` (None if there are none).
    pub fn of(wakes: &[CrossWake]) -> Option<WakeFit> {
        if wakes.is_empty() {
            return None;
        }
        let (after, width) = base_width(wakes.iter().map(|w| w.after_ns).collect());
        Some(WakeFit {
            waker_ns: median(wakes.iter().map(|w| w.kick_ns).collect()),
            after_ns: after,
            jitter_ns: width,
            samples: wakes.len(),
        })
    }

    /// `m` with the wake-up keys the traces measured: the same for a core idle within
    /// `halt_poll` and beyond it (see the module documentation).
    pub fn apply(&self, m: &mut MachineCosts) {
        let d = SimDuration::from_nanos;
        m.wake_idle = d(self.after_ns);
        m.wake_jitter = d(self.jitter_ns);
        m.wake_idle_waker = d(self.waker_ns);
        m.wake_halted = m.wake_idle;
        m.wake_halted_jitter = m.wake_jitter;
        m.wake_halted_waker = m.wake_idle_waker;
    }
}

/// The traces' samples for [`WakeFit`], pooled over launches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WakeSamples {
    /// `process-split`: the client's `send` durations, ns (the loop it wakes shares its CPU).
    pub local_sends: Vec<u64>,
    /// `thread-split`: wake-ups by a socket `send`, whose kick is the call less a local
    /// `send` (kept whole until the local `send` is known).
    pub sends: Vec<CrossWake>,
    /// `thread-split`: wake-ups by the worker's self-pipe `send` and the loop's `sem_post`
    /// (their kick is the whole call: the same call waking nobody costs well under 1 µs).
    pub others: Vec<CrossWake>,
}

fn threads(trace: &LiveGilTrace, p: impl Fn(&str) -> bool) -> Vec<ThreadId> {
    (0..trace.threads.len())
        .filter(|&k| p(&trace.threads[k].name))
        .map(|k| ThreadId(k as u32))
        .collect()
}

fn clients(trace: &LiveGilTrace) -> Vec<ThreadId> {
    threads(trace, |n| n.starts_with("client:") && !n.ends_with("/recv"))
}

impl WakeSamples {
    /// Adds one launch's trace of the traced scenario `run`, from `from_ns` on (run clock).
    pub fn add(&mut self, run: &str, trace: &LiveGilTrace, from_ns: u64) {
        match run {
            "process-split" => {
                let clients = clients(trace);
                for c in trace.calls.iter().filter(|c| {
                    clients.contains(&c.thread)
                        && c.span.call == Call::Send
                        && c.from.as_nanos() >= from_ns
                        && c.span.ret.is_some_and(|r| r > 0)
                }) {
                    self.local_sends.push(c.to.as_nanos() - c.from.as_nanos());
                }
            }
            "thread-split" => self.add_cross(trace, from_ns),
            _ => {}
        }
    }

    fn add_cross(&mut self, t: &LiveGilTrace, from_ns: u64) {
        let send = |c: Call, _: u64| c == Call::Send;
        let post = |c: Call, d: u64| c == Call::SemPost && d >= WAKING_POST_NS;
        let epoll = |c: Call, arg: i64| c == Call::EpollWait && arg != 0;
        let recv = |c: Call, _: i64| c == Call::Recv;
        let sem_wait =
            |c: Call, _: i64| matches!(c, Call::SemWait | Call::SemTimedwait | Call::SemClockwait);
        let workers = threads(t, |n| {
            n.starts_with("worker-") && !n.starts_with("worker-process-")
        });
        for l in threads(t, |n| n == "event-loop") {
            for c in clients(t) {
                self.sends
                    .extend(cross_wakes(t, (c, &send), (l, &epoll), from_ns, 0));
                self.sends
                    .extend(cross_wakes(t, (l, &send), (c, &recv), from_ns, 0));
            }
            for &w in &workers {
                self.others
                    .extend(cross_wakes(t, (w, &send), (l, &epoll), from_ns, 0));
                self.others
                    .extend(cross_wakes(t, (l, &post), (w, &sem_wait), from_ns, 0));
            }
        }
    }

    /// Every `thread-split` wake-up (see the module documentation's table), the socket
    /// `send`s' kicks less the median local `send`; empty without `process-split`.
    pub fn cross(&self) -> Vec<CrossWake> {
        if self.local_sends.is_empty() {
            return Vec::new();
        }
        let base = median(self.local_sends.clone());
        let sends = self.sends.iter().map(|w| CrossWake {
            kick_ns: w.kick_ns.saturating_sub(base),
            ..*w
        });
        sends.chain(self.others.iter().copied()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(idle_us: u64, kick_us: u64, after_us: u64) -> CrossWake {
        CrossWake {
            idle_ns: idle_us * 1000,
            kick_ns: kick_us * 1000,
            after_ns: after_us * 1000,
        }
    }

    #[test]
    fn one_class_from_every_kind_of_wake_up() {
        let wakes = [
            w(10, 12, 11),
            w(30, 12, 12),
            w(150, 13, 18),
            w(300, 12, 17),
            w(20, 11, 11),
        ];
        let fit = WakeFit::of(&wakes).unwrap();
        assert_eq!(fit.waker_ns, 12_000);
        // After: 11 11 12 17 18 µs: quartiles 11 and 17, width 12, median 12, base 6.
        assert_eq!(fit.jitter_ns, 12_000);
        assert_eq!(fit.after_ns, 6_000);
        let mut m = MachineCosts::default();
        fit.apply(&mut m);
        assert_eq!(m.wake_idle_waker, SimDuration::from_micros(12));
        assert_eq!(m.wake_halted, m.wake_idle);
        assert_eq!(m.wake_halted_waker, m.wake_idle_waker);
        assert_eq!(m.halt_poll, MachineCosts::default().halt_poll);
        assert!(WakeFit::of(&[]).is_none());
    }
}
