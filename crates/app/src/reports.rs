//! Reports: ageing on any date, DSO, payment behaviour.
//!
//! The store sums in SQL what the core defines (bucket bounds become due-date cut-offs); the
//! core turns the sums into figures. What a report shows on a past date is reconstructed from
//! the allocations effective on or before that date.

use arflow_core::date::{Date, add_days};
use arflow_core::id::DebtorId;
use arflow_core::kpi::{self, AgeingBuckets, Dso, PaymentBehaviour, SettledItem};
use arflow_core::money::{Currency, Money, format_minor};
use serde::Serialize;

use crate::{App, AppError};

/// One bucket of an ageing report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeingBucketReport {
    pub label: String,
    pub amount: String,
    pub count: u64,
}

/// The ageing report (JSON contract of `arflow report ageing --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeingReport {
    pub as_of: Date,
    pub currency: Currency,
    /// Everything open on `as_of`: invoices minus unused credit notes.
    pub total: String,
    pub buckets: Vec<AgeingBucketReport>,
    /// The part of `total` past its due date.
    pub overdue: String,
    /// Money received by `as_of` and not allocated on that day (not in `total`).
    pub unapplied: String,
    /// `total` minus `unapplied`: what customers owe, net.
    pub net: String,
}

/// The DSO report (JSON contract of `arflow report dso --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DsoReport {
    pub as_of: Date,
    pub currency: Currency,
    /// `null` when it cannot be computed (no sales in the lookback).
    pub countback_days: Option<String>,
    /// `null` when there were no net sales in the period.
    pub standard_days: Option<String>,
    pub period_days: u32,
    /// The receivables the figures divide: open items minus unapplied money.
    pub receivables: String,
    /// Countback ran out of history before the receivables were used up.
    pub capped: bool,
}

/// Payment behaviour over settled invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehaviourReport {
    pub from: Date,
    pub to: Date,
    pub currency: Currency,
    pub count: u64,
    pub paid_late_count: u64,
    pub average_days_to_pay: Option<String>,
    pub average_days_late: Option<String>,
    pub weighted_average_days_late: Option<String>,
}

fn behaviour_report(
    from: Date,
    to: Date,
    currency: Currency,
    b: &PaymentBehaviour,
) -> BehaviourReport {
    BehaviourReport {
        from,
        to,
        currency,
        count: b.count,
        paid_late_count: b.paid_late_count,
        average_days_to_pay: b.average_days_to_pay.map(kpi::format_days),
        average_days_late: b.average_days_late.map(kpi::format_days),
        weighted_average_days_late: b.weighted_average_days_late.map(kpi::format_days),
    }
}

/// The earliest due date that still falls in each bucket after "not due".
pub fn bucket_cutoffs(as_of: Date, buckets: &AgeingBuckets) -> Vec<Date> {
    buckets
        .bounds_days()
        .iter()
        .map(|b| add_days(as_of, -i32::try_from(*b).unwrap_or(i32::MAX)))
        .collect()
}

impl App {
    /// The ageing of what was open on `as_of` (default: today in the organisation's zone).
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn ageing(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        currency: Option<Currency>,
        buckets: &AgeingBuckets,
        debtor: Option<DebtorId>,
    ) -> Result<AgeingReport, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let as_of = as_of.unwrap_or_else(|| self.today(&org.organisation));
        let cur = currency.unwrap_or(org.organisation.currency);
        let cutoffs = bucket_cutoffs(as_of, buckets);
        let sums = tx.ageing_totals(org.id, cur, as_of, &cutoffs, debtor).await?;
        let unapplied =
            if debtor.is_none() { tx.unapplied_on(org.id, cur, as_of).await? } else { 0 };
        tx.rollback().await?;
        let labels = buckets.labels();
        let mut total: i64 = 0;
        let mut overdue: i64 = 0;
        let report_buckets = labels
            .into_iter()
            .enumerate()
            .map(|(i, label)| {
                let (amount, count) = sums
                    .iter()
                    .find(|s| s.bucket == i)
                    .map_or((0, 0), |s| (s.amount_minor, s.count));
                total += amount;
                if i > 0 {
                    overdue += amount;
                }
                AgeingBucketReport { label, amount: format_minor(amount, cur), count }
            })
            .collect();
        Ok(AgeingReport {
            as_of,
            currency: cur,
            total: format_minor(total, cur),
            buckets: report_buckets,
            overdue: format_minor(overdue, cur),
            unapplied: format_minor(unapplied, cur),
            net: format_minor(total - unapplied, cur),
        })
    }

    /// Days sales outstanding on `as_of`, by the countback and the standard method.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn dso(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        period_days: u32,
    ) -> Result<DsoReport, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let as_of = as_of.unwrap_or_else(|| self.today(&org.organisation));
        let cur = org.organisation.currency;
        let sums = tx.ageing_totals(org.id, cur, as_of, &[], None).await?;
        let open: i64 = sums.iter().map(|s| s.amount_minor).sum();
        let unapplied = tx.unapplied_on(org.id, cur, as_of).await?;
        // The countback looks back at most 36 months; the standard method at most period_days.
        let lookback =
            add_days(as_of, -(31 * i32::try_from(kpi::DSO_LOOKBACK_MONTHS_MAX).unwrap_or(36)));
        let from = lookback.min(add_days(as_of, -i32::try_from(period_days).unwrap_or(0)));
        let sales = tx.sales_by_day(org.id, cur, from, as_of).await?;
        tx.rollback().await?;
        let receivables = Money::from_minor(open - unapplied, cur);
        let sales: Vec<(Date, Money)> =
            sales.into_iter().map(|(d, m)| (d, Money::from_minor(m, cur))).collect();
        let Dso { standard_days, countback_days, capped, .. } =
            kpi::dso(receivables, &sales, as_of, period_days)
                .map_err(|e| AppError::invalid("period_days", e.to_string()))?;
        Ok(DsoReport {
            as_of,
            currency: cur,
            countback_days: countback_days.map(kpi::format_days),
            standard_days: standard_days.map(kpi::format_days),
            period_days,
            receivables: receivables.to_string(),
            capped,
        })
    }

    /// Average days to pay and days late over invoices settled in `[from, to]`.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn payment_behaviour(
        &self,
        org_slug: Option<&str>,
        from: Date,
        to: Date,
        debtor: Option<DebtorId>,
    ) -> Result<BehaviourReport, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let cur = org.organisation.currency;
        let rows = tx.settled_invoices(org.id, cur, from, to, debtor).await?;
        tx.rollback().await?;
        let items = rows.into_iter().map(|r| SettledItem {
            issue_date: r.issue_date,
            due_date: r.due_date,
            settled_date: r.settled_on,
            amount: Money::from_minor(r.amount_minor, cur),
        });
        let b = kpi::payment_behaviour(items, cur)
            .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })?;
        Ok(behaviour_report(from, to, cur, &b))
    }
}
