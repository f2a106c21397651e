//! arflow's store: one API over SQLite (the default, a file that needs no set-up) and PostgreSQL.
//!
//! Every use case runs in one [`StoreTx`], opened with [`Store::begin_read`] or
//! [`Store::begin_write`]; what it writes becomes visible all at once on
//! [`commit`](StoreTx::commit), or not at all. Each query is scoped by organisation: every method
//! that touches tenant data takes an [`OrganisationId`](arflow_core::id::OrganisationId) and
//! every statement filters on it first.
//!
//! The SQL is written once (`backend/common.rs`) and compiled for each backend; the conformance
//! suite in `tests/` runs every method on both.

mod backend;
mod error;
pub mod migrations;
pub mod model;

pub use error::StoreError;
pub use model::*;

use arflow_core::date::Date;
use arflow_core::id::*;
use arflow_core::money::Currency;
use arflow_core::party::{Debtor, Organisation};
use std::collections::HashMap;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to the database.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(backend::sqlite::Db),
    Postgres(backend::postgres::Db),
}

/// One transaction.
#[derive(Debug)]
pub enum StoreTx {
    Sqlite(backend::sqlite::Tx),
    Postgres(backend::postgres::Tx),
}

impl Store {
    /// Connects to `url`: `sqlite://FILE` (created when missing), `sqlite::memory:`, or
    /// `postgres://USER@HOST:PORT/DB`.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] or [`StoreError::Database`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(backend::sqlite::Db::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(backend::postgres::Db::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies missing migrations; returns the versions applied. `at` is the current time in
    /// microseconds since the Unix epoch.
    ///
    /// # Errors
    /// [`StoreError::MigrationChanged`], [`StoreError::MigrationUnknown`] or a database error.
    pub async fn migrate(&self, at: i64) -> Result<Vec<i64>, StoreError> {
        match self {
            Store::Sqlite(db) => db.migrate(at).await,
            Store::Postgres(db) => db.migrate(at).await,
        }
    }

    /// Starts a read-only transaction (a consistent snapshot).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn begin_read(&self) -> Result<StoreTx, StoreError> {
        Ok(match self {
            Store::Sqlite(db) => StoreTx::Sqlite(db.begin_read().await?),
            Store::Postgres(db) => StoreTx::Postgres(db.begin_read().await?),
        })
    }

    /// A read session without a transaction: each statement sees the latest committed data on
    /// its own. For single-statement reads on hot paths; use [`begin_read`](Self::begin_read)
    /// when several statements must agree.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn read(&self) -> Result<StoreTx, StoreError> {
        Ok(match self {
            Store::Sqlite(db) => StoreTx::Sqlite(db.read().await?),
            Store::Postgres(db) => StoreTx::Postgres(db.read().await?),
        })
    }

    /// Whether a writer may open a [`read`](Store::read) session beside its transaction and
    /// wait for it: on a SQLite file, whose readers have a pool of their own while writers
    /// queue for the one write connection. Not in memory, where one connection serves both;
    /// not on PostgreSQL, whose one pool serves both, so that writers each waiting for a second
    /// connection could take the whole pool and wait on each other.
    pub fn reads_beside_a_writer(&self) -> bool {
        match self {
            Store::Sqlite(db) => db.reads_beside_a_writer(),
            Store::Postgres(_) => false,
        }
    }

    /// An invoice or credit note by number with its allocations, as committed now: what
    /// [`StoreTx::find_invoice_with_allocations`] gives in a read session of its own. On a
    /// SQLite file the look-up runs on the calling thread (a point read of microseconds; no
    /// hand-over to a connection thread), unless the database is busy.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_invoice_with_allocations(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Option<ItemWithAllocations>, StoreError> {
        if let Store::Sqlite(db) = self
            && let Some(found) = db.find_invoice_with_allocations_directly(org, number)
        {
            return found;
        }
        // Boxed: the pooled read's future is large, and the direct read needs none of it.
        Box::pin(async {
            let mut tx = self.read().await?;
            let found = tx.find_invoice_with_allocations(org, number).await?;
            tx.rollback().await?;
            Ok(found)
        })
        .await
    }

    /// Starts a read-write transaction.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn begin_write(&self) -> Result<StoreTx, StoreError> {
        Ok(match self {
            Store::Sqlite(db) => StoreTx::Sqlite(db.begin_write().await?),
            Store::Postgres(db) => StoreTx::Postgres(db.begin_write().await?),
        })
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_read().await?;
        tx.list_organisations().await?;
        tx.rollback().await
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(db) => db.close().await,
            Store::Postgres(db) => db.close().await,
        }
    }
}

impl StoreTx {
    /// Makes every write of this transaction durable.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing of the transaction is kept then.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            StoreTx::Sqlite(t) => t.commit().await,
            StoreTx::Postgres(t) => t.commit().await,
        }
    }

    /// Discards every write of this transaction.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            StoreTx::Sqlite(t) => t.rollback().await,
            StoreTx::Postgres(t) => t.rollback().await,
        }
    }
}

/// Forwards each listed method to the backend transaction.
macro_rules! delegate {
    ($( $(#[$meta:meta])* fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl StoreTx {
            $(
                $(#[$meta])*
                pub async fn $name(&mut self $(, $arg: $ty)*) -> Result<$ret, StoreError> {
                    match self {
                        StoreTx::Sqlite(t) => t.$name($($arg),*).await,
                        StoreTx::Postgres(t) => t.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    /// Stored bank entries with the given keys: key → (id, content fingerprint).
    fn find_bank_entry_keys(&mut self, org: OrganisationId, keys: &[&str]) -> HashMap<String, (i64, String)>;
    /// Inserts bank entries with the ids the caller reserved.
    fn insert_bank_entries(&mut self, org: OrganisationId, rows: &[NewBankEntry], at: i64) -> ();
    /// Bank entries by id, optionally of one status, one page.
    fn list_bank_entries(&mut self, org: OrganisationId, status: Option<BankEntryStatus>, page: Page) -> Vec<StoredBankEntry>;
    /// One bank entry.
    fn get_bank_entry(&mut self, org: OrganisationId, id: i64) -> StoredBankEntry;
    /// Moves an entry from `from` to `to`; false when it was no longer in `from`.
    fn decide_bank_entry(&mut self, org: OrganisationId, id: i64, from: BankEntryStatus, to: BankEntryStatus, payment: Option<PaymentId>, decided_by: &str, at: i64) -> bool;
    /// Every invoice with money open now.
    fn open_book_items(&mut self, org: OrganisationId) -> Vec<BookItemRow>;
    /// Open invoices with one of the references or numbers, or of one of the debtors.
    fn open_book_items_for(&mut self, org: OrganisationId, references: &[&str], numbers: &[&str], debtors: &[DebtorId]) -> Vec<BookItemRow>;
    /// Every debtor's name and known IBANs.
    fn debtor_match_facts(&mut self, org: OrganisationId) -> Vec<(DebtorId, String, Vec<String>)>;
    /// The payment a debit most likely reverses, with its bank entry id.
    fn find_reversed_payment(&mut self, org: OrganisationId, amount_minor: i64, counterparty_iban: Option<&str>, end_to_end_id: Option<&str>, since: Date) -> Option<(PaymentId, i64)>;
    /// Sets (or with `None` lifts) the policy of one invoice, keeping its other holds.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_item_policy_override(&mut self, org: OrganisationId, invoice: InvoiceId, policy: Option<&str>, at: i64) -> ();
    /// The policy override of one invoice, if any.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn item_policy_override(&mut self, org: OrganisationId, invoice: InvoiceId) -> Option<String>;
    /// Marks an invoice disputed and/or promised, keeping its other holds.
    fn mark_item_outcome(&mut self, org: OrganisationId, invoice: InvoiceId, disputed: bool, promised_until: Option<Date>, at: i64) -> ();
    /// Debtors by VAT or enterprise number, else by exact (case-insensitive) name.
    fn find_debtors_by_identity(&mut self, org: OrganisationId, vat_number: Option<&str>, enterprise_number: Option<&str>, name: &str) -> Vec<DebtorId>;
    /// Marks a payment as reversed by a bank entry; false when it was already.
    fn mark_payment_reversed(&mut self, org: OrganisationId, payment: PaymentId, by_entry: i64) -> bool;
    /// Inserts invoices with the balances the allocations inserted in the same transaction
    /// give them (bulk loads).
    fn insert_invoices_with_balances(&mut self, org: OrganisationId, rows: &[NewInvoice<'_>], balances: &[ItemBalance], at: i64) -> ();
    /// Inserts payments with what stays unapplied after the allocations inserted in the same
    /// transaction (bulk loads).
    fn insert_payments_with_unapplied(&mut self, org: OrganisationId, rows: &[NewPayment<'_>], unapplied_minor: &[i64], at: i64) -> ();
    /// Refreshes the query planner's statistics, after bulk loads.
    fn analyze(&mut self) -> ();
    /// The debtors known to pay from each of `ibans`, by IBAN.
    fn find_debtors_by_ibans(&mut self, org: OrganisationId, ibans: &[&str]) -> HashMap<String, Vec<DebtorId>>;
    /// Inserts an organisation and returns its id.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the slug is taken.
    fn insert_organisation(&mut self, org: &Organisation, at: i64) -> OrganisationId;
    /// Updates an organisation's settings (not its slug).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it does not exist.
    fn update_organisation(&mut self, id: OrganisationId, org: &Organisation, at: i64) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn find_organisation_by_slug(&mut self, slug: &str) -> Option<StoredOrganisation>;
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such organisation.
    fn get_organisation(&mut self, id: OrganisationId) -> StoredOrganisation;
    /// Every organisation, by slug.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn list_organisations(&mut self) -> Vec<StoredOrganisation>;
    /// Reserves `n` consecutive values of the organisation's counter `entity` and returns the
    /// first. Counters start at 1.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn reserve_ids(&mut self, org: OrganisationId, entity: &str, n: u64) -> i64;
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_api_token(&mut self, org: OrganisationId, id: TokenId, name: &str, secret_sha256: &str, created_by: &str, at: i64) -> ();
    /// The live (not revoked) token of `org` whose secret hashes to `secret_sha256`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_api_token(&mut self, org: OrganisationId, secret_sha256: &str) -> Option<StoredToken>;
    /// Appends audit entries (ids are reserved here).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_audit(&mut self, org: OrganisationId, entries: &[AuditEntry]) -> ();
    /// The newest audit entries first, optionally for one entity.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_audit(&mut self, org: OrganisationId, entity: Option<(&str, &str)>, page: Page) -> Vec<(i64, AuditEntry)>;
    /// # Errors
    /// [`StoreError::Database`].
    fn find_idempotency(&mut self, org: OrganisationId, key: &str) -> Option<StoredIdempotency>;
    /// # Errors
    /// [`StoreError::Conflict`] when the key was stored meanwhile.
    fn insert_idempotency(&mut self, org: OrganisationId, key: &str, value: &StoredIdempotency, at: i64) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_import_record(&mut self, org: OrganisationId, record: &ImportRecord) -> ();
    /// Row counts of one organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn counts(&mut self, org: OrganisationId) -> Counts;
    /// The debtors with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_debtors_by_numbers(&mut self, org: OrganisationId, numbers: &[&str]) -> HashMap<String, StoredDebtor>;
    /// Ids of the debtors with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_debtor_ids(&mut self, org: OrganisationId, numbers: &[&str]) -> HashMap<String, DebtorId>;
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_debtor_by_number(&mut self, org: OrganisationId, number: &str) -> Option<StoredDebtor>;
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn get_debtor(&mut self, org: OrganisationId, id: DebtorId) -> StoredDebtor;
    /// Debtors matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_debtors(&mut self, org: OrganisationId, filter: &DebtorFilter, page: Page) -> Vec<StoredDebtor>;
    /// The accounts the organisation's bank entries arrived on, with how many, when, and what
    /// is waiting for a person; by account and currency.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn bank_accounts(&mut self, org: OrganisationId) -> Vec<BankAccountSummary>;
    /// The installation's key `name`, made from `fresh` on first use (see the migration 0010).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn server_key(&mut self, name: &str, fresh: &[u8], at: i64) -> Vec<u8>;
    /// The organisation's portal settings, when it saved any.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn portal_settings(&mut self, org: OrganisationId) -> Option<PortalSettingsRow>;
    /// Replaces the organisation's portal settings.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_portal_settings(&mut self, org: OrganisationId, s: &PortalSettingsRow, at: i64) -> ();
    /// Stores a personal link with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_portal_link(&mut self, org: OrganisationId, id: i64, debtor: DebtorId, nonce: &str, expires_on: Date, at: i64) -> ();
    /// The link with `nonce`, of whichever organisation, with that organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_portal_link(&mut self, nonce: &str) -> Option<(OrganisationId, StoredPortalLink)>;
    /// A debtor's links, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn portal_links_of(&mut self, org: OrganisationId, debtor: DebtorId) -> Vec<StoredPortalLink>;
    /// Revokes a link; false when it was revoked already or is not the organisation's.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn revoke_portal_link(&mut self, org: OrganisationId, id: i64, by: &str, at: i64) -> bool;
    /// Notes that a link was used.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn touch_portal_link(&mut self, org: OrganisationId, id: i64, at: i64) -> ();
    /// Stores a debtor's answer with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_portal_response(&mut self, org: OrganisationId, id: i64, r: &NewPortalResponse, at: i64) -> ();
    /// A debtor's answers, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn portal_responses_of(&mut self, org: OrganisationId, debtor: DebtorId, limit: u32) -> Vec<StoredPortalResponse>;
    /// The file uploaded with an answer.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn portal_response_file(&mut self, org: OrganisationId, id: i64) -> Option<Upload>;
    /// Opens a dispute with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`dispute`) when the invoice has an open one.
    fn insert_dispute(&mut self, org: OrganisationId, id: i64, d: &NewDispute, at: i64) -> ();
    /// A debtor's disputes, open ones first, then newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn disputes_of(&mut self, org: OrganisationId, debtor: DebtorId) -> Vec<StoredDispute>;
    /// One dispute.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not the organisation's.
    fn get_dispute(&mut self, org: OrganisationId, id: i64) -> StoredDispute;
    /// Resolves an open dispute (`credit_note`, `upheld`, `rejected`); false when it was not open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn resolve_dispute(&mut self, org: OrganisationId, id: i64, resolution: &str, note: Option<&str>, by: &str, at: i64) -> bool;
    /// Sets or lifts the dispute hold of one invoice, keeping its other holds.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_item_disputed(&mut self, org: OrganisationId, invoice: InvoiceId, disputed: bool, at: i64) -> ();
    /// Lifts the promise hold of one invoice (a broken promise), keeping its other holds.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn clear_item_promise(&mut self, org: OrganisationId, invoice: InvoiceId, at: i64) -> ();
    /// Stores a new online payment with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_online_payment(&mut self, org: OrganisationId, p: &OnlinePayment) -> ();
    /// Records the provider's id of an online payment that has none yet; false otherwise.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another payment has that provider id.
    fn set_online_provider_id(&mut self, org: OrganisationId, id: i64, provider_id: &str, at: i64) -> bool;
    /// The online payment the provider knows as `provider_id`, with its organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_online_payment(&mut self, provider: &str, provider_id: &str) -> Option<(OrganisationId, OnlinePayment)>;
    /// One online payment of the organisation.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not the organisation's.
    fn get_online_payment(&mut self, org: OrganisationId, id: i64) -> OnlinePayment;
    /// Sets an online payment's status (and method), and once the ledger payment it became.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_online_status(&mut self, org: OrganisationId, id: i64, status: &str, method: Option<&str>, payment: Option<PaymentId>, at: i64) -> ();
    /// Stores a payment plan with its instalments and invoices, with the id the caller
    /// reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`plan_reference`) when an instalment's reference is taken in
    /// the organisation.
    fn insert_payment_plan(&mut self, org: OrganisationId, plan: &NewPaymentPlan, at: i64) -> ();
    /// One payment plan with its instalments and invoices (with what is open on them now).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] (`payment_plan`) when it is not the organisation's.
    fn get_payment_plan(&mut self, org: OrganisationId, id: i64) -> StoredPaymentPlan;
    /// A debtor's payment plans, oldest first, each complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn payment_plans_of(&mut self, org: OrganisationId, debtor: DebtorId) -> Vec<StoredPaymentPlan>;
    /// The organisation's payment plans in one state (the daily run follows the active ones),
    /// by id, each complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn payment_plans_in_state(&mut self, org: OrganisationId, state: PlanState) -> Vec<StoredPaymentPlan>;
    /// The organisation's payment plans that ended on `on` (completed, broken, rejected or
    /// cancelled that day), by id, each complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn payment_plans_ended_on(&mut self, org: OrganisationId, on: Date) -> Vec<StoredPaymentPlan>;
    /// Moves a plan from `from` to `to` with who, when and the day it ended (the first
    /// decision on a plan is kept); false when it was not in `from` or not the organisation's.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_payment_plan_state(&mut self, org: OrganisationId, id: i64, from: PlanState, to: PlanState, by: &str, at: i64, ended_on: Option<Date>) -> bool;
    /// The plan instalment a (normalized) payment reference belongs to, with its plan's
    /// invoices that still have money open (reconciliation).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_plan_instalment(&mut self, org: OrganisationId, reference: &str) -> Option<PlanReferenceMatch>;
    /// The plan instalments with one of the (normalized) payment references, by reference,
    /// each with its plan's invoices that still have money open; one batch for a whole
    /// statement (reconciliation, payments import).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_plan_instalments(&mut self, org: OrganisationId, references: &[&str]) -> HashMap<String, PlanReferenceMatch>;
    /// Sets or lifts the payment-plan hold of every invoice of a plan, keeping their other
    /// holds; returns how many invoices it touched.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_plan_items_held(&mut self, org: OrganisationId, plan: i64, held: bool, at: i64) -> u64;
    /// The organisation's accent colour and logo; the default when it set none.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn branding(&mut self, org: OrganisationId) -> arflow_core::brand::Branding;
    /// Replaces the organisation's accent colour and logo.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_branding(&mut self, org: OrganisationId, branding: &arflow_core::brand::Branding, at: i64) -> ();
    /// The organisation's own bank accounts, by IBAN, closed ones included.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn own_accounts(&mut self, org: OrganisationId) -> Vec<arflow_core::brand::OwnAccount>;
    /// Adds an own account (by IBAN), or updates its BIC, label and whether it is open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn put_own_account(&mut self, org: OrganisationId, account: &arflow_core::brand::OwnAccount, at: i64) -> ();
    /// The debtors matching `filter` owing the most on `today`: by what is overdue
    /// (`overdue_only`) or by what is open, largest first, then by id; `offset` rows skipped, at most `limit` (1..=1000) given.
    /// Each with its amount in minor units of the organisation's currency `currency`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn debtors_by_amount(&mut self, org: OrganisationId, currency: Currency, today: Date, filter: &DebtorFilter, overdue_only: bool, offset: u32, limit: u32) -> Vec<(DebtorId, i64)>;
    /// Inserts new debtors with the ids the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a number exists already.
    fn insert_debtors(&mut self, org: OrganisationId, debtors: &[(DebtorId, &Debtor)], at: i64) -> ();
    /// Replaces every field of a debtor (contacts, IBANs and segments included).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`] (number taken).
    fn update_debtor(&mut self, org: OrganisationId, id: DebtorId, d: &Debtor, at: i64) -> ();
    /// Adds an IBAN to a debtor's known accounts (no-op when known).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn add_debtor_iban(&mut self, org: OrganisationId, id: DebtorId, iban: &str) -> bool;
    /// The debtors that are known to pay from `iban`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_debtor_ids_by_iban(&mut self, org: OrganisationId, iban: &str) -> Vec<DebtorId>;
    /// The invoices and credit notes with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_invoices_by_numbers(&mut self, org: OrganisationId, numbers: &[&str]) -> HashMap<String, StoredInvoice>;
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_invoice_by_number(&mut self, org: OrganisationId, number: &str) -> Option<StoredInvoice>;
    fn find_invoice_with_allocations(&mut self, org: OrganisationId, number: &str) -> Option<ItemWithAllocations>;
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn get_invoice(&mut self, org: OrganisationId, id: InvoiceId) -> StoredInvoice;
    /// Open invoices (not credit notes) whose payment reference is one of `references`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_invoices_by_references(&mut self, org: OrganisationId, references: &[&str]) -> Vec<StoredInvoice>;
    /// Invoices and credit notes matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_invoices(&mut self, org: OrganisationId, filter: &InvoiceFilter, page: Page) -> Vec<StoredInvoice>;
    /// Inserts new invoices and credit notes, fully open.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a number exists already.
    fn insert_invoices(&mut self, org: OrganisationId, rows: &[NewInvoice<'_>], at: i64) -> ();
    /// Replaces the fields of an invoice; its balance is refreshed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`].
    fn update_invoice(&mut self, org: OrganisationId, row: NewInvoice<'_>, at: i64) -> ();
    /// Stores (or replaces) the PDF of an invoice.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn put_invoice_document(&mut self, org: OrganisationId, id: InvoiceId, content_type: &str, file_name: &str, content: &[u8]) -> ();
    /// The PDF of an invoice: content type, file name, bytes.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_invoice_document(&mut self, org: OrganisationId, id: InvoiceId) -> Option<(String, String, Vec<u8>)>;
    /// Stored payments with the given external ids, by external id.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_payments_by_external_ids(&mut self, org: OrganisationId, external_ids: &[&str]) -> HashMap<String, StoredPayment>;
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn get_payment(&mut self, org: OrganisationId, id: PaymentId) -> StoredPayment;
    /// Payments matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_payments(&mut self, org: OrganisationId, filter: &PaymentFilter, page: Page) -> Vec<StoredPayment>;
    /// Inserts new payments, fully unapplied.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an external id exists already.
    fn insert_payments(&mut self, org: OrganisationId, rows: &[NewPayment<'_>], at: i64) -> ();
    /// Attributes a payment to a debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_payment_debtor(&mut self, org: OrganisationId, id: PaymentId, debtor: Option<DebtorId>) -> ();
    /// Inserts allocations. Balances are not refreshed here: call
    /// [`refresh_balances`](Self::refresh_balances) for the touched items.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_allocations(&mut self, org: OrganisationId, rows: &[NewAllocation], at: i64) -> ();
    /// Allocations of one invoice, credit note or payment, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_allocations(&mut self, org: OrganisationId, of: AllocationsOf) -> Vec<StoredAllocation>;
    /// The allocations to any of `items` (not those from credit notes), per invoice oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_allocations_to_items(&mut self, org: OrganisationId, items: &[InvoiceId]) -> Vec<StoredAllocation>;
    /// Removes an allocation and returns it; balances are refreshed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such allocation.
    fn delete_allocation(&mut self, org: OrganisationId, id: AllocationId) -> StoredAllocation;
    /// Recomputes the derived balances (`open_minor`, `settled_on`, `unapplied_minor`) of the
    /// given items and payments from their allocations.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn refresh_balances(&mut self, org: OrganisationId, items: &[InvoiceId], payments: &[PaymentId]) -> ();
    /// Recomputes every derived balance of the organisation (after a bulk load, or to repair).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn refresh_all_balances(&mut self, org: OrganisationId) -> ();
    /// Items whose stored balance differs from the one their allocations give: an empty list
    /// means the derived columns are consistent.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_balance_mismatches(&mut self, org: OrganisationId) -> Vec<String>;
    /// Sums what was open on `as_of` per ageing bucket, in one currency.
    ///
    /// `not_due_from` is the first due date that is not yet overdue (`as_of` itself);
    /// `cutoffs` are, per bucket after "not due", the earliest due date that still falls in it.
    /// Items due before the last cutoff fall in the last bucket (index `cutoffs.len() + 1`).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn ageing_totals(&mut self, org: OrganisationId, cur: Currency, as_of: Date, cutoffs: &[Date], debtor: Option<DebtorId>) -> Vec<BucketSum>;
    /// Every item open on `as_of`, with what was open on that day.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn open_items_on(&mut self, org: OrganisationId, cur: Currency, as_of: Date, debtor: Option<DebtorId>) -> Vec<OpenItem>;
    /// Money received on or before `as_of` and not allocated on that day, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn unapplied_on(&mut self, org: OrganisationId, cur: Currency, as_of: Date) -> i64;
    /// Invoiced amounts (credit notes netted) per issue date in `[from, to]`, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn sales_by_day(&mut self, org: OrganisationId, cur: Currency, from: Date, to: Date) -> Vec<(Date, i64)>;
    /// What was invoiced and paid per day in `cur`, on days up to and including `to`, oldest
    /// first (kept by triggers on invoices and payments).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn ledger_days(&mut self, org: OrganisationId, cur: Currency, to: Date) -> Vec<LedgerDay>;
    /// The work waiting for people: open tasks, actions to approve, uncertain messages, bank
    /// entries to review or match (their sum in `cur`).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn work_counts(&mut self, org: OrganisationId, cur: Currency) -> WorkCounts;
    /// The status of the dunning run of `run_date` (`running`, `done`), if it started.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn run_status(&mut self, org: OrganisationId, run_date: Date) -> Option<String>;
    /// The actions of the run of `run_date`, counted by step, channels and status.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn run_step_counts(&mut self, org: OrganisationId, run_date: Date) -> Vec<RunStepCount>;
    /// Invoices settled in `[from, to]`, optionally of one debtor, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn settled_invoices(&mut self, org: OrganisationId, cur: Currency, from: Date, to: Date, debtor: Option<DebtorId>) -> Vec<SettledRow>;
    /// Every debtor with open invoices in `cur`, with each item's dunning state.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn dunning_candidates(&mut self, org: OrganisationId, cur: Currency) -> Vec<DunningDebtorRow>;
    /// The baseline of `arflow bench dunning`: one plain SELECT of the rows `dunning_candidates`
    /// reads. Returns the number of items, of debtors, and the total open in minor units.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn scan_open_items_for_bench(&mut self, org: OrganisationId, cur: Currency) -> (u64, u64, i64);
    /// Stores a new version of a policy and returns its version number.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn put_policy(&mut self, org: OrganisationId, policy_id: &str, definition: &str, created_by: &str, at: i64) -> u32;
    /// Stores exactly `version` of a policy (numbered by the caller).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`policy_version`) when that version exists already, else
    /// [`StoreError::Database`].
    fn insert_policy_version(&mut self, org: OrganisationId, policy_id: &str, version: u32, definition: &str, created_by: &str, at: i64) -> ();
    /// An organisation's own text of a template in one language (replacing an earlier one).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn put_message_template(&mut self, org: OrganisationId, t: &StoredTemplate, at: i64) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn list_message_templates(&mut self, org: OrganisationId) -> Vec<StoredTemplate>;
    /// # Errors
    /// [`StoreError::Database`].
    fn delete_message_template(&mut self, org: OrganisationId, template: &str, language: &str) -> bool;
    /// Saves an organisation's CSV statement mapping under its name (replacing an earlier one).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn put_statement_mapping(&mut self, org: OrganisationId, m: &StoredMapping) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn find_statement_mapping(&mut self, org: OrganisationId, name: &str) -> Option<StoredMapping>;
    /// Every saved mapping, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn list_statement_mappings(&mut self, org: OrganisationId) -> Vec<StoredMapping>;
    /// # Errors
    /// [`StoreError::Database`].
    fn delete_statement_mapping(&mut self, org: OrganisationId, name: &str) -> bool;
    /// # Errors
    /// [`StoreError::Conflict`] (`user`) when the address is taken.
    fn insert_user(&mut self, u: &NewUser, at: i64) -> UserId;
    /// # Errors
    /// [`StoreError::Database`].
    fn find_user_by_email(&mut self, email: &str) -> Option<StoredUser>;
    /// # Errors
    /// [`StoreError::Database`].
    fn find_user(&mut self, id: UserId) -> Option<StoredUser>;
    /// # Errors
    /// [`StoreError::Database`].
    fn put_membership(&mut self, user: UserId, org: OrganisationId, role: &str, at: i64) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn list_memberships(&mut self, user: UserId) -> Vec<Membership>;
    /// The people with a role in `org`, by name and e-mail address.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn list_organisation_members(&mut self, org: OrganisationId) -> Vec<OrganisationMember>;
    /// Takes a person's role in `org` away; false when there was none. Their sessions lose the
    /// organisation at their next request.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn delete_membership(&mut self, user: UserId, org: OrganisationId) -> bool;
    /// Locks the organisation's row until the transaction ends, so that checks over several of
    /// its rows (its last administrator) hold until the change is committed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such organisation.
    fn lock_organisation(&mut self, org: OrganisationId) -> ();
    /// Every API token of `org` (never their secrets), by id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn list_api_tokens(&mut self, org: OrganisationId) -> Vec<StoredToken>;
    /// Revokes a live token of `org`; false when there is no such live token.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn revoke_api_token(&mut self, org: OrganisationId, id: TokenId, at: i64) -> bool;
    /// The newest audit entries first that match `filter`, one page (`page.after`: entries
    /// with a smaller id).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn search_audit(&mut self, org: OrganisationId, filter: &AuditFilter, page: Page) -> Vec<(i64, AuditEntry)>;
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_session(&mut self, s: &StoredSession) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn find_session(&mut self, token_sha256: &str, now: i64) -> Option<StoredSession>;
    /// # Errors
    /// [`StoreError::Database`].
    fn set_session_organisation(&mut self, token_sha256: &str, org: OrganisationId) -> ();
    /// # Errors
    /// [`StoreError::Database`].
    fn delete_session(&mut self, token_sha256: &str, now: i64) -> bool;
    /// # Errors
    /// [`StoreError::Database`].
    fn record_login_failure(&mut self, email: &str, at: i64, since: i64) -> u64;
    /// # Errors
    /// [`StoreError::Database`].
    fn login_failures_since(&mut self, email: &str, since: i64) -> u64;
    /// # Errors
    /// [`StoreError::Database`].
    fn clear_login_failures(&mut self, email: &str) -> ();
    /// The latest version of every policy: id, version, definition (JSON).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn latest_policies(&mut self, org: OrganisationId) -> Vec<(String, u32, String)>;
    /// The organisation's dunning settings: assignments (JSON) and the hour of the daily run.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn find_dunning_settings(&mut self, org: OrganisationId) -> Option<(String, u32)>;
    /// # Errors
    /// [`StoreError::Database`].
    fn put_dunning_settings(&mut self, org: OrganisationId, assignments: &str, run_hour: u32, at: i64) -> ();
    /// Stores an action unless one with its key exists; returns whether it was stored.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_action(&mut self, org: OrganisationId, id: i64, a: &NewAction, at: i64) -> bool;
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn find_action(&mut self, org: OrganisationId, id: i64) -> Option<StoredAction>;
    /// Actions, newest first, optionally of one status or debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_actions(&mut self, org: OrganisationId, status: Option<ActionStatus>, debtor: Option<DebtorId>, page: Page) -> Vec<StoredAction>;
    /// Every action of any of `debtors` (only those with one of `templates` when given), newest
    /// first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_actions_of_debtors(&mut self, org: OrganisationId, debtors: &[DebtorId], templates: Option<&[&str]>) -> Vec<StoredAction>;
    /// Moves an action from one status to another; false when it was not in `from`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_action_status(&mut self, org: OrganisationId, id: i64, from: ActionStatus, to: ActionStatus, at: i64) -> bool;
    /// Records that items reached a step on a date.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn advance_items(&mut self, org: OrganisationId, items: &[InvoiceId], step_index: usize, step_key: &str, on: Date, policy: (&str, u32), at: i64) -> ();
    /// Sets what holds an item from dunning (dispute, promise, plan, pause, own policy).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_item_hold(&mut self, org: OrganisationId, invoice: InvoiceId, hold: &ItemHold, at: i64) -> ();
    /// Records the last contact with a debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_last_contact(&mut self, org: OrganisationId, debtor: DebtorId, on: Date, at: i64) -> ();
    /// Puts a rendered message in the outbox.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a message with its message id exists.
    fn insert_message(&mut self, org: OrganisationId, id: i64, m: &NewMessage, status: MessageStatus, at: i64) -> ();
    /// The id of the message whose `Message-ID` is `message_id`, if there is one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn message_with_message_id(&mut self, org: OrganisationId, message_id: &str) -> Option<i64>;
    /// Messages, newest first, optionally of one status or debtor (without attachment bytes;
    /// see [`message_attachments`](Self::message_attachments)).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_messages(&mut self, org: OrganisationId, status: Option<MessageStatus>, debtor: Option<DebtorId>, page: Page) -> Vec<StoredMessage>;
    /// The attachments of a message, in order.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn message_attachments(&mut self, org: OrganisationId, message: i64) -> Vec<Attachment>;
    /// Moves a message from one status to another (counting an attempt when it starts
    /// sending); false when it was not in `from` — someone else got there first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_message_status(&mut self, org: OrganisationId, id: i64, from: MessageStatus, to: MessageStatus, error: Option<&str>, at: i64) -> bool;
    /// After a crash: every message left `sending` becomes `uncertain` (never resent, never
    /// dropped). Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn mark_sending_uncertain(&mut self, org: OrganisationId) -> u64;
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_task(&mut self, org: OrganisationId, id: i64, t: &NewTask, at: i64) -> ();
    /// Tasks by due date, optionally only open ones, of one owner or debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_tasks(&mut self, org: OrganisationId, open_only: bool, owner: Option<&str>, debtor: Option<DebtorId>, page: Page) -> Vec<StoredTask>;
    /// Closes an open task with its outcome; false when it was not open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn complete_task(&mut self, org: OrganisationId, id: i64, outcome: &str, note: Option<&str>, at: i64) -> bool;
    /// Adds charges to invoices.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn insert_charges(&mut self, org: OrganisationId, rows: &[StoredCharge], at: i64) -> ();
    /// The charges of an invoice, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_charges(&mut self, org: OrganisationId, invoice: InvoiceId) -> Vec<StoredCharge>;
    /// The charges of any of `items`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_charges_of_items(&mut self, org: OrganisationId, items: &[InvoiceId]) -> Vec<StoredCharge>;
    /// Records the start of the run of `run_date`; false when that date's run exists already.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn start_run(&mut self, org: OrganisationId, run_date: Date, at: i64) -> RunClaim;
    /// Records the end of a run and its summary (JSON).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn finish_run(&mut self, org: OrganisationId, run_date: Date, summary: &str, at: i64) -> ();
}
