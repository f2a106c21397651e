//! UN/CEFACT Cross Industry Invoice D16B (EN 16931 CII binding, XRechnung CII, ZUGFeRD 2.x /
//! Factur-X, all profiles from MINIMUM to EXTENDED) into [`EInvoice`].
//!
//! The kind comes from the document type code (BT-3): 381, 396, 261, 262… are credit notes.
//! The Factur-X MINIMUM profile has no BT-106 (sum of lines); every other profile must give it.

use super::xml::NodeId;
use super::{
    Address, Attachment, Contact, EInvoice, Fields, MAX_ATTACHMENTS, Party, PaymentMeans, Syntax,
    Term, join_lines, kind_of_type_code, pick_in_currency, shorten,
};

struct PartyTerms {
    container: Term,
    name: Term,
    vat: Term,
    legal_id: Term,
}

const SELLER: PartyTerms = PartyTerms {
    container: Term::new("ram:SellerTradeParty", "BG-4"),
    name: Term::new("ram:SellerTradeParty/ram:Name", "BT-27"),
    vat: Term::new("ram:SpecifiedTaxRegistration/ram:ID", "BT-31"),
    legal_id: Term::new("ram:SpecifiedLegalOrganization/ram:ID", "BT-30"),
};

const BUYER: PartyTerms = PartyTerms {
    container: Term::new("ram:BuyerTradeParty", "BG-7"),
    name: Term::new("ram:BuyerTradeParty/ram:Name", "BT-44"),
    vat: Term::new("ram:SpecifiedTaxRegistration/ram:ID", "BT-48"),
    legal_id: Term::new("ram:SpecifiedLegalOrganization/ram:ID", "BT-47"),
};

/// Reads a CrossIndustryInvoice; `None` when a problem was recorded in `f`.
pub(crate) fn read(f: &mut Fields<'_>) -> Option<EInvoice> {
    let doc = f.doc;
    let r = doc.root();
    let context = doc.child(r, "ExchangedDocumentContext");
    let customization_id =
        f.text(doc.path_from(context, &["GuidelineSpecifiedDocumentContextParameter", "ID"]));
    let profile_id =
        f.text(doc.path_from(context, &["BusinessProcessSpecifiedDocumentContextParameter", "ID"]));
    let minimum_profile =
        customization_id.as_deref().is_some_and(|c| c.to_ascii_lowercase().ends_with(":minimum"));

    // Header document.
    let header =
        f.require(r, doc.child(r, "ExchangedDocument"), Term::plain("rsm:ExchangedDocument"));
    let (number, type_code, issue_date, notes) = match header {
        Some(h) => {
            let number = f.required_text(h, doc.child(h, "ID"), Term::new("ram:ID", "BT-1"));
            let type_term = Term::new("ram:TypeCode", "BT-3");
            let type_node = doc.child(h, "TypeCode");
            let type_code = f.required_text(h, type_node, type_term);
            let issue_term = Term::new("ram:IssueDateTime", "BT-2");
            let issue_node = f.require(h, doc.child(h, "IssueDateTime"), issue_term);
            let issue_date = f.cii_date(issue_node, issue_term);
            let notes: Vec<String> = doc
                .children(h, "IncludedNote")
                .flat_map(|n| doc.children(n, "Content"))
                .map(|c| doc.text(c).to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            (number, type_code.map(|c| (c, type_node.unwrap_or(h))), issue_date, notes)
        }
        None => (None, None, None, Vec::new()),
    };
    let kind = match &type_code {
        Some((code, node)) => {
            let kind = kind_of_type_code(code);
            if kind.is_none() {
                f.problem(
                    *node,
                    Some("ram:TypeCode (BT-3)".to_owned()),
                    format!(
                        "ram:TypeCode (BT-3) '{}' is not an invoice or credit note code of \
                         UNTDID 1001",
                        shorten(code)
                    ),
                );
            }
            kind
        }
        None => None,
    };

    let transaction = f.require(
        r,
        doc.child(r, "SupplyChainTradeTransaction"),
        Term::plain("rsm:SupplyChainTradeTransaction"),
    );
    let agreement = transaction.and_then(|t| {
        f.require(
            t,
            doc.child(t, "ApplicableHeaderTradeAgreement"),
            Term::plain("ram:ApplicableHeaderTradeAgreement"),
        )
    });
    let settlement = transaction.and_then(|t| {
        f.require(
            t,
            doc.child(t, "ApplicableHeaderTradeSettlement"),
            Term::plain("ram:ApplicableHeaderTradeSettlement"),
        )
    });

    // Currency and totals.
    let currency = settlement.and_then(|s| {
        f.currency(
            s,
            doc.child(s, "InvoiceCurrencyCode"),
            Term::new("ram:InvoiceCurrencyCode", "BT-5"),
        )
    });
    let tax_currency = f.text(doc.path_from(settlement, &["TaxCurrencyCode"]));
    let totals = settlement.and_then(|s| {
        f.require(
            s,
            doc.child(s, "SpecifiedTradeSettlementHeaderMonetarySummation"),
            Term::new("ram:SpecifiedTradeSettlementHeaderMonetarySummation", "BG-22"),
        )
    });
    let amount = |f: &mut Fields<'_>, name: &'static str, term: Term, required: bool| {
        let t = totals?;
        let node = doc.child(t, name);
        if required {
            f.required_amount(t, node, term, currency, false)
        } else {
            f.amount(node, term, currency?, false)
        }
    };
    let line_extension =
        amount(f, "LineTotalAmount", Term::new("ram:LineTotalAmount", "BT-106"), !minimum_profile);
    let charge_total =
        amount(f, "ChargeTotalAmount", Term::new("ram:ChargeTotalAmount", "BT-108"), false);
    let allowance_total =
        amount(f, "AllowanceTotalAmount", Term::new("ram:AllowanceTotalAmount", "BT-107"), false);
    let tax_exclusive =
        amount(f, "TaxBasisTotalAmount", Term::new("ram:TaxBasisTotalAmount", "BT-109"), true);
    let payable_rounding =
        amount(f, "RoundingAmount", Term::new("ram:RoundingAmount", "BT-114"), false);
    let tax_inclusive =
        amount(f, "GrandTotalAmount", Term::new("ram:GrandTotalAmount", "BT-112"), true);
    let prepaid =
        amount(f, "TotalPrepaidAmount", Term::new("ram:TotalPrepaidAmount", "BT-113"), false);
    let payable = amount(f, "DuePayableAmount", Term::new("ram:DuePayableAmount", "BT-115"), true);
    let tax_total = match (totals, currency) {
        (Some(t), Some(c)) => {
            let candidates: Vec<NodeId> = doc.children(t, "TaxTotalAmount").collect();
            let node = pick_in_currency(f, t, &candidates, c, "ram:TaxTotalAmount (BT-110)");
            f.amount(node, Term::new("ram:TaxTotalAmount", "BT-110"), c, false)
        }
        _ => None,
    };

    // Payment terms and instructions.
    let terms: Vec<NodeId> = settlement
        .map(|s| doc.children(s, "SpecifiedTradePaymentTerms").collect())
        .unwrap_or_default();
    let due_node = terms.iter().find_map(|&t| doc.child(t, "DueDateDateTime"));
    let due_date = f.cii_date(due_node, Term::new("ram:DueDateDateTime", "BT-9"));
    let payment_terms = join_lines(
        terms.iter().flat_map(|&t| doc.children(t, "Description")).map(|d| doc.text(d).to_owned()),
    );
    let mandate_reference =
        terms.iter().find_map(|&t| f.text(doc.child(t, "DirectDebitMandateID")));
    let means_nodes: Vec<NodeId> = settlement
        .map(|s| doc.children(s, "SpecifiedTradeSettlementPaymentMeans").collect())
        .unwrap_or_default();
    let payment_means = means_nodes.first().and_then(|&m| {
        let code = f.text(doc.child(m, "TypeCode"));
        if code.is_none() {
            f.warn(
                m,
                Some("ram:TypeCode (BT-81)".to_owned()),
                "ram:TypeCode (BT-81) of the payment means is missing; the payment means is \
                 ignored"
                    .to_owned(),
            );
        }
        let text = f.text(doc.child(m, "Information"));
        code.map(|code| PaymentMeans { code, text })
    });
    let payee_means = means_nodes
        .iter()
        .copied()
        .find(|&m| doc.child(m, "PayeePartyCreditorFinancialAccount").is_some());
    let payee_account_node = doc.path_from(payee_means, &["PayeePartyCreditorFinancialAccount"]);
    let payee_means_code = payee_means.and_then(|m| f.text(doc.child(m, "TypeCode")));
    let account_id = doc
        .path_from(payee_account_node, &["IBANID"])
        .filter(|&n| !doc.text(n).is_empty())
        .or_else(|| doc.path_from(payee_account_node, &["ProprietaryID"]));
    let (payee_iban, payee_account) = f.payee_account(
        account_id,
        payee_means_code.as_deref(),
        Term::new("ram:PayeePartyCreditorFinancialAccount/ram:IBANID", "BT-84"),
    );
    let payee_account_name = f.text(doc.path_from(payee_account_node, &["AccountName"]));
    let payee_bic = f.bic(
        payee_means
            .and_then(|m| doc.path(m, &["PayeeSpecifiedCreditorFinancialInstitution", "BICID"])),
    );
    let debited_account = means_nodes
        .iter()
        .find_map(|&m| f.text(doc.path(m, &["PayerPartyDebtorFinancialAccount", "IBANID"])));
    let (payment_reference, payment_reference_scheme) =
        Fields::payment_reference(f.text(doc.path_from(settlement, &["PaymentReference"])));
    let preceding_invoice =
        f.text(doc.path_from(settlement, &["InvoiceReferencedDocument", "IssuerAssignedID"]));

    // Parties and references.
    let seller = agreement.and_then(|a| party(f, a, "SellerTradeParty", &SELLER));
    let buyer = agreement.and_then(|a| party(f, a, "BuyerTradeParty", &BUYER));
    let buyer_reference = f.text(doc.path_from(agreement, &["BuyerReference"]));
    let order_reference =
        f.text(doc.path_from(agreement, &["BuyerOrderReferencedDocument", "IssuerAssignedID"]));
    let line_count = match transaction {
        Some(t) => f.line_count(t, doc.children(t, "IncludedSupplyChainTradeLineItem").count()),
        None => 0,
    };
    let attachments = match agreement {
        Some(a) => attachments(f, a),
        None => Some(Vec::new()),
    };

    Some(EInvoice {
        syntax: Syntax::Cii,
        kind: kind?,
        type_code: type_code?.0,
        customization_id,
        profile_id,
        number: number?,
        issue_date: issue_date?,
        due_date,
        payment_terms,
        currency: currency?,
        tax_currency,
        line_extension,
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

/// `ram:SellerTradeParty` / `ram:BuyerTradeParty`.
fn party(f: &mut Fields<'_>, agreement: NodeId, role: &str, terms: &PartyTerms) -> Option<Party> {
    let doc = f.doc;
    let p = f.require(agreement, doc.child(agreement, role), terms.container)?;
    let legal = doc.child(p, "SpecifiedLegalOrganization");
    let trading_name = f.text(doc.path_from(legal, &["TradingBusinessName"]));
    let name = match f.text(doc.child(p, "Name")) {
        Some(name) => Some(name),
        None => match &trading_name {
            Some(trading) => Some(trading.clone()),
            None => {
                f.missing(p, terms.name);
                None
            }
        },
    };
    let vat_node = doc.children(p, "SpecifiedTaxRegistration").find_map(|reg| {
        doc.child(reg, "ID").filter(|&id| {
            doc.attr(id, "schemeID").is_some_and(|s| s.trim().eq_ignore_ascii_case("VA"))
        })
    });
    let vat_number = f.vat_number(vat_node, terms.vat);
    let legal_node = doc.path_from(legal, &["ID"]);
    let legal_id_scheme = scheme(f, legal_node);
    let legal_id = f.legal_id(legal_node, legal_id_scheme.as_deref(), terms.legal_id);
    let id_node = doc.child(p, "ID").or_else(|| doc.child(p, "GlobalID"));
    let endpoint_node = doc.path(p, &["URIUniversalCommunication", "URIID"]);
    let address_node = doc.child(p, "PostalTradeAddress");
    let at = |name: &str| f.text(doc.path_from(address_node, &[name]));
    let address = Address {
        street: at("LineOne"),
        additional_street: at("LineTwo"),
        address_line: at("LineThree"),
        city: at("CityName"),
        postal_code: at("PostcodeCode"),
        subdivision: at("CountrySubDivisionName"),
    };
    let country = at("CountryID");
    let contact_node = doc.child(p, "DefinedTradeContact");
    let contact = Contact {
        name: f
            .text(doc.path_from(contact_node, &["PersonName"]))
            .or_else(|| f.text(doc.path_from(contact_node, &["DepartmentName"]))),
        phone: f.text(
            doc.path_from(contact_node, &["TelephoneUniversalCommunication", "CompleteNumber"]),
        ),
        email: f.text(doc.path_from(contact_node, &["EmailURIUniversalCommunication", "URIID"])),
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

/// `ram:AdditionalReferencedDocument` with a `ram:AttachmentBinaryObject` (BG-24, BT-125).
fn attachments(f: &mut Fields<'_>, agreement: NodeId) -> Option<Vec<Attachment>> {
    let doc = f.doc;
    let mut found = Vec::new();
    let mut ok = true;
    for reference in doc.children(agreement, "AdditionalReferencedDocument") {
        let Some(object) = doc.child(reference, "AttachmentBinaryObject") else {
            continue;
        };
        if found.len() >= MAX_ATTACHMENTS {
            f.too_many_attachments(object);
            return None;
        }
        let id = f.text(doc.child(reference, "IssuerAssignedID"));
        let description = f.text(doc.child(reference, "Name"));
        match f.attachment(
            object,
            id,
            description,
            Term::new("ram:AttachmentBinaryObject", "BT-125"),
        ) {
            Some(attachment) => found.push(attachment),
            None => ok = false,
        }
    }
    ok.then_some(found)
}
