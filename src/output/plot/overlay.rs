//! Simulated against live: the per-second completions of each client in a simulated run
//! (solid lines) and a live run of the same scenario (dashed lines), on one chart.

use super::throughput::{client_start_marks, RateSeries, Throughput};
use super::*;
use crate::sim::results::RunResult;

/// The overlay of a simulated run and a live run (`execsim compare`): a [`Throughput`] with,
/// per client, the simulated series solid and the live one dashed, in the same colour.
/// Clients are matched by name; a client present in only one run is drawn alone.
pub fn sim_vs_live(sim: &RunResult, live: &RunResult) -> Throughput {
    let mut names: Vec<&str> = sim.clients.iter().map(|c| c.name.as_str()).collect();
    for c in &live.clients {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    let mut series = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(c) = sim.client(name) {
            series.push(RateSeries {
                label: format!("{name}: {}", source_label(&sim.source)),
                per_second: c.per_second.clone(),
                color: series_color(i),
                marker: Marker::Circle,
                dashed: false,
            });
        }
        if let Some(c) = live.client(name) {
            series.push(RateSeries {
                label: format!("{name}: {}", source_label(&live.source)),
                per_second: c.per_second.clone(),
                color: series_color(i),
                marker: Marker::Ring,
                dashed: true,
            });
        }
    }
    let same = sim.scenario == live.scenario;
    Throughput {
        title: if same {
            format!("Simulated vs live: {}", sim.scenario)
        } else {
            format!("{} vs {}", sim.scenario, live.scenario)
        },
        subtitle: format!(
            "completed requests per second per client; solid: {} (seed {}), dashed: {} (seed {}); \
             log scale",
            source_label(&sim.source),
            sim.seed,
            source_label(&live.source),
            live.seed
        ),
        legend_heading: "client: run".into(),
        series,
        marks: client_start_marks(sim),
    }
}
