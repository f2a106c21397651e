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

#[path = "support/mollie_fake.rs"]
mod mollie_fake;

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

struct Server {
    base: String,
    app: App,
    client: reqwest::Client,
    db_path: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// A server whose app is set up by `configure` (given the server's base URL).
    async fn start_with(configure: impl FnOnce(App, &str) -> App) -> Server {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let db_path = std::env::temp_dir().join(format!("arflow-ui-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&db_path);
        let store = Store::connect(&format!("sqlite://{}", db_path.display())).await.unwrap();
        store.migrate(0).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = configure(App::new(store, Arc::new(SystemClock)), &format!("http://{addr}"));
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

    /// A form with files, as a browser sends it (`multipart/form-data`): each field with its
    /// file name when it is a file.
    async fn post_multipart(&mut self, path: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Page {
        let boundary = "----arflowTestBoundary7MA4YWxk";
        let mut body = Vec::new();
        for (name, file, data) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"")
                    .as_bytes(),
            );
            if let Some(f) = file {
                body.extend_from_slice(
                    format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream")
                        .as_bytes(),
                );
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = self
            .s
            .client
            .post(format!("{}{path}", self.s.base))
            .header("accept-language", "nl")
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        self.send(req).await
    }

    /// The raw response to a GET: status, content type, the security policy and the bytes.
    async fn get_bytes(&mut self, path: &str) -> (u16, String, String, Vec<u8>) {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = self
            .s
            .client
            .get(format!("{}{path}", self.s.base))
            .header("cookie", cookie.join("; "))
            .send()
            .await
            .unwrap();
        let header = |name: &str| {
            r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
        };
        let (status, ctype, csp) =
            (r.status().as_u16(), header("content-type"), header("content-security-policy"));
        (status, ctype, csp, r.bytes().await.unwrap().to_vec())
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

/// Gives an organisation the IBAN its messages ask to be paid on.
async fn give_iban(s: &Server, org: &str, iban: &str) {
    let details =
        arflow_app::orgs::OrganisationDetails { iban: Some(iban.into()), ..Default::default() };
    s.app.update_organisation_details(Some(org), &details, &Actor("test".into())).await.unwrap();
}

async fn seeded() -> Server {
    seeded_with(|app, _| app).await
}

async fn seeded_with(configure: impl FnOnce(App, &str) -> App) -> Server {
    let s = Server::start_with(configure).await;
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
    // The account the statement was for, with its entry.
    let accounts = b.get("/settings/bank-accounts").await.html;
    assert!(accounts.contains("<td>NL02ABNA0123456789</td><td>EUR</td><td class=\"num\">1</td><td>2026-03-01 – 2026-03-01</td><td class=\"num\">121,00</td><td class=\"num\">0</td>"), "{accounts}");
    assert!(accounts.contains("id=\"no-payment-account\""), "{accounts}");
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
    let debtors = b"number,name,kind,country,language,email\nB1,Bravo Secret Client,business,BE,fr,\nB2,Bravo Other Client,business,BE,fr,compta@b2.be\n";
    s.app
        .import_debtors_csv(Some("bravo"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices =
        b"number,debtor_number,issue_date,due_date,amount\nBF1,B1,2026-01-01,2026-01-31,77.00\nBF2,B2,2026-01-01,2026-01-31,66.00\n";
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
    give_iban(&s, "bravo", "BE68539007547034").await;
    s.app.set_branding(bravo.id, None, Some(b"<svg/>"), &actor).await.unwrap();
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
        let id = if template.starts_with("/templates") {
            "reminder.fr"
        } else if template.starts_with("/policies") {
            "nl-business"
        } else {
            "1"
        };
        let path = template.replace("{number}", "B1").replace("{id}", id).replace("{n}", "0");
        let m = method.as_str();
        match (m, template) {
            ("GET", "/login") => assert_eq!(sam.get(&path).await.location.as_deref(), Some("/")),
            ("POST", "/login") => {
                // Signing in from another browser is a new session of the same person.
                let mut other = Browser::new(&s);
                assert_eq!(other.sign_in("sam@example.nl", "sales person 123").await.status, 303);
            }
            ("GET", "/debtors/{number}") => assert_eq!(sam.get(&path).await.status, 404),
            // Bravo's logo is Bravo's: Acme has none; nor has it Bravo's uploaded files.
            ("GET", "/settings/branding/logo" | "/portal-files/{id}") => {
                assert_eq!(sam.get(&path).await.status, 404, "{path}");
            }
            // Tokens, people and branding are an administrator's; the audit log also an
            // accountant's.
            ("GET", "/settings/tokens" | "/settings/users" | "/settings/branding" | "/audit") => {
                assert_eq!(sam.get(&path).await.status, 403, "{path}");
            }
            ("POST", "/debtors/{number}/notes") => {
                // Sales may write notes on its own debtors: Bravo's is not found at all.
                let csrf = hidden(&sam.get("/").await.html, "csrf");
                let r = sam.post(&path, &[("csrf", &csrf), ("note", "x")]).await;
                assert_eq!(r.status, 404, "{m} {path}: {}", r.html);
            }
            ("GET", "/outbox/{id}" | "/outbox/{id}/attachments/{n}") => {
                // Bravo's run put its message in Bravo's outbox, not in Acme's.
                let bravo_message =
                    s.app.outbox(Some("bravo"), None, arflow_store::Page::first(1)).await.unwrap()
                        [0]
                    .id
                    .to_string();
                let path = template.replace("{id}", &bravo_message).replace("{n}", "0");
                assert_eq!(sam.get(&path).await.status, 404, "{path}");
            }
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
    // The draft previewed without saving, as a consumer: shown, checked, not stored.
    let draft = b
        .post(
            "/templates/reminder.fr",
            &[
                ("csrf", &csrf),
                ("subject", "Brouillon pour {{ debtor.name }}"),
                ("text", text),
                ("html", ""),
                ("preview", "consumer"),
            ],
        )
        .await;
    assert_eq!(draft.status, 200, "{}", draft.html);
    assert!(draft.html.contains("id=\"draft-preview\""), "{}", draft.html);
    assert!(
        draft.html.contains("<strong id=\"preview-subject\">Brouillon pour "),
        "{}",
        draft.html
    );
    assert!(draft.html.contains("value=\"Brouillon pour {{ debtor.name }}\""));
    assert!(!b.get("/templates/reminder.fr").await.html.contains("Brouillon"), "not stored");
    let bad_draft = b
        .post(
            "/templates/reminder.fr",
            &[("csrf", &csrf), ("subject", "{{ oops"), ("text", "x"), ("preview", "business")],
        )
        .await;
    assert_eq!(bad_draft.status, 422);
    assert!(!bad_draft.html.contains("id=\"draft-preview\""));
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

/// What a browser sends when a form is submitted unchanged: every named input (ticked boxes
/// only) and the selected option of every select, in document order. `form_start` is where the
/// form begins in the page.
fn form_fields(html: &str, form_start: &str) -> Vec<(String, String)> {
    let start = html.find(form_start).unwrap_or_else(|| panic!("no {form_start} in {html}"));
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| {
        let marker = format!(" {name}=\"");
        tag.find(&marker).map(|i| {
            let rest = &tag[i + marker.len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&").replace("&quot;", "\"")
        })
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        if tag.starts_with("<input") {
            if let Some(name) = attr(tag, "name") {
                let checkbox = attr(tag, "type").as_deref() == Some("checkbox");
                if !checkbox {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                } else if tag.contains(" checked") {
                    out.push((name, attr(tag, "value").unwrap_or_else(|| "on".into())));
                }
            }
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[..rest.find("</select>").unwrap()];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options.iter().find(|o| o.contains(" selected")).or(options.first());
            out.push((name, chosen.and_then(|o| attr(o, "value")).unwrap_or_default()));
        }
        rest = &rest[end..];
    }
    out
}

fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.to_owned(), value.to_owned()));
}

impl Browser<'_> {
    async fn post_pairs(&mut self, path: &str, form: &[(String, String)]) -> Page {
        let req = self
            .s
            .client
            .post(format!("{}{path}", self.s.base))
            .header("accept-language", "nl")
            .form(form);
        self.send(req).await
    }
}

/// A policy edited in the form (approval on every step), what a run would do, today's run,
/// the approval in the dunning page, the message in the outbox exactly as it will be sent, and
/// an uncertain message settled by a person; the invoice list and the debtor filters.
#[tokio::test]
async fn a_policy_is_edited_a_run_previewed_run_and_approved_and_its_message_read_in_the_outbox() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language,email,segment\nK1,Klant BV,business,NL,nl,boekhouding@klant.nl,retail\nC1,Jan Jansen,consumer,NL,nl,jan@example.nl,\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\nF2,K1,2026-02-01,2026-03-03,10.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    give_iban(&s, "acme", "NL91ABNA0417164300").await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;

    // The invoice list and its filters.
    let list = b.get("/invoices").await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("<a href=\"/invoices/F1\">F1</a>") && list.html.contains("121,00"));
    assert!(b.get("/invoices?status=settled").await.html.contains("id=\"no-invoices\""));
    assert!(b.get("/invoices?debtor=NOPE").await.html.contains("id=\"no-invoices\""));
    assert!(b.get("/invoices?debtor=C1").await.html.contains("id=\"no-invoices\""));
    let f2_only = b.get("/invoices?from=2026-02-01").await.html;
    assert!(f2_only.contains(">F2</a>") && !f2_only.contains(">F1</a>"), "{f2_only}");
    assert_eq!(b.get("/invoices?from=2026-13-01").await.status, 422);
    // The debtor list's filters.
    let consumers = b.get("/debtors?kind=consumer").await.html;
    assert!(consumers.contains(">C1</a>") && !consumers.contains(">K1</a>"));
    let retail = b.get("/debtors?segment=retail").await.html;
    assert!(retail.contains(">K1</a>") && !retail.contains(">C1</a>"));
    // Ageing buckets of today: F1 and F2 (due early 2026) are long overdue.
    let old_debts = b.get("/debtors?bucket=181-").await.html;
    assert!(old_debts.contains(">K1</a>") && !old_debts.contains(">C1</a>"), "{old_debts}");
    assert!(b.get("/debtors?bucket=1-30").await.html.contains("id=\"no-debtors\""));
    assert!(b.get("/debtors?state=disputed").await.html.contains("id=\"no-debtors\""));
    // Who owes the most overdue: K1 with 131,00; C1 owes nothing.
    let ranked = b.get("/debtors?sort=overdue").await.html;
    assert!(
        ranked.contains(">K1</a>") && ranked.contains("EUR 131,00") && !ranked.contains(">C1</a>"),
        "{ranked}"
    );
    assert!(b.get("/debtors?sort=open&page=1").await.html.contains("id=\"no-debtors\""));
    // The order applies to the filtered list, and the form keeps both.
    let consumers_by_amount = b.get("/debtors?sort=overdue&kind=consumer").await.html;
    assert!(consumers_by_amount.contains("id=\"no-debtors\""), "{consumers_by_amount}");
    assert!(consumers_by_amount.contains("<option value=\"consumer\" selected>"));
    assert!(consumers_by_amount.contains("<option value=\"overdue\" selected>"));
    let retail_by_open = b.get("/debtors?sort=open&segment=retail").await.html;
    assert!(retail_by_open.contains(">K1</a>") && retail_by_open.contains("EUR 131,00"));
    assert!(b.get("/debtors?sort=open&q=Jansen").await.html.contains("id=\"no-debtors\""));

    // The policy editor: approval on every step of nl-business.
    let policies = b.get("/policies").await;
    // Keyboard users skip the menu straight to the page's content.
    assert!(policies.html.contains("<a class=\"skip\" href=\"#main\">Naar de inhoud</a>"));
    assert!(policies.html.contains("<a href=\"/policies/nl-business\">nl-business</a>"));
    let editor = b.get("/policies/nl-business").await;
    assert_eq!(editor.status, 200);
    let mut form = form_fields(&editor.html, "<form method=\"post\" action=\"/policies/");
    let steps: Vec<String> = form
        .iter()
        .filter(|(k, v)| k.ends_with(".key") && !v.is_empty())
        .map(|(k, _)| k.trim_end_matches(".key").to_owned())
        .collect();
    assert_eq!(steps.len(), 6, "{form:?}");
    // Saving the form unchanged stores nothing new.
    assert_eq!(b.post_pairs("/policies/nl-business", &form).await.status, 303);
    assert_eq!(s.app.dunning_policy(Some("acme"), "nl-business").await.unwrap().version, 1);
    // A bad fee is named, and nothing is stored.
    let mut bad = form.clone();
    set(&mut bad, "s0.fee", "12.345");
    let refused = b.post_pairs("/policies/nl-business", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("id=\"policy-problems\"") && refused.html.contains("12.345"));
    for step in &steps {
        set(&mut form, &format!("{step}.approval"), "on");
    }
    let saved = b.post_pairs("/policies/nl-business", &form).await;
    assert_eq!(saved.location.as_deref(), Some("/policies/nl-business"), "{}", saved.html);
    let policy = s.app.dunning_policy(Some("acme"), "nl-business").await.unwrap();
    assert_eq!(policy.version, 2);
    assert!(policy.steps.iter().all(|st| st.approval));
    // An edit of version 1, now that version 2 is in force, is refused.
    let stale = b
        .post_pairs(
            "/policies/nl-business",
            &bad.iter().filter(|(k, _)| k != "s0.fee").cloned().collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.html);
    // A copy under a new id.
    let mut copy = form.clone();
    set(&mut copy, "new_id", "nl-key-accounts");
    set(&mut copy, "name", "Key accounts");
    assert_eq!(
        b.post_pairs("/policies/nl-business", &copy).await.location.as_deref(),
        Some("/policies/nl-key-accounts")
    );
    assert_eq!(s.app.dunning_policy(Some("acme"), "nl-key-accounts").await.unwrap().version, 1);

    // What a run would do today: one action for K1, waiting for approval.
    let today = s.app.today(&s.app.resolve_organisation(Some("acme")).await.unwrap().organisation);
    let preview = b.get(&format!("/dunning?as_of={today}")).await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(preview.html.contains("data-actions=\"1\""), "{}", preview.html);
    assert!(
        preview.html.contains("<a href=\"/debtors/K1\">K1</a>") && preview.html.contains("F1, F2")
    );
    assert!(preview.html.contains("id=\"no-approvals\""));
    assert_eq!(b.get("/dunning?as_of=yesterday").await.status, 422);
    // The run.
    let csrf = hidden(&preview.html, "csrf");
    let ran = b.post("/dunning/run", &[("csrf", &csrf)]).await;
    assert_eq!(ran.status, 200, "{}", ran.html);
    assert!(ran.html.contains("id=\"run-result\""), "{}", ran.html);
    assert!(ran.html.contains("1 wachten op goedkeuring"), "{}", ran.html);
    let again = b.post("/dunning/run", &[("csrf", &csrf)]).await;
    assert!(again.html.contains("was al gedaan"), "{}", again.html);
    // The approval, in the dunning page.
    let page = b.get("/dunning").await;
    let tasks =
        s.app.tasks(Some("acme"), false, None, arflow_store::Page::first(10)).await.unwrap();
    let approval = tasks.iter().find(|t| t.kind == "approval").expect("an approval task");
    assert!(
        page.html.contains(&format!("name=\"task\" value=\"{}\"", approval.id)),
        "{}",
        page.html
    );
    let held = s
        .app
        .outbox(
            Some("acme"),
            Some(arflow_store::MessageStatus::Held),
            arflow_store::Page::first(10),
        )
        .await
        .unwrap();
    let all = s.app.outbox(Some("acme"), None, arflow_store::Page::first(10)).await.unwrap();
    assert_eq!(held.len(), 1, "{all:?} {tasks:?} {}", ran.html);
    assert_eq!(
        b.post("/dunning/approvals", &[("csrf", &csrf), ("outcome", "approved")]).await.status,
        422,
        "nothing ticked"
    );
    assert_eq!(
        b.post(
            "/dunning/approvals",
            &[("csrf", &csrf), ("task", "999999"), ("outcome", "approved")]
        )
        .await
        .status,
        404
    );
    let id = approval.id.to_string();
    let approved = b
        .post("/dunning/approvals", &[("csrf", &csrf), ("task", &id), ("outcome", "approved")])
        .await;
    assert_eq!(approved.location.as_deref(), Some("/dunning"));
    assert!(b.get("/dunning").await.html.contains("id=\"no-approvals\""));
    // The message is now ready to send; the outbox shows it as it will go out.
    let message = &held[0];
    let outbox = b.get("/outbox?status=planned").await;
    assert!(
        outbox.html.contains(&format!("<a href=\"/outbox/{}\">", message.id)),
        "{}",
        outbox.html
    );
    assert!(b.get("/outbox?status=held").await.html.contains("id=\"no-messages\""));
    let shown = b.get(&format!("/outbox/{}", message.id)).await;
    assert_eq!(shown.status, 200);
    assert!(shown.html.contains("boekhouding@klant.nl"));
    let first_line = message.message.text_body.lines().next().unwrap();
    assert!(
        shown.html.contains(&first_line.replace('&', "&amp;").replace('\'', "&#39;")),
        "{}",
        shown.html
    );
    assert!(!shown.html.contains("id=\"settle\""));
    assert_eq!(b.get("/outbox/999999").await.status, 404);
    assert_eq!(b.get(&format!("/outbox/{}/attachments/0", message.id)).await.status, 404);

    // A crash while sending leaves it uncertain; a person settles it.
    {
        let store = Store::connect(&format!("sqlite://{}", s.db_path.display())).await.unwrap();
        let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        use arflow_store::MessageStatus as M;
        assert!(
            tx.set_message_status(org.id, message.id, M::Planned, M::Uncertain, None, 0)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }
    let uncertain = b.get(&format!("/outbox/{}", message.id)).await;
    assert!(uncertain.html.contains("id=\"settle\""), "{}", uncertain.html);
    let path = format!("/outbox/{}/settle", message.id);
    assert_eq!(b.post(&path, &[("csrf", &csrf), ("decision", "maybe")]).await.status, 422);
    let settled = b.post(&path, &[("csrf", &csrf), ("decision", "send_again")]).await;
    assert_eq!(settled.status, 303);
    let m = s.app.outbox_message(Some("acme"), message.id).await.unwrap();
    assert_eq!(m.status, arflow_store::MessageStatus::Planned);
    assert_eq!(b.post(&path, &[("csrf", &csrf), ("decision", "went_out")]).await.status, 422);
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let audit = s.app.audit_log(org.id, arflow_store::Page::first(50)).await.unwrap();
    assert!(format!("{audit:?}").contains("message.send_again"), "{audit:?}");
}

/// A payment for two invoices that only the payer's name points to is split over them in the
/// review queue; a half-filled row or an amount above what is open is refused and changes
/// nothing.
#[tokio::test]
async fn a_payment_is_split_over_two_invoices_from_the_review_queue() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language\nK1,Klant BV,business,NL,nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,100.00\nF2,K1,2026-01-05,2026-02-04,50.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let report = s
        .app
        .import_statement_file(
            &org,
            "m.xml",
            &camt("150.00", "Klant B.V.", "betaling"),
            None,
            &Default::default(),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(report.to_review, 1, "{report:?}");
    let entry = s.app.review_queue(&org, true, arflow_store::Page::first(10)).await.unwrap()[0]
        .entry
        .id
        .to_string();
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let queue = b.get("/matches").await;
    assert!(queue.html.contains(&format!("id=\"split-{entry}-invoice-1\"")), "{}", queue.html);
    // Why, in Dutch; the matcher's own words follow, in Dutch too.
    assert!(
        queue.html.contains("De naam van de betaler lijkt op die van de debiteur."),
        "{}",
        queue.html
    );
    assert!(
        queue.html.contains("<small>De naam van de betaler &#39;Klant B.V.&#39; lijkt voor ")
            && queue.html.contains(
                "op de naam van deze debiteur. Het bedrag is het hele openstaande saldo van de \
                 debiteur (2 posten).</small>"
            ),
        "{}",
        queue.html
    );
    assert!(!queue.html.contains("<small lang=\"en\">"), "{}", queue.html);
    // A French colleague reads it in French; the API keeps the English text.
    s.app
        .create_user(
            Some("acme"),
            "claire@example.be",
            "Claire",
            "vente personne 123",
            "fr",
            Role::Sales,
            &actor,
        )
        .await
        .unwrap();
    let mut claire = Browser::new(&s);
    claire.sign_in("claire@example.be", "vente personne 123").await;
    let french = claire.get("/matches").await.html;
    assert!(
        french.contains("<small>Le nom du payeur « Klant B.V. » ressemble à ")
            && french.contains(
                "au nom de ce débiteur. Le montant est tout le solde ouvert du débiteur (2 \
                 postes).</small>"
            ),
        "{french}"
    );
    let queued = s.app.review_queue(&org, true, arflow_store::Page::first(10)).await.unwrap();
    assert!(
        queued[0].suggestions[0].explanation.ends_with(
            "similar to this debtor's name. The amount is the debtor's whole open balance (2 items)."
        ),
        "{queued:?}"
    );
    let csrf = hidden(&queue.html, "csrf");
    let path = format!("/matches/{entry}/accept");
    let open = |n: &'static str| {
        let app = s.app.clone();
        let org = org.id;
        async move { app.invoice_view(org, n).await.unwrap().invoice.open.to_string() }
    };
    // Half a row.
    let half = b.post(&path, &[("csrf", &csrf), ("invoice_1", "F1"), ("amount_1", "")]).await;
    assert_eq!(half.status, 422, "{}", half.html);
    // More than F2 has open.
    let too_much = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("invoice_1", "F1"),
                ("amount_1", "90,00"),
                ("invoice_2", "F2"),
                ("amount_2", "60.00"),
            ],
        )
        .await;
    assert_eq!(too_much.status, 422, "{}", too_much.html);
    assert!(too_much.html.contains("F2"), "{}", too_much.html);
    // An invoice that does not exist.
    let unknown =
        b.post(&path, &[("csrf", &csrf), ("invoice_1", "F9"), ("amount_1", "10.00")]).await;
    assert_eq!(unknown.status, 422, "{}", unknown.html);
    assert_eq!((open("F1").await, open("F2").await), ("100.00".into(), "50.00".into()));
    // The split: 100 on F1, 40 on F2; 10 stays unapplied on the payment.
    let done = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("invoice_1", "F1"),
                ("amount_1", "100,00"),
                ("invoice_2", "F2"),
                ("amount_2", "40.00"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/matches"), "{}", done.html);
    assert_eq!((open("F1").await, open("F2").await), ("0.00".into(), "10.00".into()));
    assert!(b.get("/matches").await.html.contains("id=\"no-matches\""));
    let home = b.get("/").await;
    assert!(home.html.contains("id=\"unapplied\" data-amount=\"10.00\""), "{}", home.html);
    // F1 (due 2026-01-31) was paid on 2026-03-01: 29 days late, while that is within the
    // debtor page's twelve months.
    let debtor = b.get("/debtors/K1").await.html;
    let today = s.app.today(&org.organisation);
    let paid_on = jiff::civil::date(2026, 3, 1);
    let expected = if today.checked_sub(jiff::Span::new().years(1)).unwrap() <= paid_on {
        "id=\"debtor-days-late\">29,0 dagen</strong><small>1 betaalde facturen, 1 te laat"
    } else {
        "id=\"debtor-days-late\">—</strong><small>0 betaalde facturen, 0 te laat"
    };
    assert!(debtor.contains(expected), "{debtor}");
    // The timeline shows what was applied to each invoice.
    assert!(debtor.contains("2026-03-01 EUR 100.00 → F1"), "{debtor}");
    assert!(debtor.contains("2026-03-01 EUR 40.00 → F2"), "{debtor}");
}

/// Notes on a debtor's timeline (sales only on the debtors it owns), and a policy chosen for one
/// debtor and given back to the organisation's rules.
#[tokio::test]
async fn notes_are_written_on_the_timeline_and_a_debtor_gets_a_policy_of_its_own() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language\nK1,Klant BV,business,NL,nl\nK2,Ander BV,business,NL,nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
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
    let mut k2 = s.app.debtor_view(org.id, "K2").await.unwrap().debtor.debtor;
    k2.owner = Some("sam@example.nl".into());
    s.app.update_debtor(org.id, "K2", k2, &actor).await.unwrap();

    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let page = anna.get("/debtors/K1").await;
    assert!(
        page.html.contains("id=\"debtor-policy\" href=\"/policies/nl-business\""),
        "{}",
        page.html
    );
    let csrf = hidden(&page.html, "csrf");
    let note = "Gebeld: betaalt vrijdag <na> de 15e & niet eerder";
    assert_eq!(
        anna.post("/debtors/K1/notes", &[("csrf", &csrf), ("note", note)]).await.status,
        303
    );
    let page = anna.get("/debtors/K1").await;
    assert!(
        page.html.contains("<q>Gebeld: betaalt vrijdag &lt;na&gt; de 15e &amp; niet eerder</q>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("debtor.note (user:anna@example.nl)"));
    assert_eq!(
        anna.post("/debtors/K1/notes", &[("csrf", &csrf), ("note", "  ")]).await.status,
        422
    );
    assert_eq!(
        anna.post("/debtors/NOPE/notes", &[("csrf", &csrf), ("note", "x")]).await.status,
        404
    );

    // The rate tables charges are computed with: each with today's rate and its sources.
    let rates = anna.get("/settings/rates").await;
    assert_eq!(rates.status, 200);
    for id in ["nl_statutory", "nl_commercial", "be_b2b", "be_legal", "ecb_mro"] {
        assert!(rates.html.contains(&format!("id=\"rate-{id}\"")), "{id}: {}", rates.html);
    }
    assert!(
        rates.html.contains("art. 6:119a/6:119b BW") && rates.html.contains(" %</td>"),
        "{}",
        rates.html
    );
    // A policy of its own for K1, then back to the organisation's rules.
    let chosen =
        anna.post("/debtors/K1/policy", &[("csrf", &csrf), ("policy", "nl-consumer")]).await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    let page = anna.get("/debtors/K1").await;
    assert!(
        page.html.contains(
            "href=\"/policies/nl-consumer\">nl-consumer</a> (gekozen voor deze debiteur)"
        ),
        "{}",
        page.html
    );
    assert_eq!(
        s.app
            .dunning_assignments(Some("acme"))
            .await
            .unwrap()
            .by_debtor
            .get("K1")
            .map(String::as_str),
        Some("nl-consumer")
    );
    let unknown = anna.post("/debtors/K1/policy", &[("csrf", &csrf), ("policy", "nope")]).await;
    assert_eq!(unknown.status, 422, "{}", unknown.html);
    assert_eq!(
        anna.post("/debtors/K1/policy", &[("csrf", &csrf), ("policy", "")]).await.status,
        303
    );
    assert!(s.app.dunning_assignments(Some("acme")).await.unwrap().by_debtor.is_empty());

    // Sam (sales) writes on K2, which Sam owns, but not on K1, and chooses no policy.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    let own = sam.get("/debtors/K2").await;
    assert!(own.html.contains("name=\"note\""));
    let csrf = hidden(&own.html, "csrf");
    assert_eq!(
        sam.post("/debtors/K2/notes", &[("csrf", &csrf), ("note", "Called")]).await.status,
        303
    );
    assert!(!sam.get("/debtors/K1").await.html.contains("name=\"note\""));
    assert_eq!(sam.post("/debtors/K1/notes", &[("csrf", &csrf), ("note", "x")]).await.status, 403);
    assert_eq!(
        sam.post("/debtors/K2/policy", &[("csrf", &csrf), ("policy", "nl-consumer")]).await.status,
        403
    );
    let timeline = s.app.timeline(Some("acme"), "K1").await.unwrap();
    let notes = timeline
        .entries
        .iter()
        .filter(|e| matches!(e, arflow_app::timeline::TimelineEntry::Change { action, .. } if action == "debtor.note"))
        .count();
    assert_eq!(notes, 1);
}

/// A bearer call to the REST API: its status.
async fn api_status(s: &Server, token: &str) -> u16 {
    s.client
        .get(format!("{}/api/v1/organisation", s.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The value of the input with `id` in a page.
fn input_value(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" readonly value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {id} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn with_sam(s: &Server) {
    s.app
        .create_user(
            Some("acme"),
            "sam@example.nl",
            "Sam",
            "sales person 123",
            "en",
            Role::Sales,
            &Actor("test".into()),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_api_token_is_shown_once_listed_and_revoked_and_stops_the_api_at_once() {
    let s = seeded().await;
    with_sam(&s).await;
    let actor = Actor("test".into());
    // Bravo's tokens 1 to 3: never shown in Acme, never revoked from there.
    s.app.create_token(Some("bravo"), "bravo-ci", &actor).await.unwrap();
    s.app.create_token(Some("bravo"), "bravo-bank", &actor).await.unwrap();
    let bravo = s.app.create_token(Some("bravo"), "bravo-erp", &actor).await.unwrap();
    assert_eq!(bravo.id.0, 3);

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let list = b.get("/settings/tokens").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("id=\"no-tokens\"") && !list.html.contains("bravo-ci"));
    let csrf = hidden(&list.html, "csrf");
    // A name is needed; a forged form changes nothing.
    let r = b.post("/settings/tokens", &[("csrf", &csrf), ("name", "  ")]).await;
    assert_eq!(r.status, 422, "{}", r.html);
    assert!(r.html.contains("role=\"alert\""));
    assert_eq!(b.post("/settings/tokens", &[("csrf", "x"), ("name", "erp")]).await.status, 403);
    assert!(s.app.list_tokens(Some("acme")).await.unwrap().is_empty());

    let made = b.post("/settings/tokens", &[("csrf", &csrf), ("name", "ERP <koppeling>")]).await;
    assert_eq!(made.status, 201, "{}", made.html);
    let secret = input_value(&made.html, "new-token");
    assert!(secret.starts_with("arf_1_") && secret.len() == 6 + 64, "{secret}");
    assert!(made.html.contains("niet nog eens getoond"), "{}", made.html);
    let r = s
        .client
        .post(format!("{}/settings/tokens", s.base))
        .header("cookie", format!("arflow_session={}", b.cookies.get("arflow_session").unwrap()))
        .form(&[("csrf", csrf.as_str()), ("name", "second")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    // The list: name (escaped), who made it, live; the secret never again.
    let list = b.get("/settings/tokens").await;
    assert!(list.html.contains("ERP &lt;koppeling&gt;"), "{}", list.html);
    assert!(list.html.contains("user:anna@example.nl"));
    assert!(list.html.contains("action=\"/settings/tokens/1/revoke\""));
    assert!(!list.html.contains(&secret) && !list.html.contains("bravo-erp"));

    // The token opens the API (a second call comes from the server's cache).
    assert_eq!(api_status(&s, &secret).await, 200);
    assert_eq!(api_status(&s, &secret).await, 200);
    assert_eq!(api_status(&s, &bravo.token).await, 200);

    // Sales may neither look nor revoke.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    assert_eq!(sam.get("/settings/tokens").await.status, 403);
    let sam_csrf = hidden(&sam.get("/settings").await.html, "csrf");
    assert_eq!(sam.post("/settings/tokens/1/revoke", &[("csrf", &sam_csrf)]).await.status, 403);
    // Bravo's token 3 is not Acme's (Acme has 1 and 2): not found, and it still works.
    assert_eq!(b.post("/settings/tokens/3/revoke", &[("csrf", &csrf)]).await.status, 404);
    assert_eq!(api_status(&s, &bravo.token).await, 200);
    assert_eq!(b.post("/settings/tokens/x/revoke", &[("csrf", &csrf)]).await.status, 404);
    assert_eq!(api_status(&s, &secret).await, 200);

    // Revoked: the very next call is refused.
    let r = b.post("/settings/tokens/1/revoke", &[("csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/settings/tokens")));
    assert_eq!(api_status(&s, &secret).await, 401);
    assert_eq!(api_status(&s, &bravo.token).await, 200, "Bravo's token lives");
    let list = b.get("/settings/tokens").await;
    assert!(list.html.contains("Ingetrokken op"), "{}", list.html);
    assert!(!list.html.contains("action=\"/settings/tokens/1/revoke\""));
    // Revoking again changes nothing.
    assert_eq!(b.post("/settings/tokens/1/revoke", &[("csrf", &csrf)]).await.status, 303);
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(org.id, arflow_store::Page::first(50)).await.unwrap();
    let revokes: Vec<&str> = log
        .iter()
        .filter(|(_, e)| e.action == "token.revoke")
        .map(|(_, e)| e.actor.as_str())
        .collect();
    assert_eq!(revokes, ["user:anna@example.nl"]);
    let bravo_tokens = s.app.list_tokens(Some("bravo")).await.unwrap();
    assert_eq!(bravo_tokens.len(), 3);
    assert!(bravo_tokens.iter().all(|t| t.revoked_at.is_none()));
}

#[tokio::test]
async fn the_audit_log_shows_who_did_what_when_newest_first_filtered_and_paged() {
    let s = seeded().await;
    with_sam(&s).await;
    let actor = Actor("test".into());
    s.app
        .create_user(
            Some("acme"),
            "carl@example.nl",
            "Carl",
            "credit controller 1",
            "en",
            Role::CreditController,
            &actor,
        )
        .await
        .unwrap();
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let bravo = s.app.resolve_organisation(Some("bravo")).await.unwrap();
    // 2026-07-01 10:00 UTC is 12:00 in Amsterdam (summer time).
    let noon: i64 = 1_782_900_000_000_000;
    let entry = |n: i64, who: &str, key: &str| arflow_store::AuditEntry {
        at: noon + n * 60_000_000,
        actor: who.into(),
        action: "debtor.update".into(),
        entity: "debtor".into(),
        entity_key: key.into(),
        details: serde_json::json!({ "n": n }),
    };
    let mut rows: Vec<arflow_store::AuditEntry> =
        (0..60).map(|n| entry(n, "user:bram@example.nl", &format!("K{n}"))).collect();
    rows.push(entry(60, "user:anna@example.nl", "<script>alert(1)</script>"));
    let mut tx = s.app.store.begin_write().await.unwrap();
    tx.insert_audit(acme.id, &rows).await.unwrap();
    tx.insert_audit(bravo.id, &[entry(0, "user:anna@example.nl", "Bravo Secret Client")])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let log = b.get("/audit").await;
    assert_eq!(log.status, 200, "{}", log.html);
    // Newest first, in the organisation's time zone, every value escaped.
    let newest = log.html.find("&lt;script&gt;alert(1)&lt;/script&gt;").unwrap();
    let k59 = log.html.find("debtor: K59<").unwrap();
    assert!(newest < k59, "newest first");
    assert!(!log.html.contains("<script>"));
    assert!(log.html.contains("(Europe/Amsterdam)"), "{}", log.html);
    assert!(
        log.html.contains("<time datetime=\"2026-07-01T13:00:00+02:00\">2026-07-01 13:00</time>"),
        "entry 60 is an hour after noon: {}",
        log.html
    );
    assert!(!log.html.contains("Bravo Secret Client"));
    // 50 a page: K11 is the last on the first; the next page goes on from there.
    assert_eq!(log.html.matches("<tr id=\"audit-").count(), 50);
    assert!(log.html.contains("debtor: K11<") && !log.html.contains("debtor: K10<"));
    let older = {
        let start = log.html.find("id=\"older\" href=\"").unwrap() + "id=\"older\" href=\"".len();
        log.html[start..].split('"').next().unwrap().replace("&amp;", "&")
    };
    let page2 = b.get(&older).await;
    assert_eq!(page2.status, 200);
    assert!(page2.html.contains("debtor: K10<") && !page2.html.contains("debtor: K11<"));
    assert!(page2.html.contains("organisation.create"), "the oldest entries: {}", page2.html);
    assert!(!page2.html.contains("id=\"older\""));

    // By actor (an address is enough) and by text in the action, entity or key.
    let bram = b.get("/audit?actor=Bram%40example.nl").await;
    assert_eq!(bram.html.matches("<tr id=\"audit-").count(), 50);
    assert!(!bram.html.contains("&lt;script&gt;") && !bram.html.contains("organisation.create"));
    assert!(bram.html.contains("value=\"user:bram@example.nl\""));
    let k5 = b.get("/audit?actor=&q=k5").await;
    assert_eq!(k5.html.matches("<tr id=\"audit-").count(), 11, "K5 and K50-K59: {}", k5.html);
    let both = b.get("/audit?actor=user%3Aanna%40example.nl&q=SCRIPT").await;
    assert_eq!(both.html.matches("<tr id=\"audit-").count(), 1);
    assert!(b.get("/audit?q=nothing-like-this").await.html.contains("id=\"no-audit\""));
    // Changes made on the pages name the person.
    let home = b.get("/settings").await;
    let csrf = hidden(&home.html, "csrf");
    b.post("/settings/tokens", &[("csrf", &csrf), ("name", "ci")]).await;
    let mine = b.get("/audit?q=token").await;
    assert!(
        mine.html.contains("<td>user:anna@example.nl</td><td>token.create</td><td>token: 1</td>"),
        "{}",
        mine.html
    );

    // A credit controller and sales may not read it; an accountant may (Anna in Bravo), and
    // sees Bravo's log only.
    let mut carl = Browser::new(&s);
    carl.sign_in("carl@example.nl", "credit controller 1").await;
    assert_eq!(carl.get("/audit").await.status, 403);
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    assert_eq!(sam.get("/audit").await.status, 403);
    b.post("/organisation", &[("csrf", &csrf), ("organisation", "bravo")]).await;
    let in_bravo = b.get("/audit").await;
    assert_eq!(in_bravo.status, 200);
    assert!(in_bravo.html.contains("Bravo Secret Client") && !in_bravo.html.contains("K59"));
    assert!(in_bravo.html.contains("(Europe/Brussels)"));
}

#[tokio::test]
async fn an_admin_adds_people_changes_roles_and_removes_them_but_never_the_last_admin() {
    let s = seeded().await;
    with_sam(&s).await;
    let actor = Actor("test".into());
    // Bea works for Bravo only; Bob has an account in Bravo and gets a role in Acme.
    for (email, name) in [("bea@example.nl", "Bea"), ("bob@example.nl", "Bob")] {
        s.app
            .create_user(Some("bravo"), email, name, "bravo password 1", "nl", Role::Sales, &actor)
            .await
            .unwrap();
    }
    let bravo_members = s.app.organisation_members(Some("bravo")).await.unwrap();
    let bea = bravo_members.iter().find(|m| m.email == "bea@example.nl").unwrap().user_id.0;

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let page = b.get("/settings/users").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("anna@example.nl") && page.html.contains("sam@example.nl"));
    assert!(!page.html.contains("bea@example.nl"), "Bravo's people are Bravo's");
    let csrf = hidden(&page.html, "csrf");
    let anna = s
        .app
        .organisation_members(Some("acme"))
        .await
        .unwrap()
        .iter()
        .find(|m| m.email == "anna@example.nl")
        .unwrap()
        .user_id
        .0;

    // The last admin can neither step down nor be removed.
    let r = b
        .post(&format!("/settings/users/{anna}/role"), &[("csrf", &csrf), ("role", "sales")])
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    assert!(r.html.contains("laatste beheerder"), "{}", r.html);
    let r = b.post(&format!("/settings/users/{anna}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("laatste beheerder"));

    // A new person: an account with a password shown once, which signs in.
    let bad = [
        ("csrf", csrf.as_str()),
        ("email", "nora"),
        ("name", "Nora"),
        ("language", "fr"),
        ("role", "admin"),
    ];
    assert_eq!(b.post("/settings/users", &bad).await.status, 422);
    let form = [
        ("csrf", csrf.as_str()),
        ("email", "Nora@Example.nl"),
        ("name", "Nora <N>"),
        ("language", "fr"),
        ("role", "credit_controller"),
    ];
    let made = b.post("/settings/users", &form).await;
    assert_eq!(made.status, 201, "{}", made.html);
    let password = input_value(&made.html, "new-password");
    assert_eq!(password.len(), 20);
    assert!(made.html.contains("Nora &lt;N&gt;") && made.html.contains("nora@example.nl"));
    let mut nora = Browser::new(&s);
    assert_eq!(nora.sign_in("nora@example.nl", &password).await.status, 303);
    let home = nora.get("/").await;
    assert!(home.html.contains("(gestionnaire crédit)"), "{}", home.html);
    assert_eq!(nora.get("/settings/users").await.status, 403, "not an admin");
    assert!(!b.get("/settings/users").await.html.contains(&password), "shown once");
    // Again: she has a role here already.
    assert_eq!(b.post("/settings/users", &form).await.status, 409);

    // A person with an account gets the role only: no password.
    let bob_form = [
        ("csrf", csrf.as_str()),
        ("email", "bob@example.nl"),
        ("name", ""),
        ("language", "nl"),
        ("role", "sales"),
    ];
    let r = b.post("/settings/users", &bob_form).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/settings/users")), "{}", r.html);
    let mut bob = Browser::new(&s);
    bob.sign_in("bob@example.nl", "bravo password 1").await;
    assert!(bob.get("/").await.html.contains("value=\"acme\""), "Bob may switch to Acme");

    // Nora becomes admin; then Anna may step down, and Nora may remove Anna.
    let nora_id = s
        .app
        .organisation_members(Some("acme"))
        .await
        .unwrap()
        .iter()
        .find(|m| m.email == "nora@example.nl")
        .unwrap()
        .user_id
        .0;
    let r = b
        .post(&format!("/settings/users/{nora_id}/role"), &[("csrf", &csrf), ("role", "admin")])
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(
        b.post(&format!("/settings/users/{nora_id}/role"), &[("csrf", &csrf), ("role", "owner")])
            .await
            .status,
        422
    );
    let nora_csrf = hidden(&nora.get("/settings/users").await.html, "csrf");
    let r = nora.post(&format!("/settings/users/{anna}/remove"), &[("csrf", &nora_csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/settings/users")));
    // Anna's session loses Acme at once; her role in Bravo stays.
    let after = b.get("/settings").await;
    assert_eq!((after.status, after.location.as_deref()), (303, Some("/")));
    let anna_m = s.app.organisation_members(Some("bravo")).await.unwrap();
    assert!(anna_m.iter().any(|m| m.email == "anna@example.nl" && m.role == "accountant"));
    // Now Nora is the last admin.
    let r = nora.post(&format!("/settings/users/{nora_id}/remove"), &[("csrf", &nora_csrf)]).await;
    assert_eq!(r.status, 422);

    // Bravo's people cannot be changed from Acme, by id.
    for path in [format!("/settings/users/{bea}/role"), format!("/settings/users/{bea}/remove")] {
        let r = nora.post(&path, &[("csrf", &nora_csrf), ("role", "admin")]).await;
        assert_eq!(r.status, 404, "{path}");
    }
    assert_eq!(nora.post("/settings/users/x/remove", &[("csrf", &nora_csrf)]).await.status, 404);
    let bravo_members = s.app.organisation_members(Some("bravo")).await.unwrap();
    assert!(bravo_members.iter().any(|m| m.user_id.0 == bea && m.role == "sales"));

    // Sales may neither look nor change; a forged form changes nothing.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    assert_eq!(sam.get("/settings/users").await.status, 403);
    let sam_csrf = hidden(&sam.get("/settings").await.html, "csrf");
    let sam_form = [("csrf", sam_csrf.as_str()), ("role", "admin")];
    let sam_id = s
        .app
        .organisation_members(Some("acme"))
        .await
        .unwrap()
        .iter()
        .find(|m| m.email == "sam@example.nl")
        .unwrap()
        .user_id
        .0;
    assert_eq!(sam.post(&format!("/settings/users/{sam_id}/role"), &sam_form).await.status, 403);
    assert_eq!(
        nora.post(&format!("/settings/users/{sam_id}/role"), &[("csrf", "x"), ("role", "admin")])
            .await
            .status,
        403
    );
    let members = s.app.organisation_members(Some("acme")).await.unwrap();
    let roles: Vec<(&str, &str)> =
        members.iter().map(|m| (m.email.as_str(), m.role.as_str())).collect();
    assert_eq!(
        roles,
        [("bob@example.nl", "sales"), ("nora@example.nl", "admin"), ("sam@example.nl", "sales")]
    );
    // Every change is in the audit log with the person who made it.
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(acme.id, arflow_store::Page::first(50)).await.unwrap();
    let changes: Vec<(&str, &str, &str)> = log
        .iter()
        .filter(|(_, e)| e.actor != "test")
        .map(|(_, e)| (e.actor.as_str(), e.action.as_str(), e.entity_key.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("user:nora@example.nl", "user.remove", "anna@example.nl"),
            ("user:anna@example.nl", "user.role", "nora@example.nl"),
            ("user:anna@example.nl", "user.role", "bob@example.nl"),
            ("user:anna@example.nl", "user.create", "nora@example.nl"),
        ]
    );
}

#[tokio::test]
async fn organisation_settings_are_checked_per_field_and_saved_by_an_admin_only() {
    let s = seeded().await;
    with_sam(&s).await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let page = b.get("/settings").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<a href=\"/settings\">Instellingen</a>"), "the nav links it");
    for link in ["/settings/tokens", "/settings/users", "/audit"] {
        assert!(page.html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    assert!(page.html.contains("id=\"name\" name=\"name\" value=\"Acme BV\""), "{}", page.html);
    assert!(page.html.contains("<label for=\"time_zone\">Tijdzone</label>"));
    assert!(page.html.contains("<option value=\"nl\" selected>Betalingskenmerk (NL)</option>"));
    let csrf = hidden(&page.html, "csrf");
    let form = |name: &'static str, tz: &'static str, iban: &'static str| {
        vec![
            ("name", name),
            ("time_zone", tz),
            ("language", "fr"),
            ("reference_scheme", "ogm"),
            ("iban", iban),
            ("bic", "ABNANL2A"),
            ("enterprise_number", ""),
            ("kvk_number", "12345678"),
            ("vat_number", "NL004495445B01"),
        ]
    };
    // Three problems: each shown at its field, the input kept, nothing changed.
    let mut bad = form(" ", "Europe/Atlantis", "NL00 BANK 0000 0000 00");
    bad.push(("reference_scheme", "xyz"));
    bad.push(("csrf", &csrf));
    let bad: Vec<(&str, &str)> =
        bad.into_iter().filter(|(k, v)| !(*k == "reference_scheme" && *v == "ogm")).collect();
    let r = b.post("/settings", &bad).await;
    assert_eq!(r.status, 422, "{}", r.html);
    for field in ["name", "time_zone", "iban", "reference_scheme"] {
        assert!(r.html.contains(&format!("id=\"{field}-error\"")), "{field}: {}", r.html);
        assert!(r.html.contains(&format!("aria-describedby=\"{field}-error\"")), "{field}");
    }
    assert!(!r.html.contains("id=\"bic-error\""));
    assert!(r.html.contains("value=\"Europe/Atlantis\""), "the input is kept");
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap().organisation;
    assert_eq!(
        (org.name.as_str(), org.time_zone.as_str(), org.iban),
        ("Acme BV", "Europe/Amsterdam", None)
    );

    // Sales reads the settings but cannot change them.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    let sam_page = sam.get("/settings").await;
    assert_eq!(sam_page.status, 200);
    assert!(
        sam_page.html.contains("Only an administrator")
            && !sam_page.html.contains("type=\"submit\">Save")
    );
    assert!(!sam_page.html.contains("href=\"/settings/tokens\""));
    let sam_csrf = hidden(&sam_page.html, "csrf");
    let mut sam_form = form("Sam's BV", "Europe/Brussels", "");
    sam_form.push(("csrf", &sam_csrf));
    assert_eq!(sam.post("/settings", &sam_form).await.status, 403);
    let mut forged = form("Forged BV", "Europe/Brussels", "");
    forged.push(("csrf", "x"));
    assert_eq!(b.post("/settings", &forged).await.status, 403);
    assert_eq!(
        s.app.resolve_organisation(Some("acme")).await.unwrap().organisation.name,
        "Acme BV"
    );

    // Saved: every field, the IBAN in its electronic form, the name in the header.
    let mut good = form("Acme Holding BV", "Europe/Brussels", "NL91 ABNA 0417 1643 00");
    good.push(("csrf", &csrf));
    let r = b.post("/settings", &good).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/settings?saved=1")), "{}", r.html);
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap().organisation;
    assert_eq!(org.name, "Acme Holding BV");
    assert_eq!(org.time_zone, "Europe/Brussels");
    assert_eq!(org.language.as_str(), "fr");
    assert_eq!(org.reference_scheme.as_str(), "ogm");
    assert_eq!(org.iban.as_deref(), Some("NL91ABNA0417164300"));
    assert_eq!(org.bic.as_deref(), Some("ABNANL2A"));
    assert_eq!(org.kvk_number.as_deref(), Some("12345678"));
    assert_eq!(org.vat_number.as_deref(), Some("NL004495445B01"));
    assert_eq!(org.enterprise_number, None);
    let page = b.get("/settings?saved=1").await;
    assert!(page.html.contains("id=\"saved\"") && page.html.contains("Opgeslagen"));
    assert!(page.html.contains("<span id=\"current-organisation\">Acme Holding BV</span>"));
    assert!(page.html.contains("value=\"NL91ABNA0417164300\""));
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(acme.id, arflow_store::Page::first(5)).await.unwrap();
    assert_eq!(
        (log[0].1.actor.as_str(), log[0].1.action.as_str()),
        ("user:anna@example.nl", "organisation.update")
    );
    assert_eq!(log.iter().filter(|(_, e)| e.action == "organisation.update").count(), 1);
}

/// A server whose app sends e-mail through the SMTP server at `addr` (`HOST:PORT`).
async fn with_smtp(addr: &str) -> Server {
    use arflow_notify::email::{Mailer, Security, SmtpConfig};
    let s = seeded().await;
    let (host, port) = addr.rsplit_once(':').unwrap();
    let from = "arflow <arflow@example.test>".parse().unwrap();
    let mut config = SmtpConfig::new(host, port.parse().unwrap(), Security::Plain, from);
    config.timeout = std::time::Duration::from_secs(5);
    let app = s.app.clone().with_mailer(Some(Mailer::new(config).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(arflow_web::serve(app.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let mut s = s;
    // The first server stops; this one answers on the same database, which is now its to
    // remove when dropped.
    if let Some(old) = s.stop.take() {
        let _ = old.send(());
    }
    let db_path = std::mem::take(&mut s.db_path);
    Server { base, app, client: s.client.clone(), db_path, stop: Some(stop) }
}

/// The messages in the test SMTP server's maildir that contain `needle`.
fn mails_with(needle: &str) -> Vec<String> {
    let dir = std::env::var("ARFLOW_TEST_MAILDIR").expect(
        "ARFLOW_TEST_MAILDIR is not set: the SMTP test needs the test mail server (scripts/test)",
    );
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        for entry in std::fs::read_dir(std::path::Path::new(&dir).join(sub)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            if text.contains(needle) {
                found.push(text);
            }
        }
    }
    found
}

#[tokio::test]
async fn an_admin_sends_a_test_message_through_the_configured_smtp_server() {
    let smtp = std::env::var("ARFLOW_TEST_SMTP")
        .expect("ARFLOW_TEST_SMTP is not set: the SMTP test needs the test mail server");
    let s = with_smtp(&smtp).await;
    with_sam(&s).await;
    // A name no other test uses, to find this message in the shared maildir.
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let name = format!("Acme Mailtest {}-{nanos}", std::process::id());
    let details =
        arflow_app::orgs::OrganisationDetails { name: Some(name.clone()), ..Default::default() };
    s.app.update_organisation_details(Some("acme"), &details, &Actor("test".into())).await.unwrap();

    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let page = b.get("/settings").await;
    assert!(page.html.contains("action=\"/settings/smtp-test\""), "{}", page.html);
    let csrf = hidden(&page.html, "csrf");
    // Sales may not; a forged form sends nothing.
    let mut sam = Browser::new(&s);
    sam.sign_in("sam@example.nl", "sales person 123").await;
    let sam_page = sam.get("/settings").await;
    assert!(!sam_page.html.contains("action=\"/settings/smtp-test\""));
    let sam_csrf = hidden(&sam_page.html, "csrf");
    assert_eq!(sam.post("/settings/smtp-test", &[("csrf", &sam_csrf)]).await.status, 403);
    assert_eq!(b.post("/settings/smtp-test", &[("csrf", "x")]).await.status, 403);
    assert!(mails_with(&name).is_empty());

    let r = b.post("/settings/smtp-test", &[("csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/settings?mail=sent")), "{}", r.html);
    let page = b.get("/settings?mail=sent").await;
    assert!(page.html.contains("Testbericht verzonden naar anna@example.nl"), "{}", page.html);
    // The server wrote it to the maildir: to Anna, from the configured sender.
    let mut mails = Vec::new();
    for _ in 0..50 {
        mails = mails_with(&name);
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one message with {name}");
    let mail = &mails[0];
    assert!(mail.contains("anna@example.nl") && mail.contains("arflow@example.test"), "{mail}");
    assert!(mail.contains("X-Arflow-Test: 1"), "{mail}");
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(acme.id, arflow_store::Page::first(1)).await.unwrap();
    assert_eq!(
        (log[0].1.actor.as_str(), log[0].1.action.as_str(), log[0].1.entity_key.as_str()),
        ("user:anna@example.nl", "smtp.test", "anna@example.nl")
    );
}

#[tokio::test]
async fn a_test_message_without_smtp_or_refused_by_the_server_says_why() {
    // No SMTP server configured: 503 with how to configure one.
    let s = seeded().await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let csrf = hidden(&b.get("/settings").await.html, "csrf");
    let r = b.post("/settings/smtp-test", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 503, "{}", r.html);
    assert!(r.html.contains("id=\"mail-failed\"") && r.html.contains("--smtp"), "{}", r.html);
    drop(b);
    drop(s);
    // The test server refuses `reject-me@…` for good: 502 with its answer, and the audit log
    // says so.
    let reject = std::env::var("ARFLOW_TEST_SMTP_REJECT")
        .expect("ARFLOW_TEST_SMTP_REJECT is not set: the SMTP test needs the refusing server");
    let s = with_smtp(&reject).await;
    s.app
        .create_user(
            Some("acme"),
            "reject-me@example.org",
            "Rita",
            "refused admin 123",
            "nl",
            Role::Admin,
            &Actor("test".into()),
        )
        .await
        .unwrap();
    let mut b = Browser::new(&s);
    b.sign_in("reject-me@example.org", "refused admin 123").await;
    let csrf = hidden(&b.get("/settings").await.html, "csrf");
    let r = b.post("/settings/smtp-test", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 502, "{}", r.html);
    assert!(r.html.contains("niet verzonden") && r.html.contains("550"), "{}", r.html);
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(acme.id, arflow_store::Page::first(1)).await.unwrap();
    assert_eq!(log[0].1.action, "smtp.test");
    assert_eq!(log[0].1.details["sent"], false);
}

/// A template draft sent as a test to the signed-in person through the real loopback SMTP
/// server: rendered with sample data, `[TEST]` in the subject, nothing stored; without an SMTP
/// server the editor says so.
#[tokio::test]
async fn a_template_draft_is_sent_as_a_test_to_the_person_editing_it() {
    let smtp = std::env::var("ARFLOW_TEST_SMTP")
        .expect("ARFLOW_TEST_SMTP is not set: the SMTP test needs the test mail server");
    let s = with_smtp(&smtp).await;
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let marker = format!("Brouillon {}-{nanos}", std::process::id());
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let page = b.get("/templates/reminder.fr").await;
    let csrf = hidden(&page.html, "csrf");
    let subject = format!("{marker} pour {{{{ debtor.name }}}}");
    let text = "Bonjour {{ debtor.name }},\r\n\r\n{% include \"fr/_items.txt.j2\" %}\r\n\r\n{% include \"fr/_payment.txt.j2\" %}";
    let form = [
        ("csrf", csrf.as_str()),
        ("subject", subject.as_str()),
        ("text", text),
        ("html", ""),
        ("test_send", "consumer"),
    ];
    let sent = b.post("/templates/reminder.fr", &form).await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    assert!(sent.html.contains("verzonden naar anna@example.nl"), "{}", sent.html);
    assert!(sent.html.contains(&format!("value=\"{marker} pour")), "the draft stays in the form");
    let mut mails = Vec::new();
    for _ in 0..50 {
        mails = mails_with(&marker);
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one test message with {marker}");
    let mail = &mails[0];
    assert!(mail.contains("[TEST]") && mail.contains("anna@example.nl"), "{mail}");
    assert!(mail.contains("Bonjour"), "rendered with sample data: {mail}");
    assert!(!b.get("/templates/reminder.fr").await.html.contains(&marker), "not stored");
    let acme = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let log = s.app.audit_log(acme.id, arflow_store::Page::first(1)).await.unwrap();
    assert_eq!(log[0].1.action, "template.test_send");
    assert_eq!(log[0].1.details["sent"], true);
    // A draft that would not be saved is not sent either.
    let broken =
        [("csrf", csrf.as_str()), ("subject", "{{ oops"), ("text", "x"), ("test_send", "business")];
    assert_eq!(b.post("/templates/reminder.fr", &broken).await.status, 422);

    // Without an SMTP server.
    let plain = seeded().await;
    let mut b = Browser::new(&plain);
    b.sign_in("anna@example.nl", "correct horse battery").await;
    let csrf = hidden(&b.get("/templates/reminder.fr").await.html, "csrf");
    let form = [
        ("csrf", csrf.as_str()),
        ("subject", subject.as_str()),
        ("text", text),
        ("html", ""),
        ("test_send", "business"),
    ];
    let r = b.post("/templates/reminder.fr", &form).await;
    assert_eq!(r.status, 503, "{}", r.html);
    assert!(r.html.contains("geen SMTP-server"), "{}", r.html);
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

/// Branding: an accent colour and a logo uploaded as a browser does, served back so that an
/// SVG cannot run, refused when it is not an image or carries a script; the organisation's own
/// bank accounts: add one, have reminders name it, close the old one (never the one named),
/// and a closed account's statements are refused.
#[tokio::test]
async fn branding_is_uploaded_and_bank_accounts_are_chosen_and_closed() {
    let s = seeded().await;
    let actor = Actor("test".into());
    give_iban(&s, "acme", "NL91ABNA0417164300").await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;

    let page = b.get("/settings/branding").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("id=\"no-logo\"") && page.html.contains("value=\"#1f4e79\""));
    let csrf = hidden(&page.html, "csrf");
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><rect width="80" height="20" fill="#aa0033"/></svg>"##;
    let saved = b
        .post_multipart(
            "/settings/branding",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("accent_colour", None, b"#AA0033"),
                ("logo", Some("logo.svg"), svg),
            ],
        )
        .await;
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (303, Some("/settings/branding?saved=1"))
    );
    let page = b.get("/settings/branding?saved=1").await.html;
    assert!(page.contains("id=\"current-logo\"") && page.contains("value=\"#aa0033\""), "{page}");
    let (status, ctype, csp, bytes) = b.get_bytes("/settings/branding/logo").await;
    assert_eq!((status, ctype.as_str(), bytes.as_slice()), (200, "image/svg+xml", &svg[..]));
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    let stored =
        s.app.branding(s.app.resolve_organisation(Some("acme")).await.unwrap().id).await.unwrap();
    assert_eq!(stored.accent_colour.as_deref(), Some("#aa0033"));

    // Refused, and nothing changes: a script in the SVG, a file that is no image, a bad colour,
    // a form without the session's token.
    let scripted = b"<svg onload=\"alert(1)\"></svg>";
    for (fields, why) in [
        (
            vec![
                ("csrf", None, csrf.as_bytes()),
                ("accent_colour", None, &b"#aa0033"[..]),
                ("logo", Some("x.svg"), &scripted[..]),
            ],
            "scripts",
        ),
        (
            vec![
                ("csrf", None, csrf.as_bytes()),
                ("accent_colour", None, &b"#aa0033"[..]),
                ("logo", Some("x.gif"), &b"GIF89a"[..]),
            ],
            "PNG",
        ),
        (vec![("csrf", None, csrf.as_bytes()), ("accent_colour", None, &b"purple"[..])], "#rrggbb"),
    ] {
        let refused = b.post_multipart("/settings/branding", &fields).await;
        assert_eq!(refused.status, 422, "{why}");
        assert!(
            refused.html.contains("id=\"problem\"") && refused.html.contains(why),
            "{why}: {}",
            refused.html
        );
    }
    let forged = b
        .post_multipart(
            "/settings/branding",
            &[("csrf", None, b"forged"), ("default_colour", None, b"on")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let bad_body = b.post("/settings/branding", &[("csrf", &csrf)]).await;
    assert_eq!(bad_body.status, 400, "a form that is not multipart");
    assert_eq!(
        s.app.branding(s.app.resolve_organisation(Some("acme")).await.unwrap().id).await.unwrap(),
        stored
    );
    // Back to arflow's colour, the logo removed.
    let reset = b
        .post_multipart(
            "/settings/branding",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("default_colour", None, b"on"),
                ("accent_colour", None, b"#aa0033"),
                ("remove_logo", None, b"on"),
                ("logo", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(reset.status, 303);
    assert_eq!(b.get_bytes("/settings/branding/logo").await.0, 404);
    assert!(b.get("/settings/branding").await.html.contains("id=\"no-logo\""));

    // Bank accounts: the one in the settings is named; add another.
    let page = b.get("/settings/bank-accounts").await.html;
    assert!(row_of(&page, "payment-account").contains("NL91ABNA0417164300"), "{page}");
    let added = b
        .post(
            "/settings/bank-accounts",
            &[
                ("csrf", &csrf),
                ("iban", "nl02 abna 0123 4567 89"),
                ("bic", "abnanl2a"),
                ("label", "Ontvangsten"),
            ],
        )
        .await;
    assert_eq!(added.status, 303);
    let bad = b
        .post(
            "/settings/bank-accounts",
            &[("csrf", &csrf), ("iban", "NL02ABNA0123456788"), ("bic", "")],
        )
        .await;
    assert_eq!(bad.status, 422);
    // The named account cannot be closed; choose the new one, then close the old one.
    assert_eq!(
        b.post("/settings/bank-accounts/NL91ABNA0417164300/close", &[("csrf", &csrf)]).await.status,
        422
    );
    assert_eq!(
        b.post("/settings/bank-accounts/NL02ABNA0123456789/pay-to", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap().organisation;
    assert_eq!(
        (org.iban.as_deref(), org.bic.as_deref()),
        (Some("NL02ABNA0123456789"), Some("ABNANL2A"))
    );
    assert_eq!(
        b.post("/settings/bank-accounts/NL91ABNA0417164300/close", &[("csrf", &csrf)]).await.status,
        303
    );
    let page = b.get("/settings/bank-accounts").await.html;
    assert!(row_of(&page, "payment-account").contains("NL02ABNA0123456789"), "{page}");
    assert!(page.contains("/settings/bank-accounts/NL91ABNA0417164300/reopen"), "{page}");
    // A closed account cannot be named; one that is not the organisation's is not found.
    assert_eq!(
        b.post("/settings/bank-accounts/NL91ABNA0417164300/pay-to", &[("csrf", &csrf)])
            .await
            .status,
        422
    );
    assert_eq!(
        b.post("/settings/bank-accounts/BE68539007547034/pay-to", &[("csrf", &csrf)]).await.status,
        404
    );
    assert_eq!(
        b.post("/settings/bank-accounts/NL02ABNA0123456789/close", &[("csrf", "forged")])
            .await
            .status,
        403
    );

    // The camt statements of these tests arrive on NL02ABNA0123456789: close it (after naming
    // the old one again) and its statements are refused whole.
    assert_eq!(
        b.post("/settings/bank-accounts/NL91ABNA0417164300/reopen", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    assert_eq!(
        b.post("/settings/bank-accounts/NL91ABNA0417164300/pay-to", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    assert_eq!(
        b.post("/settings/bank-accounts/NL02ABNA0123456789/close", &[("csrf", &csrf)]).await.status,
        303
    );
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let refused = s
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
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("m.xml: statement S1 is for account NL02ABNA0123456789, which is closed"),
        "{refused}"
    );
    assert!(s.app.bank_accounts(org.id).await.unwrap().is_empty(), "nothing was stored");
    // Reopened, the same file is taken.
    assert_eq!(
        b.post("/settings/bank-accounts/NL02ABNA0123456789/reopen", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    s.app
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
    // The settings name who did what.
    let audit = b.get("/audit").await.html;
    for action in [
        "organisation.branding",
        "bank_account.save",
        "bank_account.pay_to",
        "bank_account.close",
        "bank_account.reopen",
    ] {
        assert!(audit.contains(action), "{action}");
    }
}

/// The table row with `id`, up to its end.
fn row_of<'h>(html: &'h str, id: &str) -> &'h str {
    let marker = format!("<tr id=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no row {id} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// Before today's run the dashboard says what the run would do: planned in the background (a
/// page may not wait for it), the same actions as the dunning preview, and when it was worked
/// out. After the run, the run's own actions.
#[tokio::test]
async fn the_dashboard_shows_what_todays_run_would_do_before_it_runs() {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language,email\nK1,Klant BV,business,NL,nl,boekhouding@klant.nl\nK2,Tweede BV,business,NL,nl,info@tweede.nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\nF2,K2,2026-01-05,2026-02-04,50.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    give_iban(&s, "acme", "NL91ABNA0417164300").await;
    let mut b = Browser::new(&s);
    b.sign_in("anna@example.nl", "correct horse battery").await;

    let first = b.get("/").await.html;
    assert!(
        first.contains("data-status=\"planning\"") || first.contains("data-status=\"planned\""),
        "{first}"
    );
    let mut html = first;
    for _ in 0..100 {
        if html.contains("data-status=\"planned\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        html = b.get("/").await.html;
    }
    assert!(html.contains("id=\"run-today\" data-status=\"planned\""), "{html}");
    // The same as the preview: one reminder by e-mail to each debtor, 171.00 open together.
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    let preview = s.app.dunning_preview(Some("acme"), None, &gate).await.unwrap();
    assert_eq!(preview.actions.len(), 2);
    assert_eq!(by_id(&html, "run-actions"), "2");
    assert!(
        html.contains("<tr><td>reminder</td><td>email</td><td class=\"num\">2</td><td class=\"num\">0</td></tr>"),
        "{html}"
    );
    let note = &html[html.find("id=\"next-run\"").unwrap()..];
    assert!(note.contains("data-awaiting=\"0\"") && note.contains("EUR 171,00"), "{note}");
    assert!(note.contains("0 stappen geweigerd") && note.contains("Berekend om <time>"), "{note}");
    // Nothing was run or written by planning.
    assert!(
        s.app.outbox(Some("acme"), None, arflow_store::Page::first(5)).await.unwrap().is_empty()
    );

    // The run: the dashboard shows what it did.
    s.app.dunning_run(Some("acme"), None, false, &gate, &actor).await.unwrap();
    let after = b.get("/").await.html;
    assert!(after.contains("id=\"run-today\" data-status=\"done\""), "{after}");
    assert_eq!(by_id(&after, "run-actions"), "2");
    assert!(!after.contains("id=\"next-run\""));
}

// ------------------------------------------------------------------------------- the portal

/// The portal link in the newest message to `debtor` (`/p/<64 hex>`).
async fn portal_path(s: &Server, org: &str, debtor: &str) -> String {
    let messages = s.app.outbox(Some(org), None, arflow_store::Page::first(50)).await.unwrap();
    let m = messages.iter().find(|m| m.debtor_number == debtor).expect("a message to the debtor");
    let at = m.message.text_body.find("/p/").expect("a portal link in the message");
    let token: String =
        m.message.text_body[at + 3..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 64, "{}", m.message.text_body);
    format!("/p/{token}")
}

/// A portal seeded with two debtors of Acme with overdue invoices, after a run that sent each a
/// reminder carrying its personal link.
async fn portal_seeded() -> (Server, App) {
    let s = seeded().await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language,email,postal_code\nK1,Klant BV,business,NL,nl,boekhouding@klant.nl,3511 AB\nK2,Tweede BV,business,NL,fr,info@tweede.nl,1000\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount,payment_reference\nF1,K1,2026-01-01,2026-01-31,121.00,\nF2,K2,2026-01-05,2026-02-04,50.00,\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    give_iban(&s, "acme", "NL91ABNA0417164300").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    s.app.put_invoice_pdf(org.id, "F2", b"%PDF-1.4 K2's own invoice", &actor).await.unwrap();
    let app = s.app.clone().with_public_url(Some(s.base.clone()));
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    app.dunning_run(Some("acme"), None, false, &gate, &actor).await.unwrap();
    (s, app)
}

/// A reminder carries the debtor's own link; it opens that debtor's page only, with its items,
/// the amount to pay and the EPC QR code; forged, unknown and revoked links open nothing and all
/// look alike; another debtor's PDF is not found; the page is kept out of caches and referrers.
#[tokio::test]
async fn a_reminders_link_opens_the_debtors_own_page_and_nothing_else() {
    let (s, app) = portal_seeded().await;
    let k1 = portal_path(&s, "acme", "K1").await;
    let k2 = portal_path(&s, "acme", "K2").await;
    assert_ne!(k1, k2);
    let mut b = Browser::new(&s);
    let r = s.client.get(format!("{}{k1}", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(
        r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"nl\"") && page.contains("Beste Klant BV"), "{page}");
    assert!(page.contains("id=\"item-F1\" data-open=\"121.00\""), "{page}");
    assert!(page.contains("id=\"total\" data-amount=\"121.00\">EUR 121,00<"), "{page}");
    assert!(!page.contains("F2") && !page.contains("Tweede"), "another debtor's data");
    assert!(page.contains("<dd id=\"iban\">NL91ABNA0417164300</dd>"));
    // The EPC QR code: its payload names the IBAN, the amount and the items, and it is drawn.
    let qr = &page[page.find("id=\"qr-total\"").unwrap()..];
    assert!(qr.contains("data-epc=\"BCD\n002\n1\nSCT\n"), "{qr}");
    assert!(qr.contains("NL91ABNA0417164300\nEUR121.00\n") && qr.contains("K1 F1"), "{qr}");
    assert!(qr.contains("<svg role=\"img\""));
    // The debtor's language, switchable to each of the four.
    let k2_page = b.get(&k2).await.html;
    assert!(k2_page.contains("<html lang=\"fr\"") && k2_page.contains("EUR 50,00"), "{k2_page}");
    for (lang, word) in
        [("de", "Offene Rechnungen"), ("en", "Open invoices"), ("nl", "Openstaande facturen")]
    {
        assert!(b.get(&format!("{k2}?lang={lang}")).await.html.contains(word), "{lang}");
    }
    // K2's PDF through K2's link; not through K1's.
    let pdf = s.client.get(format!("{}{k2}/invoices/F2/pdf", s.base)).send().await.unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert_eq!(pdf.bytes().await.unwrap().as_ref(), b"%PDF-1.4 K2's own invoice");
    assert_eq!(b.get(&format!("{k1}/invoices/F2/pdf")).await.status, 404);
    assert_eq!(b.get(&format!("{k1}/invoices/F1/pdf")).await.status, 404, "F1 has no PDF");
    // Forged (one character changed), unknown and malformed links: the same answer.
    let mut forged: Vec<char> = k1.chars().collect();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == '0' { '1' } else { '0' };
    let forged: String = forged.into_iter().collect();
    let not_valid = b.get(&forged).await;
    assert_eq!(not_valid.status, 404);
    for other in [format!("/p/{}", "0".repeat(64)), "/p/short".to_owned(), format!("{k1}x")] {
        let p = b.get(&other).await;
        assert_eq!((p.status, p.html.as_str()), (404, not_valid.html.as_str()), "{other}");
    }
    // Revoked by staff: it opens nothing from then on; the debtor's other data stays.
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let links = s.app.portal_links(org.id, "K1").await.unwrap();
    assert_eq!(links.len(), 1);
    assert!(links[0].last_used_at.is_some(), "the visit is noted");
    // Staff see the link on the debtor's page and revoke it there.
    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let debtor = anna.get("/debtors/K1").await.html;
    assert!(debtor.contains(&format!("id=\"portal-link-{}\"", links[0].id)), "{debtor}");
    let csrf = hidden(&debtor, "csrf");
    let revoke = format!("/debtors/K1/portal-links/{}/revoke", links[0].id);
    assert_eq!(anna.post(&revoke, &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(anna.post(&revoke, &[("csrf", &csrf)]).await.status, 404, "revoked already");
    let k2_revoke = format!("/debtors/K2/portal-links/{}/revoke", links[0].id);
    assert_eq!(anna.post(&k2_revoke, &[("csrf", &csrf)]).await.status, 404, "not K2's link");
    assert_eq!(b.get(&k1).await.html, not_valid.html);
    assert_eq!(b.get(&k2).await.status, 200, "K2's link still works");
    // A new link for K1, made on its page, works; the old one stays revoked.
    let made = anna.post("/debtors/K1/portal-links", &[("csrf", &csrf)]).await;
    assert_eq!(made.status, 201);
    // Without a public address configured the page gives the link's path.
    let at = made.html.find("persoonlijke link: /p/").expect("the new link") + 19;
    let new_link: String = made.html[at..].chars().take(3 + 64).collect();
    assert_eq!(b.get(&new_link).await.status, 200);
    assert_eq!(b.get(&k1).await.status, 404);
    // A second run the next day reuses each debtor's open link.
    drop(app);
}

/// Each answer: recorded on the debtor's timeline, a task for its owner, its effect on dunning
/// and a confirmation in the outbox; a bad answer is refused with the reason and changes nothing.
#[tokio::test]
async fn a_debtor_answers_through_the_portal_and_dunning_follows() {
    let (s, _app) = portal_seeded().await;
    let k1 = portal_path(&s, "acme", "K1").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let mut b = Browser::new(&s);
    let messages_before =
        s.app.outbox(Some("acme"), None, arflow_store::Page::first(100)).await.unwrap().len();

    // A question.
    let r = b
        .post_multipart(
            &format!("{k1}/answer?lang=nl"),
            &[("kind", None, b"question"), ("text", None, b"Klopt het btw-bedrag op F1?")],
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some(format!("{k1}?lang=nl&done=question").as_str())),
        "{}",
        r.html
    );
    assert!(
        b.get(&format!("{k1}?lang=nl&done=question"))
            .await
            .html
            .contains("id=\"done\" data-kind=\"question\"")
    );
    // A promise within the limits holds dunning until the date plus the grace days.
    let promised = arflow_core::date::add_days(today, 10);
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"promise"), ("date", None, promised.to_string().as_bytes())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let hold_until = arflow_core::date::add_days(promised, 3);
    let filter =
        arflow_store::DebtorFilter { promised_from: Some(hold_until), ..Default::default() };
    let held = s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap();
    assert_eq!(held.iter().map(|d| d.debtor.number.as_str()).collect::<Vec<_>>(), vec!["K1"]);
    // Too far ahead: refused with the limit, nothing stored.
    let far = arflow_core::date::add_days(today, 60);
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"promise"), ("date", None, far.to_string().as_bytes())],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.html.contains("id=\"problem\"")
            && r.html.contains(&format!(
                "Kies een datum van {} tot en met {}",
                arflow_app::written_date(today, arflow_core::party::Language::Nl),
                arflow_app::written_date(
                    arflow_core::date::add_days(today, 30),
                    arflow_core::party::Language::Nl
                )
            )),
        "{}",
        r.html
    );
    // A dispute with a photo: the invoice is held until it is resolved; a second one is refused.
    let jpeg = b"\xff\xd8\xff\xe0 a photo of the broken delivery";
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"dispute"),
                ("invoice", None, b"F1"),
                ("reason", None, b"quality"),
                ("text", None, b"De levering was beschadigd."),
                ("file", Some("foto.jpg"), jpeg),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let disputes = s.app.disputes(org.id, "K1").await.unwrap();
    assert_eq!(
        (disputes.len(), disputes[0].status.as_str(), disputes[0].reason.as_str()),
        (1, "open", "quality")
    );
    let filter = arflow_store::DebtorFilter { disputed: true, ..Default::default() };
    assert_eq!(
        s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap().len(),
        1
    );
    let page = b.get(&k1).await.html;
    assert!(page.contains("in onderzoek"), "the page shows the dispute");
    let again = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"dispute"),
                ("invoice", None, b"F1"),
                ("reason", None, b"price"),
                ("text", None, b"x"),
            ],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.html);
    // Another debtor's invoice is not one of K1's.
    let cross = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"dispute"),
                ("invoice", None, b"F2"),
                ("reason", None, b"price"),
                ("text", None, b"x"),
            ],
        )
        .await;
    assert_eq!(cross.status, 422);
    assert!(cross.html.contains("Kies een van uw openstaande facturen."));
    // Already paid, with a PDF as proof; a script as "proof" is refused.
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"paid"),
                ("paid_on", None, today.to_string().as_bytes()),
                ("amount", None, b"121,00"),
                ("file", Some("bank.pdf"), b"%PDF-1.7 afschrift"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let bad = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"paid"),
                ("paid_on", None, today.to_string().as_bytes()),
                ("file", Some("x.html"), b"<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let tomorrow = arflow_core::date::add_days(today, 1);
    let future = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"paid"), ("paid_on", None, tomorrow.to_string().as_bytes())],
        )
        .await;
    assert_eq!(future.status, 422);
    // New contact details: a task to check them (never applied by themselves); a bad address is
    // refused.
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"contact"), ("email", None, b"nieuw@klant.nl")],
        )
        .await;
    assert_eq!(r.status, 303);
    let bad = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"contact"), ("email", None, b"not an address")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let k1_debtor = s.app.debtor_view(org.id, "K1").await.unwrap();
    assert_eq!(k1_debtor.debtor.debtor.emails[0].value, "boekhouding@klant.nl");

    // Five answers: five tasks, five confirmations in Dutch, on the timeline.
    let tasks = s.app.tasks(Some("acme"), true, None, arflow_store::Page::first(50)).await.unwrap();
    let kinds: Vec<&str> =
        tasks.iter().filter(|t| t.kind.starts_with("portal_")).map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    for k in
        ["portal_question", "portal_promise", "portal_dispute", "portal_paid", "portal_contact"]
    {
        assert!(kinds.contains(&k), "{k}");
    }
    let messages = s.app.outbox(Some("acme"), None, arflow_store::Page::first(100)).await.unwrap();
    let confirmations: Vec<_> =
        messages.iter().filter(|m| m.message.message_id.starts_with("<portal-")).collect();
    assert_eq!(confirmations.len(), 5);
    assert_eq!(messages.len(), messages_before + 5);
    assert!(confirmations.iter().all(|m| m.message.recipient == "boekhouding@klant.nl"
        && m.message.subject == "Uw bericht aan Acme BV is ontvangen"));
    let timeline =
        serde_json::to_string(&s.app.timeline(Some("acme"), "K1").await.unwrap()).unwrap();
    for action in
        ["portal.question", "portal.promise", "portal.dispute", "portal.paid", "portal.contact"]
    {
        assert!(timeline.contains(action), "{action}");
    }
    // The proof is kept as uploaded.
    let responses = s.app.portal_responses(org.id, "K1").await.unwrap();
    let paid = responses.iter().find(|r| r.kind == "paid").unwrap();
    let proof = s.app.portal_upload(org.id, paid.id).await.unwrap();
    assert_eq!(
        (proof.content_type.as_str(), proof.content.as_slice()),
        ("application/pdf", &b"%PDF-1.7 afschrift"[..])
    );
    // Staff see the dispute and the uploaded files on the debtor's page, and resolve it there:
    // the hold is lifted.
    let actor = Actor("user:anna@example.nl".into());
    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let debtor = anna.get("/debtors/K1").await.html;
    let open_row = format!("id=\"dispute-{}\" data-status=\"open\"", disputes[0].id);
    assert!(debtor.contains(&open_row), "{debtor}");
    let file_link = format!("<a href=\"/portal-files/{}\">bank.pdf</a>", paid.id);
    assert!(debtor.contains(&file_link), "{debtor}");
    let (status, ctype, csp, bytes) = anna.get_bytes(&format!("/portal-files/{}", paid.id)).await;
    assert_eq!((status, ctype.as_str(), csp.as_str()), (200, "application/pdf", "sandbox"));
    assert_eq!(bytes, b"%PDF-1.7 afschrift");
    let csrf = hidden(&debtor, "csrf");
    let resolve = format!("/disputes/{}/resolve", disputes[0].id);
    let form = [("csrf", csrf.as_str()), ("resolution", "upheld"), ("note", "In orde.")];
    let r = anna.post(&resolve, &form).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/debtors/K1")));
    let filter = arflow_store::DebtorFilter { disputed: true, ..Default::default() };
    assert!(
        s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap().is_empty()
    );
    assert!(
        s.app.resolve_dispute(org.id, disputes[0].id, "rejected", "", &actor).await.is_err(),
        "once"
    );
    let other = s.app.resolve_organisation(Some("other")).await.unwrap();
    assert!(
        s.app.resolve_dispute(other.id, disputes[0].id, "upheld", "", &actor).await.is_err(),
        "not Other's"
    );
}

/// The organisation's second question: asked before the page opens, answered once per browser
/// (a cookie for that link only), wrong answers limited; an expired link says so.
#[tokio::test]
async fn a_second_check_guards_the_page_and_expired_links_say_so() {
    let (s, _app) = portal_seeded().await;
    let k1 = portal_path(&s, "acme", "K1").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let actor = Actor("user:anna@example.nl".into());
    let mut settings = s.app.portal_settings(org.id).await.unwrap();
    settings.second_check = arflow_app::portal::SecondCheck::PostalCode;
    s.app.set_portal_settings(org.id, &settings, &actor).await.unwrap();
    let mut b = Browser::new(&s);
    let asked = b.get(&k1).await;
    assert_eq!(asked.status, 200);
    assert!(asked.html.contains("name=\"answer\"") && !asked.html.contains("F1"), "{}", asked.html);
    let wrong = b.post(&format!("{k1}/check"), &[("answer", "9999 ZZ")]).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("id=\"wrong-check\""));
    // Spaces and case do not matter.
    let right = b.post(&format!("{k1}/check"), &[("answer", "3511ab")]).await;
    assert_eq!(right.status, 303);
    let page = b.get(&k1).await;
    assert!(page.status == 200 && page.html.contains("id=\"item-F1\""), "{}", page.html);
    // Another browser must answer too.
    let mut other = Browser::new(&s);
    assert!(!other.get(&k1).await.html.contains("id=\"item-F1\""));
    // Wrong answers are limited per address: after five, even the right one waits.
    for _ in 0..5 {
        other.post(&format!("{k1}/check"), &[("answer", "0000")]).await;
    }
    assert_eq!(other.post(&format!("{k1}/check"), &[("answer", "3511 AB")]).await.status, 429);

    // A link from a run long ago has expired: the page says so and by whom to ask.
    settings.second_check = arflow_app::portal::SecondCheck::None;
    s.app.set_portal_settings(org.id, &settings, &actor).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let app = s.app.clone().with_public_url(Some(s.base.clone()));
    let debtors =
        b"number,name,kind,country,language,email\nK3,Oud BV,business,NL,nl,oud@example.nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d3.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let long_ago = arflow_core::date::add_days(today, -300);
    let invoices = format!(
        "number,debtor_number,issue_date,due_date,amount\nF3,K3,{},{},10.00\n",
        arflow_core::date::add_days(long_ago, -40),
        arflow_core::date::add_days(long_ago, -10)
    );
    s.app
        .import_invoices_csv(
            Some("acme"),
            "i3.csv",
            invoices.as_bytes(),
            Default::default(),
            &actor,
        )
        .await
        .unwrap();
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    app.dunning_run(Some("acme"), Some(long_ago), false, &gate, &actor).await.unwrap();
    let k3 = portal_path(&s, "acme", "K3").await;
    let expired = b.get(&k3).await;
    assert_eq!(expired.status, 410, "{}", expired.html);
    assert!(expired.html.contains("Acme BV"), "{}", expired.html);
}

/// A promise made in the portal holds dunning until its date plus the grace days; broken, the
/// next run takes the next step at once and tells the owner.
#[tokio::test]
async fn a_broken_promise_resumes_dunning_one_step_further_with_a_task() {
    let (s, app) = portal_seeded().await;
    let k1 = portal_path(&s, "acme", "K1").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let day = |n| arflow_core::date::add_days(today, n);
    let mut b = Browser::new(&s);
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[("kind", None, b"promise"), ("date", None, day(5).to_string().as_bytes())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let actor = Actor("test".into());
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    let steps_of = |report: &arflow_app::dunning::RunReport| -> Vec<(String, String)> {
        report.actions.iter().map(|a| (a.debtor.clone(), a.step.clone())).collect()
    };
    // The last day of the grace: K1 is held (K2, without a promise, is not due yet either).
    let held = app.dunning_run(Some("acme"), Some(day(8)), false, &gate, &actor).await.unwrap();
    assert!(!steps_of(&held).iter().any(|(d, _)| d == "K1"), "{:?}", steps_of(&held));
    // The day after: the next step for K1, though its own timing would wait.
    let resumed = app.dunning_run(Some("acme"), Some(day(9)), false, &gate, &actor).await.unwrap();
    let k1_steps: Vec<String> =
        steps_of(&resumed).into_iter().filter(|(d, _)| d == "K1").map(|(_, s)| s).collect();
    assert_eq!(k1_steps, vec!["second_reminder"], "{:?}", steps_of(&resumed));
    let tasks = s.app.tasks(Some("acme"), true, None, arflow_store::Page::first(50)).await.unwrap();
    let broken: Vec<_> = tasks.iter().filter(|t| t.kind == "promise_broken").collect();
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0].title.contains(&format!("K1 promised to pay F1 (held until {})", day(8))),
        "{}",
        broken[0].title
    );
    // The promise is gone: the next run follows the policy's own timing again.
    let filter = arflow_store::DebtorFilter { promised_from: Some(today), ..Default::default() };
    assert!(
        s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap().is_empty()
    );
    let next = app.dunning_run(Some("acme"), Some(day(10)), false, &gate, &actor).await.unwrap();
    assert!(!steps_of(&next).iter().any(|(d, _)| d == "K1"), "{:?}", steps_of(&next));
}

/// Paying online: the portal sends the debtor to the provider's checkout (a local fake of
/// Mollie's API) for one invoice or all; the provider's webhook, read back from the provider,
/// records the payment once and allocates it; a repeated or unknown webhook changes nothing; a
/// cancelled payment leaves the invoice open.
#[tokio::test]
async fn a_debtor_pays_online_and_the_webhook_records_it_once() {
    let (fake_base, fake) = mollie_fake::start().await;
    let s = seeded_with(|app, base| {
        let mollie = arflow_app::payments::Mollie::new(&fake_base, mollie_fake::KEY).unwrap();
        app.with_public_url(Some(base.to_owned())).with_payments(Some(Arc::new(mollie)))
    })
    .await;
    let actor = Actor("test".into());
    let debtors = b"number,name,kind,country,language,email\nK1,Klant BV,business,NL,nl,boekhouding@klant.nl\n";
    s.app
        .import_debtors_csv(Some("acme"), "d.csv", debtors, Default::default(), &actor)
        .await
        .unwrap();
    let invoices = b"number,debtor_number,issue_date,due_date,amount\nF1,K1,2026-01-01,2026-01-31,121.00\nF2,K1,2026-02-01,2026-03-03,10.00\n";
    s.app
        .import_invoices_csv(Some("acme"), "i.csv", invoices, Default::default(), &actor)
        .await
        .unwrap();
    give_iban(&s, "acme", "NL91ABNA0417164300").await;
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    s.app.dunning_run(Some("acme"), None, false, &gate, &actor).await.unwrap();
    let k1 = portal_path(&s, "acme", "K1").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let mut b = Browser::new(&s);
    let page = b.get(&k1).await.html;
    assert!(page.contains("id=\"pay-online\""), "{page}");

    // F2 alone, cancelled at the checkout: nothing is recorded.
    let r = b.post(&format!("{k1}/pay"), &[("invoice", "F2"), ("method", "bancontact")]).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let checkout = r.location.unwrap();
    assert!(checkout.starts_with(&format!("{fake_base}/checkout/tr_fake")), "{checkout}");
    let first_id = checkout.rsplit('/').next().unwrap().to_owned();
    {
        let f = fake.lock().unwrap();
        let p = &f.payments[&first_id];
        assert_eq!(
            (p["amount"]["value"].as_str(), p["amount"]["currency"].as_str(), p["method"].as_str()),
            (Some("10.00"), Some("EUR"), Some("bancontact"))
        );
        assert!(p["webhookUrl"].as_str().unwrap().ends_with("/webhooks/mollie"));
        assert!(p["redirectUrl"].as_str().unwrap().starts_with(&format!("{}{k1}?paid=", s.base)));
    }
    let back = s.client.post(&checkout).form(&[("status", "canceled")]).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    let returned = back.headers()["location"].to_str().unwrap().to_owned();
    let page = b.get(returned.strip_prefix(&s.base).unwrap()).await.html;
    assert!(page.contains("id=\"online-payment\" data-status=\"canceled\""), "{page}");
    let paid_f = |n: &str| {
        let app = s.app.clone();
        let n = n.to_owned();
        async move { app.invoice_view(org.id, &n).await.unwrap().invoice.open.to_string() }
    };
    assert_eq!(paid_f("F2").await, "10.00");

    // Another debtor's or an unknown invoice is refused with the reason.
    let r = b.post(&format!("{k1}/pay"), &[("invoice", "F2"), ("invoice", "F9")]).await;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("F9 is not one of your open invoices"), "{}", r.html);
    // Several invoices (here both, each ticked on the page), paid: the webhook records one
    // payment of 131.00 and allocates it.
    assert_eq!(page.matches("name=\"invoice\" value=\"F").count(), 2, "{page}");
    assert_eq!(page.matches("type=\"checkbox\" name=\"invoice\"").count(), 2, "{page}");
    let r = b
        .post(&format!("{k1}/pay"), &[("invoice", "F1"), ("invoice", "F2"), ("method", "ideal")])
        .await;
    let checkout = r.location.unwrap();
    let id = checkout.rsplit('/').next().unwrap().to_owned();
    assert_eq!(fake.lock().unwrap().payments[&id]["amount"]["value"], "131.00");
    let back = s.client.post(&checkout).form(&[("status", "paid")]).send().await.unwrap();
    let returned = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(fake.lock().unwrap().webhook_calls.last().unwrap(), &(id.clone(), 200));
    let page = b.get(returned.strip_prefix(&s.base).unwrap()).await.html;
    assert!(page.contains("id=\"online-payment\" data-status=\"paid\""), "{page}");
    assert!(page.contains("id=\"nothing-open\""), "{page}");
    assert_eq!((paid_f("F1").await, paid_f("F2").await), ("0.00".to_owned(), "0.00".to_owned()));
    let payments = s
        .app
        .list_payments(org.id, &Default::default(), arflow_store::Page::first(10))
        .await
        .unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (payments[0].payment.amount.to_string(), payments[0].payment.external_id.as_str()),
        ("131.00".to_owned(), format!("mollie:{id}").as_str())
    );
    // The provider calls again (it does, until it gets a 200), and someone posts a made-up id:
    // nothing changes.
    for made_up in [id.as_str(), "tr_nonexistent", "../../etc"] {
        let r = s
            .client
            .post(format!("{}/webhooks/mollie", s.base))
            .form(&[("id", made_up)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{made_up}");
    }
    assert_eq!(
        s.app
            .list_payments(org.id, &Default::default(), arflow_store::Page::first(10))
            .await
            .unwrap()
            .len(),
        1
    );
    // Nothing open: nothing to pay.
    let r = b.post(&format!("{k1}/pay"), &[("invoice", "")]).await;
    assert_eq!(r.status, 422);
}

/// A person sets up a payment plan on the debtor's page: it starts at once, beyond the rules
/// too (the person decides), once; what no plan may be is refused with the reason.
#[tokio::test]
async fn staff_set_up_a_payment_plan_on_the_debtors_page() {
    let (s, _app) = portal_seeded().await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let day = |n| arflow_core::date::add_days(today, n).to_string();
    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let page = anna.get("/debtors/K2").await.html;
    assert!(
        page.contains("id=\"new-plan\"") && page.contains("action=\"/debtors/K2/plans\""),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    // Nothing stored for a missing date or a first instalment in the past.
    let r = anna
        .post(
            "/debtors/K2/plans",
            &[("csrf", &csrf), ("first_due", "morgen"), ("count", "2"), ("interval", "monthly")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("Geef de datum van de eerste termijn."), "{}", r.html);
    let r = anna
        .post(
            "/debtors/K2/plans",
            &[("csrf", &csrf), ("first_due", &day(-1)), ("count", "2"), ("interval", "monthly")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    assert!(s.app.plans_of(org.id, "K2").await.unwrap().is_empty());
    // K2 (50.00) in 12 weekly instalments is beyond the rules, but a person decides here.
    let r = anna
        .post(
            "/debtors/K2/plans",
            &[("csrf", &csrf), ("first_due", &day(3)), ("count", "12"), ("interval", "weekly")],
        )
        .await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/debtors/K2#portal")), "{}", r.html);
    let plans = s.app.plans_of(org.id, "K2").await.unwrap();
    assert_eq!(plans.len(), 1);
    let p = &plans[0];
    assert_eq!((p.state, p.instalments.len()), (arflow_store::PlanState::Active, 12));
    assert!(p.decided_by.as_deref().is_some_and(|b| b.contains("anna")), "{:?}", p.decided_by);
    assert_eq!(p.created_by, p.decided_by.clone().unwrap());
    let tasks = s.app.tasks(Some("acme"), true, None, arflow_store::Page::first(50)).await.unwrap();
    assert!(!tasks.iter().any(|t| t.kind == "plan_review"), "nobody else needs to decide");
    let filter = arflow_store::DebtorFilter { in_payment_plan: true, ..Default::default() };
    let held = s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap();
    assert_eq!(held.iter().map(|d| d.debtor.number.as_str()).collect::<Vec<_>>(), vec!["K2"]);
    // The page shows the plan and no second form; a second plan is refused.
    let page = anna.get("/debtors/K2").await.html;
    assert!(page.contains(&format!("id=\"plan-{}\" data-state=\"active\"", p.id)), "{page}");
    assert!(!page.contains("id=\"new-plan\""));
    let r = anna
        .post(
            "/debtors/K2/plans",
            &[("csrf", &csrf), ("first_due", &day(3)), ("count", "2"), ("interval", "monthly")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("payment plan already"), "{}", r.html);
    assert_eq!(s.app.plans_of(org.id, "K2").await.unwrap().len(), 1);
    assert_eq!(
        anna.post(
            "/debtors/NOPE/plans",
            &[("csrf", &csrf), ("first_due", &day(3)), ("count", "2")]
        )
        .await
        .status,
        404
    );
}

/// A payment plan proposed in the portal: within the organisation's rules it starts at once,
/// holds dunning, and the confirmation carries the schedule with each instalment's reference;
/// beyond them a person decides; a second plan is refused; the next run leaves the debtor alone.
#[tokio::test]
async fn a_debtor_proposes_a_payment_plan_in_the_portal() {
    let (s, app) = portal_seeded().await;
    let k1 = portal_path(&s, "acme", "K1").await;
    let k2 = portal_path(&s, "acme", "K2").await;
    let org = s.app.resolve_organisation(Some("acme")).await.unwrap();
    let today = s.app.today_of(org.id).await.unwrap();
    let day = |n| arflow_core::date::add_days(today, n).to_string();
    let mut b = Browser::new(&s);
    assert!(b.get(&k1).await.html.contains("id=\"answer-plan\""));
    // K1 owes 121.00: three monthly instalments from next week are within the rules.
    let r = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"plan"),
                ("first_due", None, day(7).as_bytes()),
                ("count", None, b"3"),
                ("interval", None, b"monthly"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let plans = s.app.plans_of(org.id, "K1").await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].state, arflow_store::PlanState::Active);
    let amounts: Vec<String> = plans[0].instalments.iter().map(|i| i.amount.to_string()).collect();
    assert_eq!(amounts, vec!["40.34", "40.33", "40.33"]);
    let filter = arflow_store::DebtorFilter { in_payment_plan: true, ..Default::default() };
    let held = s.app.list_debtors(org.id, &filter, arflow_store::Page::first(5)).await.unwrap();
    assert_eq!(held.iter().map(|d| d.debtor.number.as_str()).collect::<Vec<_>>(), vec!["K1"]);
    let messages = s.app.outbox(Some("acme"), None, arflow_store::Page::first(50)).await.unwrap();
    let confirmation = messages
        .iter()
        .find(|m| m.message.subject == "Uw betalingsregeling met Acme BV")
        .expect("a confirmation");
    for i in &plans[0].instalments {
        assert!(
            confirmation.message.text_body.contains(&i.reference_display),
            "{}",
            confirmation.message.text_body
        );
    }
    // The portal shows the running plan with the next instalment to pay and its QR code, and
    // offers no second plan.
    let page = b.get(&k1).await.html;
    assert!(page.contains("id=\"plan\" data-state=\"active\""), "{page}");
    assert!(!page.contains("id=\"answer-plan\""), "no second proposal");
    let first = &plans[0].instalments[0];
    assert!(
        page.contains(&format!("<strong class=\"reference\">{}</strong>", first.reference_display)),
        "{page}"
    );
    assert_eq!(page.matches("data-paid=\"0.00\"").count(), 3, "{page}");
    let epc =
        page.split("id=\"qr-plan\" data-epc=\"").nth(1).expect("a QR code for the next instalment");
    let epc: Vec<&str> = epc.split('"').next().unwrap().lines().collect();
    assert!(epc.contains(&"EUR40.34"), "{epc:?}");
    assert!(epc.iter().any(|l| l.contains(&first.reference)), "{epc:?}");
    // A second plan is refused while this one runs.
    let again = b
        .post_multipart(
            &format!("{k1}/answer"),
            &[
                ("kind", None, b"plan"),
                ("first_due", None, day(7).as_bytes()),
                ("count", None, b"2"),
                ("interval", None, b"monthly"),
            ],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.html.contains("al een betalingsregeling"), "{}", again.html);
    // K2 (50.00) asks for 12 weekly instalments: beyond the rules (at most 6, at least 25.00
    // each), so a person decides and the reasons are in the task.
    let r = b
        .post_multipart(
            &format!("{k2}/answer"),
            &[
                ("kind", None, b"plan"),
                ("first_due", None, day(3).as_bytes()),
                ("count", None, b"12"),
                ("interval", None, b"weekly"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let k2_plans = s.app.plans_of(org.id, "K2").await.unwrap();
    assert_eq!(k2_plans[0].state, arflow_store::PlanState::Proposed);
    let page = b.get(&k2).await.html;
    assert!(page.contains("id=\"plan\" data-state=\"proposed\""), "{page}");
    assert!(!page.contains("id=\"qr-plan\""), "nothing to pay on a plan not yet accepted");
    let tasks = s.app.tasks(Some("acme"), true, None, arflow_store::Page::first(50)).await.unwrap();
    assert!(tasks.iter().any(|t| t.kind == "plan_review"), "{tasks:?}");
    // A person sees the proposal on K2's page and accepts it there; once only.
    let mut anna = Browser::new(&s);
    anna.sign_in("anna@example.nl", "correct horse battery").await;
    let page = anna.get("/debtors/K2").await.html;
    let row = format!("id=\"plan-{}\" data-state=\"proposed\"", k2_plans[0].id);
    assert!(page.contains(&row), "{page}");
    let csrf = hidden(&page, "csrf");
    let accept = format!("/plans/{}/accept", k2_plans[0].id);
    let r = anna.post(&accept, &[("csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/debtors/K2")));
    assert_eq!(
        s.app.plans_of(org.id, "K2").await.unwrap()[0].state,
        arflow_store::PlanState::Active
    );
    assert_eq!(anna.post(&accept, &[("csrf", &csrf)]).await.status, 422, "decided already");
    assert_eq!(anna.post("/plans/999/accept", &[("csrf", &csrf)]).await.status, 404);
    // The next run a week on: K1 is in its plan, so no reminder for it.
    let actor = Actor("test".into());
    let gate = arflow_core::dunning::LegalGate { creditor: OrgCountry::Nl };
    let later = arflow_core::date::add_days(today, 14);
    let report = app.dunning_run(Some("acme"), Some(later), false, &gate, &actor).await.unwrap();
    assert!(
        !report.actions.iter().any(|a| a.debtor == "K1"),
        "{:?}",
        report.actions.iter().map(|a| &a.debtor).collect::<Vec<_>>()
    );
}
