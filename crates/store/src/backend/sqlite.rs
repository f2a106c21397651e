//! The SQLite backend: one file, WAL, foreign keys on, one writer.
//!
//! Writes go through a pool of exactly one connection and start with `BEGIN IMMEDIATE`, so
//! writers queue in-process instead of failing with SQLITE_BUSY on lock upgrade; other processes
//! (a CLI next to `serve`) wait up to the busy timeout. Reads use their own pool and see a
//! consistent snapshot per transaction (WAL).

mod checkpoint;
mod direct;
#[cfg(test)]
mod migrate_tests;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

type DB = sqlx::Sqlite;

// Allocation look-ups name their index: without statistics (a fresh or bulk-loaded database)
// SQLite's planner may pick another index of `allocations` with only its first column,
// turning each per-item look-up into a scan of the organisation's allocations.
macro_rules! alloc_by_invoice {
    () => {
        "allocations a INDEXED BY allocations_invoice"
    };
}
macro_rules! alloc_by_credit_note {
    () => {
        "allocations a INDEXED BY allocations_credit_note"
    };
}
macro_rules! alloc_by_payment {
    () => {
        "allocations a INDEXED BY allocations_payment"
    };
}

// What starts a bulk insert of invoices: a duplicate number stops the statement without
// undoing its earlier rows, which spares SQLite a statement journal (migration 0014 and
// docs/benchmarks.md). A failed insert ends the transaction anyway: its caller rolls back.
macro_rules! bulk_insert {
    () => {
        "INSERT OR FAIL"
    };
}

include!("common.rs");
include!("dunning.rs");
include!("reconcile.rs");
include!("users.rs");
include!("brand.rs");
include!("portal.rs");
include!("online.rs");
include!("plans.rs");

impl Tx {
    /// Refreshes the planner's statistics (cheaply: a sample of each index).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn analyze(&mut self) -> Result<(), StoreError> {
        sqlx::raw_sql("PRAGMA analysis_limit = 1000; ANALYZE").execute(self.conn()).await?;
        Ok(())
    }
}

/// [`Db::migrate`] on `conn`, a connection of its own.
async fn migrate_without_foreign_keys(
    conn: &mut sqlx::SqliteConnection,
    at: i64,
) -> Result<Vec<i64>, StoreError> {
    use sqlx::Connection as _;
    sqlx::raw_sql("PRAGMA foreign_keys = OFF").execute(&mut *conn).await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let done = apply_migrations(&mut tx, |m| m.sqlite, at, i64::MAX).await?;
    let broken: Vec<(String, Option<i64>, String, i64)> =
        sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut *tx).await?;
    if let Some((table, row, parent, _)) = broken.first() {
        // Dropping `tx` rolls every migration of this run back.
        return Err(StoreError::Invalid(format!(
            "after migrations {done:?}, {} row(s) would refer to a row that does not exist, \
             the first in {table} (rowid {}) to one in {parent}; no migration was applied",
            broken.len(),
            row.map_or_else(|| "-".to_owned(), |r| r.to_string()),
        )));
    }
    tx.commit().await?;
    Ok(done)
}

/// Connections of one SQLite database.
#[derive(Debug, Clone)]
pub struct Db {
    reader: sqlx::SqlitePool,
    writer: sqlx::SqlitePool,
    /// Point reads on the caller's thread (a file database only): see `direct.rs`.
    direct: Option<Arc<direct::DirectReads>>,
    /// Checkpoints after the writer's commits (a file database only): see `checkpoint.rs`.
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

/// Each read connection's page cache, in KiB (SQLite's negative `cache_size`).
const READ_CACHE_KIB: i64 = 65536;

/// Read connections for a file database.
const READERS_MAX: u32 = 8;

impl Db {
    /// Opens (creating when missing) the database at `url`.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed transaction survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", (-READ_CACHE_KIB).to_string())
            .pragma("temp_store", "memory")
            .optimize_on_close(true, Some(1000));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let checkpointer = if in_memory {
            None
        } else {
            checkpoint::Checkpointer::start(opts.get_filename().to_owned()).map(Arc::new)
        };
        // With a checkpoint thread, the writer's commits no longer checkpoint themselves.
        let writer_opts = opts.clone().pragma("cache_size", "-262144");
        let writer_opts = match checkpointer {
            Some(_) => writer_opts.pragma("wal_autocheckpoint", "0"),
            None => writer_opts,
        };
        // No ping before each acquire (sqlx's default): a connection to a local file cannot
        // have gone away, and the ping is a round trip to the connection's thread, as costly
        // as a statement (a third of the thread switches of `GET /api/v1/invoices/{number}`).
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(usize::from(in_memory) as u32)
            .idle_timeout(if in_memory { None } else { Some(Duration::from_secs(600)) })
            .max_lifetime(if in_memory { None } else { Some(Duration::from_secs(3600)) })
            // The one writer gets a large page cache (256 MiB): bulk imports then rarely spill
            // dirty pages before they commit.
            .connect_with(writer_opts)
            .await?;
        let direct = (!in_memory)
            .then(|| Arc::new(direct::DirectReads::new(opts.get_filename().to_owned())));
        let reader = if in_memory {
            // Each connection to ":memory:" is its own database: share the single one.
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(READERS_MAX)
                .connect_with(opts)
                .await?
        };
        Ok(Db { reader, writer, direct, checkpointer })
    }

    /// See [`Store::reads_beside_a_writer`](crate::Store::reads_beside_a_writer): only a
    /// database in memory shares its one connection between reads and writes (and has no
    /// direct reads).
    pub fn reads_beside_a_writer(&self) -> bool {
        self.direct.is_some()
    }

    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(Tx::new(self.reader.begin().await?))
    }

    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(Tx::autocommit(self.reader.acquire().await?))
    }

    /// [`Tx::find_invoice_with_allocations`] on the caller's thread; `None` when this database
    /// has no direct reads (in memory, or the file cannot be opened that way) or is busy: then
    /// the caller reads through the pool.
    pub fn find_invoice_with_allocations_directly(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Option<Result<Option<ItemWithAllocations>, StoreError>> {
        match self.direct.as_ref()?.find_invoice_with_allocations(org, number)? {
            Err(e) if e.is_transient() => None,
            found => Some(found),
        }
    }

    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        let mut tx = Tx::new(self.writer.begin_with("BEGIN IMMEDIATE").await?);
        tx.after_commit = self
            .checkpointer
            .clone()
            .map(|c| -> crate::backend::AfterCommit { Arc::new(move || c.nudge()) });
        Ok(tx)
    }

    /// Applies the migrations the database lacks, in one transaction.
    ///
    /// SQLite changes a table's constraints only by rebuilding it, and a rebuild must run with
    /// foreign keys off (dropping the old table would otherwise check, or cascade to, the rows
    /// that refer to it); the setting takes effect only outside a transaction. So migrations run
    /// on a connection of their own with foreign keys off, and `PRAGMA foreign_key_check` must
    /// find nothing before they commit. That connection is then closed, never returned to the
    /// pool (also when this future is dropped half-way), and the pool opens a fresh one with
    /// foreign keys on. A database in memory lives in its one connection and starts empty, so
    /// there is no row for a rebuild to orphan: it migrates in an ordinary transaction.
    pub async fn migrate(&self, at: i64) -> Result<Vec<i64>, StoreError> {
        // Only a database in memory has no direct reads.
        if !self.reads_beside_a_writer() {
            let mut tx = self.begin_write().await?;
            let done = tx.apply_migrations(|m| m.sqlite, at).await?;
            tx.commit().await?;
            return Ok(done);
        }
        let mut conn = self.writer.acquire().await?.detach();
        let done = migrate_without_foreign_keys(&mut conn, at).await;
        if let Err(e) = sqlx::Connection::close(conn).await {
            tracing::warn!(error = %e, "closing the migration connection failed");
        }
        if let (Ok(_), Some(checkpointer)) = (&done, &self.checkpointer) {
            checkpointer.nudge();
        }
        done
    }

    pub async fn close(&self) {
        // First, so that its connection is not the one left open when the others close.
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop();
        }
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.reader.close().await;
        self.writer.close().await;
    }
}
