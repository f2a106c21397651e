//! Runs every file of the CODA corpus (`shared/corpus/coda`) through
//! `arflow_formats::statement::coda`, plus round-trip, tolerance and robustness properties.
//!
//! The corpus is read in place, never copied into the repository: by default from the shared
//! folder next to the workspace, or from `$ARFLOW_CORPUS/coda` when `ARFLOW_CORPUS` points at
//! another corpus root. A missing corpus fails the tests; it does not skip them.
//!
//! Every `.txt` / `.cod` file of the corpus is either in [`VALID`] (parsed, with its
//! expectations asserted) or in [`INVALID`] (refused, with the problem asserted);
//! `every_corpus_file_is_covered` fails on a file in neither list, so a file added to the corpus
//! cannot go unnoticed. Expected values come from the `expected.json` files where the projects'
//! models and arflow's coincide; where they differ (arflow replaces a reconciled globalised total
//! by its details, keeps unchecked OGMs as `other`, does not keep addresses), the test says so
//! next to the assertion.

use std::path::PathBuf;

use arflow_core::date::Date;
use arflow_core::money::{Currency, Money};
use arflow_core::reference::{ReferenceScheme, generate};
use arflow_formats::statement::coda::{parse, write_coda};
use arflow_formats::statement::{
    Balance, BalanceCheck, Entry, Location, ParsedStatements, Problem, ReferenceKind, Statement,
    StatementError, StatementFormat, StructuredReference,
};
use proptest::prelude::*;
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("ARFLOW_CORPUS") {
        Some(root) => PathBuf::from(root).join("coda"),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/coda")),
    }
}

fn read(relative: &str) -> Vec<u8> {
    let path = corpus_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the corpus file {} ({error}); set ARFLOW_CORPUS to the corpus root",
            path.display()
        )
    })
}

fn expected(folder: &str) -> Value {
    let bytes = read(&format!("{folder}/expected.json"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{folder}/expected.json: {e}"))
}

fn parsed(relative: &str) -> ParsedStatements {
    match parse(&read(relative)) {
        Ok(p) => p,
        Err(e) => panic!("{relative} should parse: {:#?}", e.problems),
    }
}

fn refused(relative: &str) -> StatementError {
    match parse(&read(relative)) {
        Ok(p) => panic!("{relative} should be refused, got {} statements", p.statements.len()),
        Err(e) => e,
    }
}

fn eur(text: &str) -> Money {
    Money::parse(text, Currency::EUR).unwrap()
}

fn date(text: &str) -> Date {
    arflow_core::date::parse_iso_date(text).unwrap()
}

fn str_of<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or_else(|| panic!("expected.json: no string {key} in {value}"))
}

/// A signed amount from pycoda's unsigned amount + sign fields.
fn signed(value: &Value, amount: &str, sign: &str) -> Money {
    let m = eur(str_of(value, amount));
    if str_of(value, sign) == "debit" { m.neg().unwrap() } else { m }
}

fn entry_at(statement: &Statement, line: u32) -> &Entry {
    statement
        .entries
        .iter()
        .find(|e| e.location == Location::Line(line))
        .unwrap_or_else(|| panic!("no entry from line {line}"))
}

fn ogm(value: &str) -> Option<StructuredReference> {
    Some(StructuredReference { scheme: ReferenceKind::Ogm, value: value.to_owned() })
}

fn other(value: &str) -> Option<StructuredReference> {
    Some(StructuredReference { scheme: ReferenceKind::Other, value: value.to_owned() })
}

fn has_warning(parsed: &ParsedStatements, line: u32, field: &str) -> bool {
    parsed
        .warnings
        .iter()
        .any(|w| w.location == Location::Line(line) && w.field.as_deref() == Some(field))
}

/// How many records of a kind (`"21"`, `"31"`) a corpus file holds, counted on its lines.
fn count_records(relative: &str, kind: &str) -> usize {
    String::from_utf8_lossy(&read(relative)).lines().filter(|l| l.starts_with(kind)).count()
}

/// Every statement's balance check is what its own numbers give.
fn assert_consistent(parsed: &ParsedStatements) {
    assert_eq!(parsed.format, StatementFormat::Coda);
    assert_eq!(parsed.message, "CODA 2");
    for s in &parsed.statements {
        let check = BalanceCheck::compute(
            s.opening_balance.as_ref(),
            &s.entries,
            s.closing_balance.as_ref(),
        );
        assert_eq!(s.balance_check, check);
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus, file by file
// ---------------------------------------------------------------------------------------------

/// Files that parse, each with the test asserting its content.
const VALID: &[&str] = &[
    "pycoda/Coda_v2_3_single_statement.txt",
    "pycoda/Coda_v2_3_multi_statements.txt",
    "pycoda/Coda_v2_3_faulty_globalisation.txt",
    "pycoda/Coda_v2_3_faulty_globalisation_2.txt",
    "pycoda/Coda_v2_3_globalisation.txt",
    "pycoda/Coda_v2_3_globalisation_2.txt",
    "pycoda/Coda_foreign_account.txt",
    "oca-l10n-belgium/Ontvangen_CODA.2012-01-11-18.59.15.txt",
    "oca-l10n-belgium/Coda_iban_v2_3_multi_statements.txt",
    "php-coda-parser/sample1.cod",
    "php-coda-parser/sample3.cod",
    "php-coda-parser/sample5.cod",
    "coda_standard/coda.cod",
];

/// Files that are refused: (file, line, field, part of the reason).
const INVALID: &[(&str, u32, Option<&str>, &str)] = &[
    // pycoda R001: the header's version code (pos 128) is 5.
    (
        "pycoda/Coda_faulty_version.txt",
        1,
        Some("record 0 pos 128 version code"),
        "CODA version 5 is not supported",
    ),
    // Truncated records and blank lines; the last line, "100/0000/00135", comes after the
    // trailer without a header.
    ("coda_standard/invalid.cod", 18, Some("record 1"), "outside a statement"),
    // The new balance 23154.685 EUR has a third decimal: a euro amount cannot be booked exactly
    // (php-coda-parser reads it as a float; its test asserts only a message of this file).
    (
        "php-coda-parser/sample2.cod",
        17,
        Some("record 8 pos 43-57 amount"),
        "23154.685 EUR has more decimals than EUR allows (2)",
    ),
    // The hand-made information records are shifted by one position: pos 40 (the structured
    // flag) holds the 'E' of "Europese" (php-coda-parser only asserts the movement's message).
    (
        "php-coda-parser/sample4.cod",
        8,
        Some("record 31 pos 40 communication type"),
        "must be 0 (free) or 1 (structured), found 'E'",
    ),
    // The first movement is -767.823 EUR (the php test asserts exactly that three-decimal
    // amount): not exact in euro, so the file is refused rather than rounded.
    (
        "php-coda-parser/sample6.cod",
        3,
        Some("record 21 pos 33-47 amount"),
        "767.823 EUR has more decimals than EUR allows (2)",
    ),
];

#[test]
fn every_corpus_file_is_covered() {
    let mut found = Vec::new();
    for folder in std::fs::read_dir(corpus_dir()).expect("the CODA corpus folder") {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".txt") || name.ends_with(".cod") {
                let folder = folder.file_name().unwrap().to_string_lossy().to_string();
                found.push(format!("{folder}/{name}"));
            }
        }
    }
    found.sort();
    let mut listed: Vec<String> = VALID
        .iter()
        .map(|s| (*s).to_owned())
        .chain(INVALID.iter().map(|(f, ..)| (*f).to_owned()))
        .collect();
    listed.sort();
    assert_eq!(found, listed, "every corpus file must be in VALID or INVALID");
    assert_eq!(found.len(), 18);

    // The manifest lists the same files (and the licences).
    let manifest = String::from_utf8(read("MANIFEST.tsv")).unwrap();
    let mut in_manifest: Vec<String> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|p| !p.ends_with("LICENSE"))
        .map(str::to_owned)
        .collect();
    in_manifest.sort();
    assert_eq!(in_manifest, listed);
}

#[test]
fn every_valid_corpus_file_parses_consistently() {
    for file in VALID {
        let p = parsed(file);
        assert!(!p.statements.is_empty(), "{file}");
        assert_consistent(&p);
    }
}

#[test]
fn every_invalid_corpus_file_is_refused_with_its_reason() {
    for (file, line, field, reason) in INVALID {
        let e = refused(file);
        let hit = e.problems.iter().any(|p| {
            p.location == Location::Line(*line)
                && p.field.as_deref() == *field
                && p.reason.contains(reason)
        });
        assert!(hit, "{file}: expected line {line} {field:?} '{reason}', got {:#?}", e.problems);
    }
}

#[test]
fn pycoda_single_statement_matches_pycoda_and_odoo() {
    let file = "pycoda/Coda_v2_3_single_statement.txt";
    let exp = expected("pycoda");
    let first = &exp["first_statement"];
    let p = parsed(file);
    assert_eq!(
        p.statements.len() as u64,
        exp["files"]["Coda_v2_3_single_statement.txt"]["statements_count"].as_u64().unwrap()
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let s = &p.statements[0];
    assert_eq!(s.account, str_of(first, "account_number"));
    assert_eq!(s.currency.code(), str_of(first, "currency"));
    assert_eq!(s.account_holder.as_deref(), Some(str_of(first, "account_holder_name")));
    assert_eq!(s.id.as_deref(), Some(str_of(first, "paper_seq_number")));
    assert_eq!(s.account_bic.as_deref(), Some("KREDBEBB"));
    assert_eq!(
        s.opening_balance,
        Some(Balance {
            amount: signed(first, "old_balance", "old_balance_sign"),
            date: Some(date(str_of(first, "old_balance_date"))),
        })
    );
    assert_eq!(
        s.closing_balance,
        Some(Balance {
            amount: signed(first, "new_balance", "new_balance_sign"),
            date: Some(date(str_of(first, "new_balance_date"))),
        })
    );
    assert_eq!(s.to_date, Some(date("2009-03-05")));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    assert_eq!(s.location, Location::Line(1));

    // pycoda counts 32 movement records; two of them are globalised totals (sequences 16 and 17)
    // whose details reconcile, so arflow gives the 30 details and ordinary movements, as Odoo
    // does (OCA expected.json: lines_count 30).
    assert_eq!(count_records(file, "21") as u64, first["movements_count"].as_u64().unwrap());
    let oca = &expected("oca-l10n-belgium")["files"]["../pycoda/Coda_v2_3_single_statement.txt"];
    assert_eq!(s.entries.len() as u64, oca["lines_count"].as_u64().unwrap());
    assert_eq!(count_records(file, "31") as u64, first["informations_count"].as_u64().unwrap());

    let m0 = &first["movement_0"];
    let e0 = &s.entries[0];
    assert_eq!(e0.bank_reference.as_deref(), Some(str_of(m0, "transaction_ref")));
    assert_eq!(e0.amount, signed(m0, "amount", "amount_sign"));
    assert_eq!(e0.value_date, Some(date(str_of(m0, "transaction_date"))));
    assert_eq!(e0.booking_date, date(str_of(m0, "entry_date")));
    let code = format!(
        "{}{}{}{}",
        m0["transaction_type"].as_u64().unwrap(),
        str_of(m0, "transaction_family"),
        str_of(m0, "transaction_code"),
        str_of(m0, "transaction_category")
    );
    assert_eq!(e0.transaction_code.as_deref(), Some(code.as_str()));
    // A structured communication of type 114 (POS credit) is no payment reference: it is kept
    // as `other` with its type code and text.
    assert!(m0["communication_is_structured"].as_bool().unwrap());
    let reference = e0.reference.as_ref().unwrap();
    assert_eq!(reference.scheme, ReferenceKind::Other);
    assert!(reference.value.starts_with(&format!("{} ", str_of(m0, "communication_type"))));
    assert!(reference.value.ends_with("2905172259460041"), "{}", reference.value);
    assert_eq!(e0.remittance, "");
    assert_eq!(e0.counterparty_bic, None);
    assert_eq!(e0.counterparty_iban, None);
    assert_eq!(e0.counterparty_name, None);
    assert!(!e0.reversal);

    // information_0 (structured type 001, counterparty data) belongs to movement 10, whose
    // record 23 names the same counterparty.
    let info = str_of(&first["information_0"], "communication");
    let e10 = entry_at(s, 21);
    assert_eq!(e10.counterparty_name.as_deref(), info.strip_prefix("001"));
    assert_eq!(e10.amount, eur("-62095.01"));
    assert_eq!(
        e10.reference,
        other("107 740907316152050309PAIEMT.BETALING374191651101003 00876820909")
    );

    // OCA: the line with reference 0017/0005 (a detail of the globalised transfer).
    let line = &oca["line_with_ref_00170005"];
    let detail = entry_at(s, 62);
    assert_eq!(detail.remittance, str_of(line, "name"));
    assert_eq!(detail.amount, eur(str_of(line, "amount")));
    assert_eq!(detail.counterparty_iban.as_deref(), Some(str_of(line, "counterparty_account")));
    assert_eq!(detail.transaction_code.as_deref(), Some("60117000"), "type 6: detail of 2");

    // The globalised totals are replaced by their details: no entry from lines 41 and 47.
    assert!(s.entries.iter().all(|e| e.location != Location::Line(41)));
    assert!(s.entries.iter().all(|e| e.location != Location::Line(47)));
    let details_16: Vec<Money> =
        s.entries.iter().filter(|e| e.location == Location::Line(44)).map(|e| e.amount).collect();
    assert_eq!(details_16, vec![eur("62095.01")]);
    let details_17 = s
        .entries
        .iter()
        .filter(|e| e.transaction_code.as_deref() == Some("60117000"))
        .map(|e| e.amount)
        .collect::<Vec<_>>();
    assert_eq!(details_17.len(), 14);
    assert_eq!(Money::sum(Currency::EUR, details_17).unwrap(), eur("-2608.00"));
}

#[test]
fn pycoda_multi_statements_holds_two_statements_the_first_equal_to_the_single_one() {
    let exp = &expected("pycoda")["files"]["Coda_v2_3_multi_statements.txt"];
    let p = parsed("pycoda/Coda_v2_3_multi_statements.txt");
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    let single = parsed("pycoda/Coda_v2_3_single_statement.txt");
    assert_eq!(p.statements[0], single.statements[0]);
    let second = &p.statements[1];
    assert_eq!(second.location, Location::Line(94));
    assert_eq!(second.account, "BE12341702625236");
    assert_eq!(second.id.as_deref(), Some("053"));
    assert_eq!(second.entries.len(), 11);
    assert_eq!(second.opening_balance.unwrap().amount, eur("19338.09"));
    assert_eq!(second.closing_balance.unwrap().amount, eur("10807.81"));
    assert_eq!(second.balance_check, BalanceCheck::Ok);
    // The anonymised sample's closing record names another account number.
    assert!(has_warning(&p, 136, "record 8 pos 5-35 account number"));
}

#[test]
fn pycoda_faulty_globalisations_are_read_as_ordinary_movements() {
    let exp = &expected("pycoda")["files"];
    for (file, line_of_total) in
        [("Coda_v2_3_faulty_globalisation.txt", 7), ("Coda_v2_3_faulty_globalisation_2.txt", 3)]
    {
        let path = format!("pycoda/{file}");
        let p = parsed(&path);
        assert_eq!(p.statements.len() as u64, exp[file]["statements_count"].as_u64().unwrap());
        let s = &p.statements[0];
        // Every movement is its own entry: a globalisation without details is a plain total.
        assert_eq!(s.entries.len() as u64, exp[file]["movements_count"].as_u64().unwrap());
        assert_eq!(count_records(&path, "21"), s.entries.len());
        assert_eq!(s.balance_check, BalanceCheck::Ok);
        let total = entry_at(s, line_of_total);
        assert_eq!(total.transaction_code.as_deref(), Some("10105000"), "type 1: customer total");
        assert!(
            p.warnings
                .iter()
                .all(|w| w.field.as_deref() != Some("record 21 pos 125 globalisation code"))
        );
    }
    let s = &parsed("pycoda/Coda_v2_3_faulty_globalisation.txt").statements[0];
    assert_eq!(entry_at(s, 7).amount, eur("-5568.32"));
    assert_eq!(entry_at(s, 7).end_to_end_id.as_deref(), Some("XXXXX X-536908262/0/0000035187"));
    let e = entry_at(s, 13);
    assert_eq!(e.remittance, "F 469089");
    assert_eq!(e.counterparty_name.as_deref(), Some("XXXXX DOCUMENTS NV"));
    assert_eq!(e.counterparty_iban.as_deref(), Some("BE21234561029073"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("GEBABEBB"));
    // The movement's own 22 communication continues its 21 text.
    assert_eq!(
        entry_at(s, 3).remittance,
        "R:4-82055601/058 AFG:MC VAN 22/12 TOT 22/12 BRT:0000179,46EUR C:00001,63"
    );
}

#[test]
fn pycoda_globalisation_gives_the_detail_instead_of_the_total() {
    let exp = &expected("pycoda")["files"]["Coda_v2_3_globalisation.txt"];
    let file = "pycoda/Coda_v2_3_globalisation.txt";
    let p = parsed(file);
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    let s = &p.statements[0];
    // pycoda: 5 movements, the third a globalisation. arflow: the globalised total (line 13)
    // is replaced by its one detail (line 18), which adds up to it.
    let types: Vec<&str> =
        exp["movement_types"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(types, ["normal", "normal", "globalisation", "normal", "normal"]);
    assert_eq!(count_records(file, "21"), types.len());
    let lines: Vec<Location> = s.entries.iter().map(|e| e.location).collect();
    assert_eq!(lines, [3, 8, 18, 22].map(Location::Line));
    let detail = entry_at(s, 18);
    assert_eq!(detail.amount, eur("50000.00"));
    assert_eq!(detail.transaction_code.as_deref(), Some("80150100"), "type 8: detail of 3");
    assert_eq!(detail.counterparty_iban.as_deref(), Some("NL123KMG0261239759"));
    assert_eq!(detail.counterparty_name.as_deref(), Some("XXXX MARKET SA"));
    assert_eq!(detail.end_to_end_id.as_deref(), Some("FT14344YP389"));
    // Structured type 105 (original amount) is kept as it is.
    assert!(detail.reference.as_ref().unwrap().value.starts_with("105 "));
    assert_eq!(s.opening_balance.unwrap().amount, eur("-455.17"));
    assert_eq!(s.closing_balance.unwrap().amount, eur("275270.53"));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    assert!(has_warning(&p, 1, "record 0 pos 17 duplicate code"));

    // Without the detail the same total is one ordinary entry.
    let exp2 = &expected("pycoda")["files"]["Coda_v2_3_globalisation_2.txt"];
    let p2 = parsed("pycoda/Coda_v2_3_globalisation_2.txt");
    let s2 = &p2.statements[0];
    assert_eq!(s2.entries.len() as u64, exp2["movements_count"].as_u64().unwrap());
    assert_eq!(entry_at(s2, 13).amount, eur("50000.00"));
    assert_eq!(entry_at(s2, 13).transaction_code.as_deref(), Some("30150000"));
    assert_eq!(s2.balance_check, BalanceCheck::Ok);
    // That file lost four records but kept its trailer: the count no longer matches.
    assert!(has_warning(&p2, 21, "record 9 pos 17-22 number of records"));
    // The ATM/POS debit (structured type 124) keeps its type and text.
    assert_eq!(entry_at(s2, 18).reference, other("124 6703330000008003 2335 17098487 101214"));
}

#[test]
fn pycoda_foreign_account_is_read_with_its_iban_and_free_message() {
    let exp = &expected("pycoda")["files"]["Coda_foreign_account.txt"];
    let p = parsed("pycoda/Coda_foreign_account.txt");
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    let s = &p.statements[0];
    assert_eq!(s.account, str_of(exp, "account_number"));
    assert_eq!(s.currency.code(), str_of(exp, "currency"));
    assert_eq!(s.account_bic.as_deref(), Some("CCFRFRPP"));
    assert_eq!(s.opening_balance.unwrap().amount, eur("443390.70"));
    assert_eq!(s.closing_balance.unwrap().amount, eur("443346.30"));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    assert_eq!(s.entries.len(), 2);
    // A free information record continues the movement's communication.
    assert_eq!(
        s.entries[0].remittance,
        "TRANS : NMSC / INFO : ELYS PC ABONNEMENT CONTRAT NO 123456789379"
    );
    assert_eq!(s.entries[0].amount, eur("-37.00"));
    assert_eq!(s.entries[1].amount, eur("-7.40"));
    // The free message (record 4) is passed on as a warning.
    let message = p.warnings.iter().find(|w| w.location == Location::Line(9)).unwrap();
    assert_eq!(message.field.as_deref(), Some("record 4 free communication"));
    assert!(message.reason.ends_with("CLOSING AVAILABLE BALANCE C 180202 EUR 443346,3"));
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn pycoda_refuses_non_coda_content() {
    let exp = &expected("pycoda")["files"]["_invalid_content"];
    let e = parse(str_of(exp, "input_bytes").as_bytes()).unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].location, Location::Line(1));
    assert!(e.problems[0].reason.starts_with("not a CODA file"), "{:?}", e.problems);
}

#[test]
fn oca_kbc_file_gives_the_structured_communication_and_counterparty() {
    let exp = &expected("oca-l10n-belgium")["files"]["Ontvangen_CODA.2012-01-11-18.59.15.txt"];
    let p = parsed("oca-l10n-belgium/Ontvangen_CODA.2012-01-11-18.59.15.txt");
    assert_eq!(p.statements.len(), 1);
    let s = &p.statements[0];
    assert!(str_of(exp, "account").starts_with(&s.account));
    // Odoo's statement name is "<year of the new balance>/<paper number>".
    let name = format!("{}/{}", s.to_date.unwrap().year(), s.id.as_deref().unwrap());
    assert_eq!(name, str_of(exp, "statement_name"));
    assert_eq!(s.opening_balance.unwrap().amount, eur(str_of(exp, "opening_balance")));
    assert_eq!(s.closing_balance.unwrap().amount, eur(str_of(exp, "closing_balance")));
    // The anonymised sample does not add up (the closing record names another account); the
    // mismatch is reported, not hidden.
    assert_eq!(
        s.balance_check,
        BalanceCheck::Mismatch { computed: eur("13527.81"), closing: eur("13646.05") }
    );
    let narration = &exp["line_1_narration"];
    let line1 = &s.entries[1];
    assert_eq!(line1.counterparty_name.as_deref(), Some(str_of(narration, "counterparty_name")));
    assert_eq!(line1.counterparty_iban.as_deref(), Some(str_of(narration, "counterparty_account")));
    assert_eq!(line1.reference, ogm("240283842818"));
    assert!(str_of(narration, "communication").starts_with("+++240/2838/42818+++"));
    assert_eq!(line1.amount, eur("3044.45"));
    // Two globalised repayments (type 3, details of type 8) become their details; each detail
    // carries the total's communication.
    let details: Vec<(Location, Money)> =
        s.entries.iter().skip(2).take(4).map(|e| (e.location, e.amount)).collect();
    assert_eq!(
        details,
        [
            (Location::Line(13), eur("-419.92")),
            (Location::Line(14), eur("-59.12")),
            (Location::Line(16), eur("-419.92")),
            (Location::Line(17), eur("-59.12")),
        ]
    );
    assert!(
        s.entries[2..6].iter().all(|e| e.remittance == "KBC-INVESTERINGSKREDIET 737-6543210-21")
    );
    assert_eq!(s.entries.len(), 7);
    // Importing twice is refused by the import ledger, not by the parser: the parse itself is
    // deterministic.
    assert_eq!(parsed("oca-l10n-belgium/Ontvangen_CODA.2012-01-11-18.59.15.txt"), p);
}

#[test]
fn oca_bnp_multi_statement_file_balances_per_statement() {
    let exp = &expected("oca-l10n-belgium")["files"]["Coda_iban_v2_3_multi_statements.txt"];
    let p = parsed("oca-l10n-belgium/Coda_iban_v2_3_multi_statements.txt");
    let statements = exp["statements"].as_array().unwrap();
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    for (s, e) in p.statements.iter().zip(statements) {
        assert_eq!(s.account, str_of(exp, "account"));
        let name = format!("{}/{}", s.to_date.unwrap().year(), s.id.as_deref().unwrap());
        assert_eq!(name, str_of(e, "name"));
        assert_eq!(s.to_date, Some(date(str_of(e, "date"))));
        assert_eq!(s.opening_balance.unwrap().amount, eur(str_of(e, "opening_balance")));
        assert_eq!(s.closing_balance.unwrap().amount, eur(str_of(e, "closing_balance")));
        assert_eq!(s.entries.len() as u64, e["lines_count"].as_u64().unwrap());
        assert_eq!(s.balance_check, BalanceCheck::Ok);
    }
    let first = &p.statements[0].entries[0];
    assert_eq!(first.amount, eur("-122.40"));
    assert_eq!(first.remittance, "PREVENTION ET PROTECTION");
    assert_eq!(first.counterparty_name.as_deref(), Some("VZW SOCIAAL SECRET.SECUREX"));
    assert_eq!(first.counterparty_iban.as_deref(), Some("BE11290006307748"));
    assert_eq!(first.end_to_end_id.as_deref(), Some("201403281819027994ISABEL"));
    let second = &p.statements[1].entries[0];
    assert_eq!(second.location, Location::Line(17), "the type-8 detail replaces its total");
    assert_eq!(second.amount, eur("100000.00"));
    assert_eq!(second.counterparty_iban.as_deref(), Some("NL34BKMG0261239759"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn php_sample1_keeps_unchecked_structured_messages_as_given() {
    let exp = &expected("php-coda-parser")["files"]["sample1.cod"];
    let p = parsed("php-coda-parser/sample1.cod");
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    let s = &p.statements[0];
    assert_eq!(s.to_date, Some(date(str_of(exp, "date"))));
    assert_eq!(s.opening_balance.unwrap().amount, eur(str_of(exp, "opening_balance")));
    assert_eq!(s.closing_balance.unwrap().amount, eur(str_of(exp, "closing_balance")));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    assert_eq!(s.entries.len() as u64, exp["transactions_count"].as_u64().unwrap());
    assert_eq!(s.account, "138536152215", "account structure 0: the Belgian number as written");
    assert!(str_of(exp, "informational_message").is_empty());
    assert!(p.warnings.iter().all(|w| w.field.as_deref() != Some("record 4 free communication")));
    let t = &exp["transactions"][0];
    let e = &s.entries[0];
    // 000003505158 fails the OGM check digits: extracted as given, kept as `other`.
    assert_eq!(e.reference, other(str_of(t, "structured_message")));
    assert_eq!(e.amount, eur(str_of(t, "amount")));
    assert_eq!(e.counterparty_name.as_deref(), Some(str_of(t, "counterparty_name")));
    assert_eq!(e.counterparty_iban.as_deref(), Some(str_of(t, "counterparty_account")));
    // php's "message" here is the counterparty's address from the structured information
    // record 001; arflow keeps the name from it, not the address.
    assert_eq!(e.remittance, "");
    assert_eq!(
        s.entries.iter().map(|e| e.amount).collect::<Vec<_>>(),
        ["5.00", "25.00", "20.00", "30.00"].map(eur)
    );
}

#[test]
fn php_sample3_details_carry_the_message_of_their_total() {
    let exp = &expected("php-coda-parser")["files"]["sample3.cod"];
    let p = parsed("php-coda-parser/sample3.cod");
    let s = &p.statements[0];
    // php joins the total's and the details' texts into one message; arflow gives the two
    // details (they add up to the total), each with the total's text in front of its own.
    let message = str_of(&exp["transactions"][0], "message");
    assert_eq!(message, "Message goes here and continues here or here");
    let texts: Vec<&str> = s.entries.iter().map(|e| e.remittance.as_str()).collect();
    assert_eq!(texts, ["Message goes here and continues here", "Message goes here or here"]);
    assert_eq!(s.entries[0].amount, eur("-805.73"));
    assert_eq!(s.entries[1].amount, eur("-6.96"));
    // The total's counterparty account (record 23) is carried by both details.
    assert!(s.entries.iter().all(|e| e.counterparty_iban.as_deref() == Some("XXXXXXXXXXXX")));
    assert!(has_warning(&p, 8, "record 9 pos 23-37 sum of debits"));
}

#[test]
fn php_sample5_reads_free_and_structured_messages() {
    let exp = &expected("php-coda-parser")["files"]["sample5.cod"];
    let p = parsed("php-coda-parser/sample5.cod");
    assert_eq!(p.statements.len() as u64, exp["statements_count"].as_u64().unwrap());
    let s = &p.statements[0];
    assert_eq!(s.entries.len() as u64, exp["transactions_count"].as_u64().unwrap());
    assert_eq!(s.account, "001548226815");
    assert_eq!(s.opening_balance.unwrap().amount, eur("4004.10"));
    assert_eq!(s.closing_balance.unwrap().amount, eur("-500012.10"));
    let t = &exp["transactions"];
    assert!(t[0]["has_message"].as_bool().unwrap());
    assert_eq!(s.entries[0].remittance, "112/4554/46812 813 ANOTHER MESSAGE MESSAGE");
    assert_eq!(s.entries[0].reference, None, "112/4554/46812 fails the OGM check digits");
    assert!(t[1]["has_structured_message"].as_bool().unwrap());
    assert_eq!(s.entries[1].reference, other("112455446812"));
    assert_eq!(s.entries[1].remittance, "813 ANOTHER MESSAGE MESSAGE");
    assert!(t[2]["has_message"].as_bool().unwrap());
    assert_eq!(s.entries[2].remittance, "112/4554/46812 813 ANOTHER MESSAGE");
    assert_eq!(s.entries[2].counterparty_name, None);
    assert_eq!(s.entries[2].counterparty_bic.as_deref(), Some("GEBCEEBB"));
    // The counterparty data of sample6's first transaction (identical here, where the amount is
    // exact): name, BIC, account.
    let t6 = &expected("php-coda-parser")["files"]["sample6.cod"]["transactions"][0];
    let e = &s.entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some(str_of(t6, "counterparty_name")));
    assert_eq!(e.counterparty_bic.as_deref(), Some(str_of(t6, "counterparty_bic")));
    assert_eq!(e.counterparty_iban.as_deref(), Some(str_of(t6, "counterparty_account")));
    assert_eq!(e.value_date, Some(date(str_of(t6, "value_date"))));
    assert_eq!(e.booking_date, date(str_of(t6, "transaction_date")));
    assert_eq!(e.end_to_end_id.as_deref(), Some("54875"));
}

#[test]
fn coda_standard_file_gives_both_credits_with_their_ogm() {
    let exp = &expected("coda_standard")["files"]["coda.cod"];
    assert!(exp["valid"].as_bool().unwrap());
    let p = parsed("coda_standard/coda.cod");
    let list = &exp["transaction_lists"][0];
    let s = &p.statements[0];
    assert_eq!(s.account_bic.as_deref(), Some(str_of(exp, "bic_of_bank")));
    assert_eq!(s.account, str_of(list, "account"));
    let old = str_of(list, "old_balance");
    assert_eq!(
        s.opening_balance.unwrap().amount,
        Money::parse(&old[..old.len() - 1], Currency::EUR).unwrap()
    );
    for (e, t) in s.entries.iter().zip(list["transactions"].as_array().unwrap()) {
        assert_eq!(e.reference, ogm(str_of(t, "structured_communication")));
        assert_eq!(e.booking_date, date(str_of(t, "entry_date")));
        assert_eq!(e.bank_reference.as_deref(), Some(str_of(t, "reference_number")));
        assert_eq!(e.counterparty_iban.as_deref(), Some(str_of(t, "counterparty_account")));
        assert_eq!(e.counterparty_bic.as_deref(), Some(str_of(t, "counterparty_bic")));
        assert_eq!(e.counterparty_name.as_deref(), Some(str_of(t, "counterparty_name")));
        let amount = str_of(t, "amount");
        assert!(amount.ends_with('0'));
        assert_eq!(e.amount, eur(&amount[..amount.len() - 1]));
        assert_eq!(e.amount.currency().code(), str_of(t, "currency"));
        assert_eq!(e.remittance, "", "addresses of the 001 information record are not remittance");
    }
    assert_eq!(s.entries.len(), 2);
    // The gem's sample does not add up and its trailer is off: both are reported.
    assert_eq!(
        s.balance_check,
        BalanceCheck::Mismatch { computed: eur("58600.86"), closing: eur("58900.00") }
    );
    assert!(has_warning(&p, 14, "record 9 pos 17-22 number of records"));
    assert!(has_warning(&p, 14, "record 9 pos 38-52 sum of credits"));
    assert!(!exp_valid("invalid.cod"));
}

fn exp_valid(file: &str) -> bool {
    expected("coda_standard")["files"][file]["valid"].as_bool().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tolerance: line endings, stripped blanks, encodings
// ---------------------------------------------------------------------------------------------

#[test]
fn line_endings_and_stripped_trailing_blanks_do_not_change_the_result() {
    let original = read("pycoda/Coda_v2_3_single_statement.txt");
    let text = String::from_utf8(original.clone()).unwrap();
    let reference = parse(&original).unwrap();
    let lf = text.replace("\r\n", "\n");
    let cr = text.replace("\r\n", "\r");
    let stripped: String = text.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    let mixed: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l}{}", ["\r\n", "\n", "\r"][i % 3]))
        .collect();
    let no_final_newline = lf.trim_end().to_owned();
    for variant in [lf, cr, stripped, mixed, no_final_newline] {
        assert_eq!(parse(variant.as_bytes()).unwrap(), reference);
    }
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&original);
    assert_eq!(parse(&with_bom).unwrap(), reference);
}

#[test]
fn latin1_and_utf8_files_give_the_same_text() {
    // Put an accented name in a counterparty name field, once as Latin-1 and once as UTF-8.
    let text = String::from_utf8(read("coda_standard/coda.cod")).unwrap();
    let accented = text.replace("LASTNM PERSON", "LASTNM PERSÉE");
    let latin1: Vec<u8> = accented.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let utf8 = parse(accented.as_bytes()).unwrap();
    let from_latin1 = parse(&latin1).unwrap();
    assert_eq!(utf8, from_latin1);
    assert_eq!(utf8.statements[0].entries[0].counterparty_name.as_deref(), Some("LASTNM PERSÉE"));
    // Positions after the accented character are unchanged (characters, not bytes).
    assert_eq!(
        utf8.statements[0].entries[0].counterparty_iban.as_deref(),
        Some("BE53900754703405")
    );
}

// ---------------------------------------------------------------------------------------------
// Hand-made files: globalisation, errors, warnings
// ---------------------------------------------------------------------------------------------

/// A 128-character record from `(position, text)` pairs.
fn rec(fields: &[(usize, &str)]) -> String {
    let mut chars = vec![' '; 128];
    for (pos, text) in fields {
        for (i, c) in text.chars().enumerate() {
            chars[pos - 1 + i] = c;
        }
    }
    chars.into_iter().collect()
}

fn header() -> String {
    rec(&[(1, "00000"), (6, "010326"), (12, "000"), (15, "05"), (61, "GEBABEBB"), (128, "2")])
}

fn old_balance(amount: &str) -> String {
    rec(&[
        (1, "12001"),
        (6, "BE68539007547034"),
        (40, "EUR"),
        (43, amount),
        (59, "280226"),
        (65, "ACME NV"),
        (126, "001"),
    ])
}

fn new_balance(amount: &str) -> String {
    rec(&[(1, "8001"), (5, "BE68539007547034"), (39, "EUR"), (42, amount), (58, "010326")])
}

fn movement(seq_detail: &str, amount: &str, code: &str, glob: &str, comm: &str) -> String {
    rec(&[
        (1, "21"),
        (3, seq_detail),
        (11, "REF"),
        (32, amount),
        (48, "010326"),
        (54, code),
        (62, comm),
        (116, "010326"),
        (122, "001"),
        (125, glob),
    ])
}

fn trailer(count: &str, debit: &str, credit: &str) -> String {
    rec(&[(1, "9"), (17, count), (23, debit), (38, credit), (128, "2")])
}

fn file(lines: &[String]) -> Vec<u8> {
    lines.join("\n").into_bytes()
}

#[test]
fn a_two_level_globalisation_gives_its_lowest_details() {
    // Total 100.00 (level 1) = subtotal 60.00 (level 2: 10 + 50) + 40.00.
    let bytes = file(&[
        header(),
        old_balance("0000000000000000"),
        movement("00010000", "0000000000100000", "10150000", "1", "0BATCH 7"),
        movement("00010001", "0000000000060000", "50150000", "2", "0SUBTOTAL"),
        movement("00010002", "0000000000010000", "50150000", "0", "1101000000001010"),
        movement("00010003", "0000000000050000", "50150000", "2", "0INVOICE 2"),
        movement("00010004", "0000000000040000", "50150000", "1", "0"),
        new_balance("0000000000100000"),
        trailer("000007", "000000000000000", "000000000100000"),
    ]);
    let p = parse(&bytes).unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let s = &p.statements[0];
    let got: Vec<(Location, Money, &str, Option<StructuredReference>)> = s
        .entries
        .iter()
        .map(|e| (e.location, e.amount, e.remittance.as_str(), e.reference.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Location::Line(5), eur("10.00"), "BATCH 7", ogm("000000001010")),
            (Location::Line(6), eur("50.00"), "BATCH 7 INVOICE 2", None),
            (Location::Line(7), eur("40.00"), "BATCH 7", None),
        ]
    );
    assert_eq!(s.balance_check, BalanceCheck::Ok);
}

#[test]
fn details_that_do_not_add_up_leave_the_total_with_a_warning() {
    let bytes = file(&[
        header(),
        old_balance("0000000000000000"),
        movement("00010000", "1000000000100000", "10150000", "1", "0SALARIES"),
        movement("00010001", "1000000000060000", "50150000", "0", "0A"),
        movement("00010002", "1000000000030000", "50150000", "1", "0B"),
        new_balance("1000000000100000"),
        trailer("000005", "000000000100000", "000000000000000"),
    ]);
    let p = parse(&bytes).unwrap();
    let s = &p.statements[0];
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[0].amount, eur("-100.00"));
    assert_eq!(s.entries[0].remittance, "SALARIES");
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    let w = &p.warnings[0];
    assert_eq!(w.location, Location::Line(3));
    assert_eq!(w.field.as_deref(), Some("record 21 pos 125 globalisation code"));
    assert!(
        w.reason.contains("add up to -90.00 EUR, not to its total -100.00 EUR"),
        "{}",
        w.reason
    );

    // A level that is never closed: the same.
    let bytes = file(&[
        header(),
        old_balance("0000000000000000"),
        movement("00010000", "1000000000100000", "10150000", "1", "0SALARIES"),
        movement("00010001", "1000000000100000", "50150000", "0", "0A"),
        new_balance("1000000000100000"),
        trailer("000004", "000000000100000", "000000000000000"),
    ]);
    let p = parse(&bytes).unwrap();
    assert_eq!(p.statements[0].entries.len(), 1);
    assert!(p.warnings[0].reason.contains("is not closed by its details"));
}

#[test]
fn every_problem_is_listed_with_line_record_positions_and_reason() {
    let bytes = file(&[
        header(),
        old_balance("0000000000000000"),
        movement("00010000", "000000000010000X", "00150000", "0", "0"),
        movement("00020000", "2000000000010000", "00150000", "0", "0"),
        rec(&[
            (1, "21"),
            (3, "00030000"),
            (32, "0000000000010000"),
            (48, "320226"),
            (116, "010326"),
        ]),
        movement("00040000", "0000000000010001", "00150000", "0", "0"),
        new_balance("0000000000000000"),
        trailer("000006", "000000000000000", "000000000000000"),
    ]);
    let e = parse(&bytes).unwrap_err();
    let got: Vec<(u32, Option<&str>)> = e
        .problems
        .iter()
        .map(|p| match p.location {
            Location::Line(n) => (n, p.field.as_deref()),
            Location::Byte(_) => panic!("CODA problems are on lines"),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, Some("record 21 pos 33-47 amount")),
            (4, Some("record 21 pos 32 sign")),
            (5, Some("record 21 pos 48-53 value date")),
            (6, Some("record 21 pos 33-47 amount")),
        ]
    );
    assert!(e.problems[0].reason.contains("15 digits expected, found '00000000010000X'"));
    assert!(e.problems[1].reason.contains("must be 0 (credit) or 1 (debit), found '2'"));
    assert!(e.problems[2].reason.contains("'320226' is not a date"));
    assert!(e.problems[3].reason.contains("10.001 EUR has more decimals than EUR allows (2)"));
    assert_eq!(
        e.problems[0].render("x.cod"),
        "x.cod:3: record 21 pos 33-47 amount: 15 digits expected, found '00000000010000X'"
    );
}

#[test]
fn structural_errors_are_refused() {
    let ok = || {
        vec![
            header(),
            old_balance("0000000000000000"),
            movement("00010000", "0000000000010000", "00150000", "0", "0"),
            new_balance("0000000000010000"),
            trailer("000003", "000000000000000", "000000000010000"),
        ]
    };
    assert!(parse(&file(&ok())).is_ok());
    let cases: Vec<(Vec<String>, u32, &str)> = vec![
        // Truncated: no trailer.
        (ok()[..4].to_vec(), 4, "its trailer record 9 is missing"),
        // A 22 of another movement.
        (
            {
                let mut l = ok();
                l.insert(3, rec(&[(1, "22"), (3, "00020000")]));
                l
            },
            4,
            "this record is for movement 0002/0000 but follows movement 0001/0000",
        ),
        // An unknown record type.
        (
            {
                let mut l = ok();
                l.insert(3, rec(&[(1, "5"), (2, "0001")]));
                l
            },
            4,
            "unknown record type '5'",
        ),
        // A detail without its movement.
        (
            {
                let mut l = ok();
                l[2] = movement("00010001", "0000000000010000", "00150000", "0", "0");
                l
            },
            3,
            "without the movement itself",
        ),
        // A movement before the old balance.
        (
            {
                let mut l = ok();
                l.swap(1, 2);
                l
            },
            2,
            "the old balance record 1 must follow the header",
        ),
        // Version 1.
        (
            {
                let mut l = ok();
                l[0] = format!("{}1", &l[0][..127]);
                l
            },
            1,
            "CODA version 1 is not supported",
        ),
        // A record longer than 128 characters.
        (
            {
                let mut l = ok();
                l[2].push_str("XYZ");
                l
            },
            3,
            "the record has 131 characters",
        ),
        // An empty file.
        (vec![String::new(), "   ".to_owned()], 1, "the file is empty"),
    ];
    for (lines, line, reason) in cases {
        let e = parse(&file(&lines)).unwrap_err();
        assert!(
            e.problems
                .iter()
                .any(|p| p.location == Location::Line(line) && p.reason.contains(reason)),
            "expected line {line} '{reason}', got {:#?}",
            e.problems
        );
    }
}

#[test]
fn amounts_are_exact_in_the_account_currency() {
    let with_currency = |code: &str, amount: &str| {
        let one = old_balance("0000000000000000").replace("EUR", code);
        let eight = new_balance(amount).replace("EUR", code);
        file(&[
            header(),
            one,
            movement("00010000", amount, "00150000", "0", "0"),
            eight,
            trailer("000003", "000000000000000", &amount[1..]),
        ])
    };
    let kwd = parse(&with_currency("KWD", "0000000000001234")).unwrap();
    let kwd_currency = Currency::parse("KWD").unwrap();
    assert_eq!(kwd.statements[0].entries[0].amount, Money::from_minor(1234, kwd_currency));
    let jpy = parse(&with_currency("JPY", "0000000000150000")).unwrap();
    assert_eq!(
        jpy.statements[0].entries[0].amount,
        Money::from_minor(150, Currency::parse("JPY").unwrap())
    );
    let e = parse(&with_currency("JPY", "0000000000150500")).unwrap_err();
    assert!(
        e.problems
            .iter()
            .all(|p| p.reason.contains("150.500 JPY has more decimals than JPY allows (0)"))
    );
    let e = parse(&with_currency("XXX", "0000000000150000")).unwrap_err();
    assert_eq!(e.problems[0].field.as_deref(), Some("record 1 pos 40-42 currency"));
}

#[test]
fn r_transactions_and_sepa_direct_debits_are_read() {
    // A returned direct debit (R-type 2, reason MD06) with structured communication 127, whose
    // communication (after settlement date, codes, creditor id and mandate) holds an OGM.
    let ogm_text = generate(ReferenceScheme::Ogm, 4_242).unwrap();
    let content = format!(
        "{}{}{:<35}{:<35}{:<62}",
        "010326",
        "112",
        "BE12ZZZ0123456789",
        "MANDATE-42",
        ogm_text.display()
    );
    let (z21, rest) = content.split_at(50);
    let (z22, z23) = rest.split_at(53);
    let lines = [
        header(),
        old_balance("0000000000100000"),
        movement("00010000", "1000000000025000", "00505000", "0", &format!("1127{z21}")),
        rec(&[
            (1, "22"),
            (3, "00010000"),
            (11, z22),
            (64, "E2E-1"),
            (99, "GKCCBEBB"),
            (113, "2"),
            (114, "MD06"),
            (126, "1"),
        ]),
        rec(&[
            (1, "23"),
            (3, "00010000"),
            (11, "BE68539007547034"),
            (48, "DEBTOR BV"),
            (83, &z23[..33]),
        ]),
        new_balance("0000000000075000"),
        trailer("000005", "000000000025000", "000000000000000"),
    ];
    let p = parse(&file(&lines)).unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let e = &p.statements[0].entries[0];
    assert!(e.reversal);
    assert_eq!(e.return_reason.as_deref(), Some("MD06"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("E2E-1"));
    assert_eq!(e.reference, ogm(&ogm_text.normalized));
    assert_eq!(e.remittance, ogm_text.display());
    assert_eq!(e.counterparty_name.as_deref(), Some("DEBTOR BV"));
    assert_eq!(e.counterparty_iban.as_deref(), Some("BE68539007547034"));
    assert_eq!(e.amount, eur("-25.00"));
    assert_eq!(p.statements[0].balance_check, BalanceCheck::Ok);
}

#[test]
fn trailer_totals_that_disagree_are_warnings() {
    let bytes = file(&[
        header(),
        old_balance("0000000000000000"),
        movement("00010000", "0000000000010000", "00150000", "0", "0"),
        new_balance("0000000000010000"),
        trailer("000009", "000000000000001", "000000000010000"),
    ]);
    let p = parse(&bytes).unwrap();
    let fields: Vec<&str> = p.warnings.iter().map(|w| w.field.as_deref().unwrap()).collect();
    assert_eq!(
        fields,
        ["record 9 pos 17-22 number of records", "record 9 pos 23-37 sum of debits"]
    );
    assert!(
        p.warnings[1].reason.contains("states 0.001; the movements (detail 0000) add up to 0.000")
    );
}

// ---------------------------------------------------------------------------------------------
// Writing and round trips
// ---------------------------------------------------------------------------------------------

/// Locations depend on the layout the writer chose; everything else must survive.
fn without_locations(mut statements: Vec<Statement>) -> Vec<Statement> {
    for s in &mut statements {
        s.location = Location::Line(0);
        for e in &mut s.entries {
            e.location = Location::Line(0);
        }
    }
    statements
}

#[test]
fn every_valid_corpus_file_survives_a_write_and_read() {
    // The writer gives every entry its own movement (no globalisation), and drops what the model
    // does not hold; parsing its output again must give the same statements.
    for file in VALID {
        let first = parsed(file);
        let written = write_coda(&first.statements);
        let again = parse(written.as_bytes()).unwrap_or_else(|e| panic!("{file}: {e:#?}"));
        let mut expected = without_locations(first.statements.clone());
        // A remittance joined from separate texts comes back the same, references too; an `other`
        // reference has no CODA type and is written as text in front of the remittance.
        for s in &mut expected {
            for e in &mut s.entries {
                if let Some(r) = e.reference.clone().filter(|r| r.scheme == ReferenceKind::Other) {
                    let mut text = r.value.clone();
                    if !e.remittance.is_empty() {
                        text.push(' ');
                        text.push_str(&e.remittance);
                    }
                    e.remittance = text.chars().take(2000).collect();
                    e.reference = StructuredReference::find_in_text(&e.remittance);
                }
            }
        }
        assert_eq!(without_locations(again.statements), expected, "{file}");
    }
}

fn words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zé]{1,8}", 0..max).prop_map(|w| w.join(" "))
}

fn name(max_chars: usize) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::collection::vec("[A-Z][a-zé]{0,6}", 1..4).prop_map(move |w| {
        let joined = w.join(" ");
        joined.chars().take(max_chars).collect::<String>().trim().to_owned()
    }))
}

fn any_date() -> impl Strategy<Value = Date> {
    (2000_i16..2080, 1_i8..13, 1_i8..29).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn account() -> impl Strategy<Value = String> {
    prop_oneof![
        "BE[0-9]{14}",
        "NL[0-9]{2}[A-Z]{4}[0-9]{10}",
        "FR[0-9]{25}",
        "[0-9]{12}",
        "X[0-9]{4,10}",
    ]
}

fn reference() -> impl Strategy<Value = Option<StructuredReference>> {
    prop_oneof![
        Just(None),
        (0_u64..10_000_000_000).prop_map(|base| {
            let r = generate(ReferenceScheme::Ogm, base).unwrap();
            Some(StructuredReference { scheme: ReferenceKind::Ogm, value: r.normalized })
        }),
        (1_u64..1_000_000_000_000).prop_map(|base| {
            let r = generate(ReferenceScheme::Rf, base).unwrap();
            Some(StructuredReference { scheme: ReferenceKind::Rf, value: r.normalized })
        }),
    ]
}

fn entry(currency: Currency) -> impl Strategy<Value = Entry> {
    (
        (any_date(), prop::option::of(any_date()), -1_000_000_000_i64..1_000_000_000),
        (
            name(35),
            prop::option::of(account()),
            prop::option::of("[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?"),
        ),
        (reference(), words(60)),
        (
            prop::option::of("[A-Za-z0-9/-]{1,35}"),
            prop::option::of("[A-Z0-9]{1,21}"),
            prop::option::of("[0-9]{8}"),
            any::<bool>(),
            prop::option::of("[A-Z]{2}[0-9]{2}"),
        ),
    )
        .prop_map(
            move |(
                (booking_date, value_date, minor),
                (counterparty_name, counterparty_iban, counterparty_bic),
                (reference, remittance),
                (end_to_end_id, bank_reference, transaction_code, reversal, return_reason),
            )| Entry {
                booking_date,
                value_date,
                amount: Money::from_minor(minor, currency),
                counterparty_name,
                counterparty_iban,
                counterparty_bic,
                reference,
                remittance,
                end_to_end_id,
                bank_reference,
                transaction_code,
                reversal,
                return_reason,
                location: Location::Line(0),
            },
        )
}

fn statement() -> impl Strategy<Value = Statement> {
    prop_oneof![Just("EUR"), Just("USD"), Just("JPY"), Just("KWD")]
        .prop_map(|code| Currency::parse(code).unwrap())
        .prop_flat_map(|currency| {
            (
                (
                    prop::option::of(1_u32..1000),
                    account(),
                    prop::option::of("[A-Z]{6}[A-Z0-9]{2}"),
                    name(26),
                ),
                (
                    -1_000_000_000_i64..1_000_000_000,
                    prop::option::of(any_date()),
                    prop::option::of(any_date()),
                ),
                prop::collection::vec(entry(currency), 0..8),
                prop_oneof![Just(0_i64), -500_i64..500],
            )
                .prop_map(
                    move |(
                        (id, account, account_bic, account_holder),
                        (opening, from, to),
                        entries,
                        drift,
                    )| {
                        let sum: i64 = entries.iter().map(|e| e.amount.minor()).sum();
                        let opening =
                            Balance { amount: Money::from_minor(opening, currency), date: from };
                        let closing = Balance {
                            amount: Money::from_minor(
                                opening.amount.minor() + sum + drift,
                                currency,
                            ),
                            date: to,
                        };
                        let balance_check =
                            BalanceCheck::compute(Some(&opening), &entries, Some(&closing));
                        Statement {
                            id: id.map(|n| format!("{n:03}")),
                            account,
                            account_bic,
                            account_holder,
                            currency,
                            opening_balance: Some(opening),
                            closing_balance: Some(closing),
                            from_date: None,
                            to_date: to,
                            entries,
                            balance_check,
                            location: Location::Line(0),
                        }
                    },
                )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn written_statements_read_back_unchanged(statements in prop::collection::vec(statement(), 1..4)) {
        let text = write_coda(&statements);
        for line in text.lines() {
            prop_assert_eq!(line.chars().count(), 128);
        }
        let parsed = parse(text.as_bytes());
        prop_assert!(parsed.is_ok(), "{:#?}", parsed.err());
        let parsed = parsed.unwrap();
        prop_assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        prop_assert_eq!(without_locations(parsed.statements), statements);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        check_outcome(&bytes);
    }

    #[test]
    fn record_shaped_noise_never_panics(
        lines in prop::collection::vec("[0-9 12389A-Z+/é]{0,140}", 0..40),
        first in "0000[0-9 ]{123}2",
    ) {
        let mut text = first;
        for l in lines {
            text.push('\n');
            text.push_str(&l);
        }
        check_outcome(text.as_bytes());
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        file in 0..VALID.len() + INVALID.len(),
        edits in prop::collection::vec((0_u8..4, any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let name = VALID.iter().copied().chain(INVALID.iter().map(|(f, ..)| *f)).nth(file).unwrap();
        let mut bytes = read(name);
        for (kind, at, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] ^= byte | 1,
                1 => bytes.insert(i, byte),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        check_outcome(&bytes);
    }
}

/// Whatever the input: an outcome, problems with a line and a reason, and consistent statements.
fn check_outcome(bytes: &[u8]) {
    match parse(bytes) {
        Ok(p) => {
            assert_consistent(&p);
            assert!(p.warnings.iter().all(|w: &Problem| !w.reason.is_empty()));
        }
        Err(e) => {
            assert!(!e.problems.is_empty());
            assert!(e.problems.len() <= 1001);
            assert!(e.problems.iter().all(|p| !p.reason.is_empty()));
        }
    }
}
