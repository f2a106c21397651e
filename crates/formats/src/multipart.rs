//! `multipart/form-data` (RFC 7578): the body a browser sends for a form with a file input.
//!
//! Only what forms send is read: parts separated by the boundary, each with a
//! `Content-Disposition: form-data; name="…"` header, an optional `filename` and
//! `Content-Type`. Limits on the number of parts and on header size keep a hostile body from
//! costing more than its length; the caller limits the body's length.

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    pub name: String,
    /// Set for a file input (possibly empty when no file was chosen).
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the request is not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the form data has no opening boundary")]
    NoOpeningBoundary,
    #[error("part {0} of the form data ends before its closing boundary")]
    Unterminated(usize),
    #[error("part {0} of the form data has malformed headers")]
    BadHeaders(usize),
    #[error("part {0} of the form data has no form-data name")]
    NoName(usize),
    #[error("the form data has more than {PARTS_MAX} parts")]
    TooManyParts,
}

/// At most this many parts are read.
pub const PARTS_MAX: usize = 64;
/// At most this many bytes of headers per part.
const HEADERS_MAX: usize = 8 * 1024;

/// The boundary of a `Content-Type: multipart/form-data; boundary=…` value.
///
/// # Errors
/// [`MultipartError::NotMultipart`].
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let kind = params.next().unwrap_or_default().trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NotMultipart);
    }
    for p in params {
        let Some((k, v)) = p.split_once('=') else { continue };
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim().trim_matches('"');
            // RFC 2046: 1 to 70 characters.
            if v.is_empty() || v.len() > 70 {
                return Err(MultipartError::NotMultipart);
            }
            return Ok(v.to_owned());
        }
    }
    Err(MultipartError::NotMultipart)
}

/// The position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = hay.get(from..)?;
    if needle.is_empty() || rest.len() < needle.len() {
        return None;
    }
    let first = *needle.first()?;
    let mut i = 0;
    while i + needle.len() <= rest.len() {
        let off = rest.get(i..)?.iter().position(|&b| b == first)?;
        i += off;
        if rest.get(i..i + needle.len())? == needle {
            return Some(from + i);
        }
        i += 1;
    }
    None
}

/// The parts of `body`, in order.
///
/// # Errors
/// [`MultipartError`] for a body that is not well-formed form data.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<FormPart>, MultipartError> {
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    // The opening boundary: at the start, or after a preamble ending in CRLF.
    let mut pos = if body.starts_with(opening.as_bytes()) {
        opening.len()
    } else {
        find(body, delimiter.as_bytes(), 0).ok_or(MultipartError::NoOpeningBoundary)?
            + delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let after = body.get(pos..).unwrap_or_default();
        if after.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then CRLF.
        let line_end =
            find(body, b"\r\n", pos).ok_or(MultipartError::Unterminated(parts.len() + 1))?;
        let n = parts.len() + 1;
        if n > PARTS_MAX {
            return Err(MultipartError::TooManyParts);
        }
        let headers_start = line_end + 2;
        // The headers end at the first blank line; a part without headers starts with it.
        let (headers, data_start) =
            if body.get(headers_start..).unwrap_or_default().starts_with(b"\r\n") {
                ("", headers_start + 2)
            } else {
                let end = find(body, b"\r\n\r\n", headers_start)
                    .filter(|e| e - headers_start <= HEADERS_MAX)
                    .ok_or(MultipartError::BadHeaders(n))?;
                let text = std::str::from_utf8(body.get(headers_start..end).unwrap_or_default())
                    .map_err(|_| MultipartError::BadHeaders(n))?;
                (text, end + 4)
            };
        let data_end =
            find(body, delimiter.as_bytes(), data_start).ok_or(MultipartError::Unterminated(n))?;
        let data = body.get(data_start..data_end).ok_or(MultipartError::Unterminated(n))?;
        parts.push(part(headers, data, n)?);
        pos = data_end + delimiter.len();
    }
}

fn part(headers: &str, data: &[u8], n: usize) -> Result<FormPart, MultipartError> {
    let mut name = None;
    let mut file_name = None;
    let mut content_type = None;
    for line in headers.split("\r\n").filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            return Err(MultipartError::BadHeaders(n));
        };
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let mut params = value.split(';');
            if !params.next().unwrap_or_default().trim().eq_ignore_ascii_case("form-data") {
                return Err(MultipartError::BadHeaders(n));
            }
            for p in params {
                let Some((k, v)) = p.split_once('=') else { continue };
                let v = v.trim();
                let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
                match k.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(v.to_owned()),
                    "filename" => file_name = Some(v.to_owned()),
                    _ => {}
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Ok(FormPart {
        name: name.ok_or(MultipartError::NoName(n))?,
        file_name,
        content_type,
        data: data.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\0--X\r\n--XyZ--\r\n";

    #[test]
    fn a_browser_form_with_a_file_is_read() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").unwrap(), "XyZ");
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"").unwrap(),
            "a b"
        );
        assert_eq!(
            boundary("application/x-www-form-urlencoded"),
            Err(MultipartError::NotMultipart)
        );
        assert_eq!(boundary("multipart/form-data"), Err(MultipartError::NotMultipart));
        let parts = parse(BODY, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            FormPart {
                name: "csrf".into(),
                file_name: None,
                content_type: None,
                data: b"abc".to_vec()
            }
        );
        assert_eq!(parts[1].name, "logo");
        assert_eq!(parts[1].file_name.as_deref(), Some("logo.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        // The data keeps its CRLFs and a look-alike of the boundary.
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x1a\n\0--X".to_vec());
        // An empty file input and a preamble.
        let body = b"preamble\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--b--";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts[0].file_name.as_deref(), Some(""));
        assert!(parts[0].data.is_empty());
    }

    #[test]
    fn broken_bodies_are_refused_with_the_part() {
        assert_eq!(parse(b"nothing here", "b"), Err(MultipartError::NoOpeningBoundary));
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "b"),
            Err(MultipartError::Unterminated(1))
        );
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "b"),
            Err(MultipartError::NoName(1))
        );
        assert_eq!(
            parse(b"--b\r\nno colon\r\n\r\nx\r\n--b--", "b"),
            Err(MultipartError::BadHeaders(1))
        );
        let many: Vec<u8> = (0..=PARTS_MAX)
            .flat_map(|_| {
                b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n".to_vec()
            })
            .chain(b"--b--".to_vec())
            .collect();
        assert_eq!(parse(&many, "b"), Err(MultipartError::TooManyParts));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), b in "[a-z]{1,5}") {
            let _ = parse(&body, &b);
        }

        #[test]
        fn mutated_forms_never_panic(cut in 0..BODY.len(), byte in any::<u8>(), at in 0..BODY.len()) {
            let mut body = BODY.to_vec();
            body[at] = byte;
            let _ = parse(&body, "XyZ");
            let _ = parse(&body[..cut], "XyZ");
        }

        #[test]
        fn any_field_value_round_trips(value in proptest::collection::vec(any::<u8>(), 0..200)) {
            // A browser picks a boundary that does not occur in the data.
            prop_assume!(find(&value, b"\r\n--Bnd7", 0).is_none() && !value.starts_with(b"--Bnd7"));
            let mut body = b"--Bnd7\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n".to_vec();
            body.extend_from_slice(&value);
            body.extend_from_slice(b"\r\n--Bnd7--\r\n");
            let parts = parse(&body, "Bnd7").unwrap();
            prop_assert_eq!(&parts[0].data, &value);
        }
    }
}
