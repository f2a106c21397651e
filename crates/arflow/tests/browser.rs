//! The staff web application in a real headless Chromium: `arflow serve --demo` on a fresh
//! database, driven by `e2e/staff.mjs` (playwright-core). `scripts/test` installs Chromium,
//! Node.js and playwright-core; without them this test fails, it is never skipped.
//! Screenshots of each main page land in `artifacts/browser/` (not committed).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../web/tests/support/mollie_fake.rs"]
mod mollie_fake;
mod support;

struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn arflow(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(args)
        .env("ARFLOW_DB", db)
        .env("ARFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "arflow {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_person_signs_in_finds_a_debtor_pauses_accepts_a_match_and_completes_a_task_in_chromium() {
    let chromium = std::env::var("ARFLOW_TEST_CHROMIUM").expect(
        "ARFLOW_TEST_CHROMIUM is not set: the browser tests need Chromium (scripts/test installs it)",
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("e2e/staff.mjs");
    assert!(
        root.join("e2e/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in e2e/ (scripts/test installs it)"
    );
    let dir = std::env::temp_dir().join(format!("arflow-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("arflow.db").display());
    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{addr}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["serve", "--demo", "--no-scheduler", "--addr", &addr])
        .env("ARFLOW_DB", &db)
        .env("ARFLOW_LOG", "warn")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server { child, dir: dir.clone() };

    // The printed sign-in, then a healthy server. The server's standard error is read to its
    // end on a thread of its own: a pipe nobody reads any more would fail the server's next
    // write (and fill up with its log), and what it said is shown when it does not answer.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log_writer = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            log_writer.lock().unwrap().push_str(&format!("{line}\n"));
            let _ = lines_tx.send(line);
        }
    });
    let mut login = None;
    let mut demo_slug = String::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(120)) {
        if let Some(rest) = line.split("demo organisation '").nth(1) {
            demo_slug = rest.split('\'').next().unwrap_or("").to_owned();
        }
        if let Some(rest) = line.trim().strip_prefix("sign in:") {
            let parts: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
            login = Some((parts[1].clone(), parts[3].clone()));
        }
        if line.trim().starts_with("token:") {
            break;
        }
    }
    let (email, password) = login.unwrap_or_else(|| {
        panic!("serve --demo prints a sign-in; it said:\n{}", log.lock().unwrap())
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the server never listened; it said:\n{}",
            log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!demo_slug.is_empty(), "serve --demo names its organisation");
    // A payment the matcher is not sure about: only the payer's name points to a debtor.
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let debtors = write(
        "d.csv",
        "number,name,kind,country,language\nE2E1,Zeldzaam Klantje BV,business,NL,nl\n",
    );
    let invoices = write(
        "i.csv",
        "number,debtor_number,issue_date,due_date,amount\nE2E-F1,E2E1,2026-01-02,2026-02-01,123.45\n",
    );
    arflow(&db, &["--org", &demo_slug, "import", "debtors", &debtors]);
    arflow(&db, &["--org", &demo_slug, "import", "invoices", &invoices]);
    let statement = write(
        "s.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>E2E</MsgId><CreDtTm>2026-03-01T10:00:00</CreDtTm></GrpHdr><Stmt><Id>E2E-S1</Id>\
         <CreDtTm>2026-03-01T10:00:00</CreDtTm><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Ntry><Amt Ccy=\"EUR\">123.45</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-01</Dt></BookgDt>\
         <AcctSvcrRef>E2E-R1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Zeldzaam Klantje B.V.</Nm></Dbtr>\
         <DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>betaling</Ustrd></RmtInf>\
         </TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>",
    );
    arflow(&db, &["--org", &demo_slug, "import", "statement", &statement]);
    // A second organisation the demo person works for, as an accountant.
    arflow(&db, &["org", "create", "--slug", "tweede", "--name", "Tweede BV", "--country", "BE"]);
    arflow(&db, &["--org", "tweede", "user", "grant", "--email", &email, "--role", "accountant"]);
    let debtors = write(
        "d2.csv",
        "number,name,kind,country,language,email\nT1,Client Tweede SA,business,BE,fr,\n\
         T2,Client Approuvé SRL,business,BE,fr,compta@approuve.be\n",
    );
    arflow(&db, &["--org", "tweede", "org", "update", "--iban", "BE68539007547034"]);
    arflow(&db, &["--org", "tweede", "import", "debtors", &debtors]);
    // T1's reminder could not be sent (no address): a task. The run is yesterday's, so that the
    // browser can run today's, in which T2's first reminder waits for approval.
    let invoices = write(
        "i2.csv",
        "number,debtor_number,issue_date,due_date,amount\nT-F1,T1,2026-01-02,2026-02-01,200.00\n",
    );
    arflow(&db, &["--org", "tweede", "import", "invoices", &invoices]);
    let now = jiff::Timestamp::now().as_microsecond();
    let yesterday = arflow_app::today_in(now, "Europe/Brussels").yesterday().unwrap().to_string();
    arflow(&db, &["--org", "tweede", "dunning", "run", "--as-of", &yesterday]);
    let invoices = write(
        "i3.csv",
        "number,debtor_number,issue_date,due_date,amount\nT-F2,T2,2026-01-05,2026-02-04,80.00\n",
    );
    arflow(&db, &["--org", "tweede", "import", "invoices", &invoices]);

    let artifacts = root.join("artifacts/browser");
    let out = Command::new("node")
        .arg(&script)
        .env("ARFLOW_URL", &url)
        .env("ARFLOW_EMAIL", &email)
        .env("ARFLOW_PASSWORD", &password)
        .env("ARFLOW_SECOND_ORG", "tweede|Tweede BV")
        .env("ARFLOW_ARTIFACTS", &artifacts)
        .env("ARFLOW_TEST_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .output()
        .expect("node is needed for the browser tests (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "e2e/staff.mjs failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("staff pages: ok"), "{stdout}");
    for page in [
        "login",
        "dashboard",
        "debtors",
        "debtor",
        "matches",
        "tasks",
        "template",
        "policy",
        "dunning",
        "outbox",
        "message",
        "invoices",
    ] {
        assert!(artifacts.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }
    drop(server);
}

/// The debtor's side, end to end: a run sends a reminder through the loopback SMTP server; the
/// link is read from the e-mail as received and opened in headless Chromium (`e2e/portal.mjs`),
/// which checks the item, the total and the four languages, answers (a question, a promise, a
/// dispute with a photo, "paid already" with the bank's PDF) and sees a forged link refused. The
/// QR code on the page is decoded from its screenshot. The next run sends the confirmations and
/// holds the debtor's invoice; the staff's task list has one task per answer.
#[test]
fn a_debtor_opens_the_reminders_link_and_answers_in_chromium() {
    let chromium = std::env::var("ARFLOW_TEST_CHROMIUM").expect(
        "ARFLOW_TEST_CHROMIUM is not set: the browser tests need Chromium (scripts/test installs it)",
    );
    let smtp = support::smtp_server("ARFLOW_TEST_SMTP");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("arflow-portal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("arflow.db").display());
    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{addr}");
    arflow(&db, &["org", "create", "--slug", "portaal", "--name", "Portaal BV", "--country", "NL"]);
    arflow(
        &db,
        &["--org", "portaal", "org", "update", "--iban", "NL91ABNA0417164300", "--bic", "ABNANL2A"],
    );
    let debtor_mail = format!("portal-{}@debtor.example", std::process::id());
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let debtors = write(
        "d.csv",
        &format!(
            "number,name,kind,country,language,email\nP1,Bakkerij Portaal BV,business,NL,nl,{debtor_mail}\n"
        ),
    );
    let invoices = write(
        "i.csv",
        "number,debtor_number,issue_date,due_date,amount\nE2E-P1,P1,2026-01-02,2026-02-01,150.00\n",
    );
    arflow(&db, &["--org", "portaal", "import", "debtors", &debtors]);
    arflow(&db, &["--org", "portaal", "import", "invoices", &invoices]);
    // The payment provider: a local fake of Mollie's API, on a runtime of its own.
    arflow_app::payments::install_tls();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mollie_api, mollie) = runtime.block_on(mollie_fake::start());
    let mut child = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["serve", "--no-scheduler", "--addr", &addr, "--mollie-api", &mollie_api])
        .env("ARFLOW_MOLLIE_KEY", mollie_fake::KEY)
        .env("ARFLOW_DB", &db)
        .env("ARFLOW_LOG", "warn,arflow=info")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for this server's own word that it listens: something else on the port (the other
    // test's server, which may have been handed the same free port) must not pass for it. Its
    // standard error is read to the end on a thread of its own, so the pipe never fills.
    let stderr = child.stderr.take().unwrap();
    let server = Server { child, dir: dir.clone() };
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut said = String::new();
    loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server on {addr} never said it was serving:\n{said}"));
        if line.contains("serving") && line.contains(&addr) {
            break;
        }
        said.push_str(&line);
        said.push('\n');
    }
    // Today's run, its reminder sent through the loopback SMTP server with the server's address
    // in the link.
    let from = format!("Portaal BV <ar-portal-{}@portaal.example>", std::process::id());
    let run = |extra: &[&str]| {
        let mut args = vec!["--org", "portaal", "--public-url", &url, "dunning", "run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "--smtp",
            &smtp,
            "--smtp-security",
            "plain",
            "--smtp-from",
            &from,
        ]);
        arflow(&db, &args);
    };
    run(&[]);
    let mails = support::mails_where("To", &debtor_mail, &dir);
    assert_eq!(mails.len(), 1, "one reminder to the debtor: {mails:?}");
    let text = mails[0]["text"].as_str().unwrap();
    let at =
        text.find(&format!("{url}/p/")).unwrap_or_else(|| panic!("no portal link in:\n{text}"));
    let link: String = text[at..].chars().take(url.len() + 3 + 64).collect();
    assert!(link[url.len() + 3..].chars().all(|c| c.is_ascii_hexdigit()), "{link}");

    let artifacts = root.join("artifacts/browser");
    let out = Command::new("node")
        .arg(root.join("e2e/portal.mjs"))
        .env("ARFLOW_PORTAL_LINK", &link)
        .env("ARFLOW_PORTAL_INVOICE", "E2E-P1")
        .env("ARFLOW_PORTAL_TOTAL", "150.00")
        .env("ARFLOW_ARTIFACTS", &artifacts)
        .env("ARFLOW_TEST_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .output()
        .expect("node is needed for the browser tests (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "e2e/portal.mjs failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("portal: ok"), "{stdout}");
    // The QR code as the browser drew it, read by zbarimg: an EPC credit transfer of the total.
    let qr = support::qr_of_png(artifacts.join("portal-qr.png").to_str().unwrap())
        .expect("zbarimg reads the QR code on the page");
    let lines: Vec<&str> = qr.lines().collect();
    assert_eq!(&lines[..4], &["BCD", "002", "1", "SCT"], "{qr}");
    assert_eq!(
        (lines[4], lines[6], lines[7]),
        ("ABNANL2A", "NL91ABNA0417164300", "EUR150.00"),
        "{qr}"
    );
    assert!(qr.contains("P1 E2E-P1"), "{qr}");
    // The plan's QR code pays the first instalment with its own reference.
    let plan_qr = support::qr_of_png(artifacts.join("portal-plan-qr.png").to_str().unwrap())
        .expect("zbarimg reads the plan's QR code");
    let plan_lines: Vec<&str> = plan_qr.lines().collect();
    assert_eq!(
        (plan_lines[0], plan_lines[6], plan_lines[7]),
        ("BCD", "NL91ABNA0417164300", "EUR50.00"),
        "{plan_qr}"
    );

    // Paid online through the provider's checkout: the provider called the webhook once, and
    // the ledger has the payment.
    let calls = mollie.lock().unwrap().webhook_calls.clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].1, 200);
    let exported = dir.join("payments.csv").display().to_string();
    arflow(&db, &["--org", "portaal", "export", "payments", &exported]);
    let payments = std::fs::read_to_string(&exported).unwrap();
    assert!(payments.contains("150.00") && payments.contains(&calls[0].0), "{payments}");
    // One task per answer for the staff.
    let tasks = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["--org", "portaal", "--json", "task", "list"])
        .env("ARFLOW_DB", &db)
        .output()
        .unwrap();
    let tasks = String::from_utf8_lossy(&tasks.stdout);
    for kind in
        ["portal_question", "portal_promise", "portal_dispute", "portal_paid", "portal_plan"]
    {
        assert!(tasks.contains(kind), "{kind} in {tasks}");
    }
    // The next run a week later (the plan's first due date): it sends the four confirmations
    // and the plan's; the invoice is paid, so the plan is completed and neither a reminder nor an
    // instalment e-mail goes out.
    let week = jiff::Timestamp::now().as_microsecond() + 7 * 86_400 * 1_000_000;
    let later = arflow_app::today_in(week, "Europe/Amsterdam").to_string();
    run(&["--as-of", &later]);
    let mails = support::mails_where("To", &debtor_mail, &dir);
    let subjects: Vec<&str> = mails.iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(
        subjects.iter().filter(|s| **s == "Uw bericht aan Portaal BV is ontvangen").count(),
        4,
        "{subjects:?}"
    );
    assert!(subjects.contains(&"Uw betalingsregeling met Portaal BV"), "{subjects:?}");
    assert_eq!(mails.len(), 6, "the reminder and five confirmations, nothing else: {subjects:?}");
    assert!(
        artifacts.join("portal.png").is_file() && artifacts.join("portal-answered.png").is_file()
    );
    drop(server);
}
