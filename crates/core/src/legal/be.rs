//! Belgian rules: late payment in commercial transactions (law of 2 August 2002) and consumer
//! debts (Book XIX of the Code of Economic Law, WER/CDE).
//!
//! Sources: `../shared/notes/legal-and-formats.md` §2.1 and §2.3.
//! - B2B: law of 2 August 2002 "betreffende de bestrijding van de betalingsachterstand bij
//!   handelstransacties", art. 5 (interest: reference rate + 8 points rounded up to the next half
//!   point, simple, by operation of law from the day after the due date) and art. 6 (flat €40
//!   per late-paid invoice, CJEU C-78/22) [V], as amended by the laws of 22-11-2013 and
//!   14-08-2021.
//! - B2C: Book XIX WER (law of 4 May 2023, BS 23-05-2023), art. XIX.2 (free first reminder,
//!   14-day waiting period) [S] and art. XIX.4 (caps on interest and flat damages, only if
//!   expressly stipulated) [V].
//!
//! The notes give no Belgian rule for allocating a partial payment between principal, interest
//! and costs. Payments therefore reduce the principal first ([`Allocation::PrincipalInterestCosts`]),
//! the order that never claims more interest than another; where that choice changes a result the
//! explanation says it is not verified [U].

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::accrual::{self, Accrual, Allocation, Compounding, CostRule, CostsOutcome, DayCount};
use super::rates::{RateKind, RateRow, RateTable, RateTables};
use super::{
    Charge, ChargeKind, Claim, Explanation, LegalError, Notices, RequiredContent, RuleOutcome,
    Withheld, contractual_table, eur, fmt_exact, fmt_rate, input, interest_charge, not_overdue,
    payments_until, round_half_up,
};
use crate::calendar::{Region, add_business_days};
use crate::date::add_days;
use crate::money::{Currency, Money};

/// The flat compensation for collection costs, art. 6 law of 2 August 2002.
pub const B2B_COMPENSATION: Money = eur(40_00);

/// The B2B late-payment rate for a reference (ECB MRO) rate: reference + 8 points, rounded UP to
/// the next half percentage point (art. 5 al. 2 law of 2 August 2002, notes §2.1). The published
/// table (`be_b2b`) is the authority; this formula checks it.
///
/// # Examples
/// ```
/// use arflow_core::legal::be::b2b_rate_for_reference;
/// use rust_decimal::Decimal;
/// assert_eq!(b2b_rate_for_reference(Decimal::new(315, 2)), Decimal::new(115, 1)); // 11.15 → 11.5
/// assert_eq!(b2b_rate_for_reference(Decimal::new(450, 2)), Decimal::new(125, 1)); // 12.5 stays
/// ```
pub fn b2b_rate_for_reference(reference_percent: Decimal) -> Decimal {
    let doubled = (reference_percent + Decimal::from(8)) * Decimal::TWO;
    doubled.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity) / Decimal::TWO
}

/// How the first reminder of art. XIX.2 WER was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderChannel {
    /// A letter on paper: the waiting period starts on the third working day after sending [U].
    Paper,
    /// E-mail or another electronic durable medium: it starts the calendar day after sending [S].
    Electronic,
}

/// The 14-day waiting period of art. XIX.2 WER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingPeriod {
    pub sent: Date,
    pub channel: ReminderChannel,
    /// First day of the period.
    pub start: Date,
    /// Last day of the period (`start + 13`).
    pub end: Date,
    /// The first day costs, damages or interest may be charged.
    pub charges_from: Date,
    /// `false` for paper: the three-working-day start is the sources' paraphrase, to be confirmed
    /// in Justel (notes §2.3 [U]).
    pub verified: bool,
}

/// The waiting period after a first reminder sent on `sent` (art. XIX.2 WER, notes §2.3): it
/// starts on the 3rd Belgian working day after sending for paper (Monday-Friday excluding public
/// holidays) or on the calendar day after sending for an electronic message, and lasts 14
/// calendar days; charges may start the day after.
///
/// # Examples
/// ```
/// use arflow_core::legal::be::{waiting_period, ReminderChannel};
/// use jiff::civil::date;
/// // Notes §2.3: a paper reminder sent on Thursday 7 August runs 12-25 August.
/// let w = waiting_period(date(2025, 8, 7), ReminderChannel::Paper);
/// assert_eq!((w.start, w.end, w.charges_from), (date(2025, 8, 12), date(2025, 8, 25), date(2025, 8, 26)));
/// ```
pub fn waiting_period(sent: Date, channel: ReminderChannel) -> WaitingPeriod {
    let start = match channel {
        ReminderChannel::Paper => add_business_days(Region::Be, sent, 3),
        ReminderChannel::Electronic => add_days(sent, 1),
    };
    let end = add_days(start, 13);
    WaitingPeriod {
        sent,
        channel,
        start,
        end,
        charges_from: add_days(end, 1),
        verified: channel == ReminderChannel::Electronic,
    }
}

/// From when a consumer owes agreed interest once the waiting period has passed.
///
/// The notes (§2.3 [U]) find the sources divided: some allow interest from the original due date
/// once the 14 days pass (retroactively), others say nothing may be charged for the period. The
/// conservative default is [`B2cInterestStart::AfterWaitingPeriod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum B2cInterestStart {
    /// Interest from the day after the waiting period ends (conservative default).
    AfterWaitingPeriod,
    /// Interest from the day after the due date, claimable only after the waiting period.
    DayAfterDueDate,
}

/// Maximum flat damages on a consumer debt (art. XIX.4 WER, notes §2.3 [V]): €20 up to €150;
/// €30 + 10 % of the part above €150 up to €500; €65 + 5 % of the part above €500, at most
/// €2,000 (reached at €39,200). Rounded half-up to cents; zero for nothing outstanding.
///
/// # Errors
/// [`LegalError::UnsupportedCurrency`] for an amount not in EUR.
///
/// # Examples
/// ```
/// use arflow_core::legal::be::b2c_damages_max;
/// use arflow_core::money::{Currency, Money};
/// let m = b2c_damages_max(Money::from_minor(1_000_00, Currency::EUR)).unwrap();
/// assert_eq!(m.to_string(), "90.00");
/// ```
pub fn b2c_damages_max(outstanding: Money) -> Result<Money, LegalError> {
    damages_steps(outstanding).map(|(m, _)| m)
}

fn damages_steps(outstanding: Money) -> Result<(Money, Vec<String>), LegalError> {
    let currency = outstanding.currency();
    if currency != Currency::EUR {
        return Err(LegalError::UnsupportedCurrency(currency));
    }
    if !outstanding.is_positive() {
        return Ok((Money::zero(currency), vec![format!("outstanding {outstanding}: no damages")]));
    }
    let h = outstanding.to_decimal();
    let (d150, d500) = (Decimal::from(150), Decimal::from(500));
    let (exact, step) = if h <= d150 {
        (Decimal::from(20), format!("outstanding {outstanding} ≤ 150.00 → 20.00"))
    } else if h <= d500 {
        let part = (h - d150) * Decimal::new(10, 2);
        let v = Decimal::from(30) + part;
        (
            v,
            format!(
                "150.00 < {outstanding} ≤ 500.00 → 30.00 + 10% × {} = {}",
                fmt_exact(h - d150),
                fmt_exact(v)
            ),
        )
    } else {
        let part = (h - d500) * Decimal::new(5, 2);
        let v = Decimal::from(65) + part;
        let capped = v.min(Decimal::from(2_000));
        let cap = if capped < v { " → maximum 2000.00" } else { "" };
        (
            capped,
            format!(
                "{outstanding} > 500.00 → 65.00 + 5% × {} = {}{cap}",
                fmt_exact(h - d500),
                fmt_exact(v)
            ),
        )
    };
    let amount = round_half_up(exact, currency)?;
    let mut steps = vec![step];
    if amount.to_decimal() != exact {
        steps.push(format!("{} rounded half-up to cents = {amount}", fmt_exact(exact)));
    }
    Ok((amount, steps))
}

/// What the free first reminder to a consumer must contain (art. XIX.2 WER, notes §2.3 [S]), for
/// the message layer to check.
pub const FIRST_REMINDER_CONTENT: &[RequiredContent] = &[
    RequiredContent {
        id: "balance_and_damages_amount",
        description: "the balance due, and the amount of the damages clause that will be claimed \
                      if it is not paid in time (compute it with legal::be::b2c_damages_max)",
        source: "art. XIX.2 WER",
        verified: true,
    },
    RequiredContent {
        id: "creditor_name_and_enterprise_number",
        description: "the name or denomination and the enterprise number (KBO/BCE) of the creditor",
        source: "art. XIX.2 WER",
        verified: true,
    },
    RequiredContent {
        id: "product_and_due_date",
        description: "a description of the product or service that gave rise to the debt, and its \
                      due date",
        source: "art. XIX.2 WER",
        verified: true,
    },
    RequiredContent {
        id: "payment_period_14_days",
        description: "the period of at least 14 calendar days within which payment can be made \
                      before any costs, interest or damages can be claimed",
        source: "art. XIX.2 WER",
        verified: true,
    },
    RequiredContent {
        id: "free_of_charge",
        description: "the first reminder itself is free of charge, on a durable medium (letter or \
                      e-mail)",
        source: "art. XIX.2 WER",
        verified: true,
    },
];

/// Contracts for the regular supply of goods or services: reminders for this many unpaid due
/// dates per calendar year must be free (art. XIX.2 WER, notes §2.3 [S]).
pub const B2C_FREE_REMINDERS_PER_YEAR_REGULAR_SUPPLY: u32 = 3;
/// Beyond those, a reminder may cost at most €7.50 plus the postage applicable when it is sent
/// (art. XIX.2 WER, notes §2.3 [S]).
pub const B2C_REMINDER_FEE_MAX_EXCL_POSTAGE: Money = eur(7_50);

/// Book XIX WER applies to contracts concluded from 1 September 2023, and to older contracts for
/// payment delays occurring from 1 December 2023 (notes §2.3 [S]).
fn book_xix_applies(claim: &Claim) -> bool {
    let delay = add_days(claim.due_date, 1);
    let new_contracts = Date::new(2023, 9, 1).map(|d| claim.issue_date >= d).unwrap_or(false);
    let old_contracts = Date::new(2023, 12, 1).map(|d| delay >= d).unwrap_or(false);
    new_contracts || old_contracts
}

/// The Belgian B2B charges on one claim: interest of art. 5 (or the agreed rate) and the flat €40
/// of art. 6 of the law of 2 August 2002.
///
/// # Errors
/// [`LegalError`] as for [`super::charges_due`].
pub fn b2b_charges(
    claim: &Claim,
    as_of: Date,
    rates: &RateTables,
    day_count: DayCount,
) -> Result<RuleOutcome, LegalError> {
    super::check_claim(claim, &Notices::default())?;
    let payments = payments_until(claim, as_of)?;
    let interest_from = add_days(claim.due_date, 1);
    let contractual;
    let (table, rule) = match claim.terms.contractual_interest_percent {
        Some(rate) => {
            contractual = contractual_table(rate, interest_from)?;
            (&contractual, "be.b2b.interest.contractual")
        }
        None => (rates.get(RateKind::BeB2b), "be.b2b.interest"),
    };
    let flat = |open: Money| Ok(if open.is_positive() { B2B_COMPENSATION } else { eur(0) });
    let plan = Accrual {
        principal: claim.principal,
        interest_from: Some(interest_from),
        as_of,
        table,
        day_count,
        compounding: Compounding::Simple,
        allocation: Allocation::PrincipalInterestCosts,
        costs: Some(CostRule { due_from: interest_from, amount_for: &flat }),
        payments: &payments,
    };
    let out = accrual::run(&plan)?;
    let mut charges = Vec::new();
    let mut withheld = Vec::new();
    if as_of < interest_from {
        withheld.push(not_overdue(rule, claim.due_date, as_of));
        withheld.push(not_overdue("be.b2b.compensation", claim.due_date, as_of));
        return Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld });
    }
    let mut text = match claim.terms.contractual_interest_percent {
        Some(rate) => format!(
            "Interest for late payment at the agreed rate of {}% (art. 5: the statutory rate \
             applies 'unless otherwise agreed', within art. 7), simple,",
            fmt_rate(rate)
        ),
        None => "Interest for late payment at the rate of each half-year in table be_b2b (ECB MRO \
                 rate on 1 January or 1 July + 8 points, rounded up to the next half point), \
                 simple (Directive 2011/7/EU: statutory interest is simple interest),"
            .to_owned(),
    };
    text.push_str(&format!(
        " due by operation of law and without notice from the day after the due date {}, that is \
         from {interest_from}, up to and including {as_of}, unless the debtor proves it is not \
         responsible for the delay. Day count: {}; each period rounded half-up to cents.",
        claim.due_date,
        day_count.describe()
    ));
    push_allocation_note(&mut text, &out);
    let interest = super::InterestRule {
        rule,
        article: "art. 5 wet van 2 augustus 2002 betreffende de bestrijding van de \
                  betalingsachterstand bij handelstransacties"
            .into(),
        text,
        inputs: vec![
            input("principal", claim.principal),
            input("due_date", claim.due_date),
            input("interest_from", interest_from),
            input("as_of", as_of),
            input("rate_table", table.name()),
            input("day_count", day_count.describe()),
            input("payments", payments.len()),
        ],
        verified: !out.allocation_mattered,
    };
    charges.extend(interest_charge(interest, &out, table, as_of, &mut withheld));
    if let Some(costs) = out.costs.as_ref().filter(|c| c.open.is_positive()) {
        charges.push(flat_charge(
            "be.b2b.compensation",
            "art. 6 wet van 2 augustus 2002 betreffende de bestrijding van de betalingsachterstand \
             bij handelstransacties; HvJ EU 4-5-2023, C-78/22 (ALD Automotive)",
            format!(
                "When interest for late payment is due, the amount owed is increased by operation \
                 of law and without notice by a flat €40 for collection costs (art. 6), once per \
                 late-paid invoice (CJEU C-78/22); due from {}. Reasonable compensation for \
                 proven collection costs above €40, including the procedural indemnity, may be \
                 claimed on top; it is not computed here.",
                costs.due_from
            ),
            vec![format!("flat compensation = {B2B_COMPENSATION}")],
            costs,
            &out,
        ));
    }
    Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld })
}

/// The Belgian consumer charges on one claim (Book XIX WER): nothing before the free first
/// reminder's waiting period has passed; then flat damages and interest, each only if the
/// contract expressly stipulates it and within the caps of art. XIX.4.
///
/// `channel` is how the first reminder was sent; [`super::charges_due`] assumes paper, which
/// starts the waiting period latest. `interest_start` settles the open point of §2.3.
///
/// # Errors
/// [`LegalError`] as for [`super::charges_due`].
pub fn b2c_charges(
    claim: &Claim,
    notices: &Notices,
    as_of: Date,
    rates: &RateTables,
    channel: ReminderChannel,
    interest_start: B2cInterestStart,
) -> Result<RuleOutcome, LegalError> {
    const DAMAGES: &str = "be.b2c.damages";
    const INTEREST: &str = "be.b2c.interest";
    super::check_claim(claim, notices)?;
    let payments = payments_until(claim, as_of)?;
    let day_count = DayCount::Actual365;
    let mut withheld = Vec::new();
    let principal_only = |withheld: Vec<Withheld>| -> Result<RuleOutcome, LegalError> {
        let out = run_principal_only(claim, as_of, &payments, rates)?;
        Ok(RuleOutcome { principal_open: out.principal_open, charges: Vec::new(), withheld })
    };
    if as_of <= claim.due_date {
        withheld.push(not_overdue(DAMAGES, claim.due_date, as_of));
        withheld.push(not_overdue(INTEREST, claim.due_date, as_of));
        return principal_only(withheld);
    }
    if !book_xix_applies(claim) {
        let reason = format!(
            "Book XIX WER applies to contracts concluded from 1-9-2023 and to older contracts for \
             delays from 1-12-2023 (law of 4 May 2023); this delay began on {} under a contract \
             taken to date from the issue date {}. The previous law (20-12-2002 on amicable \
             collection) is not implemented: nothing is charged.",
            add_days(claim.due_date, 1),
            claim.issue_date
        );
        withheld.push(Withheld { rule: DAMAGES.into(), reason: reason.clone() });
        withheld.push(Withheld { rule: INTEREST.into(), reason });
        return principal_only(withheld);
    }
    let Some(sent) = notices.be_first_reminder_sent.filter(|s| *s > claim.due_date) else {
        let reason = match notices.be_first_reminder_sent {
            Some(sent) => format!(
                "The first reminder of {sent} was sent on or before the due date {}; it must follow \
                 the missed due date (it counts as the notice of default, art. XIX.2 WER). Send a \
                 new first reminder.",
                claim.due_date
            ),
            None => {
                "No first reminder has been sent. Before any damages or interest, a free first \
                     reminder with the content of art. XIX.2 WER must be sent, and 14 days must \
                     pass (art. XIX.2 WER)."
                    .to_owned()
            }
        };
        withheld.push(Withheld { rule: DAMAGES.into(), reason: reason.clone() });
        withheld.push(Withheld { rule: INTEREST.into(), reason });
        return principal_only(withheld);
    };
    let wait = waiting_period(sent, channel);
    let capped;
    let interest_table = match claim.terms.contractual_interest_percent {
        Some(rate) => {
            capped = capped_table(rate, rates.get(RateKind::BeB2b))?;
            Some(&capped)
        }
        None => None,
    };
    let interest_from = match interest_start {
        B2cInterestStart::AfterWaitingPeriod => wait.charges_from,
        B2cInterestStart::DayAfterDueDate => add_days(claim.due_date, 1),
    };
    let in_period = as_of < wait.charges_from;
    let damages = |open: Money| b2c_damages_max(open);
    let plan = Accrual {
        principal: claim.principal,
        interest_from: interest_table.filter(|_| !in_period).map(|_| interest_from),
        as_of,
        table: interest_table.unwrap_or(rates.get(RateKind::BeB2b)),
        day_count,
        compounding: Compounding::Simple,
        allocation: Allocation::PrincipalInterestCosts,
        costs: (claim.terms.be_b2c_damages_clause && !in_period)
            .then_some(CostRule { due_from: wait.charges_from, amount_for: &damages }),
        payments: &payments,
    };
    let out = accrual::run(&plan)?;
    let mut charges = Vec::new();
    let period_text = format!(
        "The first reminder was sent on {sent} ({}); the waiting period runs {}..{} (art. XIX.2 \
         WER: 14 calendar days from {}); charges are possible from {}.",
        match channel {
            ReminderChannel::Paper => "on paper",
            ReminderChannel::Electronic => "electronically",
        },
        wait.start,
        wait.end,
        match channel {
            ReminderChannel::Paper => "the 3rd working day after sending",
            ReminderChannel::Electronic => "the day after sending",
        },
        wait.charges_from
    );
    if in_period {
        let (amount, _) = damages_steps(out.principal_open)?;
        let reason = format!(
            "Within the waiting period. {period_text} No costs, damages or interest may be \
             charged during it{}.",
            if claim.terms.be_b2c_damages_clause {
                format!("; if unpaid, damages of at most {amount} on the balance now open")
            } else {
                String::new()
            }
        );
        withheld.push(Withheld { rule: DAMAGES.into(), reason: reason.clone() });
        withheld.push(Withheld { rule: INTEREST.into(), reason });
        return Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld });
    }
    let period_unverified = if wait.verified {
        ""
    } else {
        " Not verified: the start on the 3rd working day after a paper reminder is the sources' \
         paraphrase of art. XIX.2 (notes §2.3 [U])."
    };

    if !claim.terms.be_b2c_damages_clause {
        withheld.push(Withheld {
            rule: DAMAGES.into(),
            reason: "The contract does not stipulate flat damages: under art. XIX.4 WER they may \
                     be claimed only if expressly stipulated (within the caps)."
                .into(),
        });
    } else if let Some(costs) = &out.costs {
        if !costs.base.is_positive() {
            withheld.push(Withheld {
                rule: DAMAGES.into(),
                reason: format!("The balance was paid within the waiting period. {period_text}"),
            });
        } else if costs.open.is_positive() {
            let (_, steps) = damages_steps(costs.base)?;
            let mut charge = flat_charge(
                DAMAGES,
                "art. XIX.2 en XIX.4 WER (wet van 4 mei 2023, BS 23-05-2023)",
                format!(
                    "Flat damages stipulated in the contract, at the maximum of art. XIX.4 WER on \
                     the balance outstanding when the waiting period ended ({}): €20 up to €150; \
                     €30 + 10 % above €150 up to €500; €65 + 5 % above €500, at most €2,000. {}{}",
                    costs.base, period_text, period_unverified
                ),
                steps,
                costs,
                &out,
            );
            charge.explanation.verified &= wait.verified;
            charges.push(charge);
        }
    }

    match (claim.terms.contractual_interest_percent, interest_table) {
        (Some(rate), Some(table)) => {
            let mut text = format!(
                "Interest stipulated in the contract at {}% per year, capped at the rate of art. 5 \
                 al. 2 of the law of 2 August 2002 for each half-year (table be_b2b; art. XIX.4 \
                 WER), simple, on the outstanding principal, from {interest_from} up to and \
                 including {as_of}. {period_text} Day count: {}; each period rounded half-up to \
                 cents.{period_unverified}",
                fmt_rate(rate),
                day_count.describe()
            );
            text.push_str(match interest_start {
                B2cInterestStart::AfterWaitingPeriod => {
                    " Not verified: whether interest may run from the due date once the 14 days \
                     pass is disputed; interest runs from the end of the waiting period (the \
                     conservative reading, notes §2.3 [U])."
                }
                B2cInterestStart::DayAfterDueDate => {
                    " Not verified: interest runs from the day after the due date, retroactively \
                     once the waiting period passed; the sources differ (notes §2.3 [U])."
                }
            });
            push_allocation_note(&mut text, &out);
            let rule = super::InterestRule {
                rule: INTEREST,
                article: "art. XIX.4 WER; art. 5 al. 2 wet van 2 augustus 2002".into(),
                text,
                inputs: vec![
                    input("principal", claim.principal),
                    input("due_date", claim.due_date),
                    input("first_reminder_sent", sent),
                    input("waiting_period_end", wait.end),
                    input("interest_from", interest_from),
                    input("as_of", as_of),
                    input("contractual_rate_percent", fmt_rate(rate)),
                    input("rate_table", table.name()),
                    input("payments", payments.len()),
                ],
                verified: false,
            };
            charges.extend(interest_charge(rule, &out, table, as_of, &mut withheld));
        }
        _ => withheld.push(Withheld {
            rule: INTEREST.into(),
            reason: "The contract does not stipulate interest: under art. XIX.4 WER interest may \
                     be claimed only if expressly stipulated, at most at the B2B rate."
                .into(),
        }),
    }
    Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld })
}

fn push_allocation_note(text: &mut String, out: &accrual::AccrualOutcome) {
    if out.allocation_mattered {
        text.push_str(
            " Payments were applied to the principal first, then interest, then costs. Not \
             verified: the notes give no Belgian allocation rule; this order never claims more \
             interest than another would.",
        );
    }
}

/// The contractual rate capped per half-year at the B2B rate.
fn capped_table(rate: Decimal, b2b: &RateTable) -> Result<RateTable, LegalError> {
    let rows = b2b
        .rows()
        .iter()
        .map(|row| RateRow {
            valid_from: row.valid_from,
            rate_percent: row.rate_percent.map(|cap| rate.min(cap)),
            source: format!(
                "min(contractual {}%, be_b2b {})",
                fmt_rate(rate),
                row.rate_percent.map(fmt_rate).unwrap_or_else(|| "?".into())
            ),
            verified: row.verified,
        })
        .collect();
    Ok(RateTable::from_rows(&format!("be_b2b capped at contractual {}%", fmt_rate(rate)), rows)?)
}

/// Payments only, no charges: the principal still open.
fn run_principal_only(
    claim: &Claim,
    as_of: Date,
    payments: &[(Date, Money)],
    rates: &RateTables,
) -> Result<accrual::AccrualOutcome, LegalError> {
    accrual::run(&Accrual {
        principal: claim.principal,
        interest_from: None,
        as_of,
        table: rates.get(RateKind::BeB2b),
        day_count: DayCount::Actual365,
        compounding: Compounding::Simple,
        allocation: Allocation::PrincipalInterestCosts,
        costs: None,
        payments,
    })
}

/// A flat amount (compensation or damages) as a charge, with the payments that reduced it.
pub(crate) fn flat_charge(
    rule: &str,
    article: &str,
    text: String,
    steps: Vec<String>,
    costs: &CostsOutcome,
    out: &accrual::AccrualOutcome,
) -> Charge {
    let mut arithmetic = steps;
    if costs.paid.is_positive() {
        arithmetic.extend(out.payment_steps.iter().cloned());
        arithmetic.push(format!("{} − paid {} = open {}", costs.amount, costs.paid, costs.open));
    }
    Charge {
        kind: ChargeKind::CollectionCosts,
        amount: costs.open,
        explanation: Explanation {
            rule: rule.to_owned(),
            article: article.to_owned(),
            text,
            inputs: vec![
                input("principal_open_when_due", costs.base),
                input("due_from", costs.due_from),
            ],
            periods: Vec::new(),
            arithmetic,
            verified: !(costs.paid.is_positive() && out.allocation_mattered),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_rounds_up_to_half_points() {
        let r = |bp: i64| b2b_rate_for_reference(Decimal::new(bp, 2));
        assert_eq!(r(0), Decimal::from(8));
        assert_eq!(r(5), Decimal::new(85, 1));
        assert_eq!(r(50), Decimal::new(85, 1));
        assert_eq!(r(51), Decimal::from(9));
        assert_eq!(r(215), Decimal::new(105, 1));
    }
}
