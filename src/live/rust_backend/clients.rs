//! The Rust backend's clients: real threads with blocking sockets, as in the lesson, and the
//! per-second report of their counts.
//!
//! A closed-loop client sends `n\n`, blocks until the reply's newline, records it, thinks,
//! and sends again. An open-loop client sends at arrival times (Poisson or constant) from one
//! thread and reads replies on another. Completions are counted when the reply has been
//! read, in the whole second of the run it falls in; latency is from the send (open loop: the
//! scheduled arrival) to that moment. With the emulated GIL, an in-process client holds it
//! while running its own code between system calls.

use super::server::gil;
use super::{emit, fail, pin, register_thread, registered, sleep_until};
use crate::kernel::RngStreams;
use crate::live::config::{ChildConfig, ClientPlan, Role};
use crate::live::os::monotonic_ns;
use crate::live::protocol::ClientSummary;
use crate::sim::scenario::{Arrivals, ClientMode};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

/// One client's counters.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    issued: u64,
    completed: u64,
    wrong: u64,
    per_second: Vec<u64>,
    latencies_us: Vec<u64>,
}

/// Shared counters of one client.
pub type SharedStats = Arc<Mutex<Stats>>;

struct Ctx {
    t0: u64,
    duration_ns: u64,
    expect: std::collections::BTreeMap<String, u64>,
}

impl Ctx {
    fn record(&self, st: &SharedStats, sent: u64, n: u64, value: u64) {
        let now = monotonic_ns();
        let rel = now.saturating_sub(self.t0);
        if now < self.t0 || rel >= self.duration_ns {
            return;
        }
        let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
        s.completed += 1;
        if self.expect.get(&n.to_string()).is_some_and(|&p| p != value) {
            s.wrong += 1;
        }
        let sec = (rel / 1_000_000_000) as usize;
        if let Some(slot) = s.per_second.get_mut(sec) {
            *slot += 1;
        }
        s.latencies_us
            .push((now.saturating_sub(sent) / 1000).max(1));
    }
}

fn draw_n(plan: &ClientPlan, rng: &mut crate::kernel::SimRng) -> u64 {
    if let Some(n) = plan.n {
        return n;
    }
    let mix = plan.mix.as_deref().unwrap_or(&[]);
    let total: f64 = mix.iter().map(|e| e.1).sum();
    let mut x = rng.uniform() * total;
    for &(n, w) in mix {
        if x < w {
            return n;
        }
        x -= w;
    }
    mix.last().map_or(1, |e| e.0)
}

/// Reads up to a newline; returns the reply's value.
fn read_reply(sock: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u64> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            return Ok(String::from_utf8_lossy(&line).trim().parse().unwrap_or(0));
        }
        let k = sock.read(&mut chunk)?;
        if k == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..k]);
    }
}

fn closed_loop(
    plan: &ClientPlan,
    ctx: &Ctx,
    port: u16,
    st: &SharedStats,
    gil_on: bool,
) -> std::io::Result<()> {
    let mut rng = RngStreams::new(plan.seed).stream("live/client");
    let mut sock = TcpStream::connect(("127.0.0.1", port))?;
    let mut buf = Vec::new();
    let think = std::time::Duration::from_secs_f64(plan.think_s);
    loop {
        let (n, msg) = {
            let _g = gil_on.then(gil).flatten().map(|g| g.acquire());
            let n = draw_n(plan, &mut rng);
            (n, format!("{n}\n"))
        };
        let sent = monotonic_ns();
        sock.write_all(msg.as_bytes())?;
        st.lock().unwrap_or_else(|e| e.into_inner()).issued += 1;
        let value = read_reply(&mut sock, &mut buf)?;
        {
            let _g = gil_on.then(gil).flatten().map(|g| g.acquire());
            ctx.record(st, sent, n, value);
        }
        if !think.is_zero() {
            std::thread::sleep(think);
        }
    }
}

fn open_loop(
    plan: &ClientPlan,
    ctx: Arc<Ctx>,
    port: u16,
    st: &SharedStats,
    cores: Vec<usize>,
) -> std::io::Result<()> {
    let mut rng = RngStreams::new(plan.seed).stream("live/client");
    let mut sock = TcpStream::connect(("127.0.0.1", port))?;
    let mut reader = sock.try_clone()?;
    let pending: Arc<Mutex<VecDeque<(u64, u64)>>> = Arc::default();
    let (p2, st2, name) = (pending.clone(), st.clone(), plan.name.clone());
    let ctx2 = ctx.clone();
    std::thread::spawn(move || {
        register_thread(&format!("client:{name}/recv"));
        pin(&cores);
        let mut buf = Vec::new();
        while let Ok(value) = read_reply(&mut reader, &mut buf) {
            let front = p2.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            if let Some((sent, n)) = front {
                ctx2.record(&st2, sent, n, value);
            }
        }
    });
    let rate = plan.rate.unwrap_or(1.0).max(1e-9);
    let mean_ns = 1e9 / rate;
    let mut due = ctx.t0 + (plan.start_s * 1e9) as u64;
    loop {
        let gap = match plan.arrivals {
            Arrivals::Poisson => -(1.0 - rng.uniform()).ln() * mean_ns,
            Arrivals::Constant => mean_ns,
        };
        due += (gap as u64).max(1);
        sleep_until(due);
        let n = draw_n(plan, &mut rng);
        pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back((due, n));
        sock.write_all(format!("{n}\n").as_bytes())?;
        st.lock().unwrap_or_else(|e| e.into_inner()).issued += 1;
    }
}

/// Starts this process's clients (each waits for its start time); returns their counters.
pub fn start(cfg: &ChildConfig, port: u16, t0: u64) -> Vec<(ClientPlan, SharedStats)> {
    let seconds = (cfg.duration_s * 1e9).ceil() as u64;
    let ctx = Arc::new(Ctx {
        t0,
        duration_ns: seconds,
        expect: cfg.expect.clone(),
    });
    let n_seconds = seconds.div_ceil(1_000_000_000) as usize;
    // The emulated GIL is the service process's: only its own clients take it.
    let gil_on = cfg.role == Role::Service;
    let mut out = Vec::new();
    for plan in &cfg.clients {
        let st: SharedStats = Arc::new(Mutex::new(Stats {
            per_second: vec![0; n_seconds],
            ..Stats::default()
        }));
        let (plan2, st2, ctx2) = (plan.clone(), st.clone(), ctx.clone());
        let cores = cfg.affinity.clients.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("client:{}", plan.name))
            .spawn(move || {
                register_thread(&format!("client:{}", plan2.name));
                pin(&cores);
                sleep_until(ctx2.t0 + (plan2.start_s * 1e9) as u64);
                let r = match plan2.mode {
                    ClientMode::Closed => closed_loop(&plan2, &ctx2, port, &st2, gil_on),
                    ClientMode::Open => open_loop(&plan2, ctx2.clone(), port, &st2, cores),
                };
                if let Err(e) = r {
                    fail(&format!("client {} failed: {e}", plan2.name));
                }
            });
        if spawned.is_err() {
            fail("cannot start a client thread");
        }
        out.push((plan.clone(), st));
    }
    out
}

/// Emits a `second` line after each whole second of the run, then the summary.
pub fn report(cfg: &ChildConfig, stats: &[(ClientPlan, SharedStats)], t0: u64) {
    let duration_ns = (cfg.duration_s * 1e9).ceil() as u64;
    let seconds = duration_ns.div_ceil(1_000_000_000);
    for k in 1..=seconds {
        sleep_until(t0 + (k * 1_000_000_000).min(duration_ns));
        let counts: serde_json::Map<String, serde_json::Value> = stats
            .iter()
            .map(|(p, s)| {
                let c = s
                    .lock()
                    .map(|s| s.per_second.get(k as usize - 1).copied().unwrap_or(0))
                    .unwrap_or(0);
                (p.name.clone(), c.into())
            })
            .collect();
        emit(&serde_json::json!({"event": "second", "t": k - 1, "counts": counts}));
    }
    let clients: Vec<ClientSummary> = stats
        .iter()
        .map(|(p, s)| {
            let s = s.lock().map(|s| s.clone()).unwrap_or_default();
            ClientSummary {
                name: p.name.clone(),
                n: p.first_n(),
                start_s: p.start_s,
                issued: s.issued,
                completed: s.completed,
                wrong: s.wrong,
                per_second: s.per_second,
                latencies_us: s.latencies_us,
            }
        })
        .collect();
    let (threads, processes) = registered();
    let role = match cfg.role {
        Role::Service => "service",
        Role::Clients => "clients",
    };
    let gil_counters = gil().map(|g| g.counters());
    emit(&serde_json::json!({
        "event": "summary", "role": role, "clients": clients,
        "threads": threads, "processes": processes, "gil": gil_counters,
    }));
}
