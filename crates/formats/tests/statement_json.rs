//! The JSON contract of `arflow parse statement --json`: field names and shapes.

use arflow_formats::statement::{camt, coda, mt940, parse_any};
use serde_json::Value;

fn corpus(path: &str) -> Vec<u8> {
    let root =
        std::env::var_os("ARFLOW_CORPUS").map(std::path::PathBuf::from).unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"))
        });
    std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
}

fn assert_contract(v: &Value, format: &str) {
    assert_eq!(v["format"], format);
    let statements = v["statements"].as_array().unwrap();
    assert!(!statements.is_empty());
    for st in statements {
        assert!(st["account"].is_string(), "{st}");
        assert!(st["currency"].is_string(), "{st}");
        for key in ["opening_balance", "closing_balance"] {
            assert!(st[key].is_string() || st[key].is_null(), "{key}: {}", st[key]);
        }
        for e in st["entries"].as_array().unwrap() {
            assert!(e["booking_date"].is_string(), "{e}");
            assert!(e["value_date"].is_string() || e["value_date"].is_null(), "{e}");
            let amount = e["amount"].as_str().unwrap();
            assert!(
                amount.trim_start_matches('-').contains('.') || e["currency"] == "JPY",
                "{amount}"
            );
            assert!(e["currency"].is_string(), "{e}");
            for key in ["counterparty_name", "counterparty_iban", "end_to_end_id", "bank_reference"]
            {
                assert!(e[key].is_string() || e[key].is_null(), "{key}: {e}");
            }
            assert!(e["remittance"].is_string(), "{e}");
            match &e["reference"] {
                Value::Null => {}
                r => {
                    let scheme = r["scheme"].as_str().unwrap();
                    assert!(["ogm", "rf", "nl", "other"].contains(&scheme), "{r}");
                    assert!(r["value"].is_string(), "{r}");
                }
            }
        }
    }
}

#[test]
fn every_statement_format_serialises_to_the_documented_contract() {
    let camt_bytes = corpus("camt053/oca/test-camt053.xml");
    let v = serde_json::to_value(camt::parse(&camt_bytes).unwrap()).unwrap();
    assert_contract(&v, "camt053");
    // The balances are plain decimals.
    assert!(v["statements"][0]["opening_balance"].as_str().unwrap().contains('.'));
    let parsed = parse_any(&camt_bytes, None).unwrap();
    let written = mt940::write_mt940(&parsed.statements);
    assert_contract(
        &serde_json::to_value(parse_any(written.as_bytes(), None).unwrap()).unwrap(),
        "mt940",
    );
    let written = coda::write_coda(&parsed.statements);
    assert_contract(
        &serde_json::to_value(parse_any(written.as_bytes(), None).unwrap()).unwrap(),
        "coda",
    );
}
