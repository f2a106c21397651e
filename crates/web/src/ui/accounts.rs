//! The organisation's bank accounts: its own accounts (which one its letters ask to be paid on,
//! which are closed), and every account bank statements were imported for — how many entries,
//! over which dates, what they add up to, and how many wait for a person.

use std::sync::Arc;

use arflow_app::{App, AppError};
use arflow_core::money::Money;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::page::{esc, money};
use super::{CsrfIn, Staff, failure, redirect_to};
use crate::api::TokenCache;

/// `GET /settings/bank-accounts`.
pub(crate) async fn show(State(app): State<App>, staff: Staff) -> Response {
    page(&app, &staff, StatusCode::OK, "").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccountIn {
    csrf: String,
    #[serde(default)]
    iban: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    label: String,
}

/// `POST /settings/bank-accounts`: adds an own account or changes its BIC and label.
pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<AccountIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let org = staff.current.organisation_id;
    match app.save_own_account(org, &form.iban, &form.bic, &form.label, &staff.actor()).await {
        Ok(_) => redirect_to("/settings/bank-accounts"),
        Err(e) => refused(&app, &staff, &e).await,
    }
}

/// `POST /settings/bank-accounts/{iban}/pay-to`: reminders ask to be paid on this account.
pub(crate) async fn pay_to(
    State(app): State<App>,
    Extension(tokens): Extension<Arc<TokenCache>>,
    staff: Staff,
    Path(iban): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let org = staff.current.organisation_id;
    match app.pay_to_account(org, &iban, &staff.actor()).await {
        Ok(()) => {
            tokens.forget_organisation(org);
            redirect_to("/settings/bank-accounts")
        }
        Err(e) => refused(&app, &staff, &e).await,
    }
}

/// `POST /settings/bank-accounts/{iban}/close`.
pub(crate) async fn close(
    State(app): State<App>,
    staff: Staff,
    Path(iban): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    open_or_close(&app, &staff, &iban, &form, false).await
}

/// `POST /settings/bank-accounts/{iban}/reopen`.
pub(crate) async fn reopen(
    State(app): State<App>,
    staff: Staff,
    Path(iban): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    open_or_close(&app, &staff, &iban, &form, true).await
}

async fn open_or_close(
    app: &App,
    staff: &Staff,
    iban: &str,
    form: &CsrfIn,
    open: bool,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_administer()) {
        return r;
    }
    let org = staff.current.organisation_id;
    match app.set_account_open(org, iban, open, &staff.actor()).await {
        Ok(()) => redirect_to("/settings/bank-accounts"),
        Err(e) => refused(app, staff, &e).await,
    }
}

/// The page again with why the change was refused: 422 for a bad value, 404 for an account
/// that is not the organisation's.
async fn refused(app: &App, staff: &Staff, e: &AppError) -> Response {
    match e {
        AppError::Invalid { message, .. } => {
            page(app, staff, StatusCode::UNPROCESSABLE_ENTITY, message).await
        }
        AppError::NotFound { .. } => staff.not_found(),
        e => failure(e),
    }
}

async fn page(app: &App, staff: &Staff, status: StatusCode, problem: &str) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let accounts = match app.bank_accounts(org.id).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let own = match app.own_accounts(org.id).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let admin = staff.role.can_administer();
    let csrf = esc(&staff.session.csrf);
    let button = |iban: &str, action: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/settings/bank-accounts/{}/{action}\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{}</button></form>",
            esc(iban),
            esc(label)
        )
    };
    let own_rows: String = own
        .iter()
        .map(|v| {
            let a = &v.account;
            let state = if v.for_payment {
                lang.pick(
                    "Herinneringen vragen hierop te betalen",
                    "Les rappels demandent de payer sur ce compte",
                    "Reminders ask to be paid on this one",
                )
            } else if a.active {
                lang.pick("Open", "Ouvert", "Open")
            } else {
                lang.pick(
                    "Gesloten: afschriften worden geweigerd",
                    "Fermé : les relevés sont refusés",
                    "Closed: statements are refused",
                )
            };
            let actions = if !admin || v.for_payment {
                String::new()
            } else if a.active {
                format!(
                    "{}{}",
                    button(&a.iban, "pay-to", lang.pick("Hierop laten betalen", "Faire payer sur ce compte", "Be paid on this one")),
                    button(&a.iban, "close", lang.pick("Sluiten", "Fermer", "Close")),
                )
            } else {
                button(&a.iban, "reopen", lang.pick("Heropenen", "Rouvrir", "Reopen"))
            };
            format!(
                "<tr{class}><td>{iban}</td><td>{bic}</td><td>{label}</td><td>{state}</td><td>{actions}</td></tr>",
                class = if v.for_payment { " id=\"payment-account\"" } else { "" },
                iban = esc(&a.iban),
                bic = esc(a.bic.as_deref().unwrap_or("")),
                label = esc(&a.label),
                state = esc(state),
            )
        })
        .collect();
    let paid_on = if own.iter().any(|v| v.for_payment) {
        String::new()
    } else {
        format!(
            "<p class=\"notice\" role=\"alert\" id=\"no-payment-account\">{}</p>",
            esc(lang.pick(
                "Er is nog geen rekening om op te betalen: herinneringen kunnen niet zeggen waarop betaald moet worden. Voeg er een toe en kies ze.",
                "Aucun compte n'est encore choisi : les rappels ne peuvent pas dire où payer. Ajoutez-en un et choisissez-le.",
                "There is no account to be paid on yet: reminders cannot say where to pay. Add one and choose it.",
            ))
        )
    };
    let own_table = if own.is_empty() {
        String::new()
    } else {
        format!(
            "<table id=\"own-accounts\"><thead><tr><th>IBAN</th><th>BIC</th><th>{}</th><th>{}</th><th></th></tr></thead>\
             <tbody>{own_rows}</tbody></table>",
            esc(lang.pick("Naam", "Nom", "Name")),
            esc(lang.t("status")),
        )
    };
    let add = if admin {
        format!(
            "<form method=\"post\" action=\"/settings/bank-accounts\" id=\"add-account\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><h3>{heading}</h3>\
             <label for=\"iban\">IBAN</label><input id=\"iban\" name=\"iban\" required>\
             <label for=\"bic\">BIC</label><input id=\"bic\" name=\"bic\">\
             <label for=\"label\">{name}</label><input id=\"label\" name=\"label\" maxlength=\"100\">\
             <p><button type=\"submit\">{save}</button></p></form>",
            heading = esc(lang.pick(
                "Een rekening toevoegen of wijzigen",
                "Ajouter ou modifier un compte",
                "Add or change an account"
            )),
            name = esc(lang.pick("Naam", "Nom", "Name")),
            save = esc(lang.t("save")),
        )
    } else {
        String::new()
    };
    let problem = if problem.is_empty() {
        String::new()
    } else {
        format!("<p class=\"notice\" role=\"alert\" id=\"problem\">{}</p>", esc(problem))
    };
    let paid_on = format!("{problem}{paid_on}{own_table}{add}");
    let rows: String = accounts
        .iter()
        .map(|a| {
            let net = Money::from_minor(a.net_minor, a.currency);
            let waiting = if a.waiting > 0 {
                format!("<a href=\"/matches\">{}</a>", a.waiting)
            } else {
                "0".to_owned()
            };
            format!(
                "<tr><td>{account}</td><td>{currency}</td><td class=\"num\">{entries}</td><td>{first} – {last}</td>\
                 <td class=\"num\">{net}</td><td class=\"num\">{waiting}</td></tr>",
                account = esc(&a.account),
                currency = esc(a.currency.code()),
                entries = a.entries,
                first = a.first_booking,
                last = a.last_booking,
                net = esc(&money(lang, &net.to_string())),
            )
        })
        .collect();
    let table = if accounts.is_empty() {
        format!(
            "<p id=\"no-accounts\">{}</p>",
            esc(lang.pick(
                "Er zijn nog geen bankafschriften ingelezen.",
                "Aucun relevé bancaire n'a encore été importé.",
                "No bank statements have been imported yet.",
            ))
        )
    } else {
        format!(
            "<table id=\"bank-accounts\"><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th>\
             <th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{rows}</tbody></table>",
            esc(lang.pick("Rekening", "Compte", "Account")),
            esc(lang.pick("Munt", "Devise", "Currency")),
            esc(lang.pick("Boekingen", "Écritures", "Entries")),
            esc(lang.pick("Boekdata", "Dates de comptabilisation", "Booking dates")),
            esc(lang.pick("Saldo van de boekingen", "Solde des écritures", "Net of the entries")),
            esc(lang.pick(
                "Wachten op een persoon",
                "En attente d'une personne",
                "Waiting for a person"
            )),
        )
    };
    let title = lang.pick("Bankrekeningen", "Comptes bancaires", "Bank accounts");
    let body = format!(
        "<h1>{title_e}</h1><section class=\"card\"><h2>{paid_h}</h2>{paid_on}</section>\
         <section class=\"card\"><h2>{statements_h}</h2>{table}</section><p><a href=\"/settings\">{settings}</a></p>",
        title_e = esc(title),
        paid_h = esc(lang.pick("Eigen rekeningen", "Comptes propres", "Own accounts",)),
        statements_h = esc(lang.pick(
            "Rekeningen met ingelezen afschriften",
            "Comptes dont des relevés ont été importés",
            "Accounts with imported statements",
        )),
        settings = esc(lang.t("settings")),
    );
    staff.page(status, title, &body)
}
