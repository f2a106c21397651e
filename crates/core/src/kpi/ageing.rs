//! Ageing: what is open on a date, grouped by how many days it is past its due date.
//!
//! An item is *not due* up to and including its due date; one day later it is 1 day overdue
//! (see [`days_overdue`]). The overdue days fall into buckets bounded by configurable upper
//! bounds, by default 30, 60, 90 and 180 days: `not_due`, `1-30`, `31-60`, `61-90`, `91-180`,
//! `180+`. Credit notes carry negative open amounts and age by their own due date like invoices,
//! so each bucket holds a net amount; an item with nothing open is left out.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

use super::KpiError;
use crate::ledger::days_overdue;
use crate::money::{Currency, Money};

/// The default bucket bounds in days overdue: `1-30`, `31-60`, `61-90`, `91-180`, `180+`.
pub const AGEING_BOUNDS_DEFAULT: [u32; 4] = [30, 60, 90, 180];

/// At most this many bounds (so at most 14 buckets including `not_due` and the last open one).
pub const AGEING_BOUNDS_MAX: usize = 12;

/// Label of the bucket for items that are not past their due date.
pub const NOT_DUE_LABEL: &str = "not_due";

/// Ageing buckets: strictly increasing upper bounds in days overdue.
///
/// For bounds `[a, b, …, z]` the buckets are `not_due`, `1-a`, `(a+1)-b`, …, `z+`; a bound is
/// the last day of its bucket, and `z+` holds everything more than `z` days overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeingBuckets {
    bounds_days: Vec<u32>,
}

impl Default for AgeingBuckets {
    fn default() -> Self {
        AgeingBuckets { bounds_days: AGEING_BOUNDS_DEFAULT.to_vec() }
    }
}

impl AgeingBuckets {
    /// Buckets with the given upper bounds in days overdue.
    ///
    /// # Errors
    /// [`KpiError::BucketBoundsEmpty`], [`KpiError::BucketBoundsTooMany`] (more than
    /// [`AGEING_BOUNDS_MAX`]), [`KpiError::BucketBoundZero`] (the first bound must be at least 1)
    /// or [`KpiError::BucketBoundsNotIncreasing`].
    pub fn new(bounds_days: Vec<u32>) -> Result<AgeingBuckets, KpiError> {
        let Some(&first) = bounds_days.first() else {
            return Err(KpiError::BucketBoundsEmpty);
        };
        if bounds_days.len() > AGEING_BOUNDS_MAX {
            return Err(KpiError::BucketBoundsTooMany {
                count: bounds_days.len(),
                max: AGEING_BOUNDS_MAX,
            });
        }
        if first == 0 {
            return Err(KpiError::BucketBoundZero);
        }
        for pair in bounds_days.windows(2) {
            if let [previous, next] = *pair
                && next <= previous
            {
                return Err(KpiError::BucketBoundsNotIncreasing { previous, next });
            }
        }
        Ok(AgeingBuckets { bounds_days })
    }

    /// Parses comma-separated bounds such as `"30,60,90,180"` (spaces around numbers allowed).
    ///
    /// # Errors
    /// [`KpiError::BucketBoundMalformed`] for a part that is not a whole number of days, and the
    /// errors of [`AgeingBuckets::new`].
    ///
    /// # Examples
    /// ```
    /// use arflow_core::kpi::AgeingBuckets;
    /// let buckets = AgeingBuckets::parse("30, 60, 90, 180").unwrap();
    /// assert_eq!(buckets, AgeingBuckets::default());
    /// assert_eq!(buckets.labels(), ["not_due", "1-30", "31-60", "61-90", "91-180", "180+"]);
    /// assert!(AgeingBuckets::parse("60,30").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<AgeingBuckets, KpiError> {
        if text.trim().is_empty() {
            return Err(KpiError::BucketBoundsEmpty);
        }
        let mut bounds_days = Vec::new();
        for part in text.split(',') {
            // Refuse before collecting more than we would ever accept.
            if bounds_days.len() == AGEING_BOUNDS_MAX {
                return Err(KpiError::BucketBoundsTooMany {
                    count: text.split(',').count(),
                    max: AGEING_BOUNDS_MAX,
                });
            }
            let part = part.trim();
            let well_formed = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            let bound = part
                .parse::<u32>()
                .ok()
                .filter(|_| well_formed)
                .ok_or_else(|| KpiError::BucketBoundMalformed { text: part.to_owned() })?;
            bounds_days.push(bound);
        }
        AgeingBuckets::new(bounds_days)
    }

    /// The upper bounds in days overdue.
    pub fn bounds_days(&self) -> &[u32] {
        &self.bounds_days
    }

    /// Number of buckets: `not_due`, one per bound, and the open-ended last one.
    pub fn bucket_count(&self) -> usize {
        self.bounds_days.len() + 2
    }

    /// The bucket for an item `days_overdue` days past its due date: 0 (`not_due`) for zero or
    /// fewer days, then the first bucket whose bound is at least `days_overdue`, else the last.
    /// Always less than [`bucket_count`](Self::bucket_count).
    pub fn bucket_index(&self, days_overdue: i64) -> usize {
        if days_overdue <= 0 {
            return 0;
        }
        match self.bounds_days.iter().position(|&bound| days_overdue <= i64::from(bound)) {
            Some(position) => position + 1,
            None => self.bounds_days.len() + 1,
        }
    }

    /// The bucket labels in order: `not_due`, `1-a`, `(a+1)-b`, …, `z+`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::with_capacity(self.bucket_count());
        labels.push(NOT_DUE_LABEL.to_owned());
        let mut from_days: u64 = 1;
        for &bound in &self.bounds_days {
            labels.push(format!("{from_days}-{bound}"));
            from_days = u64::from(bound) + 1;
        }
        let last = self.bounds_days.last().copied().unwrap_or(0);
        labels.push(format!("{last}+"));
        labels
    }
}

impl fmt::Display for AgeingBuckets {
    /// The text form [`AgeingBuckets::parse`] reads: `30,60,90,180`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, bound) in self.bounds_days.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{bound}")?;
        }
        Ok(())
    }
}

impl FromStr for AgeingBuckets {
    type Err = KpiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AgeingBuckets::parse(text)
    }
}

/// One receivable as of the ageing date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeingItem {
    pub due_date: Date,
    /// What is open on the ageing date; negative for a credit note.
    pub open: Money,
}

/// The total of one ageing bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketTotal {
    /// `not_due`, `1-30`, …, `180+`.
    pub label: String,
    /// Net open amount of the items in the bucket.
    pub amount: Money,
    /// Number of items with a non-zero open amount in the bucket.
    pub count: u64,
}

/// Open receivables on a date by bucket of days overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ageing {
    pub as_of: Date,
    pub currency: Currency,
    /// Everything open: the sum of all buckets.
    pub total: Money,
    /// One entry per bucket, in order, including empty ones.
    pub buckets: Vec<BucketTotal>,
    /// What is open past its due date: the sum of all buckets but `not_due`.
    pub overdue: Money,
}

/// Ages items one at a time, for callers that stream rows; [`ageing`] in one call.
#[derive(Debug, Clone)]
pub struct AgeingAccumulator {
    as_of: Date,
    currency: Currency,
    buckets: AgeingBuckets,
    /// One per bucket, in the order of [`AgeingBuckets::labels`].
    totals: Vec<BucketTotal>,
}

impl AgeingAccumulator {
    /// An empty ageing of `currency` on `as_of`.
    pub fn new(as_of: Date, currency: Currency, buckets: &AgeingBuckets) -> AgeingAccumulator {
        let totals = buckets
            .labels()
            .into_iter()
            .map(|label| BucketTotal { label, amount: Money::zero(currency), count: 0 })
            .collect();
        AgeingAccumulator { as_of, currency, buckets: buckets.clone(), totals }
    }

    /// Adds one item; an item with nothing open is ignored (after its currency is checked).
    ///
    /// # Errors
    /// [`KpiError::CurrencyMismatch`] for an item in another currency, [`KpiError::Overflow`]
    /// when a bucket total does not fit.
    pub fn add(&mut self, item: AgeingItem) -> Result<(), KpiError> {
        if item.open.currency() != self.currency {
            return Err(KpiError::CurrencyMismatch {
                expected: self.currency,
                found: item.open.currency(),
            });
        }
        if item.open.is_zero() {
            return Ok(());
        }
        let index = self.buckets.bucket_index(days_overdue(item.due_date, self.as_of));
        // `totals` has one entry per label and `bucket_index` is below the label count, so the
        // slot always exists.
        if let Some(slot) = self.totals.get_mut(index) {
            slot.amount = slot.amount.checked_add(item.open)?;
            slot.count = slot.count.checked_add(1).ok_or(KpiError::Overflow)?;
        }
        Ok(())
    }

    /// The ageing of everything added.
    ///
    /// # Errors
    /// [`KpiError::Overflow`] when the total does not fit.
    pub fn finish(self) -> Result<Ageing, KpiError> {
        let zero = Money::zero(self.currency);
        let total = self.totals.iter().try_fold(zero, |sum, b| sum.checked_add(b.amount))?;
        let overdue =
            self.totals.iter().skip(1).try_fold(zero, |sum, b| sum.checked_add(b.amount))?;
        Ok(Ageing {
            as_of: self.as_of,
            currency: self.currency,
            total,
            buckets: self.totals,
            overdue,
        })
    }
}

/// Ages open items on `as_of`: the open amount and item count per bucket of days overdue, the
/// total and the overdue part.
///
/// Days overdue are the days after the due date (the due date itself is not due). Items with
/// nothing open are ignored; credit notes (negative) count in the bucket of their own due date.
///
/// # Errors
/// [`KpiError::CurrencyMismatch`] when an item is not in `currency`, [`KpiError::Overflow`] when
/// a total does not fit.
///
/// # Examples
/// ```
/// use arflow_core::kpi::{AgeingBuckets, AgeingItem, ageing};
/// use arflow_core::money::{Currency, Money};
/// use jiff::civil::date;
///
/// let eur = |major: i64| Money::from_minor(major * 100, Currency::EUR);
/// let items = [
///     AgeingItem { due_date: date(2026, 3, 31), open: eur(100) }, // due today: not due
///     AgeingItem { due_date: date(2026, 3, 1), open: eur(250) },  // 30 days: 1-30
///     AgeingItem { due_date: date(2025, 9, 1), open: eur(-40) },  // 211 days: 180+
/// ];
/// let result = ageing(items, date(2026, 3, 31), Currency::EUR, &AgeingBuckets::default())?;
/// assert_eq!(result.total, eur(310));
/// assert_eq!(result.overdue, eur(210));
/// let amounts: Vec<_> = result.buckets.iter().map(|b| b.amount.to_string()).collect();
/// assert_eq!(amounts, ["100.00", "250.00", "0.00", "0.00", "0.00", "-40.00"]);
/// # Ok::<(), arflow_core::kpi::KpiError>(())
/// ```
pub fn ageing(
    items: impl IntoIterator<Item = AgeingItem>,
    as_of: Date,
    currency: Currency,
    buckets: &AgeingBuckets,
) -> Result<Ageing, KpiError> {
    let mut accumulator = AgeingAccumulator::new(as_of, currency, buckets);
    for item in items {
        accumulator.add(item)?;
    }
    accumulator.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    use crate::date::add_days;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn item(due_date: Date, minor: i64) -> AgeingItem {
        AgeingItem { due_date, open: eur(minor) }
    }

    #[test]
    fn default_buckets_have_the_documented_labels() {
        assert_eq!(
            AgeingBuckets::default().labels(),
            ["not_due", "1-30", "31-60", "61-90", "91-180", "180+"]
        );
        let custom = AgeingBuckets::new(vec![1, 7, 14]).unwrap();
        assert_eq!(custom.labels(), ["not_due", "1-1", "2-7", "8-14", "14+"]);
        assert_eq!(custom.bucket_count(), 5);
    }

    #[test]
    fn a_bound_is_the_last_day_of_its_bucket() {
        let b = AgeingBuckets::default();
        let cases = [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
            (180, 4),
            (181, 5),
            (i64::MAX, 5),
        ];
        for (days, index) in cases {
            assert_eq!(b.bucket_index(days), index, "{days} days");
        }
    }

    #[test]
    fn bounds_must_be_non_empty_few_positive_and_increasing() {
        assert_eq!(AgeingBuckets::new(vec![]), Err(KpiError::BucketBoundsEmpty));
        assert_eq!(AgeingBuckets::new(vec![0, 30]), Err(KpiError::BucketBoundZero));
        assert_eq!(
            AgeingBuckets::new(vec![30, 30]),
            Err(KpiError::BucketBoundsNotIncreasing { previous: 30, next: 30 })
        );
        assert_eq!(
            AgeingBuckets::new((1..=13).collect()),
            Err(KpiError::BucketBoundsTooMany { count: 13, max: 12 })
        );
        assert!(AgeingBuckets::new((1..=12).collect()).is_ok());
    }

    #[test]
    fn bounds_parse_from_and_print_to_text() {
        let b = AgeingBuckets::parse(" 30,60 , 90,180 ").unwrap();
        assert_eq!(b, AgeingBuckets::default());
        assert_eq!(b.to_string(), "30,60,90,180");
        assert_eq!("14,28".parse::<AgeingBuckets>().unwrap().bounds_days(), [14, 28]);
        assert_eq!(AgeingBuckets::parse(""), Err(KpiError::BucketBoundsEmpty));
        assert_eq!(AgeingBuckets::parse("  "), Err(KpiError::BucketBoundsEmpty));
        for bad in ["30,,60", "30;60", "-30", "+30", "30.5", "99999999999", "30,"] {
            assert!(
                matches!(AgeingBuckets::parse(bad), Err(KpiError::BucketBoundMalformed { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            AgeingBuckets::parse(&vec!["1"; 40].join(",")),
            Err(KpiError::BucketBoundsTooMany { count: 40, max: 12 })
        );
    }

    #[test]
    fn items_are_bucketed_by_days_after_the_due_date() {
        let as_of = date(2026, 3, 31);
        let items = [
            item(date(2026, 4, 30), 1_000),   // not due yet
            item(date(2026, 3, 31), 2_000),   // due today: not due
            item(date(2026, 3, 30), 4_000),   // 1 day: 1-30
            item(date(2026, 3, 1), 8_000),    // 30 days: 1-30
            item(date(2026, 2, 28), 16_000),  // 31 days: 31-60
            item(date(2025, 12, 31), 32_000), // 90 days: 61-90
            item(date(2025, 10, 2), 64_000),  // 180 days: 91-180
            item(date(2025, 10, 1), 128_000), // 181 days: 180+
            item(date(2025, 10, 1), -28_000), // credit note, 181 days: 180+
            item(date(2020, 1, 1), 0),        // nothing open: ignored
        ];
        let a = ageing(items, as_of, Currency::EUR, &AgeingBuckets::default()).unwrap();
        let rows: Vec<(&str, i64, u64)> =
            a.buckets.iter().map(|b| (b.label.as_str(), b.amount.minor(), b.count)).collect();
        assert_eq!(
            rows,
            [
                ("not_due", 3_000, 2),
                ("1-30", 12_000, 2),
                ("31-60", 16_000, 1),
                ("61-90", 32_000, 1),
                ("91-180", 64_000, 1),
                ("180+", 100_000, 2),
            ]
        );
        // 3 000 + 12 000 + 16 000 + 32 000 + 64 000 + 100 000 = 227 000
        assert_eq!(a.total, eur(227_000));
        assert_eq!(a.overdue, eur(224_000));
    }

    #[test]
    fn nothing_open_gives_empty_buckets() {
        let a = ageing([], date(2026, 1, 1), Currency::EUR, &AgeingBuckets::default()).unwrap();
        assert!(a.total.is_zero() && a.overdue.is_zero());
        assert_eq!(a.buckets.len(), 6);
        assert!(a.buckets.iter().all(|b| b.count == 0 && b.amount.is_zero()));
    }

    #[test]
    fn an_item_in_another_currency_is_refused() {
        let usd = Currency::parse("USD").unwrap();
        let items = [
            item(date(2026, 1, 1), 100),
            AgeingItem { due_date: date(2026, 1, 1), open: Money::from_minor(0, usd) },
        ];
        assert_eq!(
            ageing(items, date(2026, 2, 1), Currency::EUR, &AgeingBuckets::default()),
            Err(KpiError::CurrencyMismatch { expected: Currency::EUR, found: usd })
        );
    }

    #[test]
    fn an_overflowing_bucket_is_an_error_not_a_wrap() {
        let items = [item(date(2026, 1, 1), i64::MAX), item(date(2026, 1, 1), 1)];
        assert_eq!(
            ageing(items, date(2026, 2, 1), Currency::EUR, &AgeingBuckets::default()),
            Err(KpiError::Overflow)
        );
        // Two buckets that fit alone but not together overflow the total.
        let items = [item(date(2026, 1, 1), i64::MAX), item(date(2026, 3, 1), 1)];
        assert_eq!(
            ageing(items, date(2026, 2, 1), Currency::EUR, &AgeingBuckets::default()),
            Err(KpiError::Overflow)
        );
    }

    #[test]
    fn the_result_serializes_with_money_objects() {
        let items = [item(date(2026, 1, 1), 12_345)];
        let a =
            ageing(items, date(2026, 1, 2), Currency::EUR, &AgeingBuckets::new(vec![30]).unwrap())
                .unwrap();
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "as_of": "2026-01-02",
                "currency": "EUR",
                "total": {"amount": "123.45", "currency": "EUR"},
                "buckets": [
                    {"label": "not_due", "amount": {"amount": "0.00", "currency": "EUR"}, "count": 0},
                    {"label": "1-30", "amount": {"amount": "123.45", "currency": "EUR"}, "count": 1},
                    {"label": "30+", "amount": {"amount": "0.00", "currency": "EUR"}, "count": 0},
                ],
                "overdue": {"amount": "123.45", "currency": "EUR"},
            })
        );
    }

    fn bounds_strategy() -> impl Strategy<Value = AgeingBuckets> {
        proptest::collection::btree_set(1_u32..400, 1..=AGEING_BOUNDS_MAX)
            .prop_map(|set| AgeingBuckets::new(set.into_iter().collect()).unwrap())
    }

    proptest! {
        #[test]
        fn totals_equal_the_sum_of_buckets_and_of_items(
            buckets in bounds_strategy(),
            raw in proptest::collection::vec((-500_i32..500, -1_000_000_000_i64..1_000_000_000), 0..60),
        ) {
            let as_of = date(2026, 6, 15);
            let items: Vec<AgeingItem> =
                raw.iter().map(|&(offset, minor)| item(add_days(as_of, offset), minor)).collect();
            let a = ageing(items.iter().copied(), as_of, Currency::EUR, &buckets).unwrap();

            let item_sum: i64 = items.iter().map(|i| i.open.minor()).sum();
            let bucket_sum: i64 = a.buckets.iter().map(|b| b.amount.minor()).sum();
            prop_assert_eq!(a.total.minor(), item_sum);
            prop_assert_eq!(bucket_sum, item_sum);

            let non_zero = items.iter().filter(|i| !i.open.is_zero()).count() as u64;
            prop_assert_eq!(a.buckets.iter().map(|b| b.count).sum::<u64>(), non_zero);

            let not_due: i64 = items
                .iter()
                .filter(|i| i.due_date >= as_of)
                .map(|i| i.open.minor())
                .sum();
            prop_assert_eq!(a.overdue.minor(), item_sum - not_due);
            prop_assert_eq!(a.buckets.len(), buckets.bucket_count());
        }

        #[test]
        fn bucket_index_never_decreases_and_stays_in_range(
            buckets in bounds_strategy(),
            days in -10_i64..1_000,
        ) {
            let here = buckets.bucket_index(days);
            prop_assert!(here < buckets.bucket_count());
            prop_assert!(buckets.bucket_index(days + 1) >= here);
        }

        #[test]
        fn buckets_round_trip_through_text(buckets in bounds_strategy()) {
            prop_assert_eq!(AgeingBuckets::parse(&buckets.to_string()).unwrap(), buckets);
        }
    }
}
