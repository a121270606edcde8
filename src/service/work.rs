//! The work of one request, on the thread that does it: the prime core, or the steps of one
//! of the user's request types ([`crate::workload::request_type`]).
//!
//! Where a step runs follows the real code:
//!
//! | step | on the event loop (inline) | in a pool worker or a connection thread |
//! |---|---|---|
//! | `python` | the loop's thread computes (GIL held, eval breaker checked) | the worker computes |
//! | `native`, GIL released | the loop's thread, without the GIL | the worker, without the GIL |
//! | `native`, GIL held | the loop's thread, GIL held, no drop before it returns | the worker, likewise |
//! | `io` | the handler *awaits* (`await asyncio.sleep`): the loop serves others meanwhile | the worker *blocks* (`time.sleep`, a blocking client library): it holds its pool slot, not the GIL |
//!
//! An awaited `io` step arms a timer of the loop (`call_later`); when it is due, the loop's
//! next iteration runs the timer's callback (the future's result set: the cost of a done
//! callback resuming a task, `loop_complete_py`) and the handler's next step one iteration
//! later (`call_soon`), as asyncio's `_run_once` does.
//!
//! Each request type draws its steps' durations from a stream of its own (`request/NAME`),
//! in the order the steps start.

use super::spec::Work;
use super::world::{Effect, LoopTask, Request, World};
use crate::interp::Step;
use crate::kernel::{EventQueue, SimDuration};
use crate::machine::ThreadId;
use crate::workload::request_type::StepKind;

impl World {
    /// Queues on thread `t` the steps of `r`'s work from its `progress` on. A prime request
    /// is one tight loop (and `r.reply` gets the answer). On the event loop (`on_loop`), an
    /// `io` step suspends the handler: the steps before it are queued, `r.progress` moves past
    /// it, and its duration is returned for the caller to arm the loop's timer.
    pub(super) fn push_work(
        &mut self,
        t: ThreadId,
        r: &mut Request,
        on_loop: bool,
    ) -> Option<SimDuration> {
        let k = match r.work {
            Work::Prime(n) => {
                let ops = self.cost_model.ops(n).expect(
                    "a spec's n lies within the cost model's range (its maker validates it)",
                );
                r.reply = ops.prime;
                let d = self.cost_model.core().duration(&ops);
                self.push(t, Step::PythonLoop(d), Effect::None);
                return None;
            }
            Work::Custom(k) => k as usize,
        };
        let steps = self.spec.requests[k].steps.len();
        while (r.progress as usize) < steps {
            let step = &self.spec.requests[k].steps[r.progress as usize];
            let kind = step.kind;
            let d = step.duration.sample(&mut self.request_rngs[k]);
            r.progress += 1;
            match kind {
                StepKind::Python => self.push(t, Step::PythonLoop(d), Effect::None),
                StepKind::NativeReleased => self.push(t, Step::Release(d), Effect::None),
                StepKind::NativeHeld => self.push(t, Step::NativeHeld(d), Effect::None),
                StepKind::Io if on_loop => return Some(d),
                StepKind::Io => self.push(t, Step::Sleep(d), Effect::None),
            }
        }
        None
    }

    /// Bytes sent to the executor with `r`'s call (0 for a prime request).
    pub(super) fn payload_of(&self, r: &Request) -> u64 {
        match r.work {
            Work::Prime(_) => 0,
            Work::Custom(k) => self.spec.requests[k as usize].payload,
        }
    }

    /// Bytes `r`'s call returns through the executor (0 for a prime request: its reply is a
    /// small int, in the fixed costs).
    pub(super) fn reply_bytes_of(&self, r: &Request) -> u64 {
        match r.work {
            Work::Prime(_) => 0,
            Work::Custom(k) => self.spec.requests[k as usize].reply,
        }
    }

    /// Queues C code that keeps the GIL for `d`, if `d` is not zero (a prime request moves
    /// no bytes, and adds no step).
    pub(super) fn push_held(&mut self, t: ThreadId, d: SimDuration) {
        if d > SimDuration::ZERO {
            self.push(t, Step::NativeHeld(d), Effect::None);
        }
    }

    /// The handler awaits `asyncio.sleep(d)`: a timer of the loop, due in `d`.
    pub(super) fn arm_loop_timer(
        &mut self,
        r: Request,
        d: SimDuration,
        q: &mut EventQueue<super::Event>,
    ) {
        let id = self.next_timer;
        self.next_timer += 1;
        self.loop_timers.insert(id, r);
        q.schedule_in(d, super::Event::Service(super::ServiceEvent::LoopTimer(id)));
    }

    /// A loop timer is due: its callback runs in the loop's next iteration.
    pub(super) fn loop_timer_due(&mut self, id: u64, q: &mut EventQueue<super::Event>) {
        if let Some(r) = self.loop_timers.remove(&id) {
            self.due_timers.push_back(r);
            if let Some(l) = self.loop_thread {
                self.wake(l, None, q);
            }
        }
    }

    /// In a loop iteration: the due timers' callbacks, each resuming its handler one
    /// iteration later.
    pub(super) fn run_due_timers(&mut self, t: ThreadId) {
        while let Some(r) = self.due_timers.pop_front() {
            self.push(t, Step::Python(self.costs.loop_complete_py), Effect::None);
            self.loop_ready.push(LoopTask::Resume(r));
        }
    }

    /// The inline handler runs its work from `r.progress` on: up to an awaited `io` step
    /// (which suspends it), or to the end and the reply.
    pub(super) fn run_handler_inline(&mut self, t: ThreadId, mut r: Request) {
        match self.push_work(t, &mut r, true) {
            None => self.reply_steps(t, r),
            Some(d) => self.push(t, Step::Python(SimDuration::ZERO), Effect::AwaitIo(r, d)),
        }
    }
}
