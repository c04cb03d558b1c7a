//! Entity extraction: mentions, hashtags, URLs and emails from the tokens;
//! flight, order, booking and account numbers from a keyword before them (or
//! a brand's patterns); phone numbers, US ZIP codes and UK or Canadian
//! postcodes from their shapes; products and competitors from the catalogue.
//! Every entity has its byte span in the judged text.

use crate::catalogue::Catalogue;
use crate::features::Analysis;
use crate::judgement::{Entity, EntityKind};
use crate::tokenize::{TokKind, Token};
use crate::words::flags;

/// Two-character airline designators that open a flight number (`AA1234`, `UA 12`).
const AIRLINE_CODES: &[&str] = &[
    "4U", "9E", "AA", "AC", "AF", "AM", "AS", "AV", "AY", "AZ", "B6", "BA", "CM", "CX", "DL", "DY", "EI", "EK", "EV",
    "EY", "F9", "FR", "G4", "HA", "IB", "JL", "KL", "LA", "LH", "LX", "MQ", "NH", "NK", "NZ", "OH", "OO", "OS", "QF",
    "QR", "QX", "SK", "SQ", "SY", "TK", "U2", "UA", "US", "VA", "VS", "VX", "WN", "WS", "YV", "YX", "ZW",
];

/// Two-letter US state codes, for ZIP codes written after them (`NY 10001`).
const STATES: &[&str] = &[
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA",
    "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY",
];

pub(crate) const FLIGHT_WORDS: &[&str] = &["flight", "flt", "flights", "fl"];
pub(crate) const ORDER_WORDS: &[&str] = &["order", "orders", "ord"];
pub(crate) const BOOKING_WORDS: &[&str] =
    &["confirmation", "conf", "booking", "reservation", "locator", "pnr", "ref", "reference", "ticket", "itinerary"];
pub(crate) const ACCOUNT_WORDS: &[&str] = &[
    "account",
    "acct",
    "acc",
    "aadvantage",
    "mileageplus",
    "skymiles",
    "trueblue",
    "rewards",
    "member",
    "membership",
    "loyalty",
    "customer",
];
/// Words that may stand between a keyword and its number (`order number: 123`).
pub(crate) const FILLERS: &[&str] =
    &["#", "number", "no", "num", "nr", "id", "code", ":", "is", "=", "-", "ref", "reference", "."];

fn span<'a>(text: &'a str, t: &Token) -> &'a str {
    text.get(t.start as usize..t.end as usize).unwrap_or("")
}

fn push(out: &mut Vec<Entity>, text: &str, kind: EntityKind, start: usize, end: usize) {
    if start >= end || out.iter().any(|e| e.kind == kind && e.start < end && start < e.end) {
        return;
    }
    out.push(Entity { kind, text: text.get(start..end).unwrap_or("").to_owned(), start, end, canonical: None });
}

/// Whether `b` is a two-character airline designator (`AA`, `B6`).
fn is_code(b: &[u8]) -> bool {
    b.len() == 2
        && b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && AIRLINE_CODES.binary_search_by(|c| c.as_bytes().cmp(b)).is_ok()
}

/// Whether `b` is a flight designator with its number (`AA1234`, `B6123`).
/// The code may be in lower case (`ua1673`) when three or four digits follow.
#[inline]
fn is_coded_flight(b: &[u8]) -> bool {
    // Most words end in a letter: no flight number.
    if !b.last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    coded_flight(b)
}

fn coded_flight(b: &[u8]) -> bool {
    if !(b.len() >= 3
        && b.len() <= 6
        && b[..2].iter().all(u8::is_ascii_alphanumeric)
        && b[2..].iter().all(u8::is_ascii_digit))
    {
        return false;
    }
    let upper = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
    let lower = b[..2].iter().any(u8::is_ascii_lowercase);
    AIRLINE_CODES.binary_search_by(|c| c.as_bytes().cmp(&upper[..])).is_ok() && (!lower || b.len() >= 5)
}

fn digits_only(s: &[u8], min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.iter().all(u8::is_ascii_digit)
}

/// The end of an identifier-like run from `start`: letters, digits, `-`, `_`, `/`.
fn id_run_end(text: &str, start: usize) -> usize {
    let rest = text.get(start..).unwrap_or("");
    let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/')).count();
    let mut end = start + len;
    while end > start && matches!(text.as_bytes()[end - 1], b'-' | b'_' | b'/') {
        end -= 1;
    }
    end
}

/// The flags of the words that announce a number.
const KEYWORDS: u16 = flags::FLIGHT_WORD | flags::ORDER_WORD | flags::BOOKING_WORD | flags::ACCOUNT_WORD;

/// Finds the entities of an analysed message.
pub(crate) fn extract(text: &str, a: &Analysis, catalogue: &Catalogue, out: &mut Vec<Entity>) {
    let list = &a.tokens.list;
    let bytes = text.as_bytes();
    let raw_of = |t: &Token| bytes.get(t.start as usize..t.end as usize).unwrap_or(&[]);
    for (i, t) in list.iter().enumerate() {
        let (s, e) = (t.start as usize, t.end as usize);
        match t.kind {
            TokKind::Mention => push(out, text, EntityKind::Mention, s, e),
            TokKind::Url => push(out, text, EntityKind::Url, s, e),
            TokKind::Email => push(out, text, EntityKind::Email, s, e),
            TokKind::Hashtag => {
                let body = raw_of(t).get(1..).unwrap_or(&[]);
                if is_coded_flight(body) {
                    push(out, text, EntityKind::FlightNumber, s + 1, e);
                }
                if !body.iter().all(u8::is_ascii_digit) {
                    push(out, text, EntityKind::Hashtag, s, e);
                }
            }
            TokKind::Word => {
                let raw = raw_of(t);
                if is_coded_flight(raw) {
                    push(out, text, EntityKind::FlightNumber, s, e);
                } else if is_code(raw) {
                    if let Some(n) =
                        list.get(i + 1).filter(|n| n.kind == TokKind::Number && digits_only(raw_of(n), 1, 4))
                        && n.start == t.end + 1
                    {
                        push(out, text, EntityKind::FlightNumber, s, n.end as usize);
                    }
                } else if a.infos[i].flags & KEYWORDS != 0 {
                    keyword_number(text, a, i, out);
                }
                // A UK or Canadian postcode: `SW1A 1AA`, `K1A 0B1`.
                if is_outward(raw)
                    && let Some(n) = list.get(i + 1).filter(|n| n.start == t.end + 1)
                    && is_inward(raw_of(n))
                {
                    push(out, text, EntityKind::Postcode, s, n.end as usize);
                }
            }
            TokKind::Number => {
                let raw = raw_of(t);
                // `on 768 to Logan`, `290 to Boston`: a flight by its number and destination.
                if digits_only(raw, 2, 4) {
                    let to = list.get(i + 1).is_some_and(|n| a.tokens.norm(n) == "to");
                    let place = list.get(i + 2).is_some_and(|n| {
                        n.kind == TokKind::Word && raw_of(n).first().is_some_and(u8::is_ascii_uppercase)
                    });
                    if to && place {
                        push(out, text, EntityKind::FlightNumber, s, e);
                    }
                }
                if digits_only(raw, 5, 5) {
                    zip_code(text, a, i, out);
                }
            }
            _ => {}
        }
    }
    for (kind, pattern) in &catalogue.patterns {
        for (s, e) in pattern.find_all(text) {
            push(out, text, *kind, s, e);
        }
    }
    phones(text, out);
    if catalogue.has_names() {
        let mut names = Vec::new();
        catalogue.find_names(text, a, &mut names);
        for (kind, canonical, first, last) in names {
            let (s, e) = (list[first].start as usize, list[last].end as usize);
            push(out, text, kind, s, e);
            if let Some(ent) = out.last_mut().filter(|x| x.start == s && x.kind == kind) {
                ent.canonical = Some(canonical);
            }
        }
    }
    out.sort_by_key(|e| (e.start, e.end, e.kind));
}

/// A number after a keyword: `flight 1234`, `order #123-4567`, `confirmation ABC123`, `account 12345678`.
fn keyword_number(text: &str, a: &Analysis, i: usize, out: &mut Vec<Entity>) {
    let list = &a.tokens.list;
    let f = a.infos[i].flags;
    let kind = if f & flags::FLIGHT_WORD != 0 {
        EntityKind::FlightNumber
    } else if f & flags::ORDER_WORD != 0 {
        EntityKind::OrderNumber
    } else if f & flags::BOOKING_WORD != 0 {
        EntityKind::BookingNumber
    } else if f & flags::ACCOUNT_WORD != 0 {
        EntityKind::AccountNumber
    } else {
        return;
    };
    let mut j = i + 1;
    while j < list.len() && j <= i + 3 && a.infos[j].flags & flags::NUMBER_FILLER != 0 {
        j += 1;
    }
    let Some(t) = list.get(j) else { return };
    let mut start = t.start as usize;
    if t.kind == TokKind::Hashtag {
        start += 1;
    }
    match kind {
        EntityKind::FlightNumber => {
            let end = id_run_end(text, start);
            let s = &text[start..end];
            let unit_after = list.get(j + 1).is_some_and(|n| {
                matches!(a.tokens.norm(n), "min" | "mins" | "minutes" | "hours" | "hrs" | "hr" | "h" | "days" | "times")
            });
            if (digits_only(s.as_bytes(), 2, 4) && !unit_after) || is_coded_flight(s.as_bytes()) {
                push(out, text, kind, start, end);
            }
        }
        _ => {
            let end = id_run_end(text, start);
            let s = &text[start..end];
            let digits = s.bytes().filter(u8::is_ascii_digit).count();
            let upper_code = (5..=8).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && s.bytes().any(|b| b.is_ascii_uppercase());
            let ok = match kind {
                EntityKind::BookingNumber => upper_code || digits >= 5,
                _ => digits >= 5 && digits * 2 >= s.len(),
            };
            if ok {
                push(out, text, kind, start, end);
            }
        }
    }
}

/// Phone numbers: 10 to 13 digits with separators (`(800) 433-7300`,
/// `+44 20 7946 0958`, `1-800-221-1212`), or a leading `+`.
fn phones(text: &str, out: &mut Vec<Entity>) {
    let b = text.as_bytes();
    // Most messages have too few digits for a phone number: a quick count first.
    if b.iter().fold(0usize, |n, c| n + usize::from(c.is_ascii_digit())) < 10 {
        return;
    }
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if !(boundary && (b[i].is_ascii_digit() || b[i] == b'+' || b[i] == b'(')) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut digits = 0;
        let mut separators = 0;
        let mut last_sep = false;
        while j < b.len() && digits <= 15 {
            let c = b[j];
            if c.is_ascii_digit() {
                digits += 1;
                last_sep = false;
            } else if matches!(c, b' ' | b'-' | b'.' | b'(' | b')') || (c == b'+' && j == i) {
                if last_sep && !(b[j - 1] == b')' && c == b' ') {
                    break;
                }
                separators += 1;
                last_sep = true;
            } else {
                break;
            }
            j += 1;
        }
        let mut end = j;
        while end > i && !b[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let next_ok = end >= b.len() || !b[end].is_ascii_alphanumeric();
        if (10..=13).contains(&digits) && (separators > 0 || b[i] == b'+') && next_ok {
            push(out, text, EntityKind::Phone, i, end);
            i = end;
        } else {
            i = j.max(i + 1);
        }
    }
}

/// A US ZIP code (the five-digit number token `i`) after a state or the word `zip`.
fn zip_code(text: &str, a: &Analysis, i: usize, out: &mut Vec<Entity>) {
    let list = &a.tokens.list;
    let Some(t) = list.get(i) else { return };
    let prev_words = list[i.saturating_sub(3)..i].iter().filter(|p| p.kind == TokKind::Word);
    let mut context = false;
    for p in prev_words {
        let r = span(text, p);
        context |= STATES.binary_search(&r).is_ok() || matches!(a.tokens.norm(p), "zip" | "zipcode" | "postal");
    }
    if context {
        let mut end = t.end as usize;
        if text.as_bytes().get(end) == Some(&b'-') {
            let plus = text.get(end + 1..).unwrap_or("");
            if plus.len() >= 4
                && plus.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && !plus.as_bytes().get(4).is_some_and(u8::is_ascii_alphanumeric)
            {
                end += 5;
            }
        }
        push(out, text, EntityKind::ZipCode, t.start as usize, end);
    }
}

/// The first half of a UK postcode (`SW1A`, `M1`, `EC2V`) or of a Canadian one (`K1A`).
fn is_outward(b: &[u8]) -> bool {
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let uk = (1..=2).contains(&letters)
        && b.len() > letters
        && b.len() <= letters + 2
        && b[letters].is_ascii_digit()
        && b[letters + 1..].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let ca = b.len() == 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_uppercase();
    uk || ca
}

/// The second half of a UK postcode (`1AA`) or of a Canadian one (`0B1`).
fn is_inward(b: &[u8]) -> bool {
    b.len() == 3
        && b[0].is_ascii_digit()
        && ((b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase())
            || (b[1].is_ascii_uppercase() && b[2].is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(EntityKind, String)> {
        let mut a = Analysis::new();
        a.read(text);
        let mut out = Vec::new();
        extract(text, &a, &Catalogue::new(), &mut out);
        for e in &out {
            assert_eq!(&text[e.start..e.end], e.text);
        }
        out.into_iter().map(|e| (e.kind, e.text)).collect()
    }

    fn has(text: &str, kind: EntityKind, what: &str) -> bool {
        found(text).iter().any(|(k, t)| *k == kind && t == what)
    }

    #[test]
    fn lists_are_sorted_for_binary_search() {
        assert!(AIRLINE_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(STATES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn finds_each_kind() {
        assert!(has("@AmericanAir flight AA1234 cancelled", EntityKind::FlightNumber, "AA1234"));
        assert!(has("@AmericanAir flight AA1234 cancelled", EntityKind::Mention, "@AmericanAir"));
        assert!(has("on UA 123 today", EntityKind::FlightNumber, "UA 123"));
        assert!(has("flight #4567 is late", EntityKind::FlightNumber, "4567"));
        assert!(has("Flight 89 to LAX", EntityKind::FlightNumber, "89"));
        assert!(has("order #112-3456789-1234567 never came", EntityKind::OrderNumber, "112-3456789-1234567"));
        assert!(has("confirmation code ABC12D please", EntityKind::BookingNumber, "ABC12D"));
        assert!(has("my account number is 12345678", EntityKind::AccountNumber, "12345678"));
        assert!(has("call (800) 433-7300 now", EntityKind::Phone, "(800) 433-7300"));
        assert!(has("call +44 20 7946 0958", EntityKind::Phone, "+44 20 7946 0958"));
        assert!(has("call 1-800-221-1212", EntityKind::Phone, "1-800-221-1212"));
        assert!(has("ship to Albany, NY 12208-1234", EntityKind::ZipCode, "12208-1234"));
        assert!(has("I live in SW1A 1AA London", EntityKind::Postcode, "SW1A 1AA"));
        assert!(has("mail a@b.co or see https://x.co/y #fail", EntityKind::Hashtag, "#fail"));
        assert!(has("mail a@b.co now", EntityKind::Email, "a@b.co"));
    }

    #[test]
    fn leaves_ordinary_numbers_alone() {
        assert!(found("waited 3 hours, 45 minutes, cost $200 on 2/24/2015").is_empty());
        assert!(found("my flight 2 hours late").iter().all(|(k, _)| *k != EntityKind::FlightNumber));
        assert!(found("my flight 45 minutes late").iter().all(|(k, _)| *k != EntityKind::FlightNumber));
        assert!(found("#1 airline").is_empty());
    }
}
