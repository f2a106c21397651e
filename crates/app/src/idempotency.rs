//! Idempotency-Key support for POST requests (the web crate's middleware calls these).
//!
//! A client that retries a POST with the same `Idempotency-Key` gets the first answer again
//! instead of a second effect. The key is remembered per organisation together with the SHA-256
//! of the request (method, path and body, computed by the caller) and the response that was
//! sent; the same key with another request is refused with
//! [`AppError::IdempotencyKeyReused`].
//!
//! The stored body is a small JSON envelope `{"location": …, "body": …}` so that a replayed
//! `201 Created` still carries its `Location`.

use arflow_core::id::OrganisationId;
use arflow_store::StoredIdempotency;
use serde::{Deserialize, Serialize};

use crate::{App, AppError};

/// Longest Idempotency-Key accepted, in bytes.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;

/// A response remembered under an Idempotency-Key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotentResponse {
    pub status: u16,
    /// The `Location` header of the response, when it had one.
    pub location: Option<String>,
    /// The response body as sent (JSON text).
    pub body: String,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    location: Option<String>,
    body: String,
}

/// Checks the shape of a key: 1 to [`IDEMPOTENCY_KEY_BYTES_MAX`] visible ASCII characters.
///
/// # Errors
/// [`AppError::Invalid`] naming the `Idempotency-Key` header.
pub fn check_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES_MAX {
        return Err(AppError::invalid(
            "Idempotency-Key",
            format!("an Idempotency-Key must be 1-{IDEMPOTENCY_KEY_BYTES_MAX} characters"),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "an Idempotency-Key may only hold visible ASCII characters (no spaces)",
        ));
    }
    Ok(())
}

impl App {
    /// The response stored under `key` for the request hashing to `request_sha256`, or `None`
    /// when the key is new.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed key; [`AppError::IdempotencyKeyReused`] when the
    /// key was used for a different request; store errors.
    pub async fn find_idempotent_response(
        &self,
        org: OrganisationId,
        key: &str,
        request_sha256: &str,
    ) -> Result<Option<IdempotentResponse>, AppError> {
        check_key(key)?;
        let mut tx = self.store.read().await?;
        let found = tx.find_idempotency(org, key).await?;
        tx.rollback().await?;
        let Some(stored) = found else { return Ok(None) };
        if stored.request_sha256 != request_sha256 {
            return Err(AppError::IdempotencyKeyReused);
        }
        Ok(Some(decode(stored)))
    }

    /// Remembers the response to the request hashing to `request_sha256` under `key`.
    ///
    /// When two requests with the same key raced and the other one was stored first, this is
    /// not an error as long as it was the same request.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed key; [`AppError::IdempotencyKeyReused`] when the
    /// key was stored meanwhile for a different request; store errors.
    pub async fn store_idempotent_response(
        &self,
        org: OrganisationId,
        key: &str,
        request_sha256: &str,
        response: &IdempotentResponse,
    ) -> Result<(), AppError> {
        check_key(key)?;
        let body = serde_json::to_string(&Envelope {
            location: response.location.clone(),
            body: response.body.clone(),
        })
        .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })?;
        let value = StoredIdempotency {
            request_sha256: request_sha256.to_owned(),
            status: response.status,
            body,
        };
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        match tx.insert_idempotency(org, key, &value, now).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(())
            }
            Err(arflow_store::StoreError::Conflict { .. }) => {
                tx.rollback().await?;
                match self.find_idempotent_response(org, key, request_sha256).await? {
                    Some(_) => Ok(()),
                    None => Err(AppError::IdempotencyKeyReused),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn decode(stored: StoredIdempotency) -> IdempotentResponse {
    match serde_json::from_str::<Envelope>(&stored.body) {
        Ok(e) => IdempotentResponse { status: stored.status, location: e.location, body: e.body },
        // Not an envelope: a body stored as it was sent.
        Err(_) => IdempotentResponse { status: stored.status, location: None, body: stored.body },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(check_key("a-1_B.c").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("with space").is_err());
        assert!(check_key(&"k".repeat(255)).is_ok());
        assert!(check_key(&"k".repeat(256)).is_err());
        assert!(check_key("ключ").is_err());
    }

    #[test]
    fn stored_bodies_decode_with_or_without_an_envelope() {
        let raw =
            StoredIdempotency { request_sha256: "x".into(), status: 201, body: "{\"a\":1}".into() };
        assert_eq!(decode(raw).body, "{\"a\":1}");
        let env =
            serde_json::to_string(&Envelope { location: Some("/x".into()), body: "{}".into() })
                .unwrap();
        let r = decode(StoredIdempotency { request_sha256: "x".into(), status: 201, body: env });
        assert_eq!(r.location.as_deref(), Some("/x"));
        assert_eq!(r.body, "{}");
    }
}
