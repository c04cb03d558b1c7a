//! The agent's story in a real browser (headless Chromium through
//! chromedriver), against the real binary: sign in as an agent, watch a new
//! negative tweet arrive live in the inbox, open it, confirm the suggested
//! identity, record a promise, reply in public with the keyboard alone, and
//! check that the fake X API on loopback got exactly one correct
//! `POST /2/tweets`; then resolve, and the supervisor view counts it.
//! Screenshots of the inbox and the case go to `FIREBREAK_E2E_ARTIFACTS`
//! (default `target/e2e-artifacts`). Skips, saying so, when Chromium is not
//! installed, unless `FIREBREAK_E2E_REQUIRED=1` (as in CI).

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

async fn tweets(State(log): State<XLog>, headers: HeaderMap, Json(body): Json<Value>) -> (axum::http::StatusCode, Json<Value>) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut log = log.lock().unwrap();
    log.push((auth, body.clone()));
    (axum::http::StatusCode::CREATED, Json(json!({ "data": { "id": format!("19555{}", log.len()), "text": body["text"] } })))
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
    let cfg = dir.join("firebreak.toml");
    std::fs::write(&cfg, format!("[outbound.x]\nbase_url = \"{x_base}\"\nbearer_token = \"{X_BEARER}\"\n")).unwrap();
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
    let email_box = s.find("#email").await;
    s.type_into(&email_box, email).await;
    let pw = s.find("#password").await;
    s.type_into(&pw, "firebreak-demo\u{E007}").await;
    s.wait_for("the inbox after signing in", "return location.pathname === '/inbox'", Duration::from_secs(10)).await;
}
