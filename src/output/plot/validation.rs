//! The validation figure (`execsim validate`): the relative error of every row of the table,
//! simulated against live, one horizontal bar per row, with the tolerance band. It takes the
//! bars as plain data (`execsim validate` makes them from its results).

use super::*;

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBar {
    /// The row's key (`scenario/client/phase`).
    pub label: String,
    /// (sim − live) / live; None when only live is 0.
    pub error: Option<f64>,
    /// The row's tolerance.
    pub tolerance: f64,
    /// Listed in `validation/known-misses.toml`.
    pub known_miss: bool,
}

/// The figure: one bar per row, top to bottom in table order.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationFigure {
    /// Title.
    pub title: String,
    /// Grey lines under it.
    pub subtitle: String,
    /// The bars.
    pub bars: Vec<ErrorBar>,
}

/// The errors are drawn within ±this; larger ones are clipped and labelled.
const CLIP: f64 = 1.0;
const ROW_H: i32 = 24;

impl ValidationFigure {
    fn color(b: &ErrorBar) -> RGBColor {
        match b.error {
            Some(e) if e.abs() <= b.tolerance => PALETTE[3],
            _ if b.known_miss => PALETTE[7],
            _ => PALETTE[1],
        }
    }
}

impl Figure for ValidationFigure {
    fn size(&self) -> (u32, u32) {
        let lines = self.subtitle.lines().count() as u32;
        (
            1500,
            160 + 26 * lines + ROW_H as u32 * self.bars.len().max(1) as u32,
        )
    }

    // long: one pass drawing the axis, then label, bar and value per row; split, it would only pass the geometry around
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let body = draw_title(root, &self.title, &self.subtitle)?;
        let (bx, by) = body.get_base_pixel();
        let (w, _) = body.dim_in_pixel();
        let label_w = 560;
        let (left, right) = (bx + label_w, bx + w as i32 - 130);
        let x_of = |e: f64| {
            let t = (e.clamp(-CLIP, CLIP) + CLIP) / (2.0 * CLIP);
            left + (t * (right - left) as f64).round() as i32
        };
        let top = by + 40;
        let bottom = top + ROW_H * self.bars.len() as i32;
        // Tolerance bands and the axis.
        for tol in [0.15, 0.20] {
            root.draw(&Rectangle::new(
                [(x_of(-tol), top), (x_of(tol), bottom)],
                GRID_LIGHT.filled(),
            ))?;
        }
        for t in [-1.0, -0.5, -0.2, -0.15, 0.0, 0.15, 0.2, 0.5, 1.0] {
            let x = x_of(t);
            let color = if t == 0.0 { TEXT_GREY } else { GRID_BOLD };
            root.draw(&PathElement::new(
                vec![(x, top - 6), (x, bottom)],
                color.stroke_width(1),
            ))?;
            if [-1.0, -0.5, -0.15, 0.0, 0.5, 1.0, 0.15].contains(&t) {
                let label = match t {
                    t if t <= -1.0 => "≤ -100%".to_string(),
                    t if t >= 1.0 => "≥ +100%".to_string(),
                    t => format!("{:+.0}%", t * 100.0),
                };
                root.draw(&Text::new(
                    label,
                    (x, top - 10),
                    text_style(TICK_SIZE, TEXT_GREY, HPos::Center, VPos::Bottom),
                ))?;
            }
        }
        for (i, b) in self.bars.iter().enumerate() {
            let y = top + ROW_H * i as i32;
            let mid = y + ROW_H / 2;
            root.draw(&Text::new(
                b.label.clone(),
                (left - 10, mid),
                text_style(16.0, BLACK, HPos::Right, VPos::Center),
            ))?;
            let (value, e) = match b.error {
                Some(e) => (format!("{:+.1}%", e * 100.0), e),
                None => ("n/a".to_string(), 0.0),
            };
            let (x0, x1) = (x_of(0.0), x_of(e));
            root.draw(&Rectangle::new(
                [
                    (x0.min(x1), y + 4),
                    (x0.max(x1).max(x0.min(x1) + 2), y + ROW_H - 4),
                ],
                Self::color(b).filled(),
            ))?;
            // The value right of the bar (of the zero line for a negative error).
            root.draw(&Text::new(
                value,
                (x0.max(x1) + 6, mid),
                text_style(15.0, TEXT_GREY, HPos::Left, VPos::Center),
            ))?;
        }
        let legend = "blue: within tolerance (grey bands: 15% for rates, 20% for latency percentiles); grey: known miss (validation/known-misses.toml); red: miss";
        root.draw(&Text::new(
            legend,
            (bx + w as i32 / 2, bottom + 16),
            text_style(LEGEND_SIZE, TEXT_GREY, HPos::Center, VPos::Top),
        ))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_row_with_its_value() {
        let bar = |label: &str, error, known_miss| ErrorBar {
            label: label.into(),
            error,
            tolerance: 0.15,
            known_miss,
        };
        let fig = ValidationFigure {
            title: "t".into(),
            subtitle: "s\nnote".into(),
            bars: vec![
                bar("a/simple/before long", Some(0.05), false),
                bar("b/simple/during long", Some(3.0), true),
                bar("c/open/p99", None, false),
            ],
        };
        assert_eq!(fig.size(), (1500, 160 + 2 * 26 + 3 * ROW_H as u32));
        let svg = svg_string(&fig).unwrap();
        for text in ["a/simple/before long", "+5.0%", "+300.0%", "n/a", "≥ +100%"] {
            assert!(svg.contains(text), "{text}");
        }
        assert_eq!(ValidationFigure::color(&fig.bars[0]), PALETTE[3]);
        assert_eq!(ValidationFigure::color(&fig.bars[1]), PALETTE[7]);
        assert_eq!(ValidationFigure::color(&fig.bars[2]), PALETTE[1]);
    }
}
