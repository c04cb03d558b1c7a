//! The community's second part over HTTP: views of solved topics counted
//! and shown as the value of the community, and the forum joined to the
//! CRM (a member linked to their customer by their verified email, their
//! topics on the customer's staff page, a topic turned into a case).

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    community::{ask, board, join, reply},
    helpers::spawn_app,
};

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

#[tokio::test]
async fn views_of_a_solved_topic_are_counted_and_shown_as_contacts_deflected() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let bob = join(&app, "bob@example.com", "Bob").await;
    let solved = ask(&mut ann, "help", "The router blinks red", "Since this morning.").await;
    let answer = reply(&bob, solved, "Hold the reset button for ten seconds.").await;
    let open = ask(&mut ann, "help", "Nobody answers this", "Still waiting.").await;
    let resp =
        ann.api(Method::POST, &format!("/api/v1/community/topics/{solved}/solution"), json!({ "post": answer })).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    // Three readers of the solved topic, two of the unsolved one.
    for _ in 0..3 {
        let resp = app.anonymous.get(format!("{}/community/t/{solved}", app.url)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    for _ in 0..2 {
        let resp = app.anonymous.get(format!("{}/community/t/{open}", app.url)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }

    let report = get_json(&app.client, &format!("{}/api/v1/community/value", app.url)).await;
    assert_eq!(report["solution_views"], 3, "{report}");
    assert_eq!(report["solved_topics"], 1, "{report}");
    let rate = report["config"]["deflection_rate"].as_f64().unwrap();
    let cost = report["config"]["cost_per_contact_cents"].as_u64().unwrap();
    let deflected = report["contacts_deflected"].as_f64().unwrap();
    assert!((deflected - 3.0 * rate).abs() < 1e-9, "{report}");
    assert_eq!(report["saved_cents"].as_u64().unwrap(), (3.0 * rate * cost as f64).round() as u64);
    let top = &report["contributors"][0];
    assert_eq!(top["display_name"], "Bob", "{report}");
    assert_eq!(top["solutions"], 1);
    assert_eq!(top["solution_views"], 3);
    assert_eq!(top["people_helped"], 1);
    assert_eq!(report["daily_views"][0]["views"], 3, "{report}");

    let page = app.client.get(format!("{}/community/value", app.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"contributors\"") && page.contains(">Bob</a>"), "{page}");
    assert!(page.contains("data-views=\"3\""), "{page}");
    assert!(page.matches("<svg").count() >= 2, "a bar chart and a line chart: {page}");

    // A member is not staff: the report is not theirs to read.
    assert_eq!(ann.get_json("/api/v1/community/value").await.status(), 403);
}

#[tokio::test]
async fn a_members_topic_shows_on_their_customers_page_and_staff_turn_it_into_a_case() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let resp = app
        .client
        .post(format!("{}/api/v1/customers", app.url))
        .json(&json!({ "external_ref": "C-cara", "name": "Cara Example", "emails": ["cara@example.com"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let customer = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // Before anyone joins, the section says nobody is linked.
    let page = app.client.get(format!("{}/customers/{customer}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("In the community") && page.contains("No community member is linked"), "{page}");

    // Verifying the email links the member to the customer with it.
    let mut cara = join(&app, "Cara@Example.com", "Cara").await;
    let topic = ask(&mut cara, "help", "Was I billed twice?", "Two charges this month.").await;
    let page = app.client.get(format!("{}/customers/{customer}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"/community/t/{topic}\"")), "{page}");
    assert!(page.contains("Was I billed twice?"), "{page}");
    let cc = get_json(&app.client, &format!("{}/api/v1/customers/{customer}/community", app.url)).await;
    assert_eq!(cc["topics"][0]["topic"], topic, "{cc}");
    assert_eq!(cc["members"].as_array().unwrap().len(), 1);

    // Staff see the button on the topic and open a case; again is the same case.
    let page = app.client.get(format!("{}/community/t/{topic}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Open a case from this topic"), "{page}");
    let anon = app.anonymous.get(format!("{}/community/t/{topic}", app.url)).send().await.unwrap();
    assert!(!anon.text().await.unwrap().contains("Open a case from this topic"));
    let first = app.client.post(format!("{}/api/v1/community/topics/{topic}/case", app.url)).send().await.unwrap();
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());
    let first: Value = first.json().await.unwrap();
    let case = first["case_id"].as_i64().unwrap();
    let again: Value = app
        .client
        .post(format!("{}/api/v1/community/topics/{topic}/case", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["case_id"], case);
    // The case's side panel says what the customer asked in the forum.
    let page = app.client.get(format!("{}/cases/{case}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("In the community") && page.contains(&format!("href=\"/community/t/{topic}\"")), "{page}");
    let cases = get_json(&app.client, &format!("{}/api/v1/customers/{customer}", app.url)).await;
    assert!(cases.to_string().contains(&format!("\"id\":{case}")), "{cases}");
    // A member may not.
    let refused = cara.api(Method::POST, &format!("/api/v1/community/topics/{topic}/case"), json!({})).await;
    assert_eq!(refused.status(), 403);
    let refused = cara
        .api(Method::POST, &format!("/api/v1/cases/{case}/community-answer"), json!({ "topic": topic, "body": "x" }))
        .await;
    assert_eq!(refused.status(), 403);

    // The agent offers the case's answer to the forum from the case page.
    assert!(page.contains(&format!("action=\"/cases/{case}/community-answer\"")), "{page}");
    let body = json!({ "topic": topic, "body": "Yes: the second charge is refunded within **3 days**." });
    let resp =
        app.client.post(format!("{}/api/v1/cases/{case}/community-answer", app.url)).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let topic_page = get_json(&app.client, &format!("{}/api/v1/community/topics/{topic}", app.url)).await;
    assert_eq!(topic_page["posts"][1]["is_solution"], true, "{topic_page}");
    assert!(topic_page["posts"][1]["post"]["body_html"].as_str().unwrap().contains("<strong>3 days</strong>"));
    // Solved now: the form is gone from the case page.
    let page = app.client.get(format!("{}/cases/{case}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("community-answer"), "{page}");
}

async fn ledger_balances(app: &crate::helpers::TestApp) {
    let totals = get_json(&app.client, &format!("{}/api/v1/community/ledger", app.url)).await;
    assert_eq!(totals["sum"], 0, "{totals}");
    assert_eq!(totals["unbalanced_transactions"], 0, "{totals}");
}

#[tokio::test]
async fn a_charity_round_takes_one_vote_each_and_donations_and_closing_pays_the_pot() {
    let app = spawn_app().await;
    board(&app, "help", "public").await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let mut bob = join(&app, "bob@example.com", "Bob").await;
    // Bob earns points with an accepted solution.
    let t = ask(&mut ann, "help", "Which cable?", "The grey one or the white one?").await;
    let answer = reply(&bob, t, "The white one.").await;
    let resp =
        ann.api(Method::POST, &format!("/api/v1/community/topics/{t}/solution"), json!({ "post": answer })).await;
    assert_eq!(resp.status(), 200);
    let balance =
        bob.get_json("/api/v1/community/points").await.json::<Value>().await.unwrap()["balance"].as_i64().unwrap();
    assert!(balance >= 2, "Bob has points to give: {balance}");

    // Staff open a round (a member may not).
    let charities = json!([{ "slug": "red-cross", "name": "Red Cross" }, { "slug": "wwf", "name": "WWF" }]);
    let refused =
        ann.api(Method::POST, "/api/v1/community/rounds", json!({ "title": "Winter", "charities": charities })).await;
    assert_eq!(refused.status(), 403);
    let resp = app
        .client
        .post(format!("{}/api/v1/community/rounds", app.url))
        .json(&json!({ "title": "Winter round", "charities": charities }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let round = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // Ann votes through the page, once; a second vote is refused.
    let resp = ann.form(&format!("/community/rounds/{round}/vote"), &[("charity", "wwf")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let again = ann
        .api(Method::POST, &format!("/api/v1/community/rounds/{round}/votes"), json!({ "charity": "red-cross" }))
        .await;
    assert_eq!(again.status(), 409, "{}", again.text().await.unwrap());
    let resp = ann.form(&format!("/community/rounds/{round}/vote"), &[("charity", "red-cross")]).await;
    assert_eq!(resp.status(), 409);

    // Bob donates through the API; the same request id again moves nothing.
    let give = balance / 2;
    for _ in 0..2 {
        let resp = bob
            .api(
                Method::POST,
                &format!("/api/v1/community/rounds/{round}/donations"),
                json!({ "request_id": "bob-gift-1", "amount": give }),
            )
            .await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }
    // And through the page, with the request id drawn on it.
    let page = bob.b.get("/community/rounds").await.text().await.unwrap();
    assert!(page.contains("Winter round") && page.contains(&format!("data-pot=\"{give}\"")), "{page}");
    let request_id = crate::helpers::hidden(&page, "request_id");
    let resp =
        bob.form(&format!("/community/rounds/{round}/donate"), &[("request_id", &request_id), ("amount", "1")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let r = get_json(&app.anonymous, &format!("{}/api/v1/community/rounds/{round}", app.url)).await;
    assert_eq!(r["pot"], give + 1, "{r}");
    let left =
        bob.get_json("/api/v1/community/points").await.json::<Value>().await.unwrap()["balance"].as_i64().unwrap();
    assert_eq!(left, balance - give - 1);
    ledger_balances(&app).await;

    // Closing pays the pot to the charity with the most votes, once.
    let closed: Value = app
        .client
        .post(format!("{}/api/v1/community/rounds/{round}/close", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["winner"], "wwf");
    assert_eq!(closed["paid"], give + 1);
    assert_eq!(closed["pot"], 0);
    let resp = bob
        .api(
            Method::POST,
            &format!("/api/v1/community/rounds/{round}/donations"),
            json!({ "request_id": "bob-gift-2", "amount": 1 }),
        )
        .await;
    assert_eq!(resp.status(), 409, "a closed round takes nothing");
    let listed = get_json(&app.anonymous, &format!("{}/api/v1/community/rounds", app.url)).await;
    assert_eq!(listed["items"][0]["paid"], give + 1);
    ledger_balances(&app).await;
}

#[tokio::test]
async fn members_comment_on_ideas_and_staff_link_them_to_cases() {
    let app = spawn_app().await;
    let mut ann = join(&app, "ann@example.com", "Ann").await;
    let resp =
        ann.api(Method::POST, "/api/v1/community/ideas", json!({ "title": "Dark mode", "body": "Please." })).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let idea = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let resp = ann.form(&format!("/community/ideas/{idea}/comments"), &[("body", "Also for the *mobile* app.")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let staff = app
        .client
        .post(format!("{}/api/v1/community/ideas/{idea}/comments", app.url))
        .json(&json!({ "body": "We are looking at it." }))
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), 200, "{}", staff.text().await.unwrap());
    let comments = get_json(&app.anonymous, &format!("{}/api/v1/community/ideas/{idea}/comments", app.url)).await;
    let items = comments["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["author_name"], "Ann");
    assert!(items[0]["body_html"].as_str().unwrap().contains("<em>mobile</em>"));
    assert_eq!(items[1]["by_staff"], true);
    let page = app.anonymous.get(format!("{}/community/ideas/{idea}", app.url)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Also for the <em>mobile</em> app.") && page.contains("We are looking at it."), "{page}");
    assert!(!page.contains("id=\"idea-links\""), "links are for staff");

    // Staff link the idea to a case (a member may not).
    let resp = app.post_messages(json!([crate::helpers::message("dark-1", "Where is dark mode?")]).to_string()).await;
    assert_eq!(resp.status(), 200);
    let cases = get_json(&app.client, &format!("{}/api/v1/cases", app.url)).await;
    let case = cases["items"][0]["id"].as_i64().expect("a case from the message");
    let refused = ann
        .api(Method::POST, &format!("/api/v1/community/ideas/{idea}/links"), json!({ "kind": "case", "id": case }))
        .await;
    assert_eq!(refused.status(), 403);
    let resp = app
        .client
        .post(format!("{}/api/v1/community/ideas/{idea}/links", app.url))
        .json(&json!({ "kind": "case", "id": case }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let bad = app
        .client
        .post(format!("{}/api/v1/community/ideas/{idea}/links", app.url))
        .json(&json!({ "kind": "order", "id": case }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let links = get_json(&app.client, &format!("{}/api/v1/community/ideas/{idea}/links", app.url)).await;
    assert_eq!(links["items"], json!([{ "kind": "case", "id": case }]));
    let page =
        app.client.get(format!("{}/community/ideas/{idea}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"/cases/{case}\"")), "{page}");
}
