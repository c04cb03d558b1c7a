//! How `web` is meant to use this crate, as a running example: two axum
//! handlers, `/community/oidc/start` and `/community/oidc/callback`, with the
//! pending attempt kept server-side under a random id in a cookie, driven by a
//! browser-like client against the fake provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use firebreak_domain::SystemClock;
use firebreak_oidc::fake::{FakeProvider, FakeUser, Misbehaviour, follow_authorization};
use firebreak_oidc::{Callback, OidcError, Pending, Provider, ProviderConfig, http_client};

const COOKIE: &str = "oidc_attempt";

#[derive(Clone)]
struct App {
    provider: Arc<Provider>,
    /// Attempts by the random id in the browser's cookie. A real store expires them.
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

async fn start(State(app): State<App>) -> Response {
    let (url, pending) = app.provider.authorization_url();
    // The cookie binds the attempt to this browser: a callback is completed
    // only with the attempt this browser started. Its state serves as the id.
    let id = pending.state().to_owned();
    app.pending.lock().unwrap().insert(id.clone(), pending);
    let cookie = format!("{COOKIE}={id}; Path=/community/oidc; HttpOnly; SameSite=Lax; Max-Age=600");
    ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
}

fn refusal(e: &OidcError) -> Response {
    // The detail goes to the log; the page gets the code and the sentence.
    eprintln!("oidc sign-in refused: {} {:?}", e.code(), e.detail());
    let status = if e.is_upstream() { StatusCode::BAD_GATEWAY } else { StatusCode::BAD_REQUEST };
    (status, format!("{}: {e}", e.code())).into_response()
}

async fn callback(State(app): State<App>, headers: HeaderMap, Query(callback): Query<Callback>) -> Response {
    let id = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='));
    // Taken, not read: an attempt completes at most once.
    let Some(pending) = id.and_then(|id| app.pending.lock().unwrap().remove(id)) else {
        return refusal(&OidcError::StateMismatch);
    };
    match app.provider.complete(&pending, &callback).await {
        // Here web finds or creates the member by (issuer, subject), links a
        // customer only through a verified email, and starts the session.
        Ok(claims) => {
            format!("signed in as {} ({:?}, verified {})", claims.subject, claims.email, claims.email_verified)
                .into_response()
        }
        Err(e) => refusal(&e),
    }
}

struct Running {
    fake: FakeProvider,
    base: String,
    browser: reqwest::Client,
}

async fn run() -> Running {
    let fake = FakeProvider::start("crm", "secret", FakeUser::new("member-7", "grace@example.com")).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = ProviderConfig::new(fake.issuer(), "crm", "secret", format!("{base}/community/oidc/callback"));
    let provider = Provider::discover(config, http_client(), Arc::new(SystemClock)).await.unwrap();
    let app = App { provider: Arc::new(provider), pending: Arc::default() };
    let router = Router::new()
        .route("/community/oidc/start", get(start))
        .route("/community/oidc/callback", get(callback))
        .with_state(app);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Running { fake, base, browser: http_client() }
}

impl Running {
    /// Start, the provider, then the callback with the cookie from the start: what a browser does.
    async fn sign_in(&self) -> (StatusCode, String) {
        let started = self.browser.get(format!("{}/community/oidc/start", self.base)).send().await.unwrap();
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
        let cookie = started.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let to_provider = started.headers()[header::LOCATION].to_str().unwrap().parse().unwrap();
        let back = follow_authorization(&to_provider).await.unwrap();
        assert!(back.as_str().starts_with(&format!("{}/community/oidc/callback?", self.base)));
        let done = self.browser.get(back).header(header::COOKIE, cookie).send().await.unwrap();
        (done.status(), done.text().await.unwrap())
    }
}

#[tokio::test]
async fn a_member_signs_in_through_the_two_routes() {
    let app = run().await;
    let (status, body) = app.sign_in().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "signed in as member-7 (Some(\"grace@example.com\"), verified true)");
}

#[tokio::test]
async fn a_refusal_shows_its_code_and_sentence() {
    let app = run().await;
    app.fake.misbehave(Misbehaviour::WrongAudience);
    let (status, body) = app.sign_in().await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "oidc_wrong_audience: The identity token is not meant for this application.");
    app.fake.misbehave(Misbehaviour::RejectCode);
    let (status, body) = app.sign_in().await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.starts_with("oidc_token_request_failed: "), "{body}");
}

#[tokio::test]
async fn a_callback_without_the_browser_cookie_is_refused() {
    let app = run().await;
    let started = app.browser.get(format!("{}/community/oidc/start", app.base)).send().await.unwrap();
    let to_provider = started.headers()[header::LOCATION].to_str().unwrap().parse().unwrap();
    let back = follow_authorization(&to_provider).await.unwrap();
    // Another browser (no cookie) arriving with a valid code and state: login CSRF.
    let done = app.browser.get(back).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::BAD_REQUEST);
    assert!(done.text().await.unwrap().starts_with("oidc_state_mismatch"));
}
