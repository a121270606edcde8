//! The GIL timeline: one row per thread showing, over a short window, when it runs Python
//! holding the GIL, runs native code or a system call, waits for the GIL, waits for a core,
//! or is blocked. The classic picture of the convoy effect.

use super::*;
use crate::interp::{ThreadActivity, TraceRecord};
use crate::kernel::SimTime;

/// The colour of an activity.
pub fn activity_color(a: ThreadActivity) -> RGBColor {
    match a {
        ThreadActivity::Python => RGBColor(0, 158, 115),
        ThreadActivity::Native => RGBColor(86, 180, 233),
        ThreadActivity::GilWait => RGBColor(213, 94, 0),
        ThreadActivity::Runnable => RGBColor(204, 121, 167),
        ThreadActivity::Blocked => RGBColor(200, 200, 200),
    }
}

/// The legend text of an activity.
pub fn activity_label(a: ThreadActivity) -> &'static str {
    match a {
        ThreadActivity::Python => "running Python, holding the GIL",
        ThreadActivity::Native => "running native code / syscall (no GIL)",
        ThreadActivity::GilWait => "waiting for the GIL",
        ThreadActivity::Runnable => "runnable, waiting for a core",
        ThreadActivity::Blocked => "blocked (socket, selector, queue)",
    }
}

const ACTIVITIES: [ThreadActivity; 5] = [
    ThreadActivity::Python,
    ThreadActivity::Native,
    ThreadActivity::GilWait,
    ThreadActivity::Runnable,
    ThreadActivity::Blocked,
];

/// One thread's stretches of activity inside a window.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRow {
    /// The thread's name.
    pub name: String,
    /// `(from, to, activity)`, in order, covering the window.
    pub stretches: Vec<(SimTime, SimTime, ThreadActivity)>,
}

impl ThreadRow {
    /// Time spent in `a` inside the window.
    pub fn time_in(&self, a: ThreadActivity) -> u64 {
        self.stretches
            .iter()
            .filter(|s| s.2 == a)
            .map(|s| s.1.as_nanos() - s.0.as_nanos())
            .sum()
    }
}

/// Cuts a trace into per-thread stretches inside `[from, to)`. A thread with no record
/// before `from` is taken as blocked until its first record.
pub fn rows(trace: &[TraceRecord], names: &[String], from: SimTime, to: SimTime) -> Vec<ThreadRow> {
    let mut state: Vec<(SimTime, ThreadActivity)> =
        vec![(from, ThreadActivity::Blocked); names.len()];
    let mut out: Vec<ThreadRow> = names
        .iter()
        .map(|n| ThreadRow {
            name: n.clone(),
            stretches: Vec::new(),
        })
        .collect();
    for r in trace {
        let t = r.thread.0 as usize;
        if t >= names.len() {
            continue;
        }
        if r.time >= to {
            break;
        }
        let (since, act) = state[t];
        let start = since.max(from);
        if r.time > start {
            out[t].stretches.push((start, r.time, act));
        }
        state[t] = (r.time, r.activity);
    }
    for (t, &(since, act)) in state.iter().enumerate() {
        let start = since.max(from);
        if to > start {
            out[t].stretches.push((start, to, act));
        }
    }
    // Merge neighbours with the same activity.
    for row in &mut out {
        let mut merged: Vec<(SimTime, SimTime, ThreadActivity)> = Vec::new();
        for s in row.stretches.drain(..) {
            match merged.last_mut() {
                Some(last) if last.2 == s.2 && last.1 == s.0 => last.1 = s.1,
                _ => merged.push(s),
            }
        }
        row.stretches = merged;
    }
    out
}

/// The GIL timeline of a window.
#[derive(Clone, Debug)]
pub struct GilTimeline {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// Window start.
    pub from: SimTime,
    /// Window end.
    pub to: SimTime,
    /// Rows, top to bottom.
    pub rows: Vec<ThreadRow>,
    /// The time axis's description.
    pub time_axis: String,
}

impl GilTimeline {
    /// The timeline of every thread of a traced run (`trace`, `names` as in
    /// [`TracedRun`](super::figures::TracedRun), i.e. as a traced simulation gives them) over
    /// `[from, to)`.
    pub fn new(
        scenario: &str,
        trace: &[TraceRecord],
        names: &[String],
        from: SimTime,
        to: SimTime,
    ) -> GilTimeline {
        GilTimeline {
            title: format!(
                "Thread activity, {}: {:.3} s to {:.3} s",
                scenario,
                from.as_nanos() as f64 / 1e9,
                to.as_nanos() as f64 / 1e9
            ),
            subtitle: String::new(),
            from,
            to,
            rows: rows(trace, names, from, to),
            time_axis: "simulated time (ms)".to_string(),
        }
    }
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `n` ticks over `span`.
pub fn nice_step(span: f64, n: f64) -> f64 {
    let raw = span / n;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let k = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * p
}

impl Figure for GilTimeline {
    fn size(&self) -> (u32, u32) {
        (1280, 330 + 46 * self.rows.len().max(2) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        if self.rows.is_empty() || self.to <= self.from {
            return Err(PlotError::Data("no threads or an empty window".into()));
        }
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (_, h) = body.dim_in_pixel();
        let (plot_area, legend_area) = body.split_vertically(h - 112);
        let (plot_area, stats_area) = plot_area.split_horizontally(1280 - 230);

        let (x0, x1) = (ms(self.from), ms(self.to));
        let step = nice_step(x1 - x0, 10.0);
        let first = (x0 / step).ceil() as i64;
        let last = (x1 / step + 1e-9).floor() as i64;
        let ticks: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
        let n = self.rows.len();
        let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let label_w = self
            .rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(8) as u32
            * 11
            + 24;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(10)
            .margin_right(10)
            .margin_top(26)
            .x_label_area_size(62)
            .y_label_area_size(label_w.max(80))
            .build_cartesian_2d(
                fixed_ticks(x0..x1, ticks, vec![]),
                fixed_ticks(0.0..n as f64, centres, vec![]),
            )?;
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10()).ceil() as usize
        };
        let x_fmt = move |x: &f64| format!("{x:.decimals$}");
        let rows = &self.rows;
        let y_fmt = move |y: &f64| rows[n - 1 - (y.floor() as usize).min(n - 1)].name.clone();
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc(self.time_axis.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .disable_y_mesh()
            .draw()?;

        self.draw_stretches(root, &chart)?;
        self.draw_shares(root, &chart, &stats_area)?;
        draw_activity_legend(&legend_area, label_w.max(80) as i32 + 20)
    }
}

/// Milliseconds since the run's start.
fn ms(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1e6
}

impl GilTimeline {
    /// Each row's stretches as bars (thin ones for blocked stretches).
    fn draw_stretches<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &TickedChart<'_, DB>,
    ) -> PlotResult {
        let n = self.rows.len();
        for (i, row) in self.rows.iter().enumerate() {
            let yc = (n - 1 - i) as f64 + 0.5;
            for &(a, b, act) in &row.stretches {
                let half = if act == ThreadActivity::Blocked {
                    0.04
                } else {
                    0.32
                };
                let p0 = in_area(root, chart.backend_coord(&(ms(a), yc + half)));
                let mut p1 = in_area(root, chart.backend_coord(&(ms(b), yc - half)));
                // Keep very short stretches visible (one pixel at least).
                if p1.0 <= p0.0 {
                    p1.0 = p0.0 + 1;
                }
                root.draw(&Rectangle::new([p0, p1], activity_color(act).filled()))?;
            }
        }
        Ok(())
    }

    /// Share of the window held / waited, right of each row (in `stats_area`).
    fn draw_shares<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &TickedChart<'_, DB>,
        stats_area: &DrawingArea<DB, Shift>,
    ) -> PlotResult {
        let n = self.rows.len();
        let (x0, x1) = (ms(self.from), ms(self.to));
        let (bx, by) = root.get_base_pixel();
        let (sx, _) = stats_area.get_base_pixel();
        let sx = sx - bx;
        let top = chart.backend_coord(&(x0, n as f64));
        let top = (top.0, top.1 - by);
        root.draw(&Text::new(
            "GIL held / waited",
            (sx + 12, top.1 - 14),
            text_style(LEGEND_SIZE, BLACK, HPos::Left, VPos::Center),
        ))?;
        let span = (self.to.as_nanos() - self.from.as_nanos()) as f64;
        for (i, row) in self.rows.iter().enumerate() {
            let yc = (n - 1 - i) as f64 + 0.5;
            let p = chart.backend_coord(&(x1, yc));
            let p = (p.0, p.1 - by);
            let held = row.time_in(ThreadActivity::Python) as f64 / span * 100.0;
            let wait = row.time_in(ThreadActivity::GilWait) as f64 / span * 100.0;
            root.draw(&Text::new(
                format!("{held:>3.0}% / {wait:>3.0}%"),
                (sx + 12, p.1),
                text_style(LEGEND_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
            ))?;
        }
        Ok(())
    }
}

/// The activities' legend: two columns in `legend_area`, from `left` pixels.
fn draw_activity_legend<DB: DrawingBackend>(
    legend_area: &DrawingArea<DB, Shift>,
    left: i32,
) -> PlotResult {
    let col_w = 520;
    for (k, a) in ACTIVITIES.iter().enumerate() {
        let (col, line) = ((k % 2) as i32, (k / 2) as i32);
        let x = left + col * col_w;
        let y = 10 + line * LEGEND_LINE + LEGEND_LINE / 2;
        let swatch = if *a == ThreadActivity::Blocked {
            Swatch::ThinBar
        } else {
            Swatch::Box
        };
        draw_swatch(legend_area, swatch, (x, y), activity_color(*a))?;
        legend_area.draw(&Text::new(
            activity_label(*a),
            (x + 52, y),
            text_style(LEGEND_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}
