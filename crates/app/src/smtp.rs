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
        let Some(mailer) = &self.mailer else { return Err(no_mailer()) };
        let name = &org.organisation.name;
        let text = format!(
            "This is a test message from arflow for {name}.\n\n\
             It was sent through {}:{} from {}. If you read this, reminders can be \
             sent by e-mail.\n",
            mailer.config().host,
            mailer.config().port,
            mailer.config().from,
        );
        let mail = TestMail {
            subject: format!("arflow: test message for {name}"),
            text,
            html: None,
            action: "smtp.test",
            details: serde_json::json!({}),
        };
        self.send_test(&org, to, mail, actor).await
    }

    /// Sends `step` in `language` — the unsaved `draft` when given (checked as saving would
    /// check it), else the text in force — rendered with sample data for a `debtor_kind`, to
    /// `to`, with `[TEST]` before the subject. Returns the sender it was sent from.
    ///
    /// # Errors
    /// As [`send_test_email`](Self::send_test_email), and [`AppError::Invalid`] (`template`)
    /// for a draft that would not be saved.
    pub async fn send_template_test(
        &self,
        org_slug: Option<&str>,
        step: &str,
        language: &str,
        debtor_kind: arflow_core::party::DebtorKind,
        draft: Option<&arflow_notify::templates::TemplateText>,
        to: &str,
        actor: &Actor,
    ) -> Result<String, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        if self.mailer.is_none() {
            return Err(no_mailer());
        }
        let preview = match draft {
            Some(d) => {
                self.preview_template_draft(org_slug, step, language, debtor_kind, d).await?
            }
            None => self.preview_template(org_slug, step, language, debtor_kind).await?,
        };
        let r = preview.rendered;
        let mail = TestMail {
            subject: format!("[TEST] {}", r.subject),
            text: r.text,
            html: Some(r.html).filter(|h| !h.is_empty()),
            action: "template.test_send",
            details: serde_json::json!({
                "template": format!("{step}.{language}"),
                "debtor_kind": debtor_kind.as_str(),
                "draft": draft.is_some(),
            }),
        };
        self.send_test(&org, to, mail, actor).await
    }

    /// Sends a test message and audits it, whether it went out or not.
    async fn send_test(
        &self,
        org: &arflow_store::StoredOrganisation,
        to: &str,
        mail: TestMail,
        actor: &Actor,
    ) -> Result<String, AppError> {
        let Some(mailer) = &self.mailer else { return Err(no_mailer()) };
        let to_box: Mailbox =
            to.parse().map_err(|e| AppError::invalid("email", format!("'{to}': {e}")))?;
        let from = mailer.config().from.clone();
        let now = self.now();
        let key = format!("{}-{}-{now}", mail.action, org.id.0);
        let message_id = MessageId::for_sender(&key, &from)
            .map_err(|e| AppError::invalid("smtp", e.to_string()))?;
        let email = OutgoingEmail {
            message_id,
            from: from.clone(),
            to: vec![to_box],
            reply_to: mailer.config().reply_to.clone(),
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            attachments: Vec::new(),
            headers: vec![("X-Arflow-Test".into(), "1".into())],
        };
        let outcome = mailer.send(&email).await;
        let mut details = mail.details;
        details["sent"] = serde_json::json!(outcome.is_ok());
        details["error"] = serde_json::json!(outcome.as_ref().err().map(ToString::to_string));
        let mut tx = self.store.begin_write().await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: mail.action.into(),
                entity: if mail.action == "smtp.test" { "smtp" } else { "template" }.into(),
                entity_key: to.to_owned(),
                details,
            }],
        )
        .await?;
        tx.commit().await?;
        outcome.map_err(|e| AppError::invalid("smtp", e.to_string()))?;
        Ok(from.to_string())
    }
}

/// A test message before it is addressed.
struct TestMail {
    subject: String,
    text: String,
    html: Option<String>,
    /// The audit action: `smtp.test` or `template.test_send`.
    action: &'static str,
    details: serde_json::Value,
}

fn no_mailer() -> AppError {
    AppError::invalid(
        "smtp",
        "no SMTP server is configured: start `arflow serve` with --smtp HOST:PORT and --smtp-from",
    )
}
