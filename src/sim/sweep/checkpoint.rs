//! The checkpoint of a sweep: a file that grows by one line per finished point, so that a
//! sweep stopped at 99% (killed, out of time on a batch system, a crash) loses at most the
//! points that were running.
//!
//! The file is JSON lines. The first line is a [`CheckpointHeader`] that identifies the sweep;
//! each further line is one finished point, appended and flushed as it finishes, in whatever
//! order the threads finish them, with everything its CSV row needs: the point number, the
//! seeds, the metric names, their means and confidence half-widths (as Rust's shortest
//! round-trip decimal text, so they read back bit for bit) and the trace hashes. The point's
//! parameters are not stored: they follow from its number and the sweep.
//!
//! A line is complete when it ends with a newline; a last line without one was being written
//! when the process died, and is dropped on resume (that point runs again). Lines are not
//! synced to disk one by one: a killed process loses nothing the kernel has, and a machine
//! crash at worst loses the last points, which then run again.

use super::run::PointResult;
use super::{Point, Shard, Sweep};
use crate::kernel::fnv1a64;
use crate::sim::calibration::Calibration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The `format` of the header line of this version's checkpoints.
const FORMAT: &str = "execsim sweep checkpoint 1";

/// What a checkpoint belongs to: its first line. A checkpoint is resumed only by the same
/// sweep: same resolved sweep, same calibration, same shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointHeader {
    /// Names the file's format and its version.
    pub format: String,
    /// Hash of the resolved sweep: the base scenario (with a `base` file read in), the grid,
    /// `reps`, `sample` and `sample_seed` (16 hex digits of 64-bit FNV-1a over their JSON).
    pub sweep: String,
    /// Hash of the calibration (16 hex digits of 64-bit FNV-1a over its JSON).
    pub calibration: String,
    /// The shard, as `I/N`; None for the whole sweep.
    pub shard: Option<String>,
    /// How many points the run has (those of its shard).
    pub points: usize,
}

impl CheckpointHeader {
    /// The header of a run of `sweep`'s `shard` under `cal`.
    pub fn new(sweep: &Sweep, cal: &Calibration, shard: Option<Shard>) -> CheckpointHeader {
        let resolved = (
            &sweep.base,
            &sweep.grid,
            sweep.reps,
            sweep.sample,
            sweep.sample_seed,
        );
        CheckpointHeader {
            format: FORMAT.into(),
            sweep: json_hash(&resolved),
            calibration: json_hash(cal),
            shard: shard.map(|s| s.to_string()),
            points: sweep.shard_indices(shard).len(),
        }
    }

    /// What differs between this header (a checkpoint's) and `now` (this run's), in words.
    fn difference(&self, now: &CheckpointHeader) -> Option<String> {
        let shard = |s: &Option<String>| match s {
            Some(s) => format!("shard {s}"),
            None => "the whole sweep (no --shard)".to_string(),
        };
        if self.format != now.format {
            Some(format!(
                "it is a {:?} file, not an {FORMAT:?} file",
                self.format
            ))
        } else if self.sweep != now.sweep {
            Some(format!(
                "the sweep differs (its resolved content, with the base scenario, hashes to {} \
                 in the checkpoint and to {} now)",
                self.sweep, now.sweep
            ))
        } else if self.calibration != now.calibration {
            Some(format!(
                "the calibration differs (hash {} in the checkpoint, {} now)",
                self.calibration, now.calibration
            ))
        } else if self.shard != now.shard {
            Some(format!(
                "it was written for {}, this run is {}",
                shard(&self.shard),
                shard(&now.shard)
            ))
        } else if self.points != now.points {
            Some(format!(
                "it was written for {} points, this run has {}",
                self.points, now.points
            ))
        } else {
            None
        }
    }
}

/// 16 hex digits of the 64-bit FNV-1a hash of `v`'s JSON: identifies a value, no more (the
/// kernel's stable hash; a checkpoint needs no cryptographic one).
fn json_hash<T: Serialize + ?Sized>(v: &T) -> String {
    let json = serde_json::to_vec(v).expect("TOML values and calibrations serialise as JSON");
    format!("{:016x}", fnv1a64(&json))
}

/// One finished point, as a checkpoint line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    point: usize,
    seeds: Vec<u64>,
    names: Vec<String>,
    #[serde(with = "exact_f64")]
    mean: Vec<f64>,
    #[serde(with = "exact_f64")]
    ci95: Vec<f64>,
    trace_hashes: Vec<String>,
}

/// Floats as the decimal text Rust prints for them (`{:?}`, the shortest text that reads
/// back to the same bits), because JSON numbers do not promise an exact round trip.
mod exact_f64 {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes each float as a string.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| format!("{x:?}")))
    }

    /// Reads the strings back as floats.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|x| x.parse().map_err(D::Error::custom))
            .collect()
    }
}

impl Record {
    /// The line of a finished point.
    fn of(r: &PointResult) -> Record {
        Record {
            point: r.point.index,
            seeds: r.seeds.clone(),
            names: r.names.clone(),
            mean: r.mean.clone(),
            ci95: r.ci95.clone(),
            trace_hashes: r.trace_hashes.clone(),
        }
    }

    /// The finished point back, given the point itself and the sweep's `reps`; an error if
    /// the record does not fit them.
    fn into_result(self, point: &Point, reps: u32) -> Result<PointResult, String> {
        let reps = reps as usize;
        let ci_len = if reps > 1 { self.names.len() } else { 0 };
        if self.seeds.len() != reps || self.trace_hashes.len() != reps {
            return Err(format!("point {}: not {reps} replications", self.point));
        }
        if self.mean.len() != self.names.len() || self.ci95.len() != ci_len {
            return Err(format!("point {}: columns do not match names", self.point));
        }
        if self.seeds[0] != point.scenario.seed && reps == 1 {
            return Err(format!("point {}: not the point's seed", self.point));
        }
        Ok(PointResult {
            point: point.clone(),
            names: self.names,
            mean: self.mean,
            ci95: self.ci95,
            trace_hashes: self.trace_hashes,
            seeds: self.seeds,
        })
    }
}

/// Errors of checkpoint files. Each says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The checkpoint file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A checkpoint exists and the run was not asked to resume it.
    #[error(
        "{} exists: a sweep writing the same CSV was stopped before it finished. Pass \
         --resume to continue it, or delete {} to start over",
        path.display(),
        path.display()
    )]
    Exists {
        /// The checkpoint file.
        path: PathBuf,
    },
    /// The checkpoint was written by another sweep, calibration or shard.
    #[error(
        "{} was written by another run: {what}. To start this one over, delete {} (or resume \
         the run it was written for)",
        path.display(),
        path.display()
    )]
    Mismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// What differs.
        what: String,
    },
    /// A complete line of the checkpoint cannot be read.
    #[error("{}, line {line}: {message}; delete the file to start over", path.display())]
    Corrupt {
        /// The checkpoint file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// A checkpoint file, open for appending finished points.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    file: Mutex<File>,
}

/// A checkpoint opened for a run, with the points it already holds.
#[derive(Debug)]
pub struct Resumed {
    /// The checkpoint, open for appending the points still to run.
    pub checkpoint: Checkpoint,
    /// The finished points it holds, in point order (empty for a new checkpoint).
    pub done: Vec<PointResult>,
    /// Whether a checkpoint existed and was resumed.
    pub resumed: bool,
    /// Whether its last line was cut short (the process died while writing it) and dropped.
    pub dropped_partial_line: bool,
}

impl Checkpoint {
    /// The checkpoint file of a sweep whose CSV goes to `out`: `OUT.checkpoint`, beside it.
    pub fn path_for(out: &Path) -> PathBuf {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(".checkpoint");
        out.with_file_name(name)
    }

    /// Opens the checkpoint at `path` for a run of `points` (those of the run, with `reps`
    /// replications) identified by `header`. Without one, creates it. With one, fails unless
    /// `resume`; then checks that it belongs to the same sweep and returns the finished
    /// points it holds (a last line cut short is dropped, and cut from the file).
    pub fn open(
        path: &Path,
        header: &CheckpointHeader,
        points: &[Point],
        reps: u32,
        resume: bool,
    ) -> Result<Resumed, CheckpointError> {
        let io = |source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = match std::fs::read(path) {
            Ok(_) if !resume => {
                return Err(CheckpointError::Exists {
                    path: path.to_path_buf(),
                })
            }
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Resumed {
                    checkpoint: Checkpoint::create(path, header)?,
                    done: Vec::new(),
                    resumed: false,
                    dropped_partial_line: false,
                })
            }
            Err(e) => return Err(io(e)),
        };
        // Only complete lines count: a last line without its newline was cut short.
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let dropped_partial_line = complete < text.len();
        if complete == 0 {
            // Not even the header was written: nothing was done.
            return Ok(Resumed {
                checkpoint: Checkpoint::create_over(path, header)?,
                done: Vec::new(),
                resumed: true,
                dropped_partial_line,
            });
        }
        let done = read_lines(path, &text[..complete], header, points, reps)?;
        let file = OpenOptions::new().write(true).open(path).map_err(io)?;
        file.set_len(complete as u64).map_err(io)?;
        drop(file);
        let file = OpenOptions::new().append(true).open(path).map_err(io)?;
        Ok(Resumed {
            checkpoint: Checkpoint {
                path: path.to_path_buf(),
                file: Mutex::new(file),
            },
            done,
            resumed: true,
            dropped_partial_line,
        })
    }

    /// A new checkpoint at `path` holding only `header`; fails if the file exists.
    fn create(path: &Path, header: &CheckpointHeader) -> Result<Checkpoint, CheckpointError> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => CheckpointError::Exists {
                    path: path.to_path_buf(),
                },
                _ => CheckpointError::Io {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let c = Checkpoint {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        c.append(&serde_json::to_string(header).expect("a header serialises"))?;
        Ok(c)
    }

    /// Replaces the file at `path` (which holds no complete line) by a new checkpoint.
    fn create_over(path: &Path, header: &CheckpointHeader) -> Result<Checkpoint, CheckpointError> {
        std::fs::remove_file(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Checkpoint::create(path, header)
    }

    /// Appends a finished point.
    pub fn record(&self, r: &PointResult) -> Result<(), CheckpointError> {
        self.append(&serde_json::to_string(&Record::of(r)).expect("a record serialises"))
    }

    /// Appends `line` and its newline in one write, so that concurrent points never mix.
    fn append(&self, line: &str) -> Result<(), CheckpointError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        // A poisoned lock means another point's write panicked; the file is still sound.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&bytes)
            .and_then(|()| file.flush())
            .map_err(|source| CheckpointError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the file (once the CSV it was for is in place).
    pub fn remove(self) -> Result<(), CheckpointError> {
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|source| CheckpointError::Io {
            path: self.path,
            source,
        })
    }
}

/// Reads the complete lines of a checkpoint: checks the header against `header`, and returns
/// the finished points, in point order.
fn read_lines(
    path: &Path,
    text: &[u8],
    header: &CheckpointHeader,
    points: &[Point],
    reps: u32,
) -> Result<Vec<PointResult>, CheckpointError> {
    let corrupt = |line: usize, message: String| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let theirs: CheckpointHeader = serde_json::from_slice(first)
        .map_err(|e| corrupt(1, format!("not a sweep checkpoint header ({e})")))?;
    if let Some(what) = theirs.difference(header) {
        return Err(CheckpointError::Mismatch {
            path: path.to_path_buf(),
            what,
        });
    }
    let by_index: BTreeMap<usize, &Point> = points.iter().map(|p| (p.index, p)).collect();
    let mut done: BTreeMap<usize, PointResult> = BTreeMap::new();
    for (k, line) in lines.enumerate() {
        let n = k + 2;
        let rec: Record =
            serde_json::from_slice(line).map_err(|e| corrupt(n, format!("not a point ({e})")))?;
        let index = rec.point;
        let point = by_index
            .get(&index)
            .ok_or_else(|| corrupt(n, format!("point {index} is not a point of this run")))?;
        let result = rec.into_result(point, reps).map_err(|m| corrupt(n, m))?;
        if done.insert(index, result).is_some() {
            return Err(corrupt(n, format!("point {index} appears twice")));
        }
    }
    Ok(done.into_values().collect())
}
