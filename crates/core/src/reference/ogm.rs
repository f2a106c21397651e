//! Belgian structured communication (OGM / VCS, "gestructureerde mededeling"): 12 digits shown as
//! `+++DDD/DDDD/DDDDD+++` (or with `***`), the last two being the first ten modulo 97, with 97
//! for 0 (Febelfin).

use super::iso7064::belgian_mod97;
use super::{PaymentReference, ReferenceError, ReferenceScheme};
use crate::ident::{ExpectedLength, digits_value};

const SCHEME: ReferenceScheme = ReferenceScheme::Ogm;
const DIGITS: usize = 12;
const BASE_MAX: u64 = 9_999_999_999;

/// Parses an OGM in any of its customary spellings.
///
/// Digits may be grouped by `/`, spaces, dots or dashes; `+` and `*` are delimiters, allowed
/// before the first digit and after the last one only.
pub(super) fn parse(text: &str) -> Result<PaymentReference, ReferenceError> {
    let leading_blanks = text.chars().take_while(|c| c.is_whitespace()).count();
    let mut digits = String::new();
    let mut inner_delimiter = None;
    let mut pending_delimiter = None;
    for (index, c) in text.trim().chars().enumerate() {
        let position = leading_blanks + index;
        match c {
            '0'..='9' => {
                if !digits.is_empty() && inner_delimiter.is_none() {
                    inner_delimiter = pending_delimiter;
                }
                digits.push(c);
            }
            // A delimiter is fine unless a digit follows it after the digits have started.
            '+' | '*' if !digits.is_empty() => {
                pending_delimiter = pending_delimiter.or(Some((position, c)));
            }
            '+' | '*' | '/' | ' ' | '.' | '-' => {}
            character => return Err(ReferenceError::InvalidCharacter { position, character }),
        }
    }
    if let Some((position, character)) = inner_delimiter {
        return Err(ReferenceError::InvalidCharacter { position, character });
    }
    if digits.is_empty() {
        return Err(ReferenceError::Empty);
    }
    validate(&digits)
}

/// Validates exactly the 12 digits (no separators).
pub(super) fn validate(digits: &str) -> Result<PaymentReference, ReferenceError> {
    if digits.len() != DIGITS {
        return Err(ReferenceError::WrongLength {
            scheme: SCHEME,
            expected: ExpectedLength::Exactly(DIGITS),
            found: digits.chars().count(),
        });
    }
    let base = digits.get(..10).and_then(digits_value);
    let check = digits.get(10..).and_then(digits_value);
    match (base, check) {
        (Some(base), Some(check)) if u64::from(belgian_mod97(base)) == check => {
            Ok(PaymentReference { scheme: SCHEME, normalized: digits.to_owned() })
        }
        _ => Err(ReferenceError::InvalidChecksum { scheme: SCHEME }),
    }
}

pub(super) fn check_digits(base: u64) -> Result<u8, ReferenceError> {
    if base > BASE_MAX {
        return Err(ReferenceError::BaseTooLarge { scheme: SCHEME, base, max: BASE_MAX });
    }
    Ok(belgian_mod97(base))
}

pub(super) fn generate(base: u64) -> Result<PaymentReference, ReferenceError> {
    let check = check_digits(base)?;
    Ok(PaymentReference { scheme: SCHEME, normalized: format!("{base:010}{check:02}") })
}

/// `+++123/4567/89002+++`, or the text unchanged if it is not 12 characters.
pub(super) fn display(normalized: &str) -> String {
    match (normalized.get(..3), normalized.get(3..7), normalized.get(7..), normalized.len()) {
        (Some(a), Some(b), Some(c), DIGITS) => format!("+++{a}/{b}/{c}+++"),
        _ => normalized.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customary_spelling_is_accepted() {
        for text in [
            "+++123/4567/89002+++",
            "***123/4567/89002***",
            "123/4567/89002",
            " +++ 123 / 4567 / 89002 +++ ",
            "123.4567.89002",
            "123-4567-89002",
            "***123 4567 89002***",
        ] {
            assert_eq!(parse(text).unwrap().normalized, "123456789002", "{text}");
        }
    }

    #[test]
    fn delimiters_between_digits_and_other_characters_are_refused_where_they_stand() {
        assert_eq!(
            parse("123+4567/89002"),
            Err(ReferenceError::InvalidCharacter { position: 3, character: '+' })
        );
        assert_eq!(
            parse("+++123/4567/8900X+++"),
            Err(ReferenceError::InvalidCharacter { position: 16, character: 'X' })
        );
        assert_eq!(
            parse("123,4567,89002"),
            Err(ReferenceError::InvalidCharacter { position: 3, character: ',' })
        );
        assert_eq!(parse("+++//+++"), Err(ReferenceError::Empty));
    }

    #[test]
    fn check_digits_00_never_validate() {
        assert_eq!(
            parse("+++000/0000/00000+++"),
            Err(ReferenceError::InvalidChecksum { scheme: SCHEME })
        );
        assert_eq!(check_digits(0).unwrap(), 97);
    }
}
