//! CSV import and export of debtors, invoices (including credit notes) and payments.
//!
//! The file rules are shared by the three kinds of file and described for users in
//! `docs/import-formats.md`:
//!
//! - The first non-empty line is the header. Column names are matched case-insensitively with
//!   surrounding spaces ignored, in any order; an unknown or repeated column is an error, so a
//!   typo is caught instead of silently dropping data. A missing required column is one error on
//!   the header line.
//! - The delimiter is `,`, unless the header line contains `;` and no `,` (the Dutch and Belgian
//!   Excel "CSV" export); quoting follows RFC 4180. Amounts may then use a decimal comma
//!   (see [`Money::parse`](arflow_core::money::Money::parse)).
//! - The file must be UTF-8 (a byte-order mark is skipped); CRLF and LF both end a line; empty
//!   lines, and lines whose cells are all empty, are skipped.
//! - Every row is checked and every problem is reported (up to [`ERRORS_MAX`]); a file with any
//!   error yields no records at all, so an import is all or nothing.
//!
//! Writers produce the same columns, so that what is exported reads back identically.

mod debtors;
mod engine;
mod invoices;
mod payments;

use std::fmt;

use arflow_core::ledger::Invoice;
use arflow_core::money::Currency;
use arflow_core::party::CountryCode;
use arflow_core::reference::ReferenceScheme;

pub use debtors::{parse_debtors, read_debtors, write_debtors};
pub use invoices::{parse_invoices, read_invoices, write_invoices};
pub use payments::{FINGERPRINT_PREFIX, parse_payments, read_payments, write_payments};

/// Most errors reported for one file; after these one final "too many errors" entry follows.
pub const ERRORS_MAX: usize = 1000;

/// Longest cell accepted, in bytes. Longer text is almost always a broken file (a quote that is
/// never closed swallows the rest of it), and it keeps every stored text field bounded.
pub const CELL_BYTES_MAX: usize = 4096;

/// Default for [`CsvOptions::lines_max`]: most data rows in one file.
pub const LINES_MAX_DEFAULT: u64 = 5_000_000;

/// A record and the line of the file it starts on (1-based; the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub line: u64,
    pub record: T,
}

/// What reading a file gave: the rows without errors, and every error (of the file and of its
/// rows). A file is acceptable only when `errors` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading<T> {
    pub records: Vec<Parsed<T>>,
    pub errors: Vec<CsvError>,
}

impl<T> Reading<T> {
    /// The records when there was no error, else every error.
    ///
    /// # Errors
    /// The list of problems.
    pub fn into_result(self) -> Result<Vec<Parsed<T>>, Vec<CsvError>> {
        if self.errors.is_empty() { Ok(self.records) } else { Err(self.errors) }
    }
}

/// An invoice or credit note read from a file, with the scheme of its payment reference when
/// the file gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub invoice: Invoice,
    pub reference_scheme: Option<ReferenceScheme>,
}

/// What the organisation importing a file brings to it: the defaults for empty cells and the
/// limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Currency of amounts whose `currency` cell is empty or absent, and of debtors' credit
    /// limits: the organisation's currency.
    pub default_currency: Currency,
    /// Country of debtors whose `country` cell is empty or absent: the organisation's country.
    pub default_country: CountryCode,
    /// Most data rows accepted in one file (empty lines not counted).
    pub lines_max: u64,
    /// Files of invoices of at least this many bytes are read in two halves on two threads
    /// ([`SPLIT_BYTES_MIN_DEFAULT`]); the outcome is the same as reading them in one piece.
    pub split_bytes_min: usize,
}

/// Below one MiB a second thread costs more than it saves.
pub const SPLIT_BYTES_MIN_DEFAULT: usize = 1 << 20;

impl Default for CsvOptions {
    /// Euro, the Netherlands, [`LINES_MAX_DEFAULT`] rows and [`SPLIT_BYTES_MIN_DEFAULT`].
    fn default() -> Self {
        CsvOptions {
            default_currency: Currency::EUR,
            default_country: CountryCode::NL,
            lines_max: LINES_MAX_DEFAULT,
            split_bytes_min: SPLIT_BYTES_MIN_DEFAULT,
        }
    }
}

/// One problem in a file: where it is, what was there and why it is refused.
///
/// `column` is empty for problems of a whole line or of the file (a wrong number of fields, an
/// encoding error); `value` is empty when the cell was empty or the problem is not about a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line of the file; for a row, the line it starts on.
    pub line: u64,
    pub column: String,
    /// The offending text, shortened to at most 80 characters with control characters escaped.
    pub value: String,
    pub reason: String,
}

impl CsvError {
    /// The error prefixed with a file name: `FILE:LINE: column COL: value 'X': reason`.
    pub fn with_file(&self, file: &str) -> String {
        format!("{file}:{self}")
    }
}

impl fmt::Display for CsvError {
    /// `LINE: column COL: value 'X': reason`; the column and value parts are left out when
    /// empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.line)?;
        if !self.column.is_empty() {
            write!(f, "column {}: ", self.column)?;
        }
        if !self.value.is_empty() {
            write!(f, "value '{}': ", self.value)?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for CsvError {}
