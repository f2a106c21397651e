//! The dashboard (`GET /`): outstanding and overdue totals, the ageing with its chart, the DSO
//! trend over 12 months, the cash collected this month, today's tasks, today's dunning run and
//! its approval queue, uncertain messages and the bank entries waiting for a person.
//!
//! Every figure carries an `id` (amounts also a `data-amount` in the API's plain form) so a test
//! or a script reads it without parsing the text.

use arflow_app::App;
use arflow_app::dashboard::{DashboardReport, NextRunState};
use arflow_app::reports::AgeingReport;
use arflow_app::users::SessionView;
use arflow_core::kpi::AgeingBuckets;
use arflow_core::money::{Currency, Money};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

use super::chart::{self, Bar};
use super::debtors::segment;
use super::page::{Lang, Page, esc, money};
use super::{failure, redirect, session_of};

/// `GET /`.
pub(crate) async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let session = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return redirect("/login"),
        Err(e) => return failure(&e),
    };
    let lang = Lang::parse(&session.user.language).unwrap_or(Lang::En);
    let Some(current) = session.current.clone() else {
        return Html(Page::no_organisation(lang, &session)).into_response();
    };
    let slug = Some(current.slug.as_str());
    let ageing = match app.ageing(slug, None, None, &AgeingBuckets::default(), None).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    // The same day as the ageing, even when midnight passes between the two.
    let figures = match app.dashboard(slug, Some(ageing.as_of)).await {
        Ok(f) => f,
        Err(e) => return failure(&e),
    };
    // Before today's run: what it would do, as planned in the background.
    let next = if figures.run_today.is_none() {
        match app.resolve_organisation(slug).await {
            Ok(org) => Some((app.next_run(&org), org.organisation.time_zone)),
            Err(e) => return failure(&e),
        }
    } else {
        None
    };
    Html(render(lang, &session, &ageing, &figures, next.as_ref())).into_response()
}

/// A day figure as `lang` writes decimals: `41.3` (en), `41,3` (nl, fr).
fn days(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Nl | Lang::Fr => text.replace('.', ","),
    }
}

/// Minor units of an amount in the API's plain form (0 when it is not one, which the app never
/// gives).
fn minor(amount: &str, currency: Currency) -> i64 {
    Money::parse(amount, currency).map_or(0, |m| m.minor())
}

fn figure(lang: Lang, label: &str, id: &str, currency: &str, amount: &str) -> String {
    format!(
        "<div class=\"card figure\"><span>{}</span><strong id=\"{id}\" data-amount=\"{}\">{} {}</strong></div>",
        esc(label),
        esc(amount),
        esc(currency),
        esc(&money(lang, amount))
    )
}

fn bucket_label(lang: Lang, label: &str) -> String {
    if label == "not_due" {
        lang.t("not_due").to_owned()
    } else {
        format!("{label} {}", lang.t("days"))
    }
}

fn ageing_card(lang: Lang, ageing: &AgeingReport) -> String {
    let currency = ageing.currency.code();
    let rows: String = ageing
        .buckets
        .iter()
        .map(|b| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&bucket_label(lang, &b.label)),
                b.count,
                esc(&money(lang, &b.amount))
            )
        })
        .collect();
    let bars: Vec<Bar> = ageing
        .buckets
        .iter()
        .map(|b| Bar {
            label: bucket_label(lang, &b.label),
            value: minor(&b.amount, ageing.currency),
            text: money(lang, &b.amount),
        })
        .collect();
    let title = format!("{} {} ({currency})", lang.t("ageing"), ageing.as_of);
    format!(
        "<section class=\"card\"><h2>{h2}</h2>{chart}<table id=\"ageing-table\"><thead><tr><th>{bucket}</th>\
         <th class=\"num\">{invoices}</th><th class=\"num\">{amount} ({currency})</th></tr></thead>\
         <tbody>{rows}</tbody></table></section>",
        h2 = esc(&format!("{} {}", lang.t("ageing"), ageing.as_of)),
        chart = chart::horizontal_bars("ageing-chart", &title, &bars),
        bucket = esc(lang.t("bucket")),
        invoices = esc(lang.t("invoices")),
        amount = esc(lang.t("amount")),
        currency = esc(currency),
    )
}

fn dso_card(lang: Lang, d: &DashboardReport) -> String {
    let today = lang.pick("vandaag", "aujourd'hui", "today");
    let label = |i: usize, as_of: &arflow_core::date::Date| {
        if i + 1 == d.dso_trend.len() {
            today.to_owned()
        } else {
            as_of.to_string().get(..7).unwrap_or("").to_owned()
        }
    };
    let shown = |p: &arflow_app::dashboard::DsoTrendPoint| {
        let value = p.countback_days.as_deref().map_or_else(|| "–".to_owned(), |v| days(lang, v));
        if p.capped { format!("≥ {value}") } else { value }
    };
    let bars: Vec<Bar> = d
        .dso_trend
        .iter()
        .enumerate()
        .map(|(i, p)| Bar {
            label: label(i, &p.as_of),
            value: p.countback_tenths.unwrap_or(0),
            text: shown(p),
        })
        .collect();
    let title = lang.pick(
        "DSO (countback, dagen) aan het eind van elke maand en vandaag",
        "DSO (méthode countback, jours) à chaque fin de mois et aujourd'hui",
        "DSO (countback, days) at each month end and today",
    );
    let rows: String = d
        .dso_trend
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{date}</td><td class=\"num\" id=\"dso-{date}\">{countback}</td>\
                 <td class=\"num\">{standard}</td><td class=\"num\">{receivables}</td></tr>",
                date = p.as_of,
                countback = esc(&shown(p)),
                standard =
                    esc(&p.standard_days.as_deref().map_or_else(|| "–".into(), |v| days(lang, v))),
                receivables = esc(&money(lang, &p.receivables)),
            )
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>{h2}</h2>{chart}<p>{explain}</p><table><thead><tr><th>{date}</th>\
         <th class=\"num\">{countback}</th><th class=\"num\">{standard}</th>\
         <th class=\"num\">{receivables} ({currency})</th></tr></thead><tbody>{rows}</tbody></table></section>",
        h2 = esc(lang.pick("DSO over 12 maanden", "DSO sur 12 mois", "DSO over 12 months")),
        chart = chart::vertical_bars("dso-chart", title, &bars),
        explain = esc(lang.pick(
            "Dagen omzet die de vorderingen vertegenwoordigen. Countback: de vorderingen tegen de omzet van de laatste maanden, maand voor maand. Standaard: vorderingen gedeeld door de omzet van 90 dagen, maal 90.",
            "Jours de ventes que représentent les créances. Countback : les créances imputées aux ventes des derniers mois, mois par mois. Standard : créances divisées par les ventes de 90 jours, fois 90.",
            "Days of sales the receivables represent. Countback: the receivables set against the latest months' sales, month by month. Standard: receivables divided by 90 days of sales, times 90.",
        )),
        date = esc(lang.pick("Datum", "Date", "Date")),
        countback = esc(lang.pick("DSO countback", "DSO countback", "DSO countback")),
        standard = esc(lang.pick("DSO standaard (90 dagen)", "DSO standard (90 jours)", "DSO standard (90 days)")),
        receivables = esc(lang.pick("Vorderingen", "Créances", "Receivables")),
        currency = esc(d.currency.code()),
    )
}

fn tasks_card(lang: Lang, d: &DashboardReport) -> String {
    let items: String = d
        .first_tasks
        .iter()
        .map(|t| {
            format!(
                "<li id=\"dashboard-task-{id}\">{title} · {due_label} {due} · <a href=\"/debtors/{href}\">{debtor}</a></li>",
                id = t.id,
                title = esc(&t.title),
                due_label = esc(lang.t("due_date")),
                due = t.due_on,
                href = segment(&t.debtor_number),
                debtor = esc(&t.debtor_number),
            )
        })
        .collect();
    let list = if items.is_empty() {
        String::new()
    } else {
        format!("<ul id=\"first-tasks\">{items}</ul>")
    };
    format!(
        "<section class=\"card\"><h2>{h2}</h2><p><strong id=\"open-tasks\">{n}</strong> {open}</p>{list}\
         <p><a href=\"/tasks\">{all}</a></p></section>",
        h2 = esc(lang.pick("Taken van vandaag", "Tâches du jour", "Today's tasks")),
        n = d.open_tasks,
        open = esc(lang.pick("open taken", "tâches ouvertes", "open tasks")),
        all = esc(lang.pick("Alle taken", "Toutes les tâches", "All tasks")),
    )
}

fn run_card(lang: Lang, d: &DashboardReport, next: Option<&(NextRunState, String)>) -> String {
    let (status, text) = match d.run_today.as_deref() {
        None => match next {
            Some((NextRunState::Ready(_), _)) => (
                "planned",
                lang.pick(
                    "De aanmaanrun van vandaag heeft nog niet gedraaid. Zo zou hij nu lopen:",
                    "Le cycle de relance du jour n'a pas encore tourné. Voici ce qu'il ferait maintenant :",
                    "Today's dunning run has not run yet. This is what it would do now:",
                ),
            ),
            _ => (
                "planning",
                lang.pick(
                    "De aanmaanrun van vandaag heeft nog niet gedraaid. Wat hij zal doen wordt nu op de achtergrond berekend: vernieuw de pagina zo meteen.",
                    "Le cycle de relance du jour n'a pas encore tourné. Ce qu'il fera est calculé en arrière-plan : rechargez la page dans un instant.",
                    "Today's dunning run has not run yet. What it will do is being worked out in the background: reload the page in a moment.",
                ),
            ),
        },
        Some("done") => (
            "done",
            lang.pick(
                "De aanmaanrun van vandaag is klaar. Zijn acties:",
                "Le cycle de relance du jour est terminé. Ses actions :",
                "Today's dunning run is done. Its actions:",
            ),
        ),
        Some(_) => (
            "running",
            lang.pick(
                "De aanmaanrun van vandaag loopt. Zijn acties tot nu toe:",
                "Le cycle de relance du jour est en cours. Ses actions jusqu'ici :",
                "Today's dunning run is running. Its actions so far:",
            ),
        ),
    };
    let planned = match (d.run_today.as_deref(), next) {
        (None, Some((NextRunState::Ready(n), tz))) => Some((n, tz)),
        _ => None,
    };
    let (steps, total) = match planned {
        Some((n, _)) => (n.steps.as_slice(), n.actions),
        None => (d.run_steps.as_slice(), d.run_steps.iter().map(|s| s.actions).sum()),
    };
    let plan_note = match planned {
        Some((n, tz)) => format!(
            "<p id=\"next-run\" data-awaiting=\"{awaiting}\">{open_l} <strong>{currency} {open}</strong>; \
             {refused} {refused_l}, {skipped} {skipped_l}. {planned_l} <time>{at}</time>.</p>",
            awaiting = n.awaiting_approval,
            open_l = esc(lang.pick("Samen open:", "Ouvert en tout :", "Open in all:")),
            currency = esc(d.currency.code()),
            open = esc(&money(lang, &n.open)),
            refused = n.refused,
            refused_l = esc(lang.pick(
                "stappen geweigerd door de wettelijke regels",
                "étapes refusées par les règles légales",
                "steps refused by the legal rules"
            )),
            skipped = n.skipped,
            skipped_l =
                esc(lang.pick("debiteuren overgeslagen", "débiteurs ignorés", "debtors skipped")),
            planned_l = esc(lang.pick("Berekend om", "Calculé à", "Worked out at")),
            at = esc(&arflow_app::local_time_in(n.planned_at, tz)),
        ),
        None => String::new(),
    };
    let table = if d.run_today.is_none() && planned.is_none() {
        String::new()
    } else {
        let rows: String = steps
            .iter()
            .map(|s| {
                format!(
                    "<tr><td>{step}</td><td>{channels}</td><td class=\"num\">{n}</td><td class=\"num\">{waiting}</td></tr>",
                    step = esc(&s.step),
                    channels = esc(&s.channels.join(", ")),
                    n = s.actions,
                    waiting = s.awaiting_approval,
                )
            })
            .collect();
        format!(
            "<p><strong id=\"run-actions\">{total}</strong> {actions}</p><table id=\"run-steps\"><thead><tr>\
             <th>{step}</th><th>{channels}</th><th class=\"num\">{count}</th><th class=\"num\">{waiting}</th></tr></thead>\
             <tbody>{rows}</tbody></table>{plan_note}",
            actions = esc(lang.pick("acties", "actions", "actions")),
            step = esc(lang.t("step")),
            channels = esc(lang.pick("Kanalen", "Canaux", "Channels")),
            count = esc(lang.pick("Acties", "Actions", "Actions")),
            waiting = esc(lang.pick(
                "Wacht op goedkeuring",
                "En attente d'approbation",
                "Awaiting approval"
            )),
        )
    };
    format!(
        "<section class=\"card\"><h2>{h2}</h2><p id=\"run-today\" data-status=\"{status}\">{text}</p>{table}\
         <p>{queue_label}: <strong id=\"actions-awaiting-approval\">{queue}</strong></p>\
         <p><a href=\"/dunning\">{link}</a></p></section>",
        h2 = esc(lang.pick("Aanmaanrun", "Cycle de relance", "Dunning run")),
        text = esc(text),
        queue_label = esc(lang.pick(
            "Acties (van alle dagen) die wachten op goedkeuring",
            "Actions (de tous les jours) en attente d'approbation",
            "Actions (of any day) waiting for approval",
        )),
        queue = d.actions_awaiting_approval,
        link = esc(lang.pick(
            "Aanmanen: voorbeeld en goedkeuringen",
            "Rappels : aperçu et approbations",
            "Dunning: preview and approvals",
        )),
    )
}

fn attention_cards(lang: Lang, d: &DashboardReport) -> String {
    let currency = d.currency.code();
    format!(
        "<section class=\"card\"><h2>{uncertain_h2}</h2><p><strong id=\"uncertain-messages\">{uncertain}</strong> {uncertain_text}</p>\
         <p><a href=\"/outbox\">{outbox}</a></p></section>\
         <section class=\"card\"><h2>{entries_h2}</h2><p><strong id=\"entries-waiting\">{entries}</strong> {entries_text}, \
         {total_label} <strong id=\"entries-waiting-total\" data-amount=\"{total_raw}\">{currency} {total}</strong></p>\
         <p><a href=\"/matches\">{matches}</a></p></section>",
        uncertain_h2 = esc(lang.pick("Onzekere berichten", "Messages incertains", "Uncertain messages")),
        uncertain = d.uncertain_messages,
        uncertain_text = esc(lang.pick(
            "berichten waarbij het verzenden werd onderbroken: iemand moet nagaan of ze zijn aangekomen.",
            "messages dont l'envoi a été interrompu : quelqu'un doit vérifier s'ils sont partis.",
            "messages whose sending was interrupted: a person must check whether they went out.",
        )),
        outbox = esc(lang.pick("Naar de outbox", "Vers la boîte d'envoi", "To the outbox")),
        entries_h2 = esc(lang.pick("Niet gematchte betalingen", "Paiements non rapprochés", "Unmatched payments")),
        entries = d.entries_waiting,
        entries_text = esc(lang.pick(
            "bankmutaties wachten op beoordeling",
            "mouvements bancaires attendent une vérification",
            "bank entries wait for review",
        )),
        total_label = esc(lang.pick("samen", "pour un total de", "together")),
        total_raw = esc(&d.entries_waiting_total),
        currency = esc(currency),
        total = esc(&money(lang, &d.entries_waiting_total)),
        matches = esc(lang.t("matches")),
    )
}

fn render(
    lang: Lang,
    session: &SessionView,
    ageing: &AgeingReport,
    d: &DashboardReport,
    next: Option<&(NextRunState, String)>,
) -> String {
    let currency = ageing.currency.code();
    let dso_today = d.dso_trend.last();
    let dso_value = dso_today.and_then(|p| p.countback_days.as_deref()).unwrap_or("");
    let cash_label = format!(
        "{} {}",
        lang.pick("Ontvangen sinds", "Encaissé depuis le", "Collected since"),
        d.month_from
    );
    let body = format!(
        "<h1>{title}</h1><section class=\"figures\" aria-label=\"{title}\">{outstanding}{overdue}{unapplied}{cash}\
         <div class=\"card figure\"><span>{dso_label}</span><strong id=\"dso-today\" data-days=\"{dso_raw}\">{dso}</strong></div></section>\
         {ageing}{dso_card}<div class=\"figures\">{tasks}{run}</div><div class=\"figures\">{attention}</div>",
        title = esc(lang.t("dashboard")),
        outstanding = figure(lang, lang.t("outstanding"), "outstanding", currency, &ageing.total),
        overdue = figure(lang, lang.t("overdue"), "overdue", currency, &ageing.overdue),
        unapplied = figure(lang, lang.t("unapplied"), "unapplied", currency, &ageing.unapplied),
        cash = figure(lang, &cash_label, "cash-this-month", currency, &d.cash_this_month),
        dso_label = esc(lang.pick(
            "DSO vandaag (countback)",
            "DSO aujourd'hui (countback)",
            "DSO today (countback)"
        )),
        dso_raw = esc(dso_value),
        dso = esc(&format!("{} {}", days(lang, dso_value), lang.t("days"))),
        ageing = ageing_card(lang, ageing),
        dso_card = dso_card(lang, d),
        tasks = tasks_card(lang, d),
        run = run_card(lang, d, next),
        attention = attention_cards(lang, d),
    );
    Page::layout(lang, lang.t("dashboard"), &Page::header(lang, session), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_with_the_languages_decimal_sign() {
        assert_eq!(days(Lang::Nl, "83.0"), "83,0");
        assert_eq!(days(Lang::Fr, "1080.5"), "1080,5");
        assert_eq!(days(Lang::En, "83.0"), "83.0");
        assert_eq!(minor("1234.56", Currency::EUR), 123_456);
        assert_eq!(minor("-0.05", Currency::EUR), -5);
    }
}
