//! The scheduling policy: every decision the fair scheduler makes, as one trait, and the
//! choice of policy a machine is built with.
//!
//! The machine's mechanism (cores, run states, segments and cuts, wake-up placement and cost,
//! affinity, ticks, idle balancing, notices: the rest of [`crate::machine`]) calls the policy
//! at fixed points and does what it answers. The split follows Linux's `sched_class`
//! (`kernel/sched/sched.h`): the core scheduler (`kernel/sched/core.c`) moves tasks between
//! run queues, and the class (`kernel/sched/fair.c`) keeps the virtual times and decides
//! who runs. Each method names the hook it stands for.
//!
//! # Adding a policy
//! A policy is one file implementing [`SchedPolicy`] (CFS: [`super::cfs`]; EEVDF:
//! [`super::eevdf`]) plus a variant of [`SchedulerKind`] and of `Scheduler` (`scheduler.rs`),
//! and one arm in `Scheduler::new`, `Scheduler::kind`, the `each_policy!` macro and
//! `Scheduler::enqueues_local_wakeup_at_once`. Its tunables are fields of
//! [`MachineCosts`](super::MachineCosts) (serde default, so existing files still load).
//! EEVDF shows how Linux's class hooks map onto the methods: the pick (earliest eligible
//! deadline, run to parity, delayed threads leaving when picked) onto `pick_next` and
//! `set_next`; deadlines renewed as time is charged onto `update_curr`; lag saved on sleep
//! and delayed dequeue onto `dequeue`; lag restored on wake-up onto `enqueue`; lag carried on
//! migration onto `dequeue`/`enqueue` with `Migrate`/`Migrated`; the pick-based wakeup
//! preemption onto `wakeup_preempts`; the protected slice at the tick onto `tick_preempts`;
//! the idle pull order onto `pull_rank`; a delayed thread woken where it is onto `wakes_on`;
//! the same-core enqueue before the waker goes on onto `enqueues_local_wakeup_at_once`; the
//! slice scaled by the number of cores onto the constructor.
//!
//! Dispatch is static: `Scheduler` (`scheduler.rs`) is an enum and each call is a `match` the compiler
//! resolves (with one policy, a direct call), so the scheduler's hot paths pay no virtual
//! call. The forwarding `match` is a ten-line macro rather than a dispatch-generating crate
//! (`enum_dispatch`): the generated code would be the same, and this needs no procedural
//! macro linking a trait and an enum defined in different files.

use super::{CoreId, RunQueues, ThreadId};
use serde::{Deserialize, Serialize};

/// Which scheduling policy a machine runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    /// Linux's Completely Fair Scheduler as it was up to 6.5 (`kernel/sched/fair.c`): least
    /// virtual runtime first, sleeper credit, wakeup and tick preemption by granularity.
    Cfs,
    /// Linux's EEVDF scheduler, the fair class from 6.6 on (`kernel/sched/fair.c` of 6.18):
    /// earliest eligible virtual deadline first, lag kept across sleep, run to parity,
    /// delayed dequeue (see `eevdf.rs`). The default: the live machine's kernel (6.18) runs
    /// it, and its traces show what only this policy has (a woken thread waiting for the
    /// running one's slice to end at a tick; the run-queue waits of the convoy's light
    /// workers: see the README, "Which scheduler").
    #[default]
    Eevdf,
}

/// Why a thread joins a core's runnable set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enqueue {
    /// It was woken (`ENQUEUE_WAKEUP`); `prev` is the core it last ran on, if any.
    Wakeup {
        /// The core it last ran (or blocked) on.
        prev: Option<CoreId>,
    },
    /// It was moved from another core's queue by balancing (`ENQUEUE_MIGRATED`).
    Migrated {
        /// The core it comes from (its queue no longer holds it).
        from: CoreId,
    },
}

/// Why a thread leaves a core's runnable set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dequeue {
    /// It blocks (`DEQUEUE_SLEEP`); it is still the core's current thread during the call.
    Sleep,
    /// Balancing moves it to another core; it is still in this core's queue during the call.
    Migrate,
}

/// Every decision of a fair scheduling policy. Times are nanoseconds of virtual time; `rq`
/// shows every core's current thread and queue at the moment of the call (what each method
/// may assume about the thread it is told about is in its doc).
pub(crate) trait SchedPolicy {
    /// A new thread, blocked and never run (`task_fork_fair`; threads are numbered from 0).
    fn spawn(&mut self, t: ThreadId);

    /// Charges core `c`'s current thread (if any) for the time since the last charge and
    /// advances the core's virtual clock (`update_curr`). Called when a thread is cut,
    /// blocks, is preempted, when a woken thread arrives, and at each tick.
    fn update_curr(&mut self, c: CoreId, now: u64, rq: RunQueues);

    /// Thread `t` joins core `c`'s runnable set (`enqueue_task_fair`, `place_entity`); it is
    /// in no queue during the call and is pushed onto `c`'s queue right after.
    fn enqueue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Enqueue, rq: RunQueues);

    /// Thread `t` leaves core `c`'s runnable set (`dequeue_task_fair`); see [`Dequeue`] for
    /// where it still is during the call.
    fn dequeue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Dequeue, rq: RunQueues);

    /// Whether `woken`, just queued on core `c` whose current thread runs, takes the core at
    /// once (`check_preempt_wakeup_fair`).
    /// The policy may update its own state as the reschedule this stands for would
    /// (EEVDF: delayed threads the pick meets leave the run queue).
    fn wakeup_preempts(&mut self, woken: ThreadId, c: CoreId, rq: RunQueues) -> bool;

    /// The position, in core `c`'s queue, of the thread to run next on the empty core
    /// (`pick_next_task_fair`); None leaves it idle. The policy may update its own state as
    /// the pick does (EEVDF: delayed threads the pick meets leave the run queue).
    fn pick_next(&mut self, c: CoreId, rq: RunQueues) -> Option<usize>;

    /// Thread `t` was just made core `c`'s current thread (`set_next_entity`).
    fn set_next(&mut self, t: ThreadId, c: CoreId, now: u64, rq: RunQueues);

    /// At a tick on core `c`, already charged, with `cur` running and at least one thread
    /// queued: whether `cur` must yield the core (`task_tick_fair`).
    fn tick_preempts(&mut self, cur: ThreadId, c: CoreId, now: u64, rq: RunQueues) -> bool;

    /// How urgently thread `t`, queued on core `from`, should be pulled by an idle core
    /// (`newidle_balance`): the lowest rank is pulled first (ties: lowest core, then queue
    /// order).
    fn pull_rank(&self, t: ThreadId, from: CoreId, rq: RunQueues) -> i128;

    /// Core `c`'s current thread calls `sched_yield` with other threads queued
    /// (`yield_task_fair`): charge it; the pick that follows decides who runs. The default
    /// changes nothing else (CFS's skip buddy is not modelled).
    fn yield_current(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        self.update_curr(c, now, rq);
    }

    /// The core whose run queue still holds blocked thread `t`, if any: a wake-up sends it
    /// back there, choosing no core (Linux's `ttwu_runnable`, for a task still `on_rq`:
    /// EEVDF's delayed dequeue). None: wake-up placement chooses (`select_task_rq`).
    fn wakes_on(&self, _t: ThreadId) -> Option<CoreId> {
        None
    }

    /// Whether a wake-up onto the waker's own core that costs nothing (`wake_local` zero) puts
    /// the thread on that core's queue at once, before the waker goes on (Linux's
    /// `ttwu_queue`, direct), instead of through a zero-delay event that lets the waker act
    /// (and perhaps block) first. False: the latter, as the CFS model does.
    fn enqueues_local_wakeup_at_once(&self) -> bool {
        false
    }
}
