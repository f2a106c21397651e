//! Fuzz target: camt.052/053/054 XML, and zip archives of them.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::camt(data));
