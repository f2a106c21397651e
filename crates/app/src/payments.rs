//! Paying online from the portal through a payment provider: the provider interface, its Mollie
//! implementation (Payments API v2: `POST /v2/payments`, `GET /v2/payments/{id}`, a webhook that
//! names the payment), and the use cases — start a payment for one item or all open items, and
//! take the provider's word (read back from the provider, never from the webhook's body) that it
//! was paid: the money becomes a payment of the ledger, allocated to those items, once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use arflow_core::id::PaymentId;
use arflow_core::ledger::{Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_store::{InvoiceFilter, ItemStatus, OnlinePayment, Page};
use serde::Deserialize;

use crate::ledger::AllocateFrom;
use crate::portal::PortalAccess;
use crate::{Actor, App, AppError};

/// A boxed future of the provider interface.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// Why the provider could not be reached or refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the payment provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the payment provider refused ({status}): {detail}")]
    Refused { status: u16, detail: String },
    #[error("the payment provider's answer is not understood: {0}")]
    Answer(String),
}

/// What to ask the provider for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub amount: Money,
    pub description: String,
    /// Where the debtor comes back to.
    pub redirect_url: String,
    /// Where the provider tells arflow that the payment changed.
    pub webhook_url: String,
    /// `ideal`, `bancontact`, `creditcard`; `None` lets the debtor choose.
    pub method: Option<String>,
    /// `nl_NL`, `fr_BE`, …
    pub locale: Option<String>,
    /// arflow's own id of the payment (metadata).
    pub reference: String,
}

/// The provider's payment, as far as arflow needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub id: String,
    /// `open`, `pending`, `authorized`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    pub amount: Money,
    pub method: Option<String>,
    /// Where to send the debtor to pay (present while the payment is open).
    pub checkout_url: Option<String>,
}

/// A payment provider.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// `mollie`, …: stored with each payment.
    fn name(&self) -> &'static str;
    /// Creates a payment; the debtor is then sent to its checkout URL.
    fn create<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, ProviderPayment>;
    /// Reads a payment back.
    fn fetch<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, ProviderPayment>;
    /// The origin of its checkout pages (`https://www.mollie.com`): the portal's forms may lead
    /// there and nowhere else.
    fn checkout_origin(&self) -> String;
}

/// The methods the portal offers.
pub const METHODS: [&str; 3] = ["ideal", "bancontact", "creditcard"];

// ---------------------------------------------------------------------------------- Mollie

/// Mollie's Payments API v2 (<https://docs.mollie.com/reference/v2/payments-api>).
pub struct Mollie {
    /// `https://api.mollie.com` (a local fake in tests).
    api: String,
    key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Mollie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mollie").field("api", &self.api).field("key", &"…").finish()
    }
}

/// Makes ring the process's rustls crypto provider (once; a provider installed before is kept).
/// Every HTTP client of the process needs one: reqwest is built without a provider of its own,
/// so that ring (which lettre already brings) is the only crypto library.
pub fn install_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The TLS configuration of outgoing HTTPS: rustls on ring with Mozilla's roots.
fn tls() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_or_else(
            |_| {
                rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            },
            |b| b.with_root_certificates(roots).with_no_client_auth(),
        )
}

impl Mollie {
    /// A client of the API at `api` (`https://api.mollie.com`) with the key `key`
    /// (`live_…` or `test_…`).
    ///
    /// # Errors
    /// [`ProviderError::Unreachable`] when the HTTP client cannot be made.
    pub fn new(api: &str, key: &str) -> Result<Mollie, ProviderError> {
        install_tls();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        Ok(Mollie { api: api.trim_end_matches('/').to_owned(), key: key.to_owned(), http })
    }

    async fn answer(response: reqwest::Response) -> Result<ProviderPayment, ProviderError> {
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            // Mollie's errors are JSON with a `detail`.
            let detail = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
                .unwrap_or_else(|| body.chars().take(200).collect());
            return Err(ProviderError::Refused { status, detail });
        }
        let p: MolliePayment =
            serde_json::from_str(&body).map_err(|e| ProviderError::Answer(e.to_string()))?;
        let currency = Currency::parse(&p.amount.currency)
            .map_err(|e| ProviderError::Answer(format!("currency: {e}")))?;
        let amount = Money::parse(&p.amount.value, currency)
            .map_err(|e| ProviderError::Answer(format!("amount: {e}")))?;
        Ok(ProviderPayment {
            id: p.id,
            status: p.status,
            amount,
            method: p.method,
            checkout_url: p.links.and_then(|l| l.checkout).map(|c| c.href),
        })
    }
}

#[derive(Deserialize)]
struct MollieAmount {
    currency: String,
    value: String,
}

#[derive(Deserialize)]
struct MollieHref {
    href: String,
}

#[derive(Deserialize)]
struct MollieLinks {
    checkout: Option<MollieHref>,
}

#[derive(Deserialize)]
struct MolliePayment {
    id: String,
    status: String,
    amount: MollieAmount,
    method: Option<String>,
    #[serde(rename = "_links")]
    links: Option<MollieLinks>,
}

impl PaymentProvider for Mollie {
    fn name(&self) -> &'static str {
        "mollie"
    }

    fn checkout_origin(&self) -> String {
        if self.api == "https://api.mollie.com" {
            return "https://www.mollie.com".to_owned();
        }
        // Another address (a stand-in): its checkout is on the same origin.
        let after_scheme = self.api.find("://").map_or(0, |i| i + 3);
        let end = self.api[after_scheme..].find('/').map_or(self.api.len(), |i| i + after_scheme);
        self.api[..end].to_owned()
    }

    fn create<'a>(&'a self, r: &'a CheckoutRequest) -> ProviderFuture<'a, ProviderPayment> {
        Box::pin(async move {
            let mut body = serde_json::json!({
                "amount": { "currency": r.amount.currency().code(), "value": r.amount.to_string() },
                "description": r.description,
                "redirectUrl": r.redirect_url,
                "webhookUrl": r.webhook_url,
                "metadata": { "arflow": r.reference },
            });
            if let Some(m) = &r.method {
                body["method"] = serde_json::Value::from(m.as_str());
            }
            if let Some(l) = &r.locale {
                body["locale"] = serde_json::Value::from(l.as_str());
            }
            let response = self
                .http
                .post(format!("{}/v2/payments", self.api))
                .bearer_auth(&self.key)
                .json(&body)
                .send()
                .await
                .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
            Mollie::answer(response).await
        })
    }

    fn fetch<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, ProviderPayment> {
        Box::pin(async move {
            if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || id.is_empty() {
                return Err(ProviderError::Answer(format!("'{id}' is not a payment id")));
            }
            let response = self
                .http
                .get(format!("{}/v2/payments/{id}", self.api))
                .bearer_auth(&self.key)
                .send()
                .await
                .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
            Mollie::answer(response).await
        })
    }
}

// ---------------------------------------------------------------------------------- use cases

fn provider_failed(e: &ProviderError) -> AppError {
    AppError::Invalid { field: Some("provider".into()), message: e.to_string() }
}

impl App {
    /// Starts an online payment of the debtor's open invoices `numbers` (one, several, or all of
    /// them when `numbers` is empty); returns the provider's checkout URL to send the debtor to.
    ///
    /// # Errors
    /// [`AppError::Invalid`] when online payment is not set up, an invoice is not one of the
    /// debtor's open ones, nothing is open, or the provider refuses.
    pub async fn start_online_payment(
        &self,
        access: &PortalAccess,
        numbers: &[&str],
        method: Option<&str>,
        token: &str,
    ) -> Result<String, AppError> {
        let provider = self.payments.clone().ok_or_else(|| {
            AppError::invalid("provider", "online payment is not set up for this organisation")
        })?;
        let base = self
            .public_url
            .clone()
            .ok_or_else(|| AppError::invalid("provider", "arflow's public address is not set"))?;
        if let Some(m) = method
            && !METHODS.contains(&m)
        {
            return Err(AppError::invalid("method", "ideal, bancontact or creditcard"));
        }
        let org = &access.org;
        let currency = org.organisation.currency;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let filter = InvoiceFilter {
            debtor_id: Some(access.debtor.id),
            status: Some(ItemStatus::Open),
            ..InvoiceFilter::default()
        };
        let mut open: Vec<_> = tx
            .list_invoices(org.id, &filter, Page::first(500))
            .await?
            .into_iter()
            .filter(|i| i.open.is_positive() && i.open.currency() == currency)
            .filter(|i| numbers.is_empty() || numbers.contains(&i.invoice.number.as_str()))
            .collect();
        if let Some(n) = numbers.iter().find(|n| !open.iter().any(|i| i.invoice.number == **n)) {
            return Err(AppError::invalid(
                "invoice",
                format!("{n} is not one of your open invoices"),
            ));
        }
        if open.is_empty() {
            return Err(AppError::invalid("invoice", "there is nothing open to pay"));
        }
        open.sort_by_key(|i| (i.invoice.due_date, i.id.0));
        let mut amount = Money::zero(currency);
        for i in &open {
            amount = amount
                .checked_add(i.open)
                .map_err(|e| AppError::invalid("amount", e.to_string()))?;
        }
        let id = tx.reserve_ids(org.id, "online_payment", 1).await?;
        tx.insert_online_payment(
            org.id,
            &OnlinePayment {
                id,
                debtor_id: access.debtor.id,
                link_id: access.link.id,
                provider: provider.name().to_owned(),
                provider_id: None,
                method: method.map(str::to_owned),
                amount,
                invoices: open.iter().map(|i| i.id).collect(),
                status: "open".into(),
                payment_id: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        tx.commit().await?;
        let numbers: Vec<&str> = open.iter().map(|i| i.invoice.number.as_str()).collect();
        let locale = match access.debtor.debtor.language {
            arflow_core::party::Language::Nl => "nl_NL",
            arflow_core::party::Language::Fr => "fr_BE",
            arflow_core::party::Language::De => "de_DE",
            arflow_core::party::Language::En => "en_US",
        };
        let request = CheckoutRequest {
            amount,
            description: format!("{} {}", org.organisation.name, numbers.join(" "))
                .chars()
                .take(255)
                .collect(),
            redirect_url: format!("{base}/p/{token}?paid={id}"),
            webhook_url: format!("{base}/webhooks/{}", provider.name()),
            method: method.map(str::to_owned),
            locale: Some(locale.to_owned()),
            reference: format!("{}-{id}", org.id.0),
        };
        let made = provider.create(&request).await.map_err(|e| provider_failed(&e))?;
        let checkout = made
            .checkout_url
            .clone()
            .ok_or_else(|| provider_failed(&ProviderError::Answer("no checkout link".into())))?;
        let mut tx = self.store.begin_write().await?;
        tx.set_online_provider_id(org.id, id, &made.id, self.now()).await?;
        tx.commit().await?;
        Ok(checkout)
    }

    /// The provider says payment `provider_id` changed: read it back from the provider and, once
    /// it is paid, record the money and allocate it to its invoices (oldest due first). Safe to
    /// repeat: a payment is recorded and allocated once. An id arflow did not make is ignored.
    ///
    /// # Errors
    /// [`AppError::Invalid`] when the provider cannot be reached (the provider retries).
    pub async fn payment_webhook(
        &self,
        provider_name: &str,
        provider_id: &str,
    ) -> Result<(), AppError> {
        let Some(provider) = self.payments.clone().filter(|p| p.name() == provider_name) else {
            return Ok(());
        };
        let mut tx = self.store.read().await?;
        let found = tx.find_online_payment(provider_name, provider_id).await?;
        tx.rollback().await?;
        let Some((org_id, online)) = found else { return Ok(()) };
        let p = provider.fetch(provider_id).await.map_err(|e| provider_failed(&e))?;
        let now = self.now();
        if p.status != "paid" {
            let mut tx = self.store.begin_write().await?;
            tx.set_online_status(org_id, online.id, &p.status, p.method.as_deref(), None, now)
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        if p.amount != online.amount {
            tracing::warn!(
                provider_id,
                "the provider's amount differs from the one asked; recorded as paid"
            );
        }
        let org = self.organisation(org_id).await?;
        let today = self.today(&org.organisation);
        let actor = Actor(format!("{provider_name}:webhook"));
        let mut tx = self.store.read().await?;
        let debtor = tx.get_debtor(org_id, online.debtor_id).await?;
        let mut invoices = Vec::new();
        for id in &online.invoices {
            invoices.push(tx.get_invoice(org_id, *id).await?);
        }
        tx.rollback().await?;
        let payment = Payment {
            date: today,
            amount: p.amount,
            reference: Some(format!("{provider_name} {provider_id}")),
            counterparty_iban: None,
            counterparty_name: Some(debtor.debtor.name.clone()),
            source: PaymentSource::Portal,
            invoice_number: None,
            external_id: format!("{provider_name}:{provider_id}"),
        };
        let (view, _) = self.create_payment(org_id, payment, &actor).await?;
        let payment_id: PaymentId = view.payment.id;
        // What the payment did not cover yet, invoice by invoice (a repeated webhook finds
        // nothing left to do).
        for inv in &invoices {
            let current = self.payment_view(org_id, payment_id).await?;
            if !current.payment.unapplied.is_positive() {
                break;
            }
            let mut tx = self.store.read().await?;
            let fresh = tx.get_invoice(org_id, inv.id).await?;
            tx.rollback().await?;
            if !fresh.open.is_positive() {
                continue;
            }
            self.allocate(
                org_id,
                &fresh.invoice.number,
                AllocateFrom::Payment(payment_id),
                None,
                &actor,
            )
            .await?;
        }
        let mut tx = self.store.begin_write().await?;
        tx.set_online_status(org_id, online.id, "paid", p.method.as_deref(), Some(payment_id), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One of the debtor's own online payments (for the page the provider sends it back to).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another debtor's payment.
    pub async fn online_payment(
        &self,
        access: &PortalAccess,
        id: i64,
    ) -> Result<OnlinePayment, AppError> {
        let mut tx = self.store.read().await?;
        let p = tx.get_online_payment(access.org.id, id).await?;
        tx.rollback().await?;
        if p.debtor_id != access.debtor.id {
            return Err(AppError::NotFound { entity: "online_payment", key: id.to_string() });
        }
        Ok(p)
    }

    /// The origin of the payment provider's checkout, when online payment is set up.
    #[must_use]
    pub fn checkout_origin(&self) -> Option<String> {
        self.payments.as_ref().map(|p| p.checkout_origin())
    }

    /// Whether online payment is set up.
    #[must_use]
    pub fn pays_online(&self) -> bool {
        self.payments.is_some()
    }

    /// Online payment through `provider` (`None`: the portal offers bank transfer only).
    #[must_use]
    pub fn with_payments(mut self, provider: Option<Arc<dyn PaymentProvider>>) -> App {
        self.payments = provider;
        self
    }
}
