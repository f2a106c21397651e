//! EPC QR payload (EPC069-12, "SEPA Credit Transfer" QR, also called GiroCode): the text a
//! banking app reads from the QR code on a letter to fill in a credit transfer.
//!
//! arflow writes version `002` with character set `1` (UTF-8), which lets the BIC be left out
//! inside the EEA. Lines are separated by LF; trailing empty optional lines are omitted, so the
//! last populated line is never followed by a separator. Every field is checked against the
//! guideline's limits and the whole payload against the 331 bytes a version-13 QR code at error
//! correction level M can hold. Facts: ../shared/notes/legal-and-formats.md §5.

use std::fmt;

use crate::ident::{Bic, IdentError, parse_iban};
use crate::money::{Currency, Money, format_minor};
use crate::reference::{self, ReferenceError, ReferenceScheme};

/// Most bytes an EPC QR payload may have (QR version 13, error correction level M).
pub const PAYLOAD_BYTES_MAX: usize = 331;
/// Most characters of the beneficiary name (line 6).
pub const NAME_CHARS_MAX: usize = 70;
/// Most characters of the structured remittance information (line 10).
pub const REFERENCE_CHARS_MAX: usize = 35;
/// Most characters of the unstructured remittance information (line 11).
pub const TEXT_CHARS_MAX: usize = 140;
/// Most characters of the beneficiary-to-originator information (line 12).
pub const INFORMATION_CHARS_MAX: usize = 70;
/// Smallest amount the guideline allows, in euro cents (0.01).
pub const AMOUNT_MINOR_MIN: i64 = 1;
/// Largest amount the guideline allows, in euro cents (999999999.99).
pub const AMOUNT_MINOR_MAX: i64 = 99_999_999_999;

/// What goes into an EPC QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcRequest {
    /// BIC of the beneficiary's bank; optional in version 002 (blank counts as absent).
    pub bic: Option<String>,
    /// Beneficiary name, at most 70 characters.
    pub name: String,
    /// Beneficiary IBAN, in any spelling [`parse_iban`] accepts.
    pub iban: String,
    /// Amount in EUR, 0.01 to 999999999.99; absent lets the payer fill it in.
    pub amount: Option<Money>,
    /// Structured creditor reference: an RF reference (ISO 11649) or a Belgian OGM, in any
    /// spelling [`reference::check`] accepts; written in its normalized form (`RF18…`, or the 12
    /// OGM digits).
    pub reference: Option<String>,
    /// Unstructured remittance text, at most 140 characters; never together with `reference`.
    pub text: Option<String>,
    /// Beneficiary-to-originator information shown to the payer, at most 70 characters.
    pub information: Option<String>,
}

/// A data element of the EPC QR payload, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpcField {
    Bic,
    Name,
    Iban,
    Amount,
    Reference,
    Text,
    Information,
    /// The payload as a whole.
    Payload,
}

impl EpcField {
    /// A stable code for APIs (`"bic"`, `"name"`, …).
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            EpcField::Bic => "bic",
            EpcField::Name => "name",
            EpcField::Iban => "iban",
            EpcField::Amount => "amount",
            EpcField::Reference => "reference",
            EpcField::Text => "text",
            EpcField::Information => "information",
            EpcField::Payload => "payload",
        }
    }

    /// The field's name in an English sentence.
    #[must_use]
    pub const fn label(&self) -> &'static str {
        match self {
            EpcField::Bic => "BIC",
            EpcField::Name => "beneficiary name",
            EpcField::Iban => "IBAN",
            EpcField::Amount => "amount",
            EpcField::Reference => "structured reference",
            EpcField::Text => "remittance text",
            EpcField::Information => "information for the payer",
            EpcField::Payload => "EPC QR payload",
        }
    }
}

impl fmt::Display for EpcField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an EPC QR payload could not be built. [`EpcError::field`] names the data element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpcError {
    /// A mandatory field is blank.
    #[error("the {field} is empty")]
    Empty { field: EpcField },
    /// More characters than the guideline allows.
    #[error("the {field} has {found} characters, but at most {max} are allowed")]
    TooLong { field: EpcField, found: usize, max: usize },
    /// A line break or other control character, which would break the line structure.
    #[error("the {field} contains a line break or control character at position {position}")]
    ControlCharacter {
        field: EpcField,
        /// 0-based, in characters of the text as given.
        position: usize,
    },
    #[error("the IBAN is not valid: {0}")]
    Iban(IdentError),
    #[error("the BIC is not valid: {0}")]
    Bic(IdentError),
    /// EPC QR codes carry euro amounts only.
    #[error("the amount must be in EUR, not {0}")]
    AmountCurrency(Currency),
    #[error("the amount must be between 0.01 and 999999999.99 EUR")]
    AmountOutOfRange,
    /// Lines 10 and 11 exclude each other.
    #[error("give either a structured reference or a remittance text, not both")]
    ReferenceAndText,
    #[error("the structured reference is not valid: {0}")]
    Reference(ReferenceError),
    /// A valid reference of a scheme that is not a structured creditor reference in line 10.
    #[error(
        "a {} cannot be the structured reference of an EPC QR code; use an RF reference, or put it in the remittance text",
        scheme.label()
    )]
    ReferenceScheme { scheme: ReferenceScheme },
    #[error("the EPC QR payload has {found} bytes, but a QR code holds at most {max}")]
    PayloadTooLong { found: usize, max: usize },
}

impl EpcError {
    /// The data element the error is about.
    #[must_use]
    pub fn field(&self) -> EpcField {
        match self {
            EpcError::Empty { field }
            | EpcError::TooLong { field, .. }
            | EpcError::ControlCharacter { field, .. } => *field,
            EpcError::Iban(_) => EpcField::Iban,
            EpcError::Bic(_) => EpcField::Bic,
            EpcError::AmountCurrency(_) | EpcError::AmountOutOfRange => EpcField::Amount,
            EpcError::ReferenceAndText
            | EpcError::Reference(_)
            | EpcError::ReferenceScheme { .. } => EpcField::Reference,
            EpcError::PayloadTooLong { .. } => EpcField::Payload,
        }
    }
}

/// Builds the EPC QR payload (version 002, UTF-8, `SCT`) for `request`.
///
/// # Errors
/// [`EpcError`] for the first field that breaks the guideline, naming it.
///
/// # Examples
/// ```
/// use arflow_core::epc::{EpcRequest, epc_payload};
/// use arflow_core::money::{Currency, Money};
/// let request = EpcRequest {
///     bic: None,
///     name: "Acme BV".into(),
///     iban: "NL91 ABNA 0417 1643 00".into(),
///     amount: Some(Money::from_minor(1250_00, Currency::EUR)),
///     reference: Some("RF18 5390 0754 7034".into()),
///     text: None,
///     information: None,
/// };
/// assert_eq!(
///     epc_payload(&request).unwrap(),
///     "BCD\n002\n1\nSCT\n\nAcme BV\nNL91ABNA0417164300\nEUR1250.00\n\nRF18539007547034"
/// );
/// ```
pub fn epc_payload(request: &EpcRequest) -> Result<String, EpcError> {
    let bic = match present(request.bic.as_deref()) {
        Some(text) => {
            checked_text(EpcField::Bic, text, usize::MAX)?;
            Bic::parse(text).map_err(EpcError::Bic)?.as_str().to_owned()
        }
        None => String::new(),
    };
    let name = request.name.trim();
    if name.is_empty() {
        return Err(EpcError::Empty { field: EpcField::Name });
    }
    checked_text(EpcField::Name, name, NAME_CHARS_MAX)?;
    let iban = parse_iban(&request.iban).map_err(EpcError::Iban)?;
    let amount = match request.amount {
        Some(money) => amount_line(money)?,
        None => String::new(),
    };
    let reference_text = present(request.reference.as_deref());
    let text = present(request.text.as_deref());
    if reference_text.is_some() && text.is_some() {
        return Err(EpcError::ReferenceAndText);
    }
    let reference = match reference_text {
        Some(given) => structured_reference(given)?,
        None => String::new(),
    };
    let text = match text {
        Some(given) => checked_text(EpcField::Text, given, TEXT_CHARS_MAX)?.to_owned(),
        None => String::new(),
    };
    let information = match present(request.information.as_deref()) {
        Some(given) => {
            checked_text(EpcField::Information, given, INFORMATION_CHARS_MAX)?.to_owned()
        }
        None => String::new(),
    };

    // Lines 1-12 of the guideline; line 9 (purpose code) is not used by arflow.
    let lines: [&str; 12] =
        ["BCD", "002", "1", "SCT", &bic, name, &iban, &amount, "", &reference, &text, &information];
    let used = lines.iter().rposition(|line| !line.is_empty()).map_or(0, |last| last + 1);
    let payload = lines.iter().take(used).copied().collect::<Vec<_>>().join("\n");
    if payload.len() > PAYLOAD_BYTES_MAX {
        return Err(EpcError::PayloadTooLong { found: payload.len(), max: PAYLOAD_BYTES_MAX });
    }
    Ok(payload)
}

/// The trimmed text, or `None` when it is absent or blank.
fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Refuses control characters and text longer than `max` characters.
fn checked_text(field: EpcField, text: &str, max: usize) -> Result<&str, EpcError> {
    if let Some(position) = text.chars().position(char::is_control) {
        return Err(EpcError::ControlCharacter { field, position });
    }
    let found = text.chars().count();
    if found > max {
        return Err(EpcError::TooLong { field, found, max });
    }
    Ok(text)
}

/// `EUR` + the amount with a `.` and two decimals (`EUR1250.00`).
fn amount_line(money: Money) -> Result<String, EpcError> {
    if money.currency() != Currency::EUR {
        return Err(EpcError::AmountCurrency(money.currency()));
    }
    if !(AMOUNT_MINOR_MIN..=AMOUNT_MINOR_MAX).contains(&money.minor()) {
        return Err(EpcError::AmountOutOfRange);
    }
    Ok(format!("EUR{}", format_minor(money.minor(), Currency::EUR)))
}

/// Validates an RF or OGM reference and returns its normalized form.
fn structured_reference(given: &str) -> Result<String, EpcError> {
    checked_text(EpcField::Reference, given, usize::MAX)?;
    let parsed = reference::check(given).map_err(EpcError::Reference)?;
    match parsed.scheme {
        ReferenceScheme::Rf | ReferenceScheme::Ogm => {}
        scheme @ ReferenceScheme::Nl => return Err(EpcError::ReferenceScheme { scheme }),
    }
    let found = parsed.normalized.chars().count();
    if found > REFERENCE_CHARS_MAX {
        return Err(EpcError::TooLong {
            field: EpcField::Reference,
            found,
            max: REFERENCE_CHARS_MAX,
        });
    }
    Ok(parsed.normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn acme() -> EpcRequest {
        EpcRequest {
            bic: None,
            name: "Acme BV".into(),
            iban: "NL91ABNA0417164300".into(),
            amount: Some(eur(1250_00)),
            reference: Some("RF18539007547034".into()),
            text: None,
            information: None,
        }
    }

    fn error_of(request: &EpcRequest) -> EpcError {
        epc_payload(request).unwrap_err()
    }

    #[test]
    fn the_example_of_the_notes_is_reproduced_byte_for_byte() {
        let payload = epc_payload(&acme()).unwrap();
        assert_eq!(
            payload.as_bytes(),
            b"BCD\n002\n1\nSCT\n\nAcme BV\nNL91ABNA0417164300\nEUR1250.00\n\nRF18539007547034"
        );
    }

    #[test]
    fn spellings_are_normalized() {
        let request = EpcRequest {
            bic: Some(" abna nl 2a ".into()),
            name: "  Acme BV ".into(),
            iban: "nl91 abna 0417 1643 00".into(),
            reference: Some("rf18 5390 0754 7034".into()),
            ..acme()
        };
        assert_eq!(
            epc_payload(&request).unwrap(),
            "BCD\n002\n1\nSCT\nABNANL2A\nAcme BV\nNL91ABNA0417164300\nEUR1250.00\n\nRF18539007547034"
        );
    }

    #[test]
    fn an_ogm_is_written_as_its_twelve_digits() {
        let request = EpcRequest {
            iban: "BE68 5390 0754 7034".into(),
            reference: Some("+++090/9337/55493+++".into()),
            ..acme()
        };
        assert_eq!(
            epc_payload(&request).unwrap(),
            "BCD\n002\n1\nSCT\n\nAcme BV\nBE68539007547034\nEUR1250.00\n\n090933755493"
        );
    }

    #[test]
    fn trailing_empty_lines_are_omitted_and_inner_ones_kept() {
        let minimal = EpcRequest { amount: None, reference: None, ..acme() };
        assert_eq!(
            epc_payload(&minimal).unwrap(),
            "BCD\n002\n1\nSCT\n\nAcme BV\nNL91ABNA0417164300"
        );

        let with_text =
            EpcRequest { reference: None, text: Some("Factuur 2024-001".into()), ..acme() };
        assert_eq!(
            epc_payload(&with_text).unwrap(),
            "BCD\n002\n1\nSCT\n\nAcme BV\nNL91ABNA0417164300\nEUR1250.00\n\n\nFactuur 2024-001"
        );

        let with_information =
            EpcRequest { amount: None, information: Some("Dank u".into()), ..acme() };
        assert_eq!(
            epc_payload(&with_information).unwrap(),
            "BCD\n002\n1\nSCT\n\nAcme BV\nNL91ABNA0417164300\n\n\nRF18539007547034\n\nDank u"
        );
        assert!(!epc_payload(&with_information).unwrap().ends_with('\n'));
    }

    #[test]
    fn blank_optional_fields_count_as_absent() {
        let request = EpcRequest {
            bic: Some(" ".into()),
            text: Some("".into()),
            information: Some("  ".into()),
            ..acme()
        };
        assert_eq!(epc_payload(&request).unwrap(), epc_payload(&acme()).unwrap());
    }

    #[test]
    fn amounts_at_the_limits() {
        let low = EpcRequest { amount: Some(eur(1)), ..acme() };
        assert!(epc_payload(&low).unwrap().contains("\nEUR0.01\n"));
        let high = EpcRequest { amount: Some(eur(AMOUNT_MINOR_MAX)), ..acme() };
        assert!(epc_payload(&high).unwrap().contains("\nEUR999999999.99\n"));
        for minor in [0, -1, AMOUNT_MINOR_MAX + 1] {
            let e = error_of(&EpcRequest { amount: Some(eur(minor)), ..acme() });
            assert_eq!(e, EpcError::AmountOutOfRange);
            assert_eq!(e.field(), EpcField::Amount);
        }
    }

    #[test]
    fn only_euro_amounts_are_accepted() {
        let usd = Currency::parse("USD").unwrap();
        let e = error_of(&EpcRequest { amount: Some(Money::from_minor(100, usd)), ..acme() });
        assert_eq!(e, EpcError::AmountCurrency(usd));
        assert_eq!(e.field(), EpcField::Amount);
        assert!(e.to_string().contains("EUR"));
    }

    #[test]
    fn the_name_is_mandatory_and_limited_to_70_characters() {
        let e = error_of(&EpcRequest { name: "  ".into(), ..acme() });
        assert_eq!(e, EpcError::Empty { field: EpcField::Name });
        assert!(e.to_string().contains("beneficiary name"));

        let seventy = "é".repeat(70);
        assert!(epc_payload(&EpcRequest { name: seventy, ..acme() }).is_ok());
        let e = error_of(&EpcRequest { name: "é".repeat(71), ..acme() });
        assert_eq!(e, EpcError::TooLong { field: EpcField::Name, found: 71, max: 70 });
    }

    #[test]
    fn a_line_break_in_any_text_field_is_refused() {
        let e = error_of(&EpcRequest { name: "Acme\nBV".into(), ..acme() });
        assert_eq!(e, EpcError::ControlCharacter { field: EpcField::Name, position: 4 });
        let e = error_of(&EpcRequest { reference: None, text: Some("a\rb".into()), ..acme() });
        assert_eq!(e, EpcError::ControlCharacter { field: EpcField::Text, position: 1 });
        let e = error_of(&EpcRequest { information: Some("a\tb".into()), ..acme() });
        assert_eq!(e.field(), EpcField::Information);
        let e = error_of(&EpcRequest { bic: Some("ABNA\nNL2A".into()), ..acme() });
        assert_eq!(e.field(), EpcField::Bic);
        let e = error_of(&EpcRequest { reference: Some("RF18\n539007547034".into()), ..acme() });
        assert_eq!(e.field(), EpcField::Reference);
    }

    #[test]
    fn the_iban_is_validated() {
        let e = error_of(&EpcRequest { iban: "NL91ABNA0417164301".into(), ..acme() });
        assert_eq!(e, EpcError::Iban(IdentError::InvalidChecksum));
        assert_eq!(e.field(), EpcField::Iban);
        assert!(e.to_string().starts_with("the IBAN is not valid"));
        assert_eq!(error_of(&EpcRequest { iban: String::new(), ..acme() }).field(), EpcField::Iban);
    }

    #[test]
    fn the_bic_is_validated() {
        let e = error_of(&EpcRequest { bic: Some("ABNANL2".into()), ..acme() });
        assert!(matches!(e, EpcError::Bic(IdentError::WrongLength { .. })));
        assert_eq!(e.field(), EpcField::Bic);
    }

    #[test]
    fn reference_and_text_exclude_each_other() {
        let e = error_of(&EpcRequest { text: Some("Factuur 1".into()), ..acme() });
        assert_eq!(e, EpcError::ReferenceAndText);
        assert_eq!(e.field(), EpcField::Reference);
    }

    #[test]
    fn the_reference_must_be_a_valid_rf_or_ogm() {
        let e = error_of(&EpcRequest { reference: Some("RF19539007547034".into()), ..acme() });
        assert!(matches!(e, EpcError::Reference(ReferenceError::InvalidChecksum { .. })));
        assert_eq!(e.field(), EpcField::Reference);

        // A valid Dutch betalingskenmerk is not a structured creditor reference.
        let e = error_of(&EpcRequest { reference: Some("5000 0567 8901 2345".into()), ..acme() });
        assert_eq!(e, EpcError::ReferenceScheme { scheme: ReferenceScheme::Nl });
        assert_eq!(e.field(), EpcField::Reference);
    }

    #[test]
    fn text_and_information_have_their_limits() {
        let ok = EpcRequest { reference: None, text: Some("x".repeat(140)), ..acme() };
        assert!(epc_payload(&ok).is_ok());
        let e = error_of(&EpcRequest { reference: None, text: Some("x".repeat(141)), ..acme() });
        assert_eq!(e, EpcError::TooLong { field: EpcField::Text, found: 141, max: 140 });
        let e = error_of(&EpcRequest { information: Some("x".repeat(71)), ..acme() });
        assert_eq!(e, EpcError::TooLong { field: EpcField::Information, found: 71, max: 70 });
    }

    #[test]
    fn the_payload_is_limited_to_331_bytes() {
        // Every field within its own limit, but together 340 bytes.
        let request = EpcRequest {
            bic: Some("ABNANL2AXXX".into()),
            name: "x".repeat(70),
            reference: None,
            text: Some("x".repeat(140)),
            information: Some("x".repeat(70)),
            ..acme()
        };
        let e = error_of(&request);
        assert_eq!(e, EpcError::PayloadTooLong { found: 340, max: 331 });
        assert_eq!(e.field(), EpcField::Payload);

        // Limits count characters, the payload counts bytes.
        let multibyte = EpcRequest { name: "€".repeat(70), information: None, ..request.clone() };
        assert!(matches!(error_of(&multibyte), EpcError::PayloadTooLong { found: 409, .. }));

        let fits = EpcRequest { information: Some("x".repeat(61)), ..request };
        assert_eq!(epc_payload(&fits).unwrap().len(), PAYLOAD_BYTES_MAX);
    }

    #[test]
    fn every_field_has_a_distinct_code() {
        let fields = [
            EpcField::Bic,
            EpcField::Name,
            EpcField::Iban,
            EpcField::Amount,
            EpcField::Reference,
            EpcField::Text,
            EpcField::Information,
            EpcField::Payload,
        ];
        let mut codes: Vec<_> = fields.iter().map(EpcField::as_str).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), fields.len());
    }
}
