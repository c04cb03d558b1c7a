//! Identifiers: our own row ids, and the identifiers platforms give to
//! messages, people, threads and languages, each checked once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{FieldError, channel::truncate_for_message};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

row_id!(
    /// A stored message.
    MessageId
);
row_id!(
    /// A customer record.
    CustomerId
);
row_id!(
    /// A person on one channel.
    IdentityId
);
row_id!(
    /// A conversation: messages joined by reply links and thread ids.
    ConversationId
);
row_id!(
    /// A case: the work of answering one customer, across channels.
    CaseId
);

/// Checks the rules shared by opaque platform identifiers: not empty, not too
/// long, no control characters.
fn opaque(s: &str, what: &str, max: usize) -> Result<(), FieldError> {
    if s.is_empty() {
        return Err(FieldError::new("empty", format!("{what} must not be empty")));
    }
    if s.len() > max {
        return Err(FieldError::new("too_long", format!("{what} is {} bytes; the limit is {max}", s.len())));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            "control_character",
            format!("{what} `{}` contains a control character", truncate_for_message(s).escape_debug()),
        ));
    }
    Ok(())
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $what:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_BYTES: usize = $max;

            pub fn parse(s: impl Into<String>) -> Result<Self, FieldError> {
                let s = s.into();
                opaque(&s, $what, $max)?;
                Ok(Self(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

opaque_id!(
    /// The identifier a platform gave a message (a tweet id, a Graph API
    /// comment id, an email Message-ID). Unique per channel.
    ExternalId,
    "an external id",
    1024
);
opaque_id!(
    /// The identifier a platform gave a person (an X user id, a page-scoped
    /// Facebook id, an email address, a phone number).
    PlatformUserId,
    "an author id",
    1024
);
opaque_id!(
    /// The platform's own key for a conversation, when it has one (an X
    /// conversation id, the root Message-ID of an email thread, a Messenger
    /// thread).
    ThreadKey,
    "a thread id",
    1024
);

/// A person's public name on a platform (`@` removed): `united`, `jnardino`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Handle(String);

impl Handle {
    pub const MAX_BYTES: usize = 256;

    /// Parses a handle, dropping one leading `@`.
    pub fn parse(s: &str) -> Result<Handle, FieldError> {
        let s = s.strip_prefix('@').unwrap_or(s);
        opaque(s, "a handle", Self::MAX_BYTES)?;
        if s.chars().any(char::is_whitespace) {
            return Err(FieldError::new(
                "whitespace",
                format!("the handle `{}` contains whitespace", truncate_for_message(s)),
            ));
        }
        Ok(Handle(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Handle {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Handle::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A language tag such as `en`, `es`, `pt-BR` or X's `und` (undetermined).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    pub fn parse(s: &str) -> Result<Language, FieldError> {
        let valid = !s.is_empty()
            && s.len() <= 16
            && s.split('-').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
            && s.split('-')
                .next()
                .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
        if !valid {
            return Err(FieldError::new(
                "invalid_language",
                format!("`{}` is not a language tag such as `en` or `pt-BR`", truncate_for_message(s)),
            ));
        }
        Ok(Language(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Language::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_lose_one_at_sign() {
        assert_eq!(Handle::parse("@united").unwrap().as_str(), "united");
        assert_eq!(Handle::parse("@@x").unwrap().as_str(), "@x");
        assert_eq!(Handle::parse("a b").unwrap_err().code, "whitespace");
        assert_eq!(Handle::parse("@").unwrap_err().code, "empty");
    }

    #[test]
    fn external_ids_reject_control_characters_and_length() {
        assert!(ExternalId::parse("570306133677760513").is_ok());
        assert_eq!(ExternalId::parse("a\0b").unwrap_err().code, "control_character");
        assert_eq!(ExternalId::parse("").unwrap_err().code, "empty");
        assert_eq!(ExternalId::parse("x".repeat(1025)).unwrap_err().code, "too_long");
    }

    #[test]
    fn language_tags() {
        assert_eq!(Language::parse("pt-BR").unwrap().as_str(), "pt-br");
        assert!(Language::parse("und").is_ok());
        assert!(Language::parse("english").is_err());
        assert!(Language::parse("e1").is_err());
        assert!(Language::parse("en-").is_err());
    }

    proptest::proptest! {
        #[test]
        fn id_parsers_never_panic(s in ".*") {
            let _ = ExternalId::parse(s.clone());
            let _ = Handle::parse(&s);
            let _ = Language::parse(&s);
        }

        #[test]
        fn accepted_external_ids_are_stored_verbatim(s in "[^\\p{Cc}]{1,100}") {
            let id = ExternalId::parse(s.clone()).unwrap();
            proptest::prop_assert_eq!(id.as_str(), s.as_str());
        }
    }
}
