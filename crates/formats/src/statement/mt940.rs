//! SWIFT MT940 customer statements and MT942 interim transaction reports, read into the shared
//! [`ParsedStatements`] model; and a writer of MT940 (Dutch "structured" style) for round trips,
//! benchmarks and generated test data.
//!
//! The reader is one pass over the lines of the file, without regular expressions: a line that
//! starts with a tag (`:61:`) opens a field, the lines after it until the next tag continue it.
//! A statement starts at each `:20:`. Facts about the format:
//! `../shared/notes/legal-and-formats.md` §6.3.
//!
//! Choices a reader of the output should know:
//! - **Tolerance.** Banks bend the standard, so the reader accepts what is unambiguous and says
//!   so in a warning: an amount without its decimal comma (`C500NTRF` is 500.00) or with a
//!   decimal point (old Rabobank exports), a `:61:` without reference for the account owner,
//!   a `:86:` longer than the 6 × 65 characters SWIFT allows (up to [`FIELD_CHARS_MAX`]), text
//!   before, between and after the messages (bank headers such as `ABNANL2A`/`940`, the SWIFT
//!   blocks `{1:…}{2:…}{4:` … `-}`, control characters). It refuses what it cannot read safely,
//!   and then returns nothing: an unknown tag, a tag out of order (a second `:25:`, a `:61:`
//!   after the closing balance), a statement without account, opening or closing balance (a
//!   truncated file), a day that is not in the calendar, an unsupported currency.
//! - **Dates.** Years are `YY` < 80 → 20YY, else 19YY. The optional entry date `MMDD` of `:61:`
//!   takes the year that puts it closest to the value date (so `1231` booked `0101` is the next
//!   year). The booking date is the entry date when given, else the value date.
//! - **Sign.** `C` and `RD` (reversal of a debit) are credits, `D` and `RC` debits. `RC`/`RD`,
//!   the type `RTI` (returned item), a `/RTRN/` reason and the German returns (GVC 109, 159, a
//!   posting text `RETOURE`/`RUECKLASTSCHR…`, whose `?34` becomes the return reason) mark the
//!   entry as a reversal.
//! - **Message ends.** A line `-` ends a message, except inside an entry's `:86:` (ING cuts
//!   values there: `MND` / `-` / `EV01`); a last `-` line of a `:86:` is dropped.
//! - **`:86:`** is read in the dialect it is written in:
//!   - German GVC: `166?00…?20…?30…`: purpose `?20`–`?29` and `?60`–`?63` (joined without a
//!     separator, as the fields are cut at 27 characters) with the SEPA keywords `EREF+`,
//!     `SVWZ+`, … inside; counterparty BIC `?30`, IBAN/account `?31` (or `?38`), name
//!     `?32`+`?33`. Triodos writes the same layout with `>` instead of `?`.
//!   - Dutch structured: `/EREF/…/CNTP/iban/bic/name/city/REMI/USTD//text/`, `/IBAN/…/NAME/…`,
//!     `/REMI/STRD/CUR/<betalingskenmerk>/`, `/CDTRREFTP//CD/SCOR/ISSR/CUR/CDTRREF/<ref>/`,
//!     `/RTRN/<reason>/`, `/TRCD/<code>/`, … (ING, ABN AMRO, Rabobank, Knab, bunq, ASN). Lines
//!     are joined without a separator: banks cut values anywhere, even mid-word.
//!   - SNS/ASN: the first line is the counterparty's account and name (the `:61:` reference
//!     repeats the account), the rest is the description, possibly structured.
//!   - Free text (old ABN AMRO, ING, Knab, Rabobank, foreign banks): lines joined with a space,
//!     without one when the line was full (65 characters). A leading account (`GIRO 428428`,
//!     `64.45.12.113`, an IBAN), Knab's `REK:`/`NAAM:` lines and a `BETALINGSKENM.` are
//!     recognised.
//! - **Remittance.** German: the `SVWZ+` text (running on into `?60`–`?63`), else the purpose
//!   without its keyword parts. Dutch structured: `/REMI/` (`USTD//` taken off), else `/PREF/`
//!   (a batch's payment-information id). Free text: all of it. At most
//!   [`MAX_REMITTANCE_CHARS`] characters.
//! - **Counterparty.** From `:86:`; else an IBAN or account alone on the `:61:` supplementary
//!   line (Rabobank); else the account and name columns of an old Rabobank `:61:` reference.
//!   An account equal to the statement's own is not a counterparty.
//! - **References.** The end-to-end id is `EREF` (`NOTPROVIDED` is dropped). The structured
//!   reference comes from `/REMI/STRD/` or `CDTRREF` (issuer `CUR` Dutch, `ISO` RF, `BBA` OGM),
//!   a `BETALINGSKENM.` in free text, else [`StructuredReference::find_in_text`] on the
//!   remittance. The bank reference is the `:61:` reference after `//`, else the reference for
//!   the account owner unless it is a placeholder (`NONREF`, `EREF`, `PREF`, …) or the
//!   counterparty's account.
//! - **Transaction code.** The `:61:` type (`NTRF`, `N051`), with `/` and the GVC or the ING
//!   `TRCD` when given: `NTRF/166`, `NTRF/00100`.
//! - **Statement.** `id` is `:28C:` as written; the account is `:25:` without a trailing
//!   currency, an IBAN in electronic form; `account_bic` is the sender of the SWIFT block 1;
//!   `from_date`/`to_date` are the opening and closing balance dates (MT942: `:13D:`).
//!   `:64:`/`:65:` are checked but not kept; MT942 `:90D:`/`:90C:` counts and sums are compared
//!   with the entries (a warning when they differ).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use arflow_core::date::{Date, days_between};
use arflow_core::ident::{Bic, Iban};
use arflow_core::money::{AMOUNT_MINOR_MAX, Currency, Money};
use arflow_core::reference::ReferenceScheme;

use super::{
    Balance, BalanceCheck, Entry, Location, MAX_ENTRIES, MAX_FILE_BYTES, MAX_REMITTANCE_CHARS,
    ParsedStatements, Problem, Statement, StatementError, StatementFormat, StructuredReference,
    decode_text, lines,
};

/// Longest field accepted (a tag with all its continuation lines), in characters. SWIFT allows
/// 6 × 65 = 390 for `:86:`; banks write up to ~500, so this is a safety limit, not the standard.
pub const FIELD_CHARS_MAX: usize = 2_000;
/// The `:86:` length SWIFT allows (6 lines of 65 characters); longer ones get a warning.
pub const INFO_CHARS_SWIFT: usize = 390;
/// Length of a full line in MT940 (`65x`).
const LINE_CHARS: usize = 65;
/// Most problems listed for one file; one more line says that the list stops there.
const PROBLEMS_MAX: usize = 1_000;
/// Longest statement number or account kept, in characters.
const ID_CHARS_MAX: usize = 70;

/// Reads an MT940 or MT942 file: one or more statements, each starting at `:20:`, with or
/// without SWIFT blocks around them.
///
/// `format` in the result is [`StatementFormat::Mt940`]; `message` is `MT940` for statements
/// and `MT942` for interim reports (no balances, `:34F:`/`:13D:` instead). UTF-8 (with or
/// without a byte-order mark) and Latin-1/Windows-1252 text with any line ends is read.
///
/// # Errors
/// [`StatementError`] listing every problem found, in file order, each with its line, the tag
/// (and part) concerned and the reason: an unknown or misplaced tag, a malformed balance,
/// statement line, date or amount, a statement without account or balances, a file larger than
/// [`MAX_FILE_BYTES`], more than [`MAX_ENTRIES`] entries, a field longer than
/// [`FIELD_CHARS_MAX`], or no statement at all. Nothing is returned when any problem is found.
///
/// # Examples
/// ```
/// use arflow_formats::statement::{mt940, BalanceCheck};
///
/// let text = ":20:STATEMENT\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n\
///             :60F:C260130EUR10,00\r\n:61:2601310131D2,50NTRFNONREF//B1\r\n\
///             :86:/EREF/E2E1/IBAN/NL20INGB0001234567/NAME/SHOP BV/REMI/Invoice 12/\r\n\
///             :62F:C260131EUR7,50\r\n-\r\n";
/// let parsed = mt940::parse(text.as_bytes()).unwrap();
/// assert_eq!(parsed.message, "MT940");
/// let statement = &parsed.statements[0];
/// let entry = &statement.entries[0];
/// assert_eq!(entry.amount.minor(), -250);
/// assert_eq!(entry.counterparty_name.as_deref(), Some("SHOP BV"));
/// assert_eq!(entry.remittance, "Invoice 12");
/// assert_eq!(statement.balance_check, BalanceCheck::Ok);
/// ```
pub fn parse(bytes: &[u8]) -> Result<ParsedStatements, StatementError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(StatementError::one(
            Location::Byte(0),
            None,
            format!("the file has {} bytes; at most {MAX_FILE_BYTES} are accepted", bytes.len()),
        ));
    }
    read(bytes, MAX_ENTRIES)
}

/// [`parse`] with a limit on the entries (tests use a small one).
fn read(bytes: &[u8], entries_max: usize) -> Result<ParsedStatements, StatementError> {
    let text = decode_text(bytes);
    let mut reader = Reader { entries_max, ..Reader::default() };
    for (number, line) in lines(&text) {
        if reader.stopped {
            break;
        }
        reader.line(number, line);
    }
    reader.finish()
}

// ---------------------------------------------------------------------------------------------
// Reading lines and fields
// ---------------------------------------------------------------------------------------------

/// The tags this reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Reference,
    Related,
    Account,
    Number,
    Opening,
    Line,
    Info,
    Closing,
    Available,
    Forward,
    FloorLimit,
    DateTime,
    SumDebit,
    SumCredit,
    NonSwift,
    Header,
}

impl Tag {
    fn of(name: &str) -> Option<Tag> {
        Some(match name {
            "20" => Tag::Reference,
            "21" => Tag::Related,
            "25" | "25P" => Tag::Account,
            "28" | "28C" => Tag::Number,
            "60F" | "60M" => Tag::Opening,
            "61" => Tag::Line,
            "86" => Tag::Info,
            "62F" | "62M" => Tag::Closing,
            "64" => Tag::Available,
            "65" => Tag::Forward,
            "34F" => Tag::FloorLimit,
            "13" | "13D" => Tag::DateTime,
            "90D" => Tag::SumDebit,
            "90C" => Tag::SumCredit,
            "NS" => Tag::NonSwift,
            // Rabobank and others write `:940:` as a first line.
            "940" | "942" => Tag::Header,
            _ => return None,
        })
    }
}

/// `:61:` for problems, formatted only when one is reported.
#[derive(Debug, Clone, Copy)]
struct TagName<'a>(&'a str);

impl fmt::Display for TagName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ":{}:", self.0)
    }
}

/// A field being read: its tag, where it starts and its text so far.
#[derive(Debug)]
struct OpenField<'a> {
    tag: Tag,
    name: &'a str,
    line: u32,
    first: &'a str,
    bytes: usize,
    /// Characters, counted once the bytes pass [`FIELD_CHARS_MAX`].
    chars: Option<usize>,
    too_long: bool,
}

/// How often something odd was seen, for one summary warning per kind.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: usize,
    first_line: u32,
}

impl Tally {
    fn add(&mut self, line: u32) {
        if self.count == 0 {
            self.first_line = line;
        }
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Tallies {
    outside: Tally,
    no_comma: Tally,
    decimal_point: Tally,
    long_info: Tally,
    no_customer_reference: Tally,
    ignored_text: Tally,
}

/// A `:61:` line read, waiting for its `:86:`.
#[derive(Debug)]
struct PendingEntry<'a> {
    line: StatementLine<'a>,
    info_line: u32,
}

/// A statement being read.
#[derive(Debug)]
struct Builder<'a> {
    line: u32,
    bic: Option<String>,
    account: Option<String>,
    number: Option<String>,
    currency: Option<Currency>,
    opening: Option<Balance>,
    closing: Option<Balance>,
    /// The tags were there (even when unreadable: then they are reported once).
    opening_seen: bool,
    closing_seen: bool,
    closed: bool,
    interim: bool,
    report_date: Option<Date>,
    sums: Vec<(bool, u64, Money, u32)>,
    entries: Vec<Entry>,
    pending: Option<PendingEntry<'a>>,
    failed: bool,
}

impl Builder<'_> {
    fn new(line: u32, bic: Option<String>) -> Self {
        Builder {
            line,
            bic,
            account: None,
            number: None,
            currency: None,
            opening: None,
            closing: None,
            opening_seen: false,
            closing_seen: false,
            closed: false,
            interim: false,
            report_date: None,
            sums: Vec::new(),
            entries: Vec::new(),
            pending: None,
            failed: false,
        }
    }
}

#[derive(Debug, Default)]
struct Reader<'a> {
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    statements: Vec<Statement>,
    kinds: Vec<bool>,
    current: Option<Builder<'a>>,
    field: Option<OpenField<'a>>,
    /// Continuation lines of the open field.
    more: Vec<&'a str>,
    /// The `:86:` lines of the pending entry.
    info: Vec<&'a str>,
    envelope_bic: Option<String>,
    entries_total: usize,
    entries_max: usize,
    tallies: Tallies,
    stopped: bool,
}

impl<'a> Reader<'a> {
    fn problem(&mut self, line: u32, field: impl fmt::Display, reason: impl Into<String>) {
        if let Some(current) = self.current.as_mut() {
            current.failed = true;
        }
        if self.problems.len() < PROBLEMS_MAX {
            self.problems.push(Problem::at(Location::Line(line), Some(field.to_string()), reason));
        } else if self.problems.len() == PROBLEMS_MAX {
            self.problems.push(Problem::at(
                Location::Line(line),
                None,
                format!("more than {PROBLEMS_MAX} problems; the list stops here"),
            ));
            self.stopped = true;
        }
    }

    fn warn(&mut self, line: u32, field: &str, reason: impl Into<String>) {
        if self.warnings.len() < PROBLEMS_MAX {
            self.warnings.push(Problem::at(Location::Line(line), Some(field.to_owned()), reason));
        }
    }

    fn line(&mut self, number: u32, raw: &'a str) {
        // SOH/ETX around SWIFT messages, a DOS end-of-file, stray NULs: never content.
        let line = trim_control(raw);
        if line.bytes().all(|b| b == b' ' || b == b'\t') {
            return;
        }
        if is_envelope(line) {
            self.envelope(number, line);
            return;
        }
        if let Some((name, value)) = split_tag(line) {
            self.open(number, name, value);
            return;
        }
        if line == "-" && !self.dash_is_text() {
            self.end_message();
            return;
        }
        self.text(number, line);
    }

    /// Inside the `:86:` of an entry a line `-` is text (ING cuts values anywhere); elsewhere it
    /// ends the message.
    fn dash_is_text(&self) -> bool {
        let in_info = self.field.as_ref().is_some_and(|f| f.tag == Tag::Info);
        in_info && self.current.as_ref().is_some_and(|c| c.pending.is_some() && !c.closed)
    }

    fn text(&mut self, number: u32, line: &'a str) {
        let Some(field) = self.field.as_mut() else {
            self.tallies.outside.add(number);
            return;
        };
        if field.too_long {
            return;
        }
        // Bytes bound characters from above, so characters are counted only once the bytes pass
        // the limit (a non-ASCII field holds more bytes than characters), then line by line.
        field.bytes += line.len();
        if field.bytes > FIELD_CHARS_MAX {
            let chars = match field.chars {
                Some(chars) => chars + line.chars().count(),
                None => {
                    field.first.chars().count()
                        + self.more.iter().map(|l| l.chars().count()).sum::<usize>()
                        + line.chars().count()
                }
            };
            field.chars = Some(chars);
            if chars > FIELD_CHARS_MAX {
                field.too_long = true;
                let (start, name) = (field.line, TagName(field.name));
                self.problem(
                    start,
                    name,
                    format!(
                        "the field goes on for more than {FIELD_CHARS_MAX} characters (is a tag \
                         or line break missing?)"
                    ),
                );
                return;
            }
        }
        self.more.push(line);
    }

    fn envelope(&mut self, number: u32, line: &'a str) {
        let mut rest = line;
        if let Some(after) = line.strip_prefix("-}") {
            self.end_message();
            rest = after;
        } else if line == "}" {
            self.end_message();
            return;
        }
        if let Some(at) = rest.find("{1:") {
            let block = rest.get(at + 3..).unwrap_or_default();
            self.envelope_bic = block.get(3..15).and_then(envelope_bic);
        }
        if let Some(at) = rest.rfind("{4:") {
            let body = rest.get(at + 3..).unwrap_or_default();
            let body = body.trim_matches(|c: char| c.is_ascii_control() || c == ' ');
            if !body.is_empty() && !is_envelope(body) {
                if let Some((name, value)) = split_tag(body) {
                    self.open(number, name, value);
                } else {
                    self.text(number, body);
                }
            }
        }
    }

    fn open(&mut self, number: u32, name: &'a str, value: &'a str) {
        self.close_field();
        let Some(tag) = Tag::of(name) else {
            self.problem(number, TagName(name), format!("unknown tag :{name}:"));
            // Its lines belong to no field we know; they are skipped with it.
            self.field = Some(OpenField {
                tag: Tag::NonSwift,
                name,
                line: number,
                first: value,
                bytes: 0,
                chars: None,
                too_long: false,
            });
            return;
        };
        if tag != Tag::Info {
            self.finish_entry();
        }
        match tag {
            Tag::Reference => {
                self.end_statement();
                self.current = Some(Builder::new(number, self.envelope_bic.clone()));
            }
            Tag::Header => {}
            _ if self.current.is_none() => {
                self.problem(
                    number,
                    TagName(name),
                    format!("tag :{name}: outside a statement (every statement starts with :20:)"),
                );
            }
            _ => {}
        }
        // A field on one line is held to the same limit as one spread over several.
        let too_long = value.len() > FIELD_CHARS_MAX && value.chars().count() > FIELD_CHARS_MAX;
        if too_long {
            self.problem(
                number,
                TagName(name),
                format!(
                    "the field goes on for more than {FIELD_CHARS_MAX} characters (is a tag \
                     or line break missing?)"
                ),
            );
        }
        self.field = Some(OpenField {
            tag,
            name,
            line: number,
            first: value,
            bytes: value.len(),
            chars: None,
            too_long,
        });
    }

    /// Processes the open field now that all its lines are known.
    fn close_field(&mut self) {
        let Some(field) = self.field.take() else {
            return;
        };
        let more = std::mem::take(&mut self.more);
        if !field.too_long && self.current.is_some() {
            self.field_done(&field, &more);
        }
        let mut more = more;
        more.clear();
        self.more = more;
    }

    fn field_done(&mut self, field: &OpenField<'a>, more: &[&'a str]) {
        let line = field.line;
        let name = TagName(field.name);
        match field.tag {
            Tag::Reference | Tag::Related | Tag::NonSwift | Tag::Header => {}
            Tag::Account => {
                let value = joined(field.first, more);
                let account = account_of(&value);
                let current = self.current_mut();
                if current.account.is_some() {
                    self.problem(line, name, "a second account identification in one statement");
                } else if account.is_empty() {
                    self.problem(line, name, "the account identification is empty");
                } else {
                    current.account = Some(cap(&account, ID_CHARS_MAX));
                }
            }
            Tag::Number => {
                let value = joined(field.first, more);
                let value = value.trim();
                let current = self.current_mut();
                if current.number.is_some() {
                    self.problem(line, name, "a second statement number in one statement");
                } else if !value.is_empty() {
                    current.number = Some(cap(value, ID_CHARS_MAX));
                }
            }
            Tag::Opening => self.opening(field, more, name),
            Tag::Closing => self.closing(field, more, name),
            Tag::Available | Tag::Forward => {
                self.ignored_lines(line, more);
                if let Err(reason) = self.balance(field.first, line) {
                    self.problem(line, name, reason);
                }
            }
            Tag::Line => self.statement_line(field, more, name),
            Tag::Info => {
                let current = self.current_mut();
                if current.pending.is_some() {
                    self.info.push(field.first);
                    self.info.extend_from_slice(more);
                }
                // Otherwise it is information about the whole statement: not kept.
            }
            Tag::FloorLimit => {
                self.ignored_lines(line, more);
                match floor_limit(field.first) {
                    Ok((currency, separator)) => {
                        self.separator(separator, line);
                        let current = self.current_mut();
                        current.interim = true;
                        if current.currency.is_none() {
                            current.currency = Some(currency);
                        }
                    }
                    Err(reason) => self.problem(line, name, reason),
                }
            }
            Tag::DateTime => {
                self.ignored_lines(line, more);
                match date_time(field.first) {
                    Ok(date) => {
                        let current = self.current_mut();
                        current.interim = true;
                        current.report_date = Some(date);
                    }
                    Err(reason) => self.problem(line, name, reason),
                }
            }
            Tag::SumDebit | Tag::SumCredit => {
                self.ignored_lines(line, more);
                match entry_sum(field.first) {
                    Ok((count, money)) => {
                        let current = self.current_mut();
                        current.interim = true;
                        current.sums.push((field.tag == Tag::SumDebit, count, money, line));
                    }
                    Err(reason) => self.problem(line, name, reason),
                }
            }
        }
    }

    fn current_mut(&mut self) -> &mut Builder<'a> {
        // Only called while a statement is open (`close_field` checks); a stand-in otherwise.
        self.current.get_or_insert_with(|| Builder { failed: true, ..Builder::new(0, None) })
    }

    fn ignored_lines(&mut self, line: u32, more: &[&'a str]) {
        if !more.is_empty() {
            self.tallies.ignored_text.add(line);
        }
    }

    /// Reads a balance, noting an odd decimal separator.
    fn balance(&mut self, value: &str, line: u32) -> Result<Balance, String> {
        let (balance, separator) = balance_of(value)?;
        self.separator(separator, line);
        Ok(balance)
    }

    fn separator(&mut self, separator: Separator, line: u32) {
        match separator {
            Separator::Comma => {}
            Separator::Point => self.tallies.decimal_point.add(line),
            Separator::Missing => self.tallies.no_comma.add(line),
        }
    }

    fn opening(&mut self, field: &OpenField<'a>, more: &[&'a str], name: TagName<'_>) {
        let line = field.line;
        self.ignored_lines(line, more);
        self.current_mut().opening_seen = true;
        let balance = match self.balance(field.first, line) {
            Ok(balance) => balance,
            Err(reason) => return self.problem(line, name, reason),
        };
        let current = self.current_mut();
        if current.opening.is_some() {
            return self.problem(line, name, "a second opening balance in one statement");
        }
        if !current.entries.is_empty() {
            return self.problem(line, name, "the opening balance comes after statement lines");
        }
        current.currency = Some(balance.amount.currency());
        current.opening = Some(balance);
    }

    fn closing(&mut self, field: &OpenField<'a>, more: &[&'a str], name: TagName<'_>) {
        let line = field.line;
        self.ignored_lines(line, more);
        let current = self.current_mut();
        current.closing_seen = true;
        current.closed = true;
        let balance = match self.balance(field.first, line) {
            Ok(balance) => balance,
            Err(reason) => return self.problem(line, name, reason),
        };
        let current = self.current_mut();
        if current.closing.is_some() {
            return self.problem(line, name, "a second closing balance in one statement");
        }
        let expected = current.currency;
        current.closing = Some(balance);
        current.closed = true;
        if let Some(currency) = expected
            && currency != balance.amount.currency()
        {
            self.problem(
                line,
                name,
                format!(
                    "the closing balance is in {} but the statement is in {currency}",
                    balance.amount.currency()
                ),
            );
        }
    }

    fn statement_line(&mut self, field: &OpenField<'a>, more: &[&'a str], name: TagName<'_>) {
        let line = field.line;
        let current = self.current_mut();
        if current.closed {
            return self.problem(line, name, "a statement line after the closing balance");
        }
        let Some(currency) = current.currency else {
            if current.opening_seen {
                // The opening balance was unreadable and is reported already.
                return;
            }
            return self.problem(
                line,
                name,
                "a statement line before the opening balance (:60F:) or floor limit (:34F:)",
            );
        };
        match statement_line_of(field.first, more, currency, line) {
            Ok(parsed) => {
                self.separator(parsed.separator, line);
                if parsed.customer_reference.trim().is_empty() {
                    self.tallies.no_customer_reference.add(line);
                }
                self.entries_total += 1;
                if self.entries_total > self.entries_max {
                    let max = self.entries_max;
                    self.problem(
                        line,
                        name,
                        format!("more than {max} statement lines in one file"),
                    );
                    self.stopped = true;
                    return;
                }
                self.info.clear();
                let current = self.current_mut();
                current.pending = Some(PendingEntry { line: parsed, info_line: line });
            }
            Err((part, reason)) => self.problem(line, format!("{name} {part}"), reason),
        }
    }

    /// Turns the pending `:61:` and its `:86:` lines into an entry.
    fn finish_entry(&mut self) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let Some(pending) = current.pending.take() else {
            return;
        };
        // A last line `-` ends the message, not the text (ING's `-` inside values is followed
        // by more text).
        if self.info.last().is_some_and(|l| l.trim() == "-") {
            self.info.pop();
        }
        let info_bytes: usize = self.info.iter().map(|l| l.len()).sum();
        if info_bytes > INFO_CHARS_SWIFT
            && self.info.iter().map(|l| l.chars().count()).sum::<usize>() > INFO_CHARS_SWIFT
        {
            self.tallies.long_info.add(pending.info_line);
        }
        let entry = make_entry(&pending.line, &self.info, current.account.as_deref());
        self.info.clear();
        current.entries.push(entry);
    }

    /// The end of a SWIFT message (`-` or `-}`): the statement is complete.
    fn end_message(&mut self) {
        self.close_field();
        self.finish_entry();
        self.end_statement();
        self.envelope_bic = None;
    }

    fn end_statement(&mut self) {
        self.close_field();
        self.finish_entry();
        let Some(builder) = self.current.take() else {
            return;
        };
        let line = builder.line;
        let mut reasons: Vec<(&str, String)> = Vec::new();
        if builder.account.is_none() {
            reasons.push((":25:", "the statement has no account identification (:25:)".into()));
        }
        let interim = builder.interim && !builder.opening_seen && !builder.closing_seen;
        if !interim {
            if !builder.opening_seen {
                reasons.push((":60F:", "the statement has no opening balance (:60F:)".into()));
            }
            if !builder.closing_seen {
                reasons.push((
                    ":62F:",
                    "the statement has no closing balance (:62F:); is the file cut off?".into(),
                ));
            }
        }
        for (field, reason) in reasons {
            self.problem(line, field, reason);
        }
        if builder.currency.is_none() && interim {
            self.problem(line, ":34F:", "the report gives no currency (no :34F: floor limit)");
        }
        if builder.failed || !self.problems.is_empty() {
            return;
        }
        let (Some(account), Some(currency)) = (builder.account, builder.currency) else {
            return;
        };
        if interim {
            self.check_sums(&builder.sums, &builder.entries);
        }
        if builder.number.is_none() {
            self.warn(line, ":28C:", "the statement has no statement number (:28C:)");
        }
        let balance_check = BalanceCheck::compute(
            builder.opening.as_ref(),
            &builder.entries,
            builder.closing.as_ref(),
        );
        self.kinds.push(interim);
        self.statements.push(Statement {
            id: builder.number,
            account,
            account_bic: builder.bic,
            account_holder: None,
            currency,
            opening_balance: builder.opening,
            closing_balance: builder.closing,
            from_date: builder.opening.and_then(|b| b.date),
            to_date: builder.closing.and_then(|b| b.date).or(builder.report_date),
            entries: builder.entries,
            balance_check,
            location: Location::Line(line),
        });
    }

    /// MT942 `:90D:`/`:90C:` give the number and sum of debit and credit entries.
    fn check_sums(&mut self, sums: &[(bool, u64, Money, u32)], entries: &[Entry]) {
        for &(debit, count, money, line) in sums {
            let mut found_count: u64 = 0;
            let mut total: i128 = 0;
            for entry in entries {
                if entry.amount.is_negative() == debit && !(debit && entry.amount.is_zero()) {
                    found_count += 1;
                    total += i128::from(entry.amount.minor()).abs();
                }
            }
            if found_count != count || total != i128::from(money.minor()) {
                let tag = if debit { ":90D:" } else { ":90C:" };
                self.warn(
                    line,
                    tag,
                    format!(
                        "the report says {count} entries of {money}, the entries add up to \
                         {found_count} of {}",
                        Money::from_minor(
                            i64::try_from(total).unwrap_or(i64::MAX),
                            money.currency()
                        )
                    ),
                );
            }
        }
    }

    fn finish(mut self) -> Result<ParsedStatements, StatementError> {
        if !self.stopped {
            self.end_message();
        }
        if self.statements.is_empty() && self.problems.is_empty() {
            self.problem(1, ":20:", "no MT940 or MT942 statement found (no line starts with :20:)");
        }
        let interim = self.kinds.first().copied().unwrap_or(false);
        if self.kinds.iter().any(|&k| k != interim) {
            self.problem(
                1,
                "message",
                "the file mixes MT940 statements and MT942 interim reports; import them apart",
            );
        }
        if !self.problems.is_empty() {
            // Statement-level problems are found at the statement's end; report in file order.
            self.problems.sort_by_key(|p| match p.location {
                Location::Line(n) => u64::from(n),
                Location::Byte(n) => n,
            });
            return Err(StatementError { problems: self.problems });
        }
        self.summary_warnings();
        Ok(ParsedStatements {
            format: StatementFormat::Mt940,
            message: if interim { "MT942" } else { "MT940" }.to_owned(),
            statements: self.statements,
            warnings: self.warnings,
        })
    }

    fn summary_warnings(&mut self) {
        let t = &self.tallies;
        let notes = [
            (
                t.outside,
                "file",
                "line(s) outside any statement were skipped (bank headers, separators)",
            ),
            (t.no_comma, "amount", "amount(s) have no decimal comma; read as whole units"),
            (t.decimal_point, "amount", "amount(s) use a decimal point instead of the comma"),
            (
                t.long_info,
                ":86:",
                "information field(s) are longer than the 390 characters SWIFT allows; kept whole",
            ),
            (
                t.no_customer_reference,
                ":61:",
                "statement line(s) have no reference for the account owner",
            ),
            (t.ignored_text, "file", "field(s) have continuation lines that were skipped"),
        ];
        for (tally, field, text) in notes {
            if tally.count > 0 {
                self.warnings.push(Problem::at(
                    Location::Line(tally.first_line),
                    Some(field.to_owned()),
                    format!("{} {text} (the first at this line)", tally.count),
                ));
            }
        }
    }
}

/// The line without ASCII control characters at either end (SOH, ETX, SUB, NUL, tab).
fn trim_control(line: &str) -> &str {
    let bytes = line.as_bytes();
    let start = bytes.iter().position(|b| !b.is_ascii_control()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_control()).map_or(start, |e| e + 1);
    // Control characters are ASCII, so both ends are character boundaries.
    line.get(start..end.max(start)).unwrap_or_default()
}

/// A SWIFT block line: `{1:…}`, `{2:…}`, `{4:`, `-}`, `}`.
fn is_envelope(line: &str) -> bool {
    line.starts_with("-}")
        || line == "}"
        || (line.starts_with('{')
            && matches!(line.as_bytes().get(1), Some(b'1'..=b'5'))
            && line.as_bytes().get(2) == Some(&b':'))
}

/// The BIC of a SWIFT logical terminal address (`INGBNL2AXXXX`: BIC8, terminal letter, branch).
fn envelope_bic(address: &str) -> Option<String> {
    let bic8 = address.get(..8)?;
    let branch = address.get(9..12)?;
    let text = if branch == "XXX" { bic8.to_owned() } else { format!("{bic8}{branch}") };
    Bic::parse(&text).ok().map(|b| b.as_str().to_owned())
}

/// `:61:rest` → `("61", "rest")`. A tag is one to five letters or digits starting with a digit
/// (or the non-SWIFT `NS`); `:KO:NR:` inside a text is not a tag.
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.bytes().take(6).position(|b| b == b':')?;
    let name = rest.get(..end)?;
    let first = name.bytes().next()?;
    let shaped =
        name.bytes().all(|b| b.is_ascii_alphanumeric()) && (first.is_ascii_digit() || name == "NS");
    if !shaped {
        return None;
    }
    Some((name, rest.get(end + 1..).unwrap_or_default()))
}

/// The first line and the continuation lines of a one-value field, without separators.
fn joined<'s>(first: &'s str, more: &[&'s str]) -> Cow<'s, str> {
    if more.is_empty() {
        return Cow::Borrowed(first);
    }
    let mut text = String::with_capacity(first.len() + more.iter().map(|l| l.len()).sum::<usize>());
    text.push_str(first);
    for line in more {
        text.push_str(line);
    }
    Cow::Owned(text)
}

fn cap(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

// ---------------------------------------------------------------------------------------------
// Field values
// ---------------------------------------------------------------------------------------------

/// How an amount wrote its decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    Comma,
    Point,
    Missing,
}

/// An amount in the MT940 form `1234,56` (also `1234,`, `0,5`; tolerated: `1234.56`, `1234`),
/// as unsigned minor units.
fn amount_of(text: &str, currency: Currency) -> Result<(i64, Separator), String> {
    if text.is_empty() {
        return Err("the amount is missing".into());
    }
    let separator_at = text.find([',', '.']);
    let (int_part, frac_part, separator) = match separator_at {
        Some(at) => {
            let separator = if text.as_bytes().get(at) == Some(&b',') {
                Separator::Comma
            } else {
                Separator::Point
            };
            (text.get(..at).unwrap_or_default(), text.get(at + 1..).unwrap_or_default(), separator)
        }
        None => (text, "", Separator::Missing),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits_only(int_part) || !digits_only(frac_part) {
        return Err(format!("'{text}' is not an amount like 1234,56"));
    }
    let decimals = currency.minor_digits() as usize;
    let frac_significant = frac_part.trim_end_matches('0');
    if frac_significant.len() > decimals {
        return Err(format!("'{text}' has more than {decimals} decimals for {currency}"));
    }
    let int_part = int_part.trim_start_matches('0');
    let too_large = || format!("the amount '{text}' is too large");
    if int_part.len() > 16 {
        return Err(too_large());
    }
    let mut minor: i64 = 0;
    for b in int_part.bytes() {
        minor = minor * 10 + i64::from(b - b'0');
    }
    for i in 0..decimals {
        let digit = frac_significant.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        minor = minor.checked_mul(10).and_then(|m| m.checked_add(digit)).ok_or_else(too_large)?;
    }
    if minor > AMOUNT_MINOR_MAX {
        return Err(too_large());
    }
    Ok((minor, separator))
}

/// `YYMMDD` as a date.
fn date_of(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(format!("'{text}' is not a date YYMMDD"));
    }
    let two = |i: usize| {
        bytes.get(i..i + 2).map_or(0, |p| p.iter().fold(0_i16, |a, b| a * 10 + i16::from(b - b'0')))
    };
    let (yy, month, day) = (two(0), two(2), two(4));
    let year = if yy < 80 { 2000 + yy } else { 1900 + yy };
    civil(year, month, day).ok_or_else(|| format!("'{text}' is not a day in the calendar"))
}

fn civil(year: i16, month: i16, day: i16) -> Option<Date> {
    let month = i8::try_from(month).ok()?;
    let day = i8::try_from(day).ok()?;
    Date::new(year, month, day).ok()
}

/// The entry date `MMDD` in the year that puts it closest to `value`.
fn entry_date_of(text: &str, value: Date) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let two = |i: usize| {
        bytes.get(i..i + 2).map_or(0, |p| p.iter().fold(0_i16, |a, b| a * 10 + i16::from(b - b'0')))
    };
    let (month, day) = (two(0), two(2));
    let year = value.year();
    // Within half a year in the same year, no other year can be closer.
    if let Some(date) = civil(year, month, day)
        && days_between(value, date).abs() <= 182
    {
        return Ok(date);
    }
    let mut best: Option<(i32, Date)> = None;
    for candidate in [year - 1, year, year + 1] {
        if let Some(date) = civil(candidate, month, day) {
            let distance = days_between(value, date).abs();
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, date));
            }
        }
    }
    best.map(|(_, d)| d).ok_or_else(|| format!("'{text}' is not a day in the calendar (MMDD)"))
}

/// A balance `C240131EUR1234,56` (`:60F:`, `:62F:`, `:64:`, `:65:`).
fn balance_of(value: &str) -> Result<(Balance, Separator), String> {
    let value = value.trim();
    let shape = "expected D or C, the date YYMMDD, the currency and the amount, like \
                 C240131EUR1234,56";
    let negative = match value.as_bytes().first() {
        Some(b'C') => false,
        Some(b'D') => true,
        _ => return Err(format!("'{value}': {shape}")),
    };
    let date_text = value.get(1..7).ok_or_else(|| format!("'{value}': {shape}"))?;
    let date = date_of(date_text)?;
    let currency_text = value.get(7..10).ok_or_else(|| format!("'{value}': {shape}"))?;
    let currency = currency_of(currency_text)?;
    let (minor, separator) = amount_of(value.get(10..).unwrap_or_default().trim(), currency)?;
    let amount = Money::from_minor(if negative { -minor } else { minor }, currency);
    Ok((Balance { amount, date: Some(date) }, separator))
}

fn currency_of(text: &str) -> Result<Currency, String> {
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("'{text}' is not a currency code like EUR"));
    }
    Currency::parse(text).map_err(|e| e.to_string())
}

/// MT942 `:34F:` floor limit `EURD0,00`: gives the report's currency.
fn floor_limit(value: &str) -> Result<(Currency, Separator), String> {
    let value = value.trim();
    let currency = currency_of(value.get(..3).unwrap_or_default())?;
    let rest = value.get(3..).unwrap_or_default();
    let rest = rest.strip_prefix(['D', 'C']).unwrap_or(rest);
    let (_, separator) = amount_of(rest, currency)?;
    Ok((currency, separator))
}

/// MT942 `:13D:` `YYMMDDhhmm+hhmm`: the date of the report.
fn date_time(value: &str) -> Result<Date, String> {
    let value = value.trim();
    let date = date_of(value.get(..6).unwrap_or(value))?;
    let time = value.get(6..10).unwrap_or_default();
    if !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{value}' is not a date and time YYMMDDhhmm+hhmm"));
    }
    Ok(date)
}

/// MT942 `:90D:`/`:90C:` `3EUR123,45`: number and sum of debit or credit entries.
fn entry_sum(value: &str) -> Result<(u64, Money), String> {
    let value = value.trim();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let count: u64 = value
        .get(..digits)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("'{value}' is not a count, currency and amount like 3EUR123,45"))?;
    let rest = value.get(digits..).unwrap_or_default();
    let currency = currency_of(rest.get(..3).unwrap_or_default())?;
    let (minor, _) = amount_of(rest.get(3..).unwrap_or_default(), currency)?;
    Ok((count, Money::from_minor(minor, currency)))
}

/// `:25:` without a trailing currency (`NL77INGB0574908765EUR`, `1291.99.348 EUR`,
/// `…ABCDEF002/HUF`), an IBAN in electronic form.
fn account_of(value: &str) -> String {
    let text = value.trim();
    if let Ok(iban) = Iban::parse(text) {
        return iban.electronic().to_owned();
    }
    let len = text.len();
    if len > 3
        && let Some(code) = text.get(len - 3..)
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && Currency::parse(code).is_ok()
    {
        let head = text.get(..len - 3).unwrap_or_default();
        let before = head.bytes().last();
        if before.is_some_and(|b| b.is_ascii_digit() || b == b' ' || b == b'/') {
            let head = head.trim_end().trim_end_matches('/').trim_end();
            return match Iban::parse(head) {
                Ok(iban) => iban.electronic().to_owned(),
                Err(_) => head.to_owned(),
            };
        }
    }
    text.to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Credit,
    Debit,
    /// `RC`: reversal of a credit, money out.
    ReversalOfCredit,
    /// `RD`: reversal of a debit, money in.
    ReversalOfDebit,
}

/// A `:61:` statement line.
#[derive(Debug)]
struct StatementLine<'a> {
    value_date: Date,
    booking_date: Date,
    mark: Mark,
    amount: Money,
    separator: Separator,
    type_code: &'a str,
    /// As written (old Rabobank puts account and name in columns here).
    customer_reference: &'a str,
    bank_reference: Option<&'a str>,
    supplementary: Cow<'a, str>,
    line: u32,
}

/// Reads `:61:` `YYMMDD[MMDD]{C|D|RC|RD}[funds]amount type ref[//bankref]` and the optional
/// supplementary line.
fn statement_line_of<'a>(
    first: &'a str,
    more: &[&'a str],
    currency: Currency,
    line: u32,
) -> Result<StatementLine<'a>, (&'static str, String)> {
    let text = first.trim_end();
    let value_text =
        text.get(..6).ok_or_else(|| ("value date", format!("'{text}' is too short")))?;
    let value_date = date_of(value_text).map_err(|e| ("value date", e))?;
    let mut rest = text.get(6..).unwrap_or_default();
    let mut booking_date = value_date;
    if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let entry = rest.get(..4).filter(|e| e.bytes().all(|b| b.is_ascii_digit()));
        let entry =
            entry.ok_or_else(|| ("entry date", format!("'{rest}' does not start with MMDD")))?;
        booking_date = entry_date_of(entry, value_date).map_err(|e| ("entry date", e))?;
        rest = rest.get(4..).unwrap_or_default();
    }
    let (mark, after) = if let Some(r) = rest.strip_prefix("RC") {
        (Mark::ReversalOfCredit, r)
    } else if let Some(r) = rest.strip_prefix("RD") {
        (Mark::ReversalOfDebit, r)
    } else if let Some(r) = rest.strip_prefix('C') {
        (Mark::Credit, r)
    } else if let Some(r) = rest.strip_prefix('D') {
        (Mark::Debit, r)
    } else {
        return Err(("debit/credit mark", format!("expected C, D, RC or RD at '{rest}'")));
    };
    rest = after;
    // The funds code: the third letter of the currency (EUR → R), optional.
    if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        rest = rest.get(1..).unwrap_or_default();
    }
    let amount_len =
        rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b',' || *b == b'.').count();
    let amount_text = rest.get(..amount_len).unwrap_or_default();
    let (minor, separator) = amount_of(amount_text, currency).map_err(|e| ("amount", e))?;
    rest = rest.get(amount_len..).unwrap_or_default().trim_start_matches(' ');
    let type_code = rest
        .get(..4)
        .filter(|t| t.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()))
        .ok_or_else(|| ("transaction type", format!("expected a type like NTRF at '{rest}'")))?;
    rest = rest.get(4..).unwrap_or_default();
    let slashes = rest.as_bytes().windows(2).position(|w| w == b"//");
    let (customer_reference, bank_reference) = match slashes {
        Some(at) => (
            rest.get(..at).unwrap_or_default(),
            Some(rest.get(at + 2..).unwrap_or_default().trim()).filter(|r| !r.is_empty()),
        ),
        None => (rest, None),
    };
    let signed = match mark {
        Mark::Credit | Mark::ReversalOfDebit => minor,
        Mark::Debit | Mark::ReversalOfCredit => -minor,
    };
    let supplementary = match more {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one.trim()),
        many => Cow::Owned(many.concat().trim().to_owned()),
    };
    Ok(StatementLine {
        value_date,
        booking_date,
        mark,
        amount: Money::from_minor(signed, currency),
        separator,
        type_code: type_code.trim_end(),
        customer_reference,
        bank_reference,
        supplementary,
        line,
    })
}

// ---------------------------------------------------------------------------------------------
// The entry and its `:86:`
// ---------------------------------------------------------------------------------------------

/// What the `:86:` (and the `:61:`) say about the movement.
#[derive(Debug, Default)]
struct Details {
    name: Option<String>,
    account: Option<String>,
    bic: Option<String>,
    end_to_end: Option<String>,
    remittance: String,
    reference: Option<StructuredReference>,
    code: Option<String>,
    return_reason: Option<String>,
    reversal: bool,
    /// The `:61:` reference for the account owner was the counterparty's account.
    reference_is_account: bool,
}

fn make_entry(line: &StatementLine<'_>, info: &[&str], own_account: Option<&str>) -> Entry {
    let mut details = details_of(info, line);
    counterparty_from_line(&mut details, line);
    if details.account.as_deref().is_some_and(|a| Some(a) == own_account) {
        details.account = None;
    }
    if details.reference.is_none() && might_hold_reference(&details.remittance) {
        details.reference = StructuredReference::find_in_text(&details.remittance);
    }
    let type_is_return = line.type_code.get(1..4) == Some("RTI");
    let reversal = matches!(line.mark, Mark::ReversalOfCredit | Mark::ReversalOfDebit)
        || type_is_return
        || details.reversal
        || details.return_reason.is_some();
    let transaction_code = match (&details.code, line.type_code) {
        (Some(code), "") => Some(code.clone()),
        (Some(code), t) => Some(format!("{t}/{code}")),
        (None, "") => None,
        (None, t) => Some(t.to_owned()),
    };
    let bank_reference = line
        .bank_reference
        .filter(|r| !is_placeholder(r))
        .or_else(|| {
            let customer = line.customer_reference.trim();
            let usable = !is_placeholder(customer)
                && !details.reference_is_account
                && rabobank_columns(line.customer_reference).is_none()
                && Iban::parse(customer).is_err();
            usable.then_some(customer)
        })
        .map(ToOwned::to_owned);
    Entry {
        booking_date: line.booking_date,
        value_date: Some(line.value_date),
        amount: line.amount,
        counterparty_name: details.name,
        counterparty_iban: details.account,
        counterparty_bic: details.bic,
        reference: details.reference,
        remittance: details.remittance,
        end_to_end_id: details.end_to_end,
        bank_reference,
        transaction_code,
        reversal,
        return_reason: details.return_reason,
        location: Location::Line(line.line),
    }
}

/// Words banks write where a reference is required but they have none.
fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || ["NONREF", "NONE", "EREF", "PREF", "MARF", "KREF+", "EREF+", "NOTPROVIDED"]
            .iter()
            .any(|p| t.eq_ignore_ascii_case(p))
}

/// Reads the `:86:` lines in their dialect.
fn details_of(info: &[&str], line: &StatementLine<'_>) -> Details {
    let Some(first) = info.iter().map(|l| l.trim()).find(|l| !l.is_empty()) else {
        return Details::default();
    };
    let bytes = first.as_bytes();
    if bytes.len() >= 4 && bytes.iter().take(3).all(u8::is_ascii_digit) {
        let all = concat(info);
        let all = all.trim_start();
        if let Some(&separator @ (b'?' | b'>')) = all.as_bytes().get(3) {
            return gvc_details(all, separator);
        }
    }
    if first.starts_with('/') {
        // Decided on the joined text: a line may end inside the first code word (`/REMI`).
        let all = concat(info);
        if structured_start(&all) {
            return structured_details(&all);
        }
    }
    if let Some(details) = sns_details(info, line) {
        return details;
    }
    free_text_details(info)
}

// --- German GVC ------------------------------------------------------------------------------

/// SEPA keywords inside the German purpose text.
const SEPA_KEYWORDS: [&str; 15] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "COAM+", "OAMT+",
    "PURP+", "IBAN+", "BIC+", "SQTP+", "RTRN+",
];

/// GVCs of returned items (DK code list: 109 SEPA direct debit returned, 159 SEPA credit
/// transfer returned).
const RETURN_GVC: [&str; 2] = ["109", "159"];

fn gvc_details(text: &str, separator: u8) -> Details {
    let gvc = text.get(..3).unwrap_or_default();
    let mut purpose_a: Vec<&str> = Vec::new();
    let mut purpose_b: Vec<&str> = Vec::new();
    let mut posting_text = "";
    let (mut bic, mut account, mut iban38, mut extension) = ("", "", String::new(), "");
    let mut name = String::new();
    let mut triodos_account = "";
    for (key, value) in subfields(text.get(3..).unwrap_or_default(), separator) {
        match key {
            0 => posting_text = value,
            10 => triodos_account = value,
            20..=29 => purpose_a.push(value),
            30 => bic = value,
            31 => account = value,
            32 | 33 => name.push_str(value),
            34 => extension = value,
            38 => iban38.push_str(value),
            60..=63 => purpose_b.push(value),
            _ => {}
        }
    }
    let mut details = Details::default();
    if separator == b'>' {
        // Triodos: >10 the counterparty account, >31 the statement's own account; a SEPA
        // transfer starts its description with the BIC (>20) and IBAN (>21).
        if let [maybe_bic, maybe_iban, rest @ ..] = purpose_a.as_slice()
            && bic_shaped(maybe_bic)
            && iban_shaped(maybe_iban)
        {
            details.bic = Some(maybe_bic.trim().to_owned());
            details.account = Some(electronic(maybe_iban));
            purpose_a = rest.to_vec();
        }
        let account = triodos_account.trim();
        if details.account.is_none() && !account.is_empty() && account.bytes().any(|b| b != b'0') {
            details.account = Some(account.to_owned());
        }
        details.remittance = cap_remittance(&purpose_a.concat());
        details.code = Some(gvc.to_owned()).filter(|c| c != "000");
        return details;
    }
    let sepa = sepa_fields(&purpose_a, &purpose_b);
    details.remittance = cap_remittance(sepa.remittance.trim());
    details.end_to_end = sepa.eref.filter(|e| !is_placeholder(e));
    let iban38 = iban38.trim();
    let account = account.trim();
    details.account = if Iban::parse(iban38).is_ok() {
        Some(electronic(iban38))
    } else if !account.is_empty() {
        Some(electronic(account))
    } else {
        None
    };
    details.bic = Bic::parse(bic.trim()).ok().map(|b| b.as_str().to_owned());
    details.name = clean_name(&name);
    details.code = Some(gvc.to_owned());
    let posting = posting_text.to_uppercase();
    let is_return = RETURN_GVC.contains(&gvc)
        || posting.contains("RETOURE")
        || posting.contains("RUECKLASTSCHR")
        || posting.contains("RÜCKLASTSCHR");
    if is_return {
        details.reversal = true;
        let extension = extension.trim();
        details.return_reason =
            sepa.return_reason.or_else(|| Some(extension.to_owned()).filter(|e| !e.is_empty()));
    }
    details
}

/// `?00text?10text…` → (0, "text"), (10, "text"), …; a separator not followed by two digits is
/// text.
fn subfields(text: &str, separator: u8) -> Vec<(u8, &str)> {
    let bytes = text.as_bytes();
    let mut fields = Vec::new();
    let mut current: Option<(u8, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let is_key = bytes.get(i) == Some(&separator)
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_digit);
        if is_key {
            if let Some((key, start)) = current {
                fields.push((key, text.get(start..i).unwrap_or_default()));
            }
            let digit = |j: usize| bytes.get(j).map_or(0, |d| d - b'0');
            let key = digit(i + 1) * 10 + digit(i + 2);
            current = Some((key, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    if let Some((key, start)) = current {
        fields.push((key, text.get(start..).unwrap_or_default()));
    }
    fields
}

#[derive(Debug, Default)]
struct SepaFields {
    eref: Option<String>,
    remittance: String,
    return_reason: Option<String>,
}

/// Splits the purpose (`?20`–`?29`, then `?60`–`?63`) on the SEPA keywords. The subfields are
/// joined first (a keyword may be cut over two: `…034 S?25VWZ+…`); a keyword counts at the start
/// of a subfield or after a space. Only `SVWZ+` runs on from `?29` into `?60`.
fn sepa_fields(part_a: &[&str], part_b: &[&str]) -> SepaFields {
    let mut text = String::new();
    let mut starts: Vec<usize> = Vec::with_capacity(part_a.len() + part_b.len());
    for part in part_a {
        starts.push(text.len());
        text.push_str(part);
    }
    let group_b = text.len();
    for part in part_b {
        starts.push(text.len());
        text.push_str(part);
    }
    // (keyword index or None for untagged text, start, end)
    let mut spans: Vec<(Option<usize>, usize, usize)> = Vec::new();
    let mut current: (Option<usize>, usize) = (None, 0);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        if i == group_b && i > 0 && current.0 != Some(SVWZ) {
            spans.push((current.0, current.1, i));
            current = (None, i);
        }
        let at_word = i == 0 || bytes.get(i - 1) == Some(&b' ') || starts.binary_search(&i).is_ok();
        let found = if at_word && bytes.get(i).is_some_and(u8::is_ascii_uppercase) {
            let tail = text.get(i..).unwrap_or_default();
            SEPA_KEYWORDS.iter().position(|k| tail.starts_with(k))
        } else {
            None
        };
        match found {
            Some(k) => {
                spans.push((current.0, current.1, i));
                let len = SEPA_KEYWORDS.get(k).map_or(5, |w| w.len());
                current = (Some(k), i + len);
                i += len;
            }
            None => i += 1,
        }
    }
    spans.push((current.0, current.1, text.len()));
    let mut untagged = String::new();
    let mut values: [Option<String>; SEPA_KEYWORDS.len()] = Default::default();
    for (keyword, start, end) in spans {
        let piece = text.get(start..end.max(start)).unwrap_or_default();
        match keyword {
            None => untagged.push_str(piece),
            // A keyword written twice: the texts are joined.
            Some(k) => {
                if let Some(slot) = values.get_mut(k) {
                    slot.get_or_insert_with(String::new).push_str(piece);
                }
            }
        }
    }
    let take = |k: usize| -> Option<String> {
        values.get(k).cloned().flatten().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    let remittance = take(SVWZ).unwrap_or_else(|| untagged.trim().to_owned());
    SepaFields { eref: take(EREF), remittance, return_reason: take(RTRN) }
}

const EREF: usize = 0;
const SVWZ: usize = 5;
const RTRN: usize = 14;

// --- Dutch structured ------------------------------------------------------------------------

/// The code words of the Dutch structured `:86:` (ING, ABN AMRO, Rabobank, Knab, bunq, ASN),
/// longest first where one starts another.
const CODE_WORDS: [&str; 30] = [
    "CDTRREFTP",
    "CDTRREF",
    "ACCW",
    "ADDR",
    "BBAN",
    "BENM",
    "BIC",
    "CHGS",
    "CNTP",
    "CSID",
    "EREF",
    "EXCH",
    "IBAN",
    "ISDT",
    "MARF",
    "NAME",
    "OCMT",
    "ORDP",
    "PREF",
    "PURP",
    "REMI",
    "RTRN",
    "SUM",
    "SVCL",
    "TRCD",
    "TRTP",
    "ULTB",
    "ULTC",
    "ULTD",
    "RTYP",
];

/// Whether a text starts with a code word: `/EREF/`, `/TRTP/`, …
fn structured_start(text: &str) -> bool {
    code_word_at(text.trim_start(), 0).is_some()
}

/// The code word at byte `at` (which holds a `/`) and the length of `/WORD/`.
fn code_word_at(text: &str, at: usize) -> Option<(&'static str, usize)> {
    let tail = text.get(at..)?.strip_prefix('/')?;
    if !tail.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let end = tail.bytes().take(10).position(|b| b == b'/')?;
    let word = tail.get(..end)?;
    // Lengths first: most candidates are rejected without comparing text.
    if !(3..=9).contains(&word.len()) {
        return None;
    }
    CODE_WORDS.iter().find(|w| w.len() == word.len() && **w == word).map(|w| (*w, end + 2))
}

/// `/EREF/x/NAME/y/` → ("EREF", "x/"), ("NAME", "y/"). Only known code words split.
fn code_words(text: &str) -> CodeWords<'_> {
    CodeWords { text, at: 0, current: None }
}

#[derive(Debug)]
struct CodeWords<'t> {
    text: &'t str,
    at: usize,
    current: Option<(&'static str, usize)>,
}

impl<'t> Iterator for CodeWords<'t> {
    type Item = (&'static str, &'t str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let i = self.at;
            if bytes.get(i) == Some(&b'/')
                && let Some((word, len)) = code_word_at(self.text, i)
            {
                // The closing '/' of this word may open the next one (`/BENM//NAME/`).
                self.at = i + len - 1;
                let previous = self.current.replace((word, i + len));
                if let Some((w, start)) = previous {
                    return Some((w, self.text.get(start..i).unwrap_or_default()));
                }
                continue;
            }
            self.at += 1;
        }
        let (w, start) = self.current.take()?;
        Some((w, self.text.get(start..).unwrap_or_default()))
    }
}

/// A value without surrounding blanks and trailing slashes.
fn value_of(text: &str) -> &str {
    text.trim().trim_end_matches('/').trim()
}

fn structured_details(text: &str) -> Details {
    let text = text.trim_start();
    let mut details = Details::default();
    let mut remi: Option<&str> = None;
    let mut pref: Option<&str> = None;
    let mut issuer: Option<&str> = None;
    let mut creditor_reference: Option<&str> = None;
    let mut previous: (&str, &str) = ("", "");
    for (word, raw) in code_words(text) {
        let value = value_of(raw);
        match word {
            "EREF" if details.end_to_end.is_none() && !is_placeholder(value) => {
                details.end_to_end = Some(value.to_owned());
            }
            "REMI" => remi = Some(raw),
            "PREF" => pref = Some(value),
            "CNTP" => {
                let mut parts = raw.split('/');
                let account = parts.next().unwrap_or_default().trim();
                let bic = parts.next().unwrap_or_default().trim();
                let name = parts.next().unwrap_or_default();
                set_if_empty(&mut details.account, account, electronic);
                set_if_empty(&mut details.bic, bic, |b| b.to_owned());
                if details.name.is_none() {
                    details.name = clean_name(name);
                }
            }
            "IBAN" => set_if_empty(&mut details.account, value, electronic),
            "BBAN" => set_if_empty(&mut details.account, value, |a| a.to_owned()),
            "ACCW" => {
                let (account, bic) = value.split_once(',').unwrap_or((value, ""));
                set_if_empty(&mut details.account, account.trim(), electronic);
                set_if_empty(&mut details.bic, bic.trim(), |b| b.to_owned());
            }
            "BIC" => set_if_empty(&mut details.bic, value, |b| b.to_owned()),
            "NAME" => {
                // A NAME right after an empty ULTC/ULTD/ULTB is the ultimate party's.
                let of_ultimate = matches!(previous.0, "ULTC" | "ULTD" | "ULTB")
                    && value_of(previous.1).is_empty();
                if !of_ultimate && details.name.is_none() {
                    details.name = clean_name(value);
                }
            }
            "RTRN" if !value.is_empty() => {
                details.return_reason = Some(value.to_owned());
                details.reversal = true;
            }
            "TRCD" if !value.is_empty() => details.code = Some(value.to_owned()),
            "CDTRREFTP" => issuer = issuer_of(value),
            "CDTRREF" => creditor_reference = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
        previous = (word, raw);
    }
    if let Some(raw) = remi {
        let value = raw.trim();
        if let Some(text) = value.strip_prefix("USTD//").or_else(|| value.strip_prefix("USTD/")) {
            details.remittance = cap_remittance(value_of(text));
        } else if let Some(structured) = value.strip_prefix("STRD/") {
            // STRD/CUR/<reference>/ (the issuer may be missing: STRD//<reference>/).
            let (kind, reference) = structured.split_once('/').unwrap_or(("", structured));
            details.reference = reference_of(Some(kind), value_of(reference));
        } else {
            details.remittance = cap_remittance(value_of(value));
        }
    }
    if details.reference.is_none()
        && let Some(reference) = creditor_reference
    {
        details.reference = reference_of(issuer, reference);
    }
    if details.remittance.is_empty()
        && let Some(pref) = pref
    {
        details.remittance = cap_remittance(pref);
    }
    details
}

/// The issuer in `/CD/SCOR/ISSR/CUR` (the value of `CDTRREFTP`).
fn issuer_of(value: &str) -> Option<&str> {
    let at = value.find("ISSR/")?;
    value.get(at + 5..)?.split('/').next().map(str::trim).filter(|s| !s.is_empty())
}

/// A structured reference with its issuer: `CUR` Dutch, `ISO` RF, `BBA` OGM; any other is
/// classified by its shape and kept as `other` when no scheme accepts it.
fn reference_of(issuer: Option<&str>, text: &str) -> Option<StructuredReference> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let scheme = match issuer.map(str::trim) {
        Some("CUR") => Some(ReferenceScheme::Nl),
        Some("ISO") => Some(ReferenceScheme::Rf),
        Some("BBA") => Some(ReferenceScheme::Ogm),
        Some(other) if !other.is_empty() => {
            return Some(StructuredReference {
                scheme: super::ReferenceKind::Other,
                value: text.chars().take(140).collect(),
            });
        }
        _ => None,
    };
    match scheme {
        Some(scheme) => {
            StructuredReference::classify_as(scheme, text).or(Some(StructuredReference {
                scheme: super::ReferenceKind::Other,
                value: text.chars().take(140).collect(),
            }))
        }
        None => StructuredReference::classify(text, true),
    }
}

// --- SNS / ASN --------------------------------------------------------------------------------

/// SNS and ASN Bank: the `:61:` reference is the counterparty's account, the supplementary
/// line its name, and the first `:86:` line repeats both.
fn sns_details(info: &[&str], line: &StatementLine<'_>) -> Option<Details> {
    let account = line.customer_reference.trim();
    if account.len() < 7 || is_placeholder(account) || !account_shaped(account) {
        return None;
    }
    let first_index = info.iter().position(|l| !l.trim().is_empty())?;
    let first = info.get(first_index)?.trim();
    let rest_of_first = first.strip_prefix(account)?;
    if !(rest_of_first.is_empty() || rest_of_first.starts_with(' ')) {
        return None;
    }
    let rest = info.get(first_index + 1..).unwrap_or_default();
    let description = concat(rest);
    let mut details = match description.trim_start() {
        start if structured_start(start) => structured_details(start),
        _ => Details { remittance: cap_remittance(&free_text(rest)), ..Details::default() },
    };
    if details.account.is_none() {
        details.account = Some(electronic(account));
    }
    if details.name.is_none() {
        details.name = clean_name(rest_of_first).or_else(|| clean_name(&line.supplementary));
    }
    details.reference_is_account = true;
    Some(details)
}

// --- Free text --------------------------------------------------------------------------------

/// Lines joined with a space, without one where a line was full (65 characters, cut mid-word).
fn free_text(lines: &[&str]) -> String {
    let mut text = String::new();
    let mut previous_full = false;
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        if text.is_empty() {
            text.push_str(line.trim());
        } else if previous_full && !text.ends_with(' ') && !line.starts_with(' ') {
            text.push_str(line.trim_end());
        } else {
            let trimmed_len = text.trim_end().len();
            text.truncate(trimmed_len);
            text.push(' ');
            text.push_str(line.trim());
        }
        previous_full = line.chars().count() >= LINE_CHARS && !line.ends_with(' ');
    }
    text
}

fn free_text_details(info: &[&str]) -> Details {
    let mut details = Details::default();
    // Knab: lines `REK: <account>/NAAM: <name>` and `NAAM: <name>` after the description.
    let mut kept: Vec<&str> = Vec::with_capacity(info.len());
    for line in info {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("REK:") {
            let (account, name) = match rest.split_once("/NAAM:") {
                Some((a, n)) => (a.trim(), Some(n)),
                None => (rest.trim(), None),
            };
            set_if_empty(&mut details.account, account, electronic);
            if let Some(name) = name {
                details.name = clean_name(name);
            }
        } else if let Some(name) = trimmed.strip_prefix("NAAM:") {
            details.name = clean_name(name);
        } else {
            kept.push(line);
        }
    }
    let text = free_text(&kept);
    if details.account.is_none()
        && let Some(first) = kept.iter().map(|l| l.trim()).find(|l| !l.is_empty())
    {
        leading_account(first, &mut details);
    }
    details.reference = betalingskenmerk(&text);
    details.remittance = cap_remittance(&text);
    details
}

/// Old Dutch layouts start with the counterparty's account: `GIRO   428428 KPN BV  …`,
/// `64.45.12.113 G.B. ROTTERDAM  …` (ABN AMRO, with the name up to the next column), or a bare
/// account number or IBAN (ING).
fn leading_account(first: &str, details: &mut Details) {
    let (account, rest, named) = if let Some(after) = first.strip_prefix("GIRO ") {
        let after = after.trim_start();
        let end = after.find(' ').unwrap_or(after.len());
        let number = after.get(..end).unwrap_or_default();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        (number, after.get(end..).unwrap_or_default(), true)
    } else {
        let end = first.find([' ', '\t']).unwrap_or(first.len());
        let token = first.get(..end).unwrap_or_default();
        let dotted = token.contains('.')
            && token.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && token.bytes().filter(u8::is_ascii_digit).count() >= 9;
        let digits = (9..=10).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit());
        if dotted {
            (token, first.get(end..).unwrap_or_default(), true)
        } else if digits || Iban::parse(token).is_ok() {
            (token, "", false)
        } else {
            return;
        }
    };
    details.account = Some(electronic(account));
    if named {
        // The name runs to the next column: two or more blanks.
        let rest = rest.trim_start();
        let end = rest.find("  ").unwrap_or(rest.len());
        details.name = clean_name(rest.get(..end).unwrap_or_default());
    }
}

/// A Dutch payment reference written after `BETALINGSKENM.` or `BETALINGSKENMERK` in free text:
/// digit groups (ABN AMRO spreads them over its columns), of which the first group, all of them
/// or their first 16 digits must pass the check.
fn betalingskenmerk(text: &str) -> Option<StructuredReference> {
    let at = ["BETALINGSKENMERK", "BETALINGSKENM."]
        .iter()
        .find_map(|word| text.find(word).map(|at| at + word.len()))?;
    let after = text.get(at..)?.trim_start_matches([':', ' ']);
    let mut groups: Vec<&str> = Vec::new();
    let mut digits = String::new();
    for word in after.split(' ') {
        if word.is_empty() {
            continue;
        }
        if !word.bytes().all(|b| b.is_ascii_digit()) || digits.len() >= 16 {
            break;
        }
        groups.push(word);
        digits.push_str(word);
    }
    let first = groups.first()?;
    let sixteen = digits.get(..16).unwrap_or(&digits);
    [*first, digits.as_str(), sixteen]
        .into_iter()
        .find_map(|candidate| StructuredReference::classify_as(ReferenceScheme::Nl, candidate))
}

// --- Counterparty from the :61: line ------------------------------------------------------------

fn counterparty_from_line(details: &mut Details, line: &StatementLine<'_>) {
    // ING writes its transaction code on the supplementary line: `/TRCD/00100/`.
    if details.code.is_none()
        && let Some(at) = line.supplementary.find("/TRCD/")
    {
        let code = line.supplementary.get(at + 6..).unwrap_or_default();
        let code = code.split('/').next().unwrap_or_default().trim();
        if !code.is_empty() {
            details.code = Some(code.to_owned());
        }
    }
    if details.account.is_some() {
        return;
    }
    let supplementary = line.supplementary.trim();
    if !supplementary.is_empty() && !supplementary.contains(' ') {
        let postbank = supplementary.strip_prefix('P').unwrap_or(supplementary);
        let account_number = (7..=10).contains(&postbank.len())
            && postbank.bytes().all(|b| b.is_ascii_digit())
            && postbank.bytes().any(|b| b != b'0');
        if iban_shaped(supplementary) || Iban::parse(supplementary).is_ok() || account_number {
            details.account = Some(electronic(supplementary));
            return;
        }
    }
    if let Some((account, name)) = rabobank_columns(line.customer_reference) {
        if !is_placeholder(account) {
            details.account = Some(electronic(account));
        }
        if details.name.is_none() {
            details.name = clean_name(name);
        }
    }
}

/// Old Rabobank `:61:` references: the account in a 16-character column, then the name.
fn rabobank_columns(reference: &str) -> Option<(&str, &str)> {
    let column = reference.get(..16)?;
    let name = reference.get(16..)?.trim();
    let account = column.trim_end();
    let shaped = !account.is_empty() && !account.contains(' ') && account.len() < 16;
    (shaped && !name.is_empty()).then_some((account, name))
}

// --- Small helpers ------------------------------------------------------------------------------

/// Lines joined without a separator; one line is borrowed.
fn concat<'s>(lines: &[&'s str]) -> Cow<'s, str> {
    match lines {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.concat()),
    }
}

fn set_if_empty(slot: &mut Option<String>, value: &str, make: impl Fn(&str) -> String) {
    if slot.is_none() && !value.trim().is_empty() {
        *slot = Some(make(value.trim()));
    }
}

/// An IBAN in electronic form; any other account as written.
fn electronic(text: &str) -> String {
    let text = text.trim();
    // Only a text that starts like an IBAN (two letters, two digits) can be one.
    let b = text.as_bytes();
    let starts_like_iban = b.iter().take(2).all(u8::is_ascii_alphabetic)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.len() >= 4;
    // Upper-case letters and digits only: the electronic form already, IBAN or not.
    let electronic_already = b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !starts_like_iban || electronic_already {
        return text.to_owned();
    }
    match Iban::parse(text) {
        Ok(iban) => iban.electronic().to_owned(),
        Err(_) => text.to_owned(),
    }
}

/// A name with its blanks collapsed; `None` when empty.
fn clean_name(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let clean = !b.is_empty()
        && b.is_ascii()
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !b.windows(2).any(|w| w == b"  ")
        && !b.iter().any(|c| c.is_ascii_whitespace() && *c != b' ');
    if clean {
        return Some(text.to_owned());
    }
    let mut name = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(word);
    }
    (!name.is_empty()).then_some(name)
}

fn cap_remittance(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_REMITTANCE_CHARS {
        return text.to_owned();
    }
    match text.char_indices().nth(MAX_REMITTANCE_CHARS) {
        Some((at, _)) => text.get(..at).unwrap_or(text).trim_end().to_owned(),
        None => text.to_owned(),
    }
}

fn bic_shaped(text: &str) -> bool {
    let t = text.trim();
    (t.len() == 8 || t.len() == 11)
        && t.bytes().take(6).all(|b| b.is_ascii_uppercase())
        && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn iban_shaped(text: &str) -> bool {
    let t = text.trim();
    let b = t.as_bytes();
    (15..=34).contains(&b.len())
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// An account number or IBAN (valid, or shaped like one: test files hold made-up ones) as a
/// single token.
fn account_shaped(text: &str) -> bool {
    iban_shaped(text)
        || Iban::parse(text).is_ok()
        || (text.bytes().all(|b| b.is_ascii_digit()) && (7..=10).contains(&text.len()))
}

/// A cheap test before [`StructuredReference::find_in_text`]: an OGM needs 12 digits or
/// `+++`/`***`, an RF reference the letters RF and two digits.
fn might_hold_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut digits_in_run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'+' || b == b'*') && bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b)
        {
            return true;
        }
        if b.is_ascii_digit() {
            digits_in_run += 1;
            if digits_in_run >= 12 {
                return true;
            }
        } else if b != b'/' {
            digits_in_run = 0;
        }
        if (b == b'R' || b == b'r')
            && bytes.get(i + 1).is_some_and(|c| *c == b'F' || *c == b'f')
            && bytes.get(i + 2).is_some_and(u8::is_ascii_digit)
            && bytes.get(i + 3).is_some_and(u8::is_ascii_digit)
        {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Writes statements as an MT940 file in the Dutch structured style (ABN AMRO-like `:86:` with
/// `/RTRN/ /EREF/ /IBAN/ /BIC/ /NAME/ /REMI/ /CDTRREFTP/…/CDTRREF/ /TRCD/`), CRLF line ends, one
/// SWIFT message per statement (with blocks `{1:}{2:}{4:` when the statement has a BIC).
///
/// [`parse`] gives the statements back when they hold only what MT940 can carry: both balances
/// with dates (`from_date`/`to_date` equal to them), a value date within half a year of the
/// booking date, years 1980–2079, a `transaction_code` of four characters (optionally `/` and a
/// `TRCD`), a bank reference of at most 16 characters, no `account_holder`, texts in the SWIFT
/// character set without `/`, and remittance text that holds no reference of its own. Anything
/// else is written as well as it can be: a missing balance as zero on the first entry's date,
/// an unknown type as `NMSC`.
///
/// # Examples
/// ```
/// use arflow_formats::statement::mt940;
///
/// let text = ":20:X\n:25:NL91ABNA0417164300\n:28C:7/1\n:60F:C260130EUR10,00\n\
///             :61:2601310131C2,50NTRFNONREF\n:86:/NAME/A CUSTOMER/REMI/Invoice/\n\
///             :62F:C260131EUR12,50\n";
/// let parsed = mt940::parse(text.as_bytes()).unwrap();
/// let written = mt940::write_mt940(&parsed.statements);
/// let again = mt940::parse(written.as_bytes()).unwrap();
/// assert_eq!(again.statements[0].entries[0].remittance, "Invoice");
/// assert_eq!(again.statements[0].entries[0].amount.minor(), 250);
/// ```
#[must_use]
pub fn write_mt940(statements: &[Statement]) -> String {
    let mut out =
        String::with_capacity(statements.iter().map(|s| 256 + s.entries.len() * 220).sum());
    for (index, statement) in statements.iter().enumerate() {
        write_statement(&mut out, statement, index);
    }
    out
}

fn write_statement(out: &mut String, statement: &Statement, index: usize) {
    let bic = statement.account_bic.as_deref().and_then(|b| Bic::parse(b).ok());
    if let Some(bic) = &bic {
        let text = bic.as_str();
        let bic8 = text.get(..8).unwrap_or(text);
        let branch = text.get(8..11).unwrap_or("XXX");
        let _ = write!(out, "{{1:F01{bic8}X{branch}0000000000}}{{2:I940{bic8}XXXXN}}{{4:\r\n");
    }
    let reference: String = statement
        .id
        .as_deref()
        .unwrap_or("STATEMENT")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let reference = if reference.is_empty() { format!("S{index}") } else { reference };
    let _ = write!(out, ":20:{reference}\r\n:25:{}\r\n", one_line(&statement.account));
    let _ = write!(out, ":28C:{}\r\n", statement.id.as_deref().map_or("0".into(), one_line));
    let currency = statement.currency;
    let fallback_date = statement
        .from_date
        .or_else(|| statement.entries.first().map(|e| e.booking_date))
        .unwrap_or(Date::constant(2000, 1, 1));
    let opening = statement
        .opening_balance
        .unwrap_or(Balance { amount: Money::zero(currency), date: Some(fallback_date) });
    write_balance(out, "60F", &opening, fallback_date);
    for entry in &statement.entries {
        write_entry(out, entry);
    }
    let closing = statement.closing_balance.unwrap_or(Balance {
        amount: Money::zero(currency),
        date: statement.to_date.or(Some(fallback_date)),
    });
    write_balance(out, "62F", &closing, fallback_date);
    out.push_str(if bic.is_some() { "-}\r\n" } else { "-\r\n" });
}

fn write_balance(out: &mut String, tag: &str, balance: &Balance, fallback: Date) {
    let mark = if balance.amount.is_negative() { 'D' } else { 'C' };
    let date = balance.date.unwrap_or(fallback);
    let _ = write!(out, ":{tag}:{mark}");
    write_yymmdd(out, date);
    let _ = write!(out, "{}", balance.amount.currency());
    write_amount(out, balance.amount);
    out.push_str("\r\n");
}

fn write_yymmdd(out: &mut String, date: Date) {
    let _ = write!(out, "{:02}{:02}{:02}", date.year().rem_euclid(100), date.month(), date.day());
}

/// `1234,56`: the absolute amount with a decimal comma.
fn write_amount(out: &mut String, money: Money) {
    let digits = money.currency().minor_digits();
    let abs = money.minor().unsigned_abs();
    let scale = 10_u64.pow(digits);
    let _ = write!(out, "{},", abs / scale);
    if digits > 0 {
        let _ = write!(out, "{:0width$}", abs % scale, width = digits as usize);
    }
}

fn write_entry(out: &mut String, entry: &Entry) {
    let value = entry.value_date.unwrap_or(entry.booking_date);
    out.push_str(":61:");
    write_yymmdd(out, value);
    let _ = write!(out, "{:02}{:02}", entry.booking_date.month(), entry.booking_date.day());
    let mark = match (entry.reversal, entry.amount.is_negative()) {
        (false, false) => "C",
        (false, true) => "D",
        (true, true) => "RC",
        (true, false) => "RD",
    };
    out.push_str(mark);
    write_amount(out, entry.amount);
    let (type_code, trcd) = match entry.transaction_code.as_deref() {
        Some(code) => code.split_once('/').map_or((code, None), |(t, r)| (t, Some(r))),
        None => ("NMSC", None),
    };
    let type_ok = type_code.len() == 4 && type_code.bytes().all(|b| b.is_ascii_alphanumeric());
    out.push_str(if type_ok { type_code } else { "NMSC" });
    out.push_str("NONREF");
    if let Some(reference) = entry.bank_reference.as_deref() {
        let _ = write!(out, "//{}", one_line(reference));
    }
    out.push_str("\r\n");
    let mut info = String::new();
    let mut add = |word: &str, value: &str| {
        let value = one_line(value);
        if !value.is_empty() {
            let _ = write!(info, "/{word}/{value}");
        }
    };
    if let Some(reason) = entry.return_reason.as_deref() {
        add("RTRN", reason);
    }
    if let Some(id) = entry.end_to_end_id.as_deref() {
        add("EREF", id);
    }
    if let Some(iban) = entry.counterparty_iban.as_deref() {
        add("IBAN", iban);
    }
    if let Some(bic) = entry.counterparty_bic.as_deref() {
        add("BIC", bic);
    }
    if let Some(name) = entry.counterparty_name.as_deref() {
        add("NAME", name);
    }
    add("REMI", &entry.remittance);
    if let Some(reference) = &entry.reference {
        let issuer = match reference.scheme {
            super::ReferenceKind::Nl => "CUR",
            super::ReferenceKind::Rf => "ISO",
            super::ReferenceKind::Ogm => "BBA",
            super::ReferenceKind::Other => "OTHR",
        };
        add("CDTRREFTP", &format!("/CD/SCOR/ISSR/{issuer}"));
        add("CDTRREF", &reference.value);
    }
    if let Some(trcd) = trcd {
        add("TRCD", trcd);
    }
    if info.is_empty() {
        return;
    }
    info.push('/');
    write_wrapped(out, ":86:", &info);
}

/// Text of a value on one line: line breaks become spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect()
}

/// Writes `tag` + `text` in lines of at most 65 characters. A continuation line never starts
/// with a character that would make it a tag, an envelope or a message end (`:`, `-`, `{`,
/// `}`) nor with a blank; the reader joins structured lines without a separator, so the break
/// may fall anywhere else.
fn write_wrapped(out: &mut String, tag: &str, text: &str) {
    let chars: Vec<char> = text.chars().collect();
    let may_start_line =
        |at: usize| chars.get(at).is_none_or(|c| !matches!(c, ':' | '-' | '{' | '}' | ' ' | '\t'));
    out.push_str(tag);
    let mut start = 0;
    while start < chars.len() {
        let full = (start + LINE_CHARS).min(chars.len());
        // The latest break within 65 characters; else (a long run of such characters) the
        // first one after, in a longer line, which the reader accepts.
        let end = (start + 1..=full)
            .rev()
            .find(|&at| may_start_line(at))
            .or_else(|| (full..=chars.len()).find(|&at| may_start_line(at)))
            .unwrap_or(chars.len());
        if start > 0 {
            out.push_str("\r\n");
        }
        out.extend(chars.get(start..end).unwrap_or_default());
        start = end;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(body: &str) -> String {
        format!(
            ":20:T\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C240101EUR100,00\n\
             {body}:62F:C240102EUR100,00\n"
        )
    }

    #[test]
    fn a_file_with_more_entries_than_the_limit_is_refused_at_the_first_one_too_many() {
        let text = statement(":61:2401020102C1,00NTRFNONREF\n".repeat(4).as_str());
        assert!(read(text.as_bytes(), 4).is_ok());
        let error = read(text.as_bytes(), 3).unwrap_err();
        assert_eq!(error.problems.len(), 1);
        assert_eq!(error.problems[0].location, Location::Line(8));
        assert_eq!(error.problems[0].reason, "more than 3 statement lines in one file");
    }

    #[test]
    fn the_problem_list_stops_after_a_thousand() {
        let text = ":12:x\n".repeat(2_000);
        let error = parse(text.as_bytes()).unwrap_err();
        assert_eq!(error.problems.len(), PROBLEMS_MAX + 1);
        assert!(error.problems.last().unwrap().reason.contains("the list stops here"));
    }

    #[test]
    fn the_writer_never_starts_a_line_that_reads_as_a_tag_or_a_message_end() {
        let remittance = format!("{}:20:X {} -}} {{1:", "-".repeat(70), "a".repeat(63));
        let text = statement(&format!(":61:2401020102C1,00NTRFNONREF\n:86:/REMI/{remittance}/\n"));
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.statements[0].entries[0].remittance, remittance);
        let written = write_mt940(&parsed.statements);
        for line in written.lines().filter(|l| !l.starts_with(':') && !l.starts_with('{')) {
            assert!(
                !line.starts_with(['-', ':', '{', '}']) || line == "-" || line == "-}",
                "{line:?} in {written}"
            );
        }
        let again = parse(written.as_bytes()).unwrap();
        assert_eq!(again.statements[0].entries[0].remittance, remittance);
    }

    #[test]
    fn an_entry_date_in_january_after_a_december_value_date_is_next_year() {
        let v = Date::constant(2009, 12, 31);
        assert_eq!(entry_date_of("0101", v).unwrap(), Date::constant(2010, 1, 1));
        let v = Date::constant(2010, 1, 1);
        assert_eq!(entry_date_of("1231", v).unwrap(), Date::constant(2009, 12, 31));
        assert_eq!(entry_date_of("0102", v).unwrap(), Date::constant(2010, 1, 2));
    }

    #[test]
    fn amounts_are_exact_and_odd_separators_are_noted() {
        assert_eq!(amount_of("380115,12", Currency::EUR).unwrap(), (38_011_512, Separator::Comma));
        assert_eq!(amount_of("380115,", Currency::EUR).unwrap(), (38_011_500, Separator::Comma));
        assert_eq!(amount_of("001,1", Currency::EUR).unwrap(), (110, Separator::Comma));
        assert_eq!(amount_of("12.50", Currency::EUR).unwrap(), (1250, Separator::Point));
        assert_eq!(amount_of("500", Currency::EUR).unwrap(), (50_000, Separator::Missing));
        assert!(amount_of("1,234", Currency::EUR).is_err());
        assert!(amount_of(",5", Currency::EUR).is_err());
        assert!(amount_of("1,2,3", Currency::EUR).is_err());
        assert!(amount_of("99999999999999999999,00", Currency::EUR).is_err());
    }

    #[test]
    fn tags_are_digits_first_and_texts_with_colons_are_not_tags() {
        assert_eq!(split_tag(":61:1234"), Some(("61", "1234")));
        assert_eq!(split_tag(":NS:22X"), Some(("NS", "22X")));
        assert_eq!(split_tag(":KO:NR:401113172"), None);
        assert_eq!(split_tag(":9401:"), Some(("9401", "")));
        assert_eq!(split_tag("20:44:45 clita"), None);
    }

    #[test]
    fn the_structured_86_splits_only_on_known_code_words() {
        let fields = code_words("/BENM//NAME/Cost/REMI/Period 01-10-2013 t/m 31-12-2013/ISDT/20");
        let words: Vec<_> = fields.map(|(w, v)| (w, value_of(v))).collect();
        assert_eq!(
            words,
            vec![
                ("BENM", ""),
                ("NAME", "Cost"),
                ("REMI", "Period 01-10-2013 t/m 31-12-2013"),
                ("ISDT", "20")
            ]
        );
    }

    #[test]
    fn a_reversal_of_a_debit_is_money_in() {
        let text = statement(":61:2401020102RD5,00NTRFNONREF\n:61:2401020102RCR5,00NTRFNONREF\n");
        let parsed = parse(text.as_bytes()).unwrap();
        let entries = &parsed.statements[0].entries;
        assert_eq!(entries[0].amount.minor(), 500);
        assert_eq!(entries[1].amount.minor(), -500);
        assert!(entries.iter().all(|e| e.reversal));
    }

    #[test]
    fn an_ing_return_gives_its_reason() {
        let text = statement(
            ":61:2401020102D1,00NRTIEREF//0001\n/TRCD/00190/\n\
             :86:/RTRN/MS03//EREF/ABC//CNTP/NL20INGB0001234567/INGBNL2A/J.Janssen///\
             REMI/USTD//Factuur 1/\n",
        );
        let parsed = parse(text.as_bytes()).unwrap();
        let e = &parsed.statements[0].entries[0];
        assert_eq!(e.return_reason.as_deref(), Some("MS03"));
        assert!(e.reversal);
        assert_eq!(e.end_to_end_id.as_deref(), Some("ABC"));
        assert_eq!(e.counterparty_iban.as_deref(), Some("NL20INGB0001234567"));
        assert_eq!(e.counterparty_bic.as_deref(), Some("INGBNL2A"));
        assert_eq!(e.counterparty_name.as_deref(), Some("J.Janssen"));
        assert_eq!(e.remittance, "Factuur 1");
        assert_eq!(e.bank_reference.as_deref(), Some("0001"));
    }
}
