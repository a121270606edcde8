//! Child processes of a live run: one process group per run, killed whole and reaped on
//! every path (success, error, timeout, Ctrl-C, panic unwinding through [`Group`]'s `Drop`).
//!
//! - The first child is started in a new process group (`process_group(0)`); the others
//!   (the clients process) join it. Everything they start (CPython's pool workers, the Rust
//!   backend's worker processes) inherits the group, so `kill(-pgid, SIGKILL)` stops the
//!   whole run, including a `find_nth_prime(100000)` that would otherwise compute for half an
//!   hour.
//! - Each child gets `PR_SET_PDEATHSIG = SIGKILL`: if execsim itself dies, its children die.
//! - execsim makes itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`), so that
//!   grandchildren orphaned by the kill are re-parented to it and reaped here
//!   (`waitpid(-pgid)`), instead of lingering as zombies under a container's init.
//! - Ctrl-C (and SIGTERM) kill every active group before execsim exits (status 130).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Process groups of live runs in progress, killed by the Ctrl-C handler.
static ACTIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static CTRLC: OnceLock<bool> = OnceLock::new();

/// Installs (once) a Ctrl-C / SIGTERM handler that kills every live run's process group and
/// exits with status 130. Returns false if another handler was already installed.
pub fn install_ctrlc_handler() -> bool {
    *CTRLC.get_or_init(|| {
        ctrlc::set_handler(|| {
            let groups = ACTIVE_GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
            for pgid in groups {
                // SAFETY: kill has no memory preconditions; a negative pid names a group.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
            }
            eprintln!("\ninterrupted: the live run's processes were killed");
            std::process::exit(130);
        })
        .is_ok()
    })
}

/// Makes this process the reaper of its orphaned descendants (Linux).
pub fn become_subreaper() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer flag.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
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

/// The children of one live run, in one process group.
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

const STDERR_LINES: usize = 200;

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
    pub fn spawn(&mut self, mut cmd: Command) -> std::io::Result<usize> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(self.pgid.unwrap_or(0));
        // SAFETY: the closure only calls prctl, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                Ok(())
            });
        }
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
        self.readers.push(std::thread::spawn(move || {
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
        }));
        let kept = Arc::new(Mutex::new(VecDeque::new()));
        self.stderr.push(kept.clone());
        self.readers.push(std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if let Ok(mut k) = kept.lock() {
                            if k.len() >= STDERR_LINES {
                                k.pop_front();
                            }
                            buf.truncate(2000);
                            k.push_back(String::from_utf8_lossy(&buf).trim_end().to_string());
                        }
                    }
                }
            }
        }));
        Ok(idx)
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
    /// member is left. Idempotent; also run on drop.
    pub fn shutdown(&mut self) -> GroupCleanup {
        if let Some(c) = self.cleaned {
            return c;
        }
        let Some(pgid) = self.pgid else {
            self.cleaned = Some(GroupCleanup {
                group_empty: true,
                orphans_reaped: 0,
            });
            return self.cleaned.unwrap_or_default();
        };
        // SAFETY: kill with a negative pid signals the group; no memory is involved.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let mut orphans = 0;
        let deadline = Instant::now() + Duration::from_secs(3);
        let group_empty = loop {
            // Reap members re-parented to us (we are a subreaper), without blocking.
            loop {
                let mut status = 0;
                // SAFETY: status is a valid int to write to.
                let r = unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) };
                if r > 0 {
                    orphans += 1;
                } else {
                    break;
                }
            }
            // SAFETY: signal 0 only checks for existence.
            let alive = unsafe { libc::kill(-pgid, 0) } == 0;
            if !alive {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Ok(mut g) = ACTIVE_GROUPS.lock() {
            g.retain(|&p| p != pgid);
        }
        // The pipes are closed now that every writer is dead: the readers end.
        let until = Instant::now() + Duration::from_secs(2);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        for r in self.readers.drain(..) {
            if r.is_finished() {
                let _ = r.join();
            }
        }
        let c = GroupCleanup {
            group_empty,
            orphans_reaped: orphans,
        };
        self.cleaned = Some(c);
        c
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.shutdown();
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
