//! The advice as text (a ranked table and the recommendation) and as JSON
//! (`{"best": {...}, "options": [...]}`). Reads an [`Advice`] only.

use crate::advise::{Advice, Assessed};
use serde_json::{json, Value};
use std::fmt::Write;

/// The ranked table, then the recommendation and why.
pub fn advice_report(a: &Advice) -> String {
    let mut out = String::new();
    let bound = a.p99_bound_ms.map_or("no p99 bound".to_string(), |b| {
        format!("p99 at most {b} ms")
    });
    let _ = writeln!(
        out,
        "advice for {} on {} cores ({bound}); {} configurations simulated",
        a.scenario,
        a.cores,
        a.options.len()
    );
    let _ = writeln!(
        out,
        "\n rank  configuration                              req/s   p50 ms   p99 ms  cores  waits most on"
    );
    for (i, o) in a.options.iter().enumerate() {
        let mark = if i == a.best { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark}{:>4}  {:<40} {:>7.1} {:>8.2} {:>8.2} {:>6.2}  {}{}",
            i + 1,
            o.label,
            o.rate,
            o.p50_ms,
            o.p99_ms,
            o.cpu_cores,
            o.dominant,
            if o.meets_p99 {
                ""
            } else {
                " (misses the p99 bound)"
            }
        );
    }
    let b = a.best();
    let d = a.default_choice();
    let _ = writeln!(
        out,
        "\nrecommended: {} ({:.1} req/s, p99 {:.2} ms){}",
        b.label,
        b.rate,
        b.p99_ms,
        if a.bound_met() {
            ""
        } else {
            "; no configuration meets the p99 bound: this one has the lowest p99"
        }
    );
    if a.best != a.default_thread_pool {
        let _ = writeln!(
            out,
            "against the default ThreadPoolExecutor() ({}): {:.1}x the throughput, p99 {:.2} ms against {:.2} ms; there the time waits most on {} ({})",
            d.label,
            b.rate / d.rate.max(1e-9),
            b.p99_ms,
            d.p99_ms,
            d.dominant,
            waits_line(d)
        );
    }
    let _ = writeln!(
        out,
        "waits are seconds per second: GIL and CPU summed over the server's threads, pool slots \
         as requests queued for a worker, pickling as payload and reply bytes moved"
    );
    out
}

fn waits_line(o: &Assessed) -> String {
    let w = &o.waits;
    format!(
        "GIL {:.2}, CPU {:.2}, pool slots {:.2}, pickling {:.2}",
        w.gil, w.cpu, w.pool, w.pickling
    )
}

/// The advice as JSON: `best` (executor, workers, switch interval, rate, p99) and every
/// option with its figures.
pub fn advice_json(a: &Advice) -> Value {
    let b = a.best();
    let c = &b.candidate;
    json!({
        "scenario": a.scenario,
        "cores": a.cores,
        "p99_bound_ms": a.p99_bound_ms,
        "bound_met": a.bound_met(),
        "best": {
            "executor": c.executor.name(),
            "workers": c.pool_size(a.cores),
            "switch_interval": c.switch_interval.to_string(),
            "rate": b.rate,
            "p99_ms": b.p99_ms,
        },
        "default_thread_pool": a.default_thread_pool,
        "options": a.options,
    })
}
