//! The lesson's scenarios: a closed-loop client sending `1` from t = 0, a second client
//! sending `100000` from t = 2 s (which runs far longer than the run), in the server's
//! process, on a 2-core machine, for 12 s.

use crate::kernel::SimDuration;
use crate::service::ServerLanguage;
use crate::sim::scenario::{
    AffinitySpec, ClientSpec, CostOverrides, ExecutorKind, MachineSpec, PythonSpec, Scenario,
    ServerKind, ServerSpec,
};

/// Where the thread pool's CPU-bound worker runs relative to the I/O threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// No affinity: the scheduler decides.
    Unpinned,
    /// Loop and clients on core 0, pool workers on core 1: the CPU-bound worker has a core
    /// to itself (the GIL convoy).
    Convoy,
    /// Everything on core 0: the CPU-bound worker shares a core with the I/O threads.
    Shared,
}

impl Placement {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Placement::Unpinned => "unpinned",
            Placement::Convoy => "own-core",
            Placement::Shared => "shared-core",
        }
    }

    /// The affinity section for this placement.
    pub fn affinity(self) -> AffinitySpec {
        match self {
            Placement::Unpinned => AffinitySpec::default(),
            Placement::Convoy => AffinitySpec {
                event_loop: vec![0],
                clients: vec![0],
                workers: vec![1],
                helpers: None,
            },
            Placement::Shared => AffinitySpec {
                event_loop: vec![0],
                clients: vec![0],
                workers: vec![0],
                helpers: None,
            },
        }
    }
}

/// A closed-loop, in-process client sending `n` from `start` ([`ClientSpec::closed`]).
pub fn closed_client(name: &str, n: u64, start: SimDuration) -> ClientSpec {
    ClientSpec::closed(name, n, start)
}

/// The lesson's service with the given executor, switch interval and placement.
pub fn scenario(executor: ExecutorKind, interval: SimDuration, placement: Placement) -> Scenario {
    let name = match executor {
        ExecutorKind::Thread => format!("thread-{interval}-{}", placement.label()),
        other => format!("{}-{}", other.name(), placement.label()),
    };
    Scenario {
        name: Some(name),
        seed: 7,
        duration: SimDuration::from_secs(12),
        machine: MachineSpec::default(),
        python: PythonSpec {
            switch_interval: interval,
            ..PythonSpec::default()
        },
        server: ServerSpec {
            kind: ServerKind::Asyncio,
            executor,
            workers: None,
            language: ServerLanguage::Python,
        },
        requests: Vec::new(),
        clients: vec![
            closed_client("simple", 1, SimDuration::ZERO),
            closed_client("long", 100_000, SimDuration::from_secs(2)),
        ],
        affinity: placement.affinity(),
        costs: CostOverrides::default(),
    }
}

/// The lesson's scenarios, in the order they are reported: inline; thread pool at 5 ms and
/// 2 ms, the CPU-bound worker on its own core and sharing one; process pool.
pub fn scenarios() -> Vec<Scenario> {
    let ms = SimDuration::from_millis;
    vec![
        scenario(ExecutorKind::Inline, ms(5), Placement::Unpinned),
        scenario(ExecutorKind::Thread, ms(5), Placement::Convoy),
        scenario(ExecutorKind::Thread, ms(2), Placement::Convoy),
        scenario(ExecutorKind::Thread, ms(5), Placement::Shared),
        scenario(ExecutorKind::Thread, ms(2), Placement::Shared),
        scenario(ExecutorKind::Thread, ms(5), Placement::Unpinned),
        scenario(ExecutorKind::Process, ms(5), Placement::Unpinned),
    ]
}

/// Simulates every lesson scenario, in parallel on the current rayon pool; results come
/// back in [`scenarios`] order and do not depend on the number of threads.
pub fn run_all(cal: &crate::sim::calibration::Calibration) -> Vec<crate::sim::results::RunResult> {
    use rayon::prelude::*;
    let all = scenarios();
    // The process pool's scenario is the longest (the most threads and, on a 2-vCPU host, the
    // highest light rate): it starts first, one scenario per task, so that the other threads
    // run the rest meanwhile (longest first).
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| all[i].server.executor != ExecutorKind::Process);
    let mut out: Vec<(usize, crate::sim::results::RunResult)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&i| {
            let opts = crate::sim::run::SimOptions::default();
            (i, crate::sim::run::simulate(&all[i], cal, &opts).result)
        })
        .collect();
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}
