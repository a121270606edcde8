//! Human-readable reports of results: the lesson's monitor lines, summaries, the lesson table.
//! Reports only read results.

use crate::sim::results::RunResult;
use std::fmt::Write;

/// One line per second per client, like the lesson's monitor (`N requests/secs`), then a
/// summary with latency percentiles and GIL counters.
pub fn run_report(r: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}  (seed {}, {} s)",
        r.scenario, r.seed, r.duration_s
    );
    let secs = r.seconds();
    let _ = write!(out, "{:>6}", "second");
    for c in &r.clients {
        let _ = write!(out, " {:>14}", truncate(&c.name, 14));
    }
    let _ = writeln!(out, "   (completed requests/secs)");
    for s in 0..secs {
        let _ = write!(out, "{:>6}", s);
        for c in &r.clients {
            let _ = write!(out, " {:>14}", c.per_second.get(s).copied().unwrap_or(0));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "\nclient            n  issued  completed  in-flight   p50 us   p90 us   p99 us   max us"
    );
    for c in &r.clients {
        let l = &c.latency_us;
        let _ = writeln!(
            out,
            "{:<12} {:>6} {:>7} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}",
            truncate(&c.name, 12),
            c.n,
            c.issued,
            c.completed,
            c.in_flight,
            l.p50,
            l.p90,
            l.p99,
            l.max
        );
    }
    out.push_str(&super::gil_report::gil_block(r));
    let _ = writeln!(
        out,
        "thread            core   cpu s   queued s   GIL held s"
    );
    for t in &r.threads {
        let _ = writeln!(
            out,
            "{:<16} {:>5} {:>7.3} {:>10.3} {:>12.3}",
            truncate(&t.name, 16),
            t.last_core
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            t.cpu_s,
            t.queued_s,
            t.gil_hold_s
        );
    }
    let util: Vec<String> = r
        .core_utilisation
        .iter()
        .map(|u| format!("{:.0}%", u * 100.0))
        .collect();
    let _ = writeln!(out, "core utilisation: {}", util.join(", "));
    let _ = writeln!(out, "events {}  trace hash {}", r.events, r.trace_hash);
    out
}

/// The lesson's summary as `execsim lesson` prints it: what the two clients do, then
/// [`lesson_table`] with the long request starting at 2 s.
pub fn lesson_summary(runs: &[RunResult]) -> String {
    format!(
        "The lesson: client \"simple\" sends 1 in a closed loop from 0 s; client \"long\" sends 100000 from 2 s.\n\
         Simple client's completed requests per second, before (1-2 s) and during (3-12 s) the long request:\n\n{}",
        lesson_table(runs, 2)
    )
}

/// The simple client's rate before and during the long request, for each run side by side.
/// `long_start` is the second at which the long request starts; the first whole second and
/// the second in which it starts are left out of the averages.
pub fn lesson_table(runs: &[RunResult], long_start: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>12} {:>12} {:>9} {:>10} {:>10}",
        "scenario", "before req/s", "during req/s", "change", "p99 (run)", "drop req/s"
    );
    for r in runs {
        let Some(c) = r.client("simple") else {
            continue;
        };
        let before = c.rate(1, long_start);
        let during = c.rate(long_start + 1, c.per_second.len());
        let change = if before > 0.0 {
            (during / before - 1.0) * 100.0
        } else {
            0.0
        };
        let drops: u64 = r.gil.iter().map(|g| g.drop_requests).sum();
        let _ = writeln!(
            out,
            "{:<28} {:>12.1} {:>12.1} {:>8.2}% {:>8.1}ms {:>10.1}",
            r.scenario,
            before,
            during,
            change,
            c.latency_us.p99 as f64 / 1000.0,
            drops as f64 / r.duration_s
        );
    }
    out
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
