//! Importing bank statements and reconciling them: each entry stored once, each credit a
//! payment, matched to open items by `core::reconcile`, allocated when certain, queued for a
//! person otherwise; returns and chargebacks undo what they reverse.

use std::collections::{HashMap, HashSet};

use arflow_core::date::{Date, add_days};
use arflow_core::id::{AllocationId, DebtorId, InvoiceId, OrganisationId, PaymentId};
use arflow_core::ledger::{Payment, PaymentSource};
use arflow_core::money::{Money, format_minor};
use arflow_core::party::Language;
use arflow_core::reconcile::{
    Book, BookDebtor, BookInstalment, BookItem, Incoming, Proposal, Said, Settings, render,
};
use arflow_formats::statement::{BalanceCheck, Entry, ParsedStatements, ReferenceKind};
use arflow_store::{
    AllocationSource, AllocationsOf, AuditEntry, BankEntryStatus, ImportRecord, NewAllocation,
    NewBankEntry, NewPayment, Page, StoredBankEntry, StoredOrganisation,
};
use serde::Serialize;

use crate::{Actor, App, AppError, sha256_hex};

/// A batch of up to this many credits, ...
const TARGETED_CREDITS_MAX: usize = 2_000;
/// ... with up to this many references and invoice-number tokens, and ...
const TARGETED_KEYS_MAX: usize = 20_000;
/// ... this many candidate debtors, a batch loads its open items by index; beyond, by one scan.
const TARGETED_DEBTORS_MAX: usize = 5_000;

/// How far back a return looks for the credit it reverses.
const REVERSAL_LOOKBACK_DAYS: i32 = 400;

/// What importing one statement file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatementImport {
    pub file: String,
    pub format: String,
    pub message: String,
    pub statements: usize,
    pub entries: u64,
    pub created: u64,
    pub already_imported: u64,
    pub conflicts_with_stored: u64,
    pub matched_automatically: u64,
    pub to_review: u64,
    pub unmatched: u64,
    pub ignored: u64,
    pub reversals: u64,
    /// Items that received money.
    pub allocated_items: u64,
    /// Statements whose opening balance plus entries is not their closing balance.
    pub balance_mismatches: Vec<String>,
    /// One line per entry, in file order.
    pub outcomes: Vec<EntryOutcome>,
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryOutcome {
    pub location: String,
    /// `created`, `already_imported` or `conflicts_with_stored`.
    pub outcome: &'static str,
    pub entry_id: Option<i64>,
    /// For created entries: matched, review, unmatched, ignored or reversal.
    pub status: Option<&'static str>,
    pub amount: String,
    pub rule: Option<&'static str>,
    pub confidence: Option<u8>,
    pub explanation: Option<String>,
}

/// A bank entry as people and API clients see it: amounts as decimal strings, no internals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankEntryView {
    pub id: i64,
    pub account: String,
    pub statement_id: Option<String>,
    pub format: String,
    pub booking_date: Date,
    pub value_date: Option<Date>,
    pub amount: String,
    pub currency: String,
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
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

impl From<&StoredBankEntry> for BankEntryView {
    fn from(e: &StoredBankEntry) -> BankEntryView {
        BankEntryView {
            id: e.id,
            account: e.account.clone(),
            statement_id: e.statement_id.clone(),
            format: e.format.clone(),
            booking_date: e.booking_date,
            value_date: e.value_date,
            amount: format_minor(e.amount.minor(), e.amount.currency()),
            currency: e.amount.currency().code().to_owned(),
            counterparty_name: e.counterparty_name.clone(),
            counterparty_iban: e.counterparty_iban.clone(),
            counterparty_bic: e.counterparty_bic.clone(),
            reference_scheme: e.reference_scheme.clone(),
            reference: e.reference.clone(),
            remittance: e.remittance.clone(),
            end_to_end_id: e.end_to_end_id.clone(),
            bank_reference: e.bank_reference.clone(),
            transaction_code: e.transaction_code.clone(),
            reversal: e.reversal,
            return_reason: e.return_reason.clone(),
            status: e.status,
            payment_id: e.payment_id,
            reverses_payment_id: e.reverses_payment_id,
            decided_by: e.decided_by.clone(),
            decided_at: e.decided_at,
            created_at: e.created_at,
        }
    }
}

/// A review-queue entry with its proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub entry: BankEntryView,
    pub suggestions: Vec<Suggestion>,
}

/// A proposal as people read it: invoice numbers instead of ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub rule: &'static str,
    pub confidence: u8,
    pub debtor_number: Option<String>,
    pub allocations: Vec<SuggestedAllocation>,
    pub unapplied: String,
    /// In English, as the matcher wrote it.
    pub explanation: String,
    /// The explanation in Dutch and French; absent for proposals stored before the matcher kept
    /// its sentences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Explanations>,
    /// The same sentence by sentence, for [`Suggestion::explain`]; empty for proposals stored
    /// before the matcher kept them.
    #[serde(skip)]
    pub said: Vec<Said>,
}

impl Suggestion {
    /// The explanation in `lang`: the English text when the sentences are not known.
    #[must_use]
    pub fn explain(&self, lang: Language) -> String {
        if self.said.is_empty() { self.explanation.clone() } else { render(&self.said, lang) }
    }
}

/// A suggestion's explanation in the other languages of the staff pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanations {
    pub nl: String,
    pub fr: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedAllocation {
    pub invoice_number: String,
    pub amount: String,
}

/// The identity of an entry: the account with the bank's reference when there is one, else a
/// fingerprint of what the entry says. `occurrence` tells apart identical entries of one file
/// (two equal card payments on one day); overlapping statements list them in the same order.
/// Returns the key for `occurrence` and the content fingerprint.
fn entry_identity(account: &str, e: &Entry, content_sha: &str, occurrence: u32) -> String {
    match e.bank_reference.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(r) if occurrence == 0 => format!("{account}|ref|{}", r.trim()),
        Some(r) => format!("{account}|ref|{}|#{occurrence}", r.trim()),
        None if occurrence == 0 => format!("{account}|fp|{content_sha}"),
        None => format!("{account}|fp|{content_sha}|#{occurrence}"),
    }
}

/// SHA-256 of everything an entry says, to tell an entry seen again from a changed one.
fn content_fingerprint(account: &str, e: &Entry) -> String {
    let content = format!(
        "{account}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        e.booking_date,
        e.value_date.map(|d| d.to_string()).unwrap_or_default(),
        e.amount.minor(),
        e.amount.currency(),
        e.counterparty_iban.as_deref().unwrap_or(""),
        e.counterparty_name.as_deref().unwrap_or(""),
        e.reference.as_ref().map(|r| r.value.as_str()).unwrap_or(""),
        e.remittance,
        e.end_to_end_id.as_deref().unwrap_or(""),
    );
    sha256_hex(content.as_bytes())
}

fn scheme_text(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Ogm => "ogm",
        ReferenceKind::Rf => "rf",
        ReferenceKind::Nl => "nl",
        ReferenceKind::Other => "other",
    }
}

/// The structured reference an entry quotes (given by the bank, or found in its remittance text
/// by the parser), normalised; `None` for a reference of no known scheme.
fn structured_reference(e: &Entry) -> Option<&str> {
    e.reference.as_ref().filter(|r| r.scheme != ReferenceKind::Other).map(|r| r.value.as_str())
}

/// A plan instalment found by its reference, as the matcher's book holds it.
fn book_instalment(m: arflow_store::PlanReferenceMatch) -> BookInstalment {
    BookInstalment {
        reference: m.reference,
        plan_id: m.plan_id,
        debtor: m.debtor_id,
        position: m.position,
        instalments: m.instalments,
        due_date: m.due_date,
        amount: m.amount,
        items: m.open_items.iter().map(|i| i.invoice_id).collect(),
    }
}

/// A credit of the file being imported: (IBAN, end-to-end id, amount, payment, entry id).
type FileCredit = (Option<String>, Option<String>, i64, PaymentId, i64);

struct Pending<'a> {
    entry: &'a Entry,
    account: &'a str,
    statement_id: Option<&'a str>,
    key: String,
    content_sha: String,
}

impl App {
    /// The accounts the organisation's bank statements were for: entries, dates, what waits.
    ///
    /// # Errors
    /// Store errors.
    pub async fn bank_accounts(
        &self,
        org: arflow_core::id::OrganisationId,
    ) -> Result<Vec<arflow_store::BankAccountSummary>, AppError> {
        let mut tx = self.store.read().await?;
        let out = tx.bank_accounts(org).await?;
        tx.rollback().await?;
        Ok(out)
    }

    /// Reads a statement file (its format told from its content, or a CSV export with the
    /// mapping called `mapping`: the organisation's own, else a built-in one) and imports it.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (`mapping_not_found`) for an unknown mapping;
    /// [`AppError::Rejected`] with every problem of the file (nothing is stored), or what
    /// [`App::import_statements`] returns.
    pub async fn import_statement_file(
        &self,
        org: &StoredOrganisation,
        file: &str,
        bytes: &[u8],
        mapping: Option<&str>,
        settings: &Settings,
        actor: &Actor,
    ) -> Result<StatementImport, AppError> {
        let mapping = match mapping {
            Some(name) => Some(self.statement_mapping(org, name).await?.mapping),
            None => None,
        };
        let parsed = arflow_formats::statement::parse_any(bytes, mapping.as_ref())
            .map_err(|e| AppError::Rejected(e.problems.iter().map(|p| p.render(file)).collect()))?;
        self.import_statements(org, file, &sha256_hex(bytes), &parsed, settings, actor).await
    }

    /// Stores the entries of parsed statements that are not stored yet and reconciles them, in
    /// one transaction: all of it or nothing.
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn import_statements(
        &self,
        org: &StoredOrganisation,
        file: &str,
        file_bytes_sha256: &str,
        parsed: &ParsedStatements,
        settings: &Settings,
        actor: &Actor,
    ) -> Result<StatementImport, AppError> {
        let now = self.now();
        let mut phase_start = std::time::Instant::now();
        let mut report = StatementImport {
            file: file.to_owned(),
            format: parsed.format.as_str().to_owned(),
            message: parsed.message.clone(),
            statements: parsed.statements.len(),
            ..StatementImport::default()
        };
        // Identities, in file order.
        let mut pending: Vec<Pending<'_>> = Vec::new();
        let mut seen: HashMap<String, u32> = HashMap::new();
        for st in &parsed.statements {
            if let BalanceCheck::Mismatch { computed, closing } = st.balance_check {
                report.balance_mismatches.push(format!(
                    "statement {} of {}: opening balance + entries = {}, but the closing balance is {}",
                    st.id.as_deref().unwrap_or("?"),
                    st.account,
                    format_minor(computed.minor(), computed.currency()),
                    format_minor(closing.minor(), closing.currency()),
                ));
            }
            for e in &st.entries {
                let content_sha = content_fingerprint(&st.account, e);
                let base_key = entry_identity(&st.account, e, &content_sha, 0);
                let n = seen.entry(base_key).or_insert(0);
                let key = entry_identity(&st.account, e, &content_sha, *n);
                *n += 1;
                pending.push(Pending {
                    entry: e,
                    account: &st.account,
                    statement_id: st.id.as_deref(),
                    key,
                    content_sha,
                });
            }
        }
        report.entries = pending.len() as u64;
        // A closed account's statements are refused whole: its money no longer arrives there,
        // so the file is most likely the wrong one.
        {
            let mut tx = self.store.read().await?;
            let closed = crate::brand::closed_accounts(&mut tx, org.id).await?;
            tx.rollback().await?;
            let refused: Vec<String> = parsed
                .statements
                .iter()
                .filter(|st| {
                    let spelled: String =
                        st.account.chars().filter(|c| !c.is_whitespace()).collect();
                    closed.iter().any(|c| c.eq_ignore_ascii_case(&spelled))
                })
                .map(|st| {
                    format!(
                        "{file}: statement {} is for account {}, which is closed in the settings \
                         (Bank accounts); reopen it to import its statements",
                        st.id.as_deref().unwrap_or("?"),
                        st.account
                    )
                })
                .collect();
            if !refused.is_empty() {
                return Err(AppError::Rejected(refused));
            }
        }

        tracing::debug!(
            phase = "identities",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        let mut tx = self.store.begin_write().await?;
        let keys: Vec<&str> = pending.iter().map(|p| p.key.as_str()).collect();
        let stored = tx.find_bank_entry_keys(org.id, &keys).await?;
        let fresh: Vec<&Pending<'_>> =
            pending.iter().filter(|p| !stored.contains_key(&p.key)).collect();

        // The book is only needed when there is money to match.
        let needs_book = fresh.iter().any(|p| p.entry.amount.is_positive() && !p.entry.reversal);
        tracing::debug!(
            phase = "keys",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        // The book holds only what these credits can point to: the items with their
        // references or numbers, and every open item of the debtors their account or name may
        // belong to. A day's statement then reads a few hundred rows, not every open item.
        let mut book = if needs_book {
            let debtors = tx.debtor_match_facts(org.id).await?;
            let mut book = Book::new(
                Vec::new(),
                debtors
                    .into_iter()
                    .map(|(id, name, ibans)| BookDebtor { id, name, ibans })
                    .collect(),
            );
            let credits =
                fresh.iter().filter(|p| p.entry.amount.is_positive() && !p.entry.reversal).count();
            // The payment-plan instalments the credits quote, in one batch: their plans' debtors
            // join the candidates, so the plans' open invoices are in the book.
            let quoted: HashSet<&str> = fresh
                .iter()
                .filter(|p| p.entry.amount.is_positive() && !p.entry.reversal)
                .filter_map(|p| structured_reference(p.entry))
                .collect();
            let quoted: Vec<&str> = quoted.into_iter().collect();
            let instalments = if quoted.is_empty() {
                HashMap::new()
            } else {
                tx.find_plan_instalments(org.id, &quoted).await?
            };
            let mut refs: HashSet<&str> = HashSet::new();
            let mut numbers: HashSet<String> = HashSet::new();
            let mut candidates: HashSet<DebtorId> = HashSet::new();
            for p in fresh
                .iter()
                .filter(|p| p.entry.amount.is_positive() && !p.entry.reversal)
                .filter(|_| credits <= TARGETED_CREDITS_MAX)
            {
                let e = p.entry;
                let reference = structured_reference(e);
                if let Some(r) = reference {
                    refs.insert(r);
                }
                for token in arflow_core::reconcile::tokens(&e.remittance) {
                    if token.bytes().any(|b| b.is_ascii_digit()) {
                        numbers.insert(token.to_ascii_uppercase());
                        numbers.insert(token.to_owned());
                    }
                }
                let incoming = Incoming {
                    amount: e.amount,
                    reference,
                    remittance: &e.remittance,
                    counterparty_iban: e.counterparty_iban.as_deref(),
                    counterparty_name: e.counterparty_name.as_deref(),
                };
                candidates.extend(book.candidate_debtors(&incoming, settings));
            }
            candidates.extend(instalments.values().map(|m| m.debtor_id));
            let refs: Vec<&str> = refs.into_iter().collect();
            let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
            let candidates: Vec<DebtorId> = candidates.into_iter().collect();
            // Looked up by index for a day's statement; for a big batch one scan of every open
            // item is cheaper than that many look-ups.
            let targeted = credits <= TARGETED_CREDITS_MAX
                && refs.len() + numbers.len() <= TARGETED_KEYS_MAX
                && candidates.len() <= TARGETED_DEBTORS_MAX;
            tracing::debug!(
                phase = "book.debtors",
                ms = phase_start.elapsed().as_millis() as u64,
                "import phase"
            );
            let items = if targeted {
                tx.open_book_items_for(org.id, &refs, &numbers, &candidates).await?
            } else {
                tx.open_book_items(org.id).await?
            };
            tracing::debug!(
                phase = "book.items",
                ms = phase_start.elapsed().as_millis() as u64,
                "import phase"
            );
            book.add_items(
                items
                    .into_iter()
                    .map(|i| BookItem {
                        id: i.id,
                        debtor: i.debtor_id,
                        number: i.number,
                        reference: i.payment_reference,
                        open_minor: i.open_minor,
                        currency: i.currency,
                        due_date: i.due_date,
                    })
                    .collect(),
            );
            book.add_instalments(instalments.into_values().map(book_instalment).collect());
            tracing::debug!(
                phase = "book.index",
                ms = phase_start.elapsed().as_millis() as u64,
                "import phase"
            );
            book
        } else {
            Book::default()
        };

        tracing::debug!(
            phase = "book",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        let first_entry = if fresh.is_empty() {
            0
        } else {
            tx.reserve_ids(org.id, "bank_entry", fresh.len() as u64).await?
        };
        let payments_needed = fresh.iter().filter(|p| !p.entry.amount.is_zero()).count() as u64;
        let mut next_payment = if payments_needed == 0 {
            0
        } else {
            tx.reserve_ids(org.id, "payment", payments_needed).await?
        };

        let mut entry_ids: HashMap<&str, i64> = HashMap::new();
        let mut payment_rows: Vec<(PaymentId, Payment, Option<DebtorId>, i64)> = Vec::new();
        let mut allocations: Vec<(InvoiceId, PaymentId, i64, Date, Money)> = Vec::new();
        let mut entries: Vec<NewBankEntry> = Vec::with_capacity(fresh.len());
        let mut learned: HashSet<(DebtorId, String)> = HashSet::new();
        // Credits of this very file, for a return in the same file: (iban or e2e, amount) → payment.
        let mut this_file_credits: Vec<FileCredit> = Vec::new();
        let mut reversed_here: Vec<(PaymentId, i64)> = Vec::new();
        let mut debtor_numbers: HashMap<DebtorId, String> = HashMap::new();
        let _ = &mut debtor_numbers;

        let mut fresh_index = 0i64;
        for p in &pending {
            let e = p.entry;
            let amount_text = format_minor(e.amount.minor(), e.amount.currency());
            if let Some((id, sha)) = stored.get(&p.key) {
                let outcome = if *sha == p.content_sha {
                    "already_imported"
                } else {
                    "conflicts_with_stored"
                };
                if outcome == "already_imported" {
                    report.already_imported += 1;
                } else {
                    report.conflicts_with_stored += 1;
                }
                report.outcomes.push(EntryOutcome {
                    location: e.location.to_string(),
                    outcome,
                    entry_id: Some(*id),
                    status: None,
                    amount: amount_text,
                    rule: None,
                    confidence: None,
                    explanation: None,
                });
                continue;
            }
            if entry_ids.contains_key(p.key.as_str()) {
                // Impossible by construction (occurrence numbers), kept as a guard.
                continue;
            }
            let id = first_entry + fresh_index;
            fresh_index += 1;
            entry_ids.insert(p.key.as_str(), id);
            report.created += 1;

            let reference = e.reference.as_ref();
            let mut new = NewBankEntry {
                id,
                entry_key: p.key.clone(),
                content_sha256: p.content_sha.clone(),
                account: p.account.to_owned(),
                statement_id: p.statement_id.map(str::to_owned),
                format: parsed.format.as_str().to_owned(),
                booking_date: e.booking_date,
                value_date: e.value_date,
                amount: e.amount,
                counterparty_name: e.counterparty_name.clone(),
                counterparty_iban: e.counterparty_iban.clone(),
                counterparty_bic: e.counterparty_bic.clone(),
                reference_scheme: reference.map(|r| scheme_text(r.scheme).to_owned()),
                reference: reference.map(|r| r.value.clone()),
                remittance: e.remittance.clone(),
                end_to_end_id: e.end_to_end_id.clone(),
                bank_reference: e.bank_reference.clone(),
                transaction_code: e.transaction_code.clone(),
                reversal: e.reversal,
                return_reason: e.return_reason.clone(),
                status: BankEntryStatus::Ignored,
                payment_id: None,
                reverses_payment_id: None,
                proposals: None,
                decided_by: None,
            };
            let mut outcome = EntryOutcome {
                location: e.location.to_string(),
                outcome: "created",
                entry_id: Some(id),
                status: None,
                amount: amount_text,
                rule: None,
                confidence: None,
                explanation: None,
            };
            let payment_of = |_debtor: Option<DebtorId>| Payment {
                date: e.booking_date,
                amount: e.amount,
                reference: reference.map(|r| r.value.clone()).or_else(|| {
                    (!e.remittance.is_empty()).then(|| e.remittance.chars().take(500).collect())
                }),
                counterparty_iban: e.counterparty_iban.clone(),
                counterparty_name: e.counterparty_name.clone(),
                source: PaymentSource::Bank,
                invoice_number: None,
                external_id: p.key.clone(),
            };
            if e.amount.is_negative() {
                // Money out: a return of an earlier credit, or none of our business.
                let looks_like_return = e.reversal || e.return_reason.is_some();
                let abs = e.amount.minor().saturating_neg();
                let mut reversed: Option<(PaymentId, Option<DebtorId>)> = None;
                if looks_like_return {
                    let same_file =
                        this_file_credits.iter().rposition(|(iban, e2e, minor, pid, _)| {
                            *minor == abs
                                && !reversed_here.iter().any(|(r, _)| r == pid)
                                && ((e.end_to_end_id.is_some() && *e2e == e.end_to_end_id)
                                    || (e.counterparty_iban.is_some()
                                        && *iban == e.counterparty_iban))
                        });
                    if let Some(i) = same_file {
                        if let Some((_, _, _, pid, _)) = this_file_credits.get(i) {
                            let debtor =
                                payment_rows.iter().find(|r| r.0 == *pid).and_then(|r| r.2);
                            reversed = Some((*pid, debtor));
                        }
                    } else if let Some((pid, _entry)) = tx
                        .find_reversed_payment(
                            org.id,
                            abs,
                            e.counterparty_iban.as_deref(),
                            e.end_to_end_id.as_deref(),
                            add_days(e.booking_date, -REVERSAL_LOOKBACK_DAYS),
                        )
                        .await?
                    {
                        // Marked at once, so a second return in this file cannot find it again.
                        tx.mark_payment_reversed(org.id, pid, id).await?;
                        let debtor = tx.get_payment(org.id, pid).await?.debtor_id;
                        reversed = Some((pid, debtor));
                    }
                }
                if let Some((pid, debtor)) = reversed {
                    let own = PaymentId(next_payment);
                    next_payment += 1;
                    payment_rows.push((own, payment_of(debtor), debtor, e.amount.minor()));
                    reversed_here.push((pid, id));
                    new.status = BankEntryStatus::Reversal;
                    new.payment_id = Some(own);
                    new.reverses_payment_id = Some(pid);
                    report.reversals += 1;
                    outcome.explanation = Some(format!(
                        "Reverses payment {pid}{}; its allocations are undone and the items reopened.",
                        e.return_reason
                            .as_deref()
                            .map(|r| format!(" (reason {r})"))
                            .unwrap_or_default()
                    ));
                } else {
                    report.ignored += 1;
                    if looks_like_return {
                        outcome.explanation =
                            Some("A return, but no earlier credit of this amount from this account was found.".into());
                    }
                }
                outcome.status = Some(new.status.as_str());
                entries.push(new);
                report.outcomes.push(outcome);
                continue;
            }
            if e.amount.is_zero() {
                report.ignored += 1;
                outcome.status = Some(new.status.as_str());
                entries.push(new);
                report.outcomes.push(outcome);
                continue;
            }
            // Money in.
            let pid = PaymentId(next_payment);
            next_payment += 1;
            let incoming = Incoming {
                amount: e.amount,
                reference: structured_reference(e),
                remittance: &e.remittance,
                counterparty_iban: e.counterparty_iban.as_deref(),
                counterparty_name: e.counterparty_name.as_deref(),
            };
            let proposals = if e.reversal { Vec::new() } else { book.propose(&incoming, settings) };
            let best = proposals.first();
            let mut debtor = None;
            let mut unapplied = e.amount.minor();
            match best {
                Some(b) if b.confidence >= settings.auto_threshold => {
                    book.apply(b, e.counterparty_iban.as_deref());
                    debtor = b.debtor;
                    for (item, minor) in &b.allocations {
                        allocations.push((*item, pid, *minor, e.booking_date, e.amount));
                        unapplied -= minor;
                    }
                    if let (Some(d), Some(iban)) = (b.debtor, e.counterparty_iban.as_deref()) {
                        learned.insert((d, iban.to_owned()));
                    }
                    new.status = BankEntryStatus::Matched;
                    new.decided_by = Some("matcher".into());
                    report.matched_automatically += 1;
                }
                Some(_) => {
                    new.status = BankEntryStatus::Review;
                    report.to_review += 1;
                }
                None => {
                    new.status = BankEntryStatus::Unmatched;
                    report.unmatched += 1;
                }
            }
            if let Some(b) = best {
                outcome.rule = Some(b.rule.as_str());
                outcome.confidence = Some(b.confidence);
                outcome.explanation = Some(b.explanation.clone());
            }
            new.proposals = Some(serde_json::to_string(&proposals).unwrap_or_else(|_| "[]".into()));
            new.payment_id = Some(pid);
            payment_rows.push((pid, payment_of(debtor), debtor, unapplied));
            this_file_credits.push((
                e.counterparty_iban.clone(),
                e.end_to_end_id.clone(),
                e.amount.minor(),
                pid,
                id,
            ));
            outcome.status = Some(new.status.as_str());
            entries.push(new);
            report.outcomes.push(outcome);
        }

        tracing::debug!(
            phase = "match",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        // Writes: payments, then allocations, entries, reversals, learned accounts, audit.
        let new_payments: Vec<NewPayment<'_>> = payment_rows
            .iter()
            .map(|(id, payment, debtor, _)| NewPayment { id: *id, payment, debtor_id: *debtor })
            .collect();
        let unapplied: Vec<i64> = payment_rows.iter().map(|r| r.3).collect();
        tracing::debug!(
            phase = "payments",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        tx.insert_payments_with_unapplied(org.id, &new_payments, &unapplied, now).await?;
        if !allocations.is_empty() {
            let first = tx.reserve_ids(org.id, "allocation", allocations.len() as u64).await?;
            let rows: Vec<NewAllocation> = allocations
                .iter()
                .zip(first..)
                .map(|((item, pid, minor, date, money), id)| NewAllocation {
                    id: AllocationId(id),
                    invoice_id: *item,
                    source: AllocationSource::Payment(*pid),
                    amount_minor: *minor,
                    currency: money.currency(),
                    source_date: *date,
                    effective_date: *date,
                    created_by: "matcher".into(),
                })
                .collect();
            tracing::debug!(
                phase = "allocations",
                ms = phase_start.elapsed().as_millis() as u64,
                "import phase"
            );
            phase_start = std::time::Instant::now();
            tx.insert_allocations(org.id, &rows, now).await?;
            let items: Vec<InvoiceId> =
                allocations.iter().map(|a| a.0).collect::<HashSet<_>>().into_iter().collect();
            report.allocated_items = items.len() as u64;
            tracing::debug!(
                phase = "refresh",
                ms = phase_start.elapsed().as_millis() as u64,
                "import phase"
            );
            phase_start = std::time::Instant::now();
            tx.refresh_balances(org.id, &items, &[]).await?;
        }
        tracing::debug!(
            phase = "bank_entries",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        tx.insert_bank_entries(org.id, &entries, now).await?;
        for (pid, entry_id) in &reversed_here {
            undo_payment(&mut tx, org.id, *pid).await?;
            tx.mark_payment_reversed(org.id, *pid, *entry_id).await?;
        }
        for (debtor, iban) in &learned {
            tx.add_debtor_iban(org.id, *debtor, iban).await?;
        }
        tx.insert_import_record(
            org.id,
            &ImportRecord {
                kind: "statement".into(),
                file_name: file.to_owned(),
                file_sha256: file_bytes_sha256.to_owned(),
                at: now,
                actor: actor.0.clone(),
                created: report.created,
                updated: 0,
                unchanged: report.already_imported,
            },
        )
        .await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "import.statement".into(),
                entity: "statement".into(),
                entity_key: file.to_owned(),
                details: serde_json::json!({
                    "format": report.message,
                    "entries": report.entries,
                    "created": report.created,
                    "already_imported": report.already_imported,
                    "conflicts_with_stored": report.conflicts_with_stored,
                    "matched_automatically": report.matched_automatically,
                    "to_review": report.to_review,
                    "unmatched": report.unmatched,
                    "reversals": report.reversals,
                }),
            }],
        )
        .await?;
        tracing::debug!(
            phase = "commit",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        phase_start = std::time::Instant::now();
        tx.commit().await?;
        tracing::debug!(
            phase = "done",
            ms = phase_start.elapsed().as_millis() as u64,
            "import phase"
        );
        Ok(report)
    }

    /// Entries waiting for a person (review first, then unmatched money), oldest first.
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn review_queue(
        &self,
        org: &StoredOrganisation,
        include_unmatched: bool,
        page: Page,
    ) -> Result<Vec<ReviewItem>, AppError> {
        let mut tx = self.store.read().await?;
        let mut entries = tx.list_bank_entries(org.id, Some(BankEntryStatus::Review), page).await?;
        if include_unmatched && entries.len() < page.limit as usize {
            let rest = Page { after: None, limit: page.limit - entries.len() as u32 };
            if page.after.is_none() {
                entries.extend(
                    tx.list_bank_entries(org.id, Some(BankEntryStatus::Unmatched), rest).await?,
                );
            }
        }
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let proposals: Vec<Proposal> = entry
                .proposals
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            let mut suggestions = Vec::with_capacity(proposals.len());
            for p in &proposals {
                suggestions.push(self.suggestion(&mut tx, org.id, entry.amount, p).await?);
            }
            out.push(ReviewItem { entry: BankEntryView::from(&entry), suggestions });
        }
        Ok(out)
    }

    async fn suggestion(
        &self,
        tx: &mut arflow_store::StoreTx,
        org: OrganisationId,
        amount: Money,
        p: &Proposal,
    ) -> Result<Suggestion, AppError> {
        let mut allocations = Vec::with_capacity(p.allocations.len());
        for (item, minor) in &p.allocations {
            let inv = tx.get_invoice(org, *item).await?;
            allocations.push(SuggestedAllocation {
                invoice_number: inv.invoice.number,
                amount: format_minor(*minor, amount.currency()),
            });
        }
        let debtor_number = match p.debtor {
            Some(d) => Some(tx.get_debtor(org, d).await?.debtor.number),
            None => None,
        };
        Ok(Suggestion {
            rule: p.rule.as_str(),
            confidence: p.confidence,
            debtor_number,
            allocations,
            unapplied: format_minor(p.unapplied_minor, amount.currency()),
            explanation: p.explanation.clone(),
            explanations: (!p.said.is_empty())
                .then(|| Explanations { nl: p.explain(Language::Nl), fr: p.explain(Language::Fr) }),
            said: p.said.clone(),
        })
    }

    /// A person confirms a match: the proposal at `choice` (0 = best), or explicit allocations
    /// (invoice number, amount) — a split over several invoices. The payer's IBAN is learned for
    /// the debtor.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`] (amounts that do not fit, an entry already
    /// decided) or [`AppError::Store`].
    pub async fn accept_match(
        &self,
        org: &StoredOrganisation,
        entry_id: i64,
        choice: Option<usize>,
        split: &[(String, Money)],
        actor: &Actor,
    ) -> Result<BankEntryView, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let entry = tx.get_bank_entry(org.id, entry_id).await?;
        if !matches!(entry.status, BankEntryStatus::Review | BankEntryStatus::Unmatched) {
            return Err(AppError::Invalid {
                field: Some("entry".into()),
                message: format!(
                    "entry {entry_id} is {} already; only review and unmatched entries can be accepted",
                    entry.status.as_str()
                ),
            });
        }
        let Some(pid) = entry.payment_id else {
            return Err(AppError::Invalid {
                field: Some("entry".into()),
                message: "this entry is not a payment".into(),
            });
        };
        let currency = entry.amount.currency();
        let mut wanted: Vec<(InvoiceId, i64, DebtorId)> = Vec::new();
        if split.is_empty() {
            let proposals: Vec<Proposal> = entry
                .proposals
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            let index = choice.unwrap_or(0);
            let Some(p) = proposals.get(index) else {
                return Err(AppError::Invalid {
                    field: Some("choice".into()),
                    message: format!(
                        "entry {entry_id} has {} suggestion(s); name the invoices to allocate to instead",
                        proposals.len()
                    ),
                });
            };
            for (item, minor) in &p.allocations {
                let inv = tx.get_invoice(org.id, *item).await?;
                wanted.push((*item, (*minor).min(inv.open.minor()), inv.debtor_id));
            }
        } else {
            let numbers: Vec<&str> = split.iter().map(|(n, _)| n.as_str()).collect();
            let found = tx.find_invoices_by_numbers(org.id, &numbers).await?;
            for (number, money) in split {
                let Some(inv) = found.get(number) else {
                    return Err(AppError::NotFound { entity: "invoice", key: number.clone() });
                };
                if money.currency() != currency || !money.is_positive() {
                    return Err(AppError::Invalid {
                        field: Some("amount".into()),
                        message: format!(
                            "the amount for {number} must be positive and in {currency}"
                        ),
                    });
                }
                if money.minor() > inv.open.minor() {
                    return Err(AppError::Invalid {
                        field: Some("amount".into()),
                        message: format!(
                            "invoice {number} has only {} open",
                            format_minor(inv.open.minor(), currency)
                        ),
                    });
                }
                wanted.push((inv.id, money.minor(), inv.debtor_id));
            }
        }
        let total: i64 = wanted.iter().map(|w| w.1).sum();
        let payment = tx.get_payment(org.id, pid).await?;
        if total > payment.unapplied.minor() {
            return Err(AppError::Invalid {
                field: Some("amount".into()),
                message: format!(
                    "the allocations total {}, but only {} of the payment is unapplied",
                    format_minor(total, currency),
                    format_minor(payment.unapplied.minor(), currency)
                ),
            });
        }
        let wanted: Vec<(InvoiceId, i64, DebtorId)> =
            wanted.into_iter().filter(|w| w.1 > 0).collect();
        if !wanted.is_empty() {
            let first = tx.reserve_ids(org.id, "allocation", wanted.len() as u64).await?;
            let rows: Vec<NewAllocation> = wanted
                .iter()
                .zip(first..)
                .map(|((item, minor, _), id)| NewAllocation {
                    id: AllocationId(id),
                    invoice_id: *item,
                    source: AllocationSource::Payment(pid),
                    amount_minor: *minor,
                    currency,
                    source_date: entry.booking_date,
                    effective_date: entry.booking_date,
                    created_by: actor.0.clone(),
                })
                .collect();
            tx.insert_allocations(org.id, &rows, now).await?;
            let items: Vec<InvoiceId> = wanted.iter().map(|w| w.0).collect();
            tx.refresh_balances(org.id, &items, &[pid]).await?;
        }
        let debtors: HashSet<DebtorId> = wanted.iter().map(|w| w.2).collect();
        if debtors.len() == 1
            && let Some(d) = debtors.iter().next()
        {
            tx.set_payment_debtor(org.id, pid, Some(*d)).await?;
            if let Some(iban) = entry.counterparty_iban.as_deref() {
                tx.add_debtor_iban(org.id, *d, iban).await?;
            }
        }
        if !tx
            .decide_bank_entry(
                org.id,
                entry_id,
                entry.status,
                BankEntryStatus::Matched,
                None,
                &actor.0,
                now,
            )
            .await?
        {
            return Err(AppError::Invalid {
                field: Some("entry".into()),
                message: format!("entry {entry_id} was decided meanwhile"),
            });
        }
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "match.accept".into(),
                entity: "bank_entry".into(),
                entity_key: entry_id.to_string(),
                details: serde_json::json!({ "payment": pid.0, "allocations": wanted.iter().map(|w| serde_json::json!({"invoice": w.0.0, "amount": format_minor(w.1, currency)})).collect::<Vec<_>>() }),
            }],
        )
        .await?;
        let out = BankEntryView::from(&tx.get_bank_entry(org.id, entry_id).await?);
        tx.commit().await?;
        Ok(out)
    }

    /// A person rejects the suggestions: the money stays unapplied on the payment.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`] or [`AppError::Store`].
    pub async fn reject_match(
        &self,
        org: &StoredOrganisation,
        entry_id: i64,
        actor: &Actor,
    ) -> Result<BankEntryView, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let entry = tx.get_bank_entry(org.id, entry_id).await?;
        if !tx
            .decide_bank_entry(
                org.id,
                entry_id,
                BankEntryStatus::Review,
                BankEntryStatus::Rejected,
                None,
                &actor.0,
                now,
            )
            .await?
        {
            return Err(AppError::Invalid {
                field: Some("entry".into()),
                message: format!(
                    "entry {entry_id} is {}, not waiting for review",
                    entry.status.as_str()
                ),
            });
        }
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "match.reject".into(),
                entity: "bank_entry".into(),
                entity_key: entry_id.to_string(),
                details: serde_json::json!({}),
            }],
        )
        .await?;
        let out = BankEntryView::from(&tx.get_bank_entry(org.id, entry_id).await?);
        tx.commit().await?;
        Ok(out)
    }
}

/// Removes every allocation of a reversed payment; the items it paid are open again.
async fn undo_payment(
    tx: &mut arflow_store::StoreTx,
    org: OrganisationId,
    payment: PaymentId,
) -> Result<(), AppError> {
    for a in tx.list_allocations(org, AllocationsOf::Payment(payment)).await? {
        tx.delete_allocation(org, a.id).await?;
    }
    Ok(())
}
