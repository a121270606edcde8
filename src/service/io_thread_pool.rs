//! The Rust server's process pool: one I/O thread per worker process, over pipes.
//!
//! As `src/live/rust_backend/pool.rs` runs it: the loop's submit puts the request on a queue
//! shared by the I/O threads (a mutex and a condvar) and, if one waits, wakes the one that
//! has waited longest (`notify_one`); that thread takes the next request, writes `n\n` to its
//! own worker process's stdin (waking the process), and blocks reading the process's stdout;
//! the process computes and writes the reply (waking its I/O thread), which completes the
//! request's oneshot channel (waking the loop, as a thread-pool worker does) and takes the
//! next request. No manager, no feeder, nothing pickled. The I/O threads start with the
//! worker processes, on the loop's cores (the loop thread spawns them; they inherit its
//! affinity); the processes run on the workers' cores.

use super::io_link::IoLink;
use super::world::{Effect, Request, ThreadRole, World};
use crate::interp::Step;
use crate::kernel::EventQueue;
use crate::machine::ThreadId;

impl World {
    /// Creates the I/O threads and the worker processes (all blocked).
    pub(super) fn start_io_thread_pool(&mut self) {
        let io_cores = self.spec.affinity.event_loop.clone();
        let workers = self.spec.affinity.workers.clone();
        for i in 0..self.spec.pool_size() as u32 {
            let main = self.main_interp;
            let io = self.spawn(
                main,
                &io_cores,
                ThreadRole::PoolIo(i),
                format!("pool-io-{i}"),
            );
            let interp = self.new_interp();
            let process = self.spawn(
                interp,
                &workers,
                ThreadRole::ProcessWorker(i),
                format!("worker-process-{i}"),
            );
            self.pool.workers.push(process);
            // Each I/O thread starts by waiting on the queue's condvar.
            self.pool.io_waiting.push_back(i);
            self.pool.links.push(IoLink {
                io,
                process,
                to_process: None,
                reply: None,
                awaiting: false,
            });
        }
    }

    /// The loop's submit: the request on the shared queue, the longest-waiting idle I/O
    /// thread woken.
    pub(super) fn submit_to_io_threads(
        &mut self,
        t: ThreadId,
        r: Request,
        q: &mut EventQueue<super::Event>,
    ) {
        self.pool.pending.push_back(r);
        if let Some(i) = self.pool.io_waiting.pop_front() {
            let io = self.pool.links[i as usize].io;
            self.wake(io, Some(t), q);
        }
    }

    /// I/O thread `i`: the reply of its process if one came, else the next request, else
    /// wait on the queue's condvar (or for the reply it awaits).
    pub(super) fn plan_io_thread(&mut self, t: ThreadId, i: u32) -> (Step, Effect) {
        let c = self.costs;
        let link = &mut self.pool.links[i as usize];
        if let Some(r) = link.reply.take() {
            link.awaiting = false;
            let reply = self.reply_bytes_of(&r);
            self.push(
                t,
                Step::Release(c.pipe_read + c.bytes.pipe_read(reply)),
                Effect::None,
            );
            self.push(t, Step::Python(c.manager_result_py), Effect::None);
            // The oneshot's completion wakes the loop (tokio's waker: an eventfd write).
            self.push_waking_call(t, c.pipe_write, Effect::Complete(r));
            return self.first(t);
        }
        if link.awaiting {
            return (Step::Block, Effect::None);
        }
        let Some(r) = self.pool.pending.pop_front() else {
            if !self.pool.io_waiting.contains(&i) {
                self.pool.io_waiting.push_back(i);
            }
            return (Step::Block, Effect::None);
        };
        self.pool.io_waiting.retain(|&x| x != i);
        self.pool.links[i as usize].awaiting = true;
        let payload = self.payload_of(&r);
        self.push(t, Step::Python(c.feeder_py), Effect::None);
        let write = c.pipe_write + c.bytes.pipe_write(payload);
        self.push_waking_call(t, write, Effect::ToProcess(i, r));
        self.first(t)
    }

    /// Worker process `i`: read the request its I/O thread wrote, compute, write the reply.
    pub(super) fn plan_linked_process(&mut self, t: ThreadId, i: u32) -> (Step, Effect) {
        let c = self.costs;
        let Some(mut r) = self.pool.links[i as usize].to_process.take() else {
            return (Step::Block, Effect::None);
        };
        let (payload, reply) = (self.payload_of(&r), self.reply_bytes_of(&r));
        self.push(
            t,
            Step::Release(c.pipe_read + c.bytes.pipe_read(payload)),
            Effect::None,
        );
        self.push(t, Step::Python(c.process_worker_py), Effect::None);
        self.push_work(t, &mut r, false);
        let write = c.pipe_write + c.bytes.pipe_write(reply);
        self.push_waking_call(t, write, Effect::FromProcess(i, r));
        self.first(t)
    }

    /// A write reached link `i`'s pipe: the request to the process's stdin (`to_process`), or
    /// the reply to the I/O thread; the reader is woken.
    pub(super) fn written(
        &mut self,
        t: ThreadId,
        i: u32,
        r: Request,
        to_process: bool,
        q: &mut EventQueue<super::Event>,
    ) {
        let link = &mut self.pool.links[i as usize];
        let (slot, reader) = if to_process {
            (&mut link.to_process, link.process)
        } else {
            (&mut link.reply, link.io)
        };
        *slot = Some(r);
        self.wake(reader, Some(t), q);
    }
}
