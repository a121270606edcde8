//! The lesson's prime core, exactly, and its exact operation count.
//!
//! `find_nth_prime(n)` walks i = 2, 3, ... and counts each i for which `is_prime(i)` holds;
//! `is_prime(num)` is naive trial division by div = 2, 3, ... while `div <= num / 2` (true
//! division, so the last divisor tried is ⌊num/2⌋), stopping at the first divisor.
//!
//! The cost of a call is counted in **tests** (evaluations of `num % div`) and **candidates**
//! (values of i tried). A composite i costs `spf(i) - 1` tests (divisors 2..=spf(i), where
//! spf is the smallest prime factor); a prime p costs `⌊p/2⌋ - 1` tests (none for 2 and 3).
//! [`op_count`] sums these with a sieve instead of running the loop, so n = 100,000 (about
//! 3.1e10 tests, minutes of real computation) is counted in milliseconds.

/// The lesson's `is_prime`: trial division by 2, 3, ... while `div <= num / 2`.
///
/// ```
/// use execsim::workload::prime::is_prime;
/// assert!(is_prime(2) && is_prime(3) && is_prime(97));
/// assert!(!is_prime(4) && !is_prime(91));
/// ```
#[allow(clippy::manual_is_multiple_of)] // `num % div` is the lesson's operation, counted by op_count
pub fn is_prime(num: u64) -> bool {
    if num == 2 {
        return true;
    }
    let mut div = 2;
    // `div <= num / 2` in true division is `2 * div <= num` in integers.
    while 2 * div <= num {
        if num % div == 0 {
            return false;
        }
        div += 1;
    }
    true
}

/// The lesson's `find_nth_prime`: the n-th prime (1-based) by testing 2, 3, 4, ... in turn.
///
/// Returns `None` for `n == 0`, where the lesson's Python raises (its `last_prime` is never
/// bound).
///
/// ```
/// use execsim::workload::prime::find_nth_prime;
/// assert_eq!(find_nth_prime(1), Some(2));
/// assert_eq!(find_nth_prime(6), Some(13));
/// assert_eq!(find_nth_prime(0), None);
/// ```
pub fn find_nth_prime(n: u64) -> Option<u64> {
    if n == 0 {
        return None;
    }
    let mut i = 2;
    let mut nth = 0;
    let mut last = 0;
    while nth != n {
        if is_prime(i) {
            nth += 1;
            last = i;
        }
        i += 1;
    }
    Some(last)
}

/// The work one `find_nth_prime(n)` call does, counted exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OpCount {
    /// The argument n.
    pub n: u64,
    /// The n-th prime, p_n (the value returned).
    pub prime: u64,
    /// Evaluations of `num % div` over the whole call.
    pub tests: u64,
    /// Values of i tried: 2..=p_n, so p_n - 1.
    pub candidates: u64,
}

/// Runs the real core while counting its operations: the reference [`op_count`] is checked
/// against. Slow for large n (it does all the work).
pub fn instrumented_find_nth_prime(n: u64) -> Option<OpCount> {
    if n == 0 {
        return None;
    }
    let (mut i, mut nth, mut last, mut tests, mut candidates) = (2u64, 0u64, 0u64, 0u64, 0u64);
    while nth != n {
        candidates += 1;
        let prime = if i == 2 {
            true
        } else {
            let mut div = 2;
            let mut prime = true;
            while 2 * div <= i {
                tests += 1;
                if i % div == 0 {
                    prime = false;
                    break;
                }
                div += 1;
            }
            prime
        };
        if prime {
            nth += 1;
            last = i;
        }
        i += 1;
    }
    Some(OpCount {
        n,
        prime: last,
        tests,
        candidates,
    })
}

/// The largest n that [`op_count`] accepts (p_n is about 1.8e8; its sieve of the odd numbers
/// needs about 90 MB).
pub const MAX_OP_COUNT_N: u64 = 10_000_000;

/// An upper bound on the n-th prime (Rosser and Schoenfeld: p_n < n (ln n + ln ln n) for
/// n >= 6).
fn nth_prime_upper_bound(n: u64) -> u64 {
    if n < 6 {
        return 13;
    }
    let x = n as f64;
    (x * (x.ln() + x.ln().ln())).ceil() as u64 + 1
}

/// The exact operation count of `find_nth_prime(n)`, by sieve, without running the loop.
///
/// Errors for `n == 0` and for `n > MAX_OP_COUNT_N`.
///
/// ```
/// use execsim::workload::prime::{op_count, instrumented_find_nth_prime};
/// assert_eq!(op_count(50).unwrap(), instrumented_find_nth_prime(50).unwrap());
/// ```
pub fn op_count(n: u64) -> Result<OpCount, OpCountError> {
    if n == 0 {
        return Err(OpCountError::Zero);
    }
    if n > MAX_OP_COUNT_N {
        return Err(OpCountError::TooLarge(n));
    }
    if n == 1 {
        // find_nth_prime(1) tests 2 only, with no division.
        return Ok(OpCount {
            n,
            prime: 2,
            tests: 0,
            candidates: 1,
        });
    }
    // Odd numbers only: index k stands for 2k + 1 (half the memory and half the marking of a
    // plain sieve; the even numbers are counted in closed form below).
    // Pass 1: a sieve up to an upper bound finds p_n (2 is the first prime).
    let half = (nth_prime_upper_bound(n) / 2 + 1) as usize;
    let mut composite = vec![false; half];
    let mut count = 1u64;
    let mut p_n = 0usize;
    for k in 1..half {
        if !composite[k] {
            let p = 2 * k + 1;
            count += 1;
            if count == n {
                p_n = p;
                break;
            }
            // Odd multiples of p from p²: indices (p² - 1) / 2, then every p.
            let mut m = p.saturating_mul(p) / 2;
            while m < half {
                composite[m] = true;
                m += p;
            }
        }
    }
    // Pass 2: sieve the odd numbers up to p_n again; the first prime to strike a composite is
    // its smallest prime factor q, and that composite costs q - 1 tests. An even composite
    // (4, 6, ..., p_n - 1) costs one test (2 divides it), the prime 2 none.
    let hp = p_n / 2 + 1;
    composite.truncate(hp);
    composite.iter_mut().for_each(|c| *c = false);
    let mut tests: u64 = (p_n as u64 - 1) / 2 - 1;
    for k in 1..hp {
        if !composite[k] {
            let p = 2 * k + 1;
            // A prime costs floor(p/2) - 1 tests (none for 3).
            tests += p as u64 / 2 - 1;
            let mut m = p.saturating_mul(p) / 2;
            while m < hp {
                if !composite[m] {
                    composite[m] = true;
                    tests += p as u64 - 1;
                }
                m += p;
            }
        }
    }
    Ok(OpCount {
        n,
        prime: p_n as u64,
        tests,
        candidates: p_n as u64 - 1,
    })
}

/// Why [`op_count`] refused an argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpCountError {
    /// n = 0: the lesson's function has no 0-th prime.
    #[error("n must be at least 1 (find_nth_prime(0) has no answer)")]
    Zero,
    /// n beyond the supported range.
    #[error("n = {0} is larger than the supported maximum {MAX_OP_COUNT_N}")]
    TooLarge(u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_primes() {
        let got: Vec<u64> = (1..=10).map(|n| find_nth_prime(n).unwrap()).collect();
        assert_eq!(got, vec![2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    }

    #[test]
    #[allow(clippy::manual_is_multiple_of)]
    fn op_count_matches_instrumented_run_up_to_5000() {
        // One instrumented pass gives every n's cumulative count; compare each.
        let mut i = 2u64;
        let (mut nth, mut tests) = (0u64, 0u64);
        let mut check_every = Vec::new();
        while nth < 5000 {
            let prime = if i == 2 {
                true
            } else {
                let mut div = 2;
                let mut prime = true;
                while 2 * div <= i {
                    tests += 1;
                    if i % div == 0 {
                        prime = false;
                        break;
                    }
                    div += 1;
                }
                prime
            };
            if prime {
                nth += 1;
                check_every.push(OpCount {
                    n: nth,
                    prime: i,
                    tests,
                    candidates: i - 1,
                });
            }
            i += 1;
        }
        for expected in check_every {
            assert_eq!(
                op_count(expected.n).unwrap(),
                expected,
                "n = {}",
                expected.n
            );
        }
        assert_eq!(instrumented_find_nth_prime(777), op_count(777).ok());
    }

    #[test]
    fn op_count_of_the_long_request() {
        let c = op_count(100_000).unwrap();
        assert_eq!(c.prime, 1_299_709);
        assert_eq!(c.candidates, 1_299_708);
        assert!(
            c.tests > 3.0e10 as u64 && c.tests < 3.2e10 as u64,
            "{}",
            c.tests
        );
    }

    #[test]
    fn op_count_rejects_bad_n() {
        assert_eq!(op_count(0), Err(OpCountError::Zero));
        assert!(matches!(
            op_count(MAX_OP_COUNT_N + 1),
            Err(OpCountError::TooLarge(_))
        ));
    }
}
