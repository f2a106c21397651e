//! Migrations that rebuild a table, on a database that holds rows.

use super::*;

async fn file_db(tag: &str) -> (Db, std::path::PathBuf) {
    let dir = std::env::temp_dir().join("arflow-store-unit");
    std::fs::create_dir_all(&dir).unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("{tag}-{}-{nanos}.db", std::process::id()));
    let db = Db::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    (db, path)
}

/// Migrates `db` up to and including `version`, as the runner does.
async fn migrate_to(db: &Db, version: i64) {
    let mut tx = db.begin_write().await.unwrap();
    apply_migrations(tx.conn(), |m| m.sqlite, 1, version).await.unwrap();
    tx.commit().await.unwrap();
}

async fn run(db: &Db, sql: &str) {
    let mut tx = db.begin_write().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn rows(db: &Db, sql: &str) -> Vec<Vec<String>> {
    use sqlx::Row as _;
    let mut tx = db.begin_read().await.unwrap();
    let found =
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(tx.conn()).await.unwrap();
    found
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let v: Option<String> = r
                        .try_get::<Option<String>, _>(i)
                        .or_else(|_| {
                            r.try_get::<Option<i64>, _>(i).map(|n| n.map(|n| n.to_string()))
                        })
                        .unwrap();
                    v.unwrap_or_else(|| "NULL".into())
                })
                .collect()
        })
        .collect()
}

/// An organisation with two debtors, three invoices and a credit note, a PDF, a dunning item,
/// a dispute and the ledger's daily sums, written as migration 13 left the tables.
const LEDGER_AT_13: &str = "
    INSERT INTO organisations (id, slug, name, country, time_zone, language, currency,
        reference_scheme, created_at, updated_at)
    VALUES (1, 'alpha', 'Alpha BV', 'NL', 'Europe/Amsterdam', 'nl', 'EUR', 'nl', 1, 1);
    INSERT INTO debtors (organisation_id, id, number, name, kind, country, language,
        created_at, updated_at)
    VALUES (1, 1, 'D1', 'Bakkerij De Gouden Korst', 'business', 'NL', 'nl', 1, 1),
           (1, 2, 'D2', 'Garage Peeters', 'business', 'BE', 'nl', 1, 1);
    INSERT INTO invoices (organisation_id, id, number, debtor_id, kind, issue_date, due_date,
        currency, amount_minor, amount_excl_vat_minor, payment_reference, reference_scheme,
        description, external_id, credits_invoice_id, open_minor, settled_on, created_at,
        updated_at)
    VALUES (1, 1, 'F1', 1, 'invoice', '2026-01-05', '2026-02-04', 'EUR', 12100, 10000,
            '5000056789012345', 'nl', 'Brood', NULL, NULL, 12100, '9999-12-31', 2, 2),
           (1, 2, 'F2', 2, 'invoice', '2026-01-05', '2026-01-19', 'EUR', 5000, NULL,
            NULL, NULL, NULL, 'ext-2', NULL, 2000, '9999-12-31', 2, 3),
           (1, 3, 'C1', 2, 'credit_note', '2026-01-10', '2026-01-10', 'EUR', -3000, NULL,
            NULL, NULL, 'Korting', NULL, 2, 0, '2026-01-10', 2, 3),
           (1, 4, 'F3', 1, 'invoice', '2026-02-01', '2026-03-03', 'EUR', 700, NULL,
            NULL, NULL, NULL, NULL, NULL, 0, '2026-02-20', 4, 5);
    INSERT INTO ledger_days (organisation_id, currency, day, sales_minor, payments_minor)
    VALUES (1, 'EUR', '2026-01-05', 17100, 0), (1, 'EUR', '2026-01-10', -3000, 0),
           (1, 'EUR', '2026-02-01', 700, 0);
    INSERT INTO invoice_documents (organisation_id, invoice_id, content_type, file_name, content)
    VALUES (1, 1, 'application/pdf', 'F1.pdf', X'255044462D');
    INSERT INTO dunning_items (organisation_id, invoice_id, disputed, in_payment_plan, updated_at)
    VALUES (1, 2, 1, 0, 3);
    INSERT INTO disputes (organisation_id, id, invoice_id, debtor_id, reason, text, status,
        opened_at, opened_by)
    VALUES (1, 1, 2, 2, 'price', 'Te duur', 'open', 3, 'portal');
";

/// An open invoice of organisation 1 over 1.00, issued 2026-03-01.
fn one_invoice(id: i64, number: &str, debtor: i64) -> String {
    format!(
        "INSERT INTO invoices (organisation_id, id, number, debtor_id, kind, issue_date, \
         due_date, currency, amount_minor, open_minor, settled_on, created_at, updated_at) \
         VALUES (1, {id}, '{number}', {debtor}, 'invoice', '2026-03-01', '2026-03-31', 'EUR', \
         100, 100, '9999-12-31', 9, 9)"
    )
}

const INVOICES: &str = "SELECT * FROM invoices ORDER BY organisation_id, id";
const CHILDREN: &str = "
    SELECT 'document', d.invoice_id, i.number FROM invoice_documents d
        JOIN invoices i ON i.organisation_id = d.organisation_id AND i.id = d.invoice_id
    UNION ALL SELECT 'dunning', t.invoice_id, i.number FROM dunning_items t
        JOIN invoices i ON i.organisation_id = t.organisation_id AND i.id = t.invoice_id
    UNION ALL SELECT 'dispute', s.invoice_id, i.number FROM disputes s
        JOIN invoices i ON i.organisation_id = s.organisation_id AND i.id = s.invoice_id
    ORDER BY 1, 2";
const LEDGER: &str = "SELECT day, sales_minor FROM ledger_days ORDER BY day";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_invoices_keeps_every_row_what_refers_to_it_and_the_triggers() {
    let (db, _path) = file_db("rebuild").await;
    migrate_to(&db, 13).await;
    run(&db, LEDGER_AT_13).await;
    let invoices_before = rows(&db, INVOICES).await;
    let children_before = rows(&db, CHILDREN).await;
    assert_eq!(invoices_before.len(), 4);
    assert_eq!(children_before.len(), 3);

    assert_eq!(db.migrate(10).await.unwrap(), vec![14]);

    assert_eq!(rows(&db, INVOICES).await, invoices_before);
    assert_eq!(rows(&db, CHILDREN).await, children_before);
    assert_eq!(rows(&db, "PRAGMA foreign_key_check").await, Vec::<Vec<String>>::new());
    assert_eq!(rows(&db, "PRAGMA integrity_check").await, vec![vec!["ok".to_owned()]]);
    // The pool's writer is a fresh connection, with foreign keys on.
    let mut tx = db.begin_write().await.unwrap();
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(tx.conn()).await.unwrap();
    assert_eq!(on, 1);
    tx.rollback().await.unwrap();
    // The indexes, the report index with the id right after the issue date.
    let indexes = rows(
        &db,
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'invoices' \
         AND sql IS NOT NULL ORDER BY name",
    )
    .await;
    let names: Vec<&str> = indexes.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        ["invoices_debtor", "invoices_number", "invoices_reference", "invoices_settled"]
    );
    let settled =
        rows(&db, "SELECT name FROM pragma_index_info('invoices_settled') ORDER BY seqno").await;
    let columns: Vec<&str> = settled.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        columns,
        [
            "organisation_id",
            "settled_on",
            "issue_date",
            "id",
            "currency",
            "kind",
            "due_date",
            "amount_minor",
            "open_minor",
            "debtor_id"
        ]
    );
    // A second number is still refused.
    let mut tx = db.begin_write().await.unwrap();
    let twice = sqlx::raw_sql(sqlx::AssertSqlSafe(one_invoice(9, "F1", 1)))
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(twice.as_database_error().is_some_and(|e| e.is_unique_violation()), "{twice}");
    tx.rollback().await.unwrap();

    // The triggers came back: an update moves the day's sum, a delete takes it away.
    run(&db, "UPDATE invoices SET amount_minor = 800, open_minor = 800, issue_date = '2026-02-02' WHERE id = 4").await;
    run(&db, "DELETE FROM invoices WHERE id = 3").await;
    assert_eq!(
        rows(&db, LEDGER).await,
        [["2026-01-05", "17100"], ["2026-01-10", "0"], ["2026-02-01", "0"], ["2026-02-02", "800"]]
            .map(|r| r.map(str::to_owned).to_vec())
    );

    // The debtor of an invoice is checked when its transaction commits.
    let mut tx = db.begin_write().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(one_invoice(10, "F10", 99)))
        .execute(tx.conn())
        .await
        .unwrap();
    let refused = tx.commit().await.unwrap_err();
    assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
    assert!(rows(&db, "SELECT id FROM invoices WHERE id = 10").await.is_empty());
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_that_would_leave_a_row_without_its_parent_change_nothing() {
    let (db, _path) = file_db("orphan").await;
    migrate_to(&db, 13).await;
    run(&db, LEDGER_AT_13).await;
    // A dunning item of an invoice that is not there, as only a write with foreign keys off
    // could have left it.
    let mut conn = db.writer.acquire().await.unwrap().detach();
    sqlx::raw_sql(
        "PRAGMA foreign_keys = OFF; INSERT INTO dunning_items (organisation_id, invoice_id, \
         disputed, in_payment_plan, updated_at) VALUES (1, 77, 0, 0, 3)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let invoices_table = "SELECT sql FROM sqlite_schema WHERE name = 'invoices'";
    let before = rows(&db, invoices_table).await;

    let err = db.migrate(10).await.unwrap_err().to_string();
    assert!(err.contains("dunning_items") && err.contains("no migration was applied"), "{err}");

    assert_eq!(rows(&db, invoices_table).await, before);
    assert_eq!(rows(&db, "SELECT MAX(version) FROM schema_migrations").await, [["13".to_owned()]]);
    assert_eq!(rows(&db, INVOICES).await.len(), 4);
    db.close().await;
}
