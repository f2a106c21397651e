use std::collections::HashMap;

use arflow_core::money::{Currency, Money};
use arflow_core::party::{DebtorKind, Language, OrgCountry};

use super::*;

const LANGUAGES: [Language; 4] = [Language::Nl, Language::Fr, Language::En, Language::De];
const COUNTRIES: [OrgCountry; 2] = [OrgCountry::Nl, OrgCountry::Be];
const KINDS: [DebtorKind; 2] = [DebtorKind::Business, DebtorKind::Consumer];

fn sample(language: Language, country: OrgCountry, kind: DebtorKind) -> RenderContext {
    RenderContext::sample(language, country, kind)
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

/// The built-in text of a step with one part edited.
fn edited(step: StepKey, language: Language, edit: impl Fn(&mut TemplateText)) -> TemplateText {
    let mut text = Templates::builtin_text(step, language);
    edit(&mut text);
    text
}

#[test]
fn every_built_in_file_compiles_and_every_step_has_all_parts() {
    for (name, source) in builtin::FILES {
        validate(source).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for step in StepKey::ALL {
        for language in LANGUAGES {
            for part in [Part::Subject, Part::Text, Part::Html] {
                let name = template_name(step, language, part);
                assert!(builtin::FILES.iter().any(|(n, _)| *n == name), "{name} is missing");
            }
        }
    }
    // No file under templates/ is forgotten in the embedded list.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut on_disk = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if entry.path().is_dir() {
            on_disk += std::fs::read_dir(entry.path())
                .unwrap()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "j2"))
                .count();
        } else if entry.path().extension().is_some_and(|x| x == "j2") {
            on_disk += 1;
        }
    }
    assert_eq!(on_disk, builtin::FILES.len(), "templates/ and builtin.rs disagree");
}

#[test]
fn every_step_renders_in_every_language_for_every_creditor_and_debtor() {
    let templates = Templates::builtin();
    for step in StepKey::ALL {
        for language in LANGUAGES {
            for country in COUNTRIES {
                for kind in KINDS {
                    let mut ctx = sample(language, country, kind);
                    if step == StepKey::BeConsumerFirstReminder {
                        ctx.charges.clear();
                    }
                    let what = format!("{step} {language} {country} {kind}");
                    let out = templates
                        .render(step, language, &ctx)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    let view = ctx.view().unwrap();
                    assert!(!out.subject.is_empty() && !out.subject.contains('\n'), "{what}");
                    for body in [&out.text, &out.html] {
                        assert!(!body.contains("{{") && !body.contains("{%"), "{what}: {body}");
                        assert!(body.contains(&view.payment.amount), "{what}: amount");
                        assert!(body.contains("2026-0815"), "{what}: invoice number");
                        assert!(body.contains(&view.creditor.name), "{what}: creditor");
                    }
                    if step != StepKey::Handover {
                        assert!(out.text.contains(&view.payment.reference_display), "{what}");
                        assert!(out.text.contains(&view.payment.iban), "{what}");
                    }
                    assert!(out.text.ends_with('\n') && !out.text.ends_with("\n\n"), "{what}");
                    assert!(!out.text.contains("\n\n\n"), "{what}");
                    assert!(out.text.lines().all(|l| l == l.trim_end()), "{what}");
                    assert!(out.html.starts_with("<!DOCTYPE html>"), "{what}");
                    let lang_attr = format!("<html lang=\"{language}\">");
                    assert!(out.html.contains(&lang_attr), "{what}");
                    assert!(out.html.contains(&format!("<title>{}</title>", out.subject)));
                }
            }
        }
    }
}

#[test]
fn amounts_and_dates_are_written_in_the_language_of_the_message() {
    let templates = Templates::builtin();
    // 1,310.00 open plus 7.03 interest already due.
    let cases = [
        (Language::Nl, "€\u{a0}1.317,03", "10 december 2026", "Herinnering"),
        (Language::Fr, "1.317,03\u{a0}€", "10 décembre 2026", "Rappel"),
        (Language::En, "€1,317.03", "10 December 2026", "Reminder"),
        (Language::De, "1.317,03\u{a0}€", "10. Dezember 2026", "Zahlungserinnerung"),
    ];
    for (language, amount, date, subject) in cases {
        let ctx = sample(language, OrgCountry::Nl, DebtorKind::Business);
        let out = templates.render(StepKey::Reminder, language, &ctx).unwrap();
        assert!(out.subject.starts_with(subject), "{language}: {}", out.subject);
        assert!(out.subject.contains(amount), "{language}: {}", out.subject);
        assert!(out.text.contains(date), "{language}: {}", out.text);
        assert!(out.html.contains(date), "{language}");
    }
    // The language argument decides, not the context's default language.
    let ctx = sample(Language::Nl, OrgCountry::Be, DebtorKind::Business);
    let out = templates.render(StepKey::Reminder, Language::Fr, &ctx).unwrap();
    assert!(out.text.contains("Communication structurée : +++123/4567/89002+++"), "{}", out.text);
}

#[test]
fn a_reminder_reads_as_a_letter() {
    let templates = Templates::builtin();
    let ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    let out = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap();
    let expected_start = "Geachte Jan de Vries,\n\nVolgens onze administratie hebben wij de betaling van de volgende facturen nog niet ontvangen. Mogelijk is dit aan uw aandacht ontsnapt.\n\nKlant: J. de Vries, klantnummer K-10042\n\n- Factuur 2026-0815 – Onderhoud cv-installatie, september 2026\n  factuurdatum 1 september 2026, vervaldatum 1 oktober 2026 (53 dagen na de vervaldatum)\n  bedrag €\u{a0}1.210,00, nog open €\u{a0}1.210,00\n";
    assert!(out.text.starts_with(expected_start), "{}", out.text);
    assert!(
        out.text.contains("Totaal openstaand: €\u{a0}1.310,00\nWettelijke rente: €\u{a0}7,03\n")
    );
    assert!(out.text.contains("Betalingskenmerk: 5000 0567 8901 2345\n"), "{}", out.text);
    assert!(out.text.ends_with("Btw-nummer: NL123456789B01\n"), "{}", out.text);

    let mut one = ctx.clone();
    one.items.truncate(1);
    let out = templates.render(StepKey::Reminder, Language::Nl, &one).unwrap();
    assert!(out.text.contains("de betaling van de volgende factuur nog niet ontvangen"));
    assert!(!out.text.contains("waarvan vervallen"), "{}", out.text);
}

#[test]
fn an_undefined_variable_is_an_error_with_its_line() {
    let text = edited(StepKey::Reminder, Language::Nl, |t| {
        t.text = "Geachte klant,\n\nUw bijnaam: {{ debtor.nickname }}\n".into();
    });
    let error = Templates::check_override(StepKey::Reminder, Language::Nl, &text, OrgCountry::Nl)
        .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::UndefinedVariable, "{error}");
    assert_eq!(error.template, "nl/reminder.txt.j2");
    assert_eq!(error.line, Some(3));
    assert!(error.reason.contains("debtor.nickname"), "{}", error.reason);

    // A whole unknown variable too, and in the subject.
    let text = edited(StepKey::Reminder, Language::Nl, |t| t.subject = "{{ amount }}".into());
    let error = Templates::check_override(StepKey::Reminder, Language::Nl, &text, OrgCountry::Nl)
        .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::UndefinedVariable, "{error}");
    assert_eq!(error.template, "nl/reminder.subject.j2");
}

#[test]
fn a_syntax_error_names_its_line() {
    let error = validate("Geachte klant,\n\n{% if debtor.contact_name %}\nHallo\n").unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Syntax);
    assert!(error.line.is_some_and(|l| l >= 3), "{error:?}");
    let overrides = HashMap::from([(
        (StepKey::Demand, Language::Fr),
        edited(StepKey::Demand, Language::Fr, |t| t.html = Some("<p>{{ oops </p>".into())),
    )]);
    let error = Templates::with_overrides(overrides).unwrap_err();
    assert_eq!(error.template, "fr/demand.html.j2");
    assert_eq!(error.line, Some(1));
    assert!(validate(&"x".repeat(TEMPLATE_BYTES_MAX + 1)).is_err());
}

#[test]
fn an_include_of_something_that_does_not_exist_is_refused_on_save() {
    let text = edited(StepKey::Courtesy, Language::En, |t| {
        t.text = "{% include \"/etc/passwd\" %}".into();
    });
    let error = Templates::check_override(StepKey::Courtesy, Language::En, &text, OrgCountry::Be)
        .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::UnknownTemplate, "{error}");
}

#[test]
fn html_is_escaped_and_text_is_not() {
    let mut ctx = sample(Language::En, OrgCountry::Nl, DebtorKind::Business);
    ctx.debtor.name = "<script>alert('x')</script>".into();
    ctx.debtor.contact_name = Some("Tom & \"Jerry\"".into());
    ctx.items[0].description = Some("<img src=x onerror=alert(1)>".into());
    let out = Templates::builtin().render(StepKey::Reminder, Language::En, &ctx).unwrap();
    assert!(!out.html.contains("<script>"), "{}", out.html);
    assert!(!out.html.contains("<img"), "{}", out.html);
    assert!(out.html.contains("&lt;script&gt;"), "{}", out.html);
    assert!(out.html.contains("Dear Tom &amp; &quot;Jerry&quot;,"), "{}", out.html);
    assert!(out.text.contains("Customer: <script>alert('x')</script>, customer number"));
    assert!(out.subject.starts_with("Reminder: outstanding amount of"));
}

#[test]
fn an_edited_text_without_html_gets_an_escaped_html_body() {
    let text = TemplateText {
        subject: "Herinnering {{ items[0].number }}".into(),
        text: "Beste {{ debtor.name }},\n\nBetaal {{ payment.amount }}.\nDank u.\n".into(),
        html: None,
    };
    let templates =
        Templates::with_overrides(HashMap::from([((StepKey::Reminder, Language::Nl), text)]))
            .unwrap();
    let mut ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    ctx.debtor.name = "A&B <bv>".into();
    let out = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap();
    assert_eq!(out.subject, "Herinnering 2026-0815");
    assert_eq!(out.text, "Beste A&B <bv>,\n\nBetaal €\u{a0}1.317,03.\nDank u.\n");
    assert!(
        out.html.contains(
            "<p>Beste A&amp;B &lt;bv&gt;,</p>\n<p>Betaal €\u{a0}1.317,03.<br>\nDank u.</p>"
        ),
        "{}",
        out.html
    );
    assert!(out.html.contains("<title>Herinnering 2026-0815</title>"));
    // Other steps and languages keep the built-in texts.
    let other = templates.render(StepKey::Reminder, Language::Fr, &ctx).unwrap();
    assert!(other.subject.starts_with("Rappel"));
}

#[test]
fn the_built_in_nl_fourteen_day_letter_has_every_mandatory_element() {
    let templates = Templates::builtin();
    for language in LANGUAGES {
        let ctx = sample(language, OrgCountry::Nl, DebtorKind::Consumer);
        let out = templates.render(StepKey::NoticeOfDefault, language, &ctx).unwrap();
        let view = ctx.view().unwrap();
        assert!(
            missing_elements(
                StepKey::NoticeOfDefault,
                OrgCountry::Nl,
                DebtorKind::Consumer,
                &view,
                &out
            )
            .is_empty()
        );
        Templates::check_override(
            StepKey::NoticeOfDefault,
            language,
            &Templates::builtin_text(StepKey::NoticeOfDefault, language),
            OrgCountry::Nl,
        )
        .unwrap();
    }
    let ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Consumer);
    let out = templates.render(StepKey::NoticeOfDefault, Language::Nl, &ctx).unwrap();
    assert!(out.subject.contains("binnen 14 dagen"), "{}", out.subject);
    assert!(out.text.contains(
        "binnen veertien dagen, te rekenen vanaf de dag nadat deze brief bij u is bezorgd. Betaalt u uiterlijk op 10 december 2026, dan is uw betaling in ieder geval op tijd."
    ), "{}", out.text);
    assert!(
        out.text.contains("- Buitengerechtelijke incassokosten: €\u{a0}196,50\n"),
        "{}",
        out.text
    );
    // A business gets the ingebrekestelling instead.
    let ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    let out = templates.render(StepKey::NoticeOfDefault, Language::Nl, &ctx).unwrap();
    assert!(out.subject.starts_with("Ingebrekestelling"), "{}", out.subject);
    assert!(out.text.contains("stellen wij u formeel in gebreke"));
}

#[test]
fn an_edited_fourteen_day_letter_without_a_mandatory_element_is_refused() {
    let step = StepKey::NoticeOfDefault;
    let check = |text: &TemplateText| {
        Templates::check_override(step, Language::Nl, text, OrgCountry::Nl).unwrap_err()
    };
    let missing = |error: TemplateError| match error.kind {
        TemplateErrorKind::MissingElements(elements) => elements,
        other => panic!("expected missing elements, got {other:?}: {}", error.reason),
    };
    // "binnen 14 dagen na dagtekening" is exactly the wording Fa-Med rejects.
    let text = edited(step, Language::Nl, |t| {
        let wrong = "binnen 14 dagen na dagtekening van deze brief";
        let right =
            "binnen veertien dagen, te rekenen vanaf de dag nadat deze brief bij u is bezorgd";
        t.text = t.text.replace(right, wrong);
        t.html = t.html.as_ref().map(|h| h.replace(right, wrong));
    });
    assert_eq!(missing(check(&text)), ["fourteen_day_term"]);

    let text = edited(step, Language::Nl, |t| {
        t.text = t.text.replace("{{ charge.amount }}", "(bedrag volgt)");
    });
    assert_eq!(missing(check(&text)), ["collection_costs"]);

    // Only the HTML part lost it.
    let text = edited(step, Language::Nl, |t| {
        t.html = t.html.as_ref().map(|h| h.replace("{{ charge.amount }}", "(bedrag volgt)"));
    });
    assert_eq!(missing(check(&text)), ["collection_costs (HTML)"]);

    // The same letter in another step is not checked.
    let text = edited(StepKey::Demand, Language::Nl, |t| {
        t.text = "Betaal {{ payment.amount }}.".into();
    });
    Templates::check_override(StepKey::Demand, Language::Nl, &text, OrgCountry::Nl).unwrap();
}

#[test]
fn a_fourteen_day_letter_without_announced_costs_is_not_sent() {
    let mut ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Consumer);
    ctx.announced_charges.clear();
    let error =
        Templates::builtin().render(StepKey::NoticeOfDefault, Language::Nl, &ctx).unwrap_err();
    assert_eq!(
        error.kind,
        TemplateErrorKind::MissingElements(vec!["consequence".into(), "collection_costs".into()])
    );
    // A preview still shows it.
    let out = Templates::builtin()
        .render_unchecked(StepKey::NoticeOfDefault, Language::Nl, &ctx)
        .unwrap();
    assert!(out.text.contains("verdere stappen"));
}

#[test]
fn the_built_in_be_first_reminder_has_every_mandatory_element() {
    let templates = Templates::builtin();
    for language in LANGUAGES {
        let ctx = sample(language, OrgCountry::Be, DebtorKind::Consumer);
        let out = templates.render(StepKey::BeConsumerFirstReminder, language, &ctx).unwrap();
        assert!(out.text.contains("0403.170.701"));
        Templates::check_override(
            StepKey::BeConsumerFirstReminder,
            language,
            &Templates::builtin_text(StepKey::BeConsumerFirstReminder, language),
            OrgCountry::Be,
        )
        .unwrap();
    }
    let ctx = sample(Language::Nl, OrgCountry::Be, DebtorKind::Consumer);
    let out = templates.render(StepKey::BeConsumerFirstReminder, Language::Nl, &ctx).unwrap();
    assert!(out.subject.starts_with("Eerste herinnering (kosteloos)"), "{}", out.subject);
    assert!(
        out.text.contains("Schuldeiser: Voorbeeld Energie NV, ondernemingsnummer 0403.170.701.")
    );
    assert!(out.text.contains("Deze herinnering is kosteloos."));
    assert!(
        out.text.contains("binnen een termijn van 14 kalenderdagen, uiterlijk op 10 december 2026")
    );
    assert!(out.text.contains("- Forfaitaire schadevergoeding: €\u{a0}65,50\n"), "{}", out.text);
    assert!(out.text.contains("Gestructureerde mededeling: +++123/4567/89002+++"));
    // Nothing is charged in the first reminder.
    assert!(ctx.charges.is_empty());
    assert!(!out.text.contains("Totaal: "), "{}", out.text);
}

#[test]
fn an_edited_be_first_reminder_without_a_mandatory_element_is_refused() {
    let step = StepKey::BeConsumerFirstReminder;
    let text = edited(step, Language::Fr, |t| {
        t.text = t.text.replace("14 jours calendrier", "deux semaines");
    });
    let error = Templates::check_override(step, Language::Fr, &text, OrgCountry::Be).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::MissingElements(vec!["calendar_day_term".into()]));

    // The context must supply what the letter states.
    let templates = Templates::builtin();
    let mut ctx = sample(Language::Nl, OrgCountry::Be, DebtorKind::Consumer);
    ctx.creditor.enterprise_number = None;
    ctx.items[1].description = None;
    let error = templates.render(step, Language::Nl, &ctx).unwrap_err();
    assert_eq!(
        error.kind,
        TemplateErrorKind::MissingElements(vec![
            "enterprise_number".into(),
            "item_descriptions".into()
        ])
    );
    // The first reminder is free.
    let mut ctx = sample(Language::Nl, OrgCountry::Be, DebtorKind::Consumer);
    ctx.charges.push(Charge {
        label: "Administratiekosten".into(),
        amount: eur(7_50),
        explanation: None,
    });
    let error = templates.render(step, Language::Nl, &ctx).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Context, "{error}");
    // Without a damages clause there is nothing to announce, and the letter is still valid.
    let mut ctx = sample(Language::Nl, OrgCountry::Be, DebtorKind::Consumer);
    ctx.announced_charges.clear();
    templates.render(step, Language::Nl, &ctx).unwrap();
}

#[test]
fn required_elements_are_listed_for_the_two_regulated_letters_only() {
    for step in StepKey::ALL {
        for country in COUNTRIES {
            for kind in KINDS {
                let elements = required_elements(step, Language::Nl, country, kind);
                let regulated = (step == StepKey::NoticeOfDefault
                    && country == OrgCountry::Nl
                    && kind == DebtorKind::Consumer)
                    || step == StepKey::BeConsumerFirstReminder;
                assert_eq!(!elements.is_empty(), regulated, "{step} {country} {kind}");
            }
        }
    }
}

#[test]
fn a_runaway_template_runs_out_of_fuel() {
    let text = edited(StepKey::Reminder, Language::En, |t| {
        t.text =
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
                .into();
    });
    let error = Templates::check_override(StepKey::Reminder, Language::En, &text, OrgCountry::Nl)
        .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::TooMuchWork, "{error}");

    let text = edited(StepKey::Reminder, Language::En, |t| {
        t.text = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}".into();
    });
    let error = Templates::check_override(StepKey::Reminder, Language::En, &text, OrgCountry::Nl)
        .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::TooMuchWork, "{error}");
}

#[test]
fn the_longest_statement_fits_the_fuel_budget() {
    let mut ctx = sample(Language::De, OrgCountry::Be, DebtorKind::Business);
    let item = ctx.items[0].clone();
    ctx.items =
        (0..ITEMS_MAX).map(|i| Item { number: format!("2026-{i:05}"), ..item.clone() }).collect();
    let out = Templates::builtin().render(StepKey::PreLegal, Language::De, &ctx).unwrap();
    assert!(out.text.contains("2026-00499"));
    ctx.items.push(item);
    let error = Templates::builtin().render(StepKey::PreLegal, Language::De, &ctx).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Context);
}

#[test]
fn an_inconsistent_context_is_refused() {
    let templates = Templates::builtin();
    let mut ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    ctx.charges[0].amount = Money::from_minor(100, Currency::parse("USD").unwrap());
    let error = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Context, "{error}");

    let mut ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    ctx.items[0].open = eur(i64::MAX);
    let error = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Context, "{error}");

    let mut ctx = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    ctx.collector = None;
    let error = templates.render(StepKey::Handover, Language::Nl, &ctx).unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Context, "{error}");
    // pre_legal names a generic bailiff instead.
    let out = templates.render(StepKey::PreLegal, Language::Nl, &ctx).unwrap();
    assert!(out.text.contains("aan een gerechtsdeurwaarder of incassobureau"), "{}", out.text);
}

#[test]
fn the_view_totals_and_days_overdue_are_computed() {
    let mut ctx = sample(Language::En, OrgCountry::Nl, DebtorKind::Business);
    ctx.items[1].due_date = ctx.today; // due today: not overdue yet
    let view = ctx.view().unwrap();
    assert_eq!(view.items[0].days_overdue, 53);
    assert_eq!(view.items[1].days_overdue, 0);
    assert!(!view.items[1].overdue);
    assert_eq!(view.totals.open, "€1,310.00");
    assert_eq!(view.totals.overdue, "€1,210.00");
    assert_eq!(view.totals.charges, "€7.03");
    assert_eq!(view.totals.total_due, "€1,317.03");
    assert_eq!(view.totals.announced, "€196.50");
    assert_eq!(view.payment.amount, "€1,317.03");
    ctx.payment.amount = Some(eur(1_000_00));
    assert_eq!(ctx.view().unwrap().payment.amount, "€1,000.00");
    assert_eq!(view.payment.iban, "NL91 ABNA 0417 1643 00");
    assert_eq!(view.creditor.address, "Keizersgracht 100, 1015 AA Amsterdam");
    // A Dutch debtor of a Belgian creditor gets its country named.
    let ctx = sample(Language::Fr, OrgCountry::Be, DebtorKind::Business);
    assert_eq!(
        ctx.view().unwrap().debtor.address_lines,
        ["Dorpsstraat 1", "3511 AB Utrecht", "Pays-Bas"]
    );
}

#[test]
fn the_render_context_round_trips_through_json() {
    let ctx = sample(Language::De, OrgCountry::Be, DebtorKind::Consumer);
    let json = serde_json::to_string(&ctx).unwrap();
    let back: RenderContext = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ctx);
}

#[test]
fn step_keys_are_stable() {
    for step in StepKey::ALL {
        assert_eq!(step.as_str().parse::<StepKey>().unwrap(), step);
        assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
    }
    assert!("herinnering".parse::<StepKey>().is_err());
}

/// The preview's sample charges speak the template's language: a French reminder of a Dutch
/// creditor shows no Dutch charge label or explanation.
#[test]
fn the_sample_charges_are_in_the_language_of_the_template() {
    let dutch = [
        "Wettelijke rente",
        "incassokosten",
        "Administratiekosten",
        "schadevergoeding",
        "per jaar",
        "Staffel Besluit",
    ];
    for language in [Language::Fr, Language::En, Language::De] {
        for country in COUNTRIES {
            let s = sample(language, country, DebtorKind::Business);
            for c in s.charges.iter().chain(&s.announced_charges) {
                let all = format!("{} {}", c.label, c.explanation.as_deref().unwrap_or(""));
                assert!(!dutch.iter().any(|d| all.contains(d)), "{language:?} {country:?}: {all}");
            }
        }
    }
    let nl = sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
    assert_eq!(nl.charges[0].label, "Wettelijke rente");
}
