//! The calls of a thread that is on a core: start a burst of work ([`Machine::compute`]), end
//! it early ([`Machine::cut`]), or leave the core to sleep ([`Machine::block`]); and the end
//! of a core's segment (a burst done, a context switch over).
//!
//! CPU-bound work is one segment, cut only by a preemption or by the layer above: never
//! ticked through.

use super::cores::Segment;
use super::policy::{Dequeue, SchedPolicy};
use super::refill::MemoryDomain;
use super::{CoreId, Machine, MachineEvent, Notice, RunQueues, ThreadId, ThreadRunState};
use crate::kernel::{EventQueue, SimDuration, SimTime};

/// What a burst's work touches: the wide working set of general code (an interpreter's
/// request path), optionally in a shared memory, or a few cache lines (a tight loop).
#[derive(Clone, Copy)]
enum Footprint {
    Wide(Option<MemoryDomain>),
    Compact,
}

impl Machine {
    /// Starts a burst of `work` for a thread that is on a core with nothing to do.
    pub fn compute<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        q: &mut EventQueue<E>,
    ) {
        self.start_burst(t, work, Footprint::Wide(None), q);
    }

    /// Starts a burst of `work` in the shared memory `domain` (see [`MemoryDomain`]) for a
    /// thread that is on a core with nothing to do.
    pub fn compute_in<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        domain: MemoryDomain,
        q: &mut EventQueue<E>,
    ) {
        self.start_burst(t, work, Footprint::Wide(Some(domain)), q);
    }

    /// Starts a burst of `work` whose code and data are a few cache lines (a tight loop,
    /// such as the prime core's trial division) for a thread that is on a core with nothing
    /// to do. It runs at full speed whatever the caches hold: it pays no cold start
    /// ([`MachineCosts::cold_work`]), no halt refill and no migration refill, and leaves those
    /// windows to the work after it. Evidence (Intel host, 2026-12-02,
    /// `src/calibrate/cold_probe.py`): `find_nth_prime(100)` takes 617 µs right away and 632
    /// µs after 5 ms asleep (+2.4%), where the model's cold window, applied to it, added
    /// about 700 µs; `src/calibrate/refill_probe.py --prime` shows no halt refill either.
    ///
    /// [`MachineCosts::cold_work`]: super::MachineCosts::cold_work
    pub fn compute_compact<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        q: &mut EventQueue<E>,
    ) {
        self.start_burst(t, work, Footprint::Compact, q);
    }

    /// `sched_yield()` and then a burst of `work`, for a thread that is on a core with
    /// nothing to do: with no other thread queued on its core the call returns at once and
    /// the burst starts (`yield_task_fair` does nothing for a lone task); otherwise the
    /// policy charges it ([`SchedPolicy::yield_current`]: under EEVDF an eligible yielder
    /// forfeits the rest of its slice), it goes back to its core's queue with the burst saved,
    /// and the pick decides who runs: it resumes the burst when it is picked again.
    pub fn yield_then_compute<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        q: &mut EventQueue<E>,
    ) {
        let c = self.threads[t.0 as usize]
            .core
            .expect("sched_yield on a thread not on a core");
        let ci = c.0 as usize;
        debug_assert!(matches!(self.cores[ci].segment, Segment::Between));
        if self.cores[ci].queue.is_empty() {
            return self.compute(t, work, q);
        }
        self.policy
            .yield_current(c, q.now().0, RunQueues::new(&self.cores));
        let th = &mut self.threads[t.0 as usize];
        th.remaining = work.0;
        th.has_burst = true;
        self.preempt(c, q);
    }

    fn start_burst<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        work: SimDuration,
        footprint: Footprint,
        q: &mut EventQueue<E>,
    ) {
        let th = &mut self.threads[t.0 as usize];
        assert_eq!(
            th.state,
            ThreadRunState::Running,
            "compute on a thread not on a core"
        );
        let c = th.core.expect("running thread has a core");
        // A tight loop pays only what a wake-up it made owes (see `compute_compact`).
        let Footprint::Wide(domain) = footprint else {
            let work = work.0 + std::mem::take(&mut th.owed);
            self.begin_segment(t, c, SimDuration(work), q);
            return;
        };
        // A wake-up it made of a deeply halted vCPU lengthened the call that made it; after a
        // start on such a vCPU, its first work runs on cold caches.
        let extra = if th.cold_left > 0 {
            // The fixed extra: every burst's, or the window's first burst's only (a fresh
            // window has all of `cold_work` left), as the host's traces say
            // (`MachineCosts::cold_burst_each`).
            let with_burst = self.costs.cold_burst_each || th.cold_left == self.costs.cold_work.0;
            let slow = work.0.min(th.cold_left);
            th.cold_left -= slow;
            let factor = (self.costs.cold_slowdown - 1.0).max(0.0);
            let burst = if with_burst {
                self.costs.cold_burst.0 as f64
            } else {
                0.0
            };
            let full = slow as f64 * factor + burst;
            let extra = (th.cold_level * full).round() as u64;
            if th.cold_left == 0 {
                th.cold_level = 0.0;
            }
            extra
        } else {
            0
        };
        let owed = std::mem::take(&mut th.owed);
        let refill = self.refill_extra(c, work.0, domain);
        let work = SimDuration(work.0 + extra + owed + refill);
        self.begin_segment(t, c, work, q);
    }

    /// Puts the burst of `work` (all extras included) on core `c`'s timeline, with the
    /// core's stalls within it.
    fn begin_segment<E: From<MachineEvent>>(
        &mut self,
        t: ThreadId,
        c: super::CoreId,
        work: SimDuration,
        q: &mut EventQueue<E>,
    ) {
        let work = SimDuration(work.0 + self.plan_stalls(c, work.0));
        let th = &mut self.threads[t.0 as usize];
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
        let unpassed = self.unplan_stalls(c, done);
        let th = &mut self.threads[t.0 as usize];
        th.cpu_time += done;
        let left = th.remaining - done - unpassed;
        th.remaining = 0;
        th.has_burst = false;
        self.update_curr(c, now);
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
        self.update_curr(c, now);
        let rq = RunQueues::new(&self.cores);
        self.policy.dequeue(t, c, now, Dequeue::Sleep, rq);
        let core = &mut self.cores[c.0 as usize];
        core.current = None;
        core.segment = Segment::Idle;
        core.token += 1;
        self.dispatch_next(c, q);
    }

    /// The segment core `c` was in has run its course.
    pub(super) fn segment_end<E: From<MachineEvent>>(&mut self, c: CoreId, q: &mut EventQueue<E>) {
        let ci = c.0 as usize;
        match self.cores[ci].segment {
            Segment::Switching => self.switched_in(c, q),
            Segment::Burst { start } => {
                let now = q.now().0;
                let t = self.cores[ci].current.expect("burst without thread");
                let done = now - start;
                self.cores[ci].busy_ns += done;
                self.cores[ci].segment = Segment::Between;
                self.stalls_passed(c);
                let th = &mut self.threads[t.0 as usize];
                th.cpu_time += done;
                th.remaining = 0;
                th.has_burst = false;
                self.notices.push_back(Notice::Idle(t));
            }
            Segment::Idle | Segment::Between => {}
        }
    }
}
