//! Identity resolution from suggestive evidence: a suggestion with a score and
//! the evidence, for an agent to confirm (merging) or reject; and undoing a
//! merge.

use serde_json::{Value, json};

use crate::helpers::{TestApp, message, problem, spawn_app};

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let resp = app.client.post(format!("{}{path}", app.url)).json(&body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_similar_handle_and_name_are_proposed_confirmed_merged_and_undone() {
    let app = spawn_app().await;
    let tom = post(
        &app,
        "/api/v1/customers",
        json!({ "external_ref": "C-2", "name": "Tom Becker", "emails": ["tom.becker@example.com"] }),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mut m = message("1", "@brand is broadband down in Westminster?");
    m["author"] = json!({ "id": "4002", "handle": "tom_becker", "name": "Tom Becker" });
    app.post_messages(json!([m]).to_string()).await;

    let person: Value = app.get(&format!("/api/v1/customers/{tom}")).await.json().await.unwrap();
    let proposals = person["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1, "{person}");
    let p = &proposals[0];
    assert!(p["score"].as_f64().unwrap() > 0.9, "name and handle together: {p}");
    let evidence = p["evidence"].to_string();
    assert!(evidence.contains("same name") && evidence.contains("tom.becker@example.com"), "{evidence}");
    assert!(person["identities"].as_array().unwrap().is_empty(), "only a suggestion until an agent decides");

    let id = p["id"].as_i64().unwrap();
    post(&app, &format!("/api/v1/proposals/{id}/confirm"), json!({ "by": "Aisha" })).await;
    let person: Value = app.get(&format!("/api/v1/customers/{tom}")).await.json().await.unwrap();
    assert_eq!(person["identities"][0]["handle"], "tom_becker");
    assert_eq!(person["open_cases"].as_array().unwrap().len(), 1, "the case moved with the person");
    let again =
        app.client.post(format!("{}/api/v1/proposals/{id}/reject", app.url)).json(&json!({})).send().await.unwrap();
    problem(again, 422, "validation_failed").await;

    // The merge can be undone; the audit log says who and why.
    let export: Value = app.get(&format!("/api/v1/customers/{tom}/export")).await.json().await.unwrap();
    let audit = export["audit"].as_array().unwrap();
    let merged = audit.iter().find(|a| a["action"] == "customers_merged").expect("the merge is audited");
    assert_eq!(merged["actor"], "Aisha");
    assert!(merged["reason"].as_str().unwrap().contains("confirmed by Aisha"));
    let merge_id = merged["details"]["merge_id"].as_i64().unwrap();
    post(&app, &format!("/api/v1/merges/{merge_id}/undo"), json!({ "reason": "not him after all", "by": "Aisha" }))
        .await;
    let person: Value = app.get(&format!("/api/v1/customers/{tom}")).await.json().await.unwrap();
    assert!(person["identities"].as_array().unwrap().is_empty());
    assert!(person["open_cases"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_suggestion_changes_nothing() {
    let app = spawn_app().await;
    let ann = post(&app, "/api/v1/customers", json!({ "name": "Ann Smith", "emails": ["ann.smith@example.com"] }))
        .await["id"]
        .as_i64()
        .unwrap();
    let mut m = message("1", "@brand hello");
    m["author"] = json!({ "id": "77", "handle": "someone", "name": "Ann Smith" });
    app.post_messages(json!([m]).to_string()).await;
    let person: Value = app.get(&format!("/api/v1/customers/{ann}")).await.json().await.unwrap();
    let p = &person["proposals"][0];
    assert_eq!(p["score"], 0.5, "a name alone is a weak hint");
    post(&app, &format!("/api/v1/proposals/{}/reject", p["id"]), json!({ "by": "Ben" })).await;
    let person: Value = app.get(&format!("/api/v1/customers/{ann}")).await.json().await.unwrap();
    assert!(person["proposals"].as_array().unwrap().is_empty());
    assert!(person["identities"].as_array().unwrap().is_empty());
}
