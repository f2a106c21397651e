//! Days sales outstanding (DSO): how many days of credit sales the receivables represent.
//!
//! Two inputs: the receivables balance on `as_of`, and credit sales as daily totals by issue
//! date (invoice amounts including VAT, net of credit notes; any order, several entries per day
//! allowed). Sales after `as_of` are ignored. Two methods, both rounded to one decimal half away
//! from zero ([`RoundingStrategy::MidpointAwayFromZero`]):
//!
//! # Standard method
//!
//! `receivables / sales in the period × period days`, where the period is the `period_days`
//! days ending at and including `as_of` (default [`DSO_PERIOD_DAYS_DEFAULT`] = 90).
//!
//! Example: on 2026-03-15 the 90-day period runs from 2025-12-16 to 2026-03-15. With 20,000.00
//! receivable and 26,400.00 sold in that period, DSO = 20,000 / 26,400 × 90 = 68.18… → **68.2**.
//!
//! The figure is undefined (`None`) when the period's net sales are zero or negative.
//!
//! # Countback method
//!
//! Attributes the receivables to the most recent sales, month by month. Start with `as_of`'s
//! month, counted from its 1st day up to and including `as_of` (so it has `as_of.day()` days),
//! then whole previous calendar months. While the remaining receivables are at least that month's
//! sales, add the month's days and subtract its sales; then add
//! `remaining / month sales × month days` for the month that is only partly needed and stop.
//!
//! Example: on 2026-03-15 with 20,000.00 receivable and sales of 4,000.00 in 1–15 March,
//! 10,000.00 in February and 12,400.00 in January:
//!
//! | month            | days | sales  | remaining before | days added            |
//! |------------------|------|--------|------------------|-----------------------|
//! | March (1–15)     | 15   | 4,000  | 20,000           | 15                    |
//! | February         | 28   | 10,000 | 16,000           | 28                    |
//! | January          | 31   | 12,400 | 6,000            | 6,000 / 12,400 × 31 = 15 |
//!
//! DSO = 15 + 28 + 15 = **58.0**.
//!
//! Choices made where the method is silent:
//! - The lookback is at most [`DSO_LOOKBACK_MONTHS_MAX`] (36) calendar months, `as_of`'s partial
//!   month included; sales before it are ignored. When the receivables exceed all sales in the
//!   lookback, the figure is capped at the lookback's days and [`Dso::capped`] is set.
//! - A month with zero net sales adds its whole days and leaves the remainder unchanged (the
//!   count continues to older months). A month whose credit notes exceed its invoices (negative
//!   net sales) is treated the same way: it explains none of the receivables, rather than
//!   increasing what older months must explain.
//! - When the remainder reaches exactly zero at the end of a month, the count stops there; older
//!   months add nothing, even zero-sales ones.
//!
//! # Zero and negative receivables
//!
//! Zero receivables give 0.0 days in both methods (the standard one when it is defined). A
//! negative balance (a net credit balance: customers paid more than they owe) also gives 0.0
//! days rather than a negative number of days, which would have no meaning; the balance itself
//! is reported elsewhere.

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::{KpiError, days_quotient};
use crate::date::days_between;
use crate::money::Money;

/// The standard method's default period: the 90 days ending on `as_of`.
pub const DSO_PERIOD_DAYS_DEFAULT: u32 = 90;

/// The longest standard period: three years of 366 days, the countback lookback's horizon.
pub const DSO_PERIOD_DAYS_MAX: u32 = 1_098;

/// The countback method looks back at most this many calendar months, `as_of`'s month included.
pub const DSO_LOOKBACK_MONTHS_MAX: u32 = 36;

/// DSO on a date by both methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dso {
    pub as_of: Date,
    /// The standard method's period in days.
    pub period_days: u32,
    /// Standard method; `None` when the period has no positive net sales.
    pub standard_days: Option<Decimal>,
    /// Countback method. Always `Some` under the current definition (zero or negative
    /// receivables give 0.0, exhaustion gives the capped value); `Option` keeps both methods in
    /// one shape.
    pub countback_days: Option<Decimal>,
    /// The countback ran out of lookback months: the receivables exceed 36 months of sales and
    /// `countback_days` is the lookback's length in days.
    pub capped: bool,
}

/// DSO on `as_of` by the standard method over `period_days` and by the countback method (see
/// the [module documentation](self) for both definitions and worked examples).
///
/// `receivables` is the balance on `as_of`; `credit_sales` are daily totals by issue date, in
/// any order, with any number of entries per day; entries after `as_of` are ignored.
///
/// # Errors
/// [`KpiError::PeriodDaysOutOfRange`] unless `1 <= period_days <= DSO_PERIOD_DAYS_MAX`,
/// [`KpiError::CurrencyMismatch`] when a sales entry is not in the receivables' currency,
/// [`KpiError::Overflow`] when a figure does not fit.
///
/// # Examples
/// ```
/// use arflow_core::kpi::{DSO_PERIOD_DAYS_DEFAULT, dso, format_days};
/// use arflow_core::money::{Currency, Money};
/// use jiff::civil::date;
///
/// let eur = |major: i64| Money::from_minor(major * 100, Currency::EUR);
/// let sales = [
///     (date(2026, 3, 10), eur(4_000)),
///     (date(2026, 2, 14), eur(10_000)),
///     (date(2026, 1, 20), eur(12_400)),
/// ];
/// let result = dso(eur(20_000), &sales, date(2026, 3, 15), DSO_PERIOD_DAYS_DEFAULT)?;
/// // 20,000 / 26,400 × 90 = 68.18…
/// assert_eq!(result.standard_days.map(format_days).as_deref(), Some("68.2"));
/// // 15 (1–15 March) + 28 (February) + 6,000 / 12,400 × 31 (January) = 58
/// assert_eq!(result.countback_days.map(format_days).as_deref(), Some("58.0"));
/// assert!(!result.capped);
/// # Ok::<(), arflow_core::kpi::KpiError>(())
/// ```
pub fn dso(
    receivables: Money,
    credit_sales: &[(Date, Money)],
    as_of: Date,
    period_days: u32,
) -> Result<Dso, KpiError> {
    if period_days == 0 || period_days > DSO_PERIOD_DAYS_MAX {
        return Err(KpiError::PeriodDaysOutOfRange { period_days, max: DSO_PERIOD_DAYS_MAX });
    }
    let totals = SalesTotals::collect(receivables, credit_sales, as_of, period_days)?;
    let receivables_minor = i128::from(receivables.minor());
    let standard_days = standard_days(receivables_minor, totals.period_minor, period_days)?;
    let countback = countback_days(receivables_minor, &totals.months)?;
    Ok(Dso {
        as_of,
        period_days,
        standard_days,
        countback_days: countback.days,
        capped: countback.capped,
    })
}

/// One calendar month of the countback, most recent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MonthSales {
    /// Days of the month counted: `as_of.day()` for `as_of`'s month, else the whole month.
    days: i128,
    /// Net credit sales in those days, in minor units.
    sales_minor: i128,
}

/// The sales sums both methods need, gathered in one pass over the entries.
#[derive(Debug)]
struct SalesTotals {
    /// Net sales in the standard period, in minor units.
    period_minor: i128,
    /// [`DSO_LOOKBACK_MONTHS_MAX`] months, `as_of`'s month first.
    months: Vec<MonthSales>,
}

impl SalesTotals {
    fn collect(
        receivables: Money,
        credit_sales: &[(Date, Money)],
        as_of: Date,
        period_days: u32,
    ) -> Result<SalesTotals, KpiError> {
        let mut totals = SalesTotals { period_minor: 0, months: lookback_months(as_of) };
        let period_days = i64::from(period_days);
        for &(date, amount) in credit_sales {
            if amount.currency() != receivables.currency() {
                return Err(KpiError::CurrencyMismatch {
                    expected: receivables.currency(),
                    found: amount.currency(),
                });
            }
            if date > as_of {
                continue;
            }
            let minor = i128::from(amount.minor());
            if i64::from(days_between(date, as_of)) < period_days {
                totals.period_minor =
                    totals.period_minor.checked_add(minor).ok_or(KpiError::Overflow)?;
            }
            let months_back = month_number(as_of) - month_number(date);
            // Months beyond the lookback have no slot and are ignored.
            if let Some(month) =
                usize::try_from(months_back).ok().and_then(|i| totals.months.get_mut(i))
            {
                month.sales_minor =
                    month.sales_minor.checked_add(minor).ok_or(KpiError::Overflow)?;
            }
        }
        Ok(totals)
    }
}

/// Standard method: `max(receivables, 0) / period sales × period days`; `None` unless the period
/// has positive net sales.
fn standard_days(
    receivables_minor: i128,
    period_sales_minor: i128,
    period_days: u32,
) -> Result<Option<Decimal>, KpiError> {
    if period_sales_minor <= 0 {
        return Ok(None);
    }
    // A credit balance counts as nothing outstanding (see the module documentation).
    let outstanding_minor = receivables_minor.max(0);
    let numerator =
        outstanding_minor.checked_mul(i128::from(period_days)).ok_or(KpiError::Overflow)?;
    days_quotient(numerator, period_sales_minor, RoundingStrategy::MidpointAwayFromZero)
}

/// The countback figure and whether it hit the lookback limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Countback {
    days: Option<Decimal>,
    capped: bool,
}

/// Countback method over `months`, most recent first (see the module documentation).
fn countback_days(receivables_minor: i128, months: &[MonthSales]) -> Result<Countback, KpiError> {
    let rounding = RoundingStrategy::MidpointAwayFromZero;
    let whole = |days: i128| days_quotient(days, 1, rounding);
    if receivables_minor <= 0 {
        return Ok(Countback { days: whole(0)?, capped: false });
    }
    let mut remaining_minor = receivables_minor;
    let mut whole_days: i128 = 0;
    for month in months {
        let sales_minor = month.sales_minor;
        if sales_minor > 0 && remaining_minor < sales_minor {
            // whole_days + remaining / sales × month days, as one exact fraction.
            let numerator = whole_days
                .checked_mul(sales_minor)
                .and_then(|w| remaining_minor.checked_mul(month.days)?.checked_add(w))
                .ok_or(KpiError::Overflow)?;
            let days = days_quotient(numerator, sales_minor, rounding)?;
            return Ok(Countback { days, capped: false });
        }
        whole_days = whole_days.checked_add(month.days).ok_or(KpiError::Overflow)?;
        // Months with zero or negative net sales explain none of the receivables.
        remaining_minor =
            remaining_minor.checked_sub(sales_minor.max(0)).ok_or(KpiError::Overflow)?;
        if remaining_minor == 0 {
            return Ok(Countback { days: whole(whole_days)?, capped: false });
        }
    }
    Ok(Countback { days: whole(whole_days)?, capped: true })
}

/// The countback months for `as_of`: its own month up to `as_of`, then whole earlier months.
fn lookback_months(as_of: Date) -> Vec<MonthSales> {
    let mut months = Vec::with_capacity(36);
    months.push(MonthSales { days: i128::from(as_of.day()), sales_minor: 0 });
    let mut month = month_number(as_of);
    for _ in 1..DSO_LOOKBACK_MONTHS_MAX {
        month -= 1;
        months.push(MonthSales { days: days_in_month(month), sales_minor: 0 });
    }
    months
}

/// Months since year 0: `year × 12 + month − 1`.
fn month_number(date: Date) -> i32 {
    i32::from(date.year()) * 12 + i32::from(date.month()) - 1
}

/// Days in the month numbered `month_number` (see [`month_number`]), Gregorian calendar.
fn days_in_month(month_number: i32) -> i128 {
    let year = month_number.div_euclid(12);
    match month_number.rem_euclid(12) + 1 {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    use crate::date::add_days;
    use crate::kpi::format_days;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    /// Whole euros, to keep the worked examples readable.
    fn euros(major: i64) -> Money {
        eur(major * 100)
    }

    fn days(value: Option<Decimal>) -> Option<String> {
        value.map(format_days)
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn the_standard_method_divides_receivables_by_the_period_sales() {
        // 2026-01-01..=2026-03-31 is 31 + 28 + 31 = 90 days ending on as_of.
        let sales = [
            (date(2026, 3, 31), euros(10_000)), // as_of itself is in the period
            (date(2025, 12, 31), euros(5_000)), // 90 days back: just outside
            (date(2026, 2, 15), euros(8_000)),  // two entries on one day
            (date(2026, 1, 1), euros(10_000)),  // first day of the period
            (date(2026, 2, 15), euros(2_000)),
            (date(2026, 4, 1), euros(99_999)), // after as_of: ignored
        ];
        let d = dso(eur(1_234_567), &sales, date(2026, 3, 31), 90).unwrap();
        // Period sales: 10,000 + 8,000 + 2,000 + 10,000 = 30,000.00.
        // 1,234,567 × 90 / 3,000,000 = 111,111,030 / 3,000,000 = 37.037001 → 37.0
        assert_eq!(days(d.standard_days), some("37.0"));
        assert_eq!(d.period_days, 90);
    }

    #[test]
    fn a_standard_midpoint_rounds_away_from_zero() {
        let sales = [(date(2026, 3, 1), euros(2_400))];
        let d = dso(euros(1_100), &sales, date(2026, 3, 31), 90).unwrap();
        // 1,100 / 2,400 × 90 = 99,000 / 2,400 = 41.25 → 41.3 (banker's rounding would say 41.2)
        assert_eq!(days(d.standard_days), some("41.3"));
    }

    #[test]
    fn a_shorter_period_only_counts_its_own_days() {
        // 30 days ending 2026-03-31: 2026-03-02..=2026-03-31.
        let sales = [(date(2026, 3, 1), euros(1_000)), (date(2026, 3, 2), euros(3_000))];
        let d = dso(euros(1_000), &sales, date(2026, 3, 31), 30).unwrap();
        // 1,000 / 3,000 × 30 = 10.0
        assert_eq!(days(d.standard_days), some("10.0"));
    }

    #[test]
    fn countback_starts_with_the_partial_month_of_as_of() {
        let sales = [
            (date(2026, 3, 10), euros(4_000)),
            (date(2026, 2, 14), euros(10_000)),
            (date(2026, 1, 20), euros(12_400)),
        ];
        let d = dso(euros(20_000), &sales, date(2026, 3, 15), 90).unwrap();
        // March 1–15: 20,000 ≥ 4,000 → 15 days, 16,000 left
        // February:   16,000 ≥ 10,000 → 28 days (43), 6,000 left
        // January:    6,000 < 12,400 → 6,000 / 12,400 × 31 = 15.0 → 58.0
        assert_eq!(days(d.countback_days), some("58.0"));
        assert!(!d.capped);
        // Standard: 20,000 / 26,400 × 90 = 1,800,000 / 26,400 = 68.18… → 68.2
        assert_eq!(days(d.standard_days), some("68.2"));
    }

    #[test]
    fn countback_adds_a_fraction_of_the_month_that_is_partly_needed() {
        let sales = [
            (date(2026, 3, 1), euros(4_000)),
            (date(2026, 2, 28), euros(10_000)),
            (date(2026, 1, 31), euros(15_000)),
        ];
        let d = dso(euros(20_000), &sales, date(2026, 3, 15), 90).unwrap();
        // 15 + 28 + 6,000 / 15,000 × 31 = 43 + 12.4 = 55.4
        assert_eq!(days(d.countback_days), some("55.4"));
    }

    #[test]
    fn countback_on_the_first_of_a_month_counts_one_day() {
        let sales = [(date(2026, 3, 1), euros(1_000)), (date(2026, 2, 1), euros(9_999))];
        let d = dso(euros(500), &sales, date(2026, 3, 1), 90).unwrap();
        // March has 1 day so far: 500 < 1,000 → 500 / 1,000 × 1 = 0.5
        assert_eq!(days(d.countback_days), some("0.5"));
    }

    #[test]
    fn countback_stops_when_a_month_exactly_uses_up_the_receivables() {
        // January has no sales; it must not add its 31 days.
        let sales = [(date(2026, 3, 5), euros(4_000)), (date(2026, 2, 5), euros(10_000))];
        let d = dso(euros(14_000), &sales, date(2026, 3, 15), 90).unwrap();
        // 14,000 − 4,000 (15 days) − 10,000 (28 days) = 0 → 43.0
        assert_eq!(days(d.countback_days), some("43.0"));
    }

    #[test]
    fn without_sales_in_the_period_standard_is_undefined_and_countback_looks_further_back() {
        // The 90 days ending 2026-06-30 are 2026-04-02..=2026-06-30: no sales in them.
        let sales = [(date(2026, 3, 10), euros(6_000))];
        let d = dso(euros(3_000), &sales, date(2026, 6, 30), 90).unwrap();
        assert_eq!(d.standard_days, None);
        // June (1–30) 30 + May 31 + April 30, all without sales: 91 days, 3,000 left
        // March: 3,000 < 6,000 → 3,000 / 6,000 × 31 = 15.5 → 106.5
        assert_eq!(days(d.countback_days), some("106.5"));
        assert!(!d.capped);
    }

    #[test]
    fn a_month_of_net_credit_notes_explains_none_of_the_receivables() {
        let sales = [
            (date(2026, 3, 2), euros(1_000)),
            (date(2026, 3, 3), euros(-3_000)), // March nets to −2,000
            (date(2026, 2, 10), euros(10_000)),
        ];
        let d = dso(euros(5_000), &sales, date(2026, 3, 15), 90).unwrap();
        // March: 15 days, 5,000 left (not 7,000); February: 5,000 / 10,000 × 28 = 14 → 29.0
        assert_eq!(days(d.countback_days), some("29.0"));
        // Standard: period sales 1,000 − 3,000 + 10,000 = 8,000; 5,000 / 8,000 × 90 = 56.25
        // → 56.3
        assert_eq!(days(d.standard_days), some("56.3"));
    }

    #[test]
    fn an_exhausted_lookback_is_capped_and_flagged() {
        // Lookback on 2026-03-15: 2023-04-01..=2026-03-15
        // = 366 (to 2024-04-01, leap day included) + 365 (to 2025-04-01)
        //   + 334 (to 2026-03-01) + 15 = 1,080 days.
        let mut sales = vec![(date(2023, 3, 31), euros(1_000_000))]; // just before: ignored
        sales.extend((0..36).map(|back| (add_days(date(2026, 3, 1), -back * 30), euros(100))));
        let d = dso(euros(500_000), &sales, date(2026, 3, 15), 90).unwrap();
        assert_eq!(days(d.countback_days), some("1080.0"));
        assert!(d.capped);

        let d = dso(eur(1), &[], date(2026, 3, 15), 90).unwrap();
        assert_eq!(days(d.countback_days), some("1080.0"));
        assert!(d.capped);
        assert_eq!(d.standard_days, None);
    }

    #[test]
    fn zero_receivables_are_zero_days() {
        let sales = [(date(2026, 3, 1), euros(1_000))];
        let d = dso(eur(0), &sales, date(2026, 3, 15), 90).unwrap();
        assert_eq!((days(d.standard_days), days(d.countback_days)), (some("0.0"), some("0.0")));
        // Without sales the standard ratio stays undefined; countback needs no sales to say 0.
        let d = dso(eur(0), &[], date(2026, 3, 15), 90).unwrap();
        assert_eq!((days(d.standard_days), days(d.countback_days)), (None, some("0.0")));
        assert!(!d.capped);
    }

    #[test]
    fn a_credit_balance_is_zero_days_not_negative() {
        let sales = [(date(2026, 3, 1), euros(1_000))];
        let d = dso(euros(-500), &sales, date(2026, 3, 15), 90).unwrap();
        // Not −500 / 1,000 × 90 = −45.0: a negative DSO has no meaning.
        assert_eq!((days(d.standard_days), days(d.countback_days)), (some("0.0"), some("0.0")));
        assert!(!d.capped);
    }

    #[test]
    fn periods_and_currencies_are_checked() {
        let as_of = date(2026, 3, 15);
        for period_days in [0, DSO_PERIOD_DAYS_MAX + 1] {
            assert_eq!(
                dso(eur(1), &[], as_of, period_days),
                Err(KpiError::PeriodDaysOutOfRange { period_days, max: DSO_PERIOD_DAYS_MAX })
            );
        }
        assert!(dso(eur(1), &[], as_of, DSO_PERIOD_DAYS_MAX).is_ok());
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            dso(eur(1), &[(as_of, Money::from_minor(1, usd))], as_of, 90),
            Err(KpiError::CurrencyMismatch { expected: Currency::EUR, found: usd })
        );
    }

    #[test]
    fn huge_amounts_are_exact_or_an_error() {
        let sales: Vec<_> = (0..4).map(|_| (date(2026, 3, 1), eur(i64::MAX))).collect();
        let d = dso(eur(i64::MAX), &sales, date(2026, 3, 15), 90).unwrap();
        // i64::MAX / (4 × i64::MAX) × 90 = 22.5 → 22.5; countback 15 × 1/4 = 3.75 → 3.8
        assert_eq!(days(d.standard_days), some("22.5"));
        assert_eq!(days(d.countback_days), some("3.8"));
    }

    #[test]
    fn the_result_serializes_days_as_strings() {
        let sales = [(date(2026, 3, 1), euros(2_400))];
        let d = dso(euros(1_100), &sales, date(2026, 3, 31), 90).unwrap();
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({
                "as_of": "2026-03-31",
                "period_days": 90,
                "standard_days": "41.3",
                // 31 days of March: 1,100 / 2,400 × 31 = 14.208… → 14.2
                "countback_days": "14.2",
                "capped": false,
            })
        );
        let empty = dso(eur(1), &[], date(2026, 3, 31), 90).unwrap();
        assert_eq!(serde_json::to_value(&empty).unwrap()["standard_days"], serde_json::Value::Null);
    }

    #[test]
    fn month_lengths_follow_the_calendar() {
        let mut first = date(1999, 1, 1);
        for _ in 0..(12 * 205) {
            assert_eq!(days_in_month(month_number(first)), i128::from(first.days_in_month()));
            first = first.checked_add(jiff::Span::new().months(1)).unwrap();
        }
    }

    fn lookback_days(as_of: Date) -> i128 {
        lookback_months(as_of).iter().map(|m| m.days).sum()
    }

    fn sales_strategy() -> impl Strategy<Value = Vec<(i32, i64)>> {
        // (days before as_of, amount): up to ~3.3 years back, a few days ahead, some credit notes.
        proptest::collection::vec((-5_i32..1_200, -50_000_i64..2_000_000), 0..80)
    }

    fn to_sales(as_of: Date, raw: &[(i32, i64)], factor: i64) -> Vec<(Date, Money)> {
        raw.iter().map(|&(back, minor)| (add_days(as_of, -back), eur(minor * factor))).collect()
    }

    proptest! {
        #[test]
        fn countback_never_exceeds_the_lookback(
            day_offset in 0_i32..3_000,
            receivables in -1_000_000_i64..500_000_000,
            raw in sales_strategy(),
        ) {
            let as_of = add_days(date(2020, 1, 1), day_offset);
            let d = dso(eur(receivables), &to_sales(as_of, &raw, 1), as_of, 90).unwrap();
            let countback = d.countback_days.unwrap();
            let lookback = Decimal::from_i128_with_scale(lookback_days(as_of), 0);
            prop_assert!(countback >= Decimal::ZERO);
            prop_assert!(countback <= lookback);
            if d.capped {
                prop_assert_eq!(countback, lookback);
            }
        }

        #[test]
        fn standard_dso_scales_linearly(
            receivables in 0_i64..100_000_000,
            raw in sales_strategy(),
            factor in 2_i64..1_000,
            period_days in 1_u32..400,
        ) {
            let as_of = date(2026, 3, 15);
            let base = dso(eur(receivables), &to_sales(as_of, &raw, 1), as_of, period_days).unwrap();
            // Scaling receivables and sales alike changes nothing, exactly.
            let both = dso(
                eur(receivables * factor),
                &to_sales(as_of, &raw, factor),
                as_of,
                period_days,
            )
            .unwrap();
            prop_assert_eq!(&base.standard_days, &both.standard_days);
            prop_assert_eq!(&base.countback_days, &both.countback_days);
            // Scaling receivables alone scales the figure, up to the two roundings of 0.05.
            let scaled =
                dso(eur(receivables * factor), &to_sales(as_of, &raw, 1), as_of, period_days)
                    .unwrap();
            if let (Some(one), Some(many)) = (base.standard_days, scaled.standard_days) {
                let k = Decimal::from(factor);
                let tolerance = Decimal::new(5, 2) * (k + Decimal::ONE);
                prop_assert!((many - one * k).abs() <= tolerance, "{} vs {} × {}", many, one, k);
            } else {
                prop_assert_eq!(base.standard_days, None);
                prop_assert_eq!(scaled.standard_days, None);
            }
        }

        #[test]
        fn the_order_of_sales_entries_does_not_matter(raw in sales_strategy()) {
            let as_of = date(2026, 3, 15);
            let sales = to_sales(as_of, &raw, 1);
            let mut reversed = sales.clone();
            reversed.reverse();
            prop_assert_eq!(
                dso(eur(1_000_000), &sales, as_of, 90).unwrap(),
                dso(eur(1_000_000), &reversed, as_of, 90).unwrap()
            );
        }
    }
}
