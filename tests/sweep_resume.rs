//! Sweeps under faults: the `execsim` binary is killed (SIGKILL) at random points of a sweep,
//! resumed with `--resume`, and must write the CSV an uninterrupted run writes, byte for byte,
//! without running again any point its checkpoint holds. Also with `--shard` and `merge`, with
//! a checkpoint line cut short, and with checkpoints of another run (refused, saying why).
//!
//! The sweep: 36 points of a 2 s scenario, 2 replications each (about a second of CPU).

use execsim::kernel::RngStreams;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const POINTS: usize = 36;

/// The sweep: the shared small sweep, shorter and lighter, over 36 points.
fn sweep_text() -> String {
    include_str!("sweeps/light-and-long.toml")
        .replace("duration = \"3s\"", "duration = \"2s\"")
        .replace("n = 100000", "n = 30000")
        .replace(
            "\"server.workers\" = [1, 2]",
            "\"server.workers\" = [1, 2, 3]\n\"seed\" = [1, 2, 3, 4]",
        )
}

/// A directory holding the sweep file `sweep.toml`, removed at the end of the test.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("sweep.toml"), sweep_text()).unwrap();
    dir
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_execsim"));
    c.args(args).current_dir(dir);
    c
}

/// Runs `execsim args` in `dir` to its end.
fn execsim(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run execsim")
}

/// Runs `execsim args` in `dir`; panics unless it succeeds; returns its standard error.
fn succeed(dir: &Path, args: &[&str]) -> String {
    let out = execsim(dir, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "execsim {args:?} failed: {err}");
    err
}

/// The CSV of an uninterrupted run (of the shard, if given).
fn uninterrupted(shard: Option<&str>) -> Vec<u8> {
    let dir = workdir();
    let mut args = vec!["sweep", "sweep.toml", "--out", "all.csv", "--threads", "2"];
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    succeed(dir.path(), &args);
    std::fs::read(dir.path().join("all.csv")).unwrap()
}

/// The whole sweep's CSV, computed once for all tests.
fn reference() -> &'static [u8] {
    static CSV: OnceLock<Vec<u8>> = OnceLock::new();
    CSV.get_or_init(|| uninterrupted(None))
}

/// How many finished points a checkpoint holds: its complete lines less the header.
fn finished_points(checkpoint: &Path) -> usize {
    let bytes = std::fs::read(checkpoint).unwrap_or_default();
    bytes
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        .saturating_sub(1)
}

/// When to kill a run.
#[derive(Clone, Copy, Debug)]
enum Kill {
    /// Once the checkpoint holds this many points.
    AfterPoints(usize),
    /// After this long.
    After(Duration),
}

/// Starts `execsim args` in `dir` and kills it with SIGKILL at `when` (`checkpoint` is the
/// file to watch). Returns whether it was killed (false: it finished first).
fn run_and_kill(dir: &Path, args: &[&str], checkpoint: &Path, when: Kill) -> bool {
    let mut child: Child = command(dir, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start execsim");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "execsim {args:?} failed before the kill");
            return false;
        }
        let due = match when {
            Kill::AfterPoints(k) => finished_points(checkpoint) >= k,
            Kill::After(d) => start.elapsed() >= d,
        };
        if due {
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Resumes the sweep of `args` (adding `--resume`) after a kill that left `done` points in
/// the checkpoint: checks that it reports them done and runs only the rest.
fn resume(dir: &Path, args: &[&str], done: usize, total: usize) {
    let mut a = args.to_vec();
    a.push("--resume");
    let err = succeed(dir, &a);
    if done > 0 {
        assert!(
            err.contains(&format!("{done} of {total} points already done")),
            "{err}"
        );
        let ran = total - done;
        if ran > 0 {
            assert!(
                err.contains(&format!("({ran} run now, {done} from the checkpoint)")),
                "{err}"
            );
        }
    }
}

#[test]
fn killed_sweeps_resume_to_the_uninterrupted_csv() {
    let args = ["sweep", "sweep.toml", "--out", "out.csv", "--threads", "2"];
    let mut killed_mid_way = 0;
    for seed in 1..=6u64 {
        let dir = workdir();
        let checkpoint = dir.path().join("out.csv.checkpoint");
        let mut rng = RngStreams::new(seed).stream("kill");
        // Kill once or twice (the second time, the resumed run), then resume to the end.
        for round in 0..1 + seed % 2 {
            let when = if (seed + round) % 2 == 0 {
                Kill::AfterPoints(rng.below(POINTS as u64 * 2 / 3) as usize)
            } else {
                Kill::After(Duration::from_millis(rng.below(800)))
            };
            let mut a = args.to_vec();
            if checkpoint.exists() {
                a.push("--resume");
            }
            if run_and_kill(dir.path(), &a, &checkpoint, when) {
                let done = finished_points(&checkpoint);
                if done < POINTS {
                    killed_mid_way += usize::from(done > 0);
                    assert!(
                        !dir.path().join("out.csv").exists(),
                        "seed {seed}: a CSV before the end ({when:?})"
                    );
                }
            }
        }
        let done = finished_points(&checkpoint);
        resume(dir.path(), &args, done, POINTS);
        let got = std::fs::read(dir.path().join("out.csv")).unwrap();
        assert!(got == reference(), "seed {seed}: the CSV differs");
        assert!(!checkpoint.exists(), "seed {seed}: the checkpoint is left");
    }
    assert!(killed_mid_way >= 3, "only {killed_mid_way} kills mid-way");
}

#[test]
fn a_checkpoint_line_cut_short_is_run_again() {
    let dir = workdir();
    let args = ["sweep", "sweep.toml", "--out", "out.csv", "--threads", "2"];
    let checkpoint = dir.path().join("out.csv.checkpoint");
    assert!(run_and_kill(
        dir.path(),
        &args,
        &checkpoint,
        Kill::AfterPoints(4)
    ));
    let done = finished_points(&checkpoint);
    // Cut the last line in its middle, as a kill during its write would.
    let text = std::fs::read(&checkpoint).unwrap();
    std::fs::write(&checkpoint, &text[..text.len() - 20]).unwrap();
    let mut a = args.to_vec();
    a.push("--resume");
    let err = succeed(dir.path(), &a);
    assert!(
        err.contains(&format!("{} of {POINTS} points already done", done - 1)),
        "{err}"
    );
    assert!(err.contains("cut short"), "{err}");
    assert!(std::fs::read(dir.path().join("out.csv")).unwrap() == reference());
}

#[test]
fn a_killed_shard_resumes_and_merges_into_the_whole_sweep() {
    let dir = workdir();
    let shard0 = [
        "sweep",
        "sweep.toml",
        "--out",
        "s0.csv",
        "--threads",
        "2",
        "--shard",
        "0/2",
    ];
    let checkpoint = dir.path().join("s0.csv.checkpoint");
    assert!(run_and_kill(
        dir.path(),
        &shard0,
        &checkpoint,
        Kill::AfterPoints(5)
    ));
    // The checkpoint is the shard's: another shard may not resume it.
    let mut other = shard0.to_vec();
    other[7] = "1/2";
    other.push("--resume");
    let err = String::from_utf8_lossy(&execsim(dir.path(), &other).stderr).into_owned();
    assert!(
        err.contains("written for shard 0/2, this run is shard 1/2"),
        "{err}"
    );
    resume(
        dir.path(),
        &shard0,
        finished_points(&checkpoint),
        POINTS / 2,
    );
    let s0 = std::fs::read(dir.path().join("s0.csv")).unwrap();
    assert!(s0 == uninterrupted(Some("0/2")), "shard 0/2 differs");
    succeed(
        dir.path(),
        &["sweep", "sweep.toml", "--out", "s1.csv", "--shard", "1/2"],
    );
    succeed(
        dir.path(),
        &["merge", "s1.csv", "s0.csv", "--out", "all.csv"],
    );
    assert!(std::fs::read(dir.path().join("all.csv")).unwrap() == reference());
}

/// A checkpoint left by a killed run of `sweep.toml` into `out.csv`.
fn killed_run(dir: &Path) -> PathBuf {
    let checkpoint = dir.join("out.csv.checkpoint");
    let args = ["sweep", "sweep.toml", "--out", "out.csv", "--threads", "1"];
    assert!(run_and_kill(dir, &args, &checkpoint, Kill::AfterPoints(2)));
    checkpoint
}

#[test]
fn a_checkpoint_is_never_overwritten_nor_resumed_by_another_run() {
    let dir = workdir();
    let checkpoint = killed_run(dir.path());
    let before = std::fs::read(&checkpoint).unwrap();
    let refused = |extra: &[&str], needles: &[&str]| {
        let mut args = vec!["sweep", "sweep.toml", "--out", "out.csv"];
        args.extend(extra);
        let out = execsim(dir.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} ran");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {err:?} should say {n:?}");
        }
        assert_eq!(std::fs::read(&checkpoint).unwrap(), before, "{args:?}");
    };
    // Without --resume: an error naming --resume and the file to delete.
    refused(&[], &["--resume", "delete", "out.csv.checkpoint"]);
    // Another calibration, shard or sweep file content: refused, saying which differs.
    let cal = Path::new(env!("CARGO_MANIFEST_DIR")).join("calibration/live-cpython.toml");
    let cal = cal.to_string_lossy();
    refused(
        &["--resume", "--calibration", &cal],
        &["the calibration differs", "delete"],
    );
    refused(
        &["--resume", "--shard", "0/1"],
        &["the whole sweep (no --shard), this run is shard 0/1"],
    );
    std::fs::write(
        dir.path().join("sweep.toml"),
        sweep_text().replace("reps = 2", "reps = 3"),
    )
    .unwrap();
    refused(&["--resume"], &["the sweep differs", "delete"]);
    // --resume without a checkpoint runs the whole sweep.
    std::fs::write(dir.path().join("sweep.toml"), sweep_text()).unwrap();
    std::fs::remove_file(&checkpoint).unwrap();
    let err = succeed(
        dir.path(),
        &["sweep", "sweep.toml", "--out", "out.csv", "--resume"],
    );
    assert!(err.contains("running all 36 points"), "{err}");
    assert!(std::fs::read(dir.path().join("out.csv")).unwrap() == reference());
}
