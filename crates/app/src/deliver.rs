//! Delivery of the outbox over SMTP, exactly once: each message is marked `sending` (committed)
//! before it is handed to the server and `sent` after the server accepted it. A crash between
//! the two leaves it `sending`, which the next run turns into `uncertain` for a person to check:
//! never resent, never dropped. A temporary failure puts it back to `planned` for the next
//! delivery; a permanent one (5xx) marks it `failed` and gives the debtor's owner a task to fix
//! the address.

use arflow_notify::SendError;
use arflow_notify::email::{
    Attachment as MailAttachment, Mailbox, Mailer, MessageId, OutgoingEmail,
};
use arflow_store::{AuditEntry, MessageStatus, NewTask, Page, StoredMessage};
use serde::Serialize;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use arflow_core::date::Date;
use arflow_core::dunning::StepGate;

use crate::dunning::RunReport;
use crate::{Actor, App, AppError};

/// The JSON of `arflow outbox send --json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Temporary failures, back in the outbox for the next delivery.
    pub deferred: u64,
    /// Permanently refused: each gave a task.
    pub failed: u64,
    pub errors: Vec<DeliveryError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryError {
    pub message: i64,
    pub recipient: String,
    pub error: String,
}

/// Messages read from the outbox at a time.
const DELIVERY_PAGE: u32 = 1000;
/// How long delivery alongside a run waits when the outbox had nothing new.
const DELIVERY_POLL: std::time::Duration = std::time::Duration::from_millis(200);

impl DeliveryReport {
    /// Messages tried.
    fn attempts(&self) -> u32 {
        u32::try_from(self.sent + self.deferred + self.failed).unwrap_or(u32::MAX)
    }

    fn absorb(&mut self, other: DeliveryReport) {
        self.sent += other.sent;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.errors.extend(other.errors);
        self.errors.sort_by_key(|e| e.message);
    }
}

impl App {
    /// Sends the planned e-mails of the outbox (oldest first, at most `limit`).
    ///
    /// # Errors
    /// Organisation and store errors; a failure of one message is reported, not returned.
    pub async fn deliver_outbox(
        &self,
        org_slug: Option<&str>,
        mailer: &Mailer,
        limit: u32,
    ) -> Result<DeliveryReport, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        self.deliver_pass(&org, mailer, limit, &mut HashSet::new()).await
    }

    /// Runs dunning for `as_of` and delivers its e-mails while it runs: each chunk of actions is
    /// sent as soon as it is stored, instead of after the whole run, so the first messages go out
    /// within seconds and rendering and delivery share the machine. Delivery starts only after
    /// the run has recovered what a crash left `sending`, and ends with a pass over everything
    /// still planned once the run is done. Each message is still claimed before it is handed
    /// over (never twice); one deferred by the server waits for the next delivery.
    ///
    /// # Errors
    /// Those of [`dunning_run`](Self::dunning_run) and [`deliver_outbox`](Self::deliver_outbox).
    pub async fn dunning_run_delivering(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        gate: &(dyn StepGate + Sync),
        actor: &Actor,
        mailer: &Mailer,
        limit: u32,
    ) -> Result<(RunReport, DeliveryReport), AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        let started = tokio::sync::Notify::new();
        let finished = AtomicBool::new(false);
        let run = async {
            let report = self.dunning_run_inner(org_slug, as_of, gate, actor, Some(&started)).await;
            finished.store(true, Ordering::SeqCst);
            // Also when the run failed or had nothing to do: delivery must not wait for ever.
            started.notify_one();
            report
        };
        let deliver = async {
            started.notified().await;
            let mut total = DeliveryReport::default();
            let mut attempted = HashSet::new();
            loop {
                let last = finished.load(Ordering::SeqCst);
                let left = limit.saturating_sub(total.attempts());
                let pass = self.deliver_pass(&org, mailer, left, &mut attempted).await?;
                let idle = pass.attempts() == 0;
                total.absorb(pass);
                if last || total.attempts() >= limit {
                    break;
                }
                if idle {
                    tokio::time::sleep(DELIVERY_POLL).await;
                }
            }
            Ok::<DeliveryReport, AppError>(total)
        };
        let (report, delivery) = tokio::join!(run, deliver);
        Ok((report?, delivery?))
    }

    /// One pass over the planned e-mails (newest page first, oldest first within it), skipping
    /// those in `attempted` and adding those it tries.
    async fn deliver_pass(
        &self,
        org: &arflow_store::StoredOrganisation,
        mailer: &Mailer,
        limit: u32,
        attempted: &mut HashSet<i64>,
    ) -> Result<DeliveryReport, AppError> {
        let parallel = usize::try_from(mailer.config().connections_max.max(1)).unwrap_or(1);
        let mut outcomes = Vec::new();
        let mut left = limit;
        while left > 0 {
            let mut tx = self.store.read().await?;
            let page = Page::first(left.min(DELIVERY_PAGE));
            let mut planned: Vec<StoredMessage> = tx
                .list_messages(org.id, Some(MessageStatus::Planned), None, page)
                .await?
                .into_iter()
                .filter(|m| m.message.channel == "email" && !attempted.contains(&m.id))
                .collect();
            tx.rollback().await?;
            attempted.extend(planned.iter().map(|m| m.id));
            if planned.is_empty() {
                break;
            }
            left = left.saturating_sub(u32::try_from(planned.len()).unwrap_or(u32::MAX));
            planned.reverse();
            // A pipeline of chunks of `parallel` messages: while one chunk is on the wire, the
            // answers of the previous one are recorded and the next one is claimed (each in one
            // transaction), so the server is never left waiting for our bookkeeping. A crash
            // leaves at most two chunks `sending` (then `uncertain`): never resent.
            let chunks: Vec<&[StoredMessage]> = planned.chunks(parallel).collect();
            let mut claimed = match chunks.first() {
                Some(first) => self.claim(org, first).await?,
                None => Vec::new(),
            };
            let mut answered: Option<Answered<'_>> = None;
            for k in 0..chunks.len() {
                let previous = answered.take();
                let next = chunks.get(k + 1).copied();
                let bookkeeping = async {
                    if let Some((messages, results)) = previous {
                        self.record(org, messages, results, &mut outcomes).await?;
                    }
                    match next {
                        Some(chunk) => self.claim(org, chunk).await,
                        None => Ok(Vec::new()),
                    }
                };
                let (results, next_claimed) = tokio::join!(send_all(mailer, &claimed), bookkeeping);
                let next_claimed = next_claimed?;
                answered = Some((std::mem::replace(&mut claimed, next_claimed), results));
            }
            if let Some((messages, results)) = answered {
                self.record(org, messages, results, &mut outcomes).await?;
            }
        }
        let mut report = DeliveryReport::default();
        for outcome in outcomes {
            match outcome? {
                Outcome::Sent => report.sent += 1,
                Outcome::Deferred(e) => {
                    report.deferred += 1;
                    report.errors.push(e);
                }
                Outcome::Failed(e) => {
                    report.failed += 1;
                    report.errors.push(e);
                }
            }
        }
        report.errors.sort_by_key(|e| e.message);
        Ok(report)
    }
}

/// Claimed messages with their attachments, ready to send.
type Claimed<'a> = Vec<(&'a StoredMessage, Vec<arflow_store::Attachment>)>;
/// Claimed messages with the server's answer to each.
type Answered<'a> = (Claimed<'a>, Vec<Result<(), SendError>>);

/// Sends claimed messages at once, one per connection the mailer keeps.
async fn send_all(mailer: &Mailer, claimed: &Claimed<'_>) -> Vec<Result<(), SendError>> {
    let sending = claimed.iter().map(|(m, attachments)| async move {
        match outgoing(mailer, m, attachments.clone()) {
            Ok(email) => mailer.send(&email).await,
            Err(e) => Err(e),
        }
    });
    futures_util::future::join_all(sending).await
}

impl App {
    /// Claims messages in one transaction (`planned → sending`, committed before anything is
    /// handed over): only one deliverer gets each. Returns those claimed, with attachments.
    async fn claim<'a>(
        &self,
        org: &arflow_store::StoredOrganisation,
        chunk: &'a [StoredMessage],
    ) -> Result<Claimed<'a>, AppError> {
        let mut tx = self.store.begin_write().await?;
        let mut claimed = Vec::with_capacity(chunk.len());
        for m in chunk {
            if tx
                .set_message_status(
                    org.id,
                    m.id,
                    MessageStatus::Planned,
                    MessageStatus::Sending,
                    None,
                    self.now(),
                )
                .await?
            {
                let attachments = tx.message_attachments(org.id, m.id).await?;
                claimed.push((m, attachments));
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records the server's answers in one transaction.
    async fn record(
        &self,
        org: &arflow_store::StoredOrganisation,
        claimed: Claimed<'_>,
        results: Vec<Result<(), SendError>>,
        outcomes: &mut Vec<Result<Outcome, AppError>>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        for ((m, _), result) in claimed.iter().zip(results) {
            outcomes.push(self.finish_one(&mut tx, org, m, result, now).await);
        }
        tx.commit().await?;
        Ok(())
    }
}

/// What happened to one message.
enum Outcome {
    Sent,
    Deferred(DeliveryError),
    Failed(DeliveryError),
}

impl App {
    /// Finishes one message after the server answered, in the caller's transaction.
    async fn finish_one(
        &self,
        tx: &mut arflow_store::StoreTx,
        org: &arflow_store::StoredOrganisation,
        m: &StoredMessage,
        result: Result<(), SendError>,
        now: i64,
    ) -> Result<Outcome, AppError> {
        let outcome;
        match result {
            Ok(()) => {
                tx.set_message_status(
                    org.id,
                    m.id,
                    MessageStatus::Sending,
                    MessageStatus::Sent,
                    None,
                    now,
                )
                .await?;
                outcome = Outcome::Sent;
            }
            Err(e)
                if e.is_retryable()
                    && !matches!(e, SendError::Transient { possibly_delivered: true, .. }) =>
            {
                tx.set_message_status(
                    org.id,
                    m.id,
                    MessageStatus::Sending,
                    MessageStatus::Planned,
                    Some(&e.to_string()),
                    now,
                )
                .await?;
                outcome = Outcome::Deferred(DeliveryError {
                    message: m.id,
                    recipient: m.message.recipient.clone(),
                    error: e.to_string(),
                });
            }
            Err(e) => {
                // Refused for good, or it may have arrived: a person decides.
                let to =
                    if e.is_retryable() { MessageStatus::Uncertain } else { MessageStatus::Failed };
                tx.set_message_status(
                    org.id,
                    m.id,
                    MessageStatus::Sending,
                    to,
                    Some(&e.to_string()),
                    now,
                )
                .await?;
                let debtor = tx.get_debtor(org.id, m.message.debtor_id).await?;
                let task_id = tx.reserve_ids(org.id, "task", 1).await?;
                let title = if to == MessageStatus::Failed {
                    format!(
                        "E-mail to {} ({}) was refused: {e}. Correct the address and send the reminder again.",
                        m.message.recipient, debtor.debtor.number
                    )
                } else {
                    format!(
                        "E-mail to {} ({}) may or may not have arrived: {e}. Check and resend by hand if needed.",
                        m.message.recipient, debtor.debtor.number
                    )
                };
                tx.insert_task(
                    org.id,
                    task_id,
                    &NewTask {
                        debtor_id: m.message.debtor_id,
                        action_id: Some(m.message.action_id),
                        kind: "bounce".into(),
                        title,
                        owner: debtor.debtor.owner.clone(),
                        due_on: self.today(&org.organisation),
                    },
                    now,
                )
                .await?;
                tx.insert_audit(
                    org.id,
                    &[AuditEntry {
                        at: now,
                        actor: "deliver".into(),
                        action: "contact.bounced".into(),
                        entity: "debtor".into(),
                        entity_key: debtor.debtor.number.clone(),
                        details: serde_json::json!({ "message": m.id, "recipient": m.message.recipient, "error": e }),
                    }],
                )
                .await?;
                outcome = Outcome::Failed(DeliveryError {
                    message: m.id,
                    recipient: m.message.recipient.clone(),
                    error: e.to_string(),
                });
            }
        }
        Ok(outcome)
    }
}

/// The e-mail of a stored message.
fn outgoing(
    mailer: &Mailer,
    m: &StoredMessage,
    attachments: Vec<arflow_store::Attachment>,
) -> Result<OutgoingEmail, SendError> {
    let config = mailer.config();
    let to: Mailbox = m.message.recipient.parse().map_err(|e| SendError::Permanent {
        code: 553,
        message: format!("the address {:?} is not valid: {e}", m.message.recipient),
    })?;
    let key = m.message.message_id.trim_start_matches('<').trim_end_matches('>');
    let key = key.split('@').next().unwrap_or(key);
    Ok(OutgoingEmail {
        message_id: MessageId::for_sender(key, &config.from)?,
        from: config.from.clone(),
        to: vec![to],
        reply_to: config.reply_to.clone(),
        subject: m.message.subject.clone(),
        text: m.message.text_body.clone(),
        html: (!m.message.html_body.is_empty()).then(|| m.message.html_body.clone()),
        attachments: attachments
            .into_iter()
            .map(|a| MailAttachment {
                file_name: a.file_name,
                content_type: a.content_type,
                bytes: a.content,
            })
            .collect(),
        headers: vec![("X-Arflow-Message".into(), m.id.to_string())],
    })
}
