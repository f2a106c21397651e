//! `arflow bench`: the measurements behind docs/benchmarks.md, reproducible with one command.
//!
//! Each bench prints what it did, how long it took and the rate; `--json` gives the same as an
//! object. Timings are wall-clock on a release build; run them on an otherwise idle machine.

use std::time::{Duration, Instant};

use arflow_app::Actor;
use arflow_app::demo::DemoOptions;
use arflow_app::import::ImportOptions;
use arflow_core::date::{add_days, parse_iso_date};
use arflow_core::dunning::LegalGate;
use arflow_core::kpi::AgeingBuckets;
use arflow_core::money::Money;
use arflow_core::party::OrgCountry;

use crate::cli::BenchCommand;
use crate::config::DB_DEFAULT;
use crate::{Failure, exit, open_app};

/// A database for a bench that needs a fresh one: a new SQLite file in the temp directory, or
/// the URL given with --db (which must then be empty).
fn fresh_db(db: &str, name: &str) -> (String, Option<std::path::PathBuf>) {
    if db == DB_DEFAULT {
        let dir = std::env::temp_dir().join(format!("arflow-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("bench.db");
        (format!("sqlite://{}", file.display()), Some(dir))
    } else {
        (db.to_owned(), None)
    }
}

fn print(json: bool, value: serde_json::Value, text: String) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn secs(d: Duration) -> f64 {
    // Display only: durations are measured as integers and never used as money.
    #[allow(clippy::float_arithmetic)]
    let s = d.as_secs_f64();
    s
}

pub async fn run(db: &str, org: Option<&str>, json: bool, b: BenchCommand) -> Result<u8, Failure> {
    match b {
        BenchCommand::Demo { debtors } => {
            let (url, dir) = fresh_db(db, "demo");
            let app = open_app(&url).await?;
            let opts = demo_options(debtors)?;
            let start = Instant::now();
            let summary = app.demo(&opts, &mut |_| {}, &Actor::cli()).await?;
            let took = start.elapsed();
            app.store.close().await;
            let rows = summary.debtors + summary.invoices + summary.payments + summary.allocations;
            print(
                json,
                serde_json::json!({ "bench": "demo", "database": url, "seconds": secs(took), "summary": summary }),
                format!(
                    "demo: {} debtors, {} invoices, {} payments, {} allocations into {url} in {:.2} s ({:.0} rows/s)",
                    summary.debtors,
                    summary.invoices,
                    summary.payments,
                    summary.allocations,
                    secs(took),
                    rate(rows, took)
                ),
            );
            if let Some(dir) = dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            Ok(exit::OK)
        }
        BenchCommand::Import { rows, runs } => import_bench(db, json, rows, runs).await,
        BenchCommand::Ageing { runs, as_of } => {
            let app = open_app(db).await?;
            let buckets = AgeingBuckets::default();
            let org_row = app.resolve_organisation(org).await?;
            let counts = {
                let mut tx = app.store.begin_read().await?;
                let c = tx.counts(org_row.id).await?;
                tx.rollback().await?;
                c
            };
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..runs.max(1) {
                let start = Instant::now();
                last = Some(app.ageing(org, as_of, None, &buckets, None).await?);
                times.push(start.elapsed());
            }
            times.sort();
            let median = times.get(times.len() / 2).copied().unwrap_or_default();
            let report = last.ok_or_else(|| Failure::new(exit::FAILURE, "no run"))?;
            print(
                json,
                serde_json::json!({
                    "bench": "ageing", "database": db, "invoices": counts.invoices, "runs": runs,
                    "median_ms": median.as_millis(), "min_ms": times.first().map(|d| d.as_millis()),
                    "max_ms": times.last().map(|d| d.as_millis()), "report": report,
                }),
                format!(
                    "ageing on {} over {} invoices: median {} ms (min {} ms, max {} ms, {} runs); total {} {}",
                    report.as_of,
                    counts.invoices,
                    median.as_millis(),
                    times.first().map_or(0, |d| d.as_millis()),
                    times.last().map_or(0, |d| d.as_millis()),
                    runs,
                    report.total,
                    report.currency
                ),
            );
            Ok(exit::OK)
        }
        BenchCommand::Dunning { runs, as_of, all_open } => {
            dunning(db, org, json, runs, as_of, all_open).await
        }
        BenchCommand::Parse { format, mb, runs } => parse_bench(json, format, mb, runs),
        BenchCommand::Reconcile { entries } => reconcile_bench(db, org, json, entries).await,
        BenchCommand::Pages { runs } => pages_bench(db, org, json, runs).await,
    }
}

/// Statements of `entries` realistic entries (references, counterparties, text) for the writers.
fn synthetic_statements(entries: usize) -> Vec<arflow_formats::statement::Statement> {
    use arflow_core::money::{Currency, Money};
    use arflow_core::reference::{ReferenceScheme, generate};
    use arflow_formats::statement::{
        Balance, BalanceCheck, Entry, Location, Statement, StructuredReference,
    };
    let per_statement = 1000;
    let mut out = Vec::new();
    let start = parse_iso_date("2026-01-01").unwrap_or_default();
    let mut balance: i64 = 5_000_000_00;
    let mut n: u64 = 0;
    while (n as usize) < entries {
        let day = add_days(start, i32::try_from(out.len() % 365).unwrap_or(0));
        let opening = balance;
        let mut list = Vec::with_capacity(per_statement);
        for _ in 0..per_statement.min(entries - n as usize) {
            n += 1;
            let cents = i64::try_from(1000 + (n * 7919) % 500_000).unwrap_or(1000);
            let amount = if n.is_multiple_of(7) { -cents } else { cents };
            balance += amount;
            let reference = generate(ReferenceScheme::Ogm, n % 9_999_999_999)
                .ok()
                .and_then(|r| StructuredReference::classify(&r.normalized, false));
            list.push(Entry {
                booking_date: day,
                value_date: Some(day),
                amount: Money::from_minor(amount, Currency::EUR),
                counterparty_name: Some(format!("Debiteur {} BV", n % 100_000)),
                counterparty_iban: Some("NL91ABNA0417164300".into()),
                counterparty_bic: Some("ABNANL2A".into()),
                reference,
                remittance: format!("Factuur F{n:08} levering {n}"),
                end_to_end_id: Some(format!("E2E{n:012}")),
                bank_reference: Some(format!("BR{n:014}")),
                transaction_code: Some("PMNT/RCDT/ESCT".into()),
                reversal: false,
                return_reason: None,
                location: Location::Line(0),
            });
        }
        let open = Balance { amount: Money::from_minor(opening, Currency::EUR), date: Some(day) };
        let close = Balance { amount: Money::from_minor(balance, Currency::EUR), date: Some(day) };
        out.push(Statement {
            id: Some(format!("{}", out.len() + 1)),
            account: "NL02ABNA0123456789".into(),
            account_bic: Some("ABNANL2A".into()),
            account_holder: None,
            currency: Currency::EUR,
            opening_balance: Some(open),
            closing_balance: Some(close),
            from_date: Some(day),
            to_date: Some(day),
            balance_check: BalanceCheck::compute(Some(&open), &list, Some(&close)),
            entries: list,
            location: Location::Line(0),
        });
    }
    out
}

fn write_format(
    format: crate::cli::BenchFormat,
    statements: &[arflow_formats::statement::Statement],
) -> String {
    use arflow_formats::statement::{camt, coda, mt940};
    match format {
        crate::cli::BenchFormat::Camt053 => camt::write_camt053(statements),
        crate::cli::BenchFormat::Mt940 => mt940::write_mt940(statements),
        crate::cli::BenchFormat::Coda => coda::write_coda(statements),
    }
}

fn parse_bench(
    json: bool,
    format: crate::cli::BenchFormat,
    mb: u32,
    runs: u32,
) -> Result<u8, Failure> {
    use arflow_formats::statement::parse_any;
    // Size the file from a sample of 1000 entries.
    let sample = write_format(format, &synthetic_statements(1000)).len().max(1);
    let entries = (u64::from(mb) * 1_000_000 * 1000 / sample as u64).max(1000) as usize;
    let text = write_format(format, &synthetic_statements(entries));
    let bytes = text.as_bytes();
    let mut times = Vec::new();
    let mut parsed_entries = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let parsed =
            parse_any(bytes, None).map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        times.push(start.elapsed());
        parsed_entries = parsed.statements.iter().map(|s| s.entries.len()).sum::<usize>();
    }
    let median = median(&mut times);
    let rate_mb = mb_per_second(bytes.len(), median);
    print(
        json,
        serde_json::json!({ "bench": "parse", "format": format!("{format:?}").to_lowercase(), "bytes": bytes.len(),
            "entries": parsed_entries, "runs": runs, "median_seconds": secs(median), "mb_per_second": rate_mb }),
        format!(
            "parse {format:?}: {} MB, {parsed_entries} entries, median {:.3} s of {runs} runs = {rate_mb:.0} MB/s",
            bytes.len() / 1_000_000,
            secs(median)
        ),
    );
    Ok(exit::OK)
}

/// One import of `invoices` into a fresh database with 1000 debtors, then the same file again.
struct ImportRun {
    took: Duration,
    took_again: Duration,
    unchanged: u64,
}

async fn import_once(url: &str, invoices: &[u8]) -> Result<ImportRun, Failure> {
    let app = open_app(url).await?;
    let actor = Actor::cli();
    app.create_organisation("bench", "Bench BV", OrgCountry::Nl, &actor).await?;
    let debtors = debtors_csv(1000);
    let r = app
        .import_debtors_csv(None, "debtors.csv", &debtors, ImportOptions::default(), &actor)
        .await?;
    if r.rejected() {
        return Err(Failure::new(exit::FAILURE, r.errors.join("\n")));
    }
    let timed = async || {
        let start = Instant::now();
        let report = app
            .import_invoices_csv(None, "invoices.csv", invoices, ImportOptions::default(), &actor)
            .await?;
        Ok::<_, Failure>((report, start.elapsed()))
    };
    let (first, took) = timed().await?;
    if first.rejected() {
        return Err(Failure::new(exit::FAILURE, first.errors.join("\n")));
    }
    let (again, took_again) = timed().await?;
    app.store.close().await;
    Ok(ImportRun { took, took_again, unchanged: again.unchanged })
}

/// `runs` imports of the same generated file, each into a database of its own: the median run
/// is the figure (this machine's timings spread by a fifth from one run to the next).
async fn import_bench(db: &str, json: bool, rows: u32, runs: u32) -> Result<u8, Failure> {
    let runs = runs.max(1);
    if runs > 1 && db != DB_DEFAULT {
        return Err(Failure::new(
            exit::USAGE,
            "--runs above 1 needs the default database: each run starts from an empty one",
        ));
    }
    let invoices = invoices_csv(rows, 1000);
    let mut done = Vec::new();
    for run in 0..runs {
        let (url, dir) = fresh_db(db, &format!("import-{run}"));
        let outcome = import_once(&url, &invoices).await;
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        done.push(outcome?);
    }
    // In run order: the first run is the one a fresh process makes (`arflow import`), the
    // later ones reuse memory the first had the kernel map (a server's imports).
    let all: Vec<f64> = done.iter().map(|r| secs(r.took)).collect();
    let first = done.first().map(|r| r.took).unwrap_or_default();
    done.sort_by_key(|r| r.took);
    let Some(mid) = done.get(done.len() / 2) else { return Ok(exit::OK) };
    let fastest = done.first().map_or(mid.took, |r| r.took);
    let slowest = done.last().map_or(mid.took, |r| r.took);
    print(
        json,
        serde_json::json!({
            "bench": "import", "rows": rows, "bytes": invoices.len(), "runs": runs,
            "seconds": secs(mid.took), "rows_per_second": rate(u64::from(rows), mid.took),
            "min_seconds": secs(fastest), "max_seconds": secs(slowest), "first_seconds": secs(first),
            "all_seconds": all,
            "reimport_seconds": secs(mid.took_again), "reimport_unchanged": mid.unchanged,
        }),
        format!(
            "import: {rows} invoice rows ({} MB), median of {runs} runs {:.2} s = {:.0} rows/s \
             (fastest {:.2} s = {:.0} rows/s, slowest {:.2} s = {:.0} rows/s, \
             first {:.2} s = {:.0} rows/s); the same file again: {:.2} s, {} unchanged",
            invoices.len() / 1_000_000,
            secs(mid.took),
            rate(u64::from(rows), mid.took),
            secs(fastest),
            rate(u64::from(rows), fastest),
            secs(slowest),
            rate(u64::from(rows), slowest),
            secs(first),
            rate(u64::from(rows), first),
            secs(mid.took_again),
            mid.unchanged
        ),
    );
    Ok(exit::OK)
}

async fn reconcile_bench(
    db: &str,
    org: Option<&str>,
    json: bool,
    entries: u32,
) -> Result<u8, Failure> {
    use arflow_app::demo::bank::{self, Payer};
    use arflow_core::reconcile::Settings;
    let (url, dir) = fresh_db(db, "reconcile");
    let mut app = open_app(&url).await?;
    let start = Instant::now();
    if dir.is_some() {
        all_open_data(&app).await?;
        // Measured on a database at rest, like one a day's work has been written to long
        // before: closing the last connection checkpoints SQLite's write-ahead log into the file.
        app.store.close().await;
        app = open_app(&url).await?;
    }
    let org_row = app.resolve_organisation(if dir.is_some() { None } else { org }).await?;
    let (items, payers) = {
        let mut tx = app.store.read().await?;
        let items = tx.open_book_items(org_row.id).await?;
        let payers: Vec<Payer> = tx
            .debtor_match_facts(org_row.id)
            .await?
            .into_iter()
            .map(|(id, name, ibans)| Payer { id, name, ibans })
            .collect();
        (items, payers)
    };
    let setup = start.elapsed();
    let days = 20;
    let per_day = (entries as usize).div_ceil(days).max(1);
    let (statements, _truth) = bank::month(
        &items,
        &payers,
        "NL02ABNA0123456789",
        parse_iso_date("2026-06-01").unwrap_or_default(),
        i32::try_from(days).unwrap_or(20),
        per_day,
        3,
    );
    let xml = arflow_formats::statement::camt::write_camt053(&statements);
    let open_items = items.len();
    drop(items);
    let start = Instant::now();
    let report = app
        .import_statement_file(
            &org_row,
            "bench.xml",
            xml.as_bytes(),
            None,
            &Settings::default(),
            &Actor::cli(),
        )
        .await?;
    let took = start.elapsed();
    app.store.close().await;
    print(
        json,
        serde_json::json!({ "bench": "reconcile", "database": url, "open_items": open_items, "bytes": xml.len(),
            "entries": report.entries, "created": report.created, "matched_automatically": report.matched_automatically,
            "to_review": report.to_review, "unmatched": report.unmatched, "ignored": report.ignored,
            "seconds": secs(took), "setup_seconds": secs(setup) }),
        format!(
            "reconcile: {} entries ({} MB camt.053) against {open_items} open items: parsed, stored and matched in {:.2} s \
             ({} matched automatically, {} to review, {} unmatched, {} not ours); setup {:.1} s",
            report.entries,
            xml.len() / 1_000_000,
            secs(took),
            report.matched_automatically,
            report.to_review,
            report.unmatched,
            report.ignored,
            secs(setup)
        ),
    );
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(exit::OK)
}

/// Times each staff page over HTTP: an in-process server on loopback, one browser session, the
/// requests one after another (so each time is the server's time plus a loopback round trip).
async fn pages_bench(db: &str, org: Option<&str>, json: bool, runs: u32) -> Result<u8, Failure> {
    use arflow_app::users::Role;
    let app = open_app(db).await?;
    let org_row = app.resolve_organisation(org).await?;
    let slug = org_row.organisation.slug.to_string();
    let (email, password) = ("bench-pages@arflow.example", "bench pages password");
    match app
        .create_user(Some(&slug), email, "Bench", password, "nl", Role::Admin, &Actor::cli())
        .await
    {
        Ok(_) | Err(arflow_app::AppError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    app.grant_role(Some(&slug), email, Role::Admin, &Actor::cli()).await?;
    let signed_in = app.sign_in(email, password).await?;
    let switched = app.switch_organisation(&signed_in.token, &slug).await?;
    debug_assert!(switched.current.is_some());
    let counts = {
        let mut tx = app.store.begin_read().await?;
        let c = tx.counts(org_row.id).await?;
        tx.rollback().await?;
        c
    };
    // The debtor with the most invoices among the first page, and a search that finds some.
    let first = app
        .list_debtors(
            org_row.id,
            &arflow_store::DebtorFilter::default(),
            arflow_store::Page::first(50),
        )
        .await?;
    let debtor = first
        .first()
        .map(|d| d.debtor.clone())
        .ok_or_else(|| Failure::new(exit::FAILURE, "the organisation has no debtors to show"))?;
    let word = debtor.name.split_whitespace().last().unwrap_or("a").to_owned();
    let open = arflow_store::InvoiceFilter {
        status: Some(arflow_store::ItemStatus::Open),
        overdue_on: Some(app.today_of(org_row.id).await?),
        ..arflow_store::InvoiceFilter::default()
    };
    let invoice = app
        .list_invoices(org_row.id, &open, arflow_store::Page::first(1))
        .await?
        .first()
        .map(|i| i.invoice.number.clone())
        .ok_or_else(|| Failure::new(exit::FAILURE, "the organisation has no overdue invoice"))?;
    let today = app.today_of(org_row.id).await?;
    let policy = app
        .dunning_policies(Some(&slug))
        .await?
        .first()
        .map(|p| p.id.clone())
        .ok_or_else(|| Failure::new(exit::FAILURE, "the organisation has no policy"))?;
    // The newest message, when the outbox has one (a run must have happened).
    let message =
        app.outbox(Some(&slug), None, arflow_store::Page::first(1)).await?.first().map(|m| m.id);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(arflow_web::serve(app.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let cookie = format!("arflow_session={}", signed_in.token);
    let seg = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let invoice = seg(&invoice);
    let number = seg(&debtor.number);
    let mut pages = vec![
        ("dashboard", "/".to_owned()),
        ("debtors", "/debtors".to_owned()),
        ("debtors, overdue only", "/debtors?overdue=on".to_owned()),
        ("debtor search", format!("/debtors?q={word}")),
        ("debtor page", format!("/debtors/{number}")),
        ("invoice with charges", format!("/invoices/{invoice}")),
        ("payments to review", "/matches".to_owned()),
        ("tasks", "/tasks".to_owned()),
        ("templates", "/templates".to_owned()),
        ("template editor", "/templates/reminder.nl".to_owned()),
        ("invoices", "/invoices".to_owned()),
        ("invoices, overdue only", "/invoices?overdue=on".to_owned()),
        ("invoices of a debtor", format!("/invoices?debtor={number}&status=all")),
        ("debtors, one segment", "/debtors?segment=retail&kind=business".to_owned()),
        ("debtors, 31-60 days", "/debtors?bucket=31-60".to_owned()),
        ("debtors, in dispute", "/debtors?state=disputed".to_owned()),
        ("who owes most overdue", "/debtors?sort=overdue".to_owned()),
        (
            "one segment, most open first",
            "/debtors?sort=open&segment=retail&kind=business".to_owned(),
        ),
        ("dunning", "/dunning".to_owned()),
        ("policies", "/policies".to_owned()),
        ("policy editor", format!("/policies/{}", seg(&policy))),
        ("outbox", "/outbox".to_owned()),
        // Not a page to open but a computation over every debtor: what a run would do today.
        ("run preview (all debtors)", format!("/dunning?as_of={today}")),
    ];
    if let Some(id) = message {
        pages.push(("outbox message", format!("/outbox/{id}")));
    }
    // The dashboard plans today's run in the background on its first visit: let that finish
    // (it is done once per ten minutes) so it does not share the cores with what is measured.
    for _ in 0..600 {
        let (_, body) = http_get_body(addr, "/", &cookie).await?;
        if !body.contains("data-status=\"planning\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut results = Vec::new();
    let mut lines = Vec::new();
    for (name, path) in &pages {
        let mut times = Vec::new();
        for i in 0..=runs.max(1) {
            let start = Instant::now();
            let status = http_get(addr, path, &cookie).await?;
            if status != 200 {
                return Err(Failure::new(exit::FAILURE, format!("GET {path} answered {status}")));
            }
            if i > 0 {
                times.push(start.elapsed());
            }
        }
        times.sort();
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        let p95 = times
            .get((times.len() * 95).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or_default();
        let max = times.last().copied().unwrap_or_default();
        results.push(serde_json::json!({ "page": name, "path": path, "median_ms": ms(median),
            "p95_ms": ms(p95), "max_ms": ms(max) }));
        lines.push(format!(
            "  {name:<22} {path:<28} median {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms",
            ms(median),
            ms(p95),
            ms(max)
        ));
    }
    let _ = stop.send(());
    let _ = server.await;
    app.store.close().await;
    print(
        json,
        serde_json::json!({ "bench": "pages", "database": db, "invoices": counts.invoices, "runs": runs, "pages": results }),
        format!(
            "staff pages over {} invoices ({runs} runs each, after one warm-up):\n{}",
            counts.invoices,
            lines.join("\n")
        ),
    );
    Ok(exit::OK)
}

/// The status code of `GET path` on `addr` with a session cookie, the whole answer read (plain
/// HTTP/1.1, one connection per request).
async fn http_get(addr: std::net::SocketAddr, path: &str, cookie: &str) -> Result<u16, Failure> {
    Ok(http_get_body(addr, path, cookie).await?.0)
}

/// A GET's status and its whole answer (head and body) as text.
async fn http_get_body(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: &str,
) -> Result<(u16, String), Failure> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io = |e: std::io::Error| Failure::new(exit::FAILURE, format!("GET {path}: {e}"));
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(io)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(io)?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Failure::new(exit::FAILURE, format!("GET {path}: no HTTP answer")))?;
    Ok((status, text))
}

/// The demo data the benches measure: `debtors` NL debtors, 24 months up to 2026-11-01.
fn demo_options(debtors: u32) -> Result<DemoOptions, Failure> {
    Ok(DemoOptions {
        debtors,
        seed: 42,
        as_of: Some(demo_date()?),
        country: OrgCountry::Nl,
        slug: None,
        months: 24,
    })
}

fn demo_date() -> Result<jiff::civil::Date, Failure> {
    parse_iso_date("2026-11-01").map_err(|e| Failure::new(exit::FAILURE, e.to_string()))
}

/// Milliseconds with a fraction, for figures.
fn ms(d: Duration) -> f64 {
    #[allow(clippy::float_arithmetic)]
    let ms = secs(d) * 1000.0;
    ms
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn ratio(a: Duration, b: Duration) -> f64 {
    #[allow(clippy::float_arithmetic)]
    let r = secs(a) / secs(b).max(1e-9);
    r
}

/// `bench dunning`: the dry run (`App::dunning_preview` with the legal gate the CLI uses)
/// against a plain SELECT of the same open items, and the candidate query on its own.
async fn dunning(
    db: &str,
    org: Option<&str>,
    json: bool,
    runs: u32,
    as_of: Option<jiff::civil::Date>,
    all_open: bool,
) -> Result<u8, Failure> {
    let (url, dir) = fresh_db(db, "dunning");
    let app = open_app(&url).await?;
    if dir.is_some() || all_open {
        let start = Instant::now();
        if all_open {
            all_open_data(&app).await?;
        } else {
            app.demo(&demo_options(100_000)?, &mut |_| {}, &Actor::cli()).await?;
        }
        if !json {
            println!("data written to {url} in {:.1} s", secs(start.elapsed()));
        }
    }
    let as_of = match as_of {
        Some(d) => d,
        None => demo_date()?,
    };
    let org_row = app.resolve_organisation(org).await?;
    let (id, cur) = (org_row.id, org_row.organisation.currency);
    let gate = LegalGate { creditor: org_row.organisation.country };
    let counts = {
        let mut tx = app.store.begin_read().await?;
        let c = tx.counts(id).await?;
        tx.rollback().await?;
        c
    };
    let scan = async || -> Result<(u64, u64, i64), Failure> {
        let mut tx = app.store.begin_read().await?;
        let r = tx.scan_open_items_for_bench(id, cur).await?;
        tx.rollback().await?;
        Ok(r)
    };
    // Once untimed, so that every timed run finds the same (warm) page cache.
    let (items, debtors, open_minor) = scan().await?;
    let (mut t_scan, mut t_candidates, mut t_dry) = (Vec::new(), Vec::new(), Vec::new());
    let mut report = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        scan().await?;
        t_scan.push(start.elapsed());

        let start = Instant::now();
        let mut tx = app.store.begin_read().await?;
        let rows = tx.dunning_candidates(id, cur).await?;
        tx.rollback().await?;
        t_candidates.push(start.elapsed());
        drop(rows);

        let start = Instant::now();
        report = Some(app.dunning_preview(org, Some(as_of), &gate).await?);
        t_dry.push(start.elapsed());
    }
    app.store.close().await;
    let report = report.ok_or_else(|| Failure::new(exit::FAILURE, "no run"))?;
    let (scan_median, candidates_median, dry_median) =
        (median(&mut t_scan), median(&mut t_candidates), median(&mut t_dry));
    let times_ratio = ratio(dry_median, scan_median);
    let within = dry_median <= Duration::from_secs(10) && dry_median <= scan_median * 3;
    let open = Money::from_minor(open_minor, cur);
    let approval = report.actions.iter().filter(|a| a.approval).count();
    print(
        json,
        serde_json::json!({
            "bench": "dunning", "database": url, "as_of": as_of.to_string(), "runs": runs,
            "invoices": counts.invoices, "debtors": counts.debtors,
            "open_items": items, "debtors_with_open_items": debtors, "open_minor": open_minor,
            "currency": cur.code(),
            "actions": report.actions.len(), "actions_needing_approval": approval,
            "refused": report.refused.len(), "skipped": report.skipped.len(),
            "scan_median_ms": scan_median.as_millis(),
            "candidates_median_ms": candidates_median.as_millis(),
            "dry_run_median_ms": dry_median.as_millis(),
            "dry_run_min_ms": t_dry.first().map(|d| d.as_millis()),
            "dry_run_max_ms": t_dry.last().map(|d| d.as_millis()),
            "dry_run_to_scan": times_ratio, "target_met": within,
        }),
        format!(
            "dunning dry run on {as_of} over {items} open items of {debtors} debtors ({open} {} open; \
             {} invoices in all): {} actions ({approval} to approve), {} refused, {} skipped\n\
             plain scan of the open items: median {} ms\n\
             candidate query (items, state, debtors): median {} ms\n\
             dry run: median {} ms (min {} ms, max {} ms, {runs} runs) = {times_ratio:.2}× the scan; \
             target ≤ 10 s and ≤ 3× the scan: {}",
            cur.code(),
            counts.invoices,
            report.actions.len(),
            report.refused.len(),
            report.skipped.len(),
            scan_median.as_millis(),
            candidates_median.as_millis(),
            dry_median.as_millis(),
            t_dry.first().map_or(0, |d| d.as_millis()),
            t_dry.last().map_or(0, |d| d.as_millis()),
            if within { "met" } else { "not met" }
        ),
    );
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(exit::OK)
}

/// The issue's worst case for dunning: 100k NL debtors (every fourth a consumer) with 1M
/// invoices issued 2025-01-01 to 2026-08-23 and nothing paid, imported from CSV.
async fn all_open_data(app: &arflow_app::App) -> Result<(), Failure> {
    let actor = Actor::cli();
    app.create_organisation("bench", "Bench BV", OrgCountry::Nl, &actor).await?;
    let mut debtors = String::from("number,name,kind,country,language,email\n");
    for i in 0..100_000_u32 {
        let kind = if i % 4 == 3 { "consumer" } else { "business" };
        debtors.push_str(&format!("D{i:05},Debiteur {i},{kind},NL,nl,d{i}@example.nl\n"));
    }
    let r = app
        .import_debtors_csv(
            None,
            "debtors.csv",
            debtors.as_bytes(),
            ImportOptions::default(),
            &actor,
        )
        .await?;
    if r.rejected() {
        return Err(Failure::new(exit::FAILURE, r.errors.join("\n")));
    }
    let invoices = invoices_csv(1_000_000, 100_000);
    let r = app
        .import_invoices_csv(None, "invoices.csv", &invoices, ImportOptions::default(), &actor)
        .await?;
    if r.rejected() {
        return Err(Failure::new(exit::FAILURE, r.errors.join("\n")));
    }
    let mut tx = app.store.begin_write().await?;
    tx.analyze().await?;
    tx.commit().await?;
    Ok(())
}

fn mb_per_second(bytes: usize, took: Duration) -> f64 {
    #[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
    let r = bytes as f64 / 1e6 / secs(took).max(1e-9);
    r
}

fn rate(rows: u64, took: Duration) -> f64 {
    #[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
    let r = rows as f64 / secs(took).max(1e-9);
    r
}

fn debtors_csv(n: u32) -> Vec<u8> {
    let mut s = String::from("number,name,kind,country,language,email\n");
    for i in 0..n {
        s.push_str(&format!("D{i:05},Debiteur {i} BV,business,NL,nl,d{i}@example.nl\n"));
    }
    s.into_bytes()
}

fn invoices_csv(rows: u32, debtors: u32) -> Vec<u8> {
    let mut s = String::with_capacity(rows as usize * 80);
    s.push_str(
        "number,debtor_number,issue_date,due_date,amount,currency,payment_reference,description\n",
    );
    let start = parse_iso_date("2025-01-01").unwrap_or_default();
    for i in 0..rows {
        let issue = add_days(start, i32::try_from(i % 600).unwrap_or(0));
        let due = add_days(issue, 30);
        let cents = 1000 + (u64::from(i) * 7919) % 500_000;
        s.push_str(&format!(
            "F{i:08},D{:05},{issue},{due},{}.{:02},EUR,,Levering {i}\n",
            i % debtors,
            cents / 100,
            cents % 100
        ));
    }
    s.into_bytes()
}
