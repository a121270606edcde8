//! Named random streams derived from one master seed.
//!
//! Every source of randomness in a model draws from its own stream, named by a stable string
//! (`"client/simple/think"`, `"placement"`). A stream's seed is a fixed function of the master
//! seed and the name only, so adding, removing or reordering streams never changes another
//! stream's draws. The generator is pinned to ChaCha8 (`rand_chacha::ChaCha8Rng`, whose
//! output is value-stable across versions) and its first outputs are snapshot-tested, as are
//! the derived seeds; the few distributions the models need are implemented here by inverse
//! transform so their values are pinned too.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 64-bit FNV-1a over bytes: a stable, dependency-free string hash for stream names.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 32-byte ChaCha seed of stream `name` under `master`.
pub fn stream_seed(master: u64, name: &str) -> [u8; 32] {
    let mut state = master ^ fnv1a64(name.as_bytes()).rotate_left(17);
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    seed
}

/// Hands out independent, reproducible random streams by name.
///
/// ```
/// use execsim::kernel::RngStreams;
/// let streams = RngStreams::new(7);
/// let mut a1 = streams.stream("arrivals");
/// let mut a2 = RngStreams::new(7).stream("arrivals");
/// assert_eq!(a1.next_u64(), a2.next_u64());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    master: u64,
}

impl RngStreams {
    /// Streams under master seed `master`.
    pub fn new(master: u64) -> Self {
        RngStreams { master }
    }

    /// The master seed.
    pub fn master(&self) -> u64 {
        self.master
    }

    /// The stream called `name`: the same name always gives the same sequence.
    pub fn stream(&self, name: &str) -> SimRng {
        SimRng(ChaCha8Rng::from_seed(stream_seed(self.master, name)))
    }

    /// A derived master seed for replication `rep` (replications of one scenario).
    pub fn replication_seed(master: u64, rep: u64) -> u64 {
        let mut s = master ^ rep.wrapping_mul(0xD1B5_4A32_D192_ED03);
        splitmix64(&mut s)
    }
}

/// One named random stream: a pinned ChaCha8 generator with the draws models need.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// The next raw 64-bit output.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform float in [0, 1) with 53 bits of precision.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform float in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias (Lemire's method).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let lo = m as u64;
            if lo >= n || lo >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// An exponential draw with the given mean, in nanoseconds (inverse transform).
    #[inline]
    pub fn exp_nanos(&mut self, mean_ns: f64) -> u64 {
        (-self.uniform_open0().ln() * mean_ns).round() as u64
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// One draw from a `rand_distr` distribution (log-normal, exponential, ...), from this
    /// stream. The algorithms are `rand_distr`'s, pinned by `Cargo.lock` and by the draws'
    /// snapshot test in `crate::workload::distribution`.
    #[inline]
    pub fn sample<T, D: rand_distr::Distribution<T>>(&mut self, d: &D) -> T {
        d.sample(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ChaCha8 pinned: if this changes, every recorded seed replays differently.
    #[test]
    fn chacha8_snapshot() {
        let mut r = ChaCha8Rng::from_seed([0u8; 32]);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, CHACHA8_ZERO_SEED, "{got:#x?}");
    }
    /// The published ChaCha8 zero-key vector: keystream bytes 3e 00 ef 2f 89 5f 40 d6 ...
    const CHACHA8_ZERO_SEED: [u64; 3] = [
        0xd640_5f89_2fef_003e,
        0xa1a5_091f_e8b8_5b7f,
        0x3b7f_9ace_c30e_842c,
    ];

    #[test]
    fn stream_snapshot() {
        let mut s = RngStreams::new(7).stream("client/simple");
        let got: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        assert_eq!(got, STREAM_7_SIMPLE, "{got:#x?}");
    }
    const STREAM_7_SIMPLE: [u64; 3] = [
        16045851074286812582,
        1585929384878668846,
        11252387583339772921,
    ];

    #[test]
    fn streams_are_independent_of_each_other_and_of_creation_order() {
        let st = RngStreams::new(42);
        let mut a = st.stream("a");
        let _b = st.stream("b");
        let mut a2 = RngStreams::new(42).stream("a");
        assert_eq!(a.next_u64(), a2.next_u64());
        assert_ne!(st.stream("a").next_u64(), st.stream("b").next_u64());
        assert_ne!(
            RngStreams::new(1).stream("a").next_u64(),
            RngStreams::new(2).stream("a").next_u64()
        );
    }

    #[test]
    fn exponential_mean_is_right() {
        let mut r = RngStreams::new(3).stream("exp");
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| r.exp_nanos(1000.0) as f64).sum::<f64>() / n as f64;
        // standard error 1000/sqrt(n) = 2.2; 5 sigma
        assert!((mean - 1000.0).abs() < 12.0, "{mean}");
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = RngStreams::new(3).stream("below");
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }
}
