//! Signing in and out.
//!
//! The sign-in form is protected from cross-site posting like every other
//! form, before any session exists: `GET /login` sets a short-lived random
//! cookie and puts the same value in the form (a double submit), and the
//! post must come from this server's own origin. A wrong password, an unknown
//! email and a disabled account get the same answer.

use std::net::SocketAddr;

use axum::{
    Extension, Form,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use firebreak_engine::staff::{LoginRefused, SESSION_MILLIS, random_token};
use maud::html;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::layout::{Frame, page};
use crate::{
    AppState,
    auth::{
        Principal, clear_cookie, cookie, cookie_name, redirect_with_cookie, safe_next, same_origin, session_cookie,
    },
};

const LOGIN_COOKIE: &str = "firebreak_login";

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
    /// `password` after a password change (which signs everyone out).
    notice: Option<String>,
}

fn form_page(state: &AppState, next: &str, error: Option<String>, status: StatusCode) -> Response {
    form_page_with(state, next, error, None, status)
}

fn form_page_with(
    state: &AppState,
    next: &str,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = random_token(24).unwrap_or_default();
    let body = html! {
        h2 { "Sign in" }
        @if notice == Some("password") { p.flash role="status" { "Your password is changed. Sign in with the new one." } }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        form.stack method="post" action="/login" {
            input type="hidden" name="_csrf" value=(token);
            input type="hidden" name="next" value=(next);
            div { label for="email" { "Email" } br; input #email type="email" name="email" autocomplete="username" required autofocus; }
            div { label for="password" { "Password" } br; input #password type="password" name="password" autocomplete="current-password" required; }
            button type="submit" { "Sign in" }
        }
    };
    let markup = page(None, Frame { title: "Sign in", nav: "", narrow: true, ..Default::default() }, body);
    let secure = if state.config().secure_cookies { "; Secure" } else { "" };
    let set = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}");
    let mut resp = (status, markup).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&set) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /login`.
pub async fn form(State(state): State<AppState>, who: Option<Extension<Principal>>, q: Query<NextParam>) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    if who.is_some() {
        return axum::response::Redirect::to(&next).into_response();
    }
    form_page_with(&state, &next, None, q.notice.as_deref(), StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default, rename = "_csrf")]
    pub(crate) csrf: String,
    pub(crate) next: Option<String>,
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_owned();
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let csrf_ok = !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(f.csrf.as_bytes()));
    if !same_origin(&headers) || !csrf_ok {
        let why = "The sign-in form was out of date or came from another site; please try again.";
        return form_page(&state, &next, Some(why.into()), StatusCode::FORBIDDEN);
    }
    let address = addr.map(|Extension(ConnectInfo(a))| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    match state.engine().login(&f.email, &f.password, &address).await {
        Ok(Ok(s)) => {
            tracing::info!(account = s.account.id, "signed in");
            let cookie = session_cookie(state.config().secure_cookies, &s.cookie, SESSION_MILLIS / 1000);
            let mut resp = redirect_with_cookie(&next, cookie);
            let gone = format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0");
            if let Ok(v) = header::HeaderValue::from_str(&gone) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(LoginRefused::BadCredentials)) => {
            form_page(&state, &next, Some("The email or the password is not right.".into()), StatusCode::UNAUTHORIZED)
        }
        Ok(Err(LoginRefused::TooMany { retry_after_secs })) => {
            let minutes = (retry_after_secs + 59) / 60;
            let msg = format!("Too many attempts to sign in. Try again in {minutes} minute(s).");
            let mut resp = form_page(&state, &next, Some(msg), StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            form_page(
                &state,
                &next,
                Some("Signing in failed on our side; try again.".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// `POST /logout`: revokes the session and forgets the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let secure = state.config().secure_cookies;
    if let Some(value) = cookie(&headers, cookie_name(secure))
        && let Err(e) = state.engine().logout(value).await
    {
        tracing::error!(error = %e, "cannot revoke a session");
    }
    redirect_with_cookie("/login", clear_cookie(secure))
}
