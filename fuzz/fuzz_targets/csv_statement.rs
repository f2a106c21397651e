//! Fuzz target: bank CSV exports read with a column mapping; the first byte picks the mapping
//! (see `harness::csv_statement`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::csv_statement(data));
