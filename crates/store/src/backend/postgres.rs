//! The PostgreSQL backend: one pool; migrations serialised by an advisory lock.

use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

type DB = sqlx::Postgres;

// PostgreSQL has no index hints; its planner picks the per-item index (see sqlite.rs).
macro_rules! alloc_by_invoice {
    () => {
        "allocations a"
    };
}
macro_rules! alloc_by_credit_note {
    () => {
        "allocations a"
    };
}
macro_rules! alloc_by_payment {
    () => {
        "allocations a"
    };
}

// What starts a bulk insert of invoices (see the SQLite backend); PostgreSQL undoes a failed
// statement without a journal of its own, so a plain INSERT.
macro_rules! bulk_insert {
    () => {
        "INSERT"
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
    /// Refreshes the planner's statistics. Inside the transaction, so that rows it wrote and has
    /// not committed yet count too.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn analyze(&mut self) -> Result<(), StoreError> {
        sqlx::raw_sql("ANALYZE debtors, invoices, payments, allocations")
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

/// Connections of one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: sqlx::PgPool,
}

/// Connections per process.
const CONNECTIONS_MAX: u32 = 16;

/// Advisory-lock key that serialises concurrent `migrate` runs ("arflow" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x61_72_66_6c_6f_77;

impl Db {
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        // JIT compilation pays off for long analytical queries only; on the ageing report it
        // added ~140 ms of compiling to ~300 ms of work.
        let opts = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS_MAX)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(Db { pool })
    }

    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(Tx::new(self.pool.begin_with("BEGIN READ ONLY").await?))
    }

    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(Tx::autocommit(self.pool.acquire().await?))
    }

    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(Tx::new(self.pool.begin().await?))
    }

    pub async fn migrate(&self, at: i64) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(tx.conn())
            .await?;
        let done = tx.apply_migrations(|m| m.postgres, at).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
