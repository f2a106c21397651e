//! The HTML of the staff pages: one layout, every text in Dutch, French and English, every value
//! escaped where it is written.

use arflow_app::users::{Role, SessionView};

/// The application's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Nl,
    Fr,
    En,
}

impl Lang {
    /// `nl`, `fr`, `en`, also with a region (`fr-BE`).
    pub(crate) fn parse(tag: &str) -> Option<Lang> {
        match tag.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("nl") => Some(Lang::Nl),
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The core's language, for texts the core writes.
    pub(crate) fn language(self) -> arflow_core::party::Language {
        use arflow_core::party::Language;
        match self {
            Lang::Nl => Language::Nl,
            Lang::Fr => Language::Fr,
            Lang::En => Language::En,
        }
    }

    /// One of three texts, by language: for words used on one page only, kept next to it.
    pub(crate) fn pick(self, nl: &'static str, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Nl => nl,
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The text for `key` in this language.
    pub(crate) fn t(self, key: &str) -> &'static str {
        let (nl, fr, en) = match key {
            "sign_in" => ("Inloggen", "Se connecter", "Sign in"),
            "email" => ("E-mailadres", "Adresse e-mail", "E-mail address"),
            "password" => ("Wachtwoord", "Mot de passe", "Password"),
            "sign_out" => ("Uitloggen", "Se déconnecter", "Sign out"),
            "wrong" => (
                "Dit e-mailadres en wachtwoord horen niet bij elkaar.",
                "Cette adresse e-mail et ce mot de passe ne correspondent pas.",
                "This e-mail address and password do not match.",
            ),
            "throttled" => (
                "Te vaak een verkeerd wachtwoord. Probeer het over 15 minuten opnieuw.",
                "Trop de mots de passe erronés. Réessayez dans 15 minutes.",
                "Too many wrong passwords. Try again in 15 minutes.",
            ),
            "expired" => (
                "Het formulier was verlopen. Probeer het opnieuw.",
                "Le formulaire avait expiré. Veuillez réessayer.",
                "The form had expired. Please try again.",
            ),
            "forbidden" => (
                "Dit mag u niet doen in deze organisatie.",
                "Vous n'êtes pas autorisé à faire ceci dans cette organisation.",
                "You may not do this in this organisation.",
            ),
            "error" => (
                "Er ging iets mis. Probeer het opnieuw.",
                "Une erreur s'est produite. Veuillez réessayer.",
                "Something went wrong. Please try again.",
            ),
            "no_org" => (
                "U heeft nog geen rol in een organisatie. Vraag een beheerder om u toe te voegen.",
                "Vous n'avez encore de rôle dans aucune organisation. Demandez à un administrateur de vous ajouter.",
                "You have no role in any organisation yet. Ask an administrator to add you.",
            ),
            "dashboard" => ("Overzicht", "Tableau de bord", "Dashboard"),
            "menu" => ("Menu", "Menu", "Menu"),
            "invoice" => ("Factuur", "Facture", "Invoice"),
            "credit_note" => ("Creditnota", "Note de crédit", "Credit note"),
            "debtor" => ("Debiteur", "Débiteur", "Debtor"),
            "payment" => ("Betaling", "Paiement", "Payment"),
            "allocations" => (
                "Betalingen en creditnota's",
                "Paiements et notes de crédit",
                "Payments and credit notes",
            ),
            "charges_on" => (
                "Wat vandaag gevorderd mag worden,",
                "Ce qui peut être réclamé aujourd'hui,",
                "What may be claimed today,",
            ),
            "principal_open" => ("Openstaande hoofdsom", "Principal restant dû", "Principal open"),
            "not_claimable" => ("Nog niet te vorderen", "Pas encore exigible", "Not claimable yet"),
            "total_due" => ("Totaal te betalen", "Total dû", "Total due"),
            "templates" => ("Sjablonen", "Modèles", "Templates"),
            "settings" => ("Instellingen", "Paramètres", "Settings"),
            "audit" => ("Auditlog", "Journal d'audit", "Audit log"),
            "edited" => ("aangepast", "modifié", "edited"),
            "step" => ("Stap", "Étape", "Step"),
            "language" => ("Taal", "Langue", "Language"),
            "subject" => ("Onderwerp", "Objet", "Subject"),
            "text" => ("Tekst", "Texte", "Text"),
            "html_optional" => (
                "HTML (leeg: gemaakt uit de tekst)",
                "HTML (vide : tiré du texte)",
                "HTML (empty: made from the text)",
            ),
            "save" => ("Opslaan", "Enregistrer", "Save"),
            "preview" => ("Voorbeeld", "Aperçu", "Preview"),
            "preview_for" => ("Voorbeeld voor", "Aperçu pour", "Preview for"),
            "business" => ("een bedrijf", "une entreprise", "a business"),
            "consumer" => ("een consument", "un consommateur", "a consumer"),
            "reset_template" => (
                "Terug naar de standaardtekst",
                "Revenir au texte standard",
                "Back to the built-in text",
            ),
            "matches" => ("Te beoordelen betalingen", "Paiements à vérifier", "Payments to review"),
            "nothing_to_review" => {
                ("Er wacht niets op beoordeling.", "Rien à vérifier.", "Nothing waits for review.")
            }
            "accept_suggestion" => {
                ("Voorstel nemen", "Accepter la proposition", "Accept suggestion")
            }
            "reject_suggestions" => {
                ("Voorstellen afwijzen", "Rejeter les propositions", "Reject the suggestions")
            }
            "tasks" => ("Taken", "Tâches", "Tasks"),
            "no_tasks" => ("Geen open taken.", "Aucune tâche ouverte.", "No open tasks."),
            "only_mine" => ("Alleen mijn taken", "Seulement mes tâches", "Only my tasks"),
            "outcome" => ("Uitkomst", "Résultat", "Outcome"),
            "note" => ("Notitie", "Note", "Note"),
            "promised_on" => {
                ("Betaling toegezegd voor", "Paiement promis pour le", "Payment promised for")
            }
            "complete" => ("Afronden", "Terminer", "Complete"),
            "outcome_reached" => ("Bereikt", "Joint", "Reached"),
            "outcome_promised" => ("Betaling toegezegd", "Paiement promis", "Payment promised"),
            "outcome_disputed" => ("Betwist", "Contesté", "Disputed"),
            "outcome_no_answer" => ("Geen gehoor", "Pas de réponse", "No answer"),
            "outcome_done" => ("Gedaan", "Fait", "Done"),
            "outcome_approved" => ("Goedgekeurd", "Approuvé", "Approved"),
            "outcome_rejected" => ("Afgewezen", "Refusé", "Rejected"),
            "dunning" => ("Aanmanen", "Rappels", "Dunning"),
            "debtors" => ("Debiteuren", "Débiteurs", "Debtors"),
            "search" => ("Zoeken", "Rechercher", "Search"),
            "search_label" => ("Naam of nummer", "Nom ou numéro", "Name or number"),
            "only_overdue" => (
                "Alleen met vervallen facturen",
                "Seulement avec factures échues",
                "Only with overdue invoices",
            ),
            "only_paused" => ("Alleen gepauzeerd", "Seulement en pause", "Only paused"),
            "number" => ("Nummer", "Numéro", "Number"),
            "name" => ("Naam", "Nom", "Name"),
            "segments" => ("Segmenten", "Segments", "Segments"),
            "owner" => ("Eigenaar", "Responsable", "Owner"),
            "status" => ("Status", "Statut", "Status"),
            "paused" => ("Gepauzeerd", "En pause", "Paused"),
            "active" => ("Actief", "Actif", "Active"),
            "next" => ("Volgende", "Suivant", "Next"),
            "none_found" => {
                ("Geen debiteuren gevonden.", "Aucun débiteur trouvé.", "No debtors found.")
            }
            "open" => ("Open", "Ouvert", "Open"),
            "exposure" => ("Risico", "Exposition", "Exposure"),
            "credit_limit" => ("Kredietlimiet", "Limite de crédit", "Credit limit"),
            "open_items" => ("Openstaande posten", "Postes ouverts", "Open items"),
            "issue_date" => ("Factuurdatum", "Date de facture", "Issue date"),
            "due_date" => ("Vervaldatum", "Échéance", "Due date"),
            "reference" => ("Betalingskenmerk", "Communication", "Payment reference"),
            "pause_dunning" => ("Aanmanen pauzeren", "Suspendre les rappels", "Pause dunning"),
            "resume_dunning" => ("Aanmanen hervatten", "Reprendre les rappels", "Resume dunning"),
            "reason" => ("Reden", "Raison", "Reason"),
            "until" => (
                "Tot en met (leeg: tot hervatten)",
                "Jusqu'au (vide : jusqu'à reprise)",
                "Until (empty: until resumed)",
            ),
            "paused_because" => ("Aanmanen gepauzeerd", "Rappels suspendus", "Dunning paused"),
            "timeline" => ("Tijdlijn", "Historique", "Timeline"),
            "contacts" => ("Contactgegevens", "Contacts", "Contacts"),
            "not_found" => ("Niet gevonden.", "Introuvable.", "Not found."),
            "organisation" => ("Organisatie", "Organisation", "Organisation"),
            "switch" => ("Wisselen", "Changer", "Switch"),
            "outstanding" => ("Openstaand", "Encours", "Outstanding"),
            "overdue" => ("Vervallen", "Échu", "Overdue"),
            "unapplied" => ("Niet toegewezen", "Non affecté", "Unapplied"),
            "ageing" => ("Ouderdom op", "Balance âgée au", "Ageing on"),
            "bucket" => ("Periode", "Période", "Bucket"),
            "amount" => ("Bedrag", "Montant", "Amount"),
            "invoices" => ("Facturen", "Factures", "Invoices"),
            "not_due" => ("Niet vervallen", "Non échu", "Not due"),
            "days" => ("dagen", "jours", "days"),
            "role_admin" => ("beheerder", "administrateur", "administrator"),
            "role_credit_controller" => {
                ("credit controller", "gestionnaire crédit", "credit controller")
            }
            "role_sales" => ("verkoop", "ventes", "sales"),
            "role_accountant" => ("accountant", "comptable", "accountant"),
            _ => ("?", "?", "?"),
        };
        self.pick(nl, fr, en)
    }

    fn role(self, role: Option<Role>) -> &'static str {
        match role {
            Some(Role::Admin) => self.t("role_admin"),
            Some(Role::CreditController) => self.t("role_credit_controller"),
            Some(Role::Sales) => self.t("role_sales"),
            Some(Role::Accountant) => self.t("role_accountant"),
            None => "",
        }
    }
}

/// An amount as people in `lang` write it: `1.234,56` (nl, fr with a narrow space between
/// thousands: `1 234,56`) or `1,234.56` (en). `amount` is the API's plain form, `-1234.56`.
pub(crate) fn money(lang: Lang, amount: &str) -> String {
    let (sign, digits) = amount.strip_prefix('-').map_or(("", amount), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, decimal) = match lang {
        Lang::Nl => ('.', ','),
        Lang::Fr => ('\u{202f}', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if cents.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{decimal}{cents}")
    }
}

/// An amount typed in a form: `12.50`, or `12,50` when it has no point; empty is `None`.
pub(crate) fn form_amount(
    text: &str,
    currency: arflow_core::money::Currency,
) -> Result<Option<arflow_core::money::Money>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let normal = if t.contains('.') { t.to_owned() } else { t.replacen(',', ".", 1) };
    arflow_core::money::Money::parse(&normal, currency).map(Some).map_err(|e| format!("'{t}': {e}"))
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message shown above the sign-in form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    WrongPassword,
    Throttled,
    Expired,
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#1d3557;padding:.5rem 1rem;z-index:9}.skip:focus{left:0}\
@media (max-width:48rem){table{display:block;overflow-x:auto}header{padding:.5rem}main{margin:1rem auto}}\
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 1.5rem;background:#1d3557;color:#fff;flex-wrap:wrap}\
header a{color:#fff}header button{color:#fff;background:transparent;border:1px solid #fffa;border-radius:4px;cursor:pointer}\
header button:hover{background:#fff2}header select{max-width:16rem}main{max-width:64rem;margin:1.5rem auto;padding:0 1rem}\
.card{background:#fff;border-radius:8px;padding:1.25rem;box-shadow:0 1px 3px #0002;margin-bottom:1rem}\
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}\
.figure strong{display:block;font-size:1.4rem;overflow-wrap:anywhere}.notice{background:#fde2e1;border-left:4px solid #c0392b;padding:.5rem 1rem}\
label{display:block;margin-top:.75rem}input,select,button{font:inherit;padding:.4rem .6rem}\
table{border-collapse:collapse;width:100%}td,th{padding:.35rem .5rem;text-align:left;border-bottom:1px solid #e3e6ea}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
svg.chart{display:block;max-width:100%;height:auto;margin-bottom:.75rem}\
:focus-visible{outline:3px solid #f4a261;outline-offset:2px}";

pub(crate) struct Page;

impl Page {
    pub(crate) fn layout(lang: Lang, title: &str, header: &str, body: &str) -> String {
        format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{} · arflow</title><style>{STYLE}</style></head><body>\
             <a class=\"skip\" href=\"#main\">{}</a>{header}\
             <main id=\"main\" tabindex=\"-1\">{body}</main></body></html>",
            lang.code(),
            esc(title),
            esc(lang.pick("Naar de inhoud", "Aller au contenu", "Skip to content")),
        )
    }

    pub(crate) fn login(lang: Lang, csrf: &str, email: &str, notice: Option<Notice>) -> String {
        let notice = notice.map_or_else(String::new, |n| {
            let key = match n {
                Notice::WrongPassword => "wrong",
                Notice::Throttled => "throttled",
                Notice::Expired => "expired",
            };
            format!("<p class=\"notice\" role=\"alert\">{}</p>", esc(lang.t(key)))
        });
        let body = format!(
            "<section class=\"card\" style=\"max-width:26rem;margin:3rem auto\"><h1>{title}</h1>{notice}\
             <form method=\"post\" action=\"/login\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"email\">{email_label}</label>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\">\
             <label for=\"password\">{password_label}</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <p><button type=\"submit\">{title}</button></p></form></section>",
            title = esc(lang.t("sign_in")),
            csrf = esc(csrf),
            email_label = esc(lang.t("email")),
            email = esc(email),
            password_label = esc(lang.t("password")),
        );
        Self::layout(lang, lang.t("sign_in"), "", &body)
    }

    pub(crate) fn header(lang: Lang, session: &SessionView) -> String {
        let role = session.role();
        let mut switcher = String::new();
        if session.memberships.len() > 1 {
            let options: String = session
                .memberships
                .iter()
                .map(|m| {
                    let selected = session.current.as_ref().is_some_and(|c| c.slug == m.slug);
                    format!(
                        "<option value=\"{}\"{}>{}</option>",
                        esc(&m.slug),
                        if selected { " selected" } else { "" },
                        esc(&m.name)
                    )
                })
                .collect();
            switcher = format!(
                "<form method=\"post\" action=\"/organisation\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label for=\"organisation\" style=\"display:inline;margin:0\">{label}</label> \
                 <select id=\"organisation\" name=\"organisation\">{options}</select> \
                 <button type=\"submit\">{switch}</button></form>",
                csrf = esc(&session.csrf),
                label = esc(lang.t("organisation")),
                switch = esc(lang.t("switch")),
            );
        }
        let current = session.current.as_ref().map_or("", |m| m.name.as_str());
        format!(
            "<header><strong>arflow · <span id=\"current-organisation\">{current}</span></strong>\
             <nav aria-label=\"{nav}\"><a href=\"/\">{dashboard}</a> <a href=\"/debtors\">{debtors}</a> \
             <a href=\"/invoices\">{invoices}</a> <a href=\"/dunning\">{dunning}</a> \
             <a href=\"/matches\">{matches}</a> <a href=\"/tasks\">{tasks}</a> <a href=\"/outbox\">{outbox}</a> \
             <a href=\"/templates\">{templates}</a> <a href=\"/settings\">{settings}</a></nav>{switcher}\
             <span>{name} ({role})</span>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{sign_out}</button></form></header>",
            current = esc(current),
            nav = esc(lang.t("menu")),
            dashboard = esc(lang.t("dashboard")),
            debtors = esc(lang.t("debtors")),
            matches = esc(lang.t("matches")),
            tasks = esc(lang.t("tasks")),
            templates = esc(lang.t("templates")),
            invoices = esc(lang.t("invoices")),
            dunning = esc(lang.pick("Aanmanen", "Relances", "Dunning")),
            outbox = esc(lang.pick("Outbox", "Boîte d'envoi", "Outbox")),
            settings = esc(lang.t("settings")),
            name = esc(&session.user.name),
            role = esc(lang.role(role)),
            csrf = esc(&session.csrf),
            sign_out = esc(lang.t("sign_out")),
        )
    }

    pub(crate) fn no_organisation(lang: Lang, session: &SessionView) -> String {
        let body = format!("<p class=\"card\">{}</p>", esc(lang.t("no_org")));
        Self::layout(lang, lang.t("dashboard"), &Self::header(lang, session), &body)
    }

    pub(crate) fn forbidden(lang: Lang) -> String {
        let body =
            format!("<p class=\"card notice\" role=\"alert\">{}</p>", esc(lang.t("forbidden")));
        Self::layout(lang, lang.t("forbidden"), "", &body)
    }

    pub(crate) fn error(lang: Lang) -> String {
        let body = format!("<p class=\"card notice\" role=\"alert\">{}</p>", esc(lang.t("error")));
        Self::layout(lang, lang.t("error"), "", &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_way_each_language_writes_them() {
        assert_eq!(money(Lang::Nl, "632698.06"), "632.698,06");
        assert_eq!(money(Lang::Fr, "-1234567.00"), "-1\u{202f}234\u{202f}567,00");
        assert_eq!(money(Lang::En, "999.99"), "999.99");
        assert_eq!(money(Lang::En, "1000.00"), "1,000.00");
        assert_eq!(money(Lang::Nl, "0.00"), "0,00");
    }
}
