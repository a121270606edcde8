//! One record of the live GIL trace, as `shim.c` writes it: 32 bytes, little-endian
//! (`t` u64 ns of CLOCK_MONOTONIC, `tid` u32, `kind` u16, `flags` u16, `a` u64, `b` u64).
//! The kinds and the calls are numbered as in `shim.c`'s enums (keep both in step).

/// Bytes of one record.
pub const RECORD_SIZE: usize = 32;

/// A blocking (or GIL-releasing) C library call the shim wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Call {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
    /// `sendto`.
    Sendto,
    /// `recvfrom`.
    Recvfrom,
    /// `epoll_wait` (its record's argument is the timeout, ms).
    EpollWait,
    /// `read`.
    Read,
    /// `write`.
    Write,
    /// `sem_wait` (an untimed lock acquire).
    SemWait,
    /// `sem_timedwait`.
    SemTimedwait,
    /// `sem_clockwait` (a timed lock acquire, glibc 2.30+).
    SemClockwait,
    /// `sem_post` (a lock release).
    SemPost,
    /// `select`.
    Select,
    /// `poll`.
    Poll,
}

impl Call {
    const ALL: [Call; 13] = [
        Call::Send,
        Call::Recv,
        Call::Sendto,
        Call::Recvfrom,
        Call::EpollWait,
        Call::Read,
        Call::Write,
        Call::SemWait,
        Call::SemTimedwait,
        Call::SemClockwait,
        Call::SemPost,
        Call::Select,
        Call::Poll,
    ];

    /// The call numbered `code` in `shim.c` (1-based).
    pub fn from_code(code: u64) -> Option<Call> {
        let i = code.checked_sub(1)?;
        Call::ALL.get(usize::try_from(i).ok()?).copied()
    }

    /// Its number in `shim.c`.
    pub fn code(self) -> u64 {
        Call::ALL.iter().position(|&c| c == self).unwrap_or(0) as u64 + 1
    }

    /// The C function's name.
    pub fn name(self) -> &'static str {
        match self {
            Call::Send => "send",
            Call::Recv => "recv",
            Call::Sendto => "sendto",
            Call::Recvfrom => "recvfrom",
            Call::EpollWait => "epoll_wait",
            Call::Read => "read",
            Call::Write => "write",
            Call::SemWait => "sem_wait",
            Call::SemTimedwait => "sem_timedwait",
            Call::SemClockwait => "sem_clockwait",
            Call::SemPost => "sem_post",
            Call::Select => "select",
            Call::Poll => "poll",
        }
    }

    /// True for a call that waits for something (data, an event, a lock) and so may block;
    /// `arg` is its record's argument (for `epoll_wait`, the timeout: 0 never blocks).
    pub fn may_block(self, arg: i64) -> bool {
        match self {
            Call::EpollWait | Call::Poll => arg != 0,
            Call::Recv
            | Call::Recvfrom
            | Call::Read
            | Call::SemWait
            | Call::SemTimedwait
            | Call::SemClockwait
            | Call::Select => true,
            Call::Send | Call::Sendto | Call::Write | Call::SemPost => false,
        }
    }
}

/// What a record says happened (CPython 3.11, `Python/ceval_gil.h`; see `shim.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `take_gil` starts a timed wait on `gil->cond` (the GIL is held by another thread).
    TimedWaitEnter {
        /// `gil->switch_number` at the start (take_gil's `saved_switchnum`).
        switch_number: u64,
        /// `gil->locked`.
        locked: bool,
    },
    /// The timed wait returned (signalled, timed out, or woken spuriously).
    TimedWaitExit {
        /// `gil->switch_number` on return.
        switch_number: u64,
        /// It returned ETIMEDOUT.
        timed_out: bool,
        /// The GIL was still locked on return.
        locked: bool,
    },
    /// `take_gil` took the GIL (its `COND_SIGNAL(gil->switch_cond)`).
    Acquire {
        /// `gil->switch_number` after the take (one more than before when the GIL changed
        /// hands).
        switch_number: u64,
        /// `gil->last_holder` (the taker's thread state).
        last_holder: u64,
    },
    /// `drop_gil` released the GIL (its `COND_SIGNAL(gil->cond)`, after `locked = 0`).
    Release {
        /// `gil->switch_number`.
        switch_number: u64,
    },
    /// `drop_gil` dropped on request and waits for another thread to take the GIL
    /// (FORCE_SWITCHING: `COND_WAIT(gil->switch_cond)`); the drop request was just reset.
    SwitchWaitEnter {
        /// `gil->switch_number`.
        switch_number: u64,
    },
    /// That wait returned.
    SwitchWaitExit {
        /// `gil->switch_number`.
        switch_number: u64,
    },
    /// `MUTEX_LOCK(gil->mutex)`: the start of `take_gil` (or of `drop_gil`, by the holder).
    GilMutexLock,
    /// A wrapped call starts.
    CallEnter {
        /// Which.
        call: Call,
        /// Its file descriptor (`epoll_wait`: its timeout), or 0.
        arg: i64,
    },
    /// A wrapped call returns.
    CallExit {
        /// Which.
        call: Call,
        /// Its return value.
        ret: i64,
    },
}

/// One decoded record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// CLOCK_MONOTONIC, ns.
    pub t_ns: u64,
    /// The Linux thread id of the thread that made it.
    pub tid: u32,
    /// What happened.
    pub event: Event,
}

/// Why a record could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecodable {
    /// Its time is 0: the slot was claimed but not yet written (the process was killed
    /// between the two).
    Incomplete,
    /// An unknown kind or call number.
    Unknown {
        /// Its kind.
        kind: u16,
        /// Its `a` field.
        a: u64,
    },
}

fn u64_at(b: &[u8; RECORD_SIZE], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

impl Record {
    /// Decodes the 32 bytes of one record.
    pub fn decode(b: &[u8; RECORD_SIZE]) -> Result<Record, Undecodable> {
        let t_ns = u64_at(b, 0);
        if t_ns == 0 {
            return Err(Undecodable::Incomplete);
        }
        let tid = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        let kind = u16::from_le_bytes([b[12], b[13]]);
        let (a, bb) = (u64_at(b, 16), u64_at(b, 24));
        let call = || Call::from_code(a).ok_or(Undecodable::Unknown { kind, a });
        let event = match kind {
            1 => Event::TimedWaitEnter {
                switch_number: a,
                locked: bb != 0,
            },
            2 => Event::TimedWaitExit {
                switch_number: a,
                timed_out: bb & 1 != 0,
                locked: bb & 2 != 0,
            },
            3 => Event::Acquire {
                switch_number: a,
                last_holder: bb,
            },
            4 => Event::Release { switch_number: a },
            5 => Event::SwitchWaitEnter { switch_number: a },
            6 => Event::SwitchWaitExit { switch_number: a },
            7 => Event::GilMutexLock,
            8 => Event::CallEnter {
                call: call()?,
                arg: bb as i64,
            },
            9 => Event::CallExit {
                call: call()?,
                ret: bb as i64,
            },
            _ => return Err(Undecodable::Unknown { kind, a }),
        };
        Ok(Record { t_ns, tid, event })
    }

    /// The 32 bytes `shim.c` writes for this record (for tests and synthetic traces).
    pub fn encode(&self) -> [u8; RECORD_SIZE] {
        let (kind, a, b): (u16, u64, u64) = match self.event {
            Event::TimedWaitEnter {
                switch_number,
                locked,
            } => (1, switch_number, locked as u64),
            Event::TimedWaitExit {
                switch_number,
                timed_out,
                locked,
            } => (2, switch_number, timed_out as u64 | (locked as u64) << 1),
            Event::Acquire {
                switch_number,
                last_holder,
            } => (3, switch_number, last_holder),
            Event::Release { switch_number } => (4, switch_number, 0),
            Event::SwitchWaitEnter { switch_number } => (5, switch_number, 0),
            Event::SwitchWaitExit { switch_number } => (6, switch_number, 0),
            Event::GilMutexLock => (7, 0, 0),
            Event::CallEnter { call, arg } => (8, call.code(), arg as u64),
            Event::CallExit { call, ret } => (9, call.code(), ret as u64),
        };
        let mut out = [0u8; RECORD_SIZE];
        out[0..8].copy_from_slice(&self.t_ns.to_le_bytes());
        out[8..12].copy_from_slice(&self.tid.to_le_bytes());
        out[12..14].copy_from_slice(&kind.to_le_bytes());
        out[16..24].copy_from_slice(&a.to_le_bytes());
        out[24..32].copy_from_slice(&b.to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_encoding() {
        let events = [
            Event::TimedWaitEnter {
                switch_number: 7,
                locked: true,
            },
            Event::TimedWaitExit {
                switch_number: 8,
                timed_out: true,
                locked: false,
            },
            Event::Acquire {
                switch_number: 9,
                last_holder: 0xdead_beef,
            },
            Event::Release { switch_number: 9 },
            Event::SwitchWaitEnter { switch_number: 9 },
            Event::SwitchWaitExit { switch_number: 10 },
            Event::GilMutexLock,
            Event::CallEnter {
                call: Call::EpollWait,
                arg: -1,
            },
            Event::CallExit {
                call: Call::Poll,
                ret: -1,
            },
        ];
        for (k, event) in events.into_iter().enumerate() {
            let r = Record {
                t_ns: 1_000 + k as u64,
                tid: 4242,
                event,
            };
            assert_eq!(Record::decode(&r.encode()), Ok(r));
        }
        for c in Call::ALL {
            assert_eq!(Call::from_code(c.code()), Some(c));
        }
        assert_eq!(Call::from_code(0), None);
        assert_eq!(Call::from_code(14), None);
    }

    #[test]
    fn a_slot_not_yet_written_or_of_an_unknown_kind_is_not_a_record() {
        assert_eq!(
            Record::decode(&[0u8; RECORD_SIZE]),
            Err(Undecodable::Incomplete)
        );
        let mut b = [0u8; RECORD_SIZE];
        b[0] = 1;
        b[12] = 99;
        assert_eq!(
            Record::decode(&b),
            Err(Undecodable::Unknown { kind: 99, a: 0 })
        );
        b[12] = 8;
        b[16] = 77;
        assert_eq!(
            Record::decode(&b),
            Err(Undecodable::Unknown { kind: 8, a: 77 })
        );
    }
}
