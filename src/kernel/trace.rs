//! The trace hash: a cheap, order-sensitive fingerprint of every event a run processes.
//!
//! Each popped event contributes its time, its sequence number and a model-supplied 64-bit
//! key ([`TraceKey`]). The mix is a fixed arithmetic function (no `std` hasher, whose output
//! may change between Rust releases), so the value is stable across platforms and versions
//! and is snapshot-tested.

/// Something that can be folded into the trace hash: a model's event type.
///
/// The key should identify the event's kind and its subject (for example, which thread), so
/// that two runs processing different events at the same times give different hashes.
pub trait TraceKey {
    /// A 64-bit summary of the event.
    fn trace_key(&self) -> u64;
}

impl TraceKey for u32 {
    fn trace_key(&self) -> u64 {
        *self as u64
    }
}
impl TraceKey for u64 {
    fn trace_key(&self) -> u64 {
        *self
    }
}
impl TraceKey for &str {
    fn trace_key(&self) -> u64 {
        super::rng::fnv1a64(self.as_bytes())
    }
}

/// The running hash of a run's event trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(mut z: u64) -> u64 {
    // The finaliser of splitmix64: a bijection with full avalanche.
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Default for TraceHash {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceHash {
    /// The hash of an empty trace.
    pub const fn new() -> Self {
        TraceHash(0x243F_6A88_85A3_08D3)
    }

    /// Folds one event in.
    #[inline]
    pub fn record(&mut self, time: u64, seq: u64, key: u64) {
        let x = time ^ seq.rotate_left(32) ^ key.wrapping_mul(K);
        self.0 = mix(self.0.rotate_left(23) ^ x);
    }

    /// The current value.
    pub fn value(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        let mut h = TraceHash::new();
        for i in 0..1000u64 {
            h.record(i * 7, i, i % 13);
        }
        assert_eq!(
            h.value(),
            SNAPSHOT,
            "trace hash function changed: {:#x}",
            h.value()
        );
    }
    const SNAPSHOT: u64 = 0xa6dc_3514_f727_5464;
}
