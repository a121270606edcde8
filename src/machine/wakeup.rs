//! Waking a thread (Linux's `try_to_wake_up`): where it goes, what the wake-up costs, and
//! what happens when it reaches the target core's run queue.
//!
//! - **Placement** (`select_task_rq_fair`, simplified): the previous core if it is idle; else
//!   any idle allowed core (scanning from the previous one); else the waker's core if allowed
//!   (wake-affine); else the previous core if allowed; else the first allowed core. With
//!   `MachineCosts::wake_on_prev` (this VM kind's kernel packs wake-ups onto vCPUs in use)
//!   the previous core whenever it is allowed, busy or not. A
//!   thread the policy still holds on a core's run queue (EEVDF's delayed dequeue) goes back
//!   there with no placement (`ttwu_runnable`).
//! - **Latency** depends on the target: onto an idle core (on a VM, a halted vCPU must be
//!   kicked, `wake_idle`), onto a busy core (an IPI, `wake_busy`), or onto the waker's own
//!   core (just a run-queue insertion, `wake_local`). Wake-ups onto another core add a seeded
//!   random jitter. These are the numbers that decide, on a 2-vCPU VM, whether a chain of
//!   threads waking each other runs fast or slow.
//! - **A vCPU halted beyond the host's halt-poll window** (`halt_poll`, KVM's
//!   `halt_poll_ns`: the host polls a halted vCPU that long before it puts the vCPU's thread
//!   to sleep) is far costlier to wake: the wakee runs `wake_halted` after the wake-up instead
//!   of `wake_idle`, and the waker's own system call (the `futex` wake behind `sem_post` or
//!   `pthread_cond_signal`, a socket send) takes `wake_halted_waker` longer, charged to its
//!   next burst. Measured on this VM kind by `src/calibrate/wake_probe.py` (a thread
//!   releases a lock another thread, pinned to the other vCPU, blocks on, after that vCPU has
//!   idled for a chosen time): up to 150 µs idle, the release takes about 4 µs and the wakee
//!   runs about 9 µs after it started; from 200 µs on, about 50 µs and 115 µs. Live GIL traces
//!   show the same inside the service: the loop's `sem_post` waking a pool worker whose vCPU
//!   idled between requests takes about 50 µs, about 4 µs when it did not.
//! - **Kicking an idle vCPU costs the waker too** (`wake_idle_waker`, charged to its next
//!   burst like `wake_halted_waker`): on the afternoon host of 2026-12-02 the client's `send`
//!   took 1.7 µs when the event loop it woke shared its CPU and 14.1 µs when the loop was on
//!   the other, idle one; the loop's waking `sem_post` 12–16 µs against 0.03 µs for one
//!   nobody waits on (live GIL traces, `crate::calibrate::trace_wakes`). The service's
//!   system-call costs are the local ones, so a wake-up across CPUs costs what it did live
//!   and one on the waker's own CPU does not.
//! - **Arrival**: the policy places the thread (`enqueue`); it runs at once on an empty core,
//!   or preempts the current thread if the policy says so (wakeup preemption).

use super::policy::{Enqueue, SchedPolicy};
use super::{CoreId, Machine, MachineEvent, RunQueues, ThreadId, ThreadRunState};
use crate::kernel::{EventQueue, SimDuration};

impl Machine {
    /// Wakes a blocked thread. `waker` is the thread doing the waking, if it is running on a
    /// core (for wake-affine placement and local wake-up cost). Waking a thread that is not
    /// blocked does nothing (the wake-up is lost, as a futex wake with no sleeper).
    pub fn wake<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        waker: Option<ThreadId>,
        q: &mut EventQueue<E>,
    ) {
        if self.threads[t.0 as usize].state != ThreadRunState::Blocked {
            return;
        }
        let waker_core = waker.and_then(|w| {
            let th = &self.threads[w.0 as usize];
            (th.state == ThreadRunState::Running)
                .then_some(th.core)
                .flatten()
        });
        let target = self
            .policy
            .wakes_on(t)
            .unwrap_or_else(|| self.select_core(t, waker_core));
        let local = Some(target) == waker_core;
        if local
            && self.costs.wake_local == SimDuration::ZERO
            && self.policy.enqueues_local_wakeup_at_once()
        {
            self.enqueue_at_once(t, target, q);
            return;
        }
        let now = q.now().0;
        let core = &self.cores[target.0 as usize];
        let kicked = core.current.is_none()
            && core.queue.is_empty()
            && core.incoming > 0
            && core.kicked_until > now;
        let delay = if local {
            self.costs.wake_local
        } else if kicked {
            // The vCPU is already being woken by an earlier wake-up: this one rides on that
            // kick and its thread reaches the queue when the vCPU is back, right after the
            // first one. Linux queues a remote wake-up on the target CPU's list and sends the
            // IPI only when that list was empty (`kernel/smp.c`, `__smp_call_single_queue`:
            // `if (llist_add(...)) send_call_function_single_ipi(cpu)`), so the second waker
            // pays no IPI and no VM exit (traced: the loop's
            // `sem_post` kicked CPU 1 for 11 us; its `drop_gil` signal 23 us later returned in
            // 0.1 us, and the GIL waiter it woke ran right after the `sem_post`'s wakee).
            SimDuration(core.kicked_until.saturating_sub(now))
        } else {
            self.remote_wake_delay(target, waker.filter(|_| waker_core.is_some()), now)
        };
        self.cores[target.0 as usize].incoming += 1;
        self.threads[t.0 as usize].state = ThreadRunState::Waking;
        q.schedule_in(
            delay,
            MachineEvent::WakeArrive {
                thread: t,
                core: target,
            }
            .into(),
        );
    }

    /// The delay of a wake-up onto another core that no earlier kick covers: a busy core's
    /// wake-up, or an idle one's (within the halt-poll window or halted) with the kick the
    /// running `waker` pays in its system call. A kicked idle core remembers when the kick
    /// lands ([`super::cores`]'s `kicked_until`).
    fn remote_wake_delay(
        &mut self,
        target: CoreId,
        waker: Option<ThreadId>,
        now: u64,
    ) -> SimDuration {
        let core = &self.cores[target.0 as usize];
        let (base, j, kick) = if !core.is_idle() {
            (
                self.costs.wake_busy,
                self.costs.wake_jitter,
                SimDuration::ZERO,
            )
        } else if now - core.idle_since < self.costs.halt_poll.0 {
            let c = &self.costs;
            (c.wake_idle, c.wake_jitter, c.wake_idle_waker)
        } else {
            let c = &self.costs;
            (c.wake_halted, c.wake_halted_jitter, c.wake_halted_waker)
        };
        // The kick of the idle vCPU: the waker's system call is that much longer, and the
        // wakee runs `wake_idle`/`wake_halted` after that call's end (as the traces
        // measure it), so after the kick too. With no running waker (a timer) the vCPU
        // is kicked all the same, by the host, and nobody's call is longer.
        if let Some(w) = waker {
            self.threads[w.0 as usize].owed += kick.0;
        }
        let j = j.as_nanos();
        let delay = base + kick + SimDuration(if j > 0 { self.rng.below(j + 1) } else { 0 });
        let core = &mut self.cores[target.0 as usize];
        if core.is_idle() {
            core.kicked_until = now + delay.0;
        }
        delay
    }

    /// The core a woken thread goes to (see the module documentation).
    fn select_core(&self, t: ThreadId, waker_core: Option<CoreId>) -> CoreId {
        let th = &self.threads[t.0 as usize];
        let n = self.cores.len();
        let prev = th
            .prev_core
            .map(|c| c.0 as usize)
            .filter(|&c| th.allowed_on(c))
            .unwrap_or_else(|| th.affinity.trailing_zeros() as usize);
        if self.cores[prev].is_idle() || self.costs.wake_on_prev {
            return CoreId(prev as u16);
        }
        for k in 1..n {
            let c = (prev + k) % n;
            if th.allowed_on(c) && self.cores[c].is_idle() {
                return CoreId(c as u16);
            }
        }
        if let Some(w) = waker_core {
            if th.allowed_on(w.0 as usize) {
                return w;
            }
        }
        CoreId(prev as u16)
    }

    /// A woken thread reaches core `c`'s run queue (or, if it was enqueued at once, this is
    /// its preemption check).
    #[inline]
    pub(super) fn arrive<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        c: CoreId,
        q: &mut EventQueue<E>,
    ) {
        if self.policy.enqueues_local_wakeup_at_once() {
            let th = &mut self.threads[t.0 as usize];
            if th.checks_pending > 0 {
                th.checks_pending -= 1;
                return self.wake_check(t, c, q);
            }
        }
        let now = q.now().0;
        self.cores[c.0 as usize].incoming -= 1;
        self.update_curr(c, now);
        self.enqueue_woken(t, c, now);
        self.run_or_preempt(t, c, q);
    }

    /// The policy places woken thread `t` on core `c`, and it joins the queue.
    #[inline]
    fn enqueue_woken(&mut self, t: ThreadId, c: CoreId, now: u64) {
        let prev = self.threads[t.0 as usize].prev_core;
        let rq = RunQueues::new(&self.cores);
        self.policy.enqueue(t, c, now, Enqueue::Wakeup { prev }, rq);
        let th = &mut self.threads[t.0 as usize];
        th.state = ThreadRunState::Queued;
        th.queued_since = now;
        th.core = Some(c);
        self.cores[c.0 as usize].queue.push(t);
    }

    /// Woken thread `t`, just queued on core `c`: runs at once on an empty core, preempts the
    /// current thread if the policy says so, or waits (and the core's tick is armed).
    #[inline]
    fn run_or_preempt<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        c: CoreId,
        q: &mut EventQueue<E>,
    ) {
        if self.cores[c.0 as usize].current.is_none() {
            self.dispatch_next(c, q);
        } else if self
            .policy
            .wakeup_preempts(t, c, RunQueues::new(&self.cores))
        {
            self.preempt(c, q);
        } else {
            self.arm_tick(c, q);
        }
    }

    /// A zero-cost wake-up onto the waker's own core, enqueued now, before the waker goes on;
    /// the preemption check follows at the same instant, as a `WakeArrive` counted in the
    /// thread's `checks_pending`.
    fn enqueue_at_once<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        c: CoreId,
        q: &mut EventQueue<E>,
    ) {
        let now = q.now().0;
        self.update_curr(c, now);
        self.enqueue_woken(t, c, now);
        self.threads[t.0 as usize].checks_pending += 1;
        q.schedule_in(
            SimDuration::ZERO,
            MachineEvent::WakeArrive { thread: t, core: c }.into(),
        );
    }

    /// The preemption check of a thread enqueued at once, if it still waits on that core.
    fn wake_check<E: From<MachineEvent>>(&mut self, t: ThreadId, c: CoreId, q: &mut EventQueue<E>) {
        let th = &self.threads[t.0 as usize];
        if th.state != ThreadRunState::Queued || th.core != Some(c) {
            return;
        }
        if self.cores[c.0 as usize].current.is_some() {
            self.update_curr(c, q.now().0);
        }
        self.run_or_preempt(t, c, q);
    }
}

#[cfg(test)]
mod tests {
    //! The enqueue-at-once path of zero-cost same-core wake-ups (which EEVDF takes),
    //! compared with the delayed path under one policy: CFS, and CFS asking for it.

    use super::super::cfs::Cfs;
    use super::super::scheduler::Scheduler;
    use super::super::{CoreId, Machine, MachineCosts, MachineEvent, Notice, ThreadRunState};
    use crate::kernel::{EventQueue, RngStreams, SimDuration};

    /// What T looked like just after W woke it: its state, the core's wake-ups in flight
    /// and its queue length.
    type AfterWake = (ThreadRunState, u32, usize);

    /// One core. W runs 3 ms, wakes T onto its own core at no cost, then computes 10 ms more
    /// (or blocks, with `then_block`); T blocks as soon as it runs. Returns how T looked just
    /// after the wake-up, and every notice with its time.
    fn wake_on_own_core(sync: bool, then_block: bool) -> (AfterWake, Vec<(u64, Notice)>) {
        let costs = MachineCosts {
            wake_jitter: SimDuration::ZERO,
            ..MachineCosts::default()
        };
        let cfs = Cfs::new(1, &costs);
        let policy = if sync {
            Scheduler::CfsSyncWake(cfs)
        } else {
            Scheduler::Cfs(cfs)
        };
        let mut m = Machine::with_policy(1, costs, policy, RngStreams::new(1).stream("w"));
        let (w, t) = (m.spawn(&[]), m.spawn(&[]));
        let mut q = EventQueue::<MachineEvent>::new();
        m.wake(w, None, &mut q);
        let (mut log, mut after_wake, mut w_idle) = (Vec::new(), None, 0);
        while let Some((now, ev)) = q.pop() {
            m.handle(ev, &mut q);
            while let Some(n) = m.next_notice() {
                log.push((now.0, n));
                match n {
                    Notice::Idle(x) if x == t => m.block(t, &mut q),
                    Notice::Idle(_) => {
                        w_idle += 1;
                        match w_idle {
                            1 => m.compute(w, SimDuration::from_millis(3), &mut q),
                            2 => {
                                m.wake(t, Some(w), &mut q);
                                let c = CoreId(0);
                                after_wake = Some((m.state(t), m.incoming(c), m.queued_on(c)));
                                if then_block {
                                    m.block(w, &mut q);
                                } else {
                                    m.compute(w, SimDuration::from_millis(10), &mut q);
                                }
                            }
                            _ => m.block(w, &mut q),
                        }
                    }
                    _ => {}
                }
            }
        }
        (after_wake.expect("W woke T"), log)
    }

    #[test]
    fn a_policy_may_enqueue_a_free_local_wakeup_at_once() {
        let costs = MachineCosts::default();
        let (c, wi) = (costs.ctx_switch.0, costs.wake_idle.0);
        let woke = wi + c + 3_000_000;
        for then_block in [false, true] {
            let (delayed, log) = wake_on_own_core(false, then_block);
            let (at_once, log_sync) = wake_on_own_core(true, then_block);
            // Through a zero-delay event, T is still on its way when W goes on; enqueued at
            // once, it already waits in the core's queue.
            assert_eq!(delayed, (ThreadRunState::Waking, 1, 0));
            assert_eq!(at_once, (ThreadRunState::Queued, 0, 1));
            // Under CFS the outcome is the same: T preempts W (3 ms ahead in virtual
            // runtime, more than wakeup_granularity) or takes the core W leaves.
            assert_eq!(log, log_sync);
            let (w, t) = (super::ThreadId(0), super::ThreadId(1));
            let mut expected = vec![(wi + c, Notice::Idle(w)), (woke, Notice::Idle(w))];
            if then_block {
                expected.push((woke + c, Notice::Idle(t)));
            } else {
                expected.extend([
                    (woke, Notice::Preempted(w)),
                    (woke + c, Notice::Idle(t)),
                    (woke + 2 * c, Notice::Resumed(w)),
                    (woke + 2 * c + 10_000_000, Notice::Idle(w)),
                ]);
            }
            assert_eq!(log, expected);
        }
    }
}
