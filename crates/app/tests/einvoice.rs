//! E-invoice import on a real SQLite store: the buyer is found by name and completed from the
//! invoice (never overwritten), the invoice is created once.

use std::sync::Arc;

use arflow_app::{Actor, App, FixedClock};
use arflow_core::party::{Address, CountryCode, Debtor, DebtorKind, Language, OrgCountry};
use arflow_store::Store;

const UBL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
 <cbc:ID>EI-2026-1</cbc:ID>
 <cbc:IssueDate>2026-03-01</cbc:IssueDate>
 <cbc:DueDate>2026-03-31</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Seller BV</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cac:PostalAddress><cbc:StreetName>Kerkstraat 1</cbc:StreetName><cbc:CityName>Gent</cbc:CityName><cbc:PostalZone>9000</cbc:PostalZone><cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>BE0403170701</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Garage Peeters</cbc:RegistrationName></cac:PartyLegalEntity>
  <cac:Contact><cbc:ElectronicMail>ap@peeters.be</cbc:ElectronicMail></cac:Contact>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">121.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
</Invoice>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_buyer_is_found_by_name_and_completed_never_overwritten() {
    let dir = std::env::temp_dir().join(format!("arflow-einvoice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.join("e.db").display())).await.unwrap();
    store.migrate(1).await.unwrap();
    let app = App::new(store, Arc::new(FixedClock(1_774_864_800_000_000)));
    let actor = Actor("test:einvoice".into());
    let org = app.create_organisation("be", "BE BV", OrgCountry::Be, &actor).await.unwrap();
    let debtor = Debtor {
        number: "K-7".into(),
        name: "Garage Peeters".into(),
        kind: DebtorKind::Business,
        country: CountryCode::BE,
        language: Language::Nl,
        emails: Vec::new(),
        phones: Vec::new(),
        address: Address {
            street: None,
            postal_code: None,
            city: Some("Antwerpen".into()),
            country: None,
        },
        vat_number: None,
        enterprise_number: None,
        ibans: Vec::new(),
        segments: Vec::new(),
        owner: None,
        credit_limit: None,
        pause: None,
    };
    app.create_debtor(org.id, debtor, &actor).await.unwrap();

    let r = app.import_einvoice_file(&org, "ei.xml", UBL.as_bytes(), false, &actor).await.unwrap();
    assert_eq!((r.outcome, r.debtor.as_str(), r.debtor_created), ("created", "K-7", false));
    assert_eq!(r.debtor_updated, vec!["vat_number", "enterprise_number", "emails"], "{r:?}");
    let mut tx = app.store.read().await.unwrap();
    let d = tx.find_debtor_by_number(org.id, "K-7").await.unwrap().unwrap().debtor;
    assert_eq!(d.vat_number.as_deref(), Some("BE0403170701"));
    assert_eq!(d.enterprise_number.as_deref(), Some("0403170701"));
    assert_eq!(d.emails[0].value, "ap@peeters.be");
    // The city the organisation entered stays: the address is not replaced.
    assert_eq!((d.address.city.as_deref(), d.address.street.as_deref()), (Some("Antwerpen"), None));
    let inv = tx.find_invoice_by_number(org.id, "EI-2026-1").await.unwrap().unwrap();
    assert_eq!(inv.invoice.amount.minor(), 121_00);
    drop(tx);

    // Again: nothing changes, and the debtor is now found by its VAT number.
    let again =
        app.import_einvoice_file(&org, "ei.xml", UBL.as_bytes(), false, &actor).await.unwrap();
    assert_eq!((again.outcome, again.debtor_updated.len()), ("already_imported", 0));
    let _ = std::fs::remove_dir_all(&dir);
}
