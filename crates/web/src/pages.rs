//! Server-rendered pages. For now one: the home page, with the newest
//! messages and a search box, so that `serve --demo` has something to show.

use std::collections::HashMap;

use axum::extract::{Query, State};
use firebreak_store::{MessageQuery, SearchQuery};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::AppState;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
header{background:#1f2a37;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header h1{font-size:1.15rem;margin:0}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
form{display:flex;gap:.5rem;margin:0 0 1rem}
input[type=search]{flex:1;padding:.5rem;font:inherit;border:1px solid #9aa4b1;border-radius:4px}
button{padding:.5rem 1rem;font:inherit;border-radius:4px;border:1px solid #1f2a37;background:#1f2a37;color:#fff}
ol{list-style:none;padding:0;margin:0}
li{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:.6rem .8rem;margin:0 0 .5rem}
.meta{color:#56606d;font-size:.85rem}
.chan{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e4e9f0;color:#1f2a37;font-size:.8rem}
mark{background:#ffe58a}
:focus-visible{outline:3px solid #2f6fdf;outline-offset:2px}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Firebreak" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { h1 { "Firebreak" } span { "Every post about the brand, in one place" } }
                main { (body) }
            }
        }
    }
}

/// `GET /`: the newest messages, or search results when `q` is given.
pub async fn home(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Markup {
    let store = state.engine().store();
    let query = q.get("q").map(|s| s.trim()).filter(|s| !s.is_empty());
    let counts = store.counts().await.unwrap_or_default();
    let body = match query {
        Some(text) => {
            let hits = store.search(SearchQuery { q: text.to_owned(), channel: None, limit: 50 }).await;
            html! {
                (search_form(text))
                @match hits {
                    Ok(hits) => {
                        p.meta { (hits.len()) " best matches for “" (text) "”" }
                        ol { @for h in &hits { li {
                            (message_meta(&h.message))
                            div { (PreEscaped(&h.snippet)) }
                        } } }
                    }
                    Err(e) => p role="alert" { "This search cannot be run: " (e.to_string()) }
                }
            }
        }
        None => {
            let page = store.messages(MessageQuery { limit: 50, ..Default::default() }).await;
            html! {
                (search_form(""))
                p.meta { (counts.messages) " messages from " (counts.identities) " people. The newest:" }
                @match page {
                    Ok(page) => ol { @for m in &page.items { li {
                        (message_meta(m))
                        div { (m.message.text.as_str()) }
                    } } },
                    Err(e) => p role="alert" { "The messages cannot be read: " (e.to_string()) }
                }
            }
        }
    };
    layout("Messages", body)
}

fn search_form(value: &str) -> Markup {
    html! {
        form method="get" action="/" role="search" {
            label for="q" style="position:absolute;left:-9999px" { "Search messages" }
            input #q type="search" name="q" value=(value) placeholder="Search messages: lost bag, \"on hold\", refund*";
            button type="submit" { "Search" }
        }
    }
}

fn message_meta(m: &firebreak_domain::StoredMessage) -> Markup {
    let a = &m.message.author;
    html! {
        div.meta {
            span.chan { (m.message.channel.as_str()) } " "
            strong { @if let Some(h) = &a.handle { "@" (h.as_str()) } @else { (a.id.as_str()) } }
            " · " time datetime=(m.message.created_at.to_rfc3339()) { (m.message.created_at.to_rfc3339()) }
        }
    }
}
