//! Fuzz target: the CSV import readers (debtors, invoices, payments); the first byte picks the
//! reader and its options (see `harness::csv_import`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::csv_import(data));
