//! The Earliest Eligible Virtual Deadline First policy, as Linux's `kernel/sched/fair.c` has
//! it from 6.6 on (the fair scheduler of the live machine, Linux 6.18), with the default
//! scheduler features. Simplified: every thread has the nice-0 weight (so weighted averages
//! are plain averages and `calc_delta_fair` is the identity), no group scheduling, no custom
//! slices (`sched_attr.sched_runtime`), no HRTICK (slices end at the timer tick), and the
//! preemption model is not lazy (a reschedule takes effect at once).
//!
//! - **Virtual runtime and the core's average** (`avg_vruntime`): each thread accumulates
//!   virtual runtime while it runs; a core's virtual time `V` is the average virtual runtime
//!   of its runnable set: the current thread, the queued threads and the blocked threads still
//!   on the books (delayed dequeue, below). An empty set keeps a clock: `V` when the set last
//!   emptied (Linux keeps `cfs_rq->min_vruntime`; only differences between the virtual times
//!   of one set decide anything, so any monotone clock does).
//! - **Lag and eligibility** (`entity_eligible`): a thread's lag is `V - vruntime`, the
//!   service it is owed. It is eligible when its lag is not negative.
//! - **Requests and deadlines** (`update_deadline`): a thread asks for a slice
//!   (`sysctl_sched_base_slice`, scaled by `1 + ilog2(min(cores, 8))` as `update_sysctl` does);
//!   its virtual deadline is the virtual runtime at which the slice is used up. Once its
//!   virtual runtime reaches the deadline, it makes a new request (deadline one slice on).
//! - **The pick** (`pick_eevdf`): among the eligible threads, the earliest deadline (ties:
//!   the thread that is not running, then queue order). `RUN_TO_PARITY`: the current thread,
//!   while eligible, keeps the core until its virtual runtime reaches its deadline as it was
//!   when it was picked (`set_protect_slice`, `protect_slice`).
//! - **Tick** (`update_curr` from `task_tick_fair`): once the current thread's protected
//!   slice is over, each tick reschedules and the pick decides.
//! - **Wakeup preemption** (`check_preempt_wakeup_fair`): a woken thread preempts if it is the
//!   pick; and a wake-up onto a core whose current thread is no longer protected reschedules
//!   it (the `update_curr` it makes), so whoever is the pick then takes the core.
//!   (`PREEMPT_SHORT` never applies: every slice is the same.)
//! - **Placement** (`place_entity`, `PLACE_LAG`): a thread leaving a core's set keeps its lag
//!   (`update_entity_lag`, clamped to `max(2 slices, a tick)`), whatever the sleep's length;
//!   joining a non-empty set it is placed at `V` minus that lag, scaled by `(n + 1) / n` so
//!   that adding it does not shrink the lag; joining an empty set it is placed at the core's
//!   clock with no lag. A new request starts there (half a slice for a thread's first run,
//!   `PLACE_DEADLINE_INITIAL`). A thread moved by balancing keeps its deadline relative to its
//!   virtual runtime (`PLACE_REL_DEADLINE`).
//! - **Delayed dequeue** (`DELAY_DEQUEUE`, 6.12+, with `DELAY_ZERO`): a thread that blocks
//!   while not eligible stays in its core's set, competing, until the pick chooses it (then it
//!   leaves with zero lag) or it is woken (then it is requeued there, keeping its place:
//!   `requeue_delayed_entity`; the wake-up does not choose a core, as `ttwu_runnable`). A
//!   core that has nothing else to run drops its delayed threads at once (the pick loop of
//!   `pick_task_fair`). The model drops them only at the picks it makes (wake-ups, blocks,
//!   ticks; no tick runs on a core with an empty queue), where Linux may also pick at a tick
//!   of a core whose only other runnable threads are delayed.
//! - **Same-core wake-ups** (`ttwu_queue`, direct): a free wake-up onto the waker's own core is
//!   enqueued before the waker goes on.
//! - **Idle pull** (`detach_tasks`): the least recently run (or enqueued) waiting thread first,
//!   the tail of the core's `cfs_tasks` list.

use super::policy::{Dequeue, Enqueue, SchedPolicy};
use super::{CoreId, MachineCosts, RunQueues, ThreadId};

/// What EEVDF keeps per thread (Linux's `struct sched_entity`, nice 0). Virtual times are
/// signed nanoseconds on the clock of the core the thread is on (or last was).
#[derive(Clone, Copy, Debug, Default)]
struct Entity {
    vruntime: i64,
    /// The virtual deadline of the current request.
    deadline: i64,
    /// The lag saved when the thread last left a core's set (`se->vlag`).
    vlag: i64,
    /// The deadline minus the virtual runtime, saved when balancing moved the thread
    /// (`se->rel_deadline`).
    rel_deadline: Option<i64>,
    /// The core whose set still holds the thread after it blocked (`se->sched_delayed`).
    delayed_on: Option<CoreId>,
    /// Never enqueued yet (its first enqueue is `ENQUEUE_INITIAL`).
    fresh: bool,
    /// When the thread last joined a core's set or was put on a core: its place in the
    /// core's `cfs_tasks` list (most recent at the head).
    listed_at: u64,
}

/// EEVDF's per-core state (Linux's `struct cfs_rq`).
#[derive(Clone, Debug, Default)]
struct EevdfCore {
    /// The sum of the virtual runtimes of the core's set: current, queued and delayed
    /// threads (`avg_vruntime` and `avg_load` keep it in Linux).
    sum: i128,
    /// How many threads the set holds (`nr_queued`).
    n: i64,
    /// The virtual time of an empty set: `V` when the set last emptied (standing for
    /// `cfs_rq->min_vruntime`).
    zero_vruntime: i64,
    /// When the current thread's virtual runtime was last updated.
    accounted_at: u64,
    /// The current thread is protected while its virtual runtime is below this
    /// (`se->vprot`).
    vprot: i64,
    /// Blocked threads still in the set (delayed dequeue), in the order they blocked.
    delayed: Vec<ThreadId>,
}

/// What the pick chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    /// The current thread.
    Current,
    /// The queued thread at this position of the core's queue.
    Queued(usize),
    /// The delayed thread at this position of the core's delayed list.
    Delayed(usize),
}

/// The EEVDF policy: entities per thread, run-queue state per core, and the tunables.
#[derive(Clone, Debug)]
pub(crate) struct Eevdf {
    ents: Vec<Entity>,
    cores: Vec<EevdfCore>,
    /// The slice every request asks for (`sysctl_sched_base_slice` after `update_sysctl`).
    slice: i64,
    /// The largest lag a thread keeps (`entity_lag`: `max(2 slices, TICK_NSEC)`).
    lag_limit: i64,
}

impl Eevdf {
    /// EEVDF for `cores` cores with the tunables of `costs`.
    pub fn new(cores: usize, costs: &MachineCosts) -> Self {
        // update_sysctl: factor 1 + ilog2(online cpus, at most 8).
        let factor = 1 + cores.clamp(1, 8).ilog2() as i64;
        let slice = (costs.base_slice.0 as i64).saturating_mul(factor).max(1);
        Eevdf {
            ents: Vec::new(),
            cores: vec![EevdfCore::default(); cores],
            slice,
            lag_limit: slice.saturating_mul(2).max(costs.tick.0 as i64),
        }
    }

    #[inline]
    fn v(&self, t: ThreadId) -> i64 {
        self.ents[t.0 as usize].vruntime
    }

    #[inline]
    fn deadline(&self, t: ThreadId) -> i64 {
        self.ents[t.0 as usize].deadline
    }

    /// Sum and number of the virtual runtimes of core `c`'s set.
    #[inline]
    fn load(&self, c: CoreId) -> (i128, i64) {
        let core = &self.cores[c.0 as usize];
        (core.sum, core.n)
    }

    /// Checks (in debug builds) that the kept sums agree with the run queues.
    #[inline]
    fn check_books(&self, c: CoreId, rq: RunQueues) {
        if cfg!(debug_assertions) {
            let cur = rq.current(c);
            let delayed = &self.cores[c.0 as usize].delayed;
            let members = cur.iter().chain(rq.queued(c)).chain(delayed);
            let scan = members.fold((0, 0), |(s, n), &t| (s + self.v(t) as i128, n + 1));
            assert_eq!(scan, self.load(c), "core {}'s set sums", c.0);
        }
    }

    /// Thread `t` joins core `c`'s set with its virtual runtime as it is.
    #[inline]
    fn join(&mut self, t: ThreadId, c: CoreId) {
        let v = self.v(t) as i128;
        let core = &mut self.cores[c.0 as usize];
        core.sum += v;
        core.n += 1;
    }

    /// Thread `t` leaves core `c`'s set; the last one out leaves its virtual time as the
    /// core's clock.
    #[inline]
    fn leave(&mut self, t: ThreadId, c: CoreId) {
        let v = self.v(t);
        let core = &mut self.cores[c.0 as usize];
        core.sum -= v as i128;
        core.n -= 1;
        if core.n == 0 {
            core.zero_vruntime = v;
        }
    }

    /// `V` of a set of sum `sum` and size `n` on core `c` (`avg_vruntime`: rounded down).
    #[inline]
    fn avg(&self, c: CoreId, (sum, n): (i128, i64)) -> i64 {
        match (n, i64::try_from(sum)) {
            (0, _) => self.cores[c.0 as usize].zero_vruntime,
            (1, Ok(sum)) => sum,
            (n, Ok(sum)) => sum.div_euclid(n),
            (n, Err(_)) => sum.div_euclid(n as i128) as i64,
        }
    }

    /// `vruntime_eligible`: lag not negative, `n * v <= sum` (no division, no rounding).
    #[inline]
    fn eligible(&self, t: ThreadId, (sum, n): (i128, i64)) -> bool {
        n as i128 * self.v(t) as i128 <= sum
    }

    /// `update_entity_lag` / `entity_lag`: the lag of `t` against a set it belongs to,
    /// clamped.
    #[inline]
    fn entity_lag(&self, t: ThreadId, c: CoreId, load: (i128, i64)) -> i64 {
        if load.1 == 1 {
            return 0; // alone, it is the average
        }
        let lag = self.avg(c, load).saturating_sub(self.v(t));
        lag.clamp(-self.lag_limit, self.lag_limit)
    }

    /// `place_entity`: the virtual runtime and deadline of `t`, about to join core `c`'s set
    /// (it is not in it).
    fn place(&mut self, t: ThreadId, c: CoreId) {
        let load = self.load(c);
        let avg = self.avg(c, load);
        let (slice, n) = (self.slice, load.1);
        let e = &mut self.ents[t.0 as usize];
        // PLACE_LAG, on a non-empty set only: vl_i = (W + w_i) * vl'_i / W, rounded toward
        // zero (div_s64).
        let lag = if n > 0 && e.vlag != 0 {
            (e.vlag as i128 * (n as i128 + 1) / n as i128) as i64
        } else {
            0
        };
        e.vruntime = avg - lag;
        if let Some(rel) = e.rel_deadline.take() {
            e.deadline = e.vruntime + rel;
            return;
        }
        // PLACE_DEADLINE_INITIAL: a new thread starts with half a request.
        let vslice = if e.fresh { slice / 2 } else { slice };
        e.fresh = false;
        e.deadline = e.vruntime + vslice;
    }

    /// `pick_eevdf` (`__pick_eevdf`): the eligible member of core `c`'s set with the earliest
    /// deadline; with `protect`, a current thread still in its protected slice is kept while
    /// eligible (`RUN_TO_PARITY`). Ties go to the thread that is not running (`entity_before`
    /// is strict), then to queue order, then to delayed threads in the order they blocked
    /// (standing for the order of insertion into Linux's tree). None for an empty set.
    #[inline]
    fn raw_pick(&self, c: CoreId, rq: RunQueues, protect: bool) -> Option<Pick> {
        self.check_books(c, rq);
        let core = &self.cores[c.0 as usize];
        let load = self.load(c);
        let queued = rq.queued(c);
        if load.1 <= 1 {
            // A set of one needs no eligibility check.
            return match (rq.current(c), queued.is_empty(), core.delayed.is_empty()) {
                (Some(_), _, _) => Some(Pick::Current),
                (None, false, _) => Some(Pick::Queued(0)),
                (None, true, false) => Some(Pick::Delayed(0)),
                (None, true, true) => None,
            };
        }
        // Eligible: n * v <= sum, that is v <= floor(sum / n) (v is an integer).
        let v_max = self.avg(c, load);
        let cur = rq.current(c).filter(|&t| self.v(t) <= v_max);
        if let Some(t) = cur {
            if protect && self.v(t) < core.vprot {
                return Some(Pick::Current);
            }
        }
        let mut best: Option<(i64, Pick)> = None;
        for (i, &t) in queued.iter().enumerate() {
            let e = &self.ents[t.0 as usize];
            if e.vruntime <= v_max && best.is_none_or(|(d, _)| e.deadline < d) {
                best = Some((e.deadline, Pick::Queued(i)));
            }
        }
        for (i, &t) in core.delayed.iter().enumerate() {
            let e = &self.ents[t.0 as usize];
            if e.vruntime <= v_max && best.is_none_or(|(d, _)| e.deadline < d) {
                best = Some((e.deadline, Pick::Delayed(i)));
            }
        }
        match (best, cur) {
            (Some((d, _)), Some(t)) if self.deadline(t) < d => Some(Pick::Current),
            (Some((_, pick)), _) => Some(pick),
            // The least virtual runtime is never above the average: some member is eligible.
            (None, _) => cur.map(|_| Pick::Current),
        }
    }

    /// The pick as `pick_next_entity` and `pick_task_fair` make it: a delayed thread that is
    /// picked leaves the set (`dequeue_entities` with `DEQUEUE_DELAYED`) and the pick starts
    /// over. It was eligible, so its lag is not negative and `DELAY_ZERO` leaves it zero.
    #[inline]
    fn pick(&mut self, c: CoreId, rq: RunQueues, protect: bool) -> Option<Pick> {
        loop {
            match self.raw_pick(c, rq, protect) {
                Some(Pick::Delayed(i)) => {
                    let t = self.cores[c.0 as usize].delayed.remove(i);
                    self.leave(t, c);
                    let e = &mut self.ents[t.0 as usize];
                    e.delayed_on = None;
                    e.vlag = 0;
                }
                other => return other,
            }
        }
    }

    /// `requeue_delayed_entity`: delayed thread `t`, woken, competes again from where it is;
    /// if it is owed service by now (positive lag), `DELAY_ZERO` places it anew with none.
    fn requeue_delayed(&mut self, t: ThreadId, c: CoreId) {
        let lag = self.entity_lag(t, c, self.load(c));
        self.cores[c.0 as usize].delayed.retain(|&x| x != t);
        if lag > 0 {
            self.leave(t, c);
            self.ents[t.0 as usize].vlag = 0;
            self.place(t, c);
            self.join(t, c);
        }
    }

    /// Thread `t`, delayed on core `d`, leaves that set for good (a wake-up placed elsewhere:
    /// not a path Linux takes, kept for safety); it keeps no positive lag.
    fn leave_delayed(&mut self, t: ThreadId, d: CoreId) {
        let lag = self.entity_lag(t, d, self.load(d));
        self.cores[d.0 as usize].delayed.retain(|&x| x != t);
        self.leave(t, d);
        self.ents[t.0 as usize].vlag = lag.min(0);
    }
}

impl SchedPolicy for Eevdf {
    fn spawn(&mut self, t: ThreadId) {
        debug_assert_eq!(t.0 as usize, self.ents.len());
        self.ents.push(Entity {
            fresh: true,
            ..Entity::default()
        });
    }

    /// `update_curr` and `update_deadline`: the current thread's virtual runtime advances by
    /// the time it ran; once it reaches the deadline, a new request starts there.
    #[inline]
    fn update_curr(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        let core = &mut self.cores[c.0 as usize];
        let ran = now.saturating_sub(core.accounted_at) as i64;
        core.accounted_at = now;
        if let Some(cur) = rq.current(c) {
            core.sum += ran as i128;
            let e = &mut self.ents[cur.0 as usize];
            e.vruntime += ran;
            if e.vruntime >= e.deadline {
                e.deadline = e.vruntime + self.slice;
            }
        }
    }

    /// `enqueue_entity`: charge the core, then place the thread (a woken delayed thread is
    /// requeued instead).
    fn enqueue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Enqueue, rq: RunQueues) {
        self.update_curr(c, now, rq);
        self.check_books(c, rq);
        self.ents[t.0 as usize].listed_at = now;
        if let (Enqueue::Wakeup { .. }, Some(d)) = (why, self.ents[t.0 as usize].delayed_on) {
            self.ents[t.0 as usize].delayed_on = None;
            if d == c {
                return self.requeue_delayed(t, c);
            }
            self.leave_delayed(t, d);
        }
        self.place(t, c);
        self.join(t, c);
    }

    /// `dequeue_entity`: charge the core; a thread that blocks while not eligible stays in
    /// the set (`DELAY_DEQUEUE`) unless the core has nothing else to run; any other leaves
    /// with its lag saved (a moved one also with its relative deadline). A core left with
    /// nothing to run drops its delayed threads (the pick loop picks each in turn: each
    /// leaves with zero lag).
    fn dequeue(&mut self, t: ThreadId, c: CoreId, now: u64, why: Dequeue, rq: RunQueues) {
        self.update_curr(c, now, rq);
        self.check_books(c, rq);
        let load = self.load(c);
        let lag = self.entity_lag(t, c, load);
        let ci = c.0 as usize;
        match why {
            Dequeue::Migrate => {
                self.leave(t, c);
                let e = &mut self.ents[t.0 as usize];
                e.vlag = lag;
                e.rel_deadline = Some(e.deadline - e.vruntime);
            }
            Dequeue::Sleep if !rq.queued(c).is_empty() => {
                if self.eligible(t, load) {
                    self.leave(t, c);
                    self.ents[t.0 as usize].vlag = lag;
                } else {
                    self.ents[t.0 as usize].delayed_on = Some(c);
                    self.cores[ci].delayed.push(t);
                }
            }
            Dequeue::Sleep => {
                // Eligible: it leaves with its lag; not eligible: delayed, then picked last,
                // alone, with zero lag. The delayed threads go the same way.
                self.leave(t, c);
                self.ents[t.0 as usize].vlag = if self.eligible(t, load) { lag } else { 0 };
                while let Some(d) = self.cores[ci].delayed.pop() {
                    self.leave(d, c);
                    let e = &mut self.ents[d.0 as usize];
                    e.delayed_on = None;
                    e.vlag = 0;
                }
                self.cores[ci].zero_vruntime = self.avg(c, load);
            }
        }
    }

    /// `check_preempt_wakeup_fair`: its `update_curr` reschedules a current thread whose
    /// protected slice is over (then the pick decides); otherwise the woken thread preempts
    /// only if it is the pick.
    fn wakeup_preempts(&mut self, woken: ThreadId, c: CoreId, rq: RunQueues) -> bool {
        let cur = rq.current(c).expect("wakeup preemption on a busy core");
        if self.v(cur) >= self.cores[c.0 as usize].vprot {
            return !matches!(self.pick(c, rq, true), Some(Pick::Current) | None);
        }
        matches!(self.raw_pick(c, rq, true), Some(Pick::Queued(i)) if rq.queued(c)[i] == woken)
    }

    /// `pick_next_entity` on a core with no current thread.
    fn pick_next(&mut self, c: CoreId, rq: RunQueues) -> Option<usize> {
        let queued = rq.queued(c).len();
        if queued <= 1 && self.cores[c.0 as usize].delayed.is_empty() {
            return (queued == 1).then_some(0); // a set of one, or none
        }
        match self.pick(c, rq, true) {
            Some(Pick::Queued(i)) => Some(i),
            _ => None,
        }
    }

    /// `set_next_entity`: the thread's protected slice runs to its current deadline
    /// (`set_protect_slice` with `RUN_TO_PARITY`: every slice is the same, so the shortest
    /// queued slice is its own).
    fn set_next(&mut self, t: ThreadId, c: CoreId, now: u64, _rq: RunQueues) {
        let core = &mut self.cores[c.0 as usize];
        core.accounted_at = now;
        core.vprot = self.ents[t.0 as usize].deadline;
        self.ents[t.0 as usize].listed_at = now;
    }

    /// `yield_task_fair` as Linux 6.17 has it (commit 79104becf42b, "forfeit the remaining
    /// vruntime"): charge the current thread; if it is eligible, its virtual runtime jumps to
    /// its deadline and its deadline moves one slice on, so that it soon stops being eligible
    /// and the pick after the yield prefers the other threads; a thread picked then is
    /// protected to its own deadline (`set_next`), typically to the next tick. Not eligible,
    /// nothing changes.
    fn yield_current(&mut self, c: CoreId, now: u64, rq: RunQueues) {
        self.update_curr(c, now, rq);
        let Some(cur) = rq.current(c) else {
            return;
        };
        if self.eligible(cur, self.load(c)) {
            let e = &mut self.ents[cur.0 as usize];
            let forfeit = e.deadline - e.vruntime;
            e.vruntime = e.deadline;
            e.deadline += self.slice;
            self.cores[c.0 as usize].sum += forfeit as i128;
        }
    }

    /// `task_tick_fair`: no reschedule while the current thread is protected; after, the pick
    /// decides.
    fn tick_preempts(&mut self, cur: ThreadId, c: CoreId, _now: u64, rq: RunQueues) -> bool {
        if self.v(cur) < self.cores[c.0 as usize].vprot {
            return false;
        }
        !matches!(self.pick(c, rq, true), Some(Pick::Current) | None)
    }

    /// The least recently run or enqueued first (the tail of `cfs_tasks`, which
    /// `detach_tasks` takes first).
    #[inline]
    fn pull_rank(&self, t: ThreadId, _from: CoreId, _rq: RunQueues) -> i128 {
        self.ents[t.0 as usize].listed_at as i128
    }

    fn wakes_on(&self, t: ThreadId) -> Option<CoreId> {
        self.ents[t.0 as usize].delayed_on
    }

    fn enqueues_local_wakeup_at_once(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    //! The pick on hand-set virtual times (what the machine's tests cannot set).

    use super::super::cores::Core;
    use super::super::{CoreId, MachineCosts, RunQueues, ThreadId};
    use super::{Eevdf, SchedPolicy};

    /// One core with `queued` waiting and nothing running; thread `i` has virtual runtime
    /// and deadline `vd[i]` (µs).
    fn queued_with(vd: &[(i64, i64)]) -> (Eevdf, Vec<Core>) {
        let mut p = Eevdf::new(1, &MachineCosts::default());
        let mut core = Core::new();
        for (i, &(v, d)) in vd.iter().enumerate() {
            let t = ThreadId(i as u32);
            p.spawn(t);
            p.ents[i].vruntime = v * 1_000;
            p.ents[i].deadline = d * 1_000;
            p.join(t, CoreId(0));
            core.queue.push(t);
        }
        (p, vec![core])
    }

    #[test]
    fn a_thread_with_negative_lag_is_not_picked_even_with_the_earliest_deadline() {
        // T (v 100 us, deadline 110 us) has nearly used its request; X (v 0, deadline
        // 700 us) has just renewed its own. V = 50 us: T's lag is -50 us, X's +50 us. The
        // earliest deadline is T's, but only X is eligible.
        let (mut p, cores) = queued_with(&[(100, 110), (0, 700)]);
        let c = CoreId(0);
        assert_eq!(p.pick_next(c, RunQueues::new(&cores)), Some(1));
        // Once X has run 200 us, V = 150 us: T is eligible and its deadline wins.
        let set_v = |p: &mut Eevdf, v: i64| {
            p.leave(ThreadId(1), c);
            p.ents[1].vruntime = v;
            p.join(ThreadId(1), c);
        };
        set_v(&mut p, 200_000);
        assert_eq!(p.pick_next(c, RunQueues::new(&cores)), Some(0));
        // At exactly zero lag a thread is eligible (V = 100 us).
        set_v(&mut p, 100_000);
        assert_eq!(p.pick_next(c, RunQueues::new(&cores)), Some(0));
    }

    #[test]
    fn a_delayed_thread_met_by_the_pick_leaves_with_zero_lag_and_the_pick_goes_on() {
        // D blocked owing service (delayed); by now it is eligible with the earliest
        // deadline, so the pick meets it first: it leaves the core's set and the pick, made
        // again without it, takes Q.
        let (mut p, cores) = queued_with(&[(300, 1_000)]);
        let d = ThreadId(1);
        p.spawn(d);
        p.ents[1].vruntime = 100_000;
        p.ents[1].deadline = 400_000;
        p.ents[1].vlag = -7;
        p.ents[1].delayed_on = Some(CoreId(0));
        p.join(d, CoreId(0));
        p.cores[0].delayed.push(d);
        assert_eq!(p.wakes_on(d), Some(CoreId(0)));
        assert_eq!(p.pick_next(CoreId(0), RunQueues::new(&cores)), Some(0));
        assert!(p.cores[0].delayed.is_empty());
        assert_eq!((p.ents[1].vlag, p.wakes_on(d)), (0, None));
    }

    #[test]
    fn the_slice_scales_with_the_log_of_the_cores_up_to_eight() {
        let slice = |n| Eevdf::new(n, &MachineCosts::default()).slice;
        let got: Vec<i64> = [1, 2, 3, 4, 8, 64].into_iter().map(slice).collect();
        assert_eq!(
            got,
            [700_000, 1_400_000, 1_400_000, 2_100_000, 2_800_000, 2_800_000]
        );
        // A thread keeps at most max(2 slices, a tick) of lag: a tick on 1 core (4 ms).
        let p = Eevdf::new(1, &MachineCosts::default());
        assert_eq!(p.lag_limit, 4_000_000);
    }
}
