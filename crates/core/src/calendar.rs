//! Business calendars: the public holidays of the Netherlands and Belgium, business days, and the
//! Dutch rule that extends a statutory term ending on a weekend or holiday.
//!
//! Deadlines in dunning depend on them: the Dutch 14-day letter (art. 6:96 lid 6 BW) ends on a day
//! that is not a Saturday, Sunday or recognised holiday (Algemene termijnenwet), and the Belgian
//! waiting period of Book XIX WER starts on the third working day after a paper reminder is sent.
//!
//! Sources (not covered by `../shared/notes/legal-and-formats.md`, so cited here [S]):
//! - NL: Algemene termijnenwet (Wet van 25 juli 1964, Stb. 1964, 314), art. 1 lid 1 (extension)
//!   and art. 3 lid 1-2 (the recognised holidays; lid 2 assimilates Goede Vrijdag), as quoted by
//!   wvhl.nl ("De Algemene termijnenwet") and nl.wikipedia ("Algemene termijnenwet"). The fifth
//!   of May counts every year under art. 3 lid 1 (since the amendment of 1981); that many
//!   employers give the day off only once in five years is a matter of collective agreements, not
//!   of the Atw. Counting Goede Vrijdag and 5 May errs, if at all, on the debtor's side: terms
//!   end later.
//! - BE: the ten legal holidays of art. 1 of the Royal Decree of 18 April 1974 (implementing the
//!   law of 4 January 1974 on public holidays), as listed by employment.belgium.be and ACV.
//!   Replacement days for a holiday on a Sunday, or for the coincidence of 1 May and Ascension
//!   Day (Royal Decree of 3 June 2007 for 2008), are employment law and not modelled.
//!
//! Not modelled: days the Dutch government assimilates to holidays by decree for a few years at a
//! time (Atw art. 3 lid 3, for example the Friday after Ascension Day). They are published in the
//! Staatscourant and are not in `../shared/notes/legal-and-formats.md`; until they are data, a term
//! ending on such a day is not extended for it.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::date::add_days;

/// A country whose business calendar arflow knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// The Netherlands: holidays of the Algemene termijnenwet.
    Nl,
    /// Belgium: the ten legal holidays.
    Be,
}

/// Easter Sunday of a Gregorian year, by the anonymous Gregorian computus (Meeus/Jones/Butcher),
/// in integers.
///
/// Returns `None` for years before the Gregorian reform (1583) and outside the range of [`Date`].
///
/// # Examples
/// ```
/// use arflow_core::calendar::easter_sunday;
/// assert_eq!(easter_sunday(2025).map(|d| d.to_string()), Some("2025-04-20".to_owned()));
/// ```
pub fn easter_sunday(year: i16) -> Option<Date> {
    if year < 1583 {
        return None;
    }
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return None;
    };
    Date::new(year, month, day).ok()
}

/// The day the King's (before 2014: the Queen's) birthday is celebrated in the Netherlands.
///
/// Since 2014 Koningsdag is 27 April, or Saturday 26 April when the 27th is a Sunday; from 1980
/// to 2013 Koninginnedag was 30 April, or 29 April when the 30th was a Sunday. Atw art. 3 lid 1
/// names "de dag waarop de verjaardag van de Koning wordt gevierd". Years before 1980 follow the
/// 1980-2013 rule (not relevant to any claim arflow computes).
fn nl_kings_day(year: i16) -> Option<(Date, &'static str)> {
    let (day, name) = if year >= 2014 { (27, "Koningsdag") } else { (30, "Koninginnedag") };
    let date = Date::new(year, 4, day).ok()?;
    if date.weekday() == Weekday::Sunday {
        Some((add_days(date, -1), name))
    } else {
        Some((date, name))
    }
}

/// The public holidays of `region` in `year`, in date order, with their names.
///
/// NL: the days of Algemene termijnenwet art. 3 lid 1-2 (Nieuwjaarsdag, Goede Vrijdag, tweede
/// Paasdag, Koningsdag, Bevrijdingsdag on 5 May of every year, Hemelvaartsdag, tweede
/// Pinksterdag, both Christmas days), plus the first Easter and Pentecost days, which are Sundays
/// and therefore never business days anyway.
///
/// BE: the ten legal holidays (Royal Decree of 18 April 1974, art. 1), named in Dutch and French.
pub fn holidays(region: Region, year: i16) -> Vec<(Date, &'static str)> {
    let fixed = |month: i8, day: i8, name: &'static str| {
        Date::new(year, month, day).ok().map(|d| (d, name))
    };
    let easter = easter_sunday(year);
    let after_easter = |days: i32, name: &'static str| easter.map(|e| (add_days(e, days), name));
    let mut days: Vec<(Date, &'static str)> = match region {
        Region::Nl => [
            fixed(1, 1, "Nieuwjaarsdag"),
            after_easter(-2, "Goede Vrijdag"),
            after_easter(0, "Eerste Paasdag"),
            after_easter(1, "Tweede Paasdag"),
            nl_kings_day(year),
            fixed(5, 5, "Bevrijdingsdag"),
            after_easter(39, "Hemelvaartsdag"),
            after_easter(49, "Eerste Pinksterdag"),
            after_easter(50, "Tweede Pinksterdag"),
            fixed(12, 25, "Eerste Kerstdag"),
            fixed(12, 26, "Tweede Kerstdag"),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Region::Be => [
            fixed(1, 1, "Nieuwjaar / Jour de l'An"),
            after_easter(1, "Paasmaandag / Lundi de Pâques"),
            fixed(5, 1, "Dag van de Arbeid / Fête du Travail"),
            after_easter(39, "Onze-Lieve-Heer-Hemelvaart / Ascension"),
            after_easter(50, "Pinkstermaandag / Lundi de Pentecôte"),
            fixed(7, 21, "Nationale feestdag / Fête nationale"),
            fixed(8, 15, "Onze-Lieve-Vrouw-Hemelvaart / Assomption"),
            fixed(11, 1, "Allerheiligen / Toussaint"),
            fixed(11, 11, "Wapenstilstand / Armistice"),
            fixed(12, 25, "Kerstmis / Noël"),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    // Ascension Day can coincide with 5 May (NL) or 1 May (BE); keep the fixed day's name.
    days.sort_by_key(|(d, _)| *d);
    days.dedup_by_key(|(d, _)| *d);
    days
}

/// The name of the public holiday on `date` in `region`, if it is one.
///
/// # Examples
/// ```
/// use arflow_core::calendar::{holiday, Region};
/// use jiff::civil::date;
/// assert_eq!(holiday(Region::Nl, date(2025, 4, 26)), Some("Koningsdag")); // 27 April was a Sunday
/// assert_eq!(holiday(Region::Be, date(2025, 7, 21)), Some("Nationale feestdag / Fête nationale"));
/// assert_eq!(holiday(Region::Nl, date(2025, 7, 21)), None);
/// ```
pub fn holiday(region: Region, date: Date) -> Option<&'static str> {
    holidays(region, date.year()).into_iter().find(|(d, _)| *d == date).map(|(_, name)| name)
}

/// Whether `date` is a Saturday or a Sunday.
pub fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A business day: Monday to Friday and not a public holiday of `region`.
///
/// For NL this is exactly a day that is "niet een zaterdag, zondag of algemeen erkende feestdag"
/// (Algemene termijnenwet art. 1 lid 1 with art. 3); for BE it is the working day of art. XIX.2
/// WER as the notes read it (Monday to Friday excluding Belgian public holidays).
pub fn is_business_day(region: Region, date: Date) -> bool {
    !is_weekend(date) && holiday(region, date).is_none()
}

/// Upper bound on days skipped while looking for a business day; no calendar has a run of
/// non-business days this long, so reaching it means the date range of [`Date`] ran out.
const NON_BUSINESS_RUN_DAYS_MAX: u32 = 31;

/// `date` itself when it is a business day, otherwise the first business day after it.
pub fn next_business_day_on_or_after(region: Region, date: Date) -> Date {
    let mut d = date;
    for _ in 0..NON_BUSINESS_RUN_DAYS_MAX {
        if is_business_day(region, d) {
            return d;
        }
        let next = add_days(d, 1);
        if next == d {
            break;
        }
        d = next;
    }
    d
}

/// The `days`-th business day after `date` (`date` itself is not counted; `days == 0` returns
/// `date` unchanged).
///
/// # Examples
/// ```
/// use arflow_core::calendar::{add_business_days, Region};
/// use jiff::civil::date;
/// // A Belgian paper reminder sent on Thursday 7 August 2025: the third working day after it.
/// assert_eq!(add_business_days(Region::Be, date(2025, 8, 7), 3), date(2025, 8, 12));
/// ```
pub fn add_business_days(region: Region, date: Date, days: u32) -> Date {
    let mut d = date;
    for _ in 0..days {
        let next = next_business_day_on_or_after(region, add_days(d, 1));
        if next == d {
            break;
        }
        d = next;
    }
    d
}

/// The last day of a Dutch statutory term whose last calendar day is `last_day`.
///
/// Algemene termijnenwet art. 1 lid 1: "Een in een wet gestelde termijn die op een zaterdag,
/// zondag of algemeen erkende feestdag eindigt, wordt verlengd tot en met de eerstvolgende dag die
/// niet een zaterdag, zondag of algemeen erkende feestdag is." (Art. 2, the minimum of two
/// business days in a term of at least three days, never bites on the 14-day terms arflow
/// computes: fourteen consecutive days always hold at least six business days.)
pub fn nl_term_end(last_day: Date) -> Date {
    next_business_day_on_or_after(Region::Nl, last_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_matches_known_dates() {
        let known = [
            (2000, date(2000, 4, 23)),
            (2008, date(2008, 3, 23)),
            (2011, date(2011, 4, 24)),
            (2019, date(2019, 4, 21)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2038, date(2038, 4, 25)),
        ];
        for (year, expected) in known {
            assert_eq!(easter_sunday(year), Some(expected), "{year}");
        }
        assert_eq!(easter_sunday(1500), None);
    }

    #[test]
    fn every_year_has_eleven_nl_and_ten_be_holidays_unless_two_coincide() {
        for year in 1990..2100 {
            // Ascension Day can fall on 5 May (NL, for example 2016) or 1 May (BE, 2008).
            let nl = holidays(Region::Nl, year).len();
            assert!(nl == 11 || nl == 10, "{year}: {nl}");
            let be = holidays(Region::Be, year).len();
            assert!(be == 10 || be == 9, "{year}: {be}");
        }
        assert_eq!(holidays(Region::Nl, 2016).len(), 10);
        assert_eq!(holiday(Region::Nl, date(2016, 5, 5)), Some("Bevrijdingsdag"));
    }
}
