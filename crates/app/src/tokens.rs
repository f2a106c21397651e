//! API tokens: `arf_<organisation id>_<64 hex characters>`.
//!
//! Only the SHA-256 of the token is stored. The organisation id in the text lets a lookup stay
//! inside that organisation's rows; the 256 random bits are what makes a token unguessable.

use arflow_core::id::{OrganisationId, TokenId};
use arflow_store::{AuditEntry, StoredToken};

use crate::{Actor, App, AppError, sha256_hex};

/// Longest token name, in characters.
pub const TOKEN_NAME_CHARS_MAX: usize = 100;

/// A freshly created token; `secret` is shown once and never stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewToken {
    pub id: TokenId,
    pub organisation: String,
    pub name: String,
    pub token: String,
}

/// Splits `arf_<org>_<secret>` into the organisation id and the whole token.
fn parse_token(text: &str) -> Option<OrganisationId> {
    let rest = text.strip_prefix("arf_")?;
    let (org, secret) = rest.split_once('_')?;
    let ok = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    let org: i64 = org.parse().ok()?;
    ok.then_some(OrganisationId(org))
}

impl App {
    /// Creates an API token for an organisation.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown organisation, [`AppError::Invalid`] for an empty
    /// or too long name or when the system has no randomness to offer.
    pub async fn create_token(
        &self,
        org_slug: Option<&str>,
        name: &str,
        actor: &Actor,
    ) -> Result<NewToken, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > TOKEN_NAME_CHARS_MAX {
            return Err(AppError::invalid(
                "name",
                format!("give the token a name of 1-{TOKEN_NAME_CHARS_MAX} characters"),
            ));
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| AppError::Invalid {
            field: None,
            message: format!("no randomness: {e}"),
        })?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let id = TokenId(tx.reserve_ids(org.id, "token", 1).await?);
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("arf_{}_{hex}", org.id.0);
        tx.insert_api_token(org.id, id, name, &sha256_hex(token.as_bytes()), &actor.0, now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "token.create".into(),
                entity: "token".into(),
                entity_key: id.to_string(),
                details: serde_json::json!({ "name": name }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(NewToken {
            id,
            organisation: org.organisation.slug.to_string(),
            name: name.into(),
            token,
        })
    }

    /// Every API token of an organisation, oldest first, without their secrets.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown organisation.
    pub async fn list_tokens(&self, org_slug: Option<&str>) -> Result<Vec<StoredToken>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let list = tx.list_api_tokens(org.id).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// Revokes a token of the organisation: it stops authenticating at once (a server that
    /// caches look-ups must forget it; see `arflow_web`). Revoking a revoked token changes
    /// nothing.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the organisation has no token `id`.
    pub async fn revoke_token(
        &self,
        org_slug: Option<&str>,
        id: TokenId,
        actor: &Actor,
    ) -> Result<StoredToken, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let revoked = tx.revoke_api_token(org.id, id, now).await?;
        let token = tx
            .list_api_tokens(org.id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::NotFound { entity: "token", key: id.to_string() })?;
        if revoked {
            tx.insert_audit(
                org.id,
                &[AuditEntry {
                    at: now,
                    actor: actor.0.clone(),
                    action: "token.revoke".into(),
                    entity: "token".into(),
                    entity_key: id.to_string(),
                    details: serde_json::json!({ "name": token.name }),
                }],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(token)
    }

    /// The token behind a bearer credential.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] for anything but a live token.
    pub async fn authenticate(&self, bearer: &str) -> Result<StoredToken, AppError> {
        let org = parse_token(bearer.trim()).ok_or(AppError::Unauthorized)?;
        let mut tx = self.store.read().await?;
        let found = tx.find_api_token(org, &sha256_hex(bearer.trim().as_bytes())).await?;
        tx.rollback().await?;
        found.ok_or(AppError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_name_an_organisation() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_token(&format!("arf_12_{hex}")), Some(OrganisationId(12)));
        assert_eq!(parse_token(&format!("arf_x_{hex}")), None);
        assert_eq!(parse_token("arf_12_abc"), None);
        assert_eq!(parse_token(&format!("xyz_12_{hex}")), None);
    }
}
