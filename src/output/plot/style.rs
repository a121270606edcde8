//! The figures' shared look: text sizes, greys, the series palette, text styles, the title
//! block and the mesh (grid and tick label) style.

use super::figure::PlotResult;
use super::font::FONT;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::BackendCoord;

/// Title size in pixels.
pub const TITLE_SIZE: f64 = 32.0;
/// Subtitle size.
pub const SUBTITLE_SIZE: f64 = 20.0;
/// Axis description size.
pub const AXIS_DESC_SIZE: f64 = 22.0;
/// Tick label size.
pub const TICK_SIZE: f64 = 19.0;
/// Legend and annotation size.
pub const LEGEND_SIZE: f64 = 19.0;

/// Dark grey for text other than titles.
pub const TEXT_GREY: RGBColor = RGBColor(60, 60, 60);
/// Light grey for grid lines.
pub const GRID_LIGHT: RGBColor = RGBColor(236, 236, 236);
/// Grey for major grid lines.
pub const GRID_BOLD: RGBColor = RGBColor(205, 205, 205);

/// Colours for series: the Okabe–Ito palette (distinguishable with colour-vision
/// deficiencies), without its yellow, plus a grey.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(213, 94, 0),
    RGBColor(230, 159, 0),
    RGBColor(0, 114, 178),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(0, 158, 115),
    RGBColor(128, 128, 128),
];

/// The colour of series `i`.
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A text style of the figures' font.
pub fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, size).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// Draws a title and a grey subtitle (which may have several lines, split at `\n`) at the top
/// of `root` and returns the area below them.
pub fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> PlotResult<DrawingArea<DB, Shift>> {
    let (w, _) = root.dim_in_pixel();
    let x = w as i32 / 2;
    root.draw(&Text::new(
        title.to_string(),
        (x, 14),
        text_style(TITLE_SIZE, BLACK, HPos::Center, VPos::Top),
    ))?;
    let mut y = 14 + TITLE_SIZE as i32 + 8;
    for line in subtitle.lines().filter(|l| !l.is_empty()) {
        root.draw(&Text::new(
            line.to_string(),
            (x, y),
            text_style(SUBTITLE_SIZE, TEXT_GREY, HPos::Center, VPos::Top),
        ))?;
        y += SUBTITLE_SIZE as i32 + 6;
    }
    Ok(root.split_vertically(y + 8).1)
}

/// Applies the figures' mesh style (light grid, tick labels, axis descriptions) to a mesh
/// configuration; the caller adds descriptions and formatters, then draws.
pub fn mesh_style<X, Y, DB>(m: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>)
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    m.label_style(text_style(TICK_SIZE, TEXT_GREY, HPos::Center, VPos::Center))
        .axis_desc_style(text_style(
            AXIS_DESC_SIZE,
            BLACK,
            HPos::Center,
            VPos::Center,
        ))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(TEXT_GREY.stroke_width(1));
}

/// A chart's point (from `chart.backend_coord`, in the whole image's pixels) in `area`'s own
/// pixels: a figure drawn into part of a larger one (a stacked figure) then puts its text,
/// markers and cells where its chart is. The identity on a whole image.
pub fn in_area<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: BackendCoord) -> BackendCoord {
    let (bx, by) = area.get_base_pixel();
    (p.0 - bx, p.1 - by)
}
