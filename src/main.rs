//! The `execsim` binary: the command line lives in [`execsim::cli`].

fn main() -> std::process::ExitCode {
    execsim::cli::main()
}
