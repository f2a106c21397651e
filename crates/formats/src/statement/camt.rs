//! ISO 20022 bank-to-customer cash messages: camt.053 statements (`BkToCstmrStmt`), camt.052
//! account reports (`BkToCstmrAcctRpt`) and camt.054 debit/credit notifications
//! (`BkToCstmrDbtCdtNtfctn`), every version (`.001.02` to `.001.13`), read into the shared
//! [`ParsedStatements`] model; and a writer of camt.053.001.02 for round trips, benchmarks and
//! generated test months.
//!
//! The reader is one pass over quick-xml's low-level events. It keeps a small stack of element
//! local names (prefixes are ignored; the version comes from the root namespace), decides once
//! per start tag whether the element is one it maps, and only then collects its text. Unknown
//! elements are skipped. Facts about the format: `../shared/notes/legal-and-formats.md` §6.2.
//!
//! Choices a reader of the output should know:
//! - **Balances.** Opening is `OPBD` (else `PRCD`), closing is `CLBD`, each signed by its
//!   `CdtDbtInd` (missing: taken as credit, with a warning). camt.054 has none, so its balance
//!   check is [`BalanceCheck::NotApplicable`].
//! - **Status.** Entries whose `Sts` (or `Sts/Cd`) is given and is not `BOOK` (pending,
//!   information, future) are not booked movements: they are left out, with a warning.
//! - **Booking date.** `BookgDt`, else `ValDt`, else the statement's `FrToDt/ToDtTm`, its `CLBD`
//!   date, its `CreDtTm`, the group header's `CreDtTm` — with a warning saying which.
//! - **Batches.** An `Ntry` with several `TxDtls` becomes one entry per `TxDtls` when their
//!   amounts (`TxDtls/Amt`, else `AmtDtls/TxAmt/Amt`) are in the entry's currency and add up to
//!   the entry's amount (each signed as the entry), or when each has its own `CdtDbtInd` and the
//!   signed sum equals the signed entry (a netted batch). The parts share the booking and value
//!   dates; their bank reference is the entry's `AcctSvcrRef` suffixed `/1`, `/2`, … (banks
//!   repeat one `TxDtls/Refs/AcctSvcrRef` for the whole batch, so that one is used only when
//!   the entry has none). Otherwise the entry stays whole: counterparty, reference and
//!   end-to-end id are kept only when every `TxDtls` agrees, remittance texts are joined, and
//!   a warning says why. Either way opening + entries = closing still holds.
//! - **Counterparty.** The debtor side (`Dbtr`/`UltmtDbtr`, `DbtrAcct`, `DbtrAgt`) for a
//!   credit, the creditor side for a debit; a reversal or return describes the original
//!   movement, so the sides swap. When only one side is given it is used; a side whose account
//!   is the statement's own account is never the counterparty.
//! - **Transaction code.** `Domn/Cd/Fmly/Cd/SubFmlyCd` joined with `/` when the domain code is
//!   given, else `Prtry/Cd`; the entry's code first, else the transaction's.
//! - **Remittance.** `RmtInf/Ustrd` lines joined with a space (a line `NOTPROVIDED` is dropped),
//!   else `AddtlTxInf`, else `AddtlNtryInf`. The structured reference is the first
//!   `Strd/CdtrRefInf/Ref` a scheme accepts (the issuer `BBA` means OGM, `CUR` Dutch, `ISO` RF),
//!   else the first one kept as `other`, else a reference found in the remittance text.
//! - **Zip.** A zip archive of camt files (stored or deflated members) is read member by member
//!   and its statements are concatenated; [`Location`]s are then offsets inside the member,
//!   and every problem and warning names its member.

use std::borrow::Cow;

use arflow_core::date::{Date, parse_iso_date};
use arflow_core::money::{Currency, Money};
use arflow_core::reference::ReferenceScheme;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{
    Balance, BalanceCheck, Entry, Location, MAX_ENTRIES, MAX_FILE_BYTES, MAX_REMITTANCE_CHARS,
    ParsedStatements, Problem, ReferenceKind, Statement, StatementError, StatementFormat,
    StructuredReference,
};

/// Deepest element nesting accepted (camt needs about 12 levels).
pub const DEPTH_MAX: usize = 64;
/// Most problems listed for one file; one more line says that the list stops there.
const PROBLEMS_MAX: usize = 1_000;
/// Distinct entry statuses other than `BOOK` counted by name in one statement.
const NOT_BOOKED_KINDS_MAX: usize = 16;
/// Most members read from one zip archive.
const ZIP_MEMBERS_MAX: usize = 10_000;
/// Namespace prefix of every ISO 20022 message schema.
const ISO_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:";
/// The namespace written by [`write_camt053`].
const WRITE_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02";
/// Longest `RmtInf/Ustrd` line the schema allows, in characters.
const USTRD_CHARS_MAX: usize = 140;

/// Reads a camt.052, camt.053 or camt.054 message (or a zip archive of them).
///
/// `message` in the result is the exact message id of the root namespace, e.g.
/// `camt.053.001.02`; `format` is always [`StatementFormat::Camt053`]. UTF-8 (with or without a
/// byte-order mark) and files declared ISO-8859-1, ISO-8859-15 or Windows-1252 are read.
///
/// # Errors
/// [`StatementError`] listing every problem found, in file order, each with its byte offset,
/// the element path (`Stmt/Ntry/Amt`) and the reason: a file that is not XML or not camt, an
/// XML syntax error, a missing or malformed amount, sign or date, an account without
/// identification or currency, a file larger than [`MAX_FILE_BYTES`], more than [`MAX_ENTRIES`]
/// entries, or elements nested deeper than [`DEPTH_MAX`]. Nothing is returned when any problem
/// is found.
///
/// # Examples
/// ```
/// use arflow_formats::statement::camt;
/// use arflow_formats::statement::BalanceCheck;
///
/// let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
/// <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
///  <GrpHdr><MsgId>1</MsgId><CreDtTm>2026-01-31T18:00:00</CreDtTm></GrpHdr>
///  <Stmt><Id>S1</Id><Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
///   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt>
///        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-30</Dt></Dt></Bal>
///   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">7.50</Amt>
///        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-31</Dt></Dt></Bal>
///   <Ntry><Amt Ccy="EUR">2.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
///         <BookgDt><Dt>2026-01-31</Dt></BookgDt></Ntry>
///  </Stmt></BkToCstmrStmt></Document>"#;
/// let parsed = camt::parse(xml.as_bytes()).unwrap();
/// assert_eq!(parsed.message, "camt.053.001.02");
/// let statement = &parsed.statements[0];
/// assert_eq!(statement.entries[0].amount.minor(), -250);
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
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return parse_zip(bytes);
    }
    parse_document(bytes, MAX_ENTRIES).map_err(|problems| StatementError { problems })
}

/// One camt XML document; `entries_max` is what is left of the entry budget.
fn parse_document(bytes: &[u8], entries_max: usize) -> Result<ParsedStatements, Vec<Problem>> {
    let decoded = decode(bytes).map_err(|p| vec![p])?;
    let mut parser = Parser::new(entries_max);
    parser.run(&decoded.text);
    let Parser { problems, warnings, mut statements, message, .. } = parser;
    let mut problems = problems;
    let mut warnings = warnings;
    if problems.is_empty() && statements.is_empty() {
        problems.push(Problem::at(
            Location::Byte(0),
            None,
            "the message holds no statement, report or notification (Stmt, Rpt or Ntfctn)",
        ));
    }
    if !problems.is_empty() {
        if decoded.shifted() {
            for p in &mut problems {
                p.location = decoded.original(p.location);
            }
        }
        return Err(problems);
    }
    if decoded.shifted() {
        for w in &mut warnings {
            w.location = decoded.original(w.location);
        }
        for s in &mut statements {
            s.location = decoded.original(s.location);
            for e in &mut s.entries {
                e.location = decoded.original(e.location);
            }
        }
    }
    Ok(ParsedStatements {
        format: StatementFormat::Camt053,
        message: message.unwrap_or_default(),
        statements,
        warnings,
    })
}

// ---------------------------------------------------------------------------------------------
// Text decoding

/// The document as UTF-8, and how to map its offsets back to the file's bytes.
struct Decoded<'a> {
    text: Cow<'a, str>,
    /// Bytes dropped in front (a UTF-8 byte-order mark).
    skipped: u64,
    /// For a single-byte encoding turned into UTF-8: the UTF-8 offset of every
    /// `CHECKPOINT_BYTES`-th input byte.
    checkpoints: Option<Vec<u64>>,
}

/// Input bytes between two checkpoints of a transcoded file: mapping an offset back counts at
/// most this many characters.
const CHECKPOINT_BYTES: u64 = 256;

impl Decoded<'_> {
    fn shifted(&self) -> bool {
        self.skipped != 0 || self.checkpoints.is_some()
    }

    /// The file offset of a UTF-8 offset in `text`.
    fn original(&self, location: Location) -> Location {
        let Location::Byte(pos) = location else {
            return location;
        };
        let inner = match &self.checkpoints {
            None => pos,
            Some(points) => {
                let k = points.partition_point(|&c| c <= pos).saturating_sub(1);
                let start = points.get(k).copied().unwrap_or(0);
                let from = usize::try_from(start).unwrap_or(usize::MAX);
                let to = usize::try_from(pos).unwrap_or(usize::MAX);
                let chars = self.text.get(from..to).map_or(0, |s| s.chars().count());
                (k as u64) * CHECKPOINT_BYTES + chars as u64
            }
        };
        Location::Byte(inner + self.skipped)
    }
}

/// Single-byte encodings read by transcoding to UTF-8.
#[derive(Clone, Copy)]
enum SingleByte {
    Latin1,
    Latin9,
    Windows1252,
}

fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Problem> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Problem::at(
            Location::Byte(0),
            None,
            "the file is UTF-16; camt files are read as UTF-8 or ISO-8859-1",
        ));
    }
    let (body, skipped) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, 3),
        None => (bytes, 0),
    };
    let single = match crate::text::xml_declared_encoding(body) {
        None => None,
        Some(name) => match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => None,
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" => {
                Some(SingleByte::Latin1)
            }
            "iso-8859-15" | "iso8859-15" | "iso_8859-15" | "latin-9" | "latin9" => {
                Some(SingleByte::Latin9)
            }
            "windows-1252" | "cp1252" => Some(SingleByte::Windows1252),
            _ => {
                return Err(Problem::at(
                    Location::Byte(skipped),
                    Some("xml declaration".into()),
                    format!(
                        "the encoding {name:?} is not supported; use UTF-8, ISO-8859-1, \
                         ISO-8859-15 or Windows-1252"
                    ),
                ));
            }
        },
    };
    match single {
        None => match std::str::from_utf8(body) {
            Ok(text) => Ok(Decoded { text: Cow::Borrowed(text), skipped, checkpoints: None }),
            Err(e) => Err(Problem::at(
                Location::Byte(skipped + e.valid_up_to() as u64),
                None,
                "the file is not valid UTF-8 (the XML declaration names no other encoding)",
            )),
        },
        Some(encoding) => {
            let mut text = String::with_capacity(body.len() + body.len() / 8);
            let mut checkpoints = Vec::with_capacity(body.len() / 256 + 1);
            for (i, &b) in body.iter().enumerate() {
                if (i as u64).is_multiple_of(CHECKPOINT_BYTES) {
                    checkpoints.push(text.len() as u64);
                }
                text.push(single_byte_char(encoding, b));
            }
            Ok(Decoded { text: Cow::Owned(text), skipped, checkpoints: Some(checkpoints) })
        }
    }
}

fn single_byte_char(encoding: SingleByte, b: u8) -> char {
    match encoding {
        SingleByte::Latin1 => char::from(b),
        SingleByte::Latin9 => crate::text::latin9(b),
        SingleByte::Windows1252 => crate::text::windows_1252(b),
    }
}

// ---------------------------------------------------------------------------------------------
// Element names and what they map to

macro_rules! tags {
    ($($name:ident),* $(,)?) => {
        /// The local names the reader cares about; everything else is `Other`.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[allow(clippy::upper_case_acronyms)]
        enum Tag {
            Other,
            $($name),*
        }

        impl Tag {
            /// Every tag but `Other`.
            #[cfg(test)]
            const ALL: &'static [Tag] = &[$(Tag::$name),*];

            fn name(self) -> &'static str {
                match self {
                    Tag::Other => "…",
                    $(Tag::$name => stringify!($name),)*
                }
            }
        }
    };
}

tags!(
    Document,
    BkToCstmrStmt,
    BkToCstmrAcctRpt,
    BkToCstmrDbtCdtNtfctn,
    GrpHdr,
    Stmt,
    Rpt,
    Ntfctn,
    Id,
    CreDtTm,
    FrToDt,
    FrDtTm,
    ToDtTm,
    FrDt,
    ToDt,
    Acct,
    IBAN,
    Othr,
    Ccy,
    Nm,
    Ownr,
    Pty,
    Svcr,
    FinInstnId,
    BIC,
    BICFI,
    Bal,
    Tp,
    CdOrPrtry,
    Cd,
    Prtry,
    Amt,
    CdtDbtInd,
    Dt,
    DtTm,
    Ntry,
    RvslInd,
    Sts,
    BookgDt,
    ValDt,
    AcctSvcrRef,
    BkTxCd,
    Domn,
    Fmly,
    SubFmlyCd,
    NtryDtls,
    TxDtls,
    Refs,
    EndToEndId,
    AmtDtls,
    TxAmt,
    RltdPties,
    Dbtr,
    DbtrAcct,
    UltmtDbtr,
    Cdtr,
    CdtrAcct,
    UltmtCdtr,
    RltdAgts,
    DbtrAgt,
    CdtrAgt,
    RmtInf,
    Ustrd,
    Strd,
    CdtrRefInf,
    Issr,
    Ref,
    RtrInf,
    Rsn,
    AddtlTxInf,
    AddtlNtryInf,
);

impl Tag {
    /// The tag of a local name. Names are first told apart by their first letter, so an
    /// element costs a few short comparisons, not one per known name.
    fn of(local: &str) -> Tag {
        use Tag as T;
        let Some(first) = local.as_bytes().first() else {
            return T::Other;
        };
        match first {
            b'A' => match local {
                "Acct" => T::Acct,
                "AcctSvcrRef" => T::AcctSvcrRef,
                "AddtlNtryInf" => T::AddtlNtryInf,
                "AddtlTxInf" => T::AddtlTxInf,
                "Amt" => T::Amt,
                "AmtDtls" => T::AmtDtls,
                _ => T::Other,
            },
            b'B' => match local {
                "BIC" => T::BIC,
                "BICFI" => T::BICFI,
                "Bal" => T::Bal,
                "BkToCstmrAcctRpt" => T::BkToCstmrAcctRpt,
                "BkToCstmrDbtCdtNtfctn" => T::BkToCstmrDbtCdtNtfctn,
                "BkToCstmrStmt" => T::BkToCstmrStmt,
                "BkTxCd" => T::BkTxCd,
                "BookgDt" => T::BookgDt,
                _ => T::Other,
            },
            b'C' => match local {
                "Ccy" => T::Ccy,
                "Cd" => T::Cd,
                "CdOrPrtry" => T::CdOrPrtry,
                "CdtDbtInd" => T::CdtDbtInd,
                "Cdtr" => T::Cdtr,
                "CdtrAcct" => T::CdtrAcct,
                "CdtrAgt" => T::CdtrAgt,
                "CdtrRefInf" => T::CdtrRefInf,
                "CreDtTm" => T::CreDtTm,
                _ => T::Other,
            },
            b'D' => match local {
                "Dbtr" => T::Dbtr,
                "DbtrAcct" => T::DbtrAcct,
                "DbtrAgt" => T::DbtrAgt,
                "Document" => T::Document,
                "Domn" => T::Domn,
                "Dt" => T::Dt,
                "DtTm" => T::DtTm,
                _ => T::Other,
            },
            b'E' if local == "EndToEndId" => T::EndToEndId,
            b'F' => match local {
                "FinInstnId" => T::FinInstnId,
                "Fmly" => T::Fmly,
                "FrDt" => T::FrDt,
                "FrDtTm" => T::FrDtTm,
                "FrToDt" => T::FrToDt,
                _ => T::Other,
            },
            b'G' if local == "GrpHdr" => T::GrpHdr,
            b'I' => match local {
                "IBAN" => T::IBAN,
                "Id" => T::Id,
                "Issr" => T::Issr,
                _ => T::Other,
            },
            b'N' => match local {
                "Nm" => T::Nm,
                "Ntfctn" => T::Ntfctn,
                "Ntry" => T::Ntry,
                "NtryDtls" => T::NtryDtls,
                _ => T::Other,
            },
            b'O' => match local {
                "Othr" => T::Othr,
                "Ownr" => T::Ownr,
                _ => T::Other,
            },
            b'P' => match local {
                "Prtry" => T::Prtry,
                "Pty" => T::Pty,
                _ => T::Other,
            },
            b'R' => match local {
                "Ref" => T::Ref,
                "Refs" => T::Refs,
                "RltdAgts" => T::RltdAgts,
                "RltdPties" => T::RltdPties,
                "RmtInf" => T::RmtInf,
                "Rpt" => T::Rpt,
                "Rsn" => T::Rsn,
                "RtrInf" => T::RtrInf,
                "RvslInd" => T::RvslInd,
                _ => T::Other,
            },
            b'S' => match local {
                "Stmt" => T::Stmt,
                "Strd" => T::Strd,
                "Sts" => T::Sts,
                "SubFmlyCd" => T::SubFmlyCd,
                "Svcr" => T::Svcr,
                _ => T::Other,
            },
            b'T' => match local {
                "ToDt" => T::ToDt,
                "ToDtTm" => T::ToDtTm,
                "Tp" => T::Tp,
                "TxAmt" => T::TxAmt,
                "TxDtls" => T::TxDtls,
                _ => T::Other,
            },
            b'U' => match local {
                "UltmtCdtr" => T::UltmtCdtr,
                "UltmtDbtr" => T::UltmtDbtr,
                "Ustrd" => T::Ustrd,
                _ => T::Other,
            },
            b'V' if local == "ValDt" => T::ValDt,
            _ => T::Other,
        }
    }
}

/// The two parties of a transaction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Debtor,
    Creditor,
}

/// A leaf element whose text the reader keeps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    GroupCreated,
    RecordId,
    RecordCreated,
    RecordFrom,
    RecordTo,
    AccountIban,
    AccountOtherId,
    AccountCurrency,
    AccountOwnerName,
    AccountName,
    AccountBic,
    BalanceCode,
    BalanceAmount,
    BalanceSign,
    BalanceDate,
    EntryAmount,
    EntrySign,
    EntryReversal,
    EntryStatus,
    EntryBookingDate,
    EntryValueDate,
    EntryBankReference,
    EntryCode(CodePart),
    EntryInfo,
    TxEndToEnd,
    TxBankReference,
    TxAmount,
    TxAmountDetails,
    TxSign,
    TxCode(CodePart),
    PartyName(Side),
    UltimateName(Side),
    PartyIban(Side),
    PartyOtherId(Side),
    AgentBic(Side),
    Unstructured,
    CreditorRefIssuer,
    CreditorRef,
    ReturnCode,
    ReturnProprietary,
    TxInfo,
}

/// A part of a bank transaction code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CodePart {
    Domain,
    Family,
    SubFamily,
    Proprietary,
}

/// An element that opens something the reader builds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Open {
    Record,
    Balance,
    Entry,
    Tx,
    CreditorRef,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Skip,
    Open(Open),
    Field(Field),
}

/// What the element at the end of `path` (from the root `Document`) is.
fn classify(path: &[Tag], record: Tag) -> Action {
    use Tag as T;
    match path {
        [T::Document, _, T::GrpHdr, T::CreDtTm] => Action::Field(Field::GroupCreated),
        [T::Document, _, rec, rest @ ..] if *rec == record => classify_record(rest),
        _ => Action::Skip,
    }
}

fn classify_record(rest: &[Tag]) -> Action {
    use Tag as T;
    let field = match rest {
        [] => return Action::Open(Open::Record),
        [T::Id] => Field::RecordId,
        [T::CreDtTm] => Field::RecordCreated,
        [T::FrToDt, T::FrDtTm | T::FrDt] => Field::RecordFrom,
        [T::FrToDt, T::ToDtTm | T::ToDt] => Field::RecordTo,
        [T::Acct, T::Id, T::IBAN] => Field::AccountIban,
        [T::Acct, T::Id, T::Othr, T::Id] => Field::AccountOtherId,
        [T::Acct, T::Ccy] => Field::AccountCurrency,
        [T::Acct, T::Ownr, T::Nm] | [T::Acct, T::Ownr, T::Pty, T::Nm] => Field::AccountOwnerName,
        [T::Acct, T::Nm] => Field::AccountName,
        [T::Acct, T::Svcr, T::FinInstnId, T::BIC | T::BICFI] => Field::AccountBic,
        [T::Bal] => return Action::Open(Open::Balance),
        [T::Bal, T::Tp, T::CdOrPrtry, T::Cd] => Field::BalanceCode,
        [T::Bal, T::Amt] => Field::BalanceAmount,
        [T::Bal, T::CdtDbtInd] => Field::BalanceSign,
        [T::Bal, T::Dt, T::Dt | T::DtTm] => Field::BalanceDate,
        [T::Ntry] => return Action::Open(Open::Entry),
        [T::Ntry, entry @ ..] => return classify_entry(entry),
        _ => return Action::Skip,
    };
    Action::Field(field)
}

fn classify_entry(rest: &[Tag]) -> Action {
    use Tag as T;
    let field = match rest {
        [T::Amt] => Field::EntryAmount,
        [T::CdtDbtInd] => Field::EntrySign,
        [T::RvslInd] => Field::EntryReversal,
        [T::Sts] | [T::Sts, T::Cd] => Field::EntryStatus,
        [T::BookgDt, T::Dt | T::DtTm] => Field::EntryBookingDate,
        [T::ValDt, T::Dt | T::DtTm] => Field::EntryValueDate,
        [T::AcctSvcrRef] => Field::EntryBankReference,
        [T::BkTxCd, code @ ..] => match code_part(code) {
            Some(part) => Field::EntryCode(part),
            None => return Action::Skip,
        },
        [T::AddtlNtryInf] => Field::EntryInfo,
        [T::NtryDtls, T::TxDtls] => return Action::Open(Open::Tx),
        [T::NtryDtls, T::TxDtls, tx @ ..] => return classify_tx(tx),
        _ => return Action::Skip,
    };
    Action::Field(field)
}

fn code_part(rest: &[Tag]) -> Option<CodePart> {
    use Tag as T;
    match rest {
        [T::Domn, T::Cd] => Some(CodePart::Domain),
        [T::Domn, T::Fmly, T::Cd] => Some(CodePart::Family),
        [T::Domn, T::Fmly, T::SubFmlyCd] => Some(CodePart::SubFamily),
        [T::Prtry, T::Cd] => Some(CodePart::Proprietary),
        _ => None,
    }
}

fn classify_tx(rest: &[Tag]) -> Action {
    use Tag as T;
    let field = match rest {
        [T::Refs, T::EndToEndId] => Field::TxEndToEnd,
        [T::Refs, T::AcctSvcrRef] => Field::TxBankReference,
        [T::Amt] => Field::TxAmount,
        [T::AmtDtls, T::TxAmt, T::Amt] => Field::TxAmountDetails,
        [T::CdtDbtInd] => Field::TxSign,
        [T::BkTxCd, code @ ..] => match code_part(code) {
            Some(part) => Field::TxCode(part),
            None => return Action::Skip,
        },
        [T::RltdPties, party @ ..] => match party {
            [T::Dbtr, T::Nm] | [T::Dbtr, T::Pty, T::Nm] => Field::PartyName(Side::Debtor),
            [T::Cdtr, T::Nm] | [T::Cdtr, T::Pty, T::Nm] => Field::PartyName(Side::Creditor),
            [T::UltmtDbtr, T::Nm] | [T::UltmtDbtr, T::Pty, T::Nm] => {
                Field::UltimateName(Side::Debtor)
            }
            [T::UltmtCdtr, T::Nm] | [T::UltmtCdtr, T::Pty, T::Nm] => {
                Field::UltimateName(Side::Creditor)
            }
            [T::DbtrAcct, T::Id, T::IBAN] => Field::PartyIban(Side::Debtor),
            [T::CdtrAcct, T::Id, T::IBAN] => Field::PartyIban(Side::Creditor),
            [T::DbtrAcct, T::Id, T::Othr, T::Id] => Field::PartyOtherId(Side::Debtor),
            [T::CdtrAcct, T::Id, T::Othr, T::Id] => Field::PartyOtherId(Side::Creditor),
            _ => return Action::Skip,
        },
        [T::RltdAgts, T::DbtrAgt, T::FinInstnId, T::BIC | T::BICFI] => {
            Field::AgentBic(Side::Debtor)
        }
        [T::RltdAgts, T::CdtrAgt, T::FinInstnId, T::BIC | T::BICFI] => {
            Field::AgentBic(Side::Creditor)
        }
        [T::RmtInf, T::Ustrd] => Field::Unstructured,
        [T::RmtInf, T::Strd, T::CdtrRefInf] => return Action::Open(Open::CreditorRef),
        [T::RmtInf, T::Strd, T::CdtrRefInf, T::Tp, T::Issr] => Field::CreditorRefIssuer,
        [T::RmtInf, T::Strd, T::CdtrRefInf, T::Ref] => Field::CreditorRef,
        [T::RtrInf, T::Rsn, T::Cd] => Field::ReturnCode,
        [T::RtrInf, T::Rsn, T::Prtry] => Field::ReturnProprietary,
        [T::AddtlTxInf] => Field::TxInfo,
        _ => return Action::Skip,
    };
    Action::Field(field)
}

fn is_amount(field: Field) -> bool {
    matches!(
        field,
        Field::BalanceAmount | Field::EntryAmount | Field::TxAmount | Field::TxAmountDetails
    )
}

// ---------------------------------------------------------------------------------------------
// Builders: what has been read of the open elements

/// The kind of message, from the root namespace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Report,
    Statement,
    Notification,
}

impl Kind {
    fn message_tag(self) -> Tag {
        match self {
            Kind::Report => Tag::BkToCstmrAcctRpt,
            Kind::Statement => Tag::BkToCstmrStmt,
            Kind::Notification => Tag::BkToCstmrDbtCdtNtfctn,
        }
    }

    fn record_tag(self) -> Tag {
        match self {
            Kind::Report => Tag::Rpt,
            Kind::Statement => Tag::Stmt,
            Kind::Notification => Tag::Ntfctn,
        }
    }
}

#[derive(Default)]
struct RecordB {
    location: u64,
    id: Option<String>,
    created: Option<Date>,
    from: Option<Date>,
    to: Option<Date>,
    iban: Option<String>,
    other_id: Option<String>,
    currency: Option<Currency>,
    currency_broken: bool,
    owner: Option<String>,
    name: Option<String>,
    bic: Option<String>,
    opening: Option<Balance>,
    previous_closing: Option<Balance>,
    closing: Option<Balance>,
    other_balance_currency: Option<Currency>,
    unsigned_balances: usize,
    entries: Vec<Entry>,
    /// Entries without `BookgDt` and `ValDt` (their date is filled in at the end).
    undated: Vec<usize>,
    /// Entries dated by their `ValDt` for want of `BookgDt`.
    value_dated: usize,
    /// Entries left out because their status is not `BOOK`, by status.
    not_booked: Vec<(String, usize)>,
}

#[derive(Default)]
struct BalanceB {
    location: u64,
    code: Option<String>,
    amount: Option<(String, Option<CurrencyAttr>, u64)>,
    sign: Option<(String, u64)>,
    date: Option<(String, bool, u64)>,
}

/// A bank transaction code being read: the domain code grows into `DOMN/FMLY/SUBFMLY` as
/// the schema's order brings its parts.
#[derive(Default)]
struct CodeB {
    domain: Option<String>,
    proprietary: Option<String>,
}

impl CodeB {
    fn set(&mut self, part: CodePart, text: &str) {
        if text.is_empty() {
            return;
        }
        match part {
            CodePart::Domain => self.domain = Some(text.to_string()),
            CodePart::Family | CodePart::SubFamily => {
                if let Some(code) = &mut self.domain {
                    code.push('/');
                    code.push_str(text);
                }
            }
            CodePart::Proprietary => self.proprietary = Some(text.to_string()),
        }
    }

    fn take(&mut self) -> Option<String> {
        self.domain.take().or(self.proprietary.take())
    }
}

/// The `Ccy` attribute of an amount: a currency, or why it is none.
type CurrencyAttr = Result<Currency, String>;

#[derive(Default)]
struct EntryB {
    location: u64,
    amount: Option<Money>,
    amount_reported: bool,
    credit: Option<bool>,
    sign_reported: bool,
    reversal: bool,
    /// The status when it is not `BOOK`.
    status: Option<String>,
    booking: Option<Date>,
    value: Option<Date>,
    bank_reference: Option<String>,
    code: CodeB,
    info: Option<String>,
    txs: Vec<TxB>,
}

#[derive(Default, Clone, PartialEq, Eq)]
struct PartyB {
    name: Option<String>,
    ultimate: Option<String>,
    iban: Option<String>,
    other_id: Option<String>,
    bic: Option<String>,
}

impl PartyB {
    fn account(&self) -> Option<&String> {
        self.iban.as_ref().or(self.other_id.as_ref())
    }

    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.ultimate.is_none()
            && self.account().is_none()
            && self.bic.is_none()
    }
}

#[derive(Default)]
struct CreditorRefB {
    issuer: Option<String>,
    reference: Option<String>,
}

#[derive(Default)]
struct TxB {
    location: u64,
    end_to_end: Option<String>,
    bank_reference: Option<String>,
    amount: Option<Result<Money, String>>,
    amount_details: Option<Result<Money, String>>,
    credit: Option<bool>,
    code: CodeB,
    debtor: PartyB,
    creditor: PartyB,
    unstructured: String,
    creditor_refs: Vec<CreditorRefB>,
    return_code: Option<String>,
    info: Option<String>,
}

impl TxB {
    fn party(&mut self, side: Side) -> &mut PartyB {
        match side {
            Side::Debtor => &mut self.debtor,
            Side::Creditor => &mut self.creditor,
        }
    }

    /// The transaction's own amount, when it has a readable one.
    fn own_amount(&self) -> Option<Money> {
        match (&self.amount, &self.amount_details) {
            (Some(Ok(m)), _) => Some(*m),
            (None, Some(Ok(m))) => Some(*m),
            _ => None,
        }
    }
}

/// What an entry says beyond its amount and dates, from one or more `TxDtls`; `code` and
/// `bank_reference` are the transaction's own, which the entry's override.
#[derive(Default, Clone, PartialEq, Eq)]
struct Details {
    counterparty: PartyB,
    reference: Option<StructuredReference>,
    remittance: String,
    end_to_end: Option<String>,
    return_reason: Option<String>,
    code: Option<String>,
    bank_reference: Option<String>,
    reversal: bool,
}

// ---------------------------------------------------------------------------------------------
// The reader

struct Parser<'a> {
    entries_max: usize,
    entries_total: usize,
    kind: Option<Kind>,
    message: Option<String>,
    stack: Vec<Tag>,
    root_closed: bool,
    /// The leaf being read: what it maps to and where it starts.
    field: Option<(Field, u64)>,
    /// The leaf's text while it is one piece of the input (the usual case: no copy).
    piece: Option<&'a str>,
    /// The leaf's text once it has several pieces (entities, CDATA), when `owned`.
    text: String,
    owned: bool,
    currency_attr: Option<CurrencyAttr>,
    group_created: Option<Date>,
    record: Option<RecordB>,
    record_depth: usize,
    balance: Option<BalanceB>,
    balance_depth: usize,
    entry: Option<EntryB>,
    entry_depth: usize,
    tx_depth: usize,
    creditor_ref_depth: usize,
    /// The emptied transaction list of the last entry, reused by the next.
    tx_pool: Vec<TxB>,
    statements: Vec<Statement>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Set when reading cannot go on (XML syntax error, limit reached).
    stopped: bool,
}

impl<'a> Parser<'a> {
    fn new(entries_max: usize) -> Parser<'a> {
        Parser {
            entries_max,
            entries_total: 0,
            kind: None,
            message: None,
            stack: Vec::with_capacity(DEPTH_MAX),
            root_closed: false,
            field: None,
            piece: None,
            text: String::with_capacity(256),
            owned: false,
            currency_attr: None,
            group_created: None,
            record: None,
            record_depth: 0,
            balance: None,
            balance_depth: 0,
            entry: None,
            entry_depth: 0,
            tx_depth: 0,
            creditor_ref_depth: 0,
            tx_pool: Vec::new(),
            statements: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            stopped: false,
        }
    }

    fn run(&mut self, text: &'a str) {
        let mut reader = Reader::from_str(text);
        loop {
            let pos = reader.buffer_position();
            match reader.read_event() {
                Ok(Event::Start(e)) => self.start(&e, pos),
                Ok(Event::Empty(e)) => {
                    self.start(&e, pos);
                    if !self.stopped {
                        self.end();
                    }
                }
                Ok(Event::End(_)) => self.end(),
                Ok(Event::Text(e)) => {
                    if self.field.is_some() {
                        self.push_text(e.into_inner());
                    } else if self.stack.is_empty() && !e.trim().is_empty() {
                        self.fatal(pos, None, "text outside the root element: this is not XML");
                    }
                }
                Ok(Event::CData(e)) => {
                    if self.field.is_some() {
                        self.push_text(e.into_inner());
                    }
                }
                Ok(Event::GeneralRef(e)) => self.entity(&e, pos),
                Ok(Event::Eof) => {
                    if let Some(&open) = self.stack.last() {
                        let at = reader.buffer_position();
                        self.fatal(
                            at,
                            Some(self.path()),
                            format!("the file ends inside <{}>: it is truncated", open.name()),
                        );
                    } else if !self.root_closed && self.problems.is_empty() {
                        self.fatal(0, None, "the file holds no XML element");
                    }
                    break;
                }
                Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_)) => {}
                Err(error) => {
                    let at = reader.error_position();
                    let path = (!self.stack.is_empty()).then(|| self.path());
                    let ended = reader.buffer_position() >= text.len() as u64;
                    let hint = if ended { " (the file ends there: it is truncated)" } else { "" };
                    self.fatal(at, path, format!("not well-formed XML: {error}{hint}"));
                }
            }
            if self.stopped {
                break;
            }
        }
    }

    // ----- problems

    fn path(&self) -> String {
        let mut path = String::new();
        for tag in self.stack.iter().skip(2) {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(tag.name());
        }
        if path.is_empty() { self.stack.last().map_or("", |t| t.name()).to_string() } else { path }
    }

    fn path_with(&self, child: &str) -> String {
        let mut path = self.path();
        path.push('/');
        path.push_str(child);
        path
    }

    fn problem(&mut self, at: u64, field: Option<String>, reason: impl Into<String>) {
        if self.problems.len() >= PROBLEMS_MAX {
            self.problems.push(Problem::at(
                Location::Byte(at),
                None,
                format!("too many problems: stopped after {PROBLEMS_MAX}; fix these first"),
            ));
            self.stopped = true;
            return;
        }
        self.problems.push(Problem::at(Location::Byte(at), field, reason));
    }

    fn fatal(&mut self, at: u64, field: Option<String>, reason: impl Into<String>) {
        if !self.stopped {
            self.problems.push(Problem::at(Location::Byte(at), field, reason));
        }
        self.stopped = true;
    }

    fn warn(&mut self, at: u64, field: Option<String>, reason: impl Into<String>) {
        if self.warnings.len() < PROBLEMS_MAX {
            self.warnings.push(Problem::at(Location::Byte(at), field, reason));
        }
    }

    // ----- events

    /// Adds a piece of the current leaf's text; a single piece stays borrowed.
    fn push_text(&mut self, piece: Cow<'a, str>) {
        match (self.owned, self.piece, piece) {
            (false, None, Cow::Borrowed(p)) => self.piece = Some(p),
            (_, _, piece) => {
                self.own_text();
                self.text.push_str(&piece);
            }
        }
    }

    /// Moves the current leaf's borrowed text into `text`, to append to it.
    fn own_text(&mut self) {
        if !self.owned {
            self.text.clear();
            if let Some(p) = self.piece.take() {
                self.text.push_str(p);
            }
            self.owned = true;
        }
    }

    fn entity(&mut self, e: &quick_xml::events::BytesRef<'_>, pos: u64) {
        let name: &str = e;
        let resolved = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => e.resolve_char_ref().ok().flatten(),
        };
        match resolved {
            Some(c) => {
                if self.field.is_some() {
                    self.own_text();
                    self.text.push(c);
                }
            }
            None => {
                let path = (!self.stack.is_empty()).then(|| self.path());
                self.problem(
                    pos,
                    path,
                    format!(
                        "unknown entity or bad character reference &{name}; (camt files \
                         declare no entities)"
                    ),
                );
            }
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, pos: u64) {
        if self.stack.len() >= DEPTH_MAX {
            let path = self.path();
            self.fatal(
                pos,
                Some(path),
                format!("elements are nested deeper than {DEPTH_MAX} levels"),
            );
            return;
        }
        let local = e.local_name();
        let local: &str = local.as_ref();
        let tag = Tag::of(local);
        // A text field never has child elements: the text read so far is not its value.
        self.field = None;
        match self.stack.len() {
            0 => {
                if self.root_closed {
                    self.fatal(pos, None, "a second root element: this is not one XML document");
                    return;
                }
                self.root(e, tag, local, pos);
                if self.stopped {
                    return;
                }
            }
            1 => {
                let expected = self.kind.map(Kind::message_tag);
                if Some(tag) != expected {
                    let expected_name = expected.map_or("", Tag::name);
                    let message = self.message.clone().unwrap_or_default();
                    self.fatal(
                        pos,
                        Some(local.to_string()),
                        format!("a {message} message must hold <{expected_name}>, not <{local}>"),
                    );
                    return;
                }
            }
            _ => {}
        }
        self.stack.push(tag);
        // Inside a transaction or an entry only its own subtree decides.
        let action = if self.tx_depth > 0 {
            self.stack.get(self.tx_depth..).map_or(Action::Skip, classify_tx)
        } else if self.entry_depth > 0 {
            self.stack.get(self.entry_depth..).map_or(Action::Skip, classify_entry)
        } else {
            classify(&self.stack, self.kind.map_or(Tag::Other, Kind::record_tag))
        };
        match action {
            Action::Skip => {}
            Action::Field(field) => {
                self.piece = None;
                self.owned = false;
                if is_amount(field) {
                    self.currency_attr = currency_attribute(e);
                }
                self.field = Some((field, pos));
            }
            Action::Open(open) => self.open(open, pos),
        }
    }

    fn root(&mut self, e: &BytesStart<'_>, tag: Tag, local: &str, pos: u64) {
        if tag != Tag::Document {
            self.fatal(
                pos,
                Some(local.to_string()),
                format!(
                    "the root element is <{local}>, not <Document>: this is not an ISO 20022 \
                     camt message"
                ),
            );
            return;
        }
        let prefix = e.name().prefix().map(|p| {
            let p: &str = p.as_ref();
            p.to_string()
        });
        let wanted = match &prefix {
            Some(p) => format!("xmlns:{p}"),
            None => "xmlns".to_string(),
        };
        let mut namespace = None;
        for attr in e.attributes().with_checks(false).flatten() {
            let key: &str = attr.key.as_ref();
            if key == wanted {
                namespace = Some(attr.value.to_string());
            }
        }
        let Some(namespace) = namespace else {
            self.fatal(
                pos,
                Some("Document".into()),
                "<Document> has no namespace: the camt message and version cannot be told",
            );
            return;
        };
        match message_of_namespace(&namespace) {
            Some((kind, message, exact)) => {
                if !exact {
                    self.warn(
                        pos,
                        Some("Document".into()),
                        format!(
                            "the namespace {namespace:?} is not the ISO 20022 one; read as \
                             {message}"
                        ),
                    );
                }
                self.kind = Some(kind);
                self.message = Some(message);
            }
            None => self.fatal(
                pos,
                Some("Document".into()),
                format!(
                    "the namespace {namespace:?} is not a camt.052, camt.053 or camt.054 \
                     message (expected {ISO_NAMESPACE}camt.05x.001.NN)"
                ),
            ),
        }
    }

    fn open(&mut self, open: Open, pos: u64) {
        let depth = self.stack.len();
        match open {
            Open::Record => {
                self.record = Some(RecordB { location: pos, ..RecordB::default() });
                self.record_depth = depth;
            }
            Open::Balance => {
                self.balance = Some(BalanceB { location: pos, ..BalanceB::default() });
                self.balance_depth = depth;
            }
            Open::Entry => {
                let txs = std::mem::take(&mut self.tx_pool);
                self.entry = Some(EntryB { location: pos, txs, ..EntryB::default() });
                self.entry_depth = depth;
            }
            Open::Tx => {
                if let Some(entry) = &mut self.entry {
                    entry.txs.push(TxB { location: pos, ..TxB::default() });
                    self.tx_depth = depth;
                }
            }
            Open::CreditorRef => {
                if let Some(tx) = self.entry.as_mut().and_then(|e| e.txs.last_mut()) {
                    tx.creditor_refs.push(CreditorRefB::default());
                    self.creditor_ref_depth = depth;
                }
            }
        }
    }

    fn end(&mut self) {
        if let Some((field, at)) = self.field.take() {
            if self.owned {
                let text = std::mem::take(&mut self.text);
                self.apply(field, at, &text);
                self.text = text;
            } else {
                let piece = self.piece.take().unwrap_or_default();
                self.apply(field, at, piece);
            }
        }
        let depth = self.stack.len();
        if depth == self.creditor_ref_depth {
            self.creditor_ref_depth = 0;
        } else if depth == self.tx_depth {
            self.tx_depth = 0;
        } else if depth == self.entry_depth {
            self.entry_depth = 0;
            if let Some(entry) = self.entry.take() {
                self.finish_entry(entry);
            }
        } else if depth == self.balance_depth {
            self.balance_depth = 0;
            if let Some(balance) = self.balance.take() {
                self.finish_balance(balance);
            }
        } else if depth == self.record_depth {
            self.record_depth = 0;
            if let Some(record) = self.record.take() {
                self.finish_record(record);
            }
        }
        self.stack.pop();
        if self.stack.is_empty() {
            self.root_closed = true;
        }
    }

    // ----- leaf values

    fn apply(&mut self, field: Field, at: u64, raw: &str) {
        let text = raw.trim();
        let value = || (!text.is_empty()).then(|| text.to_string());
        match field {
            Field::GroupCreated => self.group_created = self.date_of(text, true, at),
            Field::RecordId
            | Field::RecordCreated
            | Field::RecordFrom
            | Field::RecordTo
            | Field::AccountIban
            | Field::AccountOtherId
            | Field::AccountCurrency
            | Field::AccountOwnerName
            | Field::AccountName
            | Field::AccountBic => self.apply_record(field, at, text),
            Field::BalanceCode => {
                if let Some(b) = &mut self.balance {
                    b.code = value();
                }
            }
            Field::BalanceAmount => {
                let currency = self.currency_attr.take();
                if let Some(b) = &mut self.balance {
                    b.amount = Some((text.to_string(), currency, at));
                }
            }
            Field::BalanceSign => {
                if let Some(b) = &mut self.balance {
                    b.sign = Some((text.to_string(), at));
                }
            }
            Field::BalanceDate => {
                let is_time = self.stack.last() == Some(&Tag::DtTm);
                if let Some(b) = &mut self.balance {
                    b.date = Some((text.to_string(), is_time, at));
                }
            }
            Field::EntryAmount => {
                let currency = self.currency_attr.take();
                match amount_of(text, currency) {
                    Ok(money) => {
                        if let Some(e) = &mut self.entry {
                            e.amount = Some(money);
                        }
                    }
                    Err(reason) => {
                        let path = self.path();
                        self.problem(at, Some(path), reason);
                        if let Some(e) = &mut self.entry {
                            e.amount_reported = true;
                        }
                    }
                }
            }
            Field::EntrySign => match sign_of(text) {
                Some(credit) => {
                    if let Some(e) = &mut self.entry {
                        e.credit = Some(credit);
                    }
                }
                None => {
                    let path = self.path();
                    self.problem(at, Some(path), sign_reason(text));
                    if let Some(e) = &mut self.entry {
                        e.sign_reported = true;
                    }
                }
            },
            Field::EntryReversal => match text {
                "true" | "1" => {
                    if let Some(e) = &mut self.entry {
                        e.reversal = true;
                    }
                }
                "false" | "0" => {}
                _ => {
                    let path = self.path();
                    self.problem(
                        at,
                        Some(path),
                        format!("{text:?} is not a reversal indicator: expected true or false"),
                    );
                }
            },
            Field::EntryStatus => {
                if let Some(e) = &mut self.entry
                    && text != "BOOK"
                {
                    e.status = Some(text.to_string());
                }
            }
            Field::EntryBookingDate | Field::EntryValueDate => {
                let is_time = self.stack.last() == Some(&Tag::DtTm);
                let date = self.date_of(text, is_time, at);
                if let Some(e) = &mut self.entry {
                    if field == Field::EntryBookingDate {
                        e.booking = date;
                    } else {
                        e.value = date;
                    }
                }
            }
            Field::EntryBankReference => {
                if let Some(e) = &mut self.entry {
                    e.bank_reference = value();
                }
            }
            Field::EntryCode(part) => {
                if let Some(e) = &mut self.entry {
                    e.code.set(part, text);
                }
            }
            Field::EntryInfo => {
                if let Some(e) = &mut self.entry {
                    e.info = value();
                }
            }
            _ => self.apply_tx(field, text),
        }
    }

    fn apply_record(&mut self, field: Field, at: u64, text: &str) {
        let value = (!text.is_empty()).then(|| text.to_string());
        let date = match field {
            Field::RecordCreated | Field::RecordFrom | Field::RecordTo => {
                let is_time =
                    matches!(self.stack.last(), Some(Tag::CreDtTm | Tag::FrDtTm | Tag::ToDtTm));
                self.date_of(text, is_time, at)
            }
            _ => None,
        };
        let currency = if field == Field::AccountCurrency {
            match Currency::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    let path = self.path();
                    self.problem(at, Some(path), format!("{text:?}: {e}"));
                    if let Some(r) = &mut self.record {
                        r.currency_broken = true;
                    }
                    None
                }
            }
        } else {
            None
        };
        let Some(r) = &mut self.record else {
            return;
        };
        match field {
            Field::RecordId => r.id = value,
            Field::RecordCreated => r.created = date,
            Field::RecordFrom => r.from = date,
            Field::RecordTo => r.to = date,
            Field::AccountIban => r.iban = value.map(|v| electronic(&v)),
            Field::AccountOtherId => r.other_id = value,
            Field::AccountCurrency => r.currency = currency,
            Field::AccountOwnerName => r.owner = value,
            Field::AccountName => r.name = value,
            Field::AccountBic => r.bic = value,
            _ => {}
        }
    }

    fn apply_tx(&mut self, field: Field, text: &str) {
        let value = || (!text.is_empty()).then(|| text.to_string());
        let currency = if matches!(field, Field::TxAmount | Field::TxAmountDetails) {
            self.currency_attr.take()
        } else {
            None
        };
        let Some(tx) = self.entry.as_mut().and_then(|e| e.txs.last_mut()) else {
            return;
        };
        match field {
            Field::TxEndToEnd if !text.eq_ignore_ascii_case("NOTPROVIDED") => {
                tx.end_to_end = value();
            }
            Field::TxBankReference => tx.bank_reference = value(),
            Field::TxAmount => tx.amount = Some(amount_of(text, currency)),
            Field::TxAmountDetails => tx.amount_details = Some(amount_of(text, currency)),
            Field::TxSign => tx.credit = sign_of(text),
            Field::TxCode(part) => tx.code.set(part, text),
            Field::PartyName(side) => tx.party(side).name = value(),
            Field::UltimateName(side) => tx.party(side).ultimate = value(),
            Field::PartyIban(side) => {
                tx.party(side).iban = (!text.is_empty()).then(|| electronic(text));
            }
            Field::PartyOtherId(side) => tx.party(side).other_id = value(),
            Field::AgentBic(side) => tx.party(side).bic = value(),
            Field::Unstructured
                if !text.is_empty()
                    && !text.eq_ignore_ascii_case("NOTPROVIDED")
                    && tx.unstructured.len() < MAX_REMITTANCE_CHARS * 4 =>
            {
                if !tx.unstructured.is_empty() {
                    tx.unstructured.push(' ');
                }
                tx.unstructured.push_str(text);
            }
            Field::CreditorRefIssuer | Field::CreditorRef => {
                if let Some(r) = tx.creditor_refs.last_mut() {
                    if field == Field::CreditorRef {
                        r.reference = value();
                    } else {
                        r.issuer = value();
                    }
                }
            }
            Field::ReturnCode => tx.return_code = value(),
            Field::ReturnProprietary if tx.return_code.is_none() => tx.return_code = value(),
            Field::TxInfo => tx.info = value(),
            _ => {}
        }
    }

    /// A date from `Dt` (`YYYY-MM-DD`) or `DtTm` (`YYYY-MM-DDThh:mm:ss…`: the civil date as
    /// written, whatever the offset); a malformed one is a problem.
    fn date_of(&mut self, text: &str, is_time: bool, at: u64) -> Option<Date> {
        match date_text(text, is_time) {
            Ok(date) => Some(date),
            Err(reason) => {
                let path = self.path();
                self.problem(at, Some(path), reason);
                None
            }
        }
    }

    // ----- closing builders

    fn finish_balance(&mut self, b: BalanceB) {
        let Some(code) = b.code.as_deref() else {
            return;
        };
        let kept = matches!(code, "OPBD" | "PRCD" | "CLBD");
        let Some((amount_text, currency, amount_at)) = &b.amount else {
            if kept {
                let path = self.path_with("Amt");
                self.problem(b.location, Some(path), format!("the {code} balance has no Amt"));
            }
            return;
        };
        if !kept {
            // Only the currency is of use: it may be the statement's only hint.
            if let Some(Ok(c)) = currency
                && let Some(r) = &mut self.record
                && r.other_balance_currency.is_none()
            {
                r.other_balance_currency = Some(*c);
            }
            return;
        }
        let amount = match amount_of(amount_text, currency.clone()) {
            Ok(m) => Some(m),
            Err(reason) => {
                let path = self.path_with("Amt");
                self.problem(*amount_at, Some(path), reason);
                None
            }
        };
        let credit = match &b.sign {
            Some((text, at)) => match sign_of(text) {
                Some(credit) => Some(credit),
                None => {
                    let path = self.path_with("CdtDbtInd");
                    self.problem(*at, Some(path), sign_reason(text));
                    None
                }
            },
            None => {
                if let Some(r) = &mut self.record {
                    r.unsigned_balances += 1;
                }
                Some(true)
            }
        };
        let date = match &b.date {
            Some((text, is_time, at)) => {
                let (text, is_time, at) = (text.clone(), *is_time, *at);
                match date_text(&text, is_time) {
                    Ok(d) => Some(d),
                    Err(reason) => {
                        let path = self.path_with("Dt");
                        self.problem(at, Some(path), reason);
                        None
                    }
                }
            }
            None => None,
        };
        let (Some(amount), Some(credit)) = (amount, credit) else {
            return;
        };
        let amount =
            if credit { amount } else { Money::from_minor(-amount.minor(), amount.currency()) };
        let balance = Balance { amount, date };
        if let Some(r) = &mut self.record {
            let slot = match code {
                "OPBD" => &mut r.opening,
                "PRCD" => &mut r.previous_closing,
                _ => &mut r.closing,
            };
            if slot.is_none() {
                *slot = Some(balance);
            }
        }
    }

    fn finish_entry(&mut self, mut entry: EntryB) {
        self.book_entry(&mut entry);
        // The emptied transaction list serves the next entry.
        entry.txs.clear();
        self.tx_pool = entry.txs;
    }

    fn book_entry(&mut self, entry: &mut EntryB) {
        let mut broken = false;
        if entry.amount.is_none() {
            if !entry.amount_reported {
                let path = self.path_with("Amt");
                self.problem(entry.location, Some(path), "the entry has no Amt");
            }
            broken = true;
        }
        if entry.credit.is_none() {
            if !entry.sign_reported {
                let path = self.path_with("CdtDbtInd");
                self.problem(
                    entry.location,
                    Some(path),
                    "the entry has no CdtDbtInd (CRDT or DBIT)",
                );
            }
            broken = true;
        }
        let (Some(amount), Some(credit)) = (entry.amount, entry.credit) else {
            return;
        };
        if broken || self.record.is_none() {
            return;
        }
        if let Some(status) = entry.status.take() {
            if let Some(r) = &mut self.record {
                // Statuses are a handful of codes; a file inventing more is counted together.
                let known = r.not_booked.iter().any(|(s, _)| *s == status);
                let status = if known || r.not_booked.len() < NOT_BOOKED_KINDS_MAX {
                    status
                } else {
                    "another code".to_string()
                };
                match r.not_booked.iter_mut().find(|(s, _)| *s == status) {
                    Some((_, n)) => *n += 1,
                    None => r.not_booked.push((status, 1)),
                }
            }
            return;
        }
        let signed = signed(amount, credit);
        let parts = split_batch(entry, signed);
        if parts.is_none() && entry.txs.len() > 1 {
            let reason = if entry.txs.iter().any(|t| t.own_amount().is_some()) {
                "the amounts of its TxDtls do not add up to the entry's amount"
            } else {
                "its TxDtls carry no amounts"
            };
            let path = self.path();
            self.warn(
                entry.location,
                Some(path),
                format!(
                    "an entry with {} TxDtls is kept as one movement: {reason}",
                    entry.txs.len()
                ),
            );
        }
        let Some(r) = &mut self.record else {
            return;
        };
        let before = r.entries.len();
        let own = r.iban.as_deref().or(r.other_id.as_deref());
        match parts {
            Some(parts) => split_entries(entry, &parts, own, &mut r.entries),
            None => r.entries.push(whole_entry(entry, signed, own)),
        }
        let added = r.entries.len() - before;
        if entry.booking.is_none() {
            if entry.value.is_none() {
                r.undated.extend(before..before + added);
            } else {
                r.value_dated += added;
            }
        }
        self.entries_total += added;
        if self.entries_total > self.entries_max {
            let path = self.path();
            self.fatal(
                entry.location,
                Some(path),
                format!("the file has more than {} entries", self.entries_max),
            );
        }
    }

    fn finish_record(&mut self, r: RecordB) {
        let tag = self.stack.last().map_or("Stmt", |t| t.name());
        let account = match (r.iban.clone(), r.other_id.clone()) {
            (Some(iban), _) => Some(iban),
            (None, Some(other)) => Some(other),
            (None, None) => {
                self.problem(
                    r.location,
                    Some(format!("{tag}/Acct/Id")),
                    "the account has neither an IBAN nor Othr/Id",
                );
                None
            }
        };
        let currency = r
            .currency
            .or(r.opening.map(|b| b.amount.currency()))
            .or(r.previous_closing.map(|b| b.amount.currency()))
            .or(r.closing.map(|b| b.amount.currency()))
            .or(r.entries.first().map(|e| e.amount.currency()))
            .or(r.other_balance_currency);
        if currency.is_none() && !r.currency_broken {
            self.problem(
                r.location,
                Some(format!("{tag}/Acct/Ccy")),
                "the account's currency is not given: no Acct/Ccy, balance or entry names one",
            );
        }
        let (Some(account), Some(currency)) = (account, currency) else {
            return;
        };
        let opening = r.opening.or(r.previous_closing);
        let closing = r.closing;
        let mut entries = r.entries;
        if !r.undated.is_empty() {
            let fallback =
                r.to.map(|d| (d, "the statement's FrToDt/ToDtTm"))
                    .or(closing.and_then(|b| b.date).map(|d| (d, "the closing balance (CLBD)")))
                    .or(r.created.map(|d| (d, "the statement's CreDtTm")))
                    .or(self.group_created.map(|d| (d, "the group header's CreDtTm")));
            match fallback {
                Some((date, source)) => {
                    for &i in &r.undated {
                        if let Some(e) = entries.get_mut(i) {
                            e.booking_date = date;
                        }
                    }
                    self.warn(
                        r.location,
                        Some(format!("{tag}/Ntry/BookgDt")),
                        format!(
                            "{} neither BookgDt nor ValDt; booked on {date}, taken from {source}",
                            entries_have(r.undated.len())
                        ),
                    );
                }
                None => {
                    let first = r.undated.first().and_then(|&i| entries.get(i));
                    let at = first.map_or(r.location, |e| match e.location {
                        Location::Byte(b) => b,
                        Location::Line(_) => r.location,
                    });
                    self.problem(
                        at,
                        Some(format!("{tag}/Ntry/BookgDt")),
                        "the entry has no BookgDt or ValDt, and the file gives no date to \
                         book it on",
                    );
                    return;
                }
            }
        }
        if r.value_dated > 0 {
            self.warn(
                r.location,
                Some(format!("{tag}/Ntry/BookgDt")),
                format!("{} no BookgDt; the ValDt is used", entries_have(r.value_dated)),
            );
        }
        if r.unsigned_balances > 0 {
            self.warn(
                r.location,
                Some(format!("{tag}/Bal/CdtDbtInd")),
                format!(
                    "{} without CdtDbtInd taken as credit (positive)",
                    if r.unsigned_balances == 1 {
                        "1 balance".to_string()
                    } else {
                        format!("{} balances", r.unsigned_balances)
                    }
                ),
            );
        }
        for (status, n) in &r.not_booked {
            self.warn(
                r.location,
                Some(format!("{tag}/Ntry/Sts")),
                format!("{} status {status}: not booked, left out", entries_have(*n)),
            );
        }
        for (balance, name) in [(opening, "opening"), (closing, "closing")] {
            if let Some(b) = balance
                && b.amount.currency() != currency
            {
                self.warn(
                    r.location,
                    Some(format!("{tag}/Bal")),
                    format!(
                        "the {name} balance is in {}, the account in {currency}: the balance \
                         check does not apply",
                        b.amount.currency()
                    ),
                );
            }
        }
        let balance_check = BalanceCheck::compute(opening.as_ref(), &entries, closing.as_ref());
        self.statements.push(Statement {
            id: r.id,
            account,
            account_bic: r.bic,
            account_holder: r.owner.or(r.name),
            currency,
            opening_balance: opening,
            closing_balance: closing,
            from_date: r.from,
            to_date: r.to,
            entries,
            balance_check,
            location: Location::Byte(r.location),
        });
    }
}

/// `1 entry has` / `3 entries have`.
fn entries_have(n: usize) -> String {
    if n == 1 { "1 entry has".to_string() } else { format!("{n} entries have") }
}

/// The `Ccy` attribute of an amount element.
fn currency_attribute(e: &BytesStart<'_>) -> Option<CurrencyAttr> {
    for attr in e.attributes().with_checks(false).flatten() {
        let key: &str = attr.key.as_ref();
        if key == "Ccy" {
            let code = attr.value.trim();
            return Some(Currency::parse(code).map_err(|e| format!("{code:?}: {e}")));
        }
    }
    None
}

/// `(kind, "camt.05x.001.NN", is the ISO namespace)` of a root namespace.
fn message_of_namespace(namespace: &str) -> Option<(Kind, String, bool)> {
    let namespace = namespace.trim();
    let (tail, exact) = match namespace.strip_prefix(ISO_NAMESPACE) {
        Some(tail) => (tail, true),
        None => {
            // Some banks (Swiss SIX) publish their own namespace ending in the message id.
            let base = namespace.strip_suffix(".xsd").unwrap_or(namespace);
            let start = base.rfind("camt.")?;
            (base.get(start..)?, false)
        }
    };
    let bytes = tail.as_bytes();
    let shape_ok = bytes.len() == 15
        && tail.starts_with("camt.05")
        && tail.get(8..13) == Some(".001.")
        && bytes.get(13).is_some_and(u8::is_ascii_digit)
        && bytes.get(14).is_some_and(u8::is_ascii_digit);
    if !shape_ok {
        return None;
    }
    let kind = match bytes.get(7) {
        Some(b'2') => Kind::Report,
        Some(b'3') => Kind::Statement,
        Some(b'4') => Kind::Notification,
        _ => return None,
    };
    Some((kind, tail.to_string(), exact))
}

/// An amount as camt writes it: digits with an optional `.` and fraction, no sign (the sign is
/// `CdtDbtInd`), in the currency of its `Ccy` attribute.
fn amount_of(text: &str, currency: Option<CurrencyAttr>) -> Result<Money, String> {
    let Some(currency) = currency else {
        return Err("the amount has no Ccy attribute".to_string());
    };
    let currency = currency?;
    let mut digits = 0usize;
    let mut dots = 0usize;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => {
                return Err(format!(
                    "{text:?} is not an amount: expected digits with '.' as the decimal \
                     separator and no sign"
                ));
            }
        }
    }
    if digits == 0 || dots > 1 {
        return Err(format!(
            "{text:?} is not an amount: expected digits with '.' as the decimal separator"
        ));
    }
    Money::parse(text, currency).map_err(|e| format!("{text} {currency}: {e}"))
}

fn sign_of(text: &str) -> Option<bool> {
    match text {
        "CRDT" => Some(true),
        "DBIT" => Some(false),
        _ => None,
    }
}

fn sign_reason(text: &str) -> String {
    format!("{text:?} is not a credit/debit indicator: expected CRDT or DBIT")
}

fn signed(amount: Money, credit: bool) -> Money {
    if credit { amount } else { Money::from_minor(-amount.minor(), amount.currency()) }
}

fn date_text(text: &str, is_time: bool) -> Result<Date, String> {
    let day = if is_time {
        match (text.get(..10), text.as_bytes().get(10)) {
            (Some(day), Some(b'T')) => day,
            _ => {
                return Err(format!("{text:?} is not an ISO date and time (YYYY-MM-DDThh:mm:ss)"));
            }
        }
    } else {
        text
    };
    parse_iso_date(day).map_err(|e| format!("{text:?}: {e}"))
}

/// An account number in electronic form: no spaces, upper case.
fn electronic(text: &str) -> String {
    if text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return text.to_string();
    }
    text.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The signed amounts of a batch entry's parts, when its `TxDtls` split it exactly.
fn split_batch(entry: &EntryB, signed_total: Money) -> Option<Vec<Money>> {
    if entry.txs.len() < 2 {
        return None;
    }
    let currency = signed_total.currency();
    let mut amounts = Vec::with_capacity(entry.txs.len());
    for tx in &entry.txs {
        let amount = tx.own_amount()?;
        if amount.currency() != currency {
            return None;
        }
        amounts.push(amount);
    }
    let credit = signed_total.minor() >= 0;
    let magnitude: i128 = amounts.iter().map(|m| i128::from(m.minor())).sum();
    if magnitude == i128::from(signed_total.minor()).abs() {
        return Some(amounts.into_iter().map(|m| signed(m, credit)).collect());
    }
    // A netted batch: each part has its own direction.
    let mut parts = Vec::with_capacity(amounts.len());
    for (tx, amount) in entry.txs.iter().zip(amounts) {
        parts.push(signed(amount, tx.credit?));
    }
    let net: i128 = parts.iter().map(|m| i128::from(m.minor())).sum();
    (net == i128::from(signed_total.minor())).then_some(parts)
}

/// One entry per `TxDtls` of a batch, with the amounts `split_batch` found.
fn split_entries(entry: &mut EntryB, parts: &[Money], own: Option<&str>, out: &mut Vec<Entry>) {
    let code = entry.code.take();
    let mut txs = std::mem::take(&mut entry.txs);
    for (i, (tx, &amount)) in txs.drain(..).zip(parts).enumerate() {
        let location = tx.location;
        let mut details = tx_details(tx, amount.minor() >= 0, entry, own, true);
        if code.is_some() {
            details.code.clone_from(&code);
        }
        if let Some(r) = &entry.bank_reference {
            details.bank_reference = Some(format!("{r}/{}", i + 1));
        }
        out.push(make_entry(entry, amount, details, location));
    }
    entry.txs = txs;
}

/// The entry as one movement: with what its only `TxDtls` says, or what all of several
/// agree on.
fn whole_entry(entry: &mut EntryB, amount: Money, own: Option<&str>) -> Entry {
    let credit = amount.minor() >= 0;
    let code = entry.code.take();
    let mut txs = std::mem::take(&mut entry.txs);
    let single = txs.len() == 1;
    let mut drained = txs.drain(..);
    let mut merged = match drained.next() {
        Some(first) => tx_details(first, credit, entry, own, single),
        None => Details {
            remittance: entry.info.clone().map(cap_chars).unwrap_or_default(),
            ..Details::default()
        },
    };
    for tx in drained {
        let next = tx_details(tx, credit, entry, own, false);
        if next.counterparty != merged.counterparty {
            merged.counterparty = PartyB::default();
        }
        if next.reference != merged.reference {
            merged.reference = None;
        }
        if next.end_to_end != merged.end_to_end {
            merged.end_to_end = None;
        }
        if merged.return_reason.is_none() {
            merged.return_reason = next.return_reason;
        }
        merged.reversal |= next.reversal;
        if !next.remittance.is_empty() && !merged.remittance.ends_with(&next.remittance) {
            if !merged.remittance.is_empty() {
                merged.remittance.push(' ');
            }
            merged.remittance.push_str(&next.remittance);
            merged.remittance = cap_chars(std::mem::take(&mut merged.remittance));
        }
        if merged.code.is_none() {
            merged.code = next.code;
        }
    }
    entry.txs = txs;
    if !single {
        if merged.remittance.is_empty() {
            merged.remittance = entry.info.clone().map(cap_chars).unwrap_or_default();
        }
        if merged.reference.is_none() {
            merged.reference = find_in_text(&merged.remittance);
        }
        // Several transactions share no bank reference of their own.
        merged.bank_reference = None;
    }
    merged.reversal |= entry.reversal;
    if code.is_some() {
        merged.code = code;
    }
    if entry.bank_reference.is_some() {
        merged.bank_reference.clone_from(&entry.bank_reference);
    }
    make_entry(entry, amount, merged, entry.location)
}

/// The details one `TxDtls` gives about a movement in direction `credit`; its remittance
/// falls back to the entry's `AddtlNtryInf` when `entry_info` says so.
fn tx_details(
    mut tx: TxB,
    credit: bool,
    entry: &EntryB,
    own: Option<&str>,
    entry_info: bool,
) -> Details {
    let reversal = entry.reversal || tx.return_code.is_some();
    let counterparty = counterparty(&mut tx, credit != reversal, own);
    let info = if entry_info { entry.info.as_deref() } else { None };
    let remittance = remittance_of(&mut tx, info);
    let reference = reference_of(&tx, &remittance);
    Details {
        counterparty,
        reference,
        remittance,
        end_to_end: tx.end_to_end,
        return_reason: tx.return_code,
        code: tx.code.take(),
        bank_reference: tx.bank_reference,
        reversal,
    }
}

/// The other party: the payer of a credit, the payee of a debit (`payer` says which is
/// wanted), never the statement's own account.
fn counterparty(tx: &mut TxB, payer: bool, own: Option<&str>) -> PartyB {
    let is_own = |p: &PartyB| own.is_some() && p.account().map(String::as_str) == own;
    let usable = |p: &PartyB| !p.is_empty() && !is_own(p);
    let chosen = match (usable(&tx.debtor), usable(&tx.creditor)) {
        (true, false) => std::mem::take(&mut tx.debtor),
        (false, true) => std::mem::take(&mut tx.creditor),
        (true, true) if payer => std::mem::take(&mut tx.debtor),
        (true, true) => std::mem::take(&mut tx.creditor),
        (false, false) => return PartyB::default(),
    };
    let PartyB { name, ultimate, iban, other_id, bic } = chosen;
    PartyB {
        name: name.or(ultimate),
        ultimate: None,
        other_id: if iban.is_some() { None } else { other_id },
        iban,
        bic,
    }
}

fn remittance_of(tx: &mut TxB, entry_info: Option<&str>) -> String {
    if !tx.unstructured.is_empty() {
        cap_chars(std::mem::take(&mut tx.unstructured))
    } else if let Some(info) = tx.info.take() {
        cap_chars(info)
    } else {
        entry_info.map(str::to_string).map(cap_chars).unwrap_or_default()
    }
}

/// `text` cut to [`MAX_REMITTANCE_CHARS`] characters.
fn cap_chars(mut text: String) -> String {
    if text.len() > MAX_REMITTANCE_CHARS
        && let Some((end, _)) = text.char_indices().nth(MAX_REMITTANCE_CHARS)
    {
        text.truncate(end);
        text.truncate(text.trim_end().len());
    }
    text
}

fn reference_of(tx: &TxB, remittance: &str) -> Option<StructuredReference> {
    let mut other = None;
    for r in &tx.creditor_refs {
        let Some(text) = r.reference.as_deref() else {
            continue;
        };
        let issuer = r.issuer.as_deref().unwrap_or_default();
        let hint = if issuer.eq_ignore_ascii_case("BBA") {
            Some(ReferenceScheme::Ogm)
        } else if issuer.eq_ignore_ascii_case("CUR") {
            Some(ReferenceScheme::Nl)
        } else if issuer.eq_ignore_ascii_case("ISO") {
            Some(ReferenceScheme::Rf)
        } else {
            None
        };
        let found = hint
            .and_then(|scheme| StructuredReference::classify_as(scheme, text))
            .or_else(|| StructuredReference::classify(text, true));
        match found {
            Some(found) if found.scheme != ReferenceKind::Other => return Some(found),
            Some(found) if other.is_none() => other = Some(found),
            _ => {}
        }
    }
    other.or_else(|| find_in_text(remittance))
}

/// [`StructuredReference::find_in_text`], skipped for texts that cannot hold a reference: an
/// OGM has 12 digits and an RF reference is `RF` and two check digits.
fn find_in_text(text: &str) -> Option<StructuredReference> {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let rf = || text.as_bytes().windows(2).any(|w| w.eq_ignore_ascii_case(b"RF"));
    if digits >= 12 || (digits >= 2 && rf()) {
        StructuredReference::find_in_text(text)
    } else {
        None
    }
}

fn make_entry(entry: &EntryB, amount: Money, details: Details, location: u64) -> Entry {
    let Details {
        counterparty,
        reference,
        remittance,
        end_to_end,
        return_reason,
        code,
        bank_reference,
        reversal,
    } = details;
    Entry {
        booking_date: entry.booking.or(entry.value).unwrap_or(Date::MIN),
        value_date: entry.value,
        amount,
        counterparty_name: counterparty.name,
        counterparty_iban: counterparty.iban.or(counterparty.other_id),
        counterparty_bic: counterparty.bic,
        reference,
        remittance,
        end_to_end_id: end_to_end,
        bank_reference,
        transaction_code: code,
        reversal,
        return_reason,
        location: Location::Byte(location),
    }
}

// ---------------------------------------------------------------------------------------------
// Zip archives

/// Reads every member of a zip archive (central directory; stored or deflated members).
fn parse_zip(bytes: &[u8]) -> Result<ParsedStatements, StatementError> {
    // Offsets read from a damaged archive may point anywhere: a location stays in the file.
    let inside = |at: usize| Location::Byte(at.min(bytes.len()) as u64);
    let err =
        |at: usize, reason: String| StatementError::one(inside(at), Some("zip".into()), reason);
    let members = zip_members(bytes).map_err(|(at, reason)| err(at, reason))?;
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    let mut total_bytes = 0usize;
    let mut entries = 0usize;
    for member in members {
        if member.name.ends_with('/') || member.name.starts_with("__MACOSX/") {
            continue;
        }
        let data = match zip_data(bytes, &member, MAX_FILE_BYTES.saturating_sub(total_bytes)) {
            Ok(data) => data,
            Err(reason) => {
                problems.push(Problem::at(
                    inside(member.local_offset),
                    Some(format!("zip member {}", member.name)),
                    reason,
                ));
                continue;
            }
        };
        total_bytes += data.len();
        let start = data.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(data.len());
        let head = data.get(start..).unwrap_or_default();
        let looks_xml = head.starts_with(b"<") || head.starts_with(b"\xEF\xBB\xBF<");
        if !looks_xml {
            warnings.push(Problem::at(
                inside(member.local_offset),
                Some(format!("zip member {}", member.name)),
                "not an XML file: skipped",
            ));
            continue;
        }
        let named = |mut p: Problem| {
            p.field = Some(match p.field {
                Some(f) => format!("{}: {f}", member.name),
                None => member.name.clone(),
            });
            p
        };
        match parse_document(&data, MAX_ENTRIES.saturating_sub(entries)) {
            Ok(parsed) => {
                entries += parsed.statements.iter().map(|s| s.entries.len()).sum::<usize>();
                if !messages.contains(&parsed.message) {
                    messages.push(parsed.message);
                }
                statements.extend(parsed.statements);
                warnings.extend(parsed.warnings.into_iter().map(named));
            }
            Err(found) => problems.extend(found.into_iter().map(named)),
        }
    }
    if problems.is_empty() && statements.is_empty() {
        problems.push(Problem::at(
            Location::Byte(0),
            Some("zip".into()),
            "the zip archive holds no camt file",
        ));
    }
    if !problems.is_empty() {
        return Err(StatementError { problems });
    }
    Ok(ParsedStatements {
        format: StatementFormat::Camt053,
        message: messages.join(", "),
        statements,
        warnings,
    })
}

struct ZipMember {
    name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    local_offset: usize,
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*b.first()?, *b.get(1)?]))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]))
}

fn zip_members(bytes: &[u8]) -> Result<Vec<ZipMember>, (usize, String)> {
    let truncated = |at: usize| (at, "the zip archive is truncated or damaged".to_string());
    // The end-of-central-directory record sits in the last 22 + 65 535 bytes.
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(b"PK\x05\x06"))
        .ok_or_else(|| truncated(bytes.len()))?;
    let count = usize::from(le16(bytes, eocd + 10).ok_or_else(|| truncated(eocd))?);
    let directory = le32(bytes, eocd + 16).ok_or_else(|| truncated(eocd))?;
    if directory == u32::MAX || count == usize::from(u16::MAX) {
        return Err((eocd, "ZIP64 archives are not supported".to_string()));
    }
    if count > ZIP_MEMBERS_MAX {
        return Err((eocd, format!("the zip archive has more than {ZIP_MEMBERS_MAX} members")));
    }
    let mut at = directory as usize;
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            return Err(truncated(at));
        }
        let field16 = |o: usize| le16(bytes, at + o).map(usize::from).ok_or_else(|| truncated(at));
        let field32 = |o: usize| le32(bytes, at + o).ok_or_else(|| truncated(at));
        let name_len = field16(28)?;
        let extra_len = field16(30)?;
        let comment_len = field16(32)?;
        let name_bytes = bytes.get(at + 46..at + 46 + name_len).ok_or_else(|| truncated(at))?;
        members.push(ZipMember {
            name: String::from_utf8_lossy(name_bytes).into_owned(),
            flags: le16(bytes, at + 8).ok_or_else(|| truncated(at))?,
            method: le16(bytes, at + 10).ok_or_else(|| truncated(at))?,
            crc: field32(16)?,
            compressed: field32(20)? as usize,
            size: field32(24)? as usize,
            local_offset: field32(42)? as usize,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(members)
}

fn zip_data(bytes: &[u8], m: &ZipMember, limit: usize) -> Result<Vec<u8>, String> {
    let damaged = || "the zip member is truncated or damaged".to_string();
    let at = m.local_offset;
    if bytes.get(at..at + 4) != Some(b"PK\x03\x04") {
        return Err(damaged());
    }
    if m.flags & 1 != 0 {
        return Err("the zip member is encrypted".to_string());
    }
    if m.size > limit {
        return Err(format!("the zip's content is larger than {MAX_FILE_BYTES} bytes"));
    }
    let name_len = usize::from(le16(bytes, at + 26).ok_or_else(damaged)?);
    let extra_len = usize::from(le16(bytes, at + 28).ok_or_else(damaged)?);
    let start = at + 30 + name_len + extra_len;
    let raw = bytes.get(start..start + m.compressed).ok_or_else(damaged)?;
    let data = match m.method {
        0 => raw.to_vec(),
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(raw, m.size)
            .map_err(|e| format!("the zip member cannot be inflated: {:?}", e.status))?,
        method => return Err(format!("zip compression method {method} is not supported")),
    };
    if data.len() != m.size || crc32(&data) != m.crc {
        return Err("the zip member is damaged (size or CRC-32 does not match)".to_string());
    }
    Ok(data)
}

// Evaluated at compile time: an out-of-range index would fail the build, not a parse.
#[allow(clippy::indexing_slicing)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        let index = usize::from((crc as u8) ^ b);
        crc = CRC_TABLE.get(index).copied().unwrap_or(0) ^ (crc >> 8);
    }
    !crc
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Writes `statements` as one camt.053.001.02 message.
///
/// Each statement becomes a `Stmt` with its account (`IBAN` when the account has the shape of
/// an IBAN, else `Othr/Id`), currency, holder and BIC, `OPBD`/`CLBD` balances and one `Ntry`
/// per entry, with one `TxDtls` holding the end-to-end id, the counterparty (as debtor of a
/// credit, creditor of a debit; swapped for a reversal), the remittance text (in `Ustrd` lines
/// of at most 140 characters, cut at spaces), the structured reference (`SCOR`, issuer `BBA`,
/// `ISO` or `CUR` by scheme) and the return reason. The header's and statements' creation
/// time is derived from the data (the latest date written), so the output depends on nothing
/// else.
///
/// [`parse`] gives back the same statements (locations aside) when every text is trimmed,
/// `reversal` is set whenever `return_reason` is, no counterparty account is the statement's
/// own, no remittance line is `NOTPROVIDED` and words are shorter than 140 characters.
/// Optional data the model lacks is left out (a statement without `id`, a balance without
/// date, an entry without transaction code), which the schema would not allow.
///
/// # Examples
/// ```
/// use arflow_formats::statement::camt;
/// let parsed = camt::parse(br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
///   <BkToCstmrStmt><Stmt><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
///   </Stmt></BkToCstmrStmt></Document>"#).unwrap();
/// let xml = camt::write_camt053(&parsed.statements);
/// assert_eq!(camt::parse(xml.as_bytes()).unwrap().statements[0].account, "NL91ABNA0417164300");
/// ```
#[must_use]
pub fn write_camt053(statements: &[Statement]) -> String {
    let entries: usize = statements.iter().map(|s| s.entries.len()).sum();
    let mut out = String::with_capacity(1024 + statements.len() * 1024 + entries * 900);
    let created = statements.iter().filter_map(latest_date).max();
    let created =
        created.map_or_else(|| "2000-01-01T00:00:00".to_string(), |d| format!("{d}T23:59:59"));
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"");
    out.push_str(WRITE_NAMESPACE);
    out.push_str("\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<BkToCstmrStmt>\n");
    out.push_str("<GrpHdr><MsgId>ARFLOW-");
    out.push_str(&statements.len().to_string());
    out.push('-');
    out.push_str(&entries.to_string());
    out.push_str("</MsgId><CreDtTm>");
    out.push_str(&created);
    out.push_str("</CreDtTm></GrpHdr>\n");
    for statement in statements {
        write_statement(&mut out, statement, &created);
    }
    out.push_str("</BkToCstmrStmt>\n</Document>\n");
    out
}

fn latest_date(s: &Statement) -> Option<Date> {
    let balances = [s.opening_balance, s.closing_balance].into_iter().flatten();
    balances
        .filter_map(|b| b.date)
        .chain(s.to_date)
        .chain(s.entries.iter().flat_map(|e| [Some(e.booking_date), e.value_date]).flatten())
        .max()
}

fn write_statement(out: &mut String, s: &Statement, created: &str) {
    out.push_str("<Stmt>");
    if let Some(id) = &s.id {
        element(out, "Id", id);
    }
    element(out, "CreDtTm", created);
    if s.from_date.is_some() || s.to_date.is_some() {
        out.push_str("<FrToDt>");
        if let Some(d) = s.from_date {
            element(out, "FrDtTm", &format!("{d}T00:00:00"));
        }
        if let Some(d) = s.to_date {
            element(out, "ToDtTm", &format!("{d}T23:59:59"));
        }
        out.push_str("</FrToDt>");
    }
    out.push_str("<Acct>");
    account_id(out, &s.account);
    element(out, "Ccy", s.currency.code());
    if let Some(holder) = &s.account_holder {
        out.push_str("<Ownr>");
        element(out, "Nm", holder);
        out.push_str("</Ownr>");
    }
    if let Some(bic) = &s.account_bic {
        out.push_str("<Svcr><FinInstnId>");
        element(out, "BIC", bic);
        out.push_str("</FinInstnId></Svcr>");
    }
    out.push_str("</Acct>\n");
    for (balance, code) in [(&s.opening_balance, "OPBD"), (&s.closing_balance, "CLBD")] {
        if let Some(b) = balance {
            out.push_str("<Bal><Tp><CdOrPrtry><Cd>");
            out.push_str(code);
            out.push_str("</Cd></CdOrPrtry></Tp>");
            amount(out, b.amount);
            if let Some(d) = b.date {
                out.push_str("<Dt><Dt>");
                out.push_str(&d.to_string());
                out.push_str("</Dt></Dt>");
            }
            out.push_str("</Bal>\n");
        }
    }
    for e in &s.entries {
        write_entry(out, e);
    }
    out.push_str("</Stmt>\n");
}

fn write_entry(out: &mut String, e: &Entry) {
    let reversal = e.reversal || e.return_reason.is_some();
    out.push_str("<Ntry>");
    amount(out, e.amount);
    if reversal {
        out.push_str("<RvslInd>true</RvslInd>");
    }
    out.push_str("<Sts>BOOK</Sts><BookgDt><Dt>");
    out.push_str(&e.booking_date.to_string());
    out.push_str("</Dt></BookgDt>");
    if let Some(d) = e.value_date {
        out.push_str("<ValDt><Dt>");
        out.push_str(&d.to_string());
        out.push_str("</Dt></ValDt>");
    }
    if let Some(r) = &e.bank_reference {
        element(out, "AcctSvcrRef", r);
    }
    if let Some(code) = &e.transaction_code {
        out.push_str("<BkTxCd>");
        let parts: Vec<&str> = code.split('/').collect();
        match parts.as_slice() {
            [domain, family, sub]
                if !domain.is_empty() && !family.is_empty() && !sub.is_empty() =>
            {
                out.push_str("<Domn>");
                element(out, "Cd", domain);
                out.push_str("<Fmly>");
                element(out, "Cd", family);
                element(out, "SubFmlyCd", sub);
                out.push_str("</Fmly></Domn>");
            }
            _ => {
                out.push_str("<Prtry>");
                element(out, "Cd", code);
                out.push_str("</Prtry>");
            }
        }
        out.push_str("</BkTxCd>");
    }
    let has_party = e.counterparty_name.is_some()
        || e.counterparty_iban.is_some()
        || e.counterparty_bic.is_some();
    let has_details = has_party
        || e.end_to_end_id.is_some()
        || e.reference.is_some()
        || !e.remittance.is_empty()
        || e.return_reason.is_some();
    if has_details {
        out.push_str("<NtryDtls><TxDtls>");
        if let Some(id) = &e.end_to_end_id {
            out.push_str("<Refs>");
            element(out, "EndToEndId", id);
            out.push_str("</Refs>");
        }
        // The payer of a credit is the debtor; a reversal describes the original movement.
        let payer_is_debtor = (e.amount.minor() >= 0) != reversal;
        let (party, account, agent) = if payer_is_debtor {
            ("Dbtr", "DbtrAcct", "DbtrAgt")
        } else {
            ("Cdtr", "CdtrAcct", "CdtrAgt")
        };
        if e.counterparty_name.is_some() || e.counterparty_iban.is_some() {
            out.push_str("<RltdPties>");
            if let Some(name) = &e.counterparty_name {
                open(out, party);
                element(out, "Nm", name);
                close(out, party);
            }
            if let Some(iban) = &e.counterparty_iban {
                open(out, account);
                account_id(out, iban);
                close(out, account);
            }
            out.push_str("</RltdPties>");
        }
        if let Some(bic) = &e.counterparty_bic {
            out.push_str("<RltdAgts>");
            open(out, agent);
            out.push_str("<FinInstnId>");
            element(out, "BIC", bic);
            out.push_str("</FinInstnId>");
            close(out, agent);
            out.push_str("</RltdAgts>");
        }
        if !e.remittance.is_empty() || e.reference.is_some() {
            out.push_str("<RmtInf>");
            for line in ustrd_lines(&e.remittance) {
                element(out, "Ustrd", line);
            }
            if let Some(r) = &e.reference {
                out.push_str("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>");
                match r.scheme {
                    ReferenceKind::Ogm => element(out, "Issr", "BBA"),
                    ReferenceKind::Rf => element(out, "Issr", "ISO"),
                    ReferenceKind::Nl => element(out, "Issr", "CUR"),
                    ReferenceKind::Other => {}
                }
                out.push_str("</Tp>");
                element(out, "Ref", &r.value);
                out.push_str("</CdtrRefInf></Strd>");
            }
            out.push_str("</RmtInf>");
        }
        if let Some(reason) = &e.return_reason {
            out.push_str("<RtrInf><Rsn>");
            element(out, "Cd", reason);
            out.push_str("</Rsn></RtrInf>");
        }
        out.push_str("</TxDtls></NtryDtls>");
    }
    out.push_str("</Ntry>\n");
}

/// Splits remittance text into lines of at most 140 characters, at spaces.
fn ustrd_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((limit, _)) = rest.char_indices().nth(USTRD_CHARS_MAX) else {
            lines.push(rest);
            break;
        };
        // Cut at the last space within the limit (a word longer than a line is cut hard).
        let cut = if rest.get(limit..).is_some_and(|r| r.starts_with(' ')) {
            Some(limit)
        } else {
            rest.get(..limit).and_then(|head| head.rfind(' ')).filter(|&c| c > 0)
        };
        let (line, next) = match cut {
            Some(c) => (rest.get(..c).unwrap_or(rest), rest.get(c + 1..).unwrap_or("")),
            None => (rest.get(..limit).unwrap_or(rest), rest.get(limit..).unwrap_or("")),
        };
        lines.push(line.trim_end());
        rest = next.trim_start();
    }
    lines
}

fn account_id(out: &mut String, account: &str) {
    if looks_like_iban(account) {
        out.push_str("<Id>");
        element(out, "IBAN", account);
        out.push_str("</Id>");
    } else {
        out.push_str("<Id><Othr>");
        element(out, "Id", account);
        out.push_str("</Othr></Id>");
    }
}

/// Two capital letters, two digits, then 11 to 30 capitals or digits.
fn looks_like_iban(text: &str) -> bool {
    let b = text.as_bytes();
    (15..=34).contains(&b.len())
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().skip(4).all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn amount(out: &mut String, money: Money) {
    let currency = money.currency();
    out.push_str("<Amt Ccy=\"");
    out.push_str(currency.code());
    out.push_str("\">");
    let digits = currency.minor_digits();
    let magnitude = money.minor().unsigned_abs();
    let scale = 10_u64.pow(digits);
    out.push_str(&(magnitude / scale).to_string());
    if digits > 0 {
        out.push('.');
        out.push_str(&format!("{:0width$}", magnitude % scale, width = digits as usize));
    }
    out.push_str("</Amt><CdtDbtInd>");
    out.push_str(if money.minor() < 0 { "DBIT" } else { "CRDT" });
    out.push_str("</CdtDbtInd>");
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn element(out: &mut String, name: &str, text: &str) {
    open(out, name);
    escape_into(out, text);
    close(out, name);
}

/// Escapes markup characters; characters XML 1.0 does not allow are dropped.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_is_found_by_its_name() {
        for &tag in Tag::ALL {
            assert_eq!(Tag::of(tag.name()), tag);
        }
        assert_eq!(Tag::of("PstlAdr"), Tag::Other);
        assert_eq!(Tag::of(""), Tag::Other);
    }
}
