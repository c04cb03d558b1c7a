//! Full-text search over message text with FTS5: the user's words turned into
//! a safe FTS5 query, ranked by BM25, with highlights.

use rusqlite::{Connection, ToSql, params};

use super::rows::{MESSAGE_COLUMNS, message_from_row};
use crate::{SearchHit, SearchQuery, StoreError};

/// Marks FTS5 puts around each match; private-use characters, so they do not
/// occur in ordinary text.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// The most terms a query may have.
const MAX_TERMS: usize = 32;
/// The largest page of results.
pub const MAX_RESULTS: u32 = 100;

/// One term of a user's query.
#[derive(Debug, PartialEq)]
struct Term {
    text: String,
    phrase: bool,
    prefix: bool,
    negated: bool,
}

fn parse_terms(q: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negated = c == '-';
        if negated {
            chars.next();
        }
        let mut text = String::new();
        let phrase = chars.peek() == Some(&'"');
        if phrase {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                text.push(c);
                chars.next();
            }
        }
        let prefix = !phrase && text.ends_with('*');
        let text = text.trim_end_matches('*').to_owned();
        // A term with no letter or digit would be an empty phrase to FTS5.
        if text.chars().any(char::is_alphanumeric) {
            terms.push(Term { text, phrase, prefix, negated });
        }
    }
    terms
}

/// Turns the user's words into an FTS5 query in which every term is quoted,
/// so no input can be read as FTS5 syntax.
pub(crate) fn fts_query(q: &str) -> Result<String, StoreError> {
    let terms = parse_terms(q);
    if terms.len() > MAX_TERMS {
        return Err(StoreError::InvalidQuery(format!("the query has {} terms; the limit is {MAX_TERMS}", terms.len())));
    }
    let quote = |t: &Term| {
        let mut s = format!("\"{}\"", t.text.replace('"', "\"\""));
        if t.prefix {
            s.push('*');
        }
        s
    };
    let positive: Vec<String> = terms.iter().filter(|t| !t.negated).map(quote).collect();
    if positive.is_empty() {
        return Err(StoreError::InvalidQuery("the query needs at least one word to look for".into()));
    }
    let mut fts = positive.join(" ");
    for t in terms.iter().filter(|t| t.negated) {
        fts.push_str(" NOT ");
        fts.push_str(&quote(t));
    }
    Ok(fts)
}

/// How many of the newest matches are ranked. A word that occurs in a third
/// of a million messages would otherwise have every one of them scored by
/// BM25 (hundreds of milliseconds); ranking only the newest matches keeps
/// every query's cost bounded, and for a care team the newest mentions are the
/// ones that matter. A query with fewer matches than this is ranked whole.
pub const RANKED_CANDIDATES: u32 = 4000;

fn fts_error(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) if m.contains("fts5") => StoreError::InvalidQuery(m),
        e => e.into(),
    }
}

pub fn search(conn: &Connection, q: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
    let fts = fts_query(&q.q)?;
    let limit = q.limit.clamp(1, MAX_RESULTS) as usize;

    // 1. The newest candidates with their BM25 rank (FTS5 reads its doclists
    //    newest first and stops after RANKED_CANDIDATES).
    let (sql, args): (&str, Vec<Box<dyn ToSql>>) = match q.channel {
        None => (
            "SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
            vec![Box::new(fts.clone()), Box::new(RANKED_CANDIDATES)],
        ),
        Some(channel) => (
            "SELECT f.rowid, f.rank FROM messages_fts f JOIN messages m ON m.id = f.rowid \
             WHERE messages_fts MATCH ?1 AND m.channel = ?3 ORDER BY f.rowid DESC LIMIT ?2",
            vec![Box::new(fts.clone()), Box::new(RANKED_CANDIDATES), Box::new(channel.as_str())],
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let mut candidates: Vec<(i64, f64)> = stmt
        .query_map(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(fts_error)?
        .collect::<Result<_, _>>()
        .map_err(fts_error)?;
    // BM25 in FTS5 is negative, lower is better; ties go to the newer.
    candidates.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    candidates.truncate(limit);

    // 2. The chosen messages, their highlights, and snippets.
    let mut mark = conn.prepare_cached(&format!(
        "SELECT highlight(messages_fts, 0, '{OPEN}', '{CLOSE}') FROM messages_fts \
         WHERE messages_fts MATCH ?1 AND rowid = ?2"
    ))?;
    let mut load = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id WHERE m.id = ?1"
    ))?;
    let mut hits = Vec::with_capacity(candidates.len());
    for (id, rank) in candidates {
        let message = load.query_row([id], message_from_row)?;
        let marked: String = mark.query_row(params![fts, id], |r| r.get(0))?;
        let highlights = highlight_ranges(message.message.text.as_str(), &marked);
        let snippet = snippet(message.message.text.as_str(), &highlights);
        hits.push(SearchHit { score: -rank, snippet, highlights, message });
    }
    Ok(hits)
}

/// Reads the byte ranges of matches from FTS5's marked-up copy of `text`.
/// Returns no ranges when the text itself contains a marker character.
fn highlight_ranges(text: &str, marked: &str) -> Vec<[usize; 2]> {
    if text.contains(OPEN) || text.contains(CLOSE) {
        return Vec::new();
    }
    let mut ranges = Vec::new();
    let mut pos = 0; // byte offset in `text`
    let mut start = None;
    for c in marked.chars() {
        match c {
            OPEN => start = Some(pos),
            CLOSE => {
                if let Some(s) = start.take() {
                    ranges.push([s, pos]);
                }
            }
            c => pos += c.len_utf8(),
        }
    }
    if pos != text.len() {
        return Vec::new();
    }
    ranges
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The text around the first match (about 240 bytes), HTML-escaped, with each
/// match inside `<mark>`.
fn snippet(text: &str, ranges: &[[usize; 2]]) -> String {
    const WINDOW: usize = 240;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let first = ranges.first().map_or(0, |r| r[0]);
    let start = floor(first.saturating_sub(WINDOW / 3));
    let end = floor(start + WINDOW);
    let mut out = String::with_capacity(end - start + 32);
    if start > 0 {
        out.push('…');
    }
    let mut pos = start;
    for r in ranges.iter().filter(|r| r[0] >= start && r[1] <= end) {
        escape_into(&mut out, &text[pos..r[0]]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[r[0]..r[1]]);
        out.push_str("</mark>");
        pos = r[1];
    }
    escape_into(&mut out, &text[pos..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_words_become_quoted_terms() {
        assert_eq!(fts_query("lost bag").unwrap(), r#""lost" "bag""#);
        assert_eq!(fts_query(r#""lost bag" -refund flig*"#).unwrap(), r#""lost bag" "flig"* NOT "refund""#);
        assert_eq!(fts_query(r#"say "hi"#).unwrap(), r#""say" "hi""#);
        assert_eq!(fts_query(r#"a"b OR NEAR("#).unwrap(), r#""a""b" "OR" "NEAR(""#);
        assert!(fts_query("-only").is_err());
        assert!(fts_query("  !!! ").is_err());
    }

    #[test]
    fn highlights_map_back_to_the_text() {
        let text = "Lost <my> bag, lost!";
        let marked = "\u{E000}Lost\u{E001} <my> bag, \u{E000}lost\u{E001}!";
        let r = highlight_ranges(text, marked);
        assert_eq!(r, vec![[0, 4], [15, 19]]);
        assert_eq!(snippet(text, &r), "<mark>Lost</mark> &lt;my&gt; bag, <mark>lost</mark>!");
    }

    proptest! {
        #[test]
        fn any_query_is_either_refused_or_quoted(q in ".{0,200}") {
            if let Ok(f) = fts_query(&q) {
                // Every quote inside a term is doubled, so quotes balance.
                prop_assert_eq!(f.matches('"').count() % 2, 0);
            }
        }

        #[test]
        fn snippets_never_panic(text in ".{0,600}", a in 0usize..700, b in 0usize..700) {
            let (a, b) = (a.min(b), a.max(b));
            let ok = text.is_char_boundary(a.min(text.len())) && text.is_char_boundary(b.min(text.len()));
            if ok && b <= text.len() {
                let _ = snippet(&text, &[[a, b]]);
            }
        }
    }
}
