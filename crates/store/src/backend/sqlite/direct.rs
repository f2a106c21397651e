//! Point reads on the calling thread.
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is handed to that
//! thread and its rows handed back, two thread switches per statement. On a two-core machine
//! serving `GET /api/v1/invoices/{number}` those switches cost more than the look-up itself
//! (`docs/benchmarks.md`). The hottest look-ups therefore run here instead, on a small pool of
//! plain connections to the same file, straight on the caller's thread: an index look-up of one
//! row and its few allocations, microseconds when the pages are cached.
//!
//! These connections only read (`PRAGMA query_only`, the file mapped into memory), see what is
//! committed (WAL), decode through the same functions as the sqlx path, and never wait: their
//! busy timeout is zero, and a busy database sends the caller to the ordinary pooled read, which
//! does wait.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{InvoiceWithAllocations, READ_CACHE_KIB, invoice_with_allocations_sql};
use crate::backend::cells::Cells;
use crate::error::StoreError;
use crate::model::ItemWithAllocations;
use arflow_core::id::OrganisationId;

/// Idle connections kept: one per thread that reads at once on a small machine, with room.
const IDLE_MAX: usize = 4;

/// How much of the database file each connection maps into memory.
const MMAP_BYTES: i64 = 1 << 31;

/// Plain read connections to one database file.
pub(crate) struct DirectReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads").field("path", &self.path).finish_non_exhaustive()
    }
}

impl DirectReads {
    pub(crate) fn new(path: PathBuf) -> DirectReads {
        DirectReads { path, idle: Mutex::new(Vec::new()) }
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        // Read-write opening (a WAL reader writes its marks in the shared-memory file), but
        // the connection refuses any statement that would change the database.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.pragma_update(None, "cache_size", -READ_CACHE_KIB)?;
        conn.pragma_update(None, "temp_store", "memory")?;
        // Pages read straight from the mapped file instead of copied into this connection's
        // cache: a quarter more look-ups per second (`docs/benchmarks.md`). Only reads go
        // through the mapping; SQLite caps the size at its compile-time limit (2 GiB) and reads
        // beyond it as usual.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        Ok(conn)
    }

    /// Runs `read` on an idle connection (or a new one), then keeps the connection for the
    /// next caller. `None` when no connection can be opened (a file this process may only
    /// read, say): the caller then reads through the pool, which opened the file its own way.
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => match self.open() {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "direct reads unavailable; reading through the pool");
                    return None;
                }
            },
        };
        let out = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_MAX {
            idle.push(conn);
        }
        Some(out)
    }

    /// Closes the idle connections (a later read opens new ones).
    pub(crate) fn close(&self) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// [`Tx::find_invoice_with_allocations`](super::Tx::find_invoice_with_allocations), as
    /// committed now.
    pub(crate) fn find_invoice_with_allocations(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Option<Result<Option<ItemWithAllocations>, StoreError>> {
        static COLUMNS: OnceLock<Vec<String>> = OnceLock::new();
        self.with(|conn| {
            let mut statement = conn.prepare_cached(invoice_with_allocations_sql())?;
            let columns = COLUMNS
                .get_or_init(|| statement.column_names().into_iter().map(str::to_owned).collect());
            let mut rows =
                statement.query(rusqlite::named_params! { "$1": org.0, "$2": number })?;
            let mut found = InvoiceWithAllocations::default();
            while let Some(row) = rows.next()? {
                found.push(&Named { row, columns, next: Cell::new(0) })?;
            }
            Ok(found.finish())
        })
    }
}

/// A row with its statement's column names: a decoder asks for the columns mostly in the
/// order they are selected, so the next column is tried first (rusqlite's own look-up by name
/// compares the name with every column's, case-insensitively).
struct Named<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    columns: &'r [String],
    next: Cell<usize>,
}

impl Named<'_, '_> {
    fn index(&self, column: &str) -> Result<usize, StoreError> {
        let guess = self.next.get();
        let at = if self.columns.get(guess).is_some_and(|c| c == column) {
            guess
        } else {
            self.columns
                .iter()
                .position(|c| c == column)
                .ok_or_else(|| rusqlite::Error::InvalidColumnName(column.to_owned()))?
        };
        self.next.set(at + 1);
        Ok(at)
    }
}

impl Cells for Named<'_, '_> {
    fn int(&self, column: &'static str) -> Result<i64, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }
    fn string(&self, column: &'static str) -> Result<String, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }
    fn opt_string(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }
}
