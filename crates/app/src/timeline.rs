//! A debtor's timeline: every dunning action, message (exactly as rendered, with its
//! attachments), charge, task and status change, newest first.

use std::collections::BTreeSet;

use arflow_store::{Page, StoredAction, StoredCharge, StoredMessage, StoredTask};
use serde::Serialize;

use crate::{App, AppError};

/// Most entries of each kind one timeline shows.
pub const TIMELINE_KIND_MAX: u32 = 1000;

/// One entry. `at` is microseconds since the Unix epoch (when it was recorded).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineEntry {
    Action {
        at: i64,
        action: StoredAction,
    },
    Message {
        at: i64,
        message: StoredMessage,
    },
    Charge {
        at: i64,
        invoice: String,
        charge: StoredCharge,
    },
    Task {
        at: i64,
        task: StoredTask,
    },
    /// A payment received from the debtor (or matched to it).
    Payment {
        at: i64,
        payment: arflow_store::StoredPayment,
    },
    /// Money or credit applied to one of the debtor's invoices: from a payment or a credit note.
    Allocation {
        at: i64,
        allocation: arflow_store::StoredAllocation,
    },
    /// A change from the audit log (pause, resume, edits, bounces, notes).
    Change {
        at: i64,
        actor: String,
        action: String,
        details: serde_json::Value,
    },
}

impl TimelineEntry {
    fn at(&self) -> i64 {
        match self {
            TimelineEntry::Action { at, .. }
            | TimelineEntry::Message { at, .. }
            | TimelineEntry::Charge { at, .. }
            | TimelineEntry::Task { at, .. }
            | TimelineEntry::Payment { at, .. }
            | TimelineEntry::Allocation { at, .. }
            | TimelineEntry::Change { at, .. } => *at,
        }
    }
}

/// The JSON of `GET /debtors/{number}/timeline` and `arflow timeline DEBTOR`.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub debtor: String,
    pub entries: Vec<TimelineEntry>,
}

impl App {
    /// The timeline of debtor `number`, newest first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn timeline(
        &self,
        org_slug: Option<&str>,
        number: &str,
    ) -> Result<Timeline, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let debtor = tx
            .find_debtor_by_number(org.id, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })?;
        let page = Page::first(TIMELINE_KIND_MAX);
        let mut entries = Vec::new();
        let actions = tx.list_actions(org.id, None, Some(debtor.id), page).await?;
        let mut invoices = BTreeSet::new();
        for a in &actions {
            invoices.extend(a.invoices.iter().cloned());
        }
        let refs: Vec<&str> = invoices.iter().map(String::as_str).collect();
        for inv in tx.find_invoices_by_numbers(org.id, &refs).await?.into_values() {
            for c in tx.list_charges(org.id, inv.id).await? {
                let at = actions.iter().find(|a| a.id == c.action_id).map_or(0, |a| a.created_at);
                entries.push(TimelineEntry::Charge {
                    at,
                    invoice: inv.invoice.number.clone(),
                    charge: c,
                });
            }
        }
        for a in actions {
            entries.push(TimelineEntry::Action { at: a.created_at, action: a });
        }
        for mut m in tx.list_messages(org.id, None, Some(debtor.id), page).await? {
            m.message.attachments = tx.message_attachments(org.id, m.id).await?;
            entries.push(TimelineEntry::Message { at: m.created_at, message: m });
        }
        for t in tx.list_tasks(org.id, false, None, Some(debtor.id), page).await? {
            entries.push(TimelineEntry::Task { at: t.done_at.unwrap_or(t.created_at), task: t });
        }
        let payments = arflow_store::PaymentFilter {
            debtor_id: Some(debtor.id),
            ..arflow_store::PaymentFilter::default()
        };
        for p in tx.list_payments(org.id, &payments, page).await? {
            entries.push(TimelineEntry::Payment { at: p.created_at, payment: p });
        }
        let items = arflow_store::InvoiceFilter {
            debtor_id: Some(debtor.id),
            ..arflow_store::InvoiceFilter::default()
        };
        let ids: Vec<arflow_core::id::InvoiceId> =
            tx.list_invoices(org.id, &items, page).await?.iter().map(|i| i.id).collect();
        for a in tx.list_allocations_to_items(org.id, &ids).await? {
            entries.push(TimelineEntry::Allocation { at: a.created_at, allocation: a });
        }
        for (_, e) in tx.list_audit(org.id, Some(("debtor", number)), page).await? {
            entries.push(TimelineEntry::Change {
                at: e.at,
                actor: e.actor,
                action: e.action,
                details: e.details,
            });
        }
        tx.rollback().await?;
        entries.sort_by_key(|e| std::cmp::Reverse(e.at()));
        Ok(Timeline { debtor: number.to_owned(), entries })
    }
}
