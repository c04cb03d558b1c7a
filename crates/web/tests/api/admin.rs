//! What a team configures: SLA policies, teams, agents and assignment, canned
//! responses.

use serde_json::{Value, json};

use crate::helpers::{TestApp, message, problem, spawn_app};

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
    app.client.request(method, format!("{}{path}", app.url)).json(&body).send().await.unwrap()
}

async fn ok(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn sla_policies_are_checked_field_by_field_and_used_for_new_cases() {
    let app = spawn_app().await;
    let list = ok(app.client.get(format!("{}/api/v1/sla-policies", app.url)).send().await.unwrap()).await;
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["urgent", "social", "standard"], "the defaults, in order");

    let bad = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/sla-policies/vip",
        json!({
            "first_response": { "minutes": -10 },
            "resolution": { "minutes": 0, "business_hours": true },
            "calendar": { "name": "x", "time_zone": "Mars/Olympus", "hours": ["mon-fri 09:00-17:00"] }
        }),
    )
    .await;
    let p = problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["first_response.minutes", "resolution.minutes", "calendar"]);
    let typo =
        send(&app, reqwest::Method::PUT, "/api/v1/sla-policies/vip", json!({ "first_reponse": { "minutes": 5 } }))
            .await;
    problem(typo, 422, "validation_failed").await;
    let after = ok(app.client.get(format!("{}/api/v1/sla-policies", app.url)).send().await.unwrap()).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 3, "nothing changed");

    // A policy for x first in line: new x cases get it.
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/sla-policies/x-fast",
        json!({
            "channels": ["x"], "first_response": { "minutes": 15 }, "position": -1
        }),
    )
    .await)
    .await;
    app.post_messages(json!([message("1", "@brand help please")]).to_string()).await;
    let case = &ok(app.client.get(format!("{}/api/v1/cases", app.url)).send().await.unwrap()).await["items"][0];
    assert_eq!(case["sla_policy"], "x-fast");
    assert_eq!(case["clocks"][0]["due_at"], "2026-11-20T07:57:00.000Z", "15 minutes from the post");
}

#[tokio::test]
async fn cases_are_assigned_by_round_robin_and_by_skills_and_load() {
    let app = spawn_app().await;
    let team = ok(send(&app, reqwest::Method::POST, "/api/v1/teams", json!({ "name": "Social" })).await).await["id"]
        .as_i64()
        .unwrap();
    let a = ok(send(
        &app,
        reqwest::Method::POST,
        "/api/v1/agents",
        json!({ "name": "Aisha", "email": "aisha@northwind.example", "team_id": team, "skills": ["x", "en"] }),
    )
    .await)
    .await;
    let b = ok(send(
        &app,
        reqwest::Method::POST,
        "/api/v1/agents",
        json!({ "name": "Ben", "email": "ben@northwind.example", "team_id": team, "skills": ["email"] }),
    )
    .await)
    .await;
    let batch: Vec<Value> = (0..3)
        .map(|i| {
            let mut m = message(&i.to_string(), "@brand my order is late, please help");
            m["author"]["id"] = json!(format!("user-{i}"));
            m
        })
        .collect();
    app.post_messages(json!(batch).to_string()).await;
    let cases = ok(app.client.get(format!("{}/api/v1/cases", app.url)).send().await.unwrap()).await;
    let ids: Vec<i64> = cases["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3);

    let mut chosen = Vec::new();
    for id in &ids[..2] {
        let agent = ok(send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{id}/assign"),
            json!({ "strategy": "round_robin", "team_id": team }),
        )
        .await)
        .await;
        chosen.push(agent["id"].as_i64().unwrap());
    }
    assert_eq!(chosen, [a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap()], "in turn");

    let agent = ok(send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{}/assign", ids[2]),
        json!({ "strategy": "skills" }),
    )
    .await)
    .await;
    assert_eq!(agent["name"], "Aisha", "only Aisha handles x");
    assert_eq!(agent["open_cases"], 2);

    ok(send(&app, reqwest::Method::PATCH, &format!("/api/v1/cases/{}", ids[2]), json!({ "add_tags": ["legal"] }))
        .await)
    .await;
    let nobody =
        send(&app, reqwest::Method::POST, &format!("/api/v1/cases/{}/assign", ids[2]), json!({ "strategy": "skills" }))
            .await;
    let p = problem(nobody, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "nobody_available", "nobody handles legal");
}

#[tokio::test]
async fn canned_responses_fill_in_their_variables() {
    let app = spawn_app().await;
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/canned/apology",
        json!({ "body": "Hi {{customer.first_name}}, sorry about case {{case.id}}. {{agent.name}}" }),
    )
    .await)
    .await;
    let bad =
        send(&app, reqwest::Method::PUT, "/api/v1/canned/bad", json!({ "body": "Hi {{customer.shoe_size}}" })).await;
    let p = problem(bad, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "unknown_variable");

    let mut m = message("1", "@brand broken again");
    m["author"]["name"] = json!("Maria Lopez");
    app.post_messages(json!([m]).to_string()).await;
    let id = ok(app.client.get(format!("{}/api/v1/cases", app.url)).send().await.unwrap()).await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let text = ok(app.client.get(format!("{}/api/v1/cases/{id}/canned/apology", app.url)).send().await.unwrap()).await;
    assert_eq!(text["text"], format!("Hi Maria, sorry about case {id}. the care team"));
}
