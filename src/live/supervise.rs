//! The one supervisor of child processes, for live runs and for calibration's `python3`: one
//! process group per [`Group`], killed whole and reaped on every path (success, error,
//! timeout, Ctrl-C, panic unwinding through [`Group`]'s `Drop`).
//!
//! - The first child is started in a new process group (std's `process_group(0)`); the others
//!   (a live run's clients process) join it. Everything they start (CPython's pool workers,
//!   the Rust backend's worker processes) inherits the group, so one `killpg(pgid, SIGKILL)`
//!   stops the whole run, including a `find_nth_prime(100000)` that would otherwise compute
//!   for half an hour.
//! - Each child gets `PR_SET_PDEATHSIG = SIGKILL` ([`die_with_parent`]): if execsim itself
//!   dies, even by SIGKILL, its children die. The children do the same for the processes they
//!   start (the Rust backend's pool workers; CPython's pool workers in their initializer),
//!   and each watches its parent's pid and a deadline ([`super::lifeline`]), so that no
//!   process of a run outlives it, whatever kills execsim.
//! - execsim makes itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`, on the first spawn),
//!   so that grandchildren orphaned by the kill are re-parented to it and reaped here
//!   (`waitpid(-pgid)`), instead of lingering as zombies under a container's init.
//! - Ctrl-C (and SIGTERM) kill every active group before execsim exits (status 130), once
//!   [`install_ctrlc_handler`] was called.
//!
//! The system calls go through `nix`'s safe wrappers and the signal handler through `ctrlc`.
//! The group logic itself is written here rather than taken from `process-wrap` (or
//! `command-group`) because it needs what those do not give: a reaping loop bounded in time
//! that tells whether the group is really empty, with a count of the orphans it reaped;
//! the parent-death signal; and a group that several direct children join (process-wrap
//! 10's `try_wait` loses the leader's status when another member is still alive, and an
//! attached child records its own pid as its group).

use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Process groups in progress, killed by the Ctrl-C handler.
static ACTIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static CTRLC: OnceLock<bool> = OnceLock::new();
static SUBREAPER: OnceLock<()> = OnceLock::new();

/// Installs (once) a Ctrl-C / SIGTERM handler that kills every active process group and
/// exits with status 130. Returns false if another handler was already installed.
pub fn install_ctrlc_handler() -> bool {
    *CTRLC.get_or_init(|| {
        ctrlc::set_handler(|| {
            let groups = ACTIVE_GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
            for pgid in groups {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
            eprintln!("\ninterrupted: the child processes were killed");
            std::process::exit(130);
        })
        .is_ok()
    })
}

/// Makes this process the reaper of its orphaned descendants (Linux); done once, by the first
/// [`Group::spawn`].
pub fn become_subreaper() {
    SUBREAPER.get_or_init(|| {
        let _ = prctl::set_child_subreaper(true);
    });
}

/// Makes `cmd`'s process receive SIGKILL when the thread that started it dies
/// (`PR_SET_PDEATHSIG`), so that no child outlives a crashed parent.
///
/// The signal is tied to the *thread* that forks: call this from a thread that lives as long
/// as the child should (execsim's main thread, the Rust service's event-loop thread). The
/// parent may die between the fork and the `prctl`; the child then finds another parent pid
/// than the one recorded before the fork and does not start (the spawn fails with `ESRCH`,
/// which nobody is left to see).
pub fn die_with_parent(cmd: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs between fork and exec; it only makes the prctl and getppid
    // system calls (async-signal-safe) and builds an io::Error from an errno (no allocation).
    unsafe {
        cmd.pre_exec(move || {
            prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::from(Errno::ESRCH));
            }
            Ok(())
        });
    }
}

/// How a process ended, in words: `was killed by signal 9 (SIGKILL)`, `exited with status 2`.
pub fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => match Signal::try_from(sig) {
            Ok(s) => format!("was killed by signal {sig} ({})", s.as_str()),
            Err(_) => format!("was killed by signal {sig}"),
        },
        (None, None) => format!("ended ({status})"),
    }
}

/// What cleaning up a group found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupCleanup {
    /// No process of the group remains (not even a zombie).
    pub group_empty: bool,
    /// Processes reaped besides the direct children.
    pub orphans_reaped: u32,
}

/// A line from a child (`child` = index in start order), or the end of its output.
#[derive(Debug)]
pub enum Output {
    /// One line of stdout.
    Line(usize, String),
    /// Stdout closed (the child exited or was killed).
    Closed(usize),
}

/// The children of one live run (or one calibration script), in one process group.
pub struct Group {
    pgid: Option<i32>,
    children: Vec<Child>,
    readers: Vec<JoinHandle<()>>,
    stderr: Vec<Arc<Mutex<VecDeque<String>>>>,
    tx: mpsc::Sender<Output>,
    /// Lines of every child's stdout.
    pub rx: mpsc::Receiver<Output>,
    cleaned: Option<GroupCleanup>,
}

/// Lines of stderr kept per child (the last ones), each cut to [`STDERR_LINE_BYTES`].
const STDERR_LINES: usize = 200;
const STDERR_LINE_BYTES: usize = 2000;

impl Default for Group {
    fn default() -> Self {
        Self::new()
    }
}

impl Group {
    /// An empty group (the first [`Group::spawn`] creates the process group).
    pub fn new() -> Group {
        let (tx, rx) = mpsc::channel();
        Group {
            pgid: None,
            children: Vec::new(),
            readers: Vec::new(),
            stderr: Vec::new(),
            tx,
            rx,
            cleaned: None,
        }
    }

    /// The process group id, once a child runs.
    pub fn pgid(&self) -> Option<i32> {
        self.pgid
    }

    /// Starts `cmd` in the group (its stdout is read line by line into [`Group::rx`], its
    /// stderr kept for error messages); returns the child's index.
    pub fn spawn(&mut self, cmd: Command) -> std::io::Result<usize> {
        self.spawn_filtered(cmd, |_| true)
    }

    /// [`Group::spawn`], with each stderr line passed to `keep` first: the line is kept for
    /// [`Group::stderr_tail`] only if it returns true (e.g. progress lines are shown and
    /// dropped).
    pub fn spawn_filtered(
        &mut self,
        mut cmd: Command,
        keep: impl FnMut(&str) -> bool + Send + 'static,
    ) -> std::io::Result<usize> {
        become_subreaper();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(self.pgid.unwrap_or(0));
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn()?;
        let idx = self.children.len();
        if self.pgid.is_none() {
            let pgid = child.id() as i32;
            self.pgid = Some(pgid);
            if let Ok(mut g) = ACTIVE_GROUPS.lock() {
                g.push(pgid);
            }
        }
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        self.children.push(child);
        let tx = self.tx.clone();
        self.readers
            .push(std::thread::spawn(move || read_stdout(idx, stdout, tx)));
        let kept = Arc::new(Mutex::new(VecDeque::new()));
        self.stderr.push(kept.clone());
        self.readers
            .push(std::thread::spawn(move || read_stderr(stderr, kept, keep)));
        Ok(idx)
    }

    /// Waits until child `idx` exits (its status) or `until` passes (None; it still runs).
    pub fn wait_exit(&mut self, idx: usize, until: Instant) -> std::io::Result<Option<ExitStatus>> {
        let child = &mut self.children[idx];
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= until {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The process id of child `idx`.
    pub fn pid(&self, idx: usize) -> u32 {
        self.children[idx].id()
    }

    /// The last lines child `idx` wrote on stderr.
    pub fn stderr_tail(&self, idx: usize) -> String {
        self.stderr
            .get(idx)
            .and_then(|k| k.lock().ok().map(|k| k.iter().cloned().collect::<Vec<_>>()))
            .unwrap_or_default()
            .join("\n")
    }

    /// Kills the whole group, reaps the children and any orphaned member, and checks that no
    /// member is left. Idempotent; also run on drop. The output readers have ended when it
    /// returns (so [`Group::stderr_tail`] is complete).
    pub fn shutdown(&mut self) -> GroupCleanup {
        if let Some(c) = self.cleaned {
            return c;
        }
        let Some(pgid) = self.pgid else {
            let c = GroupCleanup {
                group_empty: true,
                orphans_reaped: 0,
            };
            self.cleaned = Some(c);
            return c;
        };
        let group = Pid::from_raw(pgid);
        let _ = killpg(group, Signal::SIGKILL);
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let (group_empty, orphans) = reap_group(group, Duration::from_secs(3));
        if let Ok(mut g) = ACTIVE_GROUPS.lock() {
            g.retain(|&p| p != pgid);
        }
        self.join_readers(Duration::from_secs(2));
        let c = GroupCleanup {
            group_empty,
            orphans_reaped: orphans,
        };
        self.cleaned = Some(c);
        c
    }

    /// Joins the output readers, which end once every writer of the pipes is dead; waits at
    /// most `within` (a reader still blocked then is left to end by itself).
    fn join_readers(&mut self, within: Duration) {
        let until = Instant::now() + within;
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        for r in self.readers.drain(..) {
            if r.is_finished() {
                let _ = r.join();
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Reaps members of `group` re-parented to us (we are a subreaper) until none is left, killing
/// again any still alive, for at most `within`. Returns (group empty, members reaped).
fn reap_group(group: Pid, within: Duration) -> (bool, u32) {
    let mut reaped = 0;
    let deadline = Instant::now() + within;
    loop {
        let member = Pid::from_raw(-group.as_raw());
        while let Ok(status) = waitpid(member, Some(WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                break;
            }
            reaped += 1;
        }
        // No signal: only checks whether any member exists.
        if killpg(group, None) == Err(Errno::ESRCH) {
            return (true, reaped);
        }
        if Instant::now() >= deadline {
            return (false, reaped);
        }
        let _ = killpg(group, Signal::SIGKILL);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends each stdout line of child `idx` to `tx`, then [`Output::Closed`].
fn read_stdout(idx: usize, stdout: ChildStdout, tx: mpsc::Sender<Output>) {
    let mut r = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if tx
                    .send(Output::Line(idx, line.trim_end().to_string()))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = tx.send(Output::Closed(idx));
}

/// Keeps the last [`STDERR_LINES`] stderr lines that `keep` accepts.
fn read_stderr(
    stderr: ChildStderr,
    kept: Arc<Mutex<VecDeque<String>>>,
    mut keep: impl FnMut(&str) -> bool,
) {
    let mut r = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                buf.truncate(STDERR_LINE_BYTES);
                let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                if !keep(&line) {
                    continue;
                }
                if let Ok(mut k) = kept.lock() {
                    if k.len() >= STDERR_LINES {
                        k.pop_front();
                    }
                    k.push_back(line);
                }
            }
        }
    }
}

/// True once nothing listens on 127.0.0.1:`port` any more (a connection is refused), checked
/// for up to `within`.
pub fn port_released(port: u16, within: Duration) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + within;
    loop {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Err(_) => return true,
            Ok(_) if Instant::now() >= deadline => return false,
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exits_are_described_by_status_or_signal() {
        assert_eq!(
            describe_exit(ExitStatus::from_raw(9)),
            "was killed by signal 9 (SIGKILL)"
        );
        assert_eq!(
            describe_exit(ExitStatus::from_raw(2 << 8)),
            "exited with status 2"
        );
    }
}
