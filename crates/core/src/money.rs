//! Money: an exact amount in the minor unit of an ISO 4217 currency.
//!
//! Amounts are stored and summed as `i64` minor units (cents for EUR). Arithmetic is checked:
//! an overflow is an error, never a wrap. Text crosses the edge as a decimal string
//! (`"1234.56"`), and parsing refuses more decimals than the currency has, so nothing is rounded
//! silently. Computations that need more precision (interest, percentages) use
//! [`rust_decimal::Decimal`] and come back through [`Money::from_decimal`] with a named rounding.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency with its number of minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u8,
}

/// Currencies arflow accepts, with their minor-unit digits (ISO 4217).
///
/// The list covers the EU/EEA currencies and the currencies Dutch and Belgian businesses invoice
/// in most; a currency outside it is refused with a clear error rather than guessed.
const CURRENCIES: &[(&str, u8)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("DKK", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("BGN", 2),
    ("ISK", 0),
    ("JPY", 0),
    ("CAD", 2),
    ("AUD", 2),
    ("CNY", 2),
    ("TRY", 2),
    ("ZAR", 2),
    ("KWD", 3),
    ("BHD", 3),
];

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("currency code must be three letters, like EUR")]
    Malformed,
    #[error("currency {0} is not supported")]
    Unsupported(String),
}

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency { code: *b"EUR", minor_digits: 2 };

    /// Parses a three-letter ISO 4217 code (case-insensitive, surrounding spaces ignored).
    ///
    /// # Errors
    /// [`CurrencyError`] when the code is malformed or not in the supported list.
    pub fn parse(text: &str) -> Result<Currency, CurrencyError> {
        let text = text.trim();
        if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CurrencyError::Malformed);
        }
        let upper = text.to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .map(|(code, digits)| {
                let b = code.as_bytes();
                let mut arr = [0u8; 3];
                arr.copy_from_slice(b);
                Currency { code: arr, minor_digits: *digits }
            })
            .ok_or(CurrencyError::Unsupported(upper))
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // The code is always three ASCII letters (checked in `parse`).
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of digits after the decimal point (2 for EUR, 0 for JPY).
    pub fn minor_digits(&self) -> u32 {
        u32::from(self.minor_digits)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("not a number")]
    NotANumber,
    #[error("more than {allowed} decimals for {currency}")]
    TooManyDecimals { allowed: u32, currency: Currency },
    #[error("ambiguous separators: use '.' as the decimal separator and no thousands separators")]
    AmbiguousSeparator,
    #[error("amount is too large")]
    Overflow,
    #[error("currencies differ: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An exact amount of money: signed minor units of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Largest absolute amount accepted from text, in minor units: 10^15 (ten trillion euro).
///
/// Sums of many such amounts still fit an `i64` (9.2 × 10^18) with a wide margin.
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000_000;

impl Money {
    /// Builds an amount from minor units.
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// The signed amount in minor units.
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    pub const fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    pub const fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// The absolute value.
    ///
    /// # Errors
    /// [`AmountError::Overflow`] for `i64::MIN`.
    pub fn abs(&self) -> Result<Money, AmountError> {
        self.minor
            .checked_abs()
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(AmountError::Overflow)
    }

    /// The negated amount.
    ///
    /// # Errors
    /// [`AmountError::Overflow`] for `i64::MIN`.
    pub fn neg(&self) -> Result<Money, AmountError> {
        self.minor
            .checked_neg()
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(AmountError::Overflow)
    }

    /// `self + other`, same currency only.
    ///
    /// # Errors
    /// [`AmountError::CurrencyMismatch`] or [`AmountError::Overflow`].
    pub fn checked_add(&self, other: Money) -> Result<Money, AmountError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(AmountError::Overflow)
    }

    /// `self - other`, same currency only.
    ///
    /// # Errors
    /// [`AmountError::CurrencyMismatch`] or [`AmountError::Overflow`].
    pub fn checked_sub(&self, other: Money) -> Result<Money, AmountError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(AmountError::Overflow)
    }

    fn same_currency(&self, other: Money) -> Result<(), AmountError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(AmountError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The amount as a decimal in major units (`12345` cents → `123.45`).
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits())
    }

    /// Converts a decimal in major units to money, rounding to the currency's minor unit with the
    /// strategy the caller names (legal rules name theirs; see `core::legal`).
    ///
    /// # Errors
    /// [`AmountError::Overflow`] when the result does not fit.
    pub fn from_decimal(
        value: Decimal,
        currency: Currency,
        rounding: RoundingStrategy,
    ) -> Result<Money, AmountError> {
        let digits = currency.minor_digits();
        let rounded = value.round_dp_with_strategy(digits, rounding);
        let scaled =
            rounded.checked_mul(Decimal::from(10_i64.pow(digits))).ok_or(AmountError::Overflow)?;
        let minor: i64 = scaled.trunc().try_into().map_err(|_| AmountError::Overflow)?;
        Ok(Money::from_minor(minor, currency))
    }

    /// Converts a decimal without rounding: more decimals than the currency has is an error.
    ///
    /// # Errors
    /// [`AmountError::TooManyDecimals`] or [`AmountError::Overflow`].
    pub fn from_decimal_exact(value: Decimal, currency: Currency) -> Result<Money, AmountError> {
        let normalized = value.normalize();
        if normalized.scale() > currency.minor_digits() {
            return Err(AmountError::TooManyDecimals {
                allowed: currency.minor_digits(),
                currency,
            });
        }
        Money::from_decimal(normalized, currency, RoundingStrategy::ToZero)
    }

    /// Parses an amount written with `.` as the decimal separator.
    ///
    /// A `,` is accepted as the decimal separator when it cannot be anything else: it is the only
    /// separator and is followed by at most as many digits as the currency has decimals
    /// (`12,5` and `12,50` are 12.50 EUR). Thousands separators are never accepted: `1,234.56`,
    /// `1.234,56` and, for EUR, `1,234` are refused as ambiguous. A leading `-` or `+` gives the
    /// sign; spaces around the number are ignored.
    ///
    /// # Errors
    /// [`AmountError`] naming why the text is not an amount.
    ///
    /// # Examples
    /// ```
    /// use arflow_core::money::{Currency, Money};
    /// let m = Money::parse("1234,5", Currency::EUR).unwrap();
    /// assert_eq!(m.minor(), 123_450);
    /// assert!(Money::parse("1.234,56", Currency::EUR).is_err());
    /// ```
    pub fn parse(text: &str, currency: Currency) -> Result<Money, AmountError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let (negative, body) = if let Some(rest) = text.strip_prefix('-') {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix('+') {
            (false, rest)
        } else {
            (false, text)
        };
        let dots = body.matches('.').count();
        let commas = body.matches(',').count();
        let digits = currency.minor_digits();
        let (int_part, frac_part) = match (dots, commas) {
            (0, 0) => (body, ""),
            (1, 0) => body.split_once('.').unwrap_or((body, "")),
            (0, 1) => {
                let (i, f) = body.split_once(',').unwrap_or((body, ""));
                if f.len() > digits as usize {
                    return Err(AmountError::AmbiguousSeparator);
                }
                (i, f)
            }
            _ => return Err(AmountError::AmbiguousSeparator),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(AmountError::NotANumber);
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AmountError::NotANumber);
        }
        let frac_trimmed = frac_part.trim_end_matches('0');
        if frac_trimmed.len() > digits as usize {
            return Err(AmountError::TooManyDecimals { allowed: digits, currency });
        }
        let int_value = parse_digits(if int_part.is_empty() { "0" } else { int_part })?;
        let mut frac_value: i64 = 0;
        for i in 0..digits as usize {
            let d = frac_trimmed.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
            frac_value = frac_value * 10 + d;
        }
        let scale = 10_i64.pow(digits);
        let minor = int_value
            .checked_mul(scale)
            .and_then(|v| v.checked_add(frac_value))
            .ok_or(AmountError::Overflow)?;
        if minor > AMOUNT_MINOR_MAX {
            return Err(AmountError::Overflow);
        }
        Ok(Money::from_minor(if negative { -minor } else { minor }, currency))
    }

    /// Sums amounts of one currency.
    ///
    /// # Errors
    /// [`AmountError::CurrencyMismatch`] or [`AmountError::Overflow`].
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        items: I,
    ) -> Result<Money, AmountError> {
        items.into_iter().try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }
}

fn parse_digits(text: &str) -> Result<i64, AmountError> {
    if text.len() > 18 {
        return Err(AmountError::Overflow);
    }
    text.parse::<i64>().map_err(|_| AmountError::NotANumber)
}

/// Formats minor units as a plain decimal string with the currency's digits (`-1234.50`).
pub fn format_minor(minor: i64, currency: Currency) -> String {
    let digits = currency.minor_digits();
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10_u64.pow(digits);
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

impl fmt::Display for Money {
    /// The plain decimal form used in JSON and CSV (`1234.56`), without the currency.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_minor(self.minor, self.currency))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_minor(self.minor, self.currency), self.currency)
    }
}

/// JSON shape of [`Money`]: `{"amount": "1234.56", "currency": "EUR"}`.
#[derive(Serialize, Deserialize)]
struct MoneyJson {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyJson { amount: self.to_string(), currency: self.currency }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = MoneyJson::deserialize(d)?;
        Money::parse(&j.amount, j.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(text: &str) -> Result<i64, AmountError> {
        Money::parse(text, Currency::EUR).map(|m| m.minor())
    }

    #[test]
    fn amounts_parse_with_a_dot_or_an_unambiguous_comma() {
        assert_eq!(eur("1234.56"), Ok(123_456));
        assert_eq!(eur("1234,56"), Ok(123_456));
        assert_eq!(eur("12,5"), Ok(1250));
        assert_eq!(eur("-0.01"), Ok(-1));
        assert_eq!(eur("+7"), Ok(700));
        assert_eq!(eur(".5"), Ok(50));
        assert_eq!(eur(" 10.00 "), Ok(1000));
        assert_eq!(eur("10.500"), Ok(1050), "trailing zeros are not extra precision");
    }

    #[test]
    fn thousands_separators_and_extra_decimals_are_refused() {
        assert_eq!(eur("1,234.56"), Err(AmountError::AmbiguousSeparator));
        assert_eq!(eur("1.234,56"), Err(AmountError::AmbiguousSeparator));
        assert_eq!(eur("1,234"), Err(AmountError::AmbiguousSeparator));
        assert_eq!(eur("1.2.3"), Err(AmountError::AmbiguousSeparator));
        assert!(matches!(eur("1.234"), Err(AmountError::TooManyDecimals { allowed: 2, .. })));
        assert_eq!(eur(""), Err(AmountError::Empty));
        assert_eq!(eur("abc"), Err(AmountError::NotANumber));
        assert_eq!(eur("1e5"), Err(AmountError::NotANumber));
        assert_eq!(eur("-"), Err(AmountError::NotANumber));
        assert_eq!(eur("99999999999999999999"), Err(AmountError::Overflow));
    }

    #[test]
    fn zero_decimal_currencies_refuse_any_fraction() {
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(Money::parse("150", jpy).map(|m| m.minor()), Ok(150));
        assert!(Money::parse("150.5", jpy).is_err());
        assert_eq!(format_minor(150, jpy), "150");
    }

    #[test]
    fn formatting_round_trips() {
        for minor in [0, 1, -1, 99, 100, -12_345, 123_456_789] {
            let text = format_minor(minor, Currency::EUR);
            assert_eq!(eur(&text), Ok(minor), "{text}");
        }
        assert_eq!(format_minor(-5, Currency::EUR), "-0.05");
    }

    #[test]
    fn arithmetic_is_checked_and_currency_aware() {
        let a = Money::from_minor(i64::MAX, Currency::EUR);
        assert_eq!(a.checked_add(Money::from_minor(1, Currency::EUR)), Err(AmountError::Overflow));
        let usd = Currency::parse("USD").unwrap();
        assert!(matches!(
            Money::zero(Currency::EUR).checked_add(Money::zero(usd)),
            Err(AmountError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn decimals_convert_with_a_named_rounding() {
        let d = Decimal::new(156_049, 4); // 15.6049
        let m =
            Money::from_decimal(d, Currency::EUR, RoundingStrategy::MidpointAwayFromZero).unwrap();
        assert_eq!(m.minor(), 1560);
        assert!(Money::from_decimal_exact(d, Currency::EUR).is_err());
        assert_eq!(
            Money::from_decimal_exact(Decimal::new(1250, 3), Currency::EUR).unwrap().minor(),
            125
        );
    }

    #[test]
    fn unknown_currencies_are_named() {
        assert_eq!(Currency::parse("XYZ"), Err(CurrencyError::Unsupported("XYZ".into())));
        assert_eq!(Currency::parse("EU"), Err(CurrencyError::Malformed));
    }
}
