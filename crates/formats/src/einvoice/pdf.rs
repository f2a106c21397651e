//! Finds the invoice XML embedded in a Factur-X / ZUGFeRD / XRechnung PDF (PDF/A-3).
//!
//! This is not a PDF reader. One forward pass over the file lexes PDF tokens and picks out the
//! indirect objects that matter: file specifications (`/EF`), embedded-file streams, object
//! streams (`/ObjStm`, which may hold the file specifications) and the encryption marker. The
//! cross-reference table is not needed and not read, so a damaged or incrementally updated file
//! still works (a later definition of an object wins). The XML is then chosen in this order:
//! 1. the stream of a file specification named `factur-x.xml`, `zugferd-invoice.xml`,
//!    `ZUGFeRD-invoice.xml` or `xrechnung.xml`;
//! 2. any `/EmbeddedFile` stream whose content has an invoice root element;
//! 3. any other stream whose content starts with an invoice root element.
//!
//! Streams are decoded when unfiltered or `/FlateDecode`; inflating is capped per stream
//! ([`MAX_INFLATED_STREAM_BYTES`]) and per file ([`MAX_INFLATED_TOTAL_BYTES`]). Value nesting is
//! limited, every loop advances, and finding `endstream` is cached so the pass stays linear.

use std::collections::BTreeMap;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

use super::{
    EInvoiceError, EInvoiceErrorKind, Location, MAX_INFLATED_STREAM_BYTES,
    MAX_INFLATED_TOTAL_BYTES, Problem, shorten,
};

/// Deepest nesting of PDF arrays and dictionaries read.
const MAX_VALUE_DEPTH: usize = 32;
/// Most values read in one object.
const MAX_VALUES_PER_OBJECT: usize = 100_000;
/// Longest string or name kept (longer ones are read past and cut).
const MAX_STRING_BYTES: usize = 4096;
/// Most streams remembered.
const MAX_STREAMS: usize = 200_000;
/// Most objects read from one object stream.
const MAX_OBJECTS_PER_OBJECT_STREAM: usize = 100_000;
/// How much of a stream is inflated to look for an XML root element.
const SNIFF_BYTES: usize = 64 * 1024;

/// File names of the invoice XML in Factur-X, ZUGFeRD 1/2 and XRechnung PDFs (compared
/// case-insensitively).
const INVOICE_FILE_NAMES: &[&str] = &["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

/// The invoice XML found in a PDF.
#[derive(Debug)]
pub(crate) struct EmbeddedXml {
    /// Object number of the stream that held it.
    pub object: u32,
    pub xml: Vec<u8>,
}

/// Finds the invoice XML in `pdf`.
///
/// # Errors
/// `not_an_invoice` when the PDF embeds no invoice XML; `unreadable` when the invoice file is
/// there but cannot be decoded.
pub(crate) fn find_invoice_xml(pdf: &[u8]) -> Result<EmbeddedXml, EInvoiceError> {
    let mut scan = Scan::default();
    scan.read_file(pdf);
    let mut budget = MAX_INFLATED_TOTAL_BYTES;
    scan.read_object_streams(pdf, &mut budget);
    let mut problems: Vec<Problem> = Vec::new();

    // 1. A file specification with a known invoice file name.
    for spec in &scan.filespecs {
        let Some(name) = &spec.name else { continue };
        let lower = name.trim().to_ascii_lowercase();
        if !INVOICE_FILE_NAMES.contains(&lower.as_str()) {
            continue;
        }
        let Some(stream) = spec.stream.and_then(|n| scan.streams.get(&n)) else {
            problems.push(Problem::at(
                Location::PdfObject(spec.object),
                Some("/EF".to_owned()),
                format!(
                    "the file specification of '{}' points to no stream found in the PDF",
                    shorten(name)
                ),
            ));
            continue;
        };
        match decode(pdf, stream, Need::Whole, &mut budget) {
            Ok(xml) if has_invoice_root(&xml) => {
                return Ok(EmbeddedXml { object: stream.object, xml });
            }
            Ok(_) => problems.push(Problem::at(
                Location::PdfObject(stream.object),
                Some("/EmbeddedFile".to_owned()),
                format!("the embedded file '{}' is not invoice XML", shorten(name)),
            )),
            Err(reason) => problems.push(Problem::at(
                Location::PdfObject(stream.object),
                Some("/EmbeddedFile".to_owned()),
                format!("the embedded file '{}' cannot be decoded: {reason}", shorten(name)),
            )),
        }
    }

    // 2. Any embedded file with an invoice root; 3. any other stream starting with one.
    for embedded_only in [true, false] {
        for stream in scan.streams.values() {
            if stream.embedded_file != embedded_only || stream.image {
                continue;
            }
            let Ok(head) = decode(pdf, stream, Need::Head, &mut budget) else { continue };
            if !has_invoice_root(&head) {
                continue;
            }
            match decode(pdf, stream, Need::Whole, &mut budget) {
                Ok(xml) => return Ok(EmbeddedXml { object: stream.object, xml }),
                Err(reason) => problems.push(Problem::at(
                    Location::PdfObject(stream.object),
                    None,
                    format!("a stream with invoice XML cannot be decoded: {reason}"),
                )),
            }
        }
    }

    if !problems.is_empty() {
        return Err(EInvoiceError { kind: EInvoiceErrorKind::Unreadable, problems });
    }
    let names: Vec<String> =
        scan.filespecs.iter().filter_map(|s| s.name.as_deref()).map(shorten).collect();
    let mut what =
        "a PDF without an embedded Factur-X / ZUGFeRD / XRechnung invoice XML".to_owned();
    if names.is_empty() {
        what.push_str(" (it embeds no files)");
    } else {
        what.push_str(&format!(" (it embeds: {})", names.join(", ")));
    }
    if scan.encrypted {
        what.push_str("; the PDF is encrypted, so its embedded files cannot be read");
    }
    Err(EInvoiceError::not_an_invoice(Location::Byte(0), &what))
}

/// `true` when the first element of `xml` is `CrossIndustryInvoice`, `Invoice` or `CreditNote`
/// (any prefix; the namespace is checked by the XML reader).
fn has_invoice_root(xml: &[u8]) -> bool {
    matches!(root_local_name(xml), Some(b"CrossIndustryInvoice" | b"Invoice" | b"CreditNote"))
}

/// The local name of the first element, skipping a byte-order mark, the XML declaration,
/// processing instructions, comments and a document type declaration.
fn root_local_name(xml: &[u8]) -> Option<&[u8]> {
    let mut rest = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    loop {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        rest = rest.get(start..)?;
        if rest.starts_with(b"<?") {
            let end = find(rest, b"?>", 0)?;
            rest = rest.get(end + 2..)?;
        } else if rest.starts_with(b"<!--") {
            let end = find(rest, b"-->", 4)?;
            rest = rest.get(end + 3..)?;
        } else if rest.starts_with(b"<!") {
            let end = rest.iter().position(|&b| b == b'>')?;
            rest = rest.get(end + 1..)?;
        } else if let Some(tag) = rest.strip_prefix(b"<") {
            let len = tag
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
                .unwrap_or(tag.len());
            let name = tag.get(..len)?;
            let local = match name.iter().rposition(|&b| b == b':') {
                Some(colon) => name.get(colon + 1..)?,
                None => name,
            };
            return Some(local);
        } else {
            return None;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// A stream found in the file (its data is not copied).
#[derive(Debug, Clone)]
struct StreamRec {
    object: u32,
    data_start: usize,
    data_end: usize,
    filters: Vec<Vec<u8>>,
    /// `/DecodeParms` has a `/Predictor` other than 1.
    predictor: bool,
    embedded_file: bool,
    object_stream: Option<ObjectStreamHeader>,
    image: bool,
}

#[derive(Debug, Clone, Copy)]
struct ObjectStreamHeader {
    count: usize,
    first: usize,
}

/// A file specification with an embedded file.
#[derive(Debug)]
struct Filespec {
    /// The object it was found in (the object stream's own number when inside one).
    object: u32,
    /// `/UF`, else `/F`.
    name: Option<String>,
    /// The object number of the embedded-file stream (`/EF /F` or `/EF /UF`).
    stream: Option<u32>,
}

#[derive(Debug, Default)]
struct Scan {
    streams: BTreeMap<u32, StreamRec>,
    filespecs: Vec<Filespec>,
    encrypted: bool,
}

impl Scan {
    /// The forward pass over the file.
    fn read_file(&mut self, pdf: &[u8]) {
        let mut lexer = Lexer::new(pdf);
        let mut finder = EndstreamFinder::default();
        // The two tokens before the current one, when they were integers.
        let mut previous: [Option<i64>; 2] = [None, None];
        while let Some(token) = lexer.next() {
            match token.tok {
                Tok::Keyword(b"obj") => {
                    if let [Some(number), Some(generation)] = previous
                        && let (Ok(number), true) =
                            (u32::try_from(number), (0..=65_535).contains(&generation))
                    {
                        self.read_indirect_object(pdf, &mut lexer, &mut finder, number);
                    }
                    previous = [None, None];
                }
                Tok::Keyword(b"trailer") => {
                    if let Ok(value) = parse_value(&mut lexer)
                        && value.get(b"Encrypt").is_some()
                    {
                        self.encrypted = true;
                    }
                    previous = [None, None];
                }
                Tok::Int(n) => previous = [previous[1], Some(n)],
                _ => previous = [None, None],
            }
        }
    }

    fn read_indirect_object(
        &mut self,
        pdf: &[u8],
        lexer: &mut Lexer<'_>,
        finder: &mut EndstreamFinder,
        object: u32,
    ) {
        let value = match parse_value(lexer) {
            Ok(value) => value,
            Err(Some(token)) => {
                lexer.push_back(token);
                return;
            }
            Err(None) => return,
        };
        self.collect_filespecs(&value, object, 0);
        if !matches!(value, Value::Dict(_)) {
            return;
        }
        match lexer.next() {
            Some(Token { tok: Tok::Keyword(b"stream"), end, .. }) => {
                let data_start = skip_eol(pdf, end);
                let length = match value.get(b"Length") {
                    Some(Value::Int(n)) => usize::try_from(*n).ok(),
                    _ => None,
                };
                let (data_end, resume) = finder.stream_end(pdf, data_start, length);
                lexer.seek(resume);
                self.record_stream(&value, object, data_start, data_end);
            }
            Some(other) => lexer.push_back(other),
            None => {}
        }
    }

    fn record_stream(&mut self, dict: &Value, object: u32, data_start: usize, data_end: usize) {
        let kind = dict.get(b"Type").and_then(Value::name);
        if kind == Some(b"XRef") && dict.get(b"Encrypt").is_some() {
            self.encrypted = true;
        }
        if kind == Some(b"XRef") || kind == Some(b"Metadata") {
            return;
        }
        if self.streams.len() >= MAX_STREAMS && !self.streams.contains_key(&object) {
            return;
        }
        let filters = match dict.get(b"Filter") {
            Some(Value::Name(name)) => vec![name.clone()],
            Some(Value::Array(items)) => {
                items.iter().filter_map(Value::name).map(<[u8]>::to_vec).collect()
            }
            _ => Vec::new(),
        };
        let predictor = match dict.get(b"DecodeParms") {
            Some(params @ Value::Dict(_)) => has_predictor(params),
            Some(Value::Array(items)) => items.iter().any(has_predictor),
            _ => false,
        };
        let object_stream = if kind == Some(b"ObjStm") {
            match (dict.get(b"N"), dict.get(b"First")) {
                (Some(Value::Int(n)), Some(Value::Int(first))) => {
                    match (usize::try_from(*n), usize::try_from(*first)) {
                        (Ok(count), Ok(first)) => Some(ObjectStreamHeader { count, first }),
                        _ => None,
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        let image = dict.get(b"Subtype").and_then(Value::name) == Some(b"Image");
        self.streams.insert(
            object,
            StreamRec {
                object,
                data_start,
                data_end,
                filters,
                predictor,
                embedded_file: kind == Some(b"EmbeddedFile"),
                object_stream,
                image,
            },
        );
    }

    /// Reads the objects inside every object stream, for the file specifications they hold.
    fn read_object_streams(&mut self, pdf: &[u8], budget: &mut usize) {
        let object_streams: Vec<StreamRec> =
            self.streams.values().filter(|s| s.object_stream.is_some()).cloned().collect();
        for stream in object_streams {
            let Some(header) = stream.object_stream else { continue };
            let Ok(data) = decode(pdf, &stream, Need::Whole, budget) else {
                continue;
            };
            let mut lexer = Lexer::new(&data);
            lexer.streams_allowed = false;
            let mut offsets = Vec::new();
            for _ in 0..header.count.min(MAX_OBJECTS_PER_OBJECT_STREAM) {
                match (lexer.next(), lexer.next()) {
                    (
                        Some(Token { tok: Tok::Int(_), .. }),
                        Some(Token { tok: Tok::Int(offset), .. }),
                    ) => {
                        if let Ok(offset) = usize::try_from(offset) {
                            offsets.push(offset);
                        }
                    }
                    _ => break,
                }
            }
            // Each object is read only up to where the next one starts, so overlapping or
            // repeated offsets cannot make the work grow beyond the stream's size.
            let mut starts: Vec<usize> = offsets
                .into_iter()
                .filter_map(|offset| header.first.checked_add(offset))
                .filter(|&at| at < data.len())
                .collect();
            starts.sort_unstable();
            starts.dedup();
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(data.len());
                let Some(object) = data.get(start..end) else { continue };
                let mut lexer = Lexer::new(object);
                lexer.streams_allowed = false;
                if let Ok(value) = parse_value(&mut lexer) {
                    self.collect_filespecs(&value, stream.object, 0);
                }
            }
        }
    }

    /// Records every dictionary with an `/EF` entry in `value` (inline ones included).
    fn collect_filespecs(&mut self, value: &Value, object: u32, depth: usize) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        match value {
            Value::Dict(entries) => {
                if let Some(ef) = value.get(b"EF") {
                    let name = value
                        .get(b"UF")
                        .or_else(|| value.get(b"F"))
                        .and_then(Value::string)
                        .map(pdf_text);
                    let stream = ef.get(b"F").or_else(|| ef.get(b"UF")).and_then(|v| match v {
                        Value::Ref(n) => Some(*n),
                        _ => None,
                    });
                    if self.filespecs.len() < MAX_STREAMS {
                        self.filespecs.push(Filespec { object, name, stream });
                    }
                }
                for (_, entry) in entries {
                    self.collect_filespecs(entry, object, depth + 1);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.collect_filespecs(item, object, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn has_predictor(params: &Value) -> bool {
    matches!(params.get(b"Predictor"), Some(Value::Int(p)) if *p > 1)
}

/// After the `stream` keyword: one end-of-line (CRLF or LF; a lone CR is tolerated).
fn skip_eol(pdf: &[u8], at: usize) -> usize {
    match (pdf.get(at), pdf.get(at + 1)) {
        (Some(b'\r'), Some(b'\n')) => at + 2,
        (Some(b'\r' | b'\n'), _) => at + 1,
        _ => at,
    }
}

/// Finds where stream data ends, remembering its last search so that a run of streams without
/// a usable `/Length` never searches the same bytes twice.
#[derive(Debug, Default)]
struct EndstreamFinder {
    /// `(searched from, found at)` of the last search.
    last: Option<(usize, Option<usize>)>,
}

impl EndstreamFinder {
    /// `(end of data, position after "endstream")`.
    fn stream_end(&mut self, pdf: &[u8], start: usize, length: Option<usize>) -> (usize, usize) {
        if let Some(end) = length.and_then(|l| start.checked_add(l)).filter(|&e| e <= pdf.len()) {
            let after = pdf.get(end..).unwrap_or_default();
            let blanks = after.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if after.get(blanks..).is_some_and(|a| a.starts_with(b"endstream")) {
                return (end, end + blanks + b"endstream".len());
            }
        }
        let found = match self.last {
            Some((from, found)) if start >= from && found.is_none_or(|f| start <= f) => found,
            _ => {
                let found = find(pdf, b"endstream", start);
                self.last = Some((start, found));
                found
            }
        };
        match found {
            Some(at) => {
                let mut end = at;
                if end > start && pdf.get(end - 1) == Some(&b'\n') {
                    end -= 1;
                }
                if end > start && pdf.get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
                (end, at + b"endstream".len())
            }
            None => (pdf.len(), pdf.len()),
        }
    }
}

/// How much of a stream is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// The first [`SNIFF_BYTES`], to look for a root element.
    Head,
    /// All of it, at most [`MAX_INFLATED_STREAM_BYTES`].
    Whole,
}

/// Decodes a stream's data, drawing on the file's `budget` of decompressed bytes.
fn decode(
    pdf: &[u8],
    stream: &StreamRec,
    need: Need,
    budget: &mut usize,
) -> Result<Vec<u8>, String> {
    let raw = pdf.get(stream.data_start..stream.data_end).unwrap_or_default();
    if stream.predictor {
        return Err("a /DecodeParms /Predictor is not supported".to_owned());
    }
    let wanted = match need {
        Need::Head => SNIFF_BYTES,
        Need::Whole => MAX_INFLATED_STREAM_BYTES,
    };
    let limit = wanted.min(*budget);
    if limit == 0 {
        return Err(format!(
            "more than {MAX_INFLATED_TOTAL_BYTES} bytes were decompressed from this file"
        ));
    }
    let (data, more) = match stream.filters.as_slice() {
        [] => (raw.get(..raw.len().min(limit)).unwrap_or_default().to_vec(), raw.len() > limit),
        [filter] if filter == b"FlateDecode" || filter == b"Fl" => inflate(raw, limit)?,
        filters => {
            let names: Vec<String> =
                filters.iter().map(|f| format!("/{}", String::from_utf8_lossy(f))).collect();
            return Err(format!("the filter {} is not supported", names.join(" ")));
        }
    };
    *budget = budget.saturating_sub(data.len());
    if more && need == Need::Whole {
        return Err(if limit < wanted {
            format!("more than {MAX_INFLATED_TOTAL_BYTES} bytes were decompressed from this file")
        } else {
            format!("the stream decompresses to more than {MAX_INFLATED_STREAM_BYTES} bytes")
        });
    }
    Ok(data)
}

/// Inflates zlib (or, failing its header, raw deflate) data to at most `limit` bytes, and says
/// whether more would have followed. A truncated or damaged stream gives what could be
/// inflated; the XML reader judges the rest.
fn inflate(input: &[u8], limit: usize) -> Result<(Vec<u8>, bool), String> {
    match inflate_with(input, limit, true) {
        Ok(inflated) => Ok(inflated),
        Err(zlib_error) => inflate_with(input, limit, false).map_err(|_| zlib_error),
    }
}

fn inflate_with(input: &[u8], limit: usize, zlib: bool) -> Result<(Vec<u8>, bool), String> {
    let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    if zlib {
        flags |= inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER;
    }
    // Never `clamp`: the limit can be below the usual starting size.
    let mut out = vec![0u8; input.len().saturating_mul(4).max(256).min(limit.max(1))];
    let mut decompressor = Box::<DecompressorOxide>::default();
    let mut in_pos = 0;
    let mut out_pos = 0;
    // Each round either finishes or doubles the buffer up to `limit`: at most ~40 rounds.
    for _ in 0..64 {
        let rest = input.get(in_pos..).unwrap_or_default();
        let (status, consumed, produced) =
            decompress(&mut decompressor, rest, &mut out, out_pos, flags);
        in_pos += consumed;
        out_pos += produced;
        match status {
            TINFLStatus::Done | TINFLStatus::Adler32Mismatch => {
                out.truncate(out_pos);
                return Ok((out, false));
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() >= limit {
                    out.truncate(out_pos);
                    return Ok((out, true));
                }
                let grown = out.len().saturating_mul(2).min(limit);
                out.resize(grown, 0);
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress if out_pos > 0 => {
                out.truncate(out_pos);
                return Ok((out, false));
            }
            _ => return Err("the /FlateDecode data is corrupt".to_owned()),
        }
    }
    out.truncate(out_pos);
    Ok((out, true))
}

/// A PDF text string: UTF-16BE after a byte-order mark, else PDFDocEncoding (read as Latin-1).
fn pdf_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let units = rest.chunks_exact(2).map(|p| match p {
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        });
        char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect()
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

/// A PDF value (only what is needed here is kept precisely).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool,
    Int(i64),
    Real,
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Value>),
    Dict(Vec<(Vec<u8>, Value)>),
    Ref(u32),
}

impl Value {
    fn get(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn name(&self) -> Option<&[u8]> {
        match self {
            Value::Name(n) => Some(n),
            _ => None,
        }
    }

    fn string(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses one value. `Err(Some(token))` gives back the token that cannot start or continue a
/// value, so the caller can look at it again (it may be the next `obj`).
fn parse_value<'a>(lexer: &mut Lexer<'a>) -> Result<Value, Option<Token<'a>>> {
    let mut budget = MAX_VALUES_PER_OBJECT;
    parse_nested(lexer, 0, &mut budget)
}

fn parse_nested<'a>(
    lexer: &mut Lexer<'a>,
    depth: usize,
    budget: &mut usize,
) -> Result<Value, Option<Token<'a>>> {
    let token = lexer.next().ok_or(None)?;
    if *budget == 0 {
        return Err(Some(token));
    }
    *budget -= 1;
    match token.tok {
        Tok::Int(n) => Ok(int_or_reference(lexer, n)),
        Tok::Real => Ok(Value::Real),
        Tok::Name(ref name) => Ok(Value::Name(name.clone())),
        Tok::Str(ref s) => Ok(Value::Str(s.clone())),
        Tok::Keyword(b"true" | b"false") => Ok(Value::Bool),
        Tok::Keyword(b"null") => Ok(Value::Null),
        Tok::ArrayOpen if depth < MAX_VALUE_DEPTH => {
            let mut items = Vec::new();
            loop {
                let next = lexer.next().ok_or(None)?;
                if matches!(next.tok, Tok::ArrayClose) {
                    return Ok(Value::Array(items));
                }
                lexer.push_back(next);
                items.push(parse_nested(lexer, depth + 1, budget)?);
            }
        }
        Tok::DictOpen if depth < MAX_VALUE_DEPTH => {
            let mut entries = Vec::new();
            loop {
                let next = lexer.next().ok_or(None)?;
                match next.tok {
                    Tok::DictClose => return Ok(Value::Dict(entries)),
                    Tok::Name(key) => {
                        let value = parse_nested(lexer, depth + 1, budget)?;
                        entries.push((key, value));
                    }
                    _ => return Err(Some(next)),
                }
            }
        }
        _ => Err(Some(token)),
    }
}

/// `n`, or `n g R` as a reference to object `n`.
fn int_or_reference(lexer: &mut Lexer<'_>, n: i64) -> Value {
    let Some(second) = lexer.next() else { return Value::Int(n) };
    if let Tok::Int(generation) = second.tok {
        match lexer.next() {
            Some(Token { tok: Tok::Keyword(b"R"), .. }) => {
                if let (Ok(object), true) = (u32::try_from(n), generation >= 0) {
                    return Value::Ref(object);
                }
                return Value::Null;
            }
            Some(third) => lexer.push_back(third),
            None => {}
        }
    }
    lexer.push_back(second);
    Value::Int(n)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Int(i64),
    Real,
    Name(Vec<u8>),
    Str(Vec<u8>),
    DictOpen,
    DictClose,
    ArrayOpen,
    ArrayClose,
    Keyword(&'a [u8]),
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Offset just after the token.
    end: usize,
}

/// PDF tokens, forward only, with a small push-back stack.
struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    pending: Vec<Token<'a>>,
    /// `false` inside object streams, which cannot hold streams.
    streams_allowed: bool,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8]) -> Lexer<'a> {
        Lexer { data, pos: 0, pending: Vec::new(), streams_allowed: true }
    }

    fn push_back(&mut self, token: Token<'a>) {
        self.pending.push(token);
    }

    fn seek(&mut self, pos: usize) {
        self.pending.clear();
        self.pos = pos.min(self.data.len());
    }

    fn peek_byte(&self, offset: usize) -> Option<u8> {
        self.data.get(self.pos + offset).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(token) = self.pending.pop() {
            return Some(token);
        }
        loop {
            let b = self.peek_byte(0)?;
            if is_whitespace(b) {
                self.pos += 1;
                continue;
            }
            let tok = match b {
                b'%' => {
                    while let Some(c) = self.peek_byte(0) {
                        if c == b'\r' || c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                    continue;
                }
                b'(' => Tok::Str(self.literal_string()),
                b'<' if self.peek_byte(1) == Some(b'<') => {
                    self.pos += 2;
                    Tok::DictOpen
                }
                b'<' => Tok::Str(self.hex_string()),
                b'>' if self.peek_byte(1) == Some(b'>') => {
                    self.pos += 2;
                    Tok::DictClose
                }
                b'[' => {
                    self.pos += 1;
                    Tok::ArrayOpen
                }
                b']' => {
                    self.pos += 1;
                    Tok::ArrayClose
                }
                b'/' => {
                    self.pos += 1;
                    Tok::Name(self.name())
                }
                b'>' | b')' | b'{' | b'}' => {
                    self.pos += 1;
                    continue;
                }
                _ => self.regular(),
            };
            return Some(Token { tok, end: self.pos });
        }
    }

    /// A run of regular characters: a number or a keyword.
    fn regular(&mut self) -> Tok<'a> {
        let start = self.pos;
        while let Some(b) = self.peek_byte(0) {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        let word = self.data.get(start..self.pos).unwrap_or_default();
        if word.is_empty() {
            // Cannot happen (the caller saw a regular byte), but never loop without advancing.
            self.pos += 1;
            return Tok::Keyword(b"");
        }
        let digits = word.strip_prefix(b"+").or_else(|| word.strip_prefix(b"-")).unwrap_or(word);
        let numeric = !digits.is_empty()
            && digits.iter().all(|b| b.is_ascii_digit() || *b == b'.')
            && digits.iter().filter(|b| **b == b'.').count() <= 1
            && digits.iter().any(u8::is_ascii_digit);
        if numeric {
            if word.contains(&b'.') {
                return Tok::Real;
            }
            return std::str::from_utf8(word)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .map_or(Tok::Real, Tok::Int);
        }
        if word == b"stream" && !self.streams_allowed {
            return Tok::Keyword(b"stream-in-object-stream");
        }
        Tok::Keyword(word)
    }

    /// `/Name` with `#xx` escapes (after the slash).
    fn name(&mut self) -> Vec<u8> {
        let mut name = Vec::new();
        while let Some(b) = self.peek_byte(0) {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
            let byte = if b == b'#' {
                match (self.peek_byte(0).and_then(hex_value), self.peek_byte(1).and_then(hex_value))
                {
                    (Some(h), Some(l)) => {
                        self.pos += 2;
                        h * 16 + l
                    }
                    _ => b,
                }
            } else {
                b
            };
            if name.len() < MAX_STRING_BYTES {
                name.push(byte);
            }
        }
        name
    }

    /// `(...)` with balanced parentheses and backslash escapes.
    fn literal_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth: usize = 1;
        let push = |out: &mut Vec<u8>, b: u8| {
            if out.len() < MAX_STRING_BYTES {
                out.push(b);
            }
        };
        while let Some(b) = self.peek_byte(0) {
            self.pos += 1;
            match b {
                b'\\' => {
                    let Some(e) = self.peek_byte(0) else { break };
                    self.pos += 1;
                    match e {
                        b'n' => push(&mut out, b'\n'),
                        b'r' => push(&mut out, b'\r'),
                        b't' => push(&mut out, b'\t'),
                        b'b' => push(&mut out, 0x08),
                        b'f' => push(&mut out, 0x0C),
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek_byte(0) {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            push(&mut out, u8::try_from(value & 0xFF).unwrap_or(0));
                        }
                        b'\r' => {
                            if self.peek_byte(0) == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => push(&mut out, other),
                    }
                }
                b'(' => {
                    depth += 1;
                    push(&mut out, b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    push(&mut out, b);
                }
                other => push(&mut out, other),
            }
        }
        out
    }

    /// `<4869>`: hex digits, whitespace ignored, an odd last digit padded with 0.
    fn hex_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek_byte(0) {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            let Some(v) = hex_value(b) else { continue };
            match high.take() {
                Some(h) => {
                    if out.len() < MAX_STRING_BYTES {
                        out.push(h * 16 + v);
                    }
                }
                None => high = Some(v),
            }
        }
        if let Some(h) = high
            && out.len() < MAX_STRING_BYTES
        {
            out.push(h * 16);
        }
        out
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
    }

    const XML: &[u8] = b"<?xml version='1.0'?><!-- c --><rsm:CrossIndustryInvoice xmlns:rsm='x'/>";

    fn pdf_with(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        for object in objects {
            pdf.extend_from_slice(object);
        }
        pdf.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
        pdf
    }

    fn stream(number: u32, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out =
            format!("{number} 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        out
    }

    #[test]
    fn the_named_embedded_file_is_found_and_inflated() {
        let pdf = pdf_with(&[
            b"1 0 obj << /Type /Catalog /Names << /EmbeddedFiles << /Names [(factur-x.xml) 2 0 R] >> >> >> endobj\n".to_vec(),
            b"2 0 obj << /Type /Filespec /F (factur\\055x\\056xml) /EF << /F 3 0 R >> >> endobj\n".to_vec(),
            stream(3, "/Type /EmbeddedFile /Filter /FlateDecode", &deflate(XML)),
        ]);
        let found = find_invoice_xml(&pdf).unwrap();
        assert_eq!(found.object, 3);
        assert_eq!(found.xml, XML);
    }

    #[test]
    fn a_filespec_inside_an_object_stream_is_found() {
        let inner = b"2 0 << /Type /Filespec /UF <FEFF00780072006500630068006E0075006E0067002E0078006D006C> /EF << /UF 3 0 R >> >>";
        let objstm = stream(5, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &deflate(inner));
        // The embedded stream has a wrong /Length: `endstream` is searched instead.
        let mut embedded = b"3 0 obj << /Length 999999 >>\nstream\n".to_vec();
        embedded.extend_from_slice(XML);
        embedded.extend_from_slice(b"\r\nendstream endobj\n");
        let pdf = pdf_with(&[objstm, embedded]);
        let found = find_invoice_xml(&pdf).unwrap();
        assert_eq!(found.object, 3);
        assert_eq!(found.xml, XML);
    }

    #[test]
    fn a_pdf_without_invoice_xml_is_not_an_invoice() {
        let pdf =
            pdf_with(&[stream(4, "/Filter /FlateDecode", &deflate(b"BT /F1 12 Tf (Hello) Tj ET"))]);
        let error = find_invoice_xml(&pdf).unwrap_err();
        assert!(error.is_not_an_invoice(), "{error}");
        assert!(error.to_string().contains("embeds no files"), "{error}");
    }

    #[test]
    fn an_object_stream_with_repeated_offsets_is_read_in_linear_time() {
        let count = 50_000;
        let mut inner = "1 0 ".repeat(count);
        let first = inner.len();
        inner.push_str(&format!("[{}]", "1 ".repeat(count)));
        let dict = format!("/Type /ObjStm /N {count} /First {first} /Filter /FlateDecode");
        let pdf = pdf_with(&[stream(5, &dict, &deflate(inner.as_bytes()))]);
        let started = std::time::Instant::now();
        assert!(find_invoice_xml(&pdf).is_err());
        assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
    }

    #[test]
    fn inflating_is_capped() {
        let big = vec![b'a'; 1_000_000];
        let (data, more) = inflate(&deflate(&big), 1000).unwrap();
        assert_eq!((data.len(), more), (1000, true));
        for limit in [1, 7, 255, 256, 257] {
            assert_eq!(inflate(&deflate(&big), limit).unwrap().0.len(), limit);
        }
        assert_eq!(inflate(&deflate(&big), 2_000_000).unwrap(), (big, false));
        assert!(inflate(b"not deflate at all", 1000).is_err());
    }

    #[test]
    fn the_lexer_survives_garbage() {
        for garbage in [
            &b"((((("[..],
            b"<<<<<<",
            b"1 0 obj << /A [[[[[[",
            b"1 0 obj<</Length 5>>stream",
            b"/#",
            b"<a",
        ] {
            let mut pdf = b"%PDF-1.4\n".to_vec();
            pdf.extend_from_slice(garbage);
            assert!(find_invoice_xml(&pdf).is_err());
        }
        let deep = format!("%PDF-1.4\n1 0 obj {} endobj", "[".repeat(10_000));
        assert!(find_invoice_xml(deep.as_bytes()).is_err());
    }
}
