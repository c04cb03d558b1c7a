//! Members' accounts: sign-up (the verification link goes out by email
//! through `[outbound.smtp]`; without it the page says so and the link is in
//! the server's log), the link itself, sign-in and sign-out.
//!
//! The sign-up and sign-in forms are protected from cross-site posting
//! before any session exists as the staff sign-in is: a short-lived random
//! cookie repeated in the form (a double submit) and a same-origin check.

use std::net::SocketAddr;

use axum::{
    Extension, Form,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_engine::{
    members::{MemberLoginRefused, VerificationMail},
    staff::{SESSION_MILLIS, random_token},
};
use maud::{Markup, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{Viewer, community_page, member_problem, notice};
use crate::{
    AppState,
    api::incidents::base_url,
    auth::{cookie, member_cookie_name, member_session_cookie, redirect_with_cookie, same_origin},
};

const FORM_COOKIE: &str = "firebreak_member_form";

/// Where to go after signing in: a community path only.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/community") && !n.contains("//") && !n.contains('\\') => n.to_owned(),
        _ => "/community".into(),
    }
}

/// A form page that sets its double-submit cookie (for `path`).
fn with_form_cookie(state: &AppState, path: &str, status: StatusCode, page: impl FnOnce(&str) -> Markup) -> Response {
    let token = random_token(24).unwrap_or_default();
    let secure = if state.config().secure_cookies { "; Secure" } else { "" };
    let set = format!("{FORM_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=3600{secure}");
    let mut resp = (status, page(&token)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&set) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn form_ok(headers: &HeaderMap, given: &str) -> bool {
    let expected = cookie(headers, FORM_COOKIE).unwrap_or("");
    same_origin(headers) && !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

const STALE: &str = "The form was out of date or came from another site; please try again.";

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn signup_page(state: &AppState, f: &SignUpForm, error: Option<String>, status: StatusCode) -> Response {
    with_form_cookie(state, "/community/signup", status, |token| {
        let body = html! {
            h2 { "Join the community" }
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            form.stack #signup method="post" action="/community/signup" {
                input type="hidden" name="_csrf" value=(token);
                div { label for="email" { "Email" } br; input #email type="email" name="email" value=(f.email) autocomplete="email" required; }
                div { label for="display_name" { "Name shown with your posts" } br; input #display_name name="display_name" value=(f.display_name) required; }
                div { label for="password" { "Password (at least 10 characters)" } br; input #password type="password" name="password" autocomplete="new-password" required; }
                button type="submit" { "Sign up" }
            }
        };
        community_page(&Viewer::default(), "Sign up", body)
    })
}

/// `GET /community/signup`.
pub async fn signup_form(State(state): State<AppState>) -> Response {
    signup_page(&state, &SignUpForm::default(), None, StatusCode::OK)
}

/// `POST /community/signup`.
pub async fn signup(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<SignUpForm>) -> Response {
    if !form_ok(&headers, &f.csrf) {
        return signup_page(&state, &f, Some(STALE.into()), StatusCode::FORBIDDEN);
    }
    let base = base_url(&state, &headers);
    match state.engine().member_sign_up(&f.email, &f.display_name, &f.password, &base).await {
        Ok((member, mail)) => {
            let said = match mail {
                VerificationMail::Sent => html! {
                    p.flash role="status" #verify-sent { "We sent a link to " (member.email) ". Open it to confirm your email, then sign in." }
                },
                VerificationMail::NotConfigured => html! {
                    p.error role="alert" #verify-not-sent {
                        "This server cannot send email: no SMTP server is configured ([outbound.smtp]). "
                        "Your confirmation link is in the server's log; ask the administrator for it."
                    }
                },
                VerificationMail::Failed(_) => html! {
                    p.error role="alert" #verify-not-sent {
                        "The email with your confirmation link could not be sent. "
                        "The link is in the server's log; ask the administrator for it."
                    }
                },
            };
            let body = html! { h2 { "Almost there" } (said) p { a href="/community/login" { "Sign in" } } };
            community_page(&Viewer::default(), "Confirm your email", body).into_response()
        }
        Err(e) => {
            let p = member_problem(e);
            let message = p.errors.first().map(|e| super::super::forms::sentence(&e.message)).unwrap_or(p.detail);
            let status = p.code.status_and_title().0;
            signup_page(&state, &f, Some(message), status)
        }
    }
}

#[derive(Deserialize)]
pub struct TokenParam {
    #[serde(default)]
    token: String,
}

/// `GET /community/verify?token=`: confirms the email.
pub async fn verify(State(state): State<AppState>, Query(q): Query<TokenParam>) -> Response {
    match state.engine().verify_member_email(&q.token).await {
        Ok(Some(_)) => Redirect::to("/community/login?done=verified").into_response(),
        Ok(None) => {
            let body = html! {
                h2 { "This link does not work" }
                p.error role="alert" { "The link is unknown, was already used, or has expired (links work for 48 hours)." }
            };
            (StatusCode::NOT_FOUND, community_page(&Viewer::default(), "Link not valid", body)).into_response()
        }
        Err(e) => super::error_page(&Viewer::default(), &member_problem(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct LoginParams {
    next: Option<String>,
    done: Option<String>,
}

fn login_page(state: &AppState, next: &str, done: Option<&str>, error: Option<String>, status: StatusCode) -> Response {
    with_form_cookie(state, "/community/login", status, |token| {
        let q = done.map(|d| [("done".to_owned(), d.to_owned())].into()).unwrap_or_default();
        let body = html! {
            h2 { "Sign in to the community" }
            (notice(&q))
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            form.stack #member-login method="post" action="/community/login" {
                input type="hidden" name="_csrf" value=(token);
                input type="hidden" name="next" value=(next);
                div { label for="email" { "Email" } br; input #email type="email" name="email" autocomplete="username" required autofocus; }
                div { label for="password" { "Password" } br; input #password type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
            @if let Some(o) = state.oidc() {
                p { a.button #oidc-sign-in href="/community/oidc/start" { "Sign in with " (o.name()) } }
            }
            p { "New here? " a href="/community/signup" { "Sign up" } ". Staff: " a href="/login?next=/community" { "sign in to Firebreak" } "." }
        };
        community_page(&Viewer::default(), "Sign in", body)
    })
}

/// `GET /community/login`.
pub async fn login_form(State(state): State<AppState>, Query(q): Query<LoginParams>) -> Response {
    login_page(&state, &safe_next(q.next.as_deref()), q.done.as_deref(), None, StatusCode::OK)
}

/// The same fields as the staff sign-in form.
use crate::pages::login::LoginForm;

/// `POST /community/login`.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    if !form_ok(&headers, &f.csrf) {
        return login_page(&state, &next, None, Some(STALE.into()), StatusCode::FORBIDDEN);
    }
    let address = addr.map(|Extension(ConnectInfo(a))| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    let refuse = |msg: &str, status| login_page(&state, &next, None, Some(msg.to_owned()), status);
    match state.engine().member_login(&f.email, &f.password, &address).await {
        Ok(Ok(s)) => {
            tracing::info!(member = s.member.id.0, "member signed in");
            let c = member_session_cookie(state.config().secure_cookies, &s.cookie, SESSION_MILLIS / 1000);
            let mut resp = redirect_with_cookie(&next, c);
            let gone = format!("{FORM_COOKIE}=; Path=/community/login; Max-Age=0");
            if let Ok(v) = header::HeaderValue::from_str(&gone) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(MemberLoginRefused::BadCredentials)) => {
            refuse("The email or the password is not right.", StatusCode::UNAUTHORIZED)
        }
        Ok(Err(MemberLoginRefused::Unverified)) => {
            refuse("Confirm your email first: open the link we sent when you signed up.", StatusCode::FORBIDDEN)
        }
        Ok(Err(MemberLoginRefused::Banned)) => refuse("This account is banned.", StatusCode::FORBIDDEN),
        Ok(Err(MemberLoginRefused::TooMany { retry_after_secs })) => {
            let minutes = (retry_after_secs + 59) / 60;
            let mut resp = refuse(
                &format!("Too many attempts to sign in. Try again in {minutes} minute(s)."),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "member sign-in failed");
            refuse("Signing in failed on our side; try again.", StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// `POST /community/logout`: revokes the member session.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let secure = state.config().secure_cookies;
    if let Some(value) = cookie(&headers, member_cookie_name(secure))
        && let Err(e) = state.engine().member_logout(value).await
    {
        tracing::error!(error = %e, "cannot revoke a member session");
    }
    redirect_with_cookie("/community", member_session_cookie(secure, "", 0))
}
