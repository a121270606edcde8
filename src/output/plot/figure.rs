//! What a figure is ([`Figure`]: a picture drawable on any plotters backend), how drawing
//! fails ([`PlotError`]), and how a figure becomes files: a PNG and an SVG ([`save`]), or an
//! SVG in memory ([`svg_string`]), or a PNG in memory ([`png_bytes`]: for notebooks).

use super::font::init_fonts;
use super::raster::CrispText;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

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

/// A figure borrowed is the figure (so a composite such as
/// [`Stacked`](super::stacked::Stacked) can hold parts it does not own).
impl<F: Figure> Figure for &F {
    fn size(&self) -> (u32, u32) {
        (**self).size()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        (**self).draw(root)
    }
}

/// Writes `fig` as `DIR/STEM.png` and `DIR/STEM.svg` (making `dir` if needed) and returns
/// both paths.
pub fn save<F: Figure>(fig: &F, dir: &Path, stem: &str) -> PlotResult<[PathBuf; 2]> {
    init_fonts();
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let png = dir.join(format!("{stem}.png"));
    write_png(fig, &png)?;
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

/// Draws `fig` as a PNG file's bytes (for a notebook to show inline). The bitmap backend
/// encodes only to a file, so the PNG is drawn in a temporary directory and read back.
pub fn png_bytes<F: Figure>(fig: &F) -> PlotResult<Vec<u8>> {
    init_fonts();
    let dir = tempfile::tempdir().map_err(|source| PlotError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let png = dir.path().join("figure.png");
    write_png(fig, &png)?;
    std::fs::read(&png).map_err(|source| PlotError::Io { path: png, source })
}

/// Draws `fig` as the PNG file `path` (fonts already set up).
fn write_png<F: Figure>(fig: &F, path: &Path) -> PlotResult {
    let root = CrispText::new(BitMapBackend::new(path, fig.size())).into_drawing_area();
    root.fill(&WHITE)?;
    fig.draw(&root)?;
    root.present()?;
    Ok(())
}
