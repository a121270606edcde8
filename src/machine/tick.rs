//! The timer tick (Linux's `scheduler_tick`): armed on a core only while threads wait there,
//! it charges the current thread, balances waiting threads onto idle cores, and asks the
//! policy whether the current thread has had its slice (tick preemption).

use super::policy::SchedPolicy;
use super::{CoreId, Machine, MachineEvent, RunQueues};
use crate::kernel::{EventQueue, SimTime};

impl Machine {
    /// Schedules the next tick on a core that has threads waiting, if none is pending.
    /// Ticks fall on multiples of the tick period.
    pub(super) fn arm_tick<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let tick = self.costs.tick.0;
        let core = &mut self.cores[c.0 as usize];
        if core.tick_pending || core.queue.is_empty() || core.current.is_none() || tick == 0 {
            return;
        }
        let now = q.now().0;
        let next = (now / tick + 1) * tick;
        core.tick_pending = true;
        core.tick_token += 1;
        q.schedule_at(
            SimTime(next),
            MachineEvent::Tick {
                core: c,
                token: core.tick_token,
            }
            .into(),
        );
    }

    /// A tick on core `c`: charge, balance, then preempt or re-arm.
    pub(super) fn tick<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let ci = c.0 as usize;
        self.update_curr(c, now);
        self.tick_balance(c, q);
        let Some(cur) = self.cores[ci].current else {
            return;
        };
        if self.cores[ci].queue.is_empty() {
            return;
        }
        let rq = RunQueues::new(&self.cores);
        if self.policy.tick_preempts(cur, c, now, rq) {
            self.preempt(c, q);
        } else {
            self.arm_tick(c, q);
        }
    }
}
