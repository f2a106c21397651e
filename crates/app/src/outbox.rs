//! One message of the outbox, and a person's decision on a message whose delivery is uncertain.
//!
//! A message becomes `uncertain` when a crash or a retryable channel error leaves it unknown
//! whether the debtor received it. arflow never resends such a message by itself (that could
//! send it twice) and never drops it (that could lose it): a person checks and says either "it
//! went out" (it becomes `sent`) or "send it again" (it goes back to `planned`, and the delivery
//! loop sends it once more). Either way the decision is in the audit log.

use arflow_store::{AuditEntry, MessageStatus, StoredMessage};

use crate::{Actor, App, AppError};

/// What a person decided about an uncertain message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UncertainDecision {
    /// The debtor received it (checked in the mail server's log, or with the debtor).
    WentOut,
    /// It did not arrive: send it again.
    SendAgain,
}

impl App {
    /// One message of the outbox with its attachments.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the organisation has no message with this id.
    pub async fn outbox_message(
        &self,
        org_slug: Option<&str>,
        id: i64,
    ) -> Result<StoredMessage, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut message = find_message(&mut tx, org.id, id).await?;
        message.message.attachments = tx.message_attachments(org.id, id).await?;
        tx.rollback().await?;
        Ok(message)
    }

    /// Settles an `uncertain` message: `sent` when it went out, `planned` to send it again.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the organisation has no such message;
    /// [`AppError::Invalid`] when the message is not uncertain (any more).
    pub async fn settle_uncertain_message(
        &self,
        org_slug: Option<&str>,
        id: i64,
        decision: UncertainDecision,
        actor: &Actor,
    ) -> Result<MessageStatus, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        find_message(&mut tx, org.id, id).await?;
        let (to, action) = match decision {
            UncertainDecision::WentOut => (MessageStatus::Sent, "message.confirmed_sent"),
            UncertainDecision::SendAgain => (MessageStatus::Planned, "message.send_again"),
        };
        if !tx.set_message_status(org.id, id, MessageStatus::Uncertain, to, None, now).await? {
            return Err(AppError::invalid("status", "the message is not uncertain (any more)"));
        }
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: action.into(),
                entity: "message".into(),
                entity_key: id.to_string(),
                details: serde_json::json!({ "from": "uncertain", "to": to.as_str() }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }
}

/// The organisation's message `id` (without its attachments).
async fn find_message(
    tx: &mut arflow_store::StoreTx,
    org: arflow_core::id::OrganisationId,
    id: i64,
) -> Result<StoredMessage, AppError> {
    // Newest first below `id + 1`: the first row is this message when it exists.
    let page = arflow_store::Page::after(id.saturating_add(1), 1);
    tx.list_messages(org, None, None, page)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::NotFound { entity: "message", key: id.to_string() })
}
