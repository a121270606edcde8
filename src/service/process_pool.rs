//! `ProcessPoolExecutor`: worker processes, each with its own interpreter and GIL, fed
//! through pipes by two helper threads of the server process.
//!
//! `submit` puts a work item in a dict and writes the **manager thread**'s wake-up pipe. The
//! manager moves items to the **call queue** (at most `max_workers + 1` items) by handing
//! them to the call queue's **feeder thread**, which pickles each and writes it to the
//! workers' pipe; an idle worker process reads it, computes, pickles the result and writes
//! the result pipe; the manager reads it, sets the future's result, and the done-callback
//! writes the event loop's self-pipe. Worker processes (default: one per core) are forked
//! at the first submit.

use super::world::{Effect, Request, ThreadRole, World};
use crate::interp::Step;
use crate::kernel::EventQueue;
use crate::machine::ThreadId;

impl World {
    /// Creates the manager and feeder threads and the worker processes (blocked).
    pub(super) fn start_process_pool_threads(&mut self, _q: &mut EventQueue<super::Event>) {
        let helpers = self.spec.affinity.helpers.clone();
        let main = self.main_interp;
        let m = self.spawn(main, &helpers, ThreadRole::Manager, "manager".into());
        let f = self.spawn(main, &helpers, ThreadRole::Feeder, "feeder".into());
        self.pool.manager = Some(m);
        self.pool.feeder = Some(f);
        let aff = self.spec.affinity.workers.clone();
        for i in 0..self.spec.pool_size() as u32 {
            let interp = self.new_interp();
            let w = self.spawn(
                interp,
                &aff,
                ThreadRole::ProcessWorker(i),
                format!("process-{i}"),
            );
            self.pool.workers.push(w);
            self.pool.idle.push_back(w);
        }
    }

    pub(super) fn submit_to_process_pool(
        &mut self,
        t: ThreadId,
        r: Request,
        q: &mut EventQueue<super::Event>,
    ) {
        self.pool.pending.push_back(r);
        if let Some(m) = self.pool.manager {
            self.wake(m, Some(t), q);
        }
    }

    pub(super) fn plan_manager(&mut self, t: ThreadId) -> (Step, Effect) {
        let c = self.costs;
        if !self.pool.manager_polled {
            // Back from `connection.wait` on the result pipe and the wake-up pipe.
            self.pool.manager_polled = true;
            self.push(t, Step::Release(c.poll), Effect::None);
            self.push(t, Step::Python(c.manager_py), Effect::None);
            return self.first(t);
        }
        if let Some(r) = self.pool.results.pop_front() {
            let reply = self.reply_bytes_of(&r);
            self.push(
                t,
                Step::Release(c.pipe_read + c.bytes.pipe_read(reply)),
                Effect::None,
            );
            self.push_held(t, c.bytes.unpickle(reply));
            self.push(
                t,
                Step::Python(c.pickle_py + c.manager_result_py),
                Effect::None,
            );
            self.push_waking_call(t, c.pipe_write, Effect::Complete(r));
            self.push(t, Step::Python(c.manager_after_result_py), Effect::None);
            return self.first(t);
        }
        let room = self.spec.pool_size() + 1;
        if !self.pool.pending.is_empty() && self.pool.in_call_queue < room {
            let r = self.pool.pending.pop_front().expect("checked");
            self.pool.in_call_queue += 1;
            return (Step::Python(c.manager_submit_py), Effect::CallItem(r));
        }
        self.pool.manager_polled = false;
        (Step::Block, Effect::None)
    }

    pub(super) fn plan_feeder(&mut self) -> (Step, Effect) {
        let c = self.costs;
        if let Some(step) = self.feeder_transfer_step() {
            return step;
        }
        let Some(r) = self.pool.feed_buffer.pop_front() else {
            return (Step::Block, Effect::None);
        };
        let f = self.pool.feeder.expect("feeder exists");
        let payload = self.payload_of(&r);
        self.push(f, Step::Python(c.pickle_py + c.feeder_py), Effect::None);
        self.push_held(f, c.bytes.pickle(payload));
        if World::chunked(payload) {
            // The pipe takes it 64 KiB at a time (`pipe_transfer`): the next plan writes.
            self.start_transfer(r, payload);
            return self.first(f);
        }
        let write = c.pipe_write + c.bytes.pipe_write(payload);
        self.push_waking_call(f, write, Effect::ToWorkers(r));
        self.first(f)
    }

    pub(super) fn plan_process_worker_t(
        &mut self,
        t: ThreadId,
        q: &mut EventQueue<super::Event>,
    ) -> (Step, Effect) {
        let c = self.costs;
        if let Some(tr) = self.pool.transfer.filter(|tr| tr.reader == Some(t)) {
            // Reading a chunked call item: the next chunk, or the call once all is read.
            if let Some(step) = self.reader_transfer_step(t) {
                return step;
            }
            self.end_transfer(t, q);
            return self.push_call(t, tr.request);
        }
        let Some(r) = self.pool.call_pipe.pop_front() else {
            if !self.pool.idle.contains(&t) {
                self.pool.idle.push_back(t);
            }
            return (Step::Block, Effect::None);
        };
        self.pool.idle.retain(|&x| x != t);
        self.pool.in_call_queue -= 1;
        if self.take_transfer(t, &r) {
            return self
                .reader_transfer_step(t)
                .expect("a transfer's first chunk is written before its item is taken");
        }
        let payload = self.payload_of(&r);
        self.push(
            t,
            Step::Release(c.pipe_read + c.bytes.pipe_read(payload)),
            Effect::None,
        );
        self.push_call(t, r)
    }

    /// The worker's call once its item is read: unpickle, run, pickle and write the result.
    fn push_call(&mut self, t: ThreadId, mut r: Request) -> (Step, Effect) {
        let c = self.costs;
        let (payload, reply) = (self.payload_of(&r), self.reply_bytes_of(&r));
        self.push(
            t,
            Step::Python(c.pickle_py + c.process_worker_py),
            Effect::None,
        );
        self.push_held(t, c.bytes.unpickle(payload));
        self.push_work(t, &mut r, false);
        self.push(t, Step::Python(c.pickle_py), Effect::None);
        self.push_held(t, c.bytes.pickle(reply));
        let write = c.pipe_write + c.bytes.pipe_write(reply);
        self.push_waking_call(t, write, Effect::ResultReady(r));
        self.first(t)
    }
}
