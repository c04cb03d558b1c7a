//! Syndication feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read with feed-rs,
//! one message per entry on channel `blog`.
//!
//! - `external_id`: the entry's id (guid, Atom id, JSON Feed id), else its
//!   link. Ids are unique per channel across every feed, so an id that does
//!   not look globally unique (no `://`, not a `urn:` or `tag:`), such as an
//!   RSS guid `1042` or a JSON Feed id `2`, is prefixed with the feed's link
//!   (else the caller's `source`): `https://blog.example/#1042`. An entry with
//!   neither id nor link gets `sha256-<hex>` of its title and text.
//! - `author`: the entry's first author, else the feed's; the id is the
//!   person's URI, else email, else name. With no author at all, the feed's
//!   link (else `source`) is the id and the feed's title the name.
//! - `text`: the title, a blank line, then the content (else the summary),
//!   HTML turned into text by [`crate::html::html_to_text`].
//! - `created_at`: published, else updated, else the caller's `fetched_at`.
//! - `language`: the entry's, else the feed's. `direction` is `in`.
//! - `raw`: `{"link", "title", "feed_title", "feed_link", "source"}`.

use feed_rs::model::{Entry, Feed, Person, Text};
use firebreak_domain::{Author, Channel, Direction, ExternalId, NewMessage, RawPayload, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{ParseError, convert, html::html_to_text};

/// Parses a feed document. `source` names where it came from (a URL or a
/// path) and stands in for a feed with no link; `fetched_at` stands in for an
/// entry with no date.
pub fn parse_feed(bytes: &[u8], source: &str, fetched_at: Timestamp) -> Result<Vec<NewMessage>, ParseError> {
    let base = (source.starts_with("http://") || source.starts_with("https://")).then_some(source);
    // feed-rs invents a random id for an entry without one; ours is stable.
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base)
        .id_generator(|links, _title, _uri| links.first().map(|l| l.href.clone()).unwrap_or_default())
        .build();
    let feed = parser.parse(bytes).map_err(|e| ParseError::NotAFeed { detail: json_safe(&e.to_string()) })?;
    let feed_link = feed.links.iter().find(|l| l.rel.as_deref() != Some("self")).or(feed.links.first());
    let feed_key = feed_link.map_or(source, |l| l.href.as_str());
    let mut out = Vec::with_capacity(feed.entries.len());
    for (i, entry) in feed.entries.iter().enumerate() {
        out.push(message(&feed, entry, feed_key, source, fetched_at, i)?);
    }
    Ok(out)
}

fn message(
    feed: &Feed,
    entry: &Entry,
    feed_key: &str,
    source: &str,
    fetched_at: Timestamp,
    index: usize,
) -> Result<NewMessage, ParseError> {
    let title = entry.title.as_ref().map(plain).unwrap_or_default();
    let body = match &entry.content {
        Some(c) if c.body.is_some() => {
            let b = c.body.as_deref().unwrap_or("");
            if c.content_type.to_string().contains("html") { html_to_text(b) } else { b.trim().to_owned() }
        }
        _ => entry.summary.as_ref().map(plain).unwrap_or_default(),
    };
    let text = match (title.is_empty(), body.is_empty()) {
        (true, _) => body,
        (false, true) => title.clone(),
        (false, false) => format!("{title}\n\n{body}"),
    };
    let link = entry.links.iter().find(|l| l.rel.is_none() || l.rel.as_deref() == Some("alternate"));
    let link = link.or(entry.links.first()).map(|l| l.href.as_str());
    let field = format!("entries[{index}].id");
    let external_id = entry_id(entry.id.trim(), link, feed_key, &text, &field)?;

    let person = entry.authors.first().or(feed.authors.first());
    let author = match person.and_then(person_id) {
        Some(id) => Author {
            id: convert::user_id(&format!("entries[{index}].author"), id)?,
            handle: None,
            name: convert::name(person.and_then(|p| p.name.as_deref())),
            followers: None,
        },
        None => Author {
            id: convert::user_id("feed.link", feed_key)?,
            handle: None,
            name: convert::name(feed.title.as_ref().map(|t| t.content.as_str())),
            followers: None,
        },
    };
    let date = entry.published.or(entry.updated);
    let created_at = date.and_then(|d| Timestamp::from_unix_millis(d.timestamp_millis()).ok()).unwrap_or(fetched_at);
    let language = convert::language(entry.language.as_deref().or(feed.language.as_deref()));
    let raw = json!({
        "link": link,
        "title": entry.title.as_ref().map(|t| t.content.as_str()),
        "feed_title": feed.title.as_ref().map(|t| t.content.as_str()),
        "feed_link": feed_key,
        "source": source,
    });
    Ok(NewMessage {
        channel: Channel::Blog,
        external_id,
        direction: Direction::In,
        author,
        text: convert::text(&text),
        language,
        created_at,
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: Some(RawPayload::from_value(&raw)),
        triage: None,
    })
}

/// A [`Text`] as plain text, whatever its declared type.
fn plain(t: &Text) -> String {
    if t.content_type.to_string().contains("html") { html_to_text(&t.content) } else { t.content.trim().to_owned() }
}

fn person_id(p: &Person) -> Option<&str> {
    [p.uri.as_deref(), p.email.as_deref(), p.name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
}

fn entry_id(id: &str, link: Option<&str>, feed_key: &str, text: &str, field: &str) -> Result<ExternalId, ParseError> {
    let id = if id.is_empty() { link.unwrap_or("") } else { id };
    let id = if id.is_empty() {
        format!("sha256-{}", hex::encode(Sha256::digest(text.as_bytes())))
    } else if looks_global(id) {
        id.to_owned()
    } else {
        format!("{}#{id}", feed_key.trim_end_matches('#'))
    };
    convert::external_id(field, &id)
}

fn looks_global(id: &str) -> bool {
    let lower = id.get(..4).map(str::to_ascii_lowercase).unwrap_or_default();
    id.contains("://") || lower == "urn:" || lower == "tag:"
}

/// Error text from the XML or JSON reader, cut to a readable length.
fn json_safe(s: &str) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    crate::json::cut(&cleaned).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fetched() -> Timestamp {
        Timestamp::parse_rfc3339("2024-06-01T00:00:00Z").unwrap()
    }

    #[test]
    fn rss2() {
        let msgs = parse_feed(&fixture("feed_rss2.xml"), "feeds/gripes.xml", fetched()).unwrap();
        assert_eq!(msgs.len(), 3);
        let m = &msgs[0];
        assert_eq!(m.channel, Channel::Blog);
        assert_eq!(m.external_id.as_str(), "https://gripes.example.net/2024/05/lost-bag");
        assert_eq!(m.author.id.as_str(), "Dana Whitfield");
        assert_eq!(
            m.text.as_str(),
            "Acme Air lost my bag again\n\nThird time this year. The airline says \"48 hours\"."
        );
        assert_eq!(m.created_at.to_rfc3339(), "2024-05-01T09:30:00.000Z");
        assert_eq!(m.language.as_ref().unwrap().as_str(), "en-us");
        let note = &msgs[1];
        assert_eq!(note.external_id.as_str(), "https://gripes.example.net/#1042", "a local guid is prefixed");
        assert_eq!(note.author.id.as_str(), "https://gripes.example.net/", "no author: the feed");
        assert_eq!(note.author.name.as_ref().unwrap().as_str(), "Travel Gripes");
        assert_eq!(note.text.as_str(), "Short note\n\nNo HTML here & that is fine.");
        assert_eq!(note.created_at, fetched());
        let bare = &msgs[2];
        assert!(bare.external_id.as_str().starts_with("sha256-"));
        let again = parse_feed(&fixture("feed_rss2.xml"), "feeds/gripes.xml", fetched()).unwrap();
        assert_eq!(again[2].external_id, bare.external_id, "ids are stable");
        let raw: Value = serde_json::from_str(m.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["link"], "https://gripes.example.net/2024/05/lost-bag");
        assert_eq!(raw["feed_title"], "Travel Gripes");
    }

    #[test]
    fn rss1() {
        let msgs = parse_feed(&fixture("feed_rss1.rdf"), "https://news.example.org/rss", fetched()).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].external_id.as_str(), "https://news.example.org/acme-outage");
        assert_eq!(msgs[0].created_at.to_rfc3339(), "2024-05-02T07:00:00.000Z");
        assert!(msgs[0].text.as_str().starts_with("Acme Air systems outage grounds flights\n\nPassengers"));
    }

    #[test]
    fn atom() {
        let msgs = parse_feed(&fixture("feed_atom.xml"), "forum.atom", fetched()).unwrap();
        assert_eq!(msgs.len(), 2);
        let m = &msgs[0];
        assert_eq!(m.external_id.as_str(), "tag:forum.acme.test,2024:post-991");
        assert_eq!(m.author.id.as_str(), "https://forum.acme.test/u/kim_p");
        assert_eq!(m.author.name.as_ref().unwrap().as_str(), "kim_p");
        assert_eq!(
            m.text.as_str(),
            "App crashes on login\n\nSince the update the app crashes when I log in.\n\nAndroid 14\nv5.2.0"
        );
        assert_eq!(m.created_at.to_rfc3339(), "2024-05-03T09:00:00.000Z");
        let idea = &msgs[1];
        assert_eq!(idea.author.id.as_str(), "Forum", "the feed's author");
        assert_eq!(idea.created_at.to_rfc3339(), "2024-05-03T12:00:00.000Z", "updated when not published");
        assert_eq!(idea.text.as_str(), "Feature idea: dark mode\n\nPlease add dark mode.");
    }

    #[test]
    fn json_feed() {
        let msgs = parse_feed(&fixture("feed.json"), "reviews.json", fetched()).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].external_id.as_str(), "https://reviews.example.com/#2");
        assert_eq!(msgs[0].author.id.as_str(), "https://reviews.example.com/jo");
        assert_eq!(msgs[0].text.as_str(), "The Acme kettle: avoid\n\nThe lid broke in a week.");
        assert_eq!(msgs[0].created_at.to_rfc3339(), "2024-05-04T13:00:00.000Z");
        assert_eq!(msgs[1].external_id.as_str(), "https://reviews.example.com/acme-toaster");
        assert_eq!(msgs[1].text.as_str(), "Toasts evenly. Recommended.");
        assert_eq!(msgs[1].author.id.as_str(), "https://reviews.example.com/about");
    }

    #[test]
    fn not_a_feed() {
        for bad in [&b""[..], b"hello", b"<html><body>no</body></html>", b"{\"a\":1}", b"\xff\xfe<rss"] {
            let err = parse_feed(bad, "x", fetched()).unwrap_err();
            assert_eq!(err.code(), "not_a_feed", "{err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_feed(&bytes, "x", fetched());
        }

        #[test]
        fn never_panics_on_feed_shaped_input(title in ".{0,30}", guid in ".{0,30}", date in ".{0,30}",
                                             body in ".{0,60}") {
            let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
            let xml = format!("<rss version=\"2.0\"><channel><title>{}</title><item><title>{}</title><guid>{}</guid>\
                <pubDate>{}</pubDate><description>{}</description></item></channel></rss>",
                esc(&title), esc(&title), esc(&guid), esc(&date), esc(&body));
            let _ = parse_feed(xml.as_bytes(), "x", fetched());
            let jf = json!({"version": "https://jsonfeed.org/version/1.1", "title": title,
                "items": [{"id": guid, "content_html": body, "date_published": date}]});
            let _ = parse_feed(&serde_json::to_vec(&jf).unwrap(), "x", fetched());
        }
    }
}
