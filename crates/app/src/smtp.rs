//! A test message through the configured SMTP server, so that an administrator sees at once
//! whether e-mail gets out (and lands in their own inbox) before a dunning run relies on it.

use arflow_notify::email::{Mailbox, MessageId, OutgoingEmail};
use arflow_store::AuditEntry;

use crate::{Actor, App, AppError};

impl App {
    /// Sends a short test message to `to` through the SMTP server this app was given
    /// ([`App::with_mailer`]); returns the sender it was sent from.
    ///
    /// # Errors
    /// [`AppError::Invalid`] (`smtp`) when no SMTP server is configured or the server refused
    /// or could not be reached (the message says which), (`email`) for an unusable address;
    /// [`AppError::NotFound`] for an unknown organisation.
    pub async fn send_test_email(
        &self,
        org_slug: Option<&str>,
        to: &str,
        actor: &Actor,
    ) -> Result<String, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        let Some(mailer) = &self.mailer else {
            return Err(AppError::invalid(
                "smtp",
                "no SMTP server is configured: start `arflow serve` with --smtp HOST:PORT and \
                 --smtp-from",
            ));
        };
        let to_box: Mailbox =
            to.parse().map_err(|e| AppError::invalid("email", format!("'{to}': {e}")))?;
        let from = mailer.config().from.clone();
        let now = self.now();
        let key = format!("smtp-test-{}-{now}", org.id.0);
        let message_id = MessageId::for_sender(&key, &from)
            .map_err(|e| AppError::invalid("smtp", e.to_string()))?;
        let name = &org.organisation.name;
        let email = OutgoingEmail {
            message_id,
            from: from.clone(),
            to: vec![to_box],
            reply_to: mailer.config().reply_to.clone(),
            subject: format!("arflow: test message for {name}"),
            text: format!(
                "This is a test message from arflow for {name}.\n\n\
                 It was sent through {}:{} from {from}. If you read this, reminders can be \
                 sent by e-mail.\n",
                mailer.config().host,
                mailer.config().port,
            ),
            html: None,
            attachments: Vec::new(),
            headers: vec![("X-Arflow-Test".into(), "1".into())],
        };
        let outcome = mailer.send(&email).await;
        let mut tx = self.store.begin_write().await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "smtp.test".into(),
                entity: "smtp".into(),
                entity_key: to.to_owned(),
                details: serde_json::json!({
                    "sent": outcome.is_ok(),
                    "error": outcome.as_ref().err().map(ToString::to_string),
                }),
            }],
        )
        .await?;
        tx.commit().await?;
        outcome.map_err(|e| AppError::invalid("smtp", e.to_string()))?;
        Ok(from.to_string())
    }
}
