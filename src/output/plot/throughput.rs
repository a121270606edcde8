//! Throughput over time: completed requests per second, one stepped line per series (a
//! client of a run), on a logarithmic axis that also shows zero, with client starts marked.

use super::*;
use crate::sim::results::RunResult;
use std::ops::Range;

/// One per-second series.
#[derive(Clone, Debug)]
pub struct RateSeries {
    /// Legend text.
    pub label: String,
    /// Completions in each whole second: `per_second[k]` counts [k s, k+1 s).
    pub per_second: Vec<u64>,
    /// Line colour.
    pub color: RGBColor,
    /// Marker drawn once per second.
    pub marker: Marker,
    /// Dashed line (e.g. a live run next to a simulated one).
    pub dashed: bool,
}

/// A vertical marker at a time, e.g. "long request starts".
#[derive(Clone, Debug, PartialEq)]
pub struct TimeMark {
    /// When, in seconds.
    pub at_s: f64,
    /// Text beside the line.
    pub label: String,
}

/// Completed requests per second over time.
#[derive(Clone, Debug)]
pub struct Throughput {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// Heading of the legend.
    pub legend_heading: String,
    /// The series, drawn in order (later ones on top).
    pub series: Vec<RateSeries>,
    /// Vertical markers.
    pub marks: Vec<TimeMark>,
}

/// Marks for the clients that start after 0 s ("client long (n = 100000) starts").
pub fn client_start_marks(run: &RunResult) -> Vec<TimeMark> {
    run.clients
        .iter()
        .filter(|c| c.start_s > 0.0)
        .map(|c| TimeMark {
            at_s: c.start_s,
            label: format!("client \"{}\" (n = {}) starts", c.name, c.n),
        })
        .collect()
}

impl Throughput {
    /// One client's rate in each of several runs (e.g. the lesson's scenarios), with the
    /// first run's late client starts marked.
    pub fn compare_runs(runs: &[RunResult], client: &str) -> Throughput {
        let series = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.client(client).map(|c| RateSeries {
                    label: r.scenario.clone(),
                    per_second: c.per_second.clone(),
                    color: series_color(i),
                    marker: series_marker(i),
                    dashed: false,
                })
            })
            .collect();
        let marks = runs.first().map(client_start_marks).unwrap_or_default();
        let (n, seed) = runs
            .first()
            .map(|r| (r.client(client).map(|c| c.n).unwrap_or(0), r.seed))
            .unwrap_or((0, 0));
        Throughput {
            title: format!("Requests of client \"{client}\" completed per second"),
            subtitle: format!(
                "client \"{client}\" sends n = {n} in a closed loop; one line per scenario \
                 (simulated, seed {seed})\nlog scale: each labelled gridline is 10 times the one \
                 below, so a 99% drop spans two"
            ),
            legend_heading: "scenario".into(),
            series,
            marks,
        }
    }

    /// Every client of one run.
    pub fn clients(run: &RunResult) -> Throughput {
        let series = run
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| RateSeries {
                label: format!("{} (n = {})", c.name, c.n),
                per_second: c.per_second.clone(),
                color: series_color(i),
                marker: series_marker(i),
                dashed: false,
            })
            .collect();
        Throughput {
            title: format!("Requests completed per second: {}", run.scenario),
            subtitle: format!(
                "{} run, seed {}; log scale: each labelled gridline is 10 times the one below",
                source_label(&run.source),
                run.seed
            ),
            legend_heading: "client".into(),
            series,
            marks: client_start_marks(run),
        }
    }
}

/// Width of the legend column on the right.
const LEGEND_W: u32 = 330;

impl Figure for Throughput {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        if self.series.is_empty() {
            return Err(PlotError::Data("no series to plot".into()));
        }
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (plot_area, legend_area) = body.split_horizontally(w - LEGEND_W);

        let secs = self
            .series
            .iter()
            .map(|s| s.per_second.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let axis = LogAxis::fit(
            self.series
                .iter()
                .flat_map(|s| s.per_second.iter().map(|&v| v as f64)),
            0,
        );
        // Head room above the highest decade for the marks' labels.
        let yr = axis.range();
        let y_top = yr.end + if self.marks.is_empty() { 0.0 } else { 0.35 };
        let x_ticks: Vec<f64> = (0..=secs).map(|s| s as f64).collect();
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(10)
            .margin_right(24)
            .margin_bottom(10)
            .x_label_area_size(62)
            .y_label_area_size(92)
            .build_cartesian_2d(
                fixed_ticks(0.0..secs as f64, x_ticks, vec![]),
                fixed_ticks(yr.start..y_top, axis.major(), axis.minor()),
            )?;
        let y_fmt = |p: &f64| axis.label(*p);
        let x_fmt = |x: &f64| format!("{x:.0}");
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc("time (s, simulated)")
            .y_desc("completed requests per second (log scale)")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;

        self.draw_marks(root, &chart, yr.start..y_top)?;
        self.draw_series(root, &mut chart, &axis)?;
        self.draw_series_legend(&legend_area)
    }
}

impl Throughput {
    /// The marks: a dashed vertical line over `y` (axis units), its label at the top right.
    fn draw_marks<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &TickedChart<'_, DB>,
        y: Range<f64>,
    ) -> PlotResult {
        for m in &self.marks {
            let top = in_area(root, chart.backend_coord(&(m.at_s, y.end)));
            let bottom = in_area(root, chart.backend_coord(&(m.at_s, y.start)));
            dashed_segment(root, top, bottom, TEXT_GREY.stroke_width(2), 9, 6)?;
            root.draw(&Text::new(
                format!("← {}", m.label),
                (top.0 + 8, top.1 + 6),
                text_style(LEGEND_SIZE, TEXT_GREY, HPos::Left, VPos::Top),
            ))?;
        }
        Ok(())
    }

    /// Each series as a stepped line (one step per second) with its markers.
    fn draw_series<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &mut TickedChart<'_, DB>,
        axis: &LogAxis,
    ) -> PlotResult {
        let n = self.series.len();
        for (i, s) in self.series.iter().enumerate() {
            let steps: Vec<(f64, f64)> = s
                .per_second
                .iter()
                .enumerate()
                .flat_map(|(k, &v)| {
                    let y = axis.pos(v as f64);
                    [(k as f64, y), (k as f64 + 1.0, y)]
                })
                .collect();
            let style = s.color.stroke_width(2);
            if s.dashed {
                let px: Vec<(i32, i32)> = steps
                    .iter()
                    .map(|p| in_area(root, chart.backend_coord(p)))
                    .collect();
                for seg in px.windows(2) {
                    dashed_segment(root, seg[0], seg[1], style, 8, 5)?;
                }
            } else {
                chart.draw_series(LineSeries::new(steps, style))?;
            }
            // One marker per second, spread across the second by series so that equal
            // series stay distinguishable.
            let frac = (i as f64 + 1.0) / (n as f64 + 1.0);
            for (k, &v) in s.per_second.iter().enumerate() {
                let p = in_area(
                    root,
                    chart.backend_coord(&(k as f64 + frac, axis.pos(v as f64))),
                );
                draw_marker(root, s.marker, p, 6, s.color)?;
            }
        }
        Ok(())
    }

    /// The legend: one line (with its marker) per series.
    fn draw_series_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> PlotResult {
        let entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                color: s.color,
                swatch: Swatch::Line {
                    dashed: s.dashed,
                    marker: Some(s.marker),
                },
            })
            .collect();
        draw_legend(area, (4, 30), Some(&self.legend_heading), &entries)?;
        Ok(())
    }
}
