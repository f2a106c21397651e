//! Payment references: Belgian structured communication (OGM/VCS), ISO 11649 RF creditor
//! references and the Dutch betalingskenmerk. Generation and validation.
//!
//! A reference is what lets a payment be matched to its invoice without a human reading the
//! free text, so arflow only ever prints references that pass their scheme's check, and checks
//! every reference it reads back from a bank statement.
//!
//! Algorithms and worked examples: ../shared/notes/legal-and-formats.md §4.

pub mod iso7064;
mod nl;
mod ogm;
mod rf;

use crate::ident::{ExpectedLength, InvalidChar, is_common_separator, significant, to_text};
use crate::party::vocabulary;

pub use rf::generate_rf_from_text;

vocabulary!(
    /// A payment-reference scheme.
    ReferenceScheme, "reference scheme", { Ogm => "ogm", Rf => "rf", Nl => "nl" }
);

impl ReferenceScheme {
    /// The scheme's name in an English sentence.
    #[must_use]
    pub const fn label(&self) -> &'static str {
        match self {
            ReferenceScheme::Ogm => "Belgian structured communication (OGM)",
            ReferenceScheme::Rf => "RF creditor reference (ISO 11649)",
            ReferenceScheme::Nl => "Dutch payment reference (betalingskenmerk)",
        }
    }
}

/// A validated payment reference in its normalized (electronic) form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PaymentReference {
    pub scheme: ReferenceScheme,
    /// OGM: 12 digits; RF: `RF` + check + body, upper case, no spaces; NL: 7, 9-14 or 16 digits.
    pub normalized: String,
}

impl PaymentReference {
    /// The form people read and type:
    /// - OGM: `+++123/4567/89002+++`;
    /// - RF: blocks of four from the left, `RF18 5390 0754 7034`;
    /// - NL: blocks of four from the right, `5000 0567 8901 2345`, `12 2345 3462 2567` (the
    ///   Betaalvereniging's own layout, so the short first block holds the check digit).
    ///
    /// A `normalized` text that does not have its scheme's shape is returned unchanged.
    ///
    /// # Examples
    /// ```
    /// use arflow_core::reference::{ReferenceScheme, generate};
    /// let ogm = generate(ReferenceScheme::Ogm, 1_234_567_890).unwrap();
    /// assert_eq!(ogm.display(), "+++123/4567/89002+++");
    /// ```
    #[must_use]
    pub fn display(&self) -> String {
        match self.scheme {
            ReferenceScheme::Ogm => ogm::display(&self.normalized),
            ReferenceScheme::Rf => crate::ident::group_by_four(&self.normalized),
            ReferenceScheme::Nl => nl::display(&self.normalized),
        }
    }
}

/// Why a text is not a valid payment reference, or a number cannot become one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Nothing but blanks, separators and delimiters.
    #[error("the payment reference is empty")]
    Empty,
    /// A character that has no place in the reference.
    #[error(
        "the character '{character}' at position {position} is not allowed in this payment reference"
    )]
    InvalidCharacter {
        /// 0-based, in characters of the text as given (separators included).
        position: usize,
        character: char,
    },
    /// Too few or too many digits (or, for RF, characters); separators are not counted.
    #[error("this {} has {found} characters (not counting separators), but {expected} are required", scheme.label())]
    WrongLength { scheme: ReferenceScheme, expected: ExpectedLength, found: usize },
    /// The check digits do not match the rest of the reference.
    #[error("the check digits of this {} do not match; it probably contains a typing error", scheme.label())]
    InvalidChecksum { scheme: ReferenceScheme },
    /// An RF creditor reference must start with the letters `RF`.
    #[error("an RF creditor reference must start with the letters RF")]
    MissingRfPrefix,
    /// The second digit of a 9- to 14-digit Dutch reference must give the number of digits after
    /// it, modulo 10.
    #[error(
        "the length digit of this Dutch payment reference is {found}, but with {length} digits it must be {expected}"
    )]
    InvalidLengthCode { found: u8, expected: u8, length: usize },
    /// Digits only, but in a number no scheme uses.
    #[error(
        "a payment reference of {digits} digits matches no scheme: a Belgian structured communication has 12 digits, a Dutch payment reference 7, 9 to 14 or 16, and an RF reference starts with RF"
    )]
    Unrecognized { digits: usize },
    /// The base number has more digits than the scheme leaves room for.
    #[error("the base number {base} is too large for a {}; the largest is {max}", scheme.label())]
    BaseTooLarge { scheme: ReferenceScheme, base: u64, max: u64 },
}

impl From<InvalidChar> for ReferenceError {
    fn from(InvalidChar { position, character }: InvalidChar) -> ReferenceError {
        ReferenceError::InvalidCharacter { position, character }
    }
}

/// Recognises and validates a reference in any scheme.
///
/// The scheme is told by the text itself:
/// 1. text starting with `RF` (any case) is an RF creditor reference;
/// 2. text with `+++` or `***` delimiters or `/` separators is an OGM;
/// 3. otherwise spaces, dots and dashes are dropped and the digits decide: 12 digits that pass
///    the OGM check are an OGM; 7, 9-14 or 16 digits that pass the betalingskenmerk check are
///    Dutch.
///
/// Twelve digits can pass both checks. They are taken as an OGM: the two schemes' check digits
/// sit at opposite ends of the number, so a Dutch 12-digit reference passes the OGM check only
/// by a 1-in-97 coincidence, while a Belgian creditor never issues Dutch references. A caller
/// that knows the scheme (from the creditor's country or the bank file's reference type)
/// should use [`check_as`].
///
/// # Errors
/// [`ReferenceError`]: the error of the recognised scheme, [`ReferenceError::Unrecognized`] for
/// a number of digits no scheme has, or [`ReferenceError::InvalidCharacter`] for anything else.
///
/// # Examples
/// ```
/// use arflow_core::reference::{ReferenceScheme, check};
/// assert_eq!(check("+++123/4567/89002+++").unwrap().normalized, "123456789002");
/// assert_eq!(check("rf18 5390 0754 7034").unwrap().scheme, ReferenceScheme::Rf);
/// assert_eq!(check("5000 0567 8901 2345").unwrap().scheme, ReferenceScheme::Nl);
/// ```
pub fn check(text: &str) -> Result<PaymentReference, ReferenceError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let starts_with_rf = trimmed.get(..2).is_some_and(|head| head.eq_ignore_ascii_case("RF"));
    if starts_with_rf {
        return rf::parse(text);
    }
    if trimmed.contains("+++") || trimmed.contains("***") || trimmed.contains('/') {
        return ogm::parse(text);
    }
    let chars = significant(text, is_common_separator)?;
    if let Some(bad) = chars.iter().find(|c| !c.byte.is_ascii_digit()) {
        return Err(bad.invalid());
    }
    let digits = to_text(&chars);
    match digits.len() {
        0 => Err(ReferenceError::Empty),
        12 => {
            ogm::validate(&digits).or_else(|ogm_error| nl::validate(&digits).map_err(|_| ogm_error))
        }
        length if nl::LENGTHS.allows(length) => nl::validate(&digits),
        length => Err(ReferenceError::Unrecognized { digits: length }),
    }
}

/// Validates `text` as a reference of `scheme` and normalizes it.
///
/// Accepted spellings:
/// - OGM: `+++123/4567/89002+++`, `***123/4567/89002***`, `123/4567/89002`, `123456789002`,
///   and with spaces, dots or dashes between the groups (delimiters only at the ends);
/// - RF: upper or lower case, with spaces anywhere;
/// - NL: digits with spaces, dots or dashes.
///
/// # Errors
/// [`ReferenceError`] saying what is wrong.
///
/// # Examples
/// ```
/// use arflow_core::reference::{ReferenceScheme, check_as};
/// let r = check_as(ReferenceScheme::Ogm, "***123 4567 89002***").unwrap();
/// assert_eq!(r.normalized, "123456789002");
/// assert!(check_as(ReferenceScheme::Nl, "123456789002").is_err());
/// ```
pub fn check_as(scheme: ReferenceScheme, text: &str) -> Result<PaymentReference, ReferenceError> {
    match scheme {
        ReferenceScheme::Ogm => ogm::parse(text),
        ReferenceScheme::Rf => rf::parse(text),
        ReferenceScheme::Nl => nl::parse(text),
    }
}

/// Generates the reference of `scheme` for the base number `base` (typically an invoice
/// sequence number):
/// - OGM: `base` (below 10^10) as 10 digits, zero-padded, plus its check digits;
/// - RF: `RF` + check digits + the decimal digits of `base`, without padding;
/// - NL: the 16-digit form, check digit + `base` (below 10^15) as 15 digits, zero-padded.
///
/// # Errors
/// [`ReferenceError::BaseTooLarge`] when `base` does not fit the scheme.
///
/// # Examples
/// ```
/// use arflow_core::reference::{ReferenceScheme, generate};
/// assert_eq!(generate(ReferenceScheme::Ogm, 0).unwrap().normalized, "000000000097");
/// assert_eq!(generate(ReferenceScheme::Rf, 539_007_547_034).unwrap().normalized, "RF18539007547034");
/// assert_eq!(generate(ReferenceScheme::Nl, 56_789_012_345).unwrap().normalized, "5000056789012345");
/// ```
pub fn generate(scheme: ReferenceScheme, base: u64) -> Result<PaymentReference, ReferenceError> {
    match scheme {
        ReferenceScheme::Ogm => ogm::generate(base),
        ReferenceScheme::Rf => generate_rf_from_text(&base.to_string()),
        ReferenceScheme::Nl => nl::generate(base),
    }
}

/// The two OGM check digits (`1..=97`) for the first 10 digits `base`.
///
/// # Errors
/// [`ReferenceError::BaseTooLarge`] when `base` has more than 10 digits.
///
/// # Examples
/// ```
/// use arflow_core::reference::ogm_check_digits;
/// assert_eq!(ogm_check_digits(108_068_171).unwrap(), 83);
/// ```
pub fn ogm_check_digits(base: u64) -> Result<u8, ReferenceError> {
    ogm::check_digits(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(scheme: ReferenceScheme, normalized: &str) -> PaymentReference {
        PaymentReference { scheme, normalized: normalized.to_owned() }
    }

    #[test]
    fn the_worked_examples_of_the_notes_are_recognised() {
        let cases = [
            ("+++123/4567/89002+++", ReferenceScheme::Ogm, "123456789002"),
            ("+++012/3456/78939+++", ReferenceScheme::Ogm, "012345678939"),
            ("+++000/0000/00097+++", ReferenceScheme::Ogm, "000000000097"),
            ("+++000/0000/19497+++", ReferenceScheme::Ogm, "000000019497"),
            ("+++000/0000/00101+++", ReferenceScheme::Ogm, "000000000101"),
            ("010806817183", ReferenceScheme::Ogm, "010806817183"),
            ("RF18539007547034", ReferenceScheme::Rf, "RF18539007547034"),
            ("RF19AB2G59X56V543", ReferenceScheme::Rf, "RF19AB2G59X56V543"),
            ("RF98INV2026000123", ReferenceScheme::Rf, "RF98INV2026000123"),
            ("RF741", ReferenceScheme::Rf, "RF741"),
            ("RF712348231", ReferenceScheme::Rf, "RF712348231"),
            ("5000056789012345", ReferenceScheme::Nl, "5000056789012345"),
            ("1223453462256 7", ReferenceScheme::Nl, "12234534622567"),
            ("12 2345 3462 2567", ReferenceScheme::Nl, "12234534622567"),
            ("5010002167010010", ReferenceScheme::Nl, "5010002167010010"),
            ("3010002167042021", ReferenceScheme::Nl, "3010002167042021"),
            ("2017166777600001", ReferenceScheme::Nl, "2017166777600001"),
            ("1100000000000001", ReferenceScheme::Nl, "1100000000000001"),
            ("0100000000000006", ReferenceScheme::Nl, "0100000000000006"),
            ("1234567", ReferenceScheme::Nl, "1234567"),
        ];
        for (text, scheme, normalized) in cases {
            assert_eq!(check(text), Ok(reference(scheme, normalized)), "{text}");
            assert_eq!(check_as(scheme, text), Ok(reference(scheme, normalized)), "{text}");
        }
    }

    #[test]
    fn generation_reproduces_the_worked_examples() {
        let ogm = |base| generate(ReferenceScheme::Ogm, base).unwrap().display();
        assert_eq!(ogm(1_234_567_890), "+++123/4567/89002+++");
        assert_eq!(ogm(123_456_789), "+++012/3456/78939+++");
        assert_eq!(ogm(0), "+++000/0000/00097+++");
        assert_eq!(ogm(194), "+++000/0000/19497+++");
        assert_eq!(ogm(1), "+++000/0000/00101+++");
        assert_eq!(ogm(9_999_999_999), "+++999/9999/99948+++");
        let rf = |body| generate_rf_from_text(body).unwrap().normalized;
        assert_eq!(rf("539007547034"), "RF18539007547034");
        assert_eq!(rf("AB2G59X56V543"), "RF19AB2G59X56V543");
        assert_eq!(rf("inv 2026 000123"), "RF98INV2026000123");
        assert_eq!(generate(ReferenceScheme::Rf, 1).unwrap().normalized, "RF741");
        let nl = |base| generate(ReferenceScheme::Nl, base).unwrap().normalized;
        assert_eq!(nl(56_789_012_345), "5000056789012345");
        assert_eq!(nl(100_000_000_000_001), "1100000000000001");
        assert_eq!(nl(100_000_000_000_006), "0100000000000006");
    }

    #[test]
    fn bases_too_large_for_the_scheme_are_refused() {
        assert_eq!(
            generate(ReferenceScheme::Ogm, 10_000_000_000),
            Err(ReferenceError::BaseTooLarge {
                scheme: ReferenceScheme::Ogm,
                base: 10_000_000_000,
                max: 9_999_999_999
            })
        );
        assert!(generate(ReferenceScheme::Nl, 1_000_000_000_000_000).is_err());
        assert!(generate(ReferenceScheme::Nl, 999_999_999_999_999).is_ok());
        // Twenty digits still fit the 21 an RF reference allows.
        let max = generate(ReferenceScheme::Rf, u64::MAX).unwrap();
        assert_eq!(check(&max.normalized), Ok(max));
    }

    #[test]
    fn the_display_form_groups_the_digits() {
        assert_eq!(
            reference(ReferenceScheme::Rf, "RF18539007547034").display(),
            "RF18 5390 0754 7034"
        );
        assert_eq!(reference(ReferenceScheme::Rf, "RF741").display(), "RF74 1");
        assert_eq!(
            reference(ReferenceScheme::Nl, "5000056789012345").display(),
            "5000 0567 8901 2345"
        );
        assert_eq!(reference(ReferenceScheme::Nl, "12234534622567").display(), "12 2345 3462 2567");
        assert_eq!(reference(ReferenceScheme::Nl, "1234567").display(), "123 4567");
        // Not an OGM shape: shown as it is rather than cut.
        assert_eq!(reference(ReferenceScheme::Ogm, "123").display(), "123");
    }

    #[test]
    fn twelve_digits_that_pass_both_checks_are_an_ogm() {
        // Search a Dutch 12-digit reference that also passes the OGM check.
        let both = (0..10_000_u64)
            .map(|n| format!("{n:010}"))
            .filter_map(|payload| {
                // 12-digit Dutch form: C, L = 0 (10 digits follow), 10 digits.
                let body = format!("0{payload}");
                let digit = nl::check_digit(&body)?;
                Some(format!("{digit}{body}"))
            })
            .find(|digits| ogm::validate(digits).is_ok())
            .unwrap();
        assert!(check_as(ReferenceScheme::Nl, &both).is_ok());
        assert_eq!(check(&both).unwrap().scheme, ReferenceScheme::Ogm);
    }

    #[test]
    fn detection_errors_point_at_the_problem() {
        assert_eq!(check("   "), Err(ReferenceError::Empty));
        assert_eq!(check(" - . "), Err(ReferenceError::Empty));
        assert_eq!(check("12345678"), Err(ReferenceError::Unrecognized { digits: 8 }));
        assert_eq!(
            check("ABC"),
            Err(ReferenceError::InvalidCharacter { position: 0, character: 'A' })
        );
        assert_eq!(
            check("123456789003"),
            Err(ReferenceError::InvalidChecksum { scheme: ReferenceScheme::Ogm })
        );
        assert_eq!(
            check("5000056789012346"),
            Err(ReferenceError::InvalidChecksum { scheme: ReferenceScheme::Nl })
        );
        assert_eq!(
            check("OGM 123/4567/89002"),
            Err(ReferenceError::InvalidCharacter { position: 0, character: 'O' })
        );
        assert_eq!(
            check("RF17 5390 0754 7034"),
            Err(ReferenceError::InvalidChecksum { scheme: ReferenceScheme::Rf })
        );
    }

    #[test]
    fn error_messages_are_sentences() {
        let error = check_as(ReferenceScheme::Ogm, "123").unwrap_err();
        assert_eq!(
            error.to_string(),
            "this Belgian structured communication (OGM) has 3 characters (not counting separators), but 12 are required"
        );
        let error = ReferenceError::InvalidLengthCode { found: 3, expected: 2, length: 14 };
        assert_eq!(
            error.to_string(),
            "the length digit of this Dutch payment reference is 3, but with 14 digits it must be 2"
        );
    }
}
