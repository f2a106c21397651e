//! An organisation's message templates: the built-in texts of every dunning step in nl, fr, en
//! and de, each of which the organisation may replace. An edit is checked before it is saved
//! (it compiles, renders with a full sample, keeps the elements the law requires).

use std::collections::HashMap;
use std::str::FromStr;

use arflow_core::party::{DebtorKind, Language, OrgCountry};
pub use arflow_notify::templates::TemplateText;
use arflow_notify::templates::{RenderContext, Rendered, StepKey, Templates};
use arflow_store::{AuditEntry, StoreTx, StoredTemplate};
use serde::Serialize;

use crate::{Actor, App, AppError};

/// One template in one language, as shown and edited.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub step: StepKey,
    pub language: Language,
    /// `true` when the organisation's own text is used instead of the built-in one.
    pub edited: bool,
    pub subject: String,
    pub text: String,
    /// `None`: the HTML body is made from the text.
    pub html: Option<String>,
}

/// A rendered preview with the sample data.
#[derive(Debug, Clone, Serialize)]
pub struct TemplatePreview {
    pub step: StepKey,
    pub language: Language,
    pub debtor_kind: DebtorKind,
    #[serde(flatten)]
    pub rendered: Rendered,
}

fn step_of(text: &str) -> Result<StepKey, AppError> {
    StepKey::from_str(text).map_err(|e| AppError::invalid("step", e.reason))
}

fn language_of(text: &str) -> Result<Language, AppError> {
    Language::from_str(text)
        .map_err(|_| AppError::invalid("language", format!("'{text}' is not nl, fr, en or de")))
}

/// The organisation's templates: the built-in texts with its edits on top.
pub(crate) async fn templates_of(
    tx: &mut StoreTx,
    org: arflow_core::id::OrganisationId,
) -> Result<Option<Templates>, AppError> {
    let stored = tx.list_message_templates(org).await?;
    if stored.is_empty() {
        return Ok(None);
    }
    let mut overrides = HashMap::new();
    for t in stored {
        let (Ok(step), Ok(language)) = (step_of(&t.template), language_of(&t.language)) else {
            continue;
        };
        overrides.insert(
            (step, language),
            TemplateText { subject: t.subject, text: t.text_body, html: t.html_body },
        );
    }
    Templates::with_overrides(overrides).map(Some).map_err(|e| {
        AppError::invalid("template", format!("a stored template does not compile: {e}"))
    })
}

impl App {
    /// Every step in every language: the text in force and whether it is the organisation's.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn list_templates(
        &self,
        org_slug: Option<&str>,
    ) -> Result<Vec<TemplateView>, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let stored = tx.list_message_templates(org.id).await?;
        tx.rollback().await?;
        let mut out = Vec::new();
        for step in StepKey::ALL {
            for &language in Language::ALL {
                let own = stored
                    .iter()
                    .find(|t| t.template == step.as_str() && t.language == language.as_str());
                out.push(match own {
                    Some(t) => TemplateView {
                        step,
                        language,
                        edited: true,
                        subject: t.subject.clone(),
                        text: t.text_body.clone(),
                        html: t.html_body.clone(),
                    },
                    None => {
                        let b = Templates::builtin_text(step, language);
                        TemplateView {
                            step,
                            language,
                            edited: false,
                            subject: b.subject,
                            text: b.text,
                            html: b.html,
                        }
                    }
                });
            }
        }
        Ok(out)
    }

    /// Saves the organisation's own text of `step` in `language`, after checking it: it must
    /// compile, render with sample data for a business and a consumer debtor, and keep what the
    /// law requires in that letter.
    ///
    /// # Errors
    /// [`AppError::Invalid`] with the part, line and reason.
    pub async fn put_template(
        &self,
        org_slug: Option<&str>,
        step: &str,
        language: &str,
        text: TemplateText,
        actor: &Actor,
    ) -> Result<TemplateView, AppError> {
        let (step, language) = (step_of(step)?, language_of(language)?);
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        Templates::check_override(step, language, &text, org.organisation.country)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        let stored = StoredTemplate {
            template: step.as_str().to_owned(),
            language: language.as_str().to_owned(),
            subject: text.subject.clone(),
            text_body: text.text.clone(),
            html_body: text.html.clone(),
            updated_by: actor.0.clone(),
        };
        tx.put_message_template(org.id, &stored, now).await?;
        tx.insert_audit(org.id, &[audit(now, actor, "template.update", step, language)]).await?;
        tx.commit().await?;
        Ok(TemplateView {
            step,
            language,
            edited: true,
            subject: text.subject,
            text: text.text,
            html: text.html,
        })
    }

    /// Goes back to the built-in text of `step` in `language`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the organisation had not edited it.
    pub async fn reset_template(
        &self,
        org_slug: Option<&str>,
        step: &str,
        language: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let (step, language) = (step_of(step)?, language_of(language)?);
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        if !tx.delete_message_template(org.id, step.as_str(), language.as_str()).await? {
            return Err(AppError::NotFound {
                entity: "template",
                key: format!("{step}.{language}"),
            });
        }
        tx.insert_audit(org.id, &[audit(now, actor, "template.reset", step, language)]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An unsaved draft of `step` in `language`, checked as [`put_template`](Self::put_template)
    /// would check it, then rendered with sample data — nothing is stored.
    ///
    /// # Errors
    /// [`AppError::Invalid`] with the part, line and reason, as saving would give.
    pub async fn preview_template_draft(
        &self,
        org_slug: Option<&str>,
        step: &str,
        language: &str,
        debtor_kind: DebtorKind,
        draft: &TemplateText,
    ) -> Result<TemplatePreview, AppError> {
        let (step, language) = (step_of(step)?, language_of(language)?);
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        tx.rollback().await?;
        let country: OrgCountry = org.organisation.country;
        Templates::check_override(step, language, draft, country)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        let templates =
            Templates::with_overrides(HashMap::from([((step, language), draft.clone())]))
                .map_err(|e| AppError::invalid("template", e.to_string()))?;
        let mut ctx = RenderContext::sample(language, country, debtor_kind);
        if step == StepKey::BeConsumerFirstReminder {
            ctx.charges.clear();
        }
        let rendered = templates
            .render_unchecked(step, language, &ctx)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        Ok(TemplatePreview { step, language, debtor_kind, rendered })
    }

    /// `step` in `language` rendered with sample data (the organisation's text when it has one).
    ///
    /// # Errors
    /// [`AppError::Invalid`] when the template fails on the sample.
    pub async fn preview_template(
        &self,
        org_slug: Option<&str>,
        step: &str,
        language: &str,
        debtor_kind: DebtorKind,
    ) -> Result<TemplatePreview, AppError> {
        let (step, language) = (step_of(step)?, language_of(language)?);
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let own = templates_of(&mut tx, org.id).await?;
        tx.rollback().await?;
        let templates = own.map(std::sync::Arc::new).unwrap_or_else(|| self.templates());
        let country: OrgCountry = org.organisation.country;
        let mut ctx = RenderContext::sample(language, country, debtor_kind);
        if step == StepKey::BeConsumerFirstReminder {
            ctx.charges.clear();
        }
        let rendered = templates
            .render_unchecked(step, language, &ctx)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        Ok(TemplatePreview { step, language, debtor_kind, rendered })
    }
}

fn audit(at: i64, actor: &Actor, action: &str, step: StepKey, language: Language) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: "template".into(),
        entity_key: format!("{step}.{language}"),
        details: serde_json::json!({}),
    }
}
