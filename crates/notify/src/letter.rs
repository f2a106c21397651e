//! The PDF letter of a dunning message: the same context and the same rendered text as the
//! e-mail, laid out on A4 by [`arflow_pdf`] with the items table, the charges, the payment block
//! and the EPC QR code.

use arflow_core::epc::{EpcRequest, epc_payload};
use arflow_core::money::Currency;
use arflow_core::reference::ReferenceScheme;
use arflow_pdf::{Letter, LetterCharge, LetterItem, Party, PaymentBlock};
pub use arflow_pdf::{PdfError, Renderer, qr_svg};

use crate::templates::{RenderContext, Rendered, TemplateError};

/// Why a letter could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Context(#[from] TemplateError),
    #[error("the EPC QR code cannot be made: {0}")]
    Epc(String),
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// The letter for `ctx`, with the paragraphs of the rendered plain text. The paragraphs that
/// repeat what the letter prints in its own blocks (the items, the totals, the payment details)
/// are left out: they are recognised by an item number, the IBAN, the payment reference or the
/// total amounts they contain.
///
/// # Errors
/// [`LetterError`] when the context has an amount in another currency, or the EPC payload
/// cannot be built.
pub fn letter(ctx: &RenderContext, rendered: &Rendered) -> Result<Letter, LetterError> {
    let view = ctx.view()?;
    let total = ctx.total_due()?;
    let plain = |m: arflow_core::money::Money| crate::format::number_only(m, ctx.language);
    let repeats = |p: &str| {
        view.items.iter().any(|i| p.contains(&i.number))
            || p.contains(&view.payment.iban)
            || p.contains(&view.payment.reference_display)
            || p.lines().next().is_some_and(|first| {
                first.len() < 100
                    && (first.ends_with(&view.totals.open)
                        || first.ends_with(&view.totals.total_due))
            })
            || p.lines().all(|l| {
                view.charges.iter().any(|c| {
                    l.contains(&c.label) || c.explanation.as_deref().is_some_and(|e| l.contains(e))
                })
            })
    };
    let paragraphs: Vec<String> = rendered
        .text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty() && !repeats(p))
        .map(str::to_owned)
        .collect();
    let creditor = &ctx.creditor;
    let mut registration_lines = Vec::new();
    if let Some(vat) = &creditor.vat {
        registration_lines.push(vat.clone());
    }
    if let Some(n) = &creditor.enterprise_number {
        registration_lines.push(n.clone());
    }
    for contact in [&creditor.email, &creditor.phone, &creditor.website].into_iter().flatten() {
        registration_lines.push(contact.clone());
    }
    registration_lines.truncate(arflow_pdf::REGISTRATION_LINES_MAX);
    let beneficiary = ctx.payment.beneficiary.clone().unwrap_or_else(|| creditor.name.clone());
    let epc = if view.currency == Currency::EUR.code() {
        let reference = &ctx.payment.reference;
        let structured = matches!(reference.scheme, ReferenceScheme::Rf | ReferenceScheme::Ogm);
        Some(
            epc_payload(&EpcRequest {
                bic: ctx.payment.bic.as_ref().map(ToString::to_string),
                name: beneficiary.chars().take(70).collect(),
                iban: ctx.payment.iban.electronic().to_owned(),
                amount: ctx.payment.amount.or(Some(total)).filter(|m| m.minor() > 0),
                reference: structured.then(|| reference.normalized.clone()),
                text: (!structured).then(|| reference.normalized.clone()),
                information: None,
            })
            .map_err(|e| LetterError::Epc(e.to_string()))?,
        )
    } else {
        None
    };
    let mut debtor_lines = Vec::new();
    if let Some(c) = &ctx.debtor.contact_name {
        debtor_lines.push(format!("{} {c}", attention_label(ctx)));
    }
    debtor_lines.extend(view.debtor.address_lines.iter().cloned());
    debtor_lines.truncate(arflow_pdf::ADDRESS_LINES_MAX);
    let city = creditor.address.city.clone().unwrap_or_default();
    Ok(Letter {
        language: ctx.language,
        creditor: Party {
            name: creditor.name.clone(),
            address_lines: view.creditor.address_lines.clone(),
            iban: Some(view.payment.iban.clone()),
            bic: view.payment.bic.clone(),
            registration_lines,
            accent_colour: Some(ctx.branding.accent().to_owned()),
            logo: ctx.branding.logo.as_ref().map(|l| arflow_pdf::Logo {
                format: match l.kind {
                    arflow_core::brand::LogoKind::Png => arflow_pdf::LogoFormat::Png,
                    arflow_core::brand::LogoKind::Svg => arflow_pdf::LogoFormat::Svg,
                },
                bytes: l.bytes.clone(),
            }),
        },
        debtor: Party {
            name: ctx.debtor.name.clone(),
            address_lines: debtor_lines,
            ..Party::default()
        },
        place_date: if city.is_empty() {
            view.today.clone()
        } else {
            format!("{city}, {}", view.today)
        },
        reference_line: format!("{} {}", customer_label(ctx), ctx.debtor.number),
        title: rendered.subject.clone(),
        paragraphs,
        items: view
            .items
            .iter()
            .zip(&ctx.items)
            .map(|(i, item)| LetterItem {
                number: i.number.clone(),
                issue_date: i.issue_date.clone(),
                due_date: i.due_date.clone(),
                amount: plain(item.amount),
                open: plain(item.open),
            })
            .collect(),
        charges: ctx
            .charges
            .iter()
            .map(|c| LetterCharge {
                label: c.label.clone(),
                amount: plain(c.amount),
                explanation: c.explanation.clone().unwrap_or_default(),
            })
            .collect(),
        total_due: plain(total),
        currency: view.currency.clone(),
        payment: PaymentBlock {
            iban: view.payment.iban.clone(),
            bic: view.payment.bic.clone(),
            beneficiary,
            reference_display: view.payment.reference_display.clone(),
            amount: plain(ctx.payment.amount.unwrap_or(total)),
            pay_by: view.payment.pay_by.clone(),
        },
        epc_payload: epc,
        footer: [Some(creditor.name.clone()), Some(view.creditor.address.clone())]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
    })
}

fn customer_label(ctx: &RenderContext) -> &'static str {
    match ctx.language {
        arflow_core::party::Language::Nl => "Klantnummer",
        arflow_core::party::Language::Fr => "Numéro de client",
        arflow_core::party::Language::En => "Customer number",
        arflow_core::party::Language::De => "Kundennummer",
    }
}

fn attention_label(ctx: &RenderContext) -> &'static str {
    match ctx.language {
        arflow_core::party::Language::Nl => "t.a.v.",
        arflow_core::party::Language::Fr => "à l'attention de",
        arflow_core::party::Language::En => "Attn.",
        arflow_core::party::Language::De => "z. Hd.",
    }
}

/// Renders the letter of `ctx` to PDF bytes.
///
/// # Errors
/// See [`letter`] and [`Renderer::render`].
pub fn render_pdf(
    renderer: &Renderer,
    ctx: &RenderContext,
    rendered: &Rendered,
) -> Result<Vec<u8>, LetterError> {
    Ok(renderer.render(&letter(ctx, rendered)?)?)
}

#[cfg(test)]
mod tests {
    use arflow_core::brand::{Branding, Logo, LogoKind};
    use arflow_core::party::{DebtorKind, Language, OrgCountry};

    use super::*;
    use crate::templates::{StepKey, Templates};

    /// A valid 2 × 1 PNG (two coloured pixels).
    const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x01\x08\x02\x00\x00\x00\x7b\x40\xe8\xdd\x00\x00\x00\x0f\x49\x44\x41\x54\x78\x9c\x63\x58\xc5\x60\x2c\xef\x57\x09\x00\x06\x41\x01\xc4\x9e\x31\x30\x48\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

    #[test]
    fn the_organisations_colour_and_logo_go_on_the_letter_and_the_colour_on_the_email() {
        let templates = Templates::builtin();
        let mut ctx = RenderContext::sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
        let plain = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap();
        let plain_letter = letter(&ctx, &plain).unwrap();
        assert_eq!(plain_letter.creditor.accent_colour.as_deref(), Some("#1f4e79"));
        assert!(plain_letter.creditor.logo.is_none());
        assert!(plain.html.contains("border-top:6px solid #1f4e79"));

        ctx.branding = Branding {
            accent_colour: Some("#aa0033".into()),
            logo: Some(Logo { kind: LogoKind::Png, bytes: PNG.to_vec() }),
        };
        let rendered = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap();
        assert!(rendered.html.contains("border-top:6px solid #aa0033"));
        let branded = letter(&ctx, &rendered).unwrap();
        assert_eq!(branded.creditor.accent_colour.as_deref(), Some("#aa0033"));
        let logo = branded.creditor.logo.as_ref().unwrap();
        assert_eq!((logo.format, logo.bytes.as_slice()), (arflow_pdf::LogoFormat::Png, PNG));
        // Both lay out: the logo adds an image to the PDF.
        let renderer = Renderer::new();
        let without = render_pdf(
            &renderer,
            &RenderContext { branding: Branding::default(), ..ctx.clone() },
            &rendered,
        )
        .unwrap();
        let with = render_pdf(&renderer, &ctx, &rendered).unwrap();
        let images = |pdf: &[u8]| {
            pdf.windows(13).filter(|w| w == b"/Subtype /Ima" || w == b"/Subtype/Imag").count()
        };
        assert!(images(&with) > images(&without), "{} vs {}", images(&with), images(&without));
    }
}
