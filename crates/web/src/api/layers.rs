//! Layers every request passes: a tracing span with method, route, status and latency, and a
//! time limit.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::{ApiError, REQUEST_TIMEOUT};

/// One span per request: `method`, `route` (the template, not the raw path with customer
/// numbers in it), `status`, `latency_ms`, and `org` once the token is known.
pub(crate) async fn trace(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let span = tracing::info_span!(
        "http",
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        org = tracing::field::Empty,
    );
    async move {
        let response = next.run(req).await;
        let status = response.status().as_u16();
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let span = tracing::Span::current();
        span.record("status", status);
        span.record("latency_ms", latency_ms);
        if response.status().is_server_error() {
            tracing::warn!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request");
        }
        response
    }
    .instrument(span)
    .await
}

/// Answers 503 `timeout` when a request takes longer than [`REQUEST_TIMEOUT`]. The use case
/// itself is dropped with the future: its transaction is rolled back, nothing half-done stays.
pub(crate) async fn timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} seconds", REQUEST_TIMEOUT.as_secs()),
        )
        .into_response(),
    }
}
