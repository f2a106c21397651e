//! The fixed wording of a letter (table headers, "Total", the payment block) in each language.
//! The letter's own text (title, paragraphs, footer) comes from the caller, already rendered.

use arflow_core::party::Language;
use serde::Serialize;

/// Labels of the fixed parts of a letter.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Labels {
    pub invoice: &'static str,
    pub invoice_date: &'static str,
    pub due_date: &'static str,
    pub amount: &'static str,
    pub open: &'static str,
    pub total: &'static str,
    pub pay_to: &'static str,
    pub beneficiary: &'static str,
    pub iban: &'static str,
    pub bic: &'static str,
    pub reference: &'static str,
    pub pay_amount: &'static str,
    pub pay_by: &'static str,
    pub scan: &'static str,
    pub page: &'static str,
    pub of: &'static str,
}

const NL: Labels = Labels {
    invoice: "Factuur",
    invoice_date: "Factuurdatum",
    due_date: "Vervaldatum",
    amount: "Bedrag",
    open: "Openstaand",
    total: "Totaal te betalen",
    pay_to: "Betaalgegevens",
    beneficiary: "Begunstigde",
    iban: "IBAN",
    bic: "BIC",
    reference: "Betalingskenmerk",
    pay_amount: "Bedrag",
    pay_by: "Uiterlijk op",
    scan: "Scan met uw bankapp",
    page: "Pagina",
    of: "van",
};

const FR: Labels = Labels {
    invoice: "Facture",
    invoice_date: "Date de facture",
    due_date: "Échéance",
    amount: "Montant",
    open: "Solde dû",
    total: "Total à payer",
    pay_to: "Coordonnées de paiement",
    beneficiary: "Bénéficiaire",
    iban: "IBAN",
    bic: "BIC",
    reference: "Communication",
    pay_amount: "Montant",
    pay_by: "Au plus tard le",
    scan: "Scannez avec votre app bancaire",
    page: "Page",
    of: "sur",
};

const EN: Labels = Labels {
    invoice: "Invoice",
    invoice_date: "Invoice date",
    due_date: "Due date",
    amount: "Amount",
    open: "Open",
    total: "Total due",
    pay_to: "Payment details",
    beneficiary: "Pay to",
    iban: "IBAN",
    bic: "BIC",
    reference: "Reference",
    pay_amount: "Amount",
    pay_by: "Pay by",
    scan: "Scan with your banking app",
    page: "Page",
    of: "of",
};

const DE: Labels = Labels {
    invoice: "Rechnung",
    invoice_date: "Rechnungsdatum",
    due_date: "Fällig am",
    amount: "Betrag",
    open: "Offen",
    total: "Zu zahlen",
    pay_to: "Zahlungsdaten",
    beneficiary: "Empfänger",
    iban: "IBAN",
    bic: "BIC",
    reference: "Verwendungszweck",
    pay_amount: "Betrag",
    pay_by: "Zahlbar bis",
    scan: "Mit Ihrer Banking-App scannen",
    page: "Seite",
    of: "von",
};

/// The labels for `language`.
pub(crate) fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Nl => &NL,
        Language::Fr => &FR,
        Language::En => &EN,
        Language::De => &DE,
    }
}
