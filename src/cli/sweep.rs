//! `execsim sweep FILE`: run a scenario over a grid of parameter values, in parallel, one CSV
//! row per point (and, for a two-key grid, a heatmap of one column); `execsim merge`: join
//! the CSVs of sharded sweeps.

use super::args::load_calibration;
use crate::output::plot::heatmap::{Heatmap, HeatmapPanel};
use crate::output::plot::save;
use crate::sim::sweep::{self, PointResult, Shard, Sweep};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(crate) struct SweepArgs {
    /// The sweep file (TOML).
    file: PathBuf,
    /// Where to write the CSV (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Run only the points whose index is I modulo N (e.g. 0/4).
    #[arg(long)]
    shard: Option<Shard>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// For a two-key grid: draw this CSV column as a heatmap next to the CSV (default: the
    /// first client's rate in the last phase). Needs --out.
    #[arg(long)]
    heatmap: Option<String>,
    /// Calibration file (default: the embedded one).
    #[arg(long)]
    calibration: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct MergeArgs {
    /// Shard CSV files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the merged CSV (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub(crate) fn cmd_sweep(args: SweepArgs) -> Result<()> {
    let sweep = Sweep::from_file(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let cal = load_calibration(args.calibration.as_ref())?;
    let total = sweep
        .indices()
        .into_iter()
        .filter(|i| args.shard.is_none_or(|s| i % s.count == s.index))
        .count();
    let bar = crate::live::progress::count_bar(total as u64, "points");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let start = std::time::Instant::now();
    let results = pool.install(|| sweep::run(&sweep, &cal, args.shard, &|| bar.inc(1)))?;
    bar.finish_and_clear();
    let csv = sweep::to_csv(&sweep, &results);
    match &args.out {
        Some(p) => {
            write_creating_dir(p, &csv)?;
            eprintln!(
                "{} points x {} reps in {:.2} s -> {}",
                results.len(),
                sweep.reps,
                start.elapsed().as_secs_f64(),
                p.display()
            );
        }
        None => print!("{csv}"),
    }
    if let (Some(out), Some(first)) = (&args.out, results.first()) {
        draw_heatmap(&args, &sweep, &results, out, first)?;
    }
    Ok(())
}

/// Writes `text` to `path`, making its directory first.
fn write_creating_dir(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// For a two-key grid: draws the `--heatmap` column (default: the first client's rate in the
/// last phase) next to the CSV `out`. Fails only if `--heatmap` was asked for and cannot be
/// drawn.
fn draw_heatmap(
    args: &SweepArgs,
    sweep: &Sweep,
    results: &[PointResult],
    out: &Path,
    first: &PointResult,
) -> Result<()> {
    // Default: the first client's rate in the last phase.
    let client = first.names[0].split('.').next().unwrap_or("").to_string();
    let metric = args.heatmap.clone().or_else(|| {
        first
            .names
            .iter()
            .rfind(|n| n.starts_with(&format!("{client}.rate@")))
            .cloned()
    });
    let Some(metric) = metric else {
        return Ok(());
    };
    if let Some((xs, ys, values)) = sweep::grid_matrix(sweep, results, &metric) {
        let fig = Heatmap {
            title: format!("{metric} over {} x {}", sweep.grid[0].0, sweep.grid[1].0),
            subtitle: format!(
                "sweep {} ({} reps per point)",
                args.file.display(),
                sweep.reps
            ),
            x_desc: sweep.grid[1].0.clone(),
            y_desc: sweep.grid[0].0.clone(),
            value_desc: metric.clone(),
            x_labels: xs,
            y_labels: ys,
            panels: vec![HeatmapPanel {
                title: String::new(),
                values,
            }],
        };
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let stem = format!(
            "{}-heatmap",
            out.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep")
        );
        let files = save(&fig, dir, &stem).map_err(|e| anyhow::anyhow!("heatmap: {e}"))?;
        eprintln!("heatmap of {metric}: {}", files[0].display());
    } else if args.heatmap.is_some() {
        anyhow::bail!(
            "--heatmap needs a grid of exactly two keys and an existing column {metric:?}"
        );
    }
    Ok(())
}

pub(crate) fn cmd_merge(args: MergeArgs) -> Result<()> {
    let texts = args
        .files
        .iter()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    let merged = sweep::merge(&texts).map_err(|e| anyhow::anyhow!(e))?;
    match &args.out {
        Some(p) => std::fs::write(p, merged).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{merged}"),
    }
    Ok(())
}
