//! Reading requests at the edge: JSON bodies, query parameters, path keys and cursors, each
//! turned into a typed value or an [`ApiError`] that names the offending field.
//!
//! A request that cannot be read (bad JSON, wrong JSON type, unknown or missing field, bad query
//! parameter) is a 400 `bad_request`; a value that was read but is not acceptable (a date that
//! does not exist, a negative invoice amount) is a 422 `validation_failed`.

use std::collections::HashMap;

use arflow_core::date::{Date, parse_iso_date};
use arflow_core::money::{Currency, Money};
use arflow_store::{PAGE_LIMIT_MAX, Page};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;

/// Rows per page when `limit` is not given.
pub(crate) const PAGE_LIMIT_DEFAULT: u32 = 50;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

/// The part of axum's message before the serde error.
const DATA_ERROR_PREFIX: &str = "Failed to deserialize the JSON body into the target type: ";

/// The field a serde error is about (`address.city`, `emails[0].purpose`) and the error text.
pub(crate) fn serde_field(text: &str) -> (Option<String>, String) {
    let (path, rest) = match text.split_once(": ") {
        Some((p, r)) if !p.is_empty() && !p.contains(' ') && !p.contains('`') => (Some(p), r),
        _ => (None, text),
    };
    let named = ["unknown field `", "missing field `"].iter().find_map(|marker| {
        let start = rest.find(marker)? + marker.len();
        let len = rest.get(start..)?.find('`')?;
        rest.get(start..start + len)
    });
    let field = match (path, named) {
        // serde_path_to_error puts an unknown field at the end of the path already.
        (Some(p), Some(n)) if p == n || p.ends_with(&format!(".{n}")) => Some(p.to_owned()),
        (Some(p), Some(n)) => Some(format!("{p}.{n}")),
        (None, Some(n)) => Some(n.to_owned()),
        (Some(p), None) => Some(p.to_owned()),
        (None, None) => None,
    };
    (field, rest.to_owned())
}

fn json_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            let text = text.strip_prefix(DATA_ERROR_PREFIX).unwrap_or(&text);
            let (field, message) = serde_field(text);
            ApiError::bad_request(field.as_deref(), message)
        }
        JsonRejection::JsonSyntaxError(e) => {
            let text = e.body_text();
            let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
            ApiError::bad_request(None, format!("the body is not valid JSON: {detail}"))
        }
        other => ApiError::bad_request(None, other.body_text()),
    }
}

/// Parses `bytes` as JSON of type `T`.
///
/// # Errors
/// 400 `bad_request` naming the field when serde says which.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(None, "the request body is empty; send a JSON object"));
    }
    Json::<T>::from_bytes(bytes).map(|Json(v)| v).map_err(|r| json_error(&r))
}

/// The request body as bytes, within the route's body limit.
///
/// # Errors
/// 413 `payload_too_large`, or 400 when the body cannot be read.
pub(crate) async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        } else {
            ApiError::bad_request(None, r.body_text())
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// The one key of a resource path (`{number}`, `{id}`), percent-decoded.
#[derive(Debug)]
pub(crate) struct Key(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Key {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(k)| Key(k))
            .map_err(|r| ApiError::bad_request(None, r.body_text()))
    }
}

/// The query parameters of a request; each is taken once, and whatever is left is unknown.
#[derive(Debug)]
pub(crate) struct Params {
    values: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(values)| Params { values })
            .map_err(|r| ApiError::bad_request(None, r.body_text()))
    }
}

impl Params {
    /// A parameter's text; an empty value counts as absent.
    pub(crate) fn text(&mut self, name: &str) -> Option<String> {
        self.values.remove(name).filter(|v| !v.trim().is_empty()).map(|v| v.trim().to_owned())
    }

    pub(crate) fn bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => {
                Err(ApiError::bad_request(Some(name), format!("'{other}' is not true or false")))
            }
        }
    }

    /// A flag that can only narrow a list: `true`, or absent.
    pub(crate) fn only_true(&mut self, name: &str) -> Result<bool, ApiError> {
        match self.bool(name)? {
            None => Ok(false),
            Some(true) => Ok(true),
            Some(false) => Err(ApiError::bad_request(
                Some(name),
                format!("{name}=false is not a filter; leave {name} out to list everything"),
            )),
        }
    }

    pub(crate) fn date(&mut self, name: &str) -> Result<Option<Date>, ApiError> {
        self.text(name)
            .map(|t| {
                parse_iso_date(&t)
                    .map_err(|e| ApiError::bad_request(Some(name), format!("'{t}': {e}")))
            })
            .transpose()
    }

    pub(crate) fn currency(&mut self, name: &str) -> Result<Option<Currency>, ApiError> {
        self.text(name)
            .map(|t| {
                Currency::parse(&t)
                    .map_err(|e| ApiError::bad_request(Some(name), format!("'{t}': {e}")))
            })
            .transpose()
    }

    pub(crate) fn number(
        &mut self,
        name: &str,
        min: u32,
        max: u32,
    ) -> Result<Option<u32>, ApiError> {
        self.text(name)
            .map(|t| {
                t.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                    ApiError::bad_request(
                        Some(name),
                        format!("'{t}' is not a whole number from {min} to {max}"),
                    )
                })
            })
            .transpose()
    }

    /// `limit` and `cursor`: one page of the list `kind`.
    pub(crate) fn page(&mut self, kind: &str) -> Result<Page, ApiError> {
        let limit = self.number("limit", 1, PAGE_LIMIT_MAX)?.unwrap_or(PAGE_LIMIT_DEFAULT);
        Ok(match self.text("cursor") {
            None => Page::first(limit),
            Some(c) => Page::after(decode_cursor(kind, &c)?, limit),
        })
    }

    /// Refuses parameters the route does not know (a typo would otherwise list everything).
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        let mut unknown: Vec<&String> = self.values.keys().collect();
        unknown.sort();
        match unknown.first() {
            None => Ok(()),
            Some(name) => {
                Err(ApiError::bad_request(Some(name), format!("unknown query parameter '{name}'")))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

/// The cursor after the row `id` of the list `kind`. Opaque to clients; tied to its list, so a
/// payments cursor is refused by the invoices list.
pub(crate) fn encode_cursor(kind: &str, id: i64) -> String {
    hex(format!("{kind}.{id}").as_bytes())
}

/// # Errors
/// 400 `bad_request` with field `cursor` for anything [`encode_cursor`] did not make for `kind`.
pub(crate) fn decode_cursor(kind: &str, text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::bad_request(
            Some("cursor"),
            "not a cursor of this list; pass next_cursor as it was returned",
        )
    };
    let bytes = unhex(text).ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (k, id) = text.split_once('.').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    if k != kind || id <= 0 {
        return Err(bad());
    }
    Ok(id)
}

/// One page of a list: `{"data": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Serialize)]
pub(crate) struct ListOut<T: Serialize> {
    pub(crate) data: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

impl<T: Serialize> ListOut<T> {
    /// A page whose rows had the ids `ids`; a cursor is given only when the page is full.
    pub(crate) fn page(kind: &str, data: Vec<T>, last_id: Option<i64>, page: Page) -> ListOut<T> {
        let full = u32::try_from(data.len()).is_ok_and(|n| n >= page.limit);
        let next_cursor = last_id.filter(|_| full).map(|id| encode_cursor(kind, id));
        ListOut { data, next_cursor }
    }

    /// A complete list (no further pages).
    pub(crate) fn all(data: Vec<T>) -> ListOut<T> {
        ListOut { data, next_cursor: None }
    }
}

/// Parses a decimal amount given in JSON as a string, in `currency`.
///
/// # Errors
/// 422 `validation_failed` naming `field`.
pub(crate) fn money(field: &str, text: &str, currency: Currency) -> Result<Money, ApiError> {
    Money::parse(text, currency).map_err(|e| ApiError::invalid(field, format!("'{text}': {e}")))
}

/// Parses an ISO date given in JSON.
///
/// # Errors
/// 422 `validation_failed` naming `field`.
pub(crate) fn date(field: &str, text: &str) -> Result<Date, ApiError> {
    parse_iso_date(text).map_err(|e| ApiError::invalid(field, format!("'{text}': {e}")))
}

/// Parses a currency code given in JSON, or the default.
///
/// # Errors
/// 422 `validation_failed` naming `field`.
pub(crate) fn currency(
    field: &str,
    text: Option<&str>,
    default: Currency,
) -> Result<Currency, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => Currency::parse(t).map_err(|e| ApiError::invalid(field, format!("'{t}': {e}"))),
    }
}

/// Longest free text (descriptions, names, references) accepted, in bytes.
pub(crate) const TEXT_BYTES_MAX: usize = 4096;

/// Longest key (invoice, debtor or credit-note number, external id), in bytes.
pub(crate) const KEY_BYTES_MAX: usize = 255;

/// Checks a free-text value: trimmed, no control characters, at most `max` bytes; empty
/// becomes `None`.
///
/// # Errors
/// 422 `validation_failed` naming `field`.
pub(crate) fn text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > max {
        return Err(ApiError::invalid(field, format!("at most {max} bytes")));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, "control characters are not allowed"));
    }
    Ok(Some(v.to_owned()))
}

/// Like [`text`], for a value that must be there.
///
/// # Errors
/// 422 `validation_failed` naming `field`.
pub(crate) fn required(field: &str, value: String, max: usize) -> Result<String, ApiError> {
    text(field, Some(value), max)?.ok_or_else(|| ApiError::invalid(field, "must not be empty"))
}

/// Percent-encodes one path segment (for `Location` headers and links).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage_and_other_lists() {
        let c = encode_cursor("invoices", 42);
        assert_eq!(decode_cursor("invoices", &c), Ok(42));
        assert!(decode_cursor("payments", &c).is_err());
        for garbage in ["", "zz", "abc", "!!", &encode_cursor("invoices", -1), &hex(b"invoices.x")]
        {
            let e = decode_cursor("invoices", garbage).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("cursor"));
        }
    }

    #[test]
    fn serde_errors_name_their_field() {
        assert_eq!(
            serde_field("unknown field `amout`, expected one of `amount`").0.as_deref(),
            Some("amout")
        );
        assert_eq!(
            serde_field("missing field `name` at line 1 column 2").0.as_deref(),
            Some("name")
        );
        assert_eq!(
            serde_field("amount: invalid type: integer `5`, expected a string at line 1 column 12")
                .0
                .as_deref(),
            Some("amount")
        );
        assert_eq!(serde_field("address: unknown field `town`").0.as_deref(), Some("address.town"));
        assert_eq!(
            serde_field("address.town: unknown field `town`").0.as_deref(),
            Some("address.town")
        );
        assert_eq!(serde_field("nmae: unknown field `nmae`").0.as_deref(), Some("nmae"));
        assert_eq!(serde_field("expected value at line 1 column 1").0, None);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("F 2026/1"), "F%202026%2F1");
        assert_eq!(segment("D-1_a.b~"), "D-1_a.b~");
    }
}
