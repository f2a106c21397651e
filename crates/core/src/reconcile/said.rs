//! What the matcher says about a proposal, sentence by sentence, with the data of each sentence
//! kept apart from its words so it can be written in Dutch, French or English.
//!
//! The English rendering is the proposal's `explanation` as it has always been written; German
//! falls back to English. Amounts keep the plain written form of the English sentences (`150.00`,
//! `EUR 150.00`) in every language: the core has no localised number formatting.

use crate::date::Date;
use crate::money::{Money, format_minor};
use crate::party::Language;

/// One sentence of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "said", rename_all = "snake_case")]
pub enum Said {
    /// The quoted reference is on no open item.
    ReferenceUnknown { reference: String },
    /// The quoted reference is on several open items.
    ReferenceOnSeveral { reference: String, items: usize },
    /// The payment quotes an invoice's reference; `open` is what is open on it.
    ReferenceQuoted { reference: String, invoice: String, open: Money },
    /// The amount is exactly what is open on the invoice.
    ExactlyOpen,
    /// Short within the tolerance; the difference stays open.
    ShortWithinTolerance { short: Money },
    /// A partial payment; `left` stays open.
    PartialLeavesOpen { left: Money },
    /// More than open; the rest is unapplied credit.
    OverKeptUnapplied { over: Money },
    /// The payment quotes a plan instalment's reference (`number` counts from 1).
    InstalmentQuoted {
        reference: String,
        number: u64,
        of: u32,
        plan: i64,
        due: Date,
        amount: Money,
    },
    /// The plan and the payment are in different currencies.
    PlanOtherCurrency { plan: Money, payment: Money },
    /// Nothing is open on the plan any more.
    PlanNothingOpen,
    /// Where the money goes on the plan: invoice numbers and amounts, oldest first.
    PlanSpread { to: Vec<(String, Money)> },
    /// The amount is everything open on the plan.
    PlanAllOpen,
    /// Short of everything open on the plan, within the tolerance.
    PlanShort { short: Money },
    /// Exactly the instalment; `left` stays open on the plan.
    PlanExactInstalment { left: Money },
    /// `difference` less (or more) than the instalment; `left` stays open on the plan.
    PlanOtherThanInstalment { difference: Money, less: bool, left: Money },
    /// More than everything open on the plan.
    PlanOver { over: Money },
    /// The remittance text names these invoices.
    RemittanceNames { invoices: Vec<String> },
    /// Exactly what is open on the named invoices.
    ExactlyOpenOnThem,
    /// Short of what is open on the named invoices, within the tolerance.
    ShortOfOpen { short: Money },
    /// A partial payment of one named invoice with `open` open.
    PartialOf { open: Money, known_account: bool },
    /// Covers only part of what is open on the named invoices.
    CoversPart { open: Money },
    /// More than open on the named invoices.
    OverOnThem { over: Money },
    /// The named invoices belong to several debtors.
    SeveralDebtors { debtors: usize },
    /// The account paid from is known for `debtors` debtors (1: this one).
    AccountKnown { iban: String, debtors: usize },
    /// The payer's name is `similarity` percent like the debtor's.
    NameSimilar { name: String, similarity: u8 },
    /// The amount fits one invoice.
    FitsInvoice { invoice: String },
    /// Several open items have this amount.
    SameAmountItems { items: usize },
    /// The amount is the debtor's whole open balance.
    WholeBalance { items: usize },
    /// The amount is the sum of these invoices.
    SumOfInvoices { invoices: Vec<String> },
    /// Other combinations of invoices fit too.
    OtherCombinations,
    /// No combination of the debtor's open items fits.
    NoCombination { items: usize },
    /// More than the debtor's whole open balance.
    MoreThanBalance { open: Money },
}

#[derive(Clone, Copy)]
enum L {
    Nl,
    Fr,
    En,
}

/// `150.00` in English, `150,00` in Dutch and French.
fn plain(lang: L, m: &Money) -> String {
    let text = format_minor(m.minor(), m.currency());
    match lang {
        L::En => text,
        L::Nl | L::Fr => text.replace('.', ","),
    }
}

/// `EUR 150.00` in English, `EUR 150,00` in Dutch and French.
fn coded(lang: L, m: &Money) -> String {
    format!("{} {}", m.currency(), plain(lang, m))
}

fn date(lang: L, d: Date) -> String {
    match lang {
        L::Nl => format!("{:02}-{:02}-{:04}", d.day(), d.month(), d.year()),
        L::Fr => format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()),
        L::En => d.to_string(),
    }
}

impl Said {
    /// The sentence in `lang` (German: English).
    #[must_use]
    pub fn sentence(&self, lang: Language) -> String {
        let l = match lang {
            Language::Nl => L::Nl,
            Language::Fr => L::Fr,
            Language::En | Language::De => L::En,
        };
        // Only the language asked for is written.
        macro_rules! pick {
            ($nl:expr, $fr:expr, $en:expr $(,)?) => {
                match l {
                    L::Nl => $nl,
                    L::Fr => $fr,
                    L::En => $en,
                }
            };
        }
        match self {
            Said::ReferenceUnknown { reference: r } => pick!(
                format!("Betalingskenmerk {r} hoort bij geen openstaande post (al betaald, of niet van ons)."),
                format!("La référence de paiement {r} ne correspond à aucun poste ouvert (déjà payé, ou pas chez nous)."),
                format!("The payment reference {r} belongs to no open item (paid already, or not ours)."),
            ),
            Said::ReferenceOnSeveral { reference: r, items: n } => pick!(
                format!("Betalingskenmerk {r} staat op {n} openstaande posten."),
                format!("La référence de paiement {r} figure sur {n} postes ouverts."),
                format!("The payment reference {r} is on {n} open items."),
            ),
            Said::ReferenceQuoted { reference: r, invoice: i, open } => {
                let o = plain(l, open);
                pick!(
                    format!("De betaling vermeldt betalingskenmerk {r} van factuur {i} ({o} open)."),
                    format!("Le paiement mentionne la référence de paiement {r} de la facture {i} ({o} restant dû)."),
                    format!("The payment quotes the payment reference {r} of invoice {i} ({o} open)."),
                )
            }
            Said::ExactlyOpen => pick!(
                "Het bedrag is precies wat openstaat.".into(),
                "Le montant correspond exactement à ce qui est ouvert.".into(),
                "The amount is exactly what is open.".into(),
            ),
            Said::ShortWithinTolerance { short } => {
                let s = plain(l, short);
                pick!(
                    format!("Het bedrag is {s} te weinig, binnen de marge voor bankkosten; dat blijft openstaan."),
                    format!("Il manque {s}, dans la tolérance pour frais bancaires ; ce montant reste ouvert."),
                    format!("The amount is {s} short, within the tolerance for bank costs; that stays open."),
                )
            }
            Said::PartialLeavesOpen { left } => {
                let o = plain(l, left);
                pick!(
                    format!("Een gedeeltelijke betaling; {o} blijft openstaan."),
                    format!("Un paiement partiel ; {o} reste ouvert."),
                    format!("A partial payment; {o} stays open."),
                )
            }
            Said::OverKeptUnapplied { over } => {
                let o = plain(l, over);
                pick!(
                    format!("De betaling is {o} meer dan openstaat; dat blijft als niet-toegewezen tegoed staan."),
                    format!("Le paiement dépasse de {o} ce qui est ouvert ; ce montant est gardé comme crédit non affecté."),
                    format!("The payment is {o} more than open; that is kept as unapplied credit."),
                )
            }
            Said::InstalmentQuoted { reference: r, number: n, of, plan: p, due, amount } => {
                let a = coded(l, amount);
                let d = date(l, *due);
                pick!(
                    format!("De betaling vermeldt betalingskenmerk {r}: die betaalt termijn {n} van {of} van betalingsregeling {p}, vervaldag {d}, {a}."),
                    format!("Le paiement mentionne la référence de paiement {r} : il paie l'échéance {n} sur {of} du plan de paiement {p}, due le {d}, {a}."),
                    format!("The payment quotes the payment reference {r}: it pays instalment {n} of {of} of payment plan {p}, due {d}, {a}."),
                )
            }
            Said::PlanOtherCurrency { plan, payment } => {
                let (p, q) = (plan.currency(), payment.currency());
                pick!(
                    format!("De regeling is in {p}, de betaling in {q}: niet daaraan toegewezen."),
                    format!("Le plan est en {p}, le paiement en {q} : non affecté au plan."),
                    format!("The plan is in {p}, the payment in {q}: not allocated to it."),
                )
            }
            Said::PlanNothingOpen => pick!(
                "Op de facturen van de regeling staat niets meer open; het hele bedrag blijft als niet-toegewezen tegoed van de debiteur staan.".into(),
                "Plus rien n'est ouvert sur les factures du plan ; tout le montant est gardé comme crédit non affecté du débiteur.".into(),
                "Nothing is open on the plan's invoices any more; the whole amount is kept as unapplied credit of the debtor.".into(),
            ),
            Said::PlanSpread { to } => {
                let list = |word: &str| {
                    to.iter()
                        .map(|(number, m)| format!("{word} {number} ({})", coded(l, m)))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                pick!(
                    format!("Het gaat naar de openstaande facturen van de regeling, oudste eerst: {}.", list("factuur")),
                    format!("Il va aux factures ouvertes du plan, la plus ancienne d'abord : {}.", list("facture")),
                    format!("It goes to the plan's open invoices oldest first: {}.", list("invoice")),
                )
            }
            Said::PlanAllOpen => pick!(
                "Dat is alles wat nog openstaat op de regeling.".into(),
                "C'est tout ce qui reste ouvert sur le plan.".into(),
                "That is everything still open on the plan.".into(),
            ),
            Said::PlanShort { short } => {
                let s = coded(l, short);
                pick!(
                    format!("Het bedrag is {s} minder dan alles wat openstaat op de regeling, binnen de marge voor bankkosten; dat blijft openstaan."),
                    format!("Il manque {s} pour couvrir tout ce qui est ouvert sur le plan, dans la tolérance pour frais bancaires ; ce montant reste ouvert."),
                    format!("The amount is {s} short of everything open on the plan, within the tolerance for bank costs; that stays open."),
                )
            }
            Said::PlanExactInstalment { left } => {
                let o = coded(l, left);
                pick!(
                    format!("Het bedrag is precies de termijn; {o} blijft openstaan op de regeling."),
                    format!("Le montant est exactement celui de l'échéance ; {o} reste ouvert sur le plan."),
                    format!("The amount is exactly the instalment; {o} stays open on the plan."),
                )
            }
            Said::PlanOtherThanInstalment { difference, less, left } => {
                let (d, o) = (coded(l, difference), coded(l, left));
                pick!(
                    format!(
                        "Het bedrag is {d} {} dan de termijn; {o} blijft openstaan op de regeling.",
                        if *less { "minder" } else { "meer" }
                    ),
                    format!(
                        "Le montant est {} de {d} à l'échéance ; {o} reste ouvert sur le plan.",
                        if *less { "inférieur" } else { "supérieur" }
                    ),
                    format!(
                        "The amount is {d} {} the instalment; {o} stays open on the plan.",
                        if *less { "less than" } else { "more than" }
                    ),
                )
            }
            Said::PlanOver { over } => {
                let o = coded(l, over);
                pick!(
                    format!("De betaling is {o} meer dan alles wat openstaat op de regeling; dat blijft als niet-toegewezen tegoed staan."),
                    format!("Le paiement dépasse de {o} tout ce qui est ouvert sur le plan ; ce montant est gardé comme crédit non affecté."),
                    format!("The payment is {o} more than everything open on the plan; that is kept as unapplied credit."),
                )
            }
            Said::RemittanceNames { invoices } => {
                let n = invoices.join(", ");
                if invoices.len() == 1 {
                    pick!(
                        format!("De omschrijving noemt factuur {n}."),
                        format!("La communication cite la facture {n}."),
                        format!("The remittance text names invoice {n}."),
                    )
                } else {
                    pick!(
                        format!("De omschrijving noemt facturen {n}."),
                        format!("La communication cite les factures {n}."),
                        format!("The remittance text names invoices {n}."),
                    )
                }
            }
            Said::ExactlyOpenOnThem => pick!(
                "Het bedrag is precies wat daarop openstaat.".into(),
                "Le montant correspond exactement à ce qui est ouvert sur ces factures.".into(),
                "The amount is exactly what is open on them.".into(),
            ),
            Said::ShortOfOpen { short } => {
                let s = plain(l, short);
                pick!(
                    format!("Het bedrag is {s} minder dan wat openstaat, binnen de marge voor bankkosten."),
                    format!("Il manque {s} par rapport à ce qui est ouvert, dans la tolérance pour frais bancaires."),
                    format!("The amount is {s} short of what is open, within the tolerance for bank costs."),
                )
            }
            Said::PartialOf { open, known_account } => {
                let o = plain(l, open);
                let k = *known_account;
                pick!(
                    format!(
                        "Een gedeeltelijke betaling van {o} open{}.",
                        if k { ", vanaf een rekening die bekend is voor deze debiteur" } else { "" }
                    ),
                    format!(
                        "Un paiement partiel sur {o} ouvert{}.",
                        if k { ", depuis un compte connu pour ce débiteur" } else { "" }
                    ),
                    format!(
                        "A partial payment of {o} open{}.",
                        if k { ", from an account known for this debtor" } else { "" }
                    ),
                )
            }
            Said::CoversPart { open } => {
                let o = plain(l, open);
                pick!(
                    format!("Het bedrag dekt maar een deel van de {o} die daarop openstaat; oudste eerst toegewezen."),
                    format!("Le montant ne couvre qu'une partie des {o} ouverts sur ces factures ; affecté au plus ancien d'abord."),
                    format!("The amount covers only part of the {o} open on them; allocated oldest first."),
                )
            }
            Said::OverOnThem { over } => {
                let o = plain(l, over);
                pick!(
                    format!("Het bedrag is {o} meer dan daarop openstaat; de rest zou niet-toegewezen tegoed worden."),
                    format!("Le montant dépasse de {o} ce qui est ouvert sur ces factures ; le reste serait du crédit non affecté."),
                    format!("The amount is {o} more than open on them; the rest would be unapplied credit."),
                )
            }
            Said::SeveralDebtors { debtors: n } => pick!(
                format!("Ze horen bij {n} verschillende debiteuren."),
                format!("Elles appartiennent à {n} débiteurs différents."),
                format!("They belong to {n} different debtors."),
            ),
            Said::AccountKnown { iban, debtors: n } => {
                if *n > 1 {
                    pick!(
                        format!("Rekening {iban} is bekend voor {n} debiteuren."),
                        format!("Le compte {iban} est connu pour {n} débiteurs."),
                        format!("The account {iban} is known for {n} debtors."),
                    )
                } else {
                    pick!(
                        format!("Rekening {iban} is bekend voor deze debiteur."),
                        format!("Le compte {iban} est connu pour ce débiteur."),
                        format!("The account {iban} is known for this debtor."),
                    )
                }
            }
            Said::NameSimilar { name, similarity: s } => pick!(
                format!("De naam van de betaler '{name}' lijkt voor {s}% op de naam van deze debiteur."),
                format!("Le nom du payeur « {name} » ressemble à {s} % au nom de ce débiteur."),
                format!("The payer's name '{name}' is {s}% similar to this debtor's name."),
            ),
            Said::FitsInvoice { invoice: i } => pick!(
                format!("Het bedrag past bij factuur {i}."),
                format!("Le montant correspond à la facture {i}."),
                format!("The amount fits invoice {i}."),
            ),
            Said::SameAmountItems { items: n } => pick!(
                format!("{n} openstaande posten hebben dit bedrag; de oudste wordt voorgesteld."),
                format!("{n} postes ouverts ont ce montant ; le plus ancien est proposé."),
                format!("{n} open items have this amount; the oldest is proposed."),
            ),
            Said::WholeBalance { items: n } => pick!(
                format!("Het bedrag is het hele openstaande saldo van de debiteur ({n} posten)."),
                format!("Le montant est tout le solde ouvert du débiteur ({n} postes)."),
                format!("The amount is the debtor's whole open balance ({n} items)."),
            ),
            Said::SumOfInvoices { invoices } => {
                let n = invoices.join(", ");
                pick!(
                    format!("Het bedrag is de som van facturen {n}."),
                    format!("Le montant est la somme des factures {n}."),
                    format!("The amount is the sum of invoices {n}."),
                )
            }
            Said::OtherCombinations => pick!(
                "Andere combinaties passen ook.".into(),
                "D'autres combinaisons conviennent aussi.".into(),
                "Other combinations fit too.".into(),
            ),
            Said::NoCombination { items: n } => pick!(
                format!("Het bedrag past bij geen combinatie van de {n} openstaande posten; oudste eerst voorgesteld als gedeeltelijke betaling."),
                format!("Le montant ne correspond à aucune combinaison de ses {n} postes ouverts ; proposé au plus ancien d'abord comme paiement partiel."),
                format!("The amount fits no combination of its {n} open items; proposed oldest first as a partial payment."),
            ),
            Said::MoreThanBalance { open } => {
                let o = plain(l, open);
                pick!(
                    format!("Het bedrag is meer dan de {o} die openstaat; de rest zou niet-toegewezen tegoed worden."),
                    format!("Le montant dépasse les {o} ouverts ; le reste serait du crédit non affecté."),
                    format!("The amount is more than the {o} open; the rest would be unapplied credit."),
                )
            }
        }
    }
}

/// The sentences in `lang`, one after the other.
#[must_use]
pub fn render(said: &[Said], lang: Language) -> String {
    said.iter().map(|s| s.sentence(lang)).collect::<Vec<_>>().join(" ")
}
