//! Members signing in through an OpenID Connect provider: a fake provider
//! on loopback, spoken to over real HTTP (discovery, the authorization
//! redirect, the token endpoint, the keys). The first sign-in makes the
//! member, the next finds the same one; a callback in another browser, a
//! provider that does not vouch for the email, and a refused token are each
//! refused with their code, and nothing is made.

use firebreak_oidc::fake::{FakeProvider, FakeUser, Misbehaviour, follow_authorization};
use firebreak_store::CommunityStore;
use firebreak_web::oidc::OidcSettings;
use reqwest::{StatusCode, header};

use crate::helpers::{TestApp, configured, no_redirects, spawn_with};

const CLIENT: &str = "firebreak-community";
const SECRET: &str = "a-client-secret-for-tests";

fn grace(verified: bool) -> FakeUser {
    FakeUser {
        subject: "user-4711".into(),
        email: Some("Grace@Example.com".into()),
        email_verified: verified,
        name: Some("Grace Hopper".into()),
    }
}

async fn app_with(fake: &FakeProvider) -> TestApp {
    let mut cfg = configured();
    cfg.oidc = Some(OidcSettings {
        issuer: fake.issuer(),
        client_id: CLIENT.into(),
        client_secret: SECRET.into(),
        name: "Example ID".into(),
        redirect_uri: None,
    });
    let app = spawn_with(cfg).await;
    // The provider signs with the real time; the app's clock checks it.
    app.clock.set(firebreak_domain::Timestamp::now());
    app
}

/// Start, the provider, and the callback: what a browser does. Answers the
/// callback's response and the attempt cookie the start set.
async fn sign_in(app: &TestApp, with_cookie: bool) -> reqwest::Response {
    let browser = no_redirects();
    let started = browser.get(format!("{}/community/oidc/start", app.url)).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let cookie = started.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("firebreak_oidc="), "{cookie}");
    let to_provider = started.headers()[header::LOCATION].to_str().unwrap().parse().unwrap();
    let back = follow_authorization(&to_provider).await.unwrap();
    assert!(back.as_str().starts_with(&format!("{}/community/oidc/callback?", app.url)), "{back}");
    let mut req = browser.get(back);
    if with_cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

fn member_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("firebreak_member=") && !c.starts_with("firebreak_member=;"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn a_member_signs_in_with_the_provider_and_is_the_same_member_next_time() {
    let fake = FakeProvider::start(CLIENT, SECRET, grace(true)).await;
    let app = app_with(&fake).await;
    // The sign-in page offers the provider.
    let page = app.anonymous.get(format!("{}/community/login", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in with Example ID"), "{page}");

    let done = sign_in(&app, true).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[header::LOCATION], "/community");
    let session = member_cookie(&done).expect("a member session");
    let home = no_redirects()
        .get(format!("{}/community", app.url))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Grace Hopper"), "{home}");
    let members = app.store.community_counts().await.unwrap().members;
    assert_eq!(members, 1);

    // Again: the same member, no new one.
    let again = sign_in(&app, true).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(member_cookie(&again).is_some());
    assert_eq!(app.store.community_counts().await.unwrap().members, 1);
    let login = app.store.member_login("grace@example.com".into()).await.unwrap().unwrap();
    assert!(login.member.email_verified && login.password_hash.is_none());
}

#[tokio::test]
async fn a_callback_elsewhere_an_unvouched_email_and_a_bad_token_are_refused() {
    let fake = FakeProvider::start(CLIENT, SECRET, grace(true)).await;
    let app = app_with(&fake).await;
    let code = |html: &str| html.split("data-code=\"").nth(1).map(|s| s.split('"').next().unwrap().to_owned());

    // Another browser (no attempt cookie) with a valid code: login CSRF.
    let r = sign_in(&app, false).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&r.text().await.unwrap()).as_deref(), Some("oidc_state_mismatch"));

    // The provider does not vouch for the email.
    fake.set_user(grace(false));
    let r = sign_in(&app, true).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(member_cookie(&r).is_none());
    assert_eq!(code(&r.text().await.unwrap()).as_deref(), Some("oidc_email_not_verified"));

    // A token for another audience.
    fake.set_user(grace(true));
    fake.misbehave(Misbehaviour::WrongAudience);
    let r = sign_in(&app, true).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&r.text().await.unwrap()).as_deref(), Some("oidc_wrong_audience"));
    assert_eq!(app.store.community_counts().await.unwrap().members, 0, "nothing was made");
}
