//! Who may do what: the route-by-role matrix over every route the router
//! has, sessions and their cookies, CSRF, sign-in limits, tokens, and the
//! security headers.

use std::collections::HashMap;

use firebreak_domain::{
    Clock,
    staff::{Role, Scope},
};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use firebreak_store::Store;

use crate::helpers::{Browser, PASSWORD, TestApp, hidden, no_redirects, problem, spawn_app};

/// What the test expects of each route, written here independently of the
/// router's own table: the lowest role that may call it, or `None` for
/// anyone. A route missing here fails the matrix test.
fn expected() -> HashMap<(&'static str, &'static str), Option<Role>> {
    use Role::{Admin, Agent, Analyst, Supervisor};
    let rows: &[(&str, &str, Option<Role>)] = &[
        ("GET", "/healthz", None),
        ("GET", "/metrics", Some(Analyst)),
        ("GET", "/problems/{code}", None),
        ("GET", "/webhooks/x", None),
        ("POST", "/webhooks/x", None),
        ("GET", "/webhooks/meta", None),
        ("POST", "/webhooks/meta", None),
        ("GET", "/api/v1/openapi.json", None),
        ("GET", "/api/v1/schemas/customer-export.json", None),
        ("POST", "/api/v1/csat/{token}", None),
        ("GET", "/api/v1/me", Some(Analyst)),
        ("POST", "/api/v1/messages", Some(Agent)),
        ("GET", "/api/v1/messages", Some(Analyst)),
        ("GET", "/api/v1/messages/{id}", Some(Analyst)),
        ("GET", "/api/v1/search", Some(Analyst)),
        ("POST", "/api/v1/inbound/email", Some(Agent)),
        ("GET", "/api/v1/reports/first-response", Some(Analyst)),
        ("GET", "/api/v1/reports/promises", Some(Analyst)),
        ("GET", "/api/v1/reports/drivers", Some(Analyst)),
        ("GET", "/api/v1/reports/drivers.csv", Some(Analyst)),
        ("GET", "/api/v1/reports/incidents", Some(Analyst)),
        ("GET", "/api/v1/reports/incidents.csv", Some(Analyst)),
        ("GET", "/api/v1/alerts", Some(Analyst)),
        ("GET", "/api/v1/alerts/{id}", Some(Analyst)),
        ("GET", "/api/v1/cases", Some(Analyst)),
        ("GET", "/api/v1/cases/{id}", Some(Analyst)),
        ("PATCH", "/api/v1/cases/{id}", Some(Agent)),
        ("POST", "/api/v1/cases/{id}/notes", Some(Agent)),
        ("POST", "/api/v1/cases/{id}/promises", Some(Agent)),
        ("POST", "/api/v1/cases/{id}/replies", Some(Agent)),
        ("POST", "/api/v1/promises/{id}", Some(Agent)),
        ("POST", "/api/v1/customers", Some(Agent)),
        ("GET", "/api/v1/customers/{id}", Some(Analyst)),
        ("POST", "/api/v1/customers/{id}/events", Some(Agent)),
        ("POST", "/api/v1/customers/{id}/merge", Some(Agent)),
        ("GET", "/api/v1/customers/{id}/export", Some(Admin)),
        ("POST", "/api/v1/customers/{id}/erase", Some(Admin)),
        ("POST", "/api/v1/customers/{id}/consents", Some(Agent)),
        ("POST", "/api/v1/merges/{id}/undo", Some(Agent)),
        ("POST", "/api/v1/proposals/{id}/confirm", Some(Agent)),
        ("POST", "/api/v1/proposals/{id}/reject", Some(Agent)),
        ("GET", "/api/v1/events", Some(Analyst)),
        ("GET", "/api/v1/sla-policies", Some(Analyst)),
        ("PUT", "/api/v1/sla-policies/{name}", Some(Supervisor)),
        ("DELETE", "/api/v1/sla-policies/{name}", Some(Supervisor)),
        ("GET", "/api/v1/teams", Some(Analyst)),
        ("POST", "/api/v1/teams", Some(Supervisor)),
        ("GET", "/api/v1/agents", Some(Analyst)),
        ("POST", "/api/v1/agents", Some(Supervisor)),
        ("POST", "/api/v1/cases/{id}/assign", Some(Agent)),
        ("GET", "/api/v1/canned", Some(Analyst)),
        ("PUT", "/api/v1/canned/{name}", Some(Supervisor)),
        ("GET", "/api/v1/cases/{id}/canned/{name}", Some(Analyst)),
        ("GET", "/api/v1/staff", Some(Admin)),
        ("POST", "/api/v1/staff", Some(Admin)),
        ("PATCH", "/api/v1/staff/{id}", Some(Admin)),
        ("GET", "/api/v1/tokens", Some(Analyst)),
        ("POST", "/api/v1/tokens", Some(Analyst)),
        ("DELETE", "/api/v1/tokens/{id}", Some(Analyst)),
        ("GET", "/assets/app.css", None),
        ("GET", "/assets/app.js", None),
        ("GET", "/login", None),
        ("POST", "/login", None),
        ("POST", "/logout", Some(Analyst)),
        ("GET", "/", Some(Analyst)),
        ("GET", "/messages", Some(Analyst)),
        ("GET", "/inbox", Some(Analyst)),
        ("POST", "/inbox/bulk", Some(Agent)),
        ("GET", "/cases/{id}", Some(Analyst)),
        ("POST", "/cases/{id}/status", Some(Agent)),
        ("POST", "/cases/{id}/assign", Some(Agent)),
        ("POST", "/cases/{id}/tags", Some(Agent)),
        ("POST", "/cases/{id}/notes", Some(Agent)),
        ("POST", "/cases/{id}/promises", Some(Agent)),
        ("POST", "/cases/{id}/reply", Some(Agent)),
        ("POST", "/promises/{id}/settle", Some(Agent)),
        ("POST", "/proposals/{id}/decide", Some(Agent)),
        ("GET", "/customers", Some(Analyst)),
        ("GET", "/customers/{id}", Some(Analyst)),
        ("POST", "/customers/{id}/merge", Some(Agent)),
        ("POST", "/merges/{id}/undo", Some(Agent)),
        ("GET", "/customers/{id}/export.json", Some(Admin)),
        ("POST", "/customers/{id}/erase", Some(Admin)),
        ("GET", "/supervisor", Some(Analyst)),
        ("GET", "/account", Some(Analyst)),
        ("POST", "/account/password", Some(Analyst)),
        ("POST", "/account/tokens", Some(Analyst)),
        ("POST", "/account/tokens/{id}/revoke", Some(Analyst)),
        ("GET", "/admin/staff", Some(Admin)),
        ("POST", "/admin/staff", Some(Admin)),
        ("POST", "/admin/staff/{id}", Some(Admin)),
        ("GET", "/api/v1/incidents", Some(Analyst)),
        ("POST", "/api/v1/incidents", Some(Supervisor)),
        ("GET", "/api/v1/incidents/{id}", Some(Analyst)),
        ("PATCH", "/api/v1/incidents/{id}", Some(Supervisor)),
        ("POST", "/api/v1/incidents/{id}/updates", Some(Supervisor)),
        ("POST", "/api/v1/incidents/{id}/links", Some(Agent)),
        ("DELETE", "/api/v1/incidents/{id}/links", Some(Agent)),
        ("POST", "/api/v1/incidents/{id}/outreach", Some(Supervisor)),
        ("POST", "/api/v1/incidents/{id}/follow-up", Some(Supervisor)),
        ("GET", "/api/v1/incidents/{id}/notices", Some(Analyst)),
        ("POST", "/api/v1/incidents/{id}/credits", Some(Supervisor)),
        ("POST", "/api/v1/incidents/{id}/bulk-reply", Some(Agent)),
        ("GET", "/api/v1/incident-candidates", Some(Analyst)),
        ("GET", "/api/v1/incident-candidates/{id}", Some(Analyst)),
        ("POST", "/api/v1/incident-candidates/{id}/open", Some(Supervisor)),
        ("POST", "/api/v1/incident-candidates/{id}/dismiss", Some(Supervisor)),
        ("GET", "/api/v1/credits", Some(Analyst)),
        ("GET", "/api/v1/credits.csv", Some(Analyst)),
        ("GET", "/api/v1/suppression", Some(Analyst)),
        ("GET", "/api/v1/suppression.csv", Some(Analyst)),
        ("GET", "/status", None),
        ("GET", "/status.json", None),
        ("GET", "/status.atom", None),
        ("GET", "/alerts", Some(Analyst)),
        ("GET", "/reports/firewall", Some(Analyst)),
        ("GET", "/alerts/{id}", Some(Analyst)),
        ("GET", "/incidents", Some(Analyst)),
        ("POST", "/incidents", Some(Supervisor)),
        ("GET", "/incidents/{id}", Some(Analyst)),
        ("POST", "/incidents/{id}/status", Some(Supervisor)),
        ("POST", "/incidents/{id}/updates", Some(Supervisor)),
        ("POST", "/incidents/{id}/link", Some(Agent)),
        ("POST", "/incidents/{id}/unlink", Some(Agent)),
        ("POST", "/incidents/{id}/outreach", Some(Supervisor)),
        ("POST", "/incidents/{id}/follow-up", Some(Supervisor)),
        ("POST", "/incidents/{id}/credits", Some(Supervisor)),
        ("POST", "/incidents/{id}/bulk-reply", Some(Agent)),
        ("POST", "/incident-candidates/{id}/open", Some(Supervisor)),
        ("POST", "/incident-candidates/{id}/dismiss", Some(Supervisor)),
        // The community: `Some(Analyst)` rows marked (m) are `Member`
        // routes, which members may use too (see `member_routes`).
        ("GET", "/api/v1/community/boards", None),
        ("POST", "/api/v1/community/boards", Some(Supervisor)),
        ("GET", "/api/v1/community/boards/{slug}/topics", None),
        ("POST", "/api/v1/community/topics", Some(Analyst)), // (m)
        ("GET", "/api/v1/community/topics/{id}", None),
        ("POST", "/api/v1/community/topics/{id}/replies", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/topics/{id}/solution", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/topics/{id}/lock", Some(Agent)),
        ("POST", "/api/v1/community/topics/{id}/move", Some(Agent)),
        ("PATCH", "/api/v1/community/posts/{id}", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/posts/{id}/kudos", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/posts/{id}/reports", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/posts/{id}/hide", Some(Agent)),
        ("GET", "/api/v1/community/members/{id}", None),
        ("POST", "/api/v1/community/members/{id}/ban", Some(Agent)),
        ("GET", "/api/v1/community/redemptions", Some(Supervisor)),
        ("GET", "/api/v1/community/redemptions.csv", Some(Supervisor)),
        ("GET", "/api/v1/community/reports", Some(Agent)),
        ("GET", "/api/v1/community/moderation-log", Some(Agent)),
        ("GET", "/api/v1/community/ideas", None),
        ("POST", "/api/v1/community/ideas", Some(Analyst)), // (m)
        ("GET", "/api/v1/community/ideas/{id}", None),
        ("POST", "/api/v1/community/ideas/{id}/votes", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/ideas/{id}/status", Some(Agent)),
        ("POST", "/api/v1/community/ideas/{id}/merge", Some(Agent)),
        ("POST", "/api/v1/community/ideas/{id}/answer", Some(Agent)),
        ("GET", "/api/v1/community/points", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/redemptions", Some(Analyst)), // (m)
        ("GET", "/api/v1/community/ledger", Some(Analyst)),
        ("GET", "/api/v1/community/counts", Some(Analyst)),
        ("GET", "/api/v1/community/search", None),
        ("GET", "/api/v1/community/value", Some(Analyst)),
        ("GET", "/api/v1/community/rounds", None),
        ("POST", "/api/v1/community/rounds", Some(Supervisor)),
        ("GET", "/api/v1/community/rounds/{id}", None),
        ("POST", "/api/v1/community/rounds/{id}/votes", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/rounds/{id}/donations", Some(Analyst)), // (m)
        ("POST", "/api/v1/community/rounds/{id}/close", Some(Supervisor)),
        ("GET", "/api/v1/community/ideas/{id}/comments", None),
        ("POST", "/api/v1/community/ideas/{id}/comments", Some(Analyst)), // (m)
        ("GET", "/api/v1/community/ideas/{id}/links", Some(Analyst)),
        ("POST", "/api/v1/community/ideas/{id}/links", Some(Agent)),
        ("POST", "/api/v1/community/topics/{id}/case", Some(Agent)),
        ("GET", "/api/v1/customers/{id}/community", Some(Analyst)),
        ("GET", "/community", None),
        ("GET", "/community/signup", None),
        ("POST", "/community/signup", None),
        ("GET", "/community/verify", None),
        ("GET", "/community/oidc/start", None),
        ("GET", "/community/oidc/callback", None),
        ("GET", "/community/login", None),
        ("POST", "/community/login", None),
        ("POST", "/community/logout", Some(Analyst)), // (m)
        ("GET", "/community/search", None),
        ("POST", "/community/boards", Some(Supervisor)),
        ("GET", "/community/b/{slug}", None),
        ("GET", "/community/b/{slug}/feed.atom", None),
        ("POST", "/community/b/{slug}/topics", Some(Analyst)), // (m)
        ("GET", "/community/t/{id}", None),
        ("POST", "/community/t/{id}/replies", Some(Analyst)), // (m)
        ("POST", "/community/t/{id}/accept", Some(Analyst)),  // (m)
        ("GET", "/community/t/{id}/posts/{post}/edit", Some(Analyst)), // (m)
        ("POST", "/community/t/{id}/posts/{post}/edit", Some(Analyst)), // (m)
        ("GET", "/community/t/{id}/posts/{post}/history", None),
        ("POST", "/community/posts/{id}/kudos", Some(Analyst)), // (m)
        ("POST", "/community/posts/{id}/report", Some(Analyst)), // (m)
        ("GET", "/community/ideas", None),
        ("POST", "/community/ideas", Some(Analyst)), // (m)
        ("GET", "/community/ideas/{id}", None),
        ("POST", "/community/ideas/{id}/vote", Some(Analyst)), // (m)
        ("POST", "/community/ideas/{id}/status", Some(Agent)),
        ("POST", "/community/ideas/{id}/merge", Some(Agent)),
        ("POST", "/community/ideas/{id}/answer", Some(Agent)),
        ("GET", "/community/points", Some(Analyst)),         // (m)
        ("POST", "/community/points/redeem", Some(Analyst)), // (m)
        ("GET", "/community/members/{id}", None),
        ("GET", "/community/mod", Some(Agent)),
        ("POST", "/community/mod/posts/{id}/hide", Some(Agent)),
        ("POST", "/community/mod/t/{id}/lock", Some(Agent)),
        ("POST", "/community/mod/t/{id}/move", Some(Agent)),
        ("POST", "/community/mod/members/{id}/ban", Some(Agent)),
        ("GET", "/community/value", Some(Analyst)),
        ("POST", "/cases/{id}/community-answer", Some(Agent)),
        ("POST", "/api/v1/cases/{id}/community-answer", Some(Agent)),
        ("POST", "/community/t/{id}/case", Some(Agent)),
        ("GET", "/community/rounds", None),
        ("POST", "/community/rounds", Some(Supervisor)),
        ("POST", "/community/rounds/{id}/vote", Some(Analyst)), // (m)
        ("POST", "/community/rounds/{id}/donate", Some(Analyst)), // (m)
        ("POST", "/community/rounds/{id}/close", Some(Supervisor)),
        ("POST", "/community/ideas/{id}/comments", Some(Analyst)), // (m)
        ("POST", "/community/ideas/{id}/links", Some(Agent)),
    ];
    rows.iter().map(|(m, p, r)| ((*m, *p), *r)).collect()
}

/// The routes a signed-in, verified community member may use besides the
/// public ones (the `(m)` rows above), written here independently of the
/// router's table.
pub fn member_routes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("POST", "/api/v1/community/topics"),
        ("POST", "/api/v1/community/topics/{id}/replies"),
        ("POST", "/api/v1/community/topics/{id}/solution"),
        ("PATCH", "/api/v1/community/posts/{id}"),
        ("POST", "/api/v1/community/posts/{id}/kudos"),
        ("POST", "/api/v1/community/posts/{id}/reports"),
        ("POST", "/api/v1/community/ideas"),
        ("POST", "/api/v1/community/ideas/{id}/votes"),
        ("GET", "/api/v1/community/points"),
        ("POST", "/api/v1/community/redemptions"),
        ("POST", "/community/logout"),
        ("POST", "/community/b/{slug}/topics"),
        ("POST", "/community/t/{id}/replies"),
        ("POST", "/community/t/{id}/accept"),
        ("GET", "/community/t/{id}/posts/{post}/edit"),
        ("POST", "/community/t/{id}/posts/{post}/edit"),
        ("POST", "/community/posts/{id}/kudos"),
        ("POST", "/community/posts/{id}/report"),
        ("POST", "/community/ideas"),
        ("POST", "/community/ideas/{id}/vote"),
        ("GET", "/community/points"),
        ("POST", "/community/points/redeem"),
        ("POST", "/api/v1/community/rounds/{id}/votes"),
        ("POST", "/api/v1/community/rounds/{id}/donations"),
        ("POST", "/api/v1/community/ideas/{id}/comments"),
        ("POST", "/community/rounds/{id}/vote"),
        ("POST", "/community/rounds/{id}/donate"),
        ("POST", "/community/ideas/{id}/comments"),
    ]
}

/// Whether `(method, path)` is public in this test's expectations.
pub fn public_route(method: &str, path: &str) -> bool {
    expected().get(&(method, path)).is_some_and(Option::is_none)
}

/// A token with every scope for a new account of `role`.
async fn token_for(app: &TestApp, role: Role) -> String {
    let email = format!("{}@matrix.test", role.as_str());
    let account = app.engine.add_staff(&email, role.as_str(), role, None, PASSWORD).await.unwrap();
    let until = app.clock.now().plus_millis(86_400_000);
    app.engine
        .issue_token(&account, "matrix", vec![Scope::Read, Scope::Write, Scope::Admin], until)
        .await
        .unwrap()
        .token
}

/// Whether the answer is the authorisation check refusing.
fn refused(status: StatusCode, body: &str) -> bool {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    (status == StatusCode::UNAUTHORIZED && v["code"] == "unauthorized")
        || (status == StatusCode::FORBIDDEN
            && v["code"] == "forbidden"
            && v["detail"].as_str().is_some_and(|d| d.contains("does not allow")))
}

#[tokio::test]
async fn every_route_admits_exactly_the_roles_its_rule_names() {
    let app = spawn_app().await;
    let expected = expected();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, token_for(&app, role).await));
    }
    let client = no_redirects();
    let routes = firebreak_web::route_table();
    for r in &routes {
        let key = (r.method.as_str(), r.path);
        let Some(min) = expected.get(&key) else {
            panic!("{} {} has no row in this test's expectations: add one", r.method, r.path);
        };
        if r.path == "/api/v1/events" {
            continue; // a stream that never ends; checked for anonymity below
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
        let send = |token: Option<&str>| {
            let mut req = client.request(Method::from_bytes(r.method.as_str().as_bytes()).unwrap(), &url);
            if r.method != Method::GET && r.method != Method::DELETE {
                req = req.header("content-type", "application/json").body("{}");
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send()
        };
        // Anonymous.
        let resp = send(None).await.unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        match min {
            None => assert!(
                !refused(status, &body),
                "{} {} is public but refused anyone: {status} {body}",
                r.method,
                r.path
            ),
            Some(_) => assert!(
                status == StatusCode::UNAUTHORIZED,
                "{} {} let an anonymous caller in: {status} {body}",
                r.method,
                r.path
            ),
        }
        for (role, token) in &tokens {
            let resp = send(Some(token)).await.unwrap();
            let status = resp.status();
            let body = resp.text().await.unwrap();
            let allowed = min.is_none_or(|m| *role >= m);
            assert_eq!(
                !refused(status, &body),
                allowed,
                "{} {} as {role}: expected {}, got {status} {body}",
                r.method,
                r.path,
                if allowed { "admitted" } else { "refused" }
            );
        }
    }
    // The test's rows name only routes that exist.
    for (m, p) in expected.keys() {
        assert!(routes.iter().any(|r| r.method.as_str() == *m && r.path == *p), "{m} {p} is not a route");
    }
    let events = client.get(format!("{}/api/v1/events", app.url)).send().await.unwrap();
    assert_eq!(events.status(), 401);
}

#[tokio::test]
async fn a_tokens_scopes_narrow_its_owners_role() {
    let app = spawn_app().await;
    let admin = app.engine.add_staff("boss@x.test", "Boss", Role::Admin, None, PASSWORD).await.unwrap();
    let until = app.clock.now().plus_millis(86_400_000);
    let read = app.engine.issue_token(&admin, "reader", vec![Scope::Read], until).await.unwrap().token;
    let client = no_redirects();
    let post = client
        .post(format!("{}/api/v1/messages", app.url))
        .bearer_auth(&read)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    let body = problem(post, 403, "forbidden").await;
    assert!(body["detail"].as_str().unwrap().contains("scopes"), "{body}");
    let get = client.get(format!("{}/api/v1/cases", app.url)).bearer_auth(&read).send().await.unwrap();
    assert_eq!(get.status(), 200);

    // Expired and revoked tokens are refused.
    app.clock.advance_millis((86_401) * 1000);
    let late = client.get(format!("{}/api/v1/cases", app.url)).bearer_auth(&read).send().await.unwrap();
    problem(late, 401, "unauthorized").await;
    let fresh =
        app.engine.issue_token(&admin, "r2", vec![Scope::Read], app.clock.now().plus_millis(86_400_000)).await.unwrap();
    app.store.revoke_api_token(fresh.info.id, None).await.unwrap();
    let revoked = client.get(format!("{}/api/v1/cases", app.url)).bearer_auth(&fresh.token).send().await.unwrap();
    problem(revoked, 401, "unauthorized").await;
    // A malformed token is refused the same way.
    let junk = client.get(format!("{}/api/v1/cases", app.url)).bearer_auth("fbt_nonsense").send().await.unwrap();
    problem(junk, 401, "unauthorized").await;
}

#[tokio::test]
async fn sessions_are_httponly_cookies_and_every_state_change_needs_the_csrf_token_and_our_origin() {
    let app = spawn_app().await;
    app.engine.add_staff("agent@x.test", "Agnes", Role::Agent, None, PASSWORD).await.unwrap();
    let mut b = Browser::new(&app);
    let resp = b.login("agent@x.test", PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/messages");
    let set: Vec<&str> = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let session = set.iter().find(|c| c.starts_with("firebreak_session=")).expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let page = b.get("/messages").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "_csrf");
    assert!(!html.contains("<script>") && html.contains("<script src=\"/assets/app.js\" defer>"), "no inline script");

    // A state change without the token, with a wrong one, or from another
    // site is refused and changes nothing.
    let api = format!("{}/api/v1/messages", app.url);
    let body = serde_json::json!([crate::helpers::message("c1", "hello")]).to_string();
    let send = |token: Option<&str>, origin: Option<&str>| {
        let mut r = b.client.post(&api).header("cookie", b.cookie_header()).header("content-type", "application/json");
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.body(body.clone()).send()
    };
    problem(send(None, None).await.unwrap(), 403, "csrf_failed").await;
    problem(send(Some("wrong"), None).await.unwrap(), 403, "csrf_failed").await;
    problem(send(Some(&csrf), Some("https://evil.example")).await.unwrap(), 403, "csrf_failed").await;
    assert_eq!(app.stored().await, 0);
    let ok = send(Some(&csrf), Some(&app.url)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(app.stored().await, 1);

    // A form without the token is refused too.
    let form = b.post_form("/logout", &[], Some(&app.url.clone())).await;
    assert_eq!(form.status(), 403);
    // Signing out revokes the session: the old cookie no longer works.
    let old = b.cookie_header();
    let out = b.post_form("/logout", &[("_csrf", &csrf)], Some(&app.url.clone())).await;
    assert_eq!(out.status(), 303);
    let again = b.client.get(format!("{}/api/v1/me", app.url)).header("cookie", old).send().await.unwrap();
    problem(again, 401, "unauthorized").await;
    // And a page asks to sign in, coming back afterwards.
    let page = b.get("/messages?q=x").await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?next=/messages%3Fq%3Dx");
}

#[tokio::test]
async fn the_sign_in_form_refuses_cross_site_posts_and_answers_unknown_and_wrong_alike() {
    let app = spawn_app().await;
    app.engine.add_staff("known@x.test", "Known", Role::Agent, None, PASSWORD).await.unwrap();
    let mut b = Browser::new(&app);
    let page = b.get("/login").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let evil = b
        .post_form(
            "/login",
            &[("email", "known@x.test"), ("password", PASSWORD), ("_csrf", &csrf)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(evil.status(), 403);
    assert!(!b.cookies.contains_key("firebreak_session"));

    let wrong = b.login("known@x.test", "not the password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_text = wrong.text().await.unwrap();
    let unknown = b.login("nobody@x.test", "not the password").await;
    assert_eq!(unknown.status(), 401);
    let unknown_text = unknown.text().await.unwrap();
    let sentence = |t: &str| t[t.find("role=\"alert\"").unwrap()..].split('<').next().unwrap().to_owned();
    assert_eq!(sentence(&wrong_text), sentence(&unknown_text), "the same answer for unknown and known");
}

#[tokio::test]
async fn sign_in_is_limited_per_account_and_per_address() {
    let app = spawn_app().await;
    app.engine.add_staff("target@x.test", "Target", Role::Agent, None, PASSWORD).await.unwrap();
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(b.login("target@x.test", "guess guess guess").await.status(), 401);
    }
    let blocked = b.login("target@x.test", PASSWORD).await;
    assert_eq!(blocked.status(), 429, "even the right password waits");
    assert!(blocked.headers().contains_key("retry-after"));
    // An unknown account is limited the same way.
    for _ in 0..5 {
        assert_eq!(b.login("ghost@x.test", "guess guess guess").await.status(), 401);
    }
    assert_eq!(b.login("ghost@x.test", "guess guess guess").await.status(), 429);
    // After the window, the right password works.
    app.clock.advance_millis((16 * 60) * 1000);
    assert_eq!(b.login("target@x.test", PASSWORD).await.status(), 303);
    // Many accounts from one address: the address is limited too (20).
    let mut c = Browser::new(&app);
    for i in 0..20 {
        assert_eq!(c.login(&format!("spray{i}@x.test"), "guess guess guess").await.status(), 401);
    }
    assert_eq!(c.login("spray-last@x.test", "guess guess guess").await.status(), 429);
}

#[tokio::test]
async fn a_password_change_or_a_disable_revokes_sessions_and_tokens() {
    let app = spawn_app().await;
    let agent = app.engine.add_staff("moves@x.test", "Moves", Role::Agent, None, PASSWORD).await.unwrap();
    let mut b = Browser::new(&app);
    assert_eq!(b.login("moves@x.test", PASSWORD).await.status(), 303);
    let cookie = b.cookie_header();
    let me = |cookie: String| b.client.get(format!("{}/api/v1/me", app.url)).header("cookie", cookie).send();
    assert_eq!(me(cookie.clone()).await.unwrap().status(), 200);
    app.clock.advance_millis(1000);
    app.engine.change_password(&agent, PASSWORD, "a brand new password").await.unwrap();
    problem(me(cookie).await.unwrap(), 401, "unauthorized").await;

    let mut b = Browser::new(&app);
    assert_eq!(b.login("moves@x.test", "a brand new password").await.status(), 303);
    let token = app
        .engine
        .issue_token(&agent, "bot", vec![Scope::Read], app.clock.now().plus_millis(86_400_000))
        .await
        .unwrap()
        .token;
    app.clock.advance_millis(1000);
    app.store.set_staff_disabled(agent.id, true).await.unwrap();
    problem(me(b.cookie_header()).await.unwrap(), 401, "unauthorized").await;
    let t = b.client.get(format!("{}/api/v1/me", app.url)).bearer_auth(&token).send().await.unwrap();
    problem(t, 401, "unauthorized").await;
    assert_eq!(
        b.login("moves@x.test", "a brand new password").await.status(),
        401,
        "a disabled account cannot sign in"
    );
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_session_without_the_csrf_token_or_from_another_site() {
    let app = spawn_app().await;
    app.engine.add_staff("csrf-admin@x.test", "Admin", Role::Admin, None, PASSWORD).await.unwrap();
    let mut b = Browser::new(&app);
    assert_eq!(b.login("csrf-admin@x.test", PASSWORD).await.status(), 303);
    let page = b.get("/messages").await.text().await.unwrap();
    let csrf = hidden(&page, "_csrf");
    let mut checked = 0;
    for r in firebreak_web::route_table() {
        if r.method == Method::GET || r.access == firebreak_web::Access::Public {
            continue;
        }
        let url = format!("{}{}", app.url, r.path.replace("{id}", "999999").replace("{name}", "n"));
        let send = |token: Option<&str>, origin: &str| {
            let mut req = b
                .client
                .request(Method::from_bytes(r.method.as_str().as_bytes()).unwrap(), &url)
                .header("cookie", b.cookie_header())
                .header("origin", origin.to_owned())
                .header("content-type", "application/json")
                .body("{}");
            if let Some(t) = token {
                req = req.header("x-csrf-token", t.to_owned());
            }
            req.send()
        };
        let missing = send(None, &app.url).await.unwrap();
        let body = missing.text().await.unwrap();
        assert!(body.contains("\"csrf_failed\""), "{} {} without a token: {body}", r.method, r.path);
        let cross = send(Some(&csrf), "https://evil.example").await.unwrap();
        let body = cross.text().await.unwrap();
        assert!(body.contains("\"csrf_failed\""), "{} {} from another site: {body}", r.method, r.path);
        checked += 1;
    }
    assert!(checked > 40, "every state-changing route was tried ({checked})");
    // The session still works with the token from our own origin.
    let ok = b.client.get(format!("{}/api/v1/me", app.url)).header("cookie", b.cookie_header()).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}
