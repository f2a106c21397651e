//! Organisations and debtors: who is owed and who owes.
//!
//! These are plain validated values. Stores give them ids; use cases decide when they change.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};
use crate::reference::ReferenceScheme;

/// A country arflow knows the rules of, or simply an ISO 3166-1 alpha-2 code for a debtor abroad.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

/// Why a value of a closed vocabulary (country, language, kind, …) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what}; expected {expected}")]
pub struct VocabularyError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl CountryCode {
    pub const NL: CountryCode = CountryCode(*b"NL");
    pub const BE: CountryCode = CountryCode(*b"BE");

    /// Parses a two-letter country code (case-insensitive).
    ///
    /// # Errors
    /// [`VocabularyError`] unless the text is two ASCII letters.
    pub fn parse(text: &str) -> Result<CountryCode, VocabularyError> {
        let t = text.trim();
        let b = t.as_bytes();
        match b {
            [a, c] if a.is_ascii_alphabetic() && c.is_ascii_alphabetic() => {
                Ok(CountryCode([a.to_ascii_uppercase(), c.to_ascii_uppercase()]))
            }
            _ => Err(VocabularyError {
                what: "country",
                value: text.to_owned(),
                expected: "a two-letter ISO 3166 code such as NL or BE",
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CountryCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Declares a closed vocabulary: an enum with a stable lower-case text form.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form used in storage, CSV and JSON.
            pub const fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::party::VocabularyError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let t = text.trim();
                $(if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                Err($crate::party::VocabularyError {
                    what: $what,
                    value: text.to_owned(),
                    expected: concat!($($text, " "),+),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// A country whose legal rules arflow implements for the creditor.
    OrgCountry, "organisation country", { Nl => "NL", Be => "BE" }
);

impl OrgCountry {
    pub fn code(&self) -> CountryCode {
        match self {
            OrgCountry::Nl => CountryCode::NL,
            OrgCountry::Be => CountryCode::BE,
        }
    }

    /// The time zone an organisation of this country gets by default.
    pub fn default_time_zone(&self) -> &'static str {
        match self {
            OrgCountry::Nl => "Europe/Amsterdam",
            OrgCountry::Be => "Europe/Brussels",
        }
    }

    /// The payment-reference scheme customary in this country.
    pub fn default_reference_scheme(&self) -> ReferenceScheme {
        match self {
            OrgCountry::Nl => ReferenceScheme::Nl,
            OrgCountry::Be => ReferenceScheme::Ogm,
        }
    }

    pub fn default_language(&self) -> Language {
        match self {
            OrgCountry::Nl => Language::Nl,
            OrgCountry::Be => Language::Nl,
        }
    }
}

vocabulary!(
    /// A language messages and pages are written in.
    Language, "language", { Nl => "nl", Fr => "fr", En => "en", De => "de" }
);

vocabulary!(
    /// Business or consumer: the law treats them differently (collection costs, interest).
    DebtorKind, "debtor kind", { Business => "business", Consumer => "consumer" }
);

vocabulary!(
    /// What an e-mail address or phone number is for.
    ContactPurpose, "contact purpose", {
        General => "general",
        Billing => "billing",
        Reminders => "reminders",
        Mobile => "mobile",
    }
);

/// A slug: the short, URL-safe name of an organisation (`acme-bv`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Longest slug, in characters.
pub const SLUG_LEN_MAX: usize = 63;

impl Slug {
    /// Parses a slug: 1–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    ///
    /// # Errors
    /// [`VocabularyError`] naming the rule.
    pub fn parse(text: &str) -> Result<Slug, VocabularyError> {
        let ok = !text.is_empty()
            && text.len() <= SLUG_LEN_MAX
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(Slug(text.to_owned()))
        } else {
            Err(VocabularyError {
                what: "slug",
                value: text.to_owned(),
                expected: "1-63 characters a-z, 0-9 and '-', not starting or ending with '-'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = VocabularyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The creditor: the organisation whose receivables arflow manages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub slug: Slug,
    pub name: String,
    pub country: OrgCountry,
    /// IANA time zone name; "today" for this organisation is a civil date in it.
    pub time_zone: String,
    pub language: Language,
    /// The currency its reports are in and its invoices default to.
    pub currency: Currency,
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// Belgian enterprise number (KBO/BCE), `0123.456.789`.
    pub enterprise_number: Option<String>,
    /// Dutch Chamber of Commerce number (KvK), 8 digits.
    pub kvk_number: Option<String>,
    pub vat_number: Option<String>,
    /// The scheme new payment references are generated in.
    pub reference_scheme: ReferenceScheme,
}

impl Organisation {
    /// A new organisation with the defaults of its country.
    pub fn new(slug: Slug, name: String, country: OrgCountry) -> Organisation {
        Organisation {
            slug,
            name,
            country,
            time_zone: country.default_time_zone().to_owned(),
            language: country.default_language(),
            currency: Currency::EUR,
            iban: None,
            bic: None,
            enterprise_number: None,
            kvk_number: None,
            vat_number: None,
            reference_scheme: country.default_reference_scheme(),
        }
    }
}

/// An e-mail address or phone number of a debtor, with what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub value: String,
    pub purpose: ContactPurpose,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<CountryCode>,
}

/// Dunning is paused for a debtor until a date (or until resumed), for a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub reason: String,
    /// Last day of the pause; `None` means until someone resumes it.
    pub until: Option<Date>,
}

/// A customer who owes money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debtor {
    /// The organisation's own customer number; unique within the organisation.
    pub number: String,
    pub name: String,
    pub kind: DebtorKind,
    pub country: CountryCode,
    pub language: Language,
    pub emails: Vec<Contact>,
    pub phones: Vec<Contact>,
    pub address: Address,
    pub vat_number: Option<String>,
    pub enterprise_number: Option<String>,
    /// IBANs this debtor has paid from or told us about (electronic form).
    pub ibans: Vec<String>,
    pub segments: Vec<String>,
    /// The person responsible for this debtor (a user name or e-mail).
    pub owner: Option<String>,
    pub credit_limit: Option<Money>,
    pub pause: Option<Pause>,
}

impl Debtor {
    /// Whether dunning is paused on `today`.
    pub fn is_paused_on(&self, today: Date) -> bool {
        self.pause.as_ref().is_some_and(|p| p.until.is_none_or(|until| today <= until))
    }
}

/// A problem with one field of a value given through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Longest name, number or free text accepted for a debtor field, in bytes.
pub const DEBTOR_TEXT_BYTES_MAX: usize = 500;

impl Debtor {
    /// Checks a debtor given field by field (through the API) the way a file import checks a row,
    /// and brings identifiers into their canonical form (IBANs electronic, VAT numbers compact).
    ///
    /// # Errors
    /// Every problem found, each naming its field.
    pub fn normalize(&mut self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(FieldError { field: field.to_owned(), message });
        };
        self.number = self.number.trim().to_owned();
        self.name = self.name.trim().to_owned();
        if self.number.is_empty() || self.number.len() > 64 {
            fail("number", "the number must be 1-64 characters".into());
        }
        if self.name.is_empty() || self.name.len() > DEBTOR_TEXT_BYTES_MAX {
            fail("name", format!("the name must be 1-{DEBTOR_TEXT_BYTES_MAX} bytes"));
        }
        for (i, c) in self.emails.iter().enumerate() {
            if !is_plausible_email(&c.value) {
                fail(&format!("emails[{i}]"), format!("'{}' is not an e-mail address", c.value));
            }
        }
        for (i, c) in self.phones.iter().enumerate() {
            if !is_plausible_phone(&c.value) {
                fail(&format!("phones[{i}]"), format!("'{}' is not a phone number", c.value));
            }
        }
        for (i, iban) in self.ibans.iter_mut().enumerate() {
            match crate::ident::parse_iban(iban) {
                Ok(e) => *iban = e,
                Err(e) => fail(&format!("ibans[{i}]"), e.to_string()),
            }
        }
        if let Some(vat) = self.vat_number.as_mut() {
            let upper = vat.trim().to_ascii_uppercase();
            if upper.starts_with("BE") || upper.starts_with("NL") {
                match crate::ident::parse_vat_number(&upper) {
                    Ok(v) => *vat = v,
                    Err(e) => fail("vat_number", e.to_string()),
                }
            } else {
                *vat = upper;
            }
        }
        if let Some(ent) = self.enterprise_number.as_mut() {
            match crate::ident::parse_be_enterprise_number(ent) {
                Ok(v) => *ent = v,
                Err(e) => fail("enterprise_number", e.to_string()),
            }
        }
        self.segments.retain(|s| !s.trim().is_empty());
        for s in &mut self.segments {
            *s = s.trim().to_owned();
        }
        if self.credit_limit.is_some_and(|l| l.is_negative()) {
            fail("credit_limit", "a credit limit cannot be negative".into());
        }
        if self.pause.as_ref().is_some_and(|p| p.reason.trim().is_empty()) {
            fail("pause.reason", "a pause needs a reason".into());
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Checks the shape of an e-mail address: one `@`, a non-empty local part and a dotted domain,
/// no spaces. Deliverability is not something a parser can know.
pub fn is_plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 255
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks the shape of a phone number: digits with optional leading `+` and the usual
/// separators (space, `-`, `.`, `(`, `)`), 6 to 20 digits.
pub fn is_plausible_phone(text: &str) -> bool {
    let t = text.trim();
    let body = t.strip_prefix('+').unwrap_or(t);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_parse_case_insensitively_and_name_the_choices() {
        assert_eq!("Business".parse::<DebtorKind>(), Ok(DebtorKind::Business));
        assert_eq!("FR".parse::<Language>(), Ok(Language::Fr));
        let err = "es".parse::<Language>().unwrap_err();
        assert!(err.to_string().contains("nl fr en de"), "{err}");
    }

    #[test]
    fn slugs_are_url_safe() {
        assert!(Slug::parse("acme-bv").is_ok());
        assert!(Slug::parse("Acme").is_err());
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("").is_err());
    }

    #[test]
    fn contacts_are_checked_for_shape() {
        assert!(is_plausible_email("an@example.nl"));
        assert!(!is_plausible_email("an example@x.nl"));
        assert!(!is_plausible_email("an@localhost"));
        assert!(is_plausible_phone("+31 (0)20-123 4567"));
        assert!(!is_plausible_phone("call me"));
    }

    #[test]
    fn a_pause_ends_after_its_last_day() {
        let mut d = Debtor {
            number: "1".into(),
            name: "x".into(),
            kind: DebtorKind::Business,
            country: CountryCode::NL,
            language: Language::Nl,
            emails: vec![],
            phones: vec![],
            address: Address::default(),
            vat_number: None,
            enterprise_number: None,
            ibans: vec![],
            segments: vec![],
            owner: None,
            credit_limit: None,
            pause: Some(Pause {
                reason: "holiday".into(),
                until: Some(jiff::civil::date(2026, 3, 1)),
            }),
        };
        assert!(d.is_paused_on(jiff::civil::date(2026, 3, 1)));
        assert!(!d.is_paused_on(jiff::civil::date(2026, 3, 2)));
        d.pause = Some(Pause { reason: "x".into(), until: None });
        assert!(d.is_paused_on(jiff::civil::date(2099, 1, 1)));
    }
}
