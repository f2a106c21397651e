//! `arflow bench`: the measurements behind docs/benchmarks.md, reproducible with one command.
//!
//! Each bench prints what it did, how long it took and the rate; `--json` gives the same as an
//! object. Timings are wall-clock on a release build; run them on an otherwise idle machine.

use std::time::{Duration, Instant};

use arflow_app::Actor;
use arflow_app::demo::DemoOptions;
use arflow_app::import::ImportOptions;
use arflow_core::date::{add_days, parse_iso_date};
use arflow_core::kpi::AgeingBuckets;
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
            let opts = DemoOptions {
                debtors,
                seed: 42,
                as_of: Some(
                    parse_iso_date("2026-11-01")
                        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?,
                ),
                country: OrgCountry::Nl,
                slug: None,
                months: 24,
            };
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
    }
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
