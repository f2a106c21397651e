//! End-to-end tests of the real `arflow` binary: each test gets its own database, runs commands
//! the way a user would and checks their output, files and exit codes.
//!
//! The stories run on SQLite; `postgres_*` tests repeat the central ones on the PostgreSQL server
//! of `ARFLOW_TEST_PG` (they fail, never skip, without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

mod support;
use support::{mails_from, qr_of_png, smtp_server};

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
fn arflow_user_create_makes_a_person_who_can_sign_in() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    let created = w.json(&["user", "create", "--email", "Anna@Example.nl", "--name", "Anna"], 0);
    assert_eq!(created["user"]["email"], "anna@example.nl", "{created}");
    assert_eq!(created["role"], "admin");
    let password = created["password"].as_str().unwrap();
    assert_eq!(password.len(), 20, "a generated password is printed once: {created}");
    // The same address again, a bad role, a short password: refused, nothing stored.
    let again = w.run(&["user", "create", "--email", "anna@example.nl", "--name", "Anna"]);
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("user 'anna@example.nl' exists"));
    let role =
        w.run(&["user", "create", "--email", "b@example.nl", "--name", "B", "--role", "boss"]);
    assert_eq!(role.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&role.stderr).contains("'boss' is not a role"));
    let mut short = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["user", "create", "--email", "c@example.nl", "--name", "C", "--password-stdin"])
        .env("ARFLOW_DB", &w.db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(short.stdin.as_mut().unwrap(), b"short\n").unwrap();
    let short = short.wait_with_output().unwrap();
    assert_eq!(short.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    // An accountant of a second organisation.
    w.ok(&["org", "create", "--slug", "bravo", "--name", "Bravo NV", "--country", "BE"], 0);
    let granted = w.json(
        &["--org", "bravo", "user", "grant", "--email", "anna@example.nl", "--role", "accountant"],
        0,
    );
    assert_eq!(granted["role"], "accountant");
    w.run(&["--org", "bravo", "user", "grant", "--email", "nobody@example.nl", "--role", "sales"])
        .status
        .code()
        .map(|c| assert_eq!(c, 5))
        .unwrap();
    // The generated password signs in, in both organisations.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = arflow_store::Store::connect(&w.db).await.unwrap();
        let app = arflow_app::App::new(store, std::sync::Arc::new(arflow_app::SystemClock));
        let signed_in = app.sign_in("anna@example.nl", password).await.unwrap();
        let slugs: Vec<&str> =
            signed_in.session.memberships.iter().map(|m| m.slug.as_str()).collect();
        assert_eq!(slugs, ["acme", "bravo"]);
        app.store.close().await;
    });
}

/// The allocator is built without transparent huge pages (`.cargo/config.toml`): with them a
/// million-row load spent a fifth of its time in the kernel zeroing pages (docs/benchmarks.md).
#[test]
fn the_allocator_is_built_without_transparent_huge_pages() {
    let out = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .env_remove("MIMALLOC_ALLOW_THP")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("option 'allow_thp': 0"), "mimalloc's options:\n{stderr}");
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
fn a_command_closes_the_database_and_leaves_no_write_ahead_log_behind() {
    // A log left behind holds every page the command wrote: the next process would replay it
    // and then read through it (the API served half as fast after `arflow demo`).
    let w = World::sqlite();
    let wal = w.dir.join("arflow.db-wal");
    w.ok(&["migrate"], 0);
    assert!(!wal.exists(), "migrate left {} behind", wal.display());
    w.ok(&["demo", "--debtors", "40", "--as-of", "2026-11-01"], 0);
    assert!(!wal.exists(), "demo left {} behind", wal.display());
    let file = w.write(
        "bad.csv",
        "number,debtor_number,issue_date,due_date,amount\nX1,NOBODY,2026-03-01,2026-03-31,10.00\n",
    );
    let out = w.run(&["import", "invoices", &file]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!wal.exists(), "a failed import left {} behind", wal.display());
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
        arflow_app::payments::install_tls();
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

        // The printed demo login opens the staff pages.
        let login = printed
            .iter()
            .find_map(|l| l.trim().strip_prefix("sign in:").map(|t| t.trim().to_owned()))
            .unwrap_or_else(|| panic!("serve --demo prints a login:\n{}", printed.join("\n")));
        let parts: Vec<&str> = login.split_whitespace().collect();
        let (email, password) = (parts[1], parts[3]);
        let browser = {
            arflow_app::payments::install_tls();
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
        };
        let form = browser.get(format!("{url}/login")).send().await.unwrap();
        let csrf_cookie =
            form.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let html = form.text().await.unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let csrf = html[start..].split('"').next().unwrap().to_owned();
        let signed_in = browser
            .post(format!("{url}/login"))
            .header("cookie", &csrf_cookie)
            .form(&[("email", email), ("password", password), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status().as_u16(), 303);
        let session = signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|c| c.starts_with("arflow_session="))
            .expect("a session cookie");
        let dashboard =
            browser.get(format!("{url}/")).header("cookie", &session).send().await.unwrap();
        assert_eq!(dashboard.status().as_u16(), 200);
        let html = dashboard.text().await.unwrap();
        assert!(
            html.contains("id=\"outstanding\"")
                && !html.contains("id=\"outstanding\" data-amount=\"0.00\""),
            "{html}"
        );
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

/// "123.45" or "-0.50" in cents.
fn cents(text: &str) -> i64 {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |t| (-1, t));
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let fraction = format!("{fraction:0<2}");
    sign * (units.parse::<i64>().unwrap() * 100 + fraction[..2].parse::<i64>().unwrap())
}

#[test]
fn a_handover_step_leaves_the_collection_dossier_in_the_outbox() {
    let w = World::sqlite();
    load_examples(&w);
    let mut found = None;
    for day in ["2026-03-10", "2026-03-25", "2026-04-08", "2026-04-20", "2026-05-05", "2026-05-20"]
    {
        let run = w.json(&["dunning", "run", "--as-of", day], 0);
        if let Some(a) = run["actions"].as_array().unwrap().iter().find(|a| a["step"] == "handover")
        {
            found = Some((day, a.clone()));
            break;
        }
    }
    let (day, action) = found.expect("a hand-over by 2026-05-20");
    let debtor = action["debtor"].as_str().unwrap();
    let outbox = w.json(&["outbox", "list", "--status", "held", "--limit", "500"], 0);
    let message = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == "handover" && m["debtor_number"] == debtor)
        .unwrap_or_else(|| panic!("no dossier for {debtor} in {outbox}"));
    assert_eq!(message["attachments"][0]["content_type"], "application/json", "{message}");
    let id = message["id"].as_i64().unwrap().to_string();
    let file = w.dir.join("dossier.json");
    let wrote = w.json(&["outbox", "attachment", &id, "--out", file.to_str().unwrap()], 0);
    assert_eq!(wrote["content_type"], "application/json");
    let d: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        (d["kind"].as_str(), d["version"].as_u64()),
        (Some("arflow.collection_dossier"), Some(1))
    );
    assert_eq!(
        (d["prepared_on"].as_str(), d["debtor"]["number"].as_str()),
        (Some(day), Some(debtor))
    );
    assert_eq!(d["creditor"]["name"], "Acme BV");
    let numbers: Vec<&Value> =
        d["items"].as_array().unwrap().iter().map(|i| &i["number"]).collect();
    let expected: Vec<&Value> = action["invoices"].as_array().unwrap().iter().collect();
    assert_eq!(numbers, expected, "{d}");
    // The totals add up to the cent, and each charge is what `charges` says for that day.
    let open: i64 =
        d["items"].as_array().unwrap().iter().map(|i| cents(i["open"].as_str().unwrap())).sum();
    let charged: i64 =
        d["charges"].as_array().unwrap().iter().map(|c| cents(c["amount"].as_str().unwrap())).sum();
    assert_eq!(cents(d["totals"]["principal_open"].as_str().unwrap()), open);
    assert_eq!(cents(d["totals"]["charges"].as_str().unwrap()), charged);
    assert_eq!(cents(d["totals"]["total_due"].as_str().unwrap()), open + charged);
    let kinds: Vec<&str> =
        d["charges"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"interest"), "months overdue: interest is claimable: {d}");
    for c in d["charges"].as_array().unwrap() {
        let invoice = c["invoice"].as_str().unwrap();
        let legal = w.json(&["charges", "--invoice", invoice, "--as-of", day], 0);
        let same =
            legal["charges"].as_array().unwrap().iter().find(|l| l["kind"] == c["kind"]).unwrap();
        assert_eq!(same["amount"], c["amount"], "{invoice}: {legal}");
        assert!(!c["explanation"]["article"].as_str().unwrap().is_empty());
    }
    // The letters sent before, oldest first, and a summary a person can read.
    let history: Vec<&str> =
        d["history"].as_array().unwrap().iter().map(|h| h["step"].as_str().unwrap()).collect();
    assert!(history.len() >= 3 && history[0] == "reminder", "{history:?}");
    let text = message["text_body"].as_str().unwrap();
    for n in &numbers {
        assert!(text.contains(n.as_str().unwrap()), "{text}");
    }
    assert!(text.contains(d["totals"]["total_due"].as_str().unwrap()), "{text}");
    // No such attachment: a clear not-found, nothing written.
    let missing = w.run(&["outbox", "attachment", &id, "--index", "3"]);
    assert_eq!(missing.status.code(), Some(5), "{}", String::from_utf8_lossy(&missing.stderr));
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
    assert!(
        reasons.iter().any(|r| r.contains("a promise to pay holds it until 2026-05-18")),
        "{preview}"
    );
}

#[test]
fn payment_plans_are_proposed_listed_shown_and_decided_from_the_command_line() {
    let w = World::sqlite();
    load_examples(&w);
    let today = ["--today", "2026-03-10"];
    let with_today = |args: &[&str]| -> Vec<String> {
        today.iter().chain(args).map(|a| (*a).to_owned()).collect()
    };
    let json = |args: &[&str], code: i32| {
        let all = with_today(args);
        w.json(&all.iter().map(String::as_str).collect::<Vec<_>>(), code)
    };
    let text = |args: &[&str], code: i32| {
        let all = with_today(args);
        w.ok(&all.iter().map(String::as_str).collect::<Vec<_>>(), code)
    };

    // D1004 owes 2026-0004 and 2026-0015, 605.00 each: two monthly instalments are within the
    // rules, so the plan starts at once and holds both invoices from dunning.
    let p = json(&["plan", "propose", "D1004", "--first-due", "2026-03-20", "--count", "2"], 0);
    assert_eq!(p["decision"], "auto_accept", "{p}");
    let plan = &p["plan"];
    let id = plan["id"].as_i64().unwrap().to_string();
    assert_eq!((&plan["state"], &plan["total"]["amount"]), (&"active".into(), &"1210.00".into()));
    let dues: Vec<&str> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["due"].as_str().unwrap())
        .collect();
    assert_eq!(dues, ["2026-03-20", "2026-04-20"]);
    assert!(plan["created_by"].as_str().unwrap().starts_with("cli:"), "{plan}");
    let preview = w.json(&["dunning", "preview", "--as-of", "2026-03-10"], 0);
    let acted: Vec<&str> = preview["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["debtor"].as_str().unwrap())
        .collect();
    assert!(!acted.contains(&"D1004"), "{preview}");
    let shown = text(&["plan", "show", &id], 0);
    assert!(shown.contains("D1004") && shown.contains("active"), "{shown}");
    assert!(shown.contains("2026-03-20") && shown.contains("605.00"), "{shown}");
    assert!(shown.contains("2026-0004 (open 605.00)"), "{shown}");
    // Only a proposed plan is decided on; a second live plan for the debtor is refused.
    assert!(text(&["plan", "accept", &id], 3).is_empty());
    text(&["plan", "propose", "D1004", "--first-due", "2026-03-20", "--count", "2"], 3);
    // A first instalment before today is refused; an unknown plan is not found.
    text(&["plan", "propose", "D1001", "--first-due", "2026-03-01", "--count", "2"], 3);
    text(&["plan", "show", "999"], 5);
    text(&["plan", "list", "--state", "paid"], 2);

    // D1009 owes 9680.00: above the automatic limit, so a person decides (with a task).
    let weekly = ["--first-due", "2026-03-17", "--count", "8", "--interval", "weekly"];
    let mut args = vec!["plan", "propose", "D1009"];
    args.extend(weekly);
    let q = json(&args, 0);
    assert_eq!(q["plan"]["state"], "proposed", "{q}");
    assert_eq!(q["plan"]["instalments"][1]["due"], "2026-03-24");
    let task = q["task_id"].as_i64().unwrap();
    let tasks = w.json(&["task", "list"], 0);
    assert!(
        tasks.as_array().unwrap().iter().any(|t| t["id"] == task && t["kind"] == "plan_review")
    );
    let second = q["plan"]["id"].as_i64().unwrap().to_string();
    let listed = json(&["plan", "list", "--state", "proposed"], 0);
    let ids: Vec<i64> =
        listed.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [q["plan"]["id"].as_i64().unwrap()]);
    let rejected = json(&["plan", "reject", &second], 0);
    assert_eq!(
        (&rejected["state"], &rejected["ended_on"]),
        (&"rejected".into(), &"2026-03-10".into())
    );
    let all = text(&["plan", "list"], 0);
    assert_eq!(all.lines().count(), 2, "{all}");
    assert!(all.contains("rejected") && all.contains("active"), "{all}");
    let of_d1009 = json(&["plan", "list", "--debtor", "D1009"], 0);
    assert_eq!(of_d1009.as_array().unwrap().len(), 1);
    assert_eq!(text(&["plan", "list", "--debtor", "D1001"], 0).trim(), "no payment plans");
    // A person may start the same plan beyond the limits: active at once, decided by them.
    let mut args = vec!["plan", "propose", "D1009", "--start"];
    args.extend(weekly);
    let started = json(&args, 0);
    assert_eq!((&started["plan"]["state"], &started["task_id"]), (&"active".into(), &Value::Null));
    assert!(started["plan"]["decided_by"].as_str().unwrap().starts_with("cli:"), "{started}");
    let shown = text(&["plan", "show", &started["plan"]["id"].as_i64().unwrap().to_string()], 0);
    assert!(shown.contains("active"), "{shown}");

    // Nothing is paid: 14 days after the first due date the plan breaks on the day's run, the
    // owner gets a task, and dunning of D1004 resumes.
    let run = w.json(&["dunning", "run", "--as-of", "2026-04-03"], 0);
    assert!(run["actions"].as_array().unwrap().iter().all(|a| a["debtor"] != "D1004"), "{run}");
    let run = w.json(&["dunning", "run", "--as-of", "2026-04-04"], 0);
    assert!(run["actions"].as_array().unwrap().iter().any(|a| a["debtor"] == "D1004"), "{run}");
    let broken = json(&["plan", "show", &id], 0);
    assert_eq!((&broken["state"], &broken["ended_on"]), (&"broken".into(), &"2026-04-04".into()));
    let tasks = w.json(&["task", "list"], 0);
    let kinds: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["debtor_number"] == "D1004")
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"plan_broken"), "{tasks}");
}

// ---------------------------------------------------------------- messages over real SMTP

/// The QR code of a PDF (it is on the page with the payment block), decoded by zbarimg (Debian
/// zbar-tools) from a 200 dpi rendering by pdftoppm (poppler-utils); scripts/test installs both.
fn qr_of_pdf(pdf: &str) -> String {
    let prefix = format!("{pdf}.page");
    let status = Command::new("pdftoppm")
        .args(["-r", "200", "-png", pdf, &prefix])
        .status()
        .expect("pdftoppm (poppler-utils) is needed");
    assert!(status.success());
    let dir = Path::new(pdf).parent().unwrap();
    let stem = Path::new(&prefix).file_name().unwrap().to_str().unwrap().to_owned();
    let mut pages: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.contains(&stem) && p.ends_with(".png"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm wrote no pages for {pdf}");
    // The payment block is on one page.
    let decoded: Vec<String> = pages.iter().filter_map(|page| qr_of_png(page)).collect();
    assert_eq!(decoded.len(), 1, "one page of {pdf} must carry the QR code: {decoded:?}");
    decoded[0].clone()
}

#[test]
fn dunning_messages_reach_a_real_smtp_server_with_the_pdf_letter_and_its_epc_qr_code() {
    let w = World::sqlite();
    load_examples(&w);
    w.ok(&["org", "update", "--iban", "NL91 ABNA 0417 1643 00", "--bic", "ABNANL2A"], 0);
    let from =
        format!("ar-{}-{}@acme.example", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let smtp = smtp_server("ARFLOW_TEST_SMTP");
    let sender = format!("Acme BV <{from}>");
    let run = |date: &str| {
        w.json(
            &[
                "dunning",
                "run",
                "--as-of",
                date,
                "--smtp",
                &smtp,
                "--smtp-security",
                "plain",
                "--smtp-from",
                &sender,
            ],
            0,
        )
    };
    let first = run("2026-03-10");
    let emails =
        first["actions"].as_array().unwrap().iter().filter(|a| a["messages"].is_array()).count();
    assert!(emails >= 6, "{first}");
    assert_eq!(first["delivery"]["sent"].as_u64().unwrap() as usize, emails, "{first}");
    let second = run("2026-03-20");
    let demand_run = run("2026-03-30");
    let demand = demand_run["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["step"] == "demand" && a["invoices"].as_array().unwrap().len() == 1)
        .unwrap_or_else(|| panic!("no single-invoice demand on 2026-03-30: {demand_run}"));
    let kinds: Vec<&str> =
        demand["charges"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"collection_costs") && kinds.contains(&"interest"), "{demand}");
    for c in demand["charges"].as_array().unwrap() {
        assert!(c["explanation"]["rule"].as_str().unwrap().starts_with("nl."), "{c}");
        assert!(!c["explanation"]["text"].as_str().unwrap().is_empty());
    }
    let invoice = demand["invoices"][0].as_str().unwrap().to_owned();
    assert!(
        demand["messages"][0]["attachments"][0].as_str().unwrap().ends_with(".pdf"),
        "{demand}"
    );

    // What the message claims is what `charges` says may be claimed that day.
    let charges = w.json(&["charges", "--invoice", &invoice, "--as-of", "2026-03-30"], 0);
    assert_eq!(charges["invoice"], invoice.as_str());
    for (a, b) in
        demand["charges"].as_array().unwrap().iter().zip(charges["charges"].as_array().unwrap())
    {
        assert_eq!((&a["kind"], &a["amount"]), (&b["kind"], &b["amount"]));
    }

    // Delivered while each run rendered: every message of the three runs exactly once.
    let mails = mails_from(&from, &w.dir);
    let delivered: u64 = [&first, &second, &demand_run]
        .iter()
        .map(|r| r["delivery"]["sent"].as_u64().unwrap())
        .sum();
    assert_eq!(mails.len() as u64, delivered, "{} mails", mails.len());
    let mut ids: Vec<&str> = mails.iter().map(|m| m["message-id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), mails.len(), "a message arrived twice");
    for r in [&first, &second, &demand_run] {
        let stored =
            r["actions"].as_array().unwrap().iter().filter(|a| a["messages"].is_array()).count();
        assert_eq!(r["delivery"]["sent"].as_u64().unwrap() as usize, stored, "{r}");
    }
    let letter = mails
        .iter()
        .find(|m| {
            m["text"].as_str().is_some_and(|t| t.contains(&invoice))
                && !m["attachments"].as_array().unwrap().is_empty()
        })
        .unwrap_or_else(|| panic!("no mail with the letter for {invoice}"));
    assert_eq!(letter["content_type"], "multipart/mixed");
    assert!(letter["message-id"].as_str().unwrap().ends_with("@acme.example>"), "{letter}");
    assert!(letter["to"].as_str().unwrap().contains('@'));
    assert!(letter["html"].as_str().unwrap().contains(&invoice));
    assert!(!letter["subject"].as_str().unwrap().is_empty());
    let pdf = &letter["attachments"][0];
    assert_eq!(pdf["type"], "application/pdf");
    let payload = qr_of_pdf(pdf["path"].as_str().unwrap());
    let lines: Vec<&str> = payload.split('\n').collect();
    assert_eq!(&lines[..4], &["BCD", "002", "1", "SCT"], "{payload}");
    assert_eq!(lines[4], "ABNANL2A");
    assert_eq!(lines[5], "Acme BV");
    assert_eq!(lines[6], "NL91ABNA0417164300");
    assert_eq!(
        lines[7],
        format!("EUR{}", charges["total_due"].as_str().unwrap()),
        "{payload}\n{charges}"
    );

    // Running the same date again sends nothing twice.
    let again = run("2026-03-30");
    assert_eq!(again["already_ran"], true);
    assert_eq!(again["delivery"]["sent"], 0);
    assert_eq!(mails_from(&from, &w.dir).len(), mails.len());
}

#[test]
fn a_permanent_smtp_refusal_fails_the_message_and_gives_the_owner_a_task() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    w.ok(&["org", "update", "--iban", "NL91ABNA0417164300"], 0);
    let debtors = w.write(
        "d.csv",
        "number,name,kind,country,language,email,street,postal_code,city\n\
         K1,Bouw BV,business,NL,nl,reject-me@bouw.example,Dorpsstraat 1,1234 AB,Utrecht\n\
         K2,Verf BV,business,NL,nl,ok@verf.example,Dorpsstraat 2,1234 AB,Utrecht\n",
    );
    w.ok(&["import", "debtors", &debtors], 0);
    let invoices = w.write(
        "i.csv",
        "number,debtor_number,issue_date,due_date,amount,currency,payment_reference,description\n\
         F1,K1,2026-02-01,2026-03-01,500.00,EUR,,Steigers\n\
         F2,K2,2026-02-01,2026-03-01,250.00,EUR,,Verf\n",
    );
    w.ok(&["import", "invoices", &invoices], 0);
    // The organisation's own reminder text is what goes out.
    let subject = w.write("subject.txt", "Even een herinnering voor {{ debtor.name }}\n");
    let text = w.write(
        "text.txt",
        "Beste {{ debtor.name }},\n\n{% include \"nl/_items.txt.j2\" %}\n\n{% include \"nl/_payment.txt.j2\" %}\n",
    );
    let bad = w.write("bad.txt", "{% if %}");
    w.ok(
        &[
            "template",
            "set",
            "reminder",
            "--language",
            "nl",
            "--subject-file",
            &bad,
            "--text-file",
            &text,
        ],
        3,
    );
    w.ok(
        &[
            "template",
            "set",
            "reminder",
            "--language",
            "nl",
            "--subject-file",
            &subject,
            "--text-file",
            &text,
        ],
        0,
    );
    let preview = w.json(&["template", "preview", "reminder", "--language", "nl"], 0);
    assert!(
        preview["subject"].as_str().unwrap().starts_with("Even een herinnering voor "),
        "{preview}"
    );
    // Without SMTP the messages wait in the outbox, complete.
    let run = w.json(&["dunning", "run", "--as-of", "2026-03-10"], 0);
    assert_eq!(run["actions"].as_array().unwrap().len(), 2, "{run}");
    let outbox = w.json(&["outbox", "list", "--status", "planned"], 0);
    assert_eq!(outbox.as_array().unwrap().len(), 2);
    for m in outbox.as_array().unwrap() {
        assert!(m["subject"].as_str().unwrap().starts_with("Even een herinnering voor "), "{m}");
        assert!(m["text_body"].as_str().unwrap().contains("NL91 ABNA 0417 1643 00"), "{m}");
        assert!(m["html_body"].as_str().unwrap().contains("<"), "{m}");
    }
    let smtp = smtp_server("ARFLOW_TEST_SMTP_REJECT");
    let args = [
        "outbox",
        "send",
        "--smtp",
        &smtp,
        "--smtp-security",
        "plain",
        "--smtp-from",
        "ar@acme.example",
    ];
    let sent = w.json(&args, 1);
    assert_eq!((sent["sent"].as_u64(), sent["failed"].as_u64()), (Some(1), Some(1)), "{sent}");
    assert!(sent["errors"][0]["error"].as_str().unwrap().contains("550"), "{sent}");
    let failed = w.json(&["outbox", "list", "--status", "failed"], 0);
    assert_eq!(failed[0]["recipient"], "reject-me@bouw.example");
    let tasks = w.json(&["task", "list"], 0);
    let bounce =
        tasks.as_array().unwrap().iter().find(|t| t["kind"] == "bounce").expect("a bounce task");
    assert_eq!(bounce["debtor_number"], "K1");
    // Nothing is sent twice: the next send has nothing to do.
    let next = w.json(&args, 0);
    assert_eq!((next["sent"].as_u64(), next["failed"].as_u64()), (Some(0), Some(0)));
}

#[test]
fn serve_runs_dunning_daily_by_itself_and_delivers_the_outbox() {
    let w = World::sqlite();
    load_examples(&w);
    w.ok(&["org", "update", "--iban", "NL91ABNA0417164300", "--bic", "ABNANL2A"], 0);
    let from = format!(
        "sched-{}-{}@acme.example",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let smtp = smtp_server("ARFLOW_TEST_SMTP");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args([
            "serve",
            "--addr",
            &addr,
            "--run-hour",
            "0",
            "--smtp",
            &smtp,
            "--smtp-security",
            "plain",
            "--smtp-from",
            &from,
        ])
        .env("ARFLOW_DB", &w.db)
        .env("ARFLOW_LOG", "warn")
        .current_dir(&w.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The run of today (every example invoice is long overdue) happens without being asked,
    // and its e-mails arrive.
    let mut mails = Vec::new();
    for _ in 0..600 {
        mails = mails_from(&from, &w.dir);
        if mails.len() >= 6 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert_eq!(server.wait().unwrap().code(), Some(0));
    assert!(mails.len() >= 6, "only {} mails arrived", mails.len());
    // Every message marked sent arrived, once (a SIGTERM lets the delivery finish first).
    let sent = w.json(&["outbox", "list", "--status", "sent", "--limit", "1000"], 0);
    let mails = mails_from(&from, &w.dir);
    assert_eq!(sent.as_array().unwrap().len(), mails.len());
    let ids: std::collections::BTreeSet<&str> =
        mails.iter().map(|m| m["message-id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), mails.len(), "a Message-ID arrived twice");
    // Today's run is done: running it again from the CLI is a no-op.
    let again = w.json(&["dunning", "run"], 0);
    assert_eq!(again["already_ran"], true, "{again}");
}

/// The dunning story on PostgreSQL: runs, messages with their PDF letters in the outbox, charges
/// equal to what `charges` says, a second run of a date a no-op.
#[test]
fn postgres_dunning_runs_messages_and_charges_work_the_same() {
    let w = World::postgres();
    load_examples(&w);
    w.ok(&["org", "update", "--iban", "NL91ABNA0417164300", "--bic", "ABNANL2A"], 0);
    let first = w.json(&["dunning", "run", "--as-of", "2026-03-10"], 0);
    assert_eq!(first["actions"].as_array().unwrap().len(), 7, "{first}");
    w.json(&["dunning", "run", "--as-of", "2026-03-20"], 0);
    let run = w.json(&["dunning", "run", "--as-of", "2026-03-30"], 0);
    let demand = run["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["step"] == "demand")
        .unwrap_or_else(|| panic!("no demand: {run}"));
    let invoice = demand["invoices"][0].as_str().unwrap();
    let charges = w.json(&["charges", "--invoice", invoice, "--as-of", "2026-03-30"], 0);
    let interest: Vec<&Value> = demand["charges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["invoice"] == invoice && c["kind"] == "interest")
        .collect();
    let expected: Vec<&Value> =
        charges["charges"].as_array().unwrap().iter().filter(|c| c["kind"] == "interest").collect();
    assert_eq!(interest.len(), expected.len(), "{demand}\n{charges}");
    for (a, b) in interest.iter().zip(&expected) {
        assert_eq!(a["amount"], b["amount"]);
    }
    let outbox = w.json(&["outbox", "list", "--status", "planned", "--limit", "500"], 0);
    let letter = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["action_id"] == demand["action_id"])
        .unwrap_or_else(|| panic!("the demand's message is not in the outbox: {outbox}"));
    assert!(letter["attachments"][0]["file_name"].as_str().unwrap().ends_with(".pdf"), "{letter}");
    let again = w.json(&["dunning", "run", "--as-of", "2026-03-30"], 0);
    assert_eq!(again["already_ran"], true);
}

/// `bench import` imports the same generated file into a fresh database per run and then again
/// into the same one: every row of the second import is unchanged, and the figure is the median
/// run. Several runs need databases of their own, so not with a --db of the caller's.
#[test]
fn bench_import_reports_the_median_of_runs_each_on_a_fresh_database() {
    let w = World::sqlite();
    let out = w.json(
        &["--db", "sqlite://arflow.db", "bench", "import", "--rows", "300", "--runs", "3"],
        0,
    );
    assert_eq!((out["rows"].as_u64(), out["runs"].as_u64()), (Some(300), Some(3)), "{out}");
    assert_eq!(out["reimport_unchanged"].as_u64(), Some(300), "{out}");
    let in_order: Vec<f64> =
        out["all_seconds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(in_order.len(), 3, "{out}");
    assert_eq!(out["first_seconds"].as_f64(), Some(in_order[0]), "{out}");
    let mut all = in_order.clone();
    all.sort_by(f64::total_cmp);
    assert_eq!(out["seconds"].as_f64(), Some(all[1]), "the median: {out}");
    assert_eq!(
        (out["min_seconds"].as_f64(), out["max_seconds"].as_f64()),
        (Some(all[0]), Some(all[2]))
    );
    assert!(!w.dir.join("arflow.db").exists(), "no run wrote to ./arflow.db");
    let own = w.run(&["bench", "import", "--rows", "300", "--runs", "2"]);
    assert_eq!(own.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("--runs above 1 needs the default database")
    );
}

/// The reference of an exported invoice, by number.
fn exported_reference(w: &World, number: &str) -> String {
    let out = w.dir.join(format!("export-{number}.csv"));
    w.ok(&["export", "invoices", out.to_str().unwrap()], 0);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "payment_reference").unwrap();
    let row = lines.find(|l| l.starts_with(&format!("{number},"))).unwrap();
    row.split(',').nth(col).unwrap().to_owned()
}

/// A row without a reference gets the organisation's next one, unless another row of the same
/// file brings exactly that reference itself: then it gets the one after.
#[test]
fn a_generated_reference_skips_one_that_another_row_of_the_file_brings() {
    let w = World::sqlite();
    w.ok(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"], 0);
    let d = w.json(&["import", "debtors", &World::example("debtors.csv")], 0);
    assert_eq!(d["created"], 10);
    let header = "number,debtor_number,issue_date,due_date,amount,currency,payment_reference\n";
    let first =
        w.write("first.csv", &format!("{header}G1,D1001,2026-03-01,2026-03-31,10.00,EUR,\n"));
    assert_eq!(w.json(&["import", "invoices", &first], 0)["references_generated"], 1);
    let g1 = exported_reference(&w, "G1");
    // The Dutch scheme: a check digit, then the 15-digit counter.
    let next_base: u64 = g1[1..].parse::<u64>().unwrap() + 1;
    let next =
        arflow_core::reference::generate(arflow_core::reference::ReferenceScheme::Nl, next_base)
            .unwrap()
            .normalized;
    let second = w.write(
        "second.csv",
        &format!(
            "{header}G2,D1001,2026-03-02,2026-04-01,20.00,EUR,\n\
             G3,D1001,2026-03-02,2026-04-01,30.00,EUR,{next}\n"
        ),
    );
    let r = w.json(&["import", "invoices", &second], 0);
    assert_eq!(
        (r["created"].as_u64(), r["references_generated"].as_u64()),
        (Some(2), Some(1)),
        "{r}"
    );
    assert_eq!(exported_reference(&w, "G3"), next);
    let g2 = exported_reference(&w, "G2");
    assert_ne!(g2, next, "G2 would share G3's reference");
    assert_ne!(g2, g1);
}
