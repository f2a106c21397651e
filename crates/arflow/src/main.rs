//! The `arflow` binary: parses the command line and hands over to [`arflow::run`].

use clap::Parser;

// mimalloc instead of the system allocator (for Rust and, through `override`, for SQLite): bulk
// loads allocate and free millions of small buffers from two threads, where glibc's malloc
// spent a fifth of the time (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = arflow::cli::Cli::parse();
    arflow::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    runtime.block_on(arflow::run(cli))
}
