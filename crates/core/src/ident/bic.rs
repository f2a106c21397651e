//! BIC (ISO 9362), the business identifier code of a bank, also called SWIFT code.
//!
//! Eight or eleven characters: a 4-letter bank (institution) code, the 2-letter ISO 3166 country
//! code of the bank's location, a 2-character location code and an optional 3-character branch
//! code (`XXX` for the head office).

use std::fmt;
use std::str::FromStr;

use super::{ExpectedLength, IdentError, Significant, is_iso3166_alpha2, significant, to_text};

/// A valid BIC, upper case, without spaces, 8 or 11 characters.
///
/// Serialises as that string; deserialising validates again.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Bic(String);

impl Bic {
    /// Parses a BIC written with or without spaces, in any case.
    ///
    /// The bank code must be letters. (ISO 9362:2014 also allows digits there, but no bank
    /// arflow's users pay from or to has such a code, and refusing them catches a common
    /// mistake: an account number typed in the BIC field.)
    ///
    /// # Errors
    /// - [`IdentError::Empty`] for blank text;
    /// - [`IdentError::InvalidCharacter`] for a character other than letters, digits and spaces,
    ///   or a digit in the bank or country code;
    /// - [`IdentError::WrongLength`] unless there are 8 or 11 characters;
    /// - [`IdentError::InvalidCountryCode`] when positions 5-6 are not an ISO 3166 country code.
    ///
    /// # Examples
    /// ```
    /// use arflow_core::ident::Bic;
    /// let bic = Bic::parse("gkcc be bb").unwrap();
    /// assert_eq!(bic.as_str(), "GKCCBEBB");
    /// assert_eq!(bic.country(), "BE");
    /// assert_eq!(bic.branch(), None);
    /// assert!(Bic::parse("MULTIPLE").is_err()); // "IP" is no country
    /// ```
    pub fn parse(text: &str) -> Result<Bic, IdentError> {
        let chars = significant(text, |c| c == ' ')?;
        if chars.is_empty() {
            return Err(IdentError::Empty);
        }
        let lengths = ExpectedLength::OneOf(&[8, 11]);
        if !lengths.allows(chars.len()) {
            return Err(IdentError::WrongLength { expected: lengths, found: chars.len() });
        }
        let letters: &[Significant] = chars.get(..6).unwrap_or_default();
        if let Some(bad) = letters.iter().find(|c| !c.byte.is_ascii_alphabetic()) {
            return Err(bad.invalid());
        }
        let country = to_text(chars.get(4..6).unwrap_or_default());
        if !is_iso3166_alpha2(&country) {
            return Err(IdentError::InvalidCountryCode {
                found: country,
                expected: "an ISO 3166 country code in positions 5 and 6",
            });
        }
        Ok(Bic(to_text(&chars)))
    }

    /// The BIC as one upper-case word: `GKCCBEBB`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bank (institution) code: `GKCC`.
    #[must_use]
    pub fn bank_code(&self) -> &str {
        self.0.get(..4).unwrap_or_default()
    }

    /// The country code: `BE`.
    #[must_use]
    pub fn country(&self) -> &str {
        self.0.get(4..6).unwrap_or_default()
    }

    /// The location code: `BB`.
    #[must_use]
    pub fn location(&self) -> &str {
        self.0.get(6..8).unwrap_or_default()
    }

    /// The branch code of an 11-character BIC (`XXX` is the head office).
    #[must_use]
    pub fn branch(&self) -> Option<&str> {
        self.0.get(8..11)
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Bic {
    type Err = IdentError;
    fn from_str(text: &str) -> Result<Bic, IdentError> {
        Bic::parse(text)
    }
}

impl TryFrom<String> for Bic {
    type Error = IdentError;
    fn try_from(text: String) -> Result<Bic, IdentError> {
        Bic::parse(&text)
    }
}

impl From<Bic> for String {
    fn from(bic: Bic) -> String {
        bic.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eleven_character_bic_has_a_branch() {
        let bic = Bic::parse("NBBEBEBB203").unwrap();
        assert_eq!(
            (bic.bank_code(), bic.country(), bic.location(), bic.branch()),
            ("NBBE", "BE", "BB", Some("203"))
        );
    }

    #[test]
    fn malformed_bics_are_refused_with_a_reason() {
        assert_eq!(Bic::parse("  "), Err(IdentError::Empty));
        assert_eq!(
            Bic::parse("GKCCBEB"),
            Err(IdentError::WrongLength { expected: ExpectedLength::OneOf(&[8, 11]), found: 7 })
        );
        assert_eq!(
            Bic::parse("GKC1BEBB"),
            Err(IdentError::InvalidCharacter { position: 3, character: '1' })
        );
        assert_eq!(
            Bic::parse("GKCC-BEBB"),
            Err(IdentError::InvalidCharacter { position: 4, character: '-' })
        );
        assert!(matches!(
            Bic::parse("GKCCUKBB"),
            Err(IdentError::InvalidCountryCode { ref found, .. }) if found == "UK"
        ));
    }
}
