//! The event queue: the whole ordering contract of the simulator.
//!
//! Events are kept in a binary heap keyed by `(time, sequence)` (`heap.rs`). The sequence
//! number is assigned at scheduling time and grows by one per event, so events scheduled for
//! the same instant run in the order they were scheduled (FIFO). This is SimPy's
//! `(time, priority, id)` contract with the priority folded into scheduling order: a model that needs "this before
//! that at the same instant" schedules it first.
//!
//! Every popped event is folded into a [`TraceHash`], so two runs that process the same events
//! at the same times in the same order report the same hash, and any divergence shows.

use super::heap::{Entry, EventHeap};
use super::time::{SimDuration, SimTime};
use super::trace::{TraceHash, TraceKey};
use std::ops::ControlFlow;

/// A time-ordered queue of pending events of type `E`, with the current virtual time.
///
/// ```
/// use execsim::kernel::{EventQueue, SimDuration, SimTime};
/// let mut q: EventQueue<&str> = EventQueue::new();
/// q.schedule_in(SimDuration::from_millis(2), "b");
/// q.schedule_in(SimDuration::from_millis(1), "a");
/// q.schedule_in(SimDuration::from_millis(2), "c");
/// let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
/// assert_eq!(order, ["a", "b", "c"]);
/// assert_eq!(q.now(), SimTime(2_000_000));
/// ```
pub struct EventQueue<E> {
    heap: EventHeap<E>,
    next_seq: u64,
    now: SimTime,
    processed: u64,
    trace: TraceHash,
    discard_after: SimTime,
    discarded: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    /// An empty queue with room for `n` pending events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: EventHeap::with_capacity(n),
            next_seq: 0,
            now: SimTime::ZERO,
            processed: 0,
            trace: TraceHash::new(),
            discard_after: SimTime::MAX,
            discarded: 0,
        }
    }

    /// Declares that the run ends at `horizon`: events scheduled later are dropped instead of
    /// stored (they could never be processed). A model whose long computations are cut and
    /// resumed many times would otherwise leave a stale far-future event in the heap at each
    /// cut, and every push and pop would pay for them. Do not use it if the run may be
    /// continued past `horizon`.
    pub fn discard_after(&mut self, horizon: SimTime) {
        self.discard_after = horizon;
    }

    /// Number of events dropped because they lay beyond [`discard_after`](Self::discard_after).
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// The current virtual time: the time of the event being (or last) processed.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at absolute time `at`.
    ///
    /// # Panics
    /// If `at` is earlier than [`now`](Self::now): scheduling into the past is a model bug,
    /// never a legitimate outcome, so it stops the run at once.
    #[inline(always)]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        assert!(
            at >= self.now,
            "event scheduled in the past: at {at} while now is {}",
            self.now
        );
        if at > self.discard_after {
            self.discarded += 1;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time: at.0,
            seq,
            event,
        });
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// The time of the earliest pending event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Number of events popped so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// The running trace hash over every popped event.
    pub fn trace_hash(&self) -> u64 {
        self.trace.value()
    }

    /// Moves the clock forward to `t` without processing anything (used to end a run at a
    /// horizon). Never moves it backwards.
    pub fn advance_to(&mut self, t: SimTime) {
        if t > self.now {
            self.now = t;
        }
    }
}

impl<E: TraceKey> EventQueue<E> {
    /// Removes the earliest event, advances the clock to its time and folds it into the
    /// trace hash.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let Entry { time, seq, event } = self.heap.pop()?;
        debug_assert!(time >= self.now.0);
        self.now = SimTime(time);
        self.processed += 1;
        self.trace.record(time, seq, event.trace_key());
        Some((SimTime(time), event))
    }

    /// Pops the earliest event only if it is due at or before `horizon`.
    #[inline]
    pub fn pop_until(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        match self.heap.peek() {
            Some(e) if e.time <= horizon.0 => self.pop(),
            _ => None,
        }
    }
}

/// A model that reacts to its own events: the one thing a simulation needs from it.
///
/// The kernel knows nothing of what events mean; a model handles one event at a time and may
/// schedule more through the queue it is given.
pub trait Model {
    /// The model's event type.
    type Event: TraceKey;
    /// Handles one event at time `queue.now()`.
    fn handle(&mut self, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Why [`Simulation::run_until`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The next event lies beyond the horizon; the clock now stands at the horizon.
    Horizon,
    /// No event is pending.
    Exhausted,
    /// The event budget was used up.
    EventLimit,
}

/// A model together with its event queue: the unit that runs.
///
/// ```
/// use execsim::kernel::{EventQueue, Model, Simulation, SimDuration, SimTime, TraceKey};
/// /// Ticks every millisecond and counts.
/// struct Clock { ticks: u32 }
/// #[derive(Clone, Copy)] struct Tick;
/// impl TraceKey for Tick { fn trace_key(&self) -> u64 { 1 } }
/// impl Model for Clock {
///     type Event = Tick;
///     fn handle(&mut self, _: Tick, q: &mut EventQueue<Tick>) {
///         self.ticks += 1;
///         q.schedule_in(SimDuration::from_millis(1), Tick);
///     }
/// }
/// let mut sim = Simulation::new(Clock { ticks: 0 });
/// sim.queue.schedule_at(SimTime::ZERO, Tick);
/// sim.run_until(SimTime(10_000_000));
/// assert_eq!(sim.model.ticks, 11); // t = 0, 1, ..., 10 ms
/// ```
pub struct Simulation<M: Model> {
    /// The model being simulated.
    pub model: M,
    /// Its pending events and clock.
    pub queue: EventQueue<M::Event>,
}

impl<M: Model> Simulation<M> {
    /// A simulation of `model` with an empty queue at time zero.
    pub fn new(model: M) -> Self {
        Simulation {
            model,
            queue: EventQueue::new(),
        }
    }

    /// Processes one event; false when none is pending.
    pub fn step(&mut self) -> bool {
        match self.queue.pop() {
            Some((_, ev)) => {
                self.model.handle(ev, &mut self.queue);
                true
            }
            None => false,
        }
    }

    /// Processes every event due at or before `horizon`, then sets the clock to `horizon`.
    pub fn run_until(&mut self, horizon: SimTime) -> StopReason {
        self.run_until_limited(horizon, u64::MAX)
    }

    /// Like [`run_until`](Self::run_until) but processes at most `max_events` events.
    pub fn run_until_limited(&mut self, horizon: SimTime, max_events: u64) -> StopReason {
        // Not `run_until_observed` with an observer that does nothing: measured with
        // `examples/kernel_bench.rs`, that made the kernel several per cent slower.
        let mut budget = max_events;
        loop {
            if budget == 0 {
                return StopReason::EventLimit;
            }
            match self.queue.pop_until(horizon) {
                Some((_, ev)) => {
                    self.model.handle(ev, &mut self.queue);
                    budget -= 1;
                }
                None => {
                    let reason = if self.queue.is_empty() {
                        StopReason::Exhausted
                    } else {
                        StopReason::Horizon
                    };
                    self.queue.advance_to(horizon);
                    return reason;
                }
            }
        }
    }

    /// Like [`run_until_limited`](Self::run_until_limited), with `observe` called on the model
    /// and the queue once before the first event, after every event, and once more when the
    /// run reaches its horizon (the clock then stands at the horizon; not when the event
    /// budget stops it). The observer sees the state and cannot change it; returning
    /// `ControlFlow::Break(b)` stops the run at once with `b`. An invariant checker is one:
    /// it judges the state after each event.
    ///
    /// ```
    /// use execsim::kernel::{EventQueue, Model, SimDuration, SimTime, Simulation};
    /// use execsim::kernel::{StopReason, TraceKey};
    /// use std::ops::ControlFlow;
    /// struct Count(u32);
    /// #[derive(Clone, Copy)] struct Tick;
    /// impl TraceKey for Tick { fn trace_key(&self) -> u64 { 1 } }
    /// impl Model for Count {
    ///     type Event = Tick;
    ///     fn handle(&mut self, _: Tick, q: &mut EventQueue<Tick>) {
    ///         self.0 += 1;
    ///         q.schedule_in(SimDuration::from_millis(1), Tick);
    ///     }
    /// }
    /// let mut sim = Simulation::new(Count(0));
    /// sim.queue.schedule_at(SimTime::ZERO, Tick);
    /// let stop = sim.run_until_observed(SimTime(10_000_000), u64::MAX, |m, q| {
    ///     if m.0 == 4 { ControlFlow::Break(q.now()) } else { ControlFlow::Continue(()) }
    /// });
    /// assert_eq!(stop, ControlFlow::Break(SimTime(3_000_000)));
    /// let mut seen = 0;
    /// let stop = sim.run_until_observed(SimTime(10_000_000), u64::MAX, |_, _| {
    ///     seen += 1;
    ///     ControlFlow::<()>::Continue(())
    /// });
    /// assert_eq!(stop, ControlFlow::Continue(StopReason::Horizon));
    /// assert_eq!(seen, 1 + 7 + 1); // before, after each event (4 to 10 ms), at the horizon
    /// ```
    pub fn run_until_observed<B>(
        &mut self,
        horizon: SimTime,
        max_events: u64,
        mut observe: impl FnMut(&M, &EventQueue<M::Event>) -> ControlFlow<B>,
    ) -> ControlFlow<B, StopReason> {
        observe(&self.model, &self.queue)?;
        let mut budget = max_events;
        loop {
            if budget == 0 {
                return ControlFlow::Continue(StopReason::EventLimit);
            }
            match self.queue.pop_until(horizon) {
                Some((_, ev)) => {
                    self.model.handle(ev, &mut self.queue);
                    budget -= 1;
                    observe(&self.model, &self.queue)?;
                }
                None => {
                    let reason = if self.queue.is_empty() {
                        StopReason::Exhausted
                    } else {
                        StopReason::Horizon
                    };
                    self.queue.advance_to(horizon);
                    observe(&self.model, &self.queue)?;
                    return ControlFlow::Continue(reason);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simultaneous_events_are_fifo_and_log_is_exact() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(5), 1u32);
        q.schedule_at(SimTime(3), 2);
        q.schedule_at(SimTime(5), 3);
        q.schedule_at(SimTime(3), 4);
        q.schedule_at(SimTime(0), 5);
        let log: Vec<_> = std::iter::from_fn(|| q.pop())
            .map(|(t, e)| (t.0, e))
            .collect();
        assert_eq!(log, vec![(0, 5), (3, 2), (3, 4), (5, 1), (5, 3)]);
        assert_eq!(q.processed(), 5);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_panics() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(10), 1u32);
        q.pop();
        q.schedule_at(SimTime(9), 2);
    }

    #[test]
    fn trace_hash_depends_on_order_time_and_payload() {
        let run = |events: &[(u64, u32)]| {
            let mut q = EventQueue::new();
            for &(t, e) in events {
                q.schedule_at(SimTime(t), e);
            }
            while q.pop().is_some() {}
            q.trace_hash()
        };
        let base = run(&[(1, 1), (2, 2)]);
        assert_eq!(base, run(&[(1, 1), (2, 2)]));
        assert_ne!(base, run(&[(1, 2), (2, 1)]));
        assert_ne!(base, run(&[(1, 1), (3, 2)]));
        assert_ne!(base, run(&[(1, 1), (2, 3)]));
    }

    #[test]
    fn events_beyond_the_declared_horizon_are_dropped() {
        let mut q = EventQueue::new();
        q.discard_after(SimTime(100));
        q.schedule_at(SimTime(100), 1u32);
        q.schedule_at(SimTime(101), 2u32);
        assert_eq!(q.len(), 1);
        assert_eq!(q.discarded(), 1);
        assert_eq!(q.pop().map(|x| x.1), Some(1));
    }

    /// A model that schedules its next event 1 ns later, forever.
    struct Forever;
    impl Model for Forever {
        type Event = u32;
        fn handle(&mut self, e: u32, q: &mut EventQueue<u32>) {
            q.schedule_in(SimDuration(1), e + 1);
        }
    }

    #[test]
    fn an_observer_sees_every_event_and_can_stop_the_run() {
        let mut sim = Simulation::new(Forever);
        sim.queue.schedule_at(SimTime(0), 0);
        let mut seen = Vec::new();
        // The event budget stops the run: no observation at the horizon.
        let flow = sim.run_until_observed(SimTime(100), 2, |_, q| {
            seen.push(q.now().0);
            ControlFlow::<()>::Continue(())
        });
        assert_eq!(flow, ControlFlow::Continue(StopReason::EventLimit));
        assert_eq!(seen, [0, 0, 1]);
        let flow = sim.run_until_observed(SimTime(100), u64::MAX, |_, q| match q.now().0 {
            5 => ControlFlow::Break("five"),
            _ => ControlFlow::Continue(()),
        });
        assert_eq!(flow, ControlFlow::Break("five"));
        assert_eq!((sim.queue.now(), sim.queue.processed()), (SimTime(5), 6));
    }

    #[test]
    fn pop_until_respects_horizon() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(10), 1u32);
        q.schedule_at(SimTime(20), 2u32);
        assert_eq!(q.pop_until(SimTime(15)).map(|x| x.1), Some(1));
        assert!(q.pop_until(SimTime(15)).is_none());
        q.advance_to(SimTime(15));
        assert_eq!(q.now(), SimTime(15));
        assert_eq!(q.len(), 1);
    }
}
