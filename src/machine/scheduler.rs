//! The policy a machine runs, chosen by [`SchedulerKind`]: an enum over the policies, so
//! that each call is a `match` the compiler resolves (static dispatch, no virtual call on the
//! scheduler's hot paths).

use super::cfs::Cfs;
use super::eevdf::Eevdf;
use super::policy::{Dequeue, Enqueue, SchedPolicy, SchedulerKind};
use super::{CoreId, MachineCosts, RunQueues, ThreadId};

/// The policy a machine runs: one variant per [`SchedulerKind`].
#[derive(Clone, Debug)]
pub(crate) enum Scheduler {
    /// Linux's CFS.
    Cfs(Cfs),
    /// Linux's EEVDF.
    Eevdf(Eevdf),
    /// CFS with zero-cost same-core wake-ups enqueued at once: that mechanism path (which
    /// EEVDF takes) compared with CFS's own.
    #[cfg(test)]
    CfsSyncWake(Cfs),
}

/// Runs `$call` on the policy inside a [`Scheduler`], bound to `$p`.
macro_rules! each_policy {
    ($self:expr, $p:ident => $call:expr) => {
        match $self {
            Scheduler::Cfs($p) => $call,
            Scheduler::Eevdf($p) => $call,
            #[cfg(test)]
            Scheduler::CfsSyncWake($p) => $call,
        }
    };
}

impl Scheduler {
    /// The policy `kind` for a machine of `cores` cores with `costs`.
    pub fn new(kind: SchedulerKind, cores: usize, costs: &MachineCosts) -> Self {
        match kind {
            SchedulerKind::Cfs => Scheduler::Cfs(Cfs::new(cores, costs)),
            SchedulerKind::Eevdf => Scheduler::Eevdf(Eevdf::new(cores, costs)),
        }
    }

    /// Which policy this is.
    pub fn kind(&self) -> SchedulerKind {
        match self {
            Scheduler::Cfs(_) => SchedulerKind::Cfs,
            Scheduler::Eevdf(_) => SchedulerKind::Eevdf,
            #[cfg(test)]
            Scheduler::CfsSyncWake(_) => SchedulerKind::Cfs,
        }
    }
}

impl SchedPolicy for Scheduler {
    #[inline]
    fn spawn(&mut self, t: ThreadId) {
        each_policy!(self, p => p.spawn(t))
    }
    #[inline]
    fn update_curr(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        each_policy!(self, p => p.update_curr(c, now, rq))
    }
    #[inline]
    fn enqueue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Enqueue, rq: RunQueues) {
        each_policy!(self, p => p.enqueue(t, c, now, why, rq))
    }
    #[inline]
    fn dequeue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Dequeue, rq: RunQueues) {
        each_policy!(self, p => p.dequeue(t, c, now, why, rq))
    }
    #[inline]
    fn wakeup_preempts(&mut self, woken: ThreadId, c: CoreId, rq: RunQueues) -> bool {
        each_policy!(self, p => p.wakeup_preempts(woken, c, rq))
    }
    #[inline]
    fn pick_next(&mut self, c: CoreId, rq: RunQueues) -> Option<usize> {
        each_policy!(self, p => p.pick_next(c, rq))
    }
    #[inline]
    fn set_next(&mut self, t: ThreadId, c: CoreId, now: u64, rq: RunQueues) {
        each_policy!(self, p => p.set_next(t, c, now, rq))
    }
    #[inline]
    fn tick_preempts(&mut self, cur: ThreadId, c: CoreId, now: u64, rq: RunQueues) -> bool {
        each_policy!(self, p => p.tick_preempts(cur, c, now, rq))
    }
    #[inline]
    fn pull_rank(&self, t: ThreadId, from: CoreId, rq: RunQueues) -> i128 {
        each_policy!(self, p => p.pull_rank(t, from, rq))
    }
    #[inline]
    fn yield_current(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        each_policy!(self, p => p.yield_current(c, now, rq))
    }
    #[inline]
    fn wakes_on(&self, t: ThreadId) -> Option<CoreId> {
        each_policy!(self, p => p.wakes_on(t))
    }
    #[inline]
    fn enqueues_local_wakeup_at_once(&self) -> bool {
        match self {
            Scheduler::Cfs(p) => p.enqueues_local_wakeup_at_once(),
            Scheduler::Eevdf(p) => p.enqueues_local_wakeup_at_once(),
            #[cfg(test)]
            Scheduler::CfsSyncWake(_) => true,
        }
    }
}
