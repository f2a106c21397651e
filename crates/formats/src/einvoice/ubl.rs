//! UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3.0, EN 16931 UBL binding, XRechnung UBL)
//! into [`EInvoice`].
//!
//! Paths follow the EN 16931 UBL syntax binding (`../shared/notes/legal-and-formats.md` §7.2).
//! Differences between the two roots: the type code element (`cbc:InvoiceTypeCode` /
//! `cbc:CreditNoteTypeCode`), the due date (`cbc:DueDate` on an invoice,
//! `cac:PaymentMeans/cbc:PaymentDueDate` on a credit note) and the line element.

use super::xml::NodeId;
use super::{
    Address, Contact, EInvoice, Fields, InvoiceKind, MAX_ATTACHMENTS, Party, PaymentMeans, Root,
    Syntax, Term, join_lines, kind_of_type_code, pick_in_currency, shorten,
};

/// The business terms of one party role.
struct PartyTerms {
    container: Term,
    name: Term,
    vat: Term,
    legal_id: Term,
}

const SELLER: PartyTerms = PartyTerms {
    container: Term::new("cac:AccountingSupplierParty/cac:Party", "BG-4"),
    name: Term::new("cac:PartyLegalEntity/cbc:RegistrationName", "BT-27"),
    vat: Term::new("cac:PartyTaxScheme/cbc:CompanyID", "BT-31"),
    legal_id: Term::new("cac:PartyLegalEntity/cbc:CompanyID", "BT-30"),
};

const BUYER: PartyTerms = PartyTerms {
    container: Term::new("cac:AccountingCustomerParty/cac:Party", "BG-7"),
    name: Term::new("cac:PartyLegalEntity/cbc:RegistrationName", "BT-44"),
    vat: Term::new("cac:PartyTaxScheme/cbc:CompanyID", "BT-48"),
    legal_id: Term::new("cac:PartyLegalEntity/cbc:CompanyID", "BT-47"),
};

/// Reads a UBL Invoice or CreditNote; `None` when a problem was recorded in `f`.
pub(crate) fn read(f: &mut Fields<'_>, root: Root) -> Option<EInvoice> {
    let doc = f.doc;
    let r = doc.root();
    let credit_root = root == Root::UblCreditNote;

    let number = f.required_text(r, doc.child(r, "ID"), Term::new("cbc:ID", "BT-1"));
    let issue_term = Term::new("cbc:IssueDate", "BT-2");
    let issue_node = f.require(r, doc.child(r, "IssueDate"), issue_term);
    let issue_date = f.iso_date(issue_node, issue_term);
    let (type_element, type_term) = if credit_root {
        ("CreditNoteTypeCode", Term::new("cbc:CreditNoteTypeCode", "BT-3"))
    } else {
        ("InvoiceTypeCode", Term::new("cbc:InvoiceTypeCode", "BT-3"))
    };
    let type_node = doc.child(r, type_element);
    let type_code = f.required_text(r, type_node, type_term);
    let kind = match (&type_code, credit_root) {
        (_, true) => InvoiceKind::CreditNote,
        (Some(code), false) => kind_of_type_code(code).unwrap_or_else(|| {
            f.warn(
                type_node.unwrap_or(r),
                Some("cbc:InvoiceTypeCode (BT-3)".to_owned()),
                format!(
                    "cbc:InvoiceTypeCode (BT-3) '{}' is not an invoice or credit note code of \
                     UNTDID 1001; read as an invoice",
                    shorten(code)
                ),
            );
            InvoiceKind::Invoice
        }),
        (None, false) => InvoiceKind::Invoice,
    };
    let currency = f.currency(
        r,
        doc.child(r, "DocumentCurrencyCode"),
        Term::new("cbc:DocumentCurrencyCode", "BT-5"),
    );
    let tax_currency = f.text(doc.child(r, "TaxCurrencyCode"));

    // Due date: BT-9 (cbc:DueDate on an invoice), then the payment means' and the payment
    // terms' due dates (a credit note has only the former).
    let due_term = Term::new("cbc:DueDate", "BT-9");
    let due_node = doc
        .child(r, "DueDate")
        .or_else(|| doc.children(r, "PaymentMeans").find_map(|m| doc.child(m, "PaymentDueDate")))
        .or_else(|| doc.children(r, "PaymentTerms").find_map(|t| doc.child(t, "PaymentDueDate")));
    let due_date = f.iso_date(due_node, due_term);
    let payment_terms = join_lines(
        doc.children(r, "PaymentTerms")
            .flat_map(|t| doc.children(t, "Note"))
            .map(|n| doc.text(n).to_owned()),
    );

    // Totals.
    let totals_term = Term::new("cac:LegalMonetaryTotal", "BG-22");
    let totals = f.require(r, doc.child(r, "LegalMonetaryTotal"), totals_term);
    let amount = |f: &mut Fields<'_>, name: &'static str, term: Term, required: bool| {
        let t = totals?;
        let node = doc.child(t, name);
        if required {
            f.required_amount(t, node, term, currency, true)
        } else {
            f.amount(node, term, currency?, true)
        }
    };
    let line_extension =
        amount(f, "LineExtensionAmount", Term::new("cbc:LineExtensionAmount", "BT-106"), true);
    let allowance_total =
        amount(f, "AllowanceTotalAmount", Term::new("cbc:AllowanceTotalAmount", "BT-107"), false);
    let charge_total =
        amount(f, "ChargeTotalAmount", Term::new("cbc:ChargeTotalAmount", "BT-108"), false);
    let tax_exclusive =
        amount(f, "TaxExclusiveAmount", Term::new("cbc:TaxExclusiveAmount", "BT-109"), true);
    let tax_inclusive =
        amount(f, "TaxInclusiveAmount", Term::new("cbc:TaxInclusiveAmount", "BT-112"), true);
    let prepaid = amount(f, "PrepaidAmount", Term::new("cbc:PrepaidAmount", "BT-113"), false);
    let payable_rounding =
        amount(f, "PayableRoundingAmount", Term::new("cbc:PayableRoundingAmount", "BT-114"), false);
    let payable = amount(f, "PayableAmount", Term::new("cbc:PayableAmount", "BT-115"), true);
    let tax_total = currency.and_then(|c| {
        let candidates: Vec<NodeId> =
            doc.children(r, "TaxTotal").filter_map(|t| doc.child(t, "TaxAmount")).collect();
        let node = pick_in_currency(f, r, &candidates, c, "cac:TaxTotal/cbc:TaxAmount (BT-110)");
        f.amount(node, Term::new("cac:TaxTotal/cbc:TaxAmount", "BT-110"), c, true)
    });

    // Payment instructions.
    let means_nodes: Vec<NodeId> = doc.children(r, "PaymentMeans").collect();
    let payment_means = means_nodes.first().and_then(|&m| {
        let code_node = doc.child(m, "PaymentMeansCode");
        let code = f.text(code_node);
        if code.is_none() {
            f.warn(
                m,
                Some("cbc:PaymentMeansCode (BT-81)".to_owned()),
                "cbc:PaymentMeansCode (BT-81) is missing; the payment means is ignored".to_owned(),
            );
        }
        let text = code_node.and_then(|n| doc.attr(n, "name")).map(str::trim);
        code.map(|code| PaymentMeans {
            code,
            text: text.filter(|t| !t.is_empty()).map(str::to_owned),
        })
    });
    let payee_means =
        means_nodes.iter().copied().find(|&m| doc.child(m, "PayeeFinancialAccount").is_some());
    let payee_account_node = doc.path_from(payee_means, &["PayeeFinancialAccount"]);
    let payee_means_code = payee_means.and_then(|m| f.text(doc.child(m, "PaymentMeansCode")));
    let (payee_iban, payee_account) = f.payee_account(
        doc.path_from(payee_account_node, &["ID"]),
        payee_means_code.as_deref(),
        Term::new("cac:PayeeFinancialAccount/cbc:ID", "BT-84"),
    );
    let payee_account_name = f.text(doc.path_from(payee_account_node, &["Name"]));
    let payee_bic = f.bic(doc.path_from(payee_account_node, &["FinancialInstitutionBranch", "ID"]));
    let (payment_reference, payment_reference_scheme) = Fields::payment_reference(
        means_nodes.iter().find_map(|&m| f.text(doc.child(m, "PaymentID"))),
    );
    let mandate = means_nodes.iter().find_map(|&m| doc.child(m, "PaymentMandate"));
    let mandate_reference = f.text(doc.path_from(mandate, &["ID"]));
    let debited_account = f.text(doc.path_from(mandate, &["PayerFinancialAccount", "ID"]));

    // Parties.
    let seller = party(f, r, "AccountingSupplierParty", &SELLER);
    let buyer = party(f, r, "AccountingCustomerParty", &BUYER);

    // References, notes, lines, attachments.
    let buyer_reference = f.text(doc.child(r, "BuyerReference"));
    let order_reference = f.text(doc.path(r, &["OrderReference", "ID"]));
    let preceding_invoice =
        f.text(doc.path(r, &["BillingReference", "InvoiceDocumentReference", "ID"]));
    let notes: Vec<String> =
        doc.children(r, "Note").map(|n| doc.text(n).to_owned()).filter(|t| !t.is_empty()).collect();
    let line_element = if credit_root { "CreditNoteLine" } else { "InvoiceLine" };
    let line_count = f.line_count(r, doc.children(r, line_element).count());
    let attachments = attachments(f, r);

    Some(EInvoice {
        syntax: Syntax::Ubl,
        kind,
        type_code: type_code?,
        customization_id: f.text(doc.child(r, "CustomizationID")),
        profile_id: f.text(doc.child(r, "ProfileID")),
        number: number?,
        issue_date: issue_date?,
        due_date,
        payment_terms,
        currency: currency?,
        tax_currency,
        line_extension: Some(line_extension?),
        allowance_total,
        charge_total,
        tax_exclusive: tax_exclusive?,
        tax_total,
        tax_inclusive: tax_inclusive?,
        prepaid,
        payable_rounding,
        payable: payable?,
        payment_means,
        payment_reference,
        payment_reference_scheme,
        payee_iban,
        payee_account,
        payee_account_name,
        payee_bic,
        mandate_reference,
        debited_account,
        buyer_reference,
        order_reference,
        preceding_invoice,
        seller: seller?,
        buyer: buyer?,
        notes,
        line_count,
        attachments: attachments?,
        pdf: None,
        warnings: Vec::new(),
    })
}

/// `cac:AccountingSupplierParty` / `cac:AccountingCustomerParty`.
fn party(f: &mut Fields<'_>, r: NodeId, role: &str, terms: &PartyTerms) -> Option<Party> {
    let doc = f.doc;
    let p = f.require(r, doc.path(r, &[role, "Party"]), terms.container)?;
    let legal = doc.child(p, "PartyLegalEntity");
    let trading_name = f.text(doc.path(p, &["PartyName", "Name"]));
    let name = match f.text(doc.path_from(legal, &["RegistrationName"])) {
        Some(name) => Some(name),
        None => match &trading_name {
            Some(trading) => Some(trading.clone()),
            None => {
                f.missing(p, terms.name);
                None
            }
        },
    };
    let vat_node = doc
        .children(p, "PartyTaxScheme")
        .find(|&s| {
            doc.path(s, &["TaxScheme", "ID"])
                .is_some_and(|id| doc.text(id).eq_ignore_ascii_case("VAT"))
        })
        .and_then(|s| doc.child(s, "CompanyID"));
    let vat_number = f.vat_number(vat_node, terms.vat);
    let legal_node = doc.path_from(legal, &["CompanyID"]);
    let legal_id_scheme = scheme(f, legal_node);
    let legal_id = f.legal_id(legal_node, legal_id_scheme.as_deref(), terms.legal_id);
    let id_node = doc.path(p, &["PartyIdentification", "ID"]);
    let endpoint_node = doc.child(p, "EndpointID");
    let address_node = doc.child(p, "PostalAddress");
    let at = |path: &[&str]| f.text(doc.path_from(address_node, path));
    let address = Address {
        street: at(&["StreetName"]),
        additional_street: at(&["AdditionalStreetName"]),
        address_line: at(&["AddressLine", "Line"]),
        city: at(&["CityName"]),
        postal_code: at(&["PostalZone"]),
        subdivision: at(&["CountrySubentity"]),
    };
    let country = at(&["Country", "IdentificationCode"]);
    let contact_node = doc.child(p, "Contact");
    let contact = Contact {
        name: f.text(doc.path_from(contact_node, &["Name"])),
        phone: f.text(doc.path_from(contact_node, &["Telephone"])),
        email: f.text(doc.path_from(contact_node, &["ElectronicMail"])),
    };
    Some(Party {
        name: name?,
        trading_name,
        id: f.text(id_node),
        id_scheme: scheme(f, id_node),
        vat_number,
        legal_id,
        legal_id_scheme,
        endpoint_id: f.text(endpoint_node),
        endpoint_scheme: scheme(f, endpoint_node),
        country,
        address,
        contact,
    })
}

fn scheme(f: &Fields<'_>, node: Option<NodeId>) -> Option<String> {
    node.and_then(|n| f.doc.attr(n, "schemeID"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `cac:AdditionalDocumentReference` with an embedded binary object (BG-24, BT-125).
fn attachments(f: &mut Fields<'_>, r: NodeId) -> Option<Vec<super::Attachment>> {
    let doc = f.doc;
    let mut found = Vec::new();
    let mut ok = true;
    for reference in doc.children(r, "AdditionalDocumentReference") {
        let Some(object) = doc.path(reference, &["Attachment", "EmbeddedDocumentBinaryObject"])
        else {
            continue;
        };
        if found.len() >= MAX_ATTACHMENTS {
            f.too_many_attachments(object);
            return None;
        }
        let id = f.text(doc.child(reference, "ID"));
        let description = f.text(doc.child(reference, "DocumentDescription"));
        match f.attachment(
            object,
            id,
            description,
            Term::new("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", "BT-125"),
        ) {
            Some(attachment) => found.push(attachment),
            None => ok = false,
        }
    }
    ok.then_some(found)
}
