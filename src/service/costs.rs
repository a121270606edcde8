//! Per-step CPU costs of the service's Python code and system calls.

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
    /// One iteration of the asyncio loop (`_run_once`: selector wrapper, event dispatch).
    pub loop_iteration_py: SimDuration,
    /// Handling readable data: transport callback, StreamReader, handler resumes, `int()`.
    pub loop_read_py: SimDuration,
    /// `run_in_executor` with a thread or interpreter pool: future, submit, wrap.
    pub loop_submit_thread_py: SimDuration,
    /// `run_in_executor` with a process pool: work item, queue, wake-up of the manager.
    pub loop_submit_process_py: SimDuration,
    /// A completed future's callbacks: state copy, handler resumes, `writer.write`.
    pub loop_complete_py: SimDuration,
    /// After the reply is sent: `drain`, the counter, the next `read` awaits.
    pub loop_after_send_py: SimDuration,
    /// Thread-pool worker: taking a work item off the queue.
    pub worker_get_py: SimDuration,
    /// Thread-pool worker: `set_result`, done-callback, `call_soon_threadsafe`.
    pub worker_done_py: SimDuration,
    /// Starting a new pool thread (`threading.Thread.start` and bootstrap).
    pub thread_start: SimDuration,
    /// Switching a worker thread into or out of a sub-interpreter (interpreter pool).
    pub interp_switch: SimDuration,
    /// Pickling or unpickling a small call or result (process and interpreter pools).
    pub pickle_py: SimDuration,
    /// Process-pool manager thread: one pass of its loop (wake-up handling, bookkeeping).
    pub manager_py: SimDuration,
    /// Process-pool manager thread: handling one result (`set_result` and callbacks).
    pub manager_result_py: SimDuration,
    /// Process-pool feeder thread: its per-item overhead besides pickling.
    pub feeder_py: SimDuration,
    /// Worker process: its per-item loop overhead besides (un)pickling.
    pub process_worker_py: SimDuration,
    /// Forking one worker process (charged to the submitting thread at first use).
    pub process_start: SimDuration,
    /// Thread-per-connection server: per-request Python besides the computation.
    pub conn_thread_py: SimDuration,
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
            loop_iteration_py: us(32),
            loop_read_py: us(18),
            loop_submit_thread_py: us(30),
            loop_submit_process_py: us(35),
            loop_complete_py: us(24),
            loop_after_send_py: us(15),
            worker_get_py: us(10),
            worker_done_py: us(12),
            thread_start: us(80),
            interp_switch: us(5),
            pickle_py: us(6),
            manager_py: us(20),
            manager_result_py: us(30),
            feeder_py: us(8),
            process_worker_py: us(10),
            process_start: SimDuration::from_micros(2_500),
            conn_thread_py: us(30),
        }
    }
}
