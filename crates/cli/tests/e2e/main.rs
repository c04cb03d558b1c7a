//! The agent's story in a real browser (headless Chromium through
//! chromedriver), against the real binary: sign in as an agent, watch a new
//! negative tweet arrive live in the inbox, open it, confirm the suggested
//! identity, record a promise, reply in public with the keyboard alone (the
//! session expires on the way: the sign-in page keeps the draft), and check
//! that the fake X API on loopback got exactly one correct `POST /2/tweets`;
//! then resolve, and the supervisor view counts it.
//! Screenshots of the inbox and the case go to `FIREBREAK_E2E_ARTIFACTS`
//! (default `target/e2e-artifacts`). Skips, saying so, when Chromium is not
//! installed, unless `FIREBREAK_E2E_REQUIRED=1` (as in CI).

mod community;
mod webdriver;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Json, Router, extract::State, http::HeaderMap, routing::post};
use serde_json::{Value, json};

use webdriver::{Driver, Session};

const TOKEN: &str = "e2e-connector-token-0123456789";
const X_BEARER: &str = "e2e-user-bearer-token";

type XLog = Arc<Mutex<Vec<(String, Value)>>>;

async fn tweets(
    State(log): State<XLog>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut log = log.lock().unwrap();
    log.push((auth, body.clone()));
    (
        axum::http::StatusCode::CREATED,
        Json(json!({ "data": { "id": format!("19555{}", log.len()), "text": body["text"] } })),
    )
}

/// A fake X API on loopback that records every `POST /2/tweets`.
async fn fake_x() -> (String, XLog) {
    let log: XLog = Arc::default();
    let app = Router::new().route("/2/tweets", post(tweets)).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, log)
}

/// `firebreak serve --demo` on a free port; stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, x_base: &str) -> Server {
    start_server_with(dir, &format!("[outbound.x]\nbase_url = \"{x_base}\"\nbearer_token = \"{X_BEARER}\"\n"))
}

/// `firebreak serve --demo` with this configuration file.
fn start_server_with(dir: &Path, config: &str) -> Server {
    let cfg = dir.join("firebreak.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--api-token", TOKEN, "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(dir.join("data"))
        .env("FIREBREAK_LOG", "warn")
        .env_remove("FIREBREAK_CONFIG")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the firebreak binary starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line}")).to_owned();
    // Keep reading the rest so the pipe never fills.
    std::thread::spawn(move || for _ in out.lines() {});
    Server { child, url }
}

fn artifacts() -> PathBuf {
    std::env::var_os("FIREBREAK_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-artifacts"))
}

async fn sign_in(s: &Session, base: &str, email: &str) {
    s.goto(&format!("{base}/login")).await;
    fill_sign_in(s, email, "/inbox").await;
}

/// Fills in the sign-in form on the page at hand and waits to land on `to`.
async fn fill_sign_in(s: &Session, email: &str, to: &str) {
    let email_box = s.find("#email").await;
    s.type_into(&email_box, email).await;
    let pw = s.find("#password").await;
    s.type_into(&pw, "firebreak-demo\u{E007}").await;
    let script = format!("return location.pathname === '{to}'");
    s.wait_for(&format!("{to} after signing in"), &script, Duration::from_secs(10)).await;
}

/// The supervisor chart's count of resolutions measured today (met + missed).
async fn resolutions_today(s: &Session, base: &str) -> u64 {
    s.goto(&format!("{base}/supervisor")).await;
    s.find("svg.chart").await;
    let v = s
        .eval(
            "for (const t of document.querySelectorAll('svg.chart g > title')) {\
               const x = t.textContent;\
               if (x.startsWith('Today, resolution: ')) {\
                 const m = x.match(/(\\d+) met, (\\d+) missed/);\
                 return m ? Number(m[1]) + Number(m[2]) : 0;\
               }\
             }\
             return 0;",
        )
        .await;
    v.as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_answers_a_live_tweet_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let (x_base, x_log) = fake_x().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &x_base);
    let base = server.url.clone();
    let shots = artifacts();
    let s = driver.session().await;

    // The supervisor's figure before.
    sign_in(&s, &base, "supervisor@demo.firebreak.example").await;
    let before = resolutions_today(&s, &base).await;
    s.find("header.top form button").await;
    s.eval("document.querySelector('header.top form').requestSubmit(); return true;").await;
    s.wait_for("the sign-in page", "return location.pathname === '/login'", Duration::from_secs(10)).await;

    // An agent signs in and watches the inbox.
    sign_in(&s, &base, "agent@demo.firebreak.example").await;
    s.find("#queue").await;
    s.wait_for(
        "the live stream to open",
        "return !!document.querySelector('#queue tbody, #queue [data-row]')",
        Duration::from_secs(10),
    )
    .await;

    // A new, angry tweet from someone the records know only by name.
    let tweet = json!([{
        "channel": "x",
        "external_id": "1990000000000000001",
        "author": { "id": "77001", "handle": "tom_becker", "name": "Tom Becker", "followers": 120 },
        "text": "Broadband down for two days in SW1A and nobody answers the phone. Disgraceful #fail",
        "created_at": firebreak_domain::Timestamp::now().to_rfc3339()
    }]);
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(TOKEN)
        .json(&tweet)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    s.wait_for(
        "the new tweet to appear in the open inbox without a reload",
        "return document.getElementById('queue').textContent.includes('Broadband down for two days')",
        Duration::from_secs(10),
    )
    .await;
    s.screenshot(&shots.join("inbox.png")).await;

    // Open it with the keyboard: move to its row, then `o`.
    for _ in 0..60 {
        let on_it = s
            .eval("const r = document.querySelector('[data-row].selected'); return !!r && r.textContent.includes('Broadband down for two days');")
            .await;
        if on_it == Value::Bool(true) {
            break;
        }
        s.keys("j").await;
    }
    s.keys("o").await;
    s.wait_for("the case page", "return document.body.dataset.page === 'case'", Duration::from_secs(10)).await;

    // Confirm the suggested identity (Tom Becker, on record without a handle).
    let confirm = s.find("form[action^='/proposals/'] button[value=confirm]").await;
    s.click(&confirm).await;
    s.wait_for("the confirmation", "return location.search.includes('done=confirmed')", Duration::from_secs(10)).await;
    assert!(s.text("main").await.contains("The suggested match is confirmed"));

    // Record a promise.
    let what = s.find("#promise-what").await;
    s.type_into(&what, "Call Tom back when the line is fixed\u{E007}").await;
    s.wait_for(
        "the promise",
        "return document.body.textContent.includes('Call Tom back when the line is fixed')",
        Duration::from_secs(10),
    )
    .await;

    // Reply in public with the keyboard alone: `r`, the text, Ctrl+Enter.
    // The session has expired meanwhile: sending lands on the sign-in page,
    // and after signing in the case comes back with the draft kept.
    let reply_text = "Sorry Tom, an engineer is on the way; we will call you back.";
    let case_path = s.eval("return location.pathname").await.as_str().unwrap_or_default().to_owned();
    let focus_reply = "return document.activeElement && document.activeElement.id === 'reply-text'";
    s.eval("document.activeElement && document.activeElement.blur(); return true;").await;
    s.keys("r").await;
    s.wait_for("the reply box to take the focus", focus_reply, Duration::from_secs(5)).await;
    s.keys(reply_text).await;
    s.delete_cookie("firebreak_session").await;
    s.chord("\u{E009}", "\u{E007}").await;
    s.wait_for("the sign-in page", "return location.pathname === '/login'", Duration::from_secs(10)).await;
    fill_sign_in(&s, "agent@demo.firebreak.example", &case_path).await;
    let kept = s.eval("return document.getElementById('reply-text').value").await;
    assert_eq!(kept, Value::String(reply_text.to_owned()), "the draft survived the expired session");
    assert!(x_log.lock().unwrap().is_empty(), "nothing went out without a session");
    s.eval("document.activeElement && document.activeElement.blur(); return true;").await;
    s.keys("r").await;
    s.wait_for("the reply box to take the focus", focus_reply, Duration::from_secs(5)).await;
    s.chord("\u{E009}", "\u{E007}").await;
    s.wait_for("the reply to be queued", "return location.search.includes('sent=1')", Duration::from_secs(10)).await;

    // The fake X API gets exactly one correct POST /2/tweets.
    let started = std::time::Instant::now();
    while x_log.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = x_log.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "exactly one tweet: {sent:?}");
    assert_eq!(sent[0].0, format!("Bearer {X_BEARER}"));
    assert_eq!(sent[0].1, json!({ "text": reply_text, "reply": { "in_reply_to_tweet_id": "1990000000000000001" } }));
    // The open case page hears of the delivery and shows it without a reload.
    s.wait_for(
        "the delivery to show as sent, live",
        "return !!document.querySelector('#deliveries li[data-status=sent]')",
        Duration::from_secs(10),
    )
    .await;
    s.screenshot(&shots.join("case.png")).await;

    // Resolve with `e`; the supervisor's view counts it.
    s.eval("document.activeElement && document.activeElement.blur(); return true;").await;
    s.keys("e").await;
    s.wait_for(
        "the case to be resolved",
        "return document.body.textContent.includes('resolved')",
        Duration::from_secs(10),
    )
    .await;
    s.eval("document.querySelector('header.top form').requestSubmit(); return true;").await;
    s.wait_for("the sign-in page", "return location.pathname === '/login'", Duration::from_secs(10)).await;
    sign_in(&s, &base, "supervisor@demo.firebreak.example").await;
    let after = resolutions_today(&s, &base).await;
    assert_eq!(after, before + 1, "the supervisor's view counts the resolution");
    s.screenshot(&shots.join("supervisor.png")).await;
    s.close().await;
    drop(server);
}
