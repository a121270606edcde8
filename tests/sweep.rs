//! Sweeps: grid expansion, sampling, shards and merge, and results independent of the
//! number of threads.

use execsim::sim::calibration::Calibration;
use execsim::sim::sweep::{merge, run, to_csv, Shard, Sweep};

const SWEEP: &str = r#"
seed = 3
duration = "3s"
[server]
executor = "thread"
[[clients]]
name = "simple"
n = 1
[[clients]]
name = "long"
n = 100000
start = "1s"
[affinity]
loop = [0]
clients = [0]
workers = [1]
[sweep]
reps = 2
[sweep.grid]
"python.switch_interval" = ["5ms", "1ms", "200us"]
"server.workers" = [1, 2]
"#;

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
    ] {
        let e = Sweep::from_toml(&text, None, None)
            .expect_err(needle)
            .to_string();
        assert!(e.contains(needle), "{e:?} should mention {needle:?}");
    }
}
