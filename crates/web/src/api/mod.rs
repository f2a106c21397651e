//! The REST API `/api/v1`: the route table, the state shared by the handlers and the layers
//! every request passes (tracing, timeout, body limits, authentication, Idempotency-Key).
//!
//! The route table is built once by [`Table`]; [`router`] and [`routes`] read the same table, so
//! the list of routes (and the OpenAPI test that compares it with the spec) cannot drift from
//! what is served.

mod auth;
pub(crate) use auth::TokenCache;
mod debtors;
mod dto;
mod dunning;
mod error;
mod extract;
mod idempotency;
mod inbound;
mod invoices;
pub(crate) mod layers;
mod misc;
pub(crate) mod openapi;
mod payments;
mod plans;

use std::sync::Arc;
use std::time::Duration;

use arflow_app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

pub(crate) use error::ApiError;

/// Largest JSON request body, in bytes.
pub(crate) const JSON_BODY_BYTES_MAX: usize = 1 << 20;

/// Largest PDF upload, in bytes (the use case itself accepts at most 20 MiB of PDF; the margin
/// lets it answer with a clear message instead of a bare 413).
pub(crate) const PDF_BODY_BYTES_MAX: usize = 25 << 20;

/// Largest statement or e-invoice upload, in bytes (a month of a busy account in camt.053).
pub(crate) const UPLOAD_BODY_BYTES_MAX: usize = 64 << 20;

/// Longest time one request may take before it is answered with 503 `timeout`.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler gets.
#[derive(Debug, Clone)]
pub(crate) struct ApiState {
    /// Behind an `Arc`: the state is cloned for each layer of each request.
    pub(crate) app: Arc<App>,
    pub(crate) tokens: Arc<auth::TokenCache>,
    pub(crate) in_flight: Arc<idempotency::InFlight>,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone: the health check and the API description.
    Public,
    /// A bearer token of an organisation.
    Token,
}

/// The route table under construction.
struct Table {
    public: Router<ApiState>,
    protected: Router<ApiState>,
    list: Vec<(Method, &'static str)>,
}

fn method_filter(method: &Method) -> MethodFilter {
    match *method {
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    }
}

impl Table {
    fn new() -> Table {
        Table { public: Router::new(), protected: Router::new(), list: Vec::new() }
    }

    fn add<H, T>(self, method: Method, path: &'static str, access: Access, handler: H) -> Table
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        let route = on(method_filter(&method), handler);
        self.add_route(method, path, access, route)
    }

    fn add_route(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: MethodRouter<ApiState>,
    ) -> Table {
        self.list.push((method, path));
        match access {
            Access::Public => self.public = self.public.route(path, route),
            Access::Token => self.protected = self.protected.route(path, route),
        }
        self
    }
}

fn table() -> Table {
    use Access::{Public, Token};
    let pdf_put =
        on(MethodFilter::PUT, invoices::put_pdf).layer(DefaultBodyLimit::max(PDF_BODY_BYTES_MAX));
    let statement_post = on(MethodFilter::POST, inbound::upload_statement)
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES_MAX));
    let einvoice_post = on(MethodFilter::POST, inbound::upload_einvoice)
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES_MAX));
    Table::new()
        .add(Method::GET, "/healthz", Public, misc::healthz)
        .add(Method::GET, "/api/v1/openapi.json", Public, misc::openapi_json)
        .add(Method::GET, "/api/v1/organisation", Token, misc::organisation)
        .add(Method::GET, "/api/v1/audit", Token, misc::audit)
        .add(Method::GET, "/api/v1/debtors", Token, debtors::list)
        .add(Method::POST, "/api/v1/debtors", Token, debtors::create)
        .add(Method::GET, "/api/v1/debtors/{number}", Token, debtors::get)
        .add(Method::PATCH, "/api/v1/debtors/{number}", Token, debtors::patch)
        .add(Method::POST, "/api/v1/debtors/{number}/pause", Token, debtors::pause)
        .add(Method::POST, "/api/v1/debtors/{number}/resume", Token, debtors::resume)
        .add(Method::GET, "/api/v1/invoices", Token, invoices::list)
        .add(Method::POST, "/api/v1/invoices", Token, invoices::create)
        .add(Method::GET, "/api/v1/invoices/{number}", Token, invoices::get)
        .add(Method::PATCH, "/api/v1/invoices/{number}", Token, invoices::patch)
        .add(Method::GET, "/api/v1/invoices/{number}/pdf", Token, invoices::get_pdf)
        .add_route(Method::PUT, "/api/v1/invoices/{number}/pdf", Token, pdf_put)
        .add(Method::GET, "/api/v1/credit-notes", Token, invoices::list_credit_notes)
        .add(Method::POST, "/api/v1/credit-notes", Token, invoices::create_credit_note)
        .add(Method::GET, "/api/v1/credit-notes/{number}", Token, invoices::get_credit_note)
        .add(Method::GET, "/api/v1/payments", Token, payments::list)
        .add(Method::POST, "/api/v1/payments", Token, payments::create)
        .add(Method::GET, "/api/v1/payments/{id}", Token, payments::get)
        .add(Method::GET, "/api/v1/allocations", Token, payments::list_allocations)
        .add(Method::POST, "/api/v1/allocations", Token, payments::allocate)
        .add(Method::DELETE, "/api/v1/allocations/{id}", Token, payments::delete_allocation)
        .add(Method::GET, "/api/v1/reports/ageing", Token, misc::ageing)
        .add(Method::GET, "/api/v1/reports/dso", Token, misc::dso)
        .add(Method::GET, "/api/v1/reports/behaviour", Token, misc::behaviour)
        .add(Method::GET, "/api/v1/invoices/{number}/charges", Token, dunning::charges)
        .add(Method::GET, "/api/v1/invoices/{number}/policy", Token, dunning::invoice_policy)
        .add(Method::PUT, "/api/v1/invoices/{number}/policy", Token, dunning::put_invoice_policy)
        .add_route(Method::POST, "/api/v1/statements", Token, statement_post)
        .add_route(Method::POST, "/api/v1/e-invoices", Token, einvoice_post)
        .add(Method::GET, "/api/v1/statement-mappings", Token, inbound::mappings)
        .add(Method::GET, "/api/v1/statement-mappings/{name}", Token, inbound::mapping)
        .add(Method::PUT, "/api/v1/statement-mappings/{name}", Token, inbound::put_mapping)
        .add(Method::DELETE, "/api/v1/statement-mappings/{name}", Token, inbound::delete_mapping)
        .add(Method::GET, "/api/v1/matches", Token, inbound::review)
        .add(Method::POST, "/api/v1/matches/{id}/accept", Token, inbound::accept)
        .add(Method::POST, "/api/v1/matches/{id}/reject", Token, inbound::reject)
        .add(Method::GET, "/api/v1/debtors/{number}/timeline", Token, dunning::timeline)
        .add(Method::GET, "/api/v1/debtors/{number}/plans", Token, plans::of_debtor)
        .add(Method::POST, "/api/v1/debtors/{number}/plans", Token, plans::propose)
        .add(Method::GET, "/api/v1/plans/{id}", Token, plans::get)
        .add(Method::POST, "/api/v1/plans/{id}/accept", Token, plans::accept)
        .add(Method::POST, "/api/v1/plans/{id}/reject", Token, plans::reject)
        .add(Method::GET, "/api/v1/dunning/preview", Token, dunning::preview)
        .add(Method::POST, "/api/v1/dunning/runs", Token, dunning::run)
        .add(Method::GET, "/api/v1/dunning/policies", Token, dunning::policies)
        .add(Method::GET, "/api/v1/dunning/policies/{id}", Token, dunning::policy)
        .add(Method::PUT, "/api/v1/dunning/policies/{id}", Token, dunning::put_policy)
        .add(Method::GET, "/api/v1/dunning/assignments", Token, dunning::assignments)
        .add(Method::PUT, "/api/v1/dunning/assignments", Token, dunning::put_assignments)
        .add(Method::GET, "/api/v1/outbox", Token, dunning::outbox)
        .add(Method::GET, "/api/v1/outbox/{id}/attachment", Token, dunning::outbox_attachment)
        .add(Method::GET, "/api/v1/tasks", Token, dunning::tasks)
        .add(Method::POST, "/api/v1/tasks/{id}/done", Token, dunning::task_done)
        .add(Method::GET, "/api/v1/templates", Token, dunning::templates)
        .add(Method::GET, "/api/v1/templates/{id}", Token, dunning::template)
        .add(Method::PUT, "/api/v1/templates/{id}", Token, dunning::put_template)
        .add(Method::DELETE, "/api/v1/templates/{id}", Token, dunning::reset_template)
        .add(Method::GET, "/api/v1/templates/{id}/preview", Token, dunning::preview_template)
}

/// A stored file as the answer: its content type and a `Content-Disposition` (`inline` or
/// `attachment`) with the file name reduced to printable ASCII without quotes or backslashes.
pub(crate) fn file_response(
    content: Vec<u8>,
    content_type: &str,
    file_name: &str,
    disposition: &str,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let safe: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let mut response = axum::body::Body::from(content).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe}\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    response
}

/// See [`crate::routes`].
pub(crate) fn routes() -> Vec<(Method, &'static str)> {
    table().list
}

/// See [`crate::router`].
/// `tokens` is the cache of token look-ups, shared with the pages that revoke tokens.
pub(crate) fn router(app: App, tokens: Arc<TokenCache>) -> Router {
    let state = ApiState {
        app: Arc::new(app),
        tokens,
        in_flight: Arc::new(idempotency::InFlight::default()),
    };
    let Table { public, protected, .. } = table();
    // The last layer added runs first: authentication, then the Idempotency-Key check.
    let protected = protected
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::layer));
    public
        .merge(protected)
        .fallback(misc::route_not_found)
        .method_not_allowed_fallback(misc::method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn(layers::timeout))
        .layer(axum::middleware::from_fn(layers::trace))
        .with_state(state)
}
