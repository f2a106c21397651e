//! A step a person must approve: its e-mails wait, held, until the approval task is completed.

use std::sync::Arc;

use arflow_app::demo::DemoOptions;
use arflow_app::{Actor, App, FixedClock};
use arflow_core::date::parse_iso_date;
use arflow_core::dunning::{LegalGate, default_policies};
use arflow_core::party::OrgCountry;
use arflow_store::{MessageStatus, Page, Store};

/// 2026-03-30T10:00:00Z.
const NOW_MICROS: i64 = 1_774_864_800_000_000;

#[tokio::test]
async fn an_approval_step_holds_its_emails_until_a_person_approves() {
    let path = std::env::temp_dir().join(format!(
        "arflow-approval-{}-{}.db",
        std::process::id(),
        NOW_MICROS
    ));
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate(NOW_MICROS).await.unwrap();
    let app = App::new(store, Arc::new(FixedClock(NOW_MICROS)));
    let actor = Actor("test".into());
    let as_of = parse_iso_date("2026-03-27").unwrap();
    let opts = DemoOptions {
        debtors: 60,
        seed: 7,
        as_of: Some(as_of),
        country: OrgCountry::Nl,
        ..DemoOptions::default()
    };
    app.demo(&opts, &mut |_| {}, &actor).await.unwrap();
    // Every step of the business policy needs approval.
    let mut policy = default_policies().into_iter().find(|p| p.id == "nl-business").unwrap();
    for step in &mut policy.steps {
        step.approval = true;
    }
    app.put_dunning_policy(None, policy, &actor).await.unwrap();
    let gate = LegalGate { creditor: OrgCountry::Nl };
    let run = app.dunning_run(None, Some(as_of), false, &gate, &actor).await.unwrap();
    let business: Vec<_> = run.actions.iter().filter(|a| a.policy == "nl-business").collect();
    assert!(!business.is_empty(), "{run:?}");
    let held = app.outbox(None, Some(MessageStatus::Held), Page::first(1000)).await.unwrap();
    let planned = app.outbox(None, Some(MessageStatus::Planned), Page::first(1000)).await.unwrap();
    let first = business[0].action_id.unwrap();
    assert!(held.iter().any(|m| m.message.action_id == first && m.message.channel == "email"));
    for a in &business {
        let id = a.action_id.unwrap();
        assert!(!planned.iter().any(|m| m.message.action_id == id), "action {id} went out");
    }
    // Approving releases that action's e-mail, and only that one.
    let tasks = app.tasks(None, false, None, Page::first(1000)).await.unwrap();
    let task = tasks.iter().find(|t| t.kind == "approval" && t.action_id == Some(first)).unwrap();
    app.complete_task(None, task.id, "approved", None, None, &actor).await.unwrap();
    let planned = app.outbox(None, Some(MessageStatus::Planned), Page::first(1000)).await.unwrap();
    let released: Vec<_> = planned
        .iter()
        .filter(|m| business.iter().any(|a| a.action_id == Some(m.message.action_id)))
        .collect();
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(released[0].message.action_id, first);
    // Rejecting another keeps its e-mail held.
    if let Some(other) = business.get(1) {
        let id = other.action_id.unwrap();
        let task = tasks.iter().find(|t| t.kind == "approval" && t.action_id == Some(id)).unwrap();
        app.complete_task(None, task.id, "rejected", None, None, &actor).await.unwrap();
        let held = app.outbox(None, Some(MessageStatus::Held), Page::first(1000)).await.unwrap();
        assert!(held.iter().any(|m| m.message.action_id == id));
    }
    app.store.close().await;
    for file in [path.clone(), path.with_extension("db-wal"), path.with_extension("db-shm")] {
        let _ = std::fs::remove_file(file);
    }
}
