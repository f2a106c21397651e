//! Dated rate tables: statutory and commercial interest rates per period, as data.
//!
//! DESIGN ("Legal rules as data plus code"): rates are published per half-year or per year and
//! change without a release of arflow. Each table is a plain text file under
//! `crates/core/data/rates/`, embedded in the binary with `include_str!`, and the application can
//! load a replacement from an override directory with [`RateTable::parse`].
//!
//! File format, one row per period, `#` starts a comment (to the end of the line), blank lines are
//! ignored:
//!
//! ```text
//! # valid_from,rate_percent,source,verified
//! 2025-07-01,10.15,[V] vanlaarhovenenpartners (25-09-2025),true
//! 2026-07-01,?,[U] not yet published,false
//! ```
//!
//! - `valid_from`: ISO date; rows are strictly ascending; a row is in force until the next one;
//! - `rate_percent`: a decimal number of percent per year, or `?` when the rate from that date on
//!   is not known (it ends the coverage: nothing is ever computed with a guessed rate);
//! - `source`: free text naming the source and its status (it may contain commas);
//! - `verified`: `true` or `false`; `false` marks a rate the research notes call unverified [U],
//!   and every charge computed with it says so (`Explanation::verified`).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::{add_days, parse_iso_date};

/// The rate tables arflow ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// NL wettelijke rente, art. 6:119 BW (consumers and other non-commercial debts).
    NlStatutory,
    /// NL wettelijke handelsrente, art. 6:119a/6:119b BW (commercial transactions).
    NlCommercial,
    /// BE late-payment interest of the law of 2 August 2002 (commercial transactions).
    BeB2b,
    /// BE legal (civil) interest rate, law of 5 May 1865 art. 2.
    BeLegal,
    /// ECB main refinancing operations rate (the Directive's reference rate).
    EcbMro,
}

impl RateKind {
    /// Every table, in a stable order.
    pub const ALL: &'static [RateKind] = &[
        RateKind::NlStatutory,
        RateKind::NlCommercial,
        RateKind::BeB2b,
        RateKind::BeLegal,
        RateKind::EcbMro,
    ];

    /// The stable name, also the file name without `.txt`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            RateKind::NlStatutory => "nl_statutory",
            RateKind::NlCommercial => "nl_commercial",
            RateKind::BeB2b => "be_b2b",
            RateKind::BeLegal => "be_legal",
            RateKind::EcbMro => "ecb_mro",
        }
    }

    /// The data file's name (`nl_commercial.txt`), in the builtin directory and in an override
    /// directory alike.
    pub fn file_name(&self) -> String {
        format!("{}.txt", self.as_str())
    }

    /// The table text shipped with this build.
    pub const fn builtin_text(&self) -> &'static str {
        match self {
            RateKind::NlStatutory => include_str!("../../data/rates/nl_statutory.txt"),
            RateKind::NlCommercial => include_str!("../../data/rates/nl_commercial.txt"),
            RateKind::BeB2b => include_str!("../../data/rates/be_b2b.txt"),
            RateKind::BeLegal => include_str!("../../data/rates/be_legal.txt"),
            RateKind::EcbMro => include_str!("../../data/rates/ecb_mro.txt"),
        }
    }

    /// Only the ECB reference rate may be negative in principle; interest rates may not.
    const fn allows_negative(&self) -> bool {
        matches!(self, RateKind::EcbMro)
    }
}

impl fmt::Display for RateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a rate table: the rate in force from `valid_from` until the next row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    pub valid_from: Date,
    /// Percent per year; `None` when not known from `valid_from` on.
    pub rate_percent: Option<Decimal>,
    pub source: String,
    pub verified: bool,
}

/// A dated rate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTable {
    name: String,
    rows: Vec<RateRow>,
}

/// Why a rate table text was refused: the 1-based line and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RateTableError {
    pub line: usize,
    pub reason: String,
}

/// A day without a known rate: before the first row, or in a period whose rate is `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate table {table} has no known rate on {date}")]
pub struct RateGap {
    pub table: String,
    pub date: Date,
}

/// A stretch of days with one rate, cut from a table by [`RateTable::periods`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSpan {
    /// First day (inclusive).
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
    pub rate_percent: Decimal,
    pub verified: bool,
    pub source: String,
}

/// Largest table text accepted, in bytes.
pub const RATE_TABLE_BYTES_MAX: usize = 256 * 1024;
/// Most rows accepted in one table.
pub const RATE_TABLE_ROWS_MAX: usize = 2_000;
/// Largest absolute rate accepted, in percent per year.
const RATE_PERCENT_ABS_MAX: i64 = 100;

impl RateTable {
    /// Parses a table text in the format of the module documentation.
    ///
    /// # Errors
    /// [`RateTableError`] with the line and the reason: a malformed or non-ascending date, a rate
    /// that is not a plain decimal (or `?`), a negative interest rate, a rate above 100 %, a
    /// `verified` other than `true`/`false`, too many rows, or a table without any known rate.
    ///
    /// # Examples
    /// ```
    /// use arflow_core::legal::rates::{RateKind, RateTable};
    /// let t = RateTable::parse(RateKind::NlCommercial, "2025-07-01,10.15,vanlaarhoven,true\n").unwrap();
    /// assert_eq!(t.rows().len(), 1);
    /// assert!(RateTable::parse(RateKind::NlCommercial, "2025-07-01,ten,x,true").is_err());
    /// ```
    pub fn parse(kind: RateKind, text: &str) -> Result<RateTable, RateTableError> {
        if text.len() > RATE_TABLE_BYTES_MAX {
            return Err(RateTableError {
                line: 0,
                reason: format!("table is larger than {RATE_TABLE_BYTES_MAX} bytes"),
            });
        }
        let mut rows: Vec<RateRow> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let err = |reason: String| RateTableError { line, reason };
            if rows.len() >= RATE_TABLE_ROWS_MAX {
                return Err(err(format!("more than {RATE_TABLE_ROWS_MAX} rows")));
            }
            let row = parse_row(kind, content).map_err(err)?;
            if let Some(last) = rows.last()
                && row.valid_from <= last.valid_from
            {
                return Err(err(format!(
                    "valid_from {} is not after the previous row's {}",
                    row.valid_from, last.valid_from
                )));
            }
            rows.push(row);
        }
        if !rows.iter().any(|r| r.rate_percent.is_some()) {
            return Err(RateTableError { line: 0, reason: "the table has no known rate".into() });
        }
        Ok(RateTable { name: kind.as_str().to_owned(), rows })
    }

    /// A table built in code (a derived or contractual rate). Rows must be strictly ascending.
    ///
    /// # Errors
    /// [`RateTableError`] (line 0) when the rows are empty or not ascending.
    pub fn from_rows(name: &str, rows: Vec<RateRow>) -> Result<RateTable, RateTableError> {
        let ascending = rows.windows(2).all(|w| match w {
            [a, b] => a.valid_from < b.valid_from,
            _ => true,
        });
        if rows.is_empty() || !ascending {
            return Err(RateTableError {
                line: 0,
                reason: format!("table {name}: rows must be non-empty and strictly ascending"),
            });
        }
        Ok(RateTable { name: name.to_owned(), rows })
    }

    /// The table's name (`nl_commercial`, or a descriptive name for a derived table).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rows(&self) -> &[RateRow] {
        &self.rows
    }

    /// The row in force on `date`, if `date` is on or after the first row.
    pub fn row_on(&self, date: Date) -> Option<&RateRow> {
        self.rows.iter().take_while(|r| r.valid_from <= date).last()
    }

    /// The rate in force on `date`, percent per year.
    ///
    /// # Errors
    /// [`RateGap`] before the first row or in a period whose rate is not known.
    pub fn rate_on(&self, date: Date) -> Result<Decimal, RateGap> {
        self.row_on(date)
            .and_then(|r| r.rate_percent)
            .ok_or_else(|| RateGap { table: self.name.clone(), date })
    }

    /// Cuts `from..=to` into spans of one table row each (a new span at every row, also when two
    /// consecutive rows have the same rate: each row is one published period). Empty when
    /// `to < from`.
    ///
    /// # Errors
    /// [`RateGap`] naming the first day without a known rate.
    pub fn periods(&self, from: Date, to: Date) -> Result<Vec<RateSpan>, RateGap> {
        let (spans, gap) = self.periods_until_gap(from, to);
        match gap {
            Some(date) => Err(RateGap { table: self.name.clone(), date }),
            None => Ok(spans),
        }
    }

    /// Like [`RateTable::periods`], but returns the spans up to the first unknown day and that
    /// day, so a caller can compute what is known and say what is not.
    pub fn periods_until_gap(&self, from: Date, to: Date) -> (Vec<RateSpan>, Option<Date>) {
        let mut spans = Vec::new();
        let mut day = from;
        while day <= to {
            let Some((index, row)) =
                self.rows.iter().enumerate().take_while(|(_, r)| r.valid_from <= day).last()
            else {
                return (spans, Some(day));
            };
            let Some(rate) = row.rate_percent else {
                return (spans, Some(day));
            };
            let next_start = self.rows.get(index + 1).map(|r| r.valid_from);
            let end = match next_start {
                Some(next) if add_days(next, -1) < to => add_days(next, -1),
                _ => to,
            };
            spans.push(RateSpan {
                from: day,
                to: end,
                rate_percent: rate,
                verified: row.verified,
                source: row.source.clone(),
            });
            let next_day = add_days(end, 1);
            if next_day <= end {
                break;
            }
            day = next_day;
        }
        (spans, None)
    }
}

fn parse_row(kind: RateKind, content: &str) -> Result<RateRow, String> {
    let (date_text, rest) =
        content.split_once(',').ok_or("expected valid_from,rate_percent,source,verified")?;
    let (rate_text, rest) = rest.split_once(',').ok_or("missing source and verified columns")?;
    let (source, verified_text) = rest.rsplit_once(',').ok_or("missing the verified column")?;
    let valid_from = parse_iso_date(date_text.trim())
        .map_err(|e| format!("valid_from '{}': {e}", date_text.trim()))?;
    let rate_percent = parse_rate(kind, rate_text.trim())?;
    let source = source.trim();
    if source.is_empty() {
        return Err("the source column is empty: every rate names its source".into());
    }
    let verified = match verified_text.trim() {
        "true" => true,
        "false" => false,
        other => return Err(format!("verified must be true or false, not '{other}'")),
    };
    Ok(RateRow { valid_from, rate_percent, source: source.to_owned(), verified })
}

fn parse_rate(kind: RateKind, text: &str) -> Result<Option<Decimal>, String> {
    if text == "?" {
        return Ok(None);
    }
    let body = text.strip_prefix('-').unwrap_or(text);
    let plain = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.matches('.').count() <= 1
        && !body.starts_with('.')
        && !body.ends_with('.');
    if !plain {
        return Err(format!("rate_percent '{text}' is not a plain decimal like 10.15 (or ?)"));
    }
    let rate = Decimal::from_str(text).map_err(|e| format!("rate_percent '{text}': {e}"))?;
    if rate.is_sign_negative() && !rate.is_zero() && !kind.allows_negative() {
        return Err(format!("rate_percent '{text}' is negative"));
    }
    if rate.abs() > Decimal::from(RATE_PERCENT_ABS_MAX) {
        return Err(format!("rate_percent '{text}' is above {RATE_PERCENT_ABS_MAX} %"));
    }
    Ok(Some(rate))
}

/// Every table arflow uses, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTables {
    nl_statutory: RateTable,
    nl_commercial: RateTable,
    be_b2b: RateTable,
    be_legal: RateTable,
    ecb_mro: RateTable,
}

impl RateTables {
    /// The tables shipped in this build (`crates/core/data/rates/*.txt`).
    ///
    /// # Errors
    /// [`RateTableError`] only if a shipped file is malformed, which a test of this crate rules
    /// out; the error is still returned rather than hidden.
    pub fn builtin() -> Result<RateTables, RateTableError> {
        let parse = |kind: RateKind| {
            RateTable::parse(kind, kind.builtin_text()).map_err(|e| RateTableError {
                line: e.line,
                reason: format!("{}: {}", kind.file_name(), e.reason),
            })
        };
        Ok(RateTables {
            nl_statutory: parse(RateKind::NlStatutory)?,
            nl_commercial: parse(RateKind::NlCommercial)?,
            be_b2b: parse(RateKind::BeB2b)?,
            be_legal: parse(RateKind::BeLegal)?,
            ecb_mro: parse(RateKind::EcbMro)?,
        })
    }

    /// Tables without a single rate: every interest is then withheld as "rate not known". Only a
    /// fallback when the shipped tables cannot be read.
    pub fn empty() -> RateTables {
        let empty =
            |kind: RateKind| RateTable { name: kind.file_name().to_owned(), rows: Vec::new() };
        RateTables {
            nl_statutory: empty(RateKind::NlStatutory),
            nl_commercial: empty(RateKind::NlCommercial),
            be_b2b: empty(RateKind::BeB2b),
            be_legal: empty(RateKind::BeLegal),
            ecb_mro: empty(RateKind::EcbMro),
        }
    }

    /// Parses a table text of `kind` (the same as [`RateTable::parse`]), for example a file of an
    /// override directory named [`RateKind::file_name`].
    ///
    /// # Errors
    /// [`RateTableError`] with the line and the reason.
    pub fn parse(kind: RateKind, text: &str) -> Result<RateTable, RateTableError> {
        RateTable::parse(kind, text)
    }

    /// The table of `kind`.
    pub fn get(&self, kind: RateKind) -> &RateTable {
        match kind {
            RateKind::NlStatutory => &self.nl_statutory,
            RateKind::NlCommercial => &self.nl_commercial,
            RateKind::BeB2b => &self.be_b2b,
            RateKind::BeLegal => &self.be_legal,
            RateKind::EcbMro => &self.ecb_mro,
        }
    }

    /// Replaces the table of `kind` by a text (for example a file of an override directory).
    ///
    /// # Errors
    /// [`RateTableError`] from [`RateTable::parse`]; the tables are unchanged then.
    pub fn replace(&mut self, kind: RateKind, text: &str) -> Result<(), RateTableError> {
        let table = RateTable::parse(kind, text)?;
        let slot = match kind {
            RateKind::NlStatutory => &mut self.nl_statutory,
            RateKind::NlCommercial => &mut self.nl_commercial,
            RateKind::BeB2b => &mut self.be_b2b,
            RateKind::BeLegal => &mut self.be_legal,
            RateKind::EcbMro => &mut self.ecb_mro,
        };
        *slot = table;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn every_builtin_table_parses() {
        let tables = RateTables::builtin().unwrap();
        for kind in RateKind::ALL {
            assert!(!tables.get(*kind).rows().is_empty(), "{kind}");
        }
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let cases = [
            ("2025-07-01,10.15,x,true\n2025-01-01,9,x,true", 2, "not after"),
            ("# c\n\n2025-07-01,1e5,x,true", 3, "plain decimal"),
            ("2025-07-01,-1,x,true", 1, "negative"),
            ("2025-07-01,101,x,true", 1, "above"),
            ("2025-07-01,10,x,yes", 1, "verified"),
            ("2025-07-01,10,,true", 1, "source"),
            ("2025-7-1,10,x,true", 1, "valid_from"),
            ("2025-07-01,10", 1, "missing"),
            ("2025-07-01,?,x,false", 0, "no known rate"),
        ];
        for (text, line, reason) in cases {
            let e = RateTable::parse(RateKind::NlCommercial, text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.reason.contains(reason), "{text}: {e}");
        }
        assert!(RateTable::parse(RateKind::EcbMro, "2014-06-11,-0.10,x,true").is_ok());
    }

    #[test]
    fn periods_split_at_every_row_and_stop_at_unknown_rates() {
        let t = RateTable::parse(
            RateKind::NlCommercial,
            "2025-01-01,11.15,a,true\n2025-07-01,10.15,b,true\n2026-01-01,10.15,c,true\n\
             2026-07-01,?,d,false",
        )
        .unwrap();
        let spans = t.periods(date(2025, 6, 1), date(2026, 2, 1)).unwrap();
        let bounds: Vec<_> = spans.iter().map(|s| (s.from, s.to)).collect();
        assert_eq!(
            bounds,
            vec![
                (date(2025, 6, 1), date(2025, 6, 30)),
                (date(2025, 7, 1), date(2025, 12, 31)),
                (date(2026, 1, 1), date(2026, 2, 1)),
            ]
        );
        assert_eq!(
            t.periods(date(2026, 6, 1), date(2026, 8, 1)).unwrap_err().date,
            date(2026, 7, 1)
        );
        assert_eq!(t.rate_on(date(2024, 12, 31)).unwrap_err().date, date(2024, 12, 31));
        assert!(t.periods(date(2026, 2, 2), date(2026, 2, 1)).unwrap().is_empty());
    }
}
