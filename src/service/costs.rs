//! Per-step CPU costs of the service's Python code and system calls.

use super::byte_costs::ByteCosts;
use crate::kernel::SimDuration;
use serde::{Deserialize, Serialize};

const fn us(x: u64) -> SimDuration {
    SimDuration::from_micros(x)
}

/// CPU cost of each step the service's threads take, besides the prime computation itself.
///
/// Defaults reproduce the per-request CPU measured for CPython 3.11 on a 2-vCPU VM
/// (`docs/model.md` sections 3 and 4): with a thread pool, client about 36 µs,
/// event loop about 160 µs, worker about 30 µs; inline, loop about 75 µs; with a process
/// pool, loop about 200 µs, manager thread about 150 µs, feeder thread about 50 µs.
/// `execsim calibrate --from-live` is meant to replace them with figures fitted on the
/// machine at hand.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceCosts {
    /// A blocking-socket `send` (releases the GIL).
    pub send: SimDuration,
    /// A `recv` that finds data (releases the GIL).
    pub recv: SimDuration,
    /// `epoll_wait` / `select` system call (releases the GIL).
    pub poll: SimDuration,
    /// A pipe write (self-pipe wake-up, process-pool pipes; releases the GIL).
    pub pipe_write: SimDuration,
    /// A pipe read (releases the GIL).
    pub pipe_read: SimDuration,
    /// The client's Python per request (encode, loop, decode).
    pub client_py: SimDuration,
    /// The client's Python between `sock.sendall` returning and `sock.recv` releasing the
    /// GIL: a blocking send retakes the GIL when it returns (`Py_END_ALLOW_THREADS` in
    /// `sock_sendall`, `Modules/socketmodule.c`), so a client in the server's process takes
    /// the GIL twice per request. Seen in live GIL traces (`live --gil-trace`): an acquisition
    /// of about 3 µs between the send and the recv.
    pub client_after_send_py: SimDuration,
    /// One iteration of the asyncio loop woken by the selector (`_run_once`: selector
    /// wrapper, `_process_events`, dispatch), up to the first handle's system call.
    pub loop_iteration_py: SimDuration,
    /// One iteration of the asyncio loop that found callbacks ready (`_run_once` with
    /// `timeout = 0`: `epoll_wait(0)` returns nothing, then the ready handles run). asyncio
    /// resumes a task through `call_soon` (`StreamReader._wakeup_waiter`, `Future`
    /// callbacks), so each resumption costs one such iteration (live GIL traces: an
    /// `epoll_wait(0)` between the socket read and the handler's step).
    pub loop_ready_iteration_py: SimDuration,
    /// Handling readable data: transport callback, StreamReader, handler resumes, `int()`.
    pub loop_read_py: SimDuration,
    /// `run_in_executor` with a thread or interpreter pool: the handler resumes, `int()`,
    /// the future, `submit` up to the work queue's `put` (which wakes an idle worker).
    pub loop_submit_thread_py: SimDuration,
    /// After the executor's `put`: `_adjust_thread_count`, `wrap_future`, the task yields,
    /// the rest of the iteration (`concurrent/futures/thread.py`, `asyncio/futures.py`). The
    /// worker is woken before the loop drops the GIL.
    pub loop_after_submit_py: SimDuration,
    /// `run_in_executor` with a process pool: work item, queue, wake-up of the manager.
    pub loop_submit_process_py: SimDuration,
    /// A completed future's callbacks as `call_soon_threadsafe` queued them
    /// (`_chain_future`'s `_call_set_state`: the result copied to the asyncio future, whose
    /// done-callback schedules the task), run before the self-pipe is drained.
    pub loop_complete_py: SimDuration,
    /// `_read_from_self` between its two `recv` calls on the self-pipe: the first returns the
    /// wake-up byte, the second `BlockingIOError` (`asyncio/selector_events.py`).
    pub loop_self_pipe_py: SimDuration,
    /// `_read_from_self` after the empty read: `BlockingIOError` handled, the rest of the
    /// iteration and the start of the next (live GIL traces: a segment of its own before the
    /// next `epoll_wait`).
    pub loop_drained_py: SimDuration,
    /// The handler's step up to the reply's `send`: it resumes, encodes the reply,
    /// `writer.write` (`_SelectorSocketTransport.write` sends at once).
    pub loop_write_py: SimDuration,
    /// After the reply is sent: `drain`, the counter, the next `read` awaits.
    pub loop_after_send_py: SimDuration,
    /// Thread-pool worker: taking a work item off the queue.
    pub worker_get_py: SimDuration,
    /// Thread-pool worker: `set_result`, done-callback, `call_soon_threadsafe`.
    pub worker_done_py: SimDuration,
    /// Thread-pool worker after the self-pipe `send` returns: the rest of the future's
    /// callbacks, `del work_item`, `_idle_semaphore.release()`, back to the queue's `get`
    /// (`concurrent/futures/thread.py` `_worker`); one more GIL acquisition per request.
    pub worker_after_wake_py: SimDuration,
    /// Thread-pool worker woken on the work queue's lock when the list is empty (another
    /// worker's `get` released the lock after taking the item, [`super::SimpleQueue`]): its
    /// GIL hold before it sleeps again. Also the start of every woken `get`'s hold, which the
    /// traces count in `worker_done_py`. Measured with `src/calibrate/queue_waiters_probe.py`
    /// under the GIL trace: 0.32 µs median (0.21 to 0.40 µs, p10 to p90), Intel Xeon host;
    /// `calibrate --from-trace` measures it from `thread-split` when that trace shows it.
    pub worker_requeue_py: SimDuration,
    /// The Python a thread runs holding the thread pool's idle semaphore's lock (its
    /// `Condition`'s `threading.Lock`), in the loop's `submit` (`acquire(timeout=0)`) and in
    /// each worker after each item (`release()`); part of `loop_submit_thread_py` and
    /// `worker_after_wake_py`. Only free-threaded pools model the lock itself
    /// ([`crate::interp::PyLockId`]): without a GIL its holder can be preempted while
    /// others spin on it. Measured: a loop of `release(); acquire(timeout=0)` on a
    /// `threading.Semaphore`, 1.0 µs a pair on 3.11.7 (1.4 on 3.13t), AMD EPYC, 2026-12-03.
    pub idle_semaphore_py: SimDuration,
    /// Free-threaded thread pools: the putter's time inside the work queue's critical section
    /// after its `FUTEX_WAKE` has woken the worker (the system call's return, the end of
    /// `put`); part of `loop_submit_thread_py` ([`super::pool_locks`]). Measured in a live
    /// sched trace of 3.13t (2026-12-03, AMD EPYC): the loop's next lock call 3-4 µs after
    /// the wake-up event, about 1 µs of it Python after `put`.
    pub queue_wake_tail: SimDuration,
    /// Starting a new pool thread (`threading.Thread.start` and bootstrap).
    pub thread_start: SimDuration,
    /// Switching a worker thread into or out of a sub-interpreter (interpreter pool).
    pub interp_switch: SimDuration,
    /// Pickling or unpickling a small call or result (process and interpreter pools).
    pub pickle_py: SimDuration,
    /// Process-pool manager thread: back from `connection.wait` (`wait_result_broken_or_wakeup`
    /// in `concurrent/futures/process.py`), up to its first read.
    pub manager_py: SimDuration,
    /// Process-pool manager thread: handling one result (besides `pickle_py`): the result
    /// pipe's reads, `thread_wakeup.clear()`, `set_result` and the done-callback up to the
    /// event loop's self-pipe `send` (`call_soon_threadsafe`).
    pub manager_result_py: SimDuration,
    /// Process-pool manager thread after that self-pipe `send`: the rest of the callbacks and
    /// of the loop's pass, back to `connection.wait` (live GIL traces: a segment of its own,
    /// one more GIL acquisition per request).
    pub manager_after_result_py: SimDuration,
    /// Process-pool manager thread woken by `submit` (besides `manager_py`): draining the
    /// wake-up pipe (`thread_wakeup.clear()`), `add_call_item_to_queue` (the call queue's
    /// `put` wakes the feeder thread) and back to `connection.wait`.
    pub manager_submit_py: SimDuration,
    /// Process-pool feeder thread: its per-item overhead besides pickling, from its wait for
    /// an item to the pipe `write` and after it.
    pub feeder_py: SimDuration,
    /// Worker process: its per-item loop overhead besides (un)pickling.
    pub process_worker_py: SimDuration,
    /// Forking one worker process (charged to the submitting thread at first use).
    pub process_start: SimDuration,
    /// Thread-per-connection server: per-request Python besides the computation.
    pub conn_thread_py: SimDuration,
    /// Thread-per-connection server: after the reply's `send` returns, back to `recv`.
    pub conn_after_send_py: SimDuration,
    /// Per-byte costs of payloads and replies crossing a process or interpreter pool
    /// (`[service.bytes]`).
    pub bytes: ByteCosts,
}

impl Default for ServiceCosts {
    fn default() -> Self {
        ServiceCosts {
            send: us(8),
            recv: us(8),
            poll: us(2),
            pipe_write: us(5),
            pipe_read: us(3),
            client_py: us(20),
            client_after_send_py: us(3),
            loop_iteration_py: us(32),
            loop_ready_iteration_py: us(5),
            loop_read_py: us(18),
            loop_submit_thread_py: us(30),
            loop_after_submit_py: us(12),
            loop_submit_process_py: us(35),
            loop_complete_py: us(24),
            loop_self_pipe_py: us(3),
            loop_drained_py: us(6),
            loop_write_py: us(12),
            loop_after_send_py: us(15),
            worker_get_py: us(10),
            worker_done_py: us(12),
            worker_after_wake_py: us(8),
            worker_requeue_py: SimDuration::from_nanos(320),
            idle_semaphore_py: SimDuration::from_nanos(500),
            queue_wake_tail: SimDuration::from_nanos(2_500),
            thread_start: us(80),
            interp_switch: us(5),
            pickle_py: us(6),
            manager_py: us(20),
            manager_result_py: us(30),
            manager_after_result_py: us(0),
            manager_submit_py: us(8),
            feeder_py: us(8),
            process_worker_py: us(10),
            process_start: SimDuration::from_micros(2_500),
            conn_thread_py: us(30),
            conn_after_send_py: us(2),
            bytes: ByteCosts::default(),
        }
    }
}

/// The number of cost keys of [`ServiceCosts`].
pub const SERVICE_COST_KEYS: usize = 36;

/// Keys that are not a CPU step of a request: starting a pool thread or process, switching
/// interpreters (one-off costs, not scaled with the host's speed).
const NOT_REQUEST_STEPS: [&str; 3] = ["thread_start", "interp_switch", "process_start"];

impl ServiceCosts {
    /// Every cost with its key (as in `[service]`), in declaration order.
    pub fn keys_mut(&mut self) -> [(&'static str, &mut SimDuration); SERVICE_COST_KEYS] {
        [
            ("send", &mut self.send),
            ("recv", &mut self.recv),
            ("poll", &mut self.poll),
            ("pipe_write", &mut self.pipe_write),
            ("pipe_read", &mut self.pipe_read),
            ("client_py", &mut self.client_py),
            ("client_after_send_py", &mut self.client_after_send_py),
            ("loop_iteration_py", &mut self.loop_iteration_py),
            ("loop_ready_iteration_py", &mut self.loop_ready_iteration_py),
            ("loop_read_py", &mut self.loop_read_py),
            ("loop_submit_thread_py", &mut self.loop_submit_thread_py),
            ("loop_after_submit_py", &mut self.loop_after_submit_py),
            ("loop_submit_process_py", &mut self.loop_submit_process_py),
            ("loop_complete_py", &mut self.loop_complete_py),
            ("loop_self_pipe_py", &mut self.loop_self_pipe_py),
            ("loop_drained_py", &mut self.loop_drained_py),
            ("loop_write_py", &mut self.loop_write_py),
            ("loop_after_send_py", &mut self.loop_after_send_py),
            ("worker_get_py", &mut self.worker_get_py),
            ("worker_done_py", &mut self.worker_done_py),
            ("worker_after_wake_py", &mut self.worker_after_wake_py),
            ("worker_requeue_py", &mut self.worker_requeue_py),
            ("idle_semaphore_py", &mut self.idle_semaphore_py),
            ("queue_wake_tail", &mut self.queue_wake_tail),
            ("thread_start", &mut self.thread_start),
            ("interp_switch", &mut self.interp_switch),
            ("pickle_py", &mut self.pickle_py),
            ("manager_py", &mut self.manager_py),
            ("manager_result_py", &mut self.manager_result_py),
            ("manager_after_result_py", &mut self.manager_after_result_py),
            ("manager_submit_py", &mut self.manager_submit_py),
            ("feeder_py", &mut self.feeder_py),
            ("process_worker_py", &mut self.process_worker_py),
            ("process_start", &mut self.process_start),
            ("conn_thread_py", &mut self.conn_thread_py),
            ("conn_after_send_py", &mut self.conn_after_send_py),
        ]
    }

    /// Sets the cost named `key`; false if there is no such key.
    pub fn set(&mut self, key: &str, d: SimDuration) -> bool {
        match self.keys_mut().into_iter().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                *v = d;
                true
            }
            None => false,
        }
    }

    /// The cost named `key`.
    pub fn get(&self, key: &str) -> Option<SimDuration> {
        let mut c = *self;
        let found = c.keys_mut().into_iter().find(|(k, _)| *k == key);
        found.map(|(_, v)| *v)
    }

    /// Multiplies every CPU step of a request (each `*_py` Python step and the socket and
    /// pipe calls) by `f`; thread and process start-up and interpreter switches are kept.
    pub fn scale_request_steps(&mut self, f: f64) {
        for (k, d) in self.keys_mut() {
            if !NOT_REQUEST_STEPS.contains(&k) {
                *d = SimDuration::from_nanos((d.as_nanos() as f64 * f).round().max(0.0) as u64);
            }
        }
    }
}
