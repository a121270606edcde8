//! What the Rust server's own code costs between its system calls.
//!
//! The Rust server (`execsim live --backend rust`, [`super::ServerLanguage::Rust`]) makes the
//! same system calls as the lesson's CPython service (the client's `send` and `recv`, the
//! loop's `epoll_wait`, `read` and `write`, a futex or eventfd per hand-off, pipes to worker
//! processes), whose costs are the kernel's and stay those of the calibration's `[service]`;
//! in place of each Python segment it runs a little Rust (tokio's task machinery, a mutex
//! and condvar, formatting a number). [`ServiceCosts::for_rust_server`] builds the costs of
//! a simulated Rust server from both.
//!
//! The defaults are measured, not fitted: `python3 validation/rust/user_time.py 3` (2026-12-03
//! 21:37 UTC, AMD EPYC, 2 vCPUs, idle) runs the Rust server live on the shapes of
//! `validation/rust/costs/` (one closed-loop client sending n = 1, no long request) and reads
//! each thread's user time from `/proc` between 1.5 s and 5.5 s: per request (medians of
//! three runs), client 0.75 / 1.26 / 1.02 / 0.70 µs (inline / thread pool / process
//! pool / thread per connection; the default is their median, 0.89), loop 1.02 / 3.35 /
//! 1.79 µs, thread-pool worker 1.47 µs, I/O threads 3.96 µs, worker process 1.08 µs,
//! connection thread 0.59 µs. System time per request, for comparison: 6.4 µs for the
//! inline loop, 32 µs for the thread pool's loop (its wake-ups of the other vCPU).
//!
//! ```
//! use execsim::service::{RustServerCosts, ServiceCosts};
//! let cpython = ServiceCosts::default();
//! let rust = cpython.for_rust_server(&RustServerCosts::default());
//! // The kernel's costs stay; the Python segments become the Rust code's.
//! assert_eq!(rust.send, cpython.send);
//! assert!(rust.loop_read_py < cpython.loop_read_py);
//! assert_eq!(rust.pickle_py, execsim::kernel::SimDuration::ZERO);
//! ```

use super::costs::ServiceCosts;
use crate::kernel::SimDuration;
use serde::{Deserialize, Serialize};

/// The Rust server's user-space time per request, by thread (the `[rust_server]` table of a
/// calibration file; every key optional).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RustServerCosts {
    /// A client thread's code per request (format `n\n`, parse the reply).
    pub client: SimDuration,
    /// The loop's code per request handled inline (its epoll wake-up, the read, the reply).
    pub loop_request: SimDuration,
    /// The loop's extra code per request handed to the thread pool (submit, the oneshot's
    /// completion, the waker).
    pub loop_thread_handoff: SimDuration,
    /// The loop's extra code per request handed to the process pool.
    pub loop_process_handoff: SimDuration,
    /// A thread-pool worker's code per request (take, compute's wrapper, reply).
    pub worker: SimDuration,
    /// A process pool's I/O thread's code per request (take, write `n\n`, read and parse the
    /// reply, complete the oneshot).
    pub io_thread: SimDuration,
    /// A worker process's code per request (read a line, parse, format, flush).
    pub process_worker: SimDuration,
    /// A thread-per-connection server's thread per request (read, parse, format, write).
    pub connection: SimDuration,
}

impl Default for RustServerCosts {
    fn default() -> Self {
        let ns = SimDuration::from_nanos;
        RustServerCosts {
            client: ns(890),
            loop_request: ns(1_020),
            loop_thread_handoff: ns(2_330),
            loop_process_handoff: ns(770),
            worker: ns(1_470),
            io_thread: ns(3_960),
            process_worker: ns(1_080),
            connection: ns(590),
        }
    }
}

impl ServiceCosts {
    /// The costs of a simulated Rust server: these system-call costs (and the per-byte pipe
    /// costs), the Rust code's `r` in place of every Python segment, nothing to pickle.
    /// `thread_start` and `process_start` stay as they are (not measured for the Rust server:
    /// they only delay a pool's first submits).
    ///
    /// Each per-request figure of `r` is split evenly over the segments the model cuts that
    /// thread's request into; the loop's hand-off segments shared by both pools
    /// (`loop_after_submit_py`, `loop_complete_py`, `loop_self_pipe_py`, `loop_drained_py`)
    /// carry the process pool's share, the thread pool's submit the rest of its own.
    pub fn for_rust_server(&self, r: &RustServerCosts) -> ServiceCosts {
        let z = SimDuration::ZERO;
        let split = |d: SimDuration, k: u64| SimDuration::from_nanos(d.as_nanos() / k);
        let shared = split(r.loop_process_handoff, 5);
        let mut c = *self;
        c.client_py = split(r.client, 2);
        c.client_after_send_py = split(r.client, 2);
        let per_loop_step = split(r.loop_request, 4);
        c.loop_iteration_py = per_loop_step;
        c.loop_ready_iteration_py = z;
        c.loop_read_py = per_loop_step;
        c.loop_write_py = per_loop_step;
        c.loop_after_send_py = per_loop_step;
        c.loop_after_submit_py = shared;
        c.loop_complete_py = shared;
        c.loop_self_pipe_py = shared;
        c.loop_drained_py = shared;
        c.loop_submit_process_py = shared;
        c.loop_submit_thread_py = SimDuration::from_nanos(
            r.loop_thread_handoff
                .as_nanos()
                .saturating_sub(shared.as_nanos() * 4),
        );
        let per_worker_step = split(r.worker, 4);
        c.worker_get_py = per_worker_step;
        c.worker_done_py = per_worker_step;
        c.worker_after_wake_py = per_worker_step;
        c.worker_requeue_py = per_worker_step;
        c.idle_semaphore_py = z;
        c.queue_wake_tail = z;
        c.interp_switch = z;
        c.pickle_py = z;
        c.manager_py = z;
        c.manager_after_result_py = z;
        c.manager_submit_py = z;
        c.feeder_py = split(r.io_thread, 2);
        c.manager_result_py = split(r.io_thread, 2);
        c.process_worker_py = r.process_worker;
        c.conn_thread_py = split(r.connection, 2);
        c.conn_after_send_py = split(r.connection, 2);
        c.bytes.pickle_ns_per_byte = 0.0;
        c.bytes.unpickle_ns_per_byte = 0.0;
        c
    }
}
