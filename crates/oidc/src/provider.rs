//! One configured OpenID provider: its discovery, its cached signing keys, the
//! authorization URL that starts a sign-in and the callback that completes it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use firebreak_domain::Clock;
use serde::Deserialize;
use url::Url;

use crate::error::OidcError;
use crate::jwks::{KeySet, Verdict};
use crate::jwt::{Expected, Jws};
use crate::pending::{Pending, pkce_challenge};

/// The largest discovery document, key set or token response read.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// How one OpenID provider is configured: what an operator writes down.
#[derive(Clone)]
pub struct ProviderConfig {
    /// The issuer identifier, exactly as the provider writes it in its
    /// discovery document and tokens (e.g. `https://accounts.example.com`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back, e.g. `https://crm.example/community/oidc/callback`.
    pub redirect_uri: String,
    /// The scopes asked for; `openid` is added when missing.
    pub scopes: Vec<String>,
    /// How far the provider's clock may be from ours when checking `exp` and `iat`.
    pub clock_skew: Duration,
    /// How long a started sign-in may take before its callback is refused.
    pub pending_max_age: Duration,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("clock_skew", &self.clock_skew)
            .field("pending_max_age", &self.pending_max_age)
            .finish()
    }
}

impl ProviderConfig {
    /// A configuration with the scopes `openid email profile`, a clock skew of
    /// one minute and ten minutes to complete a sign-in.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> ProviderConfig {
        ProviderConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
            clock_skew: Duration::from_secs(60),
            pending_max_age: Duration::from_secs(600),
        }
    }
}

/// The query of the redirect back from the provider (`/callback?code=...&state=...`,
/// or `?error=...&error_description=...&state=...`); axum's `Query<Callback>` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer, when the provider sends it (RFC 9207); checked when present.
    pub iss: Option<String>,
}

impl Callback {
    /// Reads a callback from a query string (without the leading `?`).
    pub fn from_query(query: &str) -> Callback {
        let mut callback = Callback::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "code" => &mut callback.code,
                "state" => &mut callback.state,
                "error" => &mut callback.error,
                "error_description" => &mut callback.error_description,
                "iss" => &mut callback.iss,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        callback
    }
}

/// Who signed in, as the provider vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Claims {
    pub issuer: String,
    /// The provider's stable identifier of the person; (issuer, subject) is the key, never the email.
    pub subject: String,
    pub email: Option<String>,
    /// True only when the provider says it checked the email.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the URL-encoded id and secret (RFC 6749 2.3.1); the default.
    SecretBasic,
    /// `client_id` and `client_secret` in the form body.
    SecretPost,
}

/// The parts of the discovery document this crate uses.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

/// A discovered provider, ready to start and complete sign-ins. Share it
/// (`Arc<Provider>`) between requests: it caches the provider's keys.
pub struct Provider {
    config: ProviderConfig,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    client_auth: ClientAuth,
    keys: RwLock<Arc<KeySet>>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// An HTTP client fit for talking to providers: timeouts, and no redirects
/// followed (a token endpoint that redirects is refused, not followed).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client with these settings builds")
}

/// Parses an endpoint and insists on https, except on loopback (for tests and local providers).
fn endpoint(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(format!("{text:?} is not an https URL")),
    }
}

/// Reads a response body, refusing anything over `MAX_BODY_BYTES`.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading the body: {e}"))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("the body is over {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// GETs a JSON document that must answer 200.
async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Vec<u8>, String> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!("GET {url}: status {}", response.status()));
    }
    read_body(response).await.map_err(|e| format!("GET {url}: {e}"))
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl Provider {
    /// Reads `{issuer}/.well-known/openid-configuration`, checks that it names
    /// the configured issuer exactly, and fetches the signing keys.
    pub async fn discover(
        config: ProviderConfig,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<Provider, OidcError> {
        let invalid = |detail: String| OidcError::InvalidConfig { detail };
        endpoint(&config.issuer).map_err(invalid)?;
        // A redirect URI is an https URL, or http on loopback for development.
        endpoint(&config.redirect_uri).map_err(|e| invalid(format!("redirect_uri: {e}")))?;
        if config.client_id.is_empty() {
            return Err(invalid("the client id is empty".into()));
        }
        let discovery_url = format!("{}/.well-known/openid-configuration", config.issuer.trim_end_matches('/'));
        let discovery_url = endpoint(&discovery_url).map_err(invalid)?;
        let failed = |detail: String| OidcError::DiscoveryFailed { detail };
        let body = get_json(&http, &discovery_url).await.map_err(failed)?;
        let metadata: Metadata = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("the discovery document is not OpenID provider metadata: {e}")))?;
        if metadata.issuer != config.issuer {
            return Err(OidcError::IssuerMismatch {
                detail: format!("configured {:?}, discovered {:?}", config.issuer, metadata.issuer),
            });
        }
        let authorization_endpoint = endpoint(&metadata.authorization_endpoint).map_err(failed)?;
        let token_endpoint = endpoint(&metadata.token_endpoint).map_err(failed)?;
        let jwks_uri = endpoint(&metadata.jwks_uri).map_err(failed)?;
        let methods = &metadata.token_endpoint_auth_methods_supported;
        let only_post =
            methods.iter().any(|m| m == "client_secret_post") && !methods.iter().any(|m| m == "client_secret_basic");
        let client_auth = if only_post { ClientAuth::SecretPost } else { ClientAuth::SecretBasic };
        let keys = fetch_keys(&http, &jwks_uri).await?;
        Ok(Provider {
            config,
            authorization_endpoint,
            token_endpoint,
            jwks_uri,
            client_auth,
            keys: RwLock::new(Arc::new(keys)),
            http,
            clock,
        })
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// How this client authenticates at the token endpoint, as chosen from the discovery.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    /// Starts a sign-in: the URL to redirect the browser to, and the
    /// [`Pending`] attempt to keep until the callback.
    pub fn authorization_url(&self) -> (Url, Pending) {
        let pending = Pending::new(self.clock.now());
        let mut scopes: Vec<&str> = self.config.scopes.iter().map(String::as_str).collect();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        let mut url = self.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", pending.state())
            .append_pair("nonce", pending.nonce())
            .append_pair("code_challenge", &pkce_challenge(pending.code_verifier()))
            .append_pair("code_challenge_method", "S256");
        (url, pending)
    }

    /// Completes a sign-in from the provider's redirect back: checks the
    /// attempt's age and `state`, exchanges the code (with the PKCE verifier)
    /// at the token endpoint, and verifies the ID token.
    pub async fn complete(&self, pending: &Pending, callback: &Callback) -> Result<Claims, OidcError> {
        let now = self.clock.now();
        let age_ms = now.unix_millis().saturating_sub(pending.created_at().unix_millis());
        if age_ms > i64::try_from(self.config.pending_max_age.as_millis()).unwrap_or(i64::MAX) {
            return Err(OidcError::FlowExpired);
        }
        if !callback.state.as_deref().is_some_and(|s| pending.state_matches(s)) {
            return Err(OidcError::StateMismatch);
        }
        if let Some(iss) = &callback.iss
            && iss != &self.config.issuer
        {
            return Err(OidcError::WrongIssuer { found: iss.clone() });
        }
        if let Some(error) = &callback.error {
            return Err(OidcError::ProviderError {
                error: error.clone(),
                description: callback.error_description.clone(),
            });
        }
        let code = callback.code.as_deref().filter(|c| !c.is_empty()).ok_or(OidcError::MissingCode)?;
        let id_token = self.exchange(code, pending.code_verifier()).await?;
        self.verify_id_token(&id_token, pending.nonce()).await
    }

    /// Calls the token endpoint and returns the ID token.
    async fn exchange(&self, code: &str, verifier: &str) -> Result<String, OidcError> {
        let failed = |detail: String| OidcError::TokenRequestFailed { detail };
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let mut request =
            self.http.post(self.token_endpoint.clone()).header(reqwest::header::ACCEPT, "application/json");
        match self.client_auth {
            ClientAuth::SecretBasic => {
                let credentials =
                    format!("{}:{}", form_encode(&self.config.client_id), form_encode(&self.config.client_secret));
                request =
                    request.header(reqwest::header::AUTHORIZATION, format!("Basic {}", STANDARD.encode(credentials)));
            }
            ClientAuth::SecretPost => {
                form.push(("client_id", &self.config.client_id));
                form.push(("client_secret", &self.config.client_secret));
            }
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
        let response = request
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(format!("POST {}: {e}", self.token_endpoint)))?;
        let status = response.status();
        let body = read_body(response).await.map_err(failed)?;
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
            error: Option<String>,
        }
        let parsed: Option<TokenResponse> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            let error = parsed.and_then(|p| p.error).unwrap_or_default();
            return Err(failed(format!("the token endpoint answered {status} {error}")));
        }
        let parsed = parsed.ok_or_else(|| failed("the token response is not JSON".into()))?;
        parsed.id_token.ok_or_else(|| failed("the token response has no id_token".into()))
    }

    /// Verifies an ID token's signature and claims; an unknown `kid` makes
    /// the key set be fetched again, once, in case the provider rotated its keys.
    async fn verify_id_token(&self, token: &str, nonce: &str) -> Result<Claims, OidcError> {
        let jws = Jws::parse(token)?;
        let kid = jws.kid.as_deref();
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut verdict = keys.verify(kid, jws.alg, jws.signing_input, &jws.signature);
        if verdict == Verdict::UnknownKey {
            let fresh = Arc::new(fetch_keys(&self.http, &self.jwks_uri).await?);
            verdict = fresh.verify(kid, jws.alg, jws.signing_input, &jws.signature);
            *self.keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        }
        match verdict {
            Verdict::Valid => {}
            Verdict::BadSignature => return Err(OidcError::BadSignature),
            Verdict::UnknownKey => return Err(OidcError::UnknownKey { kid: jws.kid.clone() }),
        }
        let claims = jws.claims()?;
        claims.check(&Expected {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce,
            now: self.clock.now().unix_millis().div_euclid(1000),
            skew_seconds: i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(i64::MAX),
        })?;
        Ok(Claims {
            issuer: claims.iss,
            subject: claims.sub,
            email: claims.email,
            email_verified: claims.email_verified,
            name: claims.name,
        })
    }
}

async fn fetch_keys(http: &reqwest::Client, jwks_uri: &Url) -> Result<KeySet, OidcError> {
    let failed = |detail: String| OidcError::JwksFailed { detail };
    let body = get_json(http, jwks_uri).await.map_err(failed)?;
    let keys = KeySet::parse(&body).map_err(failed)?;
    if keys.is_empty() {
        return Err(failed(format!("{jwks_uri} has no signing key this client can use")));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_except_on_loopback() {
        assert!(endpoint("https://id.example/authorize").is_ok());
        assert!(endpoint("http://127.0.0.1:8080/x").is_ok());
        assert!(endpoint("http://[::1]:8080/x").is_ok());
        assert!(endpoint("http://localhost/x").is_ok());
        assert!(endpoint("http://id.example/authorize").is_err());
        assert!(endpoint("ftp://127.0.0.1/").is_err());
        assert!(endpoint("not a url").is_err());
    }

    #[test]
    fn a_callback_reads_from_a_query_keeping_the_first_of_each() {
        let c = Callback::from_query("code=a%20b&state=s&state=t&error_description=x+y&other=1");
        assert_eq!(c.code.as_deref(), Some("a b"));
        assert_eq!(c.state.as_deref(), Some("s"));
        assert_eq!(c.error_description.as_deref(), Some("x y"));
        assert_eq!(c.error, None);
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let config = ProviderConfig::new("https://id.example", "client", "hunter2", "https://crm.example/cb");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2") && debug.contains("client"), "{debug}");
    }

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        assert_eq!(form_encode("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }
}
