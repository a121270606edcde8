//! Pictures of results, drawn with `plotters` as PNG and SVG: throughput over time, latency
//! percentiles and distribution, the GIL timeline, a parameter heatmap and a simulated-vs-live
//! overlay. Plots only read results ([`RunResult`](crate::sim::results::RunResult), an activity
//! trace, a grid of values): whoever needs a figure simulates first; [`figures`] draws whole
//! sets of figures from such results.
//!
//! Text is measured and (in PNGs) drawn with DejaVu Sans, embedded in the binary, so no
//! system font is needed. SVGs name the generic `sans-serif` family, which every viewer has.
//! Nothing here reads a clock or iterates a hash map: the same results give the same bytes.
//!
//! The shared pieces live in their own files ([`figure`]: the trait and saving; [`font`];
//! [`style`]; [`marker`]; [`legend`]; [`axis`]; [`labels`]) and are re-exported here, so a
//! figure's file reads them all with `use super::*`.

pub mod advice;
pub mod axis;
pub mod figure;
pub mod figures;
pub mod font;
pub mod gil_compare;
pub mod heatmap;
pub mod labels;
pub mod latency;
pub mod legend;
pub mod marker;
pub mod overlay;
pub mod raster;
pub mod stacked;
pub mod style;
pub mod throughput;
pub mod timeline;
pub mod validation;

pub use axis::{decade_label, fixed_ticks, LogAxis, Ticked, TickedChart};
pub use figure::{save, svg_string, Figure, PlotError, PlotResult};
pub use font::{init_fonts, FONT};
pub use labels::{short_number, source_label};
pub use legend::{draw_legend, draw_swatch, LegendEntry, Swatch, LEGEND_LINE};
pub use marker::{dashed_segment, draw_marker, series_marker, Marker, MARKERS};
pub use style::{
    draw_title, in_area, mesh_style, series_color, text_style, AXIS_DESC_SIZE, GRID_BOLD,
    GRID_LIGHT, LEGEND_SIZE, PALETTE, SUBTITLE_SIZE, TEXT_GREY, TICK_SIZE, TITLE_SIZE,
};

// What every figure's file draws with, read through `use super::*`.
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
