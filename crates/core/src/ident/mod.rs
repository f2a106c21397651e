//! Identifiers of parties and accounts: IBAN, BIC, the Belgian enterprise (and VAT) number, the
//! Dutch VAT identification number (btw-id) and the Dutch Chamber of Commerce (KvK) number.
//!
//! Every identifier is parsed at the edge, from text as people type or paste it (spaces, dots,
//! dashes, lower case), into one canonical form; past that point the rest of arflow trusts it.
//! Errors say what is wrong and, for a character, where: positions are 0-based and counted in
//! characters of the text as given, separators included.
//!
//! Algorithms and sources: ../shared/notes/legal-and-formats.md §4 and the test corpus under
//! ../shared/corpus/references.

mod be;
mod bic;
mod country;
mod iban;
mod nl;

use std::fmt;

pub use be::{be_enterprise_check_digits, format_be_enterprise_number, parse_be_enterprise_number};
pub use bic::Bic;
pub use country::is_iso3166_alpha2;
pub(crate) use iban::group_by_four;
pub use iban::{
    Iban, be_national_check_digits, iban_check_digits, iban_length, parse_be_iban, parse_iban,
};
pub use nl::{parse_kvk, parse_nl_vat};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    /// Nothing but blanks and separators.
    #[error("the identifier is empty")]
    Empty,
    /// A character that has no place in this identifier.
    #[error("the character '{character}' at position {position} is not allowed there")]
    InvalidCharacter {
        /// 0-based, in characters of the text as given (separators included).
        position: usize,
        character: char,
    },
    /// Too few or too many significant characters (separators are not counted).
    #[error(
        "the identifier has {found} characters (not counting separators), but {expected} are required"
    )]
    WrongLength { expected: ExpectedLength, found: usize },
    /// The check digits do not match the rest of the identifier.
    #[error(
        "the check digits do not match the rest of the identifier; it probably contains a typing error"
    )]
    InvalidChecksum,
    /// The IBAN check digits are right, but the country's own account-number check digits are not.
    #[error(
        "the IBAN check digits are right, but the national check digits of the {country} account number do not match; it probably contains a typing error"
    )]
    InvalidNationalChecksum { country: &'static str },
    /// The country code is missing, unknown, or not the one this identifier needs.
    #[error("{}", country_message(found, expected))]
    InvalidCountryCode {
        /// The country code as found (upper case), empty when there was none.
        found: String,
        /// What would have been accepted, in words.
        expected: &'static str,
    },
    /// One part of the identifier breaks its rules (the BBAN structure, a first digit, …).
    #[error("the {component} is not valid: {reason}")]
    InvalidComponent { component: &'static str, reason: &'static str },
}

fn country_message(found: &str, expected: &str) -> String {
    if found.is_empty() {
        format!("the identifier does not start with a country code; expected {expected}")
    } else {
        format!("'{found}' is not an accepted country code here; expected {expected}")
    }
}

/// The lengths an identifier or reference may have, for error messages and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedLength {
    Exactly(usize),
    /// One of a few lengths, in increasing order.
    OneOf(&'static [usize]),
    /// Any length from `min` to `max`, both included.
    Between {
        min: usize,
        max: usize,
    },
}

impl ExpectedLength {
    /// Whether `length` is one of the expected lengths.
    #[must_use]
    pub fn allows(&self, length: usize) -> bool {
        match *self {
            ExpectedLength::Exactly(n) => length == n,
            ExpectedLength::OneOf(lengths) => lengths.contains(&length),
            ExpectedLength::Between { min, max } => (min..=max).contains(&length),
        }
    }
}

impl fmt::Display for ExpectedLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExpectedLength::Exactly(n) => write!(f, "{n}"),
            ExpectedLength::Between { min, max } => write!(f, "{min} to {max}"),
            ExpectedLength::OneOf(lengths) => {
                let count = lengths.len();
                for (i, n) in lengths.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if i + 1 == count { " or " } else { ", " })?;
                    }
                    write!(f, "{n}")?;
                }
                Ok(())
            }
        }
    }
}

/// Parses a VAT identification number of a country arflow supports and returns its canonical
/// form: `BE` + 10 digits, or `NL` + 9 digits + `B` + 2 digits.
///
/// The country prefix is required here (it is what tells the schemes apart); separators and
/// lower case are accepted as by [`parse_be_enterprise_number`] and [`parse_nl_vat`].
///
/// # Errors
/// [`IdentError::InvalidCountryCode`] without a `BE` or `NL` prefix; otherwise the errors of the
/// country's parser.
///
/// # Examples
/// ```
/// use arflow_core::ident::parse_vat_number;
/// assert_eq!(parse_vat_number("BE 0123.456.749").unwrap(), "BE0123456749");
/// assert_eq!(parse_vat_number("nl004495445b01").unwrap(), "NL004495445B01");
/// ```
pub fn parse_vat_number(text: &str) -> Result<String, IdentError> {
    const EXPECTED: &str = "the prefix BE or NL";
    let chars = significant(text, is_common_separator)?;
    if chars.is_empty() {
        return Err(IdentError::Empty);
    }
    match country_prefix(&chars)? {
        (Some(code), _) if &code == b"BE" => {
            parse_be_enterprise_number(text).map(|digits| format!("BE{digits}"))
        }
        (Some(code), _) if &code == b"NL" => parse_nl_vat(text),
        (Some(code), _) => Err(IdentError::InvalidCountryCode {
            found: String::from_utf8_lossy(&code).into_owned(),
            expected: EXPECTED,
        }),
        (None, _) => {
            Err(IdentError::InvalidCountryCode { found: String::new(), expected: EXPECTED })
        }
    }
}

/// One significant character of an identifier: an upper-cased ASCII letter or digit, with the
/// 0-based position (in characters) where it stood in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Significant {
    pub(crate) position: usize,
    pub(crate) byte: u8,
}

impl Significant {
    /// This character, reported as not allowed where it stands.
    pub(crate) fn invalid<E: From<InvalidChar>>(self) -> E {
        E::from(InvalidChar { position: self.position, character: char::from(self.byte) })
    }
}

/// A character that has no place in an identifier or reference, and where it stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidChar {
    pub(crate) position: usize,
    pub(crate) character: char,
}

impl From<InvalidChar> for IdentError {
    fn from(InvalidChar { position, character }: InvalidChar) -> IdentError {
        IdentError::InvalidCharacter { position, character }
    }
}

/// Spaces, dots and dashes: the separators people put in account and company numbers.
pub(crate) fn is_common_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-')
}

/// Reads the letters and digits of `text` (upper-casing letters), skipping separators and
/// leading/trailing whitespace; any other character is an [`InvalidChar`].
pub(crate) fn significant(
    text: &str,
    is_separator: fn(char) -> bool,
) -> Result<Vec<Significant>, InvalidChar> {
    let leading_blanks = text.chars().take_while(|c| c.is_whitespace()).count();
    let mut chars = Vec::new();
    for (index, c) in text.trim().chars().enumerate() {
        let position = leading_blanks + index;
        if c.is_ascii_alphanumeric() {
            chars.push(Significant { position, byte: c.to_ascii_uppercase() as u8 });
        } else if !is_separator(c) {
            return Err(InvalidChar { position, character: c });
        }
    }
    Ok(chars)
}

/// Splits off a leading two-letter country code.
///
/// No leading letter gives `None`. Otherwise the first word decides (the letters at the start
/// that are written together):
/// - two letters are the country code (`BE68…`, `be 0202…`);
/// - a word of three or more letters followed by a separator or the end (`IBAN BE68…`,
///   `TVA BE0202…`) is text that does not belong in the identifier, reported at its first letter;
/// - three or more letters running straight into a digit (`BEX8…`) are a country code followed
///   by a misplaced letter, which the caller reports where it stands;
/// - a single letter is reported where it stands.
pub(crate) fn country_prefix(
    chars: &[Significant],
) -> Result<(Option<[u8; 2]>, &[Significant]), IdentError> {
    let Some(first) = chars.first() else {
        return Ok((None, chars));
    };
    let word = chars
        .iter()
        .enumerate()
        .take_while(|(i, c)| c.byte.is_ascii_alphabetic() && c.position == first.position + i)
        .count();
    let next_is_adjacent =
        chars.get(word).is_some_and(|next| next.position == first.position + word);
    match (word, chars) {
        (0, _) => Ok((None, chars)),
        (1, _) => Err(first.invalid()),
        (3.., _) if !next_is_adjacent => Err(first.invalid()),
        (_, [a, b, rest @ ..]) => Ok((Some([a.byte, b.byte]), rest)),
        _ => Err(first.invalid()),
    }
}

/// The bytes of `chars`, as a string (they are ASCII letters and digits by construction).
pub(crate) fn to_text(chars: &[Significant]) -> String {
    chars.iter().map(|c| char::from(c.byte)).collect()
}

/// The value of a string of ASCII digits; `None` for anything else or on overflow.
pub(crate) fn digits_value(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0_u64, |value, byte| {
        if byte.is_ascii_digit() {
            value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_lengths_read_as_english() {
        assert_eq!(ExpectedLength::Exactly(16).to_string(), "16");
        assert_eq!(ExpectedLength::OneOf(&[8, 11]).to_string(), "8 or 11");
        assert_eq!(ExpectedLength::OneOf(&[7, 9, 16]).to_string(), "7, 9 or 16");
        assert_eq!(ExpectedLength::Between { min: 5, max: 25 }.to_string(), "5 to 25");
        assert!(ExpectedLength::OneOf(&[8, 11]).allows(11));
        assert!(!ExpectedLength::Between { min: 5, max: 25 }.allows(26));
    }

    #[test]
    fn positions_count_characters_of_the_input_and_blanks_at_the_edges_are_ignored() {
        let chars = significant("  é", is_common_separator);
        assert_eq!(chars, Err(InvalidChar { position: 2, character: 'é' }));
        let chars = significant("\tab 1\n", is_common_separator).unwrap();
        assert_eq!(to_text(&chars), "AB1");
        assert_eq!(chars.first().map(|c| c.position), Some(1));
        // A tab inside the text is not a separator.
        assert!(significant("a\tb", is_common_separator).is_err());
    }

    #[test]
    fn a_run_of_letters_that_is_not_a_country_code_is_refused_at_its_first_letter() {
        let chars = significant("TVA BE0202239951", is_common_separator).unwrap();
        assert_eq!(
            country_prefix(&chars).unwrap_err(),
            IdentError::InvalidCharacter { position: 0, character: 'T' }
        );
        let chars = significant("be 1", is_common_separator).unwrap();
        assert_eq!(country_prefix(&chars).unwrap().0, Some(*b"BE"));
        let chars = significant("BEX8", is_common_separator).unwrap();
        let (code, rest) = country_prefix(&chars).unwrap();
        assert_eq!((code, rest.first().map(|c| c.position)), (Some(*b"BE"), Some(2)));
        let chars = significant("B123", is_common_separator).unwrap();
        assert_eq!(
            country_prefix(&chars).unwrap_err(),
            IdentError::InvalidCharacter { position: 0, character: 'B' }
        );
        let chars = significant("12", is_common_separator).unwrap();
        assert_eq!(country_prefix(&chars).unwrap().0, None);
    }

    #[test]
    fn vat_numbers_are_dispatched_on_their_prefix() {
        assert_eq!(parse_vat_number("BE0202239951").unwrap(), "BE0202239951");
        assert_eq!(parse_vat_number("NL002455799B11").unwrap(), "NL002455799B11");
        assert!(matches!(
            parse_vat_number("FR40303265045"),
            Err(IdentError::InvalidCountryCode { ref found, .. }) if found == "FR"
        ));
        assert!(matches!(
            parse_vat_number("0202239951"),
            Err(IdentError::InvalidCountryCode { ref found, .. }) if found.is_empty()
        ));
        assert_eq!(parse_vat_number(" . "), Err(IdentError::Empty));
    }

    #[test]
    fn error_messages_are_sentences() {
        let error = IdentError::WrongLength { expected: ExpectedLength::OneOf(&[8, 11]), found: 7 };
        assert_eq!(
            error.to_string(),
            "the identifier has 7 characters (not counting separators), but 8 or 11 are required"
        );
        let error = IdentError::InvalidCountryCode { found: "FR".into(), expected: "BE or NL" };
        assert_eq!(
            error.to_string(),
            "'FR' is not an accepted country code here; expected BE or NL"
        );
        let error = IdentError::InvalidCountryCode { found: String::new(), expected: "BE" };
        assert_eq!(
            error.to_string(),
            "the identifier does not start with a country code; expected BE"
        );
    }

    #[test]
    fn digit_strings_have_checked_values() {
        assert_eq!(digits_value("0042"), Some(42));
        assert_eq!(digits_value("4a"), None);
        assert_eq!(digits_value("99999999999999999999"), None);
    }
}
