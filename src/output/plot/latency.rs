//! Latency: the percentiles p50 / p90 / p99 / p99.9 / max of each row (a scenario or a
//! client) on a logarithmic axis, and HdrHistogram's latency-by-percentile distribution.

use super::*;
use crate::sim::results::{ClientResult, LatencyUs, RunResult};

/// One row of the percentile chart.
#[derive(Clone, Debug)]
pub struct LatencyRow {
    /// Text at the left.
    pub label: String,
    /// The percentiles (ignored when nothing completed).
    pub latency: LatencyUs,
    /// Requests completed.
    pub completed: u64,
    /// A remark drawn after the markers (e.g. a request left unanswered).
    pub note: Option<String>,
}

/// The remark for a client whose requests stopped being answered: the percentiles count only
/// completed requests, so a request stuck in flight is invisible in them.
pub fn unanswered_note(c: &ClientResult, duration_s: f64) -> Option<String> {
    if c.in_flight == 0 {
        return None;
    }
    let last = c.per_second.iter().rposition(|&v| v > 0);
    let quiet_since = match last {
        Some(k) => (k + 1) as f64,
        None => c.start_s,
    };
    let quiet = duration_s - quiet_since;
    if quiet < 1.0 {
        return None;
    }
    Some(format!(
        "{} in flight, unanswered for the last {:.0} s (not in the percentiles)",
        c.in_flight, quiet
    ))
}

impl LatencyRow {
    /// The row of client `c` of a run lasting `duration_s`, labelled `label`.
    pub fn of(label: &str, c: &ClientResult, duration_s: f64) -> LatencyRow {
        LatencyRow {
            label: label.to_string(),
            latency: c.latency_us,
            completed: c.completed,
            note: unanswered_note(c, duration_s),
        }
    }
}

/// Latency percentiles, one row each.
#[derive(Clone, Debug)]
pub struct LatencyPercentiles {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// Rows, top to bottom.
    pub rows: Vec<LatencyRow>,
}

/// The percentiles drawn, with their marker and colour.
const PCTS: [(&str, Marker, RGBColor); 5] = [
    ("p50", Marker::Circle, RGBColor(0, 114, 178)),
    ("p90", Marker::Triangle, RGBColor(0, 158, 115)),
    ("p99", Marker::Square, RGBColor(230, 159, 0)),
    ("p99.9", Marker::Diamond, RGBColor(213, 94, 0)),
    ("max", Marker::Ring, RGBColor(0, 0, 0)),
];

fn pct_values(l: &LatencyUs) -> [u64; 5] {
    [l.p50, l.p90, l.p99, l.p999, l.max]
}

/// Milliseconds written briefly.
fn ms(us: u64) -> String {
    format!("{} ms", short_number(us as f64 / 1000.0))
}

impl LatencyPercentiles {
    /// One client's percentiles in each of several runs.
    pub fn compare_runs(runs: &[RunResult], client: &str) -> LatencyPercentiles {
        LatencyPercentiles {
            title: format!("Latency of client \"{client}\" by scenario"),
            subtitle: format!(
                "percentiles of the requests completed over the whole run (simulated, seed {}); \
                 log scale",
                runs.first().map(|r| r.seed).unwrap_or(0)
            ),
            rows: runs
                .iter()
                .filter_map(|r| {
                    r.client(client)
                        .map(|c| LatencyRow::of(&r.scenario, c, r.duration_s))
                })
                .collect(),
        }
    }

    /// Every client of one run.
    pub fn clients(run: &RunResult) -> LatencyPercentiles {
        LatencyPercentiles {
            title: format!("Latency by client: {}", run.scenario),
            subtitle: format!(
                "percentiles of the requests completed over the whole run ({} run, seed {}); \
                 log scale",
                source_label(&run.source),
                run.seed
            ),
            rows: run
                .clients
                .iter()
                .map(|c| LatencyRow::of(&c.name, c, run.duration_s))
                .collect(),
        }
    }
}

impl Figure for LatencyPercentiles {
    fn size(&self) -> (u32, u32) {
        (1280, 260 + 64 * self.rows.len().max(2) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        if self.rows.is_empty() {
            return Err(PlotError::Data("no rows to plot".into()));
        }
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (plot_area, legend_area) = body.split_horizontally(w - 150);
        let done = |r: &&LatencyRow| r.completed > 0;
        let axis = LogAxis::fit(
            self.rows
                .iter()
                .filter(done)
                .flat_map(|r| pct_values(&r.latency))
                .map(|us| us as f64 / 1000.0),
            -3,
        );
        let n = self.rows.len();
        let label_w = self
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(8) as u32
            * 11
            + 20;
        let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let yr = axis.range();
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(10)
            .margin_right(20)
            .margin_bottom(10)
            .x_label_area_size(62)
            .y_label_area_size(label_w.max(80))
            .build_cartesian_2d(
                fixed_ticks(yr.start..yr.end, axis.major(), axis.minor()),
                fixed_ticks(0.0..n as f64, centres, vec![]),
            )?;
        let rows = &self.rows;
        let y_fmt = move |y: &f64| {
            let i = n - 1 - (y.floor() as usize).min(n - 1);
            rows[i].label.clone()
        };
        let x_fmt = |p: &f64| axis.label(*p);
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc("latency (ms, log scale)")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .disable_y_mesh()
            .draw()?;

        for (i, row) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64 + 0.5;
            draw_percentile_row(root, &chart, &axis, row, y)?;
        }
        draw_percentile_legend(&legend_area)
    }
}

/// One row of the percentile plot at height `y` (axis units): a grey bar from p50 to max, a
/// marker per percentile, and the p99 and max written beside it; or, when nothing
/// completed, a note saying so.
fn draw_percentile_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &TickedChart<'_, DB>,
    axis: &LogAxis,
    row: &LatencyRow,
    y: f64,
) -> PlotResult {
    if row.completed == 0 {
        let p = in_area(root, chart.backend_coord(&(axis.range().start, y)));
        let text = match &row.note {
            Some(note) => format!("no request completed; {note}"),
            None => "no request completed".to_string(),
        };
        root.draw(&Text::new(
            text,
            (p.0 + 12, p.1),
            text_style(LEGEND_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
        ))?;
        return Ok(());
    }
    let vals = pct_values(&row.latency);
    let x = |us: u64| axis.pos(us as f64 / 1000.0);
    let a = in_area(root, chart.backend_coord(&(x(vals[0]), y)));
    let b = in_area(root, chart.backend_coord(&(x(vals[4]), y)));
    root.draw(&PathElement::new(vec![a, b], GRID_BOLD.stroke_width(3)))?;
    // Each percentile a little lower than the previous, so equal values stay visible.
    for (k, (_, marker, color)) in PCTS.iter().enumerate() {
        let dy = 0.2 - 0.1 * k as f64;
        let p = in_area(root, chart.backend_coord(&(x(vals[k]), y + dy)));
        draw_marker(root, *marker, p, 7, *color)?;
    }
    let mut text = format!("p99 {}, max {}", ms(vals[2]), ms(vals[4]));
    if let Some(note) = &row.note {
        text.push_str("; ");
        text.push_str(note);
    }
    root.draw(&Text::new(
        text,
        (b.0 + 16, b.1),
        text_style(16.0, TEXT_GREY, HPos::Left, VPos::Center),
    ))?;
    Ok(())
}

/// The legend of the percentile plot: one marker per percentile.
fn draw_percentile_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> PlotResult {
    let entries: Vec<LegendEntry> = PCTS
        .iter()
        .map(|(label, marker, color)| LegendEntry {
            label: label.to_string(),
            color: *color,
            swatch: Swatch::Marker(*marker),
        })
        .collect();
    draw_legend(area, (0, 30), Some("percentile"), &entries)?;
    Ok(())
}

/// One curve of the distribution plot.
#[derive(Clone, Debug)]
pub struct DistributionSeries {
    /// Legend text.
    pub label: String,
    /// `(percentile, value_us)` pairs, rising, as
    /// [`ClientResult::latency_distribution`].
    pub points: Vec<(f64, u64)>,
    /// Colour.
    pub color: RGBColor,
    /// Marker.
    pub marker: Marker,
}

/// The distribution of a client: its HdrHistogram percentile output, or, for results without
/// it, the percentiles it has.
pub fn distribution_points(c: &ClientResult) -> Vec<(f64, u64)> {
    if !c.latency_distribution.is_empty() || c.completed == 0 {
        return c.latency_distribution.clone();
    }
    let l = &c.latency_us;
    vec![
        (50.0, l.p50),
        (90.0, l.p90),
        (99.0, l.p99),
        (99.9, l.p999),
        (100.0, l.max),
    ]
}

/// Latency by percentile, HdrHistogram style: the x axis stretches the tail (each gridline is
/// a further "nine": 90%, 99%, 99.9%...), the y axis is logarithmic.
#[derive(Clone, Debug)]
pub struct LatencyDistribution {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// The curves.
    pub series: Vec<DistributionSeries>,
}

impl LatencyDistribution {
    /// One client's distribution in each of several runs.
    pub fn compare_runs(runs: &[RunResult], client: &str) -> LatencyDistribution {
        LatencyDistribution {
            title: format!("Latency distribution of client \"{client}\""),
            subtitle: format!(
                "HdrHistogram percentile distribution of the requests completed over the whole run \
                 (simulated, seed {})",
                runs.first().map(|r| r.seed).unwrap_or(0)
            ),
            series: runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    r.client(client).map(|c| DistributionSeries {
                        label: r.scenario.clone(),
                        points: distribution_points(c),
                        color: series_color(i),
                        marker: series_marker(i),
                    })
                })
                .collect(),
        }
    }

    /// Every client of one run.
    pub fn clients(run: &RunResult) -> LatencyDistribution {
        LatencyDistribution {
            title: format!("Latency distribution: {}", run.scenario),
            subtitle: format!(
                "HdrHistogram percentile distribution of the requests completed ({} run, seed {})",
                source_label(&run.source),
                run.seed
            ),
            series: run
                .clients
                .iter()
                .enumerate()
                .map(|(i, c)| DistributionSeries {
                    label: c.name.clone(),
                    points: distribution_points(c),
                    color: series_color(i),
                    marker: series_marker(i),
                })
                .collect(),
        }
    }
}

/// The x position of a percentile: log10(1 / (1 - q)), capped at `cap` nines.
fn nines(pct: f64, cap: f64) -> f64 {
    let rest = 1.0 - pct / 100.0;
    if rest <= 10f64.powf(-cap) {
        cap
    } else {
        -rest.log10()
    }
}

/// The label of a number of nines: 0 → "0%", 1 → "90%", 3 → "99.9%".
fn nines_label(k: i32) -> String {
    match k {
        i32::MIN..=0 => "0%".into(),
        1 => "90%".into(),
        2 => "99%".into(),
        _ => format!("99.{}%", "9".repeat(k as usize - 2)),
    }
}

/// The value of a rising `(x, y)` polyline at `x` (linear between points).
fn at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let first = points.first()?;
    if x <= first.0 {
        return Some(first.1);
    }
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            if x1 - x0 < 1e-12 {
                return Some(y1);
            }
            return Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
        }
    }
    None
}

impl Figure for LatencyDistribution {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let drawn: Vec<&DistributionSeries> = self
            .series
            .iter()
            .filter(|s| !s.points.is_empty())
            .collect();
        if drawn.is_empty() {
            return Err(PlotError::Data("no latency distribution to plot".into()));
        }
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (plot_area, legend_area) = body.split_horizontally(w - 330);
        // As many nines as the largest sample count resolves (at least 3, at most 6).
        let most = drawn
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .map(|&(p, _)| nines(p, 9.0))
                    .filter(|x| *x < 9.0)
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        let cap = (most.ceil() as i32).clamp(3, 6) as f64;
        let axis = LogAxis::fit(
            drawn
                .iter()
                .flat_map(|s| s.points.iter().map(|&(_, us)| us as f64 / 1000.0)),
            -3,
        );
        let yr = axis.range();
        let x_major: Vec<f64> = (0..=cap as i32).map(|k| k as f64).collect();
        let x_minor: Vec<f64> = (0..cap as i32)
            .flat_map(|k| (2..10).map(move |j| k as f64 + (j as f64).log10()))
            .collect();
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(10)
            .margin_right(40)
            .margin_bottom(10)
            .x_label_area_size(62)
            .y_label_area_size(92)
            .build_cartesian_2d(
                fixed_ticks(0.0..cap, x_major, x_minor),
                fixed_ticks(yr.start..yr.end, axis.major(), axis.minor()),
            )?;
        let x_fmt = |x: &f64| nines_label(x.round() as i32);
        let y_fmt = |p: &f64| axis.label(*p);
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc("percentile (each labelled gridline adds a nine)")
            .y_desc("latency (ms, log scale)")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;

        draw_distribution_curves(root, &mut chart, &axis, &drawn, cap)?;
        draw_distribution_legend(&legend_area, &drawn)
    }
}

/// Each series' curve over the percentiles (up to `cap` nines), with markers.
fn draw_distribution_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut TickedChart<'_, DB>,
    axis: &LogAxis,
    drawn: &[&DistributionSeries],
    cap: f64,
) -> PlotResult {
    let n = drawn.len();
    for (i, s) in drawn.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(p, us)| (nines(p, cap), axis.pos(us as f64 / 1000.0)))
            .collect();
        chart.draw_series(LineSeries::new(pts.clone(), s.color.stroke_width(2)))?;
        // Markers once per nine, spread by series so equal curves stay distinguishable.
        let frac = (i as f64 + 1.0) / (n as f64 + 1.0);
        for k in 0..cap as i32 {
            let x = k as f64 + frac;
            if let Some(y) = at(&pts, x) {
                draw_marker(
                    root,
                    s.marker,
                    in_area(root, chart.backend_coord(&(x, y))),
                    6,
                    s.color,
                )?;
            }
        }
    }
    Ok(())
}

/// The legend of the distribution plot: one line (with its marker) per series.
fn draw_distribution_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    drawn: &[&DistributionSeries],
) -> PlotResult {
    let entries: Vec<LegendEntry> = drawn
        .iter()
        .map(|s| LegendEntry {
            label: s.label.clone(),
            color: s.color,
            swatch: Swatch::Line {
                dashed: false,
                marker: Some(s.marker),
            },
        })
        .collect();
    draw_legend(area, (4, 30), Some("scenario"), &entries)?;
    Ok(())
}
