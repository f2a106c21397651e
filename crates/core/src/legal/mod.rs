//! Legal rules: what may lawfully be claimed on an overdue invoice on a given date, each amount
//! with the derivation that proves it.
//!
//! DESIGN ("Legal rules as data plus code"): the rules live in [`nl`], [`be`] and [`eu`]; the
//! dated rates live in data files ([`rates`]); every computed [`Charge`] carries an
//! [`Explanation`] (rule, article, inputs, rate periods, arithmetic) so that the staff UI, the
//! letter and the tests show the same derivation. The facts, their sources and how well each is
//! verified are in `../shared/notes/legal-and-formats.md` §1-3; every rule cites its article and
//! says where the notes mark something unverified [U] (then `Explanation::verified` is `false`).
//!
//! The one entry point of the dunning engine is [`charges_due`]. Money is `i64` minor units;
//! rates and intermediate amounts are [`Decimal`]; every amount is rounded half-up (away from
//! zero) to cents per computed period, as the notes prescribe.
//!
//! This is arithmetic over the notes, not legal advice: a rate or rule marked unverified must be
//! checked against the official source before it is relied on.

pub mod accrual;
pub mod be;
pub mod eu;
pub mod nl;
pub mod rates;

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::money::{AmountError, Currency, Money};
use crate::party::{DebtorKind, OrgCountry};
pub use accrual::DayCount;
pub use rates::{RateKind, RateTable, RateTableError, RateTables};

/// What a charge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Statutory, commercial or contractual interest for late payment.
    Interest,
    /// Extrajudicial collection costs (NL BIK), the flat compensation (BE/EU €40) or the flat
    /// damages of a Belgian consumer contract.
    CollectionCosts,
    /// A fee the creditor charged (for example a reminder fee), passed through as charged.
    Fee,
}

impl ChargeKind {
    /// The stable text form, the same as in JSON (`interest`, `collection_costs`, `fee`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            ChargeKind::Interest => "interest",
            ChargeKind::CollectionCosts => "collection_costs",
            ChargeKind::Fee => "fee",
        }
    }
}

/// An amount that may be claimed, with its derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub kind: ChargeKind,
    pub amount: Money,
    pub explanation: Explanation,
}

/// How an amount was derived: enough for a reader to recompute it by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Stable id of the rule, like `nl.bik` or `be.b2b.interest`.
    pub rule: String,
    /// The legal basis, like `art. 6:96 lid 2 sub c BW; Besluit BIK art. 2`.
    pub article: String,
    /// One human paragraph with the derivation and, when relevant, what is not verified.
    pub text: String,
    /// Named inputs (name, value).
    pub inputs: Vec<(String, String)>,
    /// Interest periods with their rate, base and amount (empty for flat amounts).
    pub periods: Vec<RatePeriod>,
    /// Each arithmetic step, like `15% × 2500.00 = 375.00`.
    pub arithmetic: Vec<String>,
    /// `false` when a rate or a rule used is marked unverified [U] in the notes.
    pub verified: bool,
}

/// One interest period: days `from..=to` at `rate` percent per year over `base`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatePeriod {
    pub from: Date,
    pub to: Date,
    pub days: i32,
    /// Percent per year.
    pub rate: Decimal,
    pub base: Money,
    pub amount: Money,
}

/// A charge that may not (yet) be claimed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    pub rule: String,
    pub reason: String,
}

/// An overdue invoice as the legal rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub invoice_number: String,
    /// The creditor's country: its law decides the charges.
    pub creditor: OrgCountry,
    pub debtor_kind: DebtorKind,
    /// The invoice amount including VAT (the "hoofdsom").
    pub principal: Money,
    pub issue_date: Date,
    pub due_date: Date,
    /// Payments received on this invoice, with their dates. A negative amount is a reversal.
    pub payments: Vec<(Date, Money)>,
    pub terms: ClaimTerms,
}

/// What the contract and the creditor's tax position allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimTerms {
    /// NL: `false` only when the creditor used a VAT-taxed collection service, cannot deduct
    /// that VAT and says so in the letter; then 21 % is added to the BIK (Besluit BIK art. 2 lid
    /// 3). A VAT-registered creditor sets `true`.
    pub vat_deductible: bool,
    /// BE consumers: the contract expressly stipulates flat damages at (at least) the maximum of
    /// art. XIX.4 WER, reciprocally (art. VI.83, 17° WER). A clause above the caps is void: then
    /// set `false`.
    pub be_b2c_damages_clause: bool,
    /// An agreed late-payment interest rate, percent per year (simple interest).
    pub contractual_interest_percent: Option<Decimal>,
    /// An agreed fee per reminder. Not charged here: the dunning engine charges it and reports it
    /// back in [`Notices::fees_charged`].
    pub contractual_fee: Option<Money>,
}

/// What was already sent and charged for the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notices {
    /// NL consumers: the day the compliant 14-day letter of art. 6:96 lid 6 BW was posted.
    pub nl_fourteen_day_letter_sent: Option<Date>,
    /// BE consumers: the day the free first reminder of art. XIX.2 WER was sent (as a paper
    /// letter; see [`be::ReminderChannel`]).
    pub be_first_reminder_sent: Option<Date>,
    /// Fees already charged on this invoice; passed through unchanged.
    pub fees_charged: Vec<Charge>,
}

/// What may be claimed on the invoice on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargesDue {
    /// Principal still open after the payments were allocated by the applicable rule.
    pub principal_open: Money,
    pub charges: Vec<Charge>,
    pub withheld: Vec<Withheld>,
    /// `principal_open` plus every charge.
    pub total_due: Money,
}

/// One element a letter or message must contain for a rule to apply, as data the message layer
/// can check a template against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RequiredContent {
    /// Stable id, like `bik_amount`.
    pub id: &'static str,
    pub description: &'static str,
    /// Article or source.
    pub source: &'static str,
    /// `false` when the notes mark the requirement unverified.
    pub verified: bool,
}

/// Why the rules could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegalError {
    #[error("the legal rules are implemented for EUR claims only, not {0}")]
    UnsupportedCurrency(Currency),
    #[error(transparent)]
    Amount(#[from] AmountError),
    #[error("arithmetic overflow while computing {0}")]
    Overflow(&'static str),
    #[error("{what}: {value} is more than the limit of {limit}")]
    Limit { what: &'static str, value: usize, limit: usize },
    #[error("a payment to allocate must not be negative: {0:?}")]
    NegativePayment(Money),
    #[error(transparent)]
    RateTable(#[from] RateTableError),
    #[error("invalid claim terms: {0}")]
    InvalidTerms(String),
}

/// Most payments considered on one claim.
pub const CLAIM_PAYMENTS_MAX: usize = 10_000;
/// Most fees passed through on one claim.
pub const CLAIM_FEES_MAX: usize = 1_000;

/// What may lawfully be claimed on `claim` on `as_of` if it were demanded that day: the principal
/// still open, interest accrued up to and including `as_of`, collection costs or the flat
/// compensation under the rule that applies (or a [`Withheld`] with the reason while a
/// precondition is unmet), and the fees already charged.
///
/// The rule follows the creditor's country and the debtor's kind:
///
/// | creditor | debtor | interest | costs | payments |
/// | --- | --- | --- | --- | --- |
/// | NL | business | 6:119a BW, compounded yearly | BIK scale, from the day after the due date | art. 6:44 BW |
/// | NL | consumer | 6:119 BW, compounded yearly | BIK scale after the 14-day letter's term | art. 6:44 BW |
/// | BE | business | law 2-8-2002 art. 5, simple | €40 (art. 6) | principal first [U] |
/// | BE | consumer | only if agreed, capped (XIX.4 WER) | damages cap, if agreed | principal first [U] |
///
/// Day count: actual days / 365, also in leap years ([`DayCount::Actual365`]); the notes call it
/// common practice but not fixed by law [U] for NL (§1.4), and use it in the BE example (§2.1).
/// The lower-level functions in [`nl`], [`be`] and [`eu`] take the other conventions.
///
/// Collection costs are computed per invoice. When several invoices are collected together, the
/// Dutch court practice computes the BIK scale over their total principal (§1.1 [S/U]): the
/// dunning engine should then call [`nl::bik`] on the total instead of adding these amounts.
///
/// For a Belgian consumer the first reminder is taken to have been sent on paper (the later start
/// of the waiting period) and agreed interest runs from the end of the waiting period, the
/// conservative reading of §2.3 [U]; [`be::b2c_charges`] takes the other choices.
///
/// Payments dated after `as_of` are ignored; a reversal (a negative payment) cancels the latest
/// earlier payments it can, as if they had not been made. Fees are passed through and are not
/// part of the payment allocation (their charge dates are not known here).
///
/// # Errors
/// [`LegalError`] for a claim not in EUR, mixed currencies, an overflow or too many payments. A
/// rate that is not known yet is not an error: the interest is computed up to the last known day
/// and the rest is reported as [`Withheld`].
///
/// # Examples
/// ```
/// use arflow_core::legal::{charges_due, Claim, ClaimTerms, Notices, RateTables};
/// use arflow_core::money::{Currency, Money};
/// use arflow_core::party::{DebtorKind, OrgCountry};
/// use jiff::civil::date;
///
/// let claim = Claim {
///     invoice_number: "2025-001".into(),
///     creditor: OrgCountry::Be,
///     debtor_kind: DebtorKind::Business,
///     principal: Money::from_minor(10_000_00, Currency::EUR),
///     issue_date: date(2025, 5, 1),
///     due_date: date(2025, 5, 31),
///     payments: vec![],
///     terms: ClaimTerms {
///         vat_deductible: true,
///         be_b2c_damages_clause: false,
///         contractual_interest_percent: None,
///         contractual_fee: None,
///     },
/// };
/// let rates = RateTables::builtin().unwrap();
/// let due = charges_due(&claim, &Notices::default(), date(2025, 8, 29), &rates).unwrap();
/// // legal-and-formats.md §2.1: interest 267.12 plus the flat €40.
/// assert_eq!(due.total_due.to_string(), "10307.12");
/// ```
pub fn charges_due(
    claim: &Claim,
    notices: &Notices,
    as_of: Date,
    rates: &RateTables,
) -> Result<ChargesDue, LegalError> {
    let outcome = match (claim.creditor, claim.debtor_kind) {
        (OrgCountry::Nl, _) => nl::charges(claim, notices, as_of, rates, DayCount::Actual365)?,
        (OrgCountry::Be, DebtorKind::Business) => {
            be::b2b_charges(claim, as_of, rates, DayCount::Actual365)?
        }
        (OrgCountry::Be, DebtorKind::Consumer) => be::b2c_charges(
            claim,
            notices,
            as_of,
            rates,
            be::ReminderChannel::Paper,
            be::B2cInterestStart::AfterWaitingPeriod,
        )?,
    };
    outcome.with_fees(&notices.fees_charged)
}

/// The result of one rule module before the fees are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    pub principal_open: Money,
    pub charges: Vec<Charge>,
    pub withheld: Vec<Withheld>,
}

impl RuleOutcome {
    /// Adds the fees already charged and the total.
    ///
    /// # Errors
    /// [`LegalError::Amount`] for a fee in another currency or an overflow.
    pub fn with_fees(self, fees: &[Charge]) -> Result<ChargesDue, LegalError> {
        let mut charges = self.charges;
        charges.extend(fees.iter().cloned());
        let total_due =
            charges.iter().try_fold(self.principal_open, |acc, c| acc.checked_add(c.amount))?;
        Ok(ChargesDue {
            principal_open: self.principal_open,
            charges,
            withheld: self.withheld,
            total_due,
        })
    }
}

pub(crate) fn check_claim(claim: &Claim, notices: &Notices) -> Result<(), LegalError> {
    let currency = claim.principal.currency();
    if currency != Currency::EUR {
        return Err(LegalError::UnsupportedCurrency(currency));
    }
    if claim.payments.len() > CLAIM_PAYMENTS_MAX {
        return Err(LegalError::Limit {
            what: "payments on one claim",
            value: claim.payments.len(),
            limit: CLAIM_PAYMENTS_MAX,
        });
    }
    if notices.fees_charged.len() > CLAIM_FEES_MAX {
        return Err(LegalError::Limit {
            what: "fees on one claim",
            value: notices.fees_charged.len(),
            limit: CLAIM_FEES_MAX,
        });
    }
    if let Some(rate) = claim.terms.contractual_interest_percent
        && (rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED)
    {
        return Err(LegalError::InvalidTerms(format!(
            "contractual interest of {rate} % per year is outside 0-100 %"
        )));
    }
    for (_, amount) in &claim.payments {
        claim.principal.checked_add(Money::zero(amount.currency()))?;
    }
    for fee in &notices.fees_charged {
        claim.principal.checked_add(Money::zero(fee.amount.currency()))?;
    }
    Ok(())
}

/// The payments dated on or before `as_of`, in date order (stable for equal dates), with
/// reversals netted: a negative payment cancels the latest earlier payments it can (a reversed
/// payment never discharged the debt, so interest and costs run as if it had not been made); what
/// it cannot cancel stays as a negative payment that re-opens principal on its date.
pub(crate) fn payments_until(claim: &Claim, as_of: Date) -> Result<Vec<(Date, Money)>, LegalError> {
    let mut sorted: Vec<(Date, Money)> =
        claim.payments.iter().copied().filter(|(d, _)| *d <= as_of).collect();
    sorted.sort_by_key(|(d, _)| *d);
    let mut payments: Vec<(Date, Money)> = Vec::with_capacity(sorted.len());
    for (date, amount) in sorted {
        if !amount.is_negative() {
            payments.push((date, amount));
            continue;
        }
        let mut left = amount.neg()?;
        for (_, earlier) in payments.iter_mut().rev() {
            if !left.is_positive() {
                break;
            }
            if earlier.is_positive() {
                let take = accrual::min_money(left, *earlier);
                *earlier = earlier.checked_sub(take)?;
                left = left.checked_sub(take)?;
            }
        }
        payments.retain(|(_, m)| !m.is_zero());
        if left.is_positive() {
            payments.push((date, left.neg()?));
        }
    }
    Ok(payments)
}

/// How an interest rule describes itself in its [`Explanation`].
pub(crate) struct InterestRule {
    pub rule: &'static str,
    pub article: String,
    pub text: String,
    pub inputs: Vec<(String, String)>,
    /// `false` when the rule itself (not only a rate) rests on something unverified.
    pub verified: bool,
}

/// The interest still open after an accrual as a [`Charge`] (none when nothing is open), and a
/// [`Withheld`] when the table had no known rate for part of the time.
pub(crate) fn interest_charge(
    rule: InterestRule,
    out: &accrual::AccrualOutcome,
    table: &RateTable,
    as_of: Date,
    withheld: &mut Vec<Withheld>,
) -> Option<Charge> {
    if let Some(from) = out.rate_unknown_from {
        withheld.push(Withheld {
            rule: rule.rule.to_owned(),
            reason: format!(
                "Interest from {from} up to and including {as_of} is not computed: rate table {} \
                 has no known rate from {from}. Add the published rate to \
                 crates/core/data/rates/{}.txt (or its override) and compute again.",
                table.name(),
                table.name()
            ),
        });
    }
    if !out.interest_open.is_positive() {
        return None;
    }
    let mut arithmetic = out.interest_steps.clone();
    arithmetic.push(format!(
        "interest accrued {} − paid {} = open {}",
        out.interest_accrued, out.interest_paid, out.interest_open
    ));
    Some(Charge {
        kind: ChargeKind::Interest,
        amount: out.interest_open,
        explanation: Explanation {
            rule: rule.rule.to_owned(),
            article: rule.article,
            text: rule.text,
            inputs: rule.inputs,
            periods: out.periods.clone(),
            arithmetic,
            verified: rule.verified && out.rates_verified,
        },
    })
}

/// A [`Withheld`] for a claim whose due date has not passed.
pub(crate) fn not_overdue(rule: &str, due_date: Date, as_of: Date) -> Withheld {
    Withheld {
        rule: rule.to_owned(),
        reason: format!("Not overdue on {as_of}: the due date {due_date} has not passed."),
    }
}

/// A one-row table with an agreed rate from `from` on.
pub(crate) fn contractual_table(rate: Decimal, from: Date) -> Result<RateTable, LegalError> {
    Ok(RateTable::from_rows(
        "contractual",
        vec![rates::RateRow {
            valid_from: from,
            rate_percent: Some(rate),
            source: "the contract (ClaimTerms::contractual_interest_percent)".to_owned(),
            verified: true,
        }],
    )?)
}

/// Half-up rounding to cents, as the notes prescribe for every computed period.
pub(crate) const HALF_UP: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// Rounds a decimal amount half-up to the currency's minor unit.
pub(crate) fn round_half_up(value: Decimal, currency: Currency) -> Result<Money, LegalError> {
    Ok(Money::from_decimal(value, currency, HALF_UP)?)
}

/// A euro amount from cents (for constants of the rules).
pub(crate) const fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

/// `12.5` → `12.50`: rates with at least two decimals.
pub(crate) fn fmt_rate(rate: Decimal) -> String {
    let mut r = rate.normalize();
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

/// `0.15` → `15`: a scale percentage as written in the law.
pub(crate) fn fmt_pct(pct: Decimal) -> String {
    pct.normalize().to_string()
}

/// An exact intermediate amount: at least two decimals, at most six, `…` when cut.
pub(crate) fn fmt_exact(value: Decimal) -> String {
    let mut v = value.normalize();
    let cut = v.trunc_with_scale(6);
    if cut != v {
        return format!("{cut}…");
    }
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

/// Builds an input pair.
pub(crate) fn input(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_amounts_print_for_a_reader() {
        assert_eq!(fmt_exact(Decimal::new(3750000, 4)), "375.00");
        assert_eq!(fmt_exact(Decimal::new(400005, 4)), "40.0005");
        assert_eq!(fmt_exact(Decimal::from(13_375_000) / Decimal::from(36_500)), "366.438356…");
        assert_eq!(fmt_rate(Decimal::new(125, 1)), "12.50");
        assert_eq!(fmt_rate(Decimal::new(1015, 2)), "10.15");
        assert_eq!(fmt_pct(Decimal::new(1500, 2)), "15");
    }

    #[test]
    fn charge_kinds_serialize_in_snake_case() {
        let text = serde_json::to_string(&[
            ChargeKind::Interest,
            ChargeKind::CollectionCosts,
            ChargeKind::Fee,
        ])
        .unwrap();
        assert_eq!(text, r#"["interest","collection_costs","fee"]"#);
        for kind in [ChargeKind::Interest, ChargeKind::CollectionCosts, ChargeKind::Fee] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
