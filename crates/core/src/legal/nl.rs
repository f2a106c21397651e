//! Dutch rules: extrajudicial collection costs (BIK), the consumer's 14-day letter, statutory and
//! commercial interest with yearly compounding, and the allocation of payments of art. 6:44 BW.
//!
//! Sources: `../shared/notes/legal-and-formats.md` §1.1-1.5.
//! - BIK: art. 6:96 lid 2 sub c, lid 4-6 BW; Besluit vergoeding voor buitengerechtelijke
//!   incassokosten of 27 March 2012 (Stb. 2012, 141), art. 2, in force 1 July 2012 [V].
//! - 14-day letter: art. 6:96 lid 6 BW [V]; HR 13-06-2014 (ECLI:NL:HR:2014:1405) and HR
//!   25-11-2016 Fa-Med (ECLI:NL:HR:2016:2704) [S]; the term's end by the Algemene termijnenwet.
//! - Interest: art. 6:119 (non-commercial) and 6:119a (commercial) BW, compounding per lid 2 and
//!   lid 3 [V]; rates from the data tables `nl_statutory` and `nl_commercial`.
//! - Payments: art. 6:44 BW, costs → interest → principal; BIK counts as costs (HR 10-07-2015,
//!   ECLI:NL:HR:2015:1868) [V/S].
//!
//! Not implemented (open in the notes): the Wki cumulation rule for periodic consumer claims from
//! 1 October 2024 (§1.1 [S/U]: read BIK art. 2 as amended first); the computation over the total
//! principal of several invoices collected together is left to the caller (call [`bik`] on the
//! total, §1.1 [S/U]).

use jiff::civil::{Date, Weekday};
use rust_decimal::Decimal;

use super::accrual::{self, Accrual, Allocation, Compounding, CostRule, DayCount};
use super::rates::{RateKind, RateTables};
use super::{
    Charge, ChargeKind, Claim, Explanation, LegalError, Notices, RequiredContent, RuleOutcome,
    Withheld, contractual_table, eur, fmt_exact, fmt_pct, input, interest_charge, not_overdue,
    payments_until, round_half_up,
};
use crate::calendar::{Region, holiday, nl_term_end};
use crate::date::add_days;
use crate::money::{AmountError, Currency, Money};
use crate::party::DebtorKind;

/// Minimum BIK, art. 2 lid 2 Besluit BIK.
pub const BIK_MIN: Money = eur(40_00);
/// Maximum BIK: the scale's value at a principal of €1,000,000 (notes §1.1).
pub const BIK_MAX: Money = eur(6_775_00);
/// The general VAT rate of art. 9 lid 1 Wet OB, "currently 21 %" (notes §1.1); added to the BIK
/// only under art. 2 lid 3 Besluit BIK.
pub const VAT_GENERAL_PERCENT: i64 = 21;

/// The scale of art. 2 lid 1 Besluit BIK: (upper bound of the tranche in cents or `None` for the
/// last one, rate in hundredths of a percent).
const BIK_SCALE: [(Option<i64>, i64); 5] = [
    (Some(2_500_00), 15_00),
    (Some(5_000_00), 10_00),
    (Some(10_000_00), 5_00),
    (Some(200_000_00), 1_00),
    (None, 50),
];

/// The BIK of art. 2 Besluit BIK on `principal` (the hoofdsom, interest not added), with the VAT
/// uplift of art. 2 lid 3 when the creditor cannot deduct VAT.
///
/// Scale (art. 2 lid 1): 15 % of the first €2,500, 10 % of the next €2,500, 5 % of the next
/// €5,000, 1 % of the next €190,000, 0.5 % above €200,000; then at least €40 (lid 2) and at most
/// €6,775; rounded half-up to cents. A principal of zero or less gives zero.
///
/// This is the amount a 14-day letter must state; when several invoices are collected together,
/// call it on their total principal (court practice, notes §1.1 [S/U]).
///
/// # Errors
/// [`LegalError::UnsupportedCurrency`] for a principal not in EUR; an overflow.
///
/// # Examples
/// ```
/// use arflow_core::legal::nl::bik;
/// use arflow_core::money::{Currency, Money};
/// let c = bik(Money::from_minor(3_000_00, Currency::EUR), true).unwrap();
/// assert_eq!(c.amount.to_string(), "425.00");
/// assert!(c.explanation.arithmetic.contains(&"10% × 500.00 = 50.00".to_owned()));
/// ```
pub fn bik(principal: Money, vat_deductible: bool) -> Result<Charge, LegalError> {
    let (amount, arithmetic) = bik_steps(principal, vat_deductible)?;
    Ok(Charge {
        kind: ChargeKind::CollectionCosts,
        amount,
        explanation: Explanation {
            rule: "nl.bik".into(),
            article: bik_article(None, vat_deductible),
            text: format!(
                "Extrajudicial collection costs on a principal of {principal} by the scale of the \
                 Besluit BIK over the principal only: {} {}",
                SCALE_SENTENCE,
                vat_sentence(vat_deductible)
            ),
            inputs: vec![input("principal", principal), input("vat_deductible", vat_deductible)],
            periods: Vec::new(),
            arithmetic,
            verified: true,
        },
    })
}

const SCALE_SENTENCE: &str = "15 % of the first €2,500, 10 % of the next €2,500, 5 % of the next \
     €5,000, 1 % of the next €190,000 and 0.5 % above €200,000 (art. 2 lid 1), at least €40 (art. \
     2 lid 2) and at most €6,775, rounded half-up to cents.";

fn vat_sentence(vat_deductible: bool) -> &'static str {
    if vat_deductible {
        "No VAT is added: the BIK is damages, and a creditor that can deduct VAT must not add it."
    } else {
        "21 % VAT is added because the creditor used a VAT-taxed collection service and cannot \
         deduct that VAT (art. 2 lid 3 Besluit BIK); the creditor must say so expressly, for a \
         consumer in the 14-day letter."
    }
}

fn bik_article(kind: Option<DebtorKind>, vat_deductible: bool) -> String {
    let law = match kind {
        Some(DebtorKind::Consumer) => "art. 6:96 lid 2 sub c en lid 6 BW",
        Some(DebtorKind::Business) => "art. 6:96 lid 2 sub c en lid 4 BW",
        None => "art. 6:96 lid 2 sub c BW",
    };
    let vat = if vat_deductible { "" } else { " en lid 3" };
    format!(
        "{law}; Besluit vergoeding voor buitengerechtelijke incassokosten (Stb. 2012, 141) art. 2 \
         lid 1-2{vat}"
    )
}

/// The BIK amount and its arithmetic steps.
fn bik_steps(principal: Money, vat_deductible: bool) -> Result<(Money, Vec<String>), LegalError> {
    let currency = principal.currency();
    if currency != Currency::EUR {
        return Err(LegalError::UnsupportedCurrency(currency));
    }
    let mut steps = Vec::new();
    if !principal.is_positive() {
        steps.push(format!("principal open {principal}: no collection costs"));
        return Ok((Money::zero(currency), steps));
    }
    let p = principal.to_decimal();
    let mut lower = Decimal::ZERO;
    let mut sum = Decimal::ZERO;
    for (upper_minor, pct_hundredths) in BIK_SCALE {
        if p <= lower {
            break;
        }
        let upper = upper_minor.map(|m| Decimal::new(m, 2));
        let top = match upper {
            Some(u) if u < p => u,
            _ => p,
        };
        let portion = top - lower;
        let pct = Decimal::new(pct_hundredths, 2);
        let part = portion
            .checked_mul(pct)
            .map(|v| v / Decimal::ONE_HUNDRED)
            .ok_or(LegalError::Overflow("BIK"))?;
        steps.push(format!("{}% × {} = {}", fmt_pct(pct), fmt_exact(portion), fmt_exact(part)));
        sum += part;
        match upper {
            Some(u) => lower = u,
            None => break,
        }
    }
    steps.push(format!("scale sum = {}", fmt_exact(sum)));
    let (min, max) = (BIK_MIN.to_decimal(), BIK_MAX.to_decimal());
    let bounded = if sum < min {
        steps.push(format!("below the minimum: {BIK_MIN} (art. 2 lid 2 Besluit BIK)"));
        min
    } else if sum > max {
        steps.push(format!("above the maximum: {BIK_MAX}"));
        max
    } else {
        sum
    };
    let amount = round_half_up(bounded, currency)?;
    if amount.to_decimal() != bounded {
        steps.push(format!("{} rounded half-up to cents = {amount}", fmt_exact(bounded)));
    }
    if vat_deductible {
        return Ok((amount, steps));
    }
    let vat_exact = amount
        .to_decimal()
        .checked_mul(Decimal::from(VAT_GENERAL_PERCENT))
        .map(|v| v / Decimal::ONE_HUNDRED)
        .ok_or(LegalError::Overflow("BIK VAT"))?;
    let vat = round_half_up(vat_exact, currency)?;
    let total = amount.checked_add(vat)?;
    steps.push(format!(
        "VAT {VAT_GENERAL_PERCENT}% × {amount} = {} → {vat} (art. 2 lid 3 Besluit BIK)",
        fmt_exact(vat_exact)
    ));
    steps.push(format!("{amount} + {vat} = {total}"));
    Ok((total, steps))
}

/// The day a letter posted on `sent` is presumed to arrive: the 2nd day after posting, not
/// counting Sundays, Mondays and (NL) official holidays in between.
///
/// Source: HR 25-11-2016, Fa-Med (ECLI:NL:HR:2016:2704), as summarised in notes §1.2 [S]: in
/// default judgments a court may presume delivery on that day. The creditor bears the proof of
/// the sending date and address if receipt is disputed.
///
/// # Examples
/// ```
/// use arflow_core::legal::nl::presumed_receipt;
/// use jiff::civil::date;
/// // Posted Friday 14 February 2025: Saturday counts, Sunday and Monday do not → Tuesday.
/// assert_eq!(presumed_receipt(date(2025, 2, 14)), date(2025, 2, 18));
/// ```
pub fn presumed_receipt(sent: Date) -> Date {
    let mut day = sent;
    let mut counted = 0;
    for _ in 0..31 {
        day = add_days(day, 1);
        let skipped = matches!(day.weekday(), Weekday::Sunday | Weekday::Monday)
            || holiday(Region::Nl, day).is_some();
        if !skipped {
            counted += 1;
            if counted == 2 {
                break;
            }
        }
    }
    day
}

/// The dates of a consumer's 14-day letter (art. 6:96 lid 6 BW).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FourteenDayTerm {
    /// The day the letter was posted.
    pub sent: Date,
    /// See [`presumed_receipt`].
    pub presumed_receipt: Date,
    /// The 14th day after the presumed receipt: the term runs from the day after receipt (HR
    /// 25-11-2016) for 14 days.
    pub last_day_unextended: Date,
    /// `last_day_unextended`, extended past Saturdays, Sundays and recognised holidays
    /// (Algemene termijnenwet art. 1 lid 1).
    pub last_day: Date,
    /// The first day collection costs may be due if the principal is still unpaid.
    pub charges_from: Date,
}

/// The term of a 14-day letter posted on `sent`: presumed receipt, last day and the first day
/// collection costs may be due.
///
/// Reading: "14 days, starting the day after the consumer receives the letter" (HR 25-11-2016):
/// the term is receipt + 1 ..= receipt + 14, and `deadline = assumed_delivery + 14 days` as the
/// notes put it (§1.2); a last day on a Saturday, Sunday or recognised holiday is extended to the
/// next day that is none of these (Algemene termijnenwet art. 1 lid 1; the 14-day term is set by
/// a law in the formal sense).
///
/// # Examples
/// ```
/// use arflow_core::legal::nl::fourteen_day_term;
/// use jiff::civil::date;
/// let t = fourteen_day_term(date(2025, 12, 9)); // received Thursday 11 December
/// assert_eq!(t.last_day_unextended, date(2025, 12, 25)); // Christmas Day
/// assert_eq!(t.last_day, date(2025, 12, 29)); // past both Christmas days and the weekend
/// ```
pub fn fourteen_day_term(sent: Date) -> FourteenDayTerm {
    let presumed_receipt = presumed_receipt(sent);
    let last_day_unextended = add_days(presumed_receipt, 14);
    let last_day = nl_term_end(last_day_unextended);
    FourteenDayTerm {
        sent,
        presumed_receipt,
        last_day_unextended,
        last_day,
        charges_from: add_days(last_day, 1),
    }
}

/// What a consumer's 14-day letter must contain for collection costs to become due (art. 6:96
/// lid 6 BW; HR 25-11-2016; Besluit BIK art. 2 lid 3), for the message layer to check.
pub const FOURTEEN_DAY_LETTER_CONTENT: &[RequiredContent] = &[
    RequiredContent {
        id: "consequences_with_bik_amount",
        description: "the consequences of not paying, including the exact amount of collection \
                      costs that will be claimed (compute it with legal::nl::bik)",
        source: "art. 6:96 lid 6 BW",
        verified: true,
    },
    RequiredContent {
        id: "term_from_receipt",
        description: "a term of at least 14 days counted from the day after receipt, worded as in \
                      SAFE_TERM_WORDINGS; a wrong or confusing term means no collection costs at all",
        source: "art. 6:96 lid 6 BW; HR 25-11-2016, ECLI:NL:HR:2016:2704",
        verified: true,
    },
    RequiredContent {
        id: "sent_after_default",
        description: "the letter is sent after the debtor is in default (after the due date when \
                      that is a fatal term, otherwise after a notice of default)",
        source: "art. 6:96 lid 6 BW; art. 6:81-6:83 BW",
        verified: true,
    },
    RequiredContent {
        id: "vat_statement",
        description: "only when VAT is added to the collection costs: the statement that the \
                      creditor cannot deduct the VAT and raised the costs for that reason",
        source: "art. 2 lid 3 Besluit BIK",
        verified: true,
    },
];

/// Wordings of the term that the case law accepts (notes §1.2).
pub const SAFE_TERM_WORDINGS: &[&str] = &[
    "binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd",
    "binnen vijftien dagen nadat deze brief bij u is bezorgd",
];

/// Wordings that make the term wrong: no collection costs at all (HR 25-11-2016).
pub const WRONG_TERM_WORDINGS: &[&str] = &["na dagtekening", "na heden", "na verzending"];

/// Allocates a payment within one debt by art. 6:44 BW: first the costs (BIK included, HR
/// 10-07-2015, ECLI:NL:HR:2015:1868), then the interest, then the principal. Returns
/// `(to_costs, to_interest, to_principal)`; they always add up to `payment`: what exceeds the
/// costs and the interest goes to the principal, also beyond it (an overpayment, leaving a
/// negative principal the creditor owes back). Negative owed amounts count as zero.
///
/// # Errors
/// [`LegalError::NegativePayment`] for a negative payment (a reversal is not allocated);
/// [`LegalError::Amount`] when the currencies differ.
///
/// # Examples
/// ```
/// use arflow_core::legal::nl::allocate_payment_6_44;
/// use arflow_core::money::{Currency, Money};
/// let eur = |c| Money::from_minor(c, Currency::EUR);
/// let (c, i, p) = allocate_payment_6_44(eur(40_00), eur(12_50), eur(1_000_00), eur(100_00)).unwrap();
/// assert_eq!((c, i, p), (eur(40_00), eur(12_50), eur(47_50)));
/// ```
pub fn allocate_payment_6_44(
    costs: Money,
    interest: Money,
    principal: Money,
    payment: Money,
) -> Result<(Money, Money, Money), LegalError> {
    let currency = payment.currency();
    for owed in [costs, interest, principal] {
        if owed.currency() != currency {
            return Err(AmountError::CurrencyMismatch(currency, owed.currency()).into());
        }
    }
    if payment.is_negative() {
        return Err(LegalError::NegativePayment(payment));
    }
    let to_costs = accrual::min_money(payment, accrual::positive_part(costs));
    let rest = payment.checked_sub(to_costs)?;
    let to_interest = accrual::min_money(rest, accrual::positive_part(interest));
    let to_principal = rest.checked_sub(to_interest)?;
    Ok((to_costs, to_interest, to_principal))
}

/// The wettelijke handelsrente for a reference (ECB MRO) rate: reference + 8 points from 16 March
/// 2013, + 7 before; not rounded in NL (art. 6:119a BW, notes §1.4). The table is the authority;
/// this formula checks it.
pub fn commercial_rate_for_reference(reference_percent: Decimal, on: Date) -> Decimal {
    let directive_2011 = Date::new(2013, 3, 16).map(|d| on >= d).unwrap_or(true);
    reference_percent + Decimal::from(if directive_2011 { 8 } else { 7 })
}

/// The Dutch charges on one claim (see [`super::charges_due`] for the overview).
///
/// Interest runs from the day after the due date: for a consumer that assumes the agreed payment
/// date is a fatal term (art. 6:83 sub a BW), which the notes call the usual case (§1.2);
/// otherwise default, and interest, start only after a notice of default.
///
/// # Errors
/// [`LegalError`] as for [`super::charges_due`].
pub fn charges(
    claim: &Claim,
    notices: &Notices,
    as_of: Date,
    rates: &RateTables,
    day_count: DayCount,
) -> Result<RuleOutcome, LegalError> {
    super::check_claim(claim, notices)?;
    let payments = payments_until(claim, as_of)?;
    let interest_from = add_days(claim.due_date, 1);
    let overdue = as_of >= interest_from;
    let consumer = claim.debtor_kind == DebtorKind::Consumer;

    let contractual;
    let (table, compounding, interest_rule) = match claim.terms.contractual_interest_percent {
        Some(rate) => {
            contractual = contractual_table(rate, interest_from)?;
            (&contractual, Compounding::Simple, "nl.interest.contractual")
        }
        None if consumer => (
            rates.get(RateKind::NlStatutory),
            Compounding::YearlyFromStart,
            "nl.interest.statutory",
        ),
        None => (
            rates.get(RateKind::NlCommercial),
            Compounding::YearlyFromStart,
            "nl.interest.commercial",
        ),
    };

    let vat_deductible = claim.terms.vat_deductible;
    let bik_amount = move |principal: Money| bik_steps(principal, vat_deductible).map(|(m, _)| m);
    let term = notices.nl_fourteen_day_letter_sent.map(fourteen_day_term);
    let letter_valid = term.filter(|t| t.sent > claim.due_date);
    let costs_from =
        if consumer { letter_valid.map(|t| t.charges_from) } else { Some(interest_from) };

    let plan = Accrual {
        principal: claim.principal,
        interest_from: Some(interest_from),
        as_of,
        table,
        day_count,
        compounding,
        allocation: Allocation::CostsInterestPrincipal,
        costs: costs_from.map(|due_from| CostRule { due_from, amount_for: &bik_amount }),
        payments: &payments,
    };
    let out = accrual::run(&plan)?;

    let mut charges = Vec::new();
    let mut withheld = Vec::new();
    if !overdue {
        withheld.push(not_overdue(interest_rule, claim.due_date, as_of));
        withheld.push(not_overdue("nl.bik", claim.due_date, as_of));
        return Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld });
    }

    let interest = super::InterestRule {
        rule: interest_rule,
        article: interest_article(interest_rule),
        text: interest_text(claim, interest_rule, as_of, day_count, &out),
        inputs: vec![
            input("principal", claim.principal),
            input("due_date", claim.due_date),
            input("interest_from", interest_from),
            input("as_of", as_of),
            input("rate_table", table.name()),
            input("day_count", day_count.describe()),
            input("payments", payments.len()),
        ],
        // The day count is not fixed by law (notes §1.4 [U]); see interest_text.
        verified: false,
    };
    charges.extend(interest_charge(interest, &out, table, as_of, &mut withheld));

    match (&out.costs, consumer) {
        (Some(costs), _) if !costs.base.is_positive() => {
            if consumer {
                let last_day = letter_valid.map(|t| t.last_day).unwrap_or(costs.due_from);
                withheld.push(Withheld {
                    rule: "nl.bik".into(),
                    reason: format!(
                        "The principal was paid by the end of the 14-day term ({last_day}): \
                         no collection costs are due (art. 6:96 lid 6 BW)."
                    ),
                });
            }
        }
        (Some(costs), _) => {
            if let Some(charge) = bik_charge(claim, costs, letter_valid, &out)? {
                charges.push(charge);
            }
        }
        (None, true) => withheld.push(consumer_bik_withheld(claim, term, out.principal_open)?),
        (None, false) => {}
    }
    Ok(RuleOutcome { principal_open: out.principal_open, charges, withheld })
}

fn interest_article(rule: &str) -> String {
    match rule {
        "nl.interest.statutory" => {
            "art. 6:119 lid 1-2 BW; rate set by AMvB under art. 6:120 lid 1 BW; art. 6:44 BW".into()
        }
        "nl.interest.commercial" => "art. 6:119a lid 1 en 3 BW; art. 6:44 BW".into(),
        _ => "the contract; art. 6:44 BW".into(),
    }
}

fn interest_text(
    claim: &Claim,
    rule: &str,
    as_of: Date,
    day_count: DayCount,
    out: &accrual::AccrualOutcome,
) -> String {
    let from = add_days(claim.due_date, 1);
    let mut text = match rule {
        "nl.interest.statutory" => format!(
            "Statutory interest (art. 6:119 BW) over the period of default, from the day after the \
             due date {} (the agreed payment date taken as a fatal term, art. 6:83 sub a BW), \
             that is from {from}, up to and including {as_of}, at the rate of each period in \
             table nl_statutory. After each full year counted from {from} the unpaid interest of \
             that year is added to the base (art. 6:119 lid 2 BW).",
            claim.due_date
        ),
        "nl.interest.commercial" => format!(
            "Statutory commercial interest (art. 6:119a BW), due without notice from the day \
             after the due date {}, that is from {from}, up to and including {as_of}, at the rate \
             of each half-year in table nl_commercial (ECB MRO rate + 8 points, not rounded). \
             After each full year counted from {from} the unpaid interest of that year is added \
             to the base (art. 6:119a lid 3 BW).",
            claim.due_date
        ),
        _ => format!(
            "Contractual interest at the agreed rate, from {from} up to and including {as_of}, \
             simple: contractual interest compounds only if the contract says so (notes §1.4)."
        ),
    };
    text.push_str(&format!(
        " Day count: {}; each period is rounded half-up to cents. Payments go to costs, then \
         interest, then principal (art. 6:44 BW). Not verified: the law does not fix the day \
         count; actual/365 is common practice (notes §1.4 [U]).",
        day_count.describe()
    ));
    if rule == "nl.interest.contractual" {
        text.push_str(
            " Not verified: the notes do not say how an agreed rate relates to the statutory \
             rate; the agreed rate is claimed, as simple interest.",
        );
    }
    if out.allocation_mattered && out.capitalised {
        text.push_str(
            " Not verified (our reading): only the unpaid interest of a year is added to the base, \
             and a payment settles capitalised interest before the interest of the running year.",
        );
    }
    text
}

fn bik_charge(
    claim: &Claim,
    costs: &accrual::CostsOutcome,
    letter: Option<FourteenDayTerm>,
    out: &accrual::AccrualOutcome,
) -> Result<Option<Charge>, LegalError> {
    if !costs.open.is_positive() {
        return Ok(None);
    }
    let vat_deductible = claim.terms.vat_deductible;
    let (_, mut arithmetic) = bik_steps(costs.base, vat_deductible)?;
    let mut inputs = vec![
        input("principal", claim.principal),
        input("due_date", claim.due_date),
        input("principal_open_when_due", costs.base),
        input("due_from", costs.due_from),
        input("vat_deductible", vat_deductible),
    ];
    let when = match (claim.debtor_kind, letter) {
        (DebtorKind::Consumer, Some(t)) => {
            inputs.push(input("letter_sent", t.sent));
            inputs.push(input("presumed_receipt", t.presumed_receipt));
            inputs.push(input("term_last_day", t.last_day));
            format!(
                "The 14-day letter was posted on {}, presumed received on {} (the 2nd day after \
                 posting not counting Sundays, Mondays and holidays, HR 25-11-2016); the term of 14 \
                 days from the day after receipt ended on {}{}, and the principal still unpaid then \
                 ({}) is the base (HR 25-11-2016: computed on the part still unpaid).",
                t.sent,
                t.presumed_receipt,
                t.last_day,
                if t.last_day == t.last_day_unextended {
                    String::new()
                } else {
                    format!(
                        " (extended from {} under the Algemene termijnenwet)",
                        t.last_day_unextended
                    )
                },
                costs.base
            )
        }
        _ => format!(
            "Due without a reminder from {}, the day after the due date: in a commercial \
             transaction the compensation is at least €40 (art. 6:96 lid 4 BW), and the Besluit BIK \
             is default law between businesses, so its scale applies unless the contract says \
             otherwise (notes §1.3). Base: the principal open then ({}).",
            costs.due_from, costs.base
        ),
    };
    let paid = costs.paid.is_positive();
    if paid {
        arithmetic.extend(out.payment_steps.iter().cloned());
        arithmetic.push(format!(
            "collection costs {} − paid {} = open {}",
            costs.amount, costs.paid, costs.open
        ));
    }
    let text = format!(
        "Extrajudicial collection costs by the scale of the Besluit BIK over the principal only \
         (interest is not added): {SCALE_SENTENCE} {when} {}{}",
        vat_sentence(vat_deductible),
        if paid { " Payments went to these costs first (art. 6:44 BW)." } else { "" }
    );
    let mut article = bik_article(Some(claim.debtor_kind), vat_deductible);
    if paid {
        article.push_str("; art. 6:44 BW");
    }
    Ok(Some(Charge {
        kind: ChargeKind::CollectionCosts,
        amount: costs.open,
        explanation: Explanation {
            rule: "nl.bik".into(),
            article,
            text,
            inputs,
            periods: Vec::new(),
            arithmetic,
            verified: true,
        },
    }))
}

/// Why a consumer's collection costs are not (yet) due, with the amount a letter would state.
fn consumer_bik_withheld(
    claim: &Claim,
    term: Option<FourteenDayTerm>,
    principal_open: Money,
) -> Result<Withheld, LegalError> {
    let (amount, _) = bik_steps(principal_open, claim.terms.vat_deductible)?;
    let reason = match term {
        None => format!(
            "No 14-day letter has been sent. From a consumer, collection costs become due only \
             after a written reminder, sent after default, that states the exact amount \
             ({amount} on the principal open of {principal_open}) and gives 14 days from the day \
             after receipt to pay (art. 6:96 lid 6 BW)."
        ),
        Some(t) if t.sent <= claim.due_date => format!(
            "The 14-day letter of {} was sent on or before the due date {}, before the debtor was \
             in default; art. 6:96 lid 6 BW requires it after default. Send a new letter.",
            t.sent, claim.due_date
        ),
        Some(t) => format!(
            "The 14-day term of the letter posted on {} runs until {} (presumed receipt {}; 14 days \
             from the day after; a last day on a weekend or holiday extended under the Algemene \
             termijnenwet). If the principal is not paid by then, collection costs of {amount} \
             (on the principal open now, {principal_open}) are due from {} (art. 6:96 lid 6 BW).",
            t.sent, t.last_day, t.presumed_receipt, t.charges_from
        ),
    };
    Ok(Withheld { rule: "nl.bik".into(), reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_scale_adds_tranches() {
        let (m, steps) = bik_steps(eur(25_000_00), true).unwrap();
        assert_eq!(m, eur(1_025_00));
        assert_eq!(
            steps,
            vec![
                "15% × 2500.00 = 375.00",
                "10% × 2500.00 = 250.00",
                "5% × 5000.00 = 250.00",
                "1% × 15000.00 = 150.00",
                "scale sum = 1025.00",
            ]
        );
    }

    #[test]
    fn presumed_receipt_skips_sundays_mondays_and_holidays() {
        // Thursday → Friday (1), Saturday (2).
        assert_eq!(presumed_receipt(date(2025, 3, 6)), date(2025, 3, 8));
        // Thursday 17 April 2025: Goede Vrijdag and Easter Sunday/Monday skipped → Sat 19, Tue 22.
        assert_eq!(presumed_receipt(date(2025, 4, 17)), date(2025, 4, 22));
    }

    #[test]
    fn allocation_rejects_negative_payments_and_mixed_currencies() {
        assert!(matches!(
            allocate_payment_6_44(eur(0), eur(0), eur(0), eur(-1)),
            Err(LegalError::NegativePayment(_))
        ));
        let usd = Money::from_minor(1, Currency::parse("USD").unwrap());
        assert!(allocate_payment_6_44(usd, eur(0), eur(0), eur(1)).is_err());
    }
}
