//! Fuzzing regressions and hostile inputs for every parser of this crate.
//!
//! 1. Every file in `tests/fuzz-regressions/` is replayed through the fuzz target it is named
//!    after (`<target>-<short description>`, target as in `fuzz/Cargo.toml`), with the very
//!    harness the fuzzer runs (`fuzz/fuzz_targets/harness.rs`, included below): no panic, and
//!    `Ok` or an error that says where. Crashers found by `scripts/fuzz` are minimized
//!    (`cargo fuzz tmin -s none <target> <crash file>`) and saved there.
//! 2. Hand-made hostile inputs, built here: deep nesting, huge declared lengths, truncated
//!    archives, fields and quotes that never end, records of the wrong width, object streams that
//!    claim a billion objects. Each must be refused with a located problem. None of them may
//!    hang: the bound on the time is that the test completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../../../fuzz/fuzz_targets/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use arflow_core::date::parse_iso_date;
use arflow_core::money::{Currency, Money};
use arflow_formats::csv::{
    CsvError, CsvOptions, ERRORS_MAX, read_debtors, read_invoices, read_payments,
};
use arflow_formats::einvoice::{self, EInvoiceError};
use arflow_formats::statement::csv_mapped::{self, builtin};
use arflow_formats::statement::{
    Balance, BalanceCheck, Entry, Location, ParsedStatements, Problem, Statement, StatementError,
    StatementFormat, camt, coda, detect, mt940, parse_any,
};

// ---------------------------------------------------------------------------------------------
// helpers

fn regressions_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions"))
}

/// The problems of a refused statement file, each checked to point into the file: a line from
/// 1 on, or a byte offset not past its end.
fn refused(result: Result<ParsedStatements, StatementError>, input: &[u8]) -> Vec<Problem> {
    let error = match result {
        Ok(parsed) => panic!("accepted a hostile input: {} statement(s)", parsed.statements.len()),
        Err(error) => error,
    };
    assert!(!error.problems.is_empty(), "an error without problems");
    for problem in &error.problems {
        match problem.location {
            Location::Line(line) => assert!(line >= 1, "line 0: {problem}"),
            Location::Byte(byte) => {
                assert!(byte <= input.len() as u64, "byte {byte} past the end: {problem}");
            }
        }
    }
    error.problems
}

/// Refused, and the first problem is at `location`.
fn refused_at(
    result: Result<ParsedStatements, StatementError>,
    input: &[u8],
    location: Location,
) -> Vec<Problem> {
    let problems = refused(result, input);
    assert_eq!(problems[0].location, location, "first problem: {}", problems[0]);
    problems
}

/// Refused through `parse_any` as well, with a located problem.
fn refused_by_parse_any(input: &[u8]) -> Vec<Problem> {
    refused(parse_any(input, None), input)
}

/// The error of a refused e-invoice, each problem checked to point into the file (byte offsets)
/// or at a PDF object.
fn invoice_refused(input: &[u8]) -> EInvoiceError {
    let error = match einvoice::parse(input) {
        Ok(invoice) => panic!("accepted a hostile input as invoice {}", invoice.number),
        Err(error) => error,
    };
    assert!(!error.problems.is_empty(), "an error without problems");
    for problem in &error.problems {
        if let einvoice::Location::Byte(byte) = problem.location {
            assert!(byte <= input.len() as u64, "byte {byte} past the end: {problem}");
        }
    }
    error
}

/// The errors of a refused CSV import, each on a line from 1 on, at most [`ERRORS_MAX`] and a
/// last "too many" one.
fn csv_refused(errors: Vec<CsvError>) -> Vec<CsvError> {
    assert!(!errors.is_empty(), "a hostile CSV file was accepted");
    assert!(errors.len() <= ERRORS_MAX + 1, "{} errors", errors.len());
    for error in &errors {
        assert!(error.line >= 1, "line 0: {error}");
    }
    errors
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

/// A small statement with one credit, valid for the CODA and MT940 writers.
fn statement() -> Statement {
    let day = parse_iso_date("2026-01-31").unwrap();
    let entry = Entry {
        booking_date: day,
        value_date: Some(day),
        amount: eur(25_00),
        counterparty_name: Some("A CUSTOMER".to_owned()),
        counterparty_iban: Some("NL91ABNA0417164300".to_owned()),
        counterparty_bic: None,
        reference: None,
        remittance: "Invoice 17".to_owned(),
        end_to_end_id: None,
        bank_reference: None,
        transaction_code: None,
        reversal: false,
        return_reason: None,
        location: Location::Line(1),
    };
    Statement {
        id: Some("001".to_owned()),
        account: "BE68539007547034".to_owned(),
        account_bic: None,
        account_holder: None,
        currency: Currency::EUR,
        opening_balance: Some(Balance { amount: eur(100_00), date: Some(day) }),
        closing_balance: Some(Balance { amount: eur(125_00), date: Some(day) }),
        from_date: Some(day),
        to_date: Some(day),
        entries: vec![entry],
        balance_check: BalanceCheck::Ok,
        location: Location::Line(1),
    }
}

/// The lines of `text` (line ends dropped).
fn text_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// A zip archive of one member, with the sizes its directory declares given separately from
/// the data that is really there.
fn zip(method: u16, compressed: u32, size: u32, data: &[u8]) -> Vec<u8> {
    let name = b"statement.xml";
    let mut out = Vec::new();
    out.extend_from_slice(b"PK\x03\x04");
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&method.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // time, date
    out.extend_from_slice(&0u32.to_le_bytes()); // crc
    out.extend_from_slice(&compressed.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    let directory = out.len() as u32;
    out.extend_from_slice(b"PK\x01\x02");
    out.extend_from_slice(&20u16.to_le_bytes()); // made by
    out.extend_from_slice(&20u16.to_le_bytes()); // needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&method.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // time, date
    out.extend_from_slice(&0u32.to_le_bytes()); // crc
    out.extend_from_slice(&compressed.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name);
    let directory_len = out.len() as u32 - directory;
    out.extend_from_slice(&end_of_directory(1, directory_len, directory));
    out
}

fn end_of_directory(count: u16, len: u32, offset: u32) -> Vec<u8> {
    let mut out = b"PK\x05\x06".to_vec();
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// A PDF of the given indirect objects (`(number, body)`; a body holding `stream` gets its
/// `endstream` from the caller), without a cross-reference table (the reader needs none).
fn pdf(objects: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    for (number, body) in objects {
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    out.extend_from_slice(b"trailer\n<< /Size 10 >>\n%%EOF\n");
    out
}

fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

const CAMT_HEAD: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>"#
);

const UBL_HEAD: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" "#,
    r#"xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" "#,
    r#"xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#
);

// ---------------------------------------------------------------------------------------------
// 1. saved inputs

#[test]
fn every_saved_input_runs_through_its_fuzz_target_without_panicking() {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(regressions_dir())
        .expect("tests/fuzz-regressions is missing")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|name| name != "README.md"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "tests/fuzz-regressions holds no input");
    let mut failures = Vec::new();
    for path in &entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let target = name.split_once('-').map_or("", |(target, _)| target);
        assert!(
            harness::TARGETS.contains(&target),
            "{name}: the name must start with a fuzz target and '-' (one of {:?})",
            harness::TARGETS
        );
        let data = std::fs::read(path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| harness::run(target, &data))).is_err() {
            failures.push(name);
        }
    }
    assert!(failures.is_empty(), "panicked on {failures:?} (the panic messages are above)");
}

// ---------------------------------------------------------------------------------------------
// 2. camt

#[test]
fn camt_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep() {
    let mut xml = CAMT_HEAD.to_owned();
    xml.push_str(&"<Stmt>".repeat(100_000));
    let problems = refused(camt::parse(xml.as_bytes()), xml.as_bytes());
    let Location::Byte(at) = problems[0].location else { panic!("{}", problems[0]) };
    assert!(at >= CAMT_HEAD.len() as u64, "{}", problems[0]);
    refused_by_parse_any(xml.as_bytes());
}

#[test]
fn camt_zip_member_declaring_four_gigabytes_is_refused() {
    let data = format!("{CAMT_HEAD}</BkToCstmrStmt></Document>");
    let archive = zip(0, 0xFFFF_FFF0, 0xFFFF_FFF0, data.as_bytes());
    refused(camt::parse(&archive), &archive);
    refused_by_parse_any(&archive);
}

#[test]
fn camt_zip_member_whose_deflate_data_is_garbage_is_refused() {
    let archive = zip(8, 64, 400_000_000, &[0xFF; 64]);
    refused(camt::parse(&archive), &archive);
}

#[test]
fn camt_truncated_zip_header_is_refused() {
    for cut in [4, 7, 12, 29] {
        let archive = zip(0, 10, 10, b"<Document>");
        let truncated = &archive[..cut];
        refused(camt::parse(truncated), truncated);
        refused_by_parse_any(truncated);
    }
}

#[test]
fn camt_zip_directory_claiming_more_members_than_exist_is_refused() {
    // 9 999 members (under the member limit) declared, none there; then 65 000 (over it).
    for count in [9_999, 65_000] {
        let mut archive = b"PK\x03\x04".to_vec();
        archive.extend_from_slice(&end_of_directory(count, 0, 0));
        refused(camt::parse(&archive), &archive);
    }
    // An archive with no member at all.
    let empty = end_of_directory(0, 0, 0);
    refused(camt::parse(&empty), &empty);
}

#[test]
fn camt_entity_expansion_is_not_performed() {
    let mut xml = String::from(
        r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">"#,
    );
    for level in 1..10 {
        let previous = if level == 1 { "a".to_owned() } else { format!("e{}", level - 1) };
        xml.push_str(&format!("<!ENTITY e{level} \"{}\">", format!("&{previous};").repeat(10)));
    }
    xml.push_str(r#"]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">"#);
    xml.push_str("<BkToCstmrStmt><Stmt><Id>&e9;</Id></Stmt></BkToCstmrStmt></Document>");
    refused(camt::parse(xml.as_bytes()), xml.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// 3. MT940

#[test]
fn mt940_written_statement_is_read_back() {
    let text = mt940::write_mt940(&[statement()]);
    mt940::parse(text.as_bytes()).unwrap();
}

#[test]
fn mt940_field_that_never_ends_is_refused() {
    // The `:86:` of the last entry runs to the end of the file: on one line of 200 000
    // characters, and over 20 000 continuation lines.
    let lines = text_lines(&mt940::write_mt940(&[statement()]));
    let at = lines.iter().position(|l| l.starts_with(":86:")).unwrap();
    let head = lines[..at].join("\r\n");
    let one_line = format!("{head}\r\n:86:{}", "x".repeat(200_000));
    let many_lines = format!("{head}\r\n:86:{}", "0123456789\r\n".repeat(20_000));
    let field_line = Location::Line(u32::try_from(at + 1).unwrap());
    for text in [&one_line, &many_lines] {
        let problems = refused(mt940::parse(text.as_bytes()), text.as_bytes());
        assert!(
            problems.iter().all(|p| matches!(p.location, Location::Line(n) if n <= at as u32 + 1)),
            "{problems:?}"
        );
        refused_by_parse_any(text.as_bytes());
    }
    // Over lines, the field itself is refused, at the line it starts on.
    let problems = refused(mt940::parse(many_lines.as_bytes()), many_lines.as_bytes());
    assert!(problems.iter().any(|p| p.location == field_line), "{problems:?}");
}

#[test]
fn mt940_field_too_long_on_one_line_is_refused_even_inside_a_complete_statement() {
    // Found by reading the code after fuzzing: the limit was checked on continuation lines only.
    let mut lines = text_lines(&mt940::write_mt940(&[statement()]));
    let at = lines.iter().position(|l| l.starts_with(":86:")).unwrap();
    lines[at] = format!(":86:{}", "y".repeat(200_000));
    let text = lines.join("\r\n");
    let field_line = Location::Line(u32::try_from(at + 1).unwrap());
    let problems = refused(mt940::parse(text.as_bytes()), text.as_bytes());
    assert!(problems.iter().any(|p| p.location == field_line), "{problems:?}");
}

#[test]
fn mt940_field_continued_over_fifty_thousand_lines_is_refused() {
    let lines = text_lines(&mt940::write_mt940(&[statement()]));
    let at = lines.iter().position(|l| l.starts_with(":86:")).unwrap();
    let mut text = lines[..=at].join("\n");
    text.push('\n');
    text.push_str(&"more text\n".repeat(50_000));
    text.push_str(&lines[at + 1..].join("\n"));
    refused(mt940::parse(text.as_bytes()), text.as_bytes());
}

#[test]
fn mt940_amount_of_ten_thousand_digits_is_refused_at_its_line() {
    let text = format!(
        ":20:X\n:25:NL91ABNA0417164300\n:28C:7/1\n:60F:C260130EUR10,00\n\
         :61:2601310131C{},00NTRFNONREF\n:86:/REMI/Invoice/\n:62F:C260131EUR12,50\n",
        "9".repeat(10_000)
    );
    let problems = refused(mt940::parse(text.as_bytes()), text.as_bytes());
    assert!(problems.iter().any(|p| p.location == Location::Line(5)), "{problems:?}");
}

#[test]
fn mt940_swift_block_that_never_closes_is_refused() {
    let text = format!("{{1:F01ABNANL2AXXXX0000000000}}{{2:O940{}", "{".repeat(100_000));
    refused(mt940::parse(text.as_bytes()), text.as_bytes());
    refused_by_parse_any(text.as_bytes());
    let text = format!(":20:X\n:25:NL91ABNA0417164300\n:{}", "2".repeat(100_000));
    refused(mt940::parse(text.as_bytes()), text.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// 4. CODA

#[test]
fn coda_written_statement_is_read_back() {
    let text = coda::write_coda(&[statement()]);
    assert!(text_lines(&text).iter().all(|l| l.chars().count() == coda::RECORD_CHARS));
    coda::parse(text.as_bytes()).unwrap();
}

#[test]
fn coda_record_of_129_characters_is_refused_at_its_line() {
    let lines = text_lines(&coda::write_coda(&[statement()]));
    for at in 0..lines.len() {
        let mut broken = lines.clone();
        broken[at].push('X');
        let text = broken.join("\n");
        let line = Location::Line(u32::try_from(at + 1).unwrap());
        let problems = refused(coda::parse(text.as_bytes()), text.as_bytes());
        assert!(problems.iter().any(|p| p.location == line), "record {at}: {problems:?}");
    }
}

#[test]
fn coda_record_of_127_characters_is_refused_at_its_line() {
    // A character lost in the middle shifts the rest of the record: the header's version
    // (position 128) is gone, the balance record's amount moves.
    let lines = text_lines(&coda::write_coda(&[statement()]));
    for (at, first) in [(0usize, "0"), (1, "1")] {
        assert!(lines[at].starts_with(first));
        let mut broken = lines.clone();
        broken[at].remove(50);
        assert_eq!(broken[at].chars().count(), 127);
        let text = broken.join("\r\n");
        let line = Location::Line(u32::try_from(at + 1).unwrap());
        let problems = refused(coda::parse(text.as_bytes()), text.as_bytes());
        assert!(problems.iter().any(|p| p.location == line), "record {at}: {problems:?}");
        refused_by_parse_any(text.as_bytes());
    }
}

#[test]
fn coda_header_alone_and_a_million_blank_lines_are_refused() {
    let lines = text_lines(&coda::write_coda(&[statement()]));
    let header_only = format!("{}\n", lines[0]);
    assert_eq!(detect(header_only.as_bytes()), Some(StatementFormat::Coda));
    refused(coda::parse(header_only.as_bytes()), header_only.as_bytes());
    refused_by_parse_any(header_only.as_bytes());
    let blank = format!("{}{}", lines[0], "\n".repeat(1_000_000));
    refused(coda::parse(blank.as_bytes()), blank.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// 5. CSV statements (mapped)

const ING_HEADER: &str = "\"Datum\";\"Naam / Omschrijving\";\"Rekening\";\"Tegenrekening\";\
                          \"Code\";\"Af Bij\";\"Bedrag (EUR)\";\"Mutatiesoort\";\"Mededelingen\"\n";

#[test]
fn csv_statement_unterminated_quote_is_refused_at_the_line_it_opens() {
    let text = format!("{ING_HEADER}\"20260302\";\"Klant{}", "x".repeat(100_000));
    let mapping = builtin("ing-nl").unwrap();
    refused_at(csv_mapped::parse(text.as_bytes(), &mapping), text.as_bytes(), Location::Line(2));
}

#[test]
fn csv_statement_amount_of_five_thousand_digits_is_refused_at_its_line() {
    let text = format!(
        "{ING_HEADER}\"20260302\";\"Klant BV\";\"NL20INGB0001234567\";\"\";\"GT\";\"Bij\";\
         \"{},00\";\"\";\"\"\n",
        "9".repeat(5_000)
    );
    let mapping = builtin("ing-nl").unwrap();
    refused_at(csv_mapped::parse(text.as_bytes(), &mapping), text.as_bytes(), Location::Line(2));
}

#[test]
fn csv_statement_header_of_a_hundred_thousand_columns_is_refused() {
    let text = format!("{}\n", "\"Datum\",".repeat(100_000));
    let mapping = builtin("rabobank-nl").unwrap();
    refused(csv_mapped::parse(text.as_bytes(), &mapping), text.as_bytes());
}

#[test]
fn csv_statement_broken_date_formats_are_refused_on_line_1() {
    for format in ["%", "%Q", "%Y%Y%Y%Y", "", &"%d".repeat(10_000)] {
        let mapping = harness::custom_mapping(2, format.to_owned());
        let text = b"NL91ABNA0417164300;EUR;1.00\n";
        let problems = refused(csv_mapped::parse(text, &mapping), text);
        assert!(problems.iter().all(|p| p.location == Location::Line(1)), "{problems:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. CSV import (debtors, invoices, payments)

#[test]
fn csv_import_unterminated_quote_is_refused_at_the_line_it_opens() {
    let text = format!("date,amount,currency\n2026-01-01,\"12{}", "3".repeat(100_000));
    let errors = csv_refused(read_payments(text.as_bytes(), &CsvOptions::default()).errors);
    assert_eq!(errors[0].line, 2, "{errors:?}");
    let errors = csv_refused(read_invoices(text.as_bytes(), &CsvOptions::default()).errors);
    assert!(errors.iter().all(|e| e.line <= 2), "{errors:?}");
}

#[test]
fn csv_import_header_repeating_one_column_fifty_thousand_times_is_refused_on_line_1() {
    let text = format!("{}\n", "number,".repeat(50_000));
    let errors = csv_refused(read_debtors(text.as_bytes(), &CsvOptions::default()).errors);
    assert!(errors.iter().all(|e| e.line == 1), "{:?}", &errors[..3]);
}

#[test]
fn csv_import_a_hundred_thousand_bad_rows_give_a_bounded_list() {
    let text = format!("date,amount\n{}", "not a date,x\n".repeat(100_000));
    csv_refused(read_payments(text.as_bytes(), &CsvOptions::default()).errors);
}

#[test]
fn csv_import_cell_of_a_megabyte_is_refused() {
    let text = format!("number,name\nD1,{}\n", "n".repeat(1 << 20));
    let errors = csv_refused(read_debtors(text.as_bytes(), &CsvOptions::default()).errors);
    assert!(errors.iter().any(|e| e.line == 2), "{errors:?}");
}

// ---------------------------------------------------------------------------------------------
// 7. e-invoices (XML and PDF)

#[test]
fn einvoice_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep() {
    let mut xml = UBL_HEAD.to_owned();
    xml.push_str(&"<cac:InvoiceLine>".repeat(100_000));
    let error = invoice_refused(xml.as_bytes());
    let einvoice::Location::Byte(at) = error.problems[0].location else { panic!("{error}") };
    assert!(at >= UBL_HEAD.len() as u64, "{error}");
}

#[test]
fn einvoice_unknown_encoding_and_truncated_xml_are_refused() {
    invoice_refused(b"<?xml version=\"1.0\" encoding=\"x-no-such\"?><Invoice/>");
    let cut = &UBL_HEAD.as_bytes()[..UBL_HEAD.len() - 20];
    invoice_refused(cut);
    invoice_refused(b"\xFF\xFE<\0I\0");
}

#[test]
fn einvoice_pdf_object_stream_claiming_a_billion_objects_is_refused() {
    // The object stream says it holds 1e9 objects; it holds one file specification, whose
    // embedded file (object 9) does not exist, and then a long list of bogus offsets.
    let mut inner = b"2 0 ".to_vec();
    inner.extend_from_slice(&b"3 999999999 ".repeat(200_000));
    let first = inner.len();
    inner.extend_from_slice(b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 9 0 R >> >>");
    let dict = format!("/Type /ObjStm /N 1000000000 /First {first}");
    let file = pdf(&[(1, b"<< /Type /Catalog >>".to_vec()), (5, stream_object(&dict, &inner))]);
    let error = invoice_refused(&file);
    assert!(
        error.problems.iter().any(|p| p.location == einvoice::Location::PdfObject(5)),
        "{error}"
    );
}

#[test]
fn einvoice_pdf_stream_declaring_a_huge_length_is_refused() {
    let mut body = b"<< /Type /EmbeddedFile /Length 99999999999999 >>\nstream\n".to_vec();
    body.extend_from_slice(UBL_HEAD.as_bytes());
    let file = pdf(&[(1, b"<< /Type /Catalog >>".to_vec()), (7, body)]);
    invoice_refused(&file);
}

#[test]
fn einvoice_pdf_with_garbage_flate_data_or_deep_arrays_is_refused() {
    let garbage = stream_object("/Type /EmbeddedFile /Filter /FlateDecode", &[0xAB; 4096]);
    let spec = b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 7 0 R >> >>".to_vec();
    invoice_refused(&pdf(&[(6, spec), (7, garbage)]));
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    invoice_refused(&pdf(&[(1, deep)]));
    let dicts = "<< /A ".repeat(100_000).into_bytes();
    invoice_refused(&pdf(&[(1, dicts)]));
}

#[test]
fn einvoice_truncated_pdf_is_refused() {
    let mut body = b"<< /Type /EmbeddedFile /Length 5000 >>\nstream\n".to_vec();
    body.extend_from_slice(&UBL_HEAD.as_bytes()[..60]);
    let mut file = b"%PDF-1.7\n1 0 obj\n".to_vec();
    file.extend_from_slice(&body);
    invoice_refused(&file);
    invoice_refused(b"%PDF-");
}

// ---------------------------------------------------------------------------------------------
// 8. detection

#[test]
fn detection_of_hostile_inputs_never_accepts_them() {
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b" \n\t".repeat(10_000),
        b"\xEF\xBB\xBF".to_vec(),
        b"PK\x03\x04".to_vec(),
        b"0000".repeat(1_000),
        format!("0000{}\n", "9".repeat(124)).into_bytes(),
        format!("{}:20:X\n:25:Y\n", " ".repeat(5_000)).into_bytes(),
        format!("<{}camt.053", "x".repeat(5_000)).into_bytes(),
        b"{1:".to_vec(),
    ];
    for input in cases {
        refused_by_parse_any(&input);
    }
}
