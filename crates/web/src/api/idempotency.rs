//! `Idempotency-Key` on POST: a retried request gets the first answer again.
//!
//! The request is identified by the SHA-256 of its method, path with query, and body. When the
//! key is known for the same request, the stored status and body are replayed with the header
//! `Idempotent-Replayed: true`; for a different request the answer is 422
//! `idempotency_key_reused`. Answers with status 2xx and 4xx (except 401, 408 and 429, which say
//! nothing about the request itself) are stored; a 5xx is not, so a retry after a failure runs
//! again. While a request with a key is running, another one with the same key in the same
//! organisation is answered 409 `idempotency_key_in_use` (within this process).

use std::collections::HashSet;
use std::sync::Mutex;

use arflow_app::idempotency::IdempotentResponse;
use arflow_app::sha256_hex;
use arflow_core::id::OrganisationId;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Principal;
use super::{ApiError, ApiState, JSON_BODY_BYTES_MAX};

/// The request header.
pub(crate) const HEADER: &str = "idempotency-key";

/// The header on a replayed answer.
pub(crate) const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Largest answer body remembered, in bytes.
const RESPONSE_BYTES_MAX: usize = 4 << 20;

/// Keys whose request is running now.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    keys: Mutex<HashSet<(OrganisationId, String)>>,
}

/// Removes its key from [`InFlight`] when dropped (also when the request is cancelled).
struct Claim<'a> {
    set: &'a InFlight,
    key: (OrganisationId, String),
}

impl InFlight {
    fn claim(&self, org: OrganisationId, key: &str) -> Option<Claim<'_>> {
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = (org, key.to_owned());
        // Not `then_some`: it would build (and drop, releasing the other request's key) a
        // claim also when the key is taken.
        if keys.insert(entry.clone()) { Some(Claim { set: self, key: entry }) } else { None }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut keys = self.set.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.remove(&self.key);
    }
}

fn request_hash(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut text = Vec::with_capacity(body.len() + path_and_query.len() + 16);
    text.extend_from_slice(method.as_str().as_bytes());
    text.push(b'\n');
    text.extend_from_slice(path_and_query.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(body);
    sha256_hex(&text)
}

fn storable(status: StatusCode) -> bool {
    (status.is_success() || status.is_client_error())
        && !matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
        )
}

fn replay(stored: IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Body::from(stored.body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    if let Some(v) = stored.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(LOCATION, v);
    }
    response
}

/// Middleware of the routes that need a token (after authentication).
pub(crate) async fn layer(State(st): State<ApiState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let Ok(key) = key.to_str().map(str::to_owned) else {
        return ApiError::bad_request(
            Some("Idempotency-Key"),
            "the Idempotency-Key is not visible ASCII text",
        )
        .into_response();
    };
    // Boxed: the replay path's future is large, and every other request would carry it.
    match Box::pin(run(&st, key, req, next)).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run(st: &ApiState, key: String, req: Request, next: Next) -> Result<Response, Response> {
    let principal =
        req.extensions().get::<Principal>().cloned().ok_or_else(|| {
            ApiError::unauthorized("this route needs a bearer token").into_response()
        })?;
    let org = principal.org_id();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, JSON_BODY_BYTES_MAX).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        )
        .into_response()
    })?;
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str());
    let hash = request_hash(&parts.method, path, &bytes);
    let app_error = |e: arflow_app::AppError| ApiError::from(e).into_response();
    if let Some(stored) =
        st.app.find_idempotent_response(org, &key, &hash).await.map_err(app_error)?
    {
        return Ok(replay(stored));
    }
    let Some(_claim) = st.in_flight.claim(org, &key) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still running; retry when it has finished",
        )
        .with_field("Idempotency-Key")
        .into_response());
    };
    // The first request may have finished between the look-up and the claim.
    if let Some(stored) =
        st.app.find_idempotent_response(org, &key, &hash).await.map_err(app_error)?
    {
        return Ok(replay(stored));
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    if !storable(status) {
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, RESPONSE_BYTES_MAX).await else {
        return Err(ApiError::internal(
            &"the answer could not be buffered for the Idempotency-Key",
        )
        .into_response());
    };
    let stored = IdempotentResponse {
        status: status.as_u16(),
        location: parts.headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Err(e) = st.app.store_idempotent_response(org, &key, &hash, &stored).await {
        // The effect happened; failing to remember it only weakens a later retry.
        tracing::error!(error = %e, "could not store the answer of an Idempotency-Key");
    }
    parts.headers.remove(REPLAYED_HEADER);
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_hash_covers_method_path_and_body() {
        let a = request_hash(&Method::POST, "/api/v1/payments", b"{}");
        assert_eq!(a, request_hash(&Method::POST, "/api/v1/payments", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/debtors", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/payments", b"{ }"));
    }

    #[test]
    fn server_errors_and_auth_failures_are_not_remembered() {
        assert!(storable(StatusCode::CREATED));
        assert!(storable(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(storable(StatusCode::CONFLICT));
        assert!(!storable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!storable(StatusCode::UNAUTHORIZED));
        assert!(!storable(StatusCode::TOO_MANY_REQUESTS));
    }

    #[test]
    fn a_key_is_claimed_once_until_released() {
        let set = InFlight::default();
        let first = set.claim(OrganisationId(1), "k");
        assert!(first.is_some());
        assert!(set.claim(OrganisationId(1), "k").is_none());
        assert!(set.claim(OrganisationId(2), "k").is_some());
        drop(first);
        assert!(set.claim(OrganisationId(1), "k").is_some());
    }
}
