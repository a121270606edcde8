//! The figures: each renders from a small scenario without error, and the simulated figures
//! are byte-identical across two runs with the same seed.

use execsim::cli::figures::{
    interval_workers_grid, lesson_figures, lesson_timeline, traced, LessonFigureOptions,
};
use execsim::kernel::{SimDuration, SimTime};
use execsim::output::plot::figures::run_figures;
use execsim::output::plot::heatmap::{Heatmap, HeatmapPanel};
use execsim::output::plot::latency::{LatencyDistribution, LatencyPercentiles};
use execsim::output::plot::throughput::Throughput;
use execsim::output::plot::timeline::{rows, GilTimeline};
use execsim::output::plot::{overlay, save, svg_string};
use execsim::sim::calibration::Calibration;
use execsim::sim::lesson::{self, Placement};
use execsim::sim::results::RunResult;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;
use std::path::PathBuf;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("execsim-plots-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SHORT: SimDuration = SimDuration::from_secs(3);

/// The lesson's scenarios, 3 s long (the long request starts at 2 s).
fn short_lesson() -> Vec<Scenario> {
    lesson::scenarios()
        .into_iter()
        .map(|mut s| {
            s.duration = SHORT;
            s
        })
        .collect()
}

fn short_runs(cal: &Calibration) -> Vec<RunResult> {
    short_lesson()
        .iter()
        .map(|s| simulate(s, cal, &SimOptions::default()).result)
        .collect()
}

fn small_options() -> LessonFigureOptions {
    LessonFigureOptions {
        window_from: SimDuration::from_millis(2500),
        window_len: SimDuration::from_millis(20),
        intervals: vec![SimDuration::from_millis(5), SimDuration::from_millis(1)],
        workers: vec![1, 2],
        rate_seconds: (2, 3),
        duration: Some(SHORT),
        ..LessonFigureOptions::default()
    }
}

fn assert_written(files: &[PathBuf]) {
    for f in files {
        let len = std::fs::metadata(f).unwrap().len();
        assert!(len > 1000, "{} is only {len} bytes", f.display());
    }
}

#[test]
fn each_figure_renders() {
    let cal = Calibration::default_embedded();
    let runs = short_runs(&cal);
    let dir = TempDir::new("each");
    let d = &dir.0;
    assert_written(&save(&Throughput::compare_runs(&runs, "simple"), d, "t").unwrap());
    assert_written(&save(&LatencyPercentiles::compare_runs(&runs, "simple"), d, "p").unwrap());
    assert_written(&save(&LatencyDistribution::compare_runs(&runs, "simple"), d, "d").unwrap());
    let opts = small_options();
    let tl = lesson_timeline(&cal, Placement::Convoy, &opts);
    assert!(tl.rows.iter().any(|r| r.name == "event-loop"));
    assert_written(&save(&tl, d, "tl").unwrap());
    let grid = interval_workers_grid(&cal, Placement::Convoy, &opts);
    assert_eq!(grid.values.len(), 2);
    // One worker: the long request holds it from its submit on; only light requests
    // submitted before that complete: the one in the pool at 2 s and the one sent while the
    // long client connected (the long request reaches the pool a round trip after 2 s).
    assert!(
        grid.values[0].iter().all(|&v| v <= 2.0),
        "{:?}",
        grid.values
    );
    assert!(
        grid.values[1][1] > grid.values[1][0],
        "shorter interval, faster convoy"
    );
    let heat = Heatmap {
        title: "t".into(),
        subtitle: String::new(),
        x_desc: "x".into(),
        y_desc: "y".into(),
        value_desc: "req/s".into(),
        x_labels: grid.x_labels.clone(),
        y_labels: grid.y_labels.clone(),
        panels: vec![HeatmapPanel {
            title: String::new(),
            values: grid.values.clone(),
        }],
    };
    assert_written(&save(&heat, d, "h").unwrap());
    // Simulated vs live, with a second seed standing in for the live run.
    let mut s = short_lesson()[1].clone();
    let sim = simulate(&s, &cal, &SimOptions::default()).result;
    s.seed += 1;
    let mut other = simulate(&s, &cal, &SimOptions::default()).result;
    other.source = "live-cpython".into();
    let ov = overlay::sim_vs_live(&sim, &other);
    assert_eq!(ov.series.len(), 4, "two clients, two sources");
    assert!(ov.series[1].dashed && !ov.series[0].dashed);
    assert_written(&save(&ov, d, "o").unwrap());
    // One run's figures, GIL timeline included.
    let out = simulate(
        &s,
        &cal,
        &SimOptions {
            trace: true,
            ..SimOptions::default()
        },
    );
    let files = run_figures(
        &traced(&out),
        &d.join("run"),
        SimDuration::from_millis(2500),
        SimDuration::from_millis(20),
    )
    .unwrap();
    assert_eq!(files.len(), 8, "{files:?}");
    assert_written(&files);
}

#[test]
fn a_bad_grid_is_an_error_not_a_panic() {
    let heat = Heatmap {
        title: "t".into(),
        subtitle: String::new(),
        x_desc: "x".into(),
        y_desc: "y".into(),
        value_desc: "v".into(),
        x_labels: vec!["a".into(), "b".into()],
        y_labels: vec!["1".into()],
        panels: vec![HeatmapPanel {
            title: "p".into(),
            values: vec![vec![1.0]],
        }],
    };
    assert!(svg_string(&heat).is_err());
    assert!(svg_string(&Throughput::compare_runs(&[], "simple")).is_err());
}

#[test]
fn timeline_rows_cover_the_window() {
    let cal = Calibration::default_embedded();
    let s = &short_lesson()[1];
    let out = simulate(
        s,
        &cal,
        &SimOptions {
            trace: true,
            ..SimOptions::default()
        },
    );
    let from = SimTime::ZERO + SimDuration::from_millis(2500);
    let to = from + SimDuration::from_millis(50);
    let rs = rows(&out.trace, &out.thread_names, from, to);
    assert_eq!(rs.len(), out.thread_names.len());
    for r in &rs {
        assert_eq!(r.stretches.first().unwrap().0, from, "{}", r.name);
        assert_eq!(r.stretches.last().unwrap().1, to, "{}", r.name);
        for w in r.stretches.windows(2) {
            assert_eq!(w[0].1, w[1].0, "{}: stretches are contiguous", r.name);
            assert_ne!(w[0].2, w[1].2, "{}: neighbours are merged", r.name);
        }
    }
    // The convoy: some thread holds the GIL for most of the window.
    let held = rs
        .iter()
        .map(|r| r.time_in(execsim::interp::ThreadActivity::Python))
        .max()
        .unwrap();
    assert!(held > 40_000_000, "largest GIL hold {held} ns of 50 ms");
    let t = GilTimeline::new("x", &out.trace, &out.thread_names, from, to);
    assert!(svg_string(&t).unwrap().contains("event-loop"));
}

#[test]
fn latency_distribution_is_hdr_percentile_output() {
    let cal = Calibration::default_embedded();
    let r = simulate(&short_lesson()[1], &cal, &SimOptions::default()).result;
    let c = r.client("simple").unwrap();
    let d = &c.latency_distribution;
    assert!(d.len() > 10);
    assert!(d.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(d.last().unwrap().0, 100.0);
    assert_eq!(d.last().unwrap().1, c.latency_us.max);
    // Results without it (older JSON) still read.
    let mut v = serde_json::to_value(c).unwrap();
    v.as_object_mut().unwrap().remove("latency_distribution");
    let back: execsim::sim::results::ClientResult = serde_json::from_value(v).unwrap();
    assert!(back.latency_distribution.is_empty());
}

#[test]
fn simulated_figures_are_byte_identical_across_runs() {
    let cal = Calibration::default_embedded();
    let opts = small_options();
    let (a, b) = (TempDir::new("det-a"), TempDir::new("det-b"));
    let fa = lesson_figures(&short_runs(&cal), &cal, &a.0, &opts).unwrap();
    let fb = lesson_figures(&short_runs(&cal), &cal, &b.0, &opts).unwrap();
    assert_eq!(fa.len(), 12);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.file_name(), y.file_name());
        let (bx, by) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        assert!(bx == by, "{} differs between two runs", x.display());
    }
    let svg = std::fs::read_to_string(a.0.join("throughput.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("thread-5ms-own-core"));
}
