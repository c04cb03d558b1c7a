//! The fast paths of the tokenizer: words, numbers and hashtags written in
//! ASCII (most of every message), each read, normalised and pushed in one
//! pass over its bytes. They give exactly what the general reader
//! (`tokenize::token_at`) gives, and hand it anything else; a property test
//! checks the two against each other.

use crate::tokenize::{TokKind, Tokens, email_end, is_apostrophe};

/// Elongation: a character three or more times in a row is written twice
/// (digits, all `0` by then, are kept).
struct Squeeze {
    last: u8,
    run: u32,
    elongated: bool,
}

impl Squeeze {
    fn new() -> Squeeze {
        Squeeze { last: 0, run: 0, elongated: false }
    }

    /// Whether to keep the next (lowered) byte.
    #[inline]
    fn keep(&mut self, lowered: u8) -> bool {
        if lowered == self.last {
            self.run += 1;
            if self.run >= 3 && lowered != b'0' {
                self.elongated = true;
                return false;
            }
        } else {
            self.run = 1;
            self.last = lowered;
        }
        true
    }
}

/// The common case of a word or number in ASCII (with perhaps a `’` between
/// letters), read, normalised and pushed in one pass: what `tokenize::token_at` and
/// `tokenize::push_word` make of it. `None`, with nothing pushed, when the word runs
/// on into other letters or may be an email address: `tokenize::token_at` reads those.
pub(crate) fn ascii_word(text: &str, i: usize, out: &mut Tokens) -> Option<usize> {
    if let Some(end) = short_word(text, i, out) {
        return Some(end);
    }
    let bytes = text.as_bytes();
    let norm_start = out.norm_buffer().len();
    let (mut letters, mut upper, mut digits, mut non_ascii) = (0u32, 0u32, false, false);
    let mut squeeze = Squeeze::new();
    let mut j = i;
    while j < bytes.len() {
        let b = bytes[j];
        let lowered = if b.is_ascii_alphabetic() {
            letters += 1;
            upper += u32::from(b.is_ascii_uppercase());
            b | 0x20
        } else if b.is_ascii_digit() {
            digits = true;
            b'0'
        } else {
            // The first byte is a letter or digit, so there is one before.
            let prev = bytes[j - 1];
            if b < 0x80 {
                let next = bytes.get(j + 1).copied().unwrap_or(b' ');
                if b == b'\'' && prev.is_ascii_alphabetic() && next.is_ascii_alphabetic() {
                    j += 1;
                    continue;
                }
                if !(matches!(b, b'.' | b',' | b':') && prev.is_ascii_digit() && next.is_ascii_digit()) {
                    break;
                }
                b
            } else {
                let c = text[j..].chars().next().unwrap_or(' ');
                if c == '\u{2019}' && prev.is_ascii_alphabetic() {
                    match bytes.get(j + 3) {
                        Some(n) if n.is_ascii_alphabetic() => {
                            non_ascii = true;
                            j += 3;
                            continue;
                        }
                        Some(n) if !n.is_ascii() => {
                            out.norm_buffer().truncate(norm_start);
                            return None;
                        }
                        _ => break,
                    }
                }
                if c.is_alphanumeric() || is_apostrophe(c) {
                    out.norm_buffer().truncate(norm_start);
                    return None;
                }
                break;
            }
        };
        if squeeze.keep(lowered) {
            out.norm_buffer().push(char::from(lowered));
        }
        j += 1;
    }
    if bytes.get(j).is_some_and(|b| b"@._%+-".contains(b)) && email_end(bytes, i).is_some() {
        out.norm_buffer().truncate(norm_start);
        return None;
    }
    let kind = if letters > 0 { TokKind::Word } else { TokKind::Number };
    let caps = kind == TokKind::Word && letters >= 2 && upper == letters && !digits;
    out.push_token(i, j, norm_start, kind, caps, squeeze.elongated, non_ascii);
    Some(j)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// For each byte of `x` (seven-bit values), 0x80 where it is at least `lo`.
#[inline]
fn at_least(x: u64, lo: u8) -> u64 {
    (x + ONES * u64::from(0x80 - lo)) & HIGH
}

/// For each byte of `x` (seven-bit values), 0x80 where it is more than `hi`.
#[inline]
fn above(x: u64, hi: u8) -> u64 {
    (x + ONES * u64::from(0x7F - hi)) & HIGH
}

/// For each byte of `v`, 0x80 where it is zero.
#[inline]
fn zero_bytes(v: u64) -> u64 {
    !(((v & !HIGH) + !HIGH) | v) & HIGH
}

/// The commonest case of all, a word of ASCII letters and digits shorter
/// than eight bytes, with no character three times in a row and nothing
/// after it that could join it to more: read eight bytes at a time, with
/// no branch for each byte. `None`, with nothing pushed, for anything else.
/// The caller has seen that the word starts with a letter or digit.
#[inline]
fn short_word(text: &str, i: usize, out: &mut Tokens) -> Option<usize> {
    let bytes = text.as_bytes();
    let w = u64::from_le_bytes(bytes.get(i..i + 8)?.try_into().ok()?);
    let ascii = !w & HIGH;
    let x = w & !HIGH;
    let upper = at_least(x, b'A') & !above(x, b'Z') & ascii;
    let lower = at_least(x, b'a') & !above(x, b'z') & ascii;
    let digit = at_least(x, b'0') & !above(x, b'9') & ascii;
    let stop = !(upper | lower | digit) & HIGH;
    let len = (stop.trailing_zeros() / 8) as usize;
    if stop == 0 || len == 0 {
        return None;
    }
    let keep = (1u64 << (8 * len)) - 1;
    let (upper, letters, digit) = (upper & keep, (upper | lower) & keep, digit & keep);
    // Letters in lower case, digits written as `0`.
    let digit_bytes = (digit >> 7) * 0xFF;
    let norm = ((w | (upper >> 2)) & keep & !digit_bytes) | ((ONES * u64::from(b'0')) & digit_bytes);
    // A character three times in a row is squeezed (`0` aside): the long way.
    let triple =
        zero_bytes(norm ^ (norm << 8)) & zero_bytes(norm ^ (norm << 16)) & !zero_bytes(norm ^ (ONES * u64::from(b'0')));
    if triple & keep != 0 {
        return None;
    }
    // What follows may join the word to more (`don't`, `3.5`) or make it an email.
    let (last, after) = (bytes[i + len - 1], bytes[i + len]);
    let next = bytes.get(i + len + 1).copied().unwrap_or(b' ');
    let joins = (after == b'\'' && last.is_ascii_alphabetic() && next.is_ascii_alphabetic())
        || (matches!(after, b'.' | b',' | b':') && last.is_ascii_digit() && next.is_ascii_digit());
    if after >= 0x80 || joins || (b"@._%+-".contains(&after) && email_end(bytes, i).is_some()) {
        return None;
    }
    let buf = out.norm_buffer();
    let norm_start = buf.len();
    for b in norm.to_le_bytes() {
        buf.push(char::from(b));
    }
    buf.truncate(norm_start + len);
    let kind = if letters != 0 { TokKind::Word } else { TokKind::Number };
    let caps = kind == TokKind::Word && letters.count_ones() >= 2 && upper == letters && digit == 0;
    out.push_token(i, i + len, norm_start, kind, caps, false, false);
    Some(i + len)
}

/// A hashtag in ASCII (`#fail`), as [`ascii_word`] reads a word; `None`,
/// with nothing pushed, for any other `#`.
pub(crate) fn ascii_hashtag(text: &str, i: usize, out: &mut Tokens) -> Option<usize> {
    let bytes = text.as_bytes();
    let body = bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    let end = i + 1 + body;
    if body == 0 || bytes.get(end).is_some_and(|b| !b.is_ascii()) {
        return None;
    }
    let norm_start = out.norm_buffer().len();
    out.norm_buffer().push('#');
    let mut squeeze = Squeeze::new();
    squeeze.keep(b'#');
    for &b in &bytes[i + 1..end] {
        let lowered = if b.is_ascii_digit() { b'0' } else { b.to_ascii_lowercase() };
        if squeeze.keep(lowered) {
            out.norm_buffer().push(char::from(lowered));
        }
    }
    out.push_token(i, end, norm_start, TokKind::Hashtag, false, squeeze.elongated, false);
    Some(end)
}

#[cfg(test)]
mod tests {
    use crate::tokenize::{Tokens, tokenize, tokenize_general};
    use proptest::prelude::*;

    fn both(text: &str) -> (Vec<String>, Vec<String>) {
        let show = |t: &Tokens| {
            t.list
                .iter()
                .map(|k| {
                    format!(
                        "{}..{} {:?} {} caps={} elong={} non_ascii={} end={}",
                        k.start,
                        k.end,
                        k.kind,
                        t.norm(k),
                        k.caps,
                        k.elongated,
                        k.non_ascii,
                        k.clause_end
                    )
                })
                .collect::<Vec<_>>()
        };
        let (mut fast, mut general) = (Tokens::default(), Tokens::default());
        tokenize(text, &mut fast);
        tokenize_general(text, &mut general);
        (show(&fast), show(&general))
    }

    #[test]
    fn agrees_with_the_general_reader_on_examples() {
        for text in [
            "@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail",
            "Sooooo GOOD!!! don’t don't l’été 3.5 10:30 1,000 a.b mail me@x.com me. #Tag_1 #x😡 #ñu",
            "http://t.co/x www.x.com hTTps://y wow what h w HELLO’s it’s5 o’ 5’s x’é",
            "aaa AAA aaaa 000 0000 a0a0 #aaa #000 ab'c ab'' 'ab a'b'c e-mail x_y",
        ] {
            let (fast, general) = both(text);
            assert_eq!(fast, general, "{text}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_general_reader(text in r"([a-zA-Z0-9'’.,:@#_%+\- ]|é|😡|…|http://|www\.){0,40}") {
            let (fast, general) = both(&text);
            prop_assert_eq!(fast, general);
        }

        #[test]
        fn agrees_on_any_string(text in any::<String>()) {
            let (fast, general) = both(&text);
            prop_assert_eq!(fast, general);
        }
    }
}
