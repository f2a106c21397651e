//! Bank statements in the banks' own CSV exports, read with a saved column mapping.
//!
//! Banks export movements as delimited text in layouts of their own. A [`CsvMapping`] says, once
//! per layout, where each field is: which column (by header name or 1-based position) holds the
//! booking date, the amount and its sign, the counterparty and the remittance text, and how
//! dates and amounts are written. It is plain data (serde), so an organisation can save its
//! mapping as JSON or TOML and load it for every later file. [`builtin`] gives the mappings of
//! two common Dutch exports.
//!
//! [`parse`] gives one [`Statement`] per account (and currency) found, with its movements in
//! file order. When the file has a balance after each movement, the opening balance is the
//! first balance minus the first amount and the closing balance the last one (or, for a file
//! listed newest first, the other way round, which the running balances reveal); otherwise the
//! balances are absent and the [`BalanceCheck`] is `NotApplicable`. Every problem of the file is
//! reported with its line, column, value and reason, and a file with any problem gives no
//! statements at all.

use std::collections::HashMap;

use arflow_core::date::Date;
use arflow_core::money::{AmountError, Currency, Money};

use super::{
    Balance, BalanceCheck, Entry, Location, MAX_ENTRIES, MAX_FILE_BYTES, MAX_REMITTANCE_CHARS,
    ParsedStatements, Problem, Statement, StatementError, StatementFormat, StructuredReference,
    decode_text,
};

/// Most problems (and, separately, warnings) reported for one file.
const PROBLEMS_MAX: usize = 1000;

/// Longest value quoted in a problem, in characters.
const VALUE_CHARS_MAX: usize = 60;

/// A column of the file: its header name (matched without regard to case or surrounding
/// blanks) or its 1-based position. In JSON and TOML a string or a number: `"Datum"`, `3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Column {
    Index(usize),
    Name(String),
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Column::Index(i) => write!(f, "column {i}"),
            Column::Name(name) => f.write_str(name),
        }
    }
}

/// A value read from a column, or the same for every row (`{"column": "Rekening"}`,
/// `{"fixed": "EUR"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnOrFixed {
    Column(Column),
    Fixed(String),
}

/// Where the amount and its direction are.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountColumns {
    /// One column with a signed amount: negative is money out (`-45,10`, `+2.500,00`).
    Signed(Column),
    /// Money out in one column, money in in another; the other cell is empty (or zero). A sign
    /// written in either cell is ignored: the column gives the direction.
    DebitCredit { debit: Column, credit: Column },
    /// An unsigned amount and a column saying its direction: a value in `credit_values` is money
    /// in (compared without regard to case); with `debit_values` given, any value in neither
    /// list is an error, otherwise every other value is money out.
    WithIndicator {
        amount: Column,
        indicator: Column,
        credit_values: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        debit_values: Vec<String>,
    },
}

/// How to read one bank's CSV export. Optional columns may be left out of a saved mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// A name for people, e.g. the bank and export.
    pub name: String,
    /// `None`: the most frequent of `;`, `,` and tab on the first line read.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Whether the first line read holds the column names (needed for [`Column::Name`]).
    #[serde(default = "yes")]
    pub has_header: bool,
    /// Lines before the header (or the first row) that are not part of the table.
    #[serde(default)]
    pub skip_lines: usize,
    /// `true`: `1.234,56` (comma for decimals, dot, blank or apostrophe between thousands);
    /// `false`: `1,234.56`.
    #[serde(default)]
    pub decimal_comma: bool,
    /// Dates: `%Y` (4 digits), `%m`, `%d` and literal characters, e.g. `%Y-%m-%d`, `%d-%m-%Y`,
    /// `%d/%m/%Y`, `%Y%m%d`. Month and day may have one digit where literal characters (or the
    /// ends of the text) delimit them.
    pub date_format: String,
    pub account: ColumnOrFixed,
    pub currency: ColumnOrFixed,
    pub booking_date: Column,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<Column>,
    pub amount: AmountColumns,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_name: Option<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_iban: Option<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_bic: Option<Column>,
    /// Columns whose non-empty texts, joined with a space, form the remittance text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remittance: Vec<Column>,
    /// A structured payment reference (OGM, RF or Dutch betalingskenmerk); when absent or empty
    /// a valid OGM or RF written in the remittance text is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_reference: Option<Column>,
    /// The bank's transaction or booking code, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_code: Option<Column>,
    /// A return reason (e.g. `MD06`); a non-empty one marks the movement as a reversal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_reason: Option<Column>,
    /// The account balance after the movement, signed like the amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<Column>,
}

fn yes() -> bool {
    true
}

/// Names of the mappings [`builtin`] knows.
pub const BUILTIN_NAMES: &[&str] = &["ing-nl", "rabobank-nl"];

/// The mapping of a common export, by name (see [`BUILTIN_NAMES`]):
///
/// - `ing-nl`, ING Netherlands "Af Bij" CSV export: columns `Datum` (`YYYYMMDD`),
///   `Naam / Omschrijving`, `Rekening`, `Tegenrekening`, `Code`, `Af Bij` (`Af` = debit, `Bij` =
///   credit), `Bedrag (EUR)` (unsigned, decimal comma), `Mutatiesoort`, `Mededelingen`; comma- or
///   semicolon-separated (the delimiter is sniffed), euro only. Newer exports add `Saldo na
///   mutatie` and `Tag`, which this mapping leaves unread (the export lists the newest movement
///   first; map `balance_after` to `Saldo na mutatie` in a copy of this mapping to get balances).
/// - `rabobank-nl`, Rabobank CSV export ("CSV kommagescheiden", since 2018): comma-separated,
///   quoted, columns `IBAN/BBAN`, `Munt`, `BIC`, `Volgnr`, `Datum` (`YYYY-MM-DD`), `Rentedatum`,
///   `Bedrag` (signed, decimal comma: `+2.500,00`, `-45,10`), `Saldo na trn`, `Tegenrekening
///   IBAN/BBAN`, `Naam tegenpartij`, `Naam uiteindelijke partij`, `Naam initiërende partij`,
///   `BIC tegenpartij`, `Code`, `Batch ID`, `Transactiereferentie`, `Machtigingskenmerk`,
///   `Incassant ID`, `Betalingskenmerk`, `Omschrijving-1`, `Omschrijving-2`, `Omschrijving-3`,
///   `Reden retour`, `Oorspr bedrag`, `Oorspr munt`, `Koers`. `Transactiereferentie` is taken as
///   the end-to-end id and `Volgnr` as the bank's reference.
///
/// These layouts are as the banks' exports and public import tools show them; a bank that
/// changes its export needs an edited copy of the mapping.
///
/// # Examples
/// ```
/// let ing = arflow_formats::statement::csv_mapped::builtin("ing-nl").unwrap();
/// assert_eq!(ing.date_format, "%Y%m%d");
/// assert!(arflow_formats::statement::csv_mapped::builtin("unknown").is_none());
/// ```
#[must_use]
pub fn builtin(name: &str) -> Option<CsvMapping> {
    let col = |name: &str| Column::Name(name.to_owned());
    match name {
        "ing-nl" => Some(CsvMapping {
            name: "ING Nederland, CSV (Af Bij)".to_owned(),
            delimiter: None,
            has_header: true,
            skip_lines: 0,
            decimal_comma: true,
            date_format: "%Y%m%d".to_owned(),
            account: ColumnOrFixed::Column(col("Rekening")),
            currency: ColumnOrFixed::Fixed("EUR".to_owned()),
            booking_date: col("Datum"),
            value_date: None,
            amount: AmountColumns::WithIndicator {
                amount: col("Bedrag (EUR)"),
                indicator: col("Af Bij"),
                credit_values: vec!["Bij".to_owned()],
                debit_values: vec!["Af".to_owned()],
            },
            counterparty_name: Some(col("Naam / Omschrijving")),
            counterparty_iban: Some(col("Tegenrekening")),
            counterparty_bic: None,
            remittance: vec![col("Mededelingen")],
            reference: None,
            end_to_end_id: None,
            bank_reference: None,
            transaction_code: Some(col("Code")),
            return_reason: None,
            balance_after: None,
        }),
        "rabobank-nl" => Some(CsvMapping {
            name: "Rabobank, CSV".to_owned(),
            delimiter: Some(','),
            has_header: true,
            skip_lines: 0,
            decimal_comma: true,
            date_format: "%Y-%m-%d".to_owned(),
            account: ColumnOrFixed::Column(col("IBAN/BBAN")),
            currency: ColumnOrFixed::Column(col("Munt")),
            booking_date: col("Datum"),
            value_date: Some(col("Rentedatum")),
            amount: AmountColumns::Signed(col("Bedrag")),
            counterparty_name: Some(col("Naam tegenpartij")),
            counterparty_iban: Some(col("Tegenrekening IBAN/BBAN")),
            counterparty_bic: Some(col("BIC tegenpartij")),
            remittance: vec![col("Omschrijving-1"), col("Omschrijving-2"), col("Omschrijving-3")],
            reference: Some(col("Betalingskenmerk")),
            end_to_end_id: Some(col("Transactiereferentie")),
            bank_reference: Some(col("Volgnr")),
            transaction_code: Some(col("Code")),
            return_reason: Some(col("Reden retour")),
            balance_after: Some(col("Saldo na trn")),
        }),
        _ => None,
    }
}

/// Reads a bank's CSV export with `mapping`.
///
/// # Errors
/// [`StatementError`] listing every problem: of the mapping (an unknown date-format directive,
/// a column the header does not have), of the file (too large, no header) and of each row (line,
/// column, value and reason: an unreadable date or amount, an unknown currency, a missing
/// required value, an unknown debit/credit indicator).
///
/// # Examples
/// ```
/// use arflow_formats::statement::csv_mapped::{builtin, parse};
/// let text = "\"Datum\";\"Naam / Omschrijving\";\"Rekening\";\"Tegenrekening\";\"Code\";\"Af Bij\";\"Bedrag (EUR)\";\"Mutatiesoort\";\"Mededelingen\"\n\
///             \"20260302\";\"Klant BV\";\"NL20INGB0001234567\";\"NL91ABNA0417164300\";\"GT\";\"Bij\";\"121,00\";\"Online bankieren\";\"Factuur 2026-17\"\n";
/// let parsed = parse(text.as_bytes(), &builtin("ing-nl").unwrap()).unwrap();
/// assert_eq!(parsed.statements[0].entries[0].amount.minor(), 12_100);
/// ```
pub fn parse(bytes: &[u8], mapping: &CsvMapping) -> Result<ParsedStatements, StatementError> {
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
    let mut errors = Problems::default();
    let checked = checked(mapping, &mut errors);
    let text = decode_text(bytes);
    let (body, first_line) = skip_lines(&text, mapping.skip_lines);
    let (Some((dates, delimiter)), true) = (checked, errors.is_empty()) else {
        return Err(StatementError { problems: errors.list });
    };
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(body));
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut rows = reader.records();
    // The reader's own line count passes over blank lines; count them from byte offsets.
    let mut lines = LineCounter { text: body.as_bytes(), at: 0, line: first_line };
    let mut line_of = |position: Option<&::csv::Position>| {
        lines.line_at(position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX)))
    };

    let header = if mapping.has_header {
        loop {
            match rows.next() {
                Some(Ok(record)) if record.iter().all(|c| c.trim().is_empty()) => {}
                Some(Ok(record)) => break Some((line_of(record.position()), record)),
                Some(Err(e)) => {
                    errors.push(first_line, None, format!("the header cannot be read: {e}"));
                    return Err(StatementError { problems: errors.list });
                }
                None => {
                    errors.push(first_line, None, "the file is empty: the header line is missing");
                    return Err(StatementError { problems: errors.list });
                }
            }
        }
    } else {
        None
    };
    let Some(columns) = Columns::resolve(mapping, header.as_ref(), &mut errors) else {
        return Err(StatementError { problems: errors.list });
    };

    let mut warnings = Problems::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_account: HashMap<(String, Currency), usize> = HashMap::new();
    let mut count: usize = 0;
    for row in rows {
        let record = match row {
            Ok(record) => record,
            Err(e) => {
                let line = line_of(e.position());
                errors.push(line, None, format!("the line cannot be read: {e}"));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = line_of(record.position());
        count += 1;
        if count > MAX_ENTRIES {
            errors.push(
                line,
                None,
                format!("more than {MAX_ENTRIES} movements in one file: split the file"),
            );
            break;
        }
        let mut row = Row { record: &record, line, columns: &columns, errors: &mut errors };
        let Some(read) = row.read(mapping, &dates) else { continue };
        let key = (read.account, read.currency);
        let index = match by_account.get(&key) {
            Some(&i) => i,
            None => {
                groups.push(Group {
                    account: key.0.clone(),
                    currency: key.1,
                    line,
                    entries: Vec::new(),
                    balances: Vec::new(),
                });
                by_account.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(index) {
            group.entries.push(read.entry);
            group.balances.push(read.balance_after);
        }
    }
    if !errors.is_empty() {
        return Err(StatementError { problems: errors.list });
    }
    if groups.is_empty() {
        warnings.push(first_line, None, "the file holds no movements");
    }
    let statements = groups.into_iter().map(|g| g.into_statement(&mut warnings)).collect();
    Ok(ParsedStatements {
        format: StatementFormat::Csv,
        message: format!("CSV ({})", mapping.name),
        statements,
        warnings: warnings.list,
    })
}

/// Problems of one kind, capped at [`PROBLEMS_MAX`].
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

/// A value for a problem: shortened, with control characters escaped.
fn quote(value: &str) -> String {
    let mut out = String::from("'");
    for (i, c) in value.chars().enumerate() {
        if i == VALUE_CHARS_MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Checks what can be checked of a mapping without a file.
/// Every problem of a mapping itself, before any file is read: `(field, reason)`, e.g.
/// `("mapping date_format", "…")`. An organisation's mapping is checked like this when saved.
///
/// # Examples
/// ```
/// use arflow_formats::statement::csv_mapped::{builtin, validate};
/// let mut mapping = builtin("ing-nl").unwrap();
/// assert!(validate(&mapping).is_empty());
/// mapping.date_format = "%Y-%q".into();
/// assert_eq!(validate(&mapping)[0].0, "mapping date_format");
/// ```
#[must_use]
pub fn validate(mapping: &CsvMapping) -> Vec<(String, String)> {
    let mut errors = Problems::default();
    checked(mapping, &mut errors);
    if mapping.name.trim().is_empty() {
        errors.push(1, Some("mapping name".to_owned()), "give the mapping a name for people");
    }
    errors.list.into_iter().map(|p| (p.field.unwrap_or_default(), p.reason)).collect()
}

/// The compiled date format and the delimiter (`None`: sniffed from the file) of a mapping
/// without problems; its problems otherwise.
fn checked(mapping: &CsvMapping, errors: &mut Problems) -> Option<(DateFormat, Option<u8>)> {
    let dates = DateFormat::compile(&mapping.date_format)
        .map_err(|reason| errors.push(1, Some("mapping date_format".to_owned()), reason))
        .ok();
    check_mapping(mapping, errors);
    let delimiter = mapping.delimiter.map(|d| {
        u8::try_from(d).ok().filter(u8::is_ascii).unwrap_or_else(|| {
            errors.push(
                1,
                Some("mapping delimiter".to_owned()),
                format!(
                    "'{d}' cannot separate columns: use one ASCII character such as ; , or tab"
                ),
            );
            b','
        })
    });
    Some((dates?, delimiter))
}

fn check_mapping(mapping: &CsvMapping, errors: &mut Problems) {
    let mut all: Vec<(&str, &Column)> = vec![("booking_date", &mapping.booking_date)];
    if let ColumnOrFixed::Column(c) = &mapping.account {
        all.push(("account", c));
    }
    if let ColumnOrFixed::Column(c) = &mapping.currency {
        all.push(("currency", c));
    }
    match &mapping.amount {
        AmountColumns::Signed(c) => all.push(("amount", c)),
        AmountColumns::DebitCredit { debit, credit } => {
            all.push(("amount debit", debit));
            all.push(("amount credit", credit));
        }
        AmountColumns::WithIndicator { amount, indicator, credit_values, .. } => {
            all.push(("amount", amount));
            all.push(("amount indicator", indicator));
            if credit_values.iter().all(|v| v.trim().is_empty()) {
                errors.push(
                    1,
                    Some("mapping amount credit_values".to_owned()),
                    "name at least one indicator value that means money in",
                );
            }
        }
    }
    for (name, c) in [
        ("value_date", &mapping.value_date),
        ("counterparty_name", &mapping.counterparty_name),
        ("counterparty_iban", &mapping.counterparty_iban),
        ("counterparty_bic", &mapping.counterparty_bic),
        ("reference", &mapping.reference),
        ("end_to_end_id", &mapping.end_to_end_id),
        ("bank_reference", &mapping.bank_reference),
        ("transaction_code", &mapping.transaction_code),
        ("return_reason", &mapping.return_reason),
        ("balance_after", &mapping.balance_after),
    ] {
        if let Some(c) = c {
            all.push((name, c));
        }
    }
    all.extend(mapping.remittance.iter().map(|c| ("remittance", c)));
    for (name, column) in all {
        match column {
            Column::Index(0) => errors.push(
                1,
                Some(format!("mapping {name}")),
                "columns are numbered from 1",
            ),
            Column::Name(n) if !mapping.has_header => errors.push(
                1,
                Some(format!("mapping {name}")),
                format!("column {} is named, but the mapping says the file has no header line: use its position", quote(n)),
            ),
            _ => {}
        }
    }
    if let ColumnOrFixed::Fixed(code) = &mapping.currency
        && let Err(e) = Currency::parse(code)
    {
        errors.push(1, Some("mapping currency".to_owned()), format!("{}: {e}", quote(code)));
    }
}

/// Line numbers of byte offsets, asked in increasing order: linear over the whole file.
#[derive(Debug)]
struct LineCounter<'t> {
    text: &'t [u8],
    at: usize,
    line: u32,
}

impl LineCounter<'_> {
    /// The line of the first character at or after `byte` that does not end a line (the reader
    /// places a record after blank lines at the start of those lines).
    fn line_at(&mut self, byte: usize) -> u32 {
        let skip = self
            .text
            .get(byte..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        let end = byte.saturating_add(skip).min(self.text.len());
        if end > self.at {
            let slice = self.text.get(self.at..end).unwrap_or_default();
            let mut previous = self.at.checked_sub(1).and_then(|i| self.text.get(i)).copied();
            for &b in slice {
                // `\n`, and a `\r` not followed by `\n`, end a line (the `\r` of `\r\n` is
                // counted with its `\n`).
                if b == b'\n' || previous == Some(b'\r') {
                    self.line = self.line.saturating_add(1);
                }
                previous = Some(b);
            }
            self.at = end;
        }
        self.line
    }
}

/// The text after the first `n` lines, and the 1-based number of its first line.
fn skip_lines(text: &str, n: usize) -> (&str, u32) {
    let mut rest = text;
    let mut skipped: u32 = 0;
    for _ in 0..n {
        let Some(end) = rest.find(['\r', '\n']) else {
            return ("", skipped.saturating_add(2));
        };
        let after = rest.get(end..).unwrap_or_default();
        rest = after
            .strip_prefix("\r\n")
            .or_else(|| after.strip_prefix('\r'))
            .or_else(|| after.strip_prefix('\n'))
            .unwrap_or(after);
        skipped = skipped.saturating_add(1);
    }
    (rest, skipped.saturating_add(1))
}

/// The most frequent of `;`, tab and `,` outside quotes on the first non-empty line; `,` when
/// none occurs.
fn sniff_delimiter(text: &str) -> u8 {
    let line = text.split(['\r', '\n']).find(|l| !l.trim().is_empty()).unwrap_or("");
    let (mut semicolons, mut tabs, mut commas) = (0_usize, 0_usize, 0_usize);
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if semicolons >= tabs && semicolons >= commas && semicolons > 0 {
        b';'
    } else if tabs >= commas && tabs > 0 {
        b'\t'
    } else {
        b','
    }
}

/// A compiled date format.
#[derive(Debug)]
struct DateFormat {
    parts: Vec<DatePart>,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatePart {
    Year,
    Month,
    Day,
    Literal(char),
}

impl DateFormat {
    fn compile(format: &str) -> Result<DateFormat, String> {
        let mut parts = Vec::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                parts.push(DatePart::Literal(c));
                continue;
            }
            parts.push(match chars.next() {
                Some('Y') => DatePart::Year,
                Some('m') => DatePart::Month,
                Some('d') => DatePart::Day,
                Some('%') => DatePart::Literal('%'),
                Some(other) => {
                    return Err(format!(
                        "{}: '%{other}' is not supported; use %Y, %m, %d and literal characters",
                        quote(format)
                    ));
                }
                None => return Err(format!("{}: ends with a lone '%'", quote(format))),
            });
        }
        for (part, name) in [(DatePart::Year, "%Y"), (DatePart::Month, "%m"), (DatePart::Day, "%d")]
        {
            let n = parts.iter().filter(|p| **p == part).count();
            if n != 1 {
                return Err(format!("{}: needs {name} exactly once", quote(format)));
            }
        }
        Ok(DateFormat { parts, text: format.to_owned() })
    }

    fn parse(&self, text: &str) -> Result<Date, String> {
        let wrong = || format!("not a date in the format {}", self.text);
        let bytes = text.as_bytes();
        let mut at = 0;
        let (mut year, mut month, mut day) = (0_u32, 0_u32, 0_u32);
        for (i, part) in self.parts.iter().enumerate() {
            // A month or day may have one digit only where literals (or the ends) delimit it.
            let literal_next = matches!(self.parts.get(i + 1), Some(DatePart::Literal(_)) | None)
                && (i == 0 || matches!(self.parts.get(i - 1), Some(DatePart::Literal(_))));
            match part {
                DatePart::Literal(c) => {
                    let mut buf = [0_u8; 4];
                    let lit = c.encode_utf8(&mut buf).as_bytes();
                    if bytes.get(at..at + lit.len()) != Some(lit) {
                        return Err(wrong());
                    }
                    at += lit.len();
                }
                DatePart::Year | DatePart::Month | DatePart::Day => {
                    let width = if *part == DatePart::Year { 4 } else { 2 };
                    let available = bytes
                        .iter()
                        .skip(at)
                        .take(width)
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    let ok = available == width
                        || (literal_next && *part != DatePart::Year && available >= 1);
                    if !ok {
                        return Err(wrong());
                    }
                    let value = bytes
                        .iter()
                        .skip(at)
                        .take(available)
                        .fold(0_u32, |acc, b| acc * 10 + u32::from(b - b'0'));
                    at += available;
                    match part {
                        DatePart::Year => year = value,
                        DatePart::Month => month = value,
                        _ => day = value,
                    }
                }
            }
        }
        if at != bytes.len() {
            return Err(wrong());
        }
        let parts = (i16::try_from(year), i8::try_from(month), i8::try_from(day));
        match parts {
            (Ok(y), Ok(m), Ok(d)) if (1900..=2999).contains(&y) => {
                Date::new(y, m, d).map_err(|_| "no such day in the calendar".to_owned())
            }
            _ => Err("no such day in the calendar".to_owned()),
        }
    }
}

/// Reads an amount written with the mapping's separators.
fn parse_amount(text: &str, decimal_comma: bool, currency: Currency) -> Result<Money, String> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').map_or(t, str::trim_start)),
    };
    let (decimal, groups): (char, &[char]) = if decimal_comma {
        (',', &['.', ' ', '\u{a0}', '\''])
    } else {
        ('.', &[',', ' ', '\u{a0}', '\''])
    };
    let example = if decimal_comma { "1.234,56" } else { "1,234.56" };
    let not_amount = || format!("not an amount; write it like {example} or -25{}00", decimal);
    let (int_part, frac_part) = match body.split_once(decimal) {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(not_amount());
    }
    if !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_amount());
    }
    let mut digits = String::with_capacity(int_part.len());
    let pieces: Vec<&str> = int_part.split(groups).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let grouping_ok = pieces.len() == 1
            || if i == 0 { (1..=3).contains(&piece.len()) } else { piece.len() == 3 };
        if !grouping_ok || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_amount());
        }
        digits.push_str(piece);
    }
    let normalized = format!(
        "{}{}.{}",
        if negative { "-" } else { "" },
        if digits.is_empty() { "0" } else { &digits },
        if frac_part.is_empty() { "0" } else { frac_part }
    );
    Money::parse(&normalized, currency).map_err(|e| match e {
        AmountError::TooManyDecimals { allowed, currency } => {
            format!("more than {allowed} decimals for {currency}")
        }
        AmountError::Overflow => "the amount is too large".to_owned(),
        _ => not_amount(),
    })
}

/// Electronic form (no blanks, upper case) for an IBAN, otherwise the text as written.
fn account_text(text: &str) -> String {
    let compact: String = text.split_whitespace().collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    let iban = (15..=34).contains(&b.len())
        && b.iter().take(2).all(u8::is_ascii_alphabetic)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric);
    if iban { compact } else { text.trim().to_owned() }
}

/// A column resolved to its field index, with the name used in problems.
#[derive(Debug, Clone)]
struct At {
    index: usize,
    name: String,
}

#[derive(Debug)]
enum Source {
    Column(At),
    Fixed(String),
}

#[derive(Debug)]
enum Amount {
    Signed(At),
    DebitCredit {
        debit: At,
        credit: At,
    },
    WithIndicator {
        amount: At,
        indicator: At,
        /// The values, lower case, for matching.
        credit: Vec<String>,
        debit: Vec<String>,
        /// The values as the mapping writes them, for problems.
        choices: Vec<String>,
    },
}

/// A mapping resolved against the header.
#[derive(Debug)]
struct Columns {
    account: Source,
    currency: Source,
    booking_date: At,
    value_date: Option<At>,
    amount: Amount,
    counterparty_name: Option<At>,
    counterparty_iban: Option<At>,
    counterparty_bic: Option<At>,
    remittance: Vec<At>,
    reference: Option<At>,
    end_to_end_id: Option<At>,
    bank_reference: Option<At>,
    transaction_code: Option<At>,
    return_reason: Option<At>,
    balance_after: Option<At>,
    /// Fields a row must have for every mapped column to exist.
    width: usize,
}

impl Columns {
    fn resolve(
        mapping: &CsvMapping,
        header: Option<&(u32, ::csv::StringRecord)>,
        errors: &mut Problems,
    ) -> Option<Columns> {
        let before = errors.list.len();
        let names: Vec<String> = header
            .map(|(_, h)| h.iter().map(|c| c.trim().to_lowercase()).collect())
            .unwrap_or_default();
        let header_line = header.map_or(1, |(line, _)| *line);
        let mut width = 0;
        let mut at = |field: &str, column: &Column| -> At {
            let index = match column {
                Column::Index(i) => {
                    if let Some((_, h)) = header
                        && *i > h.len()
                    {
                        errors.push(
                            header_line,
                            Some(column.to_string()),
                            format!(
                                "the mapping reads {field} from column {i}, but the header has {} columns",
                                h.len()
                            ),
                        );
                    }
                    i.saturating_sub(1)
                }
                Column::Name(name) => {
                    let wanted = name.trim().to_lowercase();
                    let found: Vec<usize> = names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n == wanted)
                        .map(|(i, _)| i)
                        .collect();
                    match found.as_slice() {
                        [i] => *i,
                        [] => {
                            let list: Vec<String> = header
                                .map(|(_, h)| h.iter().map(|c| quote(c.trim())).collect())
                                .unwrap_or_default();
                            errors.push(
                                header_line,
                                Some(name.clone()),
                                format!(
                                    "the mapping reads {field} from column {}, which the header does not have (it has {})",
                                    quote(name),
                                    list.join(", ")
                                ),
                            );
                            0
                        }
                        [i, ..] => {
                            errors.push(
                                header_line,
                                Some(name.clone()),
                                format!("the header has column {} more than once", quote(name)),
                            );
                            *i
                        }
                    }
                }
            };
            width = width.max(index + 1);
            let name = match (column, header) {
                (Column::Index(i), Some((_, h))) => h
                    .get(index)
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map_or_else(|| format!("column {i}"), str::to_owned),
                (column, _) => column.to_string(),
            };
            At { index, name }
        };
        let source =
            |c: &ColumnOrFixed, field: &str, at: &mut dyn FnMut(&str, &Column) -> At| match c {
                ColumnOrFixed::Column(column) => Source::Column(at(field, column)),
                ColumnOrFixed::Fixed(value) => Source::Fixed(value.clone()),
            };
        let account = source(&mapping.account, "the account", &mut at);
        let currency = source(&mapping.currency, "the currency", &mut at);
        let booking_date = at("the booking date", &mapping.booking_date);
        let value_date = mapping.value_date.as_ref().map(|c| at("the value date", c));
        let amount = match &mapping.amount {
            AmountColumns::Signed(c) => Amount::Signed(at("the amount", c)),
            AmountColumns::DebitCredit { debit, credit } => Amount::DebitCredit {
                debit: at("the debit amount", debit),
                credit: at("the credit amount", credit),
            },
            AmountColumns::WithIndicator { amount, indicator, credit_values, debit_values } => {
                Amount::WithIndicator {
                    amount: at("the amount", amount),
                    indicator: at("the debit/credit indicator", indicator),
                    credit: credit_values.iter().map(|v| v.trim().to_lowercase()).collect(),
                    debit: debit_values.iter().map(|v| v.trim().to_lowercase()).collect(),
                    choices: credit_values
                        .iter()
                        .chain(debit_values)
                        .map(|v| v.trim().to_owned())
                        .collect(),
                }
            }
        };
        let mut optional = |field: &str, c: &Option<Column>| c.as_ref().map(|c| at(field, c));
        let counterparty_name = optional("the counterparty name", &mapping.counterparty_name);
        let counterparty_iban = optional("the counterparty account", &mapping.counterparty_iban);
        let counterparty_bic = optional("the counterparty BIC", &mapping.counterparty_bic);
        let reference = optional("the payment reference", &mapping.reference);
        let end_to_end_id = optional("the end-to-end id", &mapping.end_to_end_id);
        let bank_reference = optional("the bank reference", &mapping.bank_reference);
        let transaction_code = optional("the transaction code", &mapping.transaction_code);
        let return_reason = optional("the return reason", &mapping.return_reason);
        let balance_after = optional("the balance", &mapping.balance_after);
        let remittance = mapping.remittance.iter().map(|c| at("the remittance text", c)).collect();
        if errors.list.len() > before {
            return None;
        }
        Some(Columns {
            account,
            currency,
            booking_date,
            value_date,
            amount,
            counterparty_name,
            counterparty_iban,
            counterparty_bic,
            remittance,
            reference,
            end_to_end_id,
            bank_reference,
            transaction_code,
            return_reason,
            balance_after,
            width,
        })
    }
}

/// What one row gave.
#[derive(Debug)]
struct Read {
    account: String,
    currency: Currency,
    entry: Entry,
    balance_after: Option<Money>,
}

/// One data row being read; problems are recorded against its line and columns.
struct Row<'r> {
    record: &'r ::csv::StringRecord,
    line: u32,
    columns: &'r Columns,
    errors: &'r mut Problems,
}

impl Row<'_> {
    fn cell(&self, at: &At) -> &str {
        self.record.get(at.index).map_or("", str::trim)
    }

    fn optional(&self, at: Option<&At>) -> Option<String> {
        at.map(|at| self.cell(at)).filter(|t| !t.is_empty()).map(str::to_owned)
    }

    fn fail(&mut self, at: &At, value: &str, reason: impl AsRef<str>) {
        let reason = if value.is_empty() {
            reason.as_ref().to_owned()
        } else {
            format!("{}: {}", quote(value), reason.as_ref())
        };
        self.errors.push(self.line, Some(at.name.clone()), reason);
    }

    fn required(&mut self, at: &At, what: &str) -> Option<String> {
        let text = self.cell(at).to_owned();
        if text.is_empty() {
            self.fail(at, "", format!("missing: {what} is required"));
            return None;
        }
        Some(text)
    }

    fn date(&mut self, at: &At, dates: &DateFormat, required: bool) -> Option<Option<Date>> {
        let text = self.cell(at).to_owned();
        if text.is_empty() {
            if required {
                self.fail(at, "", "missing: the booking date is required");
                return None;
            }
            return Some(None);
        }
        match dates.parse(&text) {
            Ok(date) => Some(Some(date)),
            Err(reason) => {
                self.fail(at, &text, reason);
                None
            }
        }
    }

    fn money(&mut self, at: &At, currency: Currency, decimal_comma: bool) -> Option<Option<Money>> {
        let text = self.cell(at).to_owned();
        if text.is_empty() {
            return Some(None);
        }
        match parse_amount(&text, decimal_comma, currency) {
            Ok(m) => Some(Some(m)),
            Err(reason) => {
                self.fail(at, &text, reason);
                None
            }
        }
    }

    fn amount(&mut self, currency: Currency, decimal_comma: bool) -> Option<Money> {
        let columns = self.columns;
        match &columns.amount {
            Amount::Signed(at) => match self.money(at, currency, decimal_comma)? {
                Some(m) => Some(m),
                None => {
                    self.fail(at, "", "missing: the amount is required");
                    None
                }
            },
            Amount::DebitCredit { debit, credit } => {
                let d = self.money(debit, currency, decimal_comma);
                let c = self.money(credit, currency, decimal_comma);
                let (d, c) = (d?, c?);
                let d = d.and_then(|m| m.abs().ok()).filter(|m| !m.is_zero());
                let c = c.and_then(|m| m.abs().ok()).filter(|m| !m.is_zero());
                match (d, c) {
                    (Some(d), None) => d.neg().ok(),
                    (None, Some(c)) => Some(c),
                    (None, None) => {
                        let both_empty =
                            self.cell(debit).is_empty() && self.cell(credit).is_empty();
                        if both_empty {
                            self.fail(
                                debit,
                                "",
                                format!(
                                    "missing: neither {} nor {} holds an amount",
                                    debit.name, credit.name
                                ),
                            );
                            None
                        } else {
                            Some(Money::zero(currency))
                        }
                    }
                    (Some(_), Some(_)) => {
                        let value = format!("{} / {}", self.cell(debit), self.cell(credit));
                        self.fail(
                            debit,
                            &value,
                            format!(
                                "both {} and {} hold an amount; one movement goes one way",
                                debit.name, credit.name
                            ),
                        );
                        None
                    }
                }
            }
            Amount::WithIndicator { amount, indicator, credit, debit, choices } => {
                let value = self.money(amount, currency, decimal_comma);
                let direction = self.cell(indicator).to_lowercase();
                let is_credit = credit.contains(&direction);
                let known = is_credit || debit.is_empty() || debit.contains(&direction);
                if !known || direction.is_empty() {
                    let text = self.cell(indicator).to_owned();
                    let reason = format!("expected one of: {}", choices.join(", "));
                    if text.is_empty() {
                        self.fail(indicator, "", format!("missing: {reason}"));
                    } else {
                        self.fail(indicator, &text, reason);
                    }
                    return None;
                }
                let Some(m) = value? else {
                    self.fail(amount, "", "missing: the amount is required");
                    return None;
                };
                if m.is_negative() {
                    let text = self.cell(amount).to_owned();
                    self.fail(
                        amount,
                        &text,
                        format!(
                            "expected an amount without sign: {} says the direction",
                            indicator.name
                        ),
                    );
                    return None;
                }
                if is_credit { Some(m) } else { m.neg().ok() }
            }
        }
    }

    fn source(&mut self, source: &Source, what: &str) -> Option<String> {
        match source {
            Source::Fixed(value) => Some(value.clone()),
            Source::Column(at) => self.required(at, what),
        }
    }

    fn read(&mut self, mapping: &CsvMapping, dates: &DateFormat) -> Option<Read> {
        let columns = self.columns;
        if self.record.len() < columns.width {
            self.errors.push(
                self.line,
                None,
                format!(
                    "the line has {} field(s); the mapping reads up to field {}",
                    self.record.len(),
                    columns.width
                ),
            );
            return None;
        }
        let account = self.source(&columns.account, "the account").map(|a| account_text(&a));
        let currency = match self.source(&columns.currency, "the currency") {
            Some(code) => match Currency::parse(&code) {
                Ok(c) => Some(c),
                Err(e) => {
                    if let Source::Column(at) = &columns.currency {
                        self.fail(at, &code, e.to_string());
                    }
                    None
                }
            },
            None => None,
        };
        let booking_date = self.date(&columns.booking_date, dates, true);
        let value_date = match &columns.value_date {
            Some(at) => self.date(at, dates, false),
            None => Some(None),
        };
        let currency_for_amounts = currency.unwrap_or(Currency::EUR);
        let amount = self.amount(currency_for_amounts, mapping.decimal_comma);
        let balance_after = match &columns.balance_after {
            Some(at) => self.money(at, currency_for_amounts, mapping.decimal_comma),
            None => Some(None),
        };
        let (
            Some(account),
            Some(currency),
            Some(Some(booking_date)),
            Some(value_date),
            Some(amount),
            Some(balance_after),
        ) = (account, currency, booking_date, value_date, amount, balance_after)
        else {
            return None;
        };
        let mut remittance = String::new();
        for at in &columns.remittance {
            for word in self.cell(at).split_whitespace() {
                if !remittance.is_empty() {
                    remittance.push(' ');
                }
                remittance.push_str(word);
            }
        }
        if let Some((cut, _)) = remittance.char_indices().nth(MAX_REMITTANCE_CHARS) {
            remittance.truncate(cut);
        }
        let reference = self
            .optional(columns.reference.as_ref())
            .and_then(|r| StructuredReference::classify(&r, true))
            .or_else(|| StructuredReference::find_in_text(&remittance));
        let return_reason = self.optional(columns.return_reason.as_ref());
        let entry = Entry {
            booking_date,
            value_date,
            amount,
            counterparty_name: self.optional(columns.counterparty_name.as_ref()),
            counterparty_iban: self
                .optional(columns.counterparty_iban.as_ref())
                .map(|a| account_text(&a)),
            counterparty_bic: self
                .optional(columns.counterparty_bic.as_ref())
                .map(|b| b.to_ascii_uppercase()),
            reference,
            remittance,
            end_to_end_id: self.optional(columns.end_to_end_id.as_ref()),
            bank_reference: self.optional(columns.bank_reference.as_ref()),
            transaction_code: self.optional(columns.transaction_code.as_ref()),
            reversal: return_reason.is_some(),
            return_reason,
            location: Location::Line(self.line),
        };
        Some(Read { account, currency, entry, balance_after })
    }
}

/// The movements of one account and currency.
#[derive(Debug)]
struct Group {
    account: String,
    currency: Currency,
    line: u32,
    entries: Vec<Entry>,
    balances: Vec<Option<Money>>,
}

impl Group {
    fn into_statement(self, warnings: &mut Problems) -> Statement {
        let from_date = self.entries.iter().map(|e| e.booking_date).min();
        let to_date = self.entries.iter().map(|e| e.booking_date).max();
        let (opening, closing) = self.balances(warnings);
        let balance_check =
            BalanceCheck::compute(opening.as_ref(), &self.entries, closing.as_ref());
        Statement {
            id: None,
            account: self.account,
            account_bic: None,
            account_holder: None,
            currency: self.currency,
            opening_balance: opening,
            closing_balance: closing,
            from_date,
            to_date,
            entries: self.entries,
            balance_check,
            location: Location::Line(self.line),
        }
    }

    /// Opening and closing balance from the balance after each movement, in the order the
    /// running balances show (oldest or newest first).
    fn balances(&self, warnings: &mut Problems) -> (Option<Balance>, Option<Balance>) {
        let Some(balances) = self.balances.iter().copied().collect::<Option<Vec<Money>>>() else {
            return (None, None);
        };
        let pairs: Vec<(&Entry, Money)> = self.entries.iter().zip(balances).collect();
        let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else {
            return (None, None);
        };
        let follows = |earlier: Money, later: Money, entry: &Entry| {
            earlier.checked_add(entry.amount).is_ok_and(|sum| sum == later)
        };
        let forward = pairs.windows(2).all(|w| match w {
            [(_, a), (e, b)] => follows(*a, *b, e),
            _ => true,
        });
        let backward = !forward
            && pairs.windows(2).all(|w| match w {
                [(e, a), (_, b)] => follows(*b, *a, e),
                _ => true,
            });
        let (oldest, newest) = if backward { (last, first) } else { (first, last) };
        if !forward && !backward {
            warnings.push(
                self.line,
                Some("balance_after".to_owned()),
                format!(
                    "the balances after each movement of {} do not follow from the amounts, in \
                     file order or in reverse; opening and closing balance are taken from the first \
                     and last line",
                    self.account
                ),
            );
        }
        let opening = oldest.1.checked_sub(oldest.0.amount).ok();
        let opening = opening.map(|amount| Balance { amount, date: None });
        let closing = Some(Balance { amount: newest.1, date: Some(newest.0.booking_date) });
        (opening, closing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_format() {
        let f = DateFormat::compile("%d-%m-%Y").unwrap();
        assert_eq!(f.parse("01-03-2026").unwrap().to_string(), "2026-03-01");
        assert_eq!(f.parse("1-3-2026").unwrap().to_string(), "2026-03-01");
        assert!(f.parse("01-03-26").is_err());
        assert!(f.parse("31-02-2026").is_err());
        let compact = DateFormat::compile("%Y%m%d").unwrap();
        assert_eq!(compact.parse("20260301").unwrap().to_string(), "2026-03-01");
        assert!(compact.parse("2026031").is_err());
        let slashes = DateFormat::compile("%Y/%m/%d").unwrap();
        assert_eq!(slashes.parse("2026/3/1").unwrap().to_string(), "2026-03-01");
        assert!(DateFormat::compile("%Y-%m").is_err());
        assert!(DateFormat::compile("%Y-%m-%e").is_err());
    }

    #[test]
    fn amounts_follow_the_separators() {
        let eur = Currency::EUR;
        let minor = |t: &str, comma: bool| parse_amount(t, comma, eur).map(|m| m.minor());
        assert_eq!(minor("+2.500,00", true), Ok(250_000));
        assert_eq!(minor("-45,1", true), Ok(-4_510));
        assert_eq!(minor("1 234,56", true), Ok(123_456));
        assert_eq!(minor("1,234.56", false), Ok(123_456));
        assert_eq!(minor("12", true), Ok(1_200));
        assert!(minor("1.23,4", true).is_err());
        assert!(minor("12,345", true).is_err());
        assert!(minor("1,2,3", true).is_err());
        assert!(minor("abc", true).is_err());
        assert!(minor("", true).is_err());
    }

    #[test]
    fn the_delimiter_is_the_most_frequent_separator() {
        assert_eq!(sniff_delimiter("\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc,d\n"), b'\t');
        assert_eq!(sniff_delimiter("abc\n"), b',');
    }
}
