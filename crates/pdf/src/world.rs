//! The typst `World` of one letter: it serves the embedded template, the letter's JSON data, its
//! QR code, the optional logo and the embedded fonts, and nothing else (no file system, no
//! packages, no network, no clock).
//!
//! The fonts, the font book, the standard library and the parsed template are built once in
//! [`Shared`] and borrowed by every letter's world: sharing them is what lets typst's memoization
//! reuse its work from one letter to the next.

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::ecow::EcoVec;
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

/// The letter template.
const TEMPLATE: &str = include_str!("letter.typ");

/// The fixed virtual paths. File ids are interned for the life of the process (at most 2^16
/// of them), so every letter reuses the same few paths; their contents differ per world.
const MAIN_PATH: &str = "/letter.typ";
const DATA_PATH: &str = "/data.json";
const QR_PATH: &str = "/qr.svg";
const LOGO_PATH: &str = "/logo";

/// What is loaded once per [`crate::Renderer`].
pub(crate) struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    template: Source,
    ids: Ids,
}

#[derive(Clone, Copy)]
struct Ids {
    main: FileId,
    data: FileId,
    qr: FileId,
    logo: FileId,
}

/// The per-letter virtual files.
pub(crate) struct LetterFiles {
    pub data: Bytes,
    pub qr: Option<Bytes>,
    pub logo: Option<Bytes>,
}

fn file_id(path: &'static str) -> FileId {
    // The paths are constants above; a failure here is a typo caught by every test.
    #[allow(clippy::expect_used)]
    let vpath = VirtualPath::new(path).expect("the virtual paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl Shared {
    pub(crate) fn new() -> Shared {
        let fonts: Vec<Font> = [
            notosans::REGULAR_TTF,
            notosans::BOLD_TTF,
            notosans::ITALIC_TTF,
            notosans::BOLD_ITALIC_TTF,
        ]
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
        let ids = Ids {
            main: file_id(MAIN_PATH),
            data: file_id(DATA_PATH),
            qr: file_id(QR_PATH),
            logo: file_id(LOGO_PATH),
        };
        Shared {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            template: Source::new(ids.main, TEMPLATE.to_owned()),
            ids,
        }
    }

    pub(crate) fn font_count(&self) -> usize {
        self.fonts.len()
    }

    pub(crate) fn world(&self, files: LetterFiles) -> LetterWorld<'_> {
        LetterWorld { shared: self, files }
    }
}

/// The world of one letter.
pub(crate) struct LetterWorld<'a> {
    shared: &'a Shared,
    files: LetterFiles,
}

impl LetterWorld<'_> {
    fn not_found(&self, id: FileId) -> FileError {
        FileError::NotFound(std::path::PathBuf::from(id.vpath().get_with_slash()))
    }
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.ids.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.ids.main {
            Ok(self.shared.template.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let ids = self.shared.ids;
        let found = if id == ids.main {
            Some(Bytes::from_string(TEMPLATE))
        } else if id == ids.data {
            Some(self.files.data.clone())
        } else if id == ids.qr {
            self.files.qr.clone()
        } else if id == ids.logo {
            self.files.logo.clone()
        } else {
            None
        };
        found.ok_or_else(|| self.not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Letters carry their date as text; the template never asks for the clock.
        None
    }
}

/// The diagnostics joined into one message: each with its hints and, when it points into a
/// file, the file and line (`/letter.typ:42`, `/logo`).
pub(crate) fn describe(world: &LetterWorld<'_>, diagnostics: &EcoVec<SourceDiagnostic>) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.to_string();
            for hint in &d.hints {
                text.push_str(" (hint: ");
                text.push_str(&hint.v);
                text.push(')');
            }
            if let Some(id) = d.span.id() {
                text.push_str(" at ");
                text.push_str(id.vpath().get_with_slash());
                let line = (id == world.shared.ids.main)
                    .then(|| world.range(d.span))
                    .flatten()
                    .and_then(|range| world.shared.template.lines().byte_to_line(range.start));
                if let Some(line) = line {
                    text.push_str(&format!(":{}", line + 1));
                }
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}
