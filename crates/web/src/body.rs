//! Reading request bodies: the size limit and content types, as problems.

use axum::{
    extract::rejection::BytesRejection,
    http::{HeaderMap, header},
};
use bytes::Bytes;

use crate::{Code, MAX_BODY_BYTES, Problem};

/// Turns axum's body rejection into our problem.
pub fn bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(Code::BodyTooLarge, format!("The body is over the limit of {MAX_BODY_BYTES} bytes."))
        }
        other => Problem::new(Code::InvalidParameter, format!("The body could not be read: {other}.")),
    })
}

/// Refuses a body whose declared content type is not JSON. A missing
/// content type is taken as JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), Problem> {
    match headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("")) {
        None => Ok(()),
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if essence == "application/json" || essence.ends_with("+json") {
                Ok(())
            } else {
                Err(Problem::new(
                    Code::UnsupportedMediaType,
                    format!("The body must be application/json, not `{essence}`."),
                ))
            }
        }
    }
}
