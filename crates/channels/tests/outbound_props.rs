//! Properties of outbound text handling: `check` and the email composer
//! never panic, whatever the text, and no line break from a person's input
//! ever reaches a header of a composed email (every header line is one of
//! ours or a folded continuation, all ASCII, all short).

use firebreak_channels::outbound::{
    EmailThreading, OutboundReply, Visibility, check,
    email::{Sender, compose},
    x_weighted_length,
};
use firebreak_domain::{Channel, Email, ExternalId, Timestamp};
use proptest::prelude::*;

/// Text that leans towards trouble: line breaks, header-looking lines,
/// encoded-word markers, dots, non-ASCII and emoji, mixed with anything.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("Bcc: victim@example.com".to_owned()),
        Just("=?UTF-8?B?".to_owned()),
        Just(".".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("Grüße ".to_owned()),
        Just("👨‍👩‍👧".to_owned()),
        Just("https://example.com/x".to_owned()),
        "[a-z]{1,12}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// A header field as people type it: mostly clean, sometimes nasty.
fn field() -> impl Strategy<Value = String> {
    let clean = nasty().prop_map(|s| s.chars().filter(|c| !c.is_control() || *c == '\t').collect::<String>());
    prop_oneof![4 => clean, 1 => nasty()]
}

const OUR_HEADERS: [&str; 10] = [
    "Date",
    "From",
    "To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

fn sender() -> Sender {
    Sender { from: Email::parse("help@acme.test").unwrap(), from_name: None, message_id_domain: "acme.test".into() }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn check_never_panics(text in prop_oneof![nasty(), any::<String>()]) {
        for channel in Channel::ALL {
            for visibility in [Visibility::Public, Visibility::Private] {
                let _ = check(channel, visibility, &text);
            }
        }
        let _ = x_weighted_length(&text);
    }

    #[test]
    fn composed_headers_hold_no_input_line_breaks(
        text in nasty(),
        subject in field(),
        to_name in proptest::option::of(field()),
        from_name in proptest::option::of(field()),
        references in proptest::collection::vec(nasty(), 0..30),
        parent in proptest::option::of("[^\\p{Cc}]{1,40}"),
        key in any::<String>(),
    ) {
        let reply = OutboundReply {
            channel: Channel::Email,
            visibility: Visibility::Private,
            text: text.clone(),
            in_reply_to: parent.and_then(|p| ExternalId::parse(p).ok()),
            recipient: None,
            email: Some(EmailThreading {
                subject: subject.clone(),
                to: Email::parse("ana@example.com").unwrap(),
                to_name: to_name.clone(),
                from: None,
                from_name: from_name.clone(),
                references,
                new_thread: false,
            }),
            idempotency_key: key,
        };
        let result = compose(&reply, &sender(), Timestamp::now());
        let breaks = |s: &str| s.contains(['\r', '\n']);
        let controls = |s: &str| s.chars().any(|c| c.is_control() && c != '\t');
        let input_controls = controls(&subject)
            || to_name.as_deref().is_some_and(controls)
            || from_name.as_deref().is_some_and(controls);
        let input_breaks = breaks(&subject) || to_name.as_deref().is_some_and(breaks) || from_name.as_deref().is_some_and(breaks);
        match result {
            Err(e) => {
                prop_assert!(input_controls, "clean fields were refused: {e}");
                prop_assert!(
                    matches!(e.code(), "header_line_break" | "header_control_character"),
                    "unexpected error {}", e.code()
                );
            }
            Ok(email) => {
                prop_assert!(!input_breaks, "a line break in a header field was accepted");
                prop_assert!(email.bytes.is_ascii());
                let message = String::from_utf8(email.bytes).unwrap();
                // Every line break is CRLF.
                prop_assert!(!message.replace("\r\n", "").contains(['\r', '\n']));
                let (head, body) = message.split_once("\r\n\r\n").expect("a blank line ends the headers");
                let mut seen = Vec::new();
                for line in head.split("\r\n") {
                    prop_assert!(line.len() <= 998, "a header line is too long");
                    if line.starts_with(' ') {
                        prop_assert!(!line.trim().is_empty(), "a folded line holds only white space");
                        continue;
                    }
                    let name = line.split_once(':').map(|(n, _)| n).unwrap_or("");
                    prop_assert!(OUR_HEADERS.contains(&name), "a header we did not write: {line:?}");
                    prop_assert!(!seen.contains(&name), "a header written twice: {name}");
                    seen.push(name);
                }
                for line in body.split("\r\n") {
                    prop_assert!(line.len() <= 998);
                }
            }
        }
    }
}
