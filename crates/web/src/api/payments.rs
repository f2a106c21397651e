//! `/api/v1/payments` and `/api/v1/allocations`.
//!
//! Payments are immutable: there is no PATCH or DELETE; a reversal is a new negative payment.
//! A payment POSTed twice is recorded once: its identity is its `external_id`, or else the
//! request's `Idempotency-Key`, or else a fingerprint of its fields (so an identical retry
//! finds the first one). Allocations link payments and credit notes to invoices and can be
//! removed again.

use std::collections::{BTreeSet, HashMap};

use arflow_app::ledger::AllocateFrom;
use arflow_core::id::{AllocationId, DebtorId, PaymentId};
use arflow_core::ident::parse_iban;
use arflow_core::ledger::{Payment, PaymentSource, fingerprint};
use arflow_core::money::format_minor;
use arflow_store::{PaymentFilter, StoredPayment};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::Principal;
use super::dto::{AllocationOut, PaymentOut};
use super::extract::{
    JsonBody, KEY_BYTES_MAX, Key, ListOut, Params, TEXT_BYTES_MAX, currency, date, money, required,
    text,
};
use super::misc::created_or_ok;
use super::{ApiError, ApiState};

/// Prefix of the external id of a payment identified by its request's Idempotency-Key.
pub(crate) const IDEMPOTENCY_EXTERNAL_ID_PREFIX: &str = "idempotency-key:";

/// Prefix of the external id of a payment identified by the fingerprint of its fields.
pub(crate) const FINGERPRINT_EXTERNAL_ID_PREFIX: &str = "api:";

/// `POST /payments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentIn {
    date: String,
    amount: String,
    currency: Option<String>,
    reference: Option<String>,
    counterparty_iban: Option<String>,
    counterparty_name: Option<String>,
    invoice_number: Option<String>,
    external_id: Option<String>,
}

/// `POST /allocations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllocationIn {
    invoice_number: String,
    payment_id: Option<i64>,
    credit_note_number: Option<String>,
    amount: Option<String>,
}

fn payment_id(key: &str) -> Result<PaymentId, ApiError> {
    key.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(PaymentId)
        .ok_or_else(|| ApiError::not_found("payment", key))
}

/// The numbers of the debtors `ids`, for showing payments.
///
/// `App` has no batch look-up of debtors by id yet, so this reads them here, in one read
/// transaction scoped to the organisation.
async fn debtor_numbers(
    st: &ApiState,
    p: &Principal,
    ids: impl Iterator<Item = DebtorId>,
) -> Result<HashMap<DebtorId, String>, ApiError> {
    let ids: BTreeSet<DebtorId> = ids.collect();
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let mut tx = st.app.store.begin_read().await.map_err(arflow_app::AppError::from)?;
    for id in ids {
        let d = tx.get_debtor(p.org_id(), id).await.map_err(arflow_app::AppError::from)?;
        out.insert(id, d.debtor.number);
    }
    tx.rollback().await.map_err(arflow_app::AppError::from)?;
    Ok(out)
}

async fn payment_out(
    st: &ApiState,
    p: &Principal,
    rows: &[StoredPayment],
) -> Result<Vec<PaymentOut>, ApiError> {
    let numbers = debtor_numbers(st, p, rows.iter().filter_map(|r| r.debtor_id)).await?;
    Ok(rows
        .iter()
        .map(|r| PaymentOut::new(r, r.debtor_id.and_then(|d| numbers.get(&d).cloned())))
        .collect())
}

/// `GET /payments`. A `debtor` that does not exist gives an empty list.
pub(crate) async fn list(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<PaymentOut>>, ApiError> {
    let mut filter = PaymentFilter {
        debtor_id: None,
        unapplied: q.bool("unapplied")?,
        from: q.date("from")?,
        to: q.date("to")?,
    };
    let debtor = q.text("debtor");
    let page = q.page("payments")?;
    q.finish()?;
    if let Some(number) = debtor {
        match st.app.debtor_id(p.org_id(), &number).await {
            Ok(id) => filter.debtor_id = Some(id),
            Err(arflow_app::AppError::NotFound { .. }) => {
                return Ok(Json(ListOut::all(Vec::new())));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let rows = st.app.list_payments(p.org_id(), &filter, page).await?;
    let last = rows.last().map(|r| r.id.0);
    let data = payment_out(&st, &p, &rows).await?;
    Ok(Json(ListOut::page("payments", data, last, page)))
}

/// `POST /payments`.
pub(crate) async fn create(
    State(st): State<ApiState>,
    p: Principal,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PaymentIn>,
) -> Result<Response, ApiError> {
    let cur = currency("currency", body.currency.as_deref(), p.org.organisation.currency)?;
    let day = date("date", &body.date)?;
    let amount = money("amount", &body.amount, cur)?;
    if amount.is_zero() {
        return Err(ApiError::invalid("amount", "a payment of zero is not a payment"));
    }
    let counterparty_iban = text("counterparty_iban", body.counterparty_iban, 64)?
        .map(|t| {
            parse_iban(&t)
                .map_err(|e| ApiError::invalid("counterparty_iban", format!("'{t}': {e}")))
        })
        .transpose()?;
    let reference = text("reference", body.reference, TEXT_BYTES_MAX)?;
    let counterparty_name = text("counterparty_name", body.counterparty_name, TEXT_BYTES_MAX)?;
    let invoice_number = text("invoice_number", body.invoice_number, KEY_BYTES_MAX)?;
    let external_id = match text("external_id", body.external_id, KEY_BYTES_MAX)? {
        Some(id) => id,
        None => match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
            Some(key) => format!("{IDEMPOTENCY_EXTERNAL_ID_PREFIX}{key}"),
            None => {
                let amount_text = format_minor(amount.minor(), cur);
                let date_text = day.to_string();
                let parts = [
                    date_text.as_str(),
                    amount_text.as_str(),
                    cur.code(),
                    reference.as_deref().unwrap_or_default(),
                    counterparty_iban.as_deref().unwrap_or_default(),
                    counterparty_name.as_deref().unwrap_or_default(),
                    invoice_number.as_deref().unwrap_or_default(),
                ];
                format!("{FINGERPRINT_EXTERNAL_ID_PREFIX}{}", fingerprint(&parts))
            }
        },
    };
    let payment = Payment {
        date: day,
        amount,
        reference,
        counterparty_iban,
        counterparty_name,
        source: PaymentSource::Api,
        invoice_number,
        external_id,
    };
    let (view, created) = st.app.create_payment(p.org_id(), payment, &p.actor()).await?;
    let mut out = payment_out(&st, &p, std::slice::from_ref(&view.payment)).await?;
    let mut out = out.pop().ok_or_else(|| ApiError::internal(&"payment vanished"))?;
    out.allocations = Some(view.allocations.iter().map(AllocationOut::from).collect());
    Ok(created_or_ok(created, &format!("/api/v1/payments/{}", out.id), &out))
}

/// `GET /payments/{id}`: the payment with its allocations.
pub(crate) async fn get(
    State(st): State<ApiState>,
    p: Principal,
    Key(key): Key,
) -> Result<Json<PaymentOut>, ApiError> {
    let view = st.app.payment_view(p.org_id(), payment_id(&key)?).await?;
    let mut out = payment_out(&st, &p, std::slice::from_ref(&view.payment)).await?;
    let mut out = out.pop().ok_or_else(|| ApiError::internal(&"payment vanished"))?;
    out.allocations = Some(view.allocations.iter().map(AllocationOut::from).collect());
    Ok(Json(out))
}

/// `GET /allocations?invoice=NUMBER | payment=ID | credit_note=NUMBER`: every allocation of one
/// invoice, payment or credit note (a complete list; `next_cursor` is always null).
pub(crate) async fn list_allocations(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<AllocationOut>>, ApiError> {
    let invoice = q.text("invoice");
    let payment = q.text("payment");
    let credit_note = q.text("credit_note");
    q.finish()?;
    let org = p.org_id();
    let list = match (invoice, payment, credit_note) {
        (Some(n), None, None) => {
            let view = st.app.invoice_view(org, &n).await?;
            if super::dto::is_credit_note(&view.invoice) {
                return Err(ApiError::not_found("invoice", &n));
            }
            view.allocations
        }
        (None, None, Some(n)) => match st.app.invoice_view(org, &n).await {
            Ok(v) if super::dto::is_credit_note(&v.invoice) => v.allocations,
            Ok(_) | Err(arflow_app::AppError::NotFound { .. }) => {
                return Err(ApiError::not_found("credit_note", &n));
            }
            Err(e) => return Err(e.into()),
        },
        (None, Some(id), None) => {
            let id = id.parse::<i64>().map_err(|_| {
                ApiError::bad_request(Some("payment"), format!("'{id}' is not a payment id"))
            })?;
            st.app.payment_view(org, PaymentId(id)).await?.allocations
        }
        _ => {
            return Err(ApiError::bad_request(
                Some("invoice"),
                "give exactly one of invoice=NUMBER, payment=ID or credit_note=NUMBER",
            ));
        }
    };
    Ok(Json(ListOut::all(list.iter().map(AllocationOut::from).collect())))
}

/// `POST /allocations`: (part of) a payment or credit note to an invoice; without `amount`, as
/// much as both sides allow.
pub(crate) async fn allocate(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<AllocationIn>,
) -> Result<Response, ApiError> {
    let invoice_number = required("invoice_number", body.invoice_number, KEY_BYTES_MAX)?;
    let from = match (
        body.payment_id,
        text("credit_note_number", body.credit_note_number, KEY_BYTES_MAX)?,
    ) {
        (Some(id), None) => AllocateFrom::Payment(PaymentId(id)),
        (None, Some(n)) => AllocateFrom::CreditNote(n),
        _ => {
            return Err(ApiError::invalid(
                "payment_id",
                "give exactly one of payment_id or credit_note_number",
            ));
        }
    };
    let amount_text = text("amount", body.amount, 64)?;
    let amount = match amount_text {
        None => None,
        Some(t) => {
            // Amounts are in the invoice's currency.
            let invoice = st.app.find_invoice(p.org_id(), &invoice_number).await?;
            Some(money("amount", &t, invoice.invoice.amount.currency())?)
        }
    };
    let a = st.app.allocate(p.org_id(), &invoice_number, from, amount, &p.actor()).await?;
    // No Location: an allocation is read through its invoice, payment or credit note.
    Ok((StatusCode::CREATED, Json(AllocationOut::from(&a))).into_response())
}

/// `DELETE /allocations/{id}`: answers with the allocation that was removed.
pub(crate) async fn delete_allocation(
    State(st): State<ApiState>,
    p: Principal,
    Key(key): Key,
) -> Result<Json<AllocationOut>, ApiError> {
    let id = key
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(AllocationId)
        .ok_or_else(|| ApiError::not_found("allocation", &key))?;
    let gone = st.app.delete_allocation(p.org_id(), id, &p.actor()).await?;
    Ok(Json(AllocationOut::from(&gone)))
}
