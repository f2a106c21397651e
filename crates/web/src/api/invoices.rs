//! `/api/v1/invoices` and `/api/v1/credit-notes`.
//!
//! Both are rows of one ledger table, told apart by their sign: an invoice is positive, a credit
//! note negative. The API keeps them apart: each list shows one kind, a number of the other
//! kind is "not found" on the other's routes, and a credit note's amounts are given and shown
//! positive (they are stored negative).

use arflow_app::ledger::InvoicePatch;
use arflow_core::date::Date;
use arflow_core::ledger::{Invoice, InvoiceError, InvoiceKind};
use arflow_core::money::Money;
use arflow_core::reference;
use arflow_store::{InvoiceFilter, ItemStatus, StoredInvoice};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use serde::Deserialize;

use super::auth::Principal;
use super::dto::{CreditNoteOut, InvoiceOut, is_credit_note};
use super::extract::{
    JsonBody, KEY_BYTES_MAX, Key, ListOut, Params, TEXT_BYTES_MAX, body_bytes, currency, date,
    money, required, segment, text,
};
use super::misc::{created_or_ok, double_option};
use super::{ApiError, ApiState};

/// `POST /invoices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceIn {
    number: String,
    debtor_number: String,
    issue_date: String,
    due_date: String,
    amount: String,
    currency: Option<String>,
    amount_excl_vat: Option<String>,
    payment_reference: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
}

/// `POST /credit-notes`: amounts positive.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreditNoteIn {
    number: String,
    debtor_number: String,
    issue_date: String,
    /// Defaults to the issue date.
    due_date: Option<String>,
    amount: String,
    currency: Option<String>,
    amount_excl_vat: Option<String>,
    credits_invoice: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
}

/// `PATCH /invoices/{number}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoicePatchIn {
    due_date: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    external_id: Option<Option<String>>,
}

fn invoice_location(number: &str) -> String {
    format!("/api/v1/invoices/{}", segment(number))
}

fn credit_note_location(number: &str) -> String {
    format!("/api/v1/credit-notes/{}", segment(number))
}

/// The field an inconsistent invoice is refused for.
fn invoice_error(e: &InvoiceError, credit_note: bool) -> ApiError {
    let field = match e {
        InvoiceError::DueBeforeIssue { .. } => "due_date",
        InvoiceError::WrongSign | InvoiceError::Zero => "amount",
        InvoiceError::ExclExceedsIncl { .. } | InvoiceError::Amount(_) => "amount_excl_vat",
    };
    let message = match e {
        InvoiceError::WrongSign | InvoiceError::Zero if credit_note => {
            "a credit note's amount is given as a positive number (it is stored negative)"
                .to_owned()
        }
        InvoiceError::WrongSign | InvoiceError::Zero => {
            "an invoice's amount must be positive; post a credit note to /api/v1/credit-notes"
                .to_owned()
        }
        InvoiceError::ExclExceedsIncl { .. } => "amount_excl_vat must not exceed amount".to_owned(),
        other => other.to_string(),
    };
    ApiError::invalid(field, message)
}

/// The stored item `number` of `kind`; the other kind is "not found" here.
async fn find_kind(
    st: &ApiState,
    p: &Principal,
    number: &str,
    kind: InvoiceKind,
) -> Result<StoredInvoice, ApiError> {
    let entity = if kind == InvoiceKind::CreditNote { "credit_note" } else { "invoice" };
    match st.app.find_invoice(p.org_id(), number).await {
        Ok(s) if s.invoice.kind == kind => Ok(s),
        Ok(_) | Err(arflow_app::AppError::NotFound { .. }) => {
            Err(ApiError::not_found(entity, number))
        }
        Err(e) => Err(e.into()),
    }
}

fn status(q: &mut Params) -> Result<Option<ItemStatus>, ApiError> {
    match q.text("status").as_deref() {
        None => Ok(None),
        Some("open") => Ok(Some(ItemStatus::Open)),
        Some("settled") => Ok(Some(ItemStatus::Settled)),
        Some(other) => {
            Err(ApiError::bad_request(Some("status"), format!("'{other}' is not open or settled")))
        }
    }
}

/// Lists one kind. A `debtor` that does not exist gives an empty list.
async fn list_kind(
    st: &ApiState,
    p: &Principal,
    mut q: Params,
    kind: InvoiceKind,
    list: &str,
) -> Result<(Vec<StoredInvoice>, Option<i64>, arflow_store::Page), ApiError> {
    let mut filter = InvoiceFilter {
        kind: Some(kind),
        status: status(&mut q)?,
        segment: q.text("segment"),
        owner: q.text("owner"),
        currency: q.currency("currency")?,
        issued_from: q.date("issued_from")?,
        issued_to: q.date("issued_to")?,
        ..InvoiceFilter::default()
    };
    if kind == InvoiceKind::Invoice && q.only_true("overdue")? {
        filter.overdue_on = Some(p.today(&st.app));
    }
    let debtor = q.text("debtor");
    let page = q.page(list)?;
    q.finish()?;
    if let Some(number) = debtor {
        match st.app.debtor_id(p.org_id(), &number).await {
            Ok(id) => filter.debtor_id = Some(id),
            Err(arflow_app::AppError::NotFound { .. }) => return Ok((Vec::new(), None, page)),
            Err(e) => return Err(e.into()),
        }
    }
    let rows = st.app.list_invoices(p.org_id(), &filter, page).await?;
    let last = rows.last().map(|i| i.id.0);
    Ok((rows, last, page))
}

/// `GET /invoices`.
pub(crate) async fn list(
    State(st): State<ApiState>,
    p: Principal,
    q: Params,
) -> Result<Json<ListOut<InvoiceOut>>, ApiError> {
    let (rows, last, page) = list_kind(&st, &p, q, InvoiceKind::Invoice, "invoices").await?;
    let today = p.today(&st.app);
    let data = rows.iter().map(|i| InvoiceOut::new(i, today)).collect();
    Ok(Json(ListOut::page("invoices", data, last, page)))
}

/// `GET /credit-notes`.
pub(crate) async fn list_credit_notes(
    State(st): State<ApiState>,
    p: Principal,
    q: Params,
) -> Result<Json<ListOut<CreditNoteOut>>, ApiError> {
    let (rows, last, page) = list_kind(&st, &p, q, InvoiceKind::CreditNote, "credit-notes").await?;
    let data = rows.iter().map(CreditNoteOut::new).collect();
    Ok(Json(ListOut::page("credit-notes", data, last, page)))
}

struct Common {
    number: String,
    debtor_number: String,
    issue_date: Date,
    amount: Money,
    amount_excl_vat: Option<Money>,
    description: Option<String>,
    external_id: Option<String>,
}

fn common(
    p: &Principal,
    number: String,
    debtor_number: String,
    issue_date: &str,
    amount: &str,
    currency_text: Option<&str>,
    excl: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
) -> Result<Common, ApiError> {
    let cur = currency("currency", currency_text, p.org.organisation.currency)?;
    Ok(Common {
        number: required("number", number, KEY_BYTES_MAX)?,
        debtor_number: required("debtor_number", debtor_number, KEY_BYTES_MAX)?,
        issue_date: date("issue_date", issue_date)?,
        amount: money("amount", amount, cur)?,
        amount_excl_vat: text("amount_excl_vat", excl, 64)?
            .map(|t| money("amount_excl_vat", &t, cur))
            .transpose()?,
        description: text("description", description, TEXT_BYTES_MAX)?,
        external_id: text("external_id", external_id, KEY_BYTES_MAX)?,
    })
}

/// `POST /invoices`.
pub(crate) async fn create(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<InvoiceIn>,
) -> Result<Response, ApiError> {
    let c = common(
        &p,
        body.number,
        body.debtor_number,
        &body.issue_date,
        &body.amount,
        body.currency.as_deref(),
        body.amount_excl_vat,
        body.description,
        body.external_id,
    )?;
    let payment_reference = text("payment_reference", body.payment_reference, 64)?
        .map(|r| {
            reference::check(&r).map(|ok| ok.normalized).map_err(|e| {
                ApiError::invalid(
                    "payment_reference",
                    format!("'{r}' is not a valid payment reference (OGM, RF or betalingskenmerk): {e}; leave it out to have one generated"),
                )
            })
        })
        .transpose()?;
    let invoice = Invoice {
        number: c.number,
        debtor_number: c.debtor_number,
        kind: InvoiceKind::Invoice,
        issue_date: c.issue_date,
        due_date: date("due_date", &body.due_date)?,
        amount: c.amount,
        amount_excl_vat: c.amount_excl_vat,
        payment_reference,
        description: c.description,
        external_id: c.external_id,
        credits_invoice: None,
    };
    invoice.validate().map_err(|e| invoice_error(&e, false))?;
    let (view, created) = st.app.create_invoice(p.org_id(), invoice, &p.actor()).await?;
    let out = InvoiceOut::with_allocations(&view.invoice, &view.allocations, p.today(&st.app));
    Ok(created_or_ok(created, &invoice_location(&out.number), &out))
}

/// `POST /credit-notes`.
pub(crate) async fn create_credit_note(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<CreditNoteIn>,
) -> Result<Response, ApiError> {
    let c = common(
        &p,
        body.number,
        body.debtor_number,
        &body.issue_date,
        &body.amount,
        body.currency.as_deref(),
        body.amount_excl_vat,
        body.description,
        body.external_id,
    )?;
    if !c.amount.is_positive() {
        return Err(invoice_error(&InvoiceError::WrongSign, true));
    }
    if c.amount_excl_vat.is_some_and(|m| m.is_negative()) {
        return Err(ApiError::invalid(
            "amount_excl_vat",
            "give amount_excl_vat as a positive number, like amount",
        ));
    }
    let due_date = match text("due_date", body.due_date, 10)? {
        Some(t) => date("due_date", &t)?,
        None => c.issue_date,
    };
    let negate = |m: Money| m.neg().map_err(|e| ApiError::invalid("amount", e.to_string()));
    let credits_invoice = text("credits_invoice", body.credits_invoice, KEY_BYTES_MAX)?;
    if credits_invoice.as_deref() == Some(c.number.as_str()) {
        return Err(ApiError::invalid("credits_invoice", "a credit note cannot credit itself"));
    }
    let note = Invoice {
        number: c.number,
        debtor_number: c.debtor_number,
        kind: InvoiceKind::CreditNote,
        issue_date: c.issue_date,
        due_date,
        amount: negate(c.amount)?,
        amount_excl_vat: c.amount_excl_vat.map(negate).transpose()?,
        payment_reference: None,
        description: c.description,
        external_id: c.external_id,
        credits_invoice,
    };
    note.validate().map_err(|e| invoice_error(&e, true))?;
    let (view, created) = st.app.create_invoice(p.org_id(), note, &p.actor()).await?;
    let out = CreditNoteOut::with_allocations(&view.invoice, &view.allocations);
    Ok(created_or_ok(created, &credit_note_location(&out.number), &out))
}

/// `GET /invoices/{number}`: the invoice with its allocations.
pub(crate) async fn get(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<InvoiceOut>, ApiError> {
    let view = st.app.invoice_view(p.org_id(), &number).await?;
    if is_credit_note(&view.invoice) {
        return Err(ApiError::not_found("invoice", &number));
    }
    Ok(Json(InvoiceOut::with_allocations(&view.invoice, &view.allocations, p.today(&st.app))))
}

/// `GET /credit-notes/{number}`: the credit note with the allocations made from it.
pub(crate) async fn get_credit_note(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<CreditNoteOut>, ApiError> {
    let view = match st.app.invoice_view(p.org_id(), &number).await {
        Ok(v) if is_credit_note(&v.invoice) => v,
        Ok(_) | Err(arflow_app::AppError::NotFound { .. }) => {
            return Err(ApiError::not_found("credit_note", &number));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(CreditNoteOut::with_allocations(&view.invoice, &view.allocations)))
}

/// `PATCH /invoices/{number}`: due date, description, external id.
pub(crate) async fn patch(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    JsonBody(body): JsonBody<InvoicePatchIn>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let patch = InvoicePatch {
        due_date: body.due_date.map(|t| date("due_date", &t)).transpose()?,
        description: body
            .description
            .map(|d| text("description", d, TEXT_BYTES_MAX))
            .transpose()?,
        external_id: body.external_id.map(|d| text("external_id", d, KEY_BYTES_MAX)).transpose()?,
    };
    find_kind(&st, &p, &number, InvoiceKind::Invoice).await?;
    let view = st.app.update_invoice(p.org_id(), &number, patch, &p.actor()).await?;
    Ok(Json(InvoiceOut::with_allocations(&view.invoice, &view.allocations, p.today(&st.app))))
}

/// `GET /invoices/{number}/pdf`.
pub(crate) async fn get_pdf(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Response, ApiError> {
    find_kind(&st, &p, &number, InvoiceKind::Invoice).await?;
    let (name, bytes) = st.app.invoice_pdf(p.org_id(), &number).await?;
    Ok(super::file_response(bytes, "application/pdf", &name, "inline"))
}

/// `PUT /invoices/{number}/pdf`: stores (or replaces) the invoice's PDF; answers with the
/// invoice.
pub(crate) async fn put_pdf(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    req: Request,
) -> Result<Json<InvoiceOut>, ApiError> {
    let content_type =
        req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(ct) = content_type {
        let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if essence != "application/pdf" && essence != "application/octet-stream" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("send the PDF with Content-Type: application/pdf, not {essence}"),
            ));
        }
    }
    let bytes = body_bytes(req, &st).await?;
    find_kind(&st, &p, &number, InvoiceKind::Invoice).await?;
    st.app.put_invoice_pdf(p.org_id(), &number, &bytes, &p.actor()).await?;
    let view = st.app.invoice_view(p.org_id(), &number).await?;
    Ok(Json(InvoiceOut::with_allocations(&view.invoice, &view.allocations, p.today(&st.app))))
}
