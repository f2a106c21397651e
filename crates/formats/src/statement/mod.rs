//! Bank statements: one normalised model for camt.05x, MT940/MT942, CODA and mapped CSV.
//!
//! Every parser turns bytes into [`ParsedStatements`] or a list of [`Problem`]s (never both, never
//! a panic). Amounts are exact [`Money`]; an entry's amount is signed (credit positive, debit
//! negative). Each statement says whether its opening balance plus its entries equals its closing
//! balance ([`BalanceCheck`]); a mismatch is reported, not hidden, and not an error by itself.

pub mod camt;
pub mod coda;
pub mod csv_mapped;
pub mod mt940;

use std::borrow::Cow;
use std::fmt;

use arflow_core::date::Date;
use arflow_core::money::{Currency, Money};
use arflow_core::reference::{self, ReferenceScheme};

/// Largest statement file accepted, in bytes (a year of a busy account in camt.053 is ~100 MB).
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;
/// Most entries accepted in one file.
pub const MAX_ENTRIES: usize = 2_000_000;
/// Longest free text kept for one entry's remittance information, in characters.
pub const MAX_REMITTANCE_CHARS: usize = 2_000;

/// The family of a statement file, as told by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementFormat {
    /// ISO 20022 camt.052 / camt.053 / camt.054 (see [`ParsedStatements::message`]).
    Camt053,
    /// SWIFT MT940 or MT942 (see [`ParsedStatements::message`]).
    Mt940,
    /// Belgian CODA 2.x.
    Coda,
    /// Delimited text read with a saved column mapping.
    Csv,
}

impl StatementFormat {
    /// The name used in JSON and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StatementFormat::Camt053 => "camt053",
            StatementFormat::Mt940 => "mt940",
            StatementFormat::Coda => "coda",
            StatementFormat::Csv => "csv",
        }
    }
}

/// What a statement file held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParsedStatements {
    pub format: StatementFormat,
    /// The precise message kind, e.g. `camt.053.001.02`, `camt.054.001.08`, `MT940`, `MT942`,
    /// `CODA 2`.
    pub message: String,
    pub statements: Vec<Statement>,
    /// Things that are odd but did not stop the parse (unknown record types, ignored fields).
    pub warnings: Vec<Problem>,
}

/// One statement (or report / notification) of one account.
///
/// In JSON the balances are plain decimal strings (`opening_balance`, `closing_balance`) with
/// their dates beside them (`opening_balance_date`, `closing_balance_date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The bank's statement id or sequence number, when the file gives one.
    pub id: Option<String>,
    /// The account: an IBAN in electronic form when the file gives one, otherwise the bank's own
    /// account identification as written.
    pub account: String,
    pub account_bic: Option<String>,
    pub account_holder: Option<String>,
    pub currency: Currency,
    pub opening_balance: Option<Balance>,
    pub closing_balance: Option<Balance>,
    /// First and last day the statement covers, when the file says.
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub entries: Vec<Entry>,
    pub balance_check: BalanceCheck,
    /// Where the statement starts in the file.
    pub location: Location,
}

/// A booked balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Balance {
    #[serde(serialize_with = "ser_money")]
    pub amount: Money,
    pub date: Option<Date>,
}

/// Whether opening balance + entries = closing balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BalanceCheck {
    /// The sum holds.
    Ok,
    /// The sum does not hold: `computed` is opening + entries.
    Mismatch {
        #[serde(serialize_with = "ser_money")]
        computed: Money,
        #[serde(serialize_with = "ser_money")]
        closing: Money,
    },
    /// The file has no opening or no closing balance (camt.054, MT942, some CSV), or amounts of
    /// another currency make the sum meaningless.
    NotApplicable,
}

impl BalanceCheck {
    /// Checks `opening + Σ entries = closing` in the statement's currency.
    #[must_use]
    pub fn compute(
        opening: Option<&Balance>,
        entries: &[Entry],
        closing: Option<&Balance>,
    ) -> BalanceCheck {
        let (Some(opening), Some(closing)) = (opening, closing) else {
            return BalanceCheck::NotApplicable;
        };
        let currency = opening.amount.currency();
        if closing.amount.currency() != currency {
            return BalanceCheck::NotApplicable;
        }
        let mut total: i128 = i128::from(opening.amount.minor());
        for entry in entries {
            if entry.amount.currency() != currency {
                return BalanceCheck::NotApplicable;
            }
            total += i128::from(entry.amount.minor());
        }
        if total == i128::from(closing.amount.minor()) {
            BalanceCheck::Ok
        } else {
            let computed = i64::try_from(total).unwrap_or(i64::MAX);
            BalanceCheck::Mismatch {
                computed: Money::from_minor(computed, currency),
                closing: closing.amount,
            }
        }
    }
}

/// One movement on the account.
///
/// In JSON `amount` is a signed decimal string with `currency` beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub booking_date: Date,
    pub value_date: Option<Date>,
    /// Signed: credit (money in) positive, debit negative.
    pub amount: Money,
    pub counterparty_name: Option<String>,
    /// Electronic form (no spaces, upper case) when it is an IBAN; otherwise as written.
    pub counterparty_iban: Option<String>,
    pub counterparty_bic: Option<String>,
    /// A structured creditor reference, validated: OGM (12 digits), RF or Dutch betalingskenmerk;
    /// `other` keeps a structured reference the file marks as such but no scheme accepts.
    pub reference: Option<StructuredReference>,
    /// Free remittance text, lines joined with a space, trimmed.
    pub remittance: String,
    pub end_to_end_id: Option<String>,
    /// The bank's own reference for this movement (account servicer reference, MT940 :61:
    /// bank reference, CODA sequence), used with the account to recognise it again.
    pub bank_reference: Option<String>,
    /// Transaction codes as the file gives them, e.g. `PMNT/RCDT/ESCT`, `NTRF`, `N051`,
    /// CODA `0050`.
    pub transaction_code: Option<String>,
    /// The movement is itself marked as a reversal / return (camt `RvslInd`, MT940 `RC`/`RD`,
    /// CODA return codes, SEPA return reasons).
    pub reversal: bool,
    /// A return / reject reason code when the file gives one (e.g. `AC04`, `MD06`).
    pub return_reason: Option<String>,
    /// Where the entry starts in the file.
    pub location: Location,
}

/// A structured payment reference found on an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct StructuredReference {
    pub scheme: ReferenceKind,
    /// Normalised: digits only for OGM and NL, `RF..` upper case without spaces for RF, trimmed
    /// text for `other`.
    pub value: String,
}

/// The scheme of a [`StructuredReference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Ogm,
    Rf,
    Nl,
    Other,
}

impl StructuredReference {
    /// Validates `text` as a reference of any scheme ([`reference::check`]); a text no scheme
    /// accepts becomes `other` when `keep_other`, else `None`.
    #[must_use]
    pub fn classify(text: &str, keep_other: bool) -> Option<StructuredReference> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        match reference::check(trimmed) {
            Ok(r) => Some(StructuredReference {
                scheme: match r.scheme {
                    ReferenceScheme::Ogm => ReferenceKind::Ogm,
                    ReferenceScheme::Rf => ReferenceKind::Rf,
                    ReferenceScheme::Nl => ReferenceKind::Nl,
                },
                value: r.normalized,
            }),
            Err(_) if keep_other => Some(StructuredReference {
                scheme: ReferenceKind::Other,
                value: trimmed.chars().take(140).collect(),
            }),
            Err(_) => None,
        }
    }

    /// Validates `text` as a reference of one known scheme (the file says which).
    #[must_use]
    pub fn classify_as(scheme: ReferenceScheme, text: &str) -> Option<StructuredReference> {
        reference::check_as(scheme, text.trim()).ok().map(|r| StructuredReference {
            scheme: match r.scheme {
                ReferenceScheme::Ogm => ReferenceKind::Ogm,
                ReferenceScheme::Rf => ReferenceKind::Rf,
                ReferenceScheme::Nl => ReferenceKind::Nl,
            },
            value: r.normalized,
        })
    }

    /// Looks for a valid OGM (`+++ddd/dddd/ddddd+++`, `***…***`, or 12 digits as a whole token)
    /// or RF reference written inside free remittance text. Only a candidate that passes its
    /// check digits is returned; the first one wins.
    #[must_use]
    pub fn find_in_text(text: &str) -> Option<StructuredReference> {
        // Delimited OGM first: +++ or *** around 12 digits with optional '/' and spaces.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let rest = bytes.get(i..).unwrap_or_default();
            if rest.starts_with(b"+++") || rest.starts_with(b"***") {
                let delim = rest.first().copied().unwrap_or(b'+');
                let body_start = i + 3;
                let mut j = body_start;
                let mut digits = String::new();
                while let Some(&b) = bytes.get(j) {
                    if b.is_ascii_digit() {
                        digits.push(char::from(b));
                    } else if b != b'/' && b != b' ' {
                        break;
                    }
                    j += 1;
                    if digits.len() > 12 {
                        break;
                    }
                }
                let closes = bytes.get(j..j + 3).is_some_and(|c| c.iter().all(|&c| c == delim));
                if digits.len() == 12
                    && closes
                    && let Some(r) = Self::classify_as(ReferenceScheme::Ogm, &digits)
                {
                    return Some(r);
                }
                i += 3;
                continue;
            }
            i += 1;
        }
        // Whole tokens: RF references and bare 12-digit OGMs (with '/' separators allowed).
        for token in text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ':') {
            let token = token.trim_matches(|c: char| c == '.' || c == '(' || c == ')');
            let upper = token.to_ascii_uppercase();
            if upper.starts_with("RF")
                && (5..=25).contains(&upper.len())
                && let Some(r) = Self::classify_as(ReferenceScheme::Rf, &upper)
            {
                return Some(r);
            }
            let digits: String = token.chars().filter(char::is_ascii_digit).collect();
            let only_digits_and_slashes = token.chars().all(|c| c.is_ascii_digit() || c == '/');
            if only_digits_and_slashes
                && digits.len() == 12
                && let Some(r) = Self::classify_as(ReferenceScheme::Ogm, &digits)
            {
                return Some(r);
            }
        }
        None
    }
}

/// Where something is in a file: a 1-based line (line formats) or a byte offset (XML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    Line(u32),
    Byte(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "{n}"),
            Location::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

/// One thing wrong with (or odd about) a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub location: Location,
    /// The field, tag or record concerned, e.g. `:61: amount`, `Ntry/Amt`, `record 2.1 pos 32-46`.
    pub field: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn at(
        location: Location,
        field: impl Into<Option<String>>,
        reason: impl Into<String>,
    ) -> Problem {
        Problem { location, field: field.into(), reason: reason.into() }
    }

    /// `FILE:LINE: FIELD: reason` for people (the file name is the caller's).
    #[must_use]
    pub fn render(&self, file: &str) -> String {
        match &self.field {
            Some(field) => format!("{file}:{}: {field}: {}", self.location, self.reason),
            None => format!("{file}:{}: {}", self.location, self.reason),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.location, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

/// A file that could not be read; every problem found, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{} problem(s), first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct StatementError {
    pub problems: Vec<Problem>,
}

impl StatementError {
    #[must_use]
    pub fn one(
        location: Location,
        field: Option<String>,
        reason: impl Into<String>,
    ) -> StatementError {
        StatementError { problems: vec![Problem::at(location, field, reason)] }
    }
}

/// Text of a file whose encoding is not declared: UTF-8 (a byte-order mark is dropped) when the
/// bytes are valid UTF-8, otherwise Windows-1252 / Latin-1 (every byte maps to a character, so
/// this never fails).
#[must_use]
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| crate::text::windows_1252(b)).collect()),
    }
}

/// Lines of a text with any mix of `\r\n`, `\n` and lone `\r` endings, numbered from 1.
pub fn lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    let mut rest = text;
    let mut number: u32 = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number = number.saturating_add(1);
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        let line = rest.get(..end).unwrap_or_default();
        let after = rest.get(end..).unwrap_or_default();
        rest = if let Some(r) = after.strip_prefix("\r\n") {
            r
        } else if let Some(r) = after.strip_prefix('\r').or_else(|| after.strip_prefix('\n')) {
            r
        } else {
            after
        };
        Some((number, line))
    })
}

/// Tells a statement file's format from its first bytes; `None` when it is none of the
/// self-describing formats (CSV needs a mapping and is never guessed).
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<StatementFormat> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = bytes.get(..bytes.len().min(4096)).unwrap_or(bytes);
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let head = head.get(start..).unwrap_or_default();
    // A zip of camt files, as banks deliver them (camt::parse reads the members).
    if head.starts_with(b"PK\x03\x04") {
        return Some(StatementFormat::Camt053);
    }
    if head.starts_with(b"<") {
        let text = String::from_utf8_lossy(head);
        if text.contains("camt.05") || text.contains("BkToCstmr") {
            return Some(StatementFormat::Camt053);
        }
        return None;
    }
    // CODA: a header record `0000` then 128-character records.
    if head.starts_with(b"0000") {
        let first_line_len =
            head.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(head.len());
        if (120..=130).contains(&first_line_len) {
            return Some(StatementFormat::Coda);
        }
    }
    let text = String::from_utf8_lossy(head);
    if text.contains(":20:")
        && (text.contains(":25:")
            || text.contains(":60F:")
            || text.contains(":60M:")
            || text.contains(":34F:"))
    {
        return Some(StatementFormat::Mt940);
    }
    if head.starts_with(b"{1:") || head.starts_with(b":940:") || head.starts_with(b":20:") {
        return Some(StatementFormat::Mt940);
    }
    None
}

impl serde::Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Statement", 14)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("account", &self.account)?;
        st.serialize_field("account_bic", &self.account_bic)?;
        st.serialize_field("account_holder", &self.account_holder)?;
        st.serialize_field("currency", &self.currency)?;
        st.serialize_field(
            "opening_balance",
            &self.opening_balance.map(|b| money_decimal(b.amount)),
        )?;
        st.serialize_field("opening_balance_date", &self.opening_balance.and_then(|b| b.date))?;
        st.serialize_field(
            "closing_balance",
            &self.closing_balance.map(|b| money_decimal(b.amount)),
        )?;
        st.serialize_field("closing_balance_date", &self.closing_balance.and_then(|b| b.date))?;
        st.serialize_field("from_date", &self.from_date)?;
        st.serialize_field("to_date", &self.to_date)?;
        st.serialize_field("balance_check", &self.balance_check)?;
        st.serialize_field("location", &self.location)?;
        st.serialize_field("entries", &self.entries)?;
        st.end()
    }
}

impl serde::Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Entry", 15)?;
        st.serialize_field("booking_date", &self.booking_date)?;
        st.serialize_field("value_date", &self.value_date)?;
        st.serialize_field("amount", &money_decimal(self.amount))?;
        st.serialize_field("currency", &self.amount.currency())?;
        st.serialize_field("counterparty_name", &self.counterparty_name)?;
        st.serialize_field("counterparty_iban", &self.counterparty_iban)?;
        st.serialize_field("counterparty_bic", &self.counterparty_bic)?;
        st.serialize_field("reference", &self.reference)?;
        st.serialize_field("remittance", &self.remittance)?;
        st.serialize_field("end_to_end_id", &self.end_to_end_id)?;
        st.serialize_field("bank_reference", &self.bank_reference)?;
        st.serialize_field("transaction_code", &self.transaction_code)?;
        st.serialize_field("reversal", &self.reversal)?;
        st.serialize_field("return_reason", &self.return_reason)?;
        st.serialize_field("location", &self.location)?;
        st.end()
    }
}

fn ser_money<S: serde::Serializer>(money: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&money_decimal(*money))
}

/// `-12.50`: the amount as a plain decimal with the currency's minor digits.
#[must_use]
pub fn money_decimal(money: Money) -> String {
    money.to_decimal().to_string()
}

/// Reads a statement file of any supported format, told from its content; CSV needs `mapping`.
///
/// # Errors
/// [`StatementError`] with every problem found, or one saying the format is not recognised.
pub fn parse_any(
    bytes: &[u8],
    mapping: Option<&csv_mapped::CsvMapping>,
) -> Result<ParsedStatements, StatementError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(StatementError::one(
            Location::Byte(0),
            None,
            format!("the file has {} bytes; at most {MAX_FILE_BYTES} are accepted", bytes.len()),
        ));
    }
    if let Some(mapping) = mapping {
        return csv_mapped::parse(bytes, mapping);
    }
    match detect(bytes) {
        Some(StatementFormat::Camt053) => camt::parse(bytes),
        Some(StatementFormat::Mt940) => mt940::parse(bytes),
        Some(StatementFormat::Coda) => coda::parse(bytes),
        Some(StatementFormat::Csv) | None => Err(StatementError::one(
            Location::Line(1),
            None,
            "this is not a statement format arflow recognises (camt.052/053/054, MT940/MT942, \
             CODA 2); a CSV export needs a column mapping",
        )),
    }
}
