//! The machine as a whole: its cores, its threads and the scheduling policy they run under;
//! building it, reading its state, and routing its own events.

use super::cores::{Core, Segment};
use super::policy::{SchedPolicy, SchedulerKind};
use super::scheduler::Scheduler;
use super::threads::Thread;
use super::{CoreId, MachineCosts, MachineEvent, Notice, RunQueues, ThreadId, ThreadRunState};
use crate::kernel::{EventQueue, SimDuration, SimRng, SimTime};
use std::collections::VecDeque;

/// Cores, threads and the scheduler.
#[derive(Clone, Debug)]
pub struct Machine {
    pub(super) costs: MachineCosts,
    pub(super) cores: Vec<Core>,
    pub(super) threads: Vec<Thread>,
    pub(super) policy: Scheduler,
    pub(super) notices: VecDeque<Notice>,
    /// Drives the wake-up jitter.
    pub(super) rng: SimRng,
    /// The core each [`super::MemoryDomain`] was last worked in on (by its number).
    pub(super) domain_core: Vec<Option<CoreId>>,
}

impl Machine {
    /// A machine with `cores` idle cores (1 to 64) under CFS; `rng` drives the wake-up
    /// jitter.
    pub fn new(cores: usize, costs: MachineCosts, rng: SimRng) -> Self {
        Self::with_scheduler(cores, costs, SchedulerKind::Cfs, rng)
    }

    /// A machine with `cores` idle cores (1 to 64) under the policy `scheduler`; `rng`
    /// drives the wake-up jitter.
    pub fn with_scheduler(
        cores: usize,
        costs: MachineCosts,
        scheduler: SchedulerKind,
        rng: SimRng,
    ) -> Self {
        Self::with_policy(cores, costs, Scheduler::new(scheduler, cores, &costs), rng)
    }

    pub(super) fn with_policy(
        cores: usize,
        costs: MachineCosts,
        policy: Scheduler,
        rng: SimRng,
    ) -> Self {
        assert!((1..=64).contains(&cores), "1 to 64 cores");
        Machine {
            costs,
            cores: (0..cores).map(|_| Core::new()).collect(),
            threads: Vec::new(),
            policy,
            notices: VecDeque::new(),
            rng,
            domain_core: Vec::new(),
        }
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self.cores.len()
    }

    /// The scheduler's costs.
    pub fn costs(&self) -> &MachineCosts {
        &self.costs
    }

    /// The scheduling policy the machine runs.
    pub fn scheduler(&self) -> SchedulerKind {
        self.policy.kind()
    }

    /// Creates a blocked thread allowed on the given cores (empty: all cores).
    pub fn spawn(&mut self, allowed: &[CoreId]) -> ThreadId {
        let all = if self.cores.len() == 64 {
            u64::MAX
        } else {
            (1u64 << self.cores.len()) - 1
        };
        let mut mask = allowed.iter().fold(0u64, |m, c| m | 1 << c.0) & all;
        if mask == 0 {
            mask = all;
        }
        self.threads.push(Thread::new(mask));
        let t = ThreadId(self.threads.len() as u32 - 1);
        self.policy.spawn(t);
        t
    }

    /// Marks `t` lean: a switch to it costs `ctx_switch_lean` (its working set is a few cache
    /// lines: no interpreter's state to bring back), not `ctx_switch`.
    pub fn set_lean(&mut self, t: ThreadId) {
        self.threads[t.0 as usize].lean = true;
    }

    /// The thread's scheduling state.
    pub fn state(&self, t: ThreadId) -> ThreadRunState {
        self.threads[t.0 as usize].state
    }

    /// The core the thread is on (running or queued), if any.
    pub fn core_of(&self, t: ThreadId) -> Option<CoreId> {
        self.threads[t.0 as usize].core
    }

    /// The core the thread last ran on.
    pub fn prev_core(&self, t: ThreadId) -> Option<CoreId> {
        self.threads[t.0 as usize].prev_core
    }

    /// The thread's allowed cores, as a bit mask.
    pub fn affinity_mask(&self, t: ThreadId) -> u64 {
        self.threads[t.0 as usize].affinity
    }

    /// True if the thread is on a core executing a burst right now.
    pub fn is_bursting(&self, t: ThreadId) -> bool {
        let th = &self.threads[t.0 as usize];
        match (th.state, th.core) {
            (ThreadRunState::Running, Some(c)) => {
                matches!(self.cores[c.0 as usize].segment, Segment::Burst { .. })
            }
            _ => false,
        }
    }

    /// The thread running on a core, if any.
    pub fn running_on(&self, c: CoreId) -> Option<ThreadId> {
        self.cores[c.0 as usize].current
    }

    /// Total time the thread has spent runnable in a run queue, waiting for a core, up to
    /// `now` (Linux's `run_delay`; a wait still going on counts up to `now`).
    pub fn run_delay(&self, t: ThreadId, now: SimTime) -> SimDuration {
        let th = &self.threads[t.0 as usize];
        let ongoing = match th.state {
            ThreadRunState::Queued => now.0.saturating_sub(th.queued_since),
            _ => 0,
        };
        SimDuration(th.run_delay + ongoing)
    }

    /// Total CPU time the thread has consumed in bursts.
    pub fn cpu_time(&self, t: ThreadId) -> SimDuration {
        SimDuration(self.threads[t.0 as usize].cpu_time)
    }

    /// Total time a core spent running bursts.
    pub fn core_busy(&self, c: CoreId) -> SimDuration {
        SimDuration(self.cores[c.0 as usize].busy_ns)
    }

    /// Number of threads queued (runnable, not running) on a core.
    pub fn queued_on(&self, c: CoreId) -> usize {
        self.cores[c.0 as usize].queue.len()
    }

    /// The threads queued (runnable, not running) on a core, in queue order. Read-only, for
    /// invariant checks.
    pub fn queued(&self, c: CoreId) -> &[ThreadId] {
        &self.cores[c.0 as usize].queue
    }

    /// Number of woken threads on their way to a core's run queue (wake-up in flight).
    pub fn incoming(&self, c: CoreId) -> u32 {
        self.cores[c.0 as usize].incoming
    }

    /// True if a core runs nothing, has nothing queued and nothing on its way (the state in
    /// which wake-up placement calls it idle).
    pub fn is_idle(&self, c: CoreId) -> bool {
        self.cores[c.0 as usize].is_idle()
    }

    /// Number of threads the machine knows.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// The oldest notice not yet taken (notices come out in the order they were made).
    #[inline]
    pub fn next_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// Handles one of the machine's own events.
    pub fn handle<E: From<MachineEvent>>(&mut self, ev: MachineEvent, q: &mut EventQueue<E>) {
        match ev {
            MachineEvent::WakeArrive { thread, core } => self.arrive(thread, core, q),
            MachineEvent::SegmentEnd { core, token } => {
                if self.cores[core.0 as usize].token == token {
                    self.segment_end(core, q);
                }
            }
            MachineEvent::Tick { core, token } => {
                let cr = &mut self.cores[core.0 as usize];
                if cr.tick_token == token {
                    cr.tick_pending = false;
                    self.tick(core, q);
                }
            }
        }
    }

    /// Charges core `c`'s current thread up to `now` (the policy's `update_curr`).
    #[inline]
    pub(super) fn update_curr(&mut self, c: CoreId, now: u64) {
        self.policy.update_curr(c, now, RunQueues::new(&self.cores));
    }
}
