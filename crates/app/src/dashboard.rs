//! The dashboard's figures besides the ageing: the DSO trend, the cash collected this month, the
//! work waiting for people and what today's dunning run did.
//!
//! Everything here reads small things: the daily sums of sales and payments (`ledger_days`, a
//! few hundred rows per year, kept by the store), and counts on status indexes. What the next
//! run *would* do is not computed here: planning it reads every open item (about 0.7 s over 1M
//! invoices, docs/benchmarks.md), so the dashboard shows what today's run did once it ran, and
//! the approval queue, and links to the preview.

use arflow_core::date::Date;
use arflow_core::kpi::{self, DSO_PERIOD_DAYS_DEFAULT, DayTotals};
use arflow_core::money::{Currency, format_minor};
use arflow_store::{ActionStatus, StoredTask};
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
