//! How a delivery attempt failed, in the terms the caller acts on.

use serde::Serialize;

/// Why a message (e-mail or SMS) was not delivered.
///
/// - [`SendError::Transient`]: try again later (4xx replies, connection problems, time-outs).
///   When `possibly_delivered` is true the failure happened while the message may already have
///   been accepted (a connection lost or a time-out during the session): the caller should mark
///   the message `uncertain` for a person rather than resend it blindly.
/// - [`SendError::Permanent`]: the server refused this message or recipient for good (5xx):
///   mark the contact and create a task; sending again will not help.
/// - [`SendError::Config`]: our side is wrong (authentication refused, TLS failure, an unusable
///   server address): no message can go out until an operator fixes it; not the contact's fault.
/// - [`SendError::Invalid`]: the message itself cannot be built (bad address, header, file
///   name); nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SendError {
    #[error("temporary failure{}: {reason}", if *possibly_delivered { " (the message may have been delivered)" } else { "" })]
    Transient { reason: String, possibly_delivered: bool },
    #[error("rejected with {code}: {message}")]
    Permanent { code: u16, message: String },
    #[error("configuration problem: {reason}")]
    Config { reason: String },
    #[error("invalid message: {reason}")]
    Invalid { reason: String },
}

impl SendError {
    /// Whether sending the same message again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }
}
