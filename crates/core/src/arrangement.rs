//! Arrangements that pause or replace dunning: a debtor's promise to pay by a date, and payment
//! plans (instalments) that a debtor proposes on the portal or staff create.
//!
//! The organisation's rules are data ([`PromiseRules`], [`PlanRules`]); everything here is pure:
//! "today" is a parameter, money is exact minor units, dates are civil dates.
//!
//! Boundaries (`D` is a due date, all ranges inclusive):
//! - a promise is accepted for `today ..= today + max_days_ahead`; dunning is held up to and
//!   including `promised + grace_days`;
//! - a plan's first instalment may not be before today (today itself is fine); it needs a person
//!   from `today + max_first_due_days + 1` on;
//! - the term is counted in days from the first to the last due date; `max_term_days` itself is
//!   still automatic, as are exactly `max_instalments`, an instalment of exactly
//!   `min_instalment` and a total of exactly `auto_accept_max_total`;
//! - while following a plan, the oldest unpaid instalment is [`PlanStatus::OnTrack`] until
//!   `D - reminder_days_before - 1`, [`PlanStatus::ReminderDue`] on `D - reminder_days_before
//!   ..= D`, [`PlanStatus::Missed`] on `D + 1 ..= D + grace_days` and [`PlanStatus::Broken`]
//!   from `D + grace_days + 1` on (the `breaks_on` date).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::date::days_between;
use crate::money::{Currency, Money};

/// Most instalments a plan can ever have, whatever the rules say (ten years of weekly payments).
///
/// A hard bound so that a proposal cannot make the server build an enormous schedule; the
/// organisation's own, lower limit is [`PlanRules::max_instalments`].
pub const INSTALMENTS_MAX: u32 = 520;

/// `EUR 25.00`: the currency code, a space and the plain decimal amount.
fn show(money: Money) -> String {
    format!("{} {}", money.currency(), money)
}

/// `1 day`, `30 days`.
fn days(n: i64) -> String {
    if n == 1 { "1 day".to_owned() } else { format!("{n} days") }
}

/// `1 instalment`, `3 instalments`.
fn instalments(n: usize) -> String {
    if n == 1 { "1 instalment".to_owned() } else { format!("{n} instalments") }
}

/// `date + days`, or `None` beyond the calendar.
fn plus_days(date: Date, days: u32) -> Option<Date> {
    let span = jiff::Span::new().try_days(i64::from(days)).ok()?;
    date.checked_add(span).ok()
}

/// Minor units as money, saturating at the `i64` range.
fn money_of(minor: i128, currency: Currency) -> Money {
    let clamped = i64::try_from(minor).unwrap_or(if minor < 0 { i64::MIN } else { i64::MAX });
    Money::from_minor(clamped, currency)
}

// ---------------------------------------------------------------------------------------------
// Promise to pay
// ---------------------------------------------------------------------------------------------

/// The organisation's rules for promises to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseRules {
    /// The latest date a debtor may promise, in days after today (that day itself is accepted).
    pub max_days_ahead: u32,
    /// Days after the promised date during which dunning stays held, so that a payment made on
    /// the promised date has time to arrive.
    pub grace_days: u32,
}

impl Default for PromiseRules {
    /// At most 30 days ahead, 3 days of grace.
    fn default() -> PromiseRules {
        PromiseRules { max_days_ahead: 30, grace_days: 3 }
    }
}

/// An accepted promise: dunning is held up to and including `hold_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseHold {
    /// The date the debtor promised to pay by.
    pub promised: Date,
    /// The last day dunning is held: the promised date plus the grace days.
    pub hold_until: Date,
    /// One English line for the debtor and the staff, like
    /// `Payment is promised by 2026-04-01; dunning is held up to and including 2026-04-04.`
    pub explanation: String,
}

/// Why a promised date is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    /// The date is before today.
    #[error("the promised date {promised} is before today, {today}")]
    InThePast { promised: Date, today: Date },
    /// The date is more than [`PromiseRules::max_days_ahead`] days after today.
    #[error(
        "the promised date {promised} is {} away; at most {} accepted",
        days(i64::from(*days_ahead)),
        if *max_days_ahead == 1 { "1 day is".to_owned() } else { format!("{max_days_ahead} days are") }
    )]
    TooFarAhead { promised: Date, days_ahead: i32, max_days_ahead: u32 },
    /// The grace period would run past the last date of the calendar.
    #[error("the promised date {promised} is too close to the end of the calendar")]
    OutOfRange { promised: Date },
}

/// Checks a promise to pay by `promised` and says until when dunning is held.
///
/// `promised` may be today or any day up to `today + max_days_ahead`, both included.
///
/// # Errors
/// [`PromiseError`] naming the date and the limit it breaks.
///
/// # Examples
/// ```
/// use arflow_core::arrangement::{PromiseRules, check_promise};
/// use jiff::civil::date;
/// let hold = check_promise(&PromiseRules::default(), date(2026, 3, 2), date(2026, 3, 20)).unwrap();
/// assert_eq!(hold.hold_until, date(2026, 3, 23));
/// assert!(check_promise(&PromiseRules::default(), date(2026, 3, 2), date(2026, 4, 2)).is_err());
/// ```
pub fn check_promise(
    rules: &PromiseRules,
    today: Date,
    promised: Date,
) -> Result<PromiseHold, PromiseError> {
    let days_ahead = days_between(today, promised);
    if days_ahead < 0 {
        return Err(PromiseError::InThePast { promised, today });
    }
    if i64::from(days_ahead) > i64::from(rules.max_days_ahead) {
        return Err(PromiseError::TooFarAhead {
            promised,
            days_ahead,
            max_days_ahead: rules.max_days_ahead,
        });
    }
    let hold_until =
        plus_days(promised, rules.grace_days).ok_or(PromiseError::OutOfRange { promised })?;
    let grace = if rules.grace_days == 0 {
        String::new()
    } else {
        format!(" ({} of grace included)", days(i64::from(rules.grace_days)))
    };
    let explanation = format!(
        "Payment is promised by {promised}; dunning is held up to and including {hold_until}{grace}."
    );
    Ok(PromiseHold { promised, hold_until, explanation })
}

// ---------------------------------------------------------------------------------------------
// Payment plans
// ---------------------------------------------------------------------------------------------

/// How far apart a plan's instalments fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Every 7 days.
    Weekly,
    /// The same day of every month, clamped to the month's last day.
    Monthly,
}

impl Interval {
    /// The stable text form, the same as in JSON (`weekly`, `monthly`).
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Interval::Weekly => "weekly",
            Interval::Monthly => "monthly",
        }
    }
}

/// The organisation's rules for payment plans. The amounts are in the currency of the plans
/// they judge; a plan in another currency is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRules {
    /// More instalments than this need a person.
    pub max_instalments: u32,
    /// Days from the first to the last due date; a longer plan needs a person.
    pub max_term_days: u32,
    /// An instalment smaller than this needs a person.
    pub min_instalment: Money,
    /// The first instalment may be due at most this many days after today without a person.
    pub max_first_due_days: u32,
    /// Plans for a larger total need a person; `None`: no limit.
    pub auto_accept_max_total: Option<Money>,
    /// Days after a missed due date before the plan breaks (the last day still counts as grace).
    pub grace_days: u32,
    /// A reminder is due from this many days before a due date up to the due date itself.
    pub reminder_days_before: u32,
}

impl Default for PlanRules {
    /// In EUR: at most 6 instalments over at most 180 days, each at least EUR 25.00, the first
    /// within 30 days, automatic up to EUR 5000.00; 14 days of grace, reminders 3 days ahead.
    fn default() -> PlanRules {
        PlanRules {
            max_instalments: 6,
            max_term_days: 180,
            min_instalment: Money::from_minor(25_00, Currency::EUR),
            max_first_due_days: 30,
            auto_accept_max_total: Some(Money::from_minor(5000_00, Currency::EUR)),
            grace_days: 14,
            reminder_days_before: 3,
        }
    }
}

/// One instalment of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    /// The day the instalment must be paid by (that day included).
    pub due: Date,
    /// The instalment's amount, in the plan's currency.
    pub amount: Money,
}

/// Why a schedule cannot be made or a proposal is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Zero instalments were asked for.
    #[error("a plan needs at least one instalment")]
    NoInstalments,
    /// More than [`INSTALMENTS_MAX`] instalments were asked for.
    #[error("a plan can have at most {max} instalments, not {count}")]
    TooManyInstalments { count: u32, max: u32 },
    /// The total is zero or negative.
    #[error("the amount to split must be more than zero, not {}", show(*.0))]
    NotPositive(Money),
    /// The total has fewer minor units than there are instalments.
    #[error(
        "{} cannot be split into {count} instalments of at least {}",
        show(*total),
        show(Money::from_minor(1, total.currency()))
    )]
    TooSmall { total: Money, count: u32 },
    /// A due date would fall beyond the last date of the calendar.
    #[error("an instalment would fall beyond the last date of the calendar")]
    DateOutOfRange,
    /// A proposal is refused; every problem is one English sentence.
    #[error("the proposal is refused: {}", .0.join(" "))]
    Refused(Vec<String>),
}

/// The due date of instalment `index` (0-based).
fn due_date(first_due: Date, index: u32, interval: Interval) -> Option<Date> {
    match interval {
        Interval::Weekly => plus_days(first_due, index.checked_mul(7)?),
        Interval::Monthly => {
            // Counted from the first due date every time, so a clamped month never shifts the
            // next: Jan 31 → Feb 28 → Mar 31.
            let month_index = i64::from(first_due.year()) * 12 + i64::from(first_due.month()) - 1
                + i64::from(index);
            let year = i16::try_from(month_index.div_euclid(12)).ok()?;
            let month = i8::try_from(month_index.rem_euclid(12) + 1).ok()?;
            let last_day = Date::new(year, month, 1).ok()?.days_in_month();
            Date::new(year, month, first_due.day().min(last_day)).ok()
        }
    }
}

/// Splits `total` into `count` instalments from `first_due` on.
///
/// Each amount is `total / count` rounded down to the minor unit; the remaining minor units go
/// one each to the first instalments, so the amounts never increase, differ by at most one minor
/// unit and add up to exactly `total`. Monthly instalments keep the day of month of the first
/// one, clamped to the last day of shorter months (2024-01-31, 2024-02-29, 2024-03-31); weekly
/// ones fall 7 days apart.
///
/// # Errors
/// [`PlanError::NoInstalments`], [`PlanError::TooManyInstalments`],
/// [`PlanError::NotPositive`], [`PlanError::TooSmall`] (fewer minor units than instalments) or
/// [`PlanError::DateOutOfRange`].
///
/// # Examples
/// ```
/// use arflow_core::arrangement::{Interval, schedule};
/// use arflow_core::money::{Currency, Money};
/// use jiff::civil::date;
/// let plan = schedule(Money::from_minor(100_00, Currency::EUR), date(2026, 1, 31), 3, Interval::Monthly)
///     .unwrap();
/// let cents: Vec<i64> = plan.iter().map(|i| i.amount.minor()).collect();
/// assert_eq!(cents, [33_34, 33_33, 33_33]);
/// assert_eq!(plan[1].due, date(2026, 2, 28));
/// assert_eq!(plan[2].due, date(2026, 3, 31));
/// ```
pub fn schedule(
    total: Money,
    first_due: Date,
    count: u32,
    interval: Interval,
) -> Result<Vec<Instalment>, PlanError> {
    if count == 0 {
        return Err(PlanError::NoInstalments);
    }
    if count > INSTALMENTS_MAX {
        return Err(PlanError::TooManyInstalments { count, max: INSTALMENTS_MAX });
    }
    if !total.is_positive() {
        return Err(PlanError::NotPositive(total));
    }
    let n = i64::from(count);
    if total.minor() < n {
        return Err(PlanError::TooSmall { total, count });
    }
    let base = total.minor() / n;
    let extra = total.minor() % n;
    (0..count)
        .map(|index| {
            let due = due_date(first_due, index, interval).ok_or(PlanError::DateOutOfRange)?;
            let minor = if i64::from(index) < extra { base + 1 } else { base };
            Ok(Instalment { due, amount: Money::from_minor(minor, total.currency()) })
        })
        .collect()
}

/// A plan as proposed: the debtor's choices (the total is the open amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalInput {
    /// The due date of the first instalment.
    pub first_due: Date,
    /// How many instalments.
    pub count: u32,
    /// How far apart they fall.
    pub interval: Interval,
}

/// Whether a valid plan may start at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Within every limit of the rules: the plan starts without anyone looking at it.
    AutoAccept,
    /// Beyond one or more limits: a person accepts or declines. Each reason is one English
    /// sentence with the numbers.
    NeedsPerson(Vec<String>),
}

impl Decision {
    /// One English paragraph.
    #[must_use]
    pub fn explain(&self) -> String {
        match self {
            Decision::AutoAccept => {
                "The plan is within the rules and is accepted automatically.".to_owned()
            }
            Decision::NeedsPerson(reasons) => {
                format!("A person must decide on the plan. {}", reasons.join(" "))
            }
        }
    }
}

/// A valid proposal: its schedule and whether it may start at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAssessment {
    /// The instalments, as [`schedule`] makes them.
    pub schedule: Vec<Instalment>,
    /// Whether the plan starts at once or waits for a person.
    pub decision: Decision,
}

impl PlanAssessment {
    /// One English paragraph: the schedule in brief, then the decision and its reasons.
    #[must_use]
    pub fn explain(&self) -> String {
        let (Some(first), Some(last)) = (self.schedule.first(), self.schedule.last()) else {
            return format!("The plan has no instalments. {}", self.decision.explain());
        };
        let currency = first.amount.currency();
        let total =
            money_of(self.schedule.iter().map(|i| i128::from(i.amount.minor())).sum(), currency);
        let dates = if self.schedule.len() == 1 {
            format!("due on {}", first.due)
        } else {
            format!("due from {} to {}", first.due, last.due)
        };
        format!(
            "{} of {} in total ({} to {}), {dates}. {}",
            instalments(self.schedule.len()),
            show(total),
            show(first.amount),
            show(last.amount),
            self.decision.explain()
        )
    }
}

/// Judges a proposed plan for `open_total` against the rules.
///
/// Hard problems refuse the proposal, all of them listed in one [`PlanError::Refused`]: the
/// first due date before today, no instalments, more than [`INSTALMENTS_MAX`], an open total in
/// another currency than the rules' amounts, an open total that is not positive or has fewer
/// minor units than instalments, or a due date beyond the calendar.
///
/// A valid plan needs a person ([`Decision::NeedsPerson`], one reason per limit) when it has
/// more than `max_instalments`, runs more than `max_term_days` from the first to the last due
/// date, has an instalment smaller than `min_instalment`, starts more than
/// `max_first_due_days` after today, or is for more than `auto_accept_max_total`. Reaching a
/// limit exactly is still automatic.
///
/// # Errors
/// [`PlanError::Refused`] with every hard problem.
pub fn assess_plan(
    rules: &PlanRules,
    open_total: Money,
    input: &ProposalInput,
    today: Date,
) -> Result<PlanAssessment, PlanError> {
    let currency = open_total.currency();
    let mut refused = Vec::new();
    if !open_total.is_positive() {
        refused
            .push(format!("The amount to pay must be more than zero; it is {}.", show(open_total)));
    }
    let rule_currency = std::iter::once(rules.min_instalment.currency())
        .chain(rules.auto_accept_max_total.map(|m| m.currency()))
        .find(|c| *c != currency);
    if let Some(rule_currency) = rule_currency {
        refused.push(format!(
            "The amount is in {currency} but the plan rules are in {rule_currency}."
        ));
    }
    if input.count == 0 {
        refused.push("A plan needs at least one instalment.".to_owned());
    } else if input.count > INSTALMENTS_MAX {
        refused.push(format!(
            "A plan can have at most {INSTALMENTS_MAX} instalments; {} were proposed.",
            input.count
        ));
    } else if open_total.is_positive() && open_total.minor() < i64::from(input.count) {
        refused.push(format!(
            "{} cannot be split into {} of at least {}.",
            show(open_total),
            instalments(usize::try_from(input.count).unwrap_or(usize::MAX)),
            show(Money::from_minor(1, currency))
        ));
    }
    if input.first_due < today {
        refused.push(format!(
            "The first instalment date {} is before today, {today}.",
            input.first_due
        ));
    }
    if !refused.is_empty() {
        return Err(PlanError::Refused(refused));
    }
    let plan = schedule(open_total, input.first_due, input.count, input.interval).map_err(|e| {
        PlanError::Refused(vec![match e {
            PlanError::DateOutOfRange => {
                "An instalment would fall beyond the last date of the calendar.".to_owned()
            }
            other => format!("The schedule cannot be made: {other}."),
        }])
    })?;

    let mut reasons = Vec::new();
    if input.count > rules.max_instalments {
        reasons.push(format!(
            "The plan has {} instalments; more than {} need a person's approval.",
            input.count, rules.max_instalments
        ));
    }
    if let (Some(first), Some(last)) = (plan.first(), plan.last()) {
        let term = days_between(first.due, last.due);
        if i64::from(term) > i64::from(rules.max_term_days) {
            reasons.push(format!(
                "The plan runs {} from the first to the last instalment ({} to {}); the limit is {}.",
                days(i64::from(term)),
                first.due,
                last.due,
                days(i64::from(rules.max_term_days))
            ));
        }
    }
    if let Some(smallest) = plan.iter().map(|i| i.amount).min_by_key(Money::minor)
        && smallest.minor() < rules.min_instalment.minor()
    {
        reasons.push(format!(
            "The smallest instalment is {}, below the minimum of {}.",
            show(smallest),
            show(rules.min_instalment)
        ));
    }
    let first_in = days_between(today, input.first_due);
    if i64::from(first_in) > i64::from(rules.max_first_due_days) {
        reasons.push(format!(
            "The first instalment is due on {}, {} from today; the limit is {}.",
            input.first_due,
            days(i64::from(first_in)),
            days(i64::from(rules.max_first_due_days))
        ));
    }
    if let Some(max) = rules.auto_accept_max_total
        && open_total.minor() > max.minor()
    {
        reasons.push(format!(
            "The total of {} is above {}, the most accepted without a person.",
            show(open_total),
            show(max)
        ));
    }
    let decision =
        if reasons.is_empty() { Decision::AutoAccept } else { Decision::NeedsPerson(reasons) };
    Ok(PlanAssessment { schedule: plan, decision })
}

/// Where a running plan stands on a given day. Indexes are 0-based into the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PlanStatus {
    /// Every instalment is paid.
    Completed,
    /// The next unpaid instalment is more than `reminder_days_before` days away.
    OnTrack { next: usize, due: Date, remaining_of_next: Money },
    /// The next unpaid instalment is due within `reminder_days_before` days, or today.
    ReminderDue { index: usize, due: Date, remaining: Money },
    /// An instalment's due date has passed, at most `grace_days` ago; the plan breaks on
    /// `breaks_on` unless it is paid by then.
    Missed { index: usize, due: Date, remaining: Money, breaks_on: Date },
    /// An instalment is still unpaid more than `grace_days` after its due date; dunning resumes
    /// for everything the plan leaves unpaid.
    Broken { index: usize, due: Date, remaining_total: Money },
}

impl PlanStatus {
    /// One English sentence with the amounts and dates.
    #[must_use]
    pub fn explain(&self) -> String {
        match *self {
            PlanStatus::Completed => "The plan is paid in full.".to_owned(),
            PlanStatus::OnTrack { next, due, remaining_of_next } => format!(
                "The plan is on track; the next payment is {} for instalment {} on {due}.",
                show(remaining_of_next),
                next + 1
            ),
            PlanStatus::ReminderDue { index, due, remaining } => format!(
                "Instalment {} is due on {due} with {} still to pay; a reminder is due.",
                index + 1,
                show(remaining)
            ),
            PlanStatus::Missed { index, due, remaining, breaks_on } => format!(
                "Instalment {} was due on {due} and {} of it is unpaid; the plan breaks on \
                 {breaks_on} unless it is paid before then.",
                index + 1,
                show(remaining)
            ),
            PlanStatus::Broken { index, due, remaining_total } => format!(
                "The plan is broken: instalment {} was due on {due} and is still not paid in \
                 full; {} of the plan is unpaid.",
                index + 1,
                show(remaining_total)
            ),
        }
    }
}

/// What of `paid` counts towards each instalment of `schedule`, in minor units: payments count
/// towards the earliest instalments first, each up to its amount (a payment in another currency
/// counts for nothing).
#[must_use]
pub fn paid_per_instalment(schedule: &[Instalment], paid: Money) -> Vec<i64> {
    let currency = schedule.first().map_or(paid.currency(), |i| i.amount.currency());
    let mut left = if paid.currency() == currency { paid.minor().max(0) } else { 0 };
    schedule
        .iter()
        .map(|i| {
            let towards = left.min(i.amount.minor().max(0));
            left -= towards;
            towards
        })
        .collect()
}

/// Where a plan stands on `today`, given everything paid towards it so far.
///
/// `paid` fills the instalments in schedule order (oldest first); an over-payment counts towards
/// the following instalments. The schedule is expected in due-date order and in one currency,
/// as [`schedule`] makes it. A negative `paid`, or one in another currency than the schedule,
/// counts as nothing paid: converting is the caller's job.
///
/// For the oldest instalment not fully paid, due on `D` (see the module docs):
/// `OnTrack` before `D - reminder_days_before`, `ReminderDue` from then up to and including
/// `D`, `Missed` from `D + 1` up to and including `D + grace_days`, `Broken` from
/// `D + grace_days + 1` (`breaks_on`). An empty schedule is `Completed`.
#[must_use]
pub fn plan_status(
    schedule: &[Instalment],
    paid: Money,
    today: Date,
    rules: &PlanRules,
) -> PlanStatus {
    let currency = schedule.first().map_or(paid.currency(), |i| i.amount.currency());
    // (index, instalment, unpaid minor units) of every instalment not fully paid.
    let unpaid: Vec<(usize, &Instalment, i128)> = schedule
        .iter()
        .zip(paid_per_instalment(schedule, paid))
        .enumerate()
        .filter_map(|(index, (instalment, towards))| {
            let rest = i128::from(instalment.amount.minor().max(0)) - i128::from(towards);
            (rest > 0).then_some((index, instalment, rest))
        })
        .collect();
    let Some(&(next, next_instalment, next_rest)) = unpaid.first() else {
        return PlanStatus::Completed;
    };
    let grace = i64::from(rules.grace_days);
    let overdue = |i: &Instalment| i64::from(days_between(i.due, today));

    if let Some(&(index, instalment, _)) = unpaid.iter().find(|(_, i, _)| overdue(i) > grace) {
        let remaining_total = money_of(unpaid.iter().map(|u| u.2).sum(), currency);
        return PlanStatus::Broken { index, due: instalment.due, remaining_total };
    }
    if let Some(&(index, instalment, rest)) = unpaid.iter().find(|(_, i, _)| overdue(i) > 0) {
        let breaks_on =
            plus_days(instalment.due, rules.grace_days.saturating_add(1)).unwrap_or(Date::MAX);
        return PlanStatus::Missed {
            index,
            due: instalment.due,
            remaining: money_of(rest, currency),
            breaks_on,
        };
    }
    let days_to_due = i64::from(days_between(today, next_instalment.due));
    if days_to_due <= i64::from(rules.reminder_days_before) {
        PlanStatus::ReminderDue {
            index: next,
            due: next_instalment.due,
            remaining: money_of(next_rest, currency),
        }
    } else {
        PlanStatus::OnTrack {
            next,
            due: next_instalment.due,
            remaining_of_next: money_of(next_rest, currency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::add_days;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn cents(plan: &[Instalment]) -> Vec<i64> {
        plan.iter().map(|i| i.amount.minor()).collect()
    }

    fn dues(plan: &[Instalment]) -> Vec<Date> {
        plan.iter().map(|i| i.due).collect()
    }

    #[test]
    fn payments_fill_the_earliest_instalments_first() {
        let plan = [
            Instalment { due: date(2026, 3, 10), amount: eur(100_00) },
            Instalment { due: date(2026, 4, 10), amount: eur(100_00) },
            Instalment { due: date(2026, 5, 10), amount: eur(50_00) },
        ];
        assert_eq!(paid_per_instalment(&plan, eur(0)), [0, 0, 0]);
        assert_eq!(paid_per_instalment(&plan, eur(130_00)), [100_00, 30_00, 0]);
        assert_eq!(paid_per_instalment(&plan, eur(999_00)), [100_00, 100_00, 50_00]);
        assert_eq!(paid_per_instalment(&plan, eur(-5_00)), [0, 0, 0]);
        let usd = Money::from_minor(100_00, Currency::parse("USD").unwrap());
        assert_eq!(
            paid_per_instalment(&plan, usd),
            [0, 0, 0],
            "another currency counts for nothing"
        );
    }

    fn proposal(first_due: Date, count: u32, interval: Interval) -> ProposalInput {
        ProposalInput { first_due, count, interval }
    }

    fn reasons(assessment: &PlanAssessment) -> Vec<String> {
        match &assessment.decision {
            Decision::AutoAccept => Vec::new(),
            Decision::NeedsPerson(r) => r.clone(),
        }
    }

    fn refused(result: Result<PlanAssessment, PlanError>) -> Vec<String> {
        match result {
            Err(PlanError::Refused(r)) => r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    // --- promises ------------------------------------------------------------------------

    #[test]
    fn promise_today_and_on_the_last_allowed_day_is_held_with_grace() {
        let rules = PromiseRules::default();
        let today = date(2026, 3, 2);
        let hold = check_promise(&rules, today, today).unwrap();
        assert_eq!(hold.hold_until, date(2026, 3, 5));
        let last = date(2026, 4, 1); // today + 30
        let hold = check_promise(&rules, today, last).unwrap();
        assert_eq!(hold.promised, last);
        assert_eq!(hold.hold_until, date(2026, 4, 4));
        assert_eq!(
            hold.explanation,
            "Payment is promised by 2026-04-01; dunning is held up to and including 2026-04-04 \
             (3 days of grace included)."
        );
        let no_grace = PromiseRules { max_days_ahead: 30, grace_days: 0 };
        let hold = check_promise(&no_grace, today, last).unwrap();
        assert_eq!(hold.hold_until, last);
        assert!(!hold.explanation.contains("grace"));
    }

    #[test]
    fn promise_in_the_past_or_too_far_ahead_is_refused_naming_the_limit() {
        let rules = PromiseRules::default();
        let today = date(2026, 11, 23);
        let err = check_promise(&rules, today, date(2027, 3, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the promised date 2027-03-01 is 98 days away; at most 30 days are accepted"
        );
        assert!(matches!(
            check_promise(&rules, today, date(2026, 12, 24)),
            Err(PromiseError::TooFarAhead { days_ahead: 31, max_days_ahead: 30, .. })
        ));
        let err = check_promise(&rules, today, date(2026, 11, 22)).unwrap_err();
        assert_eq!(err.to_string(), "the promised date 2026-11-22 is before today, 2026-11-23");
        let one = PromiseRules { max_days_ahead: 1, grace_days: 3 };
        let err = check_promise(&one, today, date(2026, 11, 25)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the promised date 2026-11-25 is 2 days away; at most 1 day is accepted"
        );
    }

    #[test]
    fn promise_whose_grace_runs_past_the_calendar_is_refused() {
        let rules = PromiseRules::default();
        let err = check_promise(&rules, date(9999, 12, 30), date(9999, 12, 30)).unwrap_err();
        assert_eq!(err, PromiseError::OutOfRange { promised: date(9999, 12, 30) });
    }

    // --- schedules -----------------------------------------------------------------------

    #[test]
    fn amounts_split_exactly_with_the_extra_cents_first() {
        let first = date(2026, 4, 1);
        let plan = schedule(eur(100_00), first, 3, Interval::Monthly).unwrap();
        assert_eq!(cents(&plan), [33_34, 33_33, 33_33]);
        let plan = schedule(eur(5), first, 3, Interval::Monthly).unwrap();
        assert_eq!(cents(&plan), [2, 2, 1]);
        let plan = schedule(eur(3), first, 3, Interval::Weekly).unwrap();
        assert_eq!(cents(&plan), [1, 1, 1]);
        let plan = schedule(eur(1000_02), first, 4, Interval::Monthly).unwrap();
        assert_eq!(cents(&plan), [250_01, 250_01, 250_00, 250_00]);
        let plan = schedule(eur(99_99), first, 1, Interval::Monthly).unwrap();
        assert_eq!(plan, [Instalment { due: first, amount: eur(99_99) }]);
        let jpy = Currency::parse("JPY").unwrap();
        let plan = schedule(Money::from_minor(100, jpy), first, 3, Interval::Weekly).unwrap();
        assert_eq!(cents(&plan), [34, 33, 33]);
        assert!(plan.iter().all(|i| i.amount.currency() == jpy));
    }

    #[test]
    fn monthly_dates_clamp_to_month_end_without_drifting_over_a_leap_year() {
        let plan = schedule(eur(500_00), date(2024, 1, 31), 5, Interval::Monthly).unwrap();
        assert_eq!(
            dues(&plan),
            [
                date(2024, 1, 31),
                date(2024, 2, 29),
                date(2024, 3, 31),
                date(2024, 4, 30),
                date(2024, 5, 31)
            ]
        );
        let plan = schedule(eur(300_00), date(2023, 1, 31), 3, Interval::Monthly).unwrap();
        assert_eq!(dues(&plan), [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]);
        let plan = schedule(eur(500_00), date(2023, 11, 30), 5, Interval::Monthly).unwrap();
        assert_eq!(
            dues(&plan),
            [
                date(2023, 11, 30),
                date(2023, 12, 30),
                date(2024, 1, 30),
                date(2024, 2, 29),
                date(2024, 3, 30)
            ]
        );
        let plan = schedule(eur(1300_00), date(2024, 2, 29), 13, Interval::Monthly).unwrap();
        assert_eq!(plan[1].due, date(2024, 3, 29));
        assert_eq!(plan[11].due, date(2025, 1, 29));
        assert_eq!(plan[12].due, date(2025, 2, 28));
    }

    #[test]
    fn weekly_dates_fall_seven_days_apart_across_the_year_end() {
        let plan = schedule(eur(300_00), date(2026, 12, 24), 3, Interval::Weekly).unwrap();
        assert_eq!(dues(&plan), [date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 7)]);
    }

    #[test]
    fn schedules_that_cannot_be_made_are_errors() {
        let first = date(2026, 4, 1);
        assert_eq!(
            schedule(eur(100_00), first, 0, Interval::Monthly),
            Err(PlanError::NoInstalments)
        );
        assert_eq!(
            schedule(eur(0), first, 3, Interval::Monthly),
            Err(PlanError::NotPositive(eur(0)))
        );
        assert_eq!(
            schedule(eur(-5_00), first, 3, Interval::Monthly),
            Err(PlanError::NotPositive(eur(-5_00)))
        );
        let err = schedule(eur(2), first, 3, Interval::Monthly).unwrap_err();
        assert_eq!(err, PlanError::TooSmall { total: eur(2), count: 3 });
        assert_eq!(
            err.to_string(),
            "EUR 0.02 cannot be split into 3 instalments of at least EUR 0.01"
        );
        assert_eq!(
            schedule(eur(100_000_00), first, INSTALMENTS_MAX + 1, Interval::Weekly),
            Err(PlanError::TooManyInstalments { count: 521, max: 520 })
        );
        assert!(schedule(eur(520_00), first, INSTALMENTS_MAX, Interval::Weekly).is_ok());
        assert_eq!(
            schedule(eur(100_00), date(9999, 12, 1), 2, Interval::Monthly),
            Err(PlanError::DateOutOfRange)
        );
        assert_eq!(
            schedule(eur(100_00), date(9999, 12, 30), 2, Interval::Weekly),
            Err(PlanError::DateOutOfRange)
        );
    }

    // --- assessing proposals -------------------------------------------------------------

    const TODAY: Date = date(2026, 3, 2);

    #[test]
    fn a_plan_within_every_limit_is_accepted_automatically() {
        let rules = PlanRules::default();
        let a = assess_plan(
            &rules,
            eur(300_00),
            &proposal(date(2026, 3, 15), 3, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        assert_eq!(a.decision, Decision::AutoAccept);
        assert_eq!(cents(&a.schedule), [100_00, 100_00, 100_00]);
        assert_eq!(
            a.explain(),
            "3 instalments of EUR 300.00 in total (EUR 100.00 to EUR 100.00), due from 2026-03-15 \
             to 2026-05-15. The plan is within the rules and is accepted automatically."
        );
    }

    #[test]
    fn every_limit_reached_exactly_is_still_automatic() {
        let rules = PlanRules { max_term_days: 153, ..PlanRules::default() };
        // 6 monthly instalments of exactly EUR 25.00 from today + 30: 2026-04-01 … 2026-09-01
        // is exactly 153 days.
        let a = assess_plan(
            &rules,
            eur(150_00),
            &proposal(date(2026, 4, 1), 6, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        assert_eq!(a.decision, Decision::AutoAccept, "{:?}", reasons(&a));
        let a = assess_plan(&rules, eur(5000_00), &proposal(TODAY, 6, Interval::Monthly), TODAY)
            .unwrap();
        assert_eq!(a.decision, Decision::AutoAccept);
    }

    #[test]
    fn more_instalments_than_allowed_needs_a_person() {
        let a = assess_plan(
            &PlanRules::default(),
            eur(700_00),
            &proposal(date(2026, 3, 10), 7, Interval::Weekly),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            reasons(&a),
            ["The plan has 7 instalments; more than 6 need a person's approval."]
        );
    }

    #[test]
    fn a_term_longer_than_allowed_needs_a_person() {
        let rules = PlanRules { max_term_days: 152, ..PlanRules::default() };
        let a = assess_plan(
            &rules,
            eur(600_00),
            &proposal(date(2026, 4, 1), 6, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            reasons(&a),
            ["The plan runs 153 days from the first to the last instalment (2026-04-01 to \
                 2026-09-01); the limit is 152 days."]
        );
    }

    #[test]
    fn an_instalment_below_the_minimum_needs_a_person() {
        let a = assess_plan(
            &PlanRules::default(),
            eur(74_99),
            &proposal(date(2026, 3, 10), 3, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        assert_eq!(cents(&a.schedule), [25_00, 25_00, 24_99]);
        assert_eq!(
            reasons(&a),
            ["The smallest instalment is EUR 24.99, below the minimum of EUR 25.00."]
        );
    }

    #[test]
    fn a_first_instalment_too_far_ahead_needs_a_person() {
        let a = assess_plan(
            &PlanRules::default(),
            eur(300_00),
            &proposal(date(2026, 4, 2), 3, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            reasons(&a),
            [
                "The first instalment is due on 2026-04-02, 31 days from today; the limit is 30 days."
            ]
        );
    }

    #[test]
    fn a_total_above_the_automatic_limit_needs_a_person_unless_there_is_no_limit() {
        let input = proposal(date(2026, 3, 10), 3, Interval::Monthly);
        let a = assess_plan(&PlanRules::default(), eur(5000_01), &input, TODAY).unwrap();
        assert_eq!(
            reasons(&a),
            ["The total of EUR 5000.01 is above EUR 5000.00, the most accepted without a person."]
        );
        let unlimited = PlanRules { auto_accept_max_total: None, ..PlanRules::default() };
        let a = assess_plan(&unlimited, eur(1_000_000_00), &input, TODAY).unwrap();
        assert_eq!(a.decision, Decision::AutoAccept);
    }

    #[test]
    fn every_soft_limit_is_listed_with_its_numbers() {
        let a = assess_plan(
            &PlanRules::default(),
            eur(9000_00),
            &proposal(date(2026, 5, 1), 400, Interval::Monthly),
            TODAY,
        )
        .unwrap();
        let r = reasons(&a);
        assert_eq!(r.len(), 5, "{r:?}");
        assert!(r[0].contains("400 instalments"));
        assert!(r[1].contains("from the first to the last instalment"));
        assert!(r[2].contains("EUR 22.50"));
        assert!(r[3].contains("2026-05-01, 60 days from today"));
        assert!(r[4].contains("EUR 9000.00"));
        let text = a.explain();
        assert!(text.starts_with("400 instalments of EUR 9000.00 in total"), "{text}");
        assert!(text.contains("A person must decide on the plan. The plan has 400"), "{text}");
    }

    #[test]
    fn hard_problems_are_refused_all_at_once() {
        let usd = Currency::parse("USD").unwrap();
        let r = refused(assess_plan(
            &PlanRules::default(),
            Money::from_minor(0, usd),
            &proposal(date(2026, 3, 1), 0, Interval::Monthly),
            TODAY,
        ));
        assert_eq!(
            r,
            [
                "The amount to pay must be more than zero; it is USD 0.00.",
                "The amount is in USD but the plan rules are in EUR.",
                "A plan needs at least one instalment.",
                "The first instalment date 2026-03-01 is before today, 2026-03-02.",
            ]
        );
        let err = assess_plan(
            &PlanRules::default(),
            eur(-1),
            &proposal(TODAY, 3, Interval::Weekly),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the proposal is refused: The amount to pay must be more than zero; it is EUR -0.01."
        );
    }

    #[test]
    fn each_hard_problem_is_refused_on_its_own() {
        let rules = PlanRules::default();
        let ok = proposal(TODAY, 3, Interval::Monthly);
        assert!(assess_plan(&rules, eur(300_00), &ok, TODAY).is_ok(), "today is allowed");
        let past = proposal(date(2026, 3, 1), 3, Interval::Monthly);
        assert_eq!(refused(assess_plan(&rules, eur(300_00), &past, TODAY)).len(), 1);
        let none = proposal(TODAY, 0, Interval::Monthly);
        assert_eq!(
            refused(assess_plan(&rules, eur(300_00), &none, TODAY)),
            ["A plan needs at least one instalment."]
        );
        let gbp = Money::from_minor(300_00, Currency::parse("GBP").unwrap());
        assert_eq!(
            refused(assess_plan(&rules, gbp, &ok, TODAY)),
            ["The amount is in GBP but the plan rules are in EUR."]
        );
        let mixed = PlanRules {
            auto_accept_max_total: Some(Money::from_minor(1, Currency::parse("CHF").unwrap())),
            ..PlanRules::default()
        };
        assert_eq!(
            refused(assess_plan(&mixed, eur(300_00), &ok, TODAY)),
            ["The amount is in EUR but the plan rules are in CHF."]
        );
        assert_eq!(
            refused(assess_plan(&rules, eur(0), &ok, TODAY)),
            ["The amount to pay must be more than zero; it is EUR 0.00."]
        );
        assert_eq!(
            refused(assess_plan(&rules, eur(2), &ok, TODAY)),
            ["EUR 0.02 cannot be split into 3 instalments of at least EUR 0.01."]
        );
        let huge = proposal(TODAY, 10_000, Interval::Weekly);
        assert_eq!(
            refused(assess_plan(&rules, eur(1_000_000_00), &huge, TODAY)),
            ["A plan can have at most 520 instalments; 10000 were proposed."]
        );
        let late = proposal(date(9999, 12, 1), 2, Interval::Monthly);
        assert_eq!(
            refused(assess_plan(&rules, eur(300_00), &late, TODAY)),
            ["An instalment would fall beyond the last date of the calendar."]
        );
    }

    // --- following a plan ----------------------------------------------------------------

    /// EUR 100.00 due on 2026-04-10, 2026-05-10 and 2026-06-10.
    fn three_hundred() -> Vec<Instalment> {
        schedule(eur(300_00), date(2026, 4, 10), 3, Interval::Monthly).unwrap()
    }

    fn status_on(paid: i64, today: Date) -> PlanStatus {
        plan_status(&three_hundred(), eur(paid), today, &PlanRules::default())
    }

    #[test]
    fn status_boundaries_around_the_first_due_date() {
        let due = date(2026, 4, 10);
        let on_track = PlanStatus::OnTrack { next: 0, due, remaining_of_next: eur(100_00) };
        let reminder = PlanStatus::ReminderDue { index: 0, due, remaining: eur(100_00) };
        let missed = PlanStatus::Missed {
            index: 0,
            due,
            remaining: eur(100_00),
            breaks_on: date(2026, 4, 25),
        };
        let broken = PlanStatus::Broken { index: 0, due, remaining_total: eur(300_00) };
        // The day before the reminder window (D - 4).
        assert_eq!(status_on(0, date(2026, 4, 6)), on_track);
        // First reminder day (D - 3), the day before and the due day itself.
        assert_eq!(status_on(0, date(2026, 4, 7)), reminder);
        assert_eq!(status_on(0, date(2026, 4, 9)), reminder);
        assert_eq!(status_on(0, due), reminder);
        // First missed day (D + 1) and last grace day (D + 14).
        assert_eq!(status_on(0, date(2026, 4, 11)), missed);
        assert_eq!(status_on(0, date(2026, 4, 24)), missed);
        // First broken day (D + 15 = breaks_on).
        assert_eq!(status_on(0, date(2026, 4, 25)), broken);
        assert_eq!(status_on(0, date(2027, 1, 1)), broken);
        // Before the plan starts it is simply on track.
        assert_eq!(status_on(0, date(2026, 3, 1)), on_track);
    }

    #[test]
    fn zero_reminder_days_and_zero_grace_days_shrink_the_windows_to_the_due_day() {
        let rules = PlanRules { reminder_days_before: 0, grace_days: 0, ..PlanRules::default() };
        let plan = three_hundred();
        let due = date(2026, 4, 10);
        assert!(matches!(
            plan_status(&plan, eur(0), date(2026, 4, 9), &rules),
            PlanStatus::OnTrack { .. }
        ));
        assert!(matches!(plan_status(&plan, eur(0), due, &rules), PlanStatus::ReminderDue { .. }));
        assert_eq!(
            plan_status(&plan, eur(0), date(2026, 4, 11), &rules),
            PlanStatus::Broken { index: 0, due, remaining_total: eur(300_00) }
        );
    }

    #[test]
    fn under_payment_leaves_the_rest_of_the_instalment_open() {
        let due = date(2026, 4, 10);
        assert_eq!(
            status_on(60_00, date(2026, 4, 1)),
            PlanStatus::OnTrack { next: 0, due, remaining_of_next: eur(40_00) }
        );
        assert_eq!(
            status_on(60_00, date(2026, 4, 11)),
            PlanStatus::Missed {
                index: 0,
                due,
                remaining: eur(40_00),
                breaks_on: date(2026, 4, 25)
            }
        );
        assert_eq!(
            status_on(99_99, date(2026, 4, 25)),
            PlanStatus::Broken { index: 0, due, remaining_total: eur(200_01) }
        );
    }

    #[test]
    fn over_payment_counts_towards_later_instalments() {
        let due = date(2026, 5, 10);
        assert_eq!(
            status_on(150_00, date(2026, 4, 11)),
            PlanStatus::OnTrack { next: 1, due, remaining_of_next: eur(50_00) }
        );
        assert_eq!(
            status_on(150_00, date(2026, 5, 7)),
            PlanStatus::ReminderDue { index: 1, due, remaining: eur(50_00) }
        );
        // The second instalment is missed, then breaks the plan, while the first is paid.
        assert_eq!(
            status_on(150_00, date(2026, 5, 24)),
            PlanStatus::Missed {
                index: 1,
                due,
                remaining: eur(50_00),
                breaks_on: date(2026, 5, 25)
            }
        );
        assert_eq!(
            status_on(150_00, date(2026, 5, 25)),
            PlanStatus::Broken { index: 1, due, remaining_total: eur(150_00) }
        );
        assert_eq!(
            status_on(250_00, date(2026, 6, 1)),
            PlanStatus::OnTrack { next: 2, due: date(2026, 6, 10), remaining_of_next: eur(50_00) }
        );
    }

    #[test]
    fn a_fully_paid_plan_is_completed_even_after_its_dates() {
        assert_eq!(status_on(300_00, date(2026, 4, 1)), PlanStatus::Completed);
        assert_eq!(status_on(300_00, date(2030, 1, 1)), PlanStatus::Completed);
        assert_eq!(status_on(400_00, date(2030, 1, 1)), PlanStatus::Completed);
        assert_eq!(
            plan_status(&[], eur(0), date(2026, 4, 1), &PlanRules::default()),
            PlanStatus::Completed
        );
    }

    #[test]
    fn negative_or_foreign_payments_count_as_nothing_paid() {
        let due = date(2026, 4, 10);
        let nothing = PlanStatus::OnTrack { next: 0, due, remaining_of_next: eur(100_00) };
        assert_eq!(status_on(-50_00, date(2026, 4, 1)), nothing);
        let usd = Money::from_minor(300_00, Currency::parse("USD").unwrap());
        assert_eq!(
            plan_status(&three_hundred(), usd, date(2026, 4, 1), &PlanRules::default()),
            nothing
        );
    }

    #[test]
    fn statuses_explain_themselves_with_amounts_and_dates() {
        assert_eq!(PlanStatus::Completed.explain(), "The plan is paid in full.");
        assert_eq!(
            status_on(60_00, date(2026, 4, 1)).explain(),
            "The plan is on track; the next payment is EUR 40.00 for instalment 1 on 2026-04-10."
        );
        assert_eq!(
            status_on(100_00, date(2026, 5, 10)).explain(),
            "Instalment 2 is due on 2026-05-10 with EUR 100.00 still to pay; a reminder is due."
        );
        assert_eq!(
            status_on(0, date(2026, 4, 11)).explain(),
            "Instalment 1 was due on 2026-04-10 and EUR 100.00 of it is unpaid; the plan breaks \
             on 2026-04-25 unless it is paid before then."
        );
        assert_eq!(
            status_on(25_00, date(2026, 4, 25)).explain(),
            "The plan is broken: instalment 1 was due on 2026-04-10 and is still not paid in \
             full; EUR 275.00 of the plan is unpaid."
        );
    }

    #[test]
    fn statuses_and_rules_have_a_stable_json_shape() {
        let json = serde_json::to_value(status_on(0, date(2026, 4, 7))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "status": "reminder_due",
                "index": 0,
                "due": "2026-04-10",
                "remaining": {"amount": "100.00", "currency": "EUR"}
            })
        );
        let rules = PlanRules::default();
        let back: PlanRules = serde_json::from_value(serde_json::to_value(rules).unwrap()).unwrap();
        assert_eq!(back, rules);
    }

    // --- properties ----------------------------------------------------------------------

    proptest! {
        #[test]
        fn schedules_sum_exactly_and_stay_even_and_ordered(
            total in 1_i64..1_000_000_000_000,
            count in 1_u32..=INSTALMENTS_MAX,
            day_offset in 0_i32..40_000,
            monthly in any::<bool>(),
        ) {
            prop_assume!(total >= i64::from(count));
            let first = add_days(date(2000, 1, 1), day_offset);
            let interval = if monthly { Interval::Monthly } else { Interval::Weekly };
            let plan = schedule(eur(total), first, count, interval).unwrap();
            prop_assert_eq!(plan.len(), usize::try_from(count).unwrap());
            prop_assert_eq!(plan.iter().map(|i| i.amount.minor()).sum::<i64>(), total);
            prop_assert_eq!(plan[0].due, first);
            let (max, min) = (plan[0].amount.minor(), plan[plan.len() - 1].amount.minor());
            prop_assert!(max - min <= 1);
            for pair in plan.windows(2) {
                prop_assert!(pair[0].amount.minor() >= pair[1].amount.minor());
                prop_assert!(pair[0].due < pair[1].due);
                if !monthly {
                    prop_assert_eq!(days_between(pair[0].due, pair[1].due), 7);
                }
            }
            if monthly {
                for i in &plan {
                    prop_assert_eq!(i.due.day(), first.day().min(i.due.days_in_month()));
                }
            }
        }

        #[test]
        fn payments_only_ever_move_the_plan_forward(
            total in 3_00_i64..100_000_00,
            count in 1_u32..12,
            paid in 0_i64..200_000_00,
            more in 0_i64..50_000_00,
            day_offset in -60_i32..500,
        ) {
            let first = date(2026, 4, 10);
            let plan = schedule(eur(total), first, count, Interval::Monthly).unwrap();
            let today = add_days(first, day_offset);
            let rules = PlanRules::default();
            let rank = |s: PlanStatus| match s {
                PlanStatus::Completed => (usize::MAX, 0),
                PlanStatus::OnTrack { next, .. } | PlanStatus::ReminderDue { index: next, .. } => (next, 2),
                PlanStatus::Missed { index, .. } => (index, 1),
                PlanStatus::Broken { index, .. } => (index, 0),
            };
            let before = plan_status(&plan, eur(paid), today, &rules);
            let after = plan_status(&plan, eur(paid + more), today, &rules);
            prop_assert!(rank(after) >= rank(before), "{:?} then {:?}", before, after);
            if paid >= total {
                prop_assert_eq!(before, PlanStatus::Completed);
            }
        }
    }
}
