//! arflow's use cases: what the CLI, the HTTP API and the scheduler ask for, each a short
//! sequence of steps over the store, in one transaction.
//!
//! The clock comes in here (the core never reads it); ids come from the store's per-organisation
//! counters; randomness (tokens, demo data seeds) is explicit.

pub mod brand;
pub mod charges;
mod compose;
pub mod dashboard;
pub mod deliver;
pub mod demo;
pub mod dossier;
pub mod dunning;
pub mod einvoice;
mod error;
mod export;
pub mod idempotency;
pub mod import;
pub mod ledger;
pub mod mappings;
pub mod orgs;
pub mod outbox;
pub mod payments;
pub mod plan_list;
pub mod plans;
pub mod portal;

pub use arflow_notify::format::date as written_date;
pub use arflow_notify::letter::qr_svg;
pub mod reconcile;
pub mod reports;
pub mod smtp;
pub mod templates;
pub mod timeline;
pub mod tokens;
pub mod uploads;
pub mod users;

use std::sync::Arc;

use arflow_core::date::Date;
use arflow_core::legal::RateTables;
use arflow_core::party::Organisation;
use arflow_store::Store;

pub use error::AppError;

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        jiff::Timestamp::now().as_microsecond()
    }
}

/// A clock that always says the same instant (tests, reproducible runs).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_micros(&self) -> i64 {
        self.0
    }
}

/// The system clock moved by a fixed amount: the use cases work as if it were another day, with
/// time passing as usual (`arflow --today DATE`, simulations of many days).
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    pub offset_micros: i64,
}

impl ShiftedClock {
    /// A clock that says `start_micros` now and runs on from there.
    pub fn starting_at(start_micros: i64) -> ShiftedClock {
        ShiftedClock { offset_micros: start_micros.saturating_sub(SystemClock.now_micros()) }
    }
}

impl Clock for ShiftedClock {
    fn now_micros(&self) -> i64 {
        SystemClock.now_micros().saturating_add(self.offset_micros)
    }
}

/// Who asks: recorded in the audit log with every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn cli() -> Actor {
        Actor(format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())))
    }
}

/// The use cases, over one store and one clock.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    clock: Arc<dyn Clock>,
    /// The dated interest-rate tables the legal rules read: the shipped ones, or replacements
    /// loaded at start-up (see [`App::with_rates`]).
    pub rates: Arc<RateTables>,
    /// The PDF renderer, made on first use (loading the fonts takes a moment).
    letters: Arc<std::sync::OnceLock<arflow_notify::letter::Renderer>>,
    /// The built-in message templates, compiled on first use.
    templates: Arc<std::sync::OnceLock<Arc<arflow_notify::templates::Templates>>>,
    /// The SMTP server `serve` was configured with (`--smtp`), for a test message from the
    /// settings page; `None` when e-mail stays in the outbox.
    mailer: Option<arflow_notify::email::Mailer>,
    /// What today's run would do, planned in the background for the dashboard.
    next_runs: dashboard::NextRuns,
    /// The installation's key for portal links, read once.
    portal_key: Arc<std::sync::OnceLock<Vec<u8>>>,
    /// The address debtors reach this server at (`https://pay.example.nl`), for the portal
    /// links in messages; `None`: messages carry no link.
    pub(crate) public_url: Option<String>,
    /// The payment provider the portal pays through, when set up.
    pub(crate) payments: Option<Arc<dyn payments::PaymentProvider>>,
}

impl App {
    /// The use cases with the rate tables shipped in this build.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> App {
        payments::install_tls();
        // The shipped tables are parsed by a test of the core; should one ever fail here, the
        // legal rules would refuse every claim with the reason rather than guess.
        let rates = RateTables::builtin().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the shipped rate tables cannot be read");
            RateTables::empty()
        });
        App {
            store,
            clock,
            rates: Arc::new(rates),
            letters: Arc::default(),
            templates: Arc::default(),
            mailer: None,
            next_runs: Arc::default(),
            portal_key: Arc::default(),
            public_url: None,
            payments: None,
        }
    }

    /// The same use cases over another clock (`arflow --today`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Whether an SMTP server is configured ([`App::with_mailer`]).
    pub fn has_mailer(&self) -> bool {
        self.mailer.is_some()
    }

    /// The same use cases with the SMTP server `serve` sends with (`None`: none configured).
    pub fn with_mailer(mut self, mailer: Option<arflow_notify::email::Mailer>) -> App {
        self.mailer = mailer;
        self
    }

    /// The address debtors reach this server at: messages then carry each debtor's personal
    /// portal link (`{public_url}/p/{token}`).
    pub fn with_public_url(mut self, url: Option<String>) -> App {
        self.public_url = url.map(|u| u.trim_end_matches('/').to_owned()).filter(|u| !u.is_empty());
        self
    }

    /// The address debtors reach this server at, when it is known.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The PDF letter renderer (shared by every clone of this app).
    pub fn letters(&self) -> &arflow_notify::letter::Renderer {
        self.letters.get_or_init(arflow_notify::letter::Renderer::new)
    }

    /// The message templates. Organisations cannot edit them yet: the built-in texts.
    pub fn templates(&self) -> Arc<arflow_notify::templates::Templates> {
        Arc::clone(
            self.templates.get_or_init(|| Arc::new(arflow_notify::templates::Templates::builtin())),
        )
    }

    /// The same use cases with other rate tables (an override directory, a test's own).
    pub fn with_rates(mut self, rates: RateTables) -> App {
        self.rates = Arc::new(rates);
        self
    }

    /// Microseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.clock.now_micros()
    }

    /// Today's civil date in the organisation's time zone.
    pub fn today(&self, org: &Organisation) -> Date {
        today_in(self.now(), &org.time_zone)
    }
}

/// The civil date at `micros` in the time zone `tz` (UTC when the zone is unknown).
pub fn today_in(micros: i64, tz: &str) -> Date {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_microsecond(micros)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(zone)
        .date()
}

/// The wall-clock time at `micros` in the time zone `tz` as `2026-12-06 14:03` (UTC when the
/// zone is unknown): how people see when something happened.
pub fn local_time_in(micros: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_microsecond(micros)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
