//! The two backends. Both compile the same `common.rs`; see there.

pub(crate) mod cells;
pub mod postgres;
pub mod sqlite;
