//! The Completely Fair Scheduler policy, as Linux's `kernel/sched/fair.c` had it up to 6.5
//! (simplified: one weight, no nice levels, no group scheduling).
//!
//! - Each thread accumulates **virtual runtime** while it runs; a core picks the runnable
//!   thread with the least (ties: queue order).
//! - Each core keeps a monotonic `min_vruntime`: the least virtual runtime of its current and
//!   queued threads, never going back.
//! - A thread that slept gets its virtual runtime raised to at least
//!   `min_vruntime - sched_latency / 2` on wake-up (**sleeper credit**), so an I/O-bound
//!   thread waking on a core that a CPU-bound thread occupies usually **preempts** it (wakeup
//!   preemption when the current thread leads by more than `wakeup_granularity`).
//! - A thread that keeps running is preempted at a **timer tick** once it has had its slice
//!   (`sched_latency / nr_running`, at least `min_granularity`) and a queued thread has less
//!   virtual runtime.
//! - Virtual runtimes of different cores are not comparable: a thread moving to another core
//!   (woken there, or pulled by balancing) carries its lag relative to the old core's
//!   `min_vruntime`, not its absolute virtual runtime.
//! - An idle core pulls the waiting thread with the least virtual runtime.

use super::policy::{Dequeue, Enqueue, SchedPolicy};
use super::{CoreId, MachineCosts, RunQueues, ThreadId};

/// CFS's per-core state.
#[derive(Clone, Debug, Default)]
struct CfsCore {
    /// The core's virtual clock (`cfs_rq->min_vruntime`).
    min_vruntime: u64,
    /// When the current thread was put on the core (for slice accounting).
    on_since: u64,
    /// When the current thread's virtual runtime was last updated.
    accounted_at: u64,
}

/// The CFS policy: virtual runtimes per thread, virtual clocks per core, and the tunables.
#[derive(Clone, Debug)]
pub(crate) struct Cfs {
    /// Virtual runtime per thread, on the clock of the core it is on (or last was).
    vruntime: Vec<u64>,
    cores: Vec<CfsCore>,
    /// Sleeper credit: half the target latency.
    sleeper_credit: u64,
    sched_latency: u64,
    min_granularity: u64,
    wakeup_granularity: u64,
}

impl Cfs {
    /// CFS for `cores` cores with the tunables of `costs`.
    pub fn new(cores: usize, costs: &MachineCosts) -> Self {
        Cfs {
            vruntime: Vec::new(),
            cores: vec![CfsCore::default(); cores],
            sleeper_credit: costs.sched_latency.0 / 2,
            sched_latency: costs.sched_latency.0,
            min_granularity: costs.min_granularity.0,
            wakeup_granularity: costs.wakeup_granularity.0,
        }
    }

    #[inline]
    fn v(&self, t: ThreadId) -> u64 {
        self.vruntime[t.0 as usize]
    }

    /// Position of the queued thread with the least virtual runtime (ties: queue order).
    #[inline]
    fn min_queued(&self, c: CoreId, rq: RunQueues) -> Option<usize> {
        let q = rq.queued(c);
        (0..q.len()).min_by_key(|&i| (self.v(q[i]), i))
    }

    /// Re-bases `t`'s virtual runtime from core `from`'s clock to core `to`'s: it keeps its
    /// lag, not its absolute value.
    #[inline]
    fn carry_lag(&mut self, t: ThreadId, from: CoreId, to: CoreId) {
        let src_min = self.cores[from.0 as usize].min_vruntime;
        let dst_min = self.cores[to.0 as usize].min_vruntime;
        let v = &mut self.vruntime[t.0 as usize];
        *v = v.saturating_sub(src_min).saturating_add(dst_min);
    }
}

impl SchedPolicy for Cfs {
    fn spawn(&mut self, t: ThreadId) {
        debug_assert_eq!(t.0 as usize, self.vruntime.len());
        self.vruntime.push(0);
    }

    /// Brings the current thread's virtual runtime up to date and refreshes `min_vruntime`.
    #[inline]
    fn update_curr(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        let core = &mut self.cores[c.0 as usize];
        let ran = now.saturating_sub(core.accounted_at);
        core.accounted_at = now;
        let cur = rq.current(c);
        if let Some(cur) = cur {
            self.vruntime[cur.0 as usize] += ran;
        }
        let m = cur.iter().chain(rq.queued(c)).map(|&t| self.v(t)).min();
        if let Some(m) = m {
            let core = &mut self.cores[c.0 as usize];
            core.min_vruntime = core.min_vruntime.max(m);
        }
    }

    /// A woken thread moving cores carries its lag (against its old core's clock now), then
    /// gets the sleeper credit; a migrated one carries its lag.
    #[inline(always)]
    fn enqueue(&mut self, t: ThreadId, c: CoreId, _now: u64, why: Enqueue, _rq: RunQueues) {
        match why {
            Enqueue::Wakeup { prev } => {
                if let Some(p) = prev.filter(|&p| p != c) {
                    self.carry_lag(t, p, c);
                }
                let floor = self.cores[c.0 as usize]
                    .min_vruntime
                    .saturating_sub(self.sleeper_credit);
                let v = &mut self.vruntime[t.0 as usize];
                *v = (*v).max(floor);
            }
            Enqueue::Migrated { from } => self.carry_lag(t, from, c),
        }
    }

    /// Nothing to do: the time was charged just before, and a sleeper keeps its absolute
    /// virtual runtime (re-based on wake-up if it moves).
    #[inline]
    fn dequeue(&mut self, _t: ThreadId, _c: CoreId, _now: u64, _why: Dequeue, _rq: RunQueues) {}

    #[inline]
    fn wakeup_preempts(&mut self, woken: ThreadId, c: CoreId, rq: RunQueues) -> bool {
        let cur = rq.current(c).expect("wakeup preemption on a busy core");
        self.v(cur) > self.v(woken) + self.wakeup_granularity
    }

    #[inline]
    fn pick_next(&mut self, c: CoreId, rq: RunQueues) -> Option<usize> {
        self.min_queued(c, rq)
    }

    #[inline]
    fn set_next(&mut self, _t: ThreadId, c: CoreId, now: u64, _rq: RunQueues) {
        let core = &mut self.cores[c.0 as usize];
        core.on_since = now;
        core.accounted_at = now;
    }

    /// Preempts once the current thread has had its slice and a queued thread has less
    /// virtual runtime.
    #[inline]
    fn tick_preempts(&mut self, cur: ThreadId, c: CoreId, now: u64, rq: RunQueues) -> bool {
        let Some(pos) = self.min_queued(c, rq) else {
            return false;
        };
        let nr = rq.queued(c).len() as u64 + 1;
        let slice = (self.sched_latency / nr).max(self.min_granularity);
        let ran = now - self.cores[c.0 as usize].on_since;
        ran >= slice && self.v(rq.queued(c)[pos]) < self.v(cur)
    }

    /// The least virtual runtime first.
    #[inline]
    fn pull_rank(&self, t: ThreadId, _from: CoreId, _rq: RunQueues) -> i128 {
        self.v(t) as i128
    }
}
