//! Payment plans over HTTP: a debtor's plans, a plan proposed by staff for every open invoice of
//! a debtor, one plan, and a person's decision on a proposed one.

use arflow_app::plans::PlanView;
use arflow_core::arrangement::{Interval, ProposalInput};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::auth::Principal;
use super::extract::{JsonBody, Key, ListOut, date};
use super::misc::created_or_ok;
use super::{ApiError, ApiState};

/// `POST /debtors/{number}/plans`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanIn {
    first_due: String,
    count: u32,
    #[serde(default = "monthly")]
    interval: Interval,
    /// Start at once even beyond the organisation's limits (the token's holder decides).
    #[serde(default)]
    start: bool,
}

fn monthly() -> Interval {
    Interval::Monthly
}

/// A plan id from the path; anything but a positive number is a plan that does not exist.
fn plan_id(key: &str) -> Result<i64, ApiError> {
    key.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::not_found("payment_plan", key))
}

/// `GET /debtors/{number}/plans`: newest first.
pub(crate) async fn of_debtor(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<ListOut<PlanView>>, ApiError> {
    Ok(Json(ListOut::all(st.app.plans_of(p.org_id(), &number).await?)))
}

/// `POST /debtors/{number}/plans`: 201 with the plan, active at once or waiting for a person.
pub(crate) async fn propose(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    JsonBody(body): JsonBody<PlanIn>,
) -> Result<Response, ApiError> {
    let input = ProposalInput {
        first_due: date("first_due", &body.first_due)?,
        count: body.count,
        interval: body.interval,
    };
    let proposed = if body.start {
        st.app.start_plan(p.org_id(), &number, &input, &p.actor()).await?
    } else {
        st.app.propose_plan(p.org_id(), &number, &input, &p.actor(), None).await?
    };
    let location = format!("/api/v1/plans/{}", proposed.plan.id);
    Ok(created_or_ok(true, &location, &proposed))
}

/// `GET /plans/{id}`.
pub(crate) async fn get(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(st.app.plan_view(p.org_id(), plan_id(&id)?).await?))
}

/// `POST /plans/{id}/accept`.
pub(crate) async fn accept(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(st.app.accept_plan(p.org_id(), plan_id(&id)?, &p.actor()).await?))
}

/// `POST /plans/{id}/reject`.
pub(crate) async fn reject(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(st.app.reject_plan(p.org_id(), plan_id(&id)?, &p.actor()).await?))
}
