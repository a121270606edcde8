//! The machine: CPU cores and an OS scheduler that runs threads on them.
//!
//! It knows threads only as things that compute for a while, block, and get woken; it knows
//! nothing of interpreters, GILs or requests. The layer above drives it through
//! [`Machine::compute`], [`Machine::block`], [`Machine::wake`] and [`Machine::cut`], and
//! hears back through [`Notice`]s.
//!
//! # What it models, and the Linux mechanism each part stands for
//! - **Cores** run one thread at a time. A core switching to a different thread pays
//!   `ctx_switch` before the thread runs (`dispatch.rs`).
//! - **Fair scheduling**, one of two policies (the policy is a trait, `policy.rs`, chosen with
//!   [`SchedulerKind`]; CFS is the default):
//!   - **CFS** (`cfs.rs`, Linux up to 6.5): each thread accumulates virtual runtime while it
//!     runs; a core picks the runnable thread with the least. A thread that slept gets its
//!     virtual runtime raised to at least `min_vruntime - sched_latency / 2` on wake-up
//!     (sleeper credit), so an I/O-bound thread waking on a core that a CPU-bound thread
//!     occupies usually **preempts** it (wakeup preemption when the current thread leads by
//!     more than `wakeup_granularity`). A thread that keeps running is preempted at a
//!     **timer tick** (`tick.rs`) once it has had its slice (`sched_latency / nr_running`, at
//!     least `min_granularity`) and another thread waits.
//!   - **EEVDF** (`eevdf.rs`, Linux 6.6 on): a core picks, among the threads not behind
//!     their fair share (lag not negative), the earliest virtual deadline (the end of a
//!     `base_slice` request). A running thread keeps its slice (run to parity); a thread
//!     keeps its lag across sleep; a thread that blocks while ahead stays on its core's
//!     books until the others catch up (delayed dequeue).
//! - **Wake-up placement** (select_task_rq_fair, simplified; `wakeup.rs`): the previous core
//!   if it is idle; else any idle allowed core (scanning from the previous one); else the
//!   waker's core if allowed (wake-affine); else the previous core if allowed; else the
//!   first allowed core. A thread its policy still holds on a core's books (EEVDF's delayed
//!   dequeue) goes back there (`ttwu_runnable`).
//! - **Wake-up latency** depends on the target: onto an idle core (on a VM, a halted vCPU
//!   must be kicked: the costliest), onto a busy core (an IPI), or onto the waker's own core
//!   (just a run-queue insertion). These are the numbers that decide, on a 2-vCPU VM, whether
//!   a chain of threads waking each other runs fast or slow.
//! - **Idle pull** (newidle balance; `balance.rs`): a core going idle takes a waiting
//!   thread from another core's queue (the one the policy ranks first: under CFS the least
//!   virtual runtime; under EEVDF the least recently run), if the thread's affinity allows.
//!   A busy core's tick also moves waiting threads to idle cores.
//! - **Cache refills** (`refill.rs`): work on a core whose vCPU just halted runs slower for a
//!   while, and a thread's first work in a shared memory ([`MemoryDomain`]) that was last
//!   worked in on another core pays a fixed extra (the lines it needs are in that core's
//!   cache).
//! - **Affinity**: each thread has a set of allowed cores (`sched_setaffinity`).
//!
//! Left out, on purpose: periodic load balancing between busy cores, NUMA, SMT siblings,
//! priorities/nice, real-time classes. CPU-bound work is one segment, cut only by a
//! preemption or by the layer above ([`Machine::cut`]): never ticked through (`bursts.rs`).
//!
//! # Files
//! Mechanism: `system.rs` (the [`Machine`], its state and event routing), `threads.rs`,
//! `cores.rs`, `costs.rs`, `events.rs`, `bursts.rs`, `dispatch.rs`, `wakeup.rs`,
//! `balance.rs`, `tick.rs`, `refill.rs`. Policy: `policy.rs` (the trait, [`SchedulerKind`]), `cfs.rs`,
//! `eevdf.rs`, and `scheduler.rs` (the enum that dispatches to them).

mod balance;
mod bursts;
mod cfs;
mod cores;
mod costs;
mod dispatch;
mod eevdf;
mod events;
pub mod invariants;
mod policy;
mod refill;
mod scheduler;
mod stalls;
mod system;
mod threads;
mod tick;
mod wakeup;

pub use cores::CoreId;
pub(crate) use cores::RunQueues;
pub use costs::MachineCosts;
pub use events::{MachineEvent, Notice};
pub use policy::SchedulerKind;
pub use refill::MemoryDomain;
pub use system::Machine;
pub use threads::{ThreadId, ThreadRunState};
