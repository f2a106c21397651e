//! Checkpoints off the writer's path.
//!
//! In WAL mode a commit appends the transaction's pages to the write-ahead log and syncs it:
//! from then on the transaction is durable. Copying those pages back into the database file
//! (a checkpoint) is housekeeping, but SQLite's automatic checkpoint does it inside the commit
//! that crosses its threshold, so that commit returns only after a second pass over every page
//! it wrote and a sync of the database file: a tenth of a second after a 200,000-row import,
//! on top of its 0.13 s commit (`docs/benchmarks.md`).
//!
//! The writer's automatic checkpoint is therefore off (`wal_autocheckpoint = 0`), and this
//! thread checkpoints instead, on a connection of its own, after each write commit: PASSIVE,
//! so it never waits for readers or the writer and never holds them up, at most once per
//! [`GAP`] so that a stream of small commits does not become a stream of syncs. The log thus
//! still stays small and is restarted from its beginning by the first write after a complete
//! checkpoint, as with SQLite's own checkpoint; a log left large is what halves read speed.
//! Stopping runs the checkpoint a commit asked for before the thread ends, so a short-lived
//! process (a CLI command next to a running server) leaves nothing behind in the log.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// The least time between two checkpoints.
pub(crate) const GAP: Duration = Duration::from_millis(500);

/// The checkpointing thread of one database file.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// A commit came after the last checkpoint began.
    pending: bool,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

impl Checkpointer {
    /// Starts the thread for the database at `path`. `None` when no thread can be started:
    /// then the writer keeps SQLite's own checkpoint.
    pub(crate) fn start(path: PathBuf) -> Option<Checkpointer> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("arflow-checkpoint".into())
            .spawn(move || run(&path, &theirs));
        match thread {
            Ok(handle) => Some(Checkpointer { shared, thread: Mutex::new(Some(handle)) }),
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint thread; commits checkpoint themselves");
                None
            }
        }
    }

    /// Asks for a checkpoint: a write transaction has committed.
    pub(crate) fn nudge(&self) {
        self.shared.lock().pending = true;
        self.shared.wake.notify_one();
    }

    /// Runs the checkpoint asked for, if any, and ends the thread.
    pub(crate) fn stop(&self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        let handle = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::warn!("the checkpoint thread panicked");
        }
    }
}

impl Drop for Checkpointer {
    /// A database dropped without [`stop`](Checkpointer::stop): the thread ends on its own
    /// after the checkpoint asked for, and is not waited for.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
    }
}

fn run(path: &std::path::Path, shared: &Shared) {
    let mut conn: Option<Connection> = None;
    loop {
        let (pending, stop) = {
            let state = shared
                .wake
                .wait_while(shared.lock(), |s| !s.pending && !s.stop)
                .unwrap_or_else(PoisonError::into_inner);
            let mut state = state;
            let pending = std::mem::take(&mut state.pending);
            (pending, state.stop)
        };
        if pending {
            checkpoint(path, &mut conn);
        }
        if stop {
            break;
        }
        // At most one checkpoint per GAP; a stop cuts the wait short.
        let _ = shared
            .wake
            .wait_timeout_while(shared.lock(), GAP, |s| !s.stop)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// One PASSIVE checkpoint on `conn`, opened first when needed; failures are logged and leave
/// the log for the next checkpoint (or the last connection's close) to copy.
fn checkpoint(path: &std::path::Path, conn: &mut Option<Connection>) {
    if conn.is_none() {
        match open(path) {
            Ok(c) => *conn = Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot open the database to checkpoint it");
                return;
            }
        }
    }
    let Some(c) = conn.as_ref() else { return };
    let clock = std::time::Instant::now();
    let done = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match done {
        Ok((busy, log_frames, copied)) => tracing::debug!(
            busy,
            log_frames,
            copied,
            ms = clock.elapsed().as_millis(),
            "checkpoint"
        ),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "checkpoint failed; the next one retries");
            *conn = None;
        }
    }
}

fn open(path: &std::path::Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // PASSIVE never waits on the busy handler; this only bounds opening against a writer
    // that is setting the file up.
    conn.busy_timeout(Duration::from_secs(5))?;
    // FULL: the log is synced before its pages are copied and the file after, as the
    // writer's own checkpoint would.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Its page cache is not used for the copy; keep it small.
    conn.pragma_update(None, "cache_size", -1024)?;
    Ok(conn)
}
