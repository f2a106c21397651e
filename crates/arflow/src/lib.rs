//! The `arflow` program: configuration, start-up and the commands of the CLI.
//!
//! [`run`] is the one entry point: `main` calls it, and the end-to-end tests run the real
//! binary. Every command opens the store, migrates it, and calls one use case of `arflow-app`.

mod bench;
pub mod cli;
mod commands;
mod config;
mod inbound;
mod scheduler;

use std::process::ExitCode;
use std::sync::Arc;

use arflow_app::{App, AppError, SystemClock};
use arflow_store::{Store, StoreError};

pub use config::Config;

/// Exit codes (documented in `arflow --help` and the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REJECTED: u8 = 3;
    pub const CONFLICTS: u8 = 4;
    pub const NOT_FOUND: u8 = 5;
    pub const UNHEALTHY: u8 = 6;
}

/// Logs to standard error; `ARFLOW_LOG` sets the filter (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARFLOW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A failure of a command, with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        let code = match &e {
            AppError::NotFound { .. } => exit::NOT_FOUND,
            AppError::Invalid { .. } | AppError::Rejected(_) | AppError::Conflict { .. } => {
                exit::REJECTED
            }
            AppError::NeedsOrganisation(_) => exit::USAGE,
            AppError::Store(StoreError::NotFound { .. }) => exit::NOT_FOUND,
            _ => exit::FAILURE,
        };
        Failure::new(code, e.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::from(AppError::from(e))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(exit::FAILURE, e.to_string())
    }
}

/// Opens the store at `url`, applies missing migrations, and builds the use cases on it.
///
/// # Errors
/// A [`Failure`] naming the database when it cannot be opened or migrated.
pub async fn open_app(url: &str) -> Result<App, Failure> {
    let store = Store::connect(url)
        .await
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot open database {url}: {e}")))?;
    let now = jiff::Timestamp::now().as_microsecond();
    let applied = store
        .migrate(now)
        .await
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot migrate database {url}: {e}")))?;
    if !applied.is_empty() {
        tracing::info!(?applied, "database schema migrated");
    }
    Ok(App::new(store, Arc::new(SystemClock)))
}

/// Runs one command line and returns the process exit code.
pub async fn run(cli: cli::Cli) -> ExitCode {
    let json = cli.json;
    match commands::dispatch(cli).await {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            if json {
                let body =
                    serde_json::json!({ "error": { "message": f.message, "exit_code": f.code } });
                eprintln!("{body}");
            } else {
                eprintln!("error: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}
