//! The dashboard's figures besides the ageing: the DSO trend, the cash collected this month, the
//! work waiting for people and what today's dunning run did.
//!
//! Everything here reads small things: the daily sums of sales and payments (`ledger_days`, a
//! few hundred rows per year, kept by the store), and counts on status indexes. What the next
//! run *would* do is not computed here: planning it reads every open item (about 0.7 s over 1M
//! invoices, docs/benchmarks.md), so the dashboard shows what today's run did once it ran, and
//! the approval queue, and links to the preview.

use arflow_core::date::Date;
use arflow_core::id::OrganisationId;
use arflow_core::kpi::{self, DSO_PERIOD_DAYS_DEFAULT, DayTotals};
use arflow_core::money::{Currency, format_minor};
use arflow_store::{ActionStatus, StoredOrganisation, StoredTask};
use serde::Serialize;

use crate::{App, AppError};

/// Month ends in the DSO trend (today comes after them).
pub const TREND_MONTHS: usize = 12;

/// Open tasks the dashboard lists.
pub const DASHBOARD_TASKS_MAX: u32 = 5;

/// DSO on one date of the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DsoTrendPoint {
    pub as_of: Date,
    /// Invoices issued by `as_of` minus payments received by `as_of`.
    pub receivables: String,
    pub countback_days: Option<String>,
    pub standard_days: Option<String>,
    /// `countback_days` in tenths of a day, for drawing.
    pub countback_tenths: Option<i64>,
    /// The countback ran out of its 36 months of history.
    pub capped: bool,
}

/// The actions of today's run of one step with one set of channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStep {
    pub step: String,
    pub channels: Vec<String>,
    pub actions: u64,
    /// Of `actions`, those still waiting for a person's approval.
    pub awaiting_approval: u64,
}

/// The dashboard's figures besides the ageing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DashboardReport {
    pub today: Date,
    pub currency: Currency,
    /// The standard method's period.
    pub period_days: u32,
    /// DSO at the last [`TREND_MONTHS`] month ends, oldest first, then today.
    pub dso_trend: Vec<DsoTrendPoint>,
    /// The 1st of this month: the cash figure counts from it to `today`, both included.
    pub month_from: Date,
    /// Payments received from `month_from` to `today` (reversals subtracted).
    pub cash_this_month: String,
    pub open_tasks: u64,
    /// The first open tasks, as `/tasks` lists them.
    pub first_tasks: Vec<StoredTask>,
    /// The status of today's run (`running`, `done`), or `None` when it has not started.
    pub run_today: Option<String>,
    /// Today's actions by step and channels (empty before the run).
    pub run_steps: Vec<RunStep>,
    /// Dunning actions of any day waiting for a person's approval.
    pub actions_awaiting_approval: u64,
    /// Messages whose delivery is uncertain.
    pub uncertain_messages: u64,
    /// Bank entries waiting in the review queue (to review or unmatched).
    pub entries_waiting: u64,
    /// Their sum in `currency`.
    pub entries_waiting_total: String,
}

fn step_rows(counts: &[arflow_store::RunStepCount]) -> Vec<RunStep> {
    let mut out: Vec<RunStep> = Vec::new();
    for c in counts {
        let awaiting = if c.status == ActionStatus::AwaitingApproval { c.count } else { 0 };
        match out.iter_mut().find(|r| r.step == c.step_key && r.channels == c.channels) {
            Some(r) => {
                r.actions += c.count;
                r.awaiting_approval += awaiting;
            }
            None => out.push(RunStep {
                step: c.step_key.clone(),
                channels: c.channels.clone(),
                actions: c.count,
                awaiting_approval: awaiting,
            }),
        }
    }
    out
}

impl App {
    /// The dashboard's figures on `as_of` (default: today in the organisation's zone), in the
    /// organisation's currency.
    ///
    /// # Errors
    /// Organisation and store errors; [`AppError::Invalid`] when a sum does not fit.
    pub async fn dashboard(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
    ) -> Result<DashboardReport, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let today = as_of.unwrap_or_else(|| self.today(&org.organisation));
        let cur = org.organisation.currency;
        let days: Vec<DayTotals> = tx
            .ledger_days(org.id, cur, today)
            .await?
            .into_iter()
            .map(|d| DayTotals {
                day: d.day,
                sales_minor: d.sales_minor,
                payments_minor: d.payments_minor,
            })
            .collect();
        let work = tx.work_counts(org.id, cur).await?;
        let first_tasks = tx
            .list_tasks(org.id, true, None, None, arflow_store::Page::first(DASHBOARD_TASKS_MAX))
            .await?;
        let run_today = tx.run_status(org.id, today).await?;
        let run_steps = step_rows(&tx.run_step_counts(org.id, today).await?);
        tx.rollback().await?;

        let mut points = kpi::month_ends_before(today, TREND_MONTHS);
        points.push(today);
        let invalid = |e: kpi::KpiError| AppError::Invalid { field: None, message: e.to_string() };
        let trend =
            kpi::dso_trend(&days, &points, DSO_PERIOD_DAYS_DEFAULT, cur).map_err(invalid)?;
        let dso_trend = points
            .iter()
            .zip(trend)
            .map(|(&as_of, p)| DsoTrendPoint {
                as_of,
                receivables: p.receivables.to_string(),
                countback_days: p.dso.countback_days.map(kpi::format_days),
                standard_days: p.dso.standard_days.map(kpi::format_days),
                countback_tenths: p.dso.countback_days.and_then(kpi::days_tenths),
                capped: p.dso.capped,
            })
            .collect();
        let month_from = today.first_of_month();
        let cash = kpi::payments_between(&days, month_from, today, cur).map_err(invalid)?;
        Ok(DashboardReport {
            today,
            currency: cur,
            period_days: DSO_PERIOD_DAYS_DEFAULT,
            dso_trend,
            month_from,
            cash_this_month: cash.to_string(),
            open_tasks: work.open_tasks,
            first_tasks,
            run_today,
            run_steps,
            actions_awaiting_approval: work.actions_awaiting_approval,
            uncertain_messages: work.uncertain_messages,
            entries_waiting: work.entries_waiting,
            entries_waiting_total: format_minor(work.entries_waiting_minor, cur),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arflow_store::RunStepCount;

    #[test]
    fn step_rows_add_up_statuses_of_one_step_and_channels() {
        let c = |step: &str, ch: &[&str], status, count| RunStepCount {
            step_key: step.into(),
            channels: ch.iter().map(|s| (*s).to_owned()).collect(),
            status,
            count,
        };
        let rows = step_rows(&[
            c("demand", &["letter"], ActionStatus::AwaitingApproval, 2),
            c("demand", &["letter"], ActionStatus::Planned, 3),
            c("reminder", &["email"], ActionStatus::Done, 7),
            c("reminder", &["email", "sms"], ActionStatus::Done, 1),
        ]);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].actions, rows[0].awaiting_approval), (5, 2));
        assert_eq!((rows[1].actions, rows[1].awaiting_approval), (7, 0));
        assert_eq!(rows[2].channels, ["email", "sms"]);
    }
}

/// What the next run would do today, planned in the background for the dashboard (planning
/// reads every open item: on a large book it takes longer than a page may).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextRun {
    pub as_of: Date,
    /// When it was planned (microseconds since the epoch).
    pub planned_at: i64,
    pub steps: Vec<RunStep>,
    pub actions: u64,
    pub awaiting_approval: u64,
    /// The open amount the actions are about, in the organisation's currency.
    pub open: String,
    /// Steps the legal rules refused, and debtors skipped (paused, on hold, too small).
    pub refused: u64,
    pub skipped: u64,
}

/// The dashboard's view of the next run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextRunState {
    /// Planned (possibly some minutes ago; a new plan is on its way when it is old).
    Ready(NextRun),
    /// Being planned; ask again in a moment.
    Planning,
}

/// A plan older than this is planned again (shown meanwhile).
const NEXT_RUN_FRESH_MICROS: i64 = 10 * 60 * 1_000_000;

#[derive(Debug, Default)]
pub(crate) struct NextRunSlot {
    ready: Option<NextRun>,
    planning: bool,
}

/// The next runs per organisation, shared by the clones of an [`App`].
pub(crate) type NextRuns =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<OrganisationId, NextRunSlot>>>;

impl App {
    /// What today's run would do in `org`, from the plan made in the background: the plan when
    /// there is one of today (planned again when older than ten minutes or after data changed
    /// by a run), else [`NextRunState::Planning`] while it is made.
    pub fn next_run(&self, org: &StoredOrganisation) -> NextRunState {
        let today = self.today(&org.organisation);
        let now = self.now();
        let (state, start) = {
            let mut slots =
                self.next_runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = slots.entry(org.id).or_default();
            let current = slot.ready.as_ref().filter(|r| r.as_of == today);
            let stale = current.is_none_or(|r| now - r.planned_at > NEXT_RUN_FRESH_MICROS);
            let start = stale && !slot.planning;
            if start {
                slot.planning = true;
            }
            let state = match current {
                Some(r) => NextRunState::Ready(r.clone()),
                None => NextRunState::Planning,
            };
            (state, start)
        };
        if start {
            let (app, org) = (self.clone(), org.clone());
            tokio::spawn(async move {
                let planned = app.plan_next_run(&org, today).await;
                let mut slots =
                    app.next_runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let slot = slots.entry(org.id).or_default();
                slot.planning = false;
                match planned {
                    Ok(next) => slot.ready = Some(next),
                    Err(e) => tracing::warn!(error = %e, "planning the next run failed"),
                }
            });
        }
        state
    }

    /// Forgets the planned next run of `org` (a run changed what it would do).
    pub(crate) fn forget_next_run(&self, org: OrganisationId) {
        let mut slots = self.next_runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(&org) {
            slot.ready = None;
        }
    }

    async fn plan_next_run(
        &self,
        org: &StoredOrganisation,
        as_of: Date,
    ) -> Result<NextRun, AppError> {
        let planned_at = self.now();
        let gate = arflow_core::dunning::LegalGate { creditor: org.organisation.country };
        let mut tx = self.store.begin_read().await?;
        let (plan, _) = crate::dunning::plan_for(&mut tx, org, as_of, &gate, false).await?;
        tx.rollback().await?;
        let mut steps: Vec<RunStep> = Vec::new();
        let mut open = arflow_core::money::Money::zero(org.organisation.currency);
        for a in &plan.actions {
            let channels: Vec<String> = a.channels.iter().map(|c| c.as_str().to_owned()).collect();
            let awaiting = u64::from(a.approval);
            match steps.iter_mut().find(|r| r.step == a.step && r.channels == channels) {
                Some(r) => {
                    r.actions += 1;
                    r.awaiting_approval += awaiting;
                }
                None => steps.push(RunStep {
                    step: a.step.clone(),
                    channels,
                    actions: 1,
                    awaiting_approval: awaiting,
                }),
            }
            if a.open.currency() == open.currency() {
                open = open
                    .checked_add(a.open)
                    .map_err(|e| AppError::invalid("open", e.to_string()))?;
            }
        }
        Ok(NextRun {
            as_of,
            planned_at,
            actions: plan.actions.len() as u64,
            awaiting_approval: steps.iter().map(|s| s.awaiting_approval).sum(),
            steps,
            open: open.to_string(),
            refused: plan.refused.len() as u64,
            skipped: plan.skipped.len() as u64,
        })
    }
}
