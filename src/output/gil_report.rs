//! The GIL block of the text reports (`run`, `live`): per interpreter, its counters over the
//! whole run and the last phase, each client's drop requests per completed request in the last
//! phase, and each thread's GIL hold and wait time in it. Reads results only.

use crate::sim::results::{GilResult, RunResult};
use std::fmt::Write;

fn counters(g: &GilResult) -> String {
    format!(
        "{} hand-offs, {} drop requests, {} acquisitions, {} timeouts",
        g.handoffs, g.drop_requests, g.acquisitions, g.timeouts
    )
}

/// The GIL block of a report (empty when no interpreter took a GIL).
pub fn gil_block(r: &RunResult) -> String {
    let mut out = String::new();
    for g in r.gil.iter().filter(|g| g.has_gil && g.acquisitions > 0) {
        let _ = writeln!(out, "GIL of interpreter {}: {}", g.interp, counters(g));
        let Some(p) = &r.gil_last_phase else {
            continue;
        };
        let Some(lg) = p.gil.iter().find(|x| x.interp == g.interp) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  last phase ({}-{} s): {}",
            p.from_s,
            p.to_s,
            counters(lg)
        );
        if g.interp == 0 {
            for c in &p.clients {
                if let (Some(d), Some(t)) = (c.drop_requests_per_request, c.timeouts_per_request) {
                    let _ = writeln!(
                        out,
                        "  {}: {} requests, {d:.2} drop requests and {t:.2} timeouts per request",
                        c.client, c.completed
                    );
                }
            }
        }
        let threads: Vec<String> = lg
            .hold_s
            .iter()
            .filter(|h| h.seconds > 0.0 || lg.wait_of(&h.thread) > 0.0)
            .map(|h| format!("{} {:.3}/{:.3}", h.thread, h.seconds, lg.wait_of(&h.thread)))
            .collect();
        if !threads.is_empty() {
            let _ = writeln!(out, "  GIL held/waited s: {}", threads.join(", "));
        }
    }
    out
}
