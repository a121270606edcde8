//! Who takes the GIL after whom ([`HandOffs`]): from an activity trace (a traced simulation's,
//! or a live GIL trace's in the same shape), each hand-off of the GIL from one thread to
//! another, counted by the two threads' roles. CPython counts a hand-off when `take_gil` finds
//! another thread as `gil->last_holder` (it bumps `switch_number`); so do these counts: a
//! thread that drops the GIL and takes it back before anyone else is no hand-off, and neither
//! is a holder preempted and resumed.

use super::trace::{ThreadActivity, TraceRecord};
use crate::kernel::SimTime;
use std::collections::BTreeMap;

/// Hand-offs of one GIL in a window, by `(from role, to role)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct HandOffs {
    /// Count per `(role that held it, role that took it)` (in JSON a list of `{"from",
    /// "to", "count"}`).
    #[serde(serialize_with = "as_list")]
    pub by_roles: BTreeMap<(String, String), u64>,
}

/// The pairs as a JSON list (a JSON object's keys cannot be pairs).
fn as_list<S: serde::Serializer>(
    m: &BTreeMap<(String, String), u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Pair<'a> {
        from: &'a str,
        to: &'a str,
        count: u64,
    }
    s.collect_seq(
        m.iter()
            .map(|((from, to), &count)| Pair { from, to, count }),
    )
}

impl HandOffs {
    /// The hand-offs among the threads for which `in_gil(thread index)` holds, between `from`
    /// and `to`. `names` are the threads' names, indexed by the records' thread ids; a
    /// thread's role is its name without its number (`worker-3` → `worker`,
    /// `client:users-0` → `client`).
    ///
    /// ```
    /// use execsim::interp::{HandOffs, ThreadActivity::*, TraceRecord};
    /// use execsim::kernel::SimTime;
    /// use execsim::machine::ThreadId;
    /// let r = |t, th, a| TraceRecord { time: SimTime(t), thread: ThreadId(th), activity: a };
    /// let names: Vec<String> = ["event-loop", "worker-0", "worker-1"].map(String::from).into();
    /// let trace = [
    ///     r(0, 0, Python), r(5, 0, Native),   // the loop holds, then drops
    ///     r(6, 1, Python), r(9, 1, Runnable), // worker-0 takes it (a hand-off), is preempted,
    ///     r(12, 1, Python), r(20, 1, Native), // resumes (none), drops
    ///     r(21, 1, Python), r(30, 1, Native), // and takes it back (none)
    ///     r(31, 2, Python), r(40, 2, Native), // worker-1 takes it (a hand-off)
    ///     r(41, 0, Python),                   // and the loop (a hand-off)
    /// ];
    /// let h = HandOffs::of(&trace, &names, |_| true, SimTime(0), SimTime(100));
    /// assert_eq!(h.count("event-loop", "worker"), 1);
    /// assert_eq!(h.count("worker", "worker"), 1);
    /// assert_eq!(h.count("worker", "event-loop"), 1);
    /// assert_eq!(h.total(), 3);
    /// ```
    pub fn of(
        records: &[TraceRecord],
        names: &[String],
        in_gil: impl Fn(usize) -> bool,
        from: SimTime,
        to: SimTime,
    ) -> HandOffs {
        let mut order: Vec<&TraceRecord> = records
            .iter()
            .filter(|r| in_gil(r.thread.0 as usize) && r.time < to)
            .collect();
        // Stable: records of one instant keep their recorded order.
        order.sort_by_key(|r| r.time);
        let mut by_roles = BTreeMap::new();
        let mut holder: Option<usize> = None;
        for r in order {
            if r.activity != ThreadActivity::Python {
                continue;
            }
            let t = r.thread.0 as usize;
            if let Some(h) = holder.filter(|&h| h != t) {
                if r.time >= from {
                    let key = (role(name(names, h)), role(name(names, t)));
                    *by_roles.entry(key).or_insert(0) += 1;
                }
            }
            holder = Some(t);
        }
        HandOffs { by_roles }
    }

    /// Hand-offs from a thread of role `from` to one of role `to`.
    pub fn count(&self, from: &str, to: &str) -> u64 {
        self.by_roles
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// All hand-offs.
    pub fn total(&self) -> u64 {
        self.by_roles.values().sum()
    }
}

fn name(names: &[String], t: usize) -> &str {
    names.get(t).map_or("?", String::as_str)
}

/// A thread's role: its name up to a `:` (`client:users-0` → `client`), without a trailing
/// number and its separator (`worker-3` → `worker`, `thread 4818` → `thread`).
fn role(name: &str) -> String {
    let base = name.split(':').next().unwrap_or(name);
    let trimmed = base.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() == base.len() {
        return base.to_string();
    }
    trimmed.trim_end_matches(['-', ' ', '#', '_']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::ThreadId;

    #[test]
    fn json_lists_the_pairs() {
        let mut h = HandOffs::default();
        h.by_roles.insert(("worker".into(), "event-loop".into()), 3);
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"by_roles":[{"from":"worker","to":"event-loop","count":3}]}"#
        );
    }

    #[test]
    fn roles_drop_numbers_and_client_names() {
        assert_eq!(role("worker-12"), "worker");
        assert_eq!(role("client:users-0"), "client");
        assert_eq!(role("event-loop"), "event-loop");
        assert_eq!(role("worker-process-1"), "worker-process");
        assert_eq!(role("thread 4818"), "thread");
        assert_eq!(role("main"), "main");
    }

    /// Only hand-offs at or after `from` count, but the holder before `from` is known; other
    /// GILs' threads are left out.
    #[test]
    fn the_window_and_the_filter_hold() {
        let r = |t, th, a| TraceRecord {
            time: SimTime(t),
            thread: ThreadId(th),
            activity: a,
        };
        let names: Vec<String> = ["event-loop", "worker-0", "process-0"]
            .map(String::from)
            .into();
        let trace = [
            r(0, 0, ThreadActivity::Python),
            r(2, 2, ThreadActivity::Python), // another interpreter's GIL
            r(5, 0, ThreadActivity::Native),
            r(6, 1, ThreadActivity::Python), // before the window
            r(8, 1, ThreadActivity::Blocked),
            r(12, 0, ThreadActivity::Python), // in it
            r(20, 1, ThreadActivity::Python), // at its end: out
        ];
        let h = HandOffs::of(&trace, &names, |t| t != 2, SimTime(10), SimTime(20));
        assert_eq!(h.total(), 1);
        assert_eq!(h.count("worker", "event-loop"), 1);
    }
}
