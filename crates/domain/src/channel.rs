//! The channels a message can arrive on, and which way it travelled.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A platform or medium through which customers reach the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    X,
    Facebook,
    Instagram,
    Youtube,
    Blog,
    Forum,
    Email,
    Chat,
    Sms,
    Phone,
    WebForm,
}

impl Channel {
    pub const ALL: [Channel; 11] = [
        Channel::X,
        Channel::Facebook,
        Channel::Instagram,
        Channel::Youtube,
        Channel::Blog,
        Channel::Forum,
        Channel::Email,
        Channel::Chat,
        Channel::Sms,
        Channel::Phone,
        Channel::WebForm,
    ];

    /// The stable name used in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::X => "x",
            Channel::Facebook => "facebook",
            Channel::Instagram => "instagram",
            Channel::Youtube => "youtube",
            Channel::Blog => "blog",
            Channel::Forum => "forum",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::WebForm => "web_form",
        }
    }

    pub fn parse(s: &str) -> Result<Channel, FieldError> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            FieldError::new(
                "unknown_channel",
                format!("`{}` is not a channel; expected one of {}", truncate_for_message(s), names.join(", ")),
            )
        })
    }
}

impl FromStr for Channel {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::parse(s)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a message came from a customer (`In`) or from the brand (`Out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn parse(s: &str) -> Result<Direction, FieldError> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            _ => Err(FieldError::new(
                "invalid_direction",
                format!("`{}` is not a direction; expected `in` or `out`", truncate_for_message(s)),
            )),
        }
    }
}

/// Cuts a user-supplied value to a length that is safe to echo back in an error.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_round_trips_through_its_name() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }

    #[test]
    fn unknown_channel_names_the_choices() {
        let err = Channel::parse("myspace").unwrap_err();
        assert_eq!(err.code, "unknown_channel");
        assert!(err.message.contains("web_form"));
    }

    proptest::proptest! {
        #[test]
        fn channel_parse_never_panics(s in ".*") {
            let _ = Channel::parse(&s);
            let _ = Direction::parse(&s);
        }
    }
}
