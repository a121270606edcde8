//! Moving queued threads to idle cores (Linux's idle balancing, reduced to its two
//! triggers):
//! - **Idle pull** (`newidle_balance`): a core going idle with nothing queued takes a waiting
//!   thread from another core's queue, the one the policy ranks first
//!   ([`pull_rank`](super::policy::SchedPolicy::pull_rank); CFS: the least virtual runtime),
//!   if the thread's affinity allows, and, when [`MachineCosts::idle_pull`] is below 1, with
//!   that probability (one draw from the machine's stream per chance to pull).
//! - **Tick balance** (nohz idle balance): a busy core's tick moves each thread waiting in its
//!   queue that may run on an idle core there, and that core runs it at once.
//!
//! Left out, on purpose: periodic load balancing between busy cores, NUMA, SMT siblings.

use super::policy::{Dequeue, Enqueue, SchedPolicy};
#[cfg(doc)]
use super::MachineCosts;
use super::{CoreId, Machine, MachineEvent, RunQueues};
use crate::kernel::EventQueue;

impl Machine {
    /// A core with nothing queued takes the queued thread the policy ranks first (ties: the
    /// lowest core, then queue order) from another core, if its affinity allows.
    pub(super) fn idle_pull(&mut self, c: CoreId, now: u64) {
        let ci = c.0 as usize;
        let rq = RunQueues::new(&self.cores);
        let mut best: Option<(i128, usize, usize)> = None;
        for (oi, other) in self.cores.iter().enumerate() {
            if oi == ci {
                continue;
            }
            for (pos, &t) in other.queue.iter().enumerate() {
                if !self.threads[t.0 as usize].allowed_on(ci) {
                    continue;
                }
                let rank = self.policy.pull_rank(t, CoreId(oi as u16), rq);
                let key = (rank, oi, pos);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        let Some((_, oi, pos)) = best else {
            return;
        };
        let share = self.costs.idle_pull;
        if share < 1.0 && !self.rng.chance(share) {
            return;
        }
        self.migrate(oi, pos, ci, now);
    }

    /// Idle balancing driven by a busy core's tick (Linux's nohz idle balance): each thread
    /// waiting in this core's queue that may run on an idle core moves there and runs.
    /// Without it a thread could wait behind a long burst while a core it may use sits idle
    /// (only a core going idle pulled work).
    pub(super) fn tick_balance<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        let mut pos = 0;
        while pos < self.cores[ci].queue.len() {
            let t = self.cores[ci].queue[pos];
            let th = &self.threads[t.0 as usize];
            let target = (0..self.cores.len())
                .find(|&k| k != ci && th.allowed_on(k) && self.cores[k].is_idle());
            let Some(k) = target else {
                pos += 1;
                continue;
            };
            // The thread stays runnable: it moves to the idle core's queue (its virtual time
            // carried as lag) and that core takes it at once, paying a context switch.
            self.migrate(ci, pos, k, q.now().0);
            self.dispatch_next(CoreId(k as u16), q);
        }
    }

    /// Moves the thread at `pos` in core `src`'s queue to the end of core `dst`'s queue; the
    /// policy re-bases its virtual time.
    fn migrate(&mut self, src: usize, pos: usize, dst: usize, now: u64) {
        let (from, to) = (CoreId(src as u16), CoreId(dst as u16));
        let t = self.cores[src].queue[pos];
        let rq = RunQueues::new(&self.cores);
        self.policy.dequeue(t, from, now, Dequeue::Migrate, rq);
        self.cores[src].queue.remove(pos);
        let rq = RunQueues::new(&self.cores);
        self.policy
            .enqueue(t, to, now, Enqueue::Migrated { from }, rq);
        self.threads[t.0 as usize].core = Some(to);
        self.cores[dst].queue.push(t);
    }
}
