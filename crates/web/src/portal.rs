//! The debtor portal at `/p/{token}`: a debtor's own page, reached from the personal link in
//! every reminder. Mobile-first, server-rendered, no script; in Dutch, French, English and German
//! (the debtor's language, switchable with `?lang=`).
//!
//! Security: the token is the only key (nothing in it names the debtor); a forged or revoked
//! one gets the same answer as an unknown one; requests are limited per client address (more
//! strictly for links that open nothing, and for wrong answers to the second question); pages
//! are never cached, send no referrer (the token is in the address) and allow no script; logs
//! name the route (`/p/{token}`), never the token.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arflow_app::portal::{Answer, Denied, DisputeReason, PortalAccess, PortalPage, SecondCheck};
use arflow_app::{App, AppError};
use arflow_core::date::parse_iso_date;
use arflow_core::money::Money;
use arflow_core::party::Language;
use arflow_store::Upload;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION,
    REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::ui::esc;
use serde::Deserialize;

/// The largest answer body: a file and the form's fields.
const ANSWER_BYTES_MAX: usize = arflow_app::portal::UPLOAD_BYTES_MAX + 64 * 1024;

// ---------------------------------------------------------------------------- rate limits

/// When a client's window of one kind started, and how many it counted since.
type Windows = HashMap<(IpAddr, &'static str), (Instant, u32)>;

/// Fixed-window counters per client address.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: Mutex<Windows>,
}

/// (name, allowed per window, window).
const REQUESTS: (&str, u32, Duration) = ("requests", 120, Duration::from_secs(60));
const NOT_VALID: (&str, u32, Duration) = ("not_valid", 20, Duration::from_secs(600));
const WRONG_CHECK: (&str, u32, Duration) = ("wrong_check", 5, Duration::from_secs(900));

impl Limiter {
    /// Counts one event of `kind` for `ip`; the seconds to wait when over the limit.
    fn hit(&self, ip: IpAddr, (kind, max, window): (&'static str, u32, Duration)) -> Option<u64> {
        let now = Instant::now();
        let mut w = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.len() > 100_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(900));
        }
        let entry = w.entry((ip, kind)).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > max).then(|| window.saturating_sub(now.duration_since(entry.0)).as_secs().max(1))
    }

    /// Whether `ip` is over the limit of `kind` already (without counting).
    fn over(&self, ip: IpAddr, (kind, max, window): (&'static str, u32, Duration)) -> Option<u64> {
        let now = Instant::now();
        let w = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (start, n) = w.get(&(ip, kind))?;
        (now.duration_since(*start) < window && *n >= max)
            .then(|| window.saturating_sub(now.duration_since(*start)).as_secs().max(1))
    }
}

/// The client's address, as [`guard`] found it.
#[derive(Debug, Clone, Copy)]
struct ClientIp(IpAddr);

fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

fn too_many(retry: u64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(RETRY_AFTER, HeaderValue::from(retry))],
        "Too many requests. Please try again later.",
    )
        .into_response()
}

/// Every portal request: counted per client address, and answered with headers that keep the
/// page out of caches and its address out of other sites' logs.
/// What [`guard`] needs: the limits and the page's content security policy.
#[derive(Clone)]
struct Guard {
    limiter: Arc<Limiter>,
    csp: HeaderValue,
}

async fn guard(
    State(Guard { limiter, csp }): State<Guard>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&req);
    req.extensions_mut().insert(ClientIp(ip));
    if let Some(retry) = limiter.hit(ip, REQUESTS).or_else(|| limiter.over(ip, NOT_VALID)) {
        return too_many(retry);
    }
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, csp);
    }
    // A link that opens nothing counts towards the stricter limit.
    if response.status() == StatusCode::NOT_FOUND {
        let _ = limiter.hit(ip, NOT_VALID);
    }
    response
}

/// The portal's routes.
pub(crate) fn router(app: App) -> Router {
    let limiter = Arc::new(Limiter::default());
    // Forms post to the portal itself; the payment form is then sent on to the provider's
    // checkout, which the policy must allow too (browsers check a form's redirects).
    let form_action = match app.checkout_origin() {
        Some(origin) if origin.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',') => {
            format!("'self' {origin}")
        }
        _ => "'self'".to_owned(),
    };
    let csp = HeaderValue::from_str(&format!(
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    ))
    .unwrap_or(HeaderValue::from_static("default-src 'none'; form-action 'self'"));
    let guard_state = Guard { limiter: limiter.clone(), csp };
    Router::new()
        .route("/p/{token}", get(show))
        .route("/p/{token}/check", post(check))
        .route(
            "/p/{token}/answer",
            post(answer).layer(axum::extract::DefaultBodyLimit::max(ANSWER_BYTES_MAX)),
        )
        .route("/p/{token}/pay", post(pay))
        .route("/p/{token}/invoices/{number}/pdf", get(pdf))
        .route("/p/{token}/logo", get(logo))
        .layer(axum::Extension(limiter.clone()))
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(guard_state, guard))
}

/// The payment providers' webhooks: not limited per address (the provider calls often), never
/// telling anything (an unknown id is answered like a known one).
pub(crate) fn webhooks(app: App) -> Router {
    Router::new().route("/webhooks/{provider}", post(webhook)).with_state(app)
}

#[derive(Debug, Deserialize)]
struct WebhookIn {
    #[serde(default)]
    id: String,
}

/// `POST /webhooks/{provider}` with `id=…`: the provider says a payment changed.
async fn webhook(
    State(app): State<App>,
    Path(provider): Path<String>,
    axum::Form(form): axum::Form<WebhookIn>,
) -> Response {
    match app.payment_webhook(&provider, form.id.trim()).await {
        Ok(()) => StatusCode::OK.into_response(),
        // The provider retries later.
        Err(e) => {
            tracing::warn!(error = %e, "payment webhook not processed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Every (method, path) of the portal.
pub(crate) fn routes() -> Vec<(axum::http::Method, &'static str)> {
    use axum::http::Method;
    vec![
        (Method::GET, "/p/{token}"),
        (Method::POST, "/p/{token}/check"),
        (Method::POST, "/p/{token}/answer"),
        (Method::POST, "/p/{token}/pay"),
        (Method::POST, "/webhooks/{provider}"),
        (Method::GET, "/p/{token}/invoices/{number}/pdf"),
        (Method::GET, "/p/{token}/logo"),
    ]
}

// ---------------------------------------------------------------------------- language

/// The portal's languages: the debtor's four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum L {
    Nl,
    Fr,
    En,
    De,
}

impl L {
    fn parse(s: &str) -> Option<L> {
        match s {
            "nl" => Some(L::Nl),
            "fr" => Some(L::Fr),
            "en" => Some(L::En),
            "de" => Some(L::De),
            _ => None,
        }
    }

    fn of(language: Language) -> L {
        match language {
            Language::Nl => L::Nl,
            Language::Fr => L::Fr,
            Language::En => L::En,
            Language::De => L::De,
        }
    }

    /// A date as the language writes it (`1 februari 2026`, `1er février 2026`).
    fn date(self, d: arflow_core::date::Date) -> String {
        let language = match self {
            L::Nl => Language::Nl,
            L::Fr => Language::Fr,
            L::En => Language::En,
            L::De => Language::De,
        };
        arflow_app::written_date(d, language)
    }

    fn code(self) -> &'static str {
        match self {
            L::Nl => "nl",
            L::Fr => "fr",
            L::En => "en",
            L::De => "de",
        }
    }

    fn pick(
        self,
        nl: &'static str,
        fr: &'static str,
        en: &'static str,
        de: &'static str,
    ) -> &'static str {
        match self {
            L::Nl => nl,
            L::Fr => fr,
            L::En => en,
            L::De => de,
        }
    }

    /// An amount the way the language writes it: `1.234,56` (nl, de), `1 234,56` (fr),
    /// `1,234.56` (en).
    fn money(self, m: Money) -> String {
        let plain = m.to_string();
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let sep = match self {
            L::Nl | L::De => '.',
            L::Fr => '\u{202f}',
            L::En => ',',
        };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(sep);
            }
            grouped.push(c);
        }
        let dec = if self == L::En { '.' } else { ',' };
        let body = if frac.is_empty() { grouped } else { format!("{grouped}{dec}{frac}") };
        format!("{} {sign}{body}", m.currency().code())
    }
}

// ---------------------------------------------------------------------------- layout

fn layout(lang: L, title: &str, accent: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title><style>\
         :root{{--accent:{accent}}}\
         body{{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}}\
         header{{background:#fff;border-top:6px solid var(--accent);padding:1rem;display:flex;gap:1rem;align-items:center;justify-content:space-between;flex-wrap:wrap}}\
         header img{{max-height:48px;max-width:50vw}}main{{max-width:44rem;margin:0 auto;padding:1rem}}\
         .card{{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002;margin-bottom:1rem}}\
         h1{{font-size:1.4rem}}h2{{font-size:1.15rem;color:var(--accent)}}.total{{font-size:1.6rem;font-weight:700}}\
         .item{{border-bottom:1px solid #e3e6ea;padding:.5rem 0}}.item:last-child{{border:0}}.num{{font-variant-numeric:tabular-nums}}\
         .late{{color:#a4161a}}.notice{{background:#e8f4ea;border-left:4px solid #2d6a4f;padding:.5rem 1rem}}\
         .problem{{background:#fde2e1;border-left:4px solid #c0392b;padding:.5rem 1rem}}\
         label{{display:block;margin-top:.75rem}}fieldset{{border:0;padding:0;margin:.75rem 0 0}}legend{{padding:0}}input,select,textarea,button{{font:inherit;padding:.5rem;max-width:100%;box-sizing:border-box}}\
         input[type=text],input[type=email],input[type=date],input[type=tel],select,textarea{{width:100%}}\
         button{{background:var(--accent);color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;margin-top:.75rem}}\
         details{{margin:.5rem 0}}summary{{cursor:pointer;font-weight:600}}.qr svg{{width:180px;height:180px}}\
         dl{{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}}dt{{font-weight:600}}dd{{margin:0;overflow-wrap:anywhere}}\
         nav.lang a{{margin-right:.5rem}}:focus-visible{{outline:3px solid #f4a261;outline-offset:2px}}\
         </style></head><body>{body}</body></html>",
        code = lang.code(),
        title = esc(title),
        accent = esc(accent),
    )
}

fn message_page(status: StatusCode, lang: L, title: &str, text: &str) -> Response {
    let body = format!(
        "<main><section class=\"card\" role=\"alert\"><h1>{}</h1><p>{}</p></section></main>",
        esc(title),
        esc(text)
    );
    (status, Html(layout(lang, title, arflow_core::brand::DEFAULT_ACCENT, &body))).into_response()
}

fn not_valid(lang: L) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        lang.pick("Deze link werkt niet", "Ce lien ne fonctionne pas", "This link does not work", "Dieser Link funktioniert nicht"),
        lang.pick(
            "Deze link is niet (meer) geldig. Gebruik de link uit het laatste bericht dat u van ons kreeg, of neem contact met ons op.",
            "Ce lien n'est pas (ou plus) valable. Utilisez le lien de notre dernier message, ou contactez-nous.",
            "This link is not valid (any more). Use the link in the latest message you received from us, or contact us.",
            "Dieser Link ist nicht (mehr) gültig. Verwenden Sie den Link aus unserer letzten Nachricht oder nehmen Sie Kontakt mit uns auf.",
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
    /// Back from the payment provider: arflow's id of the online payment.
    #[serde(default)]
    paid: Option<i64>,
}

fn cookie_name(token: &str) -> String {
    format!("arflow_portal_{}", token.get(..12).unwrap_or(token))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Opens the portal for a request: the access, or the response that refuses it.
async fn access(
    app: &App,
    token: &str,
    headers: &HeaderMap,
    lang: Option<L>,
) -> Result<PortalAccess, Response> {
    let answer = cookie(headers, &cookie_name(token)).map(str::to_owned);
    let lang_or = |fallback: L| lang.unwrap_or(fallback);
    match app.open_portal(token, answer.as_deref()).await {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(Denied::NotValid)) => Err(not_valid(lang_or(L::Nl))),
        Ok(Err(Denied::Expired { expired_on, organisation })) => {
            let l = lang_or(L::Nl);
            Err(message_page(
                StatusCode::GONE,
                l,
                l.pick(
                    "Deze link is verlopen",
                    "Ce lien a expiré",
                    "This link has expired",
                    "Dieser Link ist abgelaufen",
                ),
                &format!(
                    "{} {}. {} {organisation}.",
                    l.pick(
                        "Hij was geldig tot en met",
                        "Il était valable jusqu'au",
                        "It was valid until",
                        "Er war gültig bis"
                    ),
                    l.date(expired_on),
                    l.pick(
                        "Vraag een nieuwe link aan bij",
                        "Demandez un nouveau lien à",
                        "Ask for a new link from",
                        "Bitten Sie um einen neuen Link bei",
                    ),
                ),
            ))
        }
        Ok(Err(Denied::NeedsCheck(kind))) => Err(check_form(token, lang_or(L::Nl), kind, false)),
        Ok(Err(Denied::WrongCheck(kind))) => Err(check_form(token, lang_or(L::Nl), kind, true)),
        Err(e) => Err(failure(&e)),
    }
}

fn failure(e: &AppError) -> Response {
    tracing::error!(error = %e, "portal request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Please try again later.")
        .into_response()
}

fn check_form(token: &str, lang: L, kind: SecondCheck, wrong: bool) -> Response {
    let question = match kind {
        SecondCheck::CustomerNumber => lang.pick(
            "Uw klantnummer",
            "Votre numéro de client",
            "Your customer number",
            "Ihre Kundennummer",
        ),
        _ => lang.pick(
            "De postcode van uw adres",
            "Le code postal de votre adresse",
            "The postal code of your address",
            "Die Postleitzahl Ihrer Adresse",
        ),
    };
    let problem = if wrong {
        format!(
            "<p class=\"problem\" role=\"alert\" id=\"wrong-check\">{}</p>",
            esc(lang.pick(
                "Dat klopt niet. Probeer het opnieuw.",
                "Ce n'est pas correct. Réessayez.",
                "That is not right. Please try again.",
                "Das stimmt nicht. Bitte versuchen Sie es erneut."
            ))
        )
    } else {
        String::new()
    };
    let body = format!(
        "<main><section class=\"card\"><h1>{title}</h1><p>{intro}</p>{problem}\
         <form method=\"post\" action=\"/p/{token}/check?lang={code}\"><label for=\"answer\">{question}</label>\
         <input type=\"text\" id=\"answer\" name=\"answer\" autocomplete=\"off\" required>\
         <button type=\"submit\">{go}</button></form></section></main>",
        title = esc(lang.pick("Even controleren", "Une petite vérification", "A quick check", "Eine kurze Prüfung")),
        intro = esc(lang.pick(
            "Om uw gegevens te beschermen vragen we eerst één gegeven dat alleen u kent.",
            "Pour protéger vos données, nous vous demandons d'abord une information que vous seul connaissez.",
            "To protect your details, we first ask for one thing only you know.",
            "Zum Schutz Ihrer Daten fragen wir zuerst nach einer Angabe, die nur Sie kennen.",
        )),
        token = esc(token),
        code = lang.code(),
        question = esc(question),
        go = esc(lang.pick("Verder", "Continuer", "Continue", "Weiter")),
    );
    let status = if wrong { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    (status, Html(layout(lang, "arflow", arflow_core::brand::DEFAULT_ACCENT, &body)))
        .into_response()
}

#[derive(Debug, Deserialize)]
struct CheckIn {
    #[serde(default)]
    answer: String,
}

/// `POST /p/{token}/check`: the answer to the second question, kept in a cookie for this link
/// only (`HttpOnly`, `SameSite=Strict`, path `/p/{token}`); wrong answers are limited.
async fn check(
    State(app): State<App>,
    axum::Extension(limiter): axum::Extension<Arc<Limiter>>,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
    axum::Extension(ClientIp(ip)): axum::Extension<ClientIp>,
    axum::Form(form): axum::Form<CheckIn>,
) -> Response {
    let lang = q.lang.as_deref().and_then(L::parse);
    if let Some(retry) = limiter.over(ip, WRONG_CHECK) {
        return too_many(retry);
    }
    let answer: String =
        form.answer.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    match app.open_portal(&token, Some(&answer)).await {
        Ok(Ok(_)) => {
            let to = format!(
                "/p/{token}{}",
                lang.map(|l| format!("?lang={}", l.code())).unwrap_or_default()
            );
            let cookie = format!(
                "{}={answer}; Path=/p/{token}; HttpOnly; SameSite=Strict; Max-Age=86400",
                cookie_name(&token)
            );
            let mut r = (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(SET_COOKIE, v);
            }
            r
        }
        Ok(Err(Denied::WrongCheck(kind))) => {
            let _ = limiter.hit(ip, WRONG_CHECK);
            check_form(&token, lang.unwrap_or(L::Nl), kind, true)
        }
        Ok(Err(Denied::NotValid)) => not_valid(lang.unwrap_or(L::Nl)),
        Ok(Err(_)) => access(&app, &token, &HeaderMap::new(), lang)
            .await
            .err()
            .unwrap_or_else(|| not_valid(L::Nl)),
        Err(e) => failure(&e),
    }
}

// ---------------------------------------------------------------------------- the page

/// `GET /p/{token}`.
async fn show(
    State(app): State<App>,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let asked = q.lang.as_deref().and_then(L::parse);
    let a = match access(&app, &token, &headers, asked).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let lang = asked.unwrap_or_else(|| L::of(a.debtor.debtor.language));
    let page = match app.portal_page(&a).await {
        Ok(p) => p,
        Err(e) => return failure(&e),
    };
    if let Err(e) = app.touch_portal(&a).await {
        return failure(&e);
    }
    let mut notice = q.done.as_deref().map(|kind| done_notice(lang, kind)).unwrap_or_default();
    if let Some(id) = q.paid {
        match app.online_payment(&a, id).await {
            Ok(p) => notice = paid_notice(lang, &p),
            Err(AppError::NotFound { .. }) => {}
            Err(e) => return failure(&e),
        }
    }
    Html(render(lang, &token, &page, &notice, "", app.pays_online())).into_response()
}

fn done_notice(lang: L, kind: &str) -> String {
    let text = match kind {
        "paid" => lang.pick(
            "Dank u. We zoeken uw betaling op en sturen intussen geen herinneringen.",
            "Merci. Nous recherchons votre paiement et n'envoyons pas de rappel entre-temps.",
            "Thank you. We are looking for your payment and send no reminders meanwhile.",
            "Vielen Dank. Wir suchen Ihre Zahlung und senden inzwischen keine Mahnungen.",
        ),
        "dispute" => lang.pick(
            "Dank u. We onderzoeken uw bezwaar; voor deze factuur sturen we intussen geen herinneringen.",
            "Merci. Nous examinons votre contestation ; pour cette facture, nous n'envoyons pas de rappel entre-temps.",
            "Thank you. We are looking into your dispute; for this invoice we send no reminders meanwhile.",
            "Vielen Dank. Wir prüfen Ihren Einwand; für diese Rechnung senden wir inzwischen keine Mahnungen.",
        ),
        "plan" => lang.pick(
            "Dank u voor uw voorstel voor een betalingsregeling. U krijgt per e-mail het schema, of bericht zodra een medewerker ernaar gekeken heeft.",
            "Merci pour votre proposition de plan de paiement. Vous recevrez l'échéancier par e-mail, ou un message dès qu'un collaborateur l'aura examinée.",
            "Thank you for your payment plan proposal. You will receive the schedule by e-mail, or a message once someone has looked at it.",
            "Vielen Dank für Ihren Vorschlag einer Ratenzahlung. Sie erhalten den Plan per E-Mail oder eine Nachricht, sobald ein Mitarbeiter ihn geprüft hat.",
        ),
        "promise" => lang.pick(
            "Dank u voor uw betaalbelofte. Tot die datum sturen we geen herinneringen.",
            "Merci pour votre promesse de paiement. Jusqu'à cette date, nous n'envoyons pas de rappel.",
            "Thank you for your promise to pay. Until that date we send no reminders.",
            "Vielen Dank für Ihre Zahlungszusage. Bis zu diesem Datum senden wir keine Mahnungen.",
        ),
        _ => lang.pick(
            "Dank u. We hebben uw bericht ontvangen.",
            "Merci. Nous avons bien reçu votre message.",
            "Thank you. We have received your message.",
            "Vielen Dank. Wir haben Ihre Nachricht erhalten.",
        ),
    };
    format!(
        "<p class=\"notice\" role=\"status\" id=\"done\" data-kind=\"{}\">{} {}</p>",
        esc(kind),
        esc(text),
        esc(lang.pick(
            "U krijgt een bevestiging per e-mail.",
            "Vous recevrez une confirmation par e-mail.",
            "You will receive a confirmation by e-mail.",
            "Sie erhalten eine Bestätigung per E-Mail.",
        ))
    )
}

fn qr(payload: &str, label: &str, id: &str) -> String {
    match arflow_app::qr_svg(payload) {
        Ok(svg) => {
            let svg = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]).to_owned();
            let svg = svg.replacen(
                "<svg",
                &format!("<svg role=\"img\" aria-label=\"{}\"", esc(label)),
                1,
            );
            format!("<div class=\"qr\" id=\"{id}\" data-epc=\"{}\">{svg}</div>", esc(payload))
        }
        Err(_) => String::new(),
    }
}

fn render(
    lang: L,
    token: &str,
    p: &PortalPage,
    notice: &str,
    problem: &str,
    online: bool,
) -> String {
    let t = esc(token);
    let code = lang.code();
    let logo = if p.has_logo {
        format!("<img src=\"/p/{t}/logo\" alt=\"{}\">", esc(&p.organisation))
    } else {
        String::new()
    };
    let items: String = p
        .items
        .iter()
        .map(|i| {
            let charges: String = i
                .charges
                .iter()
                .map(|c| {
                    let how = c.explanation.as_ref().map_or_else(String::new, |e| {
                        format!("<br><small>{} — {}</small>", esc(&e.article), esc(&e.text))
                    });
                    format!("<li>{} <span class=\"num\">{}</span>{how}</li>", esc(&charge_label(lang, &c.kind)), esc(&lang.money(c.amount)))
                })
                .collect();
            let charges = if charges.is_empty() {
                String::new()
            } else {
                format!(
                    "<details><summary>{}</summary><ul>{charges}</ul></details>",
                    esc(lang.pick("Kosten en rente, met hun grondslag", "Frais et intérêts, avec leur base légale", "Costs and interest, with their legal basis", "Kosten und Zinsen, mit ihrer Rechtsgrundlage"))
                )
            };
            let late = if i.days_late > 0 {
                format!(
                    " · <span class=\"late\">{} {}</span>",
                    i.days_late,
                    esc(lang.pick("dagen te laat", "jours de retard", "days late", "Tage überfällig"))
                )
            } else {
                String::new()
            };
            let pdf = if i.has_pdf {
                format!(
                    " · <a href=\"/p/{t}/invoices/{}/pdf\">PDF</a>",
                    esc(&crate::ui::segment(&i.number))
                )
            } else {
                String::new()
            };
            let reference = i.reference_display.as_deref().map_or_else(String::new, |r| {
                format!("<br>{}: <strong class=\"reference\">{}</strong>", esc(lang.pick("Betalingskenmerk", "Communication", "Payment reference", "Verwendungszweck")), esc(r))
            });
            let disputed = if i.disputed {
                format!(" · <em>{}</em>", esc(lang.pick("in onderzoek", "en cours d'examen", "being looked into", "in Prüfung")))
            } else {
                String::new()
            };
            format!(
                "<div class=\"item\" id=\"item-{id}\" data-open=\"{open_raw}\"><strong>{number}</strong>{desc} — <span class=\"num\">{open}</span>\
                 <br><small>{due_l} {due}{late}{pdf}{disputed}</small>{reference}{charges}</div>",
                id = esc(&i.number),
                open_raw = esc(&i.open.to_string()),
                number = esc(&i.number),
                desc = i.description.as_deref().map(|d| format!(" · {}", esc(d))).unwrap_or_default(),
                open = esc(&lang.money(i.open)),
                due_l = esc(lang.pick("vervaldag", "échéance", "due", "fällig am")),
                due = esc(&lang.date(i.due_date)),
            )
        })
        .collect();
    let items = if p.items.is_empty() {
        format!(
            "<p id=\"nothing-open\">{}</p>",
            esc(lang.pick(
                "U hebt niets openstaan. Dank u!",
                "Vous n'avez rien d'ouvert. Merci !",
                "You have nothing open. Thank you!",
                "Bei Ihnen ist nichts offen. Vielen Dank!"
            ))
        )
    } else {
        items
    };
    let pay = match (&p.iban, p.total.is_positive()) {
        (Some(iban), true) => format!(
            "<section class=\"card\" id=\"pay\"><h2>{h}</h2><dl><dt>IBAN</dt><dd id=\"iban\">{iban}</dd>{bic}\
             <dt>{ben}</dt><dd>{org}</dd><dt>{amount_l}</dt><dd id=\"pay-total\">{amount}</dd>\
             <dt>{ref_l}</dt><dd>{reference}</dd></dl>{qr}<p><small>{qr_help}</small></p></section>",
            h = esc(lang.pick("Betalen per overschrijving", "Payer par virement", "Pay by bank transfer", "Per Überweisung bezahlen")),
            iban = esc(iban),
            bic = p.bic.as_deref().map(|b| format!("<dt>BIC</dt><dd>{}</dd>", esc(b))).unwrap_or_default(),
            ben = esc(lang.pick("Begunstigde", "Bénéficiaire", "Beneficiary", "Empfänger")),
            org = esc(&p.organisation),
            amount_l = esc(lang.pick("Bedrag", "Montant", "Amount", "Betrag")),
            amount = esc(&lang.money(p.total)),
            ref_l = esc(lang.pick("Omschrijving", "Communication", "Description", "Verwendungszweck")),
            reference = esc(&format!("{} {}", p.debtor_number, p.items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>().join(" "))),
            qr = p.epc_total.as_deref().map(|e| qr(e, lang.pick("QR-code om te betalen", "Code QR pour payer", "QR code to pay", "QR-Code zum Bezahlen"), "qr-total")).unwrap_or_default(),
            qr_help = esc(lang.pick(
                "Scan de QR-code met uw bankapp: alle gegevens staan dan al ingevuld. Eén factuur apart betalen? Gebruik het betalingskenmerk bij die factuur.",
                "Scannez le code QR avec votre application bancaire : tout est déjà rempli. Payer une seule facture ? Utilisez la communication de cette facture.",
                "Scan the QR code with your banking app: everything is filled in. Paying one invoice on its own? Use that invoice's payment reference.",
                "Scannen Sie den QR-Code mit Ihrer Banking-App: alles ist bereits ausgefüllt. Nur eine Rechnung bezahlen? Verwenden Sie deren Verwendungszweck.",
            )),
        ),
        _ => String::new(),
    };
    let online = if online && p.total.is_positive() {
        let item_boxes: String = p
            .items
            .iter()
            .map(|i| {
                format!(
                    "<label class=\"check\"><input type=\"checkbox\" name=\"invoice\" value=\"{0}\" checked> {0} ({1})</label>",
                    esc(&i.number),
                    esc(&lang.money(i.open))
                )
            })
            .collect();
        format!(
            "<section class=\"card\" id=\"pay-online\"><h2>{h}</h2><form method=\"post\" action=\"/p/{t}/pay?lang={code}\">\
             <fieldset id=\"pay_invoices\"><legend>{what}</legend>{item_boxes}<p><small>{all}</small></p></fieldset>\
             <label for=\"pay_method\">{how}</label><select id=\"pay_method\" name=\"method\">\
             <option value=\"ideal\">iDEAL</option><option value=\"bancontact\">Bancontact</option><option value=\"creditcard\">{card}</option></select>\
             <button type=\"submit\">{go}</button></form><p><small>{note}</small></p></section>",
            h = esc(lang.pick("Nu online betalen", "Payer en ligne maintenant", "Pay online now", "Jetzt online bezahlen")),
            what = esc(lang.pick("Wat betaalt u?", "Que payez-vous ?", "What are you paying?", "Was bezahlen Sie?")),
            all = esc(&format!("{} {}", lang.pick("Alles samen:", "Tout ensemble :", "All together:", "Alles zusammen:"), lang.money(p.items.iter().fold(Money::zero(p.currency), |a, i| a.checked_add(i.open).unwrap_or(a))))),
            how = esc(lang.pick("Betaalwijze", "Moyen de paiement", "Payment method", "Zahlungsart")),
            card = esc(lang.pick("Creditcard", "Carte de crédit", "Credit card", "Kreditkarte")),
            go = esc(lang.pick("Naar betalen", "Payer", "Pay", "Bezahlen")),
            note = esc(lang.pick(
                "U betaalt het openstaande factuurbedrag; eventuele kosten en rente volgen apart.",
                "Vous payez le montant ouvert des factures ; les frais et intérêts éventuels suivent séparément.",
                "You pay the invoices' open amount; any costs and interest follow separately.",
                "Sie bezahlen den offenen Rechnungsbetrag; etwaige Kosten und Zinsen folgen gesondert.",
            )),
        )
    } else {
        String::new()
    };
    let options: String = p
        .items
        .iter()
        .filter(|i| !i.disputed)
        .map(|i| {
            format!(
                "<option value=\"{0}\">{0} ({1})</option>",
                esc(&i.number),
                esc(&lang.money(i.open))
            )
        })
        .collect();
    let forms =
        if p.items.is_empty() { String::new() } else { answer_forms(lang, &t, code, p, &options) };
    let langs: String = [L::Nl, L::Fr, L::En, L::De]
        .iter()
        .map(|l| {
            if *l == lang {
                format!("<strong>{}</strong> ", l.code().to_uppercase())
            } else {
                format!(
                    "<a href=\"/p/{t}?lang={0}\" hreflang=\"{0}\" lang=\"{0}\">{1}</a> ",
                    l.code(),
                    l.code().to_uppercase()
                )
            }
        })
        .collect();
    let problem = if problem.is_empty() {
        String::new()
    } else {
        format!("<p class=\"problem\" role=\"alert\" id=\"problem\">{}</p>", esc(problem))
    };
    let body = format!(
        "<header>{logo}<strong id=\"organisation\">{org}</strong><nav class=\"lang\" aria-label=\"{lang_l}\">{langs}</nav></header>\
         <main id=\"main\"><h1>{hello} {debtor}</h1>{notice}{problem}\
         <section class=\"card\" id=\"summary\"><p>{open_l}</p><p class=\"total\" id=\"total\" data-amount=\"{total_raw}\">{total}</p>{charges_note}</section>\
         <section class=\"card\" id=\"items\"><h2>{items_h}</h2>{items}</section>{plan}{online}{pay}{forms}</main>",
        plan = plan_section(lang, p),
        org = esc(&p.organisation),
        lang_l = esc(lang.pick("Taal", "Langue", "Language", "Sprache")),
        hello = esc(lang.pick("Beste", "Bonjour", "Dear", "Guten Tag,")),
        debtor = esc(&p.debtor_name),
        open_l = esc(lang.pick(
            "Openstaand, kosten inbegrepen:",
            "Montant ouvert, frais compris :",
            "Open, costs included:",
            "Offen, Kosten inbegriffen:"
        )),
        total_raw = esc(&p.total.to_string()),
        total = esc(&lang.money(p.total)),
        charges_note = if p.charges_total.is_positive() {
            format!(
                "<p><small>{} {}</small></p>",
                esc(lang.pick(
                    "Waarvan kosten en rente:",
                    "Dont frais et intérêts :",
                    "Of which costs and interest:",
                    "Davon Kosten und Zinsen:"
                )),
                esc(&lang.money(p.charges_total))
            )
        } else {
            String::new()
        },
        items_h = esc(lang.pick(
            "Openstaande facturen",
            "Factures ouvertes",
            "Open invoices",
            "Offene Rechnungen"
        )),
    );
    layout(lang, &p.organisation, &p.accent_colour, &body)
}

/// The debtor's running or waiting payment plan: each instalment with what was paid on it, and
/// how to pay the next one (its own reference and QR code).
fn plan_section(lang: L, p: &PortalPage) -> String {
    let Some(plan) = &p.payment_plan else { return String::new() };
    let active = plan.state == arflow_store::PlanState::Active;
    let state = if active {
        lang.pick(
            "Uw betalingsregeling loopt. Zolang u de termijnen betaalt, sturen we geen herinneringen voor deze facturen.",
            "Votre plan de paiement est en cours. Tant que vous payez les échéances, nous n'envoyons pas de rappel pour ces factures.",
            "Your payment plan is running. As long as you pay the instalments, we send no reminders for these invoices.",
            "Ihre Ratenzahlung läuft. Solange Sie die Raten zahlen, senden wir für diese Rechnungen keine Mahnungen.",
        )
    } else {
        lang.pick(
            "Uw voorstel voor een betalingsregeling wacht op goedkeuring; u hoort van ons.",
            "Votre proposition de plan de paiement attend une décision ; nous vous répondrons.",
            "Your proposal for a payment plan is waiting for a decision; we will let you know.",
            "Ihr Vorschlag für eine Ratenzahlung wartet auf eine Entscheidung; Sie hören von uns.",
        )
    };
    let rows: String = plan
        .instalments
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let (class, status) = if i.paid == i.amount {
                ("paid", lang.pick("betaald", "payée", "paid", "bezahlt"))
            } else if i.paid.is_positive() {
                ("part", lang.pick("deels betaald", "payée en partie", "partly paid", "teilweise bezahlt"))
            } else if i.due < p.today {
                ("late", lang.pick("te laat", "en retard", "late", "überfällig"))
            } else {
                ("open", lang.pick("open", "à payer", "to pay", "offen"))
            };
            format!(
                "<tr class=\"{class}\" data-paid=\"{paid_raw}\"><td>{n}</td><td>{due}</td><td class=\"num\">{amount}</td><td class=\"reference\">{reference}</td><td>{status}</td></tr>",
                n = k + 1,
                paid_raw = esc(&i.paid.to_string()),
                due = esc(&lang.date(i.due)),
                amount = esc(&lang.money(i.amount)),
                reference = esc(&i.reference_display),
                status = esc(status),
            )
        })
        .collect();
    let next = match plan.next.and_then(|k| plan.instalments.get(k).map(|i| (k, i))) {
        Some((k, i)) if active => {
            let left = Money::from_minor(i.amount.minor() - i.paid.minor(), i.amount.currency());
            format!(
                "<p id=\"plan-next\">{} <strong>{}</strong> {} {} {} <strong class=\"reference\">{}</strong>.</p>{}",
                esc(&format!(
                    "{} {}:",
                    lang.pick(
                        "Volgende termijn",
                        "Prochaine échéance",
                        "Next instalment",
                        "Nächste Rate"
                    ),
                    k + 1
                )),
                esc(&lang.money(left)),
                esc(lang.pick("op", "le", "on", "am")),
                esc(&lang.date(i.due)),
                esc(lang.pick(
                    "met betalingskenmerk",
                    "avec la communication",
                    "with the reference",
                    "mit dem Verwendungszweck"
                )),
                esc(&i.reference_display),
                plan.epc_next
                    .as_deref()
                    .map(|e| qr(
                        e,
                        lang.pick(
                            "QR-code voor de volgende termijn",
                            "Code QR pour la prochaine échéance",
                            "QR code for the next instalment",
                            "QR-Code für die nächste Rate"
                        ),
                        "qr-plan"
                    ))
                    .unwrap_or_default(),
            )
        }
        _ => String::new(),
    };
    format!(
        "<section class=\"card\" id=\"plan\" data-state=\"{state_raw}\"><h2>{h}</h2><p>{state}</p>\
         <p>{paid_l} {paid} / {total}</p>\
         <table><thead><tr><th>#</th><th>{due_h}</th><th class=\"num\">{amount_h}</th><th>{ref_h}</th><th></th></tr></thead><tbody>{rows}</tbody></table>{next}</section>",
        state_raw = if active { "active" } else { "proposed" },
        h = esc(lang.pick(
            "Uw betalingsregeling",
            "Votre plan de paiement",
            "Your payment plan",
            "Ihre Ratenzahlung"
        )),
        state = esc(state),
        paid_l = esc(lang.pick("Betaald:", "Payé :", "Paid:", "Bezahlt:")),
        paid = esc(&lang.money(plan.paid)),
        total = esc(&lang.money(plan.total)),
        due_h = esc(lang.pick("Vervaldag", "Échéance", "Due", "Fällig am")),
        amount_h = esc(lang.pick("Bedrag", "Montant", "Amount", "Betrag")),
        ref_h =
            esc(lang.pick("Betalingskenmerk", "Communication", "Reference", "Verwendungszweck")),
    )
}

fn charge_label(lang: L, kind: &str) -> String {
    match kind {
        "interest" => lang.pick("Rente", "Intérêts", "Interest", "Zinsen"),
        "collection_costs" => {
            lang.pick("Incassokosten", "Frais de recouvrement", "Collection costs", "Inkassokosten")
        }
        _ => lang.pick("Kosten", "Frais", "Fee", "Gebühr"),
    }
    .to_owned()
}

fn answer_forms(lang: L, t: &str, code: &str, p: &PortalPage, options: &str) -> String {
    let form = |kind: &str, summary: &str, fields: String| {
        format!(
            "<details class=\"card\" id=\"answer-{kind}\"><summary>{summary}</summary>\
             <form method=\"post\" action=\"/p/{t}/answer?lang={code}\" enctype=\"multipart/form-data\">\
             <input type=\"hidden\" name=\"kind\" value=\"{kind}\">{fields}\
             <button type=\"submit\">{send}</button></form></details>",
            summary = esc(summary),
            send = esc(lang.pick("Versturen", "Envoyer", "Send", "Senden")),
        )
    };
    let field = |id: &str, label: &str, input: String| {
        format!("<label for=\"{id}\">{}</label>{input}", esc(label))
    };
    let note = |id: &str| {
        field(
            id,
            lang.pick(
                "Toelichting (niet verplicht)",
                "Précisions (facultatif)",
                "Note (optional)",
                "Anmerkung (optional)",
            ),
            format!(
                "<textarea id=\"{id}\" name=\"note\" rows=\"3\" maxlength=\"4000\"></textarea>"
            ),
        )
    };
    let paid = form(
        "paid",
        lang.pick("Ik heb al betaald", "J'ai déjà payé", "I have paid already", "Ich habe bereits bezahlt"),
        format!(
            "{}{}{}{}",
            field("paid_on", lang.pick("Datum van betaling", "Date du paiement", "Date of payment", "Zahlungsdatum"),
                format!("<input type=\"date\" id=\"paid_on\" name=\"paid_on\" max=\"{}\" required>", p.today)),
            field("paid_amount", lang.pick("Bedrag (niet verplicht)", "Montant (facultatif)", "Amount (optional)", "Betrag (optional)"),
                "<input type=\"text\" id=\"paid_amount\" name=\"amount\" inputmode=\"decimal\">".to_owned()),
            field("proof", lang.pick("Betaalbewijs, PDF of foto (niet verplicht)", "Preuve de paiement, PDF ou photo (facultatif)", "Proof of payment, PDF or photo (optional)", "Zahlungsnachweis, PDF oder Foto (optional)"),
                "<input type=\"file\" id=\"proof\" name=\"file\" accept=\"application/pdf,image/png,image/jpeg\">".to_owned()),
            note("paid_note"),
        ),
    );
    let dispute = if options.is_empty() {
        String::new()
    } else {
        form(
            "dispute",
            lang.pick("Ik ben het niet eens met een factuur", "Je conteste une facture", "I disagree with an invoice", "Ich bin mit einer Rechnung nicht einverstanden"),
            format!(
                "{}{}{}{}",
                field("dispute_invoice", lang.pick("Factuur", "Facture", "Invoice", "Rechnung"), format!("<select id=\"dispute_invoice\" name=\"invoice\">{options}</select>")),
                field("reason", lang.pick("Reden", "Motif", "Reason", "Grund"), format!(
                    "<select id=\"reason\" name=\"reason\"><option value=\"not_received\">{}</option><option value=\"quality\">{}</option><option value=\"price\">{}</option><option value=\"already_credited\">{}</option><option value=\"other\">{}</option></select>",
                    esc(lang.pick("Niet ontvangen", "Pas reçu", "Not received", "Nicht erhalten")),
                    esc(lang.pick("Kwaliteit of levering", "Qualité ou livraison", "Quality or delivery", "Qualität oder Lieferung")),
                    esc(lang.pick("Prijs", "Prix", "Price", "Preis")),
                    esc(lang.pick("Al gecrediteerd", "Déjà crédité", "Credited already", "Bereits gutgeschrieben")),
                    esc(lang.pick("Iets anders", "Autre chose", "Something else", "Etwas anderes")),
                )),
                field("dispute_text", lang.pick("Wat klopt er niet?", "Qu'est-ce qui ne va pas ?", "What is wrong?", "Was stimmt nicht?"),
                    "<textarea id=\"dispute_text\" name=\"text\" rows=\"4\" maxlength=\"4000\" required></textarea>".to_owned()),
                field("dispute_file", lang.pick("Bijlage, PDF of foto (niet verplicht)", "Pièce jointe, PDF ou photo (facultatif)", "Attachment, PDF or photo (optional)", "Anhang, PDF oder Foto (optional)"),
                    "<input type=\"file\" id=\"dispute_file\" name=\"file\" accept=\"application/pdf,image/png,image/jpeg\">".to_owned()),
            ),
        )
    };
    let promise = form(
        "promise",
        lang.pick(
            "Ik betaal op een latere datum",
            "Je paierai à une date ultérieure",
            "I will pay on a later date",
            "Ich zahle zu einem späteren Datum",
        ),
        format!(
            "<p><small>{} {}</small></p>{}{}",
            esc(lang.pick(
                "Kies een datum tot en met",
                "Choisissez une date jusqu'au",
                "Choose a date up to",
                "Wählen Sie ein Datum bis"
            )),
            esc(&lang.date(p.promise_latest)),
            field(
                "promise_date",
                lang.pick("Ik betaal op", "Je paierai le", "I will pay on", "Ich zahle am"),
                format!(
                    "<input type=\"date\" id=\"promise_date\" name=\"date\" min=\"{}\" max=\"{}\" required>",
                    p.today, p.promise_latest
                )
            ),
            note("promise_note"),
        ),
    );
    let plan = form(
        "plan",
        lang.pick(
            "Ik wil in termijnen betalen",
            "Je souhaite payer en plusieurs fois",
            "I would like to pay in instalments",
            "Ich möchte in Raten zahlen",
        ),
        format!(
            "<p><small>{rules} {max} · {min_l} {min}</small></p>{}{}{}",
            field(
                "first_due",
                lang.pick(
                    "Eerste termijn op",
                    "Première échéance le",
                    "First instalment on",
                    "Erste Rate am"
                ),
                format!(
                    "<input type=\"date\" id=\"first_due\" name=\"first_due\" min=\"{}\" required>",
                    p.today
                )
            ),
            field(
                "count",
                lang.pick(
                    "Aantal termijnen",
                    "Nombre d'échéances",
                    "Number of instalments",
                    "Anzahl der Raten"
                ),
                format!(
                    "<select id=\"count\" name=\"count\">{}</select>",
                    (2..=p.plan_max_instalments.max(2))
                        .map(|n| format!("<option value=\"{n}\">{n}</option>"))
                        .collect::<String>()
                )
            ),
            field(
                "interval",
                lang.pick("Om de", "Tous les", "Every", "Alle"),
                format!(
                    "<select id=\"interval\" name=\"interval\"><option value=\"monthly\">{}</option><option value=\"weekly\">{}</option></select>",
                    esc(lang.pick("maand", "mois", "month", "Monat")),
                    esc(lang.pick("week", "semaine", "week", "Woche"))
                )
            ),
            rules = esc(lang.pick("Hoogstens", "Au plus", "At most", "Höchstens")),
            max = esc(&format!(
                "{} {}",
                p.plan_max_instalments,
                lang.pick("termijnen", "échéances", "instalments", "Raten")
            )),
            min_l = esc(lang.pick(
                "termijnen van minstens",
                "échéances d'au moins",
                "instalments of at least",
                "Raten von mindestens"
            )),
            min = esc(&lang.money(p.plan_min_instalment)),
        ),
    );
    let question = form(
        "question",
        lang.pick("Ik heb een vraag", "J'ai une question", "I have a question", "Ich habe eine Frage"),
        field("question_text", lang.pick("Uw vraag", "Votre question", "Your question", "Ihre Frage"),
            "<textarea id=\"question_text\" name=\"text\" rows=\"4\" maxlength=\"4000\" required></textarea>".to_owned()),
    );
    let contact = form(
        "contact",
        lang.pick(
            "Mijn contactgegevens zijn gewijzigd",
            "Mes coordonnées ont changé",
            "My contact details changed",
            "Meine Kontaktdaten haben sich geändert",
        ),
        format!(
            "{}{}{}{}",
            field(
                "contact_name",
                lang.pick(
                    "Contactpersoon",
                    "Personne de contact",
                    "Contact person",
                    "Ansprechpartner"
                ),
                "<input type=\"text\" id=\"contact_name\" name=\"name\" maxlength=\"200\">"
                    .to_owned()
            ),
            field(
                "contact_email",
                lang.pick("E-mailadres", "Adresse e-mail", "E-mail address", "E-Mail-Adresse"),
                "<input type=\"email\" id=\"contact_email\" name=\"email\" maxlength=\"200\">"
                    .to_owned()
            ),
            field(
                "contact_phone",
                lang.pick("Telefoon", "Téléphone", "Phone", "Telefon"),
                "<input type=\"tel\" id=\"contact_phone\" name=\"phone\" maxlength=\"50\">"
                    .to_owned()
            ),
            note("contact_note"),
        ),
    );
    format!(
        "<section id=\"answers\"><h2>{}</h2>{paid}{dispute}{promise}{plan}{question}{contact}</section>",
        esc(lang.pick("Iets laten weten", "Nous répondre", "Let us know", "Uns etwas mitteilen")),
        // One plan at a time: no second proposal while one runs or waits.
        plan = if p.payment_plan.is_some() { String::new() } else { plan },
    )
}

// ---------------------------------------------------------------------------- answers

/// `POST /p/{token}/answer` (multipart): one answer; on success back to the page with a notice,
/// else the page again with the problem (422) and nothing stored.
async fn answer(
    State(app): State<App>,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let asked = q.lang.as_deref().and_then(L::parse);
    let a = match access(&app, &token, &headers, asked).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let lang = asked.unwrap_or_else(|| L::of(a.debtor.debtor.language));
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parts = match arflow_app::uploads::form_parts(content_type, &body) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    };
    let file = parts.iter().find(|p| p.name == "file" && !p.data.is_empty()).map(|p| Upload {
        file_name: p.file_name.clone().unwrap_or_default(),
        content_type: p.content_type.clone().unwrap_or_default(),
        content: p.data.clone(),
    });
    let kind = text("kind");
    let date = |field: &'static str| {
        parse_iso_date(text(field).trim()).map_err(|_| AppError::invalid(field, "give a date"))
    };
    let parsed: Result<Answer, AppError> = match kind.as_str() {
        "question" => Ok(Answer::Question { text: text("text") }),
        "contact" => Ok(Answer::Contact {
            name: text("name"),
            email: text("email"),
            phone: text("phone"),
            note: text("note"),
        }),
        "promise" => date("date").map(|date| Answer::Promise { date, note: text("note") }),
        "paid" => date("paid_on").and_then(|paid_on| {
            let amount = match text("amount").trim() {
                "" => None,
                s => Some(
                    Money::parse(&s.replace(',', "."), a.org.organisation.currency)
                        .map_err(|_| AppError::invalid("amount", "give an amount like 125.50"))?,
                ),
            };
            Ok(Answer::Paid {
                paid_on,
                amount,
                invoices: Vec::new(),
                note: text("note"),
                proof: file.clone(),
            })
        }),
        "dispute" => match DisputeReason::parse(&text("reason")) {
            Some(reason) => Ok(Answer::Dispute {
                invoice: text("invoice"),
                reason,
                text: text("text"),
                attachment: file.clone(),
            }),
            None => Err(AppError::invalid("reason", "choose a reason")),
        },
        "plan" => Ok(Answer::Question { text: String::new() }),
        _ => Err(AppError::invalid("kind", "unknown answer")),
    };
    let result = if kind == "plan" {
        // A payment plan: its own use case (the organisation's rules decide).
        match date("first_due") {
            Ok(first_due) => match text("count").trim().parse::<u32>() {
                Ok(count) => {
                    let interval = match text("interval").trim() {
                        "weekly" => arflow_core::arrangement::Interval::Weekly,
                        _ => arflow_core::arrangement::Interval::Monthly,
                    };
                    let input =
                        arflow_core::arrangement::ProposalInput { first_due, count, interval };
                    app.portal_plan(&a, &input).await
                }
                Err(_) => Err(AppError::invalid("count", "give a number of instalments")),
            },
            Err(e) => Err(e),
        }
    } else {
        match parsed {
            Ok(answer) => app.portal_answer(&a, answer).await,
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(receipt) => {
            let to = format!("/p/{token}?lang={}&done={}", lang.code(), receipt.kind);
            (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            match app.portal_page(&a).await {
                Ok(page) => {
                    let message = problem_text(lang, &e, &page);
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Html(render(lang, &token, &page, "", &message, app.pays_online())),
                    )
                        .into_response()
                }
                Err(e) => failure(&e),
            }
        }
        Err(e) => failure(&e),
    }
}

/// Why an answer was refused, in the debtor's language.
fn problem_text(lang: L, e: &AppError, page: &PortalPage) -> String {
    if let AppError::Conflict { entity: "payment_plan", .. } = e {
        return lang
            .pick(
                "U hebt al een betalingsregeling (lopend of in behandeling).",
                "Vous avez déjà un plan de paiement (en cours ou à l'examen).",
                "You have a payment plan already (running or being looked at).",
                "Sie haben bereits eine Ratenzahlung (laufend oder in Prüfung).",
            )
            .to_owned();
    }
    if let AppError::Conflict { .. } = e {
        return lang
            .pick(
                "Over deze factuur loopt al een bezwaar; we kijken ernaar.",
                "Cette facture fait déjà l'objet d'une contestation ; nous l'examinons.",
                "This invoice is disputed already; we are looking into it.",
                "Gegen diese Rechnung läuft bereits ein Einwand; wir prüfen ihn.",
            )
            .to_owned();
    }
    let AppError::Invalid { field, message } = e else { return String::new() };
    match field.as_deref() {
        Some("date") => format!(
            "{} {} {} {}.",
            lang.pick(
                "Kies een datum van",
                "Choisissez une date du",
                "Choose a date from",
                "Wählen Sie ein Datum vom"
            ),
            lang.date(page.today),
            lang.pick("tot en met", "au", "up to", "bis"),
            lang.date(page.promise_latest)
        ),
        Some("paid_on") => lang
            .pick(
                "De datum van betaling kan niet in de toekomst liggen en hoogstens een jaar terug.",
                "La date du paiement ne peut pas être future ni remonter à plus d'un an.",
                "The date of payment cannot be in the future or more than a year ago.",
                "Das Zahlungsdatum darf nicht in der Zukunft und höchstens ein Jahr zurück liegen.",
            )
            .to_owned(),
        Some("amount") => lang
            .pick(
                "Geef een bedrag zoals 125,50.",
                "Indiquez un montant comme 125,50.",
                "Give an amount like 125.50.",
                "Geben Sie einen Betrag wie 125,50 an.",
            )
            .to_owned(),
        Some("proof" | "attachment") if message.contains("MiB") => lang
            .pick(
                "Het bestand is te groot (hoogstens 5 MiB).",
                "Le fichier est trop volumineux (5 Mio au plus).",
                "The file is too large (at most 5 MiB).",
                "Die Datei ist zu groß (höchstens 5 MiB).",
            )
            .to_owned(),
        Some("proof" | "attachment") => lang
            .pick(
                "Alleen PDF-, PNG- of JPEG-bestanden.",
                "Uniquement des fichiers PDF, PNG ou JPEG.",
                "Only PDF, PNG or JPEG files.",
                "Nur PDF-, PNG- oder JPEG-Dateien.",
            )
            .to_owned(),
        Some("invoice") => lang
            .pick(
                "Kies een van uw openstaande facturen.",
                "Choisissez l'une de vos factures ouvertes.",
                "Choose one of your open invoices.",
                "Wählen Sie eine Ihrer offenen Rechnungen.",
            )
            .to_owned(),
        Some("email") if message.contains("at least one") => lang
            .pick(
                "Vul minstens één nieuw gegeven in.",
                "Indiquez au moins une nouvelle coordonnée.",
                "Give at least one new detail.",
                "Geben Sie mindestens eine neue Angabe an.",
            )
            .to_owned(),
        Some("email") => lang
            .pick(
                "Dat is geen geldig e-mailadres.",
                "Ce n'est pas une adresse e-mail valable.",
                "That is not a valid e-mail address.",
                "Das ist keine gültige E-Mail-Adresse.",
            )
            .to_owned(),
        Some("text" | "name" | "phone" | "note") if message.contains("empty") => lang
            .pick(
                "Vul dit veld in.",
                "Remplissez ce champ.",
                "Please fill in this field.",
                "Bitte füllen Sie dieses Feld aus.",
            )
            .to_owned(),
        Some("text" | "name" | "phone" | "note") => lang
            .pick(
                "De tekst is te lang (hoogstens 4000 tekens).",
                "Le texte est trop long (4000 caractères au plus).",
                "The text is too long (at most 4000 characters).",
                "Der Text ist zu lang (höchstens 4000 Zeichen).",
            )
            .to_owned(),
        Some("reason") => lang
            .pick(
                "Kies een reden.",
                "Choisissez un motif.",
                "Choose a reason.",
                "Wählen Sie einen Grund.",
            )
            .to_owned(),
        _ => message.clone(),
    }
}

fn paid_notice(lang: L, p: &arflow_store::OnlinePayment) -> String {
    let text = match p.status.as_str() {
        "paid" => lang.pick(
            "Dank u: uw betaling is ontvangen.",
            "Merci : votre paiement a été reçu.",
            "Thank you: your payment has been received.",
            "Vielen Dank: Ihre Zahlung ist eingegangen.",
        ),
        "canceled" | "expired" | "failed" => lang.pick(
            "De betaling is niet gelukt. U kunt het opnieuw proberen.",
            "Le paiement n'a pas abouti. Vous pouvez réessayer.",
            "The payment did not go through. You can try again.",
            "Die Zahlung ist nicht zustande gekommen. Sie können es erneut versuchen.",
        ),
        _ => lang.pick(
            "Uw betaling wordt verwerkt; zodra ze binnen is, ziet u het hier.",
            "Votre paiement est en cours de traitement ; vous le verrez ici dès sa réception.",
            "Your payment is being processed; you will see it here once it has arrived.",
            "Ihre Zahlung wird verarbeitet; sobald sie eingegangen ist, sehen Sie es hier.",
        ),
    };
    format!(
        "<p class=\"notice\" role=\"status\" id=\"online-payment\" data-status=\"{}\">{} ({})</p>",
        esc(&p.status),
        esc(text),
        esc(&lang.money(p.amount))
    )
}

/// `POST /p/{token}/pay`: to the payment provider's checkout for the open invoices named in the
/// form (`invoice`, repeated; none or only empty ones: all of them) by `method`.
async fn pay(
    State(app): State<App>,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let asked = q.lang.as_deref().and_then(L::parse);
    let a = match access(&app, &token, &headers, asked).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let lang = asked.unwrap_or_else(|| L::of(a.debtor.debtor.language));
    let numbers: Vec<&str> = form
        .iter()
        .filter(|(k, v)| k == "invoice" && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
        .collect();
    let method =
        form.iter().find(|(k, _)| k == "method").map(|(_, v)| v.trim()).filter(|m| !m.is_empty());
    match app.start_online_payment(&a, &numbers, method, &token).await {
        Ok(checkout) => (StatusCode::SEE_OTHER, [(LOCATION, checkout)]).into_response(),
        Err(AppError::Invalid { message, .. }) => match app.portal_page(&a).await {
            Ok(page) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(render(lang, &token, &page, "", &message, app.pays_online())),
            )
                .into_response(),
            Err(e) => failure(&e),
        },
        Err(e) => failure(&e),
    }
}

// ---------------------------------------------------------------------------- files

/// `GET /p/{token}/invoices/{number}/pdf`: one of the debtor's own invoices.
async fn pdf(
    State(app): State<App>,
    Path((token, number)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let a = match access(&app, &token, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match app.portal_pdf(&a, &number).await {
        Ok(bytes) => {
            let name: String = number
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            (
                [
                    (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                    (
                        CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!("inline; filename=\"{name}.pdf\""))
                            .unwrap_or(HeaderValue::from_static("inline")),
                    ),
                    (CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(AppError::NotFound { .. }) => not_valid(L::of(a.debtor.debtor.language)),
        Err(e) => failure(&e),
    }
}

/// `GET /p/{token}/logo`: the organisation's logo, sandboxed.
async fn logo(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let a = match access(&app, &token, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match app.portal_logo(&a).await {
        Ok(b) => crate::ui::logo_response(&b),
        Err(e) => failure(&e),
    }
}
