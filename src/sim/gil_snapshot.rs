//! The GIL figures of a simulated run, over the whole run and over its last phase: a
//! snapshot of every interpreter's counters and every thread's GIL hold and wait time, taken
//! when the last phase starts, is subtracted from the figures at the end. Integer
//! nanoseconds throughout; the snapshot only reads the state, so results are unchanged.

use crate::interp::{GilStats, InterpId};
use crate::kernel::SimTime;
use crate::machine::ThreadId;
use crate::service::World;
use crate::sim::results::{GilResult, ThreadHold};

/// Every interpreter's GIL counters and every thread's GIL hold and wait time at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GilSnapshot {
    /// Per interpreter.
    stats: Vec<GilStats>,
    /// Per thread, ns held.
    hold_ns: Vec<u64>,
    /// Per thread, ns waited.
    wait_ns: Vec<u64>,
}

impl GilSnapshot {
    /// The figures of `w` at `now`.
    pub fn take(w: &World, now: SimTime) -> GilSnapshot {
        let rt = &w.rt;
        let threads = (0..w.thread_count() as u32).map(ThreadId);
        GilSnapshot {
            stats: (0..rt.interpreters() as u16)
                .map(|i| rt.gil_stats(InterpId(i)))
                .collect(),
            hold_ns: threads
                .clone()
                .map(|t| rt.gil_hold_time(t, now).as_nanos())
                .collect(),
            wait_ns: threads
                .map(|t| rt.gil_wait_time(t, now).as_nanos())
                .collect(),
        }
    }

    /// Per interpreter of `w`, the GIL figures from this snapshot (`since`; None: the start
    /// of the run) to `self`. `has_gil` is false for a free-threaded build (no thread
    /// times are listed then).
    pub fn results(&self, w: &World, has_gil: bool, since: Option<&GilSnapshot>) -> Vec<GilResult> {
        let zero = GilSnapshot::default();
        let since = since.unwrap_or(&zero);
        let rt = &w.rt;
        (0..self.stats.len())
            .map(|i| {
                let (now, then) = (
                    self.stats[i],
                    since.stats.get(i).copied().unwrap_or_default(),
                );
                let per_thread = |end: &[u64], start: &[u64]| -> Vec<ThreadHold> {
                    (0..end.len())
                        .filter(|&t| has_gil && rt.interp_of(ThreadId(t as u32)).0 as usize == i)
                        .map(|t| ThreadHold {
                            thread: w.thread_name(ThreadId(t as u32)).to_string(),
                            seconds: crate::kernel::SimDuration(
                                end[t] - start.get(t).copied().unwrap_or(0),
                            )
                            .as_secs_f64(),
                        })
                        .collect()
                };
                GilResult {
                    interp: i as u16,
                    has_gil,
                    handoffs: now.handoffs - then.handoffs,
                    drop_requests: now.drop_requests - then.drop_requests,
                    acquisitions: now.acquisitions - then.acquisitions,
                    timeouts: now.timeouts - then.timeouts,
                    hold_s: per_thread(&self.hold_ns, &since.hold_ns),
                    wait_s: per_thread(&self.wait_ns, &since.wait_ns),
                }
            })
            .collect()
    }
}
