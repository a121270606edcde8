//! A request type of the user's own service: the steps its handler takes, and the bytes it
//! sends to an executor and gets back.
//!
//! | step | what it stands for | the GIL |
//! |---|---|---|
//! | [`StepKind::Python`] | pure-Python CPU work | held; the eval breaker is checked, so a drop request ends the hold |
//! | [`StepKind::NativeReleased`] | C code that releases the GIL (`hashlib`, `zlib`, numpy, PIL) | released |
//! | [`StepKind::NativeHeld`] | C code that keeps it (`json`, `pickle`, `re`) | held, and no drop request ends the hold before the call returns |
//! | [`StepKind::Io`] | waiting on a database or an HTTP call | released; no CPU |
//!
//! Where each step runs is the service's business (`crate::service`): inline, on the event
//! loop, which *awaits* an `io` step; in an executor's worker, which blocks in it.

use super::distribution::DurationDist;

/// What one step of a handler does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// Pure-Python CPU work.
    Python,
    /// C code that releases the GIL.
    NativeReleased,
    /// C code that keeps the GIL.
    NativeHeld,
    /// Waiting for I/O (no CPU).
    Io,
}

impl StepKind {
    /// The key of the step in a scenario file (with `gil` for native code).
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Python => "python",
            StepKind::NativeReleased => "native (GIL released)",
            StepKind::NativeHeld => "native (GIL held)",
            StepKind::Io => "io",
        }
    }
}

/// One step: its kind and how long it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkStep {
    /// What the step does.
    pub kind: StepKind,
    /// How long it takes (drawn per request).
    pub duration: DurationDist,
}

/// A request type: its handler's steps, in order, and its payload and reply sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestType {
    /// Its name (clients name it).
    pub name: String,
    /// Bytes sent to the executor with the call (pickled by a process pool).
    pub payload: u64,
    /// Bytes the call returns.
    pub reply: u64,
    /// The handler's steps (at least one).
    pub steps: Vec<WorkStep>,
}

impl RequestType {
    /// The mean CPU time of one request's steps, ns (`io` excluded).
    pub fn mean_cpu_ns(&self) -> f64 {
        self.steps
            .iter()
            .filter(|s| s.kind != StepKind::Io)
            .map(|s| s.duration.mean_ns())
            .sum()
    }
}
