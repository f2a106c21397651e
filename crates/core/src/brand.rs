//! An organisation's look and its own bank accounts: the accent colour and logo its letters,
//! e-mails and debtor pages carry, and which of its accounts reminders may name.

use std::fmt;

use serde::Serialize;

/// The largest logo accepted, in bytes: a letterhead logo is a few kilobytes; this keeps every
/// letter small.
pub const LOGO_BYTES_MAX: usize = 256 * 1024;

/// The accent colour when an organisation chose none.
pub const DEFAULT_ACCENT: &str = "#1f4e79";

/// How an organisation's messages and pages look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    /// `#rrggbb` (lower case), or `None` for [`DEFAULT_ACCENT`].
    pub accent_colour: Option<String>,
    pub logo: Option<Logo>,
}

impl Branding {
    /// The colour to use: the organisation's or [`DEFAULT_ACCENT`].
    #[must_use]
    pub fn accent(&self) -> &str {
        self.accent_colour.as_deref().unwrap_or(DEFAULT_ACCENT)
    }
}

/// A logo image and its kind.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: LogoKind,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.kind.media_type(), self.bytes.len())
    }
}

/// The image formats a logo may have: both print sharply in a PDF and show in every browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogoKind {
    Png,
    Svg,
}

impl LogoKind {
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Svg => "image/svg+xml",
        }
    }

    /// The kind stored under `media_type`.
    #[must_use]
    pub fn from_media_type(media_type: &str) -> Option<LogoKind> {
        match media_type {
            "image/png" => Some(LogoKind::Png),
            "image/svg+xml" => Some(LogoKind::Svg),
            _ => None,
        }
    }
}

/// Why a colour or logo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrandError {
    #[error("'{0}' is not a colour of the form #rrggbb")]
    Colour(String),
    #[error("the logo is empty")]
    EmptyLogo,
    #[error("the logo has {0} bytes; at most {LOGO_BYTES_MAX} are accepted")]
    LogoTooLarge(usize),
    #[error("the logo is neither a PNG nor an SVG image")]
    LogoFormat,
    #[error("an SVG logo may not contain scripts, event handlers or external references")]
    ActiveSvg,
}

/// `text` as a colour `#rrggbb` (also accepted: upper case, surrounding spaces, `#rgb`).
///
/// # Errors
/// [`BrandError::Colour`].
pub fn parse_colour(text: &str) -> Result<String, BrandError> {
    let t = text.trim();
    let hex = t.strip_prefix('#').ok_or_else(|| BrandError::Colour(t.to_owned()))?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BrandError::Colour(t.to_owned()));
    }
    let hex = hex.to_ascii_lowercase();
    match hex.len() {
        6 => Ok(format!("#{hex}")),
        3 => Ok(format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>())),
        _ => Err(BrandError::Colour(t.to_owned())),
    }
}

/// `bytes` as a logo: a PNG (by its signature) or an SVG document without active content.
///
/// # Errors
/// [`BrandError`] for an empty, too large, unknown or scripted image.
pub fn parse_logo(bytes: &[u8]) -> Result<Logo, BrandError> {
    if bytes.is_empty() {
        return Err(BrandError::EmptyLogo);
    }
    if bytes.len() > LOGO_BYTES_MAX {
        return Err(BrandError::LogoTooLarge(bytes.len()));
    }
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        return Ok(Logo { kind: LogoKind::Png, bytes: bytes.to_vec() });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| BrandError::LogoFormat)?;
    let lower = text.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    let svg = lower.starts_with("<svg")
        || ((lower.starts_with("<?xml")
            || lower.starts_with("<!--")
            || lower.starts_with("<!doctype"))
            && lower.contains("<svg"));
    if !svg {
        return Err(BrandError::LogoFormat);
    }
    // The logo is shown on pages of our own origin: nothing in it may run or fetch. Refusing is
    // simpler and safer than cleaning.
    let active = ["<script", "javascript:", "<foreignobject", "<iframe", "<!entity", "data:text"]
        .iter()
        .any(|needle| lower.contains(needle))
        || has_event_handler(&lower)
        || has_external_reference(&lower);
    if active {
        return Err(BrandError::ActiveSvg);
    }
    Ok(Logo { kind: LogoKind::Svg, bytes: bytes.to_vec() })
}

/// An attribute `on…=` inside a tag (`onload=`, `onclick =`).
fn has_event_handler(lower: &str) -> bool {
    let b = lower.as_bytes();
    lower.match_indices("on").any(|(i, _)| {
        let before_ok = i
            .checked_sub(1)
            .and_then(|p| b.get(p))
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/');
        let rest = b.get(i + 2..).unwrap_or_default();
        let letters = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let after = rest.get(letters..).unwrap_or_default();
        let spaces = after.iter().take_while(|c| c.is_ascii_whitespace()).count();
        before_ok && letters > 0 && after.get(spaces) == Some(&b'=')
    })
}

/// An `href` (or `xlink:href`) that points outside the document (anything but `#id`).
fn has_external_reference(lower: &str) -> bool {
    lower.match_indices("href").any(|(i, _)| {
        let rest = lower.get(i + 4..).unwrap_or_default().trim_start();
        let Some(rest) = rest.strip_prefix('=') else { return false };
        let value = rest.trim_start().trim_start_matches(['"', '\'']);
        !value.starts_with('#')
    })
}

/// One of an organisation's own bank accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnAccount {
    /// Electronic form.
    pub iban: String,
    pub bic: Option<String>,
    /// What people call it ("ING current account").
    pub label: String,
    /// A closed account: reminders cannot name it and its statements are refused.
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_normalised_or_refused() {
        assert_eq!(parse_colour(" #1F4E79 ").unwrap(), "#1f4e79");
        assert_eq!(parse_colour("#0aF").unwrap(), "#00aaff");
        for bad in ["1f4e79", "#1f4e7", "#1f4e7g", "#", "", "red", "#1f4e79ff"] {
            assert_eq!(parse_colour(bad), Err(BrandError::Colour(bad.trim().to_owned())), "{bad}");
        }
    }

    #[test]
    fn a_png_or_a_plain_svg_is_a_logo() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(parse_logo(&png).unwrap().kind, LogoKind::Png);
        let svg = br##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><use href="#a"/><rect id="a" width="10" height="10" fill="#123456"/></svg>"##;
        assert_eq!(parse_logo(svg).unwrap().kind, LogoKind::Svg);
        assert_eq!(parse_logo(b""), Err(BrandError::EmptyLogo));
        assert_eq!(parse_logo(b"GIF89a...."), Err(BrandError::LogoFormat));
        assert_eq!(parse_logo(&[0xff, 0xd8, 0xff, 0xe0]), Err(BrandError::LogoFormat));
        let big = vec![b' '; LOGO_BYTES_MAX + 1];
        assert_eq!(parse_logo(&big), Err(BrandError::LogoTooLarge(LOGO_BYTES_MAX + 1)));
    }

    #[test]
    fn an_svg_that_could_run_or_fetch_is_refused() {
        for bad in [
            r#"<svg><script>alert(1)</script></svg>"#,
            r#"<svg onload="alert(1)"></svg>"#,
            r#"<svg><rect ONCLICK = "x()"/></svg>"#,
            r#"<svg><a href="javascript:alert(1)"><rect/></a></svg>"#,
            r#"<svg><image href="https://tracker.example/p.png"/></svg>"#,
            r#"<svg><image xlink:href='http://x/y'/></svg>"#,
            r#"<svg><foreignObject><div/></foreignObject></svg>"#,
            r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>"#,
        ] {
            assert_eq!(parse_logo(bad.as_bytes()), Err(BrandError::ActiveSvg), "{bad}");
        }
        // Words that merely contain "on" are fine.
        assert!(
            parse_logo(br#"<svg><text font-family="Montserrat" content="one">London</text></svg>"#)
                .is_ok()
        );
    }
}
