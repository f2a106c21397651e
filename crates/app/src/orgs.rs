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

    /// Changes the settings of an organisation: name, time zone, default language, payment
    /// reference scheme, payment and registration details (each `Some` replaces the stored
    /// value; an empty text clears an optional one). Every field is checked before anything
    /// changes; [`details_problems`] lists every problem at once.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the first field with a problem.
    pub async fn update_organisation_details(
        &self,
        org_slug: Option<&str>,
        details: &OrganisationDetails,
        actor: &Actor,
    ) -> Result<StoredOrganisation, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let stored = resolve_in(&mut tx, org_slug).await?;
        let org = match apply_details(&stored.organisation, details) {
            Ok(org) => org,
            Err(mut problems) => {
                let (field, message) = problems.remove(0);
                return Err(AppError::invalid(field, message));
            }
        };
        // The account reminders name is one of the organisation's own, and an open one.
        if let Some(iban) = org.iban.as_deref() {
            let own = tx.own_accounts(stored.id).await?;
            match own.iter().find(|a| a.iban == iban) {
                Some(a) if !a.active => {
                    return Err(AppError::invalid(
                        "iban",
                        "this account is closed (Settings, Bank accounts): reopen it first",
                    ));
                }
                Some(_) => {}
                None => {
                    let account = arflow_core::brand::OwnAccount {
                        iban: iban.to_owned(),
                        bic: org.bic.clone(),
                        label: String::new(),
                        active: true,
                    };
                    tx.put_own_account(stored.id, &account, now).await?;
                }
            }
        }
        tx.update_organisation(stored.id, &org, now).await?;
        tx.insert_audit(
            stored.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "organisation.update".into(),
                entity: "organisation".into(),
                entity_key: org.slug.to_string(),
                details: serde_json::to_value(details).unwrap_or_default(),
            }],
        )
        .await?;
        let updated = tx.get_organisation(stored.id).await?;
        tx.commit().await?;
        Ok(updated)
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
        let refs =
            crate::import::generate_references(&mut tx, &org, 1, &Default::default()).await?;
        tx.commit().await?;
        let text = refs.into_iter().next().unwrap_or_default();
        arflow_core::reference::check_as(org.organisation.reference_scheme, &text)
            .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })
    }
}

/// Every problem with `details` for the organisation `current`, as (field, message), in the
/// order of the fields of [`OrganisationDetails`]; empty when they may be saved.
#[must_use]
pub fn details_problems(
    current: &Organisation,
    details: &OrganisationDetails,
) -> Vec<(&'static str, String)> {
    apply_details(current, details).err().unwrap_or_default()
}

/// `current` with `details` applied, or every problem found.
fn apply_details(
    current: &Organisation,
    details: &OrganisationDetails,
) -> Result<Organisation, Vec<(&'static str, String)>> {
    let mut org = current.clone();
    let mut problems = Vec::new();
    let set = |slot: &mut Option<String>, value: &Option<String>| {
        if let Some(v) = value {
            *slot = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
    };
    if let Some(name) = &details.name {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            problems.push(("name", "name must be 1-200 characters".to_owned()));
        } else {
            org.name = name.to_owned();
        }
    }
    if let Some(tz) = &details.time_zone {
        let tz = tz.trim();
        if jiff::tz::TimeZone::get(tz).is_err() {
            problems.push(("time_zone", format!("'{tz}' is not an IANA time zone")));
        } else {
            org.time_zone = tz.to_owned();
        }
    }
    if let Some(language) = &details.language {
        match language.parse() {
            Ok(l) => org.language = l,
            Err(e) => problems.push(("language", format!("{e}"))),
        }
    }
    if let Some(scheme) = &details.reference_scheme {
        match scheme.parse() {
            Ok(s) => org.reference_scheme = s,
            Err(e) => problems.push(("reference_scheme", format!("{e}"))),
        }
    }
    set(&mut org.iban, &details.iban);
    set(&mut org.bic, &details.bic);
    set(&mut org.vat_number, &details.vat_number);
    set(&mut org.kvk_number, &details.kvk_number);
    set(&mut org.enterprise_number, &details.enterprise_number);
    if let Some(iban) = &org.iban {
        match arflow_core::ident::Iban::parse(iban) {
            Ok(iban) => org.iban = Some(iban.electronic().to_owned()),
            Err(e) => problems.push(("iban", e.to_string())),
        }
    }
    if let Some(bic) = &org.bic
        && let Err(e) = arflow_core::ident::Bic::parse(bic)
    {
        problems.push(("bic", e.to_string()));
    }
    if problems.is_empty() { Ok(org) } else { Err(problems) }
}

/// The details [`App::update_organisation_details`] changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrganisationDetails {
    /// The name shown on pages and letters.
    pub name: Option<String>,
    /// The default language: `nl`, `fr`, `en` or `de`.
    pub language: Option<String>,
    /// The scheme of new payment references: `ogm`, `rf` or `nl`.
    pub reference_scheme: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub vat_number: Option<String>,
    pub kvk_number: Option<String>,
    pub enterprise_number: Option<String>,
    pub time_zone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_the_settings_is_named_with_its_field() {
        let slug = Slug::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let org = Organisation::new(slug, "Acme BV".into(), OrgCountry::Nl);
        let bad = OrganisationDetails {
            name: Some(" ".into()),
            language: Some("xx".into()),
            reference_scheme: Some("ogm".into()),
            iban: Some("NL00 BANK 0000 0000 00".into()),
            bic: Some("ABNANL2A".into()),
            time_zone: Some("Mars/Olympus".into()),
            ..Default::default()
        };
        let fields: Vec<&str> = details_problems(&org, &bad).iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "time_zone", "language", "iban"]);
        let good = OrganisationDetails {
            name: Some(" Acme Holding ".into()),
            language: Some("fr".into()),
            iban: Some("nl91 abna 0417 1643 00".into()),
            kvk_number: Some("".into()),
            ..Default::default()
        };
        assert!(details_problems(&org, &good).is_empty());
        let applied = apply_details(&org, &good).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(applied.name, "Acme Holding");
        assert_eq!(applied.iban.as_deref(), Some("NL91ABNA0417164300"));
        assert_eq!(applied.time_zone, org.time_zone, "None keeps the stored value");
    }
}
