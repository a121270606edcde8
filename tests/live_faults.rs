//! Live runs under faults, for real (about 25 s in all on two cores):
//! - `execsim live` killed with SIGKILL while the long request computes, for each executor
//!   (inline, thread, process) on each backend (cpython, rust): one second later no process of
//!   the run is left and nothing listens on the run's port;
//! - `execsim calibrate --backend cpython` killed with SIGKILL: its python child is gone too;
//! - the CPython service killed mid-run: `run_live` returns at once with an error naming it
//!   and the seconds already counted; a pool worker killed mid-run (each backend): the error
//!   names the worker and how it died.
//!
//! **Which processes belong to a run.** Each `execsim live` is started with an environment
//! variable of its own ([`TAG`] = a value unique to the run), which every process of the run
//! inherits (execsim's children through exec, CPython's pool workers through fork), and which
//! `/proc/PID/environ` shows. This finds them wherever they are in the process tree (a leaked
//! worker is re-parented, so a walk from the test process down would have to guess where it
//! went) and never mistakes another program's processes (other live runs may share this
//! machine) for the run's. The test process is also a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`), so that the run's orphans re-parent to it rather than to init,
//! where it can reap them; a dead process is a zombie until then, and a zombie no longer runs,
//! so it does not count as left over.
//!
//! **Listening sockets.** While the run is alive, the socket inodes in its processes'
//! `/proc/PID/fd` are matched with the LISTEN entries of `/proc/net/tcp` and `tcp6`, which
//! gives the port the service listens on; after the kill, no LISTEN entry may have that port.
//!
//! The runs are serialised (one lock), and a guard kills whatever a run left (by its tag) and
//! reaps it when the test ends, also when an assertion fails.

use execsim::live::{run_live, LiveError, LiveOptions, PartialRun};
use execsim::sim::scenario::Scenario;
use execsim::workload::cost::Backend;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());
static SUBREAPER: Once = Once::new();
static RUNS: AtomicU32 = AtomicU32::new(0);

/// The environment variable that tags a run's processes.
const TAG: &str = "EXECSIM_LIVE_FAULTS_RUN";

/// Takes the lock and makes this process the reaper of orphaned descendants.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SUBREAPER.call_once(|| nix::sys::prctl::set_child_subreaper(true).unwrap());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A process seen in `/proc`: pid, start time (clock ticks since boot, against pid reuse),
/// state letter, command line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Proc {
    pid: i32,
    start: u64,
    state: char,
    cmdline: String,
}

/// `/proc/PID/stat`'s state, parent pid and start time.
fn stat(pid: i32) -> Option<(char, i32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let state = f.first()?.chars().next()?;
    Some((state, f.get(1)?.parse().ok()?, f.get(19)?.parse().ok()?))
}

fn proc_of(pid: i32) -> Option<Proc> {
    let (state, _, start) = stat(pid)?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline: String = String::from_utf8_lossy(&cmdline)
        .replace('\0', " ")
        .chars()
        .take(100)
        .collect();
    Some(Proc {
        pid,
        start,
        state,
        cmdline,
    })
}

fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Live processes whose environment has `TAG=value`.
fn tagged(value: &str) -> Vec<Proc> {
    let needle = format!("{TAG}={value}");
    all_pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .filter_map(proc_of)
        .filter(|p| p.state != 'Z')
        .collect()
}

/// Children of this test process (direct, or orphans re-parented to it).
fn children_of_self() -> Vec<Proc> {
    let me = std::process::id() as i32;
    all_pids()
        .into_iter()
        .filter(|&pid| stat(pid).is_some_and(|(_, ppid, _)| ppid == me))
        .filter_map(proc_of)
        .collect()
}

/// Reaps the zombie children of this process (orphans of a killed run).
fn reap_zombies() {
    for p in children_of_self().into_iter().filter(|p| p.state == 'Z') {
        let _ = waitpid(Pid::from_raw(p.pid), Some(WaitPidFlag::WNOHANG));
    }
}

/// Inodes of the sockets `pid` has open.
fn socket_inodes(pid: i32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// (local port, inode) of every TCP socket in state LISTEN (`0A`).
fn listening() -> Vec<(u16, u64)> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let port = f[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if let (Some(port), Ok(inode)) = (port, f[9].parse()) {
                out.push((port, inode));
            }
        }
    }
    out
}

/// Ports on which a process of `procs` listens.
fn listening_ports(procs: &[Proc]) -> BTreeSet<u16> {
    let inodes: BTreeSet<u64> = procs.iter().flat_map(|p| socket_inodes(p.pid)).collect();
    listening()
        .into_iter()
        .filter(|(_, inode)| inodes.contains(inode))
        .map(|(port, _)| port)
        .collect()
}

/// A tag value no other run of this test process has.
fn new_tag() -> String {
    let k = RUNS.fetch_add(1, Ordering::Relaxed);
    format!("{}-{k}", std::process::id())
}

/// Kills whatever is left of a tagged run when dropped (also when an assertion failed).
struct Reaper {
    tag: String,
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for p in tagged(&self.tag) {
            let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
        reap_zombies();
    }
}

/// Waits up to one second after `killed` until none of `procs` (nor any process tagged
/// `tag`) runs and nothing listens on `ports`; returns what is left of each. (A process whose
/// main thread is a zombie may still have threads exiting, holding its sockets for a few more
/// milliseconds: both conditions are polled together.)
fn gone_within_a_second(
    tag: &str,
    procs: &[Proc],
    ports: &BTreeSet<u16>,
    killed: Instant,
) -> (BTreeSet<Proc>, Vec<(u16, u64)>) {
    let alive = |p: &Proc| proc_of(p.pid).is_some_and(|q| q.start == p.start && q.state != 'Z');
    loop {
        reap_zombies();
        let left: BTreeSet<Proc> = procs
            .iter()
            .filter(|p| alive(p))
            .cloned()
            .chain(tagged(tag))
            .collect();
        let still: Vec<(u16, u64)> = listening()
            .into_iter()
            .filter(|(port, _)| ports.contains(port))
            .collect();
        let clean = left.is_empty() && still.is_empty();
        if clean || killed.elapsed() >= Duration::from_secs(1) {
            return (left, still);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A scenario file whose long request computes from 0.5 s on, with an in-process simple
/// client and a client in a process of its own (so that the clients process is covered too).
fn scenario_file(executor: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "execsim-live-faults-{}-{executor}.toml",
        std::process::id()
    ));
    let text = format!(
        r#"
        name = "faults-{executor}"
        duration = "20s"
        [server]
        executor = "{executor}"
        workers = 2
        [[clients]]
        name = "simple"
        n = 1
        [[clients]]
        name = "remote"
        n = 1
        in_process = false
        think = "1ms"
        [[clients]]
        name = "long"
        n = 100000
        start = "0.5s"
        "#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Processes a run has once it is under way: execsim, the service, the clients process, and
/// the pool's two worker processes.
fn expected_processes(executor: &str) -> usize {
    3 + if executor == "process" { 2 } else { 0 }
}

/// Starts `execsim live` on `executor` and `backend`, waits until all its processes run and
/// the long request computes, kills execsim with SIGKILL, and checks that one second later
/// nothing of the run is left.
fn kill_execsim_mid_run(backend: &str, executor: &str) {
    let tag = new_tag();
    let _reaper = Reaper { tag: tag.clone() };
    let file = scenario_file(executor);
    let started = Instant::now();
    let mut execsim = Command::new(env!("CARGO_BIN_EXE_execsim"))
        .args(["live", "--backend", backend, "--no-idle-check", "--json"])
        .arg(&file)
        .env(TAG, &tag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let want = expected_processes(executor);
    let (procs, ports) = loop {
        let procs = tagged(&tag);
        let ports = listening_ports(&procs);
        if procs.len() >= want && !ports.is_empty() {
            break (procs, ports);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{backend}/{executor}: the run did not get under way: {procs:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Time 0 is 0.6 s after the service listens; the long request starts 0.5 s later.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(started.elapsed()));
    let procs: Vec<Proc> = procs.into_iter().chain(tagged(&tag)).collect();
    execsim.kill().unwrap(); // SIGKILL
    execsim.wait().unwrap();
    let killed = Instant::now();
    let (left, still) = gone_within_a_second(&tag, &procs, &ports, killed);
    assert!(
        left.is_empty(),
        "{backend}/{executor}: processes of the run left 1 s after SIGKILL: {left:#?}"
    );
    assert!(
        still.is_empty(),
        "{backend}/{executor}: port(s) {ports:?} still listening 1 s after SIGKILL: {still:?}"
    );
    let _ = std::fs::remove_file(file);
}

/// Whether `python3` runs here (asked once: a `python3 --version` child started while another
/// test's run is being searched for its processes would be mistaken for one of them).
fn python3_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let _g = serial();
        Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The lock, or None (after saying so) when python3 is not installed.
fn serial_with_python() -> Option<std::sync::MutexGuard<'static, ()>> {
    if !python3_available() {
        eprintln!("skipped: python3 is not installed");
        return None;
    }
    Some(serial())
}

#[test]
fn sigkill_of_execsim_leaves_nothing_rust_backend() {
    let _g = serial();
    for executor in ["inline", "thread", "process"] {
        kill_execsim_mid_run("rust", executor);
    }
}

#[test]
fn sigkill_of_execsim_leaves_nothing_cpython_backend() {
    let Some(_g) = serial_with_python() else {
        return;
    };
    for executor in ["inline", "thread", "process"] {
        kill_execsim_mid_run("cpython", executor);
    }
}

/// In the CPython service's command line (its JSON configuration), not in a speed probe's.
const SERVICE_ROLE: &str = "\"role\":\"service\"";

fn options(backend: Backend) -> LiveOptions {
    let mut o = LiveOptions::new(backend);
    o.exe = Some(PathBuf::from(env!("CARGO_BIN_EXE_execsim")));
    o.idle_check = false;
    o
}

/// The first process, child of `parent`, that runs `program` (the file name of its argv[0]
/// starts with it) with `needle` in its command line, once it has run for `after`. (The
/// program matters: `python3` may be a launcher script that runs as `bash ... python3 -I -c
/// ...` and forks helpers with that command line before it execs the interpreter.)
fn wait_for_child(parent: i32, program: &str, needle: &str, after: Duration) -> Proc {
    let until = Instant::now() + Duration::from_secs(10);
    let runs = |p: &Proc| {
        let argv0 = p.cmdline.split(' ').next().unwrap_or("");
        let file = argv0.rsplit('/').next().unwrap_or("");
        // The whole command line (`Proc` keeps its first 100 characters).
        let full = std::fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
        let full = String::from_utf8_lossy(&full).replace('\0', " ");
        file.starts_with(program) && full.contains(needle) && p.state != 'Z'
    };
    let found = loop {
        let found = all_pids()
            .into_iter()
            .filter(|&pid| stat(pid).is_some_and(|(_, ppid, _)| ppid == parent))
            .filter_map(proc_of)
            .find(runs);
        if let Some(p) = found {
            break p;
        }
        assert!(Instant::now() < until, "no child {needle:?} of {parent}");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(after);
    found
}

/// Runs the process-pool scenario on `backend` in a thread, kills (SIGKILL) the process
/// `pick` chooses `after` its start, and returns the error, the killed pid and how long
/// `run_live` took to return after the kill.
fn kill_during_run_live(
    backend: Backend,
    pick: impl FnOnce(i32) -> Proc,
) -> (LiveError, i32, Duration) {
    let file = scenario_file("process");
    let s = Scenario::from_file(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let runner = std::thread::spawn(move || run_live(&s, &options(backend)));
    let victim = pick(std::process::id() as i32);
    kill(Pid::from_raw(victim.pid), Signal::SIGKILL)
        .unwrap_or_else(|e| panic!("kill {victim:?}: {e}; now {:?}", proc_of(victim.pid)));
    let killed = Instant::now();
    let r = runner.join().unwrap();
    let took = killed.elapsed();
    let e = match r {
        Ok(_) => panic!("the run succeeded although pid {} was killed", victim.pid),
        Err(e) => e,
    };
    (e, victim.pid, took)
}

/// The run's processes are all gone (reaped by the supervisor, or by us as subreaper).
fn assert_nothing_left() {
    let until = Instant::now() + Duration::from_secs(1);
    loop {
        reap_zombies();
        let left = children_of_self();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < until, "processes left behind: {left:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn partial_of(e: &LiveError) -> &PartialRun {
    match e {
        LiveError::Died {
            partial: Some(p), ..
        } => p,
        other => panic!("expected Died with a partial result, got {other:?}"),
    }
}

#[test]
fn killed_cpython_service_is_named_and_its_seconds_kept() {
    let Some(_g) = serial_with_python() else {
        return;
    };
    let (e, pid, took) = kill_during_run_live(Backend::Cpython, |me| {
        // Time 0 is 0.6 s after start-up; by 3.2 s two seconds have been reported. (The
        // service, not one of the speed probes that run before it: its configuration names
        // its role.)
        wait_for_child(me, "python", SERVICE_ROLE, Duration::from_millis(3200))
    });
    // 17 s of the run were left: returning within 5 s means it did not wait for them.
    assert!(took < Duration::from_secs(5), "run_live took {took:?}");
    let LiveError::Died { what, how, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (what.as_str(), how.as_str()),
        (
            format!("the cpython service process (python3, pid {pid})").as_str(),
            "was killed by signal 9 (SIGKILL)"
        )
    );
    let p = partial_of(&e);
    assert!((1..20).contains(&p.seconds_seen), "{p:?}");
    assert_eq!(p.seconds_planned, 20);
    assert_eq!(p.result.duration_s, p.seconds_seen as f64);
    let names: Vec<&str> = p.result.clients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["simple", "remote", "long"]);
    for c in &p.result.clients {
        assert_eq!(c.per_second.len(), p.seconds_seen, "{c:?}");
        assert_eq!(c.completed, c.per_second.iter().sum::<u64>());
    }
    let simple = p.result.client("simple").unwrap();
    assert!(simple.per_second[0] > 0, "{simple:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("after {} of 20 s", p.seconds_seen)),
        "{msg}"
    );
    assert_nothing_left();
}

#[test]
fn killed_pool_worker_is_named_by_the_service() {
    let python = python3_available();
    let _g = serial();
    // (program, service's command line, worker's command line)
    let mut cases = vec![(
        Backend::Rust,
        "execsim",
        " __live child ",
        " __live worker ",
    )];
    if python {
        // Pool workers are forked: they keep the service's command line.
        cases.push((Backend::Cpython, "python", SERVICE_ROLE, SERVICE_ROLE));
    }
    for (backend, program, service, worker) in cases {
        let (e, pid, took) = kill_during_run_live(backend, |me| {
            let svc = wait_for_child(me, program, service, Duration::ZERO);
            wait_for_child(svc.pid, program, worker, Duration::from_millis(1500))
        });
        assert!(took < Duration::from_secs(5), "run_live took {took:?}");
        let LiveError::Died { what, message, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(what.contains(&format!("{backend} service process")), "{e}");
        let message = message.as_deref().unwrap_or_default();
        assert!(
            message.contains(&format!("pid {pid}) was killed by signal 9 (SIGKILL)")),
            "{backend}: the error does not name worker {pid}: {e}"
        );
        assert!(partial_of(&e).seconds_seen >= 1, "{e}");
        assert_nothing_left();
    }
}

#[test]
fn sigkill_of_execsim_calibrate_leaves_no_python() {
    let Some(_g) = serial_with_python() else {
        return;
    };
    let tag = new_tag();
    let _reaper = Reaper { tag: tag.clone() };
    let out = std::env::temp_dir().join(format!("execsim-faults-{tag}.toml"));
    // n = 3000 takes about a second per call in CPython: the script is busy when killed.
    let mut execsim = Command::new(env!("CARGO_BIN_EXE_execsim"))
        .args(["calibrate", "--backend", "cpython", "--n", "1,10,3000"])
        .arg("--out")
        .arg(&out)
        .env(TAG, &tag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let procs = loop {
        let procs = tagged(&tag);
        if procs.iter().any(|p| p.cmdline.contains(" -I -c ")) {
            break procs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no python child: {procs:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(1000));
    execsim.kill().unwrap();
    execsim.wait().unwrap();
    let (left, _) = gone_within_a_second(&tag, &procs, &BTreeSet::new(), Instant::now());
    assert!(left.is_empty(), "left 1 s after SIGKILL: {left:#?}");
    assert!(
        !out.exists(),
        "a killed calibration wrote {}",
        out.display()
    );
}
