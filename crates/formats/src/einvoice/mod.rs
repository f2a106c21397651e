//! E-invoices: UBL 2.1 Invoice / CreditNote (Peppol BIS Billing 3.0, EN 16931, XRechnung UBL)
//! and UN/CEFACT CII D16B (EN 16931, XRechnung CII, ZUGFeRD 2 / Factur-X), also when the CII is
//! embedded in a Factur-X / ZUGFeRD PDF.
//!
//! [`parse`] tells the syntax from the content (the root element and its namespace, or the
//! `%PDF-` header) and reads the header-level business terms an accounts-receivable system needs
//! into one model, [`EInvoice`]: number, dates, currency, the document totals as exact
//! [`Money`], payment instructions, buyer and seller, notes and embedded documents. Lines are
//! counted, not read. Business rules (the EN 16931 Schematron) are not validated; the only
//! arithmetic checked is `BT-115 = BT-112 − BT-113 + BT-114`, and a mismatch is a warning.
//!
//! Bad input yields an [`EInvoiceError`] listing every problem found, each with where it is
//! (byte offset, or PDF object and byte offset in the embedded XML), the element and business
//! term concerned, and why. Never a partial invoice, never a panic; every loop is bounded and the
//! work is linear in the input.
//!
//! Field names and rules: `../shared/notes/legal-and-formats.md` §7.

mod cii;
mod fields;
mod pdf;
mod ubl;
mod xml;

use std::fmt;

use arflow_core::date::Date;
use arflow_core::money::{Currency, Money};

pub use crate::statement::ReferenceKind;

pub(crate) use fields::{Fields, Term, join_lines, kind_of_type_code, pick_in_currency, shorten};

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Deepest element nesting accepted in the XML.
pub const MAX_XML_DEPTH: usize = 64;
/// Most invoice lines accepted in one document.
pub const MAX_LINES: usize = 100_000;
/// Most embedded documents (attachments) accepted in one invoice.
pub const MAX_ATTACHMENTS: usize = 100;
/// Most problems reported for one file (the rest are counted in a last problem).
pub const MAX_PROBLEMS: usize = 200;
/// Largest decompressed size of one PDF stream, in bytes.
pub const MAX_INFLATED_STREAM_BYTES: usize = 32 * 1024 * 1024;
/// Largest decompressed size of all PDF streams of one file together, in bytes.
pub const MAX_INFLATED_TOTAL_BYTES: usize = 64 * 1024 * 1024;

/// The XML syntax an invoice was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// OASIS UBL 2.1 (`Invoice` or `CreditNote` root).
    Ubl,
    /// UN/CEFACT Cross Industry Invoice D16B (`CrossIndustryInvoice` root).
    Cii,
}

/// Whether a document claims money (invoice) or gives it back (credit note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

/// One e-invoice, as read. Amounts are in the invoice currency ([`EInvoice::currency`]) and
/// signed as written: a UBL CreditNote states positive amounts, and `kind` says it is a credit.
///
/// `serde_json::to_value` gives the JSON the CLI prints; the field names are a contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EInvoice {
    pub syntax: Syntax,
    /// Invoice or credit note: the UBL root, or the document type code (BT-3).
    #[serde(rename = "type")]
    pub kind: InvoiceKind,
    /// BT-3, UNTDID 1001 (380 commercial invoice, 381 credit note, 384 corrected invoice…).
    pub type_code: String,
    /// BT-24, specification identifier (e.g. the Peppol BIS or XRechnung customisation).
    pub customization_id: Option<String>,
    /// BT-23, business process type.
    pub profile_id: Option<String>,
    /// BT-1.
    pub number: String,
    /// BT-2.
    pub issue_date: Date,
    /// BT-9, or else the first payment-terms due date.
    pub due_date: Option<Date>,
    /// BT-20, payment terms text (several terms joined by a line break).
    pub payment_terms: Option<String>,
    /// BT-5.
    pub currency: Currency,
    /// BT-6, the VAT accounting currency when it differs, as written.
    pub tax_currency: Option<String>,
    /// BT-106, sum of line net amounts (absent only in the Factur-X MINIMUM profile).
    #[serde(rename = "line_extension_amount", serialize_with = "ser_opt_money")]
    pub line_extension: Option<Money>,
    /// BT-107, sum of document-level allowances.
    #[serde(rename = "allowance_total_amount", serialize_with = "ser_opt_money")]
    pub allowance_total: Option<Money>,
    /// BT-108, sum of document-level charges.
    #[serde(rename = "charge_total_amount", serialize_with = "ser_opt_money")]
    pub charge_total: Option<Money>,
    /// BT-109, total without VAT.
    #[serde(rename = "tax_exclusive_amount", serialize_with = "ser_money")]
    pub tax_exclusive: Money,
    /// BT-110, total VAT in the invoice currency.
    #[serde(rename = "tax_total_amount", serialize_with = "ser_opt_money")]
    pub tax_total: Option<Money>,
    /// BT-112, total with VAT.
    #[serde(rename = "tax_inclusive_amount", serialize_with = "ser_money")]
    pub tax_inclusive: Money,
    /// BT-113, amount already paid.
    #[serde(rename = "prepaid_amount", serialize_with = "ser_opt_money")]
    pub prepaid: Option<Money>,
    /// BT-114, rounding amount.
    #[serde(rename = "payable_rounding_amount", serialize_with = "ser_opt_money")]
    pub payable_rounding: Option<Money>,
    /// BT-115, amount due for payment.
    #[serde(rename = "payable_amount", serialize_with = "ser_money")]
    pub payable: Money,
    /// BT-81 and BT-82 of the first payment means.
    pub payment_means: Option<PaymentMeans>,
    /// BT-83: normalised (OGM 12 digits, `RF…`, Dutch digits) when it passes its scheme's
    /// check, the trimmed text otherwise.
    pub payment_reference: Option<String>,
    /// Which scheme [`EInvoice::payment_reference`] passed, `other` when none.
    pub payment_reference_scheme: Option<ReferenceKind>,
    /// BT-84 in electronic form, only when it is a valid IBAN.
    pub payee_iban: Option<String>,
    /// BT-84 as written (an IBAN or another account identifier).
    pub payee_account: Option<String>,
    /// BT-85.
    pub payee_account_name: Option<String>,
    /// BT-86, normalised when it is a valid BIC.
    pub payee_bic: Option<String>,
    /// BT-89, SEPA direct-debit mandate reference: the buyer pays by direct debit.
    pub mandate_reference: Option<String>,
    /// BT-91, the debited account (direct debit).
    pub debited_account: Option<String>,
    /// BT-10.
    pub buyer_reference: Option<String>,
    /// BT-13, purchase order reference.
    pub order_reference: Option<String>,
    /// BT-25, the preceding invoice a credit note or correction refers to.
    pub preceding_invoice: Option<String>,
    pub seller: Party,
    pub buyer: Party,
    /// BT-22, document-level notes.
    pub notes: Vec<String>,
    /// Number of invoice lines (BG-25); 0 in header-only profiles.
    pub line_count: usize,
    /// Documents embedded in the invoice (BG-24 with BT-125).
    pub attachments: Vec<Attachment>,
    /// The original PDF when the invoice came as a Factur-X / ZUGFeRD PDF; serialised as its
    /// size only.
    #[serde(rename = "pdf_bytes", serialize_with = "ser_opt_len")]
    pub pdf: Option<Vec<u8>>,
    /// Things that are odd but did not stop the parse.
    pub warnings: Vec<Problem>,
}

impl EInvoice {
    /// The invoice's own PDF: the Factur-X / ZUGFeRD carrier, or else the first embedded
    /// attachment that is a PDF.
    #[must_use]
    pub fn invoice_pdf(&self) -> Option<&[u8]> {
        if let Some(pdf) = &self.pdf {
            return Some(pdf);
        }
        self.attachments.iter().find(|a| a.is_pdf()).map(|a| a.bytes.as_slice())
    }

    /// `true` when BT-115 = BT-112 − BT-113 + BT-114 (absent amounts count as zero).
    #[must_use]
    pub fn payable_adds_up(&self) -> bool {
        expected_payable(self) == Some(self.payable.minor())
    }
}

fn expected_payable(invoice: &EInvoice) -> Option<i64> {
    let prepaid = invoice.prepaid.map_or(0, |m| m.minor());
    let rounding = invoice.payable_rounding.map_or(0, |m| m.minor());
    invoice.tax_inclusive.minor().checked_sub(prepaid)?.checked_add(rounding)
}

/// BT-81 / BT-82.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentMeans {
    /// UNCL 4461: 30 credit transfer, 58 SEPA credit transfer, 59 SEPA direct debit, 48 card…
    pub code: String,
    pub text: Option<String>,
}

/// A seller (BG-4) or buyer (BG-7).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Party {
    /// BT-27 / BT-44, the legal name (the trading name when no legal name is given).
    pub name: String,
    /// BT-28 / BT-45.
    pub trading_name: Option<String>,
    /// BT-29 / BT-46, the first party identifier.
    pub id: Option<String>,
    pub id_scheme: Option<String>,
    /// BT-31 / BT-48: canonical for BE and NL (`BE0123456749`), as written otherwise.
    pub vat_number: Option<String>,
    /// BT-30 / BT-47, legal registration identifier: a Belgian enterprise number (scheme 0208)
    /// is given as its 10 digits when it passes its check.
    pub legal_id: Option<String>,
    pub legal_id_scheme: Option<String>,
    /// BT-34 / BT-49, electronic address (e.g. a Peppol participant id) and its scheme (EAS).
    pub endpoint_id: Option<String>,
    pub endpoint_scheme: Option<String>,
    /// BT-40 / BT-55, ISO 3166 alpha-2.
    pub country: Option<String>,
    pub address: Address,
    pub contact: Contact,
}

/// BG-5 / BG-8 without the country (see [`Party::country`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Address {
    /// BT-35 / BT-50.
    pub street: Option<String>,
    /// BT-36 / BT-51.
    pub additional_street: Option<String>,
    /// BT-162 / BT-163.
    pub address_line: Option<String>,
    /// BT-37 / BT-52.
    pub city: Option<String>,
    /// BT-38 / BT-53.
    pub postal_code: Option<String>,
    /// BT-39 / BT-54.
    pub subdivision: Option<String>,
}

/// BG-6 / BG-9.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    /// BT-41 / BT-56.
    pub name: Option<String>,
    /// BT-42 / BT-57.
    pub phone: Option<String>,
    /// BT-43 / BT-58.
    pub email: Option<String>,
}

/// A document embedded in the invoice (BG-24 with BT-125). Serialised without its content:
/// `bytes` appears as `size`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    /// BT-122, the supporting document reference.
    pub id: Option<String>,
    pub filename: Option<String>,
    pub mime: Option<String>,
    /// BT-123.
    pub description: Option<String>,
    #[serde(rename = "size", serialize_with = "ser_len")]
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// `true` for an `application/pdf` attachment (or a `.pdf` file name without a MIME code).
    #[must_use]
    pub fn is_pdf(&self) -> bool {
        match &self.mime {
            Some(mime) => mime.trim().eq_ignore_ascii_case("application/pdf"),
            None => self
                .filename
                .as_deref()
                .is_some_and(|f| f.to_ascii_lowercase().trim_end().ends_with(".pdf")),
        }
    }
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// Byte offset in the file (0-based).
    Byte(u64),
    /// A PDF object (object number).
    PdfObject(u32),
    /// Byte offset inside the XML embedded in PDF stream object `object`.
    PdfEmbedded { object: u32, byte: u64 },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Byte(n) => write!(f, "byte {n}"),
            Location::PdfObject(n) => write!(f, "PDF object {n}"),
            Location::PdfEmbedded { object, byte } => {
                write!(f, "PDF object {object}, embedded XML byte {byte}")
            }
        }
    }
}

/// One thing wrong with (or odd about) a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub location: Location,
    /// The element (with its conventional prefix) and business term concerned, e.g.
    /// `cbc:PayableAmount (BT-115)`.
    pub field: Option<String>,
    /// A whole sentence that names the element, e.g. `cbc:PayableAmount (BT-115) is missing`.
    pub reason: String,
}

impl Problem {
    pub fn at(
        location: Location,
        field: impl Into<Option<String>>,
        reason: impl Into<String>,
    ) -> Problem {
        Problem { location, field: field.into(), reason: reason.into() }
    }

    /// `FILE: LOCATION: reason` for people (the file name is the caller's).
    #[must_use]
    pub fn render(&self, file: &str) -> String {
        format!("{file}: {self}")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// Why a file was refused, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EInvoiceErrorKind {
    /// Readable, but not an invoice or credit note (e.g. a CDAR status message, another UBL
    /// document, a PDF without embedded invoice XML).
    NotAnInvoice,
    /// Not well-formed XML, an unreadable PDF, an unsupported encoding, or over a size limit.
    Unreadable,
    /// An invoice with missing or invalid fields.
    Invalid,
}

impl EInvoiceErrorKind {
    /// The code used in JSON and API errors.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EInvoiceErrorKind::NotAnInvoice => "not_an_invoice",
            EInvoiceErrorKind::Unreadable => "unreadable",
            EInvoiceErrorKind::Invalid => "invalid",
        }
    }
}

/// A file that could not be read as an invoice; every problem found, in document order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}", render_error(self))]
pub struct EInvoiceError {
    pub kind: EInvoiceErrorKind,
    pub problems: Vec<Problem>,
}

fn render_error(error: &EInvoiceError) -> String {
    let first = error.problems.first().map(ToString::to_string).unwrap_or_default();
    match error.problems.len() {
        0 | 1 => first,
        n => format!("{n} problems, first: {first}"),
    }
}

impl EInvoiceError {
    fn one(kind: EInvoiceErrorKind, location: Location, reason: impl Into<String>) -> Self {
        EInvoiceError { kind, problems: vec![Problem::at(location, None, reason)] }
    }

    fn not_an_invoice(location: Location, what: &str) -> Self {
        Self::one(EInvoiceErrorKind::NotAnInvoice, location, format!("not an invoice: {what}"))
    }

    /// `true` when the file is readable but is no invoice (see [`EInvoiceErrorKind`]).
    #[must_use]
    pub fn is_not_an_invoice(&self) -> bool {
        self.kind == EInvoiceErrorKind::NotAnInvoice
    }

    /// Moves every byte location into the XML embedded in PDF object `object`.
    fn relocate_into_pdf(mut self, object: u32) -> Self {
        for problem in &mut self.problems {
            problem.location = relocate(problem.location, object);
        }
        self
    }
}

fn relocate(location: Location, object: u32) -> Location {
    match location {
        Location::Byte(byte) => Location::PdfEmbedded { object, byte },
        other => other,
    }
}

/// Reads an e-invoice: UBL Invoice, UBL CreditNote, CII CrossIndustryInvoice, or a PDF with an
/// embedded CII (Factur-X / ZUGFeRD) or UBL (XRechnung) invoice.
///
/// # Errors
/// [`EInvoiceError`] listing every problem: `not_an_invoice` for other documents (CDAR status
/// messages, order documents, plain PDFs), `unreadable` for broken XML or PDF, `invalid` for an
/// invoice with missing or malformed business terms.
///
/// # Examples
/// ```
/// let xml = br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
///   xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
///   xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
///   <cbc:ID>F-1</cbc:ID><cbc:IssueDate>2026-01-05</cbc:IssueDate>
///   <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
///   <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
///   <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>
///     <cbc:RegistrationName>Seller</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party>
///   </cac:AccountingSupplierParty>
///   <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>
///     <cbc:RegistrationName>Buyer</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party>
///   </cac:AccountingCustomerParty>
///   <cac:LegalMonetaryTotal>
///     <cbc:LineExtensionAmount currencyID="EUR">100</cbc:LineExtensionAmount>
///     <cbc:TaxExclusiveAmount currencyID="EUR">100</cbc:TaxExclusiveAmount>
///     <cbc:TaxInclusiveAmount currencyID="EUR">121</cbc:TaxInclusiveAmount>
///     <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
///   </cac:LegalMonetaryTotal></Invoice>"#;
/// let invoice = arflow_formats::einvoice::parse(xml).unwrap();
/// assert_eq!(invoice.number, "F-1");
/// assert_eq!(invoice.payable.to_string(), "121.00");
/// let err = arflow_formats::einvoice::parse(b"hello").unwrap_err();
/// assert!(err.is_not_an_invoice());
/// ```
pub fn parse(bytes: &[u8]) -> Result<EInvoice, EInvoiceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(EInvoiceError::one(
            EInvoiceErrorKind::Unreadable,
            Location::Byte(0),
            format!("the file has {} bytes; at most {MAX_FILE_BYTES} are accepted", bytes.len()),
        ));
    }
    match sniff(bytes) {
        Sniffed::Pdf => parse_pdf(bytes),
        Sniffed::Xml => parse_xml(bytes),
        Sniffed::Empty => {
            Err(EInvoiceError::not_an_invoice(Location::Byte(0), "the file is empty"))
        }
        Sniffed::Other => {
            Err(EInvoiceError::not_an_invoice(Location::Byte(0), "the file is neither XML nor PDF"))
        }
    }
}

enum Sniffed {
    Pdf,
    Xml,
    Empty,
    Other,
}

/// XML when the first significant byte is `<` (or a UTF-16 byte-order mark); PDF when `%PDF-`
/// appears in the first KiB (the PDF specification tolerates junk before the header).
fn sniff(bytes: &[u8]) -> Sniffed {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.starts_with(b"\xFE\xFF") || body.starts_with(b"\xFF\xFE") {
        return Sniffed::Xml;
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace() && **b != 0);
    if first == Some(&b'<') {
        return Sniffed::Xml;
    }
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or(bytes);
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Sniffed::Pdf;
    }
    match first {
        None => Sniffed::Empty,
        Some(_) => Sniffed::Other,
    }
}

fn parse_pdf(bytes: &[u8]) -> Result<EInvoice, EInvoiceError> {
    let embedded = pdf::find_invoice_xml(bytes)?;
    let mut invoice = parse_xml(&embedded.xml).map_err(|e| e.relocate_into_pdf(embedded.object))?;
    for warning in &mut invoice.warnings {
        warning.location = relocate(warning.location, embedded.object);
    }
    invoice.pdf = Some(bytes.to_vec());
    Ok(invoice)
}

/// The root elements this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    UblInvoice,
    UblCreditNote,
    Cii,
}

const NS_UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const NS_CII: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// Decides from the root element's local name and namespace whether this is an invoice.
fn classify_root(local: &str, namespace: Option<&str>) -> Result<Root, String> {
    let ns = namespace.unwrap_or("");
    match (local, ns) {
        ("Invoice", NS_UBL_INVOICE) => Ok(Root::UblInvoice),
        ("CreditNote", NS_UBL_CREDIT_NOTE) => Ok(Root::UblCreditNote),
        ("CrossIndustryInvoice", NS_CII) => Ok(Root::Cii),
        ("CrossDomainAcknowledgementAndResponse", _) => {
            Err("a UN/CEFACT CrossDomainAcknowledgementAndResponse (CDAR) status message, not an \
             invoice document"
                .to_owned())
        }
        ("Invoice" | "CreditNote" | "CrossIndustryInvoice", _) => Err(format!(
            "root element {local} is in namespace '{ns}', not the UBL 2.1 / CII D16B invoice \
             namespace"
        )),
        _ if ns.starts_with("urn:oasis:names:specification:ubl:schema:xsd:") => {
            Err(format!("a UBL {local} document, not an Invoice or CreditNote"))
        }
        _ => Err(format!(
            "root element {local}{} is neither a UBL Invoice/CreditNote nor a CII \
             CrossIndustryInvoice",
            if ns.is_empty() { String::new() } else { format!(" (namespace '{ns}')") }
        )),
    }
}

fn parse_xml(bytes: &[u8]) -> Result<EInvoice, EInvoiceError> {
    let source = xml::Source::decode(bytes)
        .map_err(|p| EInvoiceError { kind: EInvoiceErrorKind::Unreadable, problems: vec![p] })?;
    let (root, doc) = xml::build(source, classify_root)?;
    let mut fields = Fields::new(&doc);
    let invoice = match root {
        Root::UblInvoice | Root::UblCreditNote => ubl::read(&mut fields, root),
        Root::Cii => cii::read(&mut fields),
    };
    match invoice {
        Some(mut invoice) if !fields.has_problems() => {
            check_payable(&mut fields, &invoice);
            invoice.warnings = fields.finish_warnings();
            Ok(invoice)
        }
        _ => {
            if !fields.has_problems() {
                fields.problem(doc.root(), None, "the document could not be read".to_owned());
            }
            Err(EInvoiceError {
                kind: EInvoiceErrorKind::Invalid,
                problems: fields.finish_problems(),
            })
        }
    }
}

fn check_payable(fields: &mut Fields<'_>, invoice: &EInvoice) {
    if let Some(expected) = expected_payable(invoice)
        && expected != invoice.payable.minor()
    {
        let expected = Money::from_minor(expected, invoice.currency);
        fields.warn(
            fields.doc.root(),
            Some("BT-115".to_owned()),
            format!(
                "the amount due (BT-115) is {} but BT-112 − BT-113 + BT-114 gives {}",
                invoice.payable, expected
            ),
        );
    }
}

fn ser_money<S: serde::Serializer>(money: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&money.to_string())
}

fn ser_opt_money<S: serde::Serializer>(money: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match money {
        Some(m) => s.serialize_str(&m.to_string()),
        None => s.serialize_none(),
    }
}

fn ser_len<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(bytes.len()).unwrap_or(u64::MAX))
}

fn ser_opt_len<S: serde::Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    ser_len(bytes.as_deref().unwrap_or_default(), s)
}
