//! Which replies are possible and how long they may be: [`route`] maps a
//! (channel, visibility) pair to the platform call that carries it, and
//! [`check`] refuses an empty or too long text before it is queued.
//!
//! X counts a post's length with weights (twitter-text v3): characters in
//! U+0000–U+10FF and a few punctuation blocks (U+2000–U+200D,
//! U+2010–U+201F, U+2032–U+2037) count 1, everything else (CJK, emoji)
//! counts 2, and every link counts 23. [`x_weighted_length`] follows that
//! with these simplifications, documented so nobody trusts it further:
//! - the text is not NFC-normalised first;
//! - a link is a run of non-space characters starting `http://`, `https://`
//!   or `www.` after a non-alphanumeric character, without trailing
//!   punctuation; a bare domain (`example.com`) counts by its characters,
//!   where X would count 23;
//! - an emoji sequence counts 2 when it is joined the usual way (variation
//!   selectors, skin tones, tags and zero-width joiners after an emoji,
//!   a pair of regional indicators, a keycap), which is what X's emoji
//!   parser does for the sequences in use; exotic sequences may differ.

use firebreak_domain::Channel;

use super::{
    Visibility,
    error::{Limit, LimitError, Unit},
};

/// The platform call that carries a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// A public reply on X: a post answering a post.
    XPost,
    /// A private reply on X: a direct message.
    XDirectMessage,
    /// A public reply on Facebook: a comment answering a comment (or a post).
    FacebookComment,
    /// A private reply on Facebook: a Messenger message to a PSID, or a
    /// private reply to a comment.
    MessengerMessage,
    /// A reply by email, always private.
    Email,
}

/// A public X post: 280 weighted characters.
pub const X_POST: Limit = Limit { what: "an X post", max: 280, unit: Unit::XWeighted };
/// An X direct message: 10,000 characters.
pub const X_DIRECT_MESSAGE: Limit = Limit { what: "an X direct message", max: 10_000, unit: Unit::Characters };
/// A Facebook comment: 8,000 characters.
pub const FACEBOOK_COMMENT: Limit = Limit { what: "a Facebook comment", max: 8_000, unit: Unit::Characters };
/// A Messenger message: 2,000 characters.
pub const MESSENGER_MESSAGE: Limit = Limit { what: "a Messenger message", max: 2_000, unit: Unit::Characters };
/// An email body: 1 MiB of UTF-8.
pub const EMAIL_BODY: Limit = Limit { what: "an email reply", max: 1024 * 1024, unit: Unit::Bytes };

impl Route {
    /// The most text this route carries.
    pub fn limit(self) -> Limit {
        match self {
            Route::XPost => X_POST,
            Route::XDirectMessage => X_DIRECT_MESSAGE,
            Route::FacebookComment => FACEBOOK_COMMENT,
            Route::MessengerMessage => MESSENGER_MESSAGE,
            Route::Email => EMAIL_BODY,
        }
    }
}

/// The route of a reply with this visibility on this channel. X and Facebook
/// have both; email is private only; other channels have no transport.
pub fn route(channel: Channel, visibility: Visibility) -> Result<Route, LimitError> {
    match (channel, visibility) {
        (Channel::X, Visibility::Public) => Ok(Route::XPost),
        (Channel::X, Visibility::Private) => Ok(Route::XDirectMessage),
        (Channel::Facebook, Visibility::Public) => Ok(Route::FacebookComment),
        (Channel::Facebook, Visibility::Private) => Ok(Route::MessengerMessage),
        (Channel::Email, Visibility::Private) => Ok(Route::Email),
        (Channel::Email, Visibility::Public) => Err(LimitError::Impossible { channel, visibility }),
        (
            Channel::Instagram
            | Channel::Youtube
            | Channel::Blog
            | Channel::Forum
            | Channel::Chat
            | Channel::Sms
            | Channel::Phone
            | Channel::WebForm,
            _,
        ) => Err(LimitError::Unsupported { channel }),
    }
}

/// Refuses a reply that cannot be sent as written: an impossible route, an
/// empty (or all white space) text, or one over the route's limit.
pub fn check(channel: Channel, visibility: Visibility, text: &str) -> Result<Route, LimitError> {
    let route = route(channel, visibility)?;
    if text.trim().is_empty() {
        return Err(LimitError::Empty);
    }
    let limit = route.limit();
    let length = match limit.unit {
        Unit::XWeighted => x_weighted_length(text),
        Unit::Characters => {
            // Counting stops early: a huge text need not be walked to the end.
            text.chars().take(limit.max + 1).count()
        }
        Unit::Bytes => text.len(),
    };
    if length > limit.max {
        let length = if limit.unit == Unit::Characters { text.chars().count() } else { length };
        return Err(LimitError::TooLong { limit, length });
    }
    Ok(route)
}

/// What X charges for a link, whatever its length.
const X_URL_LENGTH: usize = 23;

/// The length of `text` as X counts a post (see the module doc for the
/// simplifications).
pub fn x_weighted_length(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut total = 0;
    let mut i = 0;
    // Whether the previous counted character was an emoji that a joiner or
    // modifier may extend.
    let mut in_emoji = false;
    // Whether the previous character was an unpaired regional indicator.
    let mut open_flag = false;
    while i < chars.len() {
        if let Some(len) = link_at(&chars, i) {
            total += X_URL_LENGTH;
            i += len;
            in_emoji = false;
            open_flag = false;
            continue;
        }
        let c = chars[i];
        let cp = u32::from(c);
        i += 1;
        if is_emoji_modifier(cp) && i > 1 {
            // Variation selectors, skin tones and tag characters ride on the
            // character before them.
            continue;
        }
        if cp == 0x20E3 && i > 1 {
            // A keycap makes `1` (weight 1) into an emoji (weight 2).
            total += 1;
            in_emoji = true;
            continue;
        }
        if cp == 0x200D && in_emoji {
            // A zero-width joiner inside an emoji sequence: it and the
            // character it joins are part of the emoji already counted.
            if i < chars.len() {
                i += 1;
            }
            continue;
        }
        if (0x1F1E6..=0x1F1FF).contains(&cp) {
            if open_flag {
                open_flag = false;
                continue;
            }
            open_flag = true;
            in_emoji = false;
            total += 2;
            continue;
        }
        open_flag = false;
        let weight = x_weight(cp);
        in_emoji = weight == 2 && is_emoji_like(cp);
        total += weight;
    }
    total
}

/// The weight of one character outside links and emoji sequences.
fn x_weight(cp: u32) -> usize {
    let light = matches!(cp, 0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037);
    if light { 1 } else { 2 }
}

/// Characters that extend the emoji before them without counting.
fn is_emoji_modifier(cp: u32) -> bool {
    matches!(cp, 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
}

/// Characters that start emoji sequences (pictographs and symbols).
fn is_emoji_like(cp: u32) -> bool {
    matches!(cp, 0x2190..=0x21FF | 0x2300..=0x23FF | 0x2460..=0x27BF | 0x2900..=0x2BFF | 0x1F000..=0x1FAFF)
}

/// The number of characters of a link starting at `i`, if one does.
fn link_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars[i - 1].is_alphanumeric() {
        return None;
    }
    let prefix_len =
        ["https://", "http://", "www."].iter().find(|p| starts_with_ignore_case(&chars[i..], p)).map(|p| p.len())?;
    let mut end = i;
    while end < chars.len() && !chars[end].is_whitespace() {
        end += 1;
    }
    // Trailing punctuation belongs to the sentence, not the link; a closing
    // bracket stays when the link opened one (Wikipedia-style paths).
    while end > i + prefix_len {
        let last = chars[end - 1];
        let opened = chars[i..end].contains(&'(');
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"') || (last == ')' && !opened) {
            end -= 1;
        } else {
            break;
        }
    }
    // A link needs a host: at least one alphanumeric after the prefix.
    let host = chars.get(i + prefix_len).is_some_and(|c| c.is_alphanumeric());
    host.then_some(end - i)
}

fn starts_with_ignore_case(chars: &[char], prefix: &str) -> bool {
    chars.len() >= prefix.len() && prefix.chars().zip(chars).all(|(p, c)| c.to_ascii_lowercase() == p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(Channel::X, Visibility::Private), Ok(Route::XDirectMessage));
        assert_eq!(route(Channel::Facebook, Visibility::Private), Ok(Route::MessengerMessage));
        assert_eq!(route(Channel::Email, Visibility::Public).unwrap_err().code(), "reply_not_possible");
        assert_eq!(route(Channel::Sms, Visibility::Private).unwrap_err().code(), "channel_not_supported");
    }

    #[test]
    fn latin_text_counts_one_per_character() {
        assert_eq!(x_weighted_length("Hello, world"), 12);
        assert_eq!(x_weighted_length("café – “quoted”"), 15);
    }

    #[test]
    fn cjk_and_emoji_count_two() {
        assert_eq!(x_weighted_length("你好"), 4);
        assert_eq!(x_weighted_length("こんにちは"), 10);
        assert_eq!(x_weighted_length("🙂"), 2);
        assert_eq!(x_weighted_length("👍🏽"), 2);
        assert_eq!(x_weighted_length("❤️"), 2);
        assert_eq!(x_weighted_length("👨‍👩‍👧"), 2);
        assert_eq!(x_weighted_length("🏳️‍🌈"), 2);
        assert_eq!(x_weighted_length("🇯🇵🇫🇷"), 4);
        assert_eq!(x_weighted_length("1️⃣"), 2);
    }

    #[test]
    fn links_count_twenty_three() {
        let long = "https://example.com/a/very/long/path/that/goes/on/and/on?with=query";
        assert_eq!(x_weighted_length(long), 23);
        assert_eq!(x_weighted_length(&format!("See {long}.")), 4 + 23 + 1);
        assert_eq!(x_weighted_length("(http://a.co)"), 1 + 23 + 1);
        assert_eq!(x_weighted_length("https://en.wikipedia.org/wiki/Fire_(disambiguation)"), 23);
        assert_eq!(x_weighted_length("go to www.example.com now"), 6 + 23 + 4);
        assert_eq!(x_weighted_length("https:// nothing"), 16);
        assert_eq!(x_weighted_length("xhttps://a.b"), 12);
    }

    #[test]
    fn limits_are_enforced() {
        assert!(check(Channel::X, Visibility::Public, &"a".repeat(280)).is_ok());
        let e = check(Channel::X, Visibility::Public, &"a".repeat(281)).unwrap_err();
        assert_eq!(e.code(), "reply_too_long");
        assert!(e.to_string().contains("280"), "{e}");
        assert!(check(Channel::X, Visibility::Public, &"字".repeat(140)).is_ok());
        assert!(check(Channel::X, Visibility::Public, &"字".repeat(141)).is_err());
        assert!(check(Channel::X, Visibility::Private, &"字".repeat(10_000)).is_ok());
        assert!(check(Channel::Facebook, Visibility::Public, &"a".repeat(8_001)).is_err());
        let e = check(Channel::Facebook, Visibility::Private, &"é".repeat(2_001)).unwrap_err();
        assert_eq!(e.to_string(), "a Messenger message may be at most 2000 characters; this reply counts 2001");
        assert!(check(Channel::Email, Visibility::Private, &"a".repeat(1024 * 1024)).is_ok());
        assert!(check(Channel::Email, Visibility::Private, &"a".repeat(1024 * 1024 + 1)).is_err());
        assert_eq!(check(Channel::Email, Visibility::Private, " \n\t").unwrap_err(), LimitError::Empty);
    }
}
