//! PDF letters (reminders, demands, notices) laid out by typst, with the EPC QR code for the
//! payment.
//!
//! This crate is on its own because typst is the heaviest build in the workspace: it is compiled
//! once and rarely touched. Everything is embedded: the template, the Noto Sans fonts (from the
//! `notosans` crate); no file system, no system fonts, no network. The letter's data reach the
//! template as a virtual JSON file, so text from users is always data and never typst markup.
//!
//! A [`Renderer`] loads the fonts and the standard library once; build one per process and share
//! it (it is `Send + Sync`). Each [`Renderer::render`] then costs a few milliseconds in a release
//! build.
//!
//! # Examples
//! ```no_run
//! # fn letter() -> arflow_pdf::Letter { unimplemented!() }
//! let renderer = arflow_pdf::Renderer::new();
//! let pdf: Vec<u8> = renderer.render(&letter())?;
//! # Ok::<(), arflow_pdf::PdfError>(())
//! ```

mod labels;
mod world;

use std::fmt;

use arflow_core::party::Language;
use qrcode::{EcLevel, QrCode, Version};
use serde::{Deserialize, Serialize};
use typst::foundations::{Bytes, Smart};
use typst_layout::PagedDocument;

use crate::world::{LetterFiles, Shared};

/// Most invoice lines in one letter (a letter of 2000 lines is about 45 pages).
pub const ITEMS_MAX: usize = 2000;
/// Most charge lines in one letter.
pub const CHARGES_MAX: usize = 50;
/// Most paragraphs in one letter.
pub const PARAGRAPHS_MAX: usize = 100;
/// Most address lines of a party: more would not fit the envelope window.
pub const ADDRESS_LINES_MAX: usize = 6;
/// Most registration lines (VAT, KvK, enterprise number, …) of the creditor.
pub const REGISTRATION_LINES_MAX: usize = 6;
/// Largest logo accepted, in bytes.
pub const LOGO_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Largest QR code version the EPC guideline allows (69 × 69 modules).
const QR_VERSION_MAX: i16 = 13;
/// Accent colour when the creditor has none.
pub const DEFAULT_ACCENT_COLOUR: &str = "#1F4E79";
/// Renders between two evictions of typst's memoization caches: an eviction walks every cache,
/// which cost as much as a tenth of a letter's rendering when done after each one.
const EVICT_EVERY: usize = 16;
/// How many evictions a memoized layout result may stay unused before it is dropped, so about
/// `EVICT_EVERY × CACHE_AGE_MAX` renders (keeps a long-running server's memory flat while the
/// template's own work stays cached).
const CACHE_AGE_MAX: usize = 2;

/// A letter to render: everything is text already formatted for the letter's language (dates,
/// amounts), except the EPC payload, which goes into the QR code byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// Language of the fixed labels (table headers, "Total", the payment block, page numbers).
    pub language: Language,
    pub creditor: Party,
    pub debtor: Party,
    /// For example `Amsterdam, 3 maart 2026`.
    pub place_date: String,
    /// For example `Klantnummer 10023 · Ons kenmerk AR-2026-0042`.
    pub reference_line: String,
    pub title: String,
    /// Paragraphs of plain text; a `\n` inside one is a line break.
    pub paragraphs: Vec<String>,
    pub items: Vec<LetterItem>,
    pub charges: Vec<LetterCharge>,
    /// Total still to pay: open items plus charges.
    pub total_due: String,
    /// ISO code shown with the amounts (`EUR`).
    pub currency: String,
    pub payment: PaymentBlock,
    /// EPC QR payload from [`arflow_core::epc::epc_payload`]; `None` prints no QR code.
    pub epc_payload: Option<String>,
    /// One line at the bottom of every page, next to the page number.
    pub footer: String,
}

/// A creditor or debtor as printed. For the debtor only `name` and `address_lines` are used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    /// Street, postcode and town, country: one line each (at most [`ADDRESS_LINES_MAX`]).
    pub address_lines: Vec<String>,
    /// As printed (`NL91 ABNA 0417 1643 00`).
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// VAT number, KvK or enterprise number, phone, e-mail: one line each, as printed (at most
    /// [`REGISTRATION_LINES_MAX`]).
    pub registration_lines: Vec<String>,
    /// `#RRGGBB`; the table header and headings use it. `None` means [`DEFAULT_ACCENT_COLOUR`].
    pub accent_colour: Option<String>,
    /// Printed top right, at most 60 × 20 mm.
    #[serde(skip)]
    pub logo: Option<Logo>,
}

/// A logo image.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub format: LogoFormat,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({:?}, {} bytes)", self.format, self.bytes.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Svg,
}

impl LogoFormat {
    fn typst_name(self) -> &'static str {
        match self {
            LogoFormat::Png => "png",
            LogoFormat::Svg => "svg",
        }
    }
}

/// One open invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterItem {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    /// The invoice amount.
    pub amount: String,
    /// What is still open of it.
    pub open: String,
}

/// A charge (interest, collection costs, fee) with the short explanation of its basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterCharge {
    pub label: String,
    pub amount: String,
    /// For example `Art. 6:96 BW: 15% of the first EUR 2,500.00, minimum EUR 40.00`; may be empty.
    pub explanation: String,
}

/// How to pay, printed next to the QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentBlock {
    pub iban: String,
    pub bic: Option<String>,
    pub beneficiary: String,
    /// The reference as people type it (`+++090/9337/55493+++`, `RF18 5390 0754 7034`).
    pub reference_display: String,
    pub amount: String,
    /// Date to pay by, formatted; empty prints no line.
    pub pay_by: String,
}

/// Why a letter could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("the accent colour {0:?} is not of the form #RRGGBB")]
    AccentColour(String),
    #[error("the letter has {found} {what}, but at most {max} are allowed")]
    TooMany { what: &'static str, found: usize, max: usize },
    #[error("the logo has {found} bytes, but at most {max} are allowed")]
    LogoTooLarge { found: usize, max: usize },
    #[error("the EPC payload does not fit an EPC QR code: {0}")]
    Qr(String),
    #[error("the letter data could not be encoded: {0}")]
    Data(String),
    /// The template failed on these data (for example a logo that is not a valid image).
    #[error("the letter could not be laid out: {0}")]
    Layout(String),
    #[error("the PDF could not be written: {0}")]
    Export(String),
}

/// Renders letters to PDF. Build once, share, render many.
pub struct Renderer {
    shared: Shared,
    /// Renders so far, for [`EVICT_EVERY`].
    renders: std::sync::atomic::AtomicUsize,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer").field("fonts", &self.shared.font_count()).finish()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

/// What the template reads from `/data.json`.
#[derive(Serialize)]
struct TemplateData<'a> {
    lang: &'static str,
    labels: &'static labels::Labels,
    accent: &'a str,
    on_accent: &'static str,
    qr: bool,
    logo: Option<&'static str>,
    letter: &'a Letter,
}

impl Renderer {
    /// Loads the fonts and the typst standard library (a few milliseconds).
    pub fn new() -> Renderer {
        Renderer { shared: Shared::new(), renders: std::sync::atomic::AtomicUsize::new(0) }
    }

    /// Renders `letter` as an A4 PDF.
    ///
    /// # Errors
    /// [`PdfError`]: a limit or the accent colour is broken, the EPC payload does not fit a QR
    /// code, or typst failed (a broken logo image, for instance).
    pub fn render(&self, letter: &Letter) -> Result<Vec<u8>, PdfError> {
        check_limits(letter)?;
        let accent = letter.creditor.accent_colour.as_deref().unwrap_or(DEFAULT_ACCENT_COLOUR);
        let rgb = parse_colour(accent)?;
        let qr = letter.epc_payload.as_deref().map(qr_svg).transpose()?;
        let logo = letter.creditor.logo.as_ref();
        let data = TemplateData {
            lang: letter.language.as_str(),
            labels: labels::labels(letter.language),
            accent,
            on_accent: text_colour_on(rgb),
            qr: qr.is_some(),
            logo: logo.map(|l| l.format.typst_name()),
            letter,
        };
        let json = serde_json::to_vec(&data).map_err(|e| PdfError::Data(e.to_string()))?;
        let files = LetterFiles {
            data: Bytes::new(json),
            qr: qr.map(Bytes::from_string),
            logo: logo.map(|l| Bytes::new(l.bytes.clone())),
        };
        let result = self.compile(files);
        let n = self.renders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % EVICT_EVERY == EVICT_EVERY - 1 {
            typst::comemo::evict(CACHE_AGE_MAX);
        }
        result
    }

    fn compile(&self, files: LetterFiles) -> Result<Vec<u8>, PdfError> {
        let world = self.shared.world(files);
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|diagnostics| PdfError::Layout(world::describe(&world, &diagnostics)))?;
        let options = typst_pdf::PdfOptions {
            creator: Smart::Custom(Some("arflow".to_owned())),
            ..typst_pdf::PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options)
            .map_err(|diagnostics| PdfError::Export(world::describe(&world, &diagnostics)))
    }
}

fn check_limits(letter: &Letter) -> Result<(), PdfError> {
    let counts = [
        ("invoice lines", letter.items.len(), ITEMS_MAX),
        ("charges", letter.charges.len(), CHARGES_MAX),
        ("paragraphs", letter.paragraphs.len(), PARAGRAPHS_MAX),
        ("creditor address lines", letter.creditor.address_lines.len(), ADDRESS_LINES_MAX),
        ("debtor address lines", letter.debtor.address_lines.len(), ADDRESS_LINES_MAX),
        (
            "creditor registration lines",
            letter.creditor.registration_lines.len(),
            REGISTRATION_LINES_MAX,
        ),
    ];
    for (what, found, max) in counts {
        if found > max {
            return Err(PdfError::TooMany { what, found, max });
        }
    }
    if let Some(logo) = &letter.creditor.logo
        && logo.bytes.len() > LOGO_BYTES_MAX
    {
        return Err(PdfError::LogoTooLarge { found: logo.bytes.len(), max: LOGO_BYTES_MAX });
    }
    Ok(())
}

/// Parses `#RRGGBB` into its three channels.
fn parse_colour(text: &str) -> Result<[u8; 3], PdfError> {
    let bad = || PdfError::AccentColour(text.to_owned());
    // Only hex digits: `u8::from_str_radix` alone would also take a leading `+`.
    let hex = text
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(bad)?;
    let mut rgb = [0u8; 3];
    for (channel, pair) in rgb.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *channel = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(rgb)
}

/// White text on dark accents, black on light ones (perceived brightness, ITU-R BT.601 weights).
fn text_colour_on([r, g, b]: [u8; 3]) -> &'static str {
    let brightness = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    if brightness > 160_000 { "#000000" } else { "#FFFFFF" }
}

/// The EPC QR code as SVG: error correction level M, at most version 13, with its quiet zone.
pub fn qr_svg(payload: &str) -> Result<String, PdfError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| PdfError::Qr(e.to_string()))?;
    match code.version() {
        Version::Normal(v) if v <= QR_VERSION_MAX => {}
        other => {
            return Err(PdfError::Qr(format!(
                "it needs QR version {other:?}, the guideline allows at most {QR_VERSION_MAX}"
            )));
        }
    }
    Ok(code.render::<qrcode::render::svg::Color>().module_dimensions(1, 1).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_parsed_strictly() {
        assert_eq!(parse_colour("#1F4E79"), Ok([0x1F, 0x4E, 0x79]));
        assert_eq!(parse_colour("#ffffff"), Ok([255, 255, 255]));
        for bad in ["1F4E79", "#1F4E7", "#1F4E799", "#GG0000", "#+1+1+1", "", "#é1234"] {
            assert!(parse_colour(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_text_contrasts_with_the_accent() {
        assert_eq!(text_colour_on([0x1F, 0x4E, 0x79]), "#FFFFFF");
        assert_eq!(text_colour_on([0xFF, 0xD7, 0x00]), "#000000");
    }

    #[test]
    fn payloads_beyond_version_13_are_refused() {
        assert!(qr_svg(&"x".repeat(331)).is_ok());
        assert!(matches!(qr_svg(&"x".repeat(400)), Err(PdfError::Qr(_))));
    }
}
