//! The `firebreak` binary, driven as a user would: import, export, serve,
//! configuration, and the summary and exit status of each.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

fn firebreak() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_firebreak"));
    c.env("FIREBREAK_LOG", "warn").env_remove("FIREBREAK_DATA").env_remove("FIREBREAK_CONFIG");
    c
}

fn run(args: &[&str], data: &Path) -> Output {
    firebreak().args(args).arg("--data").arg(data).output().expect("firebreak runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../channels/tests/fixtures").join(name)
}

/// `../shared/data/<rel>`, or `None` (and a message) when it is absent.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent (the shared data sets sit beside the repo)", p.display());
        None
    }
}

#[test]
fn airline_import_stores_distinct_ids_and_reimport_stores_none() {
    let Some(file) = shared("airline/Tweets.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = run(&["import", "--format", "airline", file.to_str().unwrap()], dir.path());
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).starts_with("read 14640, stored 14485, duplicates 155, rejected 0"), "{}", stdout(&first));
    let again = run(&["import", "--format", "airline", file.to_str().unwrap()], dir.path());
    assert!(again.status.success());
    assert!(stdout(&again).starts_with("read 14640, stored 0, duplicates 14640, rejected 0"), "{}", stdout(&again));
}

#[test]
fn twcs_import_keeps_reply_links_and_export_round_trips() {
    let Some(file) = shared("twcs/twcs-head.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "twcs", file.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("stored 5000"), "{}", stdout(&out));

    let export = dir.path().join("all.jsonl");
    let out = run(&["export", "--out", export.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().count(), 5000);
    let linked = text.lines().filter(|l| l.contains("\"in_reply_to\":\"")).count();
    assert_eq!(linked, 3694, "every reply link in the file is kept");

    let other = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "jsonl", export.to_str().unwrap()], other.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("read 5000, stored 5000"), "{}", stdout(&out));
    let again = dir.path().join("again.jsonl");
    run(&["export", "--out", again.to_str().unwrap()], other.path());
    // Ties in time may come out in another order; the set of lines is the same.
    let sorted = |t: &str| {
        let mut v: Vec<String> = t.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    let (a, b) = (sorted(&text), sorted(&std::fs::read_to_string(again).unwrap()));
    assert!(a == b, "export → import → export changed {} lines", a.iter().zip(&b).filter(|(x, y)| x != y).count());
}

#[test]
fn rejected_rows_are_named_and_make_the_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"channel":"x","external_id":"1","author":{"id":"a"},"text":"fine","created_at":"2026-11-20T07:42:00Z"}"#,
            "\n",
            r#"{"channel":"myspace","external_id":"2","author":{"id":"a"},"text":"bad","created_at":"2026-11-20T07:42:00Z"}"#,
            "\n\nnot json\n",
        ),
    )
    .unwrap();
    let out = run(&["import", "--format", "jsonl", file.to_str().unwrap()], dir.path().join("data").as_path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("read 3, stored 1, duplicates 0, rejected 2"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("line 2") && err.contains("unknown_channel") || err.contains("myspace"), "{err}");
    assert!(err.contains("line 4"), "{err}");
}

#[test]
fn mbox_and_customers_import() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "mbox", fixture("mail.mbox").to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{} {}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("stored 0,"), "{}", stdout(&out));

    let csv = dir.path().join("customers.csv");
    std::fs::write(&csv, "external_id,name,emails,phones,postal_area\nC-1,Ann,ann@example.com,+44 20 7946 0958,sw1a 1aa\nC-2,Bob,not-an-email,,\n").unwrap();
    let out = run(&["import", "--format", "customers-csv", csv.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("read 2, stored 1, duplicates 0, rejected 1"), "{}", stdout(&out));
}

#[test]
fn missing_files_and_bad_configuration_are_one_sentence_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "airline", "/no/such/file.csv"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim(), "firebreak: /no/such/file.csv does not exist");

    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "lisen = \"0.0.0.0:1\"\n").unwrap();
    let out = firebreak().args(["serve", "--config", cfg.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not valid") && stderr(&out).contains("lisen"), "{}", stderr(&out));

    let out = run(&["serve", "--listen", "127.0.0.1:0", "--api-token", "short"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("at least 16 characters"), "{}", stderr(&out));
}

/// Serves `body` at `/feed.xml` on loopback with an ETag, answering 304 to a
/// request that carries it. Returns the URL and how many requests it served.
fn feed_server(body: &'static str) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_lowercase();
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let resp = if req.contains("if-none-match: \"v1\"") {
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nETag: \"v1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    (url, hits)
}

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Broadband Watch</title>
  <link href="https://watch.example/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-20T18:30:02Z</updated>
  <entry>
    <title>Northwind outage in Westminster</title>
    <link href="https://watch.example/2026/11/northwind-outage"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2026-11-20T18:30:02Z</updated>
    <author><name>Jo Writer</name></author>
    <summary type="html">&lt;p&gt;Customers in &lt;b&gt;SW1A&lt;/b&gt; report no broadband since 7am.&lt;/p&gt;</summary>
  </entry>
</feed>"#;

#[test]
fn feeds_import_from_a_url() {
    let (url, _) = feed_server(ATOM);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "feed", &url], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("read 1, stored 1"), "{}", stdout(&out));
    let export = run(&["export"], dir.path());
    let line = stdout(&export);
    assert!(line.contains("\"channel\":\"blog\"") && line.contains("no broadband since 7am"), "{line}");
    assert!(!line.contains("<b>"), "HTML is turned into text: {line}");
}

/// A token from the configuration: enough to read and send messages in.
const SERVER_TOKEN: &str = "cli-test-token-0123456789";

struct Server {
    child: Child,
    url: String,
    /// What the server printed after its first line (the demo logins).
    banner: Vec<String>,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = firebreak()
            .args(["serve", "--listen", "127.0.0.1:0", "--api-token", SERVER_TOKEN, "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line}")).to_owned();
        let mut banner = Vec::new();
        if extra.contains(&"--demo") {
            // One line per demo account, then where to sign in.
            loop {
                let mut l = String::new();
                if out.read_line(&mut l).unwrap() == 0 {
                    break;
                }
                let done = l.starts_with("open ");
                banner.push(l.trim().to_owned());
                if done {
                    break;
                }
            }
        }
        Server { child, url, banner }
    }

    fn get(&self, path: &str) -> String {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SERVER_TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

#[test]
fn serve_demo_polls_feeds_and_stops_cleanly_on_sigterm() {
    let (url, hits) = feed_server(ATOM);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("firebreak.toml");
    std::fs::write(&cfg, format!("[[feeds]]\nurl = \"{url}\"\ninterval_secs = 10\n")).unwrap();
    let server = Server::start(&dir.path().join("data"), &["--demo", "--config", cfg.to_str().unwrap()]);
    assert!(server.get("/healthz").contains("\"status\":\"ok\""));
    let home = server.get("/messages");
    assert!(home.contains("Northwind"), "the demo data is on the messages page");
    assert!(
        server.banner.iter().any(|l| l == "demo login (agent): agent@demo.firebreak.example / firebreak-demo"),
        "serve --demo prints a demo login: {:?}",
        server.banner
    );
    let mut found = false;
    for _ in 0..50 {
        if server.get("/api/v1/messages?channel=blog").contains("Broadband Watch")
            || server.get("/api/v1/search?q=westminster").contains("watch.example")
        {
            found = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(found, "the poller stored the feed's entry");
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let status = server.stop();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");

    // The demo load is idempotent, and the data survived the stop.
    let server = Server::start(&dir.path().join("data"), &["--demo"]);
    let page = server.get("/api/v1/messages?channel=email&limit=100");
    assert_eq!(page.matches("\"external_id\"").count(), 3, "{page}");
    assert!(server.stop().success());
}

#[test]
fn import_works_while_serve_runs_on_the_same_directory() {
    let Some(file) = shared("twcs/twcs-head.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let out = run(&["import", "--format", "twcs", file.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(server.get("/healthz").contains("\"messages\":5000"));
    assert!(server.stop().success());
}

#[test]
fn x_api_v2_responses_and_stream_lines_import() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--format", "x-v2", fixture("x_v2_search.json").to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("stored 0,"), "{}", stdout(&out));

    let line = std::fs::read_to_string(fixture("x_v2_stream_line.json")).unwrap().replace('\n', " ");
    let lines = dir.path().join("stream.jsonl");
    std::fs::write(&lines, format!("{line}\n{{\"data\": 12}}\n")).unwrap();
    let out = run(&["import", "--format", "x-v2", lines.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1), "the bad second line is rejected");
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn customers_with_references_and_their_events_import() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("customers.csv");
    std::fs::write(&csv, "external_id,name,emails,accounts,handles\nC-1,Ann Lee,ann@example.com,88123344,x:@ann_lee\n")
        .unwrap();
    let out = run(&["import", "--format", "customers-csv", csv.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"customer":"C-1","kind":"order_late","occurred_at":"2026-11-20T10:00:00Z","reference":"ORD-5","external_id":"e1"}"#,
            "\n",
            r#"{"customer":"C-1","kind":"order_late","occurred_at":"2026-11-20T10:00:00Z","reference":"ORD-5","external_id":"e1"}"#,
            "\n",
            r#"{"customer":"C-404","kind":"bill_issued","occurred_at":"2026-11-20T10:00:00Z"}"#,
            "\n",
            r#"{"customer":"C-1","kind":"bill_issued","occurred_at":"yesterday"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = run(&["import", "--format", "events-jsonl", events.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("read 4, stored 2, duplicates 0, rejected 2"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("unknown_customer") && stderr(&out).contains("invalid_timestamp"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_add_makes_the_first_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let add = |email: &str, password: &str| {
        firebreak()
            .args(["user", "add", "--role", "admin", "--name", "Ada Admin", email, "--data"])
            .arg(dir.path())
            .env("FIREBREAK_PASSWORD", password)
            .output()
            .unwrap()
    };
    let out = add("ada@example.com", "a long enough password");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("added ada@example.com"), "{}", stdout(&out));

    let again = add("ADA@example.com", "another long password");
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already has an account"), "{}", stderr(&again));
    let short = add("bob@example.com", "short");
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 10 characters"), "{}", stderr(&short));

    let list = run(&["user", "list"], dir.path());
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("ada@example.com\tadmin\tAda Admin\tactive"), "{text}");
}
