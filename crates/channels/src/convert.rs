//! Small conversions shared by the platform parsers: required ids become
//! errors naming their path, while optional values a platform sent that break
//! a rule (an odd handle, a malformed language tag) are dropped rather than
//! losing the whole message.

use firebreak_domain::{DisplayName, ExternalId, Handle, Language, MessageText, PlatformUserId, RawPayload, ThreadKey};
use serde_json::value::RawValue;

use crate::ParseError;

/// A required message id at `field`.
pub(crate) fn external_id(field: &str, s: &str) -> Result<ExternalId, ParseError> {
    ExternalId::parse(s).map_err(|e| ParseError::field(field, e))
}

/// A required author id at `field`.
pub(crate) fn user_id(field: &str, s: &str) -> Result<PlatformUserId, ParseError> {
    PlatformUserId::parse(s).map_err(|e| ParseError::field(field, e))
}

/// An optional reference to another message; an empty or invalid one is none.
pub(crate) fn reference(s: Option<&str>) -> Option<ExternalId> {
    s.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| ExternalId::parse(s).ok())
}

/// An optional thread key; an empty or invalid one is none.
pub(crate) fn thread(s: Option<&str>) -> Option<ThreadKey> {
    s.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| ThreadKey::parse(s).ok())
}

pub(crate) fn handle(s: Option<&str>) -> Option<Handle> {
    s.and_then(|s| Handle::parse(s.trim()).ok())
}

pub(crate) fn name(s: Option<&str>) -> Option<DisplayName> {
    s.and_then(DisplayName::clean)
}

pub(crate) fn language(s: Option<&str>) -> Option<Language> {
    s.and_then(|s| Language::parse(s.trim()).ok())
}

/// Text a platform sent: kept, cut to the limit when it is over.
pub(crate) fn text(s: &str) -> MessageText {
    MessageText::clamp(s).0
}

/// The platform's own JSON for a message, kept verbatim (and bounded).
pub(crate) fn raw(value: &RawValue) -> RawPayload {
    RawPayload::from_json_text(value.get().to_owned())
}
