//! Fuzz target: Belgian CODA 2.x.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::coda(data));
