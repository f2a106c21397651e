//! The debtor pages: the list with search and filters, and one debtor with its key figures, open
//! items, contacts, timeline, and pausing and resuming dunning.

use arflow_app::{App, AppError};
use arflow_core::id::OrganisationId;
use arflow_store::{DebtorFilter, InvoiceFilter, ItemStatus, Page as Rows};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::page::{Lang, Page, esc, money};
use super::{Staff, failure, redirect_to};

/// Rows per page of the list.
const ROWS: u32 = 50;

/// A path segment with everything but unreserved characters percent-encoded (RFC 3986).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    paused: Option<String>,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    owner: String,
    /// `business`, `consumer` or empty (both).
    #[serde(default)]
    kind: String,
    /// An ageing bucket of today: `1-30`, `31-60`, `61-90`, `91-180`, `181-` (days overdue).
    #[serde(default)]
    bucket: String,
    /// `disputed`, `plan` or `promised`.
    #[serde(default)]
    state: String,
    /// Empty (the order debtors were created in), `overdue` or `open`: who owes the most.
    #[serde(default)]
    sort: String,
    /// The page of a list by amount, from 0.
    #[serde(default)]
    page: u32,
    #[serde(default)]
    after: Option<i64>,
}

/// The ageing buckets the debtor list filters by: (value, from days, to days overdue).
const BUCKETS: [(&str, i64, Option<i64>); 5] = [
    ("1-30", 1, Some(30)),
    ("31-60", 31, Some(60)),
    ("61-90", 61, Some(90)),
    ("91-180", 91, Some(180)),
    ("181-", 181, None),
];

/// The due dates of an ageing bucket on `today`: days overdue `[from, to]`.
fn bucket_dates(
    today: jiff::civil::Date,
    bucket: &str,
) -> Option<(jiff::civil::Date, jiff::civil::Date)> {
    let (_, from, to) = BUCKETS.iter().find(|(v, _, _)| *v == bucket)?;
    let latest = today.checked_sub(jiff::Span::new().days(*from)).ok()?;
    let earliest = match to {
        Some(t) => today.checked_sub(jiff::Span::new().days(*t)).ok()?,
        None => jiff::civil::Date::MIN,
    };
    Some((earliest, latest))
}

/// `GET /debtors?q=&overdue=on&paused=on&segment=&owner=&kind=&bucket=&state=&sort=&after=&page=`:
/// the debtors matching the filters, in the order they were created (paged by `after`) or by
/// who owes the most — overdue or open — largest first (paged by `page`).
pub(crate) async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Response {
    let lang = staff.lang;
    let org = staff.current.organisation_id;
    let today = match app.today_of(org).await {
        Ok(d) => d,
        Err(e) => return failure(&e),
    };
    let search = query.q.trim();
    let filter = DebtorFilter {
        search: (!search.is_empty()).then(|| search.to_owned()),
        overdue_on: query.overdue.is_some().then_some(today),
        paused: query.paused.is_some().then_some(true),
        segment: Some(query.segment.trim().to_owned()).filter(|s| !s.is_empty()),
        owner: Some(query.owner.trim().to_owned()).filter(|s| !s.is_empty()),
        kind: match query.kind.as_str() {
            "business" => Some(arflow_core::party::DebtorKind::Business),
            "consumer" => Some(arflow_core::party::DebtorKind::Consumer),
            _ => None,
        },
        due_between: bucket_dates(today, &query.bucket),
        disputed: query.state == "disputed",
        in_payment_plan: query.state == "plan",
        promised_from: (query.state == "promised").then_some(today),
    };
    let by_amount = match query.sort.as_str() {
        "overdue" => Some(true),
        "open" => Some(false),
        _ => None,
    };
    let (table, title) = match by_amount {
        Some(overdue) => match ranked(&app, org, lang, &query, &filter, overdue).await {
            Ok(t) => t,
            Err(e) => return failure(&e),
        },
        None => match by_creation(&app, org, lang, &query, &filter, today).await {
            Ok(t) => (t, lang.t("debtors")),
            Err(e) => return failure(&e),
        },
    };
    let body = format!(
        "<h1>{title_e}</h1><p><a href=\"/debtors?sort=overdue\" id=\"by-overdue\">{by_overdue}</a> · \
         <a href=\"/debtors?sort=open\">{by_open}</a></p>{form}<section class=\"card\">{table}</section>",
        title_e = esc(title),
        by_overdue = esc(lang.pick(
            "Wie het meest vervallen heeft",
            "Qui a le plus d'échu",
            "Who owes the most overdue"
        )),
        by_open = esc(lang.pick(
            "Wie het meest open heeft",
            "Qui a le plus d'ouvert",
            "Who owes the most"
        )),
        form = filter_form(lang, &query),
    );
    Html(Page::layout(lang, title, &Page::header(lang, &staff.session), &body)).into_response()
}

/// The list's filters as query parameters (sort and paging left out), each encoded.
fn filter_params(query: &ListQuery) -> Vec<String> {
    let mut params = Vec::new();
    if query.overdue.is_some() {
        params.push("overdue=on".to_owned());
    }
    if query.paused.is_some() {
        params.push("paused=on".to_owned());
    }
    for (k, v) in [
        ("q", query.q.trim()),
        ("segment", query.segment.trim()),
        ("owner", query.owner.trim()),
        ("kind", query.kind.as_str()),
        ("bucket", query.bucket.as_str()),
        ("state", query.state.as_str()),
    ] {
        if !v.is_empty() {
            params.push(format!("{k}={}", segment(v)));
        }
    }
    params
}

/// The debtors matching `filter` in the order they were created, one page after `query.after`.
async fn by_creation(
    app: &App,
    org: OrganisationId,
    lang: Lang,
    query: &ListQuery,
    filter: &DebtorFilter,
    today: jiff::civil::Date,
) -> Result<String, AppError> {
    let rows = match query.after {
        Some(after) => Rows::after(after, ROWS),
        None => Rows::first(ROWS),
    };
    let debtors = app.list_debtors(org, filter, rows).await?;
    let body_rows: String = debtors
        .iter()
        .map(|d| {
            let paused = d.debtor.is_paused_on(today);
            format!(
                "<tr><td><a href=\"/debtors/{href}\">{number}</a></td><td>{name}</td><td>{segments}</td>\
                 <td>{owner}</td><td>{status}</td></tr>",
                href = segment(&d.debtor.number),
                number = esc(&d.debtor.number),
                name = esc(&d.debtor.name),
                segments = esc(&d.debtor.segments.join(", ")),
                owner = esc(d.debtor.owner.as_deref().unwrap_or("")),
                status = esc(lang.t(if paused { "paused" } else { "active" })),
            )
        })
        .collect();
    if debtors.is_empty() {
        return Ok(format!("<p id=\"no-debtors\">{}</p>", esc(lang.t("none_found"))));
    }
    let mut next = String::new();
    if debtors.len() == ROWS as usize
        && let Some(last) = debtors.last()
    {
        let mut params = vec![format!("after={}", last.id.0)];
        params.extend(filter_params(query));
        next = format!(
            "<p><a rel=\"next\" href=\"/debtors?{}\">{}</a></p>",
            esc(&params.join("&")),
            esc(lang.t("next"))
        );
    }
    Ok(format!(
        "<table id=\"debtors\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\
         <tbody>{body_rows}</tbody></table>{next}",
        esc(lang.t("number")),
        esc(lang.t("name")),
        esc(lang.t("segments")),
        esc(lang.t("owner")),
        esc(lang.t("status")),
    ))
}

/// Who of the debtors matching `filter` owes the most today — by what is overdue or by what is
/// open — largest first, fifty a page (`query.page`). The table and the page's title.
async fn ranked(
    app: &App,
    org: OrganisationId,
    lang: Lang,
    query: &ListQuery,
    filter: &DebtorFilter,
    overdue: bool,
) -> Result<(String, &'static str), AppError> {
    let page = query.page;
    let rows =
        app.debtors_owing_most(org, filter, overdue, page.saturating_mul(ROWS), ROWS).await?;
    let start = u64::from(page) * u64::from(ROWS);
    let trs: String = (start + 1..)
        .zip(&rows)
        .map(|(rank, (d, owed))| {
            format!(
                "<tr><td class=\"num\">{rank}</td><td><a href=\"/debtors/{href}\">{number}</a></td><td>{name}</td>\
                 <td>{owner}</td><td class=\"num\">{currency} {owed}</td></tr>",
                href = segment(&d.debtor.number),
                number = esc(&d.debtor.number),
                name = esc(&d.debtor.name),
                owner = esc(d.debtor.owner.as_deref().unwrap_or("")),
                currency = esc(owed.currency().code()),
                owed = esc(&money(lang, &owed.to_string())),
            )
        })
        .collect();
    let sort = if overdue { "overdue" } else { "open" };
    let mut base = vec![format!("sort={sort}")];
    base.extend(filter_params(query));
    let base = base.join("&");
    let mut pager = Vec::new();
    if page > 0 {
        pager.push(format!(
            "<a rel=\"prev\" href=\"/debtors?{}\">{}</a>",
            esc(&format!("{base}&page={}", page - 1)),
            esc(lang.pick("Vorige", "Précédent", "Previous"))
        ));
    }
    if rows.len() == ROWS as usize {
        pager.push(format!(
            "<a rel=\"next\" href=\"/debtors?{}\">{}</a>",
            esc(&format!("{base}&page={}", page + 1)),
            esc(lang.t("next"))
        ));
    }
    let title = if overdue {
        lang.pick(
            "Wie het meest vervallen heeft",
            "Qui a le plus d'échu",
            "Who owes the most overdue",
        )
    } else {
        lang.pick("Wie het meest open heeft", "Qui a le plus d'ouvert", "Who owes the most")
    };
    let table = if rows.is_empty() {
        format!("<p id=\"no-debtors\">{}</p>", esc(lang.t("none_found")))
    } else {
        format!(
            "<table id=\"debtors\"><thead><tr><th class=\"num\">#</th><th>{}</th><th>{}</th><th>{}</th>\
             <th class=\"num\">{}</th></tr></thead><tbody>{trs}</tbody></table><p>{}</p>",
            esc(lang.t("number")),
            esc(lang.t("name")),
            esc(lang.t("owner")),
            esc(lang.t(if overdue { "overdue" } else { "open" })),
            pager.join(" · "),
        )
    };
    Ok((table, title))
}

/// The search and filter form of the list; it keeps the chosen order.
fn filter_form(lang: Lang, query: &ListQuery) -> String {
    let checked = |on: bool| if on { " checked" } else { "" };
    let options = |choices: &[(&str, &str)], current: &str| -> String {
        choices
            .iter()
            .map(|(v, l)| {
                format!(
                    "<option value=\"{v}\"{}>{}</option>",
                    if current == *v { " selected" } else { "" },
                    esc(l)
                )
            })
            .collect()
    };
    let buckets: Vec<(&str, String)> =
        std::iter::once(("", lang.pick("alle", "tous", "all").to_owned()))
            .chain(BUCKETS.iter().map(|(v, _, _)| (*v, format!("{v} {}", lang.t("days")))))
            .collect();
    let buckets: Vec<(&str, &str)> = buckets.iter().map(|(v, l)| (*v, l.as_str())).collect();
    format!(
        "<form class=\"card\" method=\"get\" action=\"/debtors\" role=\"search\">\
         <label for=\"q\">{search_label}</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{q}\">\
         <label><input type=\"checkbox\" name=\"overdue\"{overdue}> {only_overdue}</label>\
         <label><input type=\"checkbox\" name=\"paused\"{paused}> {only_paused}</label>\
         <label for=\"segment\">{segment_l}</label><input id=\"segment\" name=\"segment\" value=\"{segment_v}\">\
         <label for=\"owner\">{owner_l}</label><input id=\"owner\" name=\"owner\" value=\"{owner_v}\">\
         <label for=\"kind\">{kind_l}</label><select id=\"kind\" name=\"kind\">{kinds}</select>\
         <label for=\"bucket\">{bucket_l}</label><select id=\"bucket\" name=\"bucket\">{buckets}</select>\
         <label for=\"state\">{state_l}</label><select id=\"state\" name=\"state\">{states}</select>\
         <label for=\"sort\">{sort_l}</label><select id=\"sort\" name=\"sort\">{sorts}</select>\
         <p><button type=\"submit\">{search}</button></p></form>",
        search_label = esc(lang.t("search_label")),
        q = esc(query.q.trim()),
        overdue = checked(query.overdue.is_some()),
        only_overdue = esc(lang.t("only_overdue")),
        paused = checked(query.paused.is_some()),
        only_paused = esc(lang.t("only_paused")),
        search = esc(lang.t("search")),
        segment_l = esc(lang.pick("Segment", "Segment", "Segment")),
        segment_v = esc(query.segment.trim()),
        owner_l = esc(lang.t("owner")),
        owner_v = esc(query.owner.trim()),
        kind_l = esc(lang.pick("Soort", "Type", "Kind")),
        kinds = options(
            &[
                ("", lang.pick("alle", "tous", "all")),
                ("business", lang.pick("bedrijven", "entreprises", "businesses")),
                ("consumer", lang.pick("consumenten", "consommateurs", "consumers")),
            ],
            &query.kind
        ),
        bucket_l = esc(lang.pick(
            "Dagen over de vervaldatum (een open factuur)",
            "Jours après l'échéance (une facture ouverte)",
            "Days past due (an open invoice)"
        )),
        buckets = options(&buckets, &query.bucket),
        state_l = esc(lang.pick(
            "Met een open factuur",
            "Avec une facture ouverte",
            "With an open invoice"
        )),
        states = options(
            &[
                ("", lang.pick("alle", "tous", "all")),
                ("disputed", lang.pick("in geschil", "contestée", "in dispute")),
                (
                    "plan",
                    lang.pick(
                        "in een betalingsregeling",
                        "dans un plan de paiement",
                        "in a payment plan"
                    )
                ),
                (
                    "promised",
                    lang.pick(
                        "met een betaalbelofte",
                        "avec une promesse de paiement",
                        "with a promise to pay"
                    )
                ),
            ],
            &query.state
        ),
        sort_l = esc(lang.pick("Volgorde", "Ordre", "Order")),
        sorts = options(
            &[
                ("", lang.pick("zoals aangemaakt", "par création", "as created")),
                (
                    "overdue",
                    lang.pick(
                        "meest vervallen eerst",
                        "le plus d'échu d'abord",
                        "most overdue first"
                    )
                ),
                (
                    "open",
                    lang.pick("meest open eerst", "le plus d'ouvert d'abord", "most open first")
                ),
            ],
            &query.sort
        ),
    )
}

/// `GET /debtors/{number}`.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
) -> Response {
    debtor_page(&app, &staff, &number, StatusCode::OK, None).await
}

pub(crate) async fn debtor_page(
    app: &App,
    staff: &Staff,
    number: &str,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let org = staff.current.organisation_id;
    let view = match app.debtor_view(org, number).await {
        Ok(v) => v,
        Err(AppError::NotFound { .. }) => return staff.not_found(),
        Err(e) => return failure(&e),
    };
    let filter = InvoiceFilter {
        debtor_id: Some(view.debtor.id),
        status: Some(ItemStatus::Open),
        ..InvoiceFilter::default()
    };
    let items = match app.list_invoices(org, &filter, Rows::first(200)).await {
        Ok(i) => i,
        Err(e) => return failure(&e),
    };
    let timeline = match app.timeline(Some(&staff.current.slug), number).await {
        Ok(t) => t,
        Err(e) => return failure(&e),
    };
    let organisation = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o.organisation,
        Err(e) => return failure(&e),
    };
    // How late the debtor paid over the last twelve months (invoices settled in that time).
    let today = view.figures.as_of;
    let year_ago = today.checked_sub(jiff::Span::new().years(1)).unwrap_or(today);
    let behaviour = match app
        .payment_behaviour(Some(&staff.current.slug), year_ago, today, Some(view.debtor.id))
        .await
    {
        Ok(b) => b,
        Err(e) => return failure(&e),
    };
    let (policies, assignments) = match tokio::try_join!(
        app.dunning_policies(Some(&staff.current.slug)),
        app.dunning_assignments(Some(&staff.current.slug))
    ) {
        Ok(pa) => pa,
        Err(e) => return failure(&e),
    };
    let f = &view.figures;
    let d = &view.debtor.debtor;
    let currency = f.open.currency().code().to_owned();
    let currency = currency.as_str();
    let amount = |m: &arflow_core::money::Money| esc(&money(lang, &m.to_string()));
    let figure = |key: &str, id: &str, value: String| {
        format!(
            "<div class=\"card figure\"><span>{}</span><strong id=\"{id}\">{} {value}</strong></div>",
            esc(lang.t(key)),
            esc(currency)
        )
    };
    let mut figures = figure("open", "debtor-open", amount(&f.open));
    figures.push_str(&figure("overdue", "debtor-overdue", amount(&f.overdue)));
    figures.push_str(&figure("exposure", "debtor-exposure", amount(&f.exposure)));
    if let Some(limit) = &f.credit_limit {
        figures.push_str(&figure("credit_limit", "debtor-credit-limit", amount(limit)));
    }
    let late = behaviour
        .average_days_late
        .as_deref()
        .map_or_else(|| "—".to_owned(), |d| format!("{} {}", money(lang, d), lang.t("days")));
    figures.push_str(&format!(
        "<div class=\"card figure\"><span>{label}</span><strong id=\"debtor-days-late\">{late}</strong>\
         <small>{paid} {invoices}, {late_n} {too_late}</small></div>",
        label = esc(lang.pick(
            "Gemiddeld dagen te laat (12 maanden)",
            "Retard moyen en jours (12 mois)",
            "Average days late (12 months)",
        )),
        late = esc(&late),
        paid = behaviour.count,
        invoices = esc(lang.pick("betaalde facturen", "factures payées", "invoices paid")),
        late_n = behaviour.paid_late_count,
        too_late = esc(lang.pick("te laat", "en retard", "late")),
    ));
    let rows: String = items
        .iter()
        .map(|i| {
            format!(
                "<tr><td><a href=\"/invoices/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                segment(&i.invoice.number),
                esc(&i.invoice.number),
                i.invoice.issue_date,
                i.invoice.due_date,
                esc(i.invoice.payment_reference.as_deref().unwrap_or("")),
                amount(&i.open),
            )
        })
        .collect();
    let href = segment(number);
    let csrf = esc(&staff.session.csrf);
    let pause_block = match &d.pause {
        Some(p) if f.paused => format!(
            "<p id=\"pause-state\" class=\"notice\">{}: {}{}</p>\
             <form method=\"post\" action=\"/debtors/{href}/resume\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{}</button></form>",
            esc(lang.t("paused_because")),
            esc(&p.reason),
            p.until.map(|u| format!(" ({u})")).unwrap_or_default(),
            esc(lang.t("resume_dunning")),
        ),
        _ => format!(
            "<form method=\"post\" action=\"/debtors/{href}/pause\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"reason\">{}</label><input id=\"reason\" name=\"reason\" required maxlength=\"500\">\
             <label for=\"until\">{}</label><input id=\"until\" name=\"until\" type=\"date\">\
             <p><button type=\"submit\">{}</button></p></form>",
            esc(lang.t("reason")),
            esc(lang.t("until")),
            esc(lang.t("pause_dunning")),
        ),
    };
    let contacts: String = d
        .emails
        .iter()
        .chain(d.phones.iter())
        .map(|c| format!("<li>{}</li>", esc(&c.value)))
        .collect();
    let tz = organisation.time_zone.as_str();
    let entries: String = timeline
        .entries
        .iter()
        .take(50)
        .map(|e| format!("<li>{}</li>", timeline_line(e, tz)))
        .collect();
    // The policy in force, and where it comes from; an operator (or the debtor's owner in sales)
    // may choose another for this debtor, or go back to the organisation's rules.
    let own = assignments.by_debtor.get(&d.number);
    let in_force =
        assignments.policy_for(organisation.country, &d.number, d.kind, d.country, &d.segments);
    let may_note =
        staff.role.can_operate() || d.owner.as_deref() == Some(staff.session.user.email.as_str());
    let policy_block = {
        let source = if own.is_some() {
            lang.pick(
                "gekozen voor deze debiteur",
                "choisie pour ce débiteur",
                "chosen for this debtor",
            )
        } else {
            lang.pick(
                "volgens de regels van de organisatie",
                "selon les règles de l'organisation",
                "by the organisation's rules",
            )
        };
        let form = if staff.role.can_operate() {
            let options: String = std::iter::once((
                String::new(),
                lang.pick(
                    "regels van de organisatie",
                    "règles de l'organisation",
                    "the organisation's rules",
                )
                .to_owned(),
            ))
            .chain(policies.iter().map(|p| (p.id.clone(), format!("{} — {}", p.id, p.name))))
            .map(|(v, l)| {
                let selected = own.map_or(v.is_empty(), |o| *o == v);
                format!(
                    "<option value=\"{}\"{}>{}</option>",
                    esc(&v),
                    if selected { " selected" } else { "" },
                    esc(&l)
                )
            })
            .collect();
            format!(
                "<form method=\"post\" action=\"/debtors/{href}/policy\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label for=\"policy\">{label}</label><select id=\"policy\" name=\"policy\">{options}</select> \
                 <button type=\"submit\">{save}</button></form>",
                label = esc(lang.pick(
                    "Beleid voor deze debiteur",
                    "Politique pour ce débiteur",
                    "Policy for this debtor"
                )),
                save = esc(lang.t("save")),
            )
        } else {
            String::new()
        };
        format!(
            "<p>{label}: <a id=\"debtor-policy\" href=\"/policies/{phref}\">{policy}</a> ({source})</p>{form}",
            label = esc(lang.pick("Beleid", "Politique", "Policy")),
            phref = segment(&in_force),
            policy = esc(&in_force),
        )
    };
    let note_form = if may_note {
        format!(
            "<form method=\"post\" action=\"/debtors/{href}/notes\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"note\">{label}</label><textarea id=\"note\" name=\"note\" rows=\"3\" maxlength=\"2000\" required style=\"width:100%\"></textarea>\
             <p><button type=\"submit\">{add}</button></p></form>",
            label = esc(lang.pick("Notitie", "Note", "Note")),
            add = esc(lang.pick("Notitie toevoegen", "Ajouter la note", "Add note")),
        )
    } else {
        String::new()
    };
    let notice = notice
        .map_or_else(String::new, |n| format!("<p class=\"notice\" role=\"alert\">{}</p>", esc(n)));
    let portal =
        match super::portal_staff::card(app, staff, &d.number, &organisation.time_zone).await {
            Ok(p) => p,
            Err(e) => return failure(&e),
        };
    let body = format!(
        "<h1><span id=\"debtor-number\">{number}</span> · {name}</h1>{notice}\
         <section class=\"figures\">{figures}</section>\
         <section class=\"card\"><h2>{dunning}</h2>{policy_block}{pause_block}</section>\
         <section class=\"card\"><h2>{open_items}</h2><table id=\"open-items\"><thead><tr><th>{number_h}</th>\
         <th>{issue}</th><th>{due}</th><th>{reference}</th><th class=\"num\">{open} ({currency})</th></tr></thead>\
         <tbody>{rows}</tbody></table></section>\
         <section class=\"card\"><h2>{contacts_h}</h2><ul>{contacts}</ul></section>{portal}\
         <section class=\"card\"><h2>{timeline_h}</h2>{note_form}<ol id=\"timeline\">{entries}</ol></section>",
        number = esc(&d.number),
        name = esc(&d.name),
        dunning = esc(lang.t("dunning")),
        open_items = esc(lang.t("open_items")),
        number_h = esc(lang.t("number")),
        issue = esc(lang.t("issue_date")),
        due = esc(lang.t("due_date")),
        reference = esc(lang.t("reference")),
        open = esc(lang.t("open")),
        currency = esc(currency),
        contacts_h = esc(lang.t("contacts")),
        timeline_h = esc(lang.t("timeline")),
    );
    (status, Html(Page::layout(lang, &d.name, &Page::header(lang, &staff.session), &body)))
        .into_response()
}

/// One line of the timeline (HTML): when (in the organisation's time zone), and what; a note
/// shows its text.
fn timeline_line(e: &arflow_app::timeline::TimelineEntry, tz: &str) -> String {
    use arflow_app::timeline::TimelineEntry as T;
    let (at, what) = match e {
        T::Action { at, action } => (*at, format!("{} ({})", action.step_key, action.run_date)),
        T::Message { at, message } => {
            (*at, format!("{}: {}", message.message.channel, message.message.subject))
        }
        T::Charge { at, invoice, charge } => {
            (*at, format!("{} {}: {}", charge.kind, invoice, charge.amount))
        }
        T::Task { at, task } => (*at, format!("{}: {}", task.kind, task.title)),
        T::Payment { at, payment } => (
            *at,
            format!(
                "{} {} {} ({}{})",
                payment.payment.date,
                payment.payment.amount.currency().code(),
                payment.payment.amount,
                payment.payment.counterparty_name.as_deref().unwrap_or(""),
                payment.payment.reference.as_deref().map(|r| format!(", {r}")).unwrap_or_default(),
            ),
        ),
        T::Allocation { at, allocation } => (
            *at,
            format!(
                "{} {} {} → {}{}",
                allocation.effective_date,
                allocation.amount.currency().code(),
                allocation.amount,
                allocation.invoice_number,
                allocation
                    .credit_note_number
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
            ),
        ),
        T::Change { at, actor, action, details } if action == "debtor.note" => {
            let text = details.get("text").and_then(|t| t.as_str()).unwrap_or("");
            let when = arflow_app::local_time_in(*at, tz);
            return format!(
                "<span class=\"note\">{} · {} ({}):</span> <q>{}</q>",
                esc(&when),
                esc(action),
                esc(actor),
                esc(text)
            );
        }
        T::Change { at, actor, action, .. } => (*at, format!("{action} ({actor})")),
    };
    format!("{} · {}", esc(&arflow_app::local_time_in(at, tz)), esc(&what))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteIn {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /debtors/{number}/notes`: a note in the debtor's timeline. Operators may write on every
/// debtor; sales on the debtors it owns.
pub(crate) async fn note(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<NoteIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf) {
        return r;
    }
    let org = staff.current.organisation_id;
    if !staff.role.can_operate() {
        let owns = match app.debtor_view(org, &number).await {
            Ok(v) => v.debtor.debtor.owner.as_deref() == Some(staff.session.user.email.as_str()),
            Err(AppError::NotFound { .. }) => return staff.not_found(),
            Err(e) => return failure(&e),
        };
        if !owns {
            return super::forbidden(&staff.session);
        }
    }
    match app.add_debtor_note(org, &number, &form.note, &staff.actor()).await {
        Ok(()) => redirect_to(&format!("/debtors/{}", segment(&number))),
        Err(AppError::Invalid { message, .. }) => {
            debtor_page(&app, &staff, &number, StatusCode::UNPROCESSABLE_ENTITY, Some(&message))
                .await
        }
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PolicyIn {
    csrf: String,
    #[serde(default)]
    policy: String,
}

/// `POST /debtors/{number}/policy`: the policy for this debtor (empty: the organisation's rules).
pub(crate) async fn policy(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<PolicyIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let slug = staff.current.slug.clone();
    match app.debtor_view(staff.current.organisation_id, &number).await {
        Ok(_) => {}
        Err(AppError::NotFound { .. }) => return staff.not_found(),
        Err(e) => return failure(&e),
    }
    let mut assignments = match app.dunning_assignments(Some(&slug)).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let chosen = form.policy.trim();
    if chosen.is_empty() {
        assignments.by_debtor.remove(&number);
    } else {
        assignments.by_debtor.insert(number.clone(), chosen.to_owned());
    }
    match app.put_dunning_assignments(Some(&slug), assignments, &staff.actor()).await {
        Ok(_) => redirect_to(&format!("/debtors/{}", segment(&number))),
        Err(AppError::Invalid { message, .. }) => {
            debtor_page(&app, &staff, &number, StatusCode::UNPROCESSABLE_ENTITY, Some(&message))
                .await
        }
        Err(e) => failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PauseIn {
    csrf: String,
    reason: String,
    #[serde(default)]
    until: String,
}

/// `POST /debtors/{number}/pause`.
pub(crate) async fn pause(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<PauseIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let until = match form.until.trim() {
        "" => None,
        text => match arflow_core::date::parse_iso_date(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let msg = format!("{}: {e}", staff.lang.t("until"));
                return debtor_page(
                    &app,
                    &staff,
                    &number,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&msg),
                )
                .await;
            }
        },
    };
    let org = staff.current.organisation_id;
    match app.pause_debtor(org, &number, &form.reason, until, &staff.actor()).await {
        Ok(_) => redirect_to(&format!("/debtors/{}", segment(&number))),
        Err(AppError::Invalid { message, .. }) => {
            debtor_page(&app, &staff, &number, StatusCode::UNPROCESSABLE_ENTITY, Some(&message))
                .await
        }
        Err(AppError::NotFound { .. }) => {
            debtor_page(&app, &staff, &number, StatusCode::NOT_FOUND, None).await
        }
        Err(e) => failure(&e),
    }
}

/// `POST /debtors/{number}/resume`.
pub(crate) async fn resume(
    State(app): State<App>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<super::CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    match app.resume_debtor(staff.current.organisation_id, &number, &staff.actor()).await {
        Ok(_) => redirect_to(&format!("/debtors/{}", segment(&number))),
        Err(AppError::NotFound { .. }) => {
            debtor_page(&app, &staff, &number, StatusCode::NOT_FOUND, None).await
        }
        Err(e) => failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("D-1001"), "D-1001");
        assert_eq!(segment("A/B 1"), "A%2FB%201");
        assert_eq!(segment("é"), "%C3%A9");
    }
}
