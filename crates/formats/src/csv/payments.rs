//! `payments.csv`: money received (positive) or returned (negative).

use std::collections::HashMap;
use std::io;

use arflow_core::ident;
use arflow_core::ledger::{Payment, PaymentSource, fingerprint};
use arflow_core::money::format_minor;

use super::engine::{self, Column as _, Keys, Row, columns};
use super::{CsvError, CsvOptions, Parsed, Reading};

columns!(
    /// Columns of `payments.csv`, in export order.
    enum Col {
        Date => ("date", true),
        Amount => ("amount", true),
        Currency => ("currency", false),
        Reference => ("reference", false),
        CounterpartyIban => ("counterparty_iban", false),
        CounterpartyName => ("counterparty_name", false),
        InvoiceNumber => ("invoice_number", false),
        ExternalId => ("external_id", false),
    }
);

/// Prefix of the external ids given to rows without one.
pub const FINGERPRINT_PREFIX: &str = "csv:";

/// Per-file state: which explicit ids were seen where, and how often each identical row has
/// occurred so far.
struct Seen {
    external_ids: Keys,
    /// Keyed by [`engine::key128`] of the row's identifying parts.
    occurrences: HashMap<u128, u32>,
}

/// Reads `payments.csv`. Every payment gets `source = csv`.
///
/// A row without `external_id` is identified by `csv:` and the [`fingerprint`] of its date,
/// amount, currency, reference, counterparty IBAN and name, invoice number and its occurrence
/// (1 for the first such row in the file, 2 for an identical second one, …): two identical rows
/// are two payments, and importing the same file again yields the same ids.
///
/// # Errors
/// Every problem in the file (up to [`super::ERRORS_MAX`]), in file order; a file with any
/// error yields no payments.
///
/// # Examples
/// ```
/// use arflow_formats::csv::{parse_payments, CsvOptions};
/// let file = "date,amount,reference\n2026-02-03,121.00,F1\n2026-02-03,121.00,F1\n";
/// let rows = parse_payments(file.as_bytes(), &CsvOptions::default()).unwrap();
/// assert_eq!(rows.len(), 2);
/// assert_ne!(rows[0].record.external_id, rows[1].record.external_id);
/// ```
pub fn parse_payments(
    bytes: &[u8],
    opts: &CsvOptions,
) -> Result<Vec<Parsed<Payment>>, Vec<CsvError>> {
    read_payments(bytes, opts).into_result()
}

/// Like [`parse_payments`], but returns the rows without errors together with every error, so a
/// caller can add its own checks of the good rows to one complete list of problems.
pub fn read_payments(bytes: &[u8], opts: &CsvOptions) -> Reading<Payment> {
    let estimate = engine::rows_estimate(bytes, opts);
    let mut out = Vec::with_capacity(estimate);
    let mut seen =
        Seen { external_ids: Keys::with_capacity(estimate), occurrences: HashMap::new() };
    let mut errors = engine::run::<Col>(bytes, opts, |row| {
        let record = payment(row, opts, &mut seen);
        if let Some(record) = record.filter(|_| !row.failed()) {
            out.push(Parsed { line: row.line, record });
        }
    });
    errors.merge(seen.external_ids.repeats(Col::ExternalId.name(), "duplicate external_id"));
    Reading { records: out, errors: errors.into_list() }
}

fn payment(row: &mut Row<'_, Col>, opts: &CsvOptions, seen: &mut Seen) -> Option<Payment> {
    let date = row.date(Col::Date);
    let currency = row.currency(Col::Currency, opts.default_currency);
    let amount = currency.and_then(|c| row.money(Col::Amount, c));
    if amount.is_some_and(|a| a.is_zero()) {
        row.fail(Col::Amount, row.cell(Col::Amount), "amount is zero; a payment moves money");
    }
    let counterparty_iban = match row.optional(Col::CounterpartyIban) {
        None => None,
        Some(text) => match ident::parse_iban(text) {
            Ok(iban) => Some(iban),
            Err(e) => {
                row.fail(Col::CounterpartyIban, text, format!("not a valid IBAN: {e}"));
                None
            }
        },
    };
    let external_id = row.optional(Col::ExternalId);
    if let Some(id) = external_id {
        seen.external_ids.push(id, row.line);
    }
    let (Some(date), Some(amount)) = (date, amount) else { return None };
    if row.failed() {
        return None;
    }
    let reference = row.optional(Col::Reference);
    let counterparty_name = row.optional(Col::CounterpartyName);
    let invoice_number = row.optional(Col::InvoiceNumber);
    let external_id = match external_id {
        Some(id) => id.to_owned(),
        None => {
            let date = date.to_string();
            let currency = amount.currency();
            let amount = format_minor(amount.minor(), currency);
            let mut parts = [
                date.as_str(),
                amount.as_str(),
                currency.code(),
                reference.unwrap_or_default(),
                counterparty_iban.as_deref().unwrap_or_default(),
                counterparty_name.unwrap_or_default(),
                invoice_number.unwrap_or_default(),
                "",
            ];
            let occurrence = seen.occurrences.entry(engine::key128(&parts)).or_insert(0);
            *occurrence = occurrence.saturating_add(1);
            let occurrence = occurrence.to_string();
            if let Some(last) = parts.last_mut() {
                *last = &occurrence;
            }
            format!("{FINGERPRINT_PREFIX}{}", fingerprint(&parts))
        }
    };
    Some(Payment {
        date,
        amount,
        reference: reference.map(str::to_owned),
        counterparty_iban,
        counterparty_name: counterparty_name.map(str::to_owned),
        source: PaymentSource::Csv,
        invoice_number: invoice_number.map(str::to_owned),
        external_id,
    })
}

/// Writes payments with the columns [`parse_payments`] reads, including each payment's
/// `external_id`, so that the file reads back identically and importing it changes nothing.
/// The source is not written: everything read from CSV has source `csv`.
///
/// # Errors
/// Any error of the writer.
pub fn write_payments(w: impl io::Write, payments: &[Payment]) -> io::Result<()> {
    use engine::Column as _;
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(Col::SPECS.iter().map(|(name, _)| name))?;
    for p in payments {
        let currency = p.amount.currency();
        out.write_record([
            p.date.to_string().as_str(),
            &format_minor(p.amount.minor(), currency),
            currency.code(),
            p.reference.as_deref().unwrap_or_default(),
            p.counterparty_iban.as_deref().unwrap_or_default(),
            p.counterparty_name.as_deref().unwrap_or_default(),
            p.invoice_number.as_deref().unwrap_or_default(),
            &p.external_id,
        ])?;
    }
    out.flush()
}
