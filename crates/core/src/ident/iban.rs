//! IBAN (ISO 13616): the international bank account number.
//!
//! Validation runs in four layers, from the cheapest to the most specific:
//! 1. shape: a two-letter country code of the IBAN registry, two check digits, and exactly the
//!    length that country registered;
//! 2. the ISO 7064 MOD 97-10 check over the whole number;
//! 3. the per-country BBAN structure of the SWIFT IBAN registry (which positions are digits or
//!    letters), delegated to the `iban_validate` crate, plus a small supplement for countries that
//!    crate does not know yet;
//! 4. the national check digits inside the BBAN where arflow's users need them: Belgium (the
//!    account number's own modulo 97) and Spain (the two control digits of the CCC).

use std::fmt;
use std::str::FromStr;

use super::{
    ExpectedLength, IdentError, country_prefix, digits_value, is_common_separator, significant,
    to_text,
};
use crate::reference::iso7064::{belgian_mod97, mod97, mod97_10_check_digits};

const EXPECTED_COUNTRY: &str = "the two-letter code of a country that issues IBANs";

/// Total IBAN length per country (country code and check digits included), from the SWIFT IBAN
/// registry (release 101, the one the test corpus `python-stdnum/iban.dat` was generated from;
/// the integration test checks this table against it).
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16),
    ("BG", 22), ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22),
    ("CY", 28), ("CZ", 24), ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20),
    ("EG", 29), ("ES", 24), ("FI", 18), ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22),
    ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HN", 28), ("HR", 21),
    ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30),
    ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20),
    ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20),
    ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23),
    ("PK", 24), ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22),
    ("RU", 33), ("SA", 24), ("SC", 31), ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24),
    ("SM", 27), ("SO", 23), ("ST", 25), ("SV", 28), ("TL", 23), ("TN", 24), ("TR", 26),
    ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20), ("YE", 30),
];

/// The kind of character a BBAN position holds, in the registry's notation `n`, `a`, `c`.
#[derive(Debug, Clone, Copy)]
enum CharClass {
    Digit,
    Letter,
    Alphanumeric,
}

/// BBAN structures of registry countries that `iban_validate` 5.0.1 does not know: Honduras
/// (`4!a20!n`) and Pakistan (`4!a16!c`), as published in the SWIFT IBAN registry.
const SUPPLEMENT_BBAN: &[(&str, &[(usize, CharClass)])] = &[
    ("HN", &[(4, CharClass::Letter), (20, CharClass::Digit)]),
    ("PK", &[(4, CharClass::Letter), (16, CharClass::Alphanumeric)]),
];

/// The total length of an IBAN of `country_code` (case-insensitive), or `None` for a country
/// that does not issue IBANs.
///
/// # Examples
/// ```
/// use arflow_core::ident::iban_length;
/// assert_eq!(iban_length("BE"), Some(16));
/// assert_eq!(iban_length("nl"), Some(18));
/// assert_eq!(iban_length("US"), None);
/// ```
#[must_use]
pub fn iban_length(country_code: &str) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(country_code))
        .map(|&(_, length)| length)
}

/// A valid IBAN, kept in its electronic form: upper case, no separators.
///
/// Serialises as that string; deserialising validates again.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    /// Parses and validates an IBAN written with or without spaces, dashes or dots, in any case.
    ///
    /// # Errors
    /// - [`IdentError::Empty`] for blank text;
    /// - [`IdentError::InvalidCharacter`] for a character other than letters, digits and
    ///   separators, or a non-digit where the check digits belong;
    /// - [`IdentError::InvalidCountryCode`] when the text does not start with the code of a
    ///   country that issues IBANs;
    /// - [`IdentError::WrongLength`] when the length is not the one of that country;
    /// - [`IdentError::InvalidChecksum`] when the ISO 7064 check fails;
    /// - [`IdentError::InvalidComponent`] when the BBAN does not have the country's structure;
    /// - [`IdentError::InvalidNationalChecksum`] when a Belgian or Spanish account number's own
    ///   check digits are wrong.
    ///
    /// # Examples
    /// ```
    /// use arflow_core::ident::Iban;
    /// let iban = Iban::parse("be68 5390-0754.7034").unwrap();
    /// assert_eq!(iban.electronic(), "BE68539007547034");
    /// assert_eq!(iban.print(), "BE68 5390 0754 7034");
    /// assert_eq!(iban.country(), "BE");
    /// ```
    pub fn parse(text: &str) -> Result<Iban, IdentError> {
        let chars = significant(text, is_common_separator)?;
        if chars.is_empty() {
            return Err(IdentError::Empty);
        }
        let (country, rest) = country_prefix(&chars)?;
        let Some(country) = country else {
            return Err(IdentError::InvalidCountryCode {
                found: String::new(),
                expected: EXPECTED_COUNTRY,
            });
        };
        let country = String::from_utf8_lossy(&country).into_owned();
        let Some(length) = iban_length(&country) else {
            return Err(IdentError::InvalidCountryCode {
                found: country,
                expected: EXPECTED_COUNTRY,
            });
        };
        if let Some(bad) = rest.iter().take(2).find(|c| !c.byte.is_ascii_digit()) {
            return Err(bad.invalid());
        }
        if chars.len() != length {
            return Err(IdentError::WrongLength {
                expected: ExpectedLength::Exactly(length),
                found: chars.len(),
            });
        }
        let electronic = to_text(&chars);
        check_iso13616(&electronic)?;
        check_bban_structure(&electronic)?;
        check_national_digits(&electronic)?;
        Ok(Iban(electronic))
    }

    /// The electronic form: `BE68539007547034`.
    #[must_use]
    pub fn electronic(&self) -> &str {
        &self.0
    }

    /// The paper form, in groups of four: `BE68 5390 0754 7034`.
    #[must_use]
    pub fn print(&self) -> String {
        group_by_four(&self.0)
    }

    /// The ISO 3166 country code: `BE`.
    #[must_use]
    pub fn country(&self) -> &str {
        self.0.get(..2).unwrap_or_default()
    }

    /// The two ISO 13616 check digits: `68`.
    #[must_use]
    pub fn check_digits(&self) -> &str {
        self.0.get(2..4).unwrap_or_default()
    }

    /// The national account number (BBAN): `539007547034`.
    #[must_use]
    pub fn bban(&self) -> &str {
        self.0.get(4..).unwrap_or_default()
    }

    /// For a Belgian IBAN, the 3-digit bank identification code (protocol code) of the National
    /// Bank of Belgium's list: `539`.
    #[must_use]
    pub fn be_bank_code(&self) -> Option<&str> {
        if self.country() == "BE" { self.bban().get(..3) } else { None }
    }

    /// For a Belgian IBAN, the account number in its traditional form: `539-0075470-34`.
    #[must_use]
    pub fn be_account_number(&self) -> Option<String> {
        if self.country() != "BE" {
            return None;
        }
        let bban = self.bban();
        Some(format!("{}-{}-{}", bban.get(..3)?, bban.get(3..10)?, bban.get(10..)?))
    }
}

impl fmt::Display for Iban {
    /// Writes the electronic form; use [`Iban::print`] for the grouped paper form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Iban {
    type Err = IdentError;
    fn from_str(text: &str) -> Result<Iban, IdentError> {
        Iban::parse(text)
    }
}

impl TryFrom<String> for Iban {
    type Error = IdentError;
    fn try_from(text: String) -> Result<Iban, IdentError> {
        Iban::parse(&text)
    }
}

impl From<Iban> for String {
    fn from(iban: Iban) -> String {
        iban.0
    }
}

/// Validates an IBAN and returns its electronic form (upper case, no separators).
///
/// # Errors
/// As [`Iban::parse`].
///
/// # Examples
/// ```
/// use arflow_core::ident::parse_iban;
/// assert_eq!(parse_iban("NL91 ABNA 0417 1643 00").unwrap(), "NL91ABNA0417164300");
/// ```
pub fn parse_iban(text: &str) -> Result<String, IdentError> {
    Iban::parse(text).map(String::from)
}

/// Parses an IBAN that must be Belgian.
///
/// Besides the checks of [`Iban::parse`], a Belgian account number has digits only, so any
/// letter after the country code is reported as an [`IdentError::InvalidCharacter`] where it
/// stands.
///
/// # Errors
/// [`IdentError::InvalidCountryCode`] for an IBAN of another country or text without a country
/// code; otherwise as [`Iban::parse`].
///
/// # Examples
/// ```
/// use arflow_core::ident::{IdentError, parse_be_iban};
/// let iban = parse_be_iban("BE68 539-0075470-34").unwrap();
/// assert_eq!(iban.be_account_number().as_deref(), Some("539-0075470-34"));
/// assert!(matches!(parse_be_iban("NL91ABNA0417164300"), Err(IdentError::InvalidCountryCode { .. })));
/// ```
pub fn parse_be_iban(text: &str) -> Result<Iban, IdentError> {
    const EXPECTED: &str = "BE (a Belgian IBAN)";
    let chars = significant(text, is_common_separator)?;
    if chars.is_empty() {
        return Err(IdentError::Empty);
    }
    match country_prefix(&chars)? {
        (Some(code), rest) if &code == b"BE" => {
            if let Some(bad) = rest.iter().find(|c| !c.byte.is_ascii_digit()) {
                return Err(bad.invalid());
            }
            Iban::parse(text)
        }
        (code, _) => Err(IdentError::InvalidCountryCode {
            found: code.map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default(),
            expected: EXPECTED,
        }),
    }
}

/// The ISO 13616 check digits (`2..=98`) for a BBAN of `country_code`.
///
/// # Errors
/// [`IdentError::InvalidCountryCode`] unless `country_code` is two ASCII letters;
/// [`IdentError::InvalidCharacter`] for a BBAN character other than a letter or digit.
///
/// # Examples
/// ```
/// use arflow_core::ident::iban_check_digits;
/// assert_eq!(iban_check_digits("BE", "435411161155").unwrap(), 31);
/// ```
pub fn iban_check_digits(country_code: &str, bban: &str) -> Result<u8, IdentError> {
    let code = country_code.to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(IdentError::InvalidCountryCode { found: code, expected: "two letters" });
    }
    if let Some((position, character)) =
        bban.chars().enumerate().find(|(_, c)| !c.is_ascii_alphanumeric())
    {
        return Err(IdentError::InvalidCharacter { position, character });
    }
    mod97_10_check_digits(&format!("{bban}{code}")).ok_or(IdentError::InvalidChecksum)
}

/// The check digits of a Belgian account number (the last two of its 12 digits) for its first
/// 10 digits: their remainder modulo 97, with 97 instead of 0.
///
/// # Examples
/// ```
/// use arflow_core::ident::be_national_check_digits;
/// assert_eq!(be_national_check_digits(5_390_075_470), 34);
/// assert_eq!(be_national_check_digits(3_101_002_700), 97);
/// ```
#[must_use]
pub const fn be_national_check_digits(first_ten_digits: u64) -> u8 {
    belgian_mod97(first_ten_digits)
}

/// ISO 13616: check digits `02`..`98` and the whole number, with the first four characters moved
/// to the end, congruent to 1 modulo 97.
fn check_iso13616(electronic: &str) -> Result<(), IdentError> {
    let (Some(head), Some(bban)) = (electronic.get(..4), electronic.get(4..)) else {
        return Err(IdentError::InvalidChecksum);
    };
    let check = head.get(2..).and_then(digits_value).unwrap_or_default();
    // 00, 01 and 99 never come out of the computation (98 - r with r in 0..=96).
    if !(2..=98).contains(&check) || mod97(&format!("{bban}{head}")) != Some(1) {
        return Err(IdentError::InvalidChecksum);
    }
    Ok(())
}

/// The registry's BBAN structure for the country, via `iban_validate`.
fn check_bban_structure(electronic: &str) -> Result<(), IdentError> {
    const BBAN: &str = "national account number (BBAN)";
    const BBAN_REASON: &str =
        "it does not have the structure of digits and letters registered for this country";
    match electronic.parse::<iban::Iban>() {
        Ok(_) => Ok(()),
        Err(iban::ParseIbanError::InvalidBban(_)) => {
            Err(IdentError::InvalidComponent { component: BBAN, reason: BBAN_REASON })
        }
        Err(iban::ParseIbanError::UnknownCountry(_)) => {
            let country = electronic.get(..2).unwrap_or_default();
            let bban = electronic.get(4..).unwrap_or_default();
            match SUPPLEMENT_BBAN.iter().find(|(code, _)| *code == country) {
                Some((_, pattern)) if matches_pattern(bban, pattern) => Ok(()),
                Some(_) => {
                    Err(IdentError::InvalidComponent { component: BBAN, reason: BBAN_REASON })
                }
                None => Err(IdentError::InvalidCountryCode {
                    found: country.to_owned(),
                    expected: EXPECTED_COUNTRY,
                }),
            }
        }
        Err(iban::ParseIbanError::InvalidBaseIban {
            source: iban::ParseBaseIbanError::InvalidChecksum,
        }) => Err(IdentError::InvalidChecksum),
        Err(iban::ParseIbanError::InvalidBaseIban {
            source: iban::ParseBaseIbanError::InvalidFormat,
        }) => Err(IdentError::InvalidComponent {
            component: "IBAN",
            reason: "it does not follow the ISO 13616 format",
        }),
    }
}

fn matches_pattern(bban: &str, pattern: &[(usize, CharClass)]) -> bool {
    let length: usize = pattern.iter().map(|(count, _)| count).sum();
    let classes = pattern.iter().flat_map(|&(count, class)| std::iter::repeat_n(class, count));
    bban.len() == length
        && bban.bytes().zip(classes).all(|(byte, class)| match class {
            CharClass::Digit => byte.is_ascii_digit(),
            CharClass::Letter => byte.is_ascii_uppercase(),
            CharClass::Alphanumeric => byte.is_ascii_digit() || byte.is_ascii_uppercase(),
        })
}

/// The check digits a country puts inside its own account number, for the countries arflow's
/// users pay from most (Belgium) and the one whose check the test corpus exercises (Spain).
fn check_national_digits(electronic: &str) -> Result<(), IdentError> {
    let bban = electronic.get(4..).unwrap_or_default();
    let (valid, country) = match electronic.get(..2) {
        Some("BE") => (belgian_account_is_valid(bban), "Belgian"),
        Some("ES") => (spanish_ccc_is_valid(bban), "Spanish"),
        _ => return Ok(()),
    };
    if valid { Ok(()) } else { Err(IdentError::InvalidNationalChecksum { country }) }
}

/// Belgian account number: 3-digit bank code, 7-digit account, 2 check digits that are the
/// first 10 digits modulo 97 (97 for 0).
fn belgian_account_is_valid(bban: &str) -> bool {
    match (bban.get(..10).and_then(digits_value), bban.get(10..).and_then(digits_value)) {
        (Some(number), Some(check)) => u64::from(belgian_mod97(number)) == check,
        _ => false,
    }
}

/// Spanish CCC: entity (4) + office (4) + 2 control digits + account (10). The first control
/// digit covers `00` + entity + office, the second the account, each with the weights
/// 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 and `11 - (sum mod 11)`, where 11 gives 0 and 10 gives 1.
fn spanish_ccc_is_valid(bban: &str) -> bool {
    let (Some(entity_office), Some(control), Some(account)) =
        (bban.get(..8), bban.get(8..10), bban.get(10..))
    else {
        return false;
    };
    let expected = format!(
        "{}{}",
        spanish_control_digit(&format!("00{entity_office}")),
        spanish_control_digit(account)
    );
    control == expected
}

fn spanish_control_digit(ten_digits: &str) -> u8 {
    const WEIGHTS: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let sum: u32 = ten_digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(byte, weight)| u32::from(byte.saturating_sub(b'0')) * weight)
        .sum();
    match 11 - sum % 11 {
        11 => 0,
        10 => 1,
        // Below 10 here, so the narrowing keeps the value.
        digit => u8::try_from(digit).unwrap_or_default(),
    }
}

/// Groups a string in blocks of four, separated by single spaces.
pub(crate) fn group_by_four(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i.is_multiple_of(4) {
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
    fn the_registry_example_validates_in_every_spelling() {
        for text in [
            "BE68539007547034",
            "be68 5390 0754 7034",
            " BE68-5390-0754-7034 ",
            "BE68.539.0075470.34",
        ] {
            assert_eq!(parse_iban(text).unwrap(), "BE68539007547034", "{text}");
        }
    }

    #[test]
    fn the_parts_of_a_belgian_iban_are_available() {
        let iban = Iban::parse("BE68539007547034").unwrap();
        assert_eq!(iban.check_digits(), "68");
        assert_eq!(iban.bban(), "539007547034");
        assert_eq!(iban.be_bank_code(), Some("539"));
        assert_eq!(iban.be_account_number().as_deref(), Some("539-0075470-34"));
        assert_eq!(iban.to_string(), "BE68539007547034");
        let dutch = Iban::parse("NL91ABNA0417164300").unwrap();
        assert_eq!(dutch.be_bank_code(), None);
        assert_eq!(dutch.print(), "NL91 ABNA 0417 1643 00");
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(Iban::parse(" - "), Err(IdentError::Empty));
        assert_eq!(
            Iban::parse("BE68/5390"),
            Err(IdentError::InvalidCharacter { position: 4, character: '/' })
        );
        assert!(matches!(Iban::parse("US12 3456"), Err(IdentError::InvalidCountryCode { .. })));
        assert!(matches!(Iban::parse("12 3456"), Err(IdentError::InvalidCountryCode { .. })));
        assert_eq!(
            Iban::parse("BE6853900754703"),
            Err(IdentError::WrongLength { expected: ExpectedLength::Exactly(16), found: 15 })
        );
        assert_eq!(
            Iban::parse("BEX8539007547034"),
            Err(IdentError::InvalidCharacter { position: 2, character: 'X' })
        );
        assert_eq!(Iban::parse("BE68539007547035"), Err(IdentError::InvalidChecksum));
    }

    #[test]
    fn a_belgian_account_with_remainder_zero_has_check_digits_97() {
        assert!(Iban::parse("BE54310100270097").is_ok());
        assert!(Iban::parse("BE54310100270000").is_err());
    }

    #[test]
    fn national_check_digits_are_verified_for_belgium_and_spain() {
        assert_eq!(
            Iban::parse("BE41091811735141"),
            Err(IdentError::InvalidNationalChecksum { country: "Belgian" })
        );
        assert_eq!(be_national_check_digits(918_117_351), 32);
        assert!(Iban::parse("ES9121000418450200051332").is_ok());
        assert_eq!(
            Iban::parse("ES2121000418450200051331"),
            Err(IdentError::InvalidNationalChecksum { country: "Spanish" })
        );
    }

    #[test]
    fn countries_missing_from_iban_validate_use_the_supplement() {
        assert!(Iban::parse("PK36SCBL0000001123456702").is_ok());
        let check = iban_check_digits("HN", "CABF00000000000250005469").unwrap();
        assert!(Iban::parse(&format!("HN{check:02}CABF00000000000250005469")).is_ok());
        let check = iban_check_digits("HN", "CABF0000000000025000546A").unwrap();
        assert!(matches!(
            Iban::parse(&format!("HN{check:02}CABF0000000000025000546A")),
            Err(IdentError::InvalidComponent { .. })
        ));
    }

    #[test]
    fn check_digits_can_be_computed() {
        assert_eq!(iban_check_digits("be", "539007547034").unwrap(), 68);
        assert!(iban_check_digits("B1", "1").is_err());
        assert_eq!(
            iban_check_digits("BE", "53-9"),
            Err(IdentError::InvalidCharacter { position: 2, character: '-' })
        );
    }

    #[test]
    fn an_iban_round_trips_through_serde_and_refuses_invalid_text() {
        let iban = Iban::parse("BE68539007547034").unwrap();
        let json = serde_json::to_string(&iban).unwrap();
        assert_eq!(json, "\"BE68539007547034\"");
        assert_eq!(serde_json::from_str::<Iban>(&json).unwrap(), iban);
        assert!(serde_json::from_str::<Iban>("\"BE68539007547035\"").is_err());
    }

    #[test]
    fn the_length_table_is_sorted_and_unique() {
        assert!(IBAN_LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
