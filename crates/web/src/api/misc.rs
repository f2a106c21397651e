//! The organisation, the audit log, the reports, the health check, the API description, the
//! fallbacks, and small response helpers the resource modules share.

use arflow_app::reports::{AgeingReport, BehaviourReport, DsoReport};
use arflow_core::date::add_days;
use arflow_core::kpi::{AgeingBuckets, DSO_PERIOD_DAYS_DEFAULT, DSO_PERIOD_DAYS_MAX};
use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};

use super::auth::Principal;
use super::dto::{AuditOut, OrganisationOut};
use super::extract::{ListOut, Params};
use super::{ApiError, ApiState};

/// Days `GET /reports/behaviour` looks back when `from` is not given.
pub(crate) const BEHAVIOUR_DAYS_DEFAULT: i32 = 365;

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub(crate) fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// 201 with `Location` when the record was created, 200 when it was there already (the same
/// request again).
pub(crate) fn created_or_ok<T: Serialize>(created: bool, location: &str, body: &T) -> Response {
    if !created {
        return (StatusCode::OK, Json(body)).into_response();
    }
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, v);
    }
    response
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
pub(crate) async fn healthz(State(st): State<ApiState>) -> Response {
    match st.app.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "unavailable" })))
                .into_response()
        }
    }
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn openapi_json() -> Json<serde_json::Value> {
    Json(super::openapi::openapi())
}

/// Any path that is not a route.
pub(crate) async fn route_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such route; see /api/v1/openapi.json",
    )
}

/// A route asked with a method it does not serve.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not serve this method; see /api/v1/openapi.json",
    )
}

/// `GET /organisation`: the organisation of the token.
pub(crate) async fn organisation(
    State(st): State<ApiState>,
    p: Principal,
) -> Result<Json<OrganisationOut>, ApiError> {
    // Read afresh rather than from the token cache, so changed settings show at once.
    let org = st.app.organisation(p.org_id()).await?;
    Ok(Json(OrganisationOut::from(&org)))
}

/// `GET /audit`: newest first.
pub(crate) async fn audit(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<AuditOut>>, ApiError> {
    let page = q.page("audit")?;
    q.finish()?;
    let rows = st.app.audit_log(p.org_id(), page).await?;
    let last = rows.last().map(|(id, _)| *id);
    let data = rows.iter().map(|(id, e)| AuditOut::new(*id, e)).collect();
    Ok(Json(ListOut::page("audit", data, last, page)))
}

/// The debtor a report is restricted to, when `debtor` is given.
async fn report_debtor(
    st: &ApiState,
    p: &Principal,
    number: Option<String>,
) -> Result<Option<arflow_core::id::DebtorId>, ApiError> {
    match number {
        None => Ok(None),
        Some(n) => Ok(Some(st.app.debtor_id(p.org_id(), &n).await?)),
    }
}

/// `GET /reports/ageing?as_of=&currency=&buckets=30,60,90,180&debtor=`.
pub(crate) async fn ageing(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<AgeingReport>, ApiError> {
    let as_of = q.date("as_of")?;
    let currency = q.currency("currency")?;
    let buckets = match q.text("buckets") {
        None => AgeingBuckets::default(),
        Some(t) => AgeingBuckets::parse(&t)
            .map_err(|e| ApiError::bad_request(Some("buckets"), e.to_string()))?,
    };
    let debtor = q.text("debtor");
    q.finish()?;
    let debtor = report_debtor(&st, &p, debtor).await?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.ageing(Some(slug), as_of, currency, &buckets, debtor).await?))
}

/// `GET /reports/dso?as_of=&period_days=90`.
pub(crate) async fn dso(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<DsoReport>, ApiError> {
    let as_of = q.date("as_of")?;
    let period_days =
        q.number("period_days", 1, DSO_PERIOD_DAYS_MAX)?.unwrap_or(DSO_PERIOD_DAYS_DEFAULT);
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.dso(Some(slug), as_of, period_days).await?))
}

/// `GET /reports/behaviour?from=&to=&debtor=`: `to` defaults to today, `from` to 365 days
/// before `to`.
pub(crate) async fn behaviour(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<BehaviourReport>, ApiError> {
    let to = q.date("to")?.unwrap_or_else(|| p.today(&st.app));
    let from = q.date("from")?.unwrap_or_else(|| add_days(to, -BEHAVIOUR_DAYS_DEFAULT));
    if from > to {
        return Err(ApiError::bad_request(Some("from"), "from must not be after to"));
    }
    let debtor = q.text("debtor");
    q.finish()?;
    let debtor = report_debtor(&st, &p, debtor).await?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.payment_behaviour(Some(slug), from, to, debtor).await?))
}
