//! The errors shared by every parser in this crate: [`ParseError`] for a
//! payload that cannot be read, [`RowError`] for one bad row of a bulk file.
//! Each has a stable snake_case code (it reaches API clients and the CLI's
//! summary) and a sentence for people.

use firebreak_domain::FieldError;

/// Why a platform payload (a webhook body, an API response, an email, a feed)
/// could not be turned into messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not UTF-8 where the format requires it.
    #[error("the body is not valid UTF-8 (the first bad byte is at offset {valid_up_to})")]
    InvalidUtf8 { valid_up_to: usize },
    /// The bytes are not JSON at all.
    #[error("the body is not valid JSON: {detail}")]
    MalformedJson { detail: String },
    /// The payload is well formed but one value in it is missing or wrong.
    /// `field` is a path such as `data[0].author_id`; `code` is the rule it
    /// broke (`missing_field`, `invalid_type`, `empty`, `invalid_timestamp`...).
    #[error("`{field}`: {message}")]
    InvalidField { field: String, code: &'static str, message: String },
    /// The platform answered with an error instead of data.
    #[error("the platform reported an error: {message}")]
    PlatformError { message: String },
    /// The bytes are not an RFC 5322 message (no header could be read).
    #[error("the input is not an email message: no header could be read")]
    NotAnEmail,
    /// The bytes are not an RSS, Atom or JSON Feed document.
    #[error("the input is not an RSS, Atom or JSON feed: {detail}")]
    NotAFeed { detail: String },
}

impl ParseError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::InvalidUtf8 { .. } => "invalid_utf8",
            ParseError::MalformedJson { .. } => "malformed_json",
            ParseError::InvalidField { code, .. } => code,
            ParseError::PlatformError { .. } => "platform_error",
            ParseError::NotAnEmail => "not_an_email",
            ParseError::NotAFeed { .. } => "not_a_feed",
        }
    }

    /// A value at `field` broke the rule described by a domain error.
    pub(crate) fn field(field: impl Into<String>, err: FieldError) -> ParseError {
        ParseError::InvalidField { field: field.into(), code: err.code, message: err.message }
    }

    /// A required value at `field` is absent.
    pub(crate) fn missing(field: impl Into<String>) -> ParseError {
        let field = field.into();
        let message = format!("`{field}` is required");
        ParseError::InvalidField { field, code: "missing_field", message }
    }
}

/// One row (or line) of a bulk file that was not imported. The other rows are
/// unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RowError {
    /// The 1-based line of the file where the row starts.
    pub line: u64,
    /// The column or JSON path at fault, when one is.
    pub field: Option<String>,
    /// A stable snake_case code: the domain's codes (`empty`,
    /// `invalid_timestamp`...) or `missing_column`, `invalid_value`,
    /// `malformed_row`, `io_error`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl RowError {
    pub(crate) fn new(line: u64, field: Option<&str>, code: &'static str, message: impl Into<String>) -> RowError {
        RowError { line, field: field.map(str::to_owned), code, message: message.into() }
    }

    /// A value in `column` broke the rule described by a domain error.
    pub(crate) fn column(line: u64, column: &str, err: FieldError) -> RowError {
        RowError {
            line,
            field: Some(column.to_owned()),
            code: err.code,
            message: format!("column `{column}`: {}", err.message),
        }
    }

    pub(crate) fn io(line: u64, err: &std::io::Error) -> RowError {
        RowError::new(line, None, "io_error", format!("the file could not be read: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_sentences() {
        let e = ParseError::missing("data[0].author_id");
        assert_eq!(e.code(), "missing_field");
        assert_eq!(e.to_string(), "`data[0].author_id`: `data[0].author_id` is required");
        assert_eq!(ParseError::NotAnEmail.code(), "not_an_email");
        let r = RowError::column(7, "tweet_id", FieldError::new("empty", "an external id must not be empty"));
        assert_eq!(r.to_string(), "line 7: column `tweet_id`: an external id must not be empty");
        assert_eq!(r.code, "empty");
    }
}
