//! `/api/v1/debtors`: create, read, list, change, pause and resume debtors.

use arflow_core::money::Currency;
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language,
};
use arflow_store::DebtorFilter;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::auth::Principal;
use super::dto::DebtorOut;
use super::extract::{
    JsonBody, KEY_BYTES_MAX, Key, ListOut, Params, TEXT_BYTES_MAX, money, required, segment, text,
};
use super::misc::{created_or_ok, double_option};
use super::{ApiError, ApiState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailIn {
    address: String,
    #[serde(default = "general")]
    purpose: ContactPurpose,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneIn {
    number: String,
    #[serde(default = "general")]
    purpose: ContactPurpose,
}

fn general() -> ContactPurpose {
    ContactPurpose::General
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressIn {
    #[serde(default, deserialize_with = "double_option")]
    street: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    postal_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    city: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    country: Option<Option<CountryCode>>,
}

/// `POST /debtors`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DebtorIn {
    number: String,
    name: String,
    kind: DebtorKind,
    country: Option<CountryCode>,
    language: Option<Language>,
    #[serde(default)]
    emails: Vec<EmailIn>,
    #[serde(default)]
    phones: Vec<PhoneIn>,
    #[serde(default)]
    address: AddressIn,
    vat_number: Option<String>,
    enterprise_number: Option<String>,
    #[serde(default)]
    ibans: Vec<String>,
    #[serde(default)]
    segments: Vec<String>,
    owner: Option<String>,
    credit_limit: Option<String>,
}

/// `PATCH /debtors/{number}`: the fields given replace the stored ones (`null` clears);
/// `address` is merged field by field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DebtorPatch {
    number: Option<String>,
    name: Option<String>,
    kind: Option<DebtorKind>,
    country: Option<CountryCode>,
    language: Option<Language>,
    emails: Option<Vec<EmailIn>>,
    phones: Option<Vec<PhoneIn>>,
    address: Option<AddressIn>,
    #[serde(default, deserialize_with = "double_option")]
    vat_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    enterprise_number: Option<Option<String>>,
    ibans: Option<Vec<String>>,
    segments: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    credit_limit: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PauseIn {
    reason: String,
    until: Option<String>,
}

fn contacts_email(list: Vec<EmailIn>) -> Vec<Contact> {
    list.into_iter()
        .map(|c| Contact { value: c.address.trim().to_owned(), purpose: c.purpose })
        .collect()
}

fn contacts_phone(list: Vec<PhoneIn>) -> Vec<Contact> {
    list.into_iter()
        .map(|c| Contact { value: c.number.trim().to_owned(), purpose: c.purpose })
        .collect()
}

fn merge_address(into: &mut Address, patch: AddressIn) -> Result<(), ApiError> {
    if let Some(v) = patch.street {
        into.street = text("address.street", v, TEXT_BYTES_MAX)?;
    }
    if let Some(v) = patch.postal_code {
        into.postal_code = text("address.postal_code", v, TEXT_BYTES_MAX)?;
    }
    if let Some(v) = patch.city {
        into.city = text("address.city", v, TEXT_BYTES_MAX)?;
    }
    if let Some(v) = patch.country {
        into.country = v;
    }
    Ok(())
}

fn credit_limit(
    text_value: Option<String>,
    currency: Currency,
) -> Result<Option<arflow_core::money::Money>, ApiError> {
    text("credit_limit", text_value, 64)?.map(|t| money("credit_limit", &t, currency)).transpose()
}

fn location(number: &str) -> String {
    format!("/api/v1/debtors/{}", segment(number))
}

/// `GET /debtors`.
pub(crate) async fn list(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<DebtorOut>>, ApiError> {
    let filter = DebtorFilter {
        search: q.text("search"),
        segment: q.text("segment"),
        owner: q.text("owner"),
        kind: q
            .text("kind")
            .map(|k| {
                k.parse::<DebtorKind>()
                    .map_err(|e| ApiError::bad_request(Some("kind"), e.to_string()))
            })
            .transpose()?,
        overdue_on: q.only_true("overdue")?.then(|| p.today(&st.app)),
        paused: q.bool("paused")?,
        due_between: match (q.date("due_from")?, q.date("due_to")?) {
            (None, None) => None,
            (from, to) => {
                Some((from.unwrap_or(jiff::civil::Date::MIN), to.unwrap_or(jiff::civil::Date::MAX)))
            }
        },
        disputed: q.only_true("disputed")?,
        in_payment_plan: q.only_true("in_payment_plan")?,
        promised_from: q.only_true("promised")?.then(|| p.today(&st.app)),
    };
    let page = q.page("debtors")?;
    q.finish()?;
    let rows = st.app.list_debtors(p.org_id(), &filter, page).await?;
    let last = rows.last().map(|d| d.id.0);
    let cur = p.org.organisation.currency;
    let data = rows.iter().map(|d| DebtorOut::new(d, cur)).collect();
    Ok(Json(ListOut::page("debtors", data, last, page)))
}

/// `POST /debtors`.
pub(crate) async fn create(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<DebtorIn>,
) -> Result<Response, ApiError> {
    let org = &p.org.organisation;
    let mut address = Address::default();
    merge_address(&mut address, body.address)?;
    let debtor = Debtor {
        number: required("number", body.number, KEY_BYTES_MAX)?,
        name: required("name", body.name, TEXT_BYTES_MAX)?,
        kind: body.kind,
        country: body.country.unwrap_or_else(|| org.country.code()),
        language: body.language.unwrap_or(org.language),
        emails: contacts_email(body.emails),
        phones: contacts_phone(body.phones),
        address,
        vat_number: text("vat_number", body.vat_number, 64)?,
        enterprise_number: text("enterprise_number", body.enterprise_number, 64)?,
        ibans: body.ibans,
        segments: body.segments,
        owner: text("owner", body.owner, TEXT_BYTES_MAX)?,
        credit_limit: credit_limit(body.credit_limit, org.currency)?,
        pause: None,
    };
    let (stored, created) = st.app.create_debtor(p.org_id(), debtor, &p.actor()).await?;
    let out = DebtorOut::new(&stored, org.currency);
    Ok(created_or_ok(created, &location(&stored.debtor.number), &out))
}

/// `GET /debtors/{number}`: the debtor with its key figures today.
pub(crate) async fn get(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<DebtorOut>, ApiError> {
    let view = st.app.debtor_view(p.org_id(), &number).await?;
    Ok(Json(DebtorOut::with_figures(&view, p.org.organisation.currency)))
}

/// `PATCH /debtors/{number}`.
pub(crate) async fn patch(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    JsonBody(patch): JsonBody<DebtorPatch>,
) -> Result<Json<DebtorOut>, ApiError> {
    let cur = p.org.organisation.currency;
    let stored = st.app.debtor_view(p.org_id(), &number).await?.debtor;
    let mut d = stored.debtor;
    if let Some(v) = patch.number {
        d.number = required("number", v, KEY_BYTES_MAX)?;
    }
    if let Some(v) = patch.name {
        d.name = required("name", v, TEXT_BYTES_MAX)?;
    }
    if let Some(v) = patch.kind {
        d.kind = v;
    }
    if let Some(v) = patch.country {
        d.country = v;
    }
    if let Some(v) = patch.language {
        d.language = v;
    }
    if let Some(v) = patch.emails {
        d.emails = contacts_email(v);
    }
    if let Some(v) = patch.phones {
        d.phones = contacts_phone(v);
    }
    if let Some(a) = patch.address {
        merge_address(&mut d.address, a)?;
    }
    if let Some(v) = patch.vat_number {
        d.vat_number = text("vat_number", v, 64)?;
    }
    if let Some(v) = patch.enterprise_number {
        d.enterprise_number = text("enterprise_number", v, 64)?;
    }
    if let Some(v) = patch.ibans {
        d.ibans = v;
    }
    if let Some(v) = patch.segments {
        d.segments = v;
    }
    if let Some(v) = patch.owner {
        d.owner = text("owner", v, TEXT_BYTES_MAX)?;
    }
    if let Some(v) = patch.credit_limit {
        d.credit_limit = credit_limit(v, cur)?;
    }
    let updated = st.app.update_debtor(p.org_id(), &number, d, &p.actor()).await?;
    Ok(Json(DebtorOut::new(&updated, cur)))
}

/// `POST /debtors/{number}/pause`.
pub(crate) async fn pause(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    JsonBody(body): JsonBody<PauseIn>,
) -> Result<Json<DebtorOut>, ApiError> {
    let until =
        text("until", body.until, 10)?.map(|t| super::extract::date("until", &t)).transpose()?;
    let d = st.app.pause_debtor(p.org_id(), &number, &body.reason, until, &p.actor()).await?;
    Ok(Json(DebtorOut::new(&d, p.org.organisation.currency)))
}

/// `POST /debtors/{number}/resume`.
pub(crate) async fn resume(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<DebtorOut>, ApiError> {
    let d = st.app.resume_debtor(p.org_id(), &number, &p.actor()).await?;
    Ok(Json(DebtorOut::new(&d, p.org.organisation.currency)))
}
