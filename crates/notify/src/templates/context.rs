//! What a message is about (typed, as the legal layer computed it) and the view a template sees
//! (every amount and date already written out in the message's language).
//!
//! The caller fills a [`RenderContext`] with `Money`, `Date`, `Iban` and friends; it can be
//! stored as JSON next to the outbox row so that exactly the same message can be shown again.
//! [`RenderContext::view`] turns it into the variables listed in `templates/README.md`.

use arflow_core::date::{Date, days_between};
use arflow_core::ident::{Bic, Iban};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{Address, CountryCode, DebtorKind, Language, OrgCountry};
use arflow_core::reference::{PaymentReference, ReferenceScheme};
use serde::{Deserialize, Serialize};

use super::{TemplateError, TemplateErrorKind};
use crate::format;

/// Most open items one message lists; a longer statement belongs in an attachment.
pub const ITEMS_MAX: usize = 500;
/// Most charges (due or announced) one message lists.
pub const CHARGES_MAX: usize = 50;

/// Everything a dunning message may say, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderContext {
    pub language: Language,
    /// The day the message is written (organisation's time zone).
    pub today: Date,
    /// The currency of every amount below.
    pub currency: Currency,
    pub creditor: Creditor,
    pub debtor: Debtor,
    pub items: Vec<Item>,
    /// Charges already due, included in the total to pay (interest, the B2B €40, fees).
    pub charges: Vec<Charge>,
    /// Charges that will be claimed if the debtor does not pay by `term_date`: the exact
    /// collection costs of the Dutch 14-day letter, the damages clause of the Belgian first
    /// reminder. Not included in the total.
    pub announced_charges: Vec<Charge>,
    pub payment: Payment,
    /// The deadline, already computed by the legal layer (delivery assumptions, holidays).
    pub term_date: Date,
    /// The debtor's personal page, when the portal is on.
    pub portal_url: Option<String>,
    /// The bailiff or collection agency, for `pre_legal` (optional) and `handover` (required).
    pub collector: Option<Collector>,
    /// The organisation's look: its accent colour on e-mails and letters, its logo on letters.
    #[serde(skip)]
    pub branding: arflow_core::brand::Branding,
}

/// The organisation that is owed the money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Creditor {
    pub name: String,
    pub country: OrgCountry,
    pub address: Address,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub vat: Option<String>,
    /// KBO/BCE number in Belgium (mandatory in the Belgian first reminder), KvK number in the
    /// Netherlands; written as it should be printed.
    pub enterprise_number: Option<String>,
    pub website: Option<String>,
}

/// The customer the message is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debtor {
    pub name: String,
    /// The organisation's customer number.
    pub number: String,
    pub kind: DebtorKind,
    pub contact_name: Option<String>,
    pub address: Address,
}

/// One open item (invoice or credit note) listed in the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub number: String,
    /// What was sold; the Belgian first reminder must describe the product or service.
    pub description: Option<String>,
    pub issue_date: Date,
    pub due_date: Date,
    /// The invoice amount (negative for a credit note).
    pub amount: Money,
    /// What is still open of it.
    pub open: Money,
}

/// A charge with the wording the legal layer chose for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// "Buitengerechtelijke incassokosten", "Intérêts de retard", …
    pub label: String,
    pub amount: Money,
    /// The derivation in one sentence (rule, base, rate, period), printed under the label.
    pub explanation: Option<String>,
}

/// How to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub iban: Iban,
    pub bic: Option<Bic>,
    /// The account holder; the creditor's name when `None`.
    pub beneficiary: Option<String>,
    pub reference: PaymentReference,
    /// The amount to pay; the total due (open items plus due charges) when `None`.
    pub amount: Option<Money>,
}

/// A bailiff or collection agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collector {
    pub name: String,
    pub address: Address,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// Their file number for this debtor.
    pub reference: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The view: what templates see.

/// The template variables: strings written for the reader, plus a few numbers and flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    pub language: &'static str,
    pub today: String,
    pub currency: String,
    pub creditor: CreditorView,
    pub debtor: DebtorView,
    pub items: Vec<ItemView>,
    pub totals: TotalsView,
    pub charges: Vec<ChargeView>,
    pub announced_charges: Vec<ChargeView>,
    pub payment: PaymentView,
    pub term_date: String,
    pub portal_url: Option<String>,
    pub collector: Option<CollectorView>,
    /// `#rrggbb`: the organisation's accent colour, or arflow's own.
    pub accent_colour: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditorView {
    pub name: String,
    /// `NL` or `BE`.
    pub country: &'static str,
    /// The address on one line.
    pub address: String,
    pub address_lines: Vec<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub vat: Option<String>,
    pub enterprise_number: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebtorView {
    pub name: String,
    pub number: String,
    /// `business` or `consumer`.
    pub kind: &'static str,
    pub contact_name: Option<String>,
    pub address: String,
    pub address_lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemView {
    pub number: String,
    pub description: Option<String>,
    pub issue_date: String,
    pub due_date: String,
    pub amount: String,
    pub open: String,
    /// Days since the due date on `today`; 0 before and on the due date.
    pub days_overdue: i32,
    pub overdue: bool,
    /// A credit note (what is open is negative).
    pub credit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalsView {
    /// Sum of what is open of the items.
    pub open: String,
    /// The part of `open` that is past its due date.
    pub overdue: String,
    /// Sum of the charges already due.
    pub charges: String,
    /// Sum of the announced charges.
    pub announced: String,
    /// `open + charges`.
    pub total_due: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeView {
    pub label: String,
    pub amount: String,
    pub explanation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub amount: String,
    /// In groups of four.
    pub iban: String,
    pub bic: Option<String>,
    pub beneficiary: String,
    /// The electronic form (for QR codes and links).
    pub reference: String,
    /// The form people type (`+++123/4567/89002+++`).
    pub reference_display: String,
    /// `ogm`, `rf` or `nl`.
    pub scheme: &'static str,
    /// Same as `term_date`.
    pub pay_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectorView {
    pub name: String,
    pub address: String,
    pub address_lines: Vec<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub reference: Option<String>,
}

fn context_error(reason: String) -> TemplateError {
    TemplateError {
        template: "context".into(),
        line: None,
        kind: TemplateErrorKind::Context,
        reason,
    }
}

impl RenderContext {
    /// The template variables, every amount and date written for `self.language`.
    ///
    /// # Errors
    /// See [`RenderContext::view_in`].
    pub fn view(&self) -> Result<View, TemplateError> {
        self.view_in(self.language)
    }

    /// What is open of the items plus the charges already due: the amount to pay.
    ///
    /// # Errors
    /// [`TemplateErrorKind::Context`] for an amount in another currency or an overflow.
    pub fn total_due(&self) -> Result<Money, TemplateError> {
        let amounts =
            self.items.iter().map(|i| i.open).chain(self.charges.iter().map(|c| c.amount));
        Money::sum(self.currency, amounts).map_err(|e| context_error(format!("totals: {e}")))
    }

    /// The template variables, every amount and date written for `lang`.
    ///
    /// # Errors
    /// [`TemplateErrorKind::Context`] when an amount is in another currency than `currency`,
    /// a sum overflows, or a list is longer than [`ITEMS_MAX`] / [`CHARGES_MAX`].
    pub fn view_in(&self, lang: Language) -> Result<View, TemplateError> {
        if self.items.len() > ITEMS_MAX {
            return Err(context_error(format!(
                "{} items; a message lists at most {ITEMS_MAX}",
                self.items.len()
            )));
        }
        if self.charges.len() > CHARGES_MAX || self.announced_charges.len() > CHARGES_MAX {
            return Err(context_error(format!("a message lists at most {CHARGES_MAX} charges")));
        }
        let money = |m: Money| -> Result<String, TemplateError> {
            if m.currency() != self.currency {
                return Err(context_error(format!(
                    "amount {m:?} is not in the message currency {}",
                    self.currency
                )));
            }
            Ok(format::money(m, lang))
        };
        let sum = |amounts: Vec<Money>| -> Result<Money, TemplateError> {
            Money::sum(self.currency, amounts).map_err(|e| context_error(format!("totals: {e}")))
        };

        let mut items = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let days_overdue = days_between(item.due_date, self.today).max(0);
            items.push(ItemView {
                number: item.number.clone(),
                description: item.description.clone(),
                issue_date: format::date(item.issue_date, lang),
                due_date: format::date(item.due_date, lang),
                amount: money(item.amount)?,
                open: money(item.open)?,
                days_overdue,
                overdue: days_overdue > 0,
                credit: item.open.is_negative(),
            });
        }
        let open = sum(self.items.iter().map(|i| i.open).collect())?;
        let overdue =
            sum(self.items.iter().filter(|i| i.due_date < self.today).map(|i| i.open).collect())?;
        let charges_total = sum(self.charges.iter().map(|c| c.amount).collect())?;
        let announced_total = sum(self.announced_charges.iter().map(|c| c.amount).collect())?;
        let total_due = open
            .checked_add(charges_total)
            .map_err(|e| context_error(format!("total due: {e}")))?;
        let charge_views = |charges: &[Charge]| -> Result<Vec<ChargeView>, TemplateError> {
            charges
                .iter()
                .map(|c| {
                    Ok(ChargeView {
                        label: c.label.clone(),
                        amount: money(c.amount)?,
                        explanation: c.explanation.clone(),
                    })
                })
                .collect()
        };
        let creditor_country = self.creditor.country.code();
        let term_date = format::date(self.term_date, lang);

        Ok(View {
            language: lang.as_str(),
            today: format::date(self.today, lang),
            currency: self.currency.code().to_owned(),
            creditor: CreditorView {
                name: self.creditor.name.clone(),
                country: self.creditor.country.as_str(),
                address: address_lines(&self.creditor.address, creditor_country, lang).join(", "),
                address_lines: address_lines(&self.creditor.address, creditor_country, lang),
                email: self.creditor.email.clone(),
                phone: self.creditor.phone.clone(),
                vat: self.creditor.vat.clone(),
                enterprise_number: self.creditor.enterprise_number.clone(),
                website: self.creditor.website.clone(),
            },
            debtor: DebtorView {
                name: self.debtor.name.clone(),
                number: self.debtor.number.clone(),
                kind: self.debtor.kind.as_str(),
                contact_name: self.debtor.contact_name.clone(),
                address: address_lines(&self.debtor.address, creditor_country, lang).join(", "),
                address_lines: address_lines(&self.debtor.address, creditor_country, lang),
            },
            items,
            totals: TotalsView {
                open: money(open)?,
                overdue: money(overdue)?,
                charges: money(charges_total)?,
                announced: money(announced_total)?,
                total_due: money(total_due)?,
            },
            charges: charge_views(&self.charges)?,
            announced_charges: charge_views(&self.announced_charges)?,
            payment: PaymentView {
                amount: money(self.payment.amount.unwrap_or(total_due))?,
                iban: self.payment.iban.print(),
                bic: self.payment.bic.as_ref().map(|b| b.as_str().to_owned()),
                beneficiary: self
                    .payment
                    .beneficiary
                    .clone()
                    .unwrap_or_else(|| self.creditor.name.clone()),
                reference: self.payment.reference.normalized.clone(),
                reference_display: self.payment.reference.display(),
                scheme: self.payment.reference.scheme.as_str(),
                pay_by: term_date.clone(),
            },
            term_date,
            portal_url: self.portal_url.clone(),
            collector: self.collector.as_ref().map(|c| CollectorView {
                name: c.name.clone(),
                address: address_lines(&c.address, creditor_country, lang).join(", "),
                address_lines: address_lines(&c.address, creditor_country, lang),
                email: c.email.clone(),
                phone: c.phone.clone(),
                website: c.website.clone(),
                reference: c.reference.clone(),
            }),
            accent_colour: self.branding.accent().to_owned(),
        })
    }

    /// A complete context with plausible data, for previews and for checking an edited template
    /// before it is saved: two invoices (one with a long description), a due charge, announced
    /// collection costs of the right kind for the creditor's country, a portal link and a
    /// collection agency.
    pub fn sample(language: Language, creditor_country: OrgCountry, kind: DebtorKind) -> Self {
        let eur = |minor: i64| Money::from_minor(minor, Currency::EUR);
        let date = |y: i16, m: i8, d: i8| Date::new(y, m, d).expect("the sample dates are valid");
        let (creditor, iban, bic, reference, charge, announced) = match creditor_country {
            OrgCountry::Nl => (
                Creditor {
                    name: "Voorbeeld Installatietechniek B.V.".into(),
                    country: OrgCountry::Nl,
                    address: Address {
                        street: Some("Keizersgracht 100".into()),
                        postal_code: Some("1015 AA".into()),
                        city: Some("Amsterdam".into()),
                        country: Some(CountryCode::NL),
                    },
                    email: Some("debiteuren@voorbeeld.nl".into()),
                    phone: Some("+31 20 123 4567".into()),
                    vat: Some("NL123456789B01".into()),
                    enterprise_number: Some("12345678".into()),
                    website: Some("https://www.voorbeeld.nl".into()),
                },
                "NL91ABNA0417164300",
                "ABNANL2A",
                (ReferenceScheme::Nl, "5000056789012345"),
                Charge {
                    label: "Wettelijke rente".into(),
                    amount: eur(7_03),
                    explanation: Some(
                        "4% per jaar over € 1.210,00 van 2 oktober 2026 tot en met 23 november 2026"
                            .into(),
                    ),
                },
                Charge {
                    label: "Buitengerechtelijke incassokosten".into(),
                    amount: eur(196_50),
                    explanation: Some(
                        "Staffel Besluit vergoeding voor buitengerechtelijke incassokosten: 15% over € 1.310,00"
                            .into(),
                    ),
                },
            ),
            OrgCountry::Be => (
                Creditor {
                    name: "Voorbeeld Energie NV".into(),
                    country: OrgCountry::Be,
                    address: Address {
                        street: Some("Wetstraat 16".into()),
                        postal_code: Some("1000".into()),
                        city: Some("Brussel".into()),
                        country: Some(CountryCode::BE),
                    },
                    email: Some("facturatie@voorbeeld.be".into()),
                    phone: Some("+32 2 123 45 67".into()),
                    vat: Some("BE0403170701".into()),
                    enterprise_number: Some("0403.170.701".into()),
                    website: Some("https://www.voorbeeld.be".into()),
                },
                "BE68539007547034",
                "BBRUBEBB",
                (ReferenceScheme::Ogm, "123456789002"),
                Charge {
                    label: "Administratiekosten".into(),
                    amount: eur(7_50),
                    explanation: None,
                },
                Charge {
                    label: "Forfaitaire schadevergoeding".into(),
                    amount: eur(65_50),
                    explanation: Some(
                        "Boek XIX WER: € 65 + 5% van het deel boven € 500 (saldo € 510,00)".into(),
                    ),
                },
            ),
        };
        let (charge, announced) =
            (sample_charge(charge, language), sample_charge(announced, language));
        let items = vec![
            Item {
                number: "2026-0815".into(),
                description: Some("Onderhoud cv-installatie, september 2026".into()),
                issue_date: date(2026, 9, 1),
                due_date: date(2026, 10, 1),
                amount: eur(1_210_00),
                open: eur(1_210_00),
            },
            Item {
                number: "2026-0902".into(),
                description: Some("Vervanging thermostaat".into()),
                issue_date: date(2026, 10, 15),
                due_date: date(2026, 11, 14),
                amount: eur(250_00),
                open: eur(100_00),
            },
        ];
        let (items, charges) = match (creditor_country, kind) {
            // A Belgian consumer's first reminder is free: nothing may be charged yet.
            (OrgCountry::Be, DebtorKind::Consumer) => (
                items
                    .into_iter()
                    .map(|mut i| {
                        i.amount = eur(255_00);
                        i.open = eur(255_00);
                        i
                    })
                    .collect(),
                Vec::new(),
            ),
            _ => (items, vec![charge]),
        };
        RenderContext {
            language,
            today: date(2026, 11, 23),
            currency: Currency::EUR,
            creditor,
            debtor: Debtor {
                name: "J. de Vries".into(),
                number: "K-10042".into(),
                kind,
                contact_name: Some("Jan de Vries".into()),
                address: Address {
                    street: Some("Dorpsstraat 1".into()),
                    postal_code: Some("3511 AB".into()),
                    city: Some("Utrecht".into()),
                    country: Some(CountryCode::NL),
                },
            },
            items,
            charges,
            announced_charges: vec![announced],
            payment: Payment {
                iban: Iban::parse(iban).expect("the sample IBANs are valid"),
                bic: Bic::parse(bic).ok(),
                beneficiary: None,
                reference: PaymentReference { scheme: reference.0, normalized: reference.1.into() },
                amount: None,
            },
            term_date: date(2026, 12, 10),
            portal_url: Some("https://arflow.example/p/AbCdEf123456".into()),
            collector: Some(Collector {
                name: "Voorbeeld Gerechtsdeurwaarders".into(),
                address: Address {
                    street: Some("Stationsplein 5".into()),
                    postal_code: Some("3511 ED".into()),
                    city: Some("Utrecht".into()),
                    country: Some(CountryCode::NL),
                },
                email: Some("dossiers@deurwaarder.example".into()),
                phone: Some("+31 30 765 4321".into()),
                website: None,
                reference: Some("D-2026-4711".into()),
            }),
            branding: arflow_core::brand::Branding::default(),
        }
    }
}

/// An address as printed lines; the country is named only when it differs from the creditor's.
fn address_lines(address: &Address, home: CountryCode, language: Language) -> Vec<String> {
    let mut lines = Vec::with_capacity(3);
    if let Some(street) = address.street.as_deref().filter(|s| !s.trim().is_empty()) {
        lines.push(street.trim().to_owned());
    }
    let place = [address.postal_code.as_deref(), address.city.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !place.is_empty() {
        lines.push(place);
    }
    if let Some(country) = address.country.filter(|c| *c != home) {
        lines.push(country_name(country, language));
    }
    lines
}

/// The name of the countries our readers mostly live in; others by their ISO code.
fn country_name(country: CountryCode, language: Language) -> String {
    let names: [&str; 4] = match country.as_str() {
        "NL" => ["Nederland", "Pays-Bas", "Netherlands", "Niederlande"],
        "BE" => ["België", "Belgique", "Belgium", "Belgien"],
        "DE" => ["Duitsland", "Allemagne", "Germany", "Deutschland"],
        "FR" => ["Frankrijk", "France", "France", "Frankreich"],
        "LU" => ["Luxemburg", "Luxembourg", "Luxembourg", "Luxemburg"],
        "GB" => ["Verenigd Koninkrijk", "Royaume-Uni", "United Kingdom", "Vereinigtes Königreich"],
        other => return other.to_owned(),
    };
    let i = match language {
        Language::Nl => 0,
        Language::Fr => 1,
        Language::En => 2,
        Language::De => 3,
    };
    names.get(i).copied().unwrap_or_default().to_owned()
}

/// A sample charge in the template's language (the samples are written in Dutch).
fn sample_charge(charge: Charge, language: Language) -> Charge {
    let (label, explanation): (&str, Option<&str>) = match (charge.label.as_str(), language) {
        (_, Language::Nl) => return charge,
        ("Wettelijke rente", Language::Fr) => (
            "Intérêts légaux",
            Some("4 % par an sur 1 210,00 € du 2 octobre 2026 au 23 novembre 2026"),
        ),
        ("Wettelijke rente", Language::En) => (
            "Statutory interest",
            Some("4% a year on €1,210.00 from 2 October 2026 to 23 November 2026"),
        ),
        ("Wettelijke rente", Language::De) => (
            "Gesetzliche Zinsen",
            Some("4 % pro Jahr auf 1.210,00 € vom 2. Oktober 2026 bis 23. November 2026"),
        ),
        ("Buitengerechtelijke incassokosten", Language::Fr) => (
            "Frais de recouvrement extrajudiciaires",
            Some(
                "Barème du décret néerlandais sur les frais de recouvrement extrajudiciaires : 15 % de 1 310,00 €",
            ),
        ),
        ("Buitengerechtelijke incassokosten", Language::En) => (
            "Extrajudicial collection costs",
            Some("Scale of the Dutch decree on extrajudicial collection costs: 15% of €1,310.00"),
        ),
        ("Buitengerechtelijke incassokosten", Language::De) => (
            "Außergerichtliche Inkassokosten",
            Some(
                "Staffel der niederländischen Verordnung über außergerichtliche Inkassokosten: 15 % von 1.310,00 €",
            ),
        ),
        ("Administratiekosten", Language::Fr) => ("Frais administratifs", None),
        ("Administratiekosten", Language::En) => ("Administration fee", None),
        ("Administratiekosten", Language::De) => ("Bearbeitungsgebühr", None),
        ("Forfaitaire schadevergoeding", Language::Fr) => (
            "Indemnité forfaitaire",
            Some("Livre XIX CDE : 65 € + 5 % de la part au-delà de 500 € (solde 510,00 €)"),
        ),
        ("Forfaitaire schadevergoeding", Language::En) => (
            "Fixed compensation",
            Some(
                "Book XIX of the Belgian Code of Economic Law: €65 + 5% of the part above €500 (balance €510.00)",
            ),
        ),
        ("Forfaitaire schadevergoeding", Language::De) => (
            "Pauschale Entschädigung",
            Some("Buch XIX WGB: 65 € + 5 % des Teils über 500 € (Saldo 510,00 €)"),
        ),
        _ => return charge,
    };
    Charge { label: label.into(), amount: charge.amount, explanation: explanation.map(Into::into) }
}
