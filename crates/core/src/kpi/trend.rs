//! Key figures over time from daily totals: DSO at a series of dates and the cash received in a
//! period.
//!
//! The input is one entry per day with what was invoiced (credit notes netted) and what was paid
//! that day. The receivables on a date D are the invoices issued by D minus the payments received
//! by D: open items minus unapplied money, because an allocation only moves an amount from one
//! to the other. So one pass over the days gives the receivables at every date of the series,
//! and the same days are the credit sales [`dso`] reads; each point is then [`dso`] itself, with
//! its definitions and rounding.
//!
//! Example: invoices of 1,000.00 on 2026-01-10 and 500.00 on 2026-02-10, a payment of 600.00 on
//! 2026-02-20. The receivables are 1,000.00 on 2026-01-31 and 900.00 on 2026-02-28.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{Dso, KpiError, dso};
use crate::date::add_days;
use crate::money::{Currency, Money};

/// The most points one trend computes.
pub const TREND_POINTS_MAX: usize = 120;

/// What was invoiced and paid on one day, in minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotals {
    pub day: Date,
    /// Invoices minus credit notes issued on `day`.
    pub sales_minor: i64,
    /// Payments received on `day` (a reversal is a negative payment).
    pub payments_minor: i64,
}

/// DSO on one date of a trend, with the receivables it divides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsoPoint {
    pub receivables: Money,
    pub dso: Dso,
}

/// The last day of each of the `count` calendar months before `today`'s month, oldest first.
///
/// # Examples
/// ```
/// use jiff::civil::date;
/// let ends = arflow_core::kpi::month_ends_before(date(2026, 3, 15), 3);
/// assert_eq!(ends, [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]);
/// ```
pub fn month_ends_before(today: Date, count: usize) -> Vec<Date> {
    let mut ends = Vec::with_capacity(count);
    let mut first = today.first_of_month();
    for _ in 0..count {
        let end = add_days(first, -1);
        ends.push(end);
        first = end.first_of_month();
    }
    ends.reverse();
    ends
}

/// DSO (both methods, `period_days` for the standard one) on each of `points` from daily totals
/// in `currency`, in the order of `points`. Days may come in any order; entries on the same day
/// add up.
///
/// # Errors
/// [`KpiError::PeriodDaysOutOfRange`] as [`dso`], [`KpiError::TooManyPoints`] beyond
/// [`TREND_POINTS_MAX`], [`KpiError::Overflow`] when a sum does not fit.
///
/// # Examples
/// ```
/// use arflow_core::kpi::{DayTotals, dso_trend, format_days};
/// use arflow_core::money::Currency;
/// use jiff::civil::date;
///
/// let days = [
///     DayTotals { day: date(2026, 1, 10), sales_minor: 100_000, payments_minor: 0 },
///     DayTotals { day: date(2026, 2, 10), sales_minor: 50_000, payments_minor: 0 },
///     DayTotals { day: date(2026, 2, 20), sales_minor: 0, payments_minor: 60_000 },
/// ];
/// let trend = dso_trend(&days, &[date(2026, 1, 31), date(2026, 2, 28)], 90, Currency::EUR)?;
/// assert_eq!(trend[0].receivables.to_string(), "1000.00");
/// assert_eq!(trend[1].receivables.to_string(), "900.00");
/// // February: 28 days for 500.00, then 400.00 of January's 1,000.00 × 31 days = 40.4
/// assert_eq!(trend[1].dso.countback_days.map(format_days).as_deref(), Some("40.4"));
/// # Ok::<(), arflow_core::kpi::KpiError>(())
/// ```
pub fn dso_trend(
    days: &[DayTotals],
    points: &[Date],
    period_days: u32,
    currency: Currency,
) -> Result<Vec<DsoPoint>, KpiError> {
    if points.len() > TREND_POINTS_MAX {
        return Err(KpiError::TooManyPoints { count: points.len(), max: TREND_POINTS_MAX });
    }
    let receivables = receivables_on(days, points)?;
    let sales: Vec<(Date, Money)> = days
        .iter()
        .filter(|d| d.sales_minor != 0)
        .map(|d| (d.day, Money::from_minor(d.sales_minor, currency)))
        .collect();
    points
        .iter()
        .zip(receivables)
        .map(|(&as_of, minor)| {
            let receivables = Money::from_minor(minor, currency);
            Ok(DsoPoint { receivables, dso: dso(receivables, &sales, as_of, period_days)? })
        })
        .collect()
}

/// Sales minus payments on or before each of `points` (in the order of `points`), in one pass
/// over the days sorted by date.
fn receivables_on(days: &[DayTotals], points: &[Date]) -> Result<Vec<i64>, KpiError> {
    let mut sorted: Vec<&DayTotals> = days.iter().collect();
    sorted.sort_by_key(|d| d.day);
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| points.get(i).copied());
    let mut out = vec![0_i64; points.len()];
    let mut running: i128 = 0;
    let mut next = sorted.iter().peekable();
    for i in order {
        let Some(&point) = points.get(i) else { continue };
        while let Some(d) = next.next_if(|d| d.day <= point) {
            running = running
                .checked_add(i128::from(d.sales_minor))
                .and_then(|r| r.checked_sub(i128::from(d.payments_minor)))
                .ok_or(KpiError::Overflow)?;
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = i64::try_from(running).map_err(|_| KpiError::Overflow)?;
        }
    }
    Ok(out)
}

/// The payments received from `from` to `to`, both included.
///
/// # Errors
/// [`KpiError::Overflow`] when the sum does not fit.
///
/// # Examples
/// ```
/// use arflow_core::kpi::{DayTotals, payments_between};
/// use arflow_core::money::Currency;
/// use jiff::civil::date;
///
/// let days = [
///     DayTotals { day: date(2026, 2, 28), sales_minor: 0, payments_minor: 5_000 },
///     DayTotals { day: date(2026, 3, 1), sales_minor: 9_900, payments_minor: 12_345 },
///     DayTotals { day: date(2026, 3, 2), sales_minor: 0, payments_minor: -345 },
/// ];
/// let march = payments_between(&days, date(2026, 3, 1), date(2026, 3, 31), Currency::EUR)?;
/// assert_eq!(march.to_string(), "120.00");
/// # Ok::<(), arflow_core::kpi::KpiError>(())
/// ```
pub fn payments_between(
    days: &[DayTotals],
    from: Date,
    to: Date,
    currency: Currency,
) -> Result<Money, KpiError> {
    let mut sum: i64 = 0;
    for d in days.iter().filter(|d| d.day >= from && d.day <= to) {
        sum = sum.checked_add(d.payments_minor).ok_or(KpiError::Overflow)?;
    }
    Ok(Money::from_minor(sum, currency))
}

/// A day figure in tenths of a day (`41.3` → 413), for drawing it with integer arithmetic.
/// Figures of this module have one decimal; others are rounded half away from zero first.
///
/// # Examples
/// ```
/// use rust_decimal::Decimal;
/// assert_eq!(arflow_core::kpi::days_tenths(Decimal::new(413, 1)), Some(413));
/// assert_eq!(arflow_core::kpi::days_tenths(Decimal::new(40, 0)), Some(400));
/// ```
pub fn days_tenths(days: Decimal) -> Option<i64> {
    let mut rounded = days.round_dp_with_strategy(
        super::DAYS_DECIMALS,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    rounded.rescale(super::DAYS_DECIMALS);
    i64::try_from(rounded.mantissa()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::format_days;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn day(d: Date, sales_minor: i64, payments_minor: i64) -> DayTotals {
        DayTotals { day: d, sales_minor, payments_minor }
    }

    #[test]
    fn month_ends_cross_years_and_leap_februaries() {
        let ends = month_ends_before(date(2024, 3, 1), 13);
        assert_eq!(ends.len(), 13);
        assert_eq!(ends.first(), Some(&date(2023, 2, 28)));
        assert_eq!(ends.get(11), Some(&date(2024, 1, 31)));
        assert_eq!(ends.last(), Some(&date(2024, 2, 29)));
        assert_eq!(month_ends_before(date(2026, 1, 31), 1), [date(2025, 12, 31)]);
        assert!(month_ends_before(date(2026, 1, 31), 0).is_empty());
    }

    #[test]
    fn receivables_are_sales_minus_payments_up_to_each_point_in_any_order() {
        let days = [
            day(date(2026, 2, 20), 0, 60_000),
            day(date(2026, 1, 10), 100_000, 0),
            day(date(2026, 2, 10), 50_000, 0),
            day(date(2026, 2, 10), 1, 0), // a second entry on one day adds up
            day(date(2026, 3, 1), 7, 7),  // after every point: ignored
        ];
        let points = [date(2026, 2, 28), date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 20)];
        assert_eq!(receivables_on(&days, &points), Ok(vec![90_001, 0, 100_000, 90_001]));
    }

    #[test]
    fn each_point_is_the_dso_of_its_date() {
        // 12 month ends of 2025 and 2026-01-15, with a sale on the 5th and a payment on the
        // 25th of every month.
        let mut days = Vec::new();
        let mut first = date(2024, 1, 1);
        for k in 0..25_i64 {
            days.push(day(first.saturating_add(jiff::Span::new().days(4)), 10_000 + k * 100, 0));
            days.push(day(first.saturating_add(jiff::Span::new().days(24)), 0, 9_000 + k * 50));
            first = first.saturating_add(jiff::Span::new().months(1));
        }
        let mut points = month_ends_before(date(2026, 1, 15), 12);
        points.push(date(2026, 1, 15));
        let trend = dso_trend(&days, &points, 90, Currency::EUR).unwrap();
        assert_eq!(trend.len(), 13);
        let sales: Vec<(Date, Money)> = days
            .iter()
            .filter(|d| d.sales_minor != 0)
            .map(|d| (d.day, Money::from_minor(d.sales_minor, Currency::EUR)))
            .collect();
        for (p, as_of) in trend.iter().zip(&points) {
            let expected: i64 = days
                .iter()
                .filter(|d| d.day <= *as_of)
                .map(|d| d.sales_minor - d.payments_minor)
                .sum();
            assert_eq!(p.receivables.minor(), expected);
            assert_eq!(p.dso, dso(p.receivables, &sales, *as_of, 90).unwrap());
        }
        // 2025-12-31: 24 months of sales, 100.00 + 1.00 × k (k = 0 for January 2024), make
        // 2,676.00; the payments, 90.00 + 0.50 × k, make 2,298.00: 378.00 open. Countback:
        // December 123.00 (31 days), November 122.00 (30), October 121.00 (31), then 12.00 of
        // September's 120.00 × 30 days = 3: 95.0.
        let december = trend.get(11).unwrap();
        assert_eq!(december.receivables.minor(), 37_800);
        assert_eq!(december.dso.countback_days.map(format_days).as_deref(), Some("95.0"));
    }

    #[test]
    fn too_many_points_are_refused() {
        let points = vec![date(2026, 1, 1); TREND_POINTS_MAX + 1];
        assert_eq!(
            dso_trend(&[], &points, 90, Currency::EUR),
            Err(KpiError::TooManyPoints { count: TREND_POINTS_MAX + 1, max: TREND_POINTS_MAX })
        );
        assert!(matches!(
            dso_trend(&[], &[date(2026, 1, 1)], 0, Currency::EUR),
            Err(KpiError::PeriodDaysOutOfRange { .. })
        ));
    }

    #[test]
    fn sums_that_do_not_fit_are_an_error() {
        let days = [day(date(2026, 1, 1), i64::MAX, 0), day(date(2026, 1, 2), i64::MAX, 0)];
        assert_eq!(receivables_on(&days, &[date(2026, 1, 2)]), Err(KpiError::Overflow));
        let days = [day(date(2026, 1, 1), 0, i64::MAX), day(date(2026, 1, 2), 0, 1)];
        assert_eq!(
            payments_between(&days, date(2026, 1, 1), date(2026, 1, 2), Currency::EUR),
            Err(KpiError::Overflow)
        );
    }

    #[test]
    fn tenths_of_days() {
        assert_eq!(days_tenths(Decimal::new(1_080, 0)), Some(10_800));
        assert_eq!(days_tenths(Decimal::new(4125, 2)), Some(413));
        assert_eq!(days_tenths(Decimal::ZERO), Some(0));
    }

    proptest! {
        #[test]
        fn the_running_sum_equals_the_sum_up_to_each_point(
            raw in proptest::collection::vec((0_i32..400, -1_000_000_i64..1_000_000, -1_000_000_i64..1_000_000), 0..60),
            offsets in proptest::collection::vec(0_i32..420, 0..15),
        ) {
            let base = date(2025, 1, 1);
            let days: Vec<DayTotals> =
                raw.iter().map(|&(o, s, p)| day(add_days(base, o), s, p)).collect();
            let points: Vec<Date> = offsets.iter().map(|&o| add_days(base, o)).collect();
            let got = receivables_on(&days, &points).unwrap();
            for (value, point) in got.iter().zip(&points) {
                let expected: i64 = days
                    .iter()
                    .filter(|d| d.day <= *point)
                    .map(|d| d.sales_minor - d.payments_minor)
                    .sum();
                prop_assert_eq!(*value, expected);
            }
        }
    }
}
