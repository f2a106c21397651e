//! The SQLite backend: one file, WAL, foreign keys on, one writer.
//!
//! Writes go through a pool of exactly one connection and start with `BEGIN IMMEDIATE`, so
//! writers queue in-process instead of failing with SQLITE_BUSY on lock upgrade; other processes
//! (a CLI next to `serve`) wait up to the busy timeout. Reads use their own pool and see a
//! consistent snapshot per transaction (WAL).

mod direct;

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

/// Connections of one SQLite database.
#[derive(Debug, Clone)]
pub struct Db {
    reader: sqlx::SqlitePool,
    writer: sqlx::SqlitePool,
    /// Point reads on the caller's thread (a file database only): see `direct.rs`.
    direct: Option<Arc<direct::DirectReads>>,
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
            .connect_with(opts.clone().pragma("cache_size", "-262144"))
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
        Ok(Db { reader, writer, direct })
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
        Ok(Tx::new(self.writer.begin_with("BEGIN IMMEDIATE").await?))
    }

    pub async fn migrate(&self, at: i64) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = tx.apply_migrations(|m| m.sqlite, at).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.reader.close().await;
        self.writer.close().await;
    }
}
