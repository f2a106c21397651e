//! What the API sends: one plain JSON shape per resource, independent of the store's structs.
//!
//! Money is a decimal string with a `currency` field next to it (`"amount": "121.00",
//! "currency": "EUR"`); dates are `YYYY-MM-DD`; instants are RFC 3339 in UTC. Resources are
//! addressed by their business number (debtors, invoices, credit notes) or by their id
//! (payments, allocations), never by internal row ids.

use arflow_app::ledger::{DebtorFigures, DebtorView};
use arflow_core::date::Date;
use arflow_core::ledger::{InvoiceKind, PaymentSource, days_overdue};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{ContactPurpose, CountryCode, DebtorKind, Language};
use arflow_core::reference::ReferenceScheme;
use arflow_store::{
    AllocationSource, AuditEntry, StoredAllocation, StoredDebtor, StoredInvoice,
    StoredOrganisation, StoredPayment,
};
use serde::Serialize;

use super::extract::segment;

/// Microseconds since the epoch as RFC 3339 (`2026-03-01T09:30:00Z`).
pub(crate) fn instant(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map_or_else(|_| micros.to_string(), |t| t.to_string())
}

#[derive(Debug, Serialize)]
pub(crate) struct EmailOut {
    pub(crate) address: String,
    pub(crate) purpose: ContactPurpose,
}

#[derive(Debug, Serialize)]
pub(crate) struct PhoneOut {
    pub(crate) number: String,
    pub(crate) purpose: ContactPurpose,
}

#[derive(Debug, Serialize)]
pub(crate) struct AddressOut {
    pub(crate) street: Option<String>,
    pub(crate) postal_code: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) country: Option<CountryCode>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PauseOut {
    pub(crate) reason: String,
    /// Last day of the pause; `null`: until resumed.
    pub(crate) until: Option<Date>,
}

/// A debtor's key figures today, in the organisation's currency.
#[derive(Debug, Serialize)]
pub(crate) struct FiguresOut {
    pub(crate) as_of: Date,
    pub(crate) currency: Currency,
    pub(crate) open: String,
    pub(crate) overdue: String,
    pub(crate) open_items: u64,
    pub(crate) overdue_items: u64,
    pub(crate) unapplied: String,
    pub(crate) exposure: String,
    pub(crate) over_credit_limit: bool,
    pub(crate) paused: bool,
}

impl From<&DebtorFigures> for FiguresOut {
    fn from(f: &DebtorFigures) -> FiguresOut {
        FiguresOut {
            as_of: f.as_of,
            currency: f.open.currency(),
            open: f.open.to_string(),
            overdue: f.overdue.to_string(),
            open_items: f.open_items,
            overdue_items: f.overdue_items,
            unapplied: f.unapplied.to_string(),
            exposure: f.exposure.to_string(),
            over_credit_limit: f.over_credit_limit,
            paused: f.paused,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct DebtorOut {
    pub(crate) number: String,
    pub(crate) name: String,
    pub(crate) kind: DebtorKind,
    pub(crate) country: CountryCode,
    pub(crate) language: Language,
    pub(crate) emails: Vec<EmailOut>,
    pub(crate) phones: Vec<PhoneOut>,
    pub(crate) address: AddressOut,
    pub(crate) vat_number: Option<String>,
    pub(crate) enterprise_number: Option<String>,
    pub(crate) ibans: Vec<String>,
    pub(crate) segments: Vec<String>,
    pub(crate) owner: Option<String>,
    /// In `currency`.
    pub(crate) credit_limit: Option<String>,
    /// The organisation's currency: the one of `credit_limit` and `figures`.
    pub(crate) currency: Currency,
    pub(crate) pause: Option<PauseOut>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    /// Only on `GET /debtors/{number}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) figures: Option<FiguresOut>,
}

impl DebtorOut {
    pub(crate) fn new(s: &StoredDebtor, org_currency: Currency) -> DebtorOut {
        let d = &s.debtor;
        DebtorOut {
            number: d.number.clone(),
            name: d.name.clone(),
            kind: d.kind,
            country: d.country,
            language: d.language,
            emails: d
                .emails
                .iter()
                .map(|c| EmailOut { address: c.value.clone(), purpose: c.purpose })
                .collect(),
            phones: d
                .phones
                .iter()
                .map(|c| PhoneOut { number: c.value.clone(), purpose: c.purpose })
                .collect(),
            address: AddressOut {
                street: d.address.street.clone(),
                postal_code: d.address.postal_code.clone(),
                city: d.address.city.clone(),
                country: d.address.country,
            },
            vat_number: d.vat_number.clone(),
            enterprise_number: d.enterprise_number.clone(),
            ibans: d.ibans.clone(),
            segments: d.segments.clone(),
            owner: d.owner.clone(),
            credit_limit: d.credit_limit.map(|m| m.to_string()),
            currency: d.credit_limit.map_or(org_currency, |m| m.currency()),
            pause: d.pause.as_ref().map(|p| PauseOut { reason: p.reason.clone(), until: p.until }),
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
            figures: None,
        }
    }

    pub(crate) fn with_figures(v: &DebtorView, org_currency: Currency) -> DebtorOut {
        let mut out = DebtorOut::new(&v.debtor, org_currency);
        out.figures = Some(FiguresOut::from(&v.figures));
        out
    }
}

/// Money allocated to an invoice: from a payment (`payment_id`) or a credit note
/// (`credit_note_number`).
#[derive(Debug, Serialize)]
pub(crate) struct AllocationOut {
    pub(crate) id: i64,
    pub(crate) invoice_number: String,
    pub(crate) payment_id: Option<i64>,
    pub(crate) credit_note_number: Option<String>,
    pub(crate) amount: String,
    pub(crate) currency: Currency,
    pub(crate) effective_date: Date,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
}

impl From<&StoredAllocation> for AllocationOut {
    fn from(a: &StoredAllocation) -> AllocationOut {
        AllocationOut {
            id: a.id.0,
            invoice_number: a.invoice_number.clone(),
            payment_id: match a.source {
                AllocationSource::Payment(p) => Some(p.0),
                AllocationSource::CreditNote(_) => None,
            },
            credit_note_number: a.credit_note_number.clone(),
            amount: a.amount.to_string(),
            currency: a.amount.currency(),
            effective_date: a.effective_date,
            created_at: instant(a.created_at),
            created_by: a.created_by.clone(),
        }
    }
}

/// `open` or `settled`.
fn status(s: &StoredInvoice) -> &'static str {
    if s.settled_on.is_some() { "settled" } else { "open" }
}

#[derive(Debug, Serialize)]
pub(crate) struct InvoiceOut {
    pub(crate) number: String,
    pub(crate) debtor_number: String,
    pub(crate) issue_date: Date,
    pub(crate) due_date: Date,
    pub(crate) amount: String,
    pub(crate) amount_excl_vat: Option<String>,
    pub(crate) currency: Currency,
    /// What is still to be paid.
    pub(crate) open: String,
    pub(crate) status: &'static str,
    pub(crate) settled_on: Option<Date>,
    /// Open and past its due date today (in the organisation's time zone).
    pub(crate) overdue: bool,
    pub(crate) days_overdue: i64,
    pub(crate) payment_reference: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) external_id: Option<String>,
    /// Where the PDF is, when one was uploaded.
    pub(crate) pdf_url: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    /// Only on single-invoice answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allocations: Option<Vec<AllocationOut>>,
}

impl InvoiceOut {
    pub(crate) fn new(s: &StoredInvoice, today: Date) -> InvoiceOut {
        let i = &s.invoice;
        let open = s.settled_on.is_none() && s.open.is_positive();
        let days = if open { days_overdue(i.due_date, today) } else { 0 };
        InvoiceOut {
            number: i.number.clone(),
            debtor_number: i.debtor_number.clone(),
            issue_date: i.issue_date,
            due_date: i.due_date,
            amount: i.amount.to_string(),
            amount_excl_vat: i.amount_excl_vat.map(|m| m.to_string()),
            currency: i.amount.currency(),
            open: s.open.to_string(),
            status: status(s),
            settled_on: s.settled_on,
            overdue: days > 0,
            days_overdue: days,
            payment_reference: i.payment_reference.clone(),
            description: i.description.clone(),
            external_id: i.external_id.clone(),
            pdf_url: s.has_document.then(|| format!("/api/v1/invoices/{}/pdf", segment(&i.number))),
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
            allocations: None,
        }
    }

    pub(crate) fn with_allocations(
        s: &StoredInvoice,
        allocations: &[StoredAllocation],
        today: Date,
    ) -> InvoiceOut {
        let mut out = InvoiceOut::new(s, today);
        out.allocations = Some(allocations.iter().map(AllocationOut::from).collect());
        out
    }
}

fn positive(m: Money) -> String {
    Money::from_minor(m.minor().saturating_abs(), m.currency()).to_string()
}

/// A credit note. Amounts are positive here; the ledger stores them negative.
#[derive(Debug, Serialize)]
pub(crate) struct CreditNoteOut {
    pub(crate) number: String,
    pub(crate) debtor_number: String,
    pub(crate) issue_date: Date,
    pub(crate) due_date: Date,
    pub(crate) amount: String,
    pub(crate) amount_excl_vat: Option<String>,
    pub(crate) currency: Currency,
    /// Credit not yet allocated to an invoice.
    pub(crate) available: String,
    /// `open` while credit is available, `settled` when all of it is used.
    pub(crate) status: &'static str,
    pub(crate) settled_on: Option<Date>,
    pub(crate) credits_invoice: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allocations: Option<Vec<AllocationOut>>,
}

impl CreditNoteOut {
    pub(crate) fn new(s: &StoredInvoice) -> CreditNoteOut {
        let i = &s.invoice;
        CreditNoteOut {
            number: i.number.clone(),
            debtor_number: i.debtor_number.clone(),
            issue_date: i.issue_date,
            due_date: i.due_date,
            amount: positive(i.amount),
            amount_excl_vat: i.amount_excl_vat.map(positive),
            currency: i.amount.currency(),
            available: positive(s.open),
            status: status(s),
            settled_on: s.settled_on,
            credits_invoice: i.credits_invoice.clone(),
            description: i.description.clone(),
            external_id: i.external_id.clone(),
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
            allocations: None,
        }
    }

    pub(crate) fn with_allocations(
        s: &StoredInvoice,
        allocations: &[StoredAllocation],
    ) -> CreditNoteOut {
        let mut out = CreditNoteOut::new(s);
        out.allocations = Some(allocations.iter().map(AllocationOut::from).collect());
        out
    }
}

/// Whether a stored item is a credit note.
pub(crate) fn is_credit_note(s: &StoredInvoice) -> bool {
    s.invoice.kind == InvoiceKind::CreditNote
}

#[derive(Debug, Serialize)]
pub(crate) struct PaymentOut {
    pub(crate) id: i64,
    pub(crate) date: Date,
    pub(crate) amount: String,
    pub(crate) currency: Currency,
    /// Not yet allocated to an invoice.
    pub(crate) unapplied: String,
    pub(crate) reference: Option<String>,
    pub(crate) counterparty_iban: Option<String>,
    pub(crate) counterparty_name: Option<String>,
    pub(crate) invoice_number: Option<String>,
    pub(crate) external_id: String,
    pub(crate) source: PaymentSource,
    /// The debtor the payment is attributed to, when known.
    pub(crate) debtor_number: Option<String>,
    pub(crate) created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allocations: Option<Vec<AllocationOut>>,
}

impl PaymentOut {
    pub(crate) fn new(s: &StoredPayment, debtor_number: Option<String>) -> PaymentOut {
        let p = &s.payment;
        PaymentOut {
            id: s.id.0,
            date: p.date,
            amount: p.amount.to_string(),
            currency: p.amount.currency(),
            unapplied: s.unapplied.to_string(),
            reference: p.reference.clone(),
            counterparty_iban: p.counterparty_iban.clone(),
            counterparty_name: p.counterparty_name.clone(),
            invoice_number: p.invoice_number.clone(),
            external_id: p.external_id.clone(),
            source: p.source,
            debtor_number,
            created_at: instant(s.created_at),
            allocations: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct OrganisationOut {
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) country: String,
    pub(crate) time_zone: String,
    pub(crate) language: Language,
    pub(crate) currency: Currency,
    pub(crate) iban: Option<String>,
    pub(crate) bic: Option<String>,
    pub(crate) enterprise_number: Option<String>,
    pub(crate) kvk_number: Option<String>,
    pub(crate) vat_number: Option<String>,
    pub(crate) reference_scheme: ReferenceScheme,
    pub(crate) created_at: String,
}

impl From<&StoredOrganisation> for OrganisationOut {
    fn from(s: &StoredOrganisation) -> OrganisationOut {
        let o = &s.organisation;
        OrganisationOut {
            slug: o.slug.to_string(),
            name: o.name.clone(),
            country: o.country.as_str().to_owned(),
            time_zone: o.time_zone.clone(),
            language: o.language,
            currency: o.currency,
            iban: o.iban.clone(),
            bic: o.bic.clone(),
            enterprise_number: o.enterprise_number.clone(),
            kvk_number: o.kvk_number.clone(),
            vat_number: o.vat_number.clone(),
            reference_scheme: o.reference_scheme,
            created_at: instant(s.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct AuditOut {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) entity: String,
    pub(crate) entity_key: String,
    pub(crate) details: serde_json::Value,
}

impl AuditOut {
    pub(crate) fn new(id: i64, e: &AuditEntry) -> AuditOut {
        AuditOut {
            id,
            at: instant(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_key: e.entity_key.clone(),
            details: e.details.clone(),
        }
    }
}
