//! Payment plans on a real SQLite store: a plan within the rules starts at once and holds
//! dunning, one beyond them waits for a person (accept, reject); each instalment has its own
//! valid reference; payments move the plan forward until it is completed; a missed instalment
//! is reported and then breaks the plan, which gives dunning back; the daily look is idempotent
//! and every organisation sees only its own plans. A bank credit or a payments-file row quoting
//! an instalment's reference pays the plan's open invoices, oldest due date first, once.

use std::collections::HashSet;
use std::sync::Arc;

use arflow_app::ledger::AllocateFrom;
use arflow_app::plans::{AUTOMATIC, BROKEN_TASK, FollowReport, REVIEW_TASK, ReminderKind};
use arflow_app::reconcile::StatementImport;
use arflow_app::{Actor, App, AppError, FixedClock};
use arflow_core::arrangement::{Decision, Interval, PlanStatus, ProposalInput};
use arflow_core::date::{Date, parse_iso_date};
use arflow_core::id::OrganisationId;
use arflow_core::ledger::{Invoice, InvoiceKind, Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language, OrgCountry, Pause,
};
use arflow_core::reconcile::Settings;
use arflow_core::reference::{self, ReferenceScheme};
use arflow_formats::statement::{
    BalanceCheck, Entry, Location, ParsedStatements, Statement, StructuredReference,
};
use arflow_store::{
    AllocationsOf, DebtorFilter, Page, PlanState, Store, StoredOrganisation, StoredTask,
};

fn d(text: &str) -> Date {
    parse_iso_date(text).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn staff() -> Actor {
    Actor("user:anna@example.nl".into())
}

/// Noon UTC on `day`: the same civil date in Amsterdam and Brussels.
fn noon(day: &str) -> i64 {
    d(day)
        .at(12, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_microsecond()
}

/// The same store seen on another day.
fn on(app: &App, day: &str) -> App {
    App::new(app.store.clone(), Arc::new(FixedClock(noon(day))))
}

/// A fresh database, on 2026-03-02.
async fn app() -> (App, TempDir) {
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.0.join("plans.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate(1).await.unwrap();
    (App::new(store, Arc::new(FixedClock(noon("2026-03-02")))), dir)
}

/// A temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("arflow-plans-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn debtor(number: &str) -> Debtor {
    Debtor {
        number: number.into(),
        name: format!("Klant {number}"),
        kind: DebtorKind::Business,
        country: CountryCode::NL,
        language: Language::Nl,
        emails: Vec::new(),
        phones: Vec::new(),
        address: Address { street: None, postal_code: None, city: None, country: None },
        vat_number: None,
        enterprise_number: None,
        ibans: Vec::new(),
        segments: Vec::new(),
        owner: Some("anna".into()),
        credit_limit: None,
        pause: None,
    }
}

/// An organisation with debtors `numbers`, each owing two overdue invoices: `{n}-1` of 100.00
/// and `{n}-2` of 200.00.
async fn org_with(
    app: &App,
    slug: &str,
    country: OrgCountry,
    numbers: &[&str],
) -> StoredOrganisation {
    let org =
        app.create_organisation(slug, &format!("{slug} BV"), country, &staff()).await.unwrap();
    for n in numbers {
        app.create_debtor(org.id, debtor(n), &staff()).await.unwrap();
        for (k, minor) in [(1, 100_00), (2, 200_00)] {
            let invoice = Invoice {
                number: format!("{n}-{k}"),
                debtor_number: (*n).into(),
                kind: InvoiceKind::Invoice,
                issue_date: d("2026-01-01"),
                due_date: d("2026-01-31"),
                amount: eur(minor),
                amount_excl_vat: None,
                payment_reference: None,
                description: None,
                external_id: None,
                credits_invoice: None,
            };
            app.create_invoice(org.id, invoice, &staff()).await.unwrap();
        }
    }
    org
}

fn monthly(first: &str, count: u32) -> ProposalInput {
    ProposalInput { first_due: d(first), count, interval: Interval::Monthly }
}

/// Pays `minor` to invoice `number` (a payment recorded, then allocated by a person).
async fn pay(app: &App, org: OrganisationId, number: &str, minor: i64) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let payment = Payment {
        date: d("2026-03-01"),
        amount: eur(minor),
        reference: None,
        counterparty_iban: None,
        counterparty_name: None,
        source: PaymentSource::Api,
        invoice_number: None,
        external_id: format!("pay-{n}"),
    };
    let (p, _) = app.create_payment(org, payment, &staff()).await.unwrap();
    app.allocate(org, number, AllocateFrom::Payment(p.payment.id), Some(eur(minor)), &staff())
        .await
        .unwrap();
}

async fn tasks(app: &App, org: OrganisationId, open_only: bool) -> Vec<StoredTask> {
    let mut tx = app.store.read().await.unwrap();
    tx.list_tasks(org, open_only, None, None, Page::first(1000)).await.unwrap()
}

/// The actions on debtor `number`'s timeline, oldest first.
async fn audit_of(app: &App, org: OrganisationId, number: &str) -> Vec<String> {
    let mut tx = app.store.read().await.unwrap();
    let mut out: Vec<String> = tx
        .list_audit(org, Some(("debtor", number)), Page::first(1000))
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.action)
        .collect();
    out.reverse();
    out
}

async fn in_plan(app: &App, org: OrganisationId) -> Vec<String> {
    let f = DebtorFilter { in_payment_plan: true, ..DebtorFilter::default() };
    let list = app.list_debtors(org, &f, Page::first(100)).await.unwrap();
    list.into_iter().map(|d| d.debtor.number).collect()
}

fn ids(report: &FollowReport) -> [Vec<i64>; 4] {
    let f = |v: &[arflow_app::plans::FollowedPlan]| v.iter().map(|p| p.plan_id).collect();
    [f(&report.completed), f(&report.broken), f(&report.reminders_due), f(&report.missed)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_within_the_rules_starts_at_once_and_holds_dunning() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["D1", "D2"]).await;
    let portal = Actor("portal".into());
    let proposed =
        app.propose_plan(org.id, "D1", &monthly("2026-03-10", 3), &portal, Some(7)).await.unwrap();
    assert_eq!(proposed.decision, Decision::AutoAccept);
    assert_eq!(proposed.task_id, None);
    assert!(proposed.explanation.contains("accepted automatically"), "{}", proposed.explanation);
    let plan = &proposed.plan;
    assert_eq!(
        (plan.state, plan.total, plan.interval),
        (PlanState::Active, eur(300_00), Interval::Monthly)
    );
    assert_eq!((plan.created_by.as_str(), plan.response_id), ("portal", Some(7)));
    assert_eq!(plan.decided_by.as_deref(), Some(AUTOMATIC));
    let schedule: Vec<(Date, i64)> =
        plan.instalments.iter().map(|i| (i.due, i.amount.minor())).collect();
    assert_eq!(
        schedule,
        [(d("2026-03-10"), 100_00), (d("2026-04-10"), 100_00), (d("2026-05-10"), 100_00)]
    );
    let invoices: Vec<&str> = plan.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(invoices, ["D1-1", "D1-2"], "every open invoice of the debtor, no other");
    assert_eq!((plan.open, plan.paid), (eur(300_00), eur(0)));
    assert_eq!(
        plan.status,
        PlanStatus::OnTrack { next: 0, due: d("2026-03-10"), remaining_of_next: eur(100_00) }
    );
    // Dunning holds D1's invoices; nobody has work; the timeline says what happened.
    assert_eq!(in_plan(&app, org.id).await, ["D1"]);
    assert!(tasks(&app, org.id, false).await.is_empty());
    assert_eq!(audit_of(&app, org.id, "D1").await.last().map(String::as_str), Some("plan.propose"));
    assert_eq!(app.plan_view(org.id, plan.id).await.unwrap(), *plan);
    assert_eq!(app.plans_of(org.id, "D1").await.unwrap(), std::slice::from_ref(plan));
    // One live plan per debtor.
    let again = app.propose_plan(org.id, "D1", &monthly("2026-03-10", 2), &portal, None).await;
    assert!(matches!(again, Err(AppError::Conflict { entity: "payment_plan", .. })), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_beyond_the_rules_waits_for_a_person_who_sees_the_reasons() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["D1"]).await;
    // Hard problems refuse the proposal, all at once, and store nothing.
    let bad = ProposalInput { first_due: d("2026-03-01"), count: 0, interval: Interval::Weekly };
    let err = app.propose_plan(org.id, "D1", &bad, &staff(), None).await.unwrap_err();
    assert_eq!(err.field(), Some("plan"));
    assert_eq!(
        err.to_string(),
        "A plan needs at least one instalment. The first instalment date 2026-03-01 is before \
         today, 2026-03-02."
    );
    assert!(app.plans_of(org.id, "D1").await.unwrap().is_empty());
    let unknown = app.propose_plan(org.id, "D9", &monthly("2026-03-10", 3), &staff(), None).await;
    assert!(matches!(unknown, Err(AppError::NotFound { entity: "debtor", .. })), "{unknown:?}");

    // 8 instalments (more than 6) of 37.50 starting in 40 days: a person decides.
    let proposed =
        app.propose_plan(org.id, "D1", &monthly("2026-04-11", 8), &staff(), None).await.unwrap();
    let Decision::NeedsPerson(reasons) = &proposed.decision else { panic!("{proposed:?}") };
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(
        (proposed.plan.state, proposed.plan.decided_by.as_deref()),
        (PlanState::Proposed, None)
    );
    assert_eq!(proposed.plan.created_by, staff().0);
    assert!(in_plan(&app, org.id).await.is_empty(), "dunning goes on until someone accepts");
    let open = tasks(&app, org.id, true).await;
    assert_eq!(open.len(), 1);
    let task = &open[0];
    assert_eq!(
        (Some(task.id), task.kind.as_str(), task.owner.as_deref()),
        (proposed.task_id, REVIEW_TASK, Some("anna"))
    );
    for reason in reasons {
        assert!(task.title.contains(reason.as_str()), "{} lacks {reason}", task.title);
    }
    assert!(
        task.title.contains("The plan has 8 instalments; more than 6 need a person's approval."),
        "{}",
        task.title
    );
    assert!(task.title.contains("40 days from today; the limit is 30 days."), "{}", task.title);
    assert!(
        task.title.contains("The plan runs 214 days from the first to the last instalment"),
        "{}",
        task.title
    );
    assert_eq!(audit_of(&app, org.id, "D1").await.last().map(String::as_str), Some("plan.propose"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_accepts_or_rejects_a_proposed_plan_once() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["D1", "D2"]).await;
    let one = app
        .propose_plan(org.id, "D1", &monthly("2026-03-10", 8), &staff(), None)
        .await
        .unwrap()
        .plan;
    let two = app
        .propose_plan(org.id, "D2", &monthly("2026-03-10", 8), &staff(), None)
        .await
        .unwrap()
        .plan;
    assert_eq!(tasks(&app, org.id, true).await.len(), 2);

    let bram = Actor("user:bram@example.nl".into());
    let accepted = app.accept_plan(org.id, one.id, &bram).await.unwrap();
    assert_eq!(
        (accepted.state, accepted.decided_by.as_deref(), accepted.ended_on),
        (PlanState::Active, Some(bram.0.as_str()), None)
    );
    assert_eq!(in_plan(&app, org.id).await, ["D1"]);
    let rejected = app.reject_plan(org.id, two.id, &bram).await.unwrap();
    assert_eq!((rejected.state, rejected.ended_on), (PlanState::Rejected, Some(d("2026-03-02"))));
    assert_eq!(in_plan(&app, org.id).await, ["D1"], "a rejected plan leaves dunning as it was");
    // Both decisions closed their tasks and are on the timelines.
    assert!(tasks(&app, org.id, true).await.is_empty());
    let done: Vec<Option<String>> =
        tasks(&app, org.id, false).await.into_iter().map(|t| t.outcome).collect();
    assert_eq!(done, [Some("approved".to_owned()), Some("rejected".to_owned())]);
    assert_eq!(audit_of(&app, org.id, "D1").await.last().map(String::as_str), Some("plan.accept"));
    assert_eq!(audit_of(&app, org.id, "D2").await.last().map(String::as_str), Some("plan.reject"));

    // Only a proposed plan is decided, once.
    for (id, accept) in [(one.id, true), (one.id, false), (two.id, true), (two.id, false)] {
        let r = if accept {
            app.accept_plan(org.id, id, &bram).await
        } else {
            app.reject_plan(org.id, id, &bram).await
        };
        assert!(matches!(r, Err(AppError::Invalid { .. })), "{r:?}");
    }
    assert!(matches!(
        app.accept_plan(org.id, 99, &bram).await,
        Err(AppError::NotFound { entity: "payment_plan", .. })
    ));
    // After a rejection the debtor may propose again.
    let next =
        app.propose_plan(org.id, "D2", &monthly("2026-03-10", 2), &staff(), None).await.unwrap();
    assert_eq!(next.plan.state, PlanState::Active);
    let states: Vec<PlanState> =
        app.plans_of(org.id, "D2").await.unwrap().iter().map(|p| p.state).collect();
    assert_eq!(states, [PlanState::Active, PlanState::Rejected], "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instalment_has_its_own_valid_reference_in_the_organisations_scheme() {
    let (app, _dir) = app().await;
    for (slug, country, scheme) in
        [("nl", OrgCountry::Nl, ReferenceScheme::Nl), ("be", OrgCountry::Be, ReferenceScheme::Ogm)]
    {
        let org = org_with(&app, slug, country, &["D1", "D2"]).await;
        assert_eq!(org.organisation.reference_scheme, scheme);
        let mut seen = HashSet::new();
        for n in ["D1", "D2"] {
            let plan = app
                .propose_plan(org.id, n, &monthly("2026-03-10", 6), &staff(), None)
                .await
                .unwrap()
                .plan;
            for i in &plan.instalments {
                let checked = reference::check(&i.reference).unwrap();
                assert_eq!(
                    (checked.scheme, checked.normalized.as_str()),
                    (scheme, i.reference.as_str())
                );
                assert_eq!(i.reference_display, checked.display());
                assert!(seen.insert(i.reference.clone()), "{} twice", i.reference);
                // Reconciliation finds the instalment by its reference.
                let mut tx = app.store.read().await.unwrap();
                let m = tx.find_plan_instalment(org.id, &i.reference).await.unwrap().unwrap();
                assert_eq!((m.plan_id, m.position, m.amount), (plan.id, i.position, i.amount));
                assert_eq!(m.open_items.len(), 2);
            }
        }
        assert_eq!(seen.len(), 12);
        // None equals an invoice's reference.
        let invoices = app
            .list_invoices(org.id, &arflow_store::InvoiceFilter::default(), Page::first(100))
            .await
            .unwrap();
        assert_eq!(invoices.len(), 4);
        for inv in invoices {
            let r = inv.invoice.payment_reference.unwrap();
            assert!(!seen.contains(&r), "{r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_move_the_plan_forward_until_it_is_completed() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["D1"]).await;
    let id = app
        .propose_plan(org.id, "D1", &monthly("2026-03-10", 3), &staff(), None)
        .await
        .unwrap()
        .plan
        .id;
    pay(&app, org.id, "D1-1", 60_00).await;
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.open, v.paid), (eur(240_00), eur(60_00)));
    assert_eq!(
        v.status,
        PlanStatus::OnTrack { next: 0, due: d("2026-03-10"), remaining_of_next: eur(40_00) }
    );
    // More than the first instalment counts towards the second.
    pay(&app, org.id, "D1-1", 40_00).await;
    pay(&app, org.id, "D1-2", 60_00).await;
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!(v.paid, eur(160_00));
    assert_eq!(
        v.status,
        PlanStatus::OnTrack { next: 1, due: d("2026-04-10"), remaining_of_next: eur(40_00) }
    );
    let v = on(&app, "2026-04-08").plan_view(org.id, id).await.unwrap();
    assert_eq!(
        v.status,
        PlanStatus::ReminderDue { index: 1, due: d("2026-04-10"), remaining: eur(40_00) }
    );
    assert_eq!(v.today, d("2026-04-08"));
    // The rest: paid in full, the next look completes the plan and gives the items back.
    pay(&app, org.id, "D1-2", 140_00).await;
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!(
        (v.open, v.paid, v.status, v.state),
        (eur(0), eur(300_00), PlanStatus::Completed, PlanState::Active)
    );
    let report = app.follow_plans(org.id, d("2026-03-20"), &staff()).await.unwrap();
    assert_eq!(ids(&report), [vec![id], vec![], vec![], vec![]]);
    assert_eq!(report.completed[0].debtor_number, "D1");
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.state, v.ended_on), (PlanState::Completed, Some(d("2026-03-20"))));
    assert!(in_plan(&app, org.id).await.is_empty());
    assert!(tasks(&app, org.id, false).await.is_empty(), "a completed plan needs nobody");
    assert_eq!(
        audit_of(&app, org.id, "D1").await.last().map(String::as_str),
        Some("plan.complete")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_instalment_is_reported_then_breaks_the_plan_and_dunning_resumes() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["D1"]).await;
    let id = app
        .propose_plan(org.id, "D1", &monthly("2026-03-10", 3), &staff(), None)
        .await
        .unwrap()
        .plan
        .id;
    pay(&app, org.id, "D1-1", 30_00).await;
    let scheduler = Actor("scheduler".into());
    // On track, then a reminder is due (from 3 days before the due date).
    let r = app.follow_plans(org.id, d("2026-03-06"), &scheduler).await.unwrap();
    assert_eq!((ids(&r), r.followed), ([vec![], vec![], vec![], vec![]], 1));
    let r = app.follow_plans(org.id, d("2026-03-07"), &scheduler).await.unwrap();
    assert_eq!(ids(&r), [vec![], vec![], vec![id], vec![]]);
    assert_eq!(
        r.reminders_due[0].status,
        PlanStatus::ReminderDue { index: 0, due: d("2026-03-10"), remaining: eur(70_00) }
    );
    // Missed the day after, up to the last day of grace (14 days).
    let r = app.follow_plans(org.id, d("2026-03-11"), &scheduler).await.unwrap();
    assert_eq!(ids(&r), [vec![], vec![], vec![], vec![id]]);
    let missed = PlanStatus::Missed {
        index: 0,
        due: d("2026-03-10"),
        remaining: eur(70_00),
        breaks_on: d("2026-03-25"),
    };
    assert_eq!(r.missed[0].status, missed);
    let r = app.follow_plans(org.id, d("2026-03-24"), &scheduler).await.unwrap();
    assert_eq!(ids(&r), [vec![], vec![], vec![], vec![id]]);
    assert_eq!(in_plan(&app, org.id).await, ["D1"], "still held while missed");
    assert!(tasks(&app, org.id, false).await.is_empty());
    // Broken on 2026-03-25: the items are dunned again for the rest, the owner is told.
    let r = app.follow_plans(org.id, d("2026-03-25"), &scheduler).await.unwrap();
    assert_eq!(ids(&r), [vec![], vec![id], vec![], vec![]]);
    assert_eq!(
        r.broken[0].status,
        PlanStatus::Broken { index: 0, due: d("2026-03-10"), remaining_total: eur(270_00) }
    );
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!(
        (v.state, v.ended_on, v.decided_by.as_deref()),
        (PlanState::Broken, Some(d("2026-03-25")), Some(AUTOMATIC))
    );
    assert!(in_plan(&app, org.id).await.is_empty(), "the broken plan holds nothing");
    let t = tasks(&app, org.id, true).await;
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].kind.as_str(), t[0].owner.as_deref(), t[0].due_on),
        (BROKEN_TASK, Some("anna"), d("2026-03-25"))
    );
    assert!(t[0].title.contains("EUR 270.00 of the plan is unpaid"), "{}", t[0].title);
    assert_eq!(audit_of(&app, org.id, "D1").await.last().map(String::as_str), Some("plan.break"));
    // Later days follow nothing; the debtor may propose a new plan.
    let r = app.follow_plans(org.id, d("2026-03-26"), &scheduler).await.unwrap();
    assert_eq!((ids(&r), r.followed), ([vec![], vec![], vec![], vec![]], 0));
    assert!(
        app.propose_plan(org.id, "D1", &monthly("2026-03-10", 3), &staff(), None).await.is_ok()
    );
}

/// Debtor `number` of `org` in `language`, with `email` when given, owing `{n}-1` of 100.00 and
/// `{n}-2` of 200.00.
async fn add_debtor(
    app: &App,
    org: OrganisationId,
    number: &str,
    language: Language,
    email: Option<&str>,
    pause: bool,
) {
    let mut dd = debtor(number);
    dd.language = language;
    dd.emails = email
        .map(|e| Contact { value: e.into(), purpose: ContactPurpose::Reminders })
        .into_iter()
        .collect();
    dd.pause = pause.then(|| Pause { reason: "in gesprek".into(), until: None });
    app.create_debtor(org, dd, &staff()).await.unwrap();
    for (k, minor) in [(1, 100_00), (2, 200_00)] {
        let invoice = Invoice {
            number: format!("{number}-{k}"),
            debtor_number: number.into(),
            kind: InvoiceKind::Invoice,
            issue_date: d("2026-01-01"),
            due_date: d("2026-01-31"),
            amount: eur(minor),
            amount_excl_vat: None,
            payment_reference: None,
            description: None,
            external_id: None,
            credits_invoice: None,
        };
        app.create_invoice(org, invoice, &staff()).await.unwrap();
    }
}

/// The outbox messages of debtor `number`, oldest first.
async fn messages_of(
    app: &App,
    org: OrganisationId,
    number: &str,
) -> Vec<arflow_store::StoredMessage> {
    let mut tx = app.store.read().await.unwrap();
    let mut list: Vec<_> = tx
        .list_messages(org, None, None, Page::first(1000))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.debtor_number == number)
        .collect();
    list.reverse();
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instalment_gets_one_reminder_before_it_is_due_and_one_when_it_was_missed() {
    let (app, _dir) = app().await;
    let app = app.with_public_url(Some("https://ar.example/".into()));
    let org = app.create_organisation("acme", "Acme BV", OrgCountry::Nl, &staff()).await.unwrap();
    let details = arflow_app::orgs::OrganisationDetails {
        iban: Some("NL91ABNA0417164300".into()),
        bic: Some("ABNANL2A".into()),
        ..Default::default()
    };
    app.update_organisation_details(Some("acme"), &details, &staff()).await.unwrap();
    add_debtor(&app, org.id, "NL1", Language::Nl, Some("nl1@klant.example"), false).await;
    add_debtor(&app, org.id, "FR1", Language::Fr, Some("fr1@client.example"), false).await;
    add_debtor(&app, org.id, "MUTE", Language::Nl, None, false).await;
    add_debtor(&app, org.id, "HOLD", Language::En, Some("hold@client.example"), true).await;
    let mut plans = Vec::new();
    for n in ["NL1", "FR1", "MUTE", "HOLD"] {
        let p =
            app.propose_plan(org.id, n, &monthly("2026-03-10", 3), &staff(), None).await.unwrap();
        assert_eq!(p.plan.state, PlanState::Active);
        plans.push(p.plan);
    }
    let scheduler = Actor("scheduler".into());
    // Before the reminder days: nothing.
    let r = app.follow_plans(org.id, d("2026-03-06"), &scheduler).await.unwrap();
    assert!(r.reminders.is_empty());
    assert!(messages_of(&app, org.id, "NL1").await.is_empty());

    // Three days before the due date: one e-mail to each debtor that can get one.
    let r = app.follow_plans(org.id, d("2026-03-07"), &scheduler).await.unwrap();
    let summary: Vec<(String, usize, ReminderKind, bool, Option<String>)> = r
        .reminders
        .iter()
        .map(|x| {
            (
                x.debtor_number.clone(),
                x.instalment,
                x.kind,
                x.message_id.is_some(),
                x.not_sent.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("NL1".into(), 1, ReminderKind::BeforeDue, true, None),
            ("FR1".into(), 1, ReminderKind::BeforeDue, true, None),
            (
                "MUTE".into(),
                1,
                ReminderKind::BeforeDue,
                false,
                Some("the debtor has no e-mail address".into())
            ),
            (
                "HOLD".into(),
                1,
                ReminderKind::BeforeDue,
                false,
                Some("dunning of the debtor is paused".into())
            ),
        ]
    );
    let nl = messages_of(&app, org.id, "NL1").await;
    assert_eq!(nl.len(), 1);
    let m = &nl[0].message;
    assert_eq!(
        (m.recipient.as_str(), m.language.as_str(), m.channel.as_str()),
        ("nl1@klant.example", "nl", "email")
    );
    assert_eq!(m.subject, "Herinnering: termijn 1 van uw betalingsregeling met Acme BV");
    let reference = &plans[0].instalments[0].reference_display;
    for part in [
        "Op 10 maart 2026 vervalt termijn 1 van 3 van uw betalingsregeling. Het bedrag is €\u{a0}100,00.",
        "NL91 ABNA 0417 1643 00 (BIC ABNANL2A) ten name van Acme BV",
        &format!("met betalingskenmerk {reference}."),
        "https://ar.example/p/",
    ] {
        assert!(m.text_body.contains(part), "{part} not in {}", m.text_body);
    }
    assert!(
        m.html_body.contains("border-top:6px solid")
            && m.html_body.contains("<p>Geachte heer, mevrouw,</p>"),
        "{}",
        m.html_body
    );
    assert_eq!(nl[0].status, arflow_store::MessageStatus::Planned);
    // The link in it opens the debtor's own page.
    let token = m
        .text_body
        .split("https://ar.example/p/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let opened = app.open_portal(token, None).await.unwrap().unwrap();
    assert_eq!(opened.debtor.debtor.number, "NL1");
    let fr = &messages_of(&app, org.id, "FR1").await[0].message;
    assert_eq!(fr.subject, "Rappel : échéance 1 de votre plan de paiement avec Acme BV");
    assert!(
        fr.text_body
            .contains("L'échéance 1 sur 3 de votre plan de paiement arrive le 10 mars 2026."),
        "{}",
        fr.text_body
    );
    assert!(audit_of(&app, org.id, "NL1").await.contains(&"plan.remind".to_owned()));

    // The same day again and the next days of the window: the same message, no second one.
    let again = app.follow_plans(org.id, d("2026-03-07"), &scheduler).await.unwrap();
    assert_eq!(again, r);
    let r = app.follow_plans(org.id, d("2026-03-09"), &scheduler).await.unwrap();
    assert_eq!(r.reminders[0].message_id, again.reminders[0].message_id);
    assert_eq!(messages_of(&app, org.id, "NL1").await.len(), 1);

    // FR1 pays instalment 1; NL1 does not: the day after the due date NL1 hears it was missed
    // and until when it can still pay; FR1 hears nothing until instalment 2 comes near.
    pay(&app, org.id, "FR1-1", 100_00).await;
    let r = app.follow_plans(org.id, d("2026-03-11"), &scheduler).await.unwrap();
    let nl1: Vec<_> = r.reminders.iter().filter(|x| x.debtor_number == "NL1").collect();
    assert_eq!((nl1.len(), nl1[0].kind, nl1[0].instalment), (1, ReminderKind::Missed, 1));
    assert!(r.reminders.iter().all(|x| x.debtor_number != "FR1"));
    let nl = messages_of(&app, org.id, "NL1").await;
    assert_eq!(nl.len(), 2);
    assert_eq!(
        nl[1].message.subject,
        "Termijn 1 van uw betalingsregeling met Acme BV is niet betaald"
    );
    assert!(
        nl[1].message.text_body.contains(
            "verviel op 10 maart 2026; we hebben €\u{a0}100,00 nog niet ontvangen. Betaal dit uiterlijk 24 maart 2026."
        ),
        "{}",
        nl[1].message.text_body
    );
    assert_eq!(messages_of(&app, org.id, "FR1").await.len(), 1);
    for day in ["2026-03-12", "2026-03-24"] {
        app.follow_plans(org.id, d(day), &scheduler).await.unwrap();
    }
    assert_eq!(messages_of(&app, org.id, "NL1").await.len(), 2, "one missed e-mail per instalment");
    // Instalment 2 of FR1 (due 2026-04-10): its own reminder.
    let r = app.follow_plans(org.id, d("2026-04-07"), &scheduler).await.unwrap();
    let fr1: Vec<_> = r.reminders.iter().filter(|x| x.debtor_number == "FR1").collect();
    assert_eq!((fr1[0].kind, fr1[0].instalment), (ReminderKind::BeforeDue, 2));
    let fr = messages_of(&app, org.id, "FR1").await;
    assert_eq!(fr.len(), 2);
    assert!(fr[1].message.text_body.contains("L'échéance 2 sur 3"), "{}", fr[1].message.text_body);
    // Nobody else's plan mail reached another organisation.
    let other =
        app.create_organisation("other", "Other BV", OrgCountry::Nl, &staff()).await.unwrap();
    let mut tx = app.store.read().await.unwrap();
    assert!(tx.list_messages(other.id, None, None, Page::first(10)).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_plans_twice_on_one_day_changes_nothing_and_reports_the_same() {
    let (app, _dir) = app().await;
    let org = org_with(&app, "acme", OrgCountry::Nl, &["A", "B", "C", "D", "E"]).await;
    // On 2026-03-25: A paid in full, B broken (due 03-10), C missed (due 03-20), D reminder due
    // (due 03-27), E on track (due 03-31).
    let mut ids_by_debtor = Vec::new();
    for (n, first) in [
        ("A", "2026-03-10"),
        ("B", "2026-03-10"),
        ("C", "2026-03-20"),
        ("D", "2026-03-27"),
        ("E", "2026-03-31"),
    ] {
        let plan =
            app.propose_plan(org.id, n, &monthly(first, 3), &staff(), None).await.unwrap().plan;
        assert_eq!(plan.state, PlanState::Active);
        ids_by_debtor.push(plan.id);
    }
    let [a, b, c, dd, _e] = ids_by_debtor[..] else { panic!() };
    pay(&app, org.id, "A-1", 100_00).await;
    pay(&app, org.id, "A-2", 200_00).await;
    let day = d("2026-03-25");
    let first = app.follow_plans(org.id, day, &staff()).await.unwrap();
    assert_eq!(ids(&first), [vec![a], vec![b], vec![dd], vec![c]]);
    assert_eq!(first.followed, 5);
    let tasks_after = tasks(&app, org.id, false).await;
    let audit_after: usize = {
        let mut tx = app.store.read().await.unwrap();
        tx.list_audit(org.id, None, Page::first(1000)).await.unwrap().len()
    };
    assert_eq!(tasks_after.len(), 1, "one task for the broken plan");
    let second = app.follow_plans(org.id, day, &staff()).await.unwrap();
    assert_eq!(second, first);
    assert_eq!(tasks(&app, org.id, false).await, tasks_after);
    let mut tx = app.store.read().await.unwrap();
    assert_eq!(tx.list_audit(org.id, None, Page::first(1000)).await.unwrap().len(), audit_after);
    drop(tx);
    let mut states = Vec::new();
    for id in &ids_by_debtor {
        states.push(app.plan_view(org.id, *id).await.unwrap().state);
    }
    assert_eq!(
        states,
        [
            PlanState::Completed,
            PlanState::Broken,
            PlanState::Active,
            PlanState::Active,
            PlanState::Active
        ]
    );
    assert_eq!(in_plan(&app, org.id).await, ["C", "D", "E"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_never_sees_or_changes_another_organisations_plans() {
    let (app, _dir) = app().await;
    let a = org_with(&app, "acme", OrgCountry::Nl, &["D1"]).await;
    let b = org_with(&app, "bravo", OrgCountry::Nl, &["D1"]).await;
    let plan =
        app.propose_plan(a.id, "D1", &monthly("2026-03-10", 8), &staff(), None).await.unwrap().plan;
    let not_found = |r: Result<_, AppError>| {
        matches!(r, Err(AppError::NotFound { entity: "payment_plan", .. }))
    };
    assert!(not_found(app.plan_view(b.id, plan.id).await.map(|_| ())));
    assert!(not_found(app.accept_plan(b.id, plan.id, &staff()).await.map(|_| ())));
    assert!(not_found(app.reject_plan(b.id, plan.id, &staff()).await.map(|_| ())));
    assert!(app.plans_of(b.id, "D1").await.unwrap().is_empty());
    assert!(tasks(&app, b.id, false).await.is_empty());
    // Bravo's daily look sees nothing of Acme's plan, even when it breaks.
    app.accept_plan(a.id, plan.id, &staff()).await.unwrap();
    let r = app.follow_plans(b.id, d("2026-06-01"), &staff()).await.unwrap();
    assert_eq!((ids(&r), r.followed), ([vec![], vec![], vec![], vec![]], 0));
    assert_eq!(app.plan_view(a.id, plan.id).await.unwrap().state, PlanState::Active);
    assert_eq!(in_plan(&app, a.id).await, ["D1"]);
    assert!(in_plan(&app, b.id).await.is_empty());
    // Bravo's own plan gets its own id sequence and references.
    let theirs =
        app.propose_plan(b.id, "D1", &monthly("2026-03-10", 3), &staff(), None).await.unwrap().plan;
    assert_eq!(theirs.id, plan.id, "ids are per organisation");
    assert_eq!(app.plan_view(a.id, plan.id).await.unwrap().total, eur(300_00));
    let r = app.follow_plans(a.id, d("2026-06-01"), &staff()).await.unwrap();
    assert_eq!(ids(&r), [vec![], vec![plan.id], vec![], vec![]]);
    assert_eq!(
        app.plan_view(b.id, theirs.id).await.unwrap().state,
        PlanState::Active,
        "Bravo's plan untouched"
    );
}

// ---------------------------------------------------------------------------------------------
// Paying instalments by their reference: bank statements and payments files
// ---------------------------------------------------------------------------------------------

/// An organisation whose debtor P1 pays plan `id` in 3 monthly instalments of 100.00 from
/// 2026-03-10, over two invoices: `P1-A` (180.00, due 2026-02-20, made first) and `P1-B`
/// (120.00, due 2026-01-20: the oldest, though made second).
async fn org_with_plan(app: &App, slug: &str, country: OrgCountry) -> (StoredOrganisation, i64) {
    let org =
        app.create_organisation(slug, &format!("{slug} BV"), country, &staff()).await.unwrap();
    app.create_debtor(org.id, debtor("P1"), &staff()).await.unwrap();
    for (number, minor, due) in [("P1-A", 180_00, "2026-02-20"), ("P1-B", 120_00, "2026-01-20")] {
        let invoice = Invoice {
            number: number.into(),
            debtor_number: "P1".into(),
            kind: InvoiceKind::Invoice,
            issue_date: d("2026-01-01"),
            due_date: d(due),
            amount: eur(minor),
            amount_excl_vat: None,
            payment_reference: None,
            description: None,
            external_id: None,
            credits_invoice: None,
        };
        app.create_invoice(org.id, invoice, &staff()).await.unwrap();
    }
    let plan = app
        .propose_plan(org.id, "P1", &monthly("2026-03-10", 3), &staff(), None)
        .await
        .unwrap()
        .plan;
    assert_eq!(plan.state, PlanState::Active);
    let amounts: Vec<Money> = plan.instalments.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, [eur(100_00), eur(100_00), eur(100_00)]);
    (org, plan.id)
}

/// The reference of instalment `position` (0-based) of plan `id`.
async fn instalment_reference(app: &App, org: OrganisationId, id: i64, position: usize) -> String {
    app.plan_view(org, id).await.unwrap().instalments[position].reference.clone()
}

/// A credit on the organisation's account from an unknown account: `reference` as the bank's
/// structured reference, `text` as the remittance text.
fn credit(bank_reference: &str, minor: i64, reference: Option<&str>, text: &str) -> Entry {
    Entry {
        booking_date: d("2026-03-09"),
        value_date: Some(d("2026-03-09")),
        amount: eur(minor),
        counterparty_name: None,
        counterparty_iban: Some("NL91ABNA0417164300".into()),
        counterparty_bic: None,
        reference: reference.map(|r| StructuredReference::classify(r, false).unwrap()),
        remittance: text.into(),
        end_to_end_id: None,
        bank_reference: Some(bank_reference.into()),
        transaction_code: None,
        reversal: false,
        return_reason: None,
        location: Location::Line(0),
    }
}

/// A camt.053 file with `entries`, through the real format: written as XML, read back by the
/// parser (which finds references written in the remittance text).
fn camt(entries: Vec<Entry>) -> ParsedStatements {
    let statement = Statement {
        id: Some("2026-03-09".into()),
        account: "NL02ABNA0123456789".into(),
        account_bic: None,
        account_holder: None,
        currency: Currency::EUR,
        opening_balance: None,
        closing_balance: None,
        from_date: None,
        to_date: None,
        entries,
        balance_check: BalanceCheck::NotApplicable,
        location: Location::Line(1),
    };
    let xml = arflow_formats::statement::camt::write_camt053(&[statement]);
    arflow_formats::statement::parse_any(xml.as_bytes(), None).unwrap()
}

/// Imports `file` as a statement named `name`, with the default matcher settings.
async fn import(
    app: &App,
    org: &StoredOrganisation,
    name: &str,
    file: &ParsedStatements,
) -> StatementImport {
    app.import_statements(org, name, name, file, &Settings::default(), &staff()).await.unwrap()
}

/// What is open on invoice `number`.
async fn open_on(app: &App, org: OrganisationId, number: &str) -> Money {
    let mut tx = app.store.read().await.unwrap();
    tx.find_invoice_by_number(org, number).await.unwrap().unwrap().open
}

/// The payment of bank entry `entry` with its allocations (invoice number, amount).
async fn payment_of(
    app: &App,
    org: OrganisationId,
    entry: i64,
) -> (arflow_store::StoredPayment, Vec<(String, Money)>) {
    let mut tx = app.store.read().await.unwrap();
    let pid = tx.get_bank_entry(org, entry).await.unwrap().payment_id.unwrap();
    let payment = tx.get_payment(org, pid).await.unwrap();
    let allocations = tx
        .list_allocations(org, AllocationsOf::Payment(pid))
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.invoice_number, a.amount))
        .collect();
    (payment, allocations)
}

fn allocated(list: &[(&str, i64)]) -> Vec<(String, Money)> {
    list.iter().map(|(n, m)| ((*n).to_owned(), eur(*m))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_paying_an_instalment_by_its_reference_pays_the_oldest_invoice_of_the_plan() {
    let (app, _dir) = app().await;
    let (org, id) = org_with_plan(&app, "acme", OrgCountry::Nl).await;
    let first = instalment_reference(&app, org.id, id, 0).await;
    let file = camt(vec![credit("B-1", 100_00, Some(&first), "termijn 1")]);

    let report = import(&app, &org, "day1.xml", &file).await;
    assert_eq!((report.created, report.matched_automatically), (1, 1), "{report:?}");
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.status, outcome.rule, outcome.confidence),
        (Some("matched"), Some("plan_instalment"), Some(100))
    );
    let explanation = outcome.explanation.as_deref().unwrap();
    assert!(
        explanation.contains(&format!(
            "pays instalment 1 of 3 of payment plan {id}, due 2026-03-10, EUR 100.00"
        )),
        "{explanation}"
    );
    assert!(explanation.contains("invoice P1-B (EUR 100.00)"), "{explanation}");

    // The oldest invoice by due date receives the money, not the one made first.
    let (payment, allocations) = payment_of(&app, org.id, outcome.entry_id.unwrap()).await;
    assert_eq!(allocations, allocated(&[("P1-B", 100_00)]));
    assert_eq!(payment.unapplied, eur(0));
    let p1 = app.list_debtors(org.id, &DebtorFilter::default(), Page::first(10)).await.unwrap();
    assert_eq!(payment.debtor_id, Some(p1[0].id));
    assert_eq!(
        (open_on(&app, org.id, "P1-B").await, open_on(&app, org.id, "P1-A").await),
        (eur(20_00), eur(180_00))
    );

    // The plan moved forward: the first instalment is paid, the plan is on track.
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.paid, v.open), (eur(100_00), eur(200_00)));
    assert_eq!(
        v.status,
        PlanStatus::OnTrack { next: 1, due: d("2026-04-10"), remaining_of_next: eur(100_00) }
    );

    // The same file again changes nothing.
    let again = import(&app, &org, "day1.xml", &file).await;
    assert_eq!((again.created, again.already_imported, again.matched_automatically), (0, 1, 0));
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.paid, v.open), (eur(100_00), eur(200_00)));
    assert_eq!(open_on(&app, org.id, "P1-B").await, eur(20_00));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instalment_over_two_invoices_is_split_and_what_is_paid_too_much_stays_credit_of_the_debtor()
 {
    let (app, _dir) = app().await;
    let (org, id) = org_with_plan(&app, "acme", OrgCountry::Nl).await;
    let refs: Vec<String> = app
        .plan_view(org.id, id)
        .await
        .unwrap()
        .instalments
        .iter()
        .map(|i| i.reference.clone())
        .collect();
    let debtor =
        app.list_debtors(org.id, &DebtorFilter::default(), Page::first(10)).await.unwrap()[0].id;

    // Instalments 1 and 2 in one file: the second finds what the first left open.
    let report = import(
        &app,
        &org,
        "day1.xml",
        &camt(vec![
            credit("B-1", 100_00, Some(&refs[0]), ""),
            credit("B-2", 100_00, Some(&refs[1]), ""),
        ]),
    )
    .await;
    assert_eq!(report.matched_automatically, 2, "{report:?}");
    let (_, second) = payment_of(&app, org.id, report.outcomes[1].entry_id.unwrap()).await;
    assert_eq!(second, allocated(&[("P1-B", 20_00), ("P1-A", 80_00)]));
    assert!(report.outcomes[1].explanation.as_deref().unwrap().contains("instalment 2 of 3"));
    assert_eq!(app.plan_view(org.id, id).await.unwrap().paid, eur(200_00));

    // Instalment 3 paid with 50.00 too much: the plan is paid, the rest is the debtor's credit.
    let report =
        import(&app, &org, "day2.xml", &camt(vec![credit("B-3", 150_00, Some(&refs[2]), "")]))
            .await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.status, outcome.rule, outcome.confidence),
        (Some("matched"), Some("plan_instalment"), Some(92))
    );
    assert!(
        outcome.explanation.as_deref().unwrap().contains("EUR 50.00 more than everything open")
    );
    let (payment, allocations) = payment_of(&app, org.id, outcome.entry_id.unwrap()).await;
    assert_eq!(allocations, allocated(&[("P1-A", 100_00)]));
    assert_eq!((payment.unapplied, payment.debtor_id), (eur(50_00), Some(debtor)));
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.paid, v.open, v.status), (eur(300_00), eur(0), PlanStatus::Completed));

    // The last instalment paid a second time: nothing of the plan is open, so all of it is the
    // debtor's credit, as any over-payment on a certain reference.
    let report =
        import(&app, &org, "day3.xml", &camt(vec![credit("B-4", 100_00, Some(&refs[2]), "")]))
            .await;
    let outcome = &report.outcomes[0];
    assert_eq!((outcome.status, outcome.rule), (Some("matched"), Some("plan_instalment")));
    assert!(
        outcome
            .explanation
            .as_deref()
            .unwrap()
            .contains("Nothing is open on the plan's invoices any more")
    );
    let (payment, allocations) = payment_of(&app, org.id, outcome.entry_id.unwrap()).await;
    assert!(allocations.is_empty());
    assert_eq!((payment.unapplied, payment.debtor_id), (eur(100_00), Some(debtor)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instalment_reference_written_in_the_remittance_text_is_recognised() {
    let (app, _dir) = app().await;
    let (org, id) = org_with_plan(&app, "brussel", OrgCountry::Be).await;
    let view = app.plan_view(org.id, id).await.unwrap();
    let display = &view.instalments[0].reference_display;
    assert!(display.starts_with("+++"), "{display}");
    // No structured reference from the bank: only the text, as payers type it.
    let report = import(
        &app,
        &org,
        "day1.xml",
        &camt(vec![credit("B-1", 100_00, None, &format!("afbetaling {display} P1"))]),
    )
    .await;
    assert_eq!(report.outcomes[0].rule, Some("plan_instalment"), "{report:?}");
    assert_eq!(report.matched_automatically, 1);
    assert_eq!(app.plan_view(org.id, id).await.unwrap().paid, eur(100_00));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_instalment_reference_pays_nothing_here() {
    let (app, _dir) = app().await;
    let (acme, id) = org_with_plan(&app, "acme", OrgCountry::Nl).await;
    let theirs = instalment_reference(&app, acme.id, id, 0).await;
    // Charlie has no plans: Acme's reference means nothing there.
    let charlie = org_with(&app, "charlie", OrgCountry::Nl, &["D1"]).await;
    let file = camt(vec![credit("B-1", 100_00, Some(&theirs), "")]);
    let report = import(&app, &charlie, "day1.xml", &file).await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        (report.matched_automatically, outcome.status),
        (0, Some("unmatched")),
        "{report:?}"
    );
    assert_ne!(outcome.rule, Some("plan_instalment"));
    let (payment, allocations) = payment_of(&app, charlie.id, outcome.entry_id.unwrap()).await;
    assert!(allocations.is_empty());
    assert_eq!(payment.debtor_id, None);
    for n in ["D1-1", "D1-2"] {
        assert!(open_on(&app, charlie.id, n).await.is_positive());
    }
    // Bravo's plan has the very same references (each organisation counts its own): the
    // credit pays Bravo's plan, never Acme's.
    let (bravo, bravo_plan) = org_with_plan(&app, "bravo", OrgCountry::Nl).await;
    assert_eq!(instalment_reference(&app, bravo.id, bravo_plan, 0).await, theirs);
    let report = import(&app, &bravo, "day1.xml", &file).await;
    assert_eq!(report.outcomes[0].rule, Some("plan_instalment"), "{report:?}");
    assert_eq!(app.plan_view(bravo.id, bravo_plan).await.unwrap().paid, eur(100_00));
    // Acme's plan is untouched by both.
    let v = app.plan_view(acme.id, id).await.unwrap();
    assert_eq!((v.paid, v.open), (eur(0), eur(300_00)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payments_file_quoting_instalment_references_pays_the_plan_once() {
    let (app, _dir) = app().await;
    let (org, id) = org_with_plan(&app, "acme", OrgCountry::Nl).await;
    let view = app.plan_view(org.id, id).await.unwrap();
    // The reference as people type it (with spaces); the second row spans both invoices.
    let csv = format!(
        "date,amount,currency,reference,counterparty_iban\n\
         2026-03-09,100.00,EUR,{},NL91ABNA0417164300\n\
         2026-03-10,100.00,EUR,{},NL91ABNA0417164300\n",
        view.instalments[0].reference_display, view.instalments[1].reference
    );
    let report =
        app.import_payments_csv(Some("acme"), "p.csv", csv.as_bytes(), &staff()).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.created, report.allocated), (2, 3));
    assert_eq!(
        (open_on(&app, org.id, "P1-B").await, open_on(&app, org.id, "P1-A").await),
        (eur(0), eur(100_00))
    );
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.paid, v.open), (eur(200_00), eur(100_00)));
    assert_eq!(
        v.status,
        PlanStatus::OnTrack { next: 2, due: d("2026-05-10"), remaining_of_next: eur(100_00) }
    );
    // The payer's account is learned for the plan's debtor.
    let mut tx = app.store.read().await.unwrap();
    let debtor = tx.find_debtor_ids_by_iban(org.id, "NL91ABNA0417164300").await.unwrap();
    drop(tx);
    assert_eq!(debtor, [v.debtor_id]);

    // The same file again changes nothing.
    let again =
        app.import_payments_csv(Some("acme"), "p.csv", csv.as_bytes(), &staff()).await.unwrap();
    assert_eq!((again.created, again.unchanged, again.allocated), (0, 2, 0));
    let v = app.plan_view(org.id, id).await.unwrap();
    assert_eq!((v.paid, v.open), (eur(200_00), eur(100_00)));
}
