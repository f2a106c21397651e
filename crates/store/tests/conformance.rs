//! The store conformance suite: every store method, run on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `ARFLOW_TEST_PG` (a server URL; `scripts/test` starts one). Without it
//! the PostgreSQL half fails loudly: it never skips.

use std::sync::atomic::{AtomicU32, Ordering};

use arflow_core::arrangement::Interval;
use arflow_core::date::{Date, parse_iso_date};
use arflow_core::id::*;
use arflow_core::ledger::{Invoice, InvoiceKind, Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_core::party::*;
use arflow_store::*;
use sqlx::Connection;

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("t{}_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst), nanos)
}

async fn sqlite_store() -> Store {
    let dir = std::env::temp_dir().join("arflow-store-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", unique_name()));
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate(1).await.unwrap();
    store
}

async fn postgres_store() -> Store {
    let base = std::env::var("ARFLOW_TEST_PG").expect(
        "ARFLOW_TEST_PG is not set: the PostgreSQL half of the store suite needs a server \
         (scripts/test starts one); PostgreSQL tests never skip",
    );
    let name = unique_name();
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at ARFLOW_TEST_PG={base}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => {
            format!("{}/{name}", &base[..i])
        }
        _ => format!("{base}/{name}"),
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate(1).await.unwrap();
    store
}

/// Declares one test per backend from one async body taking a `Store`.
macro_rules! conformance {
    ($($name:ident => $body:expr;)*) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let s = sqlite_store().await; ($body)(s.clone()).await; s.close().await; })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let s = postgres_store().await; ($body)(s.clone()).await; s.close().await; })*
        }
    };
}

fn d(text: &str) -> Date {
    parse_iso_date(text).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn org(slug: &str, country: OrgCountry) -> Organisation {
    Organisation::new(Slug::parse(slug).unwrap(), format!("{slug} BV"), country)
}

fn debtor(number: &str, name: &str) -> Debtor {
    Debtor {
        number: number.into(),
        name: name.into(),
        kind: DebtorKind::Business,
        country: CountryCode::NL,
        language: Language::Nl,
        emails: vec![Contact {
            value: format!("{number}@example.nl"),
            purpose: ContactPurpose::Billing,
        }],
        phones: vec![Contact { value: "+31 20 123 4567".into(), purpose: ContactPurpose::General }],
        address: Address {
            street: Some("Damrak 1".into()),
            postal_code: Some("1012 LG".into()),
            city: Some("Amsterdam".into()),
            country: Some(CountryCode::NL),
        },
        vat_number: Some("NL004495445B01".into()),
        enterprise_number: None,
        ibans: vec!["NL91ABNA0417164300".into()],
        segments: vec!["retail".into(), "key-account".into()],
        owner: Some("anna".into()),
        credit_limit: Some(eur(500_000)),
        pause: None,
    }
}

fn invoice(number: &str, debtor: &str, issue: &str, due: &str, minor: i64) -> Invoice {
    Invoice {
        number: number.into(),
        debtor_number: debtor.into(),
        kind: if minor < 0 { InvoiceKind::CreditNote } else { InvoiceKind::Invoice },
        issue_date: d(issue),
        due_date: d(due),
        amount: eur(minor),
        amount_excl_vat: None,
        payment_reference: None,
        description: Some(format!("Invoice {number}")),
        external_id: None,
        credits_invoice: None,
    }
}

fn payment(external: &str, date: &str, minor: i64) -> Payment {
    Payment {
        date: d(date),
        amount: eur(minor),
        reference: Some("betaling".into()),
        counterparty_iban: Some("NL91ABNA0417164300".into()),
        counterparty_name: Some("Bakkerij".into()),
        source: PaymentSource::Csv,
        invoice_number: None,
        external_id: external.into(),
    }
}

async fn new_org(store: &Store, slug: &str) -> OrganisationId {
    let mut tx = store.begin_write().await.unwrap();
    let id = tx.insert_organisation(&org(slug, OrgCountry::Nl), 10).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Inserts debtors D1, D2 and invoices/credit notes for D1 and D2; returns their ids.
async fn seed(store: &Store, org: OrganisationId) -> (Vec<DebtorId>, Vec<InvoiceId>) {
    let mut tx = store.begin_write().await.unwrap();
    let first = tx.reserve_ids(org, "debtor", 2).await.unwrap();
    let d1 = debtor("D1", "Bakkerij De Gouden Korst");
    let mut d2 = debtor("D2", "Garage Peeters");
    d2.segments = vec!["garage".into()];
    d2.owner = Some("bram".into());
    d2.ibans = vec![];
    let debtor_ids = vec![DebtorId(first), DebtorId(first + 1)];
    tx.insert_debtors(org, &[(debtor_ids[0], &d1), (debtor_ids[1], &d2)], 20).await.unwrap();
    let invs = [
        invoice("F1", "D1", "2026-01-01", "2026-01-31", 100_00),
        invoice("F2", "D1", "2026-02-01", "2026-03-03", 250_00),
        invoice("F3", "D2", "2026-02-10", "2026-02-24", 80_00),
        invoice("C1", "D1", "2026-02-15", "2026-02-15", -30_00),
    ];
    let first = tx.reserve_ids(org, "invoice", invs.len() as u64).await.unwrap();
    let ids: Vec<InvoiceId> = (0..invs.len() as i64).map(|i| InvoiceId(first + i)).collect();
    let rows: Vec<NewInvoice> = invs
        .iter()
        .zip(&ids)
        .map(|(inv, id)| NewInvoice {
            id: *id,
            debtor_id: if inv.debtor_number == "D1" { debtor_ids[0] } else { debtor_ids[1] },
            invoice: inv,
            credits_invoice_id: None,
        })
        .collect();
    tx.insert_invoices(org, &rows, 30).await.unwrap();
    tx.commit().await.unwrap();
    (debtor_ids, ids)
}

/// A plan of three monthly instalments from 2026-04-10 for `total`, with the references
/// `{prefix}0`, `{prefix}1`, `{prefix}2`, proposed on the portal by answer 5.
fn plan_for(
    id: i64,
    debtor: DebtorId,
    state: PlanState,
    items: &[InvoiceId],
    total: i64,
    prefix: &str,
) -> NewPaymentPlan {
    let schedule =
        arflow_core::arrangement::schedule(eur(total), d("2026-04-10"), 3, Interval::Monthly)
            .unwrap();
    NewPaymentPlan {
        id,
        debtor_id: debtor,
        state,
        total: eur(total),
        interval: Interval::Monthly,
        created_by: "portal".into(),
        response_id: Some(5),
        decided: None,
        instalments: schedule
            .iter()
            .enumerate()
            .map(|(k, i)| PlanInstalmentRow {
                position: k as u32,
                due_date: i.due,
                amount: i.amount,
                reference: format!("{prefix}{k}"),
            })
            .collect(),
        items: items.to_vec(),
    }
}

conformance! {

    daily_sales_and_payments_follow_every_write_and_explain_the_receivables => |store: Store| async move {
        let o = new_org(&store, "days").await;
        let other = new_org(&store, "other").await;
        let (debtors, invoices) = seed(&store, o).await;
        seed(&store, other).await;
        let mut tx = store.begin_write().await.unwrap();
        let first = tx.reserve_ids(o, "payment", 3).await.unwrap();
        let paid = payment("p-1", "2026-03-01", 50_00);
        let returned = payment("p-2", "2026-03-02", -20_00);
        let usd = Payment {
            amount: Money::from_minor(7_00, Currency::parse("USD").unwrap()),
            ..payment("p-3", "2026-03-01", 0)
        };
        tx.insert_payments(
            o,
            &[
                NewPayment { id: PaymentId(first), payment: &paid, debtor_id: Some(debtors[0]) },
                NewPayment { id: PaymentId(first + 1), payment: &returned, debtor_id: Some(debtors[0]) },
                NewPayment { id: PaymentId(first + 2), payment: &usd, debtor_id: None },
            ],
            40,
        )
        .await
        .unwrap();
        // Two more on a day that has sales already, in one batch with a day of their own: each
        // day's sum grows by what the batch issued on it.
        let more = tx.reserve_ids(o, "invoice", 3).await.unwrap();
        let f5 = invoice("F5", "D1", "2026-02-10", "2026-03-12", 12_00);
        let f6 = invoice("F6", "D2", "2026-02-10", "2026-03-12", 8_00);
        let c2 = invoice("C2", "D2", "2026-02-20", "2026-02-20", -5_00);
        let batch: Vec<NewInvoice<'_>> = [&f5, &f6, &c2]
            .into_iter()
            .zip(more..)
            .zip([debtors[0], debtors[1], debtors[1]])
            .map(|((inv, id), debtor_id)| NewInvoice {
                id: InvoiceId(id),
                debtor_id,
                invoice: inv,
                credits_invoice_id: None,
            })
            .collect();
        tx.insert_invoices(o, &batch, 45).await.unwrap();
        // F2 corrected: 200.00 issued on 2026-02-05 instead of 250.00 on 2026-02-01.
        let f2 = invoice("F2", "D1", "2026-02-05", "2026-03-07", 200_00);
        tx.update_invoice(
            o,
            NewInvoice { id: invoices[1], debtor_id: debtors[0], invoice: &f2, credits_invoice_id: None },
            50,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_read().await.unwrap();
        let days = tx.ledger_days(o, Currency::EUR, d("2026-12-31")).await.unwrap();
        let seen: Vec<(String, i64, i64)> =
            days.iter().map(|x| (x.day.to_string(), x.sales_minor, x.payments_minor)).collect();
        let row = |day: &str, s: i64, p: i64| (day.to_owned(), s, p);
        assert_eq!(
            seen,
            [
                row("2026-01-01", 100_00, 0),
                // What F2 was: moved away, the day stays with nothing on it.
                row("2026-02-01", 0, 0),
                row("2026-02-05", 200_00, 0),
                row("2026-02-10", 100_00, 0),
                row("2026-02-15", -30_00, 0),
                row("2026-02-20", -5_00, 0),
                row("2026-03-01", 0, 50_00),
                row("2026-03-02", 0, -20_00),
            ]
        );
        // Up to a day only; another currency apart; another organisation apart.
        assert_eq!(tx.ledger_days(o, Currency::EUR, d("2026-02-05")).await.unwrap().len(), 3);
        let usd_days = tx.ledger_days(o, Currency::parse("USD").unwrap(), d("2026-12-31")).await.unwrap();
        assert_eq!(usd_days.iter().map(|x| x.payments_minor).collect::<Vec<_>>(), [7_00]);
        let others = tx.ledger_days(other, Currency::EUR, d("2026-12-31")).await.unwrap();
        assert_eq!(others.iter().map(|x| x.sales_minor).sum::<i64>(), 400_00);
        // Receivables on any day are sales minus payments up to it: open items minus unapplied.
        for day in ["2026-01-31", "2026-02-14", "2026-03-01", "2026-03-02"] {
            let open: i64 = tx
                .ageing_totals(o, Currency::EUR, d(day), &[], None)
                .await
                .unwrap()
                .iter()
                .map(|b| b.amount_minor)
                .sum();
            let unapplied = tx.unapplied_on(o, Currency::EUR, d(day)).await.unwrap();
            let net: i64 = days
                .iter()
                .filter(|x| x.day <= d(day))
                .map(|x| x.sales_minor - x.payments_minor)
                .sum();
            assert_eq!(open - unapplied, net, "on {day}");
        }
        // Nothing waits and no run happened.
        assert_eq!(tx.work_counts(o, Currency::EUR).await.unwrap(), WorkCounts::default());
        assert_eq!(tx.run_status(o, d("2026-03-02")).await.unwrap(), None);
        assert!(tx.run_step_counts(o, d("2026-03-02")).await.unwrap().is_empty());
        tx.rollback().await.unwrap();
    };

    a_large_batch_of_invoices_is_inserted_whole_in_several_statements => |store: Store| async move {
        // More rows than one statement takes: the statements are made while the previous one
        // runs, and every row and every day's sum arrives.
        let o = new_org(&store, "bulk").await;
        let (debtors, _) = seed(&store, o).await;
        let before = store.begin_read().await.unwrap().counts(o).await.unwrap().invoices;
        let rows: Vec<Invoice> = (0..4000_i64)
            .map(|i| {
                let day = format!("2026-05-{:02}", 1 + i % 28);
                invoice(&format!("B{i:05}"), "D1", &day, "2026-07-31", 1_00 + i)
            })
            .collect();
        let mut tx = store.begin_write().await.unwrap();
        let first = tx.reserve_ids(o, "invoice", rows.len() as u64).await.unwrap();
        let batch: Vec<NewInvoice<'_>> = rows
            .iter()
            .zip(first..)
            .map(|(inv, id)| NewInvoice { id: InvoiceId(id), debtor_id: debtors[0], invoice: inv, credits_invoice_id: None })
            .collect();
        tx.insert_invoices(o, &batch, 70).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin_read().await.unwrap();
        assert_eq!(tx.counts(o).await.unwrap().invoices, before + 4000);
        let last = tx.find_invoice_by_number(o, "B03999").await.unwrap().unwrap();
        assert_eq!((last.invoice.amount, last.open), (eur(1_00 + 3999), eur(1_00 + 3999)));
        let may: i64 = tx
            .ledger_days(o, Currency::EUR, d("2026-05-31"))
            .await
            .unwrap()
            .iter()
            .filter(|x| x.day >= d("2026-05-01"))
            .map(|x| x.sales_minor)
            .sum();
        assert_eq!(may, (0..4000_i64).map(|i| 1_00 + i).sum::<i64>());
        tx.rollback().await.unwrap();
        // A number taken in the last statement fails the whole batch; nothing of it stays.
        let mut tx = store.begin_write().await.unwrap();
        let again = invoice("B03999", "D1", "2026-06-01", "2026-07-31", 5_00);
        let fresh: Vec<Invoice> = (0..3999_i64)
            .map(|i| invoice(&format!("N{i:05}"), "D1", "2026-06-01", "2026-07-31", 5_00))
            .collect();
        let first = tx.reserve_ids(o, "invoice", 4000).await.unwrap();
        let batch: Vec<NewInvoice<'_>> = fresh
            .iter()
            .chain(std::iter::once(&again))
            .zip(first..)
            .map(|(inv, id)| NewInvoice { id: InvoiceId(id), debtor_id: debtors[0], invoice: inv, credits_invoice_id: None })
            .collect();
        let err = tx.insert_invoices(o, &batch, 71).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "invoice", .. }), "{err}");
        tx.rollback().await.unwrap();
        let mut tx = store.begin_read().await.unwrap();
        assert_eq!(tx.counts(o).await.unwrap().invoices, before + 4000);
        assert_eq!(tx.find_invoice_by_number(o, "N00000").await.unwrap(), None);
    };

    bank_entries_are_stored_once_decided_once_and_feed_the_matcher => |store: Store| async move {
        let o = new_org(&store, "bank").await;
        let other = new_org(&store, "other").await;
        let (debtors, invoices) = seed(&store, o).await;
        let mut tx = store.begin_write().await.unwrap();
        // The matcher's book: open invoices only (not the credit note), with debtor names/IBANs.
        let book = tx.open_book_items(o).await.unwrap();
        let mut numbers: Vec<&str> = book.iter().map(|b| b.number.as_str()).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["F1", "F2", "F3"]);
        assert!(book.iter().all(|b| b.open_minor > 0));
        let facts = tx.debtor_match_facts(o).await.unwrap();
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].2, vec!["NL91ABNA0417164300".to_owned()]);
        assert!(tx.open_book_items(other).await.unwrap().is_empty());

        let pid = PaymentId(tx.reserve_ids(o, "payment", 1).await.unwrap());
        let p = Payment { source: PaymentSource::Bank, ..payment("NL91:ref-1", "2026-03-01", 100_00) };
        tx.insert_payments(o, &[NewPayment { id: pid, payment: &p, debtor_id: Some(debtors[0]) }], 40).await.unwrap();
        let entry = |id: i64, key: &str, minor: i64, status: BankEntryStatus, payment: Option<PaymentId>| NewBankEntry {
            id,
            entry_key: key.into(),
            content_sha256: format!("sha-{key}"),
            account: "NL02ABNA0123456789".into(),
            statement_id: Some("S1".into()),
            format: "camt053".into(),
            booking_date: d("2026-03-01"),
            value_date: Some(d("2026-03-01")),
            amount: eur(minor),
            counterparty_name: Some("Bakkerij".into()),
            counterparty_iban: Some("NL91ABNA0417164300".into()),
            counterparty_bic: None,
            reference_scheme: None,
            reference: None,
            remittance: "F1".into(),
            end_to_end_id: Some("E2E-1".into()),
            bank_reference: Some(key.into()),
            transaction_code: None,
            reversal: false,
            return_reason: None,
            status,
            payment_id: payment,
            reverses_payment_id: None,
            proposals: Some("[]".into()),
            decided_by: None,
        };
        tx.insert_bank_entries(o, &[
            entry(1, "k1", 100_00, BankEntryStatus::Review, Some(pid)),
            entry(2, "k2", -12_00, BankEntryStatus::Ignored, None),
        ], 50).await.unwrap();
        // The same key again is a conflict (the caller checks keys first).
        let err = tx.insert_bank_entries(o, &[entry(3, "k1", 1, BankEntryStatus::Unmatched, None)], 50).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let pid = PaymentId(tx.reserve_ids(o, "payment", 1).await.unwrap());
        let p = Payment { source: PaymentSource::Bank, ..payment("NL91:ref-1", "2026-03-01", 100_00) };
        tx.insert_payments(o, &[NewPayment { id: pid, payment: &p, debtor_id: Some(debtors[0]) }], 40).await.unwrap();
        tx.insert_bank_entries(o, &[
            entry(1, "k1", 100_00, BankEntryStatus::Review, Some(pid)),
            entry(2, "k2", -12_00, BankEntryStatus::Ignored, None),
        ], 50).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let keys = tx.find_bank_entry_keys(o, &["k1", "k2", "k9"]).await.unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["k1"], (1, "sha-k1".to_owned()));
        assert!(tx.find_bank_entry_keys(other, &["k1"]).await.unwrap().is_empty());
        // The account they arrived on: two entries, one waiting, net 88.00.
        let accounts = tx.bank_accounts(o).await.unwrap();
        assert_eq!(accounts, vec![BankAccountSummary {
            account: "NL02ABNA0123456789".into(),
            currency: Currency::EUR,
            entries: 2,
            waiting: 1,
            first_booking: d("2026-03-01"),
            last_booking: d("2026-03-01"),
            net_minor: 88_00,
        }]);
        assert!(tx.bank_accounts(other).await.unwrap().is_empty());
        let review = tx.list_bank_entries(o, Some(BankEntryStatus::Review), Page::first(10)).await.unwrap();
        assert_eq!(review.len(), 1);
        assert_eq!(review[0].amount, eur(100_00));
        assert_eq!(review[0].end_to_end_id.as_deref(), Some("E2E-1"));
        assert!(tx.list_bank_entries(other, None, Page::first(10)).await.unwrap().is_empty());
        assert!(matches!(tx.get_bank_entry(other, 1).await, Err(StoreError::NotFound { .. })));
        // A decision is taken once: the second finds the entry no longer in review.
        assert!(tx.decide_bank_entry(o, 1, BankEntryStatus::Review, BankEntryStatus::Matched, None, "anna", 60).await.unwrap());
        assert!(!tx.decide_bank_entry(o, 1, BankEntryStatus::Review, BankEntryStatus::Rejected, None, "bram", 61).await.unwrap());
        assert!(!tx.decide_bank_entry(other, 2, BankEntryStatus::Ignored, BankEntryStatus::Matched, None, "x", 61).await.unwrap());
        let e = tx.get_bank_entry(o, 1).await.unwrap();
        assert_eq!((e.status, e.decided_by.as_deref(), e.payment_id), (BankEntryStatus::Matched, Some("anna"), Some(pid)));

        // A return of that credit finds it by account or end-to-end id, once.
        let found = tx.find_reversed_payment(o, 100_00, Some("NL91ABNA0417164300"), None, d("2026-01-01")).await.unwrap();
        assert_eq!(found, Some((pid, 1)));
        let by_e2e = tx.find_reversed_payment(o, 100_00, None, Some("E2E-1"), d("2026-01-01")).await.unwrap();
        assert_eq!(by_e2e, Some((pid, 1)));
        assert_eq!(tx.find_reversed_payment(o, 100_00, Some("NL91ABNA0417164300"), None, d("2026-04-01")).await.unwrap(), None);
        assert_eq!(tx.find_reversed_payment(other, 100_00, Some("NL91ABNA0417164300"), None, d("2026-01-01")).await.unwrap(), None);
        assert!(tx.mark_payment_reversed(o, pid, 7).await.unwrap());
        assert!(!tx.mark_payment_reversed(o, pid, 8).await.unwrap());
        assert_eq!(tx.find_reversed_payment(o, 100_00, Some("NL91ABNA0417164300"), None, d("2026-01-01")).await.unwrap(), None);
        // An e-invoice's buyer is found by VAT number, enterprise number or exact name.
        let by_vat = tx.find_debtors_by_identity(o, Some("NL004495445B01"), None, "x").await.unwrap();
        assert_eq!(by_vat, debtors.clone());
        let by_name = tx.find_debtors_by_identity(o, Some("BE0999999999"), None, "garage PEETERS").await.unwrap();
        assert_eq!(by_name, vec![debtors[1]]);
        assert!(tx.find_debtors_by_identity(other, Some("NL004495445B01"), None, "Garage Peeters").await.unwrap().is_empty());
        let _ = invoices;
        tx.commit().await.unwrap();
    };
    migrations_are_applied_once_and_rerunning_is_a_no_op => |store: Store| async move {
        assert_eq!(store.migrate(2).await.unwrap(), Vec::<i64>::new());
        store.ping().await.unwrap();
    };

    organisations_are_created_found_listed_and_updated => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        assert_ne!(a, b);
        let mut tx = store.begin_write().await.unwrap();
        let err = tx.insert_organisation(&org("acme", OrgCountry::Be), 11).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "organisation", .. }), "{err}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let found = tx.find_organisation_by_slug("acme").await.unwrap().unwrap();
        assert_eq!(found.id, a);
        assert_eq!(found.organisation.time_zone, "Europe/Amsterdam");
        assert_eq!(tx.find_organisation_by_slug("nope").await.unwrap(), None);
        let mut changed = found.organisation.clone();
        changed.name = "Acme Holding".into();
        changed.iban = Some("NL91ABNA0417164300".into());
        tx.update_organisation(a, &changed, 12).await.unwrap();
        assert_eq!(tx.get_organisation(a).await.unwrap().organisation, changed);
        let slugs: Vec<String> = tx.list_organisations().await.unwrap().into_iter()
            .map(|o| o.organisation.slug.to_string()).collect();
        assert_eq!(slugs, vec!["acme", "bravo"]);
        assert!(matches!(tx.get_organisation(OrganisationId(999)).await, Err(StoreError::NotFound { .. })));
        tx.commit().await.unwrap();
    };

    branding_and_own_accounts_are_kept_per_organisation => |store: Store| async move {
        use arflow_core::brand::{Branding, Logo, LogoKind, OwnAccount};
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        assert_eq!(tx.branding(a).await.unwrap(), Branding::default());
        // Every byte value survives (BLOB / BYTEA), and a second write replaces the first.
        let bytes: Vec<u8> = (0..=255u8).chain(b"\x89PNG".iter().copied()).collect();
        let branded = Branding { accent_colour: Some("#aa0033".into()), logo: Some(Logo { kind: LogoKind::Png, bytes }) };
        tx.set_branding(a, &Branding { accent_colour: Some("#000000".into()), logo: None }, 1).await.unwrap();
        tx.set_branding(a, &branded, 2).await.unwrap();
        assert_eq!(tx.branding(a).await.unwrap(), branded);
        assert_eq!(tx.branding(b).await.unwrap(), Branding::default(), "another organisation's");
        tx.set_branding(a, &Branding::default(), 3).await.unwrap();
        assert_eq!(tx.branding(a).await.unwrap(), Branding::default(), "removed again");

        let ing = OwnAccount { iban: "NL69INGB0123456789".into(), bic: Some("INGBNL2A".into()), label: "ING".into(), active: true };
        let abn = OwnAccount { iban: "NL91ABNA0417164300".into(), bic: None, label: String::new(), active: true };
        tx.put_own_account(a, &ing, 4).await.unwrap();
        tx.put_own_account(a, &abn, 4).await.unwrap();
        let closed = OwnAccount { active: false, label: "ING (closed)".into(), ..ing.clone() };
        tx.put_own_account(a, &closed, 5).await.unwrap();
        assert_eq!(tx.own_accounts(a).await.unwrap(), vec![closed, abn]);
        assert!(tx.own_accounts(b).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    };

    portal_links_answers_and_disputes_stay_with_their_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (ids, iids) = seed(&store, a).await;
        let (bids, _) = seed(&store, b).await;
        let mut tx = store.begin_write().await.unwrap();
        // The installation key is made once: a second first use gets the first one.
        assert_eq!(tx.server_key("portal", &[1, 2, 3], 1).await.unwrap(), vec![1, 2, 3]);
        assert_eq!(tx.server_key("portal", &[9, 9, 9], 2).await.unwrap(), vec![1, 2, 3]);
        assert!(tx.portal_settings(a).await.unwrap().is_none());
        let settings = PortalSettingsRow { second_check: "postal_code".into(), link_days: 60, rules: "{}".into() };
        tx.set_portal_settings(a, &settings, 3).await.unwrap();
        assert_eq!(tx.portal_settings(a).await.unwrap(), Some(settings));
        assert!(tx.portal_settings(b).await.unwrap().is_none());

        tx.insert_portal_link(a, 1, ids[0], "00ff", d("2026-05-01"), 4).await.unwrap();
        tx.insert_portal_link(a, 2, ids[0], "11ee", d("2026-06-01"), 5).await.unwrap();
        tx.insert_portal_link(b, 1, bids[0], "22dd", d("2026-06-01"), 5).await.unwrap();
        let (org, link) = tx.find_portal_link("11ee").await.unwrap().unwrap();
        assert_eq!((org, link.id, link.debtor_id, link.expires_on), (a, 2, ids[0], d("2026-06-01")));
        assert_eq!(tx.find_portal_link("22dd").await.unwrap().unwrap().0, b);
        assert!(tx.find_portal_link("nope").await.unwrap().is_none());
        let links: Vec<i64> = tx.portal_links_of(a, ids[0]).await.unwrap().iter().map(|l| l.id).collect();
        assert_eq!(links, vec![2, 1]);
        assert!(tx.portal_links_of(a, ids[1]).await.unwrap().is_empty());
        assert!(tx.revoke_portal_link(a, 1, "user:anna", 6).await.unwrap());
        assert!(!tx.revoke_portal_link(a, 1, "user:anna", 7).await.unwrap(), "once");
        assert!(!tx.revoke_portal_link(b, 2, "user:x", 7).await.unwrap(), "not Bravo's link");
        tx.touch_portal_link(a, 2, 8).await.unwrap();
        let l = tx.find_portal_link("11ee").await.unwrap().unwrap().1;
        assert_eq!((l.revoked_at, l.last_used_at), (None, Some(8)));
        let l = tx.find_portal_link("00ff").await.unwrap().unwrap().1;
        assert_eq!((l.revoked_at, l.revoked_by.as_deref()), (Some(6), Some("user:anna")));

        // Answers, one with a file of every byte value.
        let file = Upload { file_name: "bewijs.pdf".into(), content_type: "application/pdf".into(), content: (0..=255u8).collect() };
        let answer = NewPortalResponse {
            debtor_id: ids[0],
            link_id: 2,
            kind: "paid".into(),
            invoice_id: Some(iids[0]),
            details: serde_json::json!({"paid_on": "2026-03-01"}),
            attachment: Some(file.clone()),
            task_id: Some(77),
        };
        tx.insert_portal_response(a, 1, &answer, 9).await.unwrap();
        tx.insert_portal_response(a, 2, &NewPortalResponse { kind: "question".into(), invoice_id: None, attachment: None, task_id: None, details: serde_json::json!({"text": "?"}), ..answer.clone() }, 10).await.unwrap();
        let got = tx.portal_responses_of(a, ids[0], 10).await.unwrap();
        assert_eq!(got.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(got[1].attachment, Some(("bewijs.pdf".into(), "application/pdf".into())));
        assert_eq!((got[1].invoice_id, got[1].task_id, &got[1].details), (Some(iids[0]), Some(77), &serde_json::json!({"paid_on": "2026-03-01"})));
        assert_eq!(tx.portal_response_file(a, 1).await.unwrap(), Some(file));
        assert_eq!(tx.portal_response_file(a, 2).await.unwrap(), None);
        assert_eq!(tx.portal_response_file(b, 1).await.unwrap(), None, "not Bravo's");
        assert!(tx.portal_responses_of(b, ids[0], 10).await.unwrap().is_empty());

        // One open dispute per invoice; resolved once; another may follow.
        let dispute = NewDispute { invoice_id: iids[1], debtor_id: ids[0], reason: "quality".into(), text: "kapot".into(), response_id: Some(1), opened_by: "portal".into() };
        tx.insert_dispute(a, 1, &dispute, 11).await.unwrap();
        let twice = tx.insert_dispute(a, 2, &dispute, 12).await.unwrap_err();
        assert!(matches!(twice, StoreError::Conflict { entity: "dispute", .. }), "{twice}");
        tx.rollback().await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_dispute(a, 1, &dispute, 11).await.unwrap();
        let open = tx.get_dispute(a, 1).await.unwrap();
        assert_eq!((open.status.as_str(), open.invoice_number.as_str(), open.reason.as_str()), ("open", "F2", "quality"));
        assert!(matches!(tx.get_dispute(b, 1).await, Err(StoreError::NotFound { .. })));
        assert!(!tx.resolve_dispute(b, 1, "upheld", None, "user:x", 12).await.unwrap());
        assert!(tx.resolve_dispute(a, 1, "credit_note", Some("C9"), "user:anna", 13).await.unwrap());
        assert!(!tx.resolve_dispute(a, 1, "rejected", None, "user:anna", 14).await.unwrap(), "once");
        tx.insert_dispute(a, 2, &NewDispute { reason: "price".into(), ..dispute.clone() }, 15).await.unwrap();
        let all = tx.disputes_of(a, ids[0]).await.unwrap();
        assert_eq!(all.iter().map(|x| (x.id, x.status.as_str())).collect::<Vec<_>>(), vec![(2, "open"), (1, "resolved")]);
        assert_eq!((all[1].resolution.as_deref(), all[1].resolution_note.as_deref(), all[1].resolved_by.as_deref()), (Some("credit_note"), Some("C9"), Some("user:anna")));
        // The dispute hold on the invoice, set and lifted.
        tx.set_item_disputed(a, iids[1], true, 16).await.unwrap();
        let f = DebtorFilter { disputed: true, ..Default::default() };
        assert_eq!(tx.list_debtors(a, &f, Page::first(10)).await.unwrap().len(), 1);
        tx.set_item_disputed(a, iids[1], false, 17).await.unwrap();
        assert!(tx.list_debtors(a, &f, Page::first(10)).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    };

    online_payments_are_found_by_the_providers_id_and_paid_once => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (ids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let p = OnlinePayment {
            id: 1,
            debtor_id: ids[0],
            link_id: 7,
            provider: "mollie".into(),
            provider_id: None,
            method: None,
            amount: eur(350_00),
            invoices: vec![iids[0], iids[1]],
            status: "open".into(),
            payment_id: None,
            created_at: 1,
            updated_at: 1,
        };
        tx.insert_online_payment(a, &p).await.unwrap();
        tx.insert_online_payment(a, &OnlinePayment { id: 2, ..p.clone() }).await.unwrap();
        assert!(tx.find_online_payment("mollie", "tr_1").await.unwrap().is_none());
        assert!(tx.set_online_provider_id(a, 1, "tr_1", 2).await.unwrap());
        assert!(!tx.set_online_provider_id(a, 1, "tr_9", 3).await.unwrap(), "set once");
        assert!(!tx.set_online_provider_id(b, 2, "tr_8", 3).await.unwrap(), "not Bravo's");
        let (org, found) = tx.find_online_payment("mollie", "tr_1").await.unwrap().unwrap();
        assert_eq!((org, found.id, found.invoices.clone(), found.amount), (a, 1, vec![iids[0], iids[1]], eur(350_00)));
        assert!(tx.find_online_payment("other", "tr_1").await.unwrap().is_none());
        tx.set_online_status(a, 1, "paid", Some("ideal"), Some(PaymentId(5)), 4).await.unwrap();
        tx.set_online_status(a, 1, "paid", None, Some(PaymentId(6)), 5).await.unwrap();
        let got = tx.get_online_payment(a, 1).await.unwrap();
        assert_eq!((got.status.as_str(), got.method.as_deref(), got.payment_id), ("paid", Some("ideal"), Some(PaymentId(5))));
        assert!(matches!(tx.get_online_payment(b, 1).await, Err(StoreError::NotFound { .. })));
        tx.commit().await.unwrap();
        // Another payment with a provider id taken already is refused.
        let mut tx = store.begin_write().await.unwrap();
        let taken = tx.set_online_provider_id(a, 2, "tr_1", 6).await.unwrap_err();
        assert!(matches!(taken, StoreError::Conflict { entity: "online_payment", .. }), "{taken}");
        tx.rollback().await.unwrap();
    };

    payment_plans_are_stored_followed_and_stay_with_their_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (ids, iids) = seed(&store, a).await;
        let (bids, biids) = seed(&store, b).await;
        let mut tx = store.begin_write().await.unwrap();
        // Acme: a proposed plan for D1 (F1 + F2) and an active one for D2 (F3).
        let proposed = plan_for(1, ids[0], PlanState::Proposed, &[iids[0], iids[1]], 350_00, "RF4710");
        tx.insert_payment_plan(a, &proposed, 40).await.unwrap();
        let active = NewPaymentPlan {
            decided: Some(("automatic".into(), 41)),
            ..plan_for(2, ids[1], PlanState::Active, &[iids[2]], 80_00, "RF4720")
        };
        tx.insert_payment_plan(a, &active, 41).await.unwrap();
        // Bravo's plan has the same id and the same references: each organisation has its own.
        let bravo = plan_for(1, bids[0], PlanState::Active, &[biids[0]], 100_00, "RF4710");
        tx.insert_payment_plan(b, &bravo, 42).await.unwrap();

        let got = tx.get_payment_plan(a, 1).await.unwrap();
        assert_eq!((got.id, got.debtor_id, got.state, got.total), (1, ids[0], PlanState::Proposed, eur(350_00)));
        assert_eq!((got.interval, got.created_at, got.created_by.as_str(), got.response_id), (Interval::Monthly, 40, "portal", Some(5)));
        assert_eq!((got.decided_at, got.decided_by.as_deref(), got.ended_on), (None, None, None));
        assert_eq!(got.instalments, proposed.instalments);
        let items: Vec<(InvoiceId, &str, Money)> = got.items.iter().map(|i| (i.invoice_id, i.number.as_str(), i.open)).collect();
        assert_eq!(items, [(iids[0], "F1", eur(100_00)), (iids[1], "F2", eur(250_00))]);
        let got = tx.get_payment_plan(a, 2).await.unwrap();
        assert_eq!((got.state, got.decided_by.as_deref(), got.decided_at), (PlanState::Active, Some("automatic"), Some(41)));
        assert_eq!(tx.get_payment_plan(b, 1).await.unwrap().total, eur(100_00), "Bravo's own plan 1");
        assert!(matches!(tx.get_payment_plan(b, 2).await, Err(StoreError::NotFound { entity: "payment_plan", .. })));
        assert!(matches!(tx.get_payment_plan(a, 99).await, Err(StoreError::NotFound { .. })));

        let plan_ids = |v: Vec<StoredPaymentPlan>| v.iter().map(|p| (p.id, p.total.minor())).collect::<Vec<_>>();
        assert_eq!(plan_ids(tx.payment_plans_of(a, ids[0]).await.unwrap()), [(1, 350_00)]);
        assert_eq!(plan_ids(tx.payment_plans_of(a, ids[1]).await.unwrap()), [(2, 80_00)]);
        assert_eq!(plan_ids(tx.payment_plans_of(b, bids[0]).await.unwrap()), [(1, 100_00)]);
        assert!(tx.payment_plans_of(b, bids[1]).await.unwrap().is_empty());
        assert_eq!(plan_ids(tx.payment_plans_in_state(a, PlanState::Active).await.unwrap()), [(2, 80_00)]);
        assert_eq!(plan_ids(tx.payment_plans_in_state(a, PlanState::Proposed).await.unwrap()), [(1, 350_00)]);
        assert_eq!(plan_ids(tx.payment_plans_in_state(b, PlanState::Active).await.unwrap()), [(1, 100_00)]);
        assert!(tx.payment_plans_in_state(b, PlanState::Proposed).await.unwrap().is_empty());
        let active = tx.payment_plans_in_state(a, PlanState::Active).await.unwrap();
        assert_eq!((active[0].instalments.len(), active[0].items.len()), (3, 1), "complete");

        // State changes: only from the state named, only in the organisation.
        assert!(!tx.set_payment_plan_state(a, 1, PlanState::Active, PlanState::Broken, "x", 50, None).await.unwrap());
        assert!(!tx.set_payment_plan_state(b, 2, PlanState::Active, PlanState::Broken, "x", 50, None).await.unwrap(), "not Bravo's");
        assert!(tx.set_payment_plan_state(a, 1, PlanState::Proposed, PlanState::Active, "user:anna", 51, None).await.unwrap());
        assert!(!tx.set_payment_plan_state(a, 1, PlanState::Proposed, PlanState::Active, "user:anna", 52, None).await.unwrap(), "once");
        assert!(tx.set_payment_plan_state(a, 1, PlanState::Active, PlanState::Completed, "scheduler", 53, Some(d("2026-06-10"))).await.unwrap());
        let got = tx.get_payment_plan(a, 1).await.unwrap();
        assert_eq!(
            (got.state, got.decided_by.as_deref(), got.decided_at, got.ended_on),
            (PlanState::Completed, Some("user:anna"), Some(51), Some(d("2026-06-10"))),
            "the decision is kept, the end is added"
        );
        assert_eq!(tx.get_payment_plan(b, 1).await.unwrap().state, PlanState::Active, "Bravo's plan 1 unchanged");
        let ended = |v: Vec<StoredPaymentPlan>| v.iter().map(|p| (p.id, p.state)).collect::<Vec<_>>();
        assert_eq!(ended(tx.payment_plans_ended_on(a, d("2026-06-10")).await.unwrap()), [(1, PlanState::Completed)]);
        assert!(tx.payment_plans_ended_on(a, d("2026-06-11")).await.unwrap().is_empty());
        assert!(tx.payment_plans_ended_on(b, d("2026-06-10")).await.unwrap().is_empty(), "not in Bravo");

        // An instalment by its reference, with the plan's items still open.
        let m = tx.find_plan_instalment(a, "RF47201").await.unwrap().unwrap();
        assert_eq!((m.plan_id, m.debtor_id, m.state, m.position), (2, ids[1], PlanState::Active, 1));
        assert_eq!((m.due_date, m.amount), (d("2026-05-10"), eur(26_67)));
        assert_eq!(m.open_items.iter().map(|i| (i.number.as_str(), i.open)).collect::<Vec<_>>(), [("F3", eur(80_00))]);
        assert!(tx.find_plan_instalment(a, "RF47999").await.unwrap().is_none());
        assert!(tx.find_plan_instalment(b, "RF47201").await.unwrap().is_none(), "not Bravo's");
        assert_eq!(tx.find_plan_instalment(b, "RF47100").await.unwrap().unwrap().open_items[0].invoice_id, biids[0]);
        // Paid items drop out of the open ones.
        let p = payment("bank:1", "2026-04-01", 80_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(ids[1]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: iids[2], source: AllocationSource::Payment(PaymentId(1)), amount_minor: 80_00, currency: Currency::EUR, source_date: d("2026-04-01"), effective_date: d("2026-04-01"), created_by: "t".into() }], 61).await.unwrap();
        tx.refresh_balances(a, &[iids[2]], &[PaymentId(1)]).await.unwrap();
        assert!(tx.find_plan_instalment(a, "RF47200").await.unwrap().unwrap().open_items.is_empty());
        assert_eq!(tx.get_payment_plan(a, 2).await.unwrap().items[0].open, eur(0));

        // The plan hold on the invoices, set and lifted, keeping a dispute.
        let in_plan = DebtorFilter { in_payment_plan: true, ..Default::default() };
        let disputed = DebtorFilter { disputed: true, ..Default::default() };
        let numbers = |v: Vec<StoredDebtor>| v.into_iter().map(|d| d.debtor.number).collect::<Vec<_>>();
        tx.set_item_disputed(a, iids[1], true, 70).await.unwrap();
        assert_eq!(tx.set_plan_items_held(a, 1, true, 71).await.unwrap(), 2);
        assert_eq!(numbers(tx.list_debtors(a, &in_plan, Page::first(10)).await.unwrap()), ["D1"]);
        assert!(tx.list_debtors(b, &in_plan, Page::first(10)).await.unwrap().is_empty(), "not in Bravo");
        assert_eq!(tx.set_plan_items_held(b, 2, true, 72).await.unwrap(), 0, "no plan 2 in Bravo");
        assert!(tx.list_debtors(b, &in_plan, Page::first(10)).await.unwrap().is_empty());
        assert_eq!(tx.set_plan_items_held(a, 1, false, 73).await.unwrap(), 2);
        assert!(tx.list_debtors(a, &in_plan, Page::first(10)).await.unwrap().is_empty());
        assert_eq!(numbers(tx.list_debtors(a, &disputed, Page::first(10)).await.unwrap()), ["D1"], "the dispute stays");
        tx.commit().await.unwrap();
    };

    plan_instalments_are_found_by_reference_in_one_batch_and_stay_with_their_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (ids, iids) = seed(&store, a).await;
        let (bids, biids) = seed(&store, b).await;
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_payment_plan(a, &plan_for(1, ids[0], PlanState::Active, &[iids[0], iids[1]], 350_00, "RF4710"), 40).await.unwrap();
        tx.insert_payment_plan(a, &plan_for(2, ids[1], PlanState::Broken, &[iids[2]], 80_00, "RF4720"), 41).await.unwrap();
        // Bravo uses the same references for its own plan.
        tx.insert_payment_plan(b, &plan_for(1, bids[0], PlanState::Active, &[biids[0]], 100_00, "RF4710"), 42).await.unwrap();

        // Several references at once; one that is no instalment's is left out.
        let found = tx.find_plan_instalments(a, &["RF47101", "RF47202", "RF47999", "RF47100"]).await.unwrap();
        let mut keys: Vec<&str> = found.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["RF47100", "RF47101", "RF47202"]);
        let m = &found["RF47101"];
        assert_eq!((m.reference.as_str(), m.plan_id, m.debtor_id, m.state), ("RF47101", 1, ids[0], PlanState::Active));
        assert_eq!((m.position, m.instalments, m.due_date, m.amount), (1, 3, d("2026-05-10"), eur(116_67)));
        assert_eq!(m.open_items.iter().map(|i| (i.invoice_id, i.open)).collect::<Vec<_>>(), [(iids[0], eur(100_00)), (iids[1], eur(250_00))]);
        let m = &found["RF47202"];
        assert_eq!((m.plan_id, m.debtor_id, m.state, m.position, m.instalments), (2, ids[1], PlanState::Broken, 2, 3));
        assert_eq!(m.open_items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), ["F3"]);
        // The single look-up says the same as the batch.
        assert_eq!(tx.find_plan_instalment(a, "RF47101").await.unwrap().as_ref(), Some(&found["RF47101"]));
        assert!(tx.find_plan_instalments(a, &[]).await.unwrap().is_empty());

        // Each organisation finds only its own instalments.
        assert!(tx.find_plan_instalments(b, &["RF47202", "RF47201"]).await.unwrap().is_empty(), "not Bravo's");
        let theirs = tx.find_plan_instalments(b, &["RF47101"]).await.unwrap();
        assert_eq!((theirs["RF47101"].debtor_id, theirs["RF47101"].open_items[0].invoice_id), (bids[0], biids[0]));

        // A paid invoice drops out of the open ones; a plan with nothing open is still found.
        let p = payment("bank:1", "2026-04-01", 100_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(ids[0]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: iids[0], source: AllocationSource::Payment(PaymentId(1)), amount_minor: 100_00, currency: Currency::EUR, source_date: d("2026-04-01"), effective_date: d("2026-04-01"), created_by: "t".into() }], 61).await.unwrap();
        let p = payment("bank:2", "2026-04-01", 80_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(2), payment: &p, debtor_id: Some(ids[1]) }], 62).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(2), invoice_id: iids[2], source: AllocationSource::Payment(PaymentId(2)), amount_minor: 80_00, currency: Currency::EUR, source_date: d("2026-04-01"), effective_date: d("2026-04-01"), created_by: "t".into() }], 63).await.unwrap();
        tx.refresh_balances(a, &[iids[0], iids[2]], &[PaymentId(1), PaymentId(2)]).await.unwrap();
        let found = tx.find_plan_instalments(a, &["RF47100", "RF47200"]).await.unwrap();
        assert_eq!(found["RF47100"].open_items.iter().map(|i| i.invoice_id).collect::<Vec<_>>(), [iids[1]]);
        assert!(found["RF47200"].open_items.is_empty());
        assert_eq!(found["RF47200"].debtor_id, ids[1]);
        tx.commit().await.unwrap();
    };

    a_plan_instalment_reference_is_unique_in_its_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (ids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_payment_plan(a, &plan_for(1, ids[0], PlanState::Active, &[iids[0]], 100_00, "RF4710"), 40).await.unwrap();
        let again = plan_for(2, ids[1], PlanState::Proposed, &[iids[2]], 80_00, "RF4710");
        let err = tx.insert_payment_plan(a, &again, 41).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "plan_reference", .. }), "{err}");
        tx.rollback().await.unwrap();
        // Nothing of the refused plan was kept; the first plan was rolled back with it.
        let mut tx = store.begin_read().await.unwrap();
        assert!(tx.payment_plans_of(a, ids[1]).await.unwrap().is_empty());
        assert!(tx.find_plan_instalment(a, "RF47100").await.unwrap().is_none());
        tx.rollback().await.unwrap();
    };

    id_counters_hand_out_disjoint_blocks_per_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        assert_eq!(tx.reserve_ids(a, "invoice", 10).await.unwrap(), 1);
        assert_eq!(tx.reserve_ids(a, "invoice", 1).await.unwrap(), 11);
        assert_eq!(tx.reserve_ids(b, "invoice", 1).await.unwrap(), 1);
        assert_eq!(tx.reserve_ids(a, "debtor", 1).await.unwrap(), 1);
        tx.commit().await.unwrap();
    };

    a_rolled_back_transaction_leaves_nothing => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_debtors(a, &[(DebtorId(1), &debtor("D1", "X"))], 1).await.unwrap();
        tx.rollback().await.unwrap();
        let mut tx = store.begin_read().await.unwrap();
        assert_eq!(tx.counts(a).await.unwrap().debtors, 0);
    };

    api_tokens_are_found_by_hash_within_their_organisation_only => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_api_token(a, TokenId(1), "ci", "abc123", "user:anna@example.nl", 5).await.unwrap();
        let t = tx.find_api_token(a, "abc123").await.unwrap().unwrap();
        assert_eq!((t.organisation_id, t.name.as_str()), (a, "ci"));
        assert_eq!(t.created_by.as_deref(), Some("user:anna@example.nl"));
        assert_eq!(tx.find_api_token(b, "abc123").await.unwrap(), None);
        assert_eq!(tx.find_api_token(a, "other").await.unwrap(), None);
        tx.commit().await.unwrap();
    };

    debtors_round_trip_with_contacts_ibans_and_segments => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (ids, _) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let found = tx.find_debtors_by_numbers(a, &["D1", "D2", "D9"]).await.unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found["D1"].debtor, debtor("D1", "Bakkerij De Gouden Korst"));
        assert_eq!(found["D1"].id, ids[0]);
        assert_eq!(tx.get_debtor(a, ids[1]).await.unwrap().debtor.segments, vec!["garage"]);
        assert_eq!(tx.find_debtor_by_number(a, "D9").await.unwrap(), None);
        let id_map = tx.find_debtor_ids(a, &["D2", "D9"]).await.unwrap();
        assert_eq!(id_map.get("D2"), Some(&ids[1]));
        assert_eq!(id_map.len(), 1);

        let err = tx.insert_debtors(a, &[(DebtorId(99), &debtor("D1", "dup"))], 1).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "debtor", .. }), "{err}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let mut changed = debtor("D1", "Bakkerij De Gouden Korst BV");
        changed.emails.push(Contact { value: "aanmaning@korst.nl".into(), purpose: ContactPurpose::Reminders });
        changed.segments = vec!["wholesale".into()];
        changed.pause = Some(Pause { reason: "dispute in progress".into(), until: Some(d("2026-04-01")) });
        tx.update_debtor(a, ids[0], &changed, 40).await.unwrap();
        let got = tx.get_debtor(a, ids[0]).await.unwrap();
        assert_eq!(got.debtor, changed);
        assert_eq!(got.updated_at, 40);
        assert!(tx.add_debtor_iban(a, ids[1], "BE68539007547034").await.unwrap());
        assert!(!tx.add_debtor_iban(a, ids[1], "BE68539007547034").await.unwrap());
        assert_eq!(tx.find_debtor_ids_by_iban(a, "BE68539007547034").await.unwrap(), vec![ids[1]]);
        assert_eq!(tx.find_debtor_ids_by_iban(a, "NL91ABNA0417164300").await.unwrap(), vec![ids[0]]);
        assert!(matches!(
            tx.update_debtor(a, DebtorId(999), &changed, 1).await,
            Err(StoreError::NotFound { .. })
        ));
        tx.commit().await.unwrap();
    };

    debtor_lists_filter_and_page => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (ids, iids) = seed(&store, a).await;
        let mut tx = store.begin_read().await.unwrap();
        let numbers = |v: Vec<StoredDebtor>| v.into_iter().map(|d| d.debtor.number).collect::<Vec<_>>();
        let all = tx.list_debtors(a, &DebtorFilter::default(), Page::first(10)).await.unwrap();
        assert_eq!(numbers(all), vec!["D1", "D2"]);
        let page = tx.list_debtors(a, &DebtorFilter::default(), Page::first(1)).await.unwrap();
        assert_eq!(page.len(), 1);
        let next = tx.list_debtors(a, &DebtorFilter::default(), Page::after(page[0].id.0, 1)).await.unwrap();
        assert_eq!(numbers(next), vec!["D2"]);
        let f = DebtorFilter { search: Some("gouden".into()), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D1"]);
        let f = DebtorFilter { search: Some("d2".into()), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D2"]);
        let f = DebtorFilter { search: Some("%".into()), ..Default::default() };
        assert!(tx.list_debtors(a, &f, Page::first(10)).await.unwrap().is_empty(), "LIKE wildcards are escaped");
        let f = DebtorFilter { segment: Some("garage".into()), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D2"]);
        let f = DebtorFilter { owner: Some("anna".into()), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D1"]);
        let f = DebtorFilter { kind: Some(DebtorKind::Consumer), ..Default::default() };
        assert!(tx.list_debtors(a, &f, Page::first(10)).await.unwrap().is_empty());
        // On 2026-02-25 only F3 (D2, due 02-24) and F1 (D1, due 01-31) are overdue.
        let f = DebtorFilter { overdue_on: Some(d("2026-02-01")), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D1"]);
        let f = DebtorFilter { paused: Some(true), ..Default::default() };
        assert!(tx.list_debtors(a, &f, Page::first(10)).await.unwrap().is_empty());
        // An ageing bucket: open invoices due 2026-02-20..2026-03-05 are F2 (D1) and F3 (D2);
        // 2026-02-20..2026-02-28 only F3.
        let f = DebtorFilter { due_between: Some((d("2026-02-20"), d("2026-03-05"))), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D1", "D2"]);
        let f = DebtorFilter { due_between: Some((d("2026-02-20"), d("2026-02-28"))), ..Default::default() };
        assert_eq!(numbers(tx.list_debtors(a, &f, Page::first(10)).await.unwrap()), vec!["D2"]);
        let _ = ids;
        tx.rollback().await.unwrap();
        // Disputes, plans and promises on open items.
        let mut tx = store.begin_write().await.unwrap();
        let flagged = |disputed, in_payment_plan, promised: Option<&str>| DebtorFilter {
            disputed,
            in_payment_plan,
            promised_from: promised.map(d),
            ..Default::default()
        };
        assert!(tx.list_debtors(a, &flagged(true, false, None), Page::first(10)).await.unwrap().is_empty());
        tx.set_item_hold(a, iids[2], &ItemHold { disputed: true, ..ItemHold::default() }, 9).await.unwrap();
        tx.set_item_hold(a, iids[0], &ItemHold { in_payment_plan: true, ..ItemHold::default() }, 9).await.unwrap();
        tx.set_item_hold(a, iids[1], &ItemHold { promised_until: Some(d("2026-03-10")), ..ItemHold::default() }, 9).await.unwrap();
        assert_eq!(numbers(tx.list_debtors(a, &flagged(true, false, None), Page::first(10)).await.unwrap()), vec!["D2"]);
        assert_eq!(numbers(tx.list_debtors(a, &flagged(false, true, None), Page::first(10)).await.unwrap()), vec!["D1"]);
        assert_eq!(numbers(tx.list_debtors(a, &flagged(false, false, Some("2026-03-10")), Page::first(10)).await.unwrap()), vec!["D1"]);
        assert!(tx.list_debtors(a, &flagged(false, false, Some("2026-03-11")), Page::first(10)).await.unwrap().is_empty());
        assert!(tx.list_debtors(a, &flagged(true, true, None), Page::first(10)).await.unwrap().is_empty(), "both at once");
        tx.rollback().await.unwrap();
        // Who owes the most: open (F1 100 + F2 250 for D1, F3 80 for D2; the credit note is not
        // owed), and overdue on a date.
        let mut tx = store.begin_read().await.unwrap();
        let eur = Currency::EUR;
        let by = |v: Vec<(DebtorId, i64)>| v;
        let all = DebtorFilter::default();
        assert!(all.is_empty());
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &all, false, 0, 10).await.unwrap()), vec![(ids[0], 350_00), (ids[1], 80_00)]);
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &all, true, 0, 10).await.unwrap()), vec![(ids[0], 100_00), (ids[1], 80_00)]);
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-01"), &all, true, 0, 10).await.unwrap()), vec![(ids[0], 100_00)]);
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &all, false, 1, 1).await.unwrap()), vec![(ids[1], 80_00)]);
        // With the list's filters: anna's debtors, and those with an item in an ageing bucket.
        let anna = DebtorFilter { owner: Some("anna".into()), ..Default::default() };
        assert!(!anna.is_empty());
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &anna, false, 0, 10).await.unwrap()), vec![(ids[0], 350_00)]);
        let bucket = DebtorFilter { due_between: Some((d("2026-02-20"), d("2026-02-28"))), ..Default::default() };
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &bucket, true, 0, 10).await.unwrap()), vec![(ids[1], 80_00)]);
        let garage = DebtorFilter { segment: Some("garage".into()), ..Default::default() };
        assert_eq!(by(tx.debtors_by_amount(a, eur, d("2026-02-25"), &garage, false, 0, 10).await.unwrap()), vec![(ids[1], 80_00)]);
        let garage_of_anna = DebtorFilter { owner: Some("anna".into()), ..garage.clone() };
        assert!(tx.debtors_by_amount(a, eur, d("2026-02-25"), &garage_of_anna, false, 0, 10).await.unwrap().is_empty());
        let nobody = DebtorFilter { search: Some("no such name".into()), ..Default::default() };
        assert!(tx.debtors_by_amount(a, eur, d("2026-02-25"), &nobody, false, 0, 10).await.unwrap().is_empty());
        let other = new_org(&store, "other").await;
        assert!(tx.debtors_by_amount(other, eur, d("2026-02-25"), &all, false, 0, 10).await.unwrap().is_empty());
        tx.rollback().await.unwrap();
    };

    invoices_round_trip_filter_and_update => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (dids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let f1 = tx.find_invoice_by_number(a, "F1").await.unwrap().unwrap();
        assert_eq!(f1.invoice, invoice("F1", "D1", "2026-01-01", "2026-01-31", 100_00));
        assert_eq!((f1.open, f1.settled_on, f1.has_document), (eur(100_00), None, false));
        assert_eq!(tx.get_invoice(a, iids[1]).await.unwrap().invoice.number, "F2");
        let many = tx.find_invoices_by_numbers(a, &["F1", "C1", "X"]).await.unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many["C1"].open, eur(-30_00));

        let err = tx
            .insert_invoices(a, &[NewInvoice { id: InvoiceId(99), debtor_id: dids[0], invoice: &f1.invoice, credits_invoice_id: None }], 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "invoice", .. }), "{err}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let numbers = |v: Vec<StoredInvoice>| v.into_iter().map(|i| i.invoice.number).collect::<Vec<_>>();
        let f = InvoiceFilter { debtor_id: Some(dids[0]), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["F1", "F2", "C1"]);
        let f = InvoiceFilter { kind: Some(InvoiceKind::CreditNote), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["C1"]);
        let f = InvoiceFilter { overdue_on: Some(d("2026-02-25")), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["F1", "F3"]);
        let f = InvoiceFilter { segment: Some("garage".into()), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["F3"]);
        let f = InvoiceFilter { owner: Some("anna".into()), status: Some(ItemStatus::Open), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["F1", "F2", "C1"]);
        let f = InvoiceFilter { issued_from: Some(d("2026-02-01")), issued_to: Some(d("2026-02-10")), ..Default::default() };
        assert_eq!(numbers(tx.list_invoices(a, &f, Page::first(10)).await.unwrap()), vec!["F2", "F3"]);
        let f = InvoiceFilter { status: Some(ItemStatus::Settled), ..Default::default() };
        assert!(tx.list_invoices(a, &f, Page::first(10)).await.unwrap().is_empty());
        let p1 = tx.list_invoices(a, &InvoiceFilter::default(), Page::first(2)).await.unwrap();
        let p2 = tx.list_invoices(a, &InvoiceFilter::default(), Page::after(p1[1].id.0, 2)).await.unwrap();
        assert_eq!(numbers(p2), vec!["F3", "C1"]);

        let mut changed = f1.invoice.clone();
        changed.due_date = d("2026-02-14");
        changed.payment_reference = Some("RF18539007547034".into());
        tx.update_invoice(a, NewInvoice { id: f1.id, debtor_id: dids[0], invoice: &changed, credits_invoice_id: None }, 50).await.unwrap();
        assert_eq!(tx.get_invoice(a, f1.id).await.unwrap().invoice, changed);
        let by_ref = tx.find_invoices_by_references(a, &["RF18539007547034"]).await.unwrap();
        assert_eq!(by_ref.len(), 1);
        assert_eq!(by_ref[0].id, f1.id);

        tx.put_invoice_document(a, f1.id, "application/pdf", "F1.pdf", b"%PDF-1.7 one").await.unwrap();
        tx.put_invoice_document(a, f1.id, "application/pdf", "F1.pdf", b"%PDF-1.7 two").await.unwrap();
        let (ct, name, bytes) = tx.find_invoice_document(a, f1.id).await.unwrap().unwrap();
        assert_eq!((ct.as_str(), name.as_str(), bytes.as_slice()), ("application/pdf", "F1.pdf", &b"%PDF-1.7 two"[..]));
        assert!(tx.get_invoice(a, f1.id).await.unwrap().has_document);
        assert_eq!(tx.find_invoice_document(a, iids[1]).await.unwrap(), None);
        tx.commit().await.unwrap();
    };

    allocations_drive_open_amounts_settlement_and_unapplied_credit => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (dids, iids) = seed(&store, a).await;
        let (f1, f2, c1) = (iids[0], iids[1], iids[3]);
        let mut tx = store.begin_write().await.unwrap();
        let p = payment("bank:1", "2026-02-05", 150_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(dids[0]) }], 60).await.unwrap();
        let err = tx.insert_payments(a, &[NewPayment { id: PaymentId(2), payment: &p, debtor_id: None }], 60).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { entity: "payment", .. }), "{err}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(dids[0]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[
            NewAllocation { id: AllocationId(1), invoice_id: f1, source: AllocationSource::Payment(PaymentId(1)), amount_minor: 100_00, currency: Currency::EUR, source_date: d("2026-02-05"), effective_date: d("2026-02-05"), created_by: "test".into() },
            NewAllocation { id: AllocationId(2), invoice_id: f2, source: AllocationSource::Payment(PaymentId(1)), amount_minor: 20_00, currency: Currency::EUR, source_date: d("2026-02-05"), effective_date: d("2026-02-05"), created_by: "test".into() },
            NewAllocation { id: AllocationId(3), invoice_id: f2, source: AllocationSource::CreditNote(c1), amount_minor: 30_00, currency: Currency::EUR, source_date: d("2026-02-15"), effective_date: d("2026-02-15"), created_by: "test".into() },
        ], 61).await.unwrap();
        tx.refresh_balances(a, &[f1, f2, c1], &[PaymentId(1)]).await.unwrap();
        let f1_row = tx.get_invoice(a, f1).await.unwrap();
        assert_eq!((f1_row.open, f1_row.settled_on), (eur(0), Some(d("2026-02-05"))));
        let f2_row = tx.get_invoice(a, f2).await.unwrap();
        assert_eq!((f2_row.open, f2_row.settled_on), (eur(200_00), None));
        let c1_row = tx.get_invoice(a, c1).await.unwrap();
        assert_eq!((c1_row.open, c1_row.settled_on), (eur(0), Some(d("2026-02-15"))));
        let pay = tx.get_payment(a, PaymentId(1)).await.unwrap();
        assert_eq!(pay.unapplied, eur(30_00));
        assert_eq!(pay.payment, p);
        assert_eq!(tx.find_payments_by_external_ids(a, &["bank:1", "x"]).await.unwrap().len(), 1);
        assert!(tx.find_balance_mismatches(a).await.unwrap().is_empty());

        let of_f2 = tx.list_allocations(a, AllocationsOf::Item(f2)).await.unwrap();
        assert_eq!(of_f2.len(), 2);
        assert_eq!(of_f2[1].credit_note_number.as_deref(), Some("C1"));
        assert_eq!(tx.list_allocations(a, AllocationsOf::Item(c1)).await.unwrap().len(), 1);
        assert_eq!(tx.list_allocations(a, AllocationsOf::Payment(PaymentId(1))).await.unwrap().len(), 2);
        // An item and its allocations in one statement: what the two look-ups give.
        for (number, count) in [("F1", 1), ("F2", 2), ("C1", 1), ("F3", 0)] {
            let (inv, allocs) = tx.find_invoice_with_allocations(a, number).await.unwrap().unwrap();
            assert_eq!(Some(&inv), tx.find_invoice_by_number(a, number).await.unwrap().as_ref());
            assert_eq!(allocs, tx.list_allocations(a, AllocationsOf::Item(inv.id)).await.unwrap());
            assert_eq!(allocs.len(), count, "{number}");
        }
        assert_eq!(tx.find_invoice_with_allocations(a, "F9").await.unwrap(), None);
        assert_eq!(tx.find_invoice_with_allocations(b, "F2").await.unwrap(), None);
        // Batched: only allocations *to* the items, per item oldest first, no other organisation's.
        let batch = tx.list_allocations_to_items(a, &[f1, f2, c1]).await.unwrap();
        let seen: Vec<(InvoiceId, i64)> = batch.iter().map(|x| (x.invoice_id, x.amount.minor())).collect();
        assert_eq!(seen, vec![(f1, 100_00), (f2, 20_00), (f2, 30_00)]);
        assert!(tx.list_allocations_to_items(b, &[f1, f2]).await.unwrap().is_empty());
        assert!(tx.list_allocations_to_items(a, &[]).await.unwrap().is_empty());

        let f = PaymentFilter { unapplied: Some(true), ..Default::default() };
        assert_eq!(tx.list_payments(a, &f, Page::first(10)).await.unwrap().len(), 1);
        let f = PaymentFilter { debtor_id: Some(dids[1]), ..Default::default() };
        assert!(tx.list_payments(a, &f, Page::first(10)).await.unwrap().is_empty());
        let f = PaymentFilter { from: Some(d("2026-02-06")), ..Default::default() };
        assert!(tx.list_payments(a, &f, Page::first(10)).await.unwrap().is_empty());
        tx.set_payment_debtor(a, PaymentId(1), Some(dids[1])).await.unwrap();
        assert_eq!(tx.get_payment(a, PaymentId(1)).await.unwrap().debtor_id, Some(dids[1]));

        let removed = tx.delete_allocation(a, AllocationId(1)).await.unwrap();
        assert_eq!(removed.amount, eur(100_00));
        assert_eq!(tx.get_invoice(a, f1).await.unwrap().open, eur(100_00));
        assert_eq!(tx.get_payment(a, PaymentId(1)).await.unwrap().unapplied, eur(130_00));
        assert!(matches!(tx.delete_allocation(a, AllocationId(1)).await, Err(StoreError::NotFound { .. })));
        tx.refresh_all_balances(a).await.unwrap();
        assert!(tx.find_balance_mismatches(a).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        // The look-up on its own (on a SQLite file: on the caller's thread) gives what the
        // session's gives, and no other organisation's.
        let mut tx = store.read().await.unwrap();
        for number in ["F1", "F2", "C1", "F3", "F9"] {
            assert_eq!(
                store.find_invoice_with_allocations(a, number).await.unwrap(),
                tx.find_invoice_with_allocations(a, number).await.unwrap(),
                "{number}"
            );
        }
        assert_eq!(store.find_invoice_with_allocations(a, "F2").await.unwrap().unwrap().1.len(), 2);
        assert_eq!(store.find_invoice_with_allocations(b, "F2").await.unwrap(), None);
        tx.rollback().await.unwrap();
        // A writer's open transaction neither holds it up nor shows through; its commit does.
        let mut w = store.begin_write().await.unwrap();
        w.delete_allocation(a, AllocationId(2)).await.unwrap();
        let during = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            store.find_invoice_with_allocations(a, "F2"),
        );
        assert_eq!(during.await.expect("not held up").unwrap().unwrap().1.len(), 2);
        // A SQLite file's readers have a pool of their own: a writer may read beside its
        // transaction (PostgreSQL's one pool could run dry, so it says no).
        assert_eq!(store.reads_beside_a_writer(), store.backend() == Backend::Sqlite);
        let beside = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            let mut r = store.read().await.unwrap();
            r.find_invoice_with_allocations(a, "F2").await.unwrap().unwrap().1.len()
        });
        assert_eq!(beside.await.expect("a read beside the writer is not held up"), 2);
        w.commit().await.unwrap();
        let (f2_now, allocs) = store.find_invoice_with_allocations(a, "F2").await.unwrap().unwrap();
        assert_eq!(allocs.len(), 1);
        assert_eq!(allocs[0].credit_note_number.as_deref(), Some("C1"));
        assert_eq!(f2_now.open, eur(220_00));
    };

    reports_reconstruct_what_was_open_on_any_date => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (dids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let p = payment("bank:1", "2026-02-20", 100_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(dids[0]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: iids[0], source: AllocationSource::Payment(PaymentId(1)), amount_minor: 60_00, currency: Currency::EUR, source_date: d("2026-02-20"), effective_date: d("2026-02-20"), created_by: "t".into() }], 61).await.unwrap();
        tx.refresh_balances(a, &[iids[0]], &[PaymentId(1)]).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_read().await.unwrap();
        // 2026-02-12: F1 (100, due 01-31: 12 days overdue), F2 (250, not due), F3 (80, not due).
        let cutoffs = [d("2026-01-13"), d("2025-12-14")];
        let sums = tx.ageing_totals(a, Currency::EUR, d("2026-02-12"), &cutoffs, None).await.unwrap();
        assert_eq!(sums, vec![
            BucketSum { bucket: 0, amount_minor: 330_00, count: 2 },
            BucketSum { bucket: 1, amount_minor: 100_00, count: 1 },
        ]);
        // 2026-03-10: F1 has 40 open, F2 overdue 7 days, F3 14 days, C1 (-30) 23 days.
        let sums = tx.ageing_totals(a, Currency::EUR, d("2026-03-10"), &[d("2026-02-08")], None).await.unwrap();
        assert_eq!(sums, vec![
            BucketSum { bucket: 1, amount_minor: 250_00 + 80_00 - 30_00, count: 3 },
            BucketSum { bucket: 2, amount_minor: 40_00, count: 1 },
        ]);
        let one = tx.ageing_totals(a, Currency::EUR, d("2026-03-10"), &[d("2026-02-08")], Some(dids[1])).await.unwrap();
        assert_eq!(one, vec![BucketSum { bucket: 1, amount_minor: 80_00, count: 1 }]);
        assert!(tx.ageing_totals(a, Currency::EUR, d("2025-12-31"), &[], None).await.unwrap().is_empty());
        let usd = Currency::parse("USD").unwrap();
        assert!(tx.ageing_totals(a, usd, d("2026-03-10"), &[], None).await.unwrap().is_empty());

        let items = tx.open_items_on(a, Currency::EUR, d("2026-02-19"), None).await.unwrap();
        let got: Vec<(String, i64)> = items.iter().map(|i| (i.number.clone(), i.open_minor)).collect();
        assert_eq!(got, vec![("F1".into(), 100_00), ("C1".into(), -30_00), ("F3".into(), 80_00), ("F2".into(), 250_00)]);
        let items = tx.open_items_on(a, Currency::EUR, d("2026-02-20"), Some(dids[0])).await.unwrap();
        assert_eq!(items[0].open_minor, 40_00);

        assert_eq!(tx.unapplied_on(a, Currency::EUR, d("2026-02-19")).await.unwrap(), 0);
        assert_eq!(tx.unapplied_on(a, Currency::EUR, d("2026-02-20")).await.unwrap(), 40_00);

        let sales = tx.sales_by_day(a, Currency::EUR, d("2026-02-01"), d("2026-02-28")).await.unwrap();
        assert_eq!(sales, vec![(d("2026-02-01"), 250_00), (d("2026-02-10"), 80_00), (d("2026-02-15"), -30_00)]);
        assert!(tx.settled_invoices(a, Currency::EUR, d("2026-01-01"), d("2026-12-31"), None).await.unwrap().is_empty());
    };

    settled_invoices_feed_payment_behaviour => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (dids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let p = payment("bank:1", "2026-02-20", 80_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(dids[1]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: iids[2], source: AllocationSource::Payment(PaymentId(1)), amount_minor: 80_00, currency: Currency::EUR, source_date: d("2026-02-20"), effective_date: d("2026-02-20"), created_by: "t".into() }], 61).await.unwrap();
        tx.refresh_balances(a, &[iids[2]], &[PaymentId(1)]).await.unwrap();
        let rows = tx.settled_invoices(a, Currency::EUR, d("2026-02-01"), d("2026-02-28"), Some(dids[1])).await.unwrap();
        assert_eq!(rows, vec![SettledRow { debtor_id: dids[1], issue_date: d("2026-02-10"), due_date: d("2026-02-24"), settled_on: d("2026-02-20"), amount_minor: 80_00 }]);
        assert!(tx.settled_invoices(a, Currency::EUR, d("2026-02-01"), d("2026-02-28"), Some(dids[0])).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    };

    audit_idempotency_and_import_records_are_kept => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let entry = |n: i64| AuditEntry {
            at: n, actor: "anna".into(), action: "debtor.update".into(), entity: "debtor".into(),
            entity_key: format!("D{n}"), details: serde_json::json!({"field": "name", "n": n}),
        };
        tx.insert_audit(a, &[entry(1), entry(2), entry(3)]).await.unwrap();
        let all = tx.list_audit(a, None, Page::first(10)).await.unwrap();
        assert_eq!(all.iter().map(|(_, e)| e.at).collect::<Vec<_>>(), vec![3, 2, 1]);
        assert_eq!(all[0].1, entry(3));
        let older = tx.list_audit(a, None, Page::after(all[0].0, 1)).await.unwrap();
        assert_eq!(older[0].1.at, 2);
        assert_eq!(tx.list_audit(a, Some(("debtor", "D2")), Page::first(10)).await.unwrap().len(), 1);
        assert!(tx.list_audit(b, None, Page::first(10)).await.unwrap().is_empty());

        let v = StoredIdempotency { request_sha256: "h".into(), status: 201, body: "{}".into() };
        tx.insert_idempotency(a, "key-1", &v, 5).await.unwrap();
        assert_eq!(tx.find_idempotency(a, "key-1").await.unwrap(), Some(v.clone()));
        assert_eq!(tx.find_idempotency(b, "key-1").await.unwrap(), None);
        assert!(matches!(tx.insert_idempotency(a, "key-1", &v, 6).await, Err(StoreError::Conflict { .. })));
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        tx.insert_import_record(a, &ImportRecord {
            kind: "invoices".into(), file_name: "f.csv".into(), file_sha256: "00".into(), at: 7,
            actor: "cli".into(), created: 3, updated: 0, unchanged: 1,
        }).await.unwrap();
        tx.commit().await.unwrap();
    };

    money_paid_before_its_invoice_counts_as_unapplied_until_the_invoice_exists => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (dids, _) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let later = invoice("F9", "D1", "2026-03-01", "2026-03-31", 50_00);
        tx.insert_invoices(a, &[NewInvoice { id: InvoiceId(99), debtor_id: dids[0], invoice: &later, credits_invoice_id: None }], 1).await.unwrap();
        let p = payment("bank:pre", "2026-02-20", 50_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(7), payment: &p, debtor_id: Some(dids[0]) }], 2).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: InvoiceId(99), source: AllocationSource::Payment(PaymentId(7)), amount_minor: 50_00, currency: Currency::EUR, source_date: d("2026-02-20"), effective_date: d("2026-03-01"), created_by: "t".into() }], 3).await.unwrap();
        tx.refresh_balances(a, &[InvoiceId(99)], &[PaymentId(7)]).await.unwrap();
        assert_eq!(tx.unapplied_on(a, Currency::EUR, d("2026-02-19")).await.unwrap(), 0);
        assert_eq!(tx.unapplied_on(a, Currency::EUR, d("2026-02-25")).await.unwrap(), 50_00);
        assert_eq!(tx.unapplied_on(a, Currency::EUR, d("2026-03-01")).await.unwrap(), 0);
        assert_eq!(tx.get_payment(a, PaymentId(7)).await.unwrap().unapplied, eur(0));
        tx.commit().await.unwrap();
    };

    bulk_loads_may_insert_known_balances_and_mismatches_are_found => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let (dids, _) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let paid = invoice("B1", "D1", "2026-01-01", "2026-01-31", 100_00);
        let open = invoice("B2", "D1", "2026-01-02", "2026-02-01", 70_00);
        let rows = [
            NewInvoice { id: InvoiceId(50), debtor_id: dids[0], invoice: &paid, credits_invoice_id: None },
            NewInvoice { id: InvoiceId(51), debtor_id: dids[0], invoice: &open, credits_invoice_id: None },
        ];
        let balances = [
            ItemBalance { open_minor: 0, settled_on: Some(d("2026-01-20")) },
            ItemBalance { open_minor: 70_00, settled_on: None },
        ];
        assert!(matches!(tx.insert_invoices_with_balances(a, &rows, &balances[..1], 1).await, Err(StoreError::Invalid(_))));
        tx.insert_invoices_with_balances(a, &rows, &balances, 1).await.unwrap();
        let p = payment("bank:bulk", "2026-01-20", 120_00);
        let prow = [NewPayment { id: PaymentId(9), payment: &p, debtor_id: Some(dids[0]) }];
        tx.insert_payments_with_unapplied(a, &prow, &[20_00], 2).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: InvoiceId(50), source: AllocationSource::Payment(PaymentId(9)), amount_minor: 100_00, currency: Currency::EUR, source_date: d("2026-01-20"), effective_date: d("2026-01-20"), created_by: "t".into() }], 3).await.unwrap();
        assert!(tx.find_balance_mismatches(a).await.unwrap().is_empty());
        let b1 = tx.find_invoice_by_number(a, "B1").await.unwrap().unwrap();
        assert_eq!((b1.open, b1.settled_on), (eur(0), Some(d("2026-01-20"))));
        assert_eq!(tx.get_payment(a, PaymentId(9)).await.unwrap().unapplied, eur(20_00));
        // A wrong claim is found.
        let wrong = invoice("B3", "D1", "2026-01-03", "2026-02-02", 10_00);
        tx.insert_invoices_with_balances(a, &[NewInvoice { id: InvoiceId(52), debtor_id: dids[0], invoice: &wrong, credits_invoice_id: None }], &[ItemBalance { open_minor: 0, settled_on: Some(d("2026-01-03")) }], 4).await.unwrap();
        assert_eq!(tx.find_balance_mismatches(a).await.unwrap(), vec!["invoice B3".to_owned()]);
        tx.rollback().await.unwrap();
    };

    dunning_state_actions_and_their_effects_round_trip => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (dids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        // Candidates: open invoices (not credit notes) by debtor, with their state.
        let c = tx.dunning_candidates(a, Currency::EUR).await.unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].number, "D1");
        assert_eq!(c[0].items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), vec!["F1", "F2"]);
        assert_eq!(c[0].segments, vec!["retail", "key-account"]);
        assert_eq!((c[0].items[0].last_step, c[0].last_contact_on), (None, None));
        assert!(tx.dunning_candidates(b, Currency::EUR).await.unwrap().is_empty());

        // Policies are versioned; settings are one row.
        assert_eq!(tx.put_policy(a, "nl-business", "{\"v\":1}", "anna", 1).await.unwrap(), 1);
        assert_eq!(tx.put_policy(a, "nl-business", "{\"v\":2}", "anna", 2).await.unwrap(), 2);
        assert_eq!(tx.put_policy(a, "custom", "{}", "anna", 3).await.unwrap(), 1);
        let latest = tx.latest_policies(a).await.unwrap();
        assert_eq!(latest, vec![("custom".to_owned(), 1, "{}".to_owned()), ("nl-business".to_owned(), 2, "{\"v\":2}".to_owned())]);
        assert!(tx.latest_policies(b).await.unwrap().is_empty());
        assert_eq!(tx.find_dunning_settings(a).await.unwrap(), None);
        tx.put_dunning_settings(a, "{}", 6, 1).await.unwrap();
        tx.put_dunning_settings(a, "{\"by_kind\":{}}", 7, 2).await.unwrap();
        assert_eq!(tx.find_dunning_settings(a).await.unwrap(), Some(("{\"by_kind\":{}}".to_owned(), 7)));

        // An action is stored once per key.
        let action = NewAction {
            idempotency_key: "k1".into(), run_date: d("2026-03-10"), debtor_id: dids[0],
            policy_id: "nl-business".into(), policy_version: 2, step_key: "reminder".into(), step_index: 0,
            template: "reminder".into(), channels: vec!["email".into()], invoices: vec!["F1".into(), "F2".into()],
            open: eur(350_00), status: ActionStatus::Planned,
        };
        assert!(tx.insert_action(a, 1, &action, 5).await.unwrap());
        assert!(!tx.insert_action(a, 2, &action, 6).await.unwrap(), "same key: not stored twice");
        let stored = tx.find_action(a, 1).await.unwrap().unwrap();
        assert_eq!((stored.debtor_number.as_str(), stored.invoices.len(), stored.status), ("D1", 2, ActionStatus::Planned));
        assert_eq!(tx.find_action(b, 1).await.unwrap(), None);
        assert!(tx.set_action_status(a, 1, ActionStatus::Planned, ActionStatus::Done, 7).await.unwrap());
        assert!(!tx.set_action_status(a, 1, ActionStatus::Planned, ActionStatus::Done, 7).await.unwrap());
        assert_eq!(tx.list_actions(a, Some(ActionStatus::Done), None, Page::first(10)).await.unwrap().len(), 1);
        assert!(tx.list_actions(a, Some(ActionStatus::Planned), None, Page::first(10)).await.unwrap().is_empty());
        assert_eq!(tx.list_actions(a, None, Some(dids[0]), Page::first(10)).await.unwrap().len(), 1);
        assert_eq!(tx.list_actions_of_debtors(a, &[dids[0], dids[1]], None).await.unwrap().len(), 1);
        assert_eq!(tx.list_actions_of_debtors(a, &[dids[0]], Some(&["x", "reminder"])).await.unwrap().len(), 1);
        assert!(tx.list_actions_of_debtors(a, &[dids[0]], Some(&["notice_of_default"])).await.unwrap().is_empty());
        assert!(tx.list_actions_of_debtors(a, &[dids[1]], None).await.unwrap().is_empty());
        assert!(tx.list_actions_of_debtors(b, &[dids[0]], None).await.unwrap().is_empty());

        // Item and debtor state show up in the candidates.
        tx.advance_items(a, &[iids[0], iids[1]], 0, "reminder", d("2026-03-10"), ("nl-business", 2), 8).await.unwrap();
        tx.advance_items(a, &[iids[0]], 1, "second_reminder", d("2026-03-20"), ("nl-business", 2), 9).await.unwrap();
        tx.set_item_hold(a, iids[1], &ItemHold { disputed: true, promised_until: Some(d("2026-04-01")), ..ItemHold::default() }, 9).await.unwrap();
        tx.set_last_contact(a, dids[0], d("2026-03-20"), 9).await.unwrap();
        let c = tx.dunning_candidates(a, Currency::EUR).await.unwrap();
        let f1 = &c[0].items[0];
        assert_eq!((f1.last_step, f1.last_step_on), (Some(1), Some(d("2026-03-20"))));
        let f2 = &c[0].items[1];
        assert_eq!((f2.last_step, f2.disputed, f2.promised_until), (Some(0), true, Some(d("2026-04-01"))));
        assert_eq!(c[0].last_contact_on, Some(d("2026-03-20")));
        // A task's outcome marks an item without lifting its other holds.
        tx.set_item_hold(a, iids[0], &ItemHold { in_payment_plan: true, policy_override: Some("nl-consumer".into()), ..ItemHold::default() }, 9).await.unwrap();
        tx.mark_item_outcome(a, iids[0], false, Some(d("2026-05-01")), 10).await.unwrap();
        tx.mark_item_outcome(a, iids[1], false, Some(d("2026-05-02")), 10).await.unwrap();
        let c = tx.dunning_candidates(a, Currency::EUR).await.unwrap();
        let (f1, f2) = (&c[0].items[0], &c[0].items[1]);
        assert_eq!((f1.in_payment_plan, f1.promised_until, f1.disputed), (true, Some(d("2026-05-01")), false));
        assert_eq!(f1.policy_override.as_deref(), Some("nl-consumer"));
        assert_eq!((f2.disputed, f2.promised_until), (true, Some(d("2026-05-02"))), "an earlier dispute stays");
        // A policy override of one invoice keeps its other holds, and is lifted the same way.
        tx.set_item_policy_override(a, iids[1], Some("be-business"), 11).await.unwrap();
        assert_eq!(tx.item_policy_override(a, iids[1]).await.unwrap().as_deref(), Some("be-business"));
        assert_eq!(tx.item_policy_override(b, iids[1]).await.unwrap(), None);
        let c = tx.dunning_candidates(a, Currency::EUR).await.unwrap();
        let f2 = &c[0].items[1];
        assert_eq!((f2.policy_override.as_deref(), f2.disputed), (Some("be-business"), true));
        tx.set_item_policy_override(a, iids[1], None, 12).await.unwrap();
        assert_eq!(tx.item_policy_override(a, iids[1]).await.unwrap(), None);
        let c = tx.dunning_candidates(a, Currency::EUR).await.unwrap();
        assert_eq!((c[0].items[1].policy_override.as_deref(), c[0].items[1].disputed), (None, true));
        tx.set_item_policy_override(a, iids[2], Some("nl-consumer"), 12).await.unwrap();
        assert_eq!(tx.item_policy_override(a, iids[2]).await.unwrap().as_deref(), Some("nl-consumer"));

        // Messages: the outbox, attachments, guarded status changes, crash recovery.
        let msg = NewMessage {
            action_id: 1, debtor_id: dids[0], channel: "email".into(), recipient: "D1@example.nl".into(),
            subject: "Herinnering".into(), text_body: "tekst".into(), html_body: "<p>tekst</p>".into(),
            language: "nl".into(), message_id: "<k1@arflow>".into(),
            attachments: vec![Attachment { file_name: "brief.pdf".into(), content_type: "application/pdf".into(), content: b"%PDF-1.7".to_vec() }],
        };
        tx.insert_message(a, 1, &msg, MessageStatus::Planned, 10).await.unwrap();
        assert!(matches!(tx.insert_message(a, 2, &msg, MessageStatus::Planned, 10).await, Err(StoreError::Conflict { .. })));
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        tx.insert_message(a, 1, &msg, MessageStatus::Planned, 10).await.unwrap();
        let listed = tx.list_messages(a, Some(MessageStatus::Planned), None, Page::first(10)).await.unwrap();
        assert_eq!((listed.len(), listed[0].message.subject.as_str(), listed[0].debtor_number.as_str()), (1, "Herinnering", "D1"));
        assert_eq!(tx.message_attachments(a, 1).await.unwrap()[0].content, b"%PDF-1.7".to_vec());
        assert!(tx.message_attachments(b, 1).await.unwrap().is_empty());
        assert_eq!(tx.message_with_message_id(a, "<k1@arflow>").await.unwrap(), Some(1));
        assert_eq!(tx.message_with_message_id(a, "<k2@arflow>").await.unwrap(), None);
        assert_eq!(tx.message_with_message_id(b, "<k1@arflow>").await.unwrap(), None, "not Bravo's");
        assert!(tx.set_message_status(a, 1, MessageStatus::Planned, MessageStatus::Sending, None, 11).await.unwrap());
        assert!(!tx.set_message_status(a, 1, MessageStatus::Planned, MessageStatus::Sending, None, 11).await.unwrap(), "only one sender wins");
        assert_eq!(tx.mark_sending_uncertain(b).await.unwrap(), 0);
        assert_eq!(tx.mark_sending_uncertain(a).await.unwrap(), 1);
        let m = tx.list_messages(a, None, Some(dids[0]), Page::first(10)).await.unwrap().remove(0);
        assert_eq!((m.status, m.attempts), (MessageStatus::Uncertain, 1));
        assert!(m.last_error.unwrap().contains("interrupted"));
        assert!(tx.set_message_status(a, 1, MessageStatus::Uncertain, MessageStatus::Sent, None, 12).await.unwrap());
        assert_eq!(tx.list_messages(a, Some(MessageStatus::Sent), None, Page::first(10)).await.unwrap()[0].sent_at, Some(12));

        // Tasks and charges.
        tx.insert_task(a, 1, &NewTask { debtor_id: dids[0], action_id: Some(1), kind: "phone".into(), title: "Bel D1".into(), owner: Some("anna".into()), due_on: d("2026-03-21") }, 13).await.unwrap();
        assert_eq!(tx.list_tasks(a, true, Some("anna"), None, Page::first(10)).await.unwrap().len(), 1);
        assert!(tx.list_tasks(a, true, Some("bram"), None, Page::first(10)).await.unwrap().is_empty());
        assert!(tx.complete_task(a, 1, "promised", Some("pays Friday"), 14).await.unwrap());
        assert!(!tx.complete_task(a, 1, "promised", None, 14).await.unwrap());
        assert!(tx.list_tasks(a, true, None, None, Page::first(10)).await.unwrap().is_empty());
        let done = tx.list_tasks(a, false, None, Some(dids[0]), Page::first(10)).await.unwrap();
        assert_eq!((done[0].outcome.as_deref(), done[0].outcome_note.as_deref()), (Some("promised"), Some("pays Friday")));
        let charge = StoredCharge { id: 1, invoice_id: iids[0], action_id: 1, kind: "collection_costs".into(), amount: eur(40_00), explanation: serde_json::json!({"rule": "nl.bik"}), charged_on: d("2026-03-20") };
        tx.insert_charges(a, std::slice::from_ref(&charge), 15).await.unwrap();
        assert_eq!(tx.list_charges(a, iids[0]).await.unwrap(), vec![charge.clone()]);
        assert!(tx.list_charges(b, iids[0]).await.unwrap().is_empty());
        let other = StoredCharge { id: 2, invoice_id: iids[1], kind: "fee".into(), amount: eur(7_50), ..charge.clone() };
        tx.insert_charges(a, std::slice::from_ref(&other), 15).await.unwrap();
        assert_eq!(tx.list_charges_of_items(a, &[iids[1], iids[0]]).await.unwrap(), vec![charge.clone(), other]);
        assert!(tx.list_charges_of_items(b, &[iids[0], iids[1]]).await.unwrap().is_empty());

        // One run per date; an unfinished one is resumed, a finished one is not run again.
        assert_eq!(tx.start_run(a, d("2026-03-20"), 16).await.unwrap(), RunClaim::Started);
        assert_eq!(tx.start_run(a, d("2026-03-20"), 17).await.unwrap(), RunClaim::Resumed);
        assert_eq!(tx.start_run(b, d("2026-03-20"), 17).await.unwrap(), RunClaim::Started);
        tx.finish_run(a, d("2026-03-20"), "{}", 18).await.unwrap();
        assert_eq!(tx.start_run(a, d("2026-03-20"), 19).await.unwrap(), RunClaim::AlreadyDone);
        assert_eq!(tx.start_run(b, d("2026-03-20"), 19).await.unwrap(), RunClaim::Resumed);
        tx.commit().await.unwrap();
    };

    message_templates_are_stored_replaced_and_removed_per_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let mut t = StoredTemplate { template: "reminder".into(), language: "fr".into(), subject: "Rappel".into(), text_body: "Bonjour".into(), html_body: None, updated_by: "u".into() };
        tx.put_message_template(a, &t, 1).await.unwrap();
        t.subject = "Rappel amical".into();
        t.html_body = Some("<p>Bonjour</p>".into());
        tx.put_message_template(a, &t, 2).await.unwrap();
        assert_eq!(tx.list_message_templates(a).await.unwrap(), vec![t.clone()]);
        assert!(tx.list_message_templates(b).await.unwrap().is_empty());
        assert!(!tx.delete_message_template(b, "reminder", "fr").await.unwrap());
        assert!(tx.delete_message_template(a, "reminder", "fr").await.unwrap());
        assert!(tx.list_message_templates(a).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    };

    users_memberships_sessions_and_login_failures_are_stored => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let new = NewUser { email: "anna@example.nl".into(), name: "Anna".into(), password_hash: "$argon2id$x".into(), language: "nl".into() };
        let anna = tx.insert_user(&new, 1).await.unwrap();
        tx.commit().await.unwrap();
        // The address is taken once.
        let mut tx = store.begin_write().await.unwrap();
        let again = tx.insert_user(&new, 2).await;
        assert!(matches!(again, Err(StoreError::Conflict { entity: "user", .. })), "{again:?}");
        tx.rollback().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let found = tx.find_user_by_email("anna@example.nl").await.unwrap().unwrap();
        assert_eq!((found.id, found.name.as_str(), found.disabled), (anna, "Anna", false));
        assert_eq!(tx.find_user(anna).await.unwrap(), Some(found));
        assert_eq!(tx.find_user_by_email("bram@example.nl").await.unwrap(), None);
        tx.put_membership(anna, b, "sales", 3).await.unwrap();
        tx.put_membership(anna, a, "sales", 3).await.unwrap();
        tx.put_membership(anna, a, "admin", 4).await.unwrap();
        let m = tx.list_memberships(anna).await.unwrap();
        let roles: Vec<(OrganisationId, &str)> = m.iter().map(|m| (m.organisation_id, m.role.as_str())).collect();
        assert_eq!(roles, [(a, "admin"), (b, "sales")], "by organisation name");

        let session = StoredSession { token_sha256: "t1".into(), user_id: anna, organisation_id: Some(a), csrf: "c1".into(), created_at: 10, expires_at: 100 };
        tx.insert_session(&session).await.unwrap();
        assert_eq!(tx.find_session("t1", 50).await.unwrap(), Some(session.clone()));
        assert_eq!(tx.find_session("t1", 100).await.unwrap(), None, "expired");
        tx.set_session_organisation("t1", b).await.unwrap();
        assert_eq!(tx.find_session("t1", 50).await.unwrap().unwrap().organisation_id, Some(b));
        assert!(tx.delete_session("t1", 50).await.unwrap());
        assert!(!tx.delete_session("t1", 50).await.unwrap());

        // Failures count within the window; older ones are forgotten; success clears them.
        assert_eq!(tx.record_login_failure("anna@example.nl", 10, 0).await.unwrap(), 1);
        assert_eq!(tx.record_login_failure("anna@example.nl", 20, 0).await.unwrap(), 2);
        assert_eq!(tx.record_login_failure("bram@example.nl", 20, 0).await.unwrap(), 1);
        assert_eq!(tx.record_login_failure("anna@example.nl", 30, 15).await.unwrap(), 2);
        assert_eq!(tx.login_failures_since("anna@example.nl", 25).await.unwrap(), 1);
        tx.clear_login_failures("anna@example.nl").await.unwrap();
        assert_eq!(tx.login_failures_since("anna@example.nl", 0).await.unwrap(), 0);
        assert_eq!(tx.login_failures_since("bram@example.nl", 0).await.unwrap(), 1);
        tx.commit().await.unwrap();
    };

    statement_mappings_are_saved_replaced_listed_and_removed_per_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let mut m = StoredMapping { name: "bunq".into(), definition: "{\"v\":1}".into(), updated_at: 1, updated_by: "anna".into() };
        tx.put_statement_mapping(a, &m).await.unwrap();
        let other = StoredMapping { name: "abn-amro".into(), definition: "{}".into(), updated_at: 1, updated_by: "anna".into() };
        tx.put_statement_mapping(a, &other).await.unwrap();
        m.definition = "{\"v\":2}".into();
        m.updated_at = 2;
        m.updated_by = "bram".into();
        tx.put_statement_mapping(a, &m).await.unwrap();
        assert_eq!(tx.find_statement_mapping(a, "bunq").await.unwrap(), Some(m.clone()));
        assert_eq!(tx.list_statement_mappings(a).await.unwrap(), vec![other.clone(), m.clone()]);
        // Another organisation sees none of them, and cannot remove them.
        assert_eq!(tx.find_statement_mapping(b, "bunq").await.unwrap(), None);
        assert!(tx.list_statement_mappings(b).await.unwrap().is_empty());
        assert!(!tx.delete_statement_mapping(b, "bunq").await.unwrap());
        assert!(tx.delete_statement_mapping(a, "bunq").await.unwrap());
        assert!(!tx.delete_statement_mapping(a, "bunq").await.unwrap());
        assert_eq!(tx.list_statement_mappings(a).await.unwrap(), vec![other]);
        tx.commit().await.unwrap();
    };

    a_policy_version_numbered_by_the_caller_is_stored_once_per_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        // An edit of a shipped default (version 1) is stored as version 2.
        tx.insert_policy_version(a, "nl-business", 2, "{\"v\":2}", "anna", 1).await.unwrap();
        tx.commit().await.unwrap();
        // A second edit of the same version is refused (in its own transaction: PostgreSQL
        // aborts a transaction at its first error).
        let mut tx = store.begin_write().await.unwrap();
        let again = tx.insert_policy_version(a, "nl-business", 2, "{\"other\":true}", "bram", 2).await;
        assert!(
            matches!(&again, Err(StoreError::Conflict { entity: "policy_version", key }) if key == "nl-business v2"),
            "{again:?}"
        );
        tx.rollback().await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        // The same version in another organisation is its own.
        tx.insert_policy_version(b, "nl-business", 2, "{\"b\":2}", "bob", 3).await.unwrap();
        tx.insert_policy_version(a, "nl-business", 3, "{\"v\":3}", "anna", 4).await.unwrap();
        assert_eq!(tx.latest_policies(a).await.unwrap(), vec![("nl-business".to_owned(), 3, "{\"v\":3}".to_owned())]);
        assert_eq!(tx.latest_policies(b).await.unwrap(), vec![("nl-business".to_owned(), 2, "{\"b\":2}".to_owned())]);
        // put_policy numbers after what the caller stored.
        assert_eq!(tx.put_policy(a, "nl-business", "{\"v\":4}", "anna", 5).await.unwrap(), 4);
        tx.commit().await.unwrap();
    };

    one_organisation_never_sees_another_organisations_rows => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let (dids, iids) = seed(&store, a).await;
        let mut tx = store.begin_write().await.unwrap();
        let p = payment("bank:1", "2026-02-20", 100_00);
        tx.insert_payments(a, &[NewPayment { id: PaymentId(1), payment: &p, debtor_id: Some(dids[0]) }], 60).await.unwrap();
        tx.insert_allocations(a, &[NewAllocation { id: AllocationId(1), invoice_id: iids[0], source: AllocationSource::Payment(PaymentId(1)), amount_minor: 60_00, currency: Currency::EUR, source_date: d("2026-02-20"), effective_date: d("2026-02-20"), created_by: "t".into() }], 61).await.unwrap();
        tx.refresh_balances(a, &[iids[0]], &[PaymentId(1)]).await.unwrap();
        // Every read, with B's id and A's keys, finds nothing.
        assert!(tx.find_debtors_by_numbers(b, &["D1"]).await.unwrap().is_empty());
        assert!(tx.find_debtor_ids(b, &["D1"]).await.unwrap().is_empty());
        assert!(matches!(tx.get_debtor(b, dids[0]).await, Err(StoreError::NotFound { .. })));
        assert!(tx.list_debtors(b, &DebtorFilter::default(), Page::first(10)).await.unwrap().is_empty());
        assert!(tx.find_debtor_ids_by_iban(b, "NL91ABNA0417164300").await.unwrap().is_empty());
        assert!(tx.find_invoices_by_numbers(b, &["F1"]).await.unwrap().is_empty());
        assert_eq!(tx.find_invoice_by_number(b, "F1").await.unwrap(), None);
        assert!(matches!(tx.get_invoice(b, iids[0]).await, Err(StoreError::NotFound { .. })));
        assert!(tx.list_invoices(b, &InvoiceFilter::default(), Page::first(10)).await.unwrap().is_empty());
        assert!(tx.find_payments_by_external_ids(b, &["bank:1"]).await.unwrap().is_empty());
        assert!(matches!(tx.get_payment(b, PaymentId(1)).await, Err(StoreError::NotFound { .. })));
        assert!(tx.list_payments(b, &PaymentFilter::default(), Page::first(10)).await.unwrap().is_empty());
        assert!(tx.list_allocations(b, AllocationsOf::Item(iids[0])).await.unwrap().is_empty());
        assert!(matches!(tx.delete_allocation(b, AllocationId(1)).await, Err(StoreError::NotFound { .. })));
        assert!(tx.ageing_totals(b, Currency::EUR, d("2026-03-01"), &[], None).await.unwrap().is_empty());
        assert!(tx.open_items_on(b, Currency::EUR, d("2026-03-01"), None).await.unwrap().is_empty());
        assert_eq!(tx.unapplied_on(b, Currency::EUR, d("2026-03-01")).await.unwrap(), 0);
        assert!(tx.sales_by_day(b, Currency::EUR, d("2026-01-01"), d("2026-12-31")).await.unwrap().is_empty());
        assert_eq!(tx.counts(b).await.unwrap(), Counts { debtors: 0, invoices: 0, payments: 0, allocations: 0 });
        // Writes with B's id do not touch A's rows.
        assert!(matches!(tx.update_debtor(b, dids[0], &debtor("D1", "hijack"), 1).await, Err(StoreError::NotFound { .. })));
        tx.refresh_all_balances(b).await.unwrap();
        tx.set_payment_debtor(b, PaymentId(1), None).await.unwrap();
        assert_eq!(tx.get_payment(a, PaymentId(1)).await.unwrap().debtor_id, Some(dids[0]));
        assert_eq!(tx.get_debtor(a, dids[0]).await.unwrap().debtor.name, "Bakkerij De Gouden Korst");
        assert_eq!(tx.counts(a).await.unwrap(), Counts { debtors: 2, invoices: 4, payments: 1, allocations: 1 });
        tx.commit().await.unwrap();
    };
    api_tokens_are_listed_and_revoked_within_their_organisation_only => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_api_token(a, TokenId(1), "ci", "h1", "user:anna@example.nl", 5).await.unwrap();
        tx.insert_api_token(a, TokenId(2), "erp", "h2", "cli", 6).await.unwrap();
        tx.insert_api_token(b, TokenId(1), "bravo ci", "h3", "cli", 7).await.unwrap();
        let list = tx.list_api_tokens(a).await.unwrap();
        let names: Vec<(TokenId, &str, Option<&str>)> =
            list.iter().map(|t| (t.id, t.name.as_str(), t.created_by.as_deref())).collect();
        assert_eq!(names, [(TokenId(1), "ci", Some("user:anna@example.nl")), (TokenId(2), "erp", Some("cli"))]);
        assert!(list.iter().all(|t| t.revoked_at.is_none() && t.organisation_id == a));
        // Another organisation cannot revoke Acme's token 1 (it revokes its own token 1 only).
        assert!(!tx.revoke_api_token(b, TokenId(2), 8).await.unwrap());
        assert!(tx.revoke_api_token(a, TokenId(1), 9).await.unwrap());
        assert!(!tx.revoke_api_token(a, TokenId(1), 10).await.unwrap(), "once");
        assert!(!tx.revoke_api_token(a, TokenId(9), 10).await.unwrap());
        assert_eq!(tx.find_api_token(a, "h1").await.unwrap(), None, "a revoked token is not found");
        assert!(tx.find_api_token(a, "h2").await.unwrap().is_some());
        assert!(tx.find_api_token(b, "h3").await.unwrap().is_some(), "Bravo's token 1 lives");
        let list = tx.list_api_tokens(a).await.unwrap();
        assert_eq!(list[0].revoked_at, Some(9));
        assert_eq!(list[1].revoked_at, None);
        assert_eq!(tx.list_api_tokens(b).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
    };

    organisation_members_are_listed_changed_and_removed_per_organisation => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let user = |email: &str, name: &str| NewUser { email: email.into(), name: name.into(), password_hash: "$argon2id$x".into(), language: "nl".into() };
        let anna = tx.insert_user(&user("anna@example.nl", "Anna"), 1).await.unwrap();
        let bram = tx.insert_user(&user("bram@example.nl", "Bram"), 1).await.unwrap();
        tx.put_membership(bram, a, "sales", 2).await.unwrap();
        tx.put_membership(anna, a, "admin", 3).await.unwrap();
        tx.put_membership(anna, b, "accountant", 4).await.unwrap();
        tx.lock_organisation(a).await.unwrap();
        assert!(matches!(tx.lock_organisation(OrganisationId(999)).await, Err(StoreError::NotFound { .. })));
        let members = tx.list_organisation_members(a).await.unwrap();
        let seen: Vec<(UserId, &str, &str, &str, i64)> = members.iter().map(|m| (m.user_id, m.email.as_str(), m.name.as_str(), m.role.as_str(), m.since)).collect();
        assert_eq!(seen, [(anna, "anna@example.nl", "Anna", "admin", 3), (bram, "bram@example.nl", "Bram", "sales", 2)], "by name");
        assert!(!members[0].disabled && members[0].language == "nl");
        let bravo: Vec<UserId> = tx.list_organisation_members(b).await.unwrap().iter().map(|m| m.user_id).collect();
        assert_eq!(bravo, [anna]);
        // A new role replaces the old one and keeps the date it was first given.
        tx.put_membership(bram, a, "credit_controller", 9).await.unwrap();
        let bram_in_a = tx.list_organisation_members(a).await.unwrap().into_iter().find(|m| m.user_id == bram).unwrap();
        assert_eq!((bram_in_a.role.as_str(), bram_in_a.since), ("credit_controller", 2));
        // Removing Bram from Bravo, where he has no role, changes nothing.
        assert!(!tx.delete_membership(bram, b).await.unwrap());
        assert!(tx.delete_membership(anna, a).await.unwrap());
        assert!(!tx.delete_membership(anna, a).await.unwrap());
        assert_eq!(tx.list_organisation_members(a).await.unwrap().len(), 1);
        assert_eq!(tx.list_memberships(anna).await.unwrap().len(), 1, "Bravo's role stays");
        tx.commit().await.unwrap();
    };

    audit_entries_are_searched_by_actor_and_text_newest_first => |store: Store| async move {
        let a = new_org(&store, "acme").await;
        let b = new_org(&store, "bravo").await;
        let mut tx = store.begin_write().await.unwrap();
        let entry = |n: i64, actor: &str, action: &str, key: &str| AuditEntry {
            at: n, actor: actor.into(), action: action.into(), entity: action.split('.').next().unwrap().into(),
            entity_key: key.into(), details: serde_json::json!({}),
        };
        tx.insert_audit(a, &[
            entry(1, "user:anna@example.nl", "debtor.pause", "K1"),
            entry(2, "cli", "token.create", "1"),
            entry(3, "user:anna@example.nl", "token.revoke", "1"),
            entry(4, "user:bram@example.nl", "debtor.update", "K_100%"),
            entry(5, "user:anna@example.nl", "debtor.update", "K2"),
        ]).await.unwrap();
        tx.insert_audit(b, &[entry(6, "user:anna@example.nl", "token.create", "1")]).await.unwrap();
        let ats = |rows: &[(i64, AuditEntry)]| rows.iter().map(|(_, e)| e.at).collect::<Vec<_>>();
        let all = tx.search_audit(a, &AuditFilter::default(), Page::first(10)).await.unwrap();
        assert_eq!(ats(&all), [5, 4, 3, 2, 1]);
        let anna = AuditFilter { actor: Some("user:anna@example.nl".into()), text: None };
        assert_eq!(ats(&tx.search_audit(a, &anna, Page::first(10)).await.unwrap()), [5, 3, 1]);
        let token = AuditFilter { actor: None, text: Some(" TOKEN ".into()) };
        assert_eq!(ats(&tx.search_audit(a, &token, Page::first(10)).await.unwrap()), [3, 2]);
        let both = AuditFilter { actor: Some("user:anna@example.nl".into()), text: Some("Token".into()) };
        assert_eq!(ats(&tx.search_audit(a, &both, Page::first(10)).await.unwrap()), [3]);
        // Wildcards are plain text: '%' matches only a '%', '_' only a '_'.
        let percent = AuditFilter { actor: None, text: Some("_100%".into()) };
        assert_eq!(ats(&tx.search_audit(a, &percent, Page::first(10)).await.unwrap()), [4]);
        let underscore = AuditFilter { actor: None, text: Some("k_".into()) };
        assert_eq!(ats(&tx.search_audit(a, &underscore, Page::first(10)).await.unwrap()), [4]);
        // Pages: newest first, then the older ones after the last id seen.
        let first = tx.search_audit(a, &AuditFilter::default(), Page::first(2)).await.unwrap();
        assert_eq!(ats(&first), [5, 4]);
        let next = tx.search_audit(a, &AuditFilter::default(), Page::after(first[1].0, 2)).await.unwrap();
        assert_eq!(ats(&next), [3, 2]);
        // Bravo's entry is Bravo's only.
        let in_b = tx.search_audit(b, &AuditFilter::default(), Page::first(10)).await.unwrap();
        assert_eq!(ats(&in_b), [6]);
        tx.commit().await.unwrap();
    };
}

/// SQLite only: the writer's commits leave checkpointing to a thread of the store
/// (`backend/sqlite/checkpoint.rs`). The committed pages reach the database file soon after
/// each commit, with the store still open (the writer's own automatic checkpoint is off, so
/// without the thread they would stay in the log until the close), and the log is reused from
/// its beginning instead of growing with every transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_after_each_commit_in_the_background() {
    let dir = std::env::temp_dir().join("arflow-store-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", unique_name()));
    let url = format!("sqlite://{}", path.display());
    let wal = path.with_extension("db-wal");
    let store = Store::connect(&url).await.unwrap();
    store.migrate(1).await.unwrap();
    let o = new_org(&store, "alpha").await;
    let mut tx = store.begin_write().await.unwrap();
    let debtor_id = DebtorId(tx.reserve_ids(o, "debtor", 1).await.unwrap());
    tx.insert_debtors(o, &[(debtor_id, &debtor("D1", "Bakkerij De Gouden Korst"))], 20)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // What the file holds once every committed page is in it, read without checkpointing.
    let mut probe = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let file_bytes_when_folded = async |probe: &mut sqlx::SqliteConnection| -> u64 {
        let pages: i64 =
            sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut *probe).await.unwrap();
        let size: i64 =
            sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut *probe).await.unwrap();
        u64::try_from(pages * size).unwrap()
    };
    let file_len = || std::fs::metadata(&path).unwrap().len();
    let mut first_log = 0;
    for round in 0..6 {
        let mut tx = store.begin_write().await.unwrap();
        let invoices: Vec<Invoice> = (0..5000)
            .map(|i| {
                invoice(&format!("F{round}-{i:05}"), "D1", "2026-01-01", "2026-01-31", 100_00 + i)
            })
            .collect();
        let first = tx.reserve_ids(o, "invoice", invoices.len() as u64).await.unwrap();
        let rows: Vec<NewInvoice> = invoices
            .iter()
            .zip(first..)
            .map(|(inv, id)| NewInvoice {
                id: InvoiceId(id),
                debtor_id,
                invoice: inv,
                credits_invoice_id: None,
            })
            .collect();
        tx.insert_invoices(o, &rows, 30).await.unwrap();
        tx.commit().await.unwrap();
        let want = file_bytes_when_folded(&mut probe).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while file_len() < want {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the file holds {} of {want} bytes 20 s after the commit; \
                 the log holds {} bytes",
                file_len(),
                std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let log = std::fs::metadata(&wal).unwrap().len();
        if round == 0 {
            first_log = log;
        }
        // Six rounds appended to one log would make it six times the first round's; a
        // checkpoint the next write overtakes lets it grow by one round at most.
        assert!(log <= 3 * first_log, "round {round}: log {log} bytes, after round 0 {first_log}");
    }
    probe.close().await.unwrap();
    store.close().await;
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the close folds the log"
    );
}
