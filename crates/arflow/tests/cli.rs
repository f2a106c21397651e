//! End-to-end tests of the real `arflow` binary: each test gets its own database, runs commands
//! the way a user would and checks their output, files and exit codes.
//!
//! The stories run on SQLite; `postgres_*` tests repeat the central ones on the PostgreSQL server
//! of `ARFLOW_TEST_PG` (they fail, never skip, without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A scratch directory and database for one test.
struct World {
    dir: PathBuf,
    db: String,
}

impl World {
    fn sqlite() -> World {
        let dir = std::env::temp_dir().join(format!(
            "arflow-cli-{}-{}",
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
        let name = format!("cli_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
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

    /// Runs and expects `code`; returns stdout.
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

    fn example(name: &str) -> String {
        examples().join(name).display().to_string()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn load_examples(w: &World) {
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    let d = w.json(&["import", "debtors", &World::example("debtors.csv")], 0);
    assert_eq!(d["created"], 10);
    let i = w.json(&["import", "invoices", &World::example("invoices.csv")], 0);
    assert_eq!(i["created"], 20);
    let p = w.json(&["import", "payments", &World::example("payments.csv")], 0);
    assert_eq!(p["created"], 10);
}

fn story_import_report_export(w: &World) {
    load_examples(w);
    // Importing the same files again changes nothing.
    for (kind, file, n) in [
        ("debtors", "debtors.csv", 10),
        ("invoices", "invoices.csv", 20),
        ("payments", "payments.csv", 10),
    ] {
        let again = w.json(&["import", kind, &World::example(file)], 0);
        assert_eq!(
            (again["created"].as_u64(), again["unchanged"].as_u64(), again["conflicts"].as_u64()),
            (Some(0), Some(n), Some(0)),
            "{kind}: {again}"
        );
        assert_eq!(again["errors"], serde_json::json!([]));
    }
    // Ageing on 2026-03-01 of the example data, computed by hand:
    //   not due (due on/after 03-01): 0011 1331.00, 0012 847.00, 0013 1089.00, 0014 9680.00,
    //     0015 605.00, 0016 2150.00, 0017 484.00, 0018 1210.00                      = 17396.00 (8)
    //   1-30 (due 01-31..02-28): 0002 open 0? paid 3025 on 02-03 -> 0; 0004 605.00 (02-07);
    //     0005 2420.00 - 500.00 = 1920.00 (02-08); 0009 14520.00 - 1452.00 credit - 14520.00 paid
    //     -> 0; 0001 1210 - 121 credit - 1210 paid -> 0 ... see the assertion for the total.
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-03-01"], 0);
    assert_eq!(ageing["as_of"], "2026-03-01");
    assert_eq!(ageing["currency"], "EUR");
    let labels: Vec<&str> = ageing["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["not_due", "1-30", "31-60", "61-90", "91-180", "180+"]);
    assert_eq!(ageing["buckets"][0]["amount"], "17396.00");
    assert_eq!(ageing["buckets"][0]["count"], 8);
    // Before anything was invoiced, nothing was open.
    let empty = w.json(&["report", "ageing", "--as-of", "2025-12-31"], 0);
    assert_eq!(empty["total"], "0.00");
    let dso = w.json(&["report", "dso", "--as-of", "2026-03-01"], 0);
    assert_eq!(dso["period_days"], 90);
    assert!(dso["countback_days"].is_string(), "{dso}");
    assert!(dso["standard_days"].is_string(), "{dso}");

    // Export then import into a fresh organisation gives the same data.
    let out = w.dir.join("invoices-export.csv");
    w.ok(&["export", "invoices", out.to_str().unwrap()], 0);
    let again = w.json(&["import", "invoices", out.to_str().unwrap()], 0);
    assert_eq!(again["unchanged"], 20, "{again}");
    let deb = w.dir.join("debtors-export.csv");
    w.ok(&["export", "debtors", deb.to_str().unwrap()], 0);
    assert_eq!(w.json(&["import", "debtors", deb.to_str().unwrap()], 0)["unchanged"], 10);
    let pay = w.dir.join("payments-export.csv");
    w.ok(&["export", "payments", pay.to_str().unwrap()], 0);
    assert_eq!(w.json(&["import", "payments", pay.to_str().unwrap()], 0)["unchanged"], 10);
}

#[test]
fn a_user_imports_the_examples_reports_and_exports_on_sqlite() {
    story_import_report_export(&World::sqlite());
}

#[test]
fn postgres_works_the_same_as_sqlite() {
    story_import_report_export(&World::postgres());
}

#[test]
fn a_file_with_a_bad_row_is_rejected_whole_with_every_error_and_nothing_is_written() {
    let w = World::sqlite();
    load_examples(&w);
    let file = w.write(
        "bad.csv",
        "number,debtor_number,issue_date,due_date,amount\n\
         X1,D1001,2026-03-01,2026-03-31,10.00\n\
         X2,D9999,2026-03-01,2026-03-31,10.00\n\
         X3,D1001,2026-03-31,2026-03-01,10.00\n\
         X4,D1001,2026-03-01,2026-03-31,10.001\n\
         X1,D1001,2026-03-01,2026-03-31,10.00\n",
    );
    let out = w.run(&["import", "invoices", &file]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{file}:3: column debtor_number: value 'D9999': no debtor with this number"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{file}:4: column due_date:")), "{stderr}");
    assert!(stderr.contains(&format!("{file}:5: column amount: value '10.001':")), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:6: column number: value 'X1': duplicate number; first on line 2"
        )),
        "{stderr}"
    );
    // X1 was fine, but nothing of the file was stored.
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-03-01"], 0);
    assert_eq!(ageing["buckets"][0]["count"], 8);
}

#[test]
fn a_changed_row_is_a_conflict_unless_update_is_given() {
    let w = World::sqlite();
    load_examples(&w);
    let original = std::fs::read_to_string(examples().join("invoices.csv")).unwrap();
    let changed = original.replace(
        "2026-0011,D1001,2026-02-02,2026-03-04,1331.00",
        "2026-0011,D1001,2026-02-02,2026-03-18,1331.00",
    );
    assert_ne!(original, changed);
    let file = w.write("changed.csv", &changed);
    let report = w.json(&["import", "invoices", &file], 4);
    assert_eq!((report["conflicts"].as_u64(), report["unchanged"].as_u64()), (Some(1), Some(19)));
    let details = report["conflict_details"][0].as_str().unwrap();
    assert!(details.contains("'2026-0011'") && details.contains("due_date"), "{details}");
    let updated = w.json(&["import", "invoices", &file, "--update"], 0);
    assert_eq!(updated["updated"], 1);
    let again = w.json(&["import", "invoices", &file], 0);
    assert_eq!(again["unchanged"], 20);
}

#[test]
fn payments_allocate_to_named_invoices_and_references_and_keep_overpayments_as_credit() {
    let w = World::sqlite();
    load_examples(&w);
    // 2026-0009: 14520.00 - 1452.00 credit note; paid 8000 + 6520 = 14520: 1452.00 too much.
    // 2026-0001: 1210.00 - 121.00 credit note; paid 1210.00: 121.00 too much. A refund of 25.00.
    let ageing = w.json(&["report", "ageing", "--as-of", "2026-02-28"], 0);
    assert_eq!(
        ageing["unapplied"], "1548.00",
        "121.00 (0001 after its credit note) + 1452.00 over-paid - 25.00 refund: {ageing}"
    );
}

#[test]
fn references_are_checked_and_generated() {
    let w = World::sqlite();
    let ok = w.json(&["reference", "check", "+++090/9337/55493+++"], 0);
    assert_eq!(
        ok,
        serde_json::json!({ "valid": true, "scheme": "ogm", "normalized": "090933755493", "display": "+++090/9337/55493+++" })
    );
    let rf = w.json(&["reference", "check", "RF18 5390 0754 7034"], 0);
    assert_eq!(
        (rf["valid"].as_bool(), rf["scheme"].as_str(), rf["normalized"].as_str()),
        (Some(true), Some("rf"), Some("RF18539007547034"))
    );
    let nl = w.json(&["reference", "check", "5000056789012345"], 0);
    assert_eq!(nl["scheme"], "nl");
    let bad = w.json(&["reference", "check", "+++090/9337/55494+++"], 3);
    assert_eq!(bad["valid"], false);
    let made = w.json(&["reference", "new", "--scheme", "ogm", "--base", "1234567890"], 0);
    assert_eq!(made["display"], "+++123/4567/89002+++");
    // Without --base the organisation's counter hands out a fresh one each time.
    w.ok(&["org", "create", "--slug", "b", "--name", "B BV", "--country", "BE"], 0);
    let a = w.json(&["reference", "new"], 0);
    let b = w.json(&["reference", "new"], 0);
    assert_eq!(a["scheme"], "ogm");
    assert_ne!(a["normalized"], b["normalized"]);
}

#[test]
fn organisations_are_chosen_by_slug_when_there_are_several() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "a", "--name", "A BV", "--country", "NL"], 0);
    w.ok(&["org", "create", "--slug", "b", "--name", "B BV", "--country", "BE"], 0);
    let out = w.run(&["report", "ageing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--org"), "{out:?}");
    let out = w.run(&["--org", "nope", "report", "ageing"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("organisation 'nope' not found"));
    w.ok(&["--org", "b", "report", "ageing"], 0);
    let list = w.json(&["org", "list"], 0);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let dup = w.run(&["org", "create", "--slug", "a", "--name", "A2", "--country", "NL"]);
    assert_eq!(dup.status.code(), Some(3));
}

#[test]
fn a_non_utf8_file_is_refused_with_its_line() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "a", "--name", "A BV", "--country", "NL"], 0);
    let p = w.dir.join("latin1.csv");
    std::fs::write(&p, b"number,name\nD1,Caf\xe9 Noir\n").unwrap();
    let out = w.run(&["import", "debtors", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":2:") && stderr.contains("UTF-8"), "{stderr}");
}

#[test]
fn a_config_file_with_an_unknown_key_is_an_error_naming_it() {
    let w = World::sqlite();
    let cfg = w.write("arflow.toml", "databse = \"sqlite://x.db\"\n");
    let out = w.run(&["--config", &cfg, "org", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("databse"));
}

#[test]
fn help_documents_the_exit_codes() {
    let w = World::sqlite();
    let help = w.ok(&["--help"], 0);
    assert!(help.contains("Exit codes:") && help.contains("4  import done"), "{help}");
}

#[test]
fn a_payment_in_another_currency_than_its_invoice_is_refused() {
    let w = World::sqlite();
    load_examples(&w);
    let file = w.write(
        "usd.csv",
        "date,amount,currency,invoice_number\n2026-03-02,100.00,USD,2026-0011\n2026-03-02,5.00,USD,\n",
    );
    let out = w.run(&["import", "payments", &file]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(":2: column currency: value 'USD': invoice 2026-0011 is in EUR"),
        "{stderr}"
    );
    assert!(
        stderr.contains(":3: column currency: value 'USD': the organisation works in EUR"),
        "{stderr}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_with_demo_data_answers_the_api_and_stops_cleanly() {
    use std::io::{BufRead, BufReader};
    let w = World::sqlite();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["serve", "--demo", "--addr", &addr])
        .env("ARFLOW_DB", &w.db)
        .env("ARFLOW_LOG", "warn")
        .current_dir(&w.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = format!("http://{addr}");
    let mut healthy = false;
    for _ in 0..600 {
        if w.run(&["healthcheck", "--url", &url]).status.code() == Some(0) {
            healthy = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let printed: Vec<String> = rx.try_iter().collect();
    assert!(healthy, "the server never became healthy; it printed:\n{}", printed.join("\n"));
    let token = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("token:").map(|t| t.trim().to_owned()))
        .unwrap_or_else(|| {
            panic!("serve --demo prints a token; it printed:\n{}", printed.join("\n"))
        });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let ageing: Value = client
            .get(format!("{url}/api/v1/reports/ageing"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ageing["buckets"].as_array().map(Vec::len), Some(6), "{ageing}");
        assert_ne!(ageing["total"], "0.00", "demo data has open items: {ageing}");
        let invoices: Value = client
            .get(format!("{url}/api/v1/invoices?limit=5"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(invoices["data"].as_array().map(Vec::len), Some(5), "{invoices}");
        let denied = client.get(format!("{url}/api/v1/invoices")).send().await.unwrap();
        assert_eq!(denied.status().as_u16(), 401);
    });

    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a SIGTERM stops the server cleanly");
    assert_eq!(w.run(&["healthcheck", "--url", &url]).status.code(), Some(6));
}

#[test]
fn a_dunning_run_acts_once_per_date_and_moves_items_one_step_at_a_time() {
    let w = World::sqlite();
    load_examples(&w);
    // On 2026-03-10 the business reminder (due date + 3 days) is due for the open invoices due
    // by 2026-03-07: 0004 (D1004), 0005 (D1005, 1920.00 after a part payment), 0011 (D1001),
    // 0012 (D1002), 0013 (D1006), 0014 (D1009); D1008 is a consumer: its courtesy reminder is
    // past, the consumer reminder (due + 7) is due. 0015-0018 are not due long enough yet.
    let preview = w.json(&["dunning", "preview", "--as-of", "2026-03-10"], 0);
    assert_eq!(preview["as_of"], "2026-03-10");
    let debtors: Vec<&str> = preview["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["debtor"].as_str().unwrap())
        .collect();
    assert_eq!(
        debtors,
        vec!["D1001", "D1002", "D1004", "D1005", "D1006", "D1008", "D1009"],
        "{preview}"
    );
    let d1004 = &preview["actions"][2];
    assert_eq!(d1004["step"], "reminder");
    assert_eq!(d1004["channels"], serde_json::json!(["email"]));
    assert_eq!(d1004["invoices"], serde_json::json!(["2026-0004"]), "0015 is not due yet");
    assert_eq!(preview["actions"][5]["policy"], "nl-consumer");
    let first = &preview["actions"][0];
    assert!(first["charges"].is_array());
    assert!(preview["refused"].is_array() && preview["skipped"].is_array());

    // A dry run changes nothing: the preview stays the same.
    let dry = w.json(&["dunning", "run", "--as-of", "2026-03-10", "--dry-run"], 0);
    assert_eq!(dry["actions"], preview["actions"]);
    let run = w.json(&["dunning", "run", "--as-of", "2026-03-10"], 0);
    assert_eq!(run["actions"].as_array().unwrap().len(), 7);
    assert!(run["actions"][0]["action_id"].is_number());
    // The same date again is a no-op.
    let again = w.json(&["dunning", "run", "--as-of", "2026-03-10"], 0);
    assert_eq!(
        (again["already_ran"].as_bool(), again["actions"].as_array().unwrap().len()),
        (Some(true), 0)
    );
    // The next day nothing is due: the gap and the next triggers have not passed.
    let next = w.json(&["dunning", "run", "--as-of", "2026-03-11"], 0);
    assert!(next["actions"].as_array().unwrap().is_empty(), "{next}");
    // After months of downtime each item moves one step only.
    let catch_up = w.json(&["dunning", "run", "--as-of", "2026-09-01"], 0);
    let steps: Vec<&str> = catch_up["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["step"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"second_reminder"), "{catch_up}");
    assert!(!steps.contains(&"demand") && !steps.contains(&"handover"), "{catch_up}");
}

#[test]
fn tasks_from_a_phone_step_are_listed_and_completed_with_an_outcome() {
    let w = World::sqlite();
    load_examples(&w);
    for day in ["2026-03-10", "2026-03-25", "2026-04-08", "2026-04-20"] {
        w.ok(&["dunning", "run", "--as-of", day], 0);
    }
    let tasks = w.json(&["task", "list"], 0);
    let list = tasks.as_array().unwrap();
    let phone = list
        .iter()
        .find(|t| t["kind"] == "phone")
        .unwrap_or_else(|| panic!("a phone task: {tasks}"));
    let id = phone["id"].as_i64().unwrap().to_string();
    let bad = w.run(&["task", "done", &id, "--outcome", "promised"]);
    assert_eq!(bad.status.code(), Some(3), "a promise needs its date");
    w.ok(
        &[
            "task",
            "done",
            &id,
            "--outcome",
            "promised",
            "--promised-on",
            "2026-05-15",
            "--note",
            "betaalt vrijdag",
        ],
        0,
    );
    let open = w.json(&["task", "list"], 0);
    assert!(open.as_array().unwrap().iter().all(|t| t["id"] != phone["id"]));
    // The promise holds the debtor's items: the next run skips them with the reason.
    let preview = w.json(&["dunning", "preview", "--as-of", "2026-05-01"], 0);
    let reasons: Vec<&str> = preview["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("promised to pay by 2026-05-15")), "{preview}");
}
