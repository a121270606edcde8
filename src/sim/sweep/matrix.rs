//! A two-key sweep's results as a matrix, for a heatmap.

use super::grid::value_text;
use super::run::PointResult;
use super::Sweep;

/// Column labels, row labels and a matrix of values `[row][column]`.
pub type GridMatrix = (Vec<String>, Vec<String>, Vec<Vec<f64>>);

/// For a two-key grid: the x labels (second key), y labels (first key) and, for `metric`,
/// the matrix of means `[y][x]` (NaN where a point was not run), for a heatmap.
pub fn grid_matrix(sweep: &Sweep, results: &[PointResult], metric: &str) -> Option<GridMatrix> {
    if sweep.grid.len() != 2 {
        return None;
    }
    let ys: Vec<String> = sweep.grid[0].1.iter().map(value_text).collect();
    let xs: Vec<String> = sweep.grid[1].1.iter().map(value_text).collect();
    let mut m = vec![vec![f64::NAN; xs.len()]; ys.len()];
    for r in results {
        let j = r.names.iter().position(|n| n == metric)?;
        let (y, x) = (r.point.index / xs.len(), r.point.index % xs.len());
        m[y][x] = r.mean[j];
    }
    Some((xs, ys, m))
}
