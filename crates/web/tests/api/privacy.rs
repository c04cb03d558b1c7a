//! Privacy: a person's export, and erasure that leaves nothing of them in the
//! API, the export, the search index or the bytes of the database and WAL.

use serde_json::{Value, json};

use crate::helpers::{message, problem, spawn_app};

const MARKER: &str = "zqxmarker7741";

fn contains_marker(bytes: &[u8]) -> bool {
    let lower: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
    lower.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

#[tokio::test]
async fn erasure_leaves_no_trace_and_export_has_everything_before() {
    let app = spawn_app().await;
    let c: Value = app
        .client
        .post(format!("{}/api/v1/customers", app.url))
        .json(&json!({ "external_ref": "C-9", "name": format!("Ann {MARKER}"), "emails": ["ann@example.com"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let customer = c["id"].as_i64().unwrap();
    app.client
        .post(format!("{}/api/v1/customers/{customer}/events", app.url))
        .json(&json!({ "kind": "order_placed", "occurred_at": "2026-11-01T10:00:00Z", "reference": "NW-7700001" }))
        .send()
        .await
        .unwrap();
    // Her tweet names the order, so it is tied to her record; her handle
    // and her words carry the marker.
    let mut tweet = message("t1", &format!("order NW-7700001 never came, {MARKER} is not happy"));
    tweet["author"] = json!({ "id": "555", "handle": format!("{MARKER}_ann"), "name": format!("Ann {MARKER}") });
    let other = message("t2", "a different person entirely, order ORD-1 is fine");
    assert_eq!(app.post_messages(json!([tweet, other]).to_string()).await.status(), 200);
    let person: Value = app.get(&format!("/api/v1/customers/{customer}")).await.json().await.unwrap();
    let case = person["open_cases"][0]["id"].as_i64().unwrap();
    app.client
        .post(format!("{}/api/v1/cases/{case}/notes", app.url))
        .json(&json!({ "text": format!("called {MARKER} back") }))
        .send()
        .await
        .unwrap();
    app.client
        .post(format!("{}/api/v1/customers/{customer}/consents", app.url))
        .json(&json!({ "purpose": "marketing", "granted": true, "wording_version": "2026-01", "method": "web_form" }))
        .send()
        .await
        .unwrap();

    let export: Value = app.get(&format!("/api/v1/customers/{customer}/export")).await.json().await.unwrap();
    assert!(export["$schema"].as_str().unwrap().contains("customer-export/v1"));
    assert_eq!(export["messages"].as_array().unwrap().len(), 1);
    assert_eq!(export["identities"].as_array().unwrap().len(), 1);
    assert_eq!(export["cases"][0]["notes"].as_array().unwrap().len(), 1);
    assert_eq!(export["consents"].as_array().unwrap().len(), 1);
    assert_eq!(export["account_events"].as_array().unwrap().len(), 1);
    assert!(contains_marker(export.to_string().as_bytes()));
    let schema: Value = app.get("/api/v1/schemas/customer-export.json").await.json().await.unwrap();
    assert_eq!(schema["$id"], export["$schema"]);
    for key in schema["required"].as_array().unwrap() {
        assert!(export.get(key.as_str().unwrap()).is_some(), "the export lacks {key}");
    }

    let on_disk = |app: &crate::helpers::TestApp| {
        ["firebreak.db", "firebreak.db-wal"]
            .iter()
            .any(|f| std::fs::read(app.dir.path().join(f)).is_ok_and(|b| contains_marker(&b)))
    };
    assert!(on_disk(&app), "before erasure her data is in the files (so the check after means something)");

    let wrong = app
        .client
        .post(format!("{}/api/v1/customers/{customer}/erase", app.url))
        .json(&json!({ "confirm": "yes", "reason": "she asked" }))
        .send()
        .await
        .unwrap();
    let p = problem(wrong, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "confirm");

    let erased: Value = app
        .client
        .post(format!("{}/api/v1/customers/{customer}/erase", app.url))
        .json(&json!({ "confirm": customer.to_string(), "reason": "she asked (Art. 17)", "by": "dpo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(erased["messages_deleted"], 1);

    problem(app.get(&format!("/api/v1/customers/{customer}")).await, 404, "not_found").await;
    problem(app.get(&format!("/api/v1/customers/{customer}/export")).await, 404, "not_found").await;
    let search: Value = app.get(&format!("/api/v1/search?q={MARKER}")).await.json().await.unwrap();
    assert!(search["items"].as_array().unwrap().is_empty(), "the search index forgot her");
    for path in [
        "/api/v1/messages?limit=1000",
        &format!("/api/v1/cases/{case}"),
        "/api/v1/cases?status=new,open,pending,resolved,closed",
    ] {
        let text = app.get(path).await.text().await.unwrap();
        assert!(!contains_marker(text.as_bytes()), "{path} still shows her: {text}");
    }
    let anonymised: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    assert_eq!(anonymised["subject"], "[erased]", "the case stays for reporting, anonymised");
    let other_left: Value = app.get("/api/v1/search?q=different").await.json().await.unwrap();
    assert_eq!(other_left["items"].as_array().unwrap().len(), 1, "nobody else was touched");

    // An event for an erased customer is refused.
    let late = app
        .client
        .post(format!("{}/api/v1/customers/{customer}/events", app.url))
        .json(&json!({ "kind": "bill_issued", "occurred_at": "2026-11-02T10:00:00Z" }))
        .send()
        .await
        .unwrap();
    problem(late, 422, "validation_failed").await;

    for file in ["firebreak.db", "firebreak.db-wal"] {
        let path = app.dir.path().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(!contains_marker(&bytes), "{file} still holds her data ({} bytes)", bytes.len());
        }
    }
}
