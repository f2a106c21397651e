//! Civil dates: strict ISO parsing and day arithmetic.
//!
//! Dates are civil dates in the organisation's time zone; "today" is always a parameter.

pub use jiff::civil::Date;

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected an ISO date YYYY-MM-DD")]
    Format,
    #[error("no such day in the calendar")]
    NoSuchDay,
}

/// Parses exactly `YYYY-MM-DD` (years 1900–2999).
///
/// # Errors
/// [`DateError::Format`] for any other shape, [`DateError::NoSuchDay`] for `2026-02-30`.
///
/// # Examples
/// ```
/// let d = arflow_core::date::parse_iso_date("2026-02-28").unwrap();
/// assert_eq!(d.to_string(), "2026-02-28");
/// assert!(arflow_core::date::parse_iso_date("28-02-2026").is_err());
/// ```
pub fn parse_iso_date(text: &str) -> Result<Date, DateError> {
    let t = text.trim().as_bytes();
    let shape_ok = t.len() == 10
        && t.iter()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return Err(DateError::Format);
    }
    let num = |r: std::ops::Range<usize>| -> i32 {
        t.get(r).map_or(0, |s| s.iter().fold(0, |acc, b| acc * 10 + i32::from(b - b'0')))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    if !(1900..=2999).contains(&y) {
        return Err(DateError::NoSuchDay);
    }
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(DateError::NoSuchDay);
    };
    Date::new(y, m, d).map_err(|_| DateError::NoSuchDay)
}

/// Days since 1970-01-01 (negative before), for cheap differences and ordering.
pub fn day_number(date: Date) -> i32 {
    // Howard Hinnant's days_from_civil, in integers.
    let y = i32::from(date.year()) - i32::from(date.month() <= 2);
    let m = i32::from(date.month());
    let d = i32::from(date.day());
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` days after `date` (before, when negative), saturating at jiff's range.
pub fn add_days(date: Date, days: i32) -> Date {
    date.checked_add(jiff::Span::new().days(days)).unwrap_or(date)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i32 {
    day_number(to) - day_number(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(day_number(date(1970, 1, 1)), 0);
        assert_eq!(day_number(date(2000, 3, 1)), 11_017);
        assert_eq!(days_between(date(2024, 2, 28), date(2024, 3, 1)), 2);
        assert_eq!(days_between(date(2026, 3, 1), date(2026, 2, 1)), -28);
        let mut d = date(1999, 12, 25);
        for _ in 0..800 {
            let next = add_days(d, 1);
            assert_eq!(day_number(next), day_number(d) + 1);
            d = next;
        }
    }

    #[test]
    fn only_strict_iso_dates_parse() {
        assert!(parse_iso_date("2026-02-29").is_err());
        assert!(parse_iso_date("2024-02-29").is_ok());
        assert_eq!(parse_iso_date("2026/02/01"), Err(DateError::Format));
        assert_eq!(parse_iso_date("2026-2-1"), Err(DateError::Format));
        assert_eq!(parse_iso_date("2026-13-01"), Err(DateError::NoSuchDay));
    }
}
