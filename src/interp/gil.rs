//! CPython's GIL: the lock's state and the protocol around it, the "new GIL" of 3.2 to 3.13
//! (`Python/ceval_gil.c`, `take_gil` and `drop_gil`; the eval breaker of `Python/ceval.c`).
//!
//! - `take_gil` when the GIL is held: wait on a condition variable with a timeout of one
//!   switch interval (plus timer slack). On timeout, if the GIL is still held and no switch
//!   happened during the wait (`switch_number` unchanged), set the **drop request**; keep
//!   waiting, each wait with a fresh interval.
//! - The holder notices the drop request at its next eval-breaker check (modelled as
//!   `drop_notice` after the request, while it runs Python), drops the GIL, signals one
//!   waiter and, because a drop was requested (**FORCE_SWITCHING**), sleeps until another
//!   thread has actually taken the GIL before it may try again.
//! - A thread returning from a quick system call takes a free GIL at once: it **barges**
//!   ahead of a waiter that was signalled but has not yet been scheduled.
//! - Waiters are signalled in the order of their current waits (glibc's condition
//!   variable): a thread that waits again goes to the back.
//! - A free-threaded interpreter has no GIL; each interpreter has its own.

use super::py_thread::Phase;
use super::{GilStats, InterpEvent, Runtime, Step, ThreadActivity};
use crate::kernel::{EventQueue, SimDuration, SimTime};
use crate::machine::{MachineEvent, ThreadId};
use serde::{Deserialize, Serialize};

/// Whether an interpreter has a GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GilKind {
    /// CPython's global interpreter lock (one per interpreter).
    Cpython,
    /// The free-threaded build (3.13t): no GIL.
    FreeThreaded,
}

/// One interpreter's GIL (`struct _gil_runtime_state`).
#[derive(Clone, Debug)]
pub(super) struct Gil {
    /// The switch interval, ns (at least 1 µs).
    pub interval: u64,
    pub holder: Option<ThreadId>,
    pub last_holder: Option<ThreadId>,
    /// Times the GIL passed to a different thread.
    pub switch_number: u64,
    /// `gil_drop_request`: a waiter timed out and asks the holder to drop.
    pub drop_request: bool,
    /// Threads in `take_gil`'s wait, oldest current wait first (a thread that waits again
    /// goes to the back, as in glibc's condition variable).
    pub waiters: Vec<ThreadId>,
    /// Forced droppers waiting for another thread to take the GIL (`switch_cond`).
    pub switch_waiters: Vec<ThreadId>,
    pub stats: GilStats,
}

/// What a waiter back from its wait, the GIL still held, does about the drop request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DropRequest {
    /// Nothing: it was signalled, or the GIL changed hands during its wait.
    None,
    /// It sets the drop request.
    Set,
    /// A request is already pending; it stands behind it.
    Joined,
}

impl Gil {
    /// A free GIL with the given switch interval (raised to 1 µs at least).
    pub fn new(switch_interval: SimDuration) -> Self {
        Gil {
            interval: switch_interval.0.max(1_000),
            holder: None,
            last_holder: None,
            switch_number: 0,
            drop_request: false,
            waiters: Vec::new(),
            switch_waiters: Vec::new(),
            stats: GilStats::default(),
        }
    }

    /// `t` takes the free GIL: counted; a different thread than the last holder is a switch
    /// (`switch_number`); it leaves the waiters.
    fn take(&mut self, t: ThreadId) {
        self.holder = Some(t);
        self.stats.acquisitions += 1;
        if self.last_holder != Some(t) {
            self.last_holder = Some(t);
            self.switch_number += 1;
            self.stats.handoffs += 1;
        }
        self.waiters.retain(|&w| w != t);
    }

    /// The rule of `take_gil` for a waiter back from its wait with the GIL still held: only
    /// a timed-out wait during which no switch happened (`switch_number` still
    /// `saved_switch`) asks for a drop, and a request already pending is not set twice.
    fn drop_request_after_wait(&mut self, timed_out: bool, saved_switch: u64) -> DropRequest {
        if !timed_out || self.switch_number != saved_switch {
            DropRequest::None
        } else if self.drop_request {
            DropRequest::Joined
        } else {
            self.drop_request = true;
            self.stats.drop_requests += 1;
            DropRequest::Set
        }
    }
}

impl Runtime {
    /// The GIL of thread `t`'s interpreter (which must have one).
    #[inline]
    fn gil_of(&self, t: ThreadId) -> &Gil {
        let i = self.threads[t.0 as usize].interp;
        self.interps[i.0 as usize].gil.as_ref().expect("has gil")
    }

    /// The GIL of thread `t`'s interpreter (which must have one), to change.
    #[inline]
    fn gil_of_mut(&mut self, t: ThreadId) -> &mut Gil {
        let i = self.threads[t.0 as usize].interp;
        self.interps[i.0 as usize].gil.as_mut().expect("has gil")
    }

    /// Takes the GIL if it is free (barging: whoever asks first while it is free gets it).
    /// True on success.
    pub(super) fn try_take<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>) -> bool
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let i = self.threads[t.0 as usize].interp;
        let gil = self.interps[i.0 as usize].gil.as_mut().expect("has gil");
        if gil.holder.is_some() {
            return false;
        }
        gil.take(t);
        // take_gil (Python/ceval_gil.h, 3.11): whoever takes the GIL resets a pending drop
        // request (`if (gil_drop_request) RESET_GIL_DROP_REQUEST(interp)` after `_ready:`),
        // not only a thread that set it.
        gil.drop_request = false;
        let th = &mut self.threads[t.0 as usize];
        th.requested = false;
        th.holds = true;
        th.hold_since = q.now().0;
        if let Some(since) = th.wait_since.take() {
            th.wait_total += q.now().0 - since;
        }
        th.wait_token += 1;
        th.deadline = None;
        th.signalled = false;
        th.timed_out = false;
        // COND_SIGNAL(switch_cond): a forced dropper waiting for a switch may go on.
        if gil.switch_waiters.iter().any(|&w| w != t) {
            let mut sw = std::mem::take(&mut gil.switch_waiters);
            sw.retain(|&w| {
                if w == t {
                    return true;
                }
                self.machine.wake(w, Some(t), q);
                false
            });
            self.gil_of_mut(t).switch_waiters = sw;
        }
        true
    }

    /// Releases the GIL; signals one waiter. Returns true if the thread must now wait for a
    /// forced switch (a drop was requested): the caller blocks it.
    pub(super) fn drop_gil<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>) -> bool
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now();
        let th = &mut self.threads[t.0 as usize];
        th.holds = false;
        th.hold_total += now.0 - th.hold_since;
        th.notice_token += 1;
        let i = th.interp;
        let gil = self.interps[i.0 as usize].gil.as_mut().expect("has gil");
        gil.holder = None;
        // COND_SIGNAL(cond): the oldest wait not already on its way (see `begin_wait`).
        let signalled = gil
            .waiters
            .iter()
            .copied()
            .find(|&w| !self.threads[w.0 as usize].signalled);
        let forced = gil.drop_request && gil.last_holder == Some(t);
        if forced {
            gil.drop_request = false;
            gil.switch_waiters.push(t);
        }
        if let Some(w) = signalled {
            let wt = &mut self.threads[w.0 as usize];
            wt.signalled = true;
            wt.wait_token += 1;
            wt.deadline = None; // its timed wait ends by the signal
            self.machine.wake(w, Some(t), q);
        }
        if forced {
            self.threads[t.0 as usize].phase = Phase::SwitchWait;
            self.trace.record(now, t, ThreadActivity::GilWait);
        }
        forced
    }

    /// Starts (or restarts) a timed wait for the GIL; the caller blocks the thread.
    pub(super) fn begin_wait<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let gil = self.gil_of_mut(t);
        // Every wait takes a fresh place at the back, as glibc's condition variable gives it:
        // each `pthread_cond_timedwait` call takes the next position of the waiter sequence
        // (`__wseq`, nptl/pthread_cond_wait.c since 2.25) and signals go to the oldest
        // positions (group G1), so a thread that waits again, after its timed wait expired or
        // after a signal that found the GIL retaken, is behind every thread that started
        // waiting before. (Until 2026-12-03 a re-wait kept the thread's first place: against
        // the live traces of the thread-per-connection server beside two CPU-bound
        // connections, 0.86 drop requests per light request, that gave 1.41, this 1.06; the
        // validation matrices: 38 → 39 of 46 rows within 15% on the Intel host, 22 → 24 and
        // 37 → 38 on the two AMD hosts.)
        gil.waiters.retain(|&w| w != t);
        gil.waiters.push(t);
        let interval = gil.interval;
        let switch_number = gil.switch_number;
        let th = &mut self.threads[t.0 as usize];
        th.phase = Phase::GilWait;
        th.wait_since.get_or_insert(q.now().0);
        th.wait_token += 1;
        th.saved_switch = switch_number;
        th.timed_out = false;
        th.signalled = false;
        let j = self.costs.timer_jitter.as_nanos();
        let jitter = if j > 0 { self.rng.below(j + 1) } else { 0 };
        let deadline = q.now() + SimDuration(interval + jitter) + self.costs.timer_slack;
        th.deadline = Some(deadline.0);
        if !th.timer_pending {
            th.timer_pending = true;
            q.schedule_at(
                deadline,
                InterpEvent::GilTimeout {
                    thread: t,
                    token: 0,
                }
                .into(),
            );
        }
        self.trace.record(q.now(), t, ThreadActivity::GilWait);
    }

    /// The holder will reach its eval-breaker check `drop_notice` from now.
    pub(super) fn schedule_notice<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let th = &mut self.threads[t.0 as usize];
        th.notice_token += 1;
        q.schedule_in(
            self.costs.drop_notice,
            InterpEvent::DropNotice {
                thread: t,
                token: th.notice_token,
            }
            .into(),
        );
    }

    /// A GIL waiter is running again (signalled or timed out): take the GIL or wait again,
    /// setting the drop request if its timed wait ran out with no switch.
    pub(super) fn recheck<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        if self.try_take(t, q) {
            match self.threads[t.0 as usize].pending.take() {
                Some(s @ (Step::Python(d) | Step::PythonLoop(d) | Step::NativeHeld(d))) => {
                    self.run_with_gil(t, s, d, q)
                }
                _ => unreachable!("GIL waiter without a pending step that needs the GIL"),
            }
            return;
        }
        let th = &self.threads[t.0 as usize];
        let (timed_out, saved_switch) = (th.timed_out, th.saved_switch);
        let gil = self.gil_of_mut(t);
        let holder = gil.holder.expect("locked");
        match gil.drop_request_after_wait(timed_out, saved_switch) {
            DropRequest::None => {}
            DropRequest::Joined => self.threads[t.0 as usize].requested = true,
            DropRequest::Set => {
                self.threads[t.0 as usize].requested = true;
                if self.running_python(holder) {
                    self.schedule_notice(holder, q);
                }
            }
        }
        self.begin_wait(t, q);
        self.machine.block(t, q);
    }

    /// A thread's GIL wait timer fires: if its wait is still on and due, it is woken to
    /// re-check; if the wait was restarted since, the timer is re-armed for the new deadline.
    pub(super) fn on_gil_timeout<E>(&mut self, thread: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now().0;
        let th = &mut self.threads[thread.0 as usize];
        th.timer_pending = false;
        match th.deadline {
            Some(d) if d > now => {
                // The wait was restarted since this timer was set: re-arm.
                th.timer_pending = true;
                q.schedule_at(
                    SimTime(d),
                    InterpEvent::GilTimeout { thread, token: 0 }.into(),
                );
            }
            Some(_) if th.phase == Phase::GilWait => {
                th.deadline = None;
                th.timed_out = true;
                th.wait_token += 1;
                self.gil_of_mut(thread).stats.timeouts += 1;
                self.machine.wake(thread, None, q);
            }
            _ => th.deadline = None,
        }
    }

    /// The holder reaches its eval-breaker check: if the drop request still stands and it
    /// still runs Python, it stops its burst and drops the GIL (then waits for the switch).
    pub(super) fn on_drop_notice<E>(&mut self, thread: ThreadId, token: u64, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let th = &self.threads[thread.0 as usize];
        if th.notice_token != token || !th.holds || th.phase != Phase::Python {
            return;
        }
        if !self.gil_of(thread).drop_request || !self.machine.is_bursting(thread) {
            return;
        }
        let left = self.machine.cut(thread, q);
        let th = &mut self.threads[thread.0 as usize];
        th.pending = Some(if th.in_loop {
            Step::PythonLoop(left)
        } else {
            Step::Python(left)
        });
        if self.drop_gil(thread, q) {
            self.machine.block(thread, q);
        } else {
            // Not forced (cannot happen with a pending request, kept for safety).
            self.threads[thread.0 as usize].phase = Phase::Free;
            let step = self.threads[thread.0 as usize].pending.take().unwrap();
            self.start(thread, step, q);
        }
    }

    /// If the holder `t` runs Python and a drop request is pending, it will notice it at its
    /// next eval-breaker check.
    #[inline]
    pub(super) fn notice_pending_request<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let th = &self.threads[t.0 as usize];
        if th.holds && th.phase == Phase::Python && self.gil_of(t).drop_request {
            self.schedule_notice(t, q);
        }
    }
}
