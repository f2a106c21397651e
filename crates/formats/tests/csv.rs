//! The CSV import and export rules, one sentence per test. Users read the same rules in
//! `docs/import-formats.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use arflow_core::date::{Date, add_days};
use arflow_core::ledger::{Invoice, InvoiceKind, Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language,
};
use arflow_core::reference::ReferenceScheme;
use arflow_formats::csv::{
    CsvError, CsvOptions, ERRORS_MAX, parse_debtors, parse_invoices, parse_payments, read_invoices,
    write_debtors, write_invoices, write_payments,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// helpers

fn opts() -> CsvOptions {
    CsvOptions::default()
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn date(text: &str) -> Date {
    arflow_core::date::parse_iso_date(text).unwrap()
}

/// The errors of a file that must be refused, as display strings.
fn errors_of(result: Result<impl std::fmt::Debug, Vec<CsvError>>) -> Vec<String> {
    match result {
        Ok(records) => panic!("expected errors, got {records:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn invoices(text: &str) -> Vec<Invoice> {
    parse_invoices(text.as_bytes(), &opts())
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .into_iter()
        .map(|p| p.record.invoice)
        .collect()
}

fn debtors(text: &str) -> Vec<Debtor> {
    parse_debtors(text.as_bytes(), &opts())
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .into_iter()
        .map(|p| p.record)
        .collect()
}

fn payments(text: &str) -> Vec<Payment> {
    parse_payments(text.as_bytes(), &opts())
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .into_iter()
        .map(|p| p.record)
        .collect()
}

const INVOICE_HEADER: &str = "number,debtor_number,issue_date,due_date,amount\n";

// ---------------------------------------------------------------------------------------------
// headers

#[test]
fn headers_match_in_any_order_whatever_their_case_and_surrounding_spaces() {
    let file =
        " Amount ,DUE_DATE,number , Debtor_Number,issue_date\n121.00,2026-02-04,F1,D1,2026-01-05\n";
    let got = invoices(file);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].number, "F1");
    assert_eq!(got[0].debtor_number, "D1");
    assert_eq!(got[0].amount, eur(12_100));
    assert_eq!(got[0].due_date, date("2026-02-04"));
}

#[test]
fn an_unknown_column_is_an_error_naming_it_so_typos_are_caught() {
    let file = "number,debtor_number,issue_date,due_date,amount,descripton\n";
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        ["1: column descripton: unknown column; known columns are: number, debtor_number, \
          issue_date, due_date, amount, currency, amount_excl_vat, payment_reference, \
          description, external_id, credits_invoice"]
    );
}

#[test]
fn each_missing_required_column_is_one_error_on_line_1() {
    let file = "number,debtor_number,amount\nF1,D1,10\nF2,D1,20\n";
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "1: column issue_date: required column is missing",
            "1: column due_date: required column is missing"
        ]
    );
}

#[test]
fn a_column_given_twice_or_without_a_name_is_refused() {
    let file = "number,name,Name,\n";
    assert_eq!(
        errors_of(parse_debtors(file.as_bytes(), &opts())),
        [
            "1: column name: column appears twice (fields 2 and 3)",
            "1: field 4 of the header has no column name"
        ]
    );
}

#[test]
fn an_empty_file_is_refused_and_a_header_alone_has_no_records() {
    assert_eq!(
        errors_of(parse_payments(b"", &opts())),
        ["1: file is empty; expected a header line with at least: date,amount"]
    );
    assert_eq!(errors_of(parse_payments(b"\n \n", &opts())).len(), 1);
    assert_eq!(parse_payments(b"date,amount\n", &opts()).unwrap(), vec![]);
}

// ---------------------------------------------------------------------------------------------
// encoding, delimiters, quoting, lines

#[test]
fn a_utf8_byte_order_mark_is_skipped() {
    let file = "\u{feff}number,name\nD1,Café Noir\n";
    let got = debtors(file);
    assert_eq!(got[0].number, "D1");
    assert_eq!(got[0].name, "Café Noir");
}

#[test]
fn a_latin1_file_is_refused_with_the_line() {
    let file = b"number,name\nD1,Caf\xe9 Noir\nD2,Caf\xe9 Blanc\n";
    let errors = parse_debtors(file, &opts()).unwrap_err();
    assert_eq!(errors.len(), 1, "one error for the file, not one per row: {errors:?}");
    assert_eq!(errors[0].line, 2);
    assert_eq!(
        errors[0].with_file("debtors.csv"),
        "debtors.csv:2: value 'D1,Caf\\xE9': invalid byte at offset 18: file is not UTF-8; \
         save it as UTF-8 (CSV UTF-8)"
    );
}

#[test]
fn a_utf16_file_is_refused_saying_so() {
    let file: Vec<u8> = "\u{feff}number,name\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(
        errors_of(parse_debtors(&file, &opts())),
        [
            "1: value '\\xFF': file is not UTF-8 but UTF-16 (\"Unicode text\"); save it as UTF-8 (CSV UTF-8)"
        ]
    );
}

#[test]
fn crlf_and_lf_line_endings_both_work() {
    let lf = "number,name\nD1,A\nD2,B\n";
    let crlf = "number,name\r\nD1,A\r\nD2,B\r\n";
    assert_eq!(debtors(lf), debtors(crlf));
    let lines: Vec<u64> =
        parse_debtors(crlf.as_bytes(), &opts()).unwrap().iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3]);
}

#[test]
fn empty_lines_and_rows_of_only_delimiters_are_skipped_and_lines_still_count() {
    let file = "\nnumber;name\n\nD1;A\n;\n  ;  \nD2;B\n\n";
    let parsed = parse_debtors(file.as_bytes(), &opts()).unwrap();
    let lines: Vec<u64> = parsed.iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 7]);
}

#[test]
fn a_row_with_the_wrong_number_of_fields_names_expected_and_found() {
    let file = format!(
        "{INVOICE_HEADER}F1,D1,2026-01-05,2026-02-04,10\nF2,D1,2026-01-05,121\nF3,D1,2026-01-05,2026-02-04,12,50\n"
    );
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "3: expected 5 fields as in the header, found 4; a cell containing the delimiter must be quoted",
            "4: expected 5 fields as in the header, found 6; a cell containing the delimiter must be quoted",
        ]
    );
}

#[test]
fn quoted_cells_hold_delimiters_quotes_and_line_breaks_as_in_rfc_4180() {
    let file = "number,debtor_number,issue_date,due_date,amount,description\n\
                F1,D1,2026-01-05,2026-02-04,\"1234,50\",\"Werk, \"\"spoed\"\"\nen materiaal\"\n\
                F2,D1,2026-01-05,2026-02-04,1,x\n";
    let parsed = parse_invoices(file.as_bytes(), &opts()).unwrap();
    let first = &parsed[0].record.invoice;
    assert_eq!(first.amount, eur(123_450));
    assert_eq!(first.description.as_deref(), Some("Werk, \"spoed\"\nen materiaal"));
    assert_eq!(parsed[1].line, 4, "a record's line is the line it starts on");
}

#[test]
fn a_semicolon_file_with_decimal_commas_is_read() {
    let file = "number;debtor_number;issue_date;due_date;amount;amount_excl_vat\n\
                F1;D1;2026-01-05;2026-02-04;1210,00;1000\n\
                F2;D1;2026-01-05;2026-02-04;-12,5;\n";
    let got = invoices(file);
    assert_eq!(got[0].amount, eur(121_000));
    assert_eq!(got[0].amount_excl_vat, Some(eur(100_000)));
    assert_eq!(got[1].amount, eur(-1250));
    assert_eq!(got[1].kind, InvoiceKind::CreditNote);
}

#[test]
fn a_header_with_both_commas_and_semicolons_means_a_comma_file() {
    let file = "number,name;x\n";
    assert_eq!(
        errors_of(parse_debtors(file.as_bytes(), &opts()))[0],
        "1: column name;x: unknown column; known columns are: number, name, kind, country, \
         language, email, reminder_email, phone, mobile, vat_number, enterprise_number, iban, \
         street, postal_code, city, address_country, segment, owner, credit_limit"
    );
}

#[test]
fn control_characters_and_overlong_cells_are_refused() {
    let long = "x".repeat(5000);
    let file = format!("number,name\nD1,A\u{0}B\nD2,{long}\nD3,tab\tis fine\n");
    let errors = errors_of(parse_debtors(file.as_bytes(), &opts()));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0], "2: column name: value 'A\\0B': contains the control character U+0000");
    assert!(errors[1].starts_with("3: column name: value 'xxxx"), "{}", errors[1]);
    assert!(errors[1].ends_with("…': longer than 4096 bytes (5000 bytes)"), "{}", errors[1]);
}

// ---------------------------------------------------------------------------------------------
// collecting errors and limits

#[test]
fn a_file_with_one_bad_row_is_rejected_whole_listing_every_error() {
    let file = format!(
        "{INVOICE_HEADER}F1,D1,2026-01-05,2026-02-04,10\n\
         F2,,05-01-2026,2026-02-30,12.345\n\
         F3,D1,2026-01-05,2026-02-04,30\n"
    );
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "3: column debtor_number: required, must not be empty",
            "3: column issue_date: value '05-01-2026': expected an ISO date YYYY-MM-DD, like 2026-03-31",
            "3: column due_date: value '2026-02-30': no such day in the calendar",
            "3: column amount: value '12.345': more than 2 decimals for EUR",
        ]
    );
}

#[test]
fn errors_stop_after_a_thousand_with_one_final_too_many_errors_entry() {
    let mut file = String::from("number,name\n");
    for i in 0..1500 {
        file.push_str(&format!("D{i},\n"));
    }
    let errors = parse_debtors(file.as_bytes(), &opts()).unwrap_err();
    assert_eq!(errors.len(), ERRORS_MAX + 1);
    assert_eq!(errors[ERRORS_MAX - 1].line, 1001);
    assert_eq!(
        errors[ERRORS_MAX].to_string(),
        "1002: too many errors: stopped after 1000; fix these and import again"
    );
}

#[test]
fn more_data_rows_than_lines_max_is_an_error() {
    let options = CsvOptions { lines_max: 2, ..CsvOptions::default() };
    let ok = "number,name\nD1,A\n\nD2,B\n";
    assert_eq!(parse_debtors(ok.as_bytes(), &options).unwrap().len(), 2);
    let too_many = "number,name\nD1,A\nD2,B\nD3,C\nD4,D\n";
    assert_eq!(
        errors_of(parse_debtors(too_many.as_bytes(), &options)),
        ["4: more than 2 data rows, the most one file may have; split the file"]
    );
}

#[test]
fn an_error_reads_line_column_value_reason_and_leaves_out_empty_parts() {
    let full =
        CsvError { line: 7, column: "amount".into(), value: "1,234.5".into(), reason: "r".into() };
    assert_eq!(full.to_string(), "7: column amount: value '1,234.5': r");
    assert_eq!(full.with_file("f.csv"), "f.csv:7: column amount: value '1,234.5': r");
    let bare =
        CsvError { line: 3, column: String::new(), value: String::new(), reason: "r".into() };
    assert_eq!(bare.with_file("f.csv"), "f.csv:3: r");
}

// ---------------------------------------------------------------------------------------------
// debtors

#[test]
fn debtor_defaults_are_business_the_organisation_country_and_a_language_by_country() {
    let file = "number,name,country\nD1,Bakker,\nD2,Dupont,be\nD3,Schmidt,DE\n";
    let options = CsvOptions { default_country: CountryCode::BE, ..CsvOptions::default() };
    let got: Vec<Debtor> =
        parse_debtors(file.as_bytes(), &options).unwrap().into_iter().map(|p| p.record).collect();
    assert_eq!(got[0].kind, DebtorKind::Business);
    assert_eq!(got[0].country, CountryCode::BE, "an empty country is the organisation's");
    assert_eq!(got[0].language, Language::Nl);
    assert_eq!(got[1].country, CountryCode::BE);
    assert_eq!(got[1].language, Language::Nl);
    assert_eq!(got[2].language, Language::En, "outside NL and BE the default is English");
    assert_eq!(got[2].address, Address::default());
    let no_column = debtors("number,name\nD1,Bakker\n");
    assert_eq!(no_column[0].country, CountryCode::NL);
}

#[test]
fn contacts_get_the_purpose_of_their_column_and_the_first_email_is_for_billing() {
    let file = "number,name,email,reminder_email,phone,mobile\n\
                D1,Bakker,a@bakker.nl|b@bakker.nl,c@bakker.nl,020-1234567,06 12345678;+31 6 87654321\n";
    let d = &debtors(file)[0];
    let contact = |value: &str, purpose| Contact { value: value.into(), purpose };
    assert_eq!(
        d.emails,
        [
            contact("a@bakker.nl", ContactPurpose::Billing),
            contact("b@bakker.nl", ContactPurpose::General),
            contact("c@bakker.nl", ContactPurpose::Reminders),
        ]
    );
    assert_eq!(
        d.phones,
        [
            contact("020-1234567", ContactPurpose::General),
            contact("06 12345678", ContactPurpose::Mobile),
            contact("+31 6 87654321", ContactPurpose::Mobile),
        ]
    );
}

#[test]
fn multi_valued_cells_split_on_pipes_and_on_semicolons_only_in_comma_files() {
    let comma = "number,name,segment\nD1,A, retail ; food|| export \n";
    assert_eq!(debtors(comma)[0].segments, ["retail", "food", "export"]);
    let semicolon = "number;name;segment\nD1;A;\"retail;food\"|export\n";
    assert_eq!(debtors(semicolon)[0].segments, ["retail;food", "export"]);
    let glued = "number;name;email\nD1;A;\"a@x.nl;b@x.nl\"\n";
    assert_eq!(
        errors_of(parse_debtors(glued.as_bytes(), &opts())),
        [
            "2: column email: value 'a@x.nl;b@x.nl': one e-mail address per value; separate several with |"
        ]
    );
}

#[test]
fn bad_debtor_cells_are_each_named() {
    let file = "number,name,kind,country,language,email,phone,credit_limit,address_country\n\
                D1,A,company,Nederland,es,info(at)a.nl,call me,-5,N\n";
    assert_eq!(
        errors_of(parse_debtors(file.as_bytes(), &opts())),
        [
            "2: column kind: value 'company': expected one of: business, consumer",
            "2: column country: value 'Nederland': expected a two-letter ISO 3166 country code, like NL or BE",
            "2: column language: value 'es': expected one of: nl, fr, en, de",
            "2: column email: value 'info(at)a.nl': not an e-mail address",
            "2: column phone: value 'call me': not a phone number (6 to 20 digits, optionally a leading +)",
            "2: column address_country: value 'N': expected a two-letter ISO 3166 country code, like NL or BE",
            "2: column credit_limit: value '-5': a credit limit cannot be negative",
        ]
    );
}

#[test]
fn duplicate_debtor_numbers_in_one_file_name_the_first_line() {
    let file = "number,name\nD1,A\nD2,B\nD1,C\n";
    assert_eq!(
        errors_of(parse_debtors(file.as_bytes(), &opts())),
        ["4: column number: value 'D1': duplicate number; first on line 2"]
    );
}

#[test]
fn debtor_text_fields_are_trimmed_and_kept() {
    let file = "number,name,vat_number,enterprise_number,street,postal_code,city,address_country,owner,credit_limit\n\
                D1 , Brasserie De Gouden Leeuw BV ,BE0412345614,0412.345.614,Korenmarkt 16,9000,Gent,be,pieter@x.be,7500\n";
    let d = &debtors(file)[0];
    assert_eq!(d.number, "D1");
    assert_eq!(d.name, "Brasserie De Gouden Leeuw BV");
    assert_eq!(d.vat_number.as_deref(), Some("BE0412345614"));
    assert_eq!(d.enterprise_number.as_deref(), Some("0412345614"));
    assert_eq!(d.address.city.as_deref(), Some("Gent"));
    assert_eq!(d.address.country, Some(CountryCode::BE));
    assert_eq!(d.owner.as_deref(), Some("pieter@x.be"));
    assert_eq!(d.credit_limit, Some(eur(750_000)));
}

#[test]
fn belgian_and_dutch_vat_and_enterprise_numbers_are_checked_and_stored_canonically() {
    let file = "number,name,vat_number,enterprise_number\n\
                D1,A,be 0412.345.614,BE0412345614\n\
                D2,B,nl129045615b01,\n\
                D3,C,de 813650427,\n";
    let got = debtors(file);
    assert_eq!(got[0].vat_number.as_deref(), Some("BE0412345614"));
    assert_eq!(got[0].enterprise_number.as_deref(), Some("0412345614"));
    assert_eq!(got[1].vat_number.as_deref(), Some("NL129045615B01"));
    assert_eq!(got[2].vat_number.as_deref(), Some("DE813650427"), "foreign numbers are kept");
    let bad = "number,name,vat_number,enterprise_number\n\
               D1,A,BE0412345615,0412.345.615\n\
               D2,B,0412345614,\n";
    let errors = errors_of(parse_debtors(bad.as_bytes(), &opts()));
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0]
            .starts_with("2: column vat_number: value 'BE0412345615': not a valid VAT number: ")
    );
    assert!(errors[1].starts_with(
        "2: column enterprise_number: value '0412.345.615': not a valid Belgian enterprise number: "
    ));
    assert!(
        errors[2].starts_with("3: column vat_number: value '0412345614': not a valid VAT number: ")
    );
}

#[test]
fn debtors_obey_the_same_length_limits_as_through_the_api() {
    let long_number = "D".repeat(65);
    let file = format!("number,name\n{long_number},A\n");
    assert_eq!(
        errors_of(parse_debtors(file.as_bytes(), &opts())),
        [format!("2: column number: value '{long_number}': the number must be 1-64 characters")]
    );
}

/// Depends on `arflow_core::ident::parse_iban`.
#[test]
fn debtor_ibans_are_validated_and_stored_in_electronic_form() {
    let file = "number,name,iban\nD1,A,nl91 abna 0417 1643 00|BE68 5390 0754 7034\n";
    assert_eq!(debtors(file)[0].ibans, ["NL91ABNA0417164300", "BE68539007547034"]);
    let bad = "number,name,iban\nD1,A,NL91ABNA0417164301\n";
    let errors = errors_of(parse_debtors(bad.as_bytes(), &opts()));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("2: column iban: value 'NL91ABNA0417164301': not a valid IBAN"),
        "{}",
        errors[0]
    );
}

// ---------------------------------------------------------------------------------------------
// invoices

#[test]
fn a_negative_amount_makes_a_credit_note() {
    let file = "number,debtor_number,issue_date,due_date,amount,credits_invoice\n\
                F1,D1,2026-01-05,2026-02-04,121.00,\n\
                C1,D1,2026-01-06,2026-01-06,-21.00,F1\n";
    let got = invoices(file);
    assert_eq!(got[0].kind, InvoiceKind::Invoice);
    assert_eq!(got[1].kind, InvoiceKind::CreditNote);
    assert_eq!(got[1].amount, eur(-2100));
    assert_eq!(got[1].credits_invoice.as_deref(), Some("F1"));
}

#[test]
fn only_a_credit_note_can_credit_an_invoice() {
    let file = "number,debtor_number,issue_date,due_date,amount,credits_invoice\n\
                F2,D1,2026-01-05,2026-02-04,121.00,F1\n\
                C1,D1,2026-01-05,2026-02-04,-1,C1\n";
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "2: column credits_invoice: value 'F1': only a credit note (a negative amount) can credit an invoice",
            "3: column credits_invoice: value 'C1': a credit note cannot credit itself",
        ]
    );
}

#[test]
fn duplicate_invoice_numbers_in_one_file_name_the_first_line() {
    let file = format!(
        "{INVOICE_HEADER}2026-0001,D1,2026-01-05,2026-02-04,10\n\
         2026-0002,D1,2026-01-05,2026-02-04,10\n\
         2026-0001,D2,2026-01-05,2026-02-04,20\n"
    );
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        ["4: column number: value '2026-0001': duplicate number; first on line 2"]
    );
}

#[test]
fn an_empty_currency_is_the_default_and_an_unknown_one_is_named() {
    let file = "number,debtor_number,issue_date,due_date,amount,currency\n\
                F1,D1,2026-01-05,2026-02-04,10,\n\
                F2,D1,2026-01-05,2026-02-04,150,jpy\n";
    let usd = CsvOptions { default_currency: Currency::parse("USD").unwrap(), ..opts() };
    let got = parse_invoices(file.as_bytes(), &usd).unwrap();
    assert_eq!(got[0].record.invoice.currency().code(), "USD");
    assert_eq!(
        got[1].record.invoice.amount,
        Money::from_minor(150, Currency::parse("JPY").unwrap())
    );
    let bad = "number,debtor_number,issue_date,due_date,amount,currency\n\
               F1,D1,2026-01-05,2026-02-04,10.555,XYZ\n";
    assert_eq!(
        errors_of(parse_invoices(bad.as_bytes(), &opts())),
        ["2: column currency: value 'XYZ': currency XYZ is not supported"],
        "the amount is not judged against an unknown currency"
    );
}

#[test]
fn amounts_with_too_many_decimals_or_thousands_separators_are_refused_clearly() {
    let file = format!(
        "{INVOICE_HEADER}F1,D1,2026-01-05,2026-02-04,12.345\n\
         F2,D1,2026-01-05,2026-02-04,\"1,234.50\"\n\
         F3,D1,2026-01-05,2026-02-04,1.234\n\
         F4,D1,2026-01-05,2026-02-04,€ 12\n\
         F5,D1,2026-01-05,2026-02-04,\"1,234\"\n\
         F6,D1,2026-01-05,2026-02-04,12.5\n"
    );
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "2: column amount: value '12.345': more than 2 decimals for EUR",
            "3: column amount: value '1,234.50': ambiguous separators: use '.' as the decimal separator and no thousands separators",
            "4: column amount: value '1.234': more than 2 decimals for EUR",
            "5: column amount: value '€ 12': not an amount; write it like 1234.56 or -25.00",
            "6: column amount: value '1,234': ambiguous separators: use '.' as the decimal separator and no thousands separators",
        ]
    );
}

#[test]
fn dates_must_be_strict_iso_and_the_due_date_not_before_the_issue_date() {
    let file = format!(
        "{INVOICE_HEADER}F1,D1,2026-1-5,2026-02-04,10\n\
         F2,D1,2026-02-05,2026-02-04,10\n\
         F3,D1,05/01/2026,2026-02-04,10\n"
    );
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "2: column issue_date: value '2026-1-5': expected an ISO date YYYY-MM-DD, like 2026-03-31",
            "3: column due_date: value '2026-02-04': due date 2026-02-04 is before issue date 2026-02-05",
            "4: column issue_date: value '05/01/2026': expected an ISO date YYYY-MM-DD, like 2026-03-31",
        ]
    );
}

#[test]
fn a_zero_amount_and_an_excluding_vat_amount_larger_than_the_total_are_refused() {
    let file = "number,debtor_number,issue_date,due_date,amount,amount_excl_vat\n\
                F1,D1,2026-01-05,2026-02-04,0.00,\n\
                F2,D1,2026-01-05,2026-02-04,121.00,150\n\
                F3,D1,2026-01-05,2026-02-04,-121.00,100\n";
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        [
            "2: column amount: value '0.00': amount is zero; an invoice needs a positive amount, a credit note a negative one",
            "3: column amount_excl_vat: value '150': amount excluding VAT 150.00 exceeds the amount 121.00 in absolute value or has the other sign",
            "4: column amount_excl_vat: value '100': amount excluding VAT 100.00 exceeds the amount -121.00 in absolute value or has the other sign",
        ]
    );
}

#[test]
fn an_invalid_payment_reference_is_refused_telling_to_leave_it_empty() {
    let file = "number,debtor_number,issue_date,due_date,amount,payment_reference\n\
                F1,D1,2026-01-05,2026-02-04,10,+++123/4567/89003+++\n";
    assert_eq!(
        errors_of(parse_invoices(file.as_bytes(), &opts())),
        ["2: column payment_reference: value '+++123/4567/89003+++': not a valid payment \
          reference (OGM, RF or betalingskenmerk); leave it empty to have one generated"]
    );
}

/// Depends on `arflow_core::reference::check`.
#[test]
fn a_valid_payment_reference_is_stored_normalized_with_its_scheme() {
    let file = "number,debtor_number,issue_date,due_date,amount,payment_reference\n\
                F1,D1,2026-01-05,2026-02-04,10,+++123/4567/89002+++\n\
                F2,D1,2026-01-05,2026-02-04,10,rf18 5390 0754 7034\n\
                F3,D1,2026-01-05,2026-02-04,10,5000 0567 8901 2345\n\
                F4,D1,2026-01-05,2026-02-04,10,\n";
    let got = parse_invoices(file.as_bytes(), &opts()).unwrap();
    let refs: Vec<_> = got
        .iter()
        .map(|p| (p.record.invoice.payment_reference.as_deref(), p.record.reference_scheme))
        .collect();
    assert_eq!(
        refs,
        [
            (Some("123456789002"), Some(ReferenceScheme::Ogm)),
            (Some("RF18539007547034"), Some(ReferenceScheme::Rf)),
            (Some("5000056789012345"), Some(ReferenceScheme::Nl)),
            (None, None),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// payments

#[test]
fn a_payment_without_external_id_gets_a_csv_fingerprint_and_source_csv() {
    let got = payments("date,amount\n2026-01-05,12.5\n");
    assert_eq!(got[0].source, PaymentSource::Csv);
    assert_eq!(got[0].amount, eur(1250));
    // fingerprint(["2026-01-05", "12.50", "EUR", "", "", "", "", "1"]): amounts are normalized,
    // so "12.5" and "12,50" are the same row.
    assert_eq!(got[0].external_id, "csv:60935dea0b5dac7d4bde677ce16d5bc5");
    assert_eq!(payments("date;amount\n2026-01-05;12,50\n")[0].external_id, got[0].external_id);
}

#[test]
fn two_identical_payment_rows_are_two_payments_and_a_reimport_gives_the_same_ids() {
    let file = "date,amount,reference,counterparty_name\n\
                2026-02-03,50.00,factuur 12,J. de Boer\n\
                2026-02-03,50.00,factuur 12,J. de Boer\n\
                2026-02-03,50.00,factuur 13,J. de Boer\n";
    let first = payments(file);
    let ids: Vec<&str> = first.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "{ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("csv:") && id.len() == 36));
    assert_eq!(payments(file), first);
    let mut exported = Vec::new();
    write_payments(&mut exported, &first).unwrap();
    assert_eq!(payments(std::str::from_utf8(&exported).unwrap()), first);
}

#[test]
fn a_given_external_id_is_kept_and_may_not_repeat_within_the_file() {
    let file = "date,amount,external_id\n2026-02-03,50,BANK-1\n2026-02-04,60,BANK-2\n2026-02-05,70,BANK-1\n";
    assert_eq!(
        errors_of(parse_payments(file.as_bytes(), &opts())),
        ["4: column external_id: value 'BANK-1': duplicate external_id; first on line 2"]
    );
    assert_eq!(
        payments("date,amount,external_id\n2026-02-03,50,BANK-1\n")[0].external_id,
        "BANK-1"
    );
}

#[test]
fn a_zero_payment_is_refused_and_a_negative_one_is_a_reversal() {
    let file = "date,amount\n2026-02-03,0\n2026-02-03,abc\n";
    assert_eq!(
        errors_of(parse_payments(file.as_bytes(), &opts())),
        [
            "2: column amount: value '0': amount is zero; a payment moves money",
            "3: column amount: value 'abc': not an amount; write it like 1234.56 or -25.00",
        ]
    );
    assert_eq!(payments("date,amount\n2026-02-03,-25\n")[0].amount, eur(-2500));
}

#[test]
fn payment_text_cells_are_kept_as_received() {
    let file = "date,amount,currency,reference,counterparty_name,invoice_number\n\
                2026-02-03,50,usd, Factuur 2026-0003 ,J. de Boer,2026-0003\n";
    let p = &payments(file)[0];
    assert_eq!(p.amount.currency().code(), "USD");
    assert_eq!(p.reference.as_deref(), Some("Factuur 2026-0003"));
    assert_eq!(p.counterparty_name.as_deref(), Some("J. de Boer"));
    assert_eq!(p.invoice_number.as_deref(), Some("2026-0003"));
    assert_eq!(p.counterparty_iban, None);
}

#[test]
fn an_invalid_counterparty_iban_is_refused() {
    let file = "date,amount,counterparty_iban\n2026-02-03,50,NL00ABNA0417164300\n";
    let errors = errors_of(parse_payments(file.as_bytes(), &opts()));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(
            "2: column counterparty_iban: value 'NL00ABNA0417164300': not a valid IBAN"
        )
    );
}

/// Depends on `arflow_core::ident::parse_iban`.
#[test]
fn counterparty_ibans_are_stored_in_electronic_form() {
    let file = "date,amount,counterparty_iban\n2026-02-03,50,be68 5390 0754 7034\n";
    assert_eq!(payments(file)[0].counterparty_iban.as_deref(), Some("BE68539007547034"));
}

// ---------------------------------------------------------------------------------------------
// the example files

/// Depends on `arflow_core::ident::parse_iban` and `arflow_core::reference::check`.
#[test]
fn the_example_files_parse_cleanly() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
    let read = |name: &str| std::fs::read(format!("{dir}{name}")).unwrap();
    let show = |errors: Vec<CsvError>| -> String {
        errors.iter().map(|e| e.with_file("examples")).collect::<Vec<_>>().join("\n")
    };
    let debtors =
        parse_debtors(&read("debtors.csv"), &opts()).unwrap_or_else(|e| panic!("{}", show(e)));
    let invoices =
        parse_invoices(&read("invoices.csv"), &opts()).unwrap_or_else(|e| panic!("{}", show(e)));
    let payments =
        parse_payments(&read("payments.csv"), &opts()).unwrap_or_else(|e| panic!("{}", show(e)));
    assert!((8..=12).contains(&debtors.len()));
    assert!(invoices.len() >= 20);
    let credit_notes =
        invoices.iter().filter(|p| p.record.invoice.kind == InvoiceKind::CreditNote).count();
    assert_eq!(credit_notes, 2);
    assert!(payments.len() >= 10);
    let numbers: Vec<&str> = debtors.iter().map(|p| p.record.number.as_str()).collect();
    for row in &invoices {
        let inv = &row.record.invoice;
        assert!(numbers.contains(&inv.debtor_number.as_str()), "{} has no debtor", inv.number);
        if let Some(credited) = &inv.credits_invoice {
            assert!(invoices.iter().any(|p| &p.record.invoice.number == credited));
        }
    }
}

#[test]
fn the_csv_examples_in_the_documentation_parse() {
    let doc = include_str!("../../../docs/import-formats.md");
    let blocks: Vec<&str> =
        doc.split("```csv\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert_eq!(blocks.len(), 3);
    for block in blocks {
        let header = block.lines().next().unwrap();
        let parsed = if header.contains("debtor_number") {
            parse_invoices(block.as_bytes(), &opts()).map(|r| r.len())
        } else if header.starts_with("date") {
            parse_payments(block.as_bytes(), &opts()).map(|r| r.len())
        } else {
            parse_debtors(block.as_bytes(), &opts()).map(|r| r.len())
        };
        assert_eq!(parsed, Ok(3), "{block}");
    }
}

// ---------------------------------------------------------------------------------------------
// writers

#[test]
fn writers_use_the_parser_columns_dots_and_the_currency_decimals() {
    let jpy = Currency::parse("JPY").unwrap();
    let invoice = Invoice {
        number: "F1".into(),
        debtor_number: "D1".into(),
        kind: InvoiceKind::Invoice,
        issue_date: date("2026-01-05"),
        due_date: date("2026-02-04"),
        amount: Money::from_minor(1500, jpy),
        amount_excl_vat: None,
        payment_reference: None,
        description: Some("Werk, \"spoed\"".into()),
        external_id: None,
        credits_invoice: None,
    };
    let mut out = Vec::new();
    write_invoices(
        &mut out,
        &[
            invoice.clone(),
            Invoice {
                number: "F2".into(),
                amount: eur(-5),
                kind: InvoiceKind::CreditNote,
                ..invoice
            },
        ],
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "number,debtor_number,issue_date,due_date,amount,currency,amount_excl_vat,payment_reference,description,external_id,credits_invoice\n\
         F1,D1,2026-01-05,2026-02-04,1500,JPY,,,\"Werk, \"\"spoed\"\"\",,\n\
         F2,D1,2026-01-05,2026-02-04,-0.05,EUR,,,\"Werk, \"\"spoed\"\"\",,\n"
    );
}

#[test]
fn a_debtor_value_that_would_split_on_reading_is_not_written() {
    let debtor = debtor_with(|d| d.segments = vec!["retail|food".into()]);
    let err = write_debtors(Vec::new(), &[debtor]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "debtor D1: segment value 'retail|food' contains '|' or ';', which separate values in a CSV cell"
    );
}

fn debtor_with(change: impl FnOnce(&mut Debtor)) -> Debtor {
    let mut d = Debtor {
        number: "D1".into(),
        name: "Bakker".into(),
        kind: DebtorKind::Business,
        country: CountryCode::NL,
        language: Language::Nl,
        emails: vec![],
        phones: vec![],
        address: Address::default(),
        vat_number: None,
        enterprise_number: None,
        ibans: vec![],
        segments: vec![],
        owner: None,
        credit_limit: None,
        pause: None,
    };
    change(&mut d);
    d
}

// ---------------------------------------------------------------------------------------------
// round trips (property tests)

/// Text that survives a trip through a cell: non-empty, no surrounding spaces, delimiters,
/// quotes, separators and line breaks welcome.
fn cell_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9À-ÿ€ ,;\"'|&./()\n-]{1,24}"
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("non-empty after trimming", |s| !s.is_empty())
}

/// Text for one value of a multi-valued cell.
fn list_item() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9 -]{0,10}[a-z0-9]"
}

fn some_date() -> impl Strategy<Value = Date> {
    (1990i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["EUR", "USD", "JPY", "KWD", "GBP"])
        .prop_map(|c| Currency::parse(c).unwrap())
}

/// Valid IBANs in various countries (computed check digits).
const IBANS: &[&str] = &[
    "NL91ABNA0417164300",
    "NL84ABNA0175989834",
    "BE68539007547034",
    "BE63001564552608",
    "DE49390400440532013111",
];

/// Valid references in their normalized form, one per scheme and two for OGM.
const REFERENCES: &[&str] =
    &["123456789002", "000020260165", "RF18539007547034", "RF04INV2026012", "5000056789012345"];

/// A Belgian enterprise number as 10 digits: 0 or 1, 7 digits, and 97 minus the first 8 mod 97.
fn be_enterprise_digits() -> impl Strategy<Value = String> {
    (0u64..2, 0u64..10_000_000).prop_map(|(first, rest)| {
        let base = first * 10_000_000 + rest;
        format!("{base:08}{:02}", 97 - base % 97)
    })
}

/// Valid Belgian and Dutch (elfproef) VAT numbers in canonical form, and foreign ones that are
/// kept as given.
fn vat_number() -> impl Strategy<Value = String> {
    let nl = (1u32..100_000_000).prop_filter_map("no check digit", |n| {
        let digits = format!("{n:08}");
        let sum: u32 =
            digits.bytes().zip((2..=9).rev()).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let check = sum % 11;
        (check < 10).then(|| format!("NL{digits}{check}B01"))
    });
    prop_oneof![be_enterprise_digits().prop_map(|d| format!("BE{d}")), nl, "(DE|FR|LU)[0-9]{9}",]
}

fn debtor() -> impl Strategy<Value = Debtor> {
    let contacts = (
        prop::collection::vec("[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{2,8}\\.(nl|be|com)", 0..3),
        prop::collection::vec("[a-z]{1,8}@[a-z]{2,8}\\.nl", 0..2),
        prop::collection::vec("\\+3[12] [1-9][0-9] [0-9]{3} [0-9]{4}", 0..2),
        prop::collection::vec("06-[0-9]{8}", 0..2),
    );
    let address = (
        proptest::option::of(cell_text()),
        proptest::option::of("[1-9][0-9]{3}( [A-Z]{2})?"),
        proptest::option::of(cell_text()),
        proptest::option::of(prop::sample::select(vec!["NL", "BE", "DE", "FR"])),
    );
    let rest = (
        proptest::option::of(vat_number()),
        proptest::option::of(be_enterprise_digits()),
        prop::sample::subsequence(IBANS, 0..3),
        prop::collection::vec(list_item(), 0..3),
        proptest::option::of(cell_text()),
        proptest::option::of(0i64..10_000_000_000),
    );
    (
        cell_text(),
        cell_text(),
        prop::sample::select(DebtorKind::ALL),
        prop::sample::select(vec!["NL", "BE", "DE", "LU"]),
        prop::sample::select(Language::ALL),
        contacts,
        address,
        rest,
    )
        .prop_map(|(number, name, kind, country, language, contacts, address, rest)| {
            let (email, reminder, phone, mobile) = contacts;
            let mut emails: Vec<Contact> = email
                .into_iter()
                .enumerate()
                .map(|(i, value)| Contact {
                    value,
                    purpose: if i == 0 { ContactPurpose::Billing } else { ContactPurpose::General },
                })
                .collect();
            emails.extend(
                reminder
                    .into_iter()
                    .map(|value| Contact { value, purpose: ContactPurpose::Reminders }),
            );
            let mut phones: Vec<Contact> = phone
                .into_iter()
                .map(|value| Contact { value, purpose: ContactPurpose::General })
                .collect();
            phones.extend(
                mobile.into_iter().map(|value| Contact { value, purpose: ContactPurpose::Mobile }),
            );
            let (street, postal_code, city, address_country) = address;
            let (vat_number, enterprise_number, ibans, segments, owner, credit_limit) = rest;
            Debtor {
                number,
                name,
                kind,
                country: CountryCode::parse(country).unwrap(),
                language,
                emails,
                phones,
                address: Address {
                    street,
                    postal_code,
                    city,
                    country: address_country.map(|c| CountryCode::parse(c).unwrap()),
                },
                vat_number,
                enterprise_number,
                ibans: ibans.into_iter().map(str::to_owned).collect(),
                segments,
                owner,
                credit_limit: credit_limit.map(eur),
                pause: None,
            }
        })
}

fn invoice() -> impl Strategy<Value = Invoice> {
    (
        cell_text(),
        cell_text(),
        some_date(),
        0i32..400,
        currency(),
        1i64..1_000_000_000_000,
        any::<bool>(),
        proptest::option::of(0u8..=100),
        proptest::option::of(prop::sample::select(REFERENCES)),
        (
            proptest::option::of(cell_text()),
            proptest::option::of(cell_text()),
            proptest::option::of(cell_text()),
        ),
    )
        .prop_map(
            |(
                number,
                debtor_number,
                issue_date,
                term,
                currency,
                minor,
                credit,
                vat_share,
                reference,
                texts,
            )| {
                let (description, external_id, credits) = texts;
                let signed = if credit { -minor } else { minor };
                Invoice {
                    number,
                    debtor_number,
                    kind: if credit { InvoiceKind::CreditNote } else { InvoiceKind::Invoice },
                    issue_date,
                    due_date: add_days(issue_date, term),
                    amount: Money::from_minor(signed, currency),
                    amount_excl_vat: vat_share
                        .map(|share| Money::from_minor(signed / 100 * i64::from(share), currency)),
                    payment_reference: reference.map(|r| (*r).to_owned()),
                    description,
                    external_id,
                    credits_invoice: if credit { credits.map(|c| format!("~{c}")) } else { None },
                }
            },
        )
}

fn payment() -> impl Strategy<Value = Payment> {
    (
        some_date(),
        currency(),
        (1i64..1_000_000_000_000, any::<bool>()),
        proptest::option::of(cell_text()),
        proptest::option::of(prop::sample::select(IBANS)),
        proptest::option::of(cell_text()),
        proptest::option::of(cell_text()),
        "[A-Za-z0-9:-]{1,20}",
    )
        .prop_map(
            |(date, currency, (minor, negative), reference, iban, name, invoice_number, id)| {
                Payment {
                    date,
                    amount: Money::from_minor(if negative { -minor } else { minor }, currency),
                    reference,
                    counterparty_iban: iban.map(|i| (*i).to_owned()),
                    counterparty_name: name,
                    source: PaymentSource::Csv,
                    invoice_number,
                    external_id: id,
                }
            },
        )
}

/// Makes the keys of generated records unique by prefixing their position.
fn numbered<T>(mut items: Vec<T>, key: impl Fn(&mut T) -> &mut String) -> Vec<T> {
    for (i, item) in items.iter_mut().enumerate() {
        let k = key(item);
        *k = format!("{i}{k}");
    }
    items
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    /// Depends on `arflow_core::ident::parse_iban`.
    #[test]
    fn debtors_written_then_read_are_equal(list in prop::collection::vec(debtor(), 0..8)) {
        let list = numbered(list, |d| &mut d.number);
        let mut file = Vec::new();
        write_debtors(&mut file, &list).unwrap();
        let read: Vec<Debtor> = parse_debtors(&file, &opts())
            .unwrap_or_else(|e| panic!("{e:#?}\n{}", String::from_utf8_lossy(&file)))
            .into_iter().map(|p| p.record).collect();
        prop_assert_eq!(read, list);
    }

    /// Depends on `arflow_core::reference::check`.
    #[test]
    fn invoices_written_then_read_are_equal(list in prop::collection::vec(invoice(), 0..8)) {
        let list = numbered(list, |i| &mut i.number);
        let mut file = Vec::new();
        write_invoices(&mut file, &list).unwrap();
        let read: Vec<Invoice> = parse_invoices(&file, &opts())
            .unwrap_or_else(|e| panic!("{e:#?}\n{}", String::from_utf8_lossy(&file)))
            .into_iter().map(|p| p.record.invoice).collect();
        prop_assert_eq!(read, list);
    }

    /// Depends on `arflow_core::ident::parse_iban`.
    #[test]
    fn payments_written_then_read_are_equal(list in prop::collection::vec(payment(), 0..8)) {
        let list = numbered(list, |p| &mut p.external_id);
        let mut file = Vec::new();
        write_payments(&mut file, &list).unwrap();
        let read: Vec<Payment> = parse_payments(&file, &opts())
            .unwrap_or_else(|e| panic!("{e:#?}\n{}", String::from_utf8_lossy(&file)))
            .into_iter().map(|p| p.record).collect();
        prop_assert_eq!(read, list);
    }

    /// A file read in two halves gives what it gives read in one piece: the same rows on the
    /// same lines, the same errors in the same order, repeated numbers across the halves
    /// included, whatever the quoting, line breaks and blank lines.
    #[test]
    fn a_file_read_in_halves_reads_as_in_one_piece(
        rows in prop::collection::vec(prop::sample::select(HALVES_ROWS), 1..60),
        numbers in prop::collection::vec(0u32..40, 60),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut text = String::from(if bom { "\u{feff}" } else { "" });
        text.push_str("number,debtor_number,issue_date,due_date,amount,currency,description\n");
        for (row, n) in rows.iter().zip(&numbers) {
            text.push_str(&row.replace("{n}", &n.to_string()));
            text.push('\n');
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let halves = CsvOptions { split_bytes_min: 0, ..opts() };
        let whole = CsvOptions { split_bytes_min: usize::MAX, ..opts() };
        prop_assert_eq!(
            read_invoices(text.as_bytes(), &halves),
            read_invoices(text.as_bytes(), &whole),
            "{}", text
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_debtors(&bytes, &opts());
        let _ = parse_invoices(&bytes, &opts());
        let _ = parse_payments(&bytes, &opts());
    }

    #[test]
    fn csv_shaped_noise_never_panics(
        header in prop::sample::subsequence(ALL_COLUMNS, 0..ALL_COLUMNS.len()),
        delimiter in prop::sample::select(vec![",", ";"]),
        cells in prop::collection::vec(prop::sample::select(NOISE), 0..200),
        breaks in prop::collection::vec(0usize..12, 0..40),
    ) {
        let mut text = header.join(delimiter);
        text.push('\n');
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            text.push_str(if breaks.contains(&(i % 12)) { "\n" } else { delimiter });
        }
        let options = CsvOptions { lines_max: 20, ..opts() };
        let _ = parse_debtors(text.as_bytes(), &options);
        let whole = parse_invoices(text.as_bytes(), &options);
        let _ = parse_payments(text.as_bytes(), &options);
        let halves = CsvOptions { split_bytes_min: 0, ..options };
        prop_assert_eq!(parse_invoices(text.as_bytes(), &halves), whole, "{}", text);
    }
}

/// Rows for [`a_file_read_in_halves_reads_as_in_one_piece`]; `{n}` becomes a number that may
/// repeat.
const HALVES_ROWS: &[&str] = &[
    "F{n},D1,2026-01-05,2026-02-04,121.00,EUR,Brood",
    "F{n},D1,2026-01-05,2026-02-04,121.00,EUR,\"Brood, meel\"",
    "F{n},D2,2026-01-05,2026-02-04,10.00,EUR,\"twee\nregels\"",
    "F{n},D2,2026-01-05,2026-02-04,10.00,EUR,\"aanhalings\"\"teken\nen, komma\"",
    "F{n},D2,2026-01-05,2026-02-04,10.00,EUR,los\"teken",
    "F{n},D2,2026-01-05,2026-02-04,10.00,EUR,\"dicht\"daarna",
    "\"F{n}\",\"D3\",\"2026-01-05\",\"2026-02-04\",\"-5.00\",\"EUR\",\"\"",
    "F{n},D3,2026-02-30,2026-02-04,10.00,EUR,bad date",
    "F{n},D3,2026-01-05,2026-01-01,10.00,EUR,due before issue",
    "F{n},D3,2026-01-05,2026-02-04,10.001,EUR,too many decimals",
    "F{n},D3,2026-01-05",
    "",
    " , , ",
    "\"F{n}\nX\",D4,2026-01-05,2026-02-04,1.00,EUR,",
];

const ALL_COLUMNS: &[&str] = &[
    "number",
    "name",
    "kind",
    "country",
    "language",
    "email",
    "reminder_email",
    "phone",
    "mobile",
    "iban",
    "segment",
    "credit_limit",
    "address_country",
    "debtor_number",
    "issue_date",
    "due_date",
    "amount",
    "currency",
    "amount_excl_vat",
    "payment_reference",
    "credits_invoice",
    "date",
    "reference",
    "counterparty_iban",
    "external_id",
    "owner",
];

const NOISE: &[&str] = &[
    "",
    " ",
    "\"",
    "\"\"",
    "\"a,b\"",
    "\"a\nb\"",
    "x",
    "D1",
    "D1",
    "0",
    "-0",
    "1,5",
    "12.345",
    "-9999999999999999",
    "99999999999999999999",
    "+",
    "-",
    ".",
    ",",
    "2026-02-30",
    "2026-01-05",
    "1899-12-31",
    "eur",
    "JPY",
    "KWD",
    "XX",
    "+++123/4567/89002+++",
    "RF18539007547034",
    "RF",
    "NL91ABNA0417164300",
    "a@b.nl|c@d.be;",
    "||;;",
    "business",
    "consumer",
    "NL",
    "be",
    "fr",
    "é",
    "€",
    "\u{0}",
    "\u{feff}",
    "\r",
    "\r\n",
    "\t",
    "0.00",
    "-121.00",
];

// ---------------------------------------------------------------------------------------------
// speed

/// Parses a million rows in release builds (`cargo test --release -p arflow-formats --test csv
/// -- many_invoice_rows --nocapture` prints the rate; the target is ≥ 1M rows/s), and a sample in
/// debug builds. Timing is printed, not asserted: a shared machine makes it noisy.
#[test]
fn many_invoice_rows_parse_and_the_rate_is_printed() {
    let rows = if cfg!(debug_assertions) { 20_000 } else { 1_000_000 };
    let mut file = String::with_capacity(rows * 80);
    file.push_str("number,debtor_number,issue_date,due_date,amount,currency,description\n");
    for i in 0..rows {
        file.push_str(&format!(
            "2026-{i:07},D{},2026-01-05,2026-02-04,{}.{:02},EUR,Levering week {}\n",
            i % 5000,
            1 + i % 9000,
            i % 100,
            i % 52
        ));
    }
    let mut best = std::time::Duration::MAX;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let parsed = parse_invoices(file.as_bytes(), &opts()).unwrap();
        best = best.min(start.elapsed());
        assert_eq!(parsed.len(), rows);
    }
    let elapsed = best;
    let per_second = u128::try_from(rows).unwrap() * 1000 / elapsed.as_millis().max(1);
    println!(
        "record size {} bytes",
        std::mem::size_of::<arflow_formats::csv::Parsed<arflow_formats::csv::InvoiceRow>>()
    );
    println!("{rows} invoice rows in {elapsed:?}: {per_second} rows/s");
}
