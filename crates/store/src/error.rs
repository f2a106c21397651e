//! The store's one error type.

use std::fmt::Display;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite reads that run on the caller's thread (`backend/direct.rs`).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
    #[error("{entity} '{key}' not found")]
    NotFound { entity: &'static str, key: String },
    #[error("{entity} '{key}' exists already")]
    Conflict { entity: &'static str, key: String },
    #[error("stored value of {table}.{column} is not valid: '{value}'")]
    Corrupt { table: &'static str, column: &'static str, value: String },
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("migration {version} ({name}) was changed after it was applied; restore it")]
    MigrationChanged { version: i64, name: String },
    #[error(
        "the database has migration {0}, which this arflow does not know: it is older than the database"
    )]
    MigrationUnknown(i64),
}

impl StoreError {
    /// Turns a unique-constraint violation into [`StoreError::Conflict`]; other errors pass.
    pub(crate) fn from_unique(e: sqlx::Error, entity: &'static str, key: &str) -> StoreError {
        match e.as_database_error() {
            Some(db) if db.is_unique_violation() => {
                StoreError::Conflict { entity, key: key.to_owned() }
            }
            _ => StoreError::Database(e),
        }
    }

    /// Whether retrying the same work later may succeed (lock contention, lost connection).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(e) => {
                matches!(
                    e,
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
                ) || e.as_database_error().is_some_and(|d| {
                    let code = d.code().unwrap_or_default();
                    // SQLite BUSY/LOCKED; PostgreSQL serialization failure and deadlock.
                    matches!(code.as_ref(), "5" | "6" | "517" | "40001" | "40P01")
                })
            }
            StoreError::Direct(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}

pub(crate) fn corrupt(
    table: &'static str,
    column: &'static str,
    value: impl Display,
) -> StoreError {
    StoreError::Corrupt { table, column, value: value.to_string() }
}
