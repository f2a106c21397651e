//! What each fuzz target does with its input, shared by the fuzz targets (`mod harness;`) and by
//! the regression test `crates/formats/tests/fuzz_regressions.rs` (through `#[path]`), so that a
//! saved crasher is replayed exactly as the fuzzer ran it.
//!
//! The parsers' contract: never panic, never hang, and return `Ok` or an error that says where
//! the problem is. A hang is caught by libFuzzer's `-timeout`; a panic (of a parser or of an
//! assertion here) is the crash. The assertions here check the "located error" part.

#![allow(dead_code)]

use arflow_core::money::Currency;
use arflow_core::party::CountryCode;
use arflow_formats::csv::{
    CsvOptions, LINES_MAX_DEFAULT, Reading, read_debtors, read_invoices, read_payments,
};
use arflow_formats::einvoice::{self, EInvoice, EInvoiceError};
use arflow_formats::statement::csv_mapped::{
    AmountColumns, Column, ColumnOrFixed, CsvMapping, builtin,
};
use arflow_formats::statement::{
    Location, ParsedStatements, StatementError, camt, coda, csv_mapped, detect, mt940, parse_any,
};

/// The fuzz targets, by name.
pub const TARGETS: &[&str] = &[
    "camt",
    "mt940",
    "coda",
    "csv_statement",
    "einvoice",
    "csv_import",
    "detect_any",
    "multipart",
];

/// Runs `data` through the target called `target`; `false` for an unknown target name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "camt" => camt(data),
        "mt940" => mt940(data),
        "coda" => coda(data),
        "csv_statement" => csv_statement(data),
        "einvoice" => einvoice(data),
        "csv_import" => csv_import(data),
        "detect_any" => detect_any(data),
        "multipart" => multipart(data),
        _ => return false,
    }
    true
}

/// camt.052/053/054 XML, and zip archives of them.
pub fn camt(data: &[u8]) {
    check_statements(&camt::parse(data));
}

/// SWIFT MT940 / MT942.
pub fn mt940(data: &[u8]) {
    check_statements(&mt940::parse(data));
}

/// Belgian CODA 2.x.
pub fn coda(data: &[u8]) {
    check_statements(&coda::parse(data));
}

/// E-invoices: UBL, CII, and PDFs with embedded invoice XML.
pub fn einvoice(data: &[u8]) {
    check_einvoice(&einvoice::parse(data));
}

/// Format detection and `parse_any` without a CSV mapping: what `detect` says must agree with
/// what `parse_any` does.
pub fn detect_any(data: &[u8]) {
    let detected = detect(data);
    let result = parse_any(data, None);
    check_statements(&result);
    if let Ok(parsed) = &result {
        assert_eq!(Some(parsed.format), detected, "parse_any read a format detect did not report");
    }
    if detected.is_none() {
        assert!(result.is_err(), "parse_any accepted a file detect does not recognise");
    }
}

/// The CSV import readers. The first byte picks the reader (`% 4`: debtors, invoices, payments,
/// or all three on the same bytes), the default country (bit 2) and a small row limit (bit 3);
/// the rest is the file. Invoices are read in one piece and in two halves, which must agree.
pub fn csv_import(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let opts = CsvOptions {
        default_currency: Currency::EUR,
        default_country: if selector & 0x04 == 0 { CountryCode::NL } else { CountryCode::BE },
        lines_max: if selector & 0x08 == 0 { LINES_MAX_DEFAULT } else { 3 },
        split_bytes_min: usize::MAX,
    };
    match selector % 4 {
        0 => check_reading(&read_debtors(file, &opts)),
        1 => {
            let whole = read_invoices(file, &opts);
            check_reading(&whole);
            // Read in two halves at once, the file reads the same.
            let halves = CsvOptions { split_bytes_min: 0, ..opts.clone() };
            assert_eq!(
                read_invoices(file, &halves),
                whole,
                "read in halves, the file reads otherwise"
            );
        }
        2 => check_reading(&read_payments(file, &opts)),
        _ => {
            check_reading(&read_debtors(file, &opts));
            check_reading(&read_invoices(file, &opts));
            check_reading(&read_payments(file, &opts));
        }
    }
}

/// Bank CSV exports read with a column mapping. The first byte picks the mapping (`% 4`):
/// `ing-nl`, `rabobank-nl`, or one of two hand-made mappings (see [`custom_mapping`]), the last
/// of which takes its date format from the first line of the input; the rest is the file.
pub fn csv_statement(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let (mapping, file) = match selector & 0x03 {
        0 => (builtin("ing-nl"), file),
        1 => (builtin("rabobank-nl"), file),
        2 => (Some(custom_mapping(selector, "%d-%m-%Y".to_owned())), file),
        _ => {
            let end = file.iter().position(|&b| b == b'\n').unwrap_or(file.len());
            let (format, rest) = file.split_at(end);
            let rest = rest.get(1..).unwrap_or_default();
            (Some(custom_mapping(selector, String::from_utf8_lossy(format).into_owned())), rest)
        }
    };
    let Some(mapping) = mapping else {
        panic!("a built-in mapping is missing");
    };
    check_statements(&csv_mapped::parse(file, &mapping));
}

/// A mapping whose options come from the bits of `selector`: bit 2 columns by name (with a
/// header) instead of by position, bits 3-4 the amount layout, bit 4 also the currency from a
/// column, bits 5-6 the delimiter (sniffed, `;`, tab, `,`), bit 6 also one skipped line, bit 7
/// a header and decimal commas.
pub fn custom_mapping(selector: u8, date_format: String) -> CsvMapping {
    let by_name = selector & 0x04 != 0;
    let col = |index: usize, name: &str| {
        if by_name { Column::Name(name.to_owned()) } else { Column::Index(index) }
    };
    let amount = match (selector >> 3) & 0x03 {
        0 => AmountColumns::Signed(col(3, "amount")),
        1 => AmountColumns::DebitCredit { debit: col(3, "debit"), credit: col(4, "credit") },
        2 => AmountColumns::WithIndicator {
            amount: col(3, "amount"),
            indicator: col(4, "dc"),
            credit_values: vec!["C".to_owned(), "Bij".to_owned()],
            debit_values: Vec::new(),
        },
        _ => AmountColumns::WithIndicator {
            amount: col(3, "amount"),
            indicator: col(4, "dc"),
            credit_values: vec!["CRDT".to_owned()],
            debit_values: vec!["DBIT".to_owned()],
        },
    };
    CsvMapping {
        name: "fuzz".to_owned(),
        delimiter: match (selector >> 5) & 0x03 {
            0 => None,
            1 => Some(';'),
            2 => Some('\t'),
            _ => Some(','),
        },
        has_header: by_name || selector & 0x80 != 0,
        skip_lines: usize::from((selector >> 6) & 0x01),
        decimal_comma: selector & 0x80 != 0,
        date_format,
        account: ColumnOrFixed::Column(col(1, "account")),
        currency: if selector & 0x10 != 0 {
            ColumnOrFixed::Column(col(2, "currency"))
        } else {
            ColumnOrFixed::Fixed("EUR".to_owned())
        },
        booking_date: col(5, "date"),
        value_date: Some(col(6, "value date")),
        amount,
        counterparty_name: Some(col(7, "name")),
        counterparty_iban: Some(col(8, "iban")),
        counterparty_bic: Some(col(9, "bic")),
        remittance: vec![col(10, "text"), col(11, "text 2")],
        reference: Some(col(12, "reference")),
        end_to_end_id: Some(col(13, "e2e")),
        bank_reference: Some(col(14, "bank reference")),
        transaction_code: Some(col(15, "code")),
        return_reason: Some(col(16, "return")),
        balance_after: Some(col(17, "balance")),
    }
}

/// A statement location names a line (1-based) or a byte offset.
fn check_location(location: Location) {
    if let Location::Line(line) = location {
        assert!(line >= 1, "a location at line 0");
    }
}

/// `Ok` with located statements, entries and warnings, or at least one located problem.
pub fn check_statements(result: &Result<ParsedStatements, StatementError>) {
    match result {
        Ok(parsed) => {
            for statement in &parsed.statements {
                check_location(statement.location);
                for entry in &statement.entries {
                    check_location(entry.location);
                }
            }
            for warning in &parsed.warnings {
                check_location(warning.location);
                let _ = warning.render("fuzz");
            }
        }
        Err(error) => {
            assert!(!error.problems.is_empty(), "a statement error without any problem");
            for problem in &error.problems {
                check_location(problem.location);
                let _ = problem.render("fuzz");
            }
            let _ = error.to_string();
        }
    }
}

/// `Ok`, or an error with at least one problem (every e-invoice problem carries a location).
pub fn check_einvoice(result: &Result<EInvoice, EInvoiceError>) {
    match result {
        Ok(invoice) => {
            let _ = invoice.payable_adds_up();
            let _ = invoice.invoice_pdf();
        }
        Err(error) => {
            assert!(!error.problems.is_empty(), "an e-invoice error without any problem");
            for problem in &error.problems {
                let _ = problem.render("fuzz");
            }
            let _ = error.to_string();
        }
    }
}

/// Every CSV import error and record names a line of the file (1-based).
pub fn check_reading<T>(reading: &Reading<T>) {
    for record in &reading.records {
        assert!(record.line >= 1, "a record at line 0");
    }
    for error in &reading.errors {
        assert!(error.line >= 1, "a CSV error at line 0: {error}");
        let _ = error.with_file("fuzz");
    }
}

/// Form data: the first byte picks the boundary's length (1–8 bytes of `b`); every part read
/// lies within the body.
pub fn multipart(data: &[u8]) {
    let Some((&n, body)) = data.split_first() else { return };
    let boundary = "b".repeat(usize::from(n % 8) + 1);
    if let Ok(parts) = arflow_formats::multipart::parse(body, &boundary) {
        assert!(parts.len() <= arflow_formats::multipart::PARTS_MAX);
        assert!(parts.iter().map(|p| p.data.len()).sum::<usize>() <= body.len());
    }
}
