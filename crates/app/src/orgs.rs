//! Organisations: create, list, pick.

use arflow_core::party::{OrgCountry, Organisation, Slug};
use arflow_store::{AuditEntry, StoreTx, StoredOrganisation};

use crate::{Actor, App, AppError};

impl App {
    /// Creates an organisation with its country's defaults (time zone, language, reference
    /// scheme).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad slug or empty name, [`AppError::Conflict`] when the slug is
    /// taken.
    pub async fn create_organisation(
        &self,
        slug: &str,
        name: &str,
        country: OrgCountry,
        actor: &Actor,
    ) -> Result<StoredOrganisation, AppError> {
        let slug = Slug::parse(slug).map_err(|e| AppError::invalid("slug", e.to_string()))?;
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AppError::invalid("name", "name must be 1-200 characters"));
        }
        let org = Organisation::new(slug, name.to_owned(), country);
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let id = tx.insert_organisation(&org, now).await?;
        tx.insert_audit(
            id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "organisation.create".into(),
                entity: "organisation".into(),
                entity_key: org.slug.to_string(),
                details: serde_json::json!({ "name": org.name, "country": org.country.as_str() }),
            }],
        )
        .await?;
        let stored = tx.get_organisation(id).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// # Errors
    /// Store errors only.
    pub async fn list_organisations(&self) -> Result<Vec<StoredOrganisation>, AppError> {
        let mut tx = self.store.read().await?;
        let list = tx.list_organisations().await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The organisation named by `slug`, or the only one when `slug` is `None`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown slug; [`AppError::NeedsOrganisation`] when none is
    /// given and there is not exactly one.
    pub async fn resolve_organisation(
        &self,
        slug: Option<&str>,
    ) -> Result<StoredOrganisation, AppError> {
        let mut tx = self.store.read().await?;
        let found = resolve_in(&mut tx, slug).await;
        tx.rollback().await?;
        found
    }
}

pub(crate) async fn resolve_in(
    tx: &mut StoreTx,
    slug: Option<&str>,
) -> Result<StoredOrganisation, AppError> {
    match slug {
        Some(slug) => tx
            .find_organisation_by_slug(slug)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "organisation", key: slug.to_owned() }),
        None => {
            let mut all = tx.list_organisations().await?;
            match all.len() {
                1 => Ok(all.remove(0)),
                0 => Err(AppError::NeedsOrganisation(
                    "there is no organisation yet: create one with `arflow org create` or load \
                     demo data with `arflow demo`"
                        .into(),
                )),
                n => Err(AppError::NeedsOrganisation(format!(
                    "there are {n} organisations: choose one with --org SLUG ({})",
                    all.iter().map(|o| o.organisation.slug.as_str()).collect::<Vec<_>>().join(", ")
                ))),
            }
        }
    }
}

impl App {
    /// Hands out the next payment reference of the organisation's counter (never twice), in
    /// `scheme` or the organisation's own.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn next_reference(
        &self,
        org_slug: Option<&str>,
        scheme: Option<arflow_core::reference::ReferenceScheme>,
    ) -> Result<arflow_core::reference::PaymentReference, AppError> {
        let mut tx = self.store.begin_write().await?;
        let mut org = resolve_in(&mut tx, org_slug).await?;
        if let Some(s) = scheme {
            org.organisation.reference_scheme = s;
        }
        let refs = crate::import::generate_references(&mut tx, &org, 1).await?;
        tx.commit().await?;
        let text = refs.into_iter().next().unwrap_or_default();
        arflow_core::reference::check_as(org.organisation.reference_scheme, &text)
            .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })
    }
}
