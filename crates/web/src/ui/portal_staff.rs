//! The portal as staff see it on a debtor's page: the debtor's personal links (a new one, revoke
//! one), its disputes (resolve one), and the files it uploaded with its answers.

use arflow_app::{App, AppError};
use axum::extract::{Form, Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::debtors::{debtor_page, segment};
use super::page::{Lang, esc};
use super::{CsrfIn, Staff, failure, redirect_to};

/// The portal card of debtor `number`'s page.
pub(crate) async fn card(
    app: &App,
    staff: &Staff,
    number: &str,
    tz: &str,
) -> Result<String, AppError> {
    let lang = staff.lang;
    let org = staff.current.organisation_id;
    let links = app.portal_links(org, number).await?;
    let disputes = app.disputes(org, number).await?;
    let plans = app.plans_of(org, number).await?;
    let responses = app.portal_responses(org, number).await?;
    let may = staff.may_operate().is_ok();
    let csrf = esc(&staff.session.csrf);
    let href = segment(number);
    let link_rows: String = links
        .iter()
        .map(|l| {
            let state = if l.revoked_at.is_some() {
                format!("{} ({})", lang.pick("ingetrokken", "révoqué", "revoked"), l.revoked_by.as_deref().unwrap_or(""))
            } else {
                format!("{} {}", lang.pick("geldig t/m", "valable jusqu'au", "valid until"), l.expires_on)
            };
            let used = l.last_used_at.map(|t| arflow_app::local_time_in(t, tz)).unwrap_or_else(|| "—".into());
            let revoke = if may && l.revoked_at.is_none() {
                format!(
                    "<form method=\"post\" action=\"/debtors/{href}/portal-links/{id}/revoke\" class=\"inline\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{label}</button></form>",
                    id = l.id,
                    label = esc(lang.pick("Intrekken", "Révoquer", "Revoke")),
                )
            } else {
                String::new()
            };
            format!(
                "<tr id=\"portal-link-{id}\"><td>{id}</td><td>{made}</td><td>{state}</td><td>{used}</td><td>{revoke}</td></tr>",
                id = l.id,
                made = esc(&arflow_app::local_time_in(l.created_at, tz)),
                state = esc(&state),
                used = esc(&used),
            )
        })
        .collect();
    let links_html = if links.is_empty() {
        format!(
            "<p id=\"no-portal-links\">{}</p>",
            esc(lang.pick(
                "Nog geen persoonlijke link: de eerste herinnering maakt er een.",
                "Pas encore de lien personnel : le premier rappel en crée un.",
                "No personal link yet: the first reminder makes one.",
            ))
        )
    } else {
        format!(
            "<table id=\"portal-links\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{link_rows}</tbody></table>",
            esc(lang.pick("Gemaakt", "Créé", "Made")),
            esc(lang.t("status")),
            esc(lang.pick("Laatst gebruikt", "Dernière utilisation", "Last used")),
        )
    };
    let new_link = if may {
        format!(
            "<form method=\"post\" action=\"/debtors/{href}/portal-links\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{}</button></form>",
            esc(lang.pick("Nieuwe link maken", "Créer un nouveau lien", "Make a new link")),
        )
    } else {
        String::new()
    };
    let dispute_rows: String = disputes
        .iter()
        .map(|d| {
            let resolve = if may && d.status == "open" {
                format!(
                    "<form method=\"post\" action=\"/disputes/{id}/resolve\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <label for=\"resolution-{id}\">{how}</label><select id=\"resolution-{id}\" name=\"resolution\">\
                     <option value=\"credit_note\">{credit}</option><option value=\"upheld\">{upheld}</option><option value=\"rejected\">{rejected}</option></select>\
                     <label for=\"resolution-note-{id}\">{note}</label><input id=\"resolution-note-{id}\" name=\"note\" maxlength=\"4000\">\
                     <button type=\"submit\">{resolve}</button></form>",
                    id = d.id,
                    how = esc(lang.pick("Afhandeling", "Solution", "Resolution")),
                    credit = esc(lang.pick("creditnota", "note de crédit", "credit note")),
                    upheld = esc(lang.pick("factuur blijft staan", "la facture est maintenue", "invoice upheld")),
                    rejected = esc(lang.pick("bezwaar afgewezen", "contestation rejetée", "dispute rejected")),
                    note = esc(lang.pick("Toelichting", "Précisions", "Note")),
                    resolve = esc(lang.pick("Afhandelen", "Clore", "Resolve")),
                )
            } else {
                esc(&format!("{} {}", d.resolution.as_deref().unwrap_or(""), d.resolution_note.as_deref().unwrap_or("")))
            };
            format!(
                "<tr id=\"dispute-{id}\" data-status=\"{status}\"><td>{invoice}</td><td>{reason}</td><td>{text}</td><td>{status}</td><td>{resolve}</td></tr>",
                id = d.id,
                status = esc(&d.status),
                invoice = esc(&d.invoice_number),
                reason = esc(&d.reason),
                text = esc(&d.text),
            )
        })
        .collect();
    let disputes_html = if disputes.is_empty() {
        String::new()
    } else {
        format!(
            "<h3>{}</h3><table id=\"disputes\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{dispute_rows}</tbody></table>",
            esc(lang.pick("Geschillen", "Contestations", "Disputes")),
            esc(lang.pick("Factuur", "Facture", "Invoice")),
            esc(lang.pick("Reden", "Motif", "Reason")),
            esc(lang.pick("Toelichting", "Texte", "Text")),
            esc(lang.t("status")),
        )
    };
    let files: String = responses
        .iter()
        .filter_map(|r| {
            let (name, _) = r.attachment.as_ref()?;
            Some(format!(
                "<li><a href=\"/portal-files/{}\">{}</a> ({})</li>",
                r.id,
                esc(name),
                esc(&r.kind)
            ))
        })
        .collect();
    let files_html = if files.is_empty() {
        String::new()
    } else {
        format!(
            "<h3>{}</h3><ul id=\"portal-files\">{files}</ul>",
            esc(lang.pick("Meegestuurde bestanden", "Fichiers joints", "Uploaded files"))
        )
    };
    let plan_rows: String = plans
        .iter()
        .map(|p| {
            let state = serde_json::to_value(p.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let schedule: Vec<String> = p
                .instalments
                .iter()
                .map(|i| format!("{} {} ({})", i.due, i.amount, i.reference_display))
                .collect();
            let decide = if may && state == "proposed" {
                let button = |action: &str, label: &str| {
                    format!(
                        "<form method=\"post\" action=\"/plans/{id}/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                         <button type=\"submit\">{}</button></form>",
                        esc(label),
                        id = p.id,
                    )
                };
                format!(
                    "{}{}",
                    button("accept", lang.pick("Accepteren", "Accepter", "Accept")),
                    button("reject", lang.pick("Afwijzen", "Refuser", "Reject"))
                )
            } else {
                String::new()
            };
            format!(
                "<tr id=\"plan-{id}\" data-state=\"{state}\"><td>{id}</td><td>{state}</td><td class=\"num\">{total}</td><td class=\"num\">{paid}</td><td>{schedule}</td><td>{explanation}</td><td>{decide}</td></tr>",
                id = p.id,
                state = esc(&state),
                total = esc(&p.total.to_string()),
                paid = esc(&p.paid.to_string()),
                schedule = esc(&schedule.join("; ")),
                explanation = esc(&p.explanation),
            )
        })
        .collect();
    let live = plans.iter().any(|p| p.state.is_live());
    // A person may set up a plan when none is running or waiting; it starts at once.
    let new_plan = if may && !live {
        format!(
            "<details id=\"new-plan\"><summary>{summary}</summary>\
             <form method=\"post\" action=\"/debtors/{href}/plans\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label for=\"plan-first-due\">{first}</label> <input id=\"plan-first-due\" type=\"date\" name=\"first_due\" required></p>\
             <p><label for=\"plan-count\">{count}</label> <input id=\"plan-count\" type=\"number\" name=\"count\" min=\"1\" max=\"520\" value=\"3\" required></p>\
             <p><label for=\"plan-interval\">{interval}</label> <select id=\"plan-interval\" name=\"interval\">\
             <option value=\"monthly\">{monthly}</option><option value=\"weekly\">{weekly}</option></select></p>\
             <p class=\"hint\">{hint}</p><button type=\"submit\">{start}</button></form></details>",
            summary = esc(lang.pick("Betalingsregeling treffen", "Établir un plan de paiement", "Set up a payment plan")),
            first = esc(lang.pick("Eerste termijn op", "Première échéance le", "First instalment on")),
            count = esc(lang.pick("Aantal termijnen", "Nombre d'échéances", "Number of instalments")),
            interval = esc(lang.pick("Om de", "Tous les", "Every")),
            monthly = esc(lang.pick("maand", "mois", "month")),
            weekly = esc(lang.pick("week", "semaine", "week")),
            hint = esc(lang.pick(
                "De regeling omvat alle openstaande facturen, begint meteen en houdt de aanmaningen tegen zolang ze loopt.",
                "Le plan couvre toutes les factures ouvertes, commence aussitôt et suspend les rappels tant qu'il court.",
                "The plan covers every open invoice, starts at once and holds dunning while it runs.",
            )),
            start = esc(lang.pick("Regeling starten", "Démarrer le plan", "Start the plan")),
        )
    } else {
        String::new()
    };
    let plans_html = if plans.is_empty() {
        new_plan
    } else {
        format!(
            "<h3>{}</h3><table id=\"plans\"><thead><tr><th>#</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th></th><th></th></tr></thead><tbody>{plan_rows}</tbody></table>",
            esc(lang.pick("Betalingsregelingen", "Plans de paiement", "Payment plans")),
            esc(lang.t("status")),
            esc(lang.pick("Totaal", "Total", "Total")),
            esc(lang.pick("Betaald", "Payé", "Paid")),
            esc(lang.pick("Termijnen", "Échéances", "Instalments")),
        ) + &new_plan
    };
    Ok(format!(
        "<section class=\"card\" id=\"portal\"><h2>{h}</h2>{links_html}{new_link}{plans_html}{disputes_html}{files_html}</section>",
        h = esc(lang.pick("Portaal", "Portail", "Portal")),
    ))
}

/// A refused form: 422 with the reason.
fn refused(staff: &Staff, message: &str) -> Response {
    staff.page(
        StatusCode::UNPROCESSABLE_ENTITY,
        "",
        &format!("<p class=\"notice\" role=\"alert\">{}</p>", esc(message)),
    )
}

/// `POST /debtors/{number}/portal-links`: a new personal link, shown on the page.
pub(crate) async fn new_link(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let org = staff.current.organisation_id;
    match app.issue_portal_link(org, &number, &staff.actor()).await {
        Ok((token, until)) => {
            let url = format!("{}/p/{token}", app.public_url().unwrap_or(""));
            let lang: Lang = staff.lang;
            let notice = format!(
                "{} {url} ({} {until})",
                lang.pick(
                    "Nieuwe persoonlijke link:",
                    "Nouveau lien personnel :",
                    "New personal link:"
                ),
                lang.pick("geldig t/m", "valable jusqu'au", "valid until"),
            );
            let mut r =
                debtor_page(&app, &staff, &number, StatusCode::CREATED, Some(&notice)).await;
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

/// `POST /debtors/{number}/portal-links/{id}/revoke`.
pub(crate) async fn revoke(
    State(app): State<App>,
    staff: Staff,
    Path((number, id)): Path<(String, i64)>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    match app.revoke_portal_link(staff.current.organisation_id, &number, id, &staff.actor()).await {
        Ok(()) => redirect_to(&format!("/debtors/{}", segment(&number))),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResolveIn {
    csrf: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    note: String,
}

/// `POST /disputes/{id}/resolve`.
pub(crate) async fn resolve(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ResolveIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let org = staff.current.organisation_id;
    match app.resolve_dispute(org, id, &form.resolution, &form.note, &staff.actor()).await {
        Ok(d) => match app.debtor_number(org, d.debtor_id).await {
            Ok(number) => redirect_to(&format!("/debtors/{}", segment(&number))),
            Err(e) => failure(&e),
        },
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(AppError::Invalid { message, .. }) => refused(&staff, &message),
        Err(e) => failure(&e),
    }
}

/// `GET /portal-files/{id}`: a file a debtor uploaded, as a download that runs nothing.
pub(crate) async fn file(State(app): State<App>, staff: Staff, Path(id): Path<i64>) -> Response {
    match app.portal_upload(staff.current.organisation_id, id).await {
        Ok(f) => {
            let name: String = f
                .file_name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                .collect();
            (
                [
                    (
                        CONTENT_TYPE,
                        HeaderValue::from_str(&f.content_type)
                            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                    ),
                    (
                        CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                    (CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox")),
                ],
                f.content,
            )
                .into_response()
        }
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

/// `POST /plans/{id}/accept` and `/plans/{id}/reject`: a person decides a proposed plan.
pub(crate) async fn decide_plan(
    State(app): State<App>,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    Form(form): Form<CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let org = staff.current.organisation_id;
    let decided = match decision.as_str() {
        "accept" => app.accept_plan(org, id, &staff.actor()).await,
        "reject" => app.reject_plan(org, id, &staff.actor()).await,
        _ => return staff.not_found(),
    };
    match decided {
        Ok(plan) => redirect_to(&format!("/debtors/{}", segment(&plan.debtor_number))),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(
            AppError::Invalid { message, .. } | AppError::Conflict { detail: Some(message), .. },
        ) => refused(&staff, &message),
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanIn {
    csrf: String,
    #[serde(default)]
    first_due: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    interval: String,
}

/// `POST /debtors/{number}/plans`: a person sets up a payment plan for the debtor's open
/// invoices; it starts at once.
pub(crate) async fn new_plan(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<PlanIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let lang = staff.lang;
    let refuse = |message: &str| refused(&staff, message);
    let Ok(first_due) = arflow_core::date::parse_iso_date(form.first_due.trim()) else {
        return refuse(lang.pick(
            "Geef de datum van de eerste termijn.",
            "Indiquez la date de la première échéance.",
            "Give the date of the first instalment.",
        ));
    };
    let Ok(count) = form.count.trim().parse::<u32>() else {
        return refuse(lang.pick(
            "Geef het aantal termijnen als heel getal.",
            "Indiquez le nombre d'échéances en chiffres.",
            "Give the number of instalments as a whole number.",
        ));
    };
    let interval = match form.interval.as_str() {
        "weekly" => arflow_core::arrangement::Interval::Weekly,
        _ => arflow_core::arrangement::Interval::Monthly,
    };
    let input = arflow_core::arrangement::ProposalInput { first_due, count, interval };
    match app.start_plan(staff.current.organisation_id, &number, &input, &staff.actor()).await {
        Ok(_) => redirect_to(&format!("/debtors/{}#portal", segment(&number))),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(
            AppError::Invalid { message, .. } | AppError::Conflict { detail: Some(message), .. },
        ) => refuse(&message),
        Err(e) => failure(&e),
    }
}
