//! ISO 11649 structured creditor reference: `RF` + 2 check digits + 1 to 21 letters or digits,
//! checked with ISO 7064 MOD 97-10. Printed in blocks of four; the spaces are not part of it.

use super::iso7064::{mod97, mod97_10_check_digits};
use super::{PaymentReference, ReferenceError, ReferenceScheme};
use crate::ident::{ExpectedLength, significant, to_text};

const SCHEME: ReferenceScheme = ReferenceScheme::Rf;
/// `RF`, two check digits and 1 to 21 characters.
const LENGTHS: ExpectedLength = ExpectedLength::Between { min: 5, max: 25 };
const BODY_LENGTHS: ExpectedLength = ExpectedLength::Between { min: 1, max: 21 };

/// Parses an RF reference written in any case, with spaces anywhere.
pub(super) fn parse(text: &str) -> Result<PaymentReference, ReferenceError> {
    let chars = significant(text, |c| c == ' ')?;
    let compact = to_text(&chars);
    if compact.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if !compact.starts_with("RF") {
        return Err(ReferenceError::MissingRfPrefix);
    }
    if !LENGTHS.allows(compact.len()) {
        return Err(ReferenceError::WrongLength {
            scheme: SCHEME,
            expected: LENGTHS,
            found: compact.len(),
        });
    }
    if let Some(bad) = chars.get(2..4).unwrap_or_default().iter().find(|c| !c.byte.is_ascii_digit())
    {
        return Err(bad.invalid());
    }
    let (Some(head), Some(body)) = (compact.get(..4), compact.get(4..)) else {
        return Err(ReferenceError::InvalidChecksum { scheme: SCHEME });
    };
    // 00, 01 and 99 are congruent to 97, 98 and 2 but never come out of the computation.
    let plausible = head.get(2..).is_some_and(|check| !matches!(check, "00" | "01" | "99"));
    if !plausible || mod97(&format!("{body}{head}")) != Some(1) {
        return Err(ReferenceError::InvalidChecksum { scheme: SCHEME });
    }
    Ok(PaymentReference { scheme: SCHEME, normalized: compact })
}

/// Makes an RF creditor reference of an alphanumeric `body` (1 to 21 letters or digits; spaces
/// are dropped and letters upper-cased).
///
/// # Errors
/// [`ReferenceError::Empty`], [`ReferenceError::InvalidCharacter`] for anything but letters,
/// digits and spaces, [`ReferenceError::WrongLength`] for a body longer than 21 characters.
///
/// # Examples
/// ```
/// use arflow_core::reference::generate_rf_from_text;
/// assert_eq!(generate_rf_from_text("INV2026000123").unwrap().normalized, "RF98INV2026000123");
/// assert_eq!(generate_rf_from_text("AB2G 59X5 6V54 3").unwrap().display(), "RF19 AB2G 59X5 6V54 3");
/// ```
pub fn generate_rf_from_text(body: &str) -> Result<PaymentReference, ReferenceError> {
    let chars = significant(body, |c| c == ' ')?;
    let body = to_text(&chars);
    if body.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if !BODY_LENGTHS.allows(body.len()) {
        return Err(ReferenceError::WrongLength {
            scheme: SCHEME,
            expected: BODY_LENGTHS,
            found: body.len(),
        });
    }
    let check = mod97_10_check_digits(&format!("{body}RF"))
        .ok_or(ReferenceError::InvalidChecksum { scheme: SCHEME })?;
    Ok(PaymentReference { scheme: SCHEME, normalized: format!("RF{check:02}{body}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_example_validates_and_its_neighbour_does_not() {
        assert_eq!(parse("RF18 5390 0754 7034").unwrap().normalized, "RF18539007547034");
        assert_eq!(parse("rf18539007547034").unwrap().normalized, "RF18539007547034");
        assert_eq!(
            parse("RF17539007547034"),
            Err(ReferenceError::InvalidChecksum { scheme: SCHEME })
        );
    }

    #[test]
    fn shape_errors_are_named() {
        assert_eq!(parse(" "), Err(ReferenceError::Empty));
        assert_eq!(parse("RX18539007547034"), Err(ReferenceError::MissingRfPrefix));
        assert_eq!(
            parse("RF18"),
            Err(ReferenceError::WrongLength { scheme: SCHEME, expected: LENGTHS, found: 4 })
        );
        assert_eq!(
            parse("RF1A539007547034"),
            Err(ReferenceError::InvalidCharacter { position: 3, character: 'A' })
        );
        assert_eq!(
            parse("RF18-5390"),
            Err(ReferenceError::InvalidCharacter { position: 4, character: '-' })
        );
        assert!(generate_rf_from_text("1234567890123456789012").is_err());
        assert_eq!(
            generate_rf_from_text("AB_1"),
            Err(ReferenceError::InvalidCharacter { position: 2, character: '_' })
        );
    }

    #[test]
    fn check_digits_that_the_computation_never_gives_are_refused() {
        // RF741 is valid; 74 + 97 = 171 is not two digits, but "RF" + 00…01 and 99 are the
        // congruent spellings of 97, 98 and 02.
        let with_02 = (1..1000_u32)
            .map(|n| generate_rf_from_text(&n.to_string()).unwrap().normalized)
            .find(|r| r.starts_with("RF02"))
            .unwrap();
        assert!(parse(&with_02).is_ok());
        assert!(parse(&with_02.replacen("RF02", "RF99", 1)).is_err());
    }
}
