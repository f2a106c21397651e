//! The content the law prescribes for two letters, checked on the rendered output.
//!
//! - **NL consumer, 14-day letter** (art. 6:96 lid 6 BW; HR 13-06-2014 and HR 25-11-2016
//!   "Fa-Med"): after default, a written reminder that states the amount owed, the consequences
//!   of not paying *including the exact amount of the extrajudicial collection costs*, and a
//!   term of fourteen days that starts the day after the letter is delivered. A wrong or confusing
//!   term means no collection costs at all, so the safe wording is required literally.
//! - **BE consumer, free first reminder** (art. XIX.2 WER, Book XIX in force since 2023): the
//!   balance due and the amount of the damages clause that will be claimed, the creditor's name
//!   and enterprise number, a description of the product or service and its due date, and the
//!   period of at least 14 calendar days to pay before any cost.
//!
//! Elements are matched in the plain text and in the HTML (tags removed, entities decoded),
//! ignoring case and differences in white space.

use arflow_core::party::{DebtorKind, Language, OrgCountry};

use super::{Rendered, StepKey, View};

/// Whether a step, for this creditor and debtor, is the Dutch 14-day letter.
fn is_nl_fourteen_day_letter(step: StepKey, creditor: OrgCountry, kind: DebtorKind) -> bool {
    step == StepKey::NoticeOfDefault && creditor == OrgCountry::Nl && kind == DebtorKind::Consumer
}

/// The elements the law requires in a message, by stable key; empty for messages whose content
/// the law does not prescribe.
///
/// The Belgian first reminder requires its elements whatever the creditor's country: the key
/// itself says it is that letter. (`language` does not change which elements are required,
/// only how they are worded; it is taken so callers do not have to know that.)
///
/// # Examples
/// ```
/// use arflow_core::party::{DebtorKind, Language, OrgCountry};
/// use arflow_notify::templates::{StepKey, required_elements};
/// let nl = required_elements(StepKey::NoticeOfDefault, Language::Nl, OrgCountry::Nl, DebtorKind::Consumer);
/// assert!(nl.contains(&"collection_costs"));
/// assert!(required_elements(StepKey::Reminder, Language::Nl, OrgCountry::Nl, DebtorKind::Consumer).is_empty());
/// ```
pub fn required_elements(
    step: StepKey,
    language: Language,
    creditor_country: OrgCountry,
    debtor_kind: DebtorKind,
) -> Vec<&'static str> {
    let _ = language;
    if is_nl_fourteen_day_letter(step, creditor_country, debtor_kind) {
        vec![
            "creditor_name",
            "invoice_numbers",
            "amount_due",
            "fourteen_day_term",
            "consequence",
            "collection_costs",
        ]
    } else if step == StepKey::BeConsumerFirstReminder {
        vec![
            "amount_due",
            "damages_amount",
            "creditor_name",
            "enterprise_number",
            "item_descriptions",
            "due_dates",
            "calendar_day_term",
            "term_date",
        ]
    } else {
        Vec::new()
    }
}

/// The fixed wording an element must contain, per language.
fn phrase(element: &str, language: Language) -> Option<&'static str> {
    let [nl, fr, en, de] = match element {
        // Fa-Med's safe wording: fourteen days from the day after delivery.
        "fourteen_day_term" => [
            "binnen veertien dagen, te rekenen vanaf de dag nadat deze brief bij u is bezorgd",
            "dans un délai de quatorze jours à compter du lendemain du jour où cette lettre vous a été remise",
            "within fourteen days, starting from the day after this letter has been delivered to you",
            "innerhalb von vierzehn Tagen, gerechnet ab dem Tag nach der Zustellung dieses Schreibens bei Ihnen",
        ],
        "consequence" => [
            "buitengerechtelijke incassokosten",
            "frais de recouvrement extrajudiciaires",
            "extrajudicial collection costs",
            "außergerichtlichen Inkassokosten",
        ],
        "calendar_day_term" => {
            ["14 kalenderdagen", "14 jours calendrier", "14 calendar days", "14 Kalendertagen"]
        }
        _ => return None,
    };
    Some(match language {
        Language::Nl => nl,
        Language::Fr => fr,
        Language::En => en,
        Language::De => de,
    })
}

/// The texts that must all occur for `element`; `None` when the context cannot supply one
/// (no enterprise number, no description), which makes the element missing.
fn needles(element: &str, view: &View, language: Language) -> Option<Vec<String>> {
    let all = |texts: Vec<Option<String>>| texts.into_iter().collect::<Option<Vec<String>>>();
    match element {
        "creditor_name" => Some(vec![view.creditor.name.clone()]),
        "invoice_numbers" => Some(view.items.iter().map(|i| i.number.clone()).collect()),
        "amount_due" => Some(vec![view.payment.amount.clone()]),
        "collection_costs" if view.announced_charges.is_empty() => None,
        "collection_costs" | "damages_amount" => {
            Some(view.announced_charges.iter().map(|c| c.amount.clone()).collect())
        }
        "enterprise_number" => all(vec![view.creditor.enterprise_number.clone()]),
        "item_descriptions" => all(view.items.iter().map(|i| i.description.clone()).collect()),
        "due_dates" => Some(view.items.iter().map(|i| i.due_date.clone()).collect()),
        "term_date" => Some(vec![view.term_date.clone()]),
        other => phrase(other, language).map(|p| vec![p.to_owned()]),
    }
}

/// The required elements that `rendered` lacks, each named by its key, with ` (HTML)` when only
/// the HTML part lacks it. Empty when nothing is required or everything is there.
pub fn missing_elements(
    step: StepKey,
    creditor_country: OrgCountry,
    debtor_kind: DebtorKind,
    view: &View,
    rendered: &Rendered,
) -> Vec<String> {
    let language = view.language.parse().unwrap_or(Language::En);
    let required = required_elements(step, language, creditor_country, debtor_kind);
    if required.is_empty() {
        return Vec::new();
    }
    let text = normalize(&rendered.text);
    let html = normalize(&html_to_text(&rendered.html));
    let mut missing = Vec::new();
    for element in required {
        let Some(needles) = needles(element, view, language) else {
            missing.push(element.to_owned());
            continue;
        };
        let needles: Vec<String> = needles.iter().map(|n| normalize(n)).collect();
        if !needles.iter().all(|n| text.contains(n.as_str())) {
            missing.push(element.to_owned());
        } else if !needles.iter().all(|n| html.contains(n.as_str())) {
            missing.push(format!("{element} (HTML)"));
        }
    }
    missing
}

/// Lower case, every run of white space (including no-break spaces) as one space.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The text a reader sees in an HTML document: tags removed, entities decoded.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Skip the head: the <title> repeats the subject, not the letter.
    if let Some(start) = rest.find("<body") {
        rest = rest.get(start..).unwrap_or(rest);
    }
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(rest.get(..open).unwrap_or_default()));
        match rest.get(open..).and_then(|r| r.find('>')) {
            Some(close) => {
                out.push(' ');
                rest = rest.get(open + close + 1..).unwrap_or_default();
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        let entity = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = after.get(..end)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end))
        });
        match entity {
            Some((c, end)) => {
                out.push(c);
                rest = after.get(end + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_is_what_a_reader_sees() {
        let html = "<html><head><title>X</title></head><body><p>Tom &amp; Jerry&#x27;s <b>€&nbsp;1,00</b> +++1&#x2f;2+++</p></body></html>";
        assert_eq!(normalize(&html_to_text(html)), "tom & jerry's € 1,00 +++1/2+++");
        assert_eq!(decode_entities("a & b &unknown; &#65;"), "a & b &unknown; A");
    }
}
