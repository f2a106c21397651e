//! Payment plans: a debtor pays all its open invoices in instalments instead of being dunned.
//!
//! A plan is proposed on the portal or by staff for a first due date, a number of instalments
//! and an interval; it always covers every open invoice of the debtor in the organisation's
//! currency, for what is open on them. The core judges it against the organisation's
//! [`PlanRules`] (kept with the portal settings): hard problems refuse it, a plan within every
//! limit starts at once (`active`, its invoices held from dunning), any other waits for a
//! person (`proposed`, with a task for the debtor's owner naming the limits it passes). Each
//! instalment carries its own structured payment reference in the organisation's scheme.
//!
//! What is paid towards a plan is read from its invoices: the plan's total minus what is open on
//! them now (never below zero), so every allocation counts, whichever way the money came in.
//! [`App::follow_plans`] is the daily look at every active plan: a paid plan is completed, a
//! plan with an instalment unpaid past its grace days is broken (its invoices are dunned again
//! for what is left, and the owner gets a task); reminders due and missed instalments are
//! reported for the caller to act on. Every change is on the debtor's timeline.

use std::collections::HashMap;

use arflow_core::arrangement::{
    Decision, Instalment, Interval, PlanError, PlanRules, PlanStatus, ProposalInput, assess_plan,
    paid_per_instalment, plan_status,
};
use arflow_core::date::{Date, add_days};
use arflow_core::id::{DebtorId, InvoiceId, OrganisationId};
use arflow_core::ledger::InvoiceKind;
use arflow_core::money::Money;
use arflow_core::party::Language;
use arflow_core::reference;
use arflow_store::{
    InvoiceFilter, ItemStatus, NewPaymentPlan, NewTask, PAGE_LIMIT_MAX, Page, PlanInstalmentRow,
    PlanItemRow, PlanState, StoreTx, StoredPaymentPlan,
};
use serde::Serialize;

use crate::portal::{Notice, debtor_audit, find_debtor, settings_in};
use crate::{Actor, App, AppError};

/// The kind of the task a proposed plan gives the debtor's owner.
pub const REVIEW_TASK: &str = "plan_review";
/// The kind of the task a broken plan gives the debtor's owner.
pub const BROKEN_TASK: &str = "plan_broken";
/// Who decided on a plan that started within the rules.
pub const AUTOMATIC: &str = "automatic";

/// One instalment as people see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalmentView {
    /// 0-based, in due-date order.
    pub position: u32,
    pub due: Date,
    pub amount: Money,
    /// The structured payment reference, normalized (`RF18539007547034`).
    pub reference: String,
    /// The same as people type it (`RF18 5390 0754 7034`, `+++090/9337/55493+++`).
    pub reference_display: String,
}

/// A plan with its schedule, what was paid towards it and where it stands today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanView {
    pub id: i64,
    pub debtor_id: DebtorId,
    pub debtor_number: String,
    pub state: PlanState,
    pub total: Money,
    pub interval: Interval,
    pub instalments: Vec<InstalmentView>,
    /// The invoices the plan pays, with what is open on each now.
    pub invoices: Vec<PlanItemRow>,
    /// What is open now on the plan's invoices.
    pub open: Money,
    /// The plan's total minus what is open now, never below zero.
    pub paid: Money,
    /// Where the schedule stands on `today` given `paid` (for every state: a proposed plan is
    /// judged as if it ran, an ended one as it ended).
    pub status: PlanStatus,
    /// `status` in one English sentence.
    pub explanation: String,
    pub today: Date,
    pub created_at: i64,
    /// `portal` or the person's audit actor.
    pub created_by: String,
    pub response_id: Option<i64>,
    pub decided_at: Option<i64>,
    /// The person who accepted or rejected it, or [`AUTOMATIC`].
    pub decided_by: Option<String>,
    pub ended_on: Option<Date>,
}

/// What proposing a plan did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedPlan {
    pub plan: PlanView,
    /// Started at once, or waiting for a person (with the reasons).
    pub decision: Decision,
    /// The schedule in brief and the decision, in English.
    pub explanation: String,
    /// The task of the debtor's owner when a person must decide.
    pub task_id: Option<i64>,
}

/// A plan the daily look found worth telling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowedPlan {
    pub plan_id: i64,
    pub debtor_id: DebtorId,
    pub debtor_number: String,
    pub status: PlanStatus,
}

/// What [`App::follow_plans`] found and did on one day. The same day again reports the same
/// and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowReport {
    pub as_of: Date,
    /// Plans that were active when the day was looked at (or ended on it).
    pub followed: usize,
    /// Paid in full: ended on `as_of`, their invoices no longer held.
    pub completed: Vec<FollowedPlan>,
    /// Broken: ended on `as_of`, their invoices dunned again, a task for the owner.
    pub broken: Vec<FollowedPlan>,
    /// An instalment is due within the reminder days: the caller sends the reminder.
    pub reminders_due: Vec<FollowedPlan>,
    /// An instalment's due date passed, still within the grace days.
    pub missed: Vec<FollowedPlan>,
    /// The e-mails about those instalments: one before each due date, one when it was missed
    /// (each once; the same day again reports the same messages).
    pub reminders: Vec<PlanReminder>,
}

/// Which of an instalment's two e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// The instalment is due within the reminder days.
    BeforeDue,
    /// Its due date passed unpaid; the plan breaks after the grace days.
    Missed,
}

impl ReminderKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::BeforeDue => "before_due",
            ReminderKind::Missed => "missed",
        }
    }
}

/// One instalment e-mail: queued in the outbox (now or at an earlier look at the same plan), or
/// why it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanReminder {
    pub plan_id: i64,
    pub debtor_number: String,
    /// 1-based, as the debtor reads it.
    pub instalment: usize,
    pub kind: ReminderKind,
    /// The outbox message.
    pub message_id: Option<i64>,
    /// Why there is no message (no e-mail address, dunning paused).
    pub not_sent: Option<String>,
}

fn sum_minor(amounts: impl IntoIterator<Item = i64>) -> Result<i64, AppError> {
    let total: i128 = amounts.into_iter().map(i128::from).sum();
    i64::try_from(total).map_err(|_| AppError::invalid("amount", "the amounts are too large"))
}

/// A stored (normalized) payment reference as people type it (`RF18 5390 0754 7034`).
fn display_reference(stored: &str) -> String {
    reference::check(stored).map_or_else(|_| stored.to_owned(), |r| r.display())
}

fn schedule_of(plan: &StoredPaymentPlan) -> Vec<Instalment> {
    plan.instalments.iter().map(|i| Instalment { due: i.due_date, amount: i.amount }).collect()
}

/// What was paid towards a plan: its total minus what is open on its invoices, never below
/// zero.
fn paid_towards(plan: &StoredPaymentPlan) -> Result<(Money, Money), AppError> {
    let currency = plan.total.currency();
    let open = sum_minor(
        plan.items.iter().filter(|i| i.open.currency() == currency).map(|i| i.open.minor().max(0)),
    )?;
    let paid = plan.total.minor().saturating_sub(open).max(0);
    Ok((Money::from_minor(open, currency), Money::from_minor(paid, currency)))
}

fn status_of(
    plan: &StoredPaymentPlan,
    rules: &PlanRules,
    on: Date,
) -> Result<PlanStatus, AppError> {
    let (_, paid) = paid_towards(plan)?;
    Ok(plan_status(&schedule_of(plan), paid, on, rules))
}

fn view(
    plan: StoredPaymentPlan,
    debtor_number: String,
    rules: &PlanRules,
    today: Date,
) -> Result<PlanView, AppError> {
    let (open, paid) = paid_towards(&plan)?;
    let status = plan_status(&schedule_of(&plan), paid, today, rules);
    let instalments = plan
        .instalments
        .iter()
        .map(|i| InstalmentView {
            position: i.position,
            due: i.due_date,
            amount: i.amount,
            reference: i.reference.clone(),
            reference_display: display_reference(&i.reference),
        })
        .collect();
    Ok(PlanView {
        id: plan.id,
        debtor_id: plan.debtor_id,
        debtor_number,
        state: plan.state,
        total: plan.total,
        interval: plan.interval,
        instalments,
        invoices: plan.items,
        open,
        paid,
        explanation: status.explain(),
        status,
        today,
        created_at: plan.created_at,
        created_by: plan.created_by,
        response_id: plan.response_id,
        decided_at: plan.decided_at,
        decided_by: plan.decided_by,
        ended_on: plan.ended_on,
    })
}

/// One instalment as the debtor sees it on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalInstalment {
    pub due: Date,
    pub amount: Money,
    /// What was paid towards it (payments count towards the earliest instalments first).
    pub paid: Money,
    pub reference: String,
    pub reference_display: String,
}

/// The debtor's running or waiting plan on its portal page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalPlan {
    pub id: i64,
    /// `proposed` (a person still decides) or `active`.
    pub state: PlanState,
    pub total: Money,
    pub paid: Money,
    pub instalments: Vec<PortalInstalment>,
    /// The first instalment not paid in full (0-based), if any.
    pub next: Option<usize>,
    /// The EPC QR payload paying what is left of the next instalment with its own reference
    /// (EUR and an account to pay to only).
    pub epc_next: Option<String>,
}

/// Debtor `debtor`'s live plan as its portal shows it, or `None`.
pub(crate) async fn portal_plan_of(
    tx: &mut StoreTx,
    org: &arflow_store::StoredOrganisation,
    debtor: DebtorId,
) -> Result<Option<PortalPlan>, AppError> {
    let Some(plan) =
        tx.payment_plans_of(org.id, debtor).await?.into_iter().rev().find(|p| p.state.is_live())
    else {
        return Ok(None);
    };
    let (_, paid) = paid_towards(&plan)?;
    let currency = plan.total.currency();
    let towards = paid_per_instalment(&schedule_of(&plan), paid);
    let instalments: Vec<PortalInstalment> = plan
        .instalments
        .iter()
        .zip(towards)
        .map(|(i, towards)| PortalInstalment {
            due: i.due_date,
            amount: i.amount,
            paid: Money::from_minor(towards, currency),
            reference: i.reference.clone(),
            reference_display: display_reference(&i.reference),
        })
        .collect();
    let next = instalments.iter().position(|i| i.paid != i.amount);
    let epc_next = next.and_then(|k| {
        let i = &instalments[k];
        let left = Money::from_minor(i.amount.minor() - i.paid.minor(), currency);
        let checked = reference::check(&i.reference).ok();
        crate::portal::transfer_epc(&org.organisation, left, checked.as_ref(), i.reference.clone())
    });
    Ok(Some(PortalPlan {
        id: plan.id,
        state: plan.state,
        total: plan.total,
        paid,
        instalments,
        next,
        epc_next,
    }))
}

/// Every open invoice of a debtor (not credit notes), all pages.
async fn open_invoices(
    tx: &mut StoreTx,
    org: OrganisationId,
    debtor: DebtorId,
) -> Result<Vec<arflow_store::StoredInvoice>, AppError> {
    let filter = InvoiceFilter {
        debtor_id: Some(debtor),
        kind: Some(InvoiceKind::Invoice),
        status: Some(ItemStatus::Open),
        ..InvoiceFilter::default()
    };
    let mut out = Vec::new();
    let mut page = Page::first(PAGE_LIMIT_MAX);
    loop {
        let batch = tx.list_invoices(org, &filter, page).await?;
        let Some(last) = batch.last() else { break };
        page = Page::after(last.id.0, PAGE_LIMIT_MAX);
        let full = batch.len() == PAGE_LIMIT_MAX as usize;
        out.extend(batch);
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Closes the debtor's open plan-review tasks with `outcome`.
async fn close_review_tasks(
    tx: &mut StoreTx,
    org: OrganisationId,
    debtor: DebtorId,
    outcome: &str,
    note: &str,
    at: i64,
) -> Result<(), AppError> {
    let tasks = tx.list_tasks(org, true, None, Some(debtor), Page::first(PAGE_LIMIT_MAX)).await?;
    for t in tasks.iter().filter(|t| t.kind == REVIEW_TASK) {
        tx.complete_task(org, t.id, outcome, Some(note), at).await?;
    }
    Ok(())
}

impl App {
    /// Proposes a plan for every open invoice of debtor `number` (in the organisation's
    /// currency, for what is open on them): the debtor on the portal (`actor` is
    /// `Actor("portal")`, with the answer's `response_id`) or a person.
    ///
    /// Within the organisation's rules the plan starts at once and its invoices are held from
    /// dunning; otherwise it waits for [`accept_plan`](Self::accept_plan) or
    /// [`reject_plan`](Self::reject_plan) and the debtor's owner gets a task with the reasons.
    /// Each instalment gets its own payment reference. One transaction, on the debtor's
    /// timeline.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor; [`AppError::Conflict`] (`payment_plan`)
    /// when the debtor has a proposed or active plan; [`AppError::Invalid`] (field `plan`) with
    /// every hard problem of the proposal, or when nothing is open.
    pub async fn propose_plan(
        &self,
        org: OrganisationId,
        number: &str,
        input: &ProposalInput,
        actor: &Actor,
        response_id: Option<i64>,
    ) -> Result<ProposedPlan, AppError> {
        let mut tx = self.store.begin_write().await?;
        let proposed =
            self.propose_plan_in(&mut tx, org, number, input, actor, response_id, false).await?;
        tx.commit().await?;
        Ok(proposed)
    }

    /// A person makes a plan for every open invoice of debtor `number` and starts it at once,
    /// within the organisation's rules or beyond them (they decide; the reasons it passes the
    /// limits are kept with the plan's audit entry and its explanation). What no plan may be —
    /// a first due date in the past, instalments too small to split — is refused as in
    /// [`propose_plan`](Self::propose_plan). One transaction.
    ///
    /// # Errors
    /// As [`propose_plan`](Self::propose_plan).
    pub async fn start_plan(
        &self,
        org: OrganisationId,
        number: &str,
        input: &ProposalInput,
        actor: &Actor,
    ) -> Result<ProposedPlan, AppError> {
        let mut tx = self.store.begin_write().await?;
        let started = self.propose_plan_in(&mut tx, org, number, input, actor, None, true).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// [`propose_plan`](Self::propose_plan) in the caller's transaction; with `start` a person
    /// starts it whatever the limits ([`start_plan`](Self::start_plan)).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn propose_plan_in(
        &self,
        tx: &mut StoreTx,
        org: OrganisationId,
        number: &str,
        input: &ProposalInput,
        actor: &Actor,
        response_id: Option<i64>,
        start: bool,
    ) -> Result<ProposedPlan, AppError> {
        let now = self.now();
        let o = tx.get_organisation(org).await?;
        let today = self.today(&o.organisation);
        let debtor = find_debtor(tx, org, number).await?;
        if let Some(live) =
            tx.payment_plans_of(org, debtor.id).await?.iter().find(|p| p.state.is_live())
        {
            return Err(AppError::Conflict {
                entity: "payment_plan",
                key: number.to_owned(),
                detail: Some(format!(
                    "the debtor has {} payment plan already (plan {})",
                    if live.state == PlanState::Active { "an active" } else { "a proposed" },
                    live.id
                )),
            });
        }
        let rules = settings_in(tx, org).await?.plan;
        let currency = o.organisation.currency;
        let items: Vec<(InvoiceId, String, Money)> = open_invoices(tx, org, debtor.id)
            .await?
            .into_iter()
            .filter(|i| i.open.is_positive() && i.open.currency() == currency)
            .map(|i| (i.id, i.invoice.number, i.open))
            .collect();
        if items.is_empty() {
            return Err(AppError::invalid(
                "plan",
                format!("{number} has no open invoices in {currency} to pay in instalments"),
            ));
        }
        let total = Money::from_minor(sum_minor(items.iter().map(|i| i.2.minor()))?, currency);
        let assessment = assess_plan(&rules, total, input, today).map_err(|e| match e {
            PlanError::Refused(reasons) => AppError::invalid("plan", reasons.join(" ")),
            other => AppError::invalid("plan", other.to_string()),
        })?;
        let references = crate::import::generate_references(
            tx,
            &o,
            assessment.schedule.len(),
            &Default::default(),
        )
        .await?;
        let id = tx.reserve_ids(org, "payment_plan", 1).await?;
        let auto = assessment.decision == Decision::AutoAccept;
        let state = if auto || start { PlanState::Active } else { PlanState::Proposed };
        let decided = if auto {
            Some((AUTOMATIC.to_owned(), now))
        } else if start {
            Some((actor.0.clone(), now))
        } else {
            None
        };
        let instalments: Vec<PlanInstalmentRow> = assessment
            .schedule
            .iter()
            .zip(&references)
            .zip(0u32..)
            .map(|((i, r), position)| PlanInstalmentRow {
                position,
                due_date: i.due,
                amount: i.amount,
                reference: r.clone(),
            })
            .collect();
        tx.insert_payment_plan(
            org,
            &NewPaymentPlan {
                id,
                debtor_id: debtor.id,
                state,
                total,
                interval: input.interval,
                created_by: actor.0.clone(),
                response_id,
                decided,
                instalments,
                items: items.iter().map(|i| i.0).collect(),
            },
            now,
        )
        .await?;
        let mut explanation = assessment.explain();
        let mut task_id = None;
        match &assessment.decision {
            Decision::AutoAccept => {
                tx.set_plan_items_held(org, id, true, now).await?;
            }
            Decision::NeedsPerson(_) if start => {
                tx.set_plan_items_held(org, id, true, now).await?;
                explanation.push_str(&format!(" Started by {} all the same.", actor.0));
            }
            Decision::NeedsPerson(reasons) => {
                let t = tx.reserve_ids(org, "task", 1).await?;
                tx.insert_task(
                    org,
                    t,
                    &NewTask {
                        debtor_id: debtor.id,
                        action_id: None,
                        kind: REVIEW_TASK.into(),
                        title: format!(
                            "{number} proposes payment plan {id}: {} instalments, {} {} in \
                             total, from {}; accept or reject it. {}",
                            assessment.schedule.len(),
                            total.currency(),
                            total,
                            input.first_due,
                            reasons.join(" ")
                        ),
                        owner: debtor.debtor.owner.clone(),
                        due_on: today,
                    },
                    now,
                )
                .await?;
                task_id = Some(t);
            }
        }
        let reasons = match &assessment.decision {
            Decision::AutoAccept => Vec::new(),
            Decision::NeedsPerson(r) => r.clone(),
        };
        tx.insert_audit(
            org,
            &[debtor_audit(
                now,
                actor,
                "plan.propose",
                number,
                serde_json::json!({
                    "plan": id,
                    "status": state.as_str(),
                    "total": total.to_string(),
                    "currency": total.currency().code(),
                    "count": input.count,
                    "interval": input.interval.as_str(),
                    "first_due": input.first_due,
                    "decision": if auto { AUTOMATIC } else if start { "person" } else { "needs_person" },
                    "reasons": reasons,
                    "invoices": items.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
                    "references": references,
                    "response": response_id,
                    "task": task_id,
                }),
            )],
        )
        .await?;
        let stored = tx.get_payment_plan(org, id).await?;
        Ok(ProposedPlan {
            plan: view(stored, number.to_owned(), &rules, today)?,
            decision: assessment.decision,
            explanation,
            task_id,
        })
    }

    /// A person accepts a proposed plan: it starts, and its invoices are held from dunning.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another organisation's plan; [`AppError::Invalid`] for a plan
    /// that is not proposed.
    pub async fn accept_plan(
        &self,
        org: OrganisationId,
        id: i64,
        actor: &Actor,
    ) -> Result<PlanView, AppError> {
        self.decide_plan(org, id, true, actor).await
    }

    /// A person rejects a proposed plan: it ends, and dunning goes on as it was.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another organisation's plan; [`AppError::Invalid`] for a plan
    /// that is not proposed.
    pub async fn reject_plan(
        &self,
        org: OrganisationId,
        id: i64,
        actor: &Actor,
    ) -> Result<PlanView, AppError> {
        self.decide_plan(org, id, false, actor).await
    }

    async fn decide_plan(
        &self,
        org: OrganisationId,
        id: i64,
        accept: bool,
        actor: &Actor,
    ) -> Result<PlanView, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let today = self.today(&o.organisation);
        let plan = tx.get_payment_plan(org, id).await?;
        let (to, ended_on, verb) = if accept {
            (PlanState::Active, None, "accept")
        } else {
            (PlanState::Rejected, Some(today), "reject")
        };
        let moved = plan.state == PlanState::Proposed
            && tx
                .set_payment_plan_state(org, id, PlanState::Proposed, to, &actor.0, now, ended_on)
                .await?;
        if !moved {
            return Err(AppError::invalid(
                "plan",
                format!(
                    "plan {id} is {}; only a proposed plan can be {verb}ed",
                    plan.state.as_str()
                ),
            ));
        }
        if accept {
            tx.set_plan_items_held(org, id, true, now).await?;
        }
        let outcome = if accept { "approved" } else { "rejected" };
        close_review_tasks(
            &mut tx,
            org,
            plan.debtor_id,
            outcome,
            &format!("plan {id} {verb}ed"),
            now,
        )
        .await?;
        let debtor = tx.get_debtor(org, plan.debtor_id).await?;
        let number = debtor.debtor.number;
        tx.insert_audit(
            org,
            &[debtor_audit(
                now,
                actor,
                &format!("plan.{verb}"),
                &number,
                serde_json::json!({ "plan": id, "status": to.as_str() }),
            )],
        )
        .await?;
        let rules = settings_in(&mut tx, org).await?.plan;
        let stored = tx.get_payment_plan(org, id).await?;
        tx.commit().await?;
        view(stored, number, &rules, today)
    }

    /// One plan with its schedule, what was paid towards it and where it stands today.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another organisation's plan.
    pub async fn plan_view(&self, org: OrganisationId, id: i64) -> Result<PlanView, AppError> {
        let mut tx = self.store.begin_read().await?;
        let o = tx.get_organisation(org).await?;
        let plan = tx.get_payment_plan(org, id).await?;
        let number = tx.get_debtor(org, plan.debtor_id).await?.debtor.number;
        let rules = settings_in(&mut tx, org).await?.plan;
        tx.rollback().await?;
        view(plan, number, &rules, self.today(&o.organisation))
    }

    /// Debtor `number`'s plans, newest first, each as [`plan_view`](Self::plan_view) shows it.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn plans_of(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Vec<PlanView>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let o = tx.get_organisation(org).await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let plans = tx.payment_plans_of(org, debtor.id).await?;
        let rules = settings_in(&mut tx, org).await?.plan;
        tx.rollback().await?;
        let today = self.today(&o.organisation);
        plans.into_iter().rev().map(|p| view(p, number.to_owned(), &rules, today)).collect()
    }

    /// The daily look at every active plan on `as_of`: a paid plan is completed; a plan with an
    /// instalment unpaid past its grace days is broken — its invoices are dunned again for what
    /// is left and the debtor's owner gets a task; reminders due and missed instalments are
    /// reported (the caller sends the messages). One transaction.
    ///
    /// The same `as_of` again changes nothing and reports the same: plans ended on `as_of`
    /// are reported as completed or broken again, nothing is recorded twice.
    ///
    /// # Errors
    /// Store errors.
    pub async fn follow_plans(
        &self,
        org: OrganisationId,
        as_of: Date,
        actor: &Actor,
    ) -> Result<FollowReport, AppError> {
        let now = self.now();
        if self.public_url.is_some() {
            // The links in the e-mails are signed with the installation's key, which is made
            // (in a transaction of its own) on first use.
            self.link_key().await?;
        }
        let mut tx = self.store.begin_write().await?;
        let rules = settings_in(&mut tx, org).await?.plan;
        let active = tx.payment_plans_in_state(org, PlanState::Active).await?;
        let mut numbers: HashMap<DebtorId, String> = HashMap::new();
        let mut still_active = active.len();
        let mut report = FollowReport {
            as_of,
            followed: 0,
            completed: Vec::new(),
            broken: Vec::new(),
            reminders_due: Vec::new(),
            missed: Vec::new(),
            reminders: Vec::new(),
        };
        let organisation = tx.get_organisation(org).await?;
        for plan in &active {
            let status = status_of(plan, &rules, as_of)?;
            let to = match status {
                PlanStatus::Completed => PlanState::Completed,
                PlanStatus::Broken { .. } => PlanState::Broken,
                PlanStatus::OnTrack { .. } => continue,
                PlanStatus::ReminderDue { .. } | PlanStatus::Missed { .. } => {
                    let seen = FollowedPlan {
                        plan_id: plan.id,
                        debtor_id: plan.debtor_id,
                        debtor_number: number_of(&mut tx, org, &mut numbers, plan.debtor_id)
                            .await?,
                        status,
                    };
                    let reminder = self
                        .remind_instalment(&mut tx, &organisation, plan, &seen, as_of, actor, now)
                        .await?;
                    report.reminders.push(reminder);
                    if matches!(status, PlanStatus::Missed { .. }) {
                        report.missed.push(seen);
                    } else {
                        report.reminders_due.push(seen);
                    }
                    continue;
                }
            };
            if !tx
                .set_payment_plan_state(
                    org,
                    plan.id,
                    PlanState::Active,
                    to,
                    &actor.0,
                    now,
                    Some(as_of),
                )
                .await?
            {
                continue;
            }
            still_active -= 1;
            tx.set_plan_items_held(org, plan.id, false, now).await?;
            let number = number_of(&mut tx, org, &mut numbers, plan.debtor_id).await?;
            if to == PlanState::Broken {
                let task = tx.reserve_ids(org, "task", 1).await?;
                let owner = tx.get_debtor(org, plan.debtor_id).await?.debtor.owner;
                tx.insert_task(
                    org,
                    task,
                    &NewTask {
                        debtor_id: plan.debtor_id,
                        action_id: None,
                        kind: BROKEN_TASK.into(),
                        title: format!(
                            "{number}'s payment plan {} is broken; dunning resumes. {}",
                            plan.id,
                            status.explain()
                        ),
                        owner,
                        due_on: as_of,
                    },
                    now,
                )
                .await?;
            }
            let action = if to == PlanState::Broken { "plan.break" } else { "plan.complete" };
            tx.insert_audit(
                org,
                &[debtor_audit(
                    now,
                    actor,
                    action,
                    &number,
                    serde_json::json!({
                        "plan": plan.id,
                        "status": to.as_str(),
                        "on": as_of,
                        "explanation": status.explain(),
                    }),
                )],
            )
            .await?;
        }
        // What ended on this day, now or at an earlier look at the same day.
        let mut ended = 0;
        for plan in tx.payment_plans_ended_on(org, as_of).await? {
            let list = match plan.state {
                PlanState::Completed => &mut report.completed,
                PlanState::Broken => &mut report.broken,
                _ => continue,
            };
            ended += 1;
            list.push(FollowedPlan {
                plan_id: plan.id,
                debtor_id: plan.debtor_id,
                debtor_number: number_of(&mut tx, org, &mut numbers, plan.debtor_id).await?,
                status: status_of(&plan, &rules, as_of)?,
            });
        }
        report.followed = still_active + ended;
        tx.commit().await?;
        Ok(report)
    }
}

impl App {
    /// The e-mail about instalment `seen.status` of `plan` (due soon or missed), queued once in
    /// `tx` with the debtor's portal link; the same instalment and kind again finds the message
    /// queued before. Not sent while the debtor's dunning is paused or without an e-mail address.
    #[allow(clippy::too_many_arguments)]
    async fn remind_instalment(
        &self,
        tx: &mut StoreTx,
        org: &arflow_store::StoredOrganisation,
        plan: &StoredPaymentPlan,
        seen: &FollowedPlan,
        as_of: Date,
        actor: &Actor,
        now: i64,
    ) -> Result<PlanReminder, AppError> {
        let (kind, index, due, remaining, last_day) = match seen.status {
            PlanStatus::ReminderDue { index, due, remaining } => {
                (ReminderKind::BeforeDue, index, due, remaining, None)
            }
            PlanStatus::Missed { index, due, remaining, breaks_on } => {
                (ReminderKind::Missed, index, due, remaining, Some(add_days(breaks_on, -1)))
            }
            _ => return Err(AppError::invalid("plan", "no instalment to remind of")),
        };
        let key = format!("plan-{}-{}-{}", plan.id, index + 1, kind.as_str());
        let mut reminder = PlanReminder {
            plan_id: plan.id,
            debtor_number: seen.debtor_number.clone(),
            instalment: index + 1,
            kind,
            message_id: None,
            not_sent: None,
        };
        if let Some(id) =
            tx.message_with_message_id(org.id, &Notice::message_id(org.id, &key)).await?
        {
            reminder.message_id = Some(id);
            return Ok(reminder);
        }
        let debtor = tx.get_debtor(org.id, plan.debtor_id).await?;
        if debtor.debtor.is_paused_on(as_of) {
            reminder.not_sent = Some("dunning of the debtor is paused".into());
            return Ok(reminder);
        }
        let Some(to) = crate::compose::recipient(&debtor, arflow_core::dunning::Channel::Email)
        else {
            reminder.not_sent = Some("the debtor has no e-mail address".into());
            return Ok(reminder);
        };
        let Some(instalment) = plan.instalments.get(index) else {
            return Err(AppError::invalid(
                "plan",
                format!("plan {} has no instalment {index}", plan.id),
            ));
        };
        let portal_url = match self.public_url.as_deref() {
            Some(base) => {
                let link = self.plan_link(tx, org.id, plan.debtor_id, as_of).await?;
                self.store_planned_link(tx, org.id, plan.debtor_id, &link).await?;
                Some(format!("{base}/p/{}", link.token))
            }
            None => None,
        };
        let facts = InstalmentFacts {
            organisation: &org.organisation.name,
            iban: org.organisation.iban.as_deref(),
            bic: org.organisation.bic.as_deref(),
            instalment: index + 1,
            count: plan.instalments.len(),
            due,
            remaining,
            reference: display_reference(&instalment.reference),
            last_day,
            portal_url: portal_url.as_deref(),
        };
        let (subject, text) = instalment_text(debtor.debtor.language, &facts);
        let id = self
            .queue_notice(tx, org.id, Notice { debtor: &debtor, to: &to, key, subject, text }, now)
            .await?;
        tx.insert_audit(
            org.id,
            &[debtor_audit(
                now,
                actor,
                "plan.remind",
                &seen.debtor_number,
                serde_json::json!({
                    "plan": plan.id,
                    "instalment": index + 1,
                    "kind": kind.as_str(),
                    "due": due,
                    "amount": remaining.to_string(),
                    "currency": remaining.currency().code(),
                    "message": id,
                    "to": to,
                }),
            )],
        )
        .await?;
        reminder.message_id = Some(id);
        Ok(reminder)
    }
}

/// What an instalment e-mail says.
struct InstalmentFacts<'a> {
    organisation: &'a str,
    iban: Option<&'a str>,
    bic: Option<&'a str>,
    /// 1-based.
    instalment: usize,
    count: usize,
    due: Date,
    /// What is still to pay of the instalment.
    remaining: Money,
    /// The reference as people type it.
    reference: String,
    /// For a missed instalment: the last day to pay it before the plan breaks.
    last_day: Option<Date>,
    portal_url: Option<&'a str>,
}

/// The subject and text of an instalment e-mail in `lang`.
fn instalment_text(lang: Language, f: &InstalmentFacts<'_>) -> (String, String) {
    use arflow_notify::format::{date, money};
    let (k, n, org) = (f.instalment, f.count, f.organisation);
    let (amount, due, reference) = (money(f.remaining, lang), date(f.due, lang), &f.reference);
    let account = f.iban.map(|iban| {
        let iban =
            arflow_core::ident::Iban::parse(iban).map_or_else(|_| iban.to_owned(), |i| i.print());
        match f.bic {
            Some(bic) => format!("{iban} (BIC {bic})"),
            None => iban,
        }
    });
    let last = f.last_day.map(|d| date(d, lang));
    let mut out = Vec::new();
    let subject = match (lang, &last) {
        (Language::Nl, None) => {
            format!("Herinnering: termijn {k} van uw betalingsregeling met {org}")
        }
        (Language::Nl, Some(_)) => {
            format!("Termijn {k} van uw betalingsregeling met {org} is niet betaald")
        }
        (Language::Fr, None) => {
            format!("Rappel : échéance {k} de votre plan de paiement avec {org}")
        }
        (Language::Fr, Some(_)) => {
            format!("L'échéance {k} de votre plan de paiement avec {org} est impayée")
        }
        (Language::De, None) => format!("Erinnerung: Rate {k} Ihrer Ratenzahlung mit {org}"),
        (Language::De, Some(_)) => format!("Rate {k} Ihrer Ratenzahlung mit {org} ist unbezahlt"),
        (Language::En, None) => format!("Reminder: instalment {k} of your payment plan with {org}"),
        (Language::En, Some(_)) => {
            format!("Instalment {k} of your payment plan with {org} is unpaid")
        }
    };
    out.push(match lang {
        Language::Nl => "Geachte heer, mevrouw,".to_owned(),
        Language::Fr => "Madame, Monsieur,".to_owned(),
        Language::De => "Sehr geehrte Damen und Herren,".to_owned(),
        Language::En => "Dear Sir or Madam,".to_owned(),
    });
    out.push(match (lang, &last) {
        (Language::Nl, None) => format!(
            "Op {due} vervalt termijn {k} van {n} van uw betalingsregeling. Het bedrag is {amount}."
        ),
        (Language::Nl, Some(last)) => format!(
            "Termijn {k} van {n} van uw betalingsregeling verviel op {due}; we hebben {amount} nog \
             niet ontvangen. Betaal dit uiterlijk {last}. Anders vervalt de regeling en vorderen \
             we het volledige openstaande bedrag weer op de gewone manier."
        ),
        (Language::Fr, None) => format!(
            "L'échéance {k} sur {n} de votre plan de paiement arrive le {due}. Le montant est de \
             {amount}."
        ),
        (Language::Fr, Some(last)) => format!(
            "L'échéance {k} sur {n} de votre plan de paiement était due le {due} ; nous n'avons \
             pas encore reçu {amount}. Veuillez payer ce montant au plus tard le {last}. À défaut, \
             le plan prend fin et nous reprenons le recouvrement du solde entier."
        ),
        (Language::De, None) => format!(
            "Am {due} ist Rate {k} von {n} Ihrer Ratenzahlung fällig. Der Betrag ist {amount}."
        ),
        (Language::De, Some(last)) => format!(
            "Rate {k} von {n} Ihrer Ratenzahlung war am {due} fällig; {amount} haben wir noch \
             nicht erhalten. Bitte zahlen Sie spätestens am {last}. Sonst endet die \
             Ratenzahlung und wir mahnen den gesamten offenen Betrag wieder an."
        ),
        (Language::En, None) => format!(
            "Instalment {k} of {n} of your payment plan is due on {due}. The amount is {amount}."
        ),
        (Language::En, Some(last)) => format!(
            "Instalment {k} of {n} of your payment plan was due on {due}; we have not yet \
             received {amount}. Please pay it by {last} at the latest. Otherwise the plan ends \
             and we claim the whole open balance again in the usual way."
        ),
    });
    out.push(match (lang, &account) {
        (Language::Nl, Some(a)) => {
            format!("Maak het over naar {a} ten name van {org}, met betalingskenmerk {reference}.")
        }
        (Language::Nl, None) => {
            format!("Vermeld bij uw betaling het betalingskenmerk {reference}.")
        }
        (Language::Fr, Some(a)) => format!(
            "Virez-le sur le compte {a} au nom de {org}, avec la communication {reference}."
        ),
        (Language::Fr, None) => {
            format!("Indiquez la communication {reference} avec votre paiement.")
        }
        (Language::De, Some(a)) => format!(
            "Überweisen Sie ihn auf {a}, Empfänger {org}, mit dem Verwendungszweck {reference}."
        ),
        (Language::De, None) => {
            format!("Geben Sie bei der Zahlung den Verwendungszweck {reference} an.")
        }
        (Language::En, Some(a)) => format!(
            "Please transfer it to {a} in the name of {org}, with the reference {reference}."
        ),
        (Language::En, None) => {
            format!("Please quote the reference {reference} with your payment.")
        }
    });
    out.push(match lang {
        Language::Nl => "Hebt u al betaald? Dan kunt u dit bericht als niet verzonden beschouwen.",
        Language::Fr => "Si vous avez déjà payé, veuillez ne pas tenir compte de ce message.",
        Language::De => "Haben Sie bereits gezahlt? Dann betrachten Sie diese Nachricht bitte als gegenstandslos.",
        Language::En => "If you have paid already, please disregard this message.",
    }.to_owned());
    if let Some(url) = f.portal_url {
        out.push(match lang {
            Language::Nl => format!("Uw overzicht en de regeling: {url}"),
            Language::Fr => format!("Votre aperçu et le plan : {url}"),
            Language::De => format!("Ihre Übersicht und die Ratenzahlung: {url}"),
            Language::En => format!("Your overview and the plan: {url}"),
        });
    }
    out.push(match lang {
        Language::Nl => format!("Met vriendelijke groet,\n{org}"),
        Language::Fr => format!("Meilleures salutations,\n{org}"),
        Language::De => format!("Mit freundlichen Grüßen\n{org}"),
        Language::En => format!("Kind regards,\n{org}"),
    });
    (subject, out.join("\n\n"))
}

async fn number_of(
    tx: &mut StoreTx,
    org: OrganisationId,
    numbers: &mut HashMap<DebtorId, String>,
    debtor: DebtorId,
) -> Result<String, AppError> {
    if let Some(n) = numbers.get(&debtor) {
        return Ok(n.clone());
    }
    let n = tx.get_debtor(org, debtor).await?.debtor.number;
    numbers.insert(debtor, n.clone());
    Ok(n)
}
