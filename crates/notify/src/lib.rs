//! arflow's notifications: the texts of every dunning step in four languages, e-mail over
//! SMTP, and the interface an SMS provider plugs into.
//!
//! - [`templates`]: built-in and organisation-edited messages (minijinja, sandboxed), the render
//!   model, and the check of the content the law prescribes for the Dutch 14-day letter and the
//!   Belgian consumer's first reminder;
//! - [`format`](mod@format): amounts and dates written per language;
//! - [`email`]: MIME messages with a deterministic `Message-ID` and a pooled SMTP mailer whose
//!   errors tell a retry from a bounce;
//! - [`sms`]: the provider trait, and the marker for "none configured".
//!
//! This crate sends; it does not decide. What to send, when, and what to do after a failure
//! (retry, mark a contact, create a task) is the caller's, with the outbox and idempotency keys
//! of the store.

pub mod email;
pub mod format;
pub mod letter;
pub mod sms;
pub mod templates;

mod send_error;

pub use send_error::SendError;
