//! Payment references: Belgian structured communication (OGM/VCS), ISO 11649 RF creditor
//! references and the Dutch betalingskenmerk. Generation and validation.
//!
//! Algorithms: ../shared/notes/legal-and-formats.md §4.

use crate::party::vocabulary;

vocabulary!(
    /// A payment-reference scheme.
    ReferenceScheme, "reference scheme", { Ogm => "ogm", Rf => "rf", Nl => "nl" }
);

/// A validated payment reference in its normalized (electronic) form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PaymentReference {
    pub scheme: ReferenceScheme,
    /// OGM: 12 digits; RF: `RF` + check + body, upper case, no spaces; NL: 7, 9-14 or 16 digits.
    pub normalized: String,
}

/// Why a text is not a valid payment reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("reference is empty")]
    Empty,
    #[error("not a valid payment reference")]
    Invalid,
}

/// Recognises and validates a reference in any scheme.
///
/// # Errors
/// [`ReferenceError`].
pub fn check(_text: &str) -> Result<PaymentReference, ReferenceError> {
    Err(ReferenceError::Invalid)
}

/// Generates the reference of `scheme` for the base number `base`.
///
/// # Errors
/// [`ReferenceError`] when `base` does not fit the scheme.
pub fn generate(_scheme: ReferenceScheme, _base: u64) -> Result<PaymentReference, ReferenceError> {
    Err(ReferenceError::Invalid)
}
