//! One I/O thread of the Rust server's process pool with its worker process, and what is in
//! the pipes between them ([`super::io_thread_pool`]).

use crate::machine::ThreadId;

/// An I/O thread, its worker process, and the request (`R`) in each pipe.
#[derive(Clone, Debug)]
pub(super) struct IoLink<R> {
    /// The server's I/O thread.
    pub io: ThreadId,
    /// The worker process's thread.
    pub process: ThreadId,
    /// A request written to the process's stdin, not yet read.
    pub to_process: Option<R>,
    /// A reply written to the process's stdout, not yet read.
    pub reply: Option<R>,
    /// The I/O thread wrote a request and waits for its reply.
    pub awaiting: bool,
}
