//! Importing e-invoices (UBL, CII, Factur-X): the buyer becomes or finds a debtor, the invoice is
//! created (or found unchanged, or reported as a conflict), and its PDF is kept.

use arflow_core::date::add_days;
use arflow_core::ident::parse_vat_number;
use arflow_core::ledger::{Invoice, InvoiceKind};
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language,
};
use arflow_core::reference;
use arflow_formats::csv::Parsed;
use arflow_formats::einvoice::{self, EInvoice};
use arflow_store::StoredOrganisation;
use serde::Serialize;

use crate::import::{ImportOptions, ImportReport, RowOutcome};
use crate::{Actor, App, AppError, sha256_hex};

/// Days after issue an invoice without a due date is due: the default term of the Late Payment
/// Directive 2011/7/EU, art. 3(3)(b) and 4(3)(a) (30 days after receipt; receipt taken as issue).
pub const DEFAULT_TERM_DAYS: i32 = 30;

/// What importing one e-invoice did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceImport {
    pub file: String,
    /// `created`, `already_imported`, `updated` or `conflicts_with_stored`.
    pub outcome: &'static str,
    pub invoice: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub debtor: String,
    pub debtor_created: bool,
    /// Fields of an existing debtor that were empty and are now filled from the invoice.
    pub debtor_updated: Vec<&'static str>,
    pub pdf_kept: bool,
    /// Fields that differ from the stored invoice (conflicts and updates).
    pub fields: Vec<&'static str>,
    pub warnings: Vec<String>,
}

impl App {
    /// Parses and imports one e-invoice file.
    ///
    /// # Errors
    /// [`AppError::Rejected`] with every problem of the file, or what [`App::import_einvoice`]
    /// returns.
    pub async fn import_einvoice_file(
        &self,
        org: &StoredOrganisation,
        file: &str,
        bytes: &[u8],
        update: bool,
        actor: &Actor,
    ) -> Result<InvoiceImport, AppError> {
        let parsed = einvoice::parse(bytes)
            .map_err(|e| AppError::Rejected(e.problems.iter().map(|p| p.render(file)).collect()))?;
        self.import_einvoice(org, file, &sha256_hex(bytes), &parsed, update, actor).await
    }

    /// Imports a parsed e-invoice: its buyer is found by VAT number, then enterprise number,
    /// then exact name, or created; then the invoice, then its PDF.
    ///
    /// # Errors
    /// [`AppError::Rejected`] when the invoice is not acceptable (e.g. a currency the
    /// organisation does not use), [`AppError::Store`].
    pub async fn import_einvoice(
        &self,
        org: &StoredOrganisation,
        file: &str,
        file_sha256: &str,
        inv: &EInvoice,
        update: bool,
        actor: &Actor,
    ) -> Result<InvoiceImport, AppError> {
        let mut warnings: Vec<String> = inv.warnings.iter().map(|w| w.render(file)).collect();
        let buyer = &inv.buyer;
        // A VAT number that fails its check would be refused on the debtor: the invoice is still
        // imported, without it, and the warning says so.
        let vat = match buyer.vat_number.as_deref().map(|v| v.trim().to_ascii_uppercase()) {
            Some(upper) if upper.starts_with("BE") || upper.starts_with("NL") => {
                match parse_vat_number(&upper) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        warnings.push(format!(
                            "{file}: the buyer's VAT number {upper} is not kept: {e}"
                        ));
                        None
                    }
                }
            }
            other => other,
        };
        let enterprise = buyer
            .legal_id
            .as_deref()
            .filter(|_| buyer.legal_id_scheme.as_deref().is_none_or(|s| s == "0208"))
            .and_then(|id| arflow_core::ident::parse_be_enterprise_number(id).ok())
            .or_else(|| {
                vat.as_deref()
                    .filter(|v| v.starts_with("BE"))
                    .and_then(|v| arflow_core::ident::parse_be_enterprise_number(v).ok())
            });

        // The invoice first, so an unacceptable one creates no debtor.
        let due_date = match inv.due_date {
            Some(d) => d,
            None => {
                warnings.push(format!(
                    "{file}: no due date: {DEFAULT_TERM_DAYS} days after the issue date are assumed \
                     (Late Payment Directive 2011/7/EU, art. 3(3)(b))"
                ));
                add_days(inv.issue_date, DEFAULT_TERM_DAYS)
            }
        };
        // An invoice with a negative total (EN 16931 allows it) is money owed to the buyer: a
        // credit note in the ledger.
        let credit = inv.kind == einvoice::InvoiceKind::CreditNote || inv.payable.is_negative();
        if inv.kind == einvoice::InvoiceKind::Invoice && inv.payable.is_negative() {
            warnings.push(format!(
                "{file}: invoice {} has a negative amount due; it is booked as a credit note",
                inv.number
            ));
        }
        let payable = inv.payable.abs().map_err(|e| AppError::invalid("payable", e.to_string()))?;
        let amount = if credit {
            payable.neg().map_err(|e| AppError::invalid("payable", e.to_string()))?
        } else {
            payable
        };
        // The ledger holds what is still due (BT-115); the total before VAT (BT-109) describes the
        // whole invoice, so it is kept only when nothing was prepaid and it fits the amount due.
        let prepaid = inv.prepaid.is_some_and(|p| !p.is_zero());
        let excl = inv
            .tax_exclusive
            .abs()
            .ok()
            .filter(|m| !prepaid && m.minor() <= payable.minor())
            .map(|m| if credit { m.neg().unwrap_or(m) } else { m });
        let payment_reference = inv
            .payment_reference
            .as_deref()
            .and_then(|r| reference::check(r).ok())
            .map(|r| r.normalized);

        let mut tx = self.store.read().await?;
        let found = tx
            .find_debtors_by_identity(org.id, vat.as_deref(), enterprise.as_deref(), &buyer.name)
            .await?;
        let existing = match found.first() {
            Some(id) => Some(tx.get_debtor(org.id, *id).await?),
            None => None,
        };
        let credits = match (&inv.preceding_invoice, credit) {
            (Some(n), true) => {
                tx.find_invoice_by_number(org.id, n).await?.map(|i| i.invoice.number)
            }
            _ => None,
        };
        tx.rollback().await?;
        if found.len() > 1 {
            warnings.push(format!(
                "{file}: {} debtors share this buyer's identity; the first ({}) was used",
                found.len(),
                existing.as_ref().map(|d| d.debtor.number.as_str()).unwrap_or("")
            ));
        }
        let mut debtor_updated: Vec<&'static str> = Vec::new();
        let (debtor_number, debtor_created) = match existing {
            Some(d) => {
                // What the invoice tells that the debtor lacks is filled in; nothing the
                // organisation entered is overwritten.
                let mut updated = d.debtor.clone();
                if updated.vat_number.is_none() && vat.is_some() {
                    updated.vat_number = vat.clone();
                    debtor_updated.push("vat_number");
                }
                if updated.enterprise_number.is_none() && enterprise.is_some() {
                    updated.enterprise_number = enterprise.clone();
                    debtor_updated.push("enterprise_number");
                }
                if updated.emails.is_empty()
                    && let Some(email) = buyer.contact.email.as_deref()
                {
                    updated.emails = vec![Contact {
                        value: email.trim().to_owned(),
                        purpose: ContactPurpose::Billing,
                    }];
                    debtor_updated.push("emails");
                }
                if updated.address.street.is_none()
                    && updated.address.city.is_none()
                    && (buyer.address.street.is_some() || buyer.address.city.is_some())
                {
                    updated.address.street = buyer.address.street.clone();
                    updated.address.postal_code = buyer.address.postal_code.clone();
                    updated.address.city = buyer.address.city.clone();
                    debtor_updated.push("address");
                }
                if !debtor_updated.is_empty() {
                    let number = d.debtor.number.clone();
                    if let Err(e) = self.update_debtor(org.id, &number, updated, actor).await {
                        warnings.push(format!(
                            "{file}: debtor {number} was not completed from the invoice: {e}"
                        ));
                        debtor_updated.clear();
                    }
                }
                (d.debtor.number, false)
            }
            None => {
                let number = vat.clone().or_else(|| enterprise.clone()).unwrap_or_else(|| {
                    format!("EI-{}", &sha256_hex(buyer.name.trim().to_lowercase().as_bytes())[..10])
                });
                let country =
                    buyer.country.as_deref().and_then(|c| CountryCode::parse(c).ok()).unwrap_or(
                        match org.organisation.country {
                            arflow_core::party::OrgCountry::Nl => CountryCode::NL,
                            arflow_core::party::OrgCountry::Be => CountryCode::BE,
                        },
                    );
                let language = if country == CountryCode::NL || country == CountryCode::BE {
                    org.organisation.language
                } else if country.as_str() == "FR" || country.as_str() == "LU" {
                    Language::Fr
                } else if country.as_str() == "DE" || country.as_str() == "AT" {
                    Language::De
                } else {
                    Language::En
                };
                let debtor = Debtor {
                    number: number.clone(),
                    name: buyer.name.trim().to_owned(),
                    kind: DebtorKind::Business,
                    country,
                    language,
                    emails: buyer
                        .contact
                        .email
                        .iter()
                        .map(|e| Contact {
                            value: e.trim().to_owned(),
                            purpose: ContactPurpose::Billing,
                        })
                        .collect(),
                    phones: buyer
                        .contact
                        .phone
                        .iter()
                        .map(|p| Contact {
                            value: p.trim().to_owned(),
                            purpose: ContactPurpose::General,
                        })
                        .collect(),
                    address: Address {
                        street: buyer.address.street.clone(),
                        postal_code: buyer.address.postal_code.clone(),
                        city: buyer.address.city.clone(),
                        country: Some(country),
                    },
                    vat_number: vat.clone(),
                    enterprise_number: enterprise.clone(),
                    ibans: Vec::new(),
                    segments: Vec::new(),
                    owner: None,
                    credit_limit: None,
                    pause: None,
                };
                let (d, created) =
                    self.create_debtor(org.id, debtor, actor).await.map_err(|e| match e {
                        AppError::Invalid { message, .. } => {
                            AppError::Rejected(vec![format!("{file}: buyer (BG-7): {message}")])
                        }
                        other => other,
                    })?;
                (d.debtor.number, created)
            }
        };

        let invoice = Invoice {
            number: inv.number.clone(),
            debtor_number: debtor_number.clone(),
            kind: if credit { InvoiceKind::CreditNote } else { InvoiceKind::Invoice },
            issue_date: inv.issue_date,
            due_date,
            amount,
            amount_excl_vat: excl,
            payment_reference,
            description: inv.notes.first().map(|n| n.chars().take(500).collect()),
            external_id: Some(format!("e-invoice:{}", inv.number)),
            credits_invoice: credits,
        };
        let report = ImportReport::new("e-invoice", file);
        let report = self
            .import_invoices(
                org,
                vec![Parsed { line: 1, record: invoice }],
                ImportOptions { update },
                actor,
                report,
                file_sha256,
            )
            .await?;
        if report.rejected() {
            return Err(AppError::Rejected(report.errors.clone()));
        }
        let (outcome, fields) = match report.outcomes.first().map(|(_, o)| o) {
            Some(RowOutcome::Created) => ("created", Vec::new()),
            Some(RowOutcome::Updated { fields }) => ("updated", fields.clone()),
            Some(RowOutcome::Conflict { fields }) => ("conflicts_with_stored", fields.clone()),
            Some(RowOutcome::Unchanged) | None => ("already_imported", Vec::new()),
        };
        let mut pdf_kept = false;
        if matches!(outcome, "created" | "updated")
            && let Some(pdf) = inv.invoice_pdf()
        {
            match self.put_invoice_pdf(org.id, &inv.number, pdf, actor).await {
                Ok(()) => pdf_kept = true,
                Err(e) => warnings.push(format!("{file}: the PDF was not kept: {e}")),
            }
        }
        Ok(InvoiceImport {
            file: file.to_owned(),
            outcome,
            invoice: inv.number.clone(),
            kind: if credit { "credit_note" } else { "invoice" },
            debtor: debtor_number,
            debtor_created,
            debtor_updated,
            pdf_kept,
            fields,
            warnings,
        })
    }
}
