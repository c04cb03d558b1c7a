//! Members' Markdown made into HTML that is safe to put on a page.
//!
//! Two steps. [`render_markdown`] runs pulldown-cmark (CommonMark with
//! tables and strikethrough) and changes its events first: raw HTML in the
//! Markdown is shown as text, not passed through, and an image becomes a
//! link to it (the pages' content security policy loads images from this
//! server only, and a third-party image would tell its host who read the
//! post). Then [`sanitize_html`] cleans the HTML with ammonia against an
//! allow-list, which is the guarantee whatever the first step let by:
//!
//! - elements: text structure only (paragraphs, headings, emphasis, code,
//!   quotes, lists, tables, links); never script, style, iframe, svg, math,
//!   object, embed, img or any form element;
//! - attributes: `href` and `title` on links, `start` on ordered lists,
//!   nothing else (so no `on*` handler and no `style`);
//! - links: absolute `http`, `https` and `mailto` URLs only. A relative URL
//!   is dropped (the link keeps its text): a member's link to `/logout` or
//!   `../admin` would act on this site with the reader's session, and a
//!   post's links are the same on every page it is shown on;
//! - every link gets `rel="nofollow noopener ugc"`;
//! - comments are removed; the content of script and style is dropped.
//!
//! Sanitising is idempotent: the output of either function sanitised again
//! is itself (the property test checks both, over mutation-XSS payloads).

use std::{
    collections::{HashMap, HashSet},
    sync::OnceLock,
};

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// The elements a post may contain.
const ALLOWED_TAGS: &[&str] = &[
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

/// The URL schemes a link may use.
pub const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// What every link in a post says about itself: not endorsed by us, no
/// access to this page from the one it opens, written by a user.
pub const LINK_REL: &str = "nofollow noopener ugc";

fn builder() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = Builder::empty();
        b.tags(ALLOWED_TAGS.iter().copied().collect())
            .clean_content_tags(["script", "style"].into_iter().collect())
            .generic_attributes(HashSet::new())
            .generic_attribute_prefixes(HashSet::new())
            .tag_attributes(HashMap::from([("a", HashSet::from(["href", "title"])), ("ol", HashSet::from(["start"]))]))
            .tag_attribute_values(HashMap::new())
            .set_tag_attribute_values(HashMap::new())
            .allowed_classes(HashMap::new())
            .url_schemes(ALLOWED_SCHEMES.iter().copied().collect())
            .url_relative(UrlRelative::Deny)
            .link_rel(Some(LINK_REL))
            .strip_comments(true)
            .id_prefix(None)
            .attribute_filter(|element, attribute, value| {
                // The numbers of an ordered list are digits, nothing else.
                if element == "ol" && attribute == "start" && !value.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(value.into())
            });
        b
    })
}

/// A cleaner that keeps text only, for input that will not settle.
fn text_only() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = Builder::empty();
        b.clean_content_tags(["script", "style"].into_iter().collect())
            .generic_attributes(HashSet::new())
            .tag_attributes(HashMap::new())
            .link_rel(None)
            .strip_comments(true);
        b
    })
}

/// The most cleaning passes before giving up on markup.
const MAX_PASSES: usize = 4;

/// Cleans HTML against the allow-list described in the module's doc.
///
/// One pass is always safe, but not always stable: the HTML parser repairs
/// broken markup (an `<a>` inside a `<table>` inside an `<a>` is moved out
/// of the table), so the first pass's output can parse into a different
/// tree the second time. Cleaning repeats until the output is a fixed point,
/// which makes this function idempotent; input that has not settled after
/// [`MAX_PASSES`] keeps its text only.
pub fn sanitize_html(html: &str) -> String {
    let mut current = builder().clean(html).to_string();
    for _ in 1..MAX_PASSES {
        let next = builder().clean(&current).to_string();
        if next == current {
            return current;
        }
        current = next;
    }
    text_only().clean(&current).to_string()
}

/// Renders a member's Markdown as sanitised HTML.
pub fn render_markdown(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is the member's text, shown as written.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        // An image becomes a link to it, its alt text the link's text.
        Event::Start(Tag::Image { dest_url, title, id, .. }) => {
            Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id })
        }
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        // Math, footnotes and task lists are not enabled; the rest passes.
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() + markdown.len() / 4);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize_html(&html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_usual_markdown() {
        let html = render_markdown("# Title\n\nSome *emphasis*, **strong**, `code` and ~~gone~~.\n\n- one\n- two\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<strong>strong</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<del>gone</del>"));
        assert!(html.contains("<li>one</li>"));
    }

    #[test]
    fn links_get_rel_and_only_safe_schemes_survive() {
        let html =
            render_markdown("[a](https://example.com/x) [b](javascript:alert(1)) [c](/logout) [d](mailto:a@b.c)");
        assert!(html.contains(r#"<a href="https://example.com/x" rel="nofollow noopener ugc">a</a>"#), "{html}");
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("/logout"), "{html}");
        assert!(html.contains(r#"href="mailto:a@b.c""#), "{html}");
    }

    #[test]
    fn raw_html_is_text_and_images_are_links() {
        let html = render_markdown(
            "<script>alert(1)</script>\n\nhi <b onclick=x>there</b> ![cat](https://example.com/cat.png)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.com/cat.png" rel="nofollow noopener ugc">cat</a>"#),
            "{html}"
        );
    }

    #[test]
    fn sanitize_html_keeps_structure_and_drops_the_rest() {
        let html = sanitize_html(
            r#"<p style="color:red" onclick="x">hi <img src=x onerror=alert(1)><iframe srcdoc="<script>"></iframe></p><ol start="3;x"><li>a</li></ol>"#,
        );
        assert_eq!(html, "<p>hi </p><ol><li>a</li></ol>");
    }
}
