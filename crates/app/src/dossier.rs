//! The collection dossier of a hand-over step: what a bailiff or collection agency needs to take
//! a claim over — the creditor, the debtor with identifiers, address and contacts, each item
//! with its payments and credit notes, the charges with their legal basis, and the dunning
//! letters sent so far. It is stored with the action as a `handover` message in the outbox,
//! `held` for a person to forward: a plain-text summary as its body and the dossier as JSON
//! (`arflow.collection_dossier`, version 1) attached, for import into the agency's system.
//! Pure: the caller reads the history and payments.

use arflow_core::date::Date;
use arflow_core::dunning::PlannedAction;
use arflow_core::legal::Charge;
use arflow_core::money::Money;
use arflow_core::party::{Debtor, Organisation};
use arflow_notify::email::MessageId;
use arflow_store::{
    AllocationSource, Attachment, MessageStatus, NewMessage, StoredAction, StoredAllocation,
    StoredDebtor, StoredInvoice,
};
use serde::Serialize;

use crate::charges::ChargeLine;
use crate::compose::{Composed, MESSAGE_ID_HOST};

/// The `kind` of the JSON document.
pub const DOSSIER_KIND: &str = "arflow.collection_dossier";
/// Recipient of the held message: a person forwards it to the collection partner.
pub const DOSSIER_RECIPIENT: &str = "collection partner (forward by hand)";

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct Dossier<'a> {
    pub kind: &'static str,
    pub version: u32,
    pub prepared_on: Date,
    pub creditor: &'a Organisation,
    pub debtor: &'a Debtor,
    /// The policy step that handed the claim over.
    pub policy: DossierPolicy<'a>,
    pub currency: String,
    pub items: Vec<DossierItem<'a>>,
    pub charges: Vec<ChargeLine>,
    pub totals: DossierTotals,
    /// Earlier dunning actions for this debtor, oldest first.
    pub history: Vec<DossierLetter<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DossierPolicy<'a> {
    pub id: &'a str,
    pub version: u32,
    pub step: &'a str,
}

#[derive(Debug, Serialize)]
pub struct DossierItem<'a> {
    pub number: &'a str,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: String,
    pub open: String,
    pub payment_reference: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Payments and credit notes allocated to it, by effective date.
    pub settlements: Vec<DossierSettlement<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DossierSettlement<'a> {
    pub date: Date,
    pub amount: String,
    /// `payment` or `credit_note`.
    pub source: &'static str,
    pub credit_note: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct DossierTotals {
    pub principal_open: String,
    pub charges: String,
    pub total_due: String,
}

#[derive(Debug, Serialize)]
pub struct DossierLetter<'a> {
    pub date: Date,
    pub step: &'a str,
    pub template: &'a str,
    pub channels: &'a [String],
    pub invoices: &'a [String],
    pub status: &'static str,
}

/// What a dossier is made of.
pub(crate) struct DossierInput<'a> {
    pub org: &'a Organisation,
    pub debtor: &'a StoredDebtor,
    pub invoices: &'a [StoredInvoice],
    /// What may be claimed on the items on `as_of` (by item position).
    pub charges: &'a [(usize, Charge)],
    pub allocations: &'a [StoredAllocation],
    /// The debtor's earlier actions (any order).
    pub history: &'a [StoredAction],
    pub action: &'a PlannedAction,
    pub as_of: Date,
}

fn sum(values: impl IntoIterator<Item = Money>, zero: Money) -> Result<Money, String> {
    values.into_iter().try_fold(zero, |acc, m| acc.checked_add(m).map_err(|e| e.to_string()))
}

/// The dossier document.
///
/// # Errors
/// A sum overflows or mixes currencies (the reason).
pub(crate) fn dossier<'a>(input: &DossierInput<'a>) -> Result<Dossier<'a>, String> {
    let currency = input.org.currency;
    let zero = Money::zero(currency);
    let items = input
        .invoices
        .iter()
        .map(|inv| {
            let mut settlements: Vec<DossierSettlement<'a>> = input
                .allocations
                .iter()
                .filter(|a| a.invoice_id == inv.id)
                .map(|a| DossierSettlement {
                    date: a.effective_date,
                    amount: a.amount.to_string(),
                    source: match a.source {
                        AllocationSource::Payment(_) => "payment",
                        AllocationSource::CreditNote(_) => "credit_note",
                    },
                    credit_note: a.credit_note_number.as_deref(),
                })
                .collect();
            settlements.sort_by_key(|s| s.date);
            DossierItem {
                number: &inv.invoice.number,
                issue_date: inv.invoice.issue_date,
                due_date: inv.invoice.due_date,
                amount: inv.invoice.amount.to_string(),
                open: inv.open.to_string(),
                payment_reference: inv.invoice.payment_reference.as_deref(),
                description: inv.invoice.description.as_deref(),
                settlements,
            }
        })
        .collect();
    let principal_open = sum(input.invoices.iter().map(|i| i.open), zero)?;
    let charges_total = sum(input.charges.iter().map(|(_, c)| c.amount), zero)?;
    let total_due = principal_open.checked_add(charges_total).map_err(|e| e.to_string())?;
    let mut history: Vec<&StoredAction> = input.history.iter().collect();
    history.sort_by_key(|a| (a.run_date, a.id));
    Ok(Dossier {
        kind: DOSSIER_KIND,
        version: 1,
        prepared_on: input.as_of,
        creditor: input.org,
        debtor: &input.debtor.debtor,
        policy: DossierPolicy {
            id: &input.action.policy,
            version: input.action.policy_version,
            step: &input.action.step,
        },
        currency: currency.code().to_owned(),
        items,
        charges: input
            .charges
            .iter()
            .map(|(i, c)| ChargeLine::new(Some(&input.invoices[*i].invoice.number), c))
            .collect(),
        totals: DossierTotals {
            principal_open: principal_open.to_string(),
            charges: charges_total.to_string(),
            total_due: total_due.to_string(),
        },
        history: history
            .into_iter()
            .map(|a| DossierLetter {
                date: a.run_date,
                step: &a.step_key,
                template: &a.template,
                channels: &a.channels,
                invoices: &a.invoices,
                status: a.status.as_str(),
            })
            .collect(),
    })
}

/// A plain-text summary of the dossier, in English (the dossier is for the collection partner).
pub(crate) fn summary(d: &Dossier<'_>) -> String {
    let mut out = String::new();
    let debtor = d.debtor;
    out.push_str(&format!(
        "Collection dossier of {} ({}), prepared on {} by {}.\n\n",
        debtor.name, debtor.number, d.prepared_on, d.creditor.name
    ));
    out.push_str(&format!("Debtor: {} ({:?}, {})\n", debtor.name, debtor.kind, debtor.country));
    let a = &debtor.address;
    let address: Vec<&str> = [a.street.as_deref(), a.postal_code.as_deref(), a.city.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !address.is_empty() {
        out.push_str(&format!("Address: {}\n", address.join(", ")));
    }
    for id in [&debtor.vat_number, &debtor.enterprise_number].into_iter().flatten() {
        out.push_str(&format!("Identifier: {id}\n"));
    }
    for c in debtor.emails.iter().chain(&debtor.phones) {
        out.push_str(&format!("Contact: {}\n", c.value));
    }
    out.push_str(&format!("\nItems ({}):\n", d.currency));
    for i in &d.items {
        out.push_str(&format!(
            "- {} issued {} due {}: {} open of {}{}\n",
            i.number,
            i.issue_date,
            i.due_date,
            i.open,
            i.amount,
            i.payment_reference.map(|r| format!(", reference {r}")).unwrap_or_default()
        ));
    }
    if !d.charges.is_empty() {
        out.push_str("\nCharges:\n");
        for c in &d.charges {
            out.push_str(&format!(
                "- {} {:?} {}: {} ({})\n",
                c.invoice.as_deref().unwrap_or(""),
                c.kind,
                c.amount,
                c.explanation.article,
                c.explanation.rule
            ));
        }
    }
    out.push_str(&format!(
        "\nPrincipal open {}, charges that may be claimed today {}, total due {}.\n",
        d.totals.principal_open, d.totals.charges, d.totals.total_due
    ));
    if !d.history.is_empty() {
        out.push_str("\nEarlier letters:\n");
        for h in &d.history {
            out.push_str(&format!(
                "- {} {} ({}) for {}\n",
                h.date,
                h.step,
                h.channels.join(", "),
                h.invoices.join(", ")
            ));
        }
    }
    out
}

/// The held `handover` message carrying the dossier.
///
/// # Errors
/// The dossier could not be made (the reason).
pub(crate) fn dossier_message(input: &DossierInput<'_>) -> Result<Composed, String> {
    let d = dossier(input)?;
    let json = serde_json::to_vec_pretty(&d).map_err(|e| e.to_string())?;
    let key = input.action.key();
    let number = &input.debtor.debtor.number;
    let file_stem: String = format!("dossier-{number}-{}", input.as_of)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let message_id = MessageId::from_key(&format!("{key}-handover"), MESSAGE_ID_HOST)
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|_| format!("<{key}-handover@{MESSAGE_ID_HOST}>"));
    Ok(Composed {
        message: NewMessage {
            action_id: 0,
            debtor_id: input.debtor.id,
            channel: "handover".into(),
            recipient: DOSSIER_RECIPIENT.into(),
            subject: format!(
                "Collection dossier: {} ({number}), {} due",
                input.debtor.debtor.name, d.totals.total_due
            ),
            text_body: summary(&d),
            html_body: String::new(),
            language: "en".into(),
            message_id,
            attachments: vec![Attachment {
                file_name: format!("{file_stem}.json"),
                content_type: "application/json".into(),
                content: json,
            }],
        },
        // A person forwards it to the bailiff or agency.
        status: MessageStatus::Held,
    })
}
