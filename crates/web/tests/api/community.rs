//! The community over HTTP: members' sign-up with the verification link
//! (through a fake SMTP server on loopback, and through the test transport),
//! member sessions and their cookies, the authorisation matrix (another
//! member's post, a private board, another member's question, a second
//! vote, staff routes, CSRF), bad input refused with a clear error on the
//! page and in the API with nothing changed, the points story, and the
//! board's Atom feed.

use std::sync::Arc;

use firebreak_channels::outbound::{OutboundConfig, SmtpConfig, SmtpSecurity, Transports};
use firebreak_domain::Email;
use firebreak_store::{CommunityCounts, CommunityStore};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    access::{member_routes, public_route},
    helpers::{ADMIN_EMAIL, Browser, FakeTransport, PASSWORD, TestApp, configured, hidden, spawn_app, spawn_full},
};

/// A member's browser: its cookies and the session's CSRF token.
pub struct MemberBrowser {
    pub b: Browser,
    pub csrf: String,
}

impl MemberBrowser {
    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &self.csrf)];
        all.extend_from_slice(fields);
        let origin = self.b.base.clone();
        self.b.post_form(path, &all, Some(&origin)).await
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        self.b
            .client
            .request(method, format!("{}{path}", self.b.base))
            .header("cookie", self.b.cookie_header())
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> reqwest::Response {
        self.b
            .client
            .get(format!("{}{path}", self.b.base))
            .header("cookie", self.b.cookie_header())
            .send()
            .await
            .unwrap()
    }
}

/// The verification link in the last mail the test transport was handed.
fn last_link(app: &TestApp) -> String {
    let sent = app.transport.sent.lock().unwrap();
    let text = &sent.last().expect("a verification mail").text;
    let at = text.find("http").unwrap();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// Signs up through the page, follows the mailed link, signs in.
pub async fn join(app: &TestApp, email: &str, name: &str) -> MemberBrowser {
    let mut b = Browser::new(app);
    let page = b.get("/community/signup").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let origin = b.base.clone();
    let resp = b
        .post_form(
            "/community/signup",
            &[("email", email), ("display_name", name), ("password", PASSWORD), ("_csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("We sent a link"));
    let link = last_link(app);
    let path = link.strip_prefix(&app.url).expect("the link points at this server");
    let verified = b.get(path).await;
    assert_eq!(verified.status(), 303);
    sign_in(b, email).await
}

async fn sign_in(mut b: Browser, email: &str) -> MemberBrowser {
    let page = b.get("/community/login").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let origin = b.base.clone();
    let resp = b
        .post_form(
            "/community/login",
            &[("email", email), ("password", PASSWORD), ("_csrf", &csrf), ("next", "/community/points")],
            Some(&origin),
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let page = b.get("/community/points").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    MemberBrowser { b, csrf }
}

/// A board made by the admin's token.
pub async fn board(app: &TestApp, slug: &str, visibility: &str) -> Value {
    let resp = app
        .client
        .post(format!("{}/api/v1/community/boards", app.url))
        .json(&json!({ "slug": slug, "name": format!("Board {slug}"), "description": "", "visibility": visibility }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// Asks through the board's form; answers the topic id.
pub async fn ask(m: &mut MemberBrowser, slug: &str, title: &str, body: &str) -> i64 {
    let resp =
        m.form(&format!("/community/b/{slug}/topics"), &[("kind", "question"), ("title", title), ("body", body)]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    to.trim_start_matches("/community/t/").split('?').next().unwrap().parse().unwrap()
}

pub async fn reply(m: &MemberBrowser, topic: i64, body: &str) -> i64 {
    let resp = m
        .api(reqwest::Method::POST, &format!("/api/v1/community/topics/{topic}/replies"), json!({ "body": body }))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn counts(app: &TestApp) -> CommunityCounts {
    app.store.community_counts().await.unwrap()
}

/// Reads a refusal: its status and the community's own code.
pub async fn refusal(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body
}

#[tokio::test]
async fn members_sign_up_and_confirm_their_email_through_smtp() {
    let (port, mail) = smtp_sink().await;
    let smtp = SmtpConfig {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        security: SmtpSecurity::None,
        from: Some(Email::parse("community@firebreak.test").unwrap()),
        ..SmtpConfig::default()
    };
    let transports = Transports::new(&OutboundConfig { smtp: Some(smtp), ..OutboundConfig::default() }).unwrap();
    let app = spawn_full(configured(), Arc::new(transports), Arc::new(FakeTransport::default())).await;
    let mut b = Browser::new(&app);
    let page = b.get("/community/signup").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let origin = b.base.clone();
    let resp = b
        .post_form(
            "/community/signup",
            &[("email", "Ann@Example.com"), ("display_name", "Ann"), ("password", PASSWORD), ("_csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("We sent a link to ann@example.com"));
    let data = mail.await.unwrap();
    let decoded = data.replace("=\r\n", "").replace("=3D", "=");
    assert!(decoded.contains("To: Ann <ann@example.com>") || decoded.contains("ann@example.com"), "{decoded}");
    let at = decoded.find("/community/verify?token=").expect("the link is in the mail");
    let token: String = decoded[at + "/community/verify?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();

    // Before the link is used, signing in is refused with the reason.
    let mut early = Browser::new(&app);
    let page = early.get("/community/login").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let resp = early
        .post_form(
            "/community/login",
            &[("email", "ann@example.com"), ("password", PASSWORD), ("_csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("Confirm your email first"));

    let verified = b.get(&format!("/community/verify?token={token}")).await;
    assert_eq!(verified.status(), 303);
    assert_eq!(verified.headers()["location"], "/community/login?done=verified");
    // A link works once.
    assert_eq!(b.get(&format!("/community/verify?token={token}")).await.status(), 404);

    // Signing in sets a member cookie with the staff cookie's properties.
    let page = b.get("/community/login").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let resp = b
        .post_form(
            "/community/login",
            &[("email", "ann@example.com"), ("password", PASSWORD), ("_csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let set: Vec<String> =
        resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = set.iter().find(|c| c.starts_with("firebreak_member=")).expect("a member cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let value = session.split(';').next().unwrap().trim_start_matches("firebreak_member=");
    assert!(value.len() >= 43, "32 random bytes: {value}");
    let page = b.get("/community").await.text().await.unwrap();
    assert!(page.contains("Ann") && page.contains("Sign out"), "{page}");
    // A member's session is no staff session.
    assert_eq!(b.get("/inbox").await.status(), 403);
}

#[tokio::test]
async fn without_smtp_the_page_says_no_mail_was_sent() {
    let app = spawn_app().await;
    // The test transport routes email; an engine without transports sends none.
    let engine = firebreak_engine::Engine::new(app.store.clone(), app.clock.clone());
    let (_, mail) = engine.member_sign_up("nomail@example.com", "No Mail", PASSWORD, &app.url).await.unwrap();
    assert_eq!(mail, firebreak_engine::members::VerificationMail::NotConfigured);
}

#[tokio::test]
async fn the_authorisation_matrix_holds_over_http() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    board(&app, "staff-room", "private").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let mut bob = join(&app, "bob@example.com", "Bob").await;
    let topic = ask(&mut ann, "help", "My router blinks red", "What does it mean?").await;
    let bob_post = reply(&bob, topic, "Restart it and wait two minutes.").await;

    // A private board and its topics are invisible to members.
    let secret = app
        .client
        .post(format!("{}/api/v1/community/topics", app.url))
        .json(&json!({ "board": 2, "kind": "discussion", "title": "Staff only", "body": "Shh." }))
        .send()
        .await
        .unwrap();
    assert_eq!(secret.status(), 200, "{}", secret.text().await.unwrap());
    let secret_id = secret.json::<Value>().await.unwrap()["topic"]["id"].as_i64().unwrap();
    assert_eq!(ann.b.get("/community/b/staff-room").await.status(), 404);
    assert!(!ann.b.get("/community").await.text().await.unwrap().contains("staff-room"));
    assert_eq!(ann.b.get(&format!("/community/t/{secret_id}")).await.status(), 404);
    let boards: Value = ann.get_json("/api/v1/community/boards").await.json().await.unwrap();
    assert_eq!(boards["items"].as_array().unwrap().len(), 1, "{boards}");
    refusal(ann.get_json(&format!("/api/v1/community/topics/{secret_id}")).await, 404, "not_found").await;
    let staff_boards: Value = app.get("/api/v1/community/boards").await.json().await.unwrap();
    assert_eq!(staff_boards["items"].as_array().unwrap().len(), 2);

    let before = counts(&app).await;
    // Ann cannot edit Bob's post: in the API and on the page.
    let edit = ann
        .api(reqwest::Method::PATCH, &format!("/api/v1/community/posts/{bob_post}"), json!({ "body": "Mine now" }))
        .await;
    refusal(edit, 403, "not_author").await;
    let page = ann.form(&format!("/community/t/{topic}/posts/{bob_post}/edit"), &[("body", "Mine now")]).await;
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(html.contains("role=\"alert\"") && html.contains("data-code=\"not_author\""), "{html}");
    // Bob cannot accept on Ann's question.
    let accept = bob
        .api(reqwest::Method::POST, &format!("/api/v1/community/topics/{topic}/solution"), json!({ "post": bob_post }))
        .await;
    refusal(accept, 403, "not_asker").await;
    // Staff routes refuse members.
    assert_eq!(ann.b.get("/community/mod").await.status(), 403);
    let hide = ann
        .api(reqwest::Method::POST, &format!("/api/v1/community/posts/{bob_post}/hide"), json!({ "reason": "x" }))
        .await;
    assert_eq!(hide.status(), 403);
    assert_eq!(ann.get_json("/api/v1/community/ledger").await.status(), 403);
    assert_eq!(ann.get_json("/api/v1/community/reports").await.status(), 403);
    // CSRF: a state change without the token, or from another site, is refused.
    let origin = ann.b.base.clone();
    let no_token =
        ann.b.post_form(&format!("/community/t/{topic}/replies"), &[("body", "sneaky")], Some(&origin)).await;
    assert_eq!(no_token.status(), 403);
    let csrf = ann.csrf.clone();
    let cross = ann
        .b
        .post_form(
            &format!("/community/t/{topic}/replies"),
            &[("body", "sneaky"), ("_csrf", &csrf)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(cross.status(), 403);
    let api_no_token = ann
        .b
        .client
        .post(format!("{}/api/v1/community/topics/{topic}/replies", app.url))
        .header("cookie", ann.b.cookie_header())
        .json(&json!({ "body": "sneaky" }))
        .send()
        .await
        .unwrap();
    refusal(api_no_token, 403, "csrf_failed").await;
    assert_eq!(counts(&app).await, before, "nothing changed on refusal");

    // One vote per member.
    let idea = ann
        .api(reqwest::Method::POST, "/api/v1/community/ideas", json!({ "title": "Dark mode", "body": "Please." }))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let first = bob.api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{idea}/votes"), json!({})).await;
    assert_eq!(first.status(), 200);
    let votes = counts(&app).await.votes;
    let second = bob.api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{idea}/votes"), json!({})).await;
    refusal(second, 409, "already_voted").await;
    let page = bob.form(&format!("/community/ideas/{idea}/vote"), &[]).await;
    assert_eq!(page.status(), 409);
    assert!(page.text().await.unwrap().contains("already voted"));
    assert_eq!(counts(&app).await.votes, votes);

    // Every route as a member: the public ones and the member ones only.
    let routes = firebreak_web::route_table();
    let allowed = member_routes();
    for r in &routes {
        if r.path == "/api/v1/events" || r.path == "/community/logout" {
            continue;
        }
        let url = format!(
            "{}{}",
            app.url,
            r.path
                .replace("{id}", "999999")
                .replace("{code}", "not_found")
                .replace("{token}", "x")
                .replace("{name}", "n")
                .replace("{slug}", "no-such-board")
                .replace("{post}", "999999")
        );
        let mut req = ann
            .b
            .client
            .request(reqwest::Method::from_bytes(r.method.as_str().as_bytes()).unwrap(), &url)
            .header("cookie", ann.b.cookie_header())
            .header("x-csrf-token", &ann.csrf);
        if r.method != reqwest::Method::GET {
            req = req.header("content-type", "application/json").body("{}");
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let refused = (status == StatusCode::UNAUTHORIZED && v["code"] == "unauthorized")
            || (status == StatusCode::FORBIDDEN && v["detail"].as_str().is_some_and(|d| d.contains("does not allow")));
        let may = public_route(r.method.as_str(), r.path) || allowed.contains(&(r.method.as_str(), r.path));
        assert_eq!(!refused, may, "{} {} as a member: {status} {body}", r.method, r.path);
    }
}

#[tokio::test]
async fn member_sign_in_is_rate_limited_and_a_banned_member_can_do_nothing() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let bob = join(&app, "bob@example.com", "Bob").await;
    let topic = ask(&mut ann, "help", "A question", "Body.").await;
    // Five wrong passwords, then even the right one waits.
    let mut b = Browser::new(&app);
    let origin = b.base.clone();
    for (i, pw) in ["wrong-1", "wrong-2", "wrong-3", "wrong-4", "wrong-5", PASSWORD].iter().enumerate() {
        let page = b.get("/community/login").await.text().await.unwrap();
        let csrf = hidden(&page, "_csrf");
        let resp = b
            .post_form(
                "/community/login",
                &[("email", "bob@example.com"), ("password", pw), ("_csrf", &csrf)],
                Some(&origin),
            )
            .await;
        let want = if i < 5 { 401 } else { 429 };
        assert_eq!(resp.status().as_u16(), want, "attempt {i}");
        if i == 5 {
            assert!(resp.headers().contains_key("retry-after"));
        }
    }
    // A staff ban: Bob's session can do nothing more, and nothing changes.
    let bob_id = app.store.member_login("bob@example.com".into()).await.unwrap().unwrap().member.id.0;
    let ban = app
        .client
        .post(format!("{}/api/v1/community/members/{bob_id}/ban", app.url))
        .json(&json!({ "banned": true, "reason": "Spam" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ban.status(), 200, "{}", ban.text().await.unwrap());
    let before = counts(&app).await;
    let r = bob
        .api(reqwest::Method::POST, &format!("/api/v1/community/topics/{topic}/replies"), json!({ "body": "hi" }))
        .await;
    let body = refusal(r, 403, "forbidden").await;
    assert!(body["detail"].as_str().unwrap().contains("banned"), "{body}");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let topic = ask(&mut ann, "help", "A fine question", "With a body.").await;
    let before = counts(&app).await;

    // Oversized post.
    let big = "a".repeat(20_001);
    let api = ann
        .api(reqwest::Method::POST, &format!("/api/v1/community/topics/{topic}/replies"), json!({ "body": big }))
        .await;
    let body = refusal(api, 422, "body_too_long").await;
    assert_eq!(body["errors"][0]["field"], "body");
    let page = ann.form(&format!("/community/t/{topic}/replies"), &[("body", &big)]).await;
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("The text is over 20000 bytes. Nothing was changed."));
    assert!(html.contains(&format!(">{big}</textarea>")), "the reply is kept beside the refusal");
    // Empty title.
    let api = ann
        .api(
            reqwest::Method::POST,
            "/api/v1/community/topics",
            json!({ "board": 1, "kind": "question", "title": "  ", "body": "x" }),
        )
        .await;
    refusal(api, 422, "empty_title").await;
    let page =
        ann.form("/community/b/help/topics", &[("kind", "discussion"), ("title", ""), ("body", "Kept text")]).await;
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("The title is empty. Nothing was changed."), "{html}");
    assert!(html.contains(">Kept text</textarea>") && html.contains("value=\"discussion\" selected"), "{html}");
    // Redemption above the balance (nothing earned yet).
    let api = ann
        .api(reqwest::Method::POST, "/api/v1/community/redemptions", json!({ "request_id": "r-1", "amount": 10 }))
        .await;
    refusal(api, 409, "insufficient_balance").await;
    let page = ann.form("/community/points/redeem", &[("amount", "10"), ("request_id", "r-2")]).await;
    assert_eq!(page.status(), 409);
    assert!(page.text().await.unwrap().contains("fewer than the 10 asked for"));
    assert_eq!(counts(&app).await, before, "nothing changed");

    // A vote on a closed idea.
    let idea = ann
        .api(reqwest::Method::POST, "/api/v1/community/ideas", json!({ "title": "Teleport", "body": "Now." }))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let declined = app
        .client
        .post(format!("{}/api/v1/community/ideas/{idea}/status", app.url))
        .json(&json!({ "status": "declined" }))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200, "{}", declined.text().await.unwrap());
    let before = counts(&app).await;
    let vote = ann.api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{idea}/votes"), json!({})).await;
    refusal(vote, 409, "idea_closed").await;
    let page = ann.form(&format!("/community/ideas/{idea}/vote"), &[]).await;
    assert_eq!(page.status(), 409);
    assert!(page.text().await.unwrap().contains("takes no votes"));
    assert_eq!(counts(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn points_move_with_solutions_and_kudos_and_come_back_when_staff_hide_a_post() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let bob = join(&app, "bob@example.com", "Bob").await;
    let topic = ask(&mut ann, "help", "Wi-Fi drops at night", "Every night at 2.").await;
    let answer = reply(&bob, topic, "Turn off the **nightly** channel scan.").await;
    let resp = ann.form(&format!("/community/t/{topic}/accept"), &[("post", &answer.to_string())]).await;
    assert_eq!(resp.status(), 303);
    let resp = ann.form(&format!("/community/posts/{answer}/kudos"), &[("topic", &topic.to_string())]).await;
    assert_eq!(resp.status(), 303);
    let page: Value = app.get(&format!("/api/v1/community/topics/{topic}")).await.json().await.unwrap();
    assert_eq!(page["posts"][1]["post"]["id"], answer, "the solution comes right after the question");
    assert_eq!(page["posts"][1]["is_solution"], true);
    assert_eq!(page["posts"][1]["kudos"], 1);
    let points: Value = bob.get_json("/api/v1/community/points").await.json().await.unwrap();
    assert_eq!(points["balance"], 30, "{points}");
    // Redeeming twice with one request id redeems once.
    for _ in 0..2 {
        let r = bob
            .api(reqwest::Method::POST, "/api/v1/community/redemptions", json!({ "request_id": "once", "amount": 10 }))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let points: Value = bob.get_json("/api/v1/community/points").await.json().await.unwrap();
    assert_eq!(points["balance"], 20, "{points}");
    // Billing sees the credit once, with who redeemed it.
    let export: Value = app.get("/api/v1/community/redemptions").await.json().await.unwrap();
    let items = export["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{export}");
    assert_eq!((items[0]["points"].as_i64(), items[0]["email"].as_str()), (Some(10), Some("bob@example.com")));
    let csv = app.get("/api/v1/community/redemptions.csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",bob@example.com,,,10,redeem:"), "{csv}");

    // A staff member (a browser session) hides the answer: the points it
    // earned are reversed, and the books still balance.
    let mut staff = Browser::new(&app);
    assert_eq!(staff.login(ADMIN_EMAIL, PASSWORD).await.status(), 303);
    let page = staff.get(&format!("/community/t/{topic}")).await.text().await.unwrap();
    assert!(page.contains("Hide"), "staff see the hide form");
    let csrf = hidden(&page, "_csrf");
    let origin = staff.base.clone();
    let hidden_resp = staff
        .post_form(
            &format!("/community/mod/posts/{answer}/hide"),
            &[("_csrf", &csrf), ("reason", "Wrong advice"), ("topic", &topic.to_string())],
            Some(&origin),
        )
        .await;
    assert_eq!(hidden_resp.status(), 303, "{}", hidden_resp.text().await.unwrap());
    let points: Value = bob.get_json("/api/v1/community/points").await.json().await.unwrap();
    assert_eq!(points["balance"], 0, "{points}");
    let ledger: Value = app.get("/api/v1/community/ledger").await.json().await.unwrap();
    assert_eq!(ledger["sum"], 0, "{ledger}");
    assert_eq!(ledger["unbalanced_transactions"], 0);
    // Members no longer see the post; the moderation log has it.
    let page: Value = ann.get_json(&format!("/api/v1/community/topics/{topic}")).await.json().await.unwrap();
    assert_eq!(page["posts"].as_array().unwrap().len(), 1);
    let log: Value = app.get("/api/v1/community/moderation-log").await.json().await.unwrap();
    assert_eq!(log["items"][0]["action"], "hide_post", "{log}");

    // A staff post carries the staff badge.
    let staff_reply = staff
        .post_form(
            &format!("/community/t/{topic}/replies"),
            &[("_csrf", &csrf), ("body", "We are on it.")],
            Some(&origin),
        )
        .await;
    assert_eq!(staff_reply.status(), 303);
    let html = ann.b.get(&format!("/community/t/{topic}")).await.text().await.unwrap();
    assert!(html.contains("class=\"badge staff\""), "{html}");
    let page: Value = app.get(&format!("/api/v1/community/topics/{topic}")).await.json().await.unwrap();
    let last = page["posts"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["post"]["by_staff"], true, "{last}");
}

#[tokio::test]
async fn staff_answer_ideas_with_a_badge_and_merges_count_each_vote_once() {
    let app = spawn_app().await;
    let ann = join(&app, "ann@example.com", "Ann").await;
    let bob = join(&app, "bob@example.com", "Bob").await;
    let new_idea = |title: &'static str| {
        ann.api(reqwest::Method::POST, "/api/v1/community/ideas", json!({ "title": title, "body": "Please." }))
    };
    let first = new_idea("Dark mode").await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let second = new_idea("A dark theme").await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for idea in [first, second] {
        let r = bob.api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{idea}/votes"), json!({})).await;
        assert_eq!(r.status(), 200);
    }
    let r = ann.api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{second}/votes"), json!({})).await;
    assert_eq!(r.status(), 200);

    // Staff (a browser session) merge the duplicate and answer the idea.
    let mut staff = Browser::new(&app);
    assert_eq!(staff.login(ADMIN_EMAIL, PASSWORD).await.status(), 303);
    let page = staff.get(&format!("/community/ideas/{second}")).await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let origin = staff.base.clone();
    let merged = staff
        .post_form(
            &format!("/community/ideas/{second}/merge"),
            &[("_csrf", &csrf), ("into", &first.to_string()), ("reason", "Same idea")],
            Some(&origin),
        )
        .await;
    assert_eq!(merged.status(), 303, "{}", merged.text().await.unwrap());
    let idea: Value = app.get(&format!("/api/v1/community/ideas/{first}")).await.json().await.unwrap();
    assert_eq!(idea["votes"], 2, "Bob's two votes count once, Ann's once: {idea}");
    let answered = staff
        .post_form(
            &format!("/community/ideas/{first}/answer"),
            &[("_csrf", &csrf), ("body", "It is **planned** for spring.")],
            Some(&origin),
        )
        .await;
    assert_eq!(answered.status(), 303);
    let html = ann.get_json(&format!("/community/ideas/{first}")).await.text().await.unwrap();
    assert!(html.contains("id=\"staff-answer\"") && html.contains("<strong>planned</strong>"), "{html}");
    assert!(html.contains("class=\"badge staff\""));
    let idea: Value = app.get(&format!("/api/v1/community/ideas/{first}")).await.json().await.unwrap();
    assert_eq!(idea["answer"]["body_markdown"], "It is **planned** for spring.");
    // A member cannot answer.
    let r = ann
        .api(reqwest::Method::POST, &format!("/api/v1/community/ideas/{first}/answer"), json!({ "body": "x" }))
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_board_has_a_valid_atom_feed() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    ask(&mut ann, "help", "Fish & <chips>", "Where?").await;
    let resp = app.anonymous.get(format!("{}/community/b/help/feed.atom", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let text = resp.text().await.unwrap();
    let feed = feed_rs::parser::parse(text.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Fish & <chips>");
    // RFC 4287: the feed and every entry have id, title and updated; the
    // feed has an author; every element is in the Atom namespace.
    use quick_xml::{events::Event, name::ResolveResult, reader::NsReader};
    let mut reader = NsReader::from_str(&text);
    let mut names: Vec<String> = Vec::new();
    loop {
        match reader.read_resolved_event().unwrap() {
            (ns, Event::Start(e) | Event::Empty(e)) => {
                match ns {
                    ResolveResult::Bound(n) => assert_eq!(n.into_inner(), "http://www.w3.org/2005/Atom"),
                    _ => panic!("an element outside the Atom namespace"),
                }
                names.push(e.local_name().into_inner().to_owned());
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    for n in ["id", "title", "updated", "author", "entry"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    // A private board has no feed.
    board(&app, "staff-room", "private").await;
    let resp = app.anonymous.get(format!("{}/community/b/staff-room/feed.atom", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

/// A one-session SMTP sink on loopback: answers the client and hands back
/// the message's DATA.
async fn smtp_sink() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            let upper = line.trim_end().to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                write.write_all(b"250-sink.test\r\n250 8BITMIME\r\n").await.unwrap();
            } else if upper == "DATA" {
                write.write_all(b"354 go ahead\r\n").await.unwrap();
                loop {
                    let mut l = String::new();
                    read.read_line(&mut l).await.unwrap();
                    if l == ".\r\n" || l.is_empty() {
                        break;
                    }
                    data.push_str(&l);
                }
                write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                write.write_all(b"250 ok\r\n").await.unwrap();
            }
        }
        data
    });
    (port, handle)
}

/// Triage reads every new post: one it judges spam is reported to the
/// moderators by the spam filter (once), an ordinary one is not.
#[tokio::test]
async fn triage_flags_spam_posts_for_the_moderators() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let topic = ask(&mut ann, "help", "Router keeps dropping", "My router drops the line every evening.").await;
    let fine = reply(&ann, topic, "Mine did too; a new filter on the line fixed it.").await;
    let spam =
        reply(&ann, topic, "WIN a free iPhone!!! RT to win, follow me http://spam.example #win #free #giveaway #rt")
            .await;
    let resp = app.client.get(format!("{}/api/v1/community/reports", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let items = body.get("items").cloned().unwrap_or(body);
    let posts: Vec<i64> = items.as_array().unwrap().iter().map(|r| r["post"].as_i64().unwrap()).collect();
    assert_eq!(posts, vec![spam], "only the spam is reported: {items}");
    assert_eq!(items[0]["reason"], "spam (triage)");
    assert_ne!(fine, spam);
}
