//! A small HTML-to-text converter for feed entries and HTML-only emails.
//!
//! It is one linear pass over the input with no recursion and no indexing
//! that can fail: tags are dropped, the contents of `script`, `style`,
//! `head`, `template` and `noscript` are dropped, block elements (`p`, `div`,
//! `br`, `li`, headings, table rows...) become line breaks, entities are
//! decoded (the common named ones and all numeric ones), runs of spaces fold
//! to one, and at most one blank line separates paragraphs. The output is
//! never longer than the input. It is not a browser: malformed markup gives
//! reasonable text, not a faithful rendering.

/// Elements whose content is not text for a reader.
const HIDDEN: [&str; 5] = ["script", "style", "head", "template", "noscript"];

/// Elements that start a new line.
const BLOCK: [&str; 27] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "tr",
    "ul",
];

/// Converts HTML to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut out = Text::with_capacity(html.len());
    let mut rest = html;
    // The name of the hidden element we are inside, if any.
    let mut hidden: Option<&'static str> = None;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let (tag, after) = read_tag(rest);
                rest = after;
                match tag {
                    Tag::Element { name, closing } => {
                        if let Some(h) = hidden {
                            if closing && name.eq_ignore_ascii_case(h) {
                                hidden = None;
                            }
                            continue;
                        }
                        if !closing && let Some(h) = HIDDEN.iter().find(|h| name.eq_ignore_ascii_case(h)) {
                            hidden = Some(h);
                            continue;
                        }
                        if BLOCK.iter().any(|b| name.eq_ignore_ascii_case(b)) {
                            let paragraph = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"]
                                .iter()
                                .any(|b| name.eq_ignore_ascii_case(b));
                            out.line_break(paragraph);
                        } else if name.eq_ignore_ascii_case("td") || name.eq_ignore_ascii_case("th") {
                            out.space();
                        }
                    }
                    Tag::Other => {}
                    Tag::Text(t) => {
                        if hidden.is_none() {
                            out.text(t);
                        }
                    }
                }
            }
            '&' if hidden.is_none() => {
                let (decoded, after) = read_entity(rest);
                rest = after;
                match decoded {
                    Some(ch) => out.char(ch),
                    None => out.char('&'),
                }
            }
            _ => {
                let len = c.len_utf8();
                if hidden.is_none() {
                    out.char(c);
                }
                rest = &rest[len..];
            }
        }
    }
    out.finish()
}

enum Tag<'a> {
    /// `<name ...>` or `</name>`.
    Element { name: &'a str, closing: bool },
    /// A comment, doctype or processing instruction.
    Other,
    /// A `<` that does not start markup, kept as text.
    Text(&'a str),
}

/// Reads markup starting at `<`. Returns what it was and the rest of the input.
fn read_tag(s: &str) -> (Tag<'_>, &str) {
    let body = &s[1..];
    if let Some(after) = body.strip_prefix("!--") {
        return match after.find("-->") {
            Some(end) => (Tag::Other, &after[end + 3..]),
            None => (Tag::Other, ""),
        };
    }
    let first = body.chars().next();
    let markup = matches!(first, Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
    if !markup {
        return (Tag::Text("<"), body);
    }
    // Find the closing `>`, skipping over quoted attribute values.
    let mut quote: Option<u8> = None;
    let mut end = None;
    for (i, b) in body.bytes().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(end) = end else {
        // An unterminated tag: drop the rest, as a browser would.
        return (Tag::Other, "");
    };
    let inner = &body[..end];
    let rest = &body[end + 1..];
    if first == Some('!') || first == Some('?') {
        return (Tag::Other, rest);
    }
    let (closing, name_start) = match inner.strip_prefix('/') {
        Some(n) => (true, n),
        None => (false, inner),
    };
    let name_end = name_start.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name_start.len());
    (Tag::Element { name: &name_start[..name_end], closing }, rest)
}

/// Reads an entity starting at `&`. Returns the character (if it was one)
/// and the rest of the input (after the `&` alone when it was not).
fn read_entity(s: &str) -> (Option<char>, &str) {
    let body = &s[1..];
    // Entities are short; look at most this far for the `;`.
    let window = body.char_indices().take(12).find(|&(_, c)| c == ';').map(|(i, _)| i);
    let Some(semi) = window else { return (None, body) };
    let name = &body[..semi];
    let ch = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        code.map(|c| char::from_u32(c).filter(|c| *c != '\0').unwrap_or('\u{FFFD}'))
    } else {
        named_entity(name)
    };
    match ch {
        Some(c) => (Some(c), &body[semi + 1..]),
        None => (None, body),
    }
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "deg" => '°',
        "times" => '×',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        _ => return None,
    })
}

/// The text being written, with whitespace folded as it goes.
struct Text {
    buf: String,
    /// A space is owed before the next visible character.
    space: bool,
    /// Line breaks owed before the next visible character (0, 1 or 2).
    breaks: u8,
}

impl Text {
    fn with_capacity(n: usize) -> Text {
        Text { buf: String::with_capacity(n), space: false, breaks: 0 }
    }

    fn char(&mut self, c: char) {
        if c.is_whitespace() {
            self.space();
            return;
        }
        if !self.buf.is_empty() {
            if self.breaks > 0 {
                for _ in 0..self.breaks {
                    self.buf.push('\n');
                }
            } else if self.space {
                self.buf.push(' ');
            }
        }
        self.breaks = 0;
        self.space = false;
        self.buf.push(c);
    }

    fn text(&mut self, s: &str) {
        for c in s.chars() {
            self.char(c);
        }
    }

    fn space(&mut self) {
        self.space = true;
    }

    fn line_break(&mut self, paragraph: bool) {
        self.breaks = self.breaks.max(if paragraph { 2 } else { 1 });
    }

    fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn converts_typical_markup() {
        let html = r#"<html><head><title>x</title><style>p{}</style></head><body>
            <h1>Outage&nbsp;update</h1><p>Our <a href="https://x.test/?a=1&amp;b=2">status page</a> says
            &quot;fixed&quot; &mdash; it isn&#39;t.</p><p>Line one<br>line two</p>
            <ul><li>first</li><li>second &#x1F600;</li></ul><script>alert("<p>")</script>
            <!-- a <p> comment --> 3 &lt; 4 &amp; 5 &gt; 2 & so on &unknown; <3</body></html>"#;
        assert_eq!(
            html_to_text(html),
            "Outage update\n\nOur status page says \"fixed\" — it isn't.\n\nLine one\nline two\n\nfirst\nsecond 😀\n3 < 4 & 5 > 2 & so on &unknown; <3"
        );
    }

    #[test]
    fn edge_cases() {
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("plain text"), "plain text");
        assert_eq!(html_to_text("a <b>bold</b> move"), "a bold move");
        assert_eq!(html_to_text("<p>unterminated <a href='x"), "unterminated");
        assert_eq!(html_to_text("<img alt='>' src=x>after"), "after");
        assert_eq!(html_to_text("&#0; &#xD800; &#99999999;"), "\u{FFFD} \u{FFFD} \u{FFFD}");
        assert_eq!(html_to_text("<td>a</td><td>b</td>"), "a b");
        assert_eq!(html_to_text("x<!-- never closed"), "x");
        assert_eq!(html_to_text("<SCRIPT>hidden</SCRIPT>shown"), "shown");
    }

    proptest! {
        #[test]
        fn never_panics_and_never_grows(s in ".{0,400}") {
            let t = html_to_text(&s);
            prop_assert!(t.len() <= s.len());
            prop_assert!(!t.contains("\n\n\n"));
            prop_assert_eq!(t.trim(), t.as_str());
        }

        #[test]
        fn markup_like_input_never_panics(parts in proptest::collection::vec(
            prop_oneof![proptest::sample::select(vec!["<", ">", "&", ";", "#x", "</p", "<script>", "</script>", "<!--",
                        "-->", "\"", "'", "é", " ", "<br/>", "&amp", "&#"]).prop_map(str::to_owned),
                        "[a-z0-9]{0,5}"], 0..60)) {
            let s: String = parts.concat();
            let t = html_to_text(&s);
            prop_assert!(t.len() <= s.len());
        }

        #[test]
        fn text_without_markup_is_kept_with_whitespace_folded(s in "[^<&]{0,200}") {
            let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(html_to_text(&s), folded);
        }
    }
}
