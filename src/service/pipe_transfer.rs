//! A payload larger than a pipe crossing the process pool's call pipe, 64 KiB at a time.
//!
//! Linux gives a pipe 16 pages (`PIPE_DEF_BUFFERS`, 64 KiB). The feeder thread's
//! `send_bytes` is one `write` that copies until the pipe is full, wakes the reader and
//! sleeps until there is room (`pipe_write` in `fs/pipe.c`); the worker process's
//! `recv_bytes` reads what the pipe holds, wakes the writer, and waits for more
//! (`pipe_read`). With the two on different vCPUs, each 64 KiB is a wake-up each way: a 2 MB
//! payload is 31 round trips. A live process pool measured it (`ProcessPoolExecutor` with
//! one worker, one call at a time, 2026-12-03, AMD EPYC host): 0.38–0.45 ms a round trip with
//! no payload, 2.5–2.7 ms with 1 MB, 4.7–5.4 ms with 2 MB, 7.5–8.1 ms with 4 MB: about twice
//! what copying and pickling cost (`ByteCosts`, measured on a warm, busy pipe). With the
//! chunks, the simulation adds 2.0 ms for 1 MB and 8.5 ms for 4 MB (`tests/workloads.rs`);
//! without them it added 1.0 and 4.5.
//!
//! Here: the feeder writes chunk k (its copy: `pipe_write_ns_per_byte`) only when the reader
//! has taken chunk k − 1; the reader reads chunk k (`pipe_read_ns_per_byte`) only when it is
//! written; each wakes the other (the machine charges the wake-up). A payload that fits the
//! pipe takes one write and one read, as before. The reply, back on the result pipe to the
//! manager thread, is not chunked.

use super::pipe::{Transfer, PIPE_BYTES};
use super::world::{Effect, Request, World};
use crate::interp::Step;
use crate::machine::ThreadId;

impl World {
    /// True if `payload` bytes need more than one pipe's worth.
    pub(super) fn chunked(payload: u64) -> bool {
        payload > PIPE_BYTES
    }

    /// The feeder's next step in a chunked transfer, or None when none is in progress.
    pub(super) fn feeder_transfer_step(&mut self) -> Option<(Step, Effect)> {
        let tr = self.pool.transfer?;
        let c = self.costs;
        if tr.written == tr.chunks() || tr.written > tr.read {
            // The pipe is full, or the item is all written and not all read (the reader ends
            // the transfer): wait.
            return Some((Step::Block, Effect::None));
        }
        let k = tr.written;
        let mut copy = c.bytes.pipe_write(tr.chunk_bytes(k));
        if k == 0 {
            copy += c.pipe_write;
        }
        let f = self.pool.feeder.expect("feeder exists");
        self.push_waking_call(f, copy, Effect::ChunkWritten);
        Some(self.first(f))
    }

    /// The reading worker's next step, or None when the transfer is read to its end (the
    /// caller goes on with the call).
    pub(super) fn reader_transfer_step(&mut self, t: ThreadId) -> Option<(Step, Effect)> {
        let tr = self.pool.transfer.filter(|tr| tr.reader == Some(t))?;
        if tr.read == tr.chunks() {
            return None;
        }
        if tr.read >= tr.written {
            return Some((Step::Block, Effect::None));
        }
        let k = tr.read;
        let mut copy = self.costs.bytes.pipe_read(tr.chunk_bytes(k));
        if k == 0 {
            copy += self.costs.pipe_read;
        }
        self.push_waking_call(t, copy, Effect::ChunkRead);
        Some(self.first(t))
    }

    /// Applies the end of `t`'s chunk: written (the reader may read it; the first one puts
    /// the call item in the pipe for a worker to take) or read (the writer may go on).
    pub(super) fn chunk_done(
        &mut self,
        t: ThreadId,
        written: bool,
        q: &mut crate::kernel::EventQueue<super::Event>,
    ) {
        let Some(tr) = self.pool.transfer.as_mut() else {
            return;
        };
        if written {
            tr.written += 1;
            if tr.written == 1 {
                let r = tr.request;
                self.pool.call_pipe.push_back(r);
                if let Some(w) = self.pool.idle.pop_front() {
                    self.wake(w, Some(t), q);
                }
                return;
            }
            if let Some(reader) = tr.reader {
                self.wake(reader, Some(t), q);
            }
        } else {
            tr.read += 1;
            if let Some(f) = self.pool.feeder {
                self.wake(f, Some(t), q);
            }
        }
    }

    /// Starts a chunked transfer of `r` (`bytes` pickled) from the feeder.
    pub(super) fn start_transfer(&mut self, r: Request, bytes: u64) {
        self.pool.transfer = Some(Transfer {
            request: r,
            bytes,
            written: 0,
            read: 0,
            reader: None,
        });
    }

    /// Worker `t` took `r` from the call pipe: if it is the chunked transfer's, `t` reads it.
    pub(super) fn take_transfer(&mut self, t: ThreadId, r: &Request) -> bool {
        match self.pool.transfer.as_mut() {
            Some(tr) if tr.reader.is_none() && tr.request == *r => {
                tr.reader = Some(t);
                true
            }
            _ => false,
        }
    }

    /// The reader has read the last chunk: the pipe is free for the feeder's next item.
    pub(super) fn end_transfer(
        &mut self,
        t: ThreadId,
        q: &mut crate::kernel::EventQueue<super::Event>,
    ) {
        self.pool.transfer = None;
        if let Some(f) = self.pool.feeder {
            self.wake(f, Some(t), q);
        }
    }
}
