//! User-written text: the body of a message and a person's display name, with
//! their size limits.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The largest message body we store, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The body of a message: UTF-8, at most [`MAX_TEXT_BYTES`], no NUL.
/// It may be empty (a photo with no caption, an email with no text part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageText(String);

impl MessageText {
    /// The strict parser used for text a client sent us: too long is an error.
    pub fn parse(s: impl Into<String>) -> Result<MessageText, FieldError> {
        let s = s.into();
        if s.len() > MAX_TEXT_BYTES {
            return Err(FieldError::new(
                "text_too_long",
                format!("the text is {} bytes; the limit is {MAX_TEXT_BYTES}", s.len()),
            ));
        }
        if s.contains('\0') {
            return Err(FieldError::new("control_character", "the text contains a NUL character"));
        }
        Ok(MessageText(s))
    }

    /// The lenient constructor used by connectors for text that a platform
    /// sent us (a long email, a blog post): NUL characters are removed and the
    /// text is cut at the last character boundary within the limit, so that
    /// the message is kept rather than refused. Returns whether it was cut.
    pub fn clamp(s: &str) -> (MessageText, bool) {
        let cleaned: std::borrow::Cow<'_, str> = if s.contains('\0') { s.replace('\0', "").into() } else { s.into() };
        if cleaned.len() <= MAX_TEXT_BYTES {
            return (MessageText(cleaned.into_owned()), false);
        }
        let mut end = MAX_TEXT_BYTES;
        while !cleaned.is_char_boundary(end) {
            end -= 1;
        }
        (MessageText(cleaned[..end].to_owned()), true)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for MessageText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MessageText::parse(s).map_err(serde::de::Error::custom)
    }
}

/// A person's display name: at most 512 bytes, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_BYTES: usize = 512;

    pub fn parse(s: &str) -> Result<DisplayName, FieldError> {
        if s.len() > Self::MAX_BYTES {
            return Err(FieldError::new(
                "too_long",
                format!("the name is {} bytes; the limit is {}", s.len(), Self::MAX_BYTES),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("control_character", "the name contains a control character"));
        }
        Ok(DisplayName(s.to_owned()))
    }

    /// The lenient constructor for names a platform sent: control characters
    /// become spaces, the name is trimmed and cut to the limit. `None` when
    /// nothing is left.
    pub fn clean(s: &str) -> Option<DisplayName> {
        let replaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let trimmed = replaced.trim();
        if trimmed.is_empty() {
            return None;
        }
        let mut end = trimmed.len().min(Self::MAX_BYTES);
        while !trimmed.is_char_boundary(end) {
            end -= 1;
        }
        Some(DisplayName(trimmed[..end].to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for DisplayName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DisplayName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_over_the_limit_is_refused_by_parse_and_cut_by_clamp() {
        let long = "é".repeat(MAX_TEXT_BYTES); // two bytes each
        assert_eq!(MessageText::parse(long.clone()).unwrap_err().code, "text_too_long");
        let (t, cut) = MessageText::clamp(&long);
        assert!(cut);
        assert_eq!(t.as_str().len(), MAX_TEXT_BYTES);
        assert!(MessageText::parse("x".repeat(MAX_TEXT_BYTES)).is_ok());
    }

    proptest! {
        #[test]
        fn clamp_is_always_within_the_limit_and_valid(s in ".{0,300}", n in 0usize..400) {
            let big = s.repeat(n);
            let (t, cut) = MessageText::clamp(&big);
            prop_assert!(t.as_str().len() <= MAX_TEXT_BYTES);
            prop_assert!(!t.as_str().contains('\0'));
            prop_assert_eq!(cut, big.replace('\0', "").len() > MAX_TEXT_BYTES);
            prop_assert!(MessageText::parse(t.into_string()).is_ok());
        }

        #[test]
        fn clean_names_parse(s in ".{0,600}") {
            if let Some(n) = DisplayName::clean(&s) {
                prop_assert!(DisplayName::parse(n.as_str()).is_ok());
            }
        }
    }
}
