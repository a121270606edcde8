//! Sweeps: grid expansion, sampling, shards and merge, and results independent of the
//! number of threads, errors that name their key, and checkpoints that give their points back.

use execsim::sim::calibration::Calibration;
use execsim::sim::sweep::{
    merge, run, to_csv, Checkpoint, CheckpointHeader, PointResult, Shard, Sweep, SweepError,
};
use std::path::Path;

const SWEEP: &str = include_str!("sweeps/light-and-long.toml");

fn sweep() -> Sweep {
    Sweep::from_toml(SWEEP, None, Some("t")).expect("valid sweep")
}

fn run_on(threads: usize, sw: &Sweep, shard: Option<Shard>) -> String {
    let cal = Calibration::default_embedded();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let res = pool.install(|| run(sw, &cal, shard, &|| {})).unwrap();
    to_csv(sw, &res)
}

#[test]
fn grid_is_row_major_and_points_are_valid() {
    let sw = sweep();
    assert_eq!(sw.grid_size(), 6);
    let p = sw.point(3).unwrap();
    // index 3 = interval[1] ("1ms"), workers[1] (2)
    assert_eq!(p.values, vec!["1ms".to_string(), "2".to_string()]);
    assert_eq!(p.scenario.python.switch_interval.to_string(), "1ms");
    assert_eq!(p.scenario.server.workers, Some(2));
}

#[test]
fn results_do_not_depend_on_thread_count_and_shards_merge_back() {
    let sw = sweep();
    let one = run_on(1, &sw, None);
    let many = run_on(4, &sw, None);
    assert_eq!(one, many);
    assert_eq!(one.lines().count(), 7, "{one}");
    let shards: Vec<String> = (0..3)
        .map(|i| run_on(2, &sw, Some(Shard { index: i, count: 3 })))
        .collect();
    // Shards in any order merge into the single run's file.
    let merged = merge(&[shards[2].clone(), shards[0].clone(), shards[1].clone()]).unwrap();
    assert_eq!(merged, one);
    assert!(merge(&[shards[0].clone(), shards[0].clone()])
        .unwrap_err()
        .contains("twice"));
}

#[test]
fn the_csv_has_rates_per_phase_with_confidence_intervals() {
    let sw = sweep();
    let csv = run_on(2, &sw, None);
    let header = csv.lines().next().unwrap();
    for col in [
        "point",
        "python.switch_interval",
        "server.workers",
        "simple.rate@0s",
        "simple.rate@1s",
        "simple.rate@1s.ci95",
        "simple.p99_us",
        "trace_hash",
    ] {
        assert!(
            header.split(',').any(|h| h == col),
            "missing {col} in {header}"
        );
    }
    // workers = 1: the light client starves behind the long request in every replication.
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = h.iter().position(|x| x == "simple.rate@1s").unwrap();
    let wcol = h.iter().position(|x| x == "server.workers").unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[wcol] == "1" {
            assert_eq!(&rec[col], "0", "{rec:?}");
        } else {
            assert!(rec[col].parse::<f64>().unwrap() > 0.0, "{rec:?}");
        }
    }
}

#[test]
fn a_sample_is_seeded_and_sorted() {
    let text = SWEEP.replace("reps = 2", "reps = 1\nsample = 4\nsample_seed = 9");
    let sw = Sweep::from_toml(&text, None, None).unwrap();
    let a = sw.indices();
    assert_eq!(a.len(), 4);
    assert!(a.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(a, Sweep::from_toml(&text, None, None).unwrap().indices());
}

#[test]
fn bad_sweeps_name_the_key() {
    for (text, needle) in [
        (SWEEP.replace("reps = 2", "reps = 0"), "sweep.reps"),
        (
            SWEEP.replace("\"server.workers\" = [1, 2]", "\"server.workers\" = []"),
            "server.workers",
        ),
        (
            SWEEP.replace("\"server.workers\" = [1, 2]", "\"server.workerz\" = [1]"),
            "workerz",
        ),
        (
            SWEEP.replace("\"server.workers\" = [1, 2]", "\"clients[5].n\" = [1]"),
            "clients[5]",
        ),
        (
            SWEEP.replace("\"server.workers\" = [1, 2]", "\"machine.cores\" = [0]"),
            "machine.cores",
        ),
        (
            SWEEP.replace("[sweep]", "[sweep]\nbogus = 1"),
            "sweep.bogus",
        ),
        // Wrong types, missing tables, empty or NaN values, negative reps, a missing base.
        (SWEEP.replace("reps = 2", "reps = \"2\""), "sweep.reps"),
        (SWEEP.replace("reps = 2", "reps = -3"), "sweep.reps"),
        (SWEEP.replace("reps = 2", "reps = nan"), "sweep.reps"),
        (SWEEP.replace("reps = 2", "sample = 1.5"), "sweep.sample"),
        (
            SWEEP.replace("reps = 2", "sample_seed = -1"),
            "sweep.sample_seed",
        ),
        (
            SWEEP.replace("reps = 2", "base = 3"),
            "sweep.base: must be a file path",
        ),
        (SWEEP.split("[sweep]").next().unwrap().to_string(), "sweep:"),
        (
            SWEEP.split("[sweep.grid]").next().unwrap().to_string(),
            "sweep.grid: missing",
        ),
        (
            SWEEP.replace("[sweep.grid]", "[sweep.grid.server]"),
            "sweep.grid.\"server\": must be a list of values; quote dotted keys",
        ),
        (
            SWEEP.replace("[1, 2]", "[1, nan]"),
            "sweep.grid.\"server.workers\"[1]: NaN",
        ),
        (
            SWEEP.replace("\"server.workers\"", "\"server..workers\""),
            "sweep.grid.\"server..workers\"",
        ),
        (
            SWEEP.replace("[1, 2]", "[1, 2"),
            "not valid TOML at line 22, column 25: unclosed array",
        ),
    ] {
        let e = Sweep::from_toml(&text, None, None).expect_err(needle);
        let key = e.key();
        let e = e.to_string();
        assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        assert!(
            key.is_some() || e.starts_with("not valid TOML at line"),
            "{e:?} names no key"
        );
    }
    // A base file that does not exist.
    let text = SWEEP
        .split("[sweep]")
        .nth(1)
        .map(|rest| format!("[sweep]\nbase = \"no-such-file.toml\"{rest}"))
        .unwrap();
    let e = Sweep::from_toml(&text, Some(Path::new("/nonexistent")), None).unwrap_err();
    assert_eq!(e.key().as_deref(), Some("sweep.base"));
    assert!(e.to_string().contains("no-such-file.toml"), "{e}");
    // A grid too large to count is an error, not an overflow.
    let huge: String = (0..21)
        .map(|k| format!("\"x{k}\" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"))
        .collect();
    let text = SWEEP.replace("\"server.workers\" = [1, 2]", &huge);
    let e = Sweep::from_toml(&text, None, None).unwrap_err();
    assert!(
        matches!(e, SweepError::Sweep { ref key, .. } if key == "grid"),
        "{e}"
    );
}

/// Whether two results are the same to the bit (floats compared by their bits).
fn same(a: &PointResult, b: &PointResult) -> bool {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    a.point.index == b.point.index
        && a.names == b.names
        && bits(&a.mean) == bits(&b.mean)
        && bits(&a.ci95) == bits(&b.ci95)
        && a.trace_hashes == b.trace_hashes
        && a.seeds == b.seeds
}

#[test]
fn a_checkpoint_gives_back_its_points_bit_for_bit() {
    let sw = sweep();
    let cal = Calibration::default_embedded();
    let points = sw.points(None).unwrap();
    let results = run(&sw, &cal, None, &|| {}).unwrap();
    let header = CheckpointHeader::new(&sw, &cal, None);
    assert_eq!(header.points, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = Checkpoint::path_for(&dir.path().join("out.csv"));
    assert_eq!(path, dir.path().join("out.csv.checkpoint"));
    let open = |resume| Checkpoint::open(&path, &header, &points, sw.reps, resume);

    let new = open(false).unwrap();
    assert!(!new.resumed && new.done.is_empty());
    // Points finish in any order.
    for i in [4, 1, 3] {
        new.checkpoint.record(&results[i]).unwrap();
    }
    drop(new);
    let e = open(false).unwrap_err().to_string();
    assert!(e.contains("--resume") && e.contains("delete"), "{e}");

    // A last line cut short (the process died while writing it) is dropped.
    let text = std::fs::read(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 7]).unwrap();
    let back = open(true).unwrap();
    assert!(back.resumed && back.dropped_partial_line);
    let idx: Vec<usize> = back.done.iter().map(|r| r.point.index).collect();
    assert_eq!(idx, vec![1, 4]);
    for r in &back.done {
        assert!(same(r, &results[r.point.index]), "{r:?}");
    }
    // ... and cut from the file, so the next point appends cleanly.
    for i in [3, 0, 2, 5] {
        back.checkpoint.record(&results[i]).unwrap();
    }
    drop(back);
    let back = open(true).unwrap();
    assert!(!back.dropped_partial_line);
    assert_eq!(back.done.len(), 6);
    assert!(back.done.iter().zip(&results).all(|(a, b)| same(a, b)));
    assert_eq!(to_csv(&sw, &back.done), to_csv(&sw, &results));
    back.checkpoint.remove().unwrap();
    assert!(!path.exists());
}

#[test]
fn a_checkpoint_of_another_sweep_calibration_or_shard_is_refused() {
    let sw = sweep();
    let cal = Calibration::default_embedded();
    let points = sw.points(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv.checkpoint");
    let header = CheckpointHeader::new(&sw, &cal, None);
    drop(Checkpoint::open(&path, &header, &points, sw.reps, false).unwrap());

    let other_sweep =
        Sweep::from_toml(&SWEEP.replace("seed = 3", "seed = 4"), None, Some("t")).unwrap();
    let other_cal = Calibration::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("calibration/live-cpython.toml"),
    )
    .unwrap();
    let shard = Shard { index: 0, count: 2 };
    for (h, needle) in [
        (
            CheckpointHeader::new(&other_sweep, &cal, None),
            "the sweep differs",
        ),
        (
            CheckpointHeader::new(&sw, &other_cal, None),
            "the calibration differs",
        ),
        (
            CheckpointHeader::new(&sw, &cal, Some(shard)),
            "written for the whole sweep (no --shard), this run is shard 0/2",
        ),
    ] {
        let e = Checkpoint::open(&path, &h, &points, sw.reps, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle) && e.contains("delete"), "{e}");
    }
    // The same sweep, calibration and shard make the same header.
    assert_eq!(header, CheckpointHeader::new(&sweep(), &cal, None));
}
