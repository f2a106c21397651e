//! The reading machinery shared by the three CSV files: encoding check, delimiter sniffing,
//! header resolution, row limits and error collection. Each file kind supplies its columns and a
//! function turning one [`Row`] into a record.

use std::hash::{BuildHasher, RandomState};
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

        impl $name {
            /// Every column, in export order.
            #[allow(dead_code, reason = "not every file kind needs the list")]
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant),+];
        }

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
        if !self.full {
            self.push_error(CsvError {
                line,
                column: column.to_owned(),
                value: clip(value),
                reason,
            });
        }
    }

    fn push_error(&mut self, error: CsvError) {
        if self.full {
            return;
        }
        if self.list.len() >= ERRORS_MAX {
            self.full = true;
            self.list.push(CsvError {
                line: error.line,
                column: String::new(),
                value: String::new(),
                reason: format!(
                    "too many errors: stopped after {ERRORS_MAX}; fix these and import again"
                ),
            });
            return;
        }
        self.list.push(error);
    }

    /// Adds errors found after the file was read (repeated keys), keeping file order and the
    /// cap. Within a line, the errors found while reading come first.
    pub(crate) fn merge(&mut self, late: Vec<CsvError>) {
        if late.is_empty() {
            return;
        }
        if self.full {
            self.list.pop();
            self.full = false;
        }
        let mut all = std::mem::take(&mut self.list);
        all.extend(late);
        all.sort_by_key(|e| e.line);
        for error in all {
            self.push_error(error);
        }
    }

    /// The outcome of a file: `Ok` when nothing was found.
    pub(crate) fn into_list(self) -> Vec<CsvError> {
        self.list
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
    /// The last currency code parsed and its result: files mostly repeat one code, and parsing
    /// one allocates.
    last_currency: &'r mut Option<(String, Currency)>,
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

    /// A currency code; `default` when the cell is empty or absent, `None` after reporting an
    /// unknown code.
    pub(crate) fn currency(&mut self, column: C, default: Currency) -> Option<Currency> {
        let Some(text) = self.optional(column) else { return Some(default) };
        if let Some((_, currency)) = self.last_currency.as_ref().filter(|(last, _)| last == text) {
            return Some(*currency);
        }
        match Currency::parse(text) {
            Ok(currency) => {
                *self.last_currency = Some((text.to_owned(), currency));
                Some(currency)
            }
            Err(e) => {
                self.fail(column, text, e.to_string());
                None
            }
        }
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

/// Keys that must be unique within a file (debtor and invoice numbers, external ids), with the
/// lines they are on, checked for repeats once the whole file is read.
///
/// Probing a hash map per row costs a cache miss per row on large files; appending to two
/// vectors and sorting once at the end is several times cheaper and allocates nothing per row.
/// Sorting by a randomly keyed hash first keeps the sort fast whatever the keys look like.
pub(crate) struct Keys {
    text: String,
    entries: Vec<KeyEntry>,
    hasher: RandomState,
}

#[derive(Clone, Copy)]
struct KeyEntry {
    hash: u64,
    line: u64,
    start: usize,
    end: usize,
}

impl Keys {
    pub(crate) fn with_capacity(rows: usize) -> Keys {
        Keys::with_hasher(rows, RandomState::new())
    }

    /// Keys hashed like those of every other `Keys` given the same `hasher`, so that they can
    /// be [appended](Keys::append) to each other.
    pub(crate) fn with_hasher(rows: usize, hasher: RandomState) -> Keys {
        Keys {
            text: String::with_capacity(rows.saturating_mul(12)),
            entries: Vec::with_capacity(rows),
            hasher,
        }
    }

    /// Adds the keys of `later` (from further down the file, hashed with the same hasher).
    pub(crate) fn append(&mut self, later: Keys) {
        let shift = self.text.len();
        self.text.push_str(&later.text);
        self.entries.extend(later.entries.into_iter().map(|e| KeyEntry {
            start: e.start + shift,
            end: e.end + shift,
            ..e
        }));
    }

    pub(crate) fn push(&mut self, key: &str, line: u64) {
        let start = self.text.len();
        self.text.push_str(key);
        let hash = self.hasher.hash_one(key);
        self.entries.push(KeyEntry { hash, line, start, end: self.text.len() });
    }

    /// One error per repeated key, on the later line and naming the first, in line order:
    /// `reason` gets the first line appended.
    pub(crate) fn repeats(mut self, column: &str, reason: &str) -> Vec<CsvError> {
        let text = |e: &KeyEntry| self.text.get(e.start..e.end).unwrap_or_default();
        self.entries.sort_unstable_by(|a, b| {
            a.hash.cmp(&b.hash).then_with(|| text(a).cmp(text(b))).then(a.line.cmp(&b.line))
        });
        let mut repeats: Vec<(KeyEntry, u64)> = Vec::new();
        for group in self.entries.chunk_by(|a, b| a.hash == b.hash && text(a) == text(b)) {
            if let Some((first, later)) = group.split_first() {
                repeats.extend(later.iter().map(|e| (*e, first.line)));
            }
        }
        repeats.sort_unstable_by_key(|(e, _)| e.line);
        repeats.truncate(ERRORS_MAX + 1);
        repeats
            .into_iter()
            .map(|(e, first)| CsvError {
                line: e.line,
                column: column.to_owned(),
                value: clip(text(&e)),
                reason: format!("{reason}; first on line {first}"),
            })
            .collect()
    }
}

/// Most rows room is reserved for before reading; beyond it vectors grow as rows come.
///
/// Reserving for every line up front would let a file of empty lines claim hundreds of bytes of
/// memory per byte of input; growing past this costs a few copies on very large files only.
const ROWS_RESERVED_MAX: usize = 1 << 16;

/// How many rows to reserve room for: the lines of the file, within the limits.
pub(crate) fn rows_estimate(bytes: &[u8], opts: &CsvOptions) -> usize {
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let max = usize::try_from(opts.lines_max.saturating_add(1)).unwrap_or(usize::MAX);
    lines.saturating_add(1).min(max).min(ROWS_RESERVED_MAX)
}

/// Reads a whole file, calling `on_row` for every data row that has the right shape, and
/// returns every error found, by the engine or by `on_row`, in file order.
pub(crate) fn run<C: Column>(
    bytes: &[u8],
    opts: &CsvOptions,
    mut on_row: impl FnMut(&mut Row<'_, C>),
) -> Errors {
    let mut errors = Errors::new();
    read(bytes, opts, &mut errors, &mut on_row);
    errors
}

/// [`run`] in two halves at once when the file is large enough (`opts.split_bytes_min`), for
/// a callback that keeps what it gathers in a state of its own per half (`fresh` makes one).
/// The states come back in file order, the errors in file order; the outcome is what [`run`]
/// gives. The file is read in one piece instead when it is smaller, is not UTF-8, has a header
/// that cannot be used or more lines than `opts.lines_max` (those errors are [`run`]'s to
/// report), has no place near its middle where a record starts on a new line, or when its
/// halves find more errors than are kept (reading in one piece stops at the cap, and what the
/// callback gathered must stop there too).
pub(crate) fn run_halves<C: Column, S: Send>(
    bytes: &[u8],
    opts: &CsvOptions,
    fresh: impl Fn() -> S + Sync,
    on_row: impl Fn(&mut S, &mut Row<'_, C>) + Sync,
) -> (Vec<S>, Errors) {
    let whole = || {
        let mut state = fresh();
        let errors = run::<C>(bytes, opts, |row| on_row(&mut state, row));
        (vec![state], errors)
    };
    let Some(split) = split_point::<C>(bytes, opts) else { return whole() };
    let (first_part, second_part) = bytes.split_at(split.offset);
    let halves = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let mut state = fresh();
            let mut errors = Errors::new();
            let mut lines = LineCounter { body: second_part, offset: 0, line: split.line };
            read_rows(second_part, &split.header, opts, &mut lines, &mut errors, &mut |row| {
                on_row(&mut state, row);
            });
            (state, errors)
        });
        let mut state = fresh();
        let errors = run::<C>(first_part, opts, |row| on_row(&mut state, row));
        second.join().ok().map(|later| ((state, errors), later))
    });
    match halves {
        Some(((first, mut errors), (second, later)))
            if !errors.full
                && !later.full
                && errors.list.len() + later.list.len() <= ERRORS_MAX =>
        {
            errors.merge(later.list);
            (vec![first, second], errors)
        }
        _ => whole(),
    }
}

/// What the rows of a file need from its header: the delimiter and where each column is.
struct Header {
    delimiter: u8,
    fields: Vec<Option<usize>>,
    width: usize,
}

/// Where to cut a file in two: a byte offset in `bytes` where a record starts on a line of its
/// own, and that line's number.
struct Split {
    offset: usize,
    line: u64,
    header: Header,
}

fn split_point<C: Column>(bytes: &[u8], opts: &CsvOptions) -> Option<Split> {
    if bytes.len() < opts.split_bytes_min.max(2) || std::str::from_utf8(bytes).is_err() {
        return None;
    }
    let newlines = bytes.iter().filter(|b| **b == b'\n').count();
    if u64::try_from(newlines).ok()?.saturating_add(1) > opts.lines_max {
        return None;
    }
    let bom = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let body = bytes.get(bom..)?;
    let delimiter = sniff_delimiter(body);
    let mut reader = csv_reader(body, delimiter);
    let mut record = ByteRecord::new();
    let header_line = loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) if is_blank(&record) => continue,
            Ok(true) => break 1,
            _ => return None,
        }
    };
    let mut ignored = Errors::new();
    let fields = resolve_header::<C>(&record, header_line, &mut ignored)?;
    let width = record.len();
    let rows_start = usize::try_from(reader.position().byte()).ok()?;
    let cut = record_start_after(
        body,
        rows_start,
        delimiter,
        rows_start + body.len().saturating_sub(rows_start) / 2,
    )?;
    let before = body.get(..cut)?;
    let line =
        u64::try_from(before.iter().filter(|b| **b == b'\n').count()).ok()?.saturating_add(1);
    Some(Split { offset: bom + cut, line, header: Header { delimiter, fields, width } })
}

/// The first offset at or after `middle` where a record starts right after a `\n`, scanning
/// from `start` (a record start) with the quoting rules of the CSV reader: a field that starts
/// with `"` runs to the next lone `"`, `""` inside it being a quote; a `"` anywhere else is
/// text. `None` when there is no such offset before the end.
fn record_start_after(body: &[u8], start: usize, delimiter: u8, middle: usize) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    // Without a quote before the middle, every line break before it ends a record: the scan
    // may start after the last of them instead of at `start`.
    let from = match body.get(start..middle) {
        Some(head) if !head.contains(&b'"') => {
            head.iter().rposition(|b| *b == b'\n').map_or(start, |i| start + i + 1)
        }
        _ => start,
    };
    let mut state = State::FieldStart;
    for (i, b) in body.iter().enumerate().skip(from) {
        state = match (state, *b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::FieldStart, b'"') => State::Quoted,
            (_, b'\n') => {
                if i + 1 >= middle && i + 1 < body.len() {
                    return Some(i + 1);
                }
                State::FieldStart
            }
            (_, b'\r') => State::FieldStart,
            (_, b) if b == delimiter => State::FieldStart,
            _ => State::Unquoted,
        };
    }
    None
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
    let mut reader = csv_reader(body, delimiter);
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
    let header = Header { delimiter, fields, width: record.len() };
    rows_of(&mut reader, &header, opts, &mut lines, errors, on_row);
}

/// The rows of `part`, a piece of a file that starts where a record starts, under `header`.
fn read_rows<C: Column>(
    part: &[u8],
    header: &Header,
    opts: &CsvOptions,
    lines: &mut LineCounter<'_>,
    errors: &mut Errors,
    on_row: &mut impl FnMut(&mut Row<'_, C>),
) {
    let mut reader = csv_reader(part, header.delimiter);
    rows_of(&mut reader, header, opts, lines, errors, on_row);
}

/// The CSV reader every file and part of one is read with: no header row of its own (the
/// engine resolves it), rows of any length (reported, not refused by the reader).
fn csv_reader(input: &[u8], delimiter: u8) -> ::csv::Reader<&[u8]> {
    ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(input)
}

fn rows_of<C: Column>(
    reader: &mut ::csv::Reader<&[u8]>,
    header: &Header,
    opts: &CsvOptions,
    lines: &mut LineCounter<'_>,
    errors: &mut Errors,
    on_row: &mut impl FnMut(&mut Row<'_, C>),
) {
    let list_separators: &[char] = if header.delimiter == b',' { &['|', ';'] } else { &['|'] };
    let (fields, width) = (&header.fields, header.width);
    let mut record = ByteRecord::new();
    let mut last_currency = None;
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
        if !cells_are_sane::<C>(&record, fields, line, errors) {
            continue;
        }
        let mut row = Row {
            record: &record,
            fields,
            line,
            list_separators,
            errors: &mut *errors,
            last_currency: &mut last_currency,
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
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    let reason = if utf16 {
        "file is not UTF-8 but UTF-16 (\"Unicode text\"); save it as UTF-8 (CSV UTF-8)".to_owned()
    } else {
        format!("invalid byte at offset {offset}: file is not UTF-8; save it as UTF-8 (CSV UTF-8)")
    };
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
    fn a_file_is_cut_where_a_record_starts_on_a_new_line() {
        let cut = |text: &str, middle: usize| record_start_after(text.as_bytes(), 0, b',', middle);
        assert_eq!(cut("a,b\nc,d\ne,f\n", 5), Some(8));
        // A line break inside a quoted field, with an escaped quote before it, is not one.
        assert_eq!(cut("\"x\"\"\ny\",1\nz,2\n", 1), Some(10));
        // A quote that does not start a field is text, and opens nothing.
        assert_eq!(cut("a\"b,1\nc,2\n", 1), Some(6));
        // After a closed quote the field goes on unquoted; CRLF ends records.
        assert_eq!(cut("\"a\"b\",1\r\nc,2\r\n", 1), Some(9));
        // A break after the middle but at the very end is no cut; nor is a lone CR.
        assert_eq!(cut("a,b\n", 1), None);
        assert_eq!(cut("a,b\rc,d\re,f", 1), None);
    }

    columns! {
        enum TwoCols { Key => ("key", true), Value => ("value", false) }
    }

    #[test]
    fn a_large_file_is_read_in_two_halves_with_its_lines_and_errors_in_order() {
        let mut text = String::from("key,value\n");
        for i in 0..1000 {
            text.push_str(&format!("k{i},\"v,{i}\nmore\"\n"));
        }
        text.push_str("k1000\n");
        let opts = CsvOptions { split_bytes_min: 0, ..CsvOptions::default() };
        let (halves, errors) = run_halves::<TwoCols, Vec<(u64, String)>>(
            text.as_bytes(),
            &opts,
            Vec::new,
            |seen, row| seen.push((row.line, row.cell(TwoCols::Key).to_owned())),
        );
        assert_eq!(halves.len(), 2);
        let seen: Vec<(u64, String)> = halves.concat();
        let expected: Vec<(u64, String)> =
            (0..1000).map(|i| (2 + 2 * i, format!("k{i}"))).collect();
        assert_eq!(seen, expected);
        let errors = errors.into_list();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors.first().map(|e| e.line), Some(2002));
        // The same file in one piece: the same rows, the same error.
        let whole = CsvOptions { split_bytes_min: usize::MAX, ..opts };
        let (one, again) = run_halves::<TwoCols, Vec<(u64, String)>>(
            text.as_bytes(),
            &whole,
            Vec::new,
            |seen, row| {
                seen.push((row.line, row.cell(TwoCols::Key).to_owned()));
            },
        );
        assert_eq!((one.len(), one.concat()), (1, expected));
        assert_eq!(again.into_list(), errors);
    }

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
    fn repeated_keys_are_reported_on_later_lines_naming_the_first() {
        let mut keys = Keys::with_capacity(4);
        for (key, line) in [("F1", 2), ("F2", 3), ("F1", 4), ("F10", 5), ("F1", 6), ("F2", 9)] {
            keys.push(key, line);
        }
        let found: Vec<String> =
            keys.repeats("number", "duplicate").iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "4: column number: value 'F1': duplicate; first on line 2",
                "6: column number: value 'F1': duplicate; first on line 2",
                "9: column number: value 'F2': duplicate; first on line 3",
            ]
        );
    }

    #[test]
    fn late_errors_are_merged_in_line_order_under_the_cap() {
        let error = |line| CsvError {
            line,
            column: String::new(),
            value: String::new(),
            reason: "r".into(),
        };
        let mut errors = Errors::new();
        for line in (2..1998).step_by(2) {
            errors.push_error(error(line));
        }
        errors.merge(vec![error(3), error(5000)]);
        assert_eq!(errors.list.len(), ERRORS_MAX);
        assert_eq!(errors.list.get(1).map(|e| e.line), Some(3));
        errors.push_error(error(2001));
        assert!(errors.full);
        errors.merge(vec![error(1)]);
        assert_eq!(errors.list.len(), ERRORS_MAX + 1);
        assert_eq!(errors.list.first().map(|e| e.line), Some(1));
        assert!(errors.list.last().is_some_and(|e| e.reason.starts_with("too many errors")));
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
