//! JSON helpers shared by the JSON formats: typed deserialisation that names
//! the path of a bad value, the classification of serde's errors into stable
//! codes, and a string type that borrows from the input when it can.

use std::{borrow::Cow, fmt};

use serde::{Deserialize, Deserializer, de};

use crate::ParseError;

/// The most bytes of a serde message we echo back; serde quotes the offending
/// value, which may be a 64 KiB string.
const MAX_DETAIL: usize = 200;

/// A JSON string that borrows from the input unless it had escapes.
/// (`Option<Cow<str>>` never borrows with serde's derive; this does.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl Str<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A platform id that some payloads write as a string and others as a number
/// (Meta's `created_time`, X's `id`). Kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StrOrNum<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for StrOrNum<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = StrOrNum<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrOrNum(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrOrNum(Cow::Owned(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(StrOrNum(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(StrOrNum(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(StrOrNum(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks that a body is UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| ParseError::InvalidUtf8 { valid_up_to: e.valid_up_to() })
}

/// A value that did not fit the expected shape: where, which rule, a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeProblem {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl From<ShapeProblem> for ParseError {
    fn from(p: ShapeProblem) -> ParseError {
        ParseError::InvalidField { field: p.field, code: p.code, message: p.message }
    }
}

/// Why typed deserialisation failed.
pub(crate) enum TypedError {
    /// The text is not JSON (only possible when it was not checked before).
    Syntax(String),
    /// The JSON does not have the expected shape.
    Shape(ShapeProblem),
}

impl From<TypedError> for ParseError {
    fn from(e: TypedError) -> ParseError {
        match e {
            TypedError::Syntax(detail) => ParseError::MalformedJson { detail },
            TypedError::Shape(p) => p.into(),
        }
    }
}

/// Deserialises `text` into `T`. The fast path does no path tracking; only
/// when it fails is the input read again to find the path of the bad value.
pub(crate) fn typed<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, TypedError> {
    let first = match serde_json::from_str::<T>(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if first.is_syntax() || first.is_eof() || first.is_io() {
        return Err(TypedError::Syntax(first.to_string()));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        // Cannot happen (the same input failed above), but is not worth a panic.
        Ok(_) => Err(TypedError::Shape(classify("", &first))),
        Err(e) => {
            let path = render_path(e.path());
            Err(TypedError::Shape(classify(&path, e.inner())))
        }
    }
}

/// Deserialises a whole platform body: UTF-8, then JSON, then shape.
pub(crate) fn body<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ParseError> {
    let text = utf8(bytes)?;
    typed(text).map_err(ParseError::from)
}

/// Deserialises one part of a larger body, naming errors by their full path:
/// `typed_at(tweet_text, "data[2]")` reports `data[2].author_id`.
pub(crate) fn typed_at<'a, T: Deserialize<'a>>(text: &'a str, prefix: &str) -> Result<T, ParseError> {
    typed(text).map_err(|e| match e {
        TypedError::Syntax(detail) => ParseError::MalformedJson { detail },
        TypedError::Shape(mut p) => {
            p.field = if p.field.is_empty() {
                prefix.to_owned()
            } else if p.field.starts_with('[') || prefix.is_empty() {
                format!("{prefix}{}", p.field)
            } else {
                format!("{prefix}.{}", p.field)
            };
            p.into()
        }
    })
}

/// Writes a path as `author.id` or `data[0].text`; the root is the empty string.
pub(crate) fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// Joins a path and a key: `join("author", "id") == "author.id"`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// Turns a serde_json data error at `path` into a stable code and a sentence.
/// serde's messages are stable in their leading words (`missing field`,
/// `unknown field`, `invalid type`...), which is what is matched here.
pub(crate) fn classify(path: &str, err: &serde_json::Error) -> ShapeProblem {
    let full = err.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let quoted = backticked(msg);
    if let (true, Some(name)) = (msg.starts_with("missing field"), quoted) {
        let field = join(path, name);
        let message = format!("`{field}` is required");
        return ShapeProblem { field, code: "missing_field", message };
    }
    if let (true, Some(name)) = (msg.starts_with("unknown field"), quoted) {
        // serde_path_to_error reports the path of the object holding the key
        // or, for some shapes, the key itself; name the key either way.
        let field =
            if path == name || path.ends_with(&format!(".{name}")) { path.to_owned() } else { join(path, name) };
        let message = format!("`{}` is not a known field", cut(&field));
        return ShapeProblem { field, code: "unknown_field", message };
    }
    if let (true, Some(name)) = (msg.starts_with("duplicate field"), quoted) {
        let field = join(path, name);
        let message = format!("`{}` appears more than once", cut(&field));
        return ShapeProblem { field, code: "duplicate_field", message };
    }
    let code = if msg.starts_with("invalid type") { "invalid_type" } else { "invalid_value" };
    let subject = if path.is_empty() { "the value".to_owned() } else { format!("`{path}`") };
    ShapeProblem { field: path.to_owned(), code, message: format!("{subject} is not valid: {}", cut(msg)) }
}

/// The first backtick-quoted word of a serde message.
fn backticked(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// Cuts text that will be echoed in an error to a readable length.
pub(crate) fn cut(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_DETAIL {
        return Cow::Borrowed(s);
    }
    let mut end = MAX_DETAIL;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer<'a> {
        #[serde(borrow)]
        a: Str<'a>,
        inner: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u64,
    }

    fn shape(text: &str) -> ShapeProblem {
        match typed::<Outer<'_>>(text) {
            Err(TypedError::Shape(p)) => p,
            Err(TypedError::Syntax(s)) => panic!("syntax: {s}"),
            Ok(v) => panic!("parsed: {v:?}"),
        }
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let v: Outer<'_> = serde_json::from_str(r#"{"a":"plain","inner":[]}"#).unwrap();
        assert!(matches!(v.a.0, Cow::Borrowed("plain")));
        let v: Outer<'_> = serde_json::from_str(r#"{"a":"esc\n","inner":[]}"#).unwrap();
        assert_eq!(v.a.as_str(), "esc\n");
    }

    #[test]
    fn errors_name_the_path_and_the_rule() {
        let p = shape(r#"{"a":"x","inner":[{"n":1},{}]}"#);
        assert_eq!((p.field.as_str(), p.code), ("inner[1].n", "missing_field"));
        let p = shape(r#"{"a":"x","inner":[{"n":-1}]}"#);
        assert_eq!((p.field.as_str(), p.code), ("inner[0].n", "invalid_value"));
        let p = shape(r#"{"a":5,"inner":[]}"#);
        assert_eq!((p.field.as_str(), p.code), ("a", "invalid_type"));
        let p = shape(r#"{"a":"x","inner":[{"n":1,"zz":2}]}"#);
        assert_eq!((p.field.as_str(), p.code), ("inner[0].zz", "unknown_field"));
        let p = shape(r#"{"a":"x","a":"y","inner":[]}"#);
        assert_eq!((p.field.as_str(), p.code), ("a", "duplicate_field"));
        let p = shape("5");
        assert_eq!((p.field.as_str(), p.code), ("", "invalid_type"));
        assert!(matches!(typed::<Outer<'_>>("{"), Err(TypedError::Syntax(_))));
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let text = format!(r#"{{"a":"x","inner":[{{"n":"{}"}}]}}"#, "y".repeat(10_000));
        assert!(shape(&text).message.len() < 400);
    }
}
