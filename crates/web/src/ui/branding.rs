//! `/settings/branding`: the accent colour and logo the organisation's letters, e-mails and
//! debtor pages carry. The logo is uploaded with a plain form (`multipart/form-data`, no
//! script needed) and served back with headers that keep an SVG from running anything.

use arflow_app::{App, AppError};
use arflow_core::brand::{Branding, DEFAULT_ACCENT, LOGO_BYTES_MAX};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Lang, esc};
use super::{Staff, failure, redirect_to};

/// The largest body the upload accepts: the logo and the form's other fields.
pub(crate) const BODY_BYTES_MAX: usize = LOGO_BYTES_MAX + 64 * 1024;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /settings/branding`.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<ShowQuery>,
) -> Response {
    if let Err(r) = staff.may_administer() {
        return r;
    }
    let branding = match app.branding(staff.current.organisation_id).await {
        Ok(b) => b,
        Err(e) => return failure(&e),
    };
    let notice = q.saved.is_some().then(|| {
        format!(
            "<p class=\"notice\" role=\"status\" id=\"saved\">{}</p>",
            esc(staff.lang.pick("Opgeslagen.", "Enregistré.", "Saved."))
        )
    });
    page(&staff, StatusCode::OK, &branding, notice.as_deref().unwrap_or(""), "")
}

fn page(staff: &Staff, status: StatusCode, b: &Branding, notice: &str, problem: &str) -> Response {
    let lang = staff.lang;
    let title = lang.pick("Huisstijl", "Identité visuelle", "Branding");
    let logo = match &b.logo {
        Some(l) => format!(
            "<p><img id=\"current-logo\" src=\"/settings/branding/logo\" alt=\"{alt}\" \
             style=\"max-width:240px;max-height:80px\"></p><p>{kind}, {bytes} bytes</p>\
             <label><input type=\"checkbox\" name=\"remove_logo\" value=\"on\"> {remove}</label>",
            alt = esc(lang.pick("Het huidige logo", "Le logo actuel", "The current logo")),
            kind = esc(l.kind.media_type()),
            bytes = l.bytes.len(),
            remove = esc(lang.pick("Logo verwijderen", "Supprimer le logo", "Remove the logo")),
        ),
        None => format!(
            "<p id=\"no-logo\">{}</p>",
            esc(lang.pick("Nog geen logo.", "Pas encore de logo.", "No logo yet."))
        ),
    };
    let accent = b.accent();
    let problem = if problem.is_empty() {
        String::new()
    } else {
        format!("<p class=\"notice\" role=\"alert\" id=\"problem\">{}</p>", esc(problem))
    };
    let body = format!(
        "<h1>{title_e}</h1>{notice}{problem}\
         <form class=\"card\" method=\"post\" action=\"/settings/branding\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <h2>{colour_h}</h2><p>{colour_help}</p>\
         <label for=\"accent_colour\">{colour_l}</label>\
         <input id=\"accent_colour\" name=\"accent_colour\" type=\"color\" value=\"{accent}\">\
         <label><input type=\"checkbox\" name=\"default_colour\" value=\"on\"{default_checked}> {default_l}</label>\
         <div id=\"accent-sample\" style=\"border-top:6px solid {accent};padding:8px;background:#fff\">{sample}</div>\
         <h2>{logo_h}</h2><p>{logo_help}</p>{logo}\
         <label for=\"logo\">{upload_l}</label>\
         <input id=\"logo\" name=\"logo\" type=\"file\" accept=\"image/png,image/svg+xml\">\
         <p><button type=\"submit\">{save}</button></p></form>\
         <p><a href=\"/settings\">{settings}</a></p>",
        title_e = esc(title),
        csrf = esc(&staff.session.csrf),
        colour_h = esc(lang.pick("Accentkleur", "Couleur d'accent", "Accent colour")),
        colour_help = esc(lang.pick(
            "De balk boven elke e-mail, de koppen en de tabelkop van de brieven, en de debiteurenpagina's.",
            "La barre en haut de chaque e-mail, les titres et l'en-tête du tableau des lettres, et les pages des débiteurs.",
            "The bar at the top of every e-mail, the headings and table header of letters, and the debtor pages.",
        )),
        colour_l = esc(lang.pick("Kleur", "Couleur", "Colour")),
        default_checked = if b.accent_colour.is_none() { " checked" } else { "" },
        default_l = esc(&format!(
            "{} ({DEFAULT_ACCENT})",
            lang.pick("De kleur van arflow", "La couleur d'arflow", "arflow's colour")
        )),
        sample = esc(lang.pick("Zo begint een e-mail.", "Ainsi commence un e-mail.", "This is how an e-mail starts.")),
        logo_h = esc(lang.pick("Logo", "Logo", "Logo")),
        logo_help = esc(&format!(
            "{} {} KiB.",
            lang.pick(
                "Rechtsboven op elke brief en op de debiteurenpagina's. PNG of SVG (zonder scripts), hoogstens",
                "En haut à droite de chaque lettre et sur les pages des débiteurs. PNG ou SVG (sans scripts), au plus",
                "Top right on every letter and on the debtor pages. PNG or SVG (without scripts), at most",
            ),
            LOGO_BYTES_MAX / 1024
        )),
        upload_l = esc(lang.pick("Nieuw logo", "Nouveau logo", "New logo")),
        save = esc(lang.t("save")),
        settings = esc(lang.t("settings")),
    );
    staff.page(status, title, &body)
}

/// `POST /settings/branding` (multipart): the colour, and a new logo or its removal.
pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = staff.lang;
    if let Err(r) = staff.may_administer() {
        return r;
    }
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parts = match arflow_app::uploads::form_parts(content_type, &body) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let text = |name: &str| {
        field(name).map(|p| String::from_utf8_lossy(&p.data).into_owned()).unwrap_or_default()
    };
    if let Err(r) = staff.check_csrf(&text("csrf")) {
        return r;
    }
    let colour = (text("default_colour") != "on").then(|| text("accent_colour"));
    let logo: Option<&[u8]> = if text("remove_logo") == "on" {
        Some(&[])
    } else {
        field("logo").map(|p| p.data.as_slice()).filter(|d| !d.is_empty())
    };
    let org = staff.current.organisation_id;
    match app.set_branding(org, colour.as_deref(), logo, &staff.actor()).await {
        Ok(_) => redirect_to("/settings/branding?saved=1"),
        Err(AppError::Invalid { field, message }) => {
            let current = match app.branding(org).await {
                Ok(b) => b,
                Err(e) => return failure(&e),
            };
            let what = match field.as_deref() {
                Some("logo") => lang.pick("Logo", "Logo", "Logo"),
                _ => lang.pick("Kleur", "Couleur", "Colour"),
            };
            page(
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                &current,
                "",
                &format!("{what}: {message}"),
            )
        }
        Err(e) => failure(&e),
    }
}

/// `GET /settings/branding/logo`: the logo as uploaded. An SVG is served so that nothing in it
/// could run even when opened on its own (a sandbox and no sources at all).
pub(crate) async fn logo(State(app): State<App>, staff: Staff) -> Response {
    let branding = match app.branding(staff.current.organisation_id).await {
        Ok(b) => b,
        Err(e) => return failure(&e),
    };
    logo_response(&branding, staff.lang)
}

/// The logo with its type and protective headers; 404 without one.
pub(crate) fn logo_response(branding: &Branding, lang: Lang) -> Response {
    let Some(logo) = &branding.logo else {
        return (StatusCode::NOT_FOUND, lang.pick("Geen logo.", "Pas de logo.", "No logo."))
            .into_response();
    };
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(logo.kind.media_type())),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
        ],
        logo.bytes.clone(),
    )
        .into_response()
}
