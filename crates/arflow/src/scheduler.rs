//! The daily dunning run inside `serve`: once a day per organisation, at or after the configured
//! hour in the organisation's own time zone, run dunning for that day and deliver the outbox.
//!
//! Catch-up is the run's own business: after downtime the first pass runs today's date, and the
//! planner moves each debtor at most one step. A run of a date that finished before is a no-op,
//! one that was interrupted is finished; so restarting the server at any moment is safe.

use std::collections::HashMap;
use std::time::Duration;

use arflow_app::{Actor, App};
use arflow_core::date::Date;
use arflow_core::dunning::LegalGate;
use arflow_notify::email::Mailer;
use tokio::sync::watch;

/// How often the scheduler looks at the clock.
pub const TICK: Duration = Duration::from_secs(30);

/// What the scheduler needs.
#[derive(Debug)]
pub struct Schedule {
    /// Hour of the day (0-23, organisation's time zone) from which the day's run is made.
    pub hour: i8,
    /// Where e-mail goes; without it messages stay in the outbox.
    pub mailer: Option<Mailer>,
}

/// Runs until `stop` turns true.
pub async fn run(app: App, schedule: Schedule, mut stop: watch::Receiver<bool>) {
    let mut done: HashMap<String, Date> = HashMap::new();
    loop {
        if let Err(e) = tick(&app, &schedule, &mut done).await {
            tracing::error!(error = %e, "scheduled dunning failed; retrying at the next tick");
        }
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn tick(
    app: &App,
    schedule: &Schedule,
    done: &mut HashMap<String, Date>,
) -> Result<(), arflow_app::AppError> {
    let now = jiff::Timestamp::from_microsecond(app.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    for org in app.list_organisations().await? {
        let o = &org.organisation;
        let zone = jiff::tz::TimeZone::get(&o.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let local = now.to_zoned_datetime(zone);
        let today = local.date();
        let slug = o.slug.to_string();
        if local.hour() >= schedule.hour && done.get(&slug) != Some(&today) {
            let gate = LegalGate { creditor: o.country };
            let actor = Actor("scheduler".into());
            // With a mailer, messages go out while the run still renders the rest.
            let report = match &schedule.mailer {
                Some(mailer) => {
                    let (report, d) = app
                        .dunning_run_delivering(
                            Some(&slug),
                            Some(today),
                            &gate,
                            &actor,
                            mailer,
                            100_000,
                        )
                        .await?;
                    tracing::info!(org = %slug, sent = d.sent, deferred = d.deferred, failed = d.failed, "outbox delivered during the run");
                    report
                }
                None => app.dunning_run(Some(&slug), Some(today), false, &gate, &actor).await?,
            };
            tracing::info!(
                org = %slug, %today, actions = report.actions.len(), refused = report.refused.len(),
                already_ran = report.already_ran, resumed = report.resumed, "daily dunning run"
            );
            done.insert(slug.clone(), today);
        }
        if let Some(mailer) = &schedule.mailer {
            let d = app.deliver_outbox(Some(&slug), mailer, 10_000).await?;
            if d.sent + d.deferred + d.failed > 0 {
                tracing::info!(org = %slug, sent = d.sent, deferred = d.deferred, failed = d.failed, "outbox delivered");
            }
        }
    }
    Ok(())
}
