//! Reading typed business terms out of an element tree: required and optional text, ISO and
//! CII dates, exact amounts in the invoice currency, identifiers (IBAN, BIC, VAT and Belgian
//! enterprise numbers, payment references) and embedded documents. Every refusal becomes a
//! [`Problem`] at the element's location, naming the element and its business term; odd but
//! usable values become warnings.

use arflow_core::date::{Date, parse_iso_date};
use arflow_core::ident::{Bic, Iban, parse_be_enterprise_number, parse_vat_number};
use arflow_core::money::{AmountError, Currency, Money};
use arflow_core::reference::{self, ReferenceScheme};
use base64::Engine as _;

use super::xml::{Doc, NodeId};
use super::{
    Attachment, InvoiceKind, Location, MAX_ATTACHMENTS, MAX_LINES, MAX_PROBLEMS, Problem,
    ReferenceKind,
};

/// A business term: the element name with its conventional prefix, and the BT number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    pub element: &'static str,
    pub bt: Option<&'static str>,
}

impl Term {
    pub(crate) const fn new(element: &'static str, bt: &'static str) -> Term {
        Term { element, bt: Some(bt) }
    }

    pub(crate) const fn plain(element: &'static str) -> Term {
        Term { element, bt: None }
    }

    fn label(&self) -> String {
        match self.bt {
            Some(bt) => format!("{} ({bt})", self.element),
            None => self.element.to_owned(),
        }
    }
}

/// Reads typed fields out of a [`Doc`], collecting problems and warnings with their locations.
pub(crate) struct Fields<'d> {
    pub doc: &'d Doc,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    problems_dropped: usize,
    warnings_dropped: usize,
}

impl<'d> Fields<'d> {
    pub(crate) fn new(doc: &'d Doc) -> Fields<'d> {
        Fields {
            doc,
            problems: Vec::new(),
            warnings: Vec::new(),
            problems_dropped: 0,
            warnings_dropped: 0,
        }
    }

    pub(crate) fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub(crate) fn problem(&mut self, node: NodeId, field: Option<String>, reason: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem::at(self.doc.location(node), field, reason));
        } else {
            self.problems_dropped += 1;
        }
    }

    pub(crate) fn warn(&mut self, node: NodeId, field: Option<String>, reason: String) {
        if self.warnings.len() < MAX_PROBLEMS {
            self.warnings.push(Problem::at(self.doc.location(node), field, reason));
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// The problems in document order.
    pub(crate) fn finish_problems(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|p| match p.location {
            Location::Byte(at) | Location::PdfEmbedded { byte: at, .. } => at,
            Location::PdfObject(_) => 0,
        });
        if self.problems_dropped > 0 {
            let location = self.problems.last().map_or(Location::Byte(0), |p| p.location);
            self.problems.push(Problem::at(
                location,
                None,
                format!("{} further problems are not listed", self.problems_dropped),
            ));
        }
        self.problems
    }

    pub(crate) fn finish_warnings(&mut self) -> Vec<Problem> {
        let mut warnings = std::mem::take(&mut self.warnings);
        if self.warnings_dropped > 0 {
            let location = warnings.last().map_or(Location::Byte(0), |p| p.location);
            warnings.push(Problem::at(
                location,
                None,
                format!("{} further warnings are not listed", self.warnings_dropped),
            ));
        }
        warnings
    }

    /// A required element's node, or a "missing" problem at `parent`.
    pub(crate) fn require(
        &mut self,
        parent: NodeId,
        found: Option<NodeId>,
        term: Term,
    ) -> Option<NodeId> {
        if found.is_none() {
            self.missing(parent, term);
        }
        found
    }

    pub(crate) fn missing(&mut self, parent: NodeId, term: Term) {
        let label = term.label();
        self.problem(parent, Some(label.clone()), format!("{label} is missing"));
    }

    /// The text of a one-line field: whitespace runs (line breaks included) become one space,
    /// `None` when absent or blank.
    pub(crate) fn text(&self, node: Option<NodeId>) -> Option<String> {
        let text = self.doc.text(node?);
        if text.is_empty() {
            return None;
        }
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The trimmed text of a required element; a problem when it is absent or empty.
    pub(crate) fn required_text(
        &mut self,
        parent: NodeId,
        node: Option<NodeId>,
        term: Term,
    ) -> Option<String> {
        match node {
            Some(n) => {
                let text = self.doc.text(n);
                if text.is_empty() {
                    let label = term.label();
                    self.problem(n, Some(label.clone()), format!("{label} is empty"));
                    None
                } else {
                    self.text(Some(n))
                }
            }
            None => {
                self.missing(parent, term);
                None
            }
        }
    }

    /// An ISO date (`YYYY-MM-DD`, a time-zone suffix allowed as in `xs:date`).
    pub(crate) fn iso_date(&mut self, node: Option<NodeId>, term: Term) -> Option<Date> {
        let node = node?;
        let text = self.doc.text(node);
        match parse_xs_date(text) {
            Some(date) => Some(date),
            None => {
                let label = term.label();
                self.problem(
                    node,
                    Some(label.clone()),
                    format!("{label}: '{}' is not a date YYYY-MM-DD", shorten(text)),
                );
                None
            }
        }
    }

    /// A CII `udt:DateTimeString` (format 102, `YYYYMMDD`) inside `node`.
    pub(crate) fn cii_date(&mut self, node: Option<NodeId>, term: Term) -> Option<Date> {
        let node = node?;
        let Some(string) =
            self.doc.child(node, "DateTimeString").or_else(|| self.doc.child(node, "DateString"))
        else {
            let label = term.label();
            self.problem(node, Some(label.clone()), format!("{label} has no udt:DateTimeString"));
            return None;
        };
        let text = self.doc.text(string);
        let format = self.doc.attr(string, "format").map(str::trim);
        let label = term.label();
        if let Some(format) = format.filter(|f| *f != "102") {
            self.problem(
                string,
                Some(label.clone()),
                format!(
                    "{label}: date format '{}' is not supported (only 102, YYYYMMDD)",
                    shorten(format)
                ),
            );
            return None;
        }
        let date = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
            let iso = format!(
                "{}-{}-{}",
                text.get(0..4).unwrap_or_default(),
                text.get(4..6).unwrap_or_default(),
                text.get(6..8).unwrap_or_default()
            );
            parse_iso_date(&iso).ok()
        } else {
            None
        };
        if date.is_none() {
            self.problem(
                string,
                Some(label.clone()),
                format!("{label}: '{}' is not a date YYYYMMDD (format 102)", shorten(text)),
            );
        }
        date
    }

    /// An amount in `currency`. `currency_attr_required` makes a missing `currencyID` a problem
    /// (UBL); a `currencyID` other than `currency` is always one.
    pub(crate) fn amount(
        &mut self,
        node: Option<NodeId>,
        term: Term,
        currency: Currency,
        currency_attr_required: bool,
    ) -> Option<Money> {
        let node = node?;
        let label = term.label();
        match self.doc.attr(node, "currencyID").map(str::trim) {
            Some(code) if !code.eq_ignore_ascii_case(currency.code()) => {
                self.problem(
                    node,
                    Some(label.clone()),
                    format!(
                        "{label}: currencyID '{}' differs from the invoice currency {currency} (BT-5)",
                        shorten(code)
                    ),
                );
                return None;
            }
            None if currency_attr_required => {
                self.warn(node, Some(label.clone()), format!("{label} has no currencyID"));
            }
            _ => {}
        }
        let text = self.doc.text(node);
        match parse_xs_amount(text, currency) {
            Ok(money) => Some(money),
            Err(reason) => {
                self.problem(node, Some(label.clone()), format!("{label}: {reason}"));
                None
            }
        }
    }

    /// A required amount.
    pub(crate) fn required_amount(
        &mut self,
        parent: NodeId,
        node: Option<NodeId>,
        term: Term,
        currency: Option<Currency>,
        currency_attr_required: bool,
    ) -> Option<Money> {
        let node = self.require(parent, node, term)?;
        self.amount(Some(node), term, currency?, currency_attr_required)
    }

    /// The invoice currency (BT-5).
    pub(crate) fn currency(
        &mut self,
        parent: NodeId,
        node: Option<NodeId>,
        term: Term,
    ) -> Option<Currency> {
        let text = self.required_text(parent, node, term)?;
        let node = node?;
        match Currency::parse(&text) {
            Ok(currency) => Some(currency),
            Err(error) => {
                let label = term.label();
                self.problem(
                    node,
                    Some(label.clone()),
                    format!("{label}: '{}': {error}", shorten(&text)),
                );
                None
            }
        }
    }

    /// An embedded binary object (base64) as an attachment.
    pub(crate) fn attachment(
        &mut self,
        object: NodeId,
        id: Option<String>,
        description: Option<String>,
        term: Term,
    ) -> Option<Attachment> {
        let filename = self
            .doc
            .attr(object, "filename")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mime = self
            .doc
            .attr(object, "mimeCode")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let bytes = match decode_base64(self.doc.raw_text(object)) {
            Ok(bytes) => bytes,
            Err(reason) => {
                let label = term.label();
                let name = filename.as_deref().or(id.as_deref()).unwrap_or("(unnamed)");
                self.problem(
                    object,
                    Some(label.clone()),
                    format!(
                        "{label}: the attachment '{}' is not valid base64: {reason}",
                        shorten(name)
                    ),
                );
                return None;
            }
        };
        Some(Attachment { id, filename, mime, description, bytes })
    }

    /// Classifies BT-83.
    pub(crate) fn payment_reference(
        text: Option<String>,
    ) -> (Option<String>, Option<ReferenceKind>) {
        let Some(text) = text else { return (None, None) };
        match reference::check(&text) {
            Ok(r) => {
                let kind = match r.scheme {
                    ReferenceScheme::Ogm => ReferenceKind::Ogm,
                    ReferenceScheme::Rf => ReferenceKind::Rf,
                    ReferenceScheme::Nl => ReferenceKind::Nl,
                };
                (Some(r.normalized), Some(kind))
            }
            Err(_) => (Some(text), Some(ReferenceKind::Other)),
        }
    }

    /// BT-84: `(iban, account as written)`; warns when a SEPA credit transfer has no valid IBAN.
    pub(crate) fn payee_account(
        &mut self,
        node: Option<NodeId>,
        means_code: Option<&str>,
        term: Term,
    ) -> (Option<String>, Option<String>) {
        let Some(node) = node else { return (None, None) };
        let Some(account) = self.text(Some(node)) else { return (None, None) };
        match Iban::parse(&account) {
            Ok(iban) => (Some(iban.electronic().to_owned()), Some(account)),
            Err(error) => {
                if means_code == Some("58") {
                    let label = term.label();
                    self.warn(
                        node,
                        Some(label.clone()),
                        format!(
                            "{label}: '{}' is not a valid IBAN ({error}) although the payment \
                             means is a SEPA credit transfer (58)",
                            shorten(&account)
                        ),
                    );
                }
                (None, Some(account))
            }
        }
    }

    /// BT-86, normalised when valid.
    pub(crate) fn bic(&self, node: Option<NodeId>) -> Option<String> {
        let text = self.text(node)?;
        Some(Bic::parse(&text).map(|b| b.as_str().to_owned()).unwrap_or(text))
    }

    /// A VAT number: canonical for BE and NL, as written otherwise; warns on a failed check.
    pub(crate) fn vat_number(&mut self, node: Option<NodeId>, term: Term) -> Option<String> {
        let node_id = node?;
        let text = self.text(node)?;
        let upper = text.trim_start().to_ascii_uppercase();
        if upper.starts_with("BE") || upper.starts_with("NL") {
            match parse_vat_number(&text) {
                Ok(canonical) => return Some(canonical),
                Err(error) => {
                    let label = term.label();
                    self.warn(
                        node_id,
                        Some(label.clone()),
                        format!(
                            "{label}: '{}' is not a valid VAT number ({error})",
                            shorten(&text)
                        ),
                    );
                }
            }
        }
        Some(text)
    }

    /// A legal registration id: a Belgian enterprise number (scheme 0208) as its 10 digits.
    pub(crate) fn legal_id(
        &mut self,
        node: Option<NodeId>,
        scheme: Option<&str>,
        term: Term,
    ) -> Option<String> {
        let node_id = node?;
        let text = self.text(node)?;
        if scheme.map(str::trim) == Some("0208") {
            match parse_be_enterprise_number(&text) {
                Ok(digits) => return Some(digits),
                Err(error) => {
                    let label = term.label();
                    self.warn(
                        node_id,
                        Some(label.clone()),
                        format!(
                            "{label}: '{}' is not a valid Belgian enterprise number ({error})",
                            shorten(&text)
                        ),
                    );
                }
            }
        }
        Some(text)
    }

    /// Checks the number of lines against [`MAX_LINES`].
    pub(crate) fn line_count(&mut self, node: NodeId, count: usize) -> usize {
        if count > MAX_LINES {
            self.problem(
                node,
                None,
                format!("the invoice has {count} lines; at most {MAX_LINES} are accepted"),
            );
        }
        count
    }

    pub(crate) fn too_many_attachments(&mut self, node: NodeId) {
        self.problem(
            node,
            None,
            format!("the invoice embeds more than {MAX_ATTACHMENTS} documents"),
        );
    }
}

/// The first of `candidates` stated in `currency` (or without a `currencyID`): a UBL or CII
/// invoice may give the VAT total twice, in the invoice and in the VAT accounting currency.
pub(crate) fn pick_in_currency(
    f: &mut Fields<'_>,
    parent: NodeId,
    candidates: &[NodeId],
    currency: Currency,
    label: &str,
) -> Option<NodeId> {
    let found = candidates.iter().copied().find(|&n| {
        f.doc.attr(n, "currencyID").is_none_or(|c| c.trim().eq_ignore_ascii_case(currency.code()))
    });
    if found.is_none() && !candidates.is_empty() {
        f.warn(
            parent,
            Some(label.to_owned()),
            format!("{label}: no amount is given in the invoice currency {currency}"),
        );
    }
    found
}

/// Kind of a UNTDID 1001 document type code used for invoices (EN 16931 code list BR-CL-01);
/// `None` for a code that is neither.
pub(crate) fn kind_of_type_code(code: &str) -> Option<InvoiceKind> {
    const CREDIT: &[&str] =
        &["81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"];
    const INVOICE: &[&str] = &[
        "71", "80", "82", "84", "102", "130", "202", "203", "204", "211", "218", "219", "295",
        "325", "326", "331", "380", "382", "383", "384", "385", "386", "387", "388", "389", "390",
        "393", "394", "395", "456", "457", "527", "553", "575", "623", "633", "751", "780", "817",
        "870", "875", "876", "877", "935",
    ];
    let code = code.trim();
    if CREDIT.contains(&code) {
        Some(InvoiceKind::CreditNote)
    } else if INVOICE.contains(&code) {
        Some(InvoiceKind::Invoice)
    } else {
        None
    }
}

/// `xs:date`: `YYYY-MM-DD` with an optional `Z` or `±hh:mm` zone (ignored: the civil date is
/// what the seller wrote).
fn parse_xs_date(text: &str) -> Option<Date> {
    let date = text.get(..10)?;
    let zone = text.get(10..)?;
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && (zone.starts_with('+') || zone.starts_with('-'))
            && zone.get(3..4) == Some(":"));
    if !zone_ok {
        return None;
    }
    parse_iso_date(date).ok()
}

/// `xs:decimal` (optional sign, digits, optional `.` and digits) as exact money.
fn parse_xs_amount(text: &str, currency: Currency) -> Result<Money, String> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let lexical_ok = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if text.is_empty() {
        return Err("the amount is empty".to_owned());
    }
    if !lexical_ok {
        return Err(format!("'{}' is not a decimal amount", shorten(text)));
    }
    Money::parse(text, currency).map_err(|error| match error {
        AmountError::TooManyDecimals { .. } => {
            format!("amount '{}' has more decimals than {currency} allows", shorten(text))
        }
        AmountError::Overflow => format!("amount '{}' is too large", shorten(text)),
        other => format!("amount '{}': {other}", shorten(text)),
    })
}

/// Decodes base64 text, ignoring whitespace and padding mistakes.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    ENGINE.decode(&compact).map_err(|e| e.to_string())
}

/// A value quoted in a message, cut to 60 characters.
pub(crate) fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    if text.chars().count() <= MAX_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(MAX_CHARS).collect();
        cut.push('…');
        cut
    }
}

/// Joins the non-empty texts with a line break.
pub(crate) fn join_lines(texts: impl Iterator<Item = String>) -> Option<String> {
    let joined: Vec<String> = texts.filter(|t| !t.is_empty()).collect();
    if joined.is_empty() { None } else { Some(joined.join("\n")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xs_amounts_are_exact_and_refuse_extra_decimals() {
        let eur = Currency::EUR;
        assert_eq!(parse_xs_amount("1234.5", eur).unwrap().minor(), 123_450);
        assert_eq!(parse_xs_amount("-0.01", eur).unwrap().minor(), -1);
        assert_eq!(parse_xs_amount("10.500", eur).unwrap().minor(), 1050);
        assert_eq!(
            parse_xs_amount("12.345", eur).unwrap_err(),
            "amount '12.345' has more decimals than EUR allows"
        );
        assert!(parse_xs_amount("12,34", eur).is_err());
        assert!(parse_xs_amount("", eur).is_err());
        assert!(parse_xs_amount("1e3", eur).is_err());
    }

    #[test]
    fn xs_dates_accept_a_zone_suffix_only() {
        assert_eq!(parse_xs_date("2026-01-31").unwrap().to_string(), "2026-01-31");
        assert_eq!(parse_xs_date("2026-01-31Z").unwrap().to_string(), "2026-01-31");
        assert_eq!(parse_xs_date("2026-01-31+01:00").unwrap().to_string(), "2026-01-31");
        assert!(parse_xs_date("2026-01-31T10:00:00").is_none());
        assert!(parse_xs_date("31-01-2026").is_none());
    }

    #[test]
    fn type_codes_tell_credit_notes_from_invoices() {
        assert_eq!(kind_of_type_code("381"), Some(InvoiceKind::CreditNote));
        assert_eq!(kind_of_type_code(" 396 "), Some(InvoiceKind::CreditNote));
        assert_eq!(kind_of_type_code("380"), Some(InvoiceKind::Invoice));
        assert_eq!(kind_of_type_code("751"), Some(InvoiceKind::Invoice));
        assert_eq!(kind_of_type_code("999"), None);
    }
}
