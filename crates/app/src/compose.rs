//! The messages of a dunning action: the render context from the stored organisation, debtor,
//! items and charges; the texts from the templates in the debtor's language; the PDF letter
//! where the step asks for one. Pure apart from the PDF renderer: no store, no clock.

use std::str::FromStr;

use arflow_core::date::{Date, add_days};
use arflow_core::dunning::{Channel, PlannedAction};
use arflow_core::ident::{Bic, Iban};
use arflow_core::legal::{self, ChargeKind};
use arflow_core::party::{ContactPurpose, DebtorKind, Language, OrgCountry};
use arflow_core::reference;
use arflow_notify::email::MessageId;
use arflow_notify::letter::{Renderer, render_pdf};
use arflow_notify::templates::{
    Charge as ViewCharge, Creditor, Debtor as ViewDebtor, Item, Payment, RenderContext, StepKey,
    Templates,
};
use arflow_store::{
    Attachment, MessageStatus, NewMessage, StoredDebtor, StoredInvoice, StoredOrganisation,
};

/// Domain of the deterministic `Message-ID`s (the key is what makes them unique).
pub const MESSAGE_ID_HOST: &str = "arflow.invalid";

/// A message to store, with the status it starts in.
#[derive(Debug)]
pub(crate) struct Composed {
    pub message: NewMessage,
    pub status: MessageStatus,
}

/// Everything one action's messages are made of.
pub(crate) struct ComposeInput<'a> {
    pub org: &'a StoredOrganisation,
    pub debtor: &'a StoredDebtor,
    pub invoices: &'a [StoredInvoice],
    pub charges: &'a [(usize, legal::Charge)],
    pub action: &'a PlannedAction,
    pub action_id: i64,
    pub as_of: Date,
    pub branding: &'a arflow_core::brand::Branding,
    /// The debtor's personal portal link, when the portal is reachable.
    pub portal_url: Option<&'a str>,
}

/// Wording of a charge kind per language.
fn charge_label(
    kind: ChargeKind,
    debtor: DebtorKind,
    country: OrgCountry,
    lang: Language,
) -> &'static str {
    use Language::{De, En, Fr, Nl};
    match (kind, lang) {
        (ChargeKind::Interest, Nl)
            if country == OrgCountry::Nl && debtor == DebtorKind::Business =>
        {
            "Wettelijke handelsrente"
        }
        (ChargeKind::Interest, Nl) if country == OrgCountry::Nl => "Wettelijke rente",
        (ChargeKind::Interest, Nl) => "Nalatigheidsintresten",
        (ChargeKind::Interest, Fr) => "Intérêts de retard",
        (ChargeKind::Interest, En) => "Late-payment interest",
        (ChargeKind::Interest, De) => "Verzugszinsen",
        (ChargeKind::CollectionCosts, Nl) if country == OrgCountry::Nl => {
            "Buitengerechtelijke incassokosten"
        }
        (ChargeKind::CollectionCosts, Nl) => "Forfaitaire schadevergoeding",
        (ChargeKind::CollectionCosts, Fr) => "Indemnité forfaitaire",
        (ChargeKind::CollectionCosts, En) => "Collection costs",
        (ChargeKind::CollectionCosts, De) => "Inkassokosten",
        (ChargeKind::Fee, Nl) => "Administratiekosten",
        (ChargeKind::Fee, Fr) => "Frais administratifs",
        (ChargeKind::Fee, En) => "Administration fee",
        (ChargeKind::Fee, De) => "Bearbeitungsgebühr",
    }
}

/// The basis in one line: the article and the arithmetic, which read the same in every language.
fn charge_basis(c: &legal::Charge) -> String {
    if c.explanation.arithmetic.is_empty() {
        c.explanation.article.clone()
    } else {
        format!("{}: {}", c.explanation.article, c.explanation.arithmetic.join("; "))
    }
}

fn view_charge(
    c: &legal::Charge,
    debtor: DebtorKind,
    country: OrgCountry,
    lang: Language,
) -> ViewCharge {
    ViewCharge {
        label: charge_label(c.kind, debtor, country, lang).to_owned(),
        amount: c.amount,
        explanation: Some(charge_basis(c)),
    }
}

/// The render context of an action, or why there can be none.
pub(crate) fn context(input: &ComposeInput<'_>) -> Result<(StepKey, RenderContext), String> {
    let org = &input.org.organisation;
    let d = &input.debtor.debtor;
    let step = StepKey::from_str(input.action.template.as_str()).map_err(|e| e.reason)?;
    let iban = org
        .iban
        .as_deref()
        .ok_or("the organisation has no IBAN to be paid on: set it first (arflow org update)")?;
    let iban = Iban::parse(iban).map_err(|e| format!("the organisation's IBAN: {e}"))?;
    let bic = org.bic.as_deref().map(Bic::parse).transpose().map_err(|e| format!("BIC: {e}"))?;
    let first = input.invoices.first().ok_or("the action has no items")?;
    let reference = first
        .invoice
        .payment_reference
        .as_deref()
        .ok_or_else(|| format!("invoice {} has no payment reference", first.invoice.number))
        .and_then(|r| {
            reference::check(r)
                .map_err(|e| format!("invoice {}: reference {r}: {e}", first.invoice.number))
        })?;
    let country = org.country;
    let lang = d.language;
    let charges: Vec<ViewCharge> =
        input.charges.iter().map(|(_, c)| view_charge(c, d.kind, country, lang)).collect();
    let open_total = input
        .invoices
        .iter()
        .try_fold(arflow_core::money::Money::zero(org.currency), |acc, i| acc.checked_add(i.open))
        .map_err(|e| e.to_string())?;
    // What the 14-day letter must announce: the collection costs that will be due after its
    // term, computed exactly (art. 6:96 lid 6 BW).
    let mut announced = Vec::new();
    let term_date = match (step, country) {
        (StepKey::NoticeOfDefault, OrgCountry::Nl) => {
            if d.kind == DebtorKind::Consumer {
                let bik =
                    legal::nl::bik(open_total, crate::charges::default_terms().vat_deductible)
                        .map_err(|e| e.to_string())?;
                announced.push(view_charge(&bik, d.kind, country, lang));
            }
            legal::nl::fourteen_day_term(input.as_of).last_day
        }
        (StepKey::BeConsumerFirstReminder, OrgCountry::Be) => {
            legal::be::waiting_period(input.as_of, legal::be::ReminderChannel::Electronic).end
        }
        _ => add_days(input.as_of, 14),
    };
    let ctx = RenderContext {
        language: lang,
        today: input.as_of,
        currency: org.currency,
        creditor: Creditor {
            name: org.name.clone(),
            country,
            address: Default::default(),
            email: None,
            phone: None,
            vat: org.vat_number.clone(),
            enterprise_number: org.enterprise_number.clone().or_else(|| org.kvk_number.clone()),
            website: None,
        },
        debtor: ViewDebtor {
            name: d.name.clone(),
            number: d.number.clone(),
            kind: d.kind,
            contact_name: None,
            address: d.address.clone(),
        },
        items: input
            .invoices
            .iter()
            .map(|i| Item {
                number: i.invoice.number.clone(),
                description: i.invoice.description.clone(),
                issue_date: i.invoice.issue_date,
                due_date: i.invoice.due_date,
                amount: i.invoice.amount,
                open: i.open,
            })
            .collect(),
        charges,
        announced_charges: announced,
        payment: Payment { iban, bic, beneficiary: None, reference, amount: None },
        term_date,
        portal_url: input.portal_url.map(str::to_owned),
        collector: None,
        branding: input.branding.clone(),
    };
    Ok((step, ctx))
}

/// The address a message for `channel` goes to.
pub(crate) fn recipient(debtor: &StoredDebtor, channel: Channel) -> Option<String> {
    let d = &debtor.debtor;
    let pick = |list: &[arflow_core::party::Contact], order: &[ContactPurpose]| {
        order
            .iter()
            .find_map(|p| list.iter().find(|c| c.purpose == *p))
            .or_else(|| list.first())
            .map(|c| c.value.clone())
    };
    match channel {
        Channel::Email => pick(
            &d.emails,
            &[ContactPurpose::Reminders, ContactPurpose::Billing, ContactPurpose::General],
        ),
        Channel::Sms => pick(&d.phones, &[ContactPurpose::Mobile, ContactPurpose::Reminders]),
        Channel::LetterPost => {
            let a = &d.address;
            let line = [a.street.clone(), a.postal_code.clone(), a.city.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            (!line.is_empty()).then_some(line)
        }
        _ => None,
    }
}

/// The messages of an action: an e-mail (with the letter attached when the step says so), a
/// letter queued for print, an SMS. Returns the messages and, for each channel that could not
/// be served, the reason (it becomes a task for a person).
pub(crate) fn compose(
    input: &ComposeInput<'_>,
    templates: &Templates,
    renderer: &Renderer,
) -> (Vec<Composed>, Vec<String>) {
    let channels = &input.action.channels;
    let wants_message = channels.iter().any(|c| {
        matches!(c, Channel::Email | Channel::LetterAttached | Channel::LetterPost | Channel::Sms)
    });
    if !wants_message {
        return (Vec::new(), Vec::new());
    }
    let mut problems = Vec::new();
    let (step, ctx) = match context(input) {
        Ok(x) => x,
        Err(reason) => return (Vec::new(), vec![format!("no message could be written: {reason}")]),
    };
    let rendered = match templates.render(step, ctx.language, &ctx) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), vec![format!("the template {step} refused: {e}")]),
    };
    let key = input.action.key();
    let needs_pdf =
        channels.iter().any(|c| matches!(c, Channel::LetterAttached | Channel::LetterPost));
    let pdf = if needs_pdf {
        match render_pdf(renderer, &ctx, &rendered) {
            Ok(bytes) => Some(Attachment {
                file_name: format!("{}-{}-{}.pdf", step, input.debtor.debtor.number, input.as_of)
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect(),
                content_type: "application/pdf".into(),
                content: bytes,
            }),
            Err(e) => {
                problems.push(format!("the PDF letter could not be made: {e}"));
                None
            }
        }
    } else {
        None
    };
    let language = ctx.language.as_str().to_owned();
    let mut out = Vec::new();
    let mut message = |channel: &str,
                       to: String,
                       subject: String,
                       text: String,
                       html: String,
                       attachments: Vec<Attachment>,
                       status| {
        let message_id = MessageId::from_key(&format!("{key}-{channel}"), MESSAGE_ID_HOST)
            .map(|m| m.as_str().to_owned())
            .unwrap_or_else(|_| format!("<{key}-{channel}@{MESSAGE_ID_HOST}>"));
        out.push(Composed {
            message: NewMessage {
                action_id: input.action_id,
                debtor_id: input.debtor.id,
                channel: channel.to_owned(),
                recipient: to,
                subject,
                text_body: text,
                html_body: html,
                language: language.clone(),
                message_id,
                attachments,
            },
            status,
        });
    };
    if channels.contains(&Channel::Email) {
        match recipient(input.debtor, Channel::Email) {
            Some(to) => {
                let attachments = if channels.contains(&Channel::LetterAttached) {
                    pdf.clone().into_iter().collect()
                } else {
                    Vec::new()
                };
                message(
                    "email",
                    to,
                    rendered.subject.clone(),
                    rendered.text.clone(),
                    rendered.html.clone(),
                    attachments,
                    MessageStatus::Planned,
                );
            }
            None => problems
                .push("the debtor has no e-mail address: send the reminder another way".into()),
        }
    }
    if channels.contains(&Channel::LetterPost)
        || (channels.contains(&Channel::LetterAttached) && !channels.contains(&Channel::Email))
    {
        match (recipient(input.debtor, Channel::LetterPost), &pdf) {
            (Some(to), Some(pdf)) => message(
                "letter",
                to,
                rendered.subject.clone(),
                rendered.text.clone(),
                String::new(),
                vec![pdf.clone()],
                // Queued for printing: a person (or a print service) posts it.
                MessageStatus::Held,
            ),
            (None, _) => problems.push("the debtor has no postal address for the letter".into()),
            (_, None) => {}
        }
    }
    if channels.contains(&Channel::Sms) {
        match recipient(input.debtor, Channel::Sms) {
            Some(to) => {
                let text = sms_text(&ctx, &rendered.subject);
                // No SMS provider is configured: it stays in the outbox.
                message(
                    "sms",
                    to,
                    rendered.subject.clone(),
                    text,
                    String::new(),
                    Vec::new(),
                    MessageStatus::Held,
                );
            }
            None => problems.push("the debtor has no mobile number for the SMS".into()),
        }
    }
    (out, problems)
}

/// A short text: the subject, the amount, the reference and the pay-by date.
fn sms_text(ctx: &RenderContext, subject: &str) -> String {
    let Ok(view) = ctx.view() else { return subject.to_owned() };
    let text = format!(
        "{subject}: {} — IBAN {} — {} — {}",
        view.totals.total_due,
        view.payment.iban,
        view.payment.reference_display,
        view.payment.pay_by
    );
    text.chars().take(arflow_notify::sms::SMS_CHARS_MAX).collect()
}
