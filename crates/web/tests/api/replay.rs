//! Replaying the Customer Support on Twitter sample through the API rebuilds
//! its conversations, and Firebreak's first-response report agrees with an
//! independent script reading the CSV.

use std::{collections::BTreeMap, path::Path};

use firebreak_channels::{normalised, twcs};
use firebreak_store::Store;
use serde_json::Value;

use crate::helpers::spawn_app;

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent (the shared data sets sit beside the repo)", p.display());
        None
    }
}

#[tokio::test]
async fn twcs_replay_rebuilds_conversations_and_first_response_times() {
    let Some(file) = shared("twcs/twcs-head.csv") else { return };
    let app = spawn_app().await;
    let messages: Vec<Value> =
        twcs::read(std::fs::File::open(&file).unwrap()).map(|m| normalised::to_json(&m.unwrap())).collect();
    for chunk in messages.chunks(700) {
        let resp = app.post_messages(serde_json::to_vec(chunk).unwrap()).await;
        assert_eq!(resp.status(), 200);
    }

    // Every reply link that resolves inside the file is in its parent's conversation.
    let mut by_external: BTreeMap<String, (Option<String>, i64)> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/messages?limit=1000&cursor={c}"),
            None => "/api/v1/messages?limit=1000".to_owned(),
        };
        let page: Value = app.get(&path).await.json().await.unwrap();
        for m in page["items"].as_array().unwrap() {
            by_external.insert(
                m["external_id"].as_str().unwrap().to_owned(),
                (m["in_reply_to"].as_str().map(str::to_owned), m["conversation_id"].as_i64().unwrap()),
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let (mut resolving, mut together) = (0, 0);
    for (reply_to, conversation) in by_external.values() {
        if let Some(parent) = reply_to.as_ref().and_then(|p| by_external.get(p)) {
            resolving += 1;
            together += usize::from(parent.1 == *conversation);
        }
    }
    eprintln!("reply links resolving inside the file: {resolving}, in the right conversation: {together}");
    assert_eq!((resolving, together), (3688, 3688));
    assert_eq!(app.store.integrity_check().await.unwrap(), "ok", "joining conversations keeps every key");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/twcs_first_response.py");
    let out = match std::process::Command::new("python3").arg(&script).arg(&file).output() {
        Ok(o) if o.status.success() => o,
        _ => {
            eprintln!("skipping the comparison: python3 cannot run {}", script.display());
            return;
        }
    };
    let expected: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    let report: Value = app.get("/api/v1/reports/first-response").await.json().await.unwrap();
    let got: BTreeMap<String, Value> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let v = serde_json::json!({ "conversations": i["conversations"], "median_seconds": i["median_seconds"] });
            (i["brand"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "the same brands answered");
    for (brand, e) in &expected {
        let g = &got[brand];
        assert_eq!(g["conversations"], e["conversations"], "{brand}");
        let (gm, em) = (g["median_seconds"].as_f64().unwrap(), e["median_seconds"].as_f64().unwrap());
        assert!((gm - em).abs() < 1e-6, "{brand}: Firebreak {gm} s, the script {em} s");
    }
    eprintln!("first-response medians agree for {} brands", expected.len());
}
