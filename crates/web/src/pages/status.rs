//! The public status page: incidents marked public, as HTML (`/status`),
//! JSON (`/status.json`) and an Atom 1.0 feed (`/status.atom`, RFC 4287).
//! Only what the company chose to say is shown: titles, statuses, ETAs,
//! affected areas and services, and public updates; never keys, links,
//! customers or internal notes.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use firebreak_domain::Timestamp;
use firebreak_store::{Incident, IncidentFilter, IncidentNote};
use maud::html;
use serde_json::{Value, json};

use super::{
    forms::{Refusal, sentence},
    layout::{Frame, page, short_time},
};
use crate::{AppState, Problem, api::incidents::base_url, api::messages::store_problem};

/// How long a resolved incident stays on the page.
const RESOLVED_SHOWN_MS: i64 = 7 * 86_400_000;

/// The public incidents (open ones, and those resolved in the last week),
/// each with its public updates, newest first.
async fn public(state: &AppState) -> Result<Vec<(Incident, Vec<IncidentNote>)>, Problem> {
    let store = state.engine().store();
    let now = state.engine().clock().now();
    let mut out = Vec::new();
    let list = store.incidents(IncidentFilter { open_only: false, public_only: true }).await.map_err(store_problem)?;
    for i in list {
        if i.resolved_at.is_some_and(|r| now.unix_millis() - r.unix_millis() > RESOLVED_SHOWN_MS) {
            continue;
        }
        let updates = store.incident_updates(i.id, true).await.map_err(store_problem)?;
        out.push((i, updates));
    }
    Ok(out)
}

fn affects(i: &Incident) -> Vec<String> {
    let mut v = i.all_areas();
    v.extend(i.services.iter().cloned());
    v.extend(i.products.iter().cloned());
    v
}

/// `GET /status`.
pub async fn show(State(state): State<AppState>) -> Response {
    let list = match public(&state).await {
        Ok(l) => l,
        Err(p) => {
            let r = Refusal::from_problem(&p);
            return (
                r.status,
                page(
                    None,
                    Frame { title: "Status", narrow: true, ..Default::default() },
                    html! {
                        p.error role="alert" { (sentence(&r.message)) }
                    },
                ),
            )
                .into_response();
        }
    };
    let open = list.iter().filter(|(i, _)| i.status.is_open()).count();
    let body = html! {
        h2 { "Service status" }
        @if open == 0 { p.flash role="status" { "All services are running normally." } }
        @else { p.error role="status" { (open) " known problem(s) right now." } }
        p.meta { a href="/status.atom" { "Atom feed" } " · " a href="/status.json" { "JSON" } }
        @for (i, updates) in &list {
            section.card id=(format!("incident-{}", i.id)) aria-labelledby=(format!("incident-{}-h", i.id)) {
                h3 id=(format!("incident-{}-h", i.id)) { (i.title) }
                p.meta {
                    span.tag { (i.status.as_str()) }
                    " · since " time datetime=(i.started_at.to_rfc3339()) { (short_time(i.started_at)) " UTC" }
                    @if let Some(eta) = i.eta { @if i.status.is_open() {
                        " · expected fixed by " time datetime=(eta.to_rfc3339()) { (short_time(eta)) " UTC" }
                    } }
                    @if let Some(r) = i.resolved_at {
                        " · resolved " time datetime=(r.to_rfc3339()) { (short_time(r)) " UTC" }
                    }
                }
                @let a = affects(i);
                @if !a.is_empty() { p { "Affects: " (a.join(", ")) } }
                ol.timeline { @for u in updates { li {
                    div.meta { time datetime=(u.at.to_rfc3339()) { (short_time(u.at)) " UTC" } " · " (u.status.as_str()) }
                    div { (u.text) }
                } } }
            }
        }
    };
    page(None, Frame { title: "Status", narrow: true, ..Default::default() }, body).into_response()
}

/// `GET /status.json`.
pub async fn json(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let list = public(&state).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|(i, updates)| {
            json!({
                "id": i.id,
                "title": i.title,
                "status": i.status,
                "eta": i.eta,
                "started_at": i.started_at,
                "resolved_at": i.resolved_at,
                "areas": i.all_areas(),
                "services": i.services,
                "products": i.products,
                "updates": updates.iter().map(|u| json!({ "text": u.text, "status": u.status, "at": u.at })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "updated": state.engine().clock().now(), "incidents": items })))
}

/// Escapes text for XML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One entry of the feed.
struct Entry {
    id: String,
    title: String,
    updated: Timestamp,
    link: String,
    content: String,
}

/// `GET /status.atom`: one entry per public update of a public incident (an
/// incident with none yet has one entry of its own).
pub async fn atom(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let base = base_url(&state, &headers);
    let list = public(&state).await?;
    let mut entries: Vec<Entry> = Vec::new();
    for (i, updates) in &list {
        let link = format!("{base}/status#incident-{}", i.id);
        if updates.is_empty() {
            entries.push(Entry {
                id: format!("{base}/status/incidents/{}", i.id),
                title: format!("{} ({})", i.title, i.status.as_str()),
                updated: i.updated_at,
                link: link.clone(),
                content: format!("{}: {}.", sentence(i.status.as_str()).trim_end_matches('.'), i.title),
            });
        }
        for u in updates {
            entries.push(Entry {
                id: format!("{base}/status/incidents/{}/updates/{}", i.id, u.id),
                title: format!("{} ({})", i.title, u.status.as_str()),
                updated: u.at,
                link: link.clone(),
                content: u.text.clone(),
            });
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.updated));
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or_else(|| state.engine().clock().now());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <id>{}</id>\n", xml(&format!("{base}/status"))));
    out.push_str("  <title>Service status</title>\n");
    out.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&format!("{base}/status.atom"))
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(&format!("{base}/status"))
    ));
    out.push_str("  <author><name>Service status</name></author>\n");
    for e in &entries {
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}</id>\n", xml(&e.id)));
        out.push_str(&format!("    <title>{}</title>\n", xml(&e.title)));
        out.push_str(&format!("    <updated>{}</updated>\n", e.updated.to_rfc3339()));
        out.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml(&e.link)));
        out.push_str(&format!("    <content type=\"text\">{}</content>\n", xml(&e.content)));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    let mut resp = out.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(xml("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
