//! The service: the lesson's asyncio prime server, its executors and its clients, as threads
//! that take steps on the [`crate::interp::Runtime`].
//!
//! [`ServiceSpec`] says what the service is (server, executor, pool size, GIL, clients,
//! affinities); [`World::new`] builds it; no file format is known here.
//!
//! One file per concept: [`event_loop`](self) (the asyncio loop: selector wait, ready events,
//! self-pipe wake-ups), the pools (`thread_pool.rs`, also the interpreter pool, whose work
//! queue is CPython's [`SimpleQueue`]; `process_pool.rs` with its feeder and manager threads and worker processes),
//! `thread_per_connection.rs` (the lesson's earlier server shape) and `client.rs` (closed and
//! open loop), and `work.rs` (a request's work on the thread that does it: the prime core or
//! the steps of a user's request type, with `byte_costs.rs` for payloads crossing a process
//! pool), `pool_locks.rs` (the pool's locks on a free-threaded build). Each thread keeps a
//! short queue of `(step, effect)` pairs; an effect (a request reaching the server's socket, a
//! future completing, a reply arriving) applies when its step ends (`effect.rs`), and may wake
//! other threads.
//!
//! A request's life with a thread pool: the client's `send` puts it in the connection's
//! server-side buffer and wakes the loop from `epoll_wait`; the loop reads it, parses it and
//! submits `find_nth_prime(n)` to the pool, waking an idle worker; the worker computes, sets
//! the future's result and writes the loop's self-pipe (`call_soon_threadsafe`), waking the
//! loop again; the loop runs the callbacks, resumes the handler and sends the reply, waking
//! the client. Four GIL hand-offs when every thread is in one process.

mod byte_costs;
mod client;
mod costs;
mod effect;
mod event_loop;
mod invariants;
mod io_link;
mod io_thread_pool;
mod pipe;
mod pipe_transfer;
mod pool_locks;
mod process_pool;
mod rust_server_costs;
mod simple_queue;
mod spec;
mod thread_per_connection;
mod thread_pool;
mod work;
mod worker_at;
mod world;

pub use byte_costs::ByteCosts;
pub use costs::ServiceCosts;
pub use invariants::{CONSERVATION, CORRECT_REPLY};
pub use rust_server_costs::RustServerCosts;
pub use simple_queue::SimpleQueue;
pub use spec::{
    Affinity, Arrivals, ClientGroup, ClientMode, ExecutorKind, Pacing, RequestArgs, ServerKind,
    ServerLanguage, ServiceSpec, Work,
};
pub use world::{Event, ServiceEvent, ThreadRole, World};
