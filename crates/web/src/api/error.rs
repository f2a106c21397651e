//! The API's one error shape: `{"error": {"code", "message", "field"}}` with a stable code.
//!
//! Use-case errors keep the code of [`AppError::code`]; the web layer adds its own codes for
//! what only HTTP knows (`bad_request`, `unauthorized`, `route_not_found`, `payload_too_large`,
//! `timeout`, …). Internal errors are logged with their details and answered with a generic
//! message.

use arflow_app::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    field: Option<&'a str>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_owned(), message: message.into(), field: None }
    }

    pub(crate) fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// 400 `bad_request`: the request cannot be read (bad JSON, bad query parameter).
    pub(crate) fn bad_request(field: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request".into(),
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    /// 422 `validation_failed`: the request was read but a value is not acceptable.
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message)
            .with_field(field)
    }

    /// 404 `{entity}_not_found`.
    pub(crate) fn not_found(entity: &str, key: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            &format!("{entity}_not_found"),
            format!("{} '{key}' not found", entity.replace('_', " ")),
        )
    }

    /// 401 `unauthorized`.
    pub(crate) fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 500 `internal`; the details go to the log, not to the client.
    pub(crate) fn internal(details: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %details, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the details are in the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner { code: &self.code, message: &self.message, field: self.field.as_deref() },
        };
        (self.status, Json(body)).into_response()
    }
}

/// Splits one row error of an API import (`api:1: column COL: value 'X': reason`) into the
/// field and a message without the file position.
fn row_error(text: &str) -> (Option<String>, String) {
    let rest = text.strip_prefix("api:").map_or(text, |r| {
        r.split_once(": ").map_or(r, |(line, tail)| {
            if line.bytes().all(|b| b.is_ascii_digit()) { tail } else { r }
        })
    });
    match rest.strip_prefix("column ").and_then(|r| r.split_once(": ")) {
        Some((column, tail)) => (Some(column.to_owned()), format!("{column}: {tail}")),
        None => (None, rest.to_owned()),
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let code = e.code();
        match &e {
            AppError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, &code, e.to_string()),
            AppError::Invalid { field, message } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message: message.clone(),
                field: field.clone(),
            },
            AppError::Rejected(errors) => {
                let parts: Vec<(Option<String>, String)> =
                    errors.iter().map(|t| row_error(t)).collect();
                let field = parts.first().and_then(|(f, _)| f.clone());
                let message = parts.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ");
                ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code, message, field }
            }
            AppError::Conflict { .. } => ApiError::new(StatusCode::CONFLICT, &code, e.to_string()),
            AppError::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, &code, e.to_string()),
            AppError::TooManyAttempts { .. } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, &code, e.to_string())
            }
            AppError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                &code,
                "this Idempotency-Key was used for a different request (method, path or body); \
                 use a new key for a new request",
            )
            .with_field("Idempotency-Key"),
            AppError::Store(se) if code.ends_with("_not_found") => {
                ApiError::new(StatusCode::NOT_FOUND, &code, se.to_string())
            }
            AppError::Store(se) if code.ends_with("_exists") => {
                ApiError::new(StatusCode::CONFLICT, &code, se.to_string())
            }
            AppError::NeedsOrganisation(_) | AppError::Store(_) => ApiError::internal(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_row_errors_lose_their_file_position_and_name_their_field() {
        let (field, message) =
            row_error("api:1: column debtor_number: value 'X': no debtor with this number");
        assert_eq!(field.as_deref(), Some("debtor_number"));
        assert_eq!(message, "debtor_number: value 'X': no debtor with this number");
        let (field, message) = row_error("api:1: something else");
        assert_eq!(field, None);
        assert_eq!(message, "something else");
    }

    #[test]
    fn use_case_errors_keep_their_codes_and_get_their_statuses() {
        let e = ApiError::from(AppError::NotFound { entity: "invoice", key: "F1".into() });
        assert_eq!((e.status, e.code.as_str()), (StatusCode::NOT_FOUND, "invoice_not_found"));
        let e =
            ApiError::from(AppError::Conflict { entity: "debtor", key: "D".into(), detail: None });
        assert_eq!((e.status, e.code.as_str()), (StatusCode::CONFLICT, "debtor_exists"));
        let e = ApiError::from(AppError::IdempotencyKeyReused);
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code, "idempotency_key_reused");
        let e =
            ApiError::from(AppError::Invalid { field: Some("amount".into()), message: "m".into() });
        assert_eq!(e.field.as_deref(), Some("amount"));
        assert_eq!(e.code, "validation_failed");
    }
}
