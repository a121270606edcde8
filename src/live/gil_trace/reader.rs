//! Reading one process's trace file, `gil-PID.bin`: a 64-byte header (magic `EXGILTR1`,
//! record size u32, pid u32, capacity u64, records claimed u64, `gil->cond` address u64,
//! CLOCK_MONOTONIC ns at open u64, 16 reserved bytes), then the records
//! ([`super::record`]). Only the claimed records are read (the file is sparse and mostly
//! unwritten). Records come out sorted by time (the file keeps them in claim order, which
//! differs by a few ns across threads).

use super::record::{Record, Undecodable, RECORD_SIZE};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes of the header.
pub const HEADER_SIZE: usize = 64;

/// The header's magic bytes.
pub const MAGIC: &[u8; 8] = b"EXGILTR1";

/// One process's trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceFile {
    /// The process id.
    pub pid: u32,
    /// CLOCK_MONOTONIC ns when the file was opened (the GIL was first seen contended).
    pub start_ns: u64,
    /// Address of the GIL's `cond` in the process (for diagnostics).
    pub gil_cond: u64,
    /// Records the file has room for.
    pub capacity: u64,
    /// Records the process tried to write (beyond `capacity`, they were dropped).
    pub claimed: u64,
    /// Claimed slots left unwritten (the process was killed while writing them).
    pub incomplete: u64,
    /// Records of an unknown kind (a shim of another version), skipped.
    pub unknown: u64,
    /// The records, sorted by time.
    pub records: Vec<Record>,
}

impl TraceFile {
    /// Records lost because the file was full.
    pub fn dropped(&self) -> u64 {
        self.claimed.saturating_sub(self.capacity)
    }
}

/// Why a trace file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a GIL trace of this version.
    #[error("{}: not a GIL trace file ({reason})", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Reads a trace file.
pub fn read_trace(path: &Path) -> Result<TraceFile, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let format = |reason: String| ReadError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut header = [0u8; HEADER_SIZE];
    f.read_exact(&mut header)
        .map_err(|_| format(format!("{len} bytes, shorter than its header")))?;
    let (capacity, claimed) = parse_header(&header).map_err(format)?;
    let stored = claimed.min(capacity);
    let need = HEADER_SIZE as u64 + stored * RECORD_SIZE as u64;
    if len < need {
        return Err(format(format!(
            "{len} bytes, but its header counts {stored} records ({need} bytes)"
        )));
    }
    let mut body = vec![0u8; (stored as usize) * RECORD_SIZE];
    f.read_exact(&mut body).map_err(io)?;
    Ok(parse_records(&header, &body))
}

/// Checks a header; returns its capacity and claimed count.
fn parse_header(h: &[u8; HEADER_SIZE]) -> Result<(u64, u64), String> {
    if &h[0..8] != MAGIC {
        return Err(format!(
            "magic {:?}, expected {:?}",
            String::from_utf8_lossy(&h[0..8]),
            String::from_utf8_lossy(MAGIC)
        ));
    }
    let record_size = u32_at(h, 8);
    if record_size as usize != RECORD_SIZE {
        return Err(format!(
            "records of {record_size} bytes, expected {RECORD_SIZE}"
        ));
    }
    Ok((u64_at(h, 16), u64_at(h, 24)))
}

/// Decodes the records that follow a (checked) header.
fn parse_records(h: &[u8; HEADER_SIZE], body: &[u8]) -> TraceFile {
    let mut file = TraceFile {
        pid: u32_at(h, 12),
        start_ns: u64_at(h, 40),
        gil_cond: u64_at(h, 32),
        capacity: u64_at(h, 16),
        claimed: u64_at(h, 24),
        incomplete: 0,
        unknown: 0,
        records: Vec::with_capacity(body.len() / RECORD_SIZE),
    };
    for chunk in body.chunks_exact(RECORD_SIZE) {
        let bytes: &[u8; RECORD_SIZE] = chunk.try_into().expect("chunks of RECORD_SIZE");
        match Record::decode(bytes) {
            Ok(r) => file.records.push(r),
            Err(Undecodable::Incomplete) => file.incomplete += 1,
            Err(Undecodable::Unknown { .. }) => file.unknown += 1,
        }
    }
    // Stable: records of one thread keep their order when two have the same time.
    file.records.sort_by_key(|r| r.t_ns);
    file
}

/// The bytes of a trace file holding `records` (as the shim would write them, with
/// `claimed` slots claimed and room for `capacity`): for tests and synthetic traces.
pub fn encode_trace(pid: u32, capacity: u64, claimed: u64, records: &[Record]) -> Vec<u8> {
    let mut out = vec![0u8; HEADER_SIZE];
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&(RECORD_SIZE as u32).to_le_bytes());
    out[12..16].copy_from_slice(&pid.to_le_bytes());
    out[16..24].copy_from_slice(&capacity.to_le_bytes());
    out[24..32].copy_from_slice(&claimed.to_le_bytes());
    for r in records {
        out.extend_from_slice(&r.encode());
    }
    let slots = claimed.min(capacity) as usize;
    out.resize(HEADER_SIZE + slots.max(records.len()) * RECORD_SIZE, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::super::record::Event;
    use super::*;

    fn rec(t_ns: u64, tid: u32) -> Record {
        Record {
            t_ns,
            tid,
            event: Event::GilMutexLock,
        }
    }

    #[test]
    fn reads_the_claimed_records_sorted_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gil-77.bin");
        // 4 claimed of room for 3 (one dropped); one of the 3 slots never written.
        let mut bytes = encode_trace(77, 3, 4, &[rec(30, 1), rec(10, 2)]);
        bytes.resize(bytes.len() + 4096, 0); // the rest of the sparse file
        std::fs::write(&path, &bytes).unwrap();
        let f = read_trace(&path).unwrap();
        assert_eq!(f.pid, 77);
        assert_eq!(f.records, vec![rec(10, 2), rec(30, 1)]);
        assert_eq!((f.capacity, f.claimed, f.dropped()), (3, 4, 1));
        assert_eq!((f.incomplete, f.unknown), (1, 0));
    }

    #[test]
    fn a_file_of_another_kind_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gil-1.bin");
        std::fs::write(&path, b"not a trace").unwrap();
        let e = read_trace(&path).unwrap_err().to_string();
        assert!(
            e.contains("gil-1.bin") && e.contains("shorter than its header"),
            "{e}"
        );
        let mut bytes = encode_trace(1, 10, 5, &[]);
        std::fs::write(&path, &bytes[..HEADER_SIZE + 40]).unwrap();
        let e = read_trace(&path).unwrap_err().to_string();
        assert!(e.contains("counts 5 records"), "{e}");
        bytes[0] = b'X';
        std::fs::write(&path, &bytes).unwrap();
        let e = read_trace(&path).unwrap_err().to_string();
        assert!(e.contains("magic"), "{e}");
    }
}
