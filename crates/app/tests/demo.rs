//! The demo generator on a real SQLite store: what it writes is valid, consistent, realistic
//! enough to exercise the reports, and the same for the same seed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arflow_app::demo::{DemoOptions, DemoProgress, DemoSummary, Profile};
use arflow_app::{Actor, App, AppError, FixedClock};
use arflow_core::date::{Date, parse_iso_date};
use arflow_core::ident::{parse_be_enterprise_number, parse_iban, parse_vat_number};
use arflow_core::kpi::AgeingBuckets;
use arflow_core::ledger::InvoiceKind;
use arflow_core::party::{CountryCode, DebtorKind, Language, OrgCountry};
use arflow_core::reference::{self, ReferenceScheme};
use arflow_store::{
    AllocationSource, AllocationsOf, DebtorFilter, InvoiceFilter, Page, PaymentFilter, Store,
    StoredAllocation, StoredDebtor, StoredInvoice, StoredOrganisation, StoredPayment,
};

/// 2026-03-30T10:00:00Z.
const NOW_MICROS: i64 = 1_774_864_800_000_000;
const DEBTORS: u32 = 300;

fn as_of() -> Date {
    parse_iso_date("2026-03-27").unwrap()
}

fn actor() -> Actor {
    Actor("test:demo".into())
}

async fn sqlite_app(name: &str) -> App {
    let dir = std::env::temp_dir().join("arflow-demo-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("{name}-{}-{nanos}.db", std::process::id()));
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate(NOW_MICROS).await.unwrap();
    App::new(store, Arc::new(FixedClock(NOW_MICROS)))
}

fn options(country: OrgCountry, seed: u64) -> DemoOptions {
    DemoOptions { debtors: DEBTORS, seed, as_of: Some(as_of()), country, ..DemoOptions::default() }
}

async fn generate(app: &App, opts: &DemoOptions) -> DemoSummary {
    app.demo(opts, &mut |_| {}, &actor()).await.unwrap()
}

/// Everything the demo wrote for one organisation.
struct Ledger {
    org: StoredOrganisation,
    debtors: Vec<StoredDebtor>,
    invoices: Vec<StoredInvoice>,
    payments: Vec<StoredPayment>,
    allocations: Vec<StoredAllocation>,
}

async fn read_all(app: &App, slug: &str) -> Ledger {
    let org = app.resolve_organisation(Some(slug)).await.unwrap();
    let mut tx = app.store.begin_read().await.unwrap();
    let mut debtors: Vec<StoredDebtor> = Vec::new();
    loop {
        let page = match debtors.last() {
            Some(d) => Page::after(d.id.0, 1000),
            None => Page::first(1000),
        };
        let more = tx.list_debtors(org.id, &DebtorFilter::default(), page).await.unwrap();
        if more.is_empty() {
            break;
        }
        debtors.extend(more);
    }
    let mut invoices: Vec<StoredInvoice> = Vec::new();
    loop {
        let page = match invoices.last() {
            Some(i) => Page::after(i.id.0, 1000),
            None => Page::first(1000),
        };
        let more = tx.list_invoices(org.id, &InvoiceFilter::default(), page).await.unwrap();
        if more.is_empty() {
            break;
        }
        invoices.extend(more);
    }
    let mut payments: Vec<StoredPayment> = Vec::new();
    loop {
        let page = match payments.last() {
            Some(p) => Page::after(p.id.0, 1000),
            None => Page::first(1000),
        };
        let more = tx.list_payments(org.id, &PaymentFilter::default(), page).await.unwrap();
        if more.is_empty() {
            break;
        }
        payments.extend(more);
    }
    let mut allocations = Vec::new();
    for p in &payments {
        allocations
            .extend(tx.list_allocations(org.id, AllocationsOf::Payment(p.id)).await.unwrap());
    }
    for cn in invoices.iter().filter(|i| i.invoice.kind == InvoiceKind::CreditNote) {
        let of_item = tx.list_allocations(org.id, AllocationsOf::Item(cn.id)).await.unwrap();
        allocations.extend(
            of_item.into_iter().filter(|a| a.source == AllocationSource::CreditNote(cn.id)),
        );
    }
    allocations.sort_by_key(|a| a.id);
    tx.rollback().await.unwrap();
    Ledger { org, debtors, invoices, payments, allocations }
}

/// A digest of every row, ids and derived balances included.
fn digest(l: &Ledger) -> String {
    let mut text = serde_json::to_string(&l.org.organisation).unwrap();
    for part in [
        serde_json::to_string(&l.debtors).unwrap(),
        serde_json::to_string(&l.invoices).unwrap(),
        serde_json::to_string(&l.payments).unwrap(),
        serde_json::to_string(&l.allocations).unwrap(),
    ] {
        text.push('\n');
        text.push_str(&part);
    }
    arflow_app::sha256_hex(text.as_bytes())
}

#[tokio::test]
async fn every_iban_vat_number_and_payment_reference_validates() {
    for country in [OrgCountry::Nl, OrgCountry::Be] {
        let app = sqlite_app("valid").await;
        let summary = generate(&app, &options(country, 7)).await;
        let l = read_all(&app, &summary.organisation).await;
        let org = &l.org.organisation;
        assert_eq!(org.reference_scheme, country.default_reference_scheme());
        assert!(parse_iban(org.iban.as_deref().unwrap()).is_ok());
        assert!(parse_vat_number(org.vat_number.as_deref().unwrap()).is_ok());
        match country {
            OrgCountry::Nl => {
                assert!(arflow_core::ident::parse_kvk(org.kvk_number.as_deref().unwrap()).is_ok())
            }
            OrgCountry::Be => assert!(
                parse_be_enterprise_number(org.enterprise_number.as_deref().unwrap()).is_ok()
            ),
        }
        for d in &l.debtors {
            assert!(!d.debtor.ibans.is_empty(), "{}", d.debtor.number);
            for iban in &d.debtor.ibans {
                assert_eq!(parse_iban(iban).as_deref(), Ok(iban.as_str()), "{}", d.debtor.number);
            }
            if let Some(vat) = &d.debtor.vat_number {
                assert_eq!(parse_vat_number(vat).as_deref(), Ok(vat.as_str()));
            }
            if let Some(e) = &d.debtor.enterprise_number {
                assert_eq!(parse_be_enterprise_number(e).as_deref(), Ok(e.as_str()));
            }
            assert_eq!(d.debtor.kind == DebtorKind::Business, d.debtor.vat_number.is_some());
            let mut normalized = d.debtor.clone();
            normalized.normalize().unwrap();
            assert_eq!(normalized, d.debtor, "a debtor as the API would accept it");
        }
        for i in &l.invoices {
            match i.invoice.kind {
                InvoiceKind::Invoice => {
                    let r = i.invoice.payment_reference.as_deref().unwrap();
                    let parsed = reference::check_as(org.reference_scheme, r).unwrap();
                    assert_eq!(parsed.normalized, r);
                }
                InvoiceKind::CreditNote => assert!(i.invoice.credits_invoice.is_some()),
            }
            i.invoice.validate().unwrap();
        }
        let structured = l
            .payments
            .iter()
            .filter(|p| {
                p.payment
                    .reference
                    .as_deref()
                    .is_some_and(|r| reference::check_as(org.reference_scheme, r).is_ok())
            })
            .count();
        assert!(
            structured * 10 >= l.payments.len() * 6,
            "{structured} of {} structured",
            l.payments.len()
        );
        for p in &l.payments {
            assert_eq!(
                parse_iban(p.payment.counterparty_iban.as_deref().unwrap()).as_deref(),
                Ok(p.payment.counterparty_iban.as_deref().unwrap())
            );
            assert!(p.payment.external_id.starts_with("demo:"));
            assert!(p.debtor_id.is_some());
        }
    }
}

#[tokio::test]
async fn invoices_fall_due_after_issue_and_nothing_is_dated_after_as_of() {
    let app = sqlite_app("dates").await;
    let summary = generate(&app, &options(OrgCountry::Nl, 11)).await;
    let l = read_all(&app, &summary.organisation).await;
    let first = parse_iso_date("2024-03-27").unwrap();
    for i in &l.invoices {
        assert!(i.invoice.due_date >= i.invoice.issue_date, "{}", i.invoice.number);
        assert!(
            i.invoice.issue_date <= as_of() && i.invoice.issue_date >= first,
            "{}",
            i.invoice.number
        );
        assert!(i.settled_on.is_none_or(|s| s <= as_of()));
    }
    for p in &l.payments {
        assert!(p.payment.date <= as_of() && p.payment.date >= first, "{}", p.payment.external_id);
    }
    let issue: HashMap<_, _> = l.invoices.iter().map(|i| (i.id, i.invoice.issue_date)).collect();
    let paid: HashMap<_, _> = l.payments.iter().map(|p| (p.id, p.payment.date)).collect();
    for a in &l.allocations {
        assert!(a.effective_date <= as_of());
        let source_date = match a.source {
            AllocationSource::Payment(p) => paid[&p],
            AllocationSource::CreditNote(c) => issue[&c],
        };
        assert_eq!(a.effective_date, source_date.max(issue[&a.invoice_id]));
    }
}

#[tokio::test]
async fn the_derived_balances_match_the_allocations_and_nothing_is_over_allocated() {
    let app = sqlite_app("balances").await;
    let summary = generate(&app, &options(OrgCountry::Nl, 12)).await;
    let l = read_all(&app, &summary.organisation).await;
    let mut tx = app.store.begin_read().await.unwrap();
    assert_eq!(tx.find_balance_mismatches(l.org.id).await.unwrap(), Vec::<String>::new());
    tx.rollback().await.unwrap();

    let mut to_invoice: HashMap<_, i64> = HashMap::new();
    let mut from_payment: HashMap<_, i64> = HashMap::new();
    let mut from_credit: HashMap<_, i64> = HashMap::new();
    for a in &l.allocations {
        assert!(a.amount.is_positive());
        *to_invoice.entry(a.invoice_id).or_default() += a.amount.minor();
        match a.source {
            AllocationSource::Payment(p) => *from_payment.entry(p).or_default() += a.amount.minor(),
            AllocationSource::CreditNote(c) => {
                *from_credit.entry(c).or_default() += a.amount.minor()
            }
        }
    }
    for i in &l.invoices {
        match i.invoice.kind {
            InvoiceKind::Invoice => {
                let allocated = to_invoice.get(&i.id).copied().unwrap_or(0);
                assert!(allocated <= i.invoice.amount.minor(), "{}", i.invoice.number);
                assert_eq!(i.open.minor(), i.invoice.amount.minor() - allocated);
            }
            InvoiceKind::CreditNote => {
                let used = from_credit.get(&i.id).copied().unwrap_or(0);
                assert!(used <= -i.invoice.amount.minor(), "{}", i.invoice.number);
                assert!(!to_invoice.contains_key(&i.id), "nothing is allocated to a credit note");
            }
        }
    }
    for p in &l.payments {
        let used = from_payment.get(&p.id).copied().unwrap_or(0);
        assert!(used <= p.payment.amount.minor(), "{}", p.payment.external_id);
        assert_eq!(p.unapplied.minor(), p.payment.amount.minor() - used);
    }
    let counted = (
        l.debtors.len() as u64,
        l.invoices.iter().filter(|i| i.invoice.kind == InvoiceKind::Invoice).count() as u64,
        l.invoices.iter().filter(|i| i.invoice.kind == InvoiceKind::CreditNote).count() as u64,
        l.payments.len() as u64,
        l.allocations.len() as u64,
        l.invoices
            .iter()
            .filter(|i| i.invoice.kind == InvoiceKind::Invoice && i.open.is_positive())
            .count() as u64,
    );
    assert_eq!(
        counted,
        (
            summary.debtors,
            summary.invoices,
            summary.credit_notes,
            summary.payments,
            summary.allocations,
            summary.open_invoices
        )
    );
}

#[tokio::test]
async fn every_payment_profile_occurs_and_shows_in_the_data() {
    let app = sqlite_app("profiles").await;
    let summary = generate(&app, &options(OrgCountry::Nl, 13)).await;
    for p in Profile::ALL {
        assert!(
            summary.profiles[p.as_str()] > 0,
            "no {} debtor in {:?}",
            p.as_str(),
            summary.profiles
        );
    }
    assert_eq!(summary.profiles.values().sum::<u64>(), u64::from(DEBTORS));
    let l = read_all(&app, &summary.organisation).await;

    // About ten invoices per debtor, about 2 % credit notes, mostly businesses.
    let per_debtor_x10 = summary.invoices * 10 / u64::from(DEBTORS);
    assert!((70..=130).contains(&per_debtor_x10), "{per_debtor_x10} tenths of invoices per debtor");
    let credit_per_mille = summary.credit_notes * 1000 / summary.invoices;
    assert!((8..=40).contains(&credit_per_mille), "{credit_per_mille} ‰ credit notes");
    let businesses = l.debtors.iter().filter(|d| d.debtor.kind == DebtorKind::Business).count();
    assert!((180..=240).contains(&businesses), "{businesses} businesses of {DEBTORS}");

    let mut payments_per_invoice: HashMap<_, u32> = HashMap::new();
    let mut invoices_per_payment: HashMap<_, u32> = HashMap::new();
    for a in &l.allocations {
        if let AllocationSource::Payment(p) = a.source {
            *payments_per_invoice.entry(a.invoice_id).or_default() += 1;
            *invoices_per_payment.entry(p).or_default() += 1;
        }
    }
    assert!(payments_per_invoice.values().any(|n| *n >= 2), "an invoice paid in parts");
    assert!(
        invoices_per_payment.values().any(|n| *n >= 2),
        "a payment run settling several invoices"
    );
    assert!(
        l.allocations.iter().any(|a| matches!(a.source, AllocationSource::CreditNote(_))),
        "a credited invoice"
    );
    assert!(
        l.payments.iter().any(|p| p.unapplied.is_positive()),
        "unapplied money from an over-payment"
    );
    let long_overdue = l
        .invoices
        .iter()
        .filter(|i| {
            i.open.is_positive()
                && arflow_core::date::days_between(i.invoice.due_date, as_of()) > 180
        })
        .count();
    assert!(long_overdue > 0, "items a defaulter left open");
    assert!(
        l.debtors.iter().any(|d| d.debtor.pause.is_some()) || summary.profiles["disputing"] < 10
    );
    let late: Vec<i32> = l
        .invoices
        .iter()
        .filter_map(|i| {
            i.settled_on.map(|s| arflow_core::date::days_between(i.invoice.due_date, s))
        })
        .collect();
    assert!(late.iter().any(|d| *d < 0), "paid before the due date");
    assert!(late.iter().any(|d| (5..=20).contains(d)), "paid a bit late");
    assert!(late.iter().any(|d| (30..=90).contains(d)), "paid very late");
    let owners: std::collections::BTreeSet<_> =
        l.debtors.iter().filter_map(|d| d.debtor.owner.clone()).collect();
    assert!(owners.len() >= 3, "{owners:?}");
    let segments: std::collections::BTreeSet<_> =
        l.debtors.iter().flat_map(|d| d.debtor.segments.clone()).collect();
    for s in ["retail", "wholesale", "horeca", "construction", "healthcare", "consumer"] {
        assert!(segments.contains(s), "segment {s} in {segments:?}");
    }
    assert!(
        l.debtors
            .iter()
            .filter(|d| d.debtor.kind == DebtorKind::Business)
            .all(|d| d.debtor.owner.is_some())
    );
}

#[tokio::test]
async fn the_ageing_on_as_of_has_open_items_in_several_buckets() {
    let app = sqlite_app("ageing").await;
    let summary = generate(&app, &options(OrgCountry::Nl, 14)).await;
    let report = app
        .ageing(Some(&summary.organisation), Some(as_of()), None, &AgeingBuckets::default(), None)
        .await
        .unwrap();
    let filled = report.buckets.iter().filter(|b| b.count > 0).count();
    assert!(filled >= 4, "{report:?}");
    assert!(report.buckets.first().is_some_and(|b| b.count > 0), "not yet due items");
    assert!(report.buckets.last().is_some_and(|b| b.count > 0), "long overdue items");
    assert_ne!(report.unapplied, "0.00");
    let dso = app.dso(Some(&summary.organisation), Some(as_of()), 90).await.unwrap();
    assert!(dso.countback_days.is_some(), "{dso:?}");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let (a, b, c) =
        (sqlite_app("same-a").await, sqlite_app("same-b").await, sqlite_app("same-c").await);
    let opts = options(OrgCountry::Be, 99);
    let sa = generate(&a, &opts).await;
    let sb = generate(&b, &opts).await;
    let sc = generate(&c, &DemoOptions { seed: 100, ..opts.clone() }).await;
    assert_eq!(sa, sb);
    let (la, lb, lc) = (
        read_all(&a, "demo-be").await,
        read_all(&b, "demo-be").await,
        read_all(&c, "demo-be").await,
    );
    assert_eq!(digest(&la), digest(&lb));
    assert_ne!(digest(&la), digest(&lc));
    assert_ne!(sa, sc);
}

#[tokio::test]
async fn a_second_demo_with_the_same_slug_is_a_conflict() {
    let app = sqlite_app("conflict").await;
    let opts =
        DemoOptions { debtors: 5, slug: Some("demo-x".into()), ..options(OrgCountry::Nl, 1) };
    generate(&app, &opts).await;
    let again = app.demo(&opts, &mut |_| {}, &actor()).await;
    assert!(matches!(again, Err(AppError::Conflict { entity: "organisation", .. })), "{again:?}");
    let other = DemoOptions { slug: Some("demo-y".into()), ..opts };
    assert!(app.demo(&other, &mut |_| {}, &actor()).await.is_ok());
}

#[tokio::test]
async fn options_out_of_range_are_refused_before_anything_is_written() {
    let app = sqlite_app("invalid").await;
    for (opts, field) in [
        (DemoOptions { debtors: 0, ..DemoOptions::default() }, "debtors"),
        (DemoOptions { months: 0, ..DemoOptions::default() }, "months"),
        (DemoOptions { slug: Some("Not A Slug".into()), ..DemoOptions::default() }, "slug"),
    ] {
        let err = app.demo(&opts, &mut |_| {}, &actor()).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(app.list_organisations().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_belgian_demo_speaks_dutch_and_french_and_uses_structured_communications() {
    let app = sqlite_app("belgian").await;
    let summary = generate(&app, &options(OrgCountry::Be, 21)).await;
    assert_eq!(summary.organisation, "demo-be");
    let l = read_all(&app, "demo-be").await;
    assert_eq!(l.org.organisation.reference_scheme, ReferenceScheme::Ogm);
    assert_eq!(l.org.organisation.time_zone, "Europe/Brussels");
    let belgian: Vec<_> =
        l.debtors.iter().filter(|d| d.debtor.country == CountryCode::BE).collect();
    let french = belgian.iter().filter(|d| d.debtor.language == Language::Fr).count();
    assert!(belgian.len() > 250, "{} Belgian debtors", belgian.len());
    let share = french * 100 / belgian.len();
    assert!((28..=55).contains(&share), "{share} % French-speaking");
    for d in &belgian {
        let pc = d.debtor.address.postal_code.as_deref().unwrap();
        assert!(pc.len() == 4 && pc.bytes().all(|b| b.is_ascii_digit()), "{pc}");
        assert!(d.debtor.ibans.iter().all(|i| i.starts_with("BE")));
        assert!(d.debtor.phones.iter().all(|p| p.value.starts_with("+32 ")));
        if d.debtor.kind == DebtorKind::Business {
            let e = d.debtor.enterprise_number.as_deref().unwrap();
            assert_eq!(d.debtor.vat_number.as_deref(), Some(format!("BE{e}").as_str()));
        }
    }
    let texts: Vec<&str> =
        l.invoices.iter().filter_map(|i| i.invoice.description.as_deref()).collect();
    assert!(texts.iter().any(|t| t.starts_with("Livraison") || t.starts_with("Commande")));
    assert!(texts.iter().any(|t| t.starts_with("Levering") || t.starts_with("Bestelling")));
}

#[tokio::test]
async fn a_dutch_demo_has_dutch_addresses_and_numbers() {
    let app = sqlite_app("dutch").await;
    let summary = generate(&app, &options(OrgCountry::Nl, 22)).await;
    let l = read_all(&app, &summary.organisation).await;
    let dutch: Vec<_> = l.debtors.iter().filter(|d| d.debtor.country == CountryCode::NL).collect();
    assert!(dutch.len() > 250);
    for d in &dutch {
        let pc = d.debtor.address.postal_code.as_deref().unwrap().as_bytes();
        assert!(pc.len() == 7 && pc[..4].iter().all(u8::is_ascii_digit) && pc[4] == b' ', "{pc:?}");
        assert!(pc[5..].iter().all(u8::is_ascii_uppercase));
        assert!(d.debtor.phones.iter().all(|p| p.value.starts_with("+31 ")));
        assert!(d.debtor.ibans.iter().all(|i| i.starts_with("NL")));
        assert_eq!(d.debtor.language, Language::Nl);
    }
    let terms: std::collections::BTreeSet<i32> = l
        .invoices
        .iter()
        .filter(|i| i.invoice.kind == InvoiceKind::Invoice)
        .map(|i| arflow_core::date::days_between(i.invoice.issue_date, i.invoice.due_date))
        .collect();
    assert_eq!(terms, [14, 30, 60].into_iter().collect());
    for i in l.invoices.iter().filter(|i| i.invoice.kind == InvoiceKind::Invoice) {
        let excl = i.invoice.amount_excl_vat.unwrap().minor();
        assert_eq!(
            i.invoice.amount.minor(),
            excl + (excl * 21 + 50) / 100,
            "21 % VAT on {}",
            i.invoice.number
        );
    }
}

#[tokio::test]
async fn the_reference_counter_and_ids_continue_after_the_demo() {
    let app = sqlite_app("counter").await;
    let summary = generate(&app, &DemoOptions { debtors: 40, ..options(OrgCountry::Nl, 5) }).await;
    let org = app.resolve_organisation(Some(&summary.organisation)).await.unwrap();
    let mut tx = app.store.begin_write().await.unwrap();
    let next_reference = tx.reserve_ids(org.id, "reference", 1).await.unwrap();
    let next_invoice = tx.reserve_ids(org.id, "invoice", 1).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(next_reference, summary.invoices as i64 + 1);
    assert_eq!(next_invoice, (summary.invoices + summary.credit_notes) as i64 + 1);
}

#[tokio::test]
async fn progress_is_reported_up_to_the_total_and_the_run_is_audited() {
    let app = sqlite_app("progress").await;
    let mut seen: Vec<DemoProgress> = Vec::new();
    let opts = DemoOptions { debtors: 50, as_of: None, ..options(OrgCountry::Nl, 3) };
    let summary = app.demo(&opts, &mut |p| seen.push(p), &actor()).await.unwrap();
    assert!(!seen.is_empty());
    assert!(seen.windows(2).all(|w| w[0].debtors_done <= w[1].debtors_done));
    assert_eq!(seen.last().map(|p| (p.debtors_done, p.debtors_total)), Some((50, 50)));
    // Without `as_of`, the history ends today in the organisation's time zone.
    assert_eq!(summary.as_of, parse_iso_date("2026-03-30").unwrap());
    let org = app.resolve_organisation(Some("demo-nl")).await.unwrap();
    let log = app.audit_log(org.id, Page::first(10)).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|(_, e)| e.action.as_str()).collect();
    assert_eq!(actions, ["demo.generate", "organisation.create"]);
    let details = &log[0].1.details;
    assert_eq!(details["options"]["debtors"], 50);
    assert_eq!(details["options"]["seed"], 3);
    assert_eq!(details["summary"]["invoices"], summary.invoices);
    let profiles: BTreeMap<String, u64> =
        serde_json::from_value(details["summary"]["profiles"].clone()).unwrap();
    assert_eq!(profiles, summary.profiles);
}
