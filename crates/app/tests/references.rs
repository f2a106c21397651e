//! The payment references an import gives rows without one never clash: not with a reference
//! another row of the same file brings, not with one a stored invoice carries. On a SQLite file
//! the drawn references are checked on a read connection while the rows are inserted (and a
//! clash is replaced afterwards); in memory, where reads wait for the writer, before (as on
//! PostgreSQL).

use std::collections::HashSet;
use std::sync::Arc;

use arflow_app::import::ImportOptions;
use arflow_app::{Actor, App, FixedClock};
use arflow_core::party::OrgCountry;
use arflow_core::reference::{ReferenceScheme, generate};
use arflow_store::Store;

/// 2026-03-30T10:00:00Z.
const NOW_MICROS: i64 = 1_774_864_800_000_000;

const HEADER: &str = "number,debtor_number,issue_date,due_date,amount,currency,payment_reference\n";

async fn generated_references_never_clash(url: &str) {
    let store = Store::connect(url).await.unwrap();
    store.migrate(NOW_MICROS).await.unwrap();
    assert_eq!(store.reads_beside_a_writer(), !url.contains("memory"));
    let app = App::new(store, Arc::new(FixedClock(NOW_MICROS)));
    let actor = Actor("test".into());
    let org = app.create_organisation("acme", "Acme BV", OrgCountry::Nl, &actor).await.unwrap();
    let debtors = "number,name,kind,country,language\nD1,Bakkerij De Korst,business,NL,nl\n";
    let d = app
        .import_debtors_csv(None, "d.csv", debtors.as_bytes(), ImportOptions::default(), &actor)
        .await
        .unwrap();
    assert_eq!(d.created, 1, "{:?}", d.errors);
    let import = async |name: &str, rows: &str| {
        let text = format!("{HEADER}{rows}");
        let r = app
            .import_invoices_csv(None, name, text.as_bytes(), ImportOptions::default(), &actor)
            .await
            .unwrap();
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        r
    };
    let reference_of = async |number: &str| {
        let mut read = app.store.read().await.unwrap();
        let found = read.find_invoice_by_number(org.id, number).await.unwrap().unwrap();
        found.invoice.payment_reference.unwrap()
    };

    import("1.csv", "G1,D1,2026-03-01,2026-03-31,10.00,EUR,\n").await;
    // The Dutch scheme: a check digit, then the 15-digit counter.
    let base: u64 = reference_of("G1").await[1..].parse().unwrap();
    let next = |k: u64| generate(ReferenceScheme::Nl, base + k).unwrap().normalized;

    // G3 brings the reference G2 would have been given: G2 gets the one after.
    let r = import(
        "2.csv",
        &format!(
            "G2,D1,2026-03-02,2026-04-01,20.00,EUR,\nG3,D1,2026-03-02,2026-04-01,30.00,EUR,{}\n",
            next(1)
        ),
    )
    .await;
    assert_eq!((r.created, r.references_generated), (2, 1));
    assert_eq!((reference_of("G2").await, reference_of("G3").await), (next(2), next(1)));

    // A stored invoice carries, typed in by hand, the reference the counter gives next.
    import("3.csv", &format!("G4,D1,2026-03-03,2026-04-02,40.00,EUR,{}\n", next(3))).await;
    let r = import(
        "4.csv",
        "G5,D1,2026-03-04,2026-04-03,50.00,EUR,\nG6,D1,2026-03-04,2026-04-03,60.00,EUR,\n",
    )
    .await;
    assert_eq!((r.created, r.references_generated), (2, 2));
    let given: HashSet<String> = [reference_of("G5").await, reference_of("G6").await].into();
    assert_eq!(given, [next(4), next(5)].into(), "neither takes G4's {}", next(3));
    assert_eq!(reference_of("G4").await, next(3));

    let mut all = HashSet::new();
    for number in ["G1", "G2", "G3", "G4", "G5", "G6"] {
        assert!(all.insert(reference_of(number).await), "{number} shares its reference");
    }
    app.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_sqlite_file_generated_references_never_clash() {
    let dir = std::env::temp_dir().join(format!("arflow-references-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    generated_references_never_clash(&format!("sqlite://{}", dir.join("a.db").display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_generated_references_never_clash() {
    generated_references_never_clash("sqlite::memory:").await;
}
