//! A small W3C WebDriver client over HTTP, enough to drive headless Chromium
//! through chromedriver: sessions, navigation, elements, keys, scripts and
//! screenshots. Written for these tests (the protocol is JSON over HTTP).

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key WebDriver names an element reference with.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Debian puts the browser and its driver, unless the environment says.
fn program(var: &str, default: &str) -> Option<String> {
    let p = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    std::path::Path::new(&p).exists().then_some(p)
}

/// A running chromedriver; stopped on drop.
pub struct Driver {
    child: Child,
    base: String,
    browser: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver on a free port, or `None` (and a message) when
    /// Chromium or its driver is not installed.
    pub async fn start() -> Option<Driver> {
        let (Some(driver), Some(browser)) =
            (program("CHROMEDRIVER", "/usr/bin/chromedriver"), program("CHROMIUM", "/usr/bin/chromium"))
        else {
            if std::env::var("FIREBREAK_E2E_REQUIRED").is_ok_and(|v| v == "1") {
                panic!("FIREBREAK_E2E_REQUIRED is set but chromium or chromedriver is missing");
            }
            eprintln!(
                "skipping the browser test: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let d = Driver { child, base: format!("http://127.0.0.1:{port}"), browser };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/status", d.base)).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(d)
    }

    /// A new headless browser window of 1366x768.
    pub async fn session(&self) -> Session {
        let client = reqwest::Client::new();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1366,768", "--no-first-run", "--disable-extensions"]
            }
        } } });
        let v: Value =
            client.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        let id = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        Session { client, url: format!("{}/session/{id}", self.base) }
    }
}

/// One browser window.
pub struct Session {
    client: reqwest::Client,
    url: String,
}

/// An element on the page.
#[derive(Clone)]
pub struct Element(String);

impl Session {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.client.request(method.clone(), format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching a CSS selector, waiting up to `wait`.
    pub async fn find_within(&self, css: &str, wait: Duration) -> Option<Element> {
        let started = Instant::now();
        loop {
            let v: Value = self
                .client
                .post(format!("{}/element", self.url))
                .json(&json!({ "using": "css selector", "value": css }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return Some(Element(id.to_owned()));
            }
            if started.elapsed() > wait {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.find_within(css, Duration::from_secs(10)).await {
            Some(e) => e,
            None => panic!("no element `{css}` on {}: {}", self.current_url().await, self.text("body").await),
        }
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let Some(e) = self.find_within(css, Duration::from_secs(2)).await else { return String::new() };
        self.call(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types into an element (which takes the focus).
    pub async fn type_into(&self, e: &Element, text: &str) {
        self.call(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({ "text": text }))).await;
    }

    pub async fn click(&self, e: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/click", e.0), Some(json!({}))).await;
    }

    /// Presses keys on whatever has the focus, one after another, as a
    /// person at the keyboard would. Special keys use WebDriver's code
    /// points (`\u{E007}` is Enter, `\u{E004}` is Tab).
    pub async fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for k in keys.chars() {
            actions.push(json!({ "type": "keyDown", "value": k.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": k.to_string() }));
        }
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Presses `key` while holding `modifier` (`\u{E009}` is Control).
    pub async fn chord(&self, modifier: &str, key: &str) {
        let actions = json!([
            { "type": "keyDown", "value": modifier },
            { "type": "keyDown", "value": key },
            { "type": "keyUp", "value": key },
            { "type": "keyUp", "value": modifier }
        ]);
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Forgets a cookie, as a browser does when it expires.
    pub async fn delete_cookie(&self, name: &str) {
        self.call(reqwest::Method::DELETE, &format!("/cookie/{name}"), None).await;
    }

    /// Runs a script in the page and returns its value (for reading state).
    pub async fn eval(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Waits until `script` returns true.
    pub async fn wait_for(&self, what: &str, script: &str, wait: Duration) {
        let started = Instant::now();
        while self.eval(script).await != Value::Bool(true) {
            if started.elapsed() > wait {
                panic!("timed out waiting for {what} on {}: {}", self.current_url().await, self.text("main").await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the window.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.delete(&self.url).send().await;
    }
}
