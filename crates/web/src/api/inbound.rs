//! Inbound money and invoices over HTTP: upload a bank statement or an e-invoice, and the
//! review queue of bank entries the matcher was not sure about.

use arflow_app::einvoice::InvoiceImport;
use arflow_app::mappings::{CsvMapping, MappingView};
use arflow_app::reconcile::{BankEntryView, ReviewItem, StatementImport};
use arflow_core::reconcile::Settings;

use axum::Json;
use axum::extract::{Request, State};
use serde::Deserialize;

use super::auth::Principal;
use super::extract::{JsonBody, Key, ListOut, Params, body_bytes, money};
use super::{ApiError, ApiState};

fn entry_id(key: &str) -> Result<i64, ApiError> {
    key.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("bank_entry", key))
}

/// `POST /statements?file=&tolerance=&auto_threshold=&mapping=`: the body is the statement
/// file (camt.052/053/054, MT940/MT942, CODA; CSV with a saved or built-in `mapping`, for which
/// `bank` is the older name).
pub(crate) async fn upload_statement(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
    req: Request,
) -> Result<Json<StatementImport>, ApiError> {
    let file = q.text("file").unwrap_or_else(|| "upload".into());
    let mapping = match (q.text("mapping"), q.text("bank")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("bank", "give either mapping or bank, not both"));
        }
        (mapping, bank) => mapping.or(bank),
    };
    let currency = p.org.organisation.currency;
    let tolerance = match q.text("tolerance") {
        Some(t) => money("tolerance", &t, currency)?.minor(),
        None => 0,
    };
    let auto_threshold = q.number("auto_threshold", 1, 100)?.map(|n| n as u8);
    q.finish()?;
    let bytes = body_bytes(req, &st).await?;
    let settings = Settings {
        tolerance_minor: tolerance.max(0),
        auto_threshold: auto_threshold.unwrap_or(Settings::default().auto_threshold),
        ..Settings::default()
    };
    let report = st
        .app
        .import_statement_file(&p.org, &file, &bytes, mapping.as_deref(), &settings, &p.actor())
        .await?;
    Ok(Json(report))
}

/// `GET /statement-mappings`: the organisation's saved CSV mappings, then the built-in ones.
pub(crate) async fn mappings(
    State(st): State<ApiState>,
    p: Principal,
) -> Result<Json<ListOut<MappingView>>, ApiError> {
    Ok(Json(ListOut::all(st.app.statement_mappings(&p.org).await?)))
}

/// `GET /statement-mappings/{name}`.
pub(crate) async fn mapping(
    State(st): State<ApiState>,
    p: Principal,
    Key(name): Key,
) -> Result<Json<MappingView>, ApiError> {
    Ok(Json(st.app.statement_mapping(&p.org, &name).await?))
}

/// `PUT /statement-mappings/{name}`: the body is the mapping; it is checked, then saved.
pub(crate) async fn put_mapping(
    State(st): State<ApiState>,
    p: Principal,
    Key(name): Key,
    JsonBody(body): JsonBody<CsvMapping>,
) -> Result<Json<MappingView>, ApiError> {
    Ok(Json(st.app.put_statement_mapping(&p.org, &name, body, &p.actor()).await?))
}

/// `DELETE /statement-mappings/{name}`.
pub(crate) async fn delete_mapping(
    State(st): State<ApiState>,
    p: Principal,
    Key(name): Key,
) -> Result<axum::http::StatusCode, ApiError> {
    st.app.delete_statement_mapping(&p.org, &name, &p.actor()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `POST /e-invoices?file=&update=true`: the body is a UBL or CII XML, or a Factur-X PDF.
pub(crate) async fn upload_einvoice(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
    req: Request,
) -> Result<Json<InvoiceImport>, ApiError> {
    let file = q.text("file").unwrap_or_else(|| "upload".into());
    let update = q.only_true("update")?;
    q.finish()?;
    let bytes = body_bytes(req, &st).await?;
    Ok(Json(st.app.import_einvoice_file(&p.org, &file, &bytes, update, &p.actor()).await?))
}

/// `GET /matches?all=true`: entries waiting for a person, with suggestions and why.
pub(crate) async fn review(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<ReviewItem>>, ApiError> {
    let all = q.only_true("all")?;
    let page = q.page("bank_entry")?;
    q.finish()?;
    let list = st.app.review_queue(&p.org, all, page).await?;
    let last = list.last().map(|i| i.entry.id);
    Ok(Json(ListOut::page("bank_entry", list, last, page)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SplitIn {
    invoice_number: String,
    amount: String,
}

/// `POST /matches/{id}/accept`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptIn {
    /// 1 = the best suggestion (the default).
    choice: Option<usize>,
    #[serde(default)]
    split: Vec<SplitIn>,
}

pub(crate) async fn accept(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    JsonBody(body): JsonBody<AcceptIn>,
) -> Result<Json<BankEntryView>, ApiError> {
    let id = entry_id(&id)?;
    let currency = p.org.organisation.currency;
    let mut split = Vec::with_capacity(body.split.len());
    for (i, s) in body.split.iter().enumerate() {
        split.push((
            s.invoice_number.clone(),
            money(&format!("split[{i}].amount"), &s.amount, currency)?,
        ));
    }
    let choice = match body.choice {
        Some(0) => {
            return Err(ApiError::bad_request(Some("choice"), "choice counts from 1"));
        }
        Some(n) => Some(n - 1),
        None => None,
    };
    Ok(Json(st.app.accept_match(&p.org, id, choice, &split, &p.actor()).await?))
}

/// `POST /matches/{id}/reject`.
pub(crate) async fn reject(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<BankEntryView>, ApiError> {
    let id = entry_id(&id)?;
    Ok(Json(st.app.reject_match(&p.org, id, &p.actor()).await?))
}
