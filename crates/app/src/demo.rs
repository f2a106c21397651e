//! `arflow demo`: a realistic organisation with debtors, two years of invoices, credit notes,
//! payments and allocations, generated from a seed.
//!
//! The same options give byte-identical data: every random number comes from this module's own
//! generator (`rng`), and each debtor draws from its own stream.
//!
//! How it is written, and why: the whole organisation is written in ONE write transaction, so
//! a demo either exists completely or not at all (an interrupted run leaves nothing, not even
//! the organisation). Debtors are planned in batches of [`DEMO_BATCH_DEBTORS`]; a batch's
//! invoices, payments and allocations get their ids in date order and are written in date
//! slices of about [`DEMO_SLICE_ITEMS`] invoices. Several indexes are keyed by date (issue,
//! settled, payment and effective dates), so writing by date makes their inserts land near one
//! another instead of all over the index. Because the plan knows every allocation of a batch,
//! items and payments are inserted with their final balances and no refresh pass is needed;
//! the tests check the result with `find_balance_mismatches`.
//!
//! What the data looks like, and why:
//! - debtors: about 70 % businesses (retail, wholesale, horeca, construction, healthcare) and
//!   30 % consumers; Dutch names and addresses for a Dutch creditor, Flemish and (about 40 %)
//!   French-speaking Walloon and Brussels ones for a Belgian creditor, a few from across the
//!   border; IBANs, VAT and enterprise numbers that pass the core's validators;
//! - invoices: about ten per debtor over the period, monthly contracts or orders at a
//!   debtor-specific pace, terms of 14, 30 or 60 days, 21 % VAT, a payment reference in the
//!   organisation's scheme from its `reference` counter;
//! - payments: by profile ([`Profile`]): punctual, slightly late, chronically late, disputing,
//!   paying in parts, or defaulting; business payment runs that settle several invoices at
//!   once; a few duplicates and rounded-up amounts that leave unapplied money; about 2 % credit
//!   notes (returns, corrections, settled disputes) allocated to the invoice they credit.

pub mod bank;
mod data;
mod ledger;
mod parties;
mod rng;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use arflow_core::date::Date;
use arflow_core::id::{AllocationId, DebtorId, InvoiceId, OrganisationId, PaymentId};
use arflow_core::ledger::{Invoice, InvoiceKind, Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{Debtor, OrgCountry, Pause, Slug};
use arflow_core::reference::{self, PaymentReference, ReferenceScheme};
use arflow_store::{
    AllocationSource, AuditEntry, ItemBalance, NewAllocation, NewInvoice, NewPayment, StoreTx,
};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::{Actor, App, AppError, today_in};

pub use ledger::Profile;

/// Most debtors one demo may have.
pub const DEMO_DEBTORS_MAX: u32 = 1_000_000;
/// Longest period of history, in months.
pub const DEMO_MONTHS_MAX: u32 = 120;
/// Debtors planned together. Batches bound the memory (100,000 debtors run in about 400 MB)
/// and each one sweeps the date-keyed indexes once; 15,000-50,000 all measured alike.
pub const DEMO_BATCH_DEBTORS: u32 = 25_000;
/// Invoices per slice (a run of multi-row inserts), about: a slice takes whole days, with the payments and
/// allocations of the same days.
pub const DEMO_SLICE_ITEMS: usize = 40_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoOptions {
    /// Number of debtors (1 to [`DEMO_DEBTORS_MAX`]).
    pub debtors: u32,
    /// The same seed and options give the same data.
    pub seed: u64,
    /// The last day of the history; default today in the organisation's time zone.
    pub as_of: Option<Date>,
    pub country: OrgCountry,
    /// Default `demo-nl` or `demo-be`.
    pub slug: Option<String>,
    /// Months of history before `as_of` (1 to [`DEMO_MONTHS_MAX`]).
    pub months: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            debtors: 200,
            seed: 42,
            as_of: None,
            country: OrgCountry::Nl,
            slug: None,
            months: 24,
        }
    }
}

/// How far the generator is, reported after each slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoProgress {
    /// Debtors whose data is written; while a batch is written date slice by date slice, its
    /// debtors count in proportion to the invoices written. Never decreases; ends at the total.
    pub debtors_done: u64,
    pub debtors_total: u64,
}

/// What was generated (JSON contract of `arflow demo --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    /// The organisation's slug.
    pub organisation: String,
    pub debtors: u64,
    /// Invoices, not counting credit notes.
    pub invoices: u64,
    pub credit_notes: u64,
    pub payments: u64,
    /// Allocations from payments and from credit notes.
    pub allocations: u64,
    /// Invoices with something still open on `as_of`.
    pub open_invoices: u64,
    pub as_of: Date,
    /// Debtors per payment-behaviour profile ([`Profile::as_str`]).
    pub profiles: BTreeMap<String, u64>,
}

/// Everything that is the same for the whole run.
#[derive(Debug)]
struct Context {
    seed: u64,
    country: OrgCountry,
    scheme: ReferenceScheme,
    currency: Currency,
    period: ledger::Period,
    actor: String,
}

/// One debtor, planned.
#[derive(Debug)]
struct Planned {
    party: parties::Party,
    ledger: ledger::LedgerPlan,
}

/// The first id of each block reserved for a batch.
#[derive(Debug, Clone, Copy)]
struct Starts {
    debtor: i64,
    item: i64,
    payment: i64,
    allocation: i64,
    reference: i64,
}

/// An item or payment of a batch: its day, its debtor's position in the batch, its own position.
type Key = (i32, u32, u32);

/// An allocation of a batch, in writing order: effective day, then source, then invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AllocationKey {
    day: i32,
    /// Payment id · 2, or credit-note id · 2 + 1.
    source: i64,
    invoice: i64,
    debtor: u32,
    /// Payment position and allocation position within it, or credit position and 0.
    at: (u32, u32),
    from_credit_note: bool,
}

/// A planned batch of debtors with every id assigned and the writing order fixed.
#[derive(Debug)]
struct Batch {
    plans: Vec<Planned>,
    debtor_start: i64,
    allocation_start: i64,
    /// Per debtor and item: the id, and the base number of its payment reference (0: none).
    item_ids: Vec<Vec<i64>>,
    reference_bases: Vec<Vec<i64>>,
    payment_ids: Vec<Vec<i64>>,
    items: Vec<Key>,
    payments: Vec<Key>,
    allocations: Vec<AllocationKey>,
    settlement: Settlement,
}

/// A slice of a batch as rows for the store.
#[derive(Debug, Default)]
struct Rows {
    items: Vec<(InvoiceId, DebtorId, Invoice, Option<InvoiceId>)>,
    /// The final balance of each item, from every allocation of the batch.
    balances: Vec<ItemBalance>,
    payments: Vec<(PaymentId, DebtorId, Payment)>,
    /// What each payment leaves unapplied once all its allocations are written.
    unapplied: Vec<i64>,
    allocations: Vec<NewAllocation>,
}

/// What every allocation of a batch adds up to: per item (invoice or credit note) the amount
/// allocated to it or used of it and the last effective day; per payment the amount allocated.
#[derive(Debug, Default)]
struct Settlement {
    items: HashMap<i64, (i64, i32)>,
    payments: HashMap<i64, i64>,
}

impl App {
    /// Creates the demo organisation `opts.slug` and fills it with generated data; see the
    /// module documentation for what it looks like. `progress` is called after every slice.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for options out of range or a bad slug; [`AppError::Conflict`]
    /// when the slug is taken; store errors (nothing is kept then).
    ///
    /// # Examples
    /// ```no_run
    /// # async fn f(app: &arflow_app::App) -> Result<(), arflow_app::AppError> {
    /// use arflow_app::demo::DemoOptions;
    /// let opts = DemoOptions { debtors: 1_000, ..DemoOptions::default() };
    /// let summary = app.demo(&opts, &mut |_| {}, &arflow_app::Actor::cli()).await?;
    /// println!("{} invoices", summary.invoices);
    /// # Ok(()) }
    /// ```
    pub async fn demo(
        &self,
        opts: &DemoOptions,
        progress: &mut dyn FnMut(DemoProgress),
        actor: &Actor,
    ) -> Result<DemoSummary, AppError> {
        let slug = check_options(opts)?;
        let now = self.now();
        let org = parties::organisation(opts.seed, opts.country, slug);
        let as_of = opts.as_of.unwrap_or_else(|| today_in(now, &org.time_zone));
        let first =
            as_of.checked_sub(jiff::Span::new().months(i64::from(opts.months))).map_err(|e| {
                AppError::invalid(
                    "as_of",
                    format!("no history of {} months before {as_of}: {e}", opts.months),
                )
            })?;
        let ctx = Context {
            seed: opts.seed,
            country: opts.country,
            scheme: org.reference_scheme,
            currency: org.currency,
            period: ledger::Period::new(first, as_of),
            actor: actor.0.clone(),
        };

        let mut tx = self.store.begin_write().await?;
        let org_id = tx.insert_organisation(&org, now).await?;
        tx.insert_audit(
            org_id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "organisation.create".into(),
                entity: "organisation".into(),
                entity_key: org.slug.to_string(),
                details: serde_json::json!({
                    "name": org.name, "country": org.country.as_str(), "source": "demo"
                }),
            }],
        )
        .await?;

        let mut summary = DemoSummary {
            organisation: org.slug.to_string(),
            debtors: 0,
            invoices: 0,
            credit_notes: 0,
            payments: 0,
            allocations: 0,
            open_invoices: 0,
            as_of,
            profiles: Profile::ALL.iter().map(|p| (p.as_str().to_owned(), 0)).collect(),
        };
        // Planning and building rows (CPU) run on blocking threads, one step ahead of the
        // writes, so the database never waits for them.
        let ctx = Arc::new(ctx);
        let total = u64::from(opts.debtors);
        let batch_at = |start: u64| start..(start + u64::from(DEMO_BATCH_DEBTORS)).min(total);
        let mut next_plans = Some(spawn_plan(&ctx, batch_at(0)));
        while let Some(planning) = next_plans.take() {
            let (range, plans) = joined(planning).await?;
            if range.end < total {
                next_plans = Some(spawn_plan(&ctx, batch_at(range.end)));
            }
            count_plans(&mut summary, &plans);

            // The debtors, with the ids of everything the batch holds.
            let starts = reserve(&mut tx, org_id, &plans).await?;
            let c = Arc::clone(&ctx);
            let (batch, debtors) = joined(tokio::task::spawn_blocking(move || {
                let batch = index_batch(plans, starts);
                let debtors = debtor_rows(&c, &batch);
                (batch, debtors)
            }))
            .await?;
            let refs: Vec<(DebtorId, &Debtor)> = debtors.iter().map(|(id, d)| (*id, d)).collect();
            tx.insert_debtors(org_id, &refs, now).await?;
            summary.debtors += debtors.len() as u64;
            drop(refs);
            drop(debtors);

            // The ledger, slice by slice.
            let batch = Arc::new(batch);
            let slices = slice_ranges(&batch);
            let mut next_rows = slices.first().map(|s| spawn_rows(&ctx, &batch, s));
            for (k, slice) in slices.iter().enumerate() {
                let Some(building) = next_rows.take() else { break };
                let rows = joined(building).await?;
                next_rows = slices.get(k + 1).map(|s| spawn_rows(&ctx, &batch, s));
                write_rows(&mut tx, org_id, &rows, now).await?;
                if k == 0 && range.start == 0 {
                    // Plans for the next slices need statistics of tables that were empty.
                    tx.analyze().await?;
                }
                count_rows(&mut summary, &rows);
                let written = (range.end - range.start) * slice.items.end as u64
                    / (batch.items.len() as u64).max(1);
                progress(DemoProgress {
                    debtors_done: range.start + written,
                    debtors_total: total,
                });
            }
            tracing::debug!(debtors_done = range.end, debtors_total = total, "demo batch written");
        }

        tx.analyze().await?;
        tx.insert_audit(
            org_id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "demo.generate".into(),
                entity: "organisation".into(),
                entity_key: org.slug.to_string(),
                details: serde_json::json!({ "options": opts, "summary": summary }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}

/// The slug to use, once the options are known to be in range.
fn check_options(opts: &DemoOptions) -> Result<Slug, AppError> {
    if !(1..=DEMO_DEBTORS_MAX).contains(&opts.debtors) {
        return Err(AppError::invalid(
            "debtors",
            format!("the number of debtors must be 1-{DEMO_DEBTORS_MAX}"),
        ));
    }
    if !(1..=DEMO_MONTHS_MAX).contains(&opts.months) {
        return Err(AppError::invalid(
            "months",
            format!("the history must be 1-{DEMO_MONTHS_MAX} months"),
        ));
    }
    let slug = opts
        .slug
        .clone()
        .unwrap_or_else(|| format!("demo-{}", opts.country.as_str().to_lowercase()));
    Slug::parse(&slug).map_err(|e| AppError::invalid("slug", e.to_string()))
}

/// Plans the debtors `range` (pure: the same range always gives the same plans).
fn plan_batch(ctx: &Context, range: Range<u64>) -> Vec<Planned> {
    range
        .map(|index| {
            let mut party = parties::debtor(ctx.seed, ctx.country, index);
            let input = ledger::LedgerInput { seed: ctx.seed, index, period: &ctx.period };
            let ledger = ledger::plan(&input, &mut party);
            Planned { party, ledger }
        })
        .collect()
}

/// Reserves the ids, and the payment-reference numbers, a batch needs.
async fn reserve(
    tx: &mut StoreTx,
    org: OrganisationId,
    plans: &[Planned],
) -> Result<Starts, AppError> {
    let items: usize = plans.iter().map(|p| p.ledger.items.len()).sum();
    let invoices: usize =
        plans.iter().map(|p| p.ledger.items.iter().filter(|i| !i.is_credit_note()).count()).sum();
    let payments: usize = plans.iter().map(|p| p.ledger.payments.len()).sum();
    let allocations: usize = plans
        .iter()
        .map(|p| {
            p.ledger.credits.len()
                + p.ledger.payments.iter().map(|x| x.allocations.len()).sum::<usize>()
        })
        .sum();
    Ok(Starts {
        debtor: tx.reserve_ids(org, "debtor", plans.len() as u64).await?,
        item: tx.reserve_ids(org, "invoice", items as u64).await?,
        payment: tx.reserve_ids(org, "payment", payments as u64).await?,
        allocation: tx.reserve_ids(org, "allocation", allocations as u64).await?,
        reference: tx.reserve_ids(org, "reference", invoices as u64).await?,
    })
}

fn get2<T: Copy + Default>(v: &[Vec<T>], d: u32, i: u32) -> T {
    v.get(d as usize).and_then(|x| x.get(i as usize)).copied().unwrap_or_default()
}

/// Gives every item, payment and allocation of a batch its id, in date order (then debtor,
/// then position), and payment references in invoice-id order.
fn index_batch(plans: Vec<Planned>, starts: Starts) -> Batch {
    let mut items: Vec<Key> = Vec::new();
    let mut payments: Vec<Key> = Vec::new();
    for (d, p) in (0_u32..).zip(&plans) {
        items.extend((0_u32..).zip(&p.ledger.items).map(|(i, item)| (item.issue, d, i)));
        payments.extend((0_u32..).zip(&p.ledger.payments).map(|(i, pay)| (pay.day, d, i)));
    }
    items.sort_unstable();
    payments.sort_unstable();

    let mut item_ids: Vec<Vec<i64>> = plans.iter().map(|p| vec![0; p.ledger.items.len()]).collect();
    let mut reference_bases: Vec<Vec<i64>> =
        plans.iter().map(|p| vec![0; p.ledger.items.len()]).collect();
    let mut next_reference = starts.reference;
    for (&(_, d, i), id) in items.iter().zip(starts.item..) {
        if let Some(slot) = item_ids.get_mut(d as usize).and_then(|v| v.get_mut(i as usize)) {
            *slot = id;
        }
        let is_invoice = plans
            .get(d as usize)
            .and_then(|p| p.ledger.items.get(i as usize))
            .is_some_and(|it| !it.is_credit_note());
        if is_invoice {
            if let Some(slot) =
                reference_bases.get_mut(d as usize).and_then(|v| v.get_mut(i as usize))
            {
                *slot = next_reference;
            }
            next_reference += 1;
        }
    }
    let mut payment_ids: Vec<Vec<i64>> =
        plans.iter().map(|p| vec![0; p.ledger.payments.len()]).collect();
    for (&(_, d, i), id) in payments.iter().zip(starts.payment..) {
        if let Some(slot) = payment_ids.get_mut(d as usize).and_then(|v| v.get_mut(i as usize)) {
            *slot = id;
        }
    }

    let mut allocations: Vec<AllocationKey> = Vec::new();
    for (d, p) in (0_u32..).zip(&plans) {
        for (i, pay) in (0_u32..).zip(&p.ledger.payments) {
            let pid = get2(&payment_ids, d, i);
            for (k, &(inv, _)) in (0_u32..).zip(&pay.allocations) {
                let inv = u32::try_from(inv).unwrap_or(0);
                let issue = p.ledger.items.get(inv as usize).map_or(pay.day, |it| it.issue);
                allocations.push(AllocationKey {
                    day: pay.day.max(issue),
                    source: pid * 2,
                    invoice: get2(&item_ids, d, inv),
                    debtor: d,
                    at: (i, k),
                    from_credit_note: false,
                });
            }
        }
        for (c, credit) in (0_u32..).zip(&p.ledger.credits) {
            let cn = u32::try_from(credit.credit_note).unwrap_or(0);
            let inv = u32::try_from(credit.invoice).unwrap_or(0);
            allocations.push(AllocationKey {
                day: credit.day,
                source: get2(&item_ids, d, cn) * 2 + 1,
                invoice: get2(&item_ids, d, inv),
                debtor: d,
                at: (c, 0),
                from_credit_note: true,
            });
        }
    }
    allocations.sort_unstable();
    let mut settlement = Settlement::default();
    for key in &allocations {
        let Some((source, amount, _)) = allocation_parts(&plans, key) else { continue };
        let item = settlement.items.entry(key.invoice).or_insert((0, i32::MIN));
        item.0 += amount;
        item.1 = item.1.max(key.day);
        match source {
            AllocationSource::Payment(p) => *settlement.payments.entry(p.0).or_default() += amount,
            AllocationSource::CreditNote(c) => {
                let used = settlement.items.entry(c.0).or_insert((0, i32::MIN));
                used.0 += amount;
                used.1 = used.1.max(key.day);
            }
        }
    }

    Batch {
        plans,
        debtor_start: starts.debtor,
        allocation_start: starts.allocation,
        item_ids,
        reference_bases,
        payment_ids,
        items,
        payments,
        allocations,
        settlement,
    }
}

/// The source, amount and source day (payment date, credit note issue date) of an allocation.
fn allocation_parts(
    plans: &[Planned],
    key: &AllocationKey,
) -> Option<(AllocationSource, i64, i32)> {
    let p = plans.get(key.debtor as usize)?;
    if key.from_credit_note {
        let credit = p.ledger.credits.get(key.at.0 as usize)?;
        let issued = p.ledger.items.get(credit.credit_note).map_or(key.day, |item| item.issue);
        Some((
            AllocationSource::CreditNote(InvoiceId((key.source - 1) / 2)),
            credit.amount_minor,
            issued,
        ))
    } else {
        let pay = p.ledger.payments.get(key.at.0 as usize)?;
        let amount = pay.allocations.get(key.at.1 as usize).map_or(0, |(_, a)| *a);
        Some((AllocationSource::Payment(PaymentId(key.source / 2)), amount, pay.day))
    }
}

/// What one slice takes from a batch: ranges of its items, payments and
/// allocations (each in writing order).
#[derive(Debug, Clone)]
struct Slice {
    items: Range<usize>,
    payments: Range<usize>,
    allocations: Range<usize>,
}

/// The batch cut into slices of about [`DEMO_SLICE_ITEMS`] invoices: whole days, with the
/// payments and allocations of the same days (an allocation is never dated before its invoice
/// or its payment, so both are written by then); the last slice takes everything left.
fn slice_ranges(batch: &Batch) -> Vec<Slice> {
    let mut last_days: Vec<i32> =
        batch.items.chunks(DEMO_SLICE_ITEMS).filter_map(|c| c.last().map(|k| k.0)).collect();
    last_days.dedup();
    last_days.pop();
    last_days.push(i32::MAX);
    let (mut i0, mut p0, mut a0) = (0, 0, 0);
    last_days
        .into_iter()
        .map(|day| {
            let i1 = i0 + batch.items.get(i0..).map_or(0, |r| r.partition_point(|k| k.0 <= day));
            let p1 = p0 + batch.payments.get(p0..).map_or(0, |r| r.partition_point(|k| k.0 <= day));
            let a1 =
                a0 + batch.allocations.get(a0..).map_or(0, |r| r.partition_point(|k| k.day <= day));
            let slice = Slice { items: i0..i1, payments: p0..p1, allocations: a0..a1 };
            (i0, p0, a0) = (i1, p1, a1);
            slice
        })
        .collect()
}

/// Plans the debtors `range` on a blocking thread.
fn spawn_plan(ctx: &Arc<Context>, range: Range<u64>) -> JoinHandle<(Range<u64>, Vec<Planned>)> {
    let ctx = Arc::clone(ctx);
    tokio::task::spawn_blocking(move || {
        let plans = plan_batch(&ctx, range.clone());
        (range, plans)
    })
}

/// Builds the rows of a slice on a blocking thread.
fn spawn_rows(ctx: &Arc<Context>, batch: &Arc<Batch>, slice: &Slice) -> JoinHandle<Rows> {
    let (ctx, batch, slice) = (Arc::clone(ctx), Arc::clone(batch), slice.clone());
    tokio::task::spawn_blocking(move || slice_rows(&ctx, &batch, &slice))
}

/// The result of a blocking task; a panic in it is passed on as it is.
async fn joined<T>(handle: JoinHandle<T>) -> Result<T, AppError> {
    handle.await.map_err(|e| {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        AppError::Invalid { field: None, message: "the demo generator was stopped".into() }
    })
}

impl Batch {
    fn item(&self, d: u32, i: u32) -> Option<&ledger::PlannedItem> {
        self.plans.get(d as usize).and_then(|p| p.ledger.items.get(i as usize))
    }

    /// The number of an invoice (`F2025-0001234`) or credit note (`C2025-0001240`): its id, after
    /// the year it was issued in.
    fn number(&self, period: &ledger::Period, d: u32, i: u32) -> String {
        let id = get2(&self.item_ids, d, i);
        match self.item(d, i) {
            Some(item) => {
                let year = period.date(item.issue).year();
                let letter = if item.is_credit_note() { 'C' } else { 'F' };
                format!("{letter}{year}-{id:07}")
            }
            None => String::new(),
        }
    }

    fn reference(&self, ctx: &Context, d: u32, i: u32) -> Option<PaymentReference> {
        let base = u64::try_from(get2(&self.reference_bases, d, i)).ok().filter(|b| *b > 0)?;
        reference::generate(ctx.scheme, base).ok()
    }

    fn debtor_id(&self, d: u32) -> DebtorId {
        DebtorId(self.debtor_start + i64::from(d))
    }
}

/// The batch's debtors, with a pause for an open dispute where the plan has one.
fn debtor_rows(ctx: &Context, batch: &Batch) -> Vec<(DebtorId, Debtor)> {
    (0_u32..)
        .zip(&batch.plans)
        .map(|(d, p)| {
            let mut debtor = p.party.debtor.clone();
            if let Some(pause) = p.ledger.pause {
                let invoice = u32::try_from(pause.invoice).unwrap_or(0);
                debtor.pause = Some(Pause {
                    reason: ledger::pause_reason(
                        p.party.culture.french(),
                        &batch.number(&ctx.period, d, invoice),
                        pause.reason,
                    ),
                    until: Some(ctx.period.date(pause.until)),
                });
            }
            (batch.debtor_id(d), debtor)
        })
        .collect()
}

/// The rows of one slice: the given ranges of the batch's items, payments and allocations.
fn slice_rows(ctx: &Context, batch: &Batch, slice: &Slice) -> Rows {
    let period = &ctx.period;
    let cur = ctx.currency;
    let mut rows = Rows::default();
    for &(_, d, i) in batch.items.get(slice.items.clone()).unwrap_or_default() {
        let (Some(p), Some(item)) = (batch.plans.get(d as usize), batch.item(d, i)) else {
            continue;
        };
        let french = p.party.culture.french();
        let business = p.party.debtor.kind == arflow_core::party::DebtorKind::Business;
        let credited = item.credits.and_then(|c| u32::try_from(c).ok());
        let (kind, text) = match item.text {
            ledger::ItemText::Invoice { template, order } => (
                InvoiceKind::Invoice,
                ledger::render_invoice_text(
                    template,
                    order,
                    french,
                    business,
                    period.date(item.issue),
                ),
            ),
            ledger::ItemText::Credit(reason) => (
                InvoiceKind::CreditNote,
                ledger::credit_note_text(
                    french,
                    &batch.number(period, d, credited.unwrap_or(0)),
                    reason,
                ),
            ),
        };
        let invoice = Invoice {
            number: batch.number(period, d, i),
            debtor_number: p.party.debtor.number.clone(),
            kind,
            issue_date: period.date(item.issue),
            due_date: period.date(item.due),
            amount: Money::from_minor(item.amount_minor, cur),
            amount_excl_vat: Some(Money::from_minor(item.excl_vat_minor, cur)),
            payment_reference: batch.reference(ctx, d, i).map(|r| r.normalized),
            description: Some(text),
            external_id: None,
            credits_invoice: credited.map(|c| batch.number(period, d, c)),
        };
        let credits_id = credited.map(|c| InvoiceId(get2(&batch.item_ids, d, c)));
        let id = InvoiceId(get2(&batch.item_ids, d, i));
        let (settled_amount, last_day) =
            batch.settlement.items.get(&id.0).copied().unwrap_or((0, 0));
        let open_minor = match kind {
            InvoiceKind::Invoice => item.amount_minor - settled_amount,
            InvoiceKind::CreditNote => item.amount_minor + settled_amount,
        };
        rows.balances.push(ItemBalance {
            open_minor,
            settled_on: (open_minor == 0).then(|| period.date(last_day)),
        });
        rows.items.push((id, batch.debtor_id(d), invoice, credits_id));
    }
    for &(_, d, i) in batch.payments.get(slice.payments.clone()).unwrap_or_default() {
        let Some(p) = batch.plans.get(d as usize) else { continue };
        let Some(pay) = p.ledger.payments.get(i as usize) else { continue };
        let id = PaymentId(get2(&batch.payment_ids, d, i));
        let number = |inv: usize| batch.number(period, d, u32::try_from(inv).unwrap_or(0));
        let reference_of = |inv: usize, printed: bool| {
            batch
                .reference(ctx, d, u32::try_from(inv).unwrap_or(0))
                .map(|r| if printed { r.display() } else { r.normalized })
        };
        let ibans = &p.party.debtor.ibans;
        let payment = Payment {
            date: period.date(pay.day),
            amount: Money::from_minor(pay.amount_minor, cur),
            reference: ledger::render_payment_text(
                &pay.text,
                p.party.culture.french(),
                &number,
                &reference_of,
            ),
            counterparty_iban: ibans.get(pay.iban).or(ibans.first()).cloned(),
            counterparty_name: Some(p.party.holder.clone()),
            source: PaymentSource::Bank,
            invoice_number: None,
            external_id: format!("demo:{}", id.0),
        };
        let allocated = batch.settlement.payments.get(&id.0).copied().unwrap_or(0);
        rows.unapplied.push(pay.amount_minor - allocated);
        rows.payments.push((id, batch.debtor_id(d), payment));
    }
    let allocations = batch.allocations.get(slice.allocations.clone()).unwrap_or_default();
    let first_id = batch.allocation_start + slice.allocations.start as i64;
    for (key, id) in allocations.iter().zip(first_id..) {
        let Some((source, amount_minor, source_day)) = allocation_parts(&batch.plans, key) else {
            continue;
        };
        rows.allocations.push(NewAllocation {
            id: AllocationId(id),
            invoice_id: InvoiceId(key.invoice),
            source,
            amount_minor,
            currency: cur,
            source_date: period.date(source_day.min(key.day)),
            effective_date: period.date(key.day),
            created_by: ctx.actor.clone(),
        });
    }
    rows
}

/// Writes a slice with the store's multi-row inserts. The items and payments go in with the
/// balances that every allocation of their batch gives them: the batch's allocations are all
/// written in the same transaction, so what is committed is consistent (the demo tests check it
/// with `find_balance_mismatches`), and no refresh pass is needed.
async fn write_rows(
    tx: &mut StoreTx,
    org: OrganisationId,
    rows: &Rows,
    now: i64,
) -> Result<(), AppError> {
    let items: Vec<NewInvoice<'_>> = rows
        .items
        .iter()
        .map(|(id, debtor_id, invoice, credits)| NewInvoice {
            id: *id,
            debtor_id: *debtor_id,
            invoice,
            credits_invoice_id: *credits,
        })
        .collect();
    tx.insert_invoices_with_balances(org, &items, &rows.balances, now).await?;
    let payments: Vec<NewPayment<'_>> = rows
        .payments
        .iter()
        .map(|(id, debtor_id, payment)| NewPayment {
            id: *id,
            payment,
            debtor_id: Some(*debtor_id),
        })
        .collect();
    tx.insert_payments_with_unapplied(org, &payments, &rows.unapplied, now).await?;
    tx.insert_allocations(org, &rows.allocations, now).await?;
    Ok(())
}

fn count_plans(summary: &mut DemoSummary, plans: &[Planned]) {
    for p in plans {
        summary.open_invoices += p.ledger.open_invoices();
        *summary.profiles.entry(p.ledger.profile.as_str().to_owned()).or_default() += 1;
    }
}

fn count_rows(summary: &mut DemoSummary, rows: &Rows) {
    let credit_notes =
        rows.items.iter().filter(|(_, _, i, _)| i.kind == InvoiceKind::CreditNote).count() as u64;
    summary.credit_notes += credit_notes;
    summary.invoices += rows.items.len() as u64 - credit_notes;
    summary.payments += rows.payments.len() as u64;
    summary.allocations += rows.allocations.len() as u64;
}
