//! The receivables ledger: invoices, credit notes, payments and the allocations that link them.
//!
//! Balances are never stored as truth: the open amount of an item is its amount minus what is
//! allocated to it, and what was open on a past date is the same sum restricted to allocations
//! effective on or before that date. Payments are immutable; a reversal is a new negative payment.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::date::day_number;
use crate::money::{AmountError, Currency, Money};
use crate::party::vocabulary;

vocabulary!(
    /// An invoice claims money; a credit note reverses (part of) a claim.
    InvoiceKind, "invoice kind", { Invoice => "invoice", CreditNote => "credit_note" }
);

vocabulary!(
    /// Where a payment came from.
    PaymentSource, "payment source", {
        Csv => "csv",
        Api => "api",
        Bank => "bank",
        Manual => "manual",
        Portal => "portal",
    }
);

/// An invoice or a credit note.
///
/// Amounts are signed: an invoice is positive, a credit note negative. `amount` is what is
/// payable (including VAT); `amount_excl_vat` is kept when the source gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The organisation's invoice number; unique within the organisation across invoices and
    /// credit notes.
    pub number: String,
    pub debtor_number: String,
    pub kind: InvoiceKind,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: Money,
    pub amount_excl_vat: Option<Money>,
    pub payment_reference: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    /// For a credit note: the invoice it credits, when known.
    pub credits_invoice: Option<String>,
}

/// Why an invoice is not consistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("due date {due} is before issue date {issue}")]
    DueBeforeIssue { issue: Date, due: Date },
    #[error("an invoice amount must be positive; a credit note's negative")]
    WrongSign,
    #[error("amount is zero")]
    Zero,
    #[error(
        "amount excluding VAT {excl} exceeds the amount {incl} in absolute value or has the other sign"
    )]
    ExclExceedsIncl { excl: Money, incl: Money },
    #[error(transparent)]
    Amount(#[from] AmountError),
}

impl Invoice {
    /// Checks the rules every invoice obeys, whatever its source.
    ///
    /// # Errors
    /// The first [`InvoiceError`] found.
    pub fn validate(&self) -> Result<(), InvoiceError> {
        if self.due_date < self.issue_date {
            return Err(InvoiceError::DueBeforeIssue {
                issue: self.issue_date,
                due: self.due_date,
            });
        }
        if self.amount.is_zero() {
            return Err(InvoiceError::Zero);
        }
        let sign_ok = match self.kind {
            InvoiceKind::Invoice => self.amount.is_positive(),
            InvoiceKind::CreditNote => self.amount.is_negative(),
        };
        if !sign_ok {
            return Err(InvoiceError::WrongSign);
        }
        if let Some(excl) = self.amount_excl_vat {
            if excl.currency() != self.amount.currency() {
                return Err(
                    AmountError::CurrencyMismatch(excl.currency(), self.amount.currency()).into()
                );
            }
            let same_sign = excl.is_zero() || (excl.is_negative() == self.amount.is_negative());
            if !same_sign || excl.minor().unsigned_abs() > self.amount.minor().unsigned_abs() {
                return Err(InvoiceError::ExclExceedsIncl { excl, incl: self.amount });
            }
        }
        Ok(())
    }

    pub fn currency(&self) -> Currency {
        self.amount.currency()
    }
}

/// Money received (positive) or returned (negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub date: Date,
    pub amount: Money,
    /// Payment reference or remittance text as received.
    pub reference: Option<String>,
    pub counterparty_iban: Option<String>,
    pub counterparty_name: Option<String>,
    pub source: PaymentSource,
    /// The invoice the payer named, if any.
    pub invoice_number: Option<String>,
    /// A stable identity of the payment at its source (bank reference, CSV fingerprint, API key).
    pub external_id: String,
}

/// One item that can still be allocated: an invoice with an open positive balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice<K> {
    pub key: K,
    pub due_date: Date,
    pub issue_date: Date,
    pub open: Money,
}

/// A planned allocation of part of a payment or credit note to an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAllocation<K> {
    pub key: K,
    pub amount: Money,
}

/// Spreads `available` over open invoices, oldest due date first (then oldest issue date), never
/// allocating more than an invoice's open amount. What is left over stays unapplied credit.
///
/// The order follows common practice and art. 6:43 BW (a payment without designation goes to the
/// most burdensome, in practice the oldest, debt); interest and costs first (art. 6:44 BW) is the
/// dunning engine's concern, not this principal-only allocation.
///
/// # Errors
/// [`AmountError::CurrencyMismatch`] when an invoice is in another currency than the money.
pub fn plan_allocation<K: Clone>(
    available: Money,
    invoices: &[OpenInvoice<K>],
) -> Result<(Vec<PlannedAllocation<K>>, Money), AmountError> {
    let mut order: Vec<&OpenInvoice<K>> =
        invoices.iter().filter(|i| i.open.is_positive()).collect();
    order.sort_by_key(|i| (i.due_date, i.issue_date));
    let mut left = available;
    let mut planned = Vec::new();
    for inv in order {
        if !left.is_positive() {
            break;
        }
        if inv.open.currency() != left.currency() {
            return Err(AmountError::CurrencyMismatch(inv.open.currency(), left.currency()));
        }
        let take = Money::from_minor(left.minor().min(inv.open.minor()), left.currency());
        left = left.checked_sub(take)?;
        planned.push(PlannedAllocation { key: inv.key.clone(), amount: take });
    }
    Ok((planned, left))
}

/// The ageing status of an item on a date, derived from its due date.
pub fn days_overdue(due_date: Date, as_of: Date) -> i64 {
    if as_of <= due_date { 0 } else { i64::from(day_number(as_of) - day_number(due_date)) }
}

/// A stable 128-bit fingerprint of text parts: FNV-1a over the parts joined with the unit
/// separator 0x1F, as 32 lowercase hex digits.
///
/// It gives a record that has no identity of its own (a payment row in a CSV file) a
/// deterministic one, so that importing the same file again finds the same ids. It is not a
/// cryptographic hash: it guards against accidents, not against someone forging a collision.
///
/// # Examples
/// ```
/// use arflow_core::ledger::fingerprint;
/// assert_eq!(fingerprint(&["a"]), "d228cb696f1a8caf78912b704e4a8964");
/// assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab"]));
/// ```
pub fn fingerprint(parts: &[&str]) -> String {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET_BASIS;
    let mut eat = |byte: u8| {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(PRIME);
    };
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        part.bytes().for_each(&mut eat);
    }
    format!("{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn invoice(amount: i64) -> Invoice {
        Invoice {
            number: "F1".into(),
            debtor_number: "D1".into(),
            kind: if amount < 0 { InvoiceKind::CreditNote } else { InvoiceKind::Invoice },
            issue_date: date(2026, 1, 1),
            due_date: date(2026, 1, 31),
            amount: eur(amount),
            amount_excl_vat: None,
            payment_reference: None,
            description: None,
            external_id: None,
            credits_invoice: None,
        }
    }

    #[test]
    fn invoices_are_checked_for_dates_signs_and_vat() {
        assert_eq!(invoice(100).validate(), Ok(()));
        assert_eq!(invoice(-100).validate(), Ok(()));
        let mut bad = invoice(100);
        bad.due_date = date(2025, 12, 31);
        assert!(matches!(bad.validate(), Err(InvoiceError::DueBeforeIssue { .. })));
        let mut bad = invoice(100);
        bad.kind = InvoiceKind::CreditNote;
        assert_eq!(bad.validate(), Err(InvoiceError::WrongSign));
        let mut bad = invoice(121);
        bad.amount_excl_vat = Some(eur(150));
        assert!(matches!(bad.validate(), Err(InvoiceError::ExclExceedsIncl { .. })));
        assert_eq!(invoice(0).validate(), Err(InvoiceError::Zero));
    }

    #[test]
    fn a_payment_is_spread_oldest_first_and_the_rest_stays_unapplied() {
        let items = vec![
            OpenInvoice {
                key: "new",
                due_date: date(2026, 3, 1),
                issue_date: date(2026, 2, 1),
                open: eur(500),
            },
            OpenInvoice {
                key: "old",
                due_date: date(2026, 2, 1),
                issue_date: date(2026, 1, 1),
                open: eur(300),
            },
        ];
        let (plan, left) = plan_allocation(eur(1000), &items).unwrap();
        assert_eq!(
            plan,
            vec![
                PlannedAllocation { key: "old", amount: eur(300) },
                PlannedAllocation { key: "new", amount: eur(500) },
            ]
        );
        assert_eq!(left, eur(200));
        let (plan, left) = plan_allocation(eur(100), &items).unwrap();
        assert_eq!(plan, vec![PlannedAllocation { key: "old", amount: eur(100) }]);
        assert!(left.is_zero());
    }

    #[test]
    fn days_overdue_counts_from_the_day_after_the_due_date() {
        assert_eq!(days_overdue(date(2026, 1, 31), date(2026, 1, 31)), 0);
        assert_eq!(days_overdue(date(2026, 1, 31), date(2026, 2, 1)), 1);
        assert_eq!(days_overdue(date(2026, 1, 31), date(2026, 1, 1)), 0);
    }

    #[test]
    fn fingerprints_are_fnv1a_128_over_the_joined_parts() {
        // Published FNV-1a 128 test vectors: the empty string gives the offset basis.
        assert_eq!(fingerprint(&[]), "6c62272e07bb014262b821756295c58d");
        assert_eq!(fingerprint(&[""]), "6c62272e07bb014262b821756295c58d");
        assert_eq!(fingerprint(&["a"]), "d228cb696f1a8caf78912b704e4a8964");
        assert_eq!(fingerprint(&["foobar"]), "343e1662793c64bf6f0d3597ba446f18");
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a\u{1f}b"]));
        assert_eq!(fingerprint(&["a", "b"]), "a68d634d1d8b5822836dbc797860f699");
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab"]));
        assert_ne!(fingerprint(&["", "x"]), fingerprint(&["x", ""]));
    }
}
