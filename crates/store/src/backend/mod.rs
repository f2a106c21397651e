//! The two backends. Both compile the same `common.rs`; see there.

pub(crate) mod cells;
pub mod postgres;
pub mod sqlite;

/// Told when a write transaction has committed (SQLite: its checkpoint thread).
pub(crate) type AfterCommit = std::sync::Arc<dyn Fn() + Send + Sync>;
