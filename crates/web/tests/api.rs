//! The REST API over real HTTP: a server on 127.0.0.1:0, a real SQLite file per test, reqwest
//! as the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arflow_app::{Actor, App, SystemClock};
use arflow_core::date::{Date, add_days};
use arflow_core::party::OrgCountry;
use arflow_store::Store;
use reqwest::Method;
use serde_json::{Value, json};

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A running server with its own database.
struct Server {
    base: String,
    app: App,
    client: reqwest::Client,
    db_path: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// One HTTP answer.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    bytes: Vec<u8>,
}

impl Resp {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn data(&self) -> &Vec<Value> {
        self.body["data"].as_array().unwrap_or_else(|| panic!("not a list: {}", self.body))
    }

    /// The values of `key` in the list's rows.
    fn column(&self, key: &str) -> Vec<String> {
        self.data()
            .iter()
            .map(|r| match &r[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }
}

fn today() -> Date {
    arflow_app::today_in(jiff::Timestamp::now().as_microsecond(), "Europe/Amsterdam")
}

fn day(offset: i32) -> String {
    add_days(today(), offset).to_string()
}

impl Server {
    async fn start() -> Server {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let db_path =
            std::env::temp_dir().join(format!("arflow-web-{}-{n}-{nanos}.db", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}", db_path.display())).await.unwrap();
        store.migrate(0).await.unwrap();
        let app = App::new(store, Arc::new(SystemClock));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(arflow_web::serve(app.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Server {
            base: format!("http://{addr}"),
            app,
            client: reqwest::Client::new(),
            db_path,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A new organisation and a token of it.
    async fn org(&self, slug: &str, country: OrgCountry) -> String {
        let actor = Actor("test".into());
        self.app.create_organisation(slug, &format!("{slug} name"), country, &actor).await.unwrap();
        self.app.create_token(Some(slug), "test token", &actor).await.unwrap().token
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body, bytes }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body, bytes }
    }

    async fn get(&self, token: &str, path: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(token), Some(&body), &[]).await
    }

    async fn patch(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(token), Some(&body), &[]).await
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(token), Some(&body), &[]).await
    }

    async fn delete(&self, token: &str, path: &str) -> Resp {
        self.send(Method::DELETE, path, Some(token), None, &[]).await
    }

    /// The values of `key` in the rows of the list at `path`.
    async fn col(&self, token: &str, path: &str, key: &str) -> Vec<String> {
        let r = self.get(token, path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.column(key)
    }

    /// POSTs and insists on `status`.
    async fn must_post(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let r = self.post(token, path, body).await;
        assert_eq!(r.status, status, "POST {path}: {}", r.body);
        r.body
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        self.app.store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db_path.display()));
        }
    }
}

fn debtor(number: &str, name: &str) -> Value {
    json!({ "number": number, "name": name, "kind": "business" })
}

fn invoice(number: &str, debtor: &str, issue: i32, due: i32, amount: &str) -> Value {
    json!({
        "number": number, "debtor_number": debtor,
        "issue_date": day(issue), "due_date": day(due), "amount": amount
    })
}

fn payment(date: i32, amount: &str) -> Value {
    json!({ "date": day(date), "amount": amount })
}

// ------------------------------------------------------------------ debtors

#[tokio::test]
async fn debtors_can_be_created_read_listed_and_patched() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let body = json!({
        "number": "D1", "name": "  Bakkerij Jansen BV ", "kind": "business",
        "emails": [{ "address": "ap@jansen.nl", "purpose": "billing" }],
        "phones": [{ "number": "+31 20 123 4567" }],
        "address": { "street": "Damrak 1", "postal_code": "1012 LG", "city": "Amsterdam", "country": "NL" },
        "ibans": ["NL91 ABNA 0417 1643 00"], "segments": ["wholesale"], "owner": "anna",
        "credit_limit": "5000"
    });
    let r = s.post(&t, "/api/v1/debtors", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/api/v1/debtors/D1"));
    let d = &r.body;
    assert_eq!(d["number"], "D1");
    assert_eq!(d["name"], "Bakkerij Jansen BV");
    assert_eq!(d["kind"], "business");
    assert_eq!(d["country"], "NL", "the organisation's country is the default");
    assert_eq!(d["language"], "nl");
    assert_eq!(d["emails"], json!([{ "address": "ap@jansen.nl", "purpose": "billing" }]));
    assert_eq!(d["phones"], json!([{ "number": "+31 20 123 4567", "purpose": "general" }]));
    assert_eq!(d["address"]["city"], "Amsterdam");
    assert_eq!(d["ibans"], json!(["NL91ABNA0417164300"]));
    assert_eq!(d["credit_limit"], "5000.00");
    assert_eq!(d["currency"], "EUR");
    assert_eq!(d["pause"], Value::Null);
    assert!(d.get("figures").is_none(), "figures only on GET");
    assert!(d.get("id").is_none() && d.get("has_document").is_none(), "no store internals: {d}");

    // The same debtor again changes nothing; another one with its number is a conflict.
    let again = s.post(&t, "/api/v1/debtors", body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("location"), None);
    let other = s.post(&t, "/api/v1/debtors", debtor("D1", "Someone else")).await;
    assert_eq!((other.status, other.code()), (409, "debtor_exists"));

    let got = s.get(&t, "/api/v1/debtors/D1").await;
    assert_eq!(got.status, 200);
    let f = &got.body["figures"];
    assert_eq!(f["as_of"], today().to_string());
    assert_eq!((f["open"].as_str(), f["currency"].as_str()), (Some("0.00"), Some("EUR")));
    assert_eq!(f["over_credit_limit"], false);

    s.must_post(&t, "/api/v1/debtors", debtor("D2", "Zeeman"), 201).await;
    let list = s.get(&t, "/api/v1/debtors").await;
    assert_eq!(list.column("number"), ["D1", "D2"]);
    assert_eq!(list.body["next_cursor"], Value::Null);

    // PATCH merges: given fields change, the others stay; null clears; address merges.
    let p = s
        .patch(
            &t,
            "/api/v1/debtors/D1",
            json!({ "name": "Jansen", "owner": null, "address": { "city": "Haarlem" } }),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["name"], "Jansen");
    assert_eq!(p.body["owner"], Value::Null);
    assert_eq!(p.body["address"]["city"], "Haarlem");
    assert_eq!(p.body["address"]["street"], "Damrak 1");
    assert_eq!(p.body["segments"], json!(["wholesale"]));
    assert_eq!(p.body["credit_limit"], "5000.00");
    let got = s.get(&t, "/api/v1/debtors/D1").await;
    assert_eq!(got.body["name"], "Jansen");

    // Renaming by PATCH moves the resource.
    let p = s.patch(&t, "/api/v1/debtors/D2", json!({ "number": "D3" })).await;
    assert_eq!(p.body["number"], "D3");
    assert_eq!(s.get(&t, "/api/v1/debtors/D2").await.status, 404);
    assert_eq!(s.get(&t, "/api/v1/debtors/D3").await.status, 200);

    // Patching a field that does not exist is a bad request naming it.
    let bad = s.patch(&t, "/api/v1/debtors/D1", json!({ "nmae": "x" })).await;
    assert_eq!((bad.status, bad.code(), bad.field()), (400, "bad_request", Some("nmae")));
    s.stop().await;
}

#[tokio::test]
async fn dunning_of_a_debtor_can_be_paused_and_resumed() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    let until = day(10);
    let r = s
        .post(
            &t,
            "/api/v1/debtors/D1/pause",
            json!({ "reason": "dispute about delivery", "until": until }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["pause"], json!({ "reason": "dispute about delivery", "until": until }));
    assert_eq!(s.get(&t, "/api/v1/debtors/D1").await.body["figures"]["paused"], true);
    let paused = s.get(&t, "/api/v1/debtors?paused=true").await;
    assert_eq!(paused.column("number"), ["D1"]);
    let past =
        s.post(&t, "/api/v1/debtors/D1/pause", json!({ "reason": "x", "until": day(-1) })).await;
    assert_eq!((past.status, past.code(), past.field()), (422, "validation_failed", Some("until")));
    let empty = s.post(&t, "/api/v1/debtors/D1/pause", json!({ "reason": " " })).await;
    assert_eq!((empty.status, empty.field()), (422, Some("reason")));
    let r = s.send(Method::POST, "/api/v1/debtors/D1/resume", Some(&t), None, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["pause"], Value::Null);
    assert_eq!(s.get(&t, "/api/v1/debtors?paused=true").await.data().len(), 0);
    s.stop().await;
}

#[tokio::test]
async fn dunning_runs_charges_tasks_and_the_timeline_work_over_the_api() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -60, -30, "1210.00"), 201).await;
    let preview = s.get(&t, "/api/v1/dunning/preview").await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["actions"][0]["debtor"], "D1");
    let run = s.must_post(&t, "/api/v1/dunning/runs", json!({}), 200).await;
    assert_eq!(run["actions"][0]["invoices"], json!(["F1"]), "{run}");
    assert!(run["actions"][0]["action_id"].is_number());
    // The organisation has no IBAN yet: no message, but a task saying why.
    assert!(run["actions"][0]["problems"][0].as_str().unwrap().contains("IBAN"), "{run}");
    let again = s.must_post(&t, "/api/v1/dunning/runs", json!({}), 200).await;
    assert_eq!(
        (again["already_ran"].as_bool(), again["actions"].as_array().unwrap().len()),
        (Some(true), 0)
    );
    let bad = s.post(&t, "/api/v1/dunning/runs", json!({ "as_of": "tomorrow" })).await;
    assert_eq!((bad.status, bad.field()), (422, Some("as_of")), "{}", bad.body);

    let charges = s.get(&t, &format!("/api/v1/invoices/F1/charges?as_of={}", day(0))).await;
    assert_eq!(charges.status, 200, "{}", charges.body);
    assert_eq!(charges.body["principal"], "1210.00");
    let costs = charges.body["charges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "collection_costs")
        .unwrap();
    // BIK: 15 % of 1210.00 = 181.50 (a business debtor: no 14-day letter needed).
    assert_eq!(costs["amount"], "181.50", "{}", charges.body);
    assert_eq!(costs["explanation"]["rule"], "nl.bik");
    assert_eq!(s.get(&t, "/api/v1/invoices/F9/charges").await.status, 404);

    let tasks = s.get(&t, "/api/v1/tasks").await;
    assert_eq!(tasks.data().len(), 1, "{}", tasks.body);
    let id = tasks.data()[0]["id"].as_i64().unwrap();
    let timeline = s.get(&t, "/api/v1/debtors/D1/timeline").await;
    let types: Vec<&str> = timeline.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"action") && types.contains(&"task"), "{}", timeline.body);
    let unknown =
        s.post(&t, &format!("/api/v1/tasks/{id}/done"), json!({ "outcome": "maybe" })).await;
    assert_eq!((unknown.status, unknown.field()), (422, Some("outcome")), "{}", unknown.body);
    let done = s
        .post(
            &t,
            &format!("/api/v1/tasks/{id}/done"),
            json!({ "outcome": "reached", "note": "called" }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(s.get(&t, "/api/v1/tasks").await.data().is_empty());
    assert_eq!(s.get(&t, "/api/v1/tasks?all=true").await.data()[0]["outcome"], "reached");
    assert!(s.get(&t, "/api/v1/outbox").await.data().is_empty());
    s.stop().await;
}

#[tokio::test]
async fn one_invoice_can_follow_another_policy_than_its_debtor() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -60, -30, "100.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D1", -60, -30, "200.00"), 201).await;
    let path = "/api/v1/invoices/F2/policy";
    let r = s.get(&t, path).await;
    assert_eq!((r.status, &r.body), (200, &json!({ "invoice": "F2", "policy": null })));
    let r = s.put(&t, path, json!({ "policy": "nope" })).await;
    assert_eq!((r.status, r.field()), (422, Some("policy")), "{}", r.body);
    let r = s.put(&t, path, json!({ "policy": "nl-consumer" })).await;
    assert_eq!((r.status, &r.body["policy"]), (200, &json!("nl-consumer")), "{}", r.body);
    assert_eq!(s.get(&t, path).await.body["policy"], "nl-consumer");
    // The next run treats F2 by its own policy, F1 by the debtor's.
    let preview = s.get(&t, "/api/v1/dunning/preview").await;
    let actions = preview.body["actions"].as_array().unwrap();
    let policy_of = |n: &str| {
        actions
            .iter()
            .find(|a| a["invoices"].as_array().unwrap().iter().any(|i| i == n))
            .map(|a| a["policy"].as_str().unwrap().to_owned())
    };
    assert_eq!(policy_of("F2").as_deref(), Some("nl-consumer"), "{}", preview.body);
    assert_eq!(policy_of("F1").as_deref(), Some("nl-business"), "{}", preview.body);
    let audit = s.get(&t, "/api/v1/audit?limit=100").await;
    assert!(audit.body.to_string().contains("dunning.invoice_policy"), "{}", audit.body);
    let r = s.put(&t, path, json!({ "policy": null })).await;
    assert_eq!((r.status, &r.body["policy"]), (200, &Value::Null), "{}", r.body);
    assert_eq!(s.get(&t, path).await.body["policy"], Value::Null);
    assert_eq!(s.get(&t, "/api/v1/invoices/F9/policy").await.status, 404);
    assert_eq!(
        s.put(&t, "/api/v1/invoices/F9/policy", json!({ "policy": null })).await.status,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn templates_are_edited_checked_previewed_and_reset_over_the_api() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let put = |id: &str, body: Value| {
        let path = format!("/api/v1/templates/{id}");
        let bytes = body.to_string().into_bytes();
        let s = &s;
        let t = t.clone();
        async move { s.raw(Method::PUT, &path, &t, "application/json", bytes).await }
    };
    let builtin = s.get(&t, "/api/v1/templates/reminder.fr").await;
    assert_eq!((builtin.status, &builtin.body["edited"]), (200, &json!(false)), "{}", builtin.body);
    let broken =
        put("reminder.fr", json!({ "subject": "Rappel {{ debtor.name", "text": "x" })).await;
    assert_eq!((broken.status, broken.field()), (422, Some("template")), "{}", broken.body);
    // The Dutch 14-day letter must keep what art. 6:96 lid 6 BW requires.
    let bare =
        put("notice_of_default.nl", json!({ "subject": "Betaal", "text": "Betaal nu." })).await;
    assert_eq!(bare.status, 422, "{}", bare.body);
    let ok = put(
        "reminder.fr",
        json!({ "subject": "Petit rappel pour {{ debtor.name }}", "text": "Bonjour,\n\n{% include \"fr/_items.txt.j2\" %}\n\n{% include \"fr/_payment.txt.j2\" %}" }),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(s.get(&t, "/api/v1/templates/reminder.fr").await.body["edited"], true);
    let preview = s.get(&t, "/api/v1/templates/reminder.fr/preview?debtor_kind=consumer").await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body["subject"].as_str().unwrap().starts_with("Petit rappel pour "),
        "{}",
        preview.body
    );
    assert!(preview.body["html"].as_str().unwrap().contains("Bonjour"), "{}", preview.body);
    assert_eq!(s.get(&t, "/api/v1/templates/reminder.xx").await.status, 404);
    let unknown = put("reminder.xx", json!({ "subject": "x", "text": "y" })).await;
    assert_eq!((unknown.status, unknown.field()), (422, Some("language")), "{}", unknown.body);
    let r = s.delete(&t, "/api/v1/templates/reminder.fr").await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&t, "/api/v1/templates/reminder.fr").await.body["edited"], false);
    assert_eq!(s.delete(&t, "/api/v1/templates/reminder.fr").await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn a_csv_mapping_is_saved_checked_used_by_name_and_removed_over_the_api() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Klant BV"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F-17", "D1", -20, 10, "121.00"), 201).await;
    let mapping = json!({
        "name": "Bunq CSV", "delimiter": ";", "decimal_comma": true, "date_format": "%d-%m-%Y",
        "account": { "fixed": "NL16BUNQ2034567890" }, "currency": { "fixed": "EUR" },
        "booking_date": "Datum", "amount": { "signed": "Bedrag" },
        "counterparty_iban": "IBAN", "counterparty_name": "Naam", "remittance": ["Omschrijving"]
    });
    let path = "/api/v1/statement-mappings/bunq";
    let builtins = s.get(&t, "/api/v1/statement-mappings").await;
    assert_eq!(builtins.column("name"), ["ing-nl", "rabobank-nl"], "{}", builtins.body);

    // Every problem at once; nothing saved.
    let mut bad = mapping.clone();
    bad["date_format"] = json!("%d-%q");
    bad["booking_date"] = json!(0);
    let r = s.put(&t, path, bad).await;
    assert_eq!((r.status, r.code()), (422, "input_rejected"), "{}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("mapping date_format: "), "{message}");
    assert!(message.contains("mapping booking_date: columns are numbered from 1"), "{message}");
    let mut unknown_key = mapping.clone();
    unknown_key["colour"] = json!("blue");
    assert_eq!(s.put(&t, path, unknown_key).await.status, 400);
    let r = s.put(&t, "/api/v1/statement-mappings/ing-nl", mapping.clone()).await;
    assert_eq!((r.status, r.field()), (422, Some("name")), "{}", r.body);
    let r = s.put(&t, "/api/v1/statement-mappings/My%20Bank", mapping.clone()).await;
    assert_eq!((r.status, r.field()), (422, Some("name")), "{}", r.body);
    assert_eq!(s.get(&t, path).await.status, 404);

    let r = s.put(&t, path, mapping.clone()).await;
    assert_eq!((r.status, &r.body["builtin"]), (200, &json!(false)), "{}", r.body);
    assert_eq!(r.body["mapping"]["date_format"], "%d-%m-%Y");
    let got = s.get(&t, path).await;
    assert_eq!(got.body, r.body);
    let list = s.get(&t, "/api/v1/statement-mappings").await;
    assert_eq!(list.column("name"), ["bunq", "ing-nl", "rabobank-nl"], "{}", list.body);

    // Imported by name; an unknown name is a 404 and stores nothing.
    let csv = "Datum;Bedrag;IBAN;Naam;Omschrijving\n02-03-2026;121,00;NL91ABNA0417164300;Klant BV;factuur F-17\n";
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statements?file=bunq.csv&mapping=nope",
            &t,
            "text/csv",
            csv.into(),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "mapping_not_found"), "{}", r.body);
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statements?mapping=bunq&bank=ing-nl",
            &t,
            "text/csv",
            csv.into(),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statements?file=bunq.csv&mapping=bunq",
            &t,
            "text/csv",
            csv.into(),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["created"], &r.body["matched_automatically"]),
        (200, &json!(1), &json!(1)),
        "{}",
        r.body
    );
    assert_eq!(s.get(&t, "/api/v1/invoices/F-17").await.body["open"], "0.00");

    let audit = s.get(&t, "/api/v1/audit?limit=1000").await;
    assert!(audit.column("action").contains(&"mapping.create".to_owned()), "{}", audit.body);
    assert_eq!(s.delete(&t, path).await.status, 204);
    assert_eq!(s.delete(&t, path).await.status, 404);
    assert_eq!(s.delete(&t, "/api/v1/statement-mappings/ing-nl").await.status, 404);
    assert_eq!(s.get(&t, "/api/v1/statement-mappings/ing-nl").await.body["builtin"], true);
    s.stop().await;
}

/// The (policy, version, step) of each action of a preview.
fn planned(preview: &Resp) -> Vec<(String, i64, String)> {
    assert_eq!(preview.status, 200, "{}", preview.body);
    preview.body["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("no actions: {}", preview.body))
        .iter()
        .map(|a| {
            let text = |k: &str| a[k].as_str().unwrap().to_owned();
            (text("policy"), a["policy_version"].as_i64().unwrap(), text("step"))
        })
        .collect()
}

#[tokio::test]
async fn an_edited_policy_is_a_new_version_checked_first_and_used_by_the_next_run() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -35, -5, "500.00"), 201).await;
    let reminder =
        |policy: &str, version: i64| vec![(policy.to_owned(), version, "reminder".to_owned())];
    // nl-business reminds 3 days after the due date; F1 is 5 days overdue.
    assert_eq!(planned(&s.get(&t, "/api/v1/dunning/preview").await), reminder("nl-business", 1));

    let path = "/api/v1/dunning/policies/nl-business";
    let shipped = s.get(&t, path).await;
    assert_eq!((shipped.status, &shipped.body["version"]), (200, &json!(1)), "{}", shipped.body);
    assert_eq!(shipped.body["steps"][0]["trigger"], json!({ "after": "due_date", "days": 3 }));
    // Ten days after the due date: nothing to do today.
    let mut later = shipped.body.clone();
    later["steps"][0]["trigger"]["days"] = json!(10);
    let v2 = s.put(&t, path, later.clone()).await;
    assert_eq!((v2.status, &v2.body["version"]), (200, &json!(2)), "{}", v2.body);
    assert_eq!(v2.body["steps"][0]["trigger"]["days"], 10);
    assert_eq!(s.get(&t, path).await.body, v2.body);
    assert_eq!(planned(&s.get(&t, "/api/v1/dunning/preview").await), vec![]);
    // The same rules again store nothing.
    let same = s.put(&t, path, v2.body.clone()).await;
    assert_eq!((same.status, &same.body), (200, &v2.body));
    // Four days: due again, under version 3.
    let mut sooner = v2.body.clone();
    sooner["steps"][0]["trigger"]["days"] = json!(4);
    let v3 = s.put(&t, path, sooner.clone()).await;
    assert_eq!((v3.status, &v3.body["version"]), (200, &json!(3)), "{}", v3.body);
    assert_eq!(planned(&s.get(&t, "/api/v1/dunning/preview").await), reminder("nl-business", 3));

    // Refused, each with the reason, and nothing stored.
    let stale = s.put(&t, path, later).await;
    assert_eq!((stale.status, stale.code()), (409, "policy_version_exists"), "{}", stale.body);
    assert!(
        stale.body["error"]["message"].as_str().unwrap().contains("version 3"),
        "{}",
        stale.body
    );
    let mut silent = sooner.clone();
    silent["steps"][1]["channels"] = json!([]);
    let r = s.put(&t, path, silent).await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (422, "validation_failed", Some("steps[1].channels"))
    );
    assert_eq!(
        r.body["error"]["message"], "step second_reminder: a step needs at least one channel",
        "{}",
        r.body
    );
    let mut backwards = sooner.clone();
    backwards["steps"][0]["trigger"] = json!({ "after": "previous_step", "days": 2 });
    let r = s.put(&t, path, backwards).await;
    assert_eq!((r.status, r.field()), (422, Some("steps[0].trigger")), "{}", r.body);
    let mut dollars = sooner.clone();
    dollars["steps"][0]["min_open"] = json!({ "amount": "5.00", "currency": "USD" });
    let r = s.put(&t, path, dollars).await;
    assert_eq!((r.status, r.field()), (422, Some("steps[0].min_open.currency")), "{}", r.body);
    let r = s.put(&t, "/api/v1/dunning/policies/nl-consumer", sooner.clone()).await;
    assert_eq!((r.status, r.field()), (422, Some("id")), "{}", r.body);
    let mut typo = sooner.clone();
    typo["steps"][0]["trigger"]["dayz"] = json!(1);
    let r = s.put(&t, path, typo).await;
    assert_eq!((r.status, r.field()), (400, Some("steps[0].trigger.dayz")), "{}", r.body);
    let r = s.put(&t, path, json!({ "id": "nl-business" })).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(s.get(&t, path).await.body["version"], 3);
    assert_eq!(s.get(&t, "/api/v1/dunning/policies/nope").await.code(), "policy_not_found");

    // An organisation's own policy, assigned to one debtor.
    let mut quick = v3.body.clone();
    quick["id"] = json!("quick");
    quick["name"] = json!("Snel");
    quick["steps"][0]["trigger"]["days"] = json!(1);
    let r = s.put(&t, "/api/v1/dunning/policies/quick", quick).await;
    assert_eq!((r.status, &r.body["version"]), (200, &json!(1)), "{}", r.body);
    assert_eq!(s.get(&t, "/api/v1/dunning/policies").await.data().len(), 5);
    let path = "/api/v1/dunning/assignments";
    let none = json!({ "by_debtor": {}, "by_segment": {}, "by_country_kind": {}, "by_kind": {} });
    assert_eq!(s.get(&t, path).await.body, none);
    for (body, field) in [
        (json!({ "by_debtor": { "D1": "nope" } }), "by_debtor.D1"),
        (json!({ "by_debtor": { "D9": "quick" } }), "by_debtor.D9"),
        (json!({ "by_kind": { "customer": "quick" } }), "by_kind.customer"),
        (json!({ "by_country_kind": { "nl/business": "quick" } }), "by_country_kind.nl/business"),
    ] {
        let r = s.put(&t, path, body.clone()).await;
        assert_eq!((r.status, r.field()), (422, Some(field)), "{body}: {}", r.body);
    }
    let r = s.put(&t, path, json!({ "by_debtors": {} })).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(s.get(&t, path).await.body, none, "nothing refused was stored");
    let r = s.put(&t, path, json!({ "by_debtor": { "D1": "quick" }, "by_country_kind": { "BE/consumer": "be-consumer" } })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["by_debtor"], json!({ "D1": "quick" }));
    assert_eq!(s.get(&t, path).await.body, r.body);
    assert_eq!(planned(&s.get(&t, "/api/v1/dunning/preview").await), reminder("quick", 1));

    let audit = s.get(&t, "/api/v1/audit?limit=1000").await;
    let actions: Vec<&str> = audit.data().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "policy.update").count(), 3, "{actions:?}");
    let change = audit.data().iter().find(|e| e["action"] == "dunning.assignments").unwrap();
    assert_eq!(change["details"]["by_debtor"], json!({ "set": { "D1": "quick" }, "removed": [] }));
    s.stop().await;
}

// ------------------------------------------------------------------ invoices and credit notes

#[tokio::test]
async fn an_invoice_without_a_payment_reference_gets_one_generated() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    let mut body = invoice("F2026-1", "D1", -5, 25, "121.00");
    body["amount_excl_vat"] = json!("100");
    body["description"] = json!("March deliveries");
    let r = s.post(&t, "/api/v1/invoices", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/api/v1/invoices/F2026-1"));
    let i = &r.body;
    assert_eq!(i["amount"], "121.00");
    assert_eq!(i["amount_excl_vat"], "100.00");
    assert_eq!(i["currency"], "EUR");
    assert_eq!(i["open"], "121.00");
    assert_eq!(i["status"], "open");
    assert_eq!(i["overdue"], false);
    assert_eq!(i["issue_date"], day(-5));
    assert_eq!(i["pdf_url"], Value::Null);
    assert_eq!(i["allocations"], json!([]));
    let reference = i["payment_reference"].as_str().expect("a generated reference");
    let checked = arflow_core::reference::check(reference).unwrap();
    assert_eq!(checked.scheme.as_str(), "nl", "a Dutch organisation gets betalingskenmerken");

    // The same invoice again: 200, same reference; a different one with the number: 409.
    let again = s.post(&t, "/api/v1/invoices", body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["payment_reference"], reference);
    let mut other = body.clone();
    other["amount"] = json!("150.00");
    let conflict = s.post(&t, "/api/v1/invoices", other).await;
    assert_eq!((conflict.status, conflict.code()), (409, "invoice_exists"));

    // PATCH: due date and description only.
    let p = s
        .patch(&t, "/api/v1/invoices/F2026-1", json!({ "due_date": day(-1), "description": null }))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["due_date"], day(-1));
    assert_eq!(p.body["description"], Value::Null);
    assert_eq!(p.body["overdue"], true);
    assert_eq!(p.body["days_overdue"], 1);
    let before_issue =
        s.patch(&t, "/api/v1/invoices/F2026-1", json!({ "due_date": day(-30) })).await;
    assert_eq!((before_issue.status, before_issue.field()), (422, Some("due_date")));
    let amount = s.patch(&t, "/api/v1/invoices/F2026-1", json!({ "amount": "1.00" })).await;
    assert_eq!((amount.status, amount.field()), (400, Some("amount")));

    // A given reference must be a valid one.
    let mut bad_ref = invoice("F2026-2", "D1", 0, 30, "10");
    bad_ref["payment_reference"] = json!("1234");
    let r = s.post(&t, "/api/v1/invoices", bad_ref).await;
    assert_eq!((r.status, r.field()), (422, Some("payment_reference")));
    s.stop().await;
}

#[tokio::test]
async fn invoices_are_positive_and_credit_notes_are_given_positive_and_stored_negative() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Be).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Janssens"), 201).await;
    let negative = s.post(&t, "/api/v1/invoices", invoice("F1", "D1", 0, 30, "-50.00")).await;
    assert_eq!(
        (negative.status, negative.code(), negative.field()),
        (422, "validation_failed", Some("amount"))
    );
    assert!(negative.body["error"]["message"].as_str().unwrap().contains("/api/v1/credit-notes"));

    let f1 = s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -10, 20, "200.00"), 201).await;
    let reference = f1["payment_reference"].as_str().unwrap();
    assert_eq!(arflow_core::reference::check(reference).unwrap().scheme.as_str(), "ogm");

    let minus = s
        .post(&t, "/api/v1/credit-notes", json!({ "number": "C1", "debtor_number": "D1", "issue_date": day(-1), "amount": "-50" }))
        .await;
    assert_eq!((minus.status, minus.field()), (422, Some("amount")));
    let r = s
        .post(
            &t,
            "/api/v1/credit-notes",
            json!({
                "number": "C1", "debtor_number": "D1", "issue_date": day(-1), "amount": "50.00",
                "credits_invoice": "F1", "description": "returned goods"
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/api/v1/credit-notes/C1"));
    let c = &r.body;
    assert_eq!(c["amount"], "50.00");
    assert_eq!(c["due_date"], day(-1), "the due date defaults to the issue date");
    assert_eq!(c["available"], "0.00", "all of it went to F1");
    assert_eq!(c["status"], "settled");
    assert_eq!(c["credits_invoice"], "F1");
    assert_eq!(c["allocations"][0]["invoice_number"], "F1");
    assert_eq!(c["allocations"][0]["credit_note_number"], "C1");
    assert_eq!(c["allocations"][0]["payment_id"], Value::Null);
    assert_eq!(c["allocations"][0]["amount"], "50.00");

    let f1 = s.get(&t, "/api/v1/invoices/F1").await;
    assert_eq!(f1.body["open"], "150.00");
    // The kinds stay apart.
    assert_eq!(s.get(&t, "/api/v1/invoices/C1").await.code(), "invoice_not_found");
    assert_eq!(s.get(&t, "/api/v1/credit-notes/F1").await.code(), "credit_note_not_found");
    assert_eq!(s.get(&t, "/api/v1/invoices").await.column("number"), ["F1"]);
    assert_eq!(s.get(&t, "/api/v1/credit-notes").await.column("number"), ["C1"]);
    assert_eq!(s.get(&t, "/api/v1/credit-notes/C1").await.body["amount"], "50.00");
    // The ledger keeps it negative: the ageing nets it.
    let ageing = s.get(&t, "/api/v1/reports/ageing").await;
    assert_eq!(ageing.body["total"], "150.00");
    s.stop().await;
}

#[tokio::test]
async fn an_invoice_pdf_can_be_stored_and_read_back() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F 1/2", "D1", 0, 30, "10"), 201).await;
    let path = "/api/v1/invoices/F%201%2F2/pdf";
    let missing = s.get(&t, path).await;
    assert_eq!((missing.status, missing.code()), (404, "document_not_found"));
    let pdf = b"%PDF-1.7\n% a tiny test document\n%%EOF\n".to_vec();
    let r = s.raw(Method::PUT, path, &t, "application/pdf", pdf.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["pdf_url"], "/api/v1/invoices/F%201%2F2/pdf");
    let got = s.get(&t, path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert_eq!(got.bytes, pdf);
    let not_pdf = s.raw(Method::PUT, path, &t, "application/pdf", b"hello".to_vec()).await;
    assert_eq!(
        (not_pdf.status, not_pdf.code(), not_pdf.field()),
        (422, "validation_failed", Some("body"))
    );
    let wrong_type = s.raw(Method::PUT, path, &t, "text/plain", pdf.clone()).await;
    assert_eq!((wrong_type.status, wrong_type.code()), (415, "unsupported_media_type"));
    // Larger than a JSON body may be, well under the PDF limit.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(3 << 20, b' ');
    let r = s.raw(Method::PUT, path, &t, "application/pdf", big.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get(&t, path).await.bytes.len(), big.len());
    s.stop().await;
}

// ------------------------------------------------------------------ payments and allocations

#[tokio::test]
async fn a_payment_naming_its_invoice_is_allocated_and_reduces_what_is_open() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -20, 10, "121.00"), 201).await;
    let mut body = payment(-1, "100.00");
    body["invoice_number"] = json!("F1");
    body["counterparty_iban"] = json!("NL91 ABNA 0417 1643 00");
    body["counterparty_name"] = json!("Jansen");
    let r = s.post(&t, "/api/v1/payments", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let p = &r.body;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(r.header("location").map(str::to_owned), Some(format!("/api/v1/payments/{id}")));
    assert_eq!(p["amount"], "100.00");
    assert_eq!(p["unapplied"], "0.00");
    assert_eq!(p["source"], "api");
    assert_eq!(p["debtor_number"], "D1");
    assert_eq!(p["counterparty_iban"], "NL91ABNA0417164300");
    assert!(p["external_id"].as_str().unwrap().starts_with("api:"));
    assert_eq!(p["allocations"][0]["invoice_number"], "F1");
    assert_eq!(p["allocations"][0]["payment_id"], id);
    let f1 = s.get(&t, "/api/v1/invoices/F1").await;
    assert_eq!(f1.body["open"], "21.00");
    assert_eq!(f1.body["allocations"][0]["amount"], "100.00");
    let got = s.get(&t, &format!("/api/v1/payments/{id}")).await;
    assert_eq!(got.body["allocations"][0]["invoice_number"], "F1");

    // The same POST again (no external id, no key) finds the first payment.
    let again = s.post(&t, "/api/v1/payments", body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["id"], id);
    assert_eq!(s.get(&t, "/api/v1/payments").await.data().len(), 1);
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "21.00");

    // The rest pays it off and settles it; what is left stays unapplied.
    let mut rest = payment(0, "30.00");
    rest["invoice_number"] = json!("F1");
    let r = s.must_post(&t, "/api/v1/payments", rest, 201).await;
    assert_eq!(r["unapplied"], "9.00");
    let f1 = s.get(&t, "/api/v1/invoices/F1").await;
    assert_eq!(
        (f1.body["open"].as_str(), f1.body["status"].as_str()),
        (Some("0.00"), Some("settled"))
    );
    assert_eq!(f1.body["settled_on"], day(0));

    let zero = s.post(&t, "/api/v1/payments", payment(0, "0")).await;
    assert_eq!((zero.status, zero.field()), (422, Some("amount")));
    let mut unknown = payment(0, "5");
    unknown["invoice_number"] = json!("NOPE");
    let r = s.post(&t, "/api/v1/payments", unknown).await;
    assert_eq!((r.status, r.code(), r.field()), (422, "input_rejected", Some("invoice_number")));
    s.stop().await;
}

#[tokio::test]
async fn an_allocation_can_be_made_listed_and_undone() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -20, 10, "100.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D1", -20, 10, "50.00"), 201).await;
    let p = s.must_post(&t, "/api/v1/payments", payment(-1, "120.00"), 201).await;
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(p["unapplied"], "120.00");

    let a = s
        .post(
            &t,
            "/api/v1/allocations",
            json!({ "invoice_number": "F1", "payment_id": pid, "amount": "70" }),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["amount"], "70.00");
    assert_eq!(a.body["invoice_number"], "F1");
    let aid = a.body["id"].as_i64().unwrap();
    // Without an amount: as much as both sides allow (50 left of the payment, 50 open on F2).
    let b = s
        .post(&t, "/api/v1/allocations", json!({ "invoice_number": "F2", "payment_id": pid }))
        .await;
    assert_eq!(b.status, 201, "{}", b.body);
    assert_eq!(b.body["amount"], "50.00");
    let too_much = s
        .post(
            &t,
            "/api/v1/allocations",
            json!({ "invoice_number": "F1", "payment_id": pid, "amount": "1" }),
        )
        .await;
    assert_eq!((too_much.status, too_much.field()), (422, Some("amount")));
    let both = s
        .post(
            &t,
            "/api/v1/allocations",
            json!({ "invoice_number": "F1", "payment_id": pid, "credit_note_number": "C" }),
        )
        .await;
    assert_eq!((both.status, both.field()), (422, Some("payment_id")));

    let of_payment = s.get(&t, &format!("/api/v1/allocations?payment={pid}")).await;
    assert_eq!(of_payment.column("invoice_number"), ["F1", "F2"]);
    let of_invoice = s.get(&t, "/api/v1/allocations?invoice=F1").await;
    assert_eq!(of_invoice.column("id"), [aid.to_string()]);
    let neither = s.get(&t, "/api/v1/allocations").await;
    assert_eq!((neither.status, neither.code()), (400, "bad_request"));
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "30.00");

    let gone = s.delete(&t, &format!("/api/v1/allocations/{aid}")).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["id"], aid);
    assert_eq!(gone.body["amount"], "70.00");
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "100.00");
    assert_eq!(s.get(&t, &format!("/api/v1/payments/{pid}")).await.body["unapplied"], "70.00");
    let twice = s.delete(&t, &format!("/api/v1/allocations/{aid}")).await;
    assert_eq!((twice.status, twice.code()), (404, "allocation_not_found"));
    s.stop().await;
}

// ------------------------------------------------------------------ lists

/// Walks a list with `limit` and returns every row's `key`, failing on a repeat.
async fn walk(s: &Server, t: &str, path: &str, key: &str, limit: u32) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    for _ in 0..100 {
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
        };
        let r = s.get(t, &url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        assert!(r.data().len() <= limit as usize);
        for v in r.column(key) {
            assert!(!seen.contains(&v), "{v} seen twice in {path}");
            seen.push(v);
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(r.data().len(), limit as usize, "a cursor only after a full page");
                cursor = Some(c.to_owned());
            }
            None => return seen,
        }
    }
    panic!("{path} did not end");
}

#[tokio::test]
async fn cursor_pagination_walks_every_row_exactly_once() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let numbers: Vec<String> = (1..=7).map(|i| format!("D{i}")).collect();
    for n in &numbers {
        s.must_post(&t, "/api/v1/debtors", debtor(n, "x"), 201).await;
    }
    for i in 1..=6 {
        s.must_post(&t, "/api/v1/invoices", invoice(&format!("F{i}"), "D1", -3, 30, "10"), 201)
            .await;
        s.must_post(&t, "/api/v1/payments", payment(-i, "1.00"), 201).await;
    }
    for limit in [1, 3, 7, 50] {
        assert_eq!(walk(&s, &t, "/api/v1/debtors", "number", limit).await, numbers);
    }
    let invoices: Vec<String> = (1..=6).map(|i| format!("F{i}")).collect();
    assert_eq!(walk(&s, &t, "/api/v1/invoices", "number", 4).await, invoices);
    assert_eq!(walk(&s, &t, "/api/v1/invoices?status=open", "number", 2).await, invoices);
    assert_eq!(walk(&s, &t, "/api/v1/payments", "id", 5).await.len(), 6);
    let audit = walk(&s, &t, "/api/v1/audit", "id", 4).await;
    let ids: Vec<i64> = audit.iter().map(|i| i.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(ids.len() as usize, s.get(&t, "/api/v1/audit?limit=1000").await.data().len());

    // A cursor is opaque, checked, and belongs to its list.
    let page = s.get(&t, "/api/v1/debtors?limit=2").await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let other_list = s.get(&t, &format!("/api/v1/invoices?cursor={cursor}")).await;
    assert_eq!(
        (other_list.status, other_list.code(), other_list.field()),
        (400, "bad_request", Some("cursor"))
    );
    for garbage in ["x", "zz", "00", "a%20b"] {
        let r = s.get(&t, &format!("/api/v1/debtors?cursor={garbage}")).await;
        assert_eq!((r.status, r.field()), (400, Some("cursor")), "{garbage}");
    }
    for limit in ["0", "1001", "ten"] {
        let r = s.get(&t, &format!("/api/v1/debtors?limit={limit}")).await;
        assert_eq!((r.status, r.field()), (400, Some("limit")), "{limit}");
    }
    s.stop().await;
}

#[tokio::test]
async fn every_list_filter_narrows_the_list() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let mut d1 = debtor("D1", "Bakkerij Jansen");
    d1["segments"] = json!(["retail"]);
    d1["owner"] = json!("anna");
    s.must_post(&t, "/api/v1/debtors", d1, 201).await;
    let mut d2 = debtor("D2", "Zeeman Groothandel");
    d2["kind"] = json!("consumer");
    d2["segments"] = json!(["wholesale"]);
    d2["owner"] = json!("bob");
    s.must_post(&t, "/api/v1/debtors", d2, 201).await;
    s.must_post(&t, "/api/v1/debtors", debtor("X9", "Pauze BV"), 201).await;
    s.must_post(&t, "/api/v1/debtors/X9/pause", json!({ "reason": "talks" }), 200).await;

    // F1: D1, overdue. F2: D2, not due. F3: D1 in USD, issued long ago. F4: D2, settled.
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -40, -10, "100"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D2", -1, 29, "200"), 201).await;
    let mut usd = invoice("F3", "D1", -400, -370, "300");
    usd["currency"] = json!("USD");
    s.must_post(&t, "/api/v1/invoices", usd, 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F4", "D2", -5, 25, "40"), 201).await;
    let mut pay_f4 = payment(-2, "40");
    pay_f4["invoice_number"] = json!("F4");
    s.must_post(&t, "/api/v1/payments", pay_f4, 201).await;
    let mut unapplied = payment(-30, "7.50");
    unapplied["counterparty_name"] = json!("unknown payer");
    s.must_post(&t, "/api/v1/payments", unapplied, 201).await;
    s.must_post(
        &t,
        "/api/v1/credit-notes",
        json!({ "number": "C1", "debtor_number": "D2", "issue_date": day(0), "amount": "5" }),
        201,
    )
    .await;

    let debtors = |q: &str| format!("/api/v1/debtors?{q}");
    let n = "number";
    assert_eq!(s.col(&t, &debtors("search=jans"), n).await, ["D1"]);
    assert_eq!(s.col(&t, &debtors("search=D"), n).await, ["D1", "D2"]);
    assert_eq!(s.col(&t, &debtors("segment=wholesale"), n).await, ["D2"]);
    assert_eq!(s.col(&t, &debtors("owner=anna"), n).await, ["D1"]);
    assert_eq!(s.col(&t, &debtors("kind=consumer"), n).await, ["D2"]);
    assert_eq!(s.col(&t, &debtors("overdue=true"), n).await, ["D1"]);
    assert_eq!(s.col(&t, &debtors("paused=true"), n).await, ["X9"]);
    assert_eq!(s.col(&t, &debtors("paused=false"), n).await, ["D1", "D2"]);

    let invoices = |q: &str| format!("/api/v1/invoices?{q}");
    assert_eq!(s.col(&t, &invoices(""), n).await, ["F1", "F2", "F3", "F4"]);
    assert_eq!(s.col(&t, &invoices("status=open"), n).await, ["F1", "F2", "F3"]);
    assert_eq!(s.col(&t, &invoices("status=settled"), n).await, ["F4"]);
    assert_eq!(s.col(&t, &invoices("overdue=true"), n).await, ["F1", "F3"]);
    assert_eq!(s.col(&t, &invoices("debtor=D2"), n).await, ["F2", "F4"]);
    assert_eq!(s.col(&t, &invoices("debtor=NOBODY"), n).await, Vec::<String>::new());
    assert_eq!(s.col(&t, &invoices("segment=retail"), n).await, ["F1", "F3"]);
    assert_eq!(s.col(&t, &invoices("owner=bob"), n).await, ["F2", "F4"]);
    assert_eq!(s.col(&t, &invoices("currency=USD"), n).await, ["F3"]);
    assert_eq!(s.col(&t, &invoices(&format!("issued_from={}", day(-5))), n).await, ["F2", "F4"]);
    assert_eq!(s.col(&t, &invoices(&format!("issued_to={}", day(-40))), n).await, ["F1", "F3"]);
    let window = format!("issued_from={}&issued_to={}&debtor=D1", day(-40), day(-40));
    assert_eq!(s.col(&t, &invoices(&window), n).await, ["F1"]);
    assert_eq!(s.col(&t, "/api/v1/credit-notes?debtor=D2&status=open", n).await, ["C1"]);
    assert_eq!(s.col(&t, "/api/v1/credit-notes?debtor=D1", n).await, Vec::<String>::new());

    let payments = |q: &str| format!("/api/v1/payments?{q}");
    let a = "amount";
    assert_eq!(s.col(&t, &payments(""), a).await, ["40.00", "7.50"]);
    assert_eq!(s.col(&t, &payments("debtor=D2"), a).await, ["40.00"]);
    assert_eq!(s.col(&t, &payments("unapplied=true"), a).await, ["7.50"]);
    assert_eq!(s.col(&t, &payments("unapplied=false"), a).await, ["40.00"]);
    assert_eq!(s.col(&t, &payments(&format!("from={}", day(-10))), a).await, ["40.00"]);
    assert_eq!(s.col(&t, &payments(&format!("to={}", day(-10))), a).await, ["7.50"]);

    // Bad filter values and unknown parameters are refused, naming the parameter.
    for (q, field) in [
        ("/api/v1/invoices?status=late", "status"),
        ("/api/v1/invoices?overdue=false", "overdue"),
        ("/api/v1/invoices?issued_from=2026-02-30", "issued_from"),
        ("/api/v1/invoices?currency=XYZ", "currency"),
        ("/api/v1/debtors?kind=company", "kind"),
        ("/api/v1/debtors?paused=yes", "paused"),
        ("/api/v1/payments?sort=date", "sort"),
    ] {
        let r = s.get(&t, q).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (400, "bad_request", Some(field)),
            "{q}: {}",
            r.body
        );
    }
    s.stop().await;
}

// ------------------------------------------------------------------ reports, organisation

#[tokio::test]
async fn reports_have_their_json_shape() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -60, -45, "100.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D1", -5, 25, "50.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F3", "D1", -50, -40, "80.00"), 201).await;
    let mut paid = payment(-20, "80.00");
    paid["invoice_number"] = json!("F3");
    s.must_post(&t, "/api/v1/payments", paid, 201).await;

    let a = s.get(&t, "/api/v1/reports/ageing").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["as_of"], today().to_string());
    assert_eq!(a.body["currency"], "EUR");
    assert_eq!(a.body["total"], "150.00");
    assert_eq!(a.body["overdue"], "100.00");
    let labels: Vec<&str> = a.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["not_due", "1-30", "31-60", "61-90", "91-180", "180+"]);
    assert_eq!(a.body["buckets"][0], json!({ "label": "not_due", "amount": "50.00", "count": 1 }));
    assert_eq!(a.body["buckets"][2], json!({ "label": "31-60", "amount": "100.00", "count": 1 }));
    for key in ["unapplied", "net"] {
        assert!(a.body[key].is_string(), "{key}");
    }
    let custom = s
        .get(&t, &format!("/api/v1/reports/ageing?buckets=10,50&as_of={}&debtor=D1", day(-1)))
        .await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    assert_eq!(custom.body["buckets"].as_array().unwrap().len(), 4);
    assert_eq!(custom.body["as_of"], day(-1));
    let bad = s.get(&t, "/api/v1/reports/ageing?buckets=60,30").await;
    assert_eq!((bad.status, bad.field()), (400, Some("buckets")));
    let nobody = s.get(&t, "/api/v1/reports/ageing?debtor=NOBODY").await;
    assert_eq!((nobody.status, nobody.code()), (404, "debtor_not_found"));

    let d = s.get(&t, "/api/v1/reports/dso").await;
    assert_eq!(d.status, 200, "{}", d.body);
    for key in [
        "as_of",
        "countback_days",
        "standard_days",
        "period_days",
        "receivables",
        "capped",
        "currency",
    ] {
        assert!(d.body.get(key).is_some(), "dso lacks {key}: {}", d.body);
    }
    assert_eq!(d.body["period_days"], 90);
    assert!(d.body["countback_days"].is_string(), "{}", d.body);
    let d30 = s.get(&t, "/api/v1/reports/dso?period_days=30").await;
    assert_eq!(d30.body["period_days"], 30);
    let bad = s.get(&t, "/api/v1/reports/dso?period_days=0").await;
    assert_eq!((bad.status, bad.field()), (400, Some("period_days")));

    let b = s.get(&t, "/api/v1/reports/behaviour").await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(b.body["count"], 1);
    assert_eq!(b.body["to"], today().to_string());
    assert_eq!(b.body["from"], day(-365));
    let b = s
        .get(&t, &format!("/api/v1/reports/behaviour?from={}&to={}&debtor=D1", day(-30), day(0)))
        .await;
    assert_eq!(b.body["count"], 1);
    assert!(b.body["average_days_to_pay"].is_string());
    let b = s.get(&t, &format!("/api/v1/reports/behaviour?from={}", day(1))).await;
    assert_eq!((b.status, b.field()), (400, Some("from")));

    let o = s.get(&t, "/api/v1/organisation").await;
    assert_eq!(o.body["slug"], "acme");
    assert_eq!(o.body["currency"], "EUR");
    assert_eq!(o.body["time_zone"], "Europe/Amsterdam");
    assert_eq!(o.body["reference_scheme"], "nl");
    s.stop().await;
}

// ------------------------------------------------------------------ errors, idempotency

#[tokio::test]
async fn errors_have_stable_codes_and_statuses() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let r = s.get(&t, "/api/v1/debtors/NOPE").await;
    assert_eq!((r.status, r.code()), (404, "debtor_not_found"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("NOPE"));
    assert_eq!(r.body["error"]["field"], Value::Null);
    assert_eq!(s.get(&t, "/api/v1/invoices/NOPE").await.code(), "invoice_not_found");
    assert_eq!(s.get(&t, "/api/v1/credit-notes/NOPE").await.code(), "credit_note_not_found");
    assert_eq!(s.get(&t, "/api/v1/payments/99").await.code(), "payment_not_found");
    assert_eq!(s.get(&t, "/api/v1/payments/abc").await.code(), "payment_not_found");
    assert_eq!(s.delete(&t, "/api/v1/allocations/99").await.code(), "allocation_not_found");

    s.must_post(&t, "/api/v1/debtors", debtor("D1", "Jansen"), 201).await;
    let r = s.post(&t, "/api/v1/debtors", debtor("D1", "Other")).await;
    assert_eq!((r.status, r.code()), (409, "debtor_exists"));

    // Not JSON, wrong types, missing and unknown fields, enumerations: 400 naming the field.
    let r = s
        .raw(Method::POST, "/api/v1/debtors", &t, "application/json", b"{\"number\": ".to_vec())
        .await;
    assert_eq!((r.status, r.code(), r.field()), (400, "bad_request", None));
    let r = s.raw(Method::POST, "/api/v1/debtors", &t, "application/json", Vec::new()).await;
    assert_eq!((r.status, r.code()), (400, "bad_request"));
    let r = s.post(&t, "/api/v1/debtors", json!({ "number": "D2", "kind": "business" })).await;
    assert_eq!((r.status, r.field()), (400, Some("name")));
    let r = s
        .post(
            &t,
            "/api/v1/debtors",
            json!({ "number": "D2", "name": "x", "kind": "business", "colour": "red" }),
        )
        .await;
    assert_eq!((r.status, r.field()), (400, Some("colour")));
    let r = s
        .post(&t, "/api/v1/debtors", json!({ "number": "D2", "name": "x", "kind": "company" }))
        .await;
    assert_eq!((r.status, r.field()), (400, Some("kind")));
    let r = s
        .post(&t, "/api/v1/debtors", json!({ "number": 2, "name": "x", "kind": "business" }))
        .await;
    assert_eq!((r.status, r.field()), (400, Some("number")));
    let r = s
        .post(&t, "/api/v1/debtors", json!({ "number": "D2", "name": "x", "kind": "business", "emails": [{ "address": "a@b.nl", "purpose": "spam" }] }))
        .await;
    assert_eq!((r.status, r.field()), (400, Some("emails[0].purpose")));

    // Values the rules refuse: 422 naming the field.
    let r = s
        .post(&t, "/api/v1/debtors", json!({ "number": "D2", "name": "x", "kind": "business", "emails": [{ "address": "not an address" }] }))
        .await;
    assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed", Some("emails[0]")));
    let r = s
        .post(
            &t,
            "/api/v1/debtors",
            json!({ "number": "D2", "name": "x", "kind": "business", "credit_limit": "1,234.00" }),
        )
        .await;
    assert_eq!((r.status, r.field()), (422, Some("credit_limit")));
    let r = s.post(&t, "/api/v1/invoices", invoice("F1", "D1", 0, 30, "12.345")).await;
    assert_eq!((r.status, r.field()), (422, Some("amount")));
    let mut bad_date = invoice("F1", "D1", 0, 30, "12");
    bad_date["issue_date"] = json!("2026-02-30");
    let r = s.post(&t, "/api/v1/invoices", bad_date).await;
    assert_eq!((r.status, r.field()), (422, Some("issue_date")));
    let r = s.post(&t, "/api/v1/invoices", invoice("F1", "NOBODY", 0, 30, "12")).await;
    assert_eq!((r.status, r.code(), r.field()), (422, "input_rejected", Some("debtor_number")));
    let r = s.post(&t, "/api/v1/invoices", invoice("F1", "D1", 0, -1, "12")).await;
    assert_eq!((r.status, r.field()), (422, Some("due_date")));

    // Unknown routes and methods have their own codes.
    let r = s.get(&t, "/api/v1/nothing-here").await;
    assert_eq!((r.status, r.code()), (404, "route_not_found"));
    let r = s.send(Method::PUT, "/api/v1/debtors", Some(&t), Some(&json!({})), &[]).await;
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));

    // A JSON body over the limit.
    let big = json!({ "number": "D9", "name": "x".repeat(2 << 20), "kind": "business" });
    let r = s.post(&t, "/api/v1/debtors", big).await;
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));

    let r = s.send(Method::GET, "/api/v1/debtors", None, None, &[]).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
    s.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_request() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let key = [("idempotency-key", "create-d1")];
    let body = debtor("D1", "Jansen");
    let first = s.send(Method::POST, "/api/v1/debtors", Some(&t), Some(&body), &key).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let replay = s.send(Method::POST, "/api/v1/debtors", Some(&t), Some(&body), &key).await;
    assert_eq!(replay.status, 201, "the first status, not a fresh 200");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.header("location"), Some("/api/v1/debtors/D1"));
    assert_eq!(replay.body, first.body);

    let other =
        s.send(Method::POST, "/api/v1/debtors", Some(&t), Some(&debtor("D2", "x")), &key).await;
    assert_eq!(
        (other.status, other.code(), other.field()),
        (422, "idempotency_key_reused", Some("Idempotency-Key"))
    );
    assert_eq!(s.get(&t, "/api/v1/debtors/D2").await.status, 404, "nothing was created");

    // Payments: the key is the payment's identity; a retry records it once.
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -3, 30, "100"), 201).await;
    let mut pay = payment(0, "25.00");
    pay["invoice_number"] = json!("F1");
    let k = [("idempotency-key", "pay-1")];
    let p1 = s.send(Method::POST, "/api/v1/payments", Some(&t), Some(&pay), &k).await;
    assert_eq!(p1.status, 201, "{}", p1.body);
    assert_eq!(p1.body["external_id"], "idempotency-key:pay-1");
    let p2 = s.send(Method::POST, "/api/v1/payments", Some(&t), Some(&pay), &k).await;
    assert_eq!((p2.status, p2.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(p2.body["id"], p1.body["id"]);
    // Another key for an identical payment is another payment.
    let p3 = s
        .send(
            Method::POST,
            "/api/v1/payments",
            Some(&t),
            Some(&pay),
            &[("idempotency-key", "pay-2")],
        )
        .await;
    assert_eq!(p3.status, 201);
    assert_ne!(p3.body["id"], p1.body["id"]);
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "50.00");

    // Allocations are not idempotent by themselves: the key makes a retry safe.
    let p4 = s
        .send(
            Method::POST,
            "/api/v1/payments",
            Some(&t),
            Some(&payment(0, "10")),
            &[("idempotency-key", "pay-3")],
        )
        .await;
    let alloc = json!({ "invoice_number": "F1", "payment_id": p4.body["id"], "amount": "5" });
    let k = [("idempotency-key", "alloc-1")];
    let a1 = s.send(Method::POST, "/api/v1/allocations", Some(&t), Some(&alloc), &k).await;
    let a2 = s.send(Method::POST, "/api/v1/allocations", Some(&t), Some(&alloc), &k).await;
    assert_eq!((a1.status, a2.status), (201, 201));
    assert_eq!(a1.body["id"], a2.body["id"]);
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "45.00");

    // Validation answers are remembered too; keys are checked.
    let bad = json!({ "number": "D3", "name": "x", "kind": "business", "credit_limit": "-1" });
    let k = [("idempotency-key", "bad-1")];
    let b1 = s.send(Method::POST, "/api/v1/debtors", Some(&t), Some(&bad), &k).await;
    let b2 = s.send(Method::POST, "/api/v1/debtors", Some(&t), Some(&bad), &k).await;
    assert_eq!((b1.status, b2.status, b2.header("idempotent-replayed")), (422, 422, Some("true")));
    let long = "k".repeat(256);
    let r = s
        .send(
            Method::POST,
            "/api/v1/debtors",
            Some(&t),
            Some(&debtor("D4", "x")),
            &[("idempotency-key", &long)],
        )
        .await;
    assert_eq!((r.status, r.field()), (422, Some("Idempotency-Key")));
    assert_eq!(s.get(&t, "/api/v1/debtors/D4").await.status, 404);

    // Keys are per organisation.
    let t2 = s.org("other", OrgCountry::Nl).await;
    let r = s
        .send(
            Method::POST,
            "/api/v1/debtors",
            Some(&t2),
            Some(&debtor("D2", "x")),
            &[("idempotency-key", "create-d1")],
        )
        .await;
    assert_eq!((r.status, r.header("idempotent-replayed")), (201, None));
    s.stop().await;
}

// ------------------------------------------------------------------ payment plans

#[tokio::test]
async fn payment_plans_are_proposed_shown_and_decided_over_the_api() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    let mut d1 = debtor("D1", "Jansen");
    d1["owner"] = json!("anna");
    s.must_post(&t, "/api/v1/debtors", d1, 201).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D2", "Groot BV"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -40, -10, "200.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D1", -20, 10, "100.01"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F3", "D2", -40, -10, "9000.00"), 201).await;

    // Within the rules (3 instalments, first within 30 days, under EUR 5000): active at once.
    let body = json!({ "first_due": day(7), "count": 3, "interval": "monthly" });
    let key = [("idempotency-key", "plan-d1")];
    let r = s.send(Method::POST, "/api/v1/debtors/D1/plans", Some(&t), Some(&body), &key).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["plan"]["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("/api/v1/plans/{id}").as_str()));
    assert_eq!(r.body["decision"], "auto_accept");
    assert_eq!(r.body["task_id"], Value::Null);
    let plan = &r.body["plan"];
    assert_eq!(plan["state"], "active");
    assert_eq!(plan["debtor_number"], "D1");
    assert_eq!(plan["total"], json!({ "amount": "300.01", "currency": "EUR" }));
    let amounts: Vec<&str> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["amount"]["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["100.01", "100.00", "100.00"]);
    assert_eq!(plan["instalments"][0]["due"], day(7));
    // Each instalment has its own payment reference (a Dutch betalingskenmerk for an NL
    // organisation).
    let references: std::collections::BTreeSet<&str> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references.len(), 3, "{plan}");
    let numbers: Vec<&str> = plan["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["F1", "F2"], "every open invoice, the one not yet due too");
    assert_eq!(plan["decided_by"], "automatic");
    assert!(plan["created_by"].as_str().unwrap().starts_with("api:token-"), "{plan}");
    // The same request with the same key is the same answer, not a second plan (nor a 409).
    let again = s.send(Method::POST, "/api/v1/debtors/D1/plans", Some(&t), Some(&body), &key).await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(again.body, r.body);
    // Without the key, a second plan for a debtor with a live one is a conflict.
    let r = s.post(&t, "/api/v1/debtors/D1/plans", body.clone()).await;
    assert_eq!((r.status, r.code()), (409, "payment_plan_exists"), "{}", r.body);
    // The plan holds its invoices: the run leaves them alone, with the reason.
    let preview = s.get(&t, "/api/v1/dunning/preview").await;
    let held: Vec<&str> = preview.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["reason"] == "in a payment plan")
        .map(|k| k["invoice"].as_str().unwrap())
        .collect();
    assert_eq!(held, ["F1", "F2"], "{}", preview.body);

    let shown = s.get(&t, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["id"], id);
    assert_eq!(shown.body["status"]["status"], "on_track", "{}", shown.body);
    assert_eq!(shown.body["paid"]["amount"], "0.00");
    let list = s.get(&t, "/api/v1/debtors/D1/plans").await;
    assert_eq!((list.status, list.column("id")), (200, vec![id.to_string()]));
    assert_eq!(list.body["next_cursor"], Value::Null);
    // Only a proposed plan is decided on.
    let r = s.post(&t, &format!("/api/v1/plans/{id}/accept"), json!({})).await;
    assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed", Some("plan")));
    let r = s.post(&t, &format!("/api/v1/plans/{id}/reject"), json!({})).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"));

    // Above EUR 5000: proposed, with a task for a person; rejected, then a new one accepted.
    let r =
        s.post(&t, "/api/v1/debtors/D2/plans", json!({ "first_due": day(3), "count": 6 })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let proposed = r.body["plan"]["id"].as_i64().unwrap();
    assert_eq!(r.body["plan"]["state"], "proposed");
    assert_eq!(r.body["plan"]["interval"], "monthly", "monthly unless said otherwise");
    let reasons = r.body["decision"]["needs_person"].as_array().unwrap();
    assert!(reasons[0].as_str().unwrap().contains("5000.00"), "{}", r.body);
    let task = r.body["task_id"].as_i64().unwrap();
    let tasks = s.get(&t, "/api/v1/tasks").await;
    let review = tasks.data().iter().find(|x| x["id"] == task).expect("the review task");
    assert_eq!(review["kind"], "plan_review");
    let r = s.post(&t, &format!("/api/v1/plans/{proposed}/reject"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((&r.body["state"], &r.body["ended_on"]), (&json!("rejected"), &json!(day(0))));
    assert!(r.body["decided_by"].as_str().unwrap().starts_with("api:token-"));
    let open = s.get(&t, "/api/v1/tasks").await;
    assert!(open.data().iter().all(|x| x["id"] != task), "the review task is closed");
    let weekly = json!({ "first_due": day(2), "count": 12, "interval": "weekly" });
    let r = s.post(&t, "/api/v1/debtors/D2/plans", weekly).await;
    assert_eq!((r.status, &r.body["plan"]["state"]), (201, &json!("proposed")), "{}", r.body);
    let second = r.body["plan"]["id"].as_i64().unwrap();
    assert_eq!(r.body["plan"]["instalments"][1]["due"], day(9));
    let r = s.post(&t, &format!("/api/v1/plans/{second}/accept"), json!({})).await;
    assert_eq!((r.status, &r.body["state"]), (200, &json!("active")), "{}", r.body);
    let list = s.get(&t, "/api/v1/debtors/D2/plans").await;
    assert_eq!(list.column("id"), vec![second.to_string(), proposed.to_string()], "newest first");

    // What is refused, and how.
    s.must_post(&t, "/api/v1/debtors", debtor("D3", "Klein"), 201).await;
    let r =
        s.post(&t, "/api/v1/debtors/D3/plans", json!({ "first_due": day(3), "count": 2 })).await;
    assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed", Some("plan")));
    s.must_post(&t, "/api/v1/invoices", invoice("F4", "D3", -40, -10, "50.00"), 201).await;
    let past = json!({ "first_due": day(-1), "count": 2 });
    let r = s.post(&t, "/api/v1/debtors/D3/plans", past).await;
    assert_eq!((r.status, r.field()), (422, Some("plan")), "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("before today"), "{}", r.body);
    let r =
        s.post(&t, "/api/v1/debtors/D3/plans", json!({ "first_due": "1-2-3", "count": 2 })).await;
    assert_eq!((r.status, r.field()), (422, Some("first_due")));
    let r = s.post(&t, "/api/v1/debtors/D3/plans", json!({ "first_due": day(3) })).await;
    assert_eq!((r.status, r.code()), (400, "bad_request"), "count is required");
    let extra = json!({ "first_due": day(3), "count": 2, "amount": "10" });
    let r = s.post(&t, "/api/v1/debtors/D3/plans", extra).await;
    assert_eq!((r.status, r.code()), (400, "bad_request"));
    let r = s
        .post(
            &t,
            "/api/v1/debtors/D3/plans",
            json!({ "first_due": day(3), "count": 2, "interval": "daily" }),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "bad_request"));
    // The token's holder may start a plan beyond the limits (four instalments of 12.50, below
    // the smallest instalment of 25.00): it is active at once, decided by the token, no task.
    let started = json!({ "first_due": day(3), "count": 4, "interval": "weekly", "start": true });
    let r = s.post(&t, "/api/v1/debtors/D3/plans", started).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!((&r.body["plan"]["state"], &r.body["task_id"]), (&json!("active"), &json!(null)));
    assert!(r.body["decision"]["needs_person"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(r.body["plan"]["decided_by"].as_str().unwrap().starts_with("api:token-"));
    let r =
        s.post(&t, "/api/v1/debtors/NOPE/plans", json!({ "first_due": day(3), "count": 2 })).await;
    assert_eq!((r.status, r.code()), (404, "debtor_not_found"));
    for path in ["/api/v1/plans/abc", "/api/v1/plans/0", "/api/v1/plans/999999"] {
        let r = s.get(&t, path).await;
        assert_eq!((r.status, r.code()), (404, "payment_plan_not_found"), "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn a_token_never_sees_decides_or_proposes_another_organisations_plans() {
    let s = Server::start().await;
    let ta = s.org("org-a", OrgCountry::Nl).await;
    let tb = s.org("org-b", OrgCountry::Nl).await;
    s.must_post(&ta, "/api/v1/debtors", debtor("D1", "A's customer"), 201).await;
    s.must_post(&ta, "/api/v1/debtors", debtor("D2", "A's other customer"), 201).await;
    s.must_post(&ta, "/api/v1/invoices", invoice("F1", "D1", -40, -10, "9000.00"), 201).await;
    s.must_post(&ta, "/api/v1/invoices", invoice("F2", "D2", -40, -10, "100.00"), 201).await;
    let body = json!({ "first_due": day(5), "count": 4 });
    let a_plan = s.must_post(&ta, "/api/v1/debtors/D1/plans", body.clone(), 201).await;
    let id = a_plan["plan"]["id"].as_i64().unwrap();
    assert_eq!(a_plan["plan"]["state"], "proposed");
    let before = s.get(&ta, &format!("/api/v1/plans/{id}")).await.body;

    // B has a debtor D1 of its own, with nothing open; D2 is only A's.
    s.must_post(&tb, "/api/v1/debtors", debtor("D1", "B's customer"), 201).await;
    for path in [format!("/api/v1/plans/{id}"), "/api/v1/debtors/D2/plans".to_owned()] {
        let r = s.get(&tb, &path).await;
        assert_eq!(r.status, 404, "GET {path}: {}", r.body);
    }
    for verb in ["accept", "reject"] {
        let r = s.post(&tb, &format!("/api/v1/plans/{id}/{verb}"), json!({})).await;
        assert_eq!((r.status, r.code()), (404, "payment_plan_not_found"), "{verb}: {}", r.body);
    }
    let r = s.post(&tb, "/api/v1/debtors/D2/plans", body.clone()).await;
    assert_eq!((r.status, r.code()), (404, "debtor_not_found"), "{}", r.body);
    // B's D1 is B's: it has nothing open (A's invoice is not B's), and no plans.
    let r = s.post(&tb, "/api/v1/debtors/D1/plans", body).await;
    assert_eq!((r.status, r.field()), (422, Some("plan")), "{}", r.body);
    let r = s.get(&tb, "/api/v1/debtors/D1/plans").await;
    assert_eq!((r.status, r.data().len()), (200, 0));
    // A's plan is as it was, still waiting for A.
    assert_eq!(s.get(&ta, &format!("/api/v1/plans/{id}")).await.body, before);
    let r = s.post(&ta, &format!("/api/v1/plans/{id}/accept"), json!({})).await;
    assert_eq!((r.status, &r.body["state"]), (200, &json!("active")));
    s.stop().await;
}

// ------------------------------------------------------------------ isolation and auth

/// Everything organisation B's token can read about B.
async fn snapshot(s: &Server, t: &str, payment_id: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/debtors".to_owned(),
        "/api/v1/debtors/D1".to_owned(),
        "/api/v1/invoices".to_owned(),
        "/api/v1/invoices/F1".to_owned(),
        "/api/v1/credit-notes".to_owned(),
        "/api/v1/credit-notes/C1".to_owned(),
        "/api/v1/payments".to_owned(),
        format!("/api/v1/payments/{payment_id}"),
        "/api/v1/allocations?invoice=F1".to_owned(),
        "/api/v1/audit?limit=1000".to_owned(),
        "/api/v1/organisation".to_owned(),
        "/api/v1/reports/ageing".to_owned(),
        "/api/v1/tasks?all=true".to_owned(),
        "/api/v1/outbox".to_owned(),
        "/api/v1/debtors/D1/timeline".to_owned(),
        "/api/v1/debtors/D1/plans".to_owned(),
        "/api/v1/templates/reminder.fr".to_owned(),
        "/api/v1/matches?all=true".to_owned(),
        "/api/v1/dunning/policies".to_owned(),
        "/api/v1/dunning/policies/be-business".to_owned(),
        "/api/v1/dunning/policies/b-special".to_owned(),
        "/api/v1/dunning/assignments".to_owned(),
        "/api/v1/statement-mappings".to_owned(),
        "/api/v1/statement-mappings/b-bank".to_owned(),
    ] {
        let r = s.get(t, &path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        out.push(r.body);
    }
    let pdf = s.get(t, "/api/v1/invoices/F1/pdf").await;
    assert_eq!(pdf.status, 200);
    out.push(json!(pdf.bytes));
    out
}

#[tokio::test]
async fn a_token_never_sees_or_changes_another_organisations_data() {
    let s = Server::start().await;
    let ta = s.org("org-a", OrgCountry::Nl).await;
    let tb = s.org("org-b", OrgCountry::Be).await;
    // B has one of everything; A has nothing.
    let mut d1 = debtor("D1", "B's customer");
    d1["segments"] = json!(["seg"]);
    d1["owner"] = json!("own");
    s.must_post(&tb, "/api/v1/debtors", d1, 201).await;
    s.must_post(&tb, "/api/v1/invoices", invoice("F1", "D1", -40, -10, "100"), 201).await;
    s.must_post(
        &tb,
        "/api/v1/credit-notes",
        json!({ "number": "C1", "debtor_number": "D1", "issue_date": day(-1), "amount": "5" }),
        201,
    )
    .await;
    let mut pay = payment(-1, "30");
    pay["invoice_number"] = json!("F1");
    let p = s.must_post(&tb, "/api/v1/payments", pay, 201).await;
    let pid = p["id"].as_i64().unwrap();
    let aid = p["allocations"][0]["id"].as_i64().unwrap();
    let r = s
        .raw(Method::PUT, "/api/v1/invoices/F1/pdf", &tb, "application/pdf", b"%PDF-1.4 b".to_vec())
        .await;
    assert_eq!(r.status, 200);
    // B has dunning history too: an action for D1, with a task (B has no IBAN for a message).
    let run = s.must_post(&tb, "/api/v1/dunning/runs", json!({}), 200).await;
    assert_eq!(run["actions"].as_array().unwrap().len(), 1, "{run}");
    let b_tasks = s.get(&tb, "/api/v1/tasks").await;
    assert!(!b_tasks.data().is_empty(), "{}", b_tasks.body);
    let own = json!({ "subject": "Rappel de B", "text": "Bonjour {{ debtor.name }}" });
    let r = s
        .raw(
            Method::PUT,
            "/api/v1/templates/reminder.fr",
            &tb,
            "application/json",
            own.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // B has a bank entry waiting: a credit nothing points to.
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statements?file=b.xml",
            &tb,
            "application/xml",
            camt(&[("B-1", "12.34", "CRDT", "betaling")]),
        )
        .await;
    assert_eq!((r.status, &r.body["unmatched"]), (200, &json!(1)), "{}", r.body);
    let b_entry = s.get(&tb, "/api/v1/matches?all=true").await.data()[0]["id"].as_i64().unwrap();
    // B edited a shipped policy (A starts from the same default), has one of its own, and
    // assigns them.
    let mut b_terms = s.get(&tb, "/api/v1/dunning/policies/be-business").await.body;
    b_terms["name"] = json!("B's own terms");
    b_terms["steps"][0]["trigger"]["days"] = json!(1);
    let r = s.put(&tb, "/api/v1/dunning/policies/be-business", b_terms.clone()).await;
    assert_eq!((r.status, &r.body["version"]), (200, &json!(2)), "{}", r.body);
    b_terms["id"] = json!("b-special");
    let r = s.put(&tb, "/api/v1/dunning/policies/b-special", b_terms).await;
    assert_eq!((r.status, &r.body["version"]), (200, &json!(1)), "{}", r.body);
    let b_rules =
        json!({ "by_debtor": { "D1": "b-special" }, "by_segment": { "seg": "be-business" } });
    let r = s.put(&tb, "/api/v1/dunning/assignments", b_rules).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // B saved a CSV mapping of its own.
    let b_mapping = json!({ "name": "B's bank", "date_format": "%Y-%m-%d",
        "account": { "fixed": "BE68539007547034" }, "currency": { "fixed": "EUR" },
        "booking_date": 1, "amount": { "signed": 2 }, "has_header": false });
    let r = s.put(&tb, "/api/v1/statement-mappings/b-bank", b_mapping.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // B's D1 pays what is left in two instalments.
    let plan = json!({ "first_due": day(5), "count": 2 });
    let b_plan = s.must_post(&tb, "/api/v1/debtors/D1/plans", plan.clone(), 201).await;
    assert_eq!(b_plan["plan"]["state"], "active", "{b_plan}");
    let b_plan = b_plan["plan"]["id"].as_i64().unwrap();
    let before = snapshot(&s, &tb, pid).await;

    let mut routes = arflow_web::routes();
    // Creating a debtor with B's number in A is allowed (A gets its own); do it last so the
    // other cases still find nothing in A.
    // Likewise A's own statement (A's entry ids count from 1 as B's do): after the matches.
    routes.sort_by_key(|(m, p)| {
        *m == Method::POST && (*p == "/api/v1/debtors" || *p == "/api/v1/statements")
    });
    let mut covered = 0;
    for (method, template) in routes {
        let path = template
            .replace("{number}", "D1")
            .replace("{id}", &pid.to_string())
            .replace("{name}", "b-bank");
        let path = match template {
            p if p.starts_with("/api/v1/invoices/{number}") => template.replace("{number}", "F1"),
            p if p.starts_with("/api/v1/credit-notes/{number}") => {
                template.replace("{number}", "C1")
            }
            "/api/v1/allocations/{id}" => template.replace("{id}", &aid.to_string()),
            p if p.starts_with("/api/v1/matches/{id}") => {
                template.replace("{id}", &b_entry.to_string())
            }
            p if p.starts_with("/api/v1/plans/{id}") => {
                template.replace("{id}", &b_plan.to_string())
            }
            _ => path,
        };
        let m = method.as_str();
        let empty = |r: &Resp| {
            assert_eq!(r.status, 200, "{m} {path}: {}", r.body);
            assert_eq!(r.data().len(), 0, "{m} {path} shows B's rows: {}", r.body);
        };
        let not_found = |r: &Resp| {
            assert_eq!(r.status, 404, "{m} {path}: {}", r.body);
            assert!(
                r.code().ends_with("_not_found") && r.code() != "route_not_found",
                "{m} {path}: {}",
                r.body
            );
        };
        match (m, template) {
            ("GET", "/healthz") => {
                assert_eq!(s.send(method.clone(), &path, None, None, &[]).await.status, 200)
            }
            ("GET", "/api/v1/openapi.json") => assert_eq!(s.get(&ta, &path).await.status, 200),
            ("GET", "/api/v1/organisation") => {
                assert_eq!(s.get(&ta, &path).await.body["slug"], "org-a")
            }
            ("GET", "/api/v1/audit") => {
                let r = s.get(&ta, "/api/v1/audit?limit=1000").await;
                for e in r.data() {
                    let text = e.to_string();
                    assert!(
                        !text.contains("D1") && !text.contains("F1") && !text.contains("org-b"),
                        "{text}"
                    );
                }
            }
            ("GET", "/api/v1/debtors") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/debtors?search=D1").await);
                empty(&s.get(&ta, "/api/v1/debtors?segment=seg&owner=own&overdue=true").await);
            }
            ("GET", "/api/v1/invoices") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/invoices?debtor=D1").await);
                empty(&s.get(&ta, "/api/v1/invoices?segment=seg&overdue=true").await);
            }
            ("GET", "/api/v1/credit-notes") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/credit-notes?debtor=D1").await);
            }
            ("GET", "/api/v1/payments") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/payments?debtor=D1&unapplied=false").await);
            }
            ("GET", "/api/v1/allocations") => {
                not_found(&s.get(&ta, "/api/v1/allocations?invoice=F1").await);
                not_found(&s.get(&ta, &format!("/api/v1/allocations?payment={pid}")).await);
                not_found(&s.get(&ta, "/api/v1/allocations?credit_note=C1").await);
            }
            ("GET", "/api/v1/reports/ageing") => {
                let r = s.get(&ta, &path).await;
                assert_eq!(
                    (r.body["total"].as_str(), r.body["unapplied"].as_str()),
                    (Some("0.00"), Some("0.00"))
                );
                not_found(&s.get(&ta, "/api/v1/reports/ageing?debtor=D1").await);
            }
            ("GET", "/api/v1/reports/dso") => {
                let r = s.get(&ta, &path).await;
                assert_eq!(r.body["receivables"], "0.00", "{}", r.body);
            }
            ("GET", "/api/v1/reports/behaviour") => {
                assert_eq!(s.get(&ta, &path).await.body["count"], 0);
                not_found(&s.get(&ta, "/api/v1/reports/behaviour?debtor=D1").await);
            }
            ("GET", "/api/v1/dunning/preview") => {
                let r = s.get(&ta, &path).await;
                assert_eq!(r.body["actions"], json!([]), "{}", r.body);
            }
            ("GET", "/api/v1/dunning/policies") => {
                assert_eq!(s.get(&ta, &path).await.data().len(), 4, "the shipped defaults");
            }
            ("GET", "/api/v1/dunning/policies/{id}") => {
                // A sees the shipped default, not B's edit of it, and nothing of B's own.
                let shipped = arflow_core::dunning::default_policies()
                    .into_iter()
                    .find(|p| p.id == "be-business")
                    .unwrap();
                let r = s.get(&ta, "/api/v1/dunning/policies/be-business").await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert_eq!(r.body, serde_json::to_value(shipped).unwrap());
                not_found(&s.get(&ta, "/api/v1/dunning/policies/b-special").await);
            }
            ("PUT", "/api/v1/dunning/policies/{id}") => {
                // A's edit of the same policy is A's: its version 2, B's stays B's.
                let mut mine = s.get(&ta, "/api/v1/dunning/policies/be-business").await.body;
                mine["name"] = json!("A's terms");
                let r = s.put(&ta, "/api/v1/dunning/policies/be-business", mine).await;
                assert_eq!((r.status, &r.body["version"]), (200, &json!(2)), "{}", r.body);
                let a = s.get(&ta, "/api/v1/dunning/policies/be-business").await;
                assert_eq!(a.body["name"], "A's terms");
                let b = s.get(&tb, "/api/v1/dunning/policies/be-business").await;
                assert_eq!(
                    (&b.body["name"], &b.body["version"]),
                    (&json!("B's own terms"), &json!(2))
                );
            }
            ("GET", "/api/v1/dunning/assignments") => {
                let r = s.get(&ta, &path).await;
                let none = json!({ "by_debtor": {}, "by_segment": {}, "by_country_kind": {}, "by_kind": {} });
                assert_eq!((r.status, r.body.clone()), (200, none));
            }
            ("PUT", "/api/v1/dunning/assignments") => {
                // B's debtor and B's own policy do not exist for A.
                let r = s.put(&ta, &path, json!({ "by_debtor": { "D1": "be-business" } })).await;
                assert_eq!((r.status, r.field()), (422, Some("by_debtor.D1")), "{}", r.body);
                let r = s.put(&ta, &path, json!({ "by_kind": { "business": "b-special" } })).await;
                assert_eq!((r.status, r.field()), (422, Some("by_kind.business")), "{}", r.body);
                let r = s.put(&ta, &path, json!({ "by_segment": { "seg": "nl-consumer" } })).await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert_eq!(
                    s.get(&ta, &path).await.body["by_segment"],
                    json!({ "seg": "nl-consumer" })
                );
                let b = s.get(&tb, &path).await;
                assert_eq!(b.body["by_segment"], json!({ "seg": "be-business" }), "{}", b.body);
            }
            ("GET", "/api/v1/outbox") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/outbox?status=planned").await);
            }
            ("GET", "/api/v1/tasks") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/tasks?all=true").await);
            }
            ("GET", "/api/v1/templates") => {
                let r = s.get(&ta, &path).await;
                assert_eq!(r.data().len(), 32, "8 steps in 4 languages");
                assert!(r.data().iter().all(|t| t["edited"] == false), "{}", r.body);
            }
            ("GET", "/api/v1/matches") => {
                empty(&s.get(&ta, &path).await);
                empty(&s.get(&ta, "/api/v1/matches?all=true").await);
            }
            ("GET", "/api/v1/statement-mappings") => {
                let r = s.get(&ta, &path).await;
                assert_eq!(r.column("name"), ["ing-nl", "rabobank-nl"], "{}", r.body);
            }
            ("PUT", "/api/v1/statement-mappings/{name}") => {
                // A may save a mapping by the same name: its own, removed again at once.
                let r = s.put(&ta, &path, b_mapping.clone()).await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert_eq!(s.delete(&ta, &path).await.status, 204);
            }
            ("DELETE", "/api/v1/statement-mappings/{name}") => {
                not_found(&s.delete(&ta, &path).await)
            }
            ("GET", _) => not_found(&s.get(&ta, &path).await),
            ("POST", "/api/v1/statements") => {
                // B's mapping is not A's.
                let r = s
                    .raw(
                        Method::POST,
                        "/api/v1/statements?mapping=b-bank",
                        &ta,
                        "text/csv",
                        b"2026-03-01;1.00\n".to_vec(),
                    )
                    .await;
                not_found(&r);
                // A's own statement naming B's invoice: nothing of B's is matched (a debit, so
                // that A's review queue stays empty for the other cases).
                let body = camt(&[("A-1", "100.00", "DBIT", "F1")]);
                let r = s.raw(Method::POST, &path, &ta, "application/xml", body).await;
                assert_eq!(
                    (r.status, &r.body["matched_automatically"], &r.body["ignored"]),
                    (200, &json!(0), &json!(1)),
                    "{}",
                    r.body
                );
            }
            ("POST", "/api/v1/e-invoices") => {
                let r = s.raw(Method::POST, &path, &ta, "application/xml", b"<x/>".to_vec()).await;
                assert_eq!(r.status, 422, "{}", r.body);
            }
            ("POST", "/api/v1/matches/{id}/accept") => {
                not_found(
                    &s.post(
                        &ta,
                        &path,
                        json!({ "split": [{ "invoice_number": "F1", "amount": "1" }] }),
                    )
                    .await,
                );
                not_found(&s.post(&ta, &path, json!({})).await);
            }
            ("POST", "/api/v1/matches/{id}/reject") => {
                not_found(&s.send(Method::POST, &path, Some(&ta), None, &[]).await);
            }
            ("PUT", "/api/v1/templates/{id}") => {
                let body = json!({ "subject": "x", "text": "y" }).to_string().into_bytes();
                not_found(&s.raw(Method::PUT, &path, &ta, "application/json", body).await);
            }
            ("DELETE", "/api/v1/templates/{id}") => {
                not_found(&s.delete(&ta, "/api/v1/templates/reminder.fr").await);
                not_found(&s.delete(&ta, &path).await);
            }
            ("POST", "/api/v1/dunning/runs") => {
                let r = s.post(&ta, &path, json!({ "dry_run": true })).await;
                assert_eq!((r.status, &r.body["actions"]), (200, &json!([])), "{}", r.body);
                let r = s.post(&ta, &path, json!({})).await;
                assert_eq!((r.status, &r.body["actions"]), (200, &json!([])), "{}", r.body);
            }
            ("POST", "/api/v1/tasks/{id}/done") => {
                for id in 1..=3 {
                    let done = format!("/api/v1/tasks/{id}/done");
                    not_found(&s.post(&ta, &done, json!({ "outcome": "reached" })).await);
                }
            }
            ("PATCH", "/api/v1/debtors/{number}") => {
                not_found(&s.patch(&ta, &path, json!({ "name": "taken over" })).await)
            }
            ("PATCH", "/api/v1/invoices/{number}") => {
                not_found(&s.patch(&ta, &path, json!({ "due_date": day(90) })).await)
            }
            ("PUT", "/api/v1/invoices/{number}/policy") => {
                not_found(&s.put(&ta, &path, json!({ "policy": "nl-consumer" })).await)
            }
            ("PUT", "/api/v1/invoices/{number}/pdf") => {
                not_found(
                    &s.raw(Method::PUT, &path, &ta, "application/pdf", b"%PDF-1.4 a".to_vec())
                        .await,
                );
            }
            ("DELETE", "/api/v1/allocations/{id}") => not_found(&s.delete(&ta, &path).await),
            ("POST", "/api/v1/debtors/{number}/plans") => {
                not_found(&s.post(&ta, &path, plan.clone()).await)
            }
            ("POST", "/api/v1/plans/{id}/accept" | "/api/v1/plans/{id}/reject") => {
                not_found(&s.post(&ta, &path, json!({})).await)
            }
            ("POST", "/api/v1/debtors/{number}/pause") => {
                not_found(&s.post(&ta, &path, json!({ "reason": "x" })).await)
            }
            ("POST", "/api/v1/debtors/{number}/resume") => {
                not_found(&s.send(Method::POST, &path, Some(&ta), None, &[]).await);
            }
            ("POST", "/api/v1/invoices") => {
                let r = s.post(&ta, &path, invoice("F9", "D1", 0, 30, "1")).await;
                assert_eq!((r.status, r.field()), (422, Some("debtor_number")), "{}", r.body);
            }
            ("POST", "/api/v1/credit-notes") => {
                let r = s
                    .post(&ta, &path, json!({ "number": "C9", "debtor_number": "D1", "issue_date": day(0), "amount": "1", "credits_invoice": "F1" }))
                    .await;
                assert_eq!(r.status, 422, "{}", r.body);
            }
            ("POST", "/api/v1/payments") => {
                let mut body = payment(0, "1");
                body["invoice_number"] = json!("F1");
                let r = s.post(&ta, &path, body).await;
                assert_eq!((r.status, r.field()), (422, Some("invoice_number")), "{}", r.body);
            }
            ("POST", "/api/v1/allocations") => {
                not_found(
                    &s.post(&ta, &path, json!({ "invoice_number": "F1", "payment_id": pid })).await,
                );
                not_found(
                    &s.post(
                        &ta,
                        &path,
                        json!({ "invoice_number": "F1", "credit_note_number": "C1" }),
                    )
                    .await,
                );
            }
            ("POST", "/api/v1/debtors") => {
                let r = s.post(&ta, &path, debtor("D1", "A's own D1")).await;
                assert_eq!(r.status, 201, "{}", r.body);
                assert_eq!(s.get(&ta, "/api/v1/debtors/D1").await.body["name"], "A's own D1");
            }
            other => panic!("no isolation case for {other:?}: add one"),
        }
        covered += 1;
    }
    assert_eq!(covered, arflow_web::routes().len());
    assert_eq!(snapshot(&s, &tb, pid).await, before, "B's data changed");
    s.stop().await;
}

/// A camt.053.001.02 statement of (bank reference, amount, CRDT|DBIT, remittance) entries.
fn camt(entries: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-01T10:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>\
         <CreDtTm>2026-03-01T10:00:00</CreDtTm><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>",
    );
    for (r, amount, side, text) in entries {
        x.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2026-03-01</Dt></BookgDt><ValDt><Dt>2026-03-01</Dt></ValDt><AcctSvcrRef>{r}</AcctSvcrRef>\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\
             <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>\
             <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        ));
    }
    x.push_str("</Stmt></BkToCstmrStmt></Document>");
    x.into_bytes()
}

/// The routes the API description marks as needing a token.
fn authenticated_routes() -> Vec<(Method, String)> {
    let spec = arflow_web::openapi();
    let mut out = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security") != Some(&json!([])) {
                out.push((method.to_uppercase().parse().unwrap(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_authenticated_route_refuses_requests_without_a_valid_token() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    s.must_post(&t, "/api/v1/debtors", debtor("D1", "x"), 201).await;
    // Well-formed, but not a token anyone was given.
    let org_id = t.split('_').nth(1).unwrap();
    let forged = format!("arf_{org_id}_{}", "ab".repeat(32));
    let routes = authenticated_routes();
    assert_eq!(
        routes.len() + 2,
        arflow_web::routes().len(),
        "all but /healthz and the spec need a token"
    );
    for (method, template) in routes {
        let path = template.replace("{number}", "D1").replace("{id}", "1");
        let body = json!({});
        let cases: [(Option<&str>, &str); 4] = [
            (None, "none"),
            (Some("garbage"), "garbage"),
            (Some(&forged), "forged"),
            (Some(""), "empty"),
        ];
        for (token, what) in cases {
            let r = s.send(method.clone(), &path, token, Some(&body), &[]).await;
            assert_eq!(
                (r.status, r.code()),
                (401, "unauthorized"),
                "{method} {path} with {what} token: {}",
                r.body
            );
        }
        let r = s
            .send(
                method.clone(),
                &path,
                None,
                Some(&body),
                &[("authorization", &format!("Basic {t}"))],
            )
            .await;
        assert_eq!(r.status, 401, "{method} {path} with a Basic scheme");
    }
    s.stop().await;
}

// ------------------------------------------------------------------ the API description

#[test]
fn the_openapi_document_describes_exactly_the_routes_served() {
    let spec = arflow_web::openapi();
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            described.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut served: Vec<(String, String)> = arflow_web::routes()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_owned(), p.to_owned()))
        .collect();
    described.sort();
    served.sort();
    let before = served.len();
    served.dedup();
    assert_eq!(before, served.len(), "a route is listed twice");
    assert_eq!(described, served);
}

#[test]
fn the_openapi_document_is_3_1_with_operation_ids_and_responses() {
    let spec = arflow_web::openapi();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1."));
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(spec["components"]["schemas"]["Error"].is_object());
    let mut ids = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(!ids.contains(&id.to_owned()), "operationId {id} twice");
            ids.push(id.to_owned());
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path}: no responses"));
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path}: no success response"
            );
            // Every path parameter is declared.
            for name in ["number", "id"] {
                if path.contains(&format!("{{{name}}}")) {
                    let declared = op["parameters"].as_array().unwrap().iter().any(|p| {
                        p["$ref"] == format!("#/components/parameters/{name}") || p["name"] == name
                    });
                    assert!(declared, "{method} {path} does not declare {name}");
                }
            }
        }
    }
    // Every reference points at something that exists.
    let text = spec.to_string();
    for part in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = part.split('"').next().unwrap();
        let (kind, name) = target.split_once('/').unwrap();
        assert!(spec["components"][kind][name].is_object(), "dangling $ref {target}");
    }
}

#[tokio::test]
async fn every_route_listed_is_served() {
    let s = Server::start().await;
    let t = s.org("acme", OrgCountry::Nl).await;
    for (method, template) in arflow_web::routes() {
        let path = template.replace("{number}", "x").replace("{id}", "1");
        let r = s.send(method.clone(), &path, Some(&t), Some(&json!({})), &[]).await;
        assert!(
            !matches!(r.code(), "route_not_found" | "method_not_allowed") && r.status != 405,
            "{method} {template} is not served: {} {}",
            r.status,
            r.body
        );
    }
    let served = s.get(&t, "/api/v1/openapi.json").await;
    assert_eq!(served.body, arflow_web::openapi());
    s.stop().await;
}

#[tokio::test]
async fn the_health_check_answers_without_a_token() {
    let s = Server::start().await;
    let r = s.send(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({ "status": "ok" })));
    let spec = s.send(Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(spec.status, 200);
    s.app.store.close().await;
    let r = s.send(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!((r.status, r.body.clone()), (503, json!({ "status": "unavailable" })));
    s.stop().await;
}

// ------------------------------------------------------------------ statements and matches

#[tokio::test]
async fn an_uploaded_statement_is_matched_reviewed_and_decided_once() {
    let s = Server::start().await;
    let t = s.org("bank", OrgCountry::Nl).await;
    let mut d1 = debtor("D1", "Bakkerij Jansen");
    d1["ibans"] = json!(["NL91ABNA0417164300"]);
    s.must_post(&t, "/api/v1/debtors", d1, 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F1", "D1", -40, -10, "100.00"), 201).await;
    s.must_post(&t, "/api/v1/invoices", invoice("F2", "D1", -30, -5, "80.00"), 201).await;
    // F1 named with its exact amount: allocated; 50.00 from D1's account fits nothing: review.
    let file =
        camt(&[("R-1", "100.00", "CRDT", "Factuur F1"), ("R-2", "50.00", "CRDT", "betaling")]);
    let r = s
        .raw(Method::POST, "/api/v1/statements?file=march.xml", &t, "application/xml", file.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            &r.body["entries"],
            &r.body["created"],
            &r.body["matched_automatically"],
            &r.body["to_review"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1)),
        "{}",
        r.body
    );
    assert_eq!(s.get(&t, "/api/v1/invoices/F1").await.body["open"], "0.00");
    // The same file again: nothing new.
    let again = s.raw(Method::POST, "/api/v1/statements", &t, "application/xml", file).await;
    assert_eq!(
        (&again.body["created"], &again.body["already_imported"]),
        (&json!(0), &json!(2)),
        "{}",
        again.body
    );
    // A broken file: 422 with the problem's place, nothing stored.
    let broken = s
        .raw(
            Method::POST,
            "/api/v1/statements?file=bad.xml",
            &t,
            "application/xml",
            b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
                .to_vec(),
        )
        .await;
    assert_eq!((broken.status, broken.code()), (422, "input_rejected"), "{}", broken.body);
    assert!(broken.body.to_string().contains("bad.xml:"), "{}", broken.body);

    let queue = s.get(&t, "/api/v1/matches").await;
    let items = queue.data();
    assert_eq!(items.len(), 1, "{}", queue.body);
    let entry = &items[0];
    assert_eq!(
        (entry["amount"].as_str(), entry["status"].as_str()),
        (Some("50.00"), Some("review"))
    );
    let suggestion = &entry["suggestions"][0];
    assert_eq!(suggestion["rule"], "iban", "{entry}");
    assert!(suggestion["confidence"].as_u64().unwrap() < 90);
    assert!(suggestion["explanation"].as_str().unwrap().contains("NL91ABNA0417164300"));
    assert!(
        suggestion["explanations"]["nl"]
            .as_str()
            .unwrap()
            .starts_with("Rekening NL91ABNA0417164300 is bekend voor deze debiteur."),
        "{suggestion}"
    );
    assert!(
        suggestion["explanations"]["fr"]
            .as_str()
            .unwrap()
            .starts_with("Le compte NL91ABNA0417164300 est connu pour ce débiteur."),
        "{suggestion}"
    );
    let id = entry["id"].as_i64().unwrap();
    let path = format!("/api/v1/matches/{id}/accept");
    let too_much = s
        .post(&t, &path, json!({ "split": [{ "invoice_number": "F2", "amount": "60.00" }] }))
        .await;
    assert_eq!(too_much.status, 422, "{}", too_much.body);
    let done = s
        .post(&t, &path, json!({ "split": [{ "invoice_number": "F2", "amount": "50.00" }] }))
        .await;
    assert_eq!(
        (done.status, done.body["status"].as_str()),
        (200, Some("matched")),
        "{}",
        done.body
    );
    assert_eq!(s.get(&t, "/api/v1/invoices/F2").await.body["open"], "30.00");
    // Decided once.
    assert_eq!(s.post(&t, &path, json!({})).await.status, 422);
    let reject =
        s.send(Method::POST, &format!("/api/v1/matches/{id}/reject"), Some(&t), None, &[]).await;
    assert_eq!(reject.status, 422, "{}", reject.body);
    assert_eq!(s.get(&t, "/api/v1/matches?all=true").await.data().len(), 0);
    s.stop().await;
}
