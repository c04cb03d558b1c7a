//! A fake OpenID provider on loopback, over real HTTP, for tests (this crate's
//! and other crates'): discovery, `/authorize` (which signs the configured
//! user in at once and redirects back), `/token` (checking the client, the
//! code, the PKCE verifier and the redirect URI) and `/jwks`. It signs ID
//! tokens with keys made at start, and can be told to misbehave.
//!
//! ```no_run
//! # async fn demo() {
//! use firebreak_oidc::fake::{FakeProvider, FakeUser, follow_authorization};
//! let fake = FakeProvider::start("client", "secret", FakeUser::new("sub-1", "ada@example.com")).await;
//! // ProviderConfig::new(fake.issuer(), "client", "secret", "http://127.0.0.1:1/cb") ...
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use firebreak_domain::Timestamp;
use serde_json::json;
use url::Url;

use crate::pending::{pkce_challenge, random_token};
use crate::provider::ClientAuth;

/// Seconds an ID token of the fake is valid for.
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;

/// The person the fake signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl FakeUser {
    /// A user with a verified email and no name.
    pub fn new(subject: &str, email: &str) -> FakeUser {
        FakeUser { subject: subject.into(), email: Some(email.into()), email_verified: true, name: None }
    }
}

/// One way the fake can misbehave, for the tests of each refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misbehaviour {
    /// The discovery document names another issuer.
    WrongIssuerInDiscovery,
    /// The ID token names another issuer.
    WrongIssuer,
    /// The ID token is for another client.
    WrongAudience,
    /// The ID token has the client and another audience, and no `azp`.
    SeveralAudiencesWithoutAzp,
    /// The ID token expired an hour ago.
    Expired,
    /// The ID token's signature is corrupted.
    BadSignature,
    /// The ID token is signed by a key whose `kid` is never published.
    UnknownKid,
    /// The ID token is unsigned (`alg: none`).
    AlgNone,
    /// The ID token carries another nonce.
    WrongNonce,
    /// `/authorize` redirects back with this `error` and `error_description`.
    ErrorCallback { error: String, description: String },
    /// `/token` answers `400 invalid_grant`.
    RejectCode,
}

/// Which key signs the ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeAlg {
    Rs256,
    Es256,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

struct Inner {
    issuer: String,
    client_id: String,
    client_secret: String,
    user: FakeUser,
    misbehaviour: Option<Misbehaviour>,
    only_secret_post: bool,
    alg: FakeAlg,
    /// The published RSA keys; the last one signs.
    rsa: Vec<(String, RsaKeyPair)>,
    ec: (String, EcdsaKeyPair),
    codes: HashMap<String, Grant>,
    jwks_fetches: usize,
    client_auths: Vec<ClientAuth>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn new_rsa_key() -> RsaKeyPair {
    RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation works")
}

/// A running fake provider; it stops when dropped.
pub struct FakeProvider {
    base: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeProvider {
    /// Starts the fake on `127.0.0.1` on a free port, for one registered client.
    pub async fn start(client_id: &str, client_secret: &str, user: FakeUser) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a loopback port works");
        let base = format!("http://{}", listener.local_addr().expect("a bound listener has an address"));
        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key generation works");
        let shared = Arc::new(Mutex::new(Inner {
            issuer: base.clone(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            user,
            misbehaviour: None,
            only_secret_post: false,
            alg: FakeAlg::Rs256,
            rsa: vec![("rsa-1".into(), new_rsa_key())],
            ec: ("ec-1".into(), ec),
            codes: HashMap::new(),
            jwks_fetches: 0,
            client_auths: Vec::new(),
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        FakeProvider { base, shared, stop: Some(stop) }
    }

    /// The issuer identifier, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        self.base.clone()
    }

    /// From now on, misbehave this way (one at a time).
    pub fn misbehave(&self, misbehaviour: Misbehaviour) {
        lock(&self.shared).misbehaviour = Some(misbehaviour);
    }

    /// From now on, behave.
    pub fn behave(&self) {
        lock(&self.shared).misbehaviour = None;
    }

    /// Signs in this user from now on.
    pub fn set_user(&self, user: FakeUser) {
        lock(&self.shared).user = user;
    }

    /// Signs ID tokens with this algorithm from now on.
    pub fn sign_with(&self, alg: FakeAlg) {
        lock(&self.shared).alg = alg;
    }

    /// Advertises and accepts only `client_secret_post` at the token endpoint.
    pub fn only_client_secret_post(&self) {
        lock(&self.shared).only_secret_post = true;
    }

    /// Replaces the RSA signing key by a new one with a new `kid`, as a
    /// provider rotating its keys does; the old key is no longer published.
    pub fn rotate_key(&self) {
        let key = new_rsa_key();
        let mut inner = lock(&self.shared);
        let kid = format!("rsa-{}", inner.rsa.len() + 1);
        inner.rsa = vec![(kid, key)];
    }

    /// How many times the key set has been fetched.
    pub fn jwks_fetches(&self) -> usize {
        lock(&self.shared).jwks_fetches
    }

    /// How the client authenticated at each token request, in order.
    pub fn client_auths(&self) -> Vec<ClientAuth> {
        lock(&self.shared).client_auths.clone()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Plays the browser: GETs the authorization URL without following the
/// redirect, and returns where the provider sends the browser back (the
/// callback URL with its query).
pub async fn follow_authorization(url: &Url) -> Result<Url, String> {
    let http = crate::provider::http_client();
    let response = http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_redirection() {
        return Err(format!("the authorization endpoint answered {}", response.status()));
    }
    let location =
        response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).ok_or("the redirect has no Location")?;
    Url::parse(location).map_err(|e| e.to_string())
}

async fn discovery(State(shared): State<Shared>) -> Json<serde_json::Value> {
    let inner = lock(&shared);
    let issuer = match inner.misbehaviour {
        Some(Misbehaviour::WrongIssuerInDiscovery) => format!("{}/elsewhere", inner.issuer),
        _ => inner.issuer.clone(),
    };
    let methods: &[&str] =
        if inner.only_secret_post { &["client_secret_post"] } else { &["client_secret_basic", "client_secret_post"] };
    let base = &inner.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": methods,
    }))
}

async fn jwks(State(shared): State<Shared>) -> Json<serde_json::Value> {
    let mut inner = lock(&shared);
    inner.jwks_fetches += 1;
    let mut keys: Vec<serde_json::Value> = inner
        .rsa
        .iter()
        .map(|(kid, key)| {
            let (n, e) = rsa_public_numbers(key.public_key().as_ref()).expect("aws-lc writes a valid RSAPublicKey");
            json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(n),
                "e": URL_SAFE_NO_PAD.encode(e),
            })
        })
        .collect();
    let (kid, ec) = &inner.ec;
    let point = ec.public_key().as_ref();
    keys.push(json!({
        "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }));
    Json(json!({ "keys": keys }))
}

/// Reads one DER element with the given tag: its contents and the rest of the input.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len, mut rest) = rest.split_first()?;
    let len = if len < 0x80 {
        usize::from(len)
    } else {
        let count = usize::from(len & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// The modulus and exponent (big-endian, without the sign byte) of a DER
/// `RSAPublicKey` (RFC 8017 A.1.1), as a JWK wants them.
fn rsa_public_numbers(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (sequence, _) = der_element(der, 0x30)?;
    let (n, rest) = der_element(sequence, 0x02)?;
    let (e, _) = der_element(rest, 0x02)?;
    Some((without_leading_zeros(n), without_leading_zeros(e)))
}

fn without_leading_zeros(int: &[u8]) -> &[u8] {
    let start = int.iter().position(|&b| b != 0).unwrap_or(int.len().saturating_sub(1));
    &int[start..]
}

fn bad_request(text: &str) -> Response {
    (StatusCode::BAD_REQUEST, text.to_owned()).into_response()
}

fn redirect(to: Url) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

async fn authorize(State(shared): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut inner = lock(&shared);
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    if param("client_id") != inner.client_id {
        return bad_request("unknown client_id");
    }
    let Ok(mut back) = Url::parse(param("redirect_uri")) else {
        return bad_request("redirect_uri is not a URL");
    };
    if let Some(Misbehaviour::ErrorCallback { error, description }) = &inner.misbehaviour {
        back.query_pairs_mut()
            .append_pair("error", error)
            .append_pair("error_description", description)
            .append_pair("state", param("state"));
        return redirect(back);
    }
    let checks = [
        (param("response_type") == "code", "response_type must be code"),
        (param("scope").split(' ').any(|s| s == "openid"), "scope must contain openid"),
        (param("code_challenge_method") == "S256", "code_challenge_method must be S256"),
        (param("code_challenge").len() == 43, "code_challenge must be an S256 challenge"),
        (!param("state").is_empty(), "state is required"),
    ];
    if let Some((_, why)) = checks.iter().find(|(ok, _)| !ok) {
        return bad_request(why);
    }
    let code = random_token();
    let grant = Grant {
        client_id: param("client_id").into(),
        redirect_uri: param("redirect_uri").into(),
        challenge: param("code_challenge").into(),
        nonce: q.get("nonce").cloned(),
    };
    inner.codes.insert(code.clone(), grant);
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", param("state"))
        .append_pair("iss", &inner.issuer);
    redirect(back)
}

fn token_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// Reads the client's credentials from HTTP Basic (URL-encoded parts) or from the form.
fn client_credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> Option<(ClientAuth, String, String)> {
    if let Some(basic) = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()?.strip_prefix("Basic ")) {
        let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape =
            |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return Some((ClientAuth::SecretBasic, unescape(id)?, unescape(secret)?));
    }
    Some((ClientAuth::SecretPost, form.get("client_id")?.clone(), form.get("client_secret")?.clone()))
}

async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = lock(&shared);
    let Some((auth, id, secret)) = client_credentials(&headers, &form) else {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    inner.client_auths.push(auth);
    let auth_allowed = auth == ClientAuth::SecretPost || !inner.only_secret_post;
    if !auth_allowed || id != inner.client_id || secret != inner.client_secret {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if inner.misbehaviour == Some(Misbehaviour::RejectCode) {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    // A code is good for one exchange, whatever its outcome.
    let Some(grant) = form.get("code").and_then(|c| inner.codes.remove(c)) else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or("");
    let grant_ok = grant.client_id == id
        && form.get("redirect_uri") == Some(&grant.redirect_uri)
        && pkce_challenge(verifier) == grant.challenge;
    if !grant_ok {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let id_token = inner.id_token(grant.nonce.as_deref());
    Json(json!({
        "access_token": random_token(),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "id_token": id_token,
    }))
    .into_response()
}

impl Inner {
    fn id_token(&self, nonce: Option<&str>) -> String {
        let now = Timestamp::now().unix_millis() / 1000;
        let m = self.misbehaviour.as_ref();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": self.user.subject,
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "nonce": nonce,
            "email": self.user.email,
            "email_verified": self.user.email_verified,
            "name": self.user.name,
        });
        match m {
            Some(Misbehaviour::WrongIssuer) => claims["iss"] = json!(format!("{}/elsewhere", self.issuer)),
            Some(Misbehaviour::WrongAudience) => claims["aud"] = json!("another-client"),
            Some(Misbehaviour::SeveralAudiencesWithoutAzp) => claims["aud"] = json!([self.client_id, "another-client"]),
            Some(Misbehaviour::Expired) => {
                claims["iat"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Some(Misbehaviour::WrongNonce) => claims["nonce"] = json!(random_token()),
            _ => {}
        }
        let (alg, kid) = match (m, self.alg) {
            (Some(Misbehaviour::AlgNone), _) => ("none", None),
            (Some(Misbehaviour::UnknownKid), FakeAlg::Rs256) => ("RS256", Some("never-published".to_owned())),
            (Some(Misbehaviour::UnknownKid), FakeAlg::Es256) => ("ES256", Some("never-published".to_owned())),
            (_, FakeAlg::Rs256) => ("RS256", self.rsa.last().map(|(kid, _)| kid.clone())),
            (_, FakeAlg::Es256) => ("ES256", Some(self.ec.0.clone())),
        };
        let header = json!({ "alg": alg, "kid": kid, "typ": "JWT" });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = match alg {
            "RS256" => {
                let (_, key) = self.rsa.last().expect("the fake always has an RSA key");
                let mut sig = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut sig)
                    .expect("RSA signing works");
                sig
            }
            "ES256" => {
                let sig = self.ec.1.sign(&SystemRandom::new(), signing_input.as_bytes()).expect("EC signing works");
                sig.as_ref().to_vec()
            }
            _ => Vec::new(),
        };
        if m == Some(&Misbehaviour::BadSignature)
            && let Some(last) = signature.last_mut()
        {
            *last ^= 1;
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_rsa_public_key_from_der() {
        // SEQUENCE { INTEGER 0x00 0xC1 0x02, INTEGER 0x01 0x00 0x01 }
        let der = [0x30, 0x0a, 0x02, 0x03, 0x00, 0xc1, 0x02, 0x02, 0x03, 0x01, 0x00, 0x01];
        assert_eq!(rsa_public_numbers(&der), Some((&[0xc1, 0x02][..], &[0x01, 0x00, 0x01][..])));
        assert_eq!(rsa_public_numbers(&der[..5]), None);
        let key = new_rsa_key();
        let (n, e) = rsa_public_numbers(key.public_key().as_ref()).unwrap();
        assert_eq!(n.len(), 256);
        assert_eq!(e, [1, 0, 1]);
    }
}
