//! The asyncio event loop: selector wait, ready callbacks, the self-pipe.
//!
//! Models `BaseEventLoop._run_once` (`Lib/asyncio/base_events.py`, 3.11) for the lesson's
//! server, one iteration at a time, with a GIL release at every system call as CPython makes
//! them. An iteration polls the selector (`epoll_wait`, which releases the GIL; with nothing
//! ready the thread blocks in it until a socket or the self-pipe becomes readable; with
//! callbacks ready it polls with timeout 0), then runs, in order: the callbacks scheduled
//! before it (tasks resumed by `call_soon`), the callbacks `call_soon_threadsafe` added (a
//! completed executor future), the self-pipe's drain (`_read_from_self`: one `recv` that
//! returns the wake-up byte and one that finds it empty), and the reads of readable
//! connections (`_read_ready`: `recv`, `data_received`, `feed_data`, which resumes the handler
//! through `call_soon`, so the handler runs one iteration later).
//!
//! Per thread-pool request the loop thus takes the GIL eight times (after the blocking poll,
//! the read, the `epoll_wait(0)` before the handler's step; after the poll woken by the
//! self-pipe, each of the two self-pipe reads, the `epoll_wait(0)` before the reply, and the
//! reply's send): the sequence recorded by `live --gil-trace` on CPython 3.11.

use super::spec::{ExecutorKind, ServerLanguage};
use super::world::{Effect, LoopTask, Request, World};
use crate::interp::Step;
use crate::kernel::SimDuration;
use crate::machine::ThreadId;

impl World {
    pub(super) fn plan_loop(&mut self, t: ThreadId) -> (Step, Effect) {
        let c = self.costs;
        if !self.loop_polled {
            self.loop_polled = true;
            return (Step::Release(c.poll), Effect::None);
        }
        self.loop_polled = false;
        let is_ready =
            |conn: &super::world::Conn| !conn.handler_busy && !conn.server_inbox.is_empty();
        let events = !self.completions.is_empty()
            || !self.due_timers.is_empty()
            || self.conns.iter().any(is_ready);
        if !events && self.loop_ready.is_empty() {
            // Nothing ready: block in epoll_wait until a socket or the self-pipe wakes us.
            return (Step::Block, Effect::None);
        }
        let overhead = if events {
            c.loop_iteration_py
        } else {
            c.loop_ready_iteration_py
        };
        self.push(t, Step::Python(overhead), Effect::None);
        // The callbacks scheduled by the previous iteration run first.
        let tasks = std::mem::take(&mut self.loop_ready);
        for task in tasks {
            match task {
                LoopTask::Handle(r) => self.handler_step(t, r),
                LoopTask::Reply(r) => self.reply_steps(t, r),
                LoopTask::Resume(r) => self.run_handler_inline(t, r),
            }
        }
        self.run_due_timers(t);
        if !self.completions.is_empty() {
            // call_soon_threadsafe's callbacks, then _read_from_self.
            while let Some(r) = self.completions.pop_front() {
                self.push(t, Step::Python(c.loop_complete_py), Effect::None);
                self.loop_ready.push(LoopTask::Reply(r));
            }
            self.push(t, Step::Release(c.pipe_read), Effect::None);
            self.push(t, Step::Python(c.loop_self_pipe_py), Effect::None);
            self.push(t, Step::Release(c.pipe_read), Effect::None);
            self.push(t, Step::Python(c.loop_drained_py), Effect::None);
        }
        for i in 0..self.conns.len() {
            let conn = &mut self.conns[i];
            if !is_ready(conn) {
                continue;
            }
            conn.handler_busy = true;
            let r = conn
                .server_inbox
                .pop_front()
                .expect("ready connection has data");
            self.push(t, Step::Release(c.recv), Effect::None);
            self.push(t, Step::Python(c.loop_read_py), Effect::None);
            self.loop_ready.push(LoopTask::Handle(r));
        }
        self.first(t)
    }

    /// The handler's step after its read: inline, the work (up to an awaited `io` step) and
    /// the reply; otherwise `run_in_executor`.
    fn handler_step(&mut self, t: ThreadId, r: Request) {
        let c = self.costs;
        match self.spec.executor {
            ExecutorKind::Inline => self.run_handler_inline(t, r),
            ExecutorKind::Thread | ExecutorKind::Interpreter => {
                if let Some(l) = self.pool.locks {
                    // `put` in the queue's critical section: its wake-up, then the rest of
                    // the `FUTEX_WAKE` and of `put` holding the queue; then
                    // `_adjust_thread_count`'s `acquire(timeout=0)` holding the idle
                    // semaphore's lock.
                    let before = c.loop_submit_thread_py - c.idle_semaphore_py - c.queue_wake_tail;
                    self.push(t, Step::Python(before), Effect::None);
                    self.push(t, Step::LockAcquire(l.queue), Effect::Submit(r));
                    // A compact footprint: live, the first `put` after the loop slept
                    // 55-60 ms (an episode of [`super::pool_locks`]) ran this tail in 8-10 µs,
                    // below the woken worker's 11-14 µs; the cold start's full slowdown of a
                    // wide step (20 µs here) would make every episode start the next.
                    self.push(t, Step::PythonLoop(c.queue_wake_tail), Effect::None);
                    self.push(t, Step::LockRelease(l.queue), Effect::None);
                    self.push(t, Step::LockAcquire(l.idle), Effect::None);
                    self.push(t, Step::Python(c.idle_semaphore_py), Effect::AdjustThreads);
                    self.push(t, Step::LockRelease(l.idle), Effect::None);
                } else {
                    self.push(t, Step::Python(c.loop_submit_thread_py), Effect::Submit(r));
                }
                self.push(t, Step::Python(c.loop_after_submit_py), Effect::None);
            }
            ExecutorKind::Process if self.spec.language == ServerLanguage::Rust => {
                if !self.pool.started {
                    // The first submit spawns the worker processes.
                    self.pool.started = true;
                    let spawn = c.process_start.as_nanos() * self.spec.pool_size() as u64;
                    self.push(t, Step::Release(SimDuration(spawn)), Effect::None);
                }
                // The queue's mutex, the condvar's `notify_one` (a futex wake-up).
                self.push(t, Step::Python(c.loop_submit_process_py), Effect::Submit(r));
                self.push(t, Step::Python(c.loop_after_submit_py), Effect::None);
            }
            ExecutorKind::Process => {
                if !self.pool.started {
                    // The first submit forks the worker processes.
                    self.pool.started = true;
                    let fork = c.process_start.as_nanos() * self.spec.pool_size() as u64;
                    self.push(t, Step::Release(SimDuration(fork)), Effect::None);
                }
                self.push(t, Step::Python(c.loop_submit_process_py), Effect::None);
                // Wake the executor manager thread through its wake-up pipe.
                self.push_waking_call(t, c.pipe_write, Effect::Submit(r));
                self.push(t, Step::Python(c.loop_after_submit_py), Effect::None);
            }
        }
    }

    /// The handler resumes, `writer.write(reply)` sends it, then `drain` and back to
    /// `reader.read`.
    pub(super) fn reply_steps(&mut self, t: ThreadId, r: Request) {
        let c = self.costs;
        self.push(t, Step::Python(c.loop_write_py), Effect::None);
        self.push_waking_call(t, c.send, Effect::SendReply(r));
        self.push(
            t,
            Step::Python(c.loop_after_send_py),
            Effect::HandlerIdle(r.client),
        );
    }
}
