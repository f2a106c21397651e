//! Generated bank statements with known truth, for the reconciliation test and benchmark.
//!
//! Payers behave as real ones do: most quote the structured reference, some write invoice
//! numbers in the text (one or several), some pay from a known account with no text at all, a
//! few pay part of an invoice, lose bank costs on the way, pay from a new account under their
//! own name, or pay something that is not ours. Every credit records what it truly pays, so the
//! matcher's precision and recall can be counted.

use std::collections::HashMap;

use arflow_core::date::{Date, add_days};
use arflow_core::id::{DebtorId, InvoiceId};
use arflow_core::money::{Currency, Money};
use arflow_core::reference;
use arflow_formats::statement::{
    Balance, BalanceCheck, Entry, Location, ReferenceKind, Statement, StructuredReference,
};
use arflow_store::BookItemRow;

use super::rng::Rng;

/// How a generated payer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    Reference,
    ReferencePartial,
    InvoiceNumber,
    SeveralNumbers,
    IbanOnly,
    IbanSeveral,
    BankCosts,
    NameOnly,
    NotOurs,
    Expense,
}

/// What one generated credit truly pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    pub behaviour: Behaviour,
    /// Items and amounts; empty for money that is not ours.
    pub pays: Vec<(InvoiceId, i64)>,
}

/// A debtor as the generator needs it.
#[derive(Debug, Clone)]
pub struct Payer {
    pub id: DebtorId,
    pub name: String,
    pub ibans: Vec<String>,
}

/// Statements for `days` days from `from`, one per day, on `account`, with about `per_day`
/// entries a day; truth by bank reference.
#[must_use]
pub fn month(
    items: &[BookItemRow],
    payers: &[Payer],
    account: &str,
    from: Date,
    days: i32,
    per_day: usize,
    seed: u64,
) -> (Vec<Statement>, HashMap<String, Truth>) {
    let eur = Currency::EUR;
    let mut rng = Rng::new(seed ^ 0xba4c_0de5);
    let mut by_debtor: HashMap<DebtorId, Vec<&BookItemRow>> = HashMap::new();
    for item in items.iter().filter(|i| i.open_minor > 0 && i.currency == eur) {
        by_debtor.entry(item.debtor_id).or_default().push(item);
    }
    for list in by_debtor.values_mut() {
        list.sort_by_key(|i| (i.due_date, i.id));
    }
    let payer_of: HashMap<DebtorId, &Payer> = payers.iter().map(|p| (p.id, p)).collect();
    let mut debtors: Vec<DebtorId> = by_debtor.keys().copied().collect();
    debtors.sort_unstable();
    // Each item is paid at most once by the generator.
    let mut used: std::collections::HashSet<InvoiceId> = std::collections::HashSet::new();
    let mut truth = HashMap::new();
    let mut statements = Vec::new();
    let mut balance: i64 = 1_000_000_00;
    let mut serial: u64 = 0;
    for day in 0..days {
        let date = add_days(from, day);
        let opening = balance;
        let mut entries = Vec::with_capacity(per_day);
        // Some draws find no fitting payer (no known account, no free item): draw again, a
        // bounded number of times, so a day has `per_day` entries when the book allows it.
        let mut attempts = 0;
        while entries.len() < per_day && attempts < per_day * 4 {
            attempts += 1;
            serial += 1;
            let bank_reference = format!("GEN{seed:x}-{serial:08}");
            let behaviour = rng
                .weighted(&[
                    (Behaviour::Reference, 420),
                    (Behaviour::ReferencePartial, 40),
                    (Behaviour::InvoiceNumber, 140),
                    (Behaviour::SeveralNumbers, 60),
                    (Behaviour::IbanOnly, 90),
                    (Behaviour::IbanSeveral, 40),
                    (Behaviour::BankCosts, 30),
                    (Behaviour::NameOnly, 60),
                    (Behaviour::NotOurs, 60),
                    (Behaviour::Expense, 60),
                ])
                .unwrap_or(Behaviour::Reference);
            let mut entry = Entry {
                booking_date: date,
                value_date: Some(date),
                amount: Money::zero(eur),
                counterparty_name: None,
                counterparty_iban: None,
                counterparty_bic: None,
                reference: None,
                remittance: String::new(),
                end_to_end_id: Some(format!("E2E-{serial}")),
                bank_reference: Some(bank_reference.clone()),
                transaction_code: Some("PMNT/RCDT/ESCT".into()),
                reversal: false,
                return_reason: None,
                location: Location::Line(0),
            };
            let mut pays: Vec<(InvoiceId, i64)> = Vec::new();
            match behaviour {
                Behaviour::NotOurs => {
                    entry.amount = Money::from_minor(rng.range(5_00, 900_00), eur);
                    entry.counterparty_name = Some("Belastingdienst teruggave".into());
                    entry.counterparty_iban = Some("NL86INGB0002445588".into());
                    entry.remittance =
                        format!("Teruggaaf 2025 kenmerk {}", rng.range(100_000, 999_999));
                }
                Behaviour::Expense => {
                    entry.amount = Money::from_minor(-rng.range(10_00, 2_000_00), eur);
                    entry.counterparty_name = Some("Kantoorartikelen Groot BV".into());
                    entry.counterparty_iban = Some("NL20INGB0001234567".into());
                    entry.remittance = format!("Factuur K{}", rng.range(1000, 9999));
                    entry.transaction_code = Some("PMNT/ICDT/ESCT".into());
                }
                _ => {
                    // A debtor with enough unused open items.
                    let mut chosen: Option<(DebtorId, Vec<&BookItemRow>)> = None;
                    for _ in 0..20 {
                        let Some(&d) = debtors.get(rng.below(debtors.len() as u64) as usize) else {
                            break;
                        };
                        let free: Vec<&BookItemRow> = by_debtor
                            .get(&d)
                            .map(|l| l.iter().copied().filter(|i| !used.contains(&i.id)).collect())
                            .unwrap_or_default();
                        let need = match behaviour {
                            Behaviour::SeveralNumbers | Behaviour::IbanSeveral => 2,
                            _ => 1,
                        };
                        if free.len() >= need {
                            chosen = Some((d, free));
                            break;
                        }
                    }
                    let Some((debtor, free)) = chosen else { continue };
                    let payer = payer_of.get(&debtor);
                    let name = payer.map(|p| p.name.clone()).unwrap_or_default();
                    let known_iban = payer.and_then(|p| p.ibans.first().cloned());
                    let first = free.first().copied();
                    let Some(first) = first else { continue };
                    entry.counterparty_name = Some(name.to_uppercase());
                    entry.counterparty_iban = known_iban.clone();
                    match behaviour {
                        Behaviour::Reference | Behaviour::ReferencePartial => {
                            let Some(r) = first
                                .payment_reference
                                .as_deref()
                                .and_then(|r| reference::check(r).ok())
                            else {
                                continue;
                            };
                            let amount = if behaviour == Behaviour::ReferencePartial {
                                (first.open_minor / 2).max(1)
                            } else {
                                first.open_minor
                            };
                            entry.reference = StructuredReference::classify(&r.normalized, false);
                            entry.remittance = r.display();
                            pays.push((first.id, amount));
                        }
                        Behaviour::InvoiceNumber => {
                            entry.remittance = format!("Betaling factuur {} dank u", first.number);
                            pays.push((first.id, first.open_minor));
                        }
                        Behaviour::SeveralNumbers => {
                            let n = free.len().min(2 + rng.below(2) as usize);
                            let some: Vec<&BookItemRow> = free.iter().copied().take(n).collect();
                            let numbers: Vec<&str> =
                                some.iter().map(|i| i.number.as_str()).collect();
                            entry.remittance = format!("Facturen {}", numbers.join(", "));
                            pays.extend(some.iter().map(|i| (i.id, i.open_minor)));
                        }
                        Behaviour::IbanOnly => {
                            if known_iban.is_none() {
                                continue;
                            }
                            let pick = free
                                .get(rng.below(free.len() as u64) as usize)
                                .copied()
                                .unwrap_or(first);
                            entry.remittance = String::new();
                            pays.push((pick.id, pick.open_minor));
                        }
                        Behaviour::IbanSeveral => {
                            if known_iban.is_none() {
                                continue;
                            }
                            let some: Vec<&BookItemRow> = free.iter().copied().take(2).collect();
                            pays.extend(some.iter().map(|i| (i.id, i.open_minor)));
                        }
                        Behaviour::BankCosts => {
                            let cost = rng.range(1, 75).min(first.open_minor - 1).max(0);
                            entry.remittance = format!("Inv {} ", first.number);
                            pays.push((first.id, first.open_minor - cost));
                        }
                        Behaviour::NameOnly => {
                            entry.counterparty_iban = Some(new_iban(&mut rng));
                            entry.counterparty_name = Some(name.clone());
                            pays.push((first.id, first.open_minor));
                        }
                        Behaviour::NotOurs | Behaviour::Expense => {}
                    }
                    let total: i64 = pays.iter().map(|p| p.1).sum();
                    if total <= 0 {
                        continue;
                    }
                    for (id, _) in &pays {
                        used.insert(*id);
                    }
                    entry.amount = Money::from_minor(total, eur);
                }
            }
            if entry.amount.is_zero() {
                continue;
            }
            if entry.amount.is_positive() {
                truth.insert(bank_reference, Truth { behaviour, pays });
            }
            balance += entry.amount.minor();
            entries.push(entry);
        }
        let open =
            Balance { amount: Money::from_minor(opening, eur), date: Some(add_days(date, -1)) };
        let close = Balance { amount: Money::from_minor(balance, eur), date: Some(date) };
        let check = BalanceCheck::compute(Some(&open), &entries, Some(&close));
        statements.push(Statement {
            id: Some(format!("{date}")),
            account: account.to_owned(),
            account_bic: Some("ABNANL2A".into()),
            account_holder: None,
            currency: eur,
            opening_balance: Some(open),
            closing_balance: Some(close),
            from_date: Some(date),
            to_date: Some(date),
            entries,
            balance_check: check,
            location: Location::Line(0),
        });
    }
    let _ = ReferenceKind::Other;
    (statements, truth)
}

/// A valid Dutch IBAN that no demo debtor uses (bank code ZZZZ is not a real bank).
fn new_iban(rng: &mut Rng) -> String {
    let account = format!("{:010}", rng.range(1_000_000_000, 9_999_999_999));
    let bban = format!("TRIO{account}");
    match arflow_core::ident::iban_check_digits("NL", &bban) {
        Ok(check) => format!("NL{check:02}{bban}"),
        Err(_) => format!("NL00{bban}"),
    }
}
