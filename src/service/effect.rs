//! How the world carries out the [`Effect`] of a thread's finished step: the store it makes
//! (a socket buffer, a queue, a pipe) and whom it wakes.

use super::spec::{ExecutorKind, ServerKind, ServerLanguage};
use super::world::{Effect, Event, Request, World};
use crate::kernel::EventQueue;
use crate::machine::ThreadId;

impl World {
    pub(super) fn apply(&mut self, t: ThreadId, effect: Effect, q: &mut EventQueue<Event>) {
        match effect {
            Effect::None => {}
            Effect::SendRequest(r) => {
                let c = r.client as usize;
                self.conns[c].server_inbox.push_back(r);
                match self.spec.server {
                    ServerKind::Asyncio => {
                        if let Some(l) = self.loop_thread {
                            self.wake(l, Some(t), q);
                        }
                    }
                    ServerKind::ThreadPerConnection => {
                        if let Some(s) = self.conns[c].server_thread {
                            self.wake(s, Some(t), q);
                        }
                    }
                }
            }
            Effect::SendReply(r) => {
                let c = r.client as usize;
                self.conns[c].client_inbox.push_back(r);
                if let Some(ct) = self.clients[c].thread {
                    self.wake(ct, Some(t), q);
                }
            }
            Effect::HandlerIdle(c) => {
                self.conns[c as usize].handler_busy = false;
            }
            Effect::Submit(r) => self.submit(t, r, q),
            Effect::AdjustThreads => self.adjust_thread_count(t, q),
            Effect::Complete(r) => {
                self.completions.push_back(r);
                if let Some(l) = self.loop_thread {
                    self.wake(l, Some(t), q);
                }
            }
            Effect::Received(r) => self.received(r, q),
            Effect::CallItem(r) => {
                self.pool.feed_buffer.push_back(r);
                if let Some(f) = self.pool.feeder {
                    self.wake(f, Some(t), q);
                }
            }
            Effect::ToWorkers(r) => {
                self.pool.call_pipe.push_back(r);
                if let Some(w) = self.pool.idle.pop_front() {
                    self.wake(w, Some(t), q);
                }
            }
            Effect::ResultReady(r) => {
                self.pool.results.push_back(r);
                if let Some(m) = self.pool.manager {
                    self.wake(m, Some(t), q);
                }
            }
            Effect::ToProcess(i, r) => self.written(t, i, r, true, q),
            Effect::FromProcess(i, r) => self.written(t, i, r, false, q),
            Effect::SetInterp(i) => self.rt.set_interp(t, i),
            Effect::AwaitIo(r, d) => self.arm_loop_timer(r, d, q),
            Effect::ChunkWritten => self.chunk_done(t, true, q),
            Effect::ChunkRead => self.chunk_done(t, false, q),
        }
    }

    fn submit(&mut self, t: ThreadId, r: Request, q: &mut EventQueue<Event>) {
        match self.spec.executor {
            ExecutorKind::Thread | ExecutorKind::Interpreter => self.submit_to_pool(t, r, q),
            ExecutorKind::Process => match self.spec.language {
                ServerLanguage::Python => self.submit_to_process_pool(t, r, q),
                ServerLanguage::Rust => self.submit_to_io_threads(t, r, q),
            },
            ExecutorKind::Inline => unreachable!("inline work is never submitted"),
        }
    }
}
