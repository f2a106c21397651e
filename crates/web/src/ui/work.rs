//! The work queues: bank entries waiting for a person (accept a suggestion or reject), and the
//! tasks inbox (complete with an outcome).

use arflow_app::dunning::TASK_OUTCOMES;
use arflow_app::{App, AppError};
use arflow_store::Page as Rows;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::debtors::segment;
use super::page::{Lang, esc, money};
use super::{Staff, failure, notice_html, redirect_to};

/// `GET /matches`: what the matcher was not sure about, with its suggestions and why.
pub(crate) async fn matches(State(app): State<App>, staff: Staff) -> Response {
    matches_page(&app, &staff, StatusCode::OK, None).await
}

async fn matches_page(
    app: &App,
    staff: &Staff,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let items = match app.review_queue(&org, true, Rows::first(100)).await {
        Ok(i) => i,
        Err(e) => return failure(&e),
    };
    let csrf = esc(&staff.session.csrf);
    let can_decide = staff.role.can_operate();
    let cards: String = items
        .iter()
        .map(|item| {
            let e = &item.entry;
            let suggestions: String = item
                .suggestions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let invoices: Vec<String> = s
                        .allocations
                        .iter()
                        .map(|a| format!("{} ({})", a.invoice_number, money(lang, &a.amount)))
                        .collect();
                    let accept = if can_decide {
                        format!(
                            "<form method=\"post\" action=\"/matches/{id}/accept\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                             <input type=\"hidden\" name=\"choice\" value=\"{n}\"><button type=\"submit\">{label} {n}</button></form>",
                            id = e.id,
                            n = i + 1,
                            label = esc(lang.t("accept_suggestion")),
                        )
                    } else {
                        String::new()
                    };
                    // Why, in the person's language, then the matcher's full reasoning (its
                    // amounts and names), also in the person's language; a proposal stored before
                    // the matcher kept its sentences has only English, marked as such.
                    let unapplied = if s.unapplied.trim_start_matches(['0', '.']).is_empty() {
                        String::new()
                    } else {
                        format!(
                            " {} {} {}.",
                            lang.pick("Niet toegewezen blijft", "Reste non affecté :", "Left unapplied:"),
                            esc(&e.currency),
                            esc(&money(lang, &s.unapplied))
                        )
                    };
                    format!(
                        "<li class=\"suggestion\"><strong>{confidence}%</strong> · {debtor} · {invoices}<br>\
                         {why}{unapplied}<br><small{marked}>{explanation}</small>{accept}</li>",
                        confidence = s.confidence,
                        debtor = esc(s.debtor_number.as_deref().unwrap_or("")),
                        invoices = esc(&invoices.join(", ")),
                        why = esc(rule_reason(lang, s.rule)),
                        marked = if s.said.is_empty() && lang != Lang::En {
                            " lang=\"en\""
                        } else {
                            ""
                        },
                        explanation = esc(&s.explain(lang.language())),
                    )
                })
                .collect();
            let reject = if can_decide {
                let rows: String = (1..=SPLIT_ROWS)
                    .map(|n| {
                        format!(
                            "<p><label for=\"split-{id}-invoice-{n}\" style=\"display:inline\">{inv_l} {n}</label> \
                             <input id=\"split-{id}-invoice-{n}\" name=\"invoice_{n}\" size=\"14\"> \
                             <label for=\"split-{id}-amount-{n}\" style=\"display:inline\">{amount_l}</label> \
                             <input id=\"split-{id}-amount-{n}\" name=\"amount_{n}\" inputmode=\"decimal\" size=\"10\"></p>",
                            id = e.id,
                            inv_l = esc(lang.t("invoice")),
                            amount_l = esc(lang.t("amount")),
                        )
                    })
                    .collect();
                format!(
                    "<details class=\"split\"><summary>{split_l}</summary>\
                     <form method=\"post\" action=\"/matches/{id}/accept\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <p>{split_help}</p>{rows}<button type=\"submit\">{split_button}</button></form></details>\
                     <form method=\"post\" action=\"/matches/{id}/reject\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\">{label}</button></form>",
                    id = e.id,
                    label = esc(lang.t("reject_suggestions")),
                    split_l = esc(lang.pick("Verdelen over facturen", "Répartir sur des factures", "Split over invoices")),
                    split_help = esc(lang.pick(
                        "Wat niet verdeeld wordt, blijft als niet-toegewezen tegoed op de betaling staan.",
                        "Ce qui n'est pas réparti reste sur le paiement comme crédit non affecté.",
                        "What is not split stays on the payment as unapplied credit.",
                    )),
                    split_button = esc(lang.pick("Zo verdelen", "Répartir ainsi", "Split like this")),
                )
            } else {
                String::new()
            };
            format!(
                "<article class=\"card entry\" id=\"entry-{id}\"><h2>{date} · {currency} {amount}</h2>\
                 <p>{name} {iban}<br>{text}</p><ol>{suggestions}</ol>{reject}</article>",
                id = e.id,
                date = e.booking_date,
                currency = esc(&e.currency),
                amount = esc(&money(lang, &e.amount)),
                name = esc(e.counterparty_name.as_deref().unwrap_or("")),
                iban = esc(e.counterparty_iban.as_deref().unwrap_or("")),
                text = esc(&e.remittance),
            )
        })
        .collect();
    let body = if items.is_empty() {
        format!(
            "<h1>{}</h1>{}<p class=\"card\" id=\"no-matches\">{}</p>",
            esc(lang.t("matches")),
            notice_html(notice),
            esc(lang.t("nothing_to_review"))
        )
    } else {
        format!("<h1>{}</h1>{}{cards}", esc(lang.t("matches")), notice_html(notice))
    };
    staff.page(status, staff.lang.t("matches"), &body)
}

/// Why a rule suggested a match, in the person's language.
fn rule_reason(lang: Lang, rule: &str) -> &'static str {
    match rule {
        "reference" => lang.pick(
            "De betaling noemt het betalingskenmerk van de factuur.",
            "Le paiement mentionne la communication structurée de la facture.",
            "The payment quotes the invoice's payment reference.",
        ),
        "plan_instalment" => lang.pick(
            "De betaling noemt het betalingskenmerk van een termijn van een betalingsregeling.",
            "Le paiement mentionne la communication structurée d'une échéance d'un plan de paiement.",
            "The payment quotes the payment reference of a payment plan's instalment.",
        ),
        "invoice_number" => lang.pick(
            "De omschrijving van de betaling noemt het factuurnummer.",
            "Le libellé du paiement cite le numéro de facture.",
            "The payment's remittance text names the invoice number.",
        ),
        "iban" => lang.pick(
            "De betaling komt van een rekening die bij deze debiteur bekend is.",
            "Le paiement vient d'un compte connu pour ce débiteur.",
            "The payment comes from an account known for this debtor.",
        ),
        "name" => lang.pick(
            "De naam van de betaler lijkt op die van de debiteur.",
            "Le nom du payeur ressemble à celui du débiteur.",
            "The payer's name resembles the debtor's.",
        ),
        _ => "",
    }
}

/// Rows of the split form.
const SPLIT_ROWS: usize = 4;

/// `POST /matches/{id}/accept`: take suggestion `choice` (1 = the best), or split the entry over
/// the invoices in `invoice_N` with the amounts in `amount_N` (N = 1…).
pub(crate) async fn accept(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    if let Err(r) = staff.check_csrf(field("csrf").unwrap_or("")).and_then(|()| staff.may_operate())
    {
        return r;
    }
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    // The split, in the organisation's currency (the entry's: a bank account has one).
    let currency = org.organisation.currency;
    let mut split = Vec::new();
    let mut problems = Vec::new();
    for n in 1..=SPLIT_ROWS {
        let invoice = field(&format!("invoice_{n}")).unwrap_or("");
        let amount = field(&format!("amount_{n}")).unwrap_or("");
        match (invoice.is_empty(), amount.is_empty()) {
            (true, true) => {}
            (false, false) => match super::page::form_amount(amount, currency) {
                Ok(Some(m)) => split.push((invoice.to_owned(), m)),
                Ok(None) => {}
                Err(e) => problems.push(format!("{} {n}: {e}", lang.t("amount"))),
            },
            _ => problems.push(format!(
                "{} {n}: {}",
                lang.t("invoice"),
                lang.pick(
                    "een factuur en een bedrag, of geen van beide",
                    "une facture et un montant, ou aucun des deux",
                    "an invoice and an amount, or neither",
                )
            )),
        }
    }
    if !problems.is_empty() {
        let msg = problems.join("; ");
        return matches_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(&msg)).await;
    }
    // The form counts from 1, the use case from 0.
    let choice = if split.is_empty() {
        field("choice").and_then(|c| c.parse::<usize>().ok()).map(|c| c.saturating_sub(1))
    } else {
        None
    };
    match app.accept_match(&org, id, choice, &split, &staff.actor()).await {
        Ok(_) => redirect_to("/matches"),
        Err(AppError::NotFound { entity: "invoice", key }) => {
            let msg = format!("{} {key}: {}", lang.t("invoice"), lang.t("not_found"));
            matches_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(&msg)).await
        }
        Err(AppError::Invalid { message, .. }) => {
            matches_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(&message)).await
        }
        Err(AppError::NotFound { .. }) => {
            matches_page(&app, &staff, StatusCode::NOT_FOUND, Some(staff.lang.t("not_found"))).await
        }
        Err(e) => failure(&e),
    }
}

/// `POST /matches/{id}/reject`: the money stays unapplied on its payment.
pub(crate) async fn reject(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<super::CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    match app.reject_match(&org, id, &staff.actor()).await {
        Ok(_) => redirect_to("/matches"),
        Err(AppError::Invalid { message, .. }) => {
            matches_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(&message)).await
        }
        Err(AppError::NotFound { .. }) => {
            matches_page(&app, &staff, StatusCode::NOT_FOUND, Some(staff.lang.t("not_found"))).await
        }
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TasksQuery {
    #[serde(default)]
    mine: Option<String>,
}

/// `GET /tasks?mine=on`: open tasks, oldest due first; `mine` keeps those owned by the person.
pub(crate) async fn tasks(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<TasksQuery>,
) -> Response {
    tasks_page(&app, &staff, q.mine.is_some(), StatusCode::OK, None).await
}

async fn tasks_page(
    app: &App,
    staff: &Staff,
    mine: bool,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let owner = mine.then(|| staff.session.user.email.clone());
    let list =
        match app.tasks(Some(&staff.current.slug), false, owner.as_deref(), Rows::first(200)).await
        {
            Ok(l) => l,
            Err(e) => return failure(&e),
        };
    let csrf = esc(&staff.session.csrf);
    let options: String = TASK_OUTCOMES
        .iter()
        .map(|o| format!("<option value=\"{o}\">{}</option>", esc(outcome_label(lang, o))))
        .collect();
    let may_complete = |owner: Option<&str>| {
        staff.role.can_operate() || owner == Some(staff.session.user.email.as_str())
    };
    let rows: String = list
        .iter()
        .map(|t| {
            let form = if may_complete(t.owner.as_deref()) {
                format!(
                    "<form method=\"post\" action=\"/tasks/{id}/done\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <label for=\"outcome-{id}\">{outcome}</label><select id=\"outcome-{id}\" name=\"outcome\">{options}</select>\
                     <label for=\"promised-{id}\">{promised}</label><input id=\"promised-{id}\" name=\"promised_on\" type=\"date\">\
                     <label for=\"note-{id}\">{note}</label><input id=\"note-{id}\" name=\"note\" maxlength=\"1000\">\
                     <button type=\"submit\">{done}</button></form>",
                    id = t.id,
                    outcome = esc(lang.t("outcome")),
                    promised = esc(lang.t("promised_on")),
                    note = esc(lang.t("note")),
                    done = esc(lang.t("complete")),
                )
            } else {
                String::new()
            };
            format!(
                "<article class=\"card task\" id=\"task-{id}\"><h2>{title}</h2><p>{due_label} {due} · \
                 <a href=\"/debtors/{href}\">{debtor}</a> · {owner}</p>{form}</article>",
                id = t.id,
                title = esc(&t.title),
                due_label = esc(lang.t("due_date")),
                due = t.due_on,
                href = segment(&t.debtor_number),
                debtor = esc(&t.debtor_number),
                owner = esc(t.owner.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let filter = format!(
        "<form method=\"get\" action=\"/tasks\"><label><input type=\"checkbox\" name=\"mine\"{}> {}</label> <button type=\"submit\">{}</button></form>",
        if mine { " checked" } else { "" },
        esc(lang.t("only_mine")),
        esc(lang.t("search")),
    );
    let list_html = if list.is_empty() {
        format!("<p class=\"card\" id=\"no-tasks\">{}</p>", esc(lang.t("no_tasks")))
    } else {
        rows
    };
    let body =
        format!("<h1>{}</h1>{}{filter}{list_html}", esc(lang.t("tasks")), notice_html(notice));
    staff.page(status, staff.lang.t("tasks"), &body)
}

fn outcome_label(lang: Lang, outcome: &str) -> &'static str {
    lang.t(match outcome {
        "reached" => "outcome_reached",
        "promised" => "outcome_promised",
        "disputed" => "outcome_disputed",
        "no_answer" => "outcome_no_answer",
        "approved" => "outcome_approved",
        "rejected" => "outcome_rejected",
        _ => "outcome_done",
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneIn {
    csrf: String,
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    promised_on: String,
}

/// `POST /tasks/{id}/done`.
pub(crate) async fn done(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DoneIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf) {
        return r;
    }
    if !staff.role.can_operate() {
        // Sales completes only tasks it owns.
        let own = app
            .tasks(
                Some(&staff.current.slug),
                true,
                Some(&staff.session.user.email),
                Rows::first(1000),
            )
            .await
            .map(|l| l.iter().any(|t| t.id == id))
            .unwrap_or(false);
        if !own {
            return super::forbidden(&staff.session);
        }
    }
    let note = form.note.trim();
    let promised_on = match form.promised_on.trim() {
        "" => None,
        text => match arflow_core::date::parse_iso_date(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let msg = format!("{}: {e}", staff.lang.t("promised_on"));
                return tasks_page(
                    &app,
                    &staff,
                    false,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&msg),
                )
                .await;
            }
        },
    };
    let result = app
        .complete_task(
            Some(&staff.current.slug),
            id,
            &form.outcome,
            promised_on,
            (!note.is_empty()).then_some(note),
            &staff.actor(),
        )
        .await;
    match result {
        Ok(()) => redirect_to("/tasks"),
        Err(AppError::Invalid { message, .. }) => {
            tasks_page(&app, &staff, false, StatusCode::UNPROCESSABLE_ENTITY, Some(&message)).await
        }
        Err(AppError::NotFound { .. }) => {
            tasks_page(&app, &staff, false, StatusCode::NOT_FOUND, Some(staff.lang.t("not_found")))
                .await
        }
        Err(e) => failure(&e),
    }
}
