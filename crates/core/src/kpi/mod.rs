//! Key figures over the receivables ledger: ageing, days sales outstanding (DSO) and payment
//! behaviour.
//!
//! Everything here is a pure computation over plain values: the store streams rows in, "today"
//! comes in as `as_of`, and nothing reads a clock. Amounts stay [`Money`] (exact minor units,
//! checked sums); day figures are [`Decimal`]s rounded to one decimal with a rounding strategy
//! named where the figure is computed. No floating point anywhere.
//!
//! - [`ageing`](ageing::ageing): open amounts per overdue bucket (`not_due`, `1-30`, …, `180+`).
//! - [`dso`](dso::dso): DSO by the standard and the countback method.
//! - [`payment_behaviour`]: days to pay and days late, simple and amount-weighted.
//! - [`dso_trend`](trend::dso_trend): DSO on a series of dates from daily sales and payments;
//!   [`payments_between`]: the cash received in a period.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::{AmountError, Currency, Money};

pub mod ageing;
pub mod behaviour;
pub mod dso;
pub mod trend;

pub use ageing::{
    AGEING_BOUNDS_DEFAULT, AGEING_BOUNDS_MAX, Ageing, AgeingAccumulator, AgeingBuckets, AgeingItem,
    BucketTotal, ageing,
};
pub use behaviour::{BehaviourAccumulator, PaymentBehaviour, SettledItem, payment_behaviour};
pub use dso::{DSO_LOOKBACK_MONTHS_MAX, DSO_PERIOD_DAYS_DEFAULT, DSO_PERIOD_DAYS_MAX, Dso, dso};
pub use trend::{
    DayTotals, DsoPoint, TREND_POINTS_MAX, days_tenths, dso_trend, month_ends_before,
    payments_between,
};

/// Day figures (DSO, averages) carry this many decimals.
pub const DAYS_DECIMALS: u32 = 1;

/// Why a key figure could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KpiError {
    /// Ageing bucket bounds were given as an empty list.
    #[error("ageing buckets need at least one bound in days, like 30,60,90,180")]
    BucketBoundsEmpty,
    /// More ageing bucket bounds than [`AGEING_BOUNDS_MAX`].
    #[error("at most {max} ageing bounds are allowed, got {count}")]
    BucketBoundsTooMany { count: usize, max: usize },
    /// The first ageing bound is 0; the first overdue bucket starts at 1 day.
    #[error("the first ageing bound must be at least 1 day")]
    BucketBoundZero,
    /// Ageing bounds that do not strictly increase.
    #[error("ageing bounds must strictly increase, but {next} follows {previous}")]
    BucketBoundsNotIncreasing { previous: u32, next: u32 },
    /// A bound in the text form is not a whole number of days.
    #[error("ageing bound {text:?} is not a whole number of days")]
    BucketBoundMalformed { text: String },
    /// An amount in another currency than the one the figure is computed in.
    #[error("amount in {found} where {expected} was expected; key figures are per currency")]
    CurrencyMismatch { expected: Currency, found: Currency },
    /// A settled item whose amount is zero or negative.
    #[error("a settled item's amount must be positive, got {amount:?}")]
    SettledAmountNotPositive { amount: Money },
    /// A DSO period outside `1..=DSO_PERIOD_DAYS_MAX`.
    #[error("the DSO period must be 1 to {max} days, got {period_days}")]
    PeriodDaysOutOfRange { period_days: u32, max: u32 },
    /// More dates than [`TREND_POINTS_MAX`] in one trend.
    #[error("at most {max} dates in one trend, got {count}")]
    TooManyPoints { count: usize, max: usize },
    /// A sum or a figure does not fit its type.
    #[error("amounts too large to compute this key figure")]
    Overflow,
}

impl From<AmountError> for KpiError {
    fn from(error: AmountError) -> Self {
        match error {
            AmountError::CurrencyMismatch(expected, found) => {
                KpiError::CurrencyMismatch { expected, found }
            }
            // Every other amount error is an overflow: kpi never parses text into money.
            _ => KpiError::Overflow,
        }
    }
}

/// Formats a day figure with exactly [`DAYS_DECIMALS`] decimals: `41.2`, `40.0`, `0.0`.
///
/// Figures from this module are already rounded; other values are rounded half away from zero.
///
/// # Examples
/// ```
/// use rust_decimal::Decimal;
/// assert_eq!(arflow_core::kpi::format_days(Decimal::new(412, 1)), "41.2");
/// assert_eq!(arflow_core::kpi::format_days(Decimal::new(40, 0)), "40.0");
/// ```
pub fn format_days(days: Decimal) -> String {
    let mut rounded =
        days.round_dp_with_strategy(DAYS_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(DAYS_DECIMALS);
    rounded.to_string()
}

/// `numerator / denominator` days, rounded to [`DAYS_DECIMALS`] decimals with `rounding`.
///
/// `None` when the denominator is zero (the figure is undefined). The quotient is exact: the
/// integer division keeps two decimals more than the result plus a sticky digit that records
/// whether anything non-zero was cut off, which decides every rounding strategy exactly as the
/// infinite expansion would (a midpoint is only seen when the true value is one).
///
/// # Errors
/// [`KpiError::Overflow`] when the quotient does not fit a [`Decimal`].
pub(crate) fn days_quotient(
    numerator: i128,
    denominator: i128,
    rounding: RoundingStrategy,
) -> Result<Option<Decimal>, KpiError> {
    if denominator == 0 {
        return Ok(None);
    }
    // Two extra decimals (×10^(DAYS_DECIMALS+1)), then one sticky decimal (×10).
    let extra_scale = 10_i128.pow(DAYS_DECIMALS + 1);
    let scaled = numerator.checked_mul(extra_scale).ok_or(KpiError::Overflow)?;
    let truncated = scaled.checked_div(denominator).ok_or(KpiError::Overflow)?;
    let remainder = scaled.checked_rem(denominator).ok_or(KpiError::Overflow)?;
    let sticky = if remainder == 0 { 0 } else { scaled.signum() * denominator.signum() };
    let with_sticky =
        truncated.checked_mul(10).and_then(|t| t.checked_add(sticky)).ok_or(KpiError::Overflow)?;
    let exact = Decimal::try_from_i128_with_scale(with_sticky, DAYS_DECIMALS + 2)
        .map_err(|_| KpiError::Overflow)?;
    let mut rounded = exact.round_dp_with_strategy(DAYS_DECIMALS, rounding);
    rounded.rescale(DAYS_DECIMALS);
    Ok(Some(rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i128, d: i128, rounding: RoundingStrategy) -> String {
        days_quotient(n, d, rounding).unwrap().map(|v| v.to_string()).unwrap_or_default()
    }

    #[test]
    fn quotients_round_exactly_with_the_named_strategy() {
        let away = RoundingStrategy::MidpointAwayFromZero;
        let even = RoundingStrategy::MidpointNearestEven;
        // 165 / 4 = 41.25: a true midpoint.
        assert_eq!(q(165, 4, away), "41.3");
        assert_eq!(q(165, 4, even), "41.2");
        // 41.25000…01 is above the midpoint: 4125000000000000000001 / 10^20.
        let n = 4_125_000_000_000_000_000_001_i128;
        let d = 100_000_000_000_000_000_000_i128;
        assert_eq!(q(n, d, even), "41.3");
        // 41.2499…: (4125·10^20 − 1) / 10^22 stays below the midpoint.
        assert_eq!(q(412_500_000_000_000_000_000_000 - 1, d * 100, away), "41.2");
        // Negative values round away from zero symmetrically.
        assert_eq!(q(-165, 4, away), "-41.3");
        assert_eq!(q(-1, 3, away), "-0.3");
        // Whole numbers keep one decimal.
        assert_eq!(q(80, 2, away), "40.0");
        assert_eq!(q(0, 7, away), "0.0");
        assert_eq!(days_quotient(1, 0, away), Ok(None));
    }

    #[test]
    fn days_format_with_one_decimal() {
        assert_eq!(format_days(Decimal::new(41_249, 3)), "41.2");
        assert_eq!(format_days(Decimal::new(4125, 2)), "41.3");
        assert_eq!(format_days(Decimal::ZERO), "0.0");
    }

    #[test]
    fn amount_errors_map_to_kpi_errors() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            KpiError::from(AmountError::CurrencyMismatch(Currency::EUR, usd)),
            KpiError::CurrencyMismatch { expected: Currency::EUR, found: usd }
        );
        assert_eq!(KpiError::from(AmountError::Overflow), KpiError::Overflow);
    }
}
