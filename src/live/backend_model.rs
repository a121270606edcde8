//! A live backend as the simulation models it: the scenario a simulation of a live run uses.
//!
//! - **cpython**: the scenario as written (the build its `[python] version` names).
//! - **rust**: the Rust server (`rust_backend`), as `[server] language = "rust"` models it
//!   (its process pool's I/O threads, the kernel's system calls and its own code between
//!   them, [`crate::service::RustServerCosts`]): its prime core's costs (`runtime = "rust"`)
//!   and no GIL (its thread pool's threads run in parallel), unless it emulates one
//!   (`--emulate-gil`, with the scenario's switch interval).

use super::LiveOptions;
use crate::interp::GilKind;
use crate::service::ServerLanguage;
use crate::sim::scenario::Scenario;
use crate::workload::cost::Backend;

/// `s` as the simulation of its live run with `opts` models it.
pub fn modelled(s: &Scenario, opts: &LiveOptions) -> Scenario {
    let mut out = s.clone();
    out.python.runtime = opts.backend;
    if opts.backend == Backend::Rust {
        out.server.language = ServerLanguage::Rust;
        // The version stays the calibration's own: the Rust server's costs are the
        // calibration's, not a CPython build's.
        out.python.gil = if opts.emulate_gil {
            GilKind::Cpython
        } else {
            GilKind::FreeThreaded
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rust_server_runs_its_core_without_a_gil_unless_it_emulates_one() {
        let s = Scenario::default();
        let mut opts = LiveOptions::new(Backend::Rust);
        let m = modelled(&s, &opts);
        assert_eq!(
            (m.python.runtime, m.python.gil, m.server.language),
            (Backend::Rust, GilKind::FreeThreaded, ServerLanguage::Rust)
        );
        // The calibration's own costs: no CPython build's speed applies.
        assert_eq!(m.python.version, s.python.version);
        opts.emulate_gil = true;
        assert_eq!(modelled(&s, &opts).python.gil, GilKind::Cpython);
        assert_eq!(modelled(&s, &LiveOptions::new(Backend::Cpython)), s);
    }
}
