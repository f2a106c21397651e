//! The reading machinery shared by the three CSV files: encoding check, delimiter sniffing,
//! header resolution, row limits and error collection. Each file kind supplies its columns and a
//! function turning one [`Row`] into a record.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::str::FromStr;

use ::csv::{ByteRecord, ReaderBuilder};
use arflow_core::date::{Date, DateError, parse_iso_date};
use arflow_core::money::{AmountError, Currency, Money};

use super::{CELL_BYTES_MAX, CsvError, CsvOptions, ERRORS_MAX};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Longest value quoted in an error, in characters.
const ERROR_VALUE_CHARS_MAX: usize = 80;

/// The columns of one kind of file: names in declaration order, and whether each is required.
pub(crate) trait Column: Copy {
    /// `(name, required)` for every column, indexed by [`Column::index`].
    const SPECS: &'static [(&'static str, bool)];
    fn index(self) -> usize;

    fn name(self) -> &'static str {
        Self::SPECS.get(self.index()).map_or("", |(name, _)| name)
    }
}

/// Declares the columns of a file as an enum whose order is the export order:
/// `Variant => ("name", required)`.
macro_rules! columns {
    ($(#[$meta:meta])* enum $name:ident { $($variant:ident => ($text:literal, $req:expr)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($variant),+ }

        impl $crate::csv::engine::Column for $name {
            const SPECS: &'static [(&'static str, bool)] = &[$(($text, $req)),+];
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}
pub(crate) use columns;

/// Errors of one file, capped at [`ERRORS_MAX`] plus a final "too many errors".
pub(crate) struct Errors {
    list: Vec<CsvError>,
    full: bool,
}

impl Errors {
    fn new() -> Errors {
        Errors { list: Vec::new(), full: false }
    }

    pub(crate) fn push(&mut self, line: u64, column: &str, value: &str, reason: String) {
        if self.full {
            return;
        }
        if self.list.len() >= ERRORS_MAX {
            self.full = true;
            self.list.push(CsvError {
                line,
                column: String::new(),
                value: String::new(),
                reason: format!(
                    "too many errors: stopped after {ERRORS_MAX}; fix these and import again"
                ),
            });
            return;
        }
        self.list.push(CsvError { line, column: column.to_owned(), value: clip(value), reason });
    }
}

/// Shortens a value for an error message and escapes control characters, so that one error
/// stays on one line.
fn clip(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(ERROR_VALUE_CHARS_MAX + 8));
    for (i, c) in value.chars().enumerate() {
        if i == ERROR_VALUE_CHARS_MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// One data row, with typed accessors that record errors against their column.
pub(crate) struct Row<'r, C> {
    record: &'r ByteRecord,
    /// For each column (by [`Column::index`]), the field it is in, if the file has it.
    fields: &'r [Option<usize>],
    pub(crate) line: u64,
    /// Characters that separate the values of a multi-valued cell.
    list_separators: &'r [char],
    errors: &'r mut Errors,
    failed: bool,
    columns: PhantomData<C>,
}

impl<'r, C: Column> Row<'r, C> {
    /// The trimmed cell of `column`; empty when the file has no such column.
    pub(crate) fn cell(&self, column: C) -> &'r str {
        let record: &'r ByteRecord = self.record;
        self.fields
            .get(column.index())
            .copied()
            .flatten()
            .and_then(|i| record.get(i))
            // The whole file was checked to be UTF-8 and fields split at ASCII bytes, so this
            // cannot fail; an empty cell is the harmless answer if it ever did.
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .map_or("", str::trim)
    }

    /// Whether this row (not the file) has an error so far.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Whether the file so far has no error at all: records are only worth keeping then.
    pub(crate) fn file_ok(&self) -> bool {
        self.errors.list.is_empty()
    }

    pub(crate) fn fail(&mut self, column: C, value: &str, reason: impl Into<String>) {
        self.failed = true;
        self.errors.push(self.line, column.name(), value, reason.into());
    }

    /// The cell, or an error when it is empty.
    pub(crate) fn required(&mut self, column: C) -> Option<&'r str> {
        let text = self.cell(column);
        if text.is_empty() {
            self.fail(column, "", "required, must not be empty");
            None
        } else {
            Some(text)
        }
    }

    /// The cell, or `None` when it is empty or absent.
    pub(crate) fn optional(&self, column: C) -> Option<&'r str> {
        Some(self.cell(column)).filter(|t| !t.is_empty())
    }

    /// The cell as owned text, or `None` when it is empty or absent.
    pub(crate) fn text(&self, column: C) -> Option<String> {
        self.optional(column).map(str::to_owned)
    }

    /// The non-empty values of a multi-valued cell, trimmed.
    pub(crate) fn list(&self, column: C) -> impl Iterator<Item = &'r str> + use<'r, C> {
        let separators: &'r [char] = self.list_separators;
        self.cell(column).split(separators).map(str::trim).filter(|t| !t.is_empty())
    }

    /// A required ISO date.
    pub(crate) fn date(&mut self, column: C) -> Option<Date> {
        let text = self.required(column)?;
        match parse_iso_date(text) {
            Ok(date) => Some(date),
            Err(e) => {
                let reason = match e {
                    DateError::Format => "expected an ISO date YYYY-MM-DD, like 2026-03-31",
                    DateError::NoSuchDay => "no such day in the calendar",
                };
                self.fail(column, text, reason);
                None
            }
        }
    }

    /// An amount in `currency`; `None` without error when the cell is empty.
    pub(crate) fn optional_money(&mut self, column: C, currency: Currency) -> Option<Money> {
        let text = self.optional(column)?;
        match Money::parse(text, currency) {
            Ok(money) => Some(money),
            Err(e) => {
                self.fail(column, text, amount_reason(&e));
                None
            }
        }
    }

    /// A required amount in `currency`.
    pub(crate) fn money(&mut self, column: C, currency: Currency) -> Option<Money> {
        self.required(column)?;
        self.optional_money(column, currency)
    }

    /// A value of a closed vocabulary; `None` without error when the cell is empty.
    pub(crate) fn vocabulary<T: FromStr + std::fmt::Display>(
        &mut self,
        column: C,
        all: &[T],
    ) -> Option<T> {
        let text = self.optional(column)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                let choices: Vec<String> = all.iter().map(ToString::to_string).collect();
                self.fail(column, text, format!("expected one of: {}", choices.join(", ")));
                None
            }
        }
    }
}

/// The reason for a refused amount, in the words a person fixing a spreadsheet needs.
fn amount_reason(e: &AmountError) -> String {
    match e {
        AmountError::NotANumber => "not an amount; write it like 1234.56 or -25.00".to_owned(),
        AmountError::Empty => "required, must not be empty".to_owned(),
        other => other.to_string(),
    }
}

/// 128-bit FNV-1a over `parts` joined with 0x1F: the same function as
/// [`arflow_core::ledger::fingerprint`], as a number, for in-memory keys that need no
/// allocation.
pub(crate) fn key128(parts: &[&str]) -> u128 {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET_BASIS;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash = (hash ^ 0x1f).wrapping_mul(PRIME);
        }
        for b in part.bytes() {
            hash = (hash ^ u128::from(b)).wrapping_mul(PRIME);
        }
    }
    hash
}

/// The line each key (a debtor or invoice number, an external id) was first seen on.
///
/// Keys are held as their 128-bit [`key128`], which saves an allocation per row; two different
/// keys sharing one is a chance of about n²/2¹²⁹ (nil for any file), and a deliberate collision
/// could only make its author's own file refused. The map's own hasher is the randomly keyed
/// default, so crafted keys cannot slow it down.
pub(crate) struct FirstLines(HashMap<u128, u64>);

impl FirstLines {
    pub(crate) fn with_capacity(capacity: usize) -> FirstLines {
        FirstLines(HashMap::with_capacity(capacity))
    }

    /// The line `key` was first seen on, or `None` after recording `line` for it.
    pub(crate) fn first(&mut self, key: &str, line: u64) -> Option<u64> {
        match self.0.entry(key128(&[key])) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(line);
                None
            }
        }
    }
}

/// The upper bound of data rows worth reserving room for.
pub(crate) fn rows_estimate(bytes: &[u8], opts: &CsvOptions) -> usize {
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let max = usize::try_from(opts.lines_max.saturating_add(1)).unwrap_or(usize::MAX);
    lines.saturating_add(1).min(max)
}

/// Reads a whole file, calling `on_row` for every data row that has the right shape.
///
/// # Errors
/// Every error found, by the engine or by `on_row`, in file order.
pub(crate) fn run<C: Column>(
    bytes: &[u8],
    opts: &CsvOptions,
    mut on_row: impl FnMut(&mut Row<'_, C>),
) -> Result<(), Vec<CsvError>> {
    let mut errors = Errors::new();
    read(bytes, opts, &mut errors, &mut on_row);
    if errors.list.is_empty() { Ok(()) } else { Err(errors.list) }
}

fn read<C: Column>(
    bytes: &[u8],
    opts: &CsvOptions,
    errors: &mut Errors,
    on_row: &mut impl FnMut(&mut Row<'_, C>),
) {
    if let Err(e) = std::str::from_utf8(bytes) {
        encoding_error(bytes, e, errors);
        return;
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let delimiter = sniff_delimiter(body);
    let list_separators: &[char] = if delimiter == b',' { &['|', ';'] } else { &['|'] };
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body);
    let mut record = ByteRecord::new();
    let mut lines = LineCounter::new(body);

    let header_line = loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) if is_blank(&record) => continue,
            Ok(true) => break lines.line_of(&record),
            Ok(false) => {
                let names: Vec<&str> =
                    C::SPECS.iter().filter(|(_, req)| *req).map(|(n, _)| *n).collect();
                let reason = format!(
                    "file is empty; expected a header line with at least: {}",
                    names.join(",")
                );
                errors.push(1, "", "", reason);
                return;
            }
            Err(e) => {
                errors.push(1, "", "", format!("unreadable CSV: {e}"));
                return;
            }
        }
    };
    let Some(fields) = resolve_header::<C>(&record, header_line, errors) else { return };
    let width = record.len();

    let mut rows: u64 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                errors.push(lines.line, "", "", format!("unreadable CSV: {e}"));
                break;
            }
        }
        if is_blank(&record) {
            continue;
        }
        let line = lines.line_of(&record);
        rows += 1;
        if rows > opts.lines_max {
            let reason = format!(
                "more than {} data rows, the most one file may have; split the file",
                opts.lines_max
            );
            errors.push(line, "", "", reason);
            break;
        }
        if record.len() != width {
            let reason = format!(
                "expected {width} fields as in the header, found {}; a cell containing the delimiter must be quoted",
                record.len()
            );
            errors.push(line, "", "", reason);
            continue;
        }
        if !cells_are_sane::<C>(&record, &fields, line, errors) {
            continue;
        }
        let mut row = Row {
            record: &record,
            fields: &fields,
            line,
            list_separators,
            errors: &mut *errors,
            failed: false,
            columns: PhantomData,
        };
        on_row(&mut row);
        if errors.full {
            break;
        }
    }
}

/// Finds the line a record starts on from its byte offset.
///
/// The csv reader's own line numbers drift on CRLF files and after blank lines (the line break
/// ending one record is counted when the next one is read), so lines are counted here: from the
/// record's offset, skip the line breaks it may point at, then count the `\n` bytes before.
/// Offsets only grow, so the whole file is scanned once.
struct LineCounter<'b> {
    body: &'b [u8],
    offset: usize,
    line: u64,
}

impl<'b> LineCounter<'b> {
    fn new(body: &'b [u8]) -> LineCounter<'b> {
        LineCounter { body, offset: 0, line: 1 }
    }

    fn line_of(&mut self, record: &ByteRecord) -> u64 {
        let reported = record.position().map_or(0, |p| p.byte());
        let mut start = usize::try_from(reported).unwrap_or(usize::MAX).max(self.offset);
        while self.body.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.min(self.body.len());
        let newlines = self
            .body
            .get(self.offset..start)
            .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
        self.line = self.line.saturating_add(u64::try_from(newlines).unwrap_or(u64::MAX));
        self.offset = start;
        self.line
    }
}

/// A line of only delimiters and spaces (spreadsheets leave them behind) counts as empty.
fn is_blank(record: &ByteRecord) -> bool {
    record.as_slice().iter().all(u8::is_ascii_whitespace)
}

/// `;` when the header line has `;` and no `,`, else `,`.
fn sniff_delimiter(body: &[u8]) -> u8 {
    let header = body
        .split(|b| *b == b'\n')
        .find(|line| !line.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    if header.contains(&b';') && !header.contains(&b',') { b';' } else { b',' }
}

/// Reports a file that is not UTF-8: the line and byte offset of the first bad byte, and the
/// text just before it so the spot can be found.
fn encoding_error(bytes: &[u8], e: std::str::Utf8Error, errors: &mut Errors) {
    let offset = e.valid_up_to();
    let (before, rest) = bytes.split_at_checked(offset).unwrap_or((bytes, &[]));
    let line = u64::try_from(before.iter().filter(|b| **b == b'\n').count()).unwrap_or(u64::MAX);
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let prefix = before.get(line_start..).unwrap_or_default();
    let prefix = std::str::from_utf8(prefix).unwrap_or_default();
    let skip = prefix.chars().count().saturating_sub(30);
    let mut value: String = prefix.chars().skip(skip).collect();
    let bad_len = e.error_len().unwrap_or(rest.len()).clamp(1, 4);
    for b in rest.iter().take(bad_len) {
        value.push_str(&format!("\\x{b:02X}"));
    }
    let reason =
        format!("invalid byte at offset {offset}: file is not UTF-8; save it as UTF-8 (CSV UTF-8)");
    errors.push(line.saturating_add(1), "", &value, reason);
}

/// Maps header names to columns. Returns `None` after reporting when the header is unusable.
fn resolve_header<C: Column>(
    record: &ByteRecord,
    line: u64,
    errors: &mut Errors,
) -> Option<Vec<Option<usize>>> {
    let mut fields: Vec<Option<usize>> = vec![None; C::SPECS.len()];
    let mut ok = true;
    for (i, raw) in record.iter().enumerate() {
        let name = std::str::from_utf8(raw).unwrap_or_default().trim();
        let known = C::SPECS.iter().position(|(n, _)| n.eq_ignore_ascii_case(name));
        match known.and_then(|c| fields.get_mut(c).map(|slot| (c, slot))) {
            Some((_, slot @ None)) => *slot = Some(i),
            Some((c, Some(first))) => {
                ok = false;
                let column = C::SPECS.get(c).map_or("", |(n, _)| n);
                errors.push(
                    line,
                    column,
                    "",
                    format!("column appears twice (fields {} and {})", *first + 1, i + 1),
                );
            }
            None if name.is_empty() => {
                ok = false;
                errors.push(
                    line,
                    "",
                    "",
                    format!("field {} of the header has no column name", i + 1),
                );
            }
            None => {
                ok = false;
                let known: Vec<&str> = C::SPECS.iter().map(|(n, _)| *n).collect();
                errors.push(
                    line,
                    name,
                    "",
                    format!("unknown column; known columns are: {}", known.join(", ")),
                );
            }
        }
    }
    for ((name, required), field) in C::SPECS.iter().zip(&fields) {
        if *required && field.is_none() {
            ok = false;
            errors.push(line, name, "", "required column is missing".to_owned());
        }
    }
    ok.then_some(fields)
}

/// Checks every cell of a row for length and control characters (which databases and letters
/// cannot hold), reporting each bad cell. Tab, CR and LF are allowed: a quoted cell may span
/// lines.
fn cells_are_sane<C: Column>(
    record: &ByteRecord,
    fields: &[Option<usize>],
    line: u64,
    errors: &mut Errors,
) -> bool {
    let mut ok = true;
    for (i, cell) in record.iter().enumerate() {
        let too_long = cell.len() > CELL_BYTES_MAX;
        let control = cell
            .iter()
            .find(|b| (**b < 0x20 && !matches!(**b, b'\t' | b'\r' | b'\n')) || **b == 0x7F);
        if !too_long && control.is_none() {
            continue;
        }
        ok = false;
        let column = fields
            .iter()
            .position(|f| *f == Some(i))
            .and_then(|c| C::SPECS.get(c))
            .map_or("", |(n, _)| n);
        let text = std::str::from_utf8(cell).unwrap_or_default();
        let reason = match control {
            Some(b) => format!("contains the control character U+{:04X}", u32::from(*b)),
            None => format!("longer than {CELL_BYTES_MAX} bytes ({} bytes)", cell.len()),
        };
        errors.push(line, column, text, reason);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_errors_are_short_and_on_one_line() {
        assert_eq!(clip("a\nb"), "a\\nb");
        let long = "x".repeat(200);
        assert_eq!(clip(&long).chars().count(), ERROR_VALUE_CHARS_MAX + 1);
    }

    #[test]
    fn key128_is_the_numeric_form_of_the_core_fingerprint() {
        for parts in [&[][..], &[""], &["a"], &["a", "b"], &["2026-01-05", "12.50", "EUR", ""]] {
            let fingerprint = arflow_core::ledger::fingerprint(parts);
            assert_eq!(format!("{:032x}", key128(parts)), fingerprint);
        }
    }

    #[test]
    fn first_lines_remember_where_a_key_was_first_seen() {
        let mut seen = FirstLines::with_capacity(4);
        assert_eq!(seen.first("F1", 2), None);
        assert_eq!(seen.first("F2", 3), None);
        assert_eq!(seen.first("F1", 4), Some(2));
        assert_eq!(seen.first("F1", 5), Some(2));
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header_line_only() {
        assert_eq!(sniff_delimiter(b"a;b\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"\n\na;b"), b';');
        assert_eq!(sniff_delimiter(b"a,b;c\n"), b',');
        assert_eq!(sniff_delimiter(b"a\n1;2"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
