//! Members' sign-in through an OpenID Connect provider (`[community.oidc]`):
//! `GET /community/oidc/start` sends the browser to the provider with a
//! fresh attempt (PKCE, state, nonce) kept here under a cookie bound to that
//! browser; `GET /community/oidc/callback` takes the attempt back (once),
//! completes the flow (`firebreak_oidc`: the token exchange and every check
//! of the ID token), and the engine finds or makes the member
//! (`Engine::member_oidc_login`: by the identity, else by the verified email)
//! and opens a member session. The provider is discovered on first use and
//! again after a failure, so a provider that is down when Firebreak starts
//! does not keep sign-in broken.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_engine::{
    member_oidc::{OidcIdentity, OidcRefused},
    staff::SESSION_MILLIS,
};
use firebreak_oidc::{Callback, OidcError, Pending, Provider, ProviderConfig, http_client};
use maud::html;

use crate::{
    AppState,
    api::incidents::base_url,
    auth::{cookie, member_session_cookie},
    pages::community::{Viewer, community_page},
};

/// `[community.oidc]`: the provider members may sign in with.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Shown on the button: "Sign in with {name}".
    pub name: String,
    /// Registered with the provider; default: this server's
    /// `/community/oidc/callback` as the request reached it.
    pub redirect_uri: Option<String>,
}

/// Attempts not completed within this are dropped.
const ATTEMPT_MILLIS: i64 = 10 * 60 * 1000;
/// At most this many attempts are kept (oldest dropped first).
const MAX_ATTEMPTS: usize = 10_000;
const COOKIE: &str = "firebreak_oidc";

/// The provider (once discovered) and the attempts in flight.
pub struct OidcRuntime {
    settings: OidcSettings,
    provider: tokio::sync::Mutex<Option<Arc<Provider>>>,
    pending: std::sync::Mutex<HashMap<String, Pending>>,
}

impl OidcRuntime {
    pub fn new(settings: OidcSettings) -> OidcRuntime {
        OidcRuntime { settings, provider: tokio::sync::Mutex::new(None), pending: Default::default() }
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    async fn provider(&self, state: &AppState, headers: &HeaderMap) -> Result<Arc<Provider>, OidcError> {
        let mut slot = self.provider.lock().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let s = &self.settings;
        let redirect =
            s.redirect_uri.clone().unwrap_or_else(|| format!("{}/community/oidc/callback", base_url(state, headers)));
        let config = ProviderConfig::new(s.issuer.clone(), s.client_id.clone(), s.client_secret.clone(), redirect);
        let p = Arc::new(Provider::discover(config, http_client(), state.engine().clock().clone()).await?);
        *slot = Some(p.clone());
        Ok(p)
    }

    fn keep(&self, pending: Pending, now_ms: i64) -> String {
        let id = pending.state().to_owned();
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| now_ms - p.created_at().unix_millis() < ATTEMPT_MILLIS);
        if map.len() >= MAX_ATTEMPTS
            && let Some(oldest) = map.iter().min_by_key(|(_, p)| p.created_at()).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), pending);
        id
    }

    fn take(&self, id: &str) -> Option<Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(id)
    }
}

fn attempt_cookie(secure: bool, value: &str, max_age: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    // Lax: the provider sends the browser back with a top-level GET.
    format!("{COOKIE}={value}; Path=/community/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// A page that says why signing in did not work.
fn refused(status: StatusCode, code: &str, message: &str) -> Response {
    let body = html! {
        h2 { "Signing in did not work" }
        p.error role="alert" data-code=(code) { (message) }
        p { a href="/community/login" { "Back to sign-in" } }
    };
    (status, community_page(&Viewer::default(), "Sign in", body)).into_response()
}

fn oidc_refusal(e: &OidcError) -> Response {
    tracing::warn!(code = e.code(), detail = ?e.detail(), "a sign-in through the provider was refused");
    let status = if e.is_upstream() { StatusCode::BAD_GATEWAY } else { StatusCode::BAD_REQUEST };
    refused(status, e.code(), &e.to_string())
}

/// `GET /community/oidc/start`.
pub async fn start(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(rt) = state.oidc() else {
        return refused(StatusCode::NOT_FOUND, "oidc_not_configured", "Sign-in through a provider is not set up here.");
    };
    let provider = match rt.provider(&state, &headers).await {
        Ok(p) => p,
        Err(e) => return oidc_refusal(&e),
    };
    let (url, pending) = provider.authorization_url();
    let id = rt.keep(pending, state.engine().clock().now().unix_millis());
    let mut resp = Redirect::to(url.as_str()).into_response();
    if let Ok(v) = HeaderValue::from_str(&attempt_cookie(state.config().secure_cookies, &id, ATTEMPT_MILLIS / 1000)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /community/oidc/callback?code=&state=` (or `error=`).
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some(rt) = state.oidc() else {
        return refused(StatusCode::NOT_FOUND, "oidc_not_configured", "Sign-in through a provider is not set up here.");
    };
    let callback = Callback::from_query(query.as_deref().unwrap_or(""));
    // Taken, not read: an attempt completes at most once, and only in the
    // browser that started it.
    let Some(pending) = cookie(&headers, COOKIE).and_then(|id| rt.take(id)) else {
        return oidc_refusal(&OidcError::StateMismatch);
    };
    let provider = match rt.provider(&state, &headers).await {
        Ok(p) => p,
        Err(e) => return oidc_refusal(&e),
    };
    let claims = match provider.complete(&pending, &callback).await {
        Ok(c) => c,
        Err(e) => return oidc_refusal(&e),
    };
    let identity = OidcIdentity {
        issuer: claims.issuer,
        subject: claims.subject,
        email: claims.email,
        email_verified: claims.email_verified,
        name: claims.name,
    };
    let secure = state.config().secure_cookies;
    match state.engine().member_oidc_login(identity).await {
        Ok(Ok(s)) => {
            tracing::info!(member = s.member.id.0, "member signed in through the provider");
            let mut resp = Redirect::to("/community").into_response();
            let h = resp.headers_mut();
            for c in [member_session_cookie(secure, &s.cookie, SESSION_MILLIS / 1000), attempt_cookie(secure, "", 0)] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Ok(Err(OidcRefused::NoVerifiedEmail)) => refused(
            StatusCode::FORBIDDEN,
            "oidc_email_not_verified",
            "Your provider did not share a verified email address, which a member needs.",
        ),
        Ok(Err(OidcRefused::Banned)) => refused(StatusCode::FORBIDDEN, "banned", "This account is banned."),
        Err(firebreak_engine::members::MemberError::Refused(r)) => {
            refused(StatusCode::CONFLICT, r.code(), &r.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "a sign-in through the provider failed");
            refused(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Signing in failed on our side; try again.")
        }
    }
}
