//! The interest engine the rules share: interest per rate period over an open principal, yearly
//! compounding where the law provides it, collection costs that become due on a date, and
//! payments allocated by the applicable rule, all in one pass in date order.
//!
//! Conventions (legal-and-formats.md §1.4, §2.1):
//! - interest runs from `interest_from` up to and including `as_of`, and up to and including the
//!   day of a payment on the old base (art. 6:119a lid 1 BW: "tot en met de dag van betaling");
//!   the base changes from the day after the payment;
//! - periods are split at every row of the rate table, at every payment and at every end of an
//!   interest year; each period is rounded half-up to cents;
//! - with yearly compounding (art. 6:119 lid 2, 6:119a lid 3 BW) the year runs from the start
//!   date of the interest, not from 1 January, and at its end the unpaid interest of that year is
//!   added to the base;
//! - collection costs become due at the start of their day, computed on the principal open then;
//!   a payment on that day is allocated after them.
//!
//! Readings of ours where the notes are silent, marked unverified wherever they change a result:
//! - only the *unpaid* interest of a year is capitalised ("de over dat jaar verschuldigde rente");
//! - a payment allocated to interest pays the oldest interest first, that is the capitalised
//!   interest before the interest of the running year (which lowers the base, in the debtor's
//!   favour).

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::rates::{RateSpan, RateTable};
use super::{LegalError, RatePeriod, fmt_exact, fmt_rate, nl, round_half_up};
use crate::date::{add_days, days_between};
use crate::money::Money;

/// How days are turned into a fraction of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Actual days / 365, also in leap years: the common practice (notes §1.4 [U]: the law does
    /// not fix it) and the convention of the BE worked example (§2.1).
    Actual365,
    /// Actual days / 365, or / 366 for days in a leap year (some tools do this, §1.4); periods are
    /// split at 1 January.
    ActualActual,
}

impl DayCount {
    pub const fn describe(&self) -> &'static str {
        match self {
            DayCount::Actual365 => "actual days / 365 (also in leap years)",
            DayCount::ActualActual => "actual days / 365, or / 366 in a leap year",
        }
    }
}

/// Whether unpaid interest is added to the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compounding {
    /// Simple interest (Directive 2011/7/EU art. 2; BE; contractual interest unless agreed).
    Simple,
    /// After each full year from the start of the interest, the unpaid interest of that year is
    /// added to the base (art. 6:119 lid 2, 6:119a lid 3 BW).
    YearlyFromStart,
}

/// In which order a payment settles what is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// Costs, then interest, then principal (art. 6:44 BW; BIK counts as costs, HR 10-07-2015,
    /// ECLI:NL:HR:2015:1868).
    CostsInterestPrincipal,
    /// Principal, then interest, then costs: the debtor-favourable order used where the notes
    /// give no rule (BE, EU) [U]; it never claims more interest than another order would.
    PrincipalInterestCosts,
}

/// Collection costs that become due on a date, computed on the principal open at that moment.
pub struct CostRule<'a> {
    pub due_from: Date,
    pub amount_for: &'a dyn Fn(Money) -> Result<Money, LegalError>,
}

impl std::fmt::Debug for CostRule<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostRule").field("due_from", &self.due_from).finish_non_exhaustive()
    }
}

/// One computation: a principal, its interest rule, its costs and its payments.
#[derive(Debug)]
pub struct Accrual<'a> {
    pub principal: Money,
    /// First day of interest; `None` when no interest may be charged.
    pub interest_from: Option<Date>,
    /// Last day considered (inclusive); later payments are ignored.
    pub as_of: Date,
    pub table: &'a RateTable,
    pub day_count: DayCount,
    pub compounding: Compounding,
    pub allocation: Allocation,
    pub costs: Option<CostRule<'a>>,
    /// Payments by date; a negative amount (a reversal) re-opens principal.
    pub payments: &'a [(Date, Money)],
}

/// The collection costs of an [`Accrual`], once due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostsOutcome {
    pub due_from: Date,
    /// The principal open when the costs became due (their base).
    pub base: Money,
    pub amount: Money,
    pub paid: Money,
    pub open: Money,
}

/// What an [`Accrual`] computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccrualOutcome {
    pub periods: Vec<RatePeriod>,
    /// Period, payment and capitalisation steps, in date order.
    pub interest_steps: Vec<String>,
    /// One step per payment: how it was allocated.
    pub payment_steps: Vec<String>,
    pub interest_accrued: Money,
    pub interest_paid: Money,
    pub interest_open: Money,
    pub costs: Option<CostsOutcome>,
    pub principal_paid: Money,
    pub principal_open: Money,
    /// The first day whose rate is not known; no interest is computed from it on.
    pub rate_unknown_from: Option<Date>,
    /// Every rate row used is verified.
    pub rates_verified: bool,
    /// A payment came in while interest or costs were owed, so the allocation order (and, with
    /// compounding, our reading of it) changed the result.
    pub allocation_mattered: bool,
    /// Interest was capitalised at least once.
    pub capitalised: bool,
}

/// Most years of interest computed on one claim.
pub const INTEREST_YEARS_MAX: i32 = 100;

enum Event {
    CostsDue,
    Payment(Money),
    YearEnd(i32),
}

struct State<'a> {
    plan: &'a Accrual<'a>,
    principal: Money,
    capitalised_open: Money,
    current_open: Money,
    costs_open: Money,
    cursor: Option<Date>,
    out: AccrualOutcome,
}

/// Runs the computation.
///
/// # Errors
/// [`LegalError`] for mixed currencies, an overflow, or more than [`INTEREST_YEARS_MAX`] years.
pub fn run(plan: &Accrual<'_>) -> Result<AccrualOutcome, LegalError> {
    let currency = plan.principal.currency();
    let zero = Money::zero(currency);
    let mut state = State {
        plan,
        principal: plan.principal,
        capitalised_open: zero,
        current_open: zero,
        costs_open: zero,
        cursor: plan.interest_from,
        out: AccrualOutcome {
            periods: Vec::new(),
            interest_steps: Vec::new(),
            payment_steps: Vec::new(),
            interest_accrued: zero,
            interest_paid: zero,
            interest_open: zero,
            costs: None,
            principal_paid: zero,
            principal_open: zero,
            rate_unknown_from: None,
            rates_verified: true,
            allocation_mattered: false,
            capitalised: false,
        },
    };
    for (date, event) in events(plan)? {
        match event {
            Event::CostsDue => state.costs_due(date)?,
            Event::Payment(amount) => {
                state.accrue_through(date)?;
                state.pay(date, amount)?;
            }
            Event::YearEnd(year) => {
                state.accrue_through(date)?;
                state.capitalise(date, year)?;
            }
        }
    }
    state.accrue_through(plan.as_of)?;
    let mut out = state.out;
    out.interest_open = state.capitalised_open.checked_add(state.current_open)?;
    out.principal_open = state.principal;
    if let Some(costs) = out.costs.as_mut() {
        costs.open = state.costs_open;
    }
    Ok(out)
}

/// The events up to `as_of`, in the order they take effect: costs at the start of their day,
/// then payments, then the end of an interest year.
fn events(plan: &Accrual<'_>) -> Result<Vec<(Date, Event)>, LegalError> {
    let mut events: Vec<(Date, u8, usize, Event)> = Vec::new();
    if let Some(costs) = &plan.costs
        && costs.due_from <= plan.as_of
    {
        events.push((costs.due_from, 0, 0, Event::CostsDue));
    }
    for (index, (date, amount)) in plan.payments.iter().enumerate() {
        plan.principal.checked_add(Money::zero(amount.currency()))?;
        if *date <= plan.as_of {
            events.push((*date, 1, index, Event::Payment(*amount)));
        }
    }
    if let (Some(from), Compounding::YearlyFromStart) = (plan.interest_from, plan.compounding) {
        for year in 1..=INTEREST_YEARS_MAX + 1 {
            let end = add_days(anniversary(from, year)?, -1);
            if end > plan.as_of {
                break;
            }
            if year > INTEREST_YEARS_MAX {
                return Err(LegalError::Limit {
                    what: "years of interest",
                    value: usize::try_from(year).unwrap_or(usize::MAX),
                    limit: usize::try_from(INTEREST_YEARS_MAX).unwrap_or(usize::MAX),
                });
            }
            events.push((end, 2, 0, Event::YearEnd(year)));
        }
    }
    events.sort_by_key(|(date, order, index, _)| (*date, *order, *index));
    Ok(events.into_iter().map(|(date, _, _, event)| (date, event)).collect())
}

/// The first day of interest year `year + 1`: the same month and day `year` years after `start`,
/// or 1 March when that is 29 February of a common year.
pub fn anniversary(start: Date, year: i32) -> Result<Date, LegalError> {
    let y = i16::try_from(i32::from(start.year()) + year)
        .map_err(|_| LegalError::Overflow("interest years"))?;
    Date::new(y, start.month(), start.day())
        .or_else(|_| Date::new(y, 3, 1))
        .map_err(|_| LegalError::Overflow("interest years"))
}

impl State<'_> {
    fn costs_due(&mut self, date: Date) -> Result<(), LegalError> {
        let Some(rule) = &self.plan.costs else { return Ok(()) };
        let base = self.principal;
        let amount = (rule.amount_for)(base)?;
        self.costs_open = amount;
        self.out.costs = Some(CostsOutcome {
            due_from: date,
            base,
            amount,
            paid: Money::zero(amount.currency()),
            open: amount,
        });
        Ok(())
    }

    /// Accrues interest from the cursor through `through` (inclusive) on the current base.
    fn accrue_through(&mut self, through: Date) -> Result<(), LegalError> {
        let Some(from) = self.cursor else { return Ok(()) };
        if through < from || self.out.rate_unknown_from.is_some() {
            return Ok(());
        }
        let (spans, gap) = self.plan.table.periods_until_gap(from, through);
        for span in &spans {
            for (start, end, year_days) in split_for_day_count(span, self.plan.day_count) {
                self.accrue_span(span, start, end, year_days)?;
            }
        }
        self.out.rate_unknown_from = gap;
        self.cursor = Some(add_days(through, 1));
        Ok(())
    }

    fn accrue_span(
        &mut self,
        span: &RateSpan,
        start: Date,
        end: Date,
        year_days: i32,
    ) -> Result<(), LegalError> {
        let base = self.principal.checked_add(self.capitalised_open)?;
        if !base.is_positive() {
            return Ok(());
        }
        let days = days_between(start, end) + 1;
        let exact = base
            .to_decimal()
            .checked_mul(span.rate_percent)
            .and_then(|v| v.checked_mul(Decimal::from(days)))
            .and_then(|v| v.checked_div(Decimal::from(100_i64 * i64::from(year_days))))
            .ok_or(LegalError::Overflow("interest"))?;
        // Rounded half-up to cents per computed period (notes, introduction and §1.4).
        let amount = round_half_up(exact, base.currency())?;
        self.out.interest_steps.push(format!(
            "{start}..{end}: {base} × {}% × {days}/{year_days} = {} → {amount}",
            fmt_rate(span.rate_percent),
            fmt_exact(exact),
        ));
        self.out.periods.push(RatePeriod {
            from: start,
            to: end,
            days,
            rate: span.rate_percent,
            base,
            amount,
        });
        self.out.rates_verified &= span.verified;
        self.current_open = self.current_open.checked_add(amount)?;
        self.out.interest_accrued = self.out.interest_accrued.checked_add(amount)?;
        Ok(())
    }

    fn capitalise(&mut self, date: Date, year: i32) -> Result<(), LegalError> {
        if self.current_open.is_zero() {
            return Ok(());
        }
        let added = self.current_open;
        self.capitalised_open = self.capitalised_open.checked_add(added)?;
        self.current_open = Money::zero(added.currency());
        let base = self.principal.checked_add(self.capitalised_open)?;
        self.out.capitalised = true;
        self.out.interest_steps.push(format!(
            "end of interest year {year} on {date}: unpaid interest {added} added to the base → base {base}"
        ));
        Ok(())
    }

    fn pay(&mut self, date: Date, amount: Money) -> Result<(), LegalError> {
        if amount.is_negative() {
            let back = amount.neg()?;
            self.principal = self.principal.checked_add(back)?;
            self.out.principal_paid = self.out.principal_paid.checked_sub(back)?;
            let step = format!(
                "{date}: reversal of {back} re-opens principal → principal open {}",
                self.principal
            );
            self.out.interest_steps.push(step.clone());
            self.out.payment_steps.push(step);
            return Ok(());
        }
        let interest_open = self.capitalised_open.checked_add(self.current_open)?;
        if interest_open.is_positive() || self.costs_open.is_positive() {
            self.out.allocation_mattered = true;
        }
        let (to_costs, to_interest, to_principal) = match self.plan.allocation {
            Allocation::CostsInterestPrincipal => {
                nl::allocate_payment_6_44(self.costs_open, interest_open, self.principal, amount)?
            }
            Allocation::PrincipalInterestCosts => {
                let (p, i, c) = nl::allocate_payment_6_44(
                    self.principal,
                    interest_open,
                    self.costs_open,
                    amount,
                )?;
                // The remainder after all three belongs to the principal (an overpayment).
                let surplus = c.checked_sub(positive_part(self.costs_open))?;
                if surplus.is_positive() {
                    (positive_part(self.costs_open), i, p.checked_add(surplus)?)
                } else {
                    (c, i, p)
                }
            }
        };
        self.costs_open = self.costs_open.checked_sub(to_costs)?;
        let from_capitalised = min_money(to_interest, positive_part(self.capitalised_open));
        self.capitalised_open = self.capitalised_open.checked_sub(from_capitalised)?;
        self.current_open =
            self.current_open.checked_sub(to_interest.checked_sub(from_capitalised)?)?;
        self.principal = self.principal.checked_sub(to_principal)?;
        self.out.interest_paid = self.out.interest_paid.checked_add(to_interest)?;
        self.out.principal_paid = self.out.principal_paid.checked_add(to_principal)?;
        if let Some(costs) = self.out.costs.as_mut() {
            costs.paid = costs.paid.checked_add(to_costs)?;
        }
        let step = format!(
            "{date}: payment {amount} → costs {to_costs}, interest {to_interest}, principal \
             {to_principal} → principal open {}",
            self.principal
        );
        self.out.interest_steps.push(step.clone());
        self.out.payment_steps.push(step);
        Ok(())
    }
}

/// `amount` when positive, else zero.
pub(crate) fn positive_part(amount: Money) -> Money {
    if amount.is_positive() { amount } else { Money::zero(amount.currency()) }
}

/// The smaller of two amounts of one currency.
pub(crate) fn min_money(a: Money, b: Money) -> Money {
    if a.minor() <= b.minor() { a } else { b }
}

/// The sub-periods of a span for the day count, with the number of days of their year.
fn split_for_day_count(span: &RateSpan, day_count: DayCount) -> Vec<(Date, Date, i32)> {
    match day_count {
        DayCount::Actual365 => vec![(span.from, span.to, 365)],
        DayCount::ActualActual => {
            let mut parts = Vec::new();
            let mut start = span.from;
            while start <= span.to {
                let year_end = Date::new(start.year(), 12, 31).unwrap_or(span.to);
                let end = if year_end < span.to { year_end } else { span.to };
                parts.push((start, end, i32::from(start.days_in_year())));
                let next = add_days(end, 1);
                if next <= end {
                    break;
                }
                start = next;
            }
            parts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legal::rates::RateKind;
    use crate::money::Currency;
    use jiff::civil::date;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    #[test]
    fn anniversaries_of_29_february_fall_on_1_march() {
        assert_eq!(anniversary(date(2024, 2, 29), 1).unwrap(), date(2025, 3, 1));
        assert_eq!(anniversary(date(2024, 2, 29), 4).unwrap(), date(2028, 2, 29));
        assert_eq!(anniversary(date(2024, 3, 16), 2).unwrap(), date(2026, 3, 16));
    }

    #[test]
    fn actual_actual_splits_at_new_year_and_uses_366_in_leap_years() {
        let table = RateTable::parse(RateKind::NlStatutory, "2023-01-01,10,x,true").unwrap();
        let plan = Accrual {
            principal: eur(36_600_00),
            interest_from: Some(date(2023, 12, 1)),
            as_of: date(2024, 1, 31),
            table: &table,
            day_count: DayCount::ActualActual,
            compounding: Compounding::Simple,
            allocation: Allocation::CostsInterestPrincipal,
            costs: None,
            payments: &[],
        };
        let out = run(&plan).unwrap();
        let days: Vec<_> = out.periods.iter().map(|p| (p.days, p.amount)).collect();
        // 36600 × 10% × 31/365 = 310.85; 36600 × 10% × 31/366 = 310.00
        assert_eq!(days, vec![(31, eur(310_85)), (31, eur(310_00))]);
    }
}
