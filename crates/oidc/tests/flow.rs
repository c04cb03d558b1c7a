//! The whole sign-in over loopback HTTP against the fake provider: the happy
//! paths, and each misbehaviour refused with its code.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use firebreak_domain::{ManualClock, Timestamp};
use firebreak_oidc::fake::{
    FakeAlg, FakeProvider, FakeUser, Misbehaviour, TOKEN_LIFETIME_SECONDS, follow_authorization,
};
use firebreak_oidc::{Callback, Claims, ClientAuth, OidcError, Pending, Provider, ProviderConfig, http_client};

const CLIENT_ID: &str = "firebreak";
const CLIENT_SECRET: &str = "s3cret: with/odd chars";
const REDIRECT_URI: &str = "http://127.0.0.1:9/community/oidc/callback";

fn ada() -> FakeUser {
    FakeUser {
        subject: "248289761001".into(),
        email: Some("ada@example.com".into()),
        email_verified: true,
        name: Some("Ada Lovelace".into()),
    }
}

fn config(fake: &FakeProvider) -> ProviderConfig {
    ProviderConfig::new(fake.issuer(), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
}

struct World {
    fake: FakeProvider,
    provider: Provider,
    clock: Arc<ManualClock>,
}

async fn discover(config: ProviderConfig) -> Result<(Provider, Arc<ManualClock>), OidcError> {
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let provider = Provider::discover(config, http_client(), clock.clone()).await?;
    Ok((provider, clock))
}

async fn world_with(configure: impl FnOnce(&FakeProvider) -> ProviderConfig) -> World {
    let fake = FakeProvider::start(CLIENT_ID, CLIENT_SECRET, ada()).await;
    let config = configure(&fake);
    let (provider, clock) = discover(config).await.expect("discovery works");
    World { fake, provider, clock }
}

async fn world() -> World {
    world_with(config).await
}

/// Starts a sign-in, follows the fake's redirect as a browser would, and
/// returns the attempt (round-tripped through its encoding, as through a cookie) and the callback.
async fn start(provider: &Provider) -> (Pending, Callback) {
    let (url, pending) = provider.authorization_url();
    let back = follow_authorization(&url).await.expect("the fake redirects back");
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    let callback = Callback::from_query(back.query().unwrap_or(""));
    (Pending::decode(&pending.encode()).unwrap(), callback)
}

async fn sign_in(provider: &Provider) -> Result<Claims, OidcError> {
    let (pending, callback) = start(provider).await;
    provider.complete(&pending, &callback).await
}

#[track_caller]
fn assert_code<T: std::fmt::Debug>(result: Result<T, OidcError>, code: &str) {
    match result {
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
    }
}

#[tokio::test]
async fn happy_path_rs256_with_client_secret_basic() {
    let w = world().await;
    let (url, _) = w.provider.authorization_url();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(get("scope"), Some("openid email profile"));
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("redirect_uri"), Some(REDIRECT_URI));

    let claims = sign_in(&w.provider).await.unwrap();
    assert_eq!(
        claims,
        Claims {
            issuer: w.fake.issuer(),
            subject: "248289761001".into(),
            email: Some("ada@example.com".into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
        }
    );
    assert_eq!(w.provider.client_auth(), ClientAuth::SecretBasic);
    assert_eq!(w.fake.client_auths(), [ClientAuth::SecretBasic]);
    assert_eq!(w.fake.jwks_fetches(), 1, "the keys are fetched at discovery and cached");
}

#[tokio::test]
async fn happy_path_es256_and_an_unverified_email() {
    let w = world().await;
    w.fake.sign_with(FakeAlg::Es256);
    w.fake.set_user(FakeUser { email_verified: false, name: None, ..FakeUser::new("sub-2", "bob@example.com") });
    let claims = sign_in(&w.provider).await.unwrap();
    assert_eq!(claims.subject, "sub-2");
    assert_eq!(claims.email.as_deref(), Some("bob@example.com"));
    assert!(!claims.email_verified);
    assert_eq!(claims.name, None);
}

#[tokio::test]
async fn client_secret_post_when_the_discovery_offers_only_that() {
    let fake = FakeProvider::start(CLIENT_ID, CLIENT_SECRET, ada()).await;
    fake.only_client_secret_post();
    let (provider, _) = discover(config(&fake)).await.unwrap();
    assert_eq!(provider.client_auth(), ClientAuth::SecretPost);
    sign_in(&provider).await.unwrap();
    assert_eq!(fake.client_auths(), [ClientAuth::SecretPost]);
}

#[tokio::test]
async fn discovery_refuses_another_issuer_and_an_unreachable_provider() {
    let fake = FakeProvider::start(CLIENT_ID, CLIENT_SECRET, ada()).await;
    fake.misbehave(Misbehaviour::WrongIssuerInDiscovery);
    assert_code(discover(config(&fake)).await, "oidc_issuer_mismatch");
    fake.behave();
    // A trailing slash is another issuer: the comparison is exact.
    let slash = ProviderConfig { issuer: format!("{}/", fake.issuer()), ..config(&fake) };
    assert_code(discover(slash).await, "oidc_issuer_mismatch");
    let nowhere = ProviderConfig { issuer: format!("{}/no-such-tenant", fake.issuer()), ..config(&fake) };
    assert_code(discover(nowhere).await, "oidc_discovery_failed");
    let plain_http = ProviderConfig { issuer: "http://id.example".into(), ..config(&fake) };
    assert_code(discover(plain_http).await, "oidc_invalid_config");
}

#[tokio::test]
async fn a_callback_for_another_attempt_is_a_state_mismatch() {
    let w = world().await;
    let (_, callback) = start(&w.provider).await;
    let (_, other_pending) = w.provider.authorization_url();
    assert_code(w.provider.complete(&other_pending, &callback).await, "oidc_state_mismatch");
    let (pending, callback) = start(&w.provider).await;
    let no_state = Callback { state: None, ..callback };
    assert_code(w.provider.complete(&pending, &no_state).await, "oidc_state_mismatch");
}

#[tokio::test]
async fn an_error_callback_is_a_provider_error() {
    let w = world().await;
    w.fake.misbehave(Misbehaviour::ErrorCallback {
        error: "access_denied".into(),
        description: "The user said no".into(),
    });
    let err = sign_in(&w.provider).await.unwrap_err();
    assert_eq!(err.code(), "oidc_provider_error");
    assert_eq!(err.detail().as_deref(), Some("access_denied: The user said no"));
    assert_eq!(err.to_string(), "The sign-in provider did not sign you in.");
}

#[tokio::test]
async fn each_bad_id_token_is_refused_with_its_code() {
    let w = world().await;
    let cases = [
        (Misbehaviour::WrongIssuer, "oidc_wrong_issuer"),
        (Misbehaviour::WrongAudience, "oidc_wrong_audience"),
        (Misbehaviour::SeveralAudiencesWithoutAzp, "oidc_wrong_authorized_party"),
        (Misbehaviour::Expired, "oidc_expired"),
        (Misbehaviour::BadSignature, "oidc_bad_signature"),
        (Misbehaviour::WrongNonce, "oidc_nonce_mismatch"),
        (Misbehaviour::AlgNone, "oidc_unsupported_algorithm"),
        (Misbehaviour::RejectCode, "oidc_token_request_failed"),
    ];
    for alg in [FakeAlg::Rs256, FakeAlg::Es256] {
        w.fake.sign_with(alg);
        for (misbehaviour, code) in &cases {
            w.fake.misbehave(misbehaviour.clone());
            assert_code(sign_in(&w.provider).await, code);
        }
    }
    w.fake.behave();
    sign_in(&w.provider).await.unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_an_unknown_one_is_refused() {
    let w = world().await;
    sign_in(&w.provider).await.unwrap();
    assert_eq!(w.fake.jwks_fetches(), 1);
    w.fake.rotate_key();
    sign_in(&w.provider).await.unwrap();
    assert_eq!(w.fake.jwks_fetches(), 2, "the unknown kid made the keys be fetched again");
    sign_in(&w.provider).await.unwrap();
    assert_eq!(w.fake.jwks_fetches(), 2, "the new key is cached");
    w.fake.misbehave(Misbehaviour::UnknownKid);
    assert_code(sign_in(&w.provider).await, "oidc_unknown_key");
    assert_eq!(w.fake.jwks_fetches(), 3, "fetched once more, not in a loop");
}

#[tokio::test]
async fn expiry_and_issue_time_are_checked_on_the_injected_clock_with_skew() {
    let w = world_with(|fake| ProviderConfig { pending_max_age: Duration::from_secs(3600), ..config(fake) }).await;
    let skew = 60;
    // Just inside the skew after expiry: accepted.
    let (pending, callback) = start(&w.provider).await;
    w.clock.advance_millis((TOKEN_LIFETIME_SECONDS + skew - 5) * 1000);
    w.provider.complete(&pending, &callback).await.unwrap();
    // Past it: refused.
    w.clock.set(Timestamp::now());
    let (pending, callback) = start(&w.provider).await;
    w.clock.advance_millis((TOKEN_LIFETIME_SECONDS + skew + 5) * 1000);
    assert_code(w.provider.complete(&pending, &callback).await, "oidc_expired");
    // Our clock well behind the provider's: the token is issued in the future.
    w.clock.set(Timestamp::now());
    let (pending, callback) = start(&w.provider).await;
    w.clock.advance_millis(-(skew + 5) * 1000);
    assert_code(w.provider.complete(&pending, &callback).await, "oidc_issued_in_future");
}

#[tokio::test]
async fn an_attempt_older_than_the_maximum_age_is_refused() {
    let w = world().await;
    let (pending, callback) = start(&w.provider).await;
    w.clock.advance_millis(601 * 1000);
    assert_code(w.provider.complete(&pending, &callback).await, "oidc_flow_expired");
}

#[tokio::test]
async fn the_token_endpoint_checks_the_code_the_verifier_and_the_client() {
    let w = world().await;
    // A code is good once.
    let (pending, callback) = start(&w.provider).await;
    w.provider.complete(&pending, &callback).await.unwrap();
    assert_code(w.provider.complete(&pending, &callback).await, "oidc_token_request_failed");

    // Another PKCE verifier than the one the challenge was made from.
    let (pending, callback) = start(&w.provider).await;
    let mut json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(pending.encode()).unwrap()).unwrap();
    json["code_verifier"] = serde_json::json!("x".repeat(43));
    let forged = Pending::decode(&URL_SAFE_NO_PAD.encode(json.to_string())).unwrap();
    assert_code(w.provider.complete(&forged, &callback).await, "oidc_token_request_failed");

    // No code at all.
    let (pending, callback) = start(&w.provider).await;
    assert_code(w.provider.complete(&pending, &Callback { code: None, ..callback }).await, "oidc_missing_code");

    // A callback naming another issuer (RFC 9207).
    let (pending, callback) = start(&w.provider).await;
    let mixed_up = Callback { iss: Some("https://evil.example".into()), ..callback };
    assert_code(w.provider.complete(&pending, &mixed_up).await, "oidc_wrong_issuer");

    // The wrong client secret.
    let wrong_secret = ProviderConfig { client_secret: "nope".into(), ..config(&w.fake) };
    let (provider, _) = discover(wrong_secret).await.unwrap();
    assert_code(sign_in(&provider).await, "oidc_token_request_failed");
}
