//! Dutch payment reference (betalingskenmerk, formerly the acceptgiro reference), after the
//! Betaalvereniging's "Specificaties betalingskenmerk":
//! - 7 digits: no check digit;
//! - 16 digits: check digit `C` + 15 digits;
//! - 9 to 14 digits: `C` + length digit `L` + the rest, where `L` is the number of digits after
//!   it, modulo 10;
//! - 8 and 15 digits do not exist.
//!
//! `C` is a weighted modulus 11 over everything after it (the length digit included), with the
//! weights 2, 4, 8, 5, 10, 9, 7, 3, 6, 1 from the rightmost digit leftwards, repeating:
//! `C = 11 - (sum mod 11)`, where 10 becomes 1 and 11 becomes 0.

use super::{PaymentReference, ReferenceError, ReferenceScheme};
use crate::ident::{ExpectedLength, is_common_separator, significant, to_text};

const SCHEME: ReferenceScheme = ReferenceScheme::Nl;
pub(super) const LENGTHS: ExpectedLength = ExpectedLength::OneOf(&[7, 9, 10, 11, 12, 13, 14, 16]);
const WEIGHTS: [u32; 10] = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1];
const BASE_MAX: u64 = 999_999_999_999_999;

/// Parses digits with optional spaces, dots or dashes.
pub(super) fn parse(text: &str) -> Result<PaymentReference, ReferenceError> {
    let chars = significant(text, is_common_separator)?;
    if let Some(bad) = chars.iter().find(|c| !c.byte.is_ascii_digit()) {
        return Err(bad.invalid());
    }
    if chars.is_empty() {
        return Err(ReferenceError::Empty);
    }
    validate(&to_text(&chars))
}

/// Validates a string of digits (no separators).
pub(super) fn validate(digits: &str) -> Result<PaymentReference, ReferenceError> {
    let length = digits.len();
    if !LENGTHS.allows(length) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReferenceError::WrongLength {
            scheme: SCHEME,
            expected: LENGTHS,
            found: length,
        });
    }
    let valid = PaymentReference { scheme: SCHEME, normalized: digits.to_owned() };
    if length == 7 {
        return Ok(valid);
    }
    let digit_at = |i: usize| digits.as_bytes().get(i).map(|b| b - b'0');
    if length <= 14 {
        // The number of digits after L, modulo 10; fits a u8 since length <= 14.
        let expected = u8::try_from((length - 2) % 10).unwrap_or_default();
        match digit_at(1) {
            Some(found) if found == expected => {}
            found => {
                return Err(ReferenceError::InvalidLengthCode {
                    found: found.unwrap_or_default(),
                    expected,
                    length,
                });
            }
        }
    }
    match (digit_at(0), digits.get(1..).and_then(check_digit)) {
        (Some(found), Some(computed)) if found == computed => Ok(valid),
        _ => Err(ReferenceError::InvalidChecksum { scheme: SCHEME }),
    }
}

/// The check digit `C` for everything after it; `None` if `body` holds a non-digit.
pub(super) fn check_digit(body: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (byte, weight) in body.bytes().rev().zip(WEIGHTS.iter().cycle()) {
        if !byte.is_ascii_digit() {
            return None;
        }
        sum += u32::from(byte - b'0') * weight;
    }
    match 11 - sum % 11 {
        10 => Some(1),
        11 => Some(0),
        digit => u8::try_from(digit).ok(),
    }
}

/// The 16-digit reference for `base`: `C` + `base` as 15 digits.
pub(super) fn generate(base: u64) -> Result<PaymentReference, ReferenceError> {
    if base > BASE_MAX {
        return Err(ReferenceError::BaseTooLarge { scheme: SCHEME, base, max: BASE_MAX });
    }
    let body = format!("{base:015}");
    let check = check_digit(&body).ok_or(ReferenceError::InvalidChecksum { scheme: SCHEME })?;
    Ok(PaymentReference { scheme: SCHEME, normalized: format!("{check}{body}") })
}

/// Blocks of four counted from the right: `12 2345 3462 2567`.
pub(super) fn display(normalized: &str) -> String {
    let count = normalized.chars().count();
    let mut out = String::with_capacity(count + count / 4);
    for (i, c) in normalized.chars().enumerate() {
        if i > 0 && (count - i).is_multiple_of(4) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_betaalvereniging_example_sums_to_215() {
        let sum: u32 = "000056789012345"
            .bytes()
            .rev()
            .zip(WEIGHTS.iter().cycle())
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        assert_eq!(sum, 215);
        assert_eq!(check_digit("000056789012345"), Some(5));
    }

    #[test]
    fn remainders_giving_10_and_11_become_1_and_0() {
        assert_eq!(check_digit("100000000000001"), Some(1));
        assert_eq!(check_digit("100000000000006"), Some(0));
    }

    #[test]
    fn lengths_8_and_15_do_not_exist() {
        for digits in ["12345678", "123456789012345"] {
            assert!(
                matches!(validate(digits), Err(ReferenceError::WrongLength { .. })),
                "{digits}"
            );
        }
    }

    #[test]
    fn a_wrong_length_digit_is_named() {
        // 14 digits need L = 2.
        assert_eq!(
            validate("13234534622567"),
            Err(ReferenceError::InvalidLengthCode { found: 3, expected: 2, length: 14 })
        );
    }

    #[test]
    fn letters_are_refused_where_they_stand() {
        assert_eq!(
            parse("5000 0567 8901 234X"),
            Err(ReferenceError::InvalidCharacter { position: 18, character: 'X' })
        );
        assert_eq!(parse(" . "), Err(ReferenceError::Empty));
    }

    #[test]
    fn every_generated_reference_validates() {
        for base in [0, 1, 42, 56_789_012_345, BASE_MAX] {
            let reference = generate(base).unwrap();
            assert_eq!(validate(&reference.normalized), Ok(reference.clone()), "{base}");
        }
    }
}
