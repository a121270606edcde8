//! Pictures of results, drawn with `plotters` as PNG and SVG: throughput over time, latency
//! percentiles and distribution, the GIL timeline, a parameter heatmap and a simulated-vs-live
//! overlay. Plots only read results ([`RunResult`](crate::sim::results::RunResult), an activity
//! trace); [`figures`] holds the drivers that run the lesson's simulations and draw them all.
//!
//! Text is measured and (in PNGs) drawn with DejaVu Sans, embedded in the binary, so no
//! system font is needed. SVGs name the generic `sans-serif` family, which every viewer has.
//! Nothing here reads a clock or iterates a hash map: the same results give the same bytes.

pub mod figures;
pub mod heatmap;
pub mod latency;
pub mod overlay;
pub mod raster;
pub mod throughput;
pub mod timeline;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The font family every figure uses (DejaVu Sans, registered under the generic name).
pub const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera license, see `assets/fonts/LICENSE-DejaVu.txt`).
static FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font with plotters (once per process; later calls do nothing).
pub fn init_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, FONT_DATA).is_err() {
            panic!("the embedded DejaVu Sans font does not parse");
        }
    });
}

/// An error while drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Writing a file or making a directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The results cannot make this figure.
    #[error("{0}")]
    Data(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

/// The result of drawing.
pub type PlotResult<T = ()> = Result<T, PlotError>;

/// A picture that can be drawn on any plotters backend.
pub trait Figure {
    /// Width and height in pixels (of the PNG; the SVG has the same user units).
    fn size(&self) -> (u32, u32) {
        (1280, 720)
    }
    /// Draws the figure on `root` (already filled white, origin at the image's top left).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult;
}

/// Writes `fig` as `DIR/STEM.png` and `DIR/STEM.svg` (making `dir` if needed) and returns
/// both paths.
pub fn save<F: Figure>(fig: &F, dir: &Path, stem: &str) -> PlotResult<[PathBuf; 2]> {
    init_fonts();
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let size = fig.size();
    let png = dir.join(format!("{stem}.png"));
    {
        let root = raster::CrispText::new(BitMapBackend::new(&png, size)).into_drawing_area();
        root.fill(&WHITE)?;
        fig.draw(&root)?;
        root.present()?;
    }
    let svg_path = dir.join(format!("{stem}.svg"));
    let svg = svg_string(fig)?;
    std::fs::write(&svg_path, svg).map_err(|source| PlotError::Io {
        path: svg_path.clone(),
        source,
    })?;
    Ok([png, svg_path])
}

/// Draws `fig` as an SVG document in memory.
pub fn svg_string<F: Figure>(fig: &F) -> PlotResult<String> {
    init_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, fig.size()).into_drawing_area();
        root.fill(&WHITE)?;
        fig.draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Shared style.

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

// ---------------------------------------------------------------------------------------------
// Markers and legends.

/// A point marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled upward triangle.
    Triangle,
    /// Filled square.
    Square,
    /// Filled diamond.
    Diamond,
    /// Diagonal cross.
    Cross,
    /// Hollow circle.
    Ring,
    /// Filled downward triangle.
    TriangleDown,
    /// Upright cross.
    Plus,
}

/// Markers for series, in order.
pub const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Diamond,
    Marker::Cross,
    Marker::TriangleDown,
    Marker::Ring,
    Marker::Plus,
];

/// The marker of series `i`.
pub fn series_marker(i: usize) -> Marker {
    MARKERS[i % MARKERS.len()]
}

/// Draws a marker centred on the pixel `(x, y)` of `area` (`r`: half its size in pixels).
pub fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    marker: Marker,
    (x, y): (i32, i32),
    r: i32,
    color: RGBColor,
) -> PlotResult {
    let fill = color.filled();
    let stroke = color.stroke_width(2);
    match marker {
        Marker::Circle => area.draw(&Circle::new((x, y), r, fill))?,
        Marker::Ring => area.draw(&Circle::new((x, y), r, stroke))?,
        Marker::Square => {
            let s = r * 9 / 10;
            area.draw(&Rectangle::new([(x - s, y - s), (x + s, y + s)], fill))?
        }
        Marker::Triangle => area.draw(&Polygon::new(
            vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
            fill,
        ))?,
        Marker::TriangleDown => area.draw(&Polygon::new(
            vec![(x, y + r + 1), (x + r + 1, y - r), (x - r - 1, y - r)],
            fill,
        ))?,
        Marker::Diamond => area.draw(&Polygon::new(
            vec![
                (x, y - r - 1),
                (x + r + 1, y),
                (x, y + r + 1),
                (x - r - 1, y),
            ],
            fill,
        ))?,
        Marker::Cross => {
            area.draw(&PathElement::new(
                vec![(x - r, y - r), (x + r, y + r)],
                color.stroke_width(3),
            ))?;
            area.draw(&PathElement::new(
                vec![(x - r, y + r), (x + r, y - r)],
                color.stroke_width(3),
            ))?
        }
        Marker::Plus => {
            area.draw(&PathElement::new(
                vec![(x - r - 1, y), (x + r + 1, y)],
                color.stroke_width(3),
            ))?;
            area.draw(&PathElement::new(
                vec![(x, y - r - 1), (x, y + r + 1)],
                color.stroke_width(3),
            ))?
        }
    }
    Ok(())
}

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

/// Draws a dashed horizontal or sloped segment between two pixels.
pub fn dashed_segment<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    style: ShapeStyle,
    dash: i32,
    gap: i32,
) -> PlotResult {
    let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return Ok(());
    }
    let mut s = 0.0;
    while s < len {
        let e = (s + dash as f64).min(len);
        let p = |t: f64| {
            (
                from.0 + (dx * t / len).round() as i32,
                from.1 + (dy * t / len).round() as i32,
            )
        };
        area.draw(&PathElement::new(vec![p(s), p(e)], style))?;
        s = e + gap as f64;
    }
    Ok(())
}

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

// ---------------------------------------------------------------------------------------------
// A logarithmic axis that can show zero.

/// A logarithmic value axis drawn in log10 units, with decades `10^lo ..= 10^hi` and, when
/// asked, a "0" tick half a decade below the lowest decade where zeros (and anything below
/// `10^lo`) are drawn. A 99% drop is then two decades: as readable as a doubling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogAxis {
    /// Lowest decade (exponent).
    pub lo: i32,
    /// Highest decade (exponent).
    pub hi: i32,
    /// Whether zero has its own tick.
    pub zero: bool,
}

impl LogAxis {
    /// The smallest axis holding every value: decades from the smallest positive value's
    /// (at least `min_lo`) to the largest's, rounded outwards; `zero` if any value is 0.
    pub fn fit(values: impl IntoIterator<Item = f64>, min_lo: i32) -> LogAxis {
        let mut lo = i32::MAX;
        let mut hi = i32::MIN;
        let mut zero = false;
        for v in values {
            if !v.is_finite() {
                continue;
            }
            if v <= 0.0 {
                zero = true;
                continue;
            }
            let e = v.log10();
            lo = lo.min(e.floor() as i32);
            hi = hi.max(e.ceil() as i32);
        }
        if lo > hi {
            return LogAxis {
                lo: min_lo.max(0),
                hi: min_lo.max(0) + 1,
                zero,
            };
        }
        let lo = lo.max(min_lo);
        LogAxis {
            lo,
            hi: hi.max(lo + 1),
            zero,
        }
    }

    /// Where zero is drawn (in log10 units).
    pub fn zero_pos(&self) -> f64 {
        self.lo as f64 - 0.5
    }

    /// The axis position of value `v`.
    pub fn pos(&self, v: f64) -> f64 {
        if v <= 0.0 || !v.is_finite() {
            return self.zero_pos();
        }
        let lo = 10f64.powi(self.lo);
        if v < lo {
            if self.zero {
                // Between zero's tick and the lowest decade, proportionally.
                return self.zero_pos() + 0.5 * v / lo;
            }
            return self.lo as f64;
        }
        v.log10()
    }

    /// The axis range (in log10 units), with a little room at both ends.
    pub fn range(&self) -> Range<f64> {
        let bottom = if self.zero {
            self.zero_pos() - 0.15
        } else {
            self.lo as f64 - 0.02
        };
        bottom..self.hi as f64 + 0.04
    }

    /// Major ticks: zero (if shown) and each decade.
    pub fn major(&self) -> Vec<f64> {
        let mut v = Vec::new();
        if self.zero {
            v.push(self.zero_pos());
        }
        v.extend((self.lo..=self.hi).map(|e| e as f64));
        v
    }

    /// Minor grid lines: 2..9 times each decade.
    pub fn minor(&self) -> Vec<f64> {
        (self.lo..self.hi)
            .flat_map(|e| (2..10).map(move |k| e as f64 + (k as f64).log10()))
            .collect()
    }

    /// The label of a major tick.
    pub fn label(&self, p: f64) -> String {
        if self.zero && (p - self.zero_pos()).abs() < 1e-6 {
            return "0".into();
        }
        decade_label(p.round() as i32)
    }
}

/// `10^e` written briefly: 0.01, 0.1, 1, 10, 100, 1k, 10k, 100k, 1M...
pub fn decade_label(e: i32) -> String {
    match e {
        i32::MIN..=-1 => format!("{}", 10f64.powi(e)),
        0..=2 => format!("{}", 10i64.pow(e as u32)),
        3..=5 => format!("{}k", 10i64.pow(e as u32 - 3)),
        _ => format!("{}M", 10f64.powi(e - 6)),
    }
}

/// A linear plotters axis over `range` whose major ticks (with labels) are exactly `major`
/// and minor grid lines exactly `minor`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticked {
    /// The axis range.
    pub range: Range<f64>,
    /// Major ticks.
    pub major: Vec<f64>,
    /// Minor grid lines.
    pub minor: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (v - self.range.start) / span;
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// A [`Ticked`] axis.
pub fn fixed_ticks(range: Range<f64>, major: Vec<f64>, minor: Vec<f64>) -> Ticked {
    Ticked {
        range,
        major,
        minor,
    }
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

/// A result's `source` for people: "sim" is "simulated", "live-cpython" is "live (cpython)".
pub fn source_label(source: &str) -> String {
    match source {
        "sim" => "simulated".into(),
        s => match s.strip_prefix("live-") {
            Some(rest) => format!("live ({rest})"),
            None => s.to_string(),
        },
    }
}

/// Formats a number briefly, trailing zeros trimmed: 3425, 41.6, 2.5, 0.25.
pub fn short_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_fits_and_labels() {
        let a = LogAxis::fit([0.0, 41.0, 3425.0, 6704.0], 0);
        assert_eq!(
            a,
            LogAxis {
                lo: 1,
                hi: 4,
                zero: true
            }
        );
        assert_eq!(a.label(a.zero_pos()), "0");
        assert_eq!(a.label(3.0), "1k");
        assert_eq!(a.pos(0.0), 0.5);
        assert!((a.pos(100.0) - 2.0).abs() < 1e-12);
        assert_eq!(decade_label(-1), "0.1");
        assert_eq!(short_number(41.6), "41.6");
        assert_eq!(short_number(2.50), "2.5");
    }
}
