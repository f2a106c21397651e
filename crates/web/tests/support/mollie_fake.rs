//! A local fake of Mollie's Payments API v2, following its published reference for the routes
//! arflow uses (<https://docs.mollie.com/reference/v2/payments-api>): `POST /v2/payments`
//! (bearer key, `amount` with a string value of two decimals, `description`, `redirectUrl`,
//! `webhookUrl`, optional `method` and `metadata`; 201 with `_links.checkout`) and
//! `GET /v2/payments/{id}`; errors as Mollie's JSON (`status`, `title`, `detail`). Its hosted
//! checkout (`/checkout/{id}`) stands in for the bank: choosing an outcome sets the status, calls
//! the webhook with `id=…` as Mollie does, and sends the payer back to `redirectUrl`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The fake's state: its payments and every webhook call it made.
#[derive(Debug, Default)]
pub struct Fake {
    pub base: String,
    pub payments: HashMap<String, Value>,
    pub webhook_calls: Vec<(String, u16)>,
    pub created: u32,
}

pub type Shared = Arc<Mutex<Fake>>;

/// The API key the fake accepts.
pub const KEY: &str = "test_arflowfakekey000000000000";

fn error(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    (status, axum::Json(json!({ "status": status.as_u16(), "title": title, "detail": detail })))
        .into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

async fn create(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Missing authentication, or failed to authenticate",
        );
    }
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "The request body is not valid JSON");
    };
    let value = req["amount"]["value"].as_str().unwrap_or("");
    let two_decimals = value.split_once('.').is_some_and(|(i, d)| {
        !i.is_empty()
            && i.bytes().all(|b| b.is_ascii_digit())
            && d.len() == 2
            && d.bytes().all(|b| b.is_ascii_digit())
    });
    if !two_decimals || req["amount"]["currency"].as_str().is_none_or(|c| c.len() != 3) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "The amount is invalid");
    }
    if req["description"].as_str().is_none_or(str::is_empty) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "The description is invalid");
    }
    if req["redirectUrl"].as_str().is_none_or(str::is_empty) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "The redirect URL is invalid");
    }
    if let Some(m) = req.get("method").and_then(Value::as_str)
        && !["ideal", "bancontact", "creditcard"].contains(&m)
    {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "The payment method is invalid");
    }
    let mut fake = s.lock().unwrap();
    fake.created += 1;
    let id = format!("tr_fake{:05}", fake.created);
    let base = fake.base.clone();
    let payment = json!({
        "resource": "payment",
        "id": id,
        "mode": "test",
        "status": "open",
        "amount": req["amount"],
        "description": req["description"],
        "method": req.get("method").cloned().unwrap_or(Value::Null),
        "metadata": req.get("metadata").cloned().unwrap_or(Value::Null),
        "redirectUrl": req["redirectUrl"],
        "webhookUrl": req.get("webhookUrl").cloned().unwrap_or(Value::Null),
        "createdAt": "2026-12-06T12:00:00+00:00",
        "_links": {
            "self": { "href": format!("{base}/v2/payments/{id}"), "type": "application/hal+json" },
            "checkout": { "href": format!("{base}/checkout/{id}"), "type": "text/html" },
        },
    });
    fake.payments.insert(id, payment.clone());
    (StatusCode::CREATED, axum::Json(payment)).into_response()
}

async fn fetch(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorised(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Missing authentication, or failed to authenticate",
        );
    }
    match s.lock().unwrap().payments.get(&id) {
        Some(p) => axum::Json(p.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("No payment exists with token {id}.")),
    }
}

async fn checkout(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let fake = s.lock().unwrap();
    let Some(p) = fake.payments.get(&id) else { return StatusCode::NOT_FOUND.into_response() };
    Html(format!(
        "<!doctype html><html lang=\"en\"><title>Fake checkout</title><h1>Pay {} {}</h1>\
         <form method=\"post\"><button name=\"status\" value=\"paid\">Paid</button>\
         <button name=\"status\" value=\"canceled\">Cancel</button></form></html>",
        p["amount"]["currency"].as_str().unwrap_or(""),
        p["amount"]["value"].as_str().unwrap_or("")
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
struct Outcome {
    status: String,
}

async fn decide(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Form(o): Form<Outcome>,
) -> Response {
    let (webhook, redirect) = {
        let mut fake = s.lock().unwrap();
        let Some(p) = fake.payments.get_mut(&id) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        p["status"] = Value::from(o.status.as_str());
        if o.status == "paid" {
            p["paidAt"] = Value::from("2026-12-06T12:01:00+00:00");
            if p["method"].is_null() {
                p["method"] = Value::from("ideal");
            }
        }
        (
            p["webhookUrl"].as_str().map(str::to_owned),
            p["redirectUrl"].as_str().unwrap_or("/").to_owned(),
        )
    };
    if let Some(url) = webhook {
        let code = reqwest::Client::new()
            .post(&url)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .map_or(0, |r| r.status().as_u16());
        s.lock().unwrap().webhook_calls.push((id, code));
    }
    Redirect::to(&redirect).into_response()
}

/// Starts the fake on loopback; its base URL and state.
pub async fn start() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state: Shared = Arc::new(Mutex::new(Fake { base: base.clone(), ..Fake::default() }));
    let app = Router::new()
        .route("/v2/payments", post(create))
        .route("/v2/payments/{id}", get(fetch))
        .route("/checkout/{id}", get(checkout).post(decide))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, state)
}
