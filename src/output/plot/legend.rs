//! Legends: a column of entries, each a sample of how its series looks (a line, a marker, a
//! box) and a label.

use super::figure::PlotResult;
use super::marker::{dashed_segment, draw_marker, Marker};
use super::style::{text_style, LEGEND_SIZE, TEXT_GREY};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// How a legend entry's sample looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A line, dashed or not, with an optional marker in its middle.
    Line {
        /// Dashed.
        dashed: bool,
        /// Marker drawn on it.
        marker: Option<Marker>,
    },
    /// A marker alone.
    Marker(Marker),
    /// A filled box.
    Box,
    /// A thin grey bar (the "blocked" state of the timeline).
    ThinBar,
}

/// One legend line.
#[derive(Clone, Debug)]
pub struct LegendEntry {
    /// The text.
    pub label: String,
    /// The colour of the sample.
    pub color: RGBColor,
    /// The sample.
    pub swatch: Swatch,
}

/// Height of a legend line in pixels.
pub const LEGEND_LINE: i32 = 30;

/// Draws a legend as a column of entries from `(x, y)` of `area` (top left of the first
/// swatch); an optional heading first. Returns the height used.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    heading: Option<&str>,
    entries: &[LegendEntry],
) -> PlotResult<i32> {
    let mut yy = y;
    if let Some(h) = heading {
        area.draw(&Text::new(
            h.to_string(),
            (x, yy + LEGEND_LINE / 2),
            text_style(LEGEND_SIZE, BLACK, HPos::Left, VPos::Center),
        ))?;
        yy += LEGEND_LINE + 2;
    }
    for e in entries {
        let cy = yy + LEGEND_LINE / 2;
        draw_swatch(area, e.swatch, (x, cy), e.color)?;
        area.draw(&Text::new(
            e.label.clone(),
            (x + 52, cy),
            text_style(LEGEND_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
        ))?;
        yy += LEGEND_LINE;
    }
    Ok(yy - y)
}

/// Draws a legend sample 44 pixels wide whose left middle is `(x, cy)`.
pub fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, cy): (i32, i32),
    color: RGBColor,
) -> PlotResult {
    match swatch {
        Swatch::Line { dashed, marker } => {
            let style = color.stroke_width(3);
            if dashed {
                dashed_segment(area, (x, cy), (x + 44, cy), style, 8, 5)?;
            } else {
                area.draw(&PathElement::new(vec![(x, cy), (x + 44, cy)], style))?;
            }
            if let Some(m) = marker {
                draw_marker(area, m, (x + 22, cy), 6, color)?;
            }
        }
        Swatch::Marker(m) => draw_marker(area, m, (x + 22, cy), 6, color)?,
        Swatch::Box => area.draw(&Rectangle::new(
            [(x + 4, cy - 10), (x + 40, cy + 10)],
            color.filled(),
        ))?,
        Swatch::ThinBar => area.draw(&Rectangle::new(
            [(x + 4, cy - 2), (x + 40, cy + 2)],
            color.filled(),
        ))?,
    }
    Ok(())
}
