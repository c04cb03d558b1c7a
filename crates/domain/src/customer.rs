//! Customers, the contact points that identify them, and the identities a
//! person has on each channel.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Channel, CustomerId, DisplayName, FieldError, Handle, IdentityId, PlatformUserId, channel::truncate_for_message,
};

/// An email address, lower-cased. Checked for shape (one `@`, a dotted or
/// local domain, no spaces), not for existence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, FieldError> {
        let s = s.trim();
        let bad = || FieldError::new("invalid_email", format!("`{}` is not an email address", truncate_for_message(s)));
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.contains('@') {
            return Err(bad());
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(bad());
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A phone number normalised to `+` and digits (E.164 shape). Spaces, dots,
/// dashes and brackets are dropped; a number without a country code keeps its
/// digits without the `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, FieldError> {
        let bad = || FieldError::new("invalid_phone", format!("`{}` is not a phone number", truncate_for_message(s)));
        let t = s.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut digits = String::with_capacity(rest.len() + 1);
        if plus {
            digits.push('+');
        }
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        let n = digits.trim_start_matches('+').len();
        if !(5..=15).contains(&n) {
            return Err(bad());
        }
        Ok(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A postal area: a postcode district, a ZIP code or a region name, upper-cased
/// and with single spaces (`SW1A 1AA`, `94107`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PostalArea(String);

impl PostalArea {
    pub fn parse(s: &str) -> Result<PostalArea, FieldError> {
        let norm = s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
        if norm.is_empty() || norm.len() > 64 || norm.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid_postal_area",
                format!("`{}` is not a postal area", truncate_for_message(s)),
            ));
        }
        Ok(PostalArea(norm))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PostalArea {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PostalArea::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A number or handle the company's records know a customer by: an
/// `account`, `order` or `booking` number, or a handle on a channel (`x`,
/// `facebook`, ...). Messages that carry one are tied to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CustomerRef {
    pub kind: String,
    /// Lower-cased, without a leading `@`.
    pub value: String,
}

impl CustomerRef {
    pub fn parse(kind: &str, value: &str) -> Result<CustomerRef, FieldError> {
        let kind = kind.trim().to_lowercase();
        let known = matches!(kind.as_str(), "account" | "order" | "booking") || Channel::parse(&kind).is_ok();
        if !known {
            return Err(FieldError::new(
                "invalid_reference_kind",
                format!(
                    "`{}` is not a kind of reference; use account, order, booking or a channel name",
                    truncate_for_message(&kind)
                ),
            ));
        }
        let value = value.trim().trim_start_matches('@').to_lowercase();
        if value.is_empty() || value.len() > 256 || value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid_reference",
                format!("`{}` is not a reference number or handle", truncate_for_message(&value)),
            ));
        }
        Ok(CustomerRef { kind, value })
    }
}

/// A customer as the company's systems describe them, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCustomer {
    /// The id in the company's CRM or billing system; customers with the same
    /// external id are the same customer.
    pub external_ref: Option<String>,
    pub name: Option<DisplayName>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub postal_area: Option<PostalArea>,
    /// Account, order and booking numbers, and handles on channels.
    pub refs: Vec<CustomerRef>,
    /// The products and services the customer holds (lower-cased), which
    /// an incident on a product affects.
    #[serde(default)]
    pub products: Vec<String>,
    /// The channel the customer prefers to be told things on (proactive
    /// notices go there when they consented).
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
}

/// A stored customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    #[serde(flatten)]
    pub details: NewCustomer,
}

/// A person on one channel, linked to a customer or not (yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub id: IdentityId,
    pub channel: Channel,
    pub platform_id: PlatformUserId,
    pub handle: Option<Handle>,
    pub name: Option<DisplayName>,
    pub followers: Option<u64>,
    pub customer_id: Option<CustomerId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "@x.com", "ann@", "a b@x.com", "ann@x..com", "<ann@x.com>"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("+44 (20) 7946-0958").unwrap().as_str(), "+442079460958");
        assert_eq!(Phone::parse("555.0100").unwrap().as_str(), "5550100");
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("12").is_err());
    }

    #[test]
    fn postal_areas() {
        assert_eq!(PostalArea::parse(" sw1a   1aa ").unwrap().as_str(), "SW1A 1AA");
        assert!(PostalArea::parse("  ").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in ".*") {
            let _ = Email::parse(&s);
            let _ = Phone::parse(&s);
            let _ = PostalArea::parse(&s);
        }
    }
}
