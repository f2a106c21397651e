//! What the store hands out and takes in: domain values with their ids and derived balances, the
//! filters of the list queries, and the audit entry.

use arflow_core::date::Date;
use arflow_core::id::{
    AllocationId, DebtorId, InvoiceId, OrganisationId, PaymentId, TokenId, UserId,
};
use arflow_core::ledger::{Invoice, InvoiceKind, Payment};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{Debtor, DebtorKind, Organisation};

use serde::Serialize;

/// Largest page a list query returns.
pub const PAGE_LIMIT_MAX: u32 = 1000;

/// Rows per multi-row statement or `IN (…)` list; well under SQLite's 32,766 bound parameters.
pub const BATCH_ROWS_MAX: usize = 500;

/// An organisation with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredOrganisation {
    pub id: OrganisationId,
    #[serde(flatten)]
    pub organisation: Organisation,
    pub created_at: i64,
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredToken {
    pub organisation_id: OrganisationId,
    pub id: TokenId,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The actor that created it (`user:anna@example.nl`, `cli`); `None` for tokens older than
    /// migration 0007.
    pub created_by: Option<String>,
}

/// A debtor with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDebtor {
    pub id: DebtorId,
    #[serde(flatten)]
    pub debtor: Debtor,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An invoice or credit note with its id and its derived balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredInvoice {
    pub id: InvoiceId,
    pub debtor_id: DebtorId,
    #[serde(flatten)]
    pub invoice: Invoice,
    /// What is still open: positive for an invoice, negative (unused credit) for a credit note.
    pub open: Money,
    /// The day the item became fully settled; `None` while open.
    pub settled_on: Option<Date>,
    pub has_document: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new invoice row: the value plus the ids resolved by the use case.
#[derive(Debug, Clone, Copy)]
pub struct NewInvoice<'a> {
    pub id: InvoiceId,
    pub debtor_id: DebtorId,
    pub invoice: &'a Invoice,
    pub credits_invoice_id: Option<InvoiceId>,
}

/// A payment with its id, the debtor it was attributed to, and what is not allocated yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPayment {
    pub id: PaymentId,
    #[serde(flatten)]
    pub payment: Payment,
    pub debtor_id: Option<DebtorId>,
    pub unapplied: Money,
    pub created_at: i64,
}

/// The derived balance of an item, for bulk loads that know it: what is open, and the day it
/// became settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemBalance {
    pub open_minor: i64,
    pub settled_on: Option<Date>,
}

/// A new payment row.
#[derive(Debug, Clone, Copy)]
pub struct NewPayment<'a> {
    pub id: PaymentId,
    pub payment: &'a Payment,
    pub debtor_id: Option<DebtorId>,
}

/// Where allocated money comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AllocationSource {
    Payment(PaymentId),
    CreditNote(InvoiceId),
}

/// Money or credit linked to an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAllocation {
    pub id: AllocationId,
    pub invoice_id: InvoiceId,
    pub invoice_number: String,
    pub source: AllocationSource,
    /// The credit note's number when the source is a credit note.
    pub credit_note_number: Option<String>,
    pub amount: Money,
    pub effective_date: Date,
    pub created_at: i64,
    pub created_by: String,
}

/// An invoice or credit note with its allocations (to it, or made from it), oldest first.
pub type ItemWithAllocations = (StoredInvoice, Vec<StoredAllocation>);

/// A new allocation.
#[derive(Debug, Clone)]
pub struct NewAllocation {
    pub id: AllocationId,
    pub invoice_id: InvoiceId,
    pub source: AllocationSource,
    pub amount_minor: i64,
    /// The currency of the invoice and of the money (they are the same).
    pub currency: Currency,
    /// The day the money or credit came in: payment date, credit note issue date.
    pub source_date: Date,
    /// The day the allocation counts from: the later of `source_date` and the invoice's issue
    /// date.
    pub effective_date: Date,
    pub created_by: String,
}

/// Settlement state of an item for list filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Open,
    Settled,
}

/// Filters of [`list_debtors`](crate::StoreTx::list_debtors). Empty means "all".
#[derive(Debug, Clone, Default)]
pub struct DebtorFilter {
    /// Case-insensitive substring of the name, or a prefix of the number.
    pub search: Option<String>,
    pub segment: Option<String>,
    pub owner: Option<String>,
    pub kind: Option<DebtorKind>,
    /// Only debtors with at least one item overdue on this date.
    pub overdue_on: Option<Date>,
    /// Only debtors whose dunning is paused (true) or not (false).
    pub paused: Option<bool>,
    /// Only debtors with an open invoice due in `[from, to]` (an ageing bucket on a date).
    pub due_between: Option<(Date, Date)>,
    /// Only debtors with an open invoice in dispute.
    pub disputed: bool,
    /// Only debtors with an open invoice in a payment plan.
    pub in_payment_plan: bool,
    /// Only debtors with an open invoice promised for this date or later (a promise not yet
    /// due or broken).
    pub promised_from: Option<Date>,
}

impl DebtorFilter {
    /// No condition at all: every debtor.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.search.as_deref().is_none_or(|s| s.trim().is_empty())
            && self.segment.is_none()
            && self.owner.is_none()
            && self.kind.is_none()
            && self.overdue_on.is_none()
            && self.paused.is_none()
            && self.due_between.is_none()
            && !self.disputed
            && !self.in_payment_plan
            && self.promised_from.is_none()
    }
}

/// Filters of [`list_invoices`](crate::StoreTx::list_invoices). Empty means "all".
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub debtor_id: Option<DebtorId>,
    pub kind: Option<InvoiceKind>,
    pub status: Option<ItemStatus>,
    /// Only items open and past their due date on this date.
    pub overdue_on: Option<Date>,
    pub segment: Option<String>,
    pub owner: Option<String>,
    pub currency: Option<Currency>,
    pub issued_from: Option<Date>,
    pub issued_to: Option<Date>,
}

/// Filters of [`list_payments`](crate::StoreTx::list_payments).
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub debtor_id: Option<DebtorId>,
    /// Only payments with money not yet allocated.
    pub unapplied: Option<bool>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// A keyset page: rows with an id greater than `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: Option<i64>,
    pub limit: u32,
}

impl Page {
    /// The first page of `limit` rows (clamped to 1..=[`PAGE_LIMIT_MAX`]).
    pub fn first(limit: u32) -> Page {
        Page { after: None, limit: limit.clamp(1, PAGE_LIMIT_MAX) }
    }

    /// The page after the row with id `after`.
    pub fn after(after: i64, limit: u32) -> Page {
        Page { after: Some(after), limit: limit.clamp(1, PAGE_LIMIT_MAX) }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    /// What happened, `entity.verb`: `debtor.create`, `invoice.update`, `import.invoices`, …
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    /// Details as a JSON object.
    pub details: serde_json::Value,
}

/// Sum and count of open items in one ageing bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSum {
    pub bucket: usize,
    pub amount_minor: i64,
    pub count: u64,
}

/// An item open on a date, with what was open on that date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub id: InvoiceId,
    pub debtor_id: DebtorId,
    pub number: String,
    pub due_date: Date,
    pub open_minor: i64,
}

/// A settled invoice, for payment-behaviour figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledRow {
    pub debtor_id: DebtorId,
    pub issue_date: Date,
    pub due_date: Date,
    pub settled_on: Date,
    pub amount_minor: i64,
}

/// A stored Idempotency-Key response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIdempotency {
    pub request_sha256: String,
    pub status: u16,
    pub body: String,
}

/// Summary of one import run, kept in the import ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub kind: String,
    pub file_name: String,
    pub file_sha256: String,
    pub at: i64,
    pub actor: String,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Row counts of one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub debtors: u64,
    pub invoices: u64,
    pub payments: u64,
    pub allocations: u64,
}

/// Which allocations to list.
#[derive(Debug, Clone, Copy)]
pub enum AllocationsOf {
    /// Allocations to an invoice or from a credit note.
    Item(InvoiceId),
    Payment(PaymentId),
    Id(AllocationId),
}

/// A debtor with open invoices, as the dunning planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningDebtorRow {
    pub debtor_id: DebtorId,
    pub number: String,
    pub name: String,
    pub kind: DebtorKind,
    pub country: arflow_core::party::CountryCode,
    pub language: arflow_core::party::Language,
    pub owner: Option<String>,
    pub segments: Vec<String>,
    pub pause_reason: Option<String>,
    pub pause_until: Option<Date>,
    pub last_contact_on: Option<Date>,
    pub items: Vec<DunningItemRow>,
}

/// An open invoice and where it stands in dunning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningItemRow {
    pub invoice_id: InvoiceId,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: Money,
    pub open: Money,
    pub last_step: Option<usize>,
    pub last_step_on: Option<Date>,
    pub policy_override: Option<String>,
    pub disputed: bool,
    pub promised_until: Option<Date>,
    pub in_payment_plan: bool,
    pub paused_until: Option<Date>,
    /// The day a `notice_of_default` action (for consumers in NL: the 14-day letter) went out.
    pub fourteen_day_letter_sent: Option<Date>,
    /// The day a `be_consumer_first_reminder` action went out.
    pub first_reminder_sent: Option<Date>,
}

/// A new dunning action, keyed for exactly-once effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub idempotency_key: String,
    pub run_date: Date,
    pub debtor_id: DebtorId,
    pub policy_id: String,
    pub policy_version: u32,
    pub step_key: String,
    pub step_index: usize,
    pub template: String,
    pub channels: Vec<String>,
    pub invoices: Vec<String>,
    pub open: Money,
    pub status: ActionStatus,
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting for a person to approve it.
    AwaitingApproval,
    /// Decided; its messages are in the outbox.
    Planned,
    /// Every effect is done.
    Done,
    /// Refused by a person.
    Rejected,
}

impl ActionStatus {
    pub const fn as_str(&self) -> &'static str {
        match self {
            ActionStatus::AwaitingApproval => "awaiting_approval",
            ActionStatus::Planned => "planned",
            ActionStatus::Done => "done",
            ActionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<ActionStatus> {
        [
            ActionStatus::AwaitingApproval,
            ActionStatus::Planned,
            ActionStatus::Done,
            ActionStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A stored dunning action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAction {
    pub id: i64,
    pub idempotency_key: String,
    pub run_date: Date,
    pub debtor_id: DebtorId,
    pub debtor_number: String,
    pub policy_id: String,
    pub policy_version: u32,
    pub step_key: String,
    pub step_index: usize,
    pub template: String,
    pub channels: Vec<String>,
    pub invoices: Vec<String>,
    pub open: Money,
    pub status: ActionStatus,
    pub created_at: i64,
}

/// Delivery state of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// In the outbox, not yet handed to a channel.
    Planned,
    /// Being delivered: committed before the hand-over, so a crash leaves a trace.
    Sending,
    Sent,
    /// A crash happened while sending: a person decides whether it went out.
    Uncertain,
    /// Refused permanently by the channel (for example an SMTP 5xx).
    Failed,
    /// No channel is configured: it stays readable in the outbox.
    Held,
}

impl MessageStatus {
    pub const fn as_str(&self) -> &'static str {
        match self {
            MessageStatus::Planned => "planned",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Uncertain => "uncertain",
            MessageStatus::Failed => "failed",
            MessageStatus::Held => "held",
        }
    }

    pub fn parse(text: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Planned,
            MessageStatus::Sending,
            MessageStatus::Sent,
            MessageStatus::Uncertain,
            MessageStatus::Failed,
            MessageStatus::Held,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A message as rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    pub action_id: i64,
    pub debtor_id: DebtorId,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub language: String,
    /// Deterministic (from the action's key): the same message always has the same id.
    pub message_id: String,
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    #[serde(flatten)]
    pub message: NewMessage,
    pub debtor_number: String,
    pub status: MessageStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A new task for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub debtor_id: DebtorId,
    pub action_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub owner: Option<String>,
    pub due_on: Date,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredTask {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub debtor_number: String,
    pub action_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub owner: Option<String>,
    pub status: String,
    pub due_on: Date,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// A charge added to an invoice, with its explanation as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCharge {
    pub id: i64,
    pub invoice_id: InvoiceId,
    pub action_id: i64,
    pub kind: String,
    pub amount: Money,
    pub explanation: serde_json::Value,
    pub charged_on: Date,
}

/// What holds an invoice from dunning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemHold {
    pub disputed: bool,
    pub promised_until: Option<Date>,
    pub in_payment_plan: bool,
    pub paused_until: Option<Date>,
    /// A policy for this invoice alone.
    pub policy_override: Option<String>,
}

/// What claiming a run date found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunClaim {
    /// The first run of the date.
    Started,
    /// An earlier run of the date was interrupted: this one finishes its work.
    Resumed,
    /// The date's run finished before: nothing to do.
    AlreadyDone,
}

/// An organisation's own text of a message template in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredTemplate {
    /// The step key (`reminder`, `notice_of_default`, …).
    pub template: String,
    pub language: String,
    pub subject: String,
    pub text_body: String,
    /// `None`: the HTML body is made from the text.
    pub html_body: Option<String>,
    pub updated_by: String,
}

/// A person to store; `email` in lower case, `password_hash` an Argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub language: String,
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub language: String,
    pub disabled: bool,
}

/// A person with a role in one organisation, as the organisation's people page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationMember {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub language: String,
    pub disabled: bool,
    pub role: String,
    /// When the role was first given, microseconds since the Unix epoch.
    pub since: i64,
}

/// Which audit entries [`StoreTx::search_audit`](crate::StoreTx::search_audit) lists; `None`
/// matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The exact actor (`user:anna@example.nl`).
    pub actor: Option<String>,
    /// Text found, case-insensitively, in the action, the entity or its key.
    pub text: Option<String>,
}

/// A person's role in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub organisation_id: OrganisationId,
    pub slug: String,
    pub name: String,
    pub role: String,
}

/// A signed-in browser: the SHA-256 of its cookie's secret, the organisation it works in, and
/// its CSRF token. Times in microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub token_sha256: String,
    pub user_id: UserId,
    pub organisation_id: Option<OrganisationId>,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An organisation's saved column mapping for a bank's CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMapping {
    pub name: String,
    /// The mapping as JSON (`formats::statement::csv_mapped::CsvMapping`).
    pub definition: String,
    /// Microseconds since the Unix epoch.
    pub updated_at: i64,
    pub updated_by: String,
}

/// Where a bank entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BankEntryStatus {
    /// Allocated (automatically or by a person), or recorded as a payment without items.
    Matched,
    /// Waiting for a person: the proposals were not certain enough.
    Review,
    /// Money in that nothing points to; a person may still allocate it.
    Unmatched,
    /// Money out that is not ours to match (supplier payments, fees).
    Ignored,
    /// A debit that reversed an earlier credit.
    Reversal,
    /// A person rejected the proposals; the money stays unapplied.
    Rejected,
}

impl BankEntryStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BankEntryStatus::Matched => "matched",
            BankEntryStatus::Review => "review",
            BankEntryStatus::Unmatched => "unmatched",
            BankEntryStatus::Ignored => "ignored",
            BankEntryStatus::Reversal => "reversal",
            BankEntryStatus::Rejected => "rejected",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<BankEntryStatus> {
        Some(match text {
            "matched" => BankEntryStatus::Matched,
            "review" => BankEntryStatus::Review,
            "unmatched" => BankEntryStatus::Unmatched,
            "ignored" => BankEntryStatus::Ignored,
            "reversal" => BankEntryStatus::Reversal,
            "rejected" => BankEntryStatus::Rejected,
            _ => return None,
        })
    }
}

/// A bank entry to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBankEntry {
    pub id: i64,
    pub entry_key: String,
    pub content_sha256: String,
    pub account: String,
    pub statement_id: Option<String>,
    pub format: String,
    pub booking_date: Date,
    pub value_date: Option<Date>,
    pub amount: Money,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub counterparty_bic: Option<String>,
    pub reference_scheme: Option<String>,
    pub reference: Option<String>,
    pub remittance: String,
    pub end_to_end_id: Option<String>,
    pub bank_reference: Option<String>,
    pub transaction_code: Option<String>,
    pub reversal: bool,
    pub return_reason: Option<String>,
    pub status: BankEntryStatus,
    pub payment_id: Option<PaymentId>,
    pub reverses_payment_id: Option<PaymentId>,
    pub proposals: Option<String>,
    pub decided_by: Option<String>,
}

/// A stored bank entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBankEntry {
    pub id: i64,
    pub entry_key: String,
    pub content_sha256: String,
    pub account: String,
    pub statement_id: Option<String>,
    pub format: String,
    pub booking_date: Date,
    pub value_date: Option<Date>,
    pub amount: Money,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub counterparty_bic: Option<String>,
    pub reference_scheme: Option<String>,
    pub reference: Option<String>,
    pub remittance: String,
    pub end_to_end_id: Option<String>,
    pub bank_reference: Option<String>,
    pub transaction_code: Option<String>,
    pub reversal: bool,
    pub return_reason: Option<String>,
    pub status: BankEntryStatus,
    pub payment_id: Option<PaymentId>,
    pub reverses_payment_id: Option<PaymentId>,
    /// JSON list of proposals, best first.
    pub proposals: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// An open invoice as the matcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookItemRow {
    pub id: InvoiceId,
    pub debtor_id: DebtorId,
    pub number: String,
    pub payment_reference: Option<String>,
    pub open_minor: i64,
    pub currency: Currency,
    pub due_date: Date,
}

/// A bank account statements were imported for: what arrived on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankAccountSummary {
    /// The account as the statements name it (an IBAN, or a bank's own account id).
    pub account: String,
    pub currency: Currency,
    pub entries: u64,
    /// Entries waiting for a person (review or unmatched).
    pub waiting: u64,
    pub first_booking: Date,
    pub last_booking: Date,
    /// Credits minus debits, in minor units.
    pub net_minor: i64,
}

/// What was invoiced (credit notes netted) and paid on one day, in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerDay {
    pub day: Date,
    pub sales_minor: i64,
    pub payments_minor: i64,
}

/// The counts of work waiting for people, for the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkCounts {
    /// Open tasks.
    pub open_tasks: u64,
    /// Dunning actions waiting for a person's approval.
    pub actions_awaiting_approval: u64,
    /// Messages whose delivery is uncertain (a crash while sending).
    pub uncertain_messages: u64,
    /// Bank entries waiting for a person (status review or unmatched), in any currency.
    pub entries_waiting: u64,
    /// The sum of the waiting entries in the currency asked for.
    pub entries_waiting_minor: i64,
}

/// How many actions a run date has of one step, with one set of channels and one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStepCount {
    pub step_key: String,
    pub channels: Vec<String>,
    pub status: ActionStatus,
    pub count: u64,
}

/// An organisation's portal settings as stored (the app gives them meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettingsRow {
    /// `none`, `postal_code` or `customer_number`.
    pub second_check: String,
    pub link_days: u32,
    /// Promise and plan limits, JSON.
    pub rules: String,
}

/// A debtor's personal link to the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPortalLink {
    pub id: i64,
    pub debtor_id: DebtorId,
    /// Hex of 16 random bytes; the token is made from it and the installation's key.
    #[serde(skip)]
    pub nonce: String,
    pub created_at: i64,
    /// The last day the link opens the portal.
    pub expires_on: Date,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub last_used_at: Option<i64>,
}

/// A file a debtor uploaded with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A debtor's answer through the portal, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPortalResponse {
    pub debtor_id: DebtorId,
    pub link_id: i64,
    /// `paid`, `dispute`, `promise`, `plan`, `question` or `contact`.
    pub kind: String,
    pub invoice_id: Option<InvoiceId>,
    pub details: serde_json::Value,
    pub attachment: Option<Upload>,
    pub task_id: Option<i64>,
}

/// A stored answer (its file, if any, is read on its own).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPortalResponse {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub link_id: i64,
    pub kind: String,
    pub invoice_id: Option<InvoiceId>,
    pub details: serde_json::Value,
    /// The uploaded file's name and type, when there is one.
    pub attachment: Option<(String, String)>,
    pub task_id: Option<i64>,
    pub created_at: i64,
}

/// A dispute to open on an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute {
    pub invoice_id: InvoiceId,
    pub debtor_id: DebtorId,
    pub reason: String,
    pub text: String,
    pub response_id: Option<i64>,
    /// `portal` or the person's audit actor.
    pub opened_by: String,
}

/// A dispute on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDispute {
    pub id: i64,
    pub invoice_id: InvoiceId,
    pub invoice_number: String,
    pub debtor_id: DebtorId,
    pub reason: String,
    pub text: String,
    /// `open` or `resolved`.
    pub status: String,
    /// `credit_note`, `upheld` or `rejected`, once resolved.
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub response_id: Option<i64>,
    pub opened_at: i64,
    pub opened_by: String,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
}

/// A payment a debtor started online, through a payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlinePayment {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub link_id: i64,
    pub provider: String,
    pub provider_id: Option<String>,
    pub method: Option<String>,
    pub amount: Money,
    /// The invoices it pays, oldest due first.
    pub invoices: Vec<InvoiceId>,
    /// `open`, `pending`, `authorized`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    /// The ledger payment it became once paid.
    pub payment_id: Option<PaymentId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a payment plan stands in its life (how it is followed day by day is the core's
/// [`PlanStatus`](arflow_core::arrangement::PlanStatus)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    /// Waiting for a person to accept or reject it.
    Proposed,
    /// Accepted: its invoices are held from dunning while it is followed.
    Active,
    /// Paid in full.
    Completed,
    /// An instalment stayed unpaid past its grace days: dunning resumed.
    Broken,
    /// Declined by a person.
    Rejected,
    /// Withdrawn before it ended.
    Cancelled,
}

impl PlanState {
    pub const fn as_str(&self) -> &'static str {
        match self {
            PlanState::Proposed => "proposed",
            PlanState::Active => "active",
            PlanState::Completed => "completed",
            PlanState::Broken => "broken",
            PlanState::Rejected => "rejected",
            PlanState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<PlanState> {
        [
            PlanState::Proposed,
            PlanState::Active,
            PlanState::Completed,
            PlanState::Broken,
            PlanState::Rejected,
            PlanState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Proposed or active: the plan still has a say over its invoices.
    #[must_use]
    pub const fn is_live(&self) -> bool {
        matches!(self, PlanState::Proposed | PlanState::Active)
    }
}

/// One instalment of a plan, to store or as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanInstalmentRow {
    /// 0-based, in due-date order.
    pub position: u32,
    pub due_date: Date,
    pub amount: Money,
    /// The instalment's own structured payment reference (normalized).
    pub reference: String,
}

/// A payment plan to store, with the id the caller reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentPlan {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub state: PlanState,
    /// What the plan pays, in its currency; the instalments add up to it.
    pub total: Money,
    pub interval: arflow_core::arrangement::Interval,
    /// `portal` or the person's audit actor.
    pub created_by: String,
    /// The portal answer that proposed it, if any.
    pub response_id: Option<i64>,
    /// Who decided and when, for a plan stored as decided already (started automatically).
    pub decided: Option<(String, i64)>,
    pub instalments: Vec<PlanInstalmentRow>,
    /// The invoices it pays.
    pub items: Vec<InvoiceId>,
}

/// An invoice a plan pays, with what is open on it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItemRow {
    pub invoice_id: InvoiceId,
    pub number: String,
    pub open: Money,
}

/// A stored payment plan with its instalments and invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPaymentPlan {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub state: PlanState,
    pub total: Money,
    pub interval: arflow_core::arrangement::Interval,
    pub created_at: i64,
    pub created_by: String,
    pub response_id: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub ended_on: Option<Date>,
    /// In position order.
    pub instalments: Vec<PlanInstalmentRow>,
    /// By invoice id.
    pub items: Vec<PlanItemRow>,
}

/// The plan instalment a payment reference belongs to (reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanReferenceMatch {
    /// The instalment's payment reference (normalized).
    pub reference: String,
    pub plan_id: i64,
    pub debtor_id: DebtorId,
    pub state: PlanState,
    /// 0-based position of the instalment.
    pub position: u32,
    /// How many instalments the plan has.
    pub instalments: u32,
    pub due_date: Date,
    pub amount: Money,
    /// The plan's invoices with money still open, by invoice id.
    pub open_items: Vec<PlanItemRow>,
}
