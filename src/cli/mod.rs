//! The `execsim` command line. Each subcommand is a variant of `Command` (its doc comment is
//! the help text) whose argument struct and `cmd_*` function live in the subcommand's own
//! file (`run.rs`, `lesson.rs`, `sweep.rs` with `merge`, `cost.rs`, `calibrate.rs`,
//! `plot.rs`, `live.rs` with `compare`, `validate.rs`); the work lives in the layers below. What several
//! commands share is in `args.rs`; the simulations behind the lesson's figures in
//! [`figures`].
//!
//! To add a subcommand: add a variant, a file with its `Args` struct and a `cmd_*` function
//! returning `anyhow::Result<()>`, and a line in `dispatch`'s `match`.

mod advise;
mod args;
mod atomic_write;
mod calibrate;
mod cost;
pub mod figures;
mod lesson;
pub mod live;
pub mod plot;
mod run;
mod sweep;
mod validate;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Deterministic simulation of an asyncio service offloading the lesson's prime computation.
#[derive(Parser, Debug)]
#[command(name = "execsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Time the real prime core on this machine and fit the cost model's coefficients.
    Calibrate(calibrate::CalibrateArgs),
    /// Exact work of find_nth_prime(N) and its predicted duration.
    Cost(cost::CostArgs),
    /// Simulate a scenario file: per-second completions per client, latency, GIL counters.
    ///
    /// The scenario is TOML. Top-level keys: seed (default 1), duration ("12s"), name.
    /// [machine] cores (default 2), scheduler = "eevdf" | "cfs". [python] version = "3.11" |
    /// "3.13" | "3.13t" (the build whose speed and GIL are modelled), gil = "cpython" |
    /// "free-threaded" (default: the version's own), switch_interval ("5ms"), runtime =
    /// "cpython" | "rust" (whose prime-core costs).
    /// [server] kind = "asyncio" | "thread-per-connection", executor = "inline" | "thread" |
    /// "process" | "interpreter", workers (default: CPython's). [[clients]] name, n (or
    /// mix = [{n, weight}, ...], or request = a [[requests]] name), start ("0s"), mode =
    /// "closed" | "open", think ("0s"),
    /// rate (open loop, per second), arrivals = "poisson" | "constant", in_process (true),
    /// count (1). [affinity] loop, clients, workers, helpers: lists of allowed cores.
    /// [[requests]] name, payload ("4MB"), reply, steps = [{ python = "2ms" }, { native =
    /// "8ms", gil = "released" | "held" }, { io = "20ms" }] (a duration or { dist =
    /// "lognormal" | "exp" | "uniform" | "empirical", ... }).
    /// [costs.machine], [costs.interp], [costs.service]: overrides of calibrated costs.
    /// See README.md for the whole list.
    Run(run::RunArgs),
    /// Which executor, pool size and switch interval for the workload in FILE: simulates it
    /// under each configuration (inline, thread and process pools of several sizes, switch
    /// intervals; free-threaded and interpreter pools as what-ifs) and prints them ranked by
    /// throughput, with p50/p99 latency, CPU use and where the time waits, the recommended one
    /// first among those meeting --p99; figures in --out.
    Advise(advise::AdviseArgs),
    /// Simulate the lesson's scenarios and print them side by side.
    Lesson(lesson::LessonArgs),
    /// Draw figures as PNG and SVG: `plot lesson` (the lesson's simulated figures), `plot run
    /// FILE` (one scenario's rates, latency and GIL timeline), `plot overlay SIM LIVE`.
    Plot(plot::PlotArgs),
    /// Run a sweep: a base scenario and a grid of values for any keys, in parallel; one CSV
    /// row per point.
    ///
    /// The sweep file is a scenario file plus a [sweep] table: reps (replications, 95% CI
    /// columns when > 1), sample and sample_seed (a seeded random subset of the grid), base (a
    /// scenario file, instead of inline keys), and [sweep.grid] with dotted keys such as
    /// "python.switch_interval" = ["5ms", "1ms"], "server.workers" = [1, 2, 4],
    /// "clients[1].n" = [1000, 100000], "affinity.workers" = [[1], [0]].
    Sweep(sweep::SweepArgs),
    /// Join sweep shard CSVs (from --shard runs) into the file a single run would give.
    Merge(sweep::MergeArgs),
    /// Run a scenario for real on loopback (127.0.0.1, an ephemeral port) with the CPython
    /// reference service or the Rust server; reports what `run` reports.
    Live(live::LiveArgs),
    /// Simulate a scenario and run it live K times; print simulated vs live rates per client
    /// and phase (median, min..max, relative error) and write a plot.
    Compare(live::CompareArgs),
    /// Run the validation matrix (validation/scenarios/) live with CPython and in simulation;
    /// print simulated vs live per scenario, client and phase (rates, open-loop latency
    /// percentiles, placement regimes) and write results.json, results.csv and a figure.
    /// --sim-only re-simulates against the live results on file.
    Validate(validate::ValidateArgs),
    /// Internal: the rust backend's live processes.
    #[command(name = "__live", hide = true)]
    LiveInternal(live::InternalArgs),
}

/// Parses the command line, runs the command, and turns an error into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::LiveInternal(_)) {
        // A reader that stops early (`execsim ... | head`) ends the command quietly, as it
        // ends any Unix filter; Rust's runtime ignores SIGPIPE, and `println!` would panic on
        // the closed pipe. (The rust backend's own processes keep ignoring it: a worker's
        // closed pipe is an error they report.)
        // SAFETY: no other thread runs yet, and SIG_DFL installs no handler of ours.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGPIPE,
                nix::sys::signal::SigHandler::SigDfl,
            )
        };
    }
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command.
fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Calibrate(args) => calibrate::cmd_calibrate(args),
        Command::Cost(args) => cost::cmd_cost(args),
        Command::Run(args) => run::cmd_run(args),
        Command::Advise(args) => advise::cmd_advise(args),
        Command::Lesson(args) => lesson::cmd_lesson(args),
        Command::Plot(args) => plot::plot_cmd(args),
        Command::Sweep(args) => sweep::cmd_sweep(args),
        Command::Merge(args) => sweep::cmd_merge(args),
        Command::Live(args) => live::live(args),
        Command::Compare(args) => live::compare_cmd(args),
        Command::Validate(args) => validate::cmd_validate(args),
        Command::LiveInternal(args) => live::internal(args),
    }
}
