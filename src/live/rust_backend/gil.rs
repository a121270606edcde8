//! An emulated GIL for the Rust backend: a real lock that follows CPython's "new GIL"
//! protocol (3.2 to 3.13), so that its effect can be observed under real OS scheduling.
//!
//! - **take**: if the lock is held, wait on a condition variable with timeout = the switch
//!   interval; on a timeout with no switch since the wait began, set the **drop request**
//!   and keep waiting.
//! - **holder**: a computing worker checks the drop request every 4096 `num % div` tests
//!   (the eval breaker; a few µs in Rust) and then drops the GIL.
//! - **FORCE_SWITCHING**: after a requested drop, the dropper waits until another thread has
//!   taken the GIL before it tries again.
//!
//! The loop thread holds it while it runs its "Python" code for a request (parsing, submit,
//! reply formatting) and releases it around its system calls; in-process client threads do
//! the same around send and recv; a thread-pool worker holds it while computing.

use crate::workload::prime::is_prime;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
thread_local! {
    static ME: u64 = NEXT_ID.fetch_add(1, Ordering::Relaxed);
}

fn me() -> u64 {
    ME.with(|m| *m)
}

#[derive(Default)]
struct State {
    locked: bool,
    holder: u64,
    last_holder: u64,
    switch_number: u64,
}

/// The GIL's counters, as reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GilCounters {
    /// Acquisitions by a different thread than the last holder.
    pub handoffs: u64,
    /// Drop requests set by waiters.
    pub drop_requests: u64,
    /// All acquisitions.
    pub acquisitions: u64,
}

struct Inner {
    state: Mutex<State>,
    cv: Condvar,
    switch_cv: Condvar,
    drop_request: AtomicBool,
    interval: Duration,
    drop_requests: AtomicU64,
    acquisitions: AtomicU64,
    handoffs: AtomicU64,
}

/// The emulated GIL (cheap to clone: a handle).
#[derive(Clone)]
pub struct Gil(Arc<Inner>);

/// Holding the GIL; dropping it releases.
pub struct GilGuard<'a> {
    gil: &'a Gil,
}

impl Drop for GilGuard<'_> {
    fn drop(&mut self) {
        self.gil.release();
    }
}

impl Gil {
    /// A GIL with switch interval `interval`.
    pub fn new(interval: Duration) -> Gil {
        Gil(Arc::new(Inner {
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
            switch_cv: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval: interval.max(Duration::from_micros(1)),
            drop_requests: AtomicU64::new(0),
            acquisitions: AtomicU64::new(0),
            handoffs: AtomicU64::new(0),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the GIL (CPython's `take_gil`).
    pub fn acquire(&self) -> GilGuard<'_> {
        self.take();
        GilGuard { gil: self }
    }

    fn take(&self) {
        let inner = &*self.0;
        let mut st = self.lock();
        while st.locked {
            let saved = st.switch_number;
            let start = Instant::now();
            let (s, res) = inner
                .cv
                .wait_timeout(st, inner.interval)
                .unwrap_or_else(|e| e.into_inner());
            st = s;
            if st.locked
                && res.timed_out()
                && st.switch_number == saved
                && start.elapsed() >= inner.interval
                && !inner.drop_request.swap(true, Ordering::AcqRel)
            {
                inner.drop_requests.fetch_add(1, Ordering::Relaxed);
            }
        }
        let id = me();
        st.locked = true;
        st.holder = id;
        inner.acquisitions.fetch_add(1, Ordering::Relaxed);
        if st.last_holder != id {
            st.last_holder = id;
            st.switch_number += 1;
            inner.handoffs.fetch_add(1, Ordering::Relaxed);
            inner.switch_cv.notify_all();
        }
        inner.drop_request.store(false, Ordering::Release);
    }

    fn release(&self) {
        let inner = &*self.0;
        let mut st = self.lock();
        st.locked = false;
        st.holder = 0;
        inner.cv.notify_one();
        drop(st);
    }

    /// Releases after a drop request and waits until another thread took the GIL
    /// (FORCE_SWITCHING), bounded by a few intervals in case every waiter went away.
    fn forced_switch(&self) {
        let inner = &*self.0;
        let mut st = self.lock();
        let prev = st.switch_number;
        st.locked = false;
        st.holder = 0;
        inner.cv.notify_one();
        let until = Instant::now() + inner.interval * 4;
        while st.switch_number == prev {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = inner
                .switch_cv
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(st);
        self.take();
    }

    /// `find_nth_prime(n)` holding the GIL, honouring drop requests every 4096 tests.
    #[allow(clippy::manual_is_multiple_of)] // `num % div` is the lesson's operation
    pub fn compute(&self, n: u64) -> u64 {
        self.take();
        let drop_req = &self.0.drop_request;
        let mut i = 2u64;
        let mut nth = 0;
        let mut last = 0;
        while nth != n {
            // The lesson's is_prime with an eval-breaker check on the loop's back edge.
            let prime = if i < 8192 {
                is_prime(i)
            } else {
                let mut div = 2u64;
                let mut p = true;
                while 2 * div <= i {
                    if i % div == 0 {
                        p = false;
                        break;
                    }
                    div += 1;
                    if div & 4095 == 0 && drop_req.load(Ordering::Relaxed) {
                        self.forced_switch();
                    }
                }
                p
            };
            if prime {
                nth += 1;
                last = i;
            }
            i += 1;
            if i & 1023 == 0 && drop_req.load(Ordering::Relaxed) {
                self.forced_switch();
            }
        }
        self.release();
        last
    }

    /// The counters so far.
    pub fn counters(&self) -> GilCounters {
        GilCounters {
            handoffs: self.0.handoffs.load(Ordering::Relaxed),
            drop_requests: self.0.drop_requests.load(Ordering::Relaxed),
            acquisitions: self.0.acquisitions.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_primes_and_hands_over() {
        let gil = Gil::new(Duration::from_millis(1));
        assert_eq!(gil.compute(100), 541);
        let g2 = gil.clone();
        let worker = std::thread::spawn(move || g2.compute(3000));
        std::thread::sleep(Duration::from_millis(5));
        // The worker holds the GIL; taking it needs a drop request.
        let t = Instant::now();
        for _ in 0..3 {
            let _g = gil.acquire();
        }
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(worker.join().unwrap(), 27449);
        assert!(gil.counters().acquisitions >= 5);
    }
}
