//! The incidents pages: the public status page as HTML, JSON and an Atom
//! feed checked against RFC 4287's rules (and read by a feed reader), and
//! the staff's pages (a candidate opened with one click, refused forms, the
//! status and public updates).

use std::collections::{HashMap, HashSet};

use firebreak_domain::{
    Clock,
    incident::{Key, NewCandidate},
};
use firebreak_store::Store;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app},
    incidents::{evidence, incident_by_hand, patch, post},
};

/// A parsed XML element: its namespace, local name, attributes, children
/// and text.
#[derive(Debug, Default)]
struct Node {
    ns: String,
    name: String,
    attrs: HashMap<String, String>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn one<'a>(&'a self, name: &'a str) -> &'a Node {
        let found: Vec<&Node> = self.all(name).collect();
        assert_eq!(found.len(), 1, "exactly one <{name}> in <{}>", self.name);
        found[0]
    }
}

fn parse_xml(xml: &str) -> Node {
    use quick_xml::{
        events::{BytesStart, Event},
        name::ResolveResult,
        reader::NsReader,
    };
    fn node(ns: ResolveResult<'_>, e: &BytesStart<'_>) -> Node {
        let ns = match ns {
            ResolveResult::Bound(n) => n.into_inner().to_owned(),
            _ => String::new(),
        };
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned();
                (a.key.into_inner().to_owned(), value)
            })
            .collect();
        Node { ns, name: e.local_name().into_inner().to_owned(), attrs, ..Node::default() }
    }
    let mut r = NsReader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match r.read_resolved_event().unwrap() {
            (ns, Event::Start(e)) => stack.push(node(ns, &e)),
            (ns, Event::Empty(e)) => {
                let n = node(ns, &e);
                stack.last_mut().unwrap().children.push(n);
            }
            (_, Event::End(_)) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            (_, Event::Text(t)) => stack.last_mut().unwrap().text.push_str(&t.into_inner()),
            (_, Event::GeneralRef(g)) => {
                let name = g.into_inner();
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unknown entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(c);
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().unwrap()
}

fn absolute_iri(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme.chars().next().unwrap().is_ascii_alphabetic()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
            && !s.contains(char::is_whitespace)
    })
}

#[tokio::test]
async fn the_status_page_shows_public_incidents_as_html_json_and_a_valid_atom_feed() {
    let app = spawn_app().await;
    let eta = app.clock.now().plus_millis(3 * 3_600_000).to_rfc3339();
    let public = incident_by_hand(
        &app,
        json!({ "title": "Broadband <outage> & slow TV", "areas": ["XX1"], "services": ["broadband"], "public": true, "eta": eta }),
    )
    .await;
    let hidden = incident_by_hand(&app, json!({ "title": "Quiet internal matter", "areas": ["ZZ9"] })).await;
    for (id, text) in [(public, "Engineers are on site."), (hidden, "SECRET internal update")] {
        let r = post(&app, &format!("/api/v1/incidents/{id}/updates"), json!({ "text": text })).await;
        assert_eq!(r.status(), 201);
    }
    app.clock.advance_millis(60_000);
    let r =
        post(&app, &format!("/api/v1/incidents/{public}/updates"), json!({ "text": "Staff only", "public": false }))
            .await;
    assert_eq!(r.status(), 201);
    patch(&app, &format!("/api/v1/incidents/{public}"), json!({ "status": "identified" })).await;
    post(&app, &format!("/api/v1/incidents/{public}/updates"), json!({ "text": "Found a cut cable; fix under way." }))
        .await;

    let resp = app.anonymous.get(format!("{}/status.atom", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let xml = resp.text().await.unwrap();
    assert!(!xml.contains("Quiet internal") && !xml.contains("SECRET") && !xml.contains("Staff only"), "{xml}");

    // RFC 4287, checked rule by rule.
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let feed = parse_xml(&xml);
    assert_eq!((feed.ns.as_str(), feed.name.as_str()), (ATOM, "feed"));
    fn element_ns_is_atom(n: &Node) {
        assert_eq!(n.ns, ATOM, "<{}> is in the Atom namespace", n.name);
        n.children.iter().for_each(element_ns_is_atom);
    }
    element_ns_is_atom(&feed);
    let rfc3339 = |s: &str| {
        time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("`{s}` is not RFC 3339: {e}"))
    };
    assert!(absolute_iri(feed.one("id").text.trim()), "{}", feed.one("id").text);
    assert!(!feed.one("title").text.trim().is_empty());
    rfc3339(&feed.one("updated").text);
    let links: Vec<&Node> = feed.all("link").collect();
    let me = links.iter().find(|l| l.attrs.get("rel").map(String::as_str) == Some("self")).expect("a link rel=self");
    assert!(absolute_iri(&me.attrs["href"]) && me.attrs["href"].ends_with("/status.atom"));
    assert!(links.iter().all(|l| l.attrs.contains_key("href")));
    let feed_author = feed.all("author").count() > 0;
    let entries: Vec<&Node> = feed.all("entry").collect();
    assert_eq!(entries.len(), 2, "one entry per public update of a public incident");
    let mut ids = HashSet::new();
    for e in &entries {
        let id = e.one("id").text.trim().to_owned();
        assert!(absolute_iri(&id), "{id}");
        assert!(ids.insert(id), "entry ids are unique");
        assert!(!e.one("title").text.trim().is_empty());
        rfc3339(&e.one("updated").text);
        assert!(feed_author || e.all("author").count() > 0, "an author on the feed or on every entry");
        assert!(e.all("content").count() <= 1);
        for a in e.all("author").chain(feed.all("author")) {
            assert_eq!(a.all("name").count(), 1);
        }
    }
    assert!(entries.iter().any(|e| e.one("title").text.contains("Broadband <outage> & slow TV")));
    assert!(entries.iter().any(|e| e.one("content").text.contains("cut cable")));

    // A feed reader reads it too.
    let parsed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
    assert_eq!(parsed.entries.len(), 2);
    assert!(parsed.entries.iter().any(|e| e.title.as_ref().is_some_and(|t| t.content.contains("Broadband <outage>"))));

    let json: Value = app.anonymous.get(format!("{}/status.json", app.url)).send().await.unwrap().json().await.unwrap();
    let items = json["incidents"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["id"].as_i64(), items[0]["status"].as_str()), (Some(public), Some("identified")));
    assert_eq!(items[0]["updates"].as_array().unwrap().len(), 2);
    assert!(items[0].get("keys").is_none() && !json.to_string().contains("Staff only"));

    let html = app.anonymous.get(format!("{}/status", app.url)).send().await.unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("Broadband &lt;outage&gt; &amp; slow TV") && html.contains("cut cable"), "{html}");
    assert!(!html.contains("Quiet internal") && !html.contains("SECRET"));
}

/// A signed-in browser of `role` and its CSRF token.
async fn browser(app: &TestApp, role: firebreak_domain::staff::Role) -> (crate::helpers::Browser, String) {
    let email = format!("{}@incidents.test", role.as_str());
    app.engine
        .add_staff(&email, &format!("{} person", role.as_str()), role, None, crate::helpers::PASSWORD)
        .await
        .unwrap();
    let mut b = crate::helpers::Browser::new(app);
    assert_eq!(b.login(&email, crate::helpers::PASSWORD).await.status(), 303);
    let page = b.get("/account").await.text().await.unwrap();
    let csrf = crate::helpers::hidden(&page, "_csrf");
    (b, csrf)
}

#[tokio::test]
async fn a_supervisor_opens_a_candidate_with_one_click_and_works_the_incident_from_its_page() {
    use firebreak_domain::staff::Role;
    let app = spawn_app().await;
    let now = app.clock.now();
    let cid = app
        .store
        .add_candidate(NewCandidate { key: Key::parse("area=XX1").unwrap(), raised_at: now, evidence: evidence(now) })
        .await
        .unwrap();
    let (mut analyst, _) = browser(&app, Role::Analyst).await;
    let page = analyst.get("/incidents").await.text().await.unwrap();
    assert!(page.contains("area=XX1") && !page.contains("/incident-candidates/"), "an analyst sees, cannot open");

    let (mut b, csrf) = browser(&app, Role::Supervisor).await;
    let origin = app.url.clone();
    let page = b.get("/incidents").await.text().await.unwrap();
    assert!(page.contains(&format!("/incident-candidates/{cid}/open")) && !page.contains("<script>"), "{page}");
    let resp = b.post_form(&format!("/incident-candidates/{cid}/open"), &[("_csrf", &csrf)], Some(&origin)).await;
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/incidents/") && to.ends_with("?done=incident-created"), "{to}");
    let id: i64 = to["/incidents/".len()..to.find('?').unwrap()].parse().unwrap();
    let page = b.get(&to).await.text().await.unwrap();
    assert!(page.contains("The incident is open.") && page.contains("Burst of messages: area XX1"), "{page}");

    // A refused form shows why, with the status of the refusal.
    let bad = b
        .post_form(
            &format!("/incidents/{id}/bulk-reply"),
            &[("_csrf", &csrf), ("default", "Hi {{nope}}")],
            Some(&origin),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("is not a variable"));
    let bad = b
        .post_form(
            &format!("/incidents/{id}/credits"),
            &[("_csrf", &csrf), ("amount_minor", "-1"), ("currency", "GBP"), ("reason", "x")],
            Some(&origin),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(app.store.incident_counts().await.unwrap().credits, 0);

    let ok = b
        .post_form(
            &format!("/incidents/{id}/status"),
            &[("_csrf", &csrf), ("status", "identified"), ("public", "1")],
            Some(&origin),
        )
        .await;
    assert_eq!(ok.status(), 303);
    let d: Value = app.get(&format!("/api/v1/incidents/{id}")).await.json().await.unwrap();
    assert_eq!((d["status"].as_str(), d["public"].as_bool()), (Some("identified"), Some(true)));
    let ok = b
        .post_form(
            &format!("/incidents/{id}/updates"),
            &[("_csrf", &csrf), ("text", "On it."), ("public", "1")],
            Some(&origin),
        )
        .await;
    assert_eq!(ok.status(), 303);
    let status = app.anonymous.get(format!("{}/status", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(status.contains("On it."));
}
