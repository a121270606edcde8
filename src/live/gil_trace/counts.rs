//! The GIL statistics of one process's trace over a window of time, with the simulator's
//! definitions (`src/interp/stats.rs`, `src/interp/gil.rs`), from CPython 3.11's
//! `Python/ceval_gil.h`:
//!
//! - **acquisitions**: `take_gil` took the GIL ([`Event::Acquire`]);
//! - **hand-offs**: acquisitions that incremented `gil->switch_number` (the GIL passed to
//!   another thread);
//! - **timeouts**: timed waits on `gil->cond` that returned ETIMEDOUT;
//! - **drop requests**: timeouts after which the GIL was still locked and `switch_number`
//!   unchanged since the wait began (take_gil's `SET_GIL_DROP_REQUEST`), counted when no
//!   request was pending: one is pending from then until the next acquisition (take_gil resets
//!   it) or forced-switch wait (drop_gil resets it before waiting). A waiter that sets it again
//!   while pending joins the pending request, as in the simulator;
//! - per thread, **hold** time (acquisition to release) and **wait** time (from the start of
//!   `take_gil`, its lock of `gil->mutex`, or its first timed wait, to the acquisition).
//!
//! Events are counted when they happen inside the window; times are clipped to it. The whole
//! trace is replayed so that the state at the window's start (who holds, who waits, whether
//! a request is pending) is known.

use super::record::{Event, Record};
use std::collections::BTreeMap;

/// One thread's GIL figures in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadGilTimes {
    /// ns holding the GIL.
    pub hold_ns: u64,
    /// ns waiting to take it.
    pub wait_ns: u64,
    /// Its acquisitions.
    pub acquisitions: u64,
    /// Its acquisitions that were hand-offs (the GIL came from another thread).
    pub handoffs: u64,
    /// Its timed waits that ran out.
    pub timeouts: u64,
    /// The drop requests it set.
    pub drop_requests: u64,
}

/// The GIL statistics of one process over a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GilCounts {
    /// Acquisitions by another thread than the last holder.
    pub handoffs: u64,
    /// Drop requests set while none was pending.
    pub drop_requests: u64,
    /// Every acquisition.
    pub acquisitions: u64,
    /// Timed waits that ran out.
    pub timeouts: u64,
    /// Per thread id (threads with a record in the trace).
    pub threads: BTreeMap<u32, ThreadGilTimes>,
}

/// A thread's place in the protocol while replaying.
#[derive(Clone, Copy, Debug, Default)]
struct ThreadState {
    /// Waiting since (start of take_gil).
    waiting_since: Option<u64>,
    /// `switch_number` when its current timed wait began.
    saved_switch: Option<u64>,
}

/// Replays a trace and counts over `[from_ns, to_ns)`.
struct Replay {
    from: u64,
    to: u64,
    /// The holder and since when (from the trace's start if its acquisition is not in it).
    holder: Option<(u32, u64)>,
    pending_request: bool,
    switch_number: Option<u64>,
    threads: BTreeMap<u32, ThreadState>,
    out: GilCounts,
}

impl Replay {
    fn inside(&self, t: u64) -> bool {
        (self.from..self.to).contains(&t)
    }

    /// The part of `[a, b)` inside the window, ns.
    fn clipped(&self, a: u64, b: u64) -> u64 {
        b.min(self.to).saturating_sub(a.max(self.from))
    }

    fn times(&mut self, tid: u32) -> &mut ThreadGilTimes {
        self.out.threads.entry(tid).or_default()
    }

    fn holds(&self, tid: u32) -> bool {
        self.holder.is_some_and(|(h, _)| h == tid)
    }

    fn start_waiting(&mut self, tid: u32, t: u64) {
        let st = self.threads.entry(tid).or_default();
        st.waiting_since.get_or_insert(t);
    }

    fn record(&mut self, r: &Record, trace_start: u64) {
        let (t, tid) = (r.t_ns, r.tid);
        self.times(tid);
        match r.event {
            Event::GilMutexLock if !self.holds(tid) => self.start_waiting(tid, t),
            Event::GilMutexLock => {}
            Event::TimedWaitEnter { switch_number, .. } => {
                self.start_waiting(tid, t);
                self.threads.entry(tid).or_default().saved_switch = Some(switch_number);
                self.switch_number = Some(switch_number);
            }
            Event::TimedWaitExit {
                switch_number,
                timed_out,
                locked,
            } => {
                let saved = self.threads.entry(tid).or_default().saved_switch.take();
                if timed_out && self.inside(t) {
                    self.out.timeouts += 1;
                    self.times(tid).timeouts += 1;
                }
                if timed_out && locked && saved == Some(switch_number) {
                    if !self.pending_request && self.inside(t) {
                        self.out.drop_requests += 1;
                        self.times(tid).drop_requests += 1;
                    }
                    self.pending_request = true;
                }
                self.switch_number = Some(switch_number);
            }
            Event::Acquire { switch_number, .. } => {
                if self.inside(t) {
                    self.out.acquisitions += 1;
                    self.times(tid).acquisitions += 1;
                    if self.switch_number.is_some_and(|s| switch_number != s) {
                        self.out.handoffs += 1;
                        self.times(tid).handoffs += 1;
                    }
                }
                self.switch_number = Some(switch_number);
                self.pending_request = false;
                if let Some(since) = self.threads.entry(tid).or_default().waiting_since.take() {
                    let w = self.clipped(since, t);
                    self.times(tid).wait_ns += w;
                }
                self.holder = Some((tid, t));
            }
            Event::Release { switch_number } => {
                let since = match self.holder {
                    Some((h, since)) if h == tid => since,
                    _ => trace_start,
                };
                let held = self.clipped(since, t);
                self.times(tid).hold_ns += held;
                self.holder = None;
                self.switch_number = Some(switch_number);
            }
            Event::SwitchWaitEnter { switch_number } => {
                self.pending_request = false;
                self.switch_number = Some(switch_number);
            }
            Event::SwitchWaitExit { switch_number } => self.switch_number = Some(switch_number),
            Event::CallEnter { .. } | Event::CallExit { .. } => {}
        }
    }

    /// Closes what is still open at the window's end: a hold, the waits.
    fn finish(mut self) -> GilCounts {
        if let Some((tid, since)) = self.holder {
            let held = self.clipped(since, self.to);
            self.times(tid).hold_ns += held;
        }
        let open: Vec<(u32, u64)> = self
            .threads
            .iter()
            .filter_map(|(&tid, st)| st.waiting_since.map(|s| (tid, s)))
            .collect();
        for (tid, since) in open {
            let w = self.clipped(since, self.to);
            self.times(tid).wait_ns += w;
        }
        self.out
    }
}

/// The GIL statistics of `records` (one process's, sorted by time) over
/// `[from_ns, to_ns)`. Replaying stops at `to_ns`.
pub fn gil_counts(records: &[Record], from_ns: u64, to_ns: u64) -> GilCounts {
    let mut replay = Replay {
        from: from_ns,
        to: to_ns,
        holder: None,
        pending_request: false,
        switch_number: None,
        threads: BTreeMap::new(),
        out: GilCounts::default(),
    };
    let trace_start = records.first().map_or(from_ns, |r| r.t_ns);
    for r in records.iter().take_while(|r| r.t_ns < to_ns) {
        replay.record(r, trace_start);
    }
    replay.finish()
}

#[cfg(test)]
mod tests {
    use super::super::reader::{encode_trace, read_trace};
    use super::*;

    const A: u32 = 101;
    const B: u32 = 102;
    const C: u32 = 103;

    fn r(t_ns: u64, tid: u32, event: Event) -> Record {
        Record { t_ns, tid, event }
    }

    fn enter(t: u64, tid: u32, sn: u64) -> Record {
        r(
            t,
            tid,
            Event::TimedWaitEnter {
                switch_number: sn,
                locked: true,
            },
        )
    }

    fn exit(t: u64, tid: u32, sn: u64, timed_out: bool, locked: bool) -> Record {
        let switch_number = sn;
        r(
            t,
            tid,
            Event::TimedWaitExit {
                switch_number,
                timed_out,
                locked,
            },
        )
    }

    fn acquire(t: u64, tid: u32, sn: u64) -> Record {
        let (switch_number, last_holder) = (sn, tid as u64);
        r(
            t,
            tid,
            Event::Acquire {
                switch_number,
                last_holder,
            },
        )
    }

    /// A holds; B times out and requests a drop; A drops and waits for the switch; B takes
    /// it; A waits, times out and requests; C's timeout meanwhile joins that request; B drops;
    /// A takes it. Written to a file and read back.
    fn convoy() -> Vec<Record> {
        use Event::*;
        let trace = vec![
            acquire(1, A, 1), // t = 0 would read as a slot never written
            r(10, B, GilMutexLock),
            enter(10, B, 1),
            exit(5_010, B, 1, true, true),
            enter(5_020, B, 1),
            r(5_050, A, GilMutexLock),
            r(5_050, A, Release { switch_number: 1 }),
            r(5_055, A, SwitchWaitEnter { switch_number: 1 }),
            exit(5_060, B, 1, false, false),
            acquire(5_070, B, 2),
            r(5_075, A, SwitchWaitExit { switch_number: 2 }),
            r(5_080, A, GilMutexLock),
            enter(5_080, A, 2),
            exit(10_080, A, 2, true, true),
            enter(10_085, A, 2),
            r(10_090, C, GilMutexLock),
            enter(10_090, C, 2),
            exit(15_090, C, 2, true, true),
            enter(15_095, C, 2),
            r(15_100, B, GilMutexLock),
            r(15_100, B, Release { switch_number: 2 }),
            r(15_101, B, SwitchWaitEnter { switch_number: 2 }),
            exit(15_105, A, 2, false, false),
            acquire(15_110, A, 3),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gil-9.bin");
        let n = trace.len() as u64;
        std::fs::write(&path, encode_trace(9, 1000, n, &trace)).unwrap();
        read_trace(&path).unwrap().records
    }

    fn times(hold_ns: u64, wait_ns: u64) -> ThreadGilTimes {
        ThreadGilTimes {
            hold_ns,
            wait_ns,
            ..ThreadGilTimes::default()
        }
    }

    /// `(acquisitions, handoffs, timeouts, drop_requests)` of a thread.
    fn events(t: &ThreadGilTimes) -> (u64, u64, u64, u64) {
        (t.acquisitions, t.handoffs, t.timeouts, t.drop_requests)
    }

    #[test]
    fn counts_the_whole_trace_exactly() {
        let c = gil_counts(&convoy(), 0, 20_000);
        // A's first acquisition has no switch number before it: not a hand-off.
        assert_eq!(
            (c.acquisitions, c.handoffs, c.timeouts, c.drop_requests),
            (3, 2, 3, 2)
        );
        let want = [
            (A, times(5_049 + (20_000 - 15_110), 15_110 - 5_080)),
            (B, times(15_100 - 5_070, 5_070 - 10)),
            (C, times(0, 20_000 - 10_090)),
        ];
        for (tid, w) in want {
            assert_eq!(
                (c.threads[&tid].hold_ns, c.threads[&tid].wait_ns),
                (w.hold_ns, w.wait_ns)
            );
        }
        assert_eq!(events(&c.threads[&A]), (2, 1, 1, 1));
        assert_eq!(events(&c.threads[&B]), (1, 1, 1, 1));
        assert_eq!(events(&c.threads[&C]), (0, 0, 1, 0));
        assert_eq!(c.threads.len(), 3);
    }

    #[test]
    fn a_window_counts_what_happens_inside_and_clips_the_times() {
        let c = gil_counts(&convoy(), 6_000, 20_000);
        // Inside: A's timeout (a new request), C's (joins it), A's acquisition (a hand-off).
        assert_eq!(
            (c.acquisitions, c.handoffs, c.timeouts, c.drop_requests),
            (1, 1, 2, 1)
        );
        let a = c.threads[&A];
        assert_eq!((a.hold_ns, a.wait_ns), (20_000 - 15_110, 15_110 - 6_000));
        assert_eq!(events(&a), (1, 1, 1, 1));
        assert_eq!(c.threads[&B], times(15_100 - 6_000, 0));
        let cc = c.threads[&C];
        assert_eq!((cc.wait_ns, events(&cc)), (20_000 - 10_090, (0, 0, 1, 0)));
        // A window that ends early closes the open hold and waits there.
        let c = gil_counts(&convoy(), 0, 5_000);
        assert_eq!((c.acquisitions, c.timeouts, c.drop_requests), (1, 0, 0));
        assert_eq!((c.threads[&A].hold_ns, c.threads[&A].wait_ns), (4_999, 0));
        assert_eq!(c.threads[&B], times(0, 4_990));
    }
}
