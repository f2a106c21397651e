//! Fuzz target: `detect` and `parse_any` without a CSV mapping, which must agree.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::detect_any(data));
