//! Server-rendered pages (maud), one module per screen. Every page is
//! rendered on the server and works without script; `assets/app.js` adds
//! keyboard shortcuts, live updates and kept drafts.

pub mod account;
pub mod alerts;
pub mod assets;
pub mod case;
pub mod case_actions;
mod case_side;
mod charts;
pub mod community;
mod customer_panel;
pub mod customers;
pub mod firewall;
pub(crate) mod forms;
pub mod inbox;
pub mod incidents;
pub mod layout;
pub mod login;
pub mod reply;
pub mod staff;
pub mod status;
pub mod supervisor;

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Query, State},
    response::Redirect,
};
use firebreak_store::{MessageQuery, SearchQuery};
use maud::{Markup, PreEscaped, html};

use crate::{AppState, auth::Principal};
use layout::{Frame, message_meta, page};

/// `GET /`: the inbox is home.
pub async fn home() -> Redirect {
    Redirect::to("/inbox")
}

/// `GET /messages`: the newest messages, or search results when `q` is given.
pub async fn messages(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
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
                        ol.timeline { @for h in &hits { li {
                            (message_meta(&h.message))
                            div { (PreEscaped(&h.snippet)) }
                        } } }
                    }
                    Err(e) => p role="alert" { "This search cannot be run: " (e.to_string()) }
                }
            }
        }
        None => {
            let found = store.messages(MessageQuery { limit: 50, ..Default::default() }).await;
            html! {
                (search_form(""))
                p.meta { (counts.messages) " messages from " (counts.identities) " people. The newest:" }
                @match found {
                    Ok(found) => ol.timeline { @for m in &found.items { li {
                        (message_meta(m))
                        div { (m.message.text.as_str()) }
                    } } },
                    Err(e) => p role="alert" { "The messages cannot be read: " (e.to_string()) }
                }
            }
        }
    };
    page(Some(&who), Frame { title: "Messages", nav: "messages", kind: "messages", ..Default::default() }, body)
}

fn search_form(value: &str) -> Markup {
    html! {
        form.row method="get" action="/messages" role="search" {
            label.sr for="q" { "Search messages" }
            input #q type="search" name="q" value=(value) placeholder="Search messages: lost bag, \"on hold\", refund*";
            button type="submit" { "Search" }
        }
    }
}
