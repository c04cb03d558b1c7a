//! `firebreak triage`, `eval`, `train` and `retriage`, driven as a user would.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

fn firebreak() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_firebreak"));
    c.env("FIREBREAK_LOG", "warn").env_remove("FIREBREAK_DATA").env_remove("FIREBREAK_CONFIG");
    c
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent (the shared data sets sit beside the repo)", p.display());
        None
    }
}

fn triage(args: &[&str], input: &str) -> (i32, String) {
    let mut child = firebreak().arg("triage").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_acceptance_tweet_is_negative_complaint_urgent_with_the_flight_and_the_words() {
    let (code, out) =
        triage(&[], "@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail\n");
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["sentiment"], "negative");
    assert!(j["sentiment_score"].as_f64().unwrap() < -0.5);
    assert_eq!(j["intent"], "complaint");
    assert_eq!(j["complaint"], true);
    assert_eq!(j["urgent"], true);
    let reasons: Vec<&str> =
        j["urgent_reasons"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"churn") && reasons.contains(&"shaming"), "{reasons:?}");
    assert!(
        j["entities"].as_array().unwrap().iter().any(|e| e["kind"] == "flight_number" && e["text"] == "AA1234"),
        "{j}"
    );
    let words: Vec<&str> = j["reasons"].as_array().unwrap().iter().map(|r| r["feature"].as_str().unwrap()).collect();
    assert!(
        words.iter().any(|w| ["#fail", "cancelled", "cancelling", "hold", "hours", "AGAIN"].contains(w)),
        "{words:?}"
    );
    for field in ["language", "spam"] {
        assert!(j.get(field).is_some(), "{field} is missing");
    }
}

#[test]
fn jsonl_passes_other_fields_through_and_bad_lines_become_errors_in_place() {
    let input = "{\"id\": 7, \"text\": \"where is my order?\", \"channel\": \"email\"}\nnot json\n{\"text\": \"\"}\n";
    let (code, out) = triage(&["--format", "jsonl"], input);
    assert_eq!(code, 1, "a bad line makes the exit non-zero");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "one answer per line, in order");
    assert_eq!(lines[0]["id"], 7);
    assert_eq!(lines[0]["intent"], "question");
    assert_eq!(lines[1]["error"]["line"], 2);
    assert!(lines[2]["sentiment"].is_string(), "empty text still gets a judgement");
}

#[test]
fn eval_prints_the_figures_on_the_test_split() {
    let Some(file) = shared("airline/Tweets.csv") else { return };
    let out = firebreak().args(["eval", "--format", "airline"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["macro-F1", "accuracy", "negative", "neutral", "positive", "messages/s", "lexicon"] {
        assert!(text.contains(needle), "`{needle}` is missing from:\n{text}");
    }
    let f1: f64 = text
        .lines()
        .find(|l| l.contains("macro-F1"))
        .and_then(|l| {
            l.split_whitespace()
                .filter_map(|w| w.trim_matches(|c: char| !c.is_ascii_digit() && c != '.').parse().ok())
                .find(|v: &f64| *v > 0.0 && *v < 1.0)
        })
        .unwrap();
    assert!(f1 >= 0.78, "macro-F1 {f1} is under the target");
}

#[test]
fn train_reproduces_the_built_in_model() {
    let Some(airline) = shared("airline/Tweets.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("model.fbm");
    let out = firebreak().arg("train").arg("--out").arg(&out_path).arg("--airline").arg(&airline).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("identical to the built-in model"));
    // The file is usable as --model.
    let mut child = firebreak()
        .args(["triage", "--model"])
        .arg(&out_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"terrible service\n").unwrap();
    let judged = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&judged.stdout).contains("\"negative\""));
    let bad = firebreak().args(["triage", "--model"]).arg(&airline).stdin(Stdio::null()).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a Firebreak triage model"));
}

#[test]
fn retriage_rejudges_every_stored_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"channel\":\"x\",\"external_id\":\"1\",\"author\":{\"id\":\"a\"},\"text\":\"awful, I want a refund #fail\",\"created_at\":\"2026-11-20T07:42:00Z\"}\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = firebreak().args(["import", "--format", "jsonl"]).arg(&file).arg("--data").arg(&data).output().unwrap();
    assert!(out.status.success());
    let out = firebreak().arg("retriage").arg("--data").arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("re-triaged 1 messages"));
}
