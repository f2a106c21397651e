//! What may lawfully be claimed on an invoice: the legal rules of the core
//! ([`arflow_core::legal`]) over the stored invoice, its payments and credit notes, the dunning
//! letters that were sent for it, and the fees already charged.
//!
//! Used by `arflow charges --invoice N --as-of D` (what would be claimed if it were demanded that
//! day) and by the dunning run (what a step claims, stored with the action in `charges`).

use arflow_core::date::Date;
use arflow_core::dunning::{ChargeRule, PlannedAction};
use arflow_core::id::{DebtorId, InvoiceId, OrganisationId};
use arflow_core::legal::{
    self, Charge, ChargeKind, ChargesDue, Claim, ClaimTerms, Explanation, Notices, Withheld,
};
use arflow_core::money::Money;
use arflow_core::party::{DebtorKind, OrgCountry};
use arflow_store::{
    ActionStatus, DunningItemRow, StoreTx, StoredAction, StoredCharge, StoredInvoice,
    StoredOrganisation,
};
use serde::Serialize;
use std::collections::HashMap;

use crate::{App, AppError};

/// Templates whose sending starts a legal term (see [`Notices`]).
pub const FOURTEEN_DAY_LETTER_TEMPLATE: &str = "notice_of_default";
pub const BE_FIRST_REMINDER_TEMPLATE: &str = "be_consumer_first_reminder";

/// One charge as the JSON contracts show it: `{"kind", "amount", "explanation": {"rule", "text",
/// …}}`, the amount as a decimal string in the invoice's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeLine {
    /// The invoice the charge is on (in a run report, which may cover several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    pub kind: ChargeKind,
    pub amount: String,
    pub currency: String,
    pub explanation: Explanation,
}

impl ChargeLine {
    pub fn new(invoice: Option<&str>, c: &Charge) -> ChargeLine {
        ChargeLine {
            invoice: invoice.map(str::to_owned),
            kind: c.kind,
            amount: c.amount.to_string(),
            currency: c.amount.currency().code().to_owned(),
            explanation: c.explanation.clone(),
        }
    }
}

/// The JSON of `arflow charges --invoice N --as-of D --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ChargesReport {
    pub invoice: String,
    pub debtor: String,
    pub as_of: Date,
    pub currency: String,
    /// The invoice amount including VAT.
    pub principal: String,
    /// Principal still open on `as_of` after the payments were allocated by the applicable rule
    /// (art. 6:44 BW in the Netherlands: costs, then interest, then principal).
    pub principal_open: String,
    pub charges: Vec<ChargeLine>,
    /// Charges that may not (yet) be claimed, each with the reason.
    pub withheld: Vec<Withheld>,
    /// `principal_open` plus every charge.
    pub total_due: String,
}

/// The contract terms arflow assumes for an organisation's invoices: VAT on collection costs is
/// deductible (a VAT-registered creditor), no damages clause for Belgian consumers, no agreed
/// interest rate or fee. The conservative reading: nothing is claimed that a contract must allow.
pub fn default_terms() -> ClaimTerms {
    ClaimTerms {
        vat_deductible: true,
        be_b2c_damages_clause: false,
        contractual_interest_percent: None,
        contractual_fee: None,
    }
}

/// What the legal rules need of an invoice: from a stored invoice, or from a dunning candidate's
/// item row (which carries the same fields, so a preview need not read the invoices again).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClaimItem<'a> {
    pub id: InvoiceId,
    pub debtor_id: DebtorId,
    pub number: &'a str,
    /// The principal (the invoice's amount incl. VAT).
    pub amount: Money,
    pub issue_date: Date,
    pub due_date: Date,
}

impl<'a> ClaimItem<'a> {
    pub(crate) fn of_invoice(inv: &'a StoredInvoice) -> ClaimItem<'a> {
        ClaimItem {
            id: inv.id,
            debtor_id: inv.debtor_id,
            number: &inv.invoice.number,
            amount: inv.invoice.amount,
            issue_date: inv.invoice.issue_date,
            due_date: inv.invoice.due_date,
        }
    }

    pub(crate) fn of_row(debtor_id: DebtorId, row: &'a DunningItemRow) -> ClaimItem<'a> {
        ClaimItem {
            id: row.invoice_id,
            debtor_id,
            number: &row.number,
            amount: row.amount,
            issue_date: row.issue_date,
            due_date: row.due_date,
        }
    }
}

/// What the legal view of invoices needs from the store — their payments, the letters sent to
/// their debtors, the fees charged so far — read in a few batched queries for many invoices at
/// once (a run's or a preview's charging actions) instead of several queries per invoice.
#[derive(Debug, Default)]
pub(crate) struct ClaimFacts {
    /// Payments and credit notes allocated to each invoice, by effective date.
    payments: HashMap<InvoiceId, Vec<(Date, Money)>>,
    /// Each debtor's dunning actions, newest first.
    actions: HashMap<DebtorId, Vec<StoredAction>>,
    /// Each invoice's stored charges, oldest first.
    charges: HashMap<InvoiceId, Vec<StoredCharge>>,
}

impl ClaimFacts {
    /// Reads the facts of `invoices` (and of all their debtors' letters).
    pub(crate) async fn load(
        tx: &mut StoreTx,
        org: OrganisationId,
        invoices: &[ClaimItem<'_>],
    ) -> Result<ClaimFacts, AppError> {
        let mut ids = Vec::new();
        let mut debtors = Vec::new();
        for inv in invoices {
            ids.push(inv.id);
            debtors.push(inv.debtor_id);
        }
        ids.sort_unstable();
        ids.dedup();
        debtors.sort_unstable();
        debtors.dedup();
        let mut facts = ClaimFacts::default();
        if ids.is_empty() {
            return Ok(facts);
        }
        for a in tx.list_allocations_to_items(org, &ids).await? {
            facts.payments.entry(a.invoice_id).or_default().push((a.effective_date, a.amount));
        }
        // Only the letters that start a legal term matter (see `claim_of`).
        let letters = [FOURTEEN_DAY_LETTER_TEMPLATE, BE_FIRST_REMINDER_TEMPLATE];
        for a in tx.list_actions_of_debtors(org, &debtors, Some(&letters)).await? {
            facts.actions.entry(a.debtor_id).or_default().push(a);
        }
        for c in tx.list_charges_of_items(org, &ids).await? {
            facts.charges.entry(c.invoice_id).or_default().push(c);
        }
        Ok(facts)
    }
}

/// The legal view of a stored invoice on `as_of`: payments and credit notes by their effective
/// date, the letters that start legal terms, the fees charged so far — from `facts`, which must
/// have been loaded for this invoice.
pub(crate) fn claim_of(
    org: &StoredOrganisation,
    invoice: &ClaimItem<'_>,
    debtor_kind: DebtorKind,
    as_of: Date,
    facts: &ClaimFacts,
) -> Result<(Claim, Notices), AppError> {
    let claim = Claim {
        invoice_number: invoice.number.to_owned(),
        creditor: org.organisation.country,
        debtor_kind,
        principal: invoice.amount,
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        payments: facts.payments.get(&invoice.id).cloned().unwrap_or_default(),
        terms: default_terms(),
    };
    let mut notices = Notices::default();
    let actions = facts.actions.get(&invoice.debtor_id).map_or(&[][..], Vec::as_slice);
    for a in actions.iter().rev() {
        if a.run_date > as_of
            || a.status == ActionStatus::Rejected
            || a.status == ActionStatus::AwaitingApproval
            || !a.invoices.iter().any(|n| n == invoice.number)
        {
            continue;
        }
        let slot = match a.template.as_str() {
            FOURTEEN_DAY_LETTER_TEMPLATE if org.organisation.country == OrgCountry::Nl => {
                &mut notices.nl_fourteen_day_letter_sent
            }
            BE_FIRST_REMINDER_TEMPLATE if org.organisation.country == OrgCountry::Be => {
                &mut notices.be_first_reminder_sent
            }
            _ => continue,
        };
        // The first such letter starts the term.
        if slot.is_none_or(|d| a.run_date < d) {
            *slot = Some(a.run_date);
        }
    }
    for c in facts.charges.get(&invoice.id).map_or(&[][..], Vec::as_slice) {
        if c.kind == ChargeKind::Fee.as_str() && c.charged_on <= as_of {
            let explanation: Explanation = serde_json::from_value(c.explanation.clone())
                .map_err(|e| AppError::invalid("charges", format!("stored fee {}: {e}", c.id)))?;
            notices.fees_charged.push(Charge {
                kind: ChargeKind::Fee,
                amount: c.amount,
                explanation,
            });
        }
    }
    Ok((claim, notices))
}

/// What may lawfully be claimed on each of `invoices` on `as_of` if it were demanded that day
/// (interest to date, collection costs or flat compensation where the rule allows them, fees
/// charged so far), as `arflow charges` shows it per invoice; only charges above zero. `facts`
/// must have been loaded for `invoices`.
pub(crate) fn claimable_charges(
    app: &App,
    org: &StoredOrganisation,
    debtor_kind: DebtorKind,
    invoices: &[ClaimItem<'_>],
    as_of: Date,
    facts: &ClaimFacts,
) -> Result<Vec<(usize, Charge)>, AppError> {
    let mut out = Vec::new();
    for (i, inv) in invoices.iter().enumerate() {
        let (claim, notices) = claim_of(org, inv, debtor_kind, as_of, facts)?;
        let due = legal::charges_due(&claim, &notices, as_of, &app.rates)
            .map_err(|e| legal_error(inv.number, e))?;
        out.extend(due.charges.into_iter().filter(|c| c.amount.minor() > 0).map(|c| (i, c)));
    }
    Ok(out)
}

fn legal_error(invoice: &str, e: legal::LegalError) -> AppError {
    AppError::invalid("invoice", format!("{invoice}: the legal rules cannot be applied: {e}"))
}

impl App {
    /// What may lawfully be claimed on invoice `number` on `as_of` (default: today) if it were
    /// demanded that day.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown invoice; [`AppError::Invalid`] for a credit note or
    /// an invoice the rules do not cover (not in EUR).
    pub async fn invoice_charges(
        &self,
        org_slug: Option<&str>,
        number: &str,
        as_of: Option<Date>,
    ) -> Result<ChargesReport, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let as_of = as_of.unwrap_or_else(|| self.today(&org.organisation));
        let invoice = tx
            .find_invoice_by_number(org.id, number)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "invoice", key: number.to_owned() })?;
        if invoice.invoice.amount.minor() <= 0 {
            return Err(AppError::invalid("invoice", format!("{number} is a credit note")));
        }
        let debtor = tx.get_debtor(org.id, invoice.debtor_id).await?;
        let item = ClaimItem::of_invoice(&invoice);
        let facts = ClaimFacts::load(&mut tx, org.id, &[item]).await?;
        tx.rollback().await?;
        let (claim, notices) = claim_of(&org, &item, debtor.debtor.kind, as_of, &facts)?;
        let due = legal::charges_due(&claim, &notices, as_of, &self.rates)
            .map_err(|e| legal_error(number, e))?;
        Ok(ChargesReport {
            invoice: number.to_owned(),
            debtor: debtor.debtor.number,
            as_of,
            currency: invoice.invoice.amount.currency().code().to_owned(),
            principal: invoice.invoice.amount.to_string(),
            principal_open: due.principal_open.to_string(),
            charges: due.charges.iter().map(|c| ChargeLine::new(None, c)).collect(),
            withheld: due.withheld,
            total_due: due.total_due.to_string(),
        })
    }
}

/// The charges a dunning step claims on its items on `as_of`, by the step's charge rules:
/// interest accrued so far, collection costs (in the Netherlands by the BIK scale over the total
/// principal of the items collected together, as court practice does, notes §1.1), and a fixed
/// fee. The result is in the order of the items; each line names its invoice. `facts` must have
/// been loaded for `invoices`.
pub(crate) fn step_charges(
    app: &App,
    org: &StoredOrganisation,
    debtor_kind: DebtorKind,
    invoices: &[ClaimItem<'_>],
    action: &PlannedAction,
    as_of: Date,
    facts: &ClaimFacts,
) -> Result<Vec<(usize, Charge)>, AppError> {
    let wants = |f: fn(&ChargeRule) -> bool| action.charges.iter().any(f);
    let wants_interest = wants(|c| matches!(c, ChargeRule::Interest));
    let wants_costs = wants(|c| matches!(c, ChargeRule::CollectionCosts));
    let mut out: Vec<(usize, Charge)> = Vec::new();
    if !wants_interest && !wants_costs && action.charges.is_empty() {
        return Ok(Vec::new());
    }
    let mut dues: Vec<ChargesDue> = Vec::with_capacity(invoices.len());
    for inv in invoices {
        let (claim, notices) = claim_of(org, inv, debtor_kind, as_of, facts)?;
        let due = legal::charges_due(&claim, &notices, as_of, &app.rates)
            .map_err(|e| legal_error(inv.number, e))?;
        dues.push(due);
    }
    for (i, due) in dues.iter().enumerate() {
        for c in &due.charges {
            if c.kind == ChargeKind::Interest && wants_interest && c.amount.minor() > 0 {
                out.push((i, c.clone()));
            }
        }
    }
    if wants_costs {
        let per_item: Vec<(usize, &Charge)> = dues
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                d.charges
                    .iter()
                    .filter(|c| c.kind == ChargeKind::CollectionCosts)
                    .map(move |c| (i, c))
            })
            .collect();
        let nl_bik: Vec<&(usize, &Charge)> =
            per_item.iter().filter(|(_, c)| c.explanation.rule.starts_with("nl.bik")).collect();
        if org.organisation.country == OrgCountry::Nl && nl_bik.len() > 1 {
            // One claim: the scale over the total principal still open of these items.
            let total = nl_bik
                .iter()
                .try_fold(Money::zero(invoices[0].amount.currency()), |acc, (i, _)| {
                    acc.checked_add(dues[*i].principal_open)
                })
                .map_err(|e| AppError::invalid("amount", e.to_string()))?;
            let mut combined = legal::nl::bik(total, default_terms().vat_deductible)
                .map_err(|e| legal_error(&action.debtor, e))?;
            let numbers: Vec<&str> = nl_bik.iter().map(|(i, _)| invoices[*i].number).collect();
            combined.explanation.text = format!(
                "{} Collected together: the scale is applied once over the total principal of \
                 {} ({total}), not per invoice.",
                combined.explanation.text,
                numbers.join(", ")
            );
            combined.explanation.inputs.push(("invoices".into(), numbers.join(", ")));
            out.push((nl_bik[0].0, combined));
            out.extend(
                per_item
                    .iter()
                    .filter(|(_, c)| !c.explanation.rule.starts_with("nl.bik"))
                    .map(|(i, c)| (*i, (*c).clone())),
            );
        } else {
            out.extend(per_item.iter().map(|(i, c)| (*i, (*c).clone())));
        }
    }
    for rule in &action.charges {
        if let ChargeRule::Fee { amount } = rule
            && amount.minor() > 0
        {
            // One fee per message, on its first item.
            out.push((
                0,
                Charge {
                    kind: ChargeKind::Fee,
                    amount: *amount,
                    explanation: Explanation {
                        rule: "fee".into(),
                        article: "contract (agreed reminder fee)".into(),
                        text: format!(
                            "A fixed fee of {amount} for the step '{}' of policy {} v{}, as the \
                             contract with the debtor provides.",
                            action.step, action.policy, action.policy_version
                        ),
                        inputs: vec![("fee".into(), amount.to_string())],
                        periods: Vec::new(),
                        arithmetic: Vec::new(),
                        verified: true,
                    },
                },
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// The rows stored for the charges of an action.
pub(crate) fn stored_charges(
    first_id: i64,
    action_id: i64,
    invoices: &[StoredInvoice],
    charges: &[(usize, Charge)],
    as_of: Date,
) -> Vec<StoredCharge> {
    charges
        .iter()
        .zip(first_id..)
        .map(|((i, c), id)| StoredCharge {
            id,
            invoice_id: invoices[*i].id,
            action_id,
            kind: c.kind.as_str().to_owned(),
            amount: c.amount,
            explanation: serde_json::to_value(&c.explanation).unwrap_or_default(),
            charged_on: as_of,
        })
        .collect()
}
