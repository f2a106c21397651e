//! The EU Late Payment Directive 2011/7/EU (recast, OJ L 48, 23-02-2011): the minimum every
//! member state grants in commercial transactions, used as the fallback for a creditor country
//! whose own rules arflow does not implement.
//!
//! Sources: `../shared/notes/legal-and-formats.md` §3 [V/S] (EUR-Lex 32011L0007 and CJEU cases):
//! - statutory interest is **simple** interest at the reference rate + at least 8 points; the
//!   reference rate is the ECB main refinancing rate in force on 1 January (first half-year) or
//!   1 July (second half-year) (art. 2); due from the day after the due date without a reminder
//!   (art. 3);
//! - a fixed minimum of €40 for recovery costs, due automatically for each late-paid invoice (art.
//!   6; CJEU C-287/17, C-585/20, C-78/22); reasonable costs above it may be claimed on top;
//! - consumers are outside its scope.
//!
//! The Directive does not say how a partial payment is allocated; payments reduce the principal
//! first (the order that never claims more interest), marked unverified where it matters.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::accrual::{self, Accrual, Allocation, Compounding, CostRule, DayCount};
use super::rates::{RateKind, RateRow, RateTable, RateTables};
use super::{
    ChargesDue, Claim, LegalError, Notices, RuleOutcome, Withheld, contractual_table, eur,
    fmt_rate, input, interest_charge, not_overdue, payments_until,
};
use crate::date::add_days;
use crate::money::Money;
use crate::party::DebtorKind;

/// The fixed minimum compensation for recovery costs (art. 6 Directive 2011/7/EU).
pub const COMPENSATION_MIN: Money = eur(40_00);

/// The points added to the reference rate (art. 2 Directive 2011/7/EU: "at least eight").
pub const MARGIN_PERCENT: i64 = 8;

/// The date member states had to transpose the Directive (art. 12); its +8 rate applies from it.
fn transposition_date() -> Option<Date> {
    Date::new(2013, 3, 16).ok()
}

/// The Directive's statutory rate per half-year, derived from the ECB MRO table: the rate in force
/// on 1 January or 1 July + 8 points, not rounded. It starts on 16 March 2013 (transposition
/// deadline; for its first months the reference of 1 January 2013) and ends with a `?` row at the
/// first half-year whose reference rate is not known.
///
/// # Errors
/// [`LegalError::RateTable`] when the MRO table has no known rate on 1 January 2013.
pub fn directive_rate_table(mro: &RateTable) -> Result<RateTable, LegalError> {
    let mut rows = Vec::new();
    let Some(start) = transposition_date() else { return Ok(RateTable::from_rows("eu", rows)?) };
    let last_year = mro.rows().last().map_or(start.year(), |r| r.valid_from.year());
    let mut half_year = Date::new(2013, 1, 1).unwrap_or(start);
    while half_year.year() <= last_year.saturating_add(1) {
        let valid_from = if half_year < start { start } else { half_year };
        match mro.row_on(half_year).and_then(|r| r.rate_percent.map(|rate| (r, rate))) {
            Some((row, reference)) => rows.push(RateRow {
                valid_from,
                rate_percent: Some(reference + Decimal::from(MARGIN_PERCENT)),
                source: format!(
                    "ECB MRO {} on {half_year} (ecb_mro: {}) + {MARGIN_PERCENT}",
                    fmt_rate(reference),
                    row.source
                ),
                verified: row.verified,
            }),
            None => {
                rows.push(RateRow {
                    valid_from,
                    rate_percent: None,
                    source: format!("ECB MRO on {half_year} not known (ecb_mro)"),
                    verified: false,
                });
                break;
            }
        }
        half_year = next_half_year(half_year);
    }
    Ok(RateTable::from_rows("eu_directive (ecb_mro + 8)", rows)?)
}

fn next_half_year(date: Date) -> Date {
    let next = if date.month() < 7 {
        Date::new(date.year(), 7, 1)
    } else {
        Date::new(date.year().saturating_add(1), 1, 1)
    };
    next.unwrap_or_else(|_| add_days(date, 184))
}

/// The Directive's charges on a B2B claim: simple interest at the derived rate (or the agreed
/// rate) from the day after the due date, and €40 per late-paid invoice; fees passed through.
///
/// # Errors
/// [`LegalError`] as for [`super::charges_due`].
pub fn b2b_charges(
    claim: &Claim,
    notices: &Notices,
    as_of: Date,
    rates: &RateTables,
    day_count: DayCount,
) -> Result<ChargesDue, LegalError> {
    super::check_claim(claim, notices)?;
    let payments = payments_until(claim, as_of)?;
    let interest_from = add_days(claim.due_date, 1);
    let derived = directive_rate_table(rates.get(RateKind::EcbMro))?;
    let contractual;
    let (table, rule) = match claim.terms.contractual_interest_percent {
        Some(rate) => {
            contractual = contractual_table(rate, interest_from)?;
            (&contractual, "eu.interest.contractual")
        }
        None => (&derived, "eu.interest"),
    };
    let business = claim.debtor_kind == DebtorKind::Business;
    let flat = |open: Money| Ok(if open.is_positive() { COMPENSATION_MIN } else { eur(0) });
    let plan = Accrual {
        principal: claim.principal,
        interest_from: business.then_some(interest_from),
        as_of,
        table,
        day_count,
        compounding: Compounding::Simple,
        allocation: Allocation::PrincipalInterestCosts,
        costs: business.then_some(CostRule { due_from: interest_from, amount_for: &flat }),
        payments: &payments,
    };
    let out = accrual::run(&plan)?;
    let mut charges = Vec::new();
    let mut withheld = Vec::new();
    if !business {
        let reason = "The Late Payment Directive 2011/7/EU covers commercial transactions only, \
                      not consumers."
            .to_owned();
        withheld.push(Withheld { rule: rule.into(), reason: reason.clone() });
        withheld.push(Withheld { rule: "eu.compensation".into(), reason });
    } else if as_of < interest_from {
        withheld.push(not_overdue(rule, claim.due_date, as_of));
        withheld.push(not_overdue("eu.compensation", claim.due_date, as_of));
    } else {
        let mut text = match claim.terms.contractual_interest_percent {
            Some(rate) => {
                format!("Interest for late payment at the agreed rate of {}%,", fmt_rate(rate))
            }
            None => "Statutory interest for late payment at the reference rate (ECB MRO rate in \
                     force on 1 January or 1 July) + 8 points, not rounded,"
                .to_owned(),
        };
        text.push_str(&format!(
            " simple, without a reminder, from the day after the due date {}, that is from \
             {interest_from}, up to and including {as_of} (Directive 2011/7/EU art. 2 and 3). \
             Day count: {}; each period rounded half-up to cents.",
            claim.due_date,
            day_count.describe()
        ));
        if out.allocation_mattered {
            text.push_str(
                " Payments were applied to the principal first, then interest, then costs. Not \
                 verified: the Directive gives no allocation rule.",
            );
        }
        let interest = super::InterestRule {
            rule,
            article: "Richtlijn 2011/7/EU art. 2 (statutory interest, reference rate) en art. 3"
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
            charges.push(super::be::flat_charge(
                "eu.compensation",
                "Richtlijn 2011/7/EU art. 6; HvJ EU C-585/20 (BFF Finance Iberia) en C-78/22 (ALD \
                 Automotive)",
                format!(
                    "A fixed minimum of €40 for recovery costs is due automatically, without a \
                     reminder, for each late-paid invoice (art. 6; CJEU C-585/20, C-78/22), from \
                     {}. Reasonable recovery costs above it (lawyers, agencies; reminders, CJEU \
                     C-287/17) may be claimed on top; they are not computed here.",
                    costs.due_from
                ),
                vec![format!("fixed compensation = {COMPENSATION_MIN}")],
                costs,
                &out,
            ));
        }
    }
    RuleOutcome { principal_open: out.principal_open, charges, withheld }
        .with_fees(&notices.fees_charged)
}
