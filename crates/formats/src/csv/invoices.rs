//! `invoices.csv`: invoices and credit notes (a negative amount makes a credit note).

use std::io;

use arflow_core::ledger::{Invoice, InvoiceError, InvoiceKind};
use arflow_core::money::{AmountError, format_minor};
use arflow_core::reference;

use super::engine::{self, Column as _, Keys, Row, columns};
use super::{CsvError, CsvOptions, InvoiceRow, Parsed, Reading};

columns!(
    /// Columns of `invoices.csv`, in export order.
    enum Col {
        Number => ("number", true),
        DebtorNumber => ("debtor_number", true),
        IssueDate => ("issue_date", true),
        DueDate => ("due_date", true),
        Amount => ("amount", true),
        Currency => ("currency", false),
        AmountExclVat => ("amount_excl_vat", false),
        PaymentReference => ("payment_reference", false),
        Description => ("description", false),
        ExternalId => ("external_id", false),
        CreditsInvoice => ("credits_invoice", false),
    }
);

/// The reason given for a payment reference that does not validate.
pub(crate) const BAD_REFERENCE: &str = "not a valid payment reference (OGM, RF or betalingskenmerk); leave it empty to have one generated";

/// Reads `invoices.csv`.
///
/// A negative `amount` makes a credit note. Empty `currency` means
/// [`CsvOptions::default_currency`]. A `payment_reference` must be a valid structured reference
/// and is stored in its normalized form; [`InvoiceRow::reference_scheme`] names its scheme.
///
/// # Errors
/// Every problem in the file (up to [`super::ERRORS_MAX`]), in file order; a file with any
/// error yields no invoices.
///
/// # Examples
/// ```
/// use arflow_formats::csv::{parse_invoices, CsvOptions};
/// let file = "number;debtor_number;issue_date;due_date;amount\nF1;D1;2026-01-05;2026-02-04;121,00\n";
/// let rows = parse_invoices(file.as_bytes(), &CsvOptions::default()).unwrap();
/// assert_eq!(rows[0].record.invoice.amount.minor(), 12_100);
/// ```
pub fn parse_invoices(
    bytes: &[u8],
    opts: &CsvOptions,
) -> Result<Vec<Parsed<InvoiceRow>>, Vec<CsvError>> {
    read_invoices(bytes, opts).into_result()
}

/// Like [`parse_invoices`], but returns the rows without errors together with every error, so a
/// caller can add its own checks of the good rows to one complete list of problems.
pub fn read_invoices(bytes: &[u8], opts: &CsvOptions) -> Reading<InvoiceRow> {
    // A large file is read in two halves at once, each gathering its rows and numbers; the
    // numbers share one hasher, so that the halves' keys can be checked for repeats together.
    let estimate = engine::rows_estimate(bytes, opts);
    let hasher = std::hash::RandomState::new();
    let fresh = || (Vec::with_capacity(estimate), Keys::with_hasher(estimate, hasher.clone()));
    let (halves, mut errors) = engine::run_halves::<Col, _>(
        bytes,
        opts,
        fresh,
        |(out, numbers): &mut (Vec<Parsed<InvoiceRow>>, Keys), row| {
            let record = invoice_row(row, opts, numbers);
            if let Some(record) = record.filter(|_| !row.failed()) {
                out.push(Parsed { line: row.line, record });
            }
        },
    );
    let mut halves = halves.into_iter();
    let (mut out, mut numbers) = halves.next().unwrap_or_else(fresh);
    for (more, keys) in halves {
        out.extend(more);
        numbers.append(keys);
    }
    errors.merge(numbers.repeats(Col::Number.name(), "duplicate number"));
    Reading { records: out, errors: errors.into_list() }
}

fn invoice_row(
    row: &mut Row<'_, Col>,
    opts: &CsvOptions,
    numbers: &mut Keys,
) -> Option<InvoiceRow> {
    let number = row.required(Col::Number);
    if let Some(number) = number {
        numbers.push(number, row.line);
    }
    let debtor_number = row.required(Col::DebtorNumber);
    let issue_date = row.date(Col::IssueDate);
    let due_date = row.date(Col::DueDate);
    let currency = row.currency(Col::Currency, opts.default_currency);
    // Amounts are only checked against a currency that is known, so that a typo in the currency
    // does not also produce misleading "too many decimals" errors.
    let (amount, amount_excl_vat) = match currency {
        Some(currency) => {
            (row.money(Col::Amount, currency), row.optional_money(Col::AmountExclVat, currency))
        }
        None => (None, None),
    };
    let (payment_reference, reference_scheme) = match row.optional(Col::PaymentReference) {
        None => (None, None),
        Some(text) => match reference::check(text) {
            Ok(r) => (Some(r.normalized), Some(r.scheme)),
            Err(_) => {
                row.fail(Col::PaymentReference, text, BAD_REFERENCE);
                (None, None)
            }
        },
    };
    let credits_invoice = row.text(Col::CreditsInvoice);
    if let (Some(credited), Some(amount)) = (&credits_invoice, amount) {
        if !amount.is_negative() {
            row.fail(
                Col::CreditsInvoice,
                credited,
                "only a credit note (a negative amount) can credit an invoice",
            );
        } else if number == Some(credited.as_str()) {
            row.fail(Col::CreditsInvoice, credited, "a credit note cannot credit itself");
        }
    }
    let (Some(number), Some(debtor_number), Some(issue_date), Some(due_date), Some(amount)) =
        (number, debtor_number, issue_date, due_date, amount)
    else {
        return None;
    };
    let invoice = Invoice {
        number: number.to_owned(),
        debtor_number: debtor_number.to_owned(),
        kind: if amount.is_negative() { InvoiceKind::CreditNote } else { InvoiceKind::Invoice },
        issue_date,
        due_date,
        amount,
        amount_excl_vat,
        payment_reference,
        description: row.text(Col::Description),
        external_id: row.text(Col::ExternalId),
        credits_invoice,
    };
    if let Err(e) = invoice.validate() {
        let (column, value) = match &e {
            InvoiceError::DueBeforeIssue { .. } => (Col::DueDate, row.cell(Col::DueDate)),
            InvoiceError::WrongSign | InvoiceError::Zero => (Col::Amount, row.cell(Col::Amount)),
            InvoiceError::ExclExceedsIncl { .. } | InvoiceError::Amount(_) => {
                (Col::AmountExclVat, row.cell(Col::AmountExclVat))
            }
        };
        let reason = match e {
            InvoiceError::Zero => {
                "amount is zero; an invoice needs a positive amount, a credit note a negative one"
                    .to_owned()
            }
            InvoiceError::Amount(AmountError::CurrencyMismatch(..)) => {
                "amount excluding VAT is in another currency than the amount".to_owned()
            }
            other => other.to_string(),
        };
        row.fail(column, value, reason);
    }
    if row.failed() {
        return None;
    }
    Some(InvoiceRow { invoice, reference_scheme })
}

/// Writes invoices and credit notes with the columns [`parse_invoices`] reads, so that the file
/// reads back identically. Amounts are written with `.` and the currency's decimals.
///
/// # Errors
/// Any error of the writer.
pub fn write_invoices(w: impl io::Write, invoices: &[Invoice]) -> io::Result<()> {
    use engine::Column as _;
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(Col::SPECS.iter().map(|(name, _)| name))?;
    for inv in invoices {
        let currency = inv.amount.currency();
        let excl = inv.amount_excl_vat.map(|m| format_minor(m.minor(), m.currency()));
        out.write_record([
            inv.number.as_str(),
            &inv.debtor_number,
            &inv.issue_date.to_string(),
            &inv.due_date.to_string(),
            &format_minor(inv.amount.minor(), currency),
            currency.code(),
            excl.as_deref().unwrap_or_default(),
            inv.payment_reference.as_deref().unwrap_or_default(),
            inv.description.as_deref().unwrap_or_default(),
            inv.external_id.as_deref().unwrap_or_default(),
            inv.credits_invoice.as_deref().unwrap_or_default(),
        ])?;
    }
    out.flush()
}
