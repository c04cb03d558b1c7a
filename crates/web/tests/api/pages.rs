//! The agent's workspace pages over HTTP with a browser's session: each page
//! renders for the roles that may see it, what people wrote is escaped, and
//! the forms (bulk actions, reply, notes, promises, assignment, matches,
//! merges, erasure, passwords, tokens, staff) do what they say and refuse
//! what they must.

use firebreak_domain::{CaseId, CustomerId, staff::Role};
use firebreak_store::{CaseQuery, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, PASSWORD, TestApp, hidden, spawn_app};

/// A signed-in browser and the CSRF token its forms carry.
struct Session {
    b: Browser,
    csrf: String,
    origin: String,
}

impl Session {
    async fn new(app: &TestApp, role: Role) -> Session {
        let email = format!("{}-{}@pages.test", role.as_str(), app.store.staff_accounts().await.unwrap().len());
        app.engine.add_staff(&email, &format!("{} person", role.as_str()), role, None, PASSWORD).await.unwrap();
        Session::sign_in(app, &email, PASSWORD).await
    }

    async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
        let mut b = Browser::new(app);
        assert_eq!(b.login(email, password).await.status(), 303);
        let page = b.get("/account").await.text().await.unwrap();
        let csrf = hidden(&page, "_csrf");
        Session { b, csrf, origin: app.url.clone() }
    }

    async fn page(&mut self, path: &str) -> (StatusCode, String) {
        let resp = self.b.get(path).await;
        (resp.status(), resp.text().await.unwrap())
    }

    /// Posts a form with the CSRF token; answers the status and the
    /// redirect's target or the page.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &self.csrf)];
        fields.extend_from_slice(form);
        let origin = self.origin.clone();
        let resp = self.b.post_form(path, &fields, Some(&origin)).await;
        let status = resp.status();
        match resp.headers().get("location") {
            Some(l) => (status, l.to_str().unwrap().to_owned()),
            None => (status, resp.text().await.unwrap()),
        }
    }
}

/// Posts one message from an author of its own; returns the case it opened.
async fn case_from(app: &TestApp, id: &str, author: &str, name: &str, text: &str) -> CaseId {
    let ids = || async {
        let all = app.store.cases(CaseQuery { limit: 500, ..Default::default() }).await.unwrap().items;
        all.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    let before = ids().await;
    let m = json!({
        "channel": "x",
        "external_id": id,
        "author": { "id": author, "handle": format!("h{author}"), "name": name },
        "text": text,
        "created_at": "2026-11-20T07:42:00Z"
    });
    let resp = app.post_messages(json!([m]).to_string()).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let opened: Vec<CaseId> = ids().await.into_iter().filter(|c| !before.contains(c)).collect();
    assert_eq!(opened.len(), 1, "one new case");
    opened[0]
}

async fn customer(app: &TestApp, body: Value) -> i64 {
    let resp = app.client.post(format!("{}/api/v1/customers", app.url)).json(&body).send().await.unwrap();
    assert!(resp.status().is_success());
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn every_page_renders_for_the_roles_that_may_see_it() {
    let app = spawn_app().await;
    let case = case_from(&app, "1", "100", "Ann Example", "My bag is lost, please help").await;
    let person = app.store.case(case).await.unwrap().unwrap().case.customer_id.0;
    for role in [Role::Analyst, Role::Agent, Role::Supervisor, Role::Admin] {
        let mut s = Session::new(&app, role).await;
        let work = role >= Role::Agent;
        for path in [
            "/inbox".to_owned(),
            "/inbox?queue=mine".to_owned(),
            "/inbox?queue=team&channel=x&sentiment=negative&page=2".to_owned(),
            "/inbox?queue=breaching".to_owned(),
            format!("/cases/{}", case.0),
            "/customers".to_owned(),
            "/customers?q=ann".to_owned(),
            format!("/customers/{person}"),
            "/supervisor".to_owned(),
            "/account".to_owned(),
        ] {
            let (status, html) = s.page(&path).await;
            assert_eq!(status, 200, "{path} as {role}: {html}");
            assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
            assert!(!html.contains("style="), "no inline styles on {path}");
        }
        let (_, inbox) = s.page("/inbox").await;
        assert!(inbox.contains("data-row") && inbox.contains("My bag is lost"), "{inbox}");
        assert!(inbox.contains("id=\"queue\"") && inbox.contains("data-live=\"queue queue-counts\""));
        assert_eq!(inbox.contains("action=\"/inbox/bulk\""), work, "bulk actions only for those who work cases");
        assert_eq!(inbox.contains("data-action=\"resolve\""), work);
        let (_, page) = s.page(&format!("/cases/{}", case.0)).await;
        assert!(page.contains("data-page=\"case\"") && page.contains("Service levels"));
        assert_eq!(page.contains("id=\"reply-text\""), work, "the reply box only for those who may reply");
        assert!(page.contains(&format!("data-draft=\"case-{}-reply\"", case.0)) == work);
        let (status, staff) = s.page("/admin/staff").await;
        assert_eq!(status == 200, role == Role::Admin, "{role}: {status} {staff}");
        let resp = s.b.get(&format!("/customers/{person}/export.json")).await;
        assert_eq!(resp.status() == 200, role == Role::Admin);
        if role == Role::Admin {
            assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
            let doc: Value = resp.json().await.unwrap();
            assert_eq!(doc["customer"]["id"], person);
        }
    }
    // A case that does not exist is a page that says so.
    let mut s = Session::new(&app, Role::Agent).await;
    assert_eq!(s.page("/cases/999999").await.0, 404);
    assert_eq!(s.page("/cases/nope").await.0, 404);
    assert_eq!(s.page("/customers/999999").await.0, 404);
}

#[tokio::test]
async fn what_people_wrote_is_escaped_on_the_inbox_case_and_customer_pages() {
    let app = spawn_app().await;
    let evil = "<script>alert(1)</script> my bill";
    let case = case_from(&app, "1", "200", "<script>alert('name')</script>", evil).await;
    let person = app.store.case(case).await.unwrap().unwrap().case.customer_id.0;
    let mut s = Session::new(&app, Role::Agent).await;
    let (status, _) = s.post(&format!("/cases/{}/notes", case.0), &[("text", "<script>alert('note')</script>")]).await;
    assert_eq!(status, 303);
    for path in ["/inbox".to_owned(), format!("/cases/{}", case.0), format!("/customers/{person}")] {
        let (status, html) = s.page(&path).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert"), "{path} lets a script through: {html}");
        assert!(html.contains("&lt;script&gt;alert"), "{path} shows the text, escaped");
    }
    let (_, html) = s.page(&format!("/cases/{}", case.0)).await;
    assert!(html.contains("&lt;script&gt;alert('note')") || html.contains("&lt;script&gt;alert(&#39;note&#39;)"));
    let (_, found) = s.page("/customers?q=%3Cscript").await;
    assert!(!found.contains("<script>alert") && found.contains("&lt;script&gt;"), "{found}");
}

#[tokio::test]
async fn an_analyst_cannot_post_a_note() {
    let app = spawn_app().await;
    let case = case_from(&app, "1", "300", "Ann", "Where is my refund?").await;
    let mut s = Session::new(&app, Role::Analyst).await;
    let (status, body) = s.post(&format!("/cases/{}/notes", case.0), &[("text", "hello")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(app.store.case(case).await.unwrap().unwrap().notes.is_empty());
}

#[tokio::test]
async fn bulk_actions_change_exactly_the_selected_cases() {
    let app = spawn_app().await;
    let a = case_from(&app, "1", "401", "A", "First problem with the router").await;
    let b = case_from(&app, "2", "402", "B", "Second problem with the bill").await;
    let c = case_from(&app, "3", "403", "C", "Third problem with the app").await;
    let mut s = Session::new(&app, Role::Agent).await;
    let me = app.store.staff_accounts().await.unwrap().into_iter().find(|x| x.role == Role::Agent).unwrap();

    let (status, to) = s
        .post(
            "/inbox/bulk",
            &[("back", "/inbox?queue=all"), ("action", "tag"), ("tag", "Billing"), ("case", &a.0.to_string())],
        )
        .await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/inbox?queue=all&done=tagged&n=1"));
    assert_eq!(app.store.case(a).await.unwrap().unwrap().case.tags, ["billing"]);

    let (_, to) = s
        .post("/inbox/bulk", &[("action", "assign-to-me"), ("case", &b.0.to_string()), ("case", &c.0.to_string())])
        .await;
    assert_eq!(to, "/inbox?done=assigned&n=2");
    let (_, mine) = s.page("/inbox?queue=mine").await;
    assert!(mine.contains(&format!("data-id=\"{}\"", b.0)) && !mine.contains(&format!("data-id=\"{}\"", a.0)));
    assert_eq!(app.store.case(c).await.unwrap().unwrap().case.agent_id, Some(me.id));

    let (_, to) = s
        .post(
            "/inbox/bulk",
            &[
                ("back", "/inbox?queue=mine"),
                ("action", "resolve"),
                ("case", &a.0.to_string()),
                ("case", &b.0.to_string()),
            ],
        )
        .await;
    assert_eq!(to, "/inbox?queue=mine&done=resolved&n=2");
    for (id, status) in [(a, "resolved"), (b, "resolved"), (c, "new")] {
        assert_eq!(app.store.case(id).await.unwrap().unwrap().case.status.as_str(), status, "case {}", id.0);
    }
    let (_, page) = s.page(&to).await;
    assert!(page.contains("2 case(s) resolved."), "{page}");
    // Nothing selected: nothing happens, and the inbox says so.
    let (_, to) = s.post("/inbox/bulk", &[("action", "resolve")]).await;
    assert_eq!(to, "/inbox?done=none");
    // The row shortcuts post to the case and come back to the inbox.
    let (_, to) =
        s.post(&format!("/cases/{}/status", c.0), &[("status", "resolved"), ("back", "/inbox?queue=mine")]).await;
    assert_eq!(to, "/inbox?queue=mine&done=resolved&n=1");
}

#[tokio::test]
async fn the_reply_form_refuses_empty_text_keeps_what_was_typed_and_clears_the_draft_once_sent() {
    let app = spawn_app().await;
    let case = case_from(&app, "1", "500", "Ann", "My parcel never arrived").await;
    let mut s = Session::new(&app, Role::Agent).await;
    let path = format!("/cases/{}/reply", case.0);
    let (status, html) = s.post(&path, &[("text", "   "), ("visibility", "public"), ("idempotency_key", "k1")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\"") && html.contains("empty"), "{html}");
    let typed = "Sorry <Ann>, we are on it";
    let (status, html) = s.post(&path, &[("text", typed), ("visibility", "shout"), ("idempotency_key", "k2")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(">Sorry &lt;Ann&gt;, we are on it</textarea>"), "the text is kept: {html}");
    assert_eq!(app.store.case(case).await.unwrap().unwrap().timeline.len(), 1, "nothing was sent");

    let (status, to) = s.post(&path, &[("text", typed), ("visibility", "public"), ("idempotency_key", "k3")]).await;
    assert_eq!((status.as_u16(), to.clone()), (303, format!("/cases/{}?sent=1", case.0)));
    let (_, html) = s.page(&to).await;
    assert!(html.contains(&format!("data-clear-draft=\"case-{}-reply\"", case.0)));
    assert!(html.contains("The reply is queued"), "{html}");
    assert!(html.contains("data-status=\"queued\""), "the delivery shows on the case: {html}");
    // The worker delivers it; then it is in the timeline and shows as sent.
    assert_eq!(app.engine.deliver_due().await.unwrap(), 1);
    let detail = app.store.case(case).await.unwrap().unwrap();
    assert_eq!(detail.timeline.len(), 2);
    assert_eq!(detail.timeline[1].message.text.as_str(), typed);
    let (_, html) = s.page(&format!("/cases/{}", case.0)).await;
    assert!(html.contains("data-status=\"sent\""), "{html}");
}

#[tokio::test]
async fn the_case_forms_record_notes_promises_status_assignment_tags_and_fill_in_canned_replies() {
    let app = spawn_app().await;
    let case = case_from(&app, "1", "600", "Maria Lopez", "I was charged twice this month").await;
    let mut s = Session::new(&app, Role::Agent).await;
    let base = format!("/cases/{}", case.0);

    let (status, to) = s.post(&format!("{base}/notes"), &[("text", "Checked billing: two charges.")]).await;
    assert_eq!((status.as_u16(), to), (303, format!("{base}?done=note")));
    let (status, html) = s.post(&format!("{base}/notes"), &[("text", "  ")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\""));

    let (status, to) = s
        .post(
            &format!("{base}/promises"),
            &[("what", "Call back about the refund"), ("due_at", "2026-11-21T10:00"), ("told_customer", "yes")],
        )
        .await;
    assert_eq!((status.as_u16(), to), (303, format!("{base}?done=promise")));
    let (status, html) =
        s.post(&format!("{base}/promises"), &[("what", "Too late"), ("due_at", "2026-11-19T10:00")]).await;
    assert_eq!(status, 422, "a promise in the past is refused");
    assert!(html.contains("future"), "{html}");
    let detail = app.store.case(case).await.unwrap().unwrap();
    assert_eq!(detail.notes.len(), 1);
    let promise = &detail.promises[0];
    assert!(promise.told_customer);
    let (_, to) = s.post(&format!("/promises/{}/settle", promise.id), &[("status", "kept")]).await;
    assert_eq!(to, format!("{base}?done=settled"));

    let (_, to) = s.post(&format!("{base}/status"), &[("status", "pending"), ("priority", "high")]).await;
    assert_eq!(to, format!("{base}?done=status"));
    let (status, _) = s.post(&format!("{base}/status"), &[("status", "sleeping")]).await;
    assert_eq!(status, 422);
    let (_, to) = s.post(&format!("{base}/assign"), &[("agent", "me")]).await;
    assert_eq!(to, format!("{base}?done=assign"));
    let (status, html) = s.post(&format!("{base}/assign"), &[("agent", "round_robin")]).await;
    assert_eq!(status, 422, "round-robin needs a team");
    assert!(html.contains("team"), "{html}");
    let (_, _) = s.post(&format!("{base}/tags"), &[("add", "Refund")]).await;
    let view = app.store.case(case).await.unwrap().unwrap().case;
    assert_eq!((view.status.as_str(), view.priority.as_str()), ("pending", "high"));
    assert!(view.agent_id.is_some());
    assert_eq!(view.tags, ["refund"]);
    let (_, _) = s.post(&format!("{base}/tags"), &[("remove", "refund")]).await;
    assert!(app.store.case(case).await.unwrap().unwrap().case.tags.is_empty());

    app.store
        .put_canned("sorry".into(), "Sorry {{customer.first_name}}, we are on case {{case.id}}.".into())
        .await
        .unwrap();
    let (_, html) = s.page(&format!("{base}?canned=sorry")).await;
    assert!(html.contains(&format!(">Sorry Maria, we are on case {}.</textarea>", case.0)), "{html}");
    let (_, html) = s.page(&format!("{base}?canned=nope")).await;
    assert!(html.contains("role=\"alert\""), "an unknown canned response is said so: {html}");
}

#[tokio::test]
async fn suggested_matches_are_decided_and_merges_undone_from_the_pages() {
    let app = spawn_app().await;
    let tom =
        customer(&app, json!({ "external_ref": "C-2", "name": "Tom Becker", "emails": ["tom.becker@example.com"] }))
            .await;
    let case = case_from(&app, "1", "4002", "Tom Becker", "Is broadband down in Westminster?").await;
    let mut s = Session::new(&app, Role::Agent).await;
    let (_, html) = s.page(&format!("/cases/{}", case.0)).await;
    assert!(html.contains("Suggested matches") && html.contains(&format!("customer #{tom}")), "{html}");
    let person: Value = app.get(&format!("/api/v1/customers/{tom}")).await.json().await.unwrap();
    let proposal = person["proposals"][0]["id"].as_i64().unwrap();
    let back = format!("/cases/{}", case.0);
    let (_, to) = s.post(&format!("/proposals/{proposal}/decide"), &[("decision", "confirm"), ("back", &back)]).await;
    assert_eq!(to, format!("{back}?done=confirmed"));
    let moved = app.store.case(case).await.unwrap().unwrap().case.customer_id.0;
    assert_eq!(moved, tom, "confirming merged the person into Tom");

    let (_, html) = s.page(&format!("/customers/{tom}")).await;
    assert!(html.contains("Undo merge"), "{html}");
    let merge = app.store.customer_links(CustomerId(tom)).await.unwrap().merges[0].id;
    let (status, _) = s.post(&format!("/merges/{merge}/undo"), &[("back", &tom.to_string()), ("reason", "")]).await;
    assert_eq!(status, 422, "an undo needs a reason");
    let (_, to) = s.post(&format!("/merges/{merge}/undo"), &[("back", &tom.to_string()), ("reason", "not him")]).await;
    assert_eq!(to, format!("/customers/{tom}?done=unmerged"));
    let back_to = app.store.case(case).await.unwrap().unwrap().case.customer_id.0;
    assert_ne!(back_to, tom);

    // Merging by hand, from Tom's page.
    let (status, html) =
        s.post(&format!("/customers/{tom}/merge"), &[("from", &tom.to_string()), ("reason", "x")]).await;
    assert_eq!(status, 422, "not with itself");
    assert!(html.contains("role=\"alert\""));
    let (_, to) =
        s.post(&format!("/customers/{tom}/merge"), &[("from", &back_to.to_string()), ("reason", "same person")]).await;
    assert_eq!(to, format!("/customers/{tom}?done=merged"));
    assert_eq!(app.store.case(case).await.unwrap().unwrap().case.customer_id.0, tom);
    // Found by the handle, which now belongs to Tom.
    let (_, found) = s.page("/customers?q=%40h4002").await;
    assert!(found.contains(&format!("href=\"/customers/{tom}\"")), "{found}");
}

#[tokio::test]
async fn erasure_refuses_a_wrong_confirmation_and_accepts_the_id_or_the_word() {
    let app = spawn_app().await;
    let ann =
        customer(&app, json!({ "external_ref": "C-7", "name": "Ann Smith", "emails": ["ann@example.com"] })).await;
    let bob =
        customer(&app, json!({ "external_ref": "C-8", "name": "Bob Jones", "emails": ["bob@example.com"] })).await;
    let mut s = Session::new(&app, Role::Admin).await;
    let path = format!("/customers/{ann}/erase");
    for wrong in ["erase", "", &bob.to_string(), "ERASE please"] {
        let (status, html) = s.post(&path, &[("confirm", wrong), ("reason", "she asked")]).await;
        assert_eq!(status, 422, "{wrong:?}");
        assert!(html.contains("Nothing was erased"), "{html}");
    }
    assert!(app.store.customer(CustomerId(ann)).await.unwrap().is_some());
    let (status, _) = s.post(&path, &[("confirm", "ERASE"), ("reason", "")]).await;
    assert_eq!(status, 422, "a reason is needed too");
    let (status, to) = s.post(&path, &[("confirm", "ERASE"), ("reason", "she asked (Art. 17)")]).await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/customers?done=erased"));
    assert!(app.store.customer(CustomerId(ann)).await.unwrap().is_none());
    let (_, to) =
        s.post(&format!("/customers/{bob}/erase"), &[("confirm", &bob.to_string()), ("reason", "asked")]).await;
    assert_eq!(to, "/customers?done=erased");
    assert!(app.store.customer(CustomerId(bob)).await.unwrap().is_none());
    // An agent may not erase.
    let carl = customer(&app, json!({ "external_ref": "C-9", "name": "Carl" })).await;
    let mut agent = Session::new(&app, Role::Agent).await;
    let (status, _) = agent.post(&format!("/customers/{carl}/erase"), &[("confirm", "ERASE"), ("reason", "x")]).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_password_change_signs_out_and_tokens_are_shown_once_within_the_role() {
    let app = spawn_app().await;
    app.engine.add_staff("pat@pages.test", "Pat", Role::Agent, None, PASSWORD).await.unwrap();
    let mut s = Session::sign_in(&app, "pat@pages.test", PASSWORD).await;

    let (status, html) = s
        .post("/account/tokens", &[("name", "bot"), ("scopes", "read"), ("scopes", "admin"), ("expires_in_days", "30")])
        .await;
    assert_eq!(status, 422, "an agent cannot give a token the admin scope");
    assert!(html.contains("admin scope"), "{html}");
    let (status, html) = s
        .post("/account/tokens", &[("name", "bot"), ("scopes", "read"), ("scopes", "write"), ("expires_in_days", "30")])
        .await;
    assert_eq!(status, 200);
    let start = html.find("<code class=\"token\">").expect("the token is shown") + 20;
    let token = html[start..start + html[start..].find('<').unwrap()].to_owned();
    assert!(token.starts_with("fbt_"));
    let me = app.client.get(format!("{}/api/v1/me", app.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let (_, page) = s.page("/account").await;
    assert!(!page.contains(&token), "shown once");
    let id = app.store.api_tokens(me_id(&app, "pat@pages.test").await).await.unwrap()[0].id;
    let (_, to) = s.post(&format!("/account/tokens/{id}/revoke"), &[]).await;
    assert_eq!(to, "/account?done=revoked");
    let me = app.client.get(format!("{}/api/v1/me", app.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 401);

    let (status, html) = s
        .post("/account/password", &[("current_password", "wrong wrong wrong"), ("new_password", "another long one")])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("current password is not right"), "{html}");
    app.clock.advance_millis(1000);
    let (status, to) =
        s.post("/account/password", &[("current_password", PASSWORD), ("new_password", "another long one")]).await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/login?notice=password"));
    let (status, _) = s.page("/account").await;
    assert_eq!(status, 303, "the session is gone");
    let (_, login) = s.page("/login?notice=password").await;
    assert!(login.contains("Your password is changed"));
    Session::sign_in(&app, "pat@pages.test", "another long one").await;
}

async fn me_id(app: &TestApp, email: &str) -> i64 {
    app.store.staff_accounts().await.unwrap().into_iter().find(|a| a.email == email).unwrap().id
}

#[tokio::test]
async fn an_admin_adds_staff_changes_roles_and_disables_but_not_themselves() {
    let app = spawn_app().await;
    let mut s = Session::new(&app, Role::Admin).await;
    let (status, html) = s
        .post("/admin/staff", &[("name", "Nia"), ("email", "nia@pages.test"), ("role", "agent"), ("password", "short")])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("at least 10 characters") && html.contains("value=\"nia@pages.test\""), "{html}");
    let (_, to) = s
        .post(
            "/admin/staff",
            &[("name", "Nia"), ("email", "nia@pages.test"), ("role", "agent"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(to, "/admin/staff?done=staff-added");
    let nia = me_id(&app, "nia@pages.test").await;
    let (_, to) = s.post(&format!("/admin/staff/{nia}"), &[("role", "supervisor")]).await;
    assert_eq!(to, "/admin/staff?done=staff-updated");
    let (_, to) = s.post(&format!("/admin/staff/{nia}"), &[("disabled", "true")]).await;
    assert_eq!(to, "/admin/staff?done=staff-updated");
    let account = app.store.staff_account(nia).await.unwrap().unwrap();
    assert_eq!((account.role, account.disabled), (Role::Supervisor, true));
    let mine = app.store.staff_accounts().await.unwrap().into_iter().find(|a| a.email.starts_with("admin-")).unwrap();
    let (status, html) = s.post(&format!("/admin/staff/{}", mine.id), &[("disabled", "true")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("their own account"), "{html}");
    let (_, page) = s.page("/admin/staff").await;
    assert!(page.contains("Nia") && page.contains("disabled"));
}

#[tokio::test]
async fn the_inbox_filters_by_mood_and_the_supervisor_draws_charts() {
    let app = spawn_app().await;
    let angry = case_from(&app, "1", "701", "Angry", "This is terrible, worst service ever, I am furious").await;
    let happy =
        case_from(&app, "2", "702", "Happy", "Thank you so much, you are wonderful and the team is great").await;
    let mut s = Session::new(&app, Role::Supervisor).await;
    let (_, html) = s.page("/inbox?sentiment=negative").await;
    assert!(html.contains(&format!("data-id=\"{}\"", angry.0)), "{html}");
    assert!(!html.contains(&format!("data-id=\"{}\"", happy.0)));
    let (_, html) = s.page("/inbox?queue=unassigned").await;
    assert!(html.contains("Unassigned <span class=\"count\">2</span>"), "{html}");
    let (_, html) = s.page("/supervisor").await;
    assert!(html.contains("<svg class=\"chart\"") && html.contains("<title>"), "{html}");
    assert!(html.contains("2 active, 2 waiting"), "{html}");
}
