//! A small, bounded element tree for e-invoice XML, built with quick-xml's low-level reader.
//!
//! Elements are matched by local name (prefixes vary between senders); only the root element's
//! namespace is checked, by the caller's `classify`. Invoice lines and signatures are not kept:
//! they are recorded as empty stubs so they can be counted. Text is unescaped (predefined and
//! character references; any other entity is an error). The input is decoded first: UTF-8
//! (with or without a byte-order mark), UTF-16 with a byte-order mark, and the single-byte
//! encodings ISO-8859-1, windows-1252 and ISO-8859-15 when the XML declaration names them.

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{EInvoiceError, EInvoiceErrorKind, Location, MAX_XML_DEPTH, Problem, Root, shorten};

pub(crate) type NodeId = usize;

/// Most elements kept in one tree (invoice lines count one each; their content is not kept).
pub const MAX_ELEMENTS: usize = 500_000;

/// Most attributes read on one element.
pub const MAX_ATTRIBUTES: usize = 256;

/// Elements whose content is never needed: lines are counted, signatures and extensions are
/// skipped.
const SKIPPED: &[&str] = &[
    "InvoiceLine",
    "CreditNoteLine",
    "IncludedSupplyChainTradeLineItem",
    "UBLExtensions",
    "Signature",
];

/// How the decoded text maps back to the bytes of the file.
#[derive(Debug)]
enum Encoding {
    /// Offsets are the same, after a byte-order mark of `bom` bytes.
    Utf8 { bom: u64 },
    /// One byte per character.
    SingleByte,
    /// Two bytes per UTF-16 code unit, after a 2-byte byte-order mark.
    Utf16 { bom: u64 },
}

/// Characters counted per checkpoint when mapping offsets of non-UTF-8 sources.
const CHECKPOINT_BYTES: usize = 4096;

/// An XML file decoded to UTF-8 text.
#[derive(Debug)]
pub(crate) struct Source {
    text: String,
    encoding: Encoding,
    /// For non-UTF-8 sources: at every `CHECKPOINT_BYTES` of `text`, the source offset there.
    checkpoints: Vec<u64>,
}

impl Source {
    /// Decodes the bytes of an XML file.
    ///
    /// # Errors
    /// A [`Problem`] for bytes that are not valid in the encoding, or an unsupported encoding.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Source, Problem> {
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            return Source::utf8(rest, 3);
        }
        if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
            return Source::utf16(rest, true, 2);
        }
        if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
            return Source::utf16(rest, false, 2);
        }
        if bytes.starts_with(b"\0<\0?") {
            return Source::utf16(bytes, true, 0);
        }
        if bytes.starts_with(b"<\0?\0") {
            return Source::utf16(bytes, false, 0);
        }
        let declared = crate::text::xml_declared_encoding(bytes).map(|e| e.to_ascii_lowercase());
        match declared.as_deref() {
            None | Some("utf-8" | "utf8") => Source::utf8(bytes, 0),
            Some(
                "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
                | "windows-1252" | "cp1252" | "us-ascii" | "ascii",
            ) => Ok(Source::single_byte(bytes, crate::text::windows_1252)),
            Some("iso-8859-15" | "iso8859-15" | "iso_8859-15" | "latin-9" | "latin9") => {
                Ok(Source::single_byte(bytes, crate::text::latin9))
            }
            Some(other) => Err(Problem::at(
                Location::Byte(0),
                Some("XML declaration".to_owned()),
                format!(
                    "the XML declares the encoding '{}', which is not supported (UTF-8, UTF-16, \
                     ISO-8859-1, ISO-8859-15 and windows-1252 are)",
                    shorten(other)
                ),
            )),
        }
    }

    fn utf8(bytes: &[u8], bom: u64) -> Result<Source, Problem> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Source {
                text: text.to_owned(),
                encoding: Encoding::Utf8 { bom },
                checkpoints: Vec::new(),
            }),
            Err(error) => {
                let at = u64::try_from(error.valid_up_to()).unwrap_or(u64::MAX);
                Err(Problem::at(
                    Location::Byte(at.saturating_add(bom)),
                    None,
                    "the XML is declared (or defaults to) UTF-8, but this byte is not valid UTF-8"
                        .to_owned(),
                ))
            }
        }
    }

    fn utf16(bytes: &[u8], big_endian: bool, bom: u64) -> Result<Source, Problem> {
        let units = bytes.chunks_exact(2).map(|pair| match pair {
            [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
            [a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0,
        });
        let mut text = String::with_capacity(bytes.len() / 2);
        let mut units_read: u64 = 0;
        for c in char::decode_utf16(units) {
            match c {
                Ok(c) => {
                    units_read += u64::try_from(c.len_utf16()).unwrap_or(1);
                    text.push(c);
                }
                Err(_) => {
                    return Err(Problem::at(
                        Location::Byte(bom + units_read * 2),
                        None,
                        "the XML is UTF-16, but this is an unpaired surrogate".to_owned(),
                    ));
                }
            }
        }
        if !bytes.len().is_multiple_of(2) {
            return Err(Problem::at(
                Location::Byte(bom + u64::try_from(bytes.len()).unwrap_or(u64::MAX)),
                None,
                "the XML is UTF-16, but it has an odd number of bytes".to_owned(),
            ));
        }
        let checkpoints = checkpoints(&text, |c| 2 * u64::try_from(c.len_utf16()).unwrap_or(1));
        Ok(Source { text, encoding: Encoding::Utf16 { bom }, checkpoints })
    }

    fn single_byte(bytes: &[u8], map: fn(u8) -> char) -> Source {
        let text: String = bytes.iter().map(|&b| map(b)).collect();
        let checkpoints = checkpoints(&text, |_| 1);
        Source { text, encoding: Encoding::SingleByte, checkpoints }
    }

    /// The location in the file of byte `offset` of the decoded text.
    fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        match self.encoding {
            Encoding::Utf8 { bom } => {
                Location::Byte(u64::try_from(offset).unwrap_or(u64::MAX).saturating_add(bom))
            }
            Encoding::SingleByte | Encoding::Utf16 { .. } => {
                let index = offset / CHECKPOINT_BYTES;
                let base = self.checkpoints.get(index).copied().unwrap_or(0);
                let start = index * CHECKPOINT_BYTES;
                let width: fn(char) -> u64 = match self.encoding {
                    Encoding::Utf16 { .. } => |c| 2 * u64::try_from(c.len_utf16()).unwrap_or(1),
                    _ => |_| 1,
                };
                let mut source = base;
                for (i, c) in self.text.get(start..).unwrap_or_default().char_indices() {
                    if start + i >= offset {
                        break;
                    }
                    source += width(c);
                }
                let bom = match self.encoding {
                    Encoding::Utf16 { bom } => bom,
                    _ => 0,
                };
                Location::Byte(source + bom)
            }
        }
    }
}

/// Source offsets (without byte-order mark) at every `CHECKPOINT_BYTES` of `text`. A checkpoint
/// falls inside a character when a multi-byte character straddles it; it then holds the offset
/// of that character, which `location` compensates by counting from the character's start.
fn checkpoints(text: &str, width: impl Fn(char) -> u64) -> Vec<u64> {
    let mut points = Vec::with_capacity(text.len() / CHECKPOINT_BYTES + 1);
    let mut source: u64 = 0;
    let mut next = 0;
    for (i, c) in text.char_indices() {
        while i >= next {
            points.push(source);
            next += CHECKPOINT_BYTES;
        }
        source += width(c);
    }
    points
}

/// One element.
#[derive(Debug)]
struct Node {
    /// Local name (no prefix).
    name: Box<str>,
    /// Attributes by qualified name, values unescaped and normalised.
    attributes: Vec<(Box<str>, String)>,
    /// Text content (all text children concatenated, unescaped).
    text: String,
    children: Vec<NodeId>,
    /// Offset of the start tag in the decoded text.
    offset: usize,
}

/// An element tree; node 0 is the root.
#[derive(Debug)]
pub(crate) struct Doc {
    nodes: Vec<Node>,
    source: Source,
}

const EMPTY: &[NodeId] = &[];

impl Doc {
    pub(crate) fn root(&self) -> NodeId {
        0
    }

    /// Where `node` starts in the file.
    pub(crate) fn location(&self, node: NodeId) -> Location {
        let offset = self.nodes.get(node).map_or(0, |n| n.offset);
        self.source.location(offset)
    }

    fn children_of(&self, node: NodeId) -> &[NodeId] {
        self.nodes.get(node).map_or(EMPTY, |n| n.children.as_slice())
    }

    pub(crate) fn name(&self, node: NodeId) -> &str {
        self.nodes.get(node).map_or("", |n| &n.name)
    }

    /// The first child named `name`.
    pub(crate) fn child(&self, node: NodeId, name: &str) -> Option<NodeId> {
        self.children_of(node).iter().copied().find(|&c| self.name(c) == name)
    }

    /// Every child named `name`, in document order.
    pub(crate) fn children<'a>(
        &'a self,
        node: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.children_of(node).iter().copied().filter(move |&c| self.name(c) == name)
    }

    /// Follows `path` from `node`, taking the first matching child at each step.
    pub(crate) fn path(&self, node: NodeId, path: &[&str]) -> Option<NodeId> {
        path.iter().try_fold(node, |at, name| self.child(at, name))
    }

    /// Like [`Doc::path`] from an optional start.
    pub(crate) fn path_from(&self, node: Option<NodeId>, path: &[&str]) -> Option<NodeId> {
        self.path(node?, path)
    }

    /// The text content, trimmed of XML whitespace.
    pub(crate) fn text(&self, node: NodeId) -> &str {
        self.raw_text(node).trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
    }

    /// The text content as written (unescaped).
    pub(crate) fn raw_text(&self, node: NodeId) -> &str {
        self.nodes.get(node).map_or("", |n| &n.text)
    }

    /// The value of the attribute with local name `name`.
    pub(crate) fn attr(&self, node: NodeId, name: &str) -> Option<&str> {
        let node = self.nodes.get(node)?;
        node.attributes
            .iter()
            .find(|(key, _)| {
                !key.starts_with("xmlns") && key.rsplit(':').next().is_some_and(|k| k == name)
            })
            .map(|(_, value)| value.as_str())
    }
}

fn unreadable(location: Location, reason: String) -> EInvoiceError {
    EInvoiceError::one(EInvoiceErrorKind::Unreadable, location, reason)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Reads the whole document into a [`Doc`]. `classify` is shown the root's local name and
/// namespace URI and decides whether to go on.
///
/// # Errors
/// `unreadable` for XML that is not well-formed or over a limit; `not_an_invoice` when
/// `classify` refuses the root.
pub(crate) fn build(
    source: Source,
    classify: impl Fn(&str, Option<&str>) -> Result<Root, String>,
) -> Result<(Root, Doc), EInvoiceError> {
    let (root, nodes) = read_tree(&source, classify)?;
    Ok((root, Doc { nodes, source }))
}

fn read_tree(
    source: &Source,
    classify: impl Fn(&str, Option<&str>) -> Result<Root, String>,
) -> Result<(Root, Vec<Node>), EInvoiceError> {
    let mut reader = Reader::from_str(&source.text);
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<NodeId> = Vec::new();
    // Depth inside a skipped element (0 when not skipping).
    let mut skip_depth: usize = 0;
    let mut root: Option<Root> = None;
    let mut root_closed = false;
    loop {
        let offset = to_usize(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                let at = source.location(to_usize(reader.error_position()));
                return Err(unreadable(at, format!("the XML is not well-formed: {error}")));
            }
        };
        let here = || source.location(offset);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root_closed {
                    return Err(unreadable(
                        here(),
                        "the XML has a second element after its root element".to_owned(),
                    ));
                }
                if stack.len() + skip_depth + 1 > MAX_XML_DEPTH {
                    return Err(unreadable(
                        here(),
                        format!("elements are nested more than {MAX_XML_DEPTH} levels deep"),
                    ));
                }
                if skip_depth > 0 {
                    if !is_empty {
                        skip_depth += 1;
                    }
                    continue;
                }
                let qname = start.name();
                let local = qname.local_name().as_ref().to_owned();
                let mut attributes = Vec::new();
                // Without duplicate checks: quick-xml's check compares every pair, which is
                // quadratic in the number of attributes; the count is limited instead.
                for attribute in start.attributes().with_checks(false) {
                    if attributes.len() >= MAX_ATTRIBUTES {
                        return Err(unreadable(
                            here(),
                            format!("<{local}> has more than {MAX_ATTRIBUTES} attributes"),
                        ));
                    }
                    let attribute = attribute.map_err(|error| {
                        unreadable(here(), format!("a malformed attribute in <{local}>: {error}"))
                    })?;
                    let value =
                        attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|error| {
                            unreadable(
                                here(),
                                format!("a malformed attribute value in <{local}>: {error}"),
                            )
                        })?;
                    attributes.push((Box::<str>::from(attribute.key.as_ref()), value.into_owned()));
                }
                if root.is_none() {
                    let declaration = match qname.prefix() {
                        Some(prefix) => format!("xmlns:{}", prefix.as_ref()),
                        None => "xmlns".to_owned(),
                    };
                    let namespace = attributes
                        .iter()
                        .find(|(key, _)| **key == *declaration)
                        .map(|(_, value)| value.as_str());
                    match classify(&local, namespace) {
                        Ok(r) => root = Some(r),
                        Err(what) => {
                            return Err(EInvoiceError::not_an_invoice(here(), &what));
                        }
                    }
                }
                if nodes.len() >= MAX_ELEMENTS {
                    return Err(unreadable(
                        here(),
                        format!("the XML has more than {MAX_ELEMENTS} elements outside its lines"),
                    ));
                }
                let id = nodes.len();
                let skipped = !stack.is_empty() && SKIPPED.contains(&local.as_str());
                nodes.push(Node {
                    name: local.into_boxed_str(),
                    attributes,
                    text: String::new(),
                    children: Vec::new(),
                    offset,
                });
                if let Some(parent) = stack.last().and_then(|&p| nodes.get_mut(p)) {
                    parent.children.push(id);
                }
                if is_empty {
                    if stack.is_empty() {
                        root_closed = true;
                    }
                } else if skipped {
                    skip_depth = 1;
                } else {
                    stack.push(id);
                }
            }
            Event::End(_) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                } else {
                    stack.pop();
                    if stack.is_empty() {
                        root_closed = true;
                    }
                }
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                append_text(&mut nodes, &stack, skip_depth, &content, here)?;
            }
            Event::CData(data) => {
                let content = data.xml10_content();
                append_text(&mut nodes, &stack, skip_depth, &content, here)?;
            }
            Event::GeneralRef(reference) => {
                let resolved: String = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&reference) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(unreadable(
                                here(),
                                format!("the entity &{}; is not defined", shorten(&reference)),
                            ));
                        }
                    },
                    Err(error) => {
                        return Err(unreadable(
                            here(),
                            format!("a bad character reference &{};: {error}", shorten(&reference)),
                        ));
                    }
                };
                append_text(&mut nodes, &stack, skip_depth, &resolved, here)?;
            }
            Event::Eof => {
                let Some(root) = root else {
                    return Err(unreadable(here(), "the XML has no root element".to_owned()));
                };
                if let Some(open) = stack.last() {
                    let name = nodes.get(*open).map_or("", |n| &n.name);
                    return Err(unreadable(
                        here(),
                        format!("the XML ends before the element <{name}> is closed"),
                    ));
                }
                if skip_depth > 0 {
                    return Err(unreadable(
                        here(),
                        "the XML ends inside an unclosed element".to_owned(),
                    ));
                }
                return Ok((root, nodes));
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn append_text(
    nodes: &mut [Node],
    stack: &[NodeId],
    skip_depth: usize,
    content: &str,
    here: impl Fn() -> Location,
) -> Result<(), EInvoiceError> {
    if skip_depth > 0 {
        return Ok(());
    }
    match stack.last().and_then(|&id| nodes.get_mut(id)) {
        Some(node) => {
            node.text.push_str(content);
            Ok(())
        }
        None if content.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) => Ok(()),
        None => Err(unreadable(here(), "the XML has text outside its root element".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_root(local: &str, _ns: Option<&str>) -> Result<Root, String> {
        if local == "bad" { Err("bad root".to_owned()) } else { Ok(Root::Cii) }
    }

    fn tree(xml: &[u8]) -> Result<Doc, EInvoiceError> {
        let source = Source::decode(xml).map_err(|p| EInvoiceError {
            kind: EInvoiceErrorKind::Unreadable,
            problems: vec![p],
        })?;
        build(source, any_root).map(|(_, doc)| doc)
    }

    #[test]
    fn entities_and_cdata_are_unescaped() {
        let doc = tree(b"<a><b x='1 &amp; 2'>A &amp; B &#233;<![CDATA[<c>]]></b></a>").unwrap();
        let b = doc.child(0, "b").unwrap();
        assert_eq!(doc.text(b), "A & B \u{e9}<c>");
        assert_eq!(doc.attr(b, "x"), Some("1 & 2"));
    }

    #[test]
    fn latin1_declared_documents_are_decoded_and_located() {
        let xml = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE9\xE9<b/><c>&bogus;</c></a>";
        let doc = tree(&xml[..xml.len() - 20]);
        assert!(doc.is_err());
        let err = tree(xml).unwrap_err();
        let Location::Byte(at) = err.problems[0].location else { panic!() };
        assert_eq!(&xml[usize::try_from(at).unwrap()..][..1], b"&");
        let ok = tree(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xE9</a>").unwrap();
        assert_eq!(ok.text(0), "caf\u{e9}");
    }

    #[test]
    fn utf8_with_bom_and_utf16_are_read() {
        let doc = tree(b"\xEF\xBB\xBF<a>\xC3\xA9</a>").unwrap();
        assert_eq!(doc.text(0), "\u{e9}");
        let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>\u{e9}</a>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let doc = tree(&utf16).unwrap();
        assert_eq!(doc.text(0), "\u{e9}");
    }

    #[test]
    fn broken_and_deep_documents_are_refused() {
        assert!(tree(b"<a><b></a>").is_err());
        assert!(tree(b"<a>").is_err());
        assert!(tree(b"<a/><b/>").is_err());
        assert!(tree(b"<bad/>").unwrap_err().is_not_an_invoice());
        let deep = "<a>".repeat(MAX_XML_DEPTH + 1) + &"</a>".repeat(MAX_XML_DEPTH + 1);
        assert!(tree(deep.as_bytes()).is_err());
        assert!(tree(b"\xFF\xFE<").is_err());
    }

    #[test]
    fn lines_are_kept_as_stubs() {
        let doc = tree(b"<a><InvoiceLine><x><y/></x></InvoiceLine><InvoiceLine/></a>").unwrap();
        assert_eq!(doc.children(0, "InvoiceLine").count(), 2);
        let line = doc.child(0, "InvoiceLine").unwrap();
        assert!(doc.child(line, "x").is_none());
    }
}
