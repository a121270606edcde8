//! The Rust backend's server: a single-threaded tokio runtime on its own thread (the asyncio
//! loop's counterpart) handing `find_nth_prime` to an executor, or a thread per connection.
//!
//! Per connection, as the lesson's `handle_client`: read up to 4096 bytes, take each
//! newline-terminated `n`, compute (inline, or await the pool's answer), write `p\n`.

use super::gil::Gil;
use super::pool::{ProcessPool, ThreadPool};
use super::{fail, pin, register_thread};
use crate::live::config::ChildConfig;
use crate::sim::scenario::{ExecutorKind, ServerKind};
use crate::workload::prime::find_nth_prime;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The emulated GIL of this process, if the run has one.
static GIL: OnceLock<Gil> = OnceLock::new();

/// The process's emulated GIL (None without `--emulate-gil`).
pub fn gil() -> Option<&'static Gil> {
    GIL.get()
}

#[derive(Clone)]
enum Executor {
    Inline,
    Threads(ThreadPool),
    Processes(ProcessPool),
}

impl Executor {
    async fn run(&self, n: u64) -> u64 {
        let rx = match self {
            Executor::Inline => {
                return match gil() {
                    Some(g) => g.compute(n),
                    None => find_nth_prime(n).unwrap_or(0),
                }
            }
            Executor::Threads(p) => p.submit(n),
            Executor::Processes(p) => p.submit(n),
        };
        // Not holding the emulated GIL while waiting (the loop is in epoll).
        rx.await.unwrap_or(0)
    }
}

/// Starts the server described by `cfg` (listening on 127.0.0.1, an ephemeral port) and
/// returns its port.
pub fn start(cfg: &ChildConfig) -> u16 {
    if let Some(g) = &cfg.gil {
        let _ = GIL.set(Gil::new(Duration::from_secs_f64(g.interval_s)));
    }
    let listener = match TcpListener::bind(("127.0.0.1", 0)) {
        Ok(l) => l,
        Err(e) => fail(&format!("cannot listen on 127.0.0.1: {e}")),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let loop_cores = cfg.affinity.event_loop.clone();
    let worker_cores = cfg.affinity.workers.clone();
    let spawned = match cfg.server_kind {
        ServerKind::Asyncio => {
            let exec = match cfg.executor {
                ExecutorKind::Inline => Executor::Inline,
                ExecutorKind::Thread => {
                    Executor::Threads(ThreadPool::new(cfg.workers, worker_cores, gil().cloned()))
                }
                ExecutorKind::Process => {
                    let exe = std::env::current_exe()
                        .unwrap_or_else(|e| fail(&format!("cannot find the execsim binary: {e}")));
                    Executor::Processes(ProcessPool::new(cfg.workers, worker_cores, exe))
                }
                ExecutorKind::Interpreter => fail("the rust backend has no interpreter pool"),
            };
            std::thread::Builder::new()
                .name("event-loop".into())
                .spawn(move || event_loop(listener, exec, loop_cores))
        }
        ServerKind::ThreadPerConnection => std::thread::Builder::new()
            .name("acceptor".into())
            .spawn(move || acceptor(listener, loop_cores, worker_cores)),
    };
    if let Err(e) = spawned {
        fail(&format!("cannot start the server thread: {e}"));
    }
    port
}

fn event_loop(listener: TcpListener, exec: Executor, cores: Vec<usize>) {
    register_thread("event-loop");
    pin(&cores);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => fail(&format!("cannot build the tokio runtime: {e}")),
    };
    rt.block_on(async move {
        if let Err(e) = listener.set_nonblocking(true) {
            fail(&format!("listener: {e}"));
        }
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => fail(&format!("listener: {e}")),
        };
        loop {
            match listener.accept().await {
                Ok((sock, _)) => {
                    tokio::spawn(handle(sock, exec.clone()));
                }
                Err(e) => fail(&format!("accept: {e}")),
            }
        }
    });
}

/// Takes complete lines (`n\n`) off the front of `buf`.
fn next_request(buf: &mut Vec<u8>) -> Option<u64> {
    let pos = buf.iter().position(|&b| b == b'\n')?;
    let line: Vec<u8> = buf.drain(..=pos).collect();
    let text = String::from_utf8_lossy(&line);
    Some(text.trim().parse().unwrap_or(0))
}

async fn handle(mut sock: tokio::net::TcpStream, exec: Executor) {
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 4096];
    loop {
        let k = match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(k) => k,
        };
        buf.extend_from_slice(&chunk[..k]);
        loop {
            // The "Python" part of the handler: parse and submit (holding the emulated GIL).
            let n = {
                let _g = gil().map(|g| g.acquire());
                next_request(&mut buf)
            };
            let Some(n) = n else { break };
            let p = exec.run(n).await;
            let reply = {
                let _g = gil().map(|g| g.acquire());
                format!("{p}\n")
            };
            if sock.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

fn acceptor(listener: TcpListener, cores: Vec<usize>, worker_cores: Vec<usize>) {
    register_thread("acceptor");
    pin(&cores);
    for (k, conn) in listener.incoming().enumerate() {
        let Ok(mut conn) = conn else { continue };
        let wc = worker_cores.clone();
        let _ = std::thread::Builder::new()
            .name(format!("conn-{k}"))
            .spawn(move || {
                register_thread(&format!("conn-{k}"));
                pin(&wc);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let k = match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(k) => k,
                    };
                    buf.extend_from_slice(&chunk[..k]);
                    while let Some(n) = next_request(&mut buf) {
                        let p = match gil() {
                            Some(g) => g.compute(n),
                            None => find_nth_prime(n).unwrap_or(0),
                        };
                        if conn.write_all(format!("{p}\n").as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            });
    }
}
