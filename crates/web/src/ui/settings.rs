//! Settings: the organisation's own settings, its API tokens, its people and their roles, and
//! the audit log.
//!
//! Who may do what: everyone in the organisation reads `/settings`; only an administrator
//! changes it, sees and manages the API tokens (`/settings/tokens`) and the people
//! (`/settings/users`). Administrators and accountants read the audit log (`/audit`); credit
//! controllers and sales get 403. Every change is audited with the person as actor.

use std::sync::Arc;

use arflow_app::orgs::{OrganisationDetails, details_problems};
use arflow_app::users::Role;
use arflow_app::{App, AppError};
use arflow_core::id::{TokenId, UserId};
use arflow_store::{
    AuditFilter, OrganisationMember, Page as Rows, StoredOrganisation, StoredToken,
};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::debtors::segment;
use super::page::{Lang, esc};
use super::{CsrfIn, Staff, failure, forbidden, notice_html, redirect_to};
use crate::api::TokenCache;

/// Audit entries per page.
const AUDIT_ROWS: u32 = 50;

/// A page that shows a secret once: never stored by the browser or a proxy.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A moment in the organisation's time zone, as `<time>`.
fn when(at: i64, time_zone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_microsecond(at) {
        Ok(t) => {
            let z = t.to_zoned_datetime(zone);
            format!(
                "<time datetime=\"{}\">{}</time>",
                esc(&z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
                esc(&z.strftime("%Y-%m-%d %H:%M").to_string())
            )
        }
        Err(_) => String::new(),
    }
}

fn role_name(lang: Lang, role: &str) -> &'static str {
    match role.parse::<Role>() {
        Ok(Role::Admin) => lang.t("role_admin"),
        Ok(Role::CreditController) => lang.t("role_credit_controller"),
        Ok(Role::Sales) => lang.t("role_sales"),
        Ok(Role::Accountant) => lang.t("role_accountant"),
        Err(_) => "?",
    }
}

fn role_options(lang: Lang, selected: &str) -> String {
    Role::ALL
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                r.as_str(),
                if r.as_str() == selected { " selected" } else { "" },
                esc(role_name(lang, r.as_str()))
            )
        })
        .collect()
}

fn last_admin(lang: Lang) -> &'static str {
    lang.pick(
        "Dit is de laatste beheerder van de organisatie: maak eerst iemand anders beheerder.",
        "C'est le dernier administrateur de l'organisation : nommez d'abord un autre administrateur.",
        "This is the organisation's last administrator: make someone else administrator first.",
    )
}

// ------------------------------------------------------------------------------ /settings

const FIELDS: [&str; 9] = [
    "name",
    "time_zone",
    "language",
    "reference_scheme",
    "iban",
    "bic",
    "enterprise_number",
    "kvk_number",
    "vat_number",
];

fn field_label(lang: Lang, field: &str) -> &'static str {
    match field {
        "name" => lang.t("name"),
        "time_zone" => lang.pick("Tijdzone", "Fuseau horaire", "Time zone"),
        "language" => lang.pick("Standaardtaal", "Langue par défaut", "Default language"),
        "reference_scheme" => {
            lang.pick("Soort betalingskenmerk", "Type de communication", "Payment reference scheme")
        }
        "iban" => "IBAN",
        "bic" => "BIC",
        "enterprise_number" => lang.pick(
            "Ondernemingsnummer (BE)",
            "Numéro d'entreprise (BE)",
            "Enterprise number (BE)",
        ),
        "kvk_number" => lang.pick("KvK-nummer (NL)", "Numéro KvK (NL)", "KvK number (NL)"),
        "vat_number" => lang.pick("Btw-nummer", "Numéro de TVA", "VAT number"),
        _ => "?",
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SettingsIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    reference_scheme: String,
    #[serde(default)]
    iban: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    enterprise_number: String,
    #[serde(default)]
    kvk_number: String,
    #[serde(default)]
    vat_number: String,
}

impl SettingsIn {
    fn of(org: &StoredOrganisation) -> SettingsIn {
        let o = &org.organisation;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        SettingsIn {
            csrf: String::new(),
            name: o.name.clone(),
            time_zone: o.time_zone.clone(),
            language: o.language.as_str().to_owned(),
            reference_scheme: o.reference_scheme.as_str().to_owned(),
            iban: text(&o.iban),
            bic: text(&o.bic),
            enterprise_number: text(&o.enterprise_number),
            kvk_number: text(&o.kvk_number),
            vat_number: text(&o.vat_number),
        }
    }

    fn value(&self, field: &str) -> &str {
        match field {
            "name" => &self.name,
            "time_zone" => &self.time_zone,
            "language" => &self.language,
            "reference_scheme" => &self.reference_scheme,
            "iban" => &self.iban,
            "bic" => &self.bic,
            "enterprise_number" => &self.enterprise_number,
            "kvk_number" => &self.kvk_number,
            "vat_number" => &self.vat_number,
            _ => "",
        }
    }

    fn details(&self) -> OrganisationDetails {
        OrganisationDetails {
            name: Some(self.name.clone()),
            language: Some(self.language.clone()),
            reference_scheme: Some(self.reference_scheme.clone()),
            iban: Some(self.iban.clone()),
            bic: Some(self.bic.clone()),
            vat_number: Some(self.vat_number.clone()),
            kvk_number: Some(self.kvk_number.clone()),
            enterprise_number: Some(self.enterprise_number.clone()),
            time_zone: Some(self.time_zone.clone()),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
    /// `sent` after a test message went out.
    #[serde(default)]
    mail: Option<String>,
}

/// `GET /settings`.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<ShowQuery>,
) -> Response {
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let status = if q.mail.as_deref() == Some("sent") {
        let lang = staff.lang;
        format!(
            "<p class=\"card\" role=\"status\" id=\"mail-sent\">{} {}</p>",
            esc(lang.pick(
                "Testbericht verzonden naar",
                "Message de test envoyé à",
                "Test message sent to"
            )),
            esc(&staff.session.user.email)
        )
    } else {
        String::new()
    };
    settings_page(&staff, StatusCode::OK, &SettingsIn::of(&org), &[], q.saved.is_some(), &status)
}

fn settings_page(
    staff: &Staff,
    status: StatusCode,
    values: &SettingsIn,
    problems: &[(&'static str, String)],
    saved: bool,
    mail_status: &str,
) -> Response {
    let lang = staff.lang;
    let admin = staff.role.can_administer();
    let disabled = if admin { "" } else { " disabled" };
    let inputs: String = FIELDS
        .iter()
        .map(|&field| {
            let problem = problems.iter().find(|(f, _)| *f == field);
            let (invalid, error) = match problem {
                Some((_, message)) => (
                    format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\""),
                    format!(
                        "<p class=\"notice\" id=\"{field}-error\" role=\"alert\">{}</p>",
                        esc(message)
                    ),
                ),
                None => (String::new(), String::new()),
            };
            let value = values.value(field);
            let control = match field {
                "language" | "reference_scheme" => {
                    let options: &[(&str, &str)] = if field == "language" {
                        &[
                            ("nl", "Nederlands"),
                            ("fr", "Français"),
                            ("en", "English"),
                            ("de", "Deutsch"),
                        ]
                    } else {
                        &[
                            ("ogm", "OGM/VCS (BE)"),
                            ("nl", "Betalingskenmerk (NL)"),
                            ("rf", "RF (ISO 11649)"),
                        ]
                    };
                    let mut known = false;
                    let mut opts: String = options
                        .iter()
                        .map(|(v, label)| {
                            let selected = *v == value;
                            known |= selected;
                            format!(
                                "<option value=\"{v}\"{}>{}</option>",
                                if selected { " selected" } else { "" },
                                esc(label)
                            )
                        })
                        .collect();
                    if !known {
                        // A value sent by hand is shown as it was, with its problem.
                        opts.push_str(&format!(
                            "<option value=\"{0}\" selected>{0}</option>",
                            esc(value)
                        ));
                    }
                    format!(
                        "<select id=\"{field}\" name=\"{field}\"{invalid}{disabled}>{opts}</select>"
                    )
                }
                _ => format!(
                    "<input id=\"{field}\" name=\"{field}\" value=\"{}\"{invalid}{disabled}{}>",
                    esc(value),
                    if field == "name" || field == "time_zone" { " required" } else { "" }
                ),
            };
            format!(
                "<label for=\"{field}\">{}</label>{control}{error}",
                esc(field_label(lang, field))
            )
        })
        .collect();
    let notice = if problems.is_empty() {
        String::new()
    } else {
        notice_html(Some(lang.pick(
            "Niets is gewijzigd: verbeter de gemarkeerde velden.",
            "Rien n'a été modifié : corrigez les champs signalés.",
            "Nothing was changed: correct the marked fields.",
        )))
    };
    let saved = if saved {
        format!(
            "<p class=\"card\" role=\"status\" id=\"saved\">{}</p>",
            esc(lang.pick("Opgeslagen.", "Enregistré.", "Saved."))
        )
    } else {
        String::new()
    };
    let form_end = if admin {
        format!("<p><button type=\"submit\">{}</button></p>", esc(lang.t("save")))
    } else {
        format!(
            "<p>{}</p>",
            esc(lang.pick(
                "Alleen een beheerder kan deze instellingen wijzigen.",
                "Seul un administrateur peut modifier ces paramètres.",
                "Only an administrator can change these settings.",
            ))
        )
    };
    let mut links = Vec::new();
    if admin {
        links.push(format!(
            "<li><a href=\"/settings/tokens\">{}</a></li>",
            esc(lang.pick("API-sleutels", "Jetons d'API", "API tokens"))
        ));
        links.push(format!(
            "<li><a href=\"/settings/users\">{}</a></li>",
            esc(lang.pick("Personen en rollen", "Personnes et rôles", "People and roles"))
        ));
    }
    if admin {
        links.push(format!(
            "<li><a href=\"/settings/branding\">{}</a></li>",
            esc(lang.pick("Huisstijl", "Identité visuelle", "Branding"))
        ));
    }
    if admin || staff.role == Role::Accountant {
        links.push(format!("<li><a href=\"/audit\">{}</a></li>", esc(lang.t("audit"))));
    }
    links.push(format!(
        "<li><a href=\"/settings/bank-accounts\">{}</a></li>",
        esc(lang.pick("Bankrekeningen", "Comptes bancaires", "Bank accounts"))
    ));
    links.push(format!(
        "<li><a href=\"/settings/rates\">{}</a></li>",
        esc(lang.pick("Rentetabellen", "Tables de taux", "Rate tables"))
    ));
    let links = if links.is_empty() {
        String::new()
    } else {
        format!(
            "<nav class=\"card\" aria-label=\"{}\"><ul>{}</ul></nav>",
            esc(lang.t("settings")),
            links.concat()
        )
    };
    let mail = if admin {
        format!(
            "<form class=\"card\" method=\"post\" action=\"/settings/smtp-test\" id=\"smtp-test\">\
             <h2>{heading}</h2>{mail_status}<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><button type=\"submit\">{send} {email}</button></p></form>",
            heading = esc(lang.pick("E-mail", "E-mail", "E-mail")),
            csrf = esc(&staff.session.csrf),
            send = esc(lang.pick(
                "Testbericht sturen naar",
                "Envoyer un message de test à",
                "Send a test message to"
            )),
            email = esc(&staff.session.user.email),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1>{saved}{notice}{links}\
         <form class=\"card\" method=\"post\" action=\"/settings\" id=\"settings\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{inputs}{form_end}</form>{mail}",
        title = esc(lang.t("settings")),
        csrf = esc(&staff.session.csrf),
    );
    staff.page(status, lang.t("settings"), &body)
}

/// `POST /settings`: every field checked; with a problem nothing changes and each problem is
/// shown at its field.
pub(crate) async fn save(
    State(app): State<App>,
    Extension(tokens): Extension<Arc<TokenCache>>,
    staff: Staff,
    Form(form): Form<SettingsIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let slug = staff.current.slug.clone();
    let details = form.details();
    match app.update_organisation_details(Some(&slug), &details, &staff.actor()).await {
        Ok(_) => {
            // The API sees the new settings (its time zone, say) at once.
            tokens.forget_organisation(staff.current.organisation_id);
            redirect_to("/settings?saved=1")
        }
        Err(AppError::Invalid { field, message }) => {
            let org = match app.resolve_organisation(Some(&slug)).await {
                Ok(o) => o,
                Err(e) => return failure(&e),
            };
            let mut problems = details_problems(&org.organisation, &details);
            if problems.is_empty() {
                let field =
                    FIELDS.iter().find(|f| Some(**f) == field.as_deref()).unwrap_or(&"name");
                problems.push((field, message));
            }
            settings_page(&staff, StatusCode::UNPROCESSABLE_ENTITY, &form, &problems, false, "")
        }
        Err(e) => failure(&e),
    }
}

/// `POST /settings/smtp-test`: a test message to the signed-in administrator through the
/// SMTP server `serve` was started with; 503 when there is none, 502 when it refused.
pub(crate) async fn smtp_test(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let lang = staff.lang;
    let slug = staff.current.slug.clone();
    let sent = app.send_test_email(Some(&slug), &staff.session.user.email, &staff.actor()).await;
    let (status, message) = match sent {
        Ok(_) => return redirect_to("/settings?mail=sent"),
        Err(AppError::Invalid { message, .. }) => super::mail_failure(&app, lang, &message),
        Err(e) => return failure(&e),
    };
    let org = match app.resolve_organisation(Some(&slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let notice =
        format!("<p class=\"notice\" role=\"alert\" id=\"mail-failed\">{}</p>", esc(&message));
    settings_page(&staff, status, &SettingsIn::of(&org), &[], false, &notice)
}

// ------------------------------------------------------------------------ /settings/tokens

/// `GET /settings/tokens`.
pub(crate) async fn tokens(State(app): State<App>, staff: Staff) -> Response {
    if let Err(r) = staff.may_administer() {
        return r;
    }
    tokens_page(&app, &staff, StatusCode::OK, None, None).await
}

async fn tokens_page(
    app: &App,
    staff: &Staff,
    status: StatusCode,
    notice: Option<&str>,
    created: Option<(&str, &str)>,
) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let list: Vec<StoredToken> = match app.list_tokens(Some(&staff.current.slug)).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let tz = org.organisation.time_zone.as_str();
    let csrf = esc(&staff.session.csrf);
    let title = lang.pick("API-sleutels", "Jetons d'API", "API tokens");
    let rows: String = list
        .iter()
        .map(|t| {
            let state = match t.revoked_at {
                Some(at) => format!(
                    "{} {}",
                    esc(lang.pick("Ingetrokken op", "Révoqué le", "Revoked on")),
                    when(at, tz)
                ),
                None => format!(
                    "{} <form method=\"post\" action=\"/settings/tokens/{id}/revoke\" style=\"display:inline\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\" aria-label=\"{label} {name}\">{label}</button></form>",
                    esc(lang.t("active")),
                    id = t.id,
                    label = esc(lang.pick("Intrekken", "Révoquer", "Revoke")),
                    name = esc(&t.name),
                ),
            };
            format!(
                "<tr id=\"token-{id}\"><td>{id}</td><td>{name}</td><td>{created}</td><td>{by}</td><td>{state}</td></tr>",
                id = t.id,
                name = esc(&t.name),
                created = when(t.created_at, tz),
                by = esc(t.created_by.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let table = if list.is_empty() {
        format!(
            "<p id=\"no-tokens\">{}</p>",
            esc(lang.pick("Nog geen API-sleutels.", "Aucun jeton d'API.", "No API tokens yet."))
        )
    } else {
        format!(
            "<table id=\"tokens\"><thead><tr><th>#</th><th>{name}</th><th>{created}</th><th>{by}</th>\
             <th>{status}</th></tr></thead><tbody>{rows}</tbody></table>",
            name = esc(lang.t("name")),
            created = esc(lang.pick("Aangemaakt", "Créé", "Created")),
            by = esc(lang.pick("Door", "Par", "By")),
            status = esc(lang.t("status")),
        )
    };
    let created = created.map_or_else(String::new, |(name, secret)| {
        format!(
            "<section class=\"card\" role=\"status\"><h2>{heading}: {name}</h2>\
             <p><label for=\"new-token\">{label}</label>\
             <input id=\"new-token\" readonly value=\"{secret}\" style=\"width:100%;font-family:monospace\"></p>\
             <p><strong>{once}</strong></p></section>",
            heading = esc(lang.pick("Nieuwe API-sleutel", "Nouveau jeton d'API", "New API token")),
            name = esc(name),
            label = esc(lang.pick("Sleutel", "Jeton", "Token")),
            secret = esc(secret),
            once = esc(lang.pick(
                "Kopieer de sleutel nu: hij wordt niet nog eens getoond.",
                "Copiez le jeton maintenant : il ne sera plus affiché.",
                "Copy the token now: it will not be shown again.",
            )),
        )
    });
    let body = format!(
        "<p><a href=\"/settings\">{back}</a></p><h1>{title}</h1>{notice}{created}\
         <section class=\"card\">{table}\
         <p>{note}</p></section>\
         <form class=\"card\" method=\"post\" action=\"/settings/tokens\"><h2>{new}</h2>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"token-name\">{name}</label><input id=\"token-name\" name=\"name\" required maxlength=\"100\">\
         <p><button type=\"submit\">{create}</button></p></form>",
        back = esc(lang.t("settings")),
        title = esc(title),
        notice = notice_html(notice),
        note = esc(lang.pick(
            "Een ingetrokken sleutel werkt meteen niet meer. Wanneer een sleutel voor het laatst is gebruikt, wordt niet bijgehouden.",
            "Un jeton révoqué cesse aussitôt de fonctionner. La dernière utilisation d'un jeton n'est pas enregistrée.",
            "A revoked token stops working at once. When a token was last used is not recorded.",
        )),
        new = esc(lang.pick("Nieuwe sleutel", "Nouveau jeton", "New token")),
        name = esc(lang.t("name")),
        create = esc(lang.pick("Aanmaken", "Créer", "Create")),
    );
    staff.page(status, title, &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenIn {
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /settings/tokens`: a new token, its secret shown on this answer only.
pub(crate) async fn create_token(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<TokenIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    match app.create_token(Some(&staff.current.slug), &form.name, &staff.actor()).await {
        Ok(new) => no_store(
            tokens_page(&app, &staff, StatusCode::CREATED, None, Some((&new.name, &new.token)))
                .await,
        ),
        Err(AppError::Invalid { .. }) => {
            let message = staff.lang.pick(
                "Geef de sleutel een naam van 1 tot 100 tekens.",
                "Donnez au jeton un nom de 1 à 100 caractères.",
                "Give the token a name of 1 to 100 characters.",
            );
            tokens_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None).await
        }
        Err(e) => failure(&e),
    }
}

/// `POST /settings/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    State(app): State<App>,
    Extension(tokens): Extension<Arc<TokenCache>>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else { return staff.not_found() };
    match app.revoke_token(Some(&staff.current.slug), TokenId(id), &staff.actor()).await {
        Ok(_) => {
            tokens.forget_organisation(staff.current.organisation_id);
            redirect_to("/settings/tokens")
        }
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

// ------------------------------------------------------------------------- /settings/users

/// `GET /settings/users`.
pub(crate) async fn users(State(app): State<App>, staff: Staff) -> Response {
    if let Err(r) = staff.may_administer() {
        return r;
    }
    users_page(&app, &staff, StatusCode::OK, None, None).await
}

async fn users_page(
    app: &App,
    staff: &Staff,
    status: StatusCode,
    notice: Option<&str>,
    added: Option<(&str, &str)>,
) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let members: Vec<OrganisationMember> =
        match app.organisation_members(Some(&staff.current.slug)).await {
            Ok(m) => m,
            Err(e) => return failure(&e),
        };
    let tz = org.organisation.time_zone.as_str();
    let csrf = esc(&staff.session.csrf);
    let title = lang.pick("Personen en rollen", "Personnes et rôles", "People and roles");
    let rows: String = members
        .iter()
        .map(|m| {
            let id = m.user_id.0;
            format!(
                "<tr id=\"user-{id}\"><td>{name}</td><td>{email}</td><td>{since}</td>\
                 <td><form method=\"post\" action=\"/settings/users/{id}/role\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label for=\"role-{id}\" style=\"display:inline;margin:0\">{role_l}</label> \
                 <select id=\"role-{id}\" name=\"role\">{options}</select> \
                 <button type=\"submit\">{change}</button></form></td>\
                 <td><form method=\"post\" action=\"/settings/users/{id}/remove\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" aria-label=\"{remove} {name}\">{remove}</button></form></td></tr>",
                name = esc(&m.name),
                email = esc(&m.email),
                since = when(m.since, tz),
                role_l = esc(lang.pick("Rol", "Rôle", "Role")),
                options = role_options(lang, &m.role),
                change = esc(lang.pick("Wijzigen", "Modifier", "Change")),
                remove = esc(lang.pick("Verwijderen", "Retirer", "Remove")),
            )
        })
        .collect();
    let added = added.map_or_else(String::new, |(email, password)| {
        format!(
            "<section class=\"card\" role=\"status\"><h2>{heading}: {email}</h2>\
             <p><label for=\"new-password\">{label}</label>\
             <input id=\"new-password\" readonly value=\"{password}\" style=\"font-family:monospace\"></p>\
             <p><strong>{once}</strong></p></section>",
            heading = esc(lang.pick("Nieuw account", "Nouveau compte", "New account")),
            email = esc(email),
            label = esc(lang.t("password")),
            password = esc(password),
            once = esc(lang.pick(
                "Geef dit wachtwoord veilig door: het wordt niet nog eens getoond.",
                "Transmettez ce mot de passe de façon sûre : il ne sera plus affiché.",
                "Pass this password on safely: it will not be shown again.",
            )),
        )
    });
    let languages: String = [("nl", "Nederlands"), ("fr", "Français"), ("en", "English")]
        .iter()
        .map(|(v, l)| format!("<option value=\"{v}\">{l}</option>"))
        .collect();
    let body = format!(
        "<p><a href=\"/settings\">{back}</a></p><h1>{title}</h1>{notice}{added}\
         <section class=\"card\"><table id=\"users\"><thead><tr><th>{name_l}</th><th>{email_l}</th>\
         <th>{since_l}</th><th>{role_l}</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>\
         <form class=\"card\" method=\"post\" action=\"/settings/users\"><h2>{add_l}</h2>\
         <p>{add_note}</p><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"new-email\">{email_l}</label><input id=\"new-email\" name=\"email\" type=\"email\" required>\
         <label for=\"new-name\">{name_l}</label><input id=\"new-name\" name=\"name\">\
         <label for=\"new-language\">{language_l}</label><select id=\"new-language\" name=\"language\">{languages}</select>\
         <label for=\"new-role\">{role_l}</label><select id=\"new-role\" name=\"role\">{roles}</select>\
         <p><button type=\"submit\">{add_l}</button></p></form>",
        back = esc(lang.t("settings")),
        title = esc(title),
        notice = notice_html(notice),
        name_l = esc(lang.t("name")),
        email_l = esc(lang.t("email")),
        since_l = esc(lang.pick("Sinds", "Depuis", "Since")),
        role_l = esc(lang.pick("Rol", "Rôle", "Role")),
        add_l = esc(lang.pick("Persoon toevoegen", "Ajouter une personne", "Add a person")),
        add_note = esc(lang.pick(
            "Heeft de persoon al een account, dan krijgt die alleen de rol; anders wordt een account met een nieuw wachtwoord aangemaakt (naam en taal nodig).",
            "Si la personne a déjà un compte, elle reçoit seulement le rôle ; sinon un compte est créé avec un nouveau mot de passe (nom et langue requis).",
            "A person with an account gets the role only; otherwise an account is created with a new password (name and language needed).",
        )),
        language_l = esc(lang.t("language")),
        roles = role_options(lang, Role::Sales.as_str()),
    );
    staff.page(status, title, &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddIn {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    role: String,
}

/// The message for a refused change of people and roles.
fn user_problem(lang: Lang, e: &AppError) -> &'static str {
    match e {
        AppError::Invalid { field: Some(f), .. } if f == "role" => last_admin(lang),
        AppError::Invalid { field: Some(f), .. } if f == "email" => lang.pick(
            "Dat is geen e-mailadres.",
            "Ce n'est pas une adresse e-mail.",
            "That is not an e-mail address.",
        ),
        AppError::Invalid { field: Some(f), .. } if f == "name" => lang.pick(
            "Geef de naam van de persoon.",
            "Indiquez le nom de la personne.",
            "Give the person's name.",
        ),
        AppError::Conflict { .. } => lang.pick(
            "Deze persoon heeft hier al een rol: wijzig die in de lijst.",
            "Cette personne a déjà un rôle ici : modifiez-le dans la liste.",
            "This person has a role here already: change it in the list.",
        ),
        _ => lang.pick("Ongeldige invoer.", "Saisie invalide.", "Invalid input."),
    }
}

/// `POST /settings/users`: a role for a person with an account, or a new account whose
/// password is shown on this answer only.
pub(crate) async fn add_user(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<AddIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let lang = staff.lang;
    let Ok(role) = form.role.parse::<Role>() else {
        let message = lang.pick("Kies een rol.", "Choisissez un rôle.", "Choose a role.");
        return users_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None)
            .await;
    };
    let added = app
        .add_member(
            Some(&staff.current.slug),
            &form.email,
            &form.name,
            &form.language,
            role,
            &staff.actor(),
        )
        .await;
    match added {
        Ok(added) => match &added.password {
            None => redirect_to("/settings/users"),
            Some(password) => no_store(
                users_page(
                    &app,
                    &staff,
                    StatusCode::CREATED,
                    None,
                    Some((&added.user.email, password)),
                )
                .await,
            ),
        },
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let status = if matches!(e, AppError::Conflict { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            users_page(&app, &staff, status, Some(user_problem(lang, &e)), None).await
        }
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RoleIn {
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /settings/users/{id}/role`.
pub(crate) async fn change_role(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<RoleIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else { return staff.not_found() };
    let lang = staff.lang;
    let Ok(role) = form.role.parse::<Role>() else {
        let message = lang.pick("Kies een rol.", "Choisissez un rôle.", "Choose a role.");
        return users_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None)
            .await;
    };
    match app.change_role(Some(&staff.current.slug), UserId(id), role, &staff.actor()).await {
        Ok(_) => redirect_to("/settings/users"),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e @ AppError::Invalid { .. }) => {
            users_page(
                &app,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(user_problem(lang, &e)),
                None,
            )
            .await
        }
        Err(e) => failure(&e),
    }
}

/// `POST /settings/users/{id}/remove`: the person's role here goes; their account stays.
pub(crate) async fn remove_user(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else { return staff.not_found() };
    match app.remove_member(Some(&staff.current.slug), UserId(id), &staff.actor()).await {
        // Who removed themselves has no role here any more: the dashboard says so.
        Ok(m) if m.email == staff.session.user.email => redirect_to("/"),
        Ok(_) => redirect_to("/settings/users"),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e @ AppError::Invalid { .. }) => {
            let message = user_problem(staff.lang, &e);
            users_page(&app, &staff, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None).await
        }
        Err(e) => failure(&e),
    }
}

// ------------------------------------------------------------------------------------ /audit

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /audit?actor=&q=&before=`: who did what and when, newest first, 50 a page.
pub(crate) async fn audit(
    State(app): State<App>,
    staff: Staff,
    Query(query): Query<AuditQuery>,
) -> Response {
    if !(staff.role.can_administer() || staff.role == Role::Accountant) {
        return forbidden(&staff.session);
    }
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let actor = query.actor.trim();
    // An address alone names the person: `anna@example.nl` is `user:anna@example.nl`.
    let actor = if actor.contains('@') && !actor.contains(':') {
        format!("user:{}", actor.to_lowercase())
    } else {
        actor.to_owned()
    };
    let filter = AuditFilter {
        actor: Some(actor.clone()).filter(|a| !a.is_empty()),
        text: Some(query.q.trim().to_owned()).filter(|t| !t.is_empty()),
    };
    let rows = match query.before {
        Some(before) => Rows::after(before, AUDIT_ROWS + 1),
        None => Rows::first(AUDIT_ROWS + 1),
    };
    let mut entries = match app.audit_log_filtered(org.id, &filter, rows).await {
        Ok(e) => e,
        Err(e) => return failure(&e),
    };
    let more = entries.len() > AUDIT_ROWS as usize;
    entries.truncate(AUDIT_ROWS as usize);
    let tz = org.organisation.time_zone.as_str();
    let lines: String = entries
        .iter()
        .map(|(id, e)| {
            let details = if e.details.as_object().is_some_and(serde_json::Map::is_empty) {
                String::new()
            } else {
                e.details.to_string()
            };
            format!(
                "<tr id=\"audit-{id}\"><td>{at}</td><td>{actor}</td><td>{action}</td><td>{entity}: {key}</td>\
                 <td><code>{details}</code></td></tr>",
                at = when(e.at, tz),
                actor = esc(&e.actor),
                action = esc(&e.action),
                entity = esc(&e.entity),
                key = esc(&e.entity_key),
                details = esc(&details),
            )
        })
        .collect();
    let table = if entries.is_empty() {
        format!(
            "<p id=\"no-audit\">{}</p>",
            esc(lang.pick("Niets gevonden.", "Rien trouvé.", "Nothing found."))
        )
    } else {
        format!(
            "<table id=\"audit\"><thead><tr><th>{when_l} ({tz})</th><th>{who}</th><th>{what}</th>\
             <th>{on}</th><th>{details}</th></tr></thead><tbody>{lines}</tbody></table>",
            when_l = esc(lang.pick("Wanneer", "Quand", "When")),
            tz = esc(tz),
            who = esc(lang.pick("Wie", "Qui", "Who")),
            what = esc(lang.pick("Wat", "Quoi", "What")),
            on = esc(lang.pick("Waarop", "Sur", "On")),
            details = esc(lang.pick("Details", "Détails", "Details")),
        )
    };
    let next = match entries.last() {
        Some((last, _)) if more => format!(
            "<p><a id=\"older\" href=\"/audit?actor={}&amp;q={}&amp;before={last}\">{}</a></p>",
            segment(&actor),
            segment(query.q.trim()),
            esc(lang.pick("Oudere", "Plus anciens", "Older"))
        ),
        _ => String::new(),
    };
    let body = format!(
        "<p><a href=\"/settings\">{back}</a></p><h1>{title}</h1>\
         <form class=\"card\" method=\"get\" action=\"/audit\" role=\"search\">\
         <label for=\"actor\">{actor_l}</label><input id=\"actor\" name=\"actor\" value=\"{actor}\">\
         <label for=\"q\">{q_l}</label><input id=\"q\" name=\"q\" value=\"{q}\">\
         <p><button type=\"submit\">{search}</button></p></form>\
         <section class=\"card\">{table}{next}</section>",
        back = esc(lang.t("settings")),
        title = esc(lang.t("audit")),
        actor_l = esc(lang.pick(
            "Wie (e-mailadres of actor, bv. cli)",
            "Qui (adresse e-mail ou acteur, p. ex. cli)",
            "Who (e-mail address or actor, e.g. cli)",
        )),
        actor = esc(&actor),
        q_l = esc(lang.pick(
            "Actie of onderwerp bevat",
            "L'action ou l'objet contient",
            "Action or subject contains",
        )),
        q = esc(query.q.trim()),
        search = esc(lang.t("search")),
    );
    staff.page(StatusCode::OK, lang.t("audit"), &body)
}
