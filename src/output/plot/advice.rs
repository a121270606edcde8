//! The advice's evidence: each option's throughput (horizontal bars, the recommended one
//! marked) and its latency percentiles over every client. Reads an [`Advice`] only.

use super::latency::{LatencyPercentiles, LatencyRow};
use super::stacked::Stacked;
use super::*;
use crate::advise::Advice;

/// Throughput per option, best first.
#[derive(Clone, Debug)]
pub struct AdviceThroughput {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// (label, requests per second, recommended, meets the p99 bound, a what-if), top to
    /// bottom.
    pub rows: Vec<(String, f64, bool, bool, bool)>,
}

impl AdviceThroughput {
    /// The figure of an advice.
    pub fn of(a: &Advice) -> AdviceThroughput {
        AdviceThroughput {
            title: format!("Throughput by configuration: {}", a.scenario),
            subtitle: format!(
                "simulated, {} cores, ranked; the recommended option is dark; orange: a what-if for \
                 another Python; grey: misses the p99 bound{}",
                a.cores,
                a.p99_bound_ms.map_or(String::new(), |b| format!(" of {b} ms"))
            ),
            rows: a
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let what_if = o.candidate.what_if.is_some();
                    (o.label.clone(), o.rate, i == a.best, o.meets_p99, what_if)
                })
                .collect(),
        }
    }
}

impl Figure for AdviceThroughput {
    fn size(&self) -> (u32, u32) {
        (1280, 200 + 34 * self.rows.len().max(2) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        if self.rows.is_empty() {
            return Err(PlotError::Data("no options to plot".into()));
        }
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let n = self.rows.len();
        let max = self.rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9) * 1.15;
        let label_w = self
            .rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(8) as u32
            * 10
            + 20;
        let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let step = nice_step(max);
        let major: Vec<f64> = (0..)
            .map(|k| k as f64 * step)
            .take_while(|&x| x <= max)
            .collect();
        let mut chart = ChartBuilder::on(&body)
            .margin_left(10)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(52)
            .y_label_area_size(label_w.max(80))
            .build_cartesian_2d(
                fixed_ticks(0.0..max, major, vec![]),
                fixed_ticks(0.0..n as f64, centres, vec![]),
            )?;
        let rows = &self.rows;
        let y_fmt = move |y: &f64| {
            let i = n - 1 - (y.floor() as usize).min(n - 1);
            rows[i].0.clone()
        };
        let x_fmt = |x: &f64| short_number(*x);
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc("completed requests per second (all clients)")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .disable_y_mesh()
            .draw()?;
        for (i, (_, rate, best, meets, what_if)) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let color = match (best, meets, what_if) {
                (true, _, _) => RGBColor(0, 90, 150),
                (false, false, _) => RGBColor(190, 190, 190),
                (false, true, true) => RGBColor(240, 180, 100),
                (false, true, false) => RGBColor(120, 170, 210),
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.2), (*rate, y + 0.8)],
                color.filled(),
            )))?;
            let p = in_area(root, chart.backend_coord(&(*rate, y + 0.5)));
            root.draw(&Text::new(
                short_number(*rate),
                (p.0 + 6, p.1),
                text_style(TICK_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
            ))?;
        }
        Ok(())
    }
}

/// A round step for an axis up to `max` (1, 2 or 5 times a power of ten, 4 to 10 ticks).
fn nice_step(max: f64) -> f64 {
    let raw = max / 6.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&s| max / s <= 10.0)
        .unwrap_or(10.0 * p)
}

/// The latency percentiles of every option, over all clients' completed requests.
pub fn advice_latency(a: &Advice) -> LatencyPercentiles {
    LatencyPercentiles {
        title: format!("Latency by configuration: {}", a.scenario),
        subtitle: format!(
            "percentiles of every client's completed requests (simulated, {} cores), same order \
             as the throughput figure; log scale",
            a.cores
        ),
        rows: a
            .options
            .iter()
            .map(|o| LatencyRow {
                label: o.label.clone(),
                latency: o.latency_us,
                completed: o.completed,
                note: None,
            })
            .collect(),
    }
}

/// The advice's evidence in one picture: each option's throughput above its latency
/// percentiles (`execsim advise --out DIR` writes it as `advice.png`; a notebook shows it).
pub fn advice_evidence(a: &Advice) -> Stacked<AdviceThroughput, LatencyPercentiles> {
    Stacked {
        top: AdviceThroughput::of(a),
        bottom: advice_latency(a),
    }
}
