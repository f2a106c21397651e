//! E-mail against a real SMTP server on loopback: aiosmtpd, started by `scripts/lib/smtp.sh`.
//!
//! ```sh
//! . scripts/lib/smtp.sh && start_test_smtp
//! cargo test -p arflow-notify
//! ```
//!
//! The messages are read back from the server's Maildir and taken apart with the small MIME
//! reader at the bottom of this file (written from the RFCs, not from lettre), so the test sees
//! what a mail client would see. These tests fail, never skip, when the servers are missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arflow_core::party::{DebtorKind, Language, OrgCountry};
use arflow_notify::SendError;
use arflow_notify::email::{
    Attachment, Mailbox, Mailer, MessageId, OutgoingEmail, Security, SmtpConfig,
};
use arflow_notify::templates::{RenderContext, StepKey, Templates};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set. These tests need the test SMTP servers: run \
             `. scripts/lib/smtp.sh && start_test_smtp` in the shell that runs cargo test \
             (it starts aiosmtpd on 127.0.0.1 and exports ARFLOW_TEST_SMTP, ARFLOW_TEST_MAILDIR \
             and ARFLOW_TEST_SMTP_REJECT)."
        )
    })
}

fn sender() -> Mailbox {
    "Voorbeeld Installatietechniek B.V. <debiteuren@voorbeeld.example>".parse().unwrap()
}

fn mailer(address: &str) -> Mailer {
    let (host, port) = address.rsplit_once(':').expect("ARFLOW_TEST_SMTP* is host:port");
    let mut config = SmtpConfig::new(host, port.parse().unwrap(), Security::Plain, sender());
    config.timeout = Duration::from_secs(10);
    Mailer::new(config).unwrap()
}

/// A key no earlier run against the same Maildir used.
fn unique_key(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("test/{test}/{}/{nanos}", std::process::id())
}

fn email(test: &str, to: &[&str]) -> OutgoingEmail {
    let from = sender();
    OutgoingEmail {
        message_id: MessageId::for_sender(&unique_key(test), &from).unwrap(),
        from,
        to: to.iter().map(|t| t.parse().unwrap()).collect(),
        reply_to: None,
        subject: "Test".into(),
        text: "Test\n".into(),
        html: None,
        attachments: vec![],
        headers: vec![],
    }
}

/// The bytes of the message with `message_id` in the Maildir, waiting a little for it.
fn delivered(maildir: &Path, message_id: &str) -> Vec<u8> {
    let started = Instant::now();
    let new = maildir.join("new");
    loop {
        for entry in std::fs::read_dir(&new).into_iter().flatten().flatten() {
            let Ok(bytes) = std::fs::read(entry.path()) else { continue };
            let message = Part::parse(&bytes);
            if message.header("message-id").as_deref() == Some(message_id) {
                return bytes;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{message_id} did not arrive in {}",
            new.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PDF-looking file with every byte value, so any re-encoding would show.
fn pdf_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(70_000));
    bytes.extend(b"\r\n%%EOF\n\r\0");
    bytes
}

#[tokio::test]
async fn a_rendered_reminder_arrives_with_headers_bodies_and_attachments_intact() {
    let maildir = PathBuf::from(env("ARFLOW_TEST_MAILDIR"));
    let mailer = mailer(&env("ARFLOW_TEST_SMTP"));
    let ctx = RenderContext::sample(Language::Nl, OrgCountry::Nl, DebtorKind::Consumer);
    let rendered =
        Templates::builtin().render(StepKey::NoticeOfDefault, Language::Nl, &ctx).unwrap();
    let pdf = pdf_bytes();
    let mut email = email("full", &["Jan de Vriës <jan@example.org>", "boekhouding@example.org"]);
    email.reply_to = Some("Team Debiteuren <team@voorbeeld.example>".parse().unwrap());
    email.subject = rendered.subject.clone();
    email.text = rendered.text.clone();
    email.html = Some(rendered.html.clone());
    email.headers = vec![("X-Arflow-Message".into(), "42".into())];
    email.attachments = vec![
        Attachment {
            file_name: "Aanmaning – factuur 2026-0815 (€ 1.317,03).pdf".into(),
            content_type: "application/pdf".into(),
            bytes: pdf.clone(),
        },
        Attachment {
            file_name: "Übersicht.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            bytes: "factuur;bedrag\n2026-0815;1210.00\n".into(),
        },
    ];

    mailer.send(&email).await.unwrap();

    let message = Part::parse(&delivered(&maildir, email.message_id.as_str()));
    assert_eq!(message.header("message-id").unwrap(), email.message_id.as_str());
    // A display name with a full stop is a quoted string (RFC 5322 phrase).
    assert_eq!(
        message.header("from").unwrap(),
        "\"Voorbeeld Installatietechniek B.V.\" <debiteuren@voorbeeld.example>"
    );
    assert_eq!(
        message.header("to").unwrap(),
        "Jan de Vriës <jan@example.org>, boekhouding@example.org"
    );
    assert_eq!(message.header("reply-to").unwrap(), "\"Team Debiteuren\" <team@voorbeeld.example>");
    assert_eq!(message.header("subject").unwrap(), rendered.subject);
    assert!(rendered.subject.contains("€\u{a0}1.317,03"), "{}", rendered.subject);
    assert!(message.raw_header("subject").unwrap().is_ascii(), "subjects are encoded");
    assert_eq!(message.header("x-arflow-message").unwrap(), "42");
    assert!(message.header("date").is_some());
    // aiosmtpd records the envelope: both recipients got it.
    let rcpt = message.header("x-rcptto").unwrap();
    assert!(rcpt.contains("jan@example.org") && rcpt.contains("boekhouding@example.org"), "{rcpt}");

    assert_eq!(message.mime_type(), "multipart/mixed");
    let [alternative, pdf_part, csv_part] = message.parts.as_slice() else {
        panic!("expected 3 parts, got {}", message.parts.len())
    };
    assert_eq!(alternative.mime_type(), "multipart/alternative");
    let [text, html] = alternative.parts.as_slice() else { panic!("expected text and html") };
    assert_eq!(text.mime_type(), "text/plain");
    assert_eq!(text.text(), rendered.text);
    assert_eq!(html.mime_type(), "text/html");
    assert_eq!(html.text(), rendered.html);

    assert_eq!(pdf_part.mime_type(), "application/pdf");
    assert_eq!(pdf_part.file_name().unwrap(), "Aanmaning – factuur 2026-0815 (€ 1.317,03).pdf");
    assert!(pdf_part.body == pdf, "the PDF came back changed ({} bytes)", pdf_part.body.len());
    assert_eq!(csv_part.file_name().unwrap(), "Übersicht.csv");
    assert_eq!(csv_part.body, b"factuur;bedrag\n2026-0815;1210.00\n");
}

#[tokio::test]
async fn a_message_without_html_or_attachments_is_one_text_part() {
    let maildir = PathBuf::from(env("ARFLOW_TEST_MAILDIR"));
    let mailer = mailer(&env("ARFLOW_TEST_SMTP"));
    let mut email = email("text-only", &["klant@example.org"]);
    email.subject = "Rappel : facture échue".into();
    email.text = "Madame, Monsieur,\n\nVeuillez payer 1.317,03\u{a0}€.\n".into();
    mailer.send(&email).await.unwrap();
    let message = Part::parse(&delivered(&maildir, email.message_id.as_str()));
    assert_eq!(message.mime_type(), "text/plain");
    assert_eq!(message.header("subject").unwrap(), "Rappel : facture échue");
    // lettre ends a single-part body with extra line breaks; a reader sees the same text.
    assert_eq!(message.text().trim_end(), email.text.trim_end());
}

#[tokio::test]
async fn one_mailer_sends_many_messages_at_once() {
    let maildir = PathBuf::from(env("ARFLOW_TEST_MAILDIR"));
    let mailer = mailer(&env("ARFLOW_TEST_SMTP"));
    let emails: Vec<OutgoingEmail> =
        (0..8).map(|i| email(&format!("pool-{i}"), &["klant@example.org"])).collect();
    let sends: Vec<_> = emails
        .iter()
        .cloned()
        .map(|email| {
            let mailer = mailer.clone();
            tokio::spawn(async move { mailer.send(&email).await })
        })
        .collect();
    for send in sends {
        send.await.unwrap().unwrap();
    }
    for email in &emails {
        delivered(&maildir, email.message_id.as_str());
    }
}

#[tokio::test]
async fn a_refused_recipient_is_a_permanent_failure() {
    let mailer = mailer(&env("ARFLOW_TEST_SMTP_REJECT"));
    let email = email("reject", &["reject-me@example.org"]);
    match mailer.send(&email).await {
        Err(SendError::Permanent { code, message }) => {
            assert_eq!(code, 550);
            assert!(message.contains("mailbox unavailable"), "{message}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deferred_recipient_is_a_transient_failure_that_was_not_delivered() {
    let mailer = mailer(&env("ARFLOW_TEST_SMTP_REJECT"));
    let email = email("defer", &["defer-me@example.org"]);
    match mailer.send(&email).await {
        Err(error @ SendError::Transient { possibly_delivered: false, .. }) => {
            assert!(error.is_retryable());
            assert!(error.to_string().contains("451"), "{error}");
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_rejecting_server_still_accepts_other_recipients() {
    let mailer = mailer(&env("ARFLOW_TEST_SMTP_REJECT"));
    mailer.send(&email("accept", &["klant@example.org"])).await.unwrap();
}

#[tokio::test]
async fn a_server_that_is_not_there_is_a_transient_failure_that_was_not_delivered() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = mailer(&format!("127.0.0.1:{port}"));
    match mailer.send(&email("nobody", &["klant@example.org"])).await {
        Err(SendError::Transient { possibly_delivered: false, .. }) => {}
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// A small MIME reader (RFC 5322 headers, RFC 2045/2046 multipart and transfer encodings,
// RFC 2047 encoded words, RFC 2231 parameters), enough for what we send.

#[derive(Debug)]
struct Part {
    headers: Vec<(String, String)>,
    /// Decoded body of a leaf part.
    body: Vec<u8>,
    parts: Vec<Part>,
}

impl Part {
    fn parse(bytes: &[u8]) -> Part {
        let (head, body) = split_head(bytes);
        let headers = unfold(head);
        let mut part = Part { headers, body: Vec::new(), parts: Vec::new() };
        if part.mime_type().starts_with("multipart/") {
            let boundary = part.param("content-type", "boundary").expect("multipart boundary");
            part.parts = split_multipart(body, &boundary).iter().map(|p| Part::parse(p)).collect();
        } else {
            let encoding = part.raw_header("content-transfer-encoding").unwrap_or_default();
            part.body = match encoding.trim().to_ascii_lowercase().as_str() {
                "base64" => base64_decode(body),
                "quoted-printable" => qp_decode(body),
                _ => body.to_vec(),
            };
        }
        part
    }

    fn raw_header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }

    /// A header as a reader sees it (encoded words decoded).
    fn header(&self, name: &str) -> Option<String> {
        self.raw_header(name).map(|v| decode_words(v.trim()))
    }

    fn mime_type(&self) -> String {
        self.raw_header("content-type")
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_else(|| "text/plain".into())
    }

    fn params(&self, header: &str) -> BTreeMap<String, String> {
        let value = self.raw_header(header).unwrap_or_default();
        let mut params = BTreeMap::new();
        for piece in split_params(&value).into_iter().skip(1) {
            if let Some((k, v)) = piece.split_once('=') {
                let v = v.trim();
                let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
                params.insert(k.trim().to_ascii_lowercase(), v.to_owned());
            }
        }
        params
    }

    fn param(&self, header: &str, name: &str) -> Option<String> {
        let params = self.params(header);
        if let Some(v) = params.get(name) {
            return Some(decode_words(v));
        }
        // RFC 2231: name*=charset'lang'pct, or name*0*=…, name*1*=… (the `*` suffix means
        // percent-encoded).
        let mut pieces: Vec<(usize, String)> = Vec::new();
        for (key, value) in &params {
            let Some(rest) = key.strip_prefix(name).and_then(|r| r.strip_prefix('*')) else {
                continue;
            };
            let (index, encoded) = match rest {
                "" => (0, true),
                r => match r.strip_suffix('*') {
                    Some(n) => (n.parse().unwrap(), true),
                    None => (r.parse().unwrap(), false),
                },
            };
            let mut value = value.clone();
            if index == 0 && encoded {
                value = value.splitn(3, '\'').nth(2).unwrap_or_default().to_owned();
            }
            let text = if encoded { percent_decode(&value) } else { value };
            pieces.push((index, text));
        }
        if pieces.is_empty() {
            return None;
        }
        pieces.sort();
        Some(pieces.into_iter().map(|(_, t)| t).collect())
    }

    fn file_name(&self) -> Option<String> {
        self.param("content-disposition", "filename").or_else(|| self.param("content-type", "name"))
    }

    /// A text body as UTF-8 with LF line ends.
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap().replace("\r\n", "\n")
    }
}

fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    for (i, window) in bytes.windows(2).enumerate() {
        if window == b"\n\n" {
            return (&bytes[..i + 1], &bytes[i + 2..]);
        }
        if bytes[i..].starts_with(b"\r\n\r\n") {
            return (&bytes[..i + 2], &bytes[i + 4..]);
        }
    }
    (bytes, &[])
}

fn unfold(head: &[u8]) -> Vec<(String, String)> {
    let head = String::from_utf8_lossy(head).replace("\r\n", "\n");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim_start().to_owned()));
        }
    }
    headers
}

/// Splits `a; b="x;y"; c` at semicolons outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                pieces.last_mut().unwrap().push(c);
            }
            ';' if !quoted => pieces.push(String::new()),
            c => pieces.last_mut().unwrap().push(c),
        }
    }
    pieces.into_iter().map(|p| p.trim().to_owned()).collect()
}

fn split_multipart(body: &[u8], boundary: &str) -> Vec<Vec<u8>> {
    let text = body;
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let trimmed = String::from_utf8_lossy(line);
        let trimmed = trimmed.trim_end();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(mut part) = current.take() {
                // The line break before a delimiter belongs to the delimiter.
                if part.ends_with(b"\r\n") {
                    part.truncate(part.len() - 2);
                } else if part.ends_with(b"\n") {
                    part.truncate(part.len() - 1);
                }
                parts.push(part);
            }
            if trimmed == delimiter {
                current = Some(Vec::new());
            }
        } else if let Some(part) = current.as_mut() {
            part.extend_from_slice(line);
        }
    }
    parts
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn base64_decode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in data {
        if c == b'=' {
            break;
        }
        let Some(v) = base64_value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn qp_decode(data: &[u8]) -> Vec<u8> {
    let data = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let data = data.as_bytes();
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'=' if data.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => {
                let byte = data
                    .get(i + 1)
                    .and_then(|&h| hex(h))
                    .zip(data.get(i + 2).and_then(|&l| hex(l)));
                let (h, l) = byte.expect("bad quoted-printable escape");
                out.push(h * 16 + l);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(hex(bytes[i + 1]).unwrap() * 16 + hex(bytes[i + 2]).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Decodes RFC 2047 encoded words (UTF-8 only); white space between two encoded words goes.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, after) = rest.split_at(start);
        let word = after[2..].splitn(3, '?').collect::<Vec<_>>();
        let end = (word.len() == 3).then(|| word[2].find("?=")).flatten();
        let Some(end) = end else {
            out.push_str(before);
            out.push_str("=?");
            rest = &after[2..];
            last_was_word = false;
            continue;
        };
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        assert!(word[0].eq_ignore_ascii_case("utf-8"), "charset {}", word[0]);
        let payload = &word[2][..end];
        let bytes = match word[1] {
            "B" | "b" => base64_decode(payload.as_bytes()),
            _ => qp_decode(payload.replace('_', " ").as_bytes()),
        };
        out.push_str(&String::from_utf8(bytes).unwrap());
        let consumed = 2 + word[0].len() + 1 + word[1].len() + 1 + end + 2;
        rest = &after[consumed..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

#[test]
fn the_mime_reader_reads_what_the_rfcs_say() {
    assert_eq!(decode_words("=?utf-8?b?4oKs?= =?utf-8?q?_1=2C00?= x"), "€ 1,00 x");
    assert_eq!(base64_decode(b"aGVsbG8=\n"), b"hello");
    assert_eq!(qp_decode(b"a=3D=\r\nb=C3=A9"), "a=bé".as_bytes());
    let part = Part::parse(
        b"Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8''%C3%9C;\n filename*1*=ber.pdf\n\nx",
    );
    assert_eq!(part.file_name().unwrap(), "Über.pdf");
}
