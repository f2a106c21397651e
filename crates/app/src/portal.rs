//! The debtor portal: personal links, what a debtor sees through one, and the answers a debtor
//! gives there (already paid, a dispute, a promise, a question, changed contact details). Each
//! answer lands on the debtor's timeline, makes a task for the debtor's owner, changes dunning as
//! its rule says, and is confirmed to the debtor by e-mail.
//!
//! A link's token is `hex(nonce ‖ HMAC-SHA256(key, "arflow-portal-link" ‖ nonce)[..16])`: the
//! nonce is 16 random bytes stored with the link, the key is the installation's (made on first
//! use, kept in the database). A forged token is refused by its MAC before the database is
//! asked; a real one can be revoked, and expires. Nothing in a token names the organisation or
//! the debtor.

use arflow_core::arrangement::{PlanRules, PromiseRules, check_promise};
use arflow_core::date::{Date, add_days};
use arflow_core::epc::{EpcRequest, epc_payload};
use arflow_core::id::{DebtorId, InvoiceId, OrganisationId};
use arflow_core::legal::Explanation;
use arflow_core::money::{Currency, Money};
use arflow_core::reference::{self, ReferenceScheme};
use arflow_store::{
    AuditEntry, InvoiceFilter, ItemStatus, MessageStatus, NewDispute, NewMessage,
    NewPortalResponse, NewTask, Page, PortalSettingsRow, StoreTx, StoredDebtor, StoredDispute,
    StoredOrganisation, StoredPortalLink, Upload,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError};

/// The installation key that signs portal links.
const LINK_KEY: &str = "portal_link";
/// What the MAC covers besides the nonce (so the key can sign other things one day).
const LINK_DOMAIN: &[u8] = b"arflow-portal-link";
/// A message's link stays valid at least this many days after the message.
const LINK_MIN_DAYS_LEFT: i32 = 30;
/// The largest file a debtor may upload with an answer.
pub const UPLOAD_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Longest free text of an answer, in characters.
pub const TEXT_CHARS_MAX: usize = 4000;
/// Days an "already paid" answer holds dunning of the items it names while someone checks.
pub const PAID_CHECK_DAYS: i32 = 10;

// ------------------------------------------------------------------------------------ settings

/// The optional second check before a link opens the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondCheck {
    None,
    /// The postal code of the debtor's address (spaces and case ignored).
    PostalCode,
    /// The debtor's customer number with the organisation.
    CustomerNumber,
}

impl SecondCheck {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SecondCheck::None => "none",
            SecondCheck::PostalCode => "postal_code",
            SecondCheck::CustomerNumber => "customer_number",
        }
    }

    fn parse(text: &str) -> Option<SecondCheck> {
        match text {
            "none" => Some(SecondCheck::None),
            "postal_code" => Some(SecondCheck::PostalCode),
            "customer_number" => Some(SecondCheck::CustomerNumber),
            _ => None,
        }
    }
}

/// How an organisation's portal behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSettings {
    pub second_check: SecondCheck,
    /// How long a new link opens the portal.
    pub link_days: u32,
    pub promise: PromiseRules,
    pub plan: PlanRules,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            second_check: SecondCheck::None,
            link_days: 90,
            promise: PromiseRules::default(),
            plan: PlanRules::default(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredRules {
    promise: PromiseRules,
    plan: PlanRules,
}

pub(crate) async fn settings_in(
    tx: &mut StoreTx,
    org: OrganisationId,
) -> Result<PortalSettings, AppError> {
    let Some(row) = tx.portal_settings(org).await? else { return Ok(PortalSettings::default()) };
    let rules: StoredRules = serde_json::from_str(&row.rules)
        .map_err(|e| AppError::invalid("rules", format!("stored portal rules: {e}")))?;
    Ok(PortalSettings {
        second_check: SecondCheck::parse(&row.second_check).unwrap_or(SecondCheck::None),
        link_days: row.link_days,
        promise: rules.promise,
        plan: rules.plan,
    })
}

// ------------------------------------------------------------------------------------ tokens

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The token of a link with `nonce` (hex).
fn token_of(key: &[u8], nonce_hex: &str) -> Option<String> {
    let nonce = unhex(nonce_hex)?;
    let mac = hmac_sha256(key, &[LINK_DOMAIN, &nonce]);
    Some(format!("{nonce_hex}{}", hex(&mac[..16])))
}

/// The nonce of a token whose MAC is right (compared in constant time).
fn verified_nonce(key: &[u8], token: &str) -> Option<String> {
    if token.len() != 64 {
        return None;
    }
    let bytes = unhex(token)?;
    let (nonce, mac) = bytes.split_at(16);
    let expected = hmac_sha256(key, &[LINK_DOMAIN, nonce]);
    let diff = expected.iter().zip(mac).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    (diff == 0).then(|| hex(nonce))
}

/// A token as it may appear in logs: its first characters only.
#[must_use]
pub fn redact(token: &str) -> String {
    let shown: String = token.chars().take(6).collect();
    format!("{shown}…")
}

fn fresh_nonce() -> Result<String, AppError> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce)
        .map_err(|e| AppError::Invalid { field: None, message: format!("no randomness: {e}") })?;
    Ok(hex(&nonce))
}

/// A link made for a message before the message's transaction stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedLink {
    pub token: String,
    /// `Some` when the link is new and must be stored with the message: its nonce and last day.
    pub new: Option<(String, Date)>,
}

impl App {
    /// The installation's link key: made on first use in a transaction of its own, then kept.
    /// Call it before opening a write transaction (there is one writer at a time).
    pub(crate) async fn link_key(&self) -> Result<Vec<u8>, AppError> {
        if let Some(k) = self.portal_key.get() {
            return Ok(k.clone());
        }
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| AppError::Invalid {
            field: None,
            message: format!("no randomness: {e}"),
        })?;
        let mut tx = self.store.begin_write().await?;
        let key = tx.server_key(LINK_KEY, &fresh, self.now()).await?;
        tx.commit().await?;
        Ok(self.portal_key.get_or_init(|| key).clone())
    }

    /// The link a message to `debtor` carries: the debtor's newest open link when it lasts at
    /// least [`LINK_MIN_DAYS_LEFT`] more days after `as_of`, else a new one to store with the
    /// message. Reads only.
    pub(crate) async fn plan_link(
        &self,
        tx: &mut StoreTx,
        org: OrganisationId,
        debtor: DebtorId,
        as_of: Date,
    ) -> Result<PlannedLink, AppError> {
        let key = self.link_key().await?;
        let until = add_days(as_of, LINK_MIN_DAYS_LEFT);
        let reusable = tx
            .portal_links_of(org, debtor)
            .await?
            .into_iter()
            .find(|l| l.revoked_at.is_none() && l.expires_on >= until);
        if let Some(link) = reusable
            && let Some(token) = token_of(&key, &link.nonce)
        {
            return Ok(PlannedLink { token, new: None });
        }
        let settings = settings_in(tx, org).await?;
        let days = i32::try_from(settings.link_days).unwrap_or(i32::MAX).max(LINK_MIN_DAYS_LEFT);
        let nonce = fresh_nonce()?;
        let token = token_of(&key, &nonce).ok_or_else(|| AppError::invalid("nonce", "bad"))?;
        Ok(PlannedLink { token, new: Some((nonce, add_days(as_of, days))) })
    }

    /// Stores a planned link in the transaction of the message that carries it.
    pub(crate) async fn store_planned_link(
        &self,
        tx: &mut StoreTx,
        org: OrganisationId,
        debtor: DebtorId,
        link: &PlannedLink,
    ) -> Result<(), AppError> {
        if let Some((nonce, expires_on)) = &link.new {
            let id = tx.reserve_ids(org, "portal_link", 1).await?;
            tx.insert_portal_link(org, id, debtor, nonce, *expires_on, self.now()).await?;
        }
        Ok(())
    }

    /// A new personal link for debtor `number` (staff hand it out themselves): its token.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn issue_portal_link(
        &self,
        org: OrganisationId,
        number: &str,
        actor: &Actor,
    ) -> Result<(String, Date), AppError> {
        let key = self.link_key().await?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let settings = settings_in(&mut tx, org).await?;
        let expires_on = add_days(
            self.today(&o.organisation),
            i32::try_from(settings.link_days).unwrap_or(i32::MAX),
        );
        let nonce = fresh_nonce()?;
        let token = token_of(&key, &nonce).ok_or_else(|| AppError::invalid("nonce", "bad"))?;
        let id = tx.reserve_ids(org, "portal_link", 1).await?;
        tx.insert_portal_link(org, id, debtor.id, &nonce, expires_on, now).await?;
        tx.insert_audit(
            org,
            &[debtor_audit(
                now,
                actor,
                "portal.link",
                number,
                serde_json::json!({ "link": id, "expires_on": expires_on }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok((token, expires_on))
    }

    /// Debtor `number`'s links, newest first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn portal_links(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Vec<StoredPortalLink>, AppError> {
        let mut tx = self.store.read().await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let links = tx.portal_links_of(org, debtor.id).await?;
        tx.rollback().await?;
        Ok(links)
    }

    /// Revokes one of debtor `number`'s links: it opens nothing from now on.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a link that is not one of the debtor's open links.
    pub async fn revoke_portal_link(
        &self,
        org: OrganisationId,
        number: &str,
        link: i64,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let not_found = || AppError::NotFound { entity: "portal_link", key: link.to_string() };
        if !tx.portal_links_of(org, debtor.id).await?.iter().any(|l| l.id == link) {
            return Err(not_found());
        }
        if !tx.revoke_portal_link(org, link, &actor.0, now).await? {
            return Err(not_found());
        }
        tx.insert_audit(
            org,
            &[debtor_audit(
                now,
                actor,
                "portal.revoke",
                number,
                serde_json::json!({ "link": link }),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The organisation's portal settings (the defaults until it saves its own).
    ///
    /// # Errors
    /// Store errors.
    pub async fn portal_settings(&self, org: OrganisationId) -> Result<PortalSettings, AppError> {
        let mut tx = self.store.read().await?;
        let s = settings_in(&mut tx, org).await?;
        tx.rollback().await?;
        Ok(s)
    }

    /// Saves the organisation's portal settings.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a link lifetime outside 1..=366 days.
    pub async fn set_portal_settings(
        &self,
        org: OrganisationId,
        settings: &PortalSettings,
        actor: &Actor,
    ) -> Result<(), AppError> {
        if !(1..=366).contains(&settings.link_days) {
            return Err(AppError::invalid("link_days", "a link lives 1 to 366 days"));
        }
        let rules =
            serde_json::to_string(&StoredRules { promise: settings.promise, plan: settings.plan })
                .map_err(|e| AppError::invalid("rules", e.to_string()))?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let o = tx.get_organisation(org).await?;
        let row = PortalSettingsRow {
            second_check: settings.second_check.as_str().to_owned(),
            link_days: settings.link_days,
            rules,
        };
        tx.set_portal_settings(org, &row, now).await?;
        tx.insert_audit(
            org,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "portal.settings".into(),
                entity: "organisation".into(),
                entity_key: o.organisation.slug.to_string(),
                details: serde_json::to_value(settings).unwrap_or_default(),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(crate) async fn find_debtor(
    tx: &mut StoreTx,
    org: OrganisationId,
    number: &str,
) -> Result<StoredDebtor, AppError> {
    tx.find_debtor_by_number(org, number)
        .await?
        .ok_or_else(|| AppError::NotFound { entity: "debtor", key: number.to_owned() })
}

pub(crate) fn debtor_audit(
    at: i64,
    actor: &Actor,
    action: &str,
    number: &str,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: "debtor".into(),
        entity_key: number.to_owned(),
        details,
    }
}

// ------------------------------------------------------------------------------------ access

/// Why a link does not open the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Not a link of this installation, or one that was revoked: the same answer, so that
    /// nobody learns which links exist.
    NotValid,
    /// A real link past its last day.
    Expired { expired_on: Date, organisation: String },
    /// The organisation asks a second question first.
    NeedsCheck(SecondCheck),
    /// The answer to the second question was wrong.
    WrongCheck(SecondCheck),
}

/// An opened link: whose portal it is.
#[derive(Debug, Clone)]
pub struct PortalAccess {
    pub org: StoredOrganisation,
    pub debtor: StoredDebtor,
    pub link: StoredPortalLink,
}

fn normalized(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

impl App {
    /// Opens the portal with `token`; `check` answers the organisation's second question when it
    /// asks one.
    ///
    /// # Errors
    /// [`Denied`] (in `Ok(Err(..))`) when the link does not open the portal; [`AppError`] for
    /// store errors.
    pub async fn open_portal(
        &self,
        token: &str,
        check: Option<&str>,
    ) -> Result<Result<PortalAccess, Denied>, AppError> {
        let key = self.link_key().await?;
        let mut tx = self.store.read().await?;
        let Some(nonce) = verified_nonce(&key, token) else {
            tx.rollback().await?;
            return Ok(Err(Denied::NotValid));
        };
        let Some((org_id, link)) = tx.find_portal_link(&nonce).await? else {
            tx.rollback().await?;
            return Ok(Err(Denied::NotValid));
        };
        if link.revoked_at.is_some() {
            tx.rollback().await?;
            return Ok(Err(Denied::NotValid));
        }
        let org = tx.get_organisation(org_id).await?;
        if link.expires_on < self.today(&org.organisation) {
            tx.rollback().await?;
            return Ok(Err(Denied::Expired {
                expired_on: link.expires_on,
                organisation: org.organisation.name.clone(),
            }));
        }
        let debtor = tx.get_debtor(org_id, link.debtor_id).await?;
        let settings = settings_in(&mut tx, org_id).await?;
        tx.rollback().await?;
        let expected = match settings.second_check {
            SecondCheck::None => None,
            SecondCheck::PostalCode => {
                Some(debtor.debtor.address.postal_code.clone().unwrap_or_default())
            }
            SecondCheck::CustomerNumber => Some(debtor.debtor.number.clone()),
        };
        if let Some(expected) = expected {
            match check {
                None => return Ok(Err(Denied::NeedsCheck(settings.second_check))),
                Some(given) => {
                    let (a, b) = (normalized(given), normalized(&expected));
                    let same = a.len() == b.len()
                        && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
                    if !same || b.is_empty() {
                        return Ok(Err(Denied::WrongCheck(settings.second_check)));
                    }
                }
            }
        }
        Ok(Ok(PortalAccess { org, debtor, link }))
    }

    /// Notes that the link was used (for the staff's list of links).
    ///
    /// # Errors
    /// Store errors.
    pub async fn touch_portal(&self, access: &PortalAccess) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        tx.touch_portal_link(access.org.id, access.link.id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

// ------------------------------------------------------------------------------------ the page

/// A charge claimed on an item, with how it was computed.
#[derive(Debug, Clone, Serialize)]
pub struct PortalCharge {
    pub kind: String,
    pub amount: Money,
    pub charged_on: Date,
    pub explanation: Option<Explanation>,
}

/// An open item as the debtor sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PortalItem {
    pub id: InvoiceId,
    pub number: String,
    pub description: Option<String>,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: Money,
    pub open: Money,
    pub days_late: i64,
    pub has_pdf: bool,
    /// As people type it (`+++090/9337/55493+++`, `RF18 5390 0754 7034`).
    pub reference_display: Option<String>,
    /// The EPC QR payload for paying this item by bank transfer (EUR only).
    pub epc: Option<String>,
    pub charges: Vec<PortalCharge>,
    pub disputed: bool,
}

/// Everything the portal page shows.
#[derive(Debug, Clone, Serialize)]
pub struct PortalPage {
    pub organisation: String,
    pub accent_colour: String,
    pub has_logo: bool,
    pub debtor_name: String,
    pub debtor_number: String,
    pub language: String,
    pub today: Date,
    pub currency: Currency,
    pub items: Vec<PortalItem>,
    /// Open items plus charges.
    pub total: Money,
    pub charges_total: Money,
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// EPC QR payload for the total, with the item numbers as the remittance text.
    pub epc_total: Option<String>,
    pub disputes: Vec<StoredDispute>,
    pub promise: PromiseRules,
    /// The latest day a promise may name.
    pub promise_latest: Date,
    /// The plan rules the form shows: most instalments, smallest instalment.
    pub plan_max_instalments: u32,
    pub plan_min_instalment: Money,
    /// The debtor's running or waiting payment plan.
    pub payment_plan: Option<crate::plans::PortalPlan>,
    pub contact_email: Option<String>,
}

/// The EPC QR payload of a credit transfer of `amount` to the organisation's account: quoting
/// `reference` in the structured field when it is an RF or OGM one, else `text` as the
/// description. None without an account, or outside EUR (the EPC QR code is for SEPA euros).
pub(crate) fn transfer_epc(
    o: &arflow_core::party::Organisation,
    amount: Money,
    reference: Option<&reference::PaymentReference>,
    text: String,
) -> Option<String> {
    let iban = o.iban.as_ref()?;
    if o.currency != Currency::EUR || amount.currency() != Currency::EUR {
        return None;
    }
    let structured =
        reference.filter(|r| matches!(r.scheme, ReferenceScheme::Rf | ReferenceScheme::Ogm));
    epc_payload(&EpcRequest {
        bic: o.bic.clone(),
        name: o.name.chars().take(70).collect(),
        iban: iban.clone(),
        amount: Some(amount),
        reference: structured.map(|r| r.normalized.clone()),
        text: structured.is_none().then_some(text),
        information: None,
    })
    .ok()
}

impl App {
    /// What the debtor sees: open items with their charges, the totals and how to pay.
    ///
    /// # Errors
    /// Store errors.
    pub async fn portal_page(&self, access: &PortalAccess) -> Result<PortalPage, AppError> {
        let org = &access.org;
        let o = &org.organisation;
        let today = self.today(o);
        let mut tx = self.store.read().await?;
        let filter = InvoiceFilter {
            debtor_id: Some(access.debtor.id),
            status: Some(ItemStatus::Open),
            ..InvoiceFilter::default()
        };
        let invoices = tx.list_invoices(org.id, &filter, Page::first(500)).await?;
        let ids: Vec<InvoiceId> = invoices.iter().map(|i| i.id).collect();
        let charges = tx.list_charges_of_items(org.id, &ids).await?;
        let disputes = tx.disputes_of(org.id, access.debtor.id).await?;
        let branding = tx.branding(org.id).await?;
        let settings = settings_in(&mut tx, org.id).await?;
        let payment_plan = crate::plans::portal_plan_of(&mut tx, org, access.debtor.id).await?;
        tx.rollback().await?;

        let currency = o.currency;
        let mut total = Money::zero(currency);
        let mut charges_total = Money::zero(currency);
        let mut items = Vec::new();
        let sum = |a: Money, b: Money| {
            a.checked_add(b).map_err(|e| AppError::invalid("amount", e.to_string()))
        };
        for inv in invoices.iter().filter(|i| i.open.is_positive()) {
            let i = &inv.invoice;
            let item_charges: Vec<PortalCharge> = charges
                .iter()
                .filter(|c| c.invoice_id == inv.id)
                .map(|c| PortalCharge {
                    kind: c.kind.clone(),
                    amount: c.amount,
                    charged_on: c.charged_on,
                    explanation: serde_json::from_value(c.explanation.clone()).ok(),
                })
                .collect();
            if inv.open.currency() == currency {
                total = sum(total, inv.open)?;
                for c in &item_charges {
                    if c.amount.currency() == currency {
                        total = sum(total, c.amount)?;
                        charges_total = sum(charges_total, c.amount)?;
                    }
                }
            }
            let checked = i.payment_reference.as_deref().and_then(|r| reference::check(r).ok());
            let epc = transfer_epc(
                o,
                inv.open,
                checked.as_ref(),
                checked
                    .as_ref()
                    .map_or_else(|| i.number.clone(), |r| format!("{} {}", r.normalized, i.number)),
            );
            items.push(PortalItem {
                id: inv.id,
                number: i.number.clone(),
                description: i.description.clone(),
                issue_date: i.issue_date,
                due_date: i.due_date,
                amount: i.amount,
                open: inv.open,
                days_late: i64::from(arflow_core::date::days_between(i.due_date, today)).max(0),
                has_pdf: inv.has_document,
                reference_display: checked.map(|r| r.display()),
                epc,
                charges: item_charges,
                disputed: disputes.iter().any(|d| d.invoice_id == inv.id && d.status == "open"),
            });
        }
        let epc_total = if total.is_positive() {
            let text = format!(
                "{} {}",
                access.debtor.debtor.number,
                items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>().join(" ")
            );
            transfer_epc(o, total, None, text.chars().take(140).collect())
        } else {
            None
        };
        let email = access.debtor.debtor.emails.first().map(|c| c.value.clone());
        Ok(PortalPage {
            organisation: o.name.clone(),
            accent_colour: branding.accent().to_owned(),
            has_logo: branding.logo.is_some(),
            debtor_name: access.debtor.debtor.name.clone(),
            debtor_number: access.debtor.debtor.number.clone(),
            language: access.debtor.debtor.language.as_str().to_owned(),
            today,
            currency,
            items,
            total,
            charges_total,
            iban: o.iban.clone(),
            bic: o.bic.clone(),
            epc_total,
            disputes,
            promise_latest: add_days(
                today,
                i32::try_from(settings.promise.max_days_ahead).unwrap_or(i32::MAX),
            ),
            promise: settings.promise,
            plan_max_instalments: settings.plan.max_instalments,
            plan_min_instalment: settings.plan.min_instalment,
            payment_plan,
            contact_email: email,
        })
    }

    /// The PDF of one of the debtor's own open or settled items.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another debtor's item or one without a PDF.
    pub async fn portal_pdf(
        &self,
        access: &PortalAccess,
        number: &str,
    ) -> Result<Vec<u8>, AppError> {
        let not_found = || AppError::NotFound { entity: "invoice", key: number.to_owned() };
        let mut tx = self.store.read().await?;
        let inv = tx.find_invoice_by_number(access.org.id, number).await?.ok_or_else(not_found)?;
        if inv.debtor_id != access.debtor.id {
            return Err(not_found());
        }
        let (_, _, pdf) =
            tx.find_invoice_document(access.org.id, inv.id).await?.ok_or_else(not_found)?;
        tx.rollback().await?;
        Ok(pdf)
    }

    /// The organisation's logo, for the portal page.
    ///
    /// # Errors
    /// Store errors.
    pub async fn portal_logo(
        &self,
        access: &PortalAccess,
    ) -> Result<arflow_core::brand::Branding, AppError> {
        self.branding(access.org.id).await
    }
}

// ------------------------------------------------------------------------------------ answers

/// What a debtor answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// "I paid already": when, optionally how much and a proof.
    Paid {
        paid_on: Date,
        amount: Option<Money>,
        invoices: Vec<String>,
        note: String,
        proof: Option<Upload>,
    },
    /// "This invoice is wrong": why, in words, optionally with a file.
    Dispute { invoice: String, reason: DisputeReason, text: String, attachment: Option<Upload> },
    /// "I will pay on this date."
    Promise { date: Date, note: String },
    /// A question to the organisation.
    Question { text: String },
    /// New contact details, for a person to check and apply.
    Contact { name: String, email: String, phone: String, note: String },
}

/// Why a debtor disputes an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    NotReceived,
    Quality,
    Price,
    AlreadyCredited,
    Other,
}

impl DisputeReason {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeReason::NotReceived => "not_received",
            DisputeReason::Quality => "quality",
            DisputeReason::Price => "price",
            DisputeReason::AlreadyCredited => "already_credited",
            DisputeReason::Other => "other",
        }
    }

    /// The reason named by `text`.
    #[must_use]
    pub fn parse(text: &str) -> Option<DisputeReason> {
        [
            DisputeReason::NotReceived,
            DisputeReason::Quality,
            DisputeReason::Price,
            DisputeReason::AlreadyCredited,
            DisputeReason::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// What an answer did, for the page that confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub response_id: i64,
    pub kind: String,
    /// Dunning of these items is held until this day (a promise, a payment being checked), or
    /// held until the dispute is resolved (`None` with `disputed`).
    pub held_until: Option<Date>,
    pub disputed: Option<String>,
    /// Where the confirmation went, when the debtor has an e-mail address.
    pub confirmed_to: Option<String>,
}

fn text_field(field: &str, text: &str, required: bool) -> Result<String, AppError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(AppError::invalid(field, "this cannot be empty"));
    }
    if t.chars().count() > TEXT_CHARS_MAX {
        return Err(AppError::invalid(field, format!("at most {TEXT_CHARS_MAX} characters")));
    }
    Ok(t.to_owned())
}

fn check_upload(field: &str, u: Option<Upload>) -> Result<Option<Upload>, AppError> {
    let Some(mut u) = u else { return Ok(None) };
    if u.content.is_empty() {
        return Ok(None);
    }
    if u.content.len() > UPLOAD_BYTES_MAX {
        return Err(AppError::invalid(
            field,
            format!("a file has at most {} MiB", UPLOAD_BYTES_MAX / 1024 / 1024),
        ));
    }
    // Only what a person can open safely: PDF and common images, recognised by their content.
    let kind = if u.content.starts_with(b"%PDF-") {
        "application/pdf"
    } else if u.content.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if u.content.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else {
        return Err(AppError::invalid(field, "only PDF, PNG or JPEG files are accepted"));
    };
    u.content_type = kind.to_owned();
    u.file_name = u
        .file_name
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned();
    if u.file_name.is_empty() {
        u.file_name = "upload".into();
    }
    Ok(Some(u))
}

impl App {
    /// Records a debtor's answer: on the timeline, as a task for the debtor's owner, with its
    /// effect on dunning, and confirmed to the debtor by e-mail (queued in the outbox) — all in
    /// one transaction.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the field of a bad answer (nothing is stored),
    /// [`AppError::Conflict`] for a second open dispute on an invoice.
    pub async fn portal_answer(
        &self,
        access: &PortalAccess,
        answer: Answer,
    ) -> Result<Receipt, AppError> {
        let org = &access.org;
        let today = self.today(&org.organisation);
        let now = self.now();
        let debtor = &access.debtor;
        let number = debtor.debtor.number.clone();
        let mut tx = self.store.begin_write().await?;
        let settings = settings_in(&mut tx, org.id).await?;
        let filter = InvoiceFilter {
            debtor_id: Some(debtor.id),
            status: Some(ItemStatus::Open),
            ..InvoiceFilter::default()
        };
        let open = tx.list_invoices(org.id, &filter, Page::first(500)).await?;
        let own = |n: &str| -> Result<InvoiceId, AppError> {
            open.iter()
                .find(|i| i.invoice.number == n && i.open.is_positive())
                .map(|i| i.id)
                .ok_or_else(|| {
                    AppError::invalid("invoice", format!("{n} is not one of your open invoices"))
                })
        };
        let response_id = tx.reserve_ids(org.id, "portal_response", 1).await?;
        let task_id = tx.reserve_ids(org.id, "task", 1).await?;
        let mut held_until = None;
        let mut disputed = None;
        let (kind, invoice_id, details, attachment, title) = match answer {
            Answer::Question { text } => {
                let text = text_field("text", &text, true)?;
                let title = format!("Question from {number} through the portal: {}", short(&text));
                ("question", None, serde_json::json!({ "text": text }), None, title)
            }
            Answer::Contact { name, email, phone, note } => {
                let (name, email, phone, note) = (
                    text_field("name", &name, false)?,
                    text_field("email", &email, false)?,
                    text_field("phone", &phone, false)?,
                    text_field("note", &note, false)?,
                );
                if name.is_empty() && email.is_empty() && phone.is_empty() && note.is_empty() {
                    return Err(AppError::invalid("email", "give at least one new detail"));
                }
                if !email.is_empty()
                    && (!email.contains('@') || email.contains(char::is_whitespace))
                {
                    return Err(AppError::invalid("email", "this is not an e-mail address"));
                }
                let title = format!(
                    "{number} gave new contact details through the portal: check and apply them"
                );
                (
                    "contact",
                    None,
                    serde_json::json!({ "name": name, "email": email, "phone": phone, "note": note }),
                    None,
                    title,
                )
            }
            Answer::Paid { paid_on, amount, invoices, note, proof } => {
                if paid_on > today {
                    return Err(AppError::invalid(
                        "paid_on",
                        "the date of a payment made cannot be in the future",
                    ));
                }
                if paid_on < add_days(today, -366) {
                    return Err(AppError::invalid("paid_on", "the date is more than a year ago"));
                }
                if let Some(a) = amount
                    && (!a.is_positive() || a.currency() != org.organisation.currency)
                {
                    return Err(AppError::invalid("amount", "give a positive amount"));
                }
                let note = text_field("note", &note, false)?;
                let proof = check_upload("proof", proof)?;
                let mut ids = Vec::new();
                for n in &invoices {
                    ids.push(own(n)?);
                }
                if ids.is_empty() {
                    ids = open.iter().filter(|i| i.open.is_positive()).map(|i| i.id).collect();
                }
                // Dunning of those items waits while someone looks for the payment.
                let until = add_days(today, PAID_CHECK_DAYS);
                for id in &ids {
                    tx.mark_item_outcome(org.id, *id, false, Some(until), now).await?;
                }
                held_until = Some(until);
                let title = format!(
                    "{number} says it paid on {paid_on}{}: find the payment",
                    amount.map(|a| format!(" ({a})")).unwrap_or_default()
                );
                let details = serde_json::json!({
                    "paid_on": paid_on, "amount": amount.map(|a| a.to_string()),
                    "invoices": invoices, "note": note, "held_until": until,
                });
                ("paid", None, details, proof, title)
            }
            Answer::Promise { date, note } => {
                let hold = check_promise(&settings.promise, today, date)
                    .map_err(|e| AppError::invalid("date", e.to_string()))?;
                let note = text_field("note", &note, false)?;
                for inv in open.iter().filter(|i| i.open.is_positive()) {
                    tx.mark_item_outcome(org.id, inv.id, false, Some(hold.hold_until), now).await?;
                }
                held_until = Some(hold.hold_until);
                let title = format!("{number} promises to pay on {date}: check it is paid");
                let details = serde_json::json!({
                    "date": date, "hold_until": hold.hold_until, "note": note,
                    "explanation": hold.explanation,
                });
                ("promise", None, details, None, title)
            }
            Answer::Dispute { invoice, reason, text, attachment } => {
                let id = own(&invoice)?;
                let text = text_field("text", &text, true)?;
                let attachment = check_upload("attachment", attachment)?;
                let dispute_id = tx.reserve_ids(org.id, "dispute", 1).await?;
                tx.insert_dispute(
                    org.id,
                    dispute_id,
                    &NewDispute {
                        invoice_id: id,
                        debtor_id: debtor.id,
                        reason: reason.as_str().to_owned(),
                        text: text.clone(),
                        response_id: Some(response_id),
                        opened_by: "portal".into(),
                    },
                    now,
                )
                .await
                .map_err(|e| match e {
                    arflow_store::StoreError::Conflict { .. } => AppError::Conflict {
                        entity: "dispute",
                        key: invoice.clone(),
                        detail: Some(
                            "this invoice is disputed already; we are looking into it".into(),
                        ),
                    },
                    e => e.into(),
                })?;
                tx.set_item_disputed(org.id, id, true, now).await?;
                disputed = Some(invoice.clone());
                let title = format!(
                    "{number} disputes invoice {invoice} ({}): {}",
                    reason.as_str(),
                    short(&text)
                );
                let details = serde_json::json!({
                    "invoice": invoice, "reason": reason.as_str(), "text": text, "dispute": dispute_id,
                });
                ("dispute", Some(id), details, attachment, title)
            }
        };
        tx.insert_task(
            org.id,
            task_id,
            &NewTask {
                debtor_id: debtor.id,
                action_id: None,
                kind: format!("portal_{kind}"),
                title,
                owner: debtor.debtor.owner.clone(),
                due_on: today,
            },
            now,
        )
        .await?;
        tx.insert_portal_response(
            org.id,
            response_id,
            &NewPortalResponse {
                debtor_id: debtor.id,
                link_id: access.link.id,
                kind: kind.to_owned(),
                invoice_id,
                details: details.clone(),
                attachment,
                task_id: Some(task_id),
            },
            now,
        )
        .await?;
        tx.insert_audit(
            org.id,
            &[debtor_audit(
                now,
                &Actor("portal".into()),
                &format!("portal.{kind}"),
                &number,
                details,
            )],
        )
        .await?;
        // The confirmation, through the outbox like every message (sent once).
        let confirmed_to = debtor.debtor.emails.first().map(|c| c.value.clone());
        if let Some(to) = &confirmed_to {
            let (subject, text) = confirmation(
                debtor.debtor.language,
                &org.organisation.name,
                kind,
                held_until,
                disputed.as_deref(),
            );
            self.queue_notice(
                &mut tx,
                org.id,
                Notice { debtor, to, key: format!("portal-{response_id}"), subject, text },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Receipt { response_id, kind: kind.to_owned(), held_until, disputed, confirmed_to })
    }

    /// A payment plan the debtor proposes: judged by the organisation's rules — within them it
    /// starts at once and holds dunning, beyond them a person decides (a task with the reasons).
    /// Recorded as an answer with its confirmation (the schedule, or that a person will look).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a proposal the rules refuse outright (nothing is stored);
    /// [`AppError::Conflict`] when the debtor has a plan running or waiting already.
    pub async fn portal_plan(
        &self,
        access: &PortalAccess,
        input: &arflow_core::arrangement::ProposalInput,
    ) -> Result<Receipt, AppError> {
        let org = &access.org;
        let debtor = &access.debtor;
        let number = debtor.debtor.number.clone();
        let now = self.now();
        let today = self.today(&org.organisation);
        let lang = debtor.debtor.language;
        // The plan, the answer, the task and the confirmation: all or nothing.
        let mut tx = self.store.begin_write().await?;
        let response_id = tx.reserve_ids(org.id, "portal_response", 1).await?;
        let proposed = self
            .propose_plan_in(
                &mut tx,
                org.id,
                &number,
                input,
                &Actor("portal".into()),
                Some(response_id),
                false,
            )
            .await?;
        let started = matches!(proposed.decision, arflow_core::arrangement::Decision::AutoAccept);
        // A plan that started is news for the owner; one waiting has its task already.
        let task_id = match proposed.task_id {
            Some(t) => t,
            None => {
                let t = tx.reserve_ids(org.id, "task", 1).await?;
                tx.insert_task(
                    org.id,
                    t,
                    &NewTask {
                        debtor_id: debtor.id,
                        action_id: None,
                        kind: "portal_plan".into(),
                        title: format!(
                            "{number} started a payment plan through the portal: {}",
                            proposed.explanation
                        ),
                        owner: debtor.debtor.owner.clone(),
                        due_on: today,
                    },
                    now,
                )
                .await?;
                t
            }
        };
        let schedule: Vec<serde_json::Value> = proposed
            .plan
            .instalments
            .iter()
            .map(|i| serde_json::json!({ "due": i.due, "amount": i.amount.to_string(), "reference": i.reference }))
            .collect();
        let details = serde_json::json!({
            "plan": proposed.plan.id, "started": started, "explanation": proposed.explanation,
            "schedule": schedule,
        });
        tx.insert_portal_response(
            org.id,
            response_id,
            &NewPortalResponse {
                debtor_id: debtor.id,
                link_id: access.link.id,
                kind: "plan".into(),
                invoice_id: None,
                details: details.clone(),
                attachment: None,
                task_id: Some(task_id),
            },
            now,
        )
        .await?;
        tx.insert_audit(
            org.id,
            &[debtor_audit(now, &Actor("portal".into()), "portal.plan", &number, details)],
        )
        .await?;
        let confirmed_to = debtor.debtor.emails.first().map(|c| c.value.clone());
        if let Some(to) = &confirmed_to {
            let lines: Vec<String> = proposed
                .plan
                .instalments
                .iter()
                .map(|i| {
                    format!(
                        "{}  {}  {}",
                        arflow_notify::format::date(i.due, lang),
                        arflow_notify::format::money(i.amount, lang),
                        i.reference_display
                    )
                })
                .collect();
            use arflow_core::party::Language::{De, En, Fr, Nl};
            let head = match (started, lang) {
                (true, Nl) => {
                    "Uw betalingsregeling is ingegaan. Betaal elke termijn met het betalingskenmerk ernaast; zolang u dat doet, sturen we geen herinneringen:"
                }
                (true, Fr) => {
                    "Votre plan de paiement a commencé. Payez chaque échéance avec la communication indiquée ; tant que vous le faites, nous n'envoyons pas de rappel :"
                }
                (true, De) => {
                    "Ihre Ratenzahlung hat begonnen. Zahlen Sie jede Rate mit dem angegebenen Verwendungszweck; solange Sie das tun, senden wir keine Mahnungen:"
                }
                (true, En) => {
                    "Your payment plan has started. Pay each instalment with the reference next to it; as long as you do, we send no reminders:"
                }
                (false, Nl) => {
                    "We hebben uw voorstel voor een betalingsregeling ontvangen. Een medewerker bekijkt het en laat u weten of het zo kan. Uw voorstel:"
                }
                (false, Fr) => {
                    "Nous avons bien reçu votre proposition de plan de paiement. Un collaborateur l'examine et vous répondra. Votre proposition :"
                }
                (false, De) => {
                    "Wir haben Ihren Vorschlag für eine Ratenzahlung erhalten. Ein Mitarbeiter prüft ihn und meldet sich bei Ihnen. Ihr Vorschlag:"
                }
                (false, En) => {
                    "We have received your proposal for a payment plan. Someone will look at it and let you know. Your proposal:"
                }
            };
            let (subject, regards) = match lang {
                Nl => (
                    format!("Uw betalingsregeling met {}", org.organisation.name),
                    "Met vriendelijke groet,",
                ),
                Fr => (
                    format!("Votre plan de paiement avec {}", org.organisation.name),
                    "Meilleures salutations,",
                ),
                De => (
                    format!("Ihre Ratenzahlung mit {}", org.organisation.name),
                    "Mit freundlichen Grüßen",
                ),
                En => {
                    (format!("Your payment plan with {}", org.organisation.name), "Kind regards,")
                }
            };
            let text =
                format!("{head}\n\n{}\n\n{regards}\n{}", lines.join("\n"), org.organisation.name);
            self.queue_notice(
                &mut tx,
                org.id,
                Notice { debtor, to, key: format!("portal-{response_id}"), subject, text },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Receipt {
            response_id,
            kind: "plan".into(),
            held_until: None,
            disputed: None,
            confirmed_to,
        })
    }

    /// Resolves an open dispute: `credit_note` (a credit note settles it), `upheld` (the invoice
    /// stands: dunning of it resumes) or `rejected` (the dispute had no ground: dunning resumes).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another organisation's dispute; [`AppError::Invalid`] for an
    /// unknown resolution or a dispute resolved already.
    pub async fn resolve_dispute(
        &self,
        org: OrganisationId,
        id: i64,
        resolution: &str,
        note: &str,
        actor: &Actor,
    ) -> Result<StoredDispute, AppError> {
        if !matches!(resolution, "credit_note" | "upheld" | "rejected") {
            return Err(AppError::invalid("resolution", "credit_note, upheld or rejected"));
        }
        let note = text_field("note", note, false)?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let dispute = tx.get_dispute(org, id).await?;
        let note_opt = (!note.is_empty()).then_some(note.as_str());
        if !tx.resolve_dispute(org, id, resolution, note_opt, &actor.0, now).await? {
            return Err(AppError::invalid("dispute", "this dispute is resolved already"));
        }
        tx.set_item_disputed(org, dispute.invoice_id, false, now).await?;
        let debtor = tx.get_debtor(org, dispute.debtor_id).await?;
        tx.insert_audit(
            org,
            &[debtor_audit(
                now,
                actor,
                "dispute.resolve",
                &debtor.debtor.number,
                serde_json::json!({ "dispute": id, "invoice": dispute.invoice_number, "resolution": resolution, "note": note }),
            )],
        )
        .await?;
        let resolved = tx.get_dispute(org, id).await?;
        tx.commit().await?;
        Ok(resolved)
    }

    /// Debtor `number`'s disputes, open ones first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn disputes(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Vec<StoredDispute>, AppError> {
        let mut tx = self.store.read().await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let list = tx.disputes_of(org, debtor.id).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The number of debtor `id`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another organisation's debtor.
    pub async fn debtor_number(
        &self,
        org: OrganisationId,
        id: DebtorId,
    ) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let d = tx.get_debtor(org, id).await?;
        tx.rollback().await?;
        Ok(d.debtor.number)
    }

    /// Debtor `number`'s answers through the portal, newest first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown debtor.
    pub async fn portal_responses(
        &self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Vec<arflow_store::StoredPortalResponse>, AppError> {
        let mut tx = self.store.read().await?;
        let debtor = find_debtor(&mut tx, org, number).await?;
        let list = tx.portal_responses_of(org, debtor.id, 200).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The file a debtor uploaded with answer `id`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when there is none in this organisation.
    pub async fn portal_upload(&self, org: OrganisationId, id: i64) -> Result<Upload, AppError> {
        let mut tx = self.store.read().await?;
        let file = tx.portal_response_file(org, id).await?;
        tx.rollback().await?;
        file.ok_or(AppError::NotFound { entity: "upload", key: id.to_string() })
    }
}

/// A message outside the dunning steps (a confirmation, a plan reminder) for the outbox: plain
/// text in the debtor's language, its HTML the same paragraphs in the organisation's branded
/// layout. `key` makes its `Message-ID`, which the store keeps unique: one key, one message.
pub(crate) struct Notice<'a> {
    pub debtor: &'a StoredDebtor,
    pub to: &'a str,
    pub key: String,
    pub subject: String,
    pub text: String,
}

impl Notice<'_> {
    /// The `Message-ID` of the notice with key `key` of organisation `org`.
    pub(crate) fn message_id(org: OrganisationId, key: &str) -> String {
        format!("<{key}-{}@arflow.invalid>", org.0)
    }
}

impl App {
    /// Puts `notice` in the outbox in `tx` (the delivery loop sends it once); returns its id.
    pub(crate) async fn queue_notice(
        &self,
        tx: &mut StoreTx,
        org: OrganisationId,
        notice: Notice<'_>,
        now: i64,
    ) -> Result<i64, AppError> {
        let branding = tx.branding(org).await?;
        let lang = notice.debtor.debtor.language;
        let html = self
            .templates()
            .notice_html(&notice.subject, lang, branding.accent(), &notice.text)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        let id = tx.reserve_ids(org, "message", 1).await?;
        tx.insert_message(
            org,
            id,
            &NewMessage {
                action_id: 0,
                debtor_id: notice.debtor.id,
                channel: "email".into(),
                recipient: notice.to.to_owned(),
                subject: notice.subject,
                text_body: notice.text,
                html_body: html,
                language: lang.as_str().to_owned(),
                message_id: Notice::message_id(org, &notice.key),
                attachments: Vec::new(),
            },
            MessageStatus::Planned,
            now,
        )
        .await?;
        Ok(id)
    }
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The confirmation e-mail of an answer, in the debtor's language.
fn confirmation(
    lang: arflow_core::party::Language,
    organisation: &str,
    kind: &str,
    held_until: Option<Date>,
    disputed: Option<&str>,
) -> (String, String) {
    use arflow_core::party::Language::{De, En, Fr, Nl};
    let what = match (kind, lang) {
        ("question", Nl) => {
            "We hebben uw vraag ontvangen en antwoorden zo snel mogelijk.".to_owned()
        }
        ("question", Fr) => {
            "Nous avons bien reçu votre question et y répondrons dès que possible.".to_owned()
        }
        ("question", De) => {
            "Wir haben Ihre Frage erhalten und antworten so bald wie möglich.".to_owned()
        }
        ("question", En) => {
            "We have received your question and will answer as soon as we can.".to_owned()
        }
        ("contact", Nl) => {
            "We hebben uw nieuwe contactgegevens ontvangen; een medewerker past ze aan.".to_owned()
        }
        ("contact", Fr) => {
            "Nous avons bien reçu vos nouvelles coordonnées ; un collaborateur les mettra à jour."
                .to_owned()
        }
        ("contact", De) => {
            "Wir haben Ihre neuen Kontaktdaten erhalten; ein Mitarbeiter trägt sie ein.".to_owned()
        }
        ("contact", En) => {
            "We have received your new contact details; someone will update them.".to_owned()
        }
        ("dispute", l) => {
            let inv = disputed.unwrap_or_default();
            match l {
                Nl => format!(
                    "We hebben uw bezwaar tegen factuur {inv} ontvangen. Zolang we het onderzoeken, sturen we voor deze factuur geen herinneringen."
                ),
                Fr => format!(
                    "Nous avons bien reçu votre contestation de la facture {inv}. Tant que nous l'examinons, nous n'envoyons pas de rappel pour cette facture."
                ),
                De => format!(
                    "Wir haben Ihren Einwand gegen die Rechnung {inv} erhalten. Solange wir ihn prüfen, senden wir für diese Rechnung keine Mahnungen."
                ),
                En => format!(
                    "We have received your dispute of invoice {inv}. While we look into it, we send no reminders for this invoice."
                ),
            }
        }
        (k, l) => {
            let until = held_until.map(|d| d.to_string()).unwrap_or_default();
            match (k, l) {
                ("promise", Nl) => format!(
                    "Dank u voor uw betaalbelofte. Tot en met {until} sturen we geen herinneringen."
                ),
                ("promise", Fr) => format!(
                    "Merci pour votre promesse de paiement. Jusqu'au {until} inclus, nous n'envoyons pas de rappel."
                ),
                ("promise", De) => format!(
                    "Vielen Dank für Ihre Zahlungszusage. Bis einschließlich {until} senden wir keine Mahnungen."
                ),
                ("promise", _) => format!(
                    "Thank you for your promise to pay. Until {until} we send no reminders."
                ),
                (_, Nl) => format!(
                    "Dank u voor uw bericht dat u al betaald hebt. We zoeken de betaling op; tot en met {until} sturen we geen herinneringen."
                ),
                (_, Fr) => format!(
                    "Merci de nous avoir signalé votre paiement. Nous le recherchons ; jusqu'au {until} inclus, nous n'envoyons pas de rappel."
                ),
                (_, De) => format!(
                    "Vielen Dank für Ihre Nachricht, dass Sie bereits bezahlt haben. Wir suchen die Zahlung; bis einschließlich {until} senden wir keine Mahnungen."
                ),
                (_, En) => format!(
                    "Thank you for telling us you have paid. We are looking for the payment; until {until} we send no reminders."
                ),
            }
        }
    };
    let subject = match lang {
        Nl => format!("Uw bericht aan {organisation} is ontvangen"),
        Fr => format!("Votre message à {organisation} a bien été reçu"),
        De => format!("Ihre Nachricht an {organisation} ist eingegangen"),
        En => format!("Your message to {organisation} has been received"),
    };
    let regards = match lang {
        Nl => "Met vriendelijke groet,",
        Fr => "Meilleures salutations,",
        De => "Mit freundlichen Grüßen",
        En => "Kind regards,",
    };
    (subject, format!("{what}\n\n{regards}\n{organisation}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Test case 6: a key longer than the block is hashed first.
        let key = [0xaau8; 131];
        let mac = hmac_sha256(&key, &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(hex(&mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn a_token_opens_only_with_its_key_and_every_character_counts() {
        let key = [7u8; 32];
        let nonce = "00112233445566778899aabbccddeeff";
        let token = token_of(&key, nonce).unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(verified_nonce(&key, &token).as_deref(), Some(nonce));
        assert_eq!(verified_nonce(&[8u8; 32], &token), None, "another installation's key");
        for i in 0..token.len() {
            let mut t: Vec<char> = token.chars().collect();
            t[i] = if t[i] == '0' { '1' } else { '0' };
            let t: String = t.into_iter().collect();
            assert_eq!(verified_nonce(&key, &t), None, "changed at {i}");
        }
        for bad in
            ["", "zz", &token[..63], &format!("{token}0"), &token.to_uppercase().replace('A', "g")]
        {
            assert_eq!(verified_nonce(&key, bad), None, "{bad}");
        }
        assert_eq!(redact(&token), format!("{}…", &token[..6]));
    }

    #[test]
    fn uploads_are_recognised_by_their_content() {
        let up = |name: &str, content: &[u8]| {
            check_upload(
                "f",
                Some(Upload {
                    file_name: name.into(),
                    content_type: "text/html".into(),
                    content: content.to_vec(),
                }),
            )
        };
        let pdf = up("bewijs <script>.pdf", b"%PDF-1.7 ...").unwrap().unwrap();
        assert_eq!(
            (pdf.file_name.as_str(), pdf.content_type.as_str()),
            ("bewijs script.pdf", "application/pdf")
        );
        assert_eq!(up("a.png", b"\x89PNG\r\n\x1a\n..").unwrap().unwrap().content_type, "image/png");
        assert!(up("a.html", b"<html>").is_err());
        assert!(up("none", b"").unwrap().is_none());
        assert!(up("big.pdf", &vec![b'%'; UPLOAD_BYTES_MAX + 1]).is_err());
    }
}
