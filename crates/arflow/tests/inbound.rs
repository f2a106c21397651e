//! End-to-end tests of the inbound features of the real `arflow` binary: `parse statement`,
//! `parse invoice`, `import statement`, `import invoice` and `match review|accept|reject`.
//!
//! Statement and e-invoice files are read in place from the shared corpus (`ARFLOW_CORPUS`, or
//! `../shared/corpus` beside the repository); the expected values asserted on them come from the
//! corpus's expectation files (`SOURCE.md`, `expected*.json`, `*.gobl.json`) or from the files
//! themselves, as each test says. The reconciliation story runs on SQLite and on the PostgreSQL
//! server of `ARFLOW_TEST_PG` (that test fails, never skips, without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The shared corpus, read in place (never copied into the repository).
fn corpus(relative: &str) -> String {
    let base = match std::env::var_os("ARFLOW_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    let path = base.join(relative);
    assert!(
        path.is_file(),
        "corpus file {} is missing: set ARFLOW_CORPUS to the shared corpus folder",
        path.display()
    );
    path.display().to_string()
}

/// A scratch directory and database for one test.
struct World {
    dir: PathBuf,
    db: String,
    /// The PostgreSQL server and database to drop afterwards.
    pg: Option<(String, String)>,
}

impl World {
    fn sqlite() -> World {
        let dir = std::env::temp_dir().join(format!(
            "arflow-inbound-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("sqlite://{}", dir.join("arflow.db").display());
        World { dir, db, pg: None }
    }

    /// A fresh database on the server of `ARFLOW_TEST_PG`; panics (the test fails) without it.
    fn postgres() -> World {
        let server = std::env::var("ARFLOW_TEST_PG").expect(
            "ARFLOW_TEST_PG is not set: the PostgreSQL tests need a server (scripts/test starts one)",
        );
        let name =
            format!("inbound_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let status = Command::new("psql")
            .args([server.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .stdin(Stdio::null())
            .status()
            .expect("psql is needed to create the test database");
        assert!(status.success(), "CREATE DATABASE {name} on {server} failed");
        let (prefix, _) = server.rsplit_once('/').expect("ARFLOW_TEST_PG is a URL ending in /DB");
        let mut w = World::sqlite();
        w.db = format!("{prefix}/{name}");
        w.pg = Some((server, name));
        w
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_arflow"))
            .args(args)
            .env("ARFLOW_DB", &self.db)
            .env_remove("ARFLOW_ORG")
            .env_remove("ARFLOW_CONFIG")
            .env("ARFLOW_LOG", "warn")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs and expects exit `code`; returns stdout.
    fn ok(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "arflow {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        stdout
    }

    /// Runs and expects exit `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "arflow {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        stderr
    }

    /// Runs with `--json`, expects exit `code` and parses stdout.
    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all, code);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// `export KIND -` read back as rows of (column → value).
    fn export(&self, kind: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let text = self.ok(&["export", kind, "-"], 0);
        let mut rows = csv_rows(&text).into_iter();
        let header = rows.next().expect("an export starts with its header");
        rows.map(|r| {
            assert_eq!(r.len(), header.len(), "{kind} export row {r:?}");
            header.iter().cloned().zip(r).collect()
        })
        .collect()
    }

    /// The exported invoice `number`.
    fn invoice(&self, number: &str) -> std::collections::BTreeMap<String, String> {
        self.export("invoices")
            .into_iter()
            .find(|r| r["number"] == number)
            .unwrap_or_else(|| panic!("invoice {number} is not in the export"))
    }

    /// What is still open of invoice `number` on `as_of`, as `charges` reports it.
    fn principal_open(&self, number: &str, as_of: &str) -> String {
        let c = self.json(&["charges", "--invoice", number, "--as-of", as_of], 0);
        assert_eq!(c["invoice"], number, "{c}");
        c["principal_open"].as_str().unwrap().to_owned()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((server, name)) = &self.pg {
            let _ = Command::new("psql")
                .args([server.as_str(), "-q", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {name}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// RFC 4180 rows (what `export` writes: `,`, `"` quoting, LF line ends).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// A decimal amount with two decimals, as the contracts write EUR: `-12.50`.
fn is_amount(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() == 2
            && frac.bytes().all(|b| b.is_ascii_digit())
    })
}

fn is_date(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 10
            && s.bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
    })
}

fn is_text_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

/// Asserts the JSON contract of `parse statement --json` on every statement and entry.
fn assert_statement_contract(v: &Value) {
    let format = v["format"].as_str().unwrap_or_else(|| panic!("format is a string: {v}"));
    assert!(["camt053", "mt940", "coda", "csv"].contains(&format), "format {format}");
    let statements = v["statements"].as_array().unwrap_or_else(|| panic!("statements: {v}"));
    assert!(!statements.is_empty());
    for s in statements {
        let show = || format!("statement {}", s["account"]);
        assert!(s["account"].as_str().is_some_and(|a| !a.is_empty()), "{}", show());
        assert!(s["currency"].as_str().is_some_and(|c| c.len() == 3), "{}", show());
        for key in ["opening_balance", "closing_balance"] {
            assert!(
                is_amount(&s[key]) || s[key].is_null(),
                "contract: {key} is a plain decimal string like \"-12.50\", found {} in {}",
                s[key],
                show()
            );
        }
        let entries = s["entries"].as_array().unwrap_or_else(|| panic!("entries: {}", show()));
        for e in entries {
            assert!(is_date(&e["booking_date"]), "booking_date: {e}");
            assert!(is_date(&e["value_date"]) || e["value_date"].is_null(), "value_date: {e}");
            assert!(is_amount(&e["amount"]), "contract: amount like \"-12.50\": {e}");
            assert!(e["currency"].as_str().is_some_and(|c| c.len() == 3), "currency: {e}");
            for key in ["counterparty_name", "counterparty_iban", "end_to_end_id", "bank_reference"]
            {
                assert!(is_text_or_null(&e[key]), "{key}: {e}");
            }
            assert!(e["remittance"].is_string(), "remittance: {e}");
            let r = &e["reference"];
            assert!(
                r.is_null()
                    || (r["scheme"]
                        .as_str()
                        .is_some_and(|s| ["ogm", "rf", "nl", "other"].contains(&s))
                        && r["value"].is_string()),
                "reference is null or {{scheme, value}}: {e}"
            );
        }
    }
}

/// Asserts the JSON contract of `parse invoice --json`.
fn assert_invoice_contract(v: &Value) {
    assert!(v["type"] == "invoice" || v["type"] == "credit_note", "type: {v}");
    assert!(v["number"].as_str().is_some_and(|n| !n.is_empty()), "number: {v}");
    assert!(is_date(&v["issue_date"]), "issue_date: {v}");
    assert!(is_date(&v["due_date"]) || v["due_date"].is_null(), "due_date: {v}");
    assert!(v["currency"].as_str().is_some_and(|c| c.len() == 3), "currency: {v}");
    assert!(is_amount(&v["payable_amount"]), "payable_amount: {v}");
    assert!(is_amount(&v["tax_inclusive_amount"]), "tax_inclusive_amount: {v}");
    assert!(is_text_or_null(&v["payment_reference"]), "payment_reference: {v}");
    assert!(is_text_or_null(&v["payee_iban"]), "payee_iban: {v}");
    let b = &v["buyer"];
    assert!(b["name"].as_str().is_some_and(|n| !n.is_empty()), "buyer.name: {v}");
    assert!(is_text_or_null(&b["vat_number"]), "buyer.vat_number: {v}");
    assert!(is_text_or_null(&b["country"]), "buyer.country: {v}");
}

// ---------------------------------------------------------------------------------------------
// parse statement
// ---------------------------------------------------------------------------------------------

/// camt053/oca/test-camt053.xml; expected values from oca/test-camt053.expected.json (Odoo's
/// golden file): account, balances, the four transactions.
#[test]
fn parse_statement_reads_a_real_camt053_statement() {
    let w = World::sqlite();
    let v = w.json(&["parse", "statement", &corpus("camt053/oca/test-camt053.xml")], 0);
    assert_statement_contract(&v);
    assert_eq!(v["format"], "camt053");
    let statements = v["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{v}");
    let s = &statements[0];
    assert_eq!(s["account"], "NL77ABNA0574908765");
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["opening_balance"], "15568.27");
    assert_eq!(s["closing_balance"], "15121.12");
    let e = s["entries"].as_array().unwrap();
    assert_eq!(e.len(), 4, "{s}");
    for entry in e {
        assert_eq!(entry["booking_date"], "2014-01-05");
        assert_eq!(entry["currency"], "EUR");
    }
    // An insurance direct debit.
    assert_eq!(e[0]["amount"], "-754.25");
    assert_eq!(e[0]["counterparty_name"], "INSURANCE COMPANY TESTX");
    assert_eq!(e[0]["counterparty_iban"], "NL46ABNA0499998748");
    assert_eq!(e[0]["end_to_end_id"], "435005714488-ABNO33052620");
    assert_eq!(e[0]["remittance"], "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014");
    assert_eq!(e[0]["reference"], Value::Null);
    // A returned direct debit (RvslInd true, return reason AC06).
    assert_eq!(e[1]["amount"], "-564.05");
    assert_eq!(e[1]["counterparty_name"], "Test Customer");
    assert_eq!(e[1]["end_to_end_id"], "TESTBANK/NL/20141229/01206408");
    assert_eq!(e[1]["reversal"], true);
    assert_eq!(e[1]["return_reason"], "AC06");
    assert_eq!(e[2]["amount"], "-100.00");
    assert_eq!(e[2]["end_to_end_id"], "TESTBANK/NL/20141229/01206407");
    // A credit transfer received.
    assert_eq!(e[3]["amount"], "1405.31");
    assert_eq!(e[3]["counterparty_name"], "3rd party Media");
    assert_eq!(e[3]["counterparty_iban"], "NL69ABNA0522123643");
    assert_eq!(e[3]["end_to_end_id"], "115");
    assert_eq!(e[3]["remittance"], "#RD PARTY MEDIA CUSNO 90782 4210773");
    // The file's own balances do not add up (15568.27 - 754.25 - 564.05 - 100.00 + 1405.31 =
    // 15555.28): reported, not hidden.
    assert_eq!(s["balance_check"]["status"], "mismatch", "{s}");
    assert_eq!(s["balance_check"]["computed"], "15555.28");
}

/// mt940/oca/test-ing.940; expected values from mt940/oca/expected.json (ING SEPA dialect):
/// account, balances, the first line's counterparty, amount, date and end-to-end reference; the
/// eight `:61:` lines counted in the file.
#[test]
fn parse_statement_reads_a_real_mt940_statement() {
    let w = World::sqlite();
    let v = w.json(&["parse", "statement", &corpus("mt940/oca/test-ing.940")], 0);
    assert_statement_contract(&v);
    assert_eq!(v["format"], "mt940");
    let s = &v["statements"][0];
    assert_eq!(v["statements"].as_array().unwrap().len(), 1);
    assert_eq!(s["account"], "NL77INGB0574908765");
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["opening_balance"], "662.23");
    assert_eq!(s["closing_balance"], "564.35");
    assert_eq!(s["balance_check"]["status"], "ok", "{s}");
    let e = s["entries"].as_array().unwrap();
    assert_eq!(e.len(), 8, "{s}");
    assert_eq!(e[0]["amount"], "1.56");
    assert_eq!(e[0]["currency"], "EUR");
    assert_eq!(e[0]["value_date"], "2014-02-20");
    assert_eq!(e[0]["booking_date"], "2014-02-20");
    assert_eq!(e[0]["counterparty_iban"], "NL32INGB0000012345");
    assert_eq!(e[0]["end_to_end_id"], "EV12341REP1231456T1234");
    // The signed amounts of the file, in order (C/D marks of the :61: lines).
    let amounts: Vec<&str> = e.iter().map(|x| x["amount"].as_str().unwrap()).collect();
    assert_eq!(
        amounts,
        ["1.56", "-1.57", "1.57", "-1.14", "1.45", "-12.75", "32.00", "-119.00"],
        "{s}"
    );
    // The third line is a return (/RTRN/MS03).
    assert_eq!(e[2]["reversal"], true);
    assert_eq!(e[2]["return_reason"], "MS03");
    assert_eq!(e[2]["counterparty_name"], "J.Janssen");
}

/// coda/pycoda/Coda_v2_3_single_statement.txt; expected values from coda/pycoda/expected.json
/// (account, balances and their dates, the first movement) and coda/oca-l10n-belgium/
/// expected.json (30 lines; the line with ref 00170005).
#[test]
fn parse_statement_reads_a_real_coda_statement() {
    let w = World::sqlite();
    let file = corpus("coda/pycoda/Coda_v2_3_single_statement.txt");
    let v = w.json(&["parse", "statement", &file], 0);
    assert_statement_contract(&v);
    assert_eq!(v["format"], "coda");
    assert_eq!(v["statements"].as_array().unwrap().len(), 1);
    let s = &v["statements"][0];
    assert_eq!(s["account"], "BE86407051416150");
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["opening_balance"], "0.00");
    assert_eq!(s["closing_balance"], "0.00");
    assert_eq!(s["opening_balance_date"], "2009-03-04");
    assert_eq!(s["closing_balance_date"], "2009-03-05");
    assert_eq!(s["balance_check"]["status"], "ok", "{s}");
    let e = s["entries"].as_array().unwrap();
    assert_eq!(e.len(), 30, "{s}");
    assert_eq!(e[0]["amount"], "20.00");
    assert_eq!(e[0]["booking_date"], "2009-03-05");
    assert_eq!(e[0]["bank_reference"], "SWJVZ0BN6 BKTBBNPOSKZ");
    // Movement 0017, detail 0005 (file line 62).
    let line = e
        .iter()
        .find(|x| x["bank_reference"] == "SWJVZ0BOJYBNKNIANIVUI")
        .unwrap_or_else(|| panic!("no entry for movement 0017/0005: {s}"));
    assert_eq!(line["amount"], "-15.00");
    assert_eq!(line["counterparty_iban"], "BE38733040385372");
    assert_eq!(line["remittance"], "OVERBOEKING NAAR CENTRALE REKENING");

    // The KBC file of OCA: the second line carries PARTNER 2's account and OGM.
    let v = w.json(
        &[
            "parse",
            "statement",
            &corpus("coda/oca-l10n-belgium/Ontvangen_CODA.2012-01-11-18.59.15.txt"),
        ],
        0,
    );
    assert_statement_contract(&v);
    let s = &v["statements"][0];
    assert_eq!(s["account"], "BE46737018594236");
    assert_eq!(s["opening_balance"], "11812.70");
    assert_eq!(s["closing_balance"], "13646.05");
    let second = &s["entries"][1];
    assert_eq!(second["amount"], "3044.45");
    assert_eq!(second["counterparty_name"], "PARTNER 2");
    assert_eq!(second["counterparty_iban"], "BE61310126985517");
    assert_eq!(second["reference"], serde_json::json!({"scheme": "ogm", "value": "240283842818"}));
}

/// Broken files are refused with exit 3, `FILE:LINE: reason` on stderr and nothing on stdout.
#[test]
fn a_broken_statement_is_refused_with_its_file_line_and_reason() {
    let w = World::sqlite();
    let refused = |file: &str, line: &str, reason: &str| {
        let out = w.run(&["parse", "statement", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file}: nothing is printed on stdout");
        assert!(
            stderr.contains(&format!("{file}:{line}: ")) && stderr.contains(reason),
            "{file}: expected '{file}:{line}: …{reason}…' in\n{stderr}"
        );
        assert!(stderr.contains("nothing was read"), "{stderr}");
    };
    // The corpus's CODA version 5 file (pycoda expects error R001 for it).
    refused(&corpus("coda/pycoda/Coda_faulty_version.txt"), "1", "version");
    // The corpus's MT940 that starts with ':9401:' (Odoo must refuse it).
    refused(&corpus("mt940/oca/test-wrong-file.940"), "1", ":9401:");
    // Real files cut short, in a temp dir.
    let mt940 = std::fs::read(corpus("mt940/oca/test-ing.940")).unwrap();
    let cut = w.dir.join("cut.940");
    std::fs::write(&cut, mt940.get(..200).unwrap()).unwrap();
    refused(cut.to_str().unwrap(), "4", "closing balance");
    let coda =
        std::fs::read_to_string(corpus("coda/pycoda/Coda_v2_3_single_statement.txt")).unwrap();
    let first_lines: String = coda.split_inclusive('\n').take(20).collect();
    let cut = w.write("cut.cod", &first_lines);
    refused(&cut, "20", "trailer record 9 is missing");
    // camt (XML) names a byte offset instead of a line.
    let camt = std::fs::read(corpus("camt053/oca/test-camt053.xml")).unwrap();
    let cut = w.dir.join("cut.xml");
    std::fs::write(&cut, camt.get(..3000).unwrap()).unwrap();
    let cut = cut.display().to_string();
    let stderr = w.fails(&["parse", "statement", &cut], 3);
    assert!(stderr.contains(&format!("{cut}:byte ")) && stderr.contains("truncated"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// parse invoice
// ---------------------------------------------------------------------------------------------

/// ubl/gobl-ubl/peppol/invoice-peppol.xml, expected values from invoice-peppol.gobl.json; and the
/// Factur-X PDF cii/zugferd-corpus/FX/EN16931_Einfach.pdf, whose embedded XML is
/// EN16931_Einfach.cii.xml (values read from that XML).
#[test]
fn parse_invoice_reads_a_peppol_ubl_invoice_and_a_factur_x_pdf() {
    let w = World::sqlite();
    let v = w.json(&["parse", "invoice", &corpus("ubl/gobl-ubl/peppol/invoice-peppol.xml")], 0);
    assert_invoice_contract(&v);
    assert_eq!(v["type"], "invoice");
    assert_eq!(v["number"], "POP000274-128-20210525T044541");
    assert_eq!(v["issue_date"], "2021-05-25");
    assert_eq!(v["due_date"], "2021-06-24");
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["payable_amount"], "6740.00");
    assert_eq!(v["tax_inclusive_amount"], "6740.00");
    assert_eq!(v["payment_reference"], Value::Null);
    assert_eq!(v["payee_iban"], "GB33BUKB20201555555555");
    assert_eq!(v["buyer"]["name"], "OpenPEPPOL AISBL Testbed Operations");
    assert_eq!(v["buyer"]["vat_number"], "BE0848934496");
    assert_eq!(v["buyer"]["country"], "BE");

    let v = w.json(&["parse", "invoice", &corpus("cii/zugferd-corpus/FX/EN16931_Einfach.pdf")], 0);
    assert_invoice_contract(&v);
    assert_eq!(v["type"], "invoice");
    assert_eq!(v["number"], "471102");
    assert_eq!(v["issue_date"], "2018-03-05");
    assert_eq!(v["due_date"], Value::Null);
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["payable_amount"], "529.87");
    assert_eq!(v["tax_inclusive_amount"], "529.87");
    assert_eq!(v["payment_reference"], Value::Null);
    assert_eq!(v["payee_iban"], Value::Null);
    assert_eq!(v["buyer"]["name"], "Kunden AG Mitte");
    assert_eq!(v["buyer"]["vat_number"], Value::Null);
    assert_eq!(v["buyer"]["country"], "DE");
    assert!(v["pdf_bytes"].as_u64().is_some_and(|n| n > 100_000), "the PDF is kept: {v}");
    // The embedded XML says the same as the XML file it was made from.
    let xml =
        w.json(&["parse", "invoice", &corpus("cii/zugferd-corpus/EN16931_Einfach.cii.xml")], 0);
    for key in ["number", "issue_date", "currency", "payable_amount", "tax_inclusive_amount"] {
        assert_eq!(v[key], xml[key], "{key}");
    }
}

#[test]
fn parse_invoice_refuses_a_cdar_status_message_as_not_an_invoice() {
    let w = World::sqlite();
    let file = corpus("cii/gobl-cii/cdar/UC1_F202500003_02-CDV-202_Recue.xml");
    let stderr = w.fails(&["parse", "invoice", &file], 3);
    assert!(stderr.contains(&file) && stderr.contains("not an invoice"), "{stderr}");
    assert!(stderr.contains("CDAR"), "{stderr}");
    // With --json the error is JSON with its exit code.
    let stderr = w.fails(&["--json", "parse", "invoice", &file], 3);
    let err: Value =
        serde_json::from_str(stderr.trim()).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(err["error"]["exit_code"], 3);
    assert!(err["error"]["message"].as_str().unwrap().contains("not an invoice"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// import statement + match: the whole story
// ---------------------------------------------------------------------------------------------

const DEBTORS: &str = "\
number,name,kind,country,language,iban
K1,Bakkerij Jansen B.V.,business,NL,nl,NL84ABNA0175989834
K2,Installatiebedrijf De Vries,business,NL,nl,NL44INGB0606815708
K3,Bloemenhandel De Roos,business,NL,nl,
K4,Zorgpraktijk Bos,business,NL,nl,NL33ASNB0243030673
";

// No payment references: the import generates them (betalingskenmerk for a Dutch organisation).
const INVOICES: &str = "\
number,debtor_number,issue_date,due_date,amount
2026-0101,K1,2026-03-01,2026-03-31,1210.00
2026-0102,K2,2026-03-01,2026-03-31,500.00
2026-0103,K2,2026-03-02,2026-04-01,250.00
2026-0104,K3,2026-03-02,2026-04-01,300.00
2026-0105,K4,2026-03-03,2026-04-02,99.00
";

/// A camt.053.001.02 message with one statement of the organisation's account.
fn camt053(id: &str, day: &str, opening: &str, closing: &str, entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>{id}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>{id}</Id>
<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
{entries}</Stmt>
</BkToCstmrStmt>
</Document>
"#
    )
}

fn story(w: &World) {
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    let d = w.json(&["import", "debtors", &w.write("debtors.csv", DEBTORS)], 0);
    assert_eq!(d["created"], 4, "{d}");
    let i = w.json(&["import", "invoices", &w.write("invoices.csv", INVOICES)], 0);
    assert_eq!((i["created"].as_u64(), i["references_generated"].as_u64()), (Some(5), Some(5)));
    let reference = w.invoice("2026-0101")["payment_reference"].clone();
    let check = w.json(&["reference", "check", &reference], 0);
    assert_eq!(check["scheme"], "nl", "a Dutch organisation hands out betalingskenmerken");

    // 1. quotes 2026-0101's reference, exact amount → matched (reference rule);
    // 2. names 2026-0102 and 2026-0103 of K2 with their sum, from an account unknown so far →
    //    matched (invoice numbers);
    // 3. K3's name only, from an unknown account → review (a name never allocates by itself);
    // 4. nothing points anywhere → unmatched;
    // 5. a supplier paid → ignored.
    let entries = format!(
        r#"<Ntry><Amt Ccy="EUR">1210.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-10</Dt></BookgDt><ValDt><Dt>2026-03-10</Dt></ValDt><AcctSvcrRef>BANK-0310-001</AcctSvcrRef>
 <NtryDtls><TxDtls><Refs><EndToEndId>E2E-K1-0001</EndToEndId></Refs>
  <RltdPties><Dbtr><Nm>Bakkerij Jansen</Nm></Dbtr><DbtrAcct><Id><IBAN>NL84ABNA0175989834</IBAN></Id></DbtrAcct></RltdPties>
  <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>CUR</Issr></Tp><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>
 </TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">750.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-10</Dt></BookgDt><AcctSvcrRef>BANK-0310-002</AcctSvcrRef>
 <NtryDtls><TxDtls><Refs><EndToEndId>E2E-K2-0001</EndToEndId></Refs>
  <RltdPties><Dbtr><Nm>De Vries Installaties</Nm></Dbtr><DbtrAcct><Id><IBAN>NL70RABO0914180630</IBAN></Id></DbtrAcct></RltdPties>
  <RmtInf><Ustrd>Facturen 2026-0102 en 2026-0103</Ustrd></RmtInf>
 </TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-10</Dt></BookgDt><AcctSvcrRef>BANK-0310-003</AcctSvcrRef>
 <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
  <RltdPties><Dbtr><Nm>Bloemenhandel de Roos</Nm></Dbtr><DbtrAcct><Id><IBAN>NL19TRIO0842939784</IBAN></Id></DbtrAcct></RltdPties>
  <RmtInf><Ustrd>bloemen maart</Ustrd></RmtInf>
 </TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">42.42</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-10</Dt></BookgDt><AcctSvcrRef>BANK-0310-004</AcctSvcrRef>
 <NtryDtls><TxDtls>
  <RltdPties><Dbtr><Nm>Stichting Vrienden van het Park</Nm></Dbtr><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct></RltdPties>
  <RmtInf><Ustrd>donatie</Ustrd></RmtInf>
 </TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">200.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-10</Dt></BookgDt><AcctSvcrRef>BANK-0310-005</AcctSvcrRef>
 <NtryDtls><TxDtls>
  <RltdPties><Cdtr><Nm>Kantoorartikelen Groothandel</Nm></Cdtr><CdtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></CdtrAcct></RltdPties>
  <RmtInf><Ustrd>factuur 88123 papier</Ustrd></RmtInf>
 </TxDtls></NtryDtls></Ntry>
"#
    );
    // 1000.00 + 1210.00 + 750.00 + 300.00 + 42.42 - 200.00 = 3102.42
    let march =
        w.write("march.xml", &camt053("ACME-0310", "2026-03-10", "1000.00", "3102.42", &entries));
    let parsed = w.json(&["parse", "statement", &march], 0);
    assert_statement_contract(&parsed);
    assert_eq!(parsed["statements"][0]["balance_check"]["status"], "ok", "{parsed}");
    assert_eq!(parsed["statements"][0]["entries"][0]["reference"]["scheme"], "nl");

    let first = w.json(&["import", "statement", &march], 0);
    let counts = |r: &Value| -> Vec<u64> {
        [
            "entries",
            "created",
            "already_imported",
            "matched_automatically",
            "to_review",
            "unmatched",
            "ignored",
            "reversals",
        ]
        .iter()
        .map(|k| r[*k].as_u64().unwrap_or_else(|| panic!("{k} is a count at the top: {r}")))
        .collect()
    };
    assert_eq!(counts(&first), [5, 5, 0, 2, 1, 1, 1, 0], "{first}");
    let outcomes = first["files"][0]["outcomes"].as_array().unwrap();
    let status: Vec<&str> = outcomes.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["matched", "matched", "review", "unmatched", "ignored"], "{first}");
    assert_eq!(
        (outcomes[0]["rule"].as_str(), outcomes[0]["confidence"].as_u64()),
        (Some("reference"), Some(100))
    );
    assert_eq!(outcomes[1]["rule"], "invoice_number");
    assert!(outcomes[1]["confidence"].as_u64().unwrap() >= 90, "{first}");
    assert_eq!(outcomes[2]["rule"], "name");
    assert!(outcomes[2]["confidence"].as_u64().unwrap() < 90, "{first}");
    let id_of = |i: usize| outcomes[i]["entry_id"].as_i64().unwrap();
    let (named, nothing) = (id_of(2), id_of(3));

    // What is open on 2026-03-10: 2026-0101, -0102 and -0103 are paid.
    for (number, open) in [
        ("2026-0101", "0.00"),
        ("2026-0102", "0.00"),
        ("2026-0103", "0.00"),
        ("2026-0104", "300.00"),
        ("2026-0105", "99.00"),
    ] {
        assert_eq!(w.principal_open(number, "2026-03-10"), open, "{number}");
    }
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-03-10"], 0);
    assert_eq!(
        (ageing["total"].as_str(), ageing["unapplied"].as_str()),
        (Some("399.00"), Some("342.42")),
        "{ageing}"
    );

    // The same file again stores nothing twice.
    let again = w.json(&["import", "statement", &march], 0);
    assert_eq!(counts(&again), [5, 0, 5, 0, 0, 0, 0, 0], "{again}");
    assert_eq!(w.principal_open("2026-0104", "2026-03-10"), "300.00");

    // The review queue holds the name-only payment with its suggestion.
    let review = w.json(&["match", "review"], 0);
    let items = review.as_array().unwrap();
    assert_eq!(items.len(), 1, "{review}");
    assert_eq!(items[0]["id"].as_i64(), Some(named));
    assert_eq!(items[0]["status"], "review");
    assert_eq!(items[0]["counterparty_name"], "Bloemenhandel de Roos");
    let s = &items[0]["suggestions"][0];
    assert_eq!(
        (s["rule"].as_str(), s["debtor_number"].as_str()),
        (Some("name"), Some("K3")),
        "{s}"
    );
    assert_eq!(
        s["allocations"],
        serde_json::json!([{"invoice_number": "2026-0104", "amount": "300.00"}])
    );
    assert!(s["explanation"].as_str().unwrap().contains("Bloemenhandel de Roos"), "{s}");
    // With --all the unmatched money is listed too.
    let all = w.json(&["match", "review", "--all"], 0);
    let ids: Vec<i64> = all.as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [named, nothing], "{all}");

    // A person allocates it by hand; more than is open is refused first.
    let named_text = named.to_string();
    let stderr = w.fails(&["match", "accept", &named_text, "--split", "2026-0104=300.01"], 3);
    assert!(stderr.contains("only 300.00 open"), "{stderr}");
    let accepted = w.json(&["match", "accept", &named_text, "--split", "2026-0104=300.00"], 0);
    assert_eq!(accepted["status"], "matched", "{accepted}");
    assert_eq!(w.principal_open("2026-0104", "2026-03-10"), "0.00");
    let k3 = w.json(&["report", "ageing", "--as-of", "2026-03-10", "--debtor", "K3"], 0);
    assert_eq!(k3["total"], "0.00", "{k3}");
    // A decision is taken once.
    let stderr = w.fails(&["match", "accept", &named_text, "--split", "2026-0104=1.00"], 3);
    assert!(stderr.contains("matched already"), "{stderr}");
    w.fails(&["match", "accept", &named_text], 3);
    assert_eq!(w.json(&["match", "review"], 0), serde_json::json!([]));
    // Only entries waiting for review can be rejected: the unmatched money cannot.
    let stderr = w.fails(&["match", "reject", &nothing.to_string()], 3);
    assert!(stderr.contains("not waiting for review"), "{stderr}");
    w.fails(&["match", "reject", "999999"], 5);
    let all = w.json(&["match", "review", "--all"], 0);
    assert_eq!(all.as_array().unwrap().len(), 1, "the unmatched entry stays listed: {all}");
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-03-10"], 0);
    assert_eq!(
        (ageing["total"].as_str(), ageing["unapplied"].as_str()),
        (Some("99.00"), Some("42.42")),
        "{ageing}"
    );

    // Two days later the bank returns the first payment (reversal, reason AC04: the same
    // account and end-to-end id), and K4 pays under its name from an unknown account.
    let entries = r#"<Ntry><Amt Ccy="EUR">1210.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-12</Dt></BookgDt><AcctSvcrRef>BANK-0312-001</AcctSvcrRef>
 <NtryDtls><TxDtls><Refs><EndToEndId>E2E-K1-0001</EndToEndId></Refs>
  <RltdPties><Dbtr><Nm>Bakkerij Jansen</Nm></Dbtr><DbtrAcct><Id><IBAN>NL84ABNA0175989834</IBAN></Id></DbtrAcct></RltdPties>
  <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
 </TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-03-12</Dt></BookgDt><AcctSvcrRef>BANK-0312-002</AcctSvcrRef>
 <NtryDtls><TxDtls>
  <RltdPties><Dbtr><Nm>Zorgpraktijk Bos</Nm></Dbtr><DbtrAcct><Id><IBAN>BE63001564552608</IBAN></Id></DbtrAcct></RltdPties>
 </TxDtls></NtryDtls></Ntry>
"#;
    // 3102.42 - 1210.00 + 99.00 = 1991.42
    let returned =
        w.write("return.xml", &camt053("ACME-0312", "2026-03-12", "3102.42", "1991.42", entries));
    let parsed = w.json(&["parse", "statement", &returned], 0);
    let debit = &parsed["statements"][0]["entries"][0];
    assert_eq!(
        (debit["amount"].as_str(), debit["reversal"].as_bool(), debit["return_reason"].as_str()),
        (Some("-1210.00"), Some(true), Some("AC04")),
        "{parsed}"
    );
    assert_eq!(debit["counterparty_iban"], "NL84ABNA0175989834");
    let second = w.json(&["import", "statement", &returned], 0);
    assert_eq!(counts(&second), [2, 2, 0, 0, 1, 0, 0, 1], "{second}");
    let reversal = &second["files"][0]["outcomes"][0];
    assert_eq!(reversal["status"], "reversal", "{second}");
    assert!(reversal["explanation"].as_str().unwrap().contains("AC04"), "{second}");
    // 2026-0101 is open again, and K1 has no money left on account (+1210.00 - 1210.00).
    assert_eq!(w.principal_open("2026-0101", "2026-03-12"), "1210.00");
    let k1 = w.json(&["report", "ageing", "--as-of", "2026-03-12", "--debtor", "K1"], 0);
    assert_eq!(
        (k1["total"].as_str(), k1["unapplied"].as_str()),
        (Some("1210.00"), Some("0.00")),
        "{k1}"
    );
    // The other payments stay where they were.
    assert_eq!(w.principal_open("2026-0102", "2026-03-12"), "0.00");
    assert_eq!(w.principal_open("2026-0104", "2026-03-12"), "0.00");

    // K4's payment waits for review; rejected, its money stays unapplied and 2026-0105 open.
    let review = w.json(&["match", "review"], 0);
    assert_eq!(review.as_array().unwrap().len(), 1, "{review}");
    assert_eq!(review[0]["suggestions"][0]["debtor_number"], "K4", "{review}");
    let k4_entry = review[0]["id"].as_i64().unwrap().to_string();
    let rejected = w.json(&["match", "reject", &k4_entry], 0);
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    w.fails(&["match", "reject", &k4_entry], 3);
    w.fails(&["match", "accept", &k4_entry], 3);
    assert_eq!(w.json(&["match", "review"], 0), serde_json::json!([]));
    assert_eq!(w.principal_open("2026-0105", "2026-03-12"), "99.00");
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-03-12"], 0);
    // Open: 2026-0101 1210.00 + 2026-0105 99.00; unapplied: 42.42 + 99.00.
    assert_eq!(
        (ageing["total"].as_str(), ageing["unapplied"].as_str()),
        (Some("1309.00"), Some("141.42")),
        "{ageing}"
    );

    // The return file again: nothing is reversed twice.
    let again = w.json(&["import", "statement", &returned], 0);
    assert_eq!(counts(&again), [2, 0, 2, 0, 0, 0, 0, 0], "{again}");
    assert_eq!(w.principal_open("2026-0101", "2026-03-12"), "1210.00");
}

#[test]
fn a_statement_is_imported_matched_reviewed_and_a_return_reopens_its_invoice_on_sqlite() {
    story(&World::sqlite());
}

#[test]
fn postgres_imports_matches_reviews_and_returns_the_same_as_sqlite() {
    story(&World::postgres());
}

// ---------------------------------------------------------------------------------------------
// saved CSV mappings
// ---------------------------------------------------------------------------------------------

/// A bank's own CSV layout, described once in TOML.
const BUNQ_MAPPING: &str = r#"
name = "bunq, CSV export"
delimiter = ";"
decimal_comma = true
date_format = "%Y-%m-%d"
account = { fixed = "NL16BUNQ2034567890" }
currency = { fixed = "EUR" }
booking_date = "Datum"
amount = { signed = "Bedrag" }
counterparty_iban = "Tegenrekening"
counterparty_name = "Naam"
remittance = ["Omschrijving"]
"#;

const BUNQ_EXPORT: &str = "\
Datum;Bedrag;Tegenrekening;Naam;Omschrijving
2026-03-11;300,00;NL19TRIO0842939784;Bloemenhandel de Roos;Factuur 2026-0104
2026-03-11;-45,10;NL02ABNA0123456789;Kantoorartikelen;bestelling 8812
";

fn saved_mapping_story(w: &World) {
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    w.json(&["import", "debtors", &w.write("debtors.csv", DEBTORS)], 0);
    w.json(&["import", "invoices", &w.write("invoices.csv", INVOICES)], 0);
    let good = w.write("bunq.toml", BUNQ_MAPPING);
    let export = w.write("bunq-maart.csv", BUNQ_EXPORT);

    // Only the built-in mappings at first.
    let names = |list: &Value| -> Vec<(String, bool)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| (m["name"].as_str().unwrap().to_owned(), m["builtin"].as_bool().unwrap()))
            .collect()
    };
    let builtins = [("ing-nl".to_owned(), true), ("rabobank-nl".to_owned(), true)];
    assert_eq!(names(&w.json(&["mapping", "list"], 0)), builtins);

    // A bad mapping is refused with every problem, and nothing is saved.
    let bad = w.write(
        "bad.toml",
        &BUNQ_MAPPING.replace("%Y-%m-%d", "%Y-%q").replace(
            "amount = { signed = \"Bedrag\" }",
            "amount = { with_indicator = { amount = \"Bedrag\", indicator = \"Af Bij\", credit_values = [] } }",
        ),
    );
    let err = w.fails(&["mapping", "save", "bunq", &bad], 3);
    assert!(err.contains(&format!("{bad}: mapping date_format: ")), "{err}");
    assert!(err.contains(&format!("{bad}: mapping amount credit_values: ")), "{err}");
    assert!(err.contains("'bunq' was not saved"), "{err}");
    let err = w.fails(&["mapping", "save", "bunq", &w.write("x.toml", "name = 1")], 3);
    assert!(err.contains("not a valid column mapping"), "{err}");
    // Built-in names cannot be taken; names are plain.
    let err = w.fails(&["mapping", "save", "ing-nl", &good], 3);
    assert!(err.contains("built-in"), "{err}");
    let err = w.fails(&["mapping", "save", "My Bank", &good], 3);
    assert!(err.contains("cannot name a mapping"), "{err}");
    assert_eq!(names(&w.json(&["mapping", "list"], 0)), builtins);

    // Saved once; shown as JSON that saves back to the same mapping, which changes nothing.
    let saved = w.json(&["mapping", "save", "bunq", &good], 0);
    assert_eq!((saved["name"].as_str(), saved["builtin"].as_bool()), (Some("bunq"), Some(false)));
    assert_eq!(saved["mapping"]["name"], "bunq, CSV export");
    assert!(saved["updated_by"].as_str().unwrap().starts_with("cli:"), "{saved}");
    let mut all = vec![("bunq".to_owned(), false)];
    all.extend(builtins.iter().cloned());
    assert_eq!(names(&w.json(&["mapping", "list"], 0)), all);
    let shown = w.ok(&["mapping", "show", "bunq"], 0);
    let as_json: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(as_json, saved["mapping"], "`show` prints the mapping itself");
    let again = w.json(&["mapping", "save", "bunq", &w.write("bunq.json", &shown)], 0);
    assert_eq!(again["updated_at"], saved["updated_at"], "the same mapping again is no change");
    assert_eq!(w.json(&["mapping", "show", "ing-nl"], 0)["builtin"], true);
    assert!(w.fails(&["mapping", "show", "abn"], 5).contains("mapping 'abn' not found"));

    // Imported by name: the credit names its invoice, the debit is the organisation's own.
    let first = w.json(&["import", "statement", "--mapping", "bunq", &export], 0);
    assert_eq!(first["files"][0]["format"], "csv", "{first}");
    let counts: Vec<u64> =
        ["entries", "created", "already_imported", "matched_automatically", "ignored"]
            .iter()
            .map(|k| first[*k].as_u64().unwrap())
            .collect();
    assert_eq!(counts, [2, 2, 0, 1, 1], "{first}");
    assert_eq!(w.principal_open("2026-0104", "2026-03-12"), "0.00");
    let second = w.json(&["import", "statement", "--mapping", "bunq", &export], 0);
    assert_eq!(
        (second["created"].as_u64(), second["already_imported"].as_u64()),
        (Some(0), Some(2))
    );
    // The file itself works as well; `parse` (no database) reads files and built-ins only.
    let parsed = w.json(&["parse", "statement", "--mapping", &good, &export], 0);
    assert_eq!(parsed["statements"][0]["entries"].as_array().unwrap().len(), 2, "{parsed}");
    let err = w.fails(&["parse", "statement", "--mapping", "bunq", &export], 2);
    assert!(err.contains("arflow mapping show bunq > FILE"), "{err}");

    // Removed: the name is unknown again.
    assert!(w.ok(&["mapping", "delete", "bunq"], 0).contains("deleted mapping bunq"));
    w.fails(&["mapping", "delete", "bunq"], 5);
    w.fails(&["mapping", "delete", "ing-nl"], 5);
    let err = w.fails(&["import", "statement", "--mapping", "bunq", &export], 5);
    assert!(err.contains("no file 'bunq' and no saved or built-in CSV mapping"), "{err}");
}

#[test]
fn a_saved_csv_mapping_imports_a_banks_export_by_name_on_sqlite() {
    saved_mapping_story(&World::sqlite());
}

#[test]
fn postgres_keeps_saved_csv_mappings_the_same_as_sqlite() {
    saved_mapping_story(&World::postgres());
}

// ---------------------------------------------------------------------------------------------
// import invoice
// ---------------------------------------------------------------------------------------------

/// A Peppol UBL invoice to a Belgian buyer creates its debtor; a Factur-X PDF keeps its PDF.
#[test]
fn e_invoices_create_their_debtor_once_and_keep_the_factur_x_pdf() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "BE"], 0);
    let ubl = corpus("ubl/gobl-ubl/peppol/invoice-peppol.xml");
    let first = w.json(&["import", "invoice", &ubl], 0);
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    let r = &first[0];
    assert_eq!(r["outcome"], "created", "{r}");
    assert_eq!(r["invoice"], "POP000274-128-20210525T044541");
    assert_eq!(r["type"], "invoice");
    assert_eq!(r["debtor"], "BE0848934496", "a new debtor is numbered by its VAT number");
    assert_eq!(r["debtor_created"], true);
    assert_eq!(r["pdf_kept"], false, "a UBL file without an attached PDF");
    let debtor = w
        .export("debtors")
        .into_iter()
        .find(|d| d["number"] == "BE0848934496")
        .expect("the buyer is a debtor now");
    assert_eq!(debtor["name"], "OpenPEPPOL AISBL Testbed Operations");
    assert_eq!(debtor["vat_number"], "BE0848934496");
    assert_eq!(debtor["country"], "BE");
    assert_eq!(debtor["kind"], "business");
    let inv = w.invoice("POP000274-128-20210525T044541");
    assert_eq!(inv["debtor_number"], "BE0848934496");
    assert_eq!(
        (inv["issue_date"].as_str(), inv["due_date"].as_str()),
        ("2021-05-25", "2021-06-24")
    );
    assert_eq!((inv["amount"].as_str(), inv["amount_excl_vat"].as_str()), ("6740.00", "5392.00"));
    assert_eq!(inv["currency"], "EUR");

    let again = w.json(&["import", "invoice", &ubl], 0);
    assert_eq!(again[0]["outcome"], "already_imported", "{again}");
    assert_eq!(again[0]["debtor"], "BE0848934496");
    assert_eq!(again[0]["debtor_created"], false);
    assert_eq!(w.export("debtors").len(), 1, "no second debtor");

    let pdf = corpus("cii/zugferd-corpus/FX/EN16931_Einfach.pdf");
    let fx = w.json(&["import", "invoice", &pdf], 0);
    let r = &fx[0];
    assert_eq!(r["outcome"], "created", "{r}");
    assert_eq!(r["invoice"], "471102");
    assert_eq!(r["pdf_kept"], true, "{r}");
    assert_eq!(r["debtor_created"], true);
    assert!(r["debtor"].as_str().unwrap().starts_with("EI-"), "a buyer without VAT number: {r}");
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("no due date")),
        "{r}"
    );
    // Due 30 days after its issue date; a payment reference of the organisation's scheme.
    let inv = w.invoice("471102");
    assert_eq!(
        (inv["issue_date"].as_str(), inv["due_date"].as_str()),
        ("2018-03-05", "2018-04-04")
    );
    assert_eq!((inv["amount"].as_str(), inv["amount_excl_vat"].as_str()), ("529.87", "473.00"));
    let check = w.json(&["reference", "check", &inv["payment_reference"]], 0);
    assert_eq!(check["scheme"], "ogm", "a Belgian organisation hands out OGMs: {check}");
    let fx = w.json(&["import", "invoice", &pdf], 0);
    assert_eq!(
        (fx[0]["outcome"].as_str(), fx[0]["pdf_kept"].as_bool()),
        (Some("already_imported"), Some(false)),
        "{fx}"
    );

    // A CDAR status message is no invoice: refused, nothing stored.
    let cdar = corpus("cii/gobl-cii/cdar/UC1_F202500003_02-CDV-202_Recue.xml");
    let stderr = w.fails(&["import", "invoice", &cdar], 3);
    assert!(stderr.contains("not an invoice"), "{stderr}");
    assert_eq!(w.export("invoices").len(), 2);
}

/// EN 16931 partial invoice with a prepayment (BT-113 = 50.00): BT-109 177.49 excluding VAT,
/// BT-112 197.65 including VAT, BT-115 147.65 still to pay. A valid invoice; it must import with
/// the amount due.
#[test]
fn an_e_invoice_with_a_prepaid_amount_is_imported_for_what_is_still_due() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    let file = corpus("ubl/zugferd-corpus/EN16931_1_Teilrechnung.ubl.xml");
    let parsed = w.json(&["parse", "invoice", &file], 0);
    assert_eq!(
        (
            parsed["tax_exclusive_amount"].as_str(),
            parsed["prepaid_amount"].as_str(),
            parsed["payable_amount"].as_str()
        ),
        (Some("177.49"), Some("50.00"), Some("147.65"))
    );
    let r = w.json(&["import", "invoice", &file], 0);
    assert_eq!(r[0]["outcome"], "created", "{r}");
    assert_eq!(w.invoice(parsed["number"].as_str().unwrap())["amount"], "147.65");
}

/// A Peppol invoice whose Belgian buyer VAT number fails its check digits
/// (gobl-ubl/peppol/nbio-stuck-ubl.xml, buyer BE0987654321). Whether such a buyer may become a
/// debtor is the product's choice; either way the refusal must name the file, as every other
/// import error does.
#[test]
fn a_refused_e_invoice_names_its_file() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "BE"], 0);
    let file = corpus("ubl/gobl-ubl/peppol/nbio-stuck-ubl.xml");
    let out = w.run(&["--json", "import", "invoice", &file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        // Imported: then as any other new buyer.
        Some(0) => {
            let r: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(
                (r[0]["outcome"].as_str(), r[0]["debtor_created"].as_bool()),
                (Some("created"), Some(true)),
                "{r}"
            );
        }
        // Refused: then saying which file, so that a batch of files can be fixed.
        Some(3) => {
            assert!(stderr.contains(&file), "the error must name the file {file}:\n{stderr}")
        }
        other => panic!("exit {other:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"),
    }
}
