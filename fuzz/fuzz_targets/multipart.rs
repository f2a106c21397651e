//! Fuzz target: multipart/form-data bodies (the staff and debtor pages' uploads).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::multipart(data));
