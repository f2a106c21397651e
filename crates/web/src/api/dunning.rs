//! Dunning over HTTP: previews and runs, the policies in force and their editing, the
//! assignments of policies to debtors, the outbox, tasks, what may be claimed on an invoice, and
//! a debtor's timeline.

use arflow_app::charges::ChargesReport;
use arflow_app::dunning::{AssignmentsInput, RunReport};
use arflow_app::templates::{TemplatePreview, TemplateText, TemplateView};
use arflow_app::timeline::Timeline;
use arflow_core::dunning::{Assignments, LegalGate, Policy};
use arflow_core::party::DebtorKind;
use arflow_store::{MessageStatus, StoredMessage, StoredTask};
use axum::Json;
use axum::extract::{Request, State};
use serde::Deserialize;

use super::auth::Principal;
use super::extract::{JsonBody, Key, ListOut, Params, body_bytes, date, parse_json};
use super::{ApiError, ApiState};

fn gate(p: &Principal) -> LegalGate {
    LegalGate { creditor: p.org.organisation.country }
}

/// `GET /dunning/preview?as_of=`.
pub(crate) async fn preview(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<RunReport>, ApiError> {
    let as_of = q.date("as_of")?;
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.dunning_preview(Some(slug), as_of, &gate(&p)).await?))
}

/// `POST /dunning/runs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunIn {
    as_of: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /dunning/runs`: a run (or a dry run) on a date; a second run of the same date does
/// nothing and says so (`already_ran`). E-mail goes out with the server's delivery loop.
pub(crate) async fn run(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<RunIn>,
) -> Result<Json<RunReport>, ApiError> {
    let as_of = body.as_of.as_deref().map(|d| date("as_of", d)).transpose()?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.dunning_run(Some(slug), as_of, body.dry_run, &gate(&p), &p.actor()).await?))
}

/// `GET /dunning/policies`.
pub(crate) async fn policies(
    State(st): State<ApiState>,
    p: Principal,
) -> Result<Json<ListOut<Policy>>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(ListOut::all(st.app.dunning_policies(Some(slug)).await?)))
}

/// `GET /dunning/policies/{id}`: the policy in force with this id and its version.
pub(crate) async fn policy(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<Policy>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.dunning_policy(Some(slug), &id).await?))
}

/// `PUT /dunning/policies/{id}`: stores the body as the next version of the policy (nothing
/// when its rules are those in force). The body is a whole policy as `GET` gives it; its `id`
/// must be the one in the path, and a field a policy does not have is refused (it would be
/// dropped in silence otherwise).
pub(crate) async fn put_policy(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    req: Request,
) -> Result<Json<Policy>, ApiError> {
    let bytes = body_bytes(req, &st).await?;
    let input: serde_json::Value = parse_json(&bytes)?;
    let policy: Policy = parse_json(&bytes)?;
    if let Some(field) = arflow_app::dunning::unknown_field(&input, &policy) {
        return Err(ApiError::bad_request(Some(&field), format!("unknown field `{field}`")));
    }
    if policy.id != id {
        return Err(ApiError::invalid(
            "id",
            format!("the body is policy '{}' but the path names '{id}'", policy.id),
        ));
    }
    let slug = p.org.organisation.slug.as_str();
    let (policy, _) = st.app.put_dunning_policy(Some(slug), policy, &p.actor()).await?;
    Ok(Json(policy))
}

/// `GET /dunning/assignments`.
pub(crate) async fn assignments(
    State(st): State<ApiState>,
    p: Principal,
) -> Result<Json<Assignments>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.dunning_assignments(Some(slug)).await?))
}

/// `PUT /dunning/assignments`: replaces them all; a map left out is empty.
pub(crate) async fn put_assignments(
    State(st): State<ApiState>,
    p: Principal,
    JsonBody(body): JsonBody<AssignmentsInput>,
) -> Result<Json<Assignments>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.put_dunning_assignments(Some(slug), body.into(), &p.actor()).await?))
}

/// `GET /outbox?status=&limit=&cursor=`: messages, newest first, with both bodies and the
/// names of their attachments.
pub(crate) async fn outbox(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<StoredMessage>>, ApiError> {
    let status = q
        .text("status")
        .map(|s| {
            MessageStatus::parse(&s).ok_or_else(|| {
                ApiError::bad_request(
                    Some("status"),
                    format!("'{s}' is not planned, sending, sent, uncertain, failed or held"),
                )
            })
        })
        .transpose()?;
    let page = q.page("message")?;
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    let list = st.app.outbox(Some(slug), status, page).await?;
    let last = list.last().map(|m| m.id);
    Ok(Json(ListOut::page("message", list, last, page)))
}

/// `GET /invoices/{number}/policy`: the invoice's policy override (`null`: the debtor's).
pub(crate) async fn invoice_policy(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<arflow_app::dunning::InvoicePolicy>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.invoice_policy(Some(slug), &number).await?))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoicePolicyIn {
    policy: Option<String>,
}

/// `PUT /invoices/{number}/policy` `{"policy": "ID" | null}`: sets or lifts the override.
pub(crate) async fn put_invoice_policy(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    JsonBody(body): JsonBody<InvoicePolicyIn>,
) -> Result<Json<arflow_app::dunning::InvoicePolicy>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    let policy = body.policy.as_deref();
    Ok(Json(st.app.set_invoice_policy(Some(slug), &number, policy, &p.actor()).await?))
}

/// `GET /outbox/{id}/attachment?index=N`: one attachment of a message (default the first), as
/// its own content type.
pub(crate) async fn outbox_attachment(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    mut q: Params,
) -> Result<axum::response::Response, ApiError> {
    let message = id
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::not_found("message", &id))?;
    let index = match q.text("index") {
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::bad_request(Some("index"), format!("'{t}' is not a position (0, 1, …)"))
        })?,
        None => 0,
    };
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    let a = st.app.message_attachment(Some(slug), message, index).await?;
    Ok(super::file_response(a.content, &a.content_type, &a.file_name, "attachment"))
}

/// `GET /tasks?all=true&owner=`.
pub(crate) async fn tasks(
    State(st): State<ApiState>,
    p: Principal,
    mut q: Params,
) -> Result<Json<ListOut<StoredTask>>, ApiError> {
    let all = q.only_true("all")?;
    let owner = q.text("owner");
    let page = q.page("task")?;
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    let list = st.app.tasks(Some(slug), all, owner.as_deref(), page).await?;
    let last = list.last().map(|t| t.id);
    Ok(Json(ListOut::page("task", list, last, page)))
}

/// `POST /tasks/{id}/done`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskDoneIn {
    outcome: String,
    promised_on: Option<String>,
    note: Option<String>,
}

pub(crate) async fn task_done(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    JsonBody(body): JsonBody<TaskDoneIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::not_found("task", &id))?;
    let promised_on = body.promised_on.as_deref().map(|d| date("promised_on", d)).transpose()?;
    let slug = p.org.organisation.slug.as_str();
    st.app
        .complete_task(Some(slug), id, &body.outcome, promised_on, body.note.as_deref(), &p.actor())
        .await?;
    Ok(Json(serde_json::json!({ "id": id, "status": "done", "outcome": body.outcome })))
}

/// `GET /invoices/{number}/charges?as_of=`.
pub(crate) async fn charges(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
    mut q: Params,
) -> Result<Json<ChargesReport>, ApiError> {
    let as_of = q.date("as_of")?;
    q.finish()?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.invoice_charges(Some(slug), &number, as_of).await?))
}

/// `GET /debtors/{number}/timeline`.
pub(crate) async fn timeline(
    State(st): State<ApiState>,
    p: Principal,
    Key(number): Key,
) -> Result<Json<Timeline>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.timeline(Some(slug), &number).await?))
}

/// `GET /templates`: every step in every language, the organisation's own texts marked.
pub(crate) async fn templates(
    State(st): State<ApiState>,
    p: Principal,
) -> Result<Json<ListOut<TemplateView>>, ApiError> {
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(ListOut::all(st.app.list_templates(Some(slug)).await?)))
}

/// `{step}.{language}`, like `reminder.fr`.
fn template_id(id: &str) -> Result<(&str, &str), ApiError> {
    id.rsplit_once('.').ok_or_else(|| ApiError::not_found("template", id))
}

/// `GET /templates/{id}`.
pub(crate) async fn template(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<Json<TemplateView>, ApiError> {
    let (step, language) = template_id(&id)?;
    let slug = p.org.organisation.slug.as_str();
    st.app
        .list_templates(Some(slug))
        .await?
        .into_iter()
        .find(|t| t.step.as_str() == step && t.language.as_str() == language)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("template", &id))
}

/// `PUT /templates/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateIn {
    subject: String,
    text: String,
    html: Option<String>,
}

pub(crate) async fn put_template(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    JsonBody(body): JsonBody<TemplateIn>,
) -> Result<Json<TemplateView>, ApiError> {
    let (step, language) = template_id(&id)?;
    let slug = p.org.organisation.slug.as_str();
    let text = TemplateText { subject: body.subject, text: body.text, html: body.html };
    Ok(Json(st.app.put_template(Some(slug), step, language, text, &p.actor()).await?))
}

/// `DELETE /templates/{id}`: back to the built-in text.
pub(crate) async fn reset_template(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
) -> Result<axum::http::StatusCode, ApiError> {
    let (step, language) = template_id(&id)?;
    let slug = p.org.organisation.slug.as_str();
    st.app.reset_template(Some(slug), step, language, &p.actor()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /templates/{id}/preview?debtor_kind=`.
pub(crate) async fn preview_template(
    State(st): State<ApiState>,
    p: Principal,
    Key(id): Key,
    mut q: Params,
) -> Result<Json<TemplatePreview>, ApiError> {
    let kind = match q.text("debtor_kind").as_deref() {
        None | Some("business") => DebtorKind::Business,
        Some("consumer") => DebtorKind::Consumer,
        Some(other) => {
            return Err(ApiError::bad_request(
                Some("debtor_kind"),
                format!("'{other}' is not business or consumer"),
            ));
        }
    };
    q.finish()?;
    let (step, language) = template_id(&id)?;
    let slug = p.org.organisation.slug.as_str();
    Ok(Json(st.app.preview_template(Some(slug), step, language, kind).await?))
}
