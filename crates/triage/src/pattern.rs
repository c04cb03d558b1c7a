//! A tiny pattern language for a brand's order, booking and account numbers,
//! since no regular-expression crate is used here.
//!
//! - `#` is a digit, `@` a letter, `*` a letter or digit;
//! - `{n}` or `{m,n}` after an atom repeats it (at most 32 times);
//! - `\` makes the next character literal;
//! - any other character is itself (letters in either case).
//!
//! For example `ORD-#{7}` matches `ORD-1234567` and `ord-1234567`, and
//! `@{2}#{6,8}` matches `AB123456`. A match must start and end at a word
//! boundary. Matching simulates the pattern as an automaton over at most 128
//! positions, so it is linear in the text.

/// Why a pattern could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is empty")]
    Empty,
    #[error("the pattern `{0}` is too long (at most 127 characters after repetition)")]
    TooLong(String),
    #[error("the pattern `{pattern}` has a bad repetition at byte {at}")]
    BadRepetition { pattern: String, at: usize },
    #[error("the pattern `{0}` ends with a lone `\\`")]
    TrailingEscape(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Digit,
    Letter,
    Alnum,
    Literal(char),
}

impl Atom {
    fn matches(self, c: char) -> bool {
        match self {
            Atom::Digit => c.is_ascii_digit(),
            Atom::Letter => c.is_alphabetic(),
            Atom::Alnum => c.is_alphanumeric(),
            Atom::Literal(l) => l == c || (l.is_ascii_alphabetic() && l.eq_ignore_ascii_case(&c)),
        }
    }
}

/// A compiled identifier pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPattern {
    source: String,
    /// One atom per position, and whether it may be skipped.
    units: Vec<(Atom, bool)>,
}

const MAX_UNITS: usize = 127;

impl IdPattern {
    pub fn parse(source: &str) -> Result<IdPattern, PatternError> {
        let mut units: Vec<(Atom, bool)> = Vec::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let atom = match c {
                '#' => Atom::Digit,
                '@' => Atom::Letter,
                '*' => Atom::Alnum,
                '\\' => match chars.next() {
                    Some((_, l)) => Atom::Literal(l),
                    None => return Err(PatternError::TrailingEscape(source.to_owned())),
                },
                '{' | '}' => return Err(PatternError::BadRepetition { pattern: source.to_owned(), at }),
                other => Atom::Literal(other),
            };
            let (min, max) = if chars.peek().is_some_and(|(_, n)| *n == '{') {
                let (open, _) = chars.next().unwrap_or((at, '{'));
                let mut body = String::new();
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    body.push(n);
                }
                let bad = || PatternError::BadRepetition { pattern: source.to_owned(), at: open };
                if !closed {
                    return Err(bad());
                }
                let (lo, hi) = match body.split_once(',') {
                    Some((lo, hi)) => {
                        (lo.trim().parse::<usize>().map_err(|_| bad())?, hi.trim().parse::<usize>().map_err(|_| bad())?)
                    }
                    None => {
                        let n = body.trim().parse::<usize>().map_err(|_| bad())?;
                        (n, n)
                    }
                };
                if hi == 0 || lo > hi || hi > 32 {
                    return Err(bad());
                }
                (lo, hi)
            } else {
                (1, 1)
            };
            for i in 0..max {
                units.push((atom, i >= min));
            }
            if units.len() > MAX_UNITS {
                return Err(PatternError::TooLong(source.to_owned()));
            }
        }
        if units.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(IdPattern { source: source.to_owned(), units })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Adds the positions reachable by skipping optional units.
    fn close(&self, mut set: u128) -> u128 {
        for (i, (_, optional)) in self.units.iter().enumerate() {
            if *optional && set & (1 << i) != 0 {
                set |= 1 << (i + 1);
            }
        }
        set
    }

    /// The end of the longest match starting at byte `start`, if any, ending
    /// at a word boundary.
    pub fn match_at(&self, text: &str, start: usize) -> Option<usize> {
        let rest = text.get(start..)?;
        let n = self.units.len();
        let mut set = self.close(1);
        let mut best = None;
        let mut at = start;
        for c in rest.chars() {
            let mut next = 0u128;
            for (i, (atom, _)) in self.units.iter().enumerate() {
                if set & (1 << i) != 0 && atom.matches(c) {
                    next |= 1 << (i + 1);
                }
            }
            set = self.close(next);
            at += c.len_utf8();
            if set == 0 {
                break;
            }
            if set & (1 << n) != 0 && !text[at..].chars().next().is_some_and(char::is_alphanumeric) {
                best = Some(at);
            }
        }
        best
    }

    /// Every non-overlapping match in `text`, each starting at a word boundary.
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut prev_alnum = false;
        let mut skip_to = 0;
        for (i, c) in text.char_indices() {
            if i >= skip_to
                && !prev_alnum
                && let Some(end) = self.match_at(text, i)
            {
                out.push((i, end));
                skip_to = end;
            }
            prev_alnum = c.is_alphanumeric();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_what_the_docs_say() {
        let p = IdPattern::parse("ORD-#{7}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.find_all("my order ord-1234567 and ORD-7654321x"), [(9, 20)]);
        let p = IdPattern::parse("@{2}#{6,8}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.find_all("ref AB123456, AB12345678, AB12345"), [(4, 12), (14, 24)]);
        let p = IdPattern::parse("\\#*{6}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.find_all("code #ABC123"), [(5, 12)]);
    }

    #[test]
    fn refuses_bad_patterns() {
        assert_eq!(IdPattern::parse(""), Err(PatternError::Empty));
        assert!(matches!(IdPattern::parse("#{0}"), Err(PatternError::BadRepetition { .. })));
        assert!(matches!(IdPattern::parse("#{3"), Err(PatternError::BadRepetition { .. })));
        assert!(matches!(IdPattern::parse("#{5,2}"), Err(PatternError::BadRepetition { .. })));
        assert!(matches!(IdPattern::parse("}"), Err(PatternError::BadRepetition { .. })));
        assert!(matches!(IdPattern::parse("#{32}#{32}#{32}#{32}"), Err(PatternError::TooLong(_))));
        assert!(matches!(IdPattern::parse("ab\\"), Err(PatternError::TrailingEscape(_))));
    }

    proptest! {
        #[test]
        fn parsing_and_matching_never_panic(p in ".{0,40}", text in ".{0,200}") {
            if let Ok(p) = IdPattern::parse(&p) {
                for (s, e) in p.find_all(&text) {
                    prop_assert!(s < e && e <= text.len());
                    prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
                }
            }
        }
    }
}
