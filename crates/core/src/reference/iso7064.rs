//! ISO 7064 MOD 97-10, the check-digit system of the IBAN (ISO 13616), the RF creditor reference
//! (ISO 11649) and the Dutch VAT identification number, plus the Belgian "modulo 97, 97 for 0"
//! variant used by the structured communication and the Belgian account number.
//!
//! The numbers involved are far longer than any machine integer (an IBAN turned into digits has up
//! to 68 of them), so the remainder is computed while streaming over the characters: after each
//! character the running remainder is multiplied by 10 (digit) or 100 (letter, which stands for
//! two digits) and reduced modulo 97 again. Every intermediate value stays below 10 000.

/// The remainder modulo 97 of `text` read as one long number, where each letter stands for its
/// two-digit value (`A` = 10 … `Z` = 35, case-insensitive) as ISO 7064 and ISO 13616 prescribe.
///
/// Returns `None` when `text` contains anything other than ASCII letters and digits. The empty
/// text is the number 0.
///
/// # Examples
/// ```
/// use arflow_core::reference::iso7064::mod97;
/// assert_eq!(mod97("1234567890"), Some(2));
/// // "RF" becomes 27 15.
/// assert_eq!(mod97("539007547034RF18"), Some(1));
/// assert_eq!(mod97("12-34"), None);
/// ```
#[must_use]
pub fn mod97(text: &str) -> Option<u8> {
    let mut remainder: u32 = 0;
    for byte in text.bytes() {
        remainder = push_mod97(remainder, byte)?;
    }
    u8::try_from(remainder).ok()
}

/// Feeds one character into a running MOD 97 remainder; `None` for a character that has no
/// numeric value.
fn push_mod97(remainder: u32, byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some((remainder * 10 + u32::from(byte - b'0')) % 97),
        b'A'..=b'Z' => Some((remainder * 100 + u32::from(byte - b'A') + 10) % 97),
        b'a'..=b'z' => Some((remainder * 100 + u32::from(byte - b'a') + 10) % 97),
        _ => None,
    }
}

/// The two MOD 97-10 check digits (`02` to `98`) that, appended to `payload`, make the whole
/// number congruent to 1 modulo 97.
///
/// Returns `None` when `payload` contains anything other than ASCII letters and digits.
///
/// # Examples
/// ```
/// use arflow_core::reference::iso7064::mod97_10_check_digits;
/// assert_eq!(mod97_10_check_digits("5367"), Some(2));
/// assert_eq!(mod97_10_check_digits("5303"), Some(97));
/// ```
#[must_use]
pub fn mod97_10_check_digits(payload: &str) -> Option<u8> {
    // Appending "00" multiplies by 100; the check digits then fill the gap up to 98 ≡ 1.
    let remainder = mod97(payload)?;
    let shifted = (u32::from(remainder) * 100) % 97;
    u8::try_from(98 - shifted).ok()
}

/// Whether `text` (letters allowed, see [`mod97`]) satisfies MOD 97-10, i.e. is 1 modulo 97.
///
/// # Examples
/// ```
/// use arflow_core::reference::iso7064::is_mod97_10_valid;
/// assert!(is_mod97_10_valid("536702"));
/// assert!(!is_mod97_10_valid("536703"));
/// ```
#[must_use]
pub fn is_mod97_10_valid(text: &str) -> bool {
    mod97(text) == Some(1)
}

/// The Belgian check digits of `number`: `number mod 97`, with 97 instead of 0, so the result is
/// always `1..=97` and `00` never occurs.
///
/// This is not ISO 7064: it is the rule of the Belgian structured communication (OGM/VCS, applied
/// to its first 10 digits) and of the Belgian account number (applied to its first 10 digits,
/// which are the bank code and the account).
///
/// # Examples
/// ```
/// use arflow_core::reference::iso7064::belgian_mod97;
/// assert_eq!(belgian_mod97(1_234_567_890), 2);
/// assert_eq!(belgian_mod97(194), 97);
/// ```
#[must_use]
pub const fn belgian_mod97(number: u64) -> u8 {
    // The remainder is below 97, so the narrowing cannot lose anything.
    let remainder = (number % 97) as u8;
    if remainder == 0 { 97 } else { remainder }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_count_as_two_digits_in_either_case() {
        assert_eq!(mod97("RF"), Some(96)); // 2715 = 27 * 97 + 96
        assert_eq!(mod97("rf"), mod97("RF"));
        assert_eq!(mod97("Z"), Some(35));
    }

    #[test]
    fn the_empty_text_is_zero_and_separators_are_refused() {
        assert_eq!(mod97(""), Some(0));
        assert_eq!(mod97("12 34"), None);
        assert_eq!(mod97("é"), None);
    }

    #[test]
    fn streaming_agrees_with_integer_arithmetic() {
        for n in [0_u64, 1, 96, 97, 98, 1_234_567_890, u64::MAX] {
            assert_eq!(u64::from(mod97(&n.to_string()).unwrap()), n % 97, "{n}");
        }
    }

    #[test]
    fn check_digits_make_the_number_valid() {
        for payload in ["5367", "5303", "5335", "539007547034RF", "0"] {
            let check = mod97_10_check_digits(payload).unwrap();
            assert!((2..=98).contains(&check), "{payload}: {check}");
            assert!(is_mod97_10_valid(&format!("{payload}{check:02}")), "{payload}");
        }
        assert_eq!(mod97_10_check_digits("5335"), Some(98));
    }

    #[test]
    fn the_belgian_variant_uses_97_for_a_zero_remainder() {
        assert_eq!(belgian_mod97(0), 97);
        assert_eq!(belgian_mod97(97), 97);
        assert_eq!(belgian_mod97(1), 1);
        assert_eq!(belgian_mod97(108_068_171), 83);
    }
}
