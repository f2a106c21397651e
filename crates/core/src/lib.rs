//! arflow's domain core: money, dates, organisations and debtors, the receivables ledger, payment
//! references and identifiers, and the key figures computed over them.
//!
//! The core is pure: no I/O, no async, no clock, no randomness. "Today" and every id come in as
//! parameters, which keeps each rule testable with plain values.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod arrangement;
pub mod brand;
pub mod calendar;
pub mod date;
pub mod dunning;
pub mod epc;
pub mod fasthash;
pub mod id;
pub mod ident;
pub mod kpi;
pub mod ledger;
pub mod legal;
pub mod money;
pub mod party;
pub mod reconcile;
pub mod reference;
