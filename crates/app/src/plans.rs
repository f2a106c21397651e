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
    plan_status,
};
use arflow_core::date::Date;
use arflow_core::id::{DebtorId, InvoiceId, OrganisationId};
use arflow_core::ledger::InvoiceKind;
use arflow_core::money::Money;
use arflow_core::reference;
use arflow_store::{
    InvoiceFilter, ItemStatus, NewPaymentPlan, NewTask, PAGE_LIMIT_MAX, Page, PlanInstalmentRow,
    PlanItemRow, PlanState, StoreTx, StoredPaymentPlan,
};
use serde::Serialize;

use crate::portal::{debtor_audit, find_debtor, settings_in};
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
}

fn sum_minor(amounts: impl IntoIterator<Item = i64>) -> Result<i64, AppError> {
    let total: i128 = amounts.into_iter().map(i128::from).sum();
    i64::try_from(total).map_err(|_| AppError::invalid("amount", "the amounts are too large"))
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
            reference_display: reference::check(&i.reference)
                .map_or_else(|_| i.reference.clone(), |r| r.display()),
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
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let today = self.today(&o.organisation);
        let debtor = find_debtor(&mut tx, org, number).await?;
        if let Some(live) =
            tx.payment_plans_of(org, debtor.id).await?.iter().find(|p| p.state.is_live())
        {
            return Err(AppError::Conflict {
                entity: "payment_plan",
                key: number.to_owned(),
                detail: Some(format!(
                    "the debtor has a {} payment plan already (plan {})",
                    live.state.as_str(),
                    live.id
                )),
            });
        }
        let rules = settings_in(&mut tx, org).await?.plan;
        let currency = o.organisation.currency;
        let items: Vec<(InvoiceId, String, Money)> = open_invoices(&mut tx, org, debtor.id)
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
        let references =
            crate::import::generate_references(&mut tx, &o, assessment.schedule.len()).await?;
        let id = tx.reserve_ids(org, "payment_plan", 1).await?;
        let auto = assessment.decision == Decision::AutoAccept;
        let state = if auto { PlanState::Active } else { PlanState::Proposed };
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
                decided: auto.then(|| (AUTOMATIC.to_owned(), now)),
                instalments,
                items: items.iter().map(|i| i.0).collect(),
            },
            now,
        )
        .await?;
        let explanation = assessment.explain();
        let mut task_id = None;
        match &assessment.decision {
            Decision::AutoAccept => {
                tx.set_plan_items_held(org, id, true, now).await?;
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
                    "decision": if auto { AUTOMATIC } else { "needs_person" },
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
        tx.commit().await?;
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
        };
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
