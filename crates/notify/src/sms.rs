//! SMS: the interface a provider plugs into. arflow ships no provider.
//!
//! An organisation either has a provider ([`Sms::Configured`]) or not ([`Sms::NotConfigured`]).
//! With none configured the caller does not fail: it writes the text to the outbox as a task for
//! a person (or leaves the channel out of the policy), exactly as it would after a permanent
//! failure.
//!
//! The trait returns a boxed future so that providers can be chosen at run time
//! (`Arc<dyn SmsProvider>`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::SendError;

/// Longest SMS text accepted, in characters (three concatenated GSM-7 segments of 153).
pub const SMS_CHARS_MAX: usize = 459;

/// The future a provider returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Something that delivers a text message to a phone number.
///
/// `to` is an E.164 number (`+31612345678`), already checked with [`check_sms`]. Providers map
/// their own outcomes onto [`SendError`]: rate limits and outages are `Transient`, an unknown or
/// unreachable number is `Permanent`, bad credentials are `Config`.
pub trait SmsProvider: Send + Sync + fmt::Debug {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> SendFuture<'a>;
}

/// The SMS channel of an organisation.
#[derive(Debug, Clone, Default)]
pub enum Sms {
    /// No provider: the caller writes the message to the outbox for a person instead.
    #[default]
    NotConfigured,
    Configured(Arc<dyn SmsProvider>),
}

impl Sms {
    /// The provider, when there is one.
    pub fn provider(&self) -> Option<&Arc<dyn SmsProvider>> {
        match self {
            Sms::NotConfigured => None,
            Sms::Configured(provider) => Some(provider),
        }
    }
}

/// Checks a number and a text before they go to a provider.
///
/// # Errors
/// [`SendError::Invalid`] when `to` is not `+` followed by 8 to 15 digits, or the text is empty
/// or longer than [`SMS_CHARS_MAX`] characters.
///
/// # Examples
/// ```
/// use arflow_notify::sms::check_sms;
/// assert!(check_sms("+31612345678", "Herinnering: factuur 2026-0815").is_ok());
/// assert!(check_sms("0612345678", "x").is_err());
/// ```
pub fn check_sms(to: &str, text: &str) -> Result<(), SendError> {
    let digits = to.strip_prefix('+').unwrap_or_default();
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SendError::Invalid { reason: format!("{to:?} is not an E.164 phone number") });
    }
    let chars = text.chars().count();
    if chars == 0 || chars > SMS_CHARS_MAX {
        return Err(SendError::Invalid {
            reason: format!("an SMS has 1 to {SMS_CHARS_MAX} characters, not {chars}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider written the way a real one would be, recording what it was asked to send.
    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<(String, String)>>);

    impl SmsProvider for Recorder {
        fn send<'a>(&'a self, to: &'a str, text: &'a str) -> SendFuture<'a> {
            Box::pin(async move {
                check_sms(to, text)?;
                self.0
                    .lock()
                    .map_err(|_| SendError::Config { reason: "poisoned".into() })?
                    .push((to.to_owned(), text.to_owned()));
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_configured_provider_is_called_through_the_trait_object() {
        let recorder = Arc::new(Recorder::default());
        let sms = Sms::Configured(recorder.clone());
        let provider = sms.provider().unwrap();
        provider.send("+32470123456", "Rappel : facture 2026-0815").await.unwrap();
        assert_eq!(recorder.0.lock().unwrap().len(), 1);
        let error = provider.send("+32", "x").await.unwrap_err();
        assert!(matches!(error, SendError::Invalid { .. }));
    }

    #[test]
    fn no_provider_is_the_default() {
        assert!(Sms::default().provider().is_none());
    }

    #[test]
    fn texts_longer_than_three_segments_are_refused() {
        assert!(check_sms("+31612345678", &"a".repeat(SMS_CHARS_MAX)).is_ok());
        assert!(check_sms("+31612345678", &"a".repeat(SMS_CHARS_MAX + 1)).is_err());
        assert!(check_sms("+31612345678", "").is_err());
    }
}
