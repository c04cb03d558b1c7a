//! Property tests of the parsers that read what a provider or a browser
//! sends: they refuse or accept, and never panic.

use proptest::prelude::*;

use crate::jwks::{Alg, KeySet};
use crate::jwt::Jws;
use crate::pending::Pending;
use crate::provider::Callback;

/// Text made of the characters tokens and queries are made of, with some noise.
fn token_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9_\\-.=%&+ ]{0,300}").expect("a valid regex")
}

fn json_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-zA-Z0-9+/=_-]{0,40}".prop_map(|s| format!("{s:?}")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("keys"),
                        Just("kty"),
                        Just("kid"),
                        Just("n"),
                        Just("e"),
                        Just("crv"),
                        Just("x"),
                        Just("y"),
                        Just("use"),
                        Just("alg")
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|v| format!("{{{}}}", v.iter().map(|(k, v)| format!("{k:?}:{v}")).collect::<Vec<_>>().join(","))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_token_is_parsed_or_refused_without_panic(text in token_like()) {
        if let Ok(jws) = Jws::parse(&text) {
            prop_assert!(text.as_bytes().starts_with(jws.signing_input));
            let _ = jws.claims();
        }
    }

    #[test]
    fn a_token_made_of_json_parts_is_parsed_or_refused_without_panic(header in json_like(), claims in json_like()) {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let text = format!("{}.{}.{}", b64(&header), b64(&claims), b64("sig"));
        if let Ok(jws) = Jws::parse(&text) {
            let _ = jws.claims();
        }
    }

    #[test]
    fn a_key_set_is_parsed_or_refused_without_panic(json in json_like(), message in any::<Vec<u8>>(), signature in any::<Vec<u8>>()) {
        if let Ok(set) = KeySet::parse(json.as_bytes()) {
            for alg in [Alg::Rs256, Alg::Es256] {
                let _ = set.verify(None, alg, &message, &signature);
                let _ = set.verify(Some("k"), alg, &message, &signature);
            }
        }
    }

    #[test]
    fn a_pending_decodes_or_is_refused_without_panic(text in token_like()) {
        if let Ok(pending) = Pending::decode(&text) {
            prop_assert_eq!(Pending::decode(&pending.encode()).ok(), Some(pending));
        }
    }

    #[test]
    fn a_callback_query_is_read_without_panic(query in token_like()) {
        let callback = Callback::from_query(&query);
        if !query.contains('=') {
            // A bare key reads as present and empty; without any key there is nothing.
            prop_assert!(callback.code.is_none_or(|c| c.is_empty()));
        }
    }
}
