//! A call item larger than a pipe, crossing it in chunks: the state both ends share (the
//! simulation of it is `pipe_transfer.rs`).

use crate::machine::ThreadId;

/// A pipe's capacity (Linux's default: 16 pages of 4 KiB).
pub const PIPE_BYTES: u64 = 64 << 10;

/// A call item crossing the call pipe in chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer<R> {
    /// The call item.
    pub request: R,
    /// Its bytes (the pickled payload).
    pub bytes: u64,
    /// Chunks written by the feeder so far.
    pub written: u64,
    /// Chunks read by the worker so far.
    pub read: u64,
    /// The worker reading it (once one has taken it).
    pub reader: Option<ThreadId>,
}

impl<R> Transfer<R> {
    /// How many chunks the payload takes.
    pub fn chunks(&self) -> u64 {
        self.bytes.div_ceil(PIPE_BYTES).max(1)
    }

    /// The bytes of chunk `k`.
    pub fn chunk_bytes(&self, k: u64) -> u64 {
        (self.bytes - k * PIPE_BYTES).min(PIPE_BYTES)
    }
}
