//! The invoice page: the invoice, what was allocated to it, what may lawfully be claimed on it
//! today (each charge with its legal basis and arithmetic), and its PDF.

use arflow_app::{App, AppError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};

use super::debtors::segment;
use super::page::{Page, esc, money};
use super::{Staff, failure};

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
