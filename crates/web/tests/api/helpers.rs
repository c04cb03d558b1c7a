//! `spawn_app`: the real router, store and engine on 127.0.0.1:0 with a
//! fresh data directory.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use firebreak_channels::outbound::{Delivered, OutboundReply, ReplyTransport, SendError, Visibility, route};
use firebreak_domain::{Channel, ExternalId};

use firebreak_domain::Clock;
use firebreak_domain::{
    ManualClock, Timestamp,
    staff::{Role, Scope},
};
use firebreak_engine::Engine;
use firebreak_store::{SqliteOptions, SqliteStore, Store};
use firebreak_web::{AppState, WebConfig};
use serde_json::{Value, json};

pub struct TestApp {
    pub url: String,
    /// Sends an admin's API token with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anonymous: reqwest::Client,
    pub store: Arc<SqliteStore>,
    pub engine: Arc<Engine>,
    /// The app's clock: tests move time by hand.
    pub clock: Arc<ManualClock>,
    /// The data directory, for tests that look at the files themselves.
    pub dir: tempfile::TempDir,
    /// What the app's replies were handed to.
    pub transport: Arc<FakeTransport>,
}

pub const X_SECRET: &str = "test-consumer-secret-0123456789";
pub const META_SECRET: &str = "test-meta-app-secret-987654";
pub const META_VERIFY: &str = "verify-me-please";
pub const TOKEN: &str = "a-test-token-of-sufficient-length";
pub const ADMIN_EMAIL: &str = "admin@firebreak.test";
pub const PASSWORD: &str = "a long test password";

pub fn configured() -> WebConfig {
    WebConfig {
        api_tokens: vec![],
        secure_cookies: false,
        x_consumer_secret: Some(X_SECRET.into()),
        meta_app_secret: Some(META_SECRET.into()),
        meta_verify_token: Some(META_VERIFY.into()),
        reports: Default::default(),
        oidc: None,
        community: Default::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(configured()).await
}

pub async fn spawn_with(config: WebConfig) -> TestApp {
    let fake = Arc::new(FakeTransport::default());
    spawn_full(config, fake.clone(), fake).await
}

/// An app whose replies go through `transport` (`fake` is what the
/// returned app reports as its transport).
pub async fn spawn_full(config: WebConfig, transport: Arc<dyn ReplyTransport>, fake: Arc<FakeTransport>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::parse_rfc3339("2026-11-20T08:00:00Z").unwrap()));
    let options = SqliteOptions { clock: clock.clone(), ..SqliteOptions::default() };
    let store = Arc::new(SqliteStore::open(dir.path(), options).unwrap());
    let engine = Arc::new(Engine::new(store.clone(), clock.clone()).with_transport(transport));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(engine.clone(), config);
    tokio::spawn(async move {
        firebreak_web::serve(listener, state, std::future::pending()).await.unwrap();
    });
    // The tests act as an admin's program: every request carries a token
    // with every scope (the access tests use clients of their own).
    let admin = engine.add_staff(ADMIN_EMAIL, "Test Admin", Role::Admin, None, PASSWORD).await.unwrap();
    let token = engine
        .issue_token(
            &admin,
            "tests",
            vec![Scope::Read, Scope::Write, Scope::Admin],
            clock.now().plus_millis(10 * 365 * 86_400_000),
        )
        .await
        .unwrap()
        .token;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
    TestApp { url, client, anonymous: reqwest::Client::new(), store, engine, clock, dir, transport: fake }
}

/// A reply transport that takes every reply a real one could route, and
/// keeps what it was given (the transports themselves are tested against
/// fake platforms in `firebreak-channels`).
#[derive(Default)]
pub struct FakeTransport {
    pub sent: Mutex<Vec<OutboundReply>>,
}

#[async_trait::async_trait]
impl ReplyTransport for FakeTransport {
    fn can_send(&self, channel: Channel, visibility: Visibility) -> Result<(), SendError> {
        route(channel, visibility).map(|_| ()).map_err(SendError::from)
    }

    async fn send(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let mut sent = self.sent.lock().unwrap();
        sent.push(reply.clone());
        Ok(Delivered { external_id: ExternalId::parse(format!("sent-{}", sent.len())).unwrap() })
    }
}

impl TestApp {
    pub async fn post_messages(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/messages", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.url)).send().await.unwrap()
    }

    pub async fn stored(&self) -> u64 {
        self.store.counts().await.unwrap().messages
    }
}

/// A valid normalised message.
pub fn message(id: &str, text: &str) -> Value {
    json!({
        "channel": "x",
        "external_id": id,
        "author": { "id": "6253282", "handle": "ann_example", "name": "Ann", "followers": 42 },
        "text": text,
        "created_at": "2026-11-20T07:42:00Z"
    })
}

/// Reads a problem+json answer, checking its shape.
pub async fn problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A browser: the cookies it holds.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser { client: no_redirects(), base: app.url.clone(), cookies: HashMap::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn keep(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&resp);
        resp
    }

    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let resp = req.send().await.unwrap();
        self.keep(&resp);
        resp
    }

    pub async fn login(&mut self, email: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await.text().await.unwrap();
        let csrf = hidden(&page, "_csrf");
        let origin = self.base.clone();
        self.post_form(
            "/login",
            &[("email", email), ("password", password), ("_csrf", &csrf), ("next", "/messages")],
            Some(&origin),
        )
        .await
    }
}

/// The value of a hidden input in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no {name} in {page}"));
    let rest = &page[at..];
    let v = &rest[rest.find("value=\"").unwrap() + 7..];
    v[..v.find('"').unwrap()].to_owned()
}
