//! Shards: the part of a sweep one machine runs, the points whose index is I modulo N.

use super::Sweep;
use std::fmt;

/// Which part of a sweep to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard's number, 0-based.
    pub index: usize,
    /// How many shards in all.
    pub count: usize,
}

impl Shard {
    /// Whether the point with grid index `point` belongs to this shard.
    pub fn contains(&self, point: usize) -> bool {
        point % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// Parses `I/N` with 0 <= I < N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or("a shard is I/N, e.g. 0/4")?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("bad shard number {i:?}"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("bad shard count {n:?}"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    /// `I/N`, as `--shard` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Sweep {
    /// The indices of the points to run in `shard` (all of them without a shard), in order.
    pub fn shard_indices(&self, shard: Option<Shard>) -> Vec<usize> {
        self.indices()
            .into_iter()
            .filter(|&i| shard.is_none_or(|s| s.contains(i)))
            .collect()
    }
}
