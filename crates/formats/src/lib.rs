//! arflow's file formats: bytes in, typed records or diagnostics out.
//!
//! Each format is read whole and either yields every record with the line it came from, or every
//! problem found with the line, column and value it concerns, so a person can fix a file in one
//! pass. Nothing here does I/O: callers hand in bytes and a writer. Parsers never panic and run
//! in time linear in their input.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod csv;
pub mod einvoice;
pub mod multipart;
pub mod statement;
mod text;
