//! Bearer tokens: `Authorization: Bearer arf_<organisation>_<secret>` names the organisation
//! every query of the request is scoped to.
//!
//! Successful look-ups are cached in memory for [`TOKEN_CACHE_TTL`] (at most
//! [`TOKEN_CACHE_ENTRIES_MAX`] entries), so the hot path of a request does not touch the token
//! table. The price: **a revoked token keeps working for up to 30 seconds** in a running server,
//! and a change of the organisation's settings (its time zone, say) is seen within the same
//! time. Failed look-ups are not cached, so a new token works at once. The staff pages share the
//! cache and empty an organisation's entries when they revoke one of its tokens or change its
//! settings, so in the server that made the change a revoked token stops working at once (other
//! instances on the same database trust their cache for up to 30 seconds).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arflow_app::{Actor, sha256_hex};
use arflow_core::id::OrganisationId;
use arflow_store::{StoredOrganisation, StoredToken};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, ApiState};

/// How long a successful token look-up is trusted.
pub(crate) const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// Most tokens remembered at once.
pub(crate) const TOKEN_CACHE_ENTRIES_MAX: usize = 10_000;

/// The caller: the token and the organisation it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) token: StoredToken,
    pub(crate) org: StoredOrganisation,
}

impl Principal {
    pub(crate) fn org_id(&self) -> OrganisationId {
        self.org.id
    }

    /// Who the audit log names for changes made with this token.
    pub(crate) fn actor(&self) -> Actor {
        Actor(format!("api:token-{}", self.token.id))
    }

    /// Today in the organisation's time zone.
    pub(crate) fn today(&self, app: &arflow_app::App) -> arflow_core::date::Date {
        app.today(&self.org.organisation)
    }
}

/// Recently authenticated tokens, by the SHA-256 of the bearer text.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<String, (Instant, Principal)>>,
}

impl TokenCache {
    fn get(&self, key: &str, now: Instant) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(at, _)| now.duration_since(*at) < TOKEN_CACHE_TTL)
            .map(|(_, p)| p.clone())
    }

    /// Forgets every cached look-up of the organisation `org`'s tokens.
    pub(crate) fn forget_organisation(&self, org: OrganisationId) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|_, (_, p)| p.token.organisation_id != org);
    }

    fn put(&self, key: String, principal: Principal, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= TOKEN_CACHE_ENTRIES_MAX {
            entries.retain(|_, (at, _)| now.duration_since(*at) < TOKEN_CACHE_TTL);
            if entries.len() >= TOKEN_CACHE_ENTRIES_MAX {
                // Every entry is fresh: start over rather than grow (each miss costs one read).
                entries.clear();
            }
        }
        entries.insert(key, (now, principal));
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send the header 'Authorization: Bearer <token>'"))?;
    let text = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("expected 'Authorization: Bearer <token>'"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("expected 'Authorization: Bearer <token>'"));
    }
    Ok(token.trim())
}

async fn authenticate(state: &ApiState, parts: &Parts) -> Result<Principal, ApiError> {
    let token = bearer(parts)?;
    let key = sha256_hex(token.as_bytes());
    let now = Instant::now();
    if let Some(p) = state.tokens.get(&key, now) {
        return Ok(p);
    }
    // Boxed: the look-up's future is large, and every request with a cached token would carry it.
    let principal = Box::pin(look_up(state, token)).await?;
    state.tokens.put(key, principal.clone(), now);
    Ok(principal)
}

async fn look_up(state: &ApiState, token: &str) -> Result<Principal, ApiError> {
    let stored = state.app.authenticate(token).await.map_err(|e| match e {
        arflow_app::AppError::Unauthorized => {
            ApiError::unauthorized("the token is unknown, revoked or malformed")
        }
        other => ApiError::from(other),
    })?;
    let org = state.app.organisation(stored.organisation_id).await?;
    Ok(Principal { token: stored, org })
}

/// Middleware of every route that needs a token: puts the [`Principal`] into the request.
pub(crate) async fn layer(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match authenticate(&state, &parts).await {
        Ok(principal) => {
            tracing::Span::current().record("org", principal.org.id.0);
            parts.extensions.insert(principal);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("this route needs a bearer token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arflow_core::id::TokenId;
    use arflow_core::party::{OrgCountry, Organisation, Slug};

    fn principal() -> Principal {
        let slug = Slug::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        Principal {
            token: StoredToken {
                organisation_id: OrganisationId(1),
                id: TokenId(1),
                name: "t".into(),
                created_at: 0,
                revoked_at: None,
                created_by: None,
            },
            org: StoredOrganisation {
                id: OrganisationId(1),
                organisation: Organisation::new(slug, "Acme".into(), OrgCountry::Nl),
                created_at: 0,
            },
        }
    }

    #[test]
    fn a_cached_token_is_trusted_for_thirty_seconds_only() {
        let cache = TokenCache::default();
        let t0 = Instant::now();
        cache.put("k".into(), principal(), t0);
        assert!(cache.get("k", t0 + Duration::from_secs(29)).is_some());
        assert!(cache.get("k", t0 + TOKEN_CACHE_TTL).is_none());
        assert!(cache.get("other", t0).is_none());
    }

    #[test]
    fn an_organisation_s_cached_tokens_are_forgotten_at_once() {
        let cache = TokenCache::default();
        let t0 = Instant::now();
        cache.put("acme".into(), principal(), t0);
        let mut other = principal();
        other.token.organisation_id = OrganisationId(2);
        cache.put("bravo".into(), other, t0);
        cache.forget_organisation(OrganisationId(1));
        assert!(cache.get("acme", t0).is_none());
        assert!(cache.get("bravo", t0).is_some(), "another organisation's stay");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_limit() {
        let cache = TokenCache::default();
        let t0 = Instant::now();
        for i in 0..TOKEN_CACHE_ENTRIES_MAX {
            cache.put(format!("k{i}"), principal(), t0);
        }
        // Full of fresh entries: it starts over.
        cache.put("new".into(), principal(), t0 + Duration::from_secs(1));
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(0) <= TOKEN_CACHE_ENTRIES_MAX);
        assert!(cache.get("new", t0 + Duration::from_secs(1)).is_some());
        // Expired entries are dropped first.
        let later = t0 + TOKEN_CACHE_TTL + Duration::from_secs(5);
        for i in 0..TOKEN_CACHE_ENTRIES_MAX {
            cache.put(format!("again{i}"), principal(), later);
        }
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(0) <= TOKEN_CACHE_ENTRIES_MAX);
    }
}
