//! Dunning for people: what a run would do on a date, running today's run, the actions waiting
//! for approval (approved or refused one by one or together), and the outbox with every message
//! exactly as it was sent — where a person also settles a message whose delivery is uncertain.

use std::collections::BTreeMap;

use arflow_app::dunning::RunReport;
use arflow_app::outbox::UncertainDecision;
use arflow_app::{App, AppError};
use arflow_core::dunning::LegalGate;
use arflow_core::money::{Currency, Money};
use arflow_store::{MessageStatus, Page as Rows, StoredMessage};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::debtors::segment;
use super::page::{Lang, esc, money};
use super::{Staff, failure, notice_html, redirect_to};

/// Actions listed on the preview page; the summary above it counts all of them.
const PREVIEW_ROWS: usize = 200;
/// Messages per outbox page.
const OUTBOX_ROWS: u32 = 50;

fn title(lang: Lang) -> &'static str {
    lang.pick("Aanmanen", "Relances", "Dunning")
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DunningQuery {
    #[serde(default)]
    as_of: Option<String>,
}

/// `GET /dunning?as_of=DATE`: the approval queue, today's run, and — for the date asked —
/// what a run would do, without doing anything.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<DunningQuery>,
) -> Response {
    let lang = staff.lang;
    let as_of = match q.as_of.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => match arflow_core::date::parse_iso_date(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let msg = format!("{}: {e}", lang.pick("Datum", "Date", "Date"));
                return dunning_page(
                    &app,
                    &staff,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(&msg),
                )
                .await;
            }
        },
    };
    dunning_page(&app, &staff, StatusCode::OK, as_of, None).await
}

async fn dunning_page(
    app: &App,
    staff: &Staff,
    status: StatusCode,
    as_of: Option<jiff::civil::Date>,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let today = app.today(&org.organisation);
    let approvals = match approval_queue(app, staff).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let preview = match as_of {
        None => String::new(),
        Some(date) => {
            let gate = LegalGate { creditor: org.organisation.country };
            match app.dunning_preview(Some(&staff.current.slug), Some(date), &gate).await {
                Ok(report) => preview_html(lang, &report, org.organisation.currency),
                Err(e) => return failure(&e),
            }
        }
    };
    let csrf = esc(&staff.session.csrf);
    let run_form = if staff.role.can_operate() {
        format!(
            "<form method=\"post\" action=\"/dunning/run\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p>{explain}</p><button type=\"submit\" id=\"run-today\">{run} {today}</button></form>",
            explain = esc(lang.pick(
                "Een run op een datum gebeurt één keer: nog eens draaien doet niets. Wat goedkeuring nodig heeft, wacht hieronder.",
                "Une relance par date n'a lieu qu'une fois : la relancer ne fait rien. Ce qui demande une approbation attend ci-dessous.",
                "A run on a date happens once: running it again does nothing. What needs approval waits below.",
            )),
            run = esc(lang.pick("Run uitvoeren voor", "Lancer la relance du", "Run dunning for")),
        )
    } else {
        String::new()
    };
    let date_value = as_of.unwrap_or(today);
    let body = format!(
        "<h1>{title}</h1>{notice}\
         <section class=\"card\"><h2>{what}</h2>\
         <form method=\"get\" action=\"/dunning\"><label for=\"as_of\">{date_l}</label>\
         <input id=\"as_of\" name=\"as_of\" type=\"date\" value=\"{date_value}\" required> \
         <button type=\"submit\">{show}</button></form>{run_form}</section>\
         {preview}{approvals}\
         <p><a href=\"/outbox\">{outbox}</a> · <a href=\"/policies\">{policies}</a></p>",
        title = esc(title(lang)),
        notice = notice_html(notice),
        what = esc(lang.pick(
            "Wat zou een run doen op",
            "Que ferait une relance le",
            "What would a run do on",
        )),
        date_l = esc(lang.pick("Datum", "Date", "Date")),
        show = esc(lang.pick("Tonen", "Afficher", "Show")),
        outbox = esc(outbox_title(lang)),
        policies = esc(policies_title(lang)),
    );
    staff.page(status, title(lang), &body)
}

/// The summary (actions per step and channel, with their open amounts), then the first actions,
/// the refused steps and the skipped debtors, each with the reason.
fn preview_html(lang: Lang, report: &RunReport, currency: Currency) -> String {
    let mut per_step: BTreeMap<(String, String), (u64, i64, u64)> = BTreeMap::new();
    for a in &report.actions {
        let channels: Vec<&str> = a.channels.iter().map(|c| c.as_str()).collect();
        let entry = per_step.entry((a.step.clone(), channels.join(" + "))).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(minor_of(&a.open, currency));
        entry.2 += u64::from(a.approval);
    }
    let summary: String = per_step
        .iter()
        .map(|((step, channels), (n, open, approval))| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{n}</td><td class=\"num\">{approval}</td><td class=\"num\">{}</td></tr>",
                esc(step),
                esc(channels),
                esc(&money(lang, &Money::from_minor(*open, currency).to_string())),
            )
        })
        .collect();
    let rows: String = report
        .actions
        .iter()
        .take(PREVIEW_ROWS)
        .map(|a| {
            let channels: Vec<&str> = a.channels.iter().map(|c| c.as_str()).collect();
            let charges: Vec<String> = a
                .charges
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {} ({})",
                        c.invoice.as_deref().unwrap_or(""),
                        c.currency,
                        money(lang, &c.amount),
                        c.explanation.article
                    )
                })
                .collect();
            format!(
                "<tr><td><a href=\"/debtors/{href}\">{debtor}</a></td><td>{step}</td><td>{channels}</td>\
                 <td>{invoices}</td><td class=\"num\">{currency} {open}</td><td>{charges}</td><td>{approval}</td></tr>",
                href = segment(&a.debtor),
                debtor = esc(&a.debtor),
                step = esc(&a.step),
                channels = esc(&channels.join(", ")),
                invoices = esc(&a.invoices.join(", ")),
                currency = esc(&a.currency),
                open = esc(&money(lang, &a.open)),
                charges = esc(&charges.join("; ")),
                approval = if a.approval { esc(lang.pick("ja", "oui", "yes")) } else { String::new() },
            )
        })
        .collect();
    let more = report.actions.len().saturating_sub(PREVIEW_ROWS);
    let more_html = if more > 0 {
        format!(
            "<p>{} {more} {}</p>",
            esc(lang.pick("En nog", "Et encore", "And")),
            esc(lang.pick("acties.", "actions.", "more actions."))
        )
    } else {
        String::new()
    };
    let refused: String = report
        .refused
        .iter()
        .take(PREVIEW_ROWS)
        .map(|r| {
            format!(
                "<li><a href=\"/debtors/{}\">{}</a> · {} · {}</li>",
                segment(&r.debtor),
                esc(&r.debtor),
                esc(&r.step),
                esc(&r.reason)
            )
        })
        .collect();
    let skipped: String = report
        .skipped
        .iter()
        .take(PREVIEW_ROWS)
        .map(|s| {
            format!(
                "<li><a href=\"/debtors/{}\">{}</a>{} · {}</li>",
                segment(&s.debtor),
                esc(&s.debtor),
                s.invoice.as_deref().map_or_else(String::new, |i| format!(" · {}", esc(i))),
                esc(&s.reason)
            )
        })
        .collect();
    format!(
        "<section class=\"card\" id=\"preview\" data-actions=\"{n}\"><h2>{heading} {as_of}</h2>\
         <p id=\"preview-count\">{n} {actions_l} · {refused_n} {refused_l} · {skipped_n} {skipped_l}</p>\
         <table><caption>{per_step_l}</caption><thead><tr><th>{step_l}</th><th>{channels_l}</th><th class=\"num\">{actions_h}</th>\
         <th class=\"num\">{approval_l}</th><th class=\"num\">{open_l} ({currency})</th></tr></thead><tbody>{summary}</tbody></table>\
         <details{open_details}><summary>{list_l}</summary><table><thead><tr><th>{debtor_l}</th><th>{step_l}</th><th>{channels_l}</th>\
         <th>{invoices_l}</th><th class=\"num\">{open_l}</th><th>{charges_l}</th><th>{approval_l}</th></tr></thead>\
         <tbody>{rows}</tbody></table>{more_html}</details>\
         <details><summary>{refused_n} {refused_l}</summary><ul>{refused}</ul></details>\
         <details><summary>{skipped_n} {skipped_l}</summary><ul>{skipped}</ul></details></section>",
        n = report.actions.len(),
        heading = esc(lang.pick("Een run zou op", "Une relance ferait le", "A run would do on")),
        as_of = report.as_of,
        actions_l = esc(lang.pick("acties", "actions", "actions")),
        refused_n = report.refused.len(),
        refused_l = esc(lang.pick("geweigerde stappen", "étapes refusées", "steps refused")),
        skipped_n = report.skipped.len(),
        skipped_l = esc(lang.pick("overgeslagen", "ignorés", "skipped")),
        per_step_l =
            esc(lang.pick("Per stap en kanaal", "Par étape et canal", "Per step and channel")),
        step_l = esc(lang.t("step")),
        channels_l = esc(lang.pick("Kanalen", "Canaux", "Channels")),
        actions_h = esc(lang.pick("Acties", "Actions", "Actions")),
        approval_l = esc(lang.pick("Goedkeuring", "Approbation", "Approval")),
        open_l = esc(lang.t("open")),
        currency = esc(currency.code()),
        open_details = if report.actions.len() <= 20 { " open" } else { "" },
        list_l = esc(lang.pick("De acties", "Les actions", "The actions")),
        debtor_l = esc(lang.t("debtor")),
        invoices_l = esc(lang.t("invoices")),
        charges_l = esc(lang.pick("Kosten en rente", "Frais et intérêts", "Charges")),
    )
}

/// An amount of the report (`"1234.56"`) in minor units; 0 when it cannot be read (never
/// expected: the report writes them).
fn minor_of(amount: &str, currency: Currency) -> i64 {
    Money::parse(amount, currency).map_or(0, |m| m.minor())
}

/// The open approval tasks, as a form that approves or refuses the ticked ones.
async fn approval_queue(app: &App, staff: &Staff) -> Result<String, AppError> {
    let lang = staff.lang;
    let tasks = app.tasks(Some(&staff.current.slug), false, None, Rows::first(500)).await?;
    let approvals: Vec<_> = tasks.iter().filter(|t| t.kind == "approval").collect();
    let heading =
        esc(lang.pick("Wacht op goedkeuring", "En attente d'approbation", "Waiting for approval"));
    if approvals.is_empty() {
        return Ok(format!(
            "<section class=\"card\" id=\"approvals\"><h2>{heading}</h2><p id=\"no-approvals\">{}</p></section>",
            esc(lang.pick(
                "Niets wacht op goedkeuring.",
                "Rien n'attend d'approbation.",
                "Nothing waits for approval."
            ))
        ));
    }
    let can = staff.role.can_operate();
    let rows: String = approvals
        .iter()
        .map(|t| {
            let tick = if can {
                format!(
                    "<td><input type=\"checkbox\" name=\"task\" value=\"{id}\" id=\"approve-{id}\" checked \
                     aria-label=\"{label}\"></td>",
                    id = t.id,
                    label = esc(&t.title),
                )
            } else {
                String::new()
            };
            format!(
                "<tr class=\"approval\">{tick}<td>{title}</td><td><a href=\"/debtors/{href}\">{debtor}</a></td>\
                 <td>{due}</td><td><a href=\"/outbox?status=held\">{held}</a></td></tr>",
                title = esc(&t.title),
                href = segment(&t.debtor_number),
                debtor = esc(&t.debtor_number),
                due = t.due_on,
                held = esc(lang.pick("berichten", "messages", "messages")),
            )
        })
        .collect();
    let buttons = if can {
        format!(
            "<p><button type=\"submit\" name=\"outcome\" value=\"approved\" id=\"approve-selected\">{approve}</button> \
             <button type=\"submit\" name=\"outcome\" value=\"rejected\" id=\"reject-selected\">{reject}</button></p>",
            approve = esc(lang.pick(
                "Aangevinkte goedkeuren",
                "Approuver la sélection",
                "Approve selected"
            )),
            reject =
                esc(lang.pick("Aangevinkte weigeren", "Refuser la sélection", "Refuse selected")),
        )
    } else {
        String::new()
    };
    let tick_head = if can { "<th></th>" } else { "" };
    Ok(format!(
        "<section class=\"card\" id=\"approvals\"><h2>{heading} ({n})</h2>\
         <form method=\"post\" action=\"/dunning/approvals\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <table><thead><tr>{tick_head}<th>{what}</th><th>{debtor}</th><th>{due}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         {buttons}</form></section>",
        n = approvals.len(),
        csrf = esc(&staff.session.csrf),
        what = esc(lang.pick("Actie", "Action", "Action")),
        debtor = esc(lang.t("debtor")),
        due = esc(lang.t("due_date")),
    ))
}

/// `POST /dunning/run`: today's run (in the organisation's time zone). A second run of the same
/// day does nothing and says so.
pub(crate) async fn run(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<super::CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let gate = LegalGate { creditor: org.organisation.country };
    let report = match app
        .dunning_run(Some(&staff.current.slug), None, false, &gate, &staff.actor())
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(&e),
    };
    let awaiting = report.actions.iter().filter(|a| a.approval).count();
    let messages: usize = report.actions.iter().map(|a| a.messages.len()).sum();
    let problems: usize = report.actions.iter().map(|a| a.problems.len()).sum();
    let notice = if report.already_ran {
        format!("{} {}.", lang.pick("De run van", "La relance du", "The run of"), report.as_of)
            + lang.pick(
                " was al gedaan; er is niets opnieuw gedaan.",
                " avait déjà eu lieu ; rien n'a été refait.",
                " had already been done; nothing was done again.",
            )
    } else {
        format!(
            "{} {}: {} {}, {} {}, {} {}, {} {}.",
            lang.pick("Run van", "Relance du", "Run of"),
            report.as_of,
            report.actions.len(),
            lang.pick("acties", "actions", "actions"),
            messages,
            lang.pick(
                "berichten in de outbox",
                "messages dans la boîte d'envoi",
                "messages in the outbox"
            ),
            awaiting,
            lang.pick("wachten op goedkeuring", "en attente d'approbation", "waiting for approval"),
            problems,
            lang.pick("taken voor een persoon", "tâches pour une personne", "tasks for a person"),
        )
    };
    let body = format!(
        "<h1>{title}</h1><p class=\"card\" id=\"run-result\" role=\"status\">{notice}</p>\
         <p><a href=\"/dunning\">{back}</a> · <a href=\"/outbox\">{outbox}</a></p>",
        title = esc(title(lang)),
        notice = esc(&notice),
        back = esc(lang.pick("Terug naar aanmanen", "Retour aux relances", "Back to dunning")),
        outbox = esc(outbox_title(lang)),
    );
    staff.page(StatusCode::OK, title(lang), &body)
}

/// `POST /dunning/approvals`: approves (or refuses) the ticked actions. Approved e-mails go to
/// the outbox; refused actions send nothing.
pub(crate) async fn approvals(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if let Err(r) = staff.check_csrf(field("csrf").unwrap_or("")).and_then(|()| staff.may_operate())
    {
        return r;
    }
    let lang = staff.lang;
    let outcome = match field("outcome") {
        Some(o @ ("approved" | "rejected")) => o,
        _ => {
            let msg = lang.pick(
                "Kies goedkeuren of weigeren.",
                "Choisissez approuver ou refuser.",
                "Choose approve or refuse.",
            );
            return dunning_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg))
                .await;
        }
    };
    let ids: Vec<i64> =
        form.iter().filter(|(k, _)| k == "task").filter_map(|(_, v)| v.parse().ok()).collect();
    if ids.is_empty() {
        let msg = lang.pick(
            "Vink eerst een actie aan.",
            "Cochez d'abord une action.",
            "Tick an action first.",
        );
        return dunning_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg)).await;
    }
    // Only approval tasks of this organisation: anything else is not found, and nothing of the
    // batch is done.
    let open = match app.tasks(Some(&staff.current.slug), false, None, Rows::first(1000)).await {
        Ok(t) => t,
        Err(e) => return failure(&e),
    };
    if !ids.iter().all(|id| open.iter().any(|t| t.id == *id && t.kind == "approval")) {
        return dunning_page(&app, &staff, StatusCode::NOT_FOUND, None, Some(lang.t("not_found")))
            .await;
    }
    for id in ids {
        match app
            .complete_task(Some(&staff.current.slug), id, outcome, None, None, &staff.actor())
            .await
        {
            Ok(()) | Err(AppError::NotFound { .. }) => {} // someone else decided it meanwhile
            Err(e) => return failure(&e),
        }
    }
    redirect_to("/dunning")
}

fn outbox_title(lang: Lang) -> &'static str {
    lang.pick("Outbox", "Boîte d'envoi", "Outbox")
}

fn policies_title(lang: Lang) -> &'static str {
    lang.pick("Beleid", "Politiques", "Policies")
}

fn status_label(lang: Lang, status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Planned => {
            lang.pick("klaar om te verzenden", "prêt à l'envoi", "ready to send")
        }
        MessageStatus::Sending => lang.pick("wordt verzonden", "en cours d'envoi", "sending"),
        MessageStatus::Sent => lang.pick("verzonden", "envoyé", "sent"),
        MessageStatus::Uncertain => lang.pick("onzeker", "incertain", "uncertain"),
        MessageStatus::Failed => lang.pick("mislukt", "échoué", "failed"),
        MessageStatus::Held => lang.pick("wacht", "en attente", "held"),
    }
}

const STATUSES: [MessageStatus; 6] = [
    MessageStatus::Planned,
    MessageStatus::Sending,
    MessageStatus::Sent,
    MessageStatus::Uncertain,
    MessageStatus::Failed,
    MessageStatus::Held,
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OutboxQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /outbox?status=&before=`: messages, newest first, fifty a page.
pub(crate) async fn outbox(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let lang = staff.lang;
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| STATUSES.iter().copied().find(|st| st.as_str() == s));
    let rows = q.before.map_or(Rows::first(OUTBOX_ROWS), |b| Rows::after(b, OUTBOX_ROWS));
    let list = match app.outbox(Some(&staff.current.slug), status, rows).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let tz = org.organisation.time_zone.clone();
    let options: String = std::iter::once(("", lang.pick("alle", "tous", "all")))
        .chain(STATUSES.iter().map(|s| (s.as_str(), status_label(lang, *s))))
        .map(|(value, label)| {
            let selected = status.map_or(value.is_empty(), |s| s.as_str() == value);
            format!(
                "<option value=\"{value}\"{}>{}</option>",
                if selected { " selected" } else { "" },
                esc(label)
            )
        })
        .collect();
    let trs: String = list
        .iter()
        .map(|m| {
            format!(
                "<tr class=\"message status-{status_code}\"><td><a href=\"/outbox/{id}\">{at}</a></td>\
                 <td><a href=\"/debtors/{href}\">{debtor}</a></td><td>{channel}</td><td>{to}</td><td>{subject}</td><td>{status}</td></tr>",
                status_code = m.status.as_str(),
                id = m.id,
                at = esc(&arflow_app::local_time_in(m.created_at, &tz)),
                href = segment(&m.debtor_number),
                debtor = esc(&m.debtor_number),
                channel = esc(&m.message.channel),
                to = esc(&m.message.recipient),
                subject = esc(&m.message.subject),
                status = esc(status_label(lang, m.status)),
            )
        })
        .collect();
    let next = if list.len() == OUTBOX_ROWS as usize {
        list.last().map_or_else(String::new, |m| {
            format!(
                "<p><a href=\"/outbox?status={}&amp;before={}\" rel=\"next\">{}</a></p>",
                status.map_or("", |s| s.as_str()),
                m.id,
                esc(lang.pick("Oudere berichten", "Messages plus anciens", "Older messages"))
            )
        })
    } else {
        String::new()
    };
    let table = if list.is_empty() {
        format!(
            "<p class=\"card\" id=\"no-messages\">{}</p>",
            esc(lang.pick("Geen berichten.", "Aucun message.", "No messages."))
        )
    } else {
        format!(
            "<table class=\"card\"><thead><tr><th>{created}</th><th>{debtor}</th><th>{channel}</th><th>{to}</th>\
             <th>{subject}</th><th>{status}</th></tr></thead><tbody>{trs}</tbody></table>{next}",
            created = esc(lang.pick("Gemaakt", "Créé", "Created")),
            debtor = esc(lang.t("debtor")),
            channel = esc(lang.pick("Kanaal", "Canal", "Channel")),
            to = esc(lang.pick("Aan", "À", "To")),
            subject = esc(lang.t("subject")),
            status = esc(lang.pick("Status", "Statut", "Status")),
        )
    };
    let body = format!(
        "<h1>{title}</h1><form method=\"get\" action=\"/outbox\"><label for=\"status\">{status_l}</label>\
         <select id=\"status\" name=\"status\">{options}</select> <button type=\"submit\">{show}</button></form>{table}",
        title = esc(outbox_title(lang)),
        status_l = esc(lang.pick("Status", "Statut", "Status")),
        show = esc(lang.pick("Tonen", "Afficher", "Show")),
    );
    staff.page(StatusCode::OK, outbox_title(lang), &body)
}

/// `GET /outbox/{id}`: one message exactly as it was (or will be) sent.
pub(crate) async fn message(State(app): State<App>, staff: Staff, Path(id): Path<i64>) -> Response {
    match app.outbox_message(Some(&staff.current.slug), id).await {
        Ok(m) => message_page(&app, &staff, &m, StatusCode::OK, None).await,
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

async fn message_page(
    app: &App,
    staff: &Staff,
    m: &StoredMessage,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let tz = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o.organisation.time_zone,
        Err(e) => return failure(&e),
    };
    let attachments: String = m
        .message
        .attachments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "<li><a href=\"/outbox/{id}/attachments/{i}\">{name}</a> ({kb} kB)</li>",
                id = m.id,
                name = esc(&a.file_name),
                kb = a.content.len().div_ceil(1024),
            )
        })
        .collect();
    let settle = if m.status == MessageStatus::Uncertain && staff.role.can_operate() {
        format!(
            "<section class=\"card\" id=\"settle\"><h2>{q}</h2><p>{explain}</p>\
             <form method=\"post\" action=\"/outbox/{id}/settle\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\" name=\"decision\" value=\"went_out\">{went}</button> \
             <button type=\"submit\" name=\"decision\" value=\"send_again\">{again}</button></form></section>",
            q = esc(lang.pick("Is dit bericht aangekomen?", "Ce message est-il arrivé ?", "Did this message arrive?")),
            explain = esc(lang.pick(
                "Het verzenden werd onderbroken; arflow stuurt het niet vanzelf opnieuw, om het nooit twee keer te sturen. Kijk het na in het logboek van de mailserver of bij de debiteur.",
                "L'envoi a été interrompu ; arflow ne le renvoie pas de lui-même, pour ne jamais l'envoyer deux fois. Vérifiez dans le journal du serveur de messagerie ou auprès du débiteur.",
                "Sending was interrupted; arflow does not send it again by itself, so that it is never sent twice. Check the mail server's log or with the debtor.",
            )),
            id = m.id,
            csrf = esc(&staff.session.csrf),
            went = esc(lang.pick("Het is verzonden", "Il est parti", "It went out")),
            again = esc(lang.pick("Opnieuw verzenden", "Renvoyer", "Send it again")),
        )
    } else {
        String::new()
    };
    let html_part = if m.message.html_body.is_empty() {
        String::new()
    } else {
        format!(
            "<h3>HTML</h3><iframe title=\"HTML\" sandbox=\"\" srcdoc=\"{}\" style=\"width:100%;min-height:24rem;border:1px solid #ccd\"></iframe>",
            esc(&m.message.html_body)
        )
    };
    let body = format!(
        "<h1>{subject}</h1>{notice}<section class=\"card\"><dl>\
         <dt>{status_l}</dt><dd id=\"message-status\">{status}</dd>\
         <dt>{debtor_l}</dt><dd><a href=\"/debtors/{href}\">{debtor}</a></dd>\
         <dt>{channel_l}</dt><dd>{channel}</dd><dt>{to_l}</dt><dd>{to}</dd>\
         <dt>{lang_l}</dt><dd>{language}</dd><dt>{created_l}</dt><dd>{created}</dd>\
         <dt>{sent_l}</dt><dd>{sent}</dd><dt>{attempts_l}</dt><dd>{attempts}</dd>\
         <dt>Message-ID</dt><dd><code>{message_id}</code></dd>{error}</dl></section>{settle}\
         <section class=\"card\"><h2>{text_l}</h2><pre id=\"message-text\" style=\"white-space:pre-wrap\">{text}</pre>{html_part}\
         {attachments_block}</section><p><a href=\"/outbox\">{outbox}</a></p>",
        subject = esc(&m.message.subject),
        notice = notice_html(notice),
        status_l = esc(lang.pick("Status", "Statut", "Status")),
        status = esc(status_label(lang, m.status)),
        debtor_l = esc(lang.t("debtor")),
        href = segment(&m.debtor_number),
        debtor = esc(&m.debtor_number),
        channel_l = esc(lang.pick("Kanaal", "Canal", "Channel")),
        channel = esc(&m.message.channel),
        to_l = esc(lang.pick("Aan", "À", "To")),
        to = esc(&m.message.recipient),
        lang_l = esc(lang.t("language")),
        language = esc(&m.message.language),
        created_l = esc(lang.pick("Gemaakt", "Créé", "Created")),
        created = esc(&arflow_app::local_time_in(m.created_at, &tz)),
        sent_l = esc(lang.pick("Verzonden", "Envoyé", "Sent")),
        sent = esc(&m.sent_at.map_or_else(String::new, |s| arflow_app::local_time_in(s, &tz))),
        attempts_l = esc(lang.pick("Pogingen", "Tentatives", "Attempts")),
        attempts = m.attempts,
        message_id = esc(&m.message.message_id),
        error = m.last_error.as_deref().map_or_else(String::new, |e| format!(
            "<dt>{}</dt><dd>{}</dd>",
            esc(lang.pick("Laatste fout", "Dernière erreur", "Last error")),
            esc(e)
        )),
        text_l = esc(lang.t("text")),
        text = esc(&m.message.text_body),
        attachments_block = if attachments.is_empty() {
            String::new()
        } else {
            format!(
                "<h3>{}</h3><ul>{attachments}</ul>",
                esc(lang.pick("Bijlagen", "Pièces jointes", "Attachments"))
            )
        },
        outbox = esc(outbox_title(lang)),
    );
    staff.page(status, &m.message.subject, &body)
}

/// `GET /outbox/{id}/attachments/{n}`.
pub(crate) async fn attachment(
    State(app): State<App>,
    staff: Staff,
    Path((id, n)): Path<(i64, usize)>,
) -> Response {
    match app.message_attachment(Some(&staff.current.slug), id, n).await {
        Ok(a) => crate::api::file_response(a.content, &a.content_type, &a.file_name, "attachment"),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettleIn {
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// `POST /outbox/{id}/settle`: a person says whether an uncertain message went out.
pub(crate) async fn settle(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<SettleIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let decision = match form.decision.as_str() {
        "went_out" => Some(UncertainDecision::WentOut),
        "send_again" => Some(UncertainDecision::SendAgain),
        _ => None,
    };
    let result = match decision {
        Some(d) => {
            app.settle_uncertain_message(Some(&staff.current.slug), id, d, &staff.actor()).await
        }
        None => Err(AppError::Invalid {
            field: Some("decision".into()),
            message: "use went_out or send_again".into(),
        }),
    };
    match result {
        Ok(_) => redirect_to(&format!("/outbox/{id}")),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(AppError::Invalid { message, .. }) => {
            match app.outbox_message(Some(&staff.current.slug), id).await {
                Ok(m) => {
                    message_page(&app, &staff, &m, StatusCode::UNPROCESSABLE_ENTITY, Some(&message))
                        .await
                }
                Err(e) => failure(&e),
            }
        }
        Err(e) => failure(&e),
    }
}
