//! Reconciliation: which open items an incoming bank credit pays, how sure we are, and why.
//!
//! Pure matching over a [`Book`] of open items and what is known of the debtors. The rules run in
//! order of strength and the first that finds something decides the proposals:
//!
//! 1. **structured reference**: the payer quoted an invoice's payment reference (OGM, RF,
//!    betalingskenmerk); the strongest signal, since its check digits rule out typing errors;
//! 2. **plan instalment**: the payer quoted the payment reference of an instalment of a payment
//!    plan ([`BookInstalment`]); the money goes to the plan's open invoices, oldest due date
//!    first ([`spread_over_plan`]), and what is left is unapplied credit of the plan's debtor;
//! 3. **invoice numbers**: invoice numbers written as whole tokens in the remittance text (never
//!    a substring: invoice `1234` is not found in `12345` nor in `A-1234`);
//! 4. **known IBAN**: the account paid from before for exactly one debtor, with an amount that
//!    fits one item, the whole balance, or a bounded subset of the oldest items;
//! 5. **name**: the payer's name is close to one debtor's, with an amount that fits; never
//!    certain enough to allocate without a person.
//!
//! Every [`Proposal`] carries a confidence (0–100) and an explanation in plain words: in English
//! as text, and sentence by sentence with its data ([`Said`]) so that [`Proposal::explain`] writes
//! it in Dutch or French as well. The caller allocates automatically only from
//! [`Settings::auto_threshold`] up; the rest waits for review.
//! A difference up to [`Settings::tolerance_minor`] (bank costs deducted by the payer's bank) still
//! counts as a fit; the difference stays open on the last item and the explanation says so.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::date::Date;
use crate::fasthash::FastMap;
use crate::id::{DebtorId, InvoiceId};
use crate::money::{Currency, Money};
use crate::party::Language;

mod said;
pub use said::{Said, render};

/// Knobs of the matcher; an organisation may change them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Proposals at or above this confidence are allocated without a person.
    pub auto_threshold: u8,
    /// A payment this much below (or above) what it fits still fits, in minor units.
    pub tolerance_minor: i64,
    /// Subset search looks at this many of a debtor's oldest open items at most.
    pub subset_items_max: usize,
    /// Subset search combines at most this many items.
    pub subset_len_max: usize,
    /// Name similarity (0–100) below which a name is not considered at all.
    pub name_similarity_min: u8,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            auto_threshold: 90,
            tolerance_minor: 0,
            subset_items_max: 16,
            subset_len_max: 5,
            name_similarity_min: 75,
        }
    }
}

/// An item that can receive money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookItem {
    pub id: InvoiceId,
    pub debtor: DebtorId,
    pub number: String,
    /// Normalised payment reference, when the invoice has one.
    pub reference: Option<String>,
    pub open_minor: i64,
    pub currency: Currency,
    pub due_date: Date,
}

/// What is known of a debtor for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookDebtor {
    pub id: DebtorId,
    pub name: String,
    /// IBANs in electronic form.
    pub ibans: Vec<String>,
}

/// An instalment of a payment plan, as the rules see it: its own payment reference, where it
/// stands in the plan, and the plan's invoices (which must be in the book to receive money).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookInstalment {
    /// Normalised payment reference of the instalment.
    pub reference: String,
    pub plan_id: i64,
    /// The plan's debtor: the payment is theirs even when nothing of the plan is open any more.
    pub debtor: DebtorId,
    /// 0-based position of the instalment in the plan.
    pub position: u32,
    /// How many instalments the plan has.
    pub instalments: u32,
    pub due_date: Date,
    pub amount: Money,
    /// The plan's invoices.
    pub items: Vec<InvoiceId>,
}

/// An open invoice of a payment plan, for [`spread_over_plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanInvoice {
    pub id: InvoiceId,
    pub due_date: Date,
    pub open_minor: i64,
}

/// Spreads a payment to a payment plan over the plan's invoices the way the `plan_instalment`
/// rule does: oldest due date first, then lowest id, each up to what is open on it (invoices
/// with nothing open are skipped). Returns the allocations in that order and what is left of
/// `amount_minor` (unapplied credit).
///
/// # Examples
/// ```
/// use arflow_core::date::parse_iso_date;
/// use arflow_core::id::InvoiceId;
/// use arflow_core::reconcile::{PlanInvoice, spread_over_plan};
/// let inv = |id, due: &str, open_minor| PlanInvoice {
///     id: InvoiceId(id),
///     due_date: parse_iso_date(due).unwrap(),
///     open_minor,
/// };
/// let plan = [inv(2, "2026-02-28", 200_00), inv(1, "2026-01-31", 100_00)];
/// let (allocations, left) = spread_over_plan(&plan, 150_00);
/// assert_eq!(allocations, vec![(InvoiceId(1), 100_00), (InvoiceId(2), 50_00)]);
/// assert_eq!(left, 0);
/// ```
#[must_use]
pub fn spread_over_plan(
    invoices: &[PlanInvoice],
    amount_minor: i64,
) -> (Vec<(InvoiceId, i64)>, i64) {
    let mut sorted: Vec<&PlanInvoice> = invoices.iter().filter(|i| i.open_minor > 0).collect();
    sorted.sort_by_key(|i| (i.due_date, i.id));
    spread(sorted.iter().map(|i| (i.id, i.open_minor)), amount_minor)
}

/// Gives each `(item, open)` in turn as much of `amount` as is open on it, until nothing is left;
/// returns the allocations and the rest.
fn spread(
    items: impl Iterator<Item = (InvoiceId, i64)>,
    amount: i64,
) -> (Vec<(InvoiceId, i64)>, i64) {
    let mut left = amount;
    let mut allocations = Vec::new();
    for (id, open) in items {
        if left <= 0 {
            break;
        }
        let take = left.min(open);
        allocations.push((id, take));
        left -= take;
    }
    (allocations, left.max(0))
}

/// Open items and debtors, indexed for the rules. Allocations made while matching a batch are
/// applied with [`Book::apply`], so two payments never both settle the same open amount.
#[derive(Debug, Clone, Default)]
pub struct Book {
    items: Vec<BookItem>,
    by_reference: FastMap<String, Hits>,
    by_number: FastMap<String, Hits>,
    by_debtor: FastMap<DebtorId, Vec<usize>>,
    by_iban: HashMap<String, Vec<DebtorId>>,
    names: HashMap<DebtorId, NameKey>,
    by_name_token: HashMap<String, Vec<DebtorId>>,
    by_id: FastMap<InvoiceId, usize>,
    by_instalment: FastMap<String, BookInstalment>,
}

/// The items under one key of an index: nearly always one, which needs no list of its own.
#[derive(Debug, Clone)]
enum Hits {
    One(usize),
    Many(Vec<usize>),
}

impl Hits {
    fn as_slice(&self) -> &[usize] {
        match self {
            Hits::One(i) => std::slice::from_ref(i),
            Hits::Many(list) => list,
        }
    }

    /// Adds `index` under `key` of `map`.
    fn add(map: &mut FastMap<String, Hits>, key: String, index: usize) {
        match map.entry(key) {
            Entry::Occupied(mut e) => match e.get_mut() {
                Hits::One(first) => {
                    let first = *first;
                    e.insert(Hits::Many(vec![first, index]));
                }
                Hits::Many(list) => list.push(index),
            },
            Entry::Vacant(e) => {
                e.insert(Hits::One(index));
            }
        }
    }
}

/// Why an item was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Reference,
    PlanInstalment,
    InvoiceNumber,
    Iban,
    Name,
}

impl Rule {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Reference => "reference",
            Rule::PlanInstalment => "plan_instalment",
            Rule::InvoiceNumber => "invoice_number",
            Rule::Iban => "iban",
            Rule::Name => "name",
        }
    }
}

/// One way to settle an incoming payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub rule: Rule,
    pub confidence: u8,
    pub debtor: Option<DebtorId>,
    /// Item and amount in minor units, oldest item first.
    pub allocations: Vec<(InvoiceId, i64)>,
    /// What is left of the payment after the allocations (over-payment), in minor units.
    pub unapplied_minor: i64,
    /// What stays open on the chosen items because the payment was short within the tolerance.
    pub short_minor: i64,
    /// The explanation in English, as stored and returned by the API.
    pub explanation: String,
    /// The same explanation sentence by sentence, with its data, to write it in another language
    /// ([`Proposal::explain`]). Empty on proposals stored before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub said: Vec<Said>,
}

impl Proposal {
    /// The explanation in `lang`; the stored English text when the sentences are not known.
    #[must_use]
    pub fn explain(&self, lang: Language) -> String {
        if self.said.is_empty() { self.explanation.clone() } else { render(&self.said, lang) }
    }
}

/// An incoming credit as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Positive.
    pub amount: Money,
    /// A validated structured reference, normalised.
    pub reference: Option<&'a str>,
    pub remittance: &'a str,
    pub counterparty_iban: Option<&'a str>,
    pub counterparty_name: Option<&'a str>,
}

impl Book {
    /// Indexes `items` (only positive open amounts are kept) and `debtors`.
    #[must_use]
    pub fn new(items: Vec<BookItem>, debtors: Vec<BookDebtor>) -> Book {
        let mut book = Book::default();
        for debtor in debtors {
            for iban in &debtor.ibans {
                let list = book.by_iban.entry(iban.clone()).or_default();
                if !list.contains(&debtor.id) {
                    list.push(debtor.id);
                }
            }
            let key = NameKey::new(&debtor.name);
            for token in &key.tokens {
                if token.len() > 1 {
                    book.by_name_token.entry(token.clone()).or_default().push(debtor.id);
                }
            }
            book.names.insert(debtor.id, key);
        }
        book.add_items(items);
        book
    }

    /// Adds open items (only positive open amounts are kept; an item known already is skipped),
    /// so a batch can load just the items its entries can point to.
    pub fn add_items(&mut self, items: Vec<BookItem>) {
        let mut touched: Vec<DebtorId> = Vec::with_capacity(items.len());
        // A million items are indexed in one go: grow the tables once.
        self.items.reserve(items.len());
        self.by_id.reserve(items.len());
        self.by_number.reserve(items.len());
        self.by_reference.reserve(items.len());
        for item in items {
            if item.open_minor <= 0 || self.by_id.contains_key(&item.id) {
                continue;
            }
            let index = self.items.len();
            if let Some(r) = &item.reference {
                Hits::add(&mut self.by_reference, r.clone(), index);
            }
            Hits::add(&mut self.by_number, number_key(&item.number), index);
            self.by_debtor.entry(item.debtor).or_default().push(index);
            touched.push(item.debtor);
            self.by_id.insert(item.id, index);
            self.items.push(item);
        }
        // The rules read a debtor's items oldest first.
        touched.sort_unstable();
        touched.dedup();
        let items = &self.items;
        for debtor in touched {
            if let Some(list) = self.by_debtor.get_mut(&debtor) {
                list.sort_by_key(|&i| items.get(i).map(|it| (it.due_date, it.id)));
            }
        }
    }

    /// Adds payment-plan instalments, by their payment reference. The plan's invoices are
    /// added with [`Book::add_items`]; an invoice not in the book receives nothing.
    pub fn add_instalments(&mut self, instalments: Vec<BookInstalment>) {
        for i in instalments {
            self.by_instalment.insert(i.reference.clone(), i);
        }
    }

    /// The debtors the account or payer name of an incoming credit may belong to: every debtor
    /// known to pay from the account, and the debtors whose name is similar enough.
    #[must_use]
    pub fn candidate_debtors(&self, incoming: &Incoming<'_>, settings: &Settings) -> Vec<DebtorId> {
        let mut out: Vec<DebtorId> = incoming
            .counterparty_iban
            .and_then(|iban| self.by_iban.get(iban))
            .map(|l| l.iter().copied().take(5).collect())
            .unwrap_or_default();
        if let Some(name) = incoming.counterparty_name {
            for (_, debtor) in self.similar_names(name, settings).into_iter().take(3) {
                if !out.contains(&debtor) {
                    out.push(debtor);
                }
            }
        }
        out
    }

    /// Debtors whose name is at least `name_similarity_min` similar to `name`, best first.
    fn similar_names(&self, name: &str, settings: &Settings) -> Vec<(u8, DebtorId)> {
        let key = NameKey::new(name);
        let mut candidates: Vec<DebtorId> = Vec::new();
        // The rarest informative tokens keep the candidate list short.
        let mut postings: Vec<&Vec<DebtorId>> =
            key.tokens.iter().filter_map(|t| self.by_name_token.get(t)).collect();
        postings.sort_by_key(|p| p.len());
        for p in postings.iter().take(2) {
            for &d in p.iter().take(50) {
                if !candidates.contains(&d) {
                    candidates.push(d);
                }
            }
        }
        let mut scored: Vec<(u8, DebtorId)> = candidates
            .into_iter()
            .filter_map(|d| self.names.get(&d).map(|k| (key.similarity(k), d)))
            .filter(|(s, _)| *s >= settings.name_similarity_min)
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
    }

    /// Number of items with money still open.
    #[must_use]
    pub fn open_items(&self) -> usize {
        self.items.iter().filter(|i| i.open_minor > 0).count()
    }

    /// Takes allocated money off the items, and remembers a learned IBAN.
    pub fn apply(&mut self, proposal: &Proposal, iban: Option<&str>) {
        for (id, amount) in &proposal.allocations {
            if let Some(item) = self.by_id.get(id).and_then(|&i| self.items.get_mut(i)) {
                item.open_minor -= amount;
            }
        }
        if let (Some(debtor), Some(iban)) = (proposal.debtor, iban) {
            let list = self.by_iban.entry(iban.to_owned()).or_default();
            if !list.contains(&debtor) {
                list.push(debtor);
            }
        }
    }

    fn item(&self, index: usize) -> Option<&BookItem> {
        self.items.get(index).filter(|i| i.open_minor > 0)
    }

    /// The proposals for one incoming credit, best first (at most five). Empty when nothing
    /// points anywhere.
    #[must_use]
    pub fn propose(&self, incoming: &Incoming<'_>, settings: &Settings) -> Vec<Proposal> {
        if !incoming.amount.is_positive() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut notes = Vec::new();
        if let Some(reference) = incoming.reference {
            self.by_reference_rule(incoming, reference, settings, &mut out, &mut notes);
            if out.is_empty() {
                self.by_instalment_rule(incoming, reference, settings, &mut out, &mut notes);
            }
        }
        if out.is_empty() {
            self.by_number_rule(incoming, settings, &mut out);
        }
        if out.is_empty() {
            self.by_iban_rule(incoming, settings, &mut out);
        }
        if out.is_empty() {
            self.by_name_rule(incoming, settings, &mut out);
        }
        if !notes.is_empty() {
            for p in &mut out {
                p.said.splice(0..0, notes.iter().cloned());
                p.explanation = render(&p.said, Language::En);
            }
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.confidence));
        out.truncate(5);
        out
    }

    fn by_reference_rule(
        &self,
        incoming: &Incoming<'_>,
        reference: &str,
        settings: &Settings,
        out: &mut Vec<Proposal>,
        notes: &mut Vec<Said>,
    ) {
        let found: Vec<usize> = self
            .by_reference
            .get(reference)
            .map(|l| l.as_slice().iter().copied().filter(|&i| self.item(i).is_some()).collect())
            .unwrap_or_default();
        let currency = incoming.amount.currency();
        let found: Vec<usize> = found
            .into_iter()
            .filter(|&i| self.item(i).is_some_and(|it| it.currency == currency))
            .collect();
        let [index] = found.as_slice() else {
            if found.is_empty() {
                if self.by_instalment.contains_key(reference) {
                    // A plan instalment's reference: the next rule explains it.
                    return;
                }
                notes.push(Said::ReferenceUnknown { reference: reference.to_owned() });
            } else {
                notes.push(Said::ReferenceOnSeveral {
                    reference: reference.to_owned(),
                    items: found.len(),
                });
            }
            return;
        };
        let Some(item) = self.item(*index) else { return };
        let amount = incoming.amount.minor();
        let fit = fit_items(&[item], amount, settings.tolerance_minor);
        let what = Said::ReferenceQuoted {
            reference: reference.to_owned(),
            invoice: item.number.clone(),
            open: Money::from_minor(item.open_minor, item.currency),
        };
        let money = |minor: i64| Money::from_minor(minor, currency);
        let (confidence, detail) = match fit.kind {
            FitKind::Exact => (100, Said::ExactlyOpen),
            FitKind::Short => (98, Said::ShortWithinTolerance { short: money(fit.short) }),
            FitKind::Partial => {
                (95, Said::PartialLeavesOpen { left: money(item.open_minor - amount) })
            }
            FitKind::Over => (92, Said::OverKeptUnapplied { over: money(fit.unapplied) }),
        };
        out.push(fit.into_proposal(
            Rule::Reference,
            confidence,
            Some(item.debtor),
            vec![what, detail],
        ));
    }

    fn by_instalment_rule(
        &self,
        incoming: &Incoming<'_>,
        reference: &str,
        settings: &Settings,
        out: &mut Vec<Proposal>,
        notes: &mut Vec<Said>,
    ) {
        let Some(plan) = self.by_instalment.get(reference) else { return };
        let currency = incoming.amount.currency();
        let what = Said::InstalmentQuoted {
            reference: reference.to_owned(),
            number: u64::from(plan.position) + 1,
            of: plan.instalments,
            plan: plan.plan_id,
            due: plan.due_date,
            amount: plan.amount,
        };
        if plan.amount.currency() != currency {
            notes.push(what);
            notes.push(Said::PlanOtherCurrency { plan: plan.amount, payment: incoming.amount });
            return;
        }
        let mut items: Vec<&BookItem> = plan
            .items
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .filter_map(|&i| self.item(i))
            .filter(|it| it.currency == currency)
            .collect();
        items.sort_by_key(|it| (it.due_date, it.id));
        let amount = incoming.amount.minor();
        if items.is_empty() {
            let said = vec![what, Said::PlanNothingOpen];
            out.push(Proposal {
                rule: Rule::PlanInstalment,
                confidence: 92,
                debtor: Some(plan.debtor),
                allocations: Vec::new(),
                unapplied_minor: amount,
                short_minor: 0,
                explanation: render(&said, Language::En),
                said,
            });
            return;
        }
        let fit = fit_items(&items, amount, settings.tolerance_minor);
        let money = |minor: i64| Money::from_minor(minor, currency);
        let to: Vec<(String, Money)> = fit
            .allocations
            .iter()
            .filter_map(|(id, minor)| {
                items.iter().find(|it| it.id == *id).map(|it| (it.number.clone(), money(*minor)))
            })
            .collect();
        let spread = Said::PlanSpread { to };
        let total: i64 = items.iter().map(|i| i.open_minor).sum();
        let instalment = plan.amount.minor();
        let (confidence, detail) = match fit.kind {
            FitKind::Exact => (100, Said::PlanAllOpen),
            FitKind::Short => (98, Said::PlanShort { short: money(fit.short) }),
            FitKind::Partial if amount == instalment => {
                (100, Said::PlanExactInstalment { left: money(total - amount) })
            }
            FitKind::Partial => (
                95,
                Said::PlanOtherThanInstalment {
                    difference: money((instalment - amount).abs()),
                    less: amount < instalment,
                    left: money(total - amount),
                },
            ),
            FitKind::Over => (92, Said::PlanOver { over: money(fit.unapplied) }),
        };
        out.push(fit.into_proposal(
            Rule::PlanInstalment,
            confidence,
            Some(plan.debtor),
            vec![what, spread, detail],
        ));
    }

    fn by_number_rule(
        &self,
        incoming: &Incoming<'_>,
        settings: &Settings,
        out: &mut Vec<Proposal>,
    ) {
        let currency = incoming.amount.currency();
        let mut found: Vec<usize> = Vec::new();
        for token in tokens(incoming.remittance) {
            if !token.bytes().any(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(list) = self.by_number.get(&number_key(token)) {
                for &i in list.as_slice() {
                    if self.item(i).is_some_and(|it| it.currency == currency) && !found.contains(&i)
                    {
                        found.push(i);
                    }
                }
            }
            if found.len() > 50 {
                break;
            }
        }
        if found.is_empty() {
            return;
        }
        found.sort_unstable();
        let items: Vec<&BookItem> = found.iter().filter_map(|&i| self.item(i)).collect();
        let numbers: Vec<&str> = items.iter().map(|i| i.number.as_str()).collect();
        let debtors: Vec<DebtorId> = {
            let mut d: Vec<DebtorId> = items.iter().map(|i| i.debtor).collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let one_debtor = debtors.len() == 1;
        let iban_agrees = incoming.counterparty_iban.is_some_and(|iban| {
            self.by_iban.get(iban).is_some_and(|ds| ds.len() == 1 && debtors.first() == ds.first())
        });
        let amount = incoming.amount.minor();
        let fit = fit_items(&items, amount, settings.tolerance_minor);
        let what =
            Said::RemittanceNames { invoices: numbers.iter().map(|n| (*n).to_owned()).collect() };
        let total: i64 = items.iter().map(|i| i.open_minor).sum();
        let money = |minor: i64| Money::from_minor(minor, currency);
        let (mut confidence, detail) = match fit.kind {
            FitKind::Exact => (96, Said::ExactlyOpenOnThem),
            FitKind::Short => (93, Said::ShortOfOpen { short: money(fit.short) }),
            FitKind::Partial if items.len() == 1 => (
                if iban_agrees { 91 } else { 85 },
                Said::PartialOf { open: money(total), known_account: iban_agrees },
            ),
            FitKind::Partial => (70, Said::CoversPart { open: money(total) }),
            FitKind::Over => (80, Said::OverOnThem { over: money(fit.unapplied) }),
        };
        if !one_debtor {
            confidence = confidence.min(60);
        }
        let mut said = vec![what, detail];
        if !one_debtor {
            said.push(Said::SeveralDebtors { debtors: debtors.len() });
        }
        out.push(fit.into_proposal(
            Rule::InvoiceNumber,
            confidence,
            debtors.first().copied().filter(|_| one_debtor),
            said,
        ));
    }

    fn by_iban_rule(&self, incoming: &Incoming<'_>, settings: &Settings, out: &mut Vec<Proposal>) {
        let Some(iban) = incoming.counterparty_iban else { return };
        let Some(debtors) = self.by_iban.get(iban) else { return };
        let shared = debtors.len() > 1;
        for &debtor in debtors.iter().take(5) {
            let why = Said::AccountKnown { iban: iban.to_owned(), debtors: debtors.len() };
            self.amount_rule(
                incoming,
                settings,
                debtor,
                Rule::Iban,
                why,
                if shared { 70 } else { 100 },
                out,
            );
        }
    }

    fn by_name_rule(&self, incoming: &Incoming<'_>, settings: &Settings, out: &mut Vec<Proposal>) {
        let Some(name) = incoming.counterparty_name else { return };
        for (similarity, debtor) in self.similar_names(name, settings).into_iter().take(3) {
            let why = Said::NameSimilar { name: name.to_owned(), similarity };
            // A name alone never allocates: cap below any sensible threshold.
            self.amount_rule(incoming, settings, debtor, Rule::Name, why, similarity.min(80), out);
        }
    }

    /// Fits the amount to one debtor's open items: one item, the whole balance, a subset of the
    /// oldest items, or failing that the oldest items in order (a partial payment).
    fn amount_rule(
        &self,
        incoming: &Incoming<'_>,
        settings: &Settings,
        debtor: DebtorId,
        rule: Rule,
        why: Said,
        cap: u8,
        out: &mut Vec<Proposal>,
    ) {
        let currency = incoming.amount.currency();
        let amount = incoming.amount.minor();
        let tol = settings.tolerance_minor;
        let items: Vec<&BookItem> = self
            .by_debtor
            .get(&debtor)
            .map(|l| {
                l.iter().filter_map(|&i| self.item(i)).filter(|i| i.currency == currency).collect()
            })
            .unwrap_or_default();
        if items.is_empty() {
            return;
        }
        let within = |sum: i64| sum >= amount && sum - amount <= tol;
        // One item.
        let singles: Vec<&BookItem> =
            items.iter().copied().filter(|i| within(i.open_minor)).collect();
        if let Some(first) = singles.first() {
            let fit = fit_items(&[first], amount, tol);
            let mut said = vec![why, Said::FitsInvoice { invoice: first.number.clone() }];
            let confidence = if singles.len() == 1 {
                93
            } else {
                said.push(Said::SameAmountItems { items: singles.len() });
                72
            };
            out.push(fit.into_proposal(rule, confidence.min(cap), Some(debtor), said));
            return;
        }
        // The whole balance.
        let total: i64 = items.iter().map(|i| i.open_minor).sum();
        if within(total) {
            let fit = fit_items(&items, amount, tol);
            out.push(fit.into_proposal(
                rule,
                94.min(cap),
                Some(debtor),
                vec![why, Said::WholeBalance { items: items.len() }],
            ));
            return;
        }
        // A subset of the oldest items.
        let pool: Vec<&BookItem> = items.iter().copied().take(settings.subset_items_max).collect();
        let subsets = subset_sums(&pool, amount, tol, settings.subset_len_max, 2);
        if let Some(first) = subsets.first() {
            let chosen: Vec<&BookItem> =
                first.iter().filter_map(|&i| pool.get(i).copied()).collect();
            let fit = fit_items(&chosen, amount, tol);
            let invoices: Vec<String> = chosen.iter().map(|i| i.number.clone()).collect();
            let mut said = vec![why, Said::SumOfInvoices { invoices }];
            let confidence = if subsets.len() == 1 {
                91
            } else {
                said.push(Said::OtherCombinations);
                70
            };
            out.push(fit.into_proposal(rule, confidence.min(cap), Some(debtor), said));
            return;
        }
        // Nothing fits: oldest first, for a person to judge.
        let fit = fit_items(&items, amount, tol);
        let detail = if amount < total {
            Said::NoCombination { items: items.len() }
        } else {
            Said::MoreThanBalance { open: Money::from_minor(total, currency) }
        };
        out.push(fit.into_proposal(rule, 55.min(cap), Some(debtor), vec![why, detail]));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FitKind {
    Exact,
    Short,
    Partial,
    Over,
}

#[derive(Debug)]
struct Fit {
    kind: FitKind,
    allocations: Vec<(InvoiceId, i64)>,
    unapplied: i64,
    short: i64,
}

impl Fit {
    fn into_proposal(
        self,
        rule: Rule,
        confidence: u8,
        debtor: Option<DebtorId>,
        said: Vec<Said>,
    ) -> Proposal {
        Proposal {
            rule,
            confidence,
            debtor,
            allocations: self.allocations,
            unapplied_minor: self.unapplied,
            short_minor: self.short,
            explanation: render(&said, Language::En),
            said,
        }
    }
}

/// Spreads `amount` over `items` oldest first (they come sorted by due date).
fn fit_items(items: &[&BookItem], amount: i64, tolerance: i64) -> Fit {
    let total: i64 = items.iter().map(|i| i.open_minor).sum();
    let (allocations, unapplied) = spread(items.iter().map(|i| (i.id, i.open_minor)), amount);
    let kind = if amount == total {
        FitKind::Exact
    } else if amount < total && total - amount <= tolerance {
        FitKind::Short
    } else if amount < total {
        FitKind::Partial
    } else {
        FitKind::Over
    };
    Fit {
        kind,
        allocations,
        unapplied,
        short: if kind == FitKind::Short { total - amount } else { 0 },
    }
}

/// Subsets (as indexes into `items`, ascending) of at most `len_max` items whose open amounts sum
/// to `amount` or up to `tolerance` more; stops after `want` subsets or a bounded amount of work.
fn subset_sums(
    items: &[&BookItem],
    amount: i64,
    tolerance: i64,
    len_max: usize,
    want: usize,
) -> Vec<Vec<usize>> {
    struct Search<'a> {
        values: Vec<i64>,
        suffix: Vec<i64>,
        amount: i64,
        tolerance: i64,
        len_max: usize,
        want: usize,
        budget: u32,
        found: Vec<Vec<usize>>,
        _items: std::marker::PhantomData<&'a ()>,
    }
    impl Search<'_> {
        fn go(&mut self, start: usize, sum: i64, chosen: &mut Vec<usize>) {
            if self.found.len() >= self.want || self.budget == 0 {
                return;
            }
            self.budget -= 1;
            if sum >= self.amount && sum - self.amount <= self.tolerance && chosen.len() > 1 {
                self.found.push(chosen.clone());
                return;
            }
            if chosen.len() >= self.len_max || sum > self.amount + self.tolerance {
                return;
            }
            // Everything still available cannot reach the amount.
            if sum + self.suffix.get(start).copied().unwrap_or(0) < self.amount {
                return;
            }
            for i in start..self.values.len() {
                let Some(&v) = self.values.get(i) else { break };
                chosen.push(i);
                self.go(i + 1, sum + v, chosen);
                chosen.pop();
                if self.found.len() >= self.want || self.budget == 0 {
                    return;
                }
            }
        }
    }
    let values: Vec<i64> = items.iter().map(|i| i.open_minor).collect();
    let mut suffix = vec![0; values.len() + 1];
    for i in (0..values.len()).rev() {
        let next = suffix.get(i + 1).copied().unwrap_or(0);
        if let Some(s) = suffix.get_mut(i) {
            *s = next + values.get(i).copied().unwrap_or(0);
        }
    }
    let mut search = Search {
        values,
        suffix,
        amount,
        tolerance,
        len_max,
        want,
        budget: 50_000,
        found: Vec::new(),
        _items: std::marker::PhantomData,
    };
    search.go(0, 0, &mut Vec::new());
    search.found
}

/// Whole tokens of a remittance text: split on blanks and punctuation that never belongs to an
/// invoice number (`-`, `/`, `.` and `_` do, inside a token), with leading `#` and trailing dots
/// dropped.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\'' | '+' | '*')
    })
    .map(|t| t.trim_start_matches('#').trim_end_matches(['.', '-', '/']))
    .filter(|t| !t.is_empty() && t.len() <= 40)
}

/// The form invoice numbers are compared in: upper case.
#[must_use]
pub fn number_key(number: &str) -> String {
    number.trim().to_ascii_uppercase()
}

/// A name reduced to what tells debtors apart: lower case, accents folded, punctuation and legal
/// forms dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NameKey {
    tokens: Vec<String>,
}

const LEGAL_FORMS: &[&str] = &[
    "bv",
    "nv",
    "vof",
    "cv",
    "bvba",
    "srl",
    "sa",
    "sprl",
    "scrl",
    "cvba",
    "commv",
    "vzw",
    "asbl",
    "gmbh",
    "ag",
    "kg",
    "ltd",
    "limited",
    "inc",
    "llc",
    "plc",
    "sarl",
    "sas",
    "eenmanszaak",
    "holding",
    "en",
    "et",
    "and",
    "de",
    "het",
    "the",
    "van",
    "der",
    "den",
    "le",
    "la",
    "les",
];

impl NameKey {
    fn new(name: &str) -> NameKey {
        let folded: String = name
            .chars()
            .map(|c| match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'Á' | 'À' | 'Â' | 'Ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
                'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ï' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ö' => 'o',
                'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => 'u',
                'ç' | 'Ç' => 'c',
                'ñ' => 'n',
                '.' => ' ',
                c if c.is_alphanumeric() => c.to_ascii_lowercase(),
                _ => ' ',
            })
            .collect();
        // "B.V." became "b v": glue single letters back together before dropping legal forms.
        let mut tokens: Vec<String> = Vec::new();
        let mut glued = String::new();
        for t in folded.split_whitespace() {
            if t.chars().count() == 1 {
                glued.push_str(t);
                continue;
            }
            if !glued.is_empty() {
                tokens.push(std::mem::take(&mut glued));
            }
            tokens.push(t.to_owned());
        }
        if !glued.is_empty() {
            tokens.push(glued);
        }
        let meaningful: Vec<String> =
            tokens.iter().filter(|t| !LEGAL_FORMS.contains(&t.as_str())).cloned().collect();
        NameKey { tokens: if meaningful.is_empty() { tokens } else { meaningful } }
    }

    /// Dice similarity over tokens, in percent; a token of one name that is the initial or a
    /// prefix (3+ letters) of a token of the other counts half.
    fn similarity(&self, other: &NameKey) -> u8 {
        let total = self.tokens.len() + other.tokens.len();
        if total == 0 {
            return 0;
        }
        let mut used = vec![false; other.tokens.len()];
        let mut score2: usize = 0; // in half points
        for t in &self.tokens {
            let exact = other
                .tokens
                .iter()
                .enumerate()
                .find(|(i, o)| !used.get(*i).copied().unwrap_or(true) && *o == t);
            if let Some((i, _)) = exact {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                score2 += 2;
                continue;
            }
            let partial = other.tokens.iter().enumerate().find(|(i, o)| {
                !used.get(*i).copied().unwrap_or(true)
                    && ((t.len() >= 3 && o.starts_with(t.as_str()))
                        || (o.len() >= 3 && t.starts_with(o.as_str()))
                        || (t.len() == 1 && o.starts_with(t.as_str()))
                        || (o.len() == 1 && t.starts_with(o.as_str())))
            });
            if let Some((i, _)) = partial {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                score2 += 1;
            }
        }
        // Dice: 2·common / total, with common counted in halves.
        let percent = (score2 * 100) / total;
        u8::try_from(percent.min(100)).unwrap_or(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_iso_date;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn item(
        id: i64,
        debtor: i64,
        number: &str,
        reference: Option<&str>,
        open: i64,
        due: &str,
    ) -> BookItem {
        BookItem {
            id: InvoiceId(id),
            debtor: DebtorId(debtor),
            number: number.into(),
            reference: reference.map(Into::into),
            open_minor: open,
            currency: eur(),
            due_date: parse_iso_date(due).unwrap(),
        }
    }

    fn book() -> Book {
        Book::new(
            vec![
                item(1, 10, "2026-001", Some("123456789002"), 100_00, "2026-01-10"),
                item(2, 10, "2026-002", None, 250_00, "2026-02-10"),
                item(3, 10, "2026-003", None, 75_50, "2026-03-10"),
                item(4, 20, "1234", None, 99_99, "2026-01-15"),
                item(5, 20, "1235", None, 40_00, "2026-01-20"),
                item(6, 30, "12345", None, 500_00, "2026-02-01"),
            ],
            vec![
                BookDebtor {
                    id: DebtorId(10),
                    name: "Bakkerij De Vries B.V.".into(),
                    ibans: vec!["NL91ABNA0417164300".into()],
                },
                BookDebtor { id: DebtorId(20), name: "Jansen Installaties".into(), ibans: vec![] },
                BookDebtor {
                    id: DebtorId(30),
                    name: "Peeters NV".into(),
                    ibans: vec!["BE71096123456769".into()],
                },
            ],
        )
    }

    fn incoming<'a>(
        minor: i64,
        reference: Option<&'a str>,
        text: &'a str,
        iban: Option<&'a str>,
        name: Option<&'a str>,
    ) -> Incoming<'a> {
        Incoming {
            amount: Money::from_minor(minor, eur()),
            reference,
            remittance: text,
            counterparty_iban: iban,
            counterparty_name: name,
        }
    }

    #[test]
    fn a_structured_reference_with_the_exact_amount_is_certain() {
        let p = book()
            .propose(&incoming(100_00, Some("123456789002"), "", None, None), &Settings::default());
        let best = p.first().unwrap();
        assert_eq!(best.rule, Rule::Reference);
        assert_eq!(best.confidence, 100);
        assert_eq!(best.allocations, vec![(InvoiceId(1), 100_00)]);
    }

    #[test]
    fn partial_and_over_payments_on_a_reference_are_allocated_with_what_is_left() {
        let b = book();
        let p =
            b.propose(&incoming(40_00, Some("123456789002"), "", None, None), &Settings::default());
        assert_eq!(p.first().unwrap().allocations, vec![(InvoiceId(1), 40_00)]);
        assert!(p.first().unwrap().confidence >= 90);
        let p = b
            .propose(&incoming(120_00, Some("123456789002"), "", None, None), &Settings::default());
        assert_eq!(p.first().unwrap().unapplied_minor, 20_00);
    }

    #[test]
    fn invoice_numbers_match_whole_tokens_only() {
        let b = book();
        // "12345" must not find invoice 1234, nor "A-1234".
        let p = b.propose(
            &incoming(99_99, None, "betaling 12345 en A-1234", None, None),
            &Settings::default(),
        );
        assert!(
            p.iter().all(|p| !p.allocations.iter().any(|(id, _)| *id == InvoiceId(4))),
            "{p:?}"
        );
        let p = b.propose(
            &incoming(139_99, None, "facturen 1234, 1235.", None, None),
            &Settings::default(),
        );
        let best = p.first().unwrap();
        assert_eq!(best.rule, Rule::InvoiceNumber);
        assert_eq!(best.allocations, vec![(InvoiceId(4), 99_99), (InvoiceId(5), 40_00)]);
        assert!(best.confidence >= 90);
    }

    #[test]
    fn a_known_iban_with_a_subset_sum_is_allocated() {
        let p = book().propose(
            &incoming(175_50, None, "", Some("NL91ABNA0417164300"), None),
            &Settings::default(),
        );
        let best = p.first().unwrap();
        assert_eq!(best.rule, Rule::Iban);
        assert_eq!(best.allocations, vec![(InvoiceId(1), 100_00), (InvoiceId(3), 75_50)]);
        assert_eq!(best.confidence, 91);
    }

    #[test]
    fn tolerance_accepts_bank_costs_and_leaves_them_open() {
        let settings = Settings { tolerance_minor: 1_00, ..Settings::default() };
        let p = book()
            .propose(&incoming(249_25, None, "", Some("NL91ABNA0417164300"), None), &settings);
        let best = p.first().unwrap();
        assert_eq!(best.allocations, vec![(InvoiceId(2), 249_25)]);
        assert_eq!(best.short_minor, 75);
        let strict = book().propose(
            &incoming(249_25, None, "", Some("NL91ABNA0417164300"), None),
            &Settings::default(),
        );
        assert!(strict.first().unwrap().confidence < 90);
    }

    #[test]
    fn a_name_alone_never_reaches_the_automatic_threshold() {
        let p = book().propose(
            &incoming(99_99, None, "", None, Some("JANSEN INSTALLATIES")),
            &Settings::default(),
        );
        let best = p.first().unwrap();
        assert_eq!(best.rule, Rule::Name);
        assert_eq!(best.allocations, vec![(InvoiceId(4), 99_99)]);
        assert!(best.confidence < 90);
    }

    #[test]
    fn applying_an_allocation_removes_the_money_from_the_book() {
        let mut b = book();
        let p = b
            .propose(&incoming(100_00, Some("123456789002"), "", None, None), &Settings::default());
        b.apply(p.first().unwrap(), Some("NL00TEST"));
        let again = b
            .propose(&incoming(100_00, Some("123456789002"), "", None, None), &Settings::default());
        assert!(again.iter().all(|p| p.rule != Rule::Reference));
    }

    #[test]
    fn a_book_loaded_in_parts_proposes_what_the_whole_book_does() {
        let whole = book();
        let mut parts = Book::new(
            Vec::new(),
            vec![BookDebtor {
                id: DebtorId(10),
                name: "Bakkerij De Vries B.V.".into(),
                ibans: vec!["NL91ABNA0417164300".into()],
            }],
        );
        let incoming = incoming(175_50, None, "", Some("NL91ABNA0417164300"), None);
        assert_eq!(parts.candidate_debtors(&incoming, &Settings::default()), vec![DebtorId(10)]);
        let items: Vec<BookItem> = whole.items.clone();
        parts.add_items(items.iter().filter(|i| i.debtor == DebtorId(10)).rev().cloned().collect());
        parts.add_items(items);
        assert_eq!(
            parts.propose(&incoming, &Settings::default()),
            whole.propose(&incoming, &Settings::default())
        );
    }

    /// Plan 7 of debtor 40: instalment 2 of 3 (reference `RF18539007547034`, EUR 150.00, due
    /// 2026-04-10) over invoices 41 (200.00, due 2026-02-28) and 42 (100.00, due 2026-01-31,
    /// the oldest).
    fn plan_book() -> Book {
        let mut b = book();
        b.add_items(vec![
            item(41, 40, "P-2", Some("RF61000000000041"), 200_00, "2026-02-28"),
            item(42, 40, "P-1", None, 100_00, "2026-01-31"),
        ]);
        b.add_instalments(vec![BookInstalment {
            reference: "RF18539007547034".into(),
            plan_id: 7,
            debtor: DebtorId(40),
            position: 1,
            instalments: 3,
            due_date: parse_iso_date("2026-04-10").unwrap(),
            amount: Money::from_minor(150_00, eur()),
            items: vec![InvoiceId(41), InvoiceId(42)],
        }]);
        b
    }

    fn pays_instalment(minor: i64) -> Incoming<'static> {
        incoming(minor, Some("RF18539007547034"), "", None, None)
    }

    #[test]
    fn a_plan_instalment_reference_pays_the_plans_invoices_oldest_first() {
        let p = plan_book().propose(&pays_instalment(150_00), &Settings::default());
        let best = p.first().unwrap();
        assert_eq!(best.rule, Rule::PlanInstalment);
        assert_eq!(best.rule.as_str(), "plan_instalment");
        assert_eq!(best.confidence, 100);
        assert_eq!(best.debtor, Some(DebtorId(40)));
        // The oldest invoice first, then the next: the instalment spans both.
        assert_eq!(best.allocations, vec![(InvoiceId(42), 100_00), (InvoiceId(41), 50_00)]);
        assert_eq!((best.unapplied_minor, best.short_minor), (0, 0));
        assert_eq!(
            best.explanation,
            "The payment quotes the payment reference RF18539007547034: it pays instalment 2 of 3 \
             of payment plan 7, due 2026-04-10, EUR 150.00. It goes to the plan's open invoices \
             oldest first: invoice P-1 (EUR 100.00), invoice P-2 (EUR 50.00). The amount is \
             exactly the instalment; EUR 150.00 stays open on the plan."
        );
    }

    #[test]
    fn another_amount_on_an_instalment_reference_is_still_certain() {
        let p = plan_book().propose(&pays_instalment(60_00), &Settings::default());
        let best = p.first().unwrap();
        assert_eq!((best.rule, best.confidence), (Rule::PlanInstalment, 95));
        assert_eq!(best.allocations, vec![(InvoiceId(42), 60_00)]);
        assert!(
            best.explanation.contains("EUR 90.00 less than the instalment"),
            "{}",
            best.explanation
        );
        // Everything open on the plan, exactly.
        let p = plan_book().propose(&pays_instalment(300_00), &Settings::default());
        assert_eq!(p.first().unwrap().confidence, 100);
        assert_eq!(p.first().unwrap().allocations.len(), 2);
    }

    #[test]
    fn more_than_the_plan_has_open_leaves_unapplied_credit_of_the_plans_debtor() {
        let p = plan_book().propose(&pays_instalment(350_00), &Settings::default());
        let best = p.first().unwrap();
        assert_eq!(
            (best.rule, best.confidence, best.debtor),
            (Rule::PlanInstalment, 92, Some(DebtorId(40)))
        );
        assert_eq!(best.allocations, vec![(InvoiceId(42), 100_00), (InvoiceId(41), 200_00)]);
        assert_eq!(best.unapplied_minor, 50_00);
        assert!(
            best.explanation.contains("EUR 50.00 more than everything open"),
            "{}",
            best.explanation
        );
    }

    #[test]
    fn a_paid_plan_keeps_the_money_as_credit_of_its_debtor() {
        let mut b = plan_book();
        let first = b.propose(&pays_instalment(300_00), &Settings::default());
        b.apply(first.first().unwrap(), None);
        let p = b.propose(&pays_instalment(150_00), &Settings::default());
        let best = p.first().unwrap();
        assert_eq!((best.rule, best.debtor), (Rule::PlanInstalment, Some(DebtorId(40))));
        assert!(best.allocations.is_empty());
        assert_eq!(best.unapplied_minor, 150_00);
        assert!(best.explanation.contains("Nothing is open on the plan's invoices any more"));
    }

    #[test]
    fn instalments_paid_in_one_batch_never_settle_the_same_money_twice() {
        let mut b = plan_book();
        let first = b.propose(&pays_instalment(150_00), &Settings::default());
        b.apply(first.first().unwrap(), None);
        let second = b.propose(&pays_instalment(150_00), &Settings::default());
        assert_eq!(second.first().unwrap().allocations, vec![(InvoiceId(41), 150_00)]);
    }

    #[test]
    fn an_invoice_reference_comes_before_an_instalment_and_unknown_references_find_no_plan() {
        let b = plan_book();
        let p = b.propose(
            &incoming(200_00, Some("RF61000000000041"), "", None, None),
            &Settings::default(),
        );
        assert_eq!(p.first().unwrap().rule, Rule::Reference);
        let p = b.propose(
            &incoming(150_00, Some("RF71000000000099"), "", None, None),
            &Settings::default(),
        );
        assert!(p.iter().all(|p| p.rule != Rule::PlanInstalment), "{p:?}");
        // In another currency the plan is not paid; the explanation says why.
        let usd = Incoming {
            amount: Money::from_minor(150_00, Currency::parse("USD").unwrap()),
            ..pays_instalment(150_00)
        };
        assert!(
            b.propose(&usd, &Settings::default()).iter().all(|p| p.rule != Rule::PlanInstalment)
        );
    }

    #[test]
    fn spreading_over_a_plan_skips_paid_invoices_and_keeps_the_rest() {
        let inv = |id, due: &str, open_minor| PlanInvoice {
            id: InvoiceId(id),
            due_date: parse_iso_date(due).unwrap(),
            open_minor,
        };
        let plan =
            [inv(3, "2026-01-31", 0), inv(2, "2026-02-28", 80_00), inv(1, "2026-02-28", 50_00)];
        assert_eq!(
            spread_over_plan(&plan, 100_00),
            (vec![(InvoiceId(1), 50_00), (InvoiceId(2), 50_00)], 0)
        );
        assert_eq!(
            spread_over_plan(&plan, 200_00),
            (vec![(InvoiceId(1), 50_00), (InvoiceId(2), 80_00)], 70_00)
        );
        assert_eq!(spread_over_plan(&[], 10_00), (vec![], 10_00));
    }

    /// The best proposal's explanation in Dutch, French and English.
    fn explained(b: &Book, incoming: &Incoming<'_>, settings: &Settings) -> [String; 3] {
        let p = b.propose(incoming, settings);
        let best = p.first().unwrap();
        assert_eq!(best.explain(Language::En), best.explanation);
        assert_eq!(best.explain(Language::De), best.explanation, "German falls back to English");
        [best.explain(Language::Nl), best.explain(Language::Fr), best.explain(Language::En)]
    }

    #[test]
    fn the_reference_rule_explains_itself_in_dutch_and_french() {
        let [nl, fr, en] = explained(
            &book(),
            &incoming(40_00, Some("123456789002"), "", None, None),
            &Settings::default(),
        );
        assert_eq!(
            nl,
            "De betaling vermeldt betalingskenmerk 123456789002 van factuur 2026-001 (100,00 \
             open). Een gedeeltelijke betaling; 60,00 blijft openstaan."
        );
        assert_eq!(
            fr,
            "Le paiement mentionne la référence de paiement 123456789002 de la facture 2026-001 \
             (100,00 restant dû). Un paiement partiel ; 60,00 reste ouvert."
        );
        assert_eq!(
            en,
            "The payment quotes the payment reference 123456789002 of invoice 2026-001 (100.00 \
             open). A partial payment; 60.00 stays open."
        );
        // A reference nobody has, noted before what the next rule found.
        let [nl, fr, _] = explained(
            &book(),
            &incoming(100_00, Some("999999999999"), "factuur 2026-001", None, None),
            &Settings::default(),
        );
        assert_eq!(
            nl,
            "Betalingskenmerk 999999999999 hoort bij geen openstaande post (al betaald, of niet \
             van ons). De omschrijving noemt factuur 2026-001. Het bedrag is precies wat daarop \
             openstaat."
        );
        assert_eq!(
            fr,
            "La référence de paiement 999999999999 ne correspond à aucun poste ouvert (déjà payé, \
             ou pas chez nous). La communication cite la facture 2026-001. Le montant correspond \
             exactement à ce qui est ouvert sur ces factures."
        );
    }

    #[test]
    fn the_plan_instalment_rule_explains_itself_in_dutch_and_french() {
        let [nl, fr, _] = explained(&plan_book(), &pays_instalment(150_00), &Settings::default());
        assert_eq!(
            nl,
            "De betaling vermeldt betalingskenmerk RF18539007547034: die betaalt termijn 2 van 3 \
             van betalingsregeling 7, vervaldag 10-04-2026, EUR 150,00. Het gaat naar de \
             openstaande facturen van de regeling, oudste eerst: factuur P-1 (EUR 100,00), \
             factuur P-2 (EUR 50,00). Het bedrag is precies de termijn; EUR 150,00 blijft \
             openstaan op de regeling."
        );
        assert_eq!(
            fr,
            "Le paiement mentionne la référence de paiement RF18539007547034 : il paie \
             l'échéance 2 sur 3 du plan de paiement 7, due le 10/04/2026, EUR 150,00. Il va aux \
             factures ouvertes du plan, la plus ancienne d'abord : facture P-1 (EUR 100,00), \
             facture P-2 (EUR 50,00). Le montant est exactement celui de l'échéance ; EUR 150,00 \
             reste ouvert sur le plan."
        );
        let [nl, fr, _] = explained(&plan_book(), &pays_instalment(60_00), &Settings::default());
        assert!(
            nl.ends_with(
                "Het bedrag is EUR 90,00 minder dan de termijn; EUR 240,00 blijft openstaan op \
                 de regeling."
            ),
            "{nl}"
        );
        assert!(
            fr.ends_with(
                "Le montant est inférieur de EUR 90,00 à l'échéance ; EUR 240,00 reste ouvert \
                 sur le plan."
            ),
            "{fr}"
        );
    }

    #[test]
    fn the_invoice_number_rule_explains_itself_in_dutch_and_french() {
        let [nl, fr, en] = explained(
            &book(),
            &incoming(100_00, None, "facturen 1234, 1235.", None, None),
            &Settings::default(),
        );
        assert_eq!(
            en,
            "The remittance text names invoices 1234, 1235. The amount covers only part of the \
             139.99 open on them; allocated oldest first."
        );
        assert_eq!(
            nl,
            "De omschrijving noemt facturen 1234, 1235. Het bedrag dekt maar een deel van de \
             139,99 die daarop openstaat; oudste eerst toegewezen."
        );
        assert_eq!(
            fr,
            "La communication cite les factures 1234, 1235. Le montant ne couvre qu'une partie \
             des 139,99 ouverts sur ces factures ; affecté au plus ancien d'abord."
        );
    }

    #[test]
    fn the_iban_and_name_rules_explain_themselves_in_dutch_and_french() {
        let [nl, fr, _] = explained(
            &book(),
            &incoming(175_50, None, "", Some("NL91ABNA0417164300"), None),
            &Settings::default(),
        );
        assert_eq!(
            nl,
            "Rekening NL91ABNA0417164300 is bekend voor deze debiteur. Het bedrag is de som van \
             facturen 2026-001, 2026-003."
        );
        assert_eq!(
            fr,
            "Le compte NL91ABNA0417164300 est connu pour ce débiteur. Le montant est la somme des \
             factures 2026-001, 2026-003."
        );
        let [nl, fr, en] = explained(
            &book(),
            &incoming(99_99, None, "", None, Some("JANSEN INSTALLATIES")),
            &Settings::default(),
        );
        assert_eq!(
            en,
            "The payer's name 'JANSEN INSTALLATIES' is 100% similar to this debtor's name. The \
             amount fits invoice 1234."
        );
        assert_eq!(
            nl,
            "De naam van de betaler 'JANSEN INSTALLATIES' lijkt voor 100% op de naam van deze \
             debiteur. Het bedrag past bij factuur 1234."
        );
        assert_eq!(
            fr,
            "Le nom du payeur « JANSEN INSTALLATIES » ressemble à 100 % au nom de ce débiteur. Le \
             montant correspond à la facture 1234."
        );
    }

    #[test]
    fn a_proposal_stored_without_its_sentences_explains_itself_in_english() {
        let p = book()
            .propose(&incoming(100_00, Some("123456789002"), "", None, None), &Settings::default());
        let mut json: serde_json::Value = serde_json::to_value(&p[0]).unwrap();
        assert_eq!(json["said"][0]["said"], "reference_quoted");
        json.as_object_mut().unwrap().remove("said");
        let old: Proposal = serde_json::from_value(json).unwrap();
        assert!(old.said.is_empty());
        assert_eq!(old.explain(Language::Nl), p[0].explanation);
        let again: Proposal = serde_json::from_str(&serde_json::to_string(&p[0]).unwrap()).unwrap();
        assert_eq!(again, p[0]);
    }

    #[test]
    fn names_fold_legal_forms_and_initials() {
        let a = NameKey::new("Bakkerij De Vries B.V.");
        let b = NameKey::new("BAKKERIJ DE VRIES BV");
        assert_eq!(a.similarity(&b), 100);
        let c = NameKey::new("J. Jansen");
        let d = NameKey::new("Jan Jansen");
        assert!(c.similarity(&d) >= 75, "{}", c.similarity(&d));
    }
}
