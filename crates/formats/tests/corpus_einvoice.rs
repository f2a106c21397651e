//! Runs every file of the e-invoice corpus (`shared/corpus/ubl` and `shared/corpus/cii`) through
//! `arflow_formats::einvoice::parse`.
//!
//! The corpus is read in place, never copied into the repository: by default from the shared
//! folder next to the workspace, or from `$ARFLOW_CORPUS/{ubl,cii}` when `ARFLOW_CORPUS` points at
//! another corpus root. A missing corpus fails the tests; it does not skip them.
//!
//! Every file under both folders is walked and put in exactly one class (`classify`), and the
//! class counts are checked against the corpus's SOURCE.md, so a file added to the corpus cannot
//! go unnoticed:
//! - invoice instances (83 UBL, 53 CII) must parse; where invopop's GOBL JSON gives the parsed
//!   content, number, dates, currency, totals, buyer, IBAN and payment reference must agree; the
//!   UBL and CII twins of one invoice must agree on the JSON contract fields; every instance
//!   satisfies `BT-115 = BT-112 − BT-113 + BT-114` (exceptions listed with their reason);
//! - the six Factur-X / ZUGFeRD PDFs must yield their embedded XML, with asserted values;
//! - the eleven CDAR status messages must be refused as "not an invoice";
//! - the rule test sets (vefa `testSet` files: Schematron unit tests, 271 UBL and 52 CII) test
//!   business-rule validation, which `parse` does not do. The whole file is refused as "not an
//!   invoice" (its root is `testSet`), and every fragment in it is parsed on its own: never a
//!   panic, either an invoice or located problems. For the EN 16931 presence rules (BR-02…BR-15)
//!   the fragments' expected outcome must match what `parse` reports missing.
//!
//! Deliberately unsupported instances are listed in `UNSUPPORTED` with the reason (for
//! docs/formats.md); their errors are asserted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arflow_formats::einvoice::{
    EInvoice, EInvoiceError, EInvoiceErrorKind, InvoiceKind, Location, ReferenceKind, Syntax, parse,
};
use proptest::prelude::*;
use serde_json::Value;

fn corpus_root() -> PathBuf {
    match std::env::var_os("ARFLOW_CORPUS") {
        Some(root) => PathBuf::from(root),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")),
    }
}

fn read(relative: &str) -> Vec<u8> {
    let path = corpus_root().join(relative);
    std::fs::read(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the corpus file {} ({error}); set ARFLOW_CORPUS to the corpus root",
            path.display()
        )
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| {
        panic!(
            "cannot read the corpus folder {} ({error}); set ARFLOW_CORPUS to the corpus root",
            dir.display()
        )
    });
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every file of both folders, relative to the corpus root (`ubl/…`, `cii/…`).
fn all_files() -> Vec<String> {
    let root = corpus_root();
    let mut files = Vec::new();
    walk(&root.join("ubl"), &mut files);
    walk(&root.join("cii"), &mut files);
    files
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"))
        .collect()
}

/// Instances deliberately not supported, why, and what the error must say.
const UNSUPPORTED: &[(&str, &str, &[&str])] = &[
    (
        "ubl/gobl-ubl/en16931/credit-note1.xml",
        "a UBL 2.0 'small business subset' draft sample, not an EN 16931 credit note: it has no \
         cbc:CreditNoteTypeCode (BT-3), no cbc:DocumentCurrencyCode (BT-5) and no \
         cbc:TaxInclusiveAmount (BT-112); GOBL guesses them, arflow refuses to",
        &["(BT-3) is missing", "(BT-5) is missing", "(BT-112) is missing"],
    ),
    (
        "ubl/gobl-ubl/en16931/custom-namespace-prefixes.xml",
        "the same UBL 2.0 draft credit note with other namespace prefixes: refused for the same \
         three missing terms (the test asserts the identical problems, which shows prefixes do \
         not matter)",
        &["(BT-3) is missing", "(BT-5) is missing", "(BT-112) is missing"],
    ),
    (
        "ubl/gobl-ubl/peppol/sg-invoice.xml",
        "a Singapore PINT invoice in SGD, a currency outside arflow_core::money's supported list",
        &["cbc:DocumentCurrencyCode (BT-5): 'SGD'", "not supported"],
    ),
];

/// Instances where BT-115 ≠ BT-112 − BT-113 + BT-114, as written by their authors.
const PAYABLE_IDENTITY_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "cii/zugferd-corpus/FX/FNFE-Facture_UE_MINIMUM.pdf",
    "the Factur-X MINIMUM profile has no BT-113: the 623.00 already paid is not stated",
    "the amount due (BT-115) is 1453.76 but BT-112 − BT-113 + BT-114 gives 2076.76",
)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// README, SOURCE, MANIFEST, LICENSE, NOTICE, overviews, GOBL JSON and derived indexes.
    Documentation,
    UblInstance,
    CiiInstance,
    Pdf,
    Cdar,
    UblRuleTestSet,
    CiiRuleTestSet,
}

fn classify(file: &str) -> Class {
    let name = file.rsplit('/').next().unwrap();
    let is_xml = name.ends_with(".xml") || name.ends_with(".xm");
    if !is_xml && !name.ends_with(".pdf") {
        assert!(
            name.ends_with(".md")
                || name.ends_with(".json")
                || name.ends_with(".tsv")
                || name.starts_with("LICENSE"),
            "{file}: a corpus file of an unknown kind"
        );
        return Class::Documentation;
    }
    if name.ends_with(".pdf") {
        return Class::Pdf;
    }
    let rule_folder =
        file.contains("/unit-tests/") || file.contains("/unit-UBL-") || file.contains("/unit-CII-");
    match (file.starts_with("ubl/"), rule_folder, file.contains("/cdar/")) {
        (true, true, _) => Class::UblRuleTestSet,
        (false, true, _) => Class::CiiRuleTestSet,
        (false, false, true) => Class::Cdar,
        (true, false, false) => Class::UblInstance,
        (false, false, false) => Class::CiiInstance,
        (true, false, true) => panic!("{file}: a CDAR message in the UBL folder"),
    }
}

fn parse_file(file: &str) -> Result<EInvoice, EInvoiceError> {
    let bytes = read(file);
    let result = parse(&bytes);
    if let Err(error) = &result {
        assert_located(file, error, bytes.len());
    }
    result
}

fn must_parse(file: &str) -> EInvoice {
    parse_file(file).unwrap_or_else(|error| {
        let problems: Vec<String> = error.problems.iter().map(ToString::to_string).collect();
        panic!("{file}: {:?}:\n  {}", error.kind, problems.join("\n  "))
    })
}

/// An error lists at least one problem, each with a location inside the input and a reason.
fn assert_located(what: &str, error: &EInvoiceError, input_len: usize) {
    assert!(!error.problems.is_empty(), "{what}: an error without problems");
    for problem in &error.problems {
        assert!(!problem.reason.trim().is_empty(), "{what}: a problem without a reason");
        if let Location::Byte(at) = problem.location {
            assert!(
                usize::try_from(at).unwrap() <= input_len,
                "{what}: {problem} is past the end ({input_len} bytes)"
            );
        }
    }
}

#[test]
fn every_corpus_file_is_classified_and_the_counts_match_the_sources() {
    let mut counts: BTreeMap<Class, usize> = BTreeMap::new();
    for file in all_files() {
        *counts.entry(classify(&file)).or_default() += 1;
    }
    // ubl/SOURCE.md: 83 instances and 271 test sets; cii/SOURCE.md: 53 instances, 6 PDFs,
    // 11 CDAR messages and 52 test sets.
    assert_eq!(counts.get(&Class::UblInstance), Some(&83));
    assert_eq!(counts.get(&Class::UblRuleTestSet), Some(&271));
    assert_eq!(counts.get(&Class::CiiInstance), Some(&53));
    assert_eq!(counts.get(&Class::Pdf), Some(&6));
    assert_eq!(counts.get(&Class::Cdar), Some(&11));
    assert_eq!(counts.get(&Class::CiiRuleTestSet), Some(&52));
    let listed = UNSUPPORTED.iter().map(|(f, _, _)| *f);
    for file in listed.chain(PAYABLE_IDENTITY_EXCEPTIONS.iter().map(|(f, _, _)| *f)) {
        assert!(corpus_root().join(file).is_file(), "{file} is listed but not in the corpus");
    }
}

/// The invariants every parsed invoice keeps, whatever its source.
fn check_invariants(file: &str, invoice: &EInvoice) {
    assert!(!invoice.number.trim().is_empty(), "{file}: empty number");
    assert!(!invoice.type_code.trim().is_empty(), "{file}: empty type code");
    assert!(!invoice.seller.name.trim().is_empty(), "{file}: empty seller name");
    assert!(!invoice.buyer.name.trim().is_empty(), "{file}: empty buyer name");
    for money in [invoice.tax_exclusive, invoice.tax_inclusive, invoice.payable]
        .into_iter()
        .chain(invoice.line_extension)
        .chain(invoice.tax_total)
        .chain(invoice.prepaid)
        .chain(invoice.payable_rounding)
    {
        assert_eq!(money.currency(), invoice.currency, "{file}: an amount in another currency");
    }
    let exception = PAYABLE_IDENTITY_EXCEPTIONS.iter().find(|(f, _, _)| *f == file);
    match exception {
        None => {
            assert!(invoice.payable_adds_up(), "{file}: BT-115 ≠ BT-112 − BT-113 + BT-114");
            assert!(
                invoice.warnings.iter().all(|w| !w.reason.contains("BT-115")),
                "{file}: a payable warning although the sum holds"
            );
        }
        Some((_, _, warning)) => {
            assert!(!invoice.payable_adds_up(), "{file}: listed as an exception but adds up");
            assert!(
                invoice.warnings.iter().any(|w| w.reason == *warning),
                "{file}: expected the warning '{warning}', got {:?}",
                invoice.warnings
            );
        }
    }
    if invoice.syntax == Syntax::Ubl && invoice.type_code == "381" {
        assert_eq!(invoice.kind, InvoiceKind::CreditNote, "{file}: 381 is a credit note");
    }
    if let Some(iban) = &invoice.payee_iban {
        assert!(
            iban.chars().all(|c| c.is_ascii_alphanumeric()) && iban == &iban.to_uppercase(),
            "{file}: IBAN {iban} is not in electronic form"
        );
        assert!(invoice.payee_account.is_some(), "{file}: an IBAN without its account");
    }
    assert_eq!(invoice.payment_reference.is_some(), invoice.payment_reference_scheme.is_some());
    check_json_contract(file, invoice);
}

fn is_decimal(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The JSON the CLI prints: the contract's field names and value shapes.
fn check_json_contract(file: &str, invoice: &EInvoice) {
    let json = serde_json::to_value(invoice).unwrap();
    let kind = json["type"].as_str().unwrap_or_default();
    assert!(kind == "invoice" || kind == "credit_note", "{file}: type {kind}");
    assert_eq!(json["number"], Value::String(invoice.number.clone()));
    assert_eq!(json["issue_date"], Value::String(invoice.issue_date.to_string()));
    match invoice.due_date {
        Some(due) => assert_eq!(json["due_date"], Value::String(due.to_string())),
        None => assert!(json["due_date"].is_null(), "{file}: due_date"),
    }
    assert_eq!(json["currency"], Value::String(invoice.currency.code().to_owned()));
    for field in ["payable_amount", "tax_inclusive_amount", "tax_exclusive_amount"] {
        let amount =
            json[field].as_str().unwrap_or_else(|| panic!("{file}: {field} is not a string"));
        assert!(is_decimal(amount), "{file}: {field} = {amount}");
        let digits = amount.split_once('.').map_or(0, |(_, f)| f.len());
        assert_eq!(digits, invoice.currency.minor_digits() as usize, "{file}: {field} = {amount}");
    }
    assert_eq!(json["payable_amount"], Value::String(invoice.payable.to_string()));
    assert_eq!(json["tax_inclusive_amount"], Value::String(invoice.tax_inclusive.to_string()));
    for field in ["payment_reference", "payee_iban"] {
        assert!(json[field].is_null() || json[field].is_string(), "{file}: {field}");
    }
    let buyer = json["buyer"].as_object().unwrap_or_else(|| panic!("{file}: no buyer object"));
    assert_eq!(buyer["name"], Value::String(invoice.buyer.name.clone()));
    assert!(buyer["vat_number"].is_null() || buyer["vat_number"].is_string());
    assert!(buyer["country"].is_null() || buyer["country"].is_string());
    let attachments = json["attachments"].as_array().unwrap();
    for (attachment, value) in invoice.attachments.iter().zip(attachments) {
        assert_eq!(value["size"], Value::from(attachment.bytes.len()), "{file}: attachment size");
    }
    assert_eq!(json["pdf_bytes"], Value::from(invoice.pdf.as_ref().map_or(0, Vec::len)));
}

#[test]
fn every_invoice_instance_parses_and_keeps_the_invariants() {
    let mut parsed = 0;
    for file in all_files() {
        let class = classify(&file);
        if !matches!(class, Class::UblInstance | Class::CiiInstance | Class::Pdf) {
            continue;
        }
        if let Some((_, reason, expected)) = UNSUPPORTED.iter().find(|(f, _, _)| *f == file) {
            let error = parse_file(&file).expect_err(&file);
            let text: Vec<String> = error.problems.iter().map(ToString::to_string).collect();
            for needle in *expected {
                assert!(
                    text.iter().any(|t| t.contains(needle)),
                    "{file} ({reason}): expected '{needle}' in {text:?}"
                );
            }
            continue;
        }
        let invoice = must_parse(&file);
        check_invariants(&file, &invoice);
        let expected_syntax = if class == Class::UblInstance { Syntax::Ubl } else { Syntax::Cii };
        assert_eq!(invoice.syntax, expected_syntax, "{file}");
        assert_eq!(invoice.pdf.is_some(), class == Class::Pdf, "{file}");
        parsed += 1;
    }
    assert_eq!(parsed, 83 + 53 + 6 - UNSUPPORTED.len());
}

#[test]
fn the_unsupported_credit_note_fails_the_same_way_with_any_prefixes() {
    let plain = parse_file("ubl/gobl-ubl/en16931/credit-note1.xml").unwrap_err();
    let custom = parse_file("ubl/gobl-ubl/en16931/custom-namespace-prefixes.xml").unwrap_err();
    assert_eq!(plain.kind, EInvoiceErrorKind::Invalid);
    let reasons =
        |e: &EInvoiceError| e.problems.iter().map(|p| p.reason.clone()).collect::<Vec<_>>();
    assert_eq!(reasons(&plain), reasons(&custom));
    assert_eq!(plain.problems.len(), 3, "{:?}", plain.problems);
}

#[test]
fn namespace_prefixes_do_not_matter() {
    let original = String::from_utf8(read("ubl/peppol-bis3/examples/base-example.xml")).unwrap();
    let renamed = original
        .replace("xmlns:cac=", "xmlns:agg=")
        .replace("xmlns:cbc=", "xmlns:basic=")
        .replace("<cac:", "<agg:")
        .replace("</cac:", "</agg:")
        .replace("<cbc:", "<basic:")
        .replace("</cbc:", "</basic:")
        .replacen(
            "<Invoice ",
            "<inv:Invoice xmlns:inv=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\" ",
            1,
        )
        .replace("</Invoice>", "</inv:Invoice>");
    assert_ne!(original, renamed);
    let a = parse(original.as_bytes()).unwrap();
    let b = parse(renamed.as_bytes()).unwrap();
    assert_eq!(a, b);
    // The root's namespace is checked, not its name alone.
    let wrong = original.replace(
        "xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"",
        "xmlns=\"urn:example:not-ubl\"",
    );
    let error = parse(wrong.as_bytes()).unwrap_err();
    assert!(error.is_not_an_invoice(), "{error}");
    assert!(error.to_string().contains("urn:example:not-ubl"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// GOBL JSON: the content invopop's converters read from the same files.

/// GOBL recomputes the totals from the lines; these documents state totals that differ from
/// their own lines, and arflow reads what the document states. The stated BT-112 and BT-115
/// are asserted instead.
const GOBL_RECOMPUTED_TOTALS: &[(&str, &str, &str)] = &[
    ("ubl/gobl-ubl/en16931/ubl-example1.xml", "250.33", "250.33"),
    ("ubl/gobl-ubl/en16931/ubl-example2.xml", "1801.78", "801.78"),
    ("ubl/gobl-ubl/en16931/ubl-example3.xml", "2005.00", "2005.00"),
    ("cii/gobl-cii/CII_example1.xml", "250.33", "250.33"),
    ("cii/gobl-cii/CII_business_example_01.xml", "13915.71", "13915.71"),
    ("cii/gobl-cii/invoice-test-01.xml", "5499.00", "5499.00"),
    ("cii/gobl-cii/invoice-test-04.xml", "260.00", "260.00"),
];

fn alnum_upper(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

fn gobl_pairs() -> Vec<(String, String)> {
    all_files()
        .into_iter()
        .filter(|f| f.ends_with(".gobl.json") && !f.contains("/cdar/"))
        .map(|json| (json.replace(".gobl.json", ".xml"), json))
        .collect()
}

#[test]
fn invoices_agree_with_the_gobl_json() {
    let pairs = gobl_pairs();
    assert_eq!(pairs.len(), 21 + 10, "21 UBL and 10 CII invoices have GOBL JSON");
    let mut compared = 0;
    for (xml, json) in pairs {
        if UNSUPPORTED.iter().any(|(f, _, _)| *f == xml) {
            continue;
        }
        let gobl: Value = serde_json::from_slice(&read(&json)).unwrap();
        let doc = &gobl["doc"];
        let invoice = must_parse(&xml);
        let s = |v: &Value| v.as_str().map(str::to_owned);

        assert_eq!(Some(invoice.number.clone()), s(&doc["code"]), "{xml}: number");
        assert_eq!(
            Some(invoice.issue_date.to_string()),
            s(&doc["issue_date"]),
            "{xml}: issue date"
        );
        assert_eq!(
            Some(invoice.currency.code().to_owned()),
            s(&doc["currency"]),
            "{xml}: currency"
        );
        let expected_kind = match doc["type"].as_str() {
            Some("credit-note") => InvoiceKind::CreditNote,
            Some("standard" | "proforma") => InvoiceKind::Invoice,
            other => panic!("{xml}: GOBL type {other:?} not mapped"),
        };
        assert_eq!(invoice.kind, expected_kind, "{xml}: kind");

        let totals = &doc["totals"];
        match GOBL_RECOMPUTED_TOTALS.iter().find(|(f, _, _)| *f == xml) {
            Some((_, inclusive, payable)) => {
                assert_eq!(invoice.tax_inclusive.to_string(), *inclusive, "{xml}: stated BT-112");
                assert_eq!(invoice.payable.to_string(), *payable, "{xml}: stated BT-115");
                assert_ne!(
                    s(&totals["total_with_tax"]).as_deref(),
                    Some(*inclusive),
                    "{xml}: listed but GOBL agrees"
                );
            }
            None => {
                let amount = |m: Option<arflow_core::money::Money>| m.map(|m| m.to_string());
                assert_eq!(amount(invoice.line_extension), s(&totals["sum"]), "{xml}: BT-106");
                assert_eq!(
                    Some(invoice.tax_exclusive.to_string()),
                    s(&totals["total"]),
                    "{xml}: BT-109"
                );
                assert_eq!(amount(invoice.tax_total), s(&totals["tax"]), "{xml}: BT-110");
                assert_eq!(
                    Some(invoice.tax_inclusive.to_string()),
                    s(&totals["total_with_tax"]),
                    "{xml}: BT-112"
                );
                let due = s(&totals["due"]).or_else(|| s(&totals["payable"]));
                assert_eq!(Some(invoice.payable.to_string()), due, "{xml}: BT-115");
                let advance = s(&totals["advance"]).filter(|a| a != "0.00");
                let prepaid = amount(invoice.prepaid).filter(|a| a != "0.00");
                assert_eq!(prepaid, advance, "{xml}: BT-113");
            }
        }

        let customer = &doc["customer"];
        assert_eq!(Some(invoice.buyer.name.clone()), s(&customer["name"]), "{xml}: buyer name");
        if let Some(code) = s(&customer["tax_id"]["code"]) {
            let ours = alnum_upper(
                invoice
                    .buyer
                    .vat_number
                    .as_deref()
                    .unwrap_or_else(|| panic!("{xml}: no buyer VAT")),
            );
            assert!(ours.ends_with(&alnum_upper(&code)), "{xml}: buyer VAT {ours} vs {code}");
        }
        if let Some(country) = s(&customer["addresses"][0]["country"]) {
            assert_eq!(
                invoice.buyer.country.as_deref(),
                Some(country.as_str()),
                "{xml}: buyer country"
            );
        }

        let instructions = &doc["payment"]["instructions"];
        let account = &instructions["credit_transfer"][0];
        match s(&account["iban"]).or_else(|| s(&account["number"])) {
            Some(gobl_account) => {
                let ours = invoice
                    .payee_account
                    .as_deref()
                    .unwrap_or_else(|| panic!("{xml}: no payee account"));
                assert_eq!(alnum_upper(ours), alnum_upper(&gobl_account), "{xml}: BT-84");
                let valid = arflow_core::ident::Iban::parse(&gobl_account).is_ok();
                assert_eq!(
                    invoice.payee_iban.is_some(),
                    valid,
                    "{xml}: payee_iban only when valid"
                );
            }
            None => assert_eq!(invoice.payee_iban, None, "{xml}: an IBAN GOBL did not see"),
        }
        if let Some(bic) = s(&account["bic"]) {
            assert_eq!(invoice.payee_bic.as_deref(), Some(bic.as_str()), "{xml}: BT-86");
        }
        match s(&instructions["ref"]) {
            Some(reference) => {
                let ours = invoice
                    .payment_reference
                    .as_deref()
                    .unwrap_or_else(|| panic!("{xml}: no BT-83"));
                assert_eq!(alnum_upper(ours), alnum_upper(&reference), "{xml}: BT-83");
            }
            // gobl.cii does not map BT-83; gobl.ubl always does.
            None if invoice.syntax == Syntax::Ubl => {
                assert_eq!(invoice.payment_reference, None, "{xml}: a BT-83 GOBL did not see");
            }
            None => {}
        }
        let gobl_due = s(&doc["payment"]["terms"]["due_dates"][0]["date"]);
        if gobl_due.is_some() || invoice.syntax == Syntax::Ubl {
            assert_eq!(invoice.due_date.map(|d| d.to_string()), gobl_due, "{xml}: BT-9");
        }
        compared += 1;
    }
    assert_eq!(compared, 31 - 3);
}

// ---------------------------------------------------------------------------------------------
// The same invoice in UBL and in CII.

/// The JSON contract fields, plus a few more, of one invoice.
fn contract(invoice: &EInvoice) -> Vec<(&'static str, String)> {
    vec![
        ("type", format!("{:?}", invoice.kind)),
        ("type_code", invoice.type_code.clone()),
        ("number", invoice.number.clone()),
        ("issue_date", invoice.issue_date.to_string()),
        ("due_date", format!("{:?}", invoice.due_date)),
        ("currency", invoice.currency.code().to_owned()),
        ("line_extension", format!("{:?}", invoice.line_extension)),
        ("tax_exclusive", invoice.tax_exclusive.to_string()),
        ("tax_total", format!("{:?}", invoice.tax_total)),
        ("tax_inclusive", invoice.tax_inclusive.to_string()),
        ("payable", invoice.payable.to_string()),
        ("payment_means", format!("{:?}", invoice.payment_means.as_ref().map(|m| &m.code))),
        ("payment_reference", format!("{:?}", invoice.payment_reference)),
        ("payee_iban", format!("{:?}", invoice.payee_iban)),
        ("payee_account", format!("{:?}", invoice.payee_account.as_deref().map(alnum_upper))),
        ("buyer.name", invoice.buyer.name.clone()),
        ("buyer.vat_number", format!("{:?}", invoice.buyer.vat_number)),
        ("buyer.country", format!("{:?}", invoice.buyer.country)),
        ("seller.name", invoice.seller.name.clone()),
        ("line_count", invoice.line_count.to_string()),
    ]
}

/// Fields a twin is allowed to differ in, and why.
const TWIN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "01.05_minimal_test",
        "tax_total",
        "the CII twin gives no ram:TaxTotalAmount (BT-110) where the UBL twin states 0",
    ),
    (
        "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel",
        "tax_total",
        "the negative case states BT-110 as 50 EUR in UBL and 5.00 EUR in CII (it is the corpus's \
         must-be-invalid example)",
    ),
    (
        "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel",
        "payment_means",
        "the negative case's invalid payment means (code 4) was dropped by the CII→UBL converter",
    ),
    (
        "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel",
        "payment_reference",
        "the negative case's invalid payment means (code 4) was dropped by the CII→UBL converter",
    ),
    (
        "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel",
        "payee_account",
        "the negative case's invalid payment means (code 4) was dropped by the CII→UBL converter",
    ),
];

fn twins() -> Vec<(String, String, String)> {
    let files = all_files();
    let mut pairs = Vec::new();
    for file in &files {
        let (name, cii) = if let Some(stem) =
            file.strip_prefix("ubl/xrechnung-testsuite/").and_then(|f| f.strip_suffix("_ubl.xml"))
        {
            (stem.to_owned(), format!("cii/xrechnung-testsuite/{stem}_uncefact.xml"))
        } else if let Some(stem) =
            file.strip_prefix("ubl/zugferd-corpus/").and_then(|f| f.strip_suffix(".ubl.xml"))
        {
            (stem.to_owned(), format!("cii/zugferd-corpus/{stem}.cii.xml"))
        } else {
            continue;
        };
        assert!(files.contains(&cii), "{file}: its CII twin {cii} is missing");
        pairs.push((name, file.clone(), cii));
    }
    pairs
}

#[test]
fn ubl_and_cii_twins_read_the_same() {
    let pairs = twins();
    assert_eq!(pairs.len(), 14 + 12);
    let mut differences = Vec::new();
    let mut allowed_seen = 0;
    for (name, ubl, cii) in pairs {
        let a = must_parse(&ubl);
        let b = must_parse(&cii);
        assert_eq!((a.syntax, b.syntax), (Syntax::Ubl, Syntax::Cii));
        for ((field, left), (_, right)) in contract(&a).into_iter().zip(contract(&b)) {
            let allowed = TWIN_DIFFERENCES.iter().any(|(n, f, _)| *n == name && *f == field);
            match (allowed, left == right) {
                (false, false) => {
                    differences.push(format!("{name}: {field}: UBL {left} / CII {right}"))
                }
                (true, false) => allowed_seen += 1,
                (true, true) => differences.push(format!("{name}: {field} is listed but equal")),
                (false, true) => {}
            }
        }
    }
    assert!(differences.is_empty(), "twins differ:\n{}", differences.join("\n"));
    assert_eq!(allowed_seen, TWIN_DIFFERENCES.len());
}

// ---------------------------------------------------------------------------------------------
// Factur-X / ZUGFeRD PDFs.

#[test]
fn the_zugferd_pdfs_carry_the_same_invoice_as_their_xml() {
    for name in ["EN16931_Einfach", "EN16931_Gutschrift"] {
        let pdf_file = format!("cii/zugferd-corpus/FX/{name}.pdf");
        let from_pdf = must_parse(&pdf_file);
        let from_xml = must_parse(&format!("cii/zugferd-corpus/{name}.cii.xml"));
        assert_eq!(contract(&from_pdf), contract(&from_xml), "{name}");
        let bytes = read(&pdf_file);
        assert_eq!(from_pdf.pdf.as_deref(), Some(bytes.as_slice()), "{name}: the PDF is kept");
        assert_eq!(from_pdf.invoice_pdf(), Some(bytes.as_slice()));
        assert_eq!(from_xml.invoice_pdf(), None);
        let json = serde_json::to_value(&from_pdf).unwrap();
        assert_eq!(json["pdf_bytes"], Value::from(bytes.len()));
    }
    let einfach = must_parse("cii/zugferd-corpus/FX/EN16931_Einfach.pdf");
    assert_eq!(einfach.number, "471102");
    assert_eq!(einfach.payable.to_string(), "529.87");
    assert_eq!(einfach.buyer.name, "Kunden AG Mitte");
}

#[test]
fn the_factur_x_pdfs_yield_their_embedded_values() {
    struct Expected {
        file: &'static str,
        kind: InvoiceKind,
        type_code: &'static str,
        number: &'static str,
        issue_date: &'static str,
        due_date: Option<&'static str>,
        line_extension: Option<&'static str>,
        tax_total: &'static str,
        tax_inclusive: &'static str,
        prepaid: Option<&'static str>,
        payable: &'static str,
        reference: Option<&'static str>,
        iban: Option<&'static str>,
        buyer: &'static str,
        buyer_vat: &'static str,
        line_count: usize,
    }
    let cases = [
        Expected {
            file: "cii/zugferd-corpus/FX/FNFE-Avoir_FR_type381_BASIC.pdf",
            kind: InvoiceKind::CreditNote,
            type_code: "381",
            number: "AV-2017-0005",
            issue_date: "2017-11-16",
            due_date: Some("2017-11-16"),
            line_extension: Some("218.48"),
            tax_total: "14.99",
            tax_inclusive: "233.47",
            prepaid: Some("0.00"),
            payable: "233.47",
            reference: Some("AV-2017-0005"),
            iban: None,
            buyer: "Ma jolie boutique",
            buyer_vat: "FR19787878784",
            line_count: 2,
        },
        Expected {
            file: "cii/zugferd-corpus/FX/FNFE-Facture_FR_BASICWL.pdf",
            kind: InvoiceKind::Invoice,
            type_code: "380",
            number: "FA-2017-0010",
            issue_date: "2017-11-13",
            due_date: Some("2017-12-13"),
            line_extension: Some("624.90"),
            tax_total: "46.25",
            tax_inclusive: "671.15",
            prepaid: Some("201.00"),
            payable: "470.15",
            reference: Some("FA-2017-0010"),
            iban: Some("FR2012421242124212421242124"),
            buyer: "Ma jolie boutique",
            buyer_vat: "FR19787878784",
            line_count: 0,
        },
        Expected {
            file: "cii/zugferd-corpus/FX/FNFE-Facture_UE_MINIMUM.pdf",
            kind: InvoiceKind::Invoice,
            type_code: "380",
            number: "FA-2017-0008",
            issue_date: "2017-11-03",
            due_date: None,
            line_extension: None,
            tax_total: "0.00",
            tax_inclusive: "2076.76",
            prepaid: None,
            payable: "1453.76",
            reference: None,
            iban: None,
            buyer: "Me gusta olive",
            buyer_vat: "ESA12345674",
            line_count: 0,
        },
        Expected {
            file: "cii/zugferd-corpus/FX/fail/FNFE-Facture_FR_EN16931.pdf",
            kind: InvoiceKind::Invoice,
            type_code: "380",
            number: "FA-2017-0010",
            issue_date: "2017-11-13",
            due_date: Some("2017-12-13"),
            line_extension: Some("624.90"),
            tax_total: "46.25",
            tax_inclusive: "671.15",
            prepaid: Some("201.00"),
            payable: "470.15",
            reference: Some("FA-2017-0010"),
            iban: Some("FR2012421242124212421242124"),
            buyer: "Ma jolie boutique",
            buyer_vat: "FR19787878784",
            line_count: 3,
        },
    ];
    for e in cases {
        let invoice = must_parse(e.file);
        let f = e.file;
        assert_eq!(invoice.syntax, Syntax::Cii, "{f}");
        assert_eq!(invoice.kind, e.kind, "{f}");
        assert_eq!(invoice.type_code, e.type_code, "{f}");
        assert_eq!(invoice.number, e.number, "{f}");
        assert_eq!(invoice.issue_date.to_string(), e.issue_date, "{f}");
        assert_eq!(invoice.due_date.map(|d| d.to_string()).as_deref(), e.due_date, "{f}");
        assert_eq!(invoice.currency.code(), "EUR", "{f}");
        assert_eq!(
            invoice.line_extension.map(|m| m.to_string()).as_deref(),
            e.line_extension,
            "{f}"
        );
        assert_eq!(invoice.tax_total.map(|m| m.to_string()).as_deref(), Some(e.tax_total), "{f}");
        assert_eq!(invoice.tax_inclusive.to_string(), e.tax_inclusive, "{f}");
        assert_eq!(invoice.prepaid.map(|m| m.to_string()).as_deref(), e.prepaid, "{f}");
        assert_eq!(invoice.payable.to_string(), e.payable, "{f}");
        assert_eq!(invoice.payment_reference.as_deref(), e.reference, "{f}");
        assert_eq!(invoice.payee_iban.as_deref(), e.iban, "{f}");
        assert_eq!(invoice.buyer.name, e.buyer, "{f}");
        assert_eq!(invoice.buyer.vat_number.as_deref(), Some(e.buyer_vat), "{f}");
        assert_eq!(invoice.line_count, e.line_count, "{f}");
        assert_eq!(invoice.seller.name, "Au bon moulin", "{f}");
        assert_eq!(invoice.pdf.as_ref().map(Vec::len), Some(read(f).len()), "{f}");
    }
}

#[test]
fn a_truncated_pdf_is_refused_with_a_location() {
    let bytes = read("cii/zugferd-corpus/FX/EN16931_Einfach.pdf");
    // Cut in the middle of the compressed embedded XML: the stream inflates partially and the
    // XML reader reports where it breaks, inside the PDF object.
    let start = bytes.windows(19).position(|w| w == b"/Type /EmbeddedFile").unwrap();
    let data = start + bytes[start..].windows(6).position(|w| w == b"stream").unwrap() + 8;
    let cut = &bytes[..data + 500];
    let error = parse(cut).unwrap_err();
    assert_located("truncated PDF", &error, cut.len());
    assert!(
        error
            .problems
            .iter()
            .any(|p| matches!(p.location, Location::PdfEmbedded { .. } | Location::PdfObject(_))),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Not invoices.

#[test]
fn cdar_status_messages_are_not_invoices() {
    let mut seen = 0;
    for file in all_files().into_iter().filter(|f| classify(f) == Class::Cdar) {
        let error = parse_file(&file).expect_err(&file);
        assert!(error.is_not_an_invoice(), "{file}: {error}");
        assert!(
            error.to_string().contains(
                "not an invoice: a UN/CEFACT CrossDomainAcknowledgementAndResponse (CDAR)"
            ),
            "{file}: {error}"
        );
        seen += 1;
    }
    assert_eq!(seen, 11);
}

#[test]
fn other_inputs_are_not_invoices() {
    for (input, needle) in [
        (&b""[..], "empty"),
        (b"   \n", "empty"),
        (b"hello", "neither XML nor PDF"),
        (
            b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>",
            "a UBL Order document",
        ),
        (b"<html><body/></html>", "root element html"),
    ] {
        let error = parse(input).unwrap_err();
        assert!(error.is_not_an_invoice(), "{error}");
        assert!(error.to_string().contains(needle), "{error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rule test sets.

/// One `<test>` of a vefa test set: the rules expected to pass or fire, and the fragment.
struct RuleTest {
    success: Vec<String>,
    error: Vec<String>,
    fragment: String,
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// The contents of every `<test>` / `<test id="…">` element.
fn test_elements(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<test") {
        let after = &rest[start + "<test".len()..];
        if !after.starts_with(['>', ' ', '\t', '\r', '\n']) {
            rest = after;
            continue;
        }
        let Some(open_end) = after.find('>') else { break };
        let body = &after[open_end + 1..];
        let Some(end) = body.find("</test>") else { break };
        found.push(&body[..end]);
        rest = &body[end + "</test>".len()..];
    }
    found
}

fn rule_tests(text: &str) -> Vec<RuleTest> {
    let text = strip_comments(text);
    test_elements(&text)
        .into_iter()
        .map(|test| {
            let (assert, fragment) = test.split_once("</assert>").unwrap_or(("", test));
            RuleTest {
                success: between(assert, "<success>", "</success>")
                    .into_iter()
                    .map(|s| s.trim().to_owned())
                    .collect(),
                error: between(assert, "<error>", "</error>")
                    .into_iter()
                    .map(|s| s.trim().to_owned())
                    .collect(),
                fragment: fragment.to_owned(),
            }
        })
        .collect()
}

/// EN 16931 presence rules and the terms `parse` names when the element (or its container) is
/// missing.
const PRESENCE_RULES: &[(&str, &[&str])] = &[
    ("BR-02", &["(BT-1)"]),
    ("BR-03", &["(BT-2)"]),
    ("BR-04", &["(BT-3)"]),
    ("BR-05", &["(BT-5)"]),
    ("BR-06", &["(BT-27)", "(BG-4)"]),
    ("BR-07", &["(BT-44)", "(BG-7)"]),
    ("BR-12", &["(BT-106)", "(BG-22)"]),
    ("BR-13", &["(BT-109)", "(BG-22)"]),
    ("BR-14", &["(BT-112)", "(BG-22)"]),
    ("BR-15", &["(BT-115)", "(BG-22)"]),
];

#[test]
fn rule_test_sets_never_panic_and_presence_rules_match() {
    let mut files = 0;
    let mut fragments = 0;
    let mut presence_checked = 0;
    let mut complete = 0;
    for file in all_files() {
        if !matches!(classify(&file), Class::UblRuleTestSet | Class::CiiRuleTestSet) {
            continue;
        }
        files += 1;
        let bytes = read(&file);
        // The whole file is a vefa testSet, not an invoice.
        let whole = std::panic::catch_unwind(|| parse(&bytes))
            .unwrap_or_else(|_| panic!("{file}: parse panicked"));
        let error = whole.expect_err(&file);
        assert_located(&file, &error, bytes.len());
        assert!(error.is_not_an_invoice(), "{file}: {error}");
        assert!(error.to_string().contains("root element testSet"), "{file}: {error}");

        let text = String::from_utf8(bytes).unwrap();
        for (index, test) in rule_tests(&text).into_iter().enumerate() {
            fragments += 1;
            let what = format!("{file} test {index}");
            let result = std::panic::catch_unwind(|| parse(test.fragment.as_bytes()))
                .unwrap_or_else(|_| panic!("{what}: parse panicked"));
            let fields: Vec<String> = match &result {
                Ok(invoice) => {
                    check_invariants(&what, invoice);
                    complete += 1;
                    Vec::new()
                }
                Err(error) => {
                    assert_located(&what, error, test.fragment.len());
                    // Only absence counts here: a present but malformed value is another rule.
                    error
                        .problems
                        .iter()
                        .filter(|p| {
                            p.reason.ends_with("is missing") || p.reason.ends_with("is empty")
                        })
                        .map(|p| p.field.clone().unwrap_or_default())
                        .collect()
                }
            };
            for (rule, terms) in PRESENCE_RULES {
                let named = fields.iter().any(|f| terms.iter().any(|t| f.contains(t)));
                if test.error.iter().any(|r| r == rule) {
                    assert!(named, "{what}: {rule} must fire, but parse named {fields:?}");
                    presence_checked += 1;
                }
                if test.success.iter().any(|r| r == rule) {
                    assert!(!named, "{what}: {rule} must pass, but parse named {fields:?}");
                    presence_checked += 1;
                }
            }
        }
    }
    assert_eq!(files, 271 + 52);
    // The derived indexes (index.json, *.index.json) list every test of every file.
    let mut indexed = 0;
    for file in all_files().iter().filter(|f| f.ends_with("index.json")) {
        let index: Value = serde_json::from_slice(&read(file)).unwrap();
        for entry in index["files"].as_array().unwrap() {
            indexed += entry["tests"].as_array().unwrap().len();
        }
    }
    assert_eq!(fragments, indexed, "fragments found vs tests listed in the indexes");
    assert!(presence_checked >= 20, "only {presence_checked} presence checks");
    println!(
        "{files} rule test sets, {fragments} fragments ({complete} complete invoices), \
         {presence_checked} presence checks"
    );
}

// ---------------------------------------------------------------------------------------------
// Robustness.

#[test]
fn amounts_with_too_many_decimals_are_located() {
    let original = String::from_utf8(read("ubl/peppol-bis3/examples/base-example.xml")).unwrap();
    let bad = original.replace(
        "<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>",
        "<cbc:PayableAmount currencyID=\"EUR\">1656.255</cbc:PayableAmount>",
    );
    assert_ne!(bad, original);
    let error = parse(bad.as_bytes()).unwrap_err();
    assert_eq!(error.kind, EInvoiceErrorKind::Invalid);
    assert_eq!(error.problems.len(), 1, "{error}");
    let problem = &error.problems[0];
    assert_eq!(problem.field.as_deref(), Some("cbc:PayableAmount (BT-115)"));
    assert_eq!(
        problem.reason,
        "cbc:PayableAmount (BT-115): amount '1656.255' has more decimals than EUR allows"
    );
    let at = bad.find("<cbc:PayableAmount").unwrap();
    assert_eq!(problem.location, Location::Byte(u64::try_from(at).unwrap()));

    let missing =
        original.replace("<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>", "");
    let error = parse(missing.as_bytes()).unwrap_err();
    assert_eq!(error.problems[0].reason, "cbc:PayableAmount (BT-115) is missing");
}

#[test]
fn a_belgian_invoice_reads_its_ogm_iban_and_enterprise_number() {
    let invoice = must_parse("ubl/en16931/examples/ubl-tc434-creditnote1.xml");
    assert_eq!(invoice.kind, InvoiceKind::CreditNote);
    assert_eq!(invoice.payment_reference.as_deref(), Some("010676609538"));
    assert_eq!(invoice.payment_reference_scheme, Some(ReferenceKind::Ogm));
    assert_eq!(invoice.payee_iban.as_deref(), Some("BE91000000143476"));
    assert_eq!(invoice.buyer.country.as_deref(), Some("BE"));
    let json = serde_json::to_value(&invoice).unwrap();
    assert_eq!(json["type"], "credit_note");
    assert_eq!(json["payment_reference_scheme"], "ogm");
}

#[test]
fn embedded_documents_are_decoded_and_serialised_by_size() {
    let invoice = must_parse("ubl/en16931/examples/ubl-tc434-example2.xml");
    assert_eq!(invoice.attachments.len(), 1);
    let attachment = &invoice.attachments[0];
    assert_eq!(attachment.filename.as_deref(), Some("test.pdf"));
    assert_eq!(attachment.mime.as_deref(), Some("application/pdf"));
    assert_eq!(attachment.bytes, b"Testing Base64 encoding");
    // The invoice's own PDF is its first PDF attachment when it did not come as a PDF.
    assert_eq!(invoice.invoice_pdf(), Some(&b"Testing Base64 encoding"[..]));
    let json = serde_json::to_value(&invoice).unwrap();
    let value = &json["attachments"][0];
    assert_eq!(value["size"], 23);
    assert_eq!(value["filename"], "test.pdf");
    assert!(value.get("bytes").is_none(), "attachment bytes are not serialised");

    let csv = must_parse("ubl/en16931/testfiles/Invoice-Max_content.xml");
    assert_eq!(csv.attachments.len(), 1);
    assert_eq!(csv.attachments[0].mime.as_deref(), Some("text/csv"));
    assert_eq!(csv.attachments[0].bytes.len(), 6);
    assert_eq!(csv.invoice_pdf(), None);

    let cii = must_parse(
        "cii/zugferd-corpus/not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel.cii.xml",
    );
    assert_eq!(cii.attachments.len(), 1);
    assert_eq!(cii.attachments[0].filename.as_deref(), Some("filename0"));

    let broken = String::from_utf8(read("ubl/en16931/examples/ubl-tc434-example2.xml"))
        .unwrap()
        .replace("VGVzdGluZyBCYXNlNjQgZW5jb2Rpbmc=", "VGVzd*GluZ");
    let error = parse(broken.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("'test.pdf' is not valid base64"), "{error}");
}

#[test]
fn a_ubl_invoice_with_a_credit_note_type_code_is_a_credit_note() {
    let original = String::from_utf8(read("ubl/peppol-bis3/examples/base-example.xml")).unwrap();
    let credit = original.replace(
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
        "<cbc:InvoiceTypeCode>381</cbc:InvoiceTypeCode>",
    );
    assert_ne!(credit, original);
    let invoice = parse(credit.as_bytes()).unwrap();
    assert_eq!(invoice.kind, InvoiceKind::CreditNote);
    assert_eq!(invoice.payable.to_string(), "1656.25", "amounts stay as written");
}

#[test]
fn oversized_and_overdeep_inputs_are_refused() {
    let mut big = b"<Invoice>".to_vec();
    big.resize(arflow_formats::einvoice::MAX_FILE_BYTES + 1, b' ');
    let error = parse(&big).unwrap_err();
    assert_eq!(error.kind, EInvoiceErrorKind::Unreadable);
    assert!(error.to_string().contains("at most"), "{error}");

    let depth = arflow_formats::einvoice::MAX_XML_DEPTH + 5;
    let deep = format!(
        "<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'>{}{}</Invoice>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let error = parse(deep.as_bytes()).unwrap_err();
    assert_eq!(error.kind, EInvoiceErrorKind::Unreadable);
    assert!(error.to_string().contains("nested more than"), "{error}");
}

#[test]
fn latin1_declared_invoices_are_decoded() {
    let original =
        String::from_utf8(read("ubl/en16931/testfiles/BIS_Billing_30-OmvandSkattskyldighet.xml"))
            .unwrap();
    assert!(
        original.contains("Entrepenör & Bygg AB") || original.contains("Entrepenör &amp; Bygg AB")
    );
    let latin1: Vec<u8> = original
        .replacen("encoding=\"utf-8\"", "encoding=\"ISO-8859-1\"", 1)
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("the file is Latin-1 compatible"))
        .collect();
    let a = parse(original.as_bytes()).unwrap();
    let b = parse(&latin1).unwrap();
    assert_eq!(a.buyer.name, "Entrepenör & Bygg AB");
    assert_eq!(a, b);
}

#[test]
fn pathological_inputs_finish_in_linear_time() {
    let started = std::time::Instant::now();
    let n = 200_000;
    let ubl_root = "<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'>";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "streams without endstream",
            format!("%PDF-1.4\n{}", "1 0 obj << /Length 99999999 >> stream\n".repeat(n))
                .into_bytes(),
        ),
        ("unclosed strings", format!("%PDF-1.4\n{}", "1 0 obj (".repeat(n)).into_bytes()),
        (
            "nested arrays",
            format!("%PDF-1.4\n{}", "1 0 obj [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ ".repeat(n / 10))
                .into_bytes(),
        ),
        (
            "many references",
            format!("%PDF-1.4\n1 0 obj [{}] endobj", "1 0 R ".repeat(n)).into_bytes(),
        ),
        (
            "many root children",
            format!("{ubl_root}{}</Invoice>", "<cbc:Note>x</cbc:Note>".repeat(n)).into_bytes(),
        ),
        (
            "many lines",
            format!(
                "{ubl_root}{}</Invoice>",
                "<cac:InvoiceLine><a><b/></a></cac:InvoiceLine>".repeat(n)
            )
            .into_bytes(),
        ),
        (
            "many attributes",
            format!(
                "{ubl_root}<a {}/></Invoice>",
                (0..n).map(|i| format!("a{i}='1' ")).collect::<String>()
            )
            .into_bytes(),
        ),
        (
            "many entities",
            format!("{ubl_root}<cbc:ID>{}</cbc:ID></Invoice>", "&amp;".repeat(n)).into_bytes(),
        ),
    ];
    for (what, input) in cases {
        let error = parse(&input).expect_err(what);
        assert_located(what, &error, input.len());
    }
    // Generous: each case is a few MB and linear work; quadratic work would take hours.
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

/// Files the mutation test starts from: each syntax, a credit note, and both kinds of PDF.
const MUTATION_SEEDS: &[&str] = &[
    "ubl/peppol-bis3/examples/base-example.xml",
    "ubl/en16931/examples/ubl-tc434-creditnote1.xml",
    "ubl/en16931/testfiles/Invoice-Max_content.xml",
    "cii/gobl-cii/zugferd-1.xml",
    "cii/xrechnung-testsuite/01.01a-INVOICE_uncefact.xml",
    "cii/zugferd-corpus/FX/FNFE-Facture_UE_MINIMUM.pdf",
    "cii/zugferd-corpus/FX/EN16931_Einfach.pdf",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::Flip { at, bit } => {
            let i = at % bytes.len();
            bytes[i] ^= 1 << bit;
        }
        Mutation::Insert { at, bytes: inserted } => {
            let i = at % (bytes.len() + 1);
            bytes.splice(i..i, inserted.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let i = at % bytes.len();
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Truncate { at } => {
            let i = at % bytes.len();
            bytes.truncate(i);
        }
    }
}

fn assert_total(input: &[u8]) {
    match parse(input) {
        Ok(invoice) => {
            assert!(!invoice.number.is_empty());
            let _ = serde_json::to_value(&invoice).unwrap();
        }
        Err(error) => assert_located("mutated input", &error, input.len()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        assert_total(&bytes);
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend_from_slice(&bytes);
        assert_total(&pdf);
        let mut xml = b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'>".to_vec();
        xml.extend_from_slice(&bytes);
        assert_total(&xml);
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        seed in 0..MUTATION_SEEDS.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = read(MUTATION_SEEDS[seed]);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        assert_total(&bytes);
    }
}
