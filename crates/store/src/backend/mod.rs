//! The two backends. Both compile the same `common.rs`; see there.

pub mod postgres;
pub mod sqlite;
