//! Belgian CODA 2.x bank statements (Febelfin "Coded statement of account", "Gecodeerde
//! berichtgeving"): bytes in, [`ParsedStatements`] or every problem out; and a writer that
//! produces valid CODA 2 from the shared model, for round-trip tests, benchmarks and test data.
//!
//! # The format
//!
//! A CODA file is fixed-width text, one 128-character record per line, in this order:
//! `0` header, `1` old balance, per movement `21` [`22`] [`23`] with its information records
//! `31` [`32`] [`33`], optional `4` free messages, `8` new balance, `9` trailer. One file may hold
//! several statements: the `0 … 9` block repeats. Amounts are 15 digits with 3 implied decimals
//! and a separate sign (`0` credit, `1` debit); dates are `DDMMYY` with `000000` for "unknown"
//! (two-digit years 80-99 are 1980-1999, 00-79 are 2000-2079). Positions below are 1-based, as
//! the standard numbers them (facts: `shared/notes/legal-and-formats.md` §6.1).
//!
//! Reading is tolerant of what transport does to text files (trailing blanks stripped, CRLF, LF,
//! lone CR or a mix, blank lines, UTF-8 or Latin-1 / Windows-1252) and strict about content:
//! only version 2 (header pos 128) is read, a record of an unknown type or out of order is an
//! error, and every amount must be exact in the account currency (a third decimal other than 0
//! on a euro amount is refused, never rounded).
//!
//! # Where each field goes
//!
//! | CODA | model |
//! | --- | --- |
//! | 0: pos 61-71 BIC of the account's bank | [`Statement::account_bic`] |
//! | 1: pos 2 account structure, 6-42 account + currency | [`Statement::account`] (IBAN in electronic form for structures 2 and 3, the number as written for 0 and 1), [`Statement::currency`] |
//! | 1: pos 3-5 paper statement number | [`Statement::id`] (as written, e.g. `042`; `None` when zeros) |
//! | 1: 43-64 old balance, 65-90 holder | opening balance, [`Statement::account_holder`] |
//! | 8: 42-63 new balance | closing balance; its date is also [`Statement::to_date`] ([`Statement::from_date`] stays `None`: CODA does not say where a statement starts) |
//! | 21: 11-31 bank reference | [`Entry::bank_reference`] |
//! | 21: 32-47 sign + amount, 48-53 value date, 116-121 entry date | amount, value date, booking date (the entry date; else the value date; else the statement's new-balance date) |
//! | 21: 54-61 transaction code (type, family, transaction, category) | [`Entry::transaction_code`], all 8 digits as written, e.g. `00150000` |
//! | 21: 62-115 + 22: 11-63 + 23: 83-115 communication | free (62 = `0`): [`Entry::remittance`], with [`StructuredReference::find_in_text`]; structured (62 = `1`): see below |
//! | 22: 64-98 customer reference, 99-109 BIC, 113 R-type, 114-117 reason | end-to-end id, counterparty BIC, [`Entry::reversal`] (R-type 1-5: reject, return, refund, reversal, cancellation), [`Entry::return_reason`] |
//! | 23: 11-44 account, 48-82 name | counterparty IBAN (electronic form when it is one) and name |
//! | 31/32/33 free information (31 pos 40 = `0`) | appended to the remittance text |
//! | 31 structured type `001` (counterparty data) | the counterparty name when record 23 gives none |
//! | 4 free messages | one warning per statement with their text (the model has no place for statement-level messages) |
//! | 9 record count and debit/credit totals | checked; a mismatch is a warning |
//!
//! Structured communications (21 pos 63-65 give the type): `101` and `102` carry a Belgian OGM at
//! pos 66-77, checked with [`StructuredReference::classify_as`] (a number that fails the check is
//! kept as [`ReferenceKind::Other`] with its digits, so extraction and validation stay separate);
//! `100` carries an ISO 11649 RF reference (21 characters); `127` (SEPA direct debit) is decoded
//! for its free communication; every other type is kept as [`ReferenceKind::Other`] with its type
//! code and text (for example `114 …` for a POS payment). Text following a reference in the
//! communication zones, and free information records, form the remittance text.
//!
//! # Globalised movements
//!
//! A movement whose globalisation code (21 pos 125) is above 0 is a total (a batch); its details
//! follow with the same sequence number and higher detail numbers, and the detail whose code
//! equals an open level closes that level. The balance and the trailer count the totals only
//! (detail number `0000`), so an import must never count both levels.
//!
//! This reader produces **the details instead of the total** when the details close every level
//! the total opened and the details at the lowest level add up exactly to the total: opening
//! balance + entries = closing balance still holds, and each detail is one payment that can be
//! matched on its own (a collected batch of direct debits, a transfer with its charges, card
//! settlements). So that every entry can be reconciled on its own, a detail's remittance text
//! starts with the total's communication (once; not repeated when the detail says the same), a
//! detail without a checked reference of its own (OGM, RF) takes the total's, and a detail that
//! names no counterparty takes the total's; the transaction-code type (`5`, `6`, `7`, `8`, `9`)
//! says that an entry is a detail. This is also the view of Odoo's CODA import (30 lines for the
//! 32 movement records of pycoda's single-statement sample). When the details do not reconcile
//! with the total (a level never closed, or a different sum) the total alone is the entry and a
//! warning says why. A total without details, or details under a total whose globalisation code
//! is 0, give the total alone.

use arflow_core::date::Date;
use arflow_core::money::{Currency, Money};
use arflow_core::reference::ReferenceScheme;

use super::{
    Balance, BalanceCheck, Entry, Location, MAX_ENTRIES, MAX_FILE_BYTES, MAX_REMITTANCE_CHARS,
    ParsedStatements, Problem, ReferenceKind, Statement, StatementError, StatementFormat,
    StructuredReference, decode_text, lines,
};

/// Characters in one CODA record.
pub const RECORD_CHARS: usize = 128;

/// The precise message kind of every file this module reads.
pub const MESSAGE: &str = "CODA 2";

/// Most problems (and, separately, warnings) reported for one file; a final entry says when
/// more were left out.
const PROBLEMS_MAX: usize = 1000;

/// Longest text kept from the information records of one movement, in bytes, before the
/// remittance is cut to [`MAX_REMITTANCE_CHARS`]: bounds memory on hostile files.
const INFO_BYTES_MAX: usize = 4 * MAX_REMITTANCE_CHARS;

/// Longest value kept for a structured reference of scheme `other`, in characters.
const OTHER_REFERENCE_CHARS_MAX: usize = 140;

/// Width of the communication zones: 21 pos 63-115, 22 pos 11-63, 23 pos 83-115.
const ZONE_21: usize = 53;
const ZONE_22: usize = 53;
const ZONE_23: usize = 33;
/// Width of the information zones: 31 pos 41-113, 32 pos 11-115, 33 pos 11-100.
const ZONE_31: usize = 73;
const ZONE_32: usize = 105;
const ZONE_33: usize = 90;

/// Reads a CODA 2.x file: every statement in it, or every problem found.
///
/// # Errors
/// [`StatementError`] listing every problem with its line, the record and positions concerned
/// (`record 21 pos 33-47 amount`) and the reason: a file that is not CODA, a version other than
/// 2, records out of order or of unknown type, unreadable numbers and dates, amounts that are
/// not exact in the account's currency, a truncated file, or a file above [`MAX_FILE_BYTES`] or
/// [`MAX_ENTRIES`].
///
/// # Examples
/// ```
/// use arflow_formats::statement::coda::{parse, write_coda};
/// assert!(parse(b"not a CODA file").is_err());
/// let none = write_coda(&[]);
/// assert!(parse(none.as_bytes()).is_err(), "an empty file is refused");
/// ```
pub fn parse(bytes: &[u8]) -> Result<ParsedStatements, StatementError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(StatementError::one(
            Location::Byte(0),
            None,
            format!(
                "the file has {} bytes; the largest statement file accepted has {MAX_FILE_BYTES}",
                bytes.len()
            ),
        ));
    }
    let text = decode_text(bytes);
    let mut reader = Reader::new();
    for (number, line) in lines(&text) {
        if reader.stop {
            break;
        }
        reader.record(number, line);
    }
    reader.finish()
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// One record (a line without its line ending and trailing blanks), addressed by the 1-based
/// character positions of the standard.
#[derive(Debug)]
struct Rec<'a> {
    text: &'a str,
    /// Byte offset of every character when the record holds non-ASCII text; `None` when ASCII,
    /// where characters and bytes coincide.
    starts: Option<Vec<usize>>,
    line: u32,
}

impl<'a> Rec<'a> {
    fn new(text: &'a str, line: u32) -> Rec<'a> {
        let starts = if text.is_ascii() {
            None
        } else {
            Some(text.char_indices().map(|(i, _)| i).collect())
        };
        Rec { text, starts, line }
    }

    fn chars(&self) -> usize {
        self.starts.as_ref().map_or(self.text.len(), Vec::len)
    }

    /// Byte offset of the character at 0-based `index`, or the end of the text.
    fn offset(&self, index: usize) -> usize {
        match &self.starts {
            None => index.min(self.text.len()),
            Some(starts) => starts.get(index).copied().unwrap_or(self.text.len()),
        }
    }

    /// Positions `from..=to`: shorter, or empty, where the record ends early (a record whose
    /// trailing blanks were stripped).
    fn field(&self, from: usize, to: usize) -> &'a str {
        let start = self.offset(from.saturating_sub(1));
        let end = self.offset(to).max(start);
        self.text.get(start..end).unwrap_or("")
    }

    /// The character at `pos`, a blank beyond the end.
    fn at(&self, pos: usize) -> char {
        self.field(pos, pos).chars().next().unwrap_or(' ')
    }
}

/// Problems of one kind (errors or warnings), capped at [`PROBLEMS_MAX`].
#[derive(Debug, Default)]
struct Problems {
    list: Vec<Problem>,
    full: bool,
}

impl Problems {
    fn push(&mut self, line: u32, field: Option<String>, reason: impl Into<String>) {
        if self.full {
            return;
        }
        if self.list.len() >= PROBLEMS_MAX {
            self.full = true;
            self.list.push(Problem::at(
                Location::Line(line),
                None,
                format!("more than {PROBLEMS_MAX} problems; the rest are not listed"),
            ));
            return;
        }
        self.list.push(Problem::at(Location::Line(line), field, reason));
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// `record 21 pos 33-47 amount`.
fn field_name(record: &str, from: usize, to: usize, name: &str) -> String {
    if from == to {
        format!("record {record} pos {from} {name}")
    } else {
        format!("record {record} pos {from}-{to} {name}")
    }
}

/// Exactly `width` ASCII digits as a number (`width` ≤ 18).
fn number(text: &str, width: usize) -> Result<u64, String> {
    if text.len() == width && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.bytes().fold(0_u64, |acc, b| acc * 10 + u64::from(b - b'0')))
    } else if text.trim().is_empty() {
        Err(format!("missing: {width} digits expected"))
    } else {
        Err(format!("{width} digits expected, found '{}'", text.trim_end()))
    }
}

/// `1234.567`: thousandths as the decimal CODA means.
fn thousandths_text(value: u128) -> String {
    format!("{}.{:03}", value / 1000, value % 1000)
}

/// Reads the numeric field `from..=to`, reporting a problem.
fn read_number(
    rec: &Rec<'_>,
    from: usize,
    to: usize,
    record: &str,
    name: &str,
    errors: &mut Problems,
) -> Option<u64> {
    match number(rec.field(from, to), to + 1 - from) {
        Ok(n) => Some(n),
        Err(reason) => {
            errors.push(rec.line, Some(field_name(record, from, to, name)), reason);
            None
        }
    }
}

/// A sign digit: `Some(true)` for debit (`1`), `Some(false)` for credit (`0`).
fn read_sign(rec: &Rec<'_>, pos: usize, record: &str, errors: &mut Problems) -> Option<bool> {
    match rec.at(pos) {
        '0' => Some(false),
        '1' => Some(true),
        other => {
            errors.push(
                rec.line,
                Some(field_name(record, pos, pos, "sign")),
                format!("must be 0 (credit) or 1 (debit), found '{other}'"),
            );
            None
        }
    }
}

/// An amount of 15 digits with 3 implied decimals, signed, as exact money in `currency`; also
/// the unsigned thousandths, for the trailer totals.
fn read_amount(
    rec: &Rec<'_>,
    sign_pos: usize,
    record: &str,
    currency: Currency,
    errors: &mut Problems,
) -> Option<(Money, u64)> {
    let debit = read_sign(rec, sign_pos, record, errors);
    let (from, to) = (sign_pos + 1, sign_pos + 15);
    let thousandths = read_number(rec, from, to, record, "amount", errors)?;
    let debit = debit?;
    let digits = currency.minor_digits();
    let Some(scale) = 3_u32.checked_sub(digits).map(|d| 10_u64.pow(d)) else {
        errors.push(
            rec.line,
            Some(field_name(record, from, to, "amount")),
            format!("{currency} has more decimals than CODA amounts carry"),
        );
        return None;
    };
    if thousandths % scale != 0 {
        errors.push(
            rec.line,
            Some(field_name(record, from, to, "amount")),
            format!(
                "{} {currency} has more decimals than {currency} allows ({digits}); it cannot be booked exactly",
                thousandths_text(u128::from(thousandths))
            ),
        );
        return None;
    }
    // At most 15 digits, so it fits an i64 with room to spare.
    let minor = i64::try_from(thousandths / scale).unwrap_or(i64::MAX);
    let minor = if debit { -minor } else { minor };
    Some((Money::from_minor(minor, currency), thousandths))
}

/// A `DDMMYY` date at `from..from+5`; `Some(None)` for `000000`.
fn read_date(
    rec: &Rec<'_>,
    from: usize,
    record: &str,
    name: &str,
    errors: &mut Problems,
) -> Option<Option<Date>> {
    let to = from + 5;
    let text = rec.field(from, to);
    if text == "000000" {
        return Some(None);
    }
    let result = number(text, 6).and_then(|n| {
        let (day, month, yy) = (n / 10_000, n / 100 % 100, n % 100);
        let year = if yy < 80 { 2000 + yy } else { 1900 + yy };
        let parts = (i16::try_from(year), i8::try_from(month), i8::try_from(day));
        match parts {
            (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d)
                .map_err(|_| format!("'{text}' is not a date (DDMMYY, or 000000 when unknown)")),
            _ => Err(format!("'{text}' is not a date (DDMMYY)")),
        }
    });
    match result {
        Ok(date) => Some(Some(date)),
        Err(reason) => {
            errors.push(rec.line, Some(field_name(record, from, to, name)), reason);
            None
        }
    }
}

/// A three-letter currency code.
fn read_currency(
    rec: &Rec<'_>,
    from: usize,
    record: &str,
    errors: &mut Problems,
) -> Option<Currency> {
    let text = rec.field(from, from + 2);
    match Currency::parse(text) {
        Ok(currency) => Some(currency),
        Err(e) => {
            let reason = if text.trim().is_empty() {
                "missing: the account's ISO currency code is required".to_owned()
            } else {
                format!("'{text}': {e}")
            };
            errors.push(rec.line, Some(field_name(record, from, from + 2, "currency")), reason);
            None
        }
    }
}

/// Positions of the account number and the currency in the 37-character account zone that
/// starts at `start` (6 in record 1, 5 in record 8), by account structure (record 1 pos 2).
fn account_positions(start: usize, structure: u8) -> ((usize, usize), usize) {
    match structure {
        // 12-digit Belgian number, a blank, the currency.
        0 => ((start, start + 11), start + 13),
        // 31-character IBAN of a Belgian account, 3 blanks, the currency.
        2 => ((start, start + 30), start + 34),
        // 34-character foreign number or IBAN, the currency.
        _ => ((start, start + 33), start + 34),
    }
}

/// The account as the model keeps it: an IBAN in electronic form, other numbers as written.
fn account_text(structure: u8, raw: &str) -> String {
    match structure {
        2 | 3 => raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase(),
        _ => raw.trim().to_owned(),
    }
}

/// Two letters, two digits and letters or digits, 15 to 34 in all.
fn iban_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    (15..=34).contains(&b.len())
        && b.iter().take(2).all(u8::is_ascii_alphabetic)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// A counterparty account (23 pos 11-44): an IBAN in electronic form when it is one (also when
/// the bank wrote other text after it), otherwise as written.
fn counterparty_account(zone: &str) -> Option<String> {
    let text = zone.trim();
    if text.is_empty() {
        return None;
    }
    let first = text.split_whitespace().next().unwrap_or(text).to_ascii_uppercase();
    if iban_shaped(&first) {
        return Some(first);
    }
    let compact: String = text.split_whitespace().collect::<String>().to_ascii_uppercase();
    if iban_shaped(&compact) {
        return Some(compact);
    }
    Some(text.to_owned())
}

/// Appends `text` to `out`, padded with blanks to `width` characters: communication zones are
/// one continuous text cut into fixed widths, so a word may run from one zone into the next.
fn push_zone(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    let chars = if text.is_ascii() { text.len() } else { text.chars().count() };
    for _ in chars..width {
        out.push(' ');
    }
}

/// `text` split after its first `n` characters.
fn split_chars(text: &str, n: usize) -> (&str, &str) {
    let at = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    text.split_at(at)
}

/// Appends the words of `text` to `out`, separated by single spaces.
fn collapse_into(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Cuts `text` to [`MAX_REMITTANCE_CHARS`] characters.
fn cap_remittance(text: &mut String) {
    if text.len() > MAX_REMITTANCE_CHARS
        && let Some((cut, _)) = text.char_indices().nth(MAX_REMITTANCE_CHARS)
    {
        text.truncate(cut);
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn other_reference(text: &str) -> StructuredReference {
    StructuredReference {
        scheme: ReferenceKind::Other,
        value: text.trim().chars().take(OTHER_REFERENCE_CHARS_MAX).collect(),
    }
}

/// A reference of `scheme` as the file marks it; kept as `other` when it fails its check.
fn marked_reference(scheme: ReferenceScheme, text: &str) -> Option<StructuredReference> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    StructuredReference::classify_as(scheme, text).or_else(|| Some(other_reference(text)))
}

/// One movement record 21 with what its 22, 23 and 3x records added.
#[derive(Debug)]
struct Movement<'a> {
    line: u32,
    /// Positions 3-6 and 7-10 as written: 22, 23 and 3x records must repeat them.
    seq: &'a str,
    detail: &'a str,
    bank_reference: &'a str,
    amount: Money,
    value_date: Option<Date>,
    entry_date: Option<Date>,
    code: &'a str,
    structured: bool,
    /// 0 = none, 1-9 = the globalisation level this movement opens or closes.
    globalisation: u8,
    comm21: &'a str,
    comm22: Option<&'a str>,
    comm23: Option<&'a str>,
    customer_reference: &'a str,
    bic: &'a str,
    r_type: char,
    reason: &'a str,
    counterparty_account: &'a str,
    counterparty_name: &'a str,
    has23: bool,
    /// Free text of the information records, zones padded as in the file.
    info: String,
    /// Whether 32/33 records continue a free information record (or a structured one, ignored).
    info_free_open: bool,
    /// The counterparty name of a structured information record of type 001.
    info_name: Option<&'a str>,
}

/// A movement with detail number 0000 and the details that follow it.
#[derive(Debug)]
struct Group<'a> {
    main: Movement<'a>,
    details: Vec<Movement<'a>>,
}

impl<'a> Group<'a> {
    fn current(&mut self) -> &mut Movement<'a> {
        match self.details.last_mut() {
            Some(detail) => detail,
            None => &mut self.main,
        }
    }
}

/// What record 1 said.
#[derive(Debug)]
struct Old {
    structure: u8,
    account: String,
    currency: Currency,
    balance: Balance,
    holder: Option<String>,
    paper_sequence: Option<String>,
}

/// A statement between its header record 0 and its trailer record 9.
#[derive(Debug)]
struct Open<'a> {
    header_line: u32,
    bic: Option<String>,
    creation_date: Option<Date>,
    old: Option<Old>,
    closing: Option<Balance>,
    group: Option<Group<'a>>,
    entries: Vec<Entry>,
    /// Entries without entry date or value date: they get the statement's date at the end.
    undated: Vec<usize>,
    /// Records 1, 2x, 3x and 8, as the trailer counts them.
    records: u64,
    debit_thousandths: u128,
    credit_thousandths: u128,
    free_message: String,
    free_message_line: u32,
}

impl Open<'_> {
    fn currency(&self) -> Currency {
        self.old.as_ref().map_or(Currency::EUR, |old| old.currency)
    }
}

#[derive(Debug)]
enum State<'a> {
    /// Before the first header, or after a trailer.
    Outside,
    /// After a structural error: nothing more is read until the next header record 0.
    Skipping,
    /// Header and old balance read, movements may come.
    Open(Box<Open<'a>>),
    /// New balance read; free messages and the trailer may come.
    Closed(Box<Open<'a>>),
}

#[derive(Debug)]
struct Reader<'a> {
    errors: Problems,
    warnings: Problems,
    statements: Vec<Statement>,
    state: State<'a>,
    first_line: Option<u32>,
    last_line: u32,
    movements: usize,
    stop: bool,
}

impl<'a> Reader<'a> {
    fn new() -> Reader<'a> {
        Reader {
            errors: Problems::default(),
            warnings: Problems::default(),
            statements: Vec::new(),
            state: State::Outside,
            first_line: None,
            last_line: 0,
            movements: 0,
            stop: false,
        }
    }

    fn record(&mut self, number: u32, raw: &'a str) {
        let text = raw.trim_end();
        if text.trim_start().is_empty() {
            return;
        }
        self.last_line = number;
        let rec = Rec::new(text, number);
        let kind = rec.at(1);
        if self.first_line.is_none() {
            self.first_line = Some(number);
            if kind != '0' {
                self.errors.push(
                    number,
                    None,
                    "not a CODA file: a CODA file starts with a header record, a line of 128 \
                     characters beginning with 0",
                );
                self.stop = true;
                return;
            }
        }
        if rec.chars() > RECORD_CHARS {
            self.errors.push(
                number,
                None,
                format!(
                    "the record has {} characters; CODA records have {RECORD_CHARS}",
                    rec.chars()
                ),
            );
        }
        let state = std::mem::replace(&mut self.state, State::Skipping);
        self.state = match (state, kind) {
            (State::Open(open) | State::Closed(open), '0') => {
                self.errors.push(
                    number,
                    Some("record 0".to_owned()),
                    format!(
                        "a header record 0 before the trailer record 9 of the statement that \
                         starts on line {}",
                        open.header_line
                    ),
                );
                self.header(&rec)
            }
            (_, '0') => self.header(&rec),
            (State::Skipping, _) => State::Skipping,
            (State::Outside, other) => {
                self.errors.push(
                    number,
                    Some(format!("record {other}")),
                    "outside a statement: after a trailer record 9 the next statement must start \
                     with a header record 0",
                );
                State::Skipping
            }
            (State::Open(mut open), kind) => {
                let ok = match (kind, rec.at(2)) {
                    ('1', _) => self.old_balance(&mut open, &rec),
                    ('2' | '3' | '4' | '8', _) if open.old.is_none() => {
                        self.structure(&rec, "the old balance record 1 must follow the header");
                        false
                    }
                    ('2', '1') => self.movement(&mut open, &rec),
                    ('2', '2') => self.movement_part2(&mut open, &rec),
                    ('2', '3') => self.movement_part3(&mut open, &rec),
                    ('3', article @ ('1' | '2' | '3')) => {
                        self.information(&mut open, &rec, article)
                    }
                    ('4', _) => {
                        self.free_message(&mut open, &rec);
                        true
                    }
                    ('8', _) => {
                        self.settle_group(&mut open);
                        if self.new_balance(&mut open, &rec) {
                            return self.set(State::Closed(open));
                        }
                        false
                    }
                    ('9', _) => {
                        self.structure(
                            &rec,
                            "the trailer record 9 must follow a new balance record 8",
                        );
                        false
                    }
                    (kind, article) => {
                        self.unknown(&rec, kind, article);
                        false
                    }
                };
                if ok { State::Open(open) } else { State::Skipping }
            }
            (State::Closed(mut open), kind) => match kind {
                '4' => {
                    self.free_message(&mut open, &rec);
                    State::Closed(open)
                }
                '9' => {
                    self.trailer(*open, &rec);
                    State::Outside
                }
                '1' | '2' | '3' | '8' => {
                    self.structure(
                        &rec,
                        "only free messages (4) and the trailer record 9 may follow the new \
                         balance record 8",
                    );
                    State::Skipping
                }
                other => {
                    self.unknown(&rec, other, rec.at(2));
                    State::Skipping
                }
            },
        };
    }

    fn set(&mut self, state: State<'a>) {
        self.state = state;
    }

    fn structure(&mut self, rec: &Rec<'_>, reason: &str) {
        let kind = rec.at(1);
        let name = match kind {
            '2' | '3' => format!("record {kind}{}", rec.at(2)),
            _ => format!("record {kind}"),
        };
        self.errors.push(rec.line, Some(name), format!("out of order: {reason}"));
    }

    fn unknown(&mut self, rec: &Rec<'_>, kind: char, article: char) {
        let name = match kind {
            '2' | '3' => format!("{kind}{article}"),
            _ => kind.to_string(),
        };
        self.errors.push(
            rec.line,
            Some("record identification".to_owned()),
            format!(
                "unknown record type '{name}': CODA has records 0, 1, 21, 22, 23, 31, 32, 33, 4, 8 and 9"
            ),
        );
    }

    fn header(&mut self, rec: &Rec<'a>) -> State<'a> {
        let version = rec.at(128);
        if version != '2' {
            let reason = if version == ' ' {
                "missing: this is not a CODA version 2 file".to_owned()
            } else {
                format!(
                    "CODA version {version} is not supported; only version 2 can be read: ask the \
                     bank for CODA 2"
                )
            };
            self.errors.push(rec.line, Some(field_name("0", 128, 128, "version code")), reason);
            // The rest of the layout depends on the version: reading on would only add noise.
            self.stop = true;
            return State::Skipping;
        }
        let creation_date = read_date(rec, 6, "0", "creation date", &mut self.errors).flatten();
        if rec.at(17) == 'D' {
            self.warnings.push(
                rec.line,
                Some(field_name("0", 17, 17, "duplicate code")),
                "the bank marks this file as a duplicate of a file sent before",
            );
        }
        State::Open(Box::new(Open {
            header_line: rec.line,
            bic: non_empty(rec.field(61, 71)),
            creation_date,
            old: None,
            closing: None,
            group: None,
            entries: Vec::new(),
            undated: Vec::new(),
            records: 0,
            debit_thousandths: 0,
            credit_thousandths: 0,
            free_message: String::new(),
            free_message_line: 0,
        }))
    }

    fn old_balance(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) -> bool {
        if open.old.is_some() {
            self.structure(rec, "a second old balance record 1 in one statement");
            return false;
        }
        open.records += 1;
        let errors = &mut self.errors;
        let structure = match rec.at(2) {
            c @ '0'..='3' => u8::try_from(c).map_or(0, |b| b - b'0'),
            other => {
                errors.push(
                    rec.line,
                    Some(field_name("1", 2, 2, "account structure")),
                    format!(
                        "must be 0 (Belgian account number), 1 (foreign account number), 2 (IBAN \
                         of a Belgian account) or 3 (IBAN of a foreign account), found '{other}'"
                    ),
                );
                return false;
            }
        };
        let ((from, to), currency_pos) = account_positions(6, structure);
        let account = account_text(structure, rec.field(from, to));
        if account.is_empty() {
            errors.push(
                rec.line,
                Some(field_name("1", from, to, "account number")),
                "missing: the statement's account number is required",
            );
        }
        let currency = read_currency(rec, currency_pos, "1", errors);
        let amount = read_amount(rec, 43, "1", currency.unwrap_or(Currency::EUR), errors);
        let date = read_date(rec, 59, "1", "old balance date", errors);
        let paper = rec.field(3, 5);
        let paper_sequence = (!paper.trim().is_empty() && paper.trim().bytes().any(|b| b != b'0'))
            .then(|| paper.trim().to_owned());
        let (Some(currency), Some((amount, _)), Some(date)) = (currency, amount, date) else {
            // Keep the statement going so later records are checked too; the file is refused.
            open.old = Some(Old {
                structure,
                account,
                currency: currency.unwrap_or(Currency::EUR),
                balance: Balance { amount: Money::zero(Currency::EUR), date: None },
                holder: None,
                paper_sequence,
            });
            return true;
        };
        open.old = Some(Old {
            structure,
            account,
            currency,
            balance: Balance { amount, date },
            holder: non_empty(rec.field(65, 90)),
            paper_sequence,
        });
        true
    }

    fn movement(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) -> bool {
        self.movements += 1;
        if self.movements > MAX_ENTRIES {
            self.errors.push(
                rec.line,
                None,
                format!("more than {MAX_ENTRIES} movements in one file: split the file"),
            );
            self.stop = true;
            return false;
        }
        open.records += 1;
        let currency = open.currency();
        let errors = &mut self.errors;
        let seq_ok = read_number(rec, 3, 6, "21", "sequence number", errors).is_some();
        let detail = read_number(rec, 7, 10, "21", "detail number", errors);
        let amount = read_amount(rec, 32, "21", currency, errors);
        let value_date = read_date(rec, 48, "21", "value date", errors).flatten();
        let structured = match rec.at(62) {
            '0' | ' ' => false,
            '1' => true,
            other => {
                errors.push(
                    rec.line,
                    Some(field_name("21", 62, 62, "communication type")),
                    format!("must be 0 (free) or 1 (structured), found '{other}'"),
                );
                false
            }
        };
        let entry_date = read_date(rec, 116, "21", "entry date", errors).flatten();
        let globalisation = match rec.at(125) {
            ' ' => 0,
            c @ '0'..='9' => u8::try_from(c).map_or(0, |b| b - b'0'),
            other => {
                errors.push(
                    rec.line,
                    Some(field_name("21", 125, 125, "globalisation code")),
                    format!("a digit 0-9 expected, found '{other}'"),
                );
                0
            }
        };
        let (amount, thousandths) = amount.unwrap_or((Money::zero(currency), 0));
        let detail_text = rec.field(7, 10);
        if detail_text == "0000" {
            if amount.is_negative() {
                open.debit_thousandths += u128::from(thousandths);
            } else {
                open.credit_thousandths += u128::from(thousandths);
            }
        }
        let movement = Movement {
            line: rec.line,
            seq: rec.field(3, 6),
            detail: detail_text,
            bank_reference: rec.field(11, 31),
            amount,
            value_date,
            entry_date,
            code: rec.field(54, 61),
            structured,
            globalisation,
            comm21: rec.field(63, 115),
            comm22: None,
            comm23: None,
            customer_reference: "",
            bic: "",
            r_type: ' ',
            reason: "",
            counterparty_account: "",
            counterparty_name: "",
            has23: false,
            info: String::new(),
            info_free_open: false,
            info_name: None,
        };
        if !seq_ok || detail.is_none() {
            // Unknown numbers cannot be grouped; the file is refused anyway.
            self.settle_group(open);
            open.group = Some(Group { main: movement, details: Vec::new() });
            return true;
        }
        let same_sequence = open.group.as_ref().is_some_and(|g| g.main.seq == movement.seq);
        if same_sequence {
            // A detail of the current movement (detail number 0000 again only after 9999
            // details, when the numbering wraps).
            if let Some(group) = open.group.as_mut() {
                group.details.push(movement);
            }
        } else if detail == Some(0) {
            self.settle_group(open);
            open.group = Some(Group { main: movement, details: Vec::new() });
        } else {
            self.errors.push(
                rec.line,
                Some(field_name("21", 3, 10, "sequence and detail number")),
                format!(
                    "detail {} of movement {} comes without the movement itself (detail 0000 with \
                     the same sequence number) before it",
                    movement.detail, movement.seq
                ),
            );
            return false;
        }
        true
    }

    /// The movement a 22, 23 or 3x record continues, checking that the record names it.
    fn current_movement<'o>(
        errors: &mut Problems,
        open: &'o mut Open<'a>,
        rec: &Rec<'a>,
        record: &str,
        with_detail: bool,
    ) -> Option<&'o mut Movement<'a>> {
        let Some(group) = open.group.as_mut() else {
            errors.push(
                rec.line,
                Some(format!("record {record}")),
                "out of order: this record continues a movement record 21, and none comes before it",
            );
            return None;
        };
        let current = group.current();
        let (seq, detail) = (rec.field(3, 6), rec.field(7, 10));
        let matches = seq == current.seq && (!with_detail || detail == current.detail);
        if !matches {
            let (to, what) = if with_detail {
                (10, "sequence and detail number")
            } else {
                (6, "sequence number")
            };
            errors.push(
                rec.line,
                Some(field_name(record, 3, to, what)),
                format!(
                    "this record is for movement {seq}/{detail} but follows movement {}/{} (line {})",
                    current.seq, current.detail, current.line
                ),
            );
            return None;
        }
        Some(current)
    }

    fn movement_part2(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) -> bool {
        open.records += 1;
        let Some(movement) = Self::current_movement(&mut self.errors, open, rec, "22", true) else {
            return false;
        };
        if movement.comm22.is_some() {
            self.errors.push(
                rec.line,
                Some("record 22".to_owned()),
                format!("a second record 22 for movement {}/{}", movement.seq, movement.detail),
            );
            return false;
        }
        movement.comm22 = Some(rec.field(11, 63));
        movement.customer_reference = rec.field(64, 98);
        movement.bic = rec.field(99, 109);
        movement.r_type = rec.at(113);
        movement.reason = rec.field(114, 117);
        true
    }

    fn movement_part3(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) -> bool {
        open.records += 1;
        let Some(movement) = Self::current_movement(&mut self.errors, open, rec, "23", true) else {
            return false;
        };
        if movement.has23 {
            self.errors.push(
                rec.line,
                Some("record 23".to_owned()),
                format!("a second record 23 for movement {}/{}", movement.seq, movement.detail),
            );
            return false;
        }
        movement.has23 = true;
        movement.counterparty_account = rec.field(11, 44);
        movement.counterparty_name = rec.field(48, 82);
        movement.comm23 = Some(rec.field(83, 115));
        true
    }

    fn information(&mut self, open: &mut Open<'a>, rec: &Rec<'a>, article: char) -> bool {
        open.records += 1;
        let record = match article {
            '1' => "31",
            '2' => "32",
            _ => "33",
        };
        let Some(movement) = Self::current_movement(&mut self.errors, open, rec, record, false)
        else {
            return false;
        };
        let room = movement.info.len() < INFO_BYTES_MAX;
        match article {
            '1' => {
                let structured = match rec.at(40) {
                    '0' | ' ' => false,
                    '1' => true,
                    other => {
                        self.errors.push(
                            rec.line,
                            Some(field_name("31", 40, 40, "communication type")),
                            format!("must be 0 (free) or 1 (structured), found '{other}'"),
                        );
                        return true;
                    }
                };
                if structured {
                    movement.info_free_open = false;
                    let zone = rec.field(41, 113);
                    let (kind, rest) = split_chars(zone, 3);
                    if kind == "001" && movement.info_name.is_none() {
                        let (name, _) = split_chars(rest, 70);
                        let name = name.trim();
                        if !name.is_empty() {
                            movement.info_name = Some(name);
                        }
                    }
                } else {
                    movement.info_free_open = true;
                    if room {
                        push_zone(&mut movement.info, rec.field(41, 113), ZONE_31);
                    }
                }
            }
            '2' if movement.info_free_open && room => {
                push_zone(&mut movement.info, rec.field(11, 115), ZONE_32);
            }
            '3' if movement.info_free_open && room => {
                push_zone(&mut movement.info, rec.field(11, 100), ZONE_33);
            }
            _ => {}
        }
        true
    }

    fn free_message(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) {
        if open.free_message.is_empty() {
            open.free_message_line = rec.line;
        }
        if open.free_message.len() < INFO_BYTES_MAX {
            push_zone(&mut open.free_message, rec.field(33, 112), 80);
        }
    }

    fn new_balance(&mut self, open: &mut Open<'a>, rec: &Rec<'a>) -> bool {
        open.records += 1;
        let errors = &mut self.errors;
        let (structure, account, currency) = match open.old.as_ref() {
            Some(old) => (old.structure, old.account.as_str(), old.currency),
            None => (0, "", Currency::EUR),
        };
        let ((from, to), currency_pos) = account_positions(5, structure);
        let closing_account = account_text(structure, rec.field(from, to));
        if !closing_account.is_empty() && closing_account != account {
            self.warnings.push(
                rec.line,
                Some(field_name("8", from, to, "account number")),
                format!(
                    "the new balance is for account {closing_account}, the old balance for {account}"
                ),
            );
        }
        let closing_currency = if rec.field(currency_pos, currency_pos + 2).trim().is_empty() {
            Some(currency)
        } else {
            read_currency(rec, currency_pos, "8", errors)
        };
        if let Some(c) = closing_currency
            && c != currency
        {
            self.warnings.push(
                rec.line,
                Some(field_name("8", currency_pos, currency_pos + 2, "currency")),
                format!("the new balance is in {c}, the old balance in {currency}"),
            );
        }
        let amount = read_amount(rec, 42, "8", closing_currency.unwrap_or(currency), errors);
        let date = read_date(rec, 58, "8", "new balance date", errors);
        if let (Some((amount, _)), Some(date)) = (amount, date) {
            open.closing = Some(Balance { amount, date });
        }
        true
    }

    /// Turns the current movement group into entries (see the module documentation).
    fn settle_group(&mut self, open: &mut Open<'a>) {
        let Some(Group { main, details }) = open.group.take() else { return };
        let push = |entry: Entry, undated: bool, open: &mut Open<'a>| {
            if undated {
                open.undated.push(open.entries.len());
            }
            open.entries.push(entry);
        };
        if main.globalisation == 0 || details.is_empty() {
            let (entry, undated) = entry(&main, None);
            push(entry, undated, open);
            return;
        }
        match leaves(&main, &details) {
            Ok(leaves) => {
                for detail in leaves {
                    let (entry, undated) = entry(detail, Some(&main));
                    push(entry, undated, open);
                }
            }
            Err(reason) => {
                self.warnings.push(
                    main.line,
                    Some(field_name("21", 125, 125, "globalisation code")),
                    format!(
                        "{reason}; the total of movement {} is kept as one entry and its details \
                         are not",
                        main.seq
                    ),
                );
                let (entry, undated) = entry(&main, None);
                push(entry, undated, open);
            }
        }
    }

    fn trailer(&mut self, mut open: Open<'a>, rec: &Rec<'a>) {
        let errors = &mut self.errors;
        let count = read_number(rec, 17, 22, "9", "number of records", errors);
        let debit = read_number(rec, 23, 37, "9", "sum of debits", errors);
        let credit = read_number(rec, 38, 52, "9", "sum of credits", errors);
        if let Some(count) = count
            && count != open.records
        {
            self.warnings.push(
                rec.line,
                Some(field_name("9", 17, 22, "number of records")),
                format!(
                    "the trailer counts {count} records 1, 2x, 3x and 8; the statement has {}",
                    open.records
                ),
            );
        }
        for (stated, computed, from, to, name) in [
            (debit, open.debit_thousandths, 23, 37, "sum of debits"),
            (credit, open.credit_thousandths, 38, 52, "sum of credits"),
        ] {
            if let Some(stated) = stated
                && u128::from(stated) != computed
            {
                self.warnings.push(
                    rec.line,
                    Some(field_name("9", from, to, name)),
                    format!(
                        "the trailer states {}; the movements (detail 0000) add up to {}",
                        thousandths_text(u128::from(stated)),
                        thousandths_text(computed)
                    ),
                );
            }
        }
        if !open.free_message.trim().is_empty() {
            let mut text = String::new();
            collapse_into(&mut text, &open.free_message);
            cap_remittance(&mut text);
            self.warnings.push(
                open.free_message_line,
                Some("record 4 free communication".to_owned()),
                format!("message from the bank: {text}"),
            );
        }
        let Some(old) = open.old.take() else { return };
        let statement_date =
            open.closing.and_then(|b| b.date).or(old.balance.date).or(open.creation_date);
        for &index in &open.undated {
            if let Some(entry) = open.entries.get_mut(index) {
                match statement_date {
                    Some(date) => entry.booking_date = date,
                    None => {
                        let line = match entry.location {
                            Location::Line(n) => n,
                            Location::Byte(_) => rec.line,
                        };
                        self.errors.push(
                            line,
                            Some(field_name("21", 116, 121, "entry date")),
                            "no entry date, value date or statement date: the movement cannot be \
                             dated",
                        );
                    }
                }
            }
        }
        let opening = Some(old.balance);
        let balance_check =
            BalanceCheck::compute(opening.as_ref(), &open.entries, open.closing.as_ref());
        self.statements.push(Statement {
            id: old.paper_sequence,
            account: old.account,
            account_bic: open.bic,
            account_holder: old.holder,
            currency: old.currency,
            opening_balance: opening,
            closing_balance: open.closing,
            from_date: None,
            to_date: open.closing.and_then(|b| b.date),
            entries: open.entries,
            balance_check,
            location: Location::Line(open.header_line),
        });
    }

    fn finish(mut self) -> Result<ParsedStatements, StatementError> {
        if !self.stop {
            match &self.state {
                State::Open(open) | State::Closed(open) => self.errors.push(
                    self.last_line,
                    None,
                    format!(
                        "the file ends inside the statement that starts on line {}: its trailer \
                         record 9 is missing (truncated file?)",
                        open.header_line
                    ),
                ),
                State::Outside if self.first_line.is_none() => {
                    self.errors.push(1, None, "the file is empty: no CODA records");
                }
                State::Outside | State::Skipping => {}
            }
        }
        if !self.errors.is_empty() {
            return Err(StatementError { problems: self.errors.list });
        }
        Ok(ParsedStatements {
            format: StatementFormat::Coda,
            message: MESSAGE.to_owned(),
            statements: self.statements,
            warnings: self.warnings.list,
        })
    }
}

/// The lowest-level details of a globalised movement, when they close every level it opened and
/// add up to its amount; otherwise why not.
fn leaves<'m, 'a>(
    main: &Movement<'a>,
    details: &'m [Movement<'a>],
) -> Result<Vec<&'m Movement<'a>>, String> {
    let mut open_levels = [false; 10];
    if let Some(level) = open_levels.get_mut(usize::from(main.globalisation)) {
        *level = true;
    }
    let mut leaves = Vec::with_capacity(details.len());
    for detail in details {
        let level = usize::from(detail.globalisation);
        if level == 0 {
            leaves.push(detail);
        } else if open_levels.get(level).copied().unwrap_or(false) {
            // The last detail of a level closes it (and any deeper level left open).
            leaves.push(detail);
            for open in open_levels.iter_mut().skip(level) {
                *open = false;
            }
        } else if let Some(open) = open_levels.get_mut(level) {
            // A subtotal: it opens a deeper level and is not itself an entry.
            *open = true;
        }
    }
    if open_levels.iter().any(|open| *open) {
        return Err(format!(
            "the globalisation opened by movement {} (line {}) is not closed by its details",
            main.seq, main.line
        ));
    }
    let sum: i128 = leaves.iter().map(|d| i128::from(d.amount.minor())).sum();
    if sum != i128::from(main.amount.minor()) {
        let currency = main.amount.currency();
        let sum = i64::try_from(sum).map_or_else(
            |_| "too much".to_owned(),
            |s| format!("{} {currency}", Money::from_minor(s, currency)),
        );
        return Err(format!(
            "the details of globalised movement {} add up to {sum}, not to its total {} {currency}",
            main.seq, main.amount
        ));
    }
    Ok(leaves)
}

/// The remittance text and structured reference of a movement.
fn communication(m: &Movement<'_>) -> (String, Option<StructuredReference>) {
    let mut zones = String::with_capacity(ZONE_21 + ZONE_22 + ZONE_23);
    push_zone(&mut zones, m.comm21, ZONE_21);
    if let Some(c) = m.comm22 {
        push_zone(&mut zones, c, ZONE_22);
    }
    if let Some(c) = m.comm23 {
        push_zone(&mut zones, c, ZONE_23);
    }
    let (text, reference) = if m.structured {
        let (kind, content) = split_chars(&zones, 3);
        match kind {
            // Belgian structured communication, 12 digits; 102: reconstituted by the bank.
            "101" | "102" => {
                let (digits, rest) = split_chars(content, 12);
                (rest, marked_reference(ReferenceScheme::Ogm, digits))
            }
            // ISO 11649 creditor reference, 21 characters.
            "100" => {
                let (rf, rest) = split_chars(content, 21);
                (rest, marked_reference(ReferenceScheme::Rf, rf))
            }
            // SEPA direct debit: settlement date 6, type 1, scheme 1, paid/refused 1, creditor
            // id 35, mandate reference 35, then the communication (62).
            "127" => {
                let (_, rest) = split_chars(content, 79);
                let (text, _) = split_chars(rest, 62);
                (text, None)
            }
            _ => {
                let mut value = kind.to_owned();
                collapse_into(&mut value, content);
                ("", Some(other_reference(&value)))
            }
        }
    } else {
        (zones.as_str(), None)
    };
    let mut remittance = String::new();
    collapse_into(&mut remittance, text);
    collapse_into(&mut remittance, &m.info);
    cap_remittance(&mut remittance);
    let reference = reference.or_else(|| StructuredReference::find_in_text(&remittance));
    (remittance, reference)
}

/// Name, account and BIC of the counterparty.
fn counterparty(m: &Movement<'_>) -> (Option<String>, Option<String>, Option<String>) {
    let name = non_empty(m.counterparty_name).or_else(|| m.info_name.and_then(non_empty));
    (name, counterparty_account(m.counterparty_account), non_empty(m.bic))
}

/// The entry of a movement. A detail (`main` given) also carries what reconciling it needs from
/// its total: the total's communication in front of its own (once, when they differ), the
/// total's checked reference when it has none of its own, and the total's counterparty when it
/// names none. The flag says the entry has no date of its own yet.
fn entry(m: &Movement<'_>, main: Option<&Movement<'_>>) -> (Entry, bool) {
    let (mut remittance, mut reference) = communication(m);
    let (mut name, mut iban, mut bic) = counterparty(m);
    if let Some(main) = main {
        let (main_remittance, main_reference) = communication(main);
        if !main_remittance.is_empty() && main_remittance != remittance {
            let own = std::mem::replace(&mut remittance, main_remittance);
            collapse_into(&mut remittance, &own);
            cap_remittance(&mut remittance);
        }
        let checked = |r: &Option<StructuredReference>| {
            r.as_ref().is_some_and(|r| r.scheme != ReferenceKind::Other)
        };
        if !checked(&reference) && (checked(&main_reference) || reference.is_none()) {
            reference = main_reference;
        }
        if name.is_none() && iban.is_none() && bic.is_none() {
            (name, iban, bic) = counterparty(main);
        }
    }
    let date = m.entry_date.or(m.value_date);
    let entry = Entry {
        booking_date: date.unwrap_or(Date::ZERO),
        value_date: m.value_date,
        amount: m.amount,
        counterparty_name: name,
        counterparty_iban: iban,
        counterparty_bic: bic,
        reference,
        remittance,
        end_to_end_id: non_empty(m.customer_reference),
        bank_reference: non_empty(m.bank_reference),
        transaction_code: non_empty(m.code),
        reversal: matches!(m.r_type, '1'..='5'),
        return_reason: non_empty(m.reason),
        location: Location::Line(m.line),
    };
    (entry, date.is_none())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Largest amount CODA carries, in thousandths (15 digits).
const AMOUNT_THOUSANDTHS_MAX: u128 = 999_999_999_999_999;

/// Writes statements as CODA 2: per statement records 0, 1, 21 [22] [23] [31 [32] [33]] …, 8
/// and 9, lines ending in `\n`.
///
/// What the model holds and CODA can carry comes back unchanged from [`parse`]: account (an
/// IBAN, a 12-digit Belgian number or another number of at most 34 characters), BIC, holder
/// (26 characters), currency, balances and dates, statement id (a number of at most 3 digits),
/// and per entry the amount, dates, bank reference (21 characters), transaction code (8),
/// counterparty name (35), account (34) and BIC (11), end-to-end id (35), return reason (4), the
/// reversal flag, an OGM or RF reference, and the remittance text (longer text continues in
/// information records, split at a space). Each entry becomes one movement without details.
///
/// Outside those limits values are cut to their field; an amount above 15 digits is written as
/// the largest one; an `other` or Dutch reference is written as free text in front of the
/// remittance; a missing balance is written as zero with an unknown date.
///
/// # Examples
/// ```
/// use arflow_formats::statement::coda::{parse, write_coda};
/// # use arflow_formats::statement::{Balance, BalanceCheck, Location, Statement};
/// # use arflow_core::money::{Currency, Money};
/// let balance = Some(Balance { amount: Money::from_minor(100_00, Currency::EUR), date: None });
/// let statement = Statement {
///     id: Some("007".into()),
///     account: "BE68539007547034".into(),
///     account_bic: None,
///     account_holder: Some("ACME NV".into()),
///     currency: Currency::EUR,
///     opening_balance: balance,
///     closing_balance: balance,
///     from_date: None,
///     to_date: None,
///     entries: vec![],
///     balance_check: BalanceCheck::Ok,
///     location: Location::Line(1),
/// };
/// let text = write_coda(&[statement]);
/// let parsed = parse(text.as_bytes()).unwrap();
/// assert_eq!(parsed.statements[0].account, "BE68539007547034");
/// assert_eq!(parsed.statements[0].id.as_deref(), Some("007"));
/// ```
#[must_use]
pub fn write_coda(statements: &[Statement]) -> String {
    let entries: usize = statements.iter().map(|s| s.entries.len()).sum();
    let mut out = String::with_capacity((statements.len() * 4 + entries * 3) * (RECORD_CHARS + 1));
    for (index, statement) in statements.iter().enumerate() {
        write_statement(&mut out, statement, index + 1 == statements.len());
    }
    out
}

/// One record being written: 128 positions, blank until set.
#[derive(Debug)]
struct Out {
    chars: [char; RECORD_CHARS],
}

impl Out {
    fn new(id: &str) -> Out {
        let mut out = Out { chars: [' '; RECORD_CHARS] };
        out.set(1, id);
        out
    }

    /// Writes `text` from position `pos` on, cut at the end of the record.
    fn set(&mut self, pos: usize, text: &str) -> &mut Out {
        for (slot, c) in self.chars.iter_mut().skip(pos.saturating_sub(1)).zip(text.chars()) {
            *slot = c;
        }
        self
    }

    /// Writes `text` in the field `from..=to`, cut to its width.
    fn put(&mut self, from: usize, to: usize, text: &str) -> &mut Out {
        let width = (to + 1).saturating_sub(from);
        for (slot, c) in
            self.chars.iter_mut().skip(from.saturating_sub(1)).take(width).zip(text.chars())
        {
            *slot = c;
        }
        self
    }

    fn finish(&self, out: &mut String) {
        out.extend(self.chars.iter());
        out.push('\n');
    }
}

fn date6(date: Option<Date>) -> String {
    match date {
        Some(d) => {
            format!("{:02}{:02}{:02}", d.day(), d.month(), i32::from(d.year()).rem_euclid(100))
        }
        None => "000000".to_owned(),
    }
}

/// Sign digit and 15-digit amount; also the unsigned thousandths.
fn amount15(money: Money) -> (char, String, u128) {
    let scale = 10_u128.pow(3_u32.saturating_sub(money.currency().minor_digits()));
    let thousandths =
        (u128::from(money.minor().unsigned_abs()) * scale).min(AMOUNT_THOUSANDTHS_MAX);
    let sign = if money.is_negative() { '1' } else { '0' };
    (sign, format!("{thousandths:015}"), thousandths)
}

fn digits3(id: Option<&str>) -> String {
    match id.map(str::trim) {
        Some(id) if !id.is_empty() && id.len() <= 3 && id.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{id:0>3}")
        }
        _ => "000".to_owned(),
    }
}

/// Account structure and the 37-character zone for records 1 and 8.
fn account_zone(account: &str, currency: Currency) -> (char, String) {
    let compact: String = account.split_whitespace().collect::<String>().to_ascii_uppercase();
    let mut zone = Out::new("");
    let structure = if iban_shaped(&compact) && compact.starts_with("BE") && compact.len() <= 31 {
        zone.put(1, 31, &compact).put(35, 37, currency.code());
        '2'
    } else if iban_shaped(&compact) {
        zone.put(1, 34, &compact).put(35, 37, currency.code());
        '3'
    } else if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        zone.put(1, 12, account).put(14, 16, currency.code());
        '0'
    } else {
        zone.put(1, 34, account.trim()).put(35, 37, currency.code());
        '1'
    };
    (structure, zone.chars.iter().take(37).collect())
}

/// Cuts `text` into a first part of at most `room` characters, at a space when it does not fit
/// (the reader joins the two parts with a space again), and the rest.
fn split_for_room(text: &str, room: usize) -> (&str, &str) {
    if text.chars().count() <= room {
        return (text, "");
    }
    let limit = text.char_indices().nth(room).map_or(text.len(), |(i, _)| i);
    // The first `room + 1` characters: a space right after the room is a split point too.
    let head_end = text.char_indices().nth(room + 1).map_or(text.len(), |(i, _)| i);
    let head = text.get(..head_end).unwrap_or(text);
    match head.rfind(' ') {
        Some(space) => {
            let (first, rest) = text.split_at(space);
            (first, rest.get(1..).unwrap_or(""))
        }
        None => text.split_at(limit),
    }
}

fn write_statement(out: &mut String, st: &Statement, last: bool) {
    let currency = st.currency;
    let opening =
        st.opening_balance.unwrap_or(Balance { amount: Money::zero(currency), date: None });
    let closing =
        st.closing_balance.unwrap_or(Balance { amount: Money::zero(currency), date: None });
    let paper = digits3(st.id.as_deref());
    let (structure, zone) = account_zone(&st.account, currency);
    let mut records: u64 = 0;
    let (mut debit, mut credit): (u128, u128) = (0, 0);

    let creation = closing.date.or(opening.date);
    Out::new("00000")
        .put(6, 11, &date6(creation))
        .put(12, 14, "000")
        .put(15, 16, "05")
        .put(35, 60, st.account_holder.as_deref().unwrap_or(""))
        .put(61, 71, st.account_bic.as_deref().unwrap_or(""))
        .put(72, 82, "00000000000")
        .put(84, 88, "00000")
        .put(128, 128, "2")
        .finish(out);

    let (sign, amount, _) = amount15(opening.amount);
    Out::new("1")
        .put(2, 2, &structure.to_string())
        .put(3, 5, &paper)
        .put(6, 42, &zone)
        .put(43, 43, &sign.to_string())
        .put(44, 58, &amount)
        .put(59, 64, &date6(opening.date))
        .put(65, 90, st.account_holder.as_deref().unwrap_or(""))
        .put(126, 128, &paper)
        .finish(out);
    records += 1;

    for (index, entry) in st.entries.iter().enumerate() {
        let seq = format!("{:04}", (index + 1) % 10_000);
        let (sign, amount, thousandths) = amount15(entry.amount);
        if entry.amount.is_negative() {
            debit += thousandths;
        } else {
            credit += thousandths;
        }
        let (structured, prefix) = match &entry.reference {
            Some(r) if r.scheme == ReferenceKind::Ogm => (true, format!("101{}", r.value)),
            Some(r) if r.scheme == ReferenceKind::Rf => (true, format!("100{:<21}", r.value)),
            _ => (false, String::new()),
        };
        // Other and Dutch references have no CODA type: they go in front of the free text.
        let mut text = String::new();
        if let Some(r) = &entry.reference
            && !structured
            && StructuredReference::find_in_text(&entry.remittance).as_ref() != Some(r)
        {
            text.push_str(&r.value);
        }
        collapse_into(&mut text, &entry.remittance);
        let room = (ZONE_21 + ZONE_22 + ZONE_23).saturating_sub(prefix.chars().count());
        let (here, info) = split_for_room(&text, room);
        let stream = format!("{prefix}{here}");
        let (zone21, rest) = split_chars(&stream, ZONE_21);
        let (zone22, zone23) = split_chars(rest, ZONE_22);
        let cp_account = entry.counterparty_iban.as_deref().unwrap_or("");
        let cp_name = entry.counterparty_name.as_deref().unwrap_or("");
        let e2e = entry.end_to_end_id.as_deref().unwrap_or("");
        let bic = entry.counterparty_bic.as_deref().unwrap_or("");
        let reason = entry.return_reason.as_deref().unwrap_or("");
        let need23 = !zone23.is_empty() || !cp_account.is_empty() || !cp_name.is_empty();
        let need22 = need23
            || !zone22.is_empty()
            || !e2e.is_empty()
            || !bic.is_empty()
            || entry.reversal
            || !reason.is_empty();
        let has_info = !info.is_empty();
        let link = |is_last: bool| if is_last && has_info { "1" } else { "0" };

        Out::new("21")
            .put(3, 6, &seq)
            .put(7, 10, "0000")
            .put(11, 31, entry.bank_reference.as_deref().unwrap_or(""))
            .put(32, 32, &sign.to_string())
            .put(33, 47, &amount)
            .put(48, 53, &date6(entry.value_date))
            .put(54, 61, entry.transaction_code.as_deref().unwrap_or(""))
            .put(62, 62, if structured { "1" } else { "0" })
            .put(63, 115, zone21)
            .put(116, 121, &date6(Some(entry.booking_date)))
            .put(122, 124, &paper)
            .put(125, 125, "0")
            .put(126, 126, if need22 || need23 { "1" } else { "0" })
            .put(128, 128, link(!need22 && !need23))
            .finish(out);
        records += 1;
        if need22 {
            let r_type =
                if entry.reversal { if reason.is_empty() { "4" } else { "2" } } else { " " };
            Out::new("22")
                .put(3, 6, &seq)
                .put(7, 10, "0000")
                .put(11, 63, zone22)
                .put(64, 98, e2e)
                .put(99, 109, bic)
                .put(113, 113, r_type)
                .put(114, 117, reason)
                .put(126, 126, if need23 { "1" } else { "0" })
                .put(128, 128, link(!need23))
                .finish(out);
            records += 1;
        }
        if need23 {
            Out::new("23")
                .put(3, 6, &seq)
                .put(7, 10, "0000")
                .put(11, 44, cp_account)
                .put(48, 82, cp_name)
                .put(83, 115, zone23)
                .put(126, 126, "0")
                .put(128, 128, link(true))
                .finish(out);
            records += 1;
        }
        records += write_information(out, &seq, info);
    }

    let (sign, amount, _) = amount15(closing.amount);
    Out::new("8")
        .put(2, 4, &paper)
        .put(5, 41, &zone)
        .put(42, 42, &sign.to_string())
        .put(43, 57, &amount)
        .put(58, 63, &date6(closing.date))
        .put(128, 128, "0")
        .finish(out);
    records += 1;

    Out::new("9")
        .put(17, 22, &format!("{:06}", records.min(999_999)))
        .put(23, 37, &format!("{:015}", debit.min(AMOUNT_THOUSANDTHS_MAX)))
        .put(38, 52, &format!("{:015}", credit.min(AMOUNT_THOUSANDTHS_MAX)))
        .put(128, 128, if last { "2" } else { "1" })
        .finish(out);
}

/// Writes free text as information records 31 [32] [33], repeated as needed; returns how many.
fn write_information(out: &mut String, seq: &str, text: &str) -> u64 {
    let mut rest = text;
    let mut detail: u32 = 0;
    let mut written = 0;
    while !rest.is_empty() {
        detail += 1;
        let (zone31, after31) = split_chars(rest, ZONE_31);
        let (zone32, after32) = split_chars(after31, ZONE_32);
        let (zone33, after33) = split_chars(after32, ZONE_33);
        let more = !after33.is_empty();
        let detail_text = format!("{:04}", detail % 10_000);
        let has32 = !zone32.is_empty();
        let has33 = !zone33.is_empty();
        Out::new("31")
            .put(3, 6, seq)
            .put(7, 10, &detail_text)
            .put(32, 39, "00000000")
            .put(40, 40, "0")
            .put(41, 113, zone31)
            .put(126, 126, if has32 { "1" } else { "0" })
            .put(128, 128, if !has32 && more { "1" } else { "0" })
            .finish(out);
        written += 1;
        if has32 {
            Out::new("32")
                .put(3, 6, seq)
                .put(7, 10, &detail_text)
                .put(11, 115, zone32)
                .put(126, 126, if has33 { "1" } else { "0" })
                .put(128, 128, if !has33 && more { "1" } else { "0" })
                .finish(out);
            written += 1;
        }
        if has33 {
            Out::new("33")
                .put(3, 6, seq)
                .put(7, 10, &detail_text)
                .put(11, 100, zone33)
                .put(126, 126, "0")
                .put(128, 128, if more { "1" } else { "0" })
                .finish(out);
            written += 1;
        }
        rest = after33;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_addressed_by_character_not_byte() {
        let rec = Rec::new("23é4567", 1);
        assert_eq!(rec.field(3, 4), "é4");
        assert_eq!(rec.at(3), 'é');
        assert_eq!(rec.field(6, 20), "67");
        assert_eq!(rec.field(30, 40), "");
        assert_eq!(rec.at(100), ' ');
    }

    #[test]
    fn a_text_that_does_not_fit_is_split_at_a_space() {
        assert_eq!(split_for_room("abc def ghi", 5), ("abc", "def ghi"));
        assert_eq!(split_for_room("abc def ghi", 7), ("abc def", "ghi"));
        assert_eq!(split_for_room("abc", 7), ("abc", ""));
        assert_eq!(split_for_room("abcdefgh", 3), ("abc", "defgh"));
    }

    #[test]
    fn counterparty_accounts_are_read_as_ibans_when_they_are_one() {
        assert_eq!(
            counterparty_account("BE68 5390 0754 7034 ").as_deref(),
            Some("BE68539007547034")
        );
        assert_eq!(
            counterparty_account("BE34359648312345 EURCOMPANY BLABLA").as_deref(),
            Some("BE34359648312345")
        );
        assert_eq!(counterparty_account("310180203454").as_deref(), Some("310180203454"));
        assert_eq!(counterparty_account("   "), None);
    }
}
