//! The invoice page: the invoice, what was allocated to it, what may lawfully be claimed on it
//! today (each charge with its legal basis and arithmetic), and its PDF.

use arflow_app::{App, AppError};
use arflow_core::ledger::InvoiceKind;
use arflow_store::{InvoiceFilter, ItemStatus, Page as Rows};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::debtors::segment;
use super::page::{Page, esc, money};
use super::{Staff, failure};

/// Invoices per page of the list.
const ROWS: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    /// `open` (default), `settled` or `all`.
    #[serde(default)]
    status: String,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    debtor: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: Option<i64>,
}

/// `GET /invoices?status=open|settled|all&overdue=on&debtor=&segment=&owner=&from=&to=&after=`:
/// invoices (credit notes are on their debtors' pages), fifty a page, with what is open and how
/// many days overdue.
pub(crate) async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let lang = staff.lang;
    let org = staff.current.organisation_id;
    let today = match app.today_of(org).await {
        Ok(d) => d,
        Err(e) => return failure(&e),
    };
    let mut problems = Vec::new();
    let mut date = |label: &str, text: &str| match text.trim() {
        "" => None,
        t => match arflow_core::date::parse_iso_date(t) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(format!("{label}: {e}"));
                None
            }
        },
    };
    let issued_from = date(lang.pick("vanaf", "du", "from"), &q.from);
    let issued_to = date(lang.pick("tot en met", "au", "to"), &q.to);
    let status = match q.status.as_str() {
        "settled" => Some(ItemStatus::Settled),
        "all" => None,
        _ => Some(ItemStatus::Open),
    };
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut filter = InvoiceFilter {
        kind: Some(InvoiceKind::Invoice),
        status,
        overdue_on: q.overdue.is_some().then_some(today),
        segment: text(&q.segment),
        owner: text(&q.owner),
        issued_from,
        issued_to,
        ..InvoiceFilter::default()
    };
    let mut invoices = Vec::new();
    let debtor = q.debtor.trim();
    let known_debtor = if debtor.is_empty() {
        true
    } else {
        match app.debtor_id(org, debtor).await {
            Ok(id) => {
                filter.debtor_id = Some(id);
                true
            }
            Err(AppError::NotFound { .. }) => false,
            Err(e) => return failure(&e),
        }
    };
    if known_debtor && problems.is_empty() {
        let rows = q.after.map_or(Rows::first(ROWS), |a| Rows::after(a, ROWS));
        invoices = match app.list_invoices(org, &filter, rows).await {
            Ok(i) => i,
            Err(e) => return failure(&e),
        };
    }
    let trs: String = invoices
        .iter()
        .map(|i| {
            let inv = &i.invoice;
            let late = if i.open.is_positive() && inv.due_date < today {
                (today - inv.due_date).get_days().to_string()
            } else {
                String::new()
            };
            format!(
                "<tr><td><a href=\"/invoices/{href}\">{number}</a></td><td><a href=\"/debtors/{dhref}\">{debtor}</a></td>\
                 <td>{issue}</td><td>{due}</td><td class=\"num\">{amount}</td><td class=\"num\">{open}</td><td class=\"num\">{late}</td></tr>",
                href = segment(&inv.number),
                number = esc(&inv.number),
                dhref = segment(&inv.debtor_number),
                debtor = esc(&inv.debtor_number),
                issue = inv.issue_date,
                due = inv.due_date,
                amount = esc(&money(lang, &inv.amount.to_string())),
                open = esc(&money(lang, &i.open.to_string())),
            )
        })
        .collect();
    let mut next = String::new();
    if invoices.len() == ROWS as usize
        && let Some(last) = invoices.last()
    {
        let mut params = vec![format!("after={}", last.id.0)];
        for (k, v) in [
            ("status", q.status.as_str()),
            ("debtor", debtor),
            ("segment", q.segment.trim()),
            ("owner", q.owner.trim()),
            ("from", q.from.trim()),
            ("to", q.to.trim()),
        ] {
            if !v.is_empty() {
                params.push(format!("{k}={}", segment(v)));
            }
        }
        if q.overdue.is_some() {
            params.push("overdue=on".into());
        }
        next = format!(
            "<p><a rel=\"next\" href=\"/invoices?{}\">{}</a></p>",
            esc(&params.join("&")),
            esc(lang.t("next"))
        );
    }
    let notice = if problems.is_empty() {
        String::new()
    } else {
        format!("<p class=\"notice\" role=\"alert\">{}</p>", esc(&problems.join("; ")))
    };
    let table = if invoices.is_empty() {
        format!("<p id=\"no-invoices\">{}</p>", esc(lang.t("none_found")))
    } else {
        format!(
            "<table id=\"invoices\"><thead><tr><th>{number}</th><th>{debtor}</th><th>{issue}</th><th>{due}</th>\
             <th class=\"num\">{amount}</th><th class=\"num\">{open}</th><th class=\"num\">{late}</th></tr></thead>\
             <tbody>{trs}</tbody></table>{next}",
            number = esc(lang.t("number")),
            debtor = esc(lang.t("debtor")),
            issue = esc(lang.t("issue_date")),
            due = esc(lang.t("due_date")),
            amount = esc(lang.t("amount")),
            open = esc(lang.t("open")),
            late = esc(lang.pick("Dagen te laat", "Jours de retard", "Days late")),
        )
    };
    let option = |value: &str, label: &str| {
        let selected = q.status == value || (value == "open" && q.status.is_empty());
        format!(
            "<option value=\"{value}\"{}>{}</option>",
            if selected { " selected" } else { "" },
            esc(label)
        )
    };
    let body = format!(
        "<h1>{title}</h1>{notice}<form class=\"card\" method=\"get\" action=\"/invoices\" role=\"search\">\
         <label for=\"status\">{status_l}</label><select id=\"status\" name=\"status\">{open_o}{settled_o}{all_o}</select>\
         <label><input type=\"checkbox\" name=\"overdue\"{overdue}> {only_overdue}</label>\
         <label for=\"debtor\">{debtor_l}</label><input id=\"debtor\" name=\"debtor\" value=\"{debtor}\">\
         <label for=\"segment\">{segment_l}</label><input id=\"segment\" name=\"segment\" value=\"{segment}\">\
         <label for=\"owner\">{owner_l}</label><input id=\"owner\" name=\"owner\" value=\"{owner}\">\
         <label for=\"from\">{from_l}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from}\">\
         <label for=\"to\">{to_l}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to}\">\
         <p><button type=\"submit\">{search}</button></p></form><section class=\"card\">{table}</section>",
        title = esc(lang.t("invoices")),
        status_l = esc(lang.t("status")),
        open_o = option("open", lang.pick("open", "ouvertes", "open")),
        settled_o = option("settled", lang.pick("voldaan", "soldées", "settled")),
        all_o = option("all", lang.pick("alle", "toutes", "all")),
        overdue = if q.overdue.is_some() { " checked" } else { "" },
        only_overdue = esc(lang.pick("Alleen vervallen", "Seulement échues", "Only overdue")),
        debtor_l = esc(lang.pick("Debiteurnummer", "Numéro de débiteur", "Debtor number")),
        debtor = esc(debtor),
        segment_l = esc(lang.pick("Segment", "Segment", "Segment")),
        segment = esc(q.segment.trim()),
        owner_l = esc(lang.t("owner")),
        owner = esc(q.owner.trim()),
        from_l = esc(lang.pick("Gefactureerd vanaf", "Facturé du", "Issued from")),
        from = esc(q.from.trim()),
        to_l = esc(lang.pick("tot en met", "au", "to")),
        to = esc(q.to.trim()),
        search = esc(lang.t("search")),
    );
    let status_code = if notice.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status_code,
        Html(Page::layout(lang, lang.t("invoices"), &Page::header(lang, &staff.session), &body)),
    )
        .into_response()
}

/// `GET /invoices/{number}`.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
) -> Response {
    let lang = staff.lang;
    let org = staff.current.organisation_id;
    let view = match app.invoice_view(org, &number).await {
        Ok(v) => v,
        Err(AppError::NotFound { .. }) => return staff.not_found(),
        Err(e) => return failure(&e),
    };
    let inv = &view.invoice.invoice;
    let currency = inv.amount.currency().code().to_owned();
    let debtor = match app.debtor_of_invoice(org, &view.invoice).await {
        Ok(d) => d,
        Err(e) => return failure(&e),
    };
    // Charges apply to invoices, not to credit notes.
    let charges = if view.invoice.open.is_positive() {
        match app.invoice_charges(Some(&staff.current.slug), &number, None).await {
            Ok(c) => Some(c),
            Err(AppError::NotFound { .. } | AppError::Invalid { .. }) => None,
            Err(e) => return failure(&e),
        }
    } else {
        None
    };
    let allocations: String = view
        .allocations
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                a.effective_date,
                esc(a.credit_note_number.as_deref().unwrap_or(lang.t("payment"))),
                esc(&money(lang, &a.amount.to_string())),
            )
        })
        .collect();
    let charges_html = charges.map_or_else(String::new, |c| {
        let lines: String = c
            .charges
            .iter()
            .map(|l| {
                let arithmetic: String =
                    l.explanation.arithmetic.iter().map(|a| format!("<li>{}</li>", esc(a))).collect();
                format!(
                    "<li class=\"charge\"><strong>{currency} {amount}</strong> · {article}<br>{text}<ul>{arithmetic}</ul></li>",
                    currency = esc(&l.currency),
                    amount = esc(&money(lang, &l.amount)),
                    article = esc(&l.explanation.article),
                    text = esc(&l.explanation.text),
                )
            })
            .collect();
        let withheld: String = c
            .withheld
            .iter()
            .map(|w| format!("<li>{}</li>", esc(&w.reason)))
            .collect();
        format!(
            "<section class=\"card\" id=\"charges\"><h2>{title} {as_of}</h2><p>{principal_l}: {currency} {principal}</p>\
             <ul>{lines}</ul>{withheld_block}<p><strong>{total_l}: {currency} {total}</strong></p></section>",
            title = esc(lang.t("charges_on")),
            as_of = c.as_of,
            principal_l = esc(lang.t("principal_open")),
            currency = esc(&c.currency),
            principal = esc(&money(lang, &c.principal_open)),
            withheld_block = if withheld.is_empty() {
                String::new()
            } else {
                format!("<h3>{}</h3><ul>{withheld}</ul>", esc(lang.t("not_claimable")))
            },
            total_l = esc(lang.t("total_due")),
            total = esc(&money(lang, &c.total_due)),
        )
    });
    let pdf = if view.invoice.has_document {
        format!("<p><a href=\"/invoices/{}/pdf\">PDF</a></p>", segment(&number))
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{kind} <span id=\"invoice-number\">{number}</span></h1>\
         <section class=\"card\"><dl>\
         <dt>{debtor_l}</dt><dd><a href=\"/debtors/{debtor_href}\">{debtor_number}</a> · {debtor_name}</dd>\
         <dt>{issue_l}</dt><dd>{issue}</dd><dt>{due_l}</dt><dd>{due}</dd>\
         <dt>{amount_l}</dt><dd>{currency} {amount}</dd>\
         <dt>{open_l}</dt><dd id=\"invoice-open\">{currency} {open}</dd>\
         <dt>{reference_l}</dt><dd id=\"invoice-reference\">{reference}</dd></dl>{pdf}</section>\
         <section class=\"card\"><h2>{allocations_l}</h2><table><tbody>{allocations}</tbody></table></section>{charges_html}",
        kind = esc(lang.t(if inv.amount.is_negative() { "credit_note" } else { "invoice" })),
        number = esc(&inv.number),
        debtor_l = esc(lang.t("debtor")),
        debtor_href = segment(&debtor.0),
        debtor_number = esc(&debtor.0),
        debtor_name = esc(&debtor.1),
        issue_l = esc(lang.t("issue_date")),
        issue = inv.issue_date,
        due_l = esc(lang.t("due_date")),
        due = inv.due_date,
        amount_l = esc(lang.t("amount")),
        currency = esc(&currency),
        amount = esc(&money(lang, &inv.amount.to_string())),
        open_l = esc(lang.t("open")),
        open = esc(&money(lang, &view.invoice.open.to_string())),
        reference_l = esc(lang.t("reference")),
        reference = esc(inv.payment_reference.as_deref().unwrap_or("")),
        allocations_l = esc(lang.t("allocations")),
    );
    Html(Page::layout(lang, &inv.number, &Page::header(lang, &staff.session), &body))
        .into_response()
}

/// `GET /invoices/{number}/pdf`.
pub(crate) async fn pdf(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
) -> Response {
    match app.invoice_pdf(staff.current.organisation_id, &number).await {
        Ok((name, bytes)) => crate::api::file_response(bytes, "application/pdf", &name, "inline"),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}
