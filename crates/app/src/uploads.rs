//! Uploaded forms (`multipart/form-data`) as the pages receive them: the web layer hands the
//! body and its content type here and gets the fields, so that it needs no parser of its own.

pub use arflow_formats::multipart::{FormPart, MultipartError};

/// The fields of a form body sent with `content_type`.
///
/// # Errors
/// [`MultipartError`] for a body that is not well-formed form data.
pub fn form_parts(content_type: &str, body: &[u8]) -> Result<Vec<FormPart>, MultipartError> {
    let boundary = arflow_formats::multipart::boundary(content_type)?;
    arflow_formats::multipart::parse(body, &boundary)
}
