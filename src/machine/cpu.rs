//! Cores, run queues and the fair scheduler. See the module documentation of
//! [`crate::machine`] for what is modelled.

use crate::kernel::{EventQueue, SimDuration, SimRng, SimTime, TraceKey};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A thread known to the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ThreadId(pub u32);

/// A CPU core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CoreId(pub u16);

/// Costs and tunables of the OS scheduler and the CPUs. Defaults: a 2-vCPU Linux VM with
/// HZ=250, as measured in `shared/design/model.md` section 5.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MachineCosts {
    /// Switching a core to a different thread (saving and loading state, cache refill).
    pub ctx_switch: SimDuration,
    /// Extra delay before a thread woken onto an **idle** core runs (a halted vCPU's exit).
    pub wake_idle: SimDuration,
    /// Extra delay before a thread woken onto another, **busy** core is enqueued there (IPI).
    pub wake_busy: SimDuration,
    /// Extra delay before a thread woken onto the **waker's own** core is enqueued.
    pub wake_local: SimDuration,
    /// Random extra delay, uniform in [0, this], added to every wake-up onto another core
    /// (idle or busy): real wake-ups vary, and races between a woken thread and a running one
    /// (who takes a just-released GIL first) go either way. Drawn from a seeded stream.
    pub wake_jitter: SimDuration,
    /// The timer tick (1/HZ).
    pub tick: SimDuration,
    /// CFS target latency: the period within which every runnable thread should run once.
    pub sched_latency: SimDuration,
    /// CFS minimum slice.
    pub min_granularity: SimDuration,
    /// CFS wakeup preemption threshold.
    pub wakeup_granularity: SimDuration,
}

impl Default for MachineCosts {
    fn default() -> Self {
        MachineCosts {
            ctx_switch: SimDuration::from_nanos(2_500),
            wake_idle: SimDuration::from_nanos(17_500),
            wake_busy: SimDuration::from_nanos(7_500),
            wake_local: SimDuration::ZERO,
            wake_jitter: SimDuration::from_micros(10),
            tick: SimDuration::from_millis(4),
            sched_latency: SimDuration::from_millis(12),
            min_granularity: SimDuration::from_micros(1_500),
            wakeup_granularity: SimDuration::from_millis(2),
        }
    }
}

/// The machine's own events, wrapped by the model that owns the event queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineEvent {
    /// A woken thread reaches its target core's run queue.
    WakeArrive {
        /// The thread.
        thread: ThreadId,
        /// The core chosen at wake-up.
        core: CoreId,
    },
    /// The segment a core is running ends (a burst, or a context switch in progress).
    SegmentEnd {
        /// The core.
        core: CoreId,
        /// Matches the core's current segment token, or the event is stale.
        token: u64,
    },
    /// A timer tick on a core with waiting threads.
    Tick {
        /// The core.
        core: CoreId,
        /// Matches the core's tick token, or the event is stale.
        token: u64,
    },
}

impl TraceKey for MachineEvent {
    fn trace_key(&self) -> u64 {
        match *self {
            MachineEvent::WakeArrive { thread, core } => {
                1 | (thread.0 as u64) << 8 | (core.0 as u64) << 40
            }
            MachineEvent::SegmentEnd { core, token } => 2 | (core.0 as u64) << 8 | token << 24,
            MachineEvent::Tick { core, token } => 3 | (core.0 as u64) << 8 | token << 24,
        }
    }
}

/// What the machine tells the layer above after handling an event or a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The thread is running on a core with nothing to do: its burst finished, or it was
    /// just dispatched after a wake-up. The layer above must call [`Machine::compute`] or
    /// [`Machine::block`] for it before handling anything else.
    Idle(ThreadId),
    /// A preempted thread got a core back and resumes its burst.
    Resumed(ThreadId),
    /// A running thread lost its core (its burst is saved).
    Preempted(ThreadId),
}

/// Where a thread stands with the OS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ThreadRunState {
    /// Not runnable (sleeping in the kernel) and not being woken.
    Blocked,
    /// Woken; on its way to a core's run queue.
    Waking,
    /// Runnable, waiting in a core's run queue.
    Queued,
    /// On a core (running a burst, switching in, or between bursts).
    Running,
}

#[derive(Clone, Debug)]
struct Thread {
    affinity: u64,
    state: ThreadRunState,
    core: Option<CoreId>,
    prev_core: Option<CoreId>,
    vruntime: u64,
    /// Work left in the current burst (zero: none).
    remaining: u64,
    has_burst: bool,
    cpu_time: u64,
}

#[derive(Clone, Debug)]
enum Segment {
    Idle,
    /// Switching in `thread`; then it resumes its burst or becomes idle-running.
    Switching,
    /// Running `thread`'s burst since `start`.
    Burst {
        start: u64,
    },
    /// The thread is on the core but has no burst (only between calls, at one instant).
    Between,
}

#[derive(Clone, Debug)]
struct Core {
    current: Option<ThreadId>,
    segment: Segment,
    token: u64,
    queue: Vec<ThreadId>,
    incoming: u32,
    min_vruntime: u64,
    last_thread: Option<ThreadId>,
    /// When the current thread was put on the core (for slice accounting).
    on_since: u64,
    /// When vruntime of the current thread was last updated.
    accounted_at: u64,
    tick_token: u64,
    tick_pending: bool,
    busy_ns: u64,
}

/// Cores, threads and the scheduler.
#[derive(Clone, Debug)]
pub struct Machine {
    costs: MachineCosts,
    cores: Vec<Core>,
    threads: Vec<Thread>,
    notices: VecDeque<Notice>,
    rng: SimRng,
}

impl Machine {
    /// A machine with `cores` idle cores (1 to 64); `rng` drives the wake-up jitter.
    pub fn new(cores: usize, costs: MachineCosts, rng: SimRng) -> Self {
        assert!((1..=64).contains(&cores), "1 to 64 cores");
        Machine {
            costs,
            cores: (0..cores)
                .map(|_| Core {
                    current: None,
                    segment: Segment::Idle,
                    token: 0,
                    queue: Vec::new(),
                    incoming: 0,
                    min_vruntime: 0,
                    last_thread: None,
                    on_since: 0,
                    accounted_at: 0,
                    tick_token: 0,
                    tick_pending: false,
                    busy_ns: 0,
                })
                .collect(),
            threads: Vec::new(),
            notices: VecDeque::new(),
            rng,
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
        self.threads.push(Thread {
            affinity: mask,
            state: ThreadRunState::Blocked,
            core: None,
            prev_core: None,
            vruntime: 0,
            remaining: 0,
            has_burst: false,
            cpu_time: 0,
        });
        ThreadId(self.threads.len() as u32 - 1)
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
        self.core_idle(c.0 as usize)
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

    fn core_idle(&self, c: usize) -> bool {
        let core = &self.cores[c];
        core.current.is_none() && core.queue.is_empty() && core.incoming == 0
    }

    /// Starts a burst of `work` for a thread that is on a core with nothing to do.
    pub fn compute<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        q: &mut EventQueue<E>,
    ) {
        let th = &mut self.threads[t.0 as usize];
        assert_eq!(
            th.state,
            ThreadRunState::Running,
            "compute on a thread not on a core"
        );
        let c = th.core.expect("running thread has a core");
        th.remaining = work.0;
        th.has_burst = true;
        let core = &mut self.cores[c.0 as usize];
        debug_assert!(matches!(core.segment, Segment::Between));
        let now = q.now().0;
        core.segment = Segment::Burst { start: now };
        core.token += 1;
        q.schedule_at(
            SimTime(now + work.0),
            MachineEvent::SegmentEnd {
                core: c,
                token: core.token,
            }
            .into(),
        );
    }

    /// Ends the running thread's burst now; returns the work left. The thread stays on its
    /// core with nothing to do: the caller must then call `compute` or `block` for it.
    pub fn cut<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        q: &mut EventQueue<E>,
    ) -> SimDuration {
        let now = q.now().0;
        let c = self.threads[t.0 as usize].core.expect("cut: not on a core");
        let core = &mut self.cores[c.0 as usize];
        let Segment::Burst { start } = core.segment else {
            panic!("cut: thread is not running a burst")
        };
        let done = now - start;
        core.busy_ns += done;
        core.segment = Segment::Between;
        core.token += 1;
        let th = &mut self.threads[t.0 as usize];
        th.cpu_time += done;
        let left = th.remaining - done;
        th.remaining = 0;
        th.has_burst = false;
        self.account(c, now);
        SimDuration(left)
    }

    /// The running thread (with nothing to do) leaves its core and sleeps until woken.
    pub fn block<E: From<MachineEvent>>(&mut self, t: ThreadId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let th = &mut self.threads[t.0 as usize];
        assert_eq!(
            th.state,
            ThreadRunState::Running,
            "block: thread not running"
        );
        assert!(!th.has_burst, "block: thread has a burst in progress");
        let c = th.core.take().expect("running thread has a core");
        th.state = ThreadRunState::Blocked;
        th.prev_core = Some(c);
        self.account(c, now);
        let core = &mut self.cores[c.0 as usize];
        core.current = None;
        core.segment = Segment::Idle;
        core.token += 1;
        self.dispatch_next(c, q);
    }

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
        let target = self.select_core(t, waker_core);
        let delay = if Some(target) == waker_core {
            self.costs.wake_local
        } else {
            let base = if self.core_idle(target.0 as usize) {
                self.costs.wake_idle
            } else {
                self.costs.wake_busy
            };
            let j = self.costs.wake_jitter.as_nanos();
            base + SimDuration(if j > 0 { self.rng.below(j + 1) } else { 0 })
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

    fn select_core(&self, t: ThreadId, waker_core: Option<CoreId>) -> CoreId {
        let th = &self.threads[t.0 as usize];
        let allowed = |c: usize| th.affinity & (1 << c) != 0;
        let n = self.cores.len();
        let prev = th
            .prev_core
            .map(|c| c.0 as usize)
            .filter(|&c| allowed(c))
            .unwrap_or_else(|| th.affinity.trailing_zeros() as usize);
        if self.core_idle(prev) {
            return CoreId(prev as u16);
        }
        for k in 1..n {
            let c = (prev + k) % n;
            if allowed(c) && self.core_idle(c) {
                return CoreId(c as u16);
            }
        }
        if let Some(w) = waker_core {
            if allowed(w.0 as usize) {
                return w;
            }
        }
        CoreId(prev as u16)
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

    fn arrive<E: From<MachineEvent>>(&mut self, t: ThreadId, c: CoreId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let ci = c.0 as usize;
        self.cores[ci].incoming -= 1;
        self.account(c, now);
        let min_v = self.cores[ci].min_vruntime;
        let credit = self.costs.sched_latency.0 / 2;
        // Moving to another core: carry the thread's lag relative to its old core's
        // min_vruntime, not its absolute vruntime (per-core clocks drift apart).
        let prev_min = self.threads[t.0 as usize]
            .prev_core
            .filter(|&p| p != c)
            .map(|p| self.cores[p.0 as usize].min_vruntime);
        let th = &mut self.threads[t.0 as usize];
        if let Some(pm) = prev_min {
            th.vruntime = th.vruntime.saturating_sub(pm).saturating_add(min_v);
        }
        // Sleeper credit.
        th.vruntime = th.vruntime.max(min_v.saturating_sub(credit));
        th.state = ThreadRunState::Queued;
        th.core = Some(c);
        let woken_v = th.vruntime;
        self.cores[ci].queue.push(t);
        match self.cores[ci].current {
            None => self.dispatch_next(c, q),
            Some(cur) => {
                let cur_v = self.threads[cur.0 as usize].vruntime;
                if cur_v > woken_v + self.costs.wakeup_granularity.0 {
                    self.preempt(c, q);
                } else {
                    self.arm_tick(c, q);
                }
            }
        }
    }

    /// Brings the current thread's vruntime up to date and refreshes min_vruntime.
    fn account(&mut self, c: CoreId, now: u64) {
        let core = &mut self.cores[c.0 as usize];
        let ran = now.saturating_sub(core.accounted_at);
        core.accounted_at = now;
        if let Some(cur) = core.current {
            self.threads[cur.0 as usize].vruntime += ran;
        }
        let core = &self.cores[c.0 as usize];
        let mut m = u64::MAX;
        if let Some(cur) = core.current {
            m = self.threads[cur.0 as usize].vruntime;
        }
        for &t in &core.queue {
            m = m.min(self.threads[t.0 as usize].vruntime);
        }
        if m != u64::MAX {
            let core = &mut self.cores[c.0 as usize];
            core.min_vruntime = core.min_vruntime.max(m);
        }
    }

    /// Takes the current thread off its core (saving its burst) and dispatches the next.
    fn preempt<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let ci = c.0 as usize;
        self.account(c, now);
        let cur = self.cores[ci].current.take().expect("preempt an idle core");
        let th = &mut self.threads[cur.0 as usize];
        if let Segment::Burst { start } = self.cores[ci].segment {
            let done = now - start;
            th.remaining -= done;
            th.cpu_time += done;
            self.cores[ci].busy_ns += done;
        }
        th.state = ThreadRunState::Queued;
        self.cores[ci].queue.push(cur);
        self.cores[ci].segment = Segment::Idle;
        self.cores[ci].token += 1;
        self.notices.push_back(Notice::Preempted(cur));
        self.dispatch_next(c, q);
    }

    /// Puts the runnable thread with the least vruntime on an empty core, pulling one from
    /// another core if this one has none.
    fn dispatch_next<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        debug_assert!(self.cores[ci].current.is_none());
        if self.cores[ci].queue.is_empty() {
            self.idle_pull(c);
        }
        let Some(pos) = self.min_queued(ci) else {
            self.cores[ci].segment = Segment::Idle;
            return;
        };
        let now = q.now().0;
        let t = self.cores[ci].queue.remove(pos);
        let core = &mut self.cores[ci];
        core.current = Some(t);
        core.on_since = now;
        core.accounted_at = now;
        let th = &mut self.threads[t.0 as usize];
        th.state = ThreadRunState::Running;
        th.core = Some(c);
        th.prev_core = Some(c);
        let switch = if core.last_thread == Some(t) {
            0
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

    fn min_queued(&self, ci: usize) -> Option<usize> {
        let q = &self.cores[ci].queue;
        (0..q.len()).min_by_key(|&i| (self.threads[q[i].0 as usize].vruntime, i))
    }

    /// A core with nothing queued takes the queued thread with the least vruntime (ties: the
    /// lowest core, then queue order) from another core, if its affinity allows.
    fn idle_pull(&mut self, c: CoreId) {
        let ci = c.0 as usize;
        let mut best: Option<(u64, usize, usize)> = None;
        for (oi, other) in self.cores.iter().enumerate() {
            if oi == ci {
                continue;
            }
            for (pos, &t) in other.queue.iter().enumerate() {
                let th = &self.threads[t.0 as usize];
                if th.affinity & (1 << ci) == 0 {
                    continue;
                }
                let key = (th.vruntime, oi, pos);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        if let Some((_, oi, pos)) = best {
            let t = self.cores[oi].queue.remove(pos);
            let src_min = self.cores[oi].min_vruntime;
            let dst_min = self.cores[ci].min_vruntime;
            let th = &mut self.threads[t.0 as usize];
            th.vruntime = th.vruntime.saturating_sub(src_min).saturating_add(dst_min);
            th.core = Some(c);
            self.cores[ci].queue.push(t);
        }
    }

    /// Idle balancing driven by a busy core's tick (Linux's nohz idle balance): each thread
    /// waiting in this core's queue that may run on an idle core moves there and runs. Without it a thread could wait behind a long burst while
    /// a core it may use sits idle (only a core going idle pulled work).
    fn tick_balance<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        let mut pos = 0;
        while pos < self.cores[ci].queue.len() {
            let t = self.cores[ci].queue[pos];
            let mask = self.threads[t.0 as usize].affinity;
            let target = (0..self.cores.len())
                .find(|&k| k != ci && mask & (1 << k) != 0 && self.core_idle(k));
            let Some(k) = target else {
                pos += 1;
                continue;
            };
            // The thread stays runnable: it moves to the idle core's queue (vruntime carried
            // as lag) and that core takes it at once, paying a context switch.
            self.cores[ci].queue.remove(pos);
            let (src_min, dst_min) = (self.cores[ci].min_vruntime, self.cores[k].min_vruntime);
            let th = &mut self.threads[t.0 as usize];
            th.vruntime = th.vruntime.saturating_sub(src_min).saturating_add(dst_min);
            th.core = Some(CoreId(k as u16));
            self.cores[k].queue.push(t);
            self.dispatch_next(CoreId(k as u16), q);
        }
    }

    /// The current thread is switched in: resume its burst, or report it idle.
    fn switched_in<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        let t = self.cores[ci].current.expect("switched in");
        let now = q.now().0;
        let th = &self.threads[t.0 as usize];
        if th.has_burst {
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

    fn segment_end<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        match self.cores[ci].segment {
            Segment::Switching => self.switched_in(c, q),
            Segment::Burst { start } => {
                let now = q.now().0;
                let t = self.cores[ci].current.expect("burst without thread");
                let done = now - start;
                self.cores[ci].busy_ns += done;
                self.cores[ci].segment = Segment::Between;
                let th = &mut self.threads[t.0 as usize];
                th.cpu_time += done;
                th.remaining = 0;
                th.has_burst = false;
                self.notices.push_back(Notice::Idle(t));
            }
            Segment::Idle | Segment::Between => {}
        }
    }

    /// Schedules the next tick on a core that has threads waiting, if none is pending.
    fn arm_tick<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
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

    fn tick<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let now = q.now().0;
        let ci = c.0 as usize;
        self.account(c, now);
        self.tick_balance(c, q);
        let Some(cur) = self.cores[ci].current else {
            return;
        };
        let Some(pos) = self.min_queued(ci) else {
            return;
        };
        let nr = self.cores[ci].queue.len() as u64 + 1;
        let slice = (self.costs.sched_latency.0 / nr).max(self.costs.min_granularity.0);
        let ran = now - self.cores[ci].on_since;
        let best_v = self.threads[self.cores[ci].queue[pos].0 as usize].vruntime;
        if ran >= slice && best_v < self.threads[cur.0 as usize].vruntime {
            self.preempt(c, q);
        } else {
            self.arm_tick(c, q);
        }
    }
}
