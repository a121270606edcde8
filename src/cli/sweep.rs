//! `execsim sweep FILE`: run a scenario over a grid of parameter values, in parallel, one CSV
//! row per point (and, for a two-key grid, a heatmap of one column), checkpointed so that
//! `--resume` continues a stopped sweep; `execsim merge`: join the CSVs of sharded sweeps.

use super::args::load_calibration;
use super::atomic_write::write_atomically;
use crate::output::plot::heatmap::{Heatmap, HeatmapPanel};
use crate::output::plot::save;
use crate::sim::calibration::Calibration;
use crate::sim::sweep::{
    self, Checkpoint, CheckpointHeader, Point, PointResult, Shard, Sweep, SweepError,
};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(crate) struct SweepArgs {
    /// The sweep file (TOML).
    file: PathBuf,
    /// Where to write the CSV (default: standard output). Written atomically at the end;
    /// meanwhile each finished point is appended to OUT.checkpoint beside it.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Run only the points whose index is I modulo N (e.g. 0/4).
    #[arg(long)]
    shard: Option<Shard>,
    /// Continue a stopped sweep from OUT.checkpoint: skip the points it holds, run the rest,
    /// and write the CSV an uninterrupted run would have written. Needs --out.
    #[arg(long)]
    resume: bool,
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
    let in_file = |e: SweepError| anyhow::anyhow!("{}: {e}", args.file.display());
    let sweep = Sweep::from_file(&args.file).map_err(in_file)?;
    let cal = load_calibration(args.calibration.as_ref())?;
    let points = sweep.points(args.shard).map_err(in_file)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let Some(out) = &args.out else {
        anyhow::ensure!(
            !args.resume,
            "--resume needs --out: the checkpoint is kept beside the CSV"
        );
        let bar = crate::live::progress::count_bar(points.len() as u64, "points");
        let Ok(results) = pool.install(|| {
            sweep::run_points(&points, sweep.reps, &cal, &|_| {
                bar.inc(1);
                Ok::<(), std::convert::Infallible>(())
            })
        });
        bar.finish_and_clear();
        print!("{}", sweep::to_csv(&sweep, &results));
        return Ok(());
    };
    let start = std::time::Instant::now();
    let (results, ran) = run_checkpointed(&args, out, &sweep, &cal, &points, &pool)?;
    eprintln!(
        "{} points x {} reps in {:.2} s{} -> {}",
        results.len(),
        sweep.reps,
        start.elapsed().as_secs_f64(),
        if ran < results.len() {
            format!(
                " ({ran} run now, {} from the checkpoint)",
                results.len() - ran
            )
        } else {
            String::new()
        },
        out.display()
    );
    if let Some(first) = results.first() {
        draw_heatmap(&args, &sweep, &results, out, first)?;
    }
    Ok(())
}

/// Runs the points of the sweep that `out`'s checkpoint does not hold yet (all of them for a
/// new sweep), appending each to the checkpoint as it finishes; then writes the CSV of all
/// of them to `out` atomically and removes the checkpoint. Returns the results, in point
/// order, and how many points ran now.
fn run_checkpointed(
    args: &SweepArgs,
    out: &Path,
    sweep: &Sweep,
    cal: &Calibration,
    points: &[Point],
    pool: &rayon::ThreadPool,
) -> Result<(Vec<PointResult>, usize)> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let header = CheckpointHeader::new(sweep, cal, args.shard);
    let path = Checkpoint::path_for(out);
    let opened = Checkpoint::open(&path, &header, points, sweep.reps, args.resume)?;
    if opened.resumed {
        eprintln!(
            "resuming {}: {} of {} points already done{}",
            path.display(),
            opened.done.len(),
            points.len(),
            if opened.dropped_partial_line {
                " (a line cut short by the stop was dropped)"
            } else {
                ""
            }
        );
    } else if args.resume {
        eprintln!(
            "no checkpoint {}: running all {} points",
            path.display(),
            points.len()
        );
    }
    let done: BTreeSet<usize> = opened.done.iter().map(|r| r.point.index).collect();
    let todo: Vec<Point> = points
        .iter()
        .filter(|p| !done.contains(&p.index))
        .cloned()
        .collect();
    let bar = crate::live::progress::count_bar(todo.len() as u64, "points");
    let checkpoint = opened.checkpoint;
    let fresh = pool.install(|| {
        sweep::run_points(&todo, sweep.reps, cal, &|r| {
            bar.inc(1);
            checkpoint.record(r)
        })
    })?;
    bar.finish_and_clear();
    let ran = fresh.len();
    let mut results = opened.done;
    results.extend(fresh);
    results.sort_by_key(|r| r.point.index);
    write_atomically(out, sweep::to_csv(sweep, &results).as_bytes())?;
    checkpoint.remove()?;
    Ok((results, ran))
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
        Some(p) => write_atomically(p, merged.as_bytes())?,
        None => print!("{merged}"),
    }
    Ok(())
}
