//! The activity trace: each thread's changes of activity over time, for timelines and
//! Chrome traces (recorded only when asked for).

use crate::kernel::SimTime;
use crate::machine::ThreadId;
use serde::Serialize;

/// What a thread is doing, for timelines and traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThreadActivity {
    /// Running Python code (holding the GIL where there is one).
    Python,
    /// Running a system call or native code without the GIL.
    Native,
    /// Waiting to take the GIL (including the forced-switch wait).
    GilWait,
    /// Runnable but not on a core (preempted, or woken and not yet scheduled).
    Runnable,
    /// Blocked (socket, selector, queue).
    Blocked,
}

/// A change of a thread's activity at a time (recorded only when tracing is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRecord {
    /// When.
    pub time: SimTime,
    /// Which thread.
    pub thread: ThreadId,
    /// What it does from then on.
    pub activity: ThreadActivity,
}

/// The recorded activity changes, or nothing when tracing is off.
#[derive(Clone, Debug, Default)]
pub(super) struct ActivityTrace(Option<Vec<TraceRecord>>);

impl ActivityTrace {
    /// Starts recording.
    pub fn enable(&mut self) {
        self.0 = Some(Vec::new());
    }

    /// The records so far (empty unless enabled).
    pub fn records(&self) -> &[TraceRecord] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// Records that thread `t` does `activity` from `time` on (if enabled).
    #[inline]
    pub fn record(&mut self, time: SimTime, t: ThreadId, activity: ThreadActivity) {
        if let Some(tr) = self.0.as_mut() {
            tr.push(TraceRecord {
                time,
                thread: t,
                activity,
            });
        }
    }
}
