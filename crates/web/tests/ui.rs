//! The staff web application over real HTTP: sign-in with its CSRF cookie, throttling, the
//! dashboard's figures, switching organisation only to one's own, signing out, and every page
//! refusing a browser without a session. (Browser tests in Chromium come with the screens.)

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arflow_app::users::Role;
use arflow_app::{Actor, App, SystemClock};
use arflow_core::party::OrgCountry;
use arflow_store::Store;

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

struct Server {
    base: String,
    app: App,
    client: reqwest::Client,
    db_path: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    async fn start() -> Server {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let db_path = std::env::temp_dir().join(format!("arflow-ui-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&db_path);
        let store = Store::connect(&format!("sqlite://{}", db_path.display())).await.unwrap();
        store.migrate(0).await.unwrap();
        let app = App::new(store, Arc::new(SystemClock));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(arflow_web::serve(app.clone(), listener, async move {
            let _ = stopped.await;
        }));
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Server { base: format!("http://{addr}"), app, client, db_path, stop: Some(stop) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db_path.display()));
        }
    }
}

/// One browser: its cookies, kept by hand from `Set-Cookie`.
struct Browser<'a> {
    s: &'a Server,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    set_cookie: Vec<String>,
    html: String,
}

impl<'a> Browser<'a> {
    fn new(s: &'a Server) -> Browser<'a> {
        Browser { s, cookies: HashMap::new() }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let req = if cookie.is_empty() { req } else { req.header("cookie", cookie.join("; ")) };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let set_cookie: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookie {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let html = r.text().await.unwrap();
        Page { status, location, set_cookie, html }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req =
            self.s.client.get(format!("{}{path}", self.s.base)).header("accept-language", "nl");
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self
            .s
            .client
            .post(format!("{}{path}", self.s.base))
            .header("accept-language", "nl")
            .form(form);
        self.send(req).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = hidden(&form.html, "csrf");
        self.post("/login", &[("email", email), ("password", password), ("csrf", &csrf)]).await
    }
}

/// The value of the first hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn seeded() -> Server {
    let s = Server::start().await;
    let actor = Actor("test".into());
    s.app.create_organisation("acme", "Acme BV", OrgCountry::Nl, &actor).await.unwrap();
    s.app.create_organisation("bravo", "Bravo NV", OrgCountry::Be, &actor).await.unwrap();
    s.app.create_organisation("other", "Other BV", OrgCountry::Nl, &actor).await.unwrap();
    s.app
        .create_user(
            Some("acme"),
            "Anna@Example.nl",
            "Anna",
            "correct horse battery",
            "nl",
            Role::Admin,
            &actor,
        )
        .await
        .unwrap();
    s.app.grant_role(Some("bravo"), "anna@example.nl", Role::Accountant, &actor).await.unwrap();
    s
}

#[tokio::test]
async fn a_person_signs_in_sees_the_dashboard_switches_organisation_and_signs_out() {
    let s = seeded().await;
    // Acme has one open invoice of 121.00, overdue.
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language\nK1,Klant BV,business,NL,nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices =
        b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\n";
    let r = s
        .app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    assert!(!r.rejected(), "{:?}", r.errors);

    let mut b = Browser::new(&s);
    // Without a session every page leads to the sign-in form.
    let home = b.get("/").await;
    assert_eq!((home.status, home.location.as_deref()), (303, Some("/login")));
    let form = b.get("/login").await;
    assert_eq!(form.status, 200);
    assert!(
        form.html.contains("<html lang=\"nl\"") && form.html.contains("Inloggen"),
        "{}",
        form.html
    );
    let cookie = form.set_cookie.iter().find(|c| c.starts_with("arflow_login_csrf=")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    // A wrong password: the same form again, with a message, and no session.
    let wrong = b.sign_in("anna@example.nl", "wrong password!").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("horen niet bij elkaar"), "{}", wrong.html);
    assert!(!b.cookies.contains_key("arflow_session"));

    // Right: a session cookie and the dashboard with Acme's figures, in Dutch.
    let ok = b.sign_in("ANNA@example.nl", "correct horse battery").await;
    assert_eq!((ok.status, ok.location.as_deref()), (303, Some("/")), "{}", ok.html);
    let session = ok.set_cookie.iter().find(|c| c.starts_with("arflow_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    let dash = b.get("/").await;
    assert_eq!(dash.status, 200, "{}", dash.html);
    assert!(
        dash.html.contains("<span id=\"current-organisation\">Acme BV</span>"),
        "{}",
        dash.html
    );
    assert!(
        dash.html.contains("<strong id=\"outstanding\" data-amount=\"121.00\">EUR 121,00</strong>"),
        "{}",
        dash.html
    );
    assert!(
        dash.html.contains("<strong id=\"overdue\" data-amount=\"121.00\">EUR 121,00</strong>"),
        "{}",
        dash.html
    );
    assert!(dash.html.contains("Anna (beheerder)"), "{}", dash.html);
    // Only her own organisations are offered.
    assert!(dash.html.contains("value=\"bravo\"") && !dash.html.contains("value=\"other\""));
    let csrf = hidden(&dash.html, "csrf");

    // Switching needs the session's CSRF token, and only to one's own organisations.
    let forged = b.post("/organisation", &[("csrf", "0000"), ("organisation", "bravo")]).await;
    assert_eq!(forged.status, 403);
    let foreign = b.post("/organisation", &[("csrf", &csrf), ("organisation", "other")]).await;
    assert_eq!(foreign.status, 403);
    let switched = b.post("/organisation", &[("csrf", &csrf), ("organisation", "bravo")]).await;
    assert_eq!((switched.status, switched.location.as_deref()), (303, Some("/")));
    let dash = b.get("/").await;
    assert!(
        dash.html.contains("<span id=\"current-organisation\">Bravo NV</span>"),
        "{}",
        dash.html
    );
    assert!(dash.html.contains("Anna (accountant)"), "{}", dash.html);
    assert!(
        dash.html.contains("<strong id=\"outstanding\" data-amount=\"0.00\">EUR 0,00</strong>"),
        "{}",
        dash.html
    );

    // Signing out needs the token too; afterwards the old cookie opens nothing.
    let old = b.cookies.get("arflow_session").cloned().unwrap();
    assert_eq!(b.post("/logout", &[("csrf", "nope")]).await.status, 403);
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
    assert!(!b.cookies.contains_key("arflow_session"));
    b.cookies.insert("arflow_session".into(), old);
    assert_eq!(b.get("/").await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn sign_in_without_the_forms_token_is_refused() {
    let s = seeded().await;
    let mut b = Browser::new(&s);
    // A post from another site has no CSRF cookie of ours.
    let r = b
        .post(
            "/login",
            &[("email", "anna@example.nl"), ("password", "correct horse battery"), ("csrf", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.html.contains("verlopen"), "{}", r.html);
    assert!(!b.cookies.contains_key("arflow_session"));
    // A forged session cookie opens nothing either.
    b.cookies.insert("arflow_session".into(), "f".repeat(64));
    assert_eq!(b.get("/").await.location.as_deref(), Some("/login"));
    for (method, path) in arflow_web::ui_routes() {
        if path == "/login" {
            continue;
        }
        let r = if method == axum::http::Method::GET {
            b.get(path).await
        } else {
            b.post(path, &[("csrf", "x"), ("organisation", "acme")]).await
        };
        assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")), "{method} {path}");
    }
}

#[tokio::test]
async fn five_wrong_passwords_stop_sign_in_for_that_address_for_a_while() {
    let s = seeded().await;
    let mut b = Browser::new(&s);
    for _ in 0..5 {
        assert_eq!(b.sign_in("anna@example.nl", "wrong password!").await.status, 401);
    }
    let r = b.sign_in("anna@example.nl", "correct horse battery").await;
    assert_eq!(r.status, 429, "even the right password waits");
    assert!(r.html.contains("15 minuten"), "{}", r.html);
    assert!(!b.cookies.contains_key("arflow_session"));
    // An unknown address is answered like a wrong password.
    assert_eq!(b.sign_in("nobody@example.nl", "whatever it is").await.status, 401);
}

#[tokio::test]
async fn a_debtor_is_found_paused_with_a_reason_and_resumed_and_sales_may_only_look() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language,email\nK1,Klant BV,business,NL,nl,boekhouding@klant.nl\nK 2/B,Bakkerij <Brood>,business,NL,nl,\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices =
        b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    // Bravo has a debtor K1 of its own, which Acme's pages never show.
    let other = b"number,name,kind,country,language\nK1,Bravo's klant,business,BE,fr\n";
    s.app
        .import_debtors_csv(Some("bravo"), "d.csv", other, Default::default(), &actor)
        .await
        .unwrap();
    s.app
        .create_user(
            Some("acme"),
            "sam@example.nl",
            "Sam",
            "sales person 123",
            "en",
            Role::Sales,
            &actor,
        )
        .await
        .unwrap();

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let list = b.get("/debtors?q=bakkerij").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("<a href=\"/debtors/K%202%2FB\">K 2/B</a>"), "{}", list.html);
    assert!(
        list.html.contains("Bakkerij &lt;Brood&gt;") && !list.html.contains("Klant BV"),
        "escaped, filtered"
    );
    let overdue = b.get("/debtors?overdue=on").await;
    assert!(
        overdue.html.contains("Klant BV") && !overdue.html.contains("Bakkerij"),
        "{}",
        overdue.html
    );
    assert!(b.get("/debtors?paused=on").await.html.contains("id=\"no-debtors\""));

    let page = b.get("/debtors/K1").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<strong id=\"debtor-open\">EUR 121,00</strong>"), "{}", page.html);
    assert!(
        page.html.contains("<a href=\"/invoices/F1\">F1</a>")
            && page.html.contains("boekhouding@klant.nl")
    );
    // The invoice: open, its reference, and what may be claimed today with the legal basis.
    let invoice = b.get("/invoices/F1").await;
    assert_eq!(invoice.status, 200, "{}", invoice.html);
    assert!(invoice.html.contains("<dd id=\"invoice-open\">EUR 121,00</dd>"), "{}", invoice.html);
    assert!(
        invoice.html.contains("id=\"charges\"") && invoice.html.contains("BW"),
        "{}",
        invoice.html
    );
    assert_eq!(b.get("/invoices/F1/pdf").await.status, 404, "no PDF was uploaded");
    assert_eq!(b.get("/invoices/F9").await.status, 404);
    assert!(!page.html.contains("Bravo's klant"));
    let csrf = hidden(&page.html, "csrf");
    // A pause needs a reason; an end in the past is refused; both say why, nothing changes.
    let r = b.post("/debtors/K1/pause", &[("csrf", &csrf), ("reason", " "), ("until", "")]).await;
    assert_eq!(r.status, 422, "{}", r.html);
    let r = b
        .post(
            "/debtors/K1/pause",
            &[("csrf", &csrf), ("reason", "dispute"), ("until", "2020-01-01")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);
    let r = b
        .post("/debtors/K1/pause", &[("csrf", "forged"), ("reason", "dispute"), ("until", "")])
        .await;
    assert_eq!(r.status, 403);
    assert!(!b.get("/debtors/K1").await.html.contains("id=\"pause-state\""));
    let r = b
        .post(
            "/debtors/K1/pause",
            &[("csrf", &csrf), ("reason", "Disputes invoice F1"), ("until", "")],
        )
        .await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/debtors/K1")));
    let page = b.get("/debtors/K1").await;
    assert!(page.html.contains("Aanmanen gepauzeerd: Disputes invoice F1"), "{}", page.html);
    assert!(
        page.html.contains("debtor.pause (user:anna@example.nl)"),
        "the timeline shows who: {}",
        page.html
    );
    assert!(b.get("/debtors?paused=on").await.html.contains("Klant BV"));
    let debtor = s.app.debtor_view(arflow_core::id::OrganisationId(1), "K1").await.unwrap();
    assert_eq!(debtor.debtor.debtor.pause.unwrap().reason, "Disputes invoice F1");

    // Sales reads the page but may not resume; the pause stays.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    let page = sam.get("/debtors/K1").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<html lang=\"en\"") && page.html.contains("Dunning paused"));
    let sam_csrf = hidden(&page.html, "csrf");
    assert_eq!(sam.post("/debtors/K1/resume", &[("csrf", &sam_csrf)]).await.status, 403);
    assert!(b.get("/debtors/K1").await.html.contains("id=\"pause-state\""));

    let r = b.post("/debtors/K1/resume", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert!(!b.get("/debtors/K1").await.html.contains("id=\"pause-state\""));
    // Unknown (or another organisation's) debtors are not found.
    assert_eq!(b.get("/debtors/K9").await.status, 404);
    assert_eq!(b.post("/debtors/K9/resume", &[("csrf", &csrf)]).await.status, 404);
}

/// A camt.053 statement with one credit: (amount, payer name, remittance).
fn camt(amount: &str, payer: &str, text: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-01T10:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>\
         <CreDtTm>2026-03-01T10:00:00</CreDtTm><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
         <BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>R-1</AcctSvcrRef>\
         <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>\
         <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_suggested_match_is_accepted_and_a_task_completed_from_the_queues() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language\nK1,Klant BV,business,NL,nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\nF2,K1,2026-01-05,2026-02-04,50.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    s.app
        .create_user(
            Some("acme"),
            "sam@example.nl",
            "Sam",
            "sales person 123",
            "en",
            Role::Sales,
            &actor,
        )
        .await
        .unwrap();
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    // The payer's name only: a suggestion, not an allocation.
    let report = s
        .app
        .import_statement_file(
            &org,
            "m.xml",
            &camt("121.00", "Klant B.V.", "betaling"),
            None,
            &Default::default(),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(report.to_review, 1, "{report:?}");

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let queue = b.get("/matches").await;
    assert_eq!(queue.status, 200, "{}", queue.html);
    assert!(
        queue.html.contains("Klant B.V.") && queue.html.contains("F1 (121,00)"),
        "{}",
        queue.html
    );
    let csrf = hidden(&queue.html, "csrf");
    let id = {
        let start = queue.html.find("action=\"/matches/").unwrap() + "action=\"/matches/".len();
        queue.html[start..].split('/').next().unwrap().to_owned()
    };
    // Sales sees the queue but cannot decide.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    let sales_view = sam.get("/matches").await;
    assert!(sales_view.html.contains("Klant B.V.") && !sales_view.html.contains("/accept"));
    let sam_csrf = hidden(&sales_view.html, "csrf");
    assert_eq!(
        sam.post(&format!("/matches/{id}/accept"), &[("csrf", &sam_csrf), ("choice", "1")])
            .await
            .status,
        403
    );

    let r = b.post(&format!("/matches/{id}/accept"), &[("csrf", &csrf), ("choice", "1")]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/matches")), "{}", r.html);
    assert!(b.get("/matches").await.html.contains("id=\"no-matches\""));
    // Decided once: a second decision is refused with the reason.
    let again = b.post(&format!("/matches/{id}/reject"), &[("csrf", &csrf)]).await;
    assert_eq!(again.status, 422, "{}", again.html);
    let f1 = b.get("/debtors/K1").await;
    assert!(
        f1.html.contains("<strong id=\"debtor-open\">EUR 50,00</strong>"),
        "F1 is paid: {}",
        f1.html
    );

    // Acme has no IBAN, so the run's reminder becomes a task for a person.
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    s.app.dunning_run(Some("acme"), None, false, &gate, &actor).await.unwrap();
    let tasks = b.get("/tasks").await;
    assert_eq!(tasks.status, 200);
    assert!(tasks.html.contains("<a href=\"/debtors/K1\">K1</a>"), "{}", tasks.html);
    let task_id = {
        let start = tasks.html.find("action=\"/tasks/").unwrap() + "action=\"/tasks/".len();
        tasks.html[start..].split('/').next().unwrap().to_owned()
    };
    let r = b
        .post(
            &format!("/tasks/{task_id}/done"),
            &[("csrf", &csrf), ("outcome", "maybe"), ("note", "")],
        )
        .await;
    assert_eq!(r.status, 422, "an unknown outcome is refused: {}", r.html);
    // Sales may not complete a task it does not own.
    let sam_tasks = sam.get("/tasks").await;
    assert!(!sam_tasks.html.contains("/done"));
    assert_eq!(
        sam.post(
            &format!("/tasks/{task_id}/done"),
            &[("csrf", &sam_csrf), ("outcome", "reached"), ("note", "")]
        )
        .await
        .status,
        403
    );
    let r = b
        .post(
            &format!("/tasks/{task_id}/done"),
            &[
                ("csrf", &csrf),
                ("outcome", "promised"),
                ("note", "Betaalt vrijdag"),
                ("promised_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "a promise needs its date: {}", r.html);
    assert!(r.html.contains("role=\"alert\""));
    let today = s.app.today_of(org.id).await.unwrap();
    let friday = arflow_core::date::add_days(today, 4).to_string();
    let r = b
        .post(
            &format!("/tasks/{task_id}/done"),
            &[
                ("csrf", &csrf),
                ("outcome", "promised"),
                ("note", "Betaalt vrijdag"),
                ("promised_on", &friday),
            ],
        )
        .await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/tasks")), "{}", r.html);
    assert!(!b.get("/tasks").await.html.contains(&format!("id=\"task-{task_id}\"")));
    assert_eq!(
        b.post("/tasks/999/done", &[("csrf", &csrf), ("outcome", "done"), ("note", "")])
            .await
            .status,
        404
    );
}

/// Every page and form keeps to the person's organisation and role: Bravo's data (a debtor, a
/// payment waiting for review, a task) never shows in Acme, and a sales person changes nothing.
#[tokio::test]
async fn every_route_keeps_to_the_persons_organisation_and_role() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language\nB1,Bravo Secret Client,business,BE,fr\n";
    s.app
        .import_debtors_csv(Some("bravo"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices =
        b"number,debtor_number,issue_date,due_date,amount\nBF1,B1,2026-01-01,2026-01-31,77.00\n";
    s.app
        .import_invoices_csv(Some("bravo"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    let bravo = s.app.resolve_organisation(Some("bravo")).await.unwrap();
    s.app
        .import_statement_file(
            &bravo,
            "b.xml",
            &camt("77.00", "Bravo Secret Client", "paiement"),
            None,
            &Default::default(),
            &actor,
        )
        .await
        .unwrap();
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Be };
    s.app.dunning_run(Some("bravo"), None, false, &gate, &actor).await.unwrap();
    let secret = "Bravo Secret Client";
    // Sam is sales in Acme only.
    s.app
        .create_user(
            Some("acme"),
            "sam@example.nl",
            "Sam",
            "sales person 123",
            "nl",
            Role::Sales,
            &actor,
        )
        .await
        .unwrap();
    let mut sam = Browser::new(&s);
    assert_eq!(sam.sign_in("sam@example.nl", "sales person 123").await.status, 303);
    let csrf = hidden(&sam.get("/").await.html, "csrf");
    let mut covered = 0;
    for (method, template) in arflow_web::ui_routes() {
        let id = if template.starts_with("/templates") { "reminder.fr" } else { "1" };
        let path = template.replace("{number}", "B1").replace("{id}", id);
        let m = method.as_str();
        match (m, template) {
            ("GET", "/login") => assert_eq!(sam.get(&path).await.location.as_deref(), Some("/")),
            ("POST", "/login") => {
                // Signing in from another browser is a new session of the same person.
                let mut other = Browser::new(&s);
                assert_eq!(other.sign_in("sam@example.nl", "sales person 123").await.status, 303);
            }
            ("GET", "/debtors/{number}") => assert_eq!(sam.get(&path).await.status, 404),
            ("GET", "/invoices/{number}" | "/invoices/{number}/pdf") => {
                let path = template.replace("{number}", "BF1");
                assert_eq!(sam.get(&path).await.status, 404, "{path}");
            }
            ("GET", _) => {
                let r = sam.get(&path).await;
                assert_eq!(r.status, 200, "{m} {path}");
                assert!(
                    !r.html.contains(secret) && !r.html.contains("77,00"),
                    "{m} {path} shows Bravo's data"
                );
            }
            ("POST", "/organisation") => {
                let csrf = hidden(&sam.get("/").await.html, "csrf");
                assert_eq!(
                    sam.post(&path, &[("csrf", &csrf), ("organisation", "bravo")]).await.status,
                    403
                );
            }
            ("POST", "/logout") => {} // the last case; see below
            ("POST", _) => {
                let csrf = hidden(&sam.get("/").await.html, "csrf");
                let form = [
                    ("csrf", csrf.as_str()),
                    ("reason", "x"),
                    ("until", ""),
                    ("choice", "1"),
                    ("outcome", "done"),
                    ("note", ""),
                    ("subject", "x"),
                    ("text", "y"),
                ];
                let r = sam.post(&path, &form).await;
                assert_eq!(r.status, 403, "{m} {path}: {}", r.html);
            }
            other => panic!("no case for {other:?}: add one"),
        }
        covered += 1;
    }
    assert_eq!(covered, arflow_web::ui_routes().len());
    let _ = csrf;
    // Bravo's entry, task and debtor are as they were.
    let queue = s.app.review_queue(&bravo, true, arflow_store::Page::first(10)).await.unwrap();
    assert_eq!(queue.len(), 1);
    let tasks =
        s.app.tasks(Some("bravo"), false, None, arflow_store::Page::first(10)).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert!(s.app.debtor_view(bravo.id, "B1").await.unwrap().debtor.debtor.pause.is_none());
    // Anna (admin in Acme, accountant in Bravo) in Acme cannot act on Bravo's rows by id either.
    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let home = anna.get("/").await;
    assert!(home.html.contains("<span id=\"current-organisation\">Acme BV</span>"));
    let csrf = hidden(&home.html, "csrf");
    let entry = queue[0].entry.id.to_string();
    assert_eq!(
        anna.post(&format!("/matches/{entry}/accept"), &[("csrf", &csrf), ("choice", "1")])
            .await
            .status,
        404
    );
    let task = tasks[0].id.to_string();
    assert_eq!(
        anna.post(
            &format!("/tasks/{task}/done"),
            &[("csrf", &csrf), ("outcome", "done"), ("note", "")]
        )
        .await
        .status,
        404
    );
    assert_eq!(
        anna.post("/debtors/B1/pause", &[("csrf", &csrf), ("reason", "x"), ("until", "")])
            .await
            .status,
        404
    );
    assert_eq!(
        s.app.review_queue(&bravo, true, arflow_store::Page::first(10)).await.unwrap().len(),
        1
    );
    assert_eq!(
        s.app.tasks(Some("bravo"), false, None, arflow_store::Page::first(10)).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_template_is_edited_checked_and_previewed_in_french() {
    let s = seeded().await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let list = b.get("/templates").await;
    assert!(list.html.contains("<a href=\"/templates/reminder.fr\">reminder</a>"), "{}", list.html);
    let page = b.get("/templates/reminder.fr").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = hidden(&page.html, "csrf");
    // A template that does not compile is refused with the reason, and the draft stays.
    let broken = b
        .post(
            "/templates/reminder.fr",
            &[
                ("csrf", &csrf),
                ("subject", "Rappel {{ debtor.name"),
                ("text", "Bonjour"),
                ("html", ""),
            ],
        )
        .await;
    assert_eq!(broken.status, 422, "{}", broken.html);
    assert!(
        broken.html.contains("role=\"alert\"") && broken.html.contains("Rappel {{ debtor.name")
    );
    let text = "Bonjour {{ debtor.name }},\r\n\r\n{% include \"fr/_items.txt.j2\" %}\r\n\r\n{% include \"fr/_payment.txt.j2\" %}";
    let saved = b
        .post(
            "/templates/reminder.fr",
            &[
                ("csrf", &csrf),
                ("subject", "Petit rappel pour {{ debtor.name }}"),
                ("text", text),
                ("html", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let page = b.get("/templates/reminder.fr?kind=consumer").await;
    assert!(
        page.html.contains("<strong id=\"preview-subject\">Petit rappel pour "),
        "{}",
        page.html
    );
    assert!(page.html.contains("Bonjour "), "{}", page.html);
    assert!(
        b.get("/templates").await.html.contains("modifi")
            || b.get("/templates").await.html.contains("aangepast")
    );
    let reset = b.post("/templates/reminder.fr/reset", &[("csrf", &csrf)]).await;
    assert_eq!(reset.status, 303);
    assert!(!b.get("/templates/reminder.fr").await.html.contains("Petit rappel pour"));
    assert_eq!(b.get("/templates/reminder.xx").await.status, 404);
}

/// A camt.053 statement with one credit booked on `day`: (amount, payer name, remittance).
fn camt_on(day: &str, amount: &str, payer: &str, text: &str) -> Vec<u8> {
    String::from_utf8(camt(amount, payer, text)).unwrap().replace("2026-03-01", day).into_bytes()
}

/// The text of the element with `id` (up to the next tag).
fn by_id<'h>(html: &'h str, id: &str) -> &'h str {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {id} in {html}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

/// The `<svg id="…">…</svg>` element with `id`.
fn svg<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html.find(&format!("<svg id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    &html[start..start + html[start..].find("</svg>").unwrap()]
}

/// Issue 5: the dashboard shows the ageing with its chart, the DSO at 12 month ends and today,
/// the cash collected this month, today's tasks, today's run, the approval queue, uncertain
/// messages and the bank entries waiting for review, each with its exact figure.
#[tokio::test]
async fn the_dashboard_shows_every_figure_of_issue_5_with_its_charts() {
    use arflow_core::date::add_days;
    let s = seeded().await;
    let actor = Actor("test".into());
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let first = today.first_of_month();
    // The 10th of the month three months ago (T-3) and of last month (T-1).
    let month_back = |n: i32| {
        let mut m = first;
        for _ in 0..n {
            m = add_days(m, -1).first_of_month();
        }
        m
    };
    let (t3, t2, t1) = (month_back(3), month_back(2), month_back(1));
    let (f1_issue, f2_issue) = (add_days(t3, 9), add_days(t1, 9));
    let debtors = b"number,name,kind,country,language\nK1,Klant BV,business,NL,nl\nK2,Tweede BV,business,NL,nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = format!(
        "number,debtor_number,issue_date,due_date,amount\nF1,K1,{f1_issue},{},1000.00\nF2,K2,{f2_issue},{},500.00\n",
        add_days(f1_issue, 30),
        add_days(f2_issue, 60),
    );
    let r = s
        .app
        .import_invoices_csv(Some("acme"), "i.csv", invoices.as_bytes(), Default::default(), &actor)
        .await
        .unwrap();
    assert!(!r.rejected(), "{:?}", r.errors);
    // 600.00 paid on F1 on the 1st of this month.
    let payments = format!("date,amount,invoice_number,external_id\n{first},600.00,F1,P1\n");
    let r = s
        .app
        .import_payments_csv(Some("acme"), "p.csv", payments.as_bytes(), &actor)
        .await
        .unwrap();
    assert!(!r.rejected(), "{:?}", r.errors);
    // 75.00 from nobody we know, today: waits in the review queue (and is cash received).
    let report = s
        .app
        .import_statement_file(
            &org,
            "m.xml",
            &camt_on(&today.to_string(), "75.00", "Onbekende Partij", "gift"),
            None,
            &Default::default(),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(report.unmatched + report.to_review, 1, "{report:?}");
    // Acme has no IBAN: the run's reminder becomes a task for a person.
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    let run = s.app.dunning_run(Some("acme"), None, false, &gate, &actor).await.unwrap();
    let tasks =
        s.app.tasks(Some("acme"), false, None, arflow_store::Page::first(50)).await.unwrap();
    // F2 is not due yet: one reminder, to K1 by e-mail, which became one task.
    let planned: Vec<_> =
        run.actions.iter().map(|a| (a.debtor.as_str(), a.step.as_str())).collect();
    assert_eq!(planned, [("K1", "reminder")]);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    // A crash while sending: a message of the run's action left `sending`, then found uncertain.
    let mut tx = s.app.store.begin_write().await.unwrap();
    let page = arflow_store::Page::first(10);
    let action = tx.list_actions(org.id, None, None, page).await.unwrap().remove(0);
    let id = tx.reserve_ids(org.id, "message", 1).await.unwrap();
    let message = arflow_store::NewMessage {
        action_id: action.id,
        debtor_id: action.debtor_id,
        channel: "email".into(),
        recipient: "k1@example.nl".into(),
        subject: "Herinnering".into(),
        text_body: "Herinnering".into(),
        html_body: String::new(),
        language: "nl".into(),
        message_id: "test-uncertain@arflow".into(),
        attachments: Vec::new(),
    };
    let sending = arflow_store::MessageStatus::Sending;
    tx.insert_message(org.id, id, &message, sending, 1).await.unwrap();
    assert_eq!(tx.mark_sending_uncertain(org.id).await.unwrap(), 1);
    tx.commit().await.unwrap();

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let dash = b.get("/").await;
    assert_eq!(dash.status, 200, "{}", dash.html);
    let html = &dash.html;

    // Outstanding 1,000 − 600 + 500 = 900.00; 75.00 unapplied.
    assert!(html.contains("id=\"outstanding\" data-amount=\"900.00\""), "{html}");
    assert!(html.contains("id=\"unapplied\" data-amount=\"75.00\""), "{html}");
    // Cash collected this month: 600.00 on the 1st and 75.00 today.
    assert!(html.contains("id=\"cash-this-month\" data-amount=\"675.00\""), "{html}");
    assert_eq!(by_id(html, "cash-this-month"), "EUR 675,00");

    // The ageing chart: a bar per bucket, its figures in its label, next to the table.
    let ageing = svg(html, "ageing-chart");
    assert_eq!(ageing.matches("<rect class=\"bar\"").count(), 6, "{ageing}");
    assert!(ageing.contains("role=\"img\"") && ageing.contains("viewBox=\"0 0 640 180\""));
    assert!(ageing.contains("width=\"100%\""));
    let table = &html[html.find("<table id=\"ageing-table\">").unwrap()..];
    assert_eq!(table[..table.find("</table>").unwrap()].matches("<tr><td>").count(), 6);
    assert!(ageing.contains(&format!("aria-label=\"Ouderdom op {today} (EUR): Niet vervallen ")));

    // DSO: 12 month ends and today, each labelled, and the same numbers in the table.
    let dso = svg(html, "dso-chart");
    assert_eq!(dso.matches("<rect class=\"bar\"").count(), 13, "{dso}");
    assert!(dso.contains("role=\"img\"") && dso.contains("<title>DSO (countback, dagen)"));
    let days = |d: arflow_core::date::Date| i64::from(d.days_in_month());
    let end = |m: arflow_core::date::Date| m.last_of_month();
    let tenths = |t: i64| format!("{},{}", t / 10, t % 10);
    // Before F1 nothing was owed.
    assert_eq!(by_id(html, &format!("dso-{}", end(month_back(4)))), "0,0");
    // End of T-3: 1,000 open, all of it that month's sales: the whole month.
    assert_eq!(by_id(html, &format!("dso-{}", end(t3))), tenths(days(t3) * 10));
    // End of T-2: nothing sold in T-2, so its days too.
    assert_eq!(by_id(html, &format!("dso-{}", end(t2))), tenths((days(t2) + days(t3)) * 10));
    // End of T-1: 1,500 open = 500 of T-1 and 1,000 of T-3.
    assert_eq!(
        by_id(html, &format!("dso-{}", end(t1))),
        tenths((days(t1) + days(t2) + days(t3)) * 10)
    );
    // Today: 1,500 − 600 − 75 = 825 open: this month's days so far, T-1 (500), T-2 (none) and
    // 325 of T-3's 1,000 × its days, rounded half up to a tenth.
    let today_tenths =
        (i64::from(today.day()) + days(t1) + days(t2)) * 10 + (325 * days(t3) + 50) / 100;
    assert_eq!(by_id(html, &format!("dso-{today}")), tenths(today_tenths));
    assert!(html.contains(&format!(
        "id=\"dso-today\" data-days=\"{}\"",
        tenths(today_tenths).replace(',', ".")
    )));
    // The same figure as the DSO report, which reads open items and unapplied money instead.
    let report = s.app.dso(Some("acme"), None, 90).await.unwrap();
    assert_eq!(
        report.countback_days.as_deref(),
        Some(tenths(today_tenths).replace(',', ".").as_str())
    );
    assert_eq!(report.receivables, "825.00");
    assert!(dso.contains(&format!("vandaag {}", tenths(today_tenths))), "{dso}");

    // Today's tasks: the count and the first ones, linked.
    assert_eq!(by_id(html, "open-tasks"), "1");
    assert!(html.contains(&format!("id=\"dashboard-task-{}\"", tasks[0].id)));
    assert!(html.contains("<a href=\"/tasks\">"));
    // Today's run is done: its actions by step and channels, and the approval queue.
    assert!(html.contains("id=\"run-today\" data-status=\"done\""), "{html}");
    assert_eq!(by_id(html, "run-actions"), "1");
    assert!(
        html.contains("<tr><td>reminder</td><td>email</td><td class=\"num\">1</td><td class=\"num\">0</td></tr>"),
        "{html}"
    );
    assert_eq!(by_id(html, "actions-awaiting-approval"), "0");
    assert!(html.contains("<a href=\"/dunning\">"));
    // One uncertain message; one bank entry of 75.00 waiting.
    assert_eq!(by_id(html, "uncertain-messages"), "1");
    assert!(html.contains("<a href=\"/outbox\">"));
    assert_eq!(by_id(html, "entries-waiting"), "1");
    assert!(html.contains("id=\"entries-waiting-total\" data-amount=\"75.00\""));
    assert!(html.contains("<a href=\"/matches\">"));
}
