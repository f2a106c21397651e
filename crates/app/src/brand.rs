//! An organisation's look (accent colour and logo on its letters, e-mails and debtor pages) and
//! its own bank accounts: which one reminders ask to be paid on, and which are closed.

use arflow_core::brand::{Branding, OwnAccount, parse_colour, parse_logo};
use arflow_core::id::OrganisationId;
use arflow_core::ident::{Bic, Iban};
use arflow_store::{AuditEntry, StoreTx, StoredOrganisation};

use crate::{Actor, App, AppError};

/// An organisation's own account as the settings show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: OwnAccount,
    /// Reminders ask to be paid on this one.
    pub for_payment: bool,
}

fn audit(
    at: i64,
    actor: &Actor,
    action: &str,
    key: &str,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: "organisation".into(),
        entity_key: key.to_owned(),
        details,
    }
}

impl App {
    /// The organisation's accent colour and logo (the default when it chose none).
    ///
    /// # Errors
    /// Store errors.
    pub async fn branding(&self, org: OrganisationId) -> Result<Branding, AppError> {
        let mut tx = self.store.read().await?;
        let b = tx.branding(org).await?;
        tx.rollback().await?;
        Ok(b)
    }

    /// Sets the accent colour (`None` or an empty text: arflow's own) and, when `logo` is
    /// given, replaces the logo (an empty slice removes it). Both are checked before anything
    /// changes.
    ///
    /// # Errors
    /// [`AppError::Invalid`] on `accent_colour` or `logo`.
    pub async fn set_branding(
        &self,
        org: OrganisationId,
        accent_colour: Option<&str>,
        logo: Option<&[u8]>,
        actor: &Actor,
    ) -> Result<Branding, AppError> {
        let colour = match accent_colour.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(
                parse_colour(c).map_err(|e| AppError::invalid("accent_colour", e.to_string()))?,
            ),
            None => None,
        };
        let new_logo = match logo {
            Some([]) => Some(None),
            Some(bytes) => {
                Some(Some(parse_logo(bytes).map_err(|e| AppError::invalid("logo", e.to_string()))?))
            }
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let mut branding = tx.branding(org).await?;
        branding.accent_colour = colour;
        if let Some(l) = new_logo {
            branding.logo = l;
        }
        tx.set_branding(org, &branding, now).await?;
        tx.insert_audit(
            org,
            &[audit(
                now,
                actor,
                "organisation.branding",
                o.organisation.slug.as_str(),
                serde_json::json!({
                    "accent_colour": branding.accent_colour,
                    "logo": branding.logo.as_ref().map(|l| serde_json::json!({
                        "type": l.kind.media_type(), "bytes": l.bytes.len(),
                    })),
                }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(branding)
    }

    /// The organisation's own bank accounts, the one reminders name first. The account in the
    /// organisation's details is always among them.
    ///
    /// # Errors
    /// Store errors.
    pub async fn own_accounts(&self, org: OrganisationId) -> Result<Vec<AccountView>, AppError> {
        let mut tx = self.store.read().await?;
        let o = tx.get_organisation(org).await?;
        let accounts = tx.own_accounts(org).await?;
        tx.rollback().await?;
        Ok(account_views(&o, accounts))
    }

    /// Adds an own account or changes its BIC and label (`iban` in any usual spelling).
    ///
    /// # Errors
    /// [`AppError::Invalid`] on `iban`, `bic` or `label`.
    pub async fn save_own_account(
        &self,
        org: OrganisationId,
        iban: &str,
        bic: &str,
        label: &str,
        actor: &Actor,
    ) -> Result<OwnAccount, AppError> {
        let iban = Iban::parse(iban)
            .map_err(|e| AppError::invalid("iban", e.to_string()))?
            .electronic()
            .to_owned();
        let bic = match bic.trim() {
            "" => None,
            b => {
                Bic::parse(b).map_err(|e| AppError::invalid("bic", e.to_string()))?;
                Some(b.to_ascii_uppercase())
            }
        };
        let label = label.trim();
        if label.chars().count() > 100 {
            return Err(AppError::invalid("label", "a label has at most 100 characters"));
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let active = tx
            .own_accounts(org)
            .await?
            .into_iter()
            .find(|a| a.iban == iban)
            .is_none_or(|a| a.active);
        let account = OwnAccount { iban, bic, label: label.to_owned(), active };
        tx.put_own_account(org, &account, now).await?;
        // The account reminders name keeps its BIC in step.
        if o.organisation.iban.as_deref() == Some(account.iban.as_str()) {
            let mut changed = o.organisation.clone();
            changed.bic.clone_from(&account.bic);
            tx.update_organisation(org, &changed, now).await?;
        }
        tx.insert_audit(
            org,
            &[audit(
                now,
                actor,
                "bank_account.save",
                &account.iban,
                serde_json::json!({ "bic": account.bic, "label": account.label }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Makes an open own account the one reminders ask to be paid on.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an account that is not the organisation's;
    /// [`AppError::Invalid`] for a closed one.
    pub async fn pay_to_account(
        &self,
        org: OrganisationId,
        iban: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let (o, account) = own_account(&mut tx, org, iban).await?;
        if !account.active {
            return Err(AppError::invalid(
                "iban",
                "this account is closed: reopen it before asking to be paid on it",
            ));
        }
        let mut changed = o.organisation.clone();
        changed.iban = Some(account.iban.clone());
        changed.bic.clone_from(&account.bic);
        tx.update_organisation(org, &changed, now).await?;
        tx.insert_audit(
            org,
            &[audit(now, actor, "bank_account.pay_to", &account.iban, serde_json::json!({}))],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes (`active` false) or reopens an own account. The account reminders name cannot be
    /// closed: another must be chosen first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an account that is not the organisation's;
    /// [`AppError::Invalid`] when closing the account reminders name.
    pub async fn set_account_open(
        &self,
        org: OrganisationId,
        iban: &str,
        active: bool,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let (o, mut account) = own_account(&mut tx, org, iban).await?;
        if !active && o.organisation.iban.as_deref() == Some(account.iban.as_str()) {
            return Err(AppError::invalid(
                "iban",
                "reminders ask to be paid on this account: choose another account first",
            ));
        }
        account.active = active;
        tx.put_own_account(org, &account, now).await?;
        let action = if active { "bank_account.reopen" } else { "bank_account.close" };
        tx.insert_audit(org, &[audit(now, actor, action, &account.iban, serde_json::json!({}))])
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The organisation and its own account `iban` (any usual spelling). The account named in the
/// organisation's details counts as its own even when it was set before accounts were kept.
async fn own_account(
    tx: &mut StoreTx,
    org: OrganisationId,
    iban: &str,
) -> Result<(StoredOrganisation, OwnAccount), AppError> {
    let o = tx.get_organisation(org).await?;
    let not_found = || AppError::NotFound { entity: "bank_account", key: iban.to_owned() };
    let iban = Iban::parse(iban).map_err(|_| not_found())?.electronic().to_owned();
    let account = account_views(&o, tx.own_accounts(org).await?)
        .into_iter()
        .find(|a| a.account.iban == iban)
        .ok_or_else(not_found)?
        .account;
    Ok((o, account))
}

/// The accounts with the one reminders name first (added when it is not kept yet), then the
/// open ones, then the closed ones, each by IBAN.
fn account_views(o: &StoredOrganisation, mut accounts: Vec<OwnAccount>) -> Vec<AccountView> {
    let paid_on = o.organisation.iban.as_deref();
    if let Some(iban) = paid_on
        && !accounts.iter().any(|a| a.iban == iban)
    {
        accounts.push(OwnAccount {
            iban: iban.to_owned(),
            bic: o.organisation.bic.clone(),
            label: String::new(),
            active: true,
        });
    }
    let mut views: Vec<AccountView> = accounts
        .into_iter()
        .map(|a| AccountView { for_payment: paid_on == Some(a.iban.as_str()), account: a })
        .collect();
    views.sort_by(|a, b| {
        (!a.for_payment, !a.account.active, &a.account.iban).cmp(&(
            !b.for_payment,
            !b.account.active,
            &b.account.iban,
        ))
    });
    views
}

/// The IBANs of the organisation's closed accounts: their statements are refused.
pub(crate) async fn closed_accounts(
    tx: &mut StoreTx,
    org: OrganisationId,
) -> Result<Vec<String>, AppError> {
    Ok(tx.own_accounts(org).await?.into_iter().filter(|a| !a.active).map(|a| a.iban).collect())
}
