//! Property test of the sanitiser: for random text mixed with known
//! mutation-XSS payloads, the output of `render_markdown` and of
//! `sanitize_html`, parsed by an HTML5 parser as a browser would, has no
//! dangerous element, no event handler, no `style`, and no link to a scheme
//! other than http, https and mailto (relative URLs are dropped by design);
//! and sanitising the output again gives it back unchanged.

use firebreak_community::{render_markdown, sanitize_html};
use proptest::prelude::*;
use scraper::{Html, Node};

/// Payloads that have broken sanitisers, or that a careless one lets by.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\"/>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<svg><style><img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mi><mglyph><style><!--</style><img src=x onerror=alert(1)>-->",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<noscript><style></noscript><img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;script:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"//evil.example/\">x</a>",
    "<a href=\"/logout\">x</a>",
    "<a href=\"https://example.com\" onclick=\"alert(1)\" style=\"position:fixed\">x</a>",
    "<a href=\"https://example.com\" rel=\"opener\" target=\"_blank\">x</a>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<iframe src=\"javascript:alert(1)\">",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<input onfocus=alert(1) autofocus>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<select><option><img src=x onerror=alert(1)></option></select>",
    "<!--<script>-->alert(1)<!--</script>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div onmouseover=alert(1)>x</div>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<base href=\"javascript:/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<table><td background=\"javascript:alert(1)\">",
    "<xmp><p title=\"</xmp><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<title><img src=x onerror=alert(1)></title>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<isindex action=javascript:alert(1) type=submit>",
    "<a href=\"https://ok.example\"><a href=\"javascript:alert(1)\">x</a></a>",
    "<p><table><a href=\"javascript:alert(1)\">x</a></table></p>",
    "<ol start=\"1 onclick=alert(1)\"><li>x</li></ol>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:alert(1))",
    "[x](/relative/path)",
    "[x](https://ok.example \"t\" onclick=alert(1))",
    "[x]: javascript:alert(1)\n\n[x]",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<mailto:a@b.example>",
    "<https://ok.example/?q=<script>>",
    "![x](javascript:alert(1))",
    "![x\"onerror=\"alert(1)](https://ok.example/x.png)",
    "![x](https://ok.example/x.png\"onerror=\"alert(1))",
    "[![x](javascript:alert(1))](https://ok.example)",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "> <iframe src=javascript:alert(1)>",
    "* <svg onload=alert(1)>",
    "\u{0}<script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)//<</script>/script>",
    "<a href=\"https://ok.example/\">ok</a>",
    "<a href=\"mailto:someone@example.com\">mail</a>",
];

/// Pieces of markup to splice between payloads and random text.
const PIECES: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "\"",
    "'",
    "=",
    "`",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&",
    "&#",
    "&#x",
    ";",
    "&lt;",
    "&gt;",
    "&amp;",
    "&quot;",
    "javascript:",
    "java\nscript:",
    "data:",
    "alert(1)",
    "onerror=",
    "onload=",
    "style=",
    "href=",
    "src=",
    "xlink:href=",
    "formaction=",
    "srcdoc=",
    "<svg>",
    "<math>",
    "<style>",
    "<script>",
    "<img",
    "<a ",
    "<p>",
    "<table>",
    "<td>",
    "<noscript>",
    "<template>",
    "<select>",
    "<textarea>",
    "<iframe>",
    "<object>",
    "<embed>",
    "<form>",
    "<button>",
    "<mglyph>",
    "<mtext>",
    "</style>",
    "</script>",
    "</noscript>",
    "</svg>",
    "</math>",
    "[",
    "](",
    ")",
    "![",
    "*",
    "_",
    "#",
    "\n",
    "\n\n",
    "    ",
    "> ",
    "- ",
    "1. ",
    "|",
    "\\",
];

/// Elements the sanitiser may emit; anything else fails the test.
const ALLOWED: &[&str] = &[
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Elements that must never appear (a second, independent statement of
/// the rule: the allow-list above already excludes them).
const FORBIDDEN: &[&str] =
    &["script", "style", "iframe", "svg", "math", "object", "embed", "form", "input", "button", "img", "textarea"];

fn input() -> impl Strategy<Value = String> {
    let payload = proptest::sample::select(PAYLOADS).prop_map(str::to_owned);
    let piece = proptest::sample::select(PIECES).prop_map(str::to_owned);
    let text = "[a-zA-Z0-9 :/.=\"'<>!&#;()\\[\\]-]{0,12}";
    let part = prop_oneof![3 => payload, 4 => piece, 3 => text];
    prop_oneof![
        1 => proptest::sample::select(PAYLOADS).prop_map(str::to_owned),
        4 => proptest::collection::vec(part, 1..12).prop_map(|parts| parts.concat()),
        1 => any::<String>(),
    ]
}

/// The URL's scheme as a browser would read it: leading and trailing
/// whitespace and control characters trimmed, tabs and newlines inside
/// removed, case folded.
fn scheme_ok(url: &str) -> bool {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    ["http:", "https:", "mailto:"].iter().any(|s| cleaned.starts_with(s))
}

/// Every way the output could be unsafe, as sentences (empty when safe).
fn problems(html: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let mut found = Vec::new();
    // The fragment parser puts the fragment in an <html> root of its own;
    // everything below that root is the output's.
    let root = doc.root_element();
    for node in root.descendants().skip(1) {
        let Node::Element(e) = node.value() else { continue };
        let name = e.name().to_ascii_lowercase();
        if FORBIDDEN.contains(&name.as_str()) {
            found.push(format!("forbidden element <{name}>"));
        }
        if !ALLOWED.contains(&name.as_str()) {
            found.push(format!("element <{name}> is not on the allow-list"));
        }
        for (attr, value) in e.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") {
                found.push(format!("event handler {attr} on <{name}>"));
            }
            if attr == "style" {
                found.push(format!("style attribute on <{name}>"));
            }
            let url_like =
                matches!(attr.as_str(), "href" | "src" | "action" | "formaction" | "xlink:href" | "srcdoc" | "data");
            if url_like && !scheme_ok(value) {
                found.push(format!("{attr}={value:?} on <{name}>"));
            }
            if name == "a" && attr == "href" && e.attr("rel") != Some("nofollow noopener ugc") {
                found.push(format!("a link without rel=\"nofollow noopener ugc\": {value:?}"));
            }
        }
    }
    found
}

fn check(output: &str) -> Result<(), TestCaseError> {
    let p = problems(output);
    prop_assert!(p.is_empty(), "unsafe output {:?}: {:?}", output, p);
    prop_assert_eq!(sanitize_html(output), output, "sanitising again changed the output");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn sanitized_html_is_safe_and_stable(s in input()) {
        check(&sanitize_html(&s))?;
    }

    #[test]
    fn rendered_markdown_is_safe_and_stable(s in input()) {
        check(&render_markdown(&s))?;
    }
}

#[test]
fn every_seed_payload_is_made_safe() {
    for p in PAYLOADS {
        for out in [sanitize_html(p), render_markdown(p)] {
            assert!(problems(&out).is_empty(), "{p:?} gave {out:?}: {:?}", problems(&out));
            assert_eq!(sanitize_html(&out), out, "{p:?}");
        }
    }
}

#[test]
fn the_checker_catches_what_it_must() {
    assert_eq!(problems(""), Vec::<String>::new());
    // The test's own parser sees the dangers a raw string would carry.
    assert!(!problems("<script>x</script>").is_empty());
    assert!(!problems("<p onclick=x>y</p>").is_empty());
    assert!(!problems("<p style=x>y</p>").is_empty());
    assert!(!problems("<a href=\" JaVa\tScript:x\" rel=\"nofollow noopener ugc\">y</a>").is_empty());
    assert!(!problems("<a href=\"/x\" rel=\"nofollow noopener ugc\">y</a>").is_empty());
    assert!(!problems("<svg><a>y</a></svg>").is_empty());
    assert!(problems("<p><a href=\"https://ok.example\" rel=\"nofollow noopener ugc\">y</a></p>").is_empty());
}
