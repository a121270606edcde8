//! Interpreters: one per process, plus any sub-interpreters; each has its own GIL, or none
//! when free-threaded (CPython's `PyInterpreterState`, reduced to its GIL).

use super::gil::Gil;
use serde::Serialize;

/// An interpreter (one per process, plus any sub-interpreters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct InterpId(pub u16);

/// One interpreter.
#[derive(Clone, Debug)]
pub(super) struct Interp {
    /// Its GIL (None: free-threaded).
    pub gil: Option<Gil>,
}
