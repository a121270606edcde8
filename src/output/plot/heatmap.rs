//! A heatmap of a value over a grid of two parameters (e.g. the light-request rate over switch
//! interval × pool size), one or more panels sharing a logarithmic colour scale, each cell
//! labelled with its value. It takes a plain grid: whoever computes the grid (a sweep) is
//! separate.

use super::*;

/// One panel: a matrix of values, `values[row][column]`, row 0 at the bottom.
#[derive(Clone, Debug)]
pub struct HeatmapPanel {
    /// Title above the panel.
    pub title: String,
    /// The values, one inner vector per y label (row), one entry per x label (column).
    pub values: Vec<Vec<f64>>,
}

/// Heatmaps over the same axes and colour scale.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// Title.
    pub title: String,
    /// Grey lines under the title.
    pub subtitle: String,
    /// Description of the x axis (with its unit).
    pub x_desc: String,
    /// Description of the y axis.
    pub y_desc: String,
    /// Description of the values (with their unit), shown by the colour bar.
    pub value_desc: String,
    /// Column labels, left to right.
    pub x_labels: Vec<String>,
    /// Row labels, bottom to top.
    pub y_labels: Vec<String>,
    /// The panels, left to right.
    pub panels: Vec<HeatmapPanel>,
}

/// Viridis, sampled at nine points.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 45, 123),
    (59, 82, 139),
    (44, 114, 142),
    (33, 145, 140),
    (40, 174, 128),
    (94, 201, 98),
    (173, 220, 48),
    (253, 231, 37),
];

/// The viridis colour at `t` in 0..=1.
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The colour of zero cells (outside the logarithmic scale).
pub const ZERO_COLOR: RGBColor = RGBColor(215, 215, 215);

impl Heatmap {
    fn check(&self) -> PlotResult {
        let (nx, ny) = (self.x_labels.len(), self.y_labels.len());
        if nx == 0 || ny == 0 || self.panels.is_empty() {
            return Err(PlotError::Data("an empty heatmap".into()));
        }
        for p in &self.panels {
            if p.values.len() != ny || p.values.iter().any(|r| r.len() != nx) {
                return Err(PlotError::Data(format!(
                    "panel \"{}\": the matrix is not {ny} rows of {nx} values",
                    p.title
                )));
            }
        }
        Ok(())
    }

    /// The shared colour scale (decades of the positive values).
    fn scale(&self) -> LogAxis {
        LogAxis::fit(
            self.panels
                .iter()
                .flat_map(|p| p.values.iter().flatten().copied()),
            -3,
        )
    }
}

/// Where value `v` falls on the colour scale, 0..=1 (None for zero or less).
fn color_t(axis: &LogAxis, v: f64) -> Option<f64> {
    if v <= 0.0 || !v.is_finite() {
        return None;
    }
    Some((v.log10() - axis.lo as f64) / (axis.hi - axis.lo) as f64)
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        let w = 300 + 90 * self.x_labels.len() as u32 * self.panels.len() as u32;
        let h = 300 + 70 * self.y_labels.len() as u32;
        (w.max(1000), h.max(560))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        self.check()?;
        let axis = self.scale();
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (panels_area, bar_area) = body.split_horizontally(w - 190);
        let np = self.panels.len();
        let (pw, _) = panels_area.dim_in_pixel();
        let y_label_w = self
            .y_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(2) as u32
            * 11
            + 40;
        // The first panel also holds the y labels.
        let first_w = (pw - y_label_w) / np as u32 + y_label_w;
        let mut rest = panels_area.clone();
        for (k, panel) in self.panels.iter().enumerate() {
            let area = if k + 1 == np {
                rest.clone()
            } else {
                let cut = if k == 0 {
                    first_w
                } else {
                    (pw - y_label_w) / np as u32
                };
                let (a, b) = rest.split_horizontally(cut);
                rest = b;
                a
            };
            let y_labels_w = if k == 0 { Some(y_label_w) } else { None };
            let chart = self.draw_panel_axes(&area, panel, y_labels_w)?;
            draw_cells(root, &chart, &axis, panel)?;
        }
        self.draw_color_bar(root, &bar_area, &axis)
    }
}

impl Heatmap {
    /// Builds a panel's chart in `area` (one unit per cell) and draws its caption and tick
    /// labels; `y_labels_w`: the width of the y labels, for the panel that shows them.
    fn draw_panel_axes<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        panel: &HeatmapPanel,
        y_labels_w: Option<u32>,
    ) -> PlotResult<TickedChart<'a, DB>> {
        let (nx, ny) = (self.x_labels.len(), self.y_labels.len());
        let x_centres: Vec<f64> = (0..nx).map(|i| i as f64 + 0.5).collect();
        let y_centres: Vec<f64> = (0..ny).map(|i| i as f64 + 0.5).collect();
        let mut builder = ChartBuilder::on(area);
        if !panel.title.is_empty() {
            builder.caption(
                &panel.title,
                text_style(AXIS_DESC_SIZE, BLACK, HPos::Center, VPos::Top),
            );
        }
        let mut chart = builder
            .margin_top(10)
            .margin_left(if y_labels_w.is_some() { 10 } else { 6 })
            .margin_right(6)
            .margin_bottom(10)
            .x_label_area_size(62)
            .y_label_area_size(y_labels_w.unwrap_or(0))
            .build_cartesian_2d(
                fixed_ticks(0.0..nx as f64, x_centres, vec![]),
                fixed_ticks(0.0..ny as f64, y_centres, vec![]),
            )?;
        let xl = &self.x_labels;
        let yl = &self.y_labels;
        let x_fmt = move |x: &f64| xl[(x.floor() as usize).min(nx - 1)].clone();
        let y_fmt = move |y: &f64| yl[(y.floor() as usize).min(ny - 1)].clone();
        let mut mesh = chart.configure_mesh();
        mesh_style(&mut mesh);
        mesh.x_desc(self.x_desc.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .disable_mesh();
        if y_labels_w.is_some() {
            mesh.y_desc(self.y_desc.as_str());
        }
        mesh.draw()?;
        Ok(chart)
    }

    /// The colour bar in `bar_area`: the decades of the scale, and a zero swatch under it.
    fn draw_color_bar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        bar_area: &DrawingArea<DB, Shift>,
        axis: &LogAxis,
    ) -> PlotResult {
        let (bx, by) = bar_area.get_base_pixel();
        let (_, bh) = bar_area.dim_in_pixel();
        let x = bx + 30;
        let top = by + 40;
        let bottom = by + bh as i32 - 150;
        let steps = (bottom - top).max(1);
        for s in 0..steps {
            let t = 1.0 - s as f64 / steps as f64;
            root.draw(&Rectangle::new(
                [(x, top + s), (x + 30, top + s + 1)],
                viridis(t).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(x, top), (x + 30, bottom)],
            TEXT_GREY.stroke_width(1),
        ))?;
        for e in axis.lo..=axis.hi {
            let t = (e - axis.lo) as f64 / (axis.hi - axis.lo) as f64;
            let y = bottom - (t * steps as f64).round() as i32;
            root.draw(&PathElement::new(
                vec![(x + 30, y), (x + 38, y)],
                TEXT_GREY.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                decade_label(e),
                (x + 44, y),
                text_style(TICK_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
            ))?;
        }
        // The values' description along the bar, read bottom to top.
        root.draw(&Text::new(
            self.value_desc.clone(),
            (x + 118, (top + bottom) / 2),
            text_style(AXIS_DESC_SIZE, BLACK, HPos::Center, VPos::Center)
                .transform(FontTransform::Rotate270),
        ))?;
        draw_zero_swatch(root, x, bottom + 30)
    }
}

/// A panel's cells: each filled with its value's colour, outlined in white, and labelled.
fn draw_cells<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &TickedChart<'_, DB>,
    axis: &LogAxis,
    panel: &HeatmapPanel,
) -> PlotResult {
    for (r, row) in panel.values.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            let t = color_t(axis, v);
            let color = t.map(viridis).unwrap_or(ZERO_COLOR);
            let p0 = in_area(root, chart.backend_coord(&(c as f64, r as f64 + 1.0)));
            let p1 = in_area(root, chart.backend_coord(&(c as f64 + 1.0, r as f64)));
            root.draw(&Rectangle::new([p0, p1], color.filled()))?;
            root.draw(&Rectangle::new([p0, p1], WHITE.stroke_width(1)))?;
            let text_color = if t.is_some_and(|t| t < 0.62) {
                WHITE
            } else {
                BLACK
            };
            let centre = ((p0.0 + p1.0) / 2, (p0.1 + p1.1) / 2);
            root.draw(&Text::new(
                short_number(v),
                centre,
                text_style(17.0, text_color, HPos::Center, VPos::Center),
            ))?;
        }
    }
    Ok(())
}

/// The zero swatch under the colour bar (left edge `x`, top `zy`) and the scale's note.
fn draw_zero_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    zy: i32,
) -> PlotResult {
    root.draw(&Rectangle::new(
        [(x, zy), (x + 30, zy + 24)],
        ZERO_COLOR.filled(),
    ))?;
    root.draw(&Text::new(
        "0",
        (x + 44, zy + 12),
        text_style(TICK_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
    ))?;
    root.draw(&Text::new(
        "(log scale)",
        (x - 10, zy + 56),
        text_style(16.0, TEXT_GREY, HPos::Left, VPos::Center),
    ))?;
    Ok(())
}
