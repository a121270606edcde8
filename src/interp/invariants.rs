//! The GIL's invariants, checked on request after every event by whoever runs the runtime
//! (see [`crate::kernel::Violation`] for how rules are named). Checking only reads the state.
//!
//! | rule | what holds after every event |
//! |---|---|
//! | [`GIL_EXCLUSION`] | at most one thread of an interpreter holds its GIL; only the holder runs Python; a holder is never asleep in the kernel; the GIL's record of its holder agrees |
//! | [`BOUNDED_GIL_WAIT`] | a thread waiting for its GIL gets it within a bounded time, counted while the holder runs Python (see [`GilWaits`]) |
//! | [`LOCK_EXCLUSION`] | a Python-level lock has at most one holder, never among its own parked waiters; every parked waiter is asleep in the kernel, parked on that lock only, once |
//!
//! Messages name threads through a function given by the caller (the runtime knows threads
//! only by id).

use super::{InterpId, Runtime};
use crate::kernel::{SimDuration, SimTime, Violation};
use crate::machine::{ThreadId, ThreadRunState};

/// GIL mutual exclusion.
pub const GIL_EXCLUSION: &str = "gil-exclusion";

/// No starvation for the GIL under forced switching.
pub const BOUNDED_GIL_WAIT: &str = "bounded-gil-wait";

/// Python-level locks ([`super::py_lock`]): one holder, parked waiters asleep.
pub const LOCK_EXCLUSION: &str = "lock-exclusion";

/// Checks [`LOCK_EXCLUSION`] at `now`; `name` names a thread in the message.
pub fn check_lock_exclusion(
    rt: &Runtime,
    now: SimTime,
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), Violation> {
    let err = |msg: String| Violation::new(now, LOCK_EXCLUSION, msg);
    let mut parked_on = vec![None::<usize>; rt.threads()];
    for (l, lock) in rt.locks.iter().enumerate() {
        for &w in &lock.parked {
            if Some(w) == lock.holder {
                return Err(err(format!(
                    "{} holds lock {l} and is parked on it",
                    name(w)
                )));
            }
            if let Some(other) = parked_on[w.0 as usize].replace(l) {
                return Err(err(format!(
                    "{} is parked on lock {other} and on lock {l}",
                    name(w)
                )));
            }
            let th = &rt.threads[w.0 as usize];
            if th.phase != super::py_thread::Phase::LockParked
                || th.wants != Some(super::PyLockId(l as u16))
            {
                return Err(err(format!(
                    "{} is in lock {l}'s parked waiters but is {:?}, wanting {:?}",
                    name(w),
                    th.phase,
                    th.wants
                )));
            }
            let st = rt.machine.state(w);
            if st != ThreadRunState::Blocked {
                return Err(err(format!(
                    "{} is parked on lock {l} while {st:?}",
                    name(w)
                )));
            }
        }
    }
    for (i, th) in rt.threads.iter().enumerate() {
        if th.phase == super::py_thread::Phase::LockParked && parked_on[i].is_none() {
            return Err(err(format!(
                "{} is parked on no lock's list",
                name(ThreadId(i as u32))
            )));
        }
    }
    Ok(())
}

/// Checks [`GIL_EXCLUSION`] at `now`; `name` names a thread in the message.
pub fn check_gil_exclusion(
    rt: &Runtime,
    now: SimTime,
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), Violation> {
    let err = |msg: String| Violation::new(now, GIL_EXCLUSION, msg);
    let mut holder_of = vec![None::<ThreadId>; rt.interpreters()];
    for i in 0..rt.threads() as u32 {
        let t = ThreadId(i);
        let interp = rt.interp_of(t);
        if rt.holds_gil(t) {
            if !rt.has_gil(interp) {
                return Err(err(format!(
                    "{} holds a GIL in free-threaded interpreter {}",
                    name(t),
                    interp.0
                )));
            }
            if let Some(other) = holder_of[interp.0 as usize].replace(t) {
                return Err(err(format!(
                    "{} and {} both hold the GIL of interpreter {}",
                    name(other),
                    name(t),
                    interp.0
                )));
            }
            check_holder_awake(rt, t, name).map_err(err)?;
        }
        if rt.has_gil(interp) && rt.running_python(t) && !rt.holds_gil(t) {
            return Err(err(format!(
                "{} runs Python without the GIL of interpreter {} (held by {})",
                name(t),
                interp.0,
                rt.gil_holder(interp)
                    .map(name)
                    .unwrap_or_else(|| "nobody".into())
            )));
        }
    }
    for (i, h) in holder_of.iter().enumerate() {
        let reported = rt.gil_holder(InterpId(i as u16));
        if reported != *h {
            return Err(err(format!(
                "interpreter {i}: the GIL names holder {reported:?}, but the thread holding it is {h:?}"
            )));
        }
    }
    Ok(())
}

/// Thread `t` holds its GIL: it is on a core or queued for one, not asleep in the kernel.
fn check_holder_awake(
    rt: &Runtime,
    t: ThreadId,
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), String> {
    let interp = rt.interp_of(t);
    let st = rt.machine.state(t);
    if !matches!(st, ThreadRunState::Running | ThreadRunState::Queued) {
        return Err(format!(
            "{} holds the GIL of interpreter {} while {st:?} (asleep in the kernel)",
            name(t),
            interp.0
        ));
    }
    Ok(())
}

/// What [`GilWaits`] measured: the longest GIL wait, whether or not a bound was enforced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GilWaitStats {
    /// The longest wait, counted while the holder ran Python, ns.
    pub longest_charged_ns: u64,
    /// The same wait's length in virtual time, ns.
    pub longest_wall_ns: u64,
    /// Which thread waited, and from when.
    pub longest: Option<(ThreadId, SimTime)>,
}

/// One thread's wait for its GIL.
#[derive(Clone, Debug)]
struct Wait {
    since: SimTime,
    charged: u64,
    holders: Vec<ThreadId>,
    accrue: bool,
}

/// The [`BOUNDED_GIL_WAIT`] rule, observed after every event: remembers each waiting
/// thread's wait.
///
/// A thread waiting for its GIL is charged the time during which the holder runs Python
/// (bursting on a core) and the waiter itself is not queued for a core: time when the holder
/// is descheduled, or when the waiter waits for a CPU, is the OS's doing, not the GIL
/// protocol's. CPython's protocol bounds one *turn* ([`gil_turn`]): a waiter whose timed
/// wait expires with no switch sets the drop request, the holder drops within `drop_notice`
/// of running Python, and the signalled waiter wakes: `interval + timer_slack + drop_notice +
/// max(wake_idle, wake_busy, wake_halted) + max(wake_idle_waker, wake_halted_waker) +
/// max(wake_jitter, wake_halted_jitter) + 2 ctx_switch` (the wakee of an idle vCPU runs after
/// the waker's kick; a waiter whose vCPU halted wakes in `wake_halted`, see
/// [`crate::machine::MachineCosts`]). Waiters are signalled oldest wait first, but CPython
/// does not promise the signalled waiter the GIL: any thread that enters `take_gil` while it
/// is free takes it (a thread back from a system call, or the previous holder woken from its
/// forced-switch wait). So every other thread that holds the GIL during the wait is allowed
/// two turns ahead of it: the bound is `2 × distinct other holders × turn` (at least two
/// turns). A thread that stays in line while the same holders pass the GIL between
/// themselves, turn after turn, breaks it: that is starvation.
///
/// It is a bound the model is held to where it can be, not one CPython promises: with
/// glibc's condition variable a waiter whose timed wait expires waits again at the back of
/// the line, behind every thread that started waiting before ([`Runtime::gil_waiters`]), so
/// it can lose its place at every time-out; live on Linux 6.18 the scenario of
/// `tests/known_violations/gil_starvation.toml` showed gaps of 46 ms in the event loop's GIL
/// holds at a 5 ms interval (four turns: 20.4 ms).
#[derive(Clone, Debug, Default)]
pub struct GilWaits {
    waits: Vec<Option<Wait>>,
    stats: GilWaitStats,
}

/// The longest one GIL turn may take in interpreter `interp` (see [`GilWaits`]), plus
/// `margin`.
pub fn gil_turn(rt: &Runtime, interp: InterpId, margin: SimDuration) -> SimDuration {
    let mc = *rt.machine.costs();
    let ic = *rt.costs();
    rt.switch_interval(interp).unwrap_or_default()
        + ic.timer_slack
        + ic.drop_notice
        + mc.wake_idle.max(mc.wake_busy).max(mc.wake_halted)
        + mc.wake_idle_waker.max(mc.wake_halted_waker)
        + mc.wake_jitter.max(mc.wake_halted_jitter)
        + mc.ctx_switch
        + mc.ctx_switch
        + margin
}

impl GilWaits {
    /// What was measured so far.
    pub fn stats(&self) -> &GilWaitStats {
        &self.stats
    }

    /// Observes the runtime after the event(s) at `now`, `dt` ns after the previous
    /// observation: charges each wait for the time since then (in the state it had), then
    /// takes the new state. With `enforce`, a wait beyond its bound (each turn `margin`
    /// longer) is a violation.
    pub fn observe(
        &mut self,
        rt: &Runtime,
        now: SimTime,
        dt: u64,
        margin: SimDuration,
        enforce: bool,
        name: &dyn Fn(ThreadId) -> String,
    ) -> Result<(), Violation> {
        let n = rt.threads();
        self.waits.resize(n, None);
        for i in 0..n {
            let t = ThreadId(i as u32);
            // First judge the time since the last event, in the state it had.
            if let Some(w) = self.waits[i].as_mut() {
                if w.accrue {
                    w.charged += dt;
                }
                record_longest(&mut self.stats, t, w, now);
                let turn = gil_turn(rt, rt.interp_of(t), margin);
                let bound = turn.as_nanos() * (2 * w.holders.len().max(1) as u64);
                if enforce && w.charged > bound {
                    let msg = starvation_message(rt, t, w, now, turn, bound, name);
                    return Err(Violation::new(now, BOUNDED_GIL_WAIT, msg));
                }
            }
            // Then take the new state.
            self.waits[i] = next_wait(rt, t, self.waits[i].take(), now);
        }
        Ok(())
    }
}

/// Keeps `w` in `stats` if it is the longest charged wait so far.
fn record_longest(stats: &mut GilWaitStats, t: ThreadId, w: &Wait, now: SimTime) {
    if w.charged > stats.longest_charged_ns {
        stats.longest_charged_ns = w.charged;
        stats.longest_wall_ns = now.saturating_since(w.since).as_nanos();
        stats.longest = Some((t, w.since));
    }
}

/// Thread `t`'s wait after the event at `now`: none if it does not wait for its GIL; else
/// `wait` (or a new one) with the current holder noted, accruing while that holder runs
/// Python and `t` is not queued for a core.
fn next_wait(rt: &Runtime, t: ThreadId, wait: Option<Wait>, now: SimTime) -> Option<Wait> {
    if !rt.in_gil_wait(t) {
        return None;
    }
    let mut w = wait.unwrap_or(Wait {
        since: now,
        charged: 0,
        holders: Vec::new(),
        accrue: false,
    });
    let holder = rt.gil_holder(rt.interp_of(t)).filter(|&h| h != t);
    if let Some(h) = holder {
        if !w.holders.contains(&h) {
            w.holders.push(h);
        }
    }
    w.accrue = holder.is_some_and(|h| rt.running_python(h))
        && rt.machine.state(t) != ThreadRunState::Queued;
    Some(w)
}

/// The report of a wait `w` of thread `t` beyond its `bound` (ns).
fn starvation_message(
    rt: &Runtime,
    t: ThreadId,
    w: &Wait,
    now: SimTime,
    turn: SimDuration,
    bound: u64,
    name: &dyn Fn(ThreadId) -> String,
) -> String {
    let interp = rt.interp_of(t);
    let interval = rt.switch_interval(interp).unwrap_or_default();
    let holders: Vec<String> = w.holders.iter().map(|&h| name(h)).collect();
    format!(
        "{} has waited for the GIL of interpreter {} since {} ({} in all), {} of it while the holder ran Python; the bound is {} = 2 x {} other holders [{}] x turn {} (interval {interval})",
        name(t),
        interp.0,
        w.since,
        now.saturating_since(w.since),
        SimDuration(w.charged),
        SimDuration(bound),
        w.holders.len(),
        holders.join(", "),
        turn,
    )
}
