//! The Belgian enterprise number (ondernemingsnummer / numéro d'entreprise, KBO/BCE), which with
//! the prefix `BE` is also the Belgian VAT number.
//!
//! Ten digits written `dddd.ddd.ddd`; the first is 0 or 1 and the last two are
//! `97 - (first 8 digits mod 97)`. Older numbers have 9 digits: they are the same number without
//! its leading 0, and `(0)` is sometimes written for it (`BE (0)403.019.261`).

use super::{
    ExpectedLength, IdentError, country_prefix, digits_value, is_common_separator, significant,
    to_text,
};

/// Parses a Belgian enterprise or VAT number and returns its 10 digits.
///
/// Accepted: an optional `BE` prefix (any case), `(0)` for the leading zero, dots, spaces and
/// dashes, and the 9-digit legacy form (a 0 is put in front).
///
/// # Errors
/// - [`IdentError::Empty`] for blank text;
/// - [`IdentError::InvalidCharacter`] for any character but digits, separators and the prefix;
/// - [`IdentError::InvalidCountryCode`] for a prefix other than `BE`;
/// - [`IdentError::WrongLength`] unless there are 9 or 10 digits;
/// - [`IdentError::InvalidComponent`] when the first digit is not 0 or 1;
/// - [`IdentError::InvalidChecksum`] when the last two digits do not match.
///
/// # Examples
/// ```
/// use arflow_core::ident::parse_be_enterprise_number;
/// assert_eq!(parse_be_enterprise_number("BE 0202.239.951").unwrap(), "0202239951");
/// assert_eq!(parse_be_enterprise_number("(0)403019261").unwrap(), "0403019261");
/// assert_eq!(parse_be_enterprise_number("428759497").unwrap(), "0428759497");
/// ```
pub fn parse_be_enterprise_number(text: &str) -> Result<String, IdentError> {
    let text = without_zero_in_brackets(text);
    let chars = significant(&text, is_common_separator)?;
    if chars.is_empty() {
        return Err(IdentError::Empty);
    }
    let (country, rest) = country_prefix(&chars)?;
    if let Some(code) = country.filter(|code| code != b"BE") {
        return Err(IdentError::InvalidCountryCode {
            found: String::from_utf8_lossy(&code).into_owned(),
            expected: "BE or no prefix",
        });
    }
    if let Some(bad) = rest.iter().find(|c| !c.byte.is_ascii_digit()) {
        return Err(bad.invalid());
    }
    let digits = match rest.len() {
        10 => to_text(rest),
        9 => format!("0{}", to_text(rest)),
        found => {
            return Err(IdentError::WrongLength {
                expected: ExpectedLength::OneOf(&[9, 10]),
                found,
            });
        }
    };
    if !(digits.starts_with('0') || digits.starts_with('1')) {
        return Err(IdentError::InvalidComponent {
            component: "first digit",
            reason: "a Belgian enterprise number starts with 0 or 1",
        });
    }
    let first_eight = digits.get(..8).and_then(digits_value).and_then(|n| u32::try_from(n).ok());
    let check = digits.get(8..).and_then(digits_value);
    match (first_eight, check) {
        (Some(number), Some(check)) if u64::from(be_enterprise_check_digits(number)) == check => {
            Ok(digits)
        }
        _ => Err(IdentError::InvalidChecksum),
    }
}

/// Parses a Belgian enterprise number (as [`parse_be_enterprise_number`]) and writes it the
/// official way: `0202.239.951`.
///
/// # Errors
/// As [`parse_be_enterprise_number`].
///
/// # Examples
/// ```
/// use arflow_core::ident::format_be_enterprise_number;
/// assert_eq!(format_be_enterprise_number("BE0202239951").unwrap(), "0202.239.951");
/// ```
pub fn format_be_enterprise_number(text: &str) -> Result<String, IdentError> {
    let digits = parse_be_enterprise_number(text)?;
    match (digits.get(..4), digits.get(4..7), digits.get(7..)) {
        (Some(a), Some(b), Some(c)) => Ok(format!("{a}.{b}.{c}")),
        _ => Err(IdentError::WrongLength {
            expected: ExpectedLength::Exactly(10),
            found: digits.len(),
        }),
    }
}

/// The check digits (`1..=97`) of an enterprise number for its first 8 digits:
/// `97 - (number mod 97)`.
///
/// # Examples
/// ```
/// use arflow_core::ident::be_enterprise_check_digits;
/// assert_eq!(be_enterprise_check_digits(2_022_399), 51);
/// ```
#[must_use]
pub const fn be_enterprise_check_digits(first_eight_digits: u32) -> u8 {
    // The remainder is below 97, so the narrowing keeps the value.
    97 - (first_eight_digits % 97) as u8
}

/// Turns a `(0)` written for the leading zero into ` 0 ` (same number of characters, so error
/// positions still point into the text as given). Only a `(0)` before the first digit counts.
fn without_zero_in_brackets(text: &str) -> std::borrow::Cow<'_, str> {
    match text.find("(0)") {
        Some(at)
            if text
                .get(..at)
                .is_some_and(|before| !before.contains(|c: char| c.is_ascii_digit())) =>
        {
            std::borrow::Cow::Owned(text.replacen("(0)", " 0 ", 1))
        }
        _ => std::borrow::Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_spelling_gives_the_ten_digits() {
        for text in [
            "0202.239.951",
            "BE0202239951",
            "be 0202 239 951",
            "BE 0202-239-951",
            "202239951",
            "BE 202.239.951",
            "BE (0)202.239.951",
        ] {
            assert_eq!(parse_be_enterprise_number(text).unwrap(), "0202239951", "{text}");
        }
        assert_eq!(format_be_enterprise_number("202239951").unwrap(), "0202.239.951");
    }

    #[test]
    fn the_first_digit_must_be_zero_or_one() {
        assert!(matches!(
            parse_be_enterprise_number("2202.239.951"),
            Err(IdentError::InvalidComponent { component: "first digit", .. })
        ));
        assert_eq!(parse_be_enterprise_number("1234.567.894").unwrap(), "1234567894");
    }

    #[test]
    fn wrong_check_digits_and_lengths_are_refused() {
        assert_eq!(parse_be_enterprise_number("0202.239.952"), Err(IdentError::InvalidChecksum));
        assert_eq!(
            parse_be_enterprise_number("0202.239.9"),
            Err(IdentError::WrongLength { expected: ExpectedLength::OneOf(&[9, 10]), found: 8 })
        );
        assert_eq!(
            parse_be_enterprise_number("0202(0)239951"),
            Err(IdentError::InvalidCharacter { position: 4, character: '(' })
        );
        assert!(matches!(
            parse_be_enterprise_number("FR0202239951"),
            Err(IdentError::InvalidCountryCode { .. })
        ));
    }
}
