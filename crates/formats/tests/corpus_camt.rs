//! The camt.052 / camt.053 / camt.054 reader against the shared corpus (`shared/corpus/camt053`),
//! plus the rules the corpus does not cover, one sentence per test, and property tests: any
//! bytes and any mutation of a corpus file give a result or problems (never a panic), and
//! `parse(write_camt053(x)) == x` for generated statements.
//!
//! The corpus is read in place, never copied into the repository: from the shared folder next
//! to the workspace, or from `$ARFLOW_CORPUS/camt053` when `ARFLOW_CORPUS` points at another
//! corpus root. A missing corpus fails the tests; it does not skip them. Every `.xml` and
//! `.zip` file of the folder must be named in [`EXPECTED`] or [`REFUSED`]: a file added to the
//! corpus fails `every_corpus_file_is_either_checked_or_explicitly_refused` until someone says
//! what it must give.
//!
//! Expected values come from the corpus' own oracles: genkgo/camt's JSON dumps
//! (`*.expected.json`, cross-checked generically by [`check_against_genkgo`]), the OCA Odoo
//! golden files (`oca/*.expected.json`, by [`check_against_oca`]), and, for the anonymised real
//! statements without oracle, the balance invariant and entry counts; each file's own function
//! adds values read from the XML by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;

use arflow_core::date::{Date, add_days, parse_iso_date};
use arflow_core::money::{Currency, Money};
use arflow_core::reference::{ReferenceScheme, generate};
use arflow_formats::statement::camt::{self, DEPTH_MAX};
use arflow_formats::statement::{
    Balance, BalanceCheck, Entry, Location, MAX_FILE_BYTES, ParsedStatements, ReferenceKind,
    Statement, StatementError, StatementFormat, StructuredReference,
};
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// corpus access

fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("ARFLOW_CORPUS") {
        Some(root) => PathBuf::from(root).join("camt053"),
        None => {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/camt053"))
        }
    };
    assert!(
        dir.is_dir(),
        "the camt corpus is missing at {}; set ARFLOW_CORPUS to the corpus root",
        dir.display()
    );
    dir
}

fn read(relative: &str) -> Vec<u8> {
    let path = corpus_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse_file(relative: &str) -> ParsedStatements {
    camt::parse(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e:#?}"))
}

/// Every `.xml` and `.zip` under the corpus folder, relative, sorted.
fn corpus_files() -> Vec<String> {
    let root = corpus_dir();
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for item in std::fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "xml" || x == "zip") {
                found.push(path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

fn json(relative: &str) -> Value {
    serde_json::from_slice(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// helpers

fn ccy(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn money(minor: i64, code: &str) -> Money {
    Money::from_minor(minor, ccy(code))
}

fn eur(minor: i64) -> Money {
    money(minor, "EUR")
}

fn date(text: &str) -> Date {
    parse_iso_date(text).unwrap()
}

fn balance(minor: i64, code: &str, day: &str) -> Option<Balance> {
    Some(Balance { amount: money(minor, code), date: Some(date(day)) })
}

fn other(value: &str) -> Option<StructuredReference> {
    Some(StructuredReference { scheme: ReferenceKind::Other, value: value.into() })
}

fn errors(bytes: &[u8]) -> StatementError {
    match camt::parse(bytes) {
        Ok(parsed) => panic!("expected problems, got {parsed:#?}"),
        Err(e) => e,
    }
}

fn warnings_text(parsed: &ParsedStatements) -> String {
    parsed.warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Invariants every parsed camt file must satisfy.
fn check_invariants(file: &str, parsed: &ParsedStatements, bytes: &[u8]) {
    assert_eq!(parsed.format, StatementFormat::Camt053, "{file}");
    assert!(
        parsed.message.split(", ").all(|one| one.len() == 15 && one.starts_with("camt.05")),
        "{file}: message {:?}",
        parsed.message
    );
    for s in &parsed.statements {
        assert_eq!(
            s.balance_check,
            BalanceCheck::compute(
                s.opening_balance.as_ref(),
                &s.entries,
                s.closing_balance.as_ref()
            ),
            "{file}: {:?}",
            s.id
        );
        let Location::Byte(at) = s.location else { panic!("{file}: statement location") };
        assert!((at as usize) < bytes.len() || file.ends_with(".zip"), "{file}");
        for e in &s.entries {
            assert!(matches!(e.location, Location::Byte(_)), "{file}");
            assert!(
                e.remittance.chars().count() <= arflow_formats::statement::MAX_REMITTANCE_CHARS
            );
            assert_eq!(e.remittance.trim(), e.remittance, "{file}");
            if e.return_reason.is_some() {
                assert!(e.reversal, "{file}: a returned entry is a reversal");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the corpus table

type Check = fn(&ParsedStatements);

/// Every corpus file that must parse, with what it must give.
const EXPECTED: &[(&str, Check)] = &[
    ("genkgo-camt/camt052.v2.xml", genkgo_camt052_v2),
    ("genkgo-camt/camt052.v4.xml", genkgo_camt052_v4),
    ("genkgo-camt/camt053.v2.all-balance-types.xml", genkgo_all_balance_types),
    ("genkgo-camt/camt053.v2.five.decimals.xml", genkgo_five_decimals),
    ("genkgo-camt/camt053.v2.minimal.ultimate.xml", genkgo_minimal_ultimate),
    ("genkgo-camt/camt053.v2.minimal.xml", genkgo_minimal),
    ("genkgo-camt/camt053.v2.multi.statement.xml", genkgo_multi_statement),
    ("genkgo-camt/camt053.v2.with-account-name.xml", genkgo_with_account_name),
    ("genkgo-camt/camt053.v3.xml", genkgo_v3),
    ("genkgo-camt/camt053.v4.xml", genkgo_v4),
    ("genkgo-camt/camt054.v2.with-account-name.xml", genkgo_camt054_with_account_name),
    ("genkgo-camt/camt054.v2.xml", genkgo_camt054_v2),
    ("genkgo-camt/camt054.v4.xml", genkgo_camt054_v4),
    ("genkgo-camt/camt054.v8-with-UETR.xml", genkgo_camt054_v8),
    ("genkgo-camt/camt53.only-Dt-with-DtTm.xml", genkgo_only_dt),
    ("oca/test-camt053-no-ntry.xml", oca_no_ntry),
    ("oca/test-camt053-txdtls.xml", oca_txdtls),
    ("oca/test-camt053.xml", oca_camt053),
    ("oca/test-camt053.zip", oca_zip),
    ("oca/test-camt054.xml", oca_camt054),
    ("subite/BE68793230773034-202411.xml", subite_month),
    ("subite/LT625883379695428516/2024-03-07.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-08.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-11.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-12.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-13.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-14.xml", subite_lt_14),
    ("subite/LT625883379695428516/2024-03-15.xml", subite_lt_day),
    ("subite/LT625883379695428516/2024-03-18.xml", subite_lt_day),
    ("subite/account_statement.xml", subite_account_statement),
];

/// Corpus files that must be refused: (file, why, text the first problem must contain).
const REFUSED: &[(&str, &str, &str)] = &[(
    "genkgo-camt/camt053.v2.wrong.xml",
    "a BkToCstmrStmt with a group header and no Stmt (genkgo refuses it too)",
    "holds no statement",
)];

#[test]
fn every_corpus_file_is_either_checked_or_explicitly_refused() {
    let files = corpus_files();
    assert!(files.len() >= 31, "the corpus lost files: {files:?}");
    for file in &files {
        let checked = EXPECTED.iter().filter(|(f, _)| f == file).count();
        let refused = REFUSED.iter().filter(|(f, _, _)| f == file).count();
        assert_eq!(
            checked + refused,
            1,
            "{file} must be listed exactly once in EXPECTED or REFUSED"
        );
    }
    for (file, _) in EXPECTED {
        assert!(files.iter().any(|f| f == file), "{file} is listed but not in the corpus");
    }
    let (mut genkgo, mut oca) = (0, 0);
    for (file, check) in EXPECTED {
        let bytes = read(file);
        let parsed = parse_file(file);
        check_invariants(file, &parsed, &bytes);
        check(&parsed);
        let oracle = file.replace(".xml", ".expected.json");
        if file.starts_with("genkgo-camt/") && corpus_dir().join(&oracle).is_file() {
            check_against_genkgo(&oracle, &parsed);
            genkgo += 1;
        }
        if file.starts_with("oca/") && file.ends_with(".xml") {
            check_against_oca(&oracle, &parsed);
            oca += 1;
        }
    }
    assert_eq!((genkgo, oca), (15, 4), "every oracle of the corpus is consulted");
    for (file, why, reason) in REFUSED {
        let e = errors(&read(file));
        assert!(e.problems[0].reason.contains(reason), "{file} ({why}): got {:#?}", e.problems);
    }
}

// ---------------------------------------------------------------------------------------------
// the oracles

/// genkgo/camt's dump: each entry (with its statement) in minor units; dates in UTC.
fn check_against_genkgo(oracle: &str, parsed: &ParsedStatements) {
    let root = json(oracle);
    let mut records: Vec<&Value> =
        root["getRecords"].as_array().unwrap().iter().filter(|r| r.is_object()).collect();
    let entries = root["getEntries"].as_array().unwrap();
    for e in entries {
        if e["getRecord"].is_object() {
            records.push(&e["getRecord"]);
        }
    }
    assert!(!records.is_empty(), "{oracle}: no record in the oracle");
    for record in records {
        let id = record["getId"].as_str().unwrap();
        let s = parsed
            .statements
            .iter()
            .find(|s| s.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{oracle}: no statement {id}"));
        assert_eq!(
            s.account,
            record["getAccount"]["getIdentification"].as_str().unwrap(),
            "{oracle}"
        );
        if let Some(name) = record["getAccount"]["getName"].as_str() {
            assert_eq!(s.account_holder.as_deref(), Some(name), "{oracle}");
        }
        for (kind, ours) in [("opening", s.opening_balance), ("closing", s.closing_balance)] {
            // Notifications have no balances (genkgo gives null).
            let none = Vec::new();
            let balances = record["getBalances"].as_array().unwrap_or(&none);
            let theirs = balances.iter().find(|b| b["getType"] == kind);
            match theirs {
                Some(b) => {
                    let ours = ours.unwrap_or_else(|| panic!("{oracle}: no {kind} balance"));
                    assert_eq!(ours.amount, genkgo_money(&b["getAmount"]), "{oracle} {kind}");
                    assert_eq!(ours.date, genkgo_date(&b["getDate"]), "{oracle} {kind}");
                }
                None => assert_eq!(ours, None, "{oracle}: {kind}"),
            }
        }
        assert_eq!(s.from_date, genkgo_date(&record["getFromDate"]), "{oracle}");
        assert_eq!(s.to_date, genkgo_date(&record["getToDate"]), "{oracle}");
    }
    for e in entries {
        if e["getStatus"] != "BOOK" {
            // Pending entries are not booked movements (see `genkgo_camt052_v4`).
            continue;
        }
        let id = e["getRecord"]["getId"].as_str().unwrap();
        let index = usize::try_from(e["getIndex"].as_u64().unwrap()).unwrap();
        let s = parsed.statements.iter().find(|s| s.id.as_deref() == Some(id)).unwrap();
        let ours = &s.entries[index];
        assert_eq!(ours.amount, genkgo_money(&e["getAmount"]), "{oracle} entry {index}");
        assert_eq!(e["getCreditDebitIndicator"] == "CRDT", ours.amount.minor() >= 0, "{oracle}");
        assert_eq!(ours.reversal, e["getReversalIndicator"] == true, "{oracle}");
        assert_eq!(ours.value_date, genkgo_date(&e["getValueDate"]), "{oracle}");
        if let Some(booked) = genkgo_date(&e["getBookingDate"]) {
            assert_eq!(ours.booking_date, booked, "{oracle}");
        }
        assert_eq!(
            ours.bank_reference.as_deref(),
            e["getAccountServicerReference"].as_str(),
            "{oracle}"
        );
        let code = &e["getBankTransactionCode"];
        let expected_code = if code["getDomain"].is_object() {
            let d = &code["getDomain"];
            Some(format!(
                "{}/{}/{}",
                d["getCode"].as_str().unwrap(),
                d["getFamily"]["getCode"].as_str().unwrap(),
                d["getFamily"]["getSubFamilyCode"].as_str().unwrap()
            ))
        } else {
            code["getProprietary"]["getCode"].as_str().map(str::to_string)
        };
        assert_eq!(ours.transaction_code, expected_code, "{oracle}");
    }
}

fn genkgo_money(v: &Value) -> Money {
    let minor: i64 = v["getAmount"].as_str().unwrap().parse().unwrap();
    money(minor, v["getCurrency"]["getCode"].as_str().unwrap())
}

fn genkgo_date(v: &Value) -> Option<Date> {
    v["0"].as_str().map(|t| date(&t[..10]))
}

/// OCA's golden files (converted to JSON): statements named by `Stmt/Id`, signed amounts,
/// counterparty name and account, the transaction code with `-`, and `ref`, which Odoo takes
/// from the structured reference or else the end-to-end id. Odoo drops statements without
/// entries.
fn check_against_oca(oracle: &str, parsed: &ParsedStatements) {
    let root = json(oracle);
    let expected = root["statements"].as_array().unwrap();
    let with_entries: Vec<&Statement> =
        parsed.statements.iter().filter(|s| !s.entries.is_empty()).collect();
    assert_eq!(with_entries.len(), expected.len(), "{oracle}");
    for (s, x) in with_entries.iter().zip(expected) {
        let code = root["currency"].as_str().unwrap();
        assert_eq!(s.currency, ccy(code), "{oracle}");
        assert_eq!(s.account, root["account_number"].as_str().unwrap(), "{oracle}");
        assert_eq!(s.id.as_deref(), x["name"].as_str(), "{oracle}");
        let amount = |v: &Value| Money::parse(v.as_str().unwrap(), ccy(code)).unwrap();
        if s.opening_balance.is_some() || x["balance_start"] != "0.0" {
            assert_eq!(s.opening_balance.unwrap().amount, amount(&x["balance_start"]), "{oracle}");
            assert_eq!(
                s.closing_balance.unwrap().amount,
                amount(&x["balance_end_real"]),
                "{oracle}"
            );
        }
        let lines = x["transactions"].as_array().unwrap();
        assert_eq!(s.entries.len(), lines.len(), "{oracle}");
        for (e, line) in s.entries.iter().zip(lines) {
            assert_eq!(e.amount, amount(&line["amount"]), "{oracle}");
            assert_eq!(e.booking_date, date(line["date"].as_str().unwrap()), "{oracle}");
            assert_eq!(e.counterparty_name.as_deref(), line["partner_name"].as_str(), "{oracle}");
            assert_eq!(e.counterparty_iban.as_deref(), line["account_number"].as_str(), "{oracle}");
            assert_eq!(
                e.transaction_code.as_deref().map(|c| c.replace('/', "-")).as_deref(),
                line["transaction_type"].as_str(),
                "{oracle}"
            );
            let reference = e.reference.as_ref().map(|r| r.value.as_str());
            let odoo_ref = line["ref"].as_str();
            assert_eq!(reference.or(e.end_to_end_id.as_deref()), odoo_ref, "{oracle}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// per-file expectations (values read from the XML)

fn only(parsed: &ParsedStatements) -> &Statement {
    assert_eq!(parsed.statements.len(), 1, "{parsed:#?}");
    &parsed.statements[0]
}

fn genkgo_camt052_v2(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.052.001.02");
    let s = only(p);
    assert_eq!(s.account, "CH2801234000123456789", "Acct/Id/Othr/Id");
    assert_eq!(s.account_holder.as_deref(), Some("FINPETROL"));
    assert_eq!(s.currency, ccy("SEK"), "no Acct/Ccy and no balance: the entry's currency");
    assert_eq!(s.balance_check, BalanceCheck::NotApplicable);
    let e = &s.entries[0];
    assert_eq!(e.amount, money(-20_000_000, "SEK"));
    assert_eq!(e.booking_date, date("2007-10-18"), "BookgDt/DtTm");
    assert_eq!(e.transaction_code.as_deref(), Some("PAYM/0001/0003"), "Domn wins over Prtry");
    assert_eq!(e.counterparty_name.as_deref(), Some("Company Name"), "a debit's creditor");
    assert_eq!(e.counterparty_iban.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("BANKCHZHXXX"), "CdtrAgt/FinInstnId/BIC");
    assert_eq!(e.remittance, "Credit", "no RmtInf: AddtlNtryInf");
    assert_eq!(e.end_to_end_id, None);
}

fn genkgo_camt052_v4(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.052.001.04");
    let s = only(p);
    assert!(s.entries.is_empty(), "its only entry is PDNG");
    assert!(warnings_text(p).contains("1 entry has status PDNG: not booked, left out"), "{p:#?}");
    assert_eq!(s.account_bic.as_deref(), Some("UBSWCHZH80A"), "Svcr/FinInstnId/BICFI");
    assert_eq!(s.account_holder.as_deref(), Some("UNIFITS GmbH"));
    assert_eq!(s.currency, ccy("CHF"), "from the ITBD balance");
    assert_eq!((s.opening_balance, s.closing_balance), (None, None), "ITBD is neither");
}

fn genkgo_all_balance_types(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.opening_balance, balance(101, "EUR", "2015-01-21"), "OPBD, not PRCD 2.02");
    assert_eq!(s.closing_balance, balance(404, "EUR", "2015-01-22"));
    assert_eq!(s.currency, Currency::EUR, "from the balances");
    // The sample's balances are not consistent with its one entry of 8.85.
    assert_eq!(s.balance_check, BalanceCheck::Mismatch { computed: eur(986), closing: eur(404) });
    let e = &s.entries[0];
    assert_eq!(e.amount, eur(885), "8.850 is 8.85: trailing zeros are no precision");
    assert_eq!(e.transaction_code.as_deref(), Some("544"));
    assert_eq!(e.counterparty_name.as_deref(), Some("Company Name"), "the only party given");
    assert_eq!(e.remittance, "Transaction Description");
    assert_eq!(e.end_to_end_id.as_deref(), Some("000000001"));
}

fn genkgo_five_decimals(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.opening_balance, balance(1815, "EUR", "2014-12-30"), "18.150");
    assert_eq!(s.closing_balance, balance(2705, "EUR", "2014-12-31"), "27.050");
    assert_eq!(s.entries[0].amount, eur(885));
    assert_eq!(s.balance_check, BalanceCheck::Mismatch { computed: eur(2700), closing: eur(2705) });
}

fn genkgo_minimal(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.account, "NL26VAYB8060476890");
    assert_eq!(s.closing_balance, balance(-2700, "SEK", "2014-12-31"), "DBIT 27.00 SEK");
    assert_eq!(s.balance_check, BalanceCheck::NotApplicable, "closing in SEK, account in EUR");
    assert!(warnings_text(p).contains("closing balance is in SEK"));
    assert_eq!((s.from_date, s.to_date), (Some(date("2007-10-18")), Some(date("2007-10-18"))));
    let e = &s.entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some("NAME NAME"), "a credit's debtor");
    assert_eq!(e.counterparty_iban.as_deref(), Some("NL56AGDH9619008421"));
    // Issuer BBA, but 16 digits are no OGM: kept as a structured reference of no scheme.
    assert_eq!(e.reference, other("4654654654654654"));
    assert_eq!(e.remittance, "");
}

fn genkgo_minimal_ultimate(p: &ParsedStatements) {
    let e = &only(p).entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some("DEBTOR NAME NM"), "UltmtDbtr without Dbtr");
    assert_eq!(e.counterparty_iban, None);
    assert_eq!(e.reference, other("4654654654654654"));
}

fn genkgo_multi_statement(p: &ParsedStatements) {
    assert_eq!(p.statements.len(), 2);
    let (a, b) = (&p.statements[0], &p.statements[1]);
    assert_eq!(a.id.as_deref(), Some("253EURNL26VAYB8060476890"));
    assert_eq!(b.id.as_deref(), Some("254EURNL26VAYB8060476890"));
    assert_eq!(a.balance_check, BalanceCheck::Ok);
    assert_eq!(b.balance_check, BalanceCheck::Ok);
    assert_eq!(a.entries[0].amount, eur(885));
    assert_eq!(b.entries[0].amount, eur(-700));
    assert_eq!(b.entries[0].counterparty_name.as_deref(), Some("Company Name 2"));
    assert_eq!(b.entries[0].remittance, "Transaction Description 2");
    assert_eq!(b.entries[0].end_to_end_id.as_deref(), Some("000000002"));
}

fn genkgo_with_account_name(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.account_holder.as_deref(), Some("Account Owner Name"), "Acct/Nm");
    assert_eq!(s.currency, Currency::EUR, "the entry's currency before a CLAV balance's");
    let e = &s.entries[0];
    assert_eq!(e.counterparty_name, None, "the only party is the account itself");
    assert_eq!(e.value_date, None);
}

fn genkgo_v3(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.053.001.03");
    let s = only(p);
    assert_eq!(s.account, "NL26VAYB8060476890", "Othr/Id");
    assert_eq!(s.account_bic.as_deref(), Some("KREDBEBB"), "BICFI");
    assert_eq!(s.account_holder.as_deref(), Some("COMPANY BVBA"));
    let e = &s.entries[0];
    assert_eq!(e.amount, eur(885), "the entry's amount, not its one TxDtls' 105.750");
    assert_eq!(e.counterparty_bic.as_deref(), Some("KREDBEBB"), "DbtrAgt BICFI");
    assert_eq!(e.bank_reference.as_deref(), Some("XXXXXXXXXXXXXXXXXXXXXXEUR"));
}

fn genkgo_v4(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.053.001.04");
    let e = &only(p).entries[0];
    assert_eq!(e.bank_reference.as_deref(), Some("AAAASESS-FP-CN_98765/01"));
    assert_eq!(e.counterparty_name.as_deref(), Some("NAME NAME"));
}

fn genkgo_camt054_with_account_name(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.054.001.02");
    let s = only(p);
    assert_eq!(s.balance_check, BalanceCheck::NotApplicable);
    let e = &s.entries[0];
    assert_eq!(e.booking_date, date("2007-10-18"), "no BookgDt: the notification's CreDtTm");
    assert!(warnings_text(p).contains("taken from the statement's CreDtTm"));
    assert_eq!(e.counterparty_name, None, "the debtor account is the notified account");
}

fn genkgo_camt054_v2(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.entries.len(), 1, "three TxDtls without amounts: one movement");
    assert!(warnings_text(p).contains("its TxDtls carry no amounts"));
    let e = &s.entries[0];
    assert_eq!(e.amount, money(-20_000_000, "SEK"));
    assert_eq!(e.counterparty_name.as_deref(), Some("MUELLER"), "all three agree");
    assert_eq!(e.end_to_end_id.as_deref(), Some("MUELL/FINP/RA12345"), "all three agree");
    assert_eq!(e.reference, None, "three different references");
    assert_eq!(
        e.remittance,
        "Unstructured Remittance Information V1 Unstructured Remittance Information V3 block 1 \
         Unstructured Remittance Information V3 block 2"
    );
}

fn genkgo_camt054_v4(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.054.001.04");
    let s = only(p);
    assert_eq!(s.entries.len(), 1, "TxDtls amounts in CHF do not split a SEK entry");
    assert!(warnings_text(p).contains("do not add up"));
    let e = &s.entries[0];
    assert_eq!(e.amount, money(-20_000_000, "SEK"));
    assert_eq!(e.counterparty_name, None, "three different creditors");
    assert_eq!(e.end_to_end_id, None, "different end-to-end ids");
    assert_eq!(
        e.remittance,
        "Unstructured Remittance Information V1 Unstructured Remittance Information V3 block 1 \
         Unstructured Remittance Information V3 block 2"
    );
}

fn genkgo_camt054_v8(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.054.001.08");
    let e = &only(p).entries[0];
    assert_eq!(e.amount, money(-20_000_000, "SEK"));
    assert_eq!(e.booking_date, date("2007-10-18"));
    assert_eq!(e.transaction_code, None, "an empty BkTxCd");
}

fn genkgo_only_dt(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.account, "GB33BUKB20201555555555");
    assert_eq!(s.currency, ccy("RON"), "from the opening balance");
    assert_eq!(s.opening_balance, balance(544_209, "RON", "2025-07-23"), "5442.09000, Dt/DtTm");
    assert_eq!(s.closing_balance, None);
    assert!(s.entries.is_empty());
}

fn oca_no_ntry(p: &ParsedStatements) {
    let s = only(p);
    assert!(s.entries.is_empty());
    assert_eq!(s.currency, ccy("CHF"));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    assert_eq!(s.account_holder.as_deref(), Some("Example company"));
}

fn oca_txdtls(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.balance_check, BalanceCheck::Ok, "the batch split keeps the sum");
    assert_eq!(s.account_holder.as_deref(), Some("Open Net S. à r.l. Prilly"), "UTF-8 text");
    let refs: Vec<_> = s.entries.iter().map(|e| e.bank_reference.clone().unwrap()).collect();
    assert_eq!(
        refs,
        ["20170323001234567891234567891234/1", "20170323001234567891234567891234/2"],
        "the entry's AcctSvcrRef numbered, not the batch's shared TxDtls one"
    );
    let e = &s.entries[0];
    assert_eq!(e.amount, money(218_700, "CHF"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("POFICHBEXXX"));
    assert_eq!(e.reference, other("302388292000011111111111111"), "a Swiss ISR reference");
    assert!(e.remittance.starts_with("CRÉDIT GROUPÉ BVR"), "AddtlNtryInf");
    assert_eq!(e.value_date, Some(date("2017-03-23")));
}

fn oca_camt053(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.account_bic.as_deref(), Some("ABNANL2A"));
    // The sample's closing balance does not follow from its entries (Odoo does not check).
    assert_eq!(
        s.balance_check,
        BalanceCheck::Mismatch { computed: eur(1_555_528), closing: eur(1_512_112) }
    );
    let amounts: Vec<i64> = s.entries.iter().map(|e| e.amount.minor()).collect();
    assert_eq!(amounts, [-75_425, -56_405, -10_000, 140_531], "664.05 split into its two TxDtls");
    let r = &s.entries[1];
    assert!(r.reversal);
    assert_eq!(r.return_reason.as_deref(), Some("AC06"));
    assert_eq!(r.remittance, "Direct Debit S14 0410");
    assert_eq!(r.bank_reference, None, "neither the entry nor the TxDtls has an AcctSvcrRef");
    assert_eq!(s.entries[0].remittance, "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014");
    assert_eq!(s.entries[3].remittance, "#RD PARTY MEDIA CUSNO 90782 4210773", "AddtlTxInf");
}

fn oca_zip(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.053.001.02");
    let ids: Vec<_> = p.statements.iter().map(|s| s.id.clone().unwrap()).collect();
    assert_eq!(ids, ["1234Test/2", "1234Test/3"]);
    for s in &p.statements {
        assert_eq!(s.entries.len(), 3);
        // 15568.27 − 754.25 − 594.05 + 1405.31 = 15625.28: the sample's closing does not follow.
        assert_eq!(
            s.balance_check,
            BalanceCheck::Mismatch { computed: eur(1_562_528), closing: eur(1_512_112) }
        );
        assert_eq!(s.entries[1].amount, eur(-59_405), "one TxDtls of 564.05: the entry's amount");
    }
    assert_eq!(p.statements[1].entries[0].booking_date, date("2014-03-05"));
}

fn oca_camt054(p: &ParsedStatements) {
    let s = only(p);
    assert_eq!(s.balance_check, BalanceCheck::NotApplicable);
    let e = &s.entries[0];
    assert_eq!(e.bank_reference.as_deref(), Some("98888208N8"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("ENDTOENDID-01"));
    assert_eq!(e.remittance, "Additional entry info");
}

/// Opening + entries = closing for every statement, and every `<Ntry>` is one entry.
fn balanced_and_complete(p: &ParsedStatements, xml_entries: usize) {
    for s in &p.statements {
        assert_eq!(s.balance_check, BalanceCheck::Ok, "{:?}", s.id);
    }
    let entries: usize = p.statements.iter().map(|s| s.entries.len()).sum();
    assert_eq!(entries, xml_entries);
}

fn subite_month(p: &ParsedStatements) {
    balanced_and_complete(p, 268);
    let s = only(p);
    assert_eq!(s.account, "BE68793230773034");
    assert_eq!(s.account_holder.as_deref(), Some("Vertex Ltd"));
    assert_eq!(s.opening_balance, balance(5_937_037, "EUR", "2024-11-01"));
    assert_eq!(s.closing_balance, balance(8_753_912, "EUR", "2024-11-30"));
    let e = &s.entries[0];
    assert_eq!(e.amount, eur(5_000_000));
    assert_eq!(e.counterparty_name.as_deref(), Some("Stellar Ltd"));
    assert_eq!(e.counterparty_iban.as_deref(), Some("BE91516952884376"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("RABOBEI9"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("E2ESEKOZLQO41354223"));
    assert_eq!(e.remittance, "Transfer ref HBAVHC9717");
    let d = &s.entries[1];
    assert_eq!(d.amount, eur(-13_170));
    assert_eq!(d.counterparty_name.as_deref(), Some("Zeta NV"), "the debtor is the account");
    assert!(p.warnings.is_empty(), "{p:#?}");
}

fn subite_account_statement(p: &ParsedStatements) {
    balanced_and_complete(p, 3);
    let s = only(p);
    assert_eq!(s.opening_balance, balance(0, "EUR", "2024-03-01"));
    assert_eq!(s.entries[0].remittance, "", "Ustrd NOTPROVIDED is no remittance");
    assert_eq!(
        s.entries[0].counterparty_iban.as_deref(),
        Some("FR9124517777178627245130470"),
        "an own-name transfer: the creditor is the other account"
    );
}

/// The Lithuanian daily files: two accounts, entries without status or dates, unsigned
/// balances.
fn subite_lt_day(p: &ParsedStatements) {
    assert_eq!(p.message, "camt.053.001.08");
    assert_eq!(p.statements.len(), 2);
    let main = &p.statements[0];
    assert_eq!(main.account, "LT625883379695428516");
    let day = main.closing_balance.unwrap().date.unwrap();
    assert!(main.entries.iter().all(|e| e.booking_date == day), "booked on the CLBD date");
    assert!(warnings_text(p).contains("taken from the closing balance (CLBD)"));
    assert!(warnings_text(p).contains("2 balances without CdtDbtInd taken as credit"));
    let spare = &p.statements[1];
    assert_eq!(spare.account, "LT414319056143772570");
    assert!(spare.entries.is_empty());
    assert_eq!(spare.opening_balance.map(|b| b.amount), Some(eur(480_155)));
    for s in &p.statements {
        assert_eq!(s.balance_check, BalanceCheck::Ok, "{:?}", s.id);
    }
}

fn subite_lt_14(p: &ParsedStatements) {
    subite_lt_day(p);
    balanced_and_complete(p, 14);
    let s = &p.statements[0];
    assert_eq!(s.opening_balance, balance(2_404_502_950, "EUR", "2024-03-14"));
    assert_eq!(s.closing_balance, balance(2_088_858_683, "EUR", "2024-03-14"));
    let e = &s.entries[3];
    assert_eq!(e.amount, eur(91_649_765));
    assert_eq!(e.bank_reference.as_deref(), Some("REF000000725239"));
    assert_eq!(e.transaction_code.as_deref(), Some("ATSISK"));
}

#[test]
fn every_ntry_of_the_real_statements_is_one_booked_entry() {
    for file in corpus_files().iter().filter(|f| f.starts_with("subite/")) {
        let bytes = read(file);
        let ntry = bytes.windows(6).filter(|w| w == b"<Ntry>").count();
        let p = parse_file(file);
        balanced_and_complete(&p, ntry);
    }
}

// ---------------------------------------------------------------------------------------------
// rules the corpus does not show

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>T</MsgId><CreDtTm>2026-03-02T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S</Id><Acct><Id><IBAN>BE68 5390 0754 7034</IBAN></Id><Ccy>EUR</Ccy></Acct>"#;
const TAIL: &str = "</Stmt></BkToCstmrStmt></Document>";

fn statement_with(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

fn ntry(amount: &str, sign: &str, details: &str) -> String {
    format!(
        "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>\
         <BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>B1</AcctSvcrRef>{details}</Ntry>"
    )
}

fn one_entry(xml: &str) -> Entry {
    let p = camt::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:#?}"));
    p.statements[0].entries[0].clone()
}

#[test]
fn an_iban_is_kept_in_electronic_form() {
    let p = camt::parse(statement_with("").as_bytes()).unwrap();
    assert_eq!(p.statements[0].account, "BE68539007547034");
}

#[test]
fn entities_and_character_references_are_unescaped() {
    let tx = "<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Smith &amp; Sons &#x2014; B&#233;</Nm>\
              </Dbtr></RltdPties><RmtInf><Ustrd>a &lt;b&gt; &quot;c&quot; &apos;d&apos;</Ustrd>\
              <Ustrd><![CDATA[x & y]]></Ustrd></RmtInf></TxDtls></NtryDtls>";
    let e = one_entry(&statement_with(&ntry("1.00", "CRDT", tx)));
    assert_eq!(e.counterparty_name.as_deref(), Some("Smith & Sons — Bé"));
    assert_eq!(e.remittance, "a <b> \"c\" 'd' x & y");
}

#[test]
fn an_undeclared_entity_is_a_problem() {
    let tx = "<AddtlNtryInf>a &nbsp; b</AddtlNtryInf>";
    let e = errors(statement_with(&ntry("1.00", "CRDT", tx)).as_bytes());
    assert!(e.problems[0].reason.contains("&nbsp;"), "{e:#?}");
}

#[test]
fn a_file_declared_latin_1_is_decoded_and_its_offsets_stay_the_files() {
    let tx = "<NtryDtls><TxDtls><RmtInf><Ustrd>Caf\u{e9} cr\u{e8}me</Ustrd></RmtInf></TxDtls>\
              </NtryDtls>";
    let xml = statement_with(&ntry("1.00", "CRDT", tx))
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let latin1: Vec<u8> = xml.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let p = camt::parse(&latin1).unwrap();
    let e = &p.statements[0].entries[0];
    assert_eq!(e.remittance, "Café crème");
    let offset = latin1.windows(6).position(|w| w == b"<Ntry>").unwrap() as u64;
    assert_eq!(e.location, Location::Byte(offset));
    // A problem after the accents points at the byte in the file, not in the UTF-8 copy.
    let xml = statement_with(&format!(
        "{}{}",
        ntry("1.00", "CRDT", tx),
        "<Ntry><Amt Ccy=\"EUR\">1,5</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"
    ))
    .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let latin1: Vec<u8> = xml.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let e = errors(&latin1);
    let at = latin1.windows(19).position(|w| w == b"<Amt Ccy=\"EUR\">1,5<").unwrap();
    assert_eq!(e.problems[0].location, Location::Byte(at as u64), "{e:#?}");
}

#[test]
fn a_byte_order_mark_is_skipped_and_counted_in_offsets() {
    let xml = statement_with(&ntry("1.00", "CRDT", ""));
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(xml.as_bytes());
    let p = camt::parse(&bytes).unwrap();
    let offset = bytes.windows(6).position(|w| w == b"<Ntry>").unwrap() as u64;
    assert_eq!(p.statements[0].entries[0].location, Location::Byte(offset));
}

#[test]
fn invalid_utf8_without_a_declared_encoding_is_a_problem_at_its_byte() {
    let xml = statement_with(&ntry("1.00", "CRDT", "<AddtlNtryInf>Caf\u{e9}</AddtlNtryInf>"));
    let bytes: Vec<u8> = xml.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let e = errors(&bytes);
    let at = bytes.iter().position(|&b| b == 0xE9).unwrap() as u64;
    assert_eq!(e.problems[0].location, Location::Byte(at));
    assert!(e.problems[0].reason.contains("UTF-8"));
}

#[test]
fn more_decimals_than_the_currency_has_is_a_problem_with_offset_and_path() {
    let xml = statement_with(&ntry("1.005", "CRDT", ""));
    let e = errors(xml.as_bytes());
    let p = &e.problems[0];
    assert_eq!(p.field.as_deref(), Some("Stmt/Ntry/Amt"));
    assert!(p.reason.contains("more than 2 decimals for EUR"), "{p}");
    let at = xml.find("<Amt Ccy=\"EUR\">1.005").unwrap() as u64;
    assert_eq!(p.location, Location::Byte(at));
}

#[test]
fn every_problem_of_a_file_is_listed_and_nothing_is_returned() {
    let body = format!(
        "{}{}{}",
        ntry("-1.00", "CRDT", ""),
        ntry("2.00", "DEBIT", ""),
        "<Ntry><Amt>3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-02-30</Dt></BookgDt></Ntry>"
    );
    let e = errors(statement_with(&body).as_bytes());
    let reasons: Vec<&str> = e.problems.iter().map(|p| p.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{e:#?}");
    assert!(reasons[0].contains("not an amount"));
    assert!(reasons[1].contains("expected CRDT or DBIT"));
    assert!(reasons[2].contains("no Ccy attribute"));
    assert!(reasons[3].contains("no such day"));
}

#[test]
fn an_entry_without_amount_or_sign_is_a_problem() {
    let xml = statement_with("<Ntry><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry>");
    let e = errors(xml.as_bytes());
    let fields: Vec<_> = e.problems.iter().map(|p| p.field.clone().unwrap()).collect();
    assert_eq!(fields, ["Stmt/Ntry/Amt", "Stmt/Ntry/CdtDbtInd"]);
}

#[test]
fn the_problem_list_stops_after_a_thousand() {
    let body: String = (0..1_200).map(|_| ntry("1,00", "CRDT", "")).collect();
    let e = errors(statement_with(&body).as_bytes());
    assert_eq!(e.problems.len(), 1_001);
    assert!(e.problems[1_000].reason.contains("too many problems"));
}

#[test]
fn a_previous_closing_balance_opens_a_statement_without_opbd() {
    let body = format!(
        "<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">5.00</Amt>\
         <CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0</Amt>\
         <CdtDbtInd>CRDT</CdtDbtInd><Dt><DtTm>2026-03-02T23:59:59+01:00</DtTm></Dt></Bal>{}",
        ntry("5.00", "CRDT", "")
    );
    let p = camt::parse(statement_with(&body).as_bytes()).unwrap();
    let s = &p.statements[0];
    assert_eq!(s.opening_balance, balance(-500, "EUR", "2026-03-01"));
    assert_eq!(s.closing_balance, balance(0, "EUR", "2026-03-02"));
    assert_eq!(s.balance_check, BalanceCheck::Ok);
}

#[test]
fn a_batch_whose_parts_add_up_becomes_one_entry_per_part() {
    let tx = |amount: &str, name: &str| {
        format!(
            "<TxDtls><AmtDtls><TxAmt><Amt Ccy=\"EUR\">{amount}</Amt></TxAmt></AmtDtls>\
             <RltdPties><Cdtr><Nm>{name}</Nm></Cdtr></RltdPties></TxDtls>"
        )
    };
    let details = format!("<NtryDtls>{}{}</NtryDtls>", tx("7.50", "A"), tx("2.50", "B"));
    let body = format!(
        "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">20</Amt>\
         <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">10</Amt>\
         <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>{}",
        ntry("10.00", "DBIT", &details)
    );
    let p = camt::parse(statement_with(&body).as_bytes()).unwrap();
    let s = &p.statements[0];
    assert_eq!(s.balance_check, BalanceCheck::Ok);
    let got: Vec<_> = s
        .entries
        .iter()
        .map(|e| (e.amount.minor(), e.counterparty_name.clone().unwrap(), e.bank_reference.clone()))
        .collect();
    assert_eq!(
        got,
        [(-750, "A".into(), Some("B1/1".into())), (-250, "B".into(), Some("B1/2".into()))]
    );
}

#[test]
fn a_netted_batch_splits_by_each_parts_own_direction() {
    let tx = |amount: &str, sign: &str| {
        format!("<TxDtls><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd></TxDtls>")
    };
    let details = format!("<NtryDtls>{}{}</NtryDtls>", tx("10.00", "CRDT"), tx("0.40", "DBIT"));
    let p = camt::parse(statement_with(&ntry("9.60", "CRDT", &details)).as_bytes()).unwrap();
    let amounts: Vec<i64> = p.statements[0].entries.iter().map(|e| e.amount.minor()).collect();
    assert_eq!(amounts, [1000, -40]);
}

#[test]
fn a_belgian_structured_reference_is_read_as_an_ogm() {
    let tx = "<NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd>\
              </CdOrPrtry><Issr>BBA</Issr></Tp><Ref>123456789002</Ref></CdtrRefInf></Strd>\
              </RmtInf></TxDtls></NtryDtls>";
    let e = one_entry(&statement_with(&ntry("1.00", "CRDT", tx)));
    let r = e.reference.unwrap();
    assert_eq!((r.scheme, r.value.as_str()), (ReferenceKind::Ogm, "123456789002"));
}

#[test]
fn a_reference_written_in_the_free_text_is_found() {
    let tx = "<NtryDtls><TxDtls><RmtInf><Ustrd>invoice +++123/4567/89002+++ thanks</Ustrd>\
              </RmtInf><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls></NtryDtls>";
    let e = one_entry(&statement_with(&ntry("1.00", "CRDT", tx)));
    assert_eq!(e.reference.unwrap().value, "123456789002");
    assert_eq!(e.end_to_end_id, None, "NOTPROVIDED is no end-to-end id");
}

#[test]
fn a_returned_debit_names_the_original_payer_and_its_reason() {
    // A collected direct debit (credit) comes back: booked DBIT, marked reversal; the parties
    // still describe the collection, so the counterparty is the debtor.
    let tx = "<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Customer</Nm></Dbtr><DbtrAcct><Id>\
              <IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct><Cdtr><Nm>Us</Nm></Cdtr>\
              </RltdPties><RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf></TxDtls></NtryDtls>";
    let e = one_entry(&statement_with(&ntry("50.00", "DBIT", tx)));
    assert_eq!(e.amount, eur(-5000), "the sign as booked");
    assert!(e.reversal);
    assert_eq!(e.return_reason.as_deref(), Some("MD06"));
    assert_eq!(e.counterparty_name.as_deref(), Some("Customer"));
    assert_eq!(e.counterparty_iban.as_deref(), Some("NL91ABNA0417164300"));
}

#[test]
fn version_8_party_names_sit_under_pty() {
    let xml = statement_with(&ntry(
        "1.00",
        "CRDT",
        "<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>New Style</Nm></Pty></Dbtr></RltdPties>\
         <RltdAgts><DbtrAgt><FinInstnId><BICFI>GEBABEBB</BICFI></FinInstnId></DbtrAgt>\
         </RltdAgts></TxDtls></NtryDtls>",
    ))
    .replace("camt.053.001.02", "camt.053.001.08");
    let p = camt::parse(xml.as_bytes()).unwrap();
    assert_eq!(p.message, "camt.053.001.08");
    let e = &p.statements[0].entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some("New Style"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("GEBABEBB"));
}

#[test]
fn prefixed_elements_and_unknown_elements_are_read() {
    let xml = statement_with(&ntry("1.00", "CRDT", "<Unknown><Amt Ccy=\"EUR\">9</Amt></Unknown>"))
        .replace("<Document xmlns=", "<c:Document xmlns:c=")
        .replace("</Document>", "</c:Document>")
        .replace("<BkToCstmrStmt>", "<c:BkToCstmrStmt>")
        .replace("</BkToCstmrStmt>", "</c:BkToCstmrStmt>");
    let e = one_entry(&xml);
    assert_eq!(e.amount, eur(100));
}

#[test]
fn a_file_that_is_not_camt_is_refused_with_a_clear_reason() {
    let pain = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>"#;
    assert!(
        errors(pain.as_bytes()).problems[0].reason.contains("not a camt.052, camt.053 or camt.054")
    );
    let html = "<html><body>hello</body></html>";
    assert!(errors(html.as_bytes()).problems[0].reason.contains("not <Document>"));
    assert!(errors(b":20:STARTUMS\n:25:123\n").problems[0].reason.contains("not XML"));
    assert!(errors(b"").problems[0].reason.contains("no XML element"));
    let wrong_message = statement_with("").replace("camt.053.001.02", "camt.054.001.02");
    assert!(
        errors(wrong_message.as_bytes()).problems[0]
            .reason
            .contains("must hold <BkToCstmrDbtCdtNtfctn>")
    );
    assert!(errors(b"\xFF\xFE<\x00").problems[0].reason.contains("UTF-16"));
}

#[test]
fn a_truncated_file_is_a_problem() {
    let xml = statement_with(&ntry("1.00", "CRDT", ""));
    let at_tag = &xml.as_bytes()[..xml.find("</Stmt>").unwrap()];
    let e = errors(at_tag);
    assert!(e.problems[0].reason.contains("ends inside <Stmt>: it is truncated"), "{e:#?}");
    let mid_tag = &xml.as_bytes()[..xml.len() - 3];
    let e = errors(mid_tag);
    assert!(e.problems[0].reason.contains("truncated"), "{e:#?}");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let deep = format!("{}{}", "<x>".repeat(DEPTH_MAX + 5), "</x>".repeat(DEPTH_MAX + 5));
    let xml = statement_with(&deep);
    let e = errors(xml.as_bytes());
    assert!(e.problems[0].reason.contains("nested deeper"), "{e:#?}");
}

#[test]
fn a_file_larger_than_the_limit_is_refused_before_reading() {
    let big = vec![b' '; MAX_FILE_BYTES + 1];
    assert!(errors(&big).problems[0].reason.contains("at most"));
}

#[test]
fn a_notification_has_no_balance_check() {
    let xml = statement_with(&ntry("1.00", "CRDT", ""))
        .replace("camt.053.001.02", "camt.054.001.08")
        .replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")
        .replace("Stmt>", "Ntfctn>");
    let p = camt::parse(xml.as_bytes()).unwrap();
    assert_eq!(p.message, "camt.054.001.08");
    assert_eq!(p.statements[0].balance_check, BalanceCheck::NotApplicable);
}

#[test]
fn a_zip_member_that_is_broken_is_named_in_the_problem() {
    // A stored (uncompressed) zip with one bad camt file, written by hand.
    let xml = statement_with(&ntry("x", "CRDT", ""));
    let zip = stored_zip("bad.xml", xml.as_bytes());
    let e = errors(&zip);
    assert!(
        e.problems[0].field.as_deref().unwrap().starts_with("bad.xml: Stmt/Ntry/Amt"),
        "{e:#?}"
    );
    let mut damaged = stored_zip("ok.xml", statement_with("").as_bytes());
    let middle = damaged.len() / 3;
    damaged[middle] ^= 0x20;
    assert!(errors(&damaged).problems[0].reason.contains("damaged"));
    let good = camt::parse(&stored_zip("ok.xml", statement_with("").as_bytes())).unwrap();
    assert_eq!(good.statements.len(), 1);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    !crc
}

fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data).to_le_bytes();
    let size = u32::try_from(data.len()).unwrap().to_le_bytes();
    let name_len = u16::try_from(name.len()).unwrap().to_le_bytes();
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    zip.extend_from_slice(&crc);
    zip.extend_from_slice(&size);
    zip.extend_from_slice(&size);
    zip.extend_from_slice(&name_len);
    zip.extend_from_slice(&[0, 0]);
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(data);
    let directory = u32::try_from(zip.len()).unwrap().to_le_bytes();
    let mut central = b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    central.extend_from_slice(&crc);
    central.extend_from_slice(&size);
    central.extend_from_slice(&size);
    central.extend_from_slice(&name_len);
    central.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
    central.extend_from_slice(&[0, 0, 0, 0]); // local header offset
    central.extend_from_slice(name.as_bytes());
    let central_len = u32::try_from(central.len()).unwrap().to_le_bytes();
    zip.extend_from_slice(&central);
    zip.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    zip.extend_from_slice(&central_len);
    zip.extend_from_slice(&directory);
    zip.extend_from_slice(&[0, 0]);
    zip
}

#[test]
fn the_writer_writes_what_the_schema_orders() {
    let p = parse_file("oca/test-camt053.xml");
    let xml = camt::write_camt053(&p.statements);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"));
    let statement = &xml[xml.find("<Stmt>").unwrap()..];
    let order = ["<Id>1234Test/1</Id>", "<CreDtTm>", "<FrToDt>", "<Acct>", "<Bal>", "<Ntry>"];
    let positions: Vec<usize> = order.iter().map(|t| statement.find(t).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let again = camt::parse(xml.as_bytes()).unwrap();
    assert_eq!(strip(&again.statements), strip(&p.statements));
}

// ---------------------------------------------------------------------------------------------
// properties

/// Statements with every location set to byte 0 (a written file has its own offsets).
fn strip(statements: &[Statement]) -> Vec<Statement> {
    statements
        .iter()
        .cloned()
        .map(|mut s| {
            s.location = Location::Byte(0);
            for e in &mut s.entries {
                e.location = Location::Byte(0);
            }
            s
        })
        .collect()
}

fn arb_date() -> impl Strategy<Value = Date> {
    (0..40_000i32).prop_map(|days| add_days(date("1990-01-01"), days))
}

fn arb_token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 /&<>.'\"-]{0,20}[A-Za-z0-9]"
}

fn arb_text() -> impl Strategy<Value = String> {
    "[A-Za-zéü€][A-Za-z0-9 &<>'\"éü€-]{0,30}[A-Za-z.éü€]"
}

fn arb_remittance() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z&<>'\"éß]{1,12}", 0..40).prop_map(|words| words.join(" "))
}

fn arb_iban(country: &'static str) -> impl Strategy<Value = String> {
    "[0-9]{2}[A-Z0-9]{12,28}".prop_map(move |rest| format!("{country}{rest}"))
}

fn arb_reference() -> impl Strategy<Value = Option<StructuredReference>> {
    let scheme = prop_oneof![
        Just(Some(ReferenceScheme::Ogm)),
        Just(Some(ReferenceScheme::Rf)),
        Just(Some(ReferenceScheme::Nl)),
        Just(None)
    ];
    prop_oneof![
        Just(None),
        (scheme, 1..9_999_999_999u64, "[A-Z]{3}-[0-9]{1,8}").prop_map(|(scheme, base, text)| {
            Some(match scheme {
                Some(s) => {
                    let r = generate(s, base).unwrap();
                    StructuredReference::classify_as(s, &r.normalized).unwrap()
                }
                None => StructuredReference { scheme: ReferenceKind::Other, value: text },
            })
        }),
    ]
}

fn arb_entry(currency: Currency) -> impl Strategy<Value = Entry> {
    (
        (arb_date(), prop::option::of(arb_date()), -1_000_000_000_000i64..1_000_000_000_000),
        (
            prop::option::of(arb_text()),
            prop::option::of(prop_oneof![arb_iban("NL"), "CP-[0-9]{4,10}"]),
            prop::option::of("[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?"),
        ),
        (arb_reference(), arb_remittance(), prop::option::of(arb_token())),
        (
            prop::option::of(arb_token()),
            prop::option::of(prop_oneof![
                Just("PMNT/RCDT/ESCT".to_string()),
                Just("PMNT/IDDT/UPDD".to_string()),
                "[A-Z0-9]{1,8}"
            ]),
            any::<bool>(),
            prop::option::of(prop_oneof![Just("AC04".to_string()), Just("MD06".to_string())]),
        ),
    )
        .prop_map(move |(dates, party, remit, rest)| {
            let (booking_date, value_date, minor) = dates;
            let (counterparty_name, counterparty_iban, counterparty_bic) = party;
            let (reference, remittance, end_to_end_id) = remit;
            let (bank_reference, transaction_code, reversal, return_reason) = rest;
            Entry {
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
                reversal: reversal || return_reason.is_some(),
                return_reason,
                location: Location::Byte(0),
            }
        })
}

fn arb_balance(currency: Currency) -> impl Strategy<Value = Option<Balance>> {
    prop::option::of(
        (-1_000_000_000_000i64..1_000_000_000_000, prop::option::of(arb_date())).prop_map(
            move |(minor, date)| Balance { amount: Money::from_minor(minor, currency), date },
        ),
    )
}

fn arb_statement() -> impl Strategy<Value = Statement> {
    prop_oneof![Just("EUR"), Just("USD"), Just("JPY"), Just("KWD")].prop_map(ccy).prop_flat_map(
        |currency| {
            (
                (
                    arb_token(),
                    prop_oneof![arb_iban("BE"), "[0-9]{6,12}", "ACC [A-Z]{2,6}"],
                    prop::option::of("[A-Z]{6}[A-Z0-9]{2}"),
                    prop::option::of(arb_text()),
                ),
                (arb_balance(currency), arb_balance(currency)),
                (prop::option::of(arb_date()), prop::option::of(arb_date())),
                prop::collection::vec(arb_entry(currency), 0..8),
            )
                .prop_map(move |(ids, balances, dates, entries)| {
                    let (id, account, account_bic, account_holder) = ids;
                    let (opening_balance, closing_balance) = balances;
                    let balance_check = BalanceCheck::compute(
                        opening_balance.as_ref(),
                        &entries,
                        closing_balance.as_ref(),
                    );
                    Statement {
                        id: Some(id),
                        account,
                        account_bic,
                        account_holder,
                        currency,
                        opening_balance,
                        closing_balance,
                        from_date: dates.0,
                        to_date: dates.1,
                        entries,
                        balance_check,
                        location: Location::Byte(0),
                    }
                })
        },
    )
}

/// One mutation of a corpus file.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    InsertText(usize, &'static str),
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match *m {
        Mutation::Flip(i, bit) => {
            if let Some(b) = bytes.get_mut(i % n) {
                *b ^= 1 << (bit % 8);
            }
        }
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i) => {
            if !bytes.is_empty() {
                bytes.remove(i % n);
            }
        }
        Mutation::Truncate(i) => bytes.truncate(i % n),
        Mutation::InsertText(i, t) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, t.bytes());
        }
    }
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let text = prop_oneof![
        Just("<"),
        Just("</Ntry>"),
        Just("<Ntry>"),
        Just("&amp;"),
        Just("&bogus;"),
        Just("<![CDATA["),
        Just("<TxDtls><Amt Ccy=\"EUR\">1</Amt></TxDtls>"),
        Just("<Amt Ccy=\"XXX\">"),
        Just("\u{e9}"),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), text).prop_map(|(i, t)| Mutation::InsertText(i, t)),
    ]
}

/// Problems point inside the file (or at its end).
fn check_outcome(bytes: &[u8], result: Result<ParsedStatements, StatementError>) {
    match result {
        Ok(parsed) => {
            for s in &parsed.statements {
                assert_eq!(
                    s.balance_check,
                    BalanceCheck::compute(
                        s.opening_balance.as_ref(),
                        &s.entries,
                        s.closing_balance.as_ref()
                    )
                );
            }
        }
        Err(e) => {
            assert!(!e.problems.is_empty());
            for p in &e.problems {
                if let Location::Byte(at) = p.location {
                    assert!(at as usize <= bytes.len(), "{p} beyond {}", bytes.len());
                }
                assert!(!p.reason.is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn writing_then_reading_gives_the_same_statements(
        statements in prop::collection::vec(arb_statement(), 1..4)
    ) {
        let xml = camt::write_camt053(&statements);
        let parsed = camt::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:#?}\n{xml}"));
        prop_assert_eq!(&parsed.message, "camt.053.001.02");
        prop_assert!(parsed.warnings.is_empty(), "{:#?}", parsed.warnings);
        prop_assert_eq!(strip(&parsed.statements), strip(&statements));
    }

    #[test]
    fn any_bytes_give_a_result_or_problems(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let result = camt::parse(&bytes);
        check_outcome(&bytes, result);
    }

    #[test]
    fn any_bytes_after_a_zip_signature_give_a_result_or_problems(
        tail in prop::collection::vec(any::<u8>(), 0..512),
        directory in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend_from_slice(&tail);
        bytes.extend_from_slice(b"PK\x05\x06");
        bytes.extend_from_slice(&directory);
        let result = camt::parse(&bytes);
        check_outcome(&bytes, result);
    }

    #[test]
    fn any_text_after_a_camt_head_gives_a_result_or_problems(tail in "\\PC{0,400}") {
        let xml = format!("{HEAD}{tail}");
        let result = camt::parse(xml.as_bytes());
        check_outcome(xml.as_bytes(), result);
    }

    #[test]
    fn mutated_corpus_files_give_a_result_or_problems(
        file in 0usize..64,
        mutations in prop::collection::vec(arb_mutation(), 1..6)
    ) {
        let files: Vec<String> = corpus_files()
            .into_iter()
            .filter(|f| !f.starts_with("subite/BE"))
            .collect();
        let mut bytes = read(&files[file % files.len()]);
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        let result = camt::parse(&bytes);
        check_outcome(&bytes, result);
    }
}

#[test]
fn mutations_of_the_large_statement_give_a_result_or_problems() {
    // The 480 KB month is mutated at fixed places (a proptest over it would be slow).
    let original = read("subite/BE68793230773034-202411.xml");
    let n = original.len();
    let mutations = [
        Mutation::Truncate(n / 2),
        Mutation::Delete(n / 3),
        Mutation::Flip(n / 4, 3),
        Mutation::Insert(n / 5, b'<'),
        Mutation::InsertText(n / 6, "</Stmt>"),
        Mutation::InsertText(n - 40, "<Ntry>"),
    ];
    for m in &mutations {
        let mut bytes = original.clone();
        mutate(&mut bytes, m);
        let result = camt::parse(&bytes);
        check_outcome(&bytes, result);
    }
}

#[test]
fn a_generated_month_round_trips_and_balances() {
    // The same kind of file the throughput measurement used: a month of a busy account.
    let p = parse_file("subite/BE68793230773034-202411.xml");
    let mut statements = p.statements.clone();
    for _ in 0..3 {
        statements.extend(p.statements.iter().cloned());
    }
    let xml = camt::write_camt053(&statements);
    let again = camt::parse(xml.as_bytes()).unwrap();
    assert_eq!(strip(&again.statements), strip(&statements));
    assert!(again.statements.iter().all(|s| s.balance_check == BalanceCheck::Ok));
}
