//! The staff web application: server-rendered HTML that works without JavaScript.
//!
//! This first part holds sign-in and sign-out, the organisation switcher and the dashboard's
//! key figures. Security: the session is an `HttpOnly`, `SameSite=Lax` cookie holding 256 random
//! bits (only their SHA-256 is stored); every form that changes something carries the session's
//! CSRF token, and the sign-in form a token of its own kept in a cookie (double submit), so no
//! other site can post into a session. Failed sign-ins are throttled per address
//! (`arflow_app::users`).

mod accounts;
mod branding;
pub(crate) use debtors::segment;
pub(crate) use page::esc;

/// The organisation's logo as the portal serves it (the same protective headers).
pub(crate) fn logo_response(b: &arflow_core::brand::Branding) -> Response {
    branding::logo_response(b, page::Lang::En)
}

mod chart;
mod dashboard;
mod debtors;
mod dunning;
mod invoices;
mod page;
mod policies;
mod portal_staff;
mod rates;
mod settings;
mod templates;
mod work;

use arflow_app::users::{Role, SessionView};
use arflow_app::{App, AppError};
use axum::Router;
use axum::extract::{Form, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use page::{Lang, Page};

/// The session cookie.
const SESSION_COOKIE: &str = "arflow_session";
/// The sign-in form's own CSRF cookie.
const LOGIN_CSRF_COOKIE: &str = "arflow_login_csrf";

/// The UI's routes; `app` is what the handlers call.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/organisation", post(switch_organisation))
        .route("/debtors", get(debtors::list))
        .route("/debtors/{number}", get(debtors::show))
        .route("/debtors/{number}/pause", post(debtors::pause))
        .route("/debtors/{number}/resume", post(debtors::resume))
        .route("/debtors/{number}/notes", post(debtors::note))
        .route("/debtors/{number}/policy", post(debtors::policy))
        .route("/invoices", get(invoices::list))
        .route("/invoices/{number}", get(invoices::show))
        .route("/invoices/{number}/pdf", get(invoices::pdf))
        .route("/matches", get(work::matches))
        .route("/matches/{id}/accept", post(work::accept))
        .route("/matches/{id}/reject", post(work::reject))
        .route("/tasks", get(work::tasks))
        .route("/tasks/{id}/done", post(work::done))
        .route("/templates", get(templates::list))
        .route("/templates/{id}", get(templates::show).post(templates::save))
        .route("/templates/{id}/reset", post(templates::reset))
        .route("/dunning", get(dunning::show))
        .route("/policies", get(policies::list))
        .route("/policies/{id}", get(policies::show).post(policies::save))
        .route("/dunning/run", post(dunning::run))
        .route("/dunning/approvals", post(dunning::approvals))
        .route("/outbox", get(dunning::outbox))
        .route("/outbox/{id}", get(dunning::message))
        .route("/outbox/{id}/attachments/{n}", get(dunning::attachment))
        .route("/outbox/{id}/settle", post(dunning::settle))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/settings/smtp-test", post(settings::smtp_test))
        .route("/settings/tokens", get(settings::tokens).post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/users", get(settings::users).post(settings::add_user))
        .route("/settings/users/{id}/role", post(settings::change_role))
        .route("/settings/users/{id}/remove", post(settings::remove_user))
        .route("/audit", get(settings::audit))
        .route("/settings/rates", get(rates::show))
        .route("/settings/bank-accounts", get(accounts::show).post(accounts::save))
        .route("/settings/bank-accounts/{iban}/pay-to", post(accounts::pay_to))
        .route("/settings/bank-accounts/{iban}/close", post(accounts::close))
        .route("/settings/bank-accounts/{iban}/reopen", post(accounts::reopen))
        .route(
            "/settings/branding",
            get(branding::show)
                .post(branding::save)
                .layer(axum::extract::DefaultBodyLimit::max(branding::BODY_BYTES_MAX)),
        )
        .route("/settings/branding/logo", get(branding::logo))
        .route("/debtors/{number}/portal-links", post(portal_staff::new_link))
        .route("/debtors/{number}/portal-links/{id}/revoke", post(portal_staff::revoke))
        .route("/disputes/{id}/resolve", post(portal_staff::resolve))
        .route("/portal-files/{id}", get(portal_staff::file))
        .route("/plans/{id}/{decision}", post(portal_staff::decide_plan))
        .route("/debtors/{number}/plans", post(portal_staff::new_plan))
        .with_state(app)
}

/// Every (method, path) of [`router`].
pub(crate) fn routes() -> Vec<(axum::http::Method, &'static str)> {
    use axum::http::Method;
    vec![
        (Method::GET, "/"),
        (Method::GET, "/login"),
        (Method::POST, "/login"),
        (Method::POST, "/logout"),
        (Method::POST, "/organisation"),
        (Method::GET, "/debtors"),
        (Method::GET, "/debtors/{number}"),
        (Method::POST, "/debtors/{number}/pause"),
        (Method::POST, "/debtors/{number}/resume"),
        (Method::POST, "/debtors/{number}/notes"),
        (Method::POST, "/debtors/{number}/policy"),
        (Method::GET, "/invoices"),
        (Method::GET, "/invoices/{number}"),
        (Method::GET, "/invoices/{number}/pdf"),
        (Method::GET, "/matches"),
        (Method::POST, "/matches/{id}/accept"),
        (Method::POST, "/matches/{id}/reject"),
        (Method::GET, "/tasks"),
        (Method::POST, "/tasks/{id}/done"),
        (Method::GET, "/templates"),
        (Method::GET, "/templates/{id}"),
        (Method::POST, "/templates/{id}"),
        (Method::POST, "/templates/{id}/reset"),
        (Method::GET, "/dunning"),
        (Method::GET, "/policies"),
        (Method::GET, "/policies/{id}"),
        (Method::POST, "/policies/{id}"),
        (Method::POST, "/dunning/run"),
        (Method::POST, "/dunning/approvals"),
        (Method::GET, "/outbox"),
        (Method::GET, "/outbox/{id}"),
        (Method::GET, "/outbox/{id}/attachments/{n}"),
        (Method::POST, "/outbox/{id}/settle"),
        (Method::GET, "/settings"),
        (Method::POST, "/settings"),
        (Method::POST, "/settings/smtp-test"),
        (Method::GET, "/settings/tokens"),
        (Method::POST, "/settings/tokens"),
        (Method::POST, "/settings/tokens/{id}/revoke"),
        (Method::GET, "/settings/users"),
        (Method::POST, "/settings/users"),
        (Method::POST, "/settings/users/{id}/role"),
        (Method::POST, "/settings/users/{id}/remove"),
        (Method::GET, "/audit"),
        (Method::GET, "/settings/rates"),
        (Method::GET, "/settings/bank-accounts"),
        (Method::POST, "/settings/bank-accounts"),
        (Method::POST, "/settings/bank-accounts/{iban}/pay-to"),
        (Method::POST, "/settings/bank-accounts/{iban}/close"),
        (Method::POST, "/settings/bank-accounts/{iban}/reopen"),
        (Method::GET, "/settings/branding"),
        (Method::POST, "/settings/branding"),
        (Method::GET, "/settings/branding/logo"),
        (Method::POST, "/debtors/{number}/portal-links"),
        (Method::POST, "/debtors/{number}/portal-links/{id}/revoke"),
        (Method::POST, "/disputes/{id}/resolve"),
        (Method::GET, "/portal-files/{id}"),
        (Method::POST, "/plans/{id}/{decision}"),
    ]
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, HeaderValue::from_static(to))]).into_response()
}

/// A 303 to a path built at run time (percent-encoded by the caller).
pub(crate) fn redirect_to(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::SEE_OTHER, [(LOCATION, v)]).into_response(),
        Err(_) => redirect("/"),
    }
}

/// The language of a page shown before sign-in: the first of nl, fr, en the browser asks for.
fn browser_lang(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("").trim()))
        .next()
        .unwrap_or(Lang::En)
}

/// The session of the request, or `None` when there is none (or it ended).
async fn session_of(app: &App, headers: &HeaderMap) -> Result<Option<SessionView>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    match app.session(token).await {
        Ok(s) => Ok(Some(s)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness the form gets an empty token, which never matches: sign-in fails
    // closed.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a test message did not go out: 503 when `serve` has no SMTP server, else 502 with what
/// the server (or the address) said.
pub(crate) fn mail_failure(app: &App, lang: Lang, message: &str) -> (StatusCode, String) {
    if app.has_mailer() {
        let lead = lang.pick(
            "Het bericht is niet verzonden:",
            "Le message n'a pas été envoyé :",
            "The message was not sent:",
        );
        (StatusCode::BAD_GATEWAY, format!("{lead} {message}"))
    } else {
        let none = lang.pick(
            "Er is geen SMTP-server ingesteld (arflow serve --smtp HOST:PORT --smtp-from ADRES).",
            "Aucun serveur SMTP n'est configuré (arflow serve --smtp HOTE:PORT --smtp-from ADRESSE).",
            "No SMTP server is configured (arflow serve --smtp HOST:PORT --smtp-from ADDRESS).",
        );
        (StatusCode::SERVICE_UNAVAILABLE, none.to_owned())
    }
}

/// A message above a page's content, read out as an alert; nothing when there is none.
pub(crate) fn notice_html(notice: Option<&str>) -> String {
    notice.map_or_else(String::new, |n| {
        format!("<p class=\"notice\" role=\"alert\">{}</p>", page::esc(n))
    })
}

pub(crate) fn failure(e: &AppError) -> Response {
    tracing::error!(error = %e, "ui request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, Html(Page::error(Lang::En))).into_response()
}

/// A signed-in person working in an organisation: what every staff page starts from. Without a
/// live session the browser is sent to the sign-in form; without an organisation, to `/`.
pub(crate) struct Staff {
    pub(crate) session: SessionView,
    pub(crate) current: arflow_store::Membership,
    pub(crate) role: Role,
    pub(crate) lang: Lang,
}

impl Staff {
    /// 403 unless the role may change the ledger, run dunning and decide matches.
    pub(crate) fn may_operate(&self) -> Result<(), Response> {
        if self.role.can_operate() { Ok(()) } else { Err(forbidden(&self.session)) }
    }

    /// 403 unless the person is an administrator of the organisation.
    pub(crate) fn may_administer(&self) -> Result<(), Response> {
        if self.role.can_administer() { Ok(()) } else { Err(forbidden(&self.session)) }
    }

    /// Who the audit log names for what this person does.
    pub(crate) fn actor(&self) -> arflow_app::Actor {
        arflow_app::Actor(format!("user:{}", self.session.user.email))
    }

    /// A 404 page: no such record in the current organisation.
    pub(crate) fn not_found(&self) -> Response {
        let lang = self.lang;
        let body = format!("<p class=\"card notice\">{}</p>", page::esc(lang.t("not_found")));
        let html =
            Page::layout(lang, lang.t("not_found"), &Page::header(lang, &self.session), &body);
        (StatusCode::NOT_FOUND, Html(html)).into_response()
    }

    /// A page in the layout with this person's menu.
    pub(crate) fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let lang = self.lang;
        (status, Html(Page::layout(lang, title, &Page::header(lang, &self.session), body)))
            .into_response()
    }

    /// 403 unless `csrf` is this session's token.
    pub(crate) fn check_csrf(&self, csrf: &str) -> Result<(), Response> {
        if same_secret(&self.session.csrf, csrf) { Ok(()) } else { Err(forbidden(&self.session)) }
    }
}

impl axum::extract::FromRequestParts<App> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &App,
    ) -> Result<Staff, Response> {
        let session = match session_of(app, &parts.headers).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(redirect("/login")),
            Err(e) => return Err(failure(&e)),
        };
        let lang = Lang::parse(&session.user.language).unwrap_or(Lang::En);
        let (Some(current), Some(role)) = (session.current.clone(), session.role()) else {
            return Err(redirect("/"));
        };
        Ok(Staff { session, current, role, lang })
    }
}

/// `GET /login`.
async fn login_form(State(app): State<App>, headers: HeaderMap) -> Response {
    match session_of(&app, &headers).await {
        Ok(Some(_)) => return redirect("/"),
        Ok(None) => {}
        Err(e) => return failure(&e),
    }
    let lang = browser_lang(&headers);
    let token = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .map_or_else(random_token, str::to_owned);
    let mut response = Html(Page::login(lang, &token, "", None)).into_response();
    response.headers_mut().insert(SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &token, 3600));
    response
}

#[derive(Debug, Deserialize)]
struct LoginIn {
    email: String,
    password: String,
    csrf: String,
}

/// `POST /login`.
async fn login(State(app): State<App>, headers: HeaderMap, Form(form): Form<LoginIn>) -> Response {
    let lang = browser_lang(&headers);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !same_secret(expected, &form.csrf) {
        let token = random_token();
        let mut response = (
            StatusCode::FORBIDDEN,
            Html(Page::login(lang, &token, &form.email, Some(page::Notice::Expired))),
        )
            .into_response();
        response.headers_mut().insert(SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &token, 3600));
        return response;
    }
    match app.sign_in(&form.email, &form.password).await {
        Ok(signed_in) => {
            let mut response = redirect("/");
            let max_age = arflow_app::users::SESSION_MICROS / 1_000_000;
            let headers = response.headers_mut();
            headers.append(SET_COOKIE, set_cookie(SESSION_COOKIE, &signed_in.token, max_age));
            headers.append(SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0));
            response
        }
        Err(AppError::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            Html(Page::login(lang, &form.csrf, &form.email, Some(page::Notice::WrongPassword))),
        )
            .into_response(),
        Err(AppError::TooManyAttempts { retry_after_seconds }) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Html(Page::login(lang, &form.csrf, &form.email, Some(page::Notice::Throttled))),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            response
        }
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfIn {
    pub(crate) csrf: String,
}

/// `POST /logout`.
async fn logout(State(app): State<App>, headers: HeaderMap, Form(form): Form<CsrfIn>) -> Response {
    let session = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return redirect("/login"),
        Err(e) => return failure(&e),
    };
    if !same_secret(&session.csrf, &form.csrf) {
        return forbidden(&session);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = app.sign_out(token).await
    {
        return failure(&e);
    }
    let mut response = redirect("/login");
    response.headers_mut().insert(SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}

pub(crate) fn forbidden(session: &SessionView) -> Response {
    let lang = Lang::parse(&session.user.language).unwrap_or(Lang::En);
    (StatusCode::FORBIDDEN, Html(Page::forbidden(lang))).into_response()
}

#[derive(Debug, Deserialize)]
struct SwitchIn {
    csrf: String,
    organisation: String,
}

/// `POST /organisation`: work in another of the person's organisations.
async fn switch_organisation(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<SwitchIn>,
) -> Response {
    let session = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return redirect("/login"),
        Err(e) => return failure(&e),
    };
    if !same_secret(&session.csrf, &form.csrf) {
        return forbidden(&session);
    }
    let Some(token) = cookie(&headers, SESSION_COOKIE) else { return redirect("/login") };
    match app.switch_organisation(token, &form.organisation).await {
        Ok(_) => redirect("/"),
        Err(AppError::NotFound { .. }) => forbidden(&session),
        Err(e) => failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::page::esc;
    use super::*;

    #[test]
    fn cookies_are_read_by_name_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; arflow_session=abc"));
        h.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "arflow"), None);
    }

    #[test]
    fn secrets_match_only_whole_and_non_empty() {
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce"));
        assert!(!same_secret("abcd", "abc"));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn the_browser_language_picks_the_first_supported() {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, fr-BE;q=0.8, nl;q=0.5"),
        );
        assert_eq!(browser_lang(&h), Lang::Fr);
        assert_eq!(browser_lang(&HeaderMap::new()), Lang::En);
        assert!(esc("<a href=\"x\">&'</a>").starts_with("&lt;a href=&quot;x&quot;&gt;&amp;&#39;"));
    }
}
