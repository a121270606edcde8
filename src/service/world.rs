//! The world: machine, runtime and service state, and the dispatch of events and effects.

use super::costs::ServiceCosts;
use super::simple_queue::SimpleQueue;
use super::spec::{ClientMode, ExecutorKind, ServerKind, ServerLanguage, ServiceSpec, Work};
use super::worker_at::WorkerAt;
use crate::interp::{InterpEvent, InterpId, PyNotice, Runtime, Step};
use crate::kernel::{
    EventQueue, Model, RngStreams, SimDuration, SimRng, SimTime, TraceKey, Violation,
};
use crate::machine::{CoreId, MachineEvent, ThreadId};
use crate::workload::cost::CostModel;
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, VecDeque};

/// Every event of a service simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The scheduler's.
    Machine(MachineEvent),
    /// The GIL protocol's.
    Interp(InterpEvent),
    /// The workload's.
    Service(ServiceEvent),
}

/// Events of the service layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceEvent {
    /// A client connects and starts.
    ClientStart(u32),
    /// An open-loop client's next request is due.
    Arrival(u32),
    /// A closed-loop client's think time is over.
    ThinkDone(u32),
    /// A timer of the event loop is due (an inline handler's awaited `io` step).
    LoopTimer(u64),
}

impl From<MachineEvent> for Event {
    fn from(e: MachineEvent) -> Self {
        Event::Machine(e)
    }
}
impl From<InterpEvent> for Event {
    fn from(e: InterpEvent) -> Self {
        Event::Interp(e)
    }
}

impl TraceKey for Event {
    fn trace_key(&self) -> u64 {
        match self {
            Event::Machine(e) => e.trace_key(),
            Event::Interp(e) => e.trace_key(),
            Event::Service(ServiceEvent::ClientStart(c)) => 32 | (*c as u64) << 8,
            Event::Service(ServiceEvent::Arrival(c)) => 33 | (*c as u64) << 8,
            Event::Service(ServiceEvent::ThinkDone(c)) => 34 | (*c as u64) << 8,
            Event::Service(ServiceEvent::LoopTimer(id)) => 35 | *id << 8,
        }
    }
}

/// What a thread is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "role", content = "index")]
pub enum ThreadRole {
    /// The asyncio event loop.
    EventLoop,
    /// A client's thread.
    Client(u32),
    /// A thread-pool (or interpreter-pool) worker.
    PoolWorker(u32),
    /// The process pool's executor manager thread.
    Manager,
    /// The process pool's call-queue feeder thread.
    Feeder,
    /// A process-pool worker process (its main thread).
    ProcessWorker(u32),
    /// A thread-per-connection server thread, for a client.
    Connection(u32),
    /// The Rust server's process pool: the I/O thread of worker process k
    /// ([`super::io_thread_pool`]).
    PoolIo(u32),
}

/// A request in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Request {
    pub client: u32,
    pub work: Work,
    pub created: SimTime,
    /// The answer, `find_nth_prime(n)`, set by the thread that computes it (0 until then,
    /// and for a request type of the user's).
    pub reply: u64,
    /// A request type's next step (an inline handler resumes there after an `io` step).
    pub progress: u16,
}

/// A task step the loop will run in its next iteration (resumed through `call_soon`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LoopTask {
    /// A handler whose `reader.read` got the request: parse it, then run it inline or
    /// submit it to the executor.
    Handle(Request),
    /// A handler whose executor future completed: write the reply.
    Reply(Request),
    /// An inline handler whose awaited `io` step is over: its next steps.
    Resume(Request),
}

/// What happens when a step ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Effect {
    None,
    /// The client's send lands in the server-side socket buffer.
    SendRequest(Request),
    /// The server's send lands in the client-side socket buffer.
    SendReply(Request),
    /// The handler of this connection is ready to read again.
    HandlerIdle(u32),
    /// `run_in_executor`: the request goes to the pool.
    Submit(Request),
    /// Thread pool: `_adjust_thread_count`, holding the idle semaphore's lock.
    AdjustThreads,
    /// The future is done and `call_soon_threadsafe` wrote the self-pipe.
    Complete(Request),
    /// The client has read a reply.
    Received(Request),
    /// Process pool: the manager put a call item on the call queue (feeder's buffer).
    CallItem(Request),
    /// Process pool: the feeder wrote a call to the workers' pipe.
    ToWorkers(Request),
    /// Process pool: a worker wrote a result to the result pipe.
    ResultReady(Request),
    /// The Rust server's process pool: I/O thread k wrote a request to its process.
    ToProcess(u32, Request),
    /// The Rust server's process pool: worker process k wrote its reply.
    FromProcess(u32, Request),
    /// The thread moves to another interpreter (interpreter pool).
    SetInterp(InterpId),
    /// An inline handler awaits an `io` step this long: the loop arms a timer.
    AwaitIo(Request, SimDuration),
    /// Process pool: the feeder wrote one chunk of a payload larger than the pipe.
    ChunkWritten,
    /// Process pool: the reading worker read one chunk of it.
    ChunkRead,
}

pub(super) struct Slot {
    pub role: ThreadRole,
    pub name: String,
    pub todo: VecDeque<(Step, Effect)>,
    pub current: Effect,
}

/// One client connection.
pub(super) struct Conn {
    pub server_inbox: VecDeque<Request>,
    pub client_inbox: VecDeque<Request>,
    pub handler_busy: bool,
    pub server_thread: Option<ThreadId>,
}

/// One client's state and statistics.
pub(super) struct Client {
    /// Index of its group in [`ServiceSpec::clients`].
    pub group: usize,
    pub name: String,
    pub mode: ClientMode,
    pub thread: Option<ThreadId>,
    pub outstanding: u64,
    pub due: VecDeque<SimTime>,
    pub thinking: bool,
    pub rng: SimRng,
    pub issued: u64,
    pub completed: u64,
    pub per_second: Vec<u64>,
    pub latency: Histogram<u64>,
    pub in_flight: VecDeque<SimTime>,
}

/// Pool state shared by the executors.
#[derive(Default)]
pub(super) struct Pool {
    pub workers: Vec<ThreadId>,
    pub sub_interps: Vec<InterpId>,
    // Thread pool.
    pub work: SimpleQueue<Request>,
    /// `_idle_semaphore`'s value: workers back from an item, not yet claimed by a submit.
    pub idle_permits: u32,
    /// The work queue's and idle semaphore's locks, modelled in free-threaded thread pools
    /// only ([`super::pool_locks`]).
    pub locks: Option<super::pool_locks::PoolLocks>,
    /// Where each worker is in its loop.
    pub worker_at: Vec<WorkerAt>,
    // Process pool.
    pub idle: VecDeque<ThreadId>,
    pub started: bool,
    pub pending: VecDeque<Request>,
    pub in_call_queue: usize,
    pub feed_buffer: VecDeque<Request>,
    pub call_pipe: VecDeque<Request>,
    pub results: VecDeque<Request>,
    pub manager: Option<ThreadId>,
    pub feeder: Option<ThreadId>,
    pub manager_polled: bool,
    /// A call item larger than the call pipe, crossing it chunk by chunk.
    pub transfer: Option<super::pipe::Transfer<Request>>,
    // The Rust server's process pool (`pending` is its shared queue).
    /// Each I/O thread with its worker process.
    pub links: Vec<super::io_link::IoLink<Request>>,
    /// I/O threads waiting on the queue's condvar, longest first.
    pub io_waiting: VecDeque<u32>,
}

/// The whole simulated system: the [`Model`] a service simulation runs.
pub struct World {
    /// The Python runtime (and machine) underneath.
    pub rt: Runtime,
    pub(super) costs: ServiceCosts,
    pub(super) cost_model: CostModel,
    pub(super) spec: ServiceSpec,
    pub(super) main_interp: InterpId,
    pub(super) slots: Vec<Slot>,
    pub(super) conns: Vec<Conn>,
    pub(super) clients: Vec<Client>,
    pub(super) loop_thread: Option<ThreadId>,
    pub(super) loop_polled: bool,
    pub(super) completions: VecDeque<Request>,
    /// Task steps the loop runs in its next iteration (resumed through `call_soon`).
    pub(super) loop_ready: Vec<LoopTask>,
    pub(super) pool: Pool,
    /// Per request type of the spec, the stream its steps' durations are drawn from.
    pub(super) request_rngs: Vec<SimRng>,
    /// The loop's armed timers (awaited `io` steps), by id.
    pub(super) loop_timers: BTreeMap<u64, Request>,
    pub(super) next_timer: u64,
    /// Timers due, whose callbacks the loop runs in its next iteration.
    pub(super) due_timers: VecDeque<Request>,
    pub(super) horizon: SimTime,
    /// Invariant checking (None: off, the default): the violations found while handling
    /// events (wrong replies), oldest first.
    pub(super) checks: Option<Vec<Violation>>,
}

impl World {
    /// Builds the world for a service; `q` receives the initial events (each client's start,
    /// the event loop's first wake-up).
    pub fn new(
        spec: ServiceSpec,
        rt: Runtime,
        costs: ServiceCosts,
        cost_model: CostModel,
        q: &mut EventQueue<Event>,
    ) -> World {
        let mut rt = rt;
        let main_interp = rt.new_interpreter(spec.gil, spec.switch_interval);
        let horizon = SimTime::ZERO + spec.duration;
        let streams = RngStreams::new(spec.seed);
        let request_rngs = spec
            .requests
            .iter()
            .map(|r| streams.stream(&format!("request/{}", r.name)))
            .collect();
        let mut world = World {
            rt,
            costs,
            cost_model,
            spec,
            main_interp,
            slots: Vec::new(),
            conns: Vec::new(),
            clients: Vec::new(),
            loop_thread: None,
            loop_polled: false,
            completions: VecDeque::new(),
            loop_ready: Vec::new(),
            pool: Pool::default(),
            request_rngs,
            loop_timers: BTreeMap::new(),
            next_timer: 0,
            due_timers: VecDeque::new(),
            horizon,
            checks: None,
        };
        if world.spec.language == ServerLanguage::Rust {
            world.pool.work = SimpleQueue::condvar();
        }
        if super::pool_locks::PoolLocks::modelled(&world.spec) {
            let queue = world.rt.new_lock();
            let idle = world.rt.new_lock();
            world.pool.locks = Some(super::pool_locks::PoolLocks { queue, idle });
        }
        world.add_clients(q);
        if world.spec.server == ServerKind::Asyncio {
            world.start_event_loop(q);
        }
        world.pump(q);
        world
    }

    /// One client (and its connection) per member of each group, each starting at its
    /// group's start time.
    fn add_clients(&mut self, q: &mut EventQueue<Event>) {
        let streams = RngStreams::new(self.spec.seed);
        let seconds = self.spec.duration.as_nanos().div_ceil(1_000_000_000) as usize;
        for (i, group) in self.spec.clients.iter().enumerate() {
            for k in 0..group.count {
                let name = if group.count == 1 {
                    group.name.clone()
                } else {
                    format!("{}-{k}", group.name)
                };
                let id = self.clients.len() as u32;
                self.clients.push(Client {
                    group: i,
                    rng: streams.stream(&format!("client/{name}")),
                    name,
                    mode: group.pacing.mode(),
                    thread: None,
                    outstanding: 0,
                    due: VecDeque::new(),
                    thinking: false,
                    issued: 0,
                    completed: 0,
                    per_second: vec![0; seconds],
                    latency: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                        .expect("valid histogram bounds"),
                    in_flight: VecDeque::new(),
                });
                self.conns.push(Conn {
                    server_inbox: VecDeque::new(),
                    client_inbox: VecDeque::new(),
                    handler_busy: false,
                    server_thread: None,
                });
                q.schedule_at(
                    SimTime::ZERO + group.start,
                    Event::Service(ServiceEvent::ClientStart(id)),
                );
            }
        }
    }

    /// The asyncio server's event loop thread (and a process pool's helper threads and
    /// worker processes).
    fn start_event_loop(&mut self, q: &mut EventQueue<Event>) {
        let aff = self.spec.affinity.event_loop.clone();
        let t = self.spawn(
            self.main_interp,
            &aff,
            ThreadRole::EventLoop,
            "event-loop".into(),
        );
        self.loop_thread = Some(t);
        self.rt.wake(t, None, q);
        if self.spec.executor == ExecutorKind::Process {
            match self.spec.language {
                ServerLanguage::Python => self.start_process_pool_threads(q),
                ServerLanguage::Rust => self.start_io_thread_pool(),
            }
        }
    }

    pub(super) fn spawn(
        &mut self,
        interp: InterpId,
        affinity: &[CoreId],
        role: ThreadRole,
        name: String,
    ) -> ThreadId {
        let t = self.rt.spawn(interp, affinity);
        if self.spec.language == ServerLanguage::Rust {
            // No interpreter's state to refill at a switch.
            self.rt.machine.set_lean(t);
        }
        debug_assert_eq!(t.0 as usize, self.slots.len());
        self.slots.push(Slot {
            role,
            name,
            todo: VecDeque::new(),
            current: Effect::None,
        });
        t
    }

    /// A new interpreter of the service's kind (a process, or a sub-interpreter).
    pub(super) fn new_interp(&mut self) -> InterpId {
        self.rt
            .new_interpreter(self.spec.gil, self.spec.switch_interval)
    }

    /// The thread's role.
    pub fn role(&self, t: ThreadId) -> ThreadRole {
        self.slots[t.0 as usize].role
    }

    /// The thread's name.
    pub fn thread_name(&self, t: ThreadId) -> &str {
        &self.slots[t.0 as usize].name
    }

    /// Number of threads.
    pub fn thread_count(&self) -> usize {
        self.slots.len()
    }

    /// The service being run.
    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }

    /// The server process's interpreter.
    pub fn main_interp(&self) -> InterpId {
        self.main_interp
    }

    pub(super) fn wake(&mut self, t: ThreadId, waker: Option<ThreadId>, q: &mut EventQueue<Event>) {
        self.rt.wake(t, waker, q);
    }

    /// Handles the runtime's notices, oldest first, until none is left: the heart of the
    /// dispatch. A thread that finished a step gets its effect applied and its next step
    /// started.
    fn pump(&mut self, q: &mut EventQueue<Event>) {
        while let Some(PyNotice::StepDone(t)) = self.rt.next_notice() {
            let effect = std::mem::replace(&mut self.slots[t.0 as usize].current, Effect::None);
            self.apply(t, effect, q);
            let (step, eff) = match self.slots[t.0 as usize].todo.pop_front() {
                Some(x) => x,
                None => self.plan(t, q),
            };
            self.slots[t.0 as usize].current = eff;
            self.rt.start(t, step, q);
        }
    }

    /// The thread's next steps, by role.
    fn plan(&mut self, t: ThreadId, q: &mut EventQueue<Event>) -> (Step, Effect) {
        match self.slots[t.0 as usize].role {
            ThreadRole::EventLoop => self.plan_loop(t),
            ThreadRole::Client(c) => self.plan_client(t, c, q),
            ThreadRole::PoolWorker(w) => self.plan_pool_worker(t, w, q),
            ThreadRole::Manager => self.plan_manager(t),
            ThreadRole::Feeder => self.plan_feeder(),
            ThreadRole::ProcessWorker(i) => match self.spec.language {
                ServerLanguage::Python => self.plan_process_worker_t(t, q),
                ServerLanguage::Rust => self.plan_linked_process(t, i),
            },
            ThreadRole::PoolIo(i) => self.plan_io_thread(t, i),
            ThreadRole::Connection(c) => self.plan_connection(t, c),
        }
    }

    /// Queues a step. Two back-to-back Python steps (or two GIL-free calls) of which the
    /// first has no effect are one step: nothing can happen between them that would not
    /// also cut the merged one (a drop request cuts a burst and keeps its remainder), so the
    /// merge changes no outcome and saves an event.
    pub(super) fn push(&mut self, t: ThreadId, step: Step, effect: Effect) {
        let todo = &mut self.slots[t.0 as usize].todo;
        if let Some((last, Effect::None)) = todo.back_mut() {
            match (last, step) {
                (Step::Python(a), Step::Python(b)) | (Step::Release(a), Step::Release(b)) => {
                    *a += b;
                    todo.back_mut().expect("non-empty").1 = effect;
                    return;
                }
                _ => {}
            }
        }
        todo.push_back((step, effect));
    }

    /// Queues a system call that wakes another thread (`effect`), then its return to user
    /// space: a zero-length GIL-free step. Linux wakes the receiver inside the call and
    /// preempts the caller, if the wake-up says so, at the call's return, before the caller's
    /// next Python retakes the GIL; so a client woken on the loop's own CPU runs its whole turn
    /// inside the loop's reply `send` (live GIL traces on one vCPU, `thread-one`: the loop's
    /// reply `send` takes 11.4 µs at the median against 1.7 µs for a `send` that preempts
    /// nobody, and the client takes the GIL with no wait).
    pub(super) fn push_waking_call(&mut self, t: ThreadId, call: SimDuration, effect: Effect) {
        self.push(t, Step::Release(call), effect);
        self.push(t, Step::Release(SimDuration::ZERO), Effect::None);
    }

    /// Pops the first planned step of a thread (after a plan filled its queue).
    pub(super) fn first(&mut self, t: ThreadId) -> (Step, Effect) {
        self.slots[t.0 as usize]
            .todo
            .pop_front()
            .expect("a plan pushes at least one step")
    }

    fn on_service_event(&mut self, ev: ServiceEvent, q: &mut EventQueue<Event>) {
        match ev {
            ServiceEvent::ClientStart(c) => self.start_client(c, q),
            ServiceEvent::Arrival(c) => self.arrival(c, q),
            ServiceEvent::ThinkDone(c) => {
                let cl = &mut self.clients[c as usize];
                cl.thinking = false;
                if let Some(t) = cl.thread {
                    self.wake(t, None, q);
                }
            }
            ServiceEvent::LoopTimer(id) => self.loop_timer_due(id, q),
        }
    }

    /// The simulated end of the run.
    pub fn horizon(&self) -> SimTime {
        self.horizon
    }
}

impl Model for World {
    type Event = Event;
    fn handle(&mut self, ev: Event, q: &mut EventQueue<Event>) {
        match ev {
            Event::Machine(e) => self.rt.handle_machine(e, q),
            Event::Interp(e) => self.rt.handle(e, q),
            Event::Service(e) => self.on_service_event(e, q),
        }
        self.pump(q);
    }
}

impl World {
    /// Per client: name, index of its group in [`ServiceSpec::clients`], issued, completed,
    /// per-second counts, latency histogram (µs).
    #[allow(clippy::type_complexity)]
    pub fn client_reports(
        &self,
    ) -> impl Iterator<Item = (&str, usize, u64, u64, &[u64], &Histogram<u64>)> {
        self.clients.iter().map(|c| {
            (
                c.name.as_str(),
                c.group,
                c.issued,
                c.completed,
                c.per_second.as_slice(),
                &c.latency,
            )
        })
    }
}
