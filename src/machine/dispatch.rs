//! Putting threads on cores and taking them off: dispatching the policy's pick onto an empty
//! core (with a context switch unless the same thread comes back), preempting the current
//! thread (its burst saved), and the end of a context switch (Linux's `__schedule` and
//! `context_switch`, reduced).

use super::cores::Segment;
use super::policy::SchedPolicy;
use super::{CoreId, Machine, MachineEvent, Notice, RunQueues, ThreadRunState};
use crate::kernel::{EventQueue, SimTime};

impl Machine {
    /// Takes the current thread off its core (saving its burst) and dispatches the next.
    pub(super) fn preempt<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let ci = c.0 as usize;
        self.update_curr(c, now);
        let cur = self.cores[ci].current.take().expect("preempt an idle core");
        if let Segment::Burst { start } = self.cores[ci].segment {
            let done = now - start;
            let unpassed = self.unplan_stalls(c, done);
            let th = &mut self.threads[cur.0 as usize];
            th.remaining -= done + unpassed;
            th.cpu_time += done;
            self.cores[ci].busy_ns += done;
        }
        let th = &mut self.threads[cur.0 as usize];
        th.state = ThreadRunState::Queued;
        th.queued_since = now;
        self.cores[ci].queue.push(cur);
        self.cores[ci].segment = Segment::Idle;
        self.cores[ci].token += 1;
        self.notices.push_back(Notice::Preempted(cur));
        self.dispatch_next(c, q);
    }

    /// Puts the runnable thread the policy picks on an empty core, pulling one from another
    /// core if this one has none queued.
    pub(super) fn dispatch_next<E: From<MachineEvent>>(
        &mut self,
        c: CoreId,
        q: &mut EventQueue<E>,
    ) {
        let ci = c.0 as usize;
        debug_assert!(self.cores[ci].current.is_none());
        let now = q.now().0;
        if self.cores[ci].queue.is_empty() {
            self.idle_pull(c, now);
        }
        let Some(pos) = self.policy.pick_next(c, RunQueues::new(&self.cores)) else {
            self.cores[ci].segment = Segment::Idle;
            self.cores[ci].idle_since = now;
            self.cores[ci].halted = true;
            return;
        };
        let t = self.cores[ci].queue.remove(pos);
        if std::mem::take(&mut self.cores[ci].halted) {
            self.cores[ci].refill_left = self.costs.halt_refill_work.0;
            let idle = now - self.cores[ci].idle_since;
            // Its caches stay cold until it has done that work (a start in between that ran
            // nothing, such as a GIL recheck that waits again, warms nothing).
            let level = self.costs.coldness_after(idle);
            let th = &mut self.threads[t.0 as usize];
            if level > th.cold_level {
                th.cold_level = level;
                th.cold_left = self.costs.cold_work.0;
            }
        }
        self.cores[ci].current = Some(t);
        self.policy.set_next(t, c, now, RunQueues::new(&self.cores));
        let th = &mut self.threads[t.0 as usize];
        th.run_delay += now - th.queued_since;
        th.state = ThreadRunState::Running;
        th.core = Some(c);
        th.prev_core = Some(c);
        let th_lean = th.lean;
        let core = &mut self.cores[ci];
        let switch = if core.last_thread == Some(t) {
            0
        } else if th_lean {
            self.costs.ctx_switch_lean.0
        } else {
            self.costs.ctx_switch.0
        };
        core.last_thread = Some(t);
        core.token += 1;
        if switch > 0 {
            core.segment = Segment::Switching;
            q.schedule_at(
                SimTime(now + switch),
                MachineEvent::SegmentEnd {
                    core: c,
                    token: core.token,
                }
                .into(),
            );
        } else {
            self.switched_in(c, q);
        }
        self.arm_tick(c, q);
    }

    /// The current thread is switched in: resume its burst, or report it idle.
    pub(super) fn switched_in<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        let t = self.cores[ci].current.expect("switched in");
        let now = q.now().0;
        if self.threads[t.0 as usize].has_burst {
            let work = self.threads[t.0 as usize].remaining;
            let stalls = self.plan_stalls(c, work);
            let th = &mut self.threads[t.0 as usize];
            th.remaining += stalls;
            let core = &mut self.cores[ci];
            core.segment = Segment::Burst { start: now };
            core.token += 1;
            q.schedule_at(
                SimTime(now + th.remaining),
                MachineEvent::SegmentEnd {
                    core: c,
                    token: core.token,
                }
                .into(),
            );
            self.notices.push_back(Notice::Resumed(t));
        } else {
            self.cores[ci].segment = Segment::Between;
            self.notices.push_back(Notice::Idle(t));
        }
    }
}
