//! Fuzz target: SWIFT MT940 / MT942.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::mt940(data));
