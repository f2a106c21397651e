//! Payment behaviour: how long settled items took to be paid and how late they were.
//!
//! For each settled item, *days to pay* is `settled_date − issue_date` (negative for a
//! prepayment, which is kept as is) and *days late* is `max(0, settled_date − due_date)`, so an
//! item settled on its due date is not late. Over a set of items we report the simple averages of
//! both, and the average days late weighted by amount (in minor units), which says how late the
//! money arrives rather than how late the typical invoice is. Sums are exact integers; each
//! average is one exact division rounded to one decimal, half away from zero.
//!
//! Feed a [`BehaviourAccumulator`] per debtor and one for everything to get per-debtor and
//! overall figures in one pass; [`payment_behaviour`] does it for one set in one call.

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::{KpiError, days_quotient};
use crate::date::days_between;
use crate::money::{Currency, Money};

/// An invoice that has been settled in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledItem {
    pub issue_date: Date,
    pub due_date: Date,
    /// The day the item's open amount reached zero.
    pub settled_date: Date,
    /// The invoice amount; positive.
    pub amount: Money,
}

impl SettledItem {
    /// `settled_date − issue_date` in days; negative when paid before it was issued.
    pub fn days_to_pay(&self) -> i32 {
        days_between(self.issue_date, self.settled_date)
    }

    /// `max(0, settled_date − due_date)` in days.
    pub fn days_late(&self) -> i32 {
        days_between(self.due_date, self.settled_date).max(0)
    }
}

/// Payment behaviour over a set of settled items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentBehaviour {
    /// Number of settled items.
    pub count: u64,
    /// Mean days to pay; `None` without items.
    pub average_days_to_pay: Option<Decimal>,
    /// Mean days late (items paid on time count as 0); `None` without items.
    pub average_days_late: Option<Decimal>,
    /// `Σ(amount × days late) / Σ amount`, amounts in minor units; `None` without items.
    pub weighted_average_days_late: Option<Decimal>,
    /// Items settled after their due date.
    pub paid_late_count: u64,
}

/// Collects settled items one at a time; [`finish`](Self::finish) gives the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BehaviourAccumulator {
    currency: Currency,
    count: u64,
    paid_late_count: u64,
    days_to_pay_sum: i128,
    days_late_sum: i128,
    /// Σ amount_minor × days late.
    amount_days_late_sum: i128,
    amount_minor_sum: i128,
}

impl BehaviourAccumulator {
    /// An empty accumulator for items in `currency` (the weights are its minor units).
    pub fn new(currency: Currency) -> BehaviourAccumulator {
        BehaviourAccumulator {
            currency,
            count: 0,
            paid_late_count: 0,
            days_to_pay_sum: 0,
            days_late_sum: 0,
            amount_days_late_sum: 0,
            amount_minor_sum: 0,
        }
    }

    /// The currency of the items.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Adds one settled item.
    ///
    /// # Errors
    /// [`KpiError::CurrencyMismatch`] for an item in another currency,
    /// [`KpiError::SettledAmountNotPositive`] for a zero or negative amount,
    /// [`KpiError::Overflow`] when a sum does not fit.
    pub fn add(&mut self, item: &SettledItem) -> Result<(), KpiError> {
        if item.amount.currency() != self.currency {
            return Err(KpiError::CurrencyMismatch {
                expected: self.currency,
                found: item.amount.currency(),
            });
        }
        if !item.amount.is_positive() {
            return Err(KpiError::SettledAmountNotPositive { amount: item.amount });
        }
        let days_late = item.days_late();
        let amount_minor = i128::from(item.amount.minor());
        let one = BehaviourAccumulator {
            currency: self.currency,
            count: 1,
            paid_late_count: u64::from(days_late > 0),
            days_to_pay_sum: i128::from(item.days_to_pay()),
            days_late_sum: i128::from(days_late),
            amount_days_late_sum: amount_minor
                .checked_mul(i128::from(days_late))
                .ok_or(KpiError::Overflow)?,
            amount_minor_sum: amount_minor,
        };
        self.merge(&one)
    }

    /// Adds everything `other` collected, e.g. per-debtor accumulators into an overall one.
    ///
    /// # Errors
    /// [`KpiError::CurrencyMismatch`] when the currencies differ, [`KpiError::Overflow`] when a
    /// sum does not fit.
    pub fn merge(&mut self, other: &BehaviourAccumulator) -> Result<(), KpiError> {
        if other.currency != self.currency {
            return Err(KpiError::CurrencyMismatch {
                expected: self.currency,
                found: other.currency,
            });
        }
        // Compute everything before changing anything, so an error leaves `self` as it was.
        let merged = BehaviourAccumulator {
            currency: self.currency,
            count: self.count.checked_add(other.count).ok_or(KpiError::Overflow)?,
            paid_late_count: self
                .paid_late_count
                .checked_add(other.paid_late_count)
                .ok_or(KpiError::Overflow)?,
            days_to_pay_sum: add(self.days_to_pay_sum, other.days_to_pay_sum)?,
            days_late_sum: add(self.days_late_sum, other.days_late_sum)?,
            amount_days_late_sum: add(self.amount_days_late_sum, other.amount_days_late_sum)?,
            amount_minor_sum: add(self.amount_minor_sum, other.amount_minor_sum)?,
        };
        *self = merged;
        Ok(())
    }

    /// The figures over everything added; averages are `None` when nothing was.
    ///
    /// # Errors
    /// [`KpiError::Overflow`] when an average does not fit a [`Decimal`].
    pub fn finish(self) -> Result<PaymentBehaviour, KpiError> {
        let rounding = RoundingStrategy::MidpointAwayFromZero;
        let count = i128::from(self.count);
        Ok(PaymentBehaviour {
            count: self.count,
            average_days_to_pay: days_quotient(self.days_to_pay_sum, count, rounding)?,
            average_days_late: days_quotient(self.days_late_sum, count, rounding)?,
            weighted_average_days_late: days_quotient(
                self.amount_days_late_sum,
                self.amount_minor_sum,
                rounding,
            )?,
            paid_late_count: self.paid_late_count,
        })
    }
}

fn add(a: i128, b: i128) -> Result<i128, KpiError> {
    a.checked_add(b).ok_or(KpiError::Overflow)
}

/// Payment behaviour over `items`, all in `currency`.
///
/// # Errors
/// As [`BehaviourAccumulator::add`] and [`BehaviourAccumulator::finish`].
///
/// # Examples
/// ```
/// use arflow_core::kpi::{SettledItem, format_days, payment_behaviour};
/// use arflow_core::money::{Currency, Money};
/// use jiff::civil::date;
///
/// let items = [
///     // 30 days to pay, on time
///     SettledItem {
///         issue_date: date(2026, 1, 1),
///         due_date: date(2026, 1, 31),
///         settled_date: date(2026, 1, 31),
///         amount: Money::from_minor(10_000, Currency::EUR),
///     },
///     // 50 days to pay, 20 days late
///     SettledItem {
///         issue_date: date(2026, 1, 1),
///         due_date: date(2026, 1, 31),
///         settled_date: date(2026, 2, 20),
///         amount: Money::from_minor(30_000, Currency::EUR),
///     },
/// ];
/// let b = payment_behaviour(items, Currency::EUR)?;
/// assert_eq!(b.average_days_to_pay.map(format_days).as_deref(), Some("40.0"));
/// assert_eq!(b.average_days_late.map(format_days).as_deref(), Some("10.0"));
/// // (100 × 0 + 300 × 20) / 400 = 15
/// assert_eq!(b.weighted_average_days_late.map(format_days).as_deref(), Some("15.0"));
/// assert_eq!(b.paid_late_count, 1);
/// # Ok::<(), arflow_core::kpi::KpiError>(())
/// ```
pub fn payment_behaviour(
    items: impl IntoIterator<Item = SettledItem>,
    currency: Currency,
) -> Result<PaymentBehaviour, KpiError> {
    let mut accumulator = BehaviourAccumulator::new(currency);
    for item in items {
        accumulator.add(&item)?;
    }
    accumulator.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    use crate::date::add_days;
    use crate::kpi::format_days;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn settled(issue: Date, due: Date, settled_date: Date, minor: i64) -> SettledItem {
        SettledItem { issue_date: issue, due_date: due, settled_date, amount: eur(minor) }
    }

    fn days(value: Option<Decimal>) -> Option<String> {
        value.map(format_days)
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    /// A: 24 days to pay, 0 late, 1,000.00; B: 40 to pay, 10 late, 3,000.00;
    /// C: 35 to pay, 5 late, 500.00.
    fn three_items() -> [SettledItem; 3] {
        [
            // 2026-01-01 → 2026-01-25 = 24 days; due 2026-01-31: on time.
            settled(date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 25), 100_000),
            // 2026-01-10 → 2026-02-19 = 21 + 19 = 40 days; due 2026-02-09: 10 days late.
            settled(date(2026, 1, 10), date(2026, 2, 9), date(2026, 2, 19), 300_000),
            // 2026-02-01 → 2026-03-08 = 27 + 8 = 35 days; due 2026-03-03: 5 days late.
            settled(date(2026, 2, 1), date(2026, 3, 3), date(2026, 3, 8), 50_000),
        ]
    }

    #[test]
    fn averages_are_simple_and_weighted_by_amount() {
        let b = payment_behaviour(three_items(), Currency::EUR).unwrap();
        assert_eq!(b.count, 3);
        // (24 + 40 + 35) / 3 = 99 / 3 = 33.0
        assert_eq!(days(b.average_days_to_pay), some("33.0"));
        // (0 + 10 + 5) / 3 = 5.0
        assert_eq!(days(b.average_days_late), some("5.0"));
        // (100,000 × 0 + 300,000 × 10 + 50,000 × 5) / 450,000 = 3,250,000 / 450,000 = 7.22…
        assert_eq!(days(b.weighted_average_days_late), some("7.2"));
        assert_eq!(b.paid_late_count, 2);
    }

    #[test]
    fn paying_on_the_due_date_is_not_late_and_prepayments_count_negative() {
        let on_due = settled(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31), 100);
        assert_eq!((on_due.days_to_pay(), on_due.days_late()), (30, 0));
        let prepaid = settled(date(2026, 3, 10), date(2026, 4, 9), date(2026, 3, 5), 100);
        assert_eq!((prepaid.days_to_pay(), prepaid.days_late()), (-5, 0));
        let b = payment_behaviour([on_due, prepaid], Currency::EUR).unwrap();
        // (30 − 5) / 2 = 12.5
        assert_eq!(days(b.average_days_to_pay), some("12.5"));
        assert_eq!(b.paid_late_count, 0);
        assert_eq!(days(b.weighted_average_days_late), some("0.0"));
    }

    #[test]
    fn averages_round_half_away_from_zero() {
        let due = date(2026, 3, 31);
        let items = [
            settled(date(2026, 3, 1), due, date(2026, 4, 1), 100), // 31 to pay, 1 late
            settled(date(2026, 3, 1), due, due, 100),              // 30, 0
            settled(date(2026, 3, 1), due, due, 100),              // 30, 0
            settled(date(2026, 3, 1), due, due, 100),              // 30, 0
        ];
        let b = payment_behaviour(items, Currency::EUR).unwrap();
        // 121 / 4 = 30.25 → 30.3; 1 / 4 = 0.25 → 0.3; weighted 100 / 400 = 0.25 → 0.3
        assert_eq!(days(b.average_days_to_pay), some("30.3"));
        assert_eq!(days(b.average_days_late), some("0.3"));
        assert_eq!(days(b.weighted_average_days_late), some("0.3"));
    }

    #[test]
    fn no_items_have_no_averages() {
        let b = payment_behaviour([], Currency::EUR).unwrap();
        assert_eq!(
            b,
            PaymentBehaviour {
                count: 0,
                average_days_to_pay: None,
                average_days_late: None,
                weighted_average_days_late: None,
                paid_late_count: 0,
            }
        );
    }

    #[test]
    fn amounts_must_be_positive_and_in_the_currency() {
        let d = date(2026, 1, 1);
        for minor in [0, -100] {
            assert_eq!(
                payment_behaviour([settled(d, d, d, minor)], Currency::EUR),
                Err(KpiError::SettledAmountNotPositive { amount: eur(minor) })
            );
        }
        let usd = Currency::parse("USD").unwrap();
        let item = SettledItem { amount: Money::from_minor(1, usd), ..settled(d, d, d, 1) };
        assert_eq!(
            payment_behaviour([item], Currency::EUR),
            Err(KpiError::CurrencyMismatch { expected: Currency::EUR, found: usd })
        );
        let mut eur_acc = BehaviourAccumulator::new(Currency::EUR);
        assert!(eur_acc.merge(&BehaviourAccumulator::new(usd)).is_err());
    }

    #[test]
    fn a_failed_add_leaves_the_accumulator_unchanged() {
        let d = date(2026, 1, 1);
        let mut acc = BehaviourAccumulator::new(Currency::EUR);
        acc.add(&settled(d, d, add_days(d, 3), i64::MAX)).unwrap();
        let before = acc.clone();
        // i128 sums do not overflow on real data, so overflow the item count instead.
        let full =
            BehaviourAccumulator { count: u64::MAX, ..BehaviourAccumulator::new(Currency::EUR) };
        assert_eq!(acc.merge(&full), Err(KpiError::Overflow));
        assert_eq!(acc, before);
    }

    #[test]
    fn per_debtor_and_overall_figures_come_from_one_pass() {
        let [a, b, c] = three_items();
        let rows = [("D1", a), ("D2", b), ("D1", c)];
        let mut per_debtor: BTreeMap<&str, BehaviourAccumulator> = BTreeMap::new();
        let mut overall = BehaviourAccumulator::new(Currency::EUR);
        for (debtor, item) in &rows {
            per_debtor
                .entry(debtor)
                .or_insert_with(|| BehaviourAccumulator::new(Currency::EUR))
                .add(item)
                .unwrap();
            overall.add(item).unwrap();
        }
        let mut merged = BehaviourAccumulator::new(Currency::EUR);
        for acc in per_debtor.values() {
            merged.merge(acc).unwrap();
        }
        assert_eq!(merged, overall);

        let d1 = per_debtor["D1"].clone().finish().unwrap();
        // D1 = A and C: (24 + 35) / 2 = 29.5 to pay; (0 + 5) / 2 = 2.5 late;
        // weighted (100,000 × 0 + 50,000 × 5) / 150,000 = 1.66… → 1.7
        assert_eq!(d1.count, 2);
        assert_eq!(days(d1.average_days_to_pay), some("29.5"));
        assert_eq!(days(d1.average_days_late), some("2.5"));
        assert_eq!(days(d1.weighted_average_days_late), some("1.7"));
        assert_eq!(overall.finish().unwrap().count, 3);
    }

    #[test]
    fn the_result_serializes_days_as_strings() {
        let b = payment_behaviour(three_items(), Currency::EUR).unwrap();
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({
                "count": 3,
                "average_days_to_pay": "33.0",
                "average_days_late": "5.0",
                "weighted_average_days_late": "7.2",
                "paid_late_count": 2,
            })
        );
    }

    fn items_strategy() -> impl Strategy<Value = Vec<SettledItem>> {
        proptest::collection::vec((0_i32..400, 0_i32..120, -10_i32..300, 1_i64..10_000_000), 1..50)
            .prop_map(|raw| {
                raw.into_iter()
                    .map(|(issue, term, paid_after, minor)| {
                        let issue_date = add_days(date(2025, 1, 1), issue);
                        settled(
                            issue_date,
                            add_days(issue_date, term),
                            add_days(issue_date, paid_after),
                            minor,
                        )
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn the_weighted_average_lies_between_the_least_and_most_days_late(
            items in items_strategy(),
        ) {
            let b = payment_behaviour(items.iter().copied(), Currency::EUR).unwrap();
            let weighted = b.weighted_average_days_late.unwrap();
            let least = items.iter().map(SettledItem::days_late).min().unwrap();
            let most = items.iter().map(SettledItem::days_late).max().unwrap();
            prop_assert!(weighted >= Decimal::from(least) && weighted <= Decimal::from(most));
            prop_assert_eq!(b.count, items.len() as u64);
            let late = items.iter().filter(|i| i.days_late() > 0).count() as u64;
            prop_assert_eq!(b.paid_late_count, late);
        }

        #[test]
        fn splitting_and_merging_changes_nothing(items in items_strategy(), split in 0_usize..50) {
            let split = split.min(items.len());
            let (left, right) = items.split_at(split);
            let mut first = BehaviourAccumulator::new(Currency::EUR);
            left.iter().try_for_each(|i| first.add(i)).unwrap();
            let mut second = BehaviourAccumulator::new(Currency::EUR);
            right.iter().try_for_each(|i| second.add(i)).unwrap();
            first.merge(&second).unwrap();
            prop_assert_eq!(
                first.finish().unwrap(),
                payment_behaviour(items.iter().rev().copied(), Currency::EUR).unwrap()
            );
        }
    }
}
