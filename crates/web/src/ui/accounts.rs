//! The organisation's bank accounts: the one its letters ask to be paid on, and every account
//! bank statements were imported for — how many entries, over which dates, what they add up to,
//! and how many wait for a person.

use arflow_app::App;
use arflow_core::money::Money;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::page::{Page, esc, money};
use super::{Staff, failure};

/// `GET /settings/bank-accounts`.
pub(crate) async fn show(State(app): State<App>, staff: Staff) -> Response {
    let lang = staff.lang;
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let accounts = match app.bank_accounts(org.id).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let o = &org.organisation;
    let paid_on = match &o.iban {
        Some(iban) => format!(
            "<p id=\"payment-account\"><strong>{}</strong>{}</p>",
            esc(iban),
            o.bic.as_deref().map(|b| format!(" · BIC {}", esc(b))).unwrap_or_default()
        ),
        None => format!(
            "<p class=\"notice\" role=\"alert\" id=\"payment-account\">{}</p>",
            esc(lang.pick(
                "Er is nog geen IBAN: herinneringen kunnen niet zeggen waarop betaald moet worden. Vul het in bij Instellingen.",
                "Aucun IBAN n'est encore indiqué : les rappels ne peuvent pas dire où payer. Indiquez-le dans les Paramètres.",
                "There is no IBAN yet: reminders cannot say where to pay. Set it in Settings.",
            ))
        ),
    };
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
        paid_h = esc(lang.pick(
            "Waarop herinneringen vragen te betalen",
            "Le compte sur lequel les rappels demandent de payer",
            "The account reminders ask to be paid on",
        )),
        statements_h = esc(lang.pick(
            "Rekeningen met ingelezen afschriften",
            "Comptes dont des relevés ont été importés",
            "Accounts with imported statements",
        )),
        settings = esc(lang.t("settings")),
    );
    Html(Page::layout(lang, title, &Page::header(lang, &staff.session), &body)).into_response()
}
