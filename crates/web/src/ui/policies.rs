//! The policy editor: every step of a dunning policy (timing, template, channels, charges,
//! minimum open amount, approval) in one form. Saving stores the next version (the run uses it
//! from then on; actions already taken keep the version they were planned with); an edit of an
//! older version than the one in force is refused rather than written over someone else's.

use arflow_app::dunning::PolicySave;
use arflow_app::{App, AppError};
use arflow_core::dunning::{Channel, ChargeRule, Policy, Step, Template, Trigger};
use arflow_core::money::{Currency, Money};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::debtors::segment;
use super::page::{Lang, esc, form_amount};
use super::{Staff, failure, redirect_to};

const TEMPLATES: [Template; 8] = [
    Template::Courtesy,
    Template::Reminder,
    Template::SecondReminder,
    Template::Demand,
    Template::NoticeOfDefault,
    Template::BeConsumerFirstReminder,
    Template::PreLegal,
    Template::Handover,
];

const CHANNELS: [Channel; 6] = [
    Channel::Email,
    Channel::LetterAttached,
    Channel::LetterPost,
    Channel::Sms,
    Channel::Phone,
    Channel::Handover,
];

fn title(lang: Lang) -> &'static str {
    lang.pick("Beleid", "Politiques", "Policies")
}

fn channel_label(lang: Lang, c: Channel) -> &'static str {
    match c {
        Channel::Email => lang.pick("e-mail", "e-mail", "e-mail"),
        Channel::LetterAttached => {
            lang.pick("brief als bijlage", "lettre en pièce jointe", "letter attached")
        }
        Channel::LetterPost => lang.pick("brief per post", "lettre par la poste", "letter by post"),
        Channel::Sms => lang.pick("sms", "SMS", "text message"),
        Channel::Phone => lang.pick("bellen (taak)", "appel (tâche)", "call (task)"),
        Channel::Handover => {
            lang.pick("overdracht (dossier)", "transfert (dossier)", "hand-over (dossier)")
        }
    }
}

/// `GET /policies`: the policies in force and which applies to whom.
pub(crate) async fn list(State(app): State<App>, staff: Staff) -> Response {
    let lang = staff.lang;
    let slug = staff.current.slug.clone();
    let policies = match app.dunning_policies(Some(&slug)).await {
        Ok(p) => p,
        Err(e) => return failure(&e),
    };
    let assignments = match app.dunning_assignments(Some(&slug)).await {
        Ok(a) => a,
        Err(e) => return failure(&e),
    };
    let rows: String = policies
        .iter()
        .map(|p| {
            let steps: Vec<&str> = p.steps.iter().map(|s| s.key.as_str()).collect();
            format!(
                "<tr><td><a href=\"/policies/{href}\">{id}</a></td><td>{name}</td><td class=\"num\">{version}</td><td>{steps}</td></tr>",
                href = segment(&p.id),
                id = esc(&p.id),
                name = esc(&p.name),
                version = p.version,
                steps = esc(&steps.join(" → ")),
            )
        })
        .collect();
    let rules = |label: &str, map: &std::collections::BTreeMap<String, String>| {
        if map.is_empty() {
            return String::new();
        }
        let items: String = map
            .iter()
            .map(|(k, v)| {
                format!("<li>{} → <a href=\"/policies/{}\">{}</a></li>", esc(k), segment(v), esc(v))
            })
            .collect();
        format!("<h3>{}</h3><ul>{items}</ul>", esc(label))
    };
    let assigned = [
        rules(lang.pick("Per debiteur", "Par débiteur", "By debtor"), &assignments.by_debtor),
        rules(lang.pick("Per segment", "Par segment", "By segment"), &assignments.by_segment),
        rules(
            lang.pick("Per land en soort", "Par pays et type", "By country and kind"),
            &assignments.by_country_kind,
        ),
        rules(lang.pick("Per soort", "Par type", "By kind"), &assignments.by_kind),
    ]
    .concat();
    let assigned = if assigned.is_empty() {
        format!(
            "<p>{}</p>",
            esc(lang.pick(
                "Geen eigen toewijzingen: elke debiteur krijgt het standaardbeleid van zijn soort en het land van de organisatie.",
                "Pas d'affectations propres : chaque débiteur reçoit la politique par défaut de son type et du pays de l'organisation.",
                "No assignments of its own: every debtor gets the default policy of its kind and the organisation's country.",
            ))
        )
    } else {
        assigned
    };
    let body = format!(
        "<h1>{title}</h1><table class=\"card\"><thead><tr><th>Id</th><th>{name}</th><th class=\"num\">{version}</th>\
         <th>{steps}</th></tr></thead><tbody>{rows}</tbody></table>\
         <section class=\"card\"><h2>{who}</h2>{assigned}</section>",
        title = esc(title(lang)),
        name = esc(lang.pick("Naam", "Nom", "Name")),
        version = esc(lang.pick("Versie", "Version", "Version")),
        steps = esc(lang.pick("Stappen", "Étapes", "Steps")),
        who = esc(lang.pick(
            "Welk beleid voor wie",
            "Quelle politique pour qui",
            "Which policy for whom"
        )),
    );
    staff.page(StatusCode::OK, title(lang), &body)
}

/// `GET /policies/{id}`: the editor.
pub(crate) async fn show(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    let org = match app.resolve_organisation(Some(&staff.current.slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    match app.dunning_policy(Some(&staff.current.slug), &id).await {
        Ok(p) => editor(&staff, &p, org.organisation.currency, StatusCode::OK, &[]),
        Err(AppError::NotFound { .. }) => staff.not_found(),
        Err(e) => failure(&e),
    }
}

fn amount_text(m: Money) -> String {
    m.to_string()
}

fn editor(
    staff: &Staff,
    p: &Policy,
    currency: Currency,
    status: StatusCode,
    problems: &[String],
) -> Response {
    let lang = staff.lang;
    let can = staff.role.can_operate();
    let disabled = if can { "" } else { " disabled" };
    let blank = Step {
        key: String::new(),
        template: Template::Reminder,
        trigger: Trigger::PreviousStep { days: 14 },
        channels: vec![Channel::Email],
        charges: Vec::new(),
        min_open: Money::zero(currency),
        approval: false,
    };
    let steps: String = p
        .steps
        .iter()
        .chain(can.then_some(&blank))
        .enumerate()
        .map(|(i, s)| step_row(lang, i, s, i == p.steps.len(), disabled))
        .collect();
    let notice = if problems.is_empty() {
        String::new()
    } else {
        let items: String = problems.iter().map(|m| format!("<li>{}</li>", esc(m))).collect();
        format!(
            "<div class=\"notice\" role=\"alert\" id=\"policy-problems\"><ul>{items}</ul></div>"
        )
    };
    let save = if can {
        format!(
            "<p><label for=\"new_id\">{as_new}</label><input id=\"new_id\" name=\"new_id\" pattern=\"[a-z0-9-]{{1,64}}\" \
             placeholder=\"{placeholder}\"></p><p><button type=\"submit\" id=\"save-policy\">{save}</button></p>",
            as_new = esc(lang.pick(
                "Opslaan als nieuw beleid met id (leeg: deze versie bijwerken)",
                "Enregistrer comme nouvelle politique avec l'id (vide : mettre à jour celle-ci)",
                "Save as a new policy with id (empty: update this one)",
            )),
            placeholder = esc(lang.pick(
                "bv. nl-grote-klanten",
                "p. ex. be-grands-comptes",
                "e.g. nl-key-accounts"
            )),
            save = esc(lang.t("save")),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title_l} <span id=\"policy-id\">{id}</span> · {version_l} {version}</h1>{notice}\
         <form method=\"post\" action=\"/policies/{href}\" class=\"card\" id=\"policy-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"version\" value=\"{version}\">\
         <label for=\"name\">{name_l}</label><input id=\"name\" name=\"name\" value=\"{name}\" required maxlength=\"200\"{disabled}>\
         <label for=\"min_gap_days\">{gap_l}</label><input id=\"min_gap_days\" name=\"min_gap_days\" type=\"number\" min=\"0\" max=\"365\" value=\"{gap}\"{disabled}>\
         <label><input type=\"checkbox\" name=\"one_message_per_debtor\"{one}{disabled}> {one_l}</label>\
         <h2>{steps_l}</h2><p>{steps_help}</p>{steps}{save}</form>\
         <p><a href=\"/policies\">{back}</a> · <a href=\"/dunning\">{dunning}</a></p>",
        title_l = esc(lang.pick("Beleid", "Politique", "Policy")),
        id = esc(&p.id),
        version_l = esc(lang.pick("versie", "version", "version")),
        version = p.version,
        href = segment(&p.id),
        csrf = esc(&staff.session.csrf),
        name_l = esc(lang.pick("Naam", "Nom", "Name")),
        name = esc(&p.name),
        gap_l = esc(lang.pick(
            "Minimaal aantal dagen tussen twee contacten met een debiteur",
            "Nombre minimal de jours entre deux contacts avec un débiteur",
            "Fewest days between two contacts with a debtor",
        )),
        gap = p.min_gap_days,
        one = if p.one_message_per_debtor { " checked" } else { "" },
        one_l = esc(lang.pick(
            "Eén bericht per debiteur met al zijn posten (anders één per factuur)",
            "Un message par débiteur avec tous ses postes (sinon un par facture)",
            "One message per debtor listing all its items (else one per invoice)",
        )),
        steps_l = esc(lang.pick("Stappen", "Étapes", "Steps")),
        steps_help = esc(lang.pick(
            "De volgorde bepaalt de stappen; de eerste stap telt vanaf de vervaldatum. Laat de sleutel van de lege stap leeg om er geen toe te voegen. Wettelijke regels (zoals de 14-dagenbrief of de gratis eerste herinnering) gelden altijd, wat het beleid ook zegt.",
            "L'ordre détermine les étapes ; la première compte à partir de l'échéance. Laissez vide la clé de l'étape vide pour ne rien ajouter. Les règles légales (comme le premier rappel gratuit) s'appliquent toujours, quoi que dise la politique.",
            "The order decides the steps; the first counts from the due date. Leave the empty step's key empty to add none. Legal rules (such as the 14-day letter or the free first reminder) always apply, whatever the policy says.",
        )),
        back = esc(title(lang)),
        dunning = esc(lang.pick("Wat zou een run doen?", "Que ferait une relance ?", "What would a run do?")),
    );
    staff.page(status, &p.id, &body)
}

fn step_row(lang: Lang, i: usize, s: &Step, is_new: bool, disabled: &str) -> String {
    let templates: String = TEMPLATES
        .iter()
        .map(|t| {
            format!(
                "<option value=\"{v}\"{sel}>{v}</option>",
                v = t.as_str(),
                sel = if *t == s.template { " selected" } else { "" }
            )
        })
        .collect();
    let (after, days) = match s.trigger {
        Trigger::DueDate { days } => ("due_date", i64::from(days)),
        Trigger::PreviousStep { days } => ("previous_step", i64::from(days)),
    };
    let channels: String = CHANNELS
        .iter()
        .map(|c| {
            format!(
                "<label style=\"display:inline;margin-right:1rem\"><input type=\"checkbox\" name=\"s{i}.ch.{v}\"{chk}{disabled}> {label}</label>",
                v = c.as_str(),
                chk = if s.channels.contains(c) { " checked" } else { "" },
                label = esc(channel_label(lang, *c)),
            )
        })
        .collect();
    let has = |want: &str| {
        s.charges.iter().any(|c| {
            matches!(
                (c, want),
                (ChargeRule::CollectionCosts, "collection_costs")
                    | (ChargeRule::Interest, "interest")
            )
        })
    };
    let fee = s
        .charges
        .iter()
        .find_map(|c| {
            if let ChargeRule::Fee { amount } = c { Some(amount_text(*amount)) } else { None }
        })
        .unwrap_or_default();
    let legend = if is_new {
        lang.pick("Nieuwe stap", "Nouvelle étape", "New step").to_owned()
    } else {
        format!("{} {}: {}", lang.t("step"), i + 1, s.key)
    };
    let remove = if is_new {
        String::new()
    } else {
        format!(
            "<label><input type=\"checkbox\" name=\"s{i}.remove\"{disabled}> {}</label>",
            esc(lang.pick("Deze stap weghalen", "Supprimer cette étape", "Remove this step"))
        )
    };
    format!(
        "<fieldset class=\"step\" id=\"step-{i}\"><legend>{legend}</legend>\
         <label for=\"s{i}.order\">{order_l}</label><input id=\"s{i}.order\" name=\"s{i}.order\" type=\"number\" min=\"1\" value=\"{order}\"{disabled}>\
         <label for=\"s{i}.key\">{key_l}</label><input id=\"s{i}.key\" name=\"s{i}.key\" value=\"{key}\" maxlength=\"64\"{disabled}>\
         <label for=\"s{i}.template\">{template_l}</label><select id=\"s{i}.template\" name=\"s{i}.template\"{disabled}>{templates}</select>\
         <label for=\"s{i}.days\">{when_l}</label><input id=\"s{i}.days\" name=\"s{i}.days\" type=\"number\" value=\"{days}\"{disabled}> \
         <select id=\"s{i}.after\" name=\"s{i}.after\" aria-label=\"{after_l}\"{disabled}>\
         <option value=\"due_date\"{due_sel}>{due_l}</option><option value=\"previous_step\"{prev_sel}>{prev_l}</option></select>\
         <p>{channels_l}: {channels}</p>\
         <p>{charges_l}: <label style=\"display:inline;margin-right:1rem\"><input type=\"checkbox\" name=\"s{i}.collection_costs\"{cc}{disabled}> {cc_l}</label>\
         <label style=\"display:inline;margin-right:1rem\"><input type=\"checkbox\" name=\"s{i}.interest\"{int}{disabled}> {int_l}</label></p>\
         <label for=\"s{i}.fee\">{fee_l}</label><input id=\"s{i}.fee\" name=\"s{i}.fee\" value=\"{fee}\" inputmode=\"decimal\"{disabled}>\
         <label for=\"s{i}.min_open\">{min_l}</label><input id=\"s{i}.min_open\" name=\"s{i}.min_open\" value=\"{min}\" inputmode=\"decimal\"{disabled}>\
         <label><input type=\"checkbox\" name=\"s{i}.approval\"{appr}{disabled}> {appr_l}</label>{remove}</fieldset>",
        order_l = esc(lang.pick("Volgorde", "Ordre", "Order")),
        order = i + 1,
        key_l = esc(lang.pick("Sleutel", "Clé", "Key")),
        key = esc(&s.key),
        template_l = esc(lang.pick("Sjabloon", "Modèle", "Template")),
        when_l = esc(lang.pick("Wanneer: aantal dagen", "Quand : nombre de jours", "When: number of days")),
        after_l = esc(lang.pick("na", "après", "after")),
        due_sel = if after == "due_date" { " selected" } else { "" },
        prev_sel = if after == "previous_step" { " selected" } else { "" },
        due_l = esc(lang.pick(
            "na de vervaldatum (negatief: ervoor)",
            "après l'échéance (négatif : avant)",
            "after the due date (negative: before)",
        )),
        prev_l = esc(lang.pick("na de vorige stap", "après l'étape précédente", "after the previous step")),
        channels_l = esc(lang.pick("Kanalen", "Canaux", "Channels")),
        charges_l = esc(lang.pick("Kosten", "Frais", "Charges")),
        cc = if has("collection_costs") { " checked" } else { "" },
        cc_l = esc(lang.pick("incassokosten (wettelijk)", "frais de recouvrement (légaux)", "collection costs (statutory)")),
        int = if has("interest") { " checked" } else { "" },
        int_l = esc(lang.pick("rente (wettelijk)", "intérêts (légaux)", "interest (statutory)")),
        fee_l = esc(lang.pick(
            "Vaste administratiekosten (leeg: geen; alleen waar contract en wet het toelaten)",
            "Frais administratifs fixes (vide : aucun ; seulement si le contrat et la loi le permettent)",
            "Fixed administration fee (empty: none; only where contract and law allow it)",
        )),
        min_l = esc(lang.pick("Minimaal openstaand bedrag", "Montant ouvert minimal", "Minimum open amount")),
        min = esc(&amount_text(s.min_open)),
        appr = if s.approval { " checked" } else { "" },
        appr_l = esc(lang.pick(
            "Een persoon keurt goed voordat er iets vertrekt",
            "Une personne approuve avant tout envoi",
            "A person approves before anything goes out",
        )),
    )
}

/// The policy a submitted form describes, or every problem in it (field: reason).
fn policy_from_form(
    lang: Lang,
    id: &str,
    form: &[(String, String)],
    currency: Currency,
) -> (Policy, Vec<String>) {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let on = |name: &str| field(name).is_some();
    let mut problems = Vec::new();
    let version = field("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let min_gap_days = match field("min_gap_days").unwrap_or("0").parse::<u32>() {
        Ok(d) => d,
        Err(_) => {
            problems.push(format!(
                "{}: {}",
                lang.pick(
                    "dagen tussen contacten",
                    "jours entre contacts",
                    "days between contacts"
                ),
                lang.pick(
                    "een geheel getal van 0 of meer",
                    "un nombre entier de 0 ou plus",
                    "a whole number of 0 or more"
                )
            ));
            0
        }
    };
    let mut steps: Vec<(i64, usize, Step)> = Vec::new();
    for i in 0..=arflow_core::dunning::POLICY_STEPS_MAX {
        let name = |f: &str| format!("s{i}.{f}");
        let Some(key) = field(&name("key")) else { continue };
        if key.is_empty() || on(&name("remove")) {
            continue;
        }
        let label = format!("{} {} ({key})", lang.t("step"), i + 1);
        let template = field(&name("template"))
            .and_then(|t| TEMPLATES.iter().copied().find(|x| x.as_str() == t))
            .unwrap_or_else(|| {
                problems.push(format!(
                    "{label}: {}",
                    lang.pick("onbekend sjabloon", "modèle inconnu", "unknown template")
                ));
                Template::Reminder
            });
        let days: i64 = field(&name("days")).and_then(|d| d.parse().ok()).unwrap_or_else(|| {
            problems.push(format!(
                "{label}: {}",
                lang.pick(
                    "aantal dagen ontbreekt",
                    "nombre de jours manquant",
                    "number of days missing"
                )
            ));
            0
        });
        let trigger = match field(&name("after")) {
            Some("previous_step") => match u32::try_from(days) {
                Ok(d) => Trigger::PreviousStep { days: d },
                Err(_) => {
                    problems.push(format!(
                        "{label}: {}",
                        lang.pick(
                            "na de vorige stap telt 0 dagen of meer",
                            "après l'étape précédente, 0 jour ou plus",
                            "after the previous step counts 0 days or more",
                        )
                    ));
                    Trigger::PreviousStep { days: 0 }
                }
            },
            _ => match i32::try_from(days) {
                Ok(d) if d.abs() <= 3650 => Trigger::DueDate { days: d },
                _ => {
                    problems.push(format!(
                        "{label}: {}",
                        lang.pick("te veel dagen", "trop de jours", "too many days")
                    ));
                    Trigger::DueDate { days: 0 }
                }
            },
        };
        let channels: Vec<Channel> =
            CHANNELS.iter().copied().filter(|c| on(&name(&format!("ch.{}", c.as_str())))).collect();
        let mut charges = Vec::new();
        if on(&name("collection_costs")) {
            charges.push(ChargeRule::CollectionCosts);
        }
        if on(&name("interest")) {
            charges.push(ChargeRule::Interest);
        }
        match form_amount(field(&name("fee")).unwrap_or(""), currency) {
            Ok(Some(amount)) => charges.push(ChargeRule::Fee { amount }),
            Ok(None) => {}
            Err(e) => {
                problems.push(format!("{label}: {}: {e}", lang.pick("kosten", "frais", "fee")))
            }
        }
        let min_open = match form_amount(field(&name("min_open")).unwrap_or(""), currency) {
            Ok(m) => m.unwrap_or(Money::zero(currency)),
            Err(e) => {
                problems
                    .push(format!("{label}: {}: {e}", lang.pick("minimum", "minimum", "minimum")));
                Money::zero(currency)
            }
        };
        let order = field(&name("order")).and_then(|o| o.parse().ok()).unwrap_or(i64::MAX);
        steps.push((
            order,
            i,
            Step {
                key: key.to_owned(),
                template,
                trigger,
                channels,
                charges,
                min_open,
                approval: on(&name("approval")),
            },
        ));
    }
    steps.sort_by_key(|(order, i, _)| (*order, *i));
    let new_id = field("new_id").filter(|n| !n.is_empty());
    let policy = Policy {
        id: new_id.unwrap_or(id).to_owned(),
        version: if new_id.is_some() { 0 } else { version },
        name: field("name").unwrap_or("").to_owned(),
        steps: steps.into_iter().map(|(_, _, s)| s).collect(),
        min_gap_days,
        one_message_per_debtor: on("one_message_per_debtor"),
    };
    (policy, problems)
}

/// `POST /policies/{id}`: stores the edited policy as its next version (or, with `new_id`, as a
/// new policy). Every problem is shown with the form as it was sent, and nothing is stored.
pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = form.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str());
    if let Err(r) = staff.check_csrf(csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let lang = staff.lang;
    let slug = staff.current.slug.clone();
    let org = match app.resolve_organisation(Some(&slug)).await {
        Ok(o) => o,
        Err(e) => return failure(&e),
    };
    let currency = org.organisation.currency;
    // The policy must exist to be edited; a new one starts as a copy of an existing one.
    let current = match app.dunning_policy(Some(&slug), &id).await {
        Ok(p) => p,
        Err(AppError::NotFound { .. }) => return staff.not_found(),
        Err(e) => return failure(&e),
    };
    let (policy, problems) = policy_from_form(lang, &id, &form, currency);
    if !problems.is_empty() {
        let shown = Policy { id: current.id.clone(), version: current.version, ..policy };
        return editor(&staff, &shown, currency, StatusCode::UNPROCESSABLE_ENTITY, &problems);
    }
    if policy.id != current.id && app.dunning_policy(Some(&slug), &policy.id).await.is_ok() {
        let msg = format!(
            "{}: {}",
            policy.id,
            lang.pick("dit id bestaat al", "cet id existe déjà", "this id exists already")
        );
        let shown = Policy { id: current.id.clone(), version: current.version, ..policy };
        return editor(&staff, &shown, currency, StatusCode::CONFLICT, &[msg]);
    }
    let saved_id = policy.id.clone();
    match app.put_dunning_policy(Some(&slug), policy.clone(), &staff.actor()).await {
        Ok((_, PolicySave::Stored | PolicySave::Unchanged)) => {
            redirect_to(&format!("/policies/{}", segment(&saved_id)))
        }
        Err(AppError::Invalid { field, message }) => {
            let msg = field.map_or_else(|| message.clone(), |f| format!("{f}: {message}"));
            let shown = Policy { id: current.id.clone(), version: current.version, ..policy };
            editor(&staff, &shown, currency, StatusCode::UNPROCESSABLE_ENTITY, &[msg])
        }
        Err(AppError::Conflict { detail, key, .. }) => {
            let msg = detail.unwrap_or(key);
            editor(&staff, &current, currency, StatusCode::CONFLICT, &[msg])
        }
        Err(e) => failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_form_becomes_a_policy_in_the_order_asked_and_empty_steps_are_left_out() {
        let f = form(&[
            ("version", "3"),
            ("name", "Mine"),
            ("min_gap_days", "7"),
            ("s0.order", "2"),
            ("s0.key", "demand"),
            ("s0.template", "demand"),
            ("s0.days", "14"),
            ("s0.after", "previous_step"),
            ("s0.ch.email", "on"),
            ("s0.ch.letter_attached", "on"),
            ("s0.collection_costs", "on"),
            ("s0.fee", "12,50"),
            ("s0.min_open", "25.00"),
            ("s0.approval", "on"),
            ("s1.order", "1"),
            ("s1.key", "reminder"),
            ("s1.template", "reminder"),
            ("s1.days", "-3"),
            ("s1.after", "due_date"),
            ("s1.ch.email", "on"),
            ("s2.order", "3"),
            ("s2.key", ""),
            ("s3.key", "old"),
            ("s3.remove", "on"),
        ]);
        let (p, problems) = policy_from_form(Lang::En, "mine", &f, Currency::EUR);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((p.id.as_str(), p.version, p.min_gap_days), ("mine", 3, 7));
        let keys: Vec<&str> = p.steps.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["reminder", "demand"]);
        assert_eq!(p.steps[0].trigger, Trigger::DueDate { days: -3 });
        let demand = &p.steps[1];
        assert_eq!(demand.trigger, Trigger::PreviousStep { days: 14 });
        assert_eq!(demand.channels, [Channel::Email, Channel::LetterAttached]);
        assert_eq!(
            demand.charges,
            [
                ChargeRule::CollectionCosts,
                ChargeRule::Fee { amount: Money::from_minor(1250, Currency::EUR) }
            ]
        );
        assert_eq!(demand.min_open, Money::from_minor(2500, Currency::EUR));
        assert!(demand.approval && !p.steps[0].approval);
    }

    #[test]
    fn every_problem_of_a_form_is_named() {
        let f = form(&[
            ("min_gap_days", "-1"),
            ("s0.key", "a"),
            ("s0.template", "nope"),
            ("s0.days", "x"),
            ("s0.fee", "1.234"),
            ("s1.key", "b"),
            ("s1.template", "reminder"),
            ("s1.days", "-2"),
            ("s1.after", "previous_step"),
        ]);
        let (_, problems) = policy_from_form(Lang::En, "p", &f, Currency::EUR);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("days between contacts"));
        assert!(problems.iter().any(|p| p.contains("Step 1 (a): unknown template")));
        assert!(problems.iter().any(|p| p.contains("Step 1 (a): fee: '1.234'")));
        assert!(problems.iter().any(|p| p.starts_with("Step 2 (b): after the previous step")));
    }

    #[test]
    fn a_new_id_makes_a_new_policy_from_version_zero() {
        let f = form(&[("version", "4"), ("new_id", "copy"), ("name", "Copy")]);
        let (p, _) = policy_from_form(Lang::Nl, "orig", &f, Currency::EUR);
        assert_eq!((p.id.as_str(), p.version), ("copy", 0));
    }
}
