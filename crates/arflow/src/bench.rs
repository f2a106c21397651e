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
        BenchCommand::Import { rows } => {
            let (url, dir) = fresh_db(db, "import");
            let app = open_app(&url).await?;
            let actor = Actor::cli();
            app.create_organisation("bench", "Bench BV", OrgCountry::Nl, &actor).await?;
            let debtors = debtors_csv(1000);
            let r = app
                .import_debtors_csv(None, "debtors.csv", &debtors, ImportOptions::default(), &actor)
                .await?;
            if r.rejected() {
                return Err(Failure::new(exit::FAILURE, r.errors.join("\n")));
            }
            let invoices = invoices_csv(rows, 1000);
            let start = Instant::now();
            let first = app
                .import_invoices_csv(
                    None,
                    "invoices.csv",
                    &invoices,
                    ImportOptions::default(),
                    &actor,
                )
                .await?;
            let took = start.elapsed();
            if first.rejected() {
                return Err(Failure::new(exit::FAILURE, first.errors.join("\n")));
            }
            let start = Instant::now();
            let again = app
                .import_invoices_csv(
                    None,
                    "invoices.csv",
                    &invoices,
                    ImportOptions::default(),
                    &actor,
                )
                .await?;
            let took_again = start.elapsed();
            app.store.close().await;
            print(
                json,
                serde_json::json!({
                    "bench": "import", "database": url, "rows": rows, "bytes": invoices.len(),
                    "seconds": secs(took), "rows_per_second": rate(u64::from(rows), took),
                    "reimport_seconds": secs(took_again), "reimport_unchanged": again.unchanged,
                }),
                format!(
                    "import: {rows} invoice rows ({} MB) in {:.2} s = {:.0} rows/s; the same file again: {:.2} s, {} unchanged",
                    invoices.len() / 1_000_000,
                    secs(took),
                    rate(u64::from(rows), took),
                    secs(took_again),
                    again.unchanged
                ),
            );
            if let Some(dir) = dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            Ok(exit::OK)
        }
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
    }
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
