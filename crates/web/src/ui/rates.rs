//! The rate tables the charges are computed with: for each, the rate in force today and every
//! period with its source and whether it was checked against that source. Read-only: the rates
//! are statutory, shipped with the build and the same for every organisation.

use arflow_app::App;
use arflow_core::legal::rates::RateKind;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::page::{Lang, Page, esc, money};
use super::{Staff, failure};

fn basis(lang: Lang, kind: RateKind) -> &'static str {
    match kind {
        RateKind::NlStatutory => lang.pick(
            "Wettelijke rente, art. 6:119 BW (consumenten en niet-handelsschulden)",
            "Intérêt légal néerlandais, art. 6:119 BW (consommateurs, dettes non commerciales)",
            "NL statutory interest, art. 6:119 BW (consumers and non-commercial debts)",
        ),
        RateKind::NlCommercial => lang.pick(
            "Wettelijke handelsrente, art. 6:119a/6:119b BW",
            "Intérêt commercial légal néerlandais, art. 6:119a/6:119b BW",
            "NL statutory commercial interest, art. 6:119a/6:119b BW",
        ),
        RateKind::BeB2b => lang.pick(
            "Belgische interest bij handelstransacties, wet van 2 augustus 2002",
            "Intérêt de retard belge des transactions commerciales, loi du 2 août 2002",
            "BE late-payment interest in commercial transactions, law of 2 August 2002",
        ),
        RateKind::BeLegal => lang.pick(
            "Belgische wettelijke interest, wet van 5 mei 1865",
            "Intérêt légal belge, loi du 5 mai 1865",
            "BE legal interest, law of 5 May 1865",
        ),
        RateKind::EcbMro => lang.pick(
            "ECB-herfinancieringsrente (referentierente van de richtlijn)",
            "Taux de refinancement de la BCE (taux de référence de la directive)",
            "ECB main refinancing rate (the Directive's reference rate)",
        ),
    }
}

/// `GET /settings/rates`.
pub(crate) async fn show(State(app): State<App>, staff: Staff) -> Response {
    let lang = staff.lang;
    let today = match app.today_of(staff.current.organisation_id).await {
        Ok(d) => d,
        Err(e) => return failure(&e),
    };
    let percent = |r: Option<&arflow_core::legal::rates::RateRow>| {
        r.and_then(|r| r.rate_percent.as_ref()).map_or_else(
            || lang.pick("nog niet bekend", "pas encore connu", "not known yet").to_owned(),
            |p| format!("{} %", money(lang, &p.to_string())),
        )
    };
    let sections: String = RateKind::ALL
        .iter()
        .map(|kind| {
            let table = app.rates.get(*kind);
            let rows: String = table
                .rows()
                .iter()
                .rev()
                .map(|r| {
                    format!(
                        "<tr><td>{from}</td><td class=\"num\">{rate}</td><td>{source}</td><td>{checked}</td></tr>",
                        from = r.valid_from,
                        rate = esc(&percent(Some(r))),
                        source = esc(&r.source),
                        checked = esc(if r.verified {
                            lang.pick("nagekeken", "vérifié", "checked")
                        } else {
                            lang.pick("niet nagekeken", "non vérifié", "not checked")
                        }),
                    )
                })
                .collect();
            format!(
                "<section class=\"card\" id=\"rate-{id}\"><h2>{basis}</h2><p>{today_l} ({today}): <strong>{now}</strong></p>\
                 <details><summary>{history}</summary><table><thead><tr><th>{from_l}</th><th class=\"num\">{rate_l}</th>\
                 <th>{source_l}</th><th></th></tr></thead><tbody>{rows}</tbody></table></details></section>",
                id = kind.as_str(),
                basis = esc(basis(lang, *kind)),
                today_l = esc(lang.pick("Vandaag", "Aujourd'hui", "Today")),
                now = esc(&percent(table.row_on(today))),
                history = esc(lang.pick("Alle perioden", "Toutes les périodes", "Every period")),
                from_l = esc(lang.pick("Vanaf", "À partir du", "From")),
                rate_l = esc(lang.pick("Rente per jaar", "Taux annuel", "Rate per year")),
                source_l = esc(lang.pick("Bron", "Source", "Source")),
            )
        })
        .collect();
    let title = lang.pick("Rentetabellen", "Tables de taux", "Rate tables");
    let body = format!(
        "<h1>{}</h1><p>{}</p>{sections}<p><a href=\"/settings\">{}</a></p>",
        esc(title),
        esc(lang.pick(
            "De wettelijke rentes waarmee arflow rente berekent, met hun bron. Ze zijn voor elke organisatie gelijk en komen met de versie van arflow.",
            "Les taux légaux avec lesquels arflow calcule les intérêts, avec leur source. Ils sont les mêmes pour chaque organisation et sont livrés avec la version d'arflow.",
            "The statutory rates arflow computes interest with, with their source. They are the same for every organisation and ship with arflow's version.",
        )),
        esc(lang.t("settings")),
    );
    Html(Page::layout(lang, title, &Page::header(lang, &staff.session), &body)).into_response()
}
