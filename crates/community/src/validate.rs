//! The limits on what members write: titles, bodies, names, slugs, amounts.
//! Each check answers the cleaned value or an [`Invalid`] that names the
//! field and carries a stable snake_case code (reusing the domain's
//! [`FieldError`] shape: a code and a sentence).

use firebreak_domain::FieldError;
use thiserror::Error;

/// The longest title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 200;
/// The largest post or idea body, in bytes of Markdown.
pub const MAX_BODY_BYTES: usize = 20_000;
/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// The longest board or charity slug, in bytes.
pub const MAX_SLUG_BYTES: usize = 64;
/// The longest moderation reason, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;
/// The most points one redemption may take.
pub const MAX_REDEMPTION: i64 = 1_000_000_000;

/// A value that breaks a limit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{field}`: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Invalid {
        Invalid { field, code, message: message.into() }
    }

    /// A domain parse error, placed on a field.
    pub fn from_field(field: &'static str, e: FieldError) -> Invalid {
        Invalid { field, code: e.code, message: e.message }
    }
}

/// A topic's or idea's title: trimmed, 1 to [`MAX_TITLE_CHARS`] characters,
/// no control characters.
pub fn title(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Invalid::new("title", "empty_title", "the title is empty"));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(Invalid::new("title", "title_too_long", format!("the title is over {MAX_TITLE_CHARS} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(Invalid::new("title", "invalid_title", "the title has control characters"));
    }
    Ok(t.to_owned())
}

/// A post's or idea's Markdown: not blank, at most [`MAX_BODY_BYTES`]
/// bytes. Kept as written (leading spaces matter in Markdown), less
/// trailing whitespace.
pub fn body(s: &str) -> Result<String, Invalid> {
    if s.len() > MAX_BODY_BYTES {
        return Err(Invalid::new("body", "body_too_long", format!("the text is over {MAX_BODY_BYTES} bytes")));
    }
    if s.trim().is_empty() {
        return Err(Invalid::new("body", "empty_body", "the text is empty"));
    }
    if s.contains('\0') {
        return Err(Invalid::new("body", "invalid_body", "the text has a NUL character"));
    }
    Ok(s.trim_end().to_owned())
}

/// A member's display name: trimmed, 1 to [`MAX_NAME_CHARS`] characters.
pub fn display_name(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_NAME_CHARS || t.chars().any(char::is_control) {
        return Err(Invalid::new(
            "display_name",
            "invalid_display_name",
            format!("the name is 1 to {MAX_NAME_CHARS} characters without control characters"),
        ));
    }
    Ok(t.to_owned())
}

/// An email address, lower-cased (the domain's rules).
pub fn email(s: &str) -> Result<String, Invalid> {
    firebreak_domain::Email::parse(&s.trim().to_lowercase())
        .map(|e| e.as_str().to_owned())
        .map_err(|e| Invalid::from_field("email", e))
}

/// A slug (a board's address, a charity's key): lower-case ASCII letters,
/// digits and `-`, 1 to [`MAX_SLUG_BYTES`] bytes, not starting or ending
/// with `-`.
pub fn slug(field: &'static str, s: &str) -> Result<String, Invalid> {
    let ok = !s.is_empty()
        && s.len() <= MAX_SLUG_BYTES
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        return Err(Invalid::new(
            field,
            "invalid_slug",
            format!("use 1 to {MAX_SLUG_BYTES} lower-case letters, digits and dashes"),
        ));
    }
    Ok(s.to_owned())
}

/// A board's name: trimmed, 1 to 100 characters.
pub fn board_name(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(Invalid::new("name", "invalid_name", "the name is 1 to 100 characters"));
    }
    Ok(t.to_owned())
}

/// A board's description: at most 2,000 characters.
pub fn description(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.chars().count() > 2_000 {
        return Err(Invalid::new("description", "description_too_long", "the description is over 2,000 characters"));
    }
    Ok(t.to_owned())
}

/// Why a moderator acted: trimmed, 1 to [`MAX_REASON_CHARS`] characters.
pub fn reason(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_REASON_CHARS {
        return Err(Invalid::new(
            "reason",
            "invalid_reason",
            format!("give a reason of 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// An amount of points to redeem: 1 to [`MAX_REDEMPTION`].
pub fn points(amount: i64) -> Result<i64, Invalid> {
    if !(1..=MAX_REDEMPTION).contains(&amount) {
        return Err(Invalid::new("points", "invalid_points", format!("redeem 1 to {MAX_REDEMPTION} points")));
    }
    Ok(amount)
}

/// An idempotency key a client chose for a request: 1 to 100 printable
/// ASCII characters.
pub fn request_id(s: &str) -> Result<String, Invalid> {
    if s.is_empty() || s.len() > 100 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Invalid::new("request_id", "invalid_request_id", "use 1 to 100 printable ASCII characters"));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(title("  Wi-Fi drops  ").unwrap(), "Wi-Fi drops");
        assert_eq!(title("   ").unwrap_err().code, "empty_title");
        assert_eq!(title("").unwrap_err().field, "title");
        assert!(title(&"é".repeat(200)).is_ok());
        assert_eq!(title(&"é".repeat(201)).unwrap_err().code, "title_too_long");
        assert_eq!(title("a\u{7}b").unwrap_err().code, "invalid_title");
    }

    #[test]
    fn bodies() {
        assert_eq!(body("  indented\n\n").unwrap(), "  indented");
        assert_eq!(body(" \n\t").unwrap_err().code, "empty_body");
        assert!(body(&"a".repeat(MAX_BODY_BYTES)).is_ok());
        let e = body(&"a".repeat(MAX_BODY_BYTES + 1)).unwrap_err();
        assert_eq!((e.field, e.code), ("body", "body_too_long"));
    }

    #[test]
    fn slugs_names_and_amounts() {
        assert!(slug("board", "billing-help").is_ok());
        for bad in ["", "-a", "a-", "Caps", "a b", "ü"] {
            assert_eq!(slug("board", bad).unwrap_err().code, "invalid_slug", "{bad:?}");
        }
        assert_eq!(email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        assert_eq!(email("nope").unwrap_err().field, "email");
        assert_eq!(display_name("").unwrap_err().code, "invalid_display_name");
        assert_eq!(points(0).unwrap_err().code, "invalid_points");
        assert_eq!(points(5).unwrap(), 5);
        assert_eq!(reason(" ").unwrap_err().code, "invalid_reason");
        assert_eq!(request_id("r 1").unwrap_err().code, "invalid_request_id");
    }
}
