//! The use-case error: what went wrong, with a stable machine code for the API and CLI.

use arflow_store::StoreError;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{entity} '{key}' not found")]
    NotFound { entity: &'static str, key: String },
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("{entity} '{key}' exists already{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Conflict { entity: &'static str, key: String, detail: Option<String> },
    #[error("the input was rejected: {}", .0.join("; "))]
    Rejected(Vec<String>),
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("too many failed sign-ins for this address; try again in {} minutes", retry_after_seconds / 60)]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error("this key was used for a different request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    NeedsOrganisation(String),
    #[error(transparent)]
    Store(StoreError),
}

impl AppError {
    /// The stable code: `invoice_not_found`, `validation_failed`, `debtor_exists`, …
    pub fn code(&self) -> String {
        match self {
            AppError::NotFound { entity, .. } => format!("{entity}_not_found"),
            AppError::Invalid { .. } => "validation_failed".into(),
            AppError::Conflict { entity, .. } => format!("{entity}_exists"),
            AppError::Rejected(_) => "input_rejected".into(),
            AppError::Unauthorized => "unauthorized".into(),
            AppError::TooManyAttempts { .. } => "too_many_attempts".into(),
            AppError::IdempotencyKeyReused => "idempotency_key_reused".into(),
            AppError::NeedsOrganisation(_) => "organisation_required".into(),
            AppError::Store(StoreError::NotFound { entity, .. }) => format!("{entity}_not_found"),
            AppError::Store(StoreError::Conflict { entity, .. }) => format!("{entity}_exists"),
            AppError::Store(_) => "internal".into(),
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid { field: Some(field.to_owned()), message: message.into() }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, key } => AppError::NotFound { entity, key },
            StoreError::Conflict { entity, key } => {
                AppError::Conflict { entity, key, detail: None }
            }
            other => AppError::Store(other),
        }
    }
}
