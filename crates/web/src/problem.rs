//! Errors as RFC 9457 problem details. Every error a client can see has a
//! stable code from [`Code`], which alone decides the HTTP status and the
//! title; the `detail` sentence says what was wrong with this request.
//! Internal causes go to the log, never to the client.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// Every error code a client can see. The snake_case names are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    InvalidJson,
    InvalidUtf8,
    InvalidParameter,
    InvalidQuery,
    InvalidEmail,
    Unauthorized,
    Forbidden,
    CsrfFailed,
    RateLimited,
    SignatureMissing,
    SignatureInvalid,
    WebhookNotConfigured,
    VerifyTokenMismatch,
    NotFound,
    MethodNotAllowed,
    BodyTooLarge,
    TooManyItems,
    UnsupportedMediaType,
    ValidationFailed,
    Conflict,
    StoreUnavailable,
    Internal,
}

impl Code {
    pub const ALL: [Code; 22] = [
        Code::InvalidJson,
        Code::InvalidUtf8,
        Code::InvalidParameter,
        Code::InvalidQuery,
        Code::InvalidEmail,
        Code::Unauthorized,
        Code::Forbidden,
        Code::CsrfFailed,
        Code::RateLimited,
        Code::SignatureMissing,
        Code::SignatureInvalid,
        Code::WebhookNotConfigured,
        Code::VerifyTokenMismatch,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::BodyTooLarge,
        Code::TooManyItems,
        Code::UnsupportedMediaType,
        Code::ValidationFailed,
        Code::Conflict,
        Code::StoreUnavailable,
        Code::Internal,
    ];

    /// The one table from code to status and title.
    pub fn status_and_title(self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Code::InvalidJson => (S::BAD_REQUEST, "The body is not valid JSON"),
            Code::InvalidUtf8 => (S::BAD_REQUEST, "The body is not valid UTF-8"),
            Code::InvalidParameter => (S::BAD_REQUEST, "A query parameter is not valid"),
            Code::InvalidQuery => (S::BAD_REQUEST, "The search query cannot be run"),
            Code::InvalidEmail => (S::UNPROCESSABLE_ENTITY, "The email cannot be read"),
            Code::Unauthorized => (S::UNAUTHORIZED, "Sign in, or send a valid bearer token"),
            Code::Forbidden => (S::FORBIDDEN, "Your role does not allow this"),
            Code::CsrfFailed => (S::FORBIDDEN, "The request did not come from a Firebreak page"),
            Code::RateLimited => (S::TOO_MANY_REQUESTS, "Too many attempts"),
            Code::SignatureMissing => (S::UNAUTHORIZED, "The request is not signed"),
            Code::SignatureInvalid => (S::UNAUTHORIZED, "The request signature does not match"),
            Code::WebhookNotConfigured => (S::FORBIDDEN, "This webhook has no secret configured"),
            Code::VerifyTokenMismatch => (S::FORBIDDEN, "The verify token does not match"),
            Code::NotFound => (S::NOT_FOUND, "Not found"),
            Code::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "Method not allowed"),
            Code::BodyTooLarge => (S::PAYLOAD_TOO_LARGE, "The body is too large"),
            Code::TooManyItems => (S::PAYLOAD_TOO_LARGE, "The batch has too many items"),
            Code::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "Unsupported content type"),
            Code::ValidationFailed => (S::UNPROCESSABLE_ENTITY, "Some items are not valid"),
            Code::Conflict => (S::CONFLICT, "This conflicts with what is there"),
            Code::StoreUnavailable => (S::SERVICE_UNAVAILABLE, "The store cannot take this now"),
            Code::Internal => (S::INTERNAL_SERVER_ERROR, "Something went wrong on our side"),
        }
    }

    /// The code's stable name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJson => "invalid_json",
            Code::InvalidUtf8 => "invalid_utf8",
            Code::InvalidParameter => "invalid_parameter",
            Code::InvalidQuery => "invalid_query",
            Code::InvalidEmail => "invalid_email",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::CsrfFailed => "csrf_failed",
            Code::RateLimited => "rate_limited",
            Code::SignatureMissing => "signature_missing",
            Code::SignatureInvalid => "signature_invalid",
            Code::WebhookNotConfigured => "webhook_not_configured",
            Code::VerifyTokenMismatch => "verify_token_mismatch",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::BodyTooLarge => "body_too_large",
            Code::TooManyItems => "too_many_items",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::ValidationFailed => "validation_failed",
            Code::Conflict => "conflict",
            Code::StoreUnavailable => "store_unavailable",
            Code::Internal => "internal",
        }
    }
}

/// One bad item of a batch, or one bad field of a request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    /// A finer stable code than `code` for a refusal by the community's
    /// rules (`CommunityError::code`: `not_author`, `already_voted`...):
    /// sent as `code`, with the class's `code` as `type`.
    pub refusal: Option<&'static str>,
}

impl Problem {
    pub fn new(code: Code, detail: impl Into<String>) -> Problem {
        Problem { code, detail: detail.into(), errors: Vec::new(), refusal: None }
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Problem {
        self.errors = errors;
        self
    }

    /// A refusal with the community's own code.
    pub fn refused(code: Code, refusal: &'static str, detail: impl Into<String>) -> Problem {
        Problem { refusal: Some(refusal), ..Problem::new(code, detail) }
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(Code::NotFound, format!("There is no {what}."))
    }

    /// Hides an internal failure from the client and logs it.
    pub fn internal(cause: impl std::fmt::Display) -> Problem {
        tracing::error!(error = %cause, "internal error");
        Problem::new(Code::Internal, "The server failed to handle the request; the failure is logged.")
    }
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldProblem]>::is_empty")]
    errors: &'a [FieldProblem],
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (status, title) = self.code.status_and_title();
        let body = Body {
            kind: format!("/problems/{}", self.code.as_str()),
            title,
            status: status.as_u16(),
            detail: &self.detail,
            code: self.refusal.unwrap_or(self.code.as_str()),
            errors: &self.errors,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, bytes).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_snake_case_name() {
        for c in Code::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert!(c.status_and_title().0.is_client_error() || c.status_and_title().0.is_server_error());
        }
    }
}
