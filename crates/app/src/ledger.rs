//! One-at-a-time ledger use cases (the REST API's): debtors, invoices, payments, allocations,
//! pauses, the audit log.
//!
//! Creating one record goes through the same import path as a file row, so the rules (and
//! "the same request twice is a no-op") are the same whichever way data arrives.

use arflow_core::date::{Date, add_days};
use arflow_core::id::{AllocationId, DebtorId, InvoiceId, OrganisationId, PaymentId};
use arflow_core::ledger::{Invoice, InvoiceKind, Payment};
use arflow_core::money::Money;
use arflow_core::party::{Debtor, Pause};
use arflow_formats::csv::Parsed;
use arflow_store::{
    AllocationSource, AllocationsOf, AuditEntry, AuditFilter, DebtorFilter, InvoiceFilter,
    NewAllocation, Page, PaymentFilter, StoreTx, StoredAllocation, StoredDebtor, StoredInvoice,
    StoredOrganisation, StoredPayment,
};
use serde::Serialize;

use crate::import::{ImportOptions, ImportReport, RowOutcome};
use crate::{Actor, App, AppError};

/// Key figures of one debtor on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebtorFigures {
    pub as_of: Date,
    pub open: Money,
    pub overdue: Money,
    pub open_items: u64,
    pub overdue_items: u64,
    pub unapplied: Money,
    /// Open items minus unapplied money, compared with the credit limit.
    pub exposure: Money,
    pub credit_limit: Option<Money>,
    pub over_credit_limit: bool,
    /// Dunning is paused on `as_of`.
    pub paused: bool,
}

/// A debtor with its key figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebtorView {
    #[serde(flatten)]
    pub debtor: StoredDebtor,
    pub figures: DebtorFigures,
}

/// An invoice or credit note with what was allocated to or from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub invoice: StoredInvoice,
    pub allocations: Vec<StoredAllocation>,
}

/// A payment with its allocations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    #[serde(flatten)]
    pub payment: StoredPayment,
    pub allocations: Vec<StoredAllocation>,
}

/// What an allocation request links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocateFrom {
    Payment(PaymentId),
    CreditNote(String),
}

/// Partial change of an invoice. Amounts and the debtor change only through an import with
/// `update` (they change what a debtor was told).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoicePatch {
    pub due_date: Option<Date>,
    pub description: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
}

fn audit(
    actor: &Actor,
    at: i64,
    action: &str,
    entity: &str,
    key: &str,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: entity.into(),
        entity_key: key.into(),
        details,
    }
}

fn rejected(report: &ImportReport) -> AppError {
    AppError::Rejected(report.errors.clone())
}

impl App {
    async fn org(
        &self,
        tx: &mut StoreTx,
        org: OrganisationId,
    ) -> Result<StoredOrganisation, AppError> {
        Ok(tx.get_organisation(org).await?)
    }

    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn organisation(&self, org: OrganisationId) -> Result<StoredOrganisation, AppError> {
        let mut tx = self.store.read().await?;
        let o = self.org(&mut tx, org).await?;
        tx.rollback().await?;
        Ok(o)
    }

    // ------------------------------------------------------------------ debtors

    /// Creates a debtor; the same debtor again is a no-op, another one with its number a
    /// conflict.
    ///
    /// # Errors
    /// [`AppError::Invalid`], [`AppError::Conflict`].
    pub async fn create_debtor(
        &self,
        org: OrganisationId,
        mut debtor: Debtor,
        actor: &Actor,
    ) -> Result<(StoredDebtor, bool), AppError> {
        if let Err(errors) = debtor.normalize() {
            let first = errors.first().cloned();
            return Err(AppError::Invalid {
                field: first.as_ref().map(|e| e.field.clone()),
                message: errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        let o = self.organisation(org).await?;
        let number = debtor.number.clone();
        let report = ImportReport::new("debtors", "api");
        let report = self
            .import_debtors(
                &o,
                vec![Parsed { line: 1, record: debtor }],
                ImportOptions::default(),
                actor,
                report,
                "",
            )
            .await?;
        if report.rejected() {
            return Err(rejected(&report));
        }
        let created = match report.outcomes.first().map(|(_, o)| o) {
            Some(RowOutcome::Conflict { fields }) => {
                return Err(AppError::Conflict {
                    entity: "debtor",
                    key: number,
                    detail: Some(format!(
                        "a different debtor has this number (differs in {})",
                        fields.join(", ")
                    )),
                });
            }
            Some(RowOutcome::Created) => true,
            _ => false,
        };
        let mut tx = self.store.read().await?;
        let d = tx.find_debtor_by_number(org, &number).await?;
        tx.rollback().await?;
        let d = d.ok_or(AppError::NotFound { entity: "debtor", key: number })?;
        Ok((d, created))
    }

    /// Replaces a debtor's fields (the pause stays as it is).
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`], [`AppError::Conflict`] (new number taken).
    pub async fn update_debtor(
        &self,
        org: OrganisationId,
        number: &str,
        mut debtor: Debtor,
        actor: &Actor,
    ) -> Result<StoredDebtor, AppError> {
        if let Err(errors) = debtor.normalize() {
            let first = errors.first().cloned();
            return Err(AppError::Invalid {
                field: first.as_ref().map(|e| e.field.clone()),
                message: errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let stored = tx
            .find_debtor_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        debtor.pause = stored.debtor.pause.clone();
        let fields = crate::import::debtor_differences(&stored.debtor, &debtor);
        let renamed = stored.debtor.number != debtor.number;
        if !fields.is_empty() || renamed {
            tx.update_debtor(org, stored.id, &debtor, now).await?;
            tx.insert_audit(
                org,
                &[audit(
                    actor,
                    now,
                    "debtor.update",
                    "debtor",
                    number,
                    serde_json::json!({ "fields": fields, "number": debtor.number }),
                )],
            )
            .await?;
        }
        let out = tx.get_debtor(org, stored.id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Adds a note to a debtor's timeline (a call, an agreement, anything a colleague should
    /// know). Notes are kept in the audit log: they cannot be edited or deleted afterwards, and
    /// each says who wrote it and when.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an empty note or one over 2,000 characters;
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn add_debtor_note(
        &self,
        org: OrganisationId,
        number: &str,
        text: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 2000 {
            return Err(AppError::invalid("note", "a note has 1-2000 characters"));
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        tx.find_debtor_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        tx.insert_audit(
            org,
            &[audit(
                actor,
                now,
                "debtor.note",
                "debtor",
                number,
                serde_json::json!({ "text": text }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pauses dunning of a debtor until `until` (inclusive; `None`: until resumed).
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`] (empty reason, end in the past).
    pub async fn pause_debtor(
        &self,
        org: OrganisationId,
        number: &str,
        reason: &str,
        until: Option<Date>,
        actor: &Actor,
    ) -> Result<StoredDebtor, AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(AppError::invalid("reason", "a pause needs a reason of 1-500 characters"));
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = self.org(&mut tx, org).await?;
        if until.is_some_and(|u| u < self.today(&o.organisation)) {
            return Err(AppError::invalid("until", "the end of a pause cannot be in the past"));
        }
        let mut d = tx
            .find_debtor_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        d.debtor.pause = Some(Pause { reason: reason.to_owned(), until });
        tx.update_debtor(org, d.id, &d.debtor, now).await?;
        tx.insert_audit(
            org,
            &[audit(
                actor,
                now,
                "debtor.pause",
                "debtor",
                number,
                serde_json::json!({ "reason": reason, "until": until }),
            )],
        )
        .await?;
        let out = tx.get_debtor(org, d.id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Resumes dunning of a debtor.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn resume_debtor(
        &self,
        org: OrganisationId,
        number: &str,
        actor: &Actor,
    ) -> Result<StoredDebtor, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let mut d = tx
            .find_debtor_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        if d.debtor.pause.take().is_some() {
            tx.update_debtor(org, d.id, &d.debtor, now).await?;
            tx.insert_audit(
                org,
                &[audit(actor, now, "debtor.resume", "debtor", number, serde_json::json!({}))],
            )
            .await?;
        }
        let out = tx.get_debtor(org, d.id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Today in the organisation's time zone.
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn today_of(&self, org: OrganisationId) -> Result<Date, AppError> {
        let mut tx = self.store.read().await?;
        let o = self.org(&mut tx, org).await?;
        tx.rollback().await?;
        Ok(self.today(&o.organisation))
    }

    /// A debtor with its key figures today.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn debtor_view(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<DebtorView, AppError> {
        let mut tx = self.store.begin_read().await?;
        let o = self.org(&mut tx, org).await?;
        let d = tx
            .find_debtor_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        let today = self.today(&o.organisation);
        let figures = debtor_figures(&mut tx, &o, &d, today).await?;
        tx.rollback().await?;
        Ok(DebtorView { debtor: d, figures })
    }

    /// # Errors
    /// Store errors.
    pub async fn list_debtors(
        &self,
        org: OrganisationId,
        filter: &DebtorFilter,
        page: Page,
    ) -> Result<Vec<StoredDebtor>, AppError> {
        let mut tx = self.store.read().await?;
        let list = tx.list_debtors(org, filter, page).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The debtors matching `filter` owing the most today — by what is overdue (`overdue_only`) or by what is
    /// open — largest first, a page of `limit` after skipping `offset`, each with its amount.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn debtors_owing_most(
        &self,
        org: OrganisationId,
        filter: &DebtorFilter,
        overdue_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<(StoredDebtor, Money)>, AppError> {
        let mut tx = self.store.read().await?;
        let o = self.org(&mut tx, org).await?;
        let currency = o.organisation.currency;
        let today = self.today(&o.organisation);
        let rows =
            tx.debtors_by_amount(org, currency, today, filter, overdue_only, offset, limit).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, minor) in rows {
            out.push((tx.get_debtor(org, id).await?, Money::from_minor(minor, currency)));
        }
        tx.rollback().await?;
        Ok(out)
    }

    // ------------------------------------------------------------------ invoices

    /// Creates an invoice or credit note (a payment reference is generated when it has none).
    ///
    /// # Errors
    /// [`AppError::Rejected`], [`AppError::Conflict`].
    pub async fn create_invoice(
        &self,
        org: OrganisationId,
        invoice: Invoice,
        actor: &Actor,
    ) -> Result<(InvoiceView, bool), AppError> {
        let o = self.organisation(org).await?;
        let number = invoice.number.clone();
        let report = ImportReport::new("invoices", "api");
        let report = self
            .import_invoices(
                &o,
                vec![Parsed { line: 1, record: invoice }],
                ImportOptions::default(),
                actor,
                report,
                "",
            )
            .await?;
        if report.rejected() {
            return Err(rejected(&report));
        }
        let created = match report.outcomes.first().map(|(_, o)| o) {
            Some(RowOutcome::Conflict { fields }) => {
                return Err(AppError::Conflict {
                    entity: "invoice",
                    key: number,
                    detail: Some(format!(
                        "a different invoice has this number (differs in {})",
                        fields.join(", ")
                    )),
                });
            }
            Some(RowOutcome::Created) => true,
            _ => false,
        };
        Ok((self.invoice_view(org, &number).await?, created))
    }

    /// Changes the due date, description or external id of an invoice.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`] (due date before issue date).
    pub async fn update_invoice(
        &self,
        org: OrganisationId,
        number: &str,
        patch: InvoicePatch,
        actor: &Actor,
    ) -> Result<InvoiceView, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let s = tx
            .find_invoice_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })?;
        let mut inv = s.invoice.clone();
        if let Some(due) = patch.due_date {
            inv.due_date = due;
        }
        if let Some(desc) = patch.description {
            inv.description = desc;
        }
        if let Some(ext) = patch.external_id {
            inv.external_id = ext;
        }
        inv.validate().map_err(|e| AppError::invalid("due_date", e.to_string()))?;
        let fields = crate::import::invoice_differences(&s.invoice, &inv);
        if !fields.is_empty() {
            let credits = match &inv.credits_invoice {
                Some(n) => tx.find_invoice_by_number(org, n).await?.map(|i| i.id),
                None => None,
            };
            tx.update_invoice(
                org,
                arflow_store::NewInvoice {
                    id: s.id,
                    debtor_id: s.debtor_id,
                    invoice: &inv,
                    credits_invoice_id: credits,
                },
                now,
            )
            .await?;
            tx.insert_audit(
                org,
                &[audit(
                    actor,
                    now,
                    "invoice.update",
                    "invoice",
                    number,
                    serde_json::json!({ "fields": fields }),
                )],
            )
            .await?;
        }
        tx.commit().await?;
        self.invoice_view(org, number).await
    }

    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn invoice_view(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<InvoiceView, AppError> {
        let (inv, allocations) = self
            .store
            .find_invoice_with_allocations(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })?;
        Ok(InvoiceView { invoice: inv, allocations })
    }

    /// The number and name of an invoice's debtor.
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn debtor_of_invoice(
        &self,
        org: OrganisationId,
        invoice: &StoredInvoice,
    ) -> Result<(String, String), AppError> {
        let mut tx = self.store.read().await?;
        let d = tx.get_debtor(org, invoice.debtor_id).await?;
        tx.rollback().await?;
        Ok((d.debtor.number, d.debtor.name))
    }

    /// Just the invoice row (the hot path of `GET /invoices/{number}`).
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn find_invoice(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<StoredInvoice, AppError> {
        let mut tx = self.store.read().await?;
        let inv = tx.find_invoice_by_number(org, number).await?;
        tx.rollback().await?;
        inv.ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })
    }

    /// # Errors
    /// Store errors.
    pub async fn list_invoices(
        &self,
        org: OrganisationId,
        filter: &InvoiceFilter,
        page: Page,
    ) -> Result<Vec<StoredInvoice>, AppError> {
        let mut tx = self.store.read().await?;
        let list = tx.list_invoices(org, filter, page).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// Stores the PDF of an invoice.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::Invalid`] (not a PDF, too large).
    pub async fn put_invoice_pdf(
        &self,
        org: OrganisationId,
        number: &str,
        bytes: &[u8],
        actor: &Actor,
    ) -> Result<(), AppError> {
        const PDF_BYTES_MAX: usize = 20 << 20;
        if !bytes.starts_with(b"%PDF-") {
            return Err(AppError::invalid("body", "not a PDF file (it does not start with %PDF-)"));
        }
        if bytes.len() > PDF_BYTES_MAX {
            return Err(AppError::invalid("body", "a PDF may be at most 20 MiB"));
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let inv = tx
            .find_invoice_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })?;
        tx.put_invoice_document(org, inv.id, "application/pdf", &format!("{number}.pdf"), bytes)
            .await?;
        tx.insert_audit(
            org,
            &[audit(
                actor,
                now,
                "invoice.document",
                "invoice",
                number,
                serde_json::json!({ "bytes": bytes.len() }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The PDF of an invoice: file name and bytes.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the invoice or its PDF is missing.
    pub async fn invoice_pdf(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<(String, Vec<u8>), AppError> {
        let mut tx = self.store.read().await?;
        let inv = tx
            .find_invoice_by_number(org, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })?;
        let doc = tx.find_invoice_document(org, inv.id).await?;
        tx.rollback().await?;
        let (_, name, bytes) =
            doc.ok_or_else(|| AppError::NotFound { entity: "document", key: number.to_owned() })?;
        Ok((name, bytes))
    }

    // ------------------------------------------------------------------ payments, allocations

    /// Records a payment (allocated when it names its invoice or carries its reference).
    ///
    /// # Errors
    /// [`AppError::Rejected`], [`AppError::Conflict`] (same external id, other content).
    pub async fn create_payment(
        &self,
        org: OrganisationId,
        payment: Payment,
        actor: &Actor,
    ) -> Result<(PaymentView, bool), AppError> {
        let o = self.organisation(org).await?;
        let external = payment.external_id.clone();
        let report = ImportReport::new("payments", "api");
        let report = self
            .import_payments(&o, vec![Parsed { line: 1, record: payment }], actor, report, "")
            .await?;
        if report.rejected() {
            return Err(rejected(&report));
        }
        let created = match report.outcomes.first().map(|(_, o)| o) {
            Some(RowOutcome::Conflict { fields }) => {
                return Err(AppError::Conflict {
                    entity: "payment",
                    key: external,
                    detail: Some(format!(
                        "a different payment has this external id (differs in {})",
                        fields.join(", ")
                    )),
                });
            }
            Some(RowOutcome::Created) => true,
            _ => false,
        };
        let mut tx = self.store.read().await?;
        let p =
            tx.find_payments_by_external_ids(org, &[external.as_str()]).await?.remove(&external);
        tx.rollback().await?;
        let p = p.ok_or(AppError::NotFound { entity: "payment", key: external })?;
        Ok((self.payment_view(org, p.id).await?, created))
    }

    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn payment_view(
        &self,
        org: OrganisationId,
        id: PaymentId,
    ) -> Result<PaymentView, AppError> {
        let mut tx = self.store.read().await?;
        let payment = tx.get_payment(org, id).await?;
        let allocations = tx.list_allocations(org, AllocationsOf::Payment(id)).await?;
        tx.rollback().await?;
        Ok(PaymentView { payment, allocations })
    }

    /// # Errors
    /// Store errors.
    pub async fn list_payments(
        &self,
        org: OrganisationId,
        filter: &PaymentFilter,
        page: Page,
    ) -> Result<Vec<StoredPayment>, AppError> {
        let mut tx = self.store.read().await?;
        let list = tx.list_payments(org, filter, page).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// Allocates (part of) a payment or credit note to an invoice. Without an amount, as much as
    /// both sides allow.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::Invalid`] when the amount exceeds what is open or
    /// available, the currencies differ, or a credit note belongs to another debtor.
    pub async fn allocate(
        &self,
        org: OrganisationId,
        invoice_number: &str,
        from: AllocateFrom,
        amount: Option<Money>,
        actor: &Actor,
    ) -> Result<StoredAllocation, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let inv = tx.find_invoice_by_number(org, invoice_number).await?.ok_or_else(|| {
            AppError::NotFound { entity: "invoice", key: invoice_number.to_owned() }
        })?;
        if inv.invoice.kind != InvoiceKind::Invoice {
            return Err(AppError::invalid(
                "invoice_number",
                "money is allocated to invoices, not to credit notes",
            ));
        }
        let (source, available, currency, date, debtor_ok, payment_id) = match &from {
            AllocateFrom::Payment(id) => {
                let p = tx.get_payment(org, *id).await?;
                let ok = p.debtor_id.is_none_or(|d| d == inv.debtor_id);
                (
                    AllocationSource::Payment(*id),
                    p.unapplied.minor(),
                    p.payment.amount.currency(),
                    p.payment.date,
                    ok,
                    Some(p),
                )
            }
            AllocateFrom::CreditNote(number) => {
                let c = tx.find_invoice_by_number(org, number).await?.ok_or_else(|| {
                    AppError::NotFound { entity: "credit_note", key: number.clone() }
                })?;
                if c.invoice.kind != InvoiceKind::CreditNote {
                    return Err(AppError::invalid(
                        "credit_note",
                        format!("{number} is an invoice, not a credit note"),
                    ));
                }
                let ok = c.debtor_id == inv.debtor_id;
                (
                    AllocationSource::CreditNote(c.id),
                    -c.open.minor(),
                    c.invoice.amount.currency(),
                    c.invoice.issue_date,
                    ok,
                    None,
                )
            }
        };
        if currency != inv.invoice.amount.currency() {
            return Err(AppError::invalid(
                "currency",
                format!(
                    "the invoice is in {}, the money in {currency}",
                    inv.invoice.amount.currency()
                ),
            ));
        }
        if !debtor_ok {
            return Err(AppError::invalid(
                "invoice_number",
                "the money belongs to another debtor than the invoice",
            ));
        }
        let open = inv.open.minor();
        let wanted = match amount {
            Some(m) if m.currency() != currency => {
                return Err(AppError::invalid("amount", "the amount is in another currency"));
            }
            Some(m) => m.minor(),
            None => open.min(available),
        };
        if wanted <= 0 {
            return Err(AppError::invalid(
                "amount",
                "nothing to allocate: the amount must be positive and something must be open and available",
            ));
        }
        if wanted > open {
            return Err(AppError::invalid(
                "amount",
                format!("only {} is open on {invoice_number}", Money::from_minor(open, currency)),
            ));
        }
        if wanted > available {
            return Err(AppError::invalid(
                "amount",
                format!("only {} is available", Money::from_minor(available, currency)),
            ));
        }
        let id = AllocationId(tx.reserve_ids(org, "allocation", 1).await?);
        let effective = date.max(inv.invoice.issue_date);
        tx.insert_allocations(
            org,
            &[NewAllocation {
                id,
                invoice_id: inv.id,
                source,
                amount_minor: wanted,
                currency,
                source_date: date,
                effective_date: effective,
                created_by: actor.0.clone(),
            }],
            now,
        )
        .await?;
        match source {
            AllocationSource::Payment(p) => {
                tx.refresh_balances(org, &[inv.id], &[p]).await?;
                if payment_id.is_some_and(|p| p.debtor_id.is_none()) {
                    tx.set_payment_debtor(org, p, Some(inv.debtor_id)).await?;
                }
            }
            AllocationSource::CreditNote(c) => tx.refresh_balances(org, &[inv.id, c], &[]).await?,
        }
        tx.insert_audit(org, &[audit(actor, now, "allocation.create", "invoice", invoice_number,
            serde_json::json!({ "allocation": id, "amount": Money::from_minor(wanted, currency).to_string() }))]).await?;
        let out = tx.list_allocations(org, AllocationsOf::Id(id)).await?;
        tx.commit().await?;
        out.into_iter()
            .next()
            .ok_or(AppError::NotFound { entity: "allocation", key: id.to_string() })
    }

    /// Undoes an allocation; the invoice reopens and the money becomes available again.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn delete_allocation(
        &self,
        org: OrganisationId,
        id: AllocationId,
        actor: &Actor,
    ) -> Result<StoredAllocation, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let gone = tx.delete_allocation(org, id).await?;
        tx.insert_audit(
            org,
            &[audit(
                actor,
                now,
                "allocation.delete",
                "invoice",
                &gone.invoice_number,
                serde_json::json!({ "allocation": id, "amount": gone.amount.to_string() }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// The audit log, newest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn audit_log(
        &self,
        org: OrganisationId,
        page: Page,
    ) -> Result<Vec<(i64, AuditEntry)>, AppError> {
        self.audit_log_filtered(org, &AuditFilter::default(), page).await
    }

    /// The audit log, newest first, of one actor and/or with a text in the action, entity or
    /// key (case-insensitive).
    ///
    /// # Errors
    /// Store errors only.
    pub async fn audit_log_filtered(
        &self,
        org: OrganisationId,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Vec<(i64, AuditEntry)>, AppError> {
        let mut tx = self.store.read().await?;
        let list = tx.search_audit(org, filter, page).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// A debtor's id, for filters.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn debtor_id(&self, org: OrganisationId, number: &str) -> Result<DebtorId, AppError> {
        let mut tx = self.store.read().await?;
        let ids = tx.find_debtor_ids(org, &[number]).await?;
        tx.rollback().await?;
        ids.get(number)
            .copied()
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })
    }

    /// An invoice's id.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn invoice_id(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<InvoiceId, AppError> {
        Ok(self.find_invoice(org, number).await?.id)
    }
}

/// Key figures of a debtor on `today`.
async fn debtor_figures(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    d: &StoredDebtor,
    today: Date,
) -> Result<DebtorFigures, AppError> {
    let cur = org.organisation.currency;
    let sums =
        tx.ageing_totals(org.id, cur, today, &[add_days(today, -36_500)], Some(d.id)).await?;
    let open: i64 = sums.iter().map(|s| s.amount_minor).sum();
    let overdue: i64 = sums.iter().filter(|s| s.bucket > 0).map(|s| s.amount_minor).sum();
    let open_items: u64 = sums.iter().map(|s| s.count).sum();
    let overdue_items: u64 = sums.iter().filter(|s| s.bucket > 0).map(|s| s.count).sum();
    let unapplied: i64 = tx
        .list_payments(
            org.id,
            &PaymentFilter { debtor_id: Some(d.id), unapplied: Some(true), ..Default::default() },
            Page::first(1000),
        )
        .await?
        .iter()
        .filter(|p| p.unapplied.currency() == cur)
        .map(|p| p.unapplied.minor())
        .sum();
    let exposure = open - unapplied;
    let credit_limit = d.debtor.credit_limit;
    Ok(DebtorFigures {
        as_of: today,
        open: Money::from_minor(open, cur),
        overdue: Money::from_minor(overdue, cur),
        open_items,
        overdue_items,
        unapplied: Money::from_minor(unapplied, cur),
        exposure: Money::from_minor(exposure, cur),
        credit_limit,
        over_credit_limit: credit_limit
            .is_some_and(|l| l.currency() == cur && exposure > l.minor()),
        paused: d.debtor.is_paused_on(today),
    })
}
