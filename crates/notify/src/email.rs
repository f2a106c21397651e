//! E-mail: a MIME message built from a rendered reminder, and a pooled SMTP mailer.
//!
//! The `Message-ID` comes from the caller's idempotency key ([`MessageId::from_key`]), so the
//! same reminder always carries the same id: a receiving system, or a person comparing a
//! complaint with our outbox, can tell a resend from a new message. The body is
//! `multipart/alternative` (text, HTML), wrapped in `multipart/mixed` when PDFs are attached.
//!
//! [`Mailer::send`] classifies failures as [`SendError`]: a 4xx reply or a network problem is
//! transient, a 5xx reply is permanent (the recipient or message is refused), a refused login
//! or a TLS failure is a configuration problem. TLS uses rustls with the webpki root
//! certificates compiled in; nothing is downloaded.
//!
//! # Examples
//! ```
//! use arflow_notify::email::{build, Mailbox, MessageId, OutgoingEmail};
//! let from: Mailbox = "Acme Debiteuren <debiteuren@acme.example>".parse().unwrap();
//! let email = OutgoingEmail {
//!     message_id: MessageId::for_sender("acme/K-1/3/reminder/1", &from).unwrap(),
//!     from,
//!     to: vec!["Jan <jan@example.org>".parse().unwrap()],
//!     reply_to: None,
//!     subject: "Herinnering".into(),
//!     text: "Geachte heer/mevrouw,\n".into(),
//!     html: None,
//!     attachments: vec![],
//!     headers: vec![("X-Arflow-Message".into(), "42".into())],
//! };
//! let message = build(&email).unwrap();
//! let bytes = String::from_utf8(message.formatted()).unwrap();
//! assert!(bytes.contains("Message-ID: <acme=2FK-1=2F3=2Freminder=2F1@acme.example>"));
//! ```

use std::fmt;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::SendError;

pub use lettre::Address;
pub use lettre::message::Mailbox;

/// Most recipients of one message.
pub const RECIPIENTS_MAX: usize = 10;
/// Most attachments of one message.
pub const ATTACHMENTS_MAX: usize = 10;
/// Most bytes of all attachments of one message together (most servers refuse 25 MB and more,
/// and base64 adds a third).
pub const ATTACHMENT_BYTES_MAX: usize = 15 * 1024 * 1024;
/// Longest idempotency key a `Message-ID` is made from, in bytes.
pub const MESSAGE_KEY_BYTES_MAX: usize = 200;
/// Longest subject or extra header value, in bytes.
pub const HEADER_VALUE_BYTES_MAX: usize = 900;
/// Most extra headers.
pub const EXTRA_HEADERS_MAX: usize = 10;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// No TLS at all: only for a relay on the same machine or a test server.
    Plain,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where and how to send e-mail.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The organisation's sender; [`OutgoingEmail::from`] is usually this.
    pub from: Mailbox,
    /// Where replies go (the credit controllers' shared inbox), when not `from`.
    pub reply_to: Option<Mailbox>,
    /// Time-out of the connection and of each command.
    pub timeout: Duration,
    /// Most connections kept open to the server.
    pub connections_max: u32,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from.to_string())
            .field("reply_to", &self.reply_to.as_ref().map(ToString::to_string))
            .field("timeout", &self.timeout)
            .field("connections_max", &self.connections_max)
            .finish()
    }
}

impl SmtpConfig {
    /// A configuration with the usual defaults: no login, 30 s time-out, 4 connections.
    pub fn new(host: impl Into<String>, port: u16, security: Security, from: Mailbox) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            security,
            username: None,
            password: None,
            from,
            reply_to: None,
            timeout: Duration::from_secs(30),
            connections_max: 4,
        }
    }
}

/// A `Message-ID` (`<left@host>`) derived from an idempotency key: the same key always gives
/// the same id.
///
/// Letters, digits, `-` and `_` of the key are kept; every other byte is written `=XX` (upper-case
/// hex), which keeps the id a valid RFC 5322 `dot-atom` and different keys different ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageId(String);

impl MessageId {
    /// The id for `key` at `host` (a domain of ours, usually the sender's).
    ///
    /// # Errors
    /// [`SendError::Invalid`] for an empty key, a key longer than [`MESSAGE_KEY_BYTES_MAX`], or a
    /// host that is not a domain name.
    pub fn from_key(key: &str, host: &str) -> Result<MessageId, SendError> {
        if key.is_empty() || key.len() > MESSAGE_KEY_BYTES_MAX {
            return Err(invalid(format!(
                "a message key has 1 to {MESSAGE_KEY_BYTES_MAX} bytes, not {}",
                key.len()
            )));
        }
        if !is_domain(host) {
            return Err(invalid(format!("{host:?} is not a domain name")));
        }
        let mut left = String::with_capacity(key.len() * 2);
        for byte in key.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
                left.push(char::from(byte));
            } else {
                left.push_str(&format!("={byte:02X}"));
            }
        }
        Ok(MessageId(format!("<{left}@{host}>")))
    }

    /// The id for `key` at the domain of `sender`.
    ///
    /// # Errors
    /// As [`MessageId::from_key`].
    pub fn for_sender(key: &str, sender: &Mailbox) -> Result<MessageId, SendError> {
        MessageId::from_key(key, sender.email.domain())
    }

    /// The header value, with angle brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A file attached to a message (the reminder as PDF, copies of invoices).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name the reader sees; UTF-8 allowed, no path separators or control characters.
    pub file_name: String,
    /// A MIME type such as `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A message ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub message_id: MessageId,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub subject: String,
    pub text: String,
    /// The HTML alternative; a text-only message when `None`.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Extra headers such as `X-Arflow-Message`; names must not be one of the standard headers
    /// this module sets.
    pub headers: Vec<(String, String)>,
}

fn invalid(reason: String) -> SendError {
    SendError::Invalid { reason }
}

/// Headers that [`build`] sets itself and an extra header may not replace.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

fn check_header_value(what: &str, value: &str) -> Result<(), SendError> {
    if value.len() > HEADER_VALUE_BYTES_MAX {
        return Err(invalid(format!("{what} is longer than {HEADER_VALUE_BYTES_MAX} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("{what} contains a control character or line break")));
    }
    Ok(())
}

/// Builds the MIME message.
///
/// # Errors
/// [`SendError::Invalid`] when a limit is exceeded (recipients, attachments, sizes), the subject
/// or a header value contains a line break, an extra header is a standard one or malformed, an
/// attachment name or content type is unusable, or there is no recipient.
pub fn build(email: &OutgoingEmail) -> Result<Message, SendError> {
    if email.to.is_empty() || email.to.len() > RECIPIENTS_MAX {
        return Err(invalid(format!(
            "a message has 1 to {RECIPIENTS_MAX} recipients, not {}",
            email.to.len()
        )));
    }
    check_header_value("the subject", &email.subject)?;
    if email.headers.len() > EXTRA_HEADERS_MAX {
        return Err(invalid(format!("at most {EXTRA_HEADERS_MAX} extra headers")));
    }
    if email.attachments.len() > ATTACHMENTS_MAX {
        return Err(invalid(format!("at most {ATTACHMENTS_MAX} attachments")));
    }
    let attachment_bytes: usize = email.attachments.iter().map(|a| a.bytes.len()).sum();
    if attachment_bytes > ATTACHMENT_BYTES_MAX {
        return Err(invalid(format!(
            "attachments of {attachment_bytes} bytes; at most {ATTACHMENT_BYTES_MAX}"
        )));
    }

    let mut builder = Message::builder()
        .message_id(Some(email.message_id.as_str().to_owned()))
        .from(email.from.clone())
        .subject(email.subject.clone());
    for to in &email.to {
        builder = builder.to(to.clone());
    }
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    for (name, value) in &email.headers {
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(invalid(format!("{name} is set by the mailer, not as an extra header")));
        }
        let valid_name = name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        let header = HeaderName::new_from_ascii(name.clone())
            .ok()
            .filter(|_| valid_name)
            .ok_or_else(|| invalid(format!("{name:?} is not a header name")))?;
        check_header_value(name, value)?;
        builder = builder.raw_header(HeaderValue::new(header, value.clone()));
    }

    let text = SinglePart::plain(email.text.clone());
    let message = if email.attachments.is_empty() {
        match &email.html {
            Some(html) => builder
                .multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            None => builder.singlepart(text),
        }
    } else {
        let mut mixed = match &email.html {
            Some(html) => MultiPart::mixed().multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::html(html.clone())),
            ),
            None => MultiPart::mixed().singlepart(text),
        };
        for attachment in &email.attachments {
            mixed = mixed.singlepart(mime_attachment(attachment)?);
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| invalid(format!("the message cannot be built: {e}")))
}

fn mime_attachment(attachment: &Attachment) -> Result<SinglePart, SendError> {
    let name = &attachment.file_name;
    let bad_name = name.trim().is_empty()
        || name.len() > 200
        || name.chars().any(|c| c.is_control() || c == '/' || c == '\\' || c == '"');
    if bad_name {
        return Err(invalid(format!("{name:?} is not a usable attachment name")));
    }
    let content_type = ContentType::parse(&attachment.content_type).map_err(|_| {
        invalid(format!("{:?} is not a MIME content type", attachment.content_type))
    })?;
    Ok(MimeAttachment::new(name.clone()).body(attachment.bytes.clone(), content_type))
}

/// A pooled SMTP connection to the organisation's mail server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: SmtpConfig,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("config", &self.config).finish()
    }
}

/// Reply codes of a refused login or of a server that insists on one: our configuration, not
/// the recipient (RFC 4954). (454, a temporary authentication failure, stays transient.)
const AUTH_CODES: &[u16] = &[530, 534, 535, 538];

impl Mailer {
    /// A mailer for `config`. No connection is made until the first message.
    ///
    /// The connection pool runs a clean-up task on the Tokio runtime this is called in: create
    /// the mailer inside the runtime that will send with it.
    ///
    /// # Errors
    /// [`SendError::Config`] when the TLS parameters cannot be made for the host name, or when
    /// called outside a Tokio runtime.
    pub fn new(config: SmtpConfig) -> Result<Mailer, SendError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SendError::Config {
                reason: "the mailer must be created inside a Tokio runtime".into(),
            });
        }
        let builder = match config.security {
            Security::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| SendError::Config { reason: e.to_string() })?
            }
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| SendError::Config { reason: e.to_string() })?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(config.connections_max.max(1)));
        if let Some(username) = &config.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Mailer { transport: builder.build(), config })
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Sends one message. Success means the server answered `250` to the message data.
    ///
    /// # Errors
    /// [`SendError`], classified as described there. The whole attempt is bounded by four times
    /// the configured time-out.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let message = build(email)?;
        let deadline = self.config.timeout.saturating_mul(4);
        let result = match tokio::time::timeout(deadline, self.transport.send(message)).await {
            Ok(result) => result.map(|_| ()).map_err(|e| classify(&e)),
            Err(_) => Err(SendError::Transient {
                reason: format!("no answer within {} s", deadline.as_secs()),
                possibly_delivered: true,
            }),
        };
        match &result {
            Ok(()) => tracing::info!(message_id = %email.message_id, "e-mail sent"),
            Err(error) => {
                tracing::warn!(message_id = %email.message_id, %error, "e-mail not sent");
            }
        }
        result
    }
}

/// Sorts an SMTP failure into what the caller does next.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let source = std::error::Error::source(error).map(ToString::to_string).unwrap_or_default();
    if let Some(code) = error.status() {
        let code = u16::from(code);
        if AUTH_CODES.contains(&code) {
            return SendError::Config { reason: format!("login refused ({code}): {source}") };
        }
        if error.is_permanent() {
            return SendError::Permanent { code, message: source };
        }
        return SendError::Transient {
            reason: format!("{code}: {source}"),
            possibly_delivered: false,
        };
    }
    if error.is_tls() || error.is_client() {
        return SendError::Config { reason: error.to_string() };
    }
    // lettre reports failing to open a connection (refused, unreachable, connect time-out) as a
    // connection error: nothing was sent. An I/O error or time-out during the session, or a
    // reply it cannot parse, may come after the message data was accepted.
    let text = error.to_string();
    if text.starts_with("Connection error") {
        return SendError::Transient { reason: text, possibly_delivered: false };
    }
    SendError::Transient {
        reason: text,
        possibly_delivered: error.is_timeout() || !error.is_transport_shutdown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> OutgoingEmail {
        let from: Mailbox = "Acme <debiteuren@acme.example>".parse().unwrap();
        OutgoingEmail {
            message_id: MessageId::for_sender("k", &from).unwrap(),
            from,
            to: vec!["jan@example.org".parse().unwrap()],
            reply_to: None,
            subject: "Herinnering".into(),
            text: "Tekst\n".into(),
            html: Some("<p>Tekst</p>".into()),
            attachments: vec![],
            headers: vec![],
        }
    }

    fn refused(email: &OutgoingEmail) -> String {
        match build(email) {
            Err(SendError::Invalid { reason }) => reason,
            other => panic!("expected an invalid message, got {other:?}"),
        }
    }

    #[test]
    fn the_message_id_is_a_deterministic_function_of_the_key() {
        let a = MessageId::from_key("acme:K-1/3 reminder.1", "acme.example").unwrap();
        assert_eq!(a.as_str(), "<acme=3AK-1=2F3=20reminder=2E1@acme.example>");
        assert_eq!(a, MessageId::from_key("acme:K-1/3 reminder.1", "acme.example").unwrap());
        // Different keys never share an id, even when they differ only in escaped bytes.
        assert_ne!(
            MessageId::from_key("a=2F", "h.example").unwrap(),
            MessageId::from_key("a/", "h.example").unwrap()
        );
        assert_eq!(MessageId::from_key("é", "h.example").unwrap().as_str(), "<=C3=A9@h.example>");
        assert!(MessageId::from_key("", "h.example").is_err());
        assert!(MessageId::from_key(&"k".repeat(MESSAGE_KEY_BYTES_MAX + 1), "h.example").is_err());
        for host in ["", "a..b", "-a.example", "a b.example", "a@b"] {
            assert!(MessageId::from_key("k", host).is_err(), "{host:?}");
        }
    }

    #[test]
    fn the_message_carries_the_id_and_both_alternatives() {
        let formatted = String::from_utf8(build(&email()).unwrap().formatted()).unwrap();
        assert!(formatted.contains("Message-ID: <k@acme.example>\r\n"), "{formatted}");
        assert!(formatted.contains("Content-Type: multipart/alternative;"), "{formatted}");
        assert!(formatted.contains("Content-Type: text/plain; charset=utf-8"), "{formatted}");
        assert!(formatted.contains("Content-Type: text/html; charset=utf-8"), "{formatted}");
        assert!(!formatted.contains("multipart/mixed"), "{formatted}");
    }

    #[test]
    fn unusable_messages_are_refused_before_sending() {
        let mut e = email();
        e.to.clear();
        assert!(refused(&e).contains("recipients"));
        let mut e = email();
        e.subject = "Herinnering\r\nBcc: everyone@example.org".into();
        assert!(refused(&e).contains("line break"));
        let mut e = email();
        e.headers = vec![("Message-ID".into(), "<other@x>".into())];
        assert!(refused(&e).contains("set by the mailer"));
        let mut e = email();
        e.headers = vec![("X Bad".into(), "1".into())];
        assert!(refused(&e).contains("not a header name"));
        let mut e = email();
        e.headers = vec![("X-Arflow-Message".into(), "1\n2".into())];
        assert!(refused(&e).contains("line break"));
        for name in ["../etc/passwd", "a\\b.pdf", " ", "a\u{0}.pdf", "\"q\".pdf"] {
            let mut e = email();
            e.attachments = vec![Attachment {
                file_name: name.into(),
                content_type: "application/pdf".into(),
                bytes: vec![1],
            }];
            assert!(refused(&e).contains("attachment name"), "{name:?}");
        }
        let mut e = email();
        e.attachments = vec![Attachment {
            file_name: "a.pdf".into(),
            content_type: "not a type".into(),
            bytes: vec![1],
        }];
        assert!(refused(&e).contains("content type"));
        let mut e = email();
        e.attachments = vec![Attachment {
            file_name: "a.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: vec![0; ATTACHMENT_BYTES_MAX + 1],
        }];
        assert!(refused(&e).contains("attachments of"));
    }

    #[test]
    fn a_mailer_outside_a_runtime_is_a_configuration_error() {
        let config =
            SmtpConfig::new("127.0.0.1", 25, Security::Plain, "a@example.org".parse().unwrap());
        assert!(matches!(Mailer::new(config), Err(SendError::Config { .. })));
    }

    #[tokio::test]
    async fn the_password_is_not_in_debug_output() {
        let mut config = SmtpConfig::new(
            "smtp.example",
            587,
            Security::StartTls,
            "a@example.org".parse().unwrap(),
        );
        config.password = Some("hunter2".into());
        assert!(!format!("{config:?}").contains("hunter2"));
        let mailer = Mailer::new(config).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
    }
}
