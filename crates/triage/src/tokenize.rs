//! The tokenizer: splits a message into words, numbers, mentions, hashtags,
//! URLs, emails, emoji and punctuation, each with its byte span and a
//! normalised form (lower case, elongations squeezed, placeholders for
//! mentions, URLs and emails) that the features and rules read.

use crate::ascii::{ascii_hashtag, ascii_word};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    Number,
    Mention,
    Hashtag,
    Url,
    Email,
    Emoji,
    Punct,
}

/// One token: its span in the judged text and its normalised form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub start: u32,
    pub end: u32,
    norm_start: u32,
    norm_end: u32,
    pub kind: TokKind,
    /// A word of at least two letters written in capitals (`AGAIN`).
    pub caps: bool,
    /// A word with a letter repeated three or more times (`soooo`).
    pub elongated: bool,
    /// A word with characters outside ASCII.
    pub non_ascii: bool,
    /// Punctuation that ends a clause (`.`, `,`, `!`, `?`, `;`, `:`, `...`).
    pub clause_end: bool,
}

/// The tokens of one message, with one shared buffer for their normalised forms.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub list: Vec<Token>,
    norm: String,
}

impl Tokens {
    pub fn with_capacity(n: usize) -> Tokens {
        Tokens { list: Vec::with_capacity(n), norm: String::with_capacity(n * 6) }
    }

    /// The normalised form of a token.
    pub fn norm(&self, t: &Token) -> &str {
        self.norm.get(t.norm_start as usize..t.norm_end as usize).unwrap_or("")
    }

    /// The length in bytes of a token's normalised form.
    #[inline]
    pub fn norm_len(t: &Token) -> usize {
        (t.norm_end - t.norm_start) as usize
    }

    /// The first eight bytes of a token's normalised form as a little-endian
    /// number, zero past its end (see [`crate::hash::load`]), read at once:
    /// the buffer ends in eight spare bytes.
    #[inline]
    pub fn head(&self, t: &Token) -> u64 {
        let (start, len) = (t.norm_start as usize, (t.norm_end - t.norm_start) as usize);
        let mask = if len >= 8 { u64::MAX } else { (1u64 << (8 * len)) - 1 };
        match self.norm.as_bytes().get(start..start + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(b) => u64::from_le_bytes(b) & mask,
            None => crate::hash::load(self.norm(t).as_bytes()),
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Pushes a token whose normalised form was written to the buffer from `norm_start` on.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_token(
        &mut self,
        start: usize,
        end: usize,
        norm_start: usize,
        kind: TokKind,
        caps: bool,
        elongated: bool,
        non_ascii: bool,
    ) {
        self.list.push(Token {
            start: start as u32,
            end: end as u32,
            norm_start: norm_start as u32,
            norm_end: self.norm.len() as u32,
            kind,
            caps,
            elongated,
            non_ascii,
            clause_end: false,
        });
    }

    /// The buffer of normalised forms, for the readers that write to it directly.
    pub(crate) fn norm_buffer(&mut self) -> &mut String {
        &mut self.norm
    }

    pub fn clear(&mut self) {
        self.list.clear();
        self.norm.clear();
    }
}

/// Emoticons written with ASCII, longest first so that `:-)` wins over `:-`.
const EMOTICONS: [&str; 30] = [
    ":'(", ":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ";-)", "</3", ":((", ":))", ":)", ":(", ":D", ":P", ":p", ":/",
    ";)", "<3", "=)", "=(", ":|", ":o", ":O", "):", "(:", ":-|", ":\\", "=D", ";D",
];

/// Whether a character is an emoji or pictograph we treat as a token of its own.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2190..=0x21FF | 0x2300..=0x23FF | 0x3030 | 0x303D)
}

/// Characters that decorate an emoji and carry no meaning of their own here.
fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x200D | 0x1F3FB..=0x1F3FF | 0x20E3)
}

pub(crate) fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

fn is_handle_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `text` into tokens, appending them to `out` (which is cleared first).
/// The caller caps the length of `text`; the work is linear in it. Words,
/// numbers and hashtags in ASCII take the fast paths of `ascii`; everything
/// else is read by [`token_at`].
pub(crate) fn tokenize(text: &str, out: &mut Tokens) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i = match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => i + 1,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {
                let url = matches!(b, b'h' | b'H' | b'w' | b'W') && url_starts(&text[i..]);
                match if url { None } else { ascii_word(text, i, out) } {
                    Some(end) => end,
                    None => token_at(text, i, char::from(b), out),
                }
            }
            b'#' => match ascii_hashtag(text, i, out) {
                Some(end) => end,
                None => token_at(text, i, '#', out),
            },
            b'@' | b':' | b';' | b'=' | b'<' | b'(' | b')' | b'&' | b'!' | b'?' | b'.' => {
                token_at(text, i, char::from(b), out)
            }
            0x80.. => {
                let Some(c) = text[i..].chars().next() else { break };
                if c.is_whitespace() { i + c.len_utf8() } else { token_at(text, i, c, out) }
            }
            // Any other ASCII character is a token of its own.
            _ => {
                push_fixed_as(out, i, i + 1, TokKind::Punct, &text[i..=i], b == b',');
                i + 1
            }
        };
    }
    // Spare bytes, so that `head` reads eight bytes at once.
    out.norm.push_str(PADDING);
}

/// [`tokenize`] without the fast paths of `ascii`: what they must agree with.
#[cfg(test)]
pub(crate) fn tokenize_general(text: &str, out: &mut Tokens) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_whitespace() || b == 0x0B {
                i += 1;
                continue;
            }
            i = token_at(text, i, char::from(b), out);
            continue;
        }
        let Some(c) = text[i..].chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        i = token_at(text, i, c, out);
    }
    out.norm.push_str(PADDING);
}

const PADDING: &str = "\0\0\0\0\0\0\0\0";

fn url_starts(rest: &str) -> bool {
    starts_with_ignore_case(rest, "http://")
        || starts_with_ignore_case(rest, "https://")
        || starts_with_ignore_case(rest, "www.")
}

/// Reads the token that starts at byte `i` (whose first character is `c`)
/// and returns the byte offset after it.
fn token_at(text: &str, i: usize, c: char, out: &mut Tokens) -> usize {
    let bytes = text.as_bytes();
    let rest = &text[i..];
    // A mention starts after a non-word character, as on the platforms (`a@b` is not one).
    let after_word = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
    if c == '@' && !after_word && bytes.get(i + 1).copied().is_some_and(is_handle_byte) {
        let end = i + 1 + bytes[i + 1..].iter().take_while(|b| is_handle_byte(**b)).count();
        push_fixed(out, i, end, TokKind::Mention, "@user");
        return end;
    }
    if c == '#' {
        let body = bytes_while(text, i + 1, |ch| ch.is_alphanumeric() || ch == '_');
        if body > i + 1 {
            push_word(text, i, body, TokKind::Hashtag, out);
            return body;
        }
    }
    let url_like = matches!(c, 'h' | 'H' | 'w' | 'W')
        && (starts_with_ignore_case(rest, "http://")
            || starts_with_ignore_case(rest, "https://")
            || starts_with_ignore_case(rest, "www."));
    if url_like {
        let end = url_end(text, i);
        push_fixed(out, i, end, TokKind::Url, "<url>");
        return end;
    }
    if c.is_alphanumeric() {
        let (end, ascii_alpha) = word_end(text, i);
        if bytes.get(end).is_some_and(|b| b"@._%+-".contains(b))
            && let Some(email) = email_end(bytes, i)
        {
            push_fixed(out, i, email, TokKind::Email, "<email>");
            return email;
        }
        let has_alpha = match ascii_alpha {
            Some(alpha) => alpha,
            None => text[i..end].chars().any(char::is_alphabetic),
        };
        push_word(text, i, end, if has_alpha { TokKind::Word } else { TokKind::Number }, out);
        return end;
    }
    if is_emoji(c) {
        let mut end = i + c.len_utf8();
        end = bytes_while(text, end, is_emoji_modifier);
        let mut buf = [0u8; 4];
        push_fixed(out, i, end, TokKind::Emoji, c.encode_utf8(&mut buf));
        return end;
    }
    if is_emoji_modifier(c) {
        return i + c.len_utf8();
    }
    let emoticon = if matches!(c, ':' | ';' | '=' | '<' | '(' | ')') {
        EMOTICONS.iter().find(|e| rest.as_bytes().starts_with(e.as_bytes()))
    } else {
        None
    };
    if let Some(e) = emoticon {
        let end = i + e.len();
        let next_is_word = text[end..].chars().next().is_some_and(char::is_alphanumeric);
        if !next_is_word {
            let norm: String = e.chars().filter(|ch| *ch != '-').collect();
            push_fixed(out, i, end, TokKind::Emoji, &norm);
            return end;
        }
    }
    if c == '&' {
        for (entity, norm) in [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\"")] {
            if rest.starts_with(entity) {
                push_fixed(out, i, i + entity.len(), TokKind::Punct, norm);
                return i + entity.len();
            }
        }
    }
    if c == '!' || c == '?' {
        let end = bytes_while(text, i, |ch| ch == '!' || ch == '?');
        let run = &text[i..end];
        let norm = match (run.contains('!'), run.contains('?'), run.len() > 1) {
            (true, true, _) => "?!",
            (true, false, false) => "!",
            (true, false, true) => "!!",
            (false, _, false) => "?",
            (false, _, true) => "??",
        };
        push_fixed(out, i, end, TokKind::Punct, norm);
        return end;
    }
    if c == '.' || c == '\u{2026}' {
        let end = bytes_while(text, i, |ch| ch == '.' || ch == '\u{2026}');
        let norm = if end - i > 1 || c == '\u{2026}' { "..." } else { "." };
        push_fixed(out, i, end, TokKind::Punct, norm);
        return end;
    }
    let end = i + c.len_utf8();
    let mut buf = [0u8; 4];
    let norm: &str = if is_apostrophe(c) { "'" } else { c.encode_utf8(&mut buf) };
    push_fixed(out, i, end, TokKind::Punct, norm);
    end
}

/// The offset after the run of characters from `i` that satisfy `f`.
fn bytes_while(text: &str, i: usize, f: impl Fn(char) -> bool) -> usize {
    let mut end = i;
    for ch in text[i..].chars() {
        if !f(ch) {
            break;
        }
        end += ch.len_utf8();
    }
    end
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A URL runs to the next whitespace, less trailing punctuation.
fn url_end(text: &str, i: usize) -> usize {
    let end = bytes_while(text, i, |ch| !ch.is_whitespace());
    let trimmed = text[i..end].trim_end_matches([
        '.', ',', ';', ':', '!', '?', ')', ']', '"', '\'', '\u{2026}', '\u{201C}', '\u{201D}', '\u{2019}',
    ]);
    i + trimmed.len().max(1)
}

/// When an email address starts at `i`, the offset after it.
pub(crate) fn email_end(bytes: &[u8], i: usize) -> Option<usize> {
    let local = bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(b)).count();
    let at = i + local;
    if local == 0 || bytes.get(at) != Some(&b'@') {
        return None;
    }
    let domain = bytes[at + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'.' || **b == b'-').count();
    let mut end = at + 1 + domain;
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let dom = &bytes[at + 1..end];
    let last_dot = dom.iter().rposition(|b| *b == b'.')?;
    let tld = &dom[last_dot + 1..];
    (last_dot > 0 && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then_some(end)
}

/// A word is a run of letters and digits, with apostrophes between letters
/// (`don't`) and `.`, `,` or `:` between digits (`3.5`, `10:30`).
fn word_end(text: &str, i: usize) -> (usize, Option<bool>) {
    let bytes = text.as_bytes();
    let mut end = i;
    let mut alpha = false;
    // Plain ASCII first; at the first other byte, the long way from the start.
    loop {
        while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            alpha |= bytes[end].is_ascii_alphabetic();
            end += 1;
        }
        let Some(&b) = bytes.get(end) else { return (end, Some(alpha)) };
        if !b.is_ascii() {
            return (word_end_slow(text, i), None);
        }
        let prev = bytes[end - 1];
        let next = bytes.get(end + 1).copied().unwrap_or(b' ');
        let joins = (b == b'\'' && prev.is_ascii_alphabetic() && next.is_ascii_alphabetic())
            || (matches!(b, b'.' | b',' | b':') && prev.is_ascii_digit() && next.is_ascii_digit());
        if !joins {
            return (end, Some(alpha));
        }
        end += 1;
    }
}

fn word_end_slow(text: &str, i: usize) -> usize {
    let mut end = i;
    let mut prev: Option<char> = None;
    let mut chars = text[i..].chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_alphanumeric() {
            end += ch.len_utf8();
            prev = Some(ch);
            continue;
        }
        let next = chars.peek().copied();
        let joins_letters =
            is_apostrophe(ch) && prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic);
        let joins_digits = matches!(ch, '.' | ',' | ':')
            && prev.is_some_and(|p| p.is_ascii_digit())
            && next.is_some_and(|n| n.is_ascii_digit());
        if joins_letters || joins_digits {
            end += ch.len_utf8();
            prev = Some(ch);
            continue;
        }
        break;
    }
    end
}

fn push_fixed(out: &mut Tokens, start: usize, end: usize, kind: TokKind, norm: &str) {
    let clause_end =
        kind == TokKind::Punct && matches!(norm, "." | "!" | "!!" | "?" | "??" | "?!" | ";" | ":" | "," | "...");
    push_fixed_as(out, start, end, kind, norm, clause_end);
}

fn push_fixed_as(out: &mut Tokens, start: usize, end: usize, kind: TokKind, norm: &str, clause_end: bool) {
    let norm_start = out.norm.len() as u32;
    out.norm.push_str(norm);
    out.list.push(Token {
        start: start as u32,
        end: end as u32,
        norm_start,
        norm_end: out.norm.len() as u32,
        kind,
        caps: false,
        elongated: false,
        non_ascii: false,
        clause_end,
    });
}

/// Whether an ASCII word has only letters and no letter three times in a row.
fn plain_ascii(b: &[u8]) -> bool {
    let mut ok = true;
    for (i, c) in b.iter().enumerate() {
        ok &= c.is_ascii_alphabetic();
        ok &= !(i >= 2 && c.eq_ignore_ascii_case(&b[i - 1]) && c.eq_ignore_ascii_case(&b[i - 2]));
    }
    ok
}

/// Pushes a word, number or hashtag with its normalised form: lower case,
/// apostrophes dropped, digits written as `0`, runs of three or more of the
/// same character squeezed to two.
fn push_word(text: &str, start: usize, end: usize, kind: TokKind, out: &mut Tokens) {
    let norm_start = out.norm.len();
    let s = &text[start..end];
    let mut letters = 0usize;
    let mut upper = 0usize;
    let mut digits = false;
    let mut elongated = false;
    let mut last: Option<char> = None;
    let mut run = 0usize;
    let mut put = |lowered: char, out: &mut Tokens| {
        if Some(lowered) == last {
            run += 1;
            if run >= 3 && lowered != '0' {
                elongated = true;
                return;
            }
        } else {
            run = 1;
            last = Some(lowered);
        }
        out.norm.push(lowered);
    };
    let non_ascii = !s.is_ascii();
    if non_ascii {
        for ch in s.chars() {
            if is_apostrophe(ch) {
                continue;
            }
            if ch.is_alphabetic() {
                letters += 1;
                upper += usize::from(ch.is_uppercase());
            }
            let lowered = if ch.is_ascii_digit() {
                digits = true;
                '0'
            } else if ch.is_ascii() {
                ch.to_ascii_lowercase()
            } else {
                ch.to_lowercase().next().unwrap_or(ch)
            };
            put(lowered, out);
        }
    } else if plain_ascii(s.as_bytes()) {
        // The common case: letters only, nothing to drop or squeeze.
        for &b in s.as_bytes() {
            letters += 1;
            upper += usize::from(b.is_ascii_uppercase());
        }
        let from = out.norm.len();
        out.norm.push_str(s);
        if let Some(tail) = out.norm.get_mut(from..) {
            tail.make_ascii_lowercase();
        }
    } else {
        for &b in s.as_bytes() {
            if b == b'\'' {
                continue;
            }
            if b.is_ascii_alphabetic() {
                letters += 1;
                upper += usize::from(b.is_ascii_uppercase());
            }
            let lowered = if b.is_ascii_digit() {
                digits = true;
                '0'
            } else {
                char::from(b.to_ascii_lowercase())
            };
            put(lowered, out);
        }
    }
    out.list.push(Token {
        start: start as u32,
        end: end as u32,
        norm_start: norm_start as u32,
        norm_end: out.norm.len() as u32,
        kind,
        caps: kind == TokKind::Word && letters >= 2 && upper == letters && !digits,
        elongated,
        non_ascii,
        clause_end: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        let mut t = Tokens::default();
        tokenize(text, &mut t);
        t.list.iter().map(|k| t.norm(k).to_owned()).collect()
    }

    #[test]
    fn normalises_the_acceptance_example() {
        let n = norms("@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail");
        assert_eq!(
            n,
            [
                "@user",
                "flight",
                "aa0000",
                "cancelled",
                "again",
                ",",
                "0",
                "hours",
                "on",
                "hold",
                ",",
                "cancelling",
                "my",
                "card",
                "#fail"
            ]
        );
    }

    #[test]
    fn keeps_spans_and_flags() {
        let text = "Sooooo GOOD!!! don’t http://t.co/x, mail me@x.com :) 😡😡 3.5";
        let mut t = Tokens::default();
        tokenize(text, &mut t);
        let got: Vec<(&str, &str, TokKind)> =
            t.list.iter().map(|k| (&text[k.start as usize..k.end as usize], t.norm(k), k.kind)).collect();
        assert_eq!(got[0], ("Sooooo", "soo", TokKind::Word));
        assert!(t.list[0].elongated);
        assert_eq!(got[1], ("GOOD", "good", TokKind::Word));
        assert!(t.list[1].caps);
        assert_eq!(got[2], ("!!!", "!!", TokKind::Punct));
        assert_eq!(got[3], ("don’t", "dont", TokKind::Word));
        assert_eq!(got[4], ("http://t.co/x", "<url>", TokKind::Url));
        assert_eq!(got[5].1, ",");
        assert_eq!(got[7], ("me@x.com", "<email>", TokKind::Email));
        assert_eq!(got[8], (":)", ":)", TokKind::Emoji));
        assert_eq!(got[9].2, TokKind::Emoji);
        assert_eq!(got[11], ("3.5", "0.0", TokKind::Number));
    }

    #[test]
    fn odd_input_does_not_break_it() {
        assert!(norms("").is_empty());
        assert_eq!(norms("@ # & ::"), ["@", "#", "&", ":", ":"]);
        assert_eq!(norms("Привет мир 你好"), ["привет", "мир", "你好"]);
        assert_eq!(norms("#Ελλάδα"), ["#ελλάδα"]);
    }
}
