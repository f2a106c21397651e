//! Amounts, dates and account numbers written the way a reader of each language expects them.
//!
//! Letters are read by people, so `1234.56 EUR` becomes `€ 1.234,56` in Dutch, `1.234,56 €` in
//! French and German (the Belgian and German convention) and `€1,234.56` in English; dates are
//! written out (`23 november 2026`, `1er novembre 2026`, `23. November 2026`). A non-breaking
//! space (U+00A0) keeps the currency sign on the same line as the number.
//!
//! Everything works on integer minor units: no floating point anywhere near money.

use arflow_core::date::Date;
use arflow_core::money::{Currency, Money};
use arflow_core::party::Language;

/// The non-breaking space between a currency sign and its number.
pub const NBSP: char = '\u{a0}';

/// `money` written for a reader of `language`.
///
/// # Examples
/// ```
/// use arflow_core::money::{Currency, Money};
/// use arflow_core::party::Language;
/// use arflow_notify::format::money;
/// let m = Money::from_minor(123_456, Currency::EUR);
/// assert_eq!(money(m, Language::Nl), "€\u{a0}1.234,56");
/// assert_eq!(money(m, Language::Fr), "1.234,56\u{a0}€");
/// assert_eq!(money(m, Language::De), "1.234,56\u{a0}€");
/// assert_eq!(money(m, Language::En), "€1,234.56");
/// ```
pub fn money(money: Money, language: Language) -> String {
    amount(money.minor(), money.currency(), language)
}

/// Minor units of `currency` written for a reader of `language` (see [`money`]).
pub fn amount(minor: i64, currency: Currency, language: Language) -> String {
    let (group, decimal) = separators(language);
    let number = number(minor.unsigned_abs(), currency.minor_digits(), group, decimal);
    let sign = if minor < 0 { "-" } else { "" };
    let symbol = match currency.code() {
        "EUR" => "€",
        other => other,
    };
    let is_sign = symbol == "€";
    match language {
        // CLDR nl: "€ 1.234,56", "€ -1.234,56".
        Language::Nl => format!("{symbol}{NBSP}{sign}{number}"),
        Language::Fr | Language::De => format!("{sign}{number}{NBSP}{symbol}"),
        // "€1,234.56" but "USD 1,234.56": a code needs the space a sign does not.
        Language::En if is_sign => format!("{sign}{symbol}{number}"),
        Language::En => format!("{sign}{symbol}{NBSP}{number}"),
    }
}

/// An amount written for a reader of `language` without its currency, for columns whose header
/// names the currency: `1.234,56` (nl, fr, de), `1,234.56` (en), `-12,50`.
pub fn number_only(money: Money, language: Language) -> String {
    let (group, decimal) = separators(language);
    let digits = money.currency().minor_digits();
    let number = number(money.minor().unsigned_abs(), digits, group, decimal);
    if money.minor() < 0 { format!("-{number}") } else { number }
}

/// Thousands and decimal separators of a language.
fn separators(language: Language) -> (char, char) {
    match language {
        Language::En => (',', '.'),
        // fr: the Belgian convention (1.234,56), which our French-speaking readers use.
        Language::Nl | Language::Fr | Language::De => ('.', ','),
    }
}

/// `abs` minor units with `digits` decimals, grouped by three.
fn number(abs: u64, digits: u32, group: char, decimal: char) -> String {
    let scale = 10_u64.pow(digits);
    let whole = (abs / scale).to_string();
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if digits > 0 {
        out.push(decimal);
        out.push_str(&format!("{:0width$}", abs % scale, width = digits as usize));
    }
    out
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// `date` written out for a reader of `language`.
///
/// German puts a full stop after the day (`23. November 2026`, DIN 5008); French writes the first
/// day of a month as an ordinal (`1er novembre 2026`).
///
/// # Examples
/// ```
/// use arflow_core::date::Date;
/// use arflow_core::party::Language;
/// use arflow_notify::format::date;
/// let d = Date::new(2026, 11, 23).unwrap();
/// assert_eq!(date(d, Language::Nl), "23 november 2026");
/// assert_eq!(date(d, Language::Fr), "23 novembre 2026");
/// assert_eq!(date(d, Language::En), "23 November 2026");
/// assert_eq!(date(d, Language::De), "23. November 2026");
/// ```
pub fn date(date: Date, language: Language) -> String {
    let months = match language {
        Language::Nl => &MONTHS_NL,
        Language::Fr => &MONTHS_FR,
        Language::En => &MONTHS_EN,
        Language::De => &MONTHS_DE,
    };
    let month = months.get(usize::try_from(date.month() - 1).unwrap_or(0)).copied().unwrap_or("");
    let (day, year) = (date.day(), date.year());
    match language {
        Language::Fr if day == 1 => format!("1er {month} {year}"),
        Language::De => format!("{day}. {month} {year}"),
        _ => format!("{day} {month} {year}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    #[test]
    fn amounts_use_the_separators_and_sign_position_of_each_language() {
        let cases: [(i64, [&str; 4]); 7] = [
            (0, ["€ 0,00", "0,00 €", "€0.00", "0,00 €"]),
            (5, ["€ 0,05", "0,05 €", "€0.05", "0,05 €"]),
            (99_999, ["€ 999,99", "999,99 €", "€999.99", "999,99 €"]),
            (123_456, ["€ 1.234,56", "1.234,56 €", "€1,234.56", "1.234,56 €"]),
            (100_000_000, ["€ 1.000.000,00", "1.000.000,00 €", "€1,000,000.00", "1.000.000,00 €"]),
            (-4_000, ["€ -40,00", "-40,00 €", "-€40.00", "-40,00 €"]),
            (
                i64::MIN,
                [
                    "€ -92.233.720.368.547.758,08",
                    "-92.233.720.368.547.758,08 €",
                    "-€92,233,720,368,547,758.08",
                    "-92.233.720.368.547.758,08 €",
                ],
            ),
        ];
        for (minor, expected) in cases {
            for (language, want) in
                [Language::Nl, Language::Fr, Language::En, Language::De].into_iter().zip(expected)
            {
                assert_eq!(
                    money(eur(minor), language).replace(NBSP, " "),
                    want,
                    "{minor} in {language}"
                );
            }
        }
    }

    #[test]
    fn the_currency_sign_stays_on_the_line_of_its_number() {
        assert_eq!(money(eur(123_456), Language::Nl), "€\u{a0}1.234,56");
        assert_eq!(money(eur(123_456), Language::De), "1.234,56\u{a0}€");
    }

    #[test]
    fn other_currencies_are_written_with_their_code() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(amount(123_456, usd, Language::En), "USD\u{a0}1,234.56");
        assert_eq!(amount(123_456, usd, Language::Nl), "USD\u{a0}1.234,56");
        assert_eq!(amount(1_234_567, jpy, Language::De), "1.234.567\u{a0}JPY");
    }

    #[test]
    fn numbers_for_currency_columns_have_no_currency() {
        let m = |minor| Money::from_minor(minor, Currency::EUR);
        assert_eq!(number_only(m(1_234_56), Language::Nl), "1.234,56");
        assert_eq!(number_only(m(-12_50), Language::Fr), "-12,50");
        assert_eq!(number_only(m(1_234_56), Language::En), "1,234.56");
        assert_eq!(number_only(Money::from_minor(-5, Currency::EUR), Language::De), "-0,05");
    }

    #[test]
    fn dates_are_written_out_per_language() {
        let d = Date::new(2026, 3, 1).unwrap();
        assert_eq!(date(d, Language::Nl), "1 maart 2026");
        assert_eq!(date(d, Language::Fr), "1er mars 2026");
        assert_eq!(date(d, Language::En), "1 March 2026");
        assert_eq!(date(d, Language::De), "1. März 2026");
        let d = Date::new(2026, 8, 15).unwrap();
        assert_eq!(date(d, Language::Fr), "15 août 2026");
        let d = Date::new(2027, 12, 31).unwrap();
        assert_eq!(date(d, Language::Nl), "31 december 2027");
        assert_eq!(date(d, Language::De), "31. Dezember 2027");
    }
}
