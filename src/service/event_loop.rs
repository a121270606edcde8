//! The asyncio event loop: selector wait, ready events, the self-pipe.
//!
//! Models `BaseEventLoop._run_once` for the lesson's server. Each iteration polls the
//! selector (`epoll_wait`, which releases the GIL; if nothing is ready the thread blocks in it
//! until a socket or the self-pipe becomes readable), then handles what is ready: for each
//! connection with a request waiting and its handler awaiting `reader.read`, the read and
//! the handler up to `run_in_executor` (or, inline, the whole computation and the reply);
//! for the self-pipe (written by `call_soon_threadsafe` when a future completes), the drain
//! and, for each completed future, the callbacks, the resumed handler and its reply.

use super::spec::ExecutorKind;
use super::world::{Effect, Request, World};
use crate::interp::Step;
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
        if self.completions.is_empty() && !self.conns.iter().any(is_ready) {
            // Nothing ready: block in epoll_wait until a socket or the self-pipe wakes us.
            return (Step::Block, Effect::None);
        }
        self.push(t, Step::Python(c.loop_iteration_py), Effect::None);
        for i in 0..self.conns.len() {
            let conn = &mut self.conns[i];
            if !is_ready(conn) {
                continue;
            }
            conn.handler_busy = true;
            let mut r = conn
                .server_inbox
                .pop_front()
                .expect("ready connection has data");
            self.push(t, Step::Release(c.recv), Effect::None);
            self.push(t, Step::Python(c.loop_read_py), Effect::None);
            match self.spec.executor {
                ExecutorKind::Inline => {
                    let d = self.compute(&mut r);
                    self.push(t, Step::Python(d), Effect::None);
                    self.reply_steps(t, r);
                }
                ExecutorKind::Thread | ExecutorKind::Interpreter => {
                    self.push(t, Step::Python(c.loop_submit_thread_py), Effect::Submit(r));
                }
                ExecutorKind::Process => {
                    if !self.pool.started {
                        // The first submit forks the worker processes.
                        self.pool.started = true;
                        let fork = c.process_start.as_nanos() * self.spec.pool_size() as u64;
                        self.push(
                            t,
                            Step::Release(crate::kernel::SimDuration(fork)),
                            Effect::None,
                        );
                    }
                    self.push(t, Step::Python(c.loop_submit_process_py), Effect::None);
                    // Wake the executor manager thread through its wake-up pipe.
                    self.push(t, Step::Release(c.pipe_write), Effect::Submit(r));
                }
            }
        }
        if !self.completions.is_empty() {
            self.push(t, Step::Release(c.pipe_read), Effect::None);
            while let Some(r) = self.completions.pop_front() {
                self.push(t, Step::Python(c.loop_complete_py), Effect::None);
                self.reply_steps(t, r);
            }
        }
        self.first(t)
    }

    /// `writer.write(reply)`, then `drain` and back to `reader.read`.
    fn reply_steps(&mut self, t: ThreadId, r: Request) {
        let c = self.costs;
        self.push(t, Step::Release(c.send), Effect::SendReply(r));
        self.push(
            t,
            Step::Python(c.loop_after_send_py),
            Effect::HandlerIdle(r.client),
        );
    }
}
