//! Fuzz target: e-invoices: UBL, CII, and PDFs with embedded invoice XML (Factur-X, ZUGFeRD,
//! XRechnung).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::einvoice(data));
