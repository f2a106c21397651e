//! Dutch identifiers: the VAT identification number (btw-identificatienummer) and the Chamber of
//! Commerce number (KvK-nummer).

use super::{
    ExpectedLength, IdentError, country_prefix, is_common_separator, significant, to_text,
};
use crate::reference::iso7064::is_mod97_10_valid;

const VAT_FORM: &str = "a Dutch VAT number has the form NL + 9 digits + B + 2 digits";

/// Parses a Dutch VAT identification number and returns it as `NL` + 9 digits + `B` + 2 digits.
///
/// Accepted: an optional `NL` prefix, any case, spaces, dots and dashes, and fewer than 9 digits
/// before the `B` (leading zeros left out; they are put back).
///
/// The number is valid when either check holds:
/// - the old one, for numbers derived from the BSN/RSIN: the "elfproef" on the 9 digits
///   (`9·d1 + 8·d2 + … + 2·d8 − d9` divisible by 11);
/// - the one introduced on 1 January 2020 for sole proprietors, whose btw-id no longer contains
///   the BSN: ISO 7064 MOD 97-10 over `NL` + digits + `B` + digits, letters converted as in an
///   IBAN, must give 1.
///
/// A number of nine zeros passes the elfproef arithmetically but is no one's number; it is
/// refused.
///
/// # Errors
/// - [`IdentError::Empty`] for blank text;
/// - [`IdentError::InvalidCharacter`] for a character out of place;
/// - [`IdentError::InvalidCountryCode`] for a prefix other than `NL`;
/// - [`IdentError::InvalidComponent`] when the digits or the `B` part are missing or too long;
/// - [`IdentError::InvalidChecksum`] when neither check holds.
///
/// # Examples
/// ```
/// use arflow_core::ident::parse_nl_vat;
/// assert_eq!(parse_nl_vat("NL4495445B01").unwrap(), "NL004495445B01");
/// assert_eq!(parse_nl_vat("nl 0024.55799.b11").unwrap(), "NL002455799B11");
/// assert!(parse_nl_vat("123456789B90").is_err());
/// ```
pub fn parse_nl_vat(text: &str) -> Result<String, IdentError> {
    let chars = significant(text, is_common_separator)?;
    if chars.is_empty() {
        return Err(IdentError::Empty);
    }
    let (country, rest) = country_prefix(&chars)?;
    if let Some(code) = country.filter(|code| code != b"NL") {
        return Err(IdentError::InvalidCountryCode {
            found: String::from_utf8_lossy(&code).into_owned(),
            expected: "NL or no prefix",
        });
    }
    let number_len = rest.iter().take_while(|c| c.byte.is_ascii_digit()).count();
    let (number, tail) = rest.split_at_checked(number_len).unwrap_or((rest, &[]));
    let suffix = match tail {
        [] => return Err(IdentError::InvalidComponent { component: "letter B", reason: VAT_FORM }),
        [b, suffix @ ..] if b.byte == b'B' => suffix,
        [other, ..] => return Err(other.invalid()),
    };
    if let Some(bad) = suffix.iter().find(|c| !c.byte.is_ascii_digit()) {
        return Err(bad.invalid());
    }
    if !(1..=9).contains(&number.len()) {
        return Err(IdentError::InvalidComponent {
            component: "number before the B",
            reason: "it must have 9 digits (leading zeros may be left out)",
        });
    }
    if suffix.len() != 2 {
        return Err(IdentError::InvalidComponent {
            component: "number after the B",
            reason: "it must have 2 digits",
        });
    }
    let digits = format!("{:0>9}", to_text(number));
    if digits.bytes().all(|b| b == b'0') {
        return Err(IdentError::InvalidComponent {
            component: "number before the B",
            reason: "it cannot be zero",
        });
    }
    let canonical = format!("NL{digits}B{}", to_text(suffix));
    if passes_elfproef(&digits) || is_mod97_10_valid(&canonical) {
        Ok(canonical)
    } else {
        Err(IdentError::InvalidChecksum)
    }
}

/// The Dutch "eleven test" on 9 digits: `9·d1 + 8·d2 + … + 2·d8 ≡ d9 (mod 11)`, which is the
/// usual `… − d9 ≡ 0` without negative numbers.
fn passes_elfproef(nine_digits: &str) -> bool {
    let values: Vec<u32> = nine_digits.bytes().map(|b| u32::from(b.saturating_sub(b'0'))).collect();
    let [leading @ .., last] = values.as_slice() else {
        return false;
    };
    let weighted: u32 = leading.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
    values.len() == 9 && weighted % 11 == *last
}

/// Parses a Dutch Chamber of Commerce (KvK) number: exactly 8 digits; spaces, dots and dashes
/// are ignored.
///
/// A KvK number has no check digit (the KvK hands them out as plain serial numbers), so only
/// the form can be checked; whether the number exists needs the KvK register.
///
/// # Errors
/// [`IdentError::Empty`], [`IdentError::InvalidCharacter`] for anything but digits and
/// separators, [`IdentError::WrongLength`] unless there are 8 digits.
///
/// # Examples
/// ```
/// use arflow_core::ident::parse_kvk;
/// assert_eq!(parse_kvk("6963 4230").unwrap(), "69634230");
/// assert!(parse_kvk("6963423").is_err());
/// ```
pub fn parse_kvk(text: &str) -> Result<String, IdentError> {
    let chars = significant(text, is_common_separator)?;
    if chars.is_empty() {
        return Err(IdentError::Empty);
    }
    if let Some(bad) = chars.iter().find(|c| !c.byte.is_ascii_digit()) {
        return Err(bad.invalid());
    }
    if chars.len() != 8 {
        return Err(IdentError::WrongLength {
            expected: ExpectedLength::Exactly(8),
            found: chars.len(),
        });
    }
    Ok(to_text(&chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_elfproef_and_the_2020_mod97_check_are_both_accepted() {
        assert!(passes_elfproef("004495445"));
        assert_eq!(parse_nl_vat("004495445B01").unwrap(), "NL004495445B01");
        assert!(!passes_elfproef("002455799"));
        assert_eq!(parse_nl_vat("NL002455799B11").unwrap(), "NL002455799B11");
        assert_eq!(parse_nl_vat("123456789B90"), Err(IdentError::InvalidChecksum));
    }

    #[test]
    fn malformed_vat_numbers_are_refused_with_a_reason() {
        assert!(matches!(parse_nl_vat("NL004495445"), Err(IdentError::InvalidComponent { .. })));
        assert!(matches!(
            parse_nl_vat("NL0044954450B01"),
            Err(IdentError::InvalidComponent { .. })
        ));
        assert!(matches!(parse_nl_vat("NL004495445B1"), Err(IdentError::InvalidComponent { .. })));
        assert!(matches!(parse_nl_vat("NL000000000B00"), Err(IdentError::InvalidComponent { .. })));
        assert_eq!(
            parse_nl_vat("NL004495445C01"),
            Err(IdentError::InvalidCharacter { position: 11, character: 'C' })
        );
        assert!(matches!(
            parse_nl_vat("BE004495445B01"),
            Err(IdentError::InvalidCountryCode { .. })
        ));
    }

    #[test]
    fn a_kvk_number_has_eight_digits_and_nothing_else() {
        assert_eq!(parse_kvk("12.34.56.78").unwrap(), "12345678");
        assert_eq!(
            parse_kvk("1234567A"),
            Err(IdentError::InvalidCharacter { position: 7, character: 'A' })
        );
        assert_eq!(
            parse_kvk("123456789"),
            Err(IdentError::WrongLength { expected: ExpectedLength::Exactly(8), found: 9 })
        );
        assert_eq!(parse_kvk(""), Err(IdentError::Empty));
    }
}
