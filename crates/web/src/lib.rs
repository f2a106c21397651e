//! arflow over HTTP: the REST API under `/api/v1` with its OpenAPI 3.1 description, the health
//! check, and the staff web application (`ui`: sign-in and the dashboard so far). The debtor
//! portal will live next to them.
//!
//! The web crate holds no business logic: every handler parses its input at the edge, calls one
//! [`App`] use case with the organisation of the caller's token, and turns the outcome into JSON.
//!
//! ```no_run
//! # async fn run(app: arflow_app::App) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! arflow_web::serve(app, listener, std::future::pending()).await
//! # }
//! ```

// The hand-written OpenAPI document is one deep `json!` literal.
#![recursion_limit = "512"]

mod api;
mod portal;
mod ui;

use std::future::Future;

use arflow_app::App;
use axum::http::Method;

pub use api::openapi::openapi;

/// The whole HTTP application: `/api/v1/…`, `/api/v1/openapi.json`, `/healthz`, and the staff
/// pages (`/`, `/login`, …).
pub fn router(app: App) -> axum::Router {
    // The pages pass the same tracing span and time limit as the API; a form is small (a
    // template's text is the largest).
    // One cache of token look-ups: the pages that revoke a token empty it.
    let tokens = std::sync::Arc::new(api::TokenCache::default());
    let ui = ui::router(app.clone())
        .layer(axum::Extension(tokens.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(UI_FORM_BYTES_MAX))
        .layer(axum::middleware::from_fn(api::layers::timeout))
        .layer(axum::middleware::from_fn(api::layers::trace));
    let portal = portal::router(app.clone())
        .layer(axum::middleware::from_fn(api::layers::timeout))
        .layer(axum::middleware::from_fn(api::layers::trace));
    let webhooks = portal::webhooks(app.clone())
        .layer(axum::middleware::from_fn(api::layers::timeout))
        .layer(axum::middleware::from_fn(api::layers::trace));
    api::router(app, tokens).merge(ui).merge(portal).merge(webhooks)
}

/// Every (method, path) of the debtor portal.
pub fn portal_routes() -> Vec<(Method, &'static str)> {
    portal::routes()
}

/// The largest form body the pages accept.
const UI_FORM_BYTES_MAX: usize = 256 * 1024;

/// Every (method, path) of the staff pages.
pub fn ui_routes() -> Vec<(Method, &'static str)> {
    ui::routes()
}

/// Every (method, path) the [`router`] serves, paths in OpenAPI template form
/// (`/api/v1/debtors/{number}`).
pub fn routes() -> Vec<(Method, &'static str)> {
    api::routes()
}

/// Serves [`router`] on `listener` until `shutdown` completes; requests in flight are finished
/// first.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving the REST API");
    }
    // The client's address reaches the handlers (the portal limits requests per address).
    axum::serve(listener, router(app).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
