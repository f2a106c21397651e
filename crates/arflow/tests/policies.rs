//! Editing dunning policies and their assignments with the real `arflow` binary: show a policy,
//! edit the JSON, store it, see the new version; files that are not valid are refused with exit
//! code 3 and the reason, and change nothing.
//!
//! The story runs on SQLite and, in `postgres_*`, on the PostgreSQL server of `ARFLOW_TEST_PG`
//! (it fails, never skips, without it).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A scratch directory and database for one test.
struct World {
    dir: PathBuf,
    db: String,
}

impl World {
    fn sqlite() -> World {
        let dir = std::env::temp_dir().join(format!(
            "arflow-policies-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("sqlite://{}", dir.join("arflow.db").display());
        World { dir, db }
    }

    fn postgres() -> World {
        let base = std::env::var("ARFLOW_TEST_PG").expect(
            "ARFLOW_TEST_PG is not set: PostgreSQL tests need a server (scripts/test starts one)",
        );
        let name =
            format!("policies_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let status = Command::new("psql")
            .args([base.as_str(), "-q", "-c", &format!("CREATE DATABASE {name}")])
            .status()
            .expect("psql is needed to create the test database");
        assert!(status.success(), "CREATE DATABASE {name} failed");
        let (prefix, _) = base.rsplit_once('/').unwrap();
        let mut w = World::sqlite();
        w.db = format!("{prefix}/{name}");
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

    /// Runs and expects `code`; returns (stdout, stderr).
    fn expect(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "arflow {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (stdout, stderr)
    }

    /// Runs with `--json`, expects success and reads the output.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (text, _) = self.expect(&all, 0);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A policy of the organisation's own, as people write it in TOML.
const QUICK_TOML: &str = r#"
id = "quick"
version = 0
name = "Snel"
min_gap_days = 3
one_message_per_debtor = true

[[steps]]
key = "reminder"
template = "reminder"
trigger = { after = "due_date", days = 1 }
channels = ["email"]
charges = []
min_open = { amount = "0.00", currency = "EUR" }
approval = false

[[steps]]
key = "demand"
template = "demand"
trigger = { after = "previous_step", days = 7 }
channels = ["email", "letter_attached"]
charges = [{ kind = "collection_costs" }, { kind = "interest" }]
min_open = { amount = "25.00", currency = "EUR" }
approval = false
"#;

fn story_policies_are_shown_edited_and_stored_as_new_versions(w: &World) {
    w.expect(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);

    // `show` prints the JSON that `set` reads, with or without --json.
    let (text, _) = w.expect(&["dunning", "policy", "show", "nl-business"], 0);
    let shipped: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(shipped, w.json(&["dunning", "policy", "show", "nl-business"]));
    assert_eq!((&shipped["id"], &shipped["version"]), (&json!("nl-business"), &json!(1)));

    let mut edited = shipped.clone();
    edited["name"] = json!("Zakelijk, eerder");
    edited["steps"][0]["trigger"]["days"] = json!(1);
    let file = w.write("nl-business.json", &serde_json::to_string_pretty(&edited).unwrap());
    let (out, _) = w.expect(&["dunning", "policy", "set", &file], 0);
    assert!(out.contains("version 2"), "{out}");
    let now = w.json(&["dunning", "policy", "show", "nl-business"]);
    assert_eq!((&now["version"], &now["name"]), (&json!(2), &json!("Zakelijk, eerder")));
    assert_eq!(now["steps"][0]["trigger"], json!({ "after": "due_date", "days": 1 }));
    // The list shows the new version too.
    let list = w.json(&["dunning", "policies"]);
    let row = list.as_array().unwrap().iter().find(|p| p["id"] == "nl-business").unwrap();
    assert_eq!(row["version"], 2);

    // The same file again stores nothing; the shown policy stored again neither.
    let again = w.json(&["dunning", "policy", "set", &file]);
    assert_eq!((&again["outcome"], &again["policy"]["version"]), (&json!("unchanged"), &json!(2)));
    let shown = w.write("shown.json", &serde_json::to_string(&now).unwrap());
    assert_eq!(w.json(&["dunning", "policy", "set", &shown])["outcome"], "unchanged");

    // Files that are not valid: exit 3, the reason, and nothing stored.
    let mut silent = now.clone();
    silent["steps"][1]["channels"] = json!([]);
    let bad = w.write("silent.json", &silent.to_string());
    let (_, err) = w.expect(&["dunning", "policy", "set", &bad], 3);
    assert!(
        err.contains("steps[1].channels") && err.contains("a step needs at least one channel"),
        "{err}"
    );
    let mut typo = now.clone();
    typo["steps"][0]["trigger"]["dayz"] = json!(2);
    let bad = w.write("typo.json", &typo.to_string());
    let (_, err) = w.expect(&["dunning", "policy", "set", &bad], 3);
    assert!(err.contains("unknown field `steps[0].trigger.dayz`"), "{err}");
    let bad = w.write("broken.json", "{ \"id\": \"nl-business\", ");
    let (_, err) = w.expect(&["dunning", "policy", "set", &bad], 3);
    assert!(err.contains("broken.json") && err.contains("line 1"), "{err}");
    // An edit of version 1 after version 2 was stored: someone else's edit is not overwritten.
    let stale = w.write("stale.json", &shipped.to_string());
    let (_, err) = w.expect(&["dunning", "policy", "set", &stale], 3);
    assert!(err.contains("version 2"), "{err}");
    assert_eq!(w.json(&["dunning", "policy", "show", "nl-business"]), now);
    w.expect(&["dunning", "policy", "show", "nope"], 5);
    w.expect(&["dunning", "policy", "set", "missing.json"], 2);

    // A policy of the organisation's own, from TOML.
    let quick = w.write("quick.toml", QUICK_TOML);
    let (out, _) = w.expect(&["dunning", "policy", "set", &quick], 0);
    assert!(out.contains("stored policy quick version 1"), "{out}");
    let shown = w.json(&["dunning", "policy", "show", "quick"]);
    assert_eq!(
        shown["steps"][1]["charges"],
        json!([{ "kind": "collection_costs" }, { "kind": "interest" }])
    );

    // Assignments: show, set, refuse a rule naming a policy that does not exist.
    let none = json!({ "by_debtor": {}, "by_segment": {}, "by_country_kind": {}, "by_kind": {} });
    let (text, _) = w.expect(&["dunning", "assignments", "show"], 0);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), none);
    let rules = w.write("rules.json", r#"{ "by_kind": { "consumer": "quick" } }"#);
    w.expect(&["dunning", "assignments", "set", &rules], 0);
    let shown = w.json(&["dunning", "assignments", "show"]);
    assert_eq!(
        (&shown["by_kind"], &shown["by_debtor"]),
        (&json!({ "consumer": "quick" }), &json!({}))
    );
    let bad = w.write("bad-rules.toml", "[by_kind]\nbusiness = \"nope\"\n");
    let (_, err) = w.expect(&["dunning", "assignments", "set", &bad], 3);
    assert!(err.contains("by_kind.business") && err.contains("no policy 'nope'"), "{err}");
    let bad = w.write("typo-rules.json", r#"{ "by_kinds": {} }"#);
    let (_, err) = w.expect(&["dunning", "assignments", "set", &bad], 3);
    assert!(err.contains("by_kinds"), "{err}");
    assert_eq!(w.json(&["dunning", "assignments", "show"]), shown);

    // One invoice can follow another policy than its debtor: shown, set, refused, lifted.
    let debtors = w.write(
        "d.csv",
        "number,name,kind,country,language,email\nD1,Jansen BV,business,NL,nl,ap@jansen.example\n",
    );
    let invoices = w.write(
        "i.csv",
        "number,debtor_number,issue_date,due_date,amount,currency\nF1,D1,2026-01-01,2026-01-31,100.00,EUR\nC1,D1,2026-01-05,2026-01-05,-10.00,EUR\n",
    );
    w.expect(&["import", "debtors", &debtors], 0);
    w.expect(&["import", "invoices", &invoices], 0);
    assert_eq!(w.json(&["dunning", "override", "F1"]), json!({ "invoice": "F1", "policy": null }));
    let set = w.json(&["dunning", "override", "F1", "--policy", "quick"]);
    assert_eq!(set["policy"], "quick");
    assert_eq!(w.json(&["dunning", "override", "F1"])["policy"], "quick");
    let (_, err) = w.expect(&["dunning", "override", "F1", "--policy", "nope"], 3);
    assert!(err.contains("no policy 'nope'"), "{err}");
    let (_, err) = w.expect(&["dunning", "override", "C1", "--policy", "quick"], 5);
    assert!(err.contains("C1"), "a credit note is not dunned: {err}");
    w.expect(&["dunning", "override", "F9"], 5);
    assert_eq!(w.json(&["dunning", "override", "F1", "--clear"])["policy"], Value::Null);
    assert_eq!(w.json(&["dunning", "override", "F1"])["policy"], Value::Null);
}

#[test]
fn policies_are_shown_edited_and_stored_as_new_versions() {
    story_policies_are_shown_edited_and_stored_as_new_versions(&World::sqlite());
}

#[test]
fn postgres_policies_are_shown_edited_and_stored_as_new_versions() {
    story_policies_are_shown_edited_and_stored_as_new_versions(&World::postgres());
}
